//! `ExplanationOfBenefit` in the CARIN Blue Button 2.0.0 EOB profiles: [`EobView`] reads
//! any of them, [`ProfessionalEobBuilder`] makes a Professional NonClinician one.
//!
//! The five concrete profiles (all derived from the abstract `C4BB-ExplanationOfBenefit`)
//! differ by `type` and, for institutional claims, `subType`:
//!
//! | profile | `type` (claim-type) | `subType` (C4BBInstitutionalClaimSubType) |
//! |---|---|---|
//! | [`PROFILE_INPATIENT_INSTITUTIONAL`] | `institutional` | `inpatient` |
//! | [`PROFILE_OUTPATIENT_INSTITUTIONAL`] | `institutional` | `outpatient` |
//! | [`PROFILE_PROFESSIONAL_NONCLINICIAN`] | `professional` or `vision` | any |
//! | [`PROFILE_PHARMACY`] | `pharmacy` | any |
//! | [`PROFILE_ORAL`] | `oral` | any |
//!
//! Amounts are adjudications keyed by an [`AdjudicationCategory`]: the HL7 adjudication
//! codes CARIN uses (`submitted`, `copay`, `eligible`, `deductible`, `benefit`) and the
//! CARIN [`C4BBAdjudication`] codes (`paidbypatient`, `paidtoprovider`, `coinsurance`, ...).
//! They sit in three places, and which one a payer fills depends on the claim type:
//! `total` (claim totals, 1..* in every profile), the header `adjudication` (institutional
//! claims may adjudicate at the header instead of per line) and `item.adjudication`.
//! [`EobView::amount`] looks in that order.
//!
//! ```
//! use carin_profiles::codes::{C4BBAdjudication, C4BBPayerAdjudicationStatus};
//! use carin_profiles::views::Amount;
//! use carin_profiles::views::eob::{
//!     AdjudicationCategory, ClaimType, EobView, ProfessionalEobBuilder, ProfessionalEobHeader,
//!     ProfessionalLine, PROFILE_PROFESSIONAL_NONCLINICIAN,
//! };
//! use fhir_model::datatypes::{Coding, Reference};
//! use fhir_model::{Date, DateTime, Instant};
//!
//! let mut cpt = Coding::default();
//! cpt.system = "http://www.ama-assn.org/go/cpt".into();
//! cpt.code = "97110".into();
//! let mut icd = Coding::default();
//! icd.system = "http://hl7.org/fhir/sid/icd-10-cm".into();
//! icd.code = "S06.0X1A".into();
//!
//! let eob = ProfessionalEobBuilder::new(ProfessionalEobHeader {
//!     unique_claim_id: "claim-1".to_owned(),
//!     last_updated: Instant::parse("2024-02-01T10:00:00Z")?,
//!     created: DateTime::parse("2024-02-01")?,
//!     billable_start: DateTime::parse("2024-01-15")?,
//!     patient: Reference::to_resource("Patient", "member-1"),
//!     insurer: Reference::to_resource("Organization", "payer"),
//!     provider: Reference::to_resource("Practitioner", "dr-1"),
//!     coverage: Reference::to_resource("Coverage", "cov-1"),
//!     principal_diagnosis: icd,
//! })
//! .line(
//!     ProfessionalLine::new(
//!         cpt,
//!         Date::parse("2024-01-15")?,
//!         "11", // place of service: office
//!         C4BBPayerAdjudicationStatus::Innetwork,
//!     )
//!     .amount(AdjudicationCategory::Submitted, Amount::from_cents(15000, "USD"))
//!     .amount(C4BBAdjudication::Paidbypatient, Amount::from_cents(2500, "USD")),
//! )
//! .build()?;
//!
//! let view = EobView::new(&eob);
//! assert_eq!(view.claim_type(), Some(ClaimType::Professional));
//! assert_eq!(view.profile_by_content(), Some(PROFILE_PROFESSIONAL_NONCLINICIAN));
//! assert_eq!(view.member_paid().and_then(|paid| paid.to_cents()), Some(2500));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::num::NonZeroU32;

use fhir_model::datatypes::{
    CodeableConcept, Coding, Identifier, Meta, Period, Quantity, Reference,
};
use fhir_model::resources::{
    ExplanationOfBenefit, ExplanationOfBenefitDiagnosis, ExplanationOfBenefitDiagnosisDiagnosis,
    ExplanationOfBenefitInsurance, ExplanationOfBenefitItem, ExplanationOfBenefitItemAdjudication,
    ExplanationOfBenefitItemLocation, ExplanationOfBenefitItemServiced, ExplanationOfBenefitTotal,
};
use fhir_model::{Date, DateTime, Decimal, Instant, Resource};

use super::{
    Amount, CARIN_BB_VERSION, ServiceDates, code_in, coding, concept, has_coding,
    identifier_of_type,
};
use crate::codes::{
    C4BBAdjudication, C4BBAdjudicationDiscriminator, C4BBClaimDiagnosisType, C4BBIdentifierType,
    C4BBInstitutionalClaimSubType, C4BBPayerAdjudicationStatus,
};

/// `C4BB-ExplanationOfBenefit-Inpatient-Institutional`: institutional claims, subtype
/// inpatient.
pub const PROFILE_INPATIENT_INSTITUTIONAL: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Inpatient-Institutional";
/// `C4BB-ExplanationOfBenefit-Outpatient-Institutional`: institutional claims, subtype
/// outpatient.
pub const PROFILE_OUTPATIENT_INSTITUTIONAL: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Outpatient-Institutional";
/// `C4BB-ExplanationOfBenefit-Professional-NonClinician`: professional and vision claims.
pub const PROFILE_PROFESSIONAL_NONCLINICIAN: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician";
/// `C4BB-ExplanationOfBenefit-Pharmacy`: pharmacy claims.
pub const PROFILE_PHARMACY: &str =
    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy";
/// `C4BB-ExplanationOfBenefit-Oral`: oral (dental) claims.
pub const PROFILE_ORAL: &str =
    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Oral";

/// `http://terminology.hl7.org/CodeSystem/ex-diagnosistype`, which has `principal`.
const DIAGNOSIS_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype";
/// The CMS Place of Service code set, the system of `item.locationCodeableConcept`.
const PLACE_OF_SERVICE_SYSTEM: &str =
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";

/// The claim type (`ExplanationOfBenefit.type`), from
/// `http://terminology.hl7.org/CodeSystem/claim-type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClaimType {
    /// `institutional`: hospital, skilled nursing and other facility claims.
    Institutional,
    /// `oral`: dental claims.
    Oral,
    /// `pharmacy`: pharmacy claims.
    Pharmacy,
    /// `professional`: physician and other clinician claims.
    Professional,
    /// `vision`: vision claims (CARIN puts them in the Professional NonClinician profile).
    Vision,
    /// Another code of the claim-type code system, kept as sent.
    Other(String),
}

impl ClaimType {
    /// The code system of `ExplanationOfBenefit.type` in every CARIN EOB profile.
    pub const SYSTEM: &'static str = "http://terminology.hl7.org/CodeSystem/claim-type";

    /// The variant for `code`; an unknown code gives `Other(code)`.
    pub fn from_code(code: &str) -> ClaimType {
        match code {
            "institutional" => ClaimType::Institutional,
            "oral" => ClaimType::Oral,
            "pharmacy" => ClaimType::Pharmacy,
            "professional" => ClaimType::Professional,
            "vision" => ClaimType::Vision,
            other => ClaimType::Other(other.to_owned()),
        }
    }

    /// The code (`Coding.code`).
    pub fn code(&self) -> &str {
        match self {
            ClaimType::Institutional => "institutional",
            ClaimType::Oral => "oral",
            ClaimType::Pharmacy => "pharmacy",
            ClaimType::Professional => "professional",
            ClaimType::Vision => "vision",
            ClaimType::Other(code) => code,
        }
    }
}

/// What an adjudication amount or a total is (`adjudication.category`, `total.category`).
///
/// CARIN binds amount categories to the ValueSet `C4BBAdjudication`: five codes of the HL7
/// adjudication code system and the CARIN [`C4BBAdjudication`] code system. A category is
/// matched by system and code, so `Carin(C4BBAdjudication::Paidbypatient)` finds a coding
/// `C4BBAdjudication#paidbypatient` whatever its display.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AdjudicationCategory {
    /// `submitted`: the amount the provider billed.
    Submitted,
    /// `copay`: the member's copayment.
    Copay,
    /// `eligible`: the amount allowed for the service.
    Eligible,
    /// `deductible`: the amount applied to the member's deductible.
    Deductible,
    /// `benefit`: the amount the payer pays.
    Benefit,
    /// A CARIN code (`coinsurance`, `noncovered`, `paidbypatient`, `paidtoprovider`,
    /// `memberliability`, `discount`, `drugcost`, ...).
    Carin(C4BBAdjudication),
    /// Any other coding, including the HL7 adjudication codes CARIN does not use.
    Other {
        /// `Coding.system`.
        system: String,
        /// `Coding.code`.
        code: String,
    },
}

impl AdjudicationCategory {
    /// `http://terminology.hl7.org/CodeSystem/adjudication`, the system of `submitted`,
    /// `copay`, `eligible`, `deductible` and `benefit`.
    pub const HL7_SYSTEM: &'static str = "http://terminology.hl7.org/CodeSystem/adjudication";

    /// The category of a coding; `None` when it lacks a system or a code.
    pub fn from_coding(coding: &Coding) -> Option<AdjudicationCategory> {
        let system = coding.system.as_str()?;
        let code = coding.code.as_str()?;
        Some(match (system, code) {
            (Self::HL7_SYSTEM, "submitted") => AdjudicationCategory::Submitted,
            (Self::HL7_SYSTEM, "copay") => AdjudicationCategory::Copay,
            (Self::HL7_SYSTEM, "eligible") => AdjudicationCategory::Eligible,
            (Self::HL7_SYSTEM, "deductible") => AdjudicationCategory::Deductible,
            (Self::HL7_SYSTEM, "benefit") => AdjudicationCategory::Benefit,
            (C4BBAdjudication::SYSTEM, code) => {
                AdjudicationCategory::Carin(C4BBAdjudication::from_code(code))
            }
            (system, code) => AdjudicationCategory::Other {
                system: system.to_owned(),
                code: code.to_owned(),
            },
        })
    }

    /// The category of a `CodeableConcept`: its first coding in one of the two amount
    /// code systems, else its first coding with a system and a code.
    pub fn from_concept(concept: &CodeableConcept) -> Option<AdjudicationCategory> {
        let amount_coding = concept.coding.iter().find(|c| {
            matches!(
                c.system.as_str(),
                Some(Self::HL7_SYSTEM | C4BBAdjudication::SYSTEM)
            )
        });
        amount_coding
            .into_iter()
            .chain(&concept.coding)
            .find_map(AdjudicationCategory::from_coding)
    }

    /// The code system (`Coding.system`).
    pub fn system(&self) -> &str {
        match self {
            AdjudicationCategory::Submitted
            | AdjudicationCategory::Copay
            | AdjudicationCategory::Eligible
            | AdjudicationCategory::Deductible
            | AdjudicationCategory::Benefit => Self::HL7_SYSTEM,
            AdjudicationCategory::Carin(_) => C4BBAdjudication::SYSTEM,
            AdjudicationCategory::Other { system, .. } => system,
        }
    }

    /// The code (`Coding.code`).
    pub fn code(&self) -> &str {
        match self {
            AdjudicationCategory::Submitted => "submitted",
            AdjudicationCategory::Copay => "copay",
            AdjudicationCategory::Eligible => "eligible",
            AdjudicationCategory::Deductible => "deductible",
            AdjudicationCategory::Benefit => "benefit",
            AdjudicationCategory::Carin(code) => code.code(),
            AdjudicationCategory::Other { code, .. } => code,
        }
    }

    /// A `Coding` for the category; CARIN codes carry their display, HL7 ones none (the
    /// package does not carry that code system, and CARIN asks for official displays or
    /// none).
    pub fn to_coding(&self) -> Coding {
        match self {
            AdjudicationCategory::Carin(code) => code.to_coding(),
            _ => coding(self.system(), self.code()),
        }
    }

    /// Whether the category is in the CARIN BB 2.0.0 ValueSet `C4BBAdjudication`, the
    /// required binding of every `adjudicationamounttype` slice. That ValueSet leaves out
    /// `paidbypatienthealthaccount`, which the code system of the same package defines.
    pub fn is_carin_amount_type(&self) -> bool {
        match self {
            AdjudicationCategory::Carin(code) => !matches!(
                code,
                C4BBAdjudication::Paidbypatienthealthaccount | C4BBAdjudication::Other(_)
            ),
            AdjudicationCategory::Other { .. } => false,
            _ => true,
        }
    }

    /// Whether `concept` has a coding for this category.
    fn is_in(&self, concept: Option<&CodeableConcept>) -> bool {
        has_coding(concept, self.system(), self.code())
    }
}

impl From<C4BBAdjudication> for AdjudicationCategory {
    fn from(code: C4BBAdjudication) -> Self {
        AdjudicationCategory::Carin(code)
    }
}

impl fmt::Display for AdjudicationCategory {
    /// Writes the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A read-only view of an `ExplanationOfBenefit` in CARIN BB terms.
///
/// Works on any EOB, conformant or not: each accessor answers `None` (or nothing) when
/// the data is missing. [`EobView::eob`] gives the resource for anything not covered here.
#[derive(Clone, Copy, Debug)]
pub struct EobView<'a> {
    eob: &'a ExplanationOfBenefit,
}

impl<'a> EobView<'a> {
    /// A view of `eob`.
    pub fn new(eob: &'a ExplanationOfBenefit) -> EobView<'a> {
        EobView { eob }
    }

    /// A view of `resource` if it is an `ExplanationOfBenefit`.
    pub fn from_resource(resource: &'a Resource) -> Option<EobView<'a>> {
        resource.downcast_ref().map(EobView::new)
    }

    /// The resource itself.
    pub fn eob(&self) -> &'a ExplanationOfBenefit {
        self.eob
    }

    /// The unique claim identifier (`identifier:uniqueclaimid`, type
    /// `C4BBIdentifierType#uc`), the payer's id of the adjudicated claim.
    pub fn unique_claim_id(&self) -> Option<&'a Identifier> {
        identifier_of_type(
            &self.eob.identifier,
            C4BBIdentifierType::SYSTEM,
            C4BBIdentifierType::Uc.code(),
        )
    }

    /// `status`: `active`, `cancelled`, `draft` or `entered-in-error`.
    pub fn status(&self) -> Option<&'a str> {
        self.eob.status.as_str()
    }

    /// The claim type: the first `type` coding in the claim-type code system.
    pub fn claim_type(&self) -> Option<ClaimType> {
        code_in(self.eob.r#type.as_ref(), ClaimType::SYSTEM).map(ClaimType::from_code)
    }

    /// For an institutional claim, inpatient or outpatient: the first `subType` coding in
    /// `C4BBInstitutionalClaimSubType`.
    pub fn institutional_subtype(&self) -> Option<C4BBInstitutionalClaimSubType> {
        code_in(
            self.eob.sub_type.as_ref(),
            C4BBInstitutionalClaimSubType::SYSTEM,
        )
        .map(C4BBInstitutionalClaimSubType::from_code)
    }

    /// The canonical URL (without version) of the CARIN EOB profile whose `type` and
    /// `subType` patterns this content matches, whatever `meta.profile` claims; `None` for
    /// content no CARIN EOB profile fits (an institutional claim without a known subtype,
    /// an unknown type). See the module documentation for the table.
    pub fn profile_by_content(&self) -> Option<&'static str> {
        match self.claim_type()? {
            ClaimType::Institutional => match self.institutional_subtype()? {
                C4BBInstitutionalClaimSubType::Inpatient => Some(PROFILE_INPATIENT_INSTITUTIONAL),
                C4BBInstitutionalClaimSubType::Outpatient => Some(PROFILE_OUTPATIENT_INSTITUTIONAL),
                C4BBInstitutionalClaimSubType::Other(_) => None,
            },
            ClaimType::Professional | ClaimType::Vision => Some(PROFILE_PROFESSIONAL_NONCLINICIAN),
            ClaimType::Pharmacy => Some(PROFILE_PHARMACY),
            ClaimType::Oral => Some(PROFILE_ORAL),
            ClaimType::Other(_) => None,
        }
    }

    /// `billablePeriod`: the period the claim bills for (its `start` is required).
    pub fn billable_period(&self) -> Option<&'a Period> {
        self.eob.billable_period.as_ref()
    }

    /// The span of service: from the earliest to the latest date of `billablePeriod` and
    /// every `item.servicedDate` / `item.servicedPeriod`.
    ///
    /// These are the elements the CARIN `service-date` search parameter covers, since
    /// where the dates are depends on the claim type (`billablePeriod` for institutional
    /// claims, `item.servicedDate` for pharmacy, `item.servicedPeriod` for professional and
    /// oral ones).
    pub fn service_dates(&self) -> ServiceDates {
        let mut dates = ServiceDates::default();
        if let Some(period) = self.billable_period() {
            dates.include_period(period);
        }
        for line in self.line_items() {
            let serviced = line.serviced();
            dates.include(serviced.start, serviced.end);
        }
        dates
    }

    /// `patient`: the member the claim is for.
    pub fn patient_reference(&self) -> Option<&'a Reference> {
        self.eob.patient.as_ref()
    }

    /// `insurer`: the payer.
    pub fn insurer_reference(&self) -> Option<&'a Reference> {
        self.eob.insurer.as_ref()
    }

    /// `provider`: the billing provider.
    pub fn provider_reference(&self) -> Option<&'a Reference> {
        self.eob.provider.as_ref()
    }

    /// The coverage of the focal `insurance` (the one adjudicating this claim), else of
    /// the first.
    pub fn coverage_reference(&self) -> Option<&'a Reference> {
        let insurance = &self.eob.insurance;
        insurance
            .iter()
            .find(|i| i.focal.value == Some(true))
            .or_else(|| insurance.first())?
            .coverage
            .as_ref()
    }

    /// The benefit payment status (`innetwork`, `outofnetwork` or `other`): the header
    /// `adjudication:benefitpaymentstatus` (institutional, pharmacy and oral claims), else
    /// the status the line items agree on (professional claims carry it per line); `None`
    /// when absent or when lines differ.
    pub fn benefit_payment_status(&self) -> Option<C4BBPayerAdjudicationStatus> {
        if let Some(status) = adjudication_status(
            &self.eob.adjudication,
            &C4BBAdjudicationDiscriminator::Benefitpaymentstatus,
        ) {
            return Some(status);
        }
        let mut statuses = self
            .line_items()
            .filter_map(|line| line.benefit_payment_status());
        let first = statuses.next()?;
        statuses.all(|s| s == first).then_some(first)
    }

    /// Whether the billing provider is in network (`adjudication:billingnetworkstatus`).
    pub fn billing_network_status(&self) -> Option<C4BBPayerAdjudicationStatus> {
        adjudication_status(
            &self.eob.adjudication,
            &C4BBAdjudicationDiscriminator::Billingnetworkstatus,
        )
    }

    /// Whether the rendering provider is in network
    /// (`adjudication:renderingnetworkstatus`).
    pub fn rendering_network_status(&self) -> Option<C4BBPayerAdjudicationStatus> {
        adjudication_status(
            &self.eob.adjudication,
            &C4BBAdjudicationDiscriminator::Renderingnetworkstatus,
        )
    }

    /// The claim payment status (`payment.type`): `paid`, `denied` or `partiallypaid`.
    pub fn payment_status(&self) -> Option<C4BBPayerAdjudicationStatus> {
        let payment_type = self.eob.payment.as_ref()?.r#type.as_ref()?;
        payment_type
            .coding
            .iter()
            .find_map(C4BBPayerAdjudicationStatus::from_coding)
    }

    /// Every claim total (`total`) with an amount, by category, in document order.
    pub fn totals(&self) -> impl Iterator<Item = (AdjudicationCategory, Amount)> + use<'a> {
        self.eob
            .total
            .iter()
            .filter_map(|total: &'a ExplanationOfBenefitTotal| {
                let category = AdjudicationCategory::from_concept(total.category.as_ref()?)?;
                Some((category, Amount::from_fhir(total.amount.as_ref()?)?))
            })
    }

    /// The claim total (`total`) of a category.
    pub fn total(&self, category: &AdjudicationCategory) -> Option<Amount> {
        self.eob
            .total
            .iter()
            .filter(|total| category.is_in(total.category.as_ref()))
            .find_map(|total| Amount::from_fhir(total.amount.as_ref()?))
    }

    /// The header-level adjudication amount (`adjudication`) of a category, which
    /// institutional claims may use instead of line-level amounts.
    pub fn header_adjudication(&self, category: &AdjudicationCategory) -> Option<Amount> {
        adjudication_amount(&self.eob.adjudication, category)
    }

    /// The exact sum of the line items' amounts of a category; `None` when no line has
    /// one, or when they cannot be added (different currencies).
    pub fn line_items_sum(&self, category: &AdjudicationCategory) -> Option<Amount> {
        let mut amounts = self
            .line_items()
            .filter_map(|line| line.adjudication(category));
        let first = amounts.next()?;
        amounts.try_fold(first, |sum, amount| sum.checked_add(&amount))
    }

    /// The claim's amount of a category, from where the payer put it: the `total`, else
    /// the header `adjudication`, else the sum of the line items.
    pub fn amount(&self, category: &AdjudicationCategory) -> Option<Amount> {
        self.total(category)
            .or_else(|| self.header_adjudication(category))
            .or_else(|| self.line_items_sum(category))
    }

    /// What the member paid (`paidbypatient`), by [`EobView::amount`].
    pub fn member_paid(&self) -> Option<Amount> {
        self.amount(&C4BBAdjudication::Paidbypatient.into())
    }

    /// What the payer paid the provider (`paidtoprovider`), by [`EobView::amount`].
    pub fn paid_to_provider(&self) -> Option<Amount> {
        self.amount(&C4BBAdjudication::Paidtoprovider.into())
    }

    /// What the plan paid: `benefit` (the HL7 adjudication code for the amount payable
    /// under the coverage), else `paidtoprovider`. Both are in CARIN's `C4BBAdjudication`
    /// value set and payers fill one or the other (the CARIN examples only
    /// `paidtoprovider`), by [`EobView::amount`].
    pub fn plan_paid(&self) -> Option<Amount> {
        self.amount(&AdjudicationCategory::Benefit)
            .or_else(|| self.paid_to_provider())
    }

    /// The line items (`item`), in document order.
    pub fn line_items(&self) -> impl ExactSizeIterator<Item = LineItemView<'a>> + use<'a> {
        self.eob.item.iter().map(LineItemView::new)
    }
}

/// A read-only view of one line item (`ExplanationOfBenefit.item`).
#[derive(Clone, Copy, Debug)]
pub struct LineItemView<'a> {
    item: &'a ExplanationOfBenefitItem,
}

impl<'a> LineItemView<'a> {
    /// A view of `item`.
    pub fn new(item: &'a ExplanationOfBenefitItem) -> LineItemView<'a> {
        LineItemView { item }
    }

    /// The item itself.
    pub fn item(&self) -> &'a ExplanationOfBenefitItem {
        self.item
    }

    /// `sequence`: the line number, which other elements refer to.
    pub fn sequence(&self) -> Option<u32> {
        self.item.sequence.value.map(NonZeroU32::get)
    }

    /// `productOrService`: the billed code (CPT/HCPCS, NDC, CDT, ... by claim type).
    pub fn product_or_service(&self) -> Option<&'a CodeableConcept> {
        self.item.product_or_service.as_ref()
    }

    /// `revenue`: the NUBC revenue code of institutional lines.
    pub fn revenue(&self) -> Option<&'a CodeableConcept> {
        self.item.revenue.as_ref()
    }

    /// The place of service (`locationCodeableConcept`, CMS Place of Service codes).
    pub fn place_of_service(&self) -> Option<&'a CodeableConcept> {
        match self.item.location.as_ref()? {
            ExplanationOfBenefitItemLocation::CodeableConcept(concept) => Some(concept),
            _ => None,
        }
    }

    /// The service dates: `servicedDate` as start and end, or `servicedPeriod`.
    pub fn serviced(&self) -> ServiceDates {
        let mut dates = ServiceDates::default();
        match &self.item.serviced {
            Some(ExplanationOfBenefitItemServiced::Date(date)) => {
                dates.include(date.value, date.value)
            }
            Some(ExplanationOfBenefitItemServiced::Period(period)) => dates.include_period(period),
            _ => {}
        }
        dates
    }

    /// `quantity`: the number of units (or, for drugs, the amount dispensed).
    pub fn quantity(&self) -> Option<&'a Quantity> {
        self.item.quantity.as_ref()
    }

    /// The line's adjudication amount of a category.
    pub fn adjudication(&self, category: &AdjudicationCategory) -> Option<Amount> {
        adjudication_amount(&self.item.adjudication, category)
    }

    /// Every adjudication of the line that has an amount, by category, in document order
    /// (the status and reason adjudications, which have none, are left out).
    pub fn adjudications(&self) -> impl Iterator<Item = (AdjudicationCategory, Amount)> + use<'a> {
        self.item.adjudication.iter().filter_map(
            |adjudication: &'a ExplanationOfBenefitItemAdjudication| {
                let category = AdjudicationCategory::from_concept(adjudication.category.as_ref()?)?;
                Some((category, Amount::from_fhir(adjudication.amount.as_ref()?)?))
            },
        )
    }

    /// The line's benefit payment status (`adjudication:benefitpaymentstatus`), which
    /// professional and oral claims carry per line.
    pub fn benefit_payment_status(&self) -> Option<C4BBPayerAdjudicationStatus> {
        adjudication_status(
            &self.item.adjudication,
            &C4BBAdjudicationDiscriminator::Benefitpaymentstatus,
        )
    }
}

/// The amount of the first adjudication of `category` that has one.
fn adjudication_amount(
    adjudications: &[ExplanationOfBenefitItemAdjudication],
    category: &AdjudicationCategory,
) -> Option<Amount> {
    adjudications
        .iter()
        .filter(|adjudication| category.is_in(adjudication.category.as_ref()))
        .find_map(|adjudication| Amount::from_fhir(adjudication.amount.as_ref()?))
}

/// The payer adjudication status in the `reason` of the adjudication slice `slice`.
fn adjudication_status(
    adjudications: &[ExplanationOfBenefitItemAdjudication],
    slice: &C4BBAdjudicationDiscriminator,
) -> Option<C4BBPayerAdjudicationStatus> {
    adjudications
        .iter()
        .filter(|adjudication| {
            has_coding(
                adjudication.category.as_ref(),
                C4BBAdjudicationDiscriminator::SYSTEM,
                slice.code(),
            )
        })
        .find_map(|adjudication| {
            adjudication
                .reason
                .as_ref()?
                .coding
                .iter()
                .find_map(C4BBPayerAdjudicationStatus::from_coding)
        })
}

/// What a Professional NonClinician EOB needs that has no sensible default.
///
/// The builder fills in the rest of what the profile requires: `meta.profile` (with the
/// version), `status` `active`, `type` `professional`, `use` `claim`, `outcome`
/// `complete`, `insurance.focal`, sequences, the `benefitpaymentstatus` slice of each line
/// and the `total`s.
#[derive(Clone, Debug)]
pub struct ProfessionalEobHeader {
    /// The payer's unique claim id (`identifier:uniqueclaimid.value`).
    pub unique_claim_id: String,
    /// When the payer last changed the EOB (`meta.lastUpdated`, required by CARIN).
    pub last_updated: Instant,
    /// When the EOB was created (`created`).
    pub created: DateTime,
    /// The first day billed (`billablePeriod.start`).
    pub billable_start: DateTime,
    /// The member (`patient`), a C4BB-Patient.
    pub patient: Reference,
    /// The payer (`insurer`), a C4BB-Organization.
    pub insurer: Reference,
    /// The billing provider (`provider`), a C4BB-Organization or C4BB-Practitioner.
    pub provider: Reference,
    /// The member's coverage (`insurance.coverage` of the focal insurance), a
    /// C4BB-Coverage.
    pub coverage: Reference,
    /// The principal diagnosis (`diagnosis` 1..*), an ICD-10-CM (or ICD-9) coding.
    pub principal_diagnosis: Coding,
}

/// One line of a Professional NonClinician EOB, for [`ProfessionalEobBuilder::line`].
#[derive(Clone, Debug)]
pub struct ProfessionalLine {
    product_or_service: Coding,
    serviced: Date,
    place_of_service: String,
    benefit_payment_status: C4BBPayerAdjudicationStatus,
    quantity: Option<Decimal>,
    amounts: Vec<(AdjudicationCategory, Amount)>,
}

impl ProfessionalLine {
    /// A line for a service on one day, with what the profile requires of every line:
    /// the CPT or HCPCS code (`productOrService`), the date (`servicedDate`), the CMS
    /// place of service code (`locationCodeableConcept`) and the benefit payment status
    /// (`innetwork`, `outofnetwork` or `other`). Add at least one amount.
    pub fn new(
        product_or_service: Coding,
        serviced: Date,
        place_of_service: &str,
        benefit_payment_status: C4BBPayerAdjudicationStatus,
    ) -> ProfessionalLine {
        ProfessionalLine {
            product_or_service,
            serviced,
            place_of_service: place_of_service.to_owned(),
            benefit_payment_status,
            quantity: None,
            amounts: Vec::new(),
        }
    }

    /// The number of units (`quantity`).
    pub fn quantity(mut self, units: Decimal) -> ProfessionalLine {
        self.quantity = Some(units);
        self
    }

    /// The line's amount of a category (an `adjudication:adjudicationamounttype`),
    /// replacing an earlier amount of the same category.
    pub fn amount(
        mut self,
        category: impl Into<AdjudicationCategory>,
        amount: Amount,
    ) -> ProfessionalLine {
        set_amount(&mut self.amounts, category.into(), amount);
        self
    }

    /// The `item` with sequence `sequence`.
    fn into_item(self, sequence: NonZeroU32) -> Result<ExplanationOfBenefitItem, BuildError> {
        // ValueSet C4BBPayerBenefitPaymentStatus.
        check_code(
            "item.adjudication:benefitpaymentstatus.reason",
            self.benefit_payment_status.code(),
            matches!(
                self.benefit_payment_status,
                C4BBPayerAdjudicationStatus::Innetwork
                    | C4BBPayerAdjudicationStatus::Outofnetwork
                    | C4BBPayerAdjudicationStatus::OtherCode
            ),
        )?;
        let mut item = ExplanationOfBenefitItem::default();
        item.sequence = sequence.into();
        item.product_or_service = Some(concept(self.product_or_service));
        item.serviced = Some(ExplanationOfBenefitItemServiced::Date(self.serviced.into()));
        item.location = Some(ExplanationOfBenefitItemLocation::CodeableConcept(Box::new(
            concept(coding(PLACE_OF_SERVICE_SYSTEM, &self.place_of_service)),
        )));
        if let Some(units) = self.quantity {
            let mut quantity = Quantity::default();
            quantity.value = units.into();
            item.quantity = Some(quantity);
        }
        item.adjudication.push(status_adjudication(
            &C4BBAdjudicationDiscriminator::Benefitpaymentstatus,
            &self.benefit_payment_status,
        ));
        for (category, amount) in self.amounts {
            check_amount_category(
                "item.adjudication:adjudicationamounttype.category",
                &category,
            )?;
            let mut adjudication = ExplanationOfBenefitItemAdjudication::default();
            adjudication.category = Some(concept(category.to_coding()));
            adjudication.amount = Some(amount.to_fhir());
            item.adjudication.push(adjudication);
        }
        Ok(item)
    }
}

/// Builds a `C4BB-ExplanationOfBenefit-Professional-NonClinician` EOB with every element
/// and slice the profile requires.
///
/// Totals are the exact sums of the line amounts per category, unless set with
/// [`ProfessionalEobBuilder::total`]. See the [module documentation](self) for an example.
#[derive(Clone, Debug)]
pub struct ProfessionalEobBuilder {
    header: ProfessionalEobHeader,
    id: Option<String>,
    billable_end: Option<DateTime>,
    outcome: String,
    secondary_diagnoses: Vec<Coding>,
    billing_network_status: Option<C4BBPayerAdjudicationStatus>,
    rendering_network_status: Option<C4BBPayerAdjudicationStatus>,
    lines: Vec<ProfessionalLine>,
    totals: Vec<(AdjudicationCategory, Amount)>,
}

impl ProfessionalEobBuilder {
    /// A builder with the required header elements.
    pub fn new(header: ProfessionalEobHeader) -> ProfessionalEobBuilder {
        ProfessionalEobBuilder {
            header,
            id: None,
            billable_end: None,
            outcome: "complete".to_owned(),
            secondary_diagnoses: Vec::new(),
            billing_network_status: None,
            rendering_network_status: None,
            lines: Vec::new(),
            totals: Vec::new(),
        }
    }

    /// The logical id (`id`).
    pub fn id(mut self, id: &str) -> ProfessionalEobBuilder {
        self.id = Some(id.to_owned());
        self
    }

    /// The last day billed (`billablePeriod.end`).
    pub fn billable_end(mut self, end: DateTime) -> ProfessionalEobBuilder {
        self.billable_end = Some(end);
        self
    }

    /// `outcome` (`queued`, `complete`, `error` or `partial`); `complete` by default.
    pub fn outcome(mut self, outcome: &str) -> ProfessionalEobBuilder {
        outcome.clone_into(&mut self.outcome);
        self
    }

    /// Adds a secondary diagnosis (ICD-10-CM or ICD-9), after the principal one.
    pub fn secondary_diagnosis(mut self, diagnosis: Coding) -> ProfessionalEobBuilder {
        self.secondary_diagnoses.push(diagnosis);
        self
    }

    /// Whether the billing provider is in network (`innetwork` or `outofnetwork`).
    pub fn billing_network_status(
        mut self,
        status: C4BBPayerAdjudicationStatus,
    ) -> ProfessionalEobBuilder {
        self.billing_network_status = Some(status);
        self
    }

    /// Whether the rendering provider is in network (`innetwork` or `outofnetwork`).
    pub fn rendering_network_status(
        mut self,
        status: C4BBPayerAdjudicationStatus,
    ) -> ProfessionalEobBuilder {
        self.rendering_network_status = Some(status);
        self
    }

    /// Adds a line item; lines are numbered 1, 2, ... in the order added.
    pub fn line(mut self, line: ProfessionalLine) -> ProfessionalEobBuilder {
        self.lines.push(line);
        self
    }

    /// Sets the claim total of a category instead of the sum of the line amounts (or
    /// adds a total no line has).
    pub fn total(
        mut self,
        category: impl Into<AdjudicationCategory>,
        amount: Amount,
    ) -> ProfessionalEobBuilder {
        set_amount(&mut self.totals, category.into(), amount);
        self
    }

    /// The EOB, or the first reason it would not conform to the profile.
    pub fn build(self) -> Result<ExplanationOfBenefit, BuildError> {
        if self.lines.is_empty() {
            return Err(BuildError::NoLineItems);
        }
        // ValueSet remittance-outcome.
        check_code(
            "outcome",
            &self.outcome,
            matches!(
                self.outcome.as_str(),
                "queued" | "complete" | "error" | "partial"
            ),
        )?;
        let network = [
            (
                "adjudication:billingnetworkstatus.reason",
                &self.billing_network_status,
                C4BBAdjudicationDiscriminator::Billingnetworkstatus,
            ),
            (
                "adjudication:renderingnetworkstatus.reason",
                &self.rendering_network_status,
                C4BBAdjudicationDiscriminator::Renderingnetworkstatus,
            ),
        ];
        let mut header_adjudication = Vec::new();
        for (element, status, slice) in network {
            if let Some(status) = status {
                // ValueSet C4BBPayerProviderNetworkStatus.
                check_code(
                    element,
                    status.code(),
                    matches!(
                        status,
                        C4BBPayerAdjudicationStatus::Innetwork
                            | C4BBPayerAdjudicationStatus::Outofnetwork
                    ),
                )?;
                header_adjudication.push(status_adjudication(&slice, status));
            }
        }

        let mut items = Vec::with_capacity(self.lines.len());
        let mut totals: Vec<(AdjudicationCategory, Amount)> = Vec::new();
        for (index, line) in self.lines.into_iter().enumerate() {
            let sequence = sequence_number(index);
            if line.amounts.is_empty() {
                return Err(BuildError::LineWithoutAmount {
                    sequence: sequence.get(),
                });
            }
            for (category, amount) in &line.amounts {
                let total = match totals.iter_mut().find(|(c, _)| c == category) {
                    Some((_, total)) => total,
                    None => {
                        totals.push((category.clone(), amount.clone()));
                        continue;
                    }
                };
                *total = total
                    .checked_add(amount)
                    .ok_or_else(|| BuildError::CannotTotal(category.clone()))?;
            }
            items.push(line.into_item(sequence)?);
        }
        for (category, amount) in self.totals {
            set_amount(&mut totals, category, amount);
        }

        let header = self.header;
        let mut eob = ExplanationOfBenefit::default();
        eob.id = self.id;
        let mut meta = Meta::default();
        meta.last_updated = header.last_updated.into();
        meta.profile
            .push(format!("{PROFILE_PROFESSIONAL_NONCLINICIAN}|{CARIN_BB_VERSION}").into());
        eob.meta = Some(meta);

        let mut identifier = Identifier::default();
        identifier.r#type = Some(concept(C4BBIdentifierType::Uc.to_coding()));
        identifier.value = header.unique_claim_id.into();
        eob.identifier.push(identifier);
        eob.status = "active".into();
        eob.r#type = Some(concept(coding(
            ClaimType::SYSTEM,
            ClaimType::Professional.code(),
        )));
        eob.r#use = "claim".into();
        eob.patient = Some(header.patient);
        let mut billable_period = Period::default();
        billable_period.start = header.billable_start.into();
        if let Some(end) = self.billable_end {
            billable_period.end = end.into();
        }
        eob.billable_period = Some(billable_period);
        eob.created = header.created.into();
        eob.insurer = Some(header.insurer);
        eob.provider = Some(header.provider);
        eob.outcome = self.outcome.into();

        let principal = (
            header.principal_diagnosis,
            coding(DIAGNOSIS_TYPE_SYSTEM, "principal"),
        );
        let secondary = self
            .secondary_diagnoses
            .into_iter()
            .map(|code| (code, C4BBClaimDiagnosisType::Secondary.to_coding()));
        for (index, (code, kind)) in std::iter::once(principal).chain(secondary).enumerate() {
            let mut diagnosis = ExplanationOfBenefitDiagnosis::default();
            diagnosis.sequence = sequence_number(index).into();
            diagnosis.diagnosis = Some(ExplanationOfBenefitDiagnosisDiagnosis::CodeableConcept(
                Box::new(concept(code)),
            ));
            diagnosis.r#type.push(concept(kind));
            eob.diagnosis.push(diagnosis);
        }

        let mut insurance = ExplanationOfBenefitInsurance::default();
        insurance.focal = true.into();
        insurance.coverage = Some(header.coverage);
        eob.insurance.push(insurance);
        eob.item = items;
        eob.adjudication = header_adjudication;
        for (category, amount) in totals {
            check_amount_category("total:adjudicationamounttype.category", &category)?;
            let mut total = ExplanationOfBenefitTotal::default();
            total.category = Some(concept(category.to_coding()));
            total.amount = Some(amount.to_fhir());
            eob.total.push(total);
        }
        Ok(eob)
    }
}

/// Why [`ProfessionalEobBuilder::build`] could not make a conformant EOB.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// No line item was added; the profile requires `item` 1..*.
    NoLineItems,
    /// A line has no amount; each line needs an `adjudication:adjudicationamounttype`.
    LineWithoutAmount {
        /// The line's sequence number.
        sequence: u32,
    },
    /// A code outside the value set the profile requires for the element.
    CodeNotAllowed {
        /// The element, as a path below `ExplanationOfBenefit` with slice names.
        element: &'static str,
        /// The code given.
        code: String,
    },
    /// The line amounts of a category could not be totalled (different currencies, or
    /// a sum too large).
    CannotTotal(AdjudicationCategory),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoLineItems => f.write_str("an EOB needs at least one line item"),
            BuildError::LineWithoutAmount { sequence } => {
                write!(f, "line {sequence} has no adjudication amount")
            }
            BuildError::CodeNotAllowed { element, code } => write!(
                f,
                "code {code:?} is not allowed in ExplanationOfBenefit.{element}"
            ),
            BuildError::CannotTotal(category) => write!(
                f,
                "the line amounts of category {category} cannot be added up"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// Sets the amount of `category`, replacing an earlier one.
fn set_amount(
    amounts: &mut Vec<(AdjudicationCategory, Amount)>,
    category: AdjudicationCategory,
    amount: Amount,
) {
    match amounts.iter_mut().find(|(c, _)| *c == category) {
        Some((_, existing)) => *existing = amount,
        None => amounts.push((category, amount)),
    }
}

/// The sequence number of the element at `index` (1-based).
fn sequence_number(index: usize) -> NonZeroU32 {
    // No claim has four billion lines; saturating keeps this total without a panic path.
    NonZeroU32::MIN.saturating_add(u32::try_from(index).unwrap_or(u32::MAX))
}

/// An adjudication of the status slice `slice` with `status` as its reason.
fn status_adjudication(
    slice: &C4BBAdjudicationDiscriminator,
    status: &C4BBPayerAdjudicationStatus,
) -> ExplanationOfBenefitItemAdjudication {
    let mut adjudication = ExplanationOfBenefitItemAdjudication::default();
    adjudication.category = Some(concept(slice.to_coding()));
    adjudication.reason = Some(concept(status.to_coding()));
    adjudication
}

/// `Err(CodeNotAllowed)` unless `allowed`.
fn check_code(element: &'static str, code: &str, allowed: bool) -> Result<(), BuildError> {
    if allowed {
        Ok(())
    } else {
        Err(BuildError::CodeNotAllowed {
            element,
            code: code.to_owned(),
        })
    }
}

/// `Err(CodeNotAllowed)` unless `category` is in the ValueSet `C4BBAdjudication`.
fn check_amount_category(
    element: &'static str,
    category: &AdjudicationCategory,
) -> Result<(), BuildError> {
    check_code(element, category.code(), category.is_carin_amount_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_of_a_concept_prefers_the_amount_code_systems() {
        let mut category = concept(coding("http://example.org/payer-categories", "pt-paid"));
        category
            .coding
            .push(C4BBAdjudication::Paidbypatient.to_coding());
        assert_eq!(
            AdjudicationCategory::from_concept(&category),
            Some(AdjudicationCategory::Carin(C4BBAdjudication::Paidbypatient))
        );
        category.coding.truncate(1);
        assert_eq!(
            AdjudicationCategory::from_concept(&category),
            Some(AdjudicationCategory::Other {
                system: "http://example.org/payer-categories".to_owned(),
                code: "pt-paid".to_owned(),
            })
        );
        assert!(AdjudicationCategory::from_concept(&CodeableConcept::default()).is_none());
    }

    #[test]
    fn categories_round_trip_through_codings() {
        let categories = [
            AdjudicationCategory::Submitted,
            AdjudicationCategory::Copay,
            AdjudicationCategory::Eligible,
            AdjudicationCategory::Deductible,
            AdjudicationCategory::Benefit,
            AdjudicationCategory::Carin(C4BBAdjudication::Drugcost),
            AdjudicationCategory::Carin(C4BBAdjudication::Other("new".to_owned())),
            AdjudicationCategory::Other {
                system: AdjudicationCategory::HL7_SYSTEM.to_owned(),
                code: "tax".to_owned(),
            },
        ];
        for category in categories {
            assert_eq!(
                AdjudicationCategory::from_coding(&category.to_coding()).as_ref(),
                Some(&category)
            );
        }
    }

    #[test]
    fn carin_amount_types_are_the_value_set() {
        assert!(AdjudicationCategory::Benefit.is_carin_amount_type());
        assert!(AdjudicationCategory::from(C4BBAdjudication::Drugcost).is_carin_amount_type());
        assert!(
            !AdjudicationCategory::from(C4BBAdjudication::Paidbypatienthealthaccount)
                .is_carin_amount_type()
        );
        assert!(
            !AdjudicationCategory::Other {
                system: AdjudicationCategory::HL7_SYSTEM.to_owned(),
                code: "tax".to_owned(),
            }
            .is_carin_amount_type()
        );
    }

    #[test]
    fn claim_types_round_trip() {
        for code in [
            "institutional",
            "oral",
            "pharmacy",
            "professional",
            "vision",
            "other",
        ] {
            assert_eq!(ClaimType::from_code(code).code(), code);
        }
        assert_eq!(
            ClaimType::from_code("other"),
            ClaimType::Other("other".to_owned())
        );
    }
}
