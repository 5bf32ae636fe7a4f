//! The synthetic payer data generator: every resource conforms to its declared profile,
//! generation is deterministic, references resolve, each member has five years of all
//! five CARIN EOB types with consistent amounts, and every line of business appears.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use carin_profiles::codes::C4BBAdjudication;
use carin_profiles::views::Amount;
use carin_profiles::views::eob::{
    AdjudicationCategory, EobView, PROFILE_INPATIENT_INSTITUTIONAL, PROFILE_ORAL,
    PROFILE_OUTPATIENT_INSTITUTIONAL, PROFILE_PHARMACY, PROFILE_PROFESSIONAL_NONCLINICIAN,
};
use fhir_model::resources::ExplanationOfBenefit;
use payer_server::synth::{self, CalendarDate, Config, Dataset, Generator, LineOfBusiness};

const MEMBERS: usize = 20;

/// One 20-member dataset shared by the tests.
fn dataset() -> &'static Dataset {
    static DATASET: OnceLock<Dataset> = OnceLock::new();
    DATASET.get_or_init(|| {
        synth::generate(&Config {
            seed: 2026,
            members: MEMBERS,
            ..Config::default()
        })
    })
}

fn json_of(dataset: &Dataset) -> Vec<String> {
    dataset.resources.iter().map(fhir_model::to_json).collect()
}

/// The claim EOBs (`use = claim`) of the dataset.
fn claims(dataset: &Dataset) -> impl Iterator<Item = &ExplanationOfBenefit> {
    dataset
        .resources
        .iter()
        .filter_map(|r| r.downcast_ref::<ExplanationOfBenefit>())
        .filter(|eob| eob.r#use.as_str() == Some("claim"))
}

fn patient_of(eob: &ExplanationOfBenefit) -> String {
    eob.patient
        .as_ref()
        .and_then(|p| p.reference.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn cents(amount: Option<Amount>) -> Option<i64> {
    amount.and_then(|a| a.to_cents())
}

#[test]
fn every_resource_validates_against_its_declared_profiles() {
    let dataset = dataset();
    let mut errors = Vec::new();
    for resource in &dataset.resources {
        let id = resource.id().expect("every resource has an id");
        let meta = resource.meta().expect("every resource has meta");
        assert!(meta.last_updated.value.is_some(), "{id}: meta.lastUpdated");
        assert!(!meta.profile.is_empty(), "{id}: meta.profile");
        for profile in &meta.profile {
            let url = profile.as_str().unwrap_or_default();
            assert!(url.contains('|'), "{id}: unversioned profile {url}");
        }
        for issue in carin_profiles::validate(resource) {
            if issue.is_error() {
                errors.push(format!("{} {id}: {issue}", resource.resource_type()));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors, first ones:\n{}",
        errors.len(),
        errors[..errors.len().min(20)].join("\n")
    );
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let config = Config {
        seed: 11,
        members: 4,
        ..Config::default()
    };
    let first = synth::generate(&config);
    let second = synth::generate(&config);
    assert_eq!(json_of(&first), json_of(&second));
    assert_eq!(first.members, second.members);
    let other = synth::generate(&Config { seed: 12, ..config });
    assert_ne!(json_of(&first), json_of(&other));
}

#[test]
fn the_first_members_do_not_depend_on_how_many_there_are() {
    let json = |members: usize| -> Vec<String> {
        let config = Config {
            seed: 5,
            members,
            ..Config::default()
        };
        let mut generator = Generator::new(&config);
        let mut resources = generator.directory();
        resources.extend(
            generator
                .by_ref()
                .take(2)
                .flat_map(|records| records.resources),
        );
        resources.iter().map(fhir_model::to_json).collect()
    };
    assert_eq!(json(2), json(4));
}

#[test]
fn the_generator_yields_what_generate_returns() {
    let config = Config {
        seed: 9,
        members: 3,
        ..Config::default()
    };
    let generator = Generator::new(&config);
    assert_eq!(generator.len(), 3);
    let mut resources = generator.directory();
    let mut members = Vec::new();
    for records in generator {
        resources.extend(records.resources);
        members.push(records.member);
    }
    let dataset = synth::generate(&config);
    assert_eq!(members, dataset.members);
    assert_eq!(resources, dataset.resources);
}

#[test]
fn every_literal_reference_points_to_a_generated_resource() {
    let dataset = dataset();
    let ids: BTreeSet<String> = dataset
        .resources
        .iter()
        .map(|r| format!("{}/{}", r.resource_type(), r.id().unwrap_or_default()))
        .collect();
    let mut checked = 0;
    for json in json_of(dataset) {
        let mut rest = json.as_str();
        while let Some(at) = rest.find("\"reference\":\"") {
            rest = &rest[at + "\"reference\":\"".len()..];
            let end = rest.find('"').expect("closing quote");
            let target = &rest[..end];
            assert!(ids.contains(target), "dangling reference {target}");
            checked += 1;
        }
    }
    assert!(checked > dataset.resources.len());
}

#[test]
fn each_member_has_all_five_eob_types_spread_over_the_period() {
    let dataset = dataset();
    let end = Config::DEFAULT_END_DATE;
    let mut profiles: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut years: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for eob in claims(dataset) {
        let view = EobView::new(eob);
        let patient = patient_of(eob);
        profiles
            .entry(patient.clone())
            .or_default()
            .insert(view.profile_by_content().expect("a CARIN EOB type"));
        let start = view.service_dates().start.expect("a service date");
        // Which year of the period, counting back from the end date.
        let after_end_anniversary = (start.month(), start.day()) > (Some(end.month), Some(end.day));
        years
            .entry(patient)
            .or_default()
            .insert(start.year() + u16::from(after_end_anniversary));
    }
    let all_types = BTreeSet::from([
        PROFILE_INPATIENT_INSTITUTIONAL,
        PROFILE_OUTPATIENT_INSTITUTIONAL,
        PROFILE_PROFESSIONAL_NONCLINICIAN,
        PROFILE_PHARMACY,
        PROFILE_ORAL,
    ]);
    let period: BTreeSet<u16> = (end.year - 4..=end.year).collect();
    for member in &dataset.members {
        let patient = format!("Patient/{}", member.patient_id);
        assert_eq!(profiles[&patient], all_types, "{patient}");
        assert_eq!(years[&patient], period, "{patient}: claims in every year");
    }
}

#[test]
fn totals_add_up_and_members_never_pay_more_than_billed() {
    let dataset = dataset();
    let mut header_level = 0;
    for eob in claims(dataset) {
        let view = EobView::new(eob);
        let id = eob.id.as_deref().unwrap_or_default();
        let lines_have_amounts = view
            .line_items()
            .any(|line| line.adjudications().next().is_some());
        for (category, total) in view.totals() {
            let expected = if lines_have_amounts {
                view.line_items_sum(&category)
            } else {
                view.header_adjudication(&category)
            };
            assert_eq!(total.to_cents(), cents(expected), "{id} total {category}");
        }
        if !lines_have_amounts {
            header_level += 1;
            assert_eq!(
                view.profile_by_content(),
                Some(PROFILE_INPATIENT_INSTITUTIONAL)
            );
        }
        let submitted = cents(view.amount(&AdjudicationCategory::Submitted)).expect("submitted");
        let paid = cents(view.member_paid()).expect("paidbypatient");
        assert!(
            (0..=submitted).contains(&paid),
            "{id}: member paid {paid} of {submitted}"
        );
        let amount = |code: C4BBAdjudication| cents(view.amount(&code.into())).unwrap_or(0);
        let of = |category: AdjudicationCategory| cents(view.amount(&category)).unwrap_or(0);
        let eligible = of(AdjudicationCategory::Eligible);
        assert_eq!(
            submitted,
            eligible + amount(C4BBAdjudication::Discount) + amount(C4BBAdjudication::Noncovered),
            "{id}: submitted = eligible + discount + noncovered"
        );
        assert_eq!(
            eligible,
            of(AdjudicationCategory::Deductible)
                + of(AdjudicationCategory::Copay)
                + amount(C4BBAdjudication::Coinsurance)
                + amount(C4BBAdjudication::Paidtoprovider),
            "{id}: eligible = deductible + copay + coinsurance + paid to provider"
        );
        let payment = eob.payment.as_ref().and_then(|p| p.amount.as_ref());
        assert_eq!(
            payment
                .and_then(Amount::from_fhir)
                .and_then(|a| a.to_cents()),
            cents(view.paid_to_provider()),
            "{id}: payment amount"
        );
        assert!(
            view.benefit_payment_status().is_some(),
            "{id}: benefit payment status"
        );
    }
    assert!(
        header_level >= MEMBERS,
        "every member has an inpatient stay"
    );
}

#[test]
fn every_line_of_business_appears() {
    let dataset = dataset();
    let lines: BTreeSet<LineOfBusiness> =
        dataset.members.iter().map(|m| m.line_of_business).collect();
    assert_eq!(lines, BTreeSet::from(LineOfBusiness::ALL));
    let usernames: BTreeSet<&str> = dataset
        .members
        .iter()
        .map(|m| m.username.as_str())
        .collect();
    assert_eq!(usernames.len(), MEMBERS);
    assert!(usernames.contains("member01") && usernames.contains("member20"));
}

#[test]
fn prior_authorizations_are_referenced_by_the_claims_they_cover() {
    let dataset = dataset();
    let mut numbers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for eob in dataset
        .resources
        .iter()
        .filter_map(|r| r.downcast_ref::<ExplanationOfBenefit>())
        .filter(|eob| eob.r#use.as_str() == Some("preauthorization"))
    {
        let number = eob.identifier[0]
            .value
            .as_str()
            .unwrap_or_default()
            .to_owned();
        numbers.entry(patient_of(eob)).or_default().insert(number);
    }
    for member in &dataset.members {
        let patient = format!("Patient/{}", member.patient_id);
        assert!(
            numbers.contains_key(&patient),
            "{patient} has a prior authorization"
        );
    }
    let mut referenced = 0;
    for eob in claims(dataset) {
        for reference in eob.insurance.iter().flat_map(|i| &i.pre_auth_ref) {
            let number = reference.as_str().unwrap_or_default();
            assert!(numbers[&patient_of(eob)].contains(number), "{number}");
            referenced += 1;
        }
    }
    assert!(referenced >= MEMBERS);
}

#[test]
fn volume_per_member_is_realistic() {
    let dataset = dataset();
    let counts = dataset.counts();
    let eobs = counts["ExplanationOfBenefit"] / MEMBERS;
    let clinical: usize = [
        "AllergyIntolerance",
        "Condition",
        "Encounter",
        "Immunization",
        "MedicationRequest",
        "Observation",
        "Procedure",
    ]
    .iter()
    .map(|t| counts.get(t).copied().unwrap_or(0))
    .sum::<usize>()
        / MEMBERS;
    assert!((40..=80).contains(&eobs), "{eobs} EOBs per member");
    assert!(
        (30..=70).contains(&clinical),
        "{clinical} clinical resources per member"
    );
}

#[test]
fn other_periods_and_no_prior_authorizations() {
    let dataset = synth::generate(&Config {
        seed: 3,
        members: 5,
        years: 2,
        end_date: CalendarDate::new(2024, 2, 29),
        prior_authorizations: false,
        ..Config::default()
    });
    let mut years = BTreeSet::new();
    for resource in &dataset.resources {
        if let Some(eob) = resource.downcast_ref::<ExplanationOfBenefit>() {
            assert_eq!(eob.r#use.as_str(), Some("claim"));
            let start = EobView::new(eob).service_dates().start.expect("date");
            years.insert(start.year());
        }
        let errors: Vec<String> = carin_profiles::validate(resource)
            .into_iter()
            .filter(|i| i.is_error())
            .map(|i| i.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    assert_eq!(years, BTreeSet::from([2022, 2023, 2024]));
}

#[test]
#[allow(clippy::print_stdout, reason = "the summary is the point of this test")]
fn summary() {
    let dataset = dataset();
    let summary = dataset.summary();
    println!("{summary}");
    assert!(summary.starts_with(&format!("{} resources", dataset.resources.len())));
}

/// The Plan-Net directory at a larger size: every added resource validates against its
/// Plan-Net profile, references resolve, every practitioner in network has a role, and
/// the members' data is the same as with the smallest directory.
#[test]
fn a_larger_directory_adds_clinics_and_changes_no_member() {
    let config = Config {
        seed: 2026,
        members: 2,
        directory_practitioners: 250,
        ..Config::default()
    };
    let larger = Generator::new(&config);
    let directory = larger.directory();
    let count = |resource_type: &str| {
        directory
            .iter()
            .filter(|r| r.resource_type() == resource_type)
            .count()
    };
    assert_eq!(count("Practitioner"), 250);
    // 26 practitioners at the claims' providers, then clinics of 20: 12 clinics.
    assert_eq!(
        count("Organization"),
        21 + 2 + 12 + 5,
        "the claims' 21, the pharmacy chain and the CCO, 12 clinics, 5 networks"
    );
    assert_eq!(count("InsurancePlan"), 5);
    let mut keys = BTreeSet::new();
    for resource in &directory {
        let id = resource.id().unwrap_or_default();
        assert!(
            keys.insert(format!("{}/{id}", resource.resource_type())),
            "{id} twice"
        );
        let errors: Vec<String> = carin_profiles::validate(resource)
            .into_iter()
            .filter(|issue| issue.is_error())
            .map(|issue| issue.to_string())
            .collect();
        assert!(errors.is_empty(), "{id}: {errors:?}");
    }
    let mut practitioners_with_roles = BTreeSet::new();
    for resource in &directory {
        let json: serde_json::Value =
            serde_json::from_str(&fhir_model::to_json(resource)).expect("JSON");
        let mut targets = Vec::new();
        collect_references(&json, &mut targets);
        for target in targets {
            assert!(keys.contains(&target), "{}: dangling {target}", json["id"]);
        }
        if json["resourceType"] == "PractitionerRole" {
            assert_eq!(
                json["extension"][0]["url"],
                "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/network-reference"
            );
            practitioners_with_roles.insert(json["practitioner"]["reference"].to_string());
        }
    }
    // All but the one at the clinic the claims treat as out of network.
    assert_eq!(practitioners_with_roles.len(), 249);
    // Geolocated places: every Location but the service areas has a position.
    let located = directory
        .iter()
        .filter_map(|r| r.downcast_ref::<fhir_model::resources::Location>())
        .filter(|l| l.position.is_some())
        .count();
    assert_eq!(located, count("Location") - 2);

    let smallest = Generator::new(&Config {
        directory_practitioners: 0,
        ..config.clone()
    });
    let members = |generator: Generator| {
        generator
            .flat_map(|records| records.resources)
            .map(|r| fhir_model::to_json(&r))
            .collect::<Vec<_>>()
    };
    assert_eq!(members(smallest), members(Generator::new(&config)));
}

fn collect_references(json: &serde_json::Value, out: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(target)) = map.get("reference") {
                out.push(target.clone());
            }
            map.values().for_each(|v| collect_references(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}
