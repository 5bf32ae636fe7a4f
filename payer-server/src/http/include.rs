//! `_include` and `_revinclude`: the resources a search page references, or that reference
//! it, added to the Bundle with `search.mode = include`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::ServerConfig;
use crate::access::{Grant, Interaction};
use crate::error::Result;
use crate::search::extract::{IndexValue, extract_param};
use crate::search::query::{ClauseValue, Target};
use crate::search::{Clause, Include, ParamType, SearchParamDef, SearchQuery, params_of};
use crate::store::{ResourceStore, StoredResource};

/// How many rounds `:iterate` follows references of included resources.
const MAX_ITERATIONS: usize = 3;

/// The resources `query`'s includes and revincludes add to `page` (none already in it),
/// of the types `config` serves only.
pub(super) async fn included<S: ResourceStore>(
    store: &S,
    config: &ServerConfig,
    query: &SearchQuery,
    page: &[StoredResource],
    grant: &Grant,
) -> Result<Vec<StoredResource>> {
    let mut seen: BTreeSet<(String, String)> = page
        .iter()
        .map(|r| (r.resource_type.clone(), r.id.clone()))
        .collect();
    let mut out = Vec::new();
    let mut frontier: Vec<StoredResource> = page.to_vec();
    for round in 0..=MAX_ITERATIONS {
        let mut added = Vec::new();
        let mut wanted = Vec::new();
        for include in query.includes.iter().filter(|i| round == 0 || i.iterate) {
            for (rt, id) in references(&frontier, include) {
                if config.serves(&rt) && seen.insert((rt.clone(), id.clone())) {
                    wanted.push((rt, id));
                }
            }
        }
        // A reference to something this server does not hold (or no longer does) is not
        // an error; what the grant does not cover is left out, as if it did not exist.
        added.extend(
            store
                .read_many(&wanted)
                .await?
                .into_iter()
                .filter(|resource| grant.allows(resource, Interaction::Search)),
        );
        if round == 0 {
            for include in &query.revincludes {
                for resource in referencing(store, &frontier, include).await? {
                    if config.serves(&resource.resource_type)
                        && grant.allows(&resource, Interaction::Search)
                        && seen.insert((resource.resource_type.clone(), resource.id.clone()))
                    {
                        added.push(resource);
                    }
                }
            }
        }
        if added.is_empty() {
            break;
        }
        out.extend(added.iter().cloned());
        frontier = added;
    }
    Ok(out)
}

/// The `(type, id)` references `include` selects from `resources`.
fn references(resources: &[StoredResource], include: &Include) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // The parameter named, or for `*` every reference parameter of the type.
    let params: Vec<&SearchParamDef> = match include.param {
        Some(param) => vec![param],
        None => params_of(&include.source_type)
            .iter()
            .filter(|p| p.kind == ParamType::Reference)
            .collect(),
    };
    for resource in resources
        .iter()
        .filter(|r| r.resource_type == include.source_type)
    {
        let Ok(json) = serde_json::from_str::<Value>(&resource.json) else {
            continue;
        };
        for param in &params {
            extract_param(param, &json, &mut |value| {
                if let IndexValue::Reference { target_type, id } = value
                    && include
                        .target_type
                        .as_ref()
                        .is_none_or(|t| *t == target_type)
                {
                    out.push((target_type, id));
                }
            });
        }
    }
    out
}

/// The resources of `include.source_type` whose `include.param` references one of
/// `resources`.
async fn referencing<S: ResourceStore>(
    store: &S,
    resources: &[StoredResource],
    include: &Include,
) -> Result<Vec<StoredResource>> {
    let Some(param) = include.param else {
        return Ok(Vec::new());
    };
    let values: Vec<ClauseValue> = resources
        .iter()
        .filter(|r| {
            include
                .target_type
                .as_ref()
                .is_none_or(|t| *t == r.resource_type)
        })
        .map(|r| ClauseValue::Reference {
            target_type: Some(r.resource_type.clone()),
            id: r.id.clone(),
        })
        .collect();
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = SearchQuery::parse(&include.source_type, &[], false)?;
    query.count = crate::search::query::MAX_COUNT;
    query
        .clauses
        .push(Clause::new(Target::Param(param), values));
    let mut out = Vec::new();
    loop {
        let page = store.search(&query).await?;
        out.extend(page.resources);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(out),
        }
    }
}
