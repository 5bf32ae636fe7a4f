//! A member's years of care: the events (checkups, sick visits, fills, emergencies, a
//! hospital stay, ...) planned over the period, and what each one produces: clinical
//! records and the claims the payer adjudicated.

mod dental;
mod hospital;
mod office;
mod pharmacy;
mod plan;

use crate::synth::calendar::Day;
use crate::synth::claims::prior_auth::{self, Authorization, SERVICE_TYPE_DME};
use crate::synth::clinical;
use crate::synth::codes::{
    self, AcuteProblem, Diagnosis, Drug, EmergencyProblem, InpatientCase, Vaccine,
};
use crate::synth::context::MemberContext;
use crate::synth::directory::{OrgId, PractitionerId};
use hospital::ImagingStudy;

/// Days between the last service and the end of the period, so that every claim of the
/// period is adjudicated and paid by its end.
const CLAIMS_RUN_OUT_DAYS: i64 = 45;

/// Refills a maintenance prescription allows before it is renewed.
const REFILLS_PER_PRESCRIPTION: i64 = 3;

/// Something that happens to the member on a day.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// Annual preventive visit with vitals and labs.
    Wellness,
    /// A chronic condition follow-up (index into the member's conditions).
    FollowUp(usize),
    /// A short illness.
    SickVisit(&'static AcuteProblem),
    /// An emergency department visit.
    Emergency(&'static EmergencyProblem),
    /// An orthopedic consult that orders an MRI.
    Consult(&'static ImagingStudy),
    /// An MRI that needs prior authorization.
    Imaging(&'static ImagingStudy),
    /// A screening colonoscopy.
    Colonoscopy,
    /// A screening mammogram.
    Mammogram,
    /// A hospital stay.
    Admission(&'static InpatientCase),
    /// A dental exam and cleaning.
    DentalCheckup { radiographs: bool },
    /// A filling, sealant, crown or extraction.
    DentalRestoration,
    /// A fill of a maintenance prescription (index into the prescriptions, fill count).
    Refill(usize, i64),
    /// A seasonal flu shot.
    FluShot,
    /// Another vaccine.
    Vaccine(&'static Vaccine),
    /// A CPAP device request the plan denies.
    DeniedDeviceRequest,
}

/// A maintenance drug the member takes, and its prescription.
#[derive(Debug)]
struct MaintenanceDrug {
    drug: &'static Drug,
    prescriber: PractitionerId,
}

/// What the care of one member needs besides the context.
struct Care {
    /// `Condition` ids of the member's chronic conditions, in order.
    condition_ids: Vec<String>,
    /// Maintenance drugs.
    drugs: Vec<MaintenanceDrug>,
    /// How heavy the member is for their age and sex, in percent of typical.
    build: i64,
    /// The last day a service may happen.
    last_service: Day,
}

/// Writes every clinical record and claim of the member's period into `ctx`.
pub(crate) fn write_member(ctx: &mut MemberContext<'_>) {
    let member = ctx.member;
    let last_service = ctx.end.plus(-CLAIMS_RUN_OUT_DAYS).max(ctx.start);
    let mut condition_ids = Vec::new();
    for condition in &member.conditions {
        condition_ids.push(clinical::problem(
            ctx,
            &condition.condition.diagnosis,
            condition.onset,
        ));
    }
    let recorded = ctx.days_after(ctx.start, 0, 60);
    if member.allergies.is_empty() {
        clinical::allergy(ctx, None, recorded);
    }
    for allergy in &member.allergies {
        clinical::allergy(ctx, Some(allergy), recorded);
    }
    let build = plan::build(ctx);
    let mut care = Care {
        condition_ids,
        drugs: Vec::new(),
        build,
        last_service,
    };
    let mut events = plan::yearly_events(ctx, &care);
    events.extend(plan::one_time_events(ctx, &care));
    events.extend(plan::maintenance_fills(ctx, &mut care));
    events.sort_by_key(|(day, _)| *day);
    for (day, event) in events {
        happen(ctx, &care, day, event);
    }
}

/// Writes what `event` produces.
fn happen(ctx: &mut MemberContext<'_>, care: &Care, day: Day, event: Event) {
    match event {
        Event::Wellness => office::wellness(ctx, care, day),
        Event::FollowUp(condition) => office::follow_up(ctx, care, day, condition),
        Event::SickVisit(problem) => office::sick_visit(ctx, day, problem),
        Event::Emergency(problem) => hospital::emergency(ctx, day, problem),
        Event::Consult(study) => office::specialist_consult(ctx, day, study.reason),
        Event::Imaging(study) => hospital::imaging(ctx, day, study),
        Event::Colonoscopy => hospital::colonoscopy(ctx, day),
        Event::Mammogram => hospital::mammogram(ctx, day),
        Event::Admission(case) => hospital::admission(ctx, care, day, case),
        Event::DentalCheckup { radiographs } => dental::checkup(ctx, day, radiographs),
        Event::DentalRestoration => dental::restoration(ctx, day),
        Event::Refill(slot, fill) => pharmacy::refill(ctx, care, day, slot, fill),
        Event::FluShot => pharmacy::flu_shot(ctx, day),
        Event::Vaccine(vaccine) => {
            let pcp = ctx.member.primary_care;
            let performer = ctx.directory.practitioner(pcp);
            clinical::immunization(ctx, vaccine, day, performer);
        }
        Event::DeniedDeviceRequest => denied_device_request(ctx, day),
    }
}

/// The member's chronic diagnoses active on `day` (at most three).
fn chronic_diagnoses(ctx: &MemberContext<'_>, day: Day) -> Vec<&'static Diagnosis> {
    ctx.member
        .conditions
        .iter()
        .filter(|c| c.onset <= day)
        .map(|c| &c.condition.diagnosis)
        .take(3)
        .collect()
}

/// A prior authorization requested ahead of `day`; returns its number.
fn authorize(
    ctx: &mut MemberContext<'_>,
    day: Day,
    requester: OrgId,
    institutional: bool,
    service_type: (&'static str, &'static str),
    service: &'static codes::BillingCode,
    diagnosis: &'static Diagnosis,
) -> Option<String> {
    if !ctx.prior_authorizations {
        return None;
    }
    let requested = day.plus(-ctx.rng.range(7, 21)).max(ctx.start);
    let window = (requested.plus(1), day.plus(60));
    Some(prior_auth::write(
        ctx,
        Authorization {
            requester,
            institutional,
            service_type,
            service,
            units: 1,
            diagnosis,
            requested,
            window,
            approved: true,
        },
    ))
}

/// A CPAP request for sleep apnea that the plan does not certify.
fn denied_device_request(ctx: &mut MemberContext<'_>, day: Day) {
    let pcp = ctx.member.primary_care;
    let office = ctx.directory.record(pcp).organization;
    prior_auth::write(
        ctx,
        Authorization {
            requester: office,
            institutional: false,
            service_type: SERVICE_TYPE_DME,
            service: &codes::CPAP_DEVICE,
            units: 1,
            diagnosis: &codes::OBSTRUCTIVE_SLEEP_APNEA,
            requested: day,
            window: (day.plus(1), day.plus(90)),
            approved: false,
        },
    );
}
