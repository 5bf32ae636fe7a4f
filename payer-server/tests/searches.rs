//! The CARIN BB and US Core searches a Patient Access server must support, over HTTP on
//! generated data, each compared with a brute-force filter over the same resources
//! written here from the JSON, independently of the server's index code.

#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod support;

use std::collections::BTreeSet;
use std::error::Error;

use payer_server::http::{ServerConfig, router};
use payer_server::ingest::{self, Validation};
use payer_server::store::{ResourceStore, SqliteStore};
use payer_server::synth;
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

/// The codings of a CodeableConcept (or a list of them).
fn codes(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Array(items) => items.iter().flat_map(codes).collect(),
        v => v["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["system"].as_str().unwrap_or("").to_owned(),
                    c["code"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect(),
    }
}

fn has_code(value: &Value, code: &str) -> bool {
    codes(value).iter().any(|(_, c)| c == code)
}

fn refers_to(value: &Value, reference: &str) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|v| refers_to(v, reference)),
        v => v["reference"] == reference,
    }
}

/// Every date of an EOB that `service-start-date` covers.
fn service_start_dates(eob: &Value) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(eob["billablePeriod"]["start"].as_str().map(str::to_owned));
    for item in eob["item"].as_array().into_iter().flatten() {
        out.extend(item["servicedDate"].as_str().map(str::to_owned));
        out.extend(item["servicedPeriod"]["start"].as_str().map(str::to_owned));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn required_searches_match_a_brute_force_filter() -> TestResult {
    let dir = tempfile::tempdir()?;
    required_searches(SqliteStore::open(dir.path().join("searches.sqlite"))?).await
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread")]
async fn required_searches_match_a_brute_force_filter_on_postgres() -> TestResult {
    required_searches(support::fresh_store().await).await
}

/// Loads eight synthetic members into `store` (empty), serves it, and checks every
/// required search against a filter of the JSON.
async fn required_searches(store: impl ResourceStore) -> TestResult {
    let config = synth::Config {
        members: 8,
        ..synth::Config::default()
    };
    let dataset = synth::generate(&config);
    let resources: Vec<Value> = dataset
        .resources
        .iter()
        .map(|r| serde_json::from_str(&fhir_model::to_json(r)))
        .collect::<Result<_, _>>()?;
    ingest::load_synthetic(&store, &config, Validation::Off).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/fhir", listener.local_addr()?);
    let app = axum::Router::new().nest("/fhir", router(store, ServerConfig::new(&base)));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();

    let member = &dataset.members[2];
    let patient_ref = format!("Patient/{}", member.patient_id);
    let patient_json = resources
        .iter()
        .find(|r| r["resourceType"] == "Patient" && r["id"] == member.patient_id.as_str())
        .ok_or("no patient")?
        .clone();
    let family = patient_json["name"][0]["family"]
        .as_str()
        .ok_or("no family")?
        .to_owned();
    let birth = patient_json["birthDate"]
        .as_str()
        .ok_or("no birthDate")?
        .to_owned();
    let gender = patient_json["gender"]
        .as_str()
        .ok_or("no gender")?
        .to_owned();
    let eob = resources
        .iter()
        .find(|r| {
            r["resourceType"] == "ExplanationOfBenefit" && refers_to(&r["patient"], &patient_ref)
        })
        .ok_or("no EOB")?
        .clone();
    let eob_identifier = &eob["identifier"][0];
    let identifier_query = format!(
        "{}|{}",
        eob_identifier["system"].as_str().unwrap_or(""),
        eob_identifier["value"].as_str().unwrap_or("")
    );
    let observation = resources
        .iter()
        .find(|r| r["resourceType"] == "Observation" && refers_to(&r["subject"], &patient_ref))
        .ok_or("no Observation")?
        .clone();
    let loinc = codes(&observation["code"])[0].1.clone();

    type Filter<'a> = Box<dyn Fn(&Value) -> bool + 'a>;
    let p = patient_ref.as_str();
    let cases: Vec<(String, &str, Filter<'_>)> = vec![
        // CARIN BB 2.0.0 ExplanationOfBenefit
        (
            format!("patient={p}"),
            "ExplanationOfBenefit",
            Box::new(|r| refers_to(&r["patient"], p)),
        ),
        (
            format!("patient={p}&type=pharmacy,oral"),
            "ExplanationOfBenefit",
            Box::new(|r| {
                refers_to(&r["patient"], p)
                    && (has_code(&r["type"], "pharmacy") || has_code(&r["type"], "oral"))
            }),
        ),
        (
            format!("identifier={identifier_query}"),
            "ExplanationOfBenefit",
            Box::new(|r| {
                r["identifier"].as_array().into_iter().flatten().any(|i| {
                    format!(
                        "{}|{}",
                        i["system"].as_str().unwrap_or(""),
                        i["value"].as_str().unwrap_or("")
                    ) == identifier_query
                })
            }),
        ),
        (
            format!("patient={p}&service-start-date=ge2025-01-01"),
            "ExplanationOfBenefit",
            Box::new(|r| {
                refers_to(&r["patient"], p)
                    && service_start_dates(r)
                        .iter()
                        .any(|d| d.as_str() >= "2025-01-01")
            }),
        ),
        (
            format!("patient={p}&billable-period-start=lt2023-06-01"),
            "ExplanationOfBenefit",
            Box::new(|r| {
                refers_to(&r["patient"], p)
                    && r["billablePeriod"]["start"]
                        .as_str()
                        .is_some_and(|d| d < "2023-06-01")
            }),
        ),
        (
            format!("patient={p}&_lastUpdated=gt2000-01-01"),
            "ExplanationOfBenefit",
            Box::new(|r| refers_to(&r["patient"], p)),
        ),
        // US Core 6.1.0
        (
            format!("patient={p}"),
            "Coverage",
            Box::new(|r| refers_to(&r["beneficiary"], p)),
        ),
        (
            format!("_id={}", member.patient_id),
            "Patient",
            Box::new(|r| r["id"] == member.patient_id.as_str()),
        ),
        (
            format!("family={}", family.to_lowercase()),
            "Patient",
            Box::new(|r| {
                r["name"].as_array().into_iter().flatten().any(|n| {
                    n["family"]
                        .as_str()
                        .is_some_and(|f| f.to_lowercase().starts_with(&family.to_lowercase()))
                })
            }),
        ),
        (
            format!("birthdate={birth}&gender={gender}"),
            "Patient",
            Box::new(|r| r["birthDate"] == birth.as_str() && r["gender"] == gender.as_str()),
        ),
        (
            format!("patient={p}&category=vital-signs"),
            "Observation",
            Box::new(|r| refers_to(&r["subject"], p) && has_code(&r["category"], "vital-signs")),
        ),
        (
            format!("patient={p}&category=laboratory"),
            "Observation",
            Box::new(|r| refers_to(&r["subject"], p) && has_code(&r["category"], "laboratory")),
        ),
        (
            format!("patient={p}&code=http://loinc.org|{loinc}"),
            "Observation",
            Box::new(|r| {
                refers_to(&r["subject"], p)
                    && codes(&r["code"])
                        .iter()
                        .any(|(s, c)| s == "http://loinc.org" && *c == loinc)
            }),
        ),
        (
            format!("patient={p}"),
            "Condition",
            Box::new(|r| refers_to(&r["subject"], p)),
        ),
        (
            format!("patient={p}&clinical-status=active"),
            "Condition",
            Box::new(|r| refers_to(&r["subject"], p) && has_code(&r["clinicalStatus"], "active")),
        ),
        (
            format!("patient={p}"),
            "Encounter",
            Box::new(|r| refers_to(&r["subject"], p)),
        ),
        (
            format!("patient={p}"),
            "Immunization",
            Box::new(|r| refers_to(&r["patient"], p)),
        ),
        (
            format!("patient={p}"),
            "AllergyIntolerance",
            Box::new(|r| refers_to(&r["patient"], p)),
        ),
        (
            format!("patient={p}&intent=order"),
            "MedicationRequest",
            Box::new(|r| refers_to(&r["subject"], p) && r["intent"] == "order"),
        ),
        (
            format!("patient={p}"),
            "Procedure",
            Box::new(|r| refers_to(&r["subject"], p)),
        ),
    ];
    let mut checked = 0;
    for (query, resource_type, keep) in &cases {
        let mut want: Vec<String> = resources
            .iter()
            .filter(|r| r["resourceType"] == *resource_type && keep(r))
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect();
        want.sort();
        // All pages of 7.
        let mut got = Vec::new();
        let mut url = format!("{base}/{resource_type}?{query}&_count=7");
        loop {
            let bundle: Value = client.get(&url).send().await?.json().await?;
            assert_eq!(
                bundle["resourceType"], "Bundle",
                "{resource_type}?{query}: {bundle}"
            );
            got.extend(
                bundle["entry"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["resource"]["id"].as_str().map(str::to_owned)),
            );
            match bundle["link"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["relation"] == "next")
            {
                Some(next) => url = next["url"].as_str().ok_or("next without url")?.to_owned(),
                None => break,
            }
        }
        let unique: BTreeSet<&String> = got.iter().collect();
        assert_eq!(
            unique.len(),
            got.len(),
            "{resource_type}?{query}: duplicates"
        );
        got.sort();
        assert_eq!(got, want, "{resource_type}?{query}");
        checked += usize::from(!want.is_empty());
    }
    assert!(
        checked >= cases.len() - 2,
        "most searches find something: {checked}/{}",
        cases.len()
    );
    Ok(())
}
