//! The exports (wasm32 only: natively there is no JavaScript to call them).

use std::sync::Arc;

use carin_profiles::views::Amount;
use carin_profiles::views::Concept;
use carin_profiles::views::coverage::CoverageView;
use carin_profiles::views::eob::{AdjudicationCategory, EobView};
use fhir_model::TypedResource;
use fhir_model::datatypes::Reference;
use fhir_model::resources::{Coverage, CoverageClass, ExplanationOfBenefit};
use js_sys::{Function, JSON, Promise, Reflect};
use serde_json::{Value, json};
use smart_client::grant::TokenStore;
use smart_client::http::BoxFuture;
use smart_client::sync::TypeOutcome;
use smart_client::{
    ClientAuth, Error, Grant, LaunchRequest, PatientDiscovery, PendingAuthorization, ReqwestHttp,
    SessionOptions, SyncOptions,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The shapes of what crosses to JavaScript, for TypeScript users (the exports below
/// refer to them).
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** An error of this package: `code` is stable, the message is for people. */
export interface CmsInteropError extends Error {
  code: "discovery" | "token" | "reauthorization_required" | "callback" | "randomness"
      | "authorization_refused" | "network" | "http_status" | "invalid_fhir" | "off_origin"
      | "storage" | "patient_context" | "export" | "bad_argument" | "other";
  /** Whether trying again later may succeed. */
  temporary: boolean;
}
export interface ParsedResource {
  resourceType: string;
  resource: Record<string, unknown>;
  /** Canonical FHIR JSON, decimals as written. */
  json: string;
  /** What lenient parsing kept as JSON. */
  issues: string[];
}
export interface ProfileIssue {
  severity: "error" | "warning";
  location: string;
  message: string;
  profile: string;
  rule: string;
}
export interface SmartConfiguration {
  source: "WellKnown" | "CapabilityStatement";
  issuer: string | null;
  authorizationEndpoint: string | null;
  tokenEndpoint: string;
  introspectionEndpoint: string | null;
  revocationEndpoint: string | null;
  managementEndpoint: string | null;
  capabilities: string[];
  scopesSupported: string[];
  warnings: string[];
}
/** What to keep (sessionStorage) while the browser is at the payer. */
export interface PendingAuthorization {
  url: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
  scope: string;
}
/** Where a grant is kept; each method may return a Promise. */
export interface GrantStore {
  load(key: string): string | null | undefined | Promise<string | null | undefined>;
  save(key: string, json: string): unknown;
  remove(key: string): unknown;
}
/** A grant store: a `GrantStore`, or Web Storage itself (`sessionStorage`, `localStorage`). */
export type GrantStorage = GrantStore | Storage;
/** A money amount: the decimal exactly as the payer wrote it (`"150.00"`). */
export interface Money {
  value: string;
  currency: string | null;
}
/** A reference as sent: `reference` (`Organization/123`) and/or `display`. */
export interface ReferenceSummary {
  reference: string | null;
  display: string | null;
}
/** What a member asks of a claim (CARIN Blue Button `ExplanationOfBenefit`). */
export interface EobSummary {
  id: string | null;
  /** The payer's claim id (`identifier` of type `uc`). */
  claimId: string | null;
  status: string | null;
  /** `institutional`, `professional`, `pharmacy`, `oral`, `vision`, or another code. */
  claimType: string | null;
  /** The CARIN EOB profile the content matches. */
  profile: string | null;
  /** The first and last day of service (FHIR dates). */
  serviceStart: string | null;
  serviceEnd: string | null;
  provider: ReferenceSummary | null;
  /** `paid`, `denied` or `partiallypaid` (`payment.type`). */
  paymentStatus: string | null;
  /** `innetwork`, `outofnetwork` or `other`. */
  networkStatus: string | null;
  /** `submitted`. */
  billed: Money | null;
  /** `eligible`. */
  allowed: Money | null;
  /** `benefit`, else `paidtoprovider`. */
  planPaid: Money | null;
  /** `paidbypatient`. */
  memberPaid: Money | null;
  /** Every claim total, by category code, in document order. */
  totals: (Money & { category: string })[];
  lines: number;
}
/** What a member asks of a coverage (CARIN Blue Button `Coverage`). */
export interface CoverageSummary {
  id: string | null;
  status: string | null;
  /** The member id on the card (`identifier` of type `MB`). */
  memberId: string | null;
  subscriberId: string | null;
  /** `self`, `spouse`, `child`... */
  relationship: string | null;
  payors: ReferenceSummary[];
  /** `type`, as the payer labels it (line of business). */
  type: string | null;
  plan: { value: string | null; name: string | null } | null;
  group: { value: string | null; name: string | null } | null;
  periodStart: string | null;
  periodEnd: string | null;
}
export interface PatientContext {
  id: string;
  source: string;
  confirmation: "PatientRead" | "MemberData";
  tried: string[];
}
export interface SyncProgress {
  resourceType: string;
  typeResources: number;
  totalResources: number;
  typesDone: number;
  typesTotal: number;
}
export interface SyncOptions {
  concurrency?: number;
  pageSize?: number;
  /** Only what changed since this instant. */
  since?: string;
  onProgress?: (progress: SyncProgress) => void;
}
export interface SyncReport {
  patient: string;
  total: number;
  counts: Record<string, number>;
  resources: Record<string, Record<string, unknown>[]>;
  types: { resourceType: string; search: string; pages: number;
           outcome: "complete" | "refused" | "failed" | "other"; detail: string | null }[];
  skipped: [string, string][];
  warnings: string[];
  complete: boolean;
}
"#;

/// The stable `code` of an error, for apps to branch on (the message is for people).
fn error_code(error: &Error) -> &'static str {
    match error {
        Error::Discovery { .. } => "discovery",
        Error::Token { .. } if error.needs_reauthorization() => "reauthorization_required",
        Error::Token { .. } => "token",
        Error::Callback(_) => "callback",
        Error::Randomness(_) => "randomness",
        Error::AuthorizationRefused { .. } => "authorization_refused",
        Error::Http { .. } => "network",
        Error::Status { .. } => "http_status",
        Error::Fhir { .. } => "invalid_fhir",
        Error::OffOrigin { .. } => "off_origin",
        Error::ReauthorizationRequired { .. } => "reauthorization_required",
        Error::Storage(_) => "storage",
        Error::PatientContext { .. } => "patient_context",
        Error::Export { .. } => "export",
        _ => "other",
    }
}

/// A JavaScript `Error` with `code`, and `temporary` (worth retrying later).
fn js_error(error: &Error) -> JsValue {
    with_code(error_code(error), &error.to_string(), error.is_temporary())
}

fn with_code(code: &str, message: &str, temporary: bool) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    let _ = Reflect::set(&error, &"temporary".into(), &temporary.into());
    error.into()
}

fn bad_argument(message: &str) -> JsValue {
    with_code("bad_argument", message, false)
}

/// A serde_json value as a JavaScript value.
fn to_js(value: &Value) -> Result<JsValue, JsValue> {
    JSON::parse(&value.to_string())
}

/// A JavaScript value as a serde_json value.
fn from_js(value: &JsValue) -> Result<Value, JsValue> {
    let text = JSON::stringify(value)?
        .as_string()
        .ok_or_else(|| bad_argument("not JSON-serializable"))?;
    serde_json::from_str(&text).map_err(|e| bad_argument(&e.to_string()))
}

/// Parses a FHIR R4 resource from JSON text: `{ resourceType, resource, json, issues }`,
/// `json` being the canonical text (decimals as written). Strict unless `lenient`; in
/// strict mode invalid FHIR throws an `Error` with code `invalid_fhir` naming the element.
#[wasm_bindgen(js_name = parseResource, unchecked_return_type = "ParsedResource")]
pub fn parse_resource(json: &str, lenient: Option<bool>) -> Result<JsValue, JsValue> {
    let (resource, issues) = if lenient.unwrap_or(false) {
        match fhir_model::from_json_lenient(json) {
            (Some(resource), issues) => (resource, issues),
            (None, issues) => {
                let message: Vec<String> = issues.iter().map(ToString::to_string).collect();
                return Err(with_code("invalid_fhir", &message.join("; "), false));
            }
        }
    } else {
        let resource = fhir_model::from_json(json)
            .map_err(|e| with_code("invalid_fhir", &e.to_string(), false))?;
        (resource, Vec::new())
    };
    // Built field by field: the resource is parsed by the engine's JSON.parse once, not
    // round-tripped through serde_json.
    let canonical = fhir_model::to_json(&resource);
    let out = js_sys::Object::new();
    let issues: js_sys::Array = issues
        .iter()
        .map(|i| JsValue::from(i.to_string()))
        .collect();
    Reflect::set(
        &out,
        &"resourceType".into(),
        &resource.resource_type().into(),
    )?;
    Reflect::set(&out, &"resource".into(), &JSON::parse(&canonical)?)?;
    Reflect::set(&out, &"json".into(), &canonical.into())?;
    Reflect::set(&out, &"issues".into(), &issues)?;
    Ok(out.into())
}

/// Validates a resource (JSON text) against the CARIN BB, US Core, PDex and Plan-Net
/// profiles it claims or matches: `[{ severity, location, message, profile, rule }]`.
#[wasm_bindgen(js_name = validateResource, unchecked_return_type = "ProfileIssue[]")]
pub fn validate_resource(json: &str) -> Result<JsValue, JsValue> {
    let resource = fhir_model::from_json(json)
        .map_err(|e| with_code("invalid_fhir", &e.to_string(), false))?;
    let issues: Vec<Value> = carin_profiles::validate(&resource)
        .iter()
        .map(|issue| {
            json!({
                "severity": if issue.is_error() { "error" } else { "warning" },
                "location": issue.location,
                "message": issue.message,
                "profile": issue.profile,
                "rule": issue.rule,
            })
        })
        .collect();
    to_js(&Value::Array(issues))
}

/// The JSON text of a resource given as an object or as text.
fn resource_text(resource: &JsValue) -> Result<String, JsValue> {
    match resource.as_string() {
        Some(text) => Ok(text),
        None => JSON::stringify(resource)?
            .as_string()
            .ok_or_else(|| bad_argument("the resource is not JSON-serializable")),
    }
}

/// A resource (object or JSON text) of `T`, parsed leniently: a summary is for showing
/// real payer data, which is often not quite conformant.
fn lenient<T: TypedResource>(resource: &JsValue) -> Result<T, JsValue> {
    let (parsed, issues) = fhir_model::from_json_lenient(&resource_text(resource)?);
    let Some(parsed) = parsed else {
        let message: Vec<String> = issues.iter().map(ToString::to_string).collect();
        return Err(with_code("invalid_fhir", &message.join("; "), false));
    };
    T::try_from(parsed).map_err(|other| {
        bad_argument(&format!(
            "expected a {}, got a {}",
            T::RESOURCE_TYPE,
            other.resource_type()
        ))
    })
}

/// `{ value, currency }`, the value as the exact decimal text.
fn money(amount: &Amount) -> Value {
    json!({"value": amount.value().as_str(), "currency": amount.currency()})
}

fn reference_summary(reference: &Reference) -> Value {
    json!({"reference": reference.reference.as_str(), "display": reference.display.as_str()})
}

/// The claim as a member reads it (`ExplanationOfBenefit`, object or JSON text): dates,
/// provider, status and the amounts wherever the payer put them (claim totals, header
/// adjudication, else the sum of the lines; see `carin_profiles::views::eob`).
#[wasm_bindgen(js_name = summarizeEob, unchecked_return_type = "EobSummary")]
pub fn summarize_eob(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | string")] resource: JsValue,
) -> Result<JsValue, JsValue> {
    let eob = lenient::<ExplanationOfBenefit>(&resource)?;
    let view = EobView::new(&eob);
    let dates = view.service_dates();
    let totals: Vec<Value> = view
        .totals()
        .map(|(category, amount)| {
            let mut total = money(&amount);
            total["category"] = category.code().into();
            total
        })
        .collect();
    to_js(&json!({
        "id": eob.id.as_deref(),
        "claimId": view.unique_claim_id().and_then(|id| id.value.as_str()),
        "status": view.status(),
        "claimType": view.claim_type().map(|t| t.code().to_owned()),
        "profile": view.profile_by_content(),
        "serviceStart": dates.start.map(|d| d.to_string()),
        "serviceEnd": dates.end.map(|d| d.to_string()),
        "provider": view.provider_reference().map(reference_summary),
        "paymentStatus": view.payment_status().map(|s| s.code().to_owned()),
        "networkStatus": view.benefit_payment_status().map(|s| s.code().to_owned()),
        "billed": view.amount(&AdjudicationCategory::Submitted).as_ref().map(money),
        "allowed": view.amount(&AdjudicationCategory::Eligible).as_ref().map(money),
        "planPaid": view.plan_paid().as_ref().map(money),
        "memberPaid": view.member_paid().as_ref().map(money),
        "totals": totals,
        "lines": view.line_items().len(),
    }))
}

/// The coverage as a member reads it (`Coverage`, object or JSON text): member id, plan,
/// group, payer and period.
#[wasm_bindgen(js_name = summarizeCoverage, unchecked_return_type = "CoverageSummary")]
pub fn summarize_coverage(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | string")] resource: JsValue,
) -> Result<JsValue, JsValue> {
    let coverage = lenient::<Coverage>(&resource)?;
    let view = CoverageView::new(&coverage);
    let class = |class: Option<&CoverageClass>| {
        class.map(|c| json!({"value": c.value.as_str(), "name": c.name.as_str()}))
    };
    let period = view.period();
    let payors: Vec<Value> = view
        .payor_references()
        .iter()
        .map(reference_summary)
        .collect();
    to_js(&json!({
        "id": coverage.id.as_deref(),
        "status": view.status(),
        "memberId": view.member_id().and_then(|id| id.value.as_str()),
        "subscriberId": view.subscriber_id(),
        "relationship": view.relationship(),
        "payors": payors,
        "type": view.coverage_type().and_then(|t| Concept::new(t).label()),
        "plan": class(view.plan()),
        "group": class(view.group()),
        "periodStart": period.and_then(|p| p.start.value).map(|d| d.to_string()),
        "periodEnd": period.and_then(|p| p.end.value).map(|d| d.to_string()),
    }))
}

/// A FHIR server and what its SMART discovery said.
#[wasm_bindgen]
pub struct SmartClient {
    inner: smart_client::SmartClient,
}

#[wasm_bindgen]
impl SmartClient {
    /// Discovers the server at `fhirBase` (`.well-known/smart-configuration`, else the
    /// CapabilityStatement).
    pub async fn discover(
        #[wasm_bindgen(js_name = "fhirBase")] fhir_base: String,
    ) -> Result<SmartClient, JsValue> {
        let http = Arc::new(ReqwestHttp::new().map_err(|e| js_error(&e))?);
        let inner = smart_client::SmartClient::discover(http, &fhir_base)
            .await
            .map_err(|e| js_error(&e))?;
        Ok(SmartClient { inner })
    }

    /// The FHIR base URL.
    #[wasm_bindgen(getter, js_name = fhirBase)]
    pub fn fhir_base(&self) -> String {
        self.inner.fhir_base().to_owned()
    }

    /// What discovery found: `{ source, tokenEndpoint, authorizationEndpoint, capabilities,
    /// warnings, ... }`.
    #[wasm_bindgen(getter, unchecked_return_type = "SmartConfiguration")]
    pub fn configuration(&self) -> Result<JsValue, JsValue> {
        let c = self.inner.configuration();
        to_js(&json!({
            "source": format!("{:?}", c.source),
            "issuer": c.issuer,
            "authorizationEndpoint": c.authorization_endpoint,
            "tokenEndpoint": c.token_endpoint,
            "introspectionEndpoint": c.introspection_endpoint,
            "revocationEndpoint": c.revocation_endpoint,
            "managementEndpoint": c.management_endpoint,
            "capabilities": c.capabilities,
            "scopesSupported": c.scopes_supported,
            "warnings": c.warnings,
        }))
    }

    /// Starts a standalone launch: `{ url, state, codeVerifier, redirectUri }`. Keep it
    /// (sessionStorage) until the redirect comes back; send the browser to `url`.
    #[wasm_bindgen(unchecked_return_type = "PendingAuthorization")]
    pub fn authorize(
        &self,
        #[wasm_bindgen(js_name = "clientId")] client_id: &str,
        #[wasm_bindgen(js_name = "redirectUri")] redirect_uri: &str,
        scope: &str,
    ) -> Result<JsValue, JsValue> {
        let request = LaunchRequest::new(client_id, redirect_uri, scope, self.inner.fhir_base());
        let pending = self.inner.authorize(&request).map_err(|e| js_error(&e))?;
        to_js(&json!({
            "url": pending.url,
            "state": pending.state,
            "codeVerifier": pending.code_verifier,
            "redirectUri": pending.redirect_uri,
            "scope": scope,
        }))
    }

    /// Finishes a launch: checks `redirectUrl` against `pending` (what `authorize`
    /// returned), exchanges the code, and starts a session. `store` (optional) keeps the
    /// grant under `key` (default `cms-interop-grant`): `sessionStorage`, `localStorage`,
    /// or an object with `load(key)`, `save(key, json)` and `remove(key)`, plain or
    /// returning Promises (IndexedDB, the app's server).
    pub async fn complete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PendingAuthorization")] pending: JsValue,
        #[wasm_bindgen(js_name = "redirectUrl")] redirect_url: String,
        #[wasm_bindgen(js_name = "clientId")] client_id: String,
        store: Option<JsStore>,
        key: Option<String>,
    ) -> Result<Session, JsValue> {
        let pending = from_js(&pending)?;
        let field = |name: &str| {
            pending[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad_argument(&format!("pending.{name} is missing")))
        };
        let scope = field("scope").unwrap_or_default();
        let restored = PendingAuthorization::restore(
            field("url")?,
            field("state")?,
            field("codeVerifier")?,
            field("redirectUri")?,
        );
        let options = session_options(store, key)?;
        let inner = self
            .inner
            .complete(
                &restored,
                &redirect_url,
                ClientAuth::public(client_id),
                &scope,
                options,
            )
            .await
            .map_err(|e| js_error(&e))?;
        Ok(Session {
            inner,
            discovery: PatientDiscovery::new(self.inner.configuration()),
        })
    }
}

/// The key a grant is kept under when the app names none.
const DEFAULT_KEY: &str = "cms-interop-grant";

fn session_options(store: Option<JsStore>, key: Option<String>) -> Result<SessionOptions, JsValue> {
    let options = SessionOptions::default();
    Ok(match store {
        Some(store) => {
            let store = GrantStorage::new(store)?;
            options.with_store(
                Arc::new(store),
                key.unwrap_or_else(|| DEFAULT_KEY.to_owned()),
            )
        }
        None => options,
    })
}

/// A grant in use: refreshed ahead of expiry and after a 401, saved to its store first.
#[wasm_bindgen]
pub struct Session {
    inner: smart_client::Session,
    discovery: PatientDiscovery,
}

#[wasm_bindgen]
impl Session {
    /// Resumes the session whose grant `store` keeps under `key` (after a page reload,
    /// the next day): `undefined` when there is none. `store`: `sessionStorage`,
    /// `localStorage` or a `GrantStore`.
    #[wasm_bindgen(unchecked_return_type = "Session | undefined")]
    pub async fn resume(
        #[wasm_bindgen(js_name = "clientId")] client_id: String,
        store: JsStore,
        key: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let http = Arc::new(ReqwestHttp::new().map_err(|e| js_error(&e))?);
        let session = smart_client::Session::resume(
            http,
            ClientAuth::public(client_id),
            session_options(Some(store), key)?,
        )
        .await
        .map_err(|e| js_error(&e))?;
        Ok(match session {
            Some(inner) => Session {
                inner,
                discovery: PatientDiscovery::default(),
            }
            .into(),
            None => JsValue::UNDEFINED,
        })
    }

    /// Starts a session from a grant the app kept itself (what `grant()` returned),
    /// saving it to `store` when one is given.
    #[wasm_bindgen(js_name = fromGrant)]
    pub async fn from_grant(
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] grant: JsValue,
        #[wasm_bindgen(js_name = "clientId")] client_id: String,
        store: Option<JsStore>,
        key: Option<String>,
    ) -> Result<Session, JsValue> {
        let grant: Grant = serde_json::from_value(from_js(&grant)?)
            .map_err(|e| bad_argument(&format!("not a saved grant: {e}")))?;
        let http = Arc::new(ReqwestHttp::new().map_err(|e| js_error(&e))?);
        let inner = smart_client::Session::start(
            http,
            ClientAuth::public(client_id),
            grant,
            session_options(store, key)?,
        )
        .await
        .map_err(|e| js_error(&e))?;
        Ok(Session {
            inner,
            discovery: PatientDiscovery::default(),
        })
    }

    /// Forgets the grant: removes it from the session's store (signing out on this
    /// device). The member revokes the app's access at the payer.
    pub async fn forget(&self) -> Result<(), JsValue> {
        let options = self.inner.options();
        options
            .store
            .remove(&options.key)
            .await
            .map_err(|e| js_error(&e))
    }

    /// The FHIR base URL the grant is for.
    #[wasm_bindgen(getter, js_name = fhirBase)]
    pub fn fhir_base(&self) -> String {
        self.inner.fhir_base().to_owned()
    }

    /// The grant as it is now (tokens included: keep it where only this app reads it).
    #[wasm_bindgen(unchecked_return_type = "Record<string, unknown>")]
    pub async fn grant(&self) -> Result<JsValue, JsValue> {
        let grant = self.inner.grant().await;
        to_js(&serde_json::to_value(&grant).map_err(|e| bad_argument(&e.to_string()))?)
    }

    /// A valid access token (refreshed when due).
    #[wasm_bindgen(js_name = accessToken)]
    pub async fn access_token(&self) -> Result<String, JsValue> {
        self.inner.access_token().await.map_err(|e| js_error(&e))
    }

    /// The patient the grant is for, however the payer says it: `{ id, source,
    /// confirmation, tried }`.
    #[wasm_bindgen(js_name = patientContext, unchecked_return_type = "PatientContext")]
    pub async fn patient_context(&self) -> Result<JsValue, JsValue> {
        let context = self
            .inner
            .patient_context(&self.discovery)
            .await
            .map_err(|e| js_error(&e))?;
        to_js(&json!({
            "id": context.id,
            "source": format!("{:?}", context.source),
            "confirmation": format!("{:?}", context.confirmation),
            "tried": context.tried,
        }))
    }

    /// Reads `type/id`: the resource as a JSON object.
    #[wasm_bindgen(unchecked_return_type = "Record<string, unknown>")]
    pub async fn read(
        &self,
        #[wasm_bindgen(js_name = "resourceType")] resource_type: String,
        id: String,
    ) -> Result<JsValue, JsValue> {
        let response = self
            .inner
            .get(&format!("{resource_type}/{id}"))
            .await
            .map_err(|e| js_error(&e))?;
        let resource = fhir_model::from_json(&response.text())
            .map_err(|e| with_code("invalid_fhir", &e.to_string(), false))?;
        resource_js(&resource)
    }

    /// Every match of a search (`params`: an object of names to values), following
    /// `next` links: an array of resources.
    #[wasm_bindgen(unchecked_return_type = "Record<string, unknown>[]")]
    pub async fn search(
        &self,
        #[wasm_bindgen(js_name = "resourceType")] resource_type: String,
        #[wasm_bindgen(unchecked_optional_param_type = "Record<string, string | number>")]
        params: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let params = params.unwrap_or(JsValue::UNDEFINED);
        use futures_util::TryStreamExt;
        let mut pairs = Vec::new();
        if !params.is_undefined() && !params.is_null() {
            let Value::Object(map) = from_js(&params)? else {
                return Err(bad_argument("params must be an object"));
            };
            for (name, value) in map {
                match value {
                    Value::String(v) => pairs.push((name, v)),
                    other => pairs.push((name, other.to_string())),
                }
            }
        }
        let path = smart_client::fhir::search_path(&resource_type, &pairs);
        let mut out = Vec::new();
        let mut pages = std::pin::pin!(self.inner.pages(&path));
        while let Some(page) = pages.try_next().await.map_err(|e| js_error(&e))? {
            for resource in page.matches() {
                out.push(resource_value(resource)?);
            }
        }
        to_js(&Value::Array(out))
    }

    /// The whole record of `patient`: `{ patient, total, counts, resources, types,
    /// skipped, warnings }`. `options`: `{ concurrency, pageSize, since, onProgress }`,
    /// `onProgress` called with `{ resourceType, typeResources, totalResources,
    /// typesDone, typesTotal }` after every page.
    #[wasm_bindgen(js_name = syncAll, unchecked_return_type = "SyncReport")]
    pub async fn sync_all(
        &self,
        patient: String,
        #[wasm_bindgen(unchecked_optional_param_type = "SyncOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let mut sync = SyncOptions::default();
        let options = options.unwrap_or(JsValue::UNDEFINED);
        if options.is_object() {
            let number = |name: &str| {
                Reflect::get(&options, &name.into())
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            if let Some(n) = number("concurrency") {
                sync = sync.concurrency(n as usize);
            }
            if let Some(n) = number("pageSize") {
                sync = sync.page_size(n as u32);
            }
            if let Some(since) = Reflect::get(&options, &"since".into())
                .ok()
                .and_then(|v| v.as_string())
            {
                sync = sync.since(since);
            }
            if let Some(callback) = Reflect::get(&options, &"onProgress".into())
                .ok()
                .and_then(|v| v.dyn_into::<Function>().ok())
            {
                sync = sync.on_progress(move |p| {
                    let progress = json!({
                        "resourceType": p.resource_type,
                        "typeResources": p.type_resources,
                        "totalResources": p.total_resources,
                        "typesDone": p.types_done,
                        "typesTotal": p.types_total,
                    });
                    if let Ok(value) = to_js(&progress) {
                        // A throwing callback must not stop the sync.
                        let _ = callback.call1(&JsValue::NULL, &value);
                    }
                });
            }
        }
        let report = self
            .inner
            .sync_all(&patient, &sync)
            .await
            .map_err(|e| js_error(&e))?;
        let mut resources = serde_json::Map::new();
        for (resource_type, list) in &report.resources {
            let values: Result<Vec<Value>, JsValue> = list.iter().map(resource_value).collect();
            resources.insert(resource_type.clone(), Value::Array(values?));
        }
        let types: Vec<Value> = report
            .types
            .iter()
            .map(|t| {
                let (outcome, detail) = match &t.outcome {
                    TypeOutcome::Complete => ("complete", None),
                    TypeOutcome::Refused(why) => ("refused", Some(why.clone())),
                    TypeOutcome::Failed(error) => ("failed", Some(error.to_string())),
                    _ => ("other", None),
                };
                json!({"resourceType": t.resource_type, "search": t.search, "pages": t.pages,
                       "outcome": outcome, "detail": detail})
            })
            .collect();
        to_js(&json!({
            "patient": report.patient,
            "total": report.total(),
            "counts": report.counts(),
            "resources": resources,
            "types": types,
            "skipped": report.skipped,
            "warnings": report.warnings,
            "complete": report.is_complete(),
        }))
    }
}

/// A resource as a JSON value, through the canonical writer.
fn resource_value(resource: &fhir_model::Resource) -> Result<Value, JsValue> {
    serde_json::from_str(&fhir_model::to_json(resource)).map_err(|e| bad_argument(&e.to_string()))
}

fn resource_js(resource: &fhir_model::Resource) -> Result<JsValue, JsValue> {
    to_js(&resource_value(resource)?)
}

#[wasm_bindgen]
extern "C" {
    /// A grant store the app gives: an object with `load(key)` (the saved JSON text, or
    /// `null`), `save(key, json)` and `remove(key)`, each plain or returning a Promise;
    /// or Web Storage (`getItem`, `setItem`, `removeItem`).
    #[wasm_bindgen(typescript_type = "GrantStorage")]
    pub type JsStore;

    #[wasm_bindgen(method, catch)]
    fn load(this: &JsStore, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn save(this: &JsStore, key: &str, json: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn remove(this: &JsStore, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &JsStore, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item(this: &JsStore, key: &str, value: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeItem)]
    fn remove_item(this: &JsStore, key: &str) -> Result<JsValue, JsValue>;
}

/// A store the app gave, with the interface it has.
struct GrantStorage {
    store: JsStore,
    /// `getItem`/`setItem`/`removeItem` rather than `load`/`save`/`remove`.
    web_storage: bool,
}

impl GrantStorage {
    /// Checks that `store` has one of the two interfaces, so that a wrong object fails
    /// here and not at the first refresh.
    fn new(store: JsStore) -> Result<GrantStorage, JsValue> {
        let has = |names: [&str; 3]| {
            names
                .iter()
                .all(|name| Reflect::get(&store, &(*name).into()).is_ok_and(|f| f.is_function()))
        };
        let web_storage = if has(["load", "save", "remove"]) {
            false
        } else if has(["getItem", "setItem", "removeItem"]) {
            true
        } else {
            return Err(bad_argument(
                "store must have load/save/remove (a GrantStore) or getItem/setItem/removeItem \
                 (sessionStorage, localStorage)",
            ));
        };
        Ok(GrantStorage { store, web_storage })
    }
}

/// The value of a store call, awaited when it is a Promise.
async fn settle(result: Result<JsValue, JsValue>) -> Result<JsValue, Error> {
    // Web Storage throws DOMExceptions (QuotaExceededError, SecurityError), which are
    // Errors; a store may also reject with a string.
    let storage = |e: JsValue| {
        Error::Storage(
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .or_else(|| e.as_string())
                .or_else(|| JSON::stringify(&e).ok().and_then(|s| s.as_string()))
                .unwrap_or_else(|| "the store threw".to_owned()),
        )
    };
    let value = result.map_err(storage)?;
    match value.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await.map_err(storage),
        Err(value) => Ok(value),
    }
}

impl TokenStore for GrantStorage {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, smart_client::Result<Option<Grant>>> {
        Box::pin(async move {
            let value = if self.web_storage {
                settle(self.store.get_item(key)).await?
            } else {
                settle(self.store.load(key)).await?
            };
            let Some(text) = value.as_string() else {
                return Ok(None);
            };
            serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Storage(format!("the saved grant is not readable: {e}")))
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        grant: &'a Grant,
    ) -> BoxFuture<'a, smart_client::Result<()>> {
        Box::pin(async move {
            let json = serde_json::to_string(grant).map_err(|e| Error::Storage(e.to_string()))?;
            let result = if self.web_storage {
                self.store.set_item(key, &json)
            } else {
                self.store.save(key, &json)
            };
            settle(result).await.map(|_| ())
        })
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, smart_client::Result<()>> {
        Box::pin(async move {
            let result = if self.web_storage {
                self.store.remove_item(key)
            } else {
                self.store.remove(key)
            };
            settle(result).await.map(|_| ())
        })
    }
}

/// The crate's version, to check which build a page loaded.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
