//! Pharmacy claims (NCPDP): `C4BB-ExplanationOfBenefit-Pharmacy`. One fill per claim,
//! adjudicated at the point of sale; amounts on the line, statuses on the header.

use carin_profiles::codes::{
    C4BBAdjudicationDiscriminator, C4BBClaimCareTeamRole, C4BBSupportingInfoType,
};
use carin_profiles::views::eob::{ClaimType, PROFILE_PHARMACY};

use super::super::benefits::Benefit;
use super::super::calendar::Day;
use super::super::codes::{
    Drug, NCPDP_BRAND_GENERIC, NCPDP_COMPOUND, NCPDP_DAW, NCPDP_RX_ORIGIN, NDC,
};
use super::super::context::MemberContext;
use super::super::directory::{OrgId, PractitionerId};
use super::super::fhir::{code_display, coding_display, count, primitive, sequence};
use super::{
    ClaimDates, Header, amount_adjudications, care_team, info_code, info_count, info_date, network,
    new_eob, payment, status, totals,
};
use fhir_model::resources::{ExplanationOfBenefitItem, ExplanationOfBenefitItemServiced};

/// A prescription fill to write.
#[derive(Debug)]
pub(crate) struct Fill {
    /// The pharmacy.
    pub(crate) pharmacy: OrgId,
    /// The prescriber.
    pub(crate) prescriber: PractitionerId,
    /// The drug.
    pub(crate) drug: &'static Drug,
    /// The day of the fill.
    pub(crate) day: Day,
    /// Which fill of the prescription: 0 for the original, then refills.
    pub(crate) refill_number: i64,
    /// Refills the prescription allows.
    pub(crate) refills_authorized: i64,
}

/// Adjudicates and writes a pharmacy claim.
pub(crate) fn write(ctx: &mut MemberContext<'_>, fill: Fill) {
    let in_network = ctx.directory.in_network(fill.pharmacy);
    let drug = fill.drug;
    let charge = ctx.rng.vary(drug.charge, 8);
    let benefit = if drug.generic {
        Benefit::GenericDrug
    } else {
        Benefit::BrandDrug
    };
    let amounts = ctx.adjudicate(benefit, charge, in_network, false, fill.day);
    let dates = ClaimDates::point_of_sale(fill.day);
    let provider = ctx.directory.organization(fill.pharmacy);
    let mut eob = new_eob(
        ctx,
        Header {
            profile: PROFILE_PHARMACY,
            claim_type: ClaimType::Pharmacy,
            sub_type: None,
            billable: (fill.day, fill.day),
            dates,
            provider,
        },
    );
    let prescriber = ctx.directory.practitioner(fill.prescriber);
    let specialty = ctx.directory.record(fill.prescriber).specialty;
    eob.care_team.push(care_team(
        0,
        prescriber,
        C4BBClaimCareTeamRole::Prescribing.to_coding(),
        Some(specialty),
    ));
    let (brand_code, brand_display) = if drug.generic {
        ("2", "Generic")
    } else {
        ("1", "Brand")
    };
    eob.supporting_info = vec![
        info_date(0, &C4BBSupportingInfoType::Clmrecvddate, fill.day),
        info_count(1, &C4BBSupportingInfoType::Dayssupply, drug.days_supply),
        info_code(
            2,
            &C4BBSupportingInfoType::Dawcode,
            coding_display(NCPDP_DAW, "0", "No product selection indicated"),
        ),
        info_count(3, &C4BBSupportingInfoType::Refillnum, fill.refill_number),
        info_count(
            4,
            &C4BBSupportingInfoType::Refillsauthorized,
            fill.refills_authorized,
        ),
        info_code(
            5,
            &C4BBSupportingInfoType::Brandgenericindicator,
            coding_display(NCPDP_BRAND_GENERIC, brand_code, brand_display),
        ),
        info_code(
            6,
            &C4BBSupportingInfoType::Rxorigincode,
            coding_display(NCPDP_RX_ORIGIN, "3", "Electronic"),
        ),
        info_code(
            7,
            &C4BBSupportingInfoType::Compoundcode,
            coding_display(NCPDP_COMPOUND, "1", "Not a compound"),
        ),
    ];
    let mut item = ExplanationOfBenefitItem::default();
    item.sequence = sequence(0);
    item.care_team_sequence.push(sequence(0));
    item.product_or_service = Some(code_display(NDC, drug.ndc, drug.name));
    item.serviced = Some(ExplanationOfBenefitItemServiced::Date(primitive(
        fill.day.to_date(),
    )));
    item.quantity = Some(count(drug.quantity));
    item.adjudication = amount_adjudications(&amounts);
    eob.item.push(item);
    let status_code = network(in_network);
    eob.adjudication.push(status(
        &C4BBAdjudicationDiscriminator::Benefitpaymentstatus,
        &status_code,
    ));
    eob.adjudication.push(status(
        &C4BBAdjudicationDiscriminator::Billingnetworkstatus,
        &status_code,
    ));
    eob.total = totals(&amounts);
    eob.payment = Some(payment(&amounts, &[], fill.day));
    ctx.push(eob);
}
