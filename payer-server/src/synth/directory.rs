//! The payer and its provider network: organizations (hospitals, clinics, labs,
//! pharmacies, dental offices) and practitioners with NPIs. The same for every member
//! count, so members can be generated one at a time. The claims name only the first 21
//! organizations and 26 practitioners; a larger directory (for the Provider Directory
//! API at scale) adds clinics of 20 practitioners each after them, which no claim names.

use fhir_model::Resource;
use fhir_model::datatypes::{Address, HumanName, OpenType, Reference};
use fhir_model::resources::{
    Organization, OrganizationContact, Practitioner, PractitionerQualification,
};

use super::calendar::Day;
use super::codes::{self, NUCC_TAXONOMY};
use super::fhir::{
    CARIN_BB, ORG_TYPE, PLAN_NET, US_CORE, V2_IDENTIFIER_TYPE, code_display, coding_display,
    complex_extension, contact, extension, geolocation, identifier, meta, npi_identifier, period,
    reference, reference_display,
};
use super::plan_net;
use super::rng::Rng;
use carin_profiles::codes::C4BBIdentifierType;

/// The CARIN, US Core and Plan-Net Organization profiles: the claims' providers are the
/// directory's.
const ORGANIZATION_PROFILES: [(&str, &str); 3] = [
    (
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization",
        CARIN_BB,
    ),
    (
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization",
        US_CORE,
    ),
    (
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Organization",
        PLAN_NET,
    ),
];
/// The CARIN, US Core and Plan-Net Practitioner profiles.
const PRACTITIONER_PROFILES: [(&str, &str); 3] = [
    (
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Practitioner",
        CARIN_BB,
    ),
    (
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner",
        US_CORE,
    ),
    (
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Practitioner",
        PLAN_NET,
    ),
];

/// What an organization is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrgKind {
    /// The health plan.
    Payer,
    /// An acute care hospital.
    Hospital,
    /// A physician group or clinic.
    Clinic,
    /// An independent laboratory.
    Laboratory,
    /// A retail or mail-order pharmacy.
    Pharmacy,
    /// A dental practice.
    DentalOffice,
}

/// A clinician's specialty: its NUCC taxonomy code and degree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Specialty {
    /// Family medicine.
    FamilyMedicine,
    /// Internal medicine.
    InternalMedicine,
    /// Pediatrics.
    Pediatrics,
    /// Emergency medicine.
    EmergencyMedicine,
    /// Diagnostic radiology.
    Radiology,
    /// Orthopaedic surgery.
    OrthopedicSurgery,
    /// General surgery.
    GeneralSurgery,
    /// Gastroenterology.
    Gastroenterology,
    /// Cardiology.
    Cardiology,
    /// Hospital medicine.
    Hospitalist,
    /// General dentistry.
    Dentist,
}

impl Specialty {
    /// NUCC taxonomy code and display.
    pub(crate) fn taxonomy(self) -> (&'static str, &'static str) {
        match self {
            Specialty::FamilyMedicine => ("207Q00000X", "Family Medicine Physician"),
            Specialty::InternalMedicine => ("207R00000X", "Internal Medicine Physician"),
            Specialty::Pediatrics => ("208000000X", "Pediatrics Physician"),
            Specialty::EmergencyMedicine => ("207P00000X", "Emergency Medicine Physician"),
            Specialty::Radiology => ("2085R0202X", "Diagnostic Radiology Physician"),
            Specialty::OrthopedicSurgery => ("207X00000X", "Orthopaedic Surgery Physician"),
            Specialty::GeneralSurgery => ("208600000X", "Surgery Physician"),
            Specialty::Gastroenterology => ("207RG0100X", "Gastroenterology Physician"),
            Specialty::Cardiology => ("207RC0000X", "Cardiovascular Disease Physician"),
            Specialty::Hospitalist => ("208M00000X", "Hospitalist Physician"),
            Specialty::Dentist => ("1223G0001X", "General Practice Dentist"),
        }
    }

    /// The practice's name for the specialty, as in "Lakeview Cardiology Clinic".
    fn practice(self) -> &'static str {
        match self {
            Specialty::FamilyMedicine => "Family Medicine",
            Specialty::InternalMedicine => "Internal Medicine",
            Specialty::Pediatrics => "Pediatrics",
            Specialty::EmergencyMedicine => "Emergency Medicine",
            Specialty::Radiology => "Imaging",
            Specialty::OrthopedicSurgery => "Orthopedics",
            Specialty::GeneralSurgery => "Surgery",
            Specialty::Gastroenterology => "Digestive Health",
            Specialty::Cardiology => "Cardiology",
            Specialty::Hospitalist => "Hospital Medicine",
            Specialty::Dentist => "Family Dental",
        }
    }

    /// The board that certifies the specialty.
    pub(crate) fn board(self) -> &'static str {
        match self {
            Specialty::FamilyMedicine => "American Board of Family Medicine",
            Specialty::InternalMedicine
            | Specialty::Gastroenterology
            | Specialty::Cardiology
            | Specialty::Hospitalist => "American Board of Internal Medicine",
            Specialty::Pediatrics => "American Board of Pediatrics",
            Specialty::EmergencyMedicine => "American Board of Emergency Medicine",
            Specialty::Radiology => "American Board of Radiology",
            Specialty::OrthopedicSurgery => "American Board of Orthopaedic Surgery",
            Specialty::GeneralSurgery => "American Board of Surgery",
            Specialty::Dentist => "Oregon Board of Dentistry",
        }
    }

    /// The degree (HL7 v2 table 0360): MD or DDS.
    fn degree(self) -> (&'static str, &'static str) {
        match self {
            Specialty::Dentist => ("DDS", "Doctor of Dental Surgery"),
            _ => ("MD", "Doctor of Medicine"),
        }
    }
}

impl OrgKind {
    /// What it is, for its description.
    fn describe(self) -> &'static str {
        match self {
            OrgKind::Payer => "a health plan",
            OrgKind::Hospital => "an acute care hospital",
            OrgKind::Clinic => "a physician group",
            OrgKind::Laboratory => "an independent clinical laboratory",
            OrgKind::Pharmacy => "a retail and mail-order pharmacy",
            OrgKind::DentalOffice => "a dental practice",
        }
    }

    /// The state license a provider holds: its NUCC taxonomy and issuer; none for a plan.
    fn license(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            OrgKind::Payer => None,
            OrgKind::Hospital => Some((
                "282N00000X",
                "General Acute Care Hospital",
                "Oregon Health Authority",
            )),
            OrgKind::Laboratory => Some((
                "291U00000X",
                "Clinical Medical Laboratory",
                "Oregon Health Authority",
            )),
            OrgKind::Pharmacy => Some((
                "3336C0003X",
                "Community/Retail Pharmacy",
                "Oregon Board of Pharmacy",
            )),
            OrgKind::Clinic | OrgKind::DentalOffice => {
                Some(("261Q00000X", "Clinic/Center", "Oregon Health Authority"))
            }
        }
    }
}

/// An organization of the directory.
#[derive(Debug)]
struct OrgSpec {
    id: &'static str,
    name: &'static str,
    kind: OrgKind,
    /// Index into [`codes::CITIES`].
    city: usize,
    in_network: bool,
}

const ORGANIZATIONS: &[OrgSpec] = &[
    OrgSpec {
        id: "cascade-health-plan",
        name: "Cascade Health Plan",
        kind: OrgKind::Payer,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "riverside-general-hospital",
        name: "Riverside General Hospital",
        kind: OrgKind::Hospital,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "st-brigid-medical-center",
        name: "St. Brigid Medical Center",
        kind: OrgKind::Hospital,
        city: 2,
        in_network: true,
    },
    OrgSpec {
        id: "willamette-valley-hospital",
        name: "Willamette Valley Hospital",
        kind: OrgKind::Hospital,
        city: 1,
        in_network: true,
    },
    OrgSpec {
        id: "northside-family-medicine",
        name: "Northside Family Medicine",
        kind: OrgKind::Clinic,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "lakeview-internal-medicine",
        name: "Lakeview Internal Medicine Associates",
        kind: OrgKind::Clinic,
        city: 6,
        in_network: true,
    },
    OrgSpec {
        id: "bright-horizons-pediatrics",
        name: "Bright Horizons Pediatrics",
        kind: OrgKind::Clinic,
        city: 7,
        in_network: true,
    },
    OrgSpec {
        id: "coastal-walk-in-clinic",
        name: "Coastal Walk-In Clinic",
        kind: OrgKind::Clinic,
        city: 3,
        in_network: false,
    },
    OrgSpec {
        id: "valley-emergency-physicians",
        name: "Valley Emergency Physicians",
        kind: OrgKind::Clinic,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "metro-radiology-associates",
        name: "Metro Radiology Associates",
        kind: OrgKind::Clinic,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "summit-orthopedics",
        name: "Summit Orthopedics and Sports Medicine",
        kind: OrgKind::Clinic,
        city: 8,
        in_network: true,
    },
    OrgSpec {
        id: "valley-surgical-associates",
        name: "Valley Surgical Associates",
        kind: OrgKind::Clinic,
        city: 1,
        in_network: true,
    },
    OrgSpec {
        id: "cascade-digestive-health",
        name: "Cascade Digestive Health",
        kind: OrgKind::Clinic,
        city: 2,
        in_network: true,
    },
    OrgSpec {
        id: "heartland-cardiology",
        name: "Heartland Cardiology Group",
        kind: OrgKind::Clinic,
        city: 5,
        in_network: true,
    },
    OrgSpec {
        id: "hospitalist-partners",
        name: "Hospitalist Partners of Oregon",
        kind: OrgKind::Clinic,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "summit-reference-lab",
        name: "Summit Reference Laboratory",
        kind: OrgKind::Laboratory,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "corner-drug-pharmacy",
        name: "Corner Drug Pharmacy",
        kind: OrgKind::Pharmacy,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "riverside-community-pharmacy",
        name: "Riverside Community Pharmacy",
        kind: OrgKind::Pharmacy,
        city: 2,
        in_network: true,
    },
    OrgSpec {
        id: "cascade-mail-order-pharmacy",
        name: "Cascade Mail Order Pharmacy",
        kind: OrgKind::Pharmacy,
        city: 1,
        in_network: true,
    },
    OrgSpec {
        id: "bright-smile-dentistry",
        name: "Bright Smile Family Dentistry",
        kind: OrgKind::DentalOffice,
        city: 0,
        in_network: true,
    },
    OrgSpec {
        id: "maple-dental-group",
        name: "Maple Dental Group",
        kind: OrgKind::DentalOffice,
        city: 4,
        in_network: true,
    },
];

/// How many practitioners of each specialty work at which organization.
const STAFF: &[(Specialty, &str, usize)] = &[
    (Specialty::FamilyMedicine, "northside-family-medicine", 4),
    (Specialty::InternalMedicine, "lakeview-internal-medicine", 3),
    (Specialty::Pediatrics, "bright-horizons-pediatrics", 2),
    (Specialty::FamilyMedicine, "coastal-walk-in-clinic", 1),
    (
        Specialty::EmergencyMedicine,
        "valley-emergency-physicians",
        3,
    ),
    (Specialty::Radiology, "metro-radiology-associates", 2),
    (Specialty::OrthopedicSurgery, "summit-orthopedics", 2),
    (Specialty::GeneralSurgery, "valley-surgical-associates", 2),
    (Specialty::Gastroenterology, "cascade-digestive-health", 1),
    (Specialty::Cardiology, "heartland-cardiology", 1),
    (Specialty::Hospitalist, "hospitalist-partners", 2),
    (Specialty::Dentist, "bright-smile-dentistry", 2),
    (Specialty::Dentist, "maple-dental-group", 1),
];

/// An index into the directory's organizations.
pub(crate) type OrgId = usize;
/// An index into the directory's practitioners.
pub(crate) type PractitionerId = usize;

/// The id and name of the pharmacy chain with a store in every city.
pub(crate) const PHARMACY_CHAIN: (&str, &str) = ("evergreen-pharmacy", "Evergreen Pharmacy");
/// The id and name of the plan's Medicaid coordinated care organization (Oregon delivers
/// Medicaid through CCOs), which owns and administers the Medicaid and CHIP plans.
pub(crate) const COMMUNITY_CARE: (&str, &str) = (
    "cascade-community-care",
    "Cascade Community Care Organization",
);
/// The `Location` of the area the plan serves (written by `plan_net`).
pub(crate) const SERVICE_AREA: &str = "oregon-service-area";

/// Which of the claims' organizations are part of another: (part, whole).
const PARTS: &[(&str, &str)] = &[
    ("hospitalist-partners", "riverside-general-hospital"),
    ("valley-emergency-physicians", "riverside-general-hospital"),
    ("metro-radiology-associates", "st-brigid-medical-center"),
];

/// How many practitioners work at each clinic added beyond the claims' providers.
const CLINIC_SIZE: usize = 20;

/// The specialties of the clinics added beyond the claims' providers, with weights.
const CLINIC_SPECIALTIES: &[(Specialty, u32)] = &[
    (Specialty::FamilyMedicine, 30),
    (Specialty::InternalMedicine, 20),
    (Specialty::Pediatrics, 12),
    (Specialty::Cardiology, 6),
    (Specialty::Gastroenterology, 5),
    (Specialty::OrthopedicSurgery, 7),
    (Specialty::GeneralSurgery, 5),
    (Specialty::Radiology, 5),
    (Specialty::Dentist, 10),
];

/// An organization of the directory.
#[derive(Debug)]
pub(crate) struct OrgRecord {
    /// The resource id.
    pub(crate) id: String,
    /// The name.
    pub(crate) name: String,
    /// What it is.
    pub(crate) kind: OrgKind,
    /// For a clinic added beyond the claims' providers, its one specialty.
    pub(crate) specialty: Option<Specialty>,
    /// Index into [`codes::CITIES`].
    pub(crate) city: usize,
    /// Whether it is in the plan's networks.
    pub(crate) in_network: bool,
    /// The organization it is part of (a hospital's physician group, the CCO).
    pub(crate) part_of: Option<OrgId>,
    npi: String,
    tax_id: String,
}

impl OrgRecord {
    /// The street address line of organization `index`.
    pub(crate) fn street(&self, index: OrgId) -> String {
        format!(
            "{} {}",
            100 + index * 37,
            codes::STREETS[index % codes::STREETS.len()]
        )
    }

    /// The ZIP code of organization `index`.
    pub(crate) fn postal_code(&self, index: OrgId) -> String {
        let (_, zip, _) = codes::CITIES[self.city];
        format!("{zip}{:02}", 10 + index % 90)
    }

    /// The main phone number of organization `index`.
    pub(crate) fn phone(&self, index: OrgId) -> String {
        let (_, _, area) = codes::CITIES[self.city];
        format!("{area}-555-01{:02}", index % 100)
    }

    /// Where place `index` in `city` is: the city's centre, moved by up to about 5 km so
    /// that no two places coincide, in millionths of a degree (latitude, longitude).
    pub(crate) fn position_in(city: usize, index: usize) -> (i64, i64) {
        let (latitude, longitude) = codes::CITY_POSITIONS[city];
        // A fixed scatter from the index (no random stream: the claims' directory draws
        // none for it).
        let spread = |salt: usize| ((index * 7_919 + salt) % 90_001) as i64 - 45_000;
        (latitude + spread(17), longitude + spread(4_409))
    }
}

/// A practitioner of the directory.
#[derive(Debug)]
pub(crate) struct PractitionerRecord {
    /// The resource id.
    pub(crate) id: String,
    given: &'static str,
    family: &'static str,
    gender: &'static str,
    npi: String,
    /// The specialty.
    pub(crate) specialty: Specialty,
    /// The group that bills for the practitioner.
    pub(crate) organization: OrgId,
}

impl PractitionerRecord {
    /// "Dr. Given Family" style display with the degree.
    pub(crate) fn display(&self) -> String {
        format!(
            "{} {}, {}",
            self.given,
            self.family,
            self.specialty.degree().0
        )
    }
}

/// The payer and provider directory.
#[derive(Debug)]
pub(crate) struct Directory {
    organizations: Vec<OrgRecord>,
    practitioners: Vec<PractitionerRecord>,
    /// How many practitioners the claims may name: the first ones.
    claims_practitioners: usize,
    last_updated: Day,
}

impl Directory {
    /// The directory for a seed, with at least `practitioners` practitioners; entries
    /// were last updated on `last_updated`.
    pub(crate) fn new(seed: u64, last_updated: Day, practitioners: usize) -> Directory {
        let mut rng = Rng::fork(seed, u64::MAX);
        let organization_npis: Vec<String> =
            ORGANIZATIONS.iter().map(|_| npi(&mut rng, '2')).collect();
        let mut organizations: Vec<OrgRecord> = ORGANIZATIONS
            .iter()
            .zip(organization_npis)
            .map(|(spec, npi)| OrgRecord {
                id: spec.id.to_owned(),
                name: spec.name.to_owned(),
                kind: spec.kind,
                specialty: None,
                city: spec.city % codes::CITIES.len(),
                in_network: spec.in_network,
                part_of: PARTS
                    .iter()
                    .find(|(part, _)| *part == spec.id)
                    .map(|(_, whole)| org_index(whole)),
                npi,
                tax_id: tax_id(&mut rng),
            })
            .collect();
        let mut directory = Directory {
            organizations: Vec::new(),
            practitioners: Vec::new(),
            claims_practitioners: 0,
            last_updated,
        };
        for (specialty, org_id, count) in STAFF {
            let organization = org_index(org_id);
            for _ in 0..*count {
                directory.add_practitioner(&mut rng, *specialty, organization);
            }
        }
        directory.claims_practitioners = directory.practitioners.len();
        // What no claim names comes from a stream of its own, so the claims' directory is
        // the same at any size: a pharmacy chain with a store in every city (the MA-PD
        // plan's pharmacy network), the Medicaid CCO, then clinics until there are enough
        // practitioners.
        let mut rng = Rng::fork(seed, u64::MAX - 1);
        organizations.push(OrgRecord {
            id: PHARMACY_CHAIN.0.to_owned(),
            name: PHARMACY_CHAIN.1.to_owned(),
            kind: OrgKind::Pharmacy,
            specialty: None,
            city: 0,
            in_network: true,
            part_of: None,
            npi: npi(&mut rng, '2'),
            tax_id: tax_id(&mut rng),
        });
        organizations.push(OrgRecord {
            id: COMMUNITY_CARE.0.to_owned(),
            name: COMMUNITY_CARE.1.to_owned(),
            kind: OrgKind::Payer,
            specialty: None,
            city: 1,
            in_network: true,
            part_of: Some(0),
            npi: String::new(),
            tax_id: tax_id(&mut rng),
        });
        let hospitals: Vec<OrgId> = (0..ORGANIZATIONS.len())
            .filter(|&i| ORGANIZATIONS[i].kind == OrgKind::Hospital)
            .collect();
        while directory.practitioners.len() < practitioners {
            let specialty = *rng.weighted(CLINIC_SPECIALTIES);
            let number = organizations.len() - ORGANIZATIONS.len() - 1;
            let practice = specialty.practice();
            organizations.push(OrgRecord {
                id: format!("clinic-{number:05}"),
                name: format!("{} {practice} {}", rng.choose(codes::FAMILY_NAMES), {
                    if specialty == Specialty::Dentist {
                        "Office"
                    } else {
                        "Clinic"
                    }
                }),
                kind: if specialty == Specialty::Dentist {
                    OrgKind::DentalOffice
                } else {
                    OrgKind::Clinic
                },
                specialty: Some(specialty),
                city: rng.index(codes::CITIES.len()),
                in_network: true,
                // Every fourth is a hospital's.
                part_of: number
                    .is_multiple_of(4)
                    .then(|| hospitals[number / 4 % hospitals.len()]),
                npi: npi(&mut rng, '2'),
                tax_id: tax_id(&mut rng),
            });
            let size = CLINIC_SIZE.min(practitioners - directory.practitioners.len());
            for _ in 0..size {
                directory.add_practitioner(&mut rng, specialty, organizations.len() - 1);
            }
        }
        directory.organizations = organizations;
        directory
    }

    fn add_practitioner(&mut self, rng: &mut Rng, specialty: Specialty, organization: OrgId) {
        let female = rng.chance(50);
        self.practitioners.push(PractitionerRecord {
            id: format!("practitioner-{:02}", self.practitioners.len() + 1),
            given: if female {
                rng.choose(codes::FEMALE_NAMES)
            } else {
                rng.choose(codes::MALE_NAMES)
            },
            family: rng.choose(codes::FAMILY_NAMES),
            gender: if female { "female" } else { "male" },
            npi: npi(rng, '1'),
            specialty,
            organization,
        });
    }

    /// The health plan.
    pub(crate) fn payer(&self) -> OrgId {
        0
    }

    /// Every organization, the payer first.
    pub(crate) fn organizations(&self) -> &[OrgRecord] {
        &self.organizations
    }

    /// Every practitioner.
    pub(crate) fn practitioners(&self) -> &[PractitionerRecord] {
        &self.practitioners
    }

    /// When the directory was last updated.
    pub(crate) fn last_updated(&self) -> Day {
        self.last_updated
    }

    /// A reference to an organization.
    pub(crate) fn organization(&self, id: OrgId) -> Reference {
        let record = &self.organizations[id];
        reference_display("Organization", &record.id, &record.name)
    }

    /// A reference to a practitioner.
    pub(crate) fn practitioner(&self, id: PractitionerId) -> Reference {
        let record = &self.practitioners[id];
        reference_display("Practitioner", &record.id, &record.display())
    }

    /// Whether the organization is in the plan's network.
    pub(crate) fn in_network(&self, id: OrgId) -> bool {
        self.organizations[id].in_network
    }

    /// A practitioner's record.
    pub(crate) fn record(&self, id: PractitionerId) -> &PractitionerRecord {
        &self.practitioners[id]
    }

    /// A random in-network organization of a kind among those the claims name (the
    /// payer when there is none).
    pub(crate) fn pick_organization(&self, rng: &mut Rng, kind: OrgKind) -> OrgId {
        let candidates: Vec<OrgId> = (0..ORGANIZATIONS.len())
            .filter(|&i| ORGANIZATIONS[i].kind == kind && ORGANIZATIONS[i].in_network)
            .collect();
        candidates
            .get(rng.index(candidates.len()))
            .copied()
            .unwrap_or(0)
    }

    /// The out-of-network walk-in clinic, if the directory has one.
    pub(crate) fn out_of_network_clinic(&self) -> Option<OrgId> {
        (0..ORGANIZATIONS.len())
            .find(|&i| ORGANIZATIONS[i].kind == OrgKind::Clinic && !ORGANIZATIONS[i].in_network)
    }

    /// A random in-network practitioner of a specialty among those the claims name.
    pub(crate) fn pick_practitioner(&self, rng: &mut Rng, specialty: Specialty) -> PractitionerId {
        let candidates: Vec<PractitionerId> = (0..self.claims_practitioners)
            .filter(|&i| {
                let record = &self.practitioners[i];
                record.specialty == specialty && self.organizations[record.organization].in_network
            })
            .collect();
        candidates
            .get(rng.index(candidates.len()))
            .copied()
            .unwrap_or(0)
    }

    /// A practitioner working at `organization` (the first one; 0 when none).
    pub(crate) fn practitioner_at(&self, organization: OrgId) -> PractitionerId {
        (0..self.practitioners.len())
            .find(|&i| self.practitioners[i].organization == organization)
            .unwrap_or(0)
    }

    /// Every organization and practitioner as resources, organizations first, each in
    /// directory order.
    pub(crate) fn resources(&self) -> Vec<Resource> {
        let organizations = self
            .organizations
            .iter()
            .enumerate()
            .map(|(index, record)| self.organization_resource(index, record).into());
        let practitioners = self
            .practitioners
            .iter()
            .enumerate()
            .map(|(index, record)| self.practitioner_resource(index, record).into());
        organizations.chain(practitioners).collect()
    }

    fn organization_resource(&self, index: usize, record: &OrgRecord) -> Organization {
        let mut org = Organization::default();
        org.id = Some(record.id.clone());
        org.meta = Some(meta(
            self.last_updated,
            480 + index as u32,
            &ORGANIZATION_PROFILES,
        ));
        if index == self.payer() {
            // Where the plan serves (Plan-Net's coverage-area search on Organization).
            org.extension.push(extension(
                "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/location-reference",
                OpenType::Reference(Box::new(reference("Location", SERVICE_AREA))),
            ));
            org.identifier.push(identifier(
                Some(C4BBIdentifierType::Payerid.to_coding()),
                "https://www.cascadehealthplan.example/fhir/payerid",
                "CHP01",
            ));
            org.identifier.push(identifier(
                Some(C4BBIdentifierType::Naiccode.to_coding()),
                "urn:oid:2.16.840.1.113883.6.300",
                "95182",
            ));
        } else if record.kind != OrgKind::Payer {
            org.identifier.push(npi_identifier(&record.npi));
        }
        org.identifier.push(identifier(
            Some(coding_display(V2_IDENTIFIER_TYPE, "TAX", "Tax ID number")),
            "urn:oid:2.16.840.1.113883.4.4",
            &record.tax_id,
        ));
        org.active = true.into();
        // One concept, two codings: CARIN's organization-type code and Plan-Net's OrgTypeCS
        // one (plannet-Organization.type binds OrgTypeVS as required).
        let (type_code, type_display) = match record.kind {
            OrgKind::Payer => ("pay", "Payer"),
            _ => ("prov", "Healthcare Provider"),
        };
        let (plan_net_code, plan_net_display) = match record.kind {
            OrgKind::Payer => ("payer", "Payer"),
            OrgKind::Hospital | OrgKind::Laboratory | OrgKind::Pharmacy => ("fac", "Facility"),
            OrgKind::Clinic | OrgKind::DentalOffice => ("prvgrp", "Provider Group"),
        };
        let mut kind = code_display(
            "http://terminology.hl7.org/CodeSystem/organization-type",
            type_code,
            type_display,
        );
        kind.coding
            .push(coding_display(ORG_TYPE, plan_net_code, plan_net_display));
        org.r#type.push(kind);
        org.name = record.name.as_str().into();
        let (city, _, _) = codes::CITIES[record.city];
        org.extension.push(extension(
            "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/org-description",
            OpenType::String(
                format!(
                    "{}: {} in {city}, Oregon.",
                    record.name,
                    record.kind.describe()
                )
                .into(),
            ),
        ));
        if let Some((code, display, issuer)) = record.kind.license() {
            org.extension.push(plan_net::qualification(
                &format!("LIC-{}", record.id),
                code_display(NUCC_TAXONOMY, code, display),
                issuer,
                self.last_updated.years_before(5),
            ));
        }
        // Answered always at hospitals; a group that is part of another, through its line.
        org.telecom.push(plan_net::directory_phone(
            &record.phone(index),
            record.kind == OrgKind::Hospital,
            record.part_of.map(|whole| self.organization(whole)),
        ));
        let mut address = address(
            "work",
            &record.street(index),
            city,
            &record.postal_code(index),
        );
        address.r#type = "both".into();
        address.text = format!(
            "{}, {city}, {} {}",
            record.street(index),
            codes::STATE,
            record.postal_code(index)
        )
        .into();
        address
            .extension
            .push(geolocation(OrgRecord::position_in(record.city, index)));
        org.address.push(address);
        let mut office = OrganizationContact::default();
        let mut office_name = HumanName::default();
        office_name.text = "Credentialing office".into();
        office.name = Some(office_name);
        office.telecom.push(contact(
            "email",
            &format!("credentialing@{}.example", record.id),
            "work",
        ));
        org.contact.push(office);
        org.part_of = record.part_of.map(|whole| self.organization(whole));
        // Providers and the plan publish a FHIR endpoint (`plan_net` writes them).
        if index == self.payer() || record.kind != OrgKind::Payer {
            org.endpoint.push(reference("Endpoint", &record.id));
        }
        org
    }

    fn practitioner_resource(&self, index: usize, record: &PractitionerRecord) -> Practitioner {
        let org = &self.organizations[record.organization];
        let mut practitioner = Practitioner::default();
        practitioner.id = Some(record.id.clone());
        practitioner.meta = Some(meta(
            self.last_updated,
            540 + index as u32,
            &PRACTITIONER_PROFILES,
        ));
        practitioner.identifier.push(npi_identifier(&record.npi));
        practitioner.active = true.into();
        let mut name = HumanName::default();
        name.r#use = "official".into();
        name.family = record.family.into();
        name.given.push(record.given.into());
        name.prefix.push("Dr.".into());
        name.suffix.push(record.specialty.degree().0.into());
        name.text = format!("Dr. {}", record.display()).into();
        practitioner.name.push(name);
        // Reached at the organization they work for.
        practitioner.telecom.push(plan_net::directory_phone(
            &org.phone(record.organization),
            false,
            Some(self.organization(record.organization)),
        ));
        let (city, _, _) = codes::CITIES[org.city];
        let mut work = address(
            "work",
            &org.street(record.organization),
            city,
            &org.postal_code(record.organization),
        );
        work.extension.push(geolocation(OrgRecord::position_in(
            org.city,
            record.organization,
        )));
        practitioner.address.push(work);
        practitioner.gender = record.gender.into();
        let (degree, degree_display) = record.specialty.degree();
        // The state license, with Plan-Net's status and where it is valid.
        let mut license = PractitionerQualification::default();
        license.extension.push(complex_extension(
            "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification",
            vec![
                extension("status", OpenType::Code("active".into())),
                extension(
                    "whereValid",
                    OpenType::CodeableConcept(Box::new(plan_net::state_of_service())),
                ),
            ],
        ));
        license.identifier.push(identifier(
            None,
            plan_net::LICENSE_SYSTEM,
            &format!("{degree}-{}", record.id),
        ));
        license.code = Some(code_display(
            "http://terminology.hl7.org/CodeSystem/v2-0360",
            degree,
            degree_display,
        ));
        let licensed = self.last_updated.years_before(10 + (index % 20) as i64);
        license.period = Some(period(licensed, None));
        license.issuer = Some(plan_net::display_only(
            if record.specialty == Specialty::Dentist {
                "Oregon Board of Dentistry"
            } else {
                "Oregon Medical Board"
            },
        ));
        practitioner.qualification.push(license);
        let (taxonomy, taxonomy_display) = record.specialty.taxonomy();
        let mut specialty = PractitionerQualification::default();
        specialty.code = Some(code_display(NUCC_TAXONOMY, taxonomy, taxonomy_display));
        practitioner.qualification.push(specialty);
        // English, and for every fourth Spanish too, with Plan-Net's proficiency.
        let languages: &[(&str, &str, &str, &str)] = if index % 4 == 1 {
            &[
                ("en", "English", "50", "Functional native proficiency"),
                ("es", "Spanish", "30", "General professional proficiency"),
            ]
        } else {
            &[("en", "English", "50", "Functional native proficiency")]
        };
        for (code, display, level, level_display) in languages {
            let mut language = code_display("urn:ietf:bcp:47", code, display);
            language.extension.push(extension(
                "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/communication-proficiency",
                OpenType::CodeableConcept(Box::new(code_display(
                    "http://hl7.org/fhir/us/davinci-pdex-plan-net/CodeSystem/LanguageProficiencyCS",
                    level,
                    level_display,
                ))),
            ));
            practitioner.communication.push(language);
        }
        practitioner
    }
}

/// A US federal tax id (EIN) like `12-3456789`.
fn tax_id(rng: &mut Rng) -> String {
    format!(
        "{:02}-{:07}",
        rng.range(10, 99),
        rng.range(1_000_000, 9_999_999)
    )
}

/// The directory index of an organization id (0, the payer, when unknown).
fn org_index(id: &str) -> OrgId {
    ORGANIZATIONS
        .iter()
        .position(|spec| spec.id == id)
        .unwrap_or(0)
}

/// A ten-digit NPI starting with `first` (1 for people, 2 for organizations) whose last
/// digit is the Luhn check digit over the `80840` prefix, as for real NPIs.
fn npi(rng: &mut Rng, first: char) -> String {
    let body = format!("{first}{:08}", rng.range(0, 99_999_999));
    let digits: Vec<u32> = format!("80840{body}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    // Luhn: double every second digit from the right of the payload (the check digit
    // will be rightmost).
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!("{body}{check}")
}

/// A US postal address (`use` `home` or `work`) in the service area's state.
pub(crate) fn address(use_: &str, line: &str, city: &str, postal_code: &str) -> Address {
    let mut out = Address::default();
    out.r#use = use_.into();
    out.line.push(line.into());
    out.city = city.into();
    out.state = codes::STATE.into();
    out.postal_code = postal_code.into();
    out.country = "US".into();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npis_pass_the_luhn_check() {
        // A published example NPI.
        let digits = |s: &str| -> u32 {
            format!("80840{s}")
                .chars()
                .filter_map(|c| c.to_digit(10))
                .rev()
                .enumerate()
                .map(|(i, d)| {
                    if i % 2 == 1 {
                        let doubled = d * 2;
                        if doubled > 9 { doubled - 9 } else { doubled }
                    } else {
                        d
                    }
                })
                .sum()
        };
        assert_eq!(digits("1234567893") % 10, 0);
        let mut rng = Rng::new(9);
        for _ in 0..50 {
            let value = npi(&mut rng, '1');
            assert_eq!(value.len(), 10);
            assert_eq!(digits(&value) % 10, 0, "{value}");
        }
    }
}
