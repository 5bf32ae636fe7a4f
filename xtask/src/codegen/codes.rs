//! The code systems of CARIN Blue Button 2.0.0, Plan-Net 1.1.0 and PDex 2.0.0 as Rust enums,
//! written to `carin-profiles/src/generated/codes.rs` (CARIN, the crate's `codes` module),
//! `codes_plan_net.rs` (`codes::plan_net`) and `codes_pdex.rs` (`codes::pdex`).
//!
//! Input: every `CodeSystem-*.json` in each package (read from `$FHIR_PACKAGES_DIR`, default
//! `../shared/fhir-packages` beside the workspace, and unpacked with `tar` into
//! `target/codegen-cache/`) whose `content` is `complete` and that lists concepts; nested
//! concepts are flattened in document order. Each code system becomes one `code_system!`
//! invocation (the macro is hand-written in `carin-profiles/src/codes.rs`).
//!
//! Enum names are the CodeSystem `name`s, unique across the three files so that glob imports
//! of several modules never clash: the packages are read in the order of [`TARGETS`], and a
//! name an earlier package took gets the later package's prefix (PDex repeats Plan-Net's
//! `OrgTypeCS` under its own URL: that one is `PDexOrgTypeCS`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::emit::doc;
use super::model::BoxError;

const PACKAGES_ENV: &str = "FHIR_PACKAGES_DIR";

/// One IG package whose complete code systems become enums, and the file they go to.
pub(crate) struct Target {
    /// The package file name without `.tgz`.
    pub(crate) package: &'static str,
    /// The IG's name and version, for the generated documentation.
    pub(crate) ig: &'static str,
    /// The package id and version, for the generated header.
    pub(crate) package_id: &'static str,
    /// The output file, relative to `carin-profiles/src/generated/`.
    pub(crate) file: &'static str,
    /// Put before a name an earlier package already took.
    pub(crate) prefix: &'static str,
}

/// The packages, in the order that decides who keeps a shared enum name.
pub(crate) const TARGETS: [Target; 3] = [
    Target {
        package: "hl7.fhir.us.carin-bb-2.0.0",
        ig: "CARIN Blue Button 2.0.0",
        package_id: "hl7.fhir.us.carin-bb 2.0.0",
        file: "codes.rs",
        prefix: "C4BB",
    },
    Target {
        package: "hl7.fhir.us.davinci-pdex-plan-net",
        ig: "Da Vinci PDex Plan-Net 1.1.0",
        package_id: "hl7.fhir.us.davinci-pdex-plan-net 1.1.0",
        file: "codes_plan_net.rs",
        prefix: "PlanNet",
    },
    Target {
        package: "hl7.fhir.us.davinci-pdex-2.0.0",
        ig: "Da Vinci PDex 2.0.0",
        package_id: "hl7.fhir.us.davinci-pdex 2.0.0",
        file: "codes_pdex.rs",
        prefix: "PDex",
    },
];

/// One code system to generate.
pub(crate) struct CodeSystem {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) title: String,
    pub(crate) concepts: Vec<Concept>,
}

/// One concept (code) of a code system.
pub(crate) struct Concept {
    pub(crate) code: String,
    pub(crate) display: Option<String>,
    pub(crate) variant: String,
}

/// Unpacks each package of [`TARGETS`] (once) and returns its code systems, sorted by file
/// name, in the order of [`TARGETS`].
pub(crate) fn load(root: &Path) -> Result<Vec<(&'static Target, Vec<CodeSystem>)>, BoxError> {
    let mut enum_names = BTreeSet::new();
    let mut out = Vec::new();
    for target in &TARGETS {
        let systems = load_package(root, target, &mut enum_names)?;
        out.push((target, systems));
    }
    Ok(out)
}

/// The code systems of one package; enum names already in `enum_names` get the prefix.
fn load_package(
    root: &Path,
    target: &Target,
    enum_names: &mut BTreeSet<String>,
) -> Result<Vec<CodeSystem>, BoxError> {
    let package = unpack(root, target.package)?;
    let mut files: Vec<PathBuf> = fs::read_dir(&package)
        .map_err(|e| format!("{}: {e}", package.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("CodeSystem-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    let mut systems = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(system) = code_system(&json, target.prefix, enum_names)
            .map_err(|e| format!("{}: {e}", path.display()))?
        {
            systems.push(system);
        }
    }
    Ok(systems)
}

/// The code system in `json`, or `None` when it is not `content: complete` or has no concepts.
fn code_system(
    json: &Value,
    prefix: &str,
    enum_names: &mut BTreeSet<String>,
) -> Result<Option<CodeSystem>, BoxError> {
    let Some(top) = json["concept"].as_array().filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if json["content"].as_str() != Some("complete") {
        return Ok(None);
    }
    let name = json["name"].as_str().ok_or("CodeSystem without name")?;
    let url = json["url"].as_str().ok_or("CodeSystem without url")?;
    let title = json["title"].as_str().unwrap_or(name);
    let mut flat = Vec::new();
    flatten(top, &mut flat)?;

    let mut concepts: Vec<Concept> = Vec::new();
    let mut taken = BTreeSet::from(["Other".to_owned()]);
    for (code, display) in flat {
        if concepts.iter().any(|c| c.code == code) {
            continue; // a code listed twice keeps its first concept
        }
        let variant = unique(identifier(&code), &mut taken);
        concepts.push(Concept {
            code,
            display,
            variant,
        });
    }
    Ok(Some(CodeSystem {
        name: enum_name(identifier(name), prefix, enum_names),
        url: url.to_owned(),
        title: title.to_owned(),
        concepts,
    }))
}

fn flatten(concepts: &[Value], out: &mut Vec<(String, Option<String>)>) -> Result<(), BoxError> {
    for c in concepts {
        let code = c["code"].as_str().ok_or("concept without code")?;
        out.push((code.to_owned(), c["display"].as_str().map(str::to_owned)));
        if let Some(children) = c["concept"].as_array() {
            flatten(children, out)?;
        }
    }
    Ok(())
}

/// A PascalCase Rust identifier for a code: ASCII letters and digits are kept, anything
/// else separates words (each word's first letter is upper-cased); a name that would start
/// with a digit, be empty or be `Self` is prefixed with `Code`.
pub(crate) fn identifier(code: &str) -> String {
    let mut out = String::new();
    for word in code.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) || out == "Self" {
        out.insert_str(0, "Code");
    }
    out
}

/// `name`, or when it is taken `name` + `Code`, then `name` + `Code2`, `Code3`, ...; the
/// result is recorded in `taken`. Deterministic: it depends only on the order of calls.
pub(crate) fn unique(name: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while taken.contains(&candidate) {
        candidate = if n == 1 {
            format!("{name}Code")
        } else {
            format!("{name}Code{n}")
        };
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// `name`, or when an earlier code system took it `prefix` + `name` (made unique by
/// [`unique`] if need be); recorded in `taken`.
fn enum_name(name: String, prefix: &str, taken: &mut BTreeSet<String>) -> String {
    if taken.contains(&name) {
        unique(format!("{prefix}{name}"), taken)
    } else {
        unique(name, taken)
    }
}

/// The source of the file of `target` (not yet rustfmt'd).
pub(crate) fn source(target: &Target, systems: &[CodeSystem]) -> String {
    let mut out = format!(
        "// @generated by `cargo xtask codegen` from the CodeSystem resources of {}. Do not edit.\n",
        target.package_id
    );
    let _ = writeln!(
        out,
        "\n//! The code systems of {}, one `code_system!` each.",
        target.ig
    );
    for cs in systems {
        out.push('\n');
        out.push_str("code_system! {\n");
        let mut d = String::new();
        doc(&mut d, &format!("{} (`{}`).", cs.title, cs.url));
        indent(&mut out, &d, 1);
        let _ = writeln!(out, "    {} = {} {{", cs.name, string_literal(&cs.url));
        for c in &cs.concepts {
            let mut d = String::new();
            doc(&mut d, c.display.as_deref().unwrap_or(&c.code));
            indent(&mut out, &d, 2);
            let display = c.display.as_deref().map_or_else(
                || "None".to_owned(),
                |d| format!("Some({})", string_literal(d)),
            );
            let _ = writeln!(
                out,
                "        {} = {}, {display};",
                c.variant,
                string_literal(&c.code)
            );
        }
        out.push_str("    }\n}\n");
    }
    out
}

fn indent(out: &mut String, lines: &str, level: usize) {
    for line in lines.lines() {
        out.push_str(&"    ".repeat(level));
        out.push_str(line);
        out.push('\n');
    }
}

/// A Rust string literal (`Debug` escapes quotes, backslashes and control characters).
fn string_literal(s: &str) -> String {
    format!("{s:?}")
}

/// The unpacked `package/` directory of the IG package `name` (`hl7.fhir.us.core-6.1.0`)
/// in `target/codegen-cache/`, unpacked from `$FHIR_PACKAGES_DIR/<name>.tgz` once.
pub(crate) fn unpack(root: &Path, name: &str) -> Result<PathBuf, BoxError> {
    let dir = match std::env::var_os(PACKAGES_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => root.join("../shared/fhir-packages"),
    };
    let tgz = dir.join(format!("{name}.tgz"));
    if !tgz.is_file() {
        return Err(format!(
            "{} not found: set {PACKAGES_ENV} to the directory of FHIR IG packages (*.tgz) \
             (default: ../shared/fhir-packages beside the workspace)",
            tgz.display()
        )
        .into());
    }
    let cache = root.join("target/codegen-cache").join(name);
    let package = cache.join("package");
    let done = cache.join(".unpacked");
    if done.exists() {
        return Ok(package);
    }
    if cache.exists() {
        fs::remove_dir_all(&cache)?;
    }
    fs::create_dir_all(&cache)?;
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&cache)
        .status()
        .map_err(|e| format!("running tar: {e}"))?;
    if !status.success() {
        return Err(format!("unpacking {} failed ({status})", tgz.display()).into());
    }
    fs::write(&done, "")?;
    Ok(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_valid_pascal_case() {
        assert_eq!(identifier("paidbypatient"), "Paidbypatient");
        assert_eq!(identifier("M"), "M");
        assert_eq!(
            identifier("benefit-payment.status x"),
            "BenefitPaymentStatusX"
        );
        assert_eq!(identifier("01"), "Code01");
        assert_eq!(identifier("self"), "CodeSelf");
        assert_eq!(identifier("--"), "Code");
    }

    #[test]
    fn collisions_are_renamed_in_order() {
        let mut taken = BTreeSet::from(["Other".to_owned()]);
        assert_eq!(unique(identifier("other"), &mut taken), "OtherCode");
        assert_eq!(unique(identifier("a-b"), &mut taken), "AB");
        assert_eq!(unique(identifier("a.b"), &mut taken), "ABCode");
        assert_eq!(unique(identifier("a b"), &mut taken), "ABCode2");
    }

    #[test]
    fn nested_concepts_are_flattened_and_incomplete_systems_skipped() -> Result<(), BoxError> {
        let json: Value = serde_json::from_str(
            r#"{"name":"X","url":"http://x","content":"complete","concept":[
                {"code":"a","display":"A","concept":[{"code":"a-1","display":"A [1]"}]},
                {"code":"b"}]}"#,
        )?;
        let cs = code_system(&json, "P", &mut BTreeSet::new())?.ok_or("skipped")?;
        let codes: Vec<_> = cs.concepts.iter().map(|c| c.variant.as_str()).collect();
        assert_eq!(codes, ["A", "A1", "B"]);
        let src = source(&TARGETS[0], &[cs]);
        assert!(src.contains("/// A \\[1\\]\n        A1 = \"a-1\", Some(\"A [1]\");"));
        assert!(src.contains("B = \"b\", None;"));
        let fragment: Value = serde_json::from_str(
            r#"{"name":"X","url":"http://x","content":"fragment","concept":[{"code":"a"}]}"#,
        )?;
        assert!(code_system(&fragment, "P", &mut BTreeSet::new())?.is_none());
        Ok(())
    }

    #[test]
    fn a_name_taken_by_an_earlier_package_gets_the_prefix() -> Result<(), BoxError> {
        let json: Value = serde_json::from_str(
            r#"{"name":"OrgTypeCS","url":"http://x","content":"complete","concept":[{"code":"a"}]}"#,
        )?;
        let mut taken = BTreeSet::new();
        let first = code_system(&json, "PlanNet", &mut taken)?.ok_or("skipped")?;
        let second = code_system(&json, "PDex", &mut taken)?.ok_or("skipped")?;
        let third = code_system(&json, "PDex", &mut taken)?.ok_or("skipped")?;
        assert_eq!(first.name, "OrgTypeCS");
        assert_eq!(second.name, "PDexOrgTypeCS");
        assert_eq!(third.name, "PDexOrgTypeCSCode");
        Ok(())
    }

    #[test]
    fn the_carin_header_is_unchanged() {
        let src = source(&TARGETS[0], &[]);
        assert_eq!(
            src,
            "// @generated by `cargo xtask codegen` from the CodeSystem resources of \
             hl7.fhir.us.carin-bb 2.0.0. Do not edit.\n\n//! The code systems of CARIN Blue \
             Button 2.0.0, one `code_system!` each.\n"
        );
    }
}
