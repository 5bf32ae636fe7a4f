//! Index extraction: the values each search parameter selects from a resource's JSON.

use fhir_model::ParsedReference;
use serde_json::{Map, Value};

use super::model::{ParamType, SearchParamDef, Step};
use super::params_of;

/// One indexed value of one search parameter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum IndexValue {
    /// `system|code` (no system for a bare code or string).
    Token {
        system: Option<String>,
        code: String,
    },
    /// A string, normalized for matching (see [`normalize`]).
    String(String),
    /// A date range in milliseconds since the epoch, UTC, end exclusive; an open end is
    /// `i64::MAX`, an open start `i64::MIN`.
    Date { start: i64, end: i64 },
    /// A literal reference `Type/id`.
    Reference { target_type: String, id: String },
}

/// An index entry: the parameter and one of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    pub(crate) param: &'static SearchParamDef,
    pub(crate) value: IndexValue,
}

/// Every index entry of a resource, for every parameter of its type.
pub(crate) fn extract(resource_type: &str, resource: &Value) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    for param in params_of(resource_type) {
        extract_param(param, resource, &mut |value| {
            out.push(IndexEntry { param, value });
        });
    }
    out.dedup();
    out
}

/// The index values of one parameter of a resource (`_include` reads one parameter's
/// references: extracting every parameter was most of its time).
pub(crate) fn extract_param(
    param: &SearchParamDef,
    resource: &Value,
    found: &mut dyn FnMut(IndexValue),
) {
    let mut selected = Vec::new();
    for path in param.paths {
        select(resource, path, &mut selected);
    }
    for value in selected {
        convert(param.kind, value, found);
    }
}

/// The values `path` selects from `value` (arrays are flattened at every step).
fn select<'v>(value: &'v Value, path: &[Step], out: &mut Vec<&'v Value>) {
    let Some((step, rest)) = path.split_first() else {
        match value {
            Value::Array(items) => out.extend(items),
            v => out.push(v),
        }
        return;
    };
    if let Value::Array(items) = value {
        for item in items {
            select(item, path, out);
        }
        return;
    }
    match step {
        Step::Member(name) => {
            let Some(members) = value.as_object() else {
                return;
            };
            match members.get(*name) {
                Some(v) => select(v, rest, out),
                // Untyped places (inside extensions) name a choice by its prefix.
                None => {
                    for v in choice_members(members, name) {
                        select(v, rest, out);
                    }
                }
            }
        }
        Step::Choice(keys) => {
            for key in *keys {
                if let Some(v) = value.get(*key) {
                    select(v, rest, out);
                }
            }
        }
        Step::ResolvesTo(target) => {
            let matches = value
                .get("reference")
                .and_then(Value::as_str)
                .and_then(parse_reference)
                .is_some_and(|(t, _)| t == *target);
            if matches {
                select(value, rest, out);
            }
        }
        Step::WhereEquals(member, expected) => {
            if value.get(*member).and_then(Value::as_str) == Some(expected) {
                select(value, rest, out);
            }
        }
    }
}

fn choice_members<'v>(
    members: &'v Map<String, Value>,
    prefix: &str,
) -> impl Iterator<Item = &'v Value> {
    members.iter().filter_map(move |(k, v)| {
        k.strip_prefix(prefix)
            .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
            .map(|_| v)
    })
}

/// Turns one selected JSON value into index values of the parameter's type.
fn convert(kind: ParamType, value: &Value, emit: &mut dyn FnMut(IndexValue)) {
    match kind {
        ParamType::Token => tokens(value, emit),
        ParamType::String => strings(value, emit),
        ParamType::Date => {
            if let Some((start, end)) = date_range(value) {
                emit(IndexValue::Date { start, end });
            }
        }
        ParamType::Reference => {
            if let Some((target_type, id)) = value
                .get("reference")
                .and_then(Value::as_str)
                .and_then(parse_reference)
            {
                emit(IndexValue::Reference { target_type, id });
            }
        }
    }
}

fn tokens(value: &Value, emit: &mut dyn FnMut(IndexValue)) {
    let token = |system: Option<&str>, code: &str| IndexValue::Token {
        system: system.map(str::to_owned),
        code: code.to_owned(),
    };
    match value {
        Value::String(s) => emit(token(None, s)),
        Value::Bool(b) => emit(token(None, if *b { "true" } else { "false" })),
        Value::Object(m) => {
            let system = m.get("system").and_then(Value::as_str);
            if let Some(codings) = m.get("coding").and_then(Value::as_array) {
                // CodeableConcept
                for c in codings {
                    if let Some(code) = c.get("code").and_then(Value::as_str) {
                        emit(token(c.get("system").and_then(Value::as_str), code));
                    }
                }
            } else if let Some(code) = m.get("code").and_then(Value::as_str) {
                // Coding, Quantity
                emit(token(system, code));
            } else if let Some(v) = m.get("value").and_then(Value::as_str) {
                // Identifier, ContactPoint
                emit(token(system, v));
            }
        }
        _ => {}
    }
}

/// The members of HumanName and Address a string search looks in.
const STRING_PARTS: [&str; 11] = [
    "text",
    "family",
    "given",
    "prefix",
    "suffix",
    "line",
    "city",
    "district",
    "state",
    "postalCode",
    "country",
];

fn strings(value: &Value, emit: &mut dyn FnMut(IndexValue)) {
    match value {
        Value::String(s) => emit(IndexValue::String(normalize(s))),
        Value::Object(m) => {
            for part in STRING_PARTS {
                match m.get(part) {
                    Some(Value::String(s)) => emit(IndexValue::String(normalize(s))),
                    Some(Value::Array(items)) => {
                        for s in items.iter().filter_map(Value::as_str) {
                            emit(IndexValue::String(normalize(s)));
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Lower case, accents removed from common Latin letters, whitespace collapsed: FHIR
/// string search is case- and accent-insensitive.
pub(crate) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        let base = match c {
            'À'..='Å' | 'à'..='å' => 'a',
            'Ç' | 'ç' => 'c',
            'È'..='Ë' | 'è'..='ë' => 'e',
            'Ì'..='Ï' | 'ì'..='ï' => 'i',
            'Ñ' | 'ñ' => 'n',
            'Ò'..='Ö' | 'ò'..='ö' | 'Ø' | 'ø' => 'o',
            'Ù'..='Ü' | 'ù'..='ü' => 'u',
            'Ý' | 'ý' | 'ÿ' => 'y',
            c => c,
        };
        out.extend(base.to_lowercase());
    }
    out
}

/// The range a date, dateTime, instant or Period covers, in UTC milliseconds.
pub(crate) fn date_range(value: &Value) -> Option<(i64, i64)> {
    match value {
        Value::String(s) => {
            let period = fhir_model::DateTime::parse(s).ok()?.period_utc();
            Some((
                period.start.timestamp_millis(),
                period.end.timestamp_millis(),
            ))
        }
        Value::Object(m) => {
            let start = m.get("start").and_then(date_range).map(|r| r.0);
            let end = m.get("end").and_then(date_range).map(|r| r.1);
            if start.is_none() && end.is_none() {
                return None;
            }
            Some((start.unwrap_or(i64::MIN), end.unwrap_or(i64::MAX)))
        }
        _ => None,
    }
}

/// The (type, id) a literal reference names (relative, absolute or version-specific, as
/// `fhir_model::ParsedReference` reads it); `None` for contained (`#x`), URNs,
/// conditional references and anything else without a type.
pub(crate) fn parse_reference(reference: &str) -> Option<(String, String)> {
    let parsed = ParsedReference::parse(reference);
    Some((parsed.resource_type()?.to_owned(), parsed.id()?.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(resource_type: &str, code: &str, resource: &Value) -> Vec<IndexValue> {
        extract(resource_type, resource)
            .into_iter()
            .filter(|e| e.param.code == code)
            .map(|e| e.value)
            .collect()
    }

    #[test]
    fn carin_eob_parameters_are_indexed() {
        let eob = json!({
            "resourceType": "ExplanationOfBenefit",
            "patient": {"reference": "Patient/p1"},
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "pharmacy"}]},
            "billablePeriod": {"start": "2024-01-15", "end": "2024-01-16"},
            "item": [{"servicedDate": "2024-01-20"}]
        });
        assert_eq!(
            values("ExplanationOfBenefit", "patient", &eob),
            [IndexValue::Reference {
                target_type: "Patient".into(),
                id: "p1".into()
            }]
        );
        assert_eq!(
            values("ExplanationOfBenefit", "type", &eob),
            [IndexValue::Token {
                system: Some("http://terminology.hl7.org/CodeSystem/claim-type".into()),
                code: "pharmacy".into()
            }]
        );
        let dates = values("ExplanationOfBenefit", "service-date", &eob);
        assert_eq!(dates.len(), 2, "{dates:?}");
    }

    #[test]
    fn where_resolve_keeps_only_that_type() {
        let obs = json!({"resourceType": "Observation", "subject": {"reference": "Group/g1"}});
        assert!(values("Observation", "patient", &obs).is_empty());
        let obs = json!({"resourceType": "Observation", "subject": {"reference": "Patient/p"}});
        assert_eq!(values("Observation", "patient", &obs).len(), 1);
    }

    #[test]
    fn strings_are_normalized_and_names_split() {
        let patient = json!({"resourceType": "Patient", "name": [{"family": "Núñez", "given": ["Ana  María"]}]});
        let names = values("Patient", "name", &patient);
        assert!(names.contains(&IndexValue::String("nunez".into())));
        assert!(names.contains(&IndexValue::String("ana maria".into())));
    }
}
