//! Integration tests of `fhir-model`'s JSON reader and writer: a lossless round trip of every
//! resource in the FHIR IG packages (`roundtrip`), the tricky corners of FHIR JSON one by one
//! (`edge_cases`), and the independent JSON comparator both rely on (`json_tree`).
//!
//! Run with `FHIR_PACKAGES_DIR=/path/to/fhir-packages cargo test -p fhir-model --test it`.

mod edge_cases;
mod fuzz_regressions;
mod json_tree;
mod packages;
mod roundtrip;
