//! CARIN Blue Button, US Core, PDex and Plan-Net profiles for `fhir-model`.
//!
//! Status: first slice. What exists: [`codes`], the code systems of CARIN Blue Button
//! 2.0.0 (adjudication categories, payer adjudication status, supporting info types, claim
//! care team roles, ...) as enums generated from the package, keeping unknown codes; and
//! [`views`], typed read-only views of CARIN EOB, Coverage and Patient resources (EOB
//! profile by content, amounts by adjudication category, line items, member ids) plus a
//! builder for Professional NonClinician EOBs. What does not exist yet: views and builders
//! for the other profiles, the other IGs' code systems and value sets, and `validate`;
//! they are the rest of the carin-profiles issue.
//!
//! No I/O; builds for wasm32.

pub mod codes;
pub mod views;
