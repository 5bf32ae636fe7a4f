//! The Plan-Net test kit's `[must-support]` tests on the synthetic directory: for each
//! Plan-Net profile, every element its StructureDefinition marks must-support (slices and
//! extensions included) is populated in at least one of the first 200 resources claiming
//! the profile, the pool the kit takes from its first searches
//! (`inferno-checklist.md` §8). The must-support lists come from the Plan-Net package's
//! snapshots, not from a copy.

#[path = "../../carin-profiles/tests/common/mod.rs"]
mod common;

use std::error::Error;

use payer_server::synth::{self, Config};
use serde_json::Value;

/// How many resources of each profile the kit pools.
const POOL: usize = 200;

/// Must-support elements the kit does not check, with why: an NPI identifies a provider,
/// and a network is none; the kit's metadata lists no NPI slice for Network
/// (`inferno-appendix-plannet-110.md`), only for Organization.
const NOT_CHECKED: &[(&str, &str)] = &[("PlannetNetwork", "Organization.identifier:NPI")];

/// Where an extension slice's URL is: its type's profile, or for a sub-extension of a
/// complex extension the fixed `url`.
fn extension_url(snapshot: &[Value], slice_id: &str) -> Option<String> {
    let element = snapshot.iter().find(|e| e["id"] == slice_id)?;
    if let Some(url) = element["type"][0]["profile"][0].as_str() {
        return Some(url.to_owned());
    }
    snapshot
        .iter()
        .find(|e| e["id"] == format!("{slice_id}.url").as_str())
        .and_then(|e| e["fixedUri"].as_str())
        .map(str::to_owned)
}

/// The values element `id` (`Organization.telecom.extension:via-intermediary`) reaches in
/// `resource`.
fn reach<'a>(resource: &'a Value, id: &str, snapshot: &[Value]) -> Vec<&'a Value> {
    let mut values = vec![resource];
    let mut prefix = String::new();
    for (n, segment) in id.split('.').enumerate() {
        if n == 0 {
            prefix.push_str(segment);
            continue;
        }
        prefix.push('.');
        prefix.push_str(segment);
        let (name, slice) = match segment.split_once(':') {
            Some((name, slice)) => (name, Some(slice)),
            None => (segment, None),
        };
        let mut next = Vec::new();
        for value in values {
            let children: Vec<&Value> = match &value[name] {
                Value::Array(items) => items.iter().collect(),
                Value::Null => Vec::new(),
                other => vec![other],
            };
            next.extend(children.into_iter().filter(|child| match (name, slice) {
                ("extension", Some(_)) => {
                    extension_url(snapshot, &prefix).is_some_and(|url| child["url"] == url.as_str())
                }
                // The NPI slice of identifier: its system.
                ("identifier", Some("NPI")) => child["system"] == "http://hl7.org/fhir/sid/us-npi",
                _ => true,
            }));
        }
        values = next;
    }
    values
}

#[test]
fn every_must_support_element_is_populated_in_the_pool_of_each_profile()
-> Result<(), Box<dyn Error>> {
    let generator = synth::Generator::new(&Config {
        members: 0,
        directory_practitioners: 1_000,
        ..Config::default()
    });
    let directory: Vec<Value> = generator
        .directory()
        .iter()
        .map(|r| serde_json::from_str(&fhir_model::to_json(r)))
        .collect::<Result<_, _>>()?;
    let mut missing = Vec::new();
    let mut checked = 0;
    for definition in common::package_files("hl7.fhir.us.davinci-pdex-plan-net.tgz", |name| {
        name.starts_with("package/StructureDefinition-plannet-")
    })? {
        let definition: Value = serde_json::from_str(&definition.1)?;
        if definition["kind"] != "resource" {
            continue;
        }
        let url = definition["url"].as_str().unwrap_or_default();
        let versioned = format!("{url}|1.1.0");
        let pool: Vec<&Value> = directory
            .iter()
            .filter(|r| {
                r["meta"]["profile"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p == versioned.as_str())
            })
            .take(POOL)
            .collect();
        assert!(!pool.is_empty(), "nothing claims {url}");
        let snapshot = definition["snapshot"]["element"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // An element the profile forbids (`max` 0, as Network's `telecom`) cannot be
        // populated, must-support or not.
        for element in snapshot
            .iter()
            .filter(|e| e["mustSupport"] == true && e["max"] != "0")
        {
            let id = element["id"].as_str().unwrap_or_default();
            let profile = definition["name"].as_str().unwrap_or(url);
            if NOT_CHECKED.contains(&(profile, id)) {
                continue;
            }
            checked += 1;
            if !pool
                .iter()
                .any(|resource| !reach(resource, id, &snapshot).is_empty())
            {
                missing.push(format!("{profile} {id}"));
            }
        }
    }
    assert!(checked > 200, "{checked} must-support elements");
    assert!(
        missing.is_empty(),
        "{} missing:\n{}",
        missing.len(),
        missing.join("\n")
    );
    Ok(())
}
