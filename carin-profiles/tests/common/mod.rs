//! Reading the IG packages (`*.tgz`) the tests use as inputs, from `$FHIR_PACKAGES_DIR`
//! (default `../shared/fhir-packages` beside the workspace).

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use std::error::Error;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The path of package file `file` (`hl7.fhir.us.carin-bb-2.0.0.tgz`).
pub(crate) fn package_path(file: &str) -> Result<PathBuf, String> {
    let dir = match std::env::var_os("FHIR_PACKAGES_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fhir-packages"),
    };
    let path = dir.join(file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found; set FHIR_PACKAGES_DIR to the directory of FHIR IG packages (*.tgz)",
            path.display()
        ))
    }
}

/// The JSON files of package `file` whose entry name (`package/example/x.json`) passes
/// `keep`, as (entry name, text), sorted by name.
pub(crate) fn package_files(
    file: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<(String, String)>, Box<dyn Error>> {
    let archive = File::open(package_path(file)?)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut out = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if !name.ends_with(".json") || !keep(&name) {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text)?;
        out.push((name, text));
    }
    out.sort();
    Ok(out)
}

/// The resources of the examples of package `file` (the resources inside example Bundles
/// too), as (entry name, resource JSON).
pub(crate) fn example_resources(
    file: &str,
) -> Result<Vec<(String, serde_json::Value)>, Box<dyn Error>> {
    fn resources(value: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        if value["resourceType"] == "Bundle" {
            for entry in value["entry"].as_array().into_iter().flatten() {
                resources(&entry["resource"], out);
            }
        } else if value["resourceType"].is_string() {
            out.push(value.clone());
        }
    }
    let mut out = Vec::new();
    for (name, text) in package_files(file, |n| n.starts_with("package/example/"))? {
        let mut found = Vec::new();
        resources(&serde_json::from_str(&text)?, &mut found);
        out.extend(found.into_iter().map(|r| (name.clone(), r)));
    }
    Ok(out)
}

/// One example resource of a package, parsed strictly, with its JSON read independently.
pub(crate) struct Example {
    /// The package entry it comes from (`package/example/Observation-weight.json`).
    pub(crate) file: String,
    /// The resource as `fhir-model` parses it.
    pub(crate) resource: fhir_model::Resource,
    /// The resource's JSON as in the package.
    pub(crate) json: serde_json::Value,
}

/// Every example resource of package `file` (the resources inside example Bundles too),
/// parsed, in the order of [`example_resources`].
pub(crate) fn parsed_examples(file: &str) -> Result<Vec<Example>, Box<dyn Error>> {
    let mut out = Vec::new();
    for (entry, json) in example_resources(file)? {
        let resource =
            fhir_model::from_json(&json.to_string()).map_err(|e| format!("{entry}: {e}"))?;
        out.push(Example {
            file: entry,
            resource,
            json,
        });
    }
    Ok(out)
}

/// The package file of each IG with generated profiles, with the IG's version.
pub(crate) const IG_PACKAGES: [(&str, &str); 5] = [
    ("hl7.fhir.us.carin-bb-2.0.0.tgz", "2.0.0"),
    ("hl7.fhir.us.core-3.1.1.tgz", "3.1.1"),
    ("hl7.fhir.us.core-6.1.0.tgz", "6.1.0"),
    ("hl7.fhir.us.davinci-pdex-2.0.0.tgz", "2.0.0"),
    ("hl7.fhir.us.davinci-pdex-plan-net.tgz", "1.1.0"),
];
