//! The real server on a loopback port, over SQLite, loaded with the CARIN BB 2.0.0 examples
//! through the ingest API, driven over HTTP.

#[path = "../../carin-profiles/tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::error::Error;

use payer_server::http::{ServerConfig, router};
use payer_server::ingest::{self, Validation};
use payer_server::store::{ResourceStore, SqliteStore};
use reqwest::StatusCode;
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

struct Server {
    base: String,
    client: reqwest::Client,
    /// The examples loaded, as JSON.
    examples: Vec<Value>,
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

async fn start() -> Result<Server, Box<dyn Error>> {
    start_with(|config| config).await
}

async fn start_with(
    configure: impl FnOnce(ServerConfig) -> ServerConfig,
) -> Result<Server, Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("payer.sqlite"))?;
    let examples: Vec<Value> = common::example_resources("hl7.fhir.us.carin-bb-2.0.0.tgz")?
        .into_iter()
        .map(|(_, json)| json)
        .collect();
    let input = examples
        .iter()
        .map(|e| ("example".to_owned(), e.to_string()))
        .collect();
    let report = ingest::load(&store, input, Validation::Reject, &mut |_| {}).await?;
    assert_eq!(
        report.created,
        examples.len(),
        "{report}\n{:?}",
        report.problems
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/fhir", listener.local_addr()?);
    let app = axum::Router::new().nest(
        "/fhir",
        router(store.clone(), configure(ServerConfig::new(&base))),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Server {
        base,
        client: reqwest::Client::new(),
        examples,
        store,
        _dir: dir,
    })
}

impl Server {
    async fn get(&self, path: &str) -> Result<(StatusCode, Value), Box<dyn Error>> {
        let response = self
            .client
            .get(format!("{}/{path}", self.base))
            .send()
            .await?;
        let status = response.status();
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/fhir+json"),
            "{path}"
        );
        Ok((status, response.json().await?))
    }

    /// Every resource id of a search, following `next` links; checks there are no
    /// duplicates.
    async fn search_ids(&self, path: &str) -> Result<Vec<String>, Box<dyn Error>> {
        let mut url = format!("{}/{path}", self.base);
        let mut ids = Vec::new();
        loop {
            let bundle: Value = self.client.get(&url).send().await?.json().await?;
            assert_eq!(bundle["type"], "searchset", "{bundle}");
            for entry in bundle["entry"].as_array().into_iter().flatten() {
                if entry["search"]["mode"] == "match" {
                    ids.push(entry["resource"]["id"].as_str().ok_or("no id")?.to_owned());
                }
            }
            let next = bundle["link"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["relation"] == "next")
                .and_then(|l| l["url"].as_str());
            match next {
                Some(next) => {
                    assert!(
                        next.starts_with(&self.base),
                        "next link stays on the server: {next}"
                    );
                    url = next.to_owned();
                }
                None => break,
            }
        }
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "duplicates in {path}: {ids:?}");
        Ok(ids)
    }

    /// The ids of the loaded examples of `resource_type` that `keep` accepts, sorted.
    fn brute_force(&self, resource_type: &str, keep: impl Fn(&Value) -> bool) -> Vec<String> {
        let mut ids: Vec<String> = self
            .examples
            .iter()
            .filter(|e| e["resourceType"] == resource_type && keep(e))
            .filter_map(|e| e["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn carin_searches_return_exactly_the_matching_resources() -> TestResult {
    let server = start().await?;
    let eob_of = |patient: &'static str| move |e: &Value| e["patient"]["reference"] == patient;
    let want = server.brute_force("ExplanationOfBenefit", eob_of("Patient/Patient1"));
    assert!(!want.is_empty());
    for query in [
        "ExplanationOfBenefit?patient=Patient/Patient1",
        "ExplanationOfBenefit?patient=Patient1",
        "ExplanationOfBenefit?patient=Patient/Patient1&_count=1",
    ] {
        assert_eq!(sorted(server.search_ids(query).await?), want, "{query}");
    }
    let claim_type = |code: &'static str| {
        move |e: &Value| {
            e["type"]["coding"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["code"] == code)
        }
    };
    assert_eq!(
        sorted(
            server
                .search_ids("ExplanationOfBenefit?type=pharmacy,oral")
                .await?
        ),
        server.brute_force("ExplanationOfBenefit", |e| claim_type("pharmacy")(e)
            || claim_type("oral")(e))
    );
    // service-date: billablePeriod or item.serviced[x] within 2019.
    let in_2019 = server
        .search_ids("ExplanationOfBenefit?service-date=2019")
        .await?;
    assert!(!in_2019.is_empty());
    // A Period without an end is ongoing (R4 search on dates), so the two examples with
    // an open billablePeriod or item.servicedPeriod are "after" any date; no other is.
    let after = server
        .search_ids("ExplanationOfBenefit?service-date=gt2030-01-01")
        .await?;
    assert_eq!(
        sorted(after),
        ["EOBInpatient2", "EOBProfessionalTransportation1"]
    );
    let before = server
        .search_ids("ExplanationOfBenefit?service-date=eb2000-01-01")
        .await?;
    assert!(before.is_empty(), "{before:?}");
    // _id and identifier
    let first = &want[0];
    assert_eq!(
        server
            .search_ids(&format!("ExplanationOfBenefit?_id={first}"))
            .await?,
        std::slice::from_ref(first)
    );
    // POST _search with a form body finds the same.
    let response = server
        .client
        .post(format!("{}/ExplanationOfBenefit/_search", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("patient=Patient%2FPatient1")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let bundle: Value = response.json().await?;
    assert_eq!(bundle["entry"].as_array().map(Vec::len), Some(want.len()));
    // _sort pages through the same resources, latest service first.
    let sorted_ids = server
        .search_ids("ExplanationOfBenefit?patient=Patient1&_sort=-service-date&_count=1")
        .await?;
    assert_eq!(sorted(sorted_ids.clone()), want);
    let starts: Vec<String> = sorted_ids
        .iter()
        .filter_map(|id| server.examples.iter().find(|e| e["id"] == id.as_str()))
        .filter_map(|e| e["billablePeriod"]["start"].as_str().map(str::to_owned))
        .collect();
    let mut descending = starts.clone();
    descending.sort_by(|a, b| b.cmp(a));
    assert_eq!(starts, descending, "billing starts latest first");
    let (status, _) = server.get("ExplanationOfBenefit?_sort=status").await?;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "sorting on a token is refused"
    );
    // _summary=count
    let (_, count) = server
        .get("ExplanationOfBenefit?patient=Patient1&_summary=count")
        .await?;
    assert_eq!(count["total"], want.len());
    assert!(count.get("entry").is_none());
    Ok(())
}

#[tokio::test]
async fn reads_are_versioned_and_conditional() -> TestResult {
    let server = start().await?;
    let (status, patient) = server.get("Patient/Patient1").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patient["meta"]["versionId"], "1");
    let url = format!("{}/Patient/Patient1", server.base);
    let response = server.client.get(&url).send().await?;
    let etag = response.headers().get("etag").cloned().ok_or("no ETag")?;
    assert_eq!(etag, "W/\"1\"");
    assert!(response.headers().contains_key("last-modified"));
    let again = server
        .client
        .get(&url)
        .header("if-none-match", etag)
        .send()
        .await?;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let (status, v1) = server.get("Patient/Patient1/_history/1").await?;
    assert_eq!((status, &v1), (StatusCode::OK, &patient));
    let (status, outcome) = server.get("Patient/Patient1/_history/2").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    Ok(())
}

#[tokio::test]
async fn bad_requests_get_an_operation_outcome() -> TestResult {
    let server = start().await?;
    let cases = [
        ("Patient/nobody", StatusCode::NOT_FOUND, "not-found"),
        ("Basic/1", StatusCode::NOT_FOUND, "not-found"),
        (
            "ExplanationOfBenefit?service-date=ge2024-13-45",
            StatusCode::BAD_REQUEST,
            "value",
        ),
        (
            "ExplanationOfBenefit?_count=many",
            StatusCode::BAD_REQUEST,
            "value",
        ),
        (
            "ExplanationOfBenefit?type:below=x",
            StatusCode::BAD_REQUEST,
            "value",
        ),
        (
            "ExplanationOfBenefit?patient=%ZZ",
            StatusCode::BAD_REQUEST,
            "value",
        ),
        (
            "no/such/endpoint/here/at/all",
            StatusCode::NOT_FOUND,
            "not-found",
        ),
    ];
    for (path, status, code) in cases {
        let (got, outcome) = server.get(path).await?;
        assert_eq!(got, status, "{path}: {outcome}");
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{path}");
        assert_eq!(outcome["issue"][0]["code"], code, "{path}: {outcome}");
        assert_eq!(outcome["issue"][0]["severity"], "error", "{path}");
    }
    let (_, outcome) = server
        .get("ExplanationOfBenefit?service-date=ge2024-13-45")
        .await?;
    let text = outcome["issue"][0]["diagnostics"].as_str().unwrap_or("");
    assert!(
        text.contains("service-date"),
        "the message names the parameter: {text}"
    );

    // Unknown parameters: ignored with a warning, unless the client asks for strict handling.
    let (status, bundle) = server
        .get("ExplanationOfBenefit?patient=Patient1&color=blue")
        .await?;
    assert_eq!(status, StatusCode::OK);
    let outcome_entry = bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["search"]["mode"] == "outcome")
        .ok_or("no outcome entry")?;
    assert!(
        outcome_entry["resource"]["issue"][0]["diagnostics"]
            .as_str()
            .is_some_and(|d| d.contains("color"))
    );
    let strict = server
        .client
        .get(format!(
            "{}/ExplanationOfBenefit?patient=Patient1&color=blue",
            server.base
        ))
        .header("prefer", "handling=strict")
        .send()
        .await?;
    assert_eq!(strict.status(), StatusCode::BAD_REQUEST);

    // Oversized bodies are refused before they are read.
    let big = "a".repeat(payer_server::http::MAX_BODY_BYTES + 1);
    let response = server
        .client
        .post(format!("{}/ExplanationOfBenefit/_search", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    Ok(())
}

#[tokio::test]
async fn loading_is_idempotent_and_rejects_invalid_resources_whole() -> TestResult {
    let server = start().await?;
    let input: Vec<(String, String)> = server
        .examples
        .iter()
        .map(|e| ("again".to_owned(), e.to_string()))
        .collect();
    let report = ingest::load(&server.store, input, Validation::Reject, &mut |_| {}).await?;
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, server.examples.len())
    );

    // An EOB that breaks its profile (no patient) and one that is not FHIR.
    let mut broken = server
        .examples
        .iter()
        .find(|e| e["resourceType"] == "ExplanationOfBenefit")
        .cloned()
        .ok_or("no EOB")?;
    broken["id"] = "broken-eob".into();
    broken.as_object_mut().map(|o| o.remove("patient"));
    let not_fhir = serde_json::json!({"resourceType": "Patient", "id": "x1", "colour": "blue"});
    let input = vec![
        ("one".to_owned(), broken.to_string()),
        ("two".to_owned(), not_fhir.to_string()),
    ];
    let report = ingest::load(&server.store, input, Validation::Reject, &mut |_| {}).await?;
    assert_eq!(report.rejected, 2, "{report:?}");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("one:") && p.contains("ExplanationOfBenefit.patient")),
        "{:?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("two:") && p.contains("Patient.colour")),
        "{:?}",
        report.problems
    );
    let (status, _) = server.get("ExplanationOfBenefit/broken-eob").await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing written");

    // With warnings it is loaded and reported.
    let input = vec![("one".to_owned(), broken.to_string())];
    let report = ingest::load(&server.store, input, Validation::Warn, &mut |_| {}).await?;
    assert_eq!((report.created, report.loaded_with_errors), (1, 1));
    Ok(())
}

#[tokio::test]
async fn the_capability_statement_lists_what_is_served() -> TestResult {
    let server = start().await?;
    let (status, cs) = server.get("metadata").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cs["resourceType"], "CapabilityStatement");
    assert_eq!(cs["fhirVersion"], "4.0.1");
    // Valid FHIR JSON as a strict client reads it (there was an empty `interaction`).
    fhir_model::from_json(&cs.to_string())?;
    let eob = cs["rest"][0]["resource"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["type"] == "ExplanationOfBenefit")
        .ok_or("no EOB")?;
    let params: Vec<&str> = eob["searchParam"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    // CARIN BB 2.0.0 requires these on EOB.
    for required in [
        "_id",
        "patient",
        "_lastUpdated",
        "type",
        "identifier",
        "service-date",
        "service-start-date",
        "billable-period-start",
    ] {
        assert!(
            params.contains(&required),
            "{required} missing from {params:?}"
        );
    }
    // Every advertised parameter works.
    for p in params {
        let (status, _) = server
            .get(&format!("ExplanationOfBenefit?{p}:missing=false"))
            .await?;
        assert_eq!(status, StatusCode::OK, "{p}");
    }
    // The interactions advertised are the ones enabled.
    let interactions = |cs: &Value, rt: &str| -> Vec<String> {
        cs["rest"][0]["resource"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["type"] == rt)
            .and_then(|r| r["interaction"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|i| i["code"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        interactions(&cs, "Coverage"),
        ["read", "vread", "search-type"]
    );
    // No system interactions without writes: absent, since FHIR JSON has no empty arrays.
    assert_eq!(cs["rest"][0]["interaction"], Value::Null);
    let patient_operations = &cs["rest"][0]["resource"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["type"] == "Patient")
        .ok_or("no Patient")?["operation"];
    assert_eq!(patient_operations[0]["name"], "everything");
    let writable = start_with(|c| c.with_writes(Validation::Reject)).await?;
    let (_, cs) = writable.get("metadata").await?;
    assert_eq!(
        interactions(&cs, "Coverage"),
        ["read", "vread", "search-type", "create", "update", "delete"]
    );
    assert_eq!(cs["rest"][0]["interaction"][0]["code"], "transaction");
    Ok(())
}

/// Every `"reference"` string anywhere in a JSON value.
fn references_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "reference" {
                    out.extend(v.as_str().map(str::to_owned));
                } else {
                    references_in(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references_in(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn everything_returns_the_patient_compartment_in_pages() -> TestResult {
    let server = start().await?;
    // Independent of the compartment definition: in these examples, a resource is the
    // member's when it references Patient/Patient1 anywhere.
    let mut want: Vec<String> = server
        .examples
        .iter()
        .filter(|e| {
            let mut refs = Vec::new();
            references_in(e, &mut refs);
            refs.iter().any(|r| r == "Patient/Patient1")
                || (e["resourceType"] == "Patient" && e["id"] == "Patient1")
        })
        .map(|e| {
            format!(
                "{}/{}",
                e["resourceType"].as_str().unwrap_or(""),
                e["id"].as_str().unwrap_or("")
            )
        })
        .collect();
    want.sort();
    let (status, all) = server
        .get("Patient/Patient1/$everything?_count=1000")
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sorted(entry_keys(&all, None)), want);

    // Small pages: the same set, no duplicates.
    let mut got = Vec::new();
    let mut url = format!("{}/Patient/Patient1/$everything?_count=3", server.base);
    let mut pages = 0;
    loop {
        let bundle: Value = server.client.get(&url).send().await?.json().await?;
        got.extend(entry_keys(&bundle, None));
        pages += 1;
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
    assert!(pages > 2);
    let unique: BTreeSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "{got:?}");
    assert_eq!(sorted(got), want);

    let (_, eobs) = server
        .get("Patient/Patient1/$everything?_type=ExplanationOfBenefit")
        .await?;
    assert!(
        entry_keys(&eobs, None)
            .iter()
            .all(|r| r.starts_with("ExplanationOfBenefit/"))
    );
    assert_eq!(
        entry_keys(&eobs, None).len(),
        want.iter()
            .filter(|r| r.starts_with("ExplanationOfBenefit/"))
            .count()
    );
    let (_, none) = server
        .get("Patient/Patient1/$everything?_since=2999-01-01T00:00:00Z")
        .await?;
    assert!(entry_keys(&none, None).is_empty());
    let (status, _) = server.get("Patient/nobody/$everything").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .get("Patient/Patient1/$everything?_type=Basic")
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn chained_searches_over_http_match_a_brute_force_walk_of_the_references() -> TestResult {
    let server = start().await?;
    let find = |resource_type: &str, id: &str| {
        server
            .examples
            .iter()
            .find(|e| e["resourceType"] == resource_type && e["id"] == id)
            .cloned()
    };
    let target = |reference: &Value, resource_type: &str| {
        reference["reference"]
            .as_str()
            .and_then(|r| r.strip_prefix(&format!("{resource_type}/")))
            .and_then(|id| find(resource_type, id))
    };
    let name_starts = |org: &Value, prefix: &str| {
        org["name"]
            .as_str()
            .is_some_and(|n| n.to_lowercase().starts_with(prefix))
    };
    // Forward: claims whose billing provider is an Organization named "Orange...".
    let found = sorted(
        server
            .search_ids("ExplanationOfBenefit?provider:Organization.name=orange&_count=2")
            .await?,
    );
    let want = server.brute_force("ExplanationOfBenefit", |eob| {
        target(&eob["provider"], "Organization").is_some_and(|org| name_starts(&org, "orange"))
    });
    assert!(!want.is_empty(), "the examples exercise the chain");
    assert_eq!(found, want);
    // Reverse: the organizations that billed a claim of Patient1.
    let found = sorted(
        server
            .search_ids("Organization?_has:ExplanationOfBenefit:provider:patient=Patient1")
            .await?,
    );
    let want = server.brute_force("Organization", |org| {
        server.examples.iter().any(|eob| {
            eob["resourceType"] == "ExplanationOfBenefit"
                && eob["patient"]["reference"] == "Patient/Patient1"
                && eob["provider"]["reference"]
                    == format!("Organization/{}", org["id"].as_str().unwrap_or(""))
        })
    });
    assert!(!want.is_empty(), "the examples exercise the reverse chain");
    assert_eq!(found, want);
    // An ambiguous chain is a 400 that says how to name the type.
    let (status, outcome) = server.get("ExplanationOfBenefit?provider.name=x").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let said = outcome["issue"][0]["diagnostics"].as_str().unwrap_or("");
    assert!(said.contains("provider:"), "{outcome}");
    Ok(())
}

#[tokio::test]
async fn includes_add_referenced_and_referencing_resources() -> TestResult {
    let server = start().await?;
    let (_, bundle) = server
        .get("ExplanationOfBenefit?patient=Patient1&_include=ExplanationOfBenefit:patient")
        .await?;
    assert_eq!(
        sorted(entry_keys(&bundle, Some("include"))),
        ["Patient/Patient1"]
    );

    // `*`: every reference of the matches that the server holds, each once.
    let (_, bundle) = server
        .get("ExplanationOfBenefit?patient=Patient1&_include=*")
        .await?;
    let mut want = BTreeSet::new();
    for eob in server.examples.iter().filter(|e| {
        e["resourceType"] == "ExplanationOfBenefit"
            && e["patient"]["reference"] == "Patient/Patient1"
    }) {
        let mut refs = Vec::new();
        references_in(eob, &mut refs);
        for r in refs {
            let held = server.examples.iter().any(|e| {
                format!(
                    "{}/{}",
                    e["resourceType"].as_str().unwrap_or(""),
                    e["id"].as_str().unwrap_or("")
                ) == r
            });
            if held {
                want.insert(r);
            }
        }
    }
    assert_eq!(
        sorted(entry_keys(&bundle, Some("include"))),
        want.into_iter().collect::<Vec<_>>()
    );

    // _revinclude=Provenance:target, with a Provenance loaded for one EOB.
    let provenance = serde_json::json!({
        "resourceType": "Provenance", "id": "prov-1",
        "target": [{"reference": "ExplanationOfBenefit/EOBPharmacy1"}],
        "recorded": "2024-01-01T00:00:00Z",
        "agent": [{"who": {"reference": "Organization/Payer1"}}]
    });
    ingest::load(
        &server.store,
        vec![("test".to_owned(), provenance.to_string())],
        Validation::Off,
        &mut |_| {},
    )
    .await?;
    let (_, bundle) = server
        .get("ExplanationOfBenefit?_id=EOBPharmacy1&_revinclude=Provenance:target")
        .await?;
    assert_eq!(
        sorted(entry_keys(&bundle, Some("include"))),
        ["Provenance/prov-1"]
    );
    let (status, _) = server
        .get("ExplanationOfBenefit?_include=ExplanationOfBenefit:status")
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not a reference parameter");

    // A referenced resource that was deleted is left out, like one never held (it was a
    // 410 for the whole search).
    server.store.delete("Patient", "Patient1").await?;
    let (status, bundle) = server
        .get("ExplanationOfBenefit?patient=Patient1&_include=ExplanationOfBenefit:patient")
        .await?;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert!(entry_keys(&bundle, Some("include")).is_empty(), "{bundle}");
    assert!(!entry_keys(&bundle, Some("match")).is_empty());
    Ok(())
}

#[tokio::test]
async fn paging_over_http_is_stable_while_resources_are_added() -> TestResult {
    let server = start().await?;
    let template = server
        .examples
        .iter()
        .find(|e| {
            e["resourceType"] == "ExplanationOfBenefit"
                && e["patient"]["reference"] == "Patient/Patient1"
        })
        .cloned()
        .ok_or("no EOB of Patient1")?;
    let before = server.brute_force("ExplanationOfBenefit", |e| {
        e["patient"]["reference"] == "Patient/Patient1"
    });
    let mut url = format!(
        "{}/ExplanationOfBenefit?patient=Patient1&_count=1",
        server.base
    );
    let mut seen = Vec::new();
    let mut added = 0;
    loop {
        let bundle: Value = server.client.get(&url).send().await?.json().await?;
        seen.extend(
            bundle["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["resource"]["id"].as_str().map(str::to_owned)),
        );
        // Between two pages, another EOB for the same member arrives.
        added += 1;
        let mut new = template.clone();
        new["id"] = format!("arrived-{added}").into();
        ingest::load(
            &server.store,
            vec![("test".to_owned(), new.to_string())],
            Validation::Off,
            &mut |_| {},
        )
        .await?;
        match bundle["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
        {
            Some(next) if added < 50 => {
                url = next["url"].as_str().ok_or("next without url")?.to_owned()
            }
            _ => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    for id in &before {
        assert!(seen.contains(id), "no gaps: {id} missing from {seen:?}");
    }
    assert!(
        seen.iter().any(|id| id.starts_with("arrived-")),
        "arrivals are paged at the end"
    );
    Ok(())
}

#[tokio::test]
async fn transaction_and_batch_bundles_write_all_or_nothing() -> TestResult {
    let server = start_with(|c| c.with_writes(Validation::Reject)).await?;
    let post = |bundle: Value| {
        server
            .client
            .post(server.base.clone())
            .header("content-type", "application/fhir+json")
            .body(bundle.to_string())
            .send()
    };
    let mut patient = server
        .examples
        .iter()
        .find(|e| e["resourceType"] == "Patient" && e["id"] == "Patient1")
        .cloned()
        .ok_or("no Patient1")?;
    let mut new_patient = patient.clone();
    new_patient["id"] = "Patient9".into();
    patient["birthDate"] = "1987-02-21".into();
    let transaction = serde_json::json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": new_patient, "request": {"method": "PUT", "url": "Patient/Patient9"}},
        {"resource": patient, "request": {"method": "PUT", "url": "Patient/Patient1"}}
    ]});
    let response = post(transaction).await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await?;
    assert_eq!(body["type"], "transaction-response");
    assert_eq!(body["entry"][0]["response"]["status"], "201 Created");
    assert_eq!(body["entry"][1]["response"]["status"], "200 OK");
    assert_eq!(
        body["entry"][1]["response"]["location"],
        "Patient/Patient1/_history/2"
    );
    let (_, read) = server.get("Patient/Patient1").await?;
    assert_eq!(read["birthDate"], "1987-02-21");

    // One entry breaks its profile: the transaction writes nothing.
    let mut broken = server
        .examples
        .iter()
        .find(|e| e["resourceType"] == "ExplanationOfBenefit")
        .cloned()
        .ok_or("no EOB")?;
    broken.as_object_mut().map(|o| o.remove("patient"));
    let broken_id = broken["id"].as_str().unwrap_or("").to_owned();
    let mut fine = server
        .examples
        .iter()
        .find(|e| e["resourceType"] == "Patient" && e["id"] == "Patient2")
        .cloned()
        .ok_or("no Patient2")?;
    fine["id"] = "Patient10".into();
    fine["name"][0]["family"] = "Fine".into();
    let transaction = serde_json::json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": fine.clone(), "request": {"method": "PUT", "url": "Patient/Patient10"}},
        {"resource": broken.clone(), "request": {"method": "PUT", "url": format!("ExplanationOfBenefit/{broken_id}")}}
    ]});
    let response = post(transaction).await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let outcome: Value = response.json().await?;
    assert!(
        outcome["issue"][0]["diagnostics"]
            .as_str()
            .is_some_and(|d| d.contains("entry[1]")),
        "{outcome}"
    );
    let (status, _) = server.get("Patient/Patient10").await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing written");

    // The same as a batch: the good entry is written, the bad one answered on its own.
    let batch = serde_json::json!({"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": fine, "request": {"method": "POST", "url": "Patient"}},
        {"resource": broken, "request": {"method": "PUT", "url": format!("ExplanationOfBenefit/{broken_id}")}}
    ]});
    let body: Value = post(batch).await?.json().await?;
    assert_eq!(body["type"], "batch-response");
    assert_eq!(body["entry"][0]["response"]["status"], "201 Created");
    assert_eq!(body["entry"][1]["response"]["status"], "400");
    let location = body["entry"][0]["response"]["location"]
        .as_str()
        .ok_or("no location")?;
    let id = location.split('/').nth(1).ok_or("no id")?;
    let (status, created) = server.get(&format!("Patient/{id}")).await?;
    assert_eq!(
        (status, &created["name"][0]["family"]),
        (StatusCode::OK, &Value::from("Fine"))
    );

    // Writes are off unless enabled.
    let read_only = start().await?;
    let response = read_only
        .client
        .post(read_only.base.clone())
        .body(r#"{"resourceType": "Bundle", "type": "batch"}"#)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::NOT_IMPLEMENTED);
    Ok(())
}

/// The authorization hook as a payer (or the SMART server) plugs it in: bearer tokens
/// mapped to grants.
struct TokenTable;

impl payer_server::access::Authorizer for TokenTable {
    fn authorize<'a>(
        &'a self,
        headers: &'a axum::http::HeaderMap,
    ) -> payer_server::access::AuthorizeFuture<'a> {
        use payer_server::access::Grant;
        Box::pin(async move {
            let token = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            match token {
                Some("admin") => Ok(Grant::all("admin")),
                Some("member1") => Ok(Grant::patient("member1", "Patient1").for_client("app")),
                Some("member1-coverage") => {
                    Ok(Grant::patient("member1", "Patient1").only_types(["Coverage"]))
                }
                _ => Err(payer_server::error::Error::Unauthorized(
                    "no valid bearer token".to_owned(),
                )),
            }
        })
    }
}

impl Server {
    async fn get_as(&self, token: &str, path: &str) -> Result<(StatusCode, Value), Box<dyn Error>> {
        let response = self
            .client
            .get(format!("{}/{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?;
        Ok((response.status(), response.json().await?))
    }
}

/// `Type/id` of each entry of a Bundle, in order; only those of search mode `mode` if
/// given.
fn entry_keys(bundle: &Value, mode: Option<&str>) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| mode.is_none_or(|mode| e["search"]["mode"] == mode))
        .map(|e| {
            format!(
                "{}/{}",
                e["resource"]["resourceType"].as_str().unwrap_or(""),
                e["resource"]["id"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// A member's token reads the member's compartment and the shared reference data, and
/// nothing of another member: not by search, read, include or `$everything`, and not even
/// whether it exists. Every access, refused ones too, is in the audit trail, without
/// content.
#[tokio::test]
async fn a_members_grant_reads_only_the_members_data() -> TestResult {
    let audit = std::sync::Arc::new(payer_server::access::MemoryAuditSink::new(100));
    let sink = audit.clone();
    let server = start_with(move |c| {
        c.with_authorizer(std::sync::Arc::new(TokenTable))
            .with_audit(sink)
            .with_writes(Validation::Reject)
    })
    .await?;
    let own_eobs = server.brute_force("ExplanationOfBenefit", |e| {
        e["patient"]["reference"] == "Patient/Patient1"
    });
    let other_eob = server
        .brute_force("ExplanationOfBenefit", |e| {
            e["patient"]["reference"] == "Patient/Patient2"
        })
        .pop()
        .ok_or("no EOB of Patient2")?;
    assert!(!own_eobs.is_empty());

    // No token: 401 with the scheme to use, as an OperationOutcome.
    let response = server
        .client
        .get(format!("{}/ExplanationOfBenefit", server.base))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let outcome: Value = response.json().await?;
    assert_eq!(outcome["issue"][0]["code"], "login", "{outcome}");
    assert_eq!(
        server.get("metadata").await?.0,
        StatusCode::OK,
        "metadata is public"
    );

    // Searches see the member's EOBs only, whatever they ask for.
    let (status, bundle) = server
        .get_as("member1", "ExplanationOfBenefit?_count=100")
        .await?;
    assert_eq!(status, StatusCode::OK);
    let found: Vec<String> = sorted(entry_keys(&bundle, None))
        .into_iter()
        .map(|k| k.trim_start_matches("ExplanationOfBenefit/").to_owned())
        .collect();
    assert_eq!(found, own_eobs);
    let (_, bundle) = server
        .get_as("member1", "ExplanationOfBenefit?patient=Patient2")
        .await?;
    assert_eq!(sorted(entry_keys(&bundle, None)), Vec::<String>::new());
    let (_, bundle) = server
        .get_as("admin", "ExplanationOfBenefit?_count=100")
        .await?;
    assert!(
        sorted(entry_keys(&bundle, None)).len() > own_eobs.len(),
        "an administrator sees all"
    );

    // Reads: another member's EOB and Patient are "not found"; the shared directory is not
    // restricted.
    let (status, _) = server
        .get_as("member1", &format!("ExplanationOfBenefit/{}", own_eobs[0]))
        .await?;
    assert_eq!(status, StatusCode::OK);
    for path in [
        format!("ExplanationOfBenefit/{other_eob}"),
        format!("ExplanationOfBenefit/{other_eob}/_history/1"),
        "Patient/Patient2".to_owned(),
        "Patient/Patient2/$everything".to_owned(),
    ] {
        let (status, outcome) = server.get_as("member1", &path).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(outcome["issue"][0]["code"], "not-found", "{path}");
    }
    let organization = server
        .brute_force("Organization", |_| true)
        .pop()
        .ok_or("no Organization")?;
    let (status, _) = server
        .get_as("member1", &format!("Organization/{organization}"))
        .await?;
    assert_eq!(status, StatusCode::OK);

    // Includes and $everything stay in the compartment.
    let (_, bundle) = server
        .get_as(
            "member1",
            "Patient?_revinclude=ExplanationOfBenefit:patient",
        )
        .await?;
    let keys = sorted(entry_keys(&bundle, None));
    assert!(keys.contains(&"Patient/Patient1".to_owned()), "{keys:?}");
    assert!(
        !keys
            .iter()
            .any(|k| k.ends_with(&other_eob) || k == "Patient/Patient2"),
        "{keys:?}"
    );
    // Chains through shared data work for a member; through the compartment (where
    // another member's claims could decide the answer) they are refused.
    let (status, _) = server
        .get_as(
            "member1",
            "ExplanationOfBenefit?provider:Organization.name=orange",
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (status, outcome) = server
        .get_as(
            "member1",
            "Organization?_has:ExplanationOfBenefit:provider:patient=Patient2",
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{outcome}");
    assert_eq!(outcome["issue"][0]["code"], "forbidden", "{outcome}");
    let (status, _) = server
        .get_as(
            "admin",
            "Organization?_has:ExplanationOfBenefit:provider:patient=Patient2",
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    // Shared data is searchable, but what references it is the member's only.
    let shared = "Organization?_id=ProviderOrganization1&_revinclude=ExplanationOfBenefit:provider";
    let (_, as_member) = server.get_as("member1", shared).await?;
    let (_, as_admin) = server.get_as("admin", shared).await?;
    assert_eq!(
        sorted(entry_keys(&as_member, None)),
        [
            "ExplanationOfBenefit/EOBProfessional2",
            "Organization/ProviderOrganization1"
        ]
    );
    assert!(sorted(entry_keys(&as_admin, None)).len() > 3, "{as_admin}");
    let (status, bundle) = server
        .get_as("member1", "Patient/Patient1/$everything?_count=1000")
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (_, as_admin) = server
        .get_as("admin", "Patient/Patient1/$everything?_count=1000")
        .await?;
    assert_eq!(
        sorted(entry_keys(&bundle, None)),
        sorted(entry_keys(&as_admin, None))
    );

    // A grant narrowed to Coverage: other types are forbidden, $everything holds only the
    // member's Coverage.
    let (status, outcome) = server
        .get_as("member1-coverage", "ExplanationOfBenefit")
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(outcome["issue"][0]["code"], "forbidden");
    let (_, bundle) = server
        .get_as("member1-coverage", "Patient/Patient1/$everything")
        .await?;
    let keys = sorted(entry_keys(&bundle, None));
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k.starts_with("Coverage/")),
        "{keys:?}"
    );

    // Writes need a grant of everything.
    let response = server
        .client
        .post(&server.base)
        .bearer_auth("member1")
        .header("content-type", "application/fhir+json")
        .body(r#"{"resourceType": "Bundle", "type": "batch", "entry": []}"#)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = server
        .client
        .delete(format!(
            "{}/ExplanationOfBenefit/{}",
            server.base, own_eobs[0]
        ))
        .bearer_auth("member1")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        server
            .get_as("member1", &format!("ExplanationOfBenefit/{}", own_eobs[0]))
            .await?
            .0,
        StatusCode::OK,
        "a refused delete deletes nothing"
    );

    // The audit trail: who, what, the status, which resources, and nothing else.
    let events = audit.events();
    let refused = events.first().ok_or("no audit events")?;
    assert_eq!((refused.subject.as_deref(), refused.status), (None, 401));
    let read = events
        .iter()
        .find(|e| e.action == payer_server::access::AuditAction::Read && e.status == 200)
        .ok_or("no read audited")?;
    assert_eq!(read.subject.as_deref(), Some("member1"));
    assert_eq!(read.client_id.as_deref(), Some("app"));
    assert_eq!(
        read.resources,
        [format!("ExplanationOfBenefit/{}", own_eobs[0])]
    );
    assert!(
        events
            .iter()
            .any(|e| e.status == 404 && e.subject.as_deref() == Some("member1"))
    );
    assert!(
        events
            .iter()
            .any(|e| e.action == payer_server::access::AuditAction::Write && e.status == 403)
    );
    let searched = events
        .iter()
        .find(|e| e.action == payer_server::access::AuditAction::Search && e.status == 200)
        .ok_or("no search audited")?;
    assert_eq!(searched.resources.len(), own_eobs.len());
    Ok(())
}

/// PUT, POST and DELETE of single resources: status codes, `Location`, versions,
/// `Prefer: return`, 410 after a deletion, and bad input that changes nothing.
#[tokio::test]
async fn single_resource_writes_follow_the_fhir_rest_rules() -> TestResult {
    let closed = start().await?;
    let response = closed
        .client
        .put(format!("{}/Patient/new1", closed.base))
        .body(r#"{"resourceType": "Patient", "id": "new1"}"#)
        .send()
        .await?;
    assert_eq!(
        response.status(),
        StatusCode::NOT_IMPLEMENTED,
        "writes are off by default"
    );

    let server = start_with(|c| c.with_writes(Validation::Reject)).await?;
    let put = |path: &str, body: String, prefer: &str| {
        server
            .client
            .put(format!("{}/{path}", server.base))
            .header("content-type", "application/fhir+json")
            .header("prefer", prefer.to_owned())
            .body(body)
            .send()
    };
    // A US Core Patient, valid against its profile (what the store validates against).
    let patient = |gender: &str| {
        format!(
            r#"{{"resourceType": "Patient", "id": "new1", "gender": "{gender}",
                "identifier": [{{"system": "urn:example:member", "value": "1"}}],
                "name": [{{"family": "Doe"}}]}}"#
        )
    };

    // Create with PUT, then the same content (unchanged), then a change.
    let response = put("Patient/new1", patient("female"), "return=representation").await?;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(location, format!("{}/Patient/new1/_history/1", server.base));
    let body: Value = response.json().await?;
    assert_eq!(
        (body["id"].as_str(), body["meta"]["versionId"].as_str()),
        (Some("new1"), Some("1"))
    );
    let response = put("Patient/new1", patient("female"), "return=minimal").await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("W/\"1\"")
    );
    assert!(
        response.bytes().await?.is_empty(),
        "return=minimal has no body"
    );
    let response = put("Patient/new1", patient("male"), "return=OperationOutcome").await?;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: Value = response.json().await?;
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["severity"], "information");
    assert_eq!(
        server.get("Patient/new1").await?.1["meta"]["versionId"],
        "2"
    );

    // Bad input: an answer that says what is wrong, and nothing written.
    for (path, body, why) in [
        ("Patient/new2", patient("male"), "id differs from the URL's"),
        (
            "Observation/new1",
            patient("male"),
            "type differs from the URL's",
        ),
        (
            "Patient/new2",
            r#"{"resourceType": "Patient", "id": "new2", "colour": "red"}"#.to_owned(),
            "unknown element",
        ),
        ("Patient/new2", "{".to_owned(), "not JSON"),
    ] {
        let response = put(path, body, "").await?;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{why}");
        let outcome: Value = response.json().await?;
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{why}");
    }
    assert_eq!(server.get("Patient/new2").await?.0, StatusCode::NOT_FOUND);
    // A CARIN EOB that breaks its profile is refused under Validation::Reject.
    let response = put(
        "ExplanationOfBenefit/bad1",
        r#"{"resourceType": "ExplanationOfBenefit", "id": "bad1", "status": "active",
            "meta": {"profile": ["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy"]}}"#
            .to_owned(),
        "",
    )
    .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        server.get("ExplanationOfBenefit/bad1").await?.0,
        StatusCode::NOT_FOUND
    );

    // POST: the server picks the id.
    let response = server
        .client
        .post(format!("{}/Patient", server.base))
        .header("content-type", "application/fhir+json")
        .body(patient("other").replace("new1", "mine"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await?;
    let id = created["id"].as_str().ok_or("no id")?.to_owned();
    assert_ne!(id, "mine");
    assert_eq!(
        server.get(&format!("Patient/{id}")).await?.1["gender"],
        "other"
    );

    // DELETE: 204, then 410 Gone on read; old versions stay; searches no longer find it.
    let delete = || {
        server
            .client
            .delete(format!("{}/Patient/new1", server.base))
            .send()
    };
    assert_eq!(delete().await?.status(), StatusCode::NO_CONTENT);
    let (status, outcome) = server.get("Patient/new1").await?;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(outcome["issue"][0]["code"], "deleted");
    assert_eq!(
        server.get("Patient/new1/_history/2").await?.0,
        StatusCode::OK
    );
    assert_eq!(
        server.get("Patient/new1/_history/3").await?.0,
        StatusCode::GONE
    );
    assert!(server.search_ids("Patient?_id=new1").await?.is_empty());
    assert_eq!(
        delete().await?.status(),
        StatusCode::NO_CONTENT,
        "idempotent"
    );
    // Written again: its versions continue.
    let response = put("Patient/new1", patient("female"), "").await?;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.json::<Value>().await?["meta"]["versionId"], "4");
    Ok(())
}

/// Posted resources are stored as written: a decimal keeps its digits through POST (the
/// server setting the id) and through a batch Bundle.
#[tokio::test]
async fn posted_decimals_keep_their_digits() -> TestResult {
    let server = start_with(|c| c.with_writes(Validation::Off)).await?;
    let observation = r#"{"resourceType": "Observation", "id": "x", "status": "final",
        "code": {"text": "weight"}, "valueQuantity": {"value": 72.50, "unit": "kg"}}"#;
    let post = |path: &str, body: String| {
        server
            .client
            .post(format!("{}{path}", server.base))
            .header("content-type", "application/fhir+json")
            .body(body)
            .send()
    };
    let created: Value = post("/Observation", observation.to_owned())
        .await?
        .json()
        .await?;
    let batch = format!(
        r#"{{"resourceType": "Bundle", "type": "batch", "entry": [
            {{"resource": {observation}, "request": {{"method": "POST", "url": "Observation"}}}}]}}"#
    );
    let answer: Value = post("", batch).await?.json().await?;
    let location = answer["entry"][0]["response"]["location"]
        .as_str()
        .ok_or("no location")?;
    let batched_id = location.split('/').nth(1).ok_or("bad location")?;
    for id in [created["id"].as_str().ok_or("no id")?, batched_id] {
        let stored = server
            .client
            .get(format!("{}/Observation/{id}", server.base))
            .send()
            .await?
            .text()
            .await?;
        assert!(stored.contains(r#""value":72.50"#), "{stored}");
    }
    Ok(())
}
