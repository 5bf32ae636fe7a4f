//! `Immunization` in the US Core 6.1.0 profile `us-core-immunization`:
//! [`ImmunizationView`].

use fhir_model::datatypes::Reference;
use fhir_model::resources::{Immunization, ImmunizationOccurrence};
use fhir_model::{Date, Resource};

use super::super::{Code, Concept};
use super::ClinicalTime;

/// `us-core-immunization`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-immunization";
/// `http://hl7.org/fhir/sid/cvx`: CDC vaccine codes, which US Core requires.
pub const CVX: &str = "http://hl7.org/fhir/sid/cvx";

code_system! {
    /// `Immunization.status`: the codes of `http://hl7.org/fhir/event-status` the required
    /// value set `immunization-status` takes.
    ImmunizationStatus = "http://hl7.org/fhir/event-status" {
        /// Completed
        Completed = "completed", Some("Completed");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Not Done
        NotDone = "not-done", Some("Not Done");
    }
}

/// A read-only view of an `Immunization` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct ImmunizationView<'a> {
    immunization: &'a Immunization,
}

impl<'a> ImmunizationView<'a> {
    /// A view of `immunization`.
    pub fn new(immunization: &'a Immunization) -> ImmunizationView<'a> {
        ImmunizationView { immunization }
    }

    /// A view of `resource` if it is an `Immunization`.
    pub fn from_resource(resource: &'a Resource) -> Option<ImmunizationView<'a>> {
        resource.downcast_ref().map(ImmunizationView::new)
    }

    /// The resource itself.
    pub fn immunization(&self) -> &'a Immunization {
        self.immunization
    }

    /// `status`: completed, not done or entered in error.
    pub fn status(&self) -> Option<ImmunizationStatus> {
        self.immunization
            .status
            .as_str()
            .map(ImmunizationStatus::from_code)
    }

    /// `statusReason`: why it was not done.
    pub fn status_reason(&self) -> Option<Concept<'a>> {
        self.immunization.status_reason.as_ref().map(Concept::new)
    }

    /// `vaccineCode`: the vaccine (CVX, often with an NDC).
    pub fn vaccine_code(&self) -> Option<Concept<'a>> {
        self.immunization.vaccine_code.as_ref().map(Concept::new)
    }

    /// The CVX code of `vaccineCode`.
    pub fn cvx(&self) -> Option<Code<'a>> {
        self.vaccine_code()?.code_in(CVX)
    }

    /// `patient`.
    pub fn patient(&self) -> Option<&'a Reference> {
        self.immunization.patient.as_ref()
    }

    /// `encounter`.
    pub fn encounter(&self) -> Option<&'a Reference> {
        self.immunization.encounter.as_ref()
    }

    /// `occurrence[x]`: when it was given ([`ClinicalTime::At`]), or a text such as
    /// "childhood" ([`ClinicalTime::Text`]).
    pub fn occurrence(&self) -> Option<ClinicalTime<'a>> {
        match self.immunization.occurrence.as_ref()? {
            ImmunizationOccurrence::DateTime(at) => ClinicalTime::at(at.value),
            ImmunizationOccurrence::String(text) => text.as_str().map(ClinicalTime::Text),
            _ => None,
        }
    }

    /// `primarySource`: whether the record comes from whoever gave the vaccine.
    pub fn primary_source(&self) -> Option<bool> {
        self.immunization.primary_source.value
    }

    /// `location`.
    pub fn location(&self) -> Option<&'a Reference> {
        self.immunization.location.as_ref()
    }

    /// `lotNumber`.
    pub fn lot_number(&self) -> Option<&'a str> {
        self.immunization.lot_number.as_str()
    }

    /// `expirationDate` of the lot.
    pub fn expiration_date(&self) -> Option<Date> {
        self.immunization.expiration_date.value
    }
}
