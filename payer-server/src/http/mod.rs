//! The FHIR REST API over axum: `metadata`, read, vread, search (GET and POST `_search`),
//! with conditional reads (`ETag`, `Last-Modified`, `If-None-Match`) and an
//! `OperationOutcome` for every error. [`router`] returns an axum `Router` (a tower
//! `Service`) a payer can serve directly or nest in its own application.

mod bundle;
mod capability;
mod everything;
mod include;
mod write;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::access::{
    AuditAction, AuditEvent, AuditSink, Authorizer, Grant, Interaction, MemoryAuditSink, OpenAccess,
};
use crate::error::Error;
use crate::search::SearchQuery;
use crate::store::{ResourceStore, StoredResource};

/// The FHIR JSON media type every response uses.
const FHIR_JSON: &str = "application/fhir+json";

/// Largest request body accepted (a `_search` form); larger requests get a 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How the server is reached, what it serves, who may read it and where accesses are
/// recorded.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The FHIR base URL clients use (`http://127.0.0.1:8080/fhir`), for `fullUrl`s and
    /// paging links.
    pub base_url: String,
    /// The resource types served.
    pub resource_types: Vec<String>,
    /// Accept transaction and batch Bundles (`POST` to the base). Off by default: until
    /// the authorization server guards them, writes are for loopback administration.
    pub writes: Option<crate::ingest::Validation>,
    /// Decides what each request may read ([`OpenAccess`] unless set).
    pub authorizer: Arc<dyn Authorizer>,
    /// Receives every access ([`MemoryAuditSink`] of the last 10,000 unless set).
    pub audit: Arc<dyn AuditSink>,
    /// The authorization server's `.well-known/smart-configuration`, served at the FHIR
    /// base and summarised in the CapabilityStatement's `rest.security`; `None` when no
    /// SMART server guards the API.
    pub smart_configuration: Option<serde_json::Value>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("base_url", &self.base_url)
            .field("resource_types", &self.resource_types)
            .field("writes", &self.writes)
            .finish_non_exhaustive()
    }
}

/// The resource types of the Patient Access API: CARIN BB claims and coverage, US Core
/// clinical data, and the resources they reference.
pub const PATIENT_ACCESS_TYPES: &[&str] = &[
    "AllergyIntolerance",
    "CarePlan",
    "CareTeam",
    "Condition",
    "Coverage",
    "Device",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "ExplanationOfBenefit",
    "Goal",
    "Immunization",
    "Location",
    "Medication",
    "MedicationDispense",
    "MedicationRequest",
    "Observation",
    "Organization",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "RelatedPerson",
    "ServiceRequest",
    "Specimen",
];

/// The resource types of the Provider Directory API (Da Vinci Plan-Net 1.1.0: its nine
/// profiles, the network and the organization both being `Organization`s).
pub const PLAN_NET_TYPES: &[&str] = &[
    "Endpoint",
    "HealthcareService",
    "InsurancePlan",
    "Location",
    "Organization",
    "OrganizationAffiliation",
    "Practitioner",
    "PractitionerRole",
];

impl ServerConfig {
    /// The public Provider Directory API at `base_url` (CMS-9115-F): the Plan-Net types,
    /// read and searched without authorization, read-only. Served from the same store as
    /// the member APIs, it never answers with anything else: other types are not found,
    /// and includes, revincludes and chains may only reach directory types.
    pub fn directory(base_url: impl Into<String>) -> Self {
        ServerConfig {
            resource_types: PLAN_NET_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            ..ServerConfig::new(base_url)
        }
    }

    /// Serves the Patient Access resource types at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        ServerConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            resource_types: PATIENT_ACCESS_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            writes: None,
            authorizer: Arc::new(OpenAccess),
            audit: Arc::new(MemoryAuditSink::new(10_000)),
            smart_configuration: None,
        }
    }

    /// Publishes a SMART authorization server's configuration
    /// ([`crate::auth::AuthServer::smart_configuration`]). The authorizer is set apart
    /// ([`ServerConfig::with_authorizer`]).
    pub fn with_smart_configuration(mut self, configuration: serde_json::Value) -> Self {
        self.smart_configuration = Some(configuration);
        self
    }

    /// Asks `authorizer` what each request may read.
    pub fn with_authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    /// Records every access in `audit`.
    pub fn with_audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = audit;
        self
    }

    /// Also accepts transaction and batch Bundles, validating each resource as
    /// `validation` says.
    pub fn with_writes(mut self, validation: crate::ingest::Validation) -> Self {
        self.writes = Some(validation);
        self
    }

    fn serves(&self, resource_type: &str) -> bool {
        self.resource_types.iter().any(|t| t == resource_type)
    }

    /// Refuses a search whose revincludes or chains would reach a type this base does not
    /// serve (member data from the directory base, say); includes of such types are left
    /// out of the page instead (`_include=*` names no type).
    fn check_reach(&self, query: &SearchQuery) -> Result<(), Error> {
        let not_served = |name: &str, resource_type: &str| {
            Err(Error::invalid_param(
                name,
                &format!("{resource_type} is not served at {}", self.base_url),
            ))
        };
        for include in &query.revincludes {
            if !self.serves(&include.source_type) {
                return not_served("_revinclude", &include.source_type);
            }
        }
        for target in query
            .includes
            .iter()
            .filter_map(|i| i.target_type.as_deref())
        {
            if !self.serves(target) {
                return not_served("_include", target);
            }
        }
        let landings = query.clauses.iter().flat_map(|clause| &clause.links);
        for landing in landings.map(|link| link.landing_type()) {
            if !self.serves(landing) {
                return not_served("chained parameter", landing);
            }
        }
        Ok(())
    }
}

struct AppState<S> {
    store: S,
    config: ServerConfig,
    capability: String,
}

impl<S> AppState<S> {
    /// The request's grant; a refusal is audited here.
    async fn grant(
        &self,
        headers: &HeaderMap,
        action: AuditAction,
        resource_type: &str,
    ) -> Result<Grant, Error> {
        let grant = self.config.authorizer.authorize(headers).await;
        if let Err(e) = &grant {
            self.audit(None, action, resource_type, Err(e));
        }
        grant
    }

    /// Records an access: the resources sent, or the error answered.
    fn audit(
        &self,
        grant: Option<&Grant>,
        action: AuditAction,
        resource_type: &str,
        outcome: Result<Vec<String>, &Error>,
    ) {
        let (status, resources) = match outcome {
            Ok(resources) => (200, resources),
            Err(e) => (e.status(), Vec::new()),
        };
        self.config.audit.record(AuditEvent {
            at_ms: chrono::Utc::now().timestamp_millis(),
            subject: grant.map(|g| g.subject.clone()),
            client_id: grant.and_then(|g| g.client_id.clone()),
            action,
            resource_type: resource_type.to_owned(),
            status,
            resources,
        });
    }
}

/// `Type/id` of each resource, for the audit trail.
fn resource_keys<'a>(resources: impl IntoIterator<Item = &'a StoredResource>) -> Vec<String> {
    resources
        .into_iter()
        .map(|r| format!("{}/{}", r.resource_type, r.id))
        .collect()
}

/// The FHIR API over `store`, as an axum `Router` rooted at the FHIR base.
pub fn router<S: ResourceStore>(store: S, config: ServerConfig) -> Router {
    let capability = capability::capability_statement(&config);
    let state = Arc::new(AppState {
        store,
        config,
        capability,
    });
    Router::new()
        .route(
            "/",
            axum::routing::post(bundle::transaction::<S>)
                .layer(DefaultBodyLimit::max(bundle::MAX_BUNDLE_BYTES)),
        )
        .route("/metadata", get(metadata::<S>))
        .route(
            "/.well-known/smart-configuration",
            get(smart_configuration::<S>),
        )
        .route(
            "/{resource_type}",
            get(search_get::<S>).post(write::create::<S>),
        )
        .route(
            "/{resource_type}/_search",
            axum::routing::post(search_post::<S>),
        )
        .route(
            "/{resource_type}/{id}",
            get(read::<S>)
                .put(write::update::<S>)
                .delete(write::delete::<S>),
        )
        .route("/{resource_type}/{id}/_history/{version}", get(vread::<S>))
        .route(
            "/{resource_type}/{id}/{operation}",
            get(everything::everything::<S>),
        )
        .fallback(unknown_route)
        .layer(axum::middleware::from_fn(require_json))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(cors())
        .with_state(state)
}

/// Cross-origin access for browser apps (SMART App Launch 2.2: the token endpoint, the
/// FHIR API and discovery must answer CORS requests): any origin, no cookies (tokens go in
/// the `Authorization` header, so any origin is safe), preflights answered here.
pub(crate) fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("prefer"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LAST_MODIFIED,
            header::CONTENT_LOCATION,
        ])
        .max_age(std::time::Duration::from_secs(3600))
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let outcome = fhir_model::Resource::from(self.to_operation_outcome());
        let mut response = fhir_response(status, fhir_model::to_json(&outcome));
        match self {
            // RFC 6750 section 3: a 401 names the scheme the client should use.
            Error::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // RFC 9110 section 10.2.3: when to try again (a database restart takes
            // seconds).
            Error::Unavailable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

fn fhir_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))],
        body,
    )
        .into_response()
}

/// Answers 406 when the client asks only for a format other than FHIR JSON, through
/// `_format` or `Accept` (FHIR R4 http, "Content Types and encodings").
async fn require_json(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let json = |t: &str| {
        let t = t.split(';').next().unwrap_or("").trim();
        matches!(
            t,
            "json"
                | "application/json"
                | "application/fhir+json"
                | "application/json+fhir"
                | "*/*"
                | "application/*"
                | ""
        )
    };
    let format = request.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|p| p.strip_prefix("_format="))
            .map(|v| percent_decode(v).unwrap_or_default())
    });
    if let Some(format) = format.filter(|f| !json(f)) {
        return Error::NotAcceptable(format!(
            "_format={format}: this server answers in FHIR JSON only"
        ))
        .into_response();
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(accept) = accept.filter(|a| !a.split(',').any(json)) {
        return Error::NotAcceptable(format!(
            "Accept: {accept}: this server answers in FHIR JSON only"
        ))
        .into_response();
    }
    next.run(request).await
}

async fn unknown_route() -> Error {
    Error::NotFound("no such FHIR endpoint on this server".to_owned())
}

/// SMART App Launch 2.2 section 2.0.3; 404 when no SMART server guards the API.
async fn smart_configuration<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
) -> Result<Response, Error> {
    let configuration = state.config.smart_configuration.as_ref().ok_or_else(|| {
        Error::NotFound("no SMART authorization server guards this FHIR API".to_owned())
    })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        configuration.to_string(),
    )
        .into_response())
}

async fn metadata<S: ResourceStore>(State(state): State<Arc<AppState<S>>>) -> Response {
    fhir_response(StatusCode::OK, state.capability.clone())
}

fn check_type<S>(state: &AppState<S>, resource_type: &str) -> Result<(), Error> {
    if state.config.serves(resource_type) {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "resource type {resource_type} on this server"
        )))
    }
}

async fn read<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path((resource_type, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    read_version(&state, &resource_type, &id, None, &headers).await
}

async fn vread<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path((resource_type, id, version)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    read_version(&state, &resource_type, &id, Some(&version), &headers).await
}

/// read (`version` `None`) and vread, audited. A resource the grant does not cover is
/// "not found" like one that does not exist.
async fn read_version<S: ResourceStore>(
    state: &AppState<S>,
    resource_type: &str,
    id: &str,
    version: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    let grant = state
        .grant(headers, AuditAction::Read, resource_type)
        .await?;
    let read = async {
        check_type(state, resource_type)?;
        grant.check(resource_type, Interaction::Read)?;
        let resource = match version {
            None => state.store.read(resource_type, id).await?,
            Some(version) => {
                let version: u64 = version.parse().map_err(|_| {
                    Error::NotFound(format!("{resource_type}/{id}/_history/{version}"))
                })?;
                state.store.vread(resource_type, id, version).await?
            }
        };
        if grant.allows(&resource, Interaction::Read) {
            Ok(resource)
        } else {
            Err(Error::NotFound(format!("{resource_type}/{id}")))
        }
    }
    .await;
    state.audit(
        Some(&grant),
        AuditAction::Read,
        resource_type,
        read.as_ref().map(|r| resource_keys([r])),
    );
    Ok(resource_response(&read?, headers))
}

/// One page of `query`, narrowed to what `grant`'s scopes let it search (SMART v2
/// restrictions such as `?category=`): as clauses of the query when they can be, else
/// resource by resource. The compartment is the caller's (`query.compartment`).
async fn search_granted<S: ResourceStore>(
    store: &S,
    grant: &Grant,
    query: &mut SearchQuery,
) -> Result<crate::store::SearchPage, Error> {
    let restriction = grant.search_restriction(&query.resource_type)?;
    query.clauses.extend(restriction.clauses);
    let mut page = store.search(query).await?;
    if restriction.filter_each {
        page.resources
            .retain(|r| grant.allows(r, Interaction::Search));
    }
    Ok(page)
}

/// The resource with its `ETag` and `Last-Modified`; `304 Not Modified` when the client
/// already has this version (`If-None-Match`).
fn resource_response(resource: &StoredResource, headers: &HeaderMap) -> Response {
    let etag = format!("W/\"{}\"", resource.version);
    let last_modified = chrono::DateTime::from_timestamp_millis(resource.last_updated_ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        fhir_response(StatusCode::OK, resource.json.clone())
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    response
}

async fn search_get<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path(resource_type): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Error> {
    search(
        &state,
        &resource_type,
        query.as_deref().unwrap_or(""),
        &headers,
    )
    .await
}

async fn search_post<S: ResourceStore>(
    State(state): State<Arc<AppState<S>>>,
    Path(resource_type): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form && !body.is_empty() {
        return Err(Error::InvalidParam {
            name: "Content-Type".to_owned(),
            message: "must be application/x-www-form-urlencoded for _search".to_owned(),
        });
    }
    let body = std::str::from_utf8(&body).map_err(|_| Error::InvalidParam {
        name: "body".to_owned(),
        message: "is not UTF-8".to_owned(),
    })?;
    // Parameters in the URL and in the body both count (FHIR R4 search, POST).
    let combined = [query.as_deref().unwrap_or(""), body]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("&");
    search(&state, &resource_type, &combined, &headers).await
}

async fn search<S: ResourceStore>(
    state: &AppState<S>,
    resource_type: &str,
    raw_query: &str,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    let grant = state
        .grant(headers, AuditAction::Search, resource_type)
        .await?;
    let found = async {
        check_type(state, resource_type)?;
        grant.check(resource_type, Interaction::Search)?;
        let params: Vec<(String, String)> = form_urlencoded(raw_query)?;
        let strict = strict_handling(headers);
        let mut query = SearchQuery::parse(resource_type, &params, strict)?;
        query.compartment = grant.restricts(resource_type);
        state.config.check_reach(&query)?;
        grant.check_links(&query)?;
        let page = search_granted(&state.store, &grant, &mut query).await?;
        let included =
            include::included(&state.store, &state.config, &query, &page.resources, &grant).await?;
        Ok((params, query, page, included))
    }
    .await;
    state.audit(
        Some(&grant),
        AuditAction::Search,
        resource_type,
        found
            .as_ref()
            .map(|(_, _, page, included)| resource_keys(page.resources.iter().chain(included))),
    );
    let (params, query, page, included) = found?;
    let link_base = format!("{}/{resource_type}", state.config.base_url);
    let links = Links {
        base: &link_base,
        params: &params,
        ignored: &query.ignored,
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    };
    Ok(fhir_response(
        StatusCode::OK,
        searchset(&state.config.base_url, &links, &page, &included),
    ))
}

/// Whether the request asks for strict handling of unknown parameters.
fn strict_handling(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split([',', ';']).any(|p| p.trim() == "handling=strict"))
}

/// Decodes `a=1&b=2` (percent-encoding and `+`).
pub(crate) fn form_urlencoded(raw: &str) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(out)
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a query value or
/// a form field.
pub(crate) fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn percent_decode(s: &str) -> Result<String, Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| Error::InvalidParam {
                        name: s.to_owned(),
                        message: "has a malformed percent-encoding".to_owned(),
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Error::InvalidParam {
        name: s.to_owned(),
        message: "is not UTF-8 once decoded".to_owned(),
    })
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b'/' | b'|' | b',')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a searchset Bundle's `self` and `next` links are made of.
struct Links<'a> {
    /// The URL up to `?` (`{base}/ExplanationOfBenefit`).
    base: &'a str,
    /// The request's parameters, repeated in the links.
    params: &'a [(String, String)],
    /// Parameters left out of the links (ignored ones).
    ignored: &'a [String],
    /// The `_cursor` of the next page, if there is one.
    next_cursor: Option<String>,
}

impl Links<'_> {
    fn url(&self, cursor: Option<&str>) -> String {
        let mut parts: Vec<String> = self
            .params
            .iter()
            .filter(|(k, _)| k != "_cursor" && !self.ignored.contains(k))
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        parts.extend(cursor.map(|c| format!("_cursor={}", percent_encode(c))));
        serde_json::Value::String(format!("{}?{}", self.base, parts.join("&"))).to_string()
    }
}

/// The searchset Bundle, written directly as JSON: the stored resources are already
/// serialized, so they are copied, not parsed again.
fn searchset(
    base: &str,
    links: &Links<'_>,
    page: &crate::store::SearchPage,
    included: &[StoredResource],
) -> String {
    let mut out = String::from(r#"{"resourceType":"Bundle","type":"searchset""#);
    if let Some(total) = page.total {
        out.push_str(&format!(r#","total":{total}"#));
    }
    out.push_str(r#","link":[{"relation":"self","url":"#);
    out.push_str(&links.url(None));
    out.push('}');
    if let Some(cursor) = &links.next_cursor {
        out.push_str(r#",{"relation":"next","url":"#);
        out.push_str(&links.url(Some(cursor)));
        out.push('}');
    }
    out.push(']');
    let entry = |r: &StoredResource, mode: &str| {
        format!(
            r#"{{"fullUrl":{},"resource":{},"search":{{"mode":"{mode}"}}}}"#,
            serde_json::Value::String(format!("{base}/{}/{}", r.resource_type, r.id)),
            r.json
        )
    };
    let mut entries: Vec<String> = page.resources.iter().map(|r| entry(r, "match")).collect();
    entries.extend(included.iter().map(|r| entry(r, "include")));
    if !links.ignored.is_empty() {
        let outcome = fhir_model::resources::OperationOutcome::warning(
            fhir_model::outcome::IssueType::NotSupported,
            format!(
                "parameters not supported and ignored: {}",
                links.ignored.join(", ")
            ),
        );
        entries.push(format!(
            r#"{{"resource":{},"search":{{"mode":"outcome"}}}}"#,
            fhir_model::to_json(&fhir_model::Resource::from(outcome))
        ));
    }
    if !entries.is_empty() {
        out.push_str(r#","entry":["#);
        out.push_str(&entries.join(","));
        out.push(']');
    }
    out.push('}');
    out
}
