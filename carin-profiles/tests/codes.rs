//! Every coding in the CARIN BB 2.0.0, Plan-Net 1.1.0 and PDex 2.0.0 examples whose system is
//! one of the generated code systems maps to a defined code, round-trips, and carries the
//! CodeSystem's display.
//!
//! Reads the packages from `$FHIR_PACKAGES_DIR` (default `../shared/fhir-packages` beside the
//! workspace).

mod common;

use std::collections::BTreeMap;
use std::error::Error;

use carin_profiles::codes::pdex::*;
use carin_profiles::codes::plan_net::*;
use carin_profiles::codes::*;
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const CARIN: &str = "hl7.fhir.us.carin-bb-2.0.0.tgz";
const PLAN_NET: &str = "hl7.fhir.us.davinci-pdex-plan-net.tgz";
const PDEX: &str = "hl7.fhir.us.davinci-pdex-2.0.0.tgz";

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

/// Every generated enum of CARIN BB (the example test fails if the package has a complete
/// CodeSystem missing here).
fn carin() -> Vec<Entry> {
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

/// Every generated enum of Plan-Net (`codes::plan_net`).
fn plan_net() -> Vec<Entry> {
    entries![
        AcceptingPatientsCS,
        AccessibilityCS,
        DeliveryMethodCS,
        EndpointConnectionTypeCS,
        EndpointPayloadTypeCS,
        HealthcareServiceCategoryCS,
        InsurancePlanTypeCS,
        InsuranceProductTypeCS,
        LanguageProficiencyCS,
        OrgTypeCS,
        OrganizationAffiliationRoleCS,
        ProviderRoleCS,
        QualificationStatusCS,
        VirtualModalitiesCS,
    ]
}

/// Every generated enum of PDex (`codes::pdex`).
fn pdex() -> Vec<Entry> {
    entries![
        CredentialStatusCS,
        EndpointAccessControlMechanismCS,
        PDexEndpointConnectionTypeCS,
        EndpointConnectionTypeVersionCS,
        EndpointFhirMimeTypeCS,
        EndpointHieSpecificConnectionTypeCS,
        PDexEndpointPayloadTypeCS,
        IdentifierTypeCS,
        MtlsObjectCodeCS,
        NdhAssociatedServersTypeCS,
        NdhFhirEndpointUseCaseCS,
        NdhSecureExchangeArtifactsCS,
        NdhVerificationStatusCS,
        PDexOrgTypeCS,
        PDexAdjudicationCS,
        PDexAdjudicationDiscriminator,
        PDexIdentifierType,
        PDexPayerAdjudicationStatus,
        PDexSupportingInfoType,
        PdexProviderExportModeCS,
        PriorAuthorizationValueCodes,
        ProvenanceAgentRoleType,
        ProvenancePayerDataSource,
        TrustFrameworkTypeCS,
        TrustProfileCS,
    ]
}

/// The package's CodeSystem resources and its examples as (entry name, JSON text).
struct Package {
    code_systems: Vec<Value>,
    examples: Vec<(String, String)>,
}

fn read_package(file: &str) -> Result<Package, Box<dyn Error>> {
    let mut package = Package {
        code_systems: Vec::new(),
        examples: Vec::new(),
    };
    let files = common::package_files(file, |name| {
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

/// What [`check_examples`] found in one package.
struct Checked {
    /// Codings checked per enum.
    per_enum: BTreeMap<&'static str, usize>,
    /// Example files read.
    examples: usize,
}

/// Checks the generated enums `entries` against the package `file`: one enum per complete
/// CodeSystem, and every example coding in one of their systems defined, round-tripping and
/// with the CodeSystem's display.
fn check_examples(file: &str, entries: &[Entry]) -> Result<Checked, Box<dyn Error>> {
    let package = read_package(file)?;

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
            "{file}: {url} is a complete CodeSystem in the package without a generated enum here"
        );
        let mut map = BTreeMap::new();
        concepts(&cs["concept"], &mut map);
        displays.insert(url.to_owned(), map);
    }
    assert_eq!(
        displays.len(),
        entries.len(),
        "{file}: generated enums vs package CodeSystems"
    );

    let mut per_enum: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (example, text) in &package.examples {
        let resource = fhir_model::from_json(text).map_err(|e| format!("{example}: {e}"))?;
        let json: Value = serde_json::from_str(&fhir_model::to_json(&resource))?;
        let mut found = Vec::new();
        codings(&json, &mut found);
        for (system, code) in found {
            let Some(entry) = entries.iter().find(|e| e.system == system) else {
                continue;
            };
            *per_enum.entry(entry.name).or_default() += 1;
            let mapped = (entry.map)(&code);
            if mapped.other {
                failures.push(format!("{example}: {}: code {code:?} is Other", entry.name));
            }
            if mapped.code != code {
                failures.push(format!(
                    "{example}: {}: {code:?} came back as {:?}",
                    entry.name, mapped.code
                ));
            }
            let expected = displays.get(&system).and_then(|d| d.get(&code));
            if expected != Some(&mapped.display) {
                failures.push(format!(
                    "{example}: {}: display of {code:?} is {:?}, the CodeSystem says {expected:?}",
                    entry.name, mapped.display
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(Checked {
        per_enum,
        examples: package.examples.len(),
    })
}

#[allow(
    clippy::print_stdout,
    reason = "the per-code-system counts are the point"
)]
fn report(file: &str, checked: &Checked, enums: usize) -> usize {
    for (name, n) in &checked.per_enum {
        println!("{name}: {n} codings checked");
    }
    let total: usize = checked.per_enum.values().sum();
    println!(
        "{file}: {total} codings in {} examples checked, {} of {enums} code systems used",
        checked.examples,
        checked.per_enum.len(),
    );
    total
}

#[test]
fn carin_example_codings_use_defined_codes_with_their_displays() -> TestResult {
    let entries = carin();
    let checked = check_examples(CARIN, &entries)?;
    let total = report(CARIN, &checked, entries.len());
    assert!(total > 0, "no example coding used a generated code system");
    Ok(())
}

#[test]
fn plan_net_example_codings_use_defined_codes_with_their_displays() -> TestResult {
    let entries = plan_net();
    let checked = check_examples(PLAN_NET, &entries)?;
    report(PLAN_NET, &checked, entries.len());
    // The Plan-Net examples use these code systems (counted by hand from the package).
    for name in [
        "AcceptingPatientsCS",
        "AccessibilityCS",
        "DeliveryMethodCS",
        "HealthcareServiceCategoryCS",
        "InsurancePlanTypeCS",
        "InsuranceProductTypeCS",
        "OrgTypeCS",
        "OrganizationAffiliationRoleCS",
        "ProviderRoleCS",
    ] {
        assert!(
            checked.per_enum.get(name).is_some_and(|n| *n > 0),
            "no Plan-Net example coding of {name}"
        );
    }
    Ok(())
}

#[test]
fn pdex_example_codings_use_defined_codes_with_their_displays() -> TestResult {
    let entries = pdex();
    let checked = check_examples(PDEX, &entries)?;
    report(PDEX, &checked, entries.len());
    for name in ["PriorAuthorizationValueCodes", "ProvenancePayerDataSource"] {
        assert!(
            checked.per_enum.get(name).is_some_and(|n| *n > 0),
            "no PDex example coding of {name}"
        );
    }
    Ok(())
}

#[test]
fn enum_names_are_unique_across_the_modules() {
    let mut names: Vec<&str> = carin()
        .into_iter()
        .chain(plan_net())
        .chain(pdex())
        .map(|e| e.name)
        .collect();
    let all = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all, "duplicate enum names");
    // The same name in Plan-Net and PDex: two code systems, two URLs.
    assert_ne!(OrgTypeCS::SYSTEM, PDexOrgTypeCS::SYSTEM);
    assert_eq!(
        PDexOrgTypeCS::SYSTEM,
        "http://hl7.org/fhir/us/davinci-pdex/CodeSystem/OrgTypeCS"
    );
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
