//! Loading FHIR data into a store: single resources, Bundles (their entries) and NDJSON,
//! each resource parsed strictly and validated with `carin-profiles`, written in
//! transactions of [`BATCH_SIZE`] so a crash leaves every resource either fully written or
//! not at all. Loading the same data twice changes nothing.

use std::fmt;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::store::{Prepared, ResourceStore, WriteOutcome};

/// Resources per transaction.
pub const BATCH_SIZE: usize = 500;

/// What to do with a resource that breaks its profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Validation {
    /// Do not load it (the default: payers should know before an app does).
    #[default]
    Reject,
    /// Load it and report the problems.
    Warn,
    /// Do not validate against profiles (resources are still parsed strictly).
    Off,
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadReport {
    /// New resources.
    pub created: usize,
    /// New versions of existing resources.
    pub updated: usize,
    /// Resources identical to what was stored.
    pub unchanged: usize,
    /// Resources not loaded (invalid FHIR, or breaking their profile under
    /// [`Validation::Reject`]).
    pub rejected: usize,
    /// Resources loaded with profile errors under [`Validation::Warn`].
    pub loaded_with_errors: usize,
    /// One line per problem: where (input and position), and what. Never a value from
    /// the resource, which may be PHI.
    pub problems: Vec<String>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "created: {}\nupdated: {}\nunchanged: {}\nrejected: {}\nloaded_with_profile_errors: {}",
            self.created, self.updated, self.unchanged, self.rejected, self.loaded_with_errors
        )
    }
}

/// The resources in one input text: a resource, a Bundle (its entries' resources), or
/// NDJSON (one resource per line). Each comes with its position (`line 3`, `entry 2`).
pub fn resources_in(text: &str) -> Result<Vec<(String, Value)>> {
    let trimmed = text.trim_start();
    let whole: std::result::Result<Value, _> = serde_json::from_str(trimmed);
    match whole {
        Ok(value) if value.get("resourceType").and_then(Value::as_str) == Some("Bundle") => {
            let entries = value
                .get("entry")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            Ok(entries
                .into_iter()
                .enumerate()
                .filter_map(|(i, mut e)| {
                    e.get_mut("resource")
                        .map(|r| (format!("entry {i}"), r.take()))
                })
                .collect())
        }
        Ok(value) => Ok(vec![("resource".to_owned(), value)]),
        Err(_) => {
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let value = serde_json::from_str(line).map_err(|e| {
                    Error::InvalidResource(format!("line {}: not JSON ({e})", i + 1))
                })?;
                out.push((format!("line {}", i + 1), value));
            }
            Ok(out)
        }
    }
}

/// Loads JSON `resources` (each with where it came from, for the report) into `store`:
/// each is parsed strictly (invalid FHIR is rejected), then as [`load_resources`].
/// `progress` is called with the number of resources handled so far.
pub async fn load<S: ResourceStore>(
    store: &S,
    resources: Vec<(String, Value)>,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
) -> Result<LoadReport> {
    let mut report = LoadReport::default();
    let mut parsed = Vec::with_capacity(resources.len());
    for (origin, json) in resources {
        match fhir_model::from_json(&json.to_string()) {
            Ok(resource) => parsed.push((origin, resource)),
            Err(e) => {
                report.rejected += 1;
                report
                    .problems
                    .push(format!("{origin}: not valid FHIR: {e}"));
            }
        }
    }
    load_into(store, parsed, validation, progress, report).await
}

/// Loads parsed `resources` into `store`: each is validated against its profile
/// (`validation`) and written in transactions of [`BATCH_SIZE`].
pub async fn load_resources<S: ResourceStore>(
    store: &S,
    resources: Vec<(String, fhir_model::Resource)>,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
) -> Result<LoadReport> {
    load_into(
        store,
        resources,
        validation,
        progress,
        LoadReport::default(),
    )
    .await
}

async fn load_into<S: ResourceStore>(
    store: &S,
    resources: Vec<(String, fhir_model::Resource)>,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
    mut report: LoadReport,
) -> Result<LoadReport> {
    let mut batch = Vec::with_capacity(BATCH_SIZE);
    let total = resources.len();
    for (handled, (origin, resource)) in resources.into_iter().enumerate() {
        match check(&resource, validation) {
            Ok((prepared, profile_errors)) => {
                if profile_errors > 0 {
                    report.loaded_with_errors += 1;
                    report.problems.push(format!(
                        "{origin}: {}/{}: loaded with {profile_errors} profile error(s)",
                        prepared.resource_type(),
                        prepared.id()
                    ));
                }
                batch.push(prepared);
            }
            Err(message) => {
                report.rejected += 1;
                report.problems.push(format!("{origin}: {message}"));
            }
        }
        if batch.len() == BATCH_SIZE || handled + 1 == total {
            let written = store.upsert(std::mem::take(&mut batch)).await?;
            for outcome in written {
                match outcome {
                    WriteOutcome::Created => report.created += 1,
                    WriteOutcome::Updated => report.updated += 1,
                    WriteOutcome::Unchanged => report.unchanged += 1,
                }
            }
            progress(handled + 1);
        }
    }
    Ok(report)
}

/// Validates and prepares; the error is the reason for rejecting it. Also the check of
/// each entry of a transaction or batch Bundle posted to the server.
pub(crate) fn check(
    resource: &fhir_model::Resource,
    validation: Validation,
) -> std::result::Result<(Prepared, usize), String> {
    let where_ = format!(
        "{}/{}",
        resource.resource_type(),
        resource.id().unwrap_or("?")
    );
    // One JSON tree serves both the profile check and the search index.
    let json: Value = serde_json::from_str(&fhir_model::to_json(resource))
        .map_err(|e| format!("{where_}: {e}"))?;
    let profile_errors = match validation {
        Validation::Off => 0,
        Validation::Reject | Validation::Warn => {
            let issues = carin_profiles::validate_with_json(resource, &json);
            let errors: Vec<&carin_profiles::Issue> =
                issues.iter().filter(|i| i.is_error()).collect();
            if validation == Validation::Reject && !errors.is_empty() {
                let first = errors
                    .iter()
                    .take(3)
                    .map(|i| format!("{} ({})", i.location, i.rule));
                return Err(format!(
                    "{where_}: breaks its profile ({} error(s), first at {})",
                    errors.len(),
                    first.collect::<Vec<_>>().join(", ")
                ));
            }
            errors.len()
        }
    };
    let prepared = Prepared::from_json(json).map_err(|e| format!("{where_}: {e}"))?;
    Ok((prepared, profile_errors))
}

/// Generates the synthetic dataset of `config` member by member (see
/// [`crate::synth::Generator`]: memory stays flat however many members) and loads it, the
/// shared directory first. Returns the report and the members generated.
pub async fn load_synthetic<S: ResourceStore>(
    store: &S,
    config: &crate::synth::Config,
    validation: Validation,
) -> Result<(LoadReport, Vec<crate::synth::Member>)> {
    let mut generator = crate::synth::Generator::new(config);
    let mut report = LoadReport::default();
    let mut members = Vec::with_capacity(config.members);
    let mut pending: Vec<(String, fhir_model::Resource)> = generator
        .directory()
        .into_iter()
        .map(|r| ("synthetic directory".to_owned(), r))
        .collect();
    for records in generator.by_ref() {
        let origin = format!("synthetic member {}", records.member.username);
        members.push(records.member);
        pending.extend(records.resources.into_iter().map(|r| (origin.clone(), r)));
        if pending.len() >= BATCH_SIZE * 4 {
            report = load_into(
                store,
                std::mem::take(&mut pending),
                validation,
                &mut |_| {},
                report,
            )
            .await?;
        }
    }
    report = load_into(store, pending, validation, &mut |_| {}, report).await?;
    Ok((report, members))
}
