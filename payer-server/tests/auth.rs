//! The SMART authorization server and the FHIR API it guards, on a loopback port over
//! SQLite with synthetic members: the whole flow through the HTML forms, and the negative
//! cases of the SMART and ONC g10 conformance kits (`inferno-checklist.md` sections 4 and
//! 4.9), each checked for the status and for what leaked (nothing).

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine;
use payer_server::access::{AuditAction, MemoryAuditSink};
use payer_server::auth::{
    AuthConfig, AuthServer, ClientKeys, ClientKind, LocalMembers, Registration, pkce_challenge,
};
use payer_server::http::{ServerConfig, router};
use payer_server::ingest::{self, Validation};
use payer_server::store::{Clock, SqliteStore};
use reqwest::StatusCode;
use serde_json::Value;

#[path = "support/keys.rs"]
mod keys;

type TestResult = Result<(), Box<dyn Error>>;
type AnyResult<T> = Result<T, Box<dyn Error>>;

const PASSWORD: &str = "correct horse battery";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-pkce-code-verifier-of-more-than-43-characters-0123456789";

/// A clock tests move forward.
#[derive(Debug)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct Server {
    origin: String,
    fhir: String,
    http: reqwest::Client,
    auth: AuthServer<SqliteStore>,
    clock: Arc<TestClock>,
    audit: Arc<MemoryAuditSink>,
    /// The members: user name and Patient id.
    members: Vec<(String, String)>,
    /// The public app registered at start.
    app: String,
}

async fn start() -> AnyResult<Server> {
    let store = SqliteStore::in_memory()?;
    let synthetic = payer_server::synth::Config {
        members: 3,
        ..payer_server::synth::Config::default()
    };
    let (_, members) = ingest::load_synthetic(&store, &synthetic, Validation::Off).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let fhir = format!("{origin}/fhir");
    let clock = Arc::new(TestClock(AtomicI64::new(
        chrono::Utc::now().timestamp_millis(),
    )));
    let config = AuthConfig::new(format!("{origin}/auth"), &fhir)
        .with_clock(clock.clone())
        .with_admin_token("admin-token");
    let auth = AuthServer::new(store.clone(), config).await?;
    let directory = LocalMembers::new(store.clone());
    let mut accounts = Vec::new();
    for member in &members {
        directory
            .add(&member.username, PASSWORD, &member.patient_id)
            .await?;
        accounts.push((member.username.clone(), member.patient_id.clone()));
    }
    let app = auth
        .register(Registration::public("Test app", vec![REDIRECT.to_owned()]))
        .await?
        .client_id;
    let audit = Arc::new(MemoryAuditSink::new(100_000));
    let fhir_config = ServerConfig::new(&fhir)
        .with_authorizer(auth.authorizer())
        .with_smart_configuration(auth.smart_configuration())
        .with_audit(audit.clone());
    // The public Provider Directory API on the same store, as `payer-server serve` has it.
    let directory = ServerConfig::directory(format!("{origin}/directory"));
    let routes = axum::Router::new()
        .nest("/auth", auth.router())
        .nest("/fhir", router(store.clone(), fhir_config))
        .nest("/directory", router(store, directory));
    tokio::spawn(async move { axum::serve(listener, routes).await });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok(Server {
        origin,
        fhir,
        http,
        auth,
        clock,
        audit,
        members: accounts,
        app,
    })
}

/// Form-encodes `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The values of `name="<name>" value="..."` inputs in a page.
fn inputs(page: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    page.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &page[i + marker.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

/// The target of the first form of a page, as the browser would post to it.
fn action(page: &str) -> AnyResult<String> {
    let start = page.find("action=\"").ok_or("no form")? + "action=\"".len();
    let end = page[start..].find('"').ok_or("no form")?;
    Ok(page[start..start + end].to_owned())
}

/// A query parameter of a URL.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            let v = v.replace('+', " ");
            let bytes = v.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' && i + 2 < bytes.len() {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap_or(b'?'));
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        })
    })
}

/// What an authorization request carries; tests change one thing at a time.
#[derive(Clone)]
struct Launch {
    client_id: String,
    redirect_uri: String,
    scope: String,
    aud: String,
    challenge: String,
    method: String,
}

/// How the member answers the consent page.
enum Answer {
    AllowAll,
    /// Allow with only the boxes whose field name passes.
    AllowOnly(fn(&str) -> bool),
    Deny,
}

impl Server {
    fn launch(&self, scope: &str) -> Launch {
        Launch {
            client_id: self.app.clone(),
            redirect_uri: REDIRECT.to_owned(),
            scope: scope.to_owned(),
            aud: self.fhir.clone(),
            challenge: pkce_challenge(VERIFIER),
            method: "S256".to_owned(),
        }
    }

    /// `GET /auth/authorize`: the answer's status, its `Location` (a redirect) and body.
    async fn authorize(&self, launch: &Launch) -> AnyResult<(StatusCode, Option<String>, String)> {
        let query = form(&[
            ("response_type", "code"),
            ("client_id", &launch.client_id),
            ("redirect_uri", &launch.redirect_uri),
            ("scope", &launch.scope),
            ("state", "state-123"),
            ("aud", &launch.aud),
            ("code_challenge", &launch.challenge),
            ("code_challenge_method", &launch.method),
        ]);
        let response = self
            .http
            .get(format!("{}/auth/authorize?{query}", self.origin))
            .send()
            .await?;
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        Ok((status, location, response.text().await?))
    }

    /// Posts a form to `target`: a page's form action (a URL) or a path on the server.
    async fn post_form(&self, target: &str, body: String) -> AnyResult<reqwest::Response> {
        let url = if target.starts_with("http") {
            target.to_owned()
        } else {
            format!("{}{target}", self.origin)
        };
        Ok(self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?)
    }

    /// Signs `username` in and answers the consent page; the redirect's URL.
    async fn sign_in(&self, launch: &Launch, username: &str, answer: Answer) -> AnyResult<String> {
        let (status, _, page) = self.authorize(launch).await?;
        assert_eq!(status, StatusCode::OK, "{page}");
        let session = inputs(&page, "session").pop().ok_or("no session field")?;
        let response = self
            .post_form(
                &action(&page)?,
                form(&[
                    ("session", &session),
                    ("username", username),
                    ("password", PASSWORD),
                ]),
            )
            .await?;
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await?;
        let mut fields = vec![("session".to_owned(), session)];
        let boxes = inputs(&page, "allow");
        assert!(!boxes.is_empty(), "{page}");
        match answer {
            AllowAll => fields.extend(boxes.into_iter().map(|b| ("allow".to_owned(), b))),
            AllowOnly(keep) => fields.extend(
                boxes
                    .into_iter()
                    .filter(|b| keep(b))
                    .map(|b| ("allow".to_owned(), b)),
            ),
            Deny => {}
        }
        let decision = if matches!(answer, Deny) {
            "deny"
        } else {
            "allow"
        };
        fields.push(("decision".to_owned(), decision.to_owned()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = self.post_form(&action(&page)?, form(&pairs)).await?;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .ok_or("no Location")?
            .to_owned();
        assert!(location.starts_with(&launch.redirect_uri), "{location}");
        assert_eq!(
            query_param(&location, "state").as_deref(),
            Some("state-123")
        );
        Ok(location)
    }

    /// `POST /auth/token`: status and JSON.
    async fn token(&self, pairs: &[(&str, &str)]) -> AnyResult<(StatusCode, Value)> {
        let response = self.post_form("/auth/token", form(pairs)).await?;
        let status = response.status();
        if status == StatusCode::OK {
            let headers = response.headers();
            assert_eq!(
                headers.get("cache-control").and_then(|v| v.to_str().ok()),
                Some("no-store")
            );
            assert_eq!(
                headers.get("pragma").and_then(|v| v.to_str().ok()),
                Some("no-cache")
            );
        }
        Ok((status, response.json().await?))
    }

    async fn exchange(&self, code: &str, verifier: &str) -> AnyResult<(StatusCode, Value)> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", &self.app),
        ])
        .await
    }

    /// A whole launch by `username` allowing everything: the token response.
    async fn connect(&self, username: &str, scope: &str) -> AnyResult<Value> {
        let location = self
            .sign_in(&self.launch(scope), username, AllowAll)
            .await?;
        let code = query_param(&location, "code").ok_or("no code")?;
        let (status, token) = self.exchange(&code, VERIFIER).await?;
        assert_eq!(status, StatusCode::OK, "{token}");
        Ok(token)
    }

    async fn refresh(&self, refresh_token: &str) -> AnyResult<(StatusCode, Value)> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &self.app),
        ])
        .await
    }

    /// `GET {fhir}/{path}` with `token`: status and body text.
    async fn fhir_get(&self, path: &str, token: Option<&str>) -> AnyResult<(StatusCode, String)> {
        self.get(&format!("{}/{path}", self.fhir), token).await
    }

    /// `GET {origin}/directory/{path}` with `token`: status and body text.
    async fn directory_get(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> AnyResult<(StatusCode, String)> {
        self.get(&format!("{}/directory/{path}", self.origin), token)
            .await
    }

    async fn get(&self, url: &str, token: Option<&str>) -> AnyResult<(StatusCode, String)> {
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        Ok((response.status(), response.text().await?))
    }
}

use Answer::{AllowAll, AllowOnly, Deny};

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// The resources of a searchset Bundle.
fn entries(bundle: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(bundle)
        .ok()
        .and_then(|b| b["entry"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(|e| e["resource"].clone())
        .collect()
}

/// Whether an answer holds `patient_id`'s data: in a Bundle's resources, or in a resource
/// read. (Links echo the request, and an OperationOutcome names what was asked: those say
/// nothing the requester did not send.)
fn leaks(body: &str, patient_id: &str) -> bool {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return body.contains(patient_id);
    };
    match value["resourceType"].as_str() {
        Some("Bundle") => entries(body)
            .iter()
            .any(|r| r.to_string().contains(patient_id)),
        Some("OperationOutcome") => false,
        _ => body.contains(patient_id),
    }
}

#[tokio::test]
async fn a_member_connects_an_app_through_the_forms_and_the_tokens_keep_working_until_revoked()
-> TestResult {
    let server = start().await?;
    let (member, patient) = server.members[0].clone();

    // Discovery (SMART 2.2 section 2.0.3; kit tests D1, D2 and STU1 D3', D4').
    let (status, well_known) = server
        .fhir_get(".well-known/smart-configuration", None)
        .await?;
    assert_eq!(status, StatusCode::OK);
    let well_known: Value = serde_json::from_str(&well_known)?;
    assert_eq!(
        well_known["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let (_, metadata) = server.fhir_get("metadata", None).await?;
    let metadata: Value = serde_json::from_str(&metadata)?;
    let oauth = &metadata["rest"][0]["security"]["extension"][0]["extension"];
    for (url, key) in [
        ("authorize", "authorization_endpoint"),
        ("token", "token_endpoint"),
        ("introspect", "introspection_endpoint"),
        ("revoke", "revocation_endpoint"),
        ("manage", "management_endpoint"),
    ] {
        let published = oauth
            .as_array()
            .and_then(|uris| uris.iter().find(|u| u["url"] == url))
            .map(|u| u["valueUri"].clone());
        assert_eq!(published, Some(well_known[key].clone()), "{url}");
    }
    let openid: Value = server
        .http
        .get(format!(
            "{}/.well-known/openid-configuration",
            text(&well_known, "issuer")
        ))
        .send()
        .await?
        .json()
        .await?;
    let jwks: Value = server
        .http
        .get(text(&openid, "jwks_uri"))
        .send()
        .await?
        .json()
        .await?;

    // Registration through the admin API, which needs the admin token.
    let register = serde_json::json!({"name": "Registered app", "redirect_uris": [REDIRECT]});
    let refused = server
        .http
        .post(format!("{}/auth/admin/clients", server.origin))
        .json(&register)
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let registered: Value = server
        .http
        .post(format!("{}/auth/admin/clients", server.origin))
        .bearer_auth("admin-token")
        .json(&register)
        .send()
        .await?
        .json()
        .await?;
    let client_id = text(&registered, "client_id");
    assert!(!client_id.is_empty(), "{registered}");

    // Without a token, the FHIR API answers 401 (g10 "unauthorized access").
    let (status, _) = server.fhir_get(&format!("Patient/{patient}"), None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A wrong password shows the form again, with the reason.
    let mut launch = server.launch("launch/patient openid fhirUser offline_access patient/*.rs");
    launch.client_id = client_id.clone();
    let (_, _, page) = server.authorize(&launch).await?;
    let session = inputs(&page, "session").pop().ok_or("no session")?;
    let wrong = server
        .post_form(
            "/auth/login",
            form(&[
                ("session", &session),
                ("username", &member),
                ("password", "nope"),
            ]),
        )
        .await?;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await?
            .contains("user name or password is wrong")
    );

    let location = server.sign_in(&launch, &member, AllowAll).await?;
    let code = query_param(&location, "code").ok_or("no code")?;
    let (status, token) = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &client_id),
        ])
        .await?;
    assert_eq!(status, StatusCode::OK, "{token}");
    // Kit test S6 and SMART 2.2 section 2.0.9.
    assert_eq!(text(&token, "token_type"), "Bearer");
    assert_eq!(text(&token, "patient"), patient);
    assert_eq!(
        text(&token, "scope"),
        "launch/patient openid fhirUser offline_access patient/*.rs"
    );
    assert_eq!(token["expires_in"], 3600);
    assert_eq!(token["refresh_expires_in"], 90 * 24 * 3600);

    // The id_token: RS256 (the OpenID default the kits require), signed by a published key.
    let id_token = text(&token, "id_token");
    let header = jsonwebtoken::decode_header(&id_token)?;
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks)?;
    let key = set
        .find(header.kid.as_deref().unwrap_or(""))
        .ok_or("kid not published")?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&client_id]);
    validation.set_issuer(&[text(&openid, "issuer")]);
    let claims = jsonwebtoken::decode::<Value>(
        &id_token,
        &jsonwebtoken::DecodingKey::from_jwk(key)?,
        &validation,
    )?
    .claims;
    assert_eq!(text(&claims, "sub"), member);
    assert_eq!(
        text(&claims, "fhirUser"),
        format!("{}/Patient/{patient}", server.fhir)
    );

    // The FHIR API, with the token: the member's own data.
    let access = text(&token, "access_token");
    let (status, body) = server
        .fhir_get(&format!("Patient/{patient}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .fhir_get(
            &format!("ExplanationOfBenefit?patient={patient}"),
            Some(&access),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(!entries(&body).is_empty());
    let audited = server.audit.events();
    let last = audited.last().ok_or("nothing audited")?;
    assert_eq!(last.action, AuditAction::Search);
    assert_eq!(last.subject.as_deref(), Some(member.as_str()));
    assert_eq!(last.client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!(last.resources.len(), entries(&body).len());

    // Introspection (RFC 7662, kit group 4.7), by a caller holding an active token.
    let introspect = |token: String| {
        let http = server.http.clone();
        let url = format!("{}/auth/introspect", server.origin);
        let bearer = access.clone();
        async move {
            http.post(url)
                .bearer_auth(bearer)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("token", &token)]))
                .send()
                .await?
                .json::<Value>()
                .await
        }
    };
    let active = introspect(access.clone()).await?;
    assert_eq!(active["active"], true);
    assert_eq!(text(&active, "client_id"), client_id);
    assert_eq!(text(&active, "patient"), patient);
    assert_eq!(text(&active, "scope"), text(&token, "scope"));
    assert_eq!(text(&active, "sub"), member);
    assert_eq!(
        introspect("invalid_token_value".to_owned()).await?,
        serde_json::json!({"active": false})
    );

    // Refresh: a new access token and a new refresh token (rotation).
    let first_refresh = text(&token, "refresh_token");
    let (status, refreshed) = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
            ("client_id", &client_id),
        ])
        .await?;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(text(&refreshed, "scope"), text(&token, "scope"));
    assert_eq!(text(&refreshed, "patient"), patient);
    let second_refresh = text(&refreshed, "refresh_token");
    assert_ne!(second_refresh, first_refresh);
    let second_access = text(&refreshed, "access_token");
    let (status, _) = server
        .fhir_get(&format!("Patient/{patient}"), Some(&second_access))
        .await?;
    assert_eq!(status, StatusCode::OK);

    // The old refresh token again: refused, and the whole grant is revoked.
    let (status, reused) = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
            ("client_id", &client_id),
        ])
        .await?;
    assert_eq!(
        (status, text(&reused, "error").as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    for token in [&access, &second_access] {
        let (status, _) = server
            .fhir_get(&format!("Patient/{patient}"), Some(token))
            .await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &second_refresh),
            ("client_id", &client_id),
        ])
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A new authorization, revoked by the app (RFC 7009): its tokens stop working.
    let token = server
        .connect(&member, "launch/patient offline_access patient/*.rs")
        .await?;
    let access = text(&token, "access_token");
    let (status, _) = server
        .fhir_get(&format!("Patient/{patient}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::OK);
    let revoked = server
        .post_form(
            "/auth/revoke",
            form(&[
                ("token", &text(&token, "refresh_token")),
                ("client_id", &server.app),
            ]),
        )
        .await?;
    assert_eq!(revoked.status(), StatusCode::OK);
    let (status, body) = server
        .fhir_get(&format!("Patient/{patient}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(!leaks(&body, &patient));
    let (status, _) = server.refresh(&text(&token, "refresh_token")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn the_member_sees_and_revokes_connected_apps_on_the_management_page() -> TestResult {
    let server = start().await?;
    let (member, patient) = server.members[1].clone();
    let first = server
        .connect(&member, "offline_access patient/*.rs")
        .await?;
    let second = server.connect(&member, "patient/*.rs").await?;
    let (status, page) = {
        let response = server
            .http
            .get(format!("{}/auth/apps", server.origin))
            .send()
            .await?;
        (response.status(), response.text().await?)
    };
    assert_eq!(status, StatusCode::OK);
    let response = server
        .post_form(
            &action(&page)?,
            form(&[("username", &member), ("password", PASSWORD)]),
        )
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await?;
    assert_eq!(page.matches("Revoke Test app").count(), 2, "{page}");
    let session = inputs(&page, "session").pop().ok_or("no session")?;
    let grants = inputs(&page, "grant");
    // Another member's session (they have an app of their own) cannot revoke it.
    server.connect(&server.members[0].0, "patient/*.rs").await?;
    let other = server
        .post_form(
            "/auth/apps",
            form(&[("username", &server.members[0].0), ("password", PASSWORD)]),
        )
        .await?
        .text()
        .await?;
    let other_session = inputs(&other, "session").pop().ok_or("no session")?;
    server
        .post_form(
            &action(&other)?,
            form(&[("session", &other_session), ("grant", &grants[0])]),
        )
        .await?;
    for token in [&first, &second] {
        let (status, _) = server
            .fhir_get(
                &format!("Patient/{patient}"),
                Some(&text(token, "access_token")),
            )
            .await?;
        assert_eq!(status, StatusCode::OK);
    }
    // The member's own revoke buttons work, one after the other, each from the page the
    // last one answered.
    let mut page = page;
    for grant in &grants {
        page = server
            .post_form(
                &action(&page)?,
                form(&[("session", &session), ("grant", grant)]),
            )
            .await?
            .text()
            .await?;
    }
    assert!(page.contains("No app is connected"), "{page}");
    for token in [&first, &second] {
        let (status, _) = server
            .fhir_get(
                &format!("Patient/{patient}"),
                Some(&text(token, "access_token")),
            )
            .await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = server.refresh(&text(&first, "refresh_token")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn bad_authorization_requests_never_give_a_code() -> TestResult {
    let server = start().await?;
    let good = server.launch("launch/patient patient/*.rs");

    // Unknown app, or a redirect URI it did not register: an error page, no redirect.
    for launch in [
        Launch {
            client_id: "nobody".to_owned(),
            ..good.clone()
        },
        Launch {
            redirect_uri: "http://127.0.0.1:9/elsewhere".to_owned(),
            ..good.clone()
        },
        Launch {
            redirect_uri: format!("{REDIRECT}/"),
            ..good.clone()
        },
    ] {
        let (status, location, _) = server.authorize(&launch).await?;
        assert_eq!((status, location), (StatusCode::BAD_REQUEST, None));
    }
    // Everything else goes back to the app with an error and the state, never a code
    // (g10 "invalid AUD"; PKCE S256 required, `plain` refused).
    for (launch, error) in [
        (
            Launch {
                aud: "https://inferno.healthit.gov/invalid_aud".to_owned(),
                ..good.clone()
            },
            "invalid_request",
        ),
        (
            Launch {
                method: "plain".to_owned(),
                challenge: VERIFIER.to_owned(),
                ..good.clone()
            },
            "invalid_request",
        ),
        (
            Launch {
                challenge: String::new(),
                ..good.clone()
            },
            "invalid_request",
        ),
        (
            Launch {
                scope: "patient/Unknown.rs system/*.rs".to_owned(),
                ..good.clone()
            },
            "invalid_scope",
        ),
    ] {
        let (status, location, _) = server.authorize(&launch).await?;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.ok_or("no Location")?;
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some(error),
            "{location}"
        );
        assert_eq!(
            query_param(&location, "state").as_deref(),
            Some("state-123")
        );
        assert_eq!(query_param(&location, "code"), None);
    }
    // The member denies: access_denied, no code.
    let location = server.sign_in(&good, &server.members[0].0, Deny).await?;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "code"), None);
    Ok(())
}

#[tokio::test]
async fn bad_token_requests_are_refused_as_the_kits_expect() -> TestResult {
    let server = start().await?;
    let member = server.members[0].0.clone();
    let launch = server.launch("launch/patient patient/*.rs");
    let code = || async {
        let location = server.sign_in(&launch, &member, AllowAll).await?;
        query_param(&location, "code").ok_or_else(|| Box::<dyn Error>::from("no code"))
    };
    // g10 "invalid PKCE": no verifier, a blank one, a wrong one, the challenge itself.
    let challenge = pkce_challenge(VERIFIER);
    for verifier in [
        "",
        "a-wrong-verifier-that-is-long-enough-to-be-well-formed-0000",
        challenge.as_str(),
    ] {
        let code: String = code().await?;
        let (status, body) = server.exchange(&code, verifier).await?;
        assert_eq!(
            (status, text(&body, "error").as_str()),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "{verifier}"
        );
    }
    // A bad code: exactly 400.
    let (status, body) = server.exchange("BAD_CODE", VERIFIER).await?;
    assert_eq!(
        (status, text(&body, "error").as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    // A bad client: 401 invalid_client.
    let code_value: String = code().await?;
    let (status, body) = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code_value),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", "BAD_CLIENT_ID"),
        ])
        .await?;
    assert_eq!(
        (status, text(&body, "error").as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    // Another redirect URI than the authorization request's.
    let code_value: String = code().await?;
    let (status, _) = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code_value),
            ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
            ("code_verifier", VERIFIER),
            ("client_id", &server.app),
        ])
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A code used twice: the second use fails and revokes what the first gave.
    let code_value: String = code().await?;
    let (status, first) = server.exchange(&code_value, VERIFIER).await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.exchange(&code_value, VERIFIER).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .fhir_get(
            &format!("Patient/{}", server.members[0].1),
            Some(&text(&first, "access_token")),
        )
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An unsupported grant type: exactly 400 (kit test B2).
    let (status, body) = server
        .token(&[
            ("grant_type", "not_a_grant_type"),
            ("client_id", &server.app),
        ])
        .await?;
    assert_eq!(
        (status, text(&body, "error").as_str()),
        (StatusCode::BAD_REQUEST, "unsupported_grant_type")
    );
    // A random refresh token (g10 "invalid refresh token").
    let (status, _) = server
        .refresh("3f0bd2e6-5b7c-4a33-9a1e-2b7d1c8e9f00")
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn tokens_expire_on_the_servers_clock_and_refresh_tokens_outlive_them() -> TestResult {
    let server = start().await?;
    let (member, patient) = server.members[0].clone();
    let token = server
        .connect(&member, "offline_access patient/*.rs")
        .await?;
    let access = text(&token, "access_token");
    server.clock.0.fetch_add(3_600_000, Ordering::SeqCst);
    let (status, body) = server
        .fhir_get(&format!("Patient/{patient}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, refreshed) = server.refresh(&text(&token, "refresh_token")).await?;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let (status, _) = server
        .fhir_get(
            &format!("Patient/{patient}"),
            Some(&text(&refreshed, "access_token")),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    // After the maximum authorization period, refresh fails too: the member signs in again.
    server
        .clock
        .0
        .fetch_add(91 * 24 * 3_600_000, Ordering::SeqCst);
    let (status, _) = server.refresh(&text(&refreshed, "refresh_token")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Without offline_access there is no refresh token at all.
    let token = server.connect(&member, "patient/*.rs").await?;
    assert_eq!(token.get("refresh_token"), None);
    Ok(())
}

#[tokio::test]
async fn a_members_token_reads_nothing_of_another_member() -> TestResult {
    let server = start().await?;
    let (member, own) = server.members[0].clone();
    let other = server.members[1].1.clone();
    let token = server.connect(&member, "patient/*.rs").await?;
    let access = text(&token, "access_token");
    // The other member's EOB ids, read with the open store directly.
    let (_, own_eobs) = server
        .fhir_get(
            &format!("ExplanationOfBenefit?patient={own}&_count=1"),
            Some(&access),
        )
        .await?;
    let own_eob = entries(&own_eobs)
        .first()
        .map(|e| text(e, "id"))
        .ok_or("no EOB")?;
    let requests = [
        format!("Patient/{other}"),
        format!("Patient?_id={other}"),
        "Patient".to_owned(),
        format!("ExplanationOfBenefit?patient={other}"),
        format!("Coverage?beneficiary=Patient/{other}"),
        format!("Patient/{other}/$everything"),
        format!("ExplanationOfBenefit?_id={own_eob}&_include=ExplanationOfBenefit:patient"),
        format!("Patient?_id={own}&_revinclude=ExplanationOfBenefit:patient&_count=50"),
        "Observation?_count=100".to_owned(),
    ];
    for request in &requests {
        let (status, body) = server.fhir_get(request, Some(&access)).await?;
        assert!(
            !leaks(&body, &other),
            "{request} answered {status} with the other member's data"
        );
        if request.starts_with("Patient/") {
            assert_eq!(status, StatusCode::NOT_FOUND, "{request}");
        }
    }
    let (_, everyone) = server.fhir_get("Patient", Some(&access)).await?;
    let ids: Vec<String> = entries(&everyone).iter().map(|p| text(p, "id")).collect();
    assert_eq!(ids, vec![own]);
    Ok(())
}

/// CMS-9115-F: the provider directory is public. A member's real token (from the whole
/// SMART flow) gets the same answers as no token at all, reads no member data there, not
/// even the member's own, and a token that no longer works changes nothing either.
#[tokio::test]
async fn a_members_token_changes_nothing_on_the_public_directory() -> TestResult {
    let server = start().await?;
    let (member, patient) = server.members[0].clone();
    let token = server.connect(&member, "patient/*.rs").await?;
    let access = text(&token, "access_token");
    let (status, _) = server
        .fhir_get(&format!("Patient/{patient}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::OK, "the token works on the member API");
    for path in [
        "PractitionerRole?_count=100&_include=PractitionerRole:practitioner",
        "Organization?_has:OrganizationAffiliation:participating-organization:network=Organization/cascade-ppo-network&_count=100",
        "Location?address-city=Portland&_count=100",
        "InsurancePlan?_count=100",
    ] {
        let (status, anonymous) = server.directory_get(path, None).await?;
        assert_eq!(status, StatusCode::OK, "{path}: {anonymous}");
        let anonymous = entries(&anonymous);
        assert!(!anonymous.is_empty(), "{path}");
        for bearer in [access.as_str(), "not-a-token"] {
            let (status, with_token) = server.directory_get(path, Some(bearer)).await?;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(entries(&with_token), anonymous, "{path}");
        }
    }
    for path in [
        format!("Patient/{patient}"),
        format!("ExplanationOfBenefit?patient={patient}"),
        format!("Patient/{patient}/$everything"),
        format!("Coverage?beneficiary=Patient/{patient}"),
    ] {
        let (status, body) = server.directory_get(&path, Some(&access)).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!leaks(&body, &patient), "{path}: {body}");
    }
    Ok(())
}

#[tokio::test]
async fn consent_and_granular_scopes_limit_what_the_token_reads() -> TestResult {
    let server = start().await?;
    let (member, patient) = server.members[0].clone();
    // The member unticks clinical records.
    let location = server
        .sign_in(
            &server.launch("launch/patient patient/*.rs"),
            &member,
            AllowOnly(|field| !field.ends_with(".clinical")),
        )
        .await?;
    let code = query_param(&location, "code").ok_or("no code")?;
    let (_, token) = server.exchange(&code, VERIFIER).await?;
    let scope = text(&token, "scope");
    assert!(scope.contains("patient/ExplanationOfBenefit.rs"), "{scope}");
    assert!(
        !scope.contains("Observation") && !scope.contains("patient/*"),
        "{scope}"
    );
    let access = text(&token, "access_token");
    let (status, _) = server
        .fhir_get(
            &format!("ExplanationOfBenefit?patient={patient}"),
            Some(&access),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = server
        .fhir_get(&format!("Observation?patient={patient}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, everything) = server
        .fhir_get(&format!("Patient/{patient}/$everything"), Some(&access))
        .await?;
    assert!(
        entries(&everything)
            .iter()
            .all(|r| r["resourceType"] != "Observation")
    );

    // A v2 granular scope: laboratory Observations only (US Core 6 category scopes).
    let lab = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory";
    let token = server
        .connect(
            &member,
            &format!("patient/Observation.rs?category={lab} patient/Patient.rs"),
        )
        .await?;
    let access = text(&token, "access_token");
    let (status, body) = server
        .fhir_get(&format!("Observation?patient={patient}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let labs = entries(&body);
    assert!(!labs.is_empty());
    for observation in &labs {
        assert!(
            observation["category"].to_string().contains("laboratory"),
            "{observation}"
        );
    }
    // A vital sign of the same member, by id: not found for this token.
    let (full, _) = (server.connect(&member, "patient/*.rs").await?, ());
    let (_, vitals) = server
        .fhir_get(
            &format!("Observation?patient={patient}&category=vital-signs&_count=1"),
            Some(&text(&full, "access_token")),
        )
        .await?;
    let vital = entries(&vitals)
        .first()
        .map(|o| text(o, "id"))
        .ok_or("no vital sign")?;
    let (status, _) = server
        .fhir_get(&format!("Observation/{vital}"), Some(&access))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

fn backend_key() -> AnyResult<(jsonwebtoken::EncodingKey, String)> {
    Ok(keys::signing_key(jsonwebtoken::Algorithm::ES384)?)
}

fn assertion(
    key: &jsonwebtoken::EncodingKey,
    client_id: &str,
    token_url: &str,
    jti: &str,
    lifetime_s: i64,
) -> AnyResult<String> {
    signed_assertion(
        jsonwebtoken::Algorithm::ES384,
        key,
        client_id,
        token_url,
        jti,
        lifetime_s,
    )
}

fn signed_assertion(
    alg: jsonwebtoken::Algorithm,
    key: &jsonwebtoken::EncodingKey,
    client_id: &str,
    token_url: &str,
    jti: &str,
    lifetime_s: i64,
) -> AnyResult<String> {
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(format!("{alg:?}-key"));
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": token_url,
        "exp": chrono::Utc::now().timestamp() + lifetime_s, "jti": jti,
    });
    Ok(jsonwebtoken::encode(&header, &claims, key)?)
}

#[tokio::test]
async fn backend_services_authenticate_with_signed_assertions() -> TestResult {
    let server = start().await?;
    let (key, jwks) = backend_key()?;
    let client_id = server
        .auth
        .register(
            Registration::public("Backend", Vec::new()).kind(ClientKind::Backend {
                keys: ClientKeys::Jwks(jwks),
            }),
        )
        .await?
        .client_id;
    let token_url = format!("{}/auth/token", server.origin);
    let request = |assertion: String, assertion_type: &str, scope: &str| {
        vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("scope".to_owned(), scope.to_owned()),
            (
                "client_assertion_type".to_owned(),
                assertion_type.to_owned(),
            ),
            ("client_assertion".to_owned(), assertion),
        ]
    };
    let jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let server = &server;
    let send = |pairs: Vec<(String, String)>| async move {
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        server.token(&pairs).await
    };
    let good = assertion(&key, &client_id, &token_url, "jti-1", 240)?;
    let (status, token) = send(request(good.clone(), jwt_bearer, "system/*.rs")).await?;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(text(&token, "scope"), "system/*.rs");
    assert_eq!(token.get("refresh_token"), None);
    // The same assertion again: a replay.
    let (status, body) = send(request(good, jwt_bearer, "system/*.rs")).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Kit tests B3 and B4: a wrong assertion type is exactly 400; a wrong iss is 401.
    let fresh = assertion(&key, &client_id, &token_url, "jti-2", 240)?;
    let (status, _) = send(request(fresh, "not_an_assertion_type", "system/*.rs")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let wrong_iss = assertion(&key, "not_a_valid_iss", &token_url, "jti-3", 240)?;
    let (status, _) = send(request(wrong_iss, jwt_bearer, "system/*.rs")).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Longer than five minutes, or for another audience.
    let long = assertion(&key, &client_id, &token_url, "jti-4", 3600)?;
    let (status, body) = send(request(long, jwt_bearer, "system/*.rs")).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let elsewhere = assertion(
        &key,
        &client_id,
        "https://elsewhere.example/token",
        "jti-5",
        240,
    )?;
    let (status, _) = send(request(elsewhere, jwt_bearer, "system/*.rs")).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A key the client did not register.
    let (stranger, _) = backend_key()?;
    let forged = assertion(&stranger, &client_id, &token_url, "jti-6", 240)?;
    let (status, _) = send(request(forged, jwt_bearer, "system/*.rs")).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Patient scopes are not for backend services.
    let patient_scope = assertion(&key, &client_id, &token_url, "jti-7", 240)?;
    let (status, body) = send(request(patient_scope, jwt_bearer, "patient/*.rs")).await?;
    assert_eq!(
        (status, text(&body, "error").as_str()),
        (StatusCode::BAD_REQUEST, "invalid_scope")
    );
    // The system token reads every member's data, and only reads.
    let access = text(&token, "access_token");
    for (_, patient) in &server.members {
        let (status, _) = server
            .fhir_get(&format!("Patient/{patient}"), Some(&access))
            .await?;
        assert_eq!(status, StatusCode::OK);
    }
    Ok(())
}

#[tokio::test]
async fn confidential_clients_authenticate_with_their_secret() -> TestResult {
    let server = start().await?;
    let registered = server
        .auth
        .register(
            Registration::public("Confidential", vec![REDIRECT.to_owned()])
                .kind(ClientKind::Secret)
                .id_token_alg("ES384"),
        )
        .await?;
    let secret = registered.client_secret.clone().ok_or("no secret")?;
    let mut launch = server.launch("openid fhirUser patient/*.rs");
    launch.client_id = registered.client_id.clone();
    let member = server.members[0].0.clone();
    let exchange = |basic: Option<String>, extra: Vec<(&'static str, String)>, code: String| {
        let http = server.http.clone();
        let url = format!("{}/auth/token", server.origin);
        async move {
            let mut pairs = vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", REDIRECT.to_owned()),
                ("code_verifier", VERIFIER.to_owned()),
            ];
            pairs.extend(extra);
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let mut request = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&pairs));
            if let Some(basic) = basic {
                request = request.header("authorization", format!("Basic {basic}"));
            }
            let response = request.send().await?;
            Ok::<_, reqwest::Error>((response.status(), response.json::<Value>().await?))
        }
    };
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    // client_secret_basic.
    let code =
        query_param(&server.sign_in(&launch, &member, AllowAll).await?, "code").ok_or("no code")?;
    let basic = b64(format!("{}:{secret}", registered.client_id));
    let (status, token) = exchange(Some(basic), Vec::new(), code).await?;
    assert_eq!(status, StatusCode::OK, "{token}");
    let header = jsonwebtoken::decode_header(text(&token, "id_token"))?;
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES384);
    // client_secret_post.
    let code =
        query_param(&server.sign_in(&launch, &member, AllowAll).await?, "code").ok_or("no code")?;
    let (status, _) = exchange(
        None,
        vec![
            ("client_id", registered.client_id.clone()),
            ("client_secret", secret.clone()),
        ],
        code,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    // No secret, or a wrong one: 401.
    let code =
        query_param(&server.sign_in(&launch, &member, AllowAll).await?, "code").ok_or("no code")?;
    let (status, _) = exchange(
        None,
        vec![("client_id", registered.client_id.clone())],
        code.clone(),
    )
    .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let wrong = b64(format!("{}:not-the-secret", registered.client_id));
    let (status, _) = exchange(Some(wrong), Vec::new(), code).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    Ok(())
}

/// A small deterministic generator for the property test.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Random members with random scopes send random requests, naming their own ids and the
/// others': no answer ever holds another member's Patient id.
#[tokio::test]
async fn no_random_request_of_a_member_returns_another_members_data() -> TestResult {
    let server = start().await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let scopes = [
        "patient/*.rs",
        "patient/*.read",
        "user/*.rs",
        "patient/ExplanationOfBenefit.rs patient/Patient.rs",
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
        "patient/Coverage.read patient/Condition.rs",
    ];
    let types = [
        "Patient",
        "ExplanationOfBenefit",
        "Coverage",
        "Observation",
        "Condition",
        "Encounter",
        "MedicationRequest",
    ];
    let mut requests_sent = 0;
    for _ in 0..6 {
        let me = rng.below(server.members.len());
        let (member, own) = server.members[me].clone();
        let others: Vec<String> = server
            .members
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me)
            .map(|(_, (_, p))| p.clone())
            .collect();
        let scope = rng.pick(&scopes).to_string();
        let token = server.connect(&member, &scope).await?;
        let access = text(&token, "access_token");
        for _ in 0..25 {
            let target = if rng.below(2) == 0 {
                own.clone()
            } else {
                rng.pick(&others).clone()
            };
            let rt = rng.pick(&types);
            let request = match rng.below(7) {
                0 => format!("Patient/{target}"),
                1 => format!("{rt}?patient={target}"),
                2 => format!("{rt}?_count={}", 1 + rng.below(50)),
                3 => format!("Patient/{target}/$everything?_count=100"),
                4 => format!("{rt}?patient=Patient/{target}&_include=*"),
                5 => format!("Patient?_id={target}&_revinclude={rt}:patient"),
                _ => format!("Patient?identifier={target}"),
            };
            let (status, body) = server.fhir_get(&request, Some(&access)).await?;
            requests_sent += 1;
            for other in &others {
                assert!(
                    !leaks(&body, other),
                    "{member} with {scope:?}: {request} answered {status} with {other}'s data"
                );
            }
        }
    }
    assert_eq!(requests_sent, 150);
    Ok(())
}

#[tokio::test]
async fn browser_apps_reach_discovery_the_token_endpoint_and_the_api_cross_origin() -> TestResult {
    let server = start().await?;
    let origin = "https://app.example";
    for (path, method) in [
        ("/fhir/.well-known/smart-configuration", "GET"),
        ("/auth/token", "POST"),
        ("/fhir/ExplanationOfBenefit", "GET"),
    ] {
        let preflight = server
            .http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", server.origin))
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "authorization")
            .send()
            .await?;
        assert!(
            preflight.status().is_success(),
            "{path}: {}",
            preflight.status()
        );
        let allowed = preflight.headers().get("access-control-allow-origin");
        assert_eq!(allowed.and_then(|v| v.to_str().ok()), Some("*"), "{path}");
    }
    // The kits' tests D3, D4 and S8: the answers themselves carry the header.
    let (member, _) = server.members[0].clone();
    let token = server.connect(&member, "patient/*.rs").await?;
    let answer = server
        .http
        .get(format!("{}/metadata", server.fhir))
        .header("origin", origin)
        .bearer_auth(text(&token, "access_token"))
        .send()
        .await?;
    assert_eq!(
        answer
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
    Ok(())
}

/// SMART asymmetric client authentication (g10 "asymmetric launch"): an app registered with
/// a JWK Set launches, exchanges its code and refreshes with RS384 assertions.
#[tokio::test]
async fn confidential_asymmetric_apps_launch_and_refresh_with_rs384_assertions() -> TestResult {
    let server = start().await?;
    let alg = jsonwebtoken::Algorithm::RS384;
    let (key, jwks) = keys::signing_key(alg)?;
    let client_id = server
        .auth
        .register(
            Registration::public("Asymmetric", vec![REDIRECT.to_owned()]).kind(
                ClientKind::PrivateKeyJwt {
                    keys: ClientKeys::Jwks(jwks),
                },
            ),
        )
        .await?
        .client_id;
    let token_url = format!("{}/auth/token", server.origin);
    let jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let mut launch = server.launch("openid fhirUser offline_access patient/*.rs");
    launch.client_id = client_id.clone();
    let location = server
        .sign_in(&launch, &server.members[0].0, AllowAll)
        .await?;
    let code = query_param(&location, "code").ok_or("no code")?;
    let first = signed_assertion(alg, &key, &client_id, &token_url, "rs-1", 240)?;
    let (status, token) = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_assertion_type", jwt_bearer),
            ("client_assertion", &first),
        ])
        .await?;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert!(token.get("id_token").is_some());
    // The refresh authenticates the same way; without an assertion it is refused.
    let refresh = text(&token, "refresh_token");
    let (status, _) = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client_id),
        ])
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let second = signed_assertion(alg, &key, &client_id, &token_url, "rs-2", 240)?;
    let (status, refreshed) = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_assertion_type", jwt_bearer),
            ("client_assertion", &second),
        ])
        .await?;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    Ok(())
}

/// `payer-server register-app` and `add-member` write to the database the server reads.
#[tokio::test]
async fn the_command_line_registers_apps_and_adds_members() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("cli.sqlite");
    let binary = env!("CARGO_BIN_EXE_payer-server");
    let output = std::process::Command::new(binary)
        .args(["register-app", "--db"])
        .arg(&db)
        .args([
            "--name",
            "CLI app",
            "--redirect-uri",
            REDIRECT,
            "--type",
            "confidential",
            "--description",
            "Keeps your claims",
            "--privacy-policy",
            "https://cli-app.example/privacy",
            "--privacy-attested",
        ])
        .output()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout)?;
    let value = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")))
            .map(str::to_owned)
    };
    let client_id = value("client_id").ok_or("no client_id")?;
    assert!(
        value("client_secret").is_some_and(|s| s.len() == 43),
        "{stdout}"
    );

    let mut child = std::process::Command::new(binary)
        .args(["add-member", "--db"])
        .arg(&db)
        .args(["--username", "cli-member", "--patient", "patient-0001"])
        .args(["--line-of-business", "medicaid"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        writeln!(stdin, "{PASSWORD}")?;
    }
    assert!(child.wait_with_output()?.status.success());

    let store = SqliteStore::open(&db)?;
    let client = payer_server::auth::AuthStore::client(&store, &client_id)
        .await?
        .ok_or("app not stored")?;
    assert_eq!(client.redirect_uris, vec![REDIRECT.to_owned()]);
    assert_eq!(client.description.as_deref(), Some("Keeps your claims"));
    assert!(client.privacy_attested_ms.is_some(), "{client:?}");
    let members = LocalMembers::new(store);
    let member =
        payer_server::auth::MemberDirectory::authenticate(&members, "cli-member", PASSWORD)
            .await?
            .ok_or("the member does not sign in")?;
    assert_eq!(member.patient_id, "patient-0001");
    assert_eq!(
        member.line_of_business,
        Some(payer_server::synth::LineOfBusiness::Medicaid)
    );
    assert!(
        payer_server::auth::MemberDirectory::authenticate(&members, "cli-member", "wrong")
            .await?
            .is_none()
    );
    Ok(())
}

/// Keys registered by URL are fetched at each authentication: a key the app withdraws
/// stops working at once, a new one works at once. Plain http is refused but on loopback.
#[tokio::test]
async fn keys_registered_by_url_are_fetched_at_each_authentication() -> TestResult {
    let server = start().await?;
    let published = Arc::new(std::sync::Mutex::new(String::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let jwks_url = format!("http://{}/jwks.json", listener.local_addr()?);
    let serving = published.clone();
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let body = serving.lock().map(|s| s.clone()).unwrap_or_default();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let refused = server
        .auth
        .register(
            Registration::public("Remote keys", Vec::new()).kind(ClientKind::Backend {
                keys: ClientKeys::JwksUrl("http://keys.example/jwks.json".to_owned()),
            }),
        )
        .await;
    assert!(refused.is_err());
    let client_id = server
        .auth
        .register(
            Registration::public("Remote keys", Vec::new()).kind(ClientKind::Backend {
                keys: ClientKeys::JwksUrl(jwks_url),
            }),
        )
        .await?
        .client_id;
    let token_url = format!("{}/auth/token", server.origin);
    let server = &server;
    let ask = |assertion: String| async move {
        server
            .token(&[
                ("grant_type", "client_credentials"),
                ("scope", "system/Patient.rs"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ])
            .await
    };
    let (first_key, first_set) = backend_key()?;
    *published.lock().map_err(|_| "lock")? = first_set;
    let (status, body) = ask(assertion(&first_key, &client_id, &token_url, "u-1", 240)?).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The app rotates its key: the old one fails, the new one works, at once.
    let (second_key, second_set) = backend_key()?;
    *published.lock().map_err(|_| "lock")? = second_set;
    let (status, _) = ask(assertion(&first_key, &client_id, &token_url, "u-2", 240)?).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = ask(assertion(&second_key, &client_id, &token_url, "u-3", 240)?).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    Ok(())
}
