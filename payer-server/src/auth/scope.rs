//! SMART App Launch 2.2 scopes (section "Scopes and Launch Context"): v1
//! (`patient/*.read`, `user/Coverage.write`) and v2 (`patient/*.rs`,
//! `patient/Observation.rs?category=...|laboratory`) resource scopes, the OpenID and
//! launch-context scopes, what a member is shown for each, how a member narrows them,
//! and the [`Permission`]s they become.

use std::fmt;

use crate::access::Permission;

/// Whose data a resource scope is about (the part before `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `patient/`: the patient in context.
    Patient,
    /// `user/`: what the signed-in user may see; for a member, their own data.
    User,
    /// `system/`: a backend service, no user (SMART Backend Services).
    System,
}

/// One resource scope, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceScope {
    /// `patient`, `user` or `system`.
    pub context: Context,
    /// The type; `None` for `*`.
    pub resource_type: Option<String>,
    /// `r` (or v1 `read`).
    pub read: bool,
    /// `s` (or v1 `read`).
    pub search: bool,
    /// `c`, `u` or `d` (or v1 `write`).
    pub write: bool,
    /// The v2 `?name=value&...` restriction.
    pub restriction: Vec<(String, String)>,
    /// The text as requested, echoed in the granted scope.
    text: String,
}

/// One scope of a request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeToken {
    /// A resource scope.
    Resource(ResourceScope),
    /// `openid`: an `id_token`.
    OpenId,
    /// `fhirUser`: the `fhirUser` claim in the `id_token`.
    FhirUser,
    /// `launch/patient`: the patient id in the token response (standalone launch).
    LaunchPatient,
    /// `launch`: an EHR launch context.
    Launch,
    /// `offline_access`: a refresh token that outlives the session.
    OfflineAccess,
    /// `online_access`: a refresh token for the session only.
    OnlineAccess,
}

impl ScopeToken {
    /// Parses one scope; `None` for a scope this server does not know (left out of the
    /// grant, as RFC 6749 section 3.3 allows).
    pub fn parse(text: &str) -> Option<ScopeToken> {
        Some(match text {
            "openid" => ScopeToken::OpenId,
            "fhirUser" => ScopeToken::FhirUser,
            "launch/patient" => ScopeToken::LaunchPatient,
            "launch" => ScopeToken::Launch,
            "offline_access" => ScopeToken::OfflineAccess,
            "online_access" => ScopeToken::OnlineAccess,
            _ => ScopeToken::Resource(ResourceScope::parse(text)?),
        })
    }

    fn text(&self) -> &str {
        match self {
            ScopeToken::Resource(r) => &r.text,
            ScopeToken::OpenId => "openid",
            ScopeToken::FhirUser => "fhirUser",
            ScopeToken::LaunchPatient => "launch/patient",
            ScopeToken::Launch => "launch",
            ScopeToken::OfflineAccess => "offline_access",
            ScopeToken::OnlineAccess => "online_access",
        }
    }
}

impl ResourceScope {
    fn parse(text: &str) -> Option<ResourceScope> {
        let (context, rest) = text.split_once('/')?;
        let context = match context {
            "patient" => Context::Patient,
            "user" => Context::User,
            "system" => Context::System,
            _ => return None,
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (resource_type, permissions) = rest.split_once('.')?;
        let resource_type = match resource_type {
            "*" => None,
            t if is_resource_type(t) => Some(t.to_owned()),
            _ => return None,
        };
        let (read, search, write, v1) = match permissions {
            "read" => (true, true, false, true),
            "write" => (false, false, true, true),
            "*" => (true, true, true, true),
            v2 => {
                // SMART 2.2 section 3.1.1: the letters appear in the order c, r, u, d, s.
                let mut rest = v2;
                let mut take = |letter: char| match rest.strip_prefix(letter) {
                    Some(after) => {
                        rest = after;
                        true
                    }
                    None => false,
                };
                let (c, r, u, d, s) = (take('c'), take('r'), take('u'), take('d'), take('s'));
                if !rest.is_empty() || !(c || r || u || d || s) {
                    return None;
                }
                (r, s, c || u || d, false)
            }
        };
        let restriction = match query {
            None => Vec::new(),
            // v1 has no restrictions.
            Some(_) if v1 => return None,
            Some(query) => query
                .split('&')
                .map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    let value = crate::http::percent_decode(value).ok()?;
                    (!name.is_empty() && !value.is_empty()).then(|| (name.to_owned(), value))
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some(ResourceScope {
            context,
            resource_type,
            read,
            search,
            write,
            restriction,
            text: text.to_owned(),
        })
    }

    /// The permission the scope grants.
    pub fn permission(&self) -> Permission {
        let mut permission = Permission::read_search(self.resource_type.clone());
        permission.read = self.read;
        permission.search = self.search;
        permission.write = self.write;
        permission.restriction = self.restriction.clone();
        permission
    }

    /// The same scope for `resource_type` instead of `*`.
    fn for_type(&self, resource_type: &str) -> ResourceScope {
        let context = match self.context {
            Context::Patient => "patient",
            Context::User => "user",
            Context::System => "system",
        };
        let (_, suffix) = self.text.split_once('.').unwrap_or(("", ""));
        ResourceScope {
            resource_type: Some(resource_type.to_owned()),
            text: format!("{context}/{resource_type}.{suffix}"),
            ..self.clone()
        }
    }

    fn describe(&self) -> String {
        let what = match &self.resource_type {
            None => "all of your health and claims data".to_owned(),
            Some(t) => describe_type(t),
        };
        let mut verbs = Vec::new();
        if self.read || self.search {
            verbs.push("see");
        }
        if self.write {
            verbs.push("change");
        }
        let mut text = format!("{} {what}", capitalize(&verbs.join(" and ")));
        if !self.restriction.is_empty() {
            let only: Vec<String> = self
                .restriction
                .iter()
                .map(|(_, v)| v.rsplit('|').next().unwrap_or(v).to_owned())
                .collect();
            text.push_str(&format!(" (only: {})", only.join(", ")));
        }
        text
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A resource type name by its syntax; the server leaves out types it does not serve
/// when it grants.
fn is_resource_type(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A group of data a member can untick on the consent page when an app asks for `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataGroup {
    /// The form field name.
    pub key: &'static str,
    /// What the member reads.
    pub label: &'static str,
    /// The types in the group.
    pub types: &'static [&'static str],
}

/// The Patient Access data, in the groups the consent page offers for a `*` scope.
pub const DATA_GROUPS: &[DataGroup] = &[
    DataGroup {
        key: "identity",
        label: "Who you are and your coverage: name, birth date, address, plan and member id",
        types: &["Patient", "RelatedPerson", "Coverage"],
    },
    DataGroup {
        key: "claims",
        label: "Your claims: visits, prescriptions and what the plan paid (Explanations of Benefit)",
        types: &["ExplanationOfBenefit"],
    },
    DataGroup {
        key: "clinical",
        label: "Your clinical records: conditions, lab results, medications, immunizations, \
                allergies, procedures, care plans",
        types: &[
            "AllergyIntolerance",
            "CarePlan",
            "CareTeam",
            "Condition",
            "Device",
            "DiagnosticReport",
            "DocumentReference",
            "Encounter",
            "Goal",
            "Immunization",
            "MedicationDispense",
            "MedicationRequest",
            "Observation",
            "Procedure",
            "Provenance",
            "ServiceRequest",
            "Specimen",
        ],
    },
    DataGroup {
        key: "directory",
        label: "The doctors, pharmacies, places and medicines your records name",
        types: &[
            "Location",
            "Medication",
            "Organization",
            "Practitioner",
            "PractitionerRole",
        ],
    },
];

fn describe_type(resource_type: &str) -> String {
    let plain = match resource_type {
        "ExplanationOfBenefit" => "your claims (Explanations of Benefit)",
        "Coverage" => "your coverage",
        "Patient" => "your name, birth date and contact details",
        "Observation" => "your lab results and vital signs",
        "Condition" => "your conditions and diagnoses",
        "MedicationRequest" => "your prescriptions",
        "MedicationDispense" => "your filled prescriptions",
        "Immunization" => "your immunizations",
        "AllergyIntolerance" => "your allergies",
        "Procedure" => "your procedures",
        _ => "",
    };
    if plain.is_empty() {
        format!("your {resource_type} records")
    } else {
        plain.to_owned()
    }
}

/// A scope string, parsed: what a request asks for or what a grant holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    tokens: Vec<ScopeToken>,
}

impl Scopes {
    /// Parses a space-separated scope string, leaving out unknown scopes and duplicates.
    pub fn parse(text: &str) -> Scopes {
        let mut tokens: Vec<ScopeToken> = Vec::new();
        for token in text.split_ascii_whitespace().filter_map(ScopeToken::parse) {
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
        Scopes { tokens }
    }

    /// Whether `token` is among them.
    pub fn has(&self, token: &ScopeToken) -> bool {
        self.tokens.contains(token)
    }

    /// The resource scopes.
    pub fn resources(&self) -> impl Iterator<Item = &ResourceScope> {
        self.tokens.iter().filter_map(|t| match t {
            ScopeToken::Resource(r) => Some(r),
            _ => None,
        })
    }

    /// The permissions the resource scopes grant.
    pub fn permissions(&self) -> Vec<Permission> {
        self.resources().map(ResourceScope::permission).collect()
    }

    /// Only the scopes `keep` accepts.
    pub fn retain(mut self, keep: impl Fn(&ScopeToken) -> bool) -> Scopes {
        self.tokens.retain(|t| keep(t));
        self
    }

    /// Whether every scope here is in `other` (a refresh may narrow, never widen; RFC
    /// 6749 section 6).
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.tokens.iter().all(|t| other.tokens.contains(t))
    }

    /// The consent page's lines: `(field name, what the member reads)` for each choice the
    /// member can untick. A `*` scope is offered as the [`DATA_GROUPS`].
    pub fn consent_choices(&self) -> Vec<(String, String)> {
        let mut choices = Vec::new();
        for (i, token) in self.tokens.iter().enumerate() {
            match token {
                ScopeToken::Resource(r) if r.resource_type.is_none() => {
                    let verb = if r.write { "See and change" } else { "See" };
                    for group in DATA_GROUPS {
                        let label = format!("{verb}: {}", group.label);
                        choices.push((format!("scope{i}.{}", group.key), label));
                    }
                }
                ScopeToken::Resource(r) => choices.push((format!("scope{i}"), r.describe())),
                ScopeToken::OfflineAccess => choices.push((
                    format!("scope{i}"),
                    "Keep access after you close the app, until you revoke it or the access \
                     period ends"
                        .to_owned(),
                )),
                _ => {}
            }
        }
        choices
    }

    /// What the member consented to: the scopes whose consent field is in `ticked` (and
    /// those without a field: `openid`, `launch/patient`...). A `*` scope with a group
    /// unticked becomes one scope per type of the groups left.
    pub fn narrowed(&self, ticked: &[String]) -> Scopes {
        let mut tokens = Vec::new();
        for (i, token) in self.tokens.iter().enumerate() {
            let field = format!("scope{i}");
            match token {
                ScopeToken::Resource(r) if r.resource_type.is_none() => {
                    let kept: Vec<&DataGroup> = DATA_GROUPS
                        .iter()
                        .filter(|g| ticked.contains(&format!("{field}.{}", g.key)))
                        .collect();
                    if kept.len() == DATA_GROUPS.len() {
                        tokens.push(token.clone());
                    } else {
                        tokens.extend(
                            kept.iter()
                                .flat_map(|g| g.types)
                                .map(|t| ScopeToken::Resource(r.for_type(t))),
                        );
                    }
                }
                ScopeToken::Resource(_) | ScopeToken::OfflineAccess => {
                    if ticked.contains(&field) {
                        tokens.push(token.clone());
                    }
                }
                _ => tokens.push(token.clone()),
            }
        }
        Scopes { tokens }
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, token) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(token.text())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_scopes_become_permissions() {
        let scopes = Scopes::parse(
            "openid fhirUser launch/patient offline_access patient/*.read \
             patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory \
             user/Coverage.cruds system/ExplanationOfBenefit.write",
        );
        assert!(scopes.has(&ScopeToken::OpenId));
        assert!(scopes.has(&ScopeToken::OfflineAccess));
        let p = scopes.permissions();
        assert_eq!(p.len(), 4);
        assert_eq!(
            (
                p[0].resource_type.as_deref(),
                p[0].read,
                p[0].search,
                p[0].write
            ),
            (None, true, true, false)
        );
        assert_eq!(
            p[1].restriction,
            vec![(
                "category".to_owned(),
                "http://terminology.hl7.org/CodeSystem/observation-category|laboratory".to_owned()
            )]
        );
        assert!(p[2].read && p[2].search && p[2].write);
        assert!(!p[3].read && p[3].write);
        // Echoed as requested.
        assert!(scopes.to_string().contains("patient/*.read"));
    }

    #[test]
    fn malformed_and_unknown_scopes_are_left_out() {
        let scopes = Scopes::parse(
            "patient/*.sr patient/nope.read patient/*.rx patient/*.read?category=x admin \
             patient/Observation.rs?category= patient/Coverage.rs patient/Coverage.rs",
        );
        assert_eq!(scopes.to_string(), "patient/Coverage.rs");
    }

    #[test]
    fn unticking_a_group_of_a_wildcard_expands_it_to_the_types_left() {
        let scopes = Scopes::parse("launch/patient patient/*.rs offline_access");
        let choices = scopes.consent_choices();
        assert_eq!(choices.len(), DATA_GROUPS.len() + 1);
        let all: Vec<String> = choices.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(scopes.narrowed(&all), scopes);
        let ticked: Vec<String> = all
            .iter()
            .filter(|k| !k.ends_with(".clinical") && !k.starts_with("scope2"))
            .cloned()
            .collect();
        let narrowed = scopes.narrowed(&ticked);
        let text = narrowed.to_string();
        assert!(
            text.starts_with("launch/patient patient/Patient.rs "),
            "{text}"
        );
        assert!(text.contains("patient/ExplanationOfBenefit.rs"));
        assert!(!text.contains("Observation"));
        assert!(!text.contains("offline_access"));
        assert!(narrowed.is_subset_of(&narrowed));
        assert!(!scopes.is_subset_of(&narrowed));
    }
}
