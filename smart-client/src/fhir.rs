//! FHIR REST through a [`Session`]: typed reads and searches, pages as an async stream
//! that follows `next` links while they stay on the FHIR server's origin, and the
//! CapabilityStatement. Bodies are read strictly or leniently as the session says.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::Arc;

use fhir_model::resources::{Bundle, CapabilityStatement};
use fhir_model::{Issue, Resource, TypedResource};
use futures_util::Stream;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, origin};
use crate::session::{Parsing, Session};

/// The longest piece of an error body kept in [`Error::Status`].
const MAX_DETAIL: usize = 300;

/// One page of a search: its Bundle, and the issues lenient parsing found in it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page {
    /// The URL this page was read from.
    pub url: String,
    /// The searchset Bundle.
    pub bundle: Bundle,
    /// What lenient parsing kept as JSON (always empty when parsing is strict).
    pub issues: Vec<Issue>,
}

impl Page {
    /// The matches (`search.mode` `match` or unset), without includes and outcomes.
    pub fn matches(&self) -> impl Iterator<Item = &Resource> {
        self.bundle.matches()
    }
}

impl Session {
    /// The absolute URL of `path` (`Patient/1`, `ExplanationOfBenefit?patient=1`) under
    /// the FHIR base; an absolute URL must be on the base's origin.
    pub(crate) fn fhir_url(&self, path: &str) -> Result<String> {
        if path.starts_with("https://") || path.starts_with("http://") {
            if origin(path).is_some() && origin(path) == origin(self.fhir_base()) {
                return Ok(path.to_owned());
            }
            return Err(Error::OffOrigin {
                url: path.to_owned(),
                fhir_base: self.fhir_base().to_owned(),
            });
        }
        Ok(format!(
            "{}/{}",
            self.fhir_base(),
            path.trim_start_matches('/')
        ))
    }

    /// `GET` of `path` (relative to the FHIR base, or absolute on its origin) with the
    /// access token, asking for FHIR JSON; any status but 2xx is [`Error::Status`].
    pub async fn get(&self, path: &str) -> Result<HttpResponse> {
        let url = self.fhir_url(path)?;
        let response = self
            .send(HttpRequest::get(&url).header("Accept", &self.options().accept))
            .await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(status_error("GET", url, &response))
        }
    }

    /// Reads `T` with id `id` (`GET [base]/T/id`).
    pub async fn read<T: TypedResource>(&self, id: &str) -> Result<T> {
        Ok(self.read_with_issues::<T>(id).await?.0)
    }

    /// Reads `T` with id `id`, with what lenient parsing kept as JSON.
    pub async fn read_with_issues<T: TypedResource>(&self, id: &str) -> Result<(T, Vec<Issue>)> {
        let path = format!("{}/{id}", T::RESOURCE_TYPE);
        let response = self.get(&path).await?;
        let url = self.fhir_url(&path)?;
        let (resource, issues) = self.parse(&url, &response)?;
        let resource = T::try_from(resource).map_err(|other| Error::Fhir {
            url,
            message: format!(
                "expected a {}, got a {}",
                T::RESOURCE_TYPE,
                other.resource_type()
            ),
        })?;
        Ok((resource, issues))
    }

    /// A search of `T` (`GET [base]/T?...`).
    pub fn search<T: TypedResource>(&self) -> Search<'_, T> {
        Search {
            session: self,
            resource_type: T::RESOURCE_TYPE.to_owned(),
            params: Vec::new(),
            typed: PhantomData,
        }
    }

    /// The pages of a search starting at `path`, following `next` links. A link to
    /// another origin ends the stream with [`Error::OffOrigin`]; a link seen before
    /// (a server that pages in circles) ends it with [`Error::Fhir`].
    pub fn pages<'a>(&'a self, path: &str) -> impl Stream<Item = Result<Page>> + use<'a> {
        let first = self.fhir_url(path);
        let state = (Some(first), BTreeSet::<String>::new());
        futures_util::stream::try_unfold(state, move |(next, mut seen)| async move {
            let Some(url) = next else {
                return Ok(None);
            };
            let url = url?;
            if !seen.insert(url.clone()) {
                return Err(Error::Fhir {
                    url,
                    message: "the next link repeats an earlier page".to_owned(),
                });
            }
            let response = self.get(&url).await?;
            let (resource, issues) = self.parse(&url, &response)?;
            let Resource::Bundle(bundle) = resource else {
                return Err(Error::Fhir {
                    url,
                    message: format!("expected a Bundle, got a {}", resource.resource_type()),
                });
            };
            // Resolved like a URL: some servers send `/fhir/...` or a bare `?page=2`.
            let next = bundle
                .next_link()
                .map(|link| self.fhir_url(&resolve_link(&url, link)));
            Ok(Some((
                Page {
                    url,
                    bundle: *bundle,
                    issues,
                },
                (next, seen),
            )))
        })
    }

    /// The server's CapabilityStatement (`GET [base]/metadata`), read once per session.
    pub async fn capability_statement(&self) -> Result<Arc<CapabilityStatement>> {
        let mut cached = self.capability_cache().lock().await;
        if let Some(statement) = cached.as_ref() {
            return Ok(statement.clone());
        }
        let response = self.get("metadata").await?;
        let url = self.fhir_url("metadata")?;
        let statement = match self.parse(&url, &response)?.0 {
            Resource::CapabilityStatement(statement) => Arc::new(*statement),
            other => {
                return Err(Error::Fhir {
                    url,
                    message: format!(
                        "expected a CapabilityStatement, got a {}",
                        other.resource_type()
                    ),
                });
            }
        };
        *cached = Some(statement.clone());
        Ok(statement)
    }

    /// The resource in `response`, read as the session's parsing mode says.
    pub(crate) fn parse(
        &self,
        url: &str,
        response: &HttpResponse,
    ) -> Result<(Resource, Vec<Issue>)> {
        let text = std::str::from_utf8(&response.body).map_err(|e| Error::Fhir {
            url: url.to_owned(),
            message: format!("the body is not UTF-8: {e}"),
        })?;
        let text = text.trim_start_matches('\u{feff}');
        match self.options().parsing {
            Parsing::Strict => fhir_model::from_json(text)
                .map(|resource| (resource, Vec::new()))
                .map_err(|e| Error::Fhir {
                    url: url.to_owned(),
                    message: e.to_string(),
                }),
            Parsing::Lenient => match fhir_model::from_json_lenient(text) {
                (Some(resource), issues) => Ok((resource, issues)),
                (None, issues) => Err(Error::Fhir {
                    url: url.to_owned(),
                    message: issues
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                }),
            },
        }
    }
}

/// `link` (from the page at `page_url`) made absolute: as is when absolute, on the
/// origin when it starts with `/`, the page's own path with a new query when it starts
/// with `?`, under the FHIR base otherwise (what [`Session::fhir_url`] does).
fn resolve_link(page_url: &str, link: &str) -> String {
    if let Some(query) = link.strip_prefix('?') {
        let path = page_url.split('?').next().unwrap_or(page_url);
        return format!("{path}?{query}");
    }
    if link.starts_with('/') {
        return crate::discovery::resolve(page_url, link);
    }
    link.to_owned()
}

/// [`Error::Status`] for `response`, with the OperationOutcome's words when it has one.
pub(crate) fn status_error(method: &'static str, url: String, response: &HttpResponse) -> Error {
    let text = response.text();
    let outcome = serde_json::from_str::<Value>(&text).ok().and_then(|value| {
        let issue = value.get("issue")?.get(0)?;
        issue
            .get("diagnostics")
            .or_else(|| issue.get("details")?.get("text"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let detail = outcome.or_else(|| {
        let start: String = text.trim().chars().take(MAX_DETAIL).collect();
        (!start.is_empty()).then_some(start)
    });
    Error::Status {
        method,
        url,
        status: response.status,
        detail,
    }
}

/// A search being built: `session.search::<ExplanationOfBenefit>().patient(id)
/// .param("service-date", "ge2024-01-01")`.
#[derive(Debug, Clone)]
#[must_use = "a search does nothing until its pages are read"]
pub struct Search<'s, T> {
    session: &'s Session,
    resource_type: String,
    params: Vec<(String, String)>,
    typed: PhantomData<fn() -> T>,
}

impl<'s, T: TypedResource> Search<'s, T> {
    /// Adds `name=value` (repeat a name for AND, join values with `,` for OR).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// `patient=<id>`.
    pub fn patient(self, id: &str) -> Self {
        self.param("patient", id)
    }

    /// `_count=<n>`: the page size asked for.
    pub fn count(self, n: u32) -> Self {
        self.param("_count", n.to_string())
    }

    /// `_lastUpdated=ge<instant>`: what changed since a previous sync.
    pub fn updated_since(self, instant: &str) -> Self {
        self.param("_lastUpdated", format!("ge{instant}"))
    }

    /// The search's path under the FHIR base.
    pub fn path(&self) -> String {
        search_path(&self.resource_type, &self.params)
    }

    /// The pages, following `next` links.
    pub fn pages(self) -> impl Stream<Item = Result<Page>> + 's {
        let path = self.path();
        self.session.pages(&path)
    }

    /// Every match of every page, as `T`.
    pub async fn all(self) -> Result<Vec<T>> {
        use futures_util::TryStreamExt;
        let mut out = Vec::new();
        let mut pages = std::pin::pin!(self.pages());
        while let Some(page) = pages.try_next().await? {
            out.extend(
                page.bundle
                    .into_matches()
                    .into_iter()
                    .filter_map(|r| T::try_from(r).ok()),
            );
        }
        Ok(out)
    }
}

/// `Type?name=value&...`, form-encoded: a search's path under the FHIR base.
pub fn search_path(resource_type: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        return resource_type.to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{resource_type}?{query}")
}
