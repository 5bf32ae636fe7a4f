//! Hospital care: emergency visits, MRIs, screenings and stays, each with the
//! hospital's claim, the physicians' claims and the clinical records.

use super::{CLAIMS_RUN_OUT_DAYS, Care, authorize, chronic_diagnoses};
use crate::synth::LineOfBusiness;
use crate::synth::benefits::Benefit;
use crate::synth::calendar::Day;
use crate::synth::claims::institutional::{
    self, ELECTIVE_VISIT, EMERGENCY_VISIT, FacilityClaim, Stay, Visit,
};
use crate::synth::claims::prior_auth::{SERVICE_TYPE_IMAGING, SERVICE_TYPE_INPATIENT};
use crate::synth::claims::professional::{self, ProfessionalClaim};
use crate::synth::claims::{Line, maybe_deny_a_line};
use crate::synth::clinical::{self, EncounterClass, EncounterSpec, ProcedureSpec};
use crate::synth::codes::{
    self, BillingCode, Diagnosis, EmergencyProblem, InpatientCase, RevenueCode,
};
use crate::synth::context::MemberContext;
use crate::synth::directory::{OrgId, PractitionerId, Specialty};

/// An emergency department visit: the hospital's claim and the physician's.
pub(super) fn emergency(ctx: &mut MemberContext<'_>, day: Day, problem: &'static EmergencyProblem) {
    let member = ctx.member;
    let hospital = member.hospital;
    let doctor = ctx
        .directory
        .pick_practitioner(&mut ctx.rng, Specialty::EmergencyMedicine);
    let practitioner = ctx.directory.practitioner(doctor);
    let organization = ctx.directory.organization(hospital);
    let encounter = clinical::encounter(
        ctx,
        EncounterSpec {
            class: EncounterClass::Emergency,
            visit: problem.visit,
            days: (day, day),
            practitioner,
            organization,
            reason: &problem.diagnosis,
            reason_condition: None,
            discharge: None,
        },
    );
    clinical::encounter_diagnosis(ctx, &problem.diagnosis, &encounter, day, 21);
    let mut lines = vec![
        Line::revenue(
            ctx,
            &codes::REV_EMERGENCY,
            Some(problem.visit),
            problem.visit.charge * 4,
            day,
        )
        .with_benefit(Benefit::Emergency),
    ];
    for (revenue, service) in problem.services {
        lines.push(Line::revenue(
            ctx,
            revenue,
            Some(service),
            service.charge * 2,
            day,
        ));
    }
    lines.push(Line::revenue(ctx, &codes::REV_PHARMACY, None, 18_000, day));
    maybe_deny_a_line(ctx, &mut lines, 3);
    institutional::write_outpatient(
        ctx,
        FacilityClaim {
            facility: hospital,
            attending: doctor,
            operating: None,
            visit: EMERGENCY_VISIT,
            principal: &problem.diagnosis,
            others: chronic_diagnoses(ctx, day),
            lines,
            prior_authorization: None,
        },
    );
    let group = ctx.directory.record(doctor).organization;
    let lines = vec![Line::new(ctx, problem.visit, Benefit::Diagnostic, day)];
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: group,
            rendering: Some(doctor),
            facility: hospital,
            place: codes::POS_EMERGENCY,
            diagnoses: vec![&problem.diagnosis],
            lines,
        },
    );
}

/// An MRI and why it is done.
#[derive(Debug)]
pub(super) struct ImagingStudy {
    /// The MRI.
    pub(super) study: &'static BillingCode,
    /// Why it is ordered.
    pub(super) reason: &'static Diagnosis,
}

pub(super) const LUMBAR_MRI: ImagingStudy = ImagingStudy {
    study: &codes::MRI_LUMBAR,
    reason: &codes::LUMBAR_RADICULOPATHY,
};

pub(super) const KNEE_MRI: ImagingStudy = ImagingStudy {
    study: &codes::MRI_KNEE,
    reason: &codes::KNEE_PAIN,
};

/// An MRI at the hospital, authorized ahead: facility and radiologist claims, and the
/// procedure.
pub(super) fn imaging(ctx: &mut MemberContext<'_>, day: Day, imaging: &'static ImagingStudy) {
    let hospital = ctx.member.hospital;
    let ImagingStudy { study, reason } = *imaging;
    let authorization = authorize(
        ctx,
        day,
        hospital,
        true,
        SERVICE_TYPE_IMAGING,
        study,
        reason,
    );
    let radiologist = ctx
        .directory
        .pick_practitioner(&mut ctx.rng, Specialty::Radiology);
    let lines = vec![Line::revenue(
        ctx,
        &codes::REV_MRI,
        Some(study),
        study.charge,
        day,
    )];
    institutional::write_outpatient(
        ctx,
        FacilityClaim {
            facility: hospital,
            attending: radiologist,
            operating: None,
            visit: ELECTIVE_VISIT,
            principal: reason,
            others: Vec::new(),
            lines,
            prior_authorization: authorization,
        },
    );
    radiologist_claim(
        ctx,
        radiologist,
        hospital,
        study,
        reason,
        day,
        Benefit::Diagnostic,
    );
    let performer = ctx.directory.practitioner(radiologist);
    let organization = ctx.directory.organization(hospital);
    clinical::procedure(
        ctx,
        ProcedureSpec {
            billing: study,
            snomed: None,
            day,
            performer,
            organization,
            reason,
            encounter_id: None,
        },
    );
}

/// The radiologist's reading (modifier 26) of a study done at the hospital.
fn radiologist_claim(
    ctx: &mut MemberContext<'_>,
    radiologist: PractitionerId,
    hospital: OrgId,
    study: &'static codes::BillingCode,
    reason: &'static Diagnosis,
    day: Day,
    benefit: Benefit,
) {
    let group = ctx.directory.record(radiologist).organization;
    let mut line = Line::new(ctx, study, benefit, day).with_modifier("26");
    line.charge = ctx.rng.vary(study.charge / 6, 10);
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: group,
            rendering: Some(radiologist),
            facility: hospital,
            place: codes::POS_OUTPATIENT,
            diagnoses: vec![reason],
            lines: vec![line],
        },
    );
}

/// A screening colonoscopy: facility and gastroenterologist claims, and the procedure.
pub(super) fn colonoscopy(ctx: &mut MemberContext<'_>, day: Day) {
    let member = ctx.member;
    let hospital = member.hospital;
    let code = if member.plan.line_of_business == LineOfBusiness::MedicareAdvantage {
        &codes::SCREENING_COLONOSCOPY
    } else {
        &codes::DIAGNOSTIC_COLONOSCOPY
    };
    let doctor = ctx
        .directory
        .pick_practitioner(&mut ctx.rng, Specialty::Gastroenterology);
    let lines = vec![
        Line::revenue(ctx, &codes::REV_GASTRO, Some(code), code.charge, day)
            .with_benefit(Benefit::Preventive),
        Line::revenue(
            ctx,
            &codes::REV_ANESTHESIA,
            Some(&codes::COLONOSCOPY_ANESTHESIA),
            codes::COLONOSCOPY_ANESTHESIA.charge,
            day,
        )
        .with_benefit(Benefit::Preventive),
        Line::revenue(ctx, &codes::REV_RECOVERY, None, 45_000, day)
            .with_benefit(Benefit::Preventive),
    ];
    institutional::write_outpatient(
        ctx,
        FacilityClaim {
            facility: hospital,
            attending: doctor,
            operating: None,
            visit: ELECTIVE_VISIT,
            principal: &codes::COLON_SCREENING,
            others: Vec::new(),
            lines,
            prior_authorization: None,
        },
    );
    let group = ctx.directory.record(doctor).organization;
    let mut line = Line::new(ctx, code, Benefit::Preventive, day);
    line.charge = ctx.rng.vary(code.charge / 3, 10);
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: group,
            rendering: Some(doctor),
            facility: hospital,
            place: codes::POS_OUTPATIENT,
            diagnoses: vec![&codes::COLON_SCREENING],
            lines: vec![line],
        },
    );
    let performer = ctx.directory.practitioner(doctor);
    let organization = ctx.directory.organization(hospital);
    clinical::procedure(
        ctx,
        ProcedureSpec {
            billing: code,
            snomed: Some("73761001"),
            day,
            performer,
            organization,
            reason: &codes::COLON_SCREENING,
            encounter_id: None,
        },
    );
}

/// A screening mammogram: facility and radiologist claims, and the procedure.
pub(super) fn mammogram(ctx: &mut MemberContext<'_>, day: Day) {
    let hospital = ctx.member.hospital;
    let study = &codes::SCREENING_MAMMOGRAM;
    let radiologist = ctx
        .directory
        .pick_practitioner(&mut ctx.rng, Specialty::Radiology);
    let lines = vec![
        Line::revenue(ctx, &codes::REV_MAMMOGRAPHY, Some(study), study.charge, day)
            .with_benefit(Benefit::Preventive),
    ];
    institutional::write_outpatient(
        ctx,
        FacilityClaim {
            facility: hospital,
            attending: radiologist,
            operating: None,
            visit: ELECTIVE_VISIT,
            principal: &codes::BREAST_SCREENING,
            others: Vec::new(),
            lines,
            prior_authorization: None,
        },
    );
    radiologist_claim(
        ctx,
        radiologist,
        hospital,
        study,
        &codes::BREAST_SCREENING,
        day,
        Benefit::Preventive,
    );
    let performer = ctx.directory.practitioner(radiologist);
    let organization = ctx.directory.organization(hospital);
    clinical::procedure(
        ctx,
        ProcedureSpec {
            billing: study,
            snomed: Some("24623002"),
            day,
            performer,
            organization,
            reason: &codes::BREAST_SCREENING,
            encounter_id: None,
        },
    );
}

/// The hospital stay: (for planned surgery) the prior authorization, the encounter,
/// diagnosis and procedure, the hospital's DRG claim, the hospitalist's and the
/// surgeon's claims.
pub(super) fn admission(
    ctx: &mut MemberContext<'_>,
    care: &Care,
    day: Day,
    case: &'static InpatientCase,
) {
    let member = ctx.member;
    let hospital = member.hospital;
    let nights = ctx.rng.range(case.nights.0, case.nights.1);
    let discharge = day
        .plus(nights)
        .min(care.last_service.plus(CLAIMS_RUN_OUT_DAYS / 3));
    let nights = discharge.days_since(day).max(1);
    let hospitalist = ctx
        .directory
        .pick_practitioner(&mut ctx.rng, Specialty::Hospitalist);
    let surgeon = case.surgery.as_ref().map(|_| {
        let specialty = if *case == codes::KNEE_REPLACEMENT_STAY {
            Specialty::OrthopedicSurgery
        } else {
            Specialty::GeneralSurgery
        };
        ctx.directory.pick_practitioner(&mut ctx.rng, specialty)
    });
    let authorization = match &case.surgery {
        Some(surgery) if case.elective => authorize(
            ctx,
            day,
            hospital,
            true,
            SERVICE_TYPE_INPATIENT,
            surgery.cpt,
            &case.diagnosis,
        ),
        _ => None,
    };
    let discharge_status = *ctx.rng.weighted(codes::DISCHARGE_STATUSES);
    let practitioner = ctx.directory.practitioner(hospitalist);
    let organization = ctx.directory.organization(hospital);
    let encounter = clinical::encounter(
        ctx,
        EncounterSpec {
            class: EncounterClass::Inpatient,
            visit: &codes::HOSPITAL_ADMIT_VISIT,
            days: (day, discharge),
            practitioner,
            organization: organization.clone(),
            reason: &case.diagnosis,
            reason_condition: None,
            discharge: Some(discharge_status),
        },
    );
    clinical::encounter_diagnosis(ctx, &case.diagnosis, &encounter, day, 30);
    let surgery_day = if case.elective {
        day
    } else {
        day.plus(1).min(discharge)
    };
    if let (Some(surgery), Some(surgeon)) = (&case.surgery, surgeon) {
        let performer = ctx.directory.practitioner(surgeon);
        clinical::procedure(
            ctx,
            ProcedureSpec {
                billing: surgery.cpt,
                snomed: Some(surgery.snomed),
                day: surgery_day,
                performer,
                organization: organization.clone(),
                reason: &case.diagnosis,
                encounter_id: Some(&encounter),
            },
        );
    }
    let lines = stay_lines(ctx, case, day, nights, surgery_day);
    let visit = Visit {
        discharge_status,
        ..if case.elective {
            ELECTIVE_VISIT
        } else {
            EMERGENCY_VISIT
        }
    };
    institutional::write_inpatient(
        ctx,
        Stay {
            claim: FacilityClaim {
                facility: hospital,
                attending: hospitalist,
                operating: surgeon,
                visit,
                principal: &case.diagnosis,
                others: chronic_diagnoses(ctx, day),
                lines,
                prior_authorization: authorization,
            },
            admitted: (day, discharge),
            drg: (case.drg, case.drg_title),
            surgery: case.surgery.as_ref().map(|surgery| (surgery, surgery_day)),
        },
    );
    hospitalist_claim(ctx, hospitalist, hospital, case, day, nights);
    if let (Some(surgery), Some(surgeon)) = (&case.surgery, surgeon) {
        let group = ctx.directory.record(surgeon).organization;
        let lines = vec![Line::new(
            ctx,
            surgery.cpt,
            Benefit::Diagnostic,
            surgery_day,
        )];
        professional::write(
            ctx,
            ProfessionalClaim {
                billing: group,
                rendering: Some(surgeon),
                facility: hospital,
                place: codes::POS_INPATIENT,
                diagnoses: vec![&case.diagnosis],
                lines,
            },
        );
    }
}

/// The revenue lines of a stay: the emergency room for unplanned stays, room and board
/// per night, and each department's share of the stay's charges.
fn stay_lines(
    ctx: &mut MemberContext<'_>,
    case: &'static InpatientCase,
    day: Day,
    nights: i64,
    surgery_day: Day,
) -> Vec<Line> {
    let total = case.charge_per_night * nights;
    let mut lines = Vec::new();
    if !case.elective {
        let visit = &codes::ED_VISIT_HIGH;
        lines.push(Line::revenue(
            ctx,
            &codes::REV_EMERGENCY,
            Some(visit),
            280_000,
            day,
        ));
    }
    let per_night = total * 28 / 100 / nights;
    lines.push(Line::revenue(ctx, &codes::REV_ROOM_BOARD, None, per_night, day).with_units(nights));
    // (department, procedure, percent of the charges, day)
    let mut departments: Vec<(&'static RevenueCode, Option<&'static BillingCode>, i64, Day)> = vec![
        (&codes::REV_PHARMACY, None, 14, day),
        (&codes::REV_LAB, Some(&codes::METABOLIC_PANEL), 6, day),
        (&codes::REV_LAB, Some(&codes::BLOOD_COUNT), 4, day),
    ];
    if case.surgery.is_some() {
        departments.extend([
            (&codes::REV_OPERATING_ROOM, None, 26, surgery_day),
            (&codes::REV_ANESTHESIA, None, 8, surgery_day),
            (&codes::REV_RECOVERY, None, 5, surgery_day),
        ]);
    } else {
        departments.extend([
            (&codes::REV_CHEST_XRAY, Some(&codes::CHEST_XRAY), 5, day),
            (&codes::REV_SUPPLIES, None, 8, day),
        ]);
    }
    if *case == codes::KNEE_REPLACEMENT_STAY {
        departments.extend([
            (&codes::REV_IMPLANTS, None, 15, surgery_day),
            (
                &codes::REV_PHYSICAL_THERAPY,
                Some(&codes::PT_EVALUATION),
                3,
                surgery_day.plus(1),
            ),
        ]);
    }
    for (revenue, procedure, percent, on) in departments {
        lines.push(Line::revenue(
            ctx,
            revenue,
            procedure,
            total * percent / 100,
            on,
        ));
    }
    lines
}

/// The hospitalist's claim: admission, daily visits and discharge.
fn hospitalist_claim(
    ctx: &mut MemberContext<'_>,
    hospitalist: PractitionerId,
    hospital: OrgId,
    case: &'static InpatientCase,
    day: Day,
    nights: i64,
) {
    let group = ctx.directory.record(hospitalist).organization;
    let mut lines = vec![Line::new(
        ctx,
        &codes::HOSPITAL_ADMIT_VISIT,
        Benefit::Diagnostic,
        day,
    )];
    for night in 1..nights {
        lines.push(Line::new(
            ctx,
            &codes::HOSPITAL_DAILY_VISIT,
            Benefit::Diagnostic,
            day.plus(night),
        ));
    }
    lines.push(Line::new(
        ctx,
        &codes::HOSPITAL_DISCHARGE,
        Benefit::Diagnostic,
        day.plus(nights),
    ));
    let mut diagnoses = vec![&case.diagnosis];
    diagnoses.extend(chronic_diagnoses(ctx, day).into_iter().take(2));
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: group,
            rendering: Some(hospitalist),
            facility: hospital,
            place: codes::POS_INPATIENT,
            diagnoses,
            lines,
        },
    );
}
