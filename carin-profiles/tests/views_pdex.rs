//! The PDex 2.0.0 prior authorization view over the package's example and every other EOB
//! example (CARIN BB ones are not prior authorizations), and the builder against the
//! validator.
//!
//! Reads `hl7.fhir.us.davinci-pdex-2.0.0.tgz` and `hl7.fhir.us.carin-bb-2.0.0.tgz` from
//! `$FHIR_PACKAGES_DIR` (default `../shared/fhir-packages` beside the workspace).

mod common;

use std::error::Error;

use carin_profiles::codes::pdex::PriorAuthorizationValueCodes;
use carin_profiles::views::eob::ClaimType;
use carin_profiles::views::pdex::prior_authorization::{
    EobStatus, PROFILE, PriorAuthorizationBuilder, PriorAuthorizationError,
    PriorAuthorizationHeader, PriorAuthorizationItem, PriorAuthorizationView, RemittanceOutcome,
    ReviewAction, X12_SERVICE_TYPE,
};
use carin_profiles::views::{Amount, Span};
use carin_profiles::{validate, validate_as};
use fhir_model::datatypes::{Coding, Reference};
use fhir_model::resources::ExplanationOfBenefit;
use fhir_model::{Date, DateTime, Decimal, Resource};

type TestResult = Result<(), Box<dyn Error>>;

const PDEX: &str = "hl7.fhir.us.davinci-pdex-2.0.0.tgz";
const CARIN: &str = "hl7.fhir.us.carin-bb-2.0.0.tgz";

fn reference(reference: Option<&Reference>) -> Option<&str> {
    reference?.reference.as_str()
}

fn dt(text: &str) -> Result<DateTime, fhir_model::Error> {
    DateTime::parse(text)
}

fn shown(amount: Option<Amount>) -> Option<String> {
    amount.map(|a| a.to_string())
}

fn errors(issues: &[carin_profiles::Issue]) -> Vec<String> {
    issues
        .iter()
        .filter(|i| i.is_error())
        .map(|i| format!("{i} [{}]", i.rule))
        .collect()
}

#[test]
fn every_eob_example_is_read_as_a_prior_authorization_exactly_when_its_use_says() -> TestResult {
    let mut prior_authorizations = 0;
    let mut others = 0;
    for package in [PDEX, CARIN] {
        for example in common::parsed_examples(package)? {
            let Some(view) = PriorAuthorizationView::from_resource(&example.resource) else {
                continue;
            };
            let use_code = example.json["use"].as_str();
            assert_eq!(
                view.is_prior_authorization(),
                use_code == Some("preauthorization"),
                "{}",
                example.file
            );
            assert_eq!(
                view.status().map(|s| s.code().to_owned()).as_deref(),
                example.json["status"].as_str()
            );
            assert_eq!(
                view.outcome().map(|s| s.code().to_owned()).as_deref(),
                example.json["outcome"].as_str()
            );
            assert_eq!(
                view.items().len(),
                example.json["item"].as_array().map_or(0, Vec::len)
            );
            if view.is_prior_authorization() {
                prior_authorizations += 1;
                // Every item of a prior authorization carries the payer's decision.
                assert!(view.items().all(|item| item.review_action().is_some()));
            } else {
                others += 1;
            }
        }
    }
    assert_eq!(prior_authorizations, 1, "PDexPriorAuth1");
    assert_eq!(others, 10, "the CARIN BB EOB examples");
    Ok(())
}

#[test]
fn the_pdex_prior_authorization_example() -> TestResult {
    let example = common::parsed_examples(PDEX)?
        .into_iter()
        .find(|e| e.json["id"] == "PDexPriorAuth1")
        .ok_or("no PDexPriorAuth1")?;
    let issues = validate_as(&example.resource, &format!("{PROFILE}|2.0.0"));
    assert!(errors(&issues).is_empty(), "{:#?}", errors(&issues));

    let view = PriorAuthorizationView::from_resource(&example.resource).ok_or("view")?;
    assert!(view.is_prior_authorization());
    assert_eq!(view.status(), Some(EobStatus::Active));
    assert_eq!(view.outcome(), Some(RemittanceOutcome::Queued));
    assert_eq!(view.claim_type(), Some(ClaimType::Institutional));
    let level = view.level_of_service().ok_or("no level of service")?;
    assert_eq!(
        level.first().map(|c| (c.system, c.code, c.display)),
        Some((
            Some("https://codesystem.x12.org/005010/1338"),
            "U",
            Some("Urgent")
        ))
    );
    assert_eq!(view.created(), Some(dt("2021-09-20T00:00:00+00:00")?));
    assert_eq!(reference(view.patient()), Some("Patient/1"));
    assert_eq!(reference(view.insurer()), Some("Organization/Payer1"));
    assert_eq!(reference(view.provider()), Some("Organization/Payer2"));
    assert_eq!(reference(view.coverage()), Some("Coverage/Coverage1"));
    assert_eq!(
        view.identifiers().first().and_then(|i| i.value.as_str()),
        Some("PA123412341234123412341234")
    );
    let period = Span {
        start: Some(dt("2021-10-01")?),
        end: Some(dt("2021-10-31")?),
    };
    assert_eq!(view.pre_auth_period(), Some(period));
    assert_eq!(view.billable_period(), Some(period));
    assert_eq!(view.pre_auth_refs().count(), 0);
    assert!(view.review().is_none(), "no header adjudication");

    let item = view.items().next().ok_or("no item")?;
    assert_eq!(item.sequence(), Some(1));
    assert_eq!(
        item.category()
            .and_then(|c| c.code_in(X12_SERVICE_TYPE))
            .map(|c| (c.code, c.display)),
        Some(("3", Some("Consultation")))
    );
    assert_eq!(
        item.product_or_service()
            .and_then(|p| p.first())
            .map(|c| c.code),
        Some("BB201")
    );
    let review = item.review().ok_or("no review action")?;
    assert_eq!(review.code(), Some(ReviewAction::CertifiedInTotal));
    assert!(ReviewAction::CertifiedInTotal.is_certified());
    assert_eq!(review.number(), Some("AUTH0001"));
    assert_eq!(review.reason_codes().count(), 0);
    assert_eq!(item.review_action(), Some(ReviewAction::CertifiedInTotal));
    assert_eq!(shown(item.requested()), Some("300.99 USD".to_owned()));
    assert_eq!(item.approved(), None);
    assert_eq!(item.allowed_units(), None);
    assert_eq!(item.denial_reasons().count(), 0);

    // The approved total is given; the requested one is the sum of the items.
    assert_eq!(
        shown(view.total(&PriorAuthorizationValueCodes::Eligible)),
        Some("100 USD".to_owned())
    );
    assert_eq!(view.total(&PriorAuthorizationValueCodes::Submitted), None);
    assert_eq!(shown(view.approved_amount()), Some("100 USD".to_owned()));
    assert_eq!(
        shown(view.requested_amount()),
        Some("300.99 USD".to_owned())
    );
    let utilization = view
        .utilization(&PriorAuthorizationValueCodes::Eligible)
        .ok_or("no utilization")?;
    assert_eq!(utilization.value.as_str(), "1");
    Ok(())
}

// ---- the builder ----

fn coding(system: &str, code: &str) -> Coding {
    let mut coding = Coding::default();
    coding.system = system.into();
    coding.code = code.into();
    coding
}

fn cpt(code: &str) -> Coding {
    coding("http://www.ama-assn.org/go/cpt", code)
}

fn usd(value: &str) -> Result<Amount, fhir_model::Error> {
    Ok(Amount::new(Decimal::parse(value)?, "USD"))
}

fn header() -> Result<PriorAuthorizationHeader, fhir_model::Error> {
    Ok(PriorAuthorizationHeader {
        claim_type: ClaimType::Professional,
        created: dt("2024-03-01T10:00:00-05:00")?,
        patient: Reference::to_resource("Patient", "member-1"),
        insurer: Reference::to_resource("Organization", "payer-1"),
        provider: Reference::to_resource("Practitioner", "dr-1"),
        coverage: Reference::to_resource("Coverage", "coverage-1"),
    })
}

/// An MRI approved in part and physical therapy denied.
fn built() -> Result<ExplanationOfBenefit, Box<dyn Error>> {
    let mri = PriorAuthorizationItem::new(
        cpt("70551"),
        usd("1200.00")?,
        ReviewAction::CertifiedPartial,
    )
    .approved(usd("900.5")?)
    .review_number("AUTH-0001-1")
    .review_reason("AA")
    .category("73")
    .serviced(Date::parse("2024-03-15")?, None)
    .quantity(Decimal::from(1));
    let therapy = PriorAuthorizationItem::new(
        coding(
            "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
            "G0283",
        ),
        usd("240")?,
        ReviewAction::NotCertified,
    )
    .category("PT")
    .serviced(Date::parse("2024-03-18")?, Some(Date::parse("2024-04-18")?))
    .quantity(Decimal::from(12))
    .review_reason("AK");
    Ok(PriorAuthorizationBuilder::new(header()?)
        .id("pa-1")
        .pre_auth_ref("AUTH-0001")
        .pre_auth_period(dt("2024-03-15")?, Some(dt("2024-06-15")?))
        .item(mri)
        .item(therapy)
        .build()?)
}

#[test]
fn built_prior_authorization_validates_and_reads_back() -> TestResult {
    let resource = Resource::ExplanationOfBenefit(Box::new(built()?));
    let issues = validate_as(&resource, &format!("{PROFILE}|2.0.0"));
    assert!(errors(&issues).is_empty(), "{:#?}", errors(&issues));
    // `validate` chooses the PDex profile by `use`.
    let issues = validate(&resource);
    assert!(issues[0].message.contains(PROFILE), "{}", issues[0]);
    assert!(errors(&issues).is_empty(), "{:#?}", errors(&issues));

    let json = fhir_model::to_json(&resource);
    let reparsed = fhir_model::from_json(&json)?;
    assert_eq!(reparsed, resource, "round trip through JSON");
    let view = PriorAuthorizationView::from_resource(&reparsed).ok_or("view")?;
    assert!(view.is_prior_authorization());
    assert_eq!(view.status(), Some(EobStatus::Active));
    assert_eq!(view.outcome(), Some(RemittanceOutcome::Complete));
    assert_eq!(view.claim_type(), Some(ClaimType::Professional));
    assert_eq!(view.pre_auth_refs().collect::<Vec<_>>(), ["AUTH-0001"]);
    assert_eq!(
        view.pre_auth_period(),
        Some(Span {
            start: Some(dt("2024-03-15")?),
            end: Some(dt("2024-06-15")?),
        })
    );
    assert_eq!(reference(view.coverage()), Some("Coverage/coverage-1"));

    let items: Vec<_> = view.items().collect();
    assert_eq!(items.len(), 2);
    let (mri, therapy) = (items[0], items[1]);
    assert_eq!((mri.sequence(), therapy.sequence()), (Some(1), Some(2)));
    assert_eq!(mri.review_action(), Some(ReviewAction::CertifiedPartial));
    let review = mri.review().ok_or("no review")?;
    assert_eq!(review.number(), Some("AUTH-0001-1"));
    assert_eq!(
        review
            .reason_codes()
            .next()
            .and_then(|r| r.first())
            .map(|c| c.code),
        Some("AA")
    );
    assert_eq!(shown(mri.requested()), Some("1200.00 USD".to_owned()));
    assert_eq!(shown(mri.approved()), Some("900.5 USD".to_owned()));
    assert_eq!(mri.serviced().start, Some(Date::parse("2024-03-15")?));
    assert_eq!(mri.quantity().map(|q| q.value.as_str()), Some("1"));
    assert_eq!(therapy.review_action(), Some(ReviewAction::NotCertified));
    assert!(!ReviewAction::NotCertified.is_certified());
    assert_eq!(therapy.approved(), None);
    assert_eq!(therapy.serviced().end, Some(Date::parse("2024-04-18")?));
    assert_eq!(
        therapy
            .review()
            .and_then(|r| r.reason_codes().next())
            .and_then(|r| r.first())
            .map(|c| c.code),
        Some("AK")
    );
    assert_eq!(therapy.denial_reasons().count(), 0);

    // Totals: the exact sums, at the finer precision.
    assert_eq!(
        shown(view.total(&PriorAuthorizationValueCodes::Submitted)),
        Some("1440.00 USD".to_owned())
    );
    assert_eq!(
        shown(view.requested_amount()),
        Some("1440.00 USD".to_owned())
    );
    assert_eq!(shown(view.approved_amount()), Some("900.5 USD".to_owned()));
    Ok(())
}

#[test]
fn prior_authorization_builder_refuses_what_the_profile_forbids() -> TestResult {
    let item = || -> Result<PriorAuthorizationItem, fhir_model::Error> {
        Ok(PriorAuthorizationItem::new(
            cpt("70551"),
            usd("100")?,
            ReviewAction::CertifiedInTotal,
        ))
    };
    assert_eq!(
        PriorAuthorizationBuilder::new(header()?).build(),
        Err(PriorAuthorizationError::NoItems)
    );
    // LOINC is not in PDexPAInstitutionalProcedureCodesVS.
    let loinc = PriorAuthorizationItem::new(
        coding("http://loinc.org", "24558-9"),
        usd("100")?,
        ReviewAction::CertifiedInTotal,
    );
    assert_eq!(
        PriorAuthorizationBuilder::new(header()?)
            .item(loinc)
            .build(),
        Err(PriorAuthorizationError::CodeNotAllowed {
            element: "item.productOrService",
            code: "http://loinc.org#24558-9".to_owned()
        })
    );
    // The validator agrees.
    let mut eob = PriorAuthorizationBuilder::new(header()?)
        .item(item()?)
        .build()?;
    if let Some(coding) = eob.item[0]
        .product_or_service
        .as_mut()
        .and_then(|p| p.coding.first_mut())
    {
        coding.system = "http://loinc.org".into();
    }
    let issues = validate_as(
        &Resource::ExplanationOfBenefit(Box::new(eob)),
        &format!("{PROFILE}|2.0.0"),
    );
    assert!(
        issues
            .iter()
            .any(|i| i.is_error() && i.location.contains("productOrService")),
        "{:#?}",
        errors(&issues)
    );

    let unknown_action =
        PriorAuthorizationItem::new(cpt("70551"), usd("1")?, ReviewAction::from_code("A9"));
    assert!(matches!(
        PriorAuthorizationBuilder::new(header()?).item(unknown_action).build(),
        Err(PriorAuthorizationError::CodeNotAllowed { code, .. }) if code == "A9"
    ));
    assert_eq!(
        PriorAuthorizationBuilder::new(header()?)
            .status(EobStatus::from_code("approved"))
            .item(item()?)
            .build(),
        Err(PriorAuthorizationError::CodeNotAllowed {
            element: "status",
            code: "approved".to_owned()
        })
    );
    assert_eq!(
        PriorAuthorizationBuilder::new(header()?)
            .outcome(RemittanceOutcome::from_code("approved"))
            .item(item()?)
            .build(),
        Err(PriorAuthorizationError::CodeNotAllowed {
            element: "outcome",
            code: "approved".to_owned()
        })
    );
    let mut other_type = header()?;
    other_type.claim_type = ClaimType::from_code("dental");
    assert_eq!(
        PriorAuthorizationBuilder::new(other_type)
            .item(item()?)
            .build(),
        Err(PriorAuthorizationError::CodeNotAllowed {
            element: "type",
            code: "dental".to_owned()
        })
    );
    let cad = PriorAuthorizationItem::new(
        cpt("70551"),
        Amount::from_cents(100, "CAD"),
        ReviewAction::Pended,
    );
    assert_eq!(
        PriorAuthorizationBuilder::new(header()?)
            .item(item()?)
            .item(cad)
            .build(),
        Err(PriorAuthorizationError::CannotTotal("submitted"))
    );
    Ok(())
}

/// The profile's slices `denialreason`, `allowedunits` and `consumedunits` use category
/// codes outside the base element's required binding (an IG defect). An occurrence that
/// matches a slice is validated against the slice's definition, which allows its own
/// code, so an EOB using the slice validates.
#[test]
fn pdex_discriminator_slices_validate_against_their_own_definition() -> TestResult {
    let mut eob = PriorAuthorizationBuilder::new(header()?)
        .item(PriorAuthorizationItem::new(
            cpt("70551"),
            usd("100")?,
            ReviewAction::NotCertified,
        ))
        .build()?;
    let mut denial = eob.item[0].adjudication[0].clone();
    denial.extension.clear();
    denial.amount = None;
    denial.category = Some({
        let mut c = fhir_model::datatypes::CodeableConcept::default();
        c.coding.push(
            carin_profiles::codes::pdex::PDexAdjudicationDiscriminator::Denialreason.to_coding(),
        );
        c
    });
    denial.reason = Some({
        let mut c = fhir_model::datatypes::CodeableConcept::default();
        c.coding.push(coding(
            "https://x12.org/codes/claim-adjustment-reason-codes",
            "50",
        ));
        c
    });
    eob.item[0].adjudication.push(denial);
    let issues = validate_as(
        &Resource::ExplanationOfBenefit(Box::new(eob)),
        &format!("{PROFILE}|2.0.0"),
    );
    let errors = errors(&issues);
    assert!(errors.is_empty(), "{errors:#?}");
    Ok(())
}

#[test]
fn minimal_built_prior_authorization_validates_in_every_review_action() -> TestResult {
    for action in [
        ReviewAction::CertifiedInTotal,
        ReviewAction::CertifiedPartial,
        ReviewAction::NotCertified,
        ReviewAction::Pended,
        ReviewAction::Modified,
        ReviewAction::Cancelled,
        ReviewAction::ContactPayer,
        ReviewAction::NoActionRequired,
    ] {
        let eob = PriorAuthorizationBuilder::new(header()?)
            .outcome(RemittanceOutcome::Queued)
            .item(PriorAuthorizationItem::new(
                cpt("99213"),
                usd("80")?,
                action.clone(),
            ))
            .build()?;
        let issues = validate_as(
            &Resource::ExplanationOfBenefit(Box::new(eob.clone())),
            &format!("{PROFILE}|2.0.0"),
        );
        assert!(
            errors(&issues).is_empty(),
            "{action:?}: {:#?}",
            errors(&issues)
        );
        let view = PriorAuthorizationView::new(&eob);
        assert_eq!(
            view.items().next().and_then(|i| i.review_action()),
            Some(action)
        );
    }
    Ok(())
}
