//! Every official example of the IGs the server serves, loaded into SQLite: each is stored
//! with exactly the index rows its whole JSON yields (the load reads only the parts the
//! search parameters select), and loading again changes nothing.

#[path = "../../carin-profiles/tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::error::Error;

use payer_server::ingest::{self, Validation};
use payer_server::store::SqliteStore;

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
                input.push((format!("{package}: {entry}"), json));
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
