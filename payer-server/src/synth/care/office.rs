//! Office visits: annual checkups with vitals and labs, chronic-condition follow-ups,
//! sick visits (in person, by video or at a walk-in clinic) and specialist consults.

use super::{Care, chronic_diagnoses};
use crate::synth::LineOfBusiness;
use crate::synth::benefits::Benefit;
use crate::synth::calendar::Day;
use crate::synth::claims::pharmacy::{self, Fill};
use crate::synth::claims::professional::{self, ProfessionalClaim};
use crate::synth::claims::{Line, maybe_deny_a_line};
use crate::synth::clinical::{self, EncounterClass, EncounterSpec, Prescription};
use crate::synth::codes::{self, AcuteProblem, Diagnosis, LabPanel};
use crate::synth::context::MemberContext;
use crate::synth::directory::{OrgKind, Specialty};

/// The lab panels drawn at a checkup: for adults, every year when a condition is
/// followed by a lab test, else every other year or so.
fn checkup_panels(ctx: &mut MemberContext<'_>, day: Day) -> Vec<&'static LabPanel> {
    let member = ctx.member;
    let age = member.age_on(day);
    let followed = member.conditions.iter().any(|c| c.condition.lab.is_some());
    if age < 18 || (!followed && ctx.rng.chance(50)) {
        return Vec::new();
    }
    let mut panels = vec![&codes::METABOLIC];
    if member.has(&codes::HYPERLIPIDEMIA) || (age >= 40 && ctx.rng.chance(50)) {
        panels.push(&codes::LIPIDS);
    }
    if member.has(&codes::TYPE_2_DIABETES) {
        panels.push(&codes::A1C);
    }
    if member.has(&codes::HYPOTHYROIDISM) {
        panels.push(&codes::THYROID);
    }
    panels
}

/// A lab value: abnormal when the member has the condition the panel follows.
fn lab_value(ctx: &mut MemberContext<'_>, panel: &LabPanel, test: &codes::LabTest) -> i64 {
    let abnormal = ctx
        .member
        .conditions
        .iter()
        .any(|c| c.condition.lab == Some(panel))
        && ctx.rng.chance(60);
    let (low, high) = if abnormal { test.abnormal } else { test.normal };
    ctx.rng.range(low, high)
}

/// Blood pressure: higher with hypertension.
fn blood_pressure(ctx: &mut MemberContext<'_>) -> (i64, i64) {
    if ctx.member.has(&codes::HYPERTENSION) {
        (ctx.rng.range(126, 152), ctx.rng.range(78, 96))
    } else {
        (ctx.rng.range(102, 128), ctx.rng.range(62, 82))
    }
}

/// The annual preventive visit: encounter, vitals, labs; the office's claim and the
/// lab's claim.
pub(super) fn wellness(ctx: &mut MemberContext<'_>, care: &Care, day: Day) {
    let member = ctx.member;
    let age = member.age_on(day);
    let pcp = member.primary_care;
    let office = ctx.directory.record(pcp).organization;
    let visit = if member.plan.line_of_business == LineOfBusiness::MedicareAdvantage {
        &codes::ANNUAL_WELLNESS_VISIT
    } else {
        codes::PREVENTIVE_VISITS
            .iter()
            .rev()
            .find(|(min_age, _)| age >= *min_age)
            .map_or(&codes::PREVENTIVE_VISITS[0].1, |(_, code)| code)
    };
    let exam = if age < 18 {
        &codes::CHILD_EXAM
    } else {
        &codes::ADULT_EXAM
    };
    let practitioner = ctx.directory.practitioner(pcp);
    let organization = ctx.directory.organization(office);
    let encounter = clinical::encounter(
        ctx,
        EncounterSpec {
            class: EncounterClass::Ambulatory,
            visit,
            days: (day, day),
            practitioner,
            organization,
            reason: exam,
            reason_condition: None,
            discharge: None,
        },
    );
    let pressure = blood_pressure(ctx);
    clinical::blood_pressure(ctx, day, &encounter, pressure);
    let typical = super::plan::typical_weight(age, member.gender == "female");
    let weight = ctx.rng.vary(typical * care.build / 100, 2);
    clinical::body_weight(ctx, day, &encounter, weight);

    let panels = checkup_panels(ctx, day);
    let mut diagnoses = vec![exam];
    diagnoses.extend(chronic_diagnoses(ctx, day));
    let mut lines = vec![Line::new(ctx, visit, Benefit::Preventive, day)];
    if !panels.is_empty() {
        lines.push(Line::new(
            ctx,
            &codes::VENIPUNCTURE,
            Benefit::Diagnostic,
            day,
        ));
        lab_work(ctx, &panels, day, &encounter, &diagnoses);
    }
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: office,
            rendering: Some(pcp),
            facility: office,
            place: codes::POS_OFFICE,
            diagnoses,
            lines,
        },
    );
}

/// Lab results from the reference lab and the lab's claim.
fn lab_work(
    ctx: &mut MemberContext<'_>,
    panels: &[&'static LabPanel],
    day: Day,
    encounter: &str,
    diagnoses: &[&'static Diagnosis],
) {
    let lab = ctx
        .directory
        .pick_organization(&mut ctx.rng, OrgKind::Laboratory);
    for panel in panels {
        for test in panel.tests {
            let value = lab_value(ctx, panel, test);
            let performer = ctx.directory.organization(lab);
            clinical::lab_result(ctx, test, value, day, Some(encounter), performer);
        }
    }
    let mut lines = Vec::new();
    for panel in panels {
        lines.push(Line::new(ctx, panel.billing, Benefit::Diagnostic, day));
    }
    maybe_deny_a_line(ctx, &mut lines, 4);
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: lab,
            rendering: None,
            facility: lab,
            place: codes::POS_LAB,
            diagnoses: diagnoses.to_vec(),
            lines,
        },
    );
}

/// A chronic condition follow-up at the primary care office.
pub(super) fn follow_up(ctx: &mut MemberContext<'_>, care: &Care, day: Day, condition: usize) {
    let member = ctx.member;
    let Some(treated) = member.conditions.get(condition) else {
        return;
    };
    let pcp = member.primary_care;
    let office = ctx.directory.record(pcp).organization;
    let visit = if ctx.rng.chance(70) {
        &codes::OFFICE_VISIT_MODERATE
    } else {
        &codes::OFFICE_VISIT_COMPLEX
    };
    let practitioner = ctx.directory.practitioner(pcp);
    let organization = ctx.directory.organization(office);
    let encounter = clinical::encounter(
        ctx,
        EncounterSpec {
            class: EncounterClass::Ambulatory,
            visit,
            days: (day, day),
            practitioner,
            organization: organization.clone(),
            reason: &treated.condition.diagnosis,
            reason_condition: care.condition_ids.get(condition).map(String::as_str),
            discharge: None,
        },
    );
    if member.has(&codes::HYPERTENSION) {
        let pressure = blood_pressure(ctx);
        clinical::blood_pressure(ctx, day, &encounter, pressure);
    }
    let mut lines = vec![Line::new(ctx, visit, Benefit::PrimaryCare, day)];
    let cardiac = *treated.condition == codes::HYPERTENSION
        || *treated.condition == codes::ATRIAL_FIBRILLATION;
    if cardiac && ctx.rng.chance(30) {
        lines.push(Line::new(ctx, &codes::ECG, Benefit::Diagnostic, day));
    }
    if *treated.condition == codes::TYPE_2_DIABETES {
        lines.push(Line::new(
            ctx,
            &codes::HEMOGLOBIN_A1C,
            Benefit::Diagnostic,
            day,
        ));
        let test = &codes::A1C.tests[0];
        let value = lab_value(ctx, &codes::A1C, test);
        clinical::lab_result(ctx, test, value, day, Some(&encounter), organization);
    }
    let mut diagnoses = vec![&treated.condition.diagnosis];
    diagnoses.extend(
        chronic_diagnoses(ctx, day)
            .into_iter()
            .filter(|dx| **dx != treated.condition.diagnosis)
            .take(2),
    );
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: office,
            rendering: Some(pcp),
            facility: office,
            place: codes::POS_OFFICE,
            diagnoses,
            lines,
        },
    );
}

/// Where a sick visit happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Setting {
    /// At the primary care office.
    Office,
    /// By video with the primary care practitioner.
    Telehealth,
    /// At the out-of-network walk-in clinic.
    WalkIn,
}

/// A sick visit, with a prescription and its fill when the problem needs a drug.
pub(super) fn sick_visit(ctx: &mut MemberContext<'_>, day: Day, problem: &'static AcuteProblem) {
    let member = ctx.member;
    // Medicaid and CHIP members stay in network.
    let walk_in_weight = match member.plan.line_of_business {
        LineOfBusiness::Medicaid | LineOfBusiness::Chip => 0,
        _ => 15,
    };
    let setting = *ctx.rng.weighted(&[
        (Setting::Office, 70),
        (Setting::Telehealth, 15),
        (Setting::WalkIn, walk_in_weight),
    ]);
    let walk_in = ctx.directory.out_of_network_clinic();
    let (practitioner_id, office) = match (setting, walk_in) {
        (Setting::WalkIn, Some(clinic)) => (ctx.directory.practitioner_at(clinic), clinic),
        _ => {
            let pcp = member.primary_care;
            (pcp, ctx.directory.record(pcp).organization)
        }
    };
    let visit = if ctx.rng.chance(60) {
        &codes::OFFICE_VISIT_LOW
    } else {
        &codes::OFFICE_VISIT_MODERATE
    };
    let practitioner = ctx.directory.practitioner(practitioner_id);
    let organization = ctx.directory.organization(office);
    clinical::encounter(
        ctx,
        EncounterSpec {
            class: if setting == Setting::Telehealth {
                EncounterClass::Virtual
            } else {
                EncounterClass::Ambulatory
            },
            visit,
            days: (day, day),
            practitioner: practitioner.clone(),
            organization,
            reason: &problem.diagnosis,
            reason_condition: None,
            discharge: None,
        },
    );
    let (benefit, place) = match setting {
        Setting::Office => (Benefit::PrimaryCare, codes::POS_OFFICE),
        Setting::Telehealth => (Benefit::UrgentCare, codes::POS_TELEHEALTH_HOME),
        Setting::WalkIn => (Benefit::UrgentCare, codes::POS_URGENT_CARE),
    };
    let mut first = Line::new(ctx, visit, benefit, day);
    if setting == Setting::Telehealth {
        first = first.with_modifier("95");
    }
    let mut lines = vec![first];
    if let (Some(test), false) = (problem.test, setting == Setting::Telehealth) {
        lines.push(Line::new(ctx, test, Benefit::Diagnostic, day));
    }
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: office,
            rendering: Some(practitioner_id),
            facility: office,
            place,
            diagnoses: vec![&problem.diagnosis],
            lines,
        },
    );
    if let Some(drug) = problem.drug {
        clinical::medication_request(
            ctx,
            Prescription {
                drug,
                authored: day,
                requester: practitioner,
                reason_condition: None,
                reason: &problem.diagnosis,
                refills: 0,
                active: false,
            },
        );
        let fill_day = ctx.days_after(day, 0, 1);
        let pharmacy = member.pharmacy;
        pharmacy::write(
            ctx,
            Fill {
                pharmacy,
                prescriber: practitioner_id,
                drug,
                day: fill_day,
                refill_number: 0,
                refills_authorized: 0,
            },
        );
    }
}

/// A new-patient visit with an orthopedist, who orders the MRI.
pub(super) fn specialist_consult(
    ctx: &mut MemberContext<'_>,
    day: Day,
    reason: &'static Diagnosis,
) {
    let surgeon = ctx
        .directory
        .pick_practitioner(&mut ctx.rng, Specialty::OrthopedicSurgery);
    let group = ctx.directory.record(surgeon).organization;
    let practitioner = ctx.directory.practitioner(surgeon);
    let organization = ctx.directory.organization(group);
    let visit = &codes::NEW_PATIENT_VISIT;
    clinical::encounter(
        ctx,
        EncounterSpec {
            class: EncounterClass::Ambulatory,
            visit,
            days: (day, day),
            practitioner,
            organization,
            reason,
            reason_condition: None,
            discharge: None,
        },
    );
    let lines = vec![Line::new(ctx, visit, Benefit::Specialist, day)];
    professional::write(
        ctx,
        ProfessionalClaim {
            billing: group,
            rendering: Some(surgeon),
            facility: group,
            place: codes::POS_OFFICE,
            diagnoses: vec![reason],
            lines,
        },
    );
}
