//! Dental visits: checkups and restorations, as oral claims.

use crate::synth::benefits::Benefit;
use crate::synth::calendar::Day;
use crate::synth::claims::Line;
use crate::synth::claims::oral::{self, DentalClaim};
use crate::synth::codes;
use crate::synth::context::MemberContext;

/// A dental exam and cleaning (with bitewings once a year, fluoride for children).
pub(super) fn checkup(ctx: &mut MemberContext<'_>, day: Day, radiographs: bool) {
    let child = ctx.member.age_on(day) < 14;
    let mut lines = vec![
        Line::new(
            ctx,
            &codes::DENTAL_PERIODIC_EVAL,
            Benefit::DentalPreventive,
            day,
        ),
        Line::new(
            ctx,
            if child {
                &codes::DENTAL_CLEANING_CHILD
            } else {
                &codes::DENTAL_CLEANING_ADULT
            },
            Benefit::DentalPreventive,
            day,
        ),
    ];
    if radiographs {
        lines.push(Line::new(
            ctx,
            &codes::DENTAL_BITEWINGS,
            Benefit::DentalPreventive,
            day,
        ));
    }
    if child {
        lines.push(Line::new(
            ctx,
            &codes::DENTAL_FLUORIDE,
            Benefit::DentalPreventive,
            day,
        ));
    }
    let dentist = ctx.member.dentist;
    oral::write(
        ctx,
        DentalClaim {
            dentist,
            diagnosis: &codes::DENTAL_EXAM,
            lines,
        },
    );
}

/// A restorative dental visit on one tooth.
pub(super) fn restoration(ctx: &mut MemberContext<'_>, day: Day) {
    let child = ctx.member.age_on(day) < 14;
    let tooth = ctx.rng.choose(codes::POSTERIOR_TEETH);
    let roll = ctx.rng.range(0, 99);
    let (code, benefit, surfaces) = match roll {
        0..=29 if child => (&codes::DENTAL_SEALANT, Benefit::DentalPreventive, vec!["O"]),
        0..=49 => (
            &codes::DENTAL_FILLING_ONE_SURFACE,
            Benefit::DentalRestorative,
            vec![ctx.rng.choose(codes::POSTERIOR_SURFACES)],
        ),
        50..=79 => (
            &codes::DENTAL_FILLING_TWO_SURFACES,
            Benefit::DentalRestorative,
            vec!["M", "O"],
        ),
        80..=89 if !child => (&codes::DENTAL_CROWN, Benefit::DentalRestorative, Vec::new()),
        _ => (
            &codes::DENTAL_EXTRACTION,
            Benefit::DentalRestorative,
            Vec::new(),
        ),
    };
    let mut line = Line::new(ctx, code, benefit, day);
    line.tooth = Some(tooth);
    line.surfaces = surfaces;
    let dentist = ctx.member.dentist;
    oral::write(
        ctx,
        DentalClaim {
            dentist,
            diagnosis: &codes::DENTAL_CARIES,
            lines: vec![line],
        },
    );
}
