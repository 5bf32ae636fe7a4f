//! `Coverage` in the US Core 6.1.0 profile `us-core-coverage`.
//!
//! Its must-support elements (member id, status, type, subscriber id, beneficiary,
//! relationship, period, payor, group and plan classes) are those of CARIN's
//! `C4BB-Coverage`, so [`CoverageView`] is the CARIN view, re-exported.

pub use super::super::coverage::CoverageView;

/// `us-core-coverage`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage";
