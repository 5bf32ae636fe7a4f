//! The crate's error type. Every variant knows the HTTP status and `OperationOutcome`
//! issue code it answers with.

use fhir_model::outcome::IssueType;
use fhir_model::resources::OperationOutcome;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A search or request parameter is malformed or not supported.
    #[error("parameter '{name}' {message}")]
    InvalidParam {
        /// The parameter as sent (`service-date`, `_count`).
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// No such resource, or no such resource type on this server.
    #[error("{0} not found")]
    NotFound(String),
    /// The resource was deleted (410).
    #[error("{0} was deleted")]
    Gone(String),
    /// A resource sent to the server is not valid FHIR (or breaks its profile when the
    /// server rejects invalid data); nothing was written.
    #[error("invalid resource: {0}")]
    InvalidResource(String),
    /// The client asked for a format this server does not produce (it speaks FHIR JSON).
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
    /// The request is well-formed but the server does not do this.
    #[error("not supported: {0}")]
    NotSupported(String),
    /// The request carries no valid credentials (401, with `WWW-Authenticate: Bearer`).
    #[error("not authorized: {0}")]
    Unauthorized(String),
    /// The credentials are valid but do not cover this request (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The store failed. The message is for logs; clients get a generic text.
    #[error("storage error: {0}")]
    Store(String),
    /// Another request changed the same resource at the same moment, and trying again
    /// did not settle it (409): nothing was done, and the same request may succeed now.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store cannot be reached for now (its database is restarting or down): nothing
    /// was done, and the same request may succeed later (503). The message is for logs.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    pub(crate) fn invalid_param(name: &str, message: &str) -> Error {
        Error::InvalidParam {
            name: name.to_owned(),
            message: message.to_owned(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidParam { .. } | Error::InvalidResource(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::Gone(_) => 410,
            Error::Conflict(_) => 409,
            Error::NotAcceptable(_) => 406,
            Error::NotSupported(_) => 501,
            Error::Store(_) => 500,
            Error::Unavailable(_) => 503,
        }
    }

    /// The `OperationOutcome.issue.code`.
    pub fn issue_type(&self) -> IssueType {
        match self {
            Error::InvalidParam { .. } => IssueType::Value,
            Error::InvalidResource(_) => IssueType::Invalid,
            Error::Unauthorized(_) => IssueType::Login,
            Error::Forbidden(_) => IssueType::Forbidden,
            Error::NotFound(_) => IssueType::NotFound,
            Error::Gone(_) => IssueType::Deleted,
            Error::Conflict(_) => IssueType::Conflict,
            Error::NotAcceptable(_) | Error::NotSupported(_) => IssueType::NotSupported,
            Error::Store(_) => IssueType::Exception,
            Error::Unavailable(_) => IssueType::Transient,
        }
    }

    /// The `OperationOutcome` a client receives. Store failures are not described to
    /// clients: their text may carry internals.
    pub fn to_operation_outcome(&self) -> OperationOutcome {
        let text = match self {
            Error::Store(_) => "internal storage error; the request changed nothing".to_owned(),
            Error::Unavailable(_) => {
                "the database is unavailable for now; the request changed nothing: try again"
                    .to_owned()
            }
            Error::Conflict(_) => "another request wrote the same resource at the same \
                                   moment; this one changed nothing: try again"
                .to_owned(),
            other => other.to_string(),
        };
        OperationOutcome::error(self.issue_type(), text)
    }
}
