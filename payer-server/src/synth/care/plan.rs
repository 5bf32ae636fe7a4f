//! Planning a member's period: what happens on which day.

use super::hospital::{KNEE_MRI, LUMBAR_MRI};
use super::{Care, Event, MaintenanceDrug, REFILLS_PER_PRESCRIPTION};
use crate::synth::LineOfBusiness;
use crate::synth::calendar::Day;
use crate::synth::clinical::{self, Prescription};
use crate::synth::codes::{self, AcuteProblem, InpatientCase};
use crate::synth::context::MemberContext;

/// The events that recur each year: checkups, follow-ups, sick and dental visits, flu
/// shots, emergencies.
pub(super) fn yearly_events(ctx: &mut MemberContext<'_>, care: &Care) -> Vec<(Day, Event)> {
    let member = ctx.member;
    let mut events = Vec::new();
    let mut window_start = ctx.start;
    while window_start <= care.last_service {
        let window_end = window_start
            .years_before(-1)
            .plus(-1)
            .min(care.last_service);
        let span = window_end.days_since(window_start);
        let day_in_window = |ctx: &mut MemberContext<'_>| window_start.plus(ctx.rng.range(0, span));
        events.push((day_in_window(ctx), Event::Wellness));
        if !member.conditions.is_empty() {
            let visits = if member.conditions.len() >= 2 && ctx.rng.chance(50) {
                2
            } else {
                1
            };
            for _ in 0..visits {
                let day = day_in_window(ctx);
                let active: Vec<usize> = (0..member.conditions.len())
                    .filter(|&i| member.conditions[i].onset <= day)
                    .collect();
                if !active.is_empty() {
                    let which = active[ctx.rng.index(active.len())];
                    events.push((day, Event::FollowUp(which)));
                }
            }
        }
        let child = member.age_on(window_start) < 18;
        let sick_visits = if child {
            *ctx.rng.weighted(&[(1, 50), (2, 35), (3, 15)])
        } else {
            *ctx.rng.weighted(&[(0, 35), (1, 45), (2, 20)])
        };
        for _ in 0..sick_visits {
            let problem = acute_problem(ctx, child);
            events.push((day_in_window(ctx), Event::SickVisit(problem)));
        }
        let checkup = window_start.plus(ctx.rng.range(0, 150.min(span)));
        events.push((checkup, Event::DentalCheckup { radiographs: true }));
        let second = checkup.plus(ctx.rng.range(175, 200));
        if second <= window_end {
            events.push((second, Event::DentalCheckup { radiographs: false }));
        }
        if ctx.rng.chance(30) {
            events.push((day_in_window(ctx), Event::DentalRestoration));
        }
        if let Some(day) = flu_season_day(ctx, window_start, window_end) {
            let uptake = if member.plan.line_of_business == LineOfBusiness::MedicareAdvantage {
                90
            } else {
                70
            };
            if ctx.rng.chance(uptake) {
                events.push((day, Event::FluShot));
            }
        }
        if ctx.rng.chance(30) {
            let problem = ctx.rng.pick(codes::EMERGENCY_PROBLEMS);
            events.push((day_in_window(ctx), Event::Emergency(problem)));
        }
        window_start = window_end.plus(1);
    }
    events
}

/// A day in September or October, when flu shots are given, within the window (the
/// first such season starting in it), if it fits.
fn flu_season_day(ctx: &mut MemberContext<'_>, start: Day, end: Day) -> Option<Day> {
    let mut season = Day::first_of_month(start.year(), 9);
    if season < start {
        season = Day::first_of_month(start.year() + 1, 9);
    }
    let day = season.plus(ctx.rng.range(0, 59));
    (day <= end).then_some(day)
}

/// An acute problem; children get the pediatric ones more often.
fn acute_problem(ctx: &mut MemberContext<'_>, child: bool) -> &'static AcuteProblem {
    loop {
        let problem = ctx.rng.pick(codes::ACUTE_PROBLEMS);
        if problem.pediatric == child || ctx.rng.chance(25) {
            return problem;
        }
    }
}

/// The events that happen once or a few times in the period: the hospital stay, the
/// MRI, screenings, one-time vaccines, a denied device request.
pub(super) fn one_time_events(ctx: &mut MemberContext<'_>, care: &Care) -> Vec<(Day, Event)> {
    let member = ctx.member;
    let span = care.last_service.days_since(ctx.start);
    let mut events = Vec::new();
    let admission_day = ctx.start.plus(ctx.rng.range(span / 10, span - 1));
    events.push((
        admission_day,
        Event::Admission(inpatient_case(ctx, admission_day)),
    ));
    let study = if member.age_on(ctx.end) >= 18 && ctx.rng.chance(60) {
        &LUMBAR_MRI
    } else {
        &KNEE_MRI
    };
    let imaging_day = ctx.start.plus(ctx.rng.range(45, span));
    let consult_day = imaging_day.plus(-ctx.rng.range(10, 30));
    events.push((consult_day, Event::Consult(study)));
    events.push((imaging_day, Event::Imaging(study)));
    let age_at_end = member.age_on(ctx.end);
    if age_at_end >= 50 && ctx.rng.chance(60) {
        events.push((ctx.start.plus(ctx.rng.range(0, span)), Event::Colonoscopy));
    }
    if member.gender == "female" && age_at_end >= 42 {
        let mut day = ctx.start.plus(ctx.rng.range(0, 300));
        while day <= care.last_service {
            events.push((day, Event::Mammogram));
            day = day.plus(ctx.rng.range(700, 760));
        }
    }
    for vaccine in codes::ONE_TIME_VACCINES {
        let day = ctx.start.plus(ctx.rng.range(0, span));
        let age = member.age_on(day);
        if (vaccine.ages.0..=vaccine.ages.1).contains(&age) && ctx.rng.chance(60) {
            events.push((day, Event::Vaccine(vaccine)));
        }
    }
    if ctx.prior_authorizations && age_at_end >= 30 && ctx.rng.chance(30) {
        events.push((
            ctx.start.plus(ctx.rng.range(0, span)),
            Event::DeniedDeviceRequest,
        ));
    }
    events
}

/// The stay: a knee replacement for members with knee osteoarthritis, sometimes a
/// planned gallbladder surgery, else an unplanned stay fitting the member's age.
fn inpatient_case(ctx: &mut MemberContext<'_>, day: Day) -> &'static InpatientCase {
    let member = ctx.member;
    let age = member.age_on(day);
    if member.has(&codes::KNEE_OSTEOARTHRITIS) && age >= codes::KNEE_REPLACEMENT_STAY.min_age {
        return &codes::KNEE_REPLACEMENT_STAY;
    }
    if age >= codes::CHOLECYSTECTOMY_STAY.min_age && ctx.rng.chance(20) {
        return &codes::CHOLECYSTECTOMY_STAY;
    }
    let fitting: Vec<&'static InpatientCase> = codes::UNPLANNED_STAYS
        .iter()
        .copied()
        .filter(|case| age >= case.min_age)
        .filter(|case| **case != codes::ASTHMA_STAY || member.has(&codes::ASTHMA))
        .collect();
    fitting
        .get(ctx.rng.index(fitting.len()))
        .copied()
        .unwrap_or(&codes::PNEUMONIA_STAY)
}

/// Maintenance prescriptions (at most two drugs) and their fills, about every days'
/// supply from the condition's onset or the start of the period.
pub(super) fn maintenance_fills(ctx: &mut MemberContext<'_>, care: &mut Care) -> Vec<(Day, Event)> {
    let member = ctx.member;
    let mut events = Vec::new();
    for (index, condition) in member.conditions.iter().enumerate() {
        let Some(drug) = condition.condition.drug else {
            continue;
        };
        if care.drugs.len() >= 2 {
            break;
        }
        let first_fill = ctx
            .start
            .plus(ctx.rng.range(0, 30))
            .max(condition.onset.plus(3));
        if first_fill > care.last_service {
            continue;
        }
        let prescriber = member.primary_care;
        let requester = ctx.directory.practitioner(prescriber);
        clinical::medication_request(
            ctx,
            Prescription {
                drug,
                authored: first_fill,
                requester,
                reason_condition: care.condition_ids.get(index).map(String::as_str),
                reason: &condition.condition.diagnosis,
                refills: REFILLS_PER_PRESCRIPTION as u32,
                active: true,
            },
        );
        let slot = care.drugs.len();
        care.drugs.push(MaintenanceDrug { drug, prescriber });
        let mut day = first_fill;
        let mut fill = 0;
        while day <= care.last_service {
            events.push((day, Event::Refill(slot, fill)));
            fill += 1;
            day = day.plus(drug.days_supply + ctx.rng.range(-4, 6));
        }
    }
    events
}

/// How heavy the member is for their age and sex, in percent of typical.
pub(super) fn build(ctx: &mut MemberContext<'_>) -> i64 {
    let obesity = if ctx.member.has(&codes::OBESITY) {
        35
    } else {
        0
    };
    ctx.rng.range(88, 112) + obesity
}

/// A typical weight for an age and sex, in tenths of a kilogram.
pub(super) fn typical_weight(age: i64, female: bool) -> i64 {
    match age {
        ..=1 => 100,
        2..=12 => 80 + age * 30,
        13..=17 => 450 + (age - 13) * 40,
        _ if female => 680,
        _ => 840,
    }
}
