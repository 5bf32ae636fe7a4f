//! Views of the US Core 6.1.0 profiles, and a vital-signs builder.
//!
//! | view | resource | US Core 6.1.0 profiles |
//! |---|---|---|
//! | [`observation::ObservationView`] | `Observation` | vital signs (blood pressure, body weight, ...), laboratory result, clinical result |
//! | [`condition::ConditionView`] | `Condition` | problems and health concerns, encounter diagnosis |
//! | [`allergy_intolerance::AllergyIntoleranceView`] | `AllergyIntolerance` | us-core-allergyintolerance |
//! | [`immunization::ImmunizationView`] | `Immunization` | us-core-immunization |
//! | [`medication_request::MedicationRequestView`] | `MedicationRequest` | us-core-medicationrequest |
//! | [`encounter::EncounterView`] | `Encounter` | us-core-encounter |
//! | [`procedure::ProcedureView`] | `Procedure` | us-core-procedure |
//! | [`diagnostic_report::DiagnosticReportView`] | `DiagnosticReport` | lab report, report and note exchange |
//! | [`document_reference::DocumentReferenceView`] | `DocumentReference` | us-core-documentreference |
//! | [`goal::GoalView`] | `Goal` | us-core-goal |
//! | [`care_plan::CarePlanView`] | `CarePlan` | us-core-careplan |
//! | [`care_team::CareTeamView`] | `CareTeam` | us-core-careteam |
//! | [`device::ImplantableDeviceView`] | `Device` | us-core-implantable-device |
//! | [`medication::MedicationView`] | `Medication` | us-core-medication |
//! | [`medication_dispense::MedicationDispenseView`] | `MedicationDispense` | us-core-medicationdispense |
//! | [`service_request::ServiceRequestView`] | `ServiceRequest` | us-core-servicerequest |
//! | [`specimen::SpecimenView`] | `Specimen` | us-core-specimen |
//! | [`provenance::ProvenanceView`] | `Provenance` | us-core-provenance |
//! | [`coverage::CoverageView`] (CARIN's) | `Coverage` | us-core-coverage |
//! | [`organization::OrganizationView`] (CARIN's) | `Organization` | us-core-organization |
//! | [`practitioner::PractitionerView`] (CARIN's) | `Practitioner` | us-core-practitioner |
//! | [`related_person::RelatedPersonView`] (CARIN's) | `RelatedPerson` | us-core-relatedperson |
//! | [`location::LocationView`] (Plan-Net's) | `Location` | us-core-location |
//! | [`practitioner_role::PractitionerRoleView`] (Plan-Net's) | `PractitionerRole` | us-core-practitionerrole |
//!
//! Where CARIN or Plan-Net already has a view of the resource type that reads every US
//! Core must-support element, the module re-exports it with the US Core `PROFILE`.
//!
//! Each view reads the profile's must-support elements: codes as [`Concept`]s (whose
//! codings are (system, code, display) [`Code`]s), statuses bound to a required value set as
//! enums that keep unknown codes, dates as `fhir_model` [`DateTime`]s with the precision
//! sent, quantities as exact [`Measurement`]s. [`observation::VitalSignsBuilder`] builds a
//! vital-signs Observation that validates against its US Core 6.1.0 profile.
//!
//! Profiles: <http://hl7.org/fhir/us/core/STU6.1/profiles-and-extensions.html>.
//!
//! [`Concept`]: super::Concept
//! [`Code`]: super::Code
//! [`Measurement`]: super::Measurement

/// Converts a `[x]` choice enum with the variants `DateTime`, `Period`, `Age`, `Range` and
/// `String` (`Condition.onset[x]`, `Procedure.performed[x]`, ...) to a [`ClinicalTime`].
macro_rules! clinical_time {
    ($value:expr, $choice:ident) => {
        match $value {
            $choice::DateTime(at) => $crate::views::us_core::ClinicalTime::at(at.value),
            $choice::Period(period) => Some($crate::views::us_core::ClinicalTime::period(period)),
            $choice::Age(age) => $crate::views::Measurement::from_age(age)
                .map($crate::views::us_core::ClinicalTime::Age),
            $choice::Range(range) => Some($crate::views::us_core::ClinicalTime::age_range(range)),
            $choice::String(text) => text
                .as_str()
                .map($crate::views::us_core::ClinicalTime::Text),
            // A choice type a later FHIR version adds.
            _ => None,
        }
    };
}

pub mod allergy_intolerance;
pub mod care_plan;
pub mod care_team;
pub mod condition;
pub mod coverage;
pub mod device;
pub mod diagnostic_report;
pub mod document_reference;
pub mod encounter;
pub mod goal;
pub mod immunization;
pub mod location;
pub mod medication;
pub mod medication_dispense;
pub mod medication_request;
pub mod observation;
pub mod organization;
pub mod practitioner;
pub mod practitioner_role;
pub mod procedure;
pub mod provenance;
pub mod related_person;
pub mod service_request;
pub mod specimen;

use fhir_model::datatypes::{Attachment, Period, Range};
use fhir_model::{DateTime, Resource};

use super::{Measurement, Span};

/// The US Core version these views follow and the builder writes into `meta.profile`.
pub const US_CORE_VERSION: &str = "6.1.0";

/// `http://loinc.org`: LOINC, the code system of observation and document codes.
pub const LOINC: &str = "http://loinc.org";
/// `http://snomed.info/sct`: SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";

/// When something clinical happened, in whichever form the resource gives it: a choice
/// element such as `Observation.effective[x]`, `Condition.onset[x]` or
/// `Procedure.performed[x]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClinicalTime<'a> {
    /// A point in time (`…DateTime`, `…Instant`), with the precision it was sent with.
    At(DateTime),
    /// A period (`…Period`).
    Period(Span),
    /// The patient's age at the time (`…Age`).
    Age(Measurement<'a>),
    /// A range of ages (`…Range`).
    AgeRange {
        /// `low`.
        low: Option<Measurement<'a>>,
        /// `high`.
        high: Option<Measurement<'a>>,
    },
    /// Free text (`…String`), such as "childhood".
    Text(&'a str),
}

impl<'a> ClinicalTime<'a> {
    /// When it started: the point, or the period's start; `None` for ages and text.
    pub fn start(&self) -> Option<DateTime> {
        match self {
            ClinicalTime::At(at) => Some(*at),
            ClinicalTime::Period(span) => span.start,
            _ => None,
        }
    }

    /// When it ended: the point, or the period's end; `None` for ages and text.
    pub fn end(&self) -> Option<DateTime> {
        match self {
            ClinicalTime::At(at) => Some(*at),
            ClinicalTime::Period(span) => span.end,
            _ => None,
        }
    }

    fn at(at: Option<DateTime>) -> Option<ClinicalTime<'a>> {
        at.map(ClinicalTime::At)
    }

    fn period(period: &Period) -> ClinicalTime<'a> {
        ClinicalTime::Period(Span::from_period(period))
    }

    fn age_range(range: &'a Range) -> ClinicalTime<'a> {
        ClinicalTime::AgeRange {
            low: range.low.as_ref().and_then(Measurement::from_quantity),
            high: range.high.as_ref().and_then(Measurement::from_quantity),
        }
    }
}

/// A read-only view of an `Attachment`: a document's or report's content, inline or by URL.
#[derive(Clone, Copy, Debug)]
pub struct AttachmentView<'a> {
    attachment: &'a Attachment,
}

impl<'a> AttachmentView<'a> {
    /// A view of `attachment`.
    pub fn new(attachment: &'a Attachment) -> AttachmentView<'a> {
        AttachmentView { attachment }
    }

    /// The attachment itself.
    pub fn attachment(&self) -> &'a Attachment {
        self.attachment
    }

    /// `contentType`: the MIME type (`application/pdf`, `text/plain`, ...).
    pub fn content_type(&self) -> Option<&'a str> {
        self.attachment.content_type.as_str()
    }

    /// `url`: where the content is (absolute, or relative to the server's base such as
    /// `Binary/123`).
    pub fn url(&self) -> Option<&'a str> {
        self.attachment.url.as_str()
    }

    /// `data`: the content inline, base64-encoded as sent.
    pub fn data_base64(&self) -> Option<&'a str> {
        self.attachment.data.as_str()
    }

    /// `title`.
    pub fn title(&self) -> Option<&'a str> {
        self.attachment.title.as_str()
    }

    /// `size` in bytes, when the sender gave it.
    pub fn size(&self) -> Option<u32> {
        self.attachment.size.value
    }

    /// `creation`: when the content was first created.
    pub fn creation(&self) -> Option<DateTime> {
        self.attachment.creation.value
    }
}

/// The medication, practitioner, ... a `#id` reference points to among `contained`.
fn contained<'a, T: fhir_model::TypedResource>(
    reference: &fhir_model::datatypes::Reference,
    contained: &'a [Resource],
) -> Option<&'a T> {
    reference.resolve_contained(contained)?.downcast_ref()
}
