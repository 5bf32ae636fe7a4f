//! Elements a type does not define, kept as JSON text so they are written back unchanged.

/// JSON members that are not elements of the type they appeared in.
///
/// Lenient parsing keeps unknown elements, and values of the wrong type, here instead of
/// dropping them; serialization writes them back as they were (minified), so data from a
/// newer FHIR version or a non-conformant server survives a read-modify-write cycle.
/// Empty (and allocation-free) in conformant data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnknownElements(Option<Box<Members>>);

/// Key and minified JSON text of each kept member.
type Members = Vec<(String, Box<str>)>;

impl UnknownElements {
    /// True when nothing unknown was kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The kept members, in input order: the JSON key and the value's JSON text.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|members| members.iter().map(|(k, v)| (k.as_str(), &**v)))
    }

    /// The JSON text kept under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Removes everything kept (for example before writing data that must be conformant).
    pub fn clear(&mut self) {
        self.0 = None;
    }

    pub(crate) fn push(&mut self, key: String, json: Box<str>) {
        self.0.get_or_insert_default().push((key, json));
    }
}
