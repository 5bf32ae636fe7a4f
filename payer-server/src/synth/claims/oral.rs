//! Dental claims (ADA): `C4BB-ExplanationOfBenefit-Oral`. Amounts and the benefit
//! payment status are per line; the header has the billing, rendering and benefit
//! payment statuses.

use carin_profiles::codes::{
    C4BBAdjudicationDiscriminator, C4BBClaimCareTeamRole, C4BBSupportingInfoType, C4BBSurfaceCodes,
};
use carin_profiles::views::eob::{ClaimType, PROFILE_ORAL};
use fhir_model::resources::ExplanationOfBenefitItemLocation;

use super::super::codes::{Diagnosis, PLACE_OF_SERVICE, POS_OFFICE, TOOTH};
use super::super::context::MemberContext;
use super::super::directory::PractitionerId;
use super::super::fhir::{code, code_display, concept, sequence};
use super::{
    ClaimDates, Header, Line, adjudicate_lines, care_team, diagnosis, info_date, info_reference,
    items_with_amounts, network, new_eob, patient_account_number, payment, principal, status, sum,
    totals,
};

/// A dental visit to write.
#[derive(Debug)]
pub(crate) struct DentalClaim {
    /// The dentist (billing and rendering).
    pub(crate) dentist: PractitionerId,
    /// The visit's diagnosis.
    pub(crate) diagnosis: &'static Diagnosis,
    /// The procedures.
    pub(crate) lines: Vec<Line>,
}

/// Adjudicates and writes a dental claim.
pub(crate) fn write(ctx: &mut MemberContext<'_>, mut claim: DentalClaim) {
    let office = ctx.directory.record(claim.dentist).organization;
    let in_network = ctx.directory.in_network(office);
    adjudicate_lines(ctx, &mut claim.lines, in_network);
    let day = claim.lines.iter().map(|l| l.day).min().unwrap_or(ctx.end);
    let dates = ClaimDates::after_service(ctx, day);
    let provider = ctx.directory.practitioner(claim.dentist);
    let mut eob = new_eob(
        ctx,
        Header {
            profile: PROFILE_ORAL,
            claim_type: ClaimType::Oral,
            sub_type: None,
            billable: (day, day),
            dates,
            provider: provider.clone(),
        },
    );
    let specialty = ctx.directory.record(claim.dentist).specialty;
    eob.care_team.push(care_team(
        0,
        provider,
        C4BBClaimCareTeamRole::Rendering.to_coding(),
        Some(specialty),
    ));
    let facility = ctx.directory.organization(office);
    eob.supporting_info = vec![
        info_date(0, &C4BBSupportingInfoType::Clmrecvddate, dates.received),
        info_reference(1, &C4BBSupportingInfoType::Servicefacility, facility),
        patient_account_number(ctx, 2),
    ];
    eob.diagnosis
        .push(diagnosis(0, claim.diagnosis, principal()));
    let status_code = network(in_network);
    eob.item = items_with_amounts(&claim.lines, Some(&status_code));
    let place = code_display(PLACE_OF_SERVICE, POS_OFFICE.0, POS_OFFICE.1);
    for (item, line) in eob.item.iter_mut().zip(&claim.lines) {
        item.location = Some(ExplanationOfBenefitItemLocation::CodeableConcept(Box::new(
            place.clone(),
        )));
        item.care_team_sequence.push(sequence(0));
        item.diagnosis_sequence.push(sequence(0));
        item.body_site = line.tooth.map(|tooth| code(TOOTH, tooth));
        item.sub_site = line
            .surfaces
            .iter()
            .map(|surface| concept(C4BBSurfaceCodes::from_code(surface).to_coding()))
            .collect();
    }
    eob.adjudication = vec![
        status(
            &C4BBAdjudicationDiscriminator::Billingnetworkstatus,
            &status_code,
        ),
        status(
            &C4BBAdjudicationDiscriminator::Renderingnetworkstatus,
            &status_code,
        ),
        status(
            &C4BBAdjudicationDiscriminator::Benefitpaymentstatus,
            &status_code,
        ),
    ];
    let total = sum(&claim.lines);
    eob.total = totals(&total);
    eob.payment = Some(payment(&total, &claim.lines, dates.paid));
    ctx.push(eob);
}
