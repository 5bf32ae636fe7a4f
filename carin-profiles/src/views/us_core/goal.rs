//! `Goal` in the US Core 6.1.0 profile `us-core-goal`: [`GoalView`].

use fhir_model::datatypes::{CodeableConcept, Reference};
use fhir_model::resources::{Goal, GoalStart, GoalTarget, GoalTargetDetail, GoalTargetDue};
use fhir_model::{Date, Resource};

use super::super::{Concept, Measurement};
use super::observation::ObservedValue;

/// `us-core-goal`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal";

code_system! {
    /// `Goal.lifecycleStatus` (`http://hl7.org/fhir/goal-status`, required binding).
    GoalLifecycleStatus = "http://hl7.org/fhir/goal-status" {
        /// Proposed
        Proposed = "proposed", Some("Proposed");
        /// Planned
        Planned = "planned", Some("Planned");
        /// Accepted
        Accepted = "accepted", Some("Accepted");
        /// Active
        Active = "active", Some("Active");
        /// On Hold
        OnHold = "on-hold", Some("On Hold");
        /// Completed
        Completed = "completed", Some("Completed");
        /// Cancelled
        Cancelled = "cancelled", Some("Cancelled");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Rejected
        Rejected = "rejected", Some("Rejected");
    }
}

/// When pursuit of a goal starts (`start[x]`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum GoalStartsAt<'a> {
    /// `startDate`.
    Date(Date),
    /// `startCodeableConcept`: an event, such as discharge.
    Event(&'a CodeableConcept),
}

/// When a target is due (`target.due[x]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Due<'a> {
    /// `dueDate`.
    Date(Date),
    /// `dueDuration`: a time from the start.
    Duration(Measurement<'a>),
}

/// A read-only view of a `Goal` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct GoalView<'a> {
    goal: &'a Goal,
}

impl<'a> GoalView<'a> {
    /// A view of `goal`.
    pub fn new(goal: &'a Goal) -> GoalView<'a> {
        GoalView { goal }
    }

    /// A view of `resource` if it is a `Goal`.
    pub fn from_resource(resource: &'a Resource) -> Option<GoalView<'a>> {
        resource.downcast_ref().map(GoalView::new)
    }

    /// The resource itself.
    pub fn goal(&self) -> &'a Goal {
        self.goal
    }

    /// `lifecycleStatus`.
    pub fn lifecycle_status(&self) -> Option<GoalLifecycleStatus> {
        self.goal
            .lifecycle_status
            .as_str()
            .map(GoalLifecycleStatus::from_code)
    }

    /// `description`: the goal, coded or as text.
    pub fn description(&self) -> Option<Concept<'a>> {
        self.goal.description.as_ref().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.goal.subject.as_ref()
    }

    /// `start[x]`.
    pub fn start(&self) -> Option<GoalStartsAt<'a>> {
        match self.goal.start.as_ref()? {
            GoalStart::Date(date) => date.value.map(GoalStartsAt::Date),
            GoalStart::CodeableConcept(event) => Some(GoalStartsAt::Event(event)),
            _ => None,
        }
    }

    /// `target`, in document order.
    pub fn targets(&self) -> impl Iterator<Item = TargetView<'a>> + use<'a> {
        self.goal.target.iter().map(|target| TargetView { target })
    }

    /// The earliest `target.dueDate`.
    pub fn due_date(&self) -> Option<Date> {
        self.targets()
            .filter_map(|target| match target.due()? {
                Due::Date(date) => Some(date),
                Due::Duration(_) => None,
            })
            .reduce(|a, b| {
                if b.period_utc().start < a.period_utc().start {
                    b
                } else {
                    a
                }
            })
    }
}

/// One `Goal.target`.
#[derive(Clone, Copy, Debug)]
pub struct TargetView<'a> {
    target: &'a GoalTarget,
}

impl<'a> TargetView<'a> {
    /// The target itself.
    pub fn target(&self) -> &'a GoalTarget {
        self.target
    }

    /// `measure`: what is measured (LOINC).
    pub fn measure(&self) -> Option<Concept<'a>> {
        self.target.measure.as_ref().map(Concept::new)
    }

    /// `detail[x]`: the value aimed for.
    pub fn detail(&self) -> Option<ObservedValue<'a>> {
        match self.target.detail.as_ref()? {
            GoalTargetDetail::Quantity(q) => {
                Measurement::from_quantity(q).map(ObservedValue::Quantity)
            }
            GoalTargetDetail::Range(r) => Some(ObservedValue::Range {
                low: r.low.as_ref().and_then(Measurement::from_quantity),
                high: r.high.as_ref().and_then(Measurement::from_quantity),
            }),
            GoalTargetDetail::CodeableConcept(c) => Some(ObservedValue::Concept(c)),
            GoalTargetDetail::String(s) => s.as_str().map(ObservedValue::String),
            GoalTargetDetail::Boolean(b) => b.value.map(ObservedValue::Boolean),
            GoalTargetDetail::Integer(i) => i.value.map(ObservedValue::Integer),
            GoalTargetDetail::Ratio(r) => Some(ObservedValue::Ratio {
                numerator: r.numerator.as_ref().and_then(Measurement::from_quantity),
                denominator: r.denominator.as_ref().and_then(Measurement::from_quantity),
            }),
            _ => None,
        }
    }

    /// `due[x]`.
    pub fn due(&self) -> Option<Due<'a>> {
        match self.target.due.as_ref()? {
            GoalTargetDue::Date(date) => date.value.map(Due::Date),
            GoalTargetDue::Duration(duration) => {
                Measurement::from_duration(duration).map(Due::Duration)
            }
            _ => None,
        }
    }
}
