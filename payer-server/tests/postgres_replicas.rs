//! Two `payer-server serve` processes over one PostgreSQL database behind a round-robin
//! proxy (a load balancer in miniature: each request goes to the next replica), and
//! smart-client driving a whole member's connection through it: discovery, the sign-in and
//! consent forms, the code exchange, `sync_all`, a refresh, and a stolen refresh token
//! replayed. Every step alternates between the replicas, so each one has to accept what
//! the other issued (sessions, codes, tokens) and refuse what the other used; and both
//! write the audit trail to the one database.
//!
//! Needs the features `postgres` and `testing` (`cargo xtask ci` runs it) and a test
//! database (`PAYER_SERVER_TEST_POSTGRES`).

#[path = "support/process.rs"]
mod process;
#[path = "support/postgres.rs"]
mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use payer_server::auth::{AuthConfig, AuthServer, LocalMembers, Registration};
use payer_server::ingest::{self, Validation};
use payer_server::testing::MemberBrowser;
use process::{Killed, free_address, serving};
use smart_client::{ClientAuth, LaunchRequest, ReqwestHttp, SessionOptions, SmartClient};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const PASSWORD: &str = "correct horse battery";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const SCOPE: &str = "launch/patient openid fhirUser offline_access patient/*.rs";
const ADMIN_TOKEN: &str = "replicas-share-this-admin-token";

/// Starts `payer-server serve` on `database`, public at `public_fhir`, given the
/// database and the admin token in the environment or, with `config`, in that settings
/// file: the process and its own origin, once it answers.
async fn start_replica(
    database: &str,
    public_fhir: &str,
    config: Option<&std::path::Path>,
) -> Result<(Killed, String), String> {
    let listen = free_address()?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_payer-server"));
    command.args(["serve", "--listen", &listen, "--base-url", public_fhir]);
    match config {
        None => command
            .env("PAYER_SERVER_DATABASE", database)
            .env("PAYER_SERVER_ADMIN_TOKEN", ADMIN_TOKEN),
        Some(file) => {
            std::fs::write(
                file,
                format!("# a replica\ndatabase = {database}\nadmin-token = {ADMIN_TOKEN}\n"),
            )
            .map_err(|e| e.to_string())?;
            command.arg("--config").arg(file)
        }
    };
    let replica = serving(&mut command, &listen).await?;
    Ok((replica, format!("http://{listen}")))
}

/// The round-robin proxy: each request to the next replica, taken in turn per kind of
/// request (its path's first two segments: `/auth/token`, `/fhir/Patient`), so that
/// consecutive requests of a kind always change replica; noted as `(replica, method,
/// path)`.
struct Balancer {
    replicas: Vec<String>,
    turns: Mutex<std::collections::HashMap<String, usize>>,
    http: reqwest::Client,
    served: Mutex<Vec<(usize, String, String)>>,
}

async fn forward(State(lb): State<Arc<Balancer>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let kind: Vec<&str> = parts.uri.path().split('/').take(3).collect();
    let n = match lb.turns.lock() {
        Ok(mut turns) => {
            let turn = turns.entry(kind.join("/")).or_insert(0);
            *turn += 1;
            (*turn - 1) % lb.replicas.len()
        }
        Err(_) => 0,
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut headers = parts.headers.clone();
    headers.remove(axum::http::header::HOST);
    let sent = lb
        .http
        .request(parts.method.clone(), format!("{}{path}", lb.replicas[n]))
        .headers(headers)
        .body(body)
        .send()
        .await;
    if let Ok(mut served) = lb.served.lock() {
        served.push((n, parts.method.to_string(), path));
    }
    let Ok(sent) = sent else {
        return Response::builder()
            .status(502)
            .body(Body::empty())
            .unwrap_or_default();
    };
    let mut response = Response::builder().status(sent.status());
    for (name, value) in sent.headers() {
        if name != axum::http::header::TRANSFER_ENCODING {
            response = response.header(name, value);
        }
    }
    let bytes = sent.bytes().await.unwrap_or_default();
    response.body(Body::from(bytes)).unwrap_or_default()
}

/// Which replicas served requests whose path starts with `prefix`.
fn replicas_serving(lb: &Balancer, prefix: &str) -> BTreeSet<usize> {
    lb.served
        .lock()
        .map(|s| {
            s.iter()
                .filter(|(_, _, path)| path.starts_with(prefix))
                .map(|(n, _, _)| *n)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_over_one_database_serve_a_member_as_one() -> TestResult {
    let database = support::fresh_schema_url().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let public = format!("http://{}", listener.local_addr()?);
    let public_fhir = format!("{public}/fhir");

    // The data, a member's password and the app, written once to the database.
    let store = payer_server::store::PostgresStore::connect(&database).await?;
    let config = payer_server::synth::Config {
        members: 2,
        ..Default::default()
    };
    let (_, members) = ingest::load_synthetic(&store, &config, Validation::Off).await?;
    let member = &members[0];
    LocalMembers::new(store.clone())
        .add(&member.username, PASSWORD, &member.patient_id)
        .await?;
    let auth = AuthServer::new(
        store.clone(),
        AuthConfig::new(format!("{public}/auth"), &public_fhir),
    )
    .await?;
    let app = auth
        .register(Registration::public(
            "Replica test app",
            vec![REDIRECT.to_owned()],
        ))
        .await?
        .client_id;

    // One configured by its environment, the other by a settings file.
    let dir = tempfile::tempdir()?;
    let replicas = [
        start_replica(&database, &public_fhir, None).await?,
        start_replica(
            &database,
            &public_fhir,
            Some(&dir.path().join("replica.conf")),
        )
        .await?,
    ];
    let lb = Arc::new(Balancer {
        replicas: replicas.iter().map(|(_, origin)| origin.clone()).collect(),
        turns: Mutex::default(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
        served: Mutex::new(Vec::new()),
    });
    let proxy = axum::Router::new().fallback(forward).with_state(lb.clone());
    tokio::spawn(async move { axum::serve(listener, proxy).await });

    // The whole launch through the proxy.
    let http = Arc::new(ReqwestHttp::with_timeout(Duration::from_secs(30))?);
    let payer = SmartClient::discover(http, &public_fhir).await?;
    let request = LaunchRequest::new(&app, REDIRECT, SCOPE, payer.fhir_base());
    let pending = payer.authorize(&request)?;
    let redirect = MemberBrowser::new()?
        .sign_in_and_allow(&pending.url, &member.username, PASSWORD)
        .await?;
    let session = payer
        .complete(
            &pending,
            &redirect,
            ClientAuth::public(&app),
            SCOPE,
            SessionOptions::default(),
        )
        .await?;
    assert_eq!(
        session.grant().await.patient.as_deref(),
        Some(member.patient_id.as_str())
    );

    // The whole record, its pages and types alternating between the replicas, equal to
    // what the database holds for the member.
    let report = session
        .sync_all(
            &member.patient_id,
            &smart_client::SyncOptions::default().page_size(20),
        )
        .await?;
    assert!(report.is_complete(), "{:?}", report.types);
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    let eobs = payer_server::store::ResourceStore::search(
        &store,
        &payer_server::search::SearchQuery::parse(
            "ExplanationOfBenefit",
            &[
                ("patient".to_owned(), member.patient_id.clone()),
                ("_count".to_owned(), "1000".to_owned()),
            ],
            true,
        )?,
    )
    .await?;
    assert!(!eobs.resources.is_empty());
    assert_eq!(
        report.counts()["ExplanationOfBenefit"],
        eobs.resources.len()
    );

    // A refresh on one replica; the old refresh token, replayed (a stolen copy), is
    // refused by the other and revokes the grant everywhere.
    let before = session.grant().await;
    let old_refresh = before.refresh_token.clone().ok_or("no refresh token")?;
    session.refresh().await?;
    let after = session.grant().await;
    assert_ne!(after.access_token, before.access_token);
    let fresh = reqwest::Client::new();
    let read = |token: String| {
        let (fresh, url) = (
            fresh.clone(),
            format!("{public_fhir}/Patient/{}", member.patient_id),
        );
        async move {
            fresh
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    };
    for _ in 0..2 {
        assert_eq!(
            read(after.access_token.clone()).await?,
            200,
            "the new token works on both"
        );
    }
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", &old_refresh)
        .append_pair("client_id", &app)
        .finish();
    let replayed = fresh
        .post(&after.token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?;
    assert_eq!(replayed.status().as_u16(), 400);
    assert_eq!(
        replayed.json::<serde_json::Value>().await?["error"],
        "invalid_grant"
    );
    for _ in 0..2 {
        assert_eq!(
            read(after.access_token.clone()).await?,
            401,
            "revoked on both replicas"
        );
    }

    // Each kind of request was served by both replicas.
    for prefix in [
        "/auth/",
        "/auth/token",
        "/fhir/ExplanationOfBenefit",
        "/fhir/Patient/",
    ] {
        assert_eq!(
            replicas_serving(&lb, prefix),
            BTreeSet::from([0, 1]),
            "{prefix} went to both replicas"
        );
    }

    // One audit trail: both replicas wrote theirs to the database (each writes beside
    // its requests, so wait for them; a bound, not a measure).
    let eob_requests = lb
        .served
        .lock()
        .map(|s| {
            s.iter()
                .filter(|(_, _, path)| path.starts_with("/fhir/ExplanationOfBenefit"))
                .count()
        })
        .unwrap_or(0);
    let started = std::time::Instant::now();
    loop {
        let events =
            payer_server::audit::AuditStore::audit_events(&store, Some(&member.username), 100_000)
                .await?;
        let eob_searches = events
            .iter()
            .filter(|e| e.resource_type == "ExplanationOfBenefit" && e.status == 200)
            .count();
        if eob_searches >= eob_requests {
            assert_eq!(eob_searches, eob_requests, "one event per request");
            assert!(
                events
                    .iter()
                    .all(|e| e.client_id.as_deref() == Some(app.as_str()))
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{eob_searches} of {eob_requests} EOB searches audited"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(replicas);
    Ok(())
}
