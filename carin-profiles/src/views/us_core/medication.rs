//! `Medication` in the US Core 6.1.0 profile `us-core-medication`: [`MedicationView`].

use fhir_model::Resource;
use fhir_model::resources::Medication;

use super::super::{Code, Concept};
use super::medication_request::RXNORM;

/// `us-core-medication`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medication";

/// A read-only view of a `Medication` in US Core terms: its code.
#[derive(Clone, Copy, Debug)]
pub struct MedicationView<'a> {
    medication: &'a Medication,
}

impl<'a> MedicationView<'a> {
    /// A view of `medication`.
    pub fn new(medication: &'a Medication) -> MedicationView<'a> {
        MedicationView { medication }
    }

    /// A view of `resource` if it is a `Medication`.
    pub fn from_resource(resource: &'a Resource) -> Option<MedicationView<'a>> {
        resource.downcast_ref().map(MedicationView::new)
    }

    /// The resource itself.
    pub fn medication(&self) -> &'a Medication {
        self.medication
    }

    /// `code` (1..1): the medication, normally RxNorm.
    pub fn code(&self) -> Option<Concept<'a>> {
        self.medication.code.as_ref().map(Concept::new)
    }

    /// The RxNorm code of `code`.
    pub fn rxnorm(&self) -> Option<Code<'a>> {
        self.code()?.code_in(RXNORM)
    }
}
