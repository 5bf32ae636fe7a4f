//! A scripted HTTP server on a loopback port, for the quirks of real payers that
//! payer-server (which is conformant) never shows: each test says what each path
//! answers, in order, and reads back every request it got.

#![allow(dead_code, reason = "each test binary uses a part of it")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use smart_client::{
    ClientAuth, Clock, Grant, ReqwestHttp, RetryPolicy, Session, SessionOptions, TokenResponse,
};

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    /// `status` with a JSON body.
    pub(crate) fn json(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.into(),
        }
    }

    /// The same answer with one more header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// Path and query, as sent.
    pub(crate) target: String,
    pub(crate) authorization: Option<String>,
    pub(crate) method: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Received {
    /// The value of header `name`, if sent.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Script {
    /// `METHOD path` (no query) → answers; the last one repeats.
    answers: BTreeMap<String, Vec<Answer>>,
    received: Vec<Received>,
}

/// The scripted server.
#[derive(Clone)]
pub(crate) struct Mock {
    pub(crate) origin: String,
    script: Arc<Mutex<Script>>,
}

impl Mock {
    pub(crate) async fn start() -> Mock {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let origin = format!("http://{}", listener.local_addr().expect("an address"));
        let script = Arc::new(Mutex::new(Script::default()));
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Mock { origin, script }
    }

    /// The FHIR base this mock pretends to serve.
    pub(crate) fn fhir(&self) -> String {
        format!("{}/fhir", self.origin)
    }

    /// `method path` answers `answers` in turn, the last one from then on.
    pub(crate) fn on(&self, method: &str, path: &str, answers: Vec<Answer>) -> &Mock {
        self.lock()
            .answers
            .insert(format!("{method} {path}"), answers);
        self
    }

    /// `GET path` answers `body` with 200.
    pub(crate) fn get(&self, path: &str, body: impl Into<String>) -> &Mock {
        self.on("GET", path, vec![Answer::json(200, body)])
    }

    /// Every request so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The requests so far to `path` (without the query).
    pub(crate) fn received_at(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.target.split('?').next() == Some(path))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn answer(
    State(script): State<Arc<Mutex<Script>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut script = script
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    script.received.push(Received {
        target: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), ToString::to_string),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        method: method.to_string(),
        headers: headers
            .iter()
            .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let key = format!("{method} {}", uri.path());
    let Some(answers) = script.answers.get_mut(&key) else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            format!("nothing scripted for {key}"),
        )
            .into_response();
    };
    let answer = if answers.len() > 1 {
        answers.remove(0)
    } else {
        answers[0].clone()
    };
    let mut response = answer.body.into_response();
    *response.status_mut() =
        axum::http::StatusCode::from_u16(answer.status).expect("a valid status");
    for (name, value) in answer.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            axum::http::HeaderValue::from_str(&value).expect("a header value"),
        );
    }
    response
}

/// A client clock tests move.
#[derive(Debug, Default)]
pub(crate) struct TestClock(pub(crate) AtomicU64);

impl TestClock {
    pub(crate) fn at(seconds: u64) -> Arc<TestClock> {
        Arc::new(TestClock(AtomicU64::new(seconds)))
    }

    pub(crate) fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A searchset Bundle of `resources` (JSON objects), with a `next` link when given.
pub(crate) fn searchset(resources: &[&str], next: Option<&str>) -> String {
    let entries: Vec<String> = resources
        .iter()
        .map(|r| format!(r#"{{"resource": {r}, "search": {{"mode": "match"}}}}"#))
        .collect();
    let link = next
        .map(|url| format!(r#""link": [{{"relation": "next", "url": "{url}"}}],"#))
        .unwrap_or_default();
    // FHIR JSON has no empty arrays: no matches, no `entry`.
    let entry = if entries.is_empty() {
        String::new()
    } else {
        format!(r#", "entry": [{}]"#, entries.join(","))
    };
    format!(r#"{{{link} "resourceType": "Bundle", "type": "searchset"{entry}}}"#)
}

/// An unsigned JWT with `claims` (a JSON object).
pub(crate) fn jwt(claims: &str) -> String {
    use base64::Engine;
    let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    format!("{}.{}.sig", encode(r#"{"alg":"RS256"}"#), encode(claims))
}

/// A session on `mock` from the token response `token`, with `auth`, at `clock`; no
/// waiting between retries.
pub(crate) async fn session(
    mock: &Mock,
    token: &str,
    auth: ClientAuth,
    clock: Arc<TestClock>,
) -> Result<Session, Box<dyn std::error::Error>> {
    let response = TokenResponse::parse(200, token)?;
    let grant = Grant::from_token_response(
        &mock.fhir(),
        &format!("{}/auth/token", mock.origin),
        response,
        "patient/*.rs offline_access",
        clock.now(),
    );
    let options = SessionOptions::default()
        .with_clock(clock)
        .with_retry(RetryPolicy::new(
            3,
            std::time::Duration::ZERO,
            std::time::Duration::from_secs(5),
        ));
    Ok(Session::start(Arc::new(ReqwestHttp::new()?), auth, grant, options).await?)
}
