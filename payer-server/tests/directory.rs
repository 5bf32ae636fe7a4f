//! The public Provider Directory API (Plan-Net 1.1.0, CMS-9115-F) on a loopback port, over
//! one SQLite store that also holds member data (the CARIN examples): every Plan-Net
//! example loads with profile validation, searches need no token and match a brute-force
//! walk of the examples, and nothing but directory types ever comes back.

#[path = "../../carin-profiles/tests/common/mod.rs"]
mod common;

use std::error::Error;

use payer_server::http::{ServerConfig, router};
use payer_server::ingest::{self, Validation};
use payer_server::store::SqliteStore;
use reqwest::StatusCode;
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const DIRECTORY_TYPES: &[&str] = payer_server::http::PLAN_NET_TYPES;

struct Directory {
    base: String,
    client: reqwest::Client,
    /// The Plan-Net examples loaded.
    examples: Vec<Value>,
    _dir: tempfile::TempDir,
}

async fn start() -> Result<Directory, Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("payer.sqlite"))?;
    let mut loaded = Vec::new();
    for (package, validation) in [
        // Must validate against their Plan-Net profiles.
        ("hl7.fhir.us.davinci-pdex-plan-net.tgz", Validation::Reject),
        // Member data in the same store.
        ("hl7.fhir.us.carin-bb-2.0.0.tgz", Validation::Off),
    ] {
        let examples: Vec<Value> = common::example_resources(package)?
            .into_iter()
            .map(|(_, json)| json)
            .filter(|json| {
                // CARIN's directory-type examples stay out: the directory is Plan-Net's.
                package.contains("plan-net")
                    || !DIRECTORY_TYPES.contains(&json["resourceType"].as_str().unwrap_or(""))
            })
            .collect();
        let input = examples
            .iter()
            .map(|e| (package.to_owned(), e.to_string()))
            .collect();
        let report = ingest::load(&store, input, validation, &mut |_| {}).await?;
        assert_eq!(
            report.created,
            examples.len(),
            "{package}: {report}\n{:#?}",
            report.problems
        );
        if package.contains("plan-net") {
            assert_eq!(report.loaded_with_errors, 0, "{:#?}", report.problems);
            loaded = examples;
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/directory", listener.local_addr()?);
    let app = axum::Router::new().nest("/directory", router(store, ServerConfig::directory(&base)));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Directory {
        base,
        client: reqwest::Client::new(),
        examples: loaded,
        _dir: dir,
    })
}

impl Directory {
    async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> Result<(StatusCode, Value), Box<dyn Error>> {
        let mut request = self.client.get(format!("{}/{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        Ok((response.status(), response.json().await?))
    }

    async fn get(&self, path: &str) -> Result<(StatusCode, Value), Box<dyn Error>> {
        self.get_with(path, None).await
    }

    /// `Type/id` of the entries of a searchset in `mode`, sorted.
    async fn search(&self, path: &str, mode: &str) -> Result<Vec<String>, Box<dyn Error>> {
        let (status, bundle) = self.get(path).await?;
        assert_eq!(status, StatusCode::OK, "{path}: {bundle}");
        assert!(
            bundle["link"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|l| l["relation"] != "next"),
            "{path}: one page"
        );
        let mut keys: Vec<String> = bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["search"]["mode"] == mode)
            .map(|e| key(&e["resource"]))
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn find(&self, reference: &Value) -> Option<&Value> {
        let reference = reference["reference"].as_str()?;
        self.examples.iter().find(|e| key(e) == reference)
    }

    /// `Type/id` of the examples of `resource_type` that `keep` accepts, sorted.
    fn brute_force(&self, resource_type: &str, keep: impl Fn(&Value) -> bool) -> Vec<String> {
        let mut keys: Vec<String> = self
            .examples
            .iter()
            .filter(|e| e["resourceType"] == resource_type && keep(e))
            .map(key)
            .collect();
        keys.sort();
        keys
    }
}

fn key(resource: &Value) -> String {
    format!(
        "{}/{}",
        resource["resourceType"].as_str().unwrap_or(""),
        resource["id"].as_str().unwrap_or("")
    )
}

/// Whether `concept` (a CodeableConcept) has `code`.
fn has_code(concept: &Value, code: &str) -> bool {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["code"] == code)
}

/// The first code of the first CodeableConcept of `resource[element]`.
fn first_code<'a>(directory: &'a Directory, resource_type: &str, element: &str) -> &'a str {
    directory
        .examples
        .iter()
        .filter(|e| e["resourceType"] == resource_type)
        .find_map(|e| e[element][0]["coding"][0]["code"].as_str())
        .unwrap_or("none")
}

#[tokio::test]
async fn searches_need_no_token_and_match_a_walk_of_the_examples() -> TestResult {
    let directory = start().await?;
    for resource_type in DIRECTORY_TYPES {
        let found = directory
            .search(&format!("{resource_type}?_count=100"), "match")
            .await?;
        assert_eq!(
            found,
            directory.brute_force(resource_type, |_| true),
            "every {resource_type} example is served"
        );
    }

    // A token search, a forward chain, a reverse chain and an include, each against the
    // examples walked by hand.
    let specialty = first_code(&directory, "PractitionerRole", "specialty");
    let has_specialty = |role: &Value| {
        role["specialty"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| has_code(s, specialty))
    };
    assert_eq!(
        directory
            .search(&format!("PractitionerRole?specialty={specialty}"), "match")
            .await?,
        directory.brute_force("PractitionerRole", has_specialty)
    );
    let practitioners_with_specialty = directory.brute_force("Practitioner", |p| {
        directory.examples.iter().any(|role| {
            role["resourceType"] == "PractitionerRole"
                && has_specialty(role)
                && directory.find(&role["practitioner"]) == Some(p)
        })
    });
    assert!(!practitioners_with_specialty.is_empty());
    assert_eq!(
        directory
            .search(
                &format!("Practitioner?_has:PractitionerRole:practitioner:specialty={specialty}"),
                "match"
            )
            .await?,
        practitioners_with_specialty
    );
    let by_organization_name = directory.brute_force("PractitionerRole", |role| {
        directory
            .find(&role["organization"])
            .and_then(|org| org["name"].as_str())
            .is_some_and(|name| name.to_lowercase().starts_with("hamilton"))
    });
    assert!(!by_organization_name.is_empty());
    assert_eq!(
        directory
            .search("PractitionerRole?organization.name=Hamilton", "match")
            .await?,
        by_organization_name
    );
    let mut locations: Vec<String> = directory
        .examples
        .iter()
        .filter(|e| e["resourceType"] == "PractitionerRole")
        .flat_map(|role| role["location"].as_array().cloned().unwrap_or_default())
        .filter_map(|reference| directory.find(&reference).map(key))
        .collect();
    locations.sort();
    locations.dedup();
    assert!(!locations.is_empty());
    assert_eq!(
        directory
            .search(
                "PractitionerRole?_count=100&_include=PractitionerRole:location",
                "include"
            )
            .await?,
        locations
    );
    Ok(())
}

/// Whether `reference` (a Reference) is `Type/id`.
fn points_to(reference: &Value, key: &str) -> bool {
    reference["reference"] == key
}

/// Whether any Reference of the array `references` is `Type/id`.
fn any_points_to(references: &Value, key: &str) -> bool {
    references
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| points_to(r, key))
}

fn starts(text: &Value, prefix: &str) -> bool {
    text.as_str()
        .is_some_and(|t| t.to_lowercase().starts_with(prefix))
}

/// Searches of the Plan-Net test kit's kinds (inferno-appendix-plannet-110.md): reference,
/// token and string parameters with modifiers, forward and reverse chains, includes and
/// revincludes; each against the examples walked by hand.
#[tokio::test]
async fn plan_net_searches_of_every_kind_match_a_walk_of_the_examples() -> TestResult {
    let d = start().await?;
    let city = |location: &Value, f: &dyn Fn(&str) -> bool| {
        location["address"]["city"]
            .as_str()
            .is_some_and(|c| f(&c.to_lowercase()))
    };
    let std_net = "Organization/AcmeofCTStdNet";
    let cases: Vec<(&str, &str, Vec<String>)> = vec![
        (
            "Location?address-city=Rain",
            "match",
            d.brute_force("Location", |l| city(l, &|c| c.starts_with("rain"))),
        ),
        (
            "Location?address-city:contains=where",
            "match",
            d.brute_force("Location", |l| city(l, &|c| c.contains("where"))),
        ),
        (
            "InsurancePlan?administered-by=Organization/Acme",
            "match",
            d.brute_force("InsurancePlan", |p| {
                points_to(&p["administeredBy"], "Organization/Acme")
            }),
        ),
        (
            "InsurancePlan?_include=InsurancePlan:coverage-area",
            "include",
            d.brute_force("Location", |l| {
                d.examples.iter().any(|p| {
                    p["resourceType"] == "InsurancePlan"
                        && any_points_to(&p["coverageArea"], &key(l))
                })
            }),
        ),
        (
            "OrganizationAffiliation?network=Organization/AcmeofCTStdNet",
            "match",
            d.brute_force("OrganizationAffiliation", |a| {
                any_points_to(&a["network"], std_net)
            }),
        ),
        (
            "OrganizationAffiliation?primary-organization.name=Hartford",
            "match",
            d.brute_force("OrganizationAffiliation", |a| {
                d.find(&a["organization"])
                    .is_some_and(|o| starts(&o["name"], "hartford"))
            }),
        ),
        (
            "Organization?partof=Organization/Acme",
            "match",
            d.brute_force("Organization", |o| {
                points_to(&o["partOf"], "Organization/Acme")
            }),
        ),
        (
            "Organization?type=ntwk",
            "match",
            d.brute_force("Organization", |o| {
                o["type"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|t| has_code(t, "ntwk"))
            }),
        ),
        (
            "HealthcareService?location.address-city=Rainbow",
            "match",
            d.brute_force("HealthcareService", |h| {
                h["location"].as_array().into_iter().flatten().any(|l| {
                    d.find(l)
                        .is_some_and(|l| city(l, &|c| c.starts_with("rainbow")))
                })
            }),
        ),
        (
            "Organization?_has:OrganizationAffiliation:participating-organization:network=Organization/AcmeofCTStdNet",
            "match",
            d.brute_force("Organization", |o| {
                d.examples.iter().any(|a| {
                    a["resourceType"] == "OrganizationAffiliation"
                        && points_to(&a["participatingOrganization"], &key(o))
                        && any_points_to(&a["network"], std_net)
                })
            }),
        ),
        (
            "Organization?_id=Acme&_revinclude=InsurancePlan:administered-by",
            "include",
            d.brute_force("InsurancePlan", |p| {
                points_to(&p["administeredBy"], "Organization/Acme")
            }),
        ),
        (
            "Endpoint?organization.name=Acme",
            "match",
            d.brute_force("Endpoint", |e| {
                d.find(&e["managingOrganization"])
                    .is_some_and(|o| starts(&o["name"], "acme"))
            }),
        ),
    ];
    let mut nonempty = 0;
    for (path, mode, want) in &cases {
        let found = d.search(&format!("{path}&_count=100"), mode).await?;
        assert_eq!(&found, want, "{path}");
        nonempty += usize::from(!want.is_empty());
    }
    // Every case but the Endpoint one (its example names no organization) finds something.
    assert_eq!(nonempty, cases.len() - 1);
    Ok(())
}

#[tokio::test]
async fn the_directory_never_answers_with_member_data() -> TestResult {
    let directory = start().await?;
    // Member data is not there, by type or through references.
    for path in [
        "ExplanationOfBenefit",
        "Patient/Patient1",
        "Coverage?_count=10",
        "Patient/Patient1/$everything",
    ] {
        let (status, outcome) = directory.get(path).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {outcome}");
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{path}");
    }
    for path in [
        "Organization?_revinclude=ExplanationOfBenefit:provider",
        "Organization?_has:ExplanationOfBenefit:provider:patient=Patient1",
        "PractitionerRole?_include=PractitionerRole:practitioner:Patient",
    ] {
        let (status, outcome) = directory.get(path).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {outcome}");
        let said = outcome["issue"][0]["diagnostics"].as_str().unwrap_or("");
        assert!(said.contains("is not served at"), "{path}: {said}");
    }
    // `_include=*` follows every reference, but only to directory types.
    let (_, bundle) = directory
        .get("OrganizationAffiliation?_include=*&_count=100")
        .await?;
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        let resource_type = entry["resource"]["resourceType"].as_str().unwrap_or("");
        assert!(DIRECTORY_TYPES.contains(&resource_type), "{resource_type}");
    }
    // Public: a token (a member's, anyone's) changes nothing, and writes are refused.
    let anonymous = directory.get("PractitionerRole?_count=100").await?;
    let with_token = directory
        .get_with("PractitionerRole?_count=100", Some("a-members-token"))
        .await?;
    assert_eq!(anonymous.0, StatusCode::OK);
    assert_eq!(anonymous.1["entry"], with_token.1["entry"]);
    let write = directory
        .client
        .put(format!("{}/Organization/x", directory.base))
        .header("content-type", "application/fhir+json")
        .body(r#"{"resourceType": "Organization", "id": "x", "name": "Mine"}"#)
        .send()
        .await?;
    // 501: this base has no writes (the directory is loaded by `payer-server load`).
    assert_eq!(write.status(), StatusCode::NOT_IMPLEMENTED);
    assert_eq!(
        directory.get("Organization/x").await?.0,
        StatusCode::NOT_FOUND
    );

    // The CapabilityStatement lists the directory types and no security.
    let (_, capability) = directory.get("metadata").await?;
    let mut listed: Vec<&str> = capability["rest"][0]["resource"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["type"].as_str())
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, DIRECTORY_TYPES);
    assert!(
        capability["rest"][0]["security"]["service"].is_null(),
        "no SMART: {capability}"
    );
    assert_eq!(
        capability["instantiates"],
        serde_json::json!([
            "http://hl7.org/fhir/us/davinci-pdex-plan-net/CapabilityStatement/plan-net"
        ])
    );
    // The test kit looks for every Plan-Net profile's bare URL (inferno-checklist.md §8).
    let supported: Vec<&str> = capability["rest"][0]["resource"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["supportedProfile"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    for profile in [
        "Endpoint",
        "HealthcareService",
        "InsurancePlan",
        "Location",
        "Network",
        "Organization",
        "OrganizationAffiliation",
        "Practitioner",
        "PractitionerRole",
    ] {
        let url = format!(
            "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-{profile}"
        );
        assert!(supported.contains(&url.as_str()), "{url}");
        assert!(
            supported.contains(&format!("{url}|1.1.0").as_str()),
            "{url}|1.1.0"
        );
    }
    Ok(())
}
