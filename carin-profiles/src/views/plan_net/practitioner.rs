//! `Practitioner` in the Plan-Net 1.1.0 profile `plannet-Practitioner`:
//! [`PractitionerView`].
//!
//! Identifiers and names are read as CARIN's [`crate::views::practitioner::PractitionerView`]
//! reads them ([`PractitionerView::base`]); Plan-Net adds qualifications with the
//! `practitioner-qualification` extension and the languages spoken with their
//! `communication-proficiency`.

use fhir_model::Resource;
use fhir_model::datatypes::{CodeableConcept, Identifier, Reference};
use fhir_model::resources::{Practitioner, PractitionerQualification};

use super::super::practitioner::PractitionerView as BaseView;
use super::super::{Concept, Span, ext_concept, ext_str, extension, extensions};
use super::{Telecom, ext, telecoms};
use crate::codes::plan_net::{LanguageProficiencyCS, QualificationStatusCS};

/// `plannet-Practitioner`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Practitioner";

/// A read-only view of a `Practitioner` in Plan-Net terms.
#[derive(Clone, Copy, Debug)]
pub struct PractitionerView<'a> {
    practitioner: &'a Practitioner,
}

impl<'a> PractitionerView<'a> {
    /// A view of `practitioner`.
    pub fn new(practitioner: &'a Practitioner) -> PractitionerView<'a> {
        PractitionerView { practitioner }
    }

    /// A view of `resource` if it is a `Practitioner`.
    pub fn from_resource(resource: &'a Resource) -> Option<PractitionerView<'a>> {
        resource.downcast_ref().map(PractitionerView::new)
    }

    /// The resource itself.
    pub fn practitioner(&self) -> &'a Practitioner {
        self.practitioner
    }

    /// The CARIN / US Core view: identifiers (NPI), names, active, addresses.
    pub fn base(&self) -> BaseView<'a> {
        BaseView::new(self.practitioner)
    }

    /// The NPI (see [`BaseView::npi`]).
    pub fn npi(&self) -> Option<&'a str> {
        self.base().npi()
    }

    /// `telecom`, with the Plan-Net availability extensions.
    pub fn telecoms(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.practitioner.telecom)
    }

    /// `qualification`, in document order.
    pub fn qualifications(
        &self,
    ) -> impl Iterator<Item = PractitionerQualificationView<'a>> + use<'a> {
        self.practitioner
            .qualification
            .iter()
            .map(|qualification| PractitionerQualificationView { qualification })
    }

    /// `communication`: the languages spoken, each with its `communication-proficiency`.
    pub fn communications(&self) -> impl Iterator<Item = Communication<'a>> + use<'a> {
        self.practitioner
            .communication
            .iter()
            .map(|language| Communication { language })
    }

    /// `communication-proficiency` extensions on the Practitioner itself rather than on a
    /// `communication`, where the Plan-Net 1.1.0 examples put them; which language they
    /// qualify is not stated.
    pub fn resource_level_proficiencies(
        &self,
    ) -> impl Iterator<Item = LanguageProficiencyCS> + use<'a> {
        extensions(&self.practitioner.extension, ext::COMMUNICATION_PROFICIENCY)
            .filter_map(ext_concept)
            .filter_map(|concept| {
                Concept::new(concept).find_map(LanguageProficiencyCS::from_coding)
            })
    }
}

/// One `Practitioner.communication`: a language and how well it is spoken.
#[derive(Clone, Copy, Debug)]
pub struct Communication<'a> {
    language: &'a CodeableConcept,
}

impl<'a> Communication<'a> {
    /// The language (BCP 47 code).
    pub fn language(&self) -> Concept<'a> {
        Concept::new(self.language)
    }

    /// The `communication-proficiency` extension on this language.
    pub fn proficiency(&self) -> Option<LanguageProficiencyCS> {
        Concept::new(ext_concept(extension(
            &self.language.extension,
            ext::COMMUNICATION_PROFICIENCY,
        )?)?)
        .find_map(LanguageProficiencyCS::from_coding)
    }
}

/// One `Practitioner.qualification` with the `practitioner-qualification` extension.
#[derive(Clone, Copy, Debug)]
pub struct PractitionerQualificationView<'a> {
    qualification: &'a PractitionerQualification,
}

impl<'a> PractitionerQualificationView<'a> {
    /// The qualification itself.
    pub fn qualification(&self) -> &'a PractitionerQualification {
        self.qualification
    }

    /// `identifier`: license numbers.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.qualification.identifier
    }

    /// `code` (1..1): the degree, license or board certification.
    pub fn code(&self) -> Option<Concept<'a>> {
        self.qualification.code.as_ref().map(Concept::new)
    }

    /// `period`.
    pub fn period(&self) -> Option<Span> {
        self.qualification.period.as_ref().map(Span::from_period)
    }

    /// `issuer`.
    pub fn issuer(&self) -> Option<&'a Reference> {
        self.qualification.issuer.as_ref()
    }

    /// `practitioner-qualification.status`: active, inactive, revoked, ...
    pub fn status(&self) -> Option<QualificationStatusCS> {
        ext_str(extension(
            &self.practitioner_qualification()?.extension,
            "status",
        )?)
        .map(QualificationStatusCS::from_code)
    }

    /// `practitioner-qualification.whereValid`: the states where it is valid.
    pub fn where_valid(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.practitioner_qualification()
            .into_iter()
            .flat_map(|e| extensions(&e.extension, "whereValid"))
            .filter_map(ext_concept)
            .map(Concept::new)
    }

    fn practitioner_qualification(&self) -> Option<&'a fhir_model::datatypes::Extension> {
        extension(
            &self.qualification.extension,
            ext::PRACTITIONER_QUALIFICATION,
        )
    }
}
