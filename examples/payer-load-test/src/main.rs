//! Load test of payer-server, on loopback only, bounded by a request count.
//!
//! 1. Generates `--members` synthetic members (`payer_server::synth`, streamed) and a
//!    provider directory of `--practitioners` practitioners, and loads them into a fresh
//!    SQLite file through the ingest API without profile validation, and
//!    `--validated-members` more into another file with validation, timing both.
//! 2. Starts the server on `127.0.0.1:0` in this process (the member API at `/fhir`, the
//!    public Provider Directory API at `/directory`) and sends each scenario's requests
//!    from `--concurrency` clients, recording every latency.
//! 3. Prints `key: value` lines and a Markdown table of p50/p99/max and throughput, and the
//!    peak resident memory of the process.
//!
//! With `--rate R --duration S` step 2 sends instead a fixed rate of requests for `S`
//! seconds, whatever the answers take (an open loop: each latency counts from when its
//! request was due, so a slow server is not hidden by a client waiting for it), taking
//! the scenarios in turn, and the table has the errors of each. With `--database
//! postgres://...` (feature `postgres`) the data goes into that PostgreSQL database
//! (emptied first: give it one of its own) instead of a temporary SQLite file.
//!
//! ```sh
//! cargo run --release -p example-payer-load-test -- --members 8000 --requests 20000 --concurrency 8
//! cargo run --release -p example-payer-load-test -- --practitioners 100000 --validated-members 0
//! cargo run --release -p example-payer-load-test --features postgres -- --members 8000 \
//!     --validated-members 0 --rate 110 --duration 300 --database postgres://127.0.0.1/load
//! ```

#![allow(
    clippy::print_stdout,
    reason = "a benchmark program: its report on stdout is its result"
)]

use std::time::{Duration, Instant};

use clap::Parser;
use payer_server::http::{ServerConfig, router};
use payer_server::ingest::{self, Validation};
use payer_server::store::{ResourceStore, SqliteStore};
use payer_server::synth;

/// The URL of request `i` of a scenario, for a base URL and a patient id.
type UrlFor = fn(&str, &str, usize) -> String;

#[derive(Parser)]
#[command(about = "Load test payer-server on loopback")]
struct Args {
    /// Synthetic members to generate and load.
    #[arg(long, default_value_t = 300)]
    members: usize,
    /// Practitioners in the provider directory (`synth::Config::directory_practitioners`).
    #[arg(long, default_value_t = 1_000)]
    practitioners: usize,
    /// Requests per scenario.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Members of a separate dataset loaded with profile validation on, to time it.
    #[arg(long, default_value_t = 100)]
    validated_members: usize,
    /// Keep the search indexes up to date row by row during the load, as a load into a
    /// serving database does, instead of building them at the end (`bulk_load`).
    #[arg(long)]
    row_by_row: bool,
    /// Send this many requests per second, the scenarios in turn, for `--duration`
    /// seconds, in place of `--requests` per scenario from `--concurrency` clients.
    #[arg(long, requires = "duration")]
    rate: Option<f64>,
    /// How long to send at `--rate`, in seconds.
    #[arg(long)]
    duration: Option<u64>,
    /// A PostgreSQL database to load into and serve from (feature `postgres`), emptied
    /// first, in place of a temporary SQLite file.
    #[arg(long)]
    database: Option<String>,
    /// Members of a separate dataset written to an NDJSON file first, then loaded from it
    /// as `payer-server load` does (streamed, validation off, bulk), to time ingest without
    /// generation. 0 skips it.
    #[arg(long, default_value_t = 0)]
    ndjson_members: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;

    if args.ndjson_members > 0 {
        ndjson_ingest(dir.path(), args.ndjson_members).await?;
    }

    // Ingest with profile validation, on a small dataset of its own.
    let validated_store = SqliteStore::open(dir.path().join("validated.sqlite"))?;
    let t = Instant::now();
    let (report, _) = ingest::load_synthetic(
        &validated_store,
        &synth::Config {
            members: args.validated_members,
            seed: 2,
            ..synth::Config::default()
        },
        Validation::Reject,
    )
    .await?;
    if report.rejected > 0 {
        return Err(format!(
            "synthetic resources rejected: {:?}",
            report.problems.first()
        )
        .into());
    }
    println!(
        "ingest_validated_per_second: {:.0} ({} resources, generation included)",
        report.created as f64 / t.elapsed().as_secs_f64(),
        report.created
    );
    drop(validated_store);

    // The dataset under test, loaded without validation (the generator's tests validate).
    let config = synth::Config {
        members: args.members,
        directory_practitioners: args.practitioners,
        ..synth::Config::default()
    };
    match &args.database {
        None => {
            let store = SqliteStore::open(dir.path().join("load.sqlite"))?;
            println!("store: SQLite");
            let t = Instant::now();
            let loaded = if args.row_by_row {
                ingest::load_synthetic(&store, &config, Validation::Off).await?
            } else {
                store
                    .bulk_load(ingest::load_synthetic(&store, &config, Validation::Off))
                    .await?
            };
            measure(store, loaded, t.elapsed(), &args).await
        }
        Some(url) => on_postgres(url, &config, &args).await,
    }
}

#[cfg(feature = "postgres")]
async fn on_postgres(
    url: &str,
    config: &synth::Config,
    args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = payer_server::store::PostgresStore::connect(url).await?;
    if !store.is_empty().await? {
        return Err(
            "the PostgreSQL database holds resources: give the load test an empty one".into(),
        );
    }
    println!("store: PostgreSQL");
    let t = Instant::now();
    let loaded = ingest::load_synthetic(&store, config, Validation::Off).await?;
    // As `payer-server load` does at the end of a load.
    store.analyze().await?;
    measure(store, loaded, t.elapsed(), args).await
}

#[cfg(not(feature = "postgres"))]
async fn on_postgres(
    _url: &str,
    _config: &synth::Config,
    _args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    Err("--database needs the feature postgres: cargo run --release -p example-payer-load-test --features postgres".into())
}

/// Serves `store`, loaded (`loaded`, in `load_time`), and measures the scenarios.
async fn measure<S: ResourceStore + Clone>(
    store: S,
    (report, members): (ingest::LoadReport, Vec<synth::Member>),
    load_time: Duration,
    args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    println!("members: {}", args.members);
    println!("directory_practitioners: {}", args.practitioners);
    println!("resources: {}", report.created);
    println!(
        "ingest_unvalidated_per_second: {:.0} (generation included)",
        report.created as f64 / load_time.as_secs_f64()
    );
    let patients: Vec<String> = members.iter().map(|m| m.patient_id.clone()).collect();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/fhir", listener.local_addr()?);
    let directory = directory_base(&base);
    let app = axum::Router::new()
        .nest("/fhir", router(store.clone(), ServerConfig::new(&base)))
        .nest(
            "/directory",
            router(store, ServerConfig::directory(&directory)),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let scenarios: [(&str, UrlFor); 11] = [
        (
            "EOB search page (patient, _count=50)",
            |base, patient, _| {
                format!("{base}/ExplanationOfBenefit?patient=Patient/{patient}&_count=50")
            },
        ),
        (
            "EOB search (patient, service-date, type)",
            |base, patient, i| {
                let year = 2022 + i % 4;
                format!(
                    "{base}/ExplanationOfBenefit?patient={patient}&service-date=ge{year}-01-01&type=professional,pharmacy&_count=50"
                )
            },
        ),
        (
            "Patient/$everything (one page, _count=1000)",
            |base, patient, _| format!("{base}/Patient/{patient}/$everything?_count=1000"),
        ),
        (
            "EOB search with a forward chain (patient, provider:Organization.name)",
            |base, patient, _| {
                format!(
                    "{base}/ExplanationOfBenefit?patient={patient}&provider:Organization.name=riverside&_count=50"
                )
            },
        ),
        (
            "Organization search, reverse chain (_has:ExplanationOfBenefit:provider:patient)",
            |base, patient, _| {
                format!("{base}/Organization?_has:ExplanationOfBenefit:provider:patient={patient}")
            },
        ),
        (
            "EOB search by a chain alone (provider:Organization.name, first page)",
            |base, _, i| {
                let name = ["riverside", "northside", "summit", "coastal"][i % 4];
                format!("{base}/ExplanationOfBenefit?provider:Organization.name={name}&_count=50")
            },
        ),
        // The Provider Directory API: the test kit's kinds of chained search, first page.
        (
            "Directory: PractitionerRole?location.address-city (forward chain)",
            |base, _, i| {
                let city = CITIES[i % CITIES.len()];
                format!(
                    "{}/PractitionerRole?location.address-city={city}&_count=50",
                    directory_base(base)
                )
            },
        ),
        (
            "Directory: PractitionerRole?specialty&location.address-city (combination)",
            |base, _, i| {
                let city = CITIES[i % CITIES.len()];
                let specialty = SPECIALTIES[i % SPECIALTIES.len()];
                format!(
                    "{}/PractitionerRole?specialty={specialty}&location.address-city={city}&_include=PractitionerRole:practitioner&_count=50",
                    directory_base(base)
                )
            },
        ),
        (
            "Directory: PractitionerRole?organization.name (forward chain, name prefix)",
            |base, _, i| {
                let family = FAMILIES[i % FAMILIES.len()];
                format!(
                    "{}/PractitionerRole?organization.name={family}&_count=50",
                    directory_base(base)
                )
            },
        ),
        (
            "Directory: Practitioner?_has:PractitionerRole:practitioner:network (reverse chain)",
            |base, _, i| {
                let network = NETWORKS[i % NETWORKS.len()];
                format!(
                    "{}/Practitioner?_has:PractitionerRole:practitioner:network=Organization/{network}&_count=50",
                    directory_base(base)
                )
            },
        ),
        (
            "Directory: Organization?_has:OrganizationAffiliation:participating-organization:network",
            |base, _, i| {
                let network = NETWORKS[i % NETWORKS.len()];
                format!(
                    "{}/Organization?_has:OrganizationAffiliation:participating-organization:network=Organization/{network}&_count=50",
                    directory_base(base)
                )
            },
        ),
    ];
    let client = reqwest::Client::new();
    if let (Some(rate), Some(duration)) = (args.rate, args.duration) {
        fixed_rate(
            &client,
            &base,
            &patients,
            &scenarios,
            rate,
            Duration::from_secs(duration),
        )
        .await?;
        println!();
        println!("peak_rss_mib: {}", peak_rss_mib().unwrap_or(0));
        return Ok(());
    }
    println!();
    println!("| scenario | requests | p50 ms | p99 ms | max ms | requests/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, url) in scenarios {
        let latencies = run(
            &client,
            &base,
            &patients,
            url,
            args.requests,
            args.concurrency,
        )
        .await?;
        let wall = latencies
            .iter()
            .map(|(_, end)| *end)
            .max()
            .unwrap_or_default();
        let mut times: Vec<Duration> = latencies.iter().map(|(d, _)| *d).collect();
        times.sort();
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.0} |",
            times.len(),
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.99)),
            ms(times[times.len() - 1]),
            times.len() as f64 / wall.as_secs_f64()
        );
    }
    println!();
    println!("peak_rss_mib: {}", peak_rss_mib().unwrap_or(0));
    Ok(())
}

/// Values the directory scenarios search for: cities, NUCC specialties, organization
/// name prefixes (the clinics are named after families) and network ids of the synthetic
/// directory.
const CITIES: &[&str] = &[
    "Portland",
    "Salem",
    "Eugene",
    "Bend",
    "Medford",
    "Hillsboro",
];
const SPECIALTIES: &[&str] = &["207Q00000X", "207R00000X", "208000000X", "1223G0001X"];
const FAMILIES: &[&str] = &["Smith", "Garcia", "Nguyen", "Brown", "Lee"];
const NETWORKS: &[&str] = &[
    "cascade-ppo-network",
    "cascade-select-network",
    "cascade-community-network",
    "cascade-medicare-network",
];

/// The directory's base beside the member API's `/fhir`.
fn directory_base(fhir_base: &str) -> String {
    format!(
        "{}/directory",
        fhir_base.strip_suffix("/fhir").unwrap_or(fhir_base)
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sends `requests` GETs from `concurrency` clients; each latency with the time since the
/// start at which it finished. A non-200 answer is an error: the load test proves zero
/// errors as well as latency.
async fn run(
    client: &reqwest::Client,
    base: &str,
    patients: &[String],
    url: UrlFor,
    requests: usize,
    concurrency: usize,
) -> Result<Vec<(Duration, Duration)>, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let urls: Vec<String> = (worker..requests)
            .step_by(concurrency)
            .map(|i| url(base, &patients[(i * 7919) % patients.len()], i))
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(urls.len());
            for url in urls {
                let t = Instant::now();
                let response = client.get(&url).send().await.map_err(|e| e.to_string())?;
                let status = response.status();
                response.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("{url}: HTTP {status}"));
                }
                out.push((t.elapsed(), start.elapsed()));
            }
            Ok::<_, String>(out)
        }));
    }
    let mut all = Vec::with_capacity(requests);
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

/// Sends `rate` requests per second for `duration`, request `i` of scenario `i %
/// scenarios.len()`, each sent when due whether or not the earlier ones were answered;
/// prints per scenario the requests, errors (anything but a 200, or no answer) and the
/// latencies counted from when each request was due.
async fn fixed_rate(
    client: &reqwest::Client,
    base: &str,
    patients: &[String],
    scenarios: &[(&str, UrlFor)],
    rate: f64,
    duration: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let total = (rate * duration.as_secs_f64()) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut sent = Vec::with_capacity(total);
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let scenario = i % scenarios.len();
        let url = (scenarios[scenario].1)(
            base,
            &patients[(i * 7919) % patients.len()],
            i / scenarios.len(),
        );
        let client = client.clone();
        sent.push(tokio::spawn(async move {
            // The status, 0 for no (whole) answer.
            let status = match client.get(&url).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if response.bytes().await.is_ok() {
                        status
                    } else {
                        0
                    }
                }
                Err(_) => 0,
            };
            (scenario, due.elapsed(), status, start.elapsed())
        }));
    }
    let mut by_scenario: Vec<(Vec<Duration>, usize)> = vec![(Vec::new(), 0); scenarios.len()];
    let mut all = Vec::with_capacity(total);
    // Errors by status, and when (since the start) the first and the last came back.
    let mut failures: std::collections::BTreeMap<u16, usize> = Default::default();
    let mut failing: Option<(Duration, Duration)> = None;
    for request in sent {
        let (scenario, latency, status, at) = request.await?;
        by_scenario[scenario].0.push(latency);
        all.push(latency);
        if status != 200 {
            by_scenario[scenario].1 += 1;
            *failures.entry(status).or_default() += 1;
            failing = Some(failing.map_or((at, at), |(first, last)| (first.min(at), last.max(at))));
        }
    }
    let wall = start.elapsed();
    let errors: usize = by_scenario.iter().map(|(_, e)| e).sum();
    println!(
        "rate_per_second: {rate} (achieved {:.1})",
        total as f64 / wall.as_secs_f64()
    );
    println!("duration_seconds: {}", duration.as_secs());
    println!("requests: {total}");
    println!("errors: {errors}");
    if let Some((first, last)) = failing {
        println!(
            "errors_by_status: {failures:?} (status 0: no answer), answered from {:.1} s to {:.1} s",
            first.as_secs_f64(),
            last.as_secs_f64()
        );
    }
    println!();
    println!("| scenario | requests | errors | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for ((name, _), (mut times, errors)) in scenarios.iter().zip(by_scenario) {
        times.sort();
        println!(
            "| {name} | {} | {errors} | {:.2} | {:.2} | {:.2} |",
            times.len(),
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default())
        );
    }
    all.sort();
    println!(
        "| all | {total} | {errors} | {:.2} | {:.2} | {:.2} |",
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default())
    );
    Ok(())
}

/// The `p` quantile of sorted `times`.
fn percentile(times: &[Duration], p: f64) -> Duration {
    times
        .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// `VmHWM` from `/proc/self/status` (Linux), in MiB.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Writes `members` synthetic members to an NDJSON file, then times loading it into a
/// fresh database the way `payer-server load` does.
async fn ndjson_ingest(
    dir: &std::path::Path,
    members: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write as _;
    let path = dir.join("members.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut generator = synth::Generator::new(&synth::Config {
        members,
        seed: 3,
        ..synth::Config::default()
    });
    for resource in generator.directory() {
        writeln!(file, "{}", fhir_model::to_json(&resource))?;
    }
    for records in generator.by_ref() {
        for resource in &records.resources {
            writeln!(file, "{}", fhir_model::to_json(resource))?;
        }
    }
    file.flush()?;
    drop(file);
    let bytes = std::fs::metadata(&path)?.len();
    let store = SqliteStore::open(dir.join("ndjson.sqlite"))?;
    let reader = std::io::BufReader::new(std::fs::File::open(&path)?);
    let t = Instant::now();
    let report = store
        .bulk_load(ingest::load_ndjson(
            &store,
            "members.ndjson",
            reader,
            Validation::Off,
            &mut |_| {},
        ))
        .await?;
    println!(
        "ingest_ndjson_per_second: {:.0} ({} resources, {:.0} MB of NDJSON)",
        report.created as f64 / t.elapsed().as_secs_f64(),
        report.created,
        bytes as f64 / 1e6
    );
    Ok(())
}
