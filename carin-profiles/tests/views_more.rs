//! The views added for the rest of the profiles the crate covers: CARIN BB Organization,
//! Practitioner and RelatedPerson; the US Core 6.1.0 Coverage, Device, Location,
//! Medication, MedicationDispense, Organization, Practitioner, PractitionerRole,
//! Provenance, RelatedPerson, ServiceRequest and Specimen; PDex Provenance; Plan-Net
//! Practitioner. Every example of those resource types runs through its view, and specific
//! values of specific examples are checked.
//!
//! Reads the IG packages from `$FHIR_PACKAGES_DIR` (default `../shared/fhir-packages`
//! beside the workspace).

mod common;

use std::error::Error;

use carin_profiles::codes::pdex::ProvenancePayerDataSource;
use carin_profiles::codes::plan_net::{LanguageProficiencyCS, QualificationStatusCS};
use carin_profiles::views::coverage::CoverageView as CarinCoverageView;
use carin_profiles::views::organization::OrganizationView;
use carin_profiles::views::pdex::member_match::{MemberMatchRequestView, MemberMatchResponseView};
use carin_profiles::views::pdex::provenance::PdexProvenanceView;
use carin_profiles::views::plan_net::practitioner::PractitionerView as PlanNetPractitionerView;
use carin_profiles::views::practitioner::PractitionerView;
use carin_profiles::views::related_person::RelatedPersonView;
use carin_profiles::views::us_core::coverage::CoverageView;
use carin_profiles::views::us_core::device::{DeviceStatus, ImplantableDeviceView};
use carin_profiles::views::us_core::location::{LocationStatus, LocationView};
use carin_profiles::views::us_core::medication::MedicationView;
use carin_profiles::views::us_core::medication_dispense::{
    MedicationDispenseStatus, MedicationDispenseView,
};
use carin_profiles::views::us_core::practitioner_role::PractitionerRoleView;
use carin_profiles::views::us_core::provenance::{AgentKind, ProvenanceView};
use carin_profiles::views::us_core::service_request::{
    Occurrence, RequestIntent, RequestStatus, ServiceRequestView,
};
use carin_profiles::views::us_core::specimen::SpecimenView;
use common::Example;
use fhir_model::datatypes::Reference;
use fhir_model::{DateTime, Resource};

type TestResult = Result<(), Box<dyn Error>>;

const CARIN: &str = "hl7.fhir.us.carin-bb-2.0.0.tgz";
const US_CORE: &str = "hl7.fhir.us.core-6.1.0.tgz";
const PDEX: &str = "hl7.fhir.us.davinci-pdex-2.0.0.tgz";
const PLAN_NET: &str = "hl7.fhir.us.davinci-pdex-plan-net.tgz";

/// The examples of `resource_type` in `package`.
fn examples(package: &str, resource_type: &str) -> Result<Vec<Example>, Box<dyn Error>> {
    Ok(common::parsed_examples(package)?
        .into_iter()
        .filter(|e| e.json["resourceType"] == resource_type)
        .collect())
}

/// The example with this id among `list`.
fn by_id<'a>(list: &'a [Example], id: &str) -> Result<&'a Resource, String> {
    list.iter()
        .find(|e| e.json["id"] == id)
        .map(|e| &e.resource)
        .ok_or_else(|| format!("no example {id}"))
}

fn reference(reference: Option<&Reference>) -> Option<&str> {
    reference?.reference.as_str()
}

fn dt(text: &str) -> Result<DateTime, fhir_model::Error> {
    DateTime::parse(text)
}

#[test]
fn carin_organizations_practitioners_and_related_persons() -> TestResult {
    let organizations = examples(CARIN, "Organization")?;
    assert_eq!(organizations.len(), 10);
    for e in &organizations {
        let view = OrganizationView::from_resource(&e.resource).ok_or("not an Organization")?;
        assert_eq!(view.name(), e.json["name"].as_str(), "{}", e.file);
        assert_eq!(view.active(), e.json["active"].as_bool(), "{}", e.file);
    }
    let payer1 = OrganizationView::from_resource(by_id(&organizations, "Payer1")?)
        .ok_or("not an Organization")?;
    assert_eq!(payer1.npi(), Some("345678"));
    assert_eq!(payer1.payer_ids().collect::<Vec<_>>(), ["901234"]);
    assert_eq!(payer1.tax_ids().count(), 0);
    let provider2 =
        OrganizationView::from_resource(by_id(&organizations, "ProviderOrganization2")?)
            .ok_or("not an Organization")?;
    assert_eq!(provider2.tax_ids().collect::<Vec<_>>(), ["123-45-6789"]);
    let payer2 = OrganizationView::from_resource(by_id(&organizations, "Payer2")?)
        .ok_or("not an Organization")?;
    assert_eq!(payer2.naic_codes().collect::<Vec<_>>(), ["95216"]);
    assert_eq!(payer2.npi(), None);
    assert_eq!(payer2.telecoms().len(), 2);
    assert_eq!(payer2.addresses()[0].line.len(), 4);
    assert_eq!(payer2.addresses()[0].postal_code.as_str(), Some("15219"));
    assert_eq!(
        payer2
            .types()
            .next()
            .and_then(|t| t.first())
            .map(|c| c.code),
        Some("pay")
    );

    let practitioners = examples(CARIN, "Practitioner")?;
    assert_eq!(practitioners.len(), 5);
    for e in &practitioners {
        let view = PractitionerView::from_resource(&e.resource).ok_or("not a Practitioner")?;
        assert_eq!(
            view.npi(),
            e.json["identifier"][0]["value"].as_str(),
            "{}",
            e.file
        );
        assert_eq!(
            view.family(),
            e.json["name"][0]["family"].as_str(),
            "{}",
            e.file
        );
    }
    let dentist =
        PractitionerView::from_resource(by_id(&practitioners, "PractitionerDentalProvider1")?)
            .ok_or("not a Practitioner")?;
    assert_eq!(dentist.npi(), Some("0025501002"));
    assert_eq!(dentist.family(), Some("Schmidt"));
    assert_eq!(
        dentist.name().map(|n| n
            .suffix
            .iter()
            .filter_map(|s| s.as_str())
            .collect::<Vec<_>>()),
        Some(vec!["DDS"])
    );

    let people = examples(CARIN, "RelatedPerson")?;
    assert_eq!(people.len(), 1);
    let mother = RelatedPersonView::from_resource(by_id(&people, "RelatedPerson1")?)
        .ok_or("not a RelatedPerson")?;
    assert_eq!(mother.active(), Some(true));
    assert_eq!(reference(mother.patient()), Some("Patient/Patient1"));
    assert_eq!(mother.role_code().map(|c| c.code), Some("MTH"));
    assert_eq!(
        mother.name().and_then(|n| n.family.as_str()),
        Some("Example1")
    );
    assert_eq!(mother.telecoms()[0].value.as_str(), Some("(301)666-1212"));
    assert_eq!(mother.addresses()[0].city.as_str(), Some("Pittsburgh"));
    Ok(())
}

#[test]
fn us_core_directory_examples() -> TestResult {
    let coverages = examples(US_CORE, "Coverage")?;
    assert_eq!(coverages.len(), 1);
    let coverage = CoverageView::from_resource(by_id(&coverages, "coverage-example")?)
        .ok_or("not a Coverage")?;
    assert_eq!(
        coverage.member_id().and_then(|i| i.value.as_str()),
        Some("88800933501")
    );
    assert_eq!(coverage.subscriber_id(), Some("888009335"));
    assert_eq!(coverage.relationship(), Some("self"));
    assert_eq!(coverage.status(), Some("active"));

    for e in examples(US_CORE, "Organization")? {
        let view = OrganizationView::from_resource(&e.resource).ok_or("not an Organization")?;
        assert_eq!(view.name(), e.json["name"].as_str(), "{}", e.file);
    }
    let organizations = examples(US_CORE, "Organization")?;
    let lab = OrganizationView::from_resource(by_id(&organizations, "acme-lab")?)
        .ok_or("not an Organization")?;
    assert_eq!(lab.npi(), Some("1144221847"));
    assert_eq!(lab.telecoms()[1].value.as_str(), Some("hq@acme.org"));

    let practitioners = examples(US_CORE, "Practitioner")?;
    assert_eq!(practitioners.len(), 4, "3 files and one in a Bundle");
    for e in &practitioners {
        let view = PractitionerView::from_resource(&e.resource).ok_or("not a Practitioner")?;
        assert!(view.family().is_some(), "{}", e.file);
    }
    let bone = PractitionerView::from_resource(by_id(&practitioners, "practitioner-1")?)
        .ok_or("not a Practitioner")?;
    assert_eq!(bone.npi(), Some("9941339100"));
    assert_eq!(bone.family(), Some("Bone"));
    assert_eq!(bone.addresses()[0].city.as_str(), Some("Amherst"));
    let richard = PractitionerView::from_resource(by_id(&practitioners, "Practitioner-1011")?)
        .ok_or("not a Practitioner")?;
    assert_eq!(
        richard.npi(),
        Some("9999991018"),
        "the NPI, not the SSN before it"
    );

    let roles = examples(US_CORE, "PractitionerRole")?;
    let role = PractitionerRoleView::from_resource(by_id(&roles, "PractitionerRole-1")?)
        .ok_or("not a PractitionerRole")?;
    assert_eq!(
        reference(role.practitioner()),
        Some("Practitioner/Practitioner-1011")
    );
    assert_eq!(
        reference(role.organization()),
        Some("Organization/acme-lab")
    );

    let locations = examples(US_CORE, "Location")?;
    assert_eq!(locations.len(), 2);
    let hospital =
        LocationView::from_resource(by_id(&locations, "hospital")?).ok_or("not a Location")?;
    assert_eq!(hospital.status(), Some(LocationStatus::Active));
    assert_eq!(hospital.name(), Some("Holy Family Hospital"));
    assert_eq!(
        hospital.address().and_then(|a| a.postal_code.as_str()),
        Some("01844")
    );
    assert_eq!(
        reference(hospital.managing_organization()),
        Some("Organization/holy-healthcare")
    );

    let people = examples(US_CORE, "RelatedPerson")?;
    let niece = RelatedPersonView::from_resource(by_id(&people, "shaw-niece")?)
        .ok_or("not a RelatedPerson")?;
    assert_eq!(niece.role_code().map(|c| c.code), Some("NIECE"));
    assert_eq!(
        niece.name().and_then(|n| n.family.as_str()),
        Some("van Putten")
    );
    assert_eq!(
        niece.birth_date().map(ToString::to_string).as_deref(),
        Some("1996-01-28")
    );
    Ok(())
}

#[test]
fn us_core_clinical_examples() -> TestResult {
    let devices = examples(US_CORE, "Device")?;
    assert_eq!(devices.len(), 3);
    for e in &devices {
        let view = ImplantableDeviceView::from_resource(&e.resource).ok_or("not a Device")?;
        assert_eq!(
            view.udi_carrier().and_then(|u| u.device_identifier),
            e.json["udiCarrier"][0]["deviceIdentifier"].as_str(),
            "{}",
            e.file
        );
        assert!(view.device_type().is_some(), "{}", e.file);
    }
    let udi2 =
        ImplantableDeviceView::from_resource(by_id(&devices, "udi-2")?).ok_or("not a Device")?;
    assert_eq!(udi2.status(), Some(DeviceStatus::Active));
    assert_eq!(
        udi2.udi_carrier().and_then(|u| u.carrier_hrf),
        Some("(01)99863313444316(17)220101(10)M320(21)AC221")
    );
    assert_eq!(udi2.lot_number(), Some("M320"));
    assert_eq!(udi2.serial_number(), Some("AC221"));
    assert_eq!(udi2.expiration_date(), Some(dt("2022-01-01")?));
    assert_eq!(
        udi2.device_type().and_then(|t| t.first()).map(|c| c.code),
        Some("19257004")
    );
    assert_eq!(reference(udi2.patient()), Some("Patient/example"));

    let medications = examples(US_CORE, "Medication")?;
    let med1 = MedicationView::from_resource(by_id(&medications, "uscore-med1")?)
        .ok_or("not a Medication")?;
    assert_eq!(med1.rxnorm().map(|c| c.code), Some("206765"));

    let dispenses = examples(US_CORE, "MedicationDispense")?;
    assert_eq!(dispenses.len(), 1);
    let dispense =
        MedicationDispenseView::from_resource(by_id(&dispenses, "medicationdispense-example")?)
            .ok_or("not a MedicationDispense")?;
    assert_eq!(dispense.status(), Some(MedicationDispenseStatus::Completed));
    assert_eq!(dispense.rxnorm().map(|c| c.code), Some("476872"));
    assert_eq!(
        dispense
            .performers()
            .filter_map(|r| r.reference.as_str())
            .collect::<Vec<_>>(),
        ["Practitioner/practitioner-pharmacist"]
    );
    assert_eq!(
        dispense.authorizing_prescriptions()[0].reference.as_str(),
        Some("MedicationRequest/medicationrequest-coded-oral-axid")
    );
    assert_eq!(
        dispense
            .dispense_type()
            .and_then(|t| t.first())
            .map(|c| c.code),
        Some("FFC")
    );
    assert!(dispense.quantity().is_some());

    let requests = examples(US_CORE, "ServiceRequest")?;
    assert_eq!(requests.len(), 3);
    for e in &requests {
        let view = ServiceRequestView::from_resource(&e.resource).ok_or("not a ServiceRequest")?;
        assert_eq!(
            view.status().map(|s| s.code().to_owned()),
            e.json["status"].as_str().map(str::to_owned)
        );
        assert_eq!(
            view.intent().map(|s| s.code().to_owned()),
            e.json["intent"].as_str().map(str::to_owned)
        );
        assert!(view.code().is_some(), "{}", e.file);
    }
    let rehab = ServiceRequestView::from_resource(by_id(&requests, "rehab")?)
        .ok_or("not a ServiceRequest")?;
    assert_eq!(rehab.status(), Some(RequestStatus::Active));
    assert_eq!(rehab.intent(), Some(RequestIntent::Order));
    assert_eq!(
        rehab.code().and_then(|c| c.text()),
        Some("Alcohol rehabilitation")
    );
    assert!(matches!(rehab.occurrence(), Some(Occurrence::At(at)) if at == dt("2021-11-20")?));
    assert_eq!(rehab.authored_on(), Some(dt("2021-11-12T10:59:38-08:00")?));
    assert_eq!(
        reference(rehab.requester()),
        Some("Practitioner/practitioner-1")
    );
    assert_eq!(
        rehab
            .categories()
            .next()
            .and_then(|c| c.first())
            .map(|c| c.code),
        Some("sdoh")
    );

    let specimens = examples(US_CORE, "Specimen")?;
    let serum = SpecimenView::from_resource(by_id(&specimens, "specimen-example-serum")?)
        .ok_or("not a Specimen")?;
    assert_eq!(
        serum
            .specimen_type()
            .and_then(|t| t.first())
            .map(|c| c.code),
        Some("119364003")
    );
    assert_eq!(serum.collected_at(), Some(dt("2022-09-27T18:07:12Z")?));
    assert_eq!(
        serum.accession_identifier().and_then(|i| i.value.as_str()),
        Some("20220927-00124")
    );
    Ok(())
}

#[test]
fn provenance_examples() -> TestResult {
    let us_core = examples(US_CORE, "Provenance")?;
    assert_eq!(us_core.len(), 2, "one file and one in a Bundle");
    for e in &us_core {
        let view = ProvenanceView::from_resource(&e.resource).ok_or("not a Provenance")?;
        assert!(view.recorded().is_some(), "{}", e.file);
        assert_eq!(
            view.agents().count(),
            e.json["agent"].as_array().map_or(0, Vec::len)
        );
    }
    let targeted = ProvenanceView::from_resource(by_id(&us_core, "example-targeted-provenance")?)
        .ok_or("not a Provenance")?;
    assert_eq!(
        targeted.targets()[0].reference.as_str(),
        Some("Patient/example-targeted-provenance")
    );
    assert_eq!(
        targeted.agents().next().and_then(|a| a.kind()),
        None,
        "an informant"
    );

    let pdex = examples(PDEX, "Provenance")?;
    assert_eq!(pdex.len(), 26, "9 files and 17 in Bundles");
    for e in &pdex {
        let view = PdexProvenanceView::from_resource(&e.resource).ok_or("not a Provenance")?;
        assert_eq!(
            view.us_core().targets().len(),
            e.json["target"].as_array().map_or(0, Vec::len),
            "{}",
            e.file
        );
        assert_eq!(
            view.source_format().map(|f| f.code().to_owned()),
            e.json["entity"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
                .as_str()
                .map(str::to_owned),
            "{}",
            e.file
        );
    }
    let first =
        PdexProvenanceView::from_resource(by_id(&pdex, "1000001")?).ok_or("not a Provenance")?;
    assert_eq!(
        first.source_format(),
        Some(ProvenancePayerDataSource::Hl7v2adt)
    );
    assert_eq!(
        reference(first.us_core().transmitter()),
        Some("Organization/Payer1")
    );
    assert_eq!(
        first.us_core().targets()[0].reference.as_str(),
        Some("Bundle/2000002")
    );
    assert_eq!(
        first.entities().next().and_then(|e| e.role()),
        Some("source")
    );
    let two_targets =
        PdexProvenanceView::from_resource(by_id(&pdex, "1000101")?).ok_or("not a Provenance")?;
    let view = two_targets.us_core();
    assert_eq!(view.targets().len(), 2);
    assert_eq!(
        view.agent(AgentKind::Transmitter)
            .and_then(|a| reference(a.who())),
        Some("Organization/Payer1")
    );
    assert_eq!(two_targets.source_format(), None);
    Ok(())
}

#[test]
fn plan_net_practitioner_examples() -> TestResult {
    let practitioners = examples(PLAN_NET, "Practitioner")?;
    assert!(practitioners.len() >= 3);
    for e in &practitioners {
        let view =
            PlanNetPractitionerView::from_resource(&e.resource).ok_or("not a Practitioner")?;
        assert_eq!(
            view.npi(),
            e.json["identifier"][0]["value"].as_str(),
            "{}",
            e.file
        );
        assert_eq!(
            view.qualifications().count(),
            e.json["qualification"].as_array().map_or(0, Vec::len),
            "{}",
            e.file
        );
    }
    let hans = PlanNetPractitionerView::from_resource(by_id(&practitioners, "HansSolo")?)
        .ok_or("not a Practitioner")?;
    assert_eq!(hans.npi(), Some("NPI3233"));
    let qualifications: Vec<_> = hans.qualifications().collect();
    assert_eq!(qualifications.len(), 3);
    assert_eq!(
        qualifications[0].status(),
        Some(QualificationStatusCS::Active)
    );
    assert_eq!(
        qualifications[0]
            .where_valid()
            .filter_map(|c| c.first())
            .map(|c| c.code)
            .collect::<Vec<_>>(),
        ["IL"]
    );
    assert_eq!(
        qualifications[1]
            .code()
            .and_then(|c| c.first())
            .map(|c| c.code),
        Some("207R00000X")
    );
    assert_eq!(
        qualifications[1].issuer().and_then(|r| r.display.as_str()),
        Some("American Board of Internal Medicine")
    );
    assert_eq!(
        hans.resource_level_proficiencies().collect::<Vec<_>>(),
        [LanguageProficiencyCS::Code30]
    );
    let counselor = PlanNetPractitionerView::from_resource(by_id(&practitioners, "Counselor")?)
        .ok_or("not a Practitioner")?;
    let languages: Vec<_> = counselor.communications().collect();
    assert_eq!(languages.len(), 1);
    assert_eq!(languages[0].language().first().map(|c| c.code), Some("ru"));
    assert_eq!(
        languages[0].proficiency(),
        None,
        "the example puts it on the Practitioner"
    );
    Ok(())
}

/// The example with this resource type and id in `package`, as JSON.
fn example_json(
    package: &str,
    resource_type: &str,
    id: &str,
) -> Result<serde_json::Value, Box<dyn Error>> {
    Ok(common::example_resources(package)?
        .into_iter()
        .map(|(_, json)| json)
        .find(|json| json["resourceType"] == resource_type && json["id"] == id)
        .ok_or_else(|| format!("no example {resource_type}/{id}"))?)
}

#[test]
fn member_match_request_and_response() -> TestResult {
    // Neither the PDex package nor the other packages here hold a $member-match example
    // (HRex defines the operation), so the request carries CARIN examples as its parts.
    let patient = example_json(CARIN, "Patient", "Patient1")?;
    let to_match = example_json(CARIN, "Coverage", "Coverage1")?;
    let to_link = example_json(CARIN, "Coverage", "Coverage2")?;
    let request = serde_json::json!({
        "resourceType": "Parameters",
        "parameter": [
            {"name": "MemberPatient", "resource": patient},
            {"name": "CoverageToMatch", "resource": to_match},
            {"name": "CoverageToLink", "resource": to_link},
            {"name": "Consent", "resource": {
                "resourceType": "Consent",
                "status": "active",
                "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IDSCL"}]}],
                "patient": {"reference": "Patient/Patient1"}
            }}
        ]
    });
    let request = fhir_model::from_json(&request.to_string())?;
    let view = MemberMatchRequestView::from_resource(&request).ok_or("not a Parameters")?;
    assert_eq!(
        view.member_patient().and_then(|p| p.id.as_deref()),
        Some("Patient1")
    );
    assert_eq!(
        view.coverage_to_match().and_then(|c| c.id.as_deref()),
        Some("Coverage1")
    );
    assert_eq!(
        view.coverage_to_link().and_then(|c| c.id.as_deref()),
        Some("Coverage2")
    );
    let coverage = CarinCoverageView::new(view.coverage_to_match().ok_or("no CoverageToMatch")?);
    assert_eq!(
        coverage.member_id().and_then(|i| i.value.as_str()),
        to_match["identifier"][0]["value"].as_str()
    );
    assert_eq!(
        view.consent().and_then(|c| c.status.as_str()),
        Some("active")
    );
    assert!(
        MemberMatchResponseView::from_resource(&request)
            .ok_or("not a Parameters")?
            .member_identifier()
            .is_none()
    );

    let response = fhir_model::from_json(
        r#"{"resourceType": "Parameters", "parameter": [
            {"name": "MemberIdentifier", "valueIdentifier": {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}]},
                "system": "http://example.org/target-payer/identifiers/member", "value": "55678"}},
            {"name": "MemberId", "valueReference": {"reference": "http://example.org/new-payer/fhir/Patient/pat1"}}
        ]}"#,
    )?;
    let answer = MemberMatchResponseView::from_resource(&response).ok_or("not a Parameters")?;
    assert_eq!(
        answer.member_identifier().and_then(|i| i.value.as_str()),
        Some("55678")
    );
    assert_eq!(
        reference(answer.member_id()),
        Some("http://example.org/new-payer/fhir/Patient/pat1")
    );
    let request_view =
        MemberMatchRequestView::from_resource(&response).ok_or("not a Parameters")?;
    assert!(request_view.member_patient().is_none());
    Ok(())
}

/// The value of the first identifier of JSON `identifiers` whose system is `us-npi` or
/// whose type is `v2-0203#NPI`, as the NPI accessors read it.
fn json_npi(identifiers: &serde_json::Value) -> Option<&str> {
    let list = identifiers.as_array()?;
    let typed = list.iter().find(|i| {
        i["type"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| {
                c["system"] == "http://terminology.hl7.org/CodeSystem/v2-0203" && c["code"] == "NPI"
            })
    });
    typed.or_else(|| {
        list.iter()
            .find(|i| i["system"] == "http://hl7.org/fhir/sid/us-npi")
    })?["value"]
        .as_str()
}

#[test]
fn every_example_of_the_newly_covered_types_reads_back() -> TestResult {
    let mut seen = std::collections::BTreeMap::<(&str, String), usize>::new();
    for package in [CARIN, US_CORE, PDEX, PLAN_NET] {
        for e in common::parsed_examples(package)? {
            let json = &e.json;
            let what = format!("{package} {}", e.file);
            let resource_type = json["resourceType"].as_str().unwrap_or_default().to_owned();
            let r = &e.resource;
            match resource_type.as_str() {
                "Coverage" => {
                    let view = CarinCoverageView::from_resource(r).ok_or("not a Coverage")?;
                    assert_eq!(view.status(), json["status"].as_str(), "{what}");
                    assert_eq!(
                        view.subscriber_id(),
                        json["subscriberId"].as_str(),
                        "{what}"
                    );
                    assert_eq!(
                        reference(view.beneficiary_reference()),
                        json["beneficiary"]["reference"].as_str(),
                        "{what}"
                    );
                }
                "Device" => {
                    let view = ImplantableDeviceView::from_resource(r).ok_or("not a Device")?;
                    let udi = view.udi_carrier();
                    assert_eq!(
                        udi.and_then(|u| u.device_identifier),
                        json["udiCarrier"][0]["deviceIdentifier"].as_str(),
                        "{what}"
                    );
                    assert_eq!(
                        udi.and_then(|u| u.carrier_hrf),
                        json["udiCarrier"][0]["carrierHRF"].as_str(),
                        "{what}"
                    );
                    assert_eq!(view.lot_number(), json["lotNumber"].as_str(), "{what}");
                    assert_eq!(
                        view.serial_number(),
                        json["serialNumber"].as_str(),
                        "{what}"
                    );
                    assert_eq!(
                        view.status().map(|s| s.code().to_owned()).as_deref(),
                        json["status"].as_str(),
                        "{what}"
                    );
                    assert_eq!(
                        view.device_type().and_then(|t| t.first()).map(|c| c.code),
                        json["type"]["coding"][0]["code"].as_str(),
                        "{what}"
                    );
                }
                "Location" => {
                    let view = LocationView::from_resource(r).ok_or("not a Location")?;
                    assert_eq!(view.name(), json["name"].as_str(), "{what}");
                    assert_eq!(
                        reference(view.managing_organization()),
                        json["managingOrganization"]["reference"].as_str(),
                        "{what}"
                    );
                }
                "Medication" => {
                    let view = MedicationView::from_resource(r).ok_or("not a Medication")?;
                    assert_eq!(
                        view.code().and_then(|c| c.first()).map(|c| c.code),
                        json["code"]["coding"][0]["code"].as_str(),
                        "{what}"
                    );
                }
                "MedicationDispense" => {
                    let view = MedicationDispenseView::from_resource(r)
                        .ok_or("not a MedicationDispense")?;
                    assert_eq!(
                        view.status().map(|s| s.code().to_owned()).as_deref(),
                        json["status"].as_str(),
                        "{what}"
                    );
                    assert_eq!(
                        view.medication_code()
                            .and_then(|c| c.first())
                            .map(|c| c.code),
                        json["medicationCodeableConcept"]["coding"][0]["code"].as_str(),
                        "{what}"
                    );
                    assert_eq!(
                        view.performers().count(),
                        json["performer"].as_array().map_or(0, Vec::len),
                        "{what}"
                    );
                    assert_eq!(
                        view.quantity().map(|q| q.value.to_string()),
                        json["quantity"]["value"].as_f64().map(|v| v.to_string()),
                        "{what}"
                    );
                }
                "Organization" => {
                    let view = OrganizationView::from_resource(r).ok_or("not an Organization")?;
                    assert_eq!(view.name(), json["name"].as_str(), "{what}");
                    assert_eq!(view.npi(), json_npi(&json["identifier"]), "{what}");
                }
                "Practitioner" => {
                    let view = PractitionerView::from_resource(r).ok_or("not a Practitioner")?;
                    assert_eq!(view.npi(), json_npi(&json["identifier"]), "{what}");
                    assert_eq!(view.family(), json["name"][0]["family"].as_str(), "{what}");
                    let plan_net =
                        PlanNetPractitionerView::from_resource(r).ok_or("not a Practitioner")?;
                    assert_eq!(
                        plan_net.communications().count(),
                        json["communication"].as_array().map_or(0, Vec::len),
                        "{what}"
                    );
                }
                "PractitionerRole" => {
                    let view =
                        PractitionerRoleView::from_resource(r).ok_or("not a PractitionerRole")?;
                    assert_eq!(
                        reference(view.practitioner()),
                        json["practitioner"]["reference"].as_str(),
                        "{what}"
                    );
                }
                "RelatedPerson" => {
                    let view = RelatedPersonView::from_resource(r).ok_or("not a RelatedPerson")?;
                    assert_eq!(
                        reference(view.patient()),
                        json["patient"]["reference"].as_str(),
                        "{what}"
                    );
                    assert_eq!(
                        view.relationships()
                            .next()
                            .and_then(|c| c.first())
                            .map(|c| c.code),
                        json["relationship"][0]["coding"][0]["code"].as_str(),
                        "{what}"
                    );
                }
                "Specimen" => {
                    let view = SpecimenView::from_resource(r).ok_or("not a Specimen")?;
                    assert_eq!(
                        view.specimen_type().and_then(|c| c.first()).map(|c| c.code),
                        json["type"]["coding"][0]["code"].as_str(),
                        "{what}"
                    );
                }
                _ => continue,
            }
            *seen.entry((package, resource_type)).or_default() += 1;
        }
    }
    let count = |package, resource_type: &str| {
        seen.get(&(package, resource_type.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(count(CARIN, "Coverage"), 4);
    assert_eq!(count(CARIN, "Organization"), 10);
    assert_eq!(count(US_CORE, "Device"), 3);
    assert_eq!(count(US_CORE, "Organization"), 5);
    assert_eq!(count(PDEX, "Organization"), 10);
    assert_eq!(count(PDEX, "MedicationDispense"), 3);
    assert_eq!(count(PLAN_NET, "Location"), 9);
    assert_eq!(count(PLAN_NET, "PractitionerRole"), 6);
    Ok(())
}

#[test]
fn pdex_medication_dispense_is_coded_in_ndc_not_rxnorm() -> TestResult {
    let dispenses = examples(PDEX, "MedicationDispense")?;
    let dispense = MedicationDispenseView::from_resource(by_id(&dispenses, "1000001")?)
        .ok_or("not a MedicationDispense")?;
    assert_eq!(dispense.rxnorm(), None);
    assert_eq!(
        dispense
            .medication_code()
            .and_then(|c| c.code_in("http://hl7.org/fhir/sid/ndc"))
            .map(|c| c.code),
        Some("54458-872-10")
    );
    assert_eq!(
        dispense.quantity().map(|q| q.value.to_string()).as_deref(),
        Some("60")
    );
    let practitioners = examples(PDEX, "Practitioner")?;
    let smith =
        PractitionerView::from_resource(by_id(&practitioners, "4")?).ok_or("not a Practitioner")?;
    // Typed with PDex's own `IdentifierTypeCS#npi`, so the NPI is found by its system.
    assert_eq!(smith.npi(), Some("874635264"));
    Ok(())
}
