//! The one error type of `smart-client`: what was wrong, and where.

/// A SMART client failure. Each variant says which step failed and carries what the
/// server sent, so an app can show it and a developer can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Discovery found no usable configuration: every source tried, with why it failed.
    #[error("SMART discovery for {fhir_base} failed: {}", tried.join("; "))]
    Discovery {
        /// The FHIR base URL.
        fhir_base: String,
        /// Each source tried (`.well-known/smart-configuration`, the CapabilityStatement)
        /// and what was wrong with it.
        tried: Vec<String>,
    },
    /// The token endpoint refused, or answered something that is not a token.
    #[error("token endpoint answered HTTP {status}: {}", error.as_deref().unwrap_or("no OAuth error code"))]
    Token {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code (`invalid_grant`...), when the body had one.
        error: Option<String>,
        /// The `error_description`, when the body had one.
        description: Option<String>,
        /// The body as received (first 2,000 characters), for non-standard error bodies.
        body: String,
    },
    /// The redirect back from the authorization server is not one this client can accept.
    #[error("authorization callback: {0}")]
    Callback(String),
    /// The platform gave no randomness for the `state` and the PKCE verifier.
    #[error("no randomness for the state and the PKCE verifier: {0}")]
    Randomness(String),
    /// The authorization server (or the member) refused: `error` from the redirect.
    #[error("authorization refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    AuthorizationRefused {
        /// The OAuth error code (`access_denied`...).
        error: String,
        /// The `error_description`.
        description: Option<String>,
    },
    /// The request did not get an HTTP answer: the name did not resolve, the connection
    /// was refused or reset, TLS failed, or it timed out.
    #[error("HTTP request to {url} failed: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What the transport said.
        message: String,
    },
    /// The FHIR server answered with an error status.
    #[error("{method} {url} answered HTTP {status}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The OperationOutcome's diagnostics or details text, else the start of the body.
        detail: Option<String>,
    },
    /// The FHIR server answered 2xx with a body that is not the FHIR JSON expected.
    #[error("{url}: {message}")]
    Fhir {
        /// The URL.
        url: String,
        /// What was wrong, with the element's location (`Bundle.entry[3].resource...`).
        message: String,
    },
    /// A link (a Bundle's `next`) points to another origin than the FHIR base: the
    /// access token is not sent there (SMART App Launch 2.2, best practices).
    #[error("{url} is not on the origin of {fhir_base}: not followed with the access token")]
    OffOrigin {
        /// The link.
        url: String,
        /// The FHIR base.
        fhir_base: String,
    },
    /// The member must authorize the app again: the access token expired and there is
    /// no refresh token, or the refresh token's period is over.
    #[error("the member must authorize the app again: {why}")]
    ReauthorizationRequired {
        /// Why.
        why: String,
    },
    /// A bulk export did not go as the Bulk Data IG says: no status URL, a manifest
    /// without what it needs, or not done by the deadline.
    #[error("bulk export at {url}: {message}")]
    Export {
        /// The kick-off or status URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// A signing key could not be read, made or used.
    #[error("signing key: {0}")]
    Key(String),
    /// The `TokenStore` failed; a refreshed grant it could not save is not used.
    #[error("token store: {0}")]
    Storage(String),
    /// No patient in context could be found and confirmed: each strategy tried, with
    /// what it found.
    #[error("no patient context: {}", tried.join("; "))]
    PatientContext {
        /// Each strategy, and why it gave no confirmed patient.
        tried: Vec<String>,
    },
}

impl Error {
    /// Whether the grant is over and the member must authorize the app again
    /// (`invalid_grant`: a refresh token revoked, expired or reused; no refresh token
    /// left), as opposed to a failure worth retrying later.
    pub fn needs_reauthorization(&self) -> bool {
        match self {
            Error::Token { error: Some(e), .. } => e == "invalid_grant",
            Error::ReauthorizationRequired { .. } => true,
            _ => false,
        }
    }

    /// Whether trying the same again later may succeed: no answer (network, timeout),
    /// 429, or a 5xx.
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Http { .. } => true,
            Error::Status { status, .. } | Error::Token { status, .. } => {
                *status == 429 || *status >= 500
            }
            _ => false,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
