//! The one error type of this crate, and the issues lenient parsing reports.

use std::fmt;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
///
/// Messages never contain the values being parsed (they may be PHI); they say what was
/// wrong and where (a FHIRPath-like location such as `Patient.name[0].given[1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed JSON.
    #[error("invalid JSON at line {line}, column {column} ({path}): {message}")]
    Syntax {
        /// 1-based line of the offending byte.
        line: usize,
        /// 1-based column (in bytes) of the offending byte.
        column: usize,
        /// The element being read, FHIRPath-like (`Patient.name[0]`).
        path: String,
        /// What the parser expected or found.
        message: String,
    },
    /// The input is JSON but not a valid FHIR resource (strict mode): see the issue.
    #[error("{0}")]
    Invalid(Box<Issue>),
    /// A primitive value (date, decimal, integer, ...) does not match its FHIR format.
    #[error("invalid {type_name}: {reason}")]
    InvalidPrimitive {
        /// The FHIR primitive type, e.g. `dateTime`.
        type_name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid_primitive(type_name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidPrimitive {
            type_name,
            reason: reason.into(),
        }
    }

    /// The issue behind this error, if the input was JSON but not valid FHIR.
    pub fn issue(&self) -> Option<&Issue> {
        match self {
            Error::Invalid(issue) => Some(issue),
            _ => None,
        }
    }
}

/// How bad an [`Issue`] is (the `OperationOutcome.issue.severity` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// The data could not be used as it is; in lenient mode it was kept as an unknown element.
    Error,
    /// The data was kept, but is not conformant.
    Warning,
}

impl Severity {
    /// The FHIR `issue-severity` code.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What kind of problem an [`Issue`] describes. Stable: match on it rather than on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssueKind {
    /// A JSON key that is not an element of this type.
    UnknownElement,
    /// A JSON value of the wrong kind (a string where an object belongs, ...).
    WrongType,
    /// A primitive whose text does not match its FHIR format.
    InvalidPrimitive,
    /// The same element twice, or two types of one choice element.
    Duplicate,
    /// `null` outside an array, or an empty object or array.
    Empty,
    /// `value` and `_value` arrays of different lengths.
    ArrayLengthMismatch,
    /// A `resourceType` that FHIR R4 does not define, or a missing one.
    UnknownResourceType,
    /// JSON nested deeper than the parser allows.
    TooDeep,
}

impl IssueKind {
    /// The FHIR `issue-type` code that fits this kind.
    pub fn fhir_code(self) -> &'static str {
        match self {
            IssueKind::UnknownElement => "structure",
            IssueKind::WrongType | IssueKind::ArrayLengthMismatch => "structure",
            IssueKind::InvalidPrimitive => "value",
            IssueKind::Duplicate => "structure",
            IssueKind::Empty => "required",
            IssueKind::UnknownResourceType => "not-supported",
            IssueKind::TooDeep => "too-costly",
        }
    }
}

/// One problem found while parsing: what, where, and what happened to the data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Issue {
    /// How bad it is.
    pub severity: Severity,
    /// What kind of problem.
    pub kind: IssueKind,
    /// FHIRPath-like location, e.g. `ExplanationOfBenefit.item[0].adjudication[1].amount`.
    pub path: String,
    /// Human-readable description; never contains the offending value.
    pub message: String,
}

impl Issue {
    pub(crate) fn new(kind: IssueKind, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            kind,
            path: String::new(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}
