//! Kill -9 the `payer-server load` process in the middle of a load: after reopening, every
//! resource is either whole (JSON, version and index rows) or absent, whole transactions
//! only, the search indexes the bulk load had dropped are back, and loading again
//! completes the rest without touching what was there.

use std::error::Error;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use payer_server::store::SqliteStore;

#[tokio::test(flavor = "multi_thread")]
async fn a_load_killed_mid_way_leaves_whole_resources_only() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("members.ndjson");
    let dataset = payer_server::synth::generate(&payer_server::synth::Config {
        members: 40,
        ..payer_server::synth::Config::default()
    });
    let total = dataset.resources.len();
    let mut file = std::fs::File::create(&data)?;
    for resource in &dataset.resources {
        writeln!(file, "{}", fhir_model::to_json(resource))?;
    }
    drop(file);

    let db = dir.path().join("crash.sqlite");
    let mut child = Command::new(env!("CARGO_BIN_EXE_payer-server"))
        .args(["load", "--validation", "off", "--db"])
        .arg(&db)
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Kill as soon as the first transaction is visible.
    let started = Instant::now();
    loop {
        let committed =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| {
                    c.query_row("SELECT count(*) FROM resources", [], |r| r.get::<_, i64>(0))
                })
                .unwrap_or(0);
        if committed > 0 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill()?; // SIGKILL
    child.wait()?;

    // The load into an empty file ran without the search lookup indexes (bulk mode):
    // opening the file again builds them.
    let lookup_indexes = || -> Result<i64, rusqlite::Error> {
        rusqlite::Connection::open(&db)?.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%_lookup'",
            [],
            |r| r.get(0),
        )
    };
    assert!(lookup_indexes()? < 4, "the killed load was not a bulk load");
    let store = SqliteStore::open(&db)?;
    assert_eq!(lookup_indexes()?, 4);
    let present = store.check_integrity().await?;
    assert!(present > 0, "nothing committed before the kill");
    assert!(
        present < total,
        "the load finished before the kill; nothing was tested"
    );
    assert_eq!(
        present % payer_server::ingest::BATCH_SIZE,
        0,
        "whole transactions only: {present}"
    );

    // Loading again finishes the job and leaves what was there unchanged.
    let text = std::fs::read_to_string(&data)?;
    let resources = payer_server::ingest::resources_in(&text)?;
    let report = payer_server::ingest::load(
        &store,
        resources,
        payer_server::ingest::Validation::Off,
        &mut |_| {},
    )
    .await?;
    assert_eq!(
        (report.unchanged, report.created, report.rejected),
        (present, total - present, 0)
    );
    assert_eq!(store.check_integrity().await?, total);
    Ok(())
}
