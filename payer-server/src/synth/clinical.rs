//! US Core 6.1.0 clinical resources: conditions, encounters, vital signs and lab results,
//! allergies, immunizations, medication requests and procedures.

use fhir_model::datatypes::{Dosage, Duration, Reference};
use fhir_model::resources::{
    AllergyIntolerance, AllergyIntoleranceReaction, Condition, ConditionAbatement, ConditionOnset,
    Encounter, EncounterHospitalization, EncounterParticipant, Immunization,
    ImmunizationOccurrence, ImmunizationPerformer, MedicationRequest,
    MedicationRequestDispenseRequest, MedicationRequestMedication, Observation,
    ObservationComponent, ObservationComponentValue, ObservationEffective,
    ObservationReferenceRange, ObservationValue, Procedure, ProcedurePerformed, ProcedurePerformer,
};

use super::calendar::Day;
use super::codes::{
    Allergy, BillingCode, CVX, Diagnosis, Drug, ICD10_CM, LOINC, LabTest, RXNORM, SNOMED, Vaccine,
};
use super::context::MemberContext;
use super::fhir::{
    US_CORE, code, code_display, coding_display, count, fixed, meta, period, primitive, reference,
    ucum,
};

const US_CORE_BASE: &str = "http://hl7.org/fhir/us/core/StructureDefinition";

/// The `meta` of a US Core resource, last updated shortly after `day`.
fn us_core_meta(
    ctx: &mut MemberContext<'_>,
    profile: &str,
    day: Day,
) -> fhir_model::datatypes::Meta {
    let updated = ctx.days_after(day, 0, 2);
    let minute = ctx.business_minute();
    meta(
        updated,
        minute,
        &[(&format!("{US_CORE_BASE}/{profile}"), US_CORE)],
    )
}

/// A diagnosis as a concept: SNOMED CT and ICD-10-CM codings.
fn diagnosis_concept(dx: &Diagnosis) -> fhir_model::datatypes::CodeableConcept {
    let mut concept = code_display(SNOMED, dx.snomed, dx.display);
    concept
        .coding
        .push(coding_display(ICD10_CM, dx.icd10, dx.display));
    concept.text = dx.display.into();
    concept
}

/// A condition on the problem list (`us-core-condition-problems-health-concerns`).
pub(crate) fn problem(ctx: &mut MemberContext<'_>, dx: &Diagnosis, onset: Day) -> String {
    let recorded = onset.max(ctx.start.years_before(15));
    let mut condition = base_condition(
        ctx,
        "us-core-condition-problems-health-concerns",
        dx,
        ("problem-list-item", "Problem List Item"),
        recorded,
    );
    condition.onset = Some(ConditionOnset::DateTime(primitive(onset.to_date_time())));
    condition.recorded_date = primitive(recorded.to_date_time());
    push_condition(ctx, condition)
}

/// A diagnosis made at an encounter (`us-core-condition-encounter-diagnosis`), resolved
/// `resolved_after` days later.
pub(crate) fn encounter_diagnosis(
    ctx: &mut MemberContext<'_>,
    dx: &Diagnosis,
    encounter_id: &str,
    day: Day,
    resolved_after: i64,
) -> String {
    let mut condition = base_condition(
        ctx,
        "us-core-condition-encounter-diagnosis",
        dx,
        ("encounter-diagnosis", "Encounter Diagnosis"),
        day,
    );
    let resolved = day.plus(resolved_after);
    if resolved <= ctx.end {
        condition.clinical_status = Some(code(
            "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "resolved",
        ));
        condition.abatement = Some(ConditionAbatement::DateTime(primitive(
            resolved.to_date_time(),
        )));
    }
    condition.encounter = Some(reference("Encounter", encounter_id));
    condition.onset = Some(ConditionOnset::DateTime(primitive(day.to_date_time())));
    condition.recorded_date = primitive(day.to_date_time());
    push_condition(ctx, condition)
}

fn base_condition(
    ctx: &mut MemberContext<'_>,
    profile: &str,
    dx: &Diagnosis,
    (category, category_display): (&str, &str),
    day: Day,
) -> Condition {
    let mut condition = Condition::default();
    condition.meta = Some(us_core_meta(ctx, profile, day.max(ctx.start)));
    condition.clinical_status = Some(code(
        "http://terminology.hl7.org/CodeSystem/condition-clinical",
        "active",
    ));
    condition.verification_status = Some(code(
        "http://terminology.hl7.org/CodeSystem/condition-ver-status",
        "confirmed",
    ));
    condition.category.push(code_display(
        "http://terminology.hl7.org/CodeSystem/condition-category",
        category,
        category_display,
    ));
    condition.code = Some(diagnosis_concept(dx));
    condition.subject = Some(ctx.member.patient_reference());
    condition
}

fn push_condition(ctx: &mut MemberContext<'_>, mut condition: Condition) -> String {
    let id = ctx.next_id("condition");
    condition.id = Some(id.clone());
    ctx.push(condition);
    id
}

/// The kind of encounter (HL7 v3 ActCode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EncounterClass {
    /// An office visit.
    Ambulatory,
    /// An emergency department visit.
    Emergency,
    /// A hospital stay.
    Inpatient,
    /// A telehealth visit.
    Virtual,
}

impl EncounterClass {
    fn coding(self) -> fhir_model::datatypes::Coding {
        let (code, display) = match self {
            EncounterClass::Ambulatory => ("AMB", "ambulatory"),
            EncounterClass::Emergency => ("EMER", "emergency"),
            EncounterClass::Inpatient => ("IMP", "inpatient encounter"),
            EncounterClass::Virtual => ("VR", "virtual"),
        };
        coding_display(
            "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            code,
            display,
        )
    }
}

/// What an encounter needs.
#[derive(Debug)]
pub(crate) struct EncounterSpec<'s> {
    /// The class.
    pub(crate) class: EncounterClass,
    /// The visit code (CPT) as the encounter type.
    pub(crate) visit: &'static BillingCode,
    /// First and last day.
    pub(crate) days: (Day, Day),
    /// The practitioner seen (primary performer or attender).
    pub(crate) practitioner: Reference,
    /// The organization providing the service.
    pub(crate) organization: Reference,
    /// The reason.
    pub(crate) reason: &'static Diagnosis,
    /// The reason as a `Condition` id, when there is one.
    pub(crate) reason_condition: Option<&'s str>,
    /// NUBC discharge disposition of a stay.
    pub(crate) discharge: Option<(&'static str, &'static str)>,
}

/// An encounter (`us-core-encounter`); returns its id.
pub(crate) fn encounter(ctx: &mut MemberContext<'_>, spec: EncounterSpec<'_>) -> String {
    let id = ctx.next_id("encounter");
    let mut encounter = Encounter::default();
    encounter.id = Some(id.clone());
    encounter.meta = Some(us_core_meta(ctx, "us-core-encounter", spec.days.1));
    encounter.status = "finished".into();
    encounter.class = Some(spec.class.coding());
    encounter.r#type.push(code_display(
        spec.visit.system,
        spec.visit.code,
        spec.visit.display,
    ));
    encounter.subject = Some(ctx.member.patient_reference());
    let mut participant = EncounterParticipant::default();
    let (role, role_display) = if spec.class == EncounterClass::Inpatient {
        ("ATND", "attender")
    } else {
        ("PPRF", "primary performer")
    };
    participant.r#type.push(code_display(
        "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
        role,
        role_display,
    ));
    participant.individual = Some(spec.practitioner);
    encounter.participant.push(participant);
    encounter.period = Some(period(spec.days.0, Some(spec.days.1)));
    match spec.reason_condition {
        Some(condition) => encounter
            .reason_reference
            .push(reference("Condition", condition)),
        None => encounter.reason_code.push(diagnosis_concept(spec.reason)),
    }
    if let Some((code_value, display)) = spec.discharge {
        let mut hospitalization = EncounterHospitalization::default();
        hospitalization.discharge_disposition = Some(code_display(
            "http://www.nubc.org/patient-discharge",
            code_value,
            display,
        ));
        encounter.hospitalization = Some(Box::new(hospitalization));
    }
    encounter.service_provider = Some(spec.organization);
    ctx.push(encounter);
    id
}

/// A vital sign or lab observation with what they all have.
fn base_observation(
    ctx: &mut MemberContext<'_>,
    profile: &str,
    category: (&str, &str),
    loinc: (&str, &str),
    day: Day,
    encounter_id: Option<&str>,
) -> Observation {
    let mut observation = Observation::default();
    observation.id = Some(ctx.next_id("observation"));
    observation.meta = Some(us_core_meta(ctx, profile, day));
    observation.status = "final".into();
    observation.category.push(code_display(
        "http://terminology.hl7.org/CodeSystem/observation-category",
        category.0,
        category.1,
    ));
    let mut observation_code = code_display(LOINC, loinc.0, loinc.1);
    observation_code.text = loinc.1.into();
    observation.code = Some(observation_code);
    observation.subject = Some(ctx.member.patient_reference());
    observation.encounter = encounter_id.map(|id| reference("Encounter", id));
    observation.effective = Some(ObservationEffective::DateTime(primitive(
        day.to_date_time(),
    )));
    observation
}

const VITAL_SIGNS: (&str, &str) = ("vital-signs", "Vital Signs");

/// A blood pressure (`us-core-blood-pressure`) in mm[Hg].
pub(crate) fn blood_pressure(
    ctx: &mut MemberContext<'_>,
    day: Day,
    encounter_id: &str,
    (systolic, diastolic): (i64, i64),
) {
    let mut observation = base_observation(
        ctx,
        "us-core-blood-pressure",
        VITAL_SIGNS,
        ("85354-9", "Blood pressure panel with all children optional"),
        day,
        Some(encounter_id),
    );
    let component = |loinc: &str, display: &str, value: i64| {
        let mut component = ObservationComponent::default();
        component.code = Some(code_display(LOINC, loinc, display));
        component.value = Some(ObservationComponentValue::Quantity(Box::new(ucum(
            value, 0, "mm[Hg]", "mm[Hg]",
        ))));
        component
    };
    observation
        .component
        .push(component("8480-6", "Systolic blood pressure", systolic));
    observation
        .component
        .push(component("8462-4", "Diastolic blood pressure", diastolic));
    ctx.push(observation);
}

/// A body weight (`us-core-body-weight`) in kg, given in tenths of a kilogram.
pub(crate) fn body_weight(ctx: &mut MemberContext<'_>, day: Day, encounter_id: &str, tenths: i64) {
    let mut observation = base_observation(
        ctx,
        "us-core-body-weight",
        VITAL_SIGNS,
        ("29463-7", "Body weight"),
        day,
        Some(encounter_id),
    );
    observation.value = Some(ObservationValue::Quantity(Box::new(ucum(
        tenths, 1, "kg", "kg",
    ))));
    ctx.push(observation);
}

/// A lab result (`us-core-observation-lab`) collected on `day`, reported by `lab`.
pub(crate) fn lab_result(
    ctx: &mut MemberContext<'_>,
    test: &LabTest,
    value: i64,
    day: Day,
    encounter_id: Option<&str>,
    lab: Reference,
) {
    let mut observation = base_observation(
        ctx,
        "us-core-observation-lab",
        ("laboratory", "Laboratory"),
        (test.loinc, test.display),
        day,
        encounter_id,
    );
    let issued = ctx.days_after(day, 0, 1);
    let minute = ctx.business_minute();
    observation.issued = primitive(issued.at((minute / 60) as u8, (minute % 60) as u8));
    observation.performer.push(lab);
    observation.value = Some(ObservationValue::Quantity(Box::new(ucum(
        value, test.scale, test.unit, test.unit,
    ))));
    let (low, high) = test.normal;
    let (flag, flag_display) = if value < low {
        ("L", "Low")
    } else if value > high {
        ("H", "High")
    } else {
        ("N", "Normal")
    };
    observation.interpretation.push(code_display(
        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        flag,
        flag_display,
    ));
    let mut range = ObservationReferenceRange::default();
    range.low = Some(ucum(low, test.scale, test.unit, test.unit));
    range.high = Some(ucum(high, test.scale, test.unit, test.unit));
    observation.reference_range.push(range);
    ctx.push(observation);
}

/// An allergy (`us-core-allergyintolerance`), or "no known allergy" when `None`.
pub(crate) fn allergy(ctx: &mut MemberContext<'_>, allergy: Option<&Allergy>, recorded: Day) {
    let mut resource = AllergyIntolerance::default();
    resource.id = Some(ctx.next_id("allergy"));
    resource.meta = Some(us_core_meta(ctx, "us-core-allergyintolerance", recorded));
    resource.clinical_status = Some(code(
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
        "active",
    ));
    resource.verification_status = Some(code(
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
        "confirmed",
    ));
    match allergy {
        Some(allergy) => {
            resource.r#type = "allergy".into();
            resource.category.push(allergy.category.into());
            resource.criticality = allergy.criticality.into();
            resource.code = Some(code_display(allergy.system, allergy.code, allergy.display));
            let mut reaction = AllergyIntoleranceReaction::default();
            reaction.manifestation.push(code_display(
                SNOMED,
                allergy.reaction.0,
                allergy.reaction.1,
            ));
            reaction.severity = allergy.severity.into();
            resource.reaction.push(reaction);
        }
        None => {
            resource.code = Some(code_display(
                SNOMED,
                "716186003",
                "No known allergy (situation)",
            ));
        }
    }
    resource.patient = Some(ctx.member.patient_reference());
    resource.recorded_date = primitive(recorded.to_date_time());
    ctx.push(resource);
}

/// A given vaccine (`us-core-immunization`).
pub(crate) fn immunization(
    ctx: &mut MemberContext<'_>,
    vaccine: &Vaccine,
    day: Day,
    performer: Reference,
) {
    let mut resource = Immunization::default();
    resource.id = Some(ctx.next_id("immunization"));
    resource.meta = Some(us_core_meta(ctx, "us-core-immunization", day));
    resource.status = "completed".into();
    resource.vaccine_code = Some(code_display(CVX, vaccine.cvx, vaccine.display));
    resource.patient = Some(ctx.member.patient_reference());
    resource.occurrence = Some(ImmunizationOccurrence::DateTime(primitive(
        day.to_date_time(),
    )));
    resource.primary_source = true.into();
    let lot = format!(
        "{}{}",
        char::from(b'A' + ctx.rng.range(0, 25) as u8),
        ctx.rng.range(10_000, 99_999)
    );
    resource.lot_number = lot.into();
    let mut administered_by = ImmunizationPerformer::default();
    administered_by.function = Some(code_display(
        "http://terminology.hl7.org/CodeSystem/v2-0443",
        "AP",
        "Administering Provider",
    ));
    administered_by.actor = Some(performer);
    resource.performer.push(administered_by);
    ctx.push(resource);
}

/// What a medication request needs.
#[derive(Debug)]
pub(crate) struct Prescription<'s> {
    /// The drug.
    pub(crate) drug: &'static Drug,
    /// When it was written.
    pub(crate) authored: Day,
    /// The prescriber.
    pub(crate) requester: Reference,
    /// The condition treated, as a `Condition` id, or the diagnosis.
    pub(crate) reason_condition: Option<&'s str>,
    /// The diagnosis (used when there is no condition id).
    pub(crate) reason: &'static Diagnosis,
    /// Refills allowed.
    pub(crate) refills: u32,
    /// Still being taken (`active`) or finished (`completed`).
    pub(crate) active: bool,
}

/// A prescription (`us-core-medicationrequest`); returns its id.
pub(crate) fn medication_request(
    ctx: &mut MemberContext<'_>,
    prescription: Prescription<'_>,
) -> String {
    let drug = prescription.drug;
    let id = ctx.next_id("medication-request");
    let mut request = MedicationRequest::default();
    request.id = Some(id.clone());
    request.meta = Some(us_core_meta(
        ctx,
        "us-core-medicationrequest",
        prescription.authored,
    ));
    request.status = if prescription.active {
        "active"
    } else {
        "completed"
    }
    .into();
    request.intent = "order".into();
    request.category.push(code_display(
        "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
        "community",
        "Community",
    ));
    let mut medication = code_display(RXNORM, drug.rxnorm, drug.name);
    medication.text = drug.name.into();
    request.medication = Some(MedicationRequestMedication::CodeableConcept(Box::new(
        medication,
    )));
    request.subject = Some(ctx.member.patient_reference());
    request.authored_on = primitive(prescription.authored.to_date_time());
    request.requester = Some(prescription.requester);
    match prescription.reason_condition {
        Some(condition) => request
            .reason_reference
            .push(reference("Condition", condition)),
        None => request
            .reason_code
            .push(diagnosis_concept(prescription.reason)),
    }
    let mut dosage = Dosage::default();
    dosage.text = drug.sig.into();
    request.dosage_instruction.push(dosage);
    let mut dispense = MedicationRequestDispenseRequest::default();
    dispense.number_of_repeats_allowed = prescription.refills.into();
    dispense.quantity = Some(count(drug.quantity));
    let mut supply = Duration::default();
    supply.value = primitive(fixed(drug.days_supply, 0));
    supply.unit = "days".into();
    supply.system = super::fhir::UCUM.into();
    supply.code = "d".into();
    dispense.expected_supply_duration = Some(supply);
    request.dispense_request = Some(Box::new(dispense));
    ctx.push(request);
    id
}

/// What a procedure needs.
#[derive(Debug)]
pub(crate) struct ProcedureSpec<'s> {
    /// The CPT/HCPCS code.
    pub(crate) billing: &'static BillingCode,
    /// The SNOMED CT code, if known.
    pub(crate) snomed: Option<&'static str>,
    /// The day.
    pub(crate) day: Day,
    /// Who performed it.
    pub(crate) performer: Reference,
    /// On behalf of which organization.
    pub(crate) organization: Reference,
    /// Why.
    pub(crate) reason: &'static Diagnosis,
    /// The encounter, if there is one.
    pub(crate) encounter_id: Option<&'s str>,
}

/// A performed procedure (`us-core-procedure`).
pub(crate) fn procedure(ctx: &mut MemberContext<'_>, spec: ProcedureSpec<'_>) {
    let mut resource = Procedure::default();
    resource.id = Some(ctx.next_id("procedure"));
    resource.meta = Some(us_core_meta(ctx, "us-core-procedure", spec.day));
    resource.status = "completed".into();
    let mut procedure_code =
        code_display(spec.billing.system, spec.billing.code, spec.billing.display);
    if let Some(snomed) = spec.snomed {
        procedure_code
            .coding
            .push(coding_display(SNOMED, snomed, spec.billing.display));
    }
    procedure_code.text = spec.billing.display.into();
    resource.code = Some(procedure_code);
    resource.subject = Some(ctx.member.patient_reference());
    resource.encounter = spec.encounter_id.map(|id| reference("Encounter", id));
    resource.performed = Some(ProcedurePerformed::DateTime(primitive(
        spec.day.to_date_time(),
    )));
    let mut performer = ProcedurePerformer::default();
    performer.actor = Some(spec.performer);
    performer.on_behalf_of = Some(spec.organization);
    resource.performer.push(performer);
    resource.reason_code.push(diagnosis_concept(spec.reason));
    ctx.push(resource);
}
