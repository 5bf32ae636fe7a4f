//! Building and reading `OperationOutcome`s: the errors, warnings and notes a FHIR server
//! returns about an action (<http://hl7.org/fhir/R4/operationoutcome.html>).
//!
//! ```
//! use fhir_model::outcome::{IssueSeverity, IssueType};
//! use fhir_model::resources::{OperationOutcome, OperationOutcomeIssue};
//!
//! let outcome = OperationOutcome::error(IssueType::Required, "a Coverage needs a beneficiary")
//!     .with_issue(
//!         OperationOutcomeIssue::new(IssueSeverity::Warning, IssueType::Value)
//!             .with_diagnostics("period.end is before period.start")
//!             .with_expression("Coverage.period"),
//!     );
//! assert!(outcome.has_errors());
//!
//! // Parse problems become issues with FHIRPath locations.
//! let (_, issues) = fhir_model::from_json_lenient(r#"{"resourceType":"Patient","activ":true}"#);
//! let outcome = OperationOutcome::from_issues(&issues);
//! assert_eq!(outcome.issue[0].expression[0].as_str(), Some("Patient.activ"));
//! ```

use std::fmt;

use crate::datatypes::CodeableConcept;
use crate::resources::{OperationOutcome, OperationOutcomeIssue};

/// Declares a code enum with `as_str`, `from_code` and `Display`, so the code of each
/// variant is written once.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $code:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// The FHIR code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The value for a FHIR code; `None` for a code FHIR R4 does not define.
            pub fn from_code(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum! {
    /// `OperationOutcome.issue.severity`
    /// (<http://hl7.org/fhir/R4/valueset-issue-severity.html>).
    pub enum IssueSeverity {
        /// `fatal`: the action failed and nothing further could be done.
        Fatal = "fatal",
        /// `error`: the action failed, or the issue makes the result unusable.
        Error = "error",
        /// `warning`: the action succeeded, but something may be wrong.
        Warning = "warning",
        /// `information`: a note, no problem.
        Information = "information",
    }
}

impl IssueSeverity {
    /// True for `fatal` and `error`: the issues that mean the action failed.
    pub fn is_error(self) -> bool {
        matches!(self, IssueSeverity::Fatal | IssueSeverity::Error)
    }
}

code_enum! {
    /// `OperationOutcome.issue.code`: what kind of issue
    /// (<http://hl7.org/fhir/R4/valueset-issue-type.html>, a required binding). The codes
    /// form a hierarchy under `invalid`, `security`, `processing`, `transient` and
    /// `informational`: pick the most specific one that fits.
    pub enum IssueType {
        /// `invalid`: content invalid against the specification or a profile.
        Invalid = "invalid",
        /// `structure`: a structural problem (wrong element, wrong JSON type, …).
        Structure = "structure",
        /// `required`: a required element is missing.
        Required = "required",
        /// `value`: an element value is invalid.
        Value = "value",
        /// `invariant`: a validation rule (FHIRPath invariant) failed.
        Invariant = "invariant",
        /// `security`: an authentication or authorization problem.
        Security = "security",
        /// `login`: the user needs to log in.
        Login = "login",
        /// `unknown`: the user or system is not recognised.
        Unknown = "unknown",
        /// `expired`: the session or token has expired.
        Expired = "expired",
        /// `forbidden`: the user may not perform this action.
        Forbidden = "forbidden",
        /// `suppressed`: some information was left out for security reasons.
        Suppressed = "suppressed",
        /// `processing`: the action failed for a non-security reason.
        Processing = "processing",
        /// `not-supported`: the interaction, operation, resource or profile is not supported.
        NotSupported = "not-supported",
        /// `duplicate`: an attempt to create a duplicate record.
        Duplicate = "duplicate",
        /// `multiple-matches`: several records matched where one was required.
        MultipleMatches = "multiple-matches",
        /// `not-found`: the referenced content was not found.
        NotFound = "not-found",
        /// `deleted`: the referenced content has been deleted.
        Deleted = "deleted",
        /// `too-long`: provided content is too long.
        TooLong = "too-long",
        /// `code-invalid`: a code or system could not be understood or is not valid here.
        CodeInvalid = "code-invalid",
        /// `extension`: an extension was not recognised or not allowed.
        Extension = "extension",
        /// `too-costly`: the operation would take too many resources (e.g. a broad search).
        TooCostly = "too-costly",
        /// `business-rule`: the content violates a business rule.
        BusinessRule = "business-rule",
        /// `conflict`: a version conflict (e.g. a failed `If-Match`).
        Conflict = "conflict",
        /// `transient`: a temporary problem; trying again may work.
        Transient = "transient",
        /// `lock-error`: a resource was locked.
        LockError = "lock-error",
        /// `no-store`: the persistent store is unavailable.
        NoStore = "no-store",
        /// `exception`: an unexpected internal error.
        Exception = "exception",
        /// `timeout`: an internal timeout.
        Timeout = "timeout",
        /// `incomplete`: not all data sources answered; results may be incomplete.
        Incomplete = "incomplete",
        /// `throttled`: the system is too busy or the client sent too many requests.
        Throttled = "throttled",
        /// `informational`: a message that is not a problem (e.g. "All OK").
        Informational = "informational",
    }
}

/// Building and reading OperationOutcomes.
impl OperationOutcome {
    /// An outcome with one issue.
    pub fn new(
        severity: IssueSeverity,
        code: IssueType,
        diagnostics: impl Into<String>,
    ) -> OperationOutcome {
        OperationOutcome::default()
            .with_issue(OperationOutcomeIssue::new(severity, code).with_diagnostics(diagnostics))
    }

    /// An outcome with one `error` issue.
    pub fn error(code: IssueType, diagnostics: impl Into<String>) -> OperationOutcome {
        OperationOutcome::new(IssueSeverity::Error, code, diagnostics)
    }

    /// An outcome with one `warning` issue.
    pub fn warning(code: IssueType, diagnostics: impl Into<String>) -> OperationOutcome {
        OperationOutcome::new(IssueSeverity::Warning, code, diagnostics)
    }

    /// An outcome with one `information` issue.
    pub fn information(code: IssueType, diagnostics: impl Into<String>) -> OperationOutcome {
        OperationOutcome::new(IssueSeverity::Information, code, diagnostics)
    }

    /// The outcome of a success with nothing to report. An OperationOutcome needs at least
    /// one issue, so this has one `information` / `informational` issue with the text
    /// "All OK", as in the spec's example
    /// (<http://hl7.org/fhir/R4/operationoutcome-example-allok.html>).
    pub fn ok() -> OperationOutcome {
        OperationOutcome::default().with_issue(
            OperationOutcomeIssue::new(IssueSeverity::Information, IssueType::Informational)
                .with_details_text("All OK"),
        )
    }

    /// Adds an issue.
    #[must_use]
    pub fn with_issue(mut self, issue: OperationOutcomeIssue) -> OperationOutcome {
        self.issue.push(issue);
        self
    }

    /// An outcome reporting the problems of a parse (as [`crate::from_json_lenient`]
    /// returns them), one issue each, in order; [`OperationOutcome::ok`] when there are
    /// none, since an OperationOutcome needs an issue.
    pub fn from_issues(issues: &[crate::Issue]) -> OperationOutcome {
        if issues.is_empty() {
            return OperationOutcome::ok();
        }
        let mut outcome = OperationOutcome::default();
        outcome
            .issue
            .extend(issues.iter().map(OperationOutcomeIssue::from));
        outcome
    }

    /// True when an issue is `fatal` or `error`: the action failed
    /// (<http://hl7.org/fhir/R4/operationoutcome.html>). Only warnings and information
    /// mean it succeeded.
    pub fn has_errors(&self) -> bool {
        self.issue.iter().any(OperationOutcomeIssue::is_error)
    }
}

/// Building and reading OperationOutcome issues.
impl OperationOutcomeIssue {
    /// An issue with this severity and type.
    pub fn new(severity: IssueSeverity, code: IssueType) -> OperationOutcomeIssue {
        OperationOutcomeIssue {
            severity: severity.as_str().into(),
            code: code.as_str().into(),
            ..OperationOutcomeIssue::default()
        }
    }

    /// Sets `diagnostics`: detail for the developer or operator (a stack trace, the failed
    /// rule). Never put PHI or secrets here: outcomes are returned to clients and logged.
    #[must_use]
    pub fn with_diagnostics(mut self, diagnostics: impl Into<String>) -> OperationOutcomeIssue {
        self.diagnostics = diagnostics.into().into();
        self
    }

    /// Sets `details.text`: the message for the end user.
    #[must_use]
    pub fn with_details_text(mut self, text: impl Into<String>) -> OperationOutcomeIssue {
        let details = self.details.get_or_insert_with(CodeableConcept::default);
        details.text = text.into().into();
        self
    }

    /// Adds an `expression`: a simple FHIRPath to the element the issue is about, e.g.
    /// `Patient.name[0].given` (the field R4 recommends; `location` is deprecated).
    #[must_use]
    pub fn with_expression(mut self, expression: impl Into<String>) -> OperationOutcomeIssue {
        self.expression.push(expression.into().into());
        self
    }

    /// Adds a `location` (deprecated in R4: an XPath, or `http.` + a parameter name for
    /// HTTP errors); prefer [`OperationOutcomeIssue::with_expression`].
    #[must_use]
    pub fn with_location(mut self, location: impl Into<String>) -> OperationOutcomeIssue {
        self.location.push(location.into().into());
        self
    }

    /// `severity`; `None` when absent or not an R4 code.
    pub fn issue_severity(&self) -> Option<IssueSeverity> {
        self.severity.as_str().and_then(IssueSeverity::from_code)
    }

    /// `code`; `None` when absent or not an R4 code.
    pub fn issue_type(&self) -> Option<IssueType> {
        self.code.as_str().and_then(IssueType::from_code)
    }

    /// True when `severity` is `fatal` or `error`. A missing or unknown severity counts as
    /// an error too: `severity` is a modifier element, so an issue that cannot be read
    /// must not be taken for a success.
    pub fn is_error(&self) -> bool {
        self.issue_severity().is_none_or(IssueSeverity::is_error)
    }
}

impl From<&crate::Issue> for OperationOutcomeIssue {
    /// Severity and type from the issue (`IssueKind::fhir_code`), its location as the
    /// `expression` (its paths are FHIRPath-like: `Patient.name[0].given`), its message as
    /// `diagnostics` (messages never contain the offending value).
    fn from(issue: &crate::Issue) -> Self {
        // Both codes come from the R4 value sets; copying the text keeps this conversion
        // right should either enum gain a variant.
        OperationOutcomeIssue {
            severity: issue.severity.code().into(),
            code: issue.kind.fhir_code().into(),
            diagnostics: issue.message.as_str().into(),
            expression: if issue.path.is_empty() {
                Vec::new()
            } else {
                vec![issue.path.as_str().into()]
            },
            ..OperationOutcomeIssue::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resource;

    fn round_trip(outcome: OperationOutcome) -> OperationOutcome {
        let json = crate::to_json(&Resource::from(outcome.clone()));
        let read = crate::from_json(&json).expect("a built OperationOutcome parses strictly");
        let Resource::OperationOutcome(read) = read else {
            panic!("not an OperationOutcome: {json}");
        };
        assert_eq!(*read, outcome, "round trip of {json}");
        *read
    }

    #[test]
    fn builders_serialize() {
        let outcome = OperationOutcome::error(IssueType::NotFound, "no Patient/x").with_issue(
            OperationOutcomeIssue::new(IssueSeverity::Warning, IssueType::Value)
                .with_diagnostics("odd value")
                .with_details_text("Please check the date")
                .with_expression("Coverage.period.end")
                .with_location("http.date"),
        );
        assert_eq!(
            crate::to_json(&Resource::from(outcome.clone())),
            r#"{"resourceType":"OperationOutcome","issue":["#.to_owned()
                + r#"{"severity":"error","code":"not-found","diagnostics":"no Patient/x"},"#
                + r#"{"severity":"warning","code":"value","details":{"text":"Please check the date"},"#
                + r#""diagnostics":"odd value","location":["http.date"],"#
                + r#""expression":["Coverage.period.end"]}]}"#
        );
        let outcome = round_trip(outcome);
        assert!(outcome.has_errors());
        assert_eq!(
            outcome.issue[0].issue_severity(),
            Some(IssueSeverity::Error)
        );
        assert_eq!(outcome.issue[0].issue_type(), Some(IssueType::NotFound));
        assert_eq!(outcome.issue[1].issue_type(), Some(IssueType::Value));
        assert!(!outcome.issue[1].is_error());
    }

    #[test]
    fn severities() {
        let warning = round_trip(OperationOutcome::warning(IssueType::Incomplete, "partial"));
        assert!(!warning.has_errors());
        assert_eq!(
            warning.issue[0].issue_severity(),
            Some(IssueSeverity::Warning)
        );
        let info = OperationOutcome::information(IssueType::Informational, "note");
        assert!(!info.has_errors());
        let fatal = OperationOutcome::new(IssueSeverity::Fatal, IssueType::Exception, "boom");
        assert!(fatal.has_errors());

        let ok = round_trip(OperationOutcome::ok());
        assert!(!ok.has_errors());
        assert_eq!(
            crate::to_json(&Resource::from(ok)),
            r#"{"resourceType":"OperationOutcome","issue":[{"severity":"information","#.to_owned()
                + r#""code":"informational","details":{"text":"All OK"}}]}"#
        );

        // An issue whose severity cannot be read is not taken for a success.
        let unknown = OperationOutcomeIssue {
            severity: "catastrophic".into(),
            ..OperationOutcomeIssue::default()
        };
        assert!(unknown.is_error());
        assert!(OperationOutcomeIssue::default().is_error());
        assert!(!OperationOutcome::default().has_errors());
    }

    #[test]
    fn codes() {
        for code in ["fatal", "error", "warning", "information"] {
            assert_eq!(
                IssueSeverity::from_code(code).map(IssueSeverity::as_str),
                Some(code)
            );
        }
        let types = [
            "invalid",
            "structure",
            "required",
            "value",
            "invariant",
            "security",
            "login",
            "unknown",
            "expired",
            "forbidden",
            "suppressed",
            "processing",
            "not-supported",
            "duplicate",
            "multiple-matches",
            "not-found",
            "deleted",
            "too-long",
            "code-invalid",
            "extension",
            "too-costly",
            "business-rule",
            "conflict",
            "transient",
            "lock-error",
            "no-store",
            "exception",
            "timeout",
            "incomplete",
            "throttled",
            "informational",
        ];
        for code in types {
            let parsed = IssueType::from_code(code);
            assert_eq!(parsed.map(|t| t.to_string()).as_deref(), Some(code));
        }
        assert_eq!(IssueType::from_code("Invalid"), None);
        assert_eq!(IssueSeverity::from_code(""), None);
    }

    #[cfg(feature = "Patient")]
    #[test]
    fn from_lenient_parse_issues() {
        let json = r#"{"resourceType":"Patient","id":"p1","favoriteColor":"blue",
            "active":"yes","name":[{"given":["Ann",42]}]}"#;
        let (resource, issues) = crate::from_json_lenient(json);
        assert!(matches!(resource, Some(Resource::Patient(_))));
        assert_eq!(issues.len(), 3, "{issues:?}");

        let outcome = round_trip(OperationOutcome::from_issues(&issues));
        assert_eq!(outcome.issue.len(), issues.len());
        for (converted, issue) in outcome.issue.iter().zip(&issues) {
            assert_eq!(converted.severity.as_str(), Some(issue.severity.code()));
            assert_eq!(converted.code.as_str(), Some(issue.kind.fhir_code()));
            assert!(converted.issue_type().is_some());
            assert_eq!(converted.diagnostics.as_str(), Some(issue.message.as_str()));
            assert_eq!(converted.expression.len(), 1);
            assert_eq!(converted.expression[0].as_str(), Some(issue.path.as_str()));
        }
        let expressions: Vec<_> = outcome
            .issue
            .iter()
            .filter_map(|issue| issue.expression[0].as_str())
            .collect();
        assert_eq!(
            expressions,
            [
                "Patient.favoriteColor",
                "Patient.active",
                "Patient.name[0].given[1]"
            ]
        );
        assert!(outcome.has_errors());

        // No problems: still a valid OperationOutcome.
        assert_eq!(OperationOutcome::from_issues(&[]), OperationOutcome::ok());
    }
}
