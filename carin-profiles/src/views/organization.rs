//! `Organization` in the CARIN Blue Button 2.0.0 profile `C4BB-Organization`
//! (<http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization>), also the
//! view of US Core 6.1.0 `us-core-organization`: [`OrganizationView`].
//!
//! Payers and provider organizations: identifiers by type (NPI, tax id, payer id, NAIC
//! code), name, telecom and address. The Plan-Net directory reads organizations with its
//! own extensions in [`super::plan_net::organization`].

use fhir_model::Resource;
use fhir_model::datatypes::{Address, ContactPoint, Identifier};
use fhir_model::resources::Organization;

use super::{Concept, NPI, V2_IDENTIFIER_TYPE, identifier_of_type, identifiers_of_type};
use crate::codes::C4BBIdentifierType;

/// `C4BB-Organization`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization";

/// A read-only view of an `Organization` in CARIN BB terms: a payer or a provider
/// organization.
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

    /// `identifier`, every one.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.organization.identifier
    }

    /// The NPI (`identifier:NPI`): the value of the first identifier of type `v2-0203#NPI`,
    /// else of the first of system `us-npi` (US Core slices on the system, CARIN on the
    /// type).
    pub fn npi(&self) -> Option<&'a str> {
        npi(&self.organization.identifier)
    }

    /// The tax ids (`identifier:tax`, type `v2-0203#TAX`): the values, in document order.
    pub fn tax_ids(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        values(identifiers_of_type(
            &self.organization.identifier,
            V2_IDENTIFIER_TYPE,
            "TAX",
        ))
    }

    /// The payer ids (`identifier:payerid`, type `C4BBIdentifierType#payerid`).
    pub fn payer_ids(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        values(identifiers_of_type(
            &self.organization.identifier,
            C4BBIdentifierType::SYSTEM,
            "payerid",
        ))
    }

    /// The NAIC codes of an insurer (`identifier:naiccode`, type
    /// `C4BBIdentifierType#naiccode`).
    pub fn naic_codes(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        values(identifiers_of_type(
            &self.organization.identifier,
            C4BBIdentifierType::SYSTEM,
            "naiccode",
        ))
    }

    /// `active` (1..1 in both profiles).
    pub fn active(&self) -> Option<bool> {
        self.organization.active.value
    }

    /// `name` (1..1 in both profiles).
    pub fn name(&self) -> Option<&'a str> {
        self.organization.name.as_str()
    }

    /// `type`: payer, provider, ... (`organization-type`), in document order.
    pub fn types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.organization.r#type.iter().map(Concept::new)
    }

    /// `telecom`.
    pub fn telecoms(&self) -> &'a [ContactPoint] {
        &self.organization.telecom
    }

    /// `address`.
    pub fn addresses(&self) -> &'a [Address] {
        &self.organization.address
    }
}

/// The NPI among `identifiers`: typed `v2-0203#NPI`, else of system `us-npi`.
pub(super) fn npi(identifiers: &[Identifier]) -> Option<&str> {
    identifier_of_type(identifiers, V2_IDENTIFIER_TYPE, "NPI")
        .and_then(|identifier| identifier.value.as_str())
        .or_else(|| super::identifier_value_in(identifiers, NPI))
}

/// The values of `identifiers`.
pub(super) fn values<'a>(
    identifiers: impl Iterator<Item = &'a Identifier>,
) -> impl Iterator<Item = &'a str> {
    identifiers.filter_map(|identifier| identifier.value.as_str())
}
