//! `AllergyIntolerance` in the US Core 6.1.0 profile `us-core-allergyintolerance`:
//! [`AllergyIntoleranceView`].

use fhir_model::datatypes::Reference;
use fhir_model::resources::{
    AllergyIntolerance, AllergyIntoleranceOnset, AllergyIntoleranceReaction,
};
use fhir_model::{DateTime, Resource};

use super::super::Concept;
use super::ClinicalTime;

/// `us-core-allergyintolerance`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-allergyintolerance";

code_system! {
    /// `AllergyIntolerance.clinicalStatus`
    /// (`http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical`, required binding).
    AllergyClinicalStatus = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical" {
        /// Active
        Active = "active", Some("Active");
        /// Inactive
        Inactive = "inactive", Some("Inactive");
        /// Resolved
        Resolved = "resolved", Some("Resolved");
    }
}

code_system! {
    /// `AllergyIntolerance.verificationStatus`
    /// (`http://terminology.hl7.org/CodeSystem/allergyintolerance-verification`, required
    /// binding).
    AllergyVerificationStatus = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification" {
        /// Unconfirmed
        Unconfirmed = "unconfirmed", Some("Unconfirmed");
        /// Confirmed
        Confirmed = "confirmed", Some("Confirmed");
        /// Refuted
        Refuted = "refuted", Some("Refuted");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
    }
}

code_system! {
    /// `AllergyIntolerance.criticality`
    /// (`http://hl7.org/fhir/allergy-intolerance-criticality`, required binding).
    AllergyCriticality = "http://hl7.org/fhir/allergy-intolerance-criticality" {
        /// Low Risk
        Low = "low", Some("Low Risk");
        /// High Risk
        High = "high", Some("High Risk");
        /// Unable to Assess Risk
        UnableToAssess = "unable-to-assess", Some("Unable to Assess Risk");
    }
}

code_system! {
    /// `AllergyIntolerance.category` (`http://hl7.org/fhir/allergy-intolerance-category`,
    /// required binding).
    AllergyCategory = "http://hl7.org/fhir/allergy-intolerance-category" {
        /// Food
        Food = "food", Some("Food");
        /// Medication
        Medication = "medication", Some("Medication");
        /// Environment
        Environment = "environment", Some("Environment");
        /// Biologic
        Biologic = "biologic", Some("Biologic");
    }
}

/// A read-only view of an `AllergyIntolerance` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct AllergyIntoleranceView<'a> {
    allergy: &'a AllergyIntolerance,
}

impl<'a> AllergyIntoleranceView<'a> {
    /// A view of `allergy`.
    pub fn new(allergy: &'a AllergyIntolerance) -> AllergyIntoleranceView<'a> {
        AllergyIntoleranceView { allergy }
    }

    /// A view of `resource` if it is an `AllergyIntolerance`.
    pub fn from_resource(resource: &'a Resource) -> Option<AllergyIntoleranceView<'a>> {
        resource.downcast_ref().map(AllergyIntoleranceView::new)
    }

    /// The resource itself.
    pub fn allergy(&self) -> &'a AllergyIntolerance {
        self.allergy
    }

    /// `clinicalStatus`: active, inactive or resolved.
    pub fn clinical_status(&self) -> Option<AllergyClinicalStatus> {
        Concept::new(self.allergy.clinical_status.as_ref()?)
            .find_map(AllergyClinicalStatus::from_coding)
    }

    /// `verificationStatus`: unconfirmed, confirmed, refuted or entered in error.
    pub fn verification_status(&self) -> Option<AllergyVerificationStatus> {
        Concept::new(self.allergy.verification_status.as_ref()?)
            .find_map(AllergyVerificationStatus::from_coding)
    }

    /// `code`: the substance (RxNorm, SNOMED CT, ...), or the negation ("no known allergy").
    pub fn code(&self) -> Option<Concept<'a>> {
        self.allergy.code.as_ref().map(Concept::new)
    }

    /// `patient`.
    pub fn patient(&self) -> Option<&'a Reference> {
        self.allergy.patient.as_ref()
    }

    /// `type`: `allergy` or `intolerance`.
    pub fn kind(&self) -> Option<&'a str> {
        self.allergy.r#type.as_str()
    }

    /// `category`: food, medication, environment, biologic.
    pub fn categories(&self) -> impl Iterator<Item = AllergyCategory> + use<'a> {
        self.allergy
            .category
            .iter()
            .filter_map(|c| c.as_str())
            .map(AllergyCategory::from_code)
    }

    /// `criticality`: the potential for a serious reaction.
    pub fn criticality(&self) -> Option<AllergyCriticality> {
        self.allergy
            .criticality
            .as_str()
            .map(AllergyCriticality::from_code)
    }

    /// `onset[x]`.
    pub fn onset(&self) -> Option<ClinicalTime<'a>> {
        clinical_time!(self.allergy.onset.as_ref()?, AllergyIntoleranceOnset)
    }

    /// `recordedDate`.
    pub fn recorded_date(&self) -> Option<DateTime> {
        self.allergy.recorded_date.value
    }

    /// `reaction`, in document order.
    pub fn reactions(&self) -> impl Iterator<Item = ReactionView<'a>> + use<'a> {
        self.allergy
            .reaction
            .iter()
            .map(|reaction| ReactionView { reaction })
    }
}

/// One reaction (`AllergyIntolerance.reaction`).
#[derive(Clone, Copy, Debug)]
pub struct ReactionView<'a> {
    reaction: &'a AllergyIntoleranceReaction,
}

impl<'a> ReactionView<'a> {
    /// The reaction itself.
    pub fn reaction(&self) -> &'a AllergyIntoleranceReaction {
        self.reaction
    }

    /// `manifestation`: the signs (skin rash, anaphylaxis, ...), 1..* in US Core.
    pub fn manifestations(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.reaction.manifestation.iter().map(Concept::new)
    }

    /// `severity`: `mild`, `moderate` or `severe`.
    pub fn severity(&self) -> Option<&'a str> {
        self.reaction.severity.as_str()
    }

    /// `substance`: the specific substance, when it differs from the allergy's code.
    pub fn substance(&self) -> Option<Concept<'a>> {
        self.reaction.substance.as_ref().map(Concept::new)
    }

    /// `onset`.
    pub fn onset(&self) -> Option<DateTime> {
        self.reaction.onset.value
    }
}
