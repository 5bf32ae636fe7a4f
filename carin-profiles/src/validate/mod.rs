//! Profile validation: [`validate`], [`validate_as`] and the [`Issue`]s they report.
//!
//! The constraints come from the StructureDefinition snapshots of the IG packages,
//! generated into `src/generated/profiles.rs` by `cargo xtask codegen`: cardinality,
//! `fixed[x]`, `pattern[x]`, required bindings (value sets expanded from the packages),
//! choice types, reference targets, slicing with its discriminators, and extension
//! definitions. The IGs' FHIRPath invariants that matter are written in Rust in
//! `invariants.rs`; [`Profile::invariants`] lists which ones are checked.
//!
//! ```
//! let eob = fhir_model::from_json(r#"{"resourceType": "ExplanationOfBenefit",
//!     "meta": {"profile": ["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy|2.0.0"]},
//!     "status": "active"}"#)?;
//! let issues = carin_profiles::validate(&eob);
//! // The first issue says which profile was used and why.
//! assert!(issues[0].message.contains("C4BB-ExplanationOfBenefit-Pharmacy"));
//! // This EOB lacks most of what the profile requires.
//! assert!(issues.iter().any(|i| i.rule == "ExplanationOfBenefit.type" && i.is_error()));
//! # Ok::<(), fhir_model::Error>(())
//! ```

pub(crate) mod engine;
mod invariants;
pub(crate) mod model;
mod select;

use std::fmt;

use fhir_model::Resource;
use fhir_model::outcome::{IssueSeverity, IssueType};
use fhir_model::resources::{OperationOutcome, OperationOutcomeIssue};
use serde_json::Value;

use crate::generated::profiles::PROFILES;
pub use model::{Ig, Profile};
pub use select::{ChoiceReason, ProfileChoice, choose_profiles};

/// One problem (or, with severity `information`, one note) found by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Issue {
    /// `error` breaks the profile; `warning` is a rule the IG marks as a warning;
    /// `information` says which profile was used.
    pub severity: IssueSeverity,
    /// What kind of rule was broken.
    pub kind: IssueKind,
    /// FHIRPath-like location of the offending element, using the JSON member names
    /// (`ExplanationOfBenefit.item[0].adjudication[2].category`).
    pub location: String,
    /// What is wrong, in words.
    pub message: String,
    /// The canonical URL of the profile the rule comes from.
    pub profile: &'static str,
    /// The rule: the profile's element id (`ExplanationOfBenefit.item.adjudication:denialreason`)
    /// or an invariant key (`EOB-insurance-focal`).
    pub rule: &'static str,
}

impl Issue {
    /// Whether this issue makes the resource non-conformant.
    pub fn is_error(&self) -> bool {
        self.severity.is_error()
    }

    fn information(profile: &'static str, location: String, message: String) -> Issue {
        Issue {
            severity: IssueSeverity::Information,
            kind: IssueKind::ProfileChoice,
            location,
            message,
            profile,
            rule: "",
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}: {}",
            self.severity, self.location, self.message
        )
    }
}

/// The kinds of rule an [`Issue`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssueKind {
    /// Too few or too many occurrences of an element or slice.
    Cardinality,
    /// A value differs from the profile's `fixed[x]`.
    Fixed,
    /// A value does not contain the profile's `pattern[x]`.
    Pattern,
    /// A code is not in the value set of a required binding.
    Binding,
    /// A choice element (`value[x]`) has a type the profile does not allow.
    Type,
    /// A reference points to a resource type the profile does not allow.
    ReferenceTarget,
    /// A repetition matches no slice of a closed slicing.
    Slicing,
    /// A FHIRPath invariant of the IG is false.
    Invariant,
    /// Which profile was chosen, or that none could be.
    ProfileChoice,
}

impl IssueKind {
    /// The `OperationOutcome.issue.code` for this kind.
    pub fn issue_type(self) -> IssueType {
        match self {
            IssueKind::Cardinality => IssueType::Required,
            IssueKind::Fixed | IssueKind::Pattern => IssueType::Value,
            IssueKind::Binding => IssueType::CodeInvalid,
            IssueKind::Type | IssueKind::ReferenceTarget | IssueKind::Slicing => {
                IssueType::Structure
            }
            IssueKind::Invariant => IssueType::Invariant,
            IssueKind::ProfileChoice => IssueType::Informational,
        }
    }
}

impl From<&Issue> for OperationOutcomeIssue {
    fn from(issue: &Issue) -> Self {
        let mut out = OperationOutcomeIssue::new(issue.severity, issue.kind.issue_type())
            .with_diagnostics(issue.message.clone())
            .with_expression(issue.location.clone());
        if !issue.rule.is_empty() {
            out = out.with_details_text(format!("{} ({})", issue.rule, issue.profile));
        }
        out
    }
}

/// An `OperationOutcome` with one issue per validation issue, in order; `all-ok` when
/// there are none.
pub fn to_operation_outcome(issues: &[Issue]) -> OperationOutcome {
    if issues.is_empty() {
        return OperationOutcome::ok();
    }
    issues
        .iter()
        .fold(OperationOutcome::default(), |outcome, issue| {
            outcome.with_issue(issue.into())
        })
}

/// The IG invariants this crate does not check, grouped, each with the reason.
pub fn skipped_invariants() -> &'static [(&'static str, &'static str)] {
    invariants::SKIPPED
}

/// Value sets of required bindings the packages do not carry (VSAC and X12 value sets):
/// codes bound to them are not checked.
pub fn unchecked_value_sets() -> &'static [&'static str] {
    crate::generated::profiles::UNCHECKED_VALUE_SETS
}

/// Every generated profile and extension definition.
pub fn profiles() -> impl Iterator<Item = &'static Profile> {
    PROFILES.iter().copied()
}

/// The profile with canonical URL `url`, optionally `url|version`. A URL published by
/// several IG versions (US Core 3.1.1 and 6.1.0 share theirs) without a version gives the
/// newest we have.
pub fn profile(url: &str) -> Option<&'static Profile> {
    let (url, version) = match url.split_once('|') {
        Some((u, v)) => (u, Some(v)),
        None => (url, None),
    };
    profiles()
        .filter(|p| p.url == url)
        .filter(|p| {
            version.is_none_or(|v| p.version == v || p.version.starts_with(&format!("{v}.")))
        })
        .max_by(|a, b| version_key(a.version).cmp(&version_key(b.version)))
}

fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|n| n.parse().unwrap_or(0)).collect()
}

/// Validates `resource` against the profiles it claims or, when `meta.profile` names none
/// we know, several, or contradicts the content (a CARIN EOB's type and subType), the one
/// its content fits (see [`choose_profiles`]). The first issue(s), with severity
/// `information`, say which profile was used and why.
pub fn validate(resource: &Resource) -> Vec<Issue> {
    validate_with_json(resource, &resource_json(resource))
}

/// [`validate`] for a caller that already holds the resource as a JSON tree (what
/// `fhir_model::to_json` writes, parsed), so it is not built twice: a server that indexes
/// what it validates, for one.
pub fn validate_with_json(resource: &Resource, json: &Value) -> Vec<Issue> {
    let rt = resource.resource_type();
    let choices = select::choose(resource, json);
    let mut issues = Vec::new();
    if choices.is_empty() {
        issues.push(Issue::information(
            "",
            rt.to_owned(),
            format!(
                "no CARIN BB, US Core, PDex or Plan-Net profile applies to {rt}; not validated"
            ),
        ));
    }
    for choice in choices {
        issues.push(Issue::information(
            choice.profile.url,
            rt.to_owned(),
            format!(
                "validated against {} ({}|{}): {}",
                choice.profile.title, choice.profile.url, choice.profile.version, choice.reason
            ),
        ));
        issues.extend(validate_json(json, rt, choice.profile));
    }
    issues
}

/// Validates `resource` against the profile `profile_url` (optionally `url|version`). An
/// unknown profile, or one for another resource type, is reported as an error issue.
pub fn validate_as(resource: &Resource, profile_url: &str) -> Vec<Issue> {
    let rt = resource.resource_type();
    let Some(profile) = profile(profile_url) else {
        return vec![Issue {
            severity: IssueSeverity::Error,
            kind: IssueKind::ProfileChoice,
            location: rt.to_owned(),
            message: format!("unknown profile {profile_url}"),
            profile: "",
            rule: "",
        }];
    };
    validate_json(&resource_json(resource), rt, profile)
}

/// The resource as the JSON apps receive.
fn resource_json(resource: &Resource) -> Value {
    // `to_json` writes valid JSON by construction; a failure here would be a bug in
    // fhir-model, and an empty object then validates as missing everything.
    serde_json::from_str(&fhir_model::to_json(resource)).unwrap_or(Value::Null)
}

pub(crate) fn validate_json(json: &Value, rt: &str, profile: &'static Profile) -> Vec<Issue> {
    if profile.resource_type != rt {
        return vec![Issue {
            severity: IssueSeverity::Error,
            kind: IssueKind::ProfileChoice,
            location: rt.to_owned(),
            message: format!(
                "profile {} constrains {}, not {rt}",
                profile.url, profile.resource_type
            ),
            profile: profile.url,
            rule: "",
        }];
    }
    let mut validator = engine::Validator::new(profile);
    validator.check_root(profile.elements, &engine::Item::root(json, rt));
    invariants::check(&mut validator, profile, json);
    validator.issues
}

#[cfg(test)]
mod negative_tests;
#[cfg(test)]
mod support_table;
