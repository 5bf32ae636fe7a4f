//! Professional claims (CMS-1500): `C4BB-ExplanationOfBenefit-Professional-NonClinician`.
//! Amounts and the benefit payment status are per line; the header carries the billing
//! and rendering network statuses.

use carin_profiles::codes::{
    C4BBAdjudicationDiscriminator, C4BBClaimCareTeamRole, C4BBClaimDiagnosisType,
    C4BBSupportingInfoType,
};
use carin_profiles::views::eob::{ClaimType, PROFILE_PROFESSIONAL_NONCLINICIAN};
use fhir_model::datatypes::CodeableConcept;
use fhir_model::resources::ExplanationOfBenefitItemLocation;

use super::super::codes::{Diagnosis, PLACE_OF_SERVICE};
use super::super::context::MemberContext;
use super::super::directory::{OrgId, PractitionerId};
use super::super::fhir::{code_display, sequence};
use super::{
    ClaimDates, Header, Line, adjudicate_lines, care_team, diagnosis, info_date, info_reference,
    items_with_amounts, network, new_eob, payment, pointers, principal, status, sum, totals,
};

/// A professional claim to write.
#[derive(Debug)]
pub(crate) struct ProfessionalClaim {
    /// The billing provider: the group or lab.
    pub(crate) billing: OrgId,
    /// The rendering practitioner, if any (labs have none).
    pub(crate) rendering: Option<PractitionerId>,
    /// Where the service happened (`supportingInfo:servicefacility`).
    pub(crate) facility: OrgId,
    /// CMS place of service: (code, display).
    pub(crate) place: (&'static str, &'static str),
    /// Diagnoses, principal first.
    pub(crate) diagnoses: Vec<&'static Diagnosis>,
    /// The lines.
    pub(crate) lines: Vec<Line>,
}

/// Adjudicates and writes a professional claim.
pub(crate) fn write(ctx: &mut MemberContext<'_>, mut claim: ProfessionalClaim) {
    let in_network = ctx.directory.in_network(claim.billing);
    adjudicate_lines(ctx, &mut claim.lines, in_network);
    let first_day = claim.lines.iter().map(|l| l.day).min().unwrap_or(ctx.end);
    let last_day = claim.lines.iter().map(|l| l.day).max().unwrap_or(ctx.end);
    let dates = ClaimDates::after_service(ctx, last_day);
    let provider = ctx.directory.organization(claim.billing);
    let mut eob = new_eob(
        ctx,
        Header {
            profile: PROFILE_PROFESSIONAL_NONCLINICIAN,
            claim_type: ClaimType::Professional,
            sub_type: None,
            billable: (first_day, last_day),
            dates,
            provider,
        },
    );
    if let Some(rendering) = claim.rendering {
        let reference = ctx.directory.practitioner(rendering);
        let specialty = ctx.directory.record(rendering).specialty;
        eob.care_team.push(care_team(
            0,
            reference,
            C4BBClaimCareTeamRole::Rendering.to_coding(),
            Some(specialty),
        ));
    }
    eob.supporting_info.push(info_date(
        0,
        &C4BBSupportingInfoType::Clmrecvddate,
        dates.received,
    ));
    let facility = ctx.directory.organization(claim.facility);
    eob.supporting_info.push(info_reference(
        1,
        &C4BBSupportingInfoType::Servicefacility,
        facility,
    ));
    for (index, dx) in claim.diagnoses.iter().enumerate() {
        let kind = if index == 0 {
            principal()
        } else {
            C4BBClaimDiagnosisType::Secondary.to_coding()
        };
        eob.diagnosis.push(diagnosis(index, dx, kind));
    }
    let line_status = network(in_network);
    eob.item = items_with_amounts(&claim.lines, Some(&line_status));
    let place: CodeableConcept = code_display(PLACE_OF_SERVICE, claim.place.0, claim.place.1);
    for item in &mut eob.item {
        item.location = Some(ExplanationOfBenefitItemLocation::CodeableConcept(Box::new(
            place.clone(),
        )));
        item.diagnosis_sequence = pointers(claim.diagnoses.len());
        if claim.rendering.is_some() {
            item.care_team_sequence.push(sequence(0));
        }
    }
    eob.adjudication.push(status(
        &C4BBAdjudicationDiscriminator::Billingnetworkstatus,
        &line_status,
    ));
    if let Some(rendering) = claim.rendering {
        let rendering_org = ctx.directory.record(rendering).organization;
        eob.adjudication.push(status(
            &C4BBAdjudicationDiscriminator::Renderingnetworkstatus,
            &network(ctx.directory.in_network(rendering_org)),
        ));
    }
    let total = sum(&claim.lines);
    eob.total = totals(&total);
    eob.payment = Some(payment(&total, &claim.lines, dates.paid));
    ctx.push(eob);
}
