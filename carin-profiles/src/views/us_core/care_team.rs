//! `CareTeam` in the US Core 6.1.0 profile `us-core-careteam`: [`CareTeamView`].

use fhir_model::Resource;
use fhir_model::datatypes::Reference;
use fhir_model::resources::{CareTeam, CareTeamParticipant};

use super::super::{Concept, Span};

/// `us-core-careteam`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careteam";

code_system! {
    /// `CareTeam.status` (`http://hl7.org/fhir/care-team-status`, required binding).
    CareTeamStatus = "http://hl7.org/fhir/care-team-status" {
        /// Proposed
        Proposed = "proposed", Some("Proposed");
        /// Active
        Active = "active", Some("Active");
        /// Suspended
        Suspended = "suspended", Some("Suspended");
        /// Inactive
        Inactive = "inactive", Some("Inactive");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
    }
}

/// A read-only view of a `CareTeam` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct CareTeamView<'a> {
    team: &'a CareTeam,
}

impl<'a> CareTeamView<'a> {
    /// A view of `team`.
    pub fn new(team: &'a CareTeam) -> CareTeamView<'a> {
        CareTeamView { team }
    }

    /// A view of `resource` if it is a `CareTeam`.
    pub fn from_resource(resource: &'a Resource) -> Option<CareTeamView<'a>> {
        resource.downcast_ref().map(CareTeamView::new)
    }

    /// The resource itself.
    pub fn team(&self) -> &'a CareTeam {
        self.team
    }

    /// `status`.
    pub fn status(&self) -> Option<CareTeamStatus> {
        self.team.status.as_str().map(CareTeamStatus::from_code)
    }

    /// `name`.
    pub fn name(&self) -> Option<&'a str> {
        self.team.name.as_str()
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.team.subject.as_ref()
    }

    /// `participant`, in document order.
    pub fn participants(&self) -> impl ExactSizeIterator<Item = MemberView<'a>> + use<'a> {
        self.team
            .participant
            .iter()
            .map(|participant| MemberView { participant })
    }
}

/// One `CareTeam.participant`: a member and their role.
#[derive(Clone, Copy, Debug)]
pub struct MemberView<'a> {
    participant: &'a CareTeamParticipant,
}

impl<'a> MemberView<'a> {
    /// The participant itself.
    pub fn participant(&self) -> &'a CareTeamParticipant {
        self.participant
    }

    /// `role`: cardiologist, primary care provider, caregiver, ... (SNOMED CT, NUCC).
    pub fn roles(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.participant.role.iter().map(Concept::new)
    }

    /// `member`: the practitioner, role, organization, patient or related person.
    pub fn member(&self) -> Option<&'a Reference> {
        self.participant.member.as_ref()
    }

    /// `onBehalfOf`: the organization the member acts for.
    pub fn on_behalf_of(&self) -> Option<&'a Reference> {
        self.participant.on_behalf_of.as_ref()
    }

    /// `period`.
    pub fn period(&self) -> Option<Span> {
        self.participant.period.as_ref().map(Span::from_period)
    }
}
