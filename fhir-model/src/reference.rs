//! Literal references (`Reference.reference`): parsing, building and resolving `#id`.
//!
//! FHIR defines what a literal reference may look like in
//! <http://hl7.org/fhir/R4/references.html#literal>: a relative `Type/id` (against the
//! server base), an absolute URL ending in `Type/id`, either optionally followed by
//! `/_history/vid`, a local `#id` pointing into `contained`, or a URI (in practice a
//! `urn:uuid:` or `urn:oid:` naming a `Bundle.entry.fullUrl`). [`ParsedReference`] tells
//! these apart without panicking on any input.
//!
//! ```
//! use fhir_model::reference::ParsedReference;
//!
//! let parsed = ParsedReference::parse("https://payer.example/fhir/Patient/123/_history/2");
//! assert_eq!(parsed.base_url(), Some("https://payer.example/fhir"));
//! assert_eq!(parsed.resource_type(), Some("Patient"));
//! assert_eq!(parsed.id(), Some("123"));
//! assert_eq!(parsed.version(), Some("2"));
//! assert_eq!(parsed.to_string(), "https://payer.example/fhir/Patient/123/_history/2");
//! ```

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use crate::Resource;
use crate::datatypes::Reference;
use crate::generated::resource::RESOURCE_TYPES;

/// The parts of a literal reference (`Reference.reference`), by the forms of
/// <http://hl7.org/fhir/R4/references.html#literal>.
///
/// Parsing never fails: a string that fits no form is [`ParsedReference::Other`], and the
/// original text is always recovered by [`Display`](fmt::Display) (`to_string()`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParsedReference {
    /// `Type/id` or `Type/id/_history/vid`, relative to the base of the server (or of the
    /// `Bundle.entry.fullUrl`) the reference was found in.
    Relative {
        /// A FHIR R4 resource type, e.g. `Patient`.
        resource_type: String,
        /// The logical id.
        id: String,
        /// The version id, for a version-specific reference.
        version: Option<String>,
    },
    /// `http(s)://base/Type/id` or the same with `/_history/vid`.
    Absolute {
        /// The service base URL: everything before `/Type/id`, without the final `/`.
        base_url: String,
        /// A FHIR R4 resource type, e.g. `Patient`.
        resource_type: String,
        /// The logical id.
        id: String,
        /// The version id, for a version-specific reference.
        version: Option<String>,
    },
    /// `#id`: the contained resource with this id (the id is stored without the `#`).
    Contained(String),
    /// `#` alone: the resource that contains the one holding this reference
    /// (<http://hl7.org/fhir/R4/references.html#contained>).
    Container,
    /// `urn:uuid:…` or `urn:oid:…` (the whole text): names a `Bundle.entry.fullUrl`, so it
    /// only resolves inside the Bundle it came in.
    Urn(String),
    /// Anything else, kept as given: a conditional reference (`Patient?identifier=…`), a URL
    /// that does not end in `Type/id`, an unknown resource type, an invalid id, other URIs.
    Other(String),
}

impl ParsedReference {
    /// Parses a literal reference; never fails (see [`ParsedReference::Other`]).
    ///
    /// `Type` must be a resource type FHIR R4 defines (compiled into this build or not)
    /// and `id`/`vid` must be FHIR ids (`[A-Za-z0-9\-\.]{1,64}`,
    /// <http://hl7.org/fhir/R4/datatypes.html#id>); this is the regular expression of
    /// <http://hl7.org/fhir/R4/references.html#literal>, except that the base URL of an
    /// absolute reference may hold any characters but `?`, `#` and whitespace, because real
    /// service bases (with `_` or `~` in a path) are wider than that expression.
    pub fn parse(reference: &str) -> ParsedReference {
        if let Some(local) = reference.strip_prefix('#') {
            return if local.is_empty() {
                ParsedReference::Container
            } else if is_id(local) {
                ParsedReference::Contained(local.to_owned())
            } else {
                ParsedReference::Other(reference.to_owned())
            };
        }
        if is_uuid_urn(reference) || is_oid_urn(reference) {
            return ParsedReference::Urn(reference.to_owned());
        }
        match scheme_len(reference) {
            Some(scheme) => parse_absolute(reference, scheme),
            None => parse_relative(reference),
        }
        .unwrap_or_else(|| ParsedReference::Other(reference.to_owned()))
    }

    /// The resource type of a `Type/id` reference (relative or absolute).
    pub fn resource_type(&self) -> Option<&str> {
        match self {
            ParsedReference::Relative { resource_type, .. }
            | ParsedReference::Absolute { resource_type, .. } => Some(resource_type),
            _ => None,
        }
    }

    /// The logical id of a `Type/id` reference, or the id of a contained (`#id`) resource.
    pub fn id(&self) -> Option<&str> {
        match self {
            ParsedReference::Relative { id, .. } | ParsedReference::Absolute { id, .. } => Some(id),
            ParsedReference::Contained(id) => Some(id),
            _ => None,
        }
    }

    /// The version id of a version-specific (`…/_history/vid`) reference.
    pub fn version(&self) -> Option<&str> {
        match self {
            ParsedReference::Relative { version, .. }
            | ParsedReference::Absolute { version, .. } => version.as_deref(),
            _ => None,
        }
    }

    /// The service base URL of an absolute reference, without the final `/`.
    pub fn base_url(&self) -> Option<&str> {
        match self {
            ParsedReference::Absolute { base_url, .. } => Some(base_url),
            _ => None,
        }
    }

    /// True for `#id` and `#`: references that resolve inside the resource itself.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            ParsedReference::Contained(_) | ParsedReference::Container
        )
    }

    /// The same reference without its `/_history/vid` part: what a `Bundle.entry.fullUrl`
    /// is compared with, since a fullUrl is never version-specific (invariant bdl-8 of
    /// <http://hl7.org/fhir/R4/bundle.html>).
    pub fn without_version(&self) -> ParsedReference {
        let mut unversioned = self.clone();
        match &mut unversioned {
            ParsedReference::Relative { version, .. }
            | ParsedReference::Absolute { version, .. } => *version = None,
            _ => {}
        }
        unversioned
    }
}

impl fmt::Display for ParsedReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (base_url, resource_type, id, version) = match self {
            ParsedReference::Relative {
                resource_type,
                id,
                version,
            } => (None, resource_type, id, version),
            ParsedReference::Absolute {
                base_url,
                resource_type,
                id,
                version,
            } => (Some(base_url), resource_type, id, version),
            ParsedReference::Contained(id) => return write!(f, "#{id}"),
            ParsedReference::Container => return f.write_str("#"),
            ParsedReference::Urn(text) | ParsedReference::Other(text) => {
                return f.write_str(text);
            }
        };
        if let Some(base_url) = base_url {
            write!(f, "{base_url}/")?;
        }
        write!(f, "{resource_type}/{id}")?;
        if let Some(version) = version {
            write!(f, "/_history/{version}")?;
        }
        Ok(())
    }
}

impl FromStr for ParsedReference {
    type Err = Infallible;

    /// Same as [`ParsedReference::parse`], for `"Patient/1".parse()`.
    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(ParsedReference::parse(s))
    }
}

impl From<ParsedReference> for Reference {
    /// A `Reference` whose `reference` is the parsed reference's text.
    fn from(parsed: ParsedReference) -> Self {
        Reference::from_literal(parsed.to_string())
    }
}

/// Helpers on the generated `Reference` datatype.
impl Reference {
    /// Parses `reference`; `None` when the element has no literal reference (a logical
    /// reference by `identifier`, or only a `display`).
    pub fn parse_reference(&self) -> Option<ParsedReference> {
        self.reference.as_str().map(ParsedReference::parse)
    }

    /// A relative reference `Type/id`, the form a server uses for its own resources.
    ///
    /// Nothing is checked: a type or id that is not valid FHIR gives a reference that
    /// [`ParsedReference::parse`] reads back as [`ParsedReference::Other`].
    pub fn to_resource(resource_type: &str, id: &str) -> Reference {
        Reference::from_literal(format!("{resource_type}/{id}"))
    }

    /// A local reference `#id` to a resource in the referrer's `contained` list.
    pub fn to_contained(id: &str) -> Reference {
        Reference::from_literal(format!("#{id}"))
    }

    /// The contained resource a `#id` reference points to, among the `contained` resources
    /// of the resource holding the reference
    /// (<http://hl7.org/fhir/R4/references.html#contained>).
    ///
    /// `None` for any other kind of reference, and for `#` (the container itself, which is
    /// not in its own `contained` list). Contained ids are unique within their container;
    /// should a non-conformant resource repeat one, the first resource with it wins.
    pub fn resolve_contained<'a>(
        &self,
        container_contained: &'a [Resource],
    ) -> Option<&'a Resource> {
        let ParsedReference::Contained(id) = self.parse_reference()? else {
            return None;
        };
        container_contained
            .iter()
            .find(|resource| resource.id() == Some(id.as_str()))
    }

    fn from_literal(reference: String) -> Reference {
        Reference {
            reference: reference.into(),
            ..Reference::default()
        }
    }
}

/// Reference helpers on [`Resource`].
impl Resource {
    /// A relative reference `Type/id` to this resource; `None` when it has no id.
    pub fn to_reference(&self) -> Option<Reference> {
        Some(Reference::to_resource(self.resource_type(), self.id()?))
    }

    /// The absolute URL `base_url/Type/id` of this resource on a server with that base (a
    /// final `/` on the base is ignored): what a server puts in `Bundle.entry.fullUrl`
    /// (<http://hl7.org/fhir/R4/bundle.html>). `None` when it has no id.
    pub fn full_url(&self, base_url: &str) -> Option<String> {
        let id = self.id()?;
        Some(format!(
            "{}/{}/{id}",
            base_url.trim_end_matches('/'),
            self.resource_type()
        ))
    }
}

/// A FHIR id: `[A-Za-z0-9\-\.]{1,64}` (<http://hl7.org/fhir/R4/datatypes.html#id>).
pub(crate) fn is_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn is_resource_type(text: &str) -> bool {
    RESOURCE_TYPES.contains(&text)
}

/// The length of an `http://` or `https://` prefix (schemes are case-insensitive, RFC 3986).
fn scheme_len(text: &str) -> Option<usize> {
    ["https://", "http://"].into_iter().find_map(|scheme| {
        let prefix = text.get(..scheme.len())?;
        prefix.eq_ignore_ascii_case(scheme).then_some(scheme.len())
    })
}

/// `urn:uuid:` and 8-4-4-4-12 hex digits (<http://hl7.org/fhir/R4/datatypes.html#uuid>).
/// Upper-case hex is accepted: FHIR asks for lower case, but senders get it wrong and the
/// reference still names the entry with exactly that fullUrl.
fn is_uuid_urn(text: &str) -> bool {
    let Some(uuid) = text.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `urn:oid:` and `[0-2](\.(0|[1-9][0-9]*))+` (<http://hl7.org/fhir/R4/datatypes.html#oid>).
fn is_oid_urn(text: &str) -> bool {
    let Some(oid) = text.strip_prefix("urn:oid:") else {
        return false;
    };
    let mut arcs = oid.split('.');
    let first_ok = matches!(arcs.next(), Some("0" | "1" | "2"));
    let mut rest = arcs.peekable();
    first_ok
        && rest.peek().is_some()
        && rest.all(|arc| {
            !arc.is_empty()
                && arc.bytes().all(|b| b.is_ascii_digit())
                && (arc == "0" || !arc.starts_with('0'))
        })
}

/// Splits `…/Type/id[/_history/vid]` into (what comes before `/Type`, type, id, version).
/// `before` is `None` for a bare `Type/id[/_history/vid]`.
fn split_tail(text: &str) -> Option<(Option<&str>, &str, &str, Option<&str>)> {
    // Try the versioned form first: in `Type/id/_history/vid` the last two segments
    // (`_history/vid`) are never a valid `Type/id`, so the order cannot mis-parse.
    let versioned = || {
        let mut parts = text.rsplitn(5, '/');
        let version = parts.next()?;
        (parts.next()? == "_history").then_some(())?;
        let id = parts.next()?;
        let resource_type = parts.next()?;
        Some((parts.next(), resource_type, id, Some(version)))
    };
    let plain = || {
        let mut parts = text.rsplitn(3, '/');
        let id = parts.next()?;
        let resource_type = parts.next()?;
        Some((parts.next(), resource_type, id, None))
    };
    let valid = |&(_, resource_type, id, version): &(Option<&str>, &str, &str, Option<&str>)| {
        is_resource_type(resource_type) && is_id(id) && version.is_none_or(is_id)
    };
    versioned().filter(valid).or_else(|| plain().filter(valid))
}

fn parse_relative(text: &str) -> Option<ParsedReference> {
    match split_tail(text)? {
        (None, resource_type, id, version) => Some(ParsedReference::Relative {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            version: version.map(str::to_owned),
        }),
        // `a/Patient/1` or `/Patient/1`: not a form FHIR defines for relative references.
        (Some(_), ..) => None,
    }
}

fn parse_absolute(text: &str, scheme_len: usize) -> Option<ParsedReference> {
    let (Some(base_url), resource_type, id, version) = split_tail(text)? else {
        return None;
    };
    let authority_and_path = base_url.get(scheme_len..)?;
    // The base needs a host, and a query or fragment means this is a search or a
    // fragment of something else, not a resource URL.
    let host = authority_and_path.split('/').next().unwrap_or_default();
    if host.is_empty()
        || authority_and_path
            .bytes()
            .any(|b| b == b'?' || b == b'#' || b.is_ascii_whitespace())
    {
        return None;
    }
    Some(ParsedReference::Absolute {
        base_url: base_url.to_owned(),
        resource_type: resource_type.to_owned(),
        id: id.to_owned(),
        version: version.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(resource_type: &str, id: &str, version: Option<&str>) -> ParsedReference {
        ParsedReference::Relative {
            resource_type: resource_type.into(),
            id: id.into(),
            version: version.map(Into::into),
        }
    }

    fn other(text: &str) -> ParsedReference {
        ParsedReference::Other(text.into())
    }

    /// Every parse must give back its input as text.
    fn parse(text: &str) -> ParsedReference {
        let parsed = ParsedReference::parse(text);
        assert_eq!(parsed.to_string(), text, "round trip of {text:?}");
        parsed
    }

    #[test]
    fn relative_forms() {
        let parsed = parse("Patient/123");
        assert_eq!(parsed, relative("Patient", "123", None));
        assert_eq!(parsed.resource_type(), Some("Patient"));
        assert_eq!(parsed.id(), Some("123"));
        assert_eq!(parsed.version(), None);
        assert_eq!(parsed.base_url(), None);

        let parsed = parse("ExplanationOfBenefit/eob-1.a/_history/7");
        assert_eq!(
            parsed,
            relative("ExplanationOfBenefit", "eob-1.a", Some("7"))
        );
        assert_eq!(parsed.version(), Some("7"));
        assert_eq!(
            parsed.without_version(),
            relative("ExplanationOfBenefit", "eob-1.a", None)
        );
    }

    #[test]
    fn absolute_forms() {
        let parsed = parse("https://payer.example/fhir/R4/Coverage/c1");
        assert_eq!(
            parsed,
            ParsedReference::Absolute {
                base_url: "https://payer.example/fhir/R4".into(),
                resource_type: "Coverage".into(),
                id: "c1".into(),
                version: None,
            }
        );
        assert_eq!(parsed.base_url(), Some("https://payer.example/fhir/R4"));

        let parsed = parse("http://example.org/Patient/1/_history/2");
        assert_eq!(parsed.base_url(), Some("http://example.org"));
        assert_eq!(parsed.resource_type(), Some("Patient"));
        assert_eq!(parsed.id(), Some("1"));
        assert_eq!(parsed.version(), Some("2"));
        assert_eq!(
            parsed.without_version().to_string(),
            "http://example.org/Patient/1"
        );

        // Scheme case does not matter; a port and odd path characters are fine.
        assert_eq!(
            parse("HTTPS://host:8443/api_v1/~x/Patient/1").base_url(),
            Some("HTTPS://host:8443/api_v1/~x")
        );
        // Canonical URLs of definitional resources have the same shape.
        assert_eq!(
            parse("http://hl7.org/fhir/ValueSet/issue-type").resource_type(),
            Some("ValueSet")
        );
    }

    #[test]
    fn local_and_urn_forms() {
        let parsed = parse("#org1");
        assert_eq!(parsed, ParsedReference::Contained("org1".into()));
        assert_eq!(parsed.id(), Some("org1"));
        assert!(parsed.is_local());
        assert_eq!(parse("#"), ParsedReference::Container);
        assert!(ParsedReference::Container.is_local());

        let uuid = "urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d";
        assert_eq!(parse(uuid), ParsedReference::Urn(uuid.into()));
        assert_eq!(
            parse("urn:oid:2.16.840.1.113883.4.1"),
            ParsedReference::Urn("urn:oid:2.16.840.1.113883.4.1".into())
        );
        let parsed = parse(uuid);
        assert_eq!(
            (parsed.resource_type(), parsed.id(), parsed.is_local()),
            (None, None, false)
        );
    }

    #[test]
    fn odd_inputs_are_other() {
        for text in [
            "",
            "Patient",
            "Patient/",
            "/Patient/1",
            "a/Patient/1",
            "Patient/1/",
            "Patient/1/_history/",
            "Patient/1/_history",
            "Patient/1/history/2",
            "Patient/1/_history/2/3",
            "Foo/1",
            "patient/1",
            "Patient/a_b",
            "Patient/1 ",
            " Patient/1",
            "Patient?identifier=x",
            "Patient/1?_format=json",
            "#a/b",
            "#a#b",
            "urn:uuid:not-a-uuid",
            "urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349",
            "urn:oid:3.1",
            "urn:oid:1",
            "urn:oid:1.02",
            "urn:ietf:rfc:3986",
            "https://",
            "https:///Patient/1",
            "https://Patient/1",
            "https://example.org/fhir",
            "https://example.org/fhir/Patient",
            "https://example.org/fhir/Patient?name=x",
            "https://example.org/fhir?x=/Patient/1",
            "https://example.org/fhir/Patient/1#frag",
            "https://example.org/fhir/Foo/1",
            "ftp://example.org/fhir/Patient/1",
            "Patient/\u{e9}",
            "\u{e9}/\u{e9}/\u{e9}",
        ] {
            assert_eq!(parse(text), other(text), "{text:?}");
        }
    }

    #[test]
    fn id_length_limit() {
        let id64 = "a".repeat(64);
        let id65 = "a".repeat(65);
        assert_eq!(parse(&format!("Patient/{id64}")).id(), Some(id64.as_str()));
        assert_eq!(
            parse(&format!("Patient/{id65}")),
            other(&format!("Patient/{id65}"))
        );
        assert_eq!(parse(&format!("Patient/1/_history/{id65}")).id(), None);
        assert_eq!(parse(&format!("#{id65}")).id(), None);
    }

    #[test]
    fn from_str_and_into_reference() {
        let Ok(parsed) = "Organization/o1".parse::<ParsedReference>();
        assert_eq!(parsed, relative("Organization", "o1", None));
        let reference = Reference::from(parsed);
        assert_eq!(reference.reference.as_str(), Some("Organization/o1"));
    }

    #[test]
    fn reference_helpers() {
        let reference = Reference::to_resource("Patient", "p1");
        assert_eq!(reference.reference.as_str(), Some("Patient/p1"));
        assert_eq!(
            reference.parse_reference(),
            Some(relative("Patient", "p1", None))
        );
        assert_eq!(Reference::default().parse_reference(), None);
        assert_eq!(
            Reference::to_contained("c1").parse_reference(),
            Some(ParsedReference::Contained("c1".into()))
        );
        // A non-local reference never resolves among contained resources.
        assert!(reference.resolve_contained(&[]).is_none());
    }

    #[cfg(feature = "Patient")]
    #[test]
    fn contained_resolution() {
        use crate::resources::Patient;

        let with_id = |id: &str| {
            Resource::from(Patient {
                id: Some(id.to_owned()),
                ..Patient::default()
            })
        };
        let contained = [with_id("a"), with_id("b")];
        let found = Reference::to_contained("b").resolve_contained(&contained);
        assert_eq!(found.and_then(Resource::id), Some("b"));
        assert!(
            Reference::to_contained("c")
                .resolve_contained(&contained)
                .is_none()
        );
        assert!(
            Reference::to_contained("")
                .resolve_contained(&contained)
                .is_none()
        );
        assert!(
            Reference::to_resource("Patient", "a")
                .resolve_contained(&contained)
                .is_none()
        );

        let resource = with_id("p1");
        assert_eq!(
            resource.to_reference().and_then(|r| r.reference.value),
            Some("Patient/p1".to_owned())
        );
        assert_eq!(
            resource.full_url("https://x.example/fhir/").as_deref(),
            Some("https://x.example/fhir/Patient/p1")
        );
        assert!(Resource::from(Patient::default()).to_reference().is_none());
    }
}
