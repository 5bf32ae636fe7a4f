//! The pharmacy: maintenance refills and flu shots.

use super::{Care, REFILLS_PER_PRESCRIPTION};
use crate::synth::calendar::Day;
use crate::synth::claims::pharmacy::{self, Fill};
use crate::synth::clinical;
use crate::synth::codes;
use crate::synth::context::MemberContext;
use crate::synth::directory::OrgKind;

/// A maintenance fill; one in four goes through the mail-order pharmacy.
pub(super) fn refill(ctx: &mut MemberContext<'_>, care: &Care, day: Day, slot: usize, fill: i64) {
    let Some(maintenance) = care.drugs.get(slot) else {
        return;
    };
    let pharmacy = if fill % 4 == 3 {
        ctx.directory
            .pick_organization(&mut ctx.rng, OrgKind::Pharmacy)
    } else {
        ctx.member.pharmacy
    };
    pharmacy::write(
        ctx,
        Fill {
            pharmacy,
            prescriber: maintenance.prescriber,
            drug: maintenance.drug,
            day,
            refill_number: fill % (REFILLS_PER_PRESCRIPTION + 1),
            refills_authorized: REFILLS_PER_PRESCRIPTION,
        },
    );
}

/// The seasonal flu shot, at the pharmacy or the office.
pub(super) fn flu_shot(ctx: &mut MemberContext<'_>, day: Day) {
    let vaccine = if ctx.member.age_on(day) >= 65 {
        &codes::FLU_VACCINE_HIGH_DOSE
    } else {
        &codes::FLU_VACCINE
    };
    let performer = if ctx.rng.chance(60) {
        let pharmacy = ctx.member.pharmacy;
        ctx.directory.organization(pharmacy)
    } else {
        let pcp = ctx.member.primary_care;
        ctx.directory.practitioner(pcp)
    };
    clinical::immunization(ctx, vaccine, day, performer);
}
