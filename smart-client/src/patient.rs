//! Which patient a grant is for, however the payer says it: an ordered chain of
//! strategies (`smart-client-anchors.md` section 6), each candidate normalised (`Patient/`
//! prefixes, absolute URLs, `_history` cut off) and confirmed with the FHIR server before
//! it is believed. The answer says which strategy found it and how it was confirmed;
//! failure lists every strategy and what it found.

use fhir_model::resources::{Coverage, ExplanationOfBenefit, Patient, Person, RelatedPerson};
use fhir_model::{ParsedReference, Resource};
use serde_json::{Map, Value};

use crate::discovery::SmartConfiguration;
use crate::error::{Error, Result};
use crate::grant::Grant;
use crate::http::{HttpRequest, origin};
use crate::jwt;
use crate::session::Session;

/// One place a patient id may be found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatientStrategy {
    /// A member of the token response the endpoint is known to use (`member_id`...).
    TokenField(String),
    /// A claim of the `id_token` or of a JWT access token the endpoint is known to use.
    Claim(String),
    /// The token response's `patient` (SMART App Launch 2.2).
    TokenPatient,
    /// Other names servers use in the token response: `authorization_details[].patient`
    /// for the entry whose `locations` has this FHIR base, `patient_id`, `patientId`,
    /// `launch_response_patient`, `context.patient`, `launch_response.patient`.
    TokenAlternates,
    /// The `id_token`: `patient`, `fhirUser` when it is a Patient, legacy `profile`.
    IdToken,
    /// The claims of the access token when it is a JWT: `patient`, `patient_id`,
    /// `launch_response_patient`, `fhirUser` when it is a Patient.
    AccessTokenClaims,
    /// Token introspection (RFC 7662; SMART echoes the launch context there).
    Introspection,
    /// OpenID Connect UserInfo: `patient`, or `fhirUser` when it is a Patient (Blue
    /// Button puts the patient there). Needs [`PatientDiscovery::userinfo_endpoint`].
    UserInfo,
    /// The `id_token`'s `sub`, only for endpoints known to put the FHIR id there (in
    /// general `sub` is the identity provider's user id): not in the default chain.
    IdTokenSubject,
    /// `GET [base]/Patient`, when it returns exactly one Patient.
    PatientSearch,
    /// The references of the member's own data: `Coverage.beneficiary` and
    /// `ExplanationOfBenefit.patient`, when they all agree.
    MemberData,
    /// A representative's `fhirUser` (a RelatedPerson's `patient`, a Person's linked
    /// Patients), when it names exactly one patient.
    Representative,
}

impl PatientStrategy {
    /// The default chain: cheap and authoritative first.
    pub fn default_chain() -> Vec<PatientStrategy> {
        vec![
            PatientStrategy::TokenPatient,
            PatientStrategy::TokenAlternates,
            PatientStrategy::IdToken,
            PatientStrategy::AccessTokenClaims,
            PatientStrategy::Introspection,
            PatientStrategy::UserInfo,
            PatientStrategy::PatientSearch,
            PatientStrategy::MemberData,
            PatientStrategy::Representative,
        ]
    }

    fn name(&self) -> String {
        match self {
            PatientStrategy::TokenField(field) => format!("token response {field:?}"),
            PatientStrategy::Claim(claim) => format!("claim {claim:?}"),
            PatientStrategy::TokenPatient => "token response patient".to_owned(),
            PatientStrategy::TokenAlternates => "token response alternates".to_owned(),
            PatientStrategy::IdToken => "id_token".to_owned(),
            PatientStrategy::AccessTokenClaims => "access token claims".to_owned(),
            PatientStrategy::Introspection => "introspection".to_owned(),
            PatientStrategy::UserInfo => "userinfo".to_owned(),
            PatientStrategy::IdTokenSubject => "id_token sub".to_owned(),
            PatientStrategy::PatientSearch => "GET Patient".to_owned(),
            PatientStrategy::MemberData => "Coverage and ExplanationOfBenefit".to_owned(),
            PatientStrategy::Representative => "representative fhirUser".to_owned(),
        }
    }
}

/// How patient-context discovery runs for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatientDiscovery {
    /// The strategies, in order.
    pub strategies: Vec<PatientStrategy>,
    /// Where to introspect (from discovery).
    pub introspection_endpoint: Option<String>,
    /// The OpenID Connect UserInfo endpoint (`userinfo_endpoint` of the issuer's
    /// `.well-known/openid-configuration`), when the app knows it.
    pub userinfo_endpoint: Option<String>,
}

impl Default for PatientDiscovery {
    /// The default chain, without introspection or UserInfo endpoints.
    fn default() -> PatientDiscovery {
        PatientDiscovery {
            strategies: PatientStrategy::default_chain(),
            introspection_endpoint: None,
            userinfo_endpoint: None,
        }
    }
}

impl PatientDiscovery {
    /// The default chain, introspecting where `configuration` says.
    pub fn new(configuration: &SmartConfiguration) -> PatientDiscovery {
        PatientDiscovery {
            strategies: PatientStrategy::default_chain(),
            introspection_endpoint: configuration.introspection_endpoint.clone(),
            userinfo_endpoint: None,
        }
    }

    /// Asks the OpenID Connect UserInfo endpoint at `url` too.
    pub fn with_userinfo_endpoint(mut self, url: impl Into<String>) -> PatientDiscovery {
        self.userinfo_endpoint = Some(url.into());
        self
    }

    /// Runs `strategies` instead, in their order (an endpoint's known quirk).
    pub fn with_strategies(mut self, strategies: Vec<PatientStrategy>) -> PatientDiscovery {
        self.strategies = strategies;
        self
    }

    /// Tries `strategy` before the others.
    pub fn first(mut self, strategy: PatientStrategy) -> PatientDiscovery {
        self.strategies.retain(|s| *s != strategy);
        self.strategies.insert(0, strategy);
        self
    }
}

/// How a candidate was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Confirmation {
    /// `GET Patient/{id}` returned that Patient.
    PatientRead,
    /// Reading the Patient was forbidden (demographics not granted), and the member's
    /// Coverage or ExplanationOfBenefit names the same patient.
    MemberData,
}

/// The patient a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatientContext {
    /// The Patient's logical id.
    pub id: String,
    /// The strategy that found it.
    pub source: PatientStrategy,
    /// How it was confirmed.
    pub confirmation: Confirmation,
    /// What each strategy before it found (for support: "the patient came from the
    /// id_token because the token response had none").
    pub tried: Vec<String>,
}

/// The claims of the grant's JWTs, decoded once for every strategy.
struct Claims {
    id_token: Option<Map<String, Value>>,
    access_token: Option<Map<String, Value>>,
}

/// What one strategy found.
enum Found {
    /// Ids (not yet normalised) to confirm, in order.
    Candidates(Vec<String>),
    /// Nothing, and why.
    Nothing(String),
}

impl Session {
    /// Finds and confirms the patient this session's grant is for.
    pub async fn patient_context(&self, discovery: &PatientDiscovery) -> Result<PatientContext> {
        let grant = self.grant().await;
        let claims = Claims {
            id_token: grant.id_token.as_deref().and_then(jwt::claims),
            access_token: jwt::claims(&grant.access_token),
        };
        let mut tried = Vec::new();
        for strategy in &discovery.strategies {
            let found = match self.candidates(strategy, &grant, &claims, discovery).await {
                Ok(found) => found,
                Err(error) => Found::Nothing(why_not(error)?),
            };
            let candidates = match found {
                Found::Candidates(candidates) => candidates,
                Found::Nothing(why) => {
                    tried.push(format!("{}: {why}", strategy.name()));
                    continue;
                }
            };
            let mut rejected = Vec::new();
            for raw in candidates {
                let id = match normalize(&raw, self.fhir_base()) {
                    Ok(id) => id,
                    Err(why) => {
                        rejected.push(why);
                        continue;
                    }
                };
                match self.confirm(&id).await? {
                    Ok(confirmation) => {
                        return Ok(PatientContext {
                            id,
                            source: strategy.clone(),
                            confirmation,
                            tried,
                        });
                    }
                    Err(why) => rejected.push(format!("{id}: {why}")),
                }
            }
            tried.push(format!("{}: {}", strategy.name(), rejected.join(", ")));
        }
        Err(Error::PatientContext { tried })
    }

    async fn candidates(
        &self,
        strategy: &PatientStrategy,
        grant: &Grant,
        claims: &Claims,
        discovery: &PatientDiscovery,
    ) -> Result<Found> {
        let (id_token, access) = (&claims.id_token, &claims.access_token);
        Ok(match strategy {
            PatientStrategy::TokenField(field) => found(
                text_at(&grant.other, &[field.as_str()]),
                "not in the token response",
            ),
            PatientStrategy::Claim(claim) => found(
                [id_token.as_ref(), access.as_ref()]
                    .into_iter()
                    .flatten()
                    .find_map(|claims| text_at(claims, &[claim.as_str()])),
                "in neither the id_token nor the access token",
            ),
            PatientStrategy::TokenPatient => {
                found(grant.patient.clone(), "the token response has no patient")
            }
            PatientStrategy::TokenAlternates => {
                let mut candidates: Vec<String> =
                    authorization_details_patient(&grant.other, self.fhir_base())
                        .into_iter()
                        .collect();
                candidates.extend(
                    [
                        &["patient_id"][..],
                        &["patientId"],
                        &["launch_response_patient"],
                        &["context", "patient"],
                        &["launch_response", "patient"],
                    ]
                    .into_iter()
                    .filter_map(|path| text_at(&grant.other, path)),
                );
                if candidates.is_empty() {
                    Found::Nothing("none of the alternate names".to_owned())
                } else {
                    Found::Candidates(candidates)
                }
            }
            PatientStrategy::IdToken => match &id_token {
                None => Found::Nothing("no id_token".to_owned()),
                Some(claims) => found(
                    text_at(claims, &["patient"])
                        .or_else(|| patient_user(claims, "fhirUser"))
                        .or_else(|| patient_user(claims, "profile")),
                    "no patient, and fhirUser is not a Patient",
                ),
            },
            PatientStrategy::AccessTokenClaims => match &access {
                None => Found::Nothing("the access token is not a JWT".to_owned()),
                Some(claims) => found(
                    text_at(claims, &["patient"])
                        .or_else(|| text_at(claims, &["patient_id"]))
                        .or_else(|| text_at(claims, &["launch_response_patient"]))
                        .or_else(|| patient_user(claims, "fhirUser")),
                    "no patient claim",
                ),
            },
            PatientStrategy::Introspection => match &discovery.introspection_endpoint {
                None => Found::Nothing("the server has no introspection_endpoint".to_owned()),
                Some(endpoint) => self.introspected_patient(endpoint, grant).await?,
            },
            PatientStrategy::UserInfo => match &discovery.userinfo_endpoint {
                None => Found::Nothing("no userinfo_endpoint configured".to_owned()),
                Some(endpoint) => {
                    let request = HttpRequest::get(endpoint).header("Accept", "application/json");
                    let response = self.send(request).await?;
                    match serde_json::from_slice::<Value>(&response.body) {
                        Ok(Value::Object(claims)) if response.is_success() => found(
                            text_at(&claims, &["patient"])
                                .or_else(|| patient_user(&claims, "fhirUser")),
                            "no patient and no Patient fhirUser",
                        ),
                        _ => Found::Nothing(format!("HTTP {}", response.status)),
                    }
                }
            },
            PatientStrategy::IdTokenSubject => found(
                id_token.as_ref().and_then(|c| text_at(c, &["sub"])),
                "no id_token sub",
            ),
            PatientStrategy::PatientSearch => {
                let page = self.first_page("Patient?_count=2").await?;
                let ids: Vec<String> = page
                    .iter()
                    .filter_map(|r| r.downcast_ref::<Patient>()?.id.clone())
                    .collect();
                match ids.len() {
                    1 => Found::Candidates(ids),
                    0 => Found::Nothing("no Patient".to_owned()),
                    n => Found::Nothing(format!("{n} or more Patients: not guessed")),
                }
            }
            PatientStrategy::MemberData => self.member_data_patient().await?,
            PatientStrategy::Representative => self.represented_patient(id_token.as_ref()).await?,
        })
    }

    async fn introspected_patient(&self, endpoint: &str, grant: &Grant) -> Result<Found> {
        let request = HttpRequest::post_form(endpoint, [("token", grant.access_token.as_str())]);
        let response = self.send(request).await?;
        if !response.is_success() {
            return Ok(Found::Nothing(format!("HTTP {}", response.status)));
        }
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&response.body) else {
            return Ok(Found::Nothing("not a JSON object".to_owned()));
        };
        if body.get("active") != Some(&Value::Bool(true)) {
            return Ok(Found::Nothing("the token is not active".to_owned()));
        }
        Ok(found(
            text_at(&body, &["patient"]).or_else(|| patient_user(&body, "fhirUser")),
            "no patient",
        ))
    }

    /// The Patients that the member's Coverage beneficiaries and EOB patients name.
    async fn member_data_patient(&self) -> Result<Found> {
        let mut ids = std::collections::BTreeSet::new();
        for resource in self.first_page("Coverage?_count=10").await? {
            if let Some(coverage) = resource.downcast_ref::<Coverage>() {
                ids.extend(reference_id(coverage.beneficiary.as_ref(), "Patient"));
            }
        }
        for resource in self.first_page("ExplanationOfBenefit?_count=10").await? {
            if let Some(eob) = resource.downcast_ref::<ExplanationOfBenefit>() {
                ids.extend(reference_id(eob.patient.as_ref(), "Patient"));
            }
        }
        Ok(match ids.len() {
            1 => Found::Candidates(ids.into_iter().collect()),
            0 => Found::Nothing("no Coverage or EOB names a Patient".to_owned()),
            n => Found::Nothing(format!("they name {n} different Patients: not guessed")),
        })
    }

    async fn represented_patient(&self, id_token: Option<&Map<String, Value>>) -> Result<Found> {
        let Some(user) = id_token.and_then(|claims| text_at(claims, &["fhirUser"])) else {
            return Ok(Found::Nothing("no fhirUser".to_owned()));
        };
        let reference = ParsedReference::parse(&user);
        let (Some(kind), Some(id)) = (reference.resource_type(), reference.id()) else {
            return Ok(Found::Nothing("fhirUser is not a reference".to_owned()));
        };
        let ids: Vec<String> = match kind {
            "RelatedPerson" => reference_id(
                self.read::<RelatedPerson>(id).await?.patient.as_ref(),
                "Patient",
            )
            .into_iter()
            .collect(),
            "Person" => self
                .read::<Person>(id)
                .await?
                .link
                .iter()
                .filter_map(|link| reference_id(link.target.as_ref(), "Patient"))
                .collect(),
            other => return Ok(Found::Nothing(format!("fhirUser is a {other}"))),
        };
        Ok(match ids.len() {
            1 => Found::Candidates(ids),
            0 => Found::Nothing(format!("the {kind} names no Patient")),
            n => Found::Nothing(format!(
                "the {kind} represents {n} patients ({}): the app must choose",
                ids.join(", ")
            )),
        })
    }

    /// The resources of the first page of `path`.
    async fn first_page(&self, path: &str) -> Result<Vec<Resource>> {
        use futures_util::TryStreamExt;
        let mut pages = std::pin::pin!(self.pages(path));
        Ok(pages
            .try_next()
            .await?
            .map(|page| page.bundle.into_matches())
            .unwrap_or_default())
    }

    /// Confirms `id` names the member's Patient; or says why not. Fails only when the
    /// grant is dead ([`why_not`]).
    async fn confirm(&self, id: &str) -> Result<Result<Confirmation, String>> {
        Ok(match self.read::<Patient>(id).await {
            Ok(patient) if patient.id.as_deref() == Some(id) => Ok(Confirmation::PatientRead),
            Ok(_) => Err("the Patient read has another id".to_owned()),
            Err(Error::Status { status: 403, .. }) => {
                // Demographics not granted (Blue Button lets members decline them): the
                // member's own data must name the same patient.
                let path = format!("ExplanationOfBenefit?patient={id}&_count=1");
                let named = match self.first_page(&path).await {
                    Ok(named) => named,
                    Err(error) => return Ok(Err(why_not(error)?)),
                };
                let agrees = named.iter().any(|r| {
                    r.downcast_ref::<ExplanationOfBenefit>()
                        .and_then(|eob| reference_id(eob.patient.as_ref(), "Patient"))
                        .as_deref()
                        == Some(id)
                });
                if agrees {
                    Ok(Confirmation::MemberData)
                } else {
                    Err("the Patient read is forbidden and no EOB names it".to_owned())
                }
            }
            Err(error) => Err(why_not(error)?),
        })
    }
}

/// Why a strategy or a confirmation came to nothing; an error that needs the member to
/// authorize again is returned as it is instead: no other strategy can work with a dead
/// grant, and the app must tell "sign in again" from "no patient found".
fn why_not(error: Error) -> Result<String> {
    if error.needs_reauthorization() {
        Err(error)
    } else {
        Ok(error.to_string())
    }
}

fn found(candidate: Option<String>, why_not: &str) -> Found {
    match candidate {
        Some(candidate) => Found::Candidates(vec![candidate]),
        None => Found::Nothing(why_not.to_owned()),
    }
}

/// The non-empty string at `path` in `object`.
fn text_at(object: &Map<String, Value>, path: &[&str]) -> Option<String> {
    let (last, parents) = path.split_last()?;
    let mut current = object;
    for key in parents {
        current = current.get(*key)?.as_object()?;
    }
    current
        .get(*last)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The claim `name` when it references a Patient (`fhirUser`, legacy `profile`).
fn patient_user(claims: &Map<String, Value>, name: &str) -> Option<String> {
    let user = text_at(claims, &[name])?;
    (ParsedReference::parse(&user).resource_type() == Some("Patient")).then_some(user)
}

/// `authorization_details[].patient` of the entry for this FHIR base (SMART App Launch
/// 2.2 section 2.0.9, experimental).
fn authorization_details_patient(other: &Map<String, Value>, fhir_base: &str) -> Option<String> {
    let details = other.get("authorization_details")?.as_array()?;
    details.iter().find_map(|detail| {
        let detail = detail.as_object()?;
        let here = detail.get("locations")?.as_array()?.iter().any(|location| {
            location
                .as_str()
                .is_some_and(|l| l.trim_end_matches('/') == fhir_base)
        });
        if here {
            text_at(detail, &["patient"])
        } else {
            None
        }
    })
}

/// The id of a reference to `resource_type`.
fn reference_id(
    reference: Option<&fhir_model::datatypes::Reference>,
    resource_type: &str,
) -> Option<String> {
    let parsed = ParsedReference::parse(reference?.reference.value()?);
    (parsed.resource_type() == Some(resource_type)).then(|| parsed.id().map(str::to_owned))?
}

/// A candidate as a bare Patient id: `Patient/123`, `https://base/Patient/123/_history/2`
/// become `123`; an absolute URL must be on the FHIR base's origin; the result must be a
/// FHIR id (`[A-Za-z0-9\-.]{1,64}`; Blue Button's start with `-`).
fn normalize(raw: &str, fhir_base: &str) -> Result<String, String> {
    let raw = raw.trim();
    if (raw.starts_with("https://") || raw.starts_with("http://"))
        && origin(raw) != origin(fhir_base)
    {
        return Err(format!("{raw:?} is on another server"));
    }
    let id = match raw.rfind("Patient/") {
        Some(start) => raw[start + "Patient/".len()..]
            .split('/')
            .next()
            .unwrap_or_default(),
        None => raw,
    };
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(format!("{raw:?} is not a FHIR id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_normalised_to_bare_ids_on_this_server() {
        let base = "https://payer.example/fhir";
        for (raw, expected) in [
            ("123", Ok("123")),
            (" Patient/-19990000001234 ", Ok("-19990000001234")),
            ("https://payer.example/fhir/Patient/p1/_history/2", Ok("p1")),
            (
                "https://other.example/fhir/Patient/p1",
                Err("another server"),
            ),
            ("Patient/", Err("not a FHIR id")),
            ("a b", Err("not a FHIR id")),
        ] {
            match (normalize(raw, base), expected) {
                (Ok(id), Ok(expected)) => assert_eq!(id, expected),
                (Err(why), Err(expected)) => assert!(why.contains(expected), "{why}"),
                (got, expected) => panic!("{raw}: {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn authorization_details_pick_the_entry_for_this_base() {
        let other: Map<String, Value> = serde_json::from_str(
            r#"{"authorization_details": [
                {"type": "smart_on_fhir", "locations": ["https://else.example/fhir"], "patient": "x"},
                {"type": "smart_on_fhir", "locations": ["https://payer.example/fhir/"], "patient": "p7"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            authorization_details_patient(&other, "https://payer.example/fhir").as_deref(),
            Some("p7")
        );
        let nested: Map<String, Value> =
            serde_json::from_str(r#"{"context": {"patient": "p8"}}"#).unwrap_or_default();
        assert_eq!(
            text_at(&nested, &["context", "patient"]).as_deref(),
            Some("p8")
        );
    }
}
