//! CARIN Blue Button, US Core, PDex and Plan-Net profiles for `fhir-model`.
//!
//! - [`validate`] / [`validate_as`]: check a resource against the profiles of CARIN BB
//!   2.0.0, US Core 3.1.1 and 6.1.0, PDex 2.0.0 and Plan-Net 1.1.0 (cardinality, fixed and
//!   pattern values, required bindings, choice types, reference targets, slicing,
//!   extension definitions, and the IG invariants listed in the crate README), choosing
//!   the profile by `meta.profile` and the content; [`to_operation_outcome`] turns the
//!   [`Issue`]s into an `OperationOutcome`.
//! - [`views`]: typed read-only views of CARIN EOB, Coverage and Patient resources (EOB
//!   profile by content, amounts by adjudication category, line items, member ids) and a
//!   builder for Professional NonClinician EOBs.
//! - [`codes`]: the code systems of CARIN Blue Button 2.0.0 (adjudication categories,
//!   payer adjudication status, supporting info types, ...) as enums that keep unknown codes.
//!
//! No I/O; builds for wasm32.

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
};
