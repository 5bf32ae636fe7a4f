//! Short constructors for the FHIR datatypes the generator writes again and again.

use std::num::NonZeroU32;

use carin_profiles::views::Amount;
use fhir_model::datatypes::{
    CodeableConcept, Coding, ContactPoint, Extension, Identifier, Meta, Money, OpenType, Period,
    Quantity, Reference,
};
use fhir_model::{Decimal, Primitive};

use super::calendar::Day;

/// The UCUM code system, for quantities.
pub(crate) const UCUM: &str = "http://unitsofmeasure.org";
/// HL7 v2 table 0203 (identifier types: `MB`, `NPI`, `TAX`, ...).
pub(crate) const V2_IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
/// The NPI identifier system.
pub(crate) const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";

/// The profile versions the generator declares: `meta.profile` carries `url|version`, as
/// the CARIN `*-meta-profile-version` invariants require (and for US Core, to tell 6.1.0
/// from 3.1.1, which share URLs).
pub(crate) const CARIN_BB: &str = "2.0.0";
/// US Core version of the clinical profiles.
pub(crate) const US_CORE: &str = "6.1.0";
/// Da Vinci PDex version of the prior authorization profile.
pub(crate) const PDEX: &str = "2.0.0";
/// Da Vinci Plan-Net version of the directory profiles.
pub(crate) const PLAN_NET: &str = "1.1.0";
/// Plan-Net's organization types (`ntwk`, `prvgrp`, `fac`, `payer`, ...).
pub(crate) const ORG_TYPE: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/CodeSystem/OrgTypeCS";

/// A primitive holding `value`, absent when `None`.
pub(crate) fn primitive<T>(value: Option<T>) -> Primitive<T> {
    let mut out = Primitive::default();
    out.value = value;
    out
}

/// A `Coding` with system and code.
pub(crate) fn coding(system: &str, code: &str) -> Coding {
    let mut out = Coding::default();
    out.system = system.into();
    out.code = code.into();
    out
}

/// A `Coding` with system, code and display.
pub(crate) fn coding_display(system: &str, code: &str, display: &str) -> Coding {
    let mut out = coding(system, code);
    out.display = display.into();
    out
}

/// A `CodeableConcept` of one coding.
pub(crate) fn concept(coding: Coding) -> CodeableConcept {
    let mut out = CodeableConcept::default();
    out.coding.push(coding);
    out
}

/// A `CodeableConcept` of one coding and a text.
pub(crate) fn concept_text(coding: Coding, text: &str) -> CodeableConcept {
    let mut out = concept(coding);
    out.text = text.into();
    out
}

/// A `CodeableConcept` of system and code.
pub(crate) fn code(system: &str, code: &str) -> CodeableConcept {
    concept(coding(system, code))
}

/// A `CodeableConcept` of system, code and display.
pub(crate) fn code_display(system: &str, code: &str, display: &str) -> CodeableConcept {
    concept(coding_display(system, code, display))
}

/// A relative reference `Type/id`.
pub(crate) fn reference(resource_type: &str, id: &str) -> Reference {
    Reference::to_resource(resource_type, id)
}

/// A relative reference `Type/id` with a display.
pub(crate) fn reference_display(resource_type: &str, id: &str, display: &str) -> Reference {
    let mut out = reference(resource_type, id);
    out.display = display.into();
    out
}

/// An identifier with a type coding, system and value.
pub(crate) fn identifier(type_coding: Option<Coding>, system: &str, value: &str) -> Identifier {
    let mut out = Identifier::default();
    out.r#type = type_coding.map(concept);
    out.system = system.into();
    out.value = value.into();
    out
}

/// An NPI identifier (type `NPI`, system `us-npi`).
pub(crate) fn npi_identifier(npi: &str) -> Identifier {
    identifier(
        Some(coding_display(
            V2_IDENTIFIER_TYPE,
            "NPI",
            "National provider identifier",
        )),
        NPI_SYSTEM,
        npi,
    )
}

/// `meta` with `lastUpdated` at `minute_of_day` (minutes after midnight UTC, modulo a
/// day) on `day`, and the versioned profiles.
pub(crate) fn meta(last_updated: Day, minute_of_day: u32, profiles: &[(&str, &str)]) -> Meta {
    let mut out = Meta::default();
    let minute = minute_of_day % (24 * 60);
    // Both parts fit in a u8: hour < 24, minute < 60.
    out.last_updated = primitive(last_updated.at((minute / 60) as u8, (minute % 60) as u8));
    for (url, version) in profiles {
        out.profile.push(format!("{url}|{version}").into());
    }
    out
}

/// An amount in US dollars.
pub(crate) fn usd(cents: i64) -> Money {
    Amount::from_cents(cents, "USD").to_fhir()
}

/// A decimal with `scale` decimals from an integer number of `10^-scale` units
/// (`fixed(1234, 1)` is `123.4`).
pub(crate) fn fixed(units: i64, scale: u32) -> Option<Decimal> {
    if scale == 0 {
        return Some(Decimal::from(units));
    }
    let unit = 10_i64.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    let unit = unit.unsigned_abs();
    let width = scale as usize;
    Decimal::parse(&format!(
        "{sign}{}.{:0width$}",
        magnitude / unit,
        magnitude % unit
    ))
    .ok()
}

/// A quantity without units (counts: days supply, refills, units of service).
pub(crate) fn count(value: i64) -> Quantity {
    let mut out = Quantity::default();
    out.value = Decimal::from(value).into();
    out
}

/// A UCUM quantity of `units` × 10^-`scale`.
pub(crate) fn ucum(units: i64, scale: u32, unit: &str, ucum_code: &str) -> Quantity {
    let mut out = Quantity::default();
    out.value = primitive(fixed(units, scale));
    out.unit = unit.into();
    out.system = UCUM.into();
    out.code = ucum_code.into();
    out
}

/// A period from `start` to `end` (day precision).
pub(crate) fn period(start: Day, end: Option<Day>) -> Period {
    let mut out = Period::default();
    out.start = primitive(start.to_date_time());
    out.end = primitive(end.and_then(Day::to_date_time));
    out
}

/// A contact point (`phone`, `email`) with a use (`home`, `work`, `mobile`).
pub(crate) fn contact(system: &str, value: &str, use_: &str) -> ContactPoint {
    let mut out = ContactPoint::default();
    out.system = system.into();
    out.value = value.into();
    out.r#use = use_.into();
    out
}

/// An extension with a value.
pub(crate) fn extension(url: &str, value: OpenType) -> Extension {
    let mut out = Extension::default();
    out.url = Some(url.to_owned());
    out.value = Some(value);
    out
}

/// A complex extension made of sub-extensions.
pub(crate) fn complex_extension(url: &str, parts: Vec<Extension>) -> Extension {
    let mut out = Extension::default();
    out.url = Some(url.to_owned());
    out.extension = parts;
    out
}

/// The standard `geolocation` extension of an Address, from millionths of a degree
/// (latitude, longitude).
pub(crate) fn geolocation((latitude, longitude): (i64, i64)) -> Extension {
    complex_extension(
        "http://hl7.org/fhir/StructureDefinition/geolocation",
        vec![
            extension("latitude", OpenType::Decimal(primitive(fixed(latitude, 6)))),
            extension(
                "longitude",
                OpenType::Decimal(primitive(fixed(longitude, 6))),
            ),
        ],
    )
}

/// The 1-based sequence number of the element at `index`.
pub(crate) fn sequence(index: usize) -> Primitive<NonZeroU32> {
    let index = u32::try_from(index).unwrap_or(u32::MAX - 1);
    NonZeroU32::MIN.saturating_add(index).into()
}
