//! `Observation` in the US Core 6.1.0 vital-signs, laboratory-result and clinical-result
//! profiles: [`ObservationView`] reads any of them, [`VitalSignsBuilder`] makes a vital
//! sign.
//!
//! Vital signs are told apart by their LOINC code ([`VitalSign`]): each has its own
//! profile derived from `us-core-vital-signs`, fixes the UCUM unit (or a few), and blood
//! pressure carries its readings in two components (systolic `8480-6`, diastolic `8462-4`)
//! instead of a value.
//!
//! ```
//! use carin_profiles::views::us_core::observation::{
//!     ObservationView, VitalSign, VitalSignsBuilder,
//! };
//! use fhir_model::datatypes::Reference;
//! use fhir_model::{DateTime, Decimal};
//!
//! let observation = VitalSignsBuilder::blood_pressure(
//!     Reference::to_resource("Patient", "example"),
//!     DateTime::parse("2024-03-01T09:30:00-05:00")?,
//!     Decimal::parse("118")?,
//!     Decimal::parse("76")?,
//! )
//! .build()?;
//! let view = ObservationView::new(&observation);
//! assert_eq!(view.vital_sign(), Some(VitalSign::BloodPressure));
//! let bp = view.blood_pressure().ok_or("no blood pressure")?;
//! assert_eq!(bp.systolic.map(|m| m.value.as_str()), Some("118"));
//! assert_eq!(bp.diastolic.and_then(|m| m.ucum()), Some("mm[Hg]"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use fhir_model::datatypes::{CodeableConcept, Meta, Quantity, Reference, SampledData};
use fhir_model::resources::{
    Observation, ObservationComponent, ObservationComponentValue, ObservationEffective,
    ObservationReferenceRange, ObservationValue,
};
use fhir_model::{DateTime, Decimal, Instant, Resource, Time};

use super::super::{Concept, Measurement, Span, coding, concept};
use super::{ClinicalTime, LOINC, US_CORE_VERSION};

/// `us-core-vital-signs`: the base of the vital-signs profiles.
pub const PROFILE_VITAL_SIGNS: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-vital-signs";
/// `us-core-observation-lab`: laboratory results.
pub const PROFILE_LAB_RESULT: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab";
/// `us-core-observation-clinical-result`: clinical results other than laboratory ones.
pub const PROFILE_CLINICAL_RESULT: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-clinical-result";

/// LOINC `8480-6`, the code of the systolic component of a blood pressure.
pub const SYSTOLIC: &str = "8480-6";
/// LOINC `8462-4`, the code of the diastolic component of a blood pressure.
pub const DIASTOLIC: &str = "8462-4";

code_system! {
    /// `Observation.status` (`http://hl7.org/fhir/observation-status`, required binding).
    ObservationStatus = "http://hl7.org/fhir/observation-status" {
        /// Registered
        Registered = "registered", Some("Registered");
        /// Preliminary
        Preliminary = "preliminary", Some("Preliminary");
        /// Final
        Final = "final", Some("Final");
        /// Amended
        Amended = "amended", Some("Amended");
        /// Corrected
        Corrected = "corrected", Some("Corrected");
        /// Cancelled
        Cancelled = "cancelled", Some("Cancelled");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

code_system! {
    /// The HL7 observation categories
    /// (`http://terminology.hl7.org/CodeSystem/observation-category`), the category of vital
    /// signs, laboratory and most clinical results.
    ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category" {
        /// Social History
        SocialHistory = "social-history", Some("Social History");
        /// Vital Signs
        VitalSigns = "vital-signs", Some("Vital Signs");
        /// Imaging
        Imaging = "imaging", Some("Imaging");
        /// Laboratory
        Laboratory = "laboratory", Some("Laboratory");
        /// Procedure
        Procedure = "procedure", Some("Procedure");
        /// Survey
        Survey = "survey", Some("Survey");
        /// Exam
        Exam = "exam", Some("Exam");
        /// Therapy
        Therapy = "therapy", Some("Therapy");
        /// Activity
        Activity = "activity", Some("Activity");
    }
}

/// A vital sign of US Core 6.1.0: each has a LOINC code and a profile of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VitalSign {
    /// Respiratory rate (`9279-1`, `/min`).
    RespiratoryRate,
    /// Heart rate (`8867-4`, `/min`).
    HeartRate,
    /// Body temperature (`8310-5`, `Cel` or `[degF]`).
    BodyTemperature,
    /// Body height (`8302-2`, `cm` or `[in_i]`).
    BodyHeight,
    /// Head circumference (`9843-4`, `cm` or `[in_i]`).
    HeadCircumference,
    /// Body weight (`29463-7`, `kg`, `[lb_av]` or `g`).
    BodyWeight,
    /// Body mass index (`39156-5`, `kg/m2`).
    Bmi,
    /// Blood pressure panel (`85354-9`): systolic and diastolic components in `mm[Hg]`.
    BloodPressure,
    /// Pulse oximetry (`59408-5` with `2708-6`, `%`).
    PulseOximetry,
    /// BMI percentile for age, 2 to 20 years (`59576-9`, `%`).
    PediatricBmiForAge,
    /// Weight-for-length percentile, birth to 36 months (`77606-2`, `%`).
    PediatricWeightForLength,
    /// Head circumference percentile, birth to 36 months (`8289-1`, `%`).
    HeadCircumferencePercentile,
}

impl VitalSign {
    /// Every vital sign.
    pub const ALL: [VitalSign; 12] = [
        VitalSign::RespiratoryRate,
        VitalSign::HeartRate,
        VitalSign::BodyTemperature,
        VitalSign::BodyHeight,
        VitalSign::HeadCircumference,
        VitalSign::BodyWeight,
        VitalSign::Bmi,
        VitalSign::BloodPressure,
        VitalSign::PulseOximetry,
        VitalSign::PediatricBmiForAge,
        VitalSign::PediatricWeightForLength,
        VitalSign::HeadCircumferencePercentile,
    ];

    /// The LOINC code the profile requires in `Observation.code` (for pulse oximetry the
    /// first of its two).
    pub fn loinc(self) -> &'static str {
        match self {
            VitalSign::RespiratoryRate => "9279-1",
            VitalSign::HeartRate => "8867-4",
            VitalSign::BodyTemperature => "8310-5",
            VitalSign::BodyHeight => "8302-2",
            VitalSign::HeadCircumference => "9843-4",
            VitalSign::BodyWeight => "29463-7",
            VitalSign::Bmi => "39156-5",
            VitalSign::BloodPressure => "85354-9",
            VitalSign::PulseOximetry => "59408-5",
            VitalSign::PediatricBmiForAge => "59576-9",
            VitalSign::PediatricWeightForLength => "77606-2",
            VitalSign::HeadCircumferencePercentile => "8289-1",
        }
    }

    /// The LOINC display.
    pub fn display(self) -> &'static str {
        match self {
            VitalSign::RespiratoryRate => "Respiratory rate",
            VitalSign::HeartRate => "Heart rate",
            VitalSign::BodyTemperature => "Body temperature",
            VitalSign::BodyHeight => "Body height",
            VitalSign::HeadCircumference => "Head Occipital-frontal circumference",
            VitalSign::BodyWeight => "Body weight",
            VitalSign::Bmi => "Body mass index (BMI) [Ratio]",
            VitalSign::BloodPressure => "Blood pressure panel with all children optional",
            VitalSign::PulseOximetry => "Oxygen saturation in Arterial blood by Pulse oximetry",
            VitalSign::PediatricBmiForAge => "Body mass index (BMI) [Percentile] Per age and sex",
            VitalSign::PediatricWeightForLength => "Weight-for-length Per age and sex",
            VitalSign::HeadCircumferencePercentile => {
                "Head Occipital-frontal circumference Percentile"
            }
        }
    }

    /// The vital sign whose profile requires LOINC `code`; pulse oximetry answers to both
    /// `59408-5` and `2708-6`.
    pub fn from_loinc(code: &str) -> Option<VitalSign> {
        if code == "2708-6" {
            return Some(VitalSign::PulseOximetry);
        }
        VitalSign::ALL.into_iter().find(|v| v.loinc() == code)
    }

    /// The canonical URL of the vital sign's US Core 6.1.0 profile.
    pub fn profile(self) -> &'static str {
        match self {
            VitalSign::RespiratoryRate => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-respiratory-rate"
            }
            VitalSign::HeartRate => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-heart-rate"
            }
            VitalSign::BodyTemperature => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-body-temperature"
            }
            VitalSign::BodyHeight => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-body-height"
            }
            VitalSign::HeadCircumference => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-head-circumference"
            }
            VitalSign::BodyWeight => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-body-weight"
            }
            VitalSign::Bmi => "http://hl7.org/fhir/us/core/StructureDefinition/us-core-bmi",
            VitalSign::BloodPressure => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure"
            }
            VitalSign::PulseOximetry => {
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-pulse-oximetry"
            }
            VitalSign::PediatricBmiForAge => {
                "http://hl7.org/fhir/us/core/StructureDefinition/pediatric-bmi-for-age"
            }
            VitalSign::PediatricWeightForLength => {
                "http://hl7.org/fhir/us/core/StructureDefinition/pediatric-weight-for-height"
            }
            VitalSign::HeadCircumferencePercentile => {
                "http://hl7.org/fhir/us/core/StructureDefinition/head-occipital-frontal-circumference-percentile"
            }
        }
    }

    /// The UCUM codes the profile allows for the value (for blood pressure, of each
    /// component): a fixed code, or the codes of the value set it requires
    /// (`ucum-bodyweight`, `ucum-bodytemp`, `ucum-bodylength`).
    pub fn units(self) -> &'static [&'static str] {
        match self {
            VitalSign::RespiratoryRate | VitalSign::HeartRate => &["/min"],
            VitalSign::BodyTemperature => &["Cel", "[degF]"],
            VitalSign::BodyHeight | VitalSign::HeadCircumference => &["cm", "[in_i]"],
            VitalSign::BodyWeight => &["kg", "[lb_av]", "g"],
            VitalSign::Bmi => &["kg/m2"],
            VitalSign::BloodPressure => &["mm[Hg]"],
            VitalSign::PulseOximetry
            | VitalSign::PediatricBmiForAge
            | VitalSign::PediatricWeightForLength
            | VitalSign::HeadCircumferencePercentile => &["%"],
        }
    }
}

impl fmt::Display for VitalSign {
    /// Writes the LOINC display.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

/// The value of an observation or a component (`value[x]`), typed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ObservedValue<'a> {
    /// `valueQuantity`: a measurement, kept exact.
    Quantity(Measurement<'a>),
    /// `valueCodeableConcept`: a coded result (`positive`, a SNOMED finding, ...).
    Concept(&'a CodeableConcept),
    /// `valueString`.
    String(&'a str),
    /// `valueBoolean`.
    Boolean(bool),
    /// `valueInteger`.
    Integer(i32),
    /// `valueRange`.
    Range {
        /// `low`.
        low: Option<Measurement<'a>>,
        /// `high`.
        high: Option<Measurement<'a>>,
    },
    /// `valueRatio`.
    Ratio {
        /// `numerator`.
        numerator: Option<Measurement<'a>>,
        /// `denominator`.
        denominator: Option<Measurement<'a>>,
    },
    /// `valueSampledData`.
    SampledData(&'a SampledData),
    /// `valueTime`.
    Time(Time),
    /// `valueDateTime`.
    DateTime(DateTime),
    /// `valuePeriod`.
    Period(Span),
}

impl<'a> ObservedValue<'a> {
    /// The measurement, when the value is a quantity.
    pub fn quantity(&self) -> Option<Measurement<'a>> {
        match self {
            ObservedValue::Quantity(measurement) => Some(*measurement),
            _ => None,
        }
    }

    /// A view of the coded value, when the value is a `CodeableConcept`.
    pub fn concept(&self) -> Option<Concept<'a>> {
        match self {
            ObservedValue::Concept(concept) => Some(Concept::new(concept)),
            _ => None,
        }
    }
}

/// Converts one of the two `value[x]` choice enums (same variants) to [`ObservedValue`].
macro_rules! observed_value {
    ($value:expr, $choice:ident) => {
        match $value {
            $choice::Quantity(q) => Measurement::from_quantity(q).map(ObservedValue::Quantity),
            $choice::CodeableConcept(c) => Some(ObservedValue::Concept(c)),
            $choice::String(s) => s.as_str().map(ObservedValue::String),
            $choice::Boolean(b) => b.value.map(ObservedValue::Boolean),
            $choice::Integer(i) => i.value.map(ObservedValue::Integer),
            $choice::Range(r) => Some(ObservedValue::Range {
                low: r.low.as_ref().and_then(Measurement::from_quantity),
                high: r.high.as_ref().and_then(Measurement::from_quantity),
            }),
            $choice::Ratio(r) => Some(ObservedValue::Ratio {
                numerator: r.numerator.as_ref().and_then(Measurement::from_quantity),
                denominator: r.denominator.as_ref().and_then(Measurement::from_quantity),
            }),
            $choice::SampledData(d) => Some(ObservedValue::SampledData(d)),
            $choice::Time(t) => t.value.map(ObservedValue::Time),
            $choice::DateTime(d) => d.value.map(ObservedValue::DateTime),
            $choice::Period(p) => Some(ObservedValue::Period(Span::from_period(p))),
            // A choice type a later FHIR version adds.
            _ => None,
        }
    };
}

/// One reference range (`referenceRange`): the bounds of normal (or of another meaning).
#[derive(Clone, Copy, Debug)]
pub struct ReferenceRange<'a> {
    range: &'a ObservationReferenceRange,
}

impl<'a> ReferenceRange<'a> {
    /// The range itself.
    pub fn range(&self) -> &'a ObservationReferenceRange {
        self.range
    }

    /// `low`: the lower bound, exact.
    pub fn low(&self) -> Option<Measurement<'a>> {
        self.range.low.as_ref().and_then(Measurement::from_quantity)
    }

    /// `high`: the upper bound, exact.
    pub fn high(&self) -> Option<Measurement<'a>> {
        self.range
            .high
            .as_ref()
            .and_then(Measurement::from_quantity)
    }

    /// `type`: what the range means (`referencerange-meaning#normal`, ...).
    pub fn meaning(&self) -> Option<Concept<'a>> {
        self.range.r#type.as_ref().map(Concept::new)
    }

    /// `text`: the range as text, when it cannot be given as bounds.
    pub fn text(&self) -> Option<&'a str> {
        self.range.text.as_str()
    }
}

/// One component of an observation (`component`), such as a blood pressure's systolic
/// reading.
#[derive(Clone, Copy, Debug)]
pub struct ComponentView<'a> {
    component: &'a ObservationComponent,
}

impl<'a> ComponentView<'a> {
    /// A view of `component`.
    pub fn new(component: &'a ObservationComponent) -> ComponentView<'a> {
        ComponentView { component }
    }

    /// The component itself.
    pub fn component(&self) -> &'a ObservationComponent {
        self.component
    }

    /// `code`: what was measured.
    pub fn code(&self) -> Option<Concept<'a>> {
        self.component.code.as_ref().map(Concept::new)
    }

    /// `value[x]`, typed.
    pub fn value(&self) -> Option<ObservedValue<'a>> {
        observed_value!(self.component.value.as_ref()?, ObservationComponentValue)
    }

    /// `valueQuantity`, exact.
    pub fn quantity(&self) -> Option<Measurement<'a>> {
        self.value()?.quantity()
    }

    /// `dataAbsentReason`: why there is no value.
    pub fn data_absent_reason(&self) -> Option<Concept<'a>> {
        self.component.data_absent_reason.as_ref().map(Concept::new)
    }

    /// `interpretation`: high, low, normal, ...
    pub fn interpretations(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.component.interpretation.iter().map(Concept::new)
    }
}

/// The two readings of a blood pressure, each `None` when absent (a `dataAbsentReason` in
/// its place, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BloodPressure<'a> {
    /// The systolic component's quantity (LOINC `8480-6`).
    pub systolic: Option<Measurement<'a>>,
    /// The diastolic component's quantity (LOINC `8462-4`).
    pub diastolic: Option<Measurement<'a>>,
}

/// A read-only view of an `Observation` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct ObservationView<'a> {
    observation: &'a Observation,
}

impl<'a> ObservationView<'a> {
    /// A view of `observation`.
    pub fn new(observation: &'a Observation) -> ObservationView<'a> {
        ObservationView { observation }
    }

    /// A view of `resource` if it is an `Observation`.
    pub fn from_resource(resource: &'a Resource) -> Option<ObservationView<'a>> {
        resource.downcast_ref().map(ObservationView::new)
    }

    /// The resource itself.
    pub fn observation(&self) -> &'a Observation {
        self.observation
    }

    /// `status`.
    pub fn status(&self) -> Option<ObservationStatus> {
        self.observation
            .status
            .as_str()
            .map(ObservationStatus::from_code)
    }

    /// `category`: every category, in document order.
    pub fn categories(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.observation.category.iter().map(Concept::new)
    }

    /// The HL7 observation categories among `category` (`vital-signs`, `laboratory`, ...).
    pub fn hl7_categories(&self) -> impl Iterator<Item = ObservationCategory> + use<'a> {
        self.observation
            .category
            .iter()
            .flat_map(|c| &c.coding)
            .filter_map(ObservationCategory::from_coding)
    }

    /// Whether a category is `category`.
    pub fn has_category(&self, category: &ObservationCategory) -> bool {
        self.hl7_categories().any(|c| c == *category)
    }

    /// `code`: what was observed.
    pub fn code(&self) -> Option<Concept<'a>> {
        self.observation.code.as_ref().map(Concept::new)
    }

    /// The LOINC code of `code`, if any.
    pub fn loinc(&self) -> Option<&'a str> {
        Some(self.code()?.code_in(LOINC)?.code)
    }

    /// The vital sign `code` names: the first LOINC coding that is a US Core vital sign.
    pub fn vital_sign(&self) -> Option<VitalSign> {
        self.code()?
            .codes()
            .filter(|code| code.system == Some(LOINC))
            .find_map(|code| VitalSign::from_loinc(code.code))
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.observation.subject.as_ref()
    }

    /// `encounter`.
    pub fn encounter(&self) -> Option<&'a Reference> {
        self.observation.encounter.as_ref()
    }

    /// `effective[x]`: when the observation applies (`effectiveTiming` is not read).
    pub fn effective(&self) -> Option<ClinicalTime<'a>> {
        match self.observation.effective.as_ref()? {
            ObservationEffective::DateTime(at) => ClinicalTime::at(at.value),
            ObservationEffective::Instant(at) => ClinicalTime::at(at.value.map(DateTime::Instant)),
            ObservationEffective::Period(period) => Some(ClinicalTime::period(period)),
            _ => None,
        }
    }

    /// `issued`: when the result was released.
    pub fn issued(&self) -> Option<&'a Instant> {
        self.observation.issued.value.as_ref()
    }

    /// `value[x]`, typed.
    pub fn value(&self) -> Option<ObservedValue<'a>> {
        observed_value!(self.observation.value.as_ref()?, ObservationValue)
    }

    /// `valueQuantity`, exact: a lab result's or a single vital sign's number and unit.
    pub fn quantity(&self) -> Option<Measurement<'a>> {
        self.value()?.quantity()
    }

    /// `dataAbsentReason`: why there is no value.
    pub fn data_absent_reason(&self) -> Option<Concept<'a>> {
        self.observation
            .data_absent_reason
            .as_ref()
            .map(Concept::new)
    }

    /// `interpretation`: high, low, normal, ... (`v3-ObservationInterpretation`).
    pub fn interpretations(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.observation.interpretation.iter().map(Concept::new)
    }

    /// `referenceRange`, in document order.
    pub fn reference_ranges(&self) -> impl Iterator<Item = ReferenceRange<'a>> + use<'a> {
        self.observation
            .reference_range
            .iter()
            .map(|range| ReferenceRange { range })
    }

    /// `specimen`: what a lab result was measured on.
    pub fn specimen(&self) -> Option<&'a Reference> {
        self.observation.specimen.as_ref()
    }

    /// `component`, in document order.
    pub fn components(&self) -> impl ExactSizeIterator<Item = ComponentView<'a>> + use<'a> {
        self.observation.component.iter().map(ComponentView::new)
    }

    /// The first component whose code has this system and code.
    pub fn component(&self, system: &str, code: &str) -> Option<ComponentView<'a>> {
        self.components()
            .find(|c| c.code().is_some_and(|concept| concept.has(system, code)))
    }

    /// The systolic and diastolic readings, when `code` is the blood pressure panel or a
    /// component is systolic or diastolic.
    pub fn blood_pressure(&self) -> Option<BloodPressure<'a>> {
        let systolic = self.component(LOINC, SYSTOLIC);
        let diastolic = self.component(LOINC, DIASTOLIC);
        let panel = self.vital_sign() == Some(VitalSign::BloodPressure);
        if !panel && systolic.is_none() && diastolic.is_none() {
            return None;
        }
        Some(BloodPressure {
            systolic: systolic.and_then(|c| c.quantity()),
            diastolic: diastolic.and_then(|c| c.quantity()),
        })
    }
}

/// Builds a US Core 6.1.0 vital-signs Observation: one of the single-value vital signs, or
/// a blood pressure with its two components.
///
/// The builder writes what the profiles require: `meta.profile` (the vital sign's profile,
/// `|6.1.0`), `status` (`final` unless set), the `vital-signs` category, the LOINC code(s),
/// `subject`, `effectiveDateTime` and the UCUM quantity. See the
/// [module documentation](self) for an example.
#[derive(Clone, Debug)]
pub struct VitalSignsBuilder {
    vital_sign: VitalSign,
    subject: Reference,
    effective: DateTime,
    readings: Readings,
    status: ObservationStatus,
    id: Option<String>,
    encounter: Option<Reference>,
}

/// The value(s) of a vital sign.
#[derive(Clone, Debug)]
enum Readings {
    Single {
        value: Decimal,
        unit: String,
    },
    BloodPressure {
        systolic: Decimal,
        diastolic: Decimal,
    },
}

impl VitalSignsBuilder {
    /// A single-value vital sign: `value` in the UCUM unit `unit` (one of
    /// [`VitalSign::units`]).
    pub fn new(
        vital_sign: VitalSign,
        subject: Reference,
        effective: DateTime,
        value: Decimal,
        unit: &str,
    ) -> VitalSignsBuilder {
        VitalSignsBuilder {
            vital_sign,
            subject,
            effective,
            readings: Readings::Single {
                value,
                unit: unit.to_owned(),
            },
            status: ObservationStatus::Final,
            id: None,
            encounter: None,
        }
    }

    /// A blood pressure of `systolic` over `diastolic` mm\[Hg\].
    pub fn blood_pressure(
        subject: Reference,
        effective: DateTime,
        systolic: Decimal,
        diastolic: Decimal,
    ) -> VitalSignsBuilder {
        VitalSignsBuilder {
            vital_sign: VitalSign::BloodPressure,
            subject,
            effective,
            readings: Readings::BloodPressure {
                systolic,
                diastolic,
            },
            status: ObservationStatus::Final,
            id: None,
            encounter: None,
        }
    }

    /// The logical id (`id`).
    pub fn id(mut self, id: &str) -> VitalSignsBuilder {
        self.id = Some(id.to_owned());
        self
    }

    /// `status`; `final` by default.
    pub fn status(mut self, status: ObservationStatus) -> VitalSignsBuilder {
        self.status = status;
        self
    }

    /// `encounter`: the visit the reading was taken at.
    pub fn encounter(mut self, encounter: Reference) -> VitalSignsBuilder {
        self.encounter = Some(encounter);
        self
    }

    /// The Observation, or the first reason it would not conform to the profile.
    pub fn build(self) -> Result<Observation, VitalSignsError> {
        if let ObservationStatus::Other(code) = &self.status {
            // ValueSet observation-status (required).
            return Err(VitalSignsError::CodeNotAllowed {
                element: "status",
                code: code.clone(),
            });
        }
        // vs-1: a dateTime effective[x] is precise to the day at least.
        if self.effective.precision() < fhir_model::datetime::DateTimePrecision::Day {
            return Err(VitalSignsError::ImpreciseEffective(self.effective));
        }
        let vital_sign = self.vital_sign;
        let mut observation = Observation::default();
        observation.id = self.id;
        let mut meta = Meta::default();
        meta.profile
            .push(format!("{}|{US_CORE_VERSION}", vital_sign.profile()).into());
        observation.meta = Some(meta);
        observation.status = self.status.code().into();
        observation
            .category
            .push(concept(ObservationCategory::VitalSigns.to_coding()));
        let mut code = concept(loinc(vital_sign.loinc(), vital_sign.display()));
        if vital_sign == VitalSign::PulseOximetry {
            code.coding
                .push(loinc("2708-6", "Oxygen saturation in Arterial blood"));
        }
        code.text = vital_sign.display().into();
        observation.code = Some(code);
        observation.subject = Some(self.subject);
        observation.encounter = self.encounter;
        observation.effective = Some(ObservationEffective::DateTime(self.effective.into()));
        match self.readings {
            Readings::Single { value, unit } => {
                if vital_sign == VitalSign::BloodPressure {
                    return Err(VitalSignsError::BloodPressureNeedsComponents);
                }
                check_unit(vital_sign, &unit)?;
                observation.value = Some(ObservationValue::Quantity(Box::new(ucum(value, &unit))));
            }
            Readings::BloodPressure {
                systolic,
                diastolic,
            } => {
                for (reading, code, display) in [
                    (systolic, SYSTOLIC, "Systolic blood pressure"),
                    (diastolic, DIASTOLIC, "Diastolic blood pressure"),
                ] {
                    let mut component = ObservationComponent::default();
                    component.code = Some(concept(loinc(code, display)));
                    component.value = Some(ObservationComponentValue::Quantity(Box::new(ucum(
                        reading, "mm[Hg]",
                    ))));
                    observation.component.push(component);
                }
            }
        }
        Ok(observation)
    }
}

/// Why [`VitalSignsBuilder::build`] could not make a conformant Observation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VitalSignsError {
    /// A code outside the value set the profile requires for the element.
    CodeNotAllowed {
        /// The element, as a path below `Observation` with slice names.
        element: &'static str,
        /// The code given.
        code: String,
    },
    /// A UCUM unit the vital sign's profile does not allow ([`VitalSign::units`]).
    UnitNotAllowed {
        /// The vital sign.
        vital_sign: VitalSign,
        /// The unit given.
        unit: String,
    },
    /// `effective` less precise than a day (invariant `vs-1`).
    ImpreciseEffective(DateTime),
    /// A blood pressure built with [`VitalSignsBuilder::new`]: it needs its two readings,
    /// given to [`VitalSignsBuilder::blood_pressure`].
    BloodPressureNeedsComponents,
}

impl fmt::Display for VitalSignsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VitalSignsError::CodeNotAllowed { element, code } => {
                write!(f, "code {code:?} is not allowed in Observation.{element}")
            }
            VitalSignsError::UnitNotAllowed { vital_sign, unit } => write!(
                f,
                "unit {unit:?} is not allowed for {vital_sign} (allowed: {})",
                vital_sign.units().join(", ")
            ),
            VitalSignsError::ImpreciseEffective(effective) => write!(
                f,
                "effective {effective:?} is not precise to the day (vs-1)"
            ),
            VitalSignsError::BloodPressureNeedsComponents => f.write_str(
                "a blood pressure needs systolic and diastolic readings: use \
                 VitalSignsBuilder::blood_pressure",
            ),
        }
    }
}

impl std::error::Error for VitalSignsError {}

/// `Err(UnitNotAllowed)` unless `unit` is one the profile of `vital_sign` allows.
fn check_unit(vital_sign: VitalSign, unit: &str) -> Result<(), VitalSignsError> {
    if vital_sign.units().contains(&unit) {
        Ok(())
    } else {
        Err(VitalSignsError::UnitNotAllowed {
            vital_sign,
            unit: unit.to_owned(),
        })
    }
}

/// A LOINC coding with a display.
fn loinc(code: &str, display: &str) -> fhir_model::datatypes::Coding {
    let mut coding = coding(LOINC, code);
    coding.display = display.into();
    coding
}

/// A UCUM quantity, with the unit as people write it.
fn ucum(value: Decimal, code: &str) -> Quantity {
    let unit = match code {
        "mm[Hg]" => "mmHg",
        "[lb_av]" => "lb",
        "[in_i]" => "in",
        "Cel" => "C",
        "[degF]" => "F",
        "/min" => "/min",
        other => other,
    };
    let mut quantity = Quantity::default();
    quantity.value = value.into();
    quantity.unit = unit.into();
    quantity.system = Measurement::UCUM.into();
    quantity.code = code.into();
    quantity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vital_sign_round_trips_through_its_loinc_code() {
        for vital_sign in VitalSign::ALL {
            assert_eq!(VitalSign::from_loinc(vital_sign.loinc()), Some(vital_sign));
            assert!(
                crate::profile(&format!("{}|6.1.0", vital_sign.profile())).is_some(),
                "{vital_sign:?}: no US Core 6.1.0 profile {}",
                vital_sign.profile()
            );
        }
        assert_eq!(
            VitalSign::from_loinc("2708-6"),
            Some(VitalSign::PulseOximetry)
        );
        assert_eq!(VitalSign::from_loinc("718-7"), None);
    }

    #[test]
    fn units_of_value_set_bound_vital_signs_are_the_validators() {
        let bound = [
            VitalSign::BodyWeight,
            VitalSign::BodyTemperature,
            VitalSign::BodyHeight,
            VitalSign::HeadCircumference,
        ];
        for vital_sign in bound {
            let profile = format!("{}|6.1.0", vital_sign.profile());
            let allowed = |unit: &str| {
                crate::views::in_required_binding(
                    &profile,
                    "Observation.value[x]:valueQuantity.code",
                    Measurement::UCUM,
                    unit,
                )
            };
            for unit in vital_sign.units() {
                assert!(allowed(unit), "{vital_sign:?} {unit}");
            }
            assert!(!allowed("mg"), "{vital_sign:?} mg");
        }
    }
}
