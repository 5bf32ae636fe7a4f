//! Validations per second of the CARIN BB 2.0.0 EOB examples against their profiles.
//!
//! `cargo bench -p carin-profiles --bench validate` (reads the package from
//! `$FHIR_PACKAGES_DIR`, default `../shared/fhir-packages`). For scale, the same run
//! measures the two steps every validation starts with: parsing the EOB with `fhir-model`
//! and turning it into the JSON tree the validator walks.

use std::error::Error;
use std::fs::File;
use std::hint::black_box;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const EXAMPLES: [&str; 3] = [
    "ExplanationOfBenefit-EOBInpatient1.json",
    "ExplanationOfBenefit-EOBProfessional1.json",
    "ExplanationOfBenefit-EOBPharmacy1.json",
];

fn examples() -> Result<Vec<(String, String)>, Box<dyn Error>> {
    let dir = match std::env::var_os("FHIR_PACKAGES_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fhir-packages"),
    };
    let file = File::open(dir.join("hl7.fhir.us.carin-bb-2.0.0.tgz"))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if let Some(example) = EXAMPLES
            .iter()
            .find(|e| name == format!("package/example/{e}"))
        {
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            out.push(((*example).to_owned(), text));
        }
    }
    out.sort();
    Ok(out)
}

fn bench(c: &mut Criterion) {
    let examples = match examples() {
        Ok(e) if e.len() == EXAMPLES.len() => e,
        other => panic!("CARIN BB 2.0.0 examples not found: {:?}", other.err()),
    };
    let mut group = c.benchmark_group("validate");
    group.throughput(Throughput::Elements(1));
    for (name, text) in &examples {
        let short = name
            .trim_start_matches("ExplanationOfBenefit-")
            .trim_end_matches(".json");
        let resource = fhir_model::from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let issues = carin_profiles::validate(&resource);
        assert!(issues.iter().all(|i| !i.is_error()), "{name}: {issues:#?}");
        group.bench_function(format!("{short}/validate"), |b| {
            b.iter(|| carin_profiles::validate(black_box(&resource)))
        });
        group.bench_function(format!("{short}/parse"), |b| {
            b.iter(|| fhir_model::from_json(black_box(text)))
        });
        group.bench_function(format!("{short}/to_json_tree"), |b| {
            b.iter(|| {
                serde_json::from_str::<serde_json::Value>(&fhir_model::to_json(black_box(
                    &resource,
                )))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
