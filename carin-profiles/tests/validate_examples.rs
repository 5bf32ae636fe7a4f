//! Every example of the IG packages validates with zero errors against the profiles it
//! declares in `meta.profile` (resources inside example Bundles included), and the test
//! prints how many were validated per IG.
//!
//! Reads the packages from `$FHIR_PACKAGES_DIR` (default `../shared/fhir-packages`).

mod common;

use std::error::Error;

use carin_profiles::{Ig, profile, validate, validate_as};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

/// Errors in official examples that the profiles themselves cause: the example breaks its
/// own profile as published. (example entry, rule, why)
const KNOWN_IG_DEFECTS: &[(&str, &str, &str)] = &[(
    "package/example/Observation-satO2-fiO2.json",
    "Observation.component:FlowRate.value[x]",
    "US Core 3.1.1 pulse oximetry binds the FlowRate component's unit to ucum-vitals-common 4.0.1, which lacks the L/min the example (rightly) uses",
)];

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the per-IG count is the point of this test"
)]
fn every_example_validates_against_its_declared_profiles() -> TestResult {
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    let mut known = 0;
    for (ig, (file, version)) in Ig::ALL.into_iter().zip(common::IG_PACKAGES) {
        let examples = common::example_resources(file)?;
        let (mut validated, mut undeclared, mut checks) = (0, 0, 0);
        for (name, resource_json) in &examples {
            let resource = fhir_model::from_json(&resource_json.to_string())
                .map_err(|e| format!("{name}: {e}"))?;
            let declared: Vec<String> = resource_json["meta"]["profile"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|u| u.split('|').next().unwrap_or(u).to_owned())
                // This IG's own profiles, in this IG's version.
                .filter_map(|u| profile(&format!("{u}|{version}")).filter(|p| p.ig() == ig))
                .map(|p| p.versioned_url())
                .collect();
            if declared.is_empty() {
                undeclared += 1;
                continue;
            }
            validated += 1;
            for url in declared {
                checks += 1;
                for issue in validate_as(&resource, &url).iter().filter(|i| i.is_error()) {
                    if KNOWN_IG_DEFECTS
                        .iter()
                        .any(|(file, rule, _)| file == name && *rule == issue.rule)
                    {
                        known += 1;
                        continue;
                    }
                    failures.push(format!("{name} as {url}: {issue} [{}]", issue.rule));
                }
            }
        }
        summary.push(format!(
            "{}: {} example resources, {validated} validated against {checks} declared profiles, {undeclared} declaring none of its profiles",
            ig.package(),
            examples.len()
        ));
        assert!(validated > 0, "{}: no example validated", ig.package());
    }
    println!("{}", summary.join("\n"));
    assert_eq!(
        known,
        KNOWN_IG_DEFECTS.len(),
        "each known IG defect is reported exactly once"
    );
    assert!(
        failures.is_empty(),
        "{} errors:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn validate_says_which_profile_it_chose() -> TestResult {
    let (_, text) = common::package_files(common::IG_PACKAGES[0].0, |n| {
        n.ends_with("ExplanationOfBenefit-EOBPharmacy1.json")
    })?
    .pop()
    .ok_or("pharmacy example missing")?;
    let resource = fhir_model::from_json(&text)?;
    let issues = validate(&resource);
    assert!(
        issues[0]
            .message
            .contains("C4BB-ExplanationOfBenefit-Pharmacy|2.0.0"),
        "{}",
        issues[0]
    );
    assert!(issues.iter().all(|i| !i.is_error()), "{issues:#?}");
    Ok(())
}
