//! `sync_all`: a member's whole record, every patient-linked type the server supports
//! (read from its CapabilityStatement) and the granted scopes allow, searched
//! concurrently within a limit, with progress reports and per-type results. A type that
//! fails does not stop the others: the report says what failed and why.

use std::collections::BTreeMap;
use std::sync::Arc;

use fhir_model::resources::CapabilityStatement;
use fhir_model::{Issue, Resource};
use futures_util::{StreamExt, TryStreamExt};

use crate::error::{Error, Result};
use crate::fhir::search_path;
use crate::grant::resource_scope;
use crate::session::Session;

/// The search parameter that links each type of the CARIN BB 2.0.0 and US Core 6.1.0
/// profiles to the patient (their SearchParameters), used when the CapabilityStatement
/// lists a type without its search parameters.
const PATIENT_TYPES: &[(&str, &str)] = &[
    ("Patient", "_id"),
    ("Coverage", "beneficiary"),
    ("ExplanationOfBenefit", "patient"),
    ("AllergyIntolerance", "patient"),
    ("CarePlan", "patient"),
    ("CareTeam", "patient"),
    ("Condition", "patient"),
    ("Device", "patient"),
    ("DiagnosticReport", "patient"),
    ("DocumentReference", "patient"),
    ("Encounter", "patient"),
    ("Goal", "patient"),
    ("Immunization", "patient"),
    ("MedicationDispense", "patient"),
    ("MedicationRequest", "patient"),
    ("Observation", "patient"),
    ("Procedure", "patient"),
    ("QuestionnaireResponse", "patient"),
    ("RelatedPerson", "patient"),
    ("ServiceRequest", "patient"),
    ("Specimen", "patient"),
];

/// The patient search parameters, in the order they are preferred when a type lists
/// several.
const PATIENT_PARAMS: &[&str] = &["patient", "beneficiary", "subject"];

/// Progress, reported after every page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncProgress {
    /// The type whose page just arrived.
    pub resource_type: String,
    /// Resources of that type so far.
    pub type_resources: usize,
    /// Resources of every type so far.
    pub total_resources: usize,
    /// Types finished.
    pub types_done: usize,
    /// Types in the sync.
    pub types_total: usize,
}

/// A progress callback.
#[cfg(not(target_arch = "wasm32"))]
pub type ProgressFn = Arc<dyn Fn(&SyncProgress) + Send + Sync>;
/// A progress callback.
#[cfg(target_arch = "wasm32")]
pub type ProgressFn = Arc<dyn Fn(&SyncProgress)>;

/// How a sync runs.
#[derive(Clone)]
#[non_exhaustive]
pub struct SyncOptions {
    /// Searches running at once.
    pub concurrency: usize,
    /// The `_count` asked of each page.
    pub page_size: u32,
    /// Only these types (after the CapabilityStatement and the scopes), when set.
    pub types: Option<Vec<String>>,
    /// Only what changed since this instant (`_lastUpdated=ge...`), for incremental syncs.
    pub since: Option<String>,
    /// Called after every page.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("concurrency", &self.concurrency)
            .field("page_size", &self.page_size)
            .field("types", &self.types)
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

impl Default for SyncOptions {
    /// Four searches at once, pages of 100, every type, everything.
    fn default() -> SyncOptions {
        SyncOptions {
            concurrency: 4,
            page_size: 100,
            types: None,
            since: None,
            progress: None,
        }
    }
}

impl SyncOptions {
    /// Runs `n` searches at once (at least one).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Asks for pages of `n`.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Syncs only `types`.
    pub fn types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Syncs only what changed since `instant`.
    pub fn since(mut self, instant: impl Into<String>) -> Self {
        self.since = Some(instant.into());
        self
    }

    /// Reports progress to `callback` after every page.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn on_progress(mut self, callback: impl Fn(&SyncProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Reports progress to `callback` after every page.
    #[cfg(target_arch = "wasm32")]
    pub fn on_progress(mut self, callback: impl Fn(&SyncProgress) + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }
}

/// How one type's sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypeOutcome {
    /// Every page was read.
    Complete,
    /// The server refused it (403: not granted after all, or not served).
    Refused(String),
    /// It failed part-way: what arrived before is kept.
    Failed(Error),
}

/// One type's part of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeReport {
    /// The type.
    pub resource_type: String,
    /// The search that was run.
    pub search: String,
    /// Pages read.
    pub pages: usize,
    /// How it ended.
    pub outcome: TypeOutcome,
}

/// What a sync brought.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncReport {
    /// The patient synced.
    pub patient: String,
    /// The resources, by type.
    pub resources: BTreeMap<String, Vec<Resource>>,
    /// Each type's search and how it ended.
    pub types: Vec<TypeReport>,
    /// Types left out, and why (not served, not granted).
    pub skipped: Vec<(String, String)>,
    /// What lenient parsing kept as JSON, with the page it came from.
    pub issues: Vec<(String, Issue)>,
    /// Anything else worth knowing (the CapabilityStatement could not be read...).
    pub warnings: Vec<String>,
}

impl SyncReport {
    /// Resources of every type.
    pub fn total(&self) -> usize {
        self.resources.values().map(Vec::len).sum()
    }

    /// Whether every type was read whole.
    pub fn is_complete(&self) -> bool {
        self.types
            .iter()
            .all(|t| t.outcome == TypeOutcome::Complete)
    }

    /// Resources per type.
    pub fn counts(&self) -> BTreeMap<&str, usize> {
        self.resources
            .iter()
            .map(|(t, r)| (t.as_str(), r.len()))
            .collect()
    }
}

/// What the sync searches: types with their patient parameter.
struct Plan {
    searches: Vec<(String, String)>,
    skipped: Vec<(String, String)>,
    warnings: Vec<String>,
}

impl Session {
    /// Pulls the whole record of `patient`.
    pub async fn sync_all(&self, patient: &str, options: &SyncOptions) -> Result<SyncReport> {
        let scope = self.grant().await.scope;
        let statement = self.capability_statement().await;
        let plan = plan(statement, &scope, options.types.as_deref());
        let types_total = plan.searches.len();
        let progress = Progress::new(types_total, options.progress.clone());
        let results: Vec<TypeResult> = futures_util::stream::iter(plan.searches)
            .map(|(resource_type, param)| {
                let mut params = vec![
                    (param, patient.to_owned()),
                    ("_count".to_owned(), options.page_size.to_string()),
                ];
                if let Some(since) = &options.since {
                    params.push(("_lastUpdated".to_owned(), format!("ge{since}")));
                }
                let search = search_path(&resource_type, &params);
                self.sync_type(resource_type, search, &progress)
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        let mut report = SyncReport {
            patient: patient.to_owned(),
            resources: BTreeMap::new(),
            types: Vec::new(),
            skipped: plan.skipped,
            issues: Vec::new(),
            warnings: plan.warnings,
        };
        for result in results {
            report.issues.extend(result.issues);
            report
                .resources
                .insert(result.report.resource_type.clone(), result.resources);
            report.types.push(result.report);
        }
        report
            .types
            .sort_by(|a, b| a.resource_type.cmp(&b.resource_type));
        Ok(report)
    }

    /// The record of `patient` through `Patient/$everything`, following its pages; when
    /// the server does not have the operation (404, 405, 400 or 501 on the first page),
    /// through [`Session::sync_all`]'s per-type searches instead, with a warning saying
    /// so. Everything `$everything` returns is kept, the resources the record references
    /// (providers, organizations) included.
    pub async fn everything(&self, patient: &str, options: &SyncOptions) -> Result<SyncReport> {
        let mut params = vec![("_count".to_owned(), options.page_size.to_string())];
        if let Some(since) = &options.since {
            params.push(("_since".to_owned(), since.clone()));
        }
        let search = search_path(&format!("Patient/{patient}/$everything"), &params);
        let mut report = SyncReport {
            patient: patient.to_owned(),
            resources: BTreeMap::new(),
            types: Vec::new(),
            skipped: Vec::new(),
            issues: Vec::new(),
            warnings: Vec::new(),
        };
        let progress = Progress::new(1, options.progress.clone());
        let mut pages_read = 0;
        let mut pages = std::pin::pin!(self.pages(&search));
        let outcome = loop {
            match pages.try_next().await {
                Ok(Some(page)) => {
                    pages_read += 1;
                    report.issues.extend(
                        page.issues
                            .into_iter()
                            .map(|issue| (page.url.clone(), issue)),
                    );
                    // OperationOutcome entries report on the search, not the record.
                    let resources: Vec<Resource> = page
                        .bundle
                        .into_resources()
                        .into_iter()
                        .filter(|r| r.resource_type() != "OperationOutcome")
                        .collect();
                    let added = resources.len();
                    for resource in resources {
                        report
                            .resources
                            .entry(resource.resource_type().to_owned())
                            .or_default()
                            .push(resource);
                    }
                    progress.page("$everything", report.total(), added);
                }
                Ok(None) => break TypeOutcome::Complete,
                Err(Error::Status {
                    status: 400 | 404 | 405 | 501,
                    detail,
                    ..
                }) if pages_read == 0 => {
                    let mut report = self.sync_all(patient, options).await?;
                    report.warnings.insert(
                        0,
                        format!(
                            "no Patient/$everything ({}): per-type searches instead",
                            detail.unwrap_or_default()
                        ),
                    );
                    return Ok(report);
                }
                Err(Error::Status {
                    status: 403,
                    detail,
                    ..
                }) => {
                    break TypeOutcome::Refused(detail.unwrap_or_else(|| "HTTP 403".to_owned()));
                }
                Err(error) => break TypeOutcome::Failed(error),
            }
        };
        progress.type_done("$everything", report.total());
        report.types.push(TypeReport {
            resource_type: "$everything".to_owned(),
            search,
            pages: pages_read,
            outcome,
        });
        Ok(report)
    }

    async fn sync_type(
        &self,
        resource_type: String,
        search: String,
        progress: &Progress,
    ) -> TypeResult {
        let mut result = TypeResult {
            report: TypeReport {
                resource_type: resource_type.clone(),
                search: search.clone(),
                pages: 0,
                outcome: TypeOutcome::Complete,
            },
            resources: Vec::new(),
            issues: Vec::new(),
        };
        let mut pages = std::pin::pin!(self.pages(&search));
        loop {
            match pages.try_next().await {
                Ok(Some(page)) => {
                    result.report.pages += 1;
                    result.issues.extend(
                        page.issues
                            .into_iter()
                            .map(|issue| (page.url.clone(), issue)),
                    );
                    // Only this type's matches: included resources and OperationOutcomes
                    // are not the member's record.
                    let matches = page.bundle.into_matches();
                    let before = result.resources.len();
                    result.resources.extend(
                        matches
                            .into_iter()
                            .filter(|r| r.resource_type() == resource_type),
                    );
                    progress.page(
                        &resource_type,
                        result.resources.len(),
                        result.resources.len() - before,
                    );
                }
                Ok(None) => break,
                Err(Error::Status {
                    status: 403,
                    detail,
                    ..
                }) => {
                    result.report.outcome =
                        TypeOutcome::Refused(detail.unwrap_or_else(|| "HTTP 403".to_owned()));
                    break;
                }
                Err(error) => {
                    result.report.outcome = TypeOutcome::Failed(error);
                    break;
                }
            }
        }
        progress.type_done(&resource_type, result.resources.len());
        result
    }
}

struct TypeResult {
    report: TypeReport,
    resources: Vec<Resource>,
    issues: Vec<(String, Issue)>,
}

/// Totals shared by the concurrent searches, for the progress callback.
struct Progress {
    types_total: usize,
    counts: std::sync::Mutex<(usize, usize)>,
    callback: Option<ProgressFn>,
}

impl Progress {
    fn new(types_total: usize, callback: Option<ProgressFn>) -> Progress {
        Progress {
            types_total,
            counts: std::sync::Mutex::new((0, 0)),
            callback,
        }
    }

    fn page(&self, resource_type: &str, type_resources: usize, added: usize) {
        self.report(resource_type, type_resources, added, 0);
    }

    fn type_done(&self, resource_type: &str, type_resources: usize) {
        self.report(resource_type, type_resources, 0, 1);
    }

    fn report(&self, resource_type: &str, type_resources: usize, added: usize, done: usize) {
        let (total, types_done) = {
            let mut counts = self
                .counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            counts.0 += added;
            counts.1 += done;
            *counts
        };
        if let Some(callback) = &self.callback {
            callback(&SyncProgress {
                resource_type: resource_type.to_owned(),
                type_resources,
                total_resources: total,
                types_done,
                types_total: self.types_total,
            });
        }
    }
}

/// The searches of a sync: the patient-linked types the CapabilityStatement lists as
/// searchable (each with the patient parameter it lists, else the one of
/// [`PATIENT_TYPES`]), less those the granted scopes exclude. Without a readable
/// CapabilityStatement, every type of [`PATIENT_TYPES`] the scopes allow.
fn plan(statement: Result<Arc<CapabilityStatement>>, scope: &str, only: Option<&[String]>) -> Plan {
    let mut plan = Plan {
        searches: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    let served: Vec<(String, Option<String>)> = match statement {
        Ok(statement) => {
            let mut served = Vec::new();
            for resource in statement
                .rest
                .iter()
                .filter(|r| r.mode.value().is_some_and(|m| m == "server"))
                .flat_map(|r| &r.resource)
            {
                let Some(resource_type) = resource.r#type.value() else {
                    continue;
                };
                let searchable = resource.interaction.is_empty()
                    || resource
                        .interaction
                        .iter()
                        .any(|i| i.code.value().is_some_and(|c| c == "search-type"));
                let listed: Vec<&str> = resource
                    .search_param
                    .iter()
                    .filter_map(|p| p.name.value().map(String::as_str))
                    .collect();
                let param = if resource_type == "Patient" {
                    Some("_id".to_owned())
                } else if listed.is_empty() {
                    default_param(resource_type)
                } else {
                    PATIENT_PARAMS
                        .iter()
                        .find(|p| listed.contains(p))
                        .map(|p| (*p).to_owned())
                };
                match (searchable, param) {
                    (true, Some(param)) => served.push((resource_type.clone(), Some(param))),
                    (false, Some(_)) => plan
                        .skipped
                        .push((resource_type.clone(), "not searchable".to_owned())),
                    // Directory and other types not linked to a patient: not the record.
                    (_, None) => {}
                }
            }
            served
        }
        Err(error) => {
            plan.warnings.push(format!(
                "the CapabilityStatement could not be read ({error}): every CARIN and US Core \
                 type is tried"
            ));
            PATIENT_TYPES
                .iter()
                .map(|(t, p)| ((*t).to_owned(), Some((*p).to_owned())))
                .collect()
        }
    };
    let scopes = GrantedScopes::parse(scope);
    for (resource_type, param) in served {
        let Some(param) = param else { continue };
        if only.is_some_and(|only| !only.contains(&resource_type)) {
            continue;
        }
        if !scopes.allows_reading(&resource_type) {
            plan.skipped
                .push((resource_type, "not in the granted scopes".to_owned()));
            continue;
        }
        plan.searches.push((resource_type, param));
    }
    plan
}

fn default_param(resource_type: &str) -> Option<String> {
    PATIENT_TYPES
        .iter()
        .find(|(t, _)| *t == resource_type)
        .map(|(_, p)| (*p).to_owned())
}

/// The resource scopes of a grant, v1 (`patient/Observation.read`) and v2
/// (`patient/Observation.rs?category=...`) alike (SMART App Launch 2.2 section 3).
struct GrantedScopes {
    /// (type or `*`, whether it allows searching).
    resource_scopes: Vec<(String, bool)>,
}

impl GrantedScopes {
    fn parse(scope: &str) -> GrantedScopes {
        let resource_scopes = scope
            .split_ascii_whitespace()
            .filter_map(resource_scope)
            .filter_map(|(target, permissions)| {
                let (_, resource_type) = target.split_once('/')?;
                // v1 `.read` and `.*` come as the v2 letters; `s` is search.
                Some((resource_type.to_owned(), permissions.contains('s')))
            })
            .collect();
        GrantedScopes { resource_scopes }
    }

    /// Whether a search of `resource_type` is granted. A grant without any resource
    /// scope (a server that did not say) allows everything: the server decides.
    fn allows_reading(&self, resource_type: &str) -> bool {
        self.resource_scopes.is_empty()
            || self
                .resource_scopes
                .iter()
                .any(|(t, searches)| *searches && (t == "*" || t == resource_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_of_both_versions_decide_what_is_synced() {
        let scopes = GrantedScopes::parse(
            "launch/patient openid patient/ExplanationOfBenefit.read patient/Coverage.rs \
             patient/Observation.rs?category=laboratory patient/Patient.r offline_access",
        );
        assert!(scopes.allows_reading("ExplanationOfBenefit"));
        assert!(scopes.allows_reading("Coverage"));
        assert!(scopes.allows_reading("Observation"));
        assert!(
            !scopes.allows_reading("Patient"),
            "r without s does not search"
        );
        assert!(!scopes.allows_reading("Condition"));
        assert!(GrantedScopes::parse("patient/*.rs").allows_reading("Condition"));
        assert!(GrantedScopes::parse("openid").allows_reading("Condition"));
    }
}
