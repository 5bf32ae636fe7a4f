//! Prior authorizations as Da Vinci PDex 2.0.0 `pdex-priorauthorization` EOBs
//! (`use = preauthorization`): the requested service, the payer's decision (X12 278
//! review action) and the authorized period.

use carin_profiles::views::eob::{AdjudicationCategory, ClaimType};
use fhir_model::datatypes::OpenType;
use fhir_model::resources::{
    ExplanationOfBenefit, ExplanationOfBenefitInsurance, ExplanationOfBenefitItem,
    ExplanationOfBenefitItemAdjudication, ExplanationOfBenefitItemServiced,
    ExplanationOfBenefitTotal,
};

use super::super::calendar::Day;
use super::super::codes::{BillingCode, Diagnosis};
use super::super::context::MemberContext;
use super::super::directory::OrgId;
use super::super::fhir::{
    PDEX, code_display, coding_display, complex_extension, concept, count, extension, identifier,
    meta, period, primitive, sequence, usd,
};
use super::super::member::PAYER_SYSTEM_BASE;
use super::{diagnosis, principal};

/// The PDex prior authorization profile.
pub(crate) const PROFILE_PRIOR_AUTHORIZATION: &str =
    "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-priorauthorization";
const EXTENSION_BASE: &str = "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition";
/// X12 service type codes.
const SERVICE_TYPE: &str = "https://x12.org/codes/service-type-codes";
/// PDex prior authorization amount categories.
const PRIOR_AUTH_VALUES: &str =
    "http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PriorAuthorizationValueCodes";

/// X12 service types: (code, display).
pub(crate) const SERVICE_TYPE_INPATIENT: (&str, &str) = ("48", "Hospital - Inpatient");
/// MRI/CAT scan.
pub(crate) const SERVICE_TYPE_IMAGING: (&str, &str) = ("62", "MRI/CAT Scan");
/// Durable medical equipment purchase.
pub(crate) const SERVICE_TYPE_DME: (&str, &str) = ("12", "Durable Medical Equipment Purchase");

/// A prior authorization request and the payer's decision.
#[derive(Debug)]
pub(crate) struct Authorization {
    /// The requesting provider organization.
    pub(crate) requester: OrgId,
    /// Institutional (facility) or professional request.
    pub(crate) institutional: bool,
    /// X12 service type.
    pub(crate) service_type: (&'static str, &'static str),
    /// The service requested.
    pub(crate) service: &'static BillingCode,
    /// Units (days, visits, items) requested.
    pub(crate) units: i64,
    /// The reason.
    pub(crate) diagnosis: &'static Diagnosis,
    /// When the request was made.
    pub(crate) requested: Day,
    /// The period the service is authorized for.
    pub(crate) window: (Day, Day),
    /// Approved (certified in total) or denied (not certified).
    pub(crate) approved: bool,
}

/// Writes the prior authorization and returns its authorization number.
pub(crate) fn write(ctx: &mut MemberContext<'_>, request: Authorization) -> String {
    let id = ctx.next_id("prior-auth");
    let number = format!(
        "PA{}{:05}{:02}",
        request.requested.year(),
        ctx.member.number,
        ctx.count("prior-auth")
    );
    let decided = ctx.days_after(request.requested, 1, 5);
    let mut eob = ExplanationOfBenefit::default();
    eob.id = Some(id);
    let minute = ctx.business_minute();
    eob.meta = Some(meta(
        decided,
        minute,
        &[(PROFILE_PRIOR_AUTHORIZATION, PDEX)],
    ));
    eob.extension.push(extension(
        &format!("{EXTENSION_BASE}/extension-levelOfServiceCode"),
        OpenType::CodeableConcept(Box::new(code_display(
            "https://codesystem.x12.org/005010/1338",
            "E",
            "Elective",
        ))),
    ));
    eob.identifier.push(identifier(
        None,
        &format!("{PAYER_SYSTEM_BASE}/priorauthorization"),
        &number,
    ));
    eob.status = "active".into();
    let claim_type = if request.institutional {
        ClaimType::Institutional
    } else {
        ClaimType::Professional
    };
    eob.r#type = Some(code_display(
        ClaimType::SYSTEM,
        claim_type.code(),
        if request.institutional {
            "Institutional"
        } else {
            "Professional"
        },
    ));
    eob.r#use = "preauthorization".into();
    eob.patient = Some(ctx.member.patient_reference());
    eob.billable_period = Some(period(request.window.0, Some(request.window.1)));
    eob.created = primitive(request.requested.to_date_time());
    eob.insurer = Some(ctx.directory.organization(ctx.directory.payer()));
    eob.provider = Some(ctx.directory.organization(request.requester));
    eob.priority = Some(code_display(
        "http://terminology.hl7.org/CodeSystem/processpriority",
        "normal",
        "Normal",
    ));
    eob.outcome = "complete".into();
    eob.disposition = if request.approved {
        "Certified in total"
    } else {
        "Not certified: does not meet medical necessity criteria"
    }
    .into();
    if request.approved {
        eob.pre_auth_ref.push(number.as_str().into());
        eob.pre_auth_ref_period
            .push(period(request.window.0, Some(request.window.1)));
    }
    eob.diagnosis
        .push(diagnosis(0, request.diagnosis, principal()));
    let mut insurance = ExplanationOfBenefitInsurance::default();
    insurance.focal = true.into();
    insurance.coverage = Some(ctx.member.coverage_reference());
    eob.insurance.push(insurance);

    let submitted = ctx.rng.vary(request.service.charge, 10) * request.units;
    let eligible = if request.approved {
        submitted * ctx.rng.range(40, 60) / 100
    } else {
        0
    };
    eob.item.push(item(&request, &number, submitted, eligible));
    eob.total
        .push(total("submitted", "Submitted Amount", submitted));
    eob.total
        .push(total("eligible", "Eligible Amount", eligible));
    ctx.push(eob);
    number
}

/// The requested line with its review decision.
fn item(
    request: &Authorization,
    number: &str,
    submitted: i64,
    eligible: i64,
) -> ExplanationOfBenefitItem {
    let mut item = ExplanationOfBenefitItem::default();
    item.sequence = sequence(0);
    item.category = Some(code_display(
        SERVICE_TYPE,
        request.service_type.0,
        request.service_type.1,
    ));
    item.product_or_service = Some(code_display(
        request.service.system,
        request.service.code,
        request.service.display,
    ));
    item.serviced = Some(ExplanationOfBenefitItemServiced::Period(Box::new(period(
        request.window.0,
        Some(request.window.1),
    ))));
    item.quantity = Some(count(request.units));
    let (action, action_display) = if request.approved {
        ("A1", "Certified in total")
    } else {
        ("A3", "Not Certified")
    };
    let review = complex_extension(
        &format!("{EXTENSION_BASE}/extension-reviewAction"),
        vec![
            extension("number", OpenType::String(number.into())),
            extension(
                &format!("{EXTENSION_BASE}/extension-reviewActionCode"),
                OpenType::CodeableConcept(Box::new(code_display(
                    "https://codesystem.x12.org/005010/306",
                    action,
                    action_display,
                ))),
            ),
        ],
    );
    let mut submitted_adjudication = amount(AdjudicationCategory::Submitted, submitted);
    submitted_adjudication.extension.push(review);
    item.adjudication.push(submitted_adjudication);
    item.adjudication
        .push(amount(AdjudicationCategory::Eligible, eligible));
    item
}

/// An amount adjudication of an HL7 adjudication category.
fn amount(category: AdjudicationCategory, cents: i64) -> ExplanationOfBenefitItemAdjudication {
    let mut adjudication = ExplanationOfBenefitItemAdjudication::default();
    adjudication.category = Some(concept(category.to_coding()));
    adjudication.amount = Some(usd(cents));
    adjudication
}

/// A total in the PDex prior authorization amount categories.
fn total(code: &str, display: &str, cents: i64) -> ExplanationOfBenefitTotal {
    let mut total = ExplanationOfBenefitTotal::default();
    total.category = Some(concept(coding_display(PRIOR_AUTH_VALUES, code, display)));
    total.amount = Some(usd(cents));
    total
}
