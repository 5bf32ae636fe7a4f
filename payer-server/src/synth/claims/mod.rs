//! Adjudicated claims as CARIN Blue Button 2.0.0 `ExplanationOfBenefit`s, one module per
//! claim type, and PDex prior authorizations. This module has what they share: the
//! header, claim lines and their adjudication, care team, supporting information,
//! diagnoses, totals and payment.

pub(crate) mod institutional;
pub(crate) mod oral;
pub(crate) mod pharmacy;
pub(crate) mod prior_auth;
pub(crate) mod professional;

use carin_profiles::codes::{
    C4BBAdjudicationDiscriminator, C4BBIdentifierType, C4BBInstitutionalClaimSubType,
    C4BBPayerAdjudicationStatus, C4BBSupportingInfoType,
};
use carin_profiles::views::eob::ClaimType;
use fhir_model::datatypes::{CodeableConcept, Coding, Reference};
use fhir_model::resources::{
    ExplanationOfBenefit, ExplanationOfBenefitCareTeam, ExplanationOfBenefitDiagnosis,
    ExplanationOfBenefitDiagnosisDiagnosis, ExplanationOfBenefitInsurance,
    ExplanationOfBenefitItem, ExplanationOfBenefitItemAdjudication,
    ExplanationOfBenefitItemServiced, ExplanationOfBenefitPayment,
    ExplanationOfBenefitSupportingInfo, ExplanationOfBenefitSupportingInfoTiming,
    ExplanationOfBenefitSupportingInfoValue, ExplanationOfBenefitTotal,
};

use super::benefits::{Benefit, LineAmounts};
use super::calendar::Day;
use super::codes::{
    BillingCode, CARC, DATA_ABSENT_REASON, Diagnosis, ICD10_CM, NUBC_REVENUE, NUCC_TAXONOMY,
    RevenueCode,
};
use super::context::MemberContext;
use super::directory::Specialty;
use super::fhir::{
    CARIN_BB, code, code_display, coding_display, concept, count, identifier, meta, period,
    primitive, sequence, usd,
};
use super::member::PAYER_SYSTEM_BASE;

/// When the payer received, adjudicated and paid a claim.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClaimDates {
    /// The claim received date (`supportingInfo:clmrecvddate`).
    pub(crate) received: Day,
    /// When the EOB was created (`created`).
    pub(crate) created: Day,
    /// The payment date, which is also when the EOB was last updated.
    pub(crate) paid: Day,
}

impl ClaimDates {
    /// A medical or dental claim: received days after the service, adjudicated within
    /// weeks, paid soon after; never after the end of the period.
    pub(crate) fn after_service(ctx: &mut MemberContext<'_>, service_end: Day) -> ClaimDates {
        let received = ctx.days_after(service_end, 2, 14);
        let created = ctx.days_after(received, 3, 18);
        let paid = ctx.days_after(created, 0, 7);
        ClaimDates {
            received,
            created,
            paid,
        }
    }

    /// A pharmacy claim, adjudicated at the point of sale.
    pub(crate) fn point_of_sale(day: Day) -> ClaimDates {
        ClaimDates {
            received: day,
            created: day,
            paid: day,
        }
    }
}

/// What every claim EOB has in its header.
#[derive(Debug)]
pub(crate) struct Header {
    /// The CARIN profile URL (without version).
    pub(crate) profile: &'static str,
    /// `type`.
    pub(crate) claim_type: ClaimType,
    /// `subType` of institutional claims.
    pub(crate) sub_type: Option<C4BBInstitutionalClaimSubType>,
    /// `billablePeriod`.
    pub(crate) billable: (Day, Day),
    /// Processing dates.
    pub(crate) dates: ClaimDates,
    /// The billing provider (`provider`).
    pub(crate) provider: Reference,
}

/// A new EOB with the header every CARIN profile requires: id, meta, unique claim id,
/// status, type, use, patient, billable period, created, insurer, provider, outcome and
/// the focal insurance.
pub(crate) fn new_eob(ctx: &mut MemberContext<'_>, header: Header) -> ExplanationOfBenefit {
    let mut eob = ExplanationOfBenefit::default();
    eob.id = Some(ctx.next_id("eob"));
    let minute = ctx.business_minute();
    eob.meta = Some(meta(
        header.dates.paid,
        minute,
        &[(header.profile, CARIN_BB)],
    ));
    let claim_number = format!(
        "{}{:05}{:04}",
        header.billable.0.year(),
        ctx.member.number,
        ctx.count("eob")
    );
    eob.identifier.push(identifier(
        Some(C4BBIdentifierType::Uc.to_coding()),
        &format!("{PAYER_SYSTEM_BASE}/claimid"),
        &claim_number,
    ));
    eob.status = "active".into();
    eob.r#type = Some(code(ClaimType::SYSTEM, header.claim_type.code()));
    eob.sub_type = header
        .sub_type
        .map(|sub_type| concept(sub_type.to_coding()));
    eob.r#use = "claim".into();
    eob.patient = Some(ctx.member.patient_reference());
    eob.billable_period = Some(period(header.billable.0, Some(header.billable.1)));
    eob.created = primitive(header.dates.created.to_date_time());
    eob.insurer = Some(ctx.directory.organization(ctx.directory.payer()));
    eob.provider = Some(header.provider);
    eob.outcome = "complete".into();
    let mut insurance = ExplanationOfBenefitInsurance::default();
    insurance.focal = true.into();
    insurance.coverage = Some(ctx.member.coverage_reference());
    eob.insurance.push(insurance);
    eob
}

/// A care team member: `sequence`, provider, role and (for practitioners) the NUCC
/// specialty as qualification.
pub(crate) fn care_team(
    index: usize,
    provider: Reference,
    role: Coding,
    specialty: Option<Specialty>,
) -> ExplanationOfBenefitCareTeam {
    let mut member = ExplanationOfBenefitCareTeam::default();
    member.sequence = sequence(index);
    member.provider = Some(provider);
    member.role = Some(concept(role));
    member.qualification = specialty.map(|specialty| {
        let (code, display) = specialty.taxonomy();
        code_display(NUCC_TAXONOMY, code, display)
    });
    member
}

/// A supporting information entry of a category, to fill in.
fn info(index: usize, category: &C4BBSupportingInfoType) -> ExplanationOfBenefitSupportingInfo {
    let mut out = ExplanationOfBenefitSupportingInfo::default();
    out.sequence = sequence(index);
    out.category = Some(concept(category.to_coding()));
    out
}

/// Supporting information with a date (`timingDate`).
pub(crate) fn info_date(
    index: usize,
    category: &C4BBSupportingInfoType,
    day: Day,
) -> ExplanationOfBenefitSupportingInfo {
    let mut out = info(index, category);
    out.timing = Some(ExplanationOfBenefitSupportingInfoTiming::Date(primitive(
        day.to_date(),
    )));
    out
}

/// Supporting information with a period (`timingPeriod`).
pub(crate) fn info_period(
    index: usize,
    category: &C4BBSupportingInfoType,
    start: Day,
    end: Day,
) -> ExplanationOfBenefitSupportingInfo {
    let mut out = info(index, category);
    out.timing = Some(ExplanationOfBenefitSupportingInfoTiming::Period(Box::new(
        period(start, Some(end)),
    )));
    out
}

/// Supporting information with a code.
pub(crate) fn info_code(
    index: usize,
    category: &C4BBSupportingInfoType,
    code: Coding,
) -> ExplanationOfBenefitSupportingInfo {
    let mut out = info(index, category);
    out.code = Some(concept(code));
    out
}

/// Supporting information with a count (`valueQuantity`).
pub(crate) fn info_count(
    index: usize,
    category: &C4BBSupportingInfoType,
    value: i64,
) -> ExplanationOfBenefitSupportingInfo {
    let mut out = info(index, category);
    out.value = Some(ExplanationOfBenefitSupportingInfoValue::Quantity(Box::new(
        count(value),
    )));
    out
}

/// Supporting information with a string (`valueString`).
pub(crate) fn info_string(
    index: usize,
    category: &C4BBSupportingInfoType,
    value: &str,
) -> ExplanationOfBenefitSupportingInfo {
    let mut out = info(index, category);
    out.value = Some(ExplanationOfBenefitSupportingInfoValue::String(
        value.into(),
    ));
    out
}

/// Supporting information with a reference (`valueReference`).
pub(crate) fn info_reference(
    index: usize,
    category: &C4BBSupportingInfoType,
    value: Reference,
) -> ExplanationOfBenefitSupportingInfo {
    let mut out = info(index, category);
    out.value = Some(ExplanationOfBenefitSupportingInfoValue::Reference(
        Box::new(value),
    ));
    out
}

/// The member's medical record number at the provider (`medicalrecordnumber`).
pub(crate) fn medical_record_number(
    ctx: &MemberContext<'_>,
    index: usize,
) -> ExplanationOfBenefitSupportingInfo {
    info_string(
        index,
        &C4BBSupportingInfoType::Medicalrecordnumber,
        &format!("MRN{:07}", ctx.member.number * 131 + 1_000_000),
    )
}

/// The provider's account number for this claim (`patientaccountnumber`).
pub(crate) fn patient_account_number(
    ctx: &MemberContext<'_>,
    index: usize,
) -> ExplanationOfBenefitSupportingInfo {
    info_string(
        index,
        &C4BBSupportingInfoType::Patientaccountnumber,
        &format!("PA{:05}-{:04}", ctx.member.number, ctx.count("eob")),
    )
}

/// A diagnosis entry: ICD-10-CM code and type.
pub(crate) fn diagnosis(
    index: usize,
    dx: &Diagnosis,
    kind: Coding,
) -> ExplanationOfBenefitDiagnosis {
    let mut out = ExplanationOfBenefitDiagnosis::default();
    out.sequence = sequence(index);
    out.diagnosis = Some(ExplanationOfBenefitDiagnosisDiagnosis::CodeableConcept(
        Box::new(code_display(ICD10_CM, dx.icd10, dx.display)),
    ));
    out.r#type.push(concept(kind));
    out
}

/// The principal diagnosis type (`ex-diagnosistype#principal`).
pub(crate) fn principal() -> Coding {
    coding_display(
        "http://terminology.hl7.org/CodeSystem/ex-diagnosistype",
        "principal",
        "Principal Diagnosis",
    )
}

/// One billed line, before and after adjudication.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    /// The procedure or service; `None` for a revenue-code-only institutional line.
    pub(crate) code: Option<&'static BillingCode>,
    /// The NUBC revenue code of institutional lines.
    pub(crate) revenue: Option<&'static RevenueCode>,
    /// A CPT/HCPCS modifier.
    pub(crate) modifier: Option<&'static str>,
    /// The cost sharing that applies.
    pub(crate) benefit: Benefit,
    /// Units of service.
    pub(crate) units: i64,
    /// The billed charge for the line.
    pub(crate) charge: i64,
    /// The date of service.
    pub(crate) day: Day,
    /// Whether the payer denies the line.
    pub(crate) denied: bool,
    /// Tooth number (oral claims).
    pub(crate) tooth: Option<&'static str>,
    /// Tooth surfaces (oral claims).
    pub(crate) surfaces: Vec<&'static str>,
    /// The adjudication, once done.
    pub(crate) amounts: LineAmounts,
}

impl Line {
    /// A line for `code` on `day`, charged about the code's typical charge.
    pub(crate) fn new(
        ctx: &mut MemberContext<'_>,
        code: &'static BillingCode,
        benefit: Benefit,
        day: Day,
    ) -> Line {
        let charge = ctx.rng.vary(code.charge, 12);
        Line {
            code: Some(code),
            revenue: None,
            modifier: None,
            benefit,
            units: 1,
            charge,
            day,
            denied: false,
            tooth: None,
            surfaces: Vec::new(),
            amounts: LineAmounts::default(),
        }
    }

    /// An institutional line: a revenue code and, optionally, a procedure.
    pub(crate) fn revenue(
        ctx: &mut MemberContext<'_>,
        revenue: &'static RevenueCode,
        code: Option<&'static BillingCode>,
        charge: i64,
        day: Day,
    ) -> Line {
        let charge = ctx.rng.vary(charge, 15);
        Line {
            code,
            revenue: Some(revenue),
            modifier: None,
            benefit: Benefit::Diagnostic,
            units: 1,
            charge,
            day,
            denied: false,
            tooth: None,
            surfaces: Vec::new(),
            amounts: LineAmounts::default(),
        }
    }

    /// The same line with a modifier.
    pub(crate) fn with_modifier(mut self, modifier: &'static str) -> Line {
        self.modifier = Some(modifier);
        self
    }

    /// The same line with `units` units (the charge multiplies).
    pub(crate) fn with_units(mut self, units: i64) -> Line {
        self.charge *= units;
        self.units = units;
        self
    }

    /// The same line with another cost-sharing category.
    pub(crate) fn with_benefit(mut self, benefit: Benefit) -> Line {
        self.benefit = benefit;
        self
    }

    /// `productOrService`: the code, or `data-absent-reason#not-applicable`.
    fn product_or_service(&self) -> CodeableConcept {
        match self.code {
            Some(code) => code_display(code.system, code.code, code.display),
            None => code_display(DATA_ABSENT_REASON, "not-applicable", "Not Applicable"),
        }
    }

    /// The `item` with this line's codes, date and quantity; adjudications are added by
    /// the claim type.
    pub(crate) fn item(&self, index: usize) -> ExplanationOfBenefitItem {
        let mut item = ExplanationOfBenefitItem::default();
        item.sequence = sequence(index);
        item.revenue = self
            .revenue
            .map(|revenue| code_display(NUBC_REVENUE, revenue.code, revenue.display));
        item.product_or_service = Some(self.product_or_service());
        if let (Some(modifier), Some(billed)) = (self.modifier, self.code) {
            item.modifier.push(code(billed.system, modifier));
        }
        item.serviced = Some(ExplanationOfBenefitItemServiced::Date(primitive(
            self.day.to_date(),
        )));
        item.quantity = Some(count(self.units));
        item
    }
}

/// Adjudicates each line of a claim (in order) against the member's plan.
pub(crate) fn adjudicate_lines(ctx: &mut MemberContext<'_>, lines: &mut [Line], in_network: bool) {
    for line in lines {
        line.amounts = ctx.adjudicate(line.benefit, line.charge, in_network, line.denied, line.day);
    }
}

/// Occasionally (`percent` %) denies one diagnostic line of a claim, as not medically
/// necessary.
pub(crate) fn maybe_deny_a_line(ctx: &mut MemberContext<'_>, lines: &mut [Line], percent: u32) {
    if !ctx.rng.chance(percent) {
        return;
    }
    if let Some(line) = lines
        .iter_mut()
        .rev()
        .find(|line| line.benefit == Benefit::Diagnostic)
    {
        line.denied = true;
    }
}

/// The amount adjudications of a line (or claim): one per category.
pub(crate) fn amount_adjudications(
    amounts: &LineAmounts,
) -> Vec<ExplanationOfBenefitItemAdjudication> {
    amounts
        .categories()
        .into_iter()
        .map(|(category, cents)| {
            let mut adjudication = ExplanationOfBenefitItemAdjudication::default();
            adjudication.category = Some(concept(category.to_coding()));
            adjudication.amount = Some(usd(cents));
            adjudication
        })
        .collect()
}

/// The adjustment reason of a denied line: CARC 50, not medically necessary.
pub(crate) fn denial_reason() -> ExplanationOfBenefitItemAdjudication {
    let mut adjudication = ExplanationOfBenefitItemAdjudication::default();
    adjudication.category = Some(concept(
        C4BBAdjudicationDiscriminator::Adjustmentreason.to_coding(),
    ));
    adjudication.reason = Some(code_display(
        CARC,
        "50",
        "These are non-covered services because this is not deemed a medical necessity by the payer",
    ));
    adjudication
}

/// A status adjudication (`benefitpaymentstatus`, `billingnetworkstatus`, ...).
pub(crate) fn status(
    slice: &C4BBAdjudicationDiscriminator,
    status: &C4BBPayerAdjudicationStatus,
) -> ExplanationOfBenefitItemAdjudication {
    let mut adjudication = ExplanationOfBenefitItemAdjudication::default();
    adjudication.category = Some(concept(slice.to_coding()));
    adjudication.reason = Some(concept(status.to_coding()));
    adjudication
}

/// `innetwork` or `outofnetwork`.
pub(crate) fn network(in_network: bool) -> C4BBPayerAdjudicationStatus {
    if in_network {
        C4BBPayerAdjudicationStatus::Innetwork
    } else {
        C4BBPayerAdjudicationStatus::Outofnetwork
    }
}

/// The claim totals: one per category, the sums of the lines.
pub(crate) fn totals(amounts: &LineAmounts) -> Vec<ExplanationOfBenefitTotal> {
    amounts
        .categories()
        .into_iter()
        .map(|(category, cents)| {
            let mut total = ExplanationOfBenefitTotal::default();
            total.category = Some(concept(category.to_coding()));
            total.amount = Some(usd(cents));
            total
        })
        .collect()
}

/// The payment: `paid`, `partiallypaid` (some line denied) or `denied` (all lines), its
/// date and amount.
pub(crate) fn payment(
    total: &LineAmounts,
    lines: &[Line],
    day: Day,
) -> Box<ExplanationOfBenefitPayment> {
    let denied = lines.iter().filter(|line| line.denied).count();
    let status = if denied == 0 {
        C4BBPayerAdjudicationStatus::Paid
    } else if denied == lines.len() {
        C4BBPayerAdjudicationStatus::Denied
    } else {
        C4BBPayerAdjudicationStatus::Partiallypaid
    };
    let mut payment = ExplanationOfBenefitPayment::default();
    payment.r#type = Some(concept(status.to_coding()));
    payment.date = primitive(day.to_date());
    payment.amount = Some(usd(total.paid_to_provider));
    Box::new(payment)
}

/// Writes the adjudicated lines as items with their amounts and, when `line_status`,
/// each line's benefit payment status; denied lines get their adjustment reason.
pub(crate) fn items_with_amounts(
    lines: &[Line],
    line_status: Option<&C4BBPayerAdjudicationStatus>,
) -> Vec<ExplanationOfBenefitItem> {
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let mut item = line.item(index);
            if let Some(status_code) = line_status {
                item.adjudication.push(status(
                    &C4BBAdjudicationDiscriminator::Benefitpaymentstatus,
                    status_code,
                ));
            }
            item.adjudication
                .extend(amount_adjudications(&line.amounts));
            if line.denied {
                item.adjudication.push(denial_reason());
            }
            item
        })
        .collect()
}

/// The sum of the lines' amounts.
pub(crate) fn sum(lines: &[Line]) -> LineAmounts {
    LineAmounts::sum(lines.iter().map(|line| &line.amounts))
}

/// The 1-based sequences of `count` entries (at most four, as on a claim form line).
pub(crate) fn pointers(count: usize) -> Vec<fhir_model::Primitive<std::num::NonZeroU32>> {
    (0..count.min(4)).map(sequence).collect()
}
