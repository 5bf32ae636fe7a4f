//! `Coverage` in the CARIN Blue Button 2.0.0 profile `C4BB-Coverage`
//! (<http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage>): [`CoverageView`].

use fhir_model::Resource;
use fhir_model::datatypes::{CodeableConcept, Identifier, Period, Reference};
use fhir_model::resources::{Coverage, CoverageClass};

use super::{V2_IDENTIFIER_TYPE, code_in, has_coding, identifier_of_type};

/// `http://terminology.hl7.org/CodeSystem/coverage-class`: `group`, `plan`, ...
const COVERAGE_CLASS_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/coverage-class";
/// `http://terminology.hl7.org/CodeSystem/subscriber-relationship`, the required binding of
/// `Coverage.relationship`.
const RELATIONSHIP_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/subscriber-relationship";

/// A read-only view of a `Coverage` in CARIN BB terms: who is covered, under which plan,
/// by which payer.
#[derive(Clone, Copy, Debug)]
pub struct CoverageView<'a> {
    coverage: &'a Coverage,
}

impl<'a> CoverageView<'a> {
    /// A view of `coverage`.
    pub fn new(coverage: &'a Coverage) -> CoverageView<'a> {
        CoverageView { coverage }
    }

    /// A view of `resource` if it is a `Coverage`.
    pub fn from_resource(resource: &'a Resource) -> Option<CoverageView<'a>> {
        resource.downcast_ref().map(CoverageView::new)
    }

    /// The resource itself.
    pub fn coverage(&self) -> &'a Coverage {
        self.coverage
    }

    /// The member id: the first `identifier` of type `v2-0203#MB` (member number), the
    /// id on the member's card.
    pub fn member_id(&self) -> Option<&'a Identifier> {
        identifier_of_type(&self.coverage.identifier, V2_IDENTIFIER_TYPE, "MB")
    }

    /// `subscriberId`: the id the payer assigned the subscriber (1..1 in C4BB-Coverage).
    pub fn subscriber_id(&self) -> Option<&'a str> {
        self.coverage.subscriber_id.as_str()
    }

    /// The member's relationship to the subscriber (`self`, `spouse`, `child`, ...): the
    /// code of `relationship` in the subscriber-relationship code system.
    pub fn relationship(&self) -> Option<&'a str> {
        code_in(self.coverage.relationship.as_ref(), RELATIONSHIP_SYSTEM)
    }

    /// `beneficiary`: the member (a C4BB-Patient).
    pub fn beneficiary_reference(&self) -> Option<&'a Reference> {
        self.coverage.beneficiary.as_ref()
    }

    /// `payor`: the issuer of the policy (C4BB-Coverage allows exactly one, FHIR more).
    pub fn payor_references(&self) -> &'a [Reference] {
        &self.coverage.payor
    }

    /// `period`: when the coverage is in force.
    pub fn period(&self) -> Option<&'a Period> {
        self.coverage.period.as_ref()
    }

    /// `status`: `active`, `cancelled`, `draft` or `entered-in-error`.
    pub fn status(&self) -> Option<&'a str> {
        self.coverage.status.as_str()
    }

    /// The group (`class:group`): `value` is the group number, `name` the employer or
    /// group name.
    pub fn group(&self) -> Option<&'a CoverageClass> {
        self.class("group")
    }

    /// The plan (`class:plan`): `value` is the plan id, `name` the plan name.
    pub fn plan(&self) -> Option<&'a CoverageClass> {
        self.class("plan")
    }

    /// `type`: the kind of coverage (e.g. `v3-ActCode#HIP` health insurance plan,
    /// `#DENTAL`), where payers state the line of business. CARIN BB 2.0.0 defines no
    /// separate line-of-business element.
    pub fn coverage_type(&self) -> Option<&'a CodeableConcept> {
        self.coverage.r#type.as_ref()
    }

    /// The first `class` whose type is `coverage-class#code`.
    fn class(&self, code: &str) -> Option<&'a CoverageClass> {
        self.coverage
            .class
            .iter()
            .find(|class| has_coding(class.r#type.as_ref(), COVERAGE_CLASS_SYSTEM, code))
    }
}
