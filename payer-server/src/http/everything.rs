//! `Patient/{id}/$everything`: the Patient and every resource in its compartment (R4
//! CompartmentDefinition `patient`) that the server serves, with `_since`, `_type` and
//! `_count`, paged by key: a page continues within one resource type after the last
//! sequence number seen, then moves to the next type.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

use super::{AppState, Links, fhir_response, form_urlencoded, resource_keys, searchset};
use crate::access::{AuditAction, Grant, Interaction};
use crate::error::Error;
use crate::search::query::{ClauseValue, DatePrefix, Target};
use crate::search::{Clause, Compartment, Cursor, SearchQuery};
use crate::store::{ResourceStore, SearchPage};

pub(super) async fn everything<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path((resource_type, id, operation)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Error> {
    if resource_type != "Patient" || operation != "$everything" {
        return Err(Error::NotFound(format!("{resource_type}/{id}/{operation}")));
    }
    // Not on a base without Patients (the public directory).
    super::check_type(&state, "Patient")?;
    let grant = state
        .grant(&headers, AuditAction::Everything, "Patient")
        .await?;
    let found = everything_page(&state, &id, raw.as_deref().unwrap_or(""), &grant).await;
    state.audit(
        Some(&grant),
        AuditAction::Everything,
        "Patient",
        found
            .as_ref()
            .map(|(_, page, _)| resource_keys(&page.resources)),
    );
    let (params, page, next_cursor) = found?;
    let link_base = format!("{}/Patient/{id}/$everything", state.config.base_url);
    let links = Links {
        base: &link_base,
        params: &params,
        ignored: &[],
        next_cursor,
    };
    Ok(fhir_response(
        StatusCode::OK,
        searchset(&state.config.base_url, &links, &page, &[]),
    ))
}

/// One page of `$everything` for Patient `id`: the parameters read, the page, and the
/// cursor of the next page.
async fn everything_page<S: ResourceStore>(
    state: &AppState<S>,
    id: &str,
    raw: &str,
    grant: &Grant,
) -> Result<(Vec<(String, String)>, SearchPage, Option<String>), Error> {
    // 404 for an unknown patient, rather than an empty Bundle; the same for another
    // member's, so a member's token cannot learn which patients exist. (The types the
    // grant covers limit the page, not the operation.)
    if grant.compartment().is_some_and(|own| own.patient_id != id) {
        return Err(Error::NotFound(format!("Patient/{id}")));
    }
    state.store.read("Patient", id).await?;
    let params = form_urlencoded(raw)?;
    let mut types: Vec<&str> = Compartment::resource_types()
        .filter(|t| state.config.serves(t) && grant.check(t, Interaction::Search).is_ok())
        .collect();
    let mut count = crate::search::query::DEFAULT_COUNT;
    let mut since = None;
    let mut start = (0usize, None);
    for (name, value) in &params {
        match name.as_str() {
            "_type" => {
                let wanted: Vec<&str> = value.split(',').map(str::trim).collect();
                if let Some(unknown) = wanted.iter().find(|t| !types.contains(t)) {
                    return Err(Error::invalid_param(
                        "_type",
                        &format!(
                            "{unknown} is not a resource type of a patient's compartment on this server"
                        ),
                    ));
                }
                types.retain(|t| wanted.contains(t));
            }
            "_count" => {
                count = value
                    .parse::<usize>()
                    .map_err(|_| Error::invalid_param("_count", "must be a non-negative integer"))?
                    .min(crate::search::query::MAX_COUNT);
            }
            "_since" => {
                let Some(ClauseValue::Date { start, end, .. }) = SearchQuery::parse(
                    "Patient",
                    &[("_lastUpdated".to_owned(), value.clone())],
                    true,
                )?
                .clauses
                .pop()
                .and_then(|c| c.values.into_iter().next()) else {
                    return Err(Error::invalid_param("_since", "is not an instant"));
                };
                since = Some((start, end));
            }
            "_cursor" => start = parse_cursor(value)?,
            "_format" | "_pretty" => {}
            other => {
                return Err(Error::invalid_param(
                    other,
                    "is not a parameter of $everything (use _since, _type, _count)",
                ));
            }
        }
    }
    let mut page = SearchPage::default();
    let (mut type_index, mut cursor) = start;
    while type_index < types.len() && page.resources.len() < count {
        let mut query = SearchQuery::parse(types[type_index], &[], false)?;
        query.compartment = Some(Compartment::patient(id));
        query.count = count - page.resources.len();
        query.cursor = cursor.map(Cursor::After);
        if let Some((start, end)) = since {
            query.clauses.push(Clause::new(
                Target::LastUpdated,
                vec![ClauseValue::Date {
                    prefix: DatePrefix::Ge,
                    start,
                    end,
                }],
            ));
        }
        let found = super::search_granted(&state.store, grant, &mut query).await?;
        page.resources.extend(found.resources);
        match found.next_cursor {
            Some(Cursor::After(next) | Cursor::AfterSorted { seq: next, .. }) => {
                cursor = Some(next)
            }
            None => {
                type_index += 1;
                cursor = None;
            }
        }
    }
    // The composite cursor: the type index and, within it, the sequence number.
    let next_cursor =
        (type_index < types.len()).then(|| format!("{type_index}.{}", cursor.unwrap_or(0)));
    Ok((params, page, next_cursor))
}

fn parse_cursor(value: &str) -> Result<(usize, Option<i64>), Error> {
    let bad = || Error::invalid_param("_cursor", "is not a cursor this server issued");
    let (t, s) = value.split_once('.').ok_or_else(bad)?;
    let t = t.parse().map_err(|_| bad())?;
    let s: i64 = s.parse().map_err(|_| bad())?;
    Ok((t, (s > 0).then_some(s)))
}
