//! The token endpoint's answers, read leniently: real servers send `expires_in` as a
//! string or a float, `scope` as an array or not at all, `Patient/123` as the patient,
//! `bearer` in lower case, success with 201 or a `text/plain` type, and errors that are
//! not RFC 6749 JSON. Each tolerance is recorded in [`TokenResponse::tolerated`], so an
//! app (or its support team) can see what the server got wrong.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::HttpRequest;

/// A successful token response (SMART App Launch 2.2 section 2.0.9; RFC 6749 section 5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `token_type`, normalised to `Bearer` when it says bearer in any case.
    pub token_type: String,
    /// Seconds the access token lives, as sent (`None` when the server did not say).
    pub expires_in: Option<u64>,
    /// The scopes granted (`None` when the server did not say).
    pub scope: Option<String>,
    /// The refresh token, when one came: the only sign that the grant can be refreshed.
    pub refresh_token: Option<String>,
    /// The refresh token's lifetime in seconds (`refresh_expires_in`), when sent.
    pub refresh_expires_in: Option<u64>,
    /// The `id_token` (OpenID Connect), not yet verified.
    pub id_token: Option<String>,
    /// The patient in context, as a bare id (`Patient/123` and absolute URLs reduced).
    pub patient: Option<String>,
    /// The encounter in context, as a bare id.
    pub encounter: Option<String>,
    /// The members this type does not read (`authorization_details`, `fhirContext`,
    /// `patient_id`, `access_grant_expiration`...), for patient-context discovery and
    /// diagnostics. The tokens themselves are never in it.
    pub other: Map<String, Value>,
    /// What the server got wrong and the client accepted anyway.
    pub tolerated: Vec<String>,
}

/// Members [`TokenResponse`] reads into fields of its own.
const TYPED_MEMBERS: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "scope",
    "refresh_token",
    "refresh_expires_in",
    "id_token",
    "patient",
    "encounter",
];

/// The longest body kept in an error.
const MAX_ERROR_BODY: usize = 2_000;

impl TokenResponse {
    /// Reads the answer of the token endpoint: `status` and `body`. Any 2xx whose body is
    /// a JSON object with an `access_token` is a success; anything else is
    /// [`Error::Token`] with the OAuth error code when the body has one.
    pub fn parse(status: u16, body: &str) -> Result<TokenResponse> {
        let value: Option<Value> = serde_json::from_str(body.trim_start_matches('\u{feff}')).ok();
        let token_error = |value: Option<&Value>| {
            let text = |key: &str| {
                value
                    .and_then(|v| v.get(key))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            Error::Token {
                status,
                error: text("error"),
                description: text("error_description").or_else(|| text("message")),
                body: body.chars().take(MAX_ERROR_BODY).collect(),
            }
        };
        let Some(value) = value.filter(|v| v.is_object()) else {
            return Err(token_error(None));
        };
        let access_token = match value.get("access_token").and_then(Value::as_str) {
            Some(token) if (200..300).contains(&status) && !token.is_empty() => token.to_owned(),
            _ => return Err(token_error(Some(&value))),
        };
        let mut tolerated = Vec::new();
        if status != 200 {
            tolerated.push(format!("success answered with HTTP {status}, not 200"));
        }
        let token_type = match value.get("token_type").and_then(Value::as_str) {
            Some(t) if t == "Bearer" => t.to_owned(),
            Some(t) if t.eq_ignore_ascii_case("bearer") => {
                tolerated.push(format!("token_type {t:?}: read as Bearer"));
                "Bearer".to_owned()
            }
            Some(t) => t.to_owned(),
            None => {
                tolerated.push("no token_type: Bearer assumed".to_owned());
                "Bearer".to_owned()
            }
        };
        let expires_in = seconds(&value, "expires_in", &mut tolerated);
        if expires_in.is_none() && value.get("expires_in").is_none() {
            tolerated.push("no expires_in".to_owned());
        }
        let scope = match value.get("scope") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(items)) => {
                tolerated.push("scope is an array: joined with spaces".to_owned());
                Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            }
            _ => {
                tolerated.push("no scope (required)".to_owned());
                None
            }
        };
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let patient = text("patient").map(|raw| bare_id(&raw, "Patient", &mut tolerated));
        let encounter = text("encounter").map(|raw| bare_id(&raw, "Encounter", &mut tolerated));
        let other = value
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| !TYPED_MEMBERS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Ok(TokenResponse {
            other,
            access_token,
            token_type,
            expires_in,
            scope,
            refresh_token: text("refresh_token"),
            refresh_expires_in: seconds(&value, "refresh_expires_in", &mut tolerated),
            id_token: text("id_token"),
            patient,
            encounter,
            tolerated,
        })
    }
}

/// How the app authenticates at the token endpoint (SMART App Launch 2.2 sections 2.0.8
/// and 2.1). Secrets stay out of `Debug`.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public app (a browser or native app without a secret): `client_id` in the body,
    /// PKCE as the proof.
    Public {
        /// The app's `client_id`.
        client_id: String,
    },
    /// A confidential app with a secret sent as HTTP Basic (`client_secret_basic`, what
    /// SMART asks of symmetric clients).
    SecretBasic {
        /// The app's `client_id`.
        client_id: String,
        /// Its secret.
        secret: String,
    },
    /// A confidential app with a secret sent in the body (`client_secret_post`), for
    /// servers that take no Basic header.
    SecretPost {
        /// The app's `client_id`.
        client_id: String,
        /// Its secret.
        secret: String,
    },
    /// A confidential app or a Backend Services client that signs an assertion with its
    /// private key (`private_key_jwt`; SMART's `client-confidential-asymmetric`). Native
    /// only.
    #[cfg(not(target_arch = "wasm32"))]
    PrivateKeyJwt {
        /// The app's `client_id`.
        client_id: String,
        /// Its key.
        key: std::sync::Arc<crate::backend::SigningKey>,
        /// The `jku` header: the JWK Set URL the app registered, when it registered one
        /// (SMART: it must then equal that URL).
        jku: Option<String>,
    },
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            ClientAuth::Public { .. } => "Public",
            ClientAuth::SecretBasic { .. } => "SecretBasic",
            ClientAuth::SecretPost { .. } => "SecretPost",
            #[cfg(not(target_arch = "wasm32"))]
            ClientAuth::PrivateKeyJwt { .. } => "PrivateKeyJwt",
        };
        f.debug_struct(kind)
            .field("client_id", &self.client_id())
            .finish_non_exhaustive()
    }
}

impl ClientAuth {
    /// A public app.
    pub fn public(client_id: impl Into<String>) -> ClientAuth {
        ClientAuth::Public {
            client_id: client_id.into(),
        }
    }

    /// A confidential app with a secret, sent as HTTP Basic.
    pub fn secret_basic(client_id: impl Into<String>, secret: impl Into<String>) -> ClientAuth {
        ClientAuth::SecretBasic {
            client_id: client_id.into(),
            secret: secret.into(),
        }
    }

    /// A confidential app or Backend Services client signing with `key`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn private_key_jwt(
        client_id: impl Into<String>,
        key: crate::backend::SigningKey,
    ) -> ClientAuth {
        ClientAuth::PrivateKeyJwt {
            client_id: client_id.into(),
            key: std::sync::Arc::new(key),
            jku: None,
        }
    }

    /// The app's `client_id`.
    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::Public { client_id }
            | ClientAuth::SecretBasic { client_id, .. }
            | ClientAuth::SecretPost { client_id, .. } => client_id,
            #[cfg(not(target_arch = "wasm32"))]
            ClientAuth::PrivateKeyJwt { client_id, .. } => client_id,
        }
    }

    /// A token request to `token_endpoint` carrying `pairs` and this authentication.
    /// `now` (Unix seconds) dates a client assertion; the server judges it by its clock.
    fn request(
        &self,
        token_endpoint: &str,
        pairs: Vec<(&str, &str)>,
        now: u64,
    ) -> Result<HttpRequest> {
        // Only assertions (native) are dated.
        #[cfg(target_arch = "wasm32")]
        let _ = now;
        #[cfg(not(target_arch = "wasm32"))]
        let assertion;
        // Declared after `assertion`, so it may hold references to it.
        let mut pairs = pairs;
        match self {
            ClientAuth::Public { client_id } => pairs.push(("client_id", client_id)),
            ClientAuth::SecretPost { client_id, secret } => {
                pairs.extend([("client_id", client_id.as_str()), ("client_secret", secret)]);
            }
            ClientAuth::SecretBasic { .. } => {}
            #[cfg(not(target_arch = "wasm32"))]
            ClientAuth::PrivateKeyJwt {
                client_id,
                key,
                jku,
            } => {
                assertion = key.assertion(client_id, token_endpoint, jku.as_deref(), now)?;
                pairs.extend([
                    ("client_assertion_type", crate::backend::JWT_BEARER),
                    ("client_assertion", assertion.as_str()),
                ]);
            }
        }
        let request = HttpRequest::post_form(token_endpoint, pairs);
        match self {
            ClientAuth::SecretBasic { client_id, secret } => {
                // RFC 6749 section 2.3.1: each part form-encoded before the Basic encoding.
                let encode = |text: &str| {
                    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
                };
                let credentials = format!("{}:{}", encode(client_id), encode(secret));
                Ok(request.header(
                    "Authorization",
                    format!("Basic {}", STANDARD.encode(credentials)),
                ))
            }
            _ => Ok(request),
        }
    }

    /// The exchange of an authorization code (SMART App Launch 2.2 section 2.0.8). `now`
    /// (Unix seconds) dates a client assertion, for [`ClientAuth::PrivateKeyJwt`].
    pub fn code_exchange(
        &self,
        token_endpoint: &str,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        now: u64,
    ) -> Result<HttpRequest> {
        self.request(
            token_endpoint,
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier),
            ],
            now,
        )
    }

    /// A refresh (SMART App Launch 2.2 section 2.0.10): the app authenticates as it did
    /// at the code exchange (which fhirclient.js does not do for asymmetric apps).
    pub fn refresh(
        &self,
        token_endpoint: &str,
        refresh_token: &str,
        now: u64,
    ) -> Result<HttpRequest> {
        self.request(
            token_endpoint,
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
            now,
        )
    }

    /// A `client_credentials` request for `scope` (SMART Backend Services section 5.2;
    /// with a secret, what some servers give apps for their own tokens).
    pub fn client_credentials(
        &self,
        token_endpoint: &str,
        scope: &str,
        now: u64,
    ) -> Result<HttpRequest> {
        self.request(
            token_endpoint,
            vec![("grant_type", "client_credentials"), ("scope", scope)],
            now,
        )
    }
}

/// A number of seconds: an integer, or a float or a string holding one (tolerated).
fn seconds(value: &Value, key: &str, tolerated: &mut Vec<String>) -> Option<u64> {
    match value.get(key)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            let float = n.as_f64().filter(|f| *f >= 0.0)?;
            tolerated.push(format!("{key} {n} is not an integer: rounded down"));
            Some(float as u64)
        }),
        Value::String(s) => {
            let parsed = s.trim().parse::<f64>().ok().filter(|f| *f >= 0.0)?;
            tolerated.push(format!("{key} is a string ({s:?}): read as a number"));
            Some(parsed as u64)
        }
        _ => None,
    }
}

/// The bare id of a context value: `Patient/123`, `https://base/Patient/123` and
/// `Patient/123/_history/2` become `123` (SMART sends the bare id; servers differ).
fn bare_id(raw: &str, resource_type: &str, tolerated: &mut Vec<String>) -> String {
    let raw = raw.trim();
    let marker = format!("{resource_type}/");
    let Some(start) = raw.rfind(&marker) else {
        return raw.to_owned();
    };
    let rest = &raw[start + marker.len()..];
    let id = rest.split('/').next().unwrap_or(rest).to_owned();
    tolerated.push(format!(
        "{} {raw:?} is a reference, not an id: read as {id}",
        resource_type.to_ascii_lowercase()
    ));
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conformant_response_is_read_as_sent() -> Result<()> {
        let token = TokenResponse::parse(
            200,
            r#"{"access_token": "a", "token_type": "Bearer", "expires_in": 3600,
                "scope": "launch/patient patient/*.rs offline_access", "patient": "123",
                "refresh_token": "r", "refresh_expires_in": 7776000, "id_token": "x.y.z"}"#,
        )?;
        assert_eq!(token.expires_in, Some(3600));
        assert_eq!(token.patient.as_deref(), Some("123"));
        assert_eq!(token.refresh_token.as_deref(), Some("r"));
        assert_eq!(token.refresh_expires_in, Some(7_776_000));
        assert!(token.tolerated.is_empty(), "{:?}", token.tolerated);
        Ok(())
    }

    #[test]
    fn quirks_of_real_servers_are_tolerated_and_recorded() -> Result<()> {
        let token = TokenResponse::parse(
            201,
            r#"{"access_token": "a", "token_type": "bearer", "expires_in": "3600",
                "scope": ["patient/*.read", "openid"], "patient": "Patient/-19990000001234"}"#,
        )?;
        assert_eq!(token.token_type, "Bearer");
        assert_eq!(token.expires_in, Some(3600));
        assert_eq!(token.scope.as_deref(), Some("patient/*.read openid"));
        assert_eq!(token.patient.as_deref(), Some("-19990000001234"));
        assert_eq!(token.tolerated.len(), 5, "{:?}", token.tolerated);

        let token = TokenResponse::parse(
            200,
            r#"{"access_token": "a", "expires_in": 16768.52,
                "patient": "https://payer.example/fhir/Patient/p1/_history/3"}"#,
        )?;
        assert_eq!(token.expires_in, Some(16_768));
        assert_eq!(token.patient.as_deref(), Some("p1"));
        assert_eq!(token.scope, None);
        assert!(token.tolerated.iter().any(|t| t.contains("no scope")));
        assert!(token.tolerated.iter().any(|t| t.contains("no token_type")));
        Ok(())
    }

    #[test]
    fn errors_keep_the_oauth_code_or_the_raw_body() {
        let error = TokenResponse::parse(
            400,
            r#"{"error": "invalid_grant", "error_description": "the refresh token was used before"}"#,
        )
        .err();
        assert!(
            error.as_ref().is_some_and(Error::needs_reauthorization),
            "{error:?}"
        );

        // Not RFC 6749: a message field, or HTML.
        match TokenResponse::parse(
            401,
            r#"{"status_code": 401, "message": "Unauthorized client"}"#,
        ) {
            Err(Error::Token {
                status: 401,
                error: None,
                description,
                ..
            }) => {
                assert_eq!(description.as_deref(), Some("Unauthorized client"));
            }
            other => panic!("{other:?}"),
        }
        match TokenResponse::parse(502, "<html><body>Bad gateway</body></html>") {
            Err(error @ Error::Token { status: 502, .. }) => {
                assert!(!error.needs_reauthorization());
                assert!(
                    matches!(&error, Error::Token { body, .. } if body.contains("Bad gateway"))
                );
            }
            other => panic!("{other:?}"),
        }
        // A 200 without an access token is not a success either.
        assert!(TokenResponse::parse(200, r#"{"token_type": "Bearer"}"#).is_err());
    }
}
