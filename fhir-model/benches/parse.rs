//! Parse and serialize throughput of `fhir-model` against `serde_json::Value`, on a
//! generated, EOB-heavy corpus (CARIN Blue Button-like searchset Bundles).
//!
//! The corpus is generated deterministically (a seeded SplitMix64, no `rand`): a ~1 MB Bundle,
//! a ~5 MB Bundle, and a set of single resources. Decimals are written the way payers send
//! them (`125.50`, `80.00`), so the corpus exercises exact-decimal handling. Before measuring,
//! the bench checks that `from_json` accepts every corpus and that `to_json` gives back the
//! same JSON (numbers by spelling), so it never measures an error path.
//!
//! Run: `cargo bench -p fhir-model --bench parse` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

// The test suite's independent JSON tree comparator (numbers compared by spelling).
#[allow(dead_code, unreachable_pub)]
#[path = "../tests/it/json_tree.rs"]
mod json_tree;

// ---------------------------------------------------------------------------------------------
// Deterministic pseudo-random numbers

/// SplitMix64: small, fast, and good enough to vary generated content.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }

    /// A dollar amount with two decimals, as payers send it: `125.50`, `80.00`, `0.99`.
    fn money(&mut self, max_dollars: u64) -> String {
        let dollars = self.range(0, max_dollars);
        let cents = match self.range(0, 3) {
            0 => 0,
            1 => 50,
            _ => self.range(0, 99),
        };
        format!("{dollars}.{cents:02}")
    }

    fn date(&mut self, year: u64) -> String {
        format!("{year}-{:02}-{:02}", self.range(1, 12), self.range(1, 28))
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny JSON builder that keeps decimal spellings (serde_json::Value would turn 125.50 into
// 125.5).

enum J {
    Bool(bool),
    /// A number, written exactly as given.
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

fn s(text: impl Into<String>) -> J {
    J::Str(text.into())
}

fn n(number: impl ToString) -> J {
    J::Num(number.to_string())
}

fn obj(members: Vec<(&'static str, J)>) -> J {
    J::Obj(members)
}

fn arr(items: Vec<J>) -> J {
    J::Arr(items)
}

fn write_json(value: &J, out: &mut String) {
    match value {
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(number) => out.push_str(number),
        J::Str(text) => out.push_str(&json_tree::quote(text)),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(key);
                out.push_str("\":");
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

fn to_text(value: &J) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// FHIR building blocks

const C4BB: &str = "http://hl7.org/fhir/us/carin-bb";
const ADJUDICATION_CS: &str = "http://terminology.hl7.org/CodeSystem/adjudication";

fn coding(system: &str, code: &str, display: Option<&str>) -> J {
    let mut members = vec![("system", s(system)), ("code", s(code))];
    if let Some(display) = display {
        members.push(("display", s(display)));
    }
    obj(members)
}

fn concept(system: &str, code: &str, display: Option<&str>) -> J {
    obj(vec![("coding", arr(vec![coding(system, code, display)]))])
}

fn reference(target: String) -> J {
    obj(vec![("reference", s(target))])
}

fn usd(amount: String) -> J {
    obj(vec![("value", J::Num(amount)), ("currency", s("USD"))])
}

fn meta(profile: &str, rng: &mut Rng) -> J {
    obj(vec![
        (
            "lastUpdated",
            s(format!(
                "{}T{:02}:{:02}:00Z",
                rng.date(2024),
                rng.range(0, 23),
                rng.range(0, 59)
            )),
        ),
        ("profile", arr(vec![s(profile)])),
    ])
}

const FAMILIES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Nguyen",
    "O'Brien",
];
const GIVENS: &[&str] = &[
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "José", "Aiyana",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Baltimore", "MD", "21201"),
    ("Columbus", "OH", "43004"),
    ("Austin", "TX", "73301"),
    ("Sacramento", "CA", "94203"),
    ("Albany", "NY", "12201"),
];
const CPT: &[(&str, &str)] = &[
    ("99213", "Office/outpatient visit est"),
    ("99214", "Office/outpatient visit est"),
    ("80053", "Comprehensive metabolic panel"),
    ("85025", "Complete CBC w/auto diff WBC"),
    ("71046", "X-ray exam chest 2 views"),
    ("36415", "Routine venipuncture"),
    ("93000", "Electrocardiogram complete"),
    ("97110", "Therapeutic exercises"),
];
const ICD10: &[(&str, &str)] = &[
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("J06.9", "Acute upper respiratory infection, unspecified"),
    ("M54.5", "Low back pain"),
    (
        "Z00.00",
        "Encounter for general adult medical examination without abnormal findings",
    ),
    ("E78.5", "Hyperlipidemia, unspecified"),
];
const REVENUE: &[&str] = &["0300", "0301", "0320", "0450", "0636", "0250"];
const POS: &[(&str, &str)] = &[
    ("11", "Office"),
    ("22", "On Campus-Outpatient Hospital"),
    ("21", "Inpatient Hospital"),
    ("81", "Independent Laboratory"),
];

struct Ids {
    patient: String,
    coverage: String,
    payer: String,
    practitioners: Vec<String>,
    facility: String,
}

fn patient(ids: &Ids, rng: &mut Rng) -> J {
    let (city, state, zip) = *rng.pick(CITIES);
    let birth_year = rng.range(1935, 2015);
    obj(vec![
        ("resourceType", s("Patient")),
        ("id", s(ids.patient.clone())),
        (
            "meta",
            meta(&format!("{C4BB}/StructureDefinition/C4BB-Patient"), rng),
        ),
        (
            "identifier",
            arr(vec![obj(vec![
                (
                    "type",
                    concept(
                        "http://terminology.hl7.org/CodeSystem/v2-0203",
                        "MB",
                        Some("Member Number"),
                    ),
                ),
                (
                    "system",
                    s("https://www.example-payer.com/fhir/memberidentifier"),
                ),
                ("value", s(format!("MBR{:09}", rng.range(0, 999_999_999)))),
            ])]),
        ),
        ("active", J::Bool(true)),
        (
            "name",
            arr(vec![obj(vec![
                ("use", s("usual")),
                ("family", s(*rng.pick(FAMILIES))),
                (
                    "given",
                    arr(vec![s(*rng.pick(GIVENS)), s(*rng.pick(GIVENS))]),
                ),
            ])]),
        ),
        (
            "telecom",
            arr(vec![obj(vec![
                ("system", s("phone")),
                (
                    "value",
                    s(format!(
                        "555-{:03}-{:04}",
                        rng.range(100, 999),
                        rng.range(0, 9999)
                    )),
                ),
                ("use", s("home")),
            ])]),
        ),
        ("gender", s(*rng.pick(&["male", "female", "unknown"]))),
        ("birthDate", s(rng.date(birth_year))),
        (
            "address",
            arr(vec![obj(vec![
                ("type", s("physical")),
                (
                    "line",
                    arr(vec![s(format!("{} Main St", rng.range(1, 9999)))]),
                ),
                ("city", s(city)),
                ("state", s(state)),
                ("postalCode", s(zip)),
                ("country", s("US")),
            ])]),
        ),
    ])
}

fn coverage(ids: &Ids, rng: &mut Rng) -> J {
    obj(vec![
        ("resourceType", s("Coverage")),
        ("id", s(ids.coverage.clone())),
        (
            "meta",
            meta(&format!("{C4BB}/StructureDefinition/C4BB-Coverage"), rng),
        ),
        (
            "identifier",
            arr(vec![obj(vec![
                (
                    "type",
                    concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MB", None),
                ),
                (
                    "system",
                    s("https://www.example-payer.com/fhir/memberidentifier"),
                ),
                ("value", s(format!("{}-01", ids.patient))),
            ])]),
        ),
        ("status", s("active")),
        (
            "type",
            concept(
                "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "HIP",
                Some("health insurance plan policy"),
            ),
        ),
        (
            "subscriberId",
            s(format!("SUB{:08}", rng.range(0, 99_999_999))),
        ),
        ("beneficiary", reference(format!("Patient/{}", ids.patient))),
        (
            "relationship",
            concept(
                "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                "self",
                Some("Self"),
            ),
        ),
        (
            "period",
            obj(vec![("start", s("2024-01-01")), ("end", s("2024-12-31"))]),
        ),
        (
            "payor",
            arr(vec![reference(format!("Organization/{}", ids.payer))]),
        ),
        (
            "class",
            arr(vec![
                obj(vec![
                    (
                        "type",
                        concept(
                            "http://terminology.hl7.org/CodeSystem/coverage-class",
                            "group",
                            None,
                        ),
                    ),
                    ("value", s(format!("GRP{:05}", rng.range(0, 99_999)))),
                    ("name", s("Example Employer Group")),
                ]),
                obj(vec![
                    (
                        "type",
                        concept(
                            "http://terminology.hl7.org/CodeSystem/coverage-class",
                            "plan",
                            None,
                        ),
                    ),
                    ("value", s("PPO-GOLD")),
                    ("name", s("Gold PPO")),
                ]),
            ]),
        ),
    ])
}

fn organization(id: &str, name: &str, payer: bool, rng: &mut Rng) -> J {
    let (city, state, zip) = *rng.pick(CITIES);
    obj(vec![
        ("resourceType", s("Organization")),
        ("id", s(id)),
        (
            "meta",
            meta(
                &format!("{C4BB}/StructureDefinition/C4BB-Organization"),
                rng,
            ),
        ),
        (
            "identifier",
            arr(vec![obj(vec![
                (
                    "type",
                    concept("http://terminology.hl7.org/CodeSystem/v2-0203", "NPI", None),
                ),
                ("system", s("http://hl7.org/fhir/sid/us-npi")),
                (
                    "value",
                    s(format!("{}", rng.range(1_000_000_000, 1_999_999_999))),
                ),
            ])]),
        ),
        ("active", J::Bool(true)),
        (
            "type",
            arr(vec![concept(
                "http://terminology.hl7.org/CodeSystem/organization-type",
                if payer { "pay" } else { "prov" },
                None,
            )]),
        ),
        ("name", s(name)),
        (
            "address",
            arr(vec![obj(vec![
                (
                    "line",
                    arr(vec![s(format!("{} Commerce Blvd", rng.range(1, 999)))]),
                ),
                ("city", s(city)),
                ("state", s(state)),
                ("postalCode", s(zip)),
                ("country", s("US")),
            ])]),
        ),
    ])
}

fn practitioner(id: &str, rng: &mut Rng) -> J {
    obj(vec![
        ("resourceType", s("Practitioner")),
        ("id", s(id)),
        (
            "meta",
            meta(
                &format!("{C4BB}/StructureDefinition/C4BB-Practitioner"),
                rng,
            ),
        ),
        (
            "identifier",
            arr(vec![obj(vec![
                (
                    "type",
                    concept("http://terminology.hl7.org/CodeSystem/v2-0203", "NPI", None),
                ),
                ("system", s("http://hl7.org/fhir/sid/us-npi")),
                (
                    "value",
                    s(format!("{}", rng.range(1_000_000_000, 1_999_999_999))),
                ),
            ])]),
        ),
        (
            "name",
            arr(vec![obj(vec![
                ("family", s(*rng.pick(FAMILIES))),
                ("given", arr(vec![s(*rng.pick(GIVENS))])),
                ("prefix", arr(vec![s("Dr.")])),
            ])]),
        ),
    ])
}

fn observation(id: String, ids: &Ids, rng: &mut Rng) -> J {
    let (code, display, unit, value) = match rng.range(0, 2) {
        0 => (
            "29463-7",
            "Body weight",
            "kg",
            format!("{}.{}", rng.range(45, 130), rng.range(0, 9)),
        ),
        1 => (
            "8302-2",
            "Body height",
            "cm",
            format!("{}.0", rng.range(140, 200)),
        ),
        _ => (
            "4548-4",
            "Hemoglobin A1c",
            "%",
            format!("{}.{}0", rng.range(4, 12), rng.range(0, 9)),
        ),
    };
    obj(vec![
        ("resourceType", s("Observation")),
        ("id", s(id)),
        ("status", s("final")),
        (
            "category",
            arr(vec![concept(
                "http://terminology.hl7.org/CodeSystem/observation-category",
                if unit == "%" {
                    "laboratory"
                } else {
                    "vital-signs"
                },
                None,
            )]),
        ),
        ("code", concept("http://loinc.org", code, Some(display))),
        ("subject", reference(format!("Patient/{}", ids.patient))),
        ("effectiveDateTime", s(rng.date(2024))),
        (
            "valueQuantity",
            obj(vec![
                ("value", J::Num(value)),
                ("unit", s(unit)),
                ("system", s("http://unitsofmeasure.org")),
                ("code", s(unit)),
            ]),
        ),
    ])
}

fn adjudication(code: &str, amount: String) -> J {
    let (system, display) = match code {
        "paidtoprovider" | "paidbypatient" | "memberliability" | "noncovered" | "discount" => {
            (format!("{C4BB}/CodeSystem/C4BBAdjudication"), None)
        }
        _ => (ADJUDICATION_CS.to_owned(), Some(code)),
    };
    obj(vec![
        ("category", concept(&system, code, display)),
        ("amount", usd(amount)),
    ])
}

fn eob(id: String, ids: &Ids, rng: &mut Rng) -> J {
    let (kind, kind_display) = *rng.pick(&[
        ("professional", "Professional"),
        ("professional", "Professional"),
        ("institutional", "Institutional"),
        ("pharmacy", "Pharmacy"),
    ]);
    let institutional = kind == "institutional";
    let start = rng.date(2024);
    let mut members = vec![
        ("resourceType", s("ExplanationOfBenefit")),
        ("id", s(id.clone())),
        (
            "meta",
            meta(
                &format!(
                    "{C4BB}/StructureDefinition/C4BB-ExplanationOfBenefit-{}",
                    if institutional {
                        "Outpatient-Institutional"
                    } else {
                        "Professional-NonClinician"
                    }
                ),
                rng,
            ),
        ),
        (
            "identifier",
            arr(vec![obj(vec![
                (
                    "type",
                    concept(
                        &format!("{C4BB}/CodeSystem/C4BBIdentifierType"),
                        "uc",
                        Some("Unique Claim ID"),
                    ),
                ),
                (
                    "system",
                    s("https://www.example-payer.com/fhir/EOBIdentifier"),
                ),
                (
                    "value",
                    s(format!("CLM{:012}", rng.range(0, 999_999_999_999))),
                ),
            ])]),
        ),
        ("status", s("active")),
        (
            "type",
            obj(vec![
                (
                    "coding",
                    arr(vec![coding(
                        "http://terminology.hl7.org/CodeSystem/claim-type",
                        kind,
                        Some(kind_display),
                    )]),
                ),
                ("text", s(kind_display)),
            ]),
        ),
    ];
    if institutional {
        members.push((
            "subType",
            concept(
                &format!("{C4BB}/CodeSystem/C4BBInstitutionalClaimSubType"),
                "outpatient",
                Some("Outpatient"),
            ),
        ));
    }
    members.extend([
        ("use", s("claim")),
        ("patient", reference(format!("Patient/{}", ids.patient))),
        (
            "billablePeriod",
            obj(vec![("start", s(start.clone())), ("end", s(start.clone()))]),
        ),
        (
            "created",
            s(format!(
                "{start}T{:02}:{:02}:00-05:00",
                rng.range(0, 23),
                rng.range(0, 59)
            )),
        ),
        (
            "insurer",
            obj(vec![
                ("reference", s(format!("Organization/{}", ids.payer))),
                ("display", s("Example Health Plan")),
            ]),
        ),
        (
            "provider",
            reference(if institutional {
                format!("Organization/{}", ids.facility)
            } else {
                format!("Practitioner/{}", ids.practitioners[0])
            }),
        ),
        ("outcome", s("complete")),
    ]);

    let care_team: Vec<J> = ids
        .practitioners
        .iter()
        .enumerate()
        .take(rng.range(1, 3) as usize)
        .map(|(i, practitioner)| {
            obj(vec![
                ("sequence", n(i + 1)),
                (
                    "provider",
                    reference(format!("Practitioner/{practitioner}")),
                ),
                (
                    "role",
                    concept(
                        &format!("{C4BB}/CodeSystem/C4BBClaimCareTeamRole"),
                        ["performing", "referring", "prescribing"][i % 3],
                        None,
                    ),
                ),
            ])
        })
        .collect();
    members.push(("careTeam", arr(care_team)));

    members.push((
        "supportingInfo",
        arr(vec![
            obj(vec![
                ("sequence", n(1)),
                (
                    "category",
                    concept(
                        &format!("{C4BB}/CodeSystem/C4BBSupportingInfoType"),
                        "clmrecvddate",
                        None,
                    ),
                ),
                ("timingDate", s(start.clone())),
            ]),
            obj(vec![
                ("sequence", n(2)),
                (
                    "category",
                    concept(
                        &format!("{C4BB}/CodeSystem/C4BBSupportingInfoType"),
                        "billingnetworkcontractingstatus",
                        None,
                    ),
                ),
                (
                    "code",
                    concept(
                        &format!("{C4BB}/CodeSystem/C4BBPayerAdjudicationStatus"),
                        "contracted",
                        None,
                    ),
                ),
            ]),
        ]),
    ));

    let diagnoses = rng.range(1, 4) as usize;
    members.push((
        "diagnosis",
        arr((0..diagnoses)
            .map(|i| {
                let (code, display) = *rng.pick(ICD10);
                obj(vec![
                    ("sequence", n(i + 1)),
                    (
                        "diagnosisCodeableConcept",
                        concept("http://hl7.org/fhir/sid/icd-10-cm", code, Some(display)),
                    ),
                    (
                        "type",
                        arr(vec![concept(
                            "http://terminology.hl7.org/CodeSystem/ex-diagnosistype",
                            if i == 0 { "principal" } else { "secondary" },
                            None,
                        )]),
                    ),
                ])
            })
            .collect()),
    ));
    if institutional {
        members.push((
            "procedure",
            arr(vec![obj(vec![
                ("sequence", n(1)),
                ("date", s(format!("{start}T09:00:00-05:00"))),
                (
                    "procedureCodeableConcept",
                    concept("http://www.cms.gov/Medicare/Coding/ICD10", "0DJ08ZZ", None),
                ),
            ])]),
        ));
    }
    members.push((
        "insurance",
        arr(vec![obj(vec![
            ("focal", J::Bool(true)),
            ("coverage", reference(format!("Coverage/{}", ids.coverage))),
        ])]),
    ));

    let mut submitted_total = 0u64;
    let mut paid_total = 0u64;
    let cents = |amount: &str| -> u64 {
        let (d, c) = amount.split_once('.').unwrap_or((amount, "0"));
        d.parse::<u64>().unwrap_or(0) * 100 + c.parse::<u64>().unwrap_or(0)
    };
    let items = rng.range(1, 12) as usize;
    let mut item_list = Vec::with_capacity(items);
    for i in 0..items {
        let (cpt, cpt_display) = *rng.pick(CPT);
        let (pos, pos_display) = *rng.pick(POS);
        let submitted = rng.money(2_000);
        let allowed = rng.money(cents(&submitted) / 100);
        let deductible = rng.money(50);
        let copay = *rng.pick(&["0.00", "10.00", "20.00", "25.00", "40.00"]);
        let paid = rng.money(cents(&allowed) / 100);
        submitted_total += cents(&submitted);
        paid_total += cents(&paid);
        let mut adjudications = vec![
            adjudication("submitted", submitted.clone()),
            adjudication("eligible", allowed),
            adjudication("deductible", deductible),
            adjudication("copay", copay.to_owned()),
            adjudication("paidtoprovider", paid),
            obj(vec![
                (
                    "category",
                    concept(
                        &format!("{C4BB}/CodeSystem/C4BBAdjudicationDiscriminator"),
                        "benefitpaymentstatus",
                        None,
                    ),
                ),
                (
                    "reason",
                    concept(
                        &format!("{C4BB}/CodeSystem/C4BBPayerAdjudicationStatus"),
                        "innetwork",
                        None,
                    ),
                ),
            ]),
        ];
        if rng.chance(30) {
            adjudications.push(adjudication("noncovered", rng.money(100)));
        }
        let mut item = vec![
            ("sequence", n(i + 1)),
            ("careTeamSequence", arr(vec![n(1)])),
            ("diagnosisSequence", arr(vec![n(1)])),
        ];
        if institutional {
            let revenue = *rng.pick(REVENUE);
            item.push((
                "revenue",
                concept(
                    "https://www.nubc.org/CodeSystem/RevenueCodes",
                    revenue,
                    None,
                ),
            ));
        }
        item.extend([
            ("productOrService", concept("http://www.ama-assn.org/go/cpt", cpt, Some(cpt_display))),
            ("servicedDate", s(start.clone())),
            (
                "locationCodeableConcept",
                concept("https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", pos, Some(pos_display)),
            ),
            ("quantity", obj(vec![("value", n(rng.range(1, 4)))])),
            ("net", usd(submitted)),
            ("adjudication", arr(adjudications)),
        ]);
        item_list.push(obj(item));
    }
    members.push(("item", arr(item_list)));

    let amount = |total: u64| format!("{}.{:02}", total / 100, total % 100);
    members.push((
        "total",
        arr(vec![
            adjudication("submitted", amount(submitted_total)),
            adjudication("eligible", amount(submitted_total * 4 / 5)),
            adjudication("paidtoprovider", amount(paid_total)),
            adjudication(
                "memberliability",
                amount((submitted_total * 4 / 5).saturating_sub(paid_total)),
            ),
        ]),
    ));
    members.push((
        "payment",
        obj(vec![
            (
                "type",
                concept(
                    "http://terminology.hl7.org/CodeSystem/ex-paymenttype",
                    "complete",
                    Some("Complete"),
                ),
            ),
            ("date", s(rng.date(2024))),
            ("amount", usd(amount(paid_total))),
        ]),
    ));
    obj(members)
}

// ---------------------------------------------------------------------------------------------
// Corpora

const BASE: &str = "https://fhir.example-payer.com/R4";

fn entry(resource: J, resource_type: &str, id: &str, mode: &str) -> J {
    obj(vec![
        ("fullUrl", s(format!("{BASE}/{resource_type}/{id}"))),
        ("resource", resource),
        ("search", obj(vec![("mode", s(mode))])),
    ])
}

/// A searchset Bundle of about `target_bytes`: per member a Patient and Coverage (include),
/// 3-8 EOBs and 0-2 Observations (match); shared Organizations and Practitioners (include) at
/// the end.
fn bundle(target_bytes: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let payer = "payer-1".to_owned();
    let facilities: Vec<String> = (1..=4).map(|i| format!("facility-{i}")).collect();
    let practitioners: Vec<String> = (1..=12).map(|i| format!("pract-{i}")).collect();
    let mut entries = Vec::new();
    let mut size = 0;
    let mut matches = 0;
    let mut member = 0;
    while size < target_bytes {
        member += 1;
        let mut team: Vec<String> = (0..3).map(|_| rng.pick(&practitioners).clone()).collect();
        team.dedup();
        let ids = Ids {
            patient: format!("member-{member}"),
            coverage: format!("coverage-{member}"),
            payer: payer.clone(),
            practitioners: team,
            facility: rng.pick(&facilities).clone(),
        };
        let mut add = |resource: J, resource_type: &str, id: &str, mode: &str, size: &mut usize| {
            let e = entry(resource, resource_type, id, mode);
            *size += to_text(&e).len() + 1;
            entries.push(e);
        };
        let p = patient(&ids, &mut rng);
        add(p, "Patient", &ids.patient, "include", &mut size);
        let c = coverage(&ids, &mut rng);
        add(c, "Coverage", &ids.coverage, "include", &mut size);
        for k in 0..rng.range(3, 8) {
            let id = format!("eob-{member}-{k}");
            let e = eob(id.clone(), &ids, &mut rng);
            add(e, "ExplanationOfBenefit", &id, "match", &mut size);
            matches += 1;
        }
        for k in 0..rng.range(0, 2) {
            let id = format!("obs-{member}-{k}");
            let o = observation(id.clone(), &ids, &mut rng);
            add(o, "Observation", &id, "match", &mut size);
            matches += 1;
        }
    }
    entries.push(entry(
        organization(&payer, "Example Health Plan", true, &mut rng),
        "Organization",
        &payer,
        "include",
    ));
    for (i, facility) in facilities.iter().enumerate() {
        let name = format!("Example Medical Center {}", i + 1);
        entries.push(entry(
            organization(facility, &name, false, &mut rng),
            "Organization",
            facility,
            "include",
        ));
    }
    for practitioner_id in &practitioners {
        entries.push(entry(
            practitioner(practitioner_id, &mut rng),
            "Practitioner",
            practitioner_id,
            "include",
        ));
    }
    to_text(&obj(vec![
        ("resourceType", s("Bundle")),
        ("id", s(format!("searchset-{seed}"))),
        (
            "meta",
            obj(vec![("lastUpdated", s("2024-06-30T12:00:00Z"))]),
        ),
        ("type", s("searchset")),
        ("total", n(matches)),
        (
            "link",
            arr(vec![
                obj(vec![
                    ("relation", s("self")),
                    (
                        "url",
                        s(format!(
                            "{BASE}/ExplanationOfBenefit?patient=member-1&_include=*"
                        )),
                    ),
                ]),
                obj(vec![
                    ("relation", s("next")),
                    (
                        "url",
                        s(format!(
                            "{BASE}/ExplanationOfBenefit?patient=member-1&_include=*&_page=2"
                        )),
                    ),
                ]),
            ]),
        ),
        ("entry", arr(entries)),
    ]))
}

/// `count` single resources: mostly EOBs, some Patients, Coverages and Observations.
fn singles(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| {
            let ids = Ids {
                patient: format!("member-{i}"),
                coverage: format!("coverage-{i}"),
                payer: "payer-1".to_owned(),
                practitioners: vec![format!("pract-{}", i % 7), format!("pract-{}", i % 5 + 7)],
                facility: format!("facility-{}", i % 4),
            };
            let resource = match i % 10 {
                0 => patient(&ids, &mut rng),
                1 => coverage(&ids, &mut rng),
                2 => observation(format!("obs-{i}"), &ids, &mut rng),
                _ => eob(format!("eob-{i}"), &ids, &mut rng),
            };
            to_text(&resource)
        })
        .collect()
}

struct Corpus {
    name: &'static str,
    texts: Vec<String>,
}

impl Corpus {
    fn bytes(&self) -> u64 {
        self.texts.iter().map(|t| t.len() as u64).sum()
    }
}

fn corpora() -> Vec<Corpus> {
    vec![
        Corpus {
            name: "bundle_1mb",
            texts: vec![bundle(1_000_000, 1)],
        },
        Corpus {
            name: "bundle_5mb",
            texts: vec![bundle(5_000_000, 5)],
        },
        Corpus {
            name: "single_resources",
            texts: singles(200, 42),
        },
    ]
}

/// `from_json` accepts every text, `from_json_lenient` reports nothing, and `to_json` gives
/// back the same JSON (numbers by spelling). Panics otherwise: the bench must not measure an
/// error path or a lossy one.
fn verify(corpus: &Corpus) {
    for (i, text) in corpus.texts.iter().enumerate() {
        let resource = fhir_model::from_json(text)
            .unwrap_or_else(|e| panic!("{}[{i}]: from_json failed: {e}", corpus.name));
        let output = fhir_model::to_json(&resource);
        let input_tree = json_tree::parse(text)
            .unwrap_or_else(|e| panic!("{}[{i}]: generated invalid JSON: {e}", corpus.name));
        let output_tree = json_tree::parse(&output)
            .unwrap_or_else(|e| panic!("{}[{i}]: to_json wrote invalid JSON: {e}", corpus.name));
        if let Some(difference) = json_tree::first_difference(&input_tree, &output_tree) {
            panic!(
                "{}[{i}]: round trip is not exact at {difference}",
                corpus.name
            );
        }
        let (lenient, issues) = fhir_model::from_json_lenient(text);
        assert!(
            lenient.is_some() && issues.is_empty(),
            "{}[{i}]: from_json_lenient reported {} issue(s): {:?}",
            corpus.name,
            issues.len(),
            issues.first().map(ToString::to_string)
        );
    }
}

fn bench_corpora(c: &mut Criterion) {
    for corpus in corpora() {
        verify(&corpus);
        eprintln!(
            "corpus {}: {} document(s), {:.2} MB, round trip verified exact",
            corpus.name,
            corpus.texts.len(),
            corpus.bytes() as f64 / 1e6
        );
        let bytes = corpus.bytes();
        let flat = corpus.texts.len() == 1; // one multi-megabyte document per iteration

        let mut group = c.benchmark_group(format!("parse/{}", corpus.name));
        group.throughput(Throughput::Bytes(bytes));
        if flat {
            group.sampling_mode(SamplingMode::Flat);
        }
        group.bench_function("fhir_model", |b| {
            b.iter(|| {
                for text in &corpus.texts {
                    black_box(fhir_model::from_json(black_box(text)).is_ok());
                }
            });
        });
        group.bench_function("serde_json_value", |b| {
            b.iter(|| {
                for text in &corpus.texts {
                    black_box(serde_json::from_str::<serde_json::Value>(black_box(text)).is_ok());
                }
            });
        });
        group.finish();

        let resources: Vec<fhir_model::Resource> = corpus
            .texts
            .iter()
            .filter_map(|t| fhir_model::from_json(t).ok())
            .collect();
        let values: Vec<serde_json::Value> = corpus
            .texts
            .iter()
            .filter_map(|t| serde_json::from_str(t).ok())
            .collect();
        let mut group = c.benchmark_group(format!("serialize/{}", corpus.name));
        group.throughput(Throughput::Bytes(bytes));
        if flat {
            group.sampling_mode(SamplingMode::Flat);
        }
        group.bench_function("fhir_model", |b| {
            b.iter(|| {
                for resource in &resources {
                    black_box(fhir_model::to_json(black_box(resource)).len());
                }
            });
        });
        group.bench_function("serde_json_value", |b| {
            b.iter(|| {
                for value in &values {
                    black_box(
                        serde_json::to_string(black_box(value))
                            .map(|s| s.len())
                            .ok(),
                    );
                }
            });
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_corpora
}
criterion_main!(benches);
