//! One member: demographics, plan, health conditions and regular providers, and their
//! `Patient` (C4BB + US Core) and `Coverage` (C4BB) resources.

use fhir_model::datatypes::{Extension, HumanName, OpenType, Reference};
use fhir_model::resources::{
    Coverage, CoverageClass, CoverageCostToBeneficiary, CoverageCostToBeneficiaryValue, Patient,
    PatientCommunication,
};

use super::LineOfBusiness;
use super::benefits::{PlanDesign, plan_for};
use super::calendar::Day;
use super::codes::{self, Allergy, ChronicCondition, PAYER_TYPE};
use super::directory::{Directory, OrgId, OrgKind, PractitionerId, Specialty, address};
use super::fhir::{
    CARIN_BB, US_CORE, V2_IDENTIFIER_TYPE, code_display, coding, coding_display, complex_extension,
    concept_text, contact, extension, identifier, meta, period, primitive, reference, usd,
};
use super::rng::Rng;
use carin_profiles::codes::C4BBIdentifierType;

/// The base of the payer's identifier systems.
pub(crate) const PAYER_SYSTEM_BASE: &str = "https://www.cascadehealthplan.example/fhir";

/// A chronic condition of the member and when it started.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemberCondition {
    /// The condition.
    pub(crate) condition: &'static ChronicCondition,
    /// Its onset (may be before the period).
    pub(crate) onset: Day,
}

/// Everything about a member that stays the same over the period.
#[derive(Debug)]
pub(crate) struct MemberProfile {
    /// 1-based member number.
    pub(crate) number: usize,
    /// `Patient.id`.
    pub(crate) patient_id: String,
    /// `Coverage.id`.
    pub(crate) coverage_id: String,
    /// Suggested login name.
    pub(crate) username: String,
    /// The member id printed on the card (identifier type `MB`).
    pub(crate) member_id: String,
    /// Given name.
    pub(crate) given: &'static str,
    /// Middle initial.
    pub(crate) middle_initial: char,
    /// Family name.
    pub(crate) family: &'static str,
    /// `female` or `male`.
    pub(crate) gender: &'static str,
    /// Date of birth.
    pub(crate) birth: Day,
    street: String,
    city: &'static str,
    postal_code: String,
    phone: String,
    race: (&'static str, &'static str),
    ethnicity: (&'static str, &'static str),
    spanish_speaking: bool,
    /// The plan.
    pub(crate) plan: &'static PlanDesign,
    /// Chronic conditions.
    pub(crate) conditions: Vec<MemberCondition>,
    /// Allergies (none: no known allergies).
    pub(crate) allergies: Vec<&'static Allergy>,
    /// Primary care practitioner.
    pub(crate) primary_care: PractitionerId,
    /// Dentist.
    pub(crate) dentist: PractitionerId,
    /// Usual pharmacy.
    pub(crate) pharmacy: OrgId,
    /// Usual hospital.
    pub(crate) hospital: OrgId,
}

impl MemberProfile {
    /// A member drawn from `rng`, covered from `start` to `end`.
    pub(crate) fn generate(
        number: usize,
        line_of_business: LineOfBusiness,
        rng: &mut Rng,
        directory: &Directory,
        (start, end): (Day, Day),
    ) -> MemberProfile {
        let female = rng.chance(52);
        let age_at_end = match line_of_business {
            LineOfBusiness::MedicareAdvantage => rng.range(70, 92),
            LineOfBusiness::Chip => rng.range(6, 18),
            LineOfBusiness::Medicaid if rng.chance(25) => rng.range(5, 17),
            LineOfBusiness::Medicaid => rng.range(21, 63),
            LineOfBusiness::Qhp => rng.range(27, 63),
            LineOfBusiness::Commercial => rng.range(24, 63),
        };
        let birth = end.years_before(age_at_end).plus(-rng.range(1, 360));
        let (city, zip_prefix, area_code) = rng.choose(codes::CITIES);
        let plan = plan_for(line_of_business);
        let child = age_at_end < 18;
        let primary_care_specialty = if child {
            Specialty::Pediatrics
        } else if age_at_end >= 50 && rng.chance(50) {
            Specialty::InternalMedicine
        } else {
            Specialty::FamilyMedicine
        };
        let primary_care = directory.pick_practitioner(rng, primary_care_specialty);
        let mut member = MemberProfile {
            number,
            patient_id: format!("patient-{number:04}"),
            coverage_id: format!("coverage-{number:04}"),
            username: String::new(),
            member_id: format!(
                "{}{:08}",
                plan.member_prefix,
                rng.range(10_000_000, 99_999_999)
            ),
            given: if female {
                rng.choose(codes::FEMALE_NAMES)
            } else {
                rng.choose(codes::MALE_NAMES)
            },
            middle_initial: char::from(b'A' + rng.range(0, 25) as u8),
            family: rng.choose(codes::FAMILY_NAMES),
            gender: if female { "female" } else { "male" },
            birth,
            street: format!("{} {}", rng.range(100, 9899), rng.pick(codes::STREETS)),
            city,
            postal_code: format!("{zip_prefix}{:02}", rng.range(1, 99)),
            phone: format!("{area_code}-555-01{:02}", rng.range(0, 99)),
            race: *rng.weighted(codes::RACES),
            ethnicity: *rng.weighted(codes::ETHNICITIES),
            spanish_speaking: rng.chance(8),
            plan,
            conditions: Vec::new(),
            allergies: Vec::new(),
            primary_care,
            dentist: directory.pick_practitioner(rng, Specialty::Dentist),
            pharmacy: directory.pick_organization(rng, OrgKind::Pharmacy),
            hospital: directory.pick_organization(rng, OrgKind::Hospital),
        };
        member.conditions = chronic_conditions(rng, &member, start, end);
        member.allergies = allergies(rng);
        member
    }

    /// `Given M. Family`.
    pub(crate) fn display_name(&self) -> String {
        format!("{} {}. {}", self.given, self.middle_initial, self.family)
    }

    /// Age in whole years on `day`.
    pub(crate) fn age_on(&self, day: Day) -> i64 {
        day.years_since(self.birth)
    }

    /// Whether the member has a condition.
    pub(crate) fn has(&self, condition: &ChronicCondition) -> bool {
        self.conditions.iter().any(|c| c.condition == condition)
    }

    /// `Patient/<id>` with the member's name.
    pub(crate) fn patient_reference(&self) -> Reference {
        let mut out = reference("Patient", &self.patient_id);
        out.display = self.display_name().into();
        out
    }

    /// `Coverage/<id>`.
    pub(crate) fn coverage_reference(&self) -> Reference {
        reference("Coverage", &self.coverage_id)
    }

    /// The member-id identifier system.
    fn member_id_system() -> String {
        format!("{PAYER_SYSTEM_BASE}/memberid")
    }

    /// The `Patient` resource (C4BB Patient 2.0.0 and US Core Patient 6.1.0).
    pub(crate) fn patient(&self, last_updated: Day) -> Patient {
        let mut patient = Patient::default();
        patient.id = Some(self.patient_id.clone());
        patient.meta = Some(meta(
            last_updated,
            600 + self.number as u32,
            &[
                (
                    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient",
                    CARIN_BB,
                ),
                (
                    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
                    US_CORE,
                ),
            ],
        ));
        patient.extension = self.demographic_extensions();
        patient.identifier.push(identifier(
            Some(coding_display(V2_IDENTIFIER_TYPE, "MB", "Member Number")),
            &Self::member_id_system(),
            &self.member_id,
        ));
        patient.identifier.push(identifier(
            Some(C4BBIdentifierType::Um.to_coding()),
            &format!("{PAYER_SYSTEM_BASE}/uniquememberid"),
            &format!("UM{:010}", self.number * 7919 + 100_000),
        ));
        patient.active = true.into();
        let mut name = HumanName::default();
        name.r#use = "official".into();
        name.family = self.family.into();
        name.given.push(self.given.into());
        name.given.push(self.middle_initial.to_string().into());
        patient.name.push(name);
        patient.telecom.push(contact("phone", &self.phone, "home"));
        patient.telecom.push(contact(
            "email",
            &format!(
                "{}.{}{}@example.com",
                self.given.to_lowercase(),
                self.family.to_lowercase(),
                self.number
            ),
            "home",
        ));
        patient.gender = self.gender.into();
        patient.birth_date = primitive(self.birth.to_date());
        patient
            .address
            .push(address("home", &self.street, self.city, &self.postal_code));
        let mut communication = PatientCommunication::default();
        let (language, language_display) = if self.spanish_speaking {
            ("es", "Spanish")
        } else {
            ("en-US", "English (United States)")
        };
        communication.language = Some(code_display("urn:ietf:bcp:47", language, language_display));
        communication.preferred = true.into();
        patient.communication.push(communication);
        patient
    }

    /// US Core race, ethnicity and birth sex extensions.
    fn demographic_extensions(&self) -> Vec<Extension> {
        let omb = |url: &str, (code, display): (&str, &str)| {
            complex_extension(
                url,
                vec![
                    extension(
                        "ombCategory",
                        OpenType::Coding(Box::new(coding_display(
                            "urn:oid:2.16.840.1.113883.6.238",
                            code,
                            display,
                        ))),
                    ),
                    extension("text", OpenType::String(display.into())),
                ],
            )
        };
        vec![
            omb(
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                self.race,
            ),
            omb(
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
                self.ethnicity,
            ),
            extension(
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                OpenType::Code(if self.gender == "female" { "F" } else { "M" }.into()),
            ),
        ]
    }

    /// The `Coverage` resource (C4BB Coverage 2.0.0), from `start` on.
    pub(crate) fn coverage(
        &self,
        directory: &Directory,
        start: Day,
        last_updated: Day,
    ) -> Coverage {
        let plan = self.plan;
        let mut coverage = Coverage::default();
        coverage.id = Some(self.coverage_id.clone());
        coverage.meta = Some(meta(
            last_updated,
            620 + self.number as u32,
            &[(
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage",
                CARIN_BB,
            )],
        ));
        coverage.identifier.push(identifier(
            Some(coding_display(V2_IDENTIFIER_TYPE, "MB", "Member Number")),
            &Self::member_id_system(),
            &self.member_id,
        ));
        coverage.status = "active".into();
        let (type_code, type_display) = plan.payer_type;
        coverage.r#type = Some(concept_text(
            coding_display(PAYER_TYPE, type_code, type_display),
            plan.line_of_business.display(),
        ));
        coverage.policy_holder = Some(self.patient_reference());
        coverage.subscriber = Some(self.patient_reference());
        coverage.subscriber_id = self.member_id.as_str().into();
        coverage.beneficiary = Some(self.patient_reference());
        coverage.dependent = "00".into();
        coverage.relationship = Some(concept_text(
            coding(
                "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                "self",
            ),
            "Self",
        ));
        coverage.period = Some(period(start, None));
        coverage
            .payor
            .push(directory.organization(directory.payer()));
        coverage.class.push(coverage_class(
            "group",
            "Group",
            plan.group_code,
            plan.group_name,
        ));
        coverage.class.push(coverage_class(
            "plan",
            "Plan",
            plan.plan_code,
            plan.plan_name,
        ));
        coverage.network = plan.network.into();
        coverage.cost_to_beneficiary = cost_sharing(plan);
        coverage
    }
}

/// A `Coverage.class` of type `group` or `plan`.
fn coverage_class(kind: &str, kind_display: &str, value: &str, name: &str) -> CoverageClass {
    let mut class = CoverageClass::default();
    class.r#type = Some(code_display(
        "http://terminology.hl7.org/CodeSystem/coverage-class",
        kind,
        kind_display,
    ));
    class.value = value.into();
    class.name = name.into();
    class
}

/// The plan's headline cost sharing as `Coverage.costToBeneficiary`.
fn cost_sharing(plan: &PlanDesign) -> Vec<CoverageCostToBeneficiary> {
    let entries: [(&str, &str, i64); 5] = [
        ("gpvisit", "GP Office Visit", plan.primary_care_copay),
        ("spvisit", "Specialist Office Visit", plan.specialist_copay),
        ("emergency", "Emergency", plan.emergency_copay),
        ("deductible", "Deductible", plan.deductible),
        (
            "maxoutofpocket",
            "Maximum out of pocket",
            plan.out_of_pocket_max,
        ),
    ];
    entries
        .into_iter()
        .filter(|(code, _, amount)| *amount > 0 || *code == "gpvisit")
        .map(|(code, display, amount)| {
            let mut cost = CoverageCostToBeneficiary::default();
            cost.r#type = Some(code_display(
                "http://terminology.hl7.org/CodeSystem/coverage-copay-type",
                code,
                display,
            ));
            cost.value = Some(CoverageCostToBeneficiaryValue::Money(Box::new(usd(amount))));
            cost
        })
        .collect()
}

/// The member's chronic conditions: each condition the member is old enough for, with
/// its prevalence (higher with age), at most four. Most started before the period.
fn chronic_conditions(
    rng: &mut Rng,
    member: &MemberProfile,
    start: Day,
    end: Day,
) -> Vec<MemberCondition> {
    let age = member.age_on(end);
    let age_factor = if age >= 65 {
        200
    } else if age >= 45 {
        130
    } else {
        100
    };
    let mut out = Vec::new();
    for condition in codes::CHRONIC_CONDITIONS {
        if age < condition.min_age || out.len() >= 4 {
            continue;
        }
        let chance = (i64::from(condition.prevalence) * age_factor / 100).min(80);
        if !rng.chance(chance as u32) {
            continue;
        }
        let earliest = member
            .birth
            .years_before(-condition.min_age)
            .max(start.years_before(15));
        let onset = if rng.chance(75) && earliest < start {
            earliest.plus(rng.range(0, start.days_since(earliest).max(1) - 1))
        } else {
            start.plus(rng.range(0, end.days_since(start) / 2))
        };
        out.push(MemberCondition { condition, onset });
    }
    out
}

/// No known allergies (60 %), or one or two.
fn allergies(rng: &mut Rng) -> Vec<&'static Allergy> {
    if rng.chance(60) {
        return Vec::new();
    }
    let order = rng.permutation(codes::ALLERGIES.len());
    let count = if rng.chance(25) { 2 } else { 1 };
    order
        .into_iter()
        .take(count)
        .map(|i| &codes::ALLERGIES[i])
        .collect()
}
