//! FHIR primitive elements: a value plus the `id` and extensions JSON carries in `_name`.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use crate::datatypes::Extension;
use crate::datetime::{Date, DateTime, Instant, Time};
use crate::error::{Error, IssueKind, Result};
use crate::json::reader::{PResult, Reader, content_error};
use crate::json::writer::Writer;
use crate::unknown::UnknownElements;

/// A FHIR primitive element: the value and, from the JSON `_name` member, an element id
/// and extensions (<http://hl7.org/fhir/R4/json.html#primitive>).
///
/// Every part is optional, because FHIR allows a primitive that has only extensions (a
/// `data-absent-reason`, say). An empty `Primitive` is the absent element: generated
/// structs hold `Primitive<T>` directly, so reading a value is `patient.birth_date.value`.
/// The id and extensions sit behind one pointer, since almost no primitive has them:
/// that keeps `Primitive<String>` at 32 bytes and the generated structs small to move.
#[derive(Clone)]
pub struct Primitive<T> {
    /// The value, if present.
    pub value: Option<T>,
    element: Option<Box<ElementData>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ElementData {
    pub(crate) id: Option<String>,
    pub(crate) extension: Vec<Extension>,
    /// Members of `_name` other than `id` and `extension` (kept by lenient parsing).
    pub(crate) unknown_elements: UnknownElements,
}

impl<T> Default for Primitive<T> {
    fn default() -> Self {
        Primitive {
            value: None,
            element: None,
        }
    }
}

impl<T: PartialEq> PartialEq for Primitive<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
            && self.id() == other.id()
            && self.extension() == other.extension()
    }
}

impl<T: fmt::Debug> fmt::Debug for Primitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Primitive");
        s.field("value", &self.value);
        if let Some(id) = self.id() {
            s.field("id", &id);
        }
        if !self.extension().is_empty() {
            s.field("extension", &self.extension());
        }
        s.finish()
    }
}

impl<T> Primitive<T> {
    /// A primitive with a value and no extensions.
    pub fn new(value: T) -> Self {
        Primitive {
            value: Some(value),
            element: None,
        }
    }

    /// The value, if present.
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// The element id (`_name.id`).
    pub fn id(&self) -> Option<&str> {
        self.element.as_ref().and_then(|e| e.id.as_deref())
    }

    /// Sets or clears the element id.
    pub fn set_id(&mut self, id: Option<String>) {
        self.element.get_or_insert_default().id = id;
    }

    /// Extensions on the primitive (`_name.extension`).
    pub fn extension(&self) -> &[Extension] {
        self.element.as_ref().map_or(&[], |e| &e.extension)
    }

    /// Extensions on the primitive, to add or remove some.
    pub fn extension_mut(&mut self) -> &mut Vec<Extension> {
        &mut self.element.get_or_insert_default().extension
    }

    /// True when neither a value, an id nor extensions are present: the element is absent.
    pub fn is_empty(&self) -> bool {
        self.value.is_none() && !self.has_element_data()
    }

    /// True when the JSON form needs a `_name` member (an id or extensions).
    pub fn has_element_data(&self) -> bool {
        self.element.as_ref().is_some_and(|e| {
            e.id.is_some() || !e.extension.is_empty() || !e.unknown_elements.is_empty()
        })
    }

    pub(crate) fn element_data(&self) -> Option<&ElementData> {
        self.element.as_deref()
    }

    pub(crate) fn set_element_data(&mut self, data: ElementData) {
        self.element = Some(Box::new(data));
    }
}

impl<T> From<T> for Primitive<T> {
    fn from(value: T) -> Self {
        Primitive::new(value)
    }
}

impl From<&str> for Primitive<String> {
    fn from(value: &str) -> Self {
        Primitive::new(value.to_owned())
    }
}

impl Primitive<String> {
    /// The value as `&str`, if present.
    pub fn as_str(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// A FHIR `decimal`, kept exactly as written (`1.50` stays `1.50`, `1e2` stays `1e2`).
///
/// FHIR gives decimals a precision (<http://hl7.org/fhir/R4/datatypes.html#decimal>):
/// `1.50` is not `1.5`, so the text is the value. Equality is textual; use
/// [`Decimal::to_f64`] or [`Decimal::cmp_value`] to compare amounts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Decimal(Box<str>);

impl Decimal {
    /// Parses JSON number syntax; anything else is an error.
    pub fn parse(text: &str) -> Result<Self> {
        let mut reader = Reader::new(text, false);
        match reader.read_number() {
            Ok(number) if number.len() == text.len() => Ok(Decimal(text.into())),
            _ => Err(Error::invalid_primitive(
                "decimal",
                "not a JSON number (digits, optional fraction and exponent)",
            )),
        }
    }

    /// The decimal exactly as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest `f64` (exact for most money amounts, but not in general).
    pub fn to_f64(&self) -> f64 {
        // Valid JSON number syntax is always valid Rust float syntax.
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// The shortest decimal that reads back as `value`; `None` for NaN and infinities.
    pub fn from_f64(value: f64) -> Option<Self> {
        value.is_finite().then(|| Decimal(value.to_string().into()))
    }

    /// Compares numeric values, ignoring precision (`1.50` equals `1.5`).
    pub fn cmp_value(&self, other: &Decimal) -> Option<std::cmp::Ordering> {
        self.to_f64().partial_cmp(&other.to_f64())
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.0)
    }
}

impl FromStr for Decimal {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Decimal::parse(s)
    }
}

macro_rules! decimal_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Decimal {
            fn from(v: $t) -> Self {
                Decimal(v.to_string().into())
            }
        }
    )*};
}
decimal_from_int!(i32, i64, u32, u64);

/// How a primitive's value is read from and written to JSON.
pub(crate) trait PrimitiveValue: Sized {
    fn read(r: &mut Reader<'_>) -> PResult<Self>;
    fn write(&self, w: &mut Writer);
}

impl PrimitiveValue for bool {
    fn read(r: &mut Reader<'_>) -> PResult<Self> {
        r.read_bool()
    }
    fn write(&self, w: &mut Writer) {
        w.bool(*self);
    }
}

impl PrimitiveValue for String {
    fn read(r: &mut Reader<'_>) -> PResult<Self> {
        let s = r.read_str()?;
        if s.is_empty() {
            // http://hl7.org/fhir/R4/datatypes.html#string: at least one character.
            return Err(content_error(
                IssueKind::InvalidPrimitive,
                "empty string: FHIR strings have at least one character",
            ));
        }
        Ok(s.into_owned())
    }
    fn write(&self, w: &mut Writer) {
        w.string(self);
    }
}

impl PrimitiveValue for Decimal {
    fn read(r: &mut Reader<'_>) -> PResult<Self> {
        Ok(Decimal(r.read_number()?.into()))
    }
    fn write(&self, w: &mut Writer) {
        w.raw(&self.0);
    }
}

fn read_integer(r: &mut Reader<'_>, min: i64, max: i64, type_name: &str) -> PResult<i64> {
    let text = r.read_number()?;
    match text.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(_) => Err(content_error(
            IssueKind::InvalidPrimitive,
            format!("{type_name} out of range {min}..={max}"),
        )),
        Err(_) if text.bytes().all(|b| b == b'-' || b.is_ascii_digit()) => Err(content_error(
            IssueKind::InvalidPrimitive,
            format!("{type_name} out of range {min}..={max}"),
        )),
        Err(_) => Err(content_error(
            IssueKind::InvalidPrimitive,
            format!("{type_name} must be a whole number without fraction or exponent"),
        )),
    }
}

/// FHIR `integer`: 32-bit signed.
impl PrimitiveValue for i32 {
    fn read(r: &mut Reader<'_>) -> PResult<Self> {
        read_integer(r, i32::MIN.into(), i32::MAX.into(), "integer").map(|v| v as i32)
    }
    fn write(&self, w: &mut Writer) {
        w.int((*self).into());
    }
}

/// FHIR `unsignedInt`: 0 to 2^31-1.
impl PrimitiveValue for u32 {
    fn read(r: &mut Reader<'_>) -> PResult<Self> {
        read_integer(r, 0, i32::MAX.into(), "unsignedInt").map(|v| v as u32)
    }
    fn write(&self, w: &mut Writer) {
        w.int((*self).into());
    }
}

/// FHIR `positiveInt`: 1 to 2^31-1.
impl PrimitiveValue for NonZeroU32 {
    fn read(r: &mut Reader<'_>) -> PResult<Self> {
        let v = read_integer(r, 1, i32::MAX.into(), "positiveInt")?;
        // The range check above excludes 0.
        Ok(NonZeroU32::new(v as u32).unwrap_or(NonZeroU32::MIN))
    }
    fn write(&self, w: &mut Writer) {
        w.int(self.get().into());
    }
}

macro_rules! date_time_value {
    ($($t:ty),*) => {$(
        impl PrimitiveValue for $t {
            fn read(r: &mut Reader<'_>) -> PResult<Self> {
                let text = r.read_str()?;
                <$t>::parse(&text).map_err(|e| content_error(IssueKind::InvalidPrimitive, e.to_string()))
            }
            fn write(&self, w: &mut Writer) {
                w.string_with(|out| self.write_to(out));
            }
        }
    )*};
}
date_time_value!(Date, DateTime, Instant, Time);
