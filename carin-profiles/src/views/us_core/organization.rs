//! `Organization` in the US Core 6.1.0 profile `us-core-organization`.
//!
//! Its must-support elements (identifier with the NPI, active, name, telecom, address) are
//! read by CARIN's [`OrganizationView`], re-exported.

pub use super::super::organization::OrganizationView;

/// `us-core-organization`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization";
