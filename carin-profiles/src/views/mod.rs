//! Typed, read-only views of CARIN Blue Button, US Core, Plan-Net and PDex resources, and
//! builders.
//!
//! A view borrows a `fhir-model` resource and answers the questions an app asks of it in
//! the terms of its profile: which EOB profile the content matches, what the member paid,
//! what a blood pressure reading was, whether a practitioner takes new patients. Views
//! never fail: payer and EHR data is often incomplete, so every accessor returns `Option`
//! (or an empty iterator) when the element is absent, and the underlying resource stays
//! reachable for anything a view does not cover.
//!
//! CARIN Blue Button 2.0.0 (<http://hl7.org/fhir/us/carin-bb/STU2/artifacts.html>):
//!
//! - [`eob`]: [`eob::EobView`] over `ExplanationOfBenefit` (all five CARIN EOB profiles),
//!   its line items, adjudication amounts by category, and [`eob::ProfessionalEobBuilder`]
//!   for `C4BB-ExplanationOfBenefit-Professional-NonClinician`.
//! - [`coverage`]: [`coverage::CoverageView`] over `C4BB-Coverage`.
//! - [`patient`]: [`patient::PatientView`] over `C4BB-Patient`.
//! - [`organization`], [`practitioner`], [`related_person`]:
//!   [`organization::OrganizationView`], [`practitioner::PractitionerView`] and
//!   [`related_person::RelatedPersonView`] over `C4BB-Organization`, `C4BB-Practitioner`
//!   and `C4BB-RelatedPerson` (identifiers by type, names, telecom, addresses,
//!   relationship); US Core reads the same resource types through them.
//!
//! The other IGs, one module each:
//!
//! - [`us_core`]: US Core 6.1.0 (Observation, Condition, AllergyIntolerance,
//!   Immunization, MedicationRequest, MedicationDispense, Medication, Encounter, Procedure,
//!   DiagnosticReport, DocumentReference, Goal, CarePlan, CareTeam, Device, ServiceRequest,
//!   Specimen, Provenance, and the directory and coverage resources CARIN and Plan-Net
//!   views read) and a vital-signs Observation builder.
//! - [`plan_net`]: the Plan-Net 1.1.0 provider directory (PractitionerRole, Practitioner,
//!   Location, Organization and Network, InsurancePlan, Endpoint, HealthcareService,
//!   OrganizationAffiliation) with its extensions, and a PractitionerRole builder.
//! - [`pdex`]: the PDex 2.0.0 prior authorization (`ExplanationOfBenefit` with `use =
//!   preauthorization`, with a builder), provenance, and the `$member-match` parameters.
//!
//! Shared reading types: money amounts are [`Amount`]s (the decimal exactly as written plus
//! the currency, with exact sums and cents); codings are [`Code`]s (system, code, display)
//! read from [`Concept`]s; quantities are [`Measurement`]s (the exact decimal and its unit).
//! Codes from value sets a profile binds as required are small enums.
//!
//! Every builder produces a resource that validates with zero errors against its profile
//! ([`crate::validate_as`]) and refuses, with a typed error, codes outside the value sets
//! the profile requires.

pub mod coverage;
pub mod eob;
pub mod organization;
pub mod patient;
pub mod pdex;
pub mod plan_net;
pub mod practitioner;
pub mod related_person;
pub mod us_core;

use std::fmt;

use fhir_model::datatypes::{
    Age, CodeableConcept, Coding, Duration, Extension, HumanName, Identifier, Money, OpenType,
    Period, Quantity, Reference,
};
use fhir_model::{Date, DateTime, Decimal};

/// The CARIN Blue Button version these views and the builder follow; builders write it
/// into `meta.profile` (`canonical|2.0.0`), as the profiles' `*-meta-profile-version`
/// invariants require.
pub const CARIN_BB_VERSION: &str = "2.0.0";

/// HL7 v2 table 0203 (identifier types), which holds the member number type `MB`, `NPI`
/// and `TAX`.
pub const V2_IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

/// `http://hl7.org/fhir/sid/us-npi`: the National Provider Identifier.
pub const NPI: &str = "http://hl7.org/fhir/sid/us-npi";

/// A money amount: the decimal exactly as the payer wrote it, and the currency.
///
/// Equality is textual, like [`Decimal`]'s (`620` is not `620.00`); compare amounts with
/// [`Amount::to_cents`] or [`Amount::to_f64`]. Sums ([`Amount::checked_add`]) are exact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Amount {
    value: Decimal,
    currency: Option<String>,
}

impl Amount {
    /// An amount of `value` in `currency` (an ISO 4217 code such as `USD`).
    pub fn new(value: Decimal, currency: &str) -> Amount {
        Amount {
            value,
            currency: Some(currency.to_owned()),
        }
    }

    /// An amount of `cents` hundredths of `currency`, written with two decimals
    /// (`from_cents(1250, "USD")` is `12.50 USD`).
    pub fn from_cents(cents: i64, currency: &str) -> Amount {
        let value = Scaled {
            units: i128::from(cents),
            scale: 2,
        }
        .to_decimal();
        Amount::new(value, currency)
    }

    /// The amount of a FHIR `Money`; `None` when it has no value. A `Money` without a
    /// currency gives an amount without one.
    pub fn from_fhir(money: &Money) -> Option<Amount> {
        Some(Amount {
            value: money.value.value.clone()?,
            currency: money.currency.value.clone(),
        })
    }

    /// The FHIR `Money` for this amount.
    pub fn to_fhir(&self) -> Money {
        let mut money = Money::default();
        money.value = self.value.clone().into();
        if let Some(currency) = &self.currency {
            money.currency = currency.as_str().into();
        }
        money
    }

    /// The decimal exactly as written.
    pub fn value(&self) -> &Decimal {
        &self.value
    }

    /// The currency code (`Money.currency`), if the payer sent one.
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }

    /// The nearest `f64`; for display or rough comparison, not for arithmetic.
    pub fn to_f64(&self) -> f64 {
        self.value.to_f64()
    }

    /// The amount in hundredths (cents for USD), when that is exact: `12.5` gives 1250,
    /// `12.505` gives `None`, as does an amount beyond `i64`.
    pub fn to_cents(&self) -> Option<i64> {
        let scaled = Scaled::parse(self.value.as_str())?;
        let cents = if scaled.scale <= 2 {
            scaled.rescale(2)?
        } else {
            let divisor = 10_i128.checked_pow(scaled.scale - 2)?;
            if scaled.units % divisor != 0 {
                return None;
            }
            scaled.units / divisor
        };
        i64::try_from(cents).ok()
    }

    /// The exact sum, written with as many decimals as the more precise of the two
    /// (`40.35 + 42.6` is `82.95`). `None` when the currencies differ (an amount without a
    /// currency only adds to another without one) or the sum does not fit.
    pub fn checked_add(&self, other: &Amount) -> Option<Amount> {
        if self.currency != other.currency {
            return None;
        }
        let sum = Scaled::parse(self.value.as_str())?
            .checked_add(Scaled::parse(other.value.as_str())?)?;
        Some(Amount {
            value: sum.to_decimal(),
            currency: self.currency.clone(),
        })
    }
}

impl fmt::Display for Amount {
    /// Writes the value and, if known, the currency: `620 USD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.currency {
            Some(currency) => write!(f, "{} {currency}", self.value),
            None => write!(f, "{}", self.value),
        }
    }
}

/// A decimal as a whole number of `10^-scale` units, so that sums are exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Scaled {
    units: i128,
    scale: u32,
}

impl Scaled {
    /// More decimals than any money amount has; also keeps `10^scale` within `i128`.
    const MAX_SCALE: u32 = 30;

    /// Parses JSON number syntax (what a [`Decimal`] holds); `None` when it does not fit.
    fn parse(text: &str) -> Option<Scaled> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut units: i128 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            if !digit.is_ascii_digit() {
                return None;
            }
            units = units
                .checked_mul(10)?
                .checked_add(i128::from(digit - b'0'))?;
        }
        // `1.5e2` is 15 units of 10^-1 times 10^2: scale 1 - 2 = -1, i.e. 150 units of 1.
        let scale = i64::try_from(fraction.len()).ok()? - i64::from(exponent);
        let (units, scale) = if scale < 0 {
            let factor = 10_i128.checked_pow(u32::try_from(-scale).ok()?)?;
            (units.checked_mul(factor)?, 0)
        } else {
            (units, u32::try_from(scale).ok()?)
        };
        if scale > Self::MAX_SCALE {
            return None;
        }
        Some(Scaled {
            units: if negative { -units } else { units },
            scale,
        })
    }

    /// The units at a scale at least this one's.
    fn rescale(self, scale: u32) -> Option<i128> {
        self.units
            .checked_mul(10_i128.checked_pow(scale.checked_sub(self.scale)?)?)
    }

    fn checked_add(self, other: Scaled) -> Option<Scaled> {
        let scale = self.scale.max(other.scale);
        Some(Scaled {
            units: self.rescale(scale)?.checked_add(other.rescale(scale)?)?,
            scale,
        })
    }

    /// Writes the value with exactly `scale` decimals.
    fn to_decimal(self) -> Decimal {
        let sign = if self.units < 0 { "-" } else { "" };
        let magnitude = self.units.unsigned_abs();
        let text = if self.scale == 0 {
            format!("{sign}{magnitude}")
        } else {
            let unit = 10_u128.pow(self.scale);
            let width = self.scale as usize;
            format!("{sign}{}.{:0width$}", magnitude / unit, magnitude % unit)
        };
        // Digits with an optional sign and fraction are always JSON number syntax.
        Decimal::parse(&text).unwrap_or_else(|_| Decimal::from(0))
    }
}

/// The dates a claim or a line covers: the earliest start and the latest end.
///
/// Either end may be unknown (a `Period` with only a start, say). Partial dates are
/// compared by the days they cover, so `2019` starts before `2019-03-01`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceDates {
    /// The first day of service, if any date says.
    pub start: Option<Date>,
    /// The last day of service, if any date says.
    pub end: Option<Date>,
}

impl ServiceDates {
    /// Widens the span to include a period (its `dateTime`s taken as the dates written).
    fn include_period(&mut self, period: &Period) {
        self.include(
            period.start.value.map(|start| start.date()),
            period.end.value.map(|end| end.date()),
        );
    }

    /// Widens the span to include `start` and `end`.
    fn include(&mut self, start: Option<Date>, end: Option<Date>) {
        if let Some(start) = start {
            let earlier = self
                .start
                .is_none_or(|current| start.period_utc().start < current.period_utc().start);
            if earlier {
                self.start = Some(start);
            }
        }
        if let Some(end) = end {
            let later = self
                .end
                .is_none_or(|current| end.period_utc().end > current.period_utc().end);
            if later {
                self.end = Some(end);
            }
        }
    }
}

/// A coding read as (system, code, display): what a [`Concept`] or a `Coding` element holds.
///
/// A coding without a `code` is not a `Code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code<'a> {
    /// `Coding.system`, the code system's URL, when sent.
    pub system: Option<&'a str>,
    /// `Coding.code`.
    pub code: &'a str,
    /// `Coding.display`, when sent.
    pub display: Option<&'a str>,
}

impl<'a> Code<'a> {
    /// The code of `coding`; `None` when it has no `code`.
    pub fn from_coding(coding: &'a Coding) -> Option<Code<'a>> {
        Some(Code {
            system: coding.system.as_str(),
            code: coding.code.as_str()?,
            display: coding.display.as_str(),
        })
    }

    /// Whether this is `code` of `system`.
    pub fn is(&self, system: &str, code: &str) -> bool {
        self.system == Some(system) && self.code == code
    }
}

impl fmt::Display for Code<'_> {
    /// Writes `system#code`, or the code alone when there is no system.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.system {
            Some(system) => write!(f, "{system}#{}", self.code),
            None => f.write_str(self.code),
        }
    }
}

/// A read-only view of a `CodeableConcept`: its codings as [`Code`]s and its text.
#[derive(Clone, Copy, Debug)]
pub struct Concept<'a> {
    concept: &'a CodeableConcept,
}

impl<'a> Concept<'a> {
    /// A view of `concept`.
    pub fn new(concept: &'a CodeableConcept) -> Concept<'a> {
        Concept { concept }
    }

    /// The concept itself.
    pub fn concept(&self) -> &'a CodeableConcept {
        self.concept
    }

    /// Every coding that has a code, in document order.
    pub fn codes(&self) -> impl Iterator<Item = Code<'a>> + use<'a> {
        self.concept.coding.iter().filter_map(Code::from_coding)
    }

    /// The first coding that has a code.
    pub fn first(&self) -> Option<Code<'a>> {
        self.codes().next()
    }

    /// The first coding of `system` (`http://loinc.org`, `http://snomed.info/sct`, ...).
    pub fn code_in(&self, system: &str) -> Option<Code<'a>> {
        self.codes().find(|code| code.system == Some(system))
    }

    /// Whether a coding is `code` of `system`.
    pub fn has(&self, system: &str, code: &str) -> bool {
        self.codes().any(|c| c.is(system, code))
    }

    /// `text`: the concept as the user saw or said it.
    pub fn text(&self) -> Option<&'a str> {
        self.concept.text.as_str()
    }

    /// What to show a person: `text`, else the first coding's display, else its code.
    pub fn label(&self) -> Option<&'a str> {
        self.text()
            .or_else(|| self.codes().find_map(|code| code.display))
            .or_else(|| self.first().map(|code| code.code))
    }

    /// The first coding `read` makes something of (a code system enum's `from_coding`).
    fn find_map<T>(&self, read: impl FnMut(&'a Coding) -> Option<T>) -> Option<T> {
        self.concept.coding.iter().find_map(read)
    }
}

/// A quantity read exactly: the decimal as written, its comparator and its unit.
///
/// The value keeps its precision (`20.09414`, `5.40`); compare with
/// [`Decimal::cmp_value`] or convert with [`Decimal::to_f64`] for display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Measurement<'a> {
    /// `value`, exactly as written.
    pub value: &'a Decimal,
    /// `comparator`: `<`, `<=`, `>=` or `>` when the value is a bound, not a measurement.
    pub comparator: Option<&'a str>,
    /// `unit`: the unit as a person reads it (`mmHg`, `kg`, `g/dL`).
    pub unit: Option<&'a str>,
    /// `system`: the unit's code system, normally UCUM ([`Measurement::UCUM`]).
    pub system: Option<&'a str>,
    /// `code`: the unit's code in `system` (`mm[Hg]`, `kg`, `g/dL`).
    pub code: Option<&'a str>,
}

impl<'a> Measurement<'a> {
    /// `http://unitsofmeasure.org`, the system of UCUM units.
    pub const UCUM: &'static str = "http://unitsofmeasure.org";

    /// The measurement of `quantity`; `None` when it has no value.
    pub fn from_quantity(quantity: &'a Quantity) -> Option<Measurement<'a>> {
        Some(Measurement {
            value: quantity.value.value.as_ref()?,
            comparator: quantity.comparator.as_str(),
            unit: quantity.unit.as_str(),
            system: quantity.system.as_str(),
            code: quantity.code.as_str(),
        })
    }

    /// The measurement of an `Age`; `None` when it has no value.
    fn from_age(age: &'a Age) -> Option<Measurement<'a>> {
        Some(Measurement {
            value: age.value.value.as_ref()?,
            comparator: age.comparator.as_str(),
            unit: age.unit.as_str(),
            system: age.system.as_str(),
            code: age.code.as_str(),
        })
    }

    /// The measurement of a `Duration`; `None` when it has no value.
    fn from_duration(duration: &'a Duration) -> Option<Measurement<'a>> {
        Some(Measurement {
            value: duration.value.value.as_ref()?,
            comparator: duration.comparator.as_str(),
            unit: duration.unit.as_str(),
            system: duration.system.as_str(),
            code: duration.code.as_str(),
        })
    }

    /// The UCUM code of the unit: `code` when `system` is UCUM.
    pub fn ucum(&self) -> Option<&'a str> {
        if self.system == Some(Self::UCUM) {
            self.code
        } else {
            None
        }
    }
}

impl fmt::Display for Measurement<'_> {
    /// Writes the comparator, the value and the unit (else the unit code): `<= 5.4 mmol/L`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(comparator) = self.comparator {
            write!(f, "{comparator} ")?;
        }
        write!(f, "{}", self.value)?;
        match self.unit.or(self.code) {
            Some(unit) => write!(f, " {unit}"),
            None => Ok(()),
        }
    }
}

/// A period as its two ends, each optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// `Period.start`, with the precision it was sent with.
    pub start: Option<DateTime>,
    /// `Period.end`, with the precision it was sent with.
    pub end: Option<DateTime>,
}

impl Span {
    /// The ends of `period`.
    pub fn from_period(period: &Period) -> Span {
        Span {
            start: period.start.value,
            end: period.end.value,
        }
    }
}

/// The extensions of `list` with this `url`.
fn extensions<'a>(
    list: &'a [Extension],
    url: &'a str,
) -> impl Iterator<Item = &'a Extension> + use<'a> {
    list.iter()
        .filter(move |extension| extension.url.as_deref() == Some(url))
}

/// The first extension of `list` with this `url`.
fn extension<'a>(list: &'a [Extension], url: &str) -> Option<&'a Extension> {
    list.iter()
        .find(|extension| extension.url.as_deref() == Some(url))
}

/// `valueCodeableConcept` of an extension.
fn ext_concept(extension: &Extension) -> Option<&CodeableConcept> {
    match extension.value.as_ref()? {
        OpenType::CodeableConcept(concept) => Some(concept),
        _ => None,
    }
}

/// `valueReference` of an extension.
fn ext_reference(extension: &Extension) -> Option<&Reference> {
    match extension.value.as_ref()? {
        OpenType::Reference(reference) => Some(reference),
        _ => None,
    }
}

/// `valueString`, `valueCode`, `valueUri`, `valueUrl`, `valueCanonical` or `valueMarkdown`
/// of an extension.
fn ext_str(extension: &Extension) -> Option<&str> {
    match extension.value.as_ref()? {
        OpenType::String(value)
        | OpenType::Code(value)
        | OpenType::Uri(value)
        | OpenType::Url(value)
        | OpenType::Canonical(value)
        | OpenType::Markdown(value) => value.as_str(),
        _ => None,
    }
}

/// `valueBoolean` of an extension.
fn ext_bool(extension: &Extension) -> Option<bool> {
    match extension.value.as_ref()? {
        OpenType::Boolean(value) => value.value,
        _ => None,
    }
}

/// An extension with `url` and `value`.
fn new_extension(url: &str, value: OpenType) -> Extension {
    let mut extension = Extension::default();
    extension.url = Some(url.to_owned());
    extension.value = Some(value);
    extension
}

/// An extension with `url` made of the sub-extensions `parts`.
fn complex_extension(url: &str, parts: Vec<Extension>) -> Extension {
    let mut extension = Extension::default();
    extension.url = Some(url.to_owned());
    extension.extension = parts;
    extension
}

/// Whether `code` of `system` is in the value set the profile `profile` (canonical URL,
/// optionally `|version`) binds `element` (a snapshot element id with slice names,
/// `PractitionerRole.specialty`) to, as the validator checks it: enumerated codes code by
/// code, whole code systems by system. `false` when the profile or the element has no
/// required binding the validator knows, so that a builder never writes a code it cannot
/// vouch for.
fn in_required_binding(profile: &str, element: &str, system: &str, code: &str) -> bool {
    use crate::validate::model::{Node, ValueSet};

    fn find(nodes: &'static [Node], element: &str) -> Option<&'static ValueSet> {
        nodes.iter().find_map(|node| {
            if node.id == element {
                return node.binding;
            }
            let in_slices = node.slicing.and_then(|slicing| {
                slicing
                    .slices
                    .iter()
                    .find_map(|slice| find(std::slice::from_ref(&slice.node), element))
            });
            in_slices.or_else(|| find(node.children, element))
        })
    }

    let Some(value_set) = crate::profile(profile).and_then(|p| find(p.elements, element)) else {
        return false;
    };
    value_set.includes.iter().any(|include| {
        include.system == system
            && include
                .codes
                .is_none_or(|codes| codes.binary_search(&code).is_ok())
    })
}

/// `coding` has this system and code.
fn is_coding(coding: &Coding, system: &str, code: &str) -> bool {
    coding.system.as_str() == Some(system) && coding.code.as_str() == Some(code)
}

/// `concept` has a coding with this system and code.
fn has_coding(concept: Option<&CodeableConcept>, system: &str, code: &str) -> bool {
    concept.is_some_and(|c| {
        c.coding
            .iter()
            .any(|coding| is_coding(coding, system, code))
    })
}

/// The code of the first coding of `concept` in `system`.
fn code_in<'a>(concept: Option<&'a CodeableConcept>, system: &str) -> Option<&'a str> {
    concept?
        .coding
        .iter()
        .find(|coding| coding.system.as_str() == Some(system))?
        .code
        .as_str()
}

/// The identifiers whose type has a coding with this system and code, in document order.
fn identifiers_of_type<'a>(
    identifiers: &'a [Identifier],
    system: &'a str,
    code: &'a str,
) -> impl Iterator<Item = &'a Identifier> + use<'a> {
    identifiers
        .iter()
        .filter(move |identifier| has_coding(identifier.r#type.as_ref(), system, code))
}

/// The value of the first identifier of `system` (`us-npi`, ...).
fn identifier_value_in<'a>(identifiers: &'a [Identifier], system: &str) -> Option<&'a str> {
    identifiers
        .iter()
        .find(|identifier| identifier.system.as_str() == Some(system))?
        .value
        .as_str()
}

/// The name to address a person by: the `official` one, else the `usual` one, else the
/// first name that is not `old` (payer and EHR data often sends names without a `use`).
fn preferred_name(names: &[HumanName]) -> Option<&HumanName> {
    let with_use = |wanted: &str| names.iter().find(|n| n.r#use.as_str() == Some(wanted));
    with_use("official")
        .or_else(|| with_use("usual"))
        .or_else(|| names.iter().find(|n| n.r#use.as_str() != Some("old")))
}

/// The first identifier whose type has a coding with this system and code.
fn identifier_of_type<'a>(
    identifiers: &'a [Identifier],
    system: &str,
    code: &str,
) -> Option<&'a Identifier> {
    identifiers
        .iter()
        .find(|identifier| has_coding(identifier.r#type.as_ref(), system, code))
}

/// A coding with a system and a code.
fn coding(system: &str, code: &str) -> Coding {
    let mut coding = Coding::default();
    coding.system = system.into();
    coding.code = code.into();
    coding
}

/// A concept with one coding.
fn concept(coding: Coding) -> CodeableConcept {
    let mut concept = CodeableConcept::default();
    concept.coding.push(coding);
    concept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(value: &str, currency: &str) -> Result<Amount, fhir_model::Error> {
        Ok(Amount::new(Decimal::parse(value)?, currency))
    }

    #[test]
    fn scaled_parses_json_numbers_exactly() {
        let cases = [
            ("0", 0, 0),
            ("-0", 0, 0),
            ("620", 620, 0),
            ("7147.2", 71472, 1),
            ("-224.11", -22411, 2),
            ("1.5e2", 150, 0),
            ("15E-1", 15, 1),
            ("2.50e+1", 250, 1),
        ];
        for (text, units, scale) in cases {
            assert_eq!(Scaled::parse(text), Some(Scaled { units, scale }), "{text}");
        }
        assert_eq!(Scaled::parse("1e400"), None);
        assert_eq!(Scaled::parse("1e-31"), None);
        assert_eq!(
            Scaled::parse("99999999999999999999999999999999999999999"),
            None
        );
    }

    #[test]
    fn sums_are_exact_and_keep_the_finer_precision() -> Result<(), fhir_model::Error> {
        let sum = amount("0.1", "USD")?.checked_add(&amount("0.2", "USD")?);
        assert_eq!(sum.map(|s| s.to_string()).as_deref(), Some("0.3 USD"));
        let sum = amount("40.35", "USD")?.checked_add(&amount("-40.3", "USD")?);
        assert_eq!(sum.map(|s| s.value().to_string()).as_deref(), Some("0.05"));
        let sum = amount("-68.8", "USD")?.checked_add(&amount("68.8", "USD")?);
        assert_eq!(sum.map(|s| s.value().to_string()).as_deref(), Some("0.0"));
        assert_eq!(
            amount("1", "USD")?.checked_add(&amount("1", "EUR")?),
            None,
            "different currencies do not add"
        );
        Ok(())
    }

    #[test]
    fn cents_are_exact_or_none() -> Result<(), fhir_model::Error> {
        assert_eq!(amount("12.5", "USD")?.to_cents(), Some(1250));
        assert_eq!(amount("12.500", "USD")?.to_cents(), Some(1250));
        assert_eq!(amount("-0.05", "USD")?.to_cents(), Some(-5));
        assert_eq!(amount("1e2", "USD")?.to_cents(), Some(10000));
        assert_eq!(amount("12.505", "USD")?.to_cents(), None);
        assert_eq!(amount("1e30", "USD")?.to_cents(), None);
        let from_cents = Amount::from_cents(-1205, "USD");
        assert_eq!(from_cents.value().as_str(), "-12.05");
        assert_eq!(from_cents.to_cents(), Some(-1205));
        assert_eq!(Amount::from_cents(7, "USD").value().as_str(), "0.07");
        assert_eq!(
            Amount::from_cents(i64::MIN, "USD").to_cents(),
            Some(i64::MIN)
        );
        Ok(())
    }

    #[test]
    fn fhir_money_round_trips() -> Result<(), fhir_model::Error> {
        let original = amount("1393.57", "USD")?;
        assert_eq!(Amount::from_fhir(&original.to_fhir()), Some(original));
        let mut no_currency = Money::default();
        no_currency.value = Decimal::parse("0")?.into();
        let read = Amount::from_fhir(&no_currency);
        assert_eq!(read.as_ref().and_then(Amount::currency), None);
        assert_eq!(read.map(|a| a.to_string()).as_deref(), Some("0"));
        assert_eq!(Amount::from_fhir(&Money::default()), None);
        Ok(())
    }

    #[test]
    fn service_dates_widen_by_the_days_covered() -> Result<(), fhir_model::Error> {
        let mut dates = ServiceDates::default();
        dates.include(Some(Date::parse("2019-03-01")?), None);
        dates.include(Some(Date::parse("2019")?), Some(Date::parse("2019-02")?));
        dates.include(None, Some(Date::parse("2019-02-28")?));
        assert_eq!(dates.start, Some(Date::parse("2019")?));
        // 2019-02 ends with 2019-02-28, so the day does not move the end.
        assert_eq!(dates.end, Some(Date::parse("2019-02")?));
        Ok(())
    }
}
