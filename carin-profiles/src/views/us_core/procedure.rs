//! `Procedure` in the US Core 6.1.0 profile `us-core-procedure`: [`ProcedureView`].

use fhir_model::Resource;
use fhir_model::datatypes::Reference;
use fhir_model::resources::{Procedure, ProcedurePerformed};

use super::super::Concept;
use super::ClinicalTime;

/// `us-core-procedure`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure";

code_system! {
    /// `Procedure.status` (`http://hl7.org/fhir/event-status`, required binding).
    ProcedureStatus = "http://hl7.org/fhir/event-status" {
        /// Preparation
        Preparation = "preparation", Some("Preparation");
        /// In Progress
        InProgress = "in-progress", Some("In Progress");
        /// Not Done
        NotDone = "not-done", Some("Not Done");
        /// On Hold
        OnHold = "on-hold", Some("On Hold");
        /// Stopped
        Stopped = "stopped", Some("Stopped");
        /// Completed
        Completed = "completed", Some("Completed");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

/// A read-only view of a `Procedure` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct ProcedureView<'a> {
    procedure: &'a Procedure,
}

impl<'a> ProcedureView<'a> {
    /// A view of `procedure`.
    pub fn new(procedure: &'a Procedure) -> ProcedureView<'a> {
        ProcedureView { procedure }
    }

    /// A view of `resource` if it is a `Procedure`.
    pub fn from_resource(resource: &'a Resource) -> Option<ProcedureView<'a>> {
        resource.downcast_ref().map(ProcedureView::new)
    }

    /// The resource itself.
    pub fn procedure(&self) -> &'a Procedure {
        self.procedure
    }

    /// `status`.
    pub fn status(&self) -> Option<ProcedureStatus> {
        self.procedure
            .status
            .as_str()
            .map(ProcedureStatus::from_code)
    }

    /// `code`: the procedure (CPT, SNOMED CT, ICD-10-PCS, HCPCS, ...).
    pub fn code(&self) -> Option<Concept<'a>> {
        self.procedure.code.as_ref().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.procedure.subject.as_ref()
    }

    /// `encounter`.
    pub fn encounter(&self) -> Option<&'a Reference> {
        self.procedure.encounter.as_ref()
    }

    /// `performed[x]`: when it was done.
    pub fn performed(&self) -> Option<ClinicalTime<'a>> {
        clinical_time!(self.procedure.performed.as_ref()?, ProcedurePerformed)
    }

    /// `performer.actor`, in document order.
    pub fn performers(&self) -> impl Iterator<Item = &'a Reference> + use<'a> {
        self.procedure
            .performer
            .iter()
            .filter_map(|performer| performer.actor.as_ref())
    }

    /// `reasonCode`.
    pub fn reason_codes(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.procedure.reason_code.iter().map(Concept::new)
    }
}
