//! SMART on FHIR client for apps that connect to health plans: discovery, launch, tokens
//! that keep working, the patient however the payer hides it, FHIR REST, the whole
//! record.
//!
//! ```no_run
//! # async fn run() -> smart_client::Result<()> {
//! use std::sync::Arc;
//! use smart_client::{ClientAuth, LaunchRequest, PatientDiscovery, ReqwestHttp, SessionOptions,
//!                    SmartClient, SyncOptions};
//!
//! let http = Arc::new(ReqwestHttp::new()?);
//! let payer = SmartClient::discover(http, "https://payer.example/fhir").await?;
//! let scope = "launch/patient openid fhirUser offline_access patient/*.rs";
//! let request = LaunchRequest::new("my-app", "http://127.0.0.1:8765/callback", scope,
//!                                  payer.fhir_base());
//! let pending = payer.authorize(&request)?;
//! // Send the member's browser to `pending.url`; the redirect comes back to the app:
//! let redirect = "http://127.0.0.1:8765/callback?code=...&state=...";
//! let session = payer
//!     .complete(&pending, redirect, ClientAuth::public("my-app"), scope, SessionOptions::default())
//!     .await?;
//! let patient = session.patient_context(&PatientDiscovery::new(payer.configuration())).await?;
//! let record = session.sync_all(&patient.id, &SyncOptions::default()).await?;
//! println!("{} resources: {:?}", record.total(), record.counts());
//! # Ok(()) }
//! ```
//!
//! Modules, bottom up:
//! - [`http`]: the [`HttpClient`] trait (reqwest by default, natively and in the
//!   browser, feature `reqwest`);
//! - [`discovery`], [`authorize`], [`callback`], [`token`]: sans-IO SMART App Launch 2.2:
//!   configuration, the authorization request with PKCE S256, the redirect, lenient
//!   token responses and the token requests;
//! - [`grant`]: what an app keeps (tokens, expiry, scope, patient) and the
//!   [`TokenStore`] it is kept in (in memory, files);
//! - [`session`]: a grant in use: refresh ahead of expiry, single-flight, rotated grants
//!   saved before use, 401 refresh-and-retry, `Retry-After`;
//! - [`fhir`]: reads, searches, pages that stay on the server's origin;
//! - [`patient`]: patient-context discovery;
//! - [`sync`]: the whole record, `Session::sync_all`;
//! - [`bulk`]: Bulk Data `$export`: kick-off, polling, the manifest, NDJSON files as
//!   streams;
//! - `backend` (native only): signing keys, `private_key_jwt` client assertions and
//!   SMART Backend Services sessions (`SmartClient::backend_services`).

pub mod authorize;
#[cfg(not(target_arch = "wasm32"))]
pub mod backend;
pub mod bulk;
pub mod callback;
pub mod clock;
mod connect;
pub mod discovery;
mod error;
pub mod fhir;
pub mod grant;
pub mod http;
mod jwt;
pub mod patient;
#[cfg(feature = "reqwest")]
mod reqwest_http;
pub mod retry;
pub mod session;
pub mod sync;
pub mod token;

pub use authorize::{Audience, LaunchRequest, PendingAuthorization};
#[cfg(not(target_arch = "wasm32"))]
pub use backend::{SigningAlgorithm, SigningKey};
pub use bulk::{ExportManifest, ExportRequest, PollPolicy};
pub use clock::{Clock, SystemClock};
pub use connect::SmartClient;
pub use discovery::SmartConfiguration;
pub use error::{Error, Result};
#[cfg(not(target_arch = "wasm32"))]
pub use grant::FileTokenStore;
pub use grant::{Grant, MemoryTokenStore, TokenStore};
pub use http::{HttpClient, HttpRequest, HttpResponse};
pub use patient::{PatientContext, PatientDiscovery, PatientStrategy};
#[cfg(feature = "reqwest")]
pub use reqwest_http::ReqwestHttp;
pub use retry::RetryPolicy;
pub use session::{Parsing, Session, SessionOptions};
pub use sync::{SyncOptions, SyncProgress, SyncReport};
pub use token::{ClientAuth, TokenResponse};
