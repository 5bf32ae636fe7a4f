//! The crate README's table of what the validator checks per IG is generated from the
//! tables themselves; this test fails when the README's copy is stale and prints the
//! current one.

use std::collections::BTreeMap;

use super::model::{Ig, Node, Profile};
use super::{profiles, skipped_invariants, unchecked_value_sets};

const BEGIN: &str = "<!-- support table: begin (generated: `UPDATE_README=1 cargo test -p carin-profiles support_table`) -->\n";
const END: &str = "<!-- support table: end -->\n";

/// One row of the table: its label and how to render a cell from an IG's counts.
type Row = (&'static str, fn(&Counts) -> String);

#[derive(Default)]
struct Counts {
    profiles: usize,
    extensions: usize,
    cardinality: usize,
    fixed: usize,
    pattern: usize,
    bindings: usize,
    system_only_bindings: usize,
    choice_types: usize,
    targets: usize,
    slicings: usize,
    slices: usize,
    extension_refs: usize,
    invariants_checked: usize,
    invariants_declared: usize,
}

fn count(nodes: &[Node], c: &mut Counts) {
    for n in nodes {
        if n.min > 0 || n.max != super::model::MANY {
            c.cardinality += 1;
        }
        c.fixed += usize::from(n.fixed.is_some());
        c.pattern += usize::from(n.pattern.is_some());
        if let Some(vs) = n.binding {
            c.bindings += 1;
            c.system_only_bindings += usize::from(vs.includes.iter().any(|i| i.codes.is_none()));
        }
        c.choice_types += usize::from(n.name.ends_with("[x]") && !n.types.is_empty());
        c.targets += usize::from(!n.targets.is_empty());
        c.extension_refs += usize::from(!n.profiles.is_empty());
        if let Some(s) = n.slicing {
            c.slicings += 1;
            c.slices += s.slices.len();
            for slice in s.slices {
                count(std::slice::from_ref(&slice.node), c);
            }
        }
        count(n.children, c);
    }
}

fn table() -> String {
    let mut by_ig: BTreeMap<Ig, Counts> = BTreeMap::new();
    for p in profiles() {
        let c = by_ig.entry(p.ig).or_default();
        if p.is_extension() {
            c.extensions += 1;
        } else {
            c.profiles += 1;
        }
        count(p.elements, c);
        c.invariants_declared += p.invariants.len();
        c.invariants_checked += p.invariants().filter(|(_, checked)| *checked).count();
    }
    let igs: Vec<Ig> = Ig::ALL.to_vec();
    let mut out = String::from("| constraint | ");
    out.push_str(
        &igs.iter()
            .map(|ig| ig.package())
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(" |\n|---|");
    out.push_str(&"---:|".repeat(igs.len()));
    out.push('\n');
    let rows: [Row; 12] = [
        ("profiles / extension definitions", |c| {
            format!("{} / {}", c.profiles, c.extensions)
        }),
        ("cardinality (elements)", |c| c.cardinality.to_string()),
        ("fixed values", |c| c.fixed.to_string()),
        ("patterns", |c| c.pattern.to_string()),
        ("required bindings (of which system-only)", |c| {
            format!("{} ({})", c.bindings, c.system_only_bindings)
        }),
        ("narrowed choice types", |c| c.choice_types.to_string()),
        ("narrowed reference targets", |c| c.targets.to_string()),
        ("slicings / slices", |c| {
            format!("{} / {}", c.slicings, c.slices)
        }),
        ("extension definitions applied", |c| {
            c.extension_refs.to_string()
        }),
        ("IG invariants checked / declared", |c| {
            format!("{} / {}", c.invariants_checked, c.invariants_declared)
        }),
        ("must-support", |_| "not checked".to_owned()),
        ("base R4 invariants (ele-1, ...)", |_| {
            "not checked".to_owned()
        }),
    ];
    for (label, cell) in rows {
        out.push_str(&format!("| {label} |"));
        for ig in &igs {
            let counts = by_ig.get(ig);
            out.push_str(&format!(" {} |", counts.map(cell).unwrap_or_default()));
        }
        out.push('\n');
    }
    out.push_str("\nIG invariants not checked:\n\n");
    for (keys, reason) in skipped_invariants() {
        out.push_str(&format!("- `{}`: {reason}.\n", keys.replace(", ", "`, `")));
    }
    out.push_str(&format!(
        "\nRequired bindings not checked, because the value set (or one it imports) is in no package here: {}.\n",
        unchecked_value_sets()
            .iter()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

#[test]
fn readme_support_table_is_current() -> Result<(), Box<dyn std::error::Error>> {
    let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(readme_path)?;
    let expected = format!("{BEGIN}{}{END}", table());
    if readme.contains(&expected) {
        return Ok(());
    }
    // `UPDATE_README=1 cargo test -p carin-profiles support_table` rewrites the table
    // between the markers (never set in CI).
    if std::env::var_os("UPDATE_README").is_some() {
        let start = readme.find(BEGIN).ok_or("README lacks the begin marker")?;
        let end = readme.find(END).ok_or("README lacks the end marker")? + END.len();
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(readme_path, updated)?;
        return Ok(());
    }
    Err(format!(
        "carin-profiles/README.md: the support table is stale; run \
         `UPDATE_README=1 cargo test -p carin-profiles support_table` or replace it with:\n\n{expected}"
    )
    .into())
}

/// Every generated profile's own invariants are either checked or listed as skipped,
/// so the README's list of skipped invariants is complete.
#[test]
fn every_declared_invariant_is_checked_or_listed_as_skipped() {
    let skipped: Vec<&str> = skipped_invariants()
        .iter()
        .flat_map(|(keys, _)| keys.split(", "))
        .collect();
    let missing: Vec<String> = profiles()
        .flat_map(|p: &'static Profile| p.invariants().map(move |(key, checked)| (p, key, checked)))
        .filter(|(_, key, checked)| !checked && !skipped.contains(key))
        .map(|(p, key, _)| format!("{key} ({})", p.url))
        .collect();
    assert!(
        missing.is_empty(),
        "neither checked nor listed as skipped: {missing:#?}"
    );
}
