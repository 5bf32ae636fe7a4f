//! Plan designs per line of business and the adjudication of one claim line: allowed
//! amount, deductible, copay, coinsurance, out-of-pocket maximum, what the plan pays.

use std::collections::BTreeMap;

use carin_profiles::codes::C4BBAdjudication;
use carin_profiles::views::eob::AdjudicationCategory;

use super::LineOfBusiness;
use super::rng::Rng;

/// The cost-sharing rules of a plan. Money is in cents, rates in percent.
#[derive(Debug)]
pub(crate) struct PlanDesign {
    /// The line of business.
    pub(crate) line_of_business: LineOfBusiness,
    /// `Coverage.class:plan.value`.
    pub(crate) plan_code: &'static str,
    /// `Coverage.class:plan.name`.
    pub(crate) plan_name: &'static str,
    /// `Coverage.class:group.value`.
    pub(crate) group_code: &'static str,
    /// `Coverage.class:group.name`.
    pub(crate) group_name: &'static str,
    /// `Coverage.network`.
    pub(crate) network: &'static str,
    /// Source of Payment Typology code and display for `Coverage.type`.
    pub(crate) payer_type: (&'static str, &'static str),
    /// Member id prefix.
    pub(crate) member_prefix: &'static str,
    /// Annual deductible.
    pub(crate) deductible: i64,
    /// Annual out-of-pocket maximum; 0 when cost sharing is nominal and uncapped.
    pub(crate) out_of_pocket_max: i64,
    /// In-network coinsurance after the deductible.
    pub(crate) coinsurance: i64,
    /// Out-of-network coinsurance after the deductible.
    pub(crate) out_of_network_coinsurance: i64,
    /// Copay for a primary care visit.
    pub(crate) primary_care_copay: i64,
    /// Copay for a specialist visit.
    pub(crate) specialist_copay: i64,
    /// Copay for an emergency department visit.
    pub(crate) emergency_copay: i64,
    /// Copay for an urgent care or telehealth visit.
    pub(crate) urgent_care_copay: i64,
    /// Copay for a generic drug fill.
    pub(crate) generic_copay: i64,
    /// Copay for a brand drug fill.
    pub(crate) brand_copay: i64,
    /// Copay per hospital stay, instead of deductible and coinsurance; 0 for none.
    pub(crate) admission_copay: i64,
    /// Coinsurance on basic and major dental services.
    pub(crate) dental_coinsurance: i64,
    /// The allowed amount as a percentage of billed charges: (lowest, highest).
    pub(crate) allowed_percent: (i64, i64),
}

/// The plans, one per line of business.
pub(crate) const PLANS: &[PlanDesign] = &[
    PlanDesign {
        line_of_business: LineOfBusiness::MedicareAdvantage,
        plan_code: "MA-HMO-2",
        plan_name: "Cascade Medicare Advantage HMO",
        group_code: "MAPD",
        group_name: "Medicare Advantage with Part D",
        network: "Cascade Medicare Network",
        payer_type: ("111", "Medicare HMO"),
        member_prefix: "CHM",
        deductible: 0,
        out_of_pocket_max: 490_000,
        coinsurance: 20,
        out_of_network_coinsurance: 40,
        primary_care_copay: 1_000,
        specialist_copay: 4_000,
        emergency_copay: 9_500,
        urgent_care_copay: 4_500,
        generic_copay: 500,
        brand_copay: 4_700,
        admission_copay: 32_500,
        dental_coinsurance: 50,
        allowed_percent: (30, 45),
    },
    PlanDesign {
        line_of_business: LineOfBusiness::Medicaid,
        plan_code: "MCD-CCO",
        plan_name: "Cascade Community Care (Medicaid)",
        group_code: "OHP",
        group_name: "Oregon Health Plan",
        network: "Cascade Community Network",
        payer_type: ("21", "Medicaid (Managed Care)"),
        member_prefix: "CHD",
        deductible: 0,
        out_of_pocket_max: 0,
        coinsurance: 0,
        out_of_network_coinsurance: 0,
        primary_care_copay: 0,
        specialist_copay: 0,
        emergency_copay: 800,
        urgent_care_copay: 0,
        generic_copay: 100,
        brand_copay: 400,
        admission_copay: 0,
        dental_coinsurance: 0,
        allowed_percent: (25, 40),
    },
    PlanDesign {
        line_of_business: LineOfBusiness::Chip,
        plan_code: "CHIP-KIDS",
        plan_name: "Cascade Kids Connect (CHIP)",
        group_code: "CHIP",
        group_name: "Children's Health Insurance Program",
        network: "Cascade Community Network",
        payer_type: ("23", "Medicaid/SCHIP"),
        member_prefix: "CHK",
        deductible: 0,
        out_of_pocket_max: 80_000,
        coinsurance: 0,
        out_of_network_coinsurance: 0,
        primary_care_copay: 500,
        specialist_copay: 1_000,
        emergency_copay: 2_500,
        urgent_care_copay: 1_000,
        generic_copay: 300,
        brand_copay: 1_000,
        admission_copay: 0,
        dental_coinsurance: 0,
        allowed_percent: (25, 40),
    },
    PlanDesign {
        line_of_business: LineOfBusiness::Qhp,
        plan_code: "QHP-SILVER-94",
        plan_name: "Cascade Silver 4500",
        group_code: "IND-MKT",
        group_name: "Individual Marketplace",
        network: "Cascade Select",
        payer_type: ("51", "Managed Care (Private)"),
        member_prefix: "CHQ",
        deductible: 450_000,
        out_of_pocket_max: 910_000,
        coinsurance: 30,
        out_of_network_coinsurance: 50,
        primary_care_copay: 4_000,
        specialist_copay: 8_000,
        emergency_copay: 40_000,
        urgent_care_copay: 7_500,
        generic_copay: 1_500,
        brand_copay: 6_000,
        admission_copay: 0,
        dental_coinsurance: 40,
        allowed_percent: (40, 60),
    },
    PlanDesign {
        line_of_business: LineOfBusiness::Commercial,
        plan_code: "PPO-1500",
        plan_name: "Cascade PPO 1500",
        group_code: "GRP-48213",
        group_name: "Willamette Valley Manufacturing",
        network: "Cascade PPO Network",
        payer_type: ("512", "Commercial Managed Care - PPO"),
        member_prefix: "CHC",
        deductible: 150_000,
        out_of_pocket_max: 500_000,
        coinsurance: 20,
        out_of_network_coinsurance: 40,
        primary_care_copay: 2_500,
        specialist_copay: 5_000,
        emergency_copay: 25_000,
        urgent_care_copay: 5_000,
        generic_copay: 1_000,
        brand_copay: 4_000,
        admission_copay: 0,
        dental_coinsurance: 20,
        allowed_percent: (45, 65),
    },
];

/// The plan of a line of business.
pub(crate) fn plan_for(line_of_business: LineOfBusiness) -> &'static PlanDesign {
    PLANS
        .iter()
        .find(|plan| plan.line_of_business == line_of_business)
        .unwrap_or(&PLANS[0])
}

/// How the plan covers a service: which cost sharing applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Benefit {
    /// Preventive care: no cost sharing.
    Preventive,
    /// A primary care office visit: the primary care copay.
    PrimaryCare,
    /// A specialist visit: the specialist copay.
    Specialist,
    /// An emergency department visit: the emergency copay.
    Emergency,
    /// Urgent care or telehealth: the urgent care copay.
    UrgentCare,
    /// Labs, imaging, procedures, therapy: deductible then coinsurance.
    Diagnostic,
    /// A hospital stay: the admission copay, or deductible then coinsurance.
    Inpatient,
    /// A generic drug: the generic copay.
    GenericDrug,
    /// A brand drug: the brand copay.
    BrandDrug,
    /// Dental exams, cleanings, X-rays: covered in full.
    DentalPreventive,
    /// Fillings, extractions, crowns: dental coinsurance.
    DentalRestorative,
}

/// What the plan and the member owe for one line, in cents.
///
/// `submitted = eligible + discount + noncovered`,
/// `eligible = deductible + copay + coinsurance + paid_to_provider`, and the member pays
/// `deductible + copay + coinsurance` plus, out of network, the `noncovered` balance the
/// provider may bill.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LineAmounts {
    /// What the provider billed.
    pub(crate) submitted: i64,
    /// The contractual discount of an in-network provider.
    pub(crate) discount: i64,
    /// The allowed amount.
    pub(crate) eligible: i64,
    /// Applied to the deductible.
    pub(crate) deductible: i64,
    /// The member's copay.
    pub(crate) copay: i64,
    /// The member's coinsurance.
    pub(crate) coinsurance: i64,
    /// Not covered: a denied line, or the balance above the allowed amount out of network.
    pub(crate) noncovered: i64,
    /// What the member pays the provider.
    pub(crate) paid_by_patient: i64,
    /// What the plan pays the provider.
    pub(crate) paid_to_provider: i64,
}

impl LineAmounts {
    /// The adjudication categories and amounts written on the EOB, in order. Discount and
    /// noncovered appear only when not zero.
    pub(crate) fn categories(&self) -> Vec<(AdjudicationCategory, i64)> {
        let mut out = vec![(AdjudicationCategory::Submitted, self.submitted)];
        if self.discount > 0 {
            out.push((C4BBAdjudication::Discount.into(), self.discount));
        }
        out.push((AdjudicationCategory::Eligible, self.eligible));
        out.push((AdjudicationCategory::Deductible, self.deductible));
        out.push((AdjudicationCategory::Copay, self.copay));
        out.push((C4BBAdjudication::Coinsurance.into(), self.coinsurance));
        if self.noncovered > 0 {
            out.push((C4BBAdjudication::Noncovered.into(), self.noncovered));
        }
        out.push((AdjudicationCategory::Benefit, self.paid_to_provider));
        out.push((
            C4BBAdjudication::Paidtoprovider.into(),
            self.paid_to_provider,
        ));
        out.push((C4BBAdjudication::Paidbypatient.into(), self.paid_by_patient));
        out
    }

    /// The sum of several lines.
    pub(crate) fn sum<'a>(lines: impl IntoIterator<Item = &'a LineAmounts>) -> LineAmounts {
        lines
            .into_iter()
            .fold(LineAmounts::default(), |total, line| LineAmounts {
                submitted: total.submitted + line.submitted,
                discount: total.discount + line.discount,
                eligible: total.eligible + line.eligible,
                deductible: total.deductible + line.deductible,
                copay: total.copay + line.copay,
                coinsurance: total.coinsurance + line.coinsurance,
                noncovered: total.noncovered + line.noncovered,
                paid_by_patient: total.paid_by_patient + line.paid_by_patient,
                paid_to_provider: total.paid_to_provider + line.paid_to_provider,
            })
    }
}

/// The member's deductible and out-of-pocket spending per plan year (calendar year), so
/// lines can be adjudicated in any order across years.
#[derive(Clone, Debug, Default)]
pub(crate) struct Accumulators {
    years: BTreeMap<i64, YearToDate>,
}

/// What the member spent in one plan year.
#[derive(Clone, Copy, Debug, Default)]
struct YearToDate {
    deductible: i64,
    out_of_pocket: i64,
}

/// One line to adjudicate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineRequest {
    /// The cost sharing that applies.
    pub(crate) benefit: Benefit,
    /// The billed charge.
    pub(crate) submitted: i64,
    /// Whether the billing provider is in the plan's network.
    pub(crate) in_network: bool,
    /// Whether the plan denies the line.
    pub(crate) denied: bool,
    /// The plan year (calendar year of service).
    pub(crate) year: i64,
}

/// Adjudicates one line against `plan`, updating the member's accumulators.
pub(crate) fn adjudicate(
    plan: &PlanDesign,
    accumulators: &mut Accumulators,
    request: LineRequest,
    rng: &mut Rng,
) -> LineAmounts {
    let year_to_date = accumulators.years.entry(request.year).or_default();
    let submitted = request.submitted;
    if request.denied {
        return LineAmounts {
            submitted,
            noncovered: submitted,
            ..LineAmounts::default()
        };
    }
    let eligible = submitted * allowed_percent(plan, request.benefit, rng) / 100;
    let (discount, balance_bill) = if request.in_network {
        (submitted - eligible, 0)
    } else {
        (0, submitted - eligible)
    };
    let mut share = member_share(plan, year_to_date, &request, eligible);
    cap_at_out_of_pocket_max(plan, year_to_date, &mut share);
    year_to_date.deductible += share.deductible;
    year_to_date.out_of_pocket += share.total();
    LineAmounts {
        submitted,
        discount,
        eligible,
        deductible: share.deductible,
        copay: share.copay,
        coinsurance: share.coinsurance,
        noncovered: balance_bill,
        paid_by_patient: share.total() + balance_bill,
        paid_to_provider: eligible - share.total(),
    }
}

/// The allowed amount as a percentage of the charge for this kind of service.
fn allowed_percent(plan: &PlanDesign, benefit: Benefit, rng: &mut Rng) -> i64 {
    let (low, high) = match benefit {
        // Pharmacy and dental fee schedules sit closer to retail prices.
        Benefit::GenericDrug | Benefit::BrandDrug => (75, 92),
        Benefit::DentalPreventive | Benefit::DentalRestorative => (60, 80),
        _ => plan.allowed_percent,
    };
    rng.range(low, high)
}

/// The member's cost sharing on one line, before the out-of-pocket maximum.
#[derive(Clone, Copy, Debug, Default)]
struct Share {
    deductible: i64,
    copay: i64,
    coinsurance: i64,
}

impl Share {
    fn total(&self) -> i64 {
        self.deductible + self.copay + self.coinsurance
    }
}

fn member_share(
    plan: &PlanDesign,
    year_to_date: &YearToDate,
    request: &LineRequest,
    eligible: i64,
) -> Share {
    let copay = |amount: i64| Share {
        copay: amount.min(eligible),
        ..Share::default()
    };
    let coinsurance_rate = if request.in_network {
        plan.coinsurance
    } else {
        plan.out_of_network_coinsurance
    };
    let deductible_then_coinsurance = |rate: i64| {
        let deductible = (plan.deductible - year_to_date.deductible)
            .max(0)
            .min(eligible);
        Share {
            deductible,
            copay: 0,
            coinsurance: (eligible - deductible) * rate / 100,
        }
    };
    match request.benefit {
        Benefit::Preventive | Benefit::DentalPreventive if request.in_network => Share::default(),
        Benefit::DentalRestorative => Share {
            coinsurance: eligible * plan.dental_coinsurance / 100,
            ..Share::default()
        },
        _ if !request.in_network => deductible_then_coinsurance(coinsurance_rate),
        Benefit::PrimaryCare => copay(plan.primary_care_copay),
        Benefit::Specialist => copay(plan.specialist_copay),
        Benefit::Emergency => copay(plan.emergency_copay),
        Benefit::UrgentCare => copay(plan.urgent_care_copay),
        Benefit::GenericDrug => copay(plan.generic_copay),
        Benefit::BrandDrug => copay(plan.brand_copay),
        Benefit::Inpatient if plan.admission_copay > 0 => copay(plan.admission_copay),
        Benefit::Inpatient | Benefit::Diagnostic => deductible_then_coinsurance(coinsurance_rate),
        Benefit::Preventive | Benefit::DentalPreventive => Share::default(),
    }
}

/// Lowers the share so the year's out-of-pocket spending stays within the maximum:
/// coinsurance first, then copay, then deductible.
fn cap_at_out_of_pocket_max(plan: &PlanDesign, year_to_date: &YearToDate, share: &mut Share) {
    if plan.out_of_pocket_max == 0 {
        return;
    }
    let room = (plan.out_of_pocket_max - year_to_date.out_of_pocket).max(0);
    let mut excess = share.total() - room;
    for part in [
        &mut share.coinsurance,
        &mut share.copay,
        &mut share.deductible,
    ] {
        if excess <= 0 {
            break;
        }
        let cut = excess.min(*part);
        *part -= cut;
        excess -= cut;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(benefit: Benefit, submitted: i64) -> LineRequest {
        LineRequest {
            benefit,
            submitted,
            in_network: true,
            denied: false,
            year: 2025,
        }
    }

    fn check_identities(line: &LineAmounts) {
        assert_eq!(
            line.submitted,
            line.eligible + line.discount + line.noncovered
        );
        assert_eq!(
            line.eligible,
            line.deductible + line.copay + line.coinsurance + line.paid_to_provider
        );
        assert!(line.paid_by_patient <= line.submitted);
        assert!(line.paid_to_provider >= 0);
    }

    #[test]
    fn deductible_then_coinsurance_then_out_of_pocket_max() {
        let plan = plan_for(LineOfBusiness::Commercial);
        let mut rng = Rng::new(3);
        let mut accumulators = Accumulators::default();
        let first = adjudicate(
            plan,
            &mut accumulators,
            request(Benefit::Diagnostic, 100_000),
            &mut rng,
        );
        check_identities(&first);
        assert_eq!(first.deductible, first.eligible.min(plan.deductible));
        let mut paid = first.paid_by_patient;
        for _ in 0..40 {
            let line = adjudicate(
                plan,
                &mut accumulators,
                request(Benefit::Inpatient, 2_000_000),
                &mut rng,
            );
            check_identities(&line);
            paid += line.paid_by_patient;
        }
        assert_eq!(paid, plan.out_of_pocket_max);
    }

    #[test]
    fn each_plan_year_has_its_own_deductible() {
        let plan = plan_for(LineOfBusiness::Commercial);
        let mut rng = Rng::new(5);
        let mut accumulators = Accumulators::default();
        let big = |year| LineRequest {
            year,
            ..request(Benefit::Diagnostic, 1_000_000)
        };
        let first = adjudicate(plan, &mut accumulators, big(2024), &mut rng);
        let next_year = adjudicate(plan, &mut accumulators, big(2025), &mut rng);
        // A late line of the earlier year finds that year's deductible already met.
        let late = adjudicate(plan, &mut accumulators, big(2024), &mut rng);
        assert_eq!(first.deductible, plan.deductible);
        assert_eq!(next_year.deductible, plan.deductible);
        assert_eq!(late.deductible, 0);
    }

    #[test]
    fn denied_and_out_of_network_lines() {
        let plan = plan_for(LineOfBusiness::Qhp);
        let mut rng = Rng::new(4);
        let mut accumulators = Accumulators::default();
        let mut denied = request(Benefit::Diagnostic, 50_000);
        denied.denied = true;
        let line = adjudicate(plan, &mut accumulators, denied, &mut rng);
        check_identities(&line);
        assert_eq!((line.noncovered, line.paid_by_patient), (50_000, 0));
        let mut out_of_network = request(Benefit::PrimaryCare, 20_000);
        out_of_network.in_network = false;
        let line = adjudicate(plan, &mut accumulators, out_of_network, &mut rng);
        check_identities(&line);
        assert_eq!(line.discount, 0);
        assert!(line.noncovered > 0);
    }
}
