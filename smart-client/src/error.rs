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
}

impl Error {
    /// Whether the grant is over and the member must authorize the app again
    /// (`invalid_grant`: a refresh token revoked, expired or reused), as opposed to a
    /// failure worth retrying later.
    pub fn needs_reauthorization(&self) -> bool {
        matches!(self, Error::Token { error: Some(e), .. } if e == "invalid_grant")
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
