//! Load test of the SMART authorization server of payer-server, on loopback only, bounded
//! by request counts.
//!
//! 1. Loads `--members` synthetic members into a SQLite file, gives each a password, and
//!    registers a public app.
//! 2. Launches the app for every member through the real pages (authorize, sign-in form,
//!    consent form, code exchange): the launch latency, argon2id included.
//! 3. The token endpoint: `--requests` refresh-token exchanges (each rotates the refresh
//!    token in a write transaction) from `--concurrency` clients.
//! 4. Authorized FHIR reads and searches with the members' tokens, against the same
//!    requests to an open router over the same store: the cost of authorization.
//!
//! ```sh
//! cargo run --release -p example-auth-load-test -- --members 200 --requests 5000 --concurrency 4
//! ```

#![allow(
    clippy::print_stdout,
    reason = "a benchmark program: its report on stdout is its result"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use payer_server::auth::{AuthStore, MfaPolicy, pkce_challenge};
use payer_server::store::SqliteStore;
use payer_server::testing::{LoopbackPayer, MemberBrowser};
use serde_json::Value;

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The URL of a scenario's request, for a base URL and a patient id.
type UrlFor = fn(&str, &str) -> String;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "load-test password";
const VERIFIER: &str = "load-test-pkce-verifier-of-more-than-forty-three-characters";

#[derive(Parser)]
#[command(about = "Load test payer-server's SMART authorization server on loopback")]
struct Args {
    /// Synthetic members, each launched once.
    #[arg(long, default_value_t = 100)]
    members: usize,
    /// Requests per scenario.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Two-step sign-in: `off`, `when-enrolled` (the default; the members here have not
    /// enrolled) or `required` (every launch sets it up: a TOTP code, ten recovery codes).
    #[arg(long, default_value = "when-enrolled", value_parser = parse_mfa)]
    mfa: MfaPolicy,
}

fn parse_mfa(text: &str) -> Result<MfaPolicy, String> {
    MfaPolicy::from_code(text)
        .ok_or_else(|| format!("{text:?} is not off, when-enrolled or required"))
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let args = Args::parse();
    if args.members < args.concurrency || args.concurrency == 0 {
        return Err(
            "--members must be at least --concurrency (each client uses its own members)".into(),
        );
    }
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("auth-load.sqlite"))?;
    let mfa = args.mfa;
    let payer =
        LoopbackPayer::start(store, args.members, move |config| config.with_mfa(mfa)).await?;
    let members = payer.members.clone();
    println!("members: {}", members.len());
    println!("resources: {}", payer.resources);
    let app = payer.register_public_app(&[REDIRECT]).await?;
    for member in &members {
        payer.set_password(member, PASSWORD).await?;
    }
    let origin = payer.origin.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    println!();
    println!("| scenario | requests | p50 ms | p99 ms | max ms | requests/s |");
    println!("|---|---:|---:|---:|---:|---:|");

    // Launches, one member after the other (each signs in once).
    let flow = Flow {
        http: http.clone(),
        browser: MemberBrowser::new()?,
        origin: origin.clone(),
        app,
    };
    let start = Instant::now();
    let mut launches = Vec::new();
    let mut sessions = Vec::new();
    for member in &members {
        let t = Instant::now();
        let token = flow.launch(&member.username).await?;
        launches.push((t.elapsed(), start.elapsed()));
        sessions.push(Session {
            patient: member.patient_id.clone(),
            access: text(&token, "access_token"),
            refresh: text(&token, "refresh_token"),
        });
    }
    let mut enrolled = 0;
    for member in &members {
        if let Some(record) = payer.store.member(&member.username).await? {
            enrolled += usize::from(record.security.enrolled());
        }
    }
    let launch = if enrolled == 0 {
        "launch: authorize, sign in (argon2id), consent, code exchange".to_owned()
    } else {
        format!(
            "launch: authorize, sign in (argon2id), two-step set-up ({enrolled} members), \
             consent, code exchange"
        )
    };
    report_row(&launch, &launches);

    // The token endpoint: refresh rotations, each client on its own members' grants.
    let flow = Arc::new(flow);
    let rotations = run(args.concurrency, args.requests, &sessions, {
        let flow = Arc::clone(&flow);
        move |session: &mut Session| {
            let flow = Arc::clone(&flow);
            let refresh = session.refresh.clone();
            async move { flow.refresh(&refresh).await }
        }
    })
    .await?;
    report_row("token endpoint: refresh (rotation)", &rotations.0);
    let sessions = rotations.1;

    let scenarios: [(&str, UrlFor); 2] = [
        ("read Patient/{id}", |base, patient| {
            format!("{base}/Patient/{patient}")
        }),
        ("EOB search page (patient, _count=50)", |base, patient| {
            format!("{base}/ExplanationOfBenefit?patient=Patient/{patient}&_count=50")
        }),
    ];
    for (name, url) in scenarios {
        for (label, base, authorized) in [
            ("authorized", format!("{origin}/fhir"), true),
            ("open", format!("{origin}/open"), false),
        ] {
            let http = http.clone();
            let base = base.clone();
            let (latencies, _) = run(args.concurrency, args.requests, &sessions, move |session| {
                let mut request = http.get(url(&base, &session.patient));
                if authorized {
                    request = request.bearer_auth(&session.access);
                }
                async move {
                    let response = request.send().await?;
                    let status = response.status();
                    response.bytes().await?;
                    if !status.is_success() {
                        return Err(format!("HTTP {status}").into());
                    }
                    Ok(None)
                }
            })
            .await?;
            report_row(&format!("{name}, {label}"), &latencies);
        }
    }
    Ok(())
}

/// A member's tokens.
#[derive(Clone)]
struct Session {
    patient: String,
    access: String,
    refresh: String,
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// The app's side of a standalone launch, through the server's pages.
struct Flow {
    http: reqwest::Client,
    browser: MemberBrowser,
    origin: String,
    app: String,
}

impl Flow {
    async fn form(&self, path: &str, pairs: &[(&str, &str)]) -> AnyResult<reqwest::Response> {
        let body = form_body(pairs);
        Ok(self
            .http
            .post(format!("{}{path}", self.origin))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?)
    }

    async fn launch(&self, username: &str) -> AnyResult<Value> {
        let challenge = pkce_challenge(VERIFIER);
        let query = form_body(&[
            ("response_type", "code"),
            ("client_id", &self.app),
            ("redirect_uri", REDIRECT),
            (
                "scope",
                "launch/patient openid fhirUser offline_access patient/*.rs",
            ),
            ("state", "load-test"),
            ("aud", &format!("{}/fhir", self.origin)),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let location = self
            .browser
            .sign_in_and_allow(
                &format!("{}/auth/authorize?{query}", self.origin),
                username,
                PASSWORD,
            )
            .await?;
        let code = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("code="))
            .ok_or("no code")?
            .to_owned();
        let token: Value = self
            .form(
                "/auth/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                    ("client_id", &self.app),
                ],
            )
            .await?
            .json()
            .await?;
        if token.get("access_token").is_none() {
            return Err(format!("no token: {token}").into());
        }
        Ok(token)
    }

    /// One refresh: the new refresh token.
    async fn refresh(&self, refresh_token: &str) -> AnyResult<Option<String>> {
        let token: Value = self
            .form(
                "/auth/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("client_id", &self.app),
                ],
            )
            .await?
            .json()
            .await?;
        match token["refresh_token"].as_str() {
            Some(new) => Ok(Some(new.to_owned())),
            None => Err(format!("refresh refused: {token}").into()),
        }
    }
}

/// The values of the `name` inputs of a page.
/// `pairs` form-encoded.
fn form_body(pairs: &[(&str, &str)]) -> String {
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

/// Runs `requests` calls of `call` from `concurrency` clients, client `c` taking the
/// sessions `c`, `c + concurrency`, ... in turn; a call may replace its session's refresh
/// token. Each latency with the time since the start at which it finished, and the
/// sessions as they end.
async fn run<F, Fut>(
    concurrency: usize,
    requests: usize,
    sessions: &[Session],
    call: F,
) -> AnyResult<(Vec<(Duration, Duration)>, Vec<Session>)>
where
    F: Fn(&mut Session) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = AnyResult<Option<String>>> + Send,
{
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let mut own: Vec<Session> = sessions
            .iter()
            .skip(worker)
            .step_by(concurrency)
            .cloned()
            .collect();
        let count = (worker..requests).step_by(concurrency).count();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let len = own.len();
                let session = &mut own[i % len];
                let t = Instant::now();
                if let Some(refresh) = call(session).await? {
                    session.refresh = refresh;
                }
                out.push((t.elapsed(), start.elapsed()));
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((out, own))
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut ended = Vec::new();
    for task in tasks {
        let (out, own) = task.await??;
        latencies.extend(out);
        ended.extend(own);
    }
    Ok((latencies, ended))
}

fn report_row(name: &str, latencies: &[(Duration, Duration)]) {
    let wall = latencies
        .iter()
        .map(|(_, end)| *end)
        .max()
        .unwrap_or_default();
    let mut times: Vec<Duration> = latencies.iter().map(|(d, _)| *d).collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.0} |",
        times.len(),
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(times[times.len() - 1]),
        times.len() as f64 / wall.as_secs_f64()
    );
}
