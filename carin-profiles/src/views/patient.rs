//! `Patient` in the CARIN Blue Button 2.0.0 profile `C4BB-Patient`
//! (<http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient>): [`PatientView`].

use fhir_model::datatypes::{HumanName, Identifier};
use fhir_model::resources::Patient;
use fhir_model::{Date, Resource};

use super::{V2_IDENTIFIER_TYPE, identifier_of_type, preferred_name};

/// A read-only view of a `Patient` in CARIN BB terms: the plan member.
#[derive(Clone, Copy, Debug)]
pub struct PatientView<'a> {
    patient: &'a Patient,
}

impl<'a> PatientView<'a> {
    /// A view of `patient`.
    pub fn new(patient: &'a Patient) -> PatientView<'a> {
        PatientView { patient }
    }

    /// A view of `resource` if it is a `Patient`.
    pub fn from_resource(resource: &'a Resource) -> Option<PatientView<'a>> {
        resource.downcast_ref().map(PatientView::new)
    }

    /// The resource itself.
    pub fn patient(&self) -> &'a Patient {
        self.patient
    }

    /// The member id: the first `identifier:memberid` (type `v2-0203#MB`, 1..* in
    /// C4BB-Patient).
    pub fn member_id(&self) -> Option<&'a Identifier> {
        identifier_of_type(&self.patient.identifier, V2_IDENTIFIER_TYPE, "MB")
    }

    /// The name to address the member by: the `official` one, else the `usual` one, else
    /// the first name that is not `old`. CARIN examples often send names without a
    /// `use`.
    pub fn name(&self) -> Option<&'a HumanName> {
        preferred_name(&self.patient.name)
    }

    /// `birthDate`, with the precision it was sent with.
    pub fn birth_date(&self) -> Option<&'a Date> {
        self.patient.birth_date.value.as_ref()
    }

    /// `gender`: `male`, `female`, `other` or `unknown` (administrative gender).
    pub fn gender(&self) -> Option<&'a str> {
        self.patient.gender.as_str()
    }

    /// The state of the member's address: of the first `home` address that has one, else
    /// of the first address that is not `old` and has one.
    pub fn address_state(&self) -> Option<&'a str> {
        let addresses = &self.patient.address;
        let home = addresses
            .iter()
            .filter(|a| a.r#use.as_str() == Some("home"))
            .find_map(|a| a.state.as_str());
        home.or_else(|| {
            addresses
                .iter()
                .filter(|a| a.r#use.as_str() != Some("old"))
                .find_map(|a| a.state.as_str())
        })
    }
}
