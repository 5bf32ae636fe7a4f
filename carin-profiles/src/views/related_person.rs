//! `RelatedPerson` in the CARIN Blue Button 2.0.0 profile `C4BB-RelatedPerson`
//! (<http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-RelatedPerson>), also the
//! view of US Core 6.1.0 `us-core-relatedperson`: [`RelatedPersonView`].

use fhir_model::datatypes::{Address, ContactPoint, HumanName, Reference};
use fhir_model::resources::RelatedPerson;
use fhir_model::{Date, Resource};

use super::{Code, Concept, preferred_name};

/// `C4BB-RelatedPerson`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-RelatedPerson";

/// `http://terminology.hl7.org/CodeSystem/v3-RoleCode`: the personal relationship codes
/// (`MTH` mother, `NIECE`, ...).
pub const V3_ROLE_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";

/// A read-only view of a `RelatedPerson`: someone related to the member or patient (a
/// parent, a guardian, a subscriber).
#[derive(Clone, Copy, Debug)]
pub struct RelatedPersonView<'a> {
    person: &'a RelatedPerson,
}

impl<'a> RelatedPersonView<'a> {
    /// A view of `person`.
    pub fn new(person: &'a RelatedPerson) -> RelatedPersonView<'a> {
        RelatedPersonView { person }
    }

    /// A view of `resource` if it is a `RelatedPerson`.
    pub fn from_resource(resource: &'a Resource) -> Option<RelatedPersonView<'a>> {
        resource.downcast_ref().map(RelatedPersonView::new)
    }

    /// The resource itself.
    pub fn related_person(&self) -> &'a RelatedPerson {
        self.person
    }

    /// `active` (1..1 in both profiles).
    pub fn active(&self) -> Option<bool> {
        self.person.active.value
    }

    /// `patient`: whom the person is related to.
    pub fn patient(&self) -> Option<&'a Reference> {
        self.person.patient.as_ref()
    }

    /// `relationship`: every relationship, in document order.
    pub fn relationships(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.person.relationship.iter().map(Concept::new)
    }

    /// The first relationship code in `v3-RoleCode` (`MTH`, `NIECE`, `GUARD`, ...).
    pub fn role_code(&self) -> Option<Code<'a>> {
        self.relationships()
            .find_map(|concept| concept.code_in(V3_ROLE_CODE))
    }

    /// `name`, every one.
    pub fn names(&self) -> &'a [HumanName] {
        &self.person.name
    }

    /// The name to address the person by: the `official` one, else the `usual` one, else
    /// the first that is not `old`.
    pub fn name(&self) -> Option<&'a HumanName> {
        preferred_name(&self.person.name)
    }

    /// `telecom`.
    pub fn telecoms(&self) -> &'a [ContactPoint] {
        &self.person.telecom
    }

    /// `address`.
    pub fn addresses(&self) -> &'a [Address] {
        &self.person.address
    }

    /// `birthDate`, with the precision it was sent with.
    pub fn birth_date(&self) -> Option<&'a Date> {
        self.person.birth_date.value.as_ref()
    }
}
