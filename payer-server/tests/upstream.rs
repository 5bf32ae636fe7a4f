//! Members sign in with the login they already have: payer-server as an OpenID Connect
//! relying party of the payer's identity provider. The provider here is a real one on a
//! loopback port, written for this test (discovery, an authorization endpoint with its
//! own sign-in form, a token endpoint checking the client secret and PKCE, RS256
//! `id_token`s, a JWK Set). A member signs in through it, consents, and the app reads
//! their data; a missing claim, a refusal at the provider and a forged signature each
//! give the member a clear page and the support console an entry.

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use payer_server::auth::{
    AuthStore, Registration, SignInOutcome, UpstreamOidc, UpstreamSettings, pkce_challenge,
};
use payer_server::store::SqliteStore;
use payer_server::synth::LineOfBusiness;
use payer_server::testing::{LoopbackPayer, MemberBrowser};
use serde_json::{Value, json};

#[path = "support/keys.rs"]
mod keys;

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;
type AnyResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const CLIENT_ID: &str = "payer-server";
const CLIENT_SECRET: &str = "the-relying-party-secret";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-pkce-code-verifier-of-more-than-43-characters-0123456789";

/// A code the provider issued, until exchanged.
struct Issued {
    user: String,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

/// The test's identity provider.
struct Provider {
    issuer: String,
    /// User name → (password, the claims of their `id_token`s).
    users: HashMap<String, (String, Value)>,
    /// The relying party's one redirect URI, set once payer-server listens.
    redirect_uri: Mutex<String>,
    codes: Mutex<HashMap<String, Issued>>,
    key: jsonwebtoken::EncodingKey,
    jwks: String,
    /// Signs with a key its JWK Set does not have (a forgery).
    forge: Mutex<bool>,
}

fn query(raw: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn redirect(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// A JSON answer with `status`.
fn json_answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

async fn discovery(State(provider): State<Arc<Provider>>) -> Response {
    let issuer = &provider.issuer;
    json_answer(
        StatusCode::OK,
        &json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }),
    )
}

/// The provider's own sign-in page for an authorization request it accepts.
async fn authorize(State(provider): State<Arc<Provider>>, RawQuery(raw): RawQuery) -> Response {
    let q = query(raw.as_deref());
    let field = |name: &str| q.get(name).cloned().unwrap_or_default();
    let registered = provider
        .redirect_uri
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    if field("client_id") != CLIENT_ID
        || field("redirect_uri") != registered
        || field("response_type") != "code"
        || field("code_challenge_method") != "S256"
        || field("nonce").is_empty()
        || field("state").is_empty()
        || !field("scope").split(' ').any(|s| s == "openid")
    {
        return (StatusCode::BAD_REQUEST, format!("bad request: {q:?}")).into_response();
    }
    let hidden: String = ["state", "nonce", "code_challenge"]
        .iter()
        .map(|name| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(&field(name))
            )
        })
        .collect();
    let page = format!(
        "<!doctype html><title>MyPlan portal</title><form method=\"post\" \
         action=\"{}/login\">{hidden}<label>User <input name=\"username\"></label>\
         <label>Password <input type=\"password\" name=\"password\"></label>\
         <button>Sign in</button></form>",
        provider.issuer
    );
    ([(header::CONTENT_TYPE, "text/html")], page).into_response()
}

async fn login(State(provider): State<Arc<Provider>>, body: String) -> Response {
    let form = query(Some(&body));
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let back = provider
        .redirect_uri
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    let state = form_urlencoded::byte_serialize(field("state").as_bytes()).collect::<String>();
    if !field("cancel").is_empty() {
        return redirect(format!(
            "{back}?error=access_denied&error_description=the+member+cancelled&state={state}"
        ));
    }
    match provider.users.get(&field("username")) {
        Some((password, _)) if *password == field("password") => {}
        _ => return (StatusCode::UNAUTHORIZED, "wrong password").into_response(),
    }
    let code = payer_server::auth::random_token();
    if let Ok(mut codes) = provider.codes.lock() {
        codes.insert(
            code.clone(),
            Issued {
                user: field("username"),
                nonce: field("nonce"),
                challenge: field("code_challenge"),
                redirect_uri: back.clone(),
            },
        );
    }
    redirect(format!("{back}?code={code}&state={state}"))
}

async fn token(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let refuse = |error: &str| json_answer(StatusCode::BAD_REQUEST, &json!({"error": error}));
    // client_secret_basic, form-encoded inside (RFC 6749 section 2.3.1).
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if basic.as_deref() != Some(&format!("{CLIENT_ID}:{CLIENT_SECRET}")) {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "invalid_client"}),
        );
    }
    let form = query(Some(&body));
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let issued = provider
        .codes
        .lock()
        .ok()
        .and_then(|mut codes| codes.remove(&field("code")));
    let Some(issued) = issued else {
        return refuse("invalid_grant");
    };
    if field("grant_type") != "authorization_code"
        || field("redirect_uri") != issued.redirect_uri
        || pkce_challenge(&field("code_verifier")) != issued.challenge
    {
        return refuse("invalid_grant");
    }
    let Some((_, extra)) = provider.users.get(&issued.user) else {
        return refuse("invalid_grant");
    };
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": issued.nonce,
    });
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    let forged = provider.forge.lock().map(|f| *f).unwrap_or(false);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("RS256-key".to_owned());
    let signed = if forged {
        keys::signing_key(jsonwebtoken::Algorithm::RS256).and_then(|(other, _)| {
            jsonwebtoken::encode(&header, &claims, &other).map_err(|e| e.to_string())
        })
    } else {
        jsonwebtoken::encode(&header, &claims, &provider.key).map_err(|e| e.to_string())
    };
    match signed {
        Ok(id_token) => json_answer(
            StatusCode::OK,
            &json!({
                "access_token": "provider-access-token",
                "token_type": "Bearer",
                "id_token": id_token,
            }),
        ),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

async fn jwks(State(provider): State<Arc<Provider>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        provider.jwks.clone(),
    )
        .into_response()
}

async fn start_provider(users: HashMap<String, (String, Value)>) -> AnyResult<Arc<Provider>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let issuer = format!("http://{}", listener.local_addr()?);
    let (key, jwks_text) = keys::signing_key(jsonwebtoken::Algorithm::RS256)?;
    let provider = Arc::new(Provider {
        issuer,
        users,
        redirect_uri: Mutex::default(),
        codes: Mutex::default(),
        key,
        jwks: jwks_text,
        forge: Mutex::new(false),
    });
    let routes = axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/login", post(login))
        .route("/token", post(token))
        .route("/jwks", get(jwks))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, routes).await });
    Ok(provider)
}

fn authorize_url(payer: &LoopbackPayer, client_id: &str) -> String {
    let challenge = pkce_challenge(VERIFIER);
    let pairs = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        (
            "scope",
            "launch/patient openid fhirUser offline_access patient/*.rs",
        ),
        ("state", "app-state"),
        ("aud", payer.fhir.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}/auth/authorize?{query}", payer.origin)
}

async fn exchange(payer: &LoopbackPayer, client_id: &str, location: &str) -> AnyResult<Value> {
    let code = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .ok_or_else(|| format!("no code in {location}"))?;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ])
        .finish();
    let response = reqwest::Client::new()
        .post(format!("{}/auth/token", payer.origin))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    Ok(response.json().await?)
}

#[tokio::test]
async fn members_sign_in_at_the_payers_identity_provider_and_apps_get_their_data() -> TestResult {
    let store = SqliteStore::in_memory()?;
    // The provider knows the first synthetic member (the generator is deterministic:
    // patient-0001) as `ann`, subject `portal-7731`; its claims carry the Patient id as a
    // reference and the plan type. `bob`'s account names no Patient, `cid`'s a bad one.
    let accounts = [
        (
            "ann",
            json!({"sub": "portal-7731", "fhir_patient": "Patient/patient-0001",
                   "plan_type": "commercial"}),
        ),
        ("bob", json!({"sub": "portal-9052"})),
        (
            "cid",
            json!({"sub": "portal-1200", "fhir_patient": "../../etc/passwd"}),
        ),
    ];
    let provider = start_provider(
        accounts
            .iter()
            .map(|(name, claims)| {
                (
                    name.to_string(),
                    (format!("{name}-password"), claims.clone()),
                )
            })
            .collect(),
    )
    .await?;
    let settings =
        UpstreamSettings::new(&provider.issuer, CLIENT_ID, CLIENT_SECRET, "MyPlan portal")
            .with_claims("sub", "fhir_patient")
            .with_line_of_business_claim("plan_type");
    let upstream = UpstreamOidc::discover(settings).await?;
    let payer = LoopbackPayer::start(store, 3, move |config| {
        config
            .with_upstream(upstream)
            .with_admin_token("support-key")
    })
    .await?;
    *provider.redirect_uri.lock().map_err(|e| e.to_string())? =
        format!("{}/auth/upstream/callback", payer.origin);
    let member = payer
        .members
        .iter()
        .find(|m| m.patient_id == "patient-0001")
        .ok_or("no patient-0001")?;
    assert_eq!(member.line_of_business, LineOfBusiness::Commercial);
    let app = payer
        .auth
        .register(Registration::public(
            "Claims Keeper",
            vec![REDIRECT.to_owned()],
        ))
        .await?
        .client_id;
    let browser = MemberBrowser::new()?;
    let url = authorize_url(&payer, &app);

    // The sign-in page offers the provider, not a password form.
    let page = reqwest::get(&url).await?.text().await?;
    assert!(page.contains("Continue to MyPlan portal"), "{page}");
    assert!(!page.contains("type=\"password\""), "{page}");

    // Through the provider, the consent, the code, the token, the data.
    let location = browser
        .sign_in_and_allow(&url, "ann", "ann-password")
        .await?;
    assert!(location.starts_with(REDIRECT), "{location}");
    let token = exchange(&payer, &app, &location).await?;
    assert_eq!(token["patient"], "patient-0001");
    let access = token["access_token"].as_str().ok_or("no access token")?;
    let fetch = |url: String, token: Option<String>| async move {
        let mut request = reqwest::Client::new().get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body: Value = request.send().await?.json().await?;
        AnyResult::Ok(body)
    };
    let mine = fetch(
        format!("{}/ExplanationOfBenefit?_summary=count", payer.fhir),
        Some(access.to_owned()),
    )
    .await?;
    let oracle = fetch(
        format!(
            "{}/open/ExplanationOfBenefit?patient=patient-0001&_summary=count",
            payer.origin
        ),
        None,
    )
    .await?;
    assert!(oracle["total"].as_u64().unwrap_or(0) > 0, "{oracle}");
    assert_eq!(
        mine["total"], oracle["total"],
        "the member's EOBs, all of them"
    );
    let events = payer.store.sign_ins(Some("portal-7731"), 10).await?;
    assert!(
        events
            .iter()
            .any(|e| e.outcome == SignInOutcome::SignedIn && e.client_id.as_deref() == Some(&app)),
        "{events:?}"
    );

    // A member whose provider account names no Patient: a clear page, and the reason
    // for support staff.
    let (status, page) = browser.sign_in(&url, "bob", "bob-password").await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("does not say which member you are")
            && page.contains("no &quot;fhir_patient&quot; claim"),
        "{page}"
    );
    let (status, page) = browser.sign_in(&url, "cid", "cid-password").await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("is not a Patient id"), "{page}");
    let bob = payer.store.sign_ins(Some("portal-9052"), 10).await?;
    assert_eq!(bob[0].outcome, SignInOutcome::ClaimMapping);
    assert!(bob[0].detail.contains("fhir_patient"), "{:?}", bob[0]);

    // The member cancels at the provider.
    let page = reqwest::get(&url).await?.text().await?;
    let (status, page) = browser.through_provider(&page, &[("cancel", "1")]).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("did not complete (access_denied"), "{page}");

    // A forged id_token is refused.
    *provider.forge.lock().map_err(|e| e.to_string())? = true;
    let (status, page) = browser.sign_in(&url, "ann", "ann-password").await?;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(page.contains("does not verify"), "{page}");
    *provider.forge.lock().map_err(|e| e.to_string())? = false;

    // A replayed or invented callback finds no sign-in.
    let response = reqwest::get(format!(
        "{}/auth/upstream/callback?state=invented&code=x",
        payer.origin
    ))
    .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Passwords are not taken here in this mode.
    let response = reqwest::Client::new()
        .post(format!("{}/auth/apps", payer.origin))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=ann&password=ann-password")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // The connected apps page signs in through the provider too.
    let page = reqwest::get(format!("{}/auth/apps", payer.origin))
        .await?
        .text()
        .await?;
    let (status, page) = browser
        .through_provider(&page, &[("username", "ann"), ("password", "ann-password")])
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Claims Keeper") && page.contains("Revoke"),
        "{page}"
    );

    // The support console lists the failures with their reasons.
    let (_, page) = browser
        .submit(
            &format!("{}/auth/support", payer.origin),
            &[("staff", "Alice"), ("key", "support-key")],
        )
        .await?;
    for reason in [
        "identity provider claims do not map to a member",
        "identity provider error",
        "the member cancelled",
        "does not verify",
    ] {
        assert!(page.contains(reason), "the console lacks {reason}: {page}");
    }
    Ok(())
}
