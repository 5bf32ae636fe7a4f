//! SMART on FHIR client for apps that connect to health plans: discovery, launch, tokens,
//! patient context, FHIR REST.
//!
//! Status: first slice, sans-IO (no HTTP yet): the caller fetches, these parse.
//! - [`discovery`]: `.well-known/smart-configuration`, with the CapabilityStatement's
//!   `oauth-uris` as the fallback, read leniently with warnings;
//! - [`token`]: token endpoint answers, read leniently (string or float `expires_in`,
//!   array `scope`, `Patient/123` patients, non-standard errors), each tolerance recorded;
//! - [`authorize`]: the authorization request of a standalone launch, with PKCE S256 and
//!   a 256-bit `state`;
//! - [`callback`]: the redirect back: state check, code, or the refusal.
//!
//! Next (the smart-client issue): the token requests, the HTTP trait,
//! sessions with refresh, patient-context discovery, FHIR REST, `sync_all`, Backend
//! Services, bulk export.

pub mod authorize;
pub mod callback;
pub mod discovery;
mod error;
pub mod token;

pub use error::{Error, Result};
