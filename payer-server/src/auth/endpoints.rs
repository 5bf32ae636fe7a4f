//! The authorization server's HTTP endpoints. OAuth errors are JSON (RFC 6749 section
//! 5.2) or redirects back to the app (section 4.1.2.1); errors that cannot go back to the
//! app (unknown app, wrong redirect URI, expired sign-in) are an HTML page for the member.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::crypto::{self, token_key};
use super::scope::{Context, ScopeToken, Scopes};
use super::store::{
    AccessTokenRecord, AuthStore, AuthorizationRequest, Client, ClientAuth, ClientKeys,
    GrantRecord, Redemption, RefreshTokenRecord, Session, SignInOutcome,
};
use super::{AuthServer, ClientKind, Registration, SESSION_LIFETIME_MS, bearer};
use super::{sign_in, upstream};
use crate::error::Error;
use crate::http::{PATIENT_ACCESS_TYPES, form_urlencoded};

pub(super) fn router<A: AuthStore + Clone>(server: AuthServer<A>) -> Router {
    Router::new()
        .route(
            "/authorize",
            get(authorize_get::<A>).post(authorize_post::<A>),
        )
        .route("/login", post(sign_in::login::<A>))
        .route("/mfa", post(sign_in::second_factor::<A>))
        .route("/mfa/enroll", post(sign_in::enroll::<A>))
        .route("/consent", post(sign_in::consent::<A>))
        .route("/token", post(token::<A>))
        .route("/introspect", post(introspect::<A>))
        .route("/revoke", post(revoke::<A>))
        .route("/jwks", get(jwks::<A>))
        .route(
            "/.well-known/openid-configuration",
            get(openid_configuration::<A>),
        )
        .route(
            "/apps",
            get(sign_in::apps_page::<A>).post(sign_in::apps_login::<A>),
        )
        .route("/apps/revoke", post(sign_in::apps_revoke::<A>))
        .route("/apps/mfa", post(sign_in::apps_enroll::<A>))
        .route("/gallery", get(sign_in::gallery::<A>))
        .route("/upstream/start", post(upstream::start::<A>))
        .route("/upstream/callback", get(upstream::callback::<A>))
        .route("/sharing", get(sign_in::sharing::<A>))
        .route("/admin/clients", post(register_client::<A>))
        .layer(crate::http::cors())
        .with_state(server)
}

/// One form or query, decoded; repeated names kept (the consent checkboxes).
pub(super) struct Form(Vec<(String, String)>);

impl Form {
    fn parse(raw: &str) -> Result<Form, OAuthError> {
        form_urlencoded(raw)
            .map(Form)
            .map_err(|e| OAuthError::invalid_request(e.to_string()))
    }

    pub(super) fn body(body: &Bytes) -> Result<Form, OAuthError> {
        Form::parse(std::str::from_utf8(body).unwrap_or_default())
    }

    /// The value of `name`; `None` when absent or empty.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// An OAuth error answered as JSON.
#[derive(Debug)]
pub(super) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn invalid_client(description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        OAuthError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            e.to_string(),
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = no_store(
            self.status,
            json!({"error": self.error, "error_description": self.description}),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6749 section 5.2: a 401 for client authentication names the scheme.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"token\""),
            );
        }
        response
    }
}

/// JSON with `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 section 5.1).
fn no_store(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// An HTML page that no other site may frame (clickjacking on the consent page) or cache.
pub(super) fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                // No `form-action`: browsers apply it to the redirect that follows the
                // consent form, which goes to the app.
                // Images: the payer's logo (https or this server).
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https:; \
                 frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

/// `303 See Other` to `uri` with `params` added to its query.
pub(super) fn redirect(uri: &str, params: &[(&str, &str)]) -> Response {
    let mut location = uri.to_owned();
    for (i, (name, value)) in params.iter().enumerate() {
        let separator = if i == 0 && !uri.contains('?') {
            '?'
        } else {
            '&'
        };
        location.push(separator);
        location.push_str(name);
        location.push('=');
        location.push_str(&crate::http::encode_component(value));
    }
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "the redirect URI is not valid").into_response(),
    }
}

async fn authorize_get<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    RawQuery(query): RawQuery,
) -> Response {
    match Form::parse(query.as_deref().unwrap_or("")) {
        Ok(form) => authorize(&server, &form).await,
        Err(e) => server.error_page(StatusCode::BAD_REQUEST, &e.description),
    }
}

/// SMART 2.2 `authorize-post`: the same parameters, form-posted.
async fn authorize_post<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    match Form::body(&body) {
        Ok(form) => authorize(&server, &form).await,
        Err(e) => server.error_page(StatusCode::BAD_REQUEST, &e.description),
    }
}

/// Checks an authorization request (SMART App Launch 2.2 section 2.0.5) and shows the
/// sign-in form. The app and its redirect URI are checked first: until both are known
/// good, errors are shown to the member, never redirected (RFC 6749 section 4.1.2.1).
async fn authorize<A: AuthStore + Clone>(server: &AuthServer<A>, form: &Form) -> Response {
    let Some(client_id) = form.get("client_id") else {
        return server.error_page(
            StatusCode::BAD_REQUEST,
            "the request names no app (client_id)",
        );
    };
    let client = match server.inner.store.client(client_id).await {
        Ok(Some(client)) if !client.backend => client,
        Ok(_) => {
            return server.error_page(StatusCode::BAD_REQUEST, "the app is not registered here");
        }
        Err(e) => return server.error_page(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let Some(redirect_uri) = form
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
    else {
        server
            .record(
                None,
                Some(&client.client_id),
                SignInOutcome::RedirectMismatch,
                match form.get("redirect_uri") {
                    Some(uri) => format!("authorization request to unregistered {uri}"),
                    None => "authorization request without redirect_uri".to_owned(),
                },
            )
            .await;
        return server.error_page(
            StatusCode::BAD_REQUEST,
            "the redirect URI is missing or is not one the app registered",
        );
    };
    let state = form.get("state").unwrap_or("");
    let back = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if !state.is_empty() {
            params.push(("state", state));
        }
        redirect(redirect_uri, &params)
    };
    if form.get("response_type") != Some("code") {
        return back("unsupported_response_type", "response_type must be code");
    }
    if state.is_empty() {
        return back("invalid_request", "state is required");
    }
    let config = &server.inner.config;
    if form.get("aud").map(|a| a.trim_end_matches('/')) != Some(config.fhir_base.as_str()) {
        return back(
            "invalid_request",
            &format!(
                "aud must be this server's FHIR base URL, {}",
                config.fhir_base
            ),
        );
    }
    if form.get("code_challenge_method") != Some("S256") {
        return back(
            "invalid_request",
            "PKCE is required with code_challenge_method S256 (plain is not accepted)",
        );
    }
    let Some(code_challenge) = form.get("code_challenge").filter(|c| {
        c.len() == 43
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) else {
        return back(
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
        );
    };
    if form.get("launch").is_some() {
        return back(
            "invalid_request",
            "EHR launch is not supported by a payer: use a standalone launch (launch/patient)",
        );
    }
    let scope = grantable(Scopes::parse(form.get("scope").unwrap_or("")));
    if scope.resources().next().is_none() {
        return back(
            "invalid_scope",
            "the request asks for no patient/ or user/ scope of a type this server serves",
        );
    }
    let session = Session::new(
        Some(AuthorizationRequest {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_string(),
            state: state.to_owned(),
            code_challenge: code_challenge.to_owned(),
        }),
        server.now_ms() + SESSION_LIFETIME_MS,
    );
    let key = crypto::random_token();
    if let Err(e) = server
        .inner
        .store
        .put_session(&token_key(&key), session)
        .await
    {
        return server.error_page(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
    }
    let pages = server.pages();
    let page = match &server.inner.config.upstream {
        Some(upstream) => pages.login_with(
            &client.name,
            &pages.upstream_form(Some(&key), upstream.display_name()),
        ),
        None => pages.login(&key, &client.name, None),
    };
    html(StatusCode::OK, page)
}

/// The scopes a member's app may be granted: resource scopes of served types for the
/// patient or user, and the OpenID and launch scopes (not `system/`, not `launch`).
fn grantable(scopes: Scopes) -> Scopes {
    scopes.retain(|token| match token {
        ScopeToken::Resource(r) => {
            r.context != Context::System
                && r.resource_type
                    .as_deref()
                    .is_none_or(|t| PATIENT_ACCESS_TYPES.contains(&t))
        }
        ScopeToken::Launch => false,
        _ => true,
    })
}

pub(super) fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Authenticates the client of a token, introspection or revocation request: HTTP Basic
/// or `client_secret` in the body (symmetric), `client_assertion` (asymmetric), or just
/// `client_id` (public). The method must be the one the app registered.
async fn authenticate_client<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Client, OAuthError> {
    let basic = basic_credentials(headers)?;
    let assertion = match (
        form.get("client_assertion_type"),
        form.get("client_assertion"),
    ) {
        (None, None) => None,
        (Some(JWT_BEARER), Some(assertion)) => Some(assertion),
        (Some(JWT_BEARER), None) => {
            return Err(OAuthError::invalid_request("client_assertion is missing"));
        }
        (_, _) => {
            return Err(OAuthError::invalid_request(format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
    };
    let claimed_id = match (&basic, assertion) {
        (Some((id, _)), _) => Some(id.clone()),
        (None, Some(assertion)) => form
            .get("client_id")
            .map(str::to_owned)
            .or_else(|| unverified_issuer(assertion)),
        (None, None) => form.get("client_id").map(str::to_owned),
    };
    let client_id =
        claimed_id.ok_or_else(|| OAuthError::invalid_client("the request names no client"))?;
    let client = server
        .inner
        .store
        .client(&client_id)
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_client(format!("no client {client_id} is registered"))
        })?;
    let secret = basic
        .as_ref()
        .map(|(_, secret)| secret.as_str())
        .or_else(|| form.get("client_secret"));
    match (&client.auth, secret, assertion) {
        (ClientAuth::Public, None, None) => Ok(client),
        (ClientAuth::Secret { secret_sha256 }, Some(secret), None) => {
            if crypto::constant_time_eq(token_key(secret).as_bytes(), secret_sha256.as_bytes()) {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client("the client secret is wrong"))
            }
        }
        (ClientAuth::PrivateKeyJwt { keys }, None, Some(assertion)) => {
            let jwks = match keys {
                ClientKeys::Jwks(jwks) => jwks.clone(),
                ClientKeys::JwksUrl(url) => server
                    .inner
                    .fetcher
                    .fetch(url, "the app's JWK Set")
                    .await
                    .map_err(OAuthError::invalid_client)?,
            };
            let now = server.now_ms();
            let token_url = server.inner.config.url("token");
            let verified =
                crypto::verify_assertion(assertion, &client.client_id, &jwks, &token_url, now)
                    .map_err(OAuthError::invalid_client)?;
            if !server
                .inner
                .store
                .remember_jti(&client.client_id, &verified.jti, verified.exp_ms, now)
                .await?
            {
                return Err(OAuthError::invalid_client(
                    "the client assertion's jti was used before (a replay)",
                ));
            }
            Ok(client)
        }
        (ClientAuth::Public, _, _) => Err(OAuthError::invalid_client(
            "this app is public: it has no secret or key to present",
        )),
        (ClientAuth::Secret { .. }, _, _) => Err(OAuthError::invalid_client(
            "this app authenticates with its client secret (Basic or client_secret)",
        )),
        (ClientAuth::PrivateKeyJwt { .. }, _, _) => Err(OAuthError::invalid_client(
            "this app authenticates with a signed client assertion (private_key_jwt)",
        )),
    }
}

/// `Authorization: Basic` credentials, form-decoded (RFC 6749 section 2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    use base64::Engine;
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let bad = || OAuthError::invalid_client("the Basic credentials do not decode");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let decode = |s: &str| crate::http::percent_decode(s).map_err(|_| bad());
    Ok(Some((decode(id)?, decode(secret)?)))
}

/// The `iss` of a JWT, unverified: only to find which client's keys verify it.
fn unverified_issuer(assertion: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Issuer {
        iss: String,
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<Issuer>(assertion)
        .ok()
        .map(|claims| claims.iss)
}

async fn token<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = Form::body(&body)?;
    let grant_type = form.get("grant_type").unwrap_or("");
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type {grant_type:?} is not supported"),
        ));
    }
    let client = authenticate_client(&server, &headers, &form).await?;
    match grant_type {
        "authorization_code" => exchange_code(&server, &client, &form).await,
        "refresh_token" => refresh(&server, &client, &form).await,
        _ => client_credentials(&server, &client, &form).await,
    }
}

async fn exchange_code<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let record = match server
        .inner
        .store
        .redeem_code(&token_key(code), server.now_ms())
        .await?
    {
        Redemption::Fresh(record) => record,
        Redemption::Reused => {
            return Err(OAuthError::invalid_grant(
                "the code was used before; the access it gave is revoked",
            ));
        }
        _ => return Err(OAuthError::invalid_grant("the code is unknown or expired")),
    };
    if record.grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    let subject = Some(record.grant.subject.as_str());
    if form.get("redirect_uri") != Some(record.redirect_uri.as_str()) {
        server
            .record(
                subject,
                Some(&client.client_id),
                SignInOutcome::RedirectMismatch,
                "code exchange named another redirect_uri than the authorization request",
            )
            .await;
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    let verifier = form.get("code_verifier").unwrap_or("");
    if !crypto::pkce_matches(verifier, &record.code_challenge) {
        let detail = if verifier.is_empty() {
            "code exchange without code_verifier"
        } else {
            "code_verifier does not match the code_challenge"
        };
        server
            .record(
                subject,
                Some(&client.client_id),
                SignInOutcome::PkceMismatch,
                detail,
            )
            .await;
        if verifier.is_empty() {
            return Err(OAuthError::invalid_grant("code_verifier is missing (PKCE)"));
        }
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge (PKCE S256)",
        ));
    }
    issue(server, client, record.grant, None).await
}

async fn refresh<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let old = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let old_key = token_key(old);
    let store = &server.inner.store;
    let Some((token, grant)) = store.refresh_token(&old_key).await? else {
        return Err(OAuthError::invalid_grant("the refresh token is unknown"));
    };
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if token.used {
        store.revoke_grant(&grant.id).await?;
        return Err(OAuthError::invalid_grant(
            "the refresh token was used before: every token of this authorization is revoked, \
             and the member must authorize the app again",
        ));
    }
    let now = server.now_ms();
    if grant.revoked || token.expires_ms <= now || grant.expires_ms <= now {
        return Err(OAuthError::invalid_grant(
            "the authorization was revoked or has expired",
        ));
    }
    let scope = match form.get("scope") {
        None => None,
        Some(asked) => {
            let asked = Scopes::parse(asked);
            if !asked.is_subset_of(&Scopes::parse(&grant.scope)) {
                return Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "a refresh may narrow the scope, not widen it",
                ));
            }
            Some(asked.to_string())
        }
    };
    issue(server, client, grant, Some((old_key, scope))).await
}

async fn client_credentials<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    if !client.backend || !matches!(client.auth, ClientAuth::PrivateKeyJwt { .. }) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "client_credentials is for backend services registered with a JWK Set",
        ));
    }
    let scope = Scopes::parse(form.get("scope").unwrap_or(""))
        .retain(|token| matches!(token, ScopeToken::Resource(r) if r.context == Context::System));
    if scope.resources().next().is_none() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "a backend service asks for system/ scopes",
        ));
    }
    let now = server.now_ms();
    let grant = GrantRecord {
        id: crypto::random_token(),
        client_id: client.client_id.clone(),
        subject: client.client_id.clone(),
        patient_id: None,
        scope: scope.to_string(),
        created_ms: now,
        expires_ms: now + millis(server.inner.config.access_token_lifetime),
        revoked: false,
    };
    issue(server, client, grant, None).await
}

/// Issues tokens for `grant`: first ones (`rotating` `None`) or by rotating the refresh
/// token `rotating.0`, with the scope `rotating.1` when the refresh narrowed it.
async fn issue<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    client: &Client,
    grant: GrantRecord,
    rotating: Option<(String, Option<String>)>,
) -> Result<Response, OAuthError> {
    let config = &server.inner.config;
    let now = server.now_ms();
    let scope_text = rotating
        .as_ref()
        .and_then(|(_, scope)| scope.clone())
        .unwrap_or_else(|| grant.scope.clone());
    let scopes = Scopes::parse(&scope_text);
    let access_token = crypto::random_token();
    let expires_ms = (now + millis(config.access_token_lifetime)).min(grant.expires_ms);
    let access = (
        token_key(&access_token),
        AccessTokenRecord {
            grant_id: grant.id.clone(),
            scope: scope_text.clone(),
            expires_ms,
        },
    );
    let grant_scopes = Scopes::parse(&grant.scope);
    let refreshable =
        grant_scopes.has(&ScopeToken::OfflineAccess) || grant_scopes.has(&ScopeToken::OnlineAccess);
    let refresh_token = refreshable.then(crypto::random_token);
    let refresh = refresh_token.as_ref().map(|token| {
        (
            token_key(token),
            RefreshTokenRecord {
                grant_id: grant.id.clone(),
                expires_ms: grant.expires_ms,
                used: false,
            },
        )
    });
    let store = &server.inner.store;
    match (rotating, refresh) {
        (None, refresh) => store.issue(grant.clone(), access, refresh).await?,
        (Some((old_key, _)), Some(refresh)) => {
            if !store.rotate_refresh(&old_key, access, refresh).await? {
                return Err(OAuthError::invalid_grant(
                    "the refresh token was used before: every token of this authorization is \
                     revoked",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "this authorization has no refresh",
            ));
        }
    }
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": (expires_ms - now) / 1000,
        "scope": scope_text,
    });
    if let Some(patient) = &grant.patient_id {
        // The bare id (SMART 2.2 section 2.0.9: "patient": "123"), for every member
        // grant: apps that did not ask for launch/patient need it just as much.
        body["patient"] = json!(patient);
        body["need_patient_banner"] = json!(false);
    }
    if let Some(token) = refresh_token {
        body["refresh_token"] = json!(token);
        body["refresh_expires_in"] = json!((grant.expires_ms - now) / 1000);
    }
    if scopes.has(&ScopeToken::OpenId) && grant.patient_id.is_some() {
        body["id_token"] = json!(id_token(server, client, &grant, &scopes, now)?);
    }
    Ok(no_store(StatusCode::OK, body))
}

fn id_token<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    client: &Client,
    grant: &GrantRecord,
    scopes: &Scopes,
    now_ms: i64,
) -> Result<String, OAuthError> {
    let config = &server.inner.config;
    let mut claims = json!({
        "iss": config.issuer,
        "sub": grant.subject,
        "aud": client.client_id,
        "iat": now_ms / 1000,
        "exp": (now_ms + millis(config.access_token_lifetime)) / 1000,
    });
    if scopes.has(&ScopeToken::FhirUser)
        && let Some(patient) = &grant.patient_id
    {
        claims["fhirUser"] = json!(format!("{}/Patient/{patient}", config.fhir_base));
    }
    Ok(server.inner.keys.sign(&client.id_token_alg, &claims)?)
}

/// RFC 7662. The caller authenticates as a registered confidential client, or presents an
/// active access token (a resource server's, or the app's own).
async fn introspect<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = Form::body(&body)?;
    let caller_ok = match bearer(&headers) {
        Some(token) => server.active_token(token).await?.is_some(),
        None => authenticate_client(&server, &headers, &form)
            .await
            .is_ok_and(|c| !matches!(c.auth, ClientAuth::Public)),
    };
    if !caller_ok {
        return Err(OAuthError::invalid_client(
            "introspection needs a confidential client's credentials or an active access token",
        ));
    }
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let now = server.now_ms();
    let store = &server.inner.store;
    let key = token_key(token);
    let found = match server.active_token(token).await? {
        Some((access, grant)) => Some((access.scope, access.expires_ms, grant)),
        None => store
            .refresh_token(&key)
            .await?
            .filter(|(t, g)| !t.used && !g.revoked && t.expires_ms > now && g.expires_ms > now)
            .map(|(t, g)| (g.scope.clone(), t.expires_ms, g)),
    };
    let Some((scope, expires_ms, grant)) = found else {
        return Ok(no_store(StatusCode::OK, json!({"active": false})));
    };
    let config = &server.inner.config;
    let mut body = json!({
        "active": true,
        "scope": scope,
        "client_id": grant.client_id,
        "token_type": "Bearer",
        "exp": expires_ms / 1000,
        "iat": grant.created_ms / 1000,
        "iss": config.issuer,
        "sub": grant.subject,
        "aud": config.fhir_base,
    });
    if let Some(patient) = &grant.patient_id {
        body["patient"] = json!(patient);
        if Scopes::parse(&scope).has(&ScopeToken::FhirUser) {
            body["fhirUser"] = json!(format!("{}/Patient/{patient}", config.fhir_base));
        }
    }
    Ok(no_store(StatusCode::OK, body))
}

/// RFC 7009: revoking an access or a refresh token revokes its whole grant (section 2.1
/// allows it for access tokens and asks it for refresh tokens). Unknown tokens, and
/// tokens of another client, get the same 200 (section 2.2).
async fn revoke<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = Form::body(&body)?;
    let client = authenticate_client(&server, &headers, &form).await?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let key = token_key(token);
    let store = &server.inner.store;
    let grant = match store.access_token(&key).await? {
        Some((_, grant)) => Some(grant),
        None => store.refresh_token(&key).await?.map(|(_, grant)| grant),
    };
    if let Some(grant) = grant.filter(|g| g.client_id == client.client_id) {
        store.revoke_grant(&grant.id).await?;
    }
    Ok(no_store(StatusCode::OK, json!({})))
}

async fn jwks<A: AuthStore + Clone>(State(server): State<AuthServer<A>>) -> Response {
    let set = serde_json::to_value(server.inner.keys.jwks()).unwrap_or(Value::Null);
    (
        [(header::CONTENT_TYPE, "application/json")],
        set.to_string(),
    )
        .into_response()
}

async fn openid_configuration<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
) -> Response {
    let config = &server.inner.config;
    let body = json!({
        "issuer": config.issuer,
        "authorization_endpoint": config.url("authorize"),
        "token_endpoint": config.url("token"),
        "jwks_uri": config.url("jwks"),
        "introspection_endpoint": config.url("introspect"),
        "revocation_endpoint": config.url("revoke"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES384"],
        "scopes_supported": ["openid", "fhirUser", "offline_access", "online_access"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "fhirUser"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The admin API: registers an app from a JSON body `{"name", "redirect_uris", "type":
/// "public" | "confidential" | "private_key_jwt" | "backend", "jwks" or "jwks_url", "client_id",
/// "id_token_alg", "description", "homepage_url", "privacy_policy_url",
/// "privacy_policy_attested"}`, for the administrator's bearer token. Answers 201 with `client_id`
/// (and `client_secret` for a confidential app: shown once).
async fn register_client<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let admin = server.inner.config.admin_token_sha256.as_deref();
    let presented = bearer(&headers).map(token_key);
    let allowed = match (admin, presented) {
        (Some(admin), Some(presented)) => {
            crypto::constant_time_eq(admin.as_bytes(), presented.as_bytes())
        }
        _ => false,
    };
    if !allowed {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the admin API needs the administrator's bearer token",
        ));
    }
    let request: Value = serde_json::from_slice(&body)
        .map_err(|e| OAuthError::invalid_request(format!("the body is not JSON: {e}")))?;
    let text = |name: &str| request[name].as_str().map(str::to_owned);
    let keys = || match (&request["jwks"], text("jwks_url")) {
        (Value::String(jwks), None) => Ok(ClientKeys::Jwks(jwks.clone())),
        (Value::Object(_), None) => Ok(ClientKeys::Jwks(request["jwks"].to_string())),
        (Value::Null, Some(url)) => Ok(ClientKeys::JwksUrl(url)),
        _ => Err(OAuthError::invalid_request(
            "this type needs its keys: jwks (a JWK Set) or jwks_url, not both",
        )),
    };
    let kind = match text("type").as_deref().unwrap_or("public") {
        "public" => ClientKind::Public,
        "confidential" => ClientKind::Secret,
        "private_key_jwt" => ClientKind::PrivateKeyJwt { keys: keys()? },
        "backend" => ClientKind::Backend { keys: keys()? },
        other => {
            return Err(OAuthError::invalid_request(format!(
                "type {other:?} is not public, confidential, private_key_jwt or backend"
            )));
        }
    };
    let redirect_uris = request["redirect_uris"]
        .as_array()
        .map(|uris| {
            uris.iter()
                .filter_map(|u| u.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut registration = Registration::public(text("name").unwrap_or_default(), redirect_uris)
        .kind(kind)
        .id_token_alg(text("id_token_alg").unwrap_or_else(|| "RS256".to_owned()));
    if let Some(description) = text("description") {
        registration = registration.description(description);
    }
    if let Some(homepage) = text("homepage_url") {
        registration = registration.homepage(homepage);
    }
    let attested = request["privacy_policy_attested"]
        .as_bool()
        .unwrap_or(false);
    match text("privacy_policy_url") {
        Some(policy) => registration = registration.privacy_policy(policy, attested),
        None if attested => {
            return Err(OAuthError::invalid_request(
                "privacy_policy_attested needs privacy_policy_url",
            ));
        }
        None => {}
    }
    if let Some(id) = text("client_id") {
        registration = registration.client_id(id);
    }
    let registered = server.register(registration).await.map_err(|e| match e {
        Error::InvalidParam { message, .. } => OAuthError::invalid_request(message),
        other => OAuthError::from(other),
    })?;
    let mut answer = json!({"client_id": registered.client_id});
    if let Some(secret) = registered.client_secret {
        answer["client_secret"] = json!(secret);
    }
    Ok(no_store(StatusCode::CREATED, answer))
}
