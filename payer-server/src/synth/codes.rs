//! The small embedded code lists the generator draws from: procedures (CPT, HCPCS, CDT),
//! diagnoses (ICD-10-CM with SNOMED CT), drugs (RxNorm with NDC), labs (LOINC), vaccines
//! (CVX), NUBC revenue codes, MS-DRGs and the code systems they live in.
//!
//! Charges are typical billed amounts in US cents, before the payer's allowed amount.
//! Displays are short descriptions, not the licensed long descriptors. The NDC package
//! codes are plausible 5-4-2 codes for the named products; they are illustrative, not
//! checked against the FDA directory.

// --- Code systems -------------------------------------------------------------------

/// CPT.
pub(crate) const CPT: &str = "http://www.ama-assn.org/go/cpt";
/// HCPCS Level II.
pub(crate) const HCPCS: &str = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets";
/// ADA CDT (dental procedures).
pub(crate) const CDT: &str = "http://www.ada.org/cdt";
/// ICD-10-CM diagnoses.
pub(crate) const ICD10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
/// ICD-10-PCS inpatient procedures.
pub(crate) const ICD10_PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD10";
/// SNOMED CT.
pub(crate) const SNOMED: &str = "http://snomed.info/sct";
/// LOINC.
pub(crate) const LOINC: &str = "http://loinc.org";
/// RxNorm.
pub(crate) const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// FDA National Drug Codes.
pub(crate) const NDC: &str = "http://hl7.org/fhir/sid/ndc";
/// CDC vaccine codes.
pub(crate) const CVX: &str = "http://hl7.org/fhir/sid/cvx";
/// NUBC revenue codes.
pub(crate) const NUBC_REVENUE: &str = "https://www.nubc.org/CodeSystem/RevenueCodes";
/// NUBC type of bill.
pub(crate) const NUBC_TYPE_OF_BILL: &str = "https://www.nubc.org/CodeSystem/TypeOfBill";
/// NUBC point of origin for admission or visit.
pub(crate) const NUBC_POINT_OF_ORIGIN: &str = "https://www.nubc.org/CodeSystem/PointOfOrigin";
/// NUBC priority (type) of admission or visit.
pub(crate) const NUBC_ADMISSION_TYPE: &str =
    "https://www.nubc.org/CodeSystem/PriorityTypeOfAdmitOrVisit";
/// NUBC patient discharge status.
pub(crate) const NUBC_DISCHARGE_STATUS: &str = "https://www.nubc.org/CodeSystem/PatDischargeStatus";
/// NUBC present-on-admission indicator.
pub(crate) const NUBC_PRESENT_ON_ADMISSION: &str =
    "https://www.nubc.org/CodeSystem/PresentOnAdmissionIndicator";
/// CMS MS-DRG.
pub(crate) const MS_DRG: &str = "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/AcuteInpatientPPS/MS-DRG-Classifications-and-Software";
/// CMS place of service codes.
pub(crate) const PLACE_OF_SERVICE: &str =
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
/// NUCC provider taxonomy.
pub(crate) const NUCC_TAXONOMY: &str = "http://nucc.org/provider-taxonomy";
/// ADA universal tooth numbers.
pub(crate) const TOOTH: &str =
    "http://terminology.hl7.org/CodeSystem/ADAUniversalToothDesignationSystem";
/// `data-absent-reason`, whose `not-applicable` fills `productOrService` on revenue-code
/// lines.
pub(crate) const DATA_ABSENT_REASON: &str =
    "http://terminology.hl7.org/CodeSystem/data-absent-reason";
/// X12 claim adjustment reason codes.
pub(crate) const CARC: &str = "https://x12.org/codes/claim-adjustment-reason-codes";
/// NCPDP dispense-as-written codes.
pub(crate) const NCPDP_DAW: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPDispensedAsWrittenOrProductSelectionCode";
/// NCPDP brand/generic indicator.
pub(crate) const NCPDP_BRAND_GENERIC: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPBrandGenericIndicator";
/// NCPDP prescription origin.
pub(crate) const NCPDP_RX_ORIGIN: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPPrescriptionOriginCode";
/// NCPDP compound code.
pub(crate) const NCPDP_COMPOUND: &str = "http://terminology.hl7.org/CodeSystem/NCPDPCompoundCode";
/// Source of Payment Typology (payer types for `Coverage.type`).
pub(crate) const PAYER_TYPE: &str = "urn:oid:2.16.840.1.113883.3.221.5";

// --- Billing codes ------------------------------------------------------------------

/// A billable procedure or service: a CPT, HCPCS or CDT code and a typical charge.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BillingCode {
    /// The code system.
    pub(crate) system: &'static str,
    /// The code.
    pub(crate) code: &'static str,
    /// A short description.
    pub(crate) display: &'static str,
    /// A typical billed charge, in cents.
    pub(crate) charge: i64,
}

const fn cpt(code: &'static str, display: &'static str, charge: i64) -> BillingCode {
    BillingCode {
        system: CPT,
        code,
        display,
        charge,
    }
}

const fn hcpcs(code: &'static str, display: &'static str, charge: i64) -> BillingCode {
    BillingCode {
        system: HCPCS,
        code,
        display,
        charge,
    }
}

const fn cdt(code: &'static str, display: &'static str, charge: i64) -> BillingCode {
    BillingCode {
        system: CDT,
        code,
        display,
        charge,
    }
}

// Office visits.
pub(crate) const OFFICE_VISIT_LOW: BillingCode = cpt(
    "99212",
    "Office visit, established patient, straightforward",
    11_000,
);
pub(crate) const OFFICE_VISIT_MODERATE: BillingCode = cpt(
    "99213",
    "Office visit, established patient, low complexity",
    16_500,
);
pub(crate) const NEW_PATIENT_VISIT: BillingCode = cpt(
    "99204",
    "Office visit, new patient, moderate complexity",
    32_000,
);
pub(crate) const OFFICE_VISIT_COMPLEX: BillingCode = cpt(
    "99214",
    "Office visit, established patient, moderate complexity",
    24_500,
);
/// Preventive visits by age band: (minimum age, code).
pub(crate) const PREVENTIVE_VISITS: &[(i64, BillingCode)] = &[
    (
        0,
        cpt("99392", "Preventive visit, established, age 1-4", 21_000),
    ),
    (
        5,
        cpt("99393", "Preventive visit, established, age 5-11", 21_500),
    ),
    (
        12,
        cpt("99394", "Preventive visit, established, age 12-17", 23_000),
    ),
    (
        18,
        cpt("99395", "Preventive visit, established, age 18-39", 24_500),
    ),
    (
        40,
        cpt("99396", "Preventive visit, established, age 40-64", 26_500),
    ),
    (
        65,
        cpt("99397", "Preventive visit, established, age 65+", 28_000),
    ),
];
/// The Medicare annual wellness visit, used instead of 99397 for Medicare Advantage.
pub(crate) const ANNUAL_WELLNESS_VISIT: BillingCode = hcpcs(
    "G0439",
    "Annual wellness visit, subsequent, with personalized prevention plan",
    18_500,
);
pub(crate) const VENIPUNCTURE: BillingCode = cpt("36415", "Routine venipuncture", 2_500);
pub(crate) const ECG: BillingCode = cpt("93000", "Electrocardiogram, complete", 8_500);
pub(crate) const ECG_TRACING: BillingCode = cpt("93005", "Electrocardiogram, tracing only", 9_500);
pub(crate) const RAPID_STREP: BillingCode =
    cpt("87880", "Strep A antigen, rapid immunoassay", 4_500);
pub(crate) const URINALYSIS: BillingCode = cpt(
    "81002",
    "Urinalysis, non-automated, without microscopy",
    2_000,
);

// Emergency department visits (professional; the facility bills the same codes).
pub(crate) const ED_VISIT_LOW: BillingCode = cpt(
    "99283",
    "Emergency department visit, moderate severity",
    42_000,
);
pub(crate) const ED_VISIT_HIGH: BillingCode =
    cpt("99284", "Emergency department visit, high severity", 69_000);

// Hospital visits.
pub(crate) const HOSPITAL_ADMIT_VISIT: BillingCode = cpt(
    "99223",
    "Initial hospital inpatient care, high complexity",
    42_000,
);
pub(crate) const HOSPITAL_DAILY_VISIT: BillingCode = cpt(
    "99232",
    "Subsequent hospital inpatient care, moderate complexity",
    16_500,
);
pub(crate) const HOSPITAL_DISCHARGE: BillingCode = cpt(
    "99238",
    "Hospital discharge day management, 30 minutes or less",
    15_000,
);

// Laboratory panels.
pub(crate) const METABOLIC_PANEL: BillingCode =
    cpt("80053", "Comprehensive metabolic panel", 9_500);
pub(crate) const LIPID_PANEL: BillingCode = cpt("80061", "Lipid panel", 8_500);
pub(crate) const HEMOGLOBIN_A1C: BillingCode = cpt("83036", "Hemoglobin A1c", 6_000);
pub(crate) const BLOOD_COUNT: BillingCode =
    cpt("85025", "Complete blood count with differential", 5_500);
pub(crate) const TSH_TEST: BillingCode = cpt("84443", "Thyroid stimulating hormone", 11_000);

// Imaging and procedures.
pub(crate) const CHEST_XRAY: BillingCode = cpt("71046", "Chest X-ray, 2 views", 21_000);
pub(crate) const ANKLE_XRAY: BillingCode = cpt("73610", "Ankle X-ray, complete, 3 views", 19_000);
pub(crate) const CT_ABDOMEN: BillingCode =
    cpt("74177", "CT abdomen and pelvis with contrast", 310_000);
pub(crate) const MRI_LUMBAR: BillingCode =
    cpt("72148", "MRI lumbar spine without contrast", 240_000);
pub(crate) const MRI_KNEE: BillingCode = cpt(
    "73721",
    "MRI lower extremity joint without contrast",
    220_000,
);
pub(crate) const SCREENING_MAMMOGRAM: BillingCode =
    cpt("77067", "Screening mammography, bilateral", 38_000);
pub(crate) const DIAGNOSTIC_COLONOSCOPY: BillingCode =
    cpt("45378", "Colonoscopy, diagnostic", 260_000);
pub(crate) const SCREENING_COLONOSCOPY: BillingCode = hcpcs(
    "G0121",
    "Colorectal cancer screening colonoscopy, not high risk",
    240_000,
);
pub(crate) const COLONOSCOPY_ANESTHESIA: BillingCode =
    cpt("00812", "Anesthesia for screening colonoscopy", 65_000);
pub(crate) const NEBULIZER_TREATMENT: BillingCode = cpt(
    "94640",
    "Inhalation treatment for airway obstruction",
    9_000,
);
pub(crate) const LACERATION_REPAIR: BillingCode = cpt(
    "12002",
    "Simple repair of superficial wound, 2.6 to 7.5 cm",
    38_000,
);
pub(crate) const SPLINT: BillingCode =
    hcpcs("L4360", "Walking boot, pneumatic, prefabricated", 21_000);
pub(crate) const KNEE_REPLACEMENT: BillingCode = cpt("27447", "Total knee arthroplasty", 480_000);
pub(crate) const CHOLECYSTECTOMY: BillingCode =
    cpt("47562", "Laparoscopic cholecystectomy", 290_000);
pub(crate) const APPENDECTOMY: BillingCode = cpt("44970", "Laparoscopic appendectomy", 250_000);
pub(crate) const PT_EVALUATION: BillingCode = cpt(
    "97161",
    "Physical therapy evaluation, low complexity",
    18_000,
);
pub(crate) const CPAP_DEVICE: BillingCode = hcpcs(
    "E0601",
    "Continuous positive airway pressure device",
    140_000,
);

// Dental procedures.
pub(crate) const DENTAL_PERIODIC_EVAL: BillingCode =
    cdt("D0120", "Periodic oral evaluation", 6_500);
pub(crate) const DENTAL_BITEWINGS: BillingCode =
    cdt("D0274", "Bitewings, four radiographic images", 7_500);
pub(crate) const DENTAL_CLEANING_ADULT: BillingCode = cdt("D1110", "Prophylaxis, adult", 11_000);
pub(crate) const DENTAL_CLEANING_CHILD: BillingCode = cdt("D1120", "Prophylaxis, child", 8_000);
pub(crate) const DENTAL_FLUORIDE: BillingCode =
    cdt("D1206", "Topical application of fluoride varnish", 4_500);
pub(crate) const DENTAL_SEALANT: BillingCode = cdt("D1351", "Sealant, per tooth", 5_500);
pub(crate) const DENTAL_FILLING_ONE_SURFACE: BillingCode = cdt(
    "D2391",
    "Resin-based composite, one surface, posterior",
    18_000,
);
pub(crate) const DENTAL_FILLING_TWO_SURFACES: BillingCode = cdt(
    "D2392",
    "Resin-based composite, two surfaces, posterior",
    23_000,
);
pub(crate) const DENTAL_CROWN: BillingCode = cdt("D2740", "Crown, porcelain/ceramic", 125_000);
pub(crate) const DENTAL_EXTRACTION: BillingCode = cdt("D7140", "Extraction, erupted tooth", 21_000);

/// Posterior teeth (ADA universal numbers) for fillings and sealants.
pub(crate) const POSTERIOR_TEETH: &[&str] = &[
    "2", "3", "4", "5", "12", "13", "14", "15", "18", "19", "20", "21", "28", "29", "30", "31",
];
/// Surfaces of a posterior tooth (C4BB surface codes): occlusal, mesial, distal, buccal,
/// lingual.
pub(crate) const POSTERIOR_SURFACES: &[&str] = &["O", "M", "D", "B", "L"];

// --- Diagnoses ------------------------------------------------------------------------

/// A diagnosis with its ICD-10-CM and SNOMED CT codes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Diagnosis {
    /// ICD-10-CM.
    pub(crate) icd10: &'static str,
    /// SNOMED CT.
    pub(crate) snomed: &'static str,
    /// A short description.
    pub(crate) display: &'static str,
}

const fn dx(icd10: &'static str, snomed: &'static str, display: &'static str) -> Diagnosis {
    Diagnosis {
        icd10,
        snomed,
        display,
    }
}

pub(crate) const ADULT_EXAM: Diagnosis = dx(
    "Z00.00",
    "268565007",
    "Encounter for general adult medical examination without abnormal findings",
);
pub(crate) const CHILD_EXAM: Diagnosis = dx(
    "Z00.129",
    "410620009",
    "Encounter for routine child health examination without abnormal findings",
);
pub(crate) const DENTAL_EXAM: Diagnosis = dx(
    "Z01.20",
    "34043003",
    "Encounter for dental examination and cleaning without abnormal findings",
);
pub(crate) const DENTAL_CARIES: Diagnosis = dx(
    "K02.52",
    "80967001",
    "Dental caries on pit and fissure surface penetrating into dentin",
);
pub(crate) const COLON_SCREENING: Diagnosis = dx(
    "Z12.11",
    "275978004",
    "Encounter for screening for malignant neoplasm of colon",
);
pub(crate) const BREAST_SCREENING: Diagnosis = dx(
    "Z12.31",
    "268547008",
    "Encounter for screening mammogram for malignant neoplasm of breast",
);
pub(crate) const OBSTRUCTIVE_SLEEP_APNEA: Diagnosis =
    dx("G47.33", "78275009", "Obstructive sleep apnea");
pub(crate) const LUMBAR_RADICULOPATHY: Diagnosis =
    dx("M54.16", "128196005", "Radiculopathy, lumbar region");
pub(crate) const KNEE_PAIN: Diagnosis = dx("M25.561", "30989003", "Pain in right knee");

/// A long-term condition a member may have, and how it is treated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ChronicCondition {
    /// The diagnosis.
    pub(crate) diagnosis: Diagnosis,
    /// The youngest age at which the generator gives it.
    pub(crate) min_age: i64,
    /// Chance in percent that an eligible member has it.
    pub(crate) prevalence: u32,
    /// The maintenance drug, if any.
    pub(crate) drug: Option<&'static Drug>,
    /// The follow-up lab test, if any.
    pub(crate) lab: Option<&'static LabPanel>,
}

pub(crate) const HYPERTENSION: ChronicCondition = ChronicCondition {
    diagnosis: dx("I10", "59621000", "Essential hypertension"),
    min_age: 30,
    prevalence: 35,
    drug: Some(&LISINOPRIL),
    lab: Some(&METABOLIC),
};
pub(crate) const TYPE_2_DIABETES: ChronicCondition = ChronicCondition {
    diagnosis: dx(
        "E11.9",
        "44054006",
        "Type 2 diabetes mellitus without complications",
    ),
    min_age: 30,
    prevalence: 14,
    drug: Some(&METFORMIN),
    lab: Some(&A1C),
};
pub(crate) const HYPERLIPIDEMIA: ChronicCondition = ChronicCondition {
    diagnosis: dx("E78.5", "55822004", "Hyperlipidemia"),
    min_age: 35,
    prevalence: 28,
    drug: Some(&ATORVASTATIN),
    lab: Some(&LIPIDS),
};
pub(crate) const HYPOTHYROIDISM: ChronicCondition = ChronicCondition {
    diagnosis: dx("E03.9", "40930008", "Hypothyroidism"),
    min_age: 25,
    prevalence: 8,
    drug: Some(&LEVOTHYROXINE),
    lab: Some(&THYROID),
};
pub(crate) const ASTHMA: ChronicCondition = ChronicCondition {
    diagnosis: dx("J45.909", "195967001", "Asthma, uncomplicated"),
    min_age: 4,
    prevalence: 10,
    drug: Some(&ALBUTEROL),
    lab: None,
};
pub(crate) const DEPRESSION: ChronicCondition = ChronicCondition {
    diagnosis: dx("F32.A", "35489007", "Depression"),
    min_age: 14,
    prevalence: 10,
    drug: Some(&SERTRALINE),
    lab: None,
};
pub(crate) const ATRIAL_FIBRILLATION: ChronicCondition = ChronicCondition {
    diagnosis: dx("I48.91", "49436004", "Atrial fibrillation"),
    min_age: 60,
    prevalence: 12,
    drug: Some(&APIXABAN),
    lab: None,
};
pub(crate) const KNEE_OSTEOARTHRITIS: ChronicCondition = ChronicCondition {
    diagnosis: dx("M17.11", "239873007", "Primary osteoarthritis, right knee"),
    min_age: 50,
    prevalence: 15,
    drug: None,
    lab: None,
};
pub(crate) const OBESITY: ChronicCondition = ChronicCondition {
    diagnosis: dx("E66.9", "414916001", "Obesity"),
    min_age: 12,
    prevalence: 18,
    drug: None,
    lab: None,
};

/// Every chronic condition, in the order they are considered.
pub(crate) const CHRONIC_CONDITIONS: &[&ChronicCondition] = &[
    &HYPERTENSION,
    &TYPE_2_DIABETES,
    &HYPERLIPIDEMIA,
    &HYPOTHYROIDISM,
    &ASTHMA,
    &DEPRESSION,
    &ATRIAL_FIBRILLATION,
    &KNEE_OSTEOARTHRITIS,
    &OBESITY,
];

/// A short illness seen in the office.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AcuteProblem {
    /// The diagnosis.
    pub(crate) diagnosis: Diagnosis,
    /// An in-office test billed with the visit.
    pub(crate) test: Option<&'static BillingCode>,
    /// The drug prescribed, if any.
    pub(crate) drug: Option<&'static Drug>,
    /// Whether children get it more than adults (drawn for members under 18).
    pub(crate) pediatric: bool,
}

/// Problems seen at sick visits.
pub(crate) const ACUTE_PROBLEMS: &[AcuteProblem] = &[
    AcuteProblem {
        diagnosis: dx("J06.9", "54150009", "Acute upper respiratory infection"),
        test: None,
        drug: None,
        pediatric: true,
    },
    AcuteProblem {
        diagnosis: dx("J02.9", "405737000", "Acute pharyngitis"),
        test: Some(&RAPID_STREP),
        drug: Some(&AMOXICILLIN),
        pediatric: true,
    },
    AcuteProblem {
        diagnosis: dx("H66.90", "65363002", "Otitis media"),
        test: None,
        drug: Some(&AMOXICILLIN),
        pediatric: true,
    },
    AcuteProblem {
        diagnosis: dx("J01.90", "36971009", "Acute sinusitis"),
        test: None,
        drug: Some(&AMOXICILLIN),
        pediatric: false,
    },
    AcuteProblem {
        diagnosis: dx("N39.0", "68566005", "Urinary tract infection"),
        test: Some(&URINALYSIS),
        drug: Some(&CEPHALEXIN),
        pediatric: false,
    },
    AcuteProblem {
        diagnosis: dx("M54.50", "279039007", "Low back pain"),
        test: None,
        drug: None,
        pediatric: false,
    },
    AcuteProblem {
        diagnosis: dx("J20.9", "10509002", "Acute bronchitis"),
        test: None,
        drug: Some(&AZITHROMYCIN),
        pediatric: false,
    },
];

/// A reason for an emergency department visit and what the hospital does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EmergencyProblem {
    /// The diagnosis.
    pub(crate) diagnosis: Diagnosis,
    /// The visit level billed.
    pub(crate) visit: &'static BillingCode,
    /// Tests and treatments: (NUBC revenue code, procedure).
    pub(crate) services: &'static [(&'static RevenueCode, &'static BillingCode)],
}

/// Reasons for emergency department visits.
pub(crate) const EMERGENCY_PROBLEMS: &[EmergencyProblem] = &[
    EmergencyProblem {
        diagnosis: dx("R07.9", "29857009", "Chest pain"),
        visit: &ED_VISIT_HIGH,
        services: &[
            (&REV_EKG, &ECG_TRACING),
            (&REV_LAB, &METABOLIC_PANEL),
            (&REV_LAB, &BLOOD_COUNT),
            (&REV_CHEST_XRAY, &CHEST_XRAY),
        ],
    },
    EmergencyProblem {
        diagnosis: dx(
            "S93.401A",
            "44465007",
            "Sprain of right ankle, initial encounter",
        ),
        visit: &ED_VISIT_LOW,
        services: &[(&REV_RADIOLOGY, &ANKLE_XRAY), (&REV_SUPPLIES, &SPLINT)],
    },
    EmergencyProblem {
        diagnosis: dx("R10.9", "21522001", "Abdominal pain"),
        visit: &ED_VISIT_HIGH,
        services: &[
            (&REV_LAB, &METABOLIC_PANEL),
            (&REV_LAB, &BLOOD_COUNT),
            (&REV_CT, &CT_ABDOMEN),
        ],
    },
    EmergencyProblem {
        diagnosis: dx(
            "S61.411A",
            "312608009",
            "Laceration of right hand, initial encounter",
        ),
        visit: &ED_VISIT_LOW,
        services: &[(&REV_EMERGENCY, &LACERATION_REPAIR)],
    },
    EmergencyProblem {
        diagnosis: dx("J45.901", "281239006", "Asthma with acute exacerbation"),
        visit: &ED_VISIT_HIGH,
        services: &[
            (&REV_RESPIRATORY, &NEBULIZER_TREATMENT),
            (&REV_CHEST_XRAY, &CHEST_XRAY),
        ],
    },
];

// --- Hospital billing ---------------------------------------------------------------

/// A NUBC revenue code.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RevenueCode {
    /// The four-digit code.
    pub(crate) code: &'static str,
    /// A short description.
    pub(crate) display: &'static str,
}

const fn rev(code: &'static str, display: &'static str) -> RevenueCode {
    RevenueCode { code, display }
}

pub(crate) const REV_ROOM_BOARD: RevenueCode = rev("0120", "Room and board, semi-private");
pub(crate) const REV_PHARMACY: RevenueCode = rev("0250", "Pharmacy, general");
pub(crate) const REV_SUPPLIES: RevenueCode = rev("0270", "Medical/surgical supplies, general");
pub(crate) const REV_IMPLANTS: RevenueCode =
    rev("0278", "Medical/surgical supplies, other implants");
pub(crate) const REV_LAB: RevenueCode = rev("0300", "Laboratory, general");
pub(crate) const REV_RADIOLOGY: RevenueCode = rev("0320", "Radiology, diagnostic, general");
pub(crate) const REV_CHEST_XRAY: RevenueCode = rev("0324", "Radiology, diagnostic, chest X-ray");
pub(crate) const REV_CT: RevenueCode = rev("0350", "CT scan, general");
pub(crate) const REV_OPERATING_ROOM: RevenueCode = rev("0360", "Operating room services, general");
pub(crate) const REV_ANESTHESIA: RevenueCode = rev("0370", "Anesthesia, general");
pub(crate) const REV_MAMMOGRAPHY: RevenueCode = rev("0403", "Screening mammography");
pub(crate) const REV_RESPIRATORY: RevenueCode = rev("0410", "Respiratory services, general");
pub(crate) const REV_PHYSICAL_THERAPY: RevenueCode = rev("0420", "Physical therapy, general");
pub(crate) const REV_EMERGENCY: RevenueCode = rev("0450", "Emergency room, general");
pub(crate) const REV_MRI: RevenueCode = rev("0610", "MRI, general");
pub(crate) const REV_RECOVERY: RevenueCode = rev("0710", "Recovery room, general");
pub(crate) const REV_EKG: RevenueCode = rev("0730", "EKG/ECG, general");
pub(crate) const REV_GASTRO: RevenueCode = rev("0750", "Gastrointestinal services, general");

/// A hospital stay: the MS-DRG, the principal diagnosis and what happens.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct InpatientCase {
    /// MS-DRG code.
    pub(crate) drg: &'static str,
    /// MS-DRG title.
    pub(crate) drg_title: &'static str,
    /// The principal diagnosis.
    pub(crate) diagnosis: Diagnosis,
    /// The surgery, if any: ICD-10-PCS code and title, and the surgeon's CPT code.
    pub(crate) surgery: Option<Surgery>,
    /// Nights in hospital: (fewest, most).
    pub(crate) nights: (i64, i64),
    /// Planned ahead (elective, needs prior authorization) or through the emergency
    /// department.
    pub(crate) elective: bool,
    /// The youngest age at which the generator uses this case.
    pub(crate) min_age: i64,
    /// Typical total charge per night, in cents.
    pub(crate) charge_per_night: i64,
}

/// A surgery during a stay.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Surgery {
    /// ICD-10-PCS code.
    pub(crate) pcs: &'static str,
    /// ICD-10-PCS title.
    pub(crate) pcs_title: &'static str,
    /// The SNOMED CT procedure, for the US Core Procedure.
    pub(crate) snomed: &'static str,
    /// The surgeon's professional CPT code.
    pub(crate) cpt: &'static BillingCode,
}

pub(crate) const PNEUMONIA_STAY: InpatientCase = InpatientCase {
    drg: "194",
    drg_title: "Simple pneumonia and pleurisy with CC",
    diagnosis: dx("J18.9", "233604007", "Pneumonia, unspecified organism"),
    surgery: None,
    nights: (2, 5),
    elective: false,
    min_age: 0,
    charge_per_night: 520_000,
};
pub(crate) const HEART_FAILURE_STAY: InpatientCase = InpatientCase {
    drg: "292",
    drg_title: "Heart failure and shock with CC",
    diagnosis: dx("I50.9", "84114007", "Heart failure, unspecified"),
    surgery: None,
    nights: (3, 6),
    elective: false,
    min_age: 60,
    charge_per_night: 610_000,
};
pub(crate) const CELLULITIS_STAY: InpatientCase = InpatientCase {
    drg: "603",
    drg_title: "Cellulitis without MCC",
    diagnosis: dx("L03.116", "128045006", "Cellulitis of left lower limb"),
    surgery: None,
    nights: (2, 4),
    elective: false,
    min_age: 18,
    charge_per_night: 430_000,
};
pub(crate) const ASTHMA_STAY: InpatientCase = InpatientCase {
    drg: "203",
    drg_title: "Bronchitis and asthma without CC/MCC",
    diagnosis: dx("J45.901", "281239006", "Asthma with acute exacerbation"),
    surgery: None,
    nights: (1, 3),
    elective: false,
    min_age: 2,
    charge_per_night: 450_000,
};
pub(crate) const APPENDECTOMY_STAY: InpatientCase = InpatientCase {
    drg: "343",
    drg_title: "Appendectomy without complicated principal diagnosis without CC/MCC",
    diagnosis: dx("K35.80", "74400008", "Acute appendicitis"),
    surgery: Some(Surgery {
        pcs: "0DTJ4ZZ",
        pcs_title: "Resection of appendix, percutaneous endoscopic approach",
        snomed: "6025007",
        cpt: &APPENDECTOMY,
    }),
    nights: (1, 2),
    elective: false,
    min_age: 6,
    charge_per_night: 1_350_000,
};
pub(crate) const CHOLECYSTECTOMY_STAY: InpatientCase = InpatientCase {
    drg: "419",
    drg_title: "Laparoscopic cholecystectomy without C.D.E. without CC/MCC",
    diagnosis: dx(
        "K80.20",
        "235919008",
        "Calculus of gallbladder without cholecystitis without obstruction",
    ),
    surgery: Some(Surgery {
        pcs: "0FT44ZZ",
        pcs_title: "Resection of gallbladder, percutaneous endoscopic approach",
        snomed: "45595009",
        cpt: &CHOLECYSTECTOMY,
    }),
    nights: (1, 2),
    elective: true,
    min_age: 25,
    charge_per_night: 1_550_000,
};
pub(crate) const KNEE_REPLACEMENT_STAY: InpatientCase = InpatientCase {
    drg: "470",
    drg_title: "Major hip and knee joint replacement or reattachment of lower extremity without MCC",
    diagnosis: dx("M17.11", "239873007", "Primary osteoarthritis, right knee"),
    surgery: Some(Surgery {
        pcs: "0SRC0J9",
        pcs_title: "Replacement of right knee joint with synthetic substitute, cemented, open approach",
        snomed: "609588000",
        cpt: &KNEE_REPLACEMENT,
    }),
    nights: (1, 3),
    elective: true,
    min_age: 50,
    charge_per_night: 2_100_000,
};

/// Unplanned stays, for members without a planned surgery.
pub(crate) const UNPLANNED_STAYS: &[&InpatientCase] = &[
    &PNEUMONIA_STAY,
    &HEART_FAILURE_STAY,
    &CELLULITIS_STAY,
    &ASTHMA_STAY,
    &APPENDECTOMY_STAY,
];

/// MS-DRG discharge statuses: (code, display) with weights.
pub(crate) const DISCHARGE_STATUSES: &[((&str, &str), u32)] = &[
    (("01", "Discharged to home or self care"), 85),
    (
        (
            "06",
            "Discharged to home under care of a home health service organization",
        ),
        10,
    ),
    (("03", "Discharged to a skilled nursing facility"), 5),
];

// --- Drugs --------------------------------------------------------------------------

/// A drug: the RxNorm clinical drug and the NDC package dispensed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Drug {
    /// RxNorm concept.
    pub(crate) rxnorm: &'static str,
    /// RxNorm name.
    pub(crate) name: &'static str,
    /// NDC package code.
    pub(crate) ndc: &'static str,
    /// Generic (or brand) product.
    pub(crate) generic: bool,
    /// Units dispensed per fill.
    pub(crate) quantity: i64,
    /// Days one fill lasts.
    pub(crate) days_supply: i64,
    /// Usual and customary charge per fill, in cents.
    pub(crate) charge: i64,
    /// Directions.
    pub(crate) sig: &'static str,
}

pub(crate) const LISINOPRIL: Drug = Drug {
    rxnorm: "314076",
    name: "lisinopril 10 MG Oral Tablet",
    ndc: "68180-0513-03",
    generic: true,
    quantity: 90,
    days_supply: 90,
    charge: 3_800,
    sig: "Take 1 tablet by mouth once daily",
};
pub(crate) const METFORMIN: Drug = Drug {
    rxnorm: "861007",
    name: "metformin hydrochloride 500 MG Oral Tablet",
    ndc: "0093-1048-10",
    generic: true,
    quantity: 180,
    days_supply: 90,
    charge: 4_200,
    sig: "Take 1 tablet by mouth twice daily with meals",
};
pub(crate) const ATORVASTATIN: Drug = Drug {
    rxnorm: "617310",
    name: "atorvastatin 20 MG Oral Tablet",
    ndc: "60505-2579-09",
    generic: true,
    quantity: 90,
    days_supply: 90,
    charge: 5_500,
    sig: "Take 1 tablet by mouth once daily at bedtime",
};
pub(crate) const LEVOTHYROXINE: Drug = Drug {
    rxnorm: "966222",
    name: "levothyroxine sodium 0.05 MG Oral Tablet",
    ndc: "0378-1805-77",
    generic: true,
    quantity: 90,
    days_supply: 90,
    charge: 4_800,
    sig: "Take 1 tablet by mouth every morning on an empty stomach",
};
pub(crate) const ALBUTEROL: Drug = Drug {
    rxnorm: "745679",
    name: "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
    ndc: "59310-0579-22",
    generic: false,
    quantity: 1,
    days_supply: 90,
    charge: 8_500,
    sig: "Inhale 2 puffs every 4 to 6 hours as needed for wheezing",
};
pub(crate) const SERTRALINE: Drug = Drug {
    rxnorm: "312940",
    name: "sertraline 50 MG Oral Tablet",
    ndc: "16729-0213-17",
    generic: true,
    quantity: 90,
    days_supply: 90,
    charge: 3_500,
    sig: "Take 1 tablet by mouth once daily",
};
pub(crate) const APIXABAN: Drug = Drug {
    rxnorm: "1364445",
    name: "apixaban 5 MG Oral Tablet",
    ndc: "0003-0894-21",
    generic: false,
    quantity: 180,
    days_supply: 90,
    charge: 165_000,
    sig: "Take 1 tablet by mouth twice daily",
};
pub(crate) const AMOXICILLIN: Drug = Drug {
    rxnorm: "308191",
    name: "amoxicillin 500 MG Oral Capsule",
    ndc: "0093-3109-05",
    generic: true,
    quantity: 30,
    days_supply: 10,
    charge: 1_800,
    sig: "Take 1 capsule by mouth three times daily for 10 days",
};
pub(crate) const CEPHALEXIN: Drug = Drug {
    rxnorm: "309114",
    name: "cephalexin 500 MG Oral Capsule",
    ndc: "0093-3147-01",
    generic: true,
    quantity: 28,
    days_supply: 7,
    charge: 2_000,
    sig: "Take 1 capsule by mouth four times daily for 7 days",
};
pub(crate) const AZITHROMYCIN: Drug = Drug {
    rxnorm: "308460",
    name: "azithromycin 250 MG Oral Tablet",
    ndc: "0093-7146-56",
    generic: true,
    quantity: 6,
    days_supply: 5,
    charge: 2_200,
    sig: "Take 2 tablets on day 1, then 1 tablet daily for 4 days",
};

// --- Laboratory results -------------------------------------------------------------

/// One analyte: LOINC code, unit and the ranges values are drawn from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LabTest {
    /// LOINC code.
    pub(crate) loinc: &'static str,
    /// LOINC long common name.
    pub(crate) display: &'static str,
    /// UCUM code (also the human unit).
    pub(crate) unit: &'static str,
    /// Decimals of the value.
    pub(crate) scale: u32,
    /// Reference range in units of 10^-scale: (low, high).
    pub(crate) normal: (i64, i64),
    /// Values when the related condition is present, in the same units.
    pub(crate) abnormal: (i64, i64),
}

/// A billed lab panel and the analytes it reports.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LabPanel {
    /// The CPT code billed.
    pub(crate) billing: &'static BillingCode,
    /// What is reported.
    pub(crate) tests: &'static [LabTest],
}

pub(crate) const METABOLIC: LabPanel = LabPanel {
    billing: &METABOLIC_PANEL,
    tests: &[
        LabTest {
            loinc: "2345-7",
            display: "Glucose [Mass/volume] in Serum or Plasma",
            unit: "mg/dL",
            scale: 0,
            normal: (70, 99),
            abnormal: (110, 190),
        },
        LabTest {
            loinc: "2160-0",
            display: "Creatinine [Mass/volume] in Serum or Plasma",
            unit: "mg/dL",
            scale: 2,
            normal: (60, 120),
            abnormal: (110, 160),
        },
    ],
};
pub(crate) const LIPIDS: LabPanel = LabPanel {
    billing: &LIPID_PANEL,
    tests: &[
        LabTest {
            loinc: "2093-3",
            display: "Cholesterol [Mass/volume] in Serum or Plasma",
            unit: "mg/dL",
            scale: 0,
            normal: (125, 199),
            abnormal: (205, 275),
        },
        LabTest {
            loinc: "13457-7",
            display: "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation",
            unit: "mg/dL",
            scale: 0,
            normal: (50, 99),
            abnormal: (130, 190),
        },
    ],
};
pub(crate) const A1C: LabPanel = LabPanel {
    billing: &HEMOGLOBIN_A1C,
    tests: &[LabTest {
        loinc: "4548-4",
        display: "Hemoglobin A1c/Hemoglobin.total in Blood",
        unit: "%",
        scale: 1,
        normal: (40, 56),
        abnormal: (62, 88),
    }],
};
pub(crate) const THYROID: LabPanel = LabPanel {
    billing: &TSH_TEST,
    tests: &[LabTest {
        loinc: "3016-3",
        display: "Thyrotropin [Units/volume] in Serum or Plasma",
        unit: "m[IU]/L",
        scale: 2,
        normal: (45, 450),
        abnormal: (460, 900),
    }],
};

// --- Vaccines and allergies ---------------------------------------------------------

/// A vaccine (CVX).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Vaccine {
    /// CVX code.
    pub(crate) cvx: &'static str,
    /// CVX short description.
    pub(crate) display: &'static str,
    /// Ages at which it is given: (youngest, oldest).
    pub(crate) ages: (i64, i64),
}

/// Seasonal influenza vaccine, under 65.
pub(crate) const FLU_VACCINE: Vaccine = Vaccine {
    cvx: "150",
    display: "Influenza, injectable, quadrivalent, preservative free",
    ages: (0, 64),
};
/// Seasonal influenza vaccine, high dose, 65 and over.
pub(crate) const FLU_VACCINE_HIGH_DOSE: Vaccine = Vaccine {
    cvx: "197",
    display: "Influenza, high-dose, quadrivalent",
    ages: (65, 120),
};
/// Vaccines given once in the period to members of the right age.
pub(crate) const ONE_TIME_VACCINES: &[Vaccine] = &[
    Vaccine {
        cvx: "115",
        display: "Tdap",
        ages: (11, 64),
    },
    Vaccine {
        cvx: "187",
        display: "Zoster vaccine recombinant",
        ages: (50, 120),
    },
    Vaccine {
        cvx: "33",
        display: "Pneumococcal polysaccharide vaccine, 23 valent",
        ages: (65, 120),
    },
    Vaccine {
        cvx: "165",
        display: "Human Papillomavirus 9-valent vaccine",
        ages: (9, 14),
    },
    Vaccine {
        cvx: "03",
        display: "MMR",
        ages: (4, 6),
    },
    Vaccine {
        cvx: "20",
        display: "DTaP",
        ages: (4, 6),
    },
];

/// An allergy: the substance and the usual reaction.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Allergy {
    /// The code system of the substance.
    pub(crate) system: &'static str,
    /// The substance code.
    pub(crate) code: &'static str,
    /// The substance.
    pub(crate) display: &'static str,
    /// `food`, `medication`, `environment` or `biologic`.
    pub(crate) category: &'static str,
    /// `low` or `high`.
    pub(crate) criticality: &'static str,
    /// The reaction (SNOMED CT clinical finding).
    pub(crate) reaction: (&'static str, &'static str),
    /// `mild`, `moderate` or `severe`.
    pub(crate) severity: &'static str,
}

pub(crate) const ALLERGIES: &[Allergy] = &[
    Allergy {
        system: SNOMED,
        code: "764146007",
        display: "Penicillin",
        category: "medication",
        criticality: "high",
        reaction: ("247472004", "Hives"),
        severity: "moderate",
    },
    Allergy {
        system: SNOMED,
        code: "763875007",
        display: "Sulfonamide antibacterial",
        category: "medication",
        criticality: "low",
        reaction: ("271807003", "Skin rash"),
        severity: "mild",
    },
    Allergy {
        system: SNOMED,
        code: "256349002",
        display: "Peanut",
        category: "food",
        criticality: "high",
        reaction: ("39579001", "Anaphylaxis"),
        severity: "severe",
    },
    Allergy {
        system: SNOMED,
        code: "111088007",
        display: "Latex",
        category: "environment",
        criticality: "low",
        reaction: ("418290006", "Itching"),
        severity: "mild",
    },
    Allergy {
        system: SNOMED,
        code: "256277009",
        display: "Grass pollen",
        category: "environment",
        criticality: "low",
        reaction: ("76067001", "Sneezing"),
        severity: "mild",
    },
];

// --- Providers and places -------------------------------------------------------------

/// CMS place of service codes used: (code, display).
pub(crate) const POS_OFFICE: (&str, &str) = ("11", "Office");
pub(crate) const POS_TELEHEALTH_HOME: (&str, &str) =
    ("10", "Telehealth provided in patient's home");
pub(crate) const POS_URGENT_CARE: (&str, &str) = ("20", "Urgent care facility");
pub(crate) const POS_INPATIENT: (&str, &str) = ("21", "Inpatient hospital");
pub(crate) const POS_OUTPATIENT: (&str, &str) = ("22", "On campus-outpatient hospital");
pub(crate) const POS_EMERGENCY: (&str, &str) = ("23", "Emergency room - hospital");
pub(crate) const POS_LAB: (&str, &str) = ("81", "Independent laboratory");

// --- People -------------------------------------------------------------------------

/// Female given names.
pub(crate) const FEMALE_NAMES: &[&str] = &[
    "Olivia",
    "Emma",
    "Ava",
    "Sophia",
    "Isabella",
    "Mia",
    "Amelia",
    "Harper",
    "Evelyn",
    "Abigail",
    "Emily",
    "Elizabeth",
    "Sofia",
    "Avery",
    "Ella",
    "Grace",
    "Chloe",
    "Camila",
    "Maria",
    "Aaliyah",
    "Priya",
    "Mei",
    "Fatima",
    "Linda",
    "Patricia",
    "Barbara",
    "Susan",
    "Dorothy",
    "Nancy",
    "Karen",
    "Rosa",
    "Keisha",
];
/// Male given names.
pub(crate) const MALE_NAMES: &[&str] = &[
    "Liam",
    "Noah",
    "Oliver",
    "Elijah",
    "James",
    "William",
    "Benjamin",
    "Lucas",
    "Henry",
    "Alexander",
    "Mason",
    "Michael",
    "Ethan",
    "Daniel",
    "Jacob",
    "Logan",
    "Jackson",
    "Mateo",
    "Samuel",
    "David",
    "Joseph",
    "Carlos",
    "Wei",
    "Arjun",
    "Omar",
    "Robert",
    "Richard",
    "Thomas",
    "Charles",
    "Kenneth",
    "Andre",
    "Hiroshi",
];
/// Family names.
pub(crate) const FAMILY_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Kim",
    "Chen",
    "Okafor",
    "Yamamoto",
    "Novak",
];
/// Street names.
pub(crate) const STREETS: &[&str] = &[
    "Oak Street",
    "Maple Avenue",
    "Cedar Lane",
    "Pine Street",
    "Elm Drive",
    "Willow Way",
    "Birch Road",
    "Spruce Court",
    "Hawthorne Boulevard",
    "Division Street",
    "Alder Street",
    "Lincoln Street",
    "Park Avenue",
    "River Road",
    "Hillcrest Drive",
    "Sunset Boulevard",
    "Lakeview Drive",
    "Meadow Lane",
    "Orchard Street",
    "Washington Street",
];
/// Cities of the plan's service area: (city, ZIP prefix for the area, area code).
pub(crate) const CITIES: &[(&str, &str, &str)] = &[
    ("Portland", "972", "503"),
    ("Salem", "973", "503"),
    ("Eugene", "974", "541"),
    ("Bend", "977", "541"),
    ("Medford", "975", "541"),
    ("Corvallis", "973", "541"),
    ("Beaverton", "970", "503"),
    ("Gresham", "970", "503"),
    ("Hillsboro", "971", "503"),
];
/// The centres of [`CITIES`], in millionths of a degree (latitude, longitude).
pub(crate) const CITY_POSITIONS: &[(i64, i64)] = &[
    (45_515_200, -122_678_400),
    (44_942_900, -123_035_100),
    (44_052_100, -123_086_800),
    (44_058_200, -121_315_300),
    (42_326_500, -122_875_600),
    (44_564_600, -123_262_000),
    (45_487_100, -122_803_700),
    (45_498_400, -122_431_500),
    (45_522_900, -122_989_800),
];
/// The state of the service area.
pub(crate) const STATE: &str = "OR";

/// OMB race categories: (code, display, weight).
pub(crate) const RACES: &[((&str, &str), u32)] = &[
    (("2106-3", "White"), 70),
    (("2054-5", "Black or African American"), 13),
    (("2028-9", "Asian"), 12),
    (("1002-5", "American Indian or Alaska Native"), 3),
    (("2076-8", "Native Hawaiian or Other Pacific Islander"), 2),
];
/// OMB ethnicity categories: (code, display, weight).
pub(crate) const ETHNICITIES: &[((&str, &str), u32)] = &[
    (("2135-2", "Hispanic or Latino"), 19),
    (("2186-5", "Not Hispanic or Latino"), 81),
];
