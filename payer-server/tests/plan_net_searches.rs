//! Every search the Plan-Net 1.1.0 test kit runs (`inferno-appendix-plannet-110.md`: the
//! no-parameter searches, reads, each search parameter, `_include`, `_revinclude`, forward
//! and reverse chains and the two combinations), over HTTP against the public directory,
//! on the Plan-Net examples and a synthetic directory of 300 practitioners loaded with
//! profile validation. Each answer, all pages followed, is compared with a brute-force
//! filter written here from the appendix's element paths, independent of the server's
//! search code. As the kit does, the values searched for are taken from the data (three
//! resources per search: first, middle and last), token parameters are also searched as
//! `system|code`, and every search must find something. The searches run with each of
//! the SQLite store's plans (its default, walking the type in order always, and walking
//! then giving up at once), and (feature `postgres`) on PostgreSQL with the same plans.

#[path = "../../carin-profiles/tests/common/mod.rs"]
mod common;
#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;

use payer_server::http::{ServerConfig, router};
use payer_server::ingest::{self, Validation};
use payer_server::store::{ResourceStore, SearchPlan, SqliteStore};
use payer_server::synth::{self, Config};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

/// How a search parameter matches, with the element path the appendix gives.
#[derive(Clone, Copy, Debug)]
enum Param {
    Id,
    LastUpdated,
    /// A reference at the path (`extension:name` is the Plan-Net extension's
    /// `valueReference`).
    Reference(&'static str),
    /// A CodeableConcept or Identifier at the path.
    Token(&'static str),
    /// Strings at the paths (`|`-separated), matched case-insensitively from the start.
    Text(&'static str),
    /// Any part of the HumanNames at `name`.
    Name,
    /// Any part of the Addresses at the path.
    Address(&'static str),
}

/// The appendix's parameter definitions.
fn param(resource_type: &str, code: &str) -> Param {
    match (resource_type, code) {
        (_, "_id") => Param::Id,
        (_, "_lastUpdated") => Param::LastUpdated,
        ("Endpoint", "organization") => Param::Reference("managingOrganization"),
        ("InsurancePlan", "administered-by") => Param::Reference("administeredBy"),
        ("InsurancePlan", "owned-by") => Param::Reference("ownedBy"),
        ("InsurancePlan" | "HealthcareService", "coverage-area") => {
            Param::Reference("coverageArea")
        }
        ("InsurancePlan", "name") | ("Organization", "name") => Param::Text("name|alias"),
        ("InsurancePlan", "plan-type") => Param::Token("plan.type"),
        ("InsurancePlan", "identifier") => Param::Token("identifier"),
        ("InsurancePlan" | "Organization" | "Location", "type") => Param::Token("type"),
        ("OrganizationAffiliation", "primary-organization") => Param::Reference("organization"),
        ("OrganizationAffiliation", "participating-organization") => {
            Param::Reference("participatingOrganization")
        }
        ("OrganizationAffiliation", "network") => Param::Reference("network"),
        ("PractitionerRole", "network") => Param::Reference("extension:network-reference"),
        ("OrganizationAffiliation" | "PractitionerRole", "service") => {
            Param::Reference("healthcareService")
        }
        ("OrganizationAffiliation" | "PractitionerRole", "role") => Param::Token("code"),
        (_, "specialty") => Param::Token("specialty"),
        (_, "location") => Param::Reference("location"),
        (_, "endpoint") => Param::Reference("endpoint"),
        ("PractitionerRole", "practitioner") => Param::Reference("practitioner"),
        ("PractitionerRole", "organization") => Param::Reference("organization"),
        ("Practitioner", "name") => Param::Name,
        ("Practitioner", "family") => Param::Text("name.family"),
        ("Practitioner", "given") => Param::Text("name.given"),
        ("HealthcareService", "organization") => Param::Reference("providedBy"),
        ("HealthcareService", "name") => Param::Text("name"),
        ("HealthcareService", "service-category") => Param::Token("category"),
        ("HealthcareService", "service-type") => Param::Token("type"),
        ("Location" | "Organization", "partof") => Param::Reference("partOf"),
        ("Location", "organization") => Param::Reference("managingOrganization"),
        ("Location", "address-city") => Param::Text("address.city"),
        ("Location", "address-state") => Param::Text("address.state"),
        ("Location", "address-postalcode") => Param::Text("address.postalCode"),
        ("Location" | "Organization", "address") => Param::Address("address"),
        ("Organization", "coverage-area") => Param::Reference("extension:location-reference"),
        _ => panic!("no definition of {resource_type}.{code} in the appendix"),
    }
}

/// One of the appendix's groups: a profile, the type it is served as, its searches,
/// includes, revincludes (`Other:param`), forward chains (`reference.param` with the
/// reference's target type) and reverse chains (`Other:reference:param`).
struct Group {
    profile: &'static str,
    resource_type: &'static str,
    searches: &'static [&'static str],
    includes: &'static [(&'static str, &'static str)],
    revincludes: &'static [(&'static str, &'static str)],
    forward: &'static [(&'static str, &'static str, &'static str)],
    reverse: &'static [(&'static str, &'static str, &'static str)],
}

const ORGANIZATION_CHAINS: [(&str, &str, &str); 4] = [
    ("partof", "Organization", "name"),
    ("partof", "Organization", "address"),
    ("partof", "Organization", "type"),
    ("endpoint", "Endpoint", "organization"),
];

const GROUPS: &[Group] = &[
    Group {
        profile: "Endpoint",
        resource_type: "Endpoint",
        searches: &["organization", "_id", "_lastUpdated"],
        includes: &[("organization", "Organization")],
        revincludes: &[],
        forward: &[
            ("organization", "Organization", "name"),
            ("organization", "Organization", "address"),
            ("organization", "Organization", "partof"),
            ("organization", "Organization", "type"),
        ],
        reverse: &[],
    },
    Group {
        profile: "InsurancePlan",
        resource_type: "InsurancePlan",
        searches: &[
            "administered-by",
            "owned-by",
            "coverage-area",
            "name",
            "plan-type",
            "identifier",
            "_id",
            "_lastUpdated",
            "type",
        ],
        includes: &[
            ("administered-by", "Organization"),
            ("owned-by", "Organization"),
            ("coverage-area", "Location"),
        ],
        revincludes: &[],
        forward: &[
            ("administered-by", "Organization", "name"),
            ("administered-by", "Organization", "partof"),
            ("owned-by", "Organization", "name"),
            ("owned-by", "Organization", "partof"),
        ],
        reverse: &[],
    },
    Group {
        profile: "OrganizationAffiliation",
        resource_type: "OrganizationAffiliation",
        searches: &[
            "primary-organization",
            "participating-organization",
            "location",
            "service",
            "network",
            "endpoint",
            "role",
            "specialty",
            "_id",
            "_lastUpdated",
        ],
        includes: &[
            ("primary-organization", "Organization"),
            ("participating-organization", "Organization"),
            ("location", "Location"),
            ("service", "HealthcareService"),
            ("endpoint", "Endpoint"),
            ("network", "Organization"),
        ],
        revincludes: &[],
        forward: &[
            ("primary-organization", "Organization", "type"),
            ("primary-organization", "Organization", "address"),
            ("primary-organization", "Organization", "name"),
            ("primary-organization", "Organization", "partof"),
            ("participating-organization", "Organization", "type"),
            ("participating-organization", "Organization", "address"),
            ("participating-organization", "Organization", "name"),
            ("participating-organization", "Organization", "partof"),
            ("location", "Location", "address"),
            ("location", "Location", "address-postalcode"),
            ("location", "Location", "address-city"),
            ("location", "Location", "address-state"),
            ("location", "Location", "organization"),
            ("location", "Location", "type"),
            ("service", "HealthcareService", "service-category"),
            ("service", "HealthcareService", "organization"),
            ("service", "HealthcareService", "location"),
            ("network", "Organization", "name"),
            ("network", "Organization", "partof"),
            ("endpoint", "Endpoint", "organization"),
        ],
        reverse: &[],
    },
    Group {
        profile: "PractitionerRole",
        resource_type: "PractitionerRole",
        searches: &[
            "practitioner",
            "organization",
            "location",
            "service",
            "network",
            "endpoint",
            "role",
            "specialty",
            "_id",
            "_lastUpdated",
        ],
        includes: &[
            ("practitioner", "Practitioner"),
            ("organization", "Organization"),
            ("location", "Location"),
            ("service", "HealthcareService"),
            ("network", "Organization"),
            ("endpoint", "Endpoint"),
        ],
        revincludes: &[],
        forward: &[
            ("practitioner", "Practitioner", "name"),
            ("organization", "Organization", "name"),
            ("organization", "Organization", "address"),
            ("organization", "Organization", "partof"),
            ("organization", "Organization", "type"),
            ("location", "Location", "address"),
            ("location", "Location", "address-postalcode"),
            ("location", "Location", "address-city"),
            ("location", "Location", "address-state"),
            ("location", "Location", "organization"),
            ("location", "Location", "type"),
            ("service", "HealthcareService", "service-category"),
            ("service", "HealthcareService", "organization"),
            ("service", "HealthcareService", "location"),
            ("network", "Organization", "name"),
            ("network", "Organization", "address"),
            ("network", "Organization", "partof"),
            ("network", "Organization", "type"),
            ("endpoint", "Endpoint", "organization"),
        ],
        reverse: &[],
    },
    Group {
        profile: "Practitioner",
        resource_type: "Practitioner",
        searches: &["name", "_id", "_lastUpdated", "family", "given"],
        includes: &[],
        revincludes: &[("PractitionerRole", "practitioner")],
        forward: &[],
        reverse: &[
            ("PractitionerRole", "practitioner", "location"),
            ("PractitionerRole", "practitioner", "network"),
            ("PractitionerRole", "practitioner", "specialty"),
            ("PractitionerRole", "practitioner", "role"),
        ],
    },
    Group {
        profile: "HealthcareService",
        resource_type: "HealthcareService",
        searches: &[
            "location",
            "coverage-area",
            "organization",
            "endpoint",
            "name",
            "service-category",
            "service-type",
            "specialty",
            "_id",
            "_lastUpdated",
        ],
        includes: &[
            ("location", "Location"),
            ("coverage-area", "Location"),
            ("organization", "Organization"),
            ("endpoint", "Endpoint"),
        ],
        revincludes: &[
            ("PractitionerRole", "service"),
            ("OrganizationAffiliation", "service"),
        ],
        forward: &[
            ("location", "Location", "address"),
            ("location", "Location", "address-postalcode"),
            ("location", "Location", "address-city"),
            ("location", "Location", "address-state"),
            ("location", "Location", "organization"),
            ("location", "Location", "type"),
            ("organization", "Organization", "name"),
            ("organization", "Organization", "address"),
            ("organization", "Organization", "partof"),
            ("organization", "Organization", "type"),
            ("endpoint", "Endpoint", "organization"),
        ],
        reverse: &[],
    },
    Group {
        profile: "Location",
        resource_type: "Location",
        searches: &[
            "partof",
            "organization",
            "endpoint",
            "address-city",
            "address-state",
            "address-postalcode",
            "address",
            "type",
            "_id",
            "_lastUpdated",
        ],
        includes: &[
            ("endpoint", "Endpoint"),
            ("organization", "Organization"),
            ("partof", "Location"),
        ],
        revincludes: &[
            ("HealthcareService", "location"),
            ("InsurancePlan", "coverage-area"),
            ("OrganizationAffiliation", "location"),
            ("PractitionerRole", "location"),
        ],
        forward: &[
            ("partof", "Location", "type"),
            ("partof", "Location", "address"),
            ("partof", "Location", "organization"),
            ("organization", "Organization", "name"),
            ("organization", "Organization", "address"),
            ("organization", "Organization", "partof"),
            ("organization", "Organization", "type"),
            ("endpoint", "Endpoint", "organization"),
        ],
        reverse: &[("InsurancePlan", "coverage-area", "owned-by")],
    },
    Group {
        profile: "Network",
        resource_type: "Organization",
        searches: &[
            "partof",
            "endpoint",
            "address",
            "name",
            "_id",
            "_lastUpdated",
            "type",
            "coverage-area",
        ],
        includes: &[
            ("partof", "Organization"),
            ("endpoint", "Endpoint"),
            ("coverage-area", "Location"),
        ],
        revincludes: &[("PractitionerRole", "network")],
        forward: &[
            ("partof", "Organization", "name"),
            ("partof", "Organization", "address"),
            ("partof", "Organization", "type"),
            ("endpoint", "Endpoint", "organization"),
        ],
        reverse: &[("PractitionerRole", "network", "location")],
    },
    Group {
        profile: "Organization",
        resource_type: "Organization",
        searches: &[
            "partof",
            "endpoint",
            "address",
            "name",
            "_id",
            "_lastUpdated",
            "type",
            "coverage-area",
        ],
        includes: &[
            ("partof", "Organization"),
            ("endpoint", "Endpoint"),
            ("coverage-area", "Location"),
        ],
        revincludes: &[
            ("Endpoint", "organization"),
            ("HealthcareService", "organization"),
            ("InsurancePlan", "administered-by"),
            ("InsurancePlan", "owned-by"),
            ("OrganizationAffiliation", "primary-organization"),
            ("PractitionerRole", "organization"),
            ("OrganizationAffiliation", "participating-organization"),
        ],
        forward: &ORGANIZATION_CHAINS,
        reverse: &[
            (
                "OrganizationAffiliation",
                "participating-organization",
                "location",
            ),
            (
                "OrganizationAffiliation",
                "participating-organization",
                "network",
            ),
            (
                "OrganizationAffiliation",
                "participating-organization",
                "specialty",
            ),
            ("InsurancePlan", "owned-by", "coverage-area"),
        ],
    },
];

/// The directory's data as JSON, by `Type/id`, and the server answering for it.
struct Directory {
    base: String,
    client: reqwest::Client,
    resources: BTreeMap<String, Value>,
}

/// The directory served from `store` (empty).
async fn start(store: impl ResourceStore) -> Result<Directory, Box<dyn Error>> {
    let mut input: Vec<(String, String)> =
        common::example_resources("hl7.fhir.us.davinci-pdex-plan-net.tgz")?
            .into_iter()
            .map(|(name, json)| (name, json.to_string()))
            .collect();
    let generator = synth::Generator::new(&Config {
        members: 0,
        directory_practitioners: 300,
        ..Config::default()
    });
    input.extend(
        generator
            .directory()
            .iter()
            .map(|r| ("synth".to_owned(), fhir_model::to_json(r))),
    );
    let mut resources = BTreeMap::new();
    for (_, text) in &input {
        let json: Value = serde_json::from_str(text)?;
        resources.insert(key(&json), json);
    }
    let report = ingest::load(&store, input, Validation::Reject, &mut |_| {}).await?;
    assert_eq!(
        report.created,
        resources.len(),
        "{report}: {:#?}",
        report.problems
    );
    assert_eq!(report.loaded_with_errors, 0, "{:#?}", report.problems);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/directory", listener.local_addr()?);
    let app = axum::Router::new().nest("/directory", router(store, ServerConfig::directory(&base)));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut directory = Directory {
        base,
        client: reqwest::Client::new(),
        resources: BTreeMap::new(),
    };
    // The filters run over the resources as served, as the kit's do: the server sets
    // `meta.lastUpdated` when it stores a resource.
    let mut served = BTreeMap::new();
    for resource_type in payer_server::http::PLAN_NET_TYPES {
        let keys = directory.search(resource_type, &[]).await?.matches;
        for key in keys {
            let response = directory
                .client
                .get(format!("{}/{key}", directory.base))
                .send()
                .await?;
            served.insert(key, response.json::<Value>().await?);
        }
    }
    assert_eq!(
        served.keys().collect::<Vec<_>>(),
        resources.keys().collect::<Vec<_>>(),
        "every resource loaded is served"
    );
    directory.resources = served;
    Ok(directory)
}

fn key(resource: &Value) -> String {
    format!(
        "{}/{}",
        resource["resourceType"].as_str().unwrap_or(""),
        resource["id"].as_str().unwrap_or("")
    )
}

/// What a search returned, all pages followed: matches and includes, as sorted `Type/id`s.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    matches: BTreeSet<String>,
    included: BTreeSet<String>,
}

impl Directory {
    /// `GET [base]/[resource_type]?query` with `_count=40`, following `next` links.
    async fn search(
        &self,
        resource_type: &str,
        query: &[(String, String)],
    ) -> Result<Found, String> {
        let mut found = Found::default();
        let mut pairs = query.to_vec();
        pairs.push(("_count".to_owned(), "40".to_owned()));
        let query_string: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let mut request = self.client.get(format!(
            "{}/{resource_type}?{}",
            self.base,
            query_string.join("&")
        ));
        for _ in 0..100 {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let bundle: Value = response.json().await.map_err(|e| e.to_string())?;
            if status != reqwest::StatusCode::OK {
                return Err(format!("{resource_type}?{query:?}: {status} {bundle}"));
            }
            for entry in bundle["entry"].as_array().into_iter().flatten() {
                let set = match entry["search"]["mode"].as_str() {
                    Some("match") => &mut found.matches,
                    Some("include") => &mut found.included,
                    _ => continue,
                };
                // An include repeated on several pages is fine; a match twice is not.
                if !set.insert(key(&entry["resource"])) && entry["search"]["mode"] == "match" {
                    return Err(format!(
                        "{resource_type}?{query:?}: {} twice",
                        key(&entry["resource"])
                    ));
                }
            }
            let next = bundle["link"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["relation"] == "next")
                .and_then(|l| l["url"].as_str());
            match next {
                Some(url) => request = self.client.get(url),
                None => return Ok(found),
            }
        }
        Err(format!("{resource_type}?{query:?}: more than 100 pages"))
    }

    /// `GET [base]/Type/id`: the resource, or what went wrong.
    async fn read(&self, key: &str) -> Result<Value, String> {
        let response = self
            .client
            .get(format!("{}/{key}", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if status == reqwest::StatusCode::OK {
            Ok(body)
        } else {
            Err(format!("{status}: {body}"))
        }
    }

    fn of_type<'a>(&'a self, resource_type: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.resources
            .values()
            .filter(move |r| r["resourceType"] == resource_type)
    }

    /// The resources of the group: for Network and Organization, split on the `ntwk` type
    /// as the kit does.
    fn pool(&self, group: &Group) -> Vec<&Value> {
        self.of_type(group.resource_type)
            .filter(|r| match group.profile {
                "Network" => is_network(r),
                "Organization" => !is_network(r),
                _ => true,
            })
            .collect()
    }

    /// The resources `reference` (a Reference) points to, if loaded.
    fn resolve(&self, reference: &Value) -> Option<&Value> {
        self.resources.get(reference["reference"].as_str()?)
    }

    /// `Type/id` of every resource of `resource_type` that `keep` accepts.
    fn brute_force(&self, resource_type: &str, keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
        self.of_type(resource_type)
            .filter(|r| keep(r))
            .map(key)
            .collect()
    }
}

/// Percent-encodes all but the unreserved characters (RFC 3986).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn is_network(organization: &Value) -> bool {
    organization["type"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["coding"].as_array().into_iter().flatten())
        .any(|c| c["code"] == "ntwk")
}

/// The values at a dotted path, arrays flattened; `extension:name` selects the Plan-Net
/// extension `name` and goes to its `valueReference`.
fn at<'a>(resource: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut values = vec![resource];
    for step in path.split('.') {
        let mut next = Vec::new();
        for value in values {
            if let Some(name) = step.strip_prefix("extension:") {
                let url = format!(
                    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/{name}"
                );
                for extension in value["extension"].as_array().into_iter().flatten() {
                    if extension["url"] == url.as_str() {
                        next.push(&extension["valueReference"]);
                    }
                }
                continue;
            }
            match &value[step] {
                Value::Array(items) => next.extend(items),
                Value::Null => {}
                other => next.push(other),
            }
        }
        values = next;
    }
    values
}

/// The strings of a HumanName or an Address that name and address searches look at.
fn parts(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    for field in [
        "text",
        "family",
        "given",
        "prefix",
        "suffix",
        "line",
        "city",
        "district",
        "state",
        "postalCode",
        "country",
    ] {
        match &value[field] {
            Value::String(s) => out.push(s.as_str()),
            Value::Array(items) => out.extend(items.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    out
}

fn starts(text: &str, prefix: &str) -> bool {
    text.to_lowercase().starts_with(&prefix.to_lowercase())
}

/// Whether `resource` matches `code=value` (the meaning, written from the appendix).
fn matches(resource: &Value, resource_type: &str, code: &str, value: &str) -> bool {
    match param(resource_type, code) {
        Param::Id => resource["id"] == value,
        Param::LastUpdated => resource["meta"]["lastUpdated"] == value,
        Param::Reference(path) => at(resource, path).iter().any(|r| r["reference"] == value),
        Param::Token(path) => {
            let (system, code) = match value.split_once('|') {
                Some((system, code)) => (Some(system), code),
                None => (None, value),
            };
            at(resource, path).iter().any(|v| {
                let system_ok = |s: &Value| system.is_none_or(|system| s == system);
                v["coding"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["code"] == code && system_ok(&c["system"]))
                    || (v["value"] == code && system_ok(&v["system"]))
            })
        }
        Param::Text(paths) => paths
            .split('|')
            .flat_map(|path| at(resource, path))
            .filter_map(Value::as_str)
            .any(|s| starts(s, value)),
        Param::Name => at(resource, "name")
            .iter()
            .flat_map(|n| parts(n))
            .any(|s| starts(s, value)),
        Param::Address(path) => at(resource, path)
            .iter()
            .flat_map(|a| parts(a))
            .any(|s| starts(s, value)),
    }
}

/// The values the kit would search `code` for in `resource`: the first value there is
/// (and for tokens also as `system|code`); none when the element is absent.
fn values_of(resource: &Value, resource_type: &str, code: &str) -> Vec<String> {
    match param(resource_type, code) {
        Param::Id => vec![resource["id"].as_str().unwrap_or("").to_owned()],
        Param::LastUpdated => resource["meta"]["lastUpdated"]
            .as_str()
            .map(str::to_owned)
            .into_iter()
            .collect(),
        Param::Reference(path) => at(resource, path)
            .iter()
            .find_map(|r| r["reference"].as_str())
            .map(str::to_owned)
            .into_iter()
            .collect(),
        Param::Token(path) => {
            let Some(first) = at(resource, path).into_iter().find_map(|v| {
                v["coding"]
                    .as_array()
                    .and_then(|c| c.first())
                    .or_else(|| v.get("value").map(|_| v))
            }) else {
                return Vec::new();
            };
            let code = first["code"]
                .as_str()
                .or(first["value"].as_str())
                .unwrap_or("");
            let system = first["system"].as_str().unwrap_or("");
            vec![code.to_owned(), format!("{system}|{code}")]
        }
        Param::Text(paths) => paths
            .split('|')
            .flat_map(|path| at(resource, path))
            .find_map(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect(),
        Param::Name => at(resource, "name")
            .first()
            .and_then(|n| n["family"].as_str())
            .map(str::to_owned)
            .into_iter()
            .collect(),
        Param::Address(path) => at(resource, path)
            .first()
            .and_then(|a| a["city"].as_str().or(a["line"][0].as_str()))
            .map(str::to_owned)
            .into_iter()
            .collect(),
    }
}

/// First, middle and last of `items`, without repeats.
fn spread<T: Clone>(items: &[T]) -> Vec<T> {
    let mut picks: Vec<usize> = vec![0, items.len() / 2, items.len().saturating_sub(1)];
    picks.dedup();
    picks
        .into_iter()
        .filter_map(|i| items.get(i).cloned())
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Runs one search and compares it with what is expected; returns a line for the report
/// when they differ or when nothing was expected (the kit fails a search without
/// results).
async fn check(
    d: &Directory,
    what: &str,
    resource_type: &str,
    query: Vec<(String, String)>,
    expected: Found,
    problems: &mut Vec<String>,
) {
    match d.search(resource_type, &query).await {
        Ok(found) if found == expected && !expected.matches.is_empty() => {}
        Ok(found) if found == expected => {
            problems.push(format!("{what}: {resource_type}?{query:?} found nothing"));
        }
        Ok(found) => problems.push(format!(
            "{what}: {resource_type}?{query:?}\n  only found: {:?} / {:?}\n  only expected: {:?} / {:?}",
            found.matches.difference(&expected.matches).collect::<Vec<_>>(),
            found.included.difference(&expected.included).collect::<Vec<_>>(),
            expected.matches.difference(&found.matches).collect::<Vec<_>>(),
            expected.included.difference(&found.included).collect::<Vec<_>>(),
        )),
        Err(e) => problems.push(format!("{what}: {e}")),
    }
}

fn matching(set: BTreeSet<String>) -> Found {
    Found {
        matches: set,
        included: BTreeSet::new(),
    }
}

#[tokio::test]
async fn every_search_of_the_plan_net_test_kit_matches_a_brute_force_filter() -> TestResult {
    for plan in [
        SearchPlan::default(),
        SearchPlan::walk_always(),
        SearchPlan::walk_interrupted(),
    ] {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open(dir.path().join("directory.sqlite"))?.with_search_plan(plan);
        let problems = every_search(&start(store).await?).await;
        assert!(problems.is_empty(), "{plan:?}: {}", problems.join("\n"));
    }
    Ok(())
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn every_search_of_the_plan_net_test_kit_matches_a_brute_force_filter_on_postgres()
-> TestResult {
    for plan in [
        SearchPlan::default(),
        SearchPlan::walk_always(),
        SearchPlan::walk_interrupted(),
    ] {
        let store = support::fresh_store().await.with_search_plan(plan);
        let problems = every_search(&start(store).await?).await;
        assert!(problems.is_empty(), "{plan:?}: {}", problems.join("\n"));
    }
    Ok(())
}

/// Runs every search of the appendix: what went wrong, if anything.
async fn every_search(d: &Directory) -> Vec<String> {
    let mut problems = Vec::new();
    let mut searches = 0;
    for group in GROUPS {
        let rt = group.resource_type;
        let pool = d.pool(group);
        assert!(!pool.is_empty(), "{}: nothing to test with", group.profile);
        let what = |kind: &str| format!("{} {kind}", group.profile);

        // [no-params-search] and [read].
        searches += 1;
        check(
            d,
            &what("no-params"),
            rt,
            Vec::new(),
            matching(d.brute_force(rt, |_| true)),
            &mut problems,
        )
        .await;
        let read = d.read(&key(pool[0])).await;
        if read.as_ref().map(key) != Ok(key(pool[0])) {
            problems.push(format!("{} read {}: {read:?}", group.profile, key(pool[0])));
        }

        // [search]: each parameter, values from first, middle and last holder.
        for code in group.searches {
            let holders: Vec<&Value> = pool
                .iter()
                .copied()
                .filter(|r| !values_of(r, rt, code).is_empty())
                .collect();
            if holders.is_empty() {
                problems.push(format!("{}: no {code} in the data", what("search")));
            }
            for holder in spread(&holders) {
                for value in values_of(holder, rt, code) {
                    searches += 1;
                    let expected = d.brute_force(rt, |r| matches(r, rt, code, &value));
                    check(
                        d,
                        &what("search"),
                        rt,
                        pairs(&[(code, &value)]),
                        matching(expected),
                        &mut problems,
                    )
                    .await;
                }
            }
        }

        // [include]: `_id` of a resource with the reference, `_include=Type:param`.
        for (code, target) in group.includes {
            let Param::Reference(path) = param(rt, code) else {
                panic!("{code} is not a reference")
            };
            let holders: Vec<&Value> = pool
                .iter()
                .copied()
                .filter(|r| at(r, path).iter().any(|t| d.resolve(t).is_some()))
                .collect();
            if holders.is_empty() {
                problems.push(format!("{}: no resolvable {code}", what("include")));
            }
            for holder in spread(&holders) {
                searches += 1;
                let included = at(holder, path)
                    .iter()
                    .filter_map(|t| d.resolve(t))
                    .filter(|t| t["resourceType"] == *target && key(t) != key(holder))
                    .map(key)
                    .collect();
                let expected = Found {
                    matches: BTreeSet::from([key(holder)]),
                    included,
                };
                let include = format!("{rt}:{code}");
                check(
                    d,
                    &what("include"),
                    rt,
                    pairs(&[
                        ("_id", holder["id"].as_str().unwrap_or("")),
                        ("_include", &include),
                    ]),
                    expected,
                    &mut problems,
                )
                .await;
            }
        }

        // [revinclude]: `_id` of a resource another points to, `_revinclude=Other:param`.
        for (other, code) in group.revincludes {
            let pointed: Vec<&Value> = pool
                .iter()
                .copied()
                .filter(|r| d.of_type(other).any(|o| matches(o, other, code, &key(r))))
                .collect();
            if pointed.is_empty() {
                problems.push(format!(
                    "{}: nothing is pointed to by {other}.{code}",
                    what("revinclude")
                ));
            }
            for target in spread(&pointed) {
                searches += 1;
                let expected = Found {
                    matches: BTreeSet::from([key(target)]),
                    included: d.brute_force(other, |o| matches(o, other, code, &key(target))),
                };
                let revinclude = format!("{other}:{code}");
                check(
                    d,
                    &what("revinclude"),
                    rt,
                    pairs(&[
                        ("_id", target["id"].as_str().unwrap_or("")),
                        ("_revinclude", &revinclude),
                    ]),
                    expected,
                    &mut problems,
                )
                .await;
            }
        }

        // [forward-chain]: `reference.param=value`, the value from a referenced resource.
        for (reference, target, code) in group.forward {
            let Param::Reference(path) = param(rt, reference) else {
                panic!("{reference} is not a reference")
            };
            let targets: Vec<&Value> = pool
                .iter()
                .flat_map(|r| at(r, path))
                .filter_map(|t| d.resolve(t))
                .filter(|t| t["resourceType"] == *target && !values_of(t, target, code).is_empty())
                .collect();
            if targets.is_empty() {
                problems.push(format!(
                    "{}: no {reference} with a {code}",
                    what("forward chain")
                ));
            }
            for holder in spread(&targets) {
                for value in values_of(holder, target, code).into_iter().take(1) {
                    searches += 1;
                    let expected = d.brute_force(rt, |r| {
                        at(r, path).iter().filter_map(|t| d.resolve(t)).any(|t| {
                            t["resourceType"] == *target && matches(t, target, code, &value)
                        })
                    });
                    let chain = format!("{reference}.{code}");
                    check(
                        d,
                        &what("forward chain"),
                        rt,
                        pairs(&[(&chain, &value)]),
                        matching(expected),
                        &mut problems,
                    )
                    .await;
                }
            }
        }

        // [reverse-chain]: `_has:Other:reference:param=value`, the value from an Other.
        for (other, reference, code) in group.reverse {
            let holders: Vec<&Value> = d
                .of_type(other)
                .filter(|o| {
                    !values_of(o, other, reference).is_empty()
                        && !values_of(o, other, code).is_empty()
                })
                .collect();
            if holders.is_empty() {
                problems.push(format!(
                    "{}: no {other} with {reference} and {code}",
                    what("reverse chain")
                ));
            }
            for holder in spread(&holders) {
                for value in values_of(holder, other, code).into_iter().take(1) {
                    searches += 1;
                    let expected = d.brute_force(rt, |r| {
                        d.of_type(other).any(|o| {
                            matches(o, other, reference, &key(r)) && matches(o, other, code, &value)
                        })
                    });
                    let has = format!("_has:{other}:{reference}:{code}");
                    check(
                        d,
                        &what("reverse chain"),
                        rt,
                        pairs(&[(&has, &value)]),
                        matching(expected),
                        &mut problems,
                    )
                    .await;
                }
            }
        }
    }

    // [combination] 1: clinicians of a specialty at a location, with the practitioners.
    let roles: Vec<&Value> = d
        .of_type("PractitionerRole")
        .filter(|r| {
            !values_of(r, "PractitionerRole", "specialty").is_empty()
                && !values_of(r, "PractitionerRole", "location").is_empty()
        })
        .collect();
    for role in spread(&roles) {
        searches += 1;
        let specialty = values_of(role, "PractitionerRole", "specialty").remove(0);
        let location = values_of(role, "PractitionerRole", "location").remove(0);
        let matched: Vec<&Value> = d
            .of_type("PractitionerRole")
            .filter(|r| {
                matches(r, "PractitionerRole", "specialty", &specialty)
                    && matches(r, "PractitionerRole", "location", &location)
            })
            .collect();
        let expected = Found {
            matches: matched.iter().map(|r| key(r)).collect(),
            included: matched
                .iter()
                .filter_map(|r| d.resolve(&r["practitioner"]))
                .map(key)
                .collect(),
        };
        check(
            d,
            "PractitionerRole combination",
            "PractitionerRole",
            pairs(&[
                ("specialty", &specialty),
                ("location", &location),
                ("_include", "PractitionerRole:practitioner"),
            ]),
            expected,
            &mut problems,
        )
        .await;
    }
    // [combination] 2: services of a specialty covered under a network.
    let affiliations: Vec<(&Value, &Value)> = d
        .of_type("OrganizationAffiliation")
        .filter(|a| !values_of(a, "OrganizationAffiliation", "network").is_empty())
        .flat_map(|a| {
            at(a, "healthcareService")
                .into_iter()
                .filter_map(|s| d.resolve(s))
                .filter(|s| !values_of(s, "HealthcareService", "specialty").is_empty())
                .map(move |s| (a, s))
        })
        .collect();
    for (affiliation, service) in spread(&affiliations) {
        searches += 1;
        let specialty = values_of(service, "HealthcareService", "specialty").remove(0);
        let network = values_of(affiliation, "OrganizationAffiliation", "network").remove(0);
        let expected = d.brute_force("HealthcareService", |s| {
            matches(s, "HealthcareService", "specialty", &specialty)
                && d.of_type("OrganizationAffiliation").any(|a| {
                    matches(a, "OrganizationAffiliation", "service", &key(s))
                        && matches(a, "OrganizationAffiliation", "network", &network)
                })
        });
        check(
            d,
            "HealthcareService combination",
            "HealthcareService",
            pairs(&[
                ("specialty", &specialty),
                ("_has:OrganizationAffiliation:service:network", &network),
            ]),
            matching(expected),
            &mut problems,
        )
        .await;
    }

    if searches < 600 {
        problems.push(format!("only {searches} searches"));
    }
    if !problems.is_empty() {
        problems.insert(0, format!("{} of {searches} searches:", problems.len()));
    }
    problems
}
