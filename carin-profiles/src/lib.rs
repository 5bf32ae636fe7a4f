//! CARIN Blue Button, US Core, PDex and Plan-Net profiles for `fhir-model`.
//!
//! - [`validate`] / [`validate_as`]: check a resource against the profiles of CARIN BB
//!   2.0.0, US Core 3.1.1 and 6.1.0, PDex 2.0.0 and Plan-Net 1.1.0 (cardinality, fixed and
//!   pattern values, required bindings, choice types, reference targets, slicing,
//!   extension definitions, and the IG invariants listed in the crate README), choosing
//!   the profile by `meta.profile` and the content; [`to_operation_outcome`] turns the
//!   [`Issue`]s into an `OperationOutcome`.
//! - [`views`]: typed read-only views of CARIN EOB, Coverage and Patient resources (EOB
//!   profile by content, amounts by adjudication category, line items, member ids), of the
//!   US Core 6.1.0 clinical resources apps read most, of the Plan-Net 1.1.0 provider
//!   directory and of the PDex 2.0.0 prior authorization; builders whose output validates:
//!   Professional NonClinician EOBs, US Core vital signs, Plan-Net PractitionerRoles and PDex
//!   prior authorizations.
//! - [`codes`]: the code systems of CARIN Blue Button 2.0.0 (adjudication categories,
//!   payer adjudication status, supporting info types, ...), Plan-Net 1.1.0 and PDex 2.0.0
//!   as enums that keep unknown codes.
//!
//! No I/O; builds for wasm32.

#[macro_use]
pub mod codes;
mod validate;
pub mod views;

/// The tables generated from the IG packages by `cargo xtask codegen`.
mod generated {
    #[path = "profiles.rs"]
    pub(crate) mod profiles;
}

pub use validate::{
    ChoiceReason, Ig, Issue, IssueKind, Profile, ProfileChoice, choose_profiles, profile, profiles,
    skipped_invariants, to_operation_outcome, unchecked_value_sets, validate, validate_as,
    validate_with_json,
};
