//! `Location` in the US Core 6.1.0 profile `us-core-location`.
//!
//! Its must-support elements (status, name, telecom, address, managing organization) are
//! read by the Plan-Net [`LocationView`], re-exported (its Plan-Net extension accessors
//! are empty on a US Core location).

pub use super::super::plan_net::location::{LocationStatus, LocationView};

/// `us-core-location`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-location";
