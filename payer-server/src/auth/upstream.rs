//! Members sign in through the payer's existing identity provider (its member portal's
//! OpenID Connect provider), so they use the login they already have: the authorization
//! server is a relying party (OpenID Connect Core 1.0, authorization code flow, with
//! PKCE S256, `state` and `nonce`), and the claims of the provider's `id_token` name the
//! member and their Patient id.
//!
//! ```text
//! authorize ─▶ "continue at <provider>" ─POST upstream/start─▶ 303 provider/authorize
//!    provider ─303─▶ upstream/callback?code&state ─(code → id_token, verified)─▶ consent
//! ```
//!
//! The provider's discovery document is read once ([`UpstreamOidc::discover`]); its keys
//! at every sign-in, so a key it rotates counts at once. Failures (the provider refused,
//! the token does not verify, a claim is missing) are a page for the member and a
//! [`super::SignInEvent`] for the support console. The provider runs its own second
//! factor: [`super::MfaPolicy`] is for the local directory.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::crypto::{self, token_key};
use super::endpoints::Form;
use super::keys::{Fetcher, fetchable};
use super::sign_in::{form_session, line_of_business_refusal, signed_in};
use super::store::{AuthStore, Session, SignInOutcome};
use super::{AuthServer, Member, SESSION_LIFETIME_MS};
use crate::error::{Error, Result};
use crate::synth::LineOfBusiness;

/// How long the provider's clock may be ahead of ours (`iat`, `exp`).
const LEEWAY_S: i64 = 60;

/// What the payer configures: the provider, this server's registration with it, and
/// which claims name the member.
#[derive(Clone)]
#[non_exhaustive]
pub struct UpstreamSettings {
    /// The provider's issuer URL (its discovery document is below it).
    pub issuer: String,
    /// This server's `client_id` at the provider.
    pub client_id: String,
    client_secret: String,
    /// The provider as members know it ("MyPlan member portal"), on the sign-in page.
    pub display_name: String,
    /// The scopes asked: `openid` and whatever releases the claims below.
    pub scope: String,
    /// The claim that is the member's user name here (the subject of their grants and of
    /// the audit trail): `sub` by default.
    pub username_claim: String,
    /// The claim carrying the member's Patient id (`123`, `Patient/123` or a URL ending
    /// in it): `patient` by default.
    pub patient_claim: String,
    /// The claim carrying the member's line of business (`medicaid`, ...), if any.
    pub line_of_business_claim: Option<String>,
}

impl std::fmt::Debug for UpstreamSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("UpstreamSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("username_claim", &self.username_claim)
            .field("patient_claim", &self.patient_claim)
            .finish_non_exhaustive()
    }
}

impl UpstreamSettings {
    /// A provider at `issuer`, where this server is the confidential client `client_id`
    /// with `client_secret` (`client_secret_basic`); `display_name` is what members read.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        display_name: impl Into<String>,
    ) -> UpstreamSettings {
        UpstreamSettings {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            display_name: display_name.into(),
            scope: "openid".to_owned(),
            username_claim: "sub".to_owned(),
            patient_claim: "patient".to_owned(),
            line_of_business_claim: None,
        }
    }

    /// With the member's user name in `username` and their Patient id in `patient`.
    pub fn with_claims(
        mut self,
        username: impl Into<String>,
        patient: impl Into<String>,
    ) -> UpstreamSettings {
        self.username_claim = username.into();
        self.patient_claim = patient.into();
        self
    }

    /// With the member's line of business in the claim `name`.
    pub fn with_line_of_business_claim(mut self, name: impl Into<String>) -> UpstreamSettings {
        self.line_of_business_claim = Some(name.into());
        self
    }

    /// Asking for `scope` (it must contain `openid`).
    pub fn with_scope(mut self, scope: impl Into<String>) -> UpstreamSettings {
        self.scope = scope.into();
        self
    }
}

/// The provider, discovered.
#[derive(Clone, Debug)]
pub struct UpstreamOidc {
    settings: UpstreamSettings,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    fetcher: Fetcher,
}

/// The part of a discovery document used here (OpenID Connect Discovery 1.0, 3).
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// A sign-in at the provider under way: what its answer must match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpstreamPending {
    /// The `nonce` the `id_token` must carry.
    pub nonce: String,
    /// The PKCE verifier of the code.
    pub code_verifier: String,
}

fn invalid(message: String) -> Error {
    Error::InvalidParam {
        name: "upstream".to_owned(),
        message,
    }
}

impl UpstreamOidc {
    /// Reads the provider's discovery document (`{issuer}/.well-known/openid-configuration`)
    /// and checks it names the same issuer and https endpoints (http on loopback hosts,
    /// for tests and local development).
    pub async fn discover(settings: UpstreamSettings) -> Result<UpstreamOidc> {
        if !settings.scope.split(' ').any(|s| s == "openid") {
            return Err(invalid(format!(
                "the scope {:?} lacks openid",
                settings.scope
            )));
        }
        let fetcher = Fetcher::new()?;
        let url = format!("{}/.well-known/openid-configuration", settings.issuer);
        let text = fetcher
            .fetch(&url, "the identity provider's discovery document")
            .await
            .map_err(invalid)?;
        let discovery: Discovery = serde_json::from_str(&text).map_err(|e| {
            invalid(format!(
                "the discovery document at {url} does not parse: {e}"
            ))
        })?;
        if discovery.issuer.trim_end_matches('/') != settings.issuer {
            return Err(invalid(format!(
                "the discovery document at {url} names the issuer {}, not {}",
                discovery.issuer, settings.issuer
            )));
        }
        for endpoint in [
            &discovery.authorization_endpoint,
            &discovery.token_endpoint,
            &discovery.jwks_uri,
        ] {
            if !fetchable(endpoint) {
                return Err(invalid(format!(
                    "the provider's endpoint {endpoint} is not https"
                )));
            }
        }
        Ok(UpstreamOidc {
            settings,
            authorization_endpoint: discovery.authorization_endpoint,
            token_endpoint: discovery.token_endpoint,
            jwks_uri: discovery.jwks_uri,
            fetcher,
        })
    }

    /// The provider as members know it.
    pub fn display_name(&self) -> &str {
        &self.settings.display_name
    }

    /// The authorization request that sends the member to the provider.
    fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        pending: &UpstreamPending,
    ) -> String {
        let challenge = crypto::pkce_challenge(&pending.code_verifier);
        let params = [
            ("response_type", "code"),
            ("client_id", self.settings.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", self.settings.scope.as_str()),
            ("state", state),
            ("nonce", pending.nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::http::encode_component(v)))
            .collect();
        let separator = if self.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{separator}{}",
            self.authorization_endpoint,
            query.join("&")
        )
    }

    /// Exchanges the provider's `code` for its `id_token`.
    async fn exchange(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> std::result::Result<String, String> {
        let encode = crate::http::encode_component;
        let body = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        let response = self
            .fetcher
            .client()
            .post(&self.token_endpoint)
            // RFC 6749 section 2.3.1: the credentials form-encoded, then Basic.
            .basic_auth(
                encode(&self.settings.client_id),
                Some(encode(&self.settings.client_secret)),
            )
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("the provider's token endpoint did not answer: {e}"))?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| {
            format!("the provider's token endpoint answered {status}, not JSON: {e}")
        })?;
        if !status.is_success() {
            return Err(format!(
                "the provider refused the code ({status}): {} {}",
                answer["error"].as_str().unwrap_or(""),
                answer["error_description"].as_str().unwrap_or("")
            ));
        }
        answer["id_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "the provider's token answer has no id_token".to_owned())
    }

    /// Verifies an `id_token` (OpenID Connect Core 1.0, 3.1.3.7): signed by one of the
    /// provider's keys with an asymmetric algorithm, `iss` the provider, `aud` this
    /// server, not expired on the server's clock, the `nonce` of this sign-in. Its claims.
    async fn verify(
        &self,
        id_token: &str,
        nonce: &str,
        now_ms: i64,
    ) -> std::result::Result<serde_json::Map<String, Value>, String> {
        crypto::install_jwt_backend();
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|e| format!("the id_token is not a JWT: {e}"))?;
        if !matches!(
            header.alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::ES256
                | Algorithm::ES384
        ) {
            return Err(format!(
                "the id_token is signed with {:?}, not an asymmetric algorithm",
                header.alg
            ));
        }
        let jwks = self
            .fetcher
            .fetch(&self.jwks_uri, "the provider's JWK Set")
            .await?;
        let set: JwkSet = serde_json::from_str(&jwks)
            .map_err(|e| format!("the provider's JWK Set does not parse: {e}"))?;
        let candidates: Vec<_> = match &header.kid {
            Some(kid) => set.find(kid).into_iter().collect(),
            None => set.keys.iter().collect(),
        };
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.settings.client_id]);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_required_spec_claims(&["iss", "sub", "aud", "exp"]);
        // Expiry against the server's clock, below.
        validation.validate_exp = false;
        let mut last_error = format!(
            "no key of the provider has the id_token's kid {:?}",
            header.kid.unwrap_or_default()
        );
        for jwk in candidates {
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            match jsonwebtoken::decode::<serde_json::Map<String, Value>>(
                id_token,
                &key,
                &validation,
            ) {
                Ok(data) => {
                    let claims = data.claims;
                    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
                    if exp + LEEWAY_S <= now_ms / 1000 {
                        return Err("the id_token has expired".to_owned());
                    }
                    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
                        return Err("the id_token's nonce is not this sign-in's".to_owned());
                    }
                    return Ok(claims);
                }
                Err(e) => last_error = format!("the id_token does not verify: {e}"),
            }
        }
        Err(last_error)
    }

    /// The member the claims name; the error names the claim that is missing or wrong.
    fn member(
        &self,
        claims: &serde_json::Map<String, Value>,
    ) -> std::result::Result<Member, String> {
        let settings = &self.settings;
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let username = text(&settings.username_claim).ok_or_else(|| {
            format!(
                "the id_token has no {:?} claim (the member's user name)",
                settings.username_claim
            )
        })?;
        let patient = text(&settings.patient_claim).ok_or_else(|| {
            format!(
                "the id_token has no {:?} claim (the member's Patient id)",
                settings.patient_claim
            )
        })?;
        // `123`, `Patient/123` or `https://.../Patient/123`.
        let patient_id = patient
            .rsplit_once("Patient/")
            .map_or(patient, |(_, id)| id);
        // FHIR R4 id: [A-Za-z0-9\-\.]{1,64}.
        if patient_id.is_empty()
            || patient_id.len() > 64
            || !patient_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(format!(
                "the {:?} claim {patient:?} is not a Patient id",
                settings.patient_claim
            ));
        }
        let mut member = Member::new(username, patient_id);
        member.line_of_business = settings
            .line_of_business_claim
            .as_deref()
            .and_then(text)
            .and_then(LineOfBusiness::from_code);
        Ok(member)
    }
}

/// `POST /upstream/start`: sends the member to the provider, for the sign-in of an
/// authorization request (the form's session) or of the connected apps page (none).
pub(super) async fn start<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let Some(upstream) = server.inner.config.upstream.clone() else {
        return server.error_page(StatusCode::NOT_FOUND, "no identity provider is configured");
    };
    let has_session = Form::body(&body).is_ok_and(|f| f.get("session").is_some());
    let mut session = if has_session {
        match form_session(&server, &body).await {
            Ok((_, key, session)) => {
                // The sign-in continues under the state's key: the old one ends.
                if let Err(e) = server.inner.store.end_session(&key).await {
                    return server.unavailable(&e);
                }
                session
            }
            Err(page) => return page,
        }
    } else {
        Session::new(None, server.now_ms() + SESSION_LIFETIME_MS)
    };
    let pending = UpstreamPending {
        nonce: crypto::random_token(),
        code_verifier: crypto::random_token(),
    };
    let state = crypto::random_token();
    let url = upstream.authorization_url(&callback_url(&server), &state, &pending);
    session.upstream = Some(pending);
    if let Err(e) = server
        .inner
        .store
        .put_session(&token_key(&state), session)
        .await
    {
        return server.unavailable(&e);
    }
    match HeaderValue::from_str(&url) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => server.error_page(
            StatusCode::BAD_GATEWAY,
            "the identity provider's address is not valid",
        ),
    }
}

fn callback_url<A>(server: &AuthServer<A>) -> String {
    format!("{}/upstream/callback", server.inner.config.issuer)
}

/// `GET /upstream/callback`: the provider's answer.
pub(super) async fn callback<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(upstream) = server.inner.config.upstream.clone() else {
        return server.error_page(StatusCode::NOT_FOUND, "no identity provider is configured");
    };
    let params: HashMap<String, String> =
        match crate::http::form_urlencoded(query.as_deref().unwrap_or("")) {
            Ok(pairs) => pairs.into_iter().collect(),
            Err(_) => {
                return server.error_page(StatusCode::BAD_REQUEST, "the answer does not decode");
            }
        };
    let expired = || {
        server.error_page(
            StatusCode::BAD_REQUEST,
            "this sign-in has expired or was completed already: go back to the app and start again",
        )
    };
    let Some(state) = params.get("state") else {
        return expired();
    };
    let state_key = token_key(state);
    let mut session = match server
        .inner
        .store
        .session(&state_key, server.now_ms())
        .await
    {
        Ok(Some(session)) => session,
        Ok(None) => return expired(),
        Err(e) => return server.unavailable(&e),
    };
    // One answer per sign-in: a replayed callback finds nothing.
    if let Err(e) = server.inner.store.end_session(&state_key).await {
        return server.unavailable(&e);
    }
    let Some(pending) = session.upstream.take() else {
        return expired();
    };
    let client_id = session.request.as_ref().map(|r| r.client_id.clone());
    let provider = upstream.display_name();
    let fail = |status: StatusCode, subject: Option<String>, outcome, detail: String| {
        let server = server.clone();
        let client_id = client_id.clone();
        async move {
            server
                .record(
                    subject.as_deref(),
                    client_id.as_deref(),
                    outcome,
                    detail.clone(),
                )
                .await;
            server.error_page(status, &detail)
        }
    };
    if let Some(error) = params.get("error") {
        let description = params
            .get("error_description")
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let status = if error == "access_denied" {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::BAD_GATEWAY
        };
        return fail(
            status,
            None,
            SignInOutcome::UpstreamError,
            format!("Signing in at {provider} did not complete ({error}{description}). Go back to the app to try again."),
        )
        .await;
    }
    let Some(code) = params.get("code") else {
        return fail(
            StatusCode::BAD_GATEWAY,
            None,
            SignInOutcome::UpstreamError,
            format!("{provider} answered without a code. Go back to the app to try again."),
        )
        .await;
    };
    let verified = match upstream
        .exchange(code, &callback_url(&server), &pending.code_verifier)
        .await
    {
        Ok(id_token) => {
            upstream
                .verify(&id_token, &pending.nonce, server.now_ms())
                .await
        }
        Err(e) => Err(e),
    };
    let claims = match verified {
        Ok(claims) => claims,
        Err(reason) => {
            return fail(
                StatusCode::BAD_GATEWAY,
                None,
                SignInOutcome::UpstreamError,
                format!(
                    "Signing in at {provider} failed: {reason}. Go back to the app to try again."
                ),
            )
            .await;
        }
    };
    let member = match upstream.member(&claims) {
        Ok(member) => member,
        Err(reason) => {
            let subject = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
            return fail(
                StatusCode::FORBIDDEN,
                subject,
                SignInOutcome::ClaimMapping,
                format!(
                    "You signed in at {provider}, but your account there does not say which \
                     member you are ({reason}). Call member services: they can see what \
                     went wrong."
                ),
            )
            .await;
        }
    };
    if let Some(refusal) = line_of_business_refusal(&server, &member) {
        return fail(
            StatusCode::FORBIDDEN,
            Some(member.username.clone()),
            SignInOutcome::LineOfBusinessNotServed,
            refusal,
        )
        .await;
    }
    session.patient_id = Some(member.patient_id.clone());
    // The state travelled in URLs: the rest of the sign-in is under a fresh key.
    let raw = crypto::random_token();
    signed_in(
        &server,
        &token_key(&raw),
        &raw,
        session,
        &member.username,
        &[],
    )
    .await
}
