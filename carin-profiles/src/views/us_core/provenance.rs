//! `Provenance` in the US Core 6.1.0 profile `us-core-provenance`: [`ProvenanceView`],
//! also the base of the PDex provenance view
//! ([`crate::views::pdex::provenance::PdexProvenanceView`]).

use fhir_model::datatypes::Reference;
use fhir_model::resources::{Provenance, ProvenanceAgent};
use fhir_model::{Instant, Resource};

use super::super::Concept;

/// `us-core-provenance`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance";

/// `http://terminology.hl7.org/CodeSystem/provenance-participant-type`: `author`,
/// `custodian`, `informant`, ...
pub const PARTICIPANT_TYPE: &str =
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
/// `http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type`: US Core's
/// `transmitter`.
pub const US_CORE_PARTICIPANT_TYPE: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type";

/// The agent slices US Core defines, by `agent.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AgentKind {
    /// `provenance-participant-type#author` (`agent:ProvenanceAuthor`).
    Author,
    /// `us-core-provenance-participant-type#transmitter` (`agent:ProvenanceTransmitter`).
    Transmitter,
}

/// A read-only view of a `Provenance` in US Core terms: which resources, recorded when, by
/// whom.
#[derive(Clone, Copy, Debug)]
pub struct ProvenanceView<'a> {
    provenance: &'a Provenance,
}

impl<'a> ProvenanceView<'a> {
    /// A view of `provenance`.
    pub fn new(provenance: &'a Provenance) -> ProvenanceView<'a> {
        ProvenanceView { provenance }
    }

    /// A view of `resource` if it is a `Provenance`.
    pub fn from_resource(resource: &'a Resource) -> Option<ProvenanceView<'a>> {
        resource.downcast_ref().map(ProvenanceView::new)
    }

    /// The resource itself.
    pub fn provenance(&self) -> &'a Provenance {
        self.provenance
    }

    /// `target` (1..*): the resources this provenance is about.
    pub fn targets(&self) -> &'a [Reference] {
        &self.provenance.target
    }

    /// `recorded` (1..1).
    pub fn recorded(&self) -> Option<Instant> {
        self.provenance.recorded.value
    }

    /// `agent` (1..*), in document order.
    pub fn agents(&self) -> impl Iterator<Item = AgentView<'a>> + use<'a> {
        self.provenance
            .agent
            .iter()
            .map(|agent| AgentView { agent })
    }

    /// The first agent of this kind.
    pub fn agent(&self, kind: AgentKind) -> Option<AgentView<'a>> {
        self.agents().find(|agent| agent.kind() == Some(kind))
    }

    /// `who` of the first author agent.
    pub fn author(&self) -> Option<&'a Reference> {
        self.agent(AgentKind::Author)?.who()
    }

    /// `who` of the first transmitter agent.
    pub fn transmitter(&self) -> Option<&'a Reference> {
        self.agent(AgentKind::Transmitter)?.who()
    }
}

/// One `Provenance.agent`.
#[derive(Clone, Copy, Debug)]
pub struct AgentView<'a> {
    agent: &'a ProvenanceAgent,
}

impl<'a> AgentView<'a> {
    /// The agent itself.
    pub fn agent(&self) -> &'a ProvenanceAgent {
        self.agent
    }

    /// `type`: author, transmitter, custodian, ...
    pub fn agent_type(&self) -> Option<Concept<'a>> {
        self.agent.r#type.as_ref().map(Concept::new)
    }

    /// Which US Core slice the type puts the agent in; `None` for other types.
    pub fn kind(&self) -> Option<AgentKind> {
        let concept = self.agent_type()?;
        if concept.has(PARTICIPANT_TYPE, "author") {
            Some(AgentKind::Author)
        } else if concept.has(US_CORE_PARTICIPANT_TYPE, "transmitter") {
            Some(AgentKind::Transmitter)
        } else {
            None
        }
    }

    /// `who` (1..1).
    pub fn who(&self) -> Option<&'a Reference> {
        self.agent.who.as_ref()
    }

    /// `onBehalfOf`: the organization the agent acted for.
    pub fn on_behalf_of(&self) -> Option<&'a Reference> {
        self.agent.on_behalf_of.as_ref()
    }
}
