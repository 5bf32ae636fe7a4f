//! `Practitioner` in the US Core 6.1.0 profile `us-core-practitioner`.
//!
//! Its must-support elements (identifier with the NPI, name, telecom, address) are read by
//! CARIN's [`PractitionerView`], re-exported.

pub use super::super::practitioner::PractitionerView;

/// `us-core-practitioner`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner";
