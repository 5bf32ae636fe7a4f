//! `POST [base]` with a transaction or batch Bundle (FHIR R4 http, "transaction"): each
//! entry a `PUT Type/id` (create or update) or `POST Type` (create, the server assigns the
//! id). A transaction is all or nothing: one invalid entry and nothing is written. A batch
//! answers each entry on its own. Writes must be enabled in [`super::ServerConfig`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{AppState, fhir_response};
use crate::access::{AuditAction, Scope};
use crate::error::Error;
use crate::ingest::{self, Validation};
use crate::store::{Prepared, ResourceStore, WriteOutcome};

/// Largest Bundle accepted; bulk loads go through `payer-server load`.
pub(super) const MAX_BUNDLE_BYTES: usize = 32 << 20;

/// One entry, checked and ready to write, or the reason it cannot be.
type Checked = Result<Prepared, Error>;

pub(super) async fn transaction<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let grant = state.grant(&headers, AuditAction::Write, "Bundle").await?;
    let written = async {
        if grant.scope != Scope::All || grant.permissions.is_some() {
            return Err(Error::Forbidden(
                "transaction and batch Bundles need a grant of everything (an administrator's)"
                    .to_owned(),
            ));
        }
        post_bundle(&state, &body).await
    }
    .await;
    state.audit(
        Some(&grant),
        AuditAction::Write,
        "Bundle",
        written.as_ref().map(|(_, keys)| keys.clone()),
    );
    written.map(|(response, _)| response)
}

/// Checks and writes a posted Bundle; the answer and the `Type/id` of what was written.
async fn post_bundle<S: ResourceStore>(
    state: &AppState<S>,
    body: &[u8],
) -> Result<(Response, Vec<String>), Error> {
    let Some(validation) = state.config.writes else {
        return Err(Error::NotSupported(
            "writes are not enabled on this server (POST of transaction or batch Bundles)"
                .to_owned(),
        ));
    };
    // Entry resources stay JSON text until their strict parse: a `Value` would turn
    // `100.00` into `100.0`.
    type Members = HashMap<String, Box<RawValue>>;
    let bundle: Members = serde_json::from_slice(body)
        .map_err(|e| Error::InvalidResource(format!("the body is not a JSON object: {e}")))?;
    let member = |name: &str| bundle.get(name).map(|raw| raw.get());
    if member("resourceType") != Some("\"Bundle\"") {
        return Err(Error::InvalidResource(
            "POST to the base takes a Bundle".to_owned(),
        ));
    }
    let transaction = match member("type") {
        Some("\"transaction\"") => true,
        Some("\"batch\"") => false,
        other => {
            return Err(Error::InvalidResource(format!(
                "Bundle.type {}: only transaction and batch Bundles can be posted",
                other.unwrap_or("missing")
            )));
        }
    };
    let entries: Vec<Members> = match member("entry") {
        Some(entries) => serde_json::from_str(entries).map_err(|e| {
            Error::InvalidResource(format!("Bundle.entry is not a list of objects: {e}"))
        })?,
        None => Vec::new(),
    };
    let checked: Vec<Checked> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| check_entry(state, i, entry, validation))
        .collect();
    let mut responses = Vec::with_capacity(checked.len());
    let mut written = Vec::new();
    if transaction {
        // All or nothing: the first problem is the answer, and nothing is written.
        let mut ready = Vec::with_capacity(checked.len());
        for entry in checked {
            ready.push(entry?);
        }
        let keys: Vec<(String, String)> = ready
            .iter()
            .map(|p| (p.resource_type().to_owned(), p.id().to_owned()))
            .collect();
        let outcomes = state.store.upsert(ready).await?;
        for ((rt, id), outcome) in keys.iter().zip(outcomes) {
            responses.push(entry_response(state, rt, id, outcome).await?);
            written.push(format!("{rt}/{id}"));
        }
    } else {
        for entry in checked {
            let response = match entry {
                Ok(prepared) => {
                    let (rt, id) = (
                        prepared.resource_type().to_owned(),
                        prepared.id().to_owned(),
                    );
                    match state.store.upsert(vec![prepared]).await {
                        Ok(outcomes) => {
                            let outcome = outcomes
                                .into_iter()
                                .next()
                                .unwrap_or(WriteOutcome::Unchanged);
                            written.push(format!("{rt}/{id}"));
                            entry_response(state, &rt, &id, outcome).await?
                        }
                        Err(e) => error_entry(&e),
                    }
                }
                Err(e) => error_entry(&e),
            };
            responses.push(response);
        }
    }
    let kind = if transaction {
        "transaction-response"
    } else {
        "batch-response"
    };
    let response = fhir_response(
        StatusCode::OK,
        json!({"resourceType": "Bundle", "type": kind, "entry": responses}).to_string(),
    );
    Ok((response, written))
}

/// Checks one entry: its request, its resource (strict FHIR, then the profiles), its id.
fn check_entry<S>(
    state: &AppState<S>,
    index: usize,
    entry: &HashMap<String, Box<RawValue>>,
    validation: Validation,
) -> Checked {
    let at = |message: String| Error::InvalidResource(format!("Bundle.entry[{index}]: {message}"));
    let request: Value = entry
        .get("request")
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default();
    let method = request["method"].as_str().unwrap_or("");
    let url = request["url"].as_str().unwrap_or("");
    let text = entry.get("resource").map_or("", |raw| raw.get());
    let mut resource =
        fhir_model::from_json(text).map_err(|e| at(format!("not valid FHIR: {e}")))?;
    let rt = resource.resource_type().to_owned();
    if !state.config.serves(&rt) {
        return Err(at(format!("resource type '{rt}' is not served here")));
    }
    match method {
        "PUT" => {
            let id = resource.id().unwrap_or("");
            if url != format!("{rt}/{id}") {
                return Err(at(format!(
                    "PUT url '{url}' does not name the resource ({rt}/{id})"
                )));
            }
        }
        "POST" => {
            if url != rt {
                return Err(at(format!(
                    "POST url '{url}' is not the resource type {rt}"
                )));
            }
            let id = resource
                .id_mut()
                .ok_or_else(|| at(format!("{rt} is not a type of this build")))?;
            *id = Some(new_id());
        }
        other => {
            return Err(at(format!(
                "request.method '{other}' is not supported (PUT or POST)"
            )));
        }
    }
    ingest::check(resource, validation)
        .map(|(prepared, _)| prepared)
        .map_err(at)
}

/// A new logical id: the time in milliseconds and a process-wide counter, in hex.
pub(super) fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{n:x}", chrono::Utc::now().timestamp_millis())
}

async fn entry_response<S: ResourceStore>(
    state: &AppState<S>,
    resource_type: &str,
    id: &str,
    outcome: WriteOutcome,
) -> Result<Value, Error> {
    let stored = state.store.read(resource_type, id).await?;
    let status = match outcome {
        WriteOutcome::Created => "201 Created",
        _ => "200 OK",
    };
    Ok(json!({
        "fullUrl": format!("{}/{resource_type}/{id}", state.config.base_url),
        "response": {
            "status": status,
            "location": format!("{resource_type}/{id}/_history/{}", stored.version),
            "etag": format!("W/\"{}\"", stored.version),
        }
    }))
}

fn error_entry(error: &Error) -> Value {
    let outcome: Value = serde_json::from_str(&fhir_model::to_json(&fhir_model::Resource::from(
        error.to_operation_outcome(),
    )))
    .unwrap_or(Value::Null);
    json!({"response": {"status": error.status().to_string(), "outcome": outcome}})
}
