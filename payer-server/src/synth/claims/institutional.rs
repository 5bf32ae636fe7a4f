//! Facility claims (UB-04): `C4BB-ExplanationOfBenefit-Inpatient-Institutional` and
//! `-Outpatient-Institutional`.
//!
//! CARIN requires amounts either on the header or on the lines, never both
//! (`EOB-institutional-item-or-header-adjudication`). Outpatient claims are adjudicated
//! per line, like most outpatient fee schedules; inpatient stays are paid per MS-DRG, so
//! the amounts are on the header and each revenue line carries its charge in `net`.

use carin_profiles::codes::{
    C4BBAdjudicationDiscriminator, C4BBClaimCareTeamRole, C4BBClaimDiagnosisType,
    C4BBClaimProcedureType, C4BBInstitutionalClaimSubType, C4BBSupportingInfoType,
};
use carin_profiles::views::eob::{
    ClaimType, PROFILE_INPATIENT_INSTITUTIONAL, PROFILE_OUTPATIENT_INSTITUTIONAL,
};
use fhir_model::Primitive;
use fhir_model::resources::{
    ExplanationOfBenefit, ExplanationOfBenefitProcedure, ExplanationOfBenefitProcedureProcedure,
};

use super::super::benefits::Benefit;
use super::super::calendar::Day;
use super::super::codes::{
    Diagnosis, ICD10_PCS, MS_DRG, NUBC_ADMISSION_TYPE, NUBC_DISCHARGE_STATUS, NUBC_POINT_OF_ORIGIN,
    NUBC_PRESENT_ON_ADMISSION, NUBC_TYPE_OF_BILL, Surgery,
};
use super::super::context::MemberContext;
use super::super::directory::{OrgId, PractitionerId};
use super::super::fhir::{code_display, coding_display, concept, primitive, sequence, usd};
use super::{
    ClaimDates, Header, Line, adjudicate_lines, amount_adjudications, care_team, diagnosis,
    info_code, info_date, info_period, items_with_amounts, medical_record_number, network, new_eob,
    patient_account_number, payment, principal, status, sum, totals,
};

/// How the patient came and left: NUBC codes with displays.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Visit {
    /// Priority (type) of admission or visit: `1` emergency, `3` elective, ...
    pub(crate) admission_type: (&'static str, &'static str),
    /// Point of origin: `1` non-health-care facility, `2` clinic or physician's office.
    pub(crate) point_of_origin: (&'static str, &'static str),
    /// Discharge status: `01` home, ...
    pub(crate) discharge_status: (&'static str, &'static str),
}

/// An emergency visit or admission through the emergency department.
pub(crate) const EMERGENCY_VISIT: Visit = Visit {
    admission_type: ("1", "Emergency"),
    point_of_origin: ("1", "Non-health care facility point of origin"),
    discharge_status: ("01", "Discharged to home or self care"),
};
/// A planned visit or admission, referred by a physician.
pub(crate) const ELECTIVE_VISIT: Visit = Visit {
    admission_type: ("3", "Elective"),
    point_of_origin: ("2", "Clinic or physician's office"),
    discharge_status: ("01", "Discharged to home or self care"),
};

/// A facility claim to write.
#[derive(Debug)]
pub(crate) struct FacilityClaim {
    /// The hospital.
    pub(crate) facility: OrgId,
    /// The attending practitioner.
    pub(crate) attending: PractitionerId,
    /// The surgeon, for surgical stays.
    pub(crate) operating: Option<PractitionerId>,
    /// The visit's NUBC codes.
    pub(crate) visit: Visit,
    /// The principal diagnosis.
    pub(crate) principal: &'static Diagnosis,
    /// Other diagnoses (chronic conditions).
    pub(crate) others: Vec<&'static Diagnosis>,
    /// The revenue lines.
    pub(crate) lines: Vec<Line>,
    /// The prior authorization number, when one was required.
    pub(crate) prior_authorization: Option<String>,
}

/// A hospital stay: the facility claim plus what only stays have.
#[derive(Debug)]
pub(crate) struct Stay {
    /// The claim.
    pub(crate) claim: FacilityClaim,
    /// Admission and discharge days.
    pub(crate) admitted: (Day, Day),
    /// MS-DRG code and title.
    pub(crate) drg: (&'static str, &'static str),
    /// The surgery, if any, and its day.
    pub(crate) surgery: Option<(&'static Surgery, Day)>,
}

/// Adjudicates and writes an outpatient facility claim (amounts per line).
pub(crate) fn write_outpatient(ctx: &mut MemberContext<'_>, mut claim: FacilityClaim) {
    let in_network = ctx.directory.in_network(claim.facility);
    adjudicate_lines(ctx, &mut claim.lines, in_network);
    let first_day = claim.lines.iter().map(|l| l.day).min().unwrap_or(ctx.end);
    let last_day = claim.lines.iter().map(|l| l.day).max().unwrap_or(ctx.end);
    let (mut eob, dates) = facility_eob(
        ctx,
        &claim,
        C4BBInstitutionalClaimSubType::Outpatient,
        (first_day, last_day),
        None,
    );
    eob.item = items_with_amounts(&claim.lines, None);
    let total = sum(&claim.lines);
    eob.total = totals(&total);
    eob.payment = Some(payment(&total, &claim.lines, dates.paid));
    ctx.push(eob);
}

/// Adjudicates and writes an inpatient claim (amounts on the header, per MS-DRG).
pub(crate) fn write_inpatient(ctx: &mut MemberContext<'_>, stay: Stay) {
    let Stay {
        claim,
        admitted,
        drg,
        surgery,
    } = stay;
    let in_network = ctx.directory.in_network(claim.facility);
    let charges: i64 = claim.lines.iter().map(|line| line.charge).sum();
    let amounts = ctx.adjudicate(Benefit::Inpatient, charges, in_network, false, admitted.0);
    let (mut eob, dates) = facility_eob(
        ctx,
        &claim,
        C4BBInstitutionalClaimSubType::Inpatient,
        admitted,
        Some(drg),
    );
    let count = eob.supporting_info.len();
    eob.supporting_info.push(info_period(
        count,
        &C4BBSupportingInfoType::Admissionperiod,
        admitted.0,
        admitted.1,
    ));
    for dx in &mut eob.diagnosis {
        dx.on_admission = Some(code_display(NUBC_PRESENT_ON_ADMISSION, "Y", "Yes"));
    }
    if let Some((surgery, day)) = surgery {
        eob.procedure.push(procedure(surgery, day));
    }
    eob.item = claim
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let mut item = line.item(index);
            item.net = Some(usd(line.charge));
            item
        })
        .collect();
    eob.adjudication.extend(amount_adjudications(&amounts));
    eob.total = totals(&amounts);
    eob.payment = Some(payment(&amounts, &claim.lines, dates.paid));
    ctx.push(eob);
}

/// What inpatient and outpatient EOBs share: header, care team, supporting information,
/// diagnoses and the header statuses; and the claim's processing dates.
fn facility_eob(
    ctx: &mut MemberContext<'_>,
    claim: &FacilityClaim,
    sub_type: C4BBInstitutionalClaimSubType,
    billable: (Day, Day),
    drg: Option<(&str, &str)>,
) -> (ExplanationOfBenefit, ClaimDates) {
    let inpatient = sub_type == C4BBInstitutionalClaimSubType::Inpatient;
    let dates = ClaimDates::after_service(ctx, billable.1);
    let provider = ctx.directory.organization(claim.facility);
    let profile = if inpatient {
        PROFILE_INPATIENT_INSTITUTIONAL
    } else {
        PROFILE_OUTPATIENT_INSTITUTIONAL
    };
    let mut eob = new_eob(
        ctx,
        Header {
            profile,
            claim_type: ClaimType::Institutional,
            sub_type: Some(sub_type),
            billable,
            dates,
            provider,
        },
    );
    let attending = ctx.directory.practitioner(claim.attending);
    let attending_specialty = ctx.directory.record(claim.attending).specialty;
    eob.care_team.push(care_team(
        0,
        attending,
        C4BBClaimCareTeamRole::Attending.to_coding(),
        Some(attending_specialty),
    ));
    if let Some(operating) = claim.operating {
        let reference = ctx.directory.practitioner(operating);
        let specialty = ctx.directory.record(operating).specialty;
        eob.care_team.push(care_team(
            1,
            reference,
            C4BBClaimCareTeamRole::Operating.to_coding(),
            Some(specialty),
        ));
    }
    let type_of_bill = if inpatient {
        ("0111", "Hospital inpatient, admit through discharge claim")
    } else {
        ("0131", "Hospital outpatient, admit through discharge claim")
    };
    let visit = claim.visit;
    let mut info = vec![
        info_date(0, &C4BBSupportingInfoType::Clmrecvddate, dates.received),
        info_code(
            1,
            &C4BBSupportingInfoType::Typeofbill,
            coding_display(NUBC_TYPE_OF_BILL, type_of_bill.0, type_of_bill.1),
        ),
        info_code(
            2,
            &C4BBSupportingInfoType::Pointoforigin,
            coding_display(
                NUBC_POINT_OF_ORIGIN,
                visit.point_of_origin.0,
                visit.point_of_origin.1,
            ),
        ),
        info_code(
            3,
            &C4BBSupportingInfoType::Admtype,
            coding_display(
                NUBC_ADMISSION_TYPE,
                visit.admission_type.0,
                visit.admission_type.1,
            ),
        ),
        info_code(
            4,
            &C4BBSupportingInfoType::DischargeStatus,
            coding_display(
                NUBC_DISCHARGE_STATUS,
                visit.discharge_status.0,
                visit.discharge_status.1,
            ),
        ),
    ];
    info.push(medical_record_number(ctx, 5));
    info.push(patient_account_number(ctx, 6));
    if let Some((drg_code, drg_title)) = drg {
        info.push(info_code(
            7,
            &C4BBSupportingInfoType::Drg,
            coding_display(MS_DRG, drg_code, drg_title),
        ));
    }
    eob.supporting_info = info;
    eob.diagnosis
        .push(diagnosis(0, claim.principal, principal()));
    let mut next = 1;
    if inpatient {
        eob.diagnosis.push(diagnosis(
            next,
            claim.principal,
            coding_display(
                "http://terminology.hl7.org/CodeSystem/ex-diagnosistype",
                "admitting",
                "Admitting Diagnosis",
            ),
        ));
        next += 1;
    } else {
        eob.diagnosis.push(diagnosis(
            next,
            claim.principal,
            C4BBClaimDiagnosisType::Patientreasonforvisit.to_coding(),
        ));
        next += 1;
    }
    for dx in &claim.others {
        eob.diagnosis.push(diagnosis(
            next,
            dx,
            C4BBClaimDiagnosisType::OtherCode.to_coding(),
        ));
        next += 1;
    }
    if let (Some(authorization), Some(insurance)) =
        (&claim.prior_authorization, eob.insurance.first_mut())
    {
        insurance
            .pre_auth_ref
            .push(Primitive::from(authorization.clone()));
    }
    let in_network = ctx.directory.in_network(claim.facility);
    eob.adjudication.push(status(
        &C4BBAdjudicationDiscriminator::Benefitpaymentstatus,
        &network(in_network),
    ));
    eob.adjudication.push(status(
        &C4BBAdjudicationDiscriminator::Billingnetworkstatus,
        &network(in_network),
    ));
    (eob, dates)
}

/// An inpatient procedure: ICD-10-PCS, principal, on its day.
fn procedure(surgery: &Surgery, day: Day) -> ExplanationOfBenefitProcedure {
    let mut out = ExplanationOfBenefitProcedure::default();
    out.sequence = sequence(0);
    out.r#type
        .push(concept(C4BBClaimProcedureType::Principal.to_coding()));
    out.date = primitive(day.to_date_time());
    out.procedure = Some(ExplanationOfBenefitProcedureProcedure::CodeableConcept(
        Box::new(code_display(ICD10_PCS, surgery.pcs, surgery.pcs_title)),
    ));
    out
}
