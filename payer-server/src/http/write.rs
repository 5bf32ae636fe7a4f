//! Single-resource writes: `PUT /{type}/{id}` (update, or create with that id), `POST
//! /{type}` (create, the server picks the id) and `DELETE /{type}/{id}`. Enabled with the
//! Bundle writes (`ServerConfig::with_writes`), checked like loads, and only for a grant of
//! everything. The answer follows `Prefer: return=minimal | representation |
//! OperationOutcome` (FHIR R4 RESTful API 3.1.0.5.2), `representation` by default.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fhir_model::outcome::IssueType;
use fhir_model::resources::OperationOutcome;

use super::bundle::new_id;
use super::{AppState, check_type, fhir_response, resource_response};
use crate::access::{AuditAction, Grant, Interaction, Scope};
use crate::error::Error;
use crate::ingest;
use crate::store::{ResourceStore, StoredResource, WriteOutcome};

pub(super) async fn update<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path((resource_type, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    audited(&state, &headers, &resource_type, async |grant| {
        write(&state, grant, &resource_type, Some(&id), &body, &headers).await
    })
    .await
}

pub(super) async fn create<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path(resource_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    audited(&state, &headers, &resource_type, async |grant| {
        write(&state, grant, &resource_type, None, &body, &headers).await
    })
    .await
}

pub(super) async fn delete<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path((resource_type, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    audited(&state, &headers, &resource_type, async |grant| {
        allowed(&state, grant, &resource_type)?;
        state.store.delete(&resource_type, &id).await?;
        let key = format!("{resource_type}/{id}");
        Ok((StatusCode::NO_CONTENT.into_response(), key))
    })
    .await
}

/// Runs a write for the request's grant and records it in the audit trail.
async fn audited<S: ResourceStore>(
    state: &AppState<S>,
    headers: &HeaderMap,
    resource_type: &str,
    write: impl AsyncFnOnce(&Grant) -> Result<(Response, String), Error>,
) -> Result<Response, Error> {
    let grant = state
        .grant(headers, AuditAction::Write, resource_type)
        .await?;
    let written = write(&grant).await;
    state.audit(
        Some(&grant),
        AuditAction::Write,
        resource_type,
        written.as_ref().map(|(_, key)| vec![key.clone()]),
    );
    written.map(|(response, _)| response)
}

fn allowed<S>(state: &AppState<S>, grant: &Grant, resource_type: &str) -> Result<(), Error> {
    if state.config.writes.is_none() {
        return Err(Error::NotSupported(
            "writes are not enabled on this server".to_owned(),
        ));
    }
    check_type(state, resource_type)?;
    if grant.scope != Scope::All {
        return Err(Error::Forbidden(
            "writes need a grant of everything (an administrator's)".to_owned(),
        ));
    }
    grant.check(resource_type, Interaction::Write)
}

/// PUT (`id` given) or POST: the answer and the `Type/id` written.
async fn write<S: ResourceStore>(
    state: &AppState<S>,
    grant: &Grant,
    resource_type: &str,
    id: Option<&str>,
    body: &[u8],
    headers: &HeaderMap,
) -> Result<(Response, String), Error> {
    allowed(state, grant, resource_type)?;
    let validation = state.config.writes.unwrap_or_default();
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::InvalidResource("the body is not UTF-8".to_owned()))?;
    let mut resource = fhir_model::from_json(text)
        .map_err(|e| Error::InvalidResource(format!("not valid FHIR: {e}")))?;
    if resource.resource_type() != resource_type {
        return Err(Error::InvalidResource(format!(
            "the body is a {}, the URL names {resource_type}",
            resource.resource_type()
        )));
    }
    let id = match id {
        // FHIR update: the body's id must be the URL's.
        Some(id) if resource.id() == Some(id) => id.to_owned(),
        Some(id) => {
            return Err(Error::InvalidResource(format!(
                "the body's id ({}) is not the URL's ({id})",
                resource.id().unwrap_or("none")
            )));
        }
        // FHIR create: the server picks the id, whatever the body says.
        None => {
            let id = new_id();
            *resource.id_mut().ok_or_else(|| {
                Error::InvalidResource(format!("{resource_type} is not a type of this build"))
            })? = Some(id.clone());
            id
        }
    };
    let (prepared, _) = ingest::check(resource, validation).map_err(Error::InvalidResource)?;
    let outcome = state
        .store
        .upsert(vec![prepared])
        .await?
        .pop()
        .unwrap_or(WriteOutcome::Unchanged);
    let stored = state.store.read(resource_type, &id).await?;
    let response = written_response(state, &stored, outcome, headers);
    Ok((response, format!("{resource_type}/{id}")))
}

/// 201 (created) or 200, with `Location`, `ETag` and `Last-Modified`, and the body
/// `Prefer: return` asks for.
fn written_response<S>(
    state: &AppState<S>,
    stored: &StoredResource,
    outcome: WriteOutcome,
    headers: &HeaderMap,
) -> Response {
    let status = match outcome {
        WriteOutcome::Created => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    let mut response = match preferred_return(headers) {
        Return::Minimal => status.into_response(),
        Return::OperationOutcome => {
            let what = match outcome {
                WriteOutcome::Created => "created",
                WriteOutcome::Updated => "updated",
                _ => "unchanged: the content equals the current version",
            };
            let outcome = OperationOutcome::information(
                IssueType::Informational,
                format!("{}/{} {what}", stored.resource_type, stored.id),
            );
            let body = fhir_model::to_json(&fhir_model::Resource::from(outcome));
            fhir_response(status, body)
        }
        Return::Representation => {
            let mut response = resource_response(stored, &HeaderMap::new());
            *response.status_mut() = status;
            response
        }
    };
    let location = format!(
        "{}/{}/{}/_history/{}",
        state.config.base_url, stored.resource_type, stored.id, stored.version
    );
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", stored.version)) {
        h.insert(header::ETAG, v);
    }
    response
}

enum Return {
    Minimal,
    Representation,
    OperationOutcome,
}

fn preferred_return(headers: &HeaderMap) -> Return {
    let prefer = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .find_map(|p| p.trim().strip_prefix("return="));
    match prefer {
        Some("minimal") => Return::Minimal,
        Some("OperationOutcome") => Return::OperationOutcome,
        _ => Return::Representation,
    }
}
