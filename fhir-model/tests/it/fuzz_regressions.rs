//! Replays every input the fuzzer once crashed on (`fhir-model/fuzz/regressions/`) with the
//! fuzz target's properties, so CI guards them without a fuzzer.

use std::path::Path;

/// The properties of `fuzz/fuzz_targets/parse.rs`, as a result instead of a panic.
fn check(json: &str) -> Result<(), String> {
    if let Ok(resource) = fhir_model::from_json(json) {
        let first = fhir_model::to_json(&resource);
        let again = fhir_model::from_json(&first)
            .map_err(|e| format!("strict re-parse of the output failed: {e}"))?;
        if fhir_model::to_json(&again) != first {
            return Err("strict output is not a fixed point".into());
        }
    }
    if let (Some(resource), _) = fhir_model::from_json_lenient(json) {
        let first = fhir_model::to_json(&resource);
        let again = match fhir_model::from_json(&first) {
            Ok(again) => again,
            Err(_) => fhir_model::from_json_lenient(&first)
                .0
                .ok_or_else(|| "lenient re-parse of the output failed".to_owned())?,
        };
        if fhir_model::to_json(&again) != first {
            return Err("lenient output is not stable".into());
        }
    }
    Ok(())
}

#[test]
fn fuzz_regression_inputs_keep_their_properties() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let path = entry.expect("directory entry").path();
        let bytes = std::fs::read(&path).expect("readable regression input");
        let Ok(json) = std::str::from_utf8(&bytes) else {
            continue;
        };
        checked += 1;
        if let Err(e) = check(json) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(checked > 0, "no regression inputs in {}", dir.display());
    assert!(failures.is_empty(), "{failures:#?}");
}
