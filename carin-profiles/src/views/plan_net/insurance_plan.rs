//! `InsurancePlan` in the Plan-Net 1.1.0 profile `plannet-InsurancePlan`:
//! [`InsurancePlanView`].

use fhir_model::Resource;
use fhir_model::datatypes::{Identifier, Reference};
use fhir_model::resources::{InsurancePlan, InsurancePlanPlan};

use super::super::{Concept, Span};
use crate::codes::plan_net::{InsurancePlanTypeCS, InsuranceProductTypeCS};

/// `plannet-InsurancePlan`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-InsurancePlan";

code_system! {
    /// `InsurancePlan.status` (`http://hl7.org/fhir/publication-status`, required binding;
    /// Plan-Net fixes it to `active`).
    PublicationStatus = "http://hl7.org/fhir/publication-status" {
        /// Draft
        Draft = "draft", Some("Draft");
        /// Active
        Active = "active", Some("Active");
        /// Retired
        Retired = "retired", Some("Retired");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

/// A read-only view of an `InsurancePlan` in Plan-Net terms: an insurance product and its
/// plans, networks and coverage area.
#[derive(Clone, Copy, Debug)]
pub struct InsurancePlanView<'a> {
    plan: &'a InsurancePlan,
}

impl<'a> InsurancePlanView<'a> {
    /// A view of `plan`.
    pub fn new(plan: &'a InsurancePlan) -> InsurancePlanView<'a> {
        InsurancePlanView { plan }
    }

    /// A view of `resource` if it is an `InsurancePlan`.
    pub fn from_resource(resource: &'a Resource) -> Option<InsurancePlanView<'a>> {
        resource.downcast_ref().map(InsurancePlanView::new)
    }

    /// The resource itself.
    pub fn insurance_plan(&self) -> &'a InsurancePlan {
        self.plan
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.plan.identifier
    }

    /// `status`.
    pub fn status(&self) -> Option<PublicationStatus> {
        self.plan.status.as_str().map(PublicationStatus::from_code)
    }

    /// `type`: every product type, in document order.
    pub fn types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.plan.r#type.iter().map(Concept::new)
    }

    /// The product type in the Plan-Net `InsuranceProductTypeCS` (HMO, PPO, QHP, ...): the
    /// first `type` coding in it.
    pub fn product_type(&self) -> Option<InsuranceProductTypeCS> {
        self.plan
            .r#type
            .iter()
            .flat_map(|c| &c.coding)
            .find_map(InsuranceProductTypeCS::from_coding)
    }

    /// `name`.
    pub fn name(&self) -> Option<&'a str> {
        self.plan.name.as_str()
    }

    /// `alias`.
    pub fn aliases(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.plan.alias.iter().filter_map(|alias| alias.as_str())
    }

    /// `period`: when the product is offered.
    pub fn period(&self) -> Option<Span> {
        self.plan.period.as_ref().map(Span::from_period)
    }

    /// `ownedBy`: the payer that owns the product.
    pub fn owned_by(&self) -> Option<&'a Reference> {
        self.plan.owned_by.as_ref()
    }

    /// `administeredBy`: the organization that administers it.
    pub fn administered_by(&self) -> Option<&'a Reference> {
        self.plan.administered_by.as_ref()
    }

    /// `coverageArea`: the Locations where the product is offered.
    pub fn coverage_areas(&self) -> &'a [Reference] {
        &self.plan.coverage_area
    }

    /// `network`: the networks of the product.
    pub fn networks(&self) -> &'a [Reference] {
        &self.plan.network
    }

    /// `endpoint`.
    pub fn endpoints(&self) -> &'a [Reference] {
        &self.plan.endpoint
    }

    /// `plan`, in document order.
    pub fn plans(&self) -> impl Iterator<Item = PlanView<'a>> + use<'a> {
        self.plan.plan.iter().map(|plan| PlanView { plan })
    }
}

/// One `InsurancePlan.plan`: a plan of the product (bronze, silver, ...).
#[derive(Clone, Copy, Debug)]
pub struct PlanView<'a> {
    plan: &'a InsurancePlanPlan,
}

impl<'a> PlanView<'a> {
    /// The plan itself.
    pub fn plan(&self) -> &'a InsurancePlanPlan {
        self.plan
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.plan.identifier
    }

    /// `type`.
    pub fn plan_type(&self) -> Option<Concept<'a>> {
        self.plan.r#type.as_ref().map(Concept::new)
    }

    /// The type in the Plan-Net `InsurancePlanTypeCS` (platinum, gold, ..., catastrophic).
    pub fn plan_type_code(&self) -> Option<InsurancePlanTypeCS> {
        self.plan
            .r#type
            .as_ref()?
            .coding
            .iter()
            .find_map(InsurancePlanTypeCS::from_coding)
    }

    /// `coverageArea`: where the plan is offered, when narrower than the product.
    pub fn coverage_areas(&self) -> &'a [Reference] {
        &self.plan.coverage_area
    }

    /// `network`: the plan's networks, when they differ from the product's.
    pub fn networks(&self) -> &'a [Reference] {
        &self.plan.network
    }
}
