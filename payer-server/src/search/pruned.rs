//! Reading only the parts of a resource's JSON that its search parameters select.
//!
//! Index extraction walks a JSON tree, but a whole `serde_json::Value` of a resource costs
//! several times what the extraction does (every member a map entry and an allocation),
//! and a search parameter reads few of them: of an EOB's ~5 kB, the patient, type,
//! identifiers, dates and a few references. [`parse`] builds a tree holding just those
//! members (the rest is skipped unread), on which [`super::extract::extract`] gives the
//! same entries as on the whole resource.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::model::Step;
use crate::generated::search_params::SEARCH_PARAMS;

/// Which members of a JSON object (and of each object in an array) to keep.
#[derive(Debug, Default)]
struct Wanted {
    /// Keep the whole value: a path ends here.
    whole: bool,
    /// Members by name. A name also keeps the members it is the prefix of, followed by an
    /// upper-case letter (`value` keeps `valueCodeableConcept`): inside extensions, a
    /// search path names a choice element by its prefix.
    members: Vec<(&'static str, Wanted)>,
}

impl Wanted {
    fn member(&mut self, name: &'static str) -> &mut Wanted {
        let at = match self.members.iter().position(|(n, _)| *n == name) {
            Some(at) => at,
            None => {
                self.members.push((name, Wanted::default()));
                self.members.len() - 1
            }
        };
        &mut self.members[at].1
    }

    /// Adds what `path` reads from here.
    fn add(&mut self, path: &[Step]) {
        let Some((step, rest)) = path.split_first() else {
            self.whole = true;
            return;
        };
        match step {
            Step::Member(name) => self.member(name).add(rest),
            Step::Choice(names) => {
                for name in *names {
                    self.member(name).add(rest);
                }
            }
            Step::ResolvesTo(_) => {
                self.member("reference").whole = true;
                self.add(rest);
            }
            Step::WhereEquals(member, _) => {
                self.member(member).whole = true;
                self.add(rest);
            }
        }
    }

    fn child(&self, key: &str) -> Option<&Wanted> {
        self.members.iter().find_map(|(name, wanted)| {
            let rest = key.strip_prefix(name)?;
            (rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase()))
                .then_some(wanted)
        })
    }
}

/// What the search parameters of each resource type read.
fn wanted(resource_type: &str) -> &'static Wanted {
    static BY_TYPE: OnceLock<HashMap<&'static str, Wanted>> = OnceLock::new();
    static NOTHING: Wanted = Wanted {
        whole: false,
        members: Vec::new(),
    };
    BY_TYPE
        .get_or_init(|| {
            let mut by_type: HashMap<&'static str, Wanted> = HashMap::new();
            for param in SEARCH_PARAMS {
                let wanted = by_type.entry(param.resource).or_default();
                for path in param.paths {
                    wanted.add(path);
                }
            }
            by_type
        })
        .get(resource_type)
        .unwrap_or(&NOTHING)
}

/// The members of the resource JSON `text` that the search parameters of
/// `resource_type` select; an error if `text` is not JSON.
pub(crate) fn parse(resource_type: &str, text: &str) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Pruned(wanted(resource_type)).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Deserializes the members `.0` wants, skipping the others.
#[derive(Clone, Copy)]
struct Pruned<'w>(&'w Wanted);

impl<'de> DeserializeSeed<'de> for Pruned<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.0.whole {
            return de::Deserialize::deserialize(deserializer);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match self.0.child(&key) {
                Some(wanted) => {
                    let value = map.next_value_seed(Pruned(wanted))?;
                    kept.insert(key.into_owned(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(kept))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // Search paths go through arrays: each item is read as the array would be.
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    // Scalars where an object was expected are kept: extraction ignores what it cannot
    // use, as it does on the whole JSON.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::search::extract::extract;

    /// On every official example in the packages we ship tests with, the pruned tree
    /// gives exactly the index entries of the whole JSON.
    #[test]
    fn pruned_trees_index_like_whole_resources() {
        let eob = serde_json::json!({
            "resourceType": "ExplanationOfBenefit", "id": "e1",
            "text": {"status": "generated", "div": "<div>big</div>"},
            "extension": [{"url": "http://x/other", "valueString": "no"}],
            "patient": {"reference": "Patient/p1", "display": "skipped"},
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "pharmacy"}]},
            "billablePeriod": {"start": "2024-01-15", "end": "2024-01-16"},
            "item": [{"sequence": 1, "servicedDate": "2024-01-20",
                      "adjudication": [{"category": {"text": "skipped"}}]}],
            "provider": {"reference": "Organization/o1"}
        });
        let text = eob.to_string();
        let pruned = parse("ExplanationOfBenefit", &text).unwrap();
        assert_eq!(
            extract("ExplanationOfBenefit", &pruned),
            extract("ExplanationOfBenefit", &eob)
        );
        assert!(pruned.get("text").is_none());
        assert!(pruned["item"][0].get("adjudication").is_none());
        assert!(pruned["patient"].get("reference").is_some());
    }

    /// Every resource the synthetic generator makes (all the types the demo serves).
    #[test]
    fn pruned_trees_index_like_whole_resources_on_generated_data() {
        let config = crate::synth::Config {
            members: 3,
            ..Default::default()
        };
        let mut generator = crate::synth::Generator::new(&config);
        let mut resources = generator.directory();
        resources.extend(generator.by_ref().flat_map(|m| m.resources));
        let mut types = std::collections::BTreeSet::new();
        for resource in &resources {
            let rt = resource.resource_type();
            let text = fhir_model::to_json(resource);
            let whole: Value = serde_json::from_str(&text).unwrap();
            let entries = extract(rt, &whole);
            assert_eq!(extract(rt, &parse(rt, &text).unwrap()), entries, "{rt}");
            if !entries.is_empty() {
                types.insert(rt);
            }
        }
        assert!(types.len() >= 10, "{types:?}");
    }

    #[test]
    fn extension_choices_are_kept_by_prefix() {
        let mut wanted = Wanted::default();
        wanted.member("value").whole = true;
        assert!(wanted.child("valueCodeableConcept").is_some());
        assert!(wanted.child("value").is_some());
        assert!(wanted.child("valueset").is_none());
        assert!(wanted.child("other").is_none());
    }

    #[test]
    fn text_that_is_not_json_is_an_error() {
        assert!(parse("Patient", r#"{"resourceType": "Patient""#).is_err());
        assert!(parse("Patient", r#"{"resourceType": "Patient"} x"#).is_err());
    }
}
