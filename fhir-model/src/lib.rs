//! FHIR R4 (4.0.1) datatypes and resources with lossless, fast JSON.
//!
//! Every R4 datatype and resource is a generated Rust type ([`datatypes`], [`resources`],
//! and the [`Resource`] enum). JSON goes through this crate's own reader and writer:
//!
//! - **Lossless.** Decimals keep their text (`1.50` stays `1.50`), primitive extensions
//!   (`_birthDate`, `_given` with `null`s) and ids are kept, choice types `[x]` are enums,
//!   dates keep their precision and offset. [`to_json`] writes back what [`from_json`] read.
//! - **Strict or lenient.** [`from_json`] rejects unknown elements and wrong types with the
//!   location of the problem. [`from_json_lenient`] keeps going for the non-conformant
//!   data real servers send: it keeps unknown or unparseable members as JSON (written back
//!   unchanged) and returns every problem as an [`Issue`].
//! - **Safe on any input.** Never panics; nesting deeper than 100 levels is an error.
//! - **Small builds.** Each resource type is a cargo feature (all on by default); a
//!   resource of a type left out is kept as a [`RawResource`].
//!
//! ```
//! use fhir_model::Resource;
//!
//! let json = r#"{"resourceType":"Patient","id":"p1","birthDate":"1970-03",
//!   "_birthDate":{"extension":[{"url":"http://example.org/estimated","valueBoolean":true}]}}"#;
//! let resource = fhir_model::from_json(json)?;
//! let Resource::Patient(patient) = &resource else { panic!("not a Patient") };
//! assert_eq!(patient.birth_date.value.map(|d| d.to_string()).as_deref(), Some("1970-03"));
//! assert_eq!(patient.birth_date.extension().len(), 1);
//! assert_eq!(fhir_model::to_json(&resource), json.replace("\n  ", ""));
//! # Ok::<(), fhir_model::Error>(())
//! ```

#[cfg(feature = "Bundle")]
pub mod bundle;
pub mod datetime;
mod error;
mod generated;
mod json;
#[cfg(feature = "OperationOutcome")]
pub mod outcome;
mod primitive;
pub mod reference;
mod resource;
#[cfg(feature = "serde")]
mod serde_impl;
mod unknown;

pub use datetime::{Date, DateTime, Instant, Time};
pub use error::{Error, Issue, IssueKind, Result, Severity};
pub use generated::resource::Resource;
pub use generated::{datatypes, resources};
pub use primitive::{Decimal, Primitive};
pub use reference::ParsedReference;
pub use resource::{RawResource, TypedResource};
pub use unknown::UnknownElements;

use json::FromJson;
use json::ToJson;
use json::reader::Reader;
use json::writer::Writer;

/// Parses a FHIR R4 resource from JSON, strictly: unknown elements, wrong types, invalid
/// primitives and duplicate members are errors that name their location.
pub fn from_json(json: &str) -> Result<Resource> {
    let mut reader = Reader::new(json, false);
    read_document(&mut reader).map_err(|err| reader.error_of(*err, &root_name(json)))
}

/// Parses a FHIR R4 resource from JSON, leniently: what cannot be parsed as its FHIR type
/// is kept as JSON (and written back by [`to_json`]), and every problem is returned.
///
/// The resource is `None` only when the input is not JSON, is nested too deeply, or is
/// not an object with a `resourceType`.
pub fn from_json_lenient(json: &str) -> (Option<Resource>, Vec<Issue>) {
    let mut reader = Reader::new(json, true);
    let result = read_document(&mut reader);
    if result.is_ok() && reader.issues.is_empty() {
        return (result.ok(), Vec::new());
    }
    let root = root_name(json);
    let mut issues = reader.take_issues(&root);
    match result {
        Ok(resource) => (Some(resource), issues),
        Err(err) => {
            issues.push(issue_of(reader.error_of(*err, &root)));
            (None, issues)
        }
    }
}

/// One resource and nothing after it.
fn read_document(reader: &mut Reader<'_>) -> json::reader::PResult<Resource> {
    let resource = Resource::from_json(reader)?;
    reader.end()?;
    Ok(resource)
}

fn issue_of(error: Error) -> Issue {
    match error {
        Error::Invalid(issue) => *issue,
        other => Issue::new(IssueKind::WrongType, other.to_string()),
    }
}

/// Serializes a resource as compact JSON, in FHIR element order.
pub fn to_json(resource: &Resource) -> String {
    let mut writer = Writer::with_capacity(1024);
    resource.write_json(&mut writer);
    writer.out
}

/// The `resourceType` to start error paths with (only computed when reporting).
fn root_name(json: &str) -> String {
    let mut reader = Reader::new(json, true);
    resource::peek_resource_type(&mut reader)
        .map(|name| name.into_owned())
        .unwrap_or_else(|_| "$".to_owned())
}
