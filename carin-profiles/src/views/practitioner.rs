//! `Practitioner` in the CARIN Blue Button 2.0.0 profile `C4BB-Practitioner`
//! (<http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Practitioner>), also the
//! view of US Core 6.1.0 `us-core-practitioner`: [`PractitionerView`].
//!
//! The Plan-Net directory's practitioners, with qualifications and language proficiency,
//! are read by [`super::plan_net::practitioner::PractitionerView`].

use fhir_model::Resource;
use fhir_model::datatypes::{Address, ContactPoint, HumanName, Identifier};
use fhir_model::resources::Practitioner;

use super::organization::{npi, values};
use super::{V2_IDENTIFIER_TYPE, identifiers_of_type, preferred_name};

/// `C4BB-Practitioner`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Practitioner";

/// A read-only view of a `Practitioner` in CARIN BB and US Core terms: identifiers, names,
/// telecom and address.
#[derive(Clone, Copy, Debug)]
pub struct PractitionerView<'a> {
    practitioner: &'a Practitioner,
}

impl<'a> PractitionerView<'a> {
    /// A view of `practitioner`.
    pub fn new(practitioner: &'a Practitioner) -> PractitionerView<'a> {
        PractitionerView { practitioner }
    }

    /// A view of `resource` if it is a `Practitioner`.
    pub fn from_resource(resource: &'a Resource) -> Option<PractitionerView<'a>> {
        resource.downcast_ref().map(PractitionerView::new)
    }

    /// The resource itself.
    pub fn practitioner(&self) -> &'a Practitioner {
        self.practitioner
    }

    /// `identifier`, every one.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.practitioner.identifier
    }

    /// The NPI (`identifier:NPI`): the value of the first identifier of type `v2-0203#NPI`,
    /// else of the first of system `us-npi`.
    pub fn npi(&self) -> Option<&'a str> {
        npi(&self.practitioner.identifier)
    }

    /// The tax ids (`identifier:tax`, type `v2-0203#TAX`), in document order.
    pub fn tax_ids(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        values(identifiers_of_type(
            &self.practitioner.identifier,
            V2_IDENTIFIER_TYPE,
            "TAX",
        ))
    }

    /// `active`.
    pub fn active(&self) -> Option<bool> {
        self.practitioner.active.value
    }

    /// `name`, every one (1..* in both profiles, each with a `family`).
    pub fn names(&self) -> &'a [HumanName] {
        &self.practitioner.name
    }

    /// The name to address the practitioner by: the `official` one, else the `usual`
    /// one, else the first that is not `old`.
    pub fn name(&self) -> Option<&'a HumanName> {
        preferred_name(&self.practitioner.name)
    }

    /// The family name of [`PractitionerView::name`].
    pub fn family(&self) -> Option<&'a str> {
        self.name()?.family.as_str()
    }

    /// `telecom`.
    pub fn telecoms(&self) -> &'a [ContactPoint] {
        &self.practitioner.telecom
    }

    /// `address`.
    pub fn addresses(&self) -> &'a [Address] {
        &self.practitioner.address
    }
}
