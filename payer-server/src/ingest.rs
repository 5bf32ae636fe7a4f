//! Loading FHIR data into a store: single resources, Bundles (their entries) and NDJSON,
//! each resource parsed strictly and validated with `carin-profiles`, written in
//! transactions of [`BATCH_SIZE`] so a crash leaves every resource either fully written or
//! not at all. Loading the same data twice changes nothing.

use std::fmt;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::store::{Prepared, ResourceStore, WriteOutcome};

/// Resources per transaction.
pub const BATCH_SIZE: usize = 2000;

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
    let inputs = resources
        .into_iter()
        .map(|(origin, json)| (origin, Input::Json(json)))
        .collect();
    load_inputs(store, inputs, validation, progress).await
}

/// Loads parsed `resources` into `store`: each is validated against its profile
/// (`validation`) and written in transactions of [`BATCH_SIZE`].
///
/// Needs a tokio runtime: while the store writes one batch, the next is validated and
/// indexed on tokio's blocking pool.
pub async fn load_resources<S: ResourceStore>(
    store: &S,
    resources: Vec<(String, fhir_model::Resource)>,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
) -> Result<LoadReport> {
    let inputs = resources
        .into_iter()
        .map(|(origin, resource)| (origin, Input::Parsed(resource)))
        .collect();
    load_inputs(store, inputs, validation, progress).await
}

async fn load_inputs<S: ResourceStore>(
    store: &S,
    inputs: Vec<(String, Input)>,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
) -> Result<LoadReport> {
    let total = inputs.len();
    let mut loader = Loader::new(store, validation);
    let mut inputs = inputs.into_iter();
    loop {
        let batch: Vec<_> = inputs.by_ref().take(BATCH_SIZE).collect();
        if batch.is_empty() {
            break;
        }
        loader.push(batch).await?;
        progress(loader.written);
    }
    let report = loader.finish().await?;
    progress(total);
    Ok(report)
}

/// A resource to load, as read.
enum Input {
    /// JSON, to be parsed strictly.
    Json(Value),
    /// Already a typed resource.
    Parsed(fhir_model::Resource),
}

/// A load as a pipeline of two stages on two threads: while the store writes one batch
/// (in one transaction), the next is parsed, validated and indexed. On two cores this
/// keeps both busy; neither stage waits for the other more than one batch.
struct Loader<'a, S> {
    store: &'a S,
    validation: Validation,
    /// Checked, waiting for the store.
    ready: Vec<Prepared>,
    /// Resources the store has answered for, or rejected.
    written: usize,
    report: LoadReport,
}

impl<'a, S: ResourceStore> Loader<'a, S> {
    fn new(store: &'a S, validation: Validation) -> Loader<'a, S> {
        Loader {
            store,
            validation,
            ready: Vec::new(),
            written: 0,
            report: LoadReport::default(),
        }
    }

    /// Checks `inputs` while the store writes the batch checked before.
    async fn push(&mut self, inputs: Vec<(String, Input)>) -> Result<()> {
        let validation = self.validation;
        let checking = tokio::task::spawn_blocking(move || check_batch(inputs, validation));
        let (checked, written) = tokio::join!(checking, self.write_ready());
        written?;
        self.add(checked.map_err(|e| Error::Store(e.to_string()))?);
        Ok(())
    }

    /// Writes what is ready, then takes `checked` as the next batch to write.
    async fn push_checked(&mut self, checked: Checked) -> Result<()> {
        self.write_ready().await?;
        self.add(checked);
        Ok(())
    }

    fn add(&mut self, checked: Checked) {
        self.written += checked.report.rejected;
        self.report.rejected += checked.report.rejected;
        self.report.loaded_with_errors += checked.report.loaded_with_errors;
        self.report.problems.extend(checked.report.problems);
        self.ready = checked.ready;
    }

    /// Writes what is checked, in one transaction.
    async fn write_ready(&mut self) -> Result<()> {
        if self.ready.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.ready);
        self.written += batch.len();
        for outcome in self.store.upsert(batch).await? {
            match outcome {
                WriteOutcome::Created => self.report.created += 1,
                WriteOutcome::Updated => self.report.updated += 1,
                WriteOutcome::Unchanged => self.report.unchanged += 1,
            }
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<LoadReport> {
        self.write_ready().await?;
        Ok(self.report)
    }
}

/// A batch checked: what is ready to write, and what was rejected or loaded with profile
/// errors (in `report`).
struct Checked {
    ready: Vec<Prepared>,
    report: LoadReport,
}

fn check_batch(inputs: Vec<(String, Input)>, validation: Validation) -> Checked {
    let mut checked = Checked {
        ready: Vec::with_capacity(inputs.len()),
        report: LoadReport::default(),
    };
    for (origin, input) in inputs {
        let result = match input {
            Input::Json(json) => fhir_model::from_json(&json.to_string())
                .map_err(|e| format!("not valid FHIR: {e}"))
                .and_then(|resource| check(resource, validation)),
            Input::Parsed(resource) => check(resource, validation),
        };
        match result {
            Ok((prepared, profile_errors)) => {
                if profile_errors > 0 {
                    checked.report.loaded_with_errors += 1;
                    checked.report.problems.push(format!(
                        "{origin}: {}/{}: loaded with {profile_errors} profile error(s)",
                        prepared.resource_type(),
                        prepared.id()
                    ));
                }
                checked.ready.push(prepared);
            }
            Err(message) => {
                checked.report.rejected += 1;
                checked.report.problems.push(format!("{origin}: {message}"));
            }
        }
    }
    checked
}

/// Validates and prepares; the error is the reason for rejecting it. Also the check of
/// each entry of a transaction or batch Bundle posted to the server.
pub(crate) fn check(
    resource: fhir_model::Resource,
    validation: Validation,
) -> std::result::Result<(Prepared, usize), String> {
    let where_ = format!(
        "{}/{}",
        resource.resource_type(),
        resource.id().unwrap_or("?")
    );
    let profile_errors = match validation {
        Validation::Off => 0,
        Validation::Reject | Validation::Warn => {
            let json: Value = serde_json::from_str(&fhir_model::to_json(&resource))
                .map_err(|e| format!("{where_}: {e}"))?;
            let issues = carin_profiles::validate_with_json(&resource, &json);
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
    let prepared = Prepared::from_resource(resource).map_err(|e| format!("{where_}: {e}"))?;
    Ok((prepared, profile_errors))
}

/// Generates the synthetic dataset of `config` member by member (see
/// [`crate::synth::Generator`]: memory stays flat however many members) and loads it, the
/// shared directory first. Generating and checking run on a thread of their own, a batch
/// ahead of the store's writes; only checked resources (JSON text and index) wait between
/// the two. Returns the report and the members generated.
pub async fn load_synthetic<S: ResourceStore>(
    store: &S,
    config: &crate::synth::Config,
    validation: Validation,
) -> Result<(LoadReport, Vec<crate::synth::Member>)> {
    let (sender, mut receiver) =
        tokio::sync::mpsc::channel::<(Vec<crate::synth::Member>, Checked)>(1);
    let mut generator = crate::synth::Generator::new(config);
    let generating = tokio::task::spawn_blocking(move || {
        let mut members = Vec::new();
        let mut pending: Vec<(String, Input)> = generator
            .directory()
            .into_iter()
            .map(|r| ("synthetic directory".to_owned(), Input::Parsed(r)))
            .collect();
        for records in generator.by_ref() {
            let origin = format!("synthetic member {}", records.member.username);
            members.push(records.member);
            pending.extend(
                records
                    .resources
                    .into_iter()
                    .map(|r| (origin.clone(), Input::Parsed(r))),
            );
            if pending.len() >= BATCH_SIZE {
                let checked = check_batch(std::mem::take(&mut pending), validation);
                if sender
                    .blocking_send((std::mem::take(&mut members), checked))
                    .is_err()
                {
                    return; // the load failed and stopped listening
                }
            }
        }
        // As above: a closed channel means the load already failed.
        let _ = sender.blocking_send((members, check_batch(pending, validation)));
    });
    let mut loader = Loader::new(store, validation);
    let mut members = Vec::with_capacity(config.members);
    while let Some((generated, checked)) = receiver.recv().await {
        members.extend(generated);
        loader.push_checked(checked).await?;
    }
    generating
        .await
        .map_err(|e| Error::Store(format!("synthetic data generation failed: {e}")))?;
    Ok((loader.finish().await?, members))
}
