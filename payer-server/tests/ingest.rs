//! Every official example of the IGs the server serves, loaded into SQLite: each is stored
//! with exactly the index rows its whole JSON yields (the load reads only the parts the
//! search parameters select), and loading again changes nothing.

#[path = "../../carin-profiles/tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::error::Error;

use payer_server::ingest::{self, Validation};
use payer_server::store::{ResourceStore, SqliteStore};

const PACKAGES: [&str; 4] = [
    "hl7.fhir.us.carin-bb-2.0.0.tgz",
    "hl7.fhir.us.core-6.1.0.tgz",
    "hl7.fhir.us.davinci-pdex-2.0.0.tgz",
    "hl7.fhir.us.davinci-pdex-plan-net.tgz",
];

#[tokio::test(flavor = "multi_thread")]
async fn official_examples_are_indexed_as_their_whole_json_says() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("examples.sqlite"))?;
    // The same resource can be an example of two packages; the first one is loaded.
    let mut seen = BTreeSet::new();
    let mut input = Vec::new();
    for package in PACKAGES {
        for (entry, json) in common::example_resources(package)? {
            let key = format!("{}/{}", json["resourceType"], json["id"]);
            if seen.insert(key) {
                input.push((format!("{package}: {entry}"), json.to_string()));
            }
        }
    }
    let total = input.len();
    let report = ingest::load(&store, input.clone(), Validation::Off, &mut |_| {}).await?;
    assert_eq!(report.created, total, "{report}\n{:#?}", report.problems);
    assert_eq!(store.check_integrity().await?, total);

    let again = ingest::load(&store, input, Validation::Off, &mut |_| {}).await?;
    assert_eq!(again.unchanged, total, "{again}");
    Ok(())
}

/// NDJSON read as it streams: each line a resource, bad lines rejected one by one with
/// where they are, the rest loaded.
#[tokio::test(flavor = "multi_thread")]
async fn ndjson_streams_and_rejects_bad_lines_alone() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("ndjson.sqlite"))?;
    let text = [
        r#"{"resourceType": "Organization", "id": "o1", "name": "Payer"}"#,
        "",
        "not json",
        r#"{"resourceType": "Organization", "id": "o2", "colour": "red"}"#,
        r#"{"resourceType": "Organization", "id": "o3", "name": "Clinic"}"#,
    ]
    .join("\n");
    let mut progressed = 0;
    let report = ingest::load_ndjson(
        &store,
        "orgs.ndjson",
        std::io::Cursor::new(text.into_bytes()),
        Validation::Off,
        &mut |done| progressed = done,
    )
    .await?;
    assert_eq!((report.created, report.rejected), (2, 2), "{report}");
    assert!(
        report.problems[0].starts_with("orgs.ndjson: line 3: not valid FHIR"),
        "{:?}",
        report.problems
    );
    assert!(
        report.problems[1].starts_with("orgs.ndjson: line 4: not valid FHIR"),
        "{:?}",
        report.problems
    );
    assert_eq!(progressed, 4, "every line handled is reported");
    assert_eq!(store.check_integrity().await?, 2);
    Ok(())
}

/// A Bundle or a single resource file is stored exactly as written: decimals keep their
/// digits (`100.00` is not `100.0`; FHIR decimals carry their precision), and what is
/// neither JSON nor NDJSON is refused as a whole, with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn files_keep_their_decimals_and_bad_files_are_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("decimals.sqlite"))?;
    let bundle = r#"{"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Coverage", "id": "c1", "status": "active",
          "beneficiary": {"reference": "Patient/p1"}, "payor": [{"reference": "Organization/o1"}],
          "costToBeneficiary": [{"valueMoney": {"value": 100.00, "currency": "USD"}}]}},
        {"resource": {"resourceType": "Observation", "id": "w1", "status": "final",
          "code": {"text": "weight"}, "valueQuantity": {"value": 72.50, "unit": "kg"}}}
    ]}"#;
    let resources = ingest::resources_in(bundle)?;
    assert_eq!(resources.len(), 2);
    let report = ingest::load(&store, resources.clone(), Validation::Off, &mut |_| {}).await?;
    assert_eq!(report.created, 2, "{report}");
    let coverage = store.read("Coverage", "c1").await?.json;
    assert!(coverage.contains(r#""value":100.00"#), "{coverage}");
    let observation = store.read("Observation", "w1").await?.json;
    assert!(observation.contains(r#""value":72.50"#), "{observation}");
    let again = ingest::load(&store, resources, Validation::Off, &mut |_| {}).await?;
    assert_eq!(again.unchanged, 2, "{again}");

    let single = r#"{"resourceType": "Organization", "id": "o1", "name": "Payer"}"#;
    assert_eq!(ingest::resources_in(single)?.len(), 1);
    let error = ingest::resources_in("{\n \"resourceType\": \"Organization\",\n")
        .err()
        .ok_or("a truncated file was accepted")?;
    assert!(
        error.to_string().contains("neither a JSON resource"),
        "{error}"
    );
    Ok(())
}
