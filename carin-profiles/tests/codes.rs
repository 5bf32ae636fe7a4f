//! Every coding in the CARIN BB 2.0.0 examples whose system is one of the generated code
//! systems maps to a defined code, round-trips, and carries the CodeSystem's display.
//!
//! Reads `hl7.fhir.us.carin-bb-2.0.0.tgz` from `$FHIR_PACKAGES_DIR` (default
//! `../shared/fhir-packages` beside the workspace).

mod common;

use std::collections::BTreeMap;
use std::error::Error;

use carin_profiles::codes::*;
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const PACKAGE: &str = "hl7.fhir.us.carin-bb-2.0.0.tgz";

/// What a generated enum makes of one code.
struct Mapped {
    other: bool,
    code: String,
    display: Option<String>,
}

/// One generated enum: its name, its `SYSTEM` and a function mapping a code through it.
struct Entry {
    name: &'static str,
    system: &'static str,
    map: fn(&str) -> Mapped,
}

macro_rules! entries {
    ($($t:ident),* $(,)?) => {
        vec![$(Entry {
            name: stringify!($t),
            system: $t::SYSTEM,
            map: |code| {
                let v = $t::from_code(code);
                Mapped {
                    other: matches!(v, $t::Other(_)),
                    code: v.code().to_owned(),
                    display: v.to_coding().display.as_str().map(str::to_owned),
                }
            },
        }),*]
    };
}

/// Every generated enum (the example test fails if the package has a complete CodeSystem
/// missing here).
fn generated() -> Vec<Entry> {
    entries![
        C4BBAdjudication,
        C4BBAdjudicationDiscriminator,
        C4BBClaimCareTeamRole,
        C4BBClaimDiagnosisType,
        C4BBClaimProcedureType,
        C4BBCompoundLiteral,
        C4BBIdentifierType,
        C4BBInstitutionalClaimSubType,
        C4BBPayeeType,
        C4BBPayerAdjudicationStatus,
        C4BBRelatedClaimRelationshipCodes,
        C4BBSupportingInfoType,
        C4BBSurfaceCodes,
    ]
}

/// The package's CodeSystem resources and its examples as (entry name, JSON text).
struct Package {
    code_systems: Vec<Value>,
    examples: Vec<(String, String)>,
}

fn read_package() -> Result<Package, Box<dyn Error>> {
    let mut package = Package {
        code_systems: Vec::new(),
        examples: Vec::new(),
    };
    let files = common::package_files(PACKAGE, |name| {
        name.starts_with("package/CodeSystem-") || name.starts_with("package/example/")
    })?;
    for (name, text) in files {
        if name.starts_with("package/CodeSystem-") {
            package.code_systems.push(serde_json::from_str(&text)?);
        } else {
            package.examples.push((name, text));
        }
    }
    Ok(package)
}

/// code -> display for every concept, nested ones included.
fn concepts(list: &Value, out: &mut BTreeMap<String, Option<String>>) {
    for c in list.as_array().into_iter().flatten() {
        if let Some(code) = c["code"].as_str() {
            out.insert(code.to_owned(), c["display"].as_str().map(str::to_owned));
        }
        concepts(&c["concept"], out);
    }
}

/// Every object in `v` with both `system` and `code` strings, as (system, code).
fn codings(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            if let (Some(Value::String(system)), Some(Value::String(code))) =
                (map.get("system"), map.get("code"))
            {
                out.push((system.clone(), code.clone()));
            }
            map.values().for_each(|v| codings(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| codings(v, out)),
        _ => {}
    }
}

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the per-code-system counts are the point"
)]
fn example_codings_use_defined_codes_with_their_displays() -> TestResult {
    let package = read_package()?;
    let entries = generated();

    // Displays from the package; every complete CodeSystem must have a generated enum.
    let mut displays: BTreeMap<String, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for cs in &package.code_systems {
        let complete = cs["content"].as_str() == Some("complete")
            && cs["concept"].as_array().is_some_and(|c| !c.is_empty());
        if !complete {
            continue;
        }
        let url = cs["url"].as_str().ok_or("CodeSystem without url")?;
        assert!(
            entries.iter().any(|e| e.system == url),
            "{url} is a complete CodeSystem in the package without a generated enum here"
        );
        let mut map = BTreeMap::new();
        concepts(&cs["concept"], &mut map);
        displays.insert(url.to_owned(), map);
    }
    assert_eq!(
        displays.len(),
        entries.len(),
        "generated enums vs package CodeSystems"
    );

    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (file, text) in &package.examples {
        let resource = fhir_model::from_json(text).map_err(|e| format!("{file}: {e}"))?;
        let json: Value = serde_json::from_str(&fhir_model::to_json(&resource))?;
        let mut found = Vec::new();
        codings(&json, &mut found);
        for (system, code) in found {
            let Some(entry) = entries.iter().find(|e| e.system == system) else {
                continue;
            };
            *checked.entry(entry.name).or_default() += 1;
            let mapped = (entry.map)(&code);
            if mapped.other {
                failures.push(format!("{file}: {}: code {code:?} is Other", entry.name));
            }
            if mapped.code != code {
                failures.push(format!(
                    "{file}: {}: {code:?} came back as {:?}",
                    entry.name, mapped.code
                ));
            }
            let expected = displays.get(&system).and_then(|d| d.get(&code));
            if expected != Some(&mapped.display) {
                failures.push(format!(
                    "{file}: {}: display of {code:?} is {:?}, the CodeSystem says {expected:?}",
                    entry.name, mapped.display
                ));
            }
        }
    }
    for (name, n) in &checked {
        println!("{name}: {n} codings checked");
    }
    let total: usize = checked.values().sum();
    println!(
        "{total} codings in {} examples checked, {} of {} code systems used",
        package.examples.len(),
        checked.len(),
        entries.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total > 0, "no example coding used a generated code system");
    Ok(())
}

#[test]
fn unknown_code_is_other_and_keeps_its_text() {
    let c = C4BBSupportingInfoType::from_code("not-in-carin");
    assert_eq!(c, C4BBSupportingInfoType::Other("not-in-carin".to_owned()));
    assert_eq!(c.code(), "not-in-carin");
    assert_eq!(c.display(), None);
    assert_eq!(c.to_string(), "not-in-carin");
    // Codes are case-sensitive.
    assert!(matches!(
        C4BBAdjudication::from("Coinsurance"),
        C4BBAdjudication::Other(_)
    ));
}

#[test]
fn from_coding_with_another_system_is_none() {
    let coding = C4BBAdjudication::Coinsurance.to_coding();
    assert_eq!(coding.system.as_str(), Some(C4BBAdjudication::SYSTEM));
    assert_eq!(coding.code.as_str(), Some("coinsurance"));
    assert_eq!(coding.display.as_str(), Some("Co-insurance"));
    assert_eq!(
        C4BBAdjudication::from_coding(&coding),
        Some(C4BBAdjudication::Coinsurance)
    );
    assert_eq!(C4BBAdjudicationDiscriminator::from_coding(&coding), None);
    assert_eq!(C4BBPayerAdjudicationStatus::from_coding(&coding), None);
}
