//! `CarePlan` in the US Core 6.1.0 profile `us-core-careplan`: [`CarePlanView`].

use fhir_model::Resource;
use fhir_model::datatypes::Reference;
use fhir_model::resources::CarePlan;

use super::super::{Concept, Span};

/// `us-core-careplan`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan";
/// `http://hl7.org/fhir/us/core/CodeSystem/careplan-category`, which has `assess-plan`.
pub const CAREPLAN_CATEGORY: &str = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category";

code_system! {
    /// `CarePlan.status` (`http://hl7.org/fhir/request-status`, required binding).
    CarePlanStatus = "http://hl7.org/fhir/request-status" {
        /// Draft
        Draft = "draft", Some("Draft");
        /// Active
        Active = "active", Some("Active");
        /// On Hold
        OnHold = "on-hold", Some("On Hold");
        /// Revoked
        Revoked = "revoked", Some("Revoked");
        /// Completed
        Completed = "completed", Some("Completed");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

code_system! {
    /// `CarePlan.intent`: the codes of `http://hl7.org/fhir/request-intent` the required
    /// value set `care-plan-intent` takes.
    CarePlanIntent = "http://hl7.org/fhir/request-intent" {
        /// Proposal
        Proposal = "proposal", Some("Proposal");
        /// Plan
        Plan = "plan", Some("Plan");
        /// Order
        Order = "order", Some("Order");
        /// Option
        OptionCode = "option", Some("Option");
    }
}

/// A read-only view of a `CarePlan` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct CarePlanView<'a> {
    plan: &'a CarePlan,
}

impl<'a> CarePlanView<'a> {
    /// A view of `plan`.
    pub fn new(plan: &'a CarePlan) -> CarePlanView<'a> {
        CarePlanView { plan }
    }

    /// A view of `resource` if it is a `CarePlan`.
    pub fn from_resource(resource: &'a Resource) -> Option<CarePlanView<'a>> {
        resource.downcast_ref().map(CarePlanView::new)
    }

    /// The resource itself.
    pub fn plan(&self) -> &'a CarePlan {
        self.plan
    }

    /// `status`.
    pub fn status(&self) -> Option<CarePlanStatus> {
        self.plan.status.as_str().map(CarePlanStatus::from_code)
    }

    /// `intent`.
    pub fn intent(&self) -> Option<CarePlanIntent> {
        self.plan.intent.as_str().map(CarePlanIntent::from_code)
    }

    /// `category`: every category, in document order.
    pub fn categories(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.plan.category.iter().map(Concept::new)
    }

    /// Whether a category is `careplan-category#assess-plan` (assessment and plan of
    /// treatment), the slice US Core requires.
    pub fn is_assess_plan(&self) -> bool {
        self.categories()
            .any(|c| c.has(CAREPLAN_CATEGORY, "assess-plan"))
    }

    /// `text.div`: the plan as XHTML, which US Core asks for.
    pub fn narrative(&self) -> Option<&'a str> {
        self.plan.text.as_ref()?.div.as_str()
    }

    /// `text.status`: `generated`, `extensions`, `additional` or `empty`.
    pub fn narrative_status(&self) -> Option<&'a str> {
        self.plan.text.as_ref()?.status.as_str()
    }

    /// `title`.
    pub fn title(&self) -> Option<&'a str> {
        self.plan.title.as_str()
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.plan.subject.as_ref()
    }

    /// `period`: the time the plan covers.
    pub fn period(&self) -> Option<Span> {
        self.plan.period.as_ref().map(Span::from_period)
    }

    /// `goal`: the goals the plan pursues.
    pub fn goals(&self) -> &'a [Reference] {
        &self.plan.goal
    }

    /// `addresses`: the conditions the plan addresses.
    pub fn addresses(&self) -> &'a [Reference] {
        &self.plan.addresses
    }
}
