//! `OrganizationAffiliation` in the Plan-Net 1.1.0 profile
//! `plannet-OrganizationAffiliation`: [`OrganizationAffiliationView`].

use fhir_model::Resource;
use fhir_model::datatypes::{Identifier, Reference};
use fhir_model::resources::OrganizationAffiliation;

use super::super::{Code, Concept, Span};
use super::{NUCC, Qualification, Telecom, codes_in, qualifications, telecoms};
use crate::codes::plan_net::OrganizationAffiliationRoleCS;

/// `plannet-OrganizationAffiliation`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-OrganizationAffiliation";

/// A read-only view of an `OrganizationAffiliation` in Plan-Net terms: an organization's
/// role for another (a pharmacy in a network, a member of an HIE, ...).
#[derive(Clone, Copy, Debug)]
pub struct OrganizationAffiliationView<'a> {
    affiliation: &'a OrganizationAffiliation,
}

impl<'a> OrganizationAffiliationView<'a> {
    /// A view of `affiliation`.
    pub fn new(affiliation: &'a OrganizationAffiliation) -> OrganizationAffiliationView<'a> {
        OrganizationAffiliationView { affiliation }
    }

    /// A view of `resource` if it is an `OrganizationAffiliation`.
    pub fn from_resource(resource: &'a Resource) -> Option<OrganizationAffiliationView<'a>> {
        resource
            .downcast_ref()
            .map(OrganizationAffiliationView::new)
    }

    /// The resource itself.
    pub fn affiliation(&self) -> &'a OrganizationAffiliation {
        self.affiliation
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.affiliation.identifier
    }

    /// `active`.
    pub fn active(&self) -> Option<bool> {
        self.affiliation.active.value
    }

    /// `period`.
    pub fn period(&self) -> Option<Span> {
        self.affiliation.period.as_ref().map(Span::from_period)
    }

    /// `organization`: the organization the other one serves.
    pub fn organization(&self) -> Option<&'a Reference> {
        self.affiliation.organization.as_ref()
    }

    /// `participatingOrganization`: the organization in the role.
    pub fn participating_organization(&self) -> Option<&'a Reference> {
        self.affiliation.participating_organization.as_ref()
    }

    /// `network`: the networks the affiliation is part of.
    pub fn networks(&self) -> &'a [Reference] {
        &self.affiliation.network
    }

    /// `code`: every role, in document order.
    pub fn codes(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.affiliation.code.iter().map(Concept::new)
    }

    /// The roles in the Plan-Net `OrganizationAffiliationRoleCS` (pharmacy, HIE member,
    /// ...).
    pub fn roles(&self) -> impl Iterator<Item = OrganizationAffiliationRoleCS> + use<'a> {
        self.affiliation
            .code
            .iter()
            .flat_map(|c| &c.coding)
            .filter_map(OrganizationAffiliationRoleCS::from_coding)
    }

    /// `specialty`: every specialty, in document order.
    pub fn specialties(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.affiliation.specialty.iter().map(Concept::new)
    }

    /// The NUCC taxonomy codes of `specialty`.
    pub fn specialty_codes(&self) -> impl Iterator<Item = Code<'a>> + use<'a> {
        codes_in(&self.affiliation.specialty, NUCC)
    }

    /// `location`.
    pub fn locations(&self) -> &'a [Reference] {
        &self.affiliation.location
    }

    /// `healthcareService`.
    pub fn healthcare_services(&self) -> &'a [Reference] {
        &self.affiliation.healthcare_service
    }

    /// `telecom`, with the Plan-Net availability extensions.
    pub fn telecoms(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.affiliation.telecom)
    }

    /// `endpoint`.
    pub fn endpoints(&self) -> &'a [Reference] {
        &self.affiliation.endpoint
    }

    /// Every `qualification` extension.
    pub fn qualifications(&self) -> impl Iterator<Item = Qualification<'a>> + use<'a> {
        qualifications(&self.affiliation.extension)
    }
}
