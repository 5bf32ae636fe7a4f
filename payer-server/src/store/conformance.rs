//! The behaviour every [`ResourceStore`] must have, as functions the
//! [`store_conformance_tests!`](crate::store_conformance_tests) macro turns into tests.
//! The expected search results come from `Clause::matches` over the extracted index
//! (the definition of each clause), computed here independently of the store.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Prepared, ResourceStore, WriteOutcome};
use crate::error::Error;
use crate::search::extract::{IndexEntry, IndexValue, extract};
use crate::search::query::{IndexedResource, Linked, Target};
use crate::search::{Compartment, SearchParamDef, SearchQuery};

fn prepared(json: Value) -> Prepared {
    Prepared::from_resource(fhir_model::from_json(&json.to_string()).unwrap()).unwrap()
}

fn patient(id: &str, family: &str, birth: &str) -> Value {
    json!({"resourceType": "Patient", "id": id, "name": [{"family": family, "given": ["Ana"]}],
           "birthDate": birth, "gender": if id.ends_with('1') { "female" } else { "male" }})
}

fn eob(id: &str, patient: &str, claim_type: &str, start: &str, identifier: &str) -> Value {
    json!({
        "resourceType": "ExplanationOfBenefit", "id": id, "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": claim_type}]},
        "use": "claim", "patient": {"reference": format!("Patient/{patient}")},
        "identifier": [{"system": "https://payer.example/claims", "value": identifier}],
        "billablePeriod": {"start": start},
        "created": start, "insurer": {"reference": "Organization/payer"},
        "provider": {"reference": "Organization/prov"}, "outcome": "complete",
        "insurance": [{"focal": true, "coverage": {"reference": format!("Coverage/c-{patient}")}}]
    })
}

/// A small data set with every indexed type in play.
fn data() -> Vec<Value> {
    let mut out = vec![
        patient("p1", "Núñez", "1970-05-01"),
        patient("p2", "Nunes", "1985"),
        patient("p3", "Smith", "2001-12-24"),
    ];
    let types = ["professional", "pharmacy", "institutional", "oral"];
    for i in 0..24 {
        let p = ["p1", "p2", "p3"][i % 3];
        let month = 1 + i % 12;
        out.push(eob(
            &format!("e{i:02}"),
            p,
            types[i % 4],
            &format!("202{}-{month:02}-1{}", i % 3, i % 10),
            &format!("claim-{i}"),
        ));
    }
    // In p2's compartment through `link` (the Patient compartment's parameter).
    let mut linked = patient("p4", "Nunes", "1985");
    linked["link"] = json!([{"other": {"reference": "Patient/p2"}, "type": "seealso"}]);
    out.push(linked);
    out
}

/// The data as a store indexes it: the oracle's view of what chained clauses reach.
struct Indexed(Vec<(String, String, Vec<IndexEntry>)>);

impl Indexed {
    fn new(data: &[Value]) -> Indexed {
        Indexed(
            data.iter()
                .map(|r| {
                    let rt = r["resourceType"].as_str().unwrap().to_owned();
                    let index = extract(&rt, r);
                    (rt, r["id"].as_str().unwrap().to_owned(), index)
                })
                .collect(),
        )
    }
}

fn indexed<'a>(id: &'a str, index: &'a [IndexEntry]) -> IndexedResource<'a> {
    // The oracle does not know lastUpdated (no case searches on it).
    IndexedResource {
        id,
        last_updated_ms: 0,
        index,
    }
}

impl Linked for Indexed {
    fn resource(&self, resource_type: &str, id: &str) -> Option<IndexedResource<'_>> {
        self.0
            .iter()
            .find(|(rt, i, _)| rt == resource_type && i == id)
            .map(|(_, id, index)| indexed(id, index))
    }

    fn referencing(
        &self,
        param: &'static SearchParamDef,
        target_type: &str,
        target_id: &str,
    ) -> Vec<IndexedResource<'_>> {
        self.0
            .iter()
            .filter(|(rt, _, _)| rt == param.resource)
            .map(|(_, id, index)| indexed(id, index))
            .filter(|source| source.points_to(param, target_type, target_id))
            .collect()
    }
}

/// What `query` should find in `data` (ids in store order), from the clause semantics.
fn expected(data: &[Value], query: &SearchQuery) -> Vec<String> {
    let indexed_data = Indexed::new(data);
    assert!(
        query
            .clauses
            .iter()
            .all(|c| !matches!(c.target, Target::LastUpdated)),
        "the oracle does not know lastUpdated"
    );
    let mut found: Vec<(Option<i64>, usize, &Value)> = data
        .iter()
        .enumerate()
        .map(|(position, r)| (oracle_sort_value(r, query), position, r))
        .filter(|(_, _, r)| r["resourceType"] == query.resource_type.as_str())
        .filter(|&(_, position, _)| {
            let (_, id, index) = &indexed_data.0[position];
            if let Some(compartment) = &query.compartment
                && !compartment.contains(&query.resource_type, id, index)
            {
                return false;
            }
            query.clauses.iter().all(|clause| {
                clause.holds_linked(&indexed_data, &query.resource_type, indexed(id, index))
            })
        })
        .collect();
    // `_sort`: by the earliest start of the parameter's values, missing ones last, ties
    // in load order. (`_lastUpdated` is the same for everything loaded in one batch.)
    if let Some(sort) = &query.sort {
        found.sort_by(|a, b| sort.order((a.0, a.1 as i64), (b.0, b.1 as i64)));
    }
    found
        .into_iter()
        .map(|(_, _, r)| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn oracle_sort_value(r: &Value, query: &SearchQuery) -> Option<i64> {
    let def = query.sort.as_ref()?.param?;
    extract(&query.resource_type, r)
        .into_iter()
        .filter(|e| std::ptr::eq(e.param, def))
        .filter_map(|e| match e.value {
            IndexValue::Date { start, .. } => Some(start),
            _ => None,
        })
        .min()
}

fn query(resource_type: &str, params: &[(&str, &str)]) -> SearchQuery {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    SearchQuery::parse(resource_type, &params, true).unwrap()
}

/// Every id the query finds, following the pages.
async fn all_pages(store: &impl ResourceStore, mut query: SearchQuery) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let page = store.search(&query).await.unwrap();
        ids.extend(page.resources.iter().map(|r| r.id.clone()));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return ids,
        }
    }
}

/// Two writers creating the same new resources at once (two replicas, or two requests on
/// one) both succeed: one creates, the other makes the next version, never an error.
pub async fn concurrent_creates_of_one_new_resource_both_succeed(store: impl ResourceStore) {
    for n in 0..20 {
        let id = format!("race{n}");
        let (first, second) = tokio::join!(
            store.upsert(vec![prepared(patient(&id, "First", "1970-01-01"))]),
            store.upsert(vec![prepared(patient(&id, "Second", "1970-01-02"))]),
        );
        let mut outcomes = [first.unwrap(), second.unwrap()].concat();
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(
            outcomes,
            [WriteOutcome::Created, WriteOutcome::Updated],
            "{id}"
        );
        assert_eq!(store.read("Patient", &id).await.unwrap().version, 2, "{id}");
        assert!(
            store.vread("Patient", &id, 1).await.is_ok(),
            "{id}: version 1 kept"
        );
    }
}

pub async fn writes_are_versioned_and_idempotent(store: impl ResourceStore) {
    let p1 = patient("p1", "Núñez", "1970-05-01");
    let out = store.upsert(vec![prepared(p1.clone())]).await.unwrap();
    assert_eq!(out, [WriteOutcome::Created]);
    let out = store.upsert(vec![prepared(p1.clone())]).await.unwrap();
    assert_eq!(
        out,
        [WriteOutcome::Unchanged],
        "same content twice is not a new version"
    );

    let mut changed = p1.clone();
    changed["birthDate"] = json!("1970-05-02");
    assert_eq!(
        store.upsert(vec![prepared(changed)]).await.unwrap(),
        [WriteOutcome::Updated]
    );
    let current = store.read("Patient", "p1").await.unwrap();
    assert_eq!(current.version, 2);
    let current_json: Value = serde_json::from_str(&current.json).unwrap();
    assert_eq!(current_json["meta"]["versionId"], "2");
    assert_eq!(current_json["birthDate"], "1970-05-02");
    assert!(current_json["meta"]["lastUpdated"].is_string());

    let first: Value =
        serde_json::from_str(&store.vread("Patient", "p1", 1).await.unwrap().json).unwrap();
    assert_eq!(first["birthDate"], "1970-05-01");
    assert!(matches!(
        store.vread("Patient", "p1", 3).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.read("Patient", "nobody").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.read("Observation", "p1").await,
        Err(Error::NotFound(_))
    ));
}

pub async fn deletes_are_versioned_and_gone(store: impl ResourceStore) {
    let data = data();
    store
        .upsert(data.iter().cloned().map(prepared).collect())
        .await
        .unwrap();
    let by_patient = query("ExplanationOfBenefit", &[("patient", "Patient/p1")]);
    let before = all_pages(&store, by_patient.clone()).await;
    let victim = before[0].clone();
    let mut changed = data
        .iter()
        .find(|r| r["id"] == victim.as_str())
        .unwrap()
        .clone();
    changed["status"] = json!("cancelled");
    store.upsert(vec![prepared(changed.clone())]).await.unwrap();

    assert_eq!(
        store.delete("ExplanationOfBenefit", &victim).await.unwrap(),
        Some(3),
        "the deletion is version 3 after two writes"
    );
    assert!(matches!(
        store.read("ExplanationOfBenefit", &victim).await,
        Err(Error::Gone(_))
    ));
    assert!(matches!(
        store.vread("ExplanationOfBenefit", &victim, 3).await,
        Err(Error::Gone(_))
    ));
    assert_eq!(
        store
            .vread("ExplanationOfBenefit", &victim, 2)
            .await
            .unwrap()
            .version,
        2,
        "the versions before the deletion stay readable"
    );
    let after = all_pages(&store, by_patient.clone()).await;
    assert_eq!(after, before[1..].to_vec(), "searches no longer find it");
    let mut by_id = query("ExplanationOfBenefit", &[("_id", victim.as_str())]);
    by_id.summary_count = true;
    assert_eq!(store.search(&by_id).await.unwrap().total, Some(0));

    // Idempotent, and nothing to delete is not an error.
    assert_eq!(
        store.delete("ExplanationOfBenefit", &victim).await.unwrap(),
        None
    );
    assert_eq!(
        store.delete("ExplanationOfBenefit", "never").await.unwrap(),
        None
    );
    assert!(matches!(
        store.read("ExplanationOfBenefit", "never").await,
        Err(Error::NotFound(_))
    ));
    // Read together, in the order asked, without the deleted one and the one never written.
    let keys: Vec<(String, String)> = [&before[2], &victim, &"never".to_owned(), &before[1]]
        .into_iter()
        .map(|id| ("ExplanationOfBenefit".to_owned(), id.clone()))
        .collect();
    let read: Vec<String> = store
        .read_many(&keys)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(read, [before[2].clone(), before[1].clone()]);

    // Written again, it continues its versions and is found again (as a new insertion).
    assert_eq!(
        store.upsert(vec![prepared(changed)]).await.unwrap(),
        [WriteOutcome::Created]
    );
    assert_eq!(
        store
            .read("ExplanationOfBenefit", &victim)
            .await
            .unwrap()
            .version,
        4
    );
    let mut again = before[1..].to_vec();
    again.push(victim);
    assert_eq!(all_pages(&store, by_patient).await, again);
}

/// Each search of `cases` finds in `store` what [`expected`] finds in `data`: whole, in
/// pages of `page_size`, and counted (`_summary=count`).
async fn finds_what_the_oracle_finds(
    store: &impl ResourceStore,
    data: &[Value],
    cases: &[(&str, &[(&str, &str)])],
    page_size: usize,
) {
    for (resource_type, params) in cases {
        let mut q = query(resource_type, params);
        let want = expected(data, &q);
        assert_eq!(
            all_pages(store, q.clone()).await,
            want,
            "{resource_type}?{params:?}"
        );
        q.count = page_size;
        assert_eq!(
            all_pages(store, q.clone()).await,
            want,
            "{resource_type}?{params:?} by {page_size}"
        );
        q.summary_count = true;
        let total = store.search(&q).await.unwrap().total;
        assert_eq!(
            total,
            Some(want.len() as u64),
            "{resource_type}?{params:?} _summary=count"
        );
    }
}

pub async fn searches_match_the_clause_semantics(store: impl ResourceStore) {
    let data = data();
    store
        .upsert(data.iter().cloned().map(prepared).collect())
        .await
        .unwrap();
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("ExplanationOfBenefit", &[("patient", "Patient/p1")]),
        ("ExplanationOfBenefit", &[("patient", "p2")]),
        ("ExplanationOfBenefit", &[("patient:Patient", "p3")]),
        (
            "ExplanationOfBenefit",
            &[("patient", "Patient/p1,Patient/p3"), ("type", "pharmacy")],
        ),
        (
            "ExplanationOfBenefit",
            &[(
                "type",
                "http://terminology.hl7.org/CodeSystem/claim-type|oral",
            )],
        ),
        ("ExplanationOfBenefit", &[("type", "http://other|oral")]),
        ("ExplanationOfBenefit", &[("type:not", "professional")]),
        (
            "ExplanationOfBenefit",
            &[("identifier", "https://payer.example/claims|claim-7")],
        ),
        (
            "ExplanationOfBenefit",
            &[("identifier", "https://payer.example/claims|")],
        ),
        ("ExplanationOfBenefit", &[("service-date", "ge2021-06")]),
        (
            "ExplanationOfBenefit",
            &[("service-date", "lt2021-03-01"), ("service-date", "ge2020")],
        ),
        ("ExplanationOfBenefit", &[("service-date", "2021")]),
        (
            "ExplanationOfBenefit",
            &[("service-date", "sa2021-12-31"), ("patient", "p2")],
        ),
        (
            "ExplanationOfBenefit",
            &[("billable-period-start", "eb2020-07")],
        ),
        (
            "ExplanationOfBenefit",
            &[("service-start-date", "ap2022-05-15")],
        ),
        ("ExplanationOfBenefit", &[("_id", "e03,e04,nope")]),
        ("ExplanationOfBenefit", &[("provider:missing", "false")]),
        ("ExplanationOfBenefit", &[("care-team:missing", "true")]),
        ("ExplanationOfBenefit", &[("coverage", "Coverage/c-p2")]),
        ("Patient", &[("name", "nun")]),
        ("Patient", &[("name:exact", "smith")]),
        ("Patient", &[("family:contains", "ñe")]),
        ("Patient", &[("birthdate", "le1985")]),
        ("Patient", &[("gender", "female")]),
        ("Patient", &[("name", "zzz")]),
        // _sort: ascending, descending, with a filter, and on _lastUpdated.
        ("ExplanationOfBenefit", &[("_sort", "service-date")]),
        (
            "ExplanationOfBenefit",
            &[("patient", "p1"), ("_sort", "-service-date")],
        ),
        (
            "ExplanationOfBenefit",
            &[
                ("_sort", "-billable-period-start"),
                ("type", "oral,pharmacy"),
            ],
        ),
        ("Patient", &[("_sort", "-birthdate")]),
        ("ExplanationOfBenefit", &[("_sort", "_lastUpdated")]),
    ];
    finds_what_the_oracle_finds(&store, &data, cases, 2).await;
    // A patient's compartment, alone and with other clauses.
    for (resource_type, params) in [
        ("ExplanationOfBenefit", &[][..]),
        ("ExplanationOfBenefit", &[("type", "oral")][..]),
        ("Patient", &[][..]),
        ("Observation", &[][..]),
    ] {
        let mut q = query(resource_type, params);
        q.compartment = Some(Compartment::patient("p2"));
        let want = expected(&data, &q);
        assert_eq!(
            all_pages(&store, q.clone()).await,
            want,
            "compartment {resource_type}?{params:?}"
        );
    }
    let mut q = query("Patient", &[]);
    q.compartment = Some(Compartment::patient("p2"));
    assert_eq!(expected(&data, &q), ["p2", "p4"]);
    q.resource_type = "ExplanationOfBenefit".to_owned();
    assert_eq!(expected(&data, &q).len(), 8, "p2 has 8 EOBs");

    let sanity = expected(
        &data,
        &query("ExplanationOfBenefit", &[("patient", "Patient/p1")]),
    );
    assert_eq!(sanity.len(), 8, "the data set exercises the queries");
}

/// A provider directory in miniature, beside the claims that point into it.
fn directory() -> Vec<Value> {
    let organization = |id: &str, name: &str, part_of: Option<&str>| {
        let mut org =
            json!({"resourceType": "Organization", "id": id, "name": name, "active": true});
        if let Some(parent) = part_of {
            org["partOf"] = json!({"reference": format!("Organization/{parent}")});
        }
        org
    };
    let practitioner = |id: &str, family: &str| {
        json!({"resourceType": "Practitioner", "id": id, "active": true,
               "name": [{"family": family, "given": ["Lee"]}]})
    };
    let role = |id: &str, practitioner: &str, organization: &str, specialty: &str| {
        json!({"resourceType": "PractitionerRole", "id": id, "active": true,
               "practitioner": {"reference": format!("Practitioner/{practitioner}")},
               "organization": {"reference": format!("Organization/{organization}")},
               "specialty": [{"coding": [{"system": "http://nucc.org/provider-taxonomy", "code": specialty}]}]})
    };
    vec![
        organization("sys", "Riverside Health System", None),
        organization("prov", "Riverside Clinic", Some("sys")),
        organization("other", "Summit Laboratory", None),
        organization("payer", "Cascade Health Plan", None),
        practitioner("dr1", "Adams"),
        practitioner("dr2", "Baker"),
        practitioner("dr3", "Adams"),
        role("role1", "dr1", "prov", "207Q00000X"),
        role("role2", "dr2", "prov", "208D00000X"),
        role("role3", "dr3", "other", "207Q00000X"),
        role("role4", "dr1", "other", "208D00000X"),
        // A reference to nothing: no chain goes through it.
        role("role5", "ghost", "nowhere", "207Q00000X"),
    ]
}

pub async fn chained_searches_follow_references_both_ways(store: impl ResourceStore) {
    let mut data = data();
    // Half the claims at the lab.
    for (i, eob) in data
        .iter_mut()
        .filter(|r| r["resourceType"] == "ExplanationOfBenefit")
        .enumerate()
    {
        if i % 2 == 1 {
            eob["provider"] = json!({"reference": "Organization/other"});
        }
    }
    data.extend(directory());
    store
        .upsert(data.iter().cloned().map(prepared).collect())
        .await
        .unwrap();
    let cases: &[(&str, &[(&str, &str)])] = &[
        // Forward chains, one and two hops, with the type named or implied.
        ("PractitionerRole", &[("practitioner.name", "adams")]),
        (
            "PractitionerRole",
            &[("practitioner:Practitioner.family", "baker")],
        ),
        ("PractitionerRole", &[("organization.name", "riverside")]),
        (
            "PractitionerRole",
            &[("organization.partof.name", "riverside health")],
        ),
        ("PractitionerRole", &[("organization._id", "other,nowhere")]),
        (
            "ExplanationOfBenefit",
            &[("provider:Organization.name", "summit")],
        ),
        (
            "ExplanationOfBenefit",
            &[("provider:Organization.name", "summit"), ("patient", "p1")],
        ),
        (
            "Organization",
            &[("partof.name:exact", "riverside health system")],
        ),
        ("Organization", &[("partof:missing", "true")]),
        // Reverse chains, nested, and through a forward chain.
        (
            "Practitioner",
            &[("_has:PractitionerRole:practitioner:specialty", "207Q00000X")],
        ),
        (
            "Practitioner",
            &[
                ("_has:PractitionerRole:practitioner:specialty", "207Q00000X"),
                ("_has:PractitionerRole:practitioner:specialty", "208D00000X"),
            ],
        ),
        (
            "Organization",
            &[(
                "_has:PractitionerRole:organization:practitioner.name",
                "baker",
            )],
        ),
        (
            "Organization",
            &[(
                "_has:Organization:partof:_has:PractitionerRole:organization:specialty",
                "208D00000X",
            )],
        ),
        (
            "Organization",
            &[("_has:ExplanationOfBenefit:provider:patient", "Patient/p2")],
        ),
        (
            "Patient",
            &[(
                "_has:ExplanationOfBenefit:patient:provider:Organization.name",
                "summit",
            )],
        ),
        (
            "Practitioner",
            &[(
                "_has:PractitionerRole:practitioner:specialty:not",
                "207Q00000X",
            )],
        ),
        (
            "Practitioner",
            &[("_has:PractitionerRole:practitioner:_id", "role5")],
        ),
    ];
    finds_what_the_oracle_finds(&store, &data, cases, 1).await;
    // The oracle's answers, spelled out for a few: the data exercises the chains.
    let ids = |resource_type: &str, params: &[(&str, &str)]| {
        expected(&data, &query(resource_type, params))
    };
    assert_eq!(
        ids("PractitionerRole", &[("practitioner.name", "adams")]),
        ["role1", "role3", "role4"]
    );
    assert_eq!(
        ids(
            "PractitionerRole",
            &[("organization.partof.name", "riverside health")]
        ),
        ["role1", "role2"]
    );
    assert_eq!(
        ids(
            "Practitioner",
            &[("_has:PractitionerRole:practitioner:specialty", "207Q00000X")]
        ),
        ["dr1", "dr3"]
    );
    assert_eq!(
        ids(
            "Organization",
            &[(
                "_has:Organization:partof:_has:PractitionerRole:organization:specialty",
                "208D00000X"
            )]
        ),
        ["sys"]
    );
    assert_eq!(
        ids(
            "ExplanationOfBenefit",
            &[("provider:Organization.name", "summit")]
        )
        .len(),
        12
    );
    // A deleted target no longer satisfies a chain.
    store.delete("Practitioner", "dr3").await.unwrap();
    assert_eq!(
        all_pages(
            &store,
            query("PractitionerRole", &[("practitioner.name", "adams")])
        )
        .await,
        ["role1", "role4"]
    );
}

pub async fn paging_has_no_duplicates_or_gaps_under_inserts(store: impl ResourceStore) {
    let data = data();
    store
        .upsert(data.iter().cloned().map(prepared).collect())
        .await
        .unwrap();
    let mut q = query("ExplanationOfBenefit", &[("patient", "Patient/p1")]);
    q.count = 3;
    let mut seen = Vec::new();
    let mut inserted = 0;
    loop {
        let page = store.search(&q).await.unwrap();
        seen.extend(page.resources.iter().map(|r| r.id.clone()));
        // Between pages: a new matching EOB, and an update of one already seen.
        inserted += 1;
        let new = eob(
            &format!("late{inserted}"),
            "p1",
            "oral",
            "2023-01-01",
            "late",
        );
        let mut updated = data[3].clone();
        updated["status"] = json!("cancelled");
        store
            .upsert(vec![prepared(new), prepared(updated)])
            .await
            .unwrap();
        match page.next_cursor {
            Some(cursor) => q.cursor = Some(cursor),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    let before: Vec<String> = expected(
        &data,
        &query("ExplanationOfBenefit", &[("patient", "Patient/p1")]),
    );
    for id in &before {
        assert!(seen.contains(id), "no gaps: {id} missing from {seen:?}");
    }
    assert!(
        seen.iter().any(|id| id.starts_with("late")),
        "inserts during paging appear at the end"
    );
}
