//! A FHIR Bulk Data `$export` client (Bulk Data Access IG 2.0, `export.html`), for
//! Provider Access and Payer-to-Payer: the kick-off (`Prefer: respond-async`), polling the
//! status URL as `Retry-After` says, the manifest, and each NDJSON file as a stream of
//! resources, read as it arrives (files can be larger than memory).
//!
//! The access token goes only where it should: with a file whose manifest says
//! `requiresAccessToken: true`, and only on the FHIR server's origin (a token-requiring
//! file elsewhere is [`Error::OffOrigin`]); a file that does not need it (pre-signed
//! object storage) is fetched without it.

use std::time::Duration;

use fhir_model::Issue;
use fhir_model::Resource;
use futures_util::future::Either;
use futures_util::{Stream, StreamExt};
use serde_json::Value;

use crate::discovery::resolve;
use crate::error::{Error, Result};
use crate::fhir::{search_path, status_error};
use crate::http::{HttpRequest, Method, origin};
use crate::session::{Parsing, Session};

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportRequest {
    /// The operation's path: `Patient/$export`, `Group/<id>/$export` or `$export`.
    pub path: String,
    /// `_type`: only these resource types.
    pub types: Vec<String>,
    /// `_since`: only what changed since this instant.
    pub since: Option<String>,
    /// `_typeFilter`: searches that narrow a type (`Observation?category=laboratory`).
    pub type_filters: Vec<String>,
}

impl ExportRequest {
    /// Every patient's data (`Patient/$export`).
    pub fn patients() -> ExportRequest {
        ExportRequest::at("Patient/$export")
    }

    /// The data of the patients of a Group (`Group/<id>/$export`): how Provider Access
    /// exports a provider's attributed members.
    pub fn group(id: &str) -> ExportRequest {
        ExportRequest::at(&format!("Group/{id}/$export"))
    }

    /// Everything (`$export`).
    pub fn system() -> ExportRequest {
        ExportRequest::at("$export")
    }

    fn at(path: &str) -> ExportRequest {
        ExportRequest {
            path: path.to_owned(),
            types: Vec::new(),
            since: None,
            type_filters: Vec::new(),
        }
    }

    /// Only `types`.
    pub fn types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Only what changed since `instant`.
    pub fn since(mut self, instant: impl Into<String>) -> Self {
        self.since = Some(instant.into());
        self
    }

    /// Narrows a type with a search (`Observation?category=laboratory`).
    pub fn type_filter(mut self, filter: impl Into<String>) -> Self {
        self.type_filters.push(filter.into());
        self
    }

    fn kick_off_path(&self) -> String {
        let mut params = vec![(
            "_outputFormat".to_owned(),
            "application/fhir+ndjson".to_owned(),
        )];
        if !self.types.is_empty() {
            params.push(("_type".to_owned(), self.types.join(",")));
        }
        if let Some(since) = &self.since {
            params.push(("_since".to_owned(), since.clone()));
        }
        for filter in &self.type_filters {
            params.push(("_typeFilter".to_owned(), filter.clone()));
        }
        search_path(&self.path, &params)
    }
}

/// An export the server accepted: where its status is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportJob {
    /// The status URL (`Content-Location` of the kick-off answer).
    pub status_url: String,
}

/// Where an export is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExportStatus {
    /// Still running.
    InProgress {
        /// `X-Progress`, when the server says.
        progress: Option<String>,
        /// How long the server asks to wait before asking again (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// Done: the manifest.
    Complete(ExportManifest),
}

/// The manifest of a finished export.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExportManifest {
    /// `transactionTime`: the next incremental export's `_since`.
    pub transaction_time: String,
    /// Whether the files need the access token.
    pub requires_access_token: bool,
    /// The data files.
    pub output: Vec<ExportFile>,
    /// The files of OperationOutcomes about what could not be exported.
    pub error: Vec<ExportFile>,
}

/// One file of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportFile {
    /// The resource type in it.
    pub resource_type: String,
    /// Where it is.
    pub url: String,
    /// How many resources it holds, when the server says.
    pub count: Option<u64>,
}

/// One resource of an NDJSON file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExportedResource {
    /// Its line number in the file, from 1.
    pub line: usize,
    /// The resource.
    pub resource: Resource,
    /// What lenient parsing kept as JSON (always empty when parsing is strict).
    pub issues: Vec<Issue>,
}

/// How long to wait between polls when the server does not say, and in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// The first wait when the server sends no `Retry-After`, doubled each poll; also the
    /// shortest wait, whatever the server asks.
    pub interval: Duration,
    /// The longest wait the server may ask for at once.
    pub max_interval: Duration,
    /// Give up after this long in all.
    pub deadline: Duration,
}

impl Default for PollPolicy {
    /// Two seconds, doubling up to a minute; an hour in all.
    fn default() -> PollPolicy {
        PollPolicy {
            interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(60),
            deadline: Duration::from_secs(3600),
        }
    }
}

impl PollPolicy {
    /// Polls every `interval` (or as the server asks, up to `max_interval`) for at most
    /// `deadline`.
    pub fn new(interval: Duration, max_interval: Duration, deadline: Duration) -> PollPolicy {
        PollPolicy {
            interval,
            max_interval,
            deadline,
        }
    }
}

impl Session {
    /// Starts an export: the job whose status to poll.
    pub async fn export(&self, request: &ExportRequest) -> Result<ExportJob> {
        let url = self.fhir_url(&request.kick_off_path())?;
        let kick_off = HttpRequest::get(&url)
            .header("Accept", "application/fhir+json")
            .header("Prefer", "respond-async");
        let response = self.send(kick_off).await?;
        if response.status != 202 {
            if response.is_success() {
                return Err(Error::Export {
                    url,
                    message: format!(
                        "the kick-off answered {} instead of 202 Accepted: not an asynchronous export",
                        response.status
                    ),
                });
            }
            return Err(status_error("GET", url, &response));
        }
        let location = response
            .header_value("Content-Location")
            .ok_or_else(|| Error::Export {
                url: url.clone(),
                message: "202 Accepted without a Content-Location (the status URL)".to_owned(),
            })?;
        // Resolved like a URL (`/status/1` is on the origin); off the FHIR origin the
        // access token does not follow it: OffOrigin.
        let status_url = self.fhir_url(&resolve(self.fhir_base(), location))?;
        Ok(ExportJob { status_url })
    }

    /// Asks where `job` is.
    pub async fn export_status(&self, job: &ExportJob) -> Result<ExportStatus> {
        let request = HttpRequest::get(&job.status_url).header("Accept", "application/json");
        let response = self.send(request).await?;
        match response.status {
            202 => Ok(ExportStatus::InProgress {
                progress: response.header_value("X-Progress").map(str::to_owned),
                retry_after: response
                    .header_value("Retry-After")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
            }),
            200 => manifest(&job.status_url, &response.text()).map(ExportStatus::Complete),
            _ => Err(status_error("GET", job.status_url.clone(), &response)),
        }
    }

    /// Polls `job` until it is done, waiting as the server asks (`Retry-After`) or as
    /// `poll` says, and no longer than its deadline.
    pub async fn export_wait(&self, job: &ExportJob, poll: PollPolicy) -> Result<ExportManifest> {
        let mut waited = Duration::ZERO;
        let mut interval = poll.interval;
        loop {
            let (progress, retry_after) = match self.export_status(job).await? {
                ExportStatus::Complete(manifest) => return Ok(manifest),
                ExportStatus::InProgress {
                    progress,
                    retry_after,
                } => (progress, retry_after),
            };
            // Never sooner than the policy's first interval, whatever the server says: a
            // `Retry-After: 0` on every poll would otherwise be a busy loop.
            let wait = retry_after
                .map_or(interval, |asked| asked.max(poll.interval))
                .min(poll.max_interval);
            if waited + wait > poll.deadline {
                return Err(Error::Export {
                    url: job.status_url.clone(),
                    message: format!(
                        "not done after {} s ({}): the job is left running; poll it again or \
                         cancel it",
                        waited.as_secs(),
                        progress.unwrap_or_else(|| "no progress reported".to_owned())
                    ),
                });
            }
            self.http().sleep(wait).await;
            waited += wait;
            interval = (interval * 2).min(poll.max_interval);
        }
    }

    /// Cancels `job` (or deletes its files once done): `DELETE` of its status URL.
    pub async fn export_cancel(&self, job: &ExportJob) -> Result<()> {
        let request = HttpRequest {
            method: Method::Delete,
            ..HttpRequest::get(&job.status_url)
        };
        let response = self.send(request).await?;
        if response.is_success() {
            Ok(())
        } else {
            Err(status_error("DELETE", job.status_url.clone(), &response))
        }
    }

    /// The resources of `file`, line by line as they arrive.
    pub fn export_download<'a>(
        &'a self,
        manifest: &ExportManifest,
        file: &ExportFile,
    ) -> impl Stream<Item = Result<ExportedResource>> + use<'a> {
        let url = file.url.clone();
        let with_token = manifest.requires_access_token;
        futures_util::stream::once(async move { self.open_file(url, with_token).await }).flat_map(
            |opened| match opened {
                Ok(lines) => Either::Left(lines),
                Err(error) => Either::Right(futures_util::stream::once(async move { Err(error) })),
            },
        )
    }

    /// The lines of the file at `url`, parsed.
    async fn open_file(
        &self,
        url: String,
        with_token: bool,
    ) -> Result<impl Stream<Item = Result<ExportedResource>> + use<'_>> {
        let request = HttpRequest::get(&url).header("Accept", "application/fhir+ndjson");
        let response = if with_token {
            if origin(&url).is_none() || origin(&url) != origin(self.fhir_base()) {
                return Err(Error::OffOrigin {
                    url,
                    fhir_base: self.fhir_base().to_owned(),
                });
            }
            let token = self.access_token().await?;
            let request = request.header("Authorization", format!("Bearer {token}"));
            self.http().send_streaming(request).await?
        } else {
            self.http().send_streaming(request).await?
        };
        if !(200..300).contains(&response.status) {
            let whole = response.into_response().await?;
            return Err(status_error("GET", url, &whole));
        }
        let parsing = self.options().parsing;
        Ok(ndjson_lines(response.body).map(move |line| {
            let (number, text) = line?;
            parse_line(&url, number, &text, parsing)
        }))
    }
}

/// The manifest in `body`.
fn manifest(status_url: &str, body: &str) -> Result<ExportManifest> {
    let fail = |message: String| Error::Export {
        url: status_url.to_owned(),
        message,
    };
    let value: Value =
        serde_json::from_str(body).map_err(|e| fail(format!("the manifest is not JSON: {e}")))?;
    let files = |key: &str| -> Result<Vec<ExportFile>> {
        value
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, file)| {
                let text = |name: &str| file.get(name).and_then(Value::as_str).map(str::to_owned);
                Ok(ExportFile {
                    resource_type: text("type")
                        .ok_or_else(|| fail(format!("{key}[{i}] has no type")))?,
                    url: text("url").ok_or_else(|| fail(format!("{key}[{i}] has no url")))?,
                    count: file.get("count").and_then(Value::as_u64),
                })
            })
            .collect()
    };
    Ok(ExportManifest {
        transaction_time: value
            .get("transactionTime")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("the manifest has no transactionTime".to_owned()))?
            .to_owned(),
        requires_access_token: value
            .get("requiresAccessToken")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        output: files("output")?,
        error: files("error")?,
    })
}

fn parse_line(url: &str, number: usize, text: &str, parsing: Parsing) -> Result<ExportedResource> {
    let at = || format!("{url} line {number}");
    let (resource, issues) = match parsing {
        Parsing::Strict => fhir_model::from_json(text)
            .map(|resource| (resource, Vec::new()))
            .map_err(|e| Error::Fhir {
                url: at(),
                message: e.to_string(),
            })?,
        Parsing::Lenient => match fhir_model::from_json_lenient(text) {
            (Some(resource), issues) => (resource, issues),
            (None, issues) => {
                return Err(Error::Fhir {
                    url: at(),
                    message: issues
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
        },
    };
    Ok(ExportedResource {
        line: number,
        resource,
        issues,
    })
}

/// The non-blank lines of a chunked body, numbered from 1 (blank lines count), however
/// the chunks cut them.
fn ndjson_lines<S>(chunks: S) -> impl Stream<Item = Result<(usize, String)>>
where
    S: Stream<Item = Result<Vec<u8>>> + Unpin,
{
    struct State<S> {
        chunks: S,
        buffer: Vec<u8>,
        line: usize,
        done: bool,
    }
    let state = State {
        chunks,
        buffer: Vec::new(),
        line: 0,
        done: false,
    };
    futures_util::stream::try_unfold(state, |mut state| async move {
        loop {
            if let Some(end) = state.buffer.iter().position(|b| *b == b'\n') {
                let rest = state.buffer.split_off(end + 1);
                let raw = std::mem::replace(&mut state.buffer, rest);
                state.line += 1;
                let text = String::from_utf8_lossy(&raw).trim().to_owned();
                if !text.is_empty() {
                    return Ok(Some(((state.line, text), state)));
                }
                continue;
            }
            if state.done {
                if state.buffer.is_empty() {
                    return Ok(None);
                }
                state.line += 1;
                let text = String::from_utf8_lossy(&std::mem::take(&mut state.buffer))
                    .trim()
                    .to_owned();
                if text.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(((state.line, text), state)));
            }
            match state.chunks.next().await {
                Some(chunk) => state.buffer.extend_from_slice(&chunk?),
                None => state.done = true,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    #[test]
    fn lines_survive_any_chunking_and_keep_their_numbers() -> Result<()> {
        let text = b"{\"a\":1}\n\n{\"b\":\"\xc3\xa9\"}\r\n{\"c\":3}";
        for cut in 1..text.len() {
            let chunks: Vec<Result<Vec<u8>>> =
                vec![Ok(text[..cut].to_vec()), Ok(text[cut..].to_vec())];
            let lines: Vec<(usize, String)> = futures_util::FutureExt::now_or_never(
                ndjson_lines(futures_util::stream::iter(chunks)).try_collect(),
            )
            .unwrap_or(Ok(Vec::new()))?;
            assert_eq!(
                lines,
                [
                    (1, "{\"a\":1}".to_owned()),
                    (3, "{\"b\":\"é\"}".to_owned()),
                    (4, "{\"c\":3}".to_owned())
                ],
                "cut at {cut}"
            );
        }
        Ok(())
    }

    #[test]
    fn the_kick_off_asks_ndjson_with_the_filters() {
        let path = ExportRequest::group("g1")
            .types(["Patient", "ExplanationOfBenefit"])
            .since("2026-01-01T00:00:00Z")
            .type_filter("ExplanationOfBenefit?type=pharmacy")
            .kick_off_path();
        assert_eq!(
            path,
            "Group/g1/$export?_outputFormat=application%2Ffhir%2Bndjson\
             &_type=Patient%2CExplanationOfBenefit&_since=2026-01-01T00%3A00%3A00Z\
             &_typeFilter=ExplanationOfBenefit%3Ftype%3Dpharmacy"
        );
    }

    #[test]
    fn manifests_without_what_is_required_say_what_is_missing() {
        let error = manifest("https://p.example/status/1", r#"{"output": []}"#).err();
        assert!(error.is_some_and(|e| e.to_string().contains("no transactionTime")));
        let error = manifest(
            "https://p.example/status/1",
            r#"{"transactionTime": "2026-12-04T00:00:00Z", "output": [{"type": "Patient"}]}"#,
        )
        .err();
        assert!(error.is_some_and(|e| e.to_string().contains("output[0] has no url")));
    }
}
