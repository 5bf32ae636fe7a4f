//! The Plan-Net 1.1.0 views over every example of their resource types, specific values of
//! specific examples (extensions included), and the PractitionerRole builder against the
//! validator.
//!
//! Reads `hl7.fhir.us.davinci-pdex-plan-net.tgz` from `$FHIR_PACKAGES_DIR` (default
//! `../shared/fhir-packages` beside the workspace).

mod common;

use std::error::Error;
use std::sync::OnceLock;

use carin_profiles::codes::plan_net::{
    AcceptingPatientsCS, AccessibilityCS, DeliveryMethodCS, EndpointConnectionTypeCS,
    HealthcareServiceCategoryCS, InsurancePlanTypeCS, InsuranceProductTypeCS, OrgTypeCS,
    OrganizationAffiliationRoleCS, ProviderRoleCS, QualificationStatusCS, VirtualModalitiesCS,
};
use carin_profiles::validate_as;
use carin_profiles::views::plan_net::endpoint::{EndpointStatus, EndpointView};
use carin_profiles::views::plan_net::healthcare_service::HealthcareServiceView;
use carin_profiles::views::plan_net::insurance_plan::{InsurancePlanView, PublicationStatus};
use carin_profiles::views::plan_net::location::{LocationStatus, LocationView};
use carin_profiles::views::plan_net::organization::{
    OrganizationView, PROFILE_NETWORK, PROFILE_ORGANIZATION,
};
use carin_profiles::views::plan_net::organization_affiliation::OrganizationAffiliationView;
use carin_profiles::views::plan_net::practitioner_role::{
    PROFILE, PractitionerRoleBuilder, PractitionerRoleError, PractitionerRoleView,
};
use carin_profiles::views::plan_net::{
    AvailableTime, ContactPointSystem, DayOfWeek, NUCC, address_geolocation,
};
use common::Example;
use fhir_model::datatypes::{Address, Extension, OpenType, Reference};
use fhir_model::resources::PractitionerRole;
use fhir_model::{Decimal, Instant, Resource, Time};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const PACKAGE: &str = "hl7.fhir.us.davinci-pdex-plan-net.tgz";

/// Every example resource of the package, read once per test binary.
fn all_examples() -> Result<&'static [Example], String> {
    static EXAMPLES: OnceLock<Result<Vec<Example>, String>> = OnceLock::new();
    EXAMPLES
        .get_or_init(|| common::parsed_examples(PACKAGE).map_err(|e| e.to_string()))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The example with this resource type and id.
fn example(resource_type: &str, id: &str) -> Result<&'static Resource, String> {
    all_examples()?
        .iter()
        .find(|e| e.json["resourceType"] == resource_type && e.json["id"] == id)
        .map(|e| &e.resource)
        .ok_or_else(|| format!("no example {resource_type}/{id}"))
}

fn reference(reference: Option<&Reference>) -> Option<&str> {
    reference?.reference.as_str()
}

fn references(references: &[Reference]) -> Vec<&str> {
    references
        .iter()
        .filter_map(|r| r.reference.as_str())
        .collect()
}

/// The `reference`s of a JSON array of References.
fn json_references(json: &Value) -> Vec<&str> {
    json.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["reference"].as_str())
        .collect()
}

/// The values of the extensions of `json` with this URL.
fn json_extensions<'a>(json: &'a Value, url: &str) -> Vec<&'a Value> {
    json["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["url"] == url)
        .collect()
}

fn time(text: &str) -> Result<Time, fhir_model::Error> {
    Time::parse(text)
}

const WEEKDAYS: [DayOfWeek; 5] = [
    DayOfWeek::Mon,
    DayOfWeek::Tue,
    DayOfWeek::Wed,
    DayOfWeek::Thu,
    DayOfWeek::Fri,
];

// ---- every example of each type ----

#[test]
fn every_plan_net_example_reads_back_through_its_view() -> TestResult {
    let mut read = std::collections::BTreeMap::<&str, usize>::new();
    for Example {
        file,
        resource,
        json,
    } in all_examples()?
    {
        let resource_type = json["resourceType"].as_str().ok_or("no resourceType")?;
        let new_patients =
            json_extensions(json, carin_profiles::views::plan_net::ext::NEW_PATIENTS);
        let json_telecom = json["telecom"].as_array().map_or(0, Vec::len);
        match resource_type {
            "PractitionerRole" => {
                let view = PractitionerRoleView::from_resource(resource).ok_or("view")?;
                assert_eq!(view.active(), json["active"].as_bool(), "{file}");
                assert_eq!(
                    reference(view.practitioner()),
                    json["practitioner"]["reference"].as_str()
                );
                assert_eq!(
                    reference(view.organization()),
                    json["organization"]["reference"].as_str()
                );
                assert_eq!(
                    references(view.locations()),
                    json_references(&json["location"]),
                    "{file}"
                );
                assert_eq!(
                    references(view.healthcare_services()),
                    json_references(&json["healthcareService"]),
                    "{file}"
                );
                let network = json_extensions(
                    json,
                    carin_profiles::views::plan_net::ext::NETWORK_REFERENCE,
                );
                assert_eq!(
                    reference(view.network()),
                    network
                        .first()
                        .and_then(|n| n["valueReference"]["reference"].as_str()),
                    "{file}: network"
                );
                let specialties: Vec<&str> = json["specialty"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["coding"][0]["code"].as_str())
                    .collect();
                assert_eq!(
                    view.specialty_codes().map(|c| c.code).collect::<Vec<_>>(),
                    specialties,
                    "{file}: specialties"
                );
                assert_eq!(
                    view.provider_roles().count(),
                    json["code"].as_array().map_or(0, Vec::len)
                );
                assert_eq!(view.new_patients().count(), new_patients.len(), "{file}");
                assert_eq!(view.telecoms().count(), json_telecom, "{file}");
            }
            "Location" => {
                let view = LocationView::from_resource(resource).ok_or("view")?;
                assert_eq!(view.status(), Some(LocationStatus::Active), "{file}");
                assert_eq!(view.name(), json["name"].as_str(), "{file}");
                assert_eq!(
                    view.address().and_then(|a| a.city.as_str()),
                    json["address"]["city"].as_str(),
                    "{file}"
                );
                assert_eq!(
                    view.position()
                        .map(|p| (p.latitude.to_f64(), p.longitude.to_f64())),
                    json["position"]["latitude"]
                        .as_f64()
                        .zip(json["position"]["longitude"].as_f64()),
                    "{file}: position"
                );
                assert_eq!(
                    view.hours_of_operation().count(),
                    json["hoursOfOperation"].as_array().map_or(0, Vec::len),
                    "{file}"
                );
                for (hours, json_hours) in view
                    .hours_of_operation()
                    .zip(json["hoursOfOperation"].as_array().into_iter().flatten())
                {
                    let days: Vec<&str> = json_hours["daysOfWeek"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    assert_eq!(
                        hours.days.iter().map(DayOfWeek::code).collect::<Vec<_>>(),
                        days
                    );
                    assert_eq!(hours.all_day, json_hours["allDay"].as_bool());
                    assert_eq!(
                        hours.start,
                        json_hours["openingTime"].as_str().map(time).transpose()?
                    );
                }
                assert_eq!(
                    view.accessibility().count(),
                    json_extensions(json, carin_profiles::views::plan_net::ext::ACCESSIBILITY)
                        .len(),
                    "{file}"
                );
                assert_eq!(view.new_patients().count(), new_patients.len(), "{file}");
                assert_eq!(view.telecoms().count(), json_telecom, "{file}");
            }
            "Organization" => {
                let view = OrganizationView::from_resource(resource).ok_or("view")?;
                let declared = json["meta"]["profile"][0].as_str().ok_or("no profile")?;
                assert_eq!(
                    view.profile_by_content(),
                    declared,
                    "{file}: profile by content"
                );
                assert_eq!(view.name(), json["name"].as_str(), "{file}");
                assert_eq!(view.active(), Some(true), "{file}");
                assert_eq!(
                    reference(view.part_of()),
                    json["partOf"]["reference"].as_str()
                );
                assert_eq!(
                    view.addresses().len(),
                    json["address"].as_array().map_or(0, Vec::len)
                );
                assert_eq!(
                    view.contacts().count(),
                    json["contact"].as_array().map_or(0, Vec::len)
                );
                assert_eq!(view.telecoms().count(), json_telecom, "{file}");
            }
            "InsurancePlan" => {
                let view = InsurancePlanView::from_resource(resource).ok_or("view")?;
                assert_eq!(view.status(), Some(PublicationStatus::Active));
                assert_eq!(view.name(), json["name"].as_str());
                assert_eq!(
                    view.product_type().map(|t| t.code().to_owned()).as_deref(),
                    json["type"][0]["coding"][0]["code"].as_str()
                );
                assert_eq!(
                    references(view.networks()),
                    json_references(&json["network"])
                );
                assert_eq!(
                    references(view.coverage_areas()),
                    json_references(&json["coverageArea"])
                );
                assert_eq!(
                    reference(view.owned_by()),
                    json["ownedBy"]["reference"].as_str()
                );
                assert_eq!(
                    view.plans().count(),
                    json["plan"].as_array().map_or(0, Vec::len)
                );
            }
            "Endpoint" => {
                let view = EndpointView::from_resource(resource).ok_or("view")?;
                assert_eq!(view.status(), Some(EndpointStatus::Active));
                assert_eq!(view.address(), json["address"].as_str());
                assert_eq!(
                    view.connection_type().map(|c| c.code),
                    json["connectionType"]["code"].as_str()
                );
            }
            "HealthcareService" => {
                let view = HealthcareServiceView::from_resource(resource).ok_or("view")?;
                assert_eq!(view.active(), Some(true), "{file}");
                assert_eq!(
                    view.category().map(|c| c.code().to_owned()).as_deref(),
                    json["category"][0]["coding"][0]["code"].as_str(),
                    "{file}"
                );
                assert_eq!(
                    reference(view.provided_by()),
                    json["providedBy"]["reference"].as_str()
                );
                assert_eq!(
                    references(view.locations()),
                    json_references(&json["location"])
                );
                assert_eq!(
                    view.delivery_methods().count(),
                    json_extensions(json, carin_profiles::views::plan_net::ext::DELIVERY_METHOD)
                        .len(),
                    "{file}"
                );
                assert!(
                    view.delivery_methods().all(|m| m.method().is_some()),
                    "{file}"
                );
                assert_eq!(view.new_patients().count(), new_patients.len(), "{file}");
                assert_eq!(view.telecoms().count(), json_telecom, "{file}");
            }
            "OrganizationAffiliation" => {
                let view = OrganizationAffiliationView::from_resource(resource).ok_or("view")?;
                assert_eq!(view.active(), Some(true));
                assert_eq!(
                    reference(view.organization()),
                    json["organization"]["reference"].as_str()
                );
                assert_eq!(
                    reference(view.participating_organization()),
                    json["participatingOrganization"]["reference"].as_str()
                );
                assert_eq!(
                    references(view.networks()),
                    json_references(&json["network"])
                );
                // HartfordOrthopedicAffil uses the core organization-role code system,
                // which the extensible binding allows.
                assert_eq!(
                    view.roles()
                        .map(|r| r.code().to_owned())
                        .collect::<Vec<_>>(),
                    json["code"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| &c["coding"][0])
                        .filter(|c| c["system"] == OrganizationAffiliationRoleCS::SYSTEM)
                        .filter_map(|c| c["code"].as_str())
                        .collect::<Vec<_>>(),
                    "{file}"
                );
                assert_eq!(
                    view.codes().count(),
                    json["code"].as_array().map_or(0, Vec::len)
                );
            }
            _ => continue,
        }
        *read.entry(resource_type).or_default() += 1;
        // Every accepting-patients code in the examples is one the code system defines.
        for n in &new_patients {
            let code = n["extension"][0]["valueCodeableConcept"]["coding"][0]["code"].as_str();
            assert!(
                code.is_some_and(|c| !matches!(
                    AcceptingPatientsCS::from_code(c),
                    AcceptingPatientsCS::Other(_)
                )),
                "{file}: {code:?}"
            );
        }
    }
    let expected = [
        ("Endpoint", 1),
        ("HealthcareService", 10),
        ("InsurancePlan", 2),
        ("Location", 9),
        ("Organization", 11),
        ("OrganizationAffiliation", 7),
        ("PractitionerRole", 6),
    ];
    assert_eq!(read.into_iter().collect::<Vec<_>>(), expected);
    Ok(())
}

// ---- specific values of specific examples ----

#[test]
fn practitioner_role_examples() -> TestResult {
    let hans = PractitionerRoleView::from_resource(example("PractitionerRole", "HansSoloRole1")?)
        .ok_or("view")?;
    assert_eq!(hans.active(), Some(true));
    assert_eq!(
        reference(hans.practitioner()),
        Some("Practitioner/HansSolo")
    );
    assert_eq!(
        reference(hans.network()),
        Some("Organization/AcmeofCTStdNet")
    );
    assert_eq!(
        hans.provider_roles().collect::<Vec<_>>(),
        [ProviderRoleCS::Ph]
    );
    assert_eq!(
        hans.specialty_codes()
            .map(|c| (c.code, c.display))
            .collect::<Vec<_>>(),
        [("207R00000X", Some("Internal Medicine Physician"))]
    );
    assert_eq!(references(hans.locations()), ["Location/HansSoloClinic"]);
    assert_eq!(
        references(hans.healthcare_services()),
        ["HealthcareService/HansSoloService"]
    );
    let qualification = hans.qualifications().next().ok_or("no qualification")?;
    assert_eq!(
        qualification
            .code()
            .and_then(|c| c.code_in(NUCC))
            .map(|c| c.code),
        Some("207R00000X")
    );
    assert_eq!(qualification.status(), Some(QualificationStatusCS::Active));
    assert_eq!(
        qualification.issuer().and_then(|i| i.display.as_str()),
        Some("American Board of Internal Medicine")
    );
    assert_eq!(qualification.period(), None);
    // No example says whether the practitioner takes new patients.
    assert_eq!(hans.accepting_new_patients(), None);

    let cardiology =
        PractitionerRoleView::from_resource(example("PractitionerRole", "JoeSmithRole3")?)
            .ok_or("view")?;
    assert_eq!(
        cardiology
            .specialty_codes()
            .map(|c| c.code)
            .collect::<Vec<_>>(),
        ["207R00000X", "207RC0000X"]
    );
    assert_eq!(cardiology.provider_roles().next(), Some(ProviderRoleCS::Ap));
    assert_eq!(cardiology.practitioner(), None);
    assert_eq!(
        reference(cardiology.organization()),
        Some("Organization/Hospital")
    );
    Ok(())
}

#[test]
fn location_examples() -> TestResult {
    let pharmacy = LocationView::from_resource(example("Location", "PharmLoc1")?).ok_or("view")?;
    assert_eq!(pharmacy.name(), Some("OrgA CT Location 1"));
    assert_eq!(
        pharmacy.accepting_new_patients(),
        Some(AcceptingPatientsCS::Existptonly)
    );
    let new_patients = pharmacy.new_patients().next().ok_or("no newpatients")?;
    assert_eq!(
        reference(new_patients.from_network()),
        Some("Organization/AcmeofCTStdNet")
    );
    assert_eq!(new_patients.characteristics().count(), 0);
    assert_eq!(
        pharmacy.accessibility().collect::<Vec<_>>(),
        [AccessibilityCS::Adacomp, AccessibilityCS::Pubtrans]
    );
    let address = pharmacy.address().ok_or("no address")?;
    assert_eq!(
        address.line.first().and_then(|l| l.as_str()),
        Some("123 Main Street")
    );
    assert_eq!(address.state.as_str(), Some("CT"));
    assert_eq!(address.postal_code.as_str(), Some("00014-1234"));
    let position = pharmacy.position().ok_or("no position")?;
    assert_eq!(
        (position.latitude.as_str(), position.longitude.as_str()),
        ("15", "3")
    );
    assert_eq!(
        reference(pharmacy.managing_organization()),
        Some("Organization/BigBox")
    );
    // Open all day on weekdays, 8 to 5 at weekends.
    let hours: Vec<AvailableTime> = pharmacy.hours_of_operation().collect();
    assert_eq!(
        hours,
        [
            AvailableTime::all_day(&WEEKDAYS),
            AvailableTime::hours(
                &[DayOfWeek::Sat, DayOfWeek::Sun],
                time("08:00:00")?,
                time("17:00:00")?
            ),
        ]
    );
    assert!(hours[1].includes(&DayOfWeek::Sun) && !hours[1].includes(&DayOfWeek::Mon));
    // The phone line's hours are in the contactpoint-availabletime extension.
    let phone = pharmacy.telecoms().next().ok_or("no telecom")?;
    assert_eq!(phone.system(), Some(ContactPointSystem::Phone));
    assert_eq!(phone.value(), Some("(111)-222-3333"));
    assert_eq!(phone.rank(), Some(2));
    assert_eq!(phone.available_times(), hours);
    let web = pharmacy.telecoms().nth(1).ok_or("no second telecom")?;
    assert_eq!(
        (web.system(), web.rank()),
        (Some(ContactPointSystem::Url), Some(1))
    );
    assert!(web.available_times().is_empty());

    // The sub-extensions of this one come in an odd order (allDay between the days).
    let hospital = LocationView::from_resource(example("Location", "HospLoc1")?).ok_or("view")?;
    let phone = hospital.telecoms().next().ok_or("no telecom")?;
    let every_day = AvailableTime::all_day(&[
        DayOfWeek::Mon,
        DayOfWeek::Tue,
        DayOfWeek::Wed,
        DayOfWeek::Thu,
        DayOfWeek::Fri,
        DayOfWeek::Sat,
        DayOfWeek::Sun,
    ]);
    assert_eq!(phone.available_times(), [every_day]);
    assert_eq!(hospital.accepting_new_patients(), None);

    let state =
        LocationView::from_resource(example("Location", "StateOfCTLocation")?).ok_or("view")?;
    let boundary = state.boundary_geojson().ok_or("no boundary")?;
    assert_eq!(boundary.content_type.as_str(), Some("application/json"));
    assert!(
        boundary
            .data
            .as_str()
            .is_some_and(|d| d.starts_with("eyAidHlwZSI6ICJGZWF0dXJlIi"))
    );
    Ok(())
}

#[test]
fn organization_and_network_examples() -> TestResult {
    let acme = OrganizationView::from_resource(example("Organization", "Acme")?).ok_or("view")?;
    assert!(!acme.is_network());
    assert_eq!(acme.profile_by_content(), PROFILE_ORGANIZATION);
    assert_eq!(acme.org_types().collect::<Vec<_>>(), [OrgTypeCS::Payer]);
    assert_eq!(
        acme.description(),
        Some("Acme of CT is a leading provider of health and other insurance products.")
    );
    let phone = acme.telecoms().next().ok_or("no telecom")?;
    assert_eq!(
        phone.available_times(),
        [AvailableTime::hours(
            &WEEKDAYS,
            time("08:00:00")?,
            time("17:00:00")?
        )]
    );
    assert_eq!(acme.addresses()[0].city.as_str(), Some("Norwalk"));
    assert_eq!(address_geolocation(&acme.addresses()[0]), None);

    let network = OrganizationView::from_resource(example("Organization", "AcmeofCTStdNet")?)
        .ok_or("view")?;
    assert!(network.is_network());
    assert_eq!(network.profile_by_content(), PROFILE_NETWORK);
    assert_eq!(network.name(), Some("ACME CT Preferred Provider Network"));
    assert_eq!(reference(network.part_of()), Some("Organization/Acme"));
    let contact = network.contacts().next().ok_or("no contact")?;
    assert_eq!(
        contact.name().and_then(|n| n.family.as_str()),
        Some("Kawasaki")
    );
    let telecom = contact.telecoms().next().ok_or("no contact telecom")?;
    assert_eq!(
        reference(telecom.via_intermediary()),
        Some("Organization/Acme")
    );
    assert_eq!(telecom.value(), None);

    let hospital =
        OrganizationView::from_resource(example("Organization", "Hospital")?).ok_or("view")?;
    assert_eq!(hospital.npi(), Some("NPI456"));
    assert_eq!(hospital.org_types().next(), Some(OrgTypeCS::Fac));
    Ok(())
}

#[test]
fn insurance_plan_and_endpoint_examples() -> TestResult {
    let bronze = InsurancePlanView::from_resource(example("InsurancePlan", "AcmeQHPBronze")?)
        .ok_or("view")?;
    assert_eq!(bronze.name(), Some("Acme of CT QHP Bronze"));
    assert_eq!(bronze.product_type(), Some(InsuranceProductTypeCS::Qhp));
    assert_eq!(
        references(bronze.networks()),
        ["Organization/AcmeofCTStdNet"]
    );
    assert_eq!(
        references(bronze.coverage_areas()),
        ["Location/StateOfCTLocation"]
    );
    assert_eq!(
        reference(bronze.administered_by()),
        Some("Organization/Acme")
    );
    assert_eq!(
        references(bronze.endpoints()),
        ["Endpoint/AcmeOfCTPortalEndpoint"]
    );
    let plan = bronze.plans().next().ok_or("no plan")?;
    assert_eq!(plan.plan_type_code(), Some(InsurancePlanTypeCS::Bronze));
    assert_eq!(
        plan.plan_type()
            .and_then(|t| t.first())
            .and_then(|c| c.display),
        Some("Bronze-QHP")
    );
    let gold =
        InsurancePlanView::from_resource(example("InsurancePlan", "AcmeQHPGold")?).ok_or("view")?;
    assert_eq!(
        gold.plans().next().and_then(|p| p.plan_type_code()),
        Some(InsurancePlanTypeCS::Gold)
    );

    let portal = EndpointView::from_resource(example("Endpoint", "AcmeOfCTPortalEndpoint")?)
        .ok_or("view")?;
    assert_eq!(
        portal.plan_net_connection_type(),
        Some(EndpointConnectionTypeCS::RestNonFhir)
    );
    assert!(portal.payload_not_applicable());
    assert_eq!(portal.address(), Some("https://urlofportal.acmect.com"));
    assert_eq!(portal.name(), Some("Endpoint for Acme of CT Portal"));
    let use_case = portal.use_cases().next().ok_or("no use case")?;
    assert_eq!(
        use_case
            .use_case_type()
            .and_then(|t| t.first())
            .map(|c| c.code),
        Some("HOPERAT")
    );
    assert_eq!(use_case.standard(), None);
    Ok(())
}

#[test]
fn healthcare_service_and_affiliation_examples() -> TestResult {
    let virtual_counsel = HealthcareServiceView::from_resource(example(
        "HealthcareService",
        "VirtualCounselService",
    )?)
    .ok_or("view")?;
    assert_eq!(
        virtual_counsel.category(),
        Some(HealthcareServiceCategoryCS::Prov)
    );
    let method = virtual_counsel
        .delivery_methods()
        .next()
        .ok_or("no delivery method")?;
    assert_eq!(method.method(), Some(DeliveryMethodCS::Virtual));
    assert_eq!(
        method.virtual_modalities().collect::<Vec<_>>(),
        [
            VirtualModalitiesCS::Web,
            VirtualModalitiesCS::App,
            VirtualModalitiesCS::Tdd,
            VirtualModalitiesCS::Phone
        ]
    );
    assert_eq!(
        virtual_counsel.specialty_codes().next().map(|c| c.code),
        Some("101YP2500X")
    );

    let er = HealthcareServiceView::from_resource(example("HealthcareService", "HospERService")?)
        .ok_or("view")?;
    assert_eq!(er.category(), Some(HealthcareServiceCategoryCS::Emerg));
    assert_eq!(
        er.delivery_methods().next().and_then(|m| m.method()),
        Some(DeliveryMethodCS::Physical)
    );
    assert_eq!(reference(er.provided_by()), Some("Organization/Hospital"));

    let retail = HealthcareServiceView::from_resource(example(
        "HealthcareService",
        "PharmChainRetailService",
    )?)
    .ok_or("view")?;
    assert!(retail.accepting_new_patients().is_some());

    let pharmacy = OrganizationAffiliationView::from_resource(example(
        "OrganizationAffiliation",
        "PharmChainAffil1",
    )?)
    .ok_or("view")?;
    assert_eq!(
        pharmacy.roles().collect::<Vec<_>>(),
        [OrganizationAffiliationRoleCS::Pharmacy]
    );
    assert_eq!(
        reference(pharmacy.participating_organization()),
        Some("Organization/PharmChain")
    );
    assert_eq!(
        references(pharmacy.networks()),
        ["Organization/AcmeofCTStdNet"]
    );
    assert_eq!(
        references(pharmacy.locations()),
        ["Location/PharmLoc1", "Location/PharmLoc2"]
    );
    assert_eq!(
        pharmacy
            .specialty_codes()
            .map(|c| c.code)
            .collect::<Vec<_>>(),
        ["3336C0003X"]
    );
    let hie = OrganizationAffiliationView::from_resource(example(
        "OrganizationAffiliation",
        "ConnHIEAffil",
    )?)
    .ok_or("view")?;
    assert_eq!(hie.roles().next(), Some(OrganizationAffiliationRoleCS::Bt));
    assert_eq!(reference(hie.organization()), Some("Organization/ConnHIE"));
    Ok(())
}

#[test]
fn geolocation_of_an_address() -> TestResult {
    let mut latitude = Extension::default();
    latitude.url = Some("latitude".to_owned());
    latitude.value = Some(OpenType::Decimal(Decimal::parse("41.7658")?.into()));
    let mut longitude = Extension::default();
    longitude.url = Some("longitude".to_owned());
    longitude.value = Some(OpenType::Decimal(Decimal::parse("-72.6734")?.into()));
    let mut geolocation = Extension::default();
    geolocation.url = Some(carin_profiles::views::plan_net::ext::GEOLOCATION.to_owned());
    geolocation.extension = vec![latitude, longitude];
    let mut address = Address::default();
    address.extension.push(geolocation);
    let point = address_geolocation(&address).ok_or("no geolocation")?;
    assert_eq!(
        (point.latitude.as_str(), point.longitude.as_str()),
        ("41.7658", "-72.6734")
    );
    Ok(())
}

// ---- the PractitionerRole builder ----

fn errors(issues: &[carin_profiles::Issue]) -> Vec<String> {
    issues
        .iter()
        .filter(|i| i.is_error())
        .map(|i| format!("{i} [{}]", i.rule))
        .collect()
}

fn builder() -> Result<PractitionerRoleBuilder, fhir_model::Error> {
    Ok(PractitionerRoleBuilder::new(
        Instant::parse("2024-03-01T12:00:00Z")?,
        Reference::to_resource("Practitioner", "JoeSmith"),
    ))
}

fn built() -> Result<PractitionerRole, Box<dyn Error>> {
    Ok(builder()?
        .id("JoeSmithRole9")
        .organization(Reference::to_resource("Organization", "Hospital"))
        .network(Reference::to_resource("Organization", "AcmeofCTStdNet"))
        .role(ProviderRoleCS::Ph)
        .specialty("207R00000X")
        .specialty("207RC0000X")
        .location(Reference::to_resource("Location", "HospLoc1"))
        .healthcare_service(Reference::to_resource("HealthcareService", "HospERService"))
        .accepting_new_patients(
            AcceptingPatientsCS::Newpt,
            Some(Reference::to_resource("Organization", "AcmeofCTStdNet")),
        )
        .new_patient_characteristic("adults only")
        .accepting_new_patients(AcceptingPatientsCS::Existptonly, None)
        .telecom(
            ContactPointSystem::Phone,
            "(111)-222-3333",
            &[AvailableTime::hours(
                &WEEKDAYS,
                time("08:00:00")?,
                time("17:00:00")?,
            )],
        )
        .telecom(ContactPointSystem::Url, "https://www.hgh.com", &[])
        .available_time(AvailableTime::all_day(&[DayOfWeek::Sat]))
        .build()?)
}

#[test]
fn built_practitioner_role_validates_and_reads_back() -> TestResult {
    let resource = Resource::PractitionerRole(Box::new(built()?));
    let issues = validate_as(&resource, PROFILE);
    assert!(errors(&issues).is_empty(), "{:#?}", errors(&issues));
    let issues = carin_profiles::validate(&resource);
    assert!(issues[0].message.contains(PROFILE), "{}", issues[0]);
    assert!(errors(&issues).is_empty(), "{:#?}", errors(&issues));

    let json = fhir_model::to_json(&resource);
    let reparsed = fhir_model::from_json(&json)?;
    assert_eq!(reparsed, resource, "round trip through JSON");
    let view = PractitionerRoleView::from_resource(&reparsed).ok_or("view")?;
    assert_eq!(view.active(), Some(true));
    assert_eq!(
        view.role()
            .meta
            .as_ref()
            .and_then(|m| m.last_updated.value.as_ref())
            .map(ToString::to_string)
            .as_deref(),
        Some("2024-03-01T12:00:00Z")
    );
    assert_eq!(
        reference(view.practitioner()),
        Some("Practitioner/JoeSmith")
    );
    assert_eq!(
        reference(view.organization()),
        Some("Organization/Hospital")
    );
    assert_eq!(
        reference(view.network()),
        Some("Organization/AcmeofCTStdNet")
    );
    assert_eq!(
        view.provider_roles().collect::<Vec<_>>(),
        [ProviderRoleCS::Ph]
    );
    assert_eq!(
        view.specialty_codes().map(|c| c.code).collect::<Vec<_>>(),
        ["207R00000X", "207RC0000X"]
    );
    assert_eq!(references(view.locations()), ["Location/HospLoc1"]);
    assert_eq!(
        references(view.healthcare_services()),
        ["HealthcareService/HospERService"]
    );
    assert_eq!(
        view.accepting_new_patients(),
        Some(AcceptingPatientsCS::Newpt)
    );
    let new_patients: Vec<_> = view.new_patients().collect();
    assert_eq!(new_patients.len(), 2);
    assert_eq!(
        reference(new_patients[0].from_network()),
        Some("Organization/AcmeofCTStdNet")
    );
    assert_eq!(
        new_patients[0].characteristics().collect::<Vec<_>>(),
        ["adults only"]
    );
    assert_eq!(
        new_patients[1].accepting(),
        Some(AcceptingPatientsCS::Existptonly)
    );
    assert_eq!(new_patients[1].from_network(), None);
    let telecoms: Vec<_> = view.telecoms().collect();
    assert_eq!(telecoms.len(), 2);
    assert_eq!(telecoms[0].system(), Some(ContactPointSystem::Phone));
    assert_eq!(
        telecoms[0].available_times(),
        [AvailableTime::hours(
            &WEEKDAYS,
            time("08:00:00")?,
            time("17:00:00")?
        )]
    );
    assert_eq!(telecoms[1].value(), Some("https://www.hgh.com"));
    assert_eq!(
        view.available_times().collect::<Vec<_>>(),
        [AvailableTime::all_day(&[DayOfWeek::Sat])]
    );
    Ok(())
}

#[test]
fn minimal_built_practitioner_role_validates() -> TestResult {
    let role = builder()?.build()?;
    let issues = validate_as(&Resource::PractitionerRole(Box::new(role)), PROFILE);
    assert!(errors(&issues).is_empty(), "{:#?}", errors(&issues));
    Ok(())
}

#[test]
fn practitioner_role_builder_refuses_what_the_profile_forbids() -> TestResult {
    // A real NUCC code, but a hospital's (General Acute Care Hospital), not in
    // IndividualAndGroupSpecialtiesVS; Family Medicine is.
    assert_eq!(
        builder()?.specialty("282N00000X").build(),
        Err(PractitionerRoleError::CodeNotAllowed {
            element: "specialty",
            code: "282N00000X".to_owned()
        })
    );
    assert!(builder()?.specialty("207Q00000X").build().is_ok());
    // The validator agrees: the same code written by hand breaks the binding.
    let mut role = builder()?.specialty("207R00000X").build()?;
    if let Some(coding) = role
        .specialty
        .first_mut()
        .and_then(|s| s.coding.first_mut())
    {
        coding.code = "282N00000X".into();
    }
    let issues = validate_as(&Resource::PractitionerRole(Box::new(role)), PROFILE);
    assert!(
        issues
            .iter()
            .any(|i| i.is_error() && i.location.starts_with("PractitionerRole.specialty")),
        "{:#?}",
        errors(&issues)
    );

    assert_eq!(
        builder()?.role(ProviderRoleCS::from_code("wizard")).build(),
        Err(PractitionerRoleError::CodeNotAllowed {
            element: "code",
            code: "wizard".to_owned()
        })
    );
    assert_eq!(
        builder()?
            .accepting_new_patients(AcceptingPatientsCS::from_code("no"), None)
            .build(),
        Err(PractitionerRoleError::CodeNotAllowed {
            element: "extension:newpatients.extension:acceptingPatients.value[x]",
            code: "no".to_owned()
        })
    );
    assert_eq!(
        builder()?
            .accepting_new_patients(AcceptingPatientsCS::Nopt, None)
            .new_patient_characteristic("newborns")
            .build(),
        Err(PractitionerRoleError::CharacteristicsWhenNotAccepting)
    );
    assert_eq!(
        builder()?
            .telecom(ContactPointSystem::from_code("pigeon"), "coop 4", &[])
            .build(),
        Err(PractitionerRoleError::CodeNotAllowed {
            element: "telecom.system",
            code: "pigeon".to_owned()
        })
    );
    assert_eq!(
        builder()?
            .available_time(AvailableTime::all_day(&[DayOfWeek::from_code("someday")]))
            .build(),
        Err(PractitionerRoleError::CodeNotAllowed {
            element: "availableTime.daysOfWeek",
            code: "someday".to_owned()
        })
    );
    Ok(())
}
