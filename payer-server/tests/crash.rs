//! Kill -9 payer-server in the middle of a write, on SQLite and (feature `postgres`) on
//! PostgreSQL:
//! - `payer-server load` mid-load: afterwards every resource is either whole (JSON,
//!   version and index rows) or absent, whole transactions only (the SQLite bulk load's
//!   dropped search indexes are back at the next open), and loading again completes the
//!   rest without touching what was there;
//! - `payer-server serve` on PostgreSQL in the middle of writing a transaction Bundle (seen
//!   as a backend holding a transaction id): none of it is stored, nothing committed
//!   before is lost, and the server started again serves what was committed. (SQLite
//!   gives no such sign from outside before its commit writes the log.)
//!
//! And the other way to stop: `payer-server serve` sent SIGTERM (what container runtimes
//! and systemd send) finishes its requests, writes the audit events still queued, and
//! exits 0.

#[path = "support/process.rs"]
mod process;
#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod support;

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use payer_server::ingest::{self, BATCH_SIZE, LoadReport, Validation};
use payer_server::store::SqliteStore;
use payer_server::synth;
use process::{Killed, free_address, serving};
#[cfg(feature = "postgres")]
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

/// The database under test.
enum Db {
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl Db {
    /// `payer-server args...` on this database.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_payer-server"));
        command.args(args);
        match self {
            Db::Sqlite(path) => command.arg("--db").arg(path),
            #[cfg(feature = "postgres")]
            Db::Postgres(url) => command.env("PAYER_SERVER_DATABASE", url),
        };
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    /// How many resources are committed (0 while the database does not exist yet).
    async fn committed(&self) -> i64 {
        match self {
            Db::Sqlite(path) => rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .and_then(|c| c.query_row("SELECT count(*) FROM resources", [], |r| r.get(0)))
            .unwrap_or(0),
            #[cfg(feature = "postgres")]
            Db::Postgres(url) => {
                let Ok((client, connection)) =
                    tokio_postgres::connect(url, tokio_postgres::NoTls).await
                else {
                    return 0;
                };
                tokio::spawn(connection);
                match client
                    .query_one("SELECT count(*) FROM resources", &[])
                    .await
                {
                    Ok(row) => row.get(0),
                    Err(_) => 0,
                }
            }
        }
    }

    /// Opens the store, checks every resource is whole, and loads `data` again: the
    /// number of resources checked, and the report of the load.
    async fn check_and_reload(
        &self,
        data: &std::path::Path,
    ) -> Result<(usize, LoadReport, usize), Box<dyn Error>> {
        let text = std::fs::read_to_string(data)?;
        let resources = ingest::resources_in(&text)?;
        match self {
            Db::Sqlite(path) => {
                let store = SqliteStore::open(path)?;
                let present = store.check_integrity().await?;
                let report = ingest::load(&store, resources, Validation::Off, &mut |_| {}).await?;
                Ok((present, report, store.check_integrity().await?))
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(url) => {
                let store = payer_server::store::PostgresStore::connect(url).await?;
                let present = store.check_integrity().await?;
                let report = ingest::load(&store, resources, Validation::Off, &mut |_| {}).await?;
                Ok((present, report, store.check_integrity().await?))
            }
        }
    }
}

/// `members` synthetic members as NDJSON in `dir`: the file and how many resources.
fn ndjson(dir: &std::path::Path, members: usize) -> Result<(PathBuf, usize), Box<dyn Error>> {
    let dataset = synth::generate(&synth::Config {
        members,
        ..synth::Config::default()
    });
    let data = dir.join("members.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&data)?);
    for resource in &dataset.resources {
        writeln!(file, "{}", fhir_model::to_json(resource))?;
    }
    file.flush()?;
    Ok((data, dataset.resources.len()))
}

/// Kills `payer-server load` as soon as its first transaction is visible, then checks
/// what is left and loads again.
async fn kill_a_load(db: &Db, dir: &std::path::Path) -> TestResult {
    let (data, total) = ndjson(dir, 40)?;
    let child = Killed(
        db.command(&["load", "--validation", "off"])
            .arg(&data)
            .spawn()?,
    );
    let started = Instant::now();
    while db.committed().await == 0 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(child);

    #[cfg_attr(
        not(feature = "postgres"),
        allow(irrefutable_let_patterns, reason = "a pattern per store")
    )]
    if let Db::Sqlite(path) = db {
        // The load into an empty file ran without the search lookup indexes (bulk
        // mode): opening the file again builds them.
        let lookup_indexes = || -> Result<i64, rusqlite::Error> {
            rusqlite::Connection::open(path)?.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%_lookup'",
                [],
                |r| r.get(0),
            )
        };
        assert!(lookup_indexes()? < 4, "the killed load was not a bulk load");
        SqliteStore::open(path)?;
        assert_eq!(lookup_indexes()?, 4);
    }
    let (present, report, after) = db.check_and_reload(&data).await?;
    assert!(present > 0, "nothing committed before the kill");
    assert!(
        present < total,
        "the load finished before the kill; nothing was tested"
    );
    assert_eq!(
        present % BATCH_SIZE,
        0,
        "whole transactions only: {present}"
    );
    // Loading again finishes the job and leaves what was there unchanged.
    assert_eq!(
        (report.unchanged, report.created, report.rejected),
        (present, total - present, 0)
    );
    assert_eq!(after, total);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_load_killed_mid_way_leaves_whole_resources_only() -> TestResult {
    let dir = tempfile::tempdir()?;
    kill_a_load(&Db::Sqlite(dir.path().join("crash.sqlite")), dir.path()).await
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread")]
async fn a_load_killed_mid_way_leaves_whole_resources_only_on_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    kill_a_load(&Db::Postgres(support::fresh_schema_url().await), dir.path()).await
}

/// Starts `payer-server serve --open --writes off` on `db`: the process and its FHIR base,
/// once it answers.
async fn serve(db: &Db) -> Result<(Killed, String), Box<dyn Error>> {
    let listen = free_address()?;
    let server = serving(
        &mut db.command(&["serve", "--open", "--writes", "off", "--listen", &listen]),
        &listen,
    )
    .await?;
    Ok((server, format!("http://{listen}/fhir")))
}

/// Whether a backend of the PostgreSQL database at `url` other than ours holds a
/// transaction id: a server in the middle of writing.
#[cfg(feature = "postgres")]
async fn writing(url: &str) -> bool {
    let Ok((client, connection)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        return false;
    };
    tokio::spawn(connection);
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .is_ok_and(|row| row.get::<_, i64>(0) > 0)
}

/// Kills `payer-server serve` while it writes a transaction Bundle, then starts it again.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_transaction_stores_none_of_it_on_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    let url = support::fresh_schema_url().await;
    let db = &Db::Postgres(url.clone());
    // What was committed before.
    let (before, _) = ndjson(dir, 3)?;
    let loaded = db
        .command(&["load", "--validation", "off"])
        .arg(&before)
        .status()?;
    assert!(loaded.success());
    let committed = db.committed().await;
    assert!(committed > 0);

    // A transaction of more members' resources, as large as a Bundle may be, so that
    // writing it takes a while; without what the first load holds (the directory, the
    // first three members).
    let known: std::collections::HashSet<(String, String)> = std::fs::read_to_string(&before)?
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_default();
            (value["resourceType"].to_string(), value["id"].to_string())
        })
        .collect();
    let other = synth::generate(&synth::Config {
        members: 60,
        ..synth::Config::default()
    });
    let (mut entries, mut bytes) = (Vec::new(), 0);
    let mut new_ids = Vec::new();
    for resource in &other.resources {
        let text = fhir_model::to_json(resource);
        if bytes + text.len() > 24 << 20 {
            break;
        }
        bytes += text.len();
        let value: Value = serde_json::from_str(&text)?;
        if known.contains(&(value["resourceType"].to_string(), value["id"].to_string())) {
            continue;
        }
        let (rt, id) = (
            value["resourceType"].as_str().unwrap_or(""),
            value["id"].as_str().unwrap_or(""),
        );
        new_ids.push(format!("{rt}/{id}"));
        entries.push(
            json!({"resource": value, "request": {"method": "PUT", "url": format!("{rt}/{id}")}}),
        );
    }
    assert!(entries.len() > BATCH_SIZE, "{} entries", entries.len());
    let bundle =
        json!({"resourceType": "Bundle", "type": "transaction", "entry": entries}).to_string();

    let (server, base) = serve(db).await?;
    let post = tokio::spawn({
        let base = base.clone();
        async move {
            reqwest::Client::new()
                .post(&base)
                .header("content-type", "application/fhir+json")
                .body(bundle)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    let started = Instant::now();
    while !writing(&url).await {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server never wrote"
        );
        assert!(
            !post.is_finished(),
            "the transaction finished before the kill; nothing was tested"
        );
    }
    drop(server);
    assert!(post.await?.is_err(), "the request was cut, not answered");

    // Nothing of the transaction, nothing committed lost, every resource whole; the
    // server started again serves what was committed and not the transaction.
    assert_eq!(db.committed().await, committed);
    let (server, base) = serve(db).await?;
    let patients: Value = reqwest::get(format!("{base}/Patient?_summary=count"))
        .await?
        .json()
        .await?;
    assert_eq!(patients["total"], 3);
    for id in [
        &new_ids[0],
        &new_ids[new_ids.len() / 2],
        &new_ids[new_ids.len() - 1],
    ] {
        let status = reqwest::get(format!("{base}/{id}")).await?.status();
        assert_eq!(status.as_u16(), 404, "{id}");
    }
    drop(server);
    let (present, _, _) = db.check_and_reload(&before).await?;
    assert_eq!(present as i64, committed);
    Ok(())
}

#[cfg(unix)]
#[tokio::test]
async fn a_server_sent_sigterm_writes_its_audit_trail_and_exits_cleanly() -> TestResult {
    use payer_server::access::AuditAction;
    use payer_server::audit::AuditStore as _;

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("stopped.sqlite");
    let (mut server, fhir) = serve(&Db::Sqlite(path.clone())).await?;
    // Four clients, 250 searches each, and SIGTERM as soon as the last is answered. (The
    // writer usually keeps up with these; that `flush` waits for what lags is checked
    // where the writer cannot run ahead: `audit_store_conformance_tests!`.)
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = format!("{fhir}/Patient?_count=1");
        clients.spawn(async move {
            let http = reqwest::Client::new();
            for _ in 0..250 {
                let status = http.get(&url).send().await?.status();
                assert_eq!(status, reqwest::StatusCode::OK);
            }
            Ok::<_, reqwest::Error>(())
        });
    }
    while let Some(done) = clients.join_next().await {
        done??;
    }
    // The shell's own `kill` (a machine without procps has no /bin/kill).
    let terminated = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", server.0.id())])
        .status()?;
    assert!(terminated.success());
    let status = tokio::task::spawn_blocking(move || server.0.wait()).await??;
    assert!(
        status.success(),
        "a clean exit, not death by signal: {status:?}"
    );

    let store = SqliteStore::open(&path)?;
    let searches = store
        .audit_events(None, 10_000)
        .await?
        .iter()
        .filter(|e| e.action == AuditAction::Search && e.resource_type == "Patient")
        .count();
    assert_eq!(
        searches, 1_000,
        "one event per request, none lost at shutdown"
    );
    Ok(())
}
