//! SMART on FHIR client: discovery, launch, tokens, patient context, FHIR REST.
//!
//! Status: skeleton. Nothing is implemented yet; the client is the subject of the
//! smart-client issue.
