//! Connecting to a payer: discovery over HTTP (the `.well-known/smart-configuration`,
//! then the CapabilityStatement), the authorization request, and the code exchange that
//! starts a [`Session`].

use std::sync::Arc;

use crate::authorize::{LaunchRequest, PendingAuthorization};
use crate::callback::authorization_code;
use crate::discovery::SmartConfiguration;
use crate::error::{Error, Result};
use crate::grant::Grant;
use crate::http::{HttpClient, HttpRequest};
use crate::session::{Session, SessionOptions};
use crate::token::{ClientAuth, TokenResponse};

/// A FHIR server and what its discovery said.
#[derive(Clone)]
pub struct SmartClient {
    http: Arc<dyn HttpClient>,
    fhir_base: String,
    configuration: SmartConfiguration,
}

impl std::fmt::Debug for SmartClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmartClient")
            .field("fhir_base", &self.fhir_base)
            .field("configuration", &self.configuration)
            .finish_non_exhaustive()
    }
}

impl SmartClient {
    /// Discovers the server at `fhir_base`: `{fhir_base}/.well-known/smart-configuration`
    /// first, the CapabilityStatement's `oauth-uris` when that fails. When both fail the
    /// error lists each source and why.
    pub async fn discover(http: Arc<dyn HttpClient>, fhir_base: &str) -> Result<SmartClient> {
        let fhir_base = fhir_base.trim_end_matches('/').to_owned();
        let mut tried = Vec::new();
        // SMART: the server answers JSON whatever the Accept header says; ask anyway.
        let well_known = format!("{fhir_base}/.well-known/smart-configuration");
        let request = HttpRequest::get(&well_known).header("Accept", "application/json");
        match fetch(http.as_ref(), request).await {
            Ok(body) => match SmartConfiguration::from_well_known(&fhir_base, &body) {
                Ok(configuration) => return Ok(SmartClient::with(http, fhir_base, configuration)),
                Err(error) => tried.extend(discovery_reasons(error)),
            },
            Err(why) => tried.push(format!(".well-known/smart-configuration: {why}")),
        }
        let metadata = format!("{fhir_base}/metadata");
        let request = HttpRequest::get(&metadata).header("Accept", "application/fhir+json");
        match fetch(http.as_ref(), request).await {
            Ok(body) => match SmartConfiguration::from_capability_statement(&fhir_base, &body) {
                Ok(mut configuration) => {
                    configuration
                        .warnings
                        .extend(tried.into_iter().map(|why| format!("tried first: {why}")));
                    return Ok(SmartClient::with(http, fhir_base, configuration));
                }
                Err(error) => tried.extend(discovery_reasons(error)),
            },
            Err(why) => tried.push(format!("CapabilityStatement: {why}")),
        }
        Err(Error::Discovery { fhir_base, tried })
    }

    /// A client for a server whose configuration the app already has (configured by
    /// hand, or cached from an earlier discovery).
    pub fn with(
        http: Arc<dyn HttpClient>,
        fhir_base: impl Into<String>,
        configuration: SmartConfiguration,
    ) -> SmartClient {
        SmartClient {
            http,
            fhir_base: fhir_base.into().trim_end_matches('/').to_owned(),
            configuration,
        }
    }

    /// What discovery found.
    pub fn configuration(&self) -> &SmartConfiguration {
        &self.configuration
    }

    /// The FHIR base URL, without a final `/`.
    pub fn fhir_base(&self) -> &str {
        &self.fhir_base
    }

    /// Starts an authorization: the URL to send the member's browser to, and the secrets
    /// to keep until the redirect comes back.
    pub fn authorize(&self, request: &LaunchRequest) -> Result<PendingAuthorization> {
        PendingAuthorization::start(&self.configuration, request)
    }

    /// Finishes an authorization: checks the redirect `redirect_url` against `pending`,
    /// exchanges its code and starts a session (saving the grant to the store of
    /// `options` first). `requested_scope` stands in if the server does not say what it
    /// granted.
    pub async fn complete(
        &self,
        pending: &PendingAuthorization,
        redirect_url: &str,
        auth: ClientAuth,
        requested_scope: &str,
        options: SessionOptions,
    ) -> Result<Session> {
        let code = authorization_code(redirect_url, &pending.state)?;
        let token_endpoint = &self.configuration.token_endpoint;
        let request = auth.code_exchange(
            token_endpoint,
            &code,
            &pending.redirect_uri,
            &pending.code_verifier,
            options.clock.now(),
        )?;
        // Sent once: a code is single-use, and a retried exchange would revoke what the
        // first one gave (RFC 6749 section 4.1.2).
        let grant = self
            .grant_from(request, requested_scope, options.clock.now())
            .await?;
        Session::start(self.http.clone(), auth, grant, options).await
    }

    /// The grant the token endpoint answers `request` with, sent once at `now`.
    async fn grant_from(&self, request: HttpRequest, scope: &str, now: u64) -> Result<Grant> {
        let response = self.http.send(request).await?;
        let token = TokenResponse::parse(response.status, &response.text())?;
        Ok(Grant::from_token_response(
            &self.fhir_base,
            &self.configuration.token_endpoint,
            token,
            scope,
            now,
        ))
    }

    /// A SMART Backend Services session (SMART App Launch 2.2 section 5): a token for
    /// `scope` (`system/*.rs`...) from `client_credentials` with `auth`'s assertion, and a
    /// new one the same way whenever it is due (Backend Services have no refresh tokens).
    pub async fn backend_services(
        &self,
        auth: ClientAuth,
        scope: &str,
        options: SessionOptions,
    ) -> Result<Session> {
        let token_endpoint = &self.configuration.token_endpoint;
        let request = auth.client_credentials(token_endpoint, scope, options.clock.now())?;
        let grant = self.grant_from(request, scope, options.clock.now()).await?;
        Session::start_backend(self.http.clone(), auth, grant, scope, options).await
    }
}

/// The body of a 2xx answer, or why there is none.
async fn fetch(http: &dyn HttpClient, request: HttpRequest) -> Result<String, String> {
    match http.send(request).await {
        Ok(response) if response.is_success() => Ok(response.text()),
        Ok(response) => Err(format!("HTTP {}", response.status)),
        Err(error) => Err(error.to_string()),
    }
}

fn discovery_reasons(error: Error) -> Vec<String> {
    match error {
        Error::Discovery { tried, .. } => tried,
        other => vec![other.to_string()],
    }
}
