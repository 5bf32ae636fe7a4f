//! Parse an `ExplanationOfBenefit`, read a few typed fields, and write it back unchanged.
//!
//! This crate depends on `fhir-model` with only its `ExplanationOfBenefit` feature, so it
//! also shows what a one-resource build costs: `cargo xtask ci` builds its binary for
//! `wasm32-unknown-unknown` and reports the `.wasm` size (see `BENCHMARKS.md`).
//!
//! ```
//! use example_parse_eob::{EXAMPLE_EOB, roundtrip};
//!
//! let written = roundtrip(EXAMPLE_EOB)?;
//! // Writing what was written changes nothing.
//! assert_eq!(roundtrip(&written)?, written);
//! # Ok::<(), fhir_model::Error>(())
//! ```

use fhir_model::Resource;

/// A synthetic CARIN BB professional claim EOB (`eob.json`), used when there is no input.
pub const EXAMPLE_EOB: &str = include_str!("../eob.json");

/// Parses `json` as a FHIR resource (strict mode) and serializes it again.
pub fn roundtrip(json: &str) -> Result<String, fhir_model::Error> {
    let resource = fhir_model::from_json(json)?;
    Ok(fhir_model::to_json(&resource))
}

/// A few facts about `resource` as `(key, value)` pairs, read through the typed model.
///
/// Every resource gets `resourceType` and `id`; an `ExplanationOfBenefit` also gets its
/// status, creation time and the number of items, totals and insurances.
pub fn summary(resource: &Resource) -> Vec<(&'static str, String)> {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
    let mut facts = vec![
        ("resourceType", resource.resource_type().to_owned()),
        ("id", or_dash(resource.id().map(str::to_owned))),
    ];
    if let Resource::ExplanationOfBenefit(eob) = resource {
        facts.extend([
            ("status", or_dash(eob.status.value.clone())),
            (
                "created",
                or_dash(eob.created.value.as_ref().map(ToString::to_string)),
            ),
            ("items", eob.item.len().to_string()),
            ("totals", eob.total.len().to_string()),
            ("insurances", eob.insurance.len().to_string()),
        ]);
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `json` without the whitespace between tokens, so pretty and compact JSON compare equal.
    fn minify(json: &str) -> String {
        let mut out = String::with_capacity(json.len());
        let (mut in_string, mut escaped) = (false, false);
        for c in json.chars() {
            if in_string {
                out.push(c);
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
            } else if !c.is_whitespace() {
                in_string = c == '"';
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn bundled_example_round_trips_exactly() -> Result<(), fhir_model::Error> {
        // eob.json lists elements in FHIR order, so a lossless writer gives back the same
        // tokens: decimals such as `125.50` and the `_created` extension included.
        let written = roundtrip(EXAMPLE_EOB)?;
        assert_eq!(minify(&written), minify(EXAMPLE_EOB));
        assert_eq!(roundtrip(&written)?, written);
        Ok(())
    }

    #[test]
    fn summary_reads_typed_fields() -> Result<(), fhir_model::Error> {
        let resource = fhir_model::from_json(EXAMPLE_EOB)?;
        let facts = summary(&resource);
        let get = |key: &str| {
            facts
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(get("resourceType"), Some("ExplanationOfBenefit"));
        assert_eq!(get("id"), Some("synthetic-professional-1"));
        assert_eq!(get("status"), Some("active"));
        assert_eq!(get("created"), Some("2024-03-18T09:30:00-05:00"));
        assert_eq!(get("items"), Some("1"));
        assert_eq!(get("totals"), Some("2"));
        assert_eq!(get("insurances"), Some("1"));
        Ok(())
    }

    #[test]
    fn minify_keeps_strings_intact() {
        assert_eq!(
            minify("{ \"a b\" : [ 1.50 , \"x\\\" y\" ] }"),
            "{\"a b\":[1.50,\"x\\\" y\"]}"
        );
    }

    #[test]
    fn unknown_elements_are_rejected_in_strict_mode() {
        let json = r#"{"resourceType":"ExplanationOfBenefit","id":"x","notAnElement":1}"#;
        assert!(roundtrip(json).is_err());
    }
}
