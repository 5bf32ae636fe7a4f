//! Walks a resource's JSON against a profile's [`Node`] tree and reports what breaks it.
//!
//! The resource is validated as the JSON `fhir_model::to_json` writes, so every rule is
//! about member names and values exactly as an app receives them; the FHIRPath-like
//! locations in issues use the same names (`ExplanationOfBenefit.item[0].adjudication[1]`,
//! `Observation.valueQuantity`).

use fhir_model::ParsedReference;
use serde_json::{Map, Value};

use super::model::{Json, MANY, Node, Profile, SliceKey, Slicing, ValueSet};
use super::{Issue, IssueKind};
use fhir_model::outcome::IssueSeverity;

/// One occurrence of an element: its JSON value and, for a primitive, its `_name` object.
///
/// Its location is kept as a link to its parent occurrence and built only when an issue
/// needs it: most occurrences never break anything.
#[derive(Clone, Copy)]
pub(crate) struct Item<'a> {
    pub(crate) value: Option<&'a Value>,
    /// The `_name` sibling of a primitive (its id and extensions).
    pub(crate) element: Option<&'a Value>,
    /// The type, for a choice element (`Quantity` from `valueQuantity`).
    pub(crate) type_suffix: Option<&'a str>,
    parent: Option<&'a Item<'a>>,
    /// The member name (the resource type for the root).
    key: &'a str,
    /// The position in the member's array, if it is one.
    index: Option<usize>,
}

impl<'a> Item<'a> {
    pub(crate) fn root(value: &'a Value, resource_type: &'a str) -> Self {
        Item {
            value: Some(value),
            element: None,
            type_suffix: None,
            parent: None,
            key: resource_type,
            index: None,
        }
    }

    /// The FHIRPath-like location: `ExplanationOfBenefit.item[0].adjudication[1]`.
    pub(crate) fn path(&self) -> String {
        let mut out = String::new();
        self.write_path(&mut out);
        out
    }

    fn write_path(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.write_path(out);
            out.push('.');
        }
        out.push_str(self.key);
        if let Some(i) = self.index {
            out.push('[');
            out.push_str(&i.to_string());
            out.push(']');
        }
    }

    /// The object holding this item's children: the value itself, or for a primitive its
    /// `_name` object.
    fn members(&self) -> Option<&'a Map<String, Value>> {
        match self.value {
            Some(Value::Object(m)) => Some(m),
            _ => self.element.and_then(Value::as_object),
        }
    }
}

/// Collects issues for one resource against one profile.
pub(crate) struct Validator {
    pub(crate) issues: Vec<Issue>,
    profile: &'static Profile,
}

impl Validator {
    pub(crate) fn new(profile: &'static Profile) -> Self {
        Validator {
            issues: Vec::new(),
            profile,
        }
    }

    pub(crate) fn report(
        &mut self,
        kind: IssueKind,
        rule: &'static str,
        location: &str,
        message: String,
    ) {
        self.issues.push(Issue {
            severity: IssueSeverity::Error,
            kind,
            location: location.to_owned(),
            message,
            profile: self.profile.url,
            rule,
        });
    }

    /// Checks `item` against the profile's top-level elements.
    pub(crate) fn check_root(&mut self, elements: &'static [Node], item: &Item<'_>) {
        self.check_children(elements, item);
    }

    fn check_children(&mut self, children: &'static [Node], parent: &Item<'_>) {
        for child in children {
            let items = collect(parent, child);
            self.check_element(child, &items, parent);
        }
    }

    /// Cardinality, each occurrence's value, and slicing of one element under `parent`.
    fn check_element(&mut self, node: &'static Node, items: &[Item<'_>], parent: &Item<'_>) {
        self.check_count(node, items.len(), parent, node, None);
        self.check_items(node, items, parent);
    }

    /// Each occurrence against `node`, or, when `node` is sliced, against the slice it
    /// belongs to: a slice's definition in the snapshot already carries everything the
    /// base element requires, and where an IG's slice contradicts its base (PDex's
    /// `item.adjudication:denialreason` category outside the base binding), the slice is
    /// what the author meant.
    fn check_items(&mut self, node: &'static Node, items: &[Item<'_>], parent: &Item<'_>) {
        match node.slicing {
            Some(slicing) => self.check_slicing(node, slicing, items, parent),
            None => {
                for item in items {
                    self.check_value(node, item);
                }
            }
        }
    }

    /// The count of `node` (an element, or a slice of `element`) under `parent`.
    fn check_count(
        &mut self,
        node: &'static Node,
        count: usize,
        parent: &Item<'_>,
        element: &Node,
        slice: Option<&str>,
    ) {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        if count >= node.min && count <= node.max {
            return;
        }
        let what = match slice {
            Some(name) => format!("slice '{name}' ({})", node.id),
            None => node.id.to_owned(),
        };
        let max = if node.max == MANY {
            "*".to_owned()
        } else {
            node.max.to_string()
        };
        let message = if count < node.min {
            format!(
                "{what}: minimum required = {}, but only found {count} (cardinality {}..{max})",
                node.min, node.min
            )
        } else {
            format!(
                "{what}: maximum allowed = {max}, but found {count} (cardinality {}..{max})",
                node.min
            )
        };
        let location = element_path(parent, element);
        self.report(IssueKind::Cardinality, node.id, &location, message);
    }

    /// The constraints on one occurrence and its children.
    fn check_value(&mut self, node: &'static Node, item: &Item<'_>) {
        if let Some(suffix) = item.type_suffix
            && !node.types.is_empty()
            && !node.types.iter().any(|t| type_matches(suffix, t))
        {
            self.report(
                IssueKind::Type,
                node.id,
                &item.path(),
                format!(
                    "{}: type {suffix} is not allowed here (allowed: {})",
                    node.id,
                    node.types.join(", ")
                ),
            );
        }
        if let (Some(fixed), Some(value)) = (node.fixed, item.value)
            && !equals(fixed, value)
        {
            self.report(
                IssueKind::Fixed,
                node.id,
                &item.path(),
                format!("{}: value must be exactly {}", node.id, json_text(fixed)),
            );
        }
        if let (Some(pattern), Some(value)) = (node.pattern, item.value)
            && !contains(pattern, value)
        {
            self.report(
                IssueKind::Pattern,
                node.id,
                &item.path(),
                format!(
                    "{}: value must match the pattern {}",
                    node.id,
                    json_text(pattern)
                ),
            );
        }
        if let (Some(vs), Some(value)) = (node.binding, item.value)
            && let Err(found) = in_value_set(vs, value)
        {
            self.report(
                IssueKind::Binding,
                node.id,
                &item.path(),
                format!(
                    "{}: {found} is not in the required value set {}",
                    node.id, vs.url
                ),
            );
        }
        if !node.targets.is_empty()
            && let Some(target) = item.value.and_then(reference_target)
            && !node.targets.contains(&target.as_str())
        {
            self.report(
                IssueKind::ReferenceTarget,
                node.id,
                &format!("{}.reference", item.path()),
                format!(
                    "{}: a reference to {target} is not allowed (allowed: {})",
                    node.id,
                    node.targets.join(", ")
                ),
            );
        }
        for profile in node.profiles {
            if item.value.is_some_and(Value::is_object) {
                // Issues against an extension definition keep naming this profile: that
                // is where the extension was required.
                self.check_root(profile.elements, item);
            }
        }
        self.check_children(node.children, item);
    }

    fn check_slicing(
        &mut self,
        node: &'static Node,
        slicing: &'static Slicing,
        items: &[Item<'_>],
        parent: &Item<'_>,
    ) {
        let mut matched: Vec<Vec<Item<'_>>> = vec![Vec::new(); slicing.slices.len()];
        for item in items {
            let slice = slicing.slices.iter().position(|s| {
                s.keys
                    .iter()
                    .zip(slicing.discriminators)
                    .all(|(key, path)| key_matches(key, path, item))
            });
            match slice {
                Some(i) => matched[i].push(*item),
                None if !slicing.closed => self.check_value(node, item),
                None => self.report(
                    IssueKind::Slicing,
                    node.id,
                    &item.path(),
                    format!(
                        "{}: matches none of the slices ({}) and the slicing is closed",
                        node.id,
                        slicing
                            .slices
                            .iter()
                            .map(|s| s.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
        for (slice, slice_items) in slicing.slices.iter().zip(&matched) {
            self.check_count(
                &slice.node,
                slice_items.len(),
                parent,
                node,
                Some(slice.name),
            );
            self.check_items(&slice.node, slice_items, parent);
        }
    }
}

/// The occurrences of `node` under `parent`, with their locations.
pub(crate) fn collect<'a>(parent: &'a Item<'a>, node: &'a Node) -> Vec<Item<'a>> {
    let mut out = Vec::new();
    let Some(members) = parent.members() else {
        return out;
    };
    if let Some(prefix) = node.name.strip_suffix("[x]") {
        for (key, value) in members {
            let Some(suffix) = key.strip_prefix(prefix) else {
                continue;
            };
            if !suffix.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            let element = shadow(members, key);
            push_occurrences(&mut out, parent, key, Some(value), element, Some(suffix));
        }
        // A primitive choice sent with only its extensions (`_valueString`).
        for (key, element) in members {
            let Some(suffix) = key.strip_prefix('_').and_then(|k| k.strip_prefix(prefix)) else {
                continue;
            };
            if suffix.starts_with(|c: char| c.is_ascii_uppercase())
                && !members.contains_key(&key[1..])
            {
                push_occurrences(
                    &mut out,
                    parent,
                    &key[1..],
                    None,
                    Some(element),
                    Some(suffix),
                );
            }
        }
    } else {
        let value = members.get(node.name);
        let element = shadow(members, node.name);
        if value.is_some() || element.is_some() {
            push_occurrences(&mut out, parent, node.name, value, element, None);
        }
    }
    out
}

/// The `_name` member holding a primitive's id and extensions, looked up without
/// allocating (this runs for every element of every profile).
fn shadow<'a>(members: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let mut buf = [0u8; 64];
    let len = name.len() + 1;
    if len > buf.len() {
        return members.get(&format!("_{name}"));
    }
    buf[0] = b'_';
    buf[1..len].copy_from_slice(name.as_bytes());
    std::str::from_utf8(&buf[..len])
        .ok()
        .and_then(|key| members.get(key))
}

fn push_occurrences<'a>(
    out: &mut Vec<Item<'a>>,
    parent: &'a Item<'a>,
    key: &'a str,
    value: Option<&'a Value>,
    element: Option<&'a Value>,
    type_suffix: Option<&'a str>,
) {
    let array_len = match (value, element) {
        (Some(Value::Array(a)), _) => Some(a.len()),
        (None, Some(Value::Array(a))) => Some(a.len()),
        _ => None,
    };
    match array_len {
        Some(len) => {
            for i in 0..len {
                let value = value.and_then(|v| v.get(i)).filter(|v| !v.is_null());
                let element = element.and_then(|e| e.get(i)).filter(|e| !e.is_null());
                out.push(Item {
                    value,
                    element,
                    type_suffix,
                    parent: Some(parent),
                    key,
                    index: Some(i),
                });
            }
        }
        None => out.push(Item {
            value,
            element,
            type_suffix,
            parent: Some(parent),
            key,
            index: None,
        }),
    }
}

/// `Quantity` in `valueQuantity` is type `Quantity`; `String` is type `string`.
fn type_matches(suffix: &str, type_code: &str) -> bool {
    let mut a = suffix.chars();
    let mut b = type_code.chars();
    match (a.next(), b.next()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y) && a.as_str() == b.as_str(),
        _ => false,
    }
}

/// Where element `node` is under `parent`, without an index (`ExplanationOfBenefit.item[0].adjudication`;
/// a choice as `Observation.value`).
pub(crate) fn element_path(parent: &Item<'_>, node: &Node) -> String {
    format!("{}.{}", parent.path(), node.name.trim_end_matches("[x]"))
}

/// Whether `item` satisfies slice key `key` at discriminator path `path`.
pub(crate) fn key_matches(key: &SliceKey, path: &str, item: &Item<'_>) -> bool {
    if let SliceKey::Type(t) = key {
        // Type slicing is only generated on a choice itself (`value[x]`, path `$this`).
        return item.type_suffix.is_some_and(|s| type_matches(s, t));
    }
    let mut values = Vec::new();
    if let Some(v) = item.value {
        follow(v, path, &mut values);
    }
    match key {
        SliceKey::Fixed(j) => values.iter().any(|v| equals(j, v)),
        SliceKey::Pattern(j) => values.iter().any(|v| contains(j, v)),
        SliceKey::Binding(vs) => values.iter().any(|v| in_value_set(vs, v).is_ok()),
        SliceKey::Type(_) => false,
    }
}

/// The values at a discriminator path (`category`, `coding.code`, `$this`), through arrays.
fn follow<'v>(value: &'v Value, path: &str, out: &mut Vec<&'v Value>) {
    if path == "$this" || path.is_empty() {
        match value {
            Value::Array(items) => out.extend(items),
            v => out.push(v),
        }
        return;
    }
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let next = match value {
        Value::Object(m) => m.get(head),
        _ => None,
    };
    match next {
        Some(Value::Array(items)) => {
            for item in items {
                follow(item, rest, out);
            }
        }
        Some(v) => follow(v, rest, out),
        None => {}
    }
}

/// `fixed[x]`: the same value, no more and no less.
pub(crate) fn equals(expected: &Json, value: &Value) -> bool {
    match (expected, value) {
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::Str(a), Value::String(b)) => a == b,
        (Json::Arr(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equals(x, y))
        }
        (Json::Obj(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(*k).is_some_and(|y| equals(x, y)))
        }
        _ => false,
    }
}

/// `pattern[x]`: every member of the pattern is in the value (arrays: each pattern item
/// matches some item of the value).
pub(crate) fn contains(pattern: &Json, value: &Value) -> bool {
    match (pattern, value) {
        (Json::Obj(a), Value::Object(b)) => a
            .iter()
            .all(|(k, x)| b.get(*k).is_some_and(|y| contains(x, y))),
        (Json::Arr(a), Value::Array(b)) => a.iter().all(|x| b.iter().any(|y| contains(x, y))),
        // A pattern array against a single value (a repeating element read one at a time).
        (Json::Arr(a), v) => a.iter().all(|x| contains(x, v)),
        _ => equals(pattern, value),
    }
}

/// Whether a code, Coding, CodeableConcept or Quantity is in `vs`; the error is what was
/// found, for the message.
pub(crate) fn in_value_set(vs: &ValueSet, value: &Value) -> Result<(), String> {
    match value {
        Value::String(code) => {
            if vs.includes.iter().any(|inc| match inc.codes {
                None => true,
                Some(codes) => codes.binary_search(&code.as_str()).is_ok(),
            }) {
                Ok(())
            } else {
                Err(format!("code '{code}'"))
            }
        }
        Value::Object(m) => {
            if let Some(codings) = m.get("coding").and_then(Value::as_array) {
                if codings.iter().any(|c| coding_in(vs, c)) {
                    return Ok(());
                }
                let found: Vec<String> = codings.iter().map(coding_text).collect();
                if found.is_empty() {
                    Err("a CodeableConcept without codings".to_owned())
                } else {
                    Err(found.join(", "))
                }
            } else if m.contains_key("code") || m.contains_key("system") {
                if coding_in(vs, value) {
                    Ok(())
                } else {
                    Err(coding_text(value))
                }
            } else if m.contains_key("text") {
                Err("a CodeableConcept with text only".to_owned())
            } else {
                // A Quantity without a code, or a value with only extensions: nothing coded.
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn coding_in(vs: &ValueSet, coding: &Value) -> bool {
    let system = coding.get("system").and_then(Value::as_str);
    let code = coding.get("code").and_then(Value::as_str);
    let (Some(system), Some(code)) = (system, code) else {
        return false;
    };
    vs.includes.iter().any(|inc| {
        inc.system == system
            && inc
                .codes
                .is_none_or(|codes| codes.binary_search(&code).is_ok())
    })
}

fn coding_text(coding: &Value) -> String {
    format!(
        "{}#{}",
        coding.get("system").and_then(Value::as_str).unwrap_or(""),
        coding.get("code").and_then(Value::as_str).unwrap_or("")
    )
}

/// The resource type a Reference's literal `reference` points to (relative, absolute or
/// version-specific, as `fhir_model::ParsedReference` reads it); `None` for contained
/// (`#x`), URNs, conditional references and anything else that names no type.
pub(crate) fn reference_target(reference: &Value) -> Option<String> {
    let text = reference.get("reference").and_then(Value::as_str)?;
    ParsedReference::parse(text)
        .resource_type()
        .map(str::to_owned)
}

/// A short JSON rendering of a constraint value for messages.
pub(crate) fn json_text(j: &Json) -> String {
    match j {
        Json::Bool(b) => b.to_string(),
        Json::Str(s) => format!("{s:?}"),
        Json::Arr(items) => format!(
            "[{}]",
            items.iter().map(json_text).collect::<Vec<_>>().join(",")
        ),
        Json::Obj(members) => format!(
            "{{{}}}",
            members
                .iter()
                .map(|(k, v)| format!("{k:?}:{}", json_text(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_allow_more_but_fixed_values_do_not() {
        let pattern = Json::Obj(&[(
            "coding",
            Json::Arr(&[Json::Obj(&[
                ("system", Json::Str("s")),
                ("code", Json::Str("c")),
            ])]),
        )]);
        let value: Value = serde_json::json!({"coding": [
            {"system": "other", "code": "x"},
            {"system": "s", "code": "c", "display": "C"}], "text": "t"});
        assert!(contains(&pattern, &value));
        assert!(!equals(&pattern, &value));
        let wrong: Value = serde_json::json!({"coding": [{"system": "s", "code": "d"}]});
        assert!(!contains(&pattern, &wrong));
        assert!(equals(&Json::Bool(true), &serde_json::json!(true)));
    }
}
