//! The US Core 6.1.0 views over every example of their resource types (the resources inside
//! the example Bundles too), specific values of specific examples, and the vital-signs
//! builder against the validator.
//!
//! Reads `hl7.fhir.us.core-6.1.0.tgz` from `$FHIR_PACKAGES_DIR` (default
//! `../shared/fhir-packages` beside the workspace).

mod common;

use std::error::Error;
use std::sync::OnceLock;

use carin_profiles::views::us_core::ClinicalTime;
use carin_profiles::views::us_core::allergy_intolerance::{
    AllergyCategory, AllergyClinicalStatus, AllergyCriticality, AllergyIntoleranceView,
    AllergyVerificationStatus,
};
use carin_profiles::views::us_core::care_plan::{CarePlanIntent, CarePlanStatus, CarePlanView};
use carin_profiles::views::us_core::care_team::{CareTeamStatus, CareTeamView};
use carin_profiles::views::us_core::condition::{
    ConditionCategory, ConditionClinicalStatus, ConditionVerificationStatus, ConditionView,
};
use carin_profiles::views::us_core::diagnostic_report::{
    DiagnosticReportStatus, DiagnosticReportView, PROFILE_LAB, PROFILE_NOTE,
};
use carin_profiles::views::us_core::document_reference::{
    DocumentReferenceStatus, DocumentReferenceView,
};
use carin_profiles::views::us_core::encounter::{EncounterStatus, EncounterView};
use carin_profiles::views::us_core::goal::{GoalLifecycleStatus, GoalView};
use carin_profiles::views::us_core::immunization::{ImmunizationStatus, ImmunizationView};
use carin_profiles::views::us_core::medication_request::{
    Dose, MedicationChoice, MedicationRequestIntent, MedicationRequestStatus,
    MedicationRequestView, Reported,
};
use carin_profiles::views::us_core::observation::{
    ObservationCategory, ObservationStatus, ObservationView, ObservedValue, VitalSign,
    VitalSignsBuilder, VitalSignsError,
};
use carin_profiles::views::us_core::procedure::{ProcedureStatus, ProcedureView};
use carin_profiles::views::us_core::{LOINC, SNOMED};
use carin_profiles::views::{Concept, Measurement, Span};
use carin_profiles::{validate, validate_as};
use common::Example;
use fhir_model::datatypes::Reference;
use fhir_model::resources::Observation;
use fhir_model::{Date, DateTime, Decimal, Resource};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const PACKAGE: &str = "hl7.fhir.us.core-6.1.0.tgz";

/// Every example resource of the package, read once per test binary.
fn all_examples() -> Result<&'static [Example], String> {
    static EXAMPLES: OnceLock<Result<Vec<Example>, String>> = OnceLock::new();
    EXAMPLES
        .get_or_init(|| common::parsed_examples(PACKAGE).map_err(|e| e.to_string()))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The examples of one resource type.
fn examples(resource_type: &str) -> Result<Vec<&'static Example>, String> {
    Ok(all_examples()?
        .iter()
        .filter(|e| e.json["resourceType"] == resource_type)
        .collect())
}

/// The example with this resource type and id.
fn example(resource_type: &str, id: &str) -> Result<&'static Resource, String> {
    all_examples()?
        .iter()
        .find(|e| e.json["resourceType"] == resource_type && e.json["id"] == id)
        .map(|e| &e.resource)
        .ok_or_else(|| format!("no example {resource_type}/{id}"))
}

fn at(text: &str) -> Result<Option<ClinicalTime<'static>>, fhir_model::Error> {
    Ok(Some(ClinicalTime::At(DateTime::parse(text)?)))
}

fn dt(text: &str) -> Result<DateTime, fhir_model::Error> {
    DateTime::parse(text)
}

fn reference(reference: Option<&Reference>) -> Option<&str> {
    reference?.reference.as_str()
}

/// `(value, unit, UCUM code)` of a measurement, for terse assertions.
fn measured<'a>(m: Option<Measurement<'a>>) -> Option<(&'a str, Option<&'a str>, Option<&'a str>)> {
    m.map(|m| (m.value.as_str(), m.unit, m.ucum()))
}

/// The first coding's code of a concept.
fn first_code<'a>(concept: Option<Concept<'a>>) -> Option<&'a str> {
    Some(concept?.first()?.code)
}

/// The JSON number at `value`, as the decimal text fhir-model keeps (the package writes
/// plain numbers, so serde_json prints them back the same way).
fn number(value: &Value) -> Option<String> {
    value.as_number().map(ToString::to_string)
}

/// The `[x]` member of `json` whose name starts with `stem`: (suffix, value).
fn choice<'a>(json: &'a Value, stem: &str) -> Option<(&'a str, &'a Value)> {
    json.as_object()?
        .iter()
        .find_map(|(k, v)| Some((k.strip_prefix(stem)?, v)))
        .filter(|(suffix, _)| suffix.starts_with(char::is_uppercase))
}

/// A `…DateTime` / `…Period` choice read from JSON, the way the views read it.
fn json_time(json: &Value, stem: &str) -> Result<Option<ClinicalTime<'static>>, Box<dyn Error>> {
    Ok(match choice(json, stem) {
        Some(("DateTime" | "Instant", v)) => {
            Some(ClinicalTime::At(dt(v.as_str().ok_or("not a string")?)?))
        }
        Some(("Period", v)) => Some(ClinicalTime::Period(Span {
            start: v["start"].as_str().map(dt).transpose()?,
            end: v["end"].as_str().map(dt).transpose()?,
        })),
        _ => None,
    })
}

// ---- every example of each type ----

#[test]
fn every_observation_example_reads_back_through_the_view() -> TestResult {
    let all = examples("Observation")?;
    assert!(all.len() >= 110, "{} Observation examples", all.len());
    let mut vital_signs = 0;
    let mut quantities = 0;
    let mut blood_pressures = 0;
    for Example {
        file,
        resource,
        json,
    } in all
    {
        let view = ObservationView::from_resource(resource).ok_or("not an Observation")?;
        assert_eq!(
            view.status().map(|s| s.code().to_owned()),
            json["status"].as_str().map(str::to_owned),
            "{file}: status"
        );
        let json_loinc = json["code"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["system"] == LOINC)
            .and_then(|c| c["code"].as_str());
        assert_eq!(view.loinc(), json_loinc, "{file}: LOINC code");
        assert_eq!(
            reference(view.subject()),
            json["subject"]["reference"].as_str(),
            "{file}: subject"
        );
        if choice(json, "effective").is_some_and(|(suffix, _)| suffix != "Timing") {
            assert_eq!(
                view.effective(),
                json_time(json, "effective")?,
                "{file}: effective"
            );
        }
        let categories: Vec<&str> = json["category"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["coding"].as_array().into_iter().flatten())
            .filter(|c| c["system"] == ObservationCategory::SYSTEM)
            .filter_map(|c| c["code"].as_str())
            .collect();
        let read: Vec<ObservationCategory> = view.hl7_categories().collect();
        assert_eq!(
            read.iter()
                .map(ObservationCategory::code)
                .collect::<Vec<_>>(),
            categories,
            "{file}: categories"
        );
        if view.has_category(&ObservationCategory::VitalSigns) {
            vital_signs += 1;
            assert!(
                view.vital_sign().is_some() || view.loinc().is_some(),
                "{file}"
            );
        }
        if let Some(q) = json.get("valueQuantity") {
            quantities += 1;
            let m = view
                .quantity()
                .ok_or_else(|| format!("{file}: no quantity"))?;
            assert_eq!(
                Some(m.value.to_string()),
                number(&q["value"]),
                "{file}: value"
            );
            assert_eq!(m.unit, q["unit"].as_str(), "{file}: unit");
            assert_eq!(m.code, q["code"].as_str(), "{file}: unit code");
        } else {
            assert!(
                view.quantity().is_none(),
                "{file}: quantity without valueQuantity"
            );
        }
        if json.get("valueCodeableConcept").is_some() {
            let value = view.value().and_then(|v| v.concept());
            assert_eq!(
                value.and_then(|c| c.first()).map(|c| c.code),
                json["valueCodeableConcept"]["coding"][0]["code"].as_str(),
                "{file}: coded value"
            );
        }
        let components = json["component"].as_array().map_or(0, Vec::len);
        assert_eq!(view.components().len(), components, "{file}: components");
        for (component, json_component) in view
            .components()
            .zip(json["component"].as_array().into_iter().flatten())
        {
            assert_eq!(
                first_code(component.code()),
                json_component["code"]["coding"][0]["code"].as_str(),
                "{file}: component code"
            );
            assert_eq!(
                component.quantity().map(|m| m.value.to_string()),
                number(&json_component["valueQuantity"]["value"]),
                "{file}: component value"
            );
        }
        assert_eq!(
            view.reference_ranges().count(),
            json["referenceRange"].as_array().map_or(0, Vec::len),
            "{file}: reference ranges"
        );
        assert_eq!(
            view.interpretations().count(),
            json["interpretation"].as_array().map_or(0, Vec::len),
            "{file}: interpretations"
        );
        if view.vital_sign() == Some(VitalSign::BloodPressure) {
            blood_pressures += 1;
            assert!(view.blood_pressure().is_some(), "{file}");
        }
    }
    assert!(vital_signs >= 15, "{vital_signs} vital-sign examples");
    assert!(quantities >= 40, "{quantities} examples with a quantity");
    assert_eq!(blood_pressures, 2, "blood-pressure and bp-data-absent");
    Ok(())
}

#[test]
fn every_condition_example_reads_back_through_the_view() -> TestResult {
    let all = examples("Condition")?;
    assert_eq!(all.len(), 5);
    for Example {
        file,
        resource,
        json,
    } in all
    {
        let view = ConditionView::from_resource(resource).ok_or("not a Condition")?;
        assert_eq!(
            view.clinical_status()
                .map(|s| s.code().to_owned())
                .as_deref(),
            json["clinicalStatus"]["coding"][0]["code"].as_str(),
            "{file}"
        );
        assert_eq!(
            view.verification_status()
                .map(|s| s.code().to_owned())
                .as_deref(),
            json["verificationStatus"]["coding"][0]["code"].as_str(),
            "{file}"
        );
        assert!(
            view.category().is_some(),
            "{file}: every example has a US Core category"
        );
        assert_eq!(
            view.code().and_then(|c| c.code_in(SNOMED)).map(|c| c.code),
            json["code"]["coding"][0]["code"].as_str(),
            "{file}"
        );
        assert_eq!(view.onset(), json_time(json, "onset")?, "{file}: onset");
        assert_eq!(
            view.abatement(),
            json_time(json, "abatement")?,
            "{file}: abatement"
        );
        assert_eq!(
            view.recorded_date(),
            json["recordedDate"].as_str().map(dt).transpose()?,
            "{file}"
        );
        assert!(
            view.asserted_date().is_some(),
            "{file}: every example asserts a date"
        );
    }
    Ok(())
}

#[test]
fn every_other_clinical_example_reads_back_through_its_view() -> TestResult {
    let mut read = 0;
    for Example {
        file,
        resource,
        json,
    } in all_examples()?
    {
        let status = json["status"].as_str();
        let subject = json["subject"]["reference"]
            .as_str()
            .or(json["patient"]["reference"].as_str());
        match json["resourceType"].as_str() {
            Some("AllergyIntolerance") => {
                let view = AllergyIntoleranceView::from_resource(resource).ok_or("view")?;
                assert_eq!(reference(view.patient()), subject, "{file}");
                assert_eq!(
                    view.code().and_then(|c| c.text()),
                    json["code"]["text"].as_str(),
                    "{file}"
                );
                assert_eq!(
                    view.reactions().count(),
                    json["reaction"].as_array().map_or(0, Vec::len),
                    "{file}"
                );
            }
            Some("Immunization") => {
                let view = ImmunizationView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert_eq!(reference(view.patient()), subject, "{file}");
                assert_eq!(view.occurrence(), json_time(json, "occurrence")?, "{file}");
            }
            Some("MedicationRequest") => {
                let view = MedicationRequestView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert_eq!(
                    view.intent().map(|s| s.code().to_owned()).as_deref(),
                    json["intent"].as_str(),
                    "{file}"
                );
                assert_eq!(reference(view.subject()), subject, "{file}");
                assert_eq!(
                    view.dosage_instructions().next().and_then(|d| d.text()),
                    json["dosageInstruction"][0]["text"].as_str(),
                    "{file}"
                );
                // Every example's medication is readable except one on the server.
                let on_server = json["medicationReference"]["reference"]
                    .as_str()
                    .is_some_and(|r| !r.starts_with('#'));
                assert_eq!(view.medication_code().is_none(), on_server, "{file}");
            }
            Some("Encounter") => {
                let view = EncounterView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert_eq!(view.class().map(|c| c.code), json["class"]["code"].as_str());
                assert_eq!(
                    view.types().count(),
                    json["type"].as_array().map_or(0, Vec::len)
                );
            }
            Some("Procedure") => {
                let view = ProcedureView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert_eq!(view.performed(), json_time(json, "performed")?, "{file}");
            }
            Some("DiagnosticReport") => {
                let view = DiagnosticReportView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert_eq!(view.effective(), json_time(json, "effective")?, "{file}");
                assert_eq!(
                    view.results().len(),
                    json["result"].as_array().map_or(0, Vec::len)
                );
                let declared = json["meta"]["profile"][0].as_str().ok_or("no profile")?;
                assert_eq!(view.profile_by_content(), declared, "{file}: profile");
            }
            Some("DocumentReference") => {
                let view = DocumentReferenceView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert_eq!(
                    view.doc_type()
                        .and_then(|t| t.code_in(LOINC))
                        .map(|c| c.code),
                    json["type"]["coding"][0]["code"].as_str(),
                    "{file}"
                );
                let attachment = view.attachments().next().ok_or("no attachment")?;
                assert_eq!(
                    attachment.content_type(),
                    json["content"][0]["attachment"]["contentType"].as_str(),
                    "{file}"
                );
                assert_eq!(
                    attachment.url(),
                    json["content"][0]["attachment"]["url"].as_str(),
                    "{file}"
                );
            }
            Some("Goal") => {
                let view = GoalView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.lifecycle_status()
                        .map(|s| s.code().to_owned())
                        .as_deref(),
                    json["lifecycleStatus"].as_str()
                );
                assert_eq!(
                    view.due_date(),
                    json["target"][0]["dueDate"]
                        .as_str()
                        .map(Date::parse)
                        .transpose()?,
                    "{file}"
                );
            }
            Some("CarePlan") => {
                let view = CarePlanView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert!(view.is_assess_plan(), "{file}");
                assert_eq!(view.narrative(), json["text"]["div"].as_str(), "{file}");
            }
            Some("CareTeam") => {
                let view = CareTeamView::from_resource(resource).ok_or("view")?;
                assert_eq!(
                    view.status().map(|s| s.code().to_owned()).as_deref(),
                    status
                );
                assert_eq!(
                    view.participants().len(),
                    json["participant"].as_array().map_or(0, Vec::len)
                );
                for (member, json_member) in view
                    .participants()
                    .zip(json["participant"].as_array().into_iter().flatten())
                {
                    assert_eq!(
                        reference(member.member()),
                        json_member["member"]["reference"].as_str()
                    );
                }
            }
            _ => continue,
        }
        read += 1;
    }
    // 1 + 1 in a Bundle, 1, 4, 3, 2, 5, 2 + 4 in Bundles, 2, 1, 2.
    assert_eq!(read, 28, "examples read");
    Ok(())
}

// ---- specific values of specific examples ----

#[test]
fn blood_pressure_example() -> TestResult {
    let view =
        ObservationView::from_resource(example("Observation", "blood-pressure")?).ok_or("view")?;
    assert_eq!(view.status(), Some(ObservationStatus::Final));
    assert!(view.has_category(&ObservationCategory::VitalSigns));
    assert_eq!(view.vital_sign(), Some(VitalSign::BloodPressure));
    assert_eq!(view.loinc(), Some("85354-9"));
    assert_eq!(view.effective(), at("1999-07-02")?);
    assert_eq!(reference(view.subject()), Some("Patient/example"));
    assert!(
        view.quantity().is_none(),
        "a blood pressure has components, not a value"
    );
    let bp = view.blood_pressure().ok_or("no blood pressure")?;
    assert_eq!(
        measured(bp.systolic),
        Some(("109", Some("mmHg"), Some("mm[Hg]")))
    );
    assert_eq!(
        measured(bp.diastolic),
        Some(("44", Some("mmHg"), Some("mm[Hg]")))
    );

    let absent =
        ObservationView::from_resource(example("Observation", "bp-data-absent")?).ok_or("view")?;
    let bp = absent.blood_pressure().ok_or("no blood pressure")?;
    assert_eq!(bp.systolic.map(|m| m.value.as_str()), Some("109"));
    assert_eq!(bp.diastolic, None);
    let diastolic = absent.component(LOINC, "8462-4").ok_or("no diastolic")?;
    assert_eq!(first_code(diastolic.data_absent_reason()), Some("unknown"));
    assert_eq!(reference(absent.encounter()), Some("Encounter/1036"));
    Ok(())
}

#[test]
fn weight_and_pulse_oximetry_examples() -> TestResult {
    let weight = ObservationView::from_resource(example("Observation", "weight")?).ok_or("view")?;
    assert_eq!(weight.vital_sign(), Some(VitalSign::BodyWeight));
    // Exact decimal, as written.
    assert_eq!(
        measured(weight.quantity()),
        Some(("20.09414", Some("kg"), Some("kg")))
    );
    assert!(weight.blood_pressure().is_none());

    let spo2 =
        ObservationView::from_resource(example("Observation", "satO2-fiO2")?).ok_or("view")?;
    // The first LOINC coding is 2708-6, which the pulse-oximetry profile also requires.
    assert_eq!(spo2.loinc(), Some("2708-6"));
    assert_eq!(spo2.vital_sign(), Some(VitalSign::PulseOximetry));
    assert_eq!(
        measured(spo2.quantity()),
        Some(("95", Some("%"), Some("%")))
    );
    assert_eq!(spo2.effective(), at("2014-12-05T09:30:10+01:00")?);
    let interpretation = spo2.interpretations().next().ok_or("no interpretation")?;
    let n = interpretation.first().ok_or("no coding")?;
    assert_eq!(
        n.system,
        Some("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation")
    );
    assert_eq!((n.code, n.display), ("N", Some("Normal")));
    let range = spo2.reference_ranges().next().ok_or("no range")?;
    assert_eq!(measured(range.low()), Some(("90", Some("%"), Some("%"))));
    assert_eq!(measured(range.high()), Some(("99", Some("%"), Some("%"))));
    let flow = spo2.component(LOINC, "3151-8").ok_or("no flow rate")?;
    assert_eq!(
        measured(flow.quantity()),
        Some(("6", Some("liters/min"), Some("L/min")))
    );
    Ok(())
}

#[test]
fn laboratory_result_examples() -> TestResult {
    let hemoglobin =
        ObservationView::from_resource(example("Observation", "cbc-hemoglobin")?).ok_or("view")?;
    assert!(hemoglobin.has_category(&ObservationCategory::Laboratory));
    assert_eq!(hemoglobin.vital_sign(), None);
    assert_eq!(hemoglobin.loinc(), Some("718-7"));
    assert_eq!(
        hemoglobin.code().and_then(|c| c.label()),
        Some("Hemoglobin")
    );
    // The example gives a UCUM system but no unit code.
    let value = hemoglobin.quantity().ok_or("no value")?;
    assert_eq!(
        (value.value.as_str(), value.unit, value.system, value.code),
        ("17", Some("g/dL"), Some(Measurement::UCUM), None)
    );
    assert_eq!(value.ucum(), None);
    assert_eq!(value.to_string(), "17 g/dL");
    let range = hemoglobin.reference_ranges().next().ok_or("no range")?;
    assert_eq!(
        measured(range.low()),
        Some(("16.5", Some("g/dL"), Some("g/dL")))
    );
    assert_eq!(
        measured(range.high()),
        Some(("21.5", Some("g/dL"), Some("g/dL")))
    );
    assert_eq!(
        range
            .meaning()
            .and_then(|m| m.code_in("http://terminology.hl7.org/CodeSystem/referencerange-meaning"))
            .map(|c| c.code),
        Some("normal")
    );

    let potassium =
        ObservationView::from_resource(example("Observation", "serum-potassium")?).ok_or("view")?;
    assert_eq!(potassium.quantity().map(|m| m.value.as_str()), Some("5.4"));
    assert_eq!(
        reference(potassium.specimen()),
        Some("Specimen/specimen-example-serum")
    );
    assert_eq!(potassium.effective(), at("2005-07-05")?);

    let report =
        DiagnosticReportView::from_resource(example("DiagnosticReport", "cbc")?).ok_or("view")?;
    assert!(report.is_laboratory());
    assert_eq!(report.profile_by_content(), PROFILE_LAB);
    assert_eq!(report.status(), Some(DiagnosticReportStatus::Final));
    assert_eq!(report.results().len(), 8);
    assert_eq!(
        report.results()[2].reference.as_str(),
        Some("Observation/cbc-hemoglobin")
    );
    assert_eq!(
        report.issued().map(ToString::to_string).as_deref(),
        Some("2005-07-06T11:45:33+11:00")
    );
    assert_eq!(
        report
            .performers()
            .first()
            .and_then(|p| p.reference.as_str()),
        Some("Organization/acme-lab")
    );
    Ok(())
}

#[test]
fn note_report_example() -> TestResult {
    let report =
        DiagnosticReportView::from_resource(example("DiagnosticReport", "cardiology-report")?)
            .ok_or("view")?;
    assert!(!report.is_laboratory());
    assert_eq!(report.profile_by_content(), PROFILE_NOTE);
    assert_eq!(
        report.code().and_then(|c| c.code_in(LOINC)).map(|c| c.code),
        Some("45033-8")
    );
    assert_eq!(report.effective(), at("2021-11-10T21:39:30.000Z")?);
    assert_eq!(
        report.media().next().and_then(|m| m.reference.as_str()),
        Some("Media/ekg-strip")
    );
    let pdf = report.presented_forms().next().ok_or("no presented form")?;
    assert_eq!(pdf.content_type(), Some("application/pdf"));
    assert_eq!(
        pdf.url(),
        Some("http://example.org/pdfdownloads/cardiopanel-report-123.pdf")
    );
    assert_eq!(pdf.data_base64(), None);
    Ok(())
}

#[test]
fn condition_examples() -> TestResult {
    let burn = ConditionView::from_resource(example("Condition", "encounter-diagnosis-example1")?)
        .ok_or("view")?;
    assert_eq!(burn.category(), Some(ConditionCategory::EncounterDiagnosis));
    assert_eq!(
        burn.category().map(ConditionCategory::profile),
        Some(
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-encounter-diagnosis"
        )
    );
    assert_eq!(
        burn.clinical_status(),
        Some(ConditionClinicalStatus::Resolved)
    );
    assert_eq!(
        burn.verification_status(),
        Some(ConditionVerificationStatus::Confirmed)
    );
    let code = burn.code().ok_or("no code")?;
    assert_eq!(
        code.code_in(SNOMED).map(|c| (c.code, c.display)),
        Some(("39065001", Some("Burn of ear")))
    );
    assert_eq!(code.text(), Some("Burnt Ear"));
    assert_eq!(burn.onset(), at("2015-10-31")?);
    assert_eq!(
        burn.onset().and_then(|o| o.start()),
        Some(dt("2015-10-31")?)
    );
    assert_eq!(burn.abatement(), at("2015-12-01")?);
    assert_eq!(burn.recorded_date(), Some(dt("2015-11-01")?));
    assert_eq!(burn.asserted_date(), Some(dt("2015-10-31")?));
    assert_eq!(reference(burn.encounter()), Some("Encounter/example-1"));

    let concern = ConditionView::from_resource(example("Condition", "health-concern-example")?)
        .ok_or("view")?;
    assert_eq!(concern.category(), Some(ConditionCategory::HealthConcern));
    assert_eq!(
        concern.clinical_status(),
        Some(ConditionClinicalStatus::Active)
    );
    assert_eq!(concern.abatement(), None);

    let sdoh = ConditionView::from_resource(example("Condition", "condition-SDOH-example")?)
        .ok_or("view")?;
    assert_eq!(sdoh.category(), Some(ConditionCategory::ProblemListItem));
    assert!(sdoh.categories().any(|c| c.has(
        "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",
        "sdoh"
    )));
    assert_eq!(sdoh.onset(), None);
    Ok(())
}

#[test]
fn allergy_and_immunization_examples() -> TestResult {
    let allergy = AllergyIntoleranceView::from_resource(example("AllergyIntolerance", "example")?)
        .ok_or("view")?;
    assert_eq!(
        allergy.clinical_status(),
        Some(AllergyClinicalStatus::Active)
    );
    assert_eq!(
        allergy.verification_status(),
        Some(AllergyVerificationStatus::Confirmed)
    );
    assert_eq!(
        allergy.categories().collect::<Vec<_>>(),
        [AllergyCategory::Medication]
    );
    assert_eq!(allergy.criticality(), Some(AllergyCriticality::High));
    let code = allergy.code().ok_or("no code")?;
    assert_eq!(code.code_in(SNOMED).map(|c| c.code), Some("763875007"));
    assert_eq!(code.label(), Some("sulfonamide antibacterial"));
    let reaction = allergy.reactions().next().ok_or("no reaction")?;
    assert_eq!(reaction.severity(), Some("mild"));
    assert_eq!(
        reaction
            .manifestations()
            .next()
            .and_then(|m| m.code_in(SNOMED))
            .map(|c| c.code),
        Some("271807003")
    );

    let flu = ImmunizationView::from_resource(example("Immunization", "imm-1")?).ok_or("view")?;
    assert_eq!(flu.status(), Some(ImmunizationStatus::Completed));
    assert_eq!(
        flu.cvx().map(|c| (c.code, c.display)),
        Some(("197", Some("influenza, high-dose, quadrivalent")))
    );
    assert!(
        flu.vaccine_code()
            .is_some_and(|c| c.has("http://hl7.org/fhir/sid/ndc", "49281012165"))
    );
    assert_eq!(flu.occurrence(), at("2020-11-19T12:46:57-08:00")?);
    assert_eq!(flu.primary_source(), Some(false));
    assert_eq!(reference(flu.patient()), Some("Patient/example"));
    Ok(())
}

#[test]
fn medication_request_examples() -> TestResult {
    let coded = MedicationRequestView::from_resource(example(
        "MedicationRequest",
        "medicationrequest-coded-oral-axid",
    )?)
    .ok_or("view")?;
    assert_eq!(coded.status(), Some(MedicationRequestStatus::Active));
    assert_eq!(coded.intent(), Some(MedicationRequestIntent::Order));
    assert_eq!(coded.rxnorm().map(|c| c.code), Some("476872"));
    assert!(matches!(
        coded.medication(),
        Some(MedicationChoice::Code(_))
    ));
    assert_eq!(coded.authored_on(), Some(dt("2008-04-05")?));
    assert_eq!(
        reference(coded.requester()),
        Some("Practitioner/practitioner-1")
    );
    assert_eq!(coded.refills(), Some(1));
    assert_eq!(
        measured(coded.dispense_quantity()),
        Some(("480", Some("mL"), Some("mL")))
    );
    assert_eq!(
        measured(coded.expected_supply_duration()),
        Some(("30", Some("days"), Some("d")))
    );
    let dosage = coded.dosage_instructions().next().ok_or("no dosage")?;
    assert_eq!(dosage.text(), Some("10 mL bid"));
    let dose = dosage.doses().next().ok_or("no dose")?;
    let Dose::Quantity(dose) = dose else {
        return Err("dose is not a quantity".into());
    };
    assert_eq!(measured(Some(dose)), Some(("10", Some("ml"), Some("mL"))));
    assert!(
        dosage
            .timing()
            .and_then(|t| t.repeat.as_ref())
            .is_some_and(|r| r.period_unit.as_str() == Some("d"))
    );

    // The medication is a contained Medication.
    let contained = MedicationRequestView::from_resource(example(
        "MedicationRequest",
        "medicationrequest-contained-oral-axid",
    )?)
    .ok_or("view")?;
    assert!(matches!(
        contained.medication(),
        Some(MedicationChoice::Reference(_))
    ));
    assert_eq!(contained.rxnorm().map(|c| c.code), Some("582620"));

    // ... or one on the server, which the view cannot read.
    let referenced = MedicationRequestView::from_resource(example(
        "MedicationRequest",
        "medicationrequest-referenced-oral-axid",
    )?)
    .ok_or("view")?;
    assert!(referenced.medication_code().is_none());
    let Some(MedicationChoice::Reference(medication)) = referenced.medication() else {
        return Err("not a reference".into());
    };
    assert_eq!(
        medication.reference.as_str(),
        Some("Medication/uscore-med2")
    );
    assert_eq!(
        referenced.reason_references()[0].reference.as_str(),
        Some("Condition/condition-duodenal-ulcer")
    );

    let tylenol =
        MedicationRequestView::from_resource(example("MedicationRequest", "self-tylenol")?)
            .ok_or("view")?;
    assert_eq!(tylenol.intent(), Some(MedicationRequestIntent::Plan));
    assert!(matches!(tylenol.reported(), Some(Reported::Boolean(true))));
    assert_eq!(reference(tylenol.encounter()), Some("Encounter/example-1"));
    assert_eq!(tylenol.refills(), None);
    Ok(())
}

#[test]
fn encounter_and_procedure_examples() -> TestResult {
    let visit = EncounterView::from_resource(example("Encounter", "example-1")?).ok_or("view")?;
    assert_eq!(visit.status(), Some(EncounterStatus::Finished));
    assert_eq!(
        visit.class().map(|c| (c.system, c.code)),
        Some((
            Some("http://terminology.hl7.org/CodeSystem/v3-ActCode"),
            "AMB"
        ))
    );
    let visit_type = visit.types().next().ok_or("no type")?;
    assert!(visit_type.has("http://www.ama-assn.org/go/cpt", "99201"));
    assert_eq!(visit_type.label(), Some("Office Visit"));
    assert_eq!(
        visit.period(),
        Some(Span {
            start: Some(dt("2015-11-01T17:00:14-05:00")?),
            end: Some(dt("2015-11-01T18:00:14-05:00")?),
        })
    );

    let inpatient = EncounterView::from_resource(example("Encounter", "1036")?).ok_or("view")?;
    assert_eq!(inpatient.status(), Some(EncounterStatus::InProgress));
    assert_eq!(
        inpatient
            .discharge_disposition()
            .and_then(|d| d.first())
            .map(|c| c.code),
        Some("01")
    );
    assert_eq!(
        inpatient
            .locations()
            .next()
            .and_then(|l| l.reference.as_str()),
        Some("Location/hospital")
    );

    let defib =
        ProcedureView::from_resource(example("Procedure", "defib-implant")?).ok_or("view")?;
    assert_eq!(defib.status(), Some(ProcedureStatus::Completed));
    assert_eq!(
        defib.performed(),
        Some(ClinicalTime::Period(Span {
            start: Some(dt("2019-03-26T12:55:26-07:00")?),
            end: Some(dt("2019-03-26T13:25:26-07:00")?),
        }))
    );
    assert_eq!(
        defib.performers().next().and_then(|p| p.reference.as_str()),
        Some("Practitioner/practitioner-1")
    );
    let rehab = ProcedureView::from_resource(example("Procedure", "rehab")?).ok_or("view")?;
    assert_eq!(rehab.performed(), at("2002-05-23")?);
    let code = rehab.code().ok_or("no code")?;
    assert_eq!(code.codes().count(), 2);
    assert!(code.has("http://www.cms.gov/Medicare/Coding/ICD10", "HZ30ZZZ"));
    Ok(())
}

#[test]
fn document_reference_examples() -> TestResult {
    let ccd =
        DocumentReferenceView::from_resource(example("DocumentReference", "episode-summary")?)
            .ok_or("view")?;
    assert_eq!(ccd.status(), Some(DocumentReferenceStatus::Current));
    assert_eq!(
        ccd.doc_type()
            .and_then(|t| t.code_in(LOINC))
            .map(|c| (c.code, c.display)),
        Some(("34133-9", Some("Summary of episode note")))
    );
    assert!(ccd.categories().any(|c| c.has(
        "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "clinical-note"
    )));
    assert_eq!(
        ccd.date().map(ToString::to_string).as_deref(),
        Some("2016-03-09T15:29:46Z")
    );
    assert_eq!(
        ccd.authors().first().and_then(|a| a.reference.as_str()),
        Some("Practitioner/practitioner-1")
    );
    let content = ccd.contents().next().ok_or("no content")?;
    let attachment = content.attachment().ok_or("no attachment")?;
    assert_eq!(attachment.content_type(), Some("text/plain"));
    assert_eq!(attachment.url(), Some("/Binary/1-note"));
    assert_eq!(
        content.format().map(|f| f.code),
        Some("urn:hl7-org:sdwg:ccda-structuredBody:2.1")
    );
    assert_eq!(
        ccd.period(),
        Some(Span {
            start: Some(dt("2004-12-23T08:00:00+11:00")?),
            end: Some(dt("2004-12-23T08:01:00+11:00")?),
        })
    );

    let discharge =
        DocumentReferenceView::from_resource(example("DocumentReference", "discharge-summary")?)
            .ok_or("view")?;
    let inline = discharge.attachments().next().ok_or("no attachment")?;
    assert_eq!(inline.url(), None);
    assert!(
        inline
            .data_base64()
            .is_some_and(|d| d.starts_with("Tm8gYWN0aXZpdHkgcmVz"))
    );
    assert_eq!(
        discharge
            .encounters()
            .first()
            .and_then(|e| e.reference.as_str()),
        Some("Encounter/example-1")
    );
    assert_eq!(discharge.date(), None);
    Ok(())
}

#[test]
fn goal_care_plan_and_care_team_examples() -> TestResult {
    let goal = GoalView::from_resource(example("Goal", "goal-1")?).ok_or("view")?;
    assert_eq!(goal.lifecycle_status(), Some(GoalLifecycleStatus::Active));
    assert_eq!(
        goal.description().and_then(|d| d.label()),
        Some("Patient is targeting a pulse oximetry of 92% and a weight of 195 lbs")
    );
    assert_eq!(goal.due_date(), Some(Date::parse("2016-04-05")?));
    let sdoh = GoalView::from_resource(example("Goal", "goal-sdoh-2")?).ok_or("view")?;
    assert_eq!(
        sdoh.description()
            .and_then(|d| d.code_in(SNOMED))
            .map(|c| c.code),
        Some("406156006")
    );

    let plan = CarePlanView::from_resource(example("CarePlan", "colonoscopy")?).ok_or("view")?;
    assert_eq!(plan.status(), Some(CarePlanStatus::Active));
    assert_eq!(plan.intent(), Some(CarePlanIntent::Order));
    assert!(plan.is_assess_plan());
    assert_eq!(plan.narrative_status(), Some("additional"));
    assert!(
        plan.narrative()
            .is_some_and(|div| div.contains("Recurrent GI bleed"))
    );

    let team = CareTeamView::from_resource(example("CareTeam", "example")?).ok_or("view")?;
    assert_eq!(team.status(), Some(CareTeamStatus::Active));
    assert_eq!(team.name(), Some("US-Core example CareTeam"));
    let members: Vec<(Option<&str>, Option<&str>)> = team
        .participants()
        .map(|m| {
            (
                m.roles().next().and_then(|r| r.first()).map(|c| c.code),
                reference(m.member()),
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            (Some("17561000"), Some("Practitioner/practitioner-1")),
            (Some("453231000124104"), Some("Practitioner/practitioner-2")),
            (Some("116154003"), Some("Patient/example")),
            (Some("133932002"), Some("RelatedPerson/shaw-niece")),
        ]
    );
    Ok(())
}

// ---- the vital-signs builder ----

fn patient() -> Reference {
    Reference::to_resource("Patient", "example")
}

fn errors(issues: &[carin_profiles::Issue]) -> Vec<String> {
    issues
        .iter()
        .filter(|i| i.is_error())
        .map(|i| format!("{i} [{}]", i.rule))
        .collect()
}

/// `observation` has zero validation errors against its vital sign's profile, and against
/// the profile `validate` chooses.
fn assert_conforms(observation: &Observation, vital_sign: VitalSign) -> TestResult {
    let resource = Resource::Observation(Box::new(observation.clone()));
    let versioned = format!("{}|6.1.0", vital_sign.profile());
    let issues = validate_as(&resource, &versioned);
    assert!(
        errors(&issues).is_empty(),
        "{vital_sign:?}: {:#?}",
        errors(&issues)
    );
    let issues = validate(&resource);
    assert!(
        issues[0].message.contains(vital_sign.profile()),
        "{vital_sign:?}: {}",
        issues[0]
    );
    assert!(
        errors(&issues).is_empty(),
        "{vital_sign:?}: {:#?}",
        errors(&issues)
    );
    // The base vital-signs profile too.
    let issues = validate_as(
        &resource,
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-vital-signs|6.1.0",
    );
    assert!(
        errors(&issues).is_empty(),
        "{vital_sign:?}: {:#?}",
        errors(&issues)
    );
    Ok(())
}

#[test]
fn every_built_vital_sign_validates_in_every_allowed_unit_and_reads_back() -> TestResult {
    for vital_sign in VitalSign::ALL {
        if vital_sign == VitalSign::BloodPressure {
            continue;
        }
        for unit in vital_sign.units() {
            let observation = VitalSignsBuilder::new(
                vital_sign,
                patient(),
                dt("2024-03-01T09:30:00-05:00")?,
                Decimal::parse("72.50")?,
                unit,
            )
            .id("vs-1")
            .encounter(Reference::to_resource("Encounter", "visit-1"))
            .build()?;
            assert_conforms(&observation, vital_sign)?;

            let view = ObservationView::new(&observation);
            assert_eq!(view.vital_sign(), Some(vital_sign));
            assert_eq!(view.status(), Some(ObservationStatus::Final));
            assert!(view.has_category(&ObservationCategory::VitalSigns));
            assert_eq!(view.effective(), at("2024-03-01T09:30:00-05:00")?);
            let value = view.quantity().ok_or("no value")?;
            assert_eq!(value.value.as_str(), "72.50", "exact, as given");
            assert_eq!(value.ucum(), Some(*unit));
            assert_eq!(reference(view.encounter()), Some("Encounter/visit-1"));
        }
    }
    Ok(())
}

#[test]
fn built_blood_pressure_validates_and_reads_back() -> TestResult {
    let observation = VitalSignsBuilder::blood_pressure(
        patient(),
        dt("2024-03-01")?,
        Decimal::parse("118")?,
        Decimal::parse("76.5")?,
    )
    .status(ObservationStatus::Amended)
    .build()?;
    assert_conforms(&observation, VitalSign::BloodPressure)?;
    let json = fhir_model::to_json(&Resource::Observation(Box::new(observation.clone())));
    let reparsed = fhir_model::from_json(&json)?;
    let view = ObservationView::from_resource(&reparsed).ok_or("view")?;
    assert_eq!(view.status(), Some(ObservationStatus::Amended));
    assert_eq!(view.vital_sign(), Some(VitalSign::BloodPressure));
    let bp = view.blood_pressure().ok_or("no blood pressure")?;
    assert_eq!(
        measured(bp.systolic),
        Some(("118", Some("mmHg"), Some("mm[Hg]")))
    );
    assert_eq!(
        measured(bp.diastolic),
        Some(("76.5", Some("mmHg"), Some("mm[Hg]")))
    );
    assert!(matches!(
        view.value(),
        None | Some(ObservedValue::Quantity(_))
    ));
    Ok(())
}

#[test]
fn vital_signs_builder_refuses_what_the_profiles_forbid() -> TestResult {
    let weight = |unit: &str| {
        Ok::<_, fhir_model::Error>(VitalSignsBuilder::new(
            VitalSign::BodyWeight,
            patient(),
            dt("2024-03-01")?,
            Decimal::parse("70")?,
            unit,
        ))
    };
    assert_eq!(
        weight("mg")?.build(),
        Err(VitalSignsError::UnitNotAllowed {
            vital_sign: VitalSign::BodyWeight,
            unit: "mg".to_owned()
        })
    );
    // The validator agrees: the same Observation with `mg` breaks the profile's binding.
    let mut observation = weight("kg")?.build()?;
    if let Some(fhir_model::resources::ObservationValue::Quantity(q)) = observation.value.as_mut() {
        q.code = "mg".into();
    }
    let issues = validate_as(
        &Resource::Observation(Box::new(observation)),
        &format!("{}|6.1.0", VitalSign::BodyWeight.profile()),
    );
    assert!(
        issues
            .iter()
            .any(|i| i.is_error() && i.location.ends_with("valueQuantity.code")),
        "{:#?}",
        errors(&issues)
    );

    assert_eq!(
        weight("kg")?
            .status(ObservationStatus::from_code("done"))
            .build(),
        Err(VitalSignsError::CodeNotAllowed {
            element: "status",
            code: "done".to_owned()
        })
    );
    let month = VitalSignsBuilder::new(
        VitalSign::HeartRate,
        patient(),
        dt("2024-03")?,
        Decimal::parse("60")?,
        "/min",
    )
    .build();
    assert_eq!(
        month,
        Err(VitalSignsError::ImpreciseEffective(dt("2024-03")?))
    );
    let bp = VitalSignsBuilder::new(
        VitalSign::BloodPressure,
        patient(),
        dt("2024-03-01")?,
        Decimal::parse("120")?,
        "mm[Hg]",
    )
    .build();
    assert_eq!(bp, Err(VitalSignsError::BloodPressureNeedsComponents));
    Ok(())
}
