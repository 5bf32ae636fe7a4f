//! The authorization request of a standalone launch (SMART App Launch 2.2 section 2.0.5):
//! the URL to send the member's browser to, with PKCE S256 (RFC 7636) and a `state` of
//! 256 random bits, and the secrets to keep until the redirect comes back.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::discovery::SmartConfiguration;
use crate::error::{Error, Result};

/// The `aud` an authorization request sends (SMART App Launch 2.2 section 2.0.5: the FHIR
/// base). Servers differ: some refuse it (Cigna, NextGen, VA), some want another value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Audience {
    /// The FHIR base, without a final `/` (what SMART asks).
    #[default]
    FhirBase,
    /// No `aud` at all.
    Omit,
    /// This value.
    Custom(String),
}

/// What an app asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LaunchRequest {
    /// The app's `client_id`.
    pub client_id: String,
    /// Its redirect URI, exactly as registered.
    pub redirect_uri: String,
    /// The scopes, space-separated (`launch/patient openid fhirUser offline_access
    /// patient/*.rs`).
    pub scope: String,
    /// The FHIR base URL the token is for (`aud`).
    pub fhir_base: String,
    /// The `launch` value of an EHR or portal launch (section 2.0.4), echoed to the
    /// authorization server; `None` for a standalone launch.
    pub launch: Option<String>,
    /// The `aud` to send.
    pub audience: Audience,
    /// More parameters for the authorization URL, for servers that want them (`lang`).
    pub extra_params: Vec<(String, String)>,
}

impl LaunchRequest {
    /// A standalone patient launch asking for `scope`.
    pub fn new(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        scope: impl Into<String>,
        fhir_base: impl Into<String>,
    ) -> LaunchRequest {
        LaunchRequest {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scope: scope.into(),
            fhir_base: fhir_base.into(),
            launch: None,
            audience: Audience::FhirBase,
            extra_params: Vec::new(),
        }
    }

    /// Sends `audience` as `aud`.
    pub fn with_audience(mut self, audience: Audience) -> LaunchRequest {
        self.audience = audience;
        self
    }

    /// Adds `name=value` to the authorization URL.
    pub fn with_param(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> LaunchRequest {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// The same request as the answer to an EHR or portal launch: the app was opened with
    /// `iss` (which must be this request's FHIR base) and `launch`. The `launch` scope is
    /// added when missing, as SMART requires.
    pub fn from_ehr_launch(mut self, launch: impl Into<String>) -> LaunchRequest {
        if !self.scope.split_ascii_whitespace().any(|s| s == "launch") {
            self.scope = format!("launch {}", self.scope).trim_end().to_owned();
        }
        self.launch = Some(launch.into());
        self
    }
}

/// An authorization request on its way: the URL for the browser, and what the app keeps
/// (in its session, never in the URL) to check the redirect and exchange the code.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingAuthorization {
    /// Where to send the member's browser.
    pub url: String,
    /// The `state` sent: the redirect must carry it back.
    pub state: String,
    /// The PKCE code verifier: the code exchange must send it.
    pub code_verifier: String,
    /// The redirect URI sent: the code exchange must send it again.
    pub redirect_uri: String,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The verifier and the state are secrets until the exchange is done.
        f.debug_struct("PendingAuthorization")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// An authorization the app kept while the browser was away (a browser app keeps it
    /// in `sessionStorage` across the redirect, which reloads the page).
    pub fn restore(
        url: impl Into<String>,
        state: impl Into<String>,
        code_verifier: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> PendingAuthorization {
        PendingAuthorization {
            url: url.into(),
            state: state.into(),
            code_verifier: code_verifier.into(),
            redirect_uri: redirect_uri.into(),
        }
    }

    /// Starts `request` against the server `config` describes.
    pub fn start(
        config: &SmartConfiguration,
        request: &LaunchRequest,
    ) -> Result<PendingAuthorization> {
        let state = random_secret()?;
        let code_verifier = random_secret()?;
        PendingAuthorization::with_secrets(config, request, state, code_verifier)
    }

    fn with_secrets(
        config: &SmartConfiguration,
        request: &LaunchRequest,
        state: String,
        code_verifier: String,
    ) -> Result<PendingAuthorization> {
        let endpoint =
            config
                .authorization_endpoint
                .as_deref()
                .ok_or_else(|| Error::Discovery {
                    fhir_base: request.fhir_base.clone(),
                    tried: vec![
                        "the server has no authorization_endpoint: it takes backend \
                             services only"
                            .to_owned(),
                    ],
                })?;
        let challenge = code_challenge(&code_verifier);
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", request.client_id.as_str()),
            ("redirect_uri", request.redirect_uri.as_str()),
            ("scope", request.scope.as_str()),
            ("state", state.as_str()),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        match &request.audience {
            Audience::FhirBase => params.push(("aud", request.fhir_base.trim_end_matches('/'))),
            Audience::Custom(aud) => params.push(("aud", aud)),
            Audience::Omit => {}
        }
        if let Some(launch) = &request.launch {
            params.push(("launch", launch));
        }
        params.extend(
            request
                .extra_params
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        Ok(PendingAuthorization {
            url: format!("{endpoint}{separator}{query}"),
            state,
            code_verifier,
            redirect_uri: request.redirect_uri.clone(),
        })
    }
}

/// 256 random bits, base64url (43 characters): valid as a `state` (SMART asks at least
/// 122 bits) and as a PKCE verifier (RFC 7636 section 4.1: 43 to 128 unreserved
/// characters).
fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Randomness(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of a verifier: BASE64URL(SHA256(verifier)), no padding.
pub fn code_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Result<SmartConfiguration> {
        SmartConfiguration::from_well_known(
            "https://payer.example/fhir",
            r#"{"authorization_endpoint": "https://payer.example/auth/authorize",
                "token_endpoint": "https://payer.example/auth/token",
                "capabilities": ["launch-standalone"], "code_challenge_methods_supported": ["S256"]}"#,
        )
    }

    #[test]
    fn the_challenge_is_rfc_7636_s256() {
        // RFC 7636 appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_url_carries_every_parameter_encoded() -> Result<()> {
        let request = LaunchRequest::new(
            "app 1",
            "https://app.example/cb?x=1",
            "launch/patient patient/*.rs",
            "https://payer.example/fhir/",
        );
        let pending = PendingAuthorization::with_secrets(
            &config()?,
            &request,
            "state-1".to_owned(),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned(),
        )?;
        assert_eq!(
            pending.url,
            "https://payer.example/auth/authorize?response_type=code&client_id=app+1\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1\
             &scope=launch%2Fpatient+patient%2F*.rs&state=state-1\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&aud=https%3A%2F%2Fpayer.example%2Ffhir"
        );
        Ok(())
    }

    #[test]
    fn aud_can_be_left_out_or_replaced_and_extra_parameters_added() -> Result<()> {
        let request = LaunchRequest::new(
            "app",
            "https://app.example/cb",
            "patient/*.rs",
            "https://payer.example/fhir",
        );
        let omitted = PendingAuthorization::start(
            &config()?,
            &request.clone().with_audience(Audience::Omit),
        )?;
        assert!(!omitted.url.contains("aud="), "{}", omitted.url);
        let custom = request
            .with_audience(Audience::Custom("https://payer.example/fhir/".to_owned()))
            .with_param("lang", "es");
        let pending = PendingAuthorization::start(&config()?, &custom)?;
        assert!(
            pending
                .url
                .ends_with("&aud=https%3A%2F%2Fpayer.example%2Ffhir%2F&lang=es"),
            "{}",
            pending.url
        );
        Ok(())
    }

    #[test]
    fn an_ehr_launch_echoes_launch_and_asks_the_launch_scope() -> Result<()> {
        let request = LaunchRequest::new(
            "app",
            "https://app.example/cb",
            "openid fhirUser patient/*.rs",
            "https://payer.example/fhir",
        )
        .from_ehr_launch("xyz 1");
        assert_eq!(request.scope, "launch openid fhirUser patient/*.rs");
        let pending = PendingAuthorization::start(&config()?, &request)?;
        assert!(pending.url.contains("&launch=xyz+1"), "{}", pending.url);
        assert!(
            pending.url.contains("scope=launch+openid"),
            "{}",
            pending.url
        );
        Ok(())
    }

    #[test]
    fn every_start_has_fresh_secrets_of_256_bits() -> Result<()> {
        let request = LaunchRequest::new(
            "app",
            "https://app.example/cb",
            "patient/*.rs",
            "https://payer.example/fhir",
        );
        let (a, b) = (
            PendingAuthorization::start(&config()?, &request)?,
            PendingAuthorization::start(&config()?, &request)?,
        );
        assert_ne!(a.state, b.state);
        assert_ne!(a.code_verifier, b.code_verifier);
        assert_eq!((a.state.len(), a.code_verifier.len()), (43, 43));
        assert!(a.url.contains(&format!(
            "code_challenge={}",
            code_challenge(&a.code_verifier)
        )));
        assert!(
            !format!("{a:?}").contains(&a.code_verifier),
            "secrets stay out of logs"
        );
        Ok(())
    }
}
