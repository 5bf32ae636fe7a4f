//! `Endpoint` in the Plan-Net 1.1.0 profile `plannet-Endpoint`: [`EndpointView`].

use fhir_model::Resource;
use fhir_model::datatypes::{Extension, Reference};
use fhir_model::resources::Endpoint;

use super::super::{Code, Concept, ext_concept, ext_str, extension, extensions};
use super::{Telecom, ext, telecoms};
use crate::codes::plan_net::{EndpointConnectionTypeCS, EndpointPayloadTypeCS};

/// `plannet-Endpoint`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Endpoint";

code_system! {
    /// `Endpoint.status` (`http://hl7.org/fhir/endpoint-status`, required binding; Plan-Net
    /// fixes it to `active`).
    EndpointStatus = "http://hl7.org/fhir/endpoint-status" {
        /// Active
        Active = "active", Some("Active");
        /// Suspended
        Suspended = "suspended", Some("Suspended");
        /// Error
        Error = "error", Some("Error");
        /// Off
        Off = "off", Some("Off");
        /// Entered in error
        EnteredInError = "entered-in-error", Some("Entered in error");
        /// Test
        Test = "test", Some("Test");
    }
}

/// A read-only view of an `Endpoint` in Plan-Net terms.
#[derive(Clone, Copy, Debug)]
pub struct EndpointView<'a> {
    endpoint: &'a Endpoint,
}

impl<'a> EndpointView<'a> {
    /// A view of `endpoint`.
    pub fn new(endpoint: &'a Endpoint) -> EndpointView<'a> {
        EndpointView { endpoint }
    }

    /// A view of `resource` if it is an `Endpoint`.
    pub fn from_resource(resource: &'a Resource) -> Option<EndpointView<'a>> {
        resource.downcast_ref().map(EndpointView::new)
    }

    /// The resource itself.
    pub fn endpoint(&self) -> &'a Endpoint {
        self.endpoint
    }

    /// `status`.
    pub fn status(&self) -> Option<EndpointStatus> {
        self.endpoint.status.as_str().map(EndpointStatus::from_code)
    }

    /// `connectionType`: the protocol (FHIR REST, Direct, ...).
    pub fn connection_type(&self) -> Option<Code<'a>> {
        Code::from_coding(self.endpoint.connection_type.as_ref()?)
    }

    /// `connectionType` when it is one of Plan-Net's additional connection types
    /// (`hl7-fhir-opn`, `rest-non-fhir`).
    pub fn plan_net_connection_type(&self) -> Option<EndpointConnectionTypeCS> {
        EndpointConnectionTypeCS::from_coding(self.endpoint.connection_type.as_ref()?)
    }

    /// `name`.
    pub fn name(&self) -> Option<&'a str> {
        self.endpoint.name.as_str()
    }

    /// `managingOrganization`.
    pub fn managing_organization(&self) -> Option<&'a Reference> {
        self.endpoint.managing_organization.as_ref()
    }

    /// `contact`: who to contact about the endpoint.
    pub fn contacts(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.endpoint.contact)
    }

    /// `payloadType`: every payload type, in document order.
    pub fn payload_types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.endpoint.payload_type.iter().map(Concept::new)
    }

    /// Whether a payload type is Plan-Net's `NA` (not applicable, a web portal say).
    pub fn payload_not_applicable(&self) -> bool {
        self.endpoint
            .payload_type
            .iter()
            .flat_map(|c| &c.coding)
            .filter_map(EndpointPayloadTypeCS::from_coding)
            .any(|payload| payload == EndpointPayloadTypeCS::NA)
    }

    /// `payloadMimeType`.
    pub fn payload_mime_types(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.endpoint
            .payload_mime_type
            .iter()
            .filter_map(|mime| mime.as_str())
    }

    /// `address`: the endpoint's URL.
    pub fn address(&self) -> Option<&'a str> {
        self.endpoint.address.as_str()
    }

    /// The `endpoint-usecase` extensions: what the endpoint is for.
    pub fn use_cases(&self) -> impl Iterator<Item = UseCase<'a>> + use<'a> {
        extensions(&self.endpoint.extension, ext::ENDPOINT_USECASE)
            .map(|extension| UseCase { extension })
    }
}

/// One `endpoint-usecase` extension.
#[derive(Clone, Copy, Debug)]
pub struct UseCase<'a> {
    extension: &'a Extension,
}

impl<'a> UseCase<'a> {
    /// `type`: the use case (`v3-ActReason`, e.g. `HOPERAT`, healthcare operations).
    pub fn use_case_type(&self) -> Option<Concept<'a>> {
        ext_concept(extension(&self.extension.extension, "type")?).map(Concept::new)
    }

    /// `standard`: the URI of the standard the endpoint implements for it.
    pub fn standard(&self) -> Option<&'a str> {
        ext_str(extension(&self.extension.extension, "standard")?)
    }
}
