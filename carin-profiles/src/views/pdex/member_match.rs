//! The `$member-match` operation PDex 2.0.0 uses for payer-to-payer exchange: views of its
//! request and response `Parameters`, [`MemberMatchRequestView`] and
//! [`MemberMatchResponseView`].
//!
//! PDex 2.0.0 takes the operation from Da Vinci HRex 1.0.0 (a package dependency; the PDex
//! package itself has no member-match profile or example): the new payer sends the
//! member's demographics (`MemberPatient`, an HRex patient), the coverage it holds
//! (`CoverageToMatch`, an HRex coverage), optionally the coverage to link
//! (`CoverageToLink`) and the member's `Consent`; the old payer answers with the member's
//! identifier in its system (`MemberIdentifier`).

use fhir_model::datatypes::{Identifier, OpenType, Reference};
use fhir_model::resources::{Consent, Coverage, Parameters, ParametersParameter, Patient};
use fhir_model::{Resource, TypedResource};

/// The `$member-match` operation.
pub const OPERATION: &str = "http://hl7.org/fhir/us/davinci-hrex/OperationDefinition/member-match";
/// `hrex-parameters-member-match-in`: the request profile.
pub const PROFILE_REQUEST: &str =
    "http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-parameters-member-match-in";
/// `hrex-parameters-member-match-out`: the response profile.
pub const PROFILE_RESPONSE: &str =
    "http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-parameters-member-match-out";

/// The request parameter names, as HRex 1.0.0 spells them.
pub mod names {
    /// The member's demographics (a `Patient`), 1..1.
    pub const MEMBER_PATIENT: &str = "MemberPatient";
    /// The coverage the requesting payer knows (a `Coverage`), 1..1.
    pub const COVERAGE_TO_MATCH: &str = "CoverageToMatch";
    /// The requesting payer's own coverage of the member (a `Coverage`), 0..1.
    pub const COVERAGE_TO_LINK: &str = "CoverageToLink";
    /// The member's consent to the exchange (a `Consent`), 1..1.
    pub const CONSENT: &str = "Consent";
    /// The response: the member's identifier at the answering payer (an `Identifier`).
    pub const MEMBER_IDENTIFIER: &str = "MemberIdentifier";
    /// The response, optionally: a reference to the member's `Patient` at the answering
    /// payer.
    pub const MEMBER_ID: &str = "MemberId";
}

/// A read-only view of a `$member-match` request.
#[derive(Clone, Copy, Debug)]
pub struct MemberMatchRequestView<'a> {
    parameters: &'a Parameters,
}

impl<'a> MemberMatchRequestView<'a> {
    /// A view of `parameters`.
    pub fn new(parameters: &'a Parameters) -> MemberMatchRequestView<'a> {
        MemberMatchRequestView { parameters }
    }

    /// A view of `resource` if it is a `Parameters`.
    pub fn from_resource(resource: &'a Resource) -> Option<MemberMatchRequestView<'a>> {
        resource.downcast_ref().map(MemberMatchRequestView::new)
    }

    /// The resource itself.
    pub fn parameters(&self) -> &'a Parameters {
        self.parameters
    }

    /// `MemberPatient`: the member's demographics.
    pub fn member_patient(&self) -> Option<&'a Patient> {
        resource_parameter(self.parameters, names::MEMBER_PATIENT)
    }

    /// `CoverageToMatch`: the coverage the answering payer is asked to find.
    pub fn coverage_to_match(&self) -> Option<&'a Coverage> {
        resource_parameter(self.parameters, names::COVERAGE_TO_MATCH)
    }

    /// `CoverageToLink`: the requesting payer's coverage of the member.
    pub fn coverage_to_link(&self) -> Option<&'a Coverage> {
        resource_parameter(self.parameters, names::COVERAGE_TO_LINK)
    }

    /// `Consent`: the member's consent to the exchange.
    pub fn consent(&self) -> Option<&'a Consent> {
        resource_parameter(self.parameters, names::CONSENT)
    }
}

/// A read-only view of a `$member-match` response.
#[derive(Clone, Copy, Debug)]
pub struct MemberMatchResponseView<'a> {
    parameters: &'a Parameters,
}

impl<'a> MemberMatchResponseView<'a> {
    /// A view of `parameters`.
    pub fn new(parameters: &'a Parameters) -> MemberMatchResponseView<'a> {
        MemberMatchResponseView { parameters }
    }

    /// A view of `resource` if it is a `Parameters`.
    pub fn from_resource(resource: &'a Resource) -> Option<MemberMatchResponseView<'a>> {
        resource.downcast_ref().map(MemberMatchResponseView::new)
    }

    /// The resource itself.
    pub fn parameters(&self) -> &'a Parameters {
        self.parameters
    }

    /// `MemberIdentifier` (`valueIdentifier`): the member's identifier at the answering
    /// payer, to use in later requests.
    pub fn member_identifier(&self) -> Option<&'a Identifier> {
        match parameter(self.parameters, names::MEMBER_IDENTIFIER)?
            .value
            .as_ref()?
        {
            OpenType::Identifier(identifier) => Some(identifier),
            _ => None,
        }
    }

    /// `MemberId` (`valueReference`): the member's `Patient` at the answering payer.
    pub fn member_id(&self) -> Option<&'a Reference> {
        match parameter(self.parameters, names::MEMBER_ID)?
            .value
            .as_ref()?
        {
            OpenType::Reference(reference) => Some(reference),
            _ => None,
        }
    }
}

/// The first parameter named `name`.
fn parameter<'a>(parameters: &'a Parameters, name: &str) -> Option<&'a ParametersParameter> {
    parameters
        .parameter
        .iter()
        .find(|parameter| parameter.name.as_str() == Some(name))
}

/// The resource of the first parameter named `name`, if it is a `T`.
fn resource_parameter<'a, T: TypedResource>(
    parameters: &'a Parameters,
    name: &str,
) -> Option<&'a T> {
    parameter(parameters, name)?
        .resource
        .as_ref()?
        .downcast_ref()
}
