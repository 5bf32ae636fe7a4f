//! The views over every ExplanationOfBenefit, Coverage and Patient example of CARIN BB
//! 2.0.0, and the Professional NonClinician builder against that profile's snapshot.
//!
//! Reads `hl7.fhir.us.carin-bb-2.0.0.tgz` from `$FHIR_PACKAGES_DIR` (default
//! `../shared/fhir-packages` beside the workspace).

mod common;

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::OnceLock;

use carin_profiles::codes::{
    C4BBAdjudication, C4BBInstitutionalClaimSubType, C4BBPayerAdjudicationStatus,
};
use carin_profiles::views::Amount;
use carin_profiles::views::coverage::CoverageView;
use carin_profiles::views::eob::{
    AdjudicationCategory, BuildError, ClaimType, EobView, PROFILE_ORAL,
    PROFILE_PROFESSIONAL_NONCLINICIAN, ProfessionalEobBuilder, ProfessionalEobHeader,
    ProfessionalLine,
};
use carin_profiles::views::patient::PatientView;
use fhir_model::datatypes::{CodeableConcept, Coding, Reference};
use fhir_model::resources::{Coverage, ExplanationOfBenefit, ExplanationOfBenefitTotal, Patient};
use fhir_model::{Date, DateTime, Decimal, Instant, Resource};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const PACKAGE: &str = "hl7.fhir.us.carin-bb-2.0.0.tgz";
const EXAMPLE_DIR: &str = "package/example/";

/// What the tests need from the package.
struct Package {
    /// Example file name (`ExplanationOfBenefit-EOBOral1.json`) -> JSON text.
    examples: BTreeMap<String, String>,
    /// StructureDefinitions and ValueSets by canonical URL.
    definitions: BTreeMap<String, Value>,
}

fn read_package() -> Result<Package, Box<dyn Error>> {
    let mut package = Package {
        examples: BTreeMap::new(),
        definitions: BTreeMap::new(),
    };
    let files = common::package_files(PACKAGE, |name| {
        name.starts_with("package/StructureDefinition-")
            || name.starts_with("package/ValueSet-")
            || name.starts_with(EXAMPLE_DIR)
    })?;
    for (name, text) in files {
        if let Some(example) = name.strip_prefix(EXAMPLE_DIR) {
            package.examples.insert(example.to_owned(), text);
        } else {
            let definition: Value = serde_json::from_str(&text)?;
            let url = definition["url"].as_str().ok_or("definition without url")?;
            package.definitions.insert(url.to_owned(), definition);
        }
    }
    Ok(package)
}

/// The package, read once per test binary.
fn package() -> Result<&'static Package, String> {
    static PACKAGE: OnceLock<Result<Package, String>> = OnceLock::new();
    PACKAGE
        .get_or_init(|| read_package().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// One example of the package, parsed strictly, and its JSON read independently.
struct Example {
    name: String,
    resource: Resource,
    json: Value,
}

/// Every example whose file name starts with `{resource_type}-`.
fn examples(resource_type: &str) -> Result<Vec<Example>, Box<dyn Error>> {
    let prefix = format!("{resource_type}-");
    let mut found = Vec::new();
    for (name, text) in &package()?.examples {
        if name.starts_with(&prefix) {
            found.push(Example {
                name: name.clone(),
                resource: fhir_model::from_json(text).map_err(|e| format!("{name}: {e}"))?,
                json: serde_json::from_str(text)?,
            });
        }
    }
    Ok(found)
}

/// One example, parsed strictly.
fn example(name: &str) -> Result<Resource, Box<dyn Error>> {
    let text = package()?
        .examples
        .get(name)
        .ok_or_else(|| format!("no example {name}"))?;
    Ok(fhir_model::from_json(text)?)
}

fn eob(resource: &Resource) -> Result<&ExplanationOfBenefit, &'static str> {
    resource.downcast_ref().ok_or("not an ExplanationOfBenefit")
}

/// The value and currency of an amount, for terse assertions.
fn shown(amount: Option<Amount>) -> Option<String> {
    amount.map(|a| a.to_string())
}

fn cents(amount: Option<Amount>) -> Option<i64> {
    amount.and_then(|a| a.to_cents())
}

fn first_code(concept: Option<&CodeableConcept>) -> Option<&str> {
    concept?.coding.first()?.code.as_str()
}

fn reference(reference: Option<&Reference>) -> Option<&str> {
    reference?.reference.as_str()
}

fn date(text: &str) -> Result<Date, fhir_model::Error> {
    Date::parse(text)
}

const PAIDBYPATIENT: AdjudicationCategory =
    AdjudicationCategory::Carin(C4BBAdjudication::Paidbypatient);
const PAIDTOPROVIDER: AdjudicationCategory =
    AdjudicationCategory::Carin(C4BBAdjudication::Paidtoprovider);
const NONCOVERED: AdjudicationCategory = AdjudicationCategory::Carin(C4BBAdjudication::Noncovered);

/// Each EOB example, read through the view, agrees with its JSON read independently:
/// profile by content, claim id, references, line count, and every total and line amount.
#[test]
fn every_eob_example_reads_back_through_the_view() -> TestResult {
    let all = examples("ExplanationOfBenefit")?;
    assert_eq!(all.len(), 10, "EOB examples in CARIN BB 2.0.0");
    for Example {
        name,
        resource,
        json,
    } in &all
    {
        let view = EobView::from_resource(resource).ok_or("not an EOB")?;

        let declared = json["meta"]["profile"][0]
            .as_str()
            .ok_or("no meta.profile")?;
        let canonical = declared.split('|').next();
        assert_eq!(
            view.profile_by_content(),
            canonical,
            "{name}: profile by content"
        );

        let uc = json["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["type"]["coding"][0]["code"] == "uc")
            .and_then(|i| i["value"].as_str());
        assert!(uc.is_some(), "{name}: every example has a unique claim id");
        assert_eq!(
            view.unique_claim_id().and_then(|i| i.value.as_str()),
            uc,
            "{name}: unique claim id"
        );
        assert_eq!(
            reference(view.patient_reference()),
            json["patient"]["reference"].as_str(),
            "{name}: patient"
        );
        assert_eq!(
            reference(view.coverage_reference()),
            json["insurance"][0]["coverage"]["reference"].as_str(),
            "{name}: coverage"
        );

        let json_totals = json["total"].as_array().ok_or("no total")?;
        assert_eq!(view.totals().count(), json_totals.len(), "{name}: totals");
        for total in json_totals {
            let category = category_of(&total["category"])?;
            let amount = view.total(&category);
            assert_eq!(
                amount.as_ref().map(Amount::to_f64),
                total["amount"]["value"].as_f64(),
                "{name}: total {category}"
            );
            assert_eq!(
                amount.as_ref().and_then(Amount::currency),
                total["amount"]["currency"].as_str(),
                "{name}: currency of total {category}"
            );
        }

        let json_items = json["item"].as_array().ok_or("no item")?;
        assert_eq!(
            view.line_items().len(),
            json_items.len(),
            "{name}: line items"
        );
        for (line, item) in view.line_items().zip(json_items) {
            let sequence = line.sequence();
            assert_eq!(sequence.map(u64::from), item["sequence"].as_u64(), "{name}");
            let with_amount: Vec<&Value> = item["adjudication"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["amount"].is_object())
                .collect();
            assert_eq!(
                line.adjudications().count(),
                with_amount.len(),
                "{name}: line {sequence:?} amounts"
            );
            for adjudication in with_amount {
                let category = category_of(&adjudication["category"])?;
                assert_eq!(
                    line.adjudication(&category).as_ref().map(Amount::to_f64),
                    adjudication["amount"]["value"].as_f64(),
                    "{name}: line {sequence:?} {category}"
                );
            }
        }
    }
    Ok(())
}

/// The category of a JSON CodeableConcept, through the library's own coding reader.
fn category_of(concept: &Value) -> Result<AdjudicationCategory, Box<dyn Error>> {
    let mut coding = Coding::default();
    coding.system = concept["coding"][0]["system"]
        .as_str()
        .ok_or("category without system")?
        .into();
    coding.code = concept["coding"][0]["code"]
        .as_str()
        .ok_or("category without code")?
        .into();
    Ok(AdjudicationCategory::from_coding(&coding).ok_or("no category")?)
}

#[test]
fn professional_example_1() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBProfessional1.json")?;
    let view = EobView::new(eob(&resource)?);
    assert_eq!(view.claim_type(), Some(ClaimType::Professional));
    assert_eq!(view.institutional_subtype(), None);
    assert_eq!(view.status(), Some("active"));
    assert_eq!(
        view.unique_claim_id().and_then(|i| i.value.as_str()),
        Some("AW123412341234123412341234123413")
    );
    assert_eq!(
        reference(view.patient_reference()),
        Some("Patient/Patient2")
    );
    assert_eq!(
        reference(view.insurer_reference()),
        Some("Organization/Payer1")
    );
    assert_eq!(
        reference(view.provider_reference()),
        Some("Organization/ProviderOrganization1")
    );
    assert_eq!(
        reference(view.coverage_reference()),
        Some("Coverage/Coverage1")
    );

    let billable = view.billable_period().ok_or("no billablePeriod")?;
    assert_eq!(
        billable.start.value.map(|d| d.to_string()).as_deref(),
        Some("2019-01-01")
    );
    assert_eq!(
        billable.end.value.map(|d| d.to_string()).as_deref(),
        Some("2019-10-31")
    );
    // The one line (2019-07-02) is inside the billable period.
    let dates = view.service_dates();
    assert_eq!(dates.start, Some(date("2019-01-01")?));
    assert_eq!(dates.end, Some(date("2019-10-31")?));

    // Header totals: paidtoprovider 620, submitted 2650, paidbypatient 0 (all USD).
    assert_eq!(shown(view.member_paid()).as_deref(), Some("0 USD"));
    assert_eq!(shown(view.paid_to_provider()).as_deref(), Some("620 USD"));
    // No `benefit` total: what the plan paid is what it paid the provider.
    assert_eq!(shown(view.plan_paid()).as_deref(), Some("620 USD"));
    assert_eq!(
        cents(view.total(&AdjudicationCategory::Submitted)),
        Some(265_000)
    );
    assert_eq!(view.total(&AdjudicationCategory::Benefit), None);
    let categories: Vec<AdjudicationCategory> = view.totals().map(|(c, _)| c).collect();
    assert_eq!(
        categories,
        [
            PAIDTOPROVIDER,
            AdjudicationCategory::Submitted,
            PAIDBYPATIENT
        ]
    );

    // Professional claims carry the benefit payment status per line; the header has the
    // network statuses.
    assert_eq!(
        view.billing_network_status(),
        Some(C4BBPayerAdjudicationStatus::Innetwork)
    );
    assert_eq!(
        view.rendering_network_status(),
        Some(C4BBPayerAdjudicationStatus::Innetwork)
    );
    assert_eq!(
        view.benefit_payment_status(),
        Some(C4BBPayerAdjudicationStatus::OtherCode)
    );
    assert_eq!(view.payment_status(), None);

    let lines: Vec<_> = view.line_items().collect();
    assert_eq!(lines.len(), 1);
    let line = lines[0];
    assert_eq!(line.sequence(), Some(1));
    assert_eq!(first_code(line.product_or_service()), Some("97110"));
    assert_eq!(first_code(line.place_of_service()), Some("11"));
    assert_eq!(line.revenue(), None);
    assert_eq!(line.serviced().start, Some(date("2019-07-02")?));
    assert_eq!(line.serviced().end, Some(date("2019-07-02")?));
    assert_eq!(
        line.benefit_payment_status(),
        Some(C4BBPayerAdjudicationStatus::OtherCode)
    );
    assert_eq!(
        shown(line.adjudication(&AdjudicationCategory::Submitted)).as_deref(),
        Some("1000 USD")
    );
    // The example's line submits 1000 while its total says 2650.
    assert_eq!(
        cents(view.line_items_sum(&AdjudicationCategory::Submitted)),
        Some(100_000)
    );
    Ok(())
}

/// Six lines (three reversed with negative amounts) whose exact sums are the totals.
#[test]
fn professional_example_2_line_sums_are_the_totals() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBProfessional2.json")?;
    let view = EobView::new(eob(&resource)?);
    assert_eq!(view.line_items().len(), 6);
    let summed = [
        AdjudicationCategory::Submitted,
        AdjudicationCategory::Eligible,
        AdjudicationCategory::Deductible,
        AdjudicationCategory::Copay,
        AdjudicationCategory::Benefit,
        NONCOVERED,
    ];
    for category in &summed {
        let total = cents(view.total(category));
        assert!(total.is_some(), "{category}");
        assert_eq!(cents(view.line_items_sum(category)), total, "{category}");
    }
    assert_eq!(
        shown(view.total(&AdjudicationCategory::Eligible)).as_deref(),
        Some("258.91 USD")
    );
    // 68.8 - 68.8 + 68.8 + 751.2 + 751.2 - 751.2, exactly, at the lines' precision.
    assert_eq!(
        shown(view.line_items_sum(&AdjudicationCategory::Submitted)).as_deref(),
        Some("820.0 USD")
    );
    let fourth = view.line_items().nth(3).ok_or("no fourth line")?;
    assert_eq!(first_code(fourth.product_or_service()), Some("37228"));
    assert_eq!(cents(fourth.adjudication(&NONCOVERED)), Some(22_411));
    let sixth = view.line_items().nth(5).ok_or("no sixth line")?;
    assert_eq!(cents(sixth.adjudication(&NONCOVERED)), Some(-22_411));
    // No paidbypatient anywhere: nothing to report, rather than a guessed zero.
    assert_eq!(view.member_paid(), None);
    // memberliability is only a total.
    let liability = AdjudicationCategory::Carin(C4BBAdjudication::Memberliability);
    assert_eq!(view.line_items_sum(&liability), None);
    assert_eq!(shown(view.amount(&liability)).as_deref(), Some("0 USD"));
    Ok(())
}

#[test]
fn transportation_example_dates_and_exact_sums() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBProfessionalTransportation1.json")?;
    let view = EobView::new(eob(&resource)?);
    assert_eq!(
        view.profile_by_content(),
        Some(PROFILE_PROFESSIONAL_NONCLINICIAN)
    );
    // billablePeriod has only a start; the lines give the end.
    assert_eq!(view.billable_period().and_then(|p| p.end.value), None);
    let dates = view.service_dates();
    assert_eq!(dates.start, Some(date("2022-09-10")?));
    assert_eq!(dates.end, Some(date("2022-09-10")?));
    // 40.35 + 42.62 written exactly as the total is.
    assert_eq!(
        view.line_items_sum(&AdjudicationCategory::Submitted),
        view.total(&AdjudicationCategory::Submitted)
    );
    assert_eq!(
        shown(view.total(&AdjudicationCategory::Submitted)).as_deref(),
        Some("82.97 USD")
    );
    assert_eq!(
        first_code(view.line_items().next().and_then(|l| l.place_of_service())),
        Some("41")
    );
    Ok(())
}

#[test]
fn inpatient_examples() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBInpatient1.json")?;
    let view = EobView::new(eob(&resource)?);
    assert_eq!(view.claim_type(), Some(ClaimType::Institutional));
    assert_eq!(
        view.institutional_subtype(),
        Some(C4BBInstitutionalClaimSubType::Inpatient)
    );
    // Institutional claims may adjudicate at the header; here header and total agree.
    assert_eq!(
        shown(view.header_adjudication(&PAIDTOPROVIDER)).as_deref(),
        Some("620 USD")
    );
    assert_eq!(shown(view.paid_to_provider()).as_deref(), Some("620 USD"));
    assert_eq!(
        view.benefit_payment_status(),
        Some(C4BBPayerAdjudicationStatus::Innetwork)
    );
    let line = view.line_items().next().ok_or("no line")?;
    assert_eq!(first_code(line.revenue()), Some("Dummy"));
    assert_eq!(
        first_code(line.product_or_service()),
        Some("not-applicable")
    );
    // The line is dated 2019-11-02, after the billable period's end (2019-10-31).
    let dates = view.service_dates();
    assert_eq!(dates.start, Some(date("2019-01-01")?));
    assert_eq!(dates.end, Some(date("2019-11-02")?));

    let resource = example("ExplanationOfBenefit-EOBInpatient2.json")?;
    let view = EobView::new(eob(&resource)?);
    assert_eq!(view.line_items().len(), 13);
    let revenue: Vec<&str> = view
        .line_items()
        .filter_map(|l| first_code(l.revenue()))
        .collect();
    assert_eq!(
        revenue,
        [
            "0301", "0260", "0305", "0324", "0259", "0250", "0710", "0210", "0272", "0370", "0730",
            "0450", "0481"
        ]
    );
    let first = view.line_items().next().ok_or("no line")?;
    // servicedPeriod with a start only.
    assert_eq!(first.serviced().start, Some(date("2017-05-23")?));
    assert_eq!(first.serviced().end, None);
    assert_eq!(first_code(first.place_of_service()), Some("21"));
    assert_eq!(
        shown(view.total(&AdjudicationCategory::Submitted)).as_deref(),
        Some("7147.2 USD")
    );
    assert_eq!(
        cents(view.total(&AdjudicationCategory::Submitted)),
        Some(714_720)
    );
    assert_eq!(
        cents(view.total(&AdjudicationCategory::Eligible)),
        Some(154_201)
    );
    assert_eq!(
        cents(view.total(&AdjudicationCategory::Benefit)),
        Some(139_357)
    );
    assert_eq!(
        cents(view.total(&AdjudicationCategory::Copay)),
        Some(12_000)
    );
    assert_eq!(view.member_paid(), None);
    assert_eq!(
        view.benefit_payment_status(),
        Some(C4BBPayerAdjudicationStatus::Outofnetwork)
    );
    assert_eq!(
        view.billing_network_status(),
        Some(C4BBPayerAdjudicationStatus::Innetwork)
    );
    Ok(())
}

#[test]
fn outpatient_example_1_header_amount_without_currency() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBOutpatient1.json")?;
    let mut eob = eob(&resource)?.clone();
    let view = EobView::new(&eob);
    assert_eq!(
        view.institutional_subtype(),
        Some(C4BBInstitutionalClaimSubType::Outpatient)
    );
    // The header adjudication paidbypatient has a value but no currency; the total has both.
    let header = view
        .header_adjudication(&PAIDBYPATIENT)
        .ok_or("no header amount")?;
    assert_eq!(header.value().as_str(), "0");
    assert_eq!(header.currency(), None);
    assert_eq!(shown(view.member_paid()).as_deref(), Some("0 USD"));
    // Without totals, the header adjudication is the claim's amount.
    eob.total.clear();
    let view = EobView::new(&eob);
    assert_eq!(shown(view.member_paid()).as_deref(), Some("0"));
    assert_eq!(shown(view.paid_to_provider()).as_deref(), Some("620 USD"));
    Ok(())
}

#[test]
fn plan_paid_is_the_benefit_amount_else_paid_to_provider() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBInpatient1.json")?;
    let mut eob = eob(&resource)?.clone();
    assert_eq!(
        shown(EobView::new(&eob).plan_paid()).as_deref(),
        Some("620 USD")
    );
    let mut benefit = ExplanationOfBenefitTotal::default();
    let mut category = CodeableConcept::default();
    category
        .coding
        .push(AdjudicationCategory::Benefit.to_coding());
    benefit.category = Some(category);
    benefit.amount = Some(usd("700.00")?.to_fhir());
    eob.total.push(benefit);
    assert_eq!(
        shown(EobView::new(&eob).plan_paid()).as_deref(),
        Some("700.00 USD")
    );
    Ok(())
}

#[test]
fn pharmacy_example_dates_and_line_amounts() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBPharmacy1.json")?;
    let mut eob = eob(&resource)?.clone();
    let view = EobView::new(&eob);
    assert_eq!(view.claim_type(), Some(ClaimType::Pharmacy));
    // The fill (2019-07-02) is months before the billable period (2019-10-30..31).
    let dates = view.service_dates();
    assert_eq!(dates.start, Some(date("2019-07-02")?));
    assert_eq!(dates.end, Some(date("2019-10-31")?));
    let line = view.line_items().next().ok_or("no line")?;
    assert_eq!(first_code(line.product_or_service()), Some("0777-3105-02"));
    assert_eq!(line.quantity(), None);
    assert_eq!(cents(line.adjudication(&PAIDTOPROVIDER)), Some(2_000));
    assert_eq!(
        cents(line.adjudication(&C4BBAdjudication::Memberliability.into())),
        Some(8_000)
    );
    // The total (620) wins over the line (20) ...
    assert_eq!(cents(view.paid_to_provider()), Some(62_000));
    // ... and without totals (the header has no amounts) the lines are summed.
    eob.total.clear();
    let view = EobView::new(&eob);
    assert_eq!(shown(view.paid_to_provider()).as_deref(), Some("20 USD"));
    assert_eq!(view.member_paid(), None);
    Ok(())
}

#[test]
fn oral_examples() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBOral1.json")?;
    let view = EobView::new(eob(&resource)?);
    assert_eq!(view.claim_type(), Some(ClaimType::Oral));
    assert_eq!(view.profile_by_content(), Some(PROFILE_ORAL));
    assert_eq!(view.line_items().len(), 2);
    let codes: Vec<&str> = view
        .line_items()
        .filter_map(|l| first_code(l.product_or_service()))
        .collect();
    assert_eq!(codes, ["D1110", "D0120"]);
    // 190 + 220
    assert_eq!(
        shown(view.line_items_sum(&AdjudicationCategory::Submitted)).as_deref(),
        Some("410 USD")
    );
    assert_eq!(
        view.line_items_sum(&AdjudicationCategory::Submitted),
        view.total(&AdjudicationCategory::Submitted)
    );
    assert_eq!(
        cents(view.total(&C4BBAdjudication::Discount.into())),
        Some(6_000)
    );
    assert_eq!(
        view.rendering_network_status(),
        Some(C4BBPayerAdjudicationStatus::Innetwork)
    );

    let resource = example("ExplanationOfBenefit-EOBOral2.json")?;
    let view = EobView::new(eob(&resource)?);
    assert_eq!(shown(view.paid_to_provider()).as_deref(), Some("100 USD"));
    assert_eq!(
        cents(view.total(&AdjudicationCategory::Benefit)),
        Some(11_000)
    );
    Ok(())
}

#[test]
fn coverage_examples() -> TestResult {
    let all = examples("Coverage")?;
    assert_eq!(all.len(), 4, "Coverage examples in CARIN BB 2.0.0");
    for Example {
        name,
        resource,
        json,
    } in &all
    {
        let view = CoverageView::from_resource(resource).ok_or("not a Coverage")?;
        assert_eq!(
            view.member_id().and_then(|i| i.value.as_str()),
            json["identifier"][0]["value"].as_str(),
            "{name}"
        );
        assert_eq!(
            view.subscriber_id(),
            json["subscriberId"].as_str(),
            "{name}"
        );
        assert_eq!(view.relationship(), Some("self"), "{name}");
        assert_eq!(view.status(), Some("active"), "{name}");
        assert_eq!(view.payor_references().len(), 1, "{name}");
        assert!(view.group().is_some() && view.plan().is_some(), "{name}");
    }

    let resource = example("Coverage-Coverage1.json")?;
    let coverage: &Coverage = resource.downcast_ref().ok_or("not a Coverage")?;
    let view = CoverageView::new(coverage);
    assert_eq!(
        view.member_id().and_then(|i| i.value.as_str()),
        Some("88800933501")
    );
    assert_eq!(view.subscriber_id(), Some("888009335"));
    assert_eq!(
        reference(view.beneficiary_reference()),
        Some("Patient/Patient1")
    );
    assert_eq!(
        reference(view.payor_references().first()),
        Some("Organization/Payer2")
    );
    let period = view.period().ok_or("no period")?;
    assert_eq!(
        period.start.value.map(|d| d.to_string()).as_deref(),
        Some("2020-01-01")
    );
    assert_eq!(period.end.value, None);
    let group = view.group().ok_or("no group")?;
    assert_eq!(group.value.as_str(), Some("MCHMO1"));
    assert_eq!(group.name.as_str(), Some("MEDICARE HMO PLAN"));
    let plan = view.plan().ok_or("no plan")?;
    assert_eq!(plan.value.as_str(), Some("GR5"));
    assert_eq!(plan.name.as_str(), Some("GR5-HMO DEDUCTIBLE"));
    assert_eq!(view.coverage_type(), None);

    let resource = example("Coverage-CoverageDental1.json")?;
    let view = CoverageView::from_resource(&resource).ok_or("not a Coverage")?;
    assert_eq!(first_code(view.coverage_type()), Some("DENTAL"));
    assert_eq!(
        view.plan().and_then(|p| p.name.as_str()),
        Some("INSURANCE COMPANY XYZ - PRIME")
    );
    assert_eq!(
        view.group().and_then(|g| g.name.as_str()),
        Some("Transcorp - dental")
    );
    Ok(())
}

#[test]
fn patient_examples() -> TestResult {
    let all = examples("Patient")?;
    assert_eq!(all.len(), 2, "Patient examples in CARIN BB 2.0.0");
    for Example {
        name,
        resource,
        json,
    } in &all
    {
        let view = PatientView::from_resource(resource).ok_or("not a Patient")?;
        assert_eq!(
            view.member_id().and_then(|i| i.value.as_str()),
            json["identifier"][0]["value"].as_str(),
            "{name}"
        );
        assert_eq!(view.gender(), json["gender"].as_str(), "{name}");
        assert_eq!(
            view.birth_date().map(ToString::to_string).as_deref(),
            json["birthDate"].as_str(),
            "{name}"
        );
        assert_eq!(view.address_state(), Some("PA"), "{name}");
    }

    let resource = example("Patient-Patient1.json")?;
    let patient: &Patient = resource.downcast_ref().ok_or("not a Patient")?;
    let view = PatientView::new(patient);
    // Patient1 also has a unique member id (type `um`); the member id is the `MB` one.
    assert_eq!(
        view.member_id().and_then(|i| i.value.as_str()),
        Some("1234-234-1243-12345678901")
    );
    let name = view.name().ok_or("no name")?;
    assert_eq!(name.family.as_str(), Some("Example1"));
    assert_eq!(name.given.first().and_then(|g| g.as_str()), Some("Johnny"));
    assert_eq!(view.birth_date(), Some(&date("1986-01-01")?));
    assert_eq!(view.gender(), Some("male"));
    Ok(())
}

#[test]
fn patient_name_and_state_prefer_official_and_home() -> TestResult {
    let json = r#"{"resourceType":"Patient","name":[
        {"use":"old","family":"Before"},{"family":"Plain"},{"use":"official","family":"Legal"}],
      "address":[{"use":"old","state":"NY"},{"state":"NJ"},{"use":"home","state":"PA"}]}"#;
    let resource = fhir_model::from_json(json)?;
    let view = PatientView::from_resource(&resource).ok_or("not a Patient")?;
    assert_eq!(view.name().and_then(|n| n.family.as_str()), Some("Legal"));
    assert_eq!(view.address_state(), Some("PA"));

    let json = r#"{"resourceType":"Patient","name":[{"use":"old","family":"Before"},{"family":"Plain"}],
      "address":[{"use":"old","state":"NY"},{"state":"NJ"}]}"#;
    let resource = fhir_model::from_json(json)?;
    let view = PatientView::from_resource(&resource).ok_or("not a Patient")?;
    assert_eq!(view.name().and_then(|n| n.family.as_str()), Some("Plain"));
    assert_eq!(view.address_state(), Some("NJ"));
    Ok(())
}

// ---- the Professional NonClinician builder ----

fn coding(system: &str, code: &str) -> Coding {
    let mut coding = Coding::default();
    coding.system = system.into();
    coding.code = code.into();
    coding
}

fn cpt(code: &str) -> Coding {
    coding("http://www.ama-assn.org/go/cpt", code)
}

fn icd10(code: &str) -> Coding {
    coding("http://hl7.org/fhir/sid/icd-10-cm", code)
}

fn usd(value: &str) -> Result<Amount, fhir_model::Error> {
    Ok(Amount::new(Decimal::parse(value)?, "USD"))
}

fn header() -> Result<ProfessionalEobHeader, fhir_model::Error> {
    Ok(ProfessionalEobHeader {
        unique_claim_id: "PROF-2024-000123".to_owned(),
        last_updated: Instant::parse("2024-03-02T08:30:00Z")?,
        created: DateTime::parse("2024-03-01T12:00:00-05:00")?,
        billable_start: DateTime::parse("2024-02-10")?,
        patient: Reference::to_resource("Patient", "member-1"),
        insurer: Reference::to_resource("Organization", "payer-1"),
        provider: Reference::to_resource("Practitioner", "dr-1"),
        coverage: Reference::to_resource("Coverage", "coverage-1"),
        principal_diagnosis: icd10("M54.50"),
    })
}

/// A two-line office visit and therapy claim.
fn built() -> Result<ExplanationOfBenefit, Box<dyn Error>> {
    let office_visit = ProfessionalLine::new(
        cpt("99213"),
        date("2024-02-10")?,
        "11",
        C4BBPayerAdjudicationStatus::Innetwork,
    )
    .quantity(Decimal::from(1))
    .amount(AdjudicationCategory::Submitted, usd("150.00")?)
    .amount(AdjudicationCategory::Eligible, usd("98.12")?)
    .amount(AdjudicationCategory::Copay, usd("25")?)
    .amount(C4BBAdjudication::Paidtoprovider, usd("73.12")?)
    .amount(C4BBAdjudication::Paidbypatient, usd("25.00")?);
    let therapy = ProfessionalLine::new(
        cpt("97110"),
        date("2024-02-12")?,
        "11",
        C4BBPayerAdjudicationStatus::Innetwork,
    )
    .quantity(Decimal::parse("2")?)
    .amount(AdjudicationCategory::Submitted, usd("80.5")?)
    .amount(AdjudicationCategory::Eligible, usd("61.40")?)
    .amount(C4BBAdjudication::Coinsurance, usd("12.28")?)
    .amount(C4BBAdjudication::Paidtoprovider, usd("49.12")?)
    .amount(C4BBAdjudication::Paidbypatient, usd("12.28")?);
    Ok(ProfessionalEobBuilder::new(header()?)
        .id("eob-prof-1")
        .billable_end(DateTime::parse("2024-02-12")?)
        .secondary_diagnosis(icd10("M62.830"))
        .billing_network_status(C4BBPayerAdjudicationStatus::Innetwork)
        .rendering_network_status(C4BBPayerAdjudicationStatus::Outofnetwork)
        .line(office_visit)
        .line(therapy)
        .total(C4BBAdjudication::Memberliability, usd("37.28")?)
        .build()?)
}

#[test]
fn built_professional_eob_round_trips_and_reads_back_every_amount() -> TestResult {
    let resource = Resource::ExplanationOfBenefit(Box::new(built()?));
    let json = fhir_model::to_json(&resource);
    let reparsed = fhir_model::from_json(&json)?;
    assert_eq!(reparsed, resource, "round trip through JSON");
    assert_eq!(fhir_model::to_json(&reparsed), json);

    let view = EobView::from_resource(&reparsed).ok_or("not an EOB")?;
    let meta = view.eob().meta.as_ref().ok_or("no meta")?;
    assert_eq!(
        meta.profile.first().and_then(|p| p.as_str()),
        Some(
            "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician|2.0.0"
        )
    );
    assert_eq!(
        view.profile_by_content(),
        Some(PROFILE_PROFESSIONAL_NONCLINICIAN)
    );
    assert_eq!(view.claim_type(), Some(ClaimType::Professional));
    assert_eq!(view.status(), Some("active"));
    assert_eq!(
        view.unique_claim_id().and_then(|i| i.value.as_str()),
        Some("PROF-2024-000123")
    );
    assert_eq!(
        reference(view.patient_reference()),
        Some("Patient/member-1")
    );
    assert_eq!(
        reference(view.insurer_reference()),
        Some("Organization/payer-1")
    );
    assert_eq!(
        reference(view.provider_reference()),
        Some("Practitioner/dr-1")
    );
    assert_eq!(
        reference(view.coverage_reference()),
        Some("Coverage/coverage-1")
    );
    let dates = view.service_dates();
    assert_eq!(dates.start, Some(date("2024-02-10")?));
    assert_eq!(dates.end, Some(date("2024-02-12")?));
    assert_eq!(
        view.billing_network_status(),
        Some(C4BBPayerAdjudicationStatus::Innetwork)
    );
    assert_eq!(
        view.rendering_network_status(),
        Some(C4BBPayerAdjudicationStatus::Outofnetwork)
    );
    assert_eq!(
        view.benefit_payment_status(),
        Some(C4BBPayerAdjudicationStatus::Innetwork)
    );

    // Totals: exact sums of the lines, at the finer precision, plus the one set directly.
    let totals: Vec<(String, String)> = view
        .totals()
        .map(|(category, amount)| (category.to_string(), amount.to_string()))
        .collect();
    let expected = [
        ("submitted", "230.50 USD"),
        ("eligible", "159.52 USD"),
        ("copay", "25 USD"),
        ("paidtoprovider", "122.24 USD"),
        ("paidbypatient", "37.28 USD"),
        ("coinsurance", "12.28 USD"),
        ("memberliability", "37.28 USD"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
        .collect();
    assert_eq!(totals, expected);
    assert_eq!(cents(view.member_paid()), Some(3_728));
    assert_eq!(cents(view.paid_to_provider()), Some(12_224));

    let lines: Vec<_> = view.line_items().collect();
    assert_eq!(lines.len(), 2);
    let line_amounts = [
        vec![
            ("submitted", "150.00 USD"),
            ("eligible", "98.12 USD"),
            ("copay", "25 USD"),
            ("paidtoprovider", "73.12 USD"),
            ("paidbypatient", "25.00 USD"),
        ],
        vec![
            ("submitted", "80.5 USD"),
            ("eligible", "61.40 USD"),
            ("coinsurance", "12.28 USD"),
            ("paidtoprovider", "49.12 USD"),
            ("paidbypatient", "12.28 USD"),
        ],
    ];
    for ((line, amounts), sequence) in lines.iter().zip(line_amounts).zip(1..) {
        assert_eq!(line.sequence(), Some(sequence));
        assert_eq!(first_code(line.place_of_service()), Some("11"));
        assert_eq!(
            line.benefit_payment_status(),
            Some(C4BBPayerAdjudicationStatus::Innetwork)
        );
        let read: Vec<(String, String)> = line
            .adjudications()
            .map(|(category, amount)| (category.to_string(), amount.to_string()))
            .collect();
        let amounts: Vec<(String, String)> = amounts
            .iter()
            .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
            .collect();
        assert_eq!(read, amounts, "line {sequence}");
    }
    assert_eq!(first_code(lines[0].product_or_service()), Some("99213"));
    assert_eq!(
        lines[1]
            .quantity()
            .and_then(|q| q.value.value.as_ref())
            .map(Decimal::as_str),
        Some("2")
    );
    assert_eq!(lines[1].serviced().start, Some(date("2024-02-12")?));
    Ok(())
}

#[test]
fn builder_refuses_what_the_profile_forbids() -> TestResult {
    let line = || -> Result<ProfessionalLine, Box<dyn Error>> {
        Ok(ProfessionalLine::new(
            cpt("99213"),
            date("2024-02-10")?,
            "11",
            C4BBPayerAdjudicationStatus::Innetwork,
        ))
    };
    assert_eq!(
        ProfessionalEobBuilder::new(header()?).build(),
        Err(BuildError::NoLineItems)
    );
    let bad_outcome = ProfessionalEobBuilder::new(header()?)
        .outcome("approved")
        .line(line()?.amount(AdjudicationCategory::Submitted, usd("1")?))
        .build();
    assert_eq!(
        bad_outcome,
        Err(BuildError::CodeNotAllowed {
            element: "outcome",
            code: "approved".to_owned()
        })
    );
    let no_amount = ProfessionalEobBuilder::new(header()?)
        .line(line()?.amount(AdjudicationCategory::Submitted, usd("1")?))
        .line(line()?)
        .build();
    assert_eq!(
        no_amount,
        Err(BuildError::LineWithoutAmount { sequence: 2 })
    );

    // In the code system, not in the 2.0.0 ValueSet the slice is bound to.
    let outside = ProfessionalEobBuilder::new(header()?)
        .line(line()?.amount(C4BBAdjudication::Paidbypatienthealthaccount, usd("1")?))
        .build();
    assert!(
        matches!(
            &outside,
            Err(BuildError::CodeNotAllowed { code, .. }) if code == "paidbypatienthealthaccount"
        ),
        "{outside:?}"
    );
    let paid_is_not_a_benefit_status = ProfessionalEobBuilder::new(header()?)
        .line(
            ProfessionalLine::new(
                cpt("99213"),
                date("2024-02-10")?,
                "11",
                C4BBPayerAdjudicationStatus::Paid,
            )
            .amount(AdjudicationCategory::Submitted, usd("1")?),
        )
        .build();
    assert!(
        matches!(
            &paid_is_not_a_benefit_status,
            Err(BuildError::CodeNotAllowed { code, .. }) if code == "paid"
        ),
        "{paid_is_not_a_benefit_status:?}"
    );

    let mixed_currencies = ProfessionalEobBuilder::new(header()?)
        .line(line()?.amount(AdjudicationCategory::Submitted, usd("1")?))
        .line(line()?.amount(
            AdjudicationCategory::Submitted,
            Amount::from_cents(100, "CAD"),
        ))
        .build();
    assert_eq!(
        mixed_currencies,
        Err(BuildError::CannotTotal(AdjudicationCategory::Submitted))
    );
    Ok(())
}

// ---- the built EOB against the profile's snapshot ----

/// The JSON values of member `name` of `object`, arrays flattened. `name` may be a choice
/// element (`serviced[x]`), which matches `servicedDate`, `servicedPeriod`, ...
fn members<'a>(object: &'a Value, name: &str) -> Vec<&'a Value> {
    let Some(map) = object.as_object() else {
        return Vec::new();
    };
    let values = match name.strip_suffix("[x]") {
        Some(stem) => map
            .iter()
            .filter(|(key, _)| {
                key.strip_prefix(stem)
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
            })
            .map(|(_, v)| v)
            .collect(),
        None => map.get(name).into_iter().collect::<Vec<_>>(),
    };
    values
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        })
        .collect()
}

/// The JSON values at a dotted element path below `roots` (`item.adjudication`).
fn values_at<'a>(roots: Vec<&'a Value>, path: &str) -> Vec<&'a Value> {
    path.split('.')
        .filter(|segment| !segment.is_empty())
        .fold(roots, |values, segment| {
            values
                .into_iter()
                .flat_map(|v| members(v, segment))
                .collect()
        })
}

/// `instance` has everything `pattern` has (FHIR pattern[x] semantics on JSON).
fn contains(instance: &Value, pattern: &Value) -> bool {
    match (instance, pattern) {
        (Value::Object(i), Value::Object(p)) => p
            .iter()
            .all(|(key, value)| i.get(key).is_some_and(|iv| contains(iv, value))),
        (Value::Array(i), Value::Array(p)) => {
            p.iter().all(|pv| i.iter().any(|iv| contains(iv, pv)))
        }
        _ => instance == pattern,
    }
}

/// The (system, code) pairs of a ValueSet; `(system, None)` stands for a whole system.
type ValueSetCodes = Vec<(String, Option<String>)>;

/// The codes a ValueSet of the package enumerates.
fn value_set_codes(
    definitions: &BTreeMap<String, Value>,
    url: &str,
) -> Result<ValueSetCodes, Box<dyn Error>> {
    let url = url.split('|').next().unwrap_or(url);
    let value_set = definitions
        .get(url)
        .ok_or_else(|| format!("ValueSet {url} not in the package"))?;
    let mut codes = Vec::new();
    for include in value_set["compose"]["include"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for nested in include["valueSet"].as_array().into_iter().flatten() {
            codes.extend(value_set_codes(
                definitions,
                nested.as_str().ok_or("bad valueSet")?,
            )?);
        }
        let Some(system) = include["system"].as_str() else {
            continue;
        };
        match include["concept"].as_array() {
            Some(concepts) => {
                for concept in concepts {
                    let code = concept["code"].as_str().ok_or("concept without code")?;
                    codes.push((system.to_owned(), Some(code.to_owned())));
                }
            }
            None => codes.push((system.to_owned(), None)),
        }
    }
    Ok(codes)
}

/// Whether a JSON CodeableConcept has a coding in `codes`.
fn in_value_set(concept: &Value, codes: &[(String, Option<String>)]) -> bool {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|coding| {
            codes.iter().any(|(system, code)| {
                coding["system"].as_str() == Some(system)
                    && code
                        .as_deref()
                        .is_none_or(|c| coding["code"].as_str() == Some(c))
            })
        })
}

/// The `pattern[x]` of an element, if it has one.
fn pattern_of(element: &Value) -> Option<&Value> {
    element
        .as_object()?
        .iter()
        .find(|(key, _)| key.starts_with("pattern") || key.starts_with("fixed"))
        .map(|(_, v)| v)
}

/// Every element of the Professional NonClinician snapshot with `min >= 1`, checked on
/// the built EOB: top-level elements by count; nested ones in every instance of their
/// parent; and each required slice, by its discriminator (a pattern, a required binding
/// or a type), with the required elements of the instances in it.
#[test]
fn built_professional_eob_has_every_required_element_of_the_snapshot() -> TestResult {
    let package = package()?;
    let profile = package
        .definitions
        .get(PROFILE_PROFESSIONAL_NONCLINICIAN)
        .ok_or("profile not in the package")?;
    let elements = profile["snapshot"]["element"]
        .as_array()
        .ok_or("no snapshot")?;
    let by_id: BTreeMap<&str, &Value> = elements
        .iter()
        .filter_map(|e| Some((e["id"].as_str()?, e)))
        .collect();
    let built = Resource::ExplanationOfBenefit(Box::new(built()?));
    let root: Value = serde_json::from_str(&fhir_model::to_json(&built))?;

    let mut failures = Vec::new();
    let mut top_level = Vec::new();
    let mut checked = 0;
    for element in elements {
        let id = element["id"].as_str().ok_or("element without id")?;
        let min = element["min"].as_u64().ok_or("element without min")?;
        let Some(path) = id.strip_prefix("ExplanationOfBenefit.") else {
            continue;
        };
        if min == 0 || id.contains(':') {
            continue;
        }
        checked += 1;
        let (parent, name) = path.rsplit_once('.').unwrap_or(("", path));
        if parent.is_empty() {
            top_level.push(name);
        }
        for (index, instance) in values_at(vec![&root], parent).into_iter().enumerate() {
            let count = members(instance, name).len() as u64;
            if count < min {
                failures.push(format!("{id}: {count} < min {min} in instance {index}"));
            }
        }
    }

    // Required slices: `base:slice` with min >= 1 (slices within slices are optional here).
    for element in elements {
        let id = element["id"].as_str().ok_or("element without id")?;
        let min = element["min"].as_u64().ok_or("element without min")?;
        let Some((base, slice)) = id.split_once(':') else {
            continue;
        };
        if min == 0 || slice.contains(['.', ':']) {
            continue;
        }
        checked += 1;
        let slicing = by_id
            .get(base)
            .ok_or_else(|| format!("{id}: no sliced element"))?;
        let discriminator = &slicing["slicing"]["discriminator"][0];
        let path = base
            .strip_prefix("ExplanationOfBenefit.")
            .ok_or("bad path")?;
        let (parent, name) = path.rsplit_once('.').unwrap_or(("", path));

        if discriminator["type"] == "type" {
            // `location[x]:locationCodeableConcept`: the member with that name.
            for instance in values_at(vec![&root], parent) {
                if members(instance, slice).len() < min as usize {
                    failures.push(format!("{id}: missing in {instance}"));
                }
            }
            continue;
        }
        let on = discriminator["path"]
            .as_str()
            .ok_or("no discriminator path")?;
        let at = by_id
            .get(format!("{id}.{on}").as_str())
            .ok_or_else(|| format!("{id}: no element for the discriminator"))?;
        let matches: Box<dyn Fn(&Value) -> bool> = match pattern_of(at) {
            Some(pattern) => Box::new(move |v: &Value| contains(&v[on], pattern)),
            None => {
                let value_set = at["binding"]["valueSet"]
                    .as_str()
                    .ok_or_else(|| format!("{id}: neither pattern nor binding"))?;
                let codes = value_set_codes(&package.definitions, value_set)?;
                Box::new(move |v: &Value| in_value_set(&v[on], &codes))
            }
        };
        let required_children: Vec<(&str, u64)> = elements
            .iter()
            .filter_map(|e| {
                let child = e["id"].as_str()?.strip_prefix(id)?.strip_prefix('.')?;
                let min = e["min"].as_u64()?;
                (min > 0 && !child.contains([':', '.'])).then_some((child, min))
            })
            .collect();
        for instance in values_at(vec![&root], parent) {
            let sliced: Vec<&Value> = members(instance, name)
                .into_iter()
                .filter(|v| matches(v))
                .collect();
            if (sliced.len() as u64) < min {
                failures.push(format!("{id}: {} < min {min}", sliced.len()));
            }
            for member in sliced {
                for (child, min) in &required_children {
                    if (members(member, child).len() as u64) < *min {
                        failures.push(format!("{id}.{child}: missing in {member}"));
                    }
                }
            }
        }
    }

    // The profile's required top-level elements, named so a change to the package shows.
    top_level.sort_unstable();
    assert_eq!(
        top_level,
        [
            "billablePeriod",
            "created",
            "diagnosis",
            "identifier",
            "insurance",
            "insurer",
            "item",
            "meta",
            "outcome",
            "patient",
            "provider",
            "status",
            "total",
            "type",
            "use",
        ]
    );
    assert!(
        checked > 40,
        "only {checked} required elements and slices checked"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

/// Vision claims go to the Professional NonClinician profile; content no profile fits
/// matches none.
#[test]
fn profile_by_content_of_other_types() -> TestResult {
    let resource = example("ExplanationOfBenefit-EOBProfessional1.json")?;
    let mut eob = eob(&resource)?.clone();
    let mut with_type = |system: &str, code: &str| -> Result<ExplanationOfBenefit, String> {
        let claim_type = eob.r#type.as_mut().ok_or("no type")?;
        claim_type.coding[0] = coding(system, code);
        Ok(eob.clone())
    };

    let vision = with_type(ClaimType::SYSTEM, "vision")?;
    let view = EobView::new(&vision);
    assert_eq!(view.claim_type(), Some(ClaimType::Vision));
    assert_eq!(
        view.profile_by_content(),
        Some(PROFILE_PROFESSIONAL_NONCLINICIAN)
    );

    let no_subtype = with_type(ClaimType::SYSTEM, "institutional")?;
    assert_eq!(EobView::new(&no_subtype).profile_by_content(), None);

    let unknown = with_type(ClaimType::SYSTEM, "workerscomp")?;
    let view = EobView::new(&unknown);
    assert_eq!(
        view.claim_type(),
        Some(ClaimType::Other("workerscomp".to_owned()))
    );
    assert_eq!(view.profile_by_content(), None);

    let other_system = with_type("http://example.org/claim-types", "professional")?;
    assert_eq!(EobView::new(&other_system).claim_type(), None);
    Ok(())
}
