//! The CapabilityStatement, generated from what the server actually serves: the mounted
//! resource types, the search parameters the store indexes for each, and the profiles
//! `carin-profiles` validates for each.

use serde_json::{Value, json};

use super::ServerConfig;
use crate::search::params_of;

/// The CapabilityStatements a base's behaviour follows, by a resource type that marks the
/// API: CARIN BB 2.0.0 and US Core 6.1.0 server statements for Patient Access, Plan-Net
/// 1.1.0's for the provider directory.
const INSTANTIATES: [(&str, &str); 3] = [
    (
        "ExplanationOfBenefit",
        "http://hl7.org/fhir/us/carin-bb/CapabilityStatement/c4bb",
    ),
    (
        "Patient",
        "http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server",
    ),
    (
        "InsurancePlan",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/CapabilityStatement/plan-net",
    ),
];

pub(super) fn capability_statement(config: &ServerConfig) -> String {
    let resources: Vec<Value> = config
        .resource_types
        .iter()
        .map(|rt| {
            let mut search_params = vec![
                json!({"name": "_id", "definition": "http://hl7.org/fhir/SearchParameter/Resource-id", "type": "token"}),
                json!({"name": "_lastUpdated", "definition": "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated", "type": "date"}),
            ];
            search_params.extend(params_of(rt).iter().map(|p| {
                json!({"name": p.code, "definition": p.url, "type": p.kind.as_str()})
            }));
            // Each profile as its canonical URL and as `url|version`: Plan-Net's test kit
            // looks for the bare URLs as exact strings (inferno-checklist.md §8), and the
            // version tells US Core 3.1.1 from 6.1.0, which share URLs.
            let mut profiles: Vec<String> = Vec::new();
            for profile in carin_profiles::profiles()
                .filter(|p| p.resource_type() == rt && !p.is_extension())
            {
                for url in [profile.url().to_owned(), profile.versioned_url()] {
                    if !profiles.contains(&url) {
                        profiles.push(url);
                    }
                }
            }
            let mut interactions = vec!["read", "vread", "search-type"];
            if config.writes.is_some() {
                interactions.extend(["create", "update", "delete"]);
            }
            let mut resource = json!({
                "type": rt,
                "supportedProfile": profiles,
                "interaction": interactions.iter().map(|code| json!({"code": code})).collect::<Vec<_>>(),
                "versioning": "versioned",
                "readHistory": false,
                "updateCreate": config.writes.is_some(),
                "conditionalRead": "not-match",
                "searchParam": search_params,
            });
            if rt == "Patient" {
                resource["operation"] = json!([{
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }]);
            }
            resource
        })
        .collect();
    let mut rest = json!({
        "mode": "server",
        "security": security(config),
        "resource": resources,
    });
    // Only when there is one: FHIR JSON has no empty arrays (R4 json.html#arrays).
    if config.writes.is_some() {
        rest["interaction"] = json!([{"code": "transaction"}, {"code": "batch"}]);
    }
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": chrono::Utc::now().format("%Y-%m-%d").to_string(),
        "kind": "instance",
        "instantiates": INSTANTIATES
            .iter()
            .filter(|(marker, _)| config.serves(marker))
            .map(|(_, url)| *url)
            .collect::<Vec<_>>(),
        "software": {"name": "cms-interop payer-server", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "cms-interop payer-server", "url": config.base_url},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [rest],
    })
    .to_string()
}

/// `rest.security`: SMART-on-FHIR with the `oauth-uris` extension, carrying exactly the
/// endpoints `.well-known/smart-configuration` carries (the SMART conformance kit compares
/// them, both present or both absent).
fn security(config: &ServerConfig) -> Value {
    let Some(smart) = &config.smart_configuration else {
        return json!({"description": "No SMART authorization server guards this API."});
    };
    let uris: Vec<Value> = [
        ("authorize", "authorization_endpoint"),
        ("token", "token_endpoint"),
        ("introspect", "introspection_endpoint"),
        ("revoke", "revocation_endpoint"),
        ("manage", "management_endpoint"),
        ("register", "registration_endpoint"),
    ]
    .iter()
    .filter_map(|(url, key)| {
        smart[*key]
            .as_str()
            .map(|value| json!({"url": url, "valueUri": value}))
    })
    .collect();
    json!({
        "cors": true,
        "service": [{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "code": "SMART-on-FHIR",
            }],
        }],
        "extension": [{
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": uris,
        }],
    })
}
