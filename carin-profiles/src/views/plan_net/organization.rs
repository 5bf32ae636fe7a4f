//! `Organization` in the Plan-Net 1.1.0 profiles `plannet-Organization` and
//! `plannet-Network` (an organization of type `ntwk`): [`OrganizationView`].

use fhir_model::Resource;
use fhir_model::datatypes::{Address, HumanName, Identifier, Reference};
use fhir_model::resources::{Organization, OrganizationContact};

use super::super::{Concept, ext_reference, ext_str, extension, extensions, identifier_value_in};
use super::{Qualification, Telecom, ext, qualifications, telecoms};
use crate::codes::plan_net::OrgTypeCS;

/// `plannet-Organization`: providers, facilities, payers, ...
pub const PROFILE_ORGANIZATION: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Organization";
/// `plannet-Network`: a provider network (an organization of type `ntwk`).
pub const PROFILE_NETWORK: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Network";

pub use super::super::NPI;

/// A read-only view of an `Organization` in Plan-Net terms: an organization or a network.
#[derive(Clone, Copy, Debug)]
pub struct OrganizationView<'a> {
    organization: &'a Organization,
}

impl<'a> OrganizationView<'a> {
    /// A view of `organization`.
    pub fn new(organization: &'a Organization) -> OrganizationView<'a> {
        OrganizationView { organization }
    }

    /// A view of `resource` if it is an `Organization`.
    pub fn from_resource(resource: &'a Resource) -> Option<OrganizationView<'a>> {
        resource.downcast_ref().map(OrganizationView::new)
    }

    /// The resource itself.
    pub fn organization(&self) -> &'a Organization {
        self.organization
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.organization.identifier
    }

    /// The NPI: the value of the first `identifier` of system `us-npi`.
    pub fn npi(&self) -> Option<&'a str> {
        identifier_value_in(&self.organization.identifier, NPI)
    }

    /// `active`.
    pub fn active(&self) -> Option<bool> {
        self.organization.active.value
    }

    /// `name`.
    pub fn name(&self) -> Option<&'a str> {
        self.organization.name.as_str()
    }

    /// `alias`.
    pub fn aliases(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.organization
            .alias
            .iter()
            .filter_map(|alias| alias.as_str())
    }

    /// `type`: every type, in document order.
    pub fn types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.organization.r#type.iter().map(Concept::new)
    }

    /// The types in the Plan-Net `OrgTypeCS` (provider group, facility, payer, network,
    /// ...).
    pub fn org_types(&self) -> impl Iterator<Item = OrgTypeCS> + use<'a> {
        self.organization
            .r#type
            .iter()
            .flat_map(|c| &c.coding)
            .filter_map(OrgTypeCS::from_coding)
    }

    /// Whether it is a network (`type` `OrgTypeCS#ntwk`), which `plannet-Network` profiles.
    pub fn is_network(&self) -> bool {
        self.org_types().any(|t| t == OrgTypeCS::Ntwk)
    }

    /// The Plan-Net profile its type fits: [`PROFILE_NETWORK`] for a network, else
    /// [`PROFILE_ORGANIZATION`].
    pub fn profile_by_content(&self) -> &'static str {
        if self.is_network() {
            PROFILE_NETWORK
        } else {
            PROFILE_ORGANIZATION
        }
    }

    /// The `org-description` extension.
    pub fn description(&self) -> Option<&'a str> {
        ext_str(extension(
            &self.organization.extension,
            ext::ORG_DESCRIPTION,
        )?)
    }

    /// `telecom`, with the Plan-Net availability extensions.
    pub fn telecoms(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.organization.telecom)
    }

    /// `address` (see [`super::address_geolocation`] for its coordinates).
    pub fn addresses(&self) -> &'a [Address] {
        &self.organization.address
    }

    /// `partOf`: the parent organization; for a network, the payer that runs it (1..1 in
    /// plannet-Network).
    pub fn part_of(&self) -> Option<&'a Reference> {
        self.organization.part_of.as_ref()
    }

    /// `contact`, in document order.
    pub fn contacts(&self) -> impl Iterator<Item = ContactView<'a>> + use<'a> {
        self.organization
            .contact
            .iter()
            .map(|contact| ContactView { contact })
    }

    /// `endpoint`.
    pub fn endpoints(&self) -> &'a [Reference] {
        &self.organization.endpoint
    }

    /// Every `qualification` extension (accreditations of a provider organization).
    pub fn qualifications(&self) -> impl Iterator<Item = Qualification<'a>> + use<'a> {
        qualifications(&self.organization.extension)
    }

    /// The `location-reference` extensions of a network: the areas it covers.
    pub fn network_locations(&self) -> impl Iterator<Item = &'a Reference> + use<'a> {
        extensions(&self.organization.extension, ext::LOCATION_REFERENCE).filter_map(ext_reference)
    }
}

/// One `Organization.contact`.
#[derive(Clone, Copy, Debug)]
pub struct ContactView<'a> {
    contact: &'a OrganizationContact,
}

impl<'a> ContactView<'a> {
    /// The contact itself.
    pub fn contact(&self) -> &'a OrganizationContact {
        self.contact
    }

    /// `purpose`.
    pub fn purpose(&self) -> Option<Concept<'a>> {
        self.contact.purpose.as_ref().map(Concept::new)
    }

    /// `name`.
    pub fn name(&self) -> Option<&'a HumanName> {
        self.contact.name.as_ref()
    }

    /// `telecom`, with the Plan-Net extensions (`via-intermediary`, ...).
    pub fn telecoms(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.contact.telecom)
    }
}
