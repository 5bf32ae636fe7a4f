//! `Encounter` in the US Core 6.1.0 profile `us-core-encounter`: [`EncounterView`].

use fhir_model::Resource;
use fhir_model::datatypes::{Identifier, Reference};
use fhir_model::resources::{Encounter, EncounterParticipant};

use super::super::{Code, Concept, Span};

/// `us-core-encounter`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter";

code_system! {
    /// `Encounter.status` (`http://hl7.org/fhir/encounter-status`, required binding).
    EncounterStatus = "http://hl7.org/fhir/encounter-status" {
        /// Planned
        Planned = "planned", Some("Planned");
        /// Arrived
        Arrived = "arrived", Some("Arrived");
        /// Triaged
        Triaged = "triaged", Some("Triaged");
        /// In Progress
        InProgress = "in-progress", Some("In Progress");
        /// On Leave
        Onleave = "onleave", Some("On Leave");
        /// Finished
        Finished = "finished", Some("Finished");
        /// Cancelled
        Cancelled = "cancelled", Some("Cancelled");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

/// A read-only view of an `Encounter` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct EncounterView<'a> {
    encounter: &'a Encounter,
}

impl<'a> EncounterView<'a> {
    /// A view of `encounter`.
    pub fn new(encounter: &'a Encounter) -> EncounterView<'a> {
        EncounterView { encounter }
    }

    /// A view of `resource` if it is an `Encounter`.
    pub fn from_resource(resource: &'a Resource) -> Option<EncounterView<'a>> {
        resource.downcast_ref().map(EncounterView::new)
    }

    /// The resource itself.
    pub fn encounter(&self) -> &'a Encounter {
        self.encounter
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.encounter.identifier
    }

    /// `status`.
    pub fn status(&self) -> Option<EncounterStatus> {
        self.encounter
            .status
            .as_str()
            .map(EncounterStatus::from_code)
    }

    /// `class`: ambulatory, inpatient, emergency, ... (`v3-ActCode` `AMB`, `IMP`, `EMER`).
    pub fn class(&self) -> Option<Code<'a>> {
        Code::from_coding(self.encounter.class.as_ref()?)
    }

    /// `type`: the kind of visit (CPT, SNOMED CT, ...), 1..* in US Core.
    pub fn types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.encounter.r#type.iter().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.encounter.subject.as_ref()
    }

    /// `participant`, in document order.
    pub fn participants(&self) -> impl Iterator<Item = ParticipantView<'a>> + use<'a> {
        self.encounter
            .participant
            .iter()
            .map(|participant| ParticipantView { participant })
    }

    /// `period`: when it started and ended.
    pub fn period(&self) -> Option<Span> {
        self.encounter.period.as_ref().map(Span::from_period)
    }

    /// `reasonCode`.
    pub fn reason_codes(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.encounter.reason_code.iter().map(Concept::new)
    }

    /// `reasonReference`: the conditions, procedures or observations that are the reason.
    pub fn reason_references(&self) -> &'a [Reference] {
        &self.encounter.reason_reference
    }

    /// `hospitalization.dischargeDisposition`: where the patient went after.
    pub fn discharge_disposition(&self) -> Option<Concept<'a>> {
        self.encounter
            .hospitalization
            .as_ref()?
            .discharge_disposition
            .as_ref()
            .map(Concept::new)
    }

    /// `location.location`: where it took place, in document order.
    pub fn locations(&self) -> impl Iterator<Item = &'a Reference> + use<'a> {
        self.encounter
            .location
            .iter()
            .filter_map(|location| location.location.as_ref())
    }

    /// `serviceProvider`: the organization responsible.
    pub fn service_provider(&self) -> Option<&'a Reference> {
        self.encounter.service_provider.as_ref()
    }
}

/// One participant (`Encounter.participant`).
#[derive(Clone, Copy, Debug)]
pub struct ParticipantView<'a> {
    participant: &'a EncounterParticipant,
}

impl<'a> ParticipantView<'a> {
    /// The participant itself.
    pub fn participant(&self) -> &'a EncounterParticipant {
        self.participant
    }

    /// `type`: the role (attender, referrer, ...).
    pub fn types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.participant.r#type.iter().map(Concept::new)
    }

    /// `individual`: the practitioner, role or related person.
    pub fn individual(&self) -> Option<&'a Reference> {
        self.participant.individual.as_ref()
    }

    /// `period`.
    pub fn period(&self) -> Option<Span> {
        self.participant.period.as_ref().map(Span::from_period)
    }
}
