//! Loading FHIR data into a store: single resources, Bundles (their entries) and NDJSON,
//! each resource parsed strictly and validated with `carin-profiles`, written in
//! transactions of [`BATCH_SIZE`] so a crash leaves every resource either fully written or
//! not at all. Loading the same data twice changes nothing.

use std::fmt;

use serde_json::Value;
use serde_json::value::RawValue;

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
/// NDJSON (one resource per line), each as its own JSON text, exactly as written (a
/// decimal such as `100.00` keeps its digits), with its position (`line 3`, `entry 2`).
pub fn resources_in(text: &str) -> Result<Vec<(String, String)>> {
    type Members<'a> = std::collections::HashMap<String, &'a RawValue>;
    let trimmed = text.trim();
    match serde_json::from_str::<Members<'_>>(trimmed) {
        Ok(members) if members.get("resourceType").map(|t| t.get()) == Some("\"Bundle\"") => {
            let Some(entries) = members.get("entry") else {
                return Ok(Vec::new());
            };
            let entries: Vec<Members<'_>> = serde_json::from_str(entries.get()).map_err(|e| {
                Error::InvalidResource(format!("Bundle.entry is not a list of objects ({e})"))
            })?;
            Ok(entries
                .iter()
                .enumerate()
                .filter_map(|(i, entry)| {
                    let resource = entry.get("resource")?;
                    Some((format!("entry {i}"), resource.get().to_owned()))
                })
                .collect())
        }
        Ok(_) => Ok(vec![("resource".to_owned(), trimmed.to_owned())]),
        // Not one JSON object: NDJSON if its first line is one.
        Err(whole) => {
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if serde_json::from_str::<Members<'_>>(first).is_err() {
                return Err(Error::InvalidResource(format!(
                    "neither a JSON resource or Bundle nor NDJSON: {whole}"
                )));
            }
            Ok(text
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty())
                .map(|(i, line)| (format!("line {}", i + 1), line.to_owned()))
                .collect())
        }
    }
}

/// Loads resources given as JSON text (each with where it came from, for the report, as
/// [`resources_in`] gives them) into `store`: each is parsed strictly (invalid FHIR is
/// rejected), then as [`load_resources`]. `progress` is called with the number of
/// resources handled so far.
pub async fn load<S: ResourceStore>(
    store: &S,
    resources: Vec<(String, String)>,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
) -> Result<LoadReport> {
    let inputs = resources
        .into_iter()
        .map(|(origin, text)| (origin, Input::Text(text)))
        .collect();
    load_inputs(store, inputs, validation, progress).await
}

/// Loads NDJSON (one resource per line) as it is read from `reader`, so a file of any
/// size loads in constant memory; each line is handled as [`load`] handles a resource,
/// its origin `{origin}: line N`. An I/O error stops the load (what was written stays).
pub async fn load_ndjson<S: ResourceStore>(
    store: &S,
    origin: &str,
    reader: impl std::io::BufRead + Send + 'static,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
) -> Result<LoadReport> {
    let (sender, chunks) = tokio::sync::mpsc::channel(1);
    let origin = origin.to_owned();
    let reading = tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(CHECK_CHUNK);
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| Error::InvalidResource(format!("{origin}: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            chunk.push((format!("{origin}: line {}", n + 1), Input::Text(line)));
            if chunk.len() == CHECK_CHUNK
                && sender.blocking_send(std::mem::take(&mut chunk)).is_err()
            {
                return Ok(()); // the load failed; its error is the answer
            }
        }
        // As above: a closed channel means the load already failed.
        let _ = sender.blocking_send(chunk);
        Ok(())
    });
    let report = pipeline(store, chunks, validation, progress).await?;
    reading
        .await
        .map_err(|e| Error::Store(format!("reading failed: {e}")))??;
    Ok(report)
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
    let (sender, chunks) = tokio::sync::mpsc::channel(1);
    let feeding = async move {
        let mut inputs = inputs.into_iter();
        loop {
            let chunk: Vec<_> = inputs.by_ref().take(CHECK_CHUNK).collect();
            if chunk.is_empty() || sender.send(chunk).await.is_err() {
                break;
            }
        }
    };
    let (_, report) = tokio::join!(feeding, pipeline(store, chunks, validation, progress));
    report
}

/// A resource to load, as read.
enum Input {
    /// JSON text, to be parsed strictly.
    Text(String),
    /// Already a typed resource.
    Parsed(fhir_model::Resource),
}

/// Resources checked at a time. Small, so that few parsed resources (tens of kB each in
/// memory) wait in the pipeline; transactions are larger ([`BATCH_SIZE`]).
const CHECK_CHUNK: usize = 500;

/// Loads the chunks `chunks` delivers, in three stages running at once: whoever produces
/// the chunks, the checks (parsing, profile validation, index extraction) on tokio's
/// blocking pool, one chunk at a time, and the store's writes of what is checked, in
/// transactions of [`BATCH_SIZE`]. On two cores the operating system shares them out; a
/// stage waits for the next only when the two chunks or batches between them are full.
async fn pipeline<S: ResourceStore>(
    store: &S,
    mut chunks: tokio::sync::mpsc::Receiver<Vec<(String, Input)>>,
    validation: Validation,
    progress: &mut dyn FnMut(usize),
) -> Result<LoadReport> {
    let (checked_sender, mut checked) = tokio::sync::mpsc::channel::<Checked>(8);
    let checking = async move {
        while let Some(chunk) = chunks.recv().await {
            let batch = tokio::task::spawn_blocking(move || check_batch(chunk, validation))
                .await
                .map_err(|e| Error::Store(format!("checking resources failed: {e}")))?;
            if checked_sender.send(batch).await.is_err() {
                break; // the writes failed; their error is the answer
            }
        }
        Ok::<_, Error>(())
    };
    let writing = async {
        let mut report = LoadReport::default();
        let mut ready = Vec::with_capacity(BATCH_SIZE);
        let mut handled = 0;
        while let Some(batch) = checked.recv().await {
            handled += batch.report.rejected;
            report.rejected += batch.report.rejected;
            report.loaded_with_errors += batch.report.loaded_with_errors;
            report.problems.extend(batch.report.problems);
            ready.extend(batch.ready);
            if ready.len() >= BATCH_SIZE {
                handled += ready.len();
                write(store, std::mem::take(&mut ready), &mut report).await?;
                progress(handled);
            }
        }
        handled += ready.len();
        write(store, ready, &mut report).await?;
        progress(handled);
        Ok::<_, Error>(report)
    };
    let (checked, written) = tokio::join!(checking, writing);
    let report = written?;
    checked?;
    Ok(report)
}

/// Writes `batch` in one transaction and counts the outcomes.
async fn write<S: ResourceStore>(
    store: &S,
    batch: Vec<Prepared>,
    report: &mut LoadReport,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    for outcome in store.upsert(batch).await? {
        match outcome {
            WriteOutcome::Created => report.created += 1,
            WriteOutcome::Updated => report.updated += 1,
            WriteOutcome::Unchanged => report.unchanged += 1,
        }
    }
    Ok(())
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
            Input::Text(text) => fhir_model::from_json(&text)
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
/// shared directory first. Generation is the first stage of the load's pipeline, on a
/// thread of its own. Returns the report and the members generated.
pub async fn load_synthetic<S: ResourceStore>(
    store: &S,
    config: &crate::synth::Config,
    validation: Validation,
) -> Result<(LoadReport, Vec<crate::synth::Member>)> {
    let (sender, chunks) = tokio::sync::mpsc::channel(1);
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
            if pending.len() >= CHECK_CHUNK
                && sender.blocking_send(std::mem::take(&mut pending)).is_err()
            {
                return members; // the load failed and stopped listening
            }
        }
        // As above: a closed channel means the load already failed.
        let _ = sender.blocking_send(pending);
        members
    });
    let report = pipeline(store, chunks, validation, &mut |_| {}).await?;
    let members = generating
        .await
        .map_err(|e| Error::Store(format!("synthetic data generation failed: {e}")))?;
    Ok((report, members))
}
