//! `ExplanationOfBenefit` in the PDex 2.0.0 profile `pdex-priorauthorization`:
//! [`PriorAuthorizationView`] reads it, [`PriorAuthorizationBuilder`] makes one.
//!
//! A prior authorization is an EOB with `use = preauthorization`. Per item, the payer's
//! decision is the PDex `reviewAction` extension on an adjudication: an X12 278 `HCR01`
//! action code ([`ReviewAction`]: certified in total, partially, not certified, pended,
//! ...), the authorization number and reason codes. Amounts are adjudications and totals:
//! what the provider requested is `submitted`, what the payer approved is `eligible` (HL7
//! adjudication codes on items, [`PriorAuthorizationValueCodes`] on totals, which also has
//! `utilized`).
//!
//! ```
//! use carin_profiles::views::Amount;
//! use carin_profiles::views::eob::ClaimType;
//! use carin_profiles::views::pdex::prior_authorization::{
//!     PriorAuthorizationBuilder, PriorAuthorizationHeader, PriorAuthorizationItem,
//!     PriorAuthorizationView, ReviewAction,
//! };
//! use fhir_model::DateTime;
//! use fhir_model::datatypes::{Coding, Reference};
//!
//! let mut mri = Coding::default();
//! mri.system = "http://www.ama-assn.org/go/cpt".into();
//! mri.code = "70551".into();
//!
//! let eob = PriorAuthorizationBuilder::new(PriorAuthorizationHeader {
//!     claim_type: ClaimType::Professional,
//!     created: DateTime::parse("2024-03-01T10:00:00Z")?,
//!     patient: Reference::to_resource("Patient", "member-1"),
//!     insurer: Reference::to_resource("Organization", "payer"),
//!     provider: Reference::to_resource("Practitioner", "dr-1"),
//!     coverage: Reference::to_resource("Coverage", "cov-1"),
//! })
//! .pre_auth_ref("AUTH-2024-0001")
//! .item(
//!     PriorAuthorizationItem::new(mri, Amount::from_cents(120000, "USD"), ReviewAction::CertifiedPartial)
//!         .approved(Amount::from_cents(90000, "USD")),
//! )
//! .build()?;
//!
//! let view = PriorAuthorizationView::new(&eob);
//! let item = view.items().next().ok_or("no item")?;
//! assert_eq!(item.review_action(), Some(ReviewAction::CertifiedPartial));
//! assert_eq!(view.requested_amount().and_then(|a| a.to_cents()), Some(120000));
//! assert_eq!(view.approved_amount().and_then(|a| a.to_cents()), Some(90000));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::num::NonZeroU32;

use fhir_model::datatypes::{
    CodeableConcept, Coding, Extension, Identifier, Meta, OpenType, Period, Quantity, Reference,
};
use fhir_model::resources::{
    ExplanationOfBenefit, ExplanationOfBenefitInsurance, ExplanationOfBenefitItem,
    ExplanationOfBenefitItemAdjudication, ExplanationOfBenefitItemServiced,
    ExplanationOfBenefitTotal,
};
use fhir_model::{Date, DateTime, Decimal, Resource};

use super::super::eob::ClaimType;
use super::super::{
    Amount, Concept, Measurement, ServiceDates, Span, code_in, coding, complex_extension, concept,
    ext_bool, ext_concept, ext_str, extension, extensions, has_coding, in_required_binding,
    new_extension,
};
use super::PDEX_VERSION;
use crate::codes::pdex::{PDexAdjudicationDiscriminator, PriorAuthorizationValueCodes};

/// `pdex-priorauthorization`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-priorauthorization";

/// `http://terminology.hl7.org/CodeSystem/adjudication`, the system of the item amounts
/// `submitted` (requested) and `eligible` (approved).
pub const HL7_ADJUDICATION: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
/// `https://x12.org/codes/service-type-codes`: X12 service type codes, the required code
/// system of `item.category`.
pub const X12_SERVICE_TYPE: &str = "https://x12.org/codes/service-type-codes";

/// The canonical URLs of the extensions the profile uses: PDex's own and the Da Vinci PAS
/// item extensions it brings in.
pub mod ext {
    /// `extension-reviewAction` (on an adjudication): the payer's review action.
    pub const REVIEW_ACTION: &str =
        "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/extension-reviewAction";
    /// `extension-reviewActionCode`: the `code` part of a review action.
    pub const REVIEW_ACTION_CODE: &str =
        "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/extension-reviewActionCode";
    /// `extension-levelOfServiceCode` (on the EOB): the level of service requested (X12
    /// UM06: urgent, elective, ...).
    pub const LEVEL_OF_SERVICE: &str =
        "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/extension-levelOfServiceCode";
    /// `PriorAuthorizationUtilization` (on a total): how much of the authorization was used.
    pub const UTILIZATION: &str =
        "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/PriorAuthorizationUtilization";
    /// PAS `extension-itemPreAuthIssueDate` (on an item): when the authorization was issued.
    pub const ITEM_PRE_AUTH_ISSUE_DATE: &str =
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-itemPreAuthIssueDate";
    /// PAS `extension-itemPreAuthPeriod` (on an item): when the authorization is valid.
    pub const ITEM_PRE_AUTH_PERIOD: &str =
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-itemPreAuthPeriod";
    /// PAS `extension-authorizationNumber` (on an item): a previous authorization number.
    pub const AUTHORIZATION_NUMBER: &str =
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-authorizationNumber";
    /// PAS `extension-itemTraceNumber` (on an item): trace numbers.
    pub const ITEM_TRACE_NUMBER: &str =
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-itemTraceNumber";
}

code_system! {
    /// The payer's review action on a prior authorization: the X12 278 response `HCR01`
    /// action codes (X12 element 306), the value set the `reviewActionCode` extension
    /// requires (`https://valueset.x12.org/x217/005010/response/2000F/HCR/1/01/00/306`, which
    /// the packages do not carry: these are the eight codes of the 278 implementation guide).
    ReviewAction = "https://codesystem.x12.org/005010/306" {
        /// Certified in total
        CertifiedInTotal = "A1", Some("Certified in total");
        /// Certified - partial
        CertifiedPartial = "A2", Some("Certified - partial");
        /// Not Certified
        NotCertified = "A3", Some("Not Certified");
        /// Pended
        Pended = "A4", Some("Pended");
        /// Modified
        Modified = "A6", Some("Modified");
        /// Cancelled
        Cancelled = "C", Some("Cancelled");
        /// Contact Payer
        ContactPayer = "CT", Some("Contact Payer");
        /// No Action Required
        NoActionRequired = "NA", Some("No Action Required");
    }
}

impl ReviewAction {
    /// Whether the service is authorized, in total or in part (`A1`, `A2`, `A6`).
    pub fn is_certified(&self) -> bool {
        matches!(
            self,
            ReviewAction::CertifiedInTotal
                | ReviewAction::CertifiedPartial
                | ReviewAction::Modified
        )
    }

    /// Whether the decision is still to come (`A4` pended, `CT` contact payer).
    pub fn is_pending(&self) -> bool {
        matches!(self, ReviewAction::Pended | ReviewAction::ContactPayer)
    }
}

code_system! {
    /// `ExplanationOfBenefit.status` (`http://hl7.org/fhir/explanationofbenefit-status`,
    /// required binding).
    EobStatus = "http://hl7.org/fhir/explanationofbenefit-status" {
        /// Active
        Active = "active", Some("Active");
        /// Cancelled
        Cancelled = "cancelled", Some("Cancelled");
        /// Draft
        Draft = "draft", Some("Draft");
        /// Entered In Error
        EnteredInError = "entered-in-error", Some("Entered In Error");
    }
}

code_system! {
    /// `ExplanationOfBenefit.outcome` (`http://hl7.org/fhir/remittance-outcome`, required
    /// binding): how far the payer's processing got.
    RemittanceOutcome = "http://hl7.org/fhir/remittance-outcome" {
        /// Queued
        Queued = "queued", Some("Queued");
        /// Processing Complete
        Complete = "complete", Some("Processing Complete");
        /// Error
        Error = "error", Some("Error");
        /// Partial Processing
        Partial = "partial", Some("Partial Processing");
    }
}

/// The `reviewAction` extension of an adjudication: the payer's decision.
#[derive(Clone, Copy, Debug)]
pub struct ReviewActionView<'a> {
    extension: &'a Extension,
}

impl<'a> ReviewActionView<'a> {
    /// The extension itself.
    pub fn extension(&self) -> &'a Extension {
        self.extension
    }

    /// The action code (the `extension-reviewActionCode` part; a part with the URL `code`
    /// is read too).
    pub fn code(&self) -> Option<ReviewAction> {
        let part = extension(&self.extension.extension, ext::REVIEW_ACTION_CODE)
            .or_else(|| extension(&self.extension.extension, "code"))?;
        Concept::new(ext_concept(part)?).find_map(ReviewAction::from_coding)
    }

    /// `number`: the authorization or reference number the payer assigned.
    pub fn number(&self) -> Option<&'a str> {
        ext_str(extension(&self.extension.extension, "number")?)
    }

    /// `reasonCode`: why (X12 278 review decision reason codes).
    pub fn reason_codes(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        extensions(&self.extension.extension, "reasonCode")
            .filter_map(ext_concept)
            .map(Concept::new)
    }

    /// `secondSurgicalOpinionFlag`.
    pub fn second_surgical_opinion(&self) -> Option<bool> {
        ext_bool(extension(
            &self.extension.extension,
            "secondSurgicalOpinionFlag",
        )?)
    }
}

/// A read-only view of a PDex prior authorization (`ExplanationOfBenefit`).
///
/// Works on any EOB; [`PriorAuthorizationView::is_prior_authorization`] says whether it is
/// one.
#[derive(Clone, Copy, Debug)]
pub struct PriorAuthorizationView<'a> {
    eob: &'a ExplanationOfBenefit,
}

impl<'a> PriorAuthorizationView<'a> {
    /// A view of `eob`.
    pub fn new(eob: &'a ExplanationOfBenefit) -> PriorAuthorizationView<'a> {
        PriorAuthorizationView { eob }
    }

    /// A view of `resource` if it is an `ExplanationOfBenefit`.
    pub fn from_resource(resource: &'a Resource) -> Option<PriorAuthorizationView<'a>> {
        resource.downcast_ref().map(PriorAuthorizationView::new)
    }

    /// The resource itself.
    pub fn eob(&self) -> &'a ExplanationOfBenefit {
        self.eob
    }

    /// Whether `use` is `preauthorization`, which is what makes an EOB a prior
    /// authorization in PDex.
    pub fn is_prior_authorization(&self) -> bool {
        self.eob.r#use.as_str() == Some("preauthorization")
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.eob.identifier
    }

    /// `status`.
    pub fn status(&self) -> Option<EobStatus> {
        self.eob.status.as_str().map(EobStatus::from_code)
    }

    /// `outcome`: queued, complete, error or partial.
    pub fn outcome(&self) -> Option<RemittanceOutcome> {
        self.eob.outcome.as_str().map(RemittanceOutcome::from_code)
    }

    /// The claim type (`type`): institutional, professional, pharmacy, ...
    pub fn claim_type(&self) -> Option<ClaimType> {
        code_in(self.eob.r#type.as_ref(), ClaimType::SYSTEM).map(ClaimType::from_code)
    }

    /// The `extension-levelOfServiceCode` extension: urgent, elective, ... (X12 UM06).
    pub fn level_of_service(&self) -> Option<Concept<'a>> {
        ext_concept(extension(&self.eob.extension, ext::LEVEL_OF_SERVICE)?).map(Concept::new)
    }

    /// `created`.
    pub fn created(&self) -> Option<DateTime> {
        self.eob.created.value
    }

    /// `patient`: the member.
    pub fn patient(&self) -> Option<&'a Reference> {
        self.eob.patient.as_ref()
    }

    /// `insurer`: the payer.
    pub fn insurer(&self) -> Option<&'a Reference> {
        self.eob.insurer.as_ref()
    }

    /// `provider`: who asked for the authorization.
    pub fn provider(&self) -> Option<&'a Reference> {
        self.eob.provider.as_ref()
    }

    /// `facility`.
    pub fn facility(&self) -> Option<&'a Reference> {
        self.eob.facility.as_ref()
    }

    /// The coverage of the focal `insurance`, else of the first.
    pub fn coverage(&self) -> Option<&'a Reference> {
        let insurance = &self.eob.insurance;
        insurance
            .iter()
            .find(|i| i.focal.value == Some(true))
            .or_else(|| insurance.first())?
            .coverage
            .as_ref()
    }

    /// The authorization numbers: `preAuthRef`, then each `insurance.preAuthRef`.
    pub fn pre_auth_refs(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.eob
            .pre_auth_ref
            .iter()
            .chain(self.eob.insurance.iter().flat_map(|i| &i.pre_auth_ref))
            .filter_map(|reference| reference.as_str())
    }

    /// `preAuthRefPeriod`: when the authorization is valid (0..1 in PDex).
    pub fn pre_auth_period(&self) -> Option<Span> {
        self.eob.pre_auth_ref_period.first().map(Span::from_period)
    }

    /// `billablePeriod`: the dates of service asked for.
    pub fn billable_period(&self) -> Option<Span> {
        self.eob.billable_period.as_ref().map(Span::from_period)
    }

    /// The header `reviewAction`: the first header adjudication that has one.
    pub fn review(&self) -> Option<ReviewActionView<'a>> {
        review_of(&self.eob.adjudication)
    }

    /// The items (`item`), in document order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = PriorAuthorizationItemView<'a>> + use<'a> {
        self.eob
            .item
            .iter()
            .map(|item| PriorAuthorizationItemView { item })
    }

    /// The total (`total`) of a `PriorAuthorizationValueCodes` category (or the HL7
    /// adjudication code of the same name).
    pub fn total(&self, category: &PriorAuthorizationValueCodes) -> Option<Amount> {
        self.eob
            .total
            .iter()
            .filter(|total| is_category(total.category.as_ref(), category.code()))
            .find_map(|total| Amount::from_fhir(total.amount.as_ref()?))
    }

    /// The `PriorAuthorizationUtilization` extension of a total of this category: how much
    /// of the authorization has been used (a quantity; ratios are not read).
    pub fn utilization(&self, category: &PriorAuthorizationValueCodes) -> Option<Measurement<'a>> {
        self.eob
            .total
            .iter()
            .filter(|total| is_category(total.category.as_ref(), category.code()))
            .find_map(|total: &'a ExplanationOfBenefitTotal| {
                match extension(&total.extension, ext::UTILIZATION)?
                    .value
                    .as_ref()?
                {
                    OpenType::Quantity(quantity) => Measurement::from_quantity(quantity),
                    _ => None,
                }
            })
    }

    /// What was requested: the `submitted` total, else the exact sum of the items'
    /// requested amounts.
    pub fn requested_amount(&self) -> Option<Amount> {
        self.total(&PriorAuthorizationValueCodes::Submitted)
            .or_else(|| sum(self.items().filter_map(|item| item.requested())))
    }

    /// What was approved: the `eligible` total, else the exact sum of the items' approved
    /// amounts.
    pub fn approved_amount(&self) -> Option<Amount> {
        self.total(&PriorAuthorizationValueCodes::Eligible)
            .or_else(|| sum(self.items().filter_map(|item| item.approved())))
    }
}

/// One item of a prior authorization (`ExplanationOfBenefit.item`).
#[derive(Clone, Copy, Debug)]
pub struct PriorAuthorizationItemView<'a> {
    item: &'a ExplanationOfBenefitItem,
}

impl<'a> PriorAuthorizationItemView<'a> {
    /// The item itself.
    pub fn item(&self) -> &'a ExplanationOfBenefitItem {
        self.item
    }

    /// `sequence`.
    pub fn sequence(&self) -> Option<u32> {
        self.item.sequence.value.map(NonZeroU32::get)
    }

    /// `category`: the X12 service type.
    pub fn category(&self) -> Option<Concept<'a>> {
        self.item.category.as_ref().map(Concept::new)
    }

    /// `productOrService`: the service asked for (CPT, HCPCS, HIPPS).
    pub fn product_or_service(&self) -> Option<Concept<'a>> {
        self.item.product_or_service.as_ref().map(Concept::new)
    }

    /// `serviced[x]`: the dates of service.
    pub fn serviced(&self) -> ServiceDates {
        let mut dates = ServiceDates::default();
        match &self.item.serviced {
            Some(ExplanationOfBenefitItemServiced::Date(date)) => {
                dates.include(date.value, date.value);
            }
            Some(ExplanationOfBenefitItemServiced::Period(period)) => dates.include_period(period),
            _ => {}
        }
        dates
    }

    /// `quantity`: the units asked for.
    pub fn quantity(&self) -> Option<Measurement<'a>> {
        Measurement::from_quantity(self.item.quantity.as_ref()?)
    }

    /// The item's `reviewAction`: of the first adjudication that has one.
    pub fn review(&self) -> Option<ReviewActionView<'a>> {
        review_of(&self.item.adjudication)
    }

    /// The payer's decision on the item: the code of [`PriorAuthorizationItemView::review`].
    pub fn review_action(&self) -> Option<ReviewAction> {
        self.review()?.code()
    }

    /// The amount of the first adjudication with this category code (HL7 adjudication,
    /// PDex adjudication or `PriorAuthorizationValueCodes`).
    pub fn amount(&self, category_code: &str) -> Option<Amount> {
        self.item
            .adjudication
            .iter()
            .filter(|a| is_category(a.category.as_ref(), category_code))
            .find_map(|a| Amount::from_fhir(a.amount.as_ref()?))
    }

    /// What was requested: the `submitted` adjudication.
    pub fn requested(&self) -> Option<Amount> {
        self.amount("submitted")
    }

    /// What was approved: the `eligible` adjudication.
    pub fn approved(&self) -> Option<Amount> {
        self.amount("eligible")
    }

    /// The units approved (`adjudication:allowedunits.value`).
    pub fn allowed_units(&self) -> Option<&'a Decimal> {
        self.discriminated_value(&PDexAdjudicationDiscriminator::Allowedunits)
    }

    /// The units used so far (`adjudication:consumedunits.value`).
    pub fn consumed_units(&self) -> Option<&'a Decimal> {
        self.discriminated_value(&PDexAdjudicationDiscriminator::Consumedunits)
    }

    /// The reasons of a denial (`adjudication:denialreason.reason`: X12 claim adjustment
    /// reason or remittance advice remark codes).
    pub fn denial_reasons(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.item
            .adjudication
            .iter()
            .filter(|a| {
                has_coding(
                    a.category.as_ref(),
                    PDexAdjudicationDiscriminator::SYSTEM,
                    PDexAdjudicationDiscriminator::Denialreason.code(),
                )
            })
            .filter_map(|a| a.reason.as_ref())
            .map(Concept::new)
    }

    /// The PAS `extension-itemPreAuthPeriod`: when the item's authorization is valid.
    pub fn pre_auth_period(&self) -> Option<Span> {
        match extension(&self.item.extension, ext::ITEM_PRE_AUTH_PERIOD)?
            .value
            .as_ref()?
        {
            OpenType::Period(period) => Some(Span::from_period(period)),
            _ => None,
        }
    }

    /// The PAS `extension-itemPreAuthIssueDate`: when the item's authorization was issued.
    pub fn pre_auth_issue_date(&self) -> Option<Date> {
        match extension(&self.item.extension, ext::ITEM_PRE_AUTH_ISSUE_DATE)?
            .value
            .as_ref()?
        {
            OpenType::Date(date) => date.value,
            _ => None,
        }
    }

    /// The PAS `extension-authorizationNumber`: a previous authorization number.
    pub fn previous_authorization_number(&self) -> Option<&'a str> {
        ext_str(extension(&self.item.extension, ext::AUTHORIZATION_NUMBER)?)
    }

    fn discriminated_value(&self, slice: &PDexAdjudicationDiscriminator) -> Option<&'a Decimal> {
        self.item
            .adjudication
            .iter()
            .filter(|a| {
                has_coding(
                    a.category.as_ref(),
                    PDexAdjudicationDiscriminator::SYSTEM,
                    slice.code(),
                )
            })
            .find_map(|a| a.value.value.as_ref())
    }
}

/// Whether `concept` has `code` in one of the amount category systems.
fn is_category(concept: Option<&CodeableConcept>, code: &str) -> bool {
    [
        HL7_ADJUDICATION,
        PriorAuthorizationValueCodes::SYSTEM,
        crate::codes::pdex::PDexAdjudicationCS::SYSTEM,
    ]
    .iter()
    .any(|system| has_coding(concept, system, code))
}

/// The review action of the first adjudication that has one.
fn review_of(
    adjudications: &[ExplanationOfBenefitItemAdjudication],
) -> Option<ReviewActionView<'_>> {
    adjudications.iter().find_map(|a| {
        extension(&a.extension, ext::REVIEW_ACTION).map(|extension| ReviewActionView { extension })
    })
}

/// The exact sum of `amounts`; `None` when there are none or they do not add up.
fn sum(mut amounts: impl Iterator<Item = Amount>) -> Option<Amount> {
    let first = amounts.next()?;
    amounts.try_fold(first, |total, amount| total.checked_add(&amount))
}

/// What every prior authorization needs.
#[derive(Clone, Debug)]
pub struct PriorAuthorizationHeader {
    /// The claim type (`type`): institutional, professional, ...
    pub claim_type: ClaimType,
    /// When the authorization was created (`created`).
    pub created: DateTime,
    /// The member (`patient`), a US Core Patient.
    pub patient: Reference,
    /// The payer (`insurer`), a US Core Organization.
    pub insurer: Reference,
    /// The requesting provider (`provider`): a US Core Practitioner, PractitionerRole or
    /// Organization.
    pub provider: Reference,
    /// The member's coverage (`insurance.coverage` of the focal insurance).
    pub coverage: Reference,
}

/// One item of a prior authorization, for [`PriorAuthorizationBuilder::item`].
///
/// The builder does not write the `denialreason`, `allowedunits` or `consumedunits`
/// adjudication slices yet (their category codes are outside the base element's value
/// set, an IG defect; the validator checks a slice's occurrences against the slice, so
/// they would validate); state a denial with [`ReviewAction::NotCertified`] and
/// [`PriorAuthorizationItem::review_reason`].
#[derive(Clone, Debug)]
pub struct PriorAuthorizationItem {
    product_or_service: Coding,
    requested: Amount,
    review: ReviewAction,
    review_number: Option<String>,
    review_reasons: Vec<String>,
    approved: Option<Amount>,
    category: Option<String>,
    serviced: Option<(Date, Option<Date>)>,
    quantity: Option<Decimal>,
}

impl PriorAuthorizationItem {
    /// An item asking for `product_or_service` (a CPT, HCPCS or HIPPS coding) for
    /// `requested`, with the payer's decision `review`.
    pub fn new(
        product_or_service: Coding,
        requested: Amount,
        review: ReviewAction,
    ) -> PriorAuthorizationItem {
        PriorAuthorizationItem {
            product_or_service,
            requested,
            review,
            review_number: None,
            review_reasons: Vec::new(),
            approved: None,
            category: None,
            serviced: None,
            quantity: None,
        }
    }

    /// The amount approved (an `eligible` adjudication).
    pub fn approved(mut self, amount: Amount) -> PriorAuthorizationItem {
        self.approved = Some(amount);
        self
    }

    /// The authorization or reference number of the decision (`reviewAction.number`).
    pub fn review_number(mut self, number: &str) -> PriorAuthorizationItem {
        self.review_number = Some(number.to_owned());
        self
    }

    /// Adds a reason for the decision (`reviewAction.reasonCode`): an X12 278 review
    /// decision reason code (code list 886).
    pub fn review_reason(mut self, code: &str) -> PriorAuthorizationItem {
        self.review_reasons.push(code.to_owned());
        self
    }

    /// The X12 service type (`category`), such as `3` (consultation).
    pub fn category(mut self, x12_service_type: &str) -> PriorAuthorizationItem {
        self.category = Some(x12_service_type.to_owned());
        self
    }

    /// The dates of service (`servicedDate`, or `servicedPeriod` with an end).
    pub fn serviced(mut self, start: Date, end: Option<Date>) -> PriorAuthorizationItem {
        self.serviced = Some((start, end));
        self
    }

    /// The units asked for (`quantity`).
    pub fn quantity(mut self, units: Decimal) -> PriorAuthorizationItem {
        self.quantity = Some(units);
        self
    }

    /// The `item` with sequence `sequence`.
    fn into_item(
        self,
        sequence: NonZeroU32,
    ) -> Result<ExplanationOfBenefitItem, PriorAuthorizationError> {
        let mut item = ExplanationOfBenefitItem::default();
        item.sequence = sequence.into();
        if let Some(category) = self.category {
            if !in_required_binding(
                PROFILE,
                "ExplanationOfBenefit.item.category",
                X12_SERVICE_TYPE,
                &category,
            ) {
                return Err(PriorAuthorizationError::CodeNotAllowed {
                    element: "item.category",
                    code: category,
                });
            }
            item.category = Some(concept(coding(X12_SERVICE_TYPE, &category)));
        }
        let product = &self.product_or_service;
        let allowed = product
            .system
            .as_str()
            .zip(product.code.as_str())
            .is_some_and(|(system, code)| {
                in_required_binding(
                    PROFILE,
                    "ExplanationOfBenefit.item.productOrService",
                    system,
                    code,
                )
            });
        if !allowed {
            return Err(PriorAuthorizationError::CodeNotAllowed {
                element: "item.productOrService",
                code: code_text(product),
            });
        }
        item.product_or_service = Some(concept(self.product_or_service));
        match self.serviced {
            Some((start, None)) => {
                item.serviced = Some(ExplanationOfBenefitItemServiced::Date(start.into()));
            }
            Some((start, Some(end))) => {
                let mut period = Period::default();
                period.start = DateTime::Date(start).into();
                period.end = DateTime::Date(end).into();
                item.serviced = Some(ExplanationOfBenefitItemServiced::Period(Box::new(period)));
            }
            None => {}
        }
        if let Some(units) = self.quantity {
            let mut quantity = Quantity::default();
            quantity.value = units.into();
            item.quantity = Some(quantity);
        }

        // The decision rides on the requested amount's adjudication, as in the IG example.
        if let ReviewAction::Other(code) = &self.review {
            return Err(PriorAuthorizationError::CodeNotAllowed {
                element: "item.adjudication.extension:reviewAction.extension:code.value[x]",
                code: code.clone(),
            });
        }
        let mut parts = Vec::new();
        if let Some(number) = self.review_number {
            parts.push(new_extension("number", OpenType::String(number.into())));
        }
        parts.push(new_extension(
            ext::REVIEW_ACTION_CODE,
            OpenType::CodeableConcept(Box::new(concept(self.review.to_coding()))),
        ));
        for reason in self.review_reasons {
            if !in_required_binding(
                ext::REVIEW_ACTION,
                "Extension.extension:reasonCode.value[x]",
                REVIEW_DECISION_REASON,
                &reason,
            ) {
                return Err(PriorAuthorizationError::CodeNotAllowed {
                    element: "item.adjudication.extension:reviewAction.extension:reasonCode.value[x]",
                    code: reason,
                });
            }
            parts.push(new_extension(
                "reasonCode",
                OpenType::CodeableConcept(Box::new(concept(coding(
                    REVIEW_DECISION_REASON,
                    &reason,
                )))),
            ));
        }
        let mut requested = amount_adjudication("submitted", &self.requested);
        requested
            .extension
            .push(complex_extension(ext::REVIEW_ACTION, parts));
        item.adjudication.push(requested);
        if let Some(approved) = &self.approved {
            item.adjudication
                .push(amount_adjudication("eligible", approved));
        }
        Ok(item)
    }
}

/// `https://codesystem.x12.org/external/886`: X12 278 review decision reason codes.
const REVIEW_DECISION_REASON: &str = "https://codesystem.x12.org/external/886";

/// Builds a `pdex-priorauthorization` EOB with what the profile requires: `meta.profile`
/// (`|2.0.0`, the profile's `supportedProfile` slice), `status` (`active` unless set),
/// `type`, `use` `preauthorization`, `patient`, `created`, `insurer`, `provider`, `outcome`
/// (`complete` unless set), a focal `insurance`, and items with their review actions;
/// totals are the exact sums of the items' requested (`submitted`) and approved
/// (`eligible`) amounts. See the [module documentation](self) for an example.
#[derive(Clone, Debug)]
pub struct PriorAuthorizationBuilder {
    header: PriorAuthorizationHeader,
    id: Option<String>,
    status: EobStatus,
    outcome: RemittanceOutcome,
    pre_auth_refs: Vec<String>,
    pre_auth_period: Option<Span>,
    items: Vec<PriorAuthorizationItem>,
}

impl PriorAuthorizationBuilder {
    /// A builder with the required header elements.
    pub fn new(header: PriorAuthorizationHeader) -> PriorAuthorizationBuilder {
        PriorAuthorizationBuilder {
            header,
            id: None,
            status: EobStatus::Active,
            outcome: RemittanceOutcome::Complete,
            pre_auth_refs: Vec::new(),
            pre_auth_period: None,
            items: Vec::new(),
        }
    }

    /// The logical id (`id`).
    pub fn id(mut self, id: &str) -> PriorAuthorizationBuilder {
        self.id = Some(id.to_owned());
        self
    }

    /// `status`; `active` by default.
    pub fn status(mut self, status: EobStatus) -> PriorAuthorizationBuilder {
        self.status = status;
        self
    }

    /// `outcome`; `complete` by default (`queued` while the review is under way).
    pub fn outcome(mut self, outcome: RemittanceOutcome) -> PriorAuthorizationBuilder {
        self.outcome = outcome;
        self
    }

    /// Adds an authorization number (`preAuthRef`).
    pub fn pre_auth_ref(mut self, reference: &str) -> PriorAuthorizationBuilder {
        self.pre_auth_refs.push(reference.to_owned());
        self
    }

    /// When the authorization is valid (`preAuthRefPeriod`).
    pub fn pre_auth_period(
        mut self,
        start: DateTime,
        end: Option<DateTime>,
    ) -> PriorAuthorizationBuilder {
        self.pre_auth_period = Some(Span {
            start: Some(start),
            end,
        });
        self
    }

    /// Adds an item; items are numbered 1, 2, ... in the order added.
    pub fn item(mut self, item: PriorAuthorizationItem) -> PriorAuthorizationBuilder {
        self.items.push(item);
        self
    }

    /// The EOB, or the first reason it would not conform to the profile.
    pub fn build(self) -> Result<ExplanationOfBenefit, PriorAuthorizationError> {
        if self.items.is_empty() {
            return Err(PriorAuthorizationError::NoItems);
        }
        if let EobStatus::Other(code) = &self.status {
            return Err(PriorAuthorizationError::CodeNotAllowed {
                element: "status",
                code: code.clone(),
            });
        }
        if let RemittanceOutcome::Other(code) = &self.outcome {
            return Err(PriorAuthorizationError::CodeNotAllowed {
                element: "outcome",
                code: code.clone(),
            });
        }
        let header = self.header;
        if let ClaimType::Other(code) = &header.claim_type {
            return Err(PriorAuthorizationError::CodeNotAllowed {
                element: "type",
                code: code.clone(),
            });
        }

        let mut requested: Option<Amount> = None;
        let mut approved: Option<Amount> = None;
        let mut items = Vec::with_capacity(self.items.len());
        for (index, item) in self.items.into_iter().enumerate() {
            requested = Some(add(requested, &item.requested, "submitted")?);
            if let Some(amount) = &item.approved {
                approved = Some(add(approved, amount, "eligible")?);
            }
            let sequence = NonZeroU32::MIN.saturating_add(u32::try_from(index).unwrap_or(u32::MAX));
            items.push(item.into_item(sequence)?);
        }

        let mut eob = ExplanationOfBenefit::default();
        eob.id = self.id;
        let mut meta = Meta::default();
        meta.profile
            .push(format!("{PROFILE}|{PDEX_VERSION}").into());
        eob.meta = Some(meta);
        eob.status = self.status.code().into();
        eob.r#type = Some(concept(coding(ClaimType::SYSTEM, header.claim_type.code())));
        eob.r#use = "preauthorization".into();
        eob.patient = Some(header.patient);
        eob.created = header.created.into();
        eob.insurer = Some(header.insurer);
        eob.provider = Some(header.provider);
        eob.outcome = self.outcome.code().into();
        eob.pre_auth_ref = self.pre_auth_refs.into_iter().map(Into::into).collect();
        if let Some(span) = self.pre_auth_period {
            let mut period = Period::default();
            period.start.value = span.start;
            period.end.value = span.end;
            eob.pre_auth_ref_period.push(period);
        }
        let mut insurance = ExplanationOfBenefitInsurance::default();
        insurance.focal = true.into();
        insurance.coverage = Some(header.coverage);
        eob.insurance.push(insurance);
        eob.item = items;
        for (category, amount) in [
            (PriorAuthorizationValueCodes::Submitted, requested),
            (PriorAuthorizationValueCodes::Eligible, approved),
        ] {
            if let Some(amount) = amount {
                let mut total = ExplanationOfBenefitTotal::default();
                total.category = Some(concept(category.to_coding()));
                total.amount = Some(amount.to_fhir());
                eob.total.push(total);
            }
        }
        Ok(eob)
    }
}

/// Why [`PriorAuthorizationBuilder::build`] could not make a conformant prior
/// authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PriorAuthorizationError {
    /// No item was added.
    NoItems,
    /// A code outside the value set the profile (or the extension) requires for the
    /// element.
    CodeNotAllowed {
        /// The element, as a path below `ExplanationOfBenefit` with slice names.
        element: &'static str,
        /// The code given (`system#code` for codings).
        code: String,
    },
    /// The items' amounts of a category could not be totalled (different currencies, or a
    /// sum too large): `submitted` or `eligible`.
    CannotTotal(&'static str),
}

impl fmt::Display for PriorAuthorizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriorAuthorizationError::NoItems => {
                f.write_str("a prior authorization needs at least one item")
            }
            PriorAuthorizationError::CodeNotAllowed { element, code } => write!(
                f,
                "code {code:?} is not allowed in ExplanationOfBenefit.{element}"
            ),
            PriorAuthorizationError::CannotTotal(category) => {
                write!(f, "the items' {category} amounts cannot be added up")
            }
        }
    }
}

impl std::error::Error for PriorAuthorizationError {}

/// `total + amount`, or `amount` when there is no total yet.
fn add(
    total: Option<Amount>,
    amount: &Amount,
    category: &'static str,
) -> Result<Amount, PriorAuthorizationError> {
    match total {
        None => Ok(amount.clone()),
        Some(total) => total
            .checked_add(amount)
            .ok_or(PriorAuthorizationError::CannotTotal(category)),
    }
}

/// An item adjudication of the HL7 adjudication category `code` with `amount`.
fn amount_adjudication(code: &str, amount: &Amount) -> ExplanationOfBenefitItemAdjudication {
    let mut adjudication = ExplanationOfBenefitItemAdjudication::default();
    adjudication.category = Some(concept(coding(HL7_ADJUDICATION, code)));
    adjudication.amount = Some(amount.to_fhir());
    adjudication
}

/// `system#code` of a coding, for errors.
fn code_text(coding: &Coding) -> String {
    format!(
        "{}#{}",
        coding.system.as_str().unwrap_or(""),
        coding.code.as_str().unwrap_or("")
    )
}
