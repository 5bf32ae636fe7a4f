//! The validator's choice of profile, its invariants, its OperationOutcome, and the EOB
//! builder's output, on the official examples and small edits of them.

mod common;

use std::error::Error;

use carin_profiles::codes::{C4BBAdjudication, C4BBPayerAdjudicationStatus};
use carin_profiles::views::Amount;
use carin_profiles::views::eob::{
    AdjudicationCategory, ProfessionalEobBuilder, ProfessionalEobHeader, ProfessionalLine,
};
use carin_profiles::{
    ChoiceReason, IssueKind, choose_profiles, profile, to_operation_outcome, validate, validate_as,
};
use fhir_model::datatypes::{Coding, Reference};
use fhir_model::outcome::{IssueSeverity, IssueType};
use fhir_model::{Date, DateTime, Instant, Resource};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

const CARIN: &str = "hl7.fhir.us.carin-bb-2.0.0.tgz";
const EOB_BASE: &str =
    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit";

/// The example `file` (`ExplanationOfBenefit-EOBPharmacy1.json`) of package `package`.
fn example(package: &str, file: &str) -> Result<Value, Box<dyn Error>> {
    let (_, text) = common::package_files(package, |n| n == format!("package/example/{file}"))?
        .pop()
        .ok_or_else(|| format!("{file} not in {package}"))?;
    Ok(serde_json::from_str(&text)?)
}

fn parse(json: &Value) -> Result<Resource, fhir_model::Error> {
    fhir_model::from_json(&json.to_string())
}

fn errors(issues: &[carin_profiles::Issue]) -> Vec<String> {
    issues
        .iter()
        .filter(|i| i.is_error())
        .map(|i| format!("{i} [{}]", i.rule))
        .collect()
}

#[test]
fn an_eob_is_validated_by_its_content_whatever_meta_profile_says() -> TestResult {
    let mut pharmacy = example(CARIN, "ExplanationOfBenefit-EOBPharmacy1.json")?;
    let own = pharmacy["meta"]["profile"][0].clone();

    // Several profiles listed, the matching one last (yourphr#522: apps that read
    // `meta.profile[0]` lost this data).
    pharmacy["meta"]["profile"] = json!([format!("{EOB_BASE}-Oral|2.0.0"), own]);
    let choices = choose_profiles(&parse(&pharmacy)?);
    assert_eq!(choices.len(), 1);
    assert!(
        choices[0]
            .profile
            .url()
            .ends_with("C4BB-ExplanationOfBenefit-Pharmacy")
    );
    assert_eq!(choices[0].reason, ChoiceReason::DeclaredAndContent);

    // Only a wrong profile declared: the content still decides, and says so.
    pharmacy["meta"]["profile"] = json!([format!("{EOB_BASE}-Oral|2.0.0")]);
    let resource = parse(&pharmacy)?;
    let choices = choose_profiles(&resource);
    assert_eq!(choices[0].reason, ChoiceReason::Content);
    let issues = validate(&resource);
    assert_eq!(issues[0].kind, IssueKind::ProfileChoice);
    assert!(
        issues[0].message.contains("chosen by the content"),
        "{}",
        issues[0]
    );
    // ... and the Pharmacy profile's own rule on meta.profile is what fails.
    assert_eq!(
        issues
            .iter()
            .filter(|i| i.is_error())
            .map(|i| i.rule)
            .collect::<Vec<_>>(),
        ["EOB-pharmacy-meta-profile-version"]
    );

    // No meta at all: chosen by content too.
    pharmacy
        .as_object_mut()
        .ok_or("not an object")?
        .remove("meta");
    let choices = choose_profiles(&parse(&pharmacy)?);
    assert!(
        choices[0]
            .profile
            .url()
            .ends_with("C4BB-ExplanationOfBenefit-Pharmacy")
    );
    assert_eq!(choices[0].reason, ChoiceReason::Content);
    Ok(())
}

#[test]
fn undeclared_resources_get_the_profile_they_fit_best() -> TestResult {
    let mut patient = example("hl7.fhir.us.core-6.1.0.tgz", "Patient-example.json")?;
    patient
        .as_object_mut()
        .ok_or("not an object")?
        .remove("meta");
    let choices = choose_profiles(&parse(&patient)?);
    assert_eq!(choices.len(), 1);
    // CARIN's Patient requires its own meta.profile, so US Core's fits better.
    assert_eq!(
        choices[0].profile.url(),
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
    );
    assert_eq!(choices[0].profile.version(), "6.1.0");
    assert_eq!(choices[0].reason, ChoiceReason::BestFit);

    let basic = fhir_model::from_json(r#"{"resourceType": "Basic", "code": {"text": "x"}}"#)?;
    let issues = validate(&basic);
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0]
            .message
            .contains("no CARIN BB, US Core, PDex or Plan-Net profile")
    );
    Ok(())
}

#[test]
fn profiles_are_found_by_url_and_version() {
    let url = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
    assert_eq!(profile(url).map(|p| p.version()), Some("6.1.0"));
    assert_eq!(
        profile(&format!("{url}|3.1.1")).map(|p| p.version()),
        Some("3.1.1")
    );
    assert_eq!(
        profile(&format!("{url}|3.1")).map(|p| p.version()),
        Some("3.1.1")
    );
    assert!(profile(&format!("{url}|9.9.9")).is_none());
    assert!(profile("http://example.org/StructureDefinition/nothing").is_none());
}

#[test]
fn validate_as_reports_unknown_and_mismatched_profiles() -> TestResult {
    let patient = parse(&example(CARIN, "Patient-Patient1.json")?)?;
    let issues = validate_as(&patient, "http://example.org/StructureDefinition/nothing");
    assert_eq!(issues.len(), 1);
    assert!(issues[0].is_error() && issues[0].message.contains("unknown profile"));
    let issues = validate_as(&patient, &format!("{EOB_BASE}-Pharmacy"));
    assert!(
        issues[0]
            .message
            .contains("constrains ExplanationOfBenefit, not Patient")
    );
    Ok(())
}

/// One invariant per IG broken on an official example: (package, example, edit, profile,
/// expected rule, expected location).
type InvariantCase = (
    &'static str,
    &'static str,
    fn(&mut Value),
    &'static str,
    &'static str,
    &'static str,
);

const INVARIANT_CASES: &[InvariantCase] = &[
    (
        CARIN,
        "Patient-Patient1.json",
        |p| p["name"] = json!([{"use": "usual", "text": "no family, no given"}]),
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient|2.0.0",
        "us-core-8",
        "Patient.name[0]",
    ),
    (
        CARIN,
        "ExplanationOfBenefit-EOBProfessional1.json",
        |e| {
            e["insurance"] = json!([
                {"focal": true, "coverage": {"reference": "Coverage/Coverage1"}},
                {"focal": true, "coverage": {"reference": "Coverage/Coverage2"}}
            ])
        },
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician|2.0.0",
        "EOB-insurance-focal",
        "ExplanationOfBenefit.insurance",
    ),
    (
        CARIN,
        "Organization-Payer1.json",
        |o| o["meta"] = json!({"profile": ["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization|2.0.0"]}),
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization|2.0.0",
        "uncontained-requires-lastUpdated",
        "Organization.meta",
    ),
    (
        "hl7.fhir.us.core-6.1.0.tgz",
        "Coverage-coverage-example.json",
        |c| {
            for m in ["subscriberId", "identifier"] {
                c.as_object_mut().map(|c| c.remove(m));
            }
        },
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage|6.1.0",
        "us-core-15",
        "Coverage",
    ),
    (
        "hl7.fhir.us.core-3.1.1.tgz",
        "Observation-bun.json",
        |o| {
            o.as_object_mut().map(|o| o.remove("effectivePeriod"));
            o["effectiveDateTime"] = json!("1999");
        },
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab|3.1.1",
        "us-core-1",
        "Observation.effectiveDateTime",
    ),
    (
        "hl7.fhir.us.davinci-pdex-2.0.0.tgz",
        "Provenance-1000001.json",
        |p| {
            p["agent"][0]["who"] = json!({"reference": "Practitioner/pr1"});
            p["agent"][0]
                .as_object_mut()
                .map(|a| a.remove("onBehalfOf"));
        },
        "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provenance|2.0.0",
        "provenance-1",
        "Provenance.agent[0]",
    ),
    (
        "hl7.fhir.us.davinci-pdex-plan-net.tgz",
        "PractitionerRole-HansSoloRole1.json",
        |r| {
            for m in ["practitioner", "organization", "location"] {
                r.as_object_mut().map(|r| r.remove(m));
            }
        },
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-PractitionerRole|1.1.0",
        "practitioner-or-organization-or-healthcareservice-or-location",
        "PractitionerRole",
    ),
];

#[test]
fn broken_invariants_are_reported_per_ig() -> TestResult {
    for (package, file, edit, url, rule, location) in INVARIANT_CASES {
        let mut json = example(package, file)?;
        let before = validate_as(&parse(&json)?, url);
        assert!(
            before.iter().all(|i| i.rule != *rule),
            "{file} already breaks {rule}: {before:#?}"
        );
        edit(&mut json);
        let after = validate_as(&parse(&json)?, url);
        let found = after
            .iter()
            .find(|i| i.rule == *rule)
            .ok_or_else(|| format!("{file}: {rule} not reported; got {:#?}", errors(&after)))?;
        assert_eq!(found.kind, IssueKind::Invariant);
        assert_eq!(found.location, *location, "{file}");
        assert!(found.is_error());
    }
    Ok(())
}

#[test]
fn issues_become_an_operation_outcome() -> TestResult {
    let mut eob = example(CARIN, "ExplanationOfBenefit-EOBOral1.json")?;
    eob["use"] = json!("preauthorization");
    let issues = validate_as(&parse(&eob)?, &format!("{EOB_BASE}-Oral|2.0.0"));
    let broken = issues
        .iter()
        .find(|i| i.rule == "ExplanationOfBenefit.use")
        .ok_or("use not reported")?;
    assert_eq!(broken.kind, IssueKind::Pattern);
    assert_eq!(broken.location, "ExplanationOfBenefit.use");

    let outcome = to_operation_outcome(&issues);
    assert!(outcome.has_errors());
    let issue = outcome
        .issue
        .iter()
        .find(|i| {
            i.expression
                .iter()
                .any(|e| e.value.as_deref() == Some("ExplanationOfBenefit.use"))
        })
        .ok_or("no outcome issue for use")?;
    assert_eq!(issue.issue_severity(), Some(IssueSeverity::Error));
    assert_eq!(issue.issue_type(), Some(IssueType::Value));
    assert!(!to_operation_outcome(&[]).has_errors());
    Ok(())
}

#[test]
fn the_professional_eob_builder_makes_a_conformant_eob() -> TestResult {
    let mut cpt = Coding::default();
    cpt.system = "http://www.ama-assn.org/go/cpt".into();
    cpt.code = "97110".into();
    let mut icd = Coding::default();
    icd.system = "http://hl7.org/fhir/sid/icd-10-cm".into();
    icd.code = "S06.0X1A".into();
    let eob = ProfessionalEobBuilder::new(ProfessionalEobHeader {
        unique_claim_id: "claim-1".to_owned(),
        last_updated: Instant::parse("2024-02-01T10:00:00Z")?,
        created: DateTime::parse("2024-02-01")?,
        billable_start: DateTime::parse("2024-01-15")?,
        patient: Reference::to_resource("Patient", "member-1"),
        insurer: Reference::to_resource("Organization", "payer"),
        provider: Reference::to_resource("Practitioner", "dr-1"),
        coverage: Reference::to_resource("Coverage", "cov-1"),
        principal_diagnosis: icd,
    })
    .line(
        ProfessionalLine::new(
            cpt,
            Date::parse("2024-01-15")?,
            "11",
            C4BBPayerAdjudicationStatus::Innetwork,
        )
        .amount(
            AdjudicationCategory::Submitted,
            Amount::from_cents(15000, "USD"),
        )
        .amount(
            C4BBAdjudication::Paidbypatient,
            Amount::from_cents(2500, "USD"),
        ),
    )
    .build()?;
    let issues = validate(&Resource::from(eob));
    assert!(
        issues[0].message.contains("Professional-NonClinician"),
        "{}",
        issues[0]
    );
    assert_eq!(errors(&issues), Vec::<String>::new());
    Ok(())
}
