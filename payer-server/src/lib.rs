//! Embeddable payer FHIR server: the CMS APIs behind SMART authorization.
//!
//! Status: skeleton. Nothing is implemented yet; the server is the subject of the
//! payer-server issues.

pub mod synth;
