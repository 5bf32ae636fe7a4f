//! `ServiceRequest` in the US Core 6.1.0 profile `us-core-servicerequest`:
//! [`ServiceRequestView`].

use fhir_model::datatypes::{Reference, Timing};
use fhir_model::resources::{ServiceRequest, ServiceRequestOccurrence};
use fhir_model::{DateTime, Resource};

use super::super::{Concept, Span};

/// `us-core-servicerequest`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-servicerequest";

/// `ServiceRequest.status`: the codes of `http://hl7.org/fhir/request-status`, which
/// `CarePlan.status` shares.
pub use super::care_plan::CarePlanStatus as RequestStatus;

code_system! {
    /// `ServiceRequest.intent` (`http://hl7.org/fhir/request-intent`, required binding).
    RequestIntent = "http://hl7.org/fhir/request-intent" {
        /// Proposal
        Proposal = "proposal", Some("Proposal");
        /// Plan
        Plan = "plan", Some("Plan");
        /// Directive
        Directive = "directive", Some("Directive");
        /// Order
        Order = "order", Some("Order");
        /// Original Order
        OriginalOrder = "original-order", Some("Original Order");
        /// Reflex Order
        ReflexOrder = "reflex-order", Some("Reflex Order");
        /// Filler Order
        FillerOrder = "filler-order", Some("Filler Order");
        /// Instance Order
        InstanceOrder = "instance-order", Some("Instance Order");
        /// Option
        Option = "option", Some("Option");
    }
}

/// When the service is to happen (`occurrence[x]`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Occurrence<'a> {
    /// `occurrenceDateTime`.
    At(DateTime),
    /// `occurrencePeriod`.
    Period(Span),
    /// `occurrenceTiming`.
    Timing(&'a Timing),
}

/// A read-only view of a `ServiceRequest` in US Core terms: an order or referral.
#[derive(Clone, Copy, Debug)]
pub struct ServiceRequestView<'a> {
    request: &'a ServiceRequest,
}

impl<'a> ServiceRequestView<'a> {
    /// A view of `request`.
    pub fn new(request: &'a ServiceRequest) -> ServiceRequestView<'a> {
        ServiceRequestView { request }
    }

    /// A view of `resource` if it is a `ServiceRequest`.
    pub fn from_resource(resource: &'a Resource) -> Option<ServiceRequestView<'a>> {
        resource.downcast_ref().map(ServiceRequestView::new)
    }

    /// The resource itself.
    pub fn request(&self) -> &'a ServiceRequest {
        self.request
    }

    /// `status`: active, completed, ...
    pub fn status(&self) -> Option<RequestStatus> {
        self.request.status.as_str().map(RequestStatus::from_code)
    }

    /// `intent`: order, plan, ...
    pub fn intent(&self) -> Option<RequestIntent> {
        self.request.intent.as_str().map(RequestIntent::from_code)
    }

    /// `category`: every category, in document order (US Core `sdoh`, SNOMED CT
    /// categories, ...).
    pub fn categories(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.request.category.iter().map(Concept::new)
    }

    /// `code` (1..1): what is requested.
    pub fn code(&self) -> Option<Concept<'a>> {
        self.request.code.as_ref().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.request.subject.as_ref()
    }

    /// `occurrence[x]`: when the service is to happen.
    pub fn occurrence(&self) -> Option<Occurrence<'a>> {
        match self.request.occurrence.as_ref()? {
            ServiceRequestOccurrence::DateTime(at) => at.value.map(Occurrence::At),
            ServiceRequestOccurrence::Period(period) => {
                Some(Occurrence::Period(Span::from_period(period)))
            }
            ServiceRequestOccurrence::Timing(timing) => Some(Occurrence::Timing(timing)),
            _ => None,
        }
    }

    /// `authoredOn`.
    pub fn authored_on(&self) -> Option<DateTime> {
        self.request.authored_on.value
    }

    /// `requester`.
    pub fn requester(&self) -> Option<&'a Reference> {
        self.request.requester.as_ref()
    }
}
