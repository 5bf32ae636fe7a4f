//! `MedicationDispense` in the US Core 6.1.0 profile `us-core-medicationdispense`:
//! [`MedicationDispenseView`].

use fhir_model::datatypes::Reference;
use fhir_model::resources::{Medication, MedicationDispense, MedicationDispenseMedication};
use fhir_model::{DateTime, Resource};

use super::super::{Code, Concept, Measurement};
use super::contained;
use super::medication_request::{DosageView, MedicationChoice, RXNORM};

/// `us-core-medicationdispense`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationdispense";

code_system! {
    /// `MedicationDispense.status`
    /// (`http://terminology.hl7.org/CodeSystem/medicationdispense-status`, required binding).
    MedicationDispenseStatus = "http://terminology.hl7.org/CodeSystem/medicationdispense-status" {
        /// Preparation
        Preparation = "preparation", Some("Preparation");
        /// In Progress
        InProgress = "in-progress", Some("In Progress");
        /// Cancelled
        Cancelled = "cancelled", Some("Cancelled");
        /// On Hold
        OnHold = "on-hold", Some("On Hold");
        /// Completed
        Completed = "completed", Some("Completed");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Stopped
        Stopped = "stopped", Some("Stopped");
        /// Declined
        Declined = "declined", Some("Declined");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

/// A read-only view of a `MedicationDispense` in US Core terms: what the pharmacy handed
/// over, when, to whom, on which prescription.
#[derive(Clone, Copy, Debug)]
pub struct MedicationDispenseView<'a> {
    dispense: &'a MedicationDispense,
}

impl<'a> MedicationDispenseView<'a> {
    /// A view of `dispense`.
    pub fn new(dispense: &'a MedicationDispense) -> MedicationDispenseView<'a> {
        MedicationDispenseView { dispense }
    }

    /// A view of `resource` if it is a `MedicationDispense`.
    pub fn from_resource(resource: &'a Resource) -> Option<MedicationDispenseView<'a>> {
        resource.downcast_ref().map(MedicationDispenseView::new)
    }

    /// The resource itself.
    pub fn dispense(&self) -> &'a MedicationDispense {
        self.dispense
    }

    /// `status`: completed, in progress, ...
    pub fn status(&self) -> Option<MedicationDispenseStatus> {
        self.dispense
            .status
            .as_str()
            .map(MedicationDispenseStatus::from_code)
    }

    /// `medication[x]` as sent.
    pub fn medication(&self) -> Option<MedicationChoice<'a>> {
        match self.dispense.medication.as_ref()? {
            MedicationDispenseMedication::CodeableConcept(code) => {
                Some(MedicationChoice::Code(code))
            }
            MedicationDispenseMedication::Reference(reference) => {
                Some(MedicationChoice::Reference(reference))
            }
            _ => None,
        }
    }

    /// The medication's code: `medicationCodeableConcept`, or the `code` of the contained
    /// `Medication` that `medicationReference` points to; `None` for a Medication on the
    /// server.
    pub fn medication_code(&self) -> Option<Concept<'a>> {
        match self.medication()? {
            MedicationChoice::Code(code) => Some(Concept::new(code)),
            MedicationChoice::Reference(reference) => {
                let medication: &Medication = contained(reference, &self.dispense.contained)?;
                medication.code.as_ref().map(Concept::new)
            }
        }
    }

    /// The RxNorm code of [`MedicationDispenseView::medication_code`].
    pub fn rxnorm(&self) -> Option<Code<'a>> {
        self.medication_code()?.code_in(RXNORM)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.dispense.subject.as_ref()
    }

    /// `performer.actor`: who dispensed, in document order.
    pub fn performers(&self) -> impl Iterator<Item = &'a Reference> + use<'a> {
        self.dispense
            .performer
            .iter()
            .filter_map(|performer| performer.actor.as_ref())
    }

    /// `authorizingPrescription`: the MedicationRequests dispensed against.
    pub fn authorizing_prescriptions(&self) -> &'a [Reference] {
        &self.dispense.authorizing_prescription
    }

    /// `type`: first fill, refill, ... (`v3-ActCode`).
    pub fn dispense_type(&self) -> Option<Concept<'a>> {
        self.dispense.r#type.as_ref().map(Concept::new)
    }

    /// `quantity`: how much was dispensed.
    pub fn quantity(&self) -> Option<Measurement<'a>> {
        Measurement::from_quantity(self.dispense.quantity.as_ref()?)
    }

    /// `whenHandedOver`.
    pub fn when_handed_over(&self) -> Option<DateTime> {
        self.dispense.when_handed_over.value
    }

    /// `dosageInstruction`, in document order.
    pub fn dosage_instructions(&self) -> impl Iterator<Item = DosageView<'a>> + use<'a> {
        self.dispense.dosage_instruction.iter().map(DosageView::new)
    }
}
