//! The IGs' FHIRPath invariants that we check, written in Rust.
//!
//! Each rule is keyed by the resource type it constrains and its key (US Core reuses keys:
//! `us-core-8` is a Patient.name rule in US Core 3.1.1 and a DiagnosticReport rule in
//! 6.1.0). The expression each rule implements is quoted above it. Invariants not listed
//! here are skipped; [`SKIPPED`] says why for the ones a reader might expect.

use serde_json::Value;

use super::engine::{in_value_set, reference_target};
use super::model::{Ig, Profile};
use super::{Issue, IssueKind};
use crate::generated::profiles::VS_C4BB_ADJUDICATION;
use fhir_model::outcome::IssueSeverity;

/// A failed invariant's location, relative to the resource (`.careTeam[1]`, or `` for the
/// resource itself).
type Failures = Vec<String>;

struct Rule {
    resource: &'static str,
    key: &'static str,
    /// `None`: the same rule in every IG that declares this key on this resource.
    ig: Option<Ig>,
    check: fn(&Value, &Profile) -> Failures,
}

/// Invariants we deliberately do not check, and why.
pub(crate) const SKIPPED: &[(&str, &str)] = &[
    (
        "EOB-inst-careTeam-practitioner, EOB-inst-careTeam-organization, EOB-prof-careTeam-practitioner, EOB-pharm-careTeam-practitioner, EOB-pharm-careTeam-organization",
        "vacuous as written: `role.where(...).exists().provider` navigates from a Boolean, so the HL7 validator always passes them",
    ),
    (
        "EOB-vision-item-productorservice, network-or-plan-Network",
        "vacuous as written (a path from the wrong context, `exists` without parentheses)",
    ),
    (
        "EOB-inst-pointoforigin, Oral-line-item-with-linked-additionalbody-site-requires-bodysite, Oral-EOB-surface-subsite-requires-tooth-number, EOB-prof-all-transportation-supportinginfo-linked-to-line, EOB-careteam-qualification",
        "need value sets the packages do not carry or FHIRPath whose intent is unclear",
    ),
    (
        "us-core-16, us-core-17, us-core-18, us-core-19",
        "identifier-format rules on Organization.identifier slices (NPI check digit, CLIA, NAIC): not yet",
    ),
    (
        "txt-1, txt-2, sdcqr-1, sdcqr-2, new-patients-characteristics",
        "narrative HTML checks, QuestionnaireResponse and extension-level rules: not yet",
    ),
    (
        "us-core-1",
        "on US Core 3.1.1 Condition (a warning): needs the us-core-condition-category value set, which no required binding brings in (the Observation and Immunization rules with this key are checked)",
    ),
    (
        "adjudication-has-amount-type-slice",
        "PDex's copy (a warning) names a value set URL that does not exist (`davinc-pdex/ValueSet/PDEXAdjudication`); CARIN's is checked",
    ),
];

const RULES: &[Rule] = &[
    // --- CARIN BB 2.0.0 ---
    // meta.profile.exists($this.startsWith('<profile url>|2.0.')) (one per CARIN profile)
    rule_all(
        "Coverage",
        "coverage-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "ExplanationOfBenefit",
        "EOB-institutional-inpatient-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "ExplanationOfBenefit",
        "EOB-institutional-outpatient-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "ExplanationOfBenefit",
        "EOB-oral-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "ExplanationOfBenefit",
        "EOB-pharmacy-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "ExplanationOfBenefit",
        "EOB-professional-nonclinician-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "Organization",
        "organization-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "Patient",
        "patient-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "Practitioner",
        "practitioner-meta-profile-version",
        meta_profile_version,
    ),
    rule_all(
        "RelatedPerson",
        "relatedperson-meta-profile-version",
        meta_profile_version,
    ),
    // adjudication.where(category.memberOf(C4BBAdjudication)).exists() !=
    //   item.adjudication.where(category.memberOf(C4BBAdjudication)).exists()
    rule_all(
        "ExplanationOfBenefit",
        "EOB-institutional-item-or-header-adjudication",
        |r, _| {
            let header = r.get("adjudication").is_some_and(has_amount_adjudication);
            let items = all(r, "item")
                .iter()
                .any(|i| i.get("adjudication").is_some_and(has_amount_adjudication));
            fail_if(header == items, "")
        },
    ),
    // context item: adjudication.exists().not() or
    //   adjudication.where(category.memberOf(C4BBAdjudication)).exists()
    // (PDex's copy names a value set URL that does not exist, so only CARIN's is checked.)
    Rule {
        resource: "ExplanationOfBenefit",
        key: "adjudication-has-amount-type-slice",
        ig: Some(Ig::CarinBb200),
        check: |r, _| {
            each(r, "item", |item| match item.get("adjudication") {
                None => true,
                Some(a) => has_amount_adjudication(a),
            })
        },
    },
    // context payee: type.coding.where(code = 'other' and system = '.../payeetype').exists()
    //   implies party.exists()
    rule_all(
        "ExplanationOfBenefit",
        "EOB-payee-other-type-requires-party",
        |r, _| {
            let Some(payee) = r.get("payee") else {
                return Vec::new();
            };
            let other = codings(payee.get("type")).any(|(s, c)| {
                s == "http://terminology.hl7.org/CodeSystem/payeetype" && c == "other"
            });
            fail_if(other && payee.get("party").is_none(), ".payee")
        },
    ),
    // insurance.select(focal = true).count() < 2 — declared on the insurance element, where
    // `insurance` is empty; we check what it means: at most one focal insurance.
    rule_all("ExplanationOfBenefit", "EOB-insurance-focal", |r, _| {
        let focal = all(r, "insurance")
            .iter()
            .filter(|i| i.get("focal") == Some(&Value::Bool(true)))
            .count();
        fail_if(focal >= 2, ".insurance")
    }),
    // supportingInfo.where(category.coding.code = 'additionalbodysite').sequence
    //   .subsetOf(%context.item.informationSequence)
    rule_all(
        "ExplanationOfBenefit",
        "Oral-EOB-supportinginfo-additionalbodysite-requires-line-item",
        |r, _| {
            let linked: Vec<&Value> = all(r, "item")
                .iter()
                .flat_map(|i| all(i, "informationSequence"))
                .collect();
            let missing = all(r, "supportingInfo").iter().any(|s| {
                codings(s.get("category")).any(|(_, c)| c == "additionalbodysite")
                    && s.get("sequence").is_some_and(|seq| !linked.contains(&seq))
            });
            fail_if(missing, ".supportingInfo")
        },
    ),
    // %resource = %rootResource implies meta.lastUpdated.exists()
    rule_all(
        "Organization",
        "uncontained-requires-lastUpdated",
        |r, _| fail_if(r.pointer("/meta/lastUpdated").is_none(), ".meta"),
    ),
    // context Patient.name: (family.exists() or given.exists()) xor
    //   extension.where(url='http://hl7.org/fhir/StructureDefinition/data-absent-reason').exists()
    rule_all("Patient", "us-core-8", name_or_absent),
    rule_all("Patient", "us-core-6", name_or_absent),
    // context Patient.contact: name.exists() or telecom.exists() or address.exists() or
    //   organization.exists()
    rule_all("Patient", "pat-1", |r, _| {
        each(r, "contact", |c| {
            has_any(c, &["name", "telecom", "address", "organization"])
        })
    }),
    // identifier.where(type.where(coding.where(code in ('NPI' | 'TAX')).exists()).exists()).exists()
    rule_all("Practitioner", "Practitioner-identifier", |r, _| {
        let ok = all(r, "identifier")
            .iter()
            .any(|i| codings(i.get("type")).any(|(_, c)| c == "NPI" || c == "TAX"));
        fail_if(!ok, ".identifier")
    }),
    // name.exists() or relationship.exists()
    rule_all(
        "RelatedPerson",
        "relatedperson-name-or-relationship",
        |r, _| fail_if(!has_any(r, &["name", "relationship"]), ""),
    ),
    rule_all("RelatedPerson", "us-core-14", |r, _| {
        fail_if(!has_any(r, &["name", "relationship"]), "")
    }),
    // --- US Core ---
    // identifier.type.coding.where(system='http://terminology.hl7.org/CodeSystem/v2-0203'
    //   and code='MB').exists() or subscriberId.exists()
    rule_all("Coverage", "us-core-15", |r, _| {
        let member_id = all(r, "identifier").iter().any(|i| {
            codings(i.get("type"))
                .any(|(s, c)| s == "http://terminology.hl7.org/CodeSystem/v2-0203" && c == "MB")
        });
        fail_if(!member_id && r.get("subscriberId").is_none(), "")
    }),
    // (status='partial' or ... or status='appended') implies effective.exists()
    rule_all("DiagnosticReport", "us-core-8", |r, _| {
        reported_requires(r, "effective")
    }),
    rule_all("DiagnosticReport", "us-core-10", |r, _| {
        reported_requires(r, "effective")
    }),
    // (status='partial' or ... or status='appended') implies issued.exists()
    rule_all("DiagnosticReport", "us-core-9", |r, _| {
        reported_requires(r, "issued")
    }),
    // context DocumentReference.content.attachment: url.exists() or data.exists()
    rule_all("DocumentReference", "us-core-6", |r, _| {
        let mut out = Vec::new();
        for (i, c) in all(r, "content").iter().enumerate() {
            if c.get("attachment")
                .is_some_and(|a| !has_any(a, &["url", "data"]))
            {
                out.push(format!(".content[{i}].attachment"));
            }
        }
        out
    }),
    // status='completed' implies whenHandedOver.exists()
    rule_all("MedicationDispense", "us-core-20", |r, _| {
        fail_if(
            str_at(r, "status") == Some("completed") && r.get("whenHandedOver").is_none(),
            "",
        )
    }),
    // (intent='order' or 'original-order' or 'reflex-order' or 'filler-order' or
    //   'instance-order') implies requester.exists()
    rule_all("MedicationRequest", "us-core-21", |r, _| {
        let order = matches!(
            str_at(r, "intent"),
            Some("order" | "original-order" | "reflex-order" | "filler-order" | "instance-order")
        );
        fail_if(order && r.get("requester").is_none(), "")
    }),
    // (component.empty() and hasMember.empty()) implies (dataAbsentReason.exists() or value.exists())
    Rule {
        resource: "Observation",
        key: "us-core-2",
        ig: None,
        check: |r, _| {
            let leaf = r.get("component").is_none() && r.get("hasMember").is_none();
            fail_if(
                leaf && r.get("dataAbsentReason").is_none() && !has_choice(r, "value"),
                "",
            )
        },
    },
    // 6.1.0: $this is DateTime implies $this.toString().length() >= 10
    // 3.1.1: ($this as dateTime).toString().length() >= 8 (also vital signs' vs-1)
    rule_all("Observation", "us-core-1", |r, p| {
        let min = if p.ig == Ig::UsCore610 { 10 } else { 8 };
        fail_if(
            str_at(r, "effectiveDateTime").is_some_and(|d| d.len() < min),
            ".effectiveDateTime",
        )
    }),
    rule_all("Observation", "vs-1", |r, _| {
        fail_if(
            str_at(r, "effectiveDateTime").is_some_and(|d| d.len() < 8),
            ".effectiveDateTime",
        )
    }),
    // value.ofType(Quantity).system.empty() or value.ofType(Quantity).system = 'http://unitsofmeasure.org'
    rule_all("Observation", "us-core-3", |r, _| {
        let system = r
            .get("valueQuantity")
            .and_then(|q| q.get("system"))
            .and_then(Value::as_str);
        fail_if(
            system.is_some_and(|s| s != "http://unitsofmeasure.org"),
            ".valueQuantity.system",
        )
    }),
    // value.ofType(CodeableConcept).coding.system.empty() or ... = 'http://snomed.info/sct'
    // (severity warning)
    rule_all("Observation", "us-core-4", |r, _| {
        let other =
            codings(r.get("valueCodeableConcept")).any(|(s, _)| s != "http://snomed.info/sct");
        fail_if(other, ".valueCodeableConcept")
    }),
    // context referenceRange: low.exists() or high.exists() or text.exists()
    rule_all("Observation", "obs-3", |r, _| {
        each(r, "referenceRange", |x| {
            has_any(x, &["low", "high", "text"])
        })
    }),
    // context component: value.exists() or dataAbsentReason.exists()
    rule_all("Observation", "vs-3", |r, _| {
        each(r, "component", |c| {
            has_choice(c, "value") || c.get("dataAbsentReason").is_some()
        })
    }),
    // telecom or endpoint
    rule_all("PractitionerRole", "pd-1", |r, _| {
        fail_if(!has_any(r, &["telecom", "endpoint"]), "")
    }),
    // practitioner or organization or healthcareService or location
    rule_all("PractitionerRole", "us-core-13", |r, _| {
        fail_if(
            !has_any(
                r,
                &[
                    "practitioner",
                    "organization",
                    "healthcareService",
                    "location",
                ],
            ),
            "",
        )
    }),
    // (status='completed' or status='in-progress') implies performed.exists()
    rule_all("Procedure", "us-core-7", |r, _| {
        let done = matches!(str_at(r, "status"), Some("completed" | "in-progress"));
        fail_if(done && !has_choice(r, "performed"), "")
    }),
    // vaccineCode.coding.where(system='http://hl7.org/fhir/sid/ndc').empty() (warning; 3.1.1
    // declares it as us-core-1 on vaccineCode)
    rule_all("Immunization", "us-core-5", no_ndc_vaccine),
    rule_all("Immunization", "us-core-1", no_ndc_vaccine),
    // context education: documentType.exists() or reference.exists()
    rule_all("Immunization", "imm-1", |r, _| {
        each(r, "education", |e| {
            has_any(e, &["documentType", "reference"])
        })
    }),
    // context activity: detail.empty() or reference.empty()
    rule_all("CarePlan", "cpl-3", |r, _| {
        each(r, "activity", |a| {
            !(a.get("detail").is_some() && a.get("reference").is_some())
        })
    }),
    // context stage: summary.exists() or assessment.exists()
    rule_all("Condition", "con-1", |r, _| {
        each(r, "stage", |s| has_any(s, &["summary", "assessment"]))
    }),
    // context evidence: code.exists() or detail.exists()
    rule_all("Condition", "con-2", |r, _| {
        each(r, "evidence", |e| has_any(e, &["code", "detail"]))
    }),
    // udiCarrier.empty() or (udiCarrier.carrierAIDC.exists() or udiCarrier.carrierHRF.exists())
    rule_all("Device", "us-core-12", |r, _| {
        let udi = all(r, "udiCarrier");
        fail_if(
            !udi.is_empty()
                && !udi
                    .iter()
                    .any(|u| has_any(u, &["carrierAIDC", "carrierHRF"])),
            ".udiCarrier",
        )
    }),
    // udiCarrier.empty() or (manufactureDate.exists() or expirationDate.exists() or
    //   lotNumber.exists() or serialNumber.exists() or distinctIdentifier.exists())
    rule_all("Device", "us-core-9", |r, _| {
        let ids = [
            "manufactureDate",
            "expirationDate",
            "lotNumber",
            "serialNumber",
            "distinctIdentifier",
        ];
        fail_if(r.get("udiCarrier").is_some() && !has_any(r, &ids), "")
    }),
    // 6.1.0 context agent: who.exists((resolve() is Practitioner) or (resolve() is Device))
    //   implies onBehalfOf.exists() — resolve() is read from the reference's type.
    rule_all("Provenance", "provenance-1", |r, _| {
        each(r, "agent", |a| {
            let person = a
                .get("who")
                .and_then(reference_target)
                .is_some_and(|t| t == "Practitioner" || t == "Device");
            !person || a.get("onBehalfOf").is_some()
        })
    }),
    // --- Plan-Net 1.1.0 ---
    // plan.type.coding.code.isDistinct()
    rule_all("InsurancePlan", "plan-type-is-distinct", |r, _| {
        let codes: Vec<&str> = all(r, "plan")
            .iter()
            .flat_map(|p| codings(p.get("type")).map(|(_, c)| c))
            .collect();
        let distinct = codes
            .iter()
            .enumerate()
            .all(|(i, c)| !codes[..i].contains(c));
        fail_if(!distinct, ".plan")
    }),
    // organization.exists() or participatingOrganization.exists()
    rule_all(
        "OrganizationAffiliation",
        "organization-or-participatingOrganization",
        |r, _| {
            fail_if(
                !has_any(r, &["organization", "participatingOrganization"]),
                "",
            )
        },
    ),
    // practitioner.exists() or (organization.exists() or healthcareservice.exists() or
    //   location.exists()) — `healthcareservice` is not an element, so as written it never
    //   counts; we check it as written.
    rule_all(
        "PractitionerRole",
        "practitioner-or-organization-or-healthcareservice-or-location",
        |r, _| {
            fail_if(
                !has_any(r, &["practitioner", "organization", "location"]),
                "",
            )
        },
    ),
];

const fn rule_all(
    resource: &'static str,
    key: &'static str,
    check: fn(&Value, &Profile) -> Failures,
) -> Rule {
    Rule {
        resource,
        key,
        ig: None,
        check,
    }
}

/// The rule implementing `profile`'s invariant `key`, if we check it.
fn rule_for(profile: &Profile, key: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| {
        r.key == key
            && r.resource == profile.resource_type
            && r.ig.is_none_or(|ig| ig == profile.ig)
    })
}

/// Whether this crate checks `profile`'s invariant `key`.
pub(crate) fn is_supported(profile: &Profile, key: &str) -> bool {
    rule_for(profile, key).is_some()
}

/// Runs the profile's supported invariants on the resource JSON.
pub(crate) fn check(
    validator: &mut super::engine::Validator,
    profile: &'static Profile,
    resource: &Value,
) {
    for invariant in profile.invariants {
        let Some(rule) = rule_for(profile, invariant.key) else {
            continue;
        };
        for location in (rule.check)(resource, profile) {
            validator.issues.push(Issue {
                severity: if invariant.error {
                    IssueSeverity::Error
                } else {
                    IssueSeverity::Warning
                },
                kind: IssueKind::Invariant,
                location: format!("{}{location}", profile.resource_type),
                message: format!("{}: {}", invariant.key, invariant.human),
                profile: profile.url,
                rule: invariant.key,
            });
        }
    }
}

fn meta_profile_version(r: &Value, p: &Profile) -> Failures {
    let prefix = format!("{}|2.0.", p.url);
    let ok = all(r, "meta")
        .iter()
        .flat_map(|m| all(m, "profile"))
        .any(|u| u.as_str().is_some_and(|u| u.starts_with(&prefix)));
    fail_if(!ok, ".meta.profile")
}

fn name_or_absent(r: &Value, _: &Profile) -> Failures {
    each(r, "name", |n| {
        let named = has_any(n, &["family", "given"]);
        let absent = all(n, "extension").iter().any(|e| {
            str_at(e, "url") == Some("http://hl7.org/fhir/StructureDefinition/data-absent-reason")
        });
        named != absent
    })
}

fn no_ndc_vaccine(r: &Value, _: &Profile) -> Failures {
    let ndc = codings(r.get("vaccineCode")).any(|(s, _)| s == "http://hl7.org/fhir/sid/ndc");
    fail_if(ndc, ".vaccineCode")
}

/// DiagnosticReport us-core-8/9/10: a report in one of these states needs `member`.
fn reported_requires(r: &Value, member: &str) -> Failures {
    let reported = matches!(
        str_at(r, "status"),
        Some("partial" | "preliminary" | "final" | "amended" | "corrected" | "appended")
    );
    let present = if member == "effective" {
        has_choice(r, member)
    } else {
        r.get(member).is_some()
    };
    fail_if(reported && !present, "")
}

/// Some adjudication's category is in C4BBAdjudication (an amount, not a status or reason).
fn has_amount_adjudication(adjudications: &Value) -> bool {
    adjudications.as_array().into_iter().flatten().any(|a| {
        a.get("category")
            .is_some_and(|c| in_value_set(&VS_C4BB_ADJUDICATION, c).is_ok())
    })
}

fn fail_if(failed: bool, location: &str) -> Failures {
    if failed {
        vec![location.to_owned()]
    } else {
        Vec::new()
    }
}

/// The occurrences of `member` (an array's items, or the single value).
fn all<'v>(v: &'v Value, member: &str) -> Vec<&'v Value> {
    match v.get(member) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(x) => vec![x],
        None => Vec::new(),
    }
}

/// The locations of the occurrences of `member` for which `ok` is false.
fn each(r: &Value, member: &str, ok: impl Fn(&Value) -> bool) -> Failures {
    let indexed = r.get(member).is_some_and(Value::is_array);
    all(r, member)
        .into_iter()
        .enumerate()
        .filter(|(_, v)| !ok(v))
        .map(|(i, _)| {
            if indexed {
                format!(".{member}[{i}]")
            } else {
                format!(".{member}")
            }
        })
        .collect()
}

fn has_any(v: &Value, members: &[&str]) -> bool {
    members.iter().any(|m| v.get(*m).is_some())
}

/// A choice element `name[x]` of any type is present.
fn has_choice(v: &Value, name: &str) -> bool {
    v.as_object().is_some_and(|o| {
        o.keys().any(|k| {
            k.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        })
    })
}

fn str_at<'v>(v: &'v Value, member: &str) -> Option<&'v str> {
    v.get(member).and_then(Value::as_str)
}

/// The (system, code) pairs of a CodeableConcept.
fn codings(cc: Option<&Value>) -> impl Iterator<Item = (&str, &str)> {
    cc.and_then(|c| c.get("coding"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            (
                str_at(c, "system").unwrap_or(""),
                str_at(c, "code").unwrap_or(""),
            )
        })
}
