//! How one JSON member fills one field of a generated struct, and how it is written back.
//!
//! The generated code is a `match` on the key that calls one of these per field kind,
//! so each FHIR type costs one small non-generic function, not a serde instantiation.
//! Readers parse the whole value before touching the field: after an error, lenient mode
//! keeps the value raw and the struct holds no half-read data.

use crate::error::IssueKind;
pub(crate) use crate::json::reader::unknown_element;
use crate::json::reader::{PResult, PathSeg, Peek, Reader, content_error, with_seg};
use crate::json::writer::Writer;
use crate::json::{FromJson, ToJson};
use crate::primitive::{ElementData, Primitive, PrimitiveValue};
use crate::unknown::UnknownElements;

fn duplicate() -> Box<crate::json::reader::ParseError> {
    content_error(IssueKind::Duplicate, "element appears more than once")
}

fn null_not_allowed(r: &mut Reader<'_>) -> PResult<()> {
    if r.peek()? == Peek::Null {
        return Err(content_error(
            IssueKind::Empty,
            "null is only allowed inside arrays of primitives",
        ));
    }
    Ok(())
}

/// Reads a JSON array, calling `each` per element with the element index on error paths.
fn read_array<'a>(
    r: &mut Reader<'a>,
    mut each: impl FnMut(&mut Reader<'a>) -> PResult<()>,
) -> PResult<usize> {
    r.begin_array()?;
    let mut index = 0;
    while r.next_element(index)? {
        let before = r.issues.len();
        with_seg(each(r), || PathSeg::Index(index))?;
        if r.issues.len() > before {
            r.prefix_issues(before, PathSeg::Index(index));
        }
        index += 1;
    }
    if index == 0 {
        return Err(content_error(
            IssueKind::Empty,
            "arrays must not be empty in FHIR JSON",
        ));
    }
    Ok(index)
}

/// A plain JSON string with no `_name` form: `Element.id`, `Extension.url`, `Resource.id`.
pub(crate) fn read_string(r: &mut Reader<'_>, slot: &mut Option<String>) -> PResult<()> {
    null_not_allowed(r)?;
    let v = r.read_str()?.into_owned();
    if slot.is_some() {
        return Err(duplicate());
    }
    *slot = Some(v);
    Ok(())
}

pub(crate) fn read_single<T: FromJson>(r: &mut Reader<'_>, slot: &mut Option<T>) -> PResult<()> {
    null_not_allowed(r)?;
    let v = T::from_json(r)?;
    if slot.is_some() {
        return Err(duplicate());
    }
    *slot = Some(v);
    Ok(())
}

pub(crate) fn read_many<T: FromJson>(r: &mut Reader<'_>, slot: &mut Vec<T>) -> PResult<()> {
    null_not_allowed(r)?;
    // Most FHIR arrays hold one item; starting at capacity 1 (not Vec's minimum of 4 on
    // first push) saves memory and allocator work in every Coding and Identifier list.
    let mut items = Vec::with_capacity(1);
    read_array(r, |r| {
        null_not_allowed(r)?;
        items.push(T::from_json(r)?);
        Ok(())
    })?;
    if !slot.is_empty() {
        return Err(duplicate());
    }
    *slot = items;
    Ok(())
}

/// The `name` member of a singular primitive.
pub(crate) fn read_value<T: PrimitiveValue>(
    r: &mut Reader<'_>,
    slot: &mut Primitive<T>,
) -> PResult<()> {
    null_not_allowed(r)?;
    let v = T::read(r)?;
    if slot.value.is_some() {
        return Err(duplicate());
    }
    slot.value = Some(v);
    Ok(())
}

/// The `{"id": ..., "extension": [...]}` object of a `_name` member.
fn read_element_data(r: &mut Reader<'_>) -> PResult<ElementData> {
    let mut data = ElementData::default();
    r.begin_element()?;
    while let Some(key) = r.next_key()? {
        let mark = r.mark();
        let result = match &*key {
            "id" => read_string(r, &mut data.id),
            "extension" => read_many(r, &mut data.extension),
            _ => r.unknown_key(&key, &mut data.unknown_elements),
        };
        r.finish_field(mark, key, result, &mut data.unknown_elements)?;
    }
    Ok(data)
}

/// The `_name` member of a singular primitive.
pub(crate) fn read_ext<T>(r: &mut Reader<'_>, slot: &mut Primitive<T>) -> PResult<()> {
    null_not_allowed(r)?;
    let data = read_element_data(r)?;
    if slot.has_element_data() {
        return Err(duplicate());
    }
    slot.set_element_data(data);
    Ok(())
}

/// Fits `len` items into a primitive array that `name` or `_name` may have filled already.
fn align<T>(slot: &mut Vec<Primitive<T>>, len: usize) -> PResult<()> {
    if slot.is_empty() {
        slot.resize_with(len, Primitive::default);
    } else if slot.len() != len {
        return Err(content_error(
            IssueKind::ArrayLengthMismatch,
            "the value array and the `_` extension array have different lengths",
        ));
    }
    Ok(())
}

/// The `name` array of a repeating primitive; `null` entries leave room for `_name`.
pub(crate) fn read_values<T: PrimitiveValue>(
    r: &mut Reader<'_>,
    slot: &mut Vec<Primitive<T>>,
) -> PResult<()> {
    null_not_allowed(r)?;
    let mut values = Vec::with_capacity(1);
    read_array(r, |r| {
        values.push(if r.read_null()? {
            None
        } else {
            Some(T::read(r)?)
        });
        Ok(())
    })?;
    if slot.iter().any(|p| p.value.is_some()) {
        return Err(duplicate());
    }
    align(slot, values.len())?;
    for (p, v) in slot.iter_mut().zip(values) {
        p.value = v;
    }
    Ok(())
}

/// Checks, once both arrays are read, that every `null` in `name` has data in `_name`
/// (http://hl7.org/fhir/R4/json.html#primitive).
pub(crate) fn check_values<T>(r: &mut Reader<'_>, key: &str, slot: &[Primitive<T>]) -> PResult<()> {
    if slot.iter().any(Primitive::is_empty) {
        return r.report(
            key,
            IssueKind::Empty,
            "`null` in a primitive array needs an id or extensions at the same position of the `_` array",
        );
    }
    Ok(())
}

/// The `_name` array of a repeating primitive.
pub(crate) fn read_exts<T>(r: &mut Reader<'_>, slot: &mut Vec<Primitive<T>>) -> PResult<()> {
    null_not_allowed(r)?;
    let mut data = Vec::with_capacity(1);
    read_array(r, |r| {
        data.push(if r.read_null()? {
            None
        } else {
            Some(read_element_data(r)?)
        });
        Ok(())
    })?;
    if slot.iter().any(Primitive::has_element_data) {
        return Err(duplicate());
    }
    align(slot, data.len())?;
    for (p, d) in slot.iter_mut().zip(data) {
        if let Some(data) = d {
            p.set_element_data(data);
        }
    }
    Ok(())
}

fn other_choice() -> Box<crate::json::reader::ParseError> {
    content_error(
        IssueKind::Duplicate,
        "a choice element can hold only one type",
    )
}

/// `nameType` of a choice element whose type is complex (kept boxed: choice enums stay small).
pub(crate) fn read_choice_complex<C, T: FromJson>(
    r: &mut Reader<'_>,
    slot: &mut Option<C>,
    wrap: fn(Box<T>) -> C,
) -> PResult<()> {
    null_not_allowed(r)?;
    let v = T::from_json(r)?;
    if slot.is_some() {
        return Err(other_choice());
    }
    *slot = Some(wrap(Box::new(v)));
    Ok(())
}

/// Finds the primitive of variant `get`, creating it if the choice is still empty.
fn choice_primitive<C, T>(
    slot: &mut Option<C>,
    wrap: fn(Primitive<T>) -> C,
    get: fn(&mut C) -> Option<&mut Primitive<T>>,
) -> PResult<&mut Primitive<T>> {
    let choice = slot.get_or_insert_with(|| wrap(Primitive::default()));
    get(choice).ok_or_else(other_choice)
}

/// `nameType` of a choice element whose type is primitive.
pub(crate) fn read_choice_value<C, T: PrimitiveValue>(
    r: &mut Reader<'_>,
    slot: &mut Option<C>,
    wrap: fn(Primitive<T>) -> C,
    get: fn(&mut C) -> Option<&mut Primitive<T>>,
) -> PResult<()> {
    null_not_allowed(r)?;
    let v = T::read(r)?;
    let p = choice_primitive(slot, wrap, get)?;
    if p.value.is_some() {
        return Err(duplicate());
    }
    p.value = Some(v);
    Ok(())
}

/// `_nameType` of a choice element whose type is primitive.
pub(crate) fn read_choice_ext<C, T>(
    r: &mut Reader<'_>,
    slot: &mut Option<C>,
    wrap: fn(Primitive<T>) -> C,
    get: fn(&mut C) -> Option<&mut Primitive<T>>,
) -> PResult<()> {
    null_not_allowed(r)?;
    let data = read_element_data(r)?;
    let p = choice_primitive(slot, wrap, get)?;
    if p.has_element_data() {
        return Err(duplicate());
    }
    p.set_element_data(data);
    Ok(())
}

pub(crate) fn write_string(w: &mut Writer, key: &str, slot: &Option<String>) {
    if let Some(v) = slot {
        w.key(key);
        w.string(v);
    }
}

pub(crate) fn write_single<T: ToJson>(w: &mut Writer, key: &str, slot: &Option<T>) {
    if let Some(v) = slot {
        w.key(key);
        v.write_json(w);
    }
}

pub(crate) fn write_many<T: ToJson>(w: &mut Writer, key: &str, slot: &[T]) {
    if slot.is_empty() {
        return;
    }
    w.key(key);
    w.begin_array();
    for v in slot {
        w.element();
        v.write_json(w);
    }
    w.end_array();
}

fn write_element_data<T>(w: &mut Writer, p: &Primitive<T>) {
    w.begin_object();
    if let Some(data) = p.element_data() {
        write_string(w, "id", &data.id);
        write_many(w, "extension", &data.extension);
        write_unknown(w, &data.unknown_elements);
    }
    w.end_object();
}

/// Writes `name` and, when the primitive has an id or extensions, `_name`.
pub(crate) fn write_value<T: PrimitiveValue>(w: &mut Writer, key: &str, p: &Primitive<T>) {
    write_choice_value(w, key, "", p);
}

/// Writes the `name` array (with `null` where only `_name` has data) and, if any item has
/// an id or extensions, the aligned `_name` array.
pub(crate) fn write_values<T: PrimitiveValue>(w: &mut Writer, key: &str, slot: &[Primitive<T>]) {
    if slot.is_empty() {
        return;
    }
    w.key(key);
    w.begin_array();
    for p in slot {
        w.element();
        match &p.value {
            Some(v) => v.write(w),
            None => w.null(),
        }
    }
    w.end_array();
    if slot.iter().any(Primitive::has_element_data) {
        w.key_parts("_", key, "");
        w.begin_array();
        for p in slot {
            w.element();
            if p.has_element_data() {
                write_element_data(w, p);
            } else {
                w.null();
            }
        }
        w.end_array();
    }
}

/// Writes a primitive variant of a choice: `nameType` and, if needed, `_nameType` (also
/// a plain primitive, with an empty `type_name`).
pub(crate) fn write_choice_value<T: PrimitiveValue>(
    w: &mut Writer,
    name: &str,
    type_name: &str,
    p: &Primitive<T>,
) {
    if let Some(v) = &p.value {
        w.key_parts("", name, type_name);
        v.write(w);
    }
    if p.has_element_data() {
        w.key_parts("_", name, type_name);
        write_element_data(w, p);
    }
}

/// Writes a complex variant of a choice as `nameType`.
pub(crate) fn write_choice_one<T: ToJson>(w: &mut Writer, name: &str, type_name: &str, v: &T) {
    w.key_parts("", name, type_name);
    v.write_json(w);
}

pub(crate) fn write_unknown(w: &mut Writer, unknown: &UnknownElements) {
    for (key, json) in unknown.iter() {
        w.key_escaped(key);
        w.raw(json);
    }
}
