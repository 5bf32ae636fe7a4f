//! `Condition` in the US Core 6.1.0 profiles `us-core-condition-problems-health-concerns`
//! and `us-core-condition-encounter-diagnosis`: [`ConditionView`].

use fhir_model::datatypes::{Coding, Reference};
use fhir_model::resources::{Condition, ConditionAbatement, ConditionOnset};
use fhir_model::{DateTime, Resource};

use super::super::{Concept, extension};
use super::ClinicalTime;
use fhir_model::datatypes::OpenType;

/// `us-core-condition-problems-health-concerns`: problem list items and health concerns.
pub const PROFILE_PROBLEMS_HEALTH_CONCERNS: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-problems-health-concerns";
/// `us-core-condition-encounter-diagnosis`: diagnoses made during an encounter.
pub const PROFILE_ENCOUNTER_DIAGNOSIS: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-encounter-diagnosis";

/// The core extension holding when the condition was first asserted.
const ASSERTED_DATE: &str = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate";

code_system! {
    /// `Condition.clinicalStatus`
    /// (`http://terminology.hl7.org/CodeSystem/condition-clinical`, required binding).
    ConditionClinicalStatus = "http://terminology.hl7.org/CodeSystem/condition-clinical" {
        /// Active
        Active = "active", Some("Active");
        /// Recurrence
        Recurrence = "recurrence", Some("Recurrence");
        /// Relapse
        Relapse = "relapse", Some("Relapse");
        /// Inactive
        Inactive = "inactive", Some("Inactive");
        /// Remission
        Remission = "remission", Some("Remission");
        /// Resolved
        Resolved = "resolved", Some("Resolved");
    }
}

code_system! {
    /// `Condition.verificationStatus`
    /// (`http://terminology.hl7.org/CodeSystem/condition-ver-status`, required binding).
    ConditionVerificationStatus = "http://terminology.hl7.org/CodeSystem/condition-ver-status" {
        /// Unconfirmed
        Unconfirmed = "unconfirmed", Some("Unconfirmed");
        /// Provisional
        Provisional = "provisional", Some("Provisional");
        /// Differential
        Differential = "differential", Some("Differential");
        /// Confirmed
        Confirmed = "confirmed", Some("Confirmed");
        /// Refuted
        Refuted = "refuted", Some("Refuted");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
    }
}

/// What kind of condition record this is: the `category` US Core slices on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConditionCategory {
    /// `condition-category#problem-list-item`: on the patient's problem list.
    ProblemListItem,
    /// `condition-category#encounter-diagnosis`: diagnosed during an encounter.
    EncounterDiagnosis,
    /// US Core `condition-category#health-concern`: a concern of the patient or a clinician.
    HealthConcern,
}

impl ConditionCategory {
    /// `http://terminology.hl7.org/CodeSystem/condition-category`.
    pub const HL7_SYSTEM: &'static str = "http://terminology.hl7.org/CodeSystem/condition-category";
    /// `http://hl7.org/fhir/us/core/CodeSystem/condition-category`, which has
    /// `health-concern`.
    pub const US_CORE_SYSTEM: &'static str =
        "http://hl7.org/fhir/us/core/CodeSystem/condition-category";

    /// The category of `coding`, if it is one of the three.
    pub fn from_coding(coding: &Coding) -> Option<ConditionCategory> {
        match (coding.system.as_str()?, coding.code.as_str()?) {
            (Self::HL7_SYSTEM, "problem-list-item") => Some(ConditionCategory::ProblemListItem),
            (Self::HL7_SYSTEM, "encounter-diagnosis") => {
                Some(ConditionCategory::EncounterDiagnosis)
            }
            (Self::US_CORE_SYSTEM, "health-concern") => Some(ConditionCategory::HealthConcern),
            _ => None,
        }
    }

    /// The US Core 6.1.0 profile of conditions of this category.
    pub fn profile(self) -> &'static str {
        match self {
            ConditionCategory::EncounterDiagnosis => PROFILE_ENCOUNTER_DIAGNOSIS,
            _ => PROFILE_PROBLEMS_HEALTH_CONCERNS,
        }
    }
}

/// A read-only view of a `Condition` in US Core terms: a problem, health concern or
/// encounter diagnosis.
#[derive(Clone, Copy, Debug)]
pub struct ConditionView<'a> {
    condition: &'a Condition,
}

impl<'a> ConditionView<'a> {
    /// A view of `condition`.
    pub fn new(condition: &'a Condition) -> ConditionView<'a> {
        ConditionView { condition }
    }

    /// A view of `resource` if it is a `Condition`.
    pub fn from_resource(resource: &'a Resource) -> Option<ConditionView<'a>> {
        resource.downcast_ref().map(ConditionView::new)
    }

    /// The resource itself.
    pub fn condition(&self) -> &'a Condition {
        self.condition
    }

    /// `clinicalStatus`: active, resolved, ... (its first coding in the HL7 code system).
    pub fn clinical_status(&self) -> Option<ConditionClinicalStatus> {
        Concept::new(self.condition.clinical_status.as_ref()?)
            .find_map(ConditionClinicalStatus::from_coding)
    }

    /// `verificationStatus`: confirmed, provisional, ...
    pub fn verification_status(&self) -> Option<ConditionVerificationStatus> {
        Concept::new(self.condition.verification_status.as_ref()?)
            .find_map(ConditionVerificationStatus::from_coding)
    }

    /// `category`: every category, in document order (US Core adds `sdoh` and others).
    pub fn categories(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.condition.category.iter().map(Concept::new)
    }

    /// The first category that is a problem, health concern or encounter diagnosis.
    pub fn category(&self) -> Option<ConditionCategory> {
        self.condition
            .category
            .iter()
            .flat_map(|c| &c.coding)
            .find_map(ConditionCategory::from_coding)
    }

    /// `code`: the problem or diagnosis (SNOMED CT, ICD-10-CM, ...).
    pub fn code(&self) -> Option<Concept<'a>> {
        self.condition.code.as_ref().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.condition.subject.as_ref()
    }

    /// `encounter`: where an encounter diagnosis was made.
    pub fn encounter(&self) -> Option<&'a Reference> {
        self.condition.encounter.as_ref()
    }

    /// `onset[x]`: when it began.
    pub fn onset(&self) -> Option<ClinicalTime<'a>> {
        clinical_time!(self.condition.onset.as_ref()?, ConditionOnset)
    }

    /// `abatement[x]`: when it resolved or went into remission.
    pub fn abatement(&self) -> Option<ClinicalTime<'a>> {
        clinical_time!(self.condition.abatement.as_ref()?, ConditionAbatement)
    }

    /// `recordedDate`: when it was first recorded.
    pub fn recorded_date(&self) -> Option<DateTime> {
        self.condition.recorded_date.value
    }

    /// The `condition-assertedDate` extension: when it was first asserted.
    pub fn asserted_date(&self) -> Option<DateTime> {
        match extension(&self.condition.extension, ASSERTED_DATE)?
            .value
            .as_ref()?
        {
            OpenType::DateTime(at) => at.value,
            _ => None,
        }
    }
}
