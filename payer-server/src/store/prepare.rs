//! A resource ready to be written: checked, its search index extracted, its version
//! metadata left for the store to set.

use fhir_model::{Primitive, Resource};

use crate::error::{Error, Result};
use crate::search::extract::{IndexEntry, extract};
use crate::search::pruned;

/// A resource checked and indexed for [`super::ResourceStore::upsert`].
///
/// Its JSON is written once, here, split where the store puts `meta.versionId` and
/// `meta.lastUpdated` (the first members of `meta`, in FHIR element order), so writing a
/// version is two string copies.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) resource_type: String,
    pub(crate) id: String,
    /// The JSON text up to and including `"meta":{`.
    head: String,
    /// The JSON text after the version metadata: the rest of `meta` and of the resource.
    tail: String,
    pub(crate) index: Vec<IndexEntry>,
}

impl Prepared {
    /// Prepares a resource: it must have a valid `id` (FHIR `id`: 1-64 of
    /// `A-Z a-z 0-9 - .`). Any `meta.versionId` / `meta.lastUpdated` it carries is
    /// replaced by the store's.
    pub fn from_resource(mut resource: Resource) -> Result<Prepared> {
        let resource_type = resource.resource_type().to_owned();
        let id = resource
            .id()
            .ok_or_else(|| Error::InvalidResource(format!("{resource_type} without an id")))?
            .to_owned();
        if !is_valid_id(&id) {
            return Err(Error::InvalidResource(format!(
                "{resource_type} id '{id}' is not a FHIR id (1-64 of A-Z a-z 0-9 - .)"
            )));
        }
        if let Some(meta) = resource.meta_mut() {
            meta.version_id = Primitive::default();
            meta.last_updated = Primitive::default();
        }
        let text = fhir_model::to_json(&resource);
        let (head, tail) = split_at_version(&text, &resource_type, &id)?;
        let tree = pruned::parse(&resource_type, &text).map_err(|e| {
            Error::InvalidResource(format!(
                "{resource_type}/{id}: written JSON unreadable: {e}"
            ))
        })?;
        Ok(Prepared {
            index: extract(&resource_type, &tree),
            resource_type,
            id,
            head,
            tail,
        })
    }

    /// The resource type.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The logical id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The JSON to store for `version` written at `last_updated_ms`.
    pub(crate) fn finalize(&self, version: u64, last_updated_ms: i64) -> String {
        let version_meta = version_meta(version, last_updated_ms);
        let mut json =
            String::with_capacity(self.head.len() + version_meta.len() + self.tail.len());
        json.push_str(&self.head);
        json.push_str(&version_meta);
        json.push_str(&self.tail);
        json
    }

    /// Whether `current` (a stored version) has the same content as this resource.
    pub(crate) fn same_content(&self, version: u64, last_updated_ms: i64, current: &str) -> bool {
        current
            .strip_prefix(self.head.as_str())
            .and_then(|rest| rest.strip_prefix(version_meta(version, last_updated_ms).as_str()))
            == Some(self.tail.as_str())
    }
}

/// `"versionId":"3","lastUpdated":"2024-01-15T10:00:00.123Z"`.
fn version_meta(version: u64, last_updated_ms: i64) -> String {
    format!(
        r#""versionId":"{version}","lastUpdated":"{}""#,
        instant_text(last_updated_ms)
    )
}

/// Splits `text`, a resource written by `fhir_model::to_json` without `meta.versionId`
/// and `meta.lastUpdated`, where they go. The writer puts `resourceType`, `id` and `meta`
/// first, in that order (FHIR element order); `meta` is added when there is none.
fn split_at_version(text: &str, resource_type: &str, id: &str) -> Result<(String, String)> {
    let start = format!(r#"{{"resourceType":"{resource_type}","id":"{id}""#);
    let after_id = text.strip_prefix(start.as_str()).ok_or_else(|| {
        Error::InvalidResource(format!(
            "{resource_type}/{id}: written JSON does not start with resourceType and id"
        ))
    })?;
    let (head, tail) = match after_id.strip_prefix(r#","meta":{"#) {
        Some(rest) if rest.starts_with('}') => (start.len() + 9, rest.to_owned()),
        Some(rest) => (start.len() + 9, format!(",{rest}")),
        None => (start.len(), format!("}}{after_id}")),
    };
    let mut head = text[..head].to_owned();
    if head.len() == start.len() {
        head.push_str(r#","meta":{"#);
    }
    Ok((head, tail))
}

/// `2024-01-15T10:00:00.123Z`.
pub(crate) fn instant_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::{Value, json};

    use super::*;

    fn prepared(json: &Value) -> Prepared {
        Prepared::from_resource(fhir_model::from_json(&json.to_string()).unwrap()).unwrap()
    }

    /// The stored JSON is the input with the store's version metadata first in `meta`,
    /// whatever `meta` held (or whether there was one).
    #[test]
    fn finalize_puts_the_version_first_in_meta() {
        let version = json!({"versionId": "2", "lastUpdated": "2024-01-15T10:00:00.123Z"});
        let cases = [
            (
                json!({"resourceType": "Patient", "id": "a", "meta": {"versionId": "9",
                       "lastUpdated": "2001-01-01T00:00:00Z", "source": "#x",
                       "profile": ["http://p"]}, "gender": "male"}),
                json!({"source": "#x", "profile": ["http://p"]}),
            ),
            (
                json!({"resourceType": "Patient", "id": "a", "meta": {"versionId": "9"},
                       "gender": "male"}),
                json!({}),
            ),
            (
                json!({"resourceType": "Patient", "id": "a", "gender": "male"}),
                json!({}),
            ),
        ];
        for (input, other_meta) in cases {
            let prepared = prepared(&input);
            let stored = prepared.finalize(2, 1_705_312_800_123);
            let mut expected_meta = version.clone();
            expected_meta
                .as_object_mut()
                .unwrap()
                .extend(other_meta.as_object().unwrap().clone());
            let mut expected = input.clone();
            expected["meta"] = expected_meta;
            assert_eq!(
                serde_json::from_str::<Value>(&stored).unwrap(),
                expected,
                "{stored}"
            );
            assert!(
                stored
                    .starts_with(r#"{"resourceType":"Patient","id":"a","meta":{"versionId":"2","#)
            );
            assert!(prepared.same_content(2, 1_705_312_800_123, &stored));
            assert!(!prepared.same_content(3, 1_705_312_800_123, &stored));
            assert!(!prepared.same_content(2, 1_705_312_800_124, &stored));
            assert!(!prepared.same_content(
                2,
                1_705_312_800_123,
                &stored.replace("male", "female")
            ));
        }
    }

    #[test]
    fn ids_must_be_fhir_ids() {
        let mut patient = fhir_model::resources::Patient::default();
        let missing = Prepared::from_resource(Resource::from(patient.clone()));
        assert!(matches!(missing, Err(Error::InvalidResource(_))));
        patient.id = Some("a_b".to_owned());
        let bad = Prepared::from_resource(Resource::from(patient));
        assert!(matches!(bad, Err(Error::InvalidResource(m)) if m.contains("not a FHIR id")));
    }
}
