//! `PractitionerRole` in the US Core 6.1.0 profile `us-core-practitionerrole`.
//!
//! Its must-support elements (practitioner, organization, code, specialty, location,
//! telecom, endpoint) are read by the Plan-Net [`PractitionerRoleView`], re-exported (its
//! Plan-Net extension accessors are empty on a US Core role).

pub use super::super::plan_net::practitioner_role::PractitionerRoleView;

/// `us-core-practitionerrole`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitionerrole";
