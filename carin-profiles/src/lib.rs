//! CARIN Blue Button, US Core, PDex and Plan-Net profiles for `fhir-model`.
//!
//! Status: first slice. What exists: [`codes`], the code systems of CARIN Blue Button
//! 2.0.0 (adjudication categories, payer adjudication status, supporting info types, claim
//! care team roles, ...) as enums generated from the package, keeping unknown codes. What
//! does not exist yet: the typed profile views and builders, the other IGs' code systems
//! and value sets, and `validate`; they are the rest of the carin-profiles issue.
//!
//! No I/O; builds for wasm32.

pub mod codes;
