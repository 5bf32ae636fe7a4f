//! PostgreSQL going away under load and coming back, as the servers see it: two
//! `payer-server serve` processes (one open, one behind the SMART authorization server)
//! reach the database through a proxy on a loopback port, and clients keep sending
//! requests while the proxy cuts every connection and refuses new ones, then accepts
//! again. Requests fail cleanly meanwhile (503 with a `transient` OperationOutcome and
//! `Retry-After`; never a 500, never a 401 for a token the server could not look up), and
//! the servers recover by themselves, without a restart.
//!
//! The proxy stands in for a database restart so that the test does not stop the
//! database the other tests are using. Needs the feature `postgres` (`cargo xtask ci`
//! runs it) and a test database (`PAYER_SERVER_TEST_POSTGRES`).

#[path = "support/process.rs"]
mod process;
#[path = "support/postgres.rs"]
mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use payer_server::ingest::{self, Validation};
use process::{Killed, free_address, serving};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A TCP proxy to the database that can be cut and restored.
struct Proxy {
    address: SocketAddr,
    upstream: SocketAddr,
    accepting: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> std::io::Result<Arc<Proxy>> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        drop(listener);
        let proxy = Arc::new(Proxy {
            address,
            upstream,
            accepting: Mutex::new(None),
            connections: Arc::default(),
        });
        proxy.restore()?;
        Ok(proxy)
    }

    /// Accepts connections again, on the same port.
    fn restore(&self) -> std::io::Result<()> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(self.address)?;
        let listener = socket.listen(64)?;
        let (upstream, connections) = (self.upstream, self.connections.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let piped = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                if let Ok(mut open) = connections.lock() {
                    open.push(piped.abort_handle());
                }
            }
        });
        if let Ok(mut current) = self.accepting.lock() {
            *current = Some(accepting);
        }
        Ok(())
    }

    /// Closes every connection and the port: new connections are refused.
    fn cut(&self) {
        if let Some(accepting) = self.accepting.lock().ok().and_then(|mut a| a.take()) {
            accepting.abort();
        }
        if let Ok(mut open) = self.connections.lock() {
            for connection in open.drain(..) {
                connection.abort();
            }
        }
    }
}

/// Starts `payer-server serve extra...` on `database`; its FHIR base once it answers.
async fn serve(database: &str, extra: &[&str]) -> Result<(Killed, String), String> {
    let listen = free_address()?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_payer-server"));
    command
        .args(["serve", "--listen", &listen])
        .args(extra)
        .env("PAYER_SERVER_DATABASE", database);
    let server = serving(&mut command, &listen).await?;
    Ok((server, format!("http://{listen}/fhir")))
}

/// What the clients saw, by phase (0 before the outage, 1 during, 2 after): each
/// answer's status, and for a 503 whether it was a `transient` OperationOutcome with
/// `Retry-After`.
type Seen = Arc<Mutex<BTreeMap<u8, Vec<(u16, bool)>>>>;

/// Sends `url` (with `token` as a bearer token, if any) again and again until `phase`
/// is 3, noting each answer under its phase (not those sent in one phase and answered in
/// the next).
async fn keep_sending(url: String, token: Option<&'static str>, phase: Arc<AtomicU8>, seen: Seen) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    loop {
        let now = phase.load(Ordering::SeqCst);
        if now == 3 {
            return;
        }
        let mut request = client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                let transient = body["resourceType"] == "OperationOutcome"
                    && body["issue"][0]["code"] == "transient"
                    && retry_after;
                (status, transient)
            }
            // No answer at all (a timeout): recorded as such, and it fails the test.
            Err(_) => (0, false),
        };
        if phase.load(Ordering::SeqCst) != now {
            continue;
        }
        if let Ok(mut seen) = seen.lock() {
            seen.entry(now).or_default().push(answer);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_fail_cleanly_while_the_database_is_away_and_recover_without_a_restart()
-> TestResult {
    let direct = support::fresh_schema_url().await;
    let store = payer_server::store::PostgresStore::connect(&direct).await?;
    let config = payer_server::synth::Config {
        members: 2,
        ..Default::default()
    };
    let (_, members) = ingest::load_synthetic(&store, &config, Validation::Off).await?;
    let patient = members[0].patient_id.clone();

    // The servers reach the database through the proxy.
    let pg: tokio_postgres::Config = support::test_database_url().parse()?;
    let (host, port) = match (pg.get_hosts().first(), pg.get_ports().first()) {
        (Some(tokio_postgres::config::Host::Tcp(host)), Some(port)) => (host.clone(), *port),
        _ => return Err("the test database URL needs a TCP host and port".into()),
    };
    let upstream = tokio::net::lookup_host((host.as_str(), port))
        .await?
        .next()
        .ok_or("the test database host does not resolve")?;
    let proxy = Proxy::start(upstream).await?;
    let proxied = direct.replacen(&format!("{host}:{port}"), &proxy.address.to_string(), 1);
    assert_ne!(proxied, direct);
    let (_open_server, open) = serve(&proxied, &["--open"]).await?;
    let (_guarded_server, guarded) = serve(&proxied, &[]).await?;

    let phase = Arc::new(AtomicU8::new(0));
    let seen: Seen = Arc::default();
    let mut clients = Vec::new();
    for url in [
        format!("{open}/Patient/{patient}"),
        format!("{open}/ExplanationOfBenefit?patient={patient}&_count=5"),
        format!("{open}/Organization?_count=5"),
    ] {
        clients.push(tokio::spawn(keep_sending(
            url,
            None,
            phase.clone(),
            seen.clone(),
        )));
    }
    let guarded_seen: Seen = Arc::default();
    clients.push(tokio::spawn(keep_sending(
        format!("{guarded}/Patient/{patient}"),
        Some("a-token-this-server-never-issued"),
        phase.clone(),
        guarded_seen.clone(),
    )));

    let count =
        |seen: &Seen, phase: u8| seen.lock().map_or(0, |s| s.get(&phase).map_or(0, Vec::len));
    // Each phase lasts until every kind of client has been answered a few times in it
    // (a bound, not a measure: a test that hangs fails after a minute).
    let wait_for_answers = |phase: u8| {
        let (seen, guarded_seen) = (seen.clone(), guarded_seen.clone());
        async move {
            let started = Instant::now();
            while count(&seen, phase) < 30 || count(&guarded_seen, phase) < 10 {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "no answers in phase {phase}"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for_answers(0).await;
    proxy.cut();
    phase.store(1, Ordering::SeqCst);
    wait_for_answers(1).await;
    proxy.restore()?;
    // Back: wait until a read succeeds again, then look at what follows.
    let started = Instant::now();
    loop {
        let status = reqwest::get(format!("{open}/Patient/{patient}"))
            .await?
            .status();
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never recovered: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    phase.store(2, Ordering::SeqCst);
    wait_for_answers(2).await;
    phase.store(3, Ordering::SeqCst);
    for client in clients {
        client.await?;
    }

    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let guarded_seen = guarded_seen.lock().map(|s| s.clone()).unwrap_or_default();
    let statuses = |seen: &BTreeMap<u8, Vec<(u16, bool)>>, phase: u8| {
        seen.get(&phase).cloned().unwrap_or_default()
    };
    // Before: every read answered, every unknown token refused.
    assert!(
        statuses(&seen, 0).iter().all(|(s, _)| *s == 200),
        "{:?}",
        statuses(&seen, 0)
    );
    assert!(statuses(&guarded_seen, 0).iter().all(|(s, _)| *s == 401));
    // During: answered or a clean 503, and the outage was seen.
    for (status, transient) in statuses(&seen, 1) {
        assert!(
            status == 200 || (status == 503 && transient),
            "{status} during the outage"
        );
    }
    assert!(
        statuses(&seen, 1).iter().any(|(s, _)| *s == 503),
        "the outage was not seen"
    );
    // A token that cannot be looked up is not called invalid: the app would drop it.
    for (status, transient) in statuses(&guarded_seen, 1) {
        assert!(
            status == 401 || (status == 503 && transient),
            "{status} for a token during the outage"
        );
    }
    assert!(statuses(&guarded_seen, 1).iter().any(|(s, _)| *s == 503));
    // After: as before, with the same server processes.
    assert!(
        statuses(&seen, 2).iter().all(|(s, _)| *s == 200),
        "{:?}",
        statuses(&seen, 2)
    );
    assert!(statuses(&guarded_seen, 2).iter().all(|(s, _)| *s == 401));
    Ok(())
}
