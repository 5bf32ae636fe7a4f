//! `MedicationRequest` in the US Core 6.1.0 profile `us-core-medicationrequest`:
//! [`MedicationRequestView`].

use fhir_model::datatypes::{CodeableConcept, Dosage, DosageDoseAndRateDose, Reference, Timing};
use fhir_model::resources::{
    Medication, MedicationRequest, MedicationRequestMedication, MedicationRequestReported,
};
use fhir_model::{DateTime, Resource};

use super::super::{Code, Concept, Measurement};
use super::contained;

/// `us-core-medicationrequest`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest";
/// `http://www.nlm.nih.gov/research/umls/rxnorm`: RxNorm, which US Core requires.
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

code_system! {
    /// `MedicationRequest.status`
    /// (`http://hl7.org/fhir/CodeSystem/medicationrequest-status`, required binding).
    MedicationRequestStatus = "http://hl7.org/fhir/CodeSystem/medicationrequest-status" {
        /// Active
        Active = "active", Some("Active");
        /// On Hold
        OnHold = "on-hold", Some("On Hold");
        /// Cancelled
        Cancelled = "cancelled", Some("Cancelled");
        /// Completed
        Completed = "completed", Some("Completed");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Stopped
        Stopped = "stopped", Some("Stopped");
        /// Draft
        Draft = "draft", Some("Draft");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

code_system! {
    /// `MedicationRequest.intent`
    /// (`http://hl7.org/fhir/CodeSystem/medicationrequest-intent`, required binding).
    MedicationRequestIntent = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent" {
        /// Proposal
        Proposal = "proposal", Some("Proposal");
        /// Plan
        Plan = "plan", Some("Plan");
        /// Order
        Order = "order", Some("Order");
        /// Original Order
        OriginalOrder = "original-order", Some("Original Order");
        /// Reflex Order
        ReflexOrder = "reflex-order", Some("Reflex Order");
        /// Filler Order
        FillerOrder = "filler-order", Some("Filler Order");
        /// Instance Order
        InstanceOrder = "instance-order", Some("Instance Order");
        /// Option
        OptionCode = "option", Some("Option");
    }
}

code_system! {
    /// `MedicationRequest.category:us-core`
    /// (`http://terminology.hl7.org/CodeSystem/medicationrequest-category`, required binding).
    MedicationRequestCategory = "http://terminology.hl7.org/CodeSystem/medicationrequest-category" {
        /// Inpatient
        Inpatient = "inpatient", Some("Inpatient");
        /// Outpatient
        Outpatient = "outpatient", Some("Outpatient");
        /// Community
        Community = "community", Some("Community");
        /// Discharge
        Discharge = "discharge", Some("Discharge");
    }
}

/// The medication ordered (`medication[x]`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum MedicationChoice<'a> {
    /// `medicationCodeableConcept`: the code (RxNorm).
    Code(&'a CodeableConcept),
    /// `medicationReference`: a `Medication`, contained (`#id`) or on the server.
    Reference(&'a Reference),
}

/// Who reported a request the prescriber did not enter (`reported[x]`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Reported<'a> {
    /// `reportedBoolean`: whether it was reported rather than primary.
    Boolean(bool),
    /// `reportedReference`: who reported it.
    Source(&'a Reference),
}

/// A read-only view of a `MedicationRequest` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct MedicationRequestView<'a> {
    request: &'a MedicationRequest,
}

impl<'a> MedicationRequestView<'a> {
    /// A view of `request`.
    pub fn new(request: &'a MedicationRequest) -> MedicationRequestView<'a> {
        MedicationRequestView { request }
    }

    /// A view of `resource` if it is a `MedicationRequest`.
    pub fn from_resource(resource: &'a Resource) -> Option<MedicationRequestView<'a>> {
        resource.downcast_ref().map(MedicationRequestView::new)
    }

    /// The resource itself.
    pub fn request(&self) -> &'a MedicationRequest {
        self.request
    }

    /// `status`.
    pub fn status(&self) -> Option<MedicationRequestStatus> {
        self.request
            .status
            .as_str()
            .map(MedicationRequestStatus::from_code)
    }

    /// `intent`: order, plan, proposal, ...
    pub fn intent(&self) -> Option<MedicationRequestIntent> {
        self.request
            .intent
            .as_str()
            .map(MedicationRequestIntent::from_code)
    }

    /// The `category` codings of the HL7 medication request categories (inpatient,
    /// outpatient, community, discharge).
    pub fn categories(&self) -> impl Iterator<Item = MedicationRequestCategory> + use<'a> {
        self.request
            .category
            .iter()
            .flat_map(|c| &c.coding)
            .filter_map(MedicationRequestCategory::from_coding)
    }

    /// `reported[x]`.
    pub fn reported(&self) -> Option<Reported<'a>> {
        match self.request.reported.as_ref()? {
            MedicationRequestReported::Boolean(reported) => reported.value.map(Reported::Boolean),
            MedicationRequestReported::Reference(source) => Some(Reported::Source(source)),
            _ => None,
        }
    }

    /// `medication[x]` as sent.
    pub fn medication(&self) -> Option<MedicationChoice<'a>> {
        match self.request.medication.as_ref()? {
            MedicationRequestMedication::CodeableConcept(code) => {
                Some(MedicationChoice::Code(code))
            }
            MedicationRequestMedication::Reference(reference) => {
                Some(MedicationChoice::Reference(reference))
            }
            _ => None,
        }
    }

    /// The medication's code: `medicationCodeableConcept`, or the `code` of a contained
    /// `Medication` that `medicationReference` points to (`#id`). `None` for a reference to
    /// a Medication on the server, which the app must fetch.
    pub fn medication_code(&self) -> Option<Concept<'a>> {
        match self.medication()? {
            MedicationChoice::Code(code) => Some(Concept::new(code)),
            MedicationChoice::Reference(reference) => {
                let medication: &Medication = contained(reference, &self.request.contained)?;
                medication.code.as_ref().map(Concept::new)
            }
        }
    }

    /// The RxNorm code of [`MedicationRequestView::medication_code`].
    pub fn rxnorm(&self) -> Option<Code<'a>> {
        self.medication_code()?.code_in(RXNORM)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.request.subject.as_ref()
    }

    /// `encounter`.
    pub fn encounter(&self) -> Option<&'a Reference> {
        self.request.encounter.as_ref()
    }

    /// `authoredOn`: when it was written.
    pub fn authored_on(&self) -> Option<DateTime> {
        self.request.authored_on.value
    }

    /// `requester`: the prescriber.
    pub fn requester(&self) -> Option<&'a Reference> {
        self.request.requester.as_ref()
    }

    /// `reasonCode`: why it was prescribed.
    pub fn reason_codes(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.request.reason_code.iter().map(Concept::new)
    }

    /// `reasonReference`: the conditions or observations it was prescribed for.
    pub fn reason_references(&self) -> &'a [Reference] {
        &self.request.reason_reference
    }

    /// `dosageInstruction`, in document order.
    pub fn dosage_instructions(&self) -> impl Iterator<Item = DosageView<'a>> + use<'a> {
        self.request
            .dosage_instruction
            .iter()
            .map(|dosage| DosageView { dosage })
    }

    /// `dispenseRequest.numberOfRepeatsAllowed`: refills.
    pub fn refills(&self) -> Option<u32> {
        self.request
            .dispense_request
            .as_ref()?
            .number_of_repeats_allowed
            .value
    }

    /// `dispenseRequest.quantity`: the amount per fill.
    pub fn dispense_quantity(&self) -> Option<Measurement<'a>> {
        Measurement::from_quantity(self.request.dispense_request.as_ref()?.quantity.as_ref()?)
    }

    /// `dispenseRequest.expectedSupplyDuration`: how long a fill lasts.
    pub fn expected_supply_duration(&self) -> Option<Measurement<'a>> {
        Measurement::from_duration(
            self.request
                .dispense_request
                .as_ref()?
                .expected_supply_duration
                .as_ref()?,
        )
    }
}

/// One dosage instruction (`dosageInstruction`).
#[derive(Clone, Copy, Debug)]
pub struct DosageView<'a> {
    dosage: &'a Dosage,
}

/// One dose (`doseAndRate.dose[x]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dose<'a> {
    /// `doseQuantity`.
    Quantity(Measurement<'a>),
    /// `doseRange`.
    Range {
        /// `low`.
        low: Option<Measurement<'a>>,
        /// `high`.
        high: Option<Measurement<'a>>,
    },
}

impl<'a> DosageView<'a> {
    /// A view of `dosage`.
    pub fn new(dosage: &'a Dosage) -> DosageView<'a> {
        DosageView { dosage }
    }

    /// The dosage itself.
    pub fn dosage(&self) -> &'a Dosage {
        self.dosage
    }

    /// `text`: the instructions as written ("10 mL bid").
    pub fn text(&self) -> Option<&'a str> {
        self.dosage.text.as_str()
    }

    /// `timing`: when to take it.
    pub fn timing(&self) -> Option<&'a Timing> {
        self.dosage.timing.as_ref()
    }

    /// `doseAndRate.dose[x]`, in document order.
    pub fn doses(&self) -> impl Iterator<Item = Dose<'a>> + use<'a> {
        self.dosage
            .dose_and_rate
            .iter()
            .filter_map(|dose_and_rate| match dose_and_rate.dose.as_ref()? {
                DosageDoseAndRateDose::Quantity(q) => {
                    Measurement::from_quantity(q).map(Dose::Quantity)
                }
                DosageDoseAndRateDose::Range(range) => Some(Dose::Range {
                    low: range.low.as_ref().and_then(Measurement::from_quantity),
                    high: range.high.as_ref().and_then(Measurement::from_quantity),
                }),
                _ => None,
            })
    }
}
