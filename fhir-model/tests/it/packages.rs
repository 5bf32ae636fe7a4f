//! Finding FHIR IG packages (`*.tgz`) and the resources inside them. Independent of
//! `fhir-model`: entries are recognised with the test's own JSON parser.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::json_tree::{self, Json};

/// The environment variable naming the directory of IG packages.
pub(crate) const ENV_VAR: &str = "FHIR_PACKAGES_DIR";

/// Where the packages are: `$FHIR_PACKAGES_DIR`, else `<manifest dir>/../../shared/fhir-packages`.
pub(crate) fn packages_dir() -> Result<PathBuf, String> {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fhir-packages");
    resolve_packages_dir(std::env::var_os(ENV_VAR), default)
}

/// The decision behind [`packages_dir`], separated so it can be tested without touching the
/// process environment.
pub(crate) fn resolve_packages_dir(
    from_env: Option<OsString>,
    default: PathBuf,
) -> Result<PathBuf, String> {
    let how = format!(
        "set {ENV_VAR} to a directory of FHIR IG package tarballs (*.tgz), e.g. \
         `{ENV_VAR}=/work/shared/fhir-packages cargo test -p fhir-model --test it`"
    );
    match from_env {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_dir() {
                Ok(dir)
            } else {
                Err(format!(
                    "{ENV_VAR}={} is not a directory; {how}",
                    dir.display()
                ))
            }
        }
        _ => {
            if default.is_dir() {
                Ok(default)
            } else {
                Err(format!(
                    "no FHIR IG packages to test: {ENV_VAR} is not set and the default \
                     directory {} does not exist; {how}",
                    default.display()
                ))
            }
        }
    }
}

/// The `*.tgz` files in `dir`, sorted by name.
pub(crate) fn list_packages(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_file() && path.extension().is_some_and(|e| e == "tgz") {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// A short name for a package file: `hl7.fhir.us.carin-bb-2.0.0.tgz` becomes `carin-bb-2.0.0`.
pub(crate) fn label(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let name = name.strip_suffix(".tgz").unwrap_or(&name);
    let name = name
        .strip_prefix("hl7.fhir.us.")
        .or_else(|| name.strip_prefix("hl7.fhir."))
        .unwrap_or(name);
    name.to_owned()
}

/// One resource found in a package.
#[derive(Debug)]
pub(crate) struct ResourceFile {
    /// Path inside the tarball, e.g. `package/example/Coverage-CoverageEx1.json`.
    pub(crate) name: String,
    /// The JSON text (a leading byte-order mark removed).
    pub(crate) text: String,
    /// The text parsed by the test's own parser.
    pub(crate) tree: Json,
    /// The top-level `resourceType`.
    pub(crate) resource_type: String,
}

/// The resources of one package, plus entries that look like resources but could not be read.
#[derive(Debug, Default)]
pub(crate) struct Package {
    pub(crate) label: String,
    pub(crate) resources: Vec<ResourceFile>,
    /// `(entry name, problem)` for `.json` entries that mention `"resourceType"` but are not
    /// UTF-8 or not valid JSON per the test's parser (e.g. duplicate keys).
    pub(crate) unreadable: Vec<(String, String)>,
    /// `.json` entries that are not resources (package.json, .index.json, openapi, ...).
    pub(crate) skipped: usize,
}

/// What to do with one tarball entry.
#[derive(Debug)]
pub(crate) enum Selection {
    Resource(ResourceFile),
    Unreadable(String),
    Skip,
}

/// Decides whether a tarball entry is a FHIR resource: a `.json` file whose top-level value is
/// an object with a string `resourceType`.
pub(crate) fn classify(name: &str, bytes: Vec<u8>) -> Selection {
    if !name.ends_with(".json") {
        return Selection::Skip;
    }
    let mentions_resource_type = bytes.windows(14).any(|w| w == b"\"resourceType\"");
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if mentions_resource_type => {
            return Selection::Unreadable(format!("not UTF-8: {e}"));
        }
        Err(_) => return Selection::Skip,
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    match json_tree::parse(&text) {
        Ok(tree) => match tree.get("resourceType").and_then(Json::as_str) {
            Some(resource_type) => {
                let resource_type = resource_type.to_owned();
                Selection::Resource(ResourceFile {
                    name: name.to_owned(),
                    text,
                    tree,
                    resource_type,
                })
            }
            None => Selection::Skip,
        },
        Err(e) if mentions_resource_type => {
            Selection::Unreadable(format!("input rejected by the test's JSON parser: {e}"))
        }
        Err(_) => Selection::Skip,
    }
}

/// Reads every entry of a gzipped tarball.
pub(crate) fn read_package_from(label: String, reader: impl Read) -> Result<Package, String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut package = Package {
        label,
        ..Package::default()
    };
    let entries = archive
        .entries()
        .map_err(|e| format!("{}: cannot read the tarball: {e}", package.label))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| format!("{}: cannot read the tarball: {e}", package.label))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| format!("{}: bad entry name: {e}", package.label))?
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: cannot read {name}: {e}", package.label))?;
        match classify(&name, bytes) {
            Selection::Resource(resource) => package.resources.push(resource),
            Selection::Unreadable(problem) => package.unreadable.push((name, problem)),
            Selection::Skip => package.skipped += 1,
        }
    }
    Ok(package)
}

/// Reads one package file.
pub(crate) fn read_package(path: &Path) -> Result<Package, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    read_package_from(label(path), file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, *data)
                .expect("append to tar");
        }
        builder
            .into_inner()
            .expect("finish tar")
            .finish()
            .expect("finish gzip")
    }

    #[test]
    fn selects_only_json_resources() {
        let data = tgz(&[
            ("package/package.json", br#"{"name":"x","version":"1.0.0"}"#),
            (
                "package/other/.index.json",
                br#"{"index-version":1,"files":[{"resourceType":"Patient"}]}"#,
            ),
            (
                "package/openapi/x.openapi.json",
                "\u{feff}{\"openapi\":\"3.0.1\"}".as_bytes(),
            ),
            (
                "package/example/Patient-a.json",
                br#"{"resourceType":"Patient","id":"a"}"#,
            ),
            (
                "package/Observation-b.json",
                "\u{feff}{\"id\":\"b\",\"resourceType\":\"Observation\"}".as_bytes(),
            ),
            (
                "package/other/ig-r4.jsonX",
                br#"{"resourceType":"ImplementationGuide"}"#,
            ),
            (
                "package/bad.json",
                br#"{"resourceType":"Patient","id":"a","id":"b"}"#,
            ),
            (
                "package/not-a-resource.json",
                br#"[{"resourceType":"Patient"}]"#,
            ),
            ("package/number.json", br#"{"resourceType":1}"#),
            ("package/broken.json", b"{ not json"),
        ]);
        let package = read_package_from("p".to_owned(), data.as_slice()).expect("readable");
        let names: Vec<_> = package.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "package/example/Patient-a.json",
                "package/Observation-b.json"
            ]
        );
        assert_eq!(package.resources[1].resource_type, "Observation");
        assert!(package.resources[1].text.starts_with('{'), "BOM removed");
        assert_eq!(package.unreadable.len(), 1, "{:?}", package.unreadable);
        assert_eq!(package.unreadable[0].0, "package/bad.json");
        assert!(
            package.unreadable[0].1.contains("duplicate key"),
            "{:?}",
            package.unreadable
        );
        assert_eq!(package.skipped, 6);
    }

    #[test]
    fn labels_drop_the_common_prefix() {
        assert_eq!(
            label(Path::new("/x/hl7.fhir.us.carin-bb-2.0.0.tgz")),
            "carin-bb-2.0.0"
        );
        assert_eq!(label(Path::new("hl7.fhir.r4.core.tgz")), "r4.core");
        assert_eq!(label(Path::new("other.tgz")), "other");
    }

    #[test]
    fn packages_dir_fails_with_instructions_when_missing() {
        let missing = PathBuf::from("/definitely/not/here/fhir-packages");
        let e = resolve_packages_dir(None, missing.clone()).expect_err("missing default");
        assert!(
            e.contains(ENV_VAR) && e.contains("/definitely/not/here"),
            "{e}"
        );
        let e = resolve_packages_dir(Some(missing.clone().into()), std::env::temp_dir())
            .expect_err("missing env dir");
        assert!(
            e.contains(ENV_VAR) && e.contains("is not a directory"),
            "{e}"
        );
        let tmp = std::env::temp_dir();
        assert_eq!(
            resolve_packages_dir(Some(tmp.clone().into()), missing.clone()),
            Ok(tmp.clone())
        );
        assert_eq!(resolve_packages_dir(None, tmp.clone()), Ok(tmp.clone()));
        assert_eq!(
            resolve_packages_dir(Some(OsString::new()), tmp.clone()),
            Ok(tmp)
        );
    }
}
