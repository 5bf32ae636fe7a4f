//! A resource ready to be written: checked, its search index extracted, its version
//! metadata left for the store to set.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::search::extract::{IndexEntry, extract};

/// A resource checked and indexed for [`super::ResourceStore::upsert`].
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) resource_type: String,
    pub(crate) id: String,
    /// The JSON without `meta.versionId` and `meta.lastUpdated`.
    json: Value,
    pub(crate) index: Vec<IndexEntry>,
}

impl Prepared {
    /// Prepares a resource: it must have a `resourceType` and a valid `id` (FHIR `id`:
    /// 1-64 of `A-Z a-z 0-9 - .`). Any `meta.versionId` / `meta.lastUpdated` it carries is
    /// replaced by the store's.
    pub fn from_resource(resource: &fhir_model::Resource) -> Result<Prepared> {
        let json: Value = serde_json::from_str(&fhir_model::to_json(resource))
            .map_err(|e| Error::InvalidResource(e.to_string()))?;
        Prepared::from_json(json)
    }

    /// [`Prepared::from_resource`] for JSON already parsed (and checked) elsewhere.
    pub(crate) fn from_json(mut json: Value) -> Result<Prepared> {
        let resource_type = json
            .get("resourceType")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidResource("no resourceType".to_owned()))?
            .to_owned();
        let id = json
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidResource(format!("{resource_type} without an id")))?
            .to_owned();
        if !is_valid_id(&id) {
            return Err(Error::InvalidResource(format!(
                "{resource_type} id '{id}' is not a FHIR id (1-64 of A-Z a-z 0-9 - .)"
            )));
        }
        if let Some(meta) = json.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("versionId");
            meta.remove("lastUpdated");
        }
        let index = extract(&resource_type, &json);
        Ok(Prepared {
            resource_type,
            id,
            json,
            index,
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
        let mut json = self.json.clone();
        if let Some(object) = json.as_object_mut() {
            let meta = object
                .entry("meta")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert("versionId".to_owned(), Value::String(version.to_string()));
                meta.insert(
                    "lastUpdated".to_owned(),
                    Value::String(instant_text(last_updated_ms)),
                );
            }
        }
        json.to_string()
    }

    /// Whether `current` (a stored version) has the same content as this resource.
    pub(crate) fn same_content(&self, version: u64, last_updated_ms: i64, current: &str) -> bool {
        self.finalize(version, last_updated_ms) == current
    }
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
