//! Negative tests generated from the official examples: for every example that declares
//! one of its IG's profiles, every constraint of that profile the example exercises is
//! broken once (remove a required element, change a fixed or pattern value, put a code
//! outside a required binding, remove a required slice's repetitions, use a disallowed
//! choice type or reference target), and the validator must report exactly that rule, of
//! that kind, at that location.

use serde_json::{Value, json};

#[path = "../../tests/common/mod.rs"]
mod common;

use super::engine::{Item, collect, element_path, key_matches};
use super::model::{Json, Node, Slicing};
use super::{Ig, IssueKind, Profile, profile, validate_json};

/// One broken copy of an example and the issue it must produce.
struct Mutation {
    what: String,
    json: Value,
    kind: IssueKind,
    rule: &'static str,
    location: String,
}

/// `ExplanationOfBenefit.item[0].adjudication[1]` → `/item/0/adjudication/1`.
fn pointer(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('.').skip(1) {
        match segment.split_once('[') {
            Some((name, index)) => {
                out.push('/');
                out.push_str(name);
                out.push('/');
                out.push_str(index.trim_end_matches(']'));
            }
            None => {
                out.push('/');
                out.push_str(segment);
            }
        }
    }
    out
}

/// A copy of `root` with the value at `path` replaced by `f(old)`.
fn replaced(root: &Value, path: &str, f: impl FnOnce(&mut Value)) -> Option<Value> {
    let mut copy = root.clone();
    f(copy.pointer_mut(&pointer(path))?);
    Some(copy)
}

/// The members `node` occupies under `parent` (`value[x]` → `valueQuantity`, and the
/// `_name` of a primitive).
fn member_names(parent: &Value, node: &Node) -> Vec<String> {
    let Some(members) = parent.as_object() else {
        return Vec::new();
    };
    let prefix = node.name.trim_end_matches("[x]");
    members
        .keys()
        .filter(|k| {
            let k = k.strip_prefix('_').unwrap_or(k);
            if node.name.ends_with("[x]") {
                k.strip_prefix(prefix)
                    .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
            } else {
                k == node.name
            }
        })
        .cloned()
        .collect()
}

const BROKEN_SYSTEM: &str = "http://example.org/not-a-system";

/// Mutates what `nodes` constrain under `parent`. `discriminators` are the slicing paths
/// that decided which slice `parent` belongs to: changing what they point at moves the
/// occurrence to another slice (the slice mutations test that), so they are left alone.
fn walk(
    nodes: &'static [Node],
    parent: &Item<'_>,
    root: &Value,
    discriminators: &[&str],
    out: &mut Vec<Mutation>,
) {
    for node in nodes {
        let name = node.name.trim_end_matches("[x]");
        if discriminators
            .iter()
            .any(|d| *d == "$this" || d.split('.').next() == Some(name))
        {
            continue;
        }
        let items = collect(parent, node);
        let location = element_path(parent, node);
        let parent_pointer = pointer(&parent.path());
        if node.min >= 1 && !items.is_empty() {
            let mut copy = root.clone();
            if let Some(container) = copy.pointer_mut(&parent_pointer) {
                let names = member_names(container, node);
                if let Some(members) = container.as_object_mut() {
                    for name in names {
                        members.remove(&name);
                    }
                }
                out.push(Mutation {
                    what: format!("remove {location}"),
                    json: copy,
                    kind: IssueKind::Cardinality,
                    rule: node.id,
                    location: location.clone(),
                });
            }
        }
        for item in &items {
            let definition = definition_of(node, item);
            let sliced_by = if std::ptr::eq(definition, node) {
                &[][..]
            } else {
                node.slicing.map_or(&[][..], |s| s.discriminators)
            };
            if sliced_by.is_empty() {
                mutate_item(definition, item, root, out);
            }
            walk(definition.children, item, root, sliced_by, out);
        }
        if let Some(slicing) = node.slicing
            && items.first().is_some_and(|i| i.path().ends_with(']'))
        {
            slice_mutations(node, slicing, &items, &location, root, out);
        }
    }
}

/// The definition an occurrence is validated against: its slice's, when `node` is sliced
/// and it matches one (re-slices included), else `node`'s.
fn definition_of(node: &'static Node, item: &Item<'_>) -> &'static Node {
    let Some(slicing) = node.slicing else {
        return node;
    };
    slicing
        .slices
        .iter()
        .find(|s| {
            s.keys
                .iter()
                .zip(slicing.discriminators)
                .all(|(k, p)| key_matches(k, p, item))
        })
        .map_or(node, |s| definition_of(&s.node, item))
}

/// Remove every repetition of a required slice; repeat the one repetition of a slice with
/// `max = 1`.
fn slice_mutations(
    node: &'static Node,
    slicing: &'static Slicing,
    items: &[Item<'_>],
    location: &str,
    root: &Value,
    out: &mut Vec<Mutation>,
) {
    let array_pointer = format!(
        "{}/{}",
        pointer(location.rsplit_once('.').map_or("", |(p, _)| p)),
        node.name
    );
    // The first slice an item matches is the one it counts for.
    let slice_of = |item: &Item<'_>| {
        slicing.slices.iter().position(|s| {
            s.keys
                .iter()
                .zip(slicing.discriminators)
                .all(|(k, p)| key_matches(k, p, item))
        })
    };
    let assigned: Vec<Option<usize>> = items.iter().map(slice_of).collect();
    for (index, slice) in slicing.slices.iter().enumerate() {
        let members: Vec<usize> = (0..items.len())
            .filter(|i| assigned[*i] == Some(index))
            .collect();
        let mut copy = root.clone();
        let Some(Value::Array(array)) = copy.pointer_mut(&array_pointer) else {
            continue;
        };
        let what = if slice.node.min >= 1 && !members.is_empty() {
            for i in members.iter().rev() {
                array.remove(*i);
            }
            format!("remove the repetitions of slice {}", slice.node.id)
        } else if slice.node.max == 1 && members.len() == 1 {
            let repeated = array[members[0]].clone();
            array.push(repeated);
            format!("repeat the one repetition of slice {}", slice.node.id)
        } else {
            continue;
        };
        out.push(Mutation {
            what,
            json: copy,
            kind: IssueKind::Cardinality,
            rule: slice.node.id,
            location: location.to_owned(),
        });
    }
}

fn mutate_item(node: &'static Node, item: &Item<'_>, root: &Value, out: &mut Vec<Mutation>) {
    let Some(value) = item.value else { return };
    let mut push = |what: String, kind, location: String, f: &dyn Fn(&mut Value)| {
        if let Some(json) = replaced(root, &item.path(), |v| f(v)) {
            out.push(Mutation {
                what,
                json,
                kind,
                rule: node.id,
                location,
            });
        }
    };
    if let Some(Json::Str(_)) = node.fixed {
        push(
            format!("change fixed {}", item.path()),
            IssueKind::Fixed,
            item.path(),
            &|v| *v = json!("changed-fixed-value"),
        );
    }
    match node.pattern {
        Some(Json::Str(_)) => push(
            format!("change pattern {}", item.path()),
            IssueKind::Pattern,
            item.path(),
            &|v| *v = json!("changed-pattern-value"),
        ),
        Some(Json::Obj(members)) if members.iter().any(|(k, _)| *k == "coding") => push(
            format!("change pattern coding {}", item.path()),
            IssueKind::Pattern,
            item.path(),
            &|v| *v = json!({"coding": [{"system": BROKEN_SYSTEM, "code": "x"}]}),
        ),
        _ => {}
    }
    if let Some(vs) = node.binding {
        // Only value sets that list their codes: a whole external system accepts anything.
        if vs.includes.iter().all(|i| i.codes.is_some()) {
            if value.is_string() {
                push(
                    format!("code outside {} at {}", vs.url, item.path()),
                    IssueKind::Binding,
                    item.path(),
                    &|v| *v = json!("not-a-code"),
                );
            } else if value.get("coding").is_some() {
                push(
                    format!("coding outside {} at {}", vs.url, item.path()),
                    IssueKind::Binding,
                    item.path(),
                    &|v| v["coding"] = json!([{"system": BROKEN_SYSTEM, "code": "x"}]),
                );
            }
        }
    }
    if !node.targets.is_empty() && super::engine::reference_target(value).is_some() {
        push(
            format!("reference Basic at {}", item.path()),
            IssueKind::ReferenceTarget,
            format!("{}.reference", item.path()),
            &|v| v["reference"] = json!("Basic/not-a-target"),
        );
    }
    if let (Some(prefix), Some(suffix)) = (node.name.strip_suffix("[x]"), item.type_suffix)
        && !node.types.is_empty()
        && !node.types.contains(&"boolean")
        && !item.path().ends_with(']')
    {
        let key = format!("{prefix}{suffix}");
        let parent = item
            .path()
            .rsplit_once('.')
            .map_or("", |(p, _)| p)
            .to_owned();
        let mut copy = root.clone();
        if let Some(Value::Object(members)) = copy.pointer_mut(&pointer(&parent)) {
            members.remove(&key);
            members.remove(&format!("_{key}"));
            members.insert(format!("{prefix}Boolean"), json!(true));
            out.push(Mutation {
                what: format!("{prefix}Boolean instead of {key}"),
                json: copy,
                kind: IssueKind::Type,
                rule: node.id,
                location: format!("{parent}.{prefix}Boolean"),
            });
        }
    }
}

fn mutations(profile: &'static Profile, json: &Value) -> Vec<Mutation> {
    let mut out = Vec::new();
    walk(
        profile.elements,
        &Item::root(json, profile.resource_type),
        json,
        &[],
        &mut out,
    );
    out
}

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the per-IG count is the point of this test"
)]
fn broken_examples_report_the_broken_rule_at_its_location() -> Result<(), Box<dyn std::error::Error>>
{
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for (ig, (file, version)) in Ig::ALL.into_iter().zip(common::IG_PACKAGES) {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for (name, example) in common::example_resources(file)? {
            let rt = example["resourceType"].as_str().unwrap_or("");
            let declared = example["meta"]["profile"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(|u| profile(&format!("{}|{version}", u.split('|').next().unwrap_or(u))))
                .filter(|p| p.ig == ig && p.resource_type == rt);
            for p in declared {
                // Only rules the example satisfies can be broken by a mutation.
                let clean = validate_json(&example, rt, p);
                for m in mutations(p, &example) {
                    let issues = validate_json(&m.json, rt, p);
                    let found = issues
                        .iter()
                        .any(|i| i.kind == m.kind && i.rule == m.rule && i.location == m.location);
                    let already = clean
                        .iter()
                        .any(|i| i.rule == m.rule && i.location == m.location);
                    if !found && !already {
                        failures.push(format!(
                            "{name} as {}: {} — expected {:?} {} at {}, got {:#?}",
                            p.url, m.what, m.kind, m.rule, m.location, issues
                        ));
                    }
                    *counts.entry(kind_name(m.kind, &m.what)).or_default() += 1;
                }
            }
        }
        summary.push(format!("{}: {counts:?}", ig.package()));
        for kind in ["cardinality", "fixed or pattern", "binding", "slice"] {
            if !counts.contains_key(kind) {
                failures.push(format!("{}: no negative test of kind {kind}", ig.package()));
            }
        }
    }
    println!("{}", summary.join("\n"));
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

fn kind_name(kind: IssueKind, what: &str) -> &'static str {
    match kind {
        IssueKind::Cardinality if what.contains("slice") => "slice",
        IssueKind::Cardinality => "cardinality",
        IssueKind::Fixed | IssueKind::Pattern => "fixed or pattern",
        IssueKind::Binding => "binding",
        IssueKind::Type => "choice type",
        IssueKind::ReferenceTarget => "reference target",
        _ => "other",
    }
}
