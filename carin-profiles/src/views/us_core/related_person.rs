//! `RelatedPerson` in the US Core 6.1.0 profile `us-core-relatedperson`.
//!
//! Its must-support elements (active, patient, relationship, name, telecom, address) are
//! those of CARIN's `C4BB-RelatedPerson`, so [`RelatedPersonView`] is the CARIN view,
//! re-exported.

pub use super::super::related_person::RelatedPersonView;

/// `us-core-relatedperson`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-relatedperson";
