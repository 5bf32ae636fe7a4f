//! What the generated `Resource` enum needs by hand: finding `resourceType`, and keeping
//! resources of types left out of the build as JSON.

use std::borrow::Cow;

use crate::Resource;
use crate::datatypes::Meta;
use crate::error::IssueKind;
use crate::error::Severity;
use crate::generated::resource::RESOURCE_TYPES;
use crate::json::ToJson;
use crate::json::reader::{PResult, PendingIssue, Reader, content_error};
use crate::json::writer::Writer;

/// What every generated resource struct implements, so generic code can go between
/// [`Resource`] and a concrete type: `bundle.resources_of::<Patient>()`,
/// `resource.downcast_ref::<ExplanationOfBenefit>()`.
pub trait TypedResource:
    Sized + Into<Resource> + TryFrom<Resource, Error = Resource> + 'static
{
    /// The `resourceType`, e.g. `"Patient"`.
    const RESOURCE_TYPE: &'static str;
    /// The resource as this type, if it is one.
    fn from_resource(resource: &Resource) -> Option<&Self>;
    /// The resource as this type, mutably, if it is one.
    fn from_resource_mut(resource: &mut Resource) -> Option<&mut Self>;
    /// The resource's `meta`, if present.
    fn meta(&self) -> Option<&Meta>;
}

impl Resource {
    /// The resource as `T`, if it is one.
    pub fn downcast_ref<T: TypedResource>(&self) -> Option<&T> {
        T::from_resource(self)
    }

    /// The resource as `T`, mutably, if it is one.
    pub fn downcast_mut<T: TypedResource>(&mut self) -> Option<&mut T> {
        T::from_resource_mut(self)
    }
}

/// A resource kept as JSON: its type is not compiled into this build (see the cargo
/// features), or, in lenient mode, FHIR R4 does not define it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawResource {
    resource_type: String,
    id: Option<String>,
    json: Box<str>,
}

impl RawResource {
    /// The `resourceType`.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The `id`, if the resource has one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The resource's JSON (minified).
    pub fn json(&self) -> &str {
        &self.json
    }
}

impl ToJson for RawResource {
    fn write_json(&self, w: &mut Writer) {
        w.raw(&self.json);
    }
}

/// Finds `resourceType` without consuming the object: it is usually the first member,
/// so the common case reads one key; otherwise the object is scanned and re-read.
pub(crate) fn peek_resource_type<'a>(r: &mut Reader<'a>) -> PResult<Cow<'a, str>> {
    string_member(r, "resourceType")?.ok_or_else(|| {
        content_error(
            IssueKind::UnknownResourceType,
            "a resource needs a `resourceType`",
        )
    })
}

/// The string member `key` of the object that starts here; the reader stays where it was.
fn string_member<'a>(r: &mut Reader<'a>, key: &str) -> PResult<Option<Cow<'a, str>>> {
    let start = r.mark();
    r.begin_object()?;
    let mut found = None;
    while let Some(k) = r.next_key()? {
        if k == key {
            found = Some(r.read_str()?);
            break;
        }
        r.skip_value()?;
    }
    r.rewind(start);
    Ok(found)
}

/// Checks the `resourceType` member while a typed resource is read.
#[cfg_attr(
    not(feature = "all-resources"),
    allow(dead_code, reason = "unused when no resource type is compiled in")
)]
pub(crate) fn read_resource_type(r: &mut Reader<'_>, expected: &str) -> PResult<()> {
    if r.read_str()? == expected {
        Ok(())
    } else {
        Err(content_error(
            IssueKind::Duplicate,
            "`resourceType` appears twice with different values",
        ))
    }
}

/// Reads a resource whose type has no compiled-in struct.
pub(crate) fn read_raw_resource(
    r: &mut Reader<'_>,
    resource_type: Cow<'_, str>,
) -> PResult<RawResource> {
    let known = RESOURCE_TYPES.contains(&&*resource_type);
    if !known {
        if !r.lenient() {
            return Err(content_error(
                IssueKind::UnknownResourceType,
                "`resourceType` is not a FHIR R4 resource type",
            ));
        }
        r.issues.push(PendingIssue {
            severity: Severity::Warning,
            kind: IssueKind::UnknownResourceType,
            message: "`resourceType` is not a FHIR R4 resource type; kept as JSON".into(),
            path: Vec::new(),
        });
    }
    let start = r.mark();
    // An `id` that is not a string is kept in the JSON but not offered as the id.
    let id = string_member(r, "id").ok().flatten().map(Cow::into_owned);
    r.rewind(start);
    let json = r.capture_raw()?;
    Ok(RawResource {
        resource_type: resource_type.into_owned(),
        id,
        json,
    })
}
