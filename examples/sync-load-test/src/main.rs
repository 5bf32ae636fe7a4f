//! Full-record sync of one member by smart-client against payer-server, on loopback only,
//! bounded by run counts.
//!
//! 1. Loads `--members` synthetic members (the demo's 300 by default) into a SQLite file
//!    and serves the FHIR API behind the SMART authorization server.
//! 2. Picks the member with the most resources in their `$everything` (or `--member`),
//!    launches the app for them through the real sign-in and consent pages, and finds
//!    the patient context as an app would.
//! 3. Times `--runs` full-record syncs in each scenario: `sync_all` with 4 searches at
//!    once and one at a time, `everything()`, and a peer: a plain client that runs the
//!    same searches one after the other into `serde_json::Value`, following `next` links,
//!    with the same token (what an app without this crate does, minus its quirks).
//!
//! ```sh
//! cargo run --release -p example-sync-load-test -- --members 300 --runs 20
//! ```

#![allow(
    clippy::print_stdout,
    reason = "a benchmark program: its report on stdout is its result"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use payer_server::store::SqliteStore;
use payer_server::testing::{LoopbackPayer, MemberBrowser};
use serde_json::Value;
use smart_client::http::BoxFuture;
use smart_client::{
    ClientAuth, HttpClient, HttpRequest, HttpResponse, LaunchRequest, PatientDiscovery,
    ReqwestHttp, Session, SessionOptions, SmartClient, SyncOptions,
};

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "sync-load-test password";
const SCOPE: &str = "launch/patient openid fhirUser offline_access patient/*.rs";

#[derive(Parser)]
#[command(about = "Benchmark smart-client's full-record sync against payer-server on loopback")]
struct Args {
    /// Synthetic members to load.
    #[arg(long, default_value_t = 300)]
    members: usize,
    /// Timed syncs per scenario (after one warm-up sync).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// The Patient id to sync; default: the member with the most resources.
    #[arg(long)]
    member: Option<String>,
}

/// reqwest, counting the body bytes it receives.
struct CountingHttp {
    inner: ReqwestHttp,
    bytes: AtomicU64,
}

impl HttpClient for CountingHttp {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, smart_client::Result<HttpResponse>> {
        Box::pin(async move {
            let response = self.inner.send(request).await?;
            self.bytes
                .fetch_add(response.body.len() as u64, Ordering::Relaxed);
            Ok(response)
        })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.inner.sleep(duration)
    }
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("sync-load.sqlite"))?;
    let payer = LoopbackPayer::start(store, args.members, |config| config).await?;
    let (origin, fhir, members) = (&payer.origin, &payer.fhir, &payer.members);
    println!("members: {}", members.len());
    println!("resources: {}", payer.resources);
    let app = payer.register_public_app(&[REDIRECT]).await?;

    let plain = reqwest::Client::new();
    let (patient_id, everything_size) = match args.member.clone() {
        Some(id) => {
            let size = everything_size(&plain, origin, &id).await?;
            (id, size)
        }
        None => largest_member(&plain, origin, members).await?,
    };
    let member = members
        .iter()
        .find(|m| m.patient_id == patient_id)
        .ok_or("no such member")?;
    println!("member: Patient/{patient_id} ({everything_size} resources in $everything)");
    payer.set_password(member, PASSWORD).await?;

    let http = Arc::new(CountingHttp {
        inner: ReqwestHttp::new()?,
        bytes: AtomicU64::new(0),
    });
    let session = connect(http.clone(), fhir, &app, &member.username).await?;
    let client = SmartClient::discover(http.clone(), fhir).await?;
    let context = session
        .patient_context(&PatientDiscovery::new(client.configuration()))
        .await?;
    let warm = session
        .sync_all(&context.id, &SyncOptions::default())
        .await?;
    if !warm.is_complete() {
        return Err(format!("the sync is not complete: {:?}", warm.types).into());
    }
    println!(
        "record: {} resources of {} types",
        warm.total(),
        warm.resources.len()
    );
    let searches: Vec<String> = warm.types.iter().map(|t| t.search.clone()).collect();

    println!();
    println!(
        "| scenario | runs | resources | MB | p50 ms | max ms | resources/s at p50 | MB/s at p50 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let four = SyncOptions::default();
    let one = SyncOptions::default().concurrency(1);
    let mut rows = Vec::new();
    rows.push(
        time("`sync_all`, 4 searches at once", &args, &http, || async {
            Ok(session.sync_all(&context.id, &four).await?.total())
        })
        .await?,
    );
    rows.push(
        time("`sync_all`, 1 search at a time", &args, &http, || async {
            Ok(session.sync_all(&context.id, &one).await?.total())
        })
        .await?,
    );
    rows.push(
        time(
            "`everything()` (`Patient/$everything`)",
            &args,
            &http,
            || async { Ok(session.everything(&context.id, &four).await?.total()) },
        )
        .await?,
    );
    rows.push(
        time(
            "peer: the same searches in turn into `serde_json::Value`",
            &args,
            &http,
            || async { untyped_sync(&session, &plain, &searches, &http.bytes).await },
        )
        .await?,
    );
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// A launch through the server's pages: the session.
async fn connect(
    http: Arc<CountingHttp>,
    fhir: &str,
    app: &str,
    username: &str,
) -> AnyResult<Session> {
    let payer = SmartClient::discover(http, fhir).await?;
    let pending = payer.authorize(&LaunchRequest::new(app, REDIRECT, SCOPE, fhir))?;
    let redirect = MemberBrowser::new()?
        .sign_in_and_allow(&pending.url, username, PASSWORD)
        .await?;
    Ok(payer
        .complete(
            &pending,
            &redirect,
            ClientAuth::public(app),
            SCOPE,
            SessionOptions::default(),
        )
        .await?)
}

/// Runs `sync` `args.runs` times: a table row.
async fn time<F, Fut>(name: &str, args: &Args, http: &CountingHttp, sync: F) -> AnyResult<String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = AnyResult<usize>>,
{
    let mut times = Vec::new();
    let mut resources = 0;
    let before = http.bytes.load(Ordering::Relaxed);
    for _ in 0..args.runs.max(1) {
        let start = Instant::now();
        resources = sync().await?;
        times.push(start.elapsed());
    }
    let bytes = (http.bytes.load(Ordering::Relaxed) - before) as f64 / times.len() as f64;
    times.sort();
    let p50 = times[times.len() / 2].as_secs_f64();
    let max = times[times.len() - 1].as_secs_f64();
    let mb = bytes / 1e6;
    Ok(format!(
        "| {name} | {} | {resources} | {mb:.2} | {:.1} | {:.1} | {:.0} | {:.0} |",
        times.len(),
        p50 * 1000.0,
        max * 1000.0,
        resources as f64 / p50,
        mb / p50
    ))
}

/// The peer: `searches` one after the other with plain reqwest, each page into a
/// `serde_json::Value`, following `next` links. The resources it got; the bytes it read
/// are added to `bytes`.
async fn untyped_sync(
    session: &Session,
    plain: &reqwest::Client,
    searches: &[String],
    bytes: &AtomicU64,
) -> AnyResult<usize> {
    let token = session.access_token().await?;
    let mut resources = 0;
    for search in searches {
        let url = format!("{}/{search}", session.fhir_base());
        let (entries, read) = untyped_pages(plain, url, Some(&token)).await?;
        resources += entries;
        bytes.fetch_add(read, Ordering::Relaxed);
    }
    Ok(resources)
}

/// The member whose `$everything` is largest, and its size.
async fn largest_member(
    plain: &reqwest::Client,
    origin: &str,
    members: &[payer_server::synth::Member],
) -> AnyResult<(String, usize)> {
    let mut largest = (String::new(), 0);
    for member in members {
        let size = everything_size(plain, origin, &member.patient_id).await?;
        if size > largest.1 {
            largest = (member.patient_id.clone(), size);
        }
    }
    Ok(largest)
}

/// The resources of `Patient/{id}/$everything` on the open router.
async fn everything_size(plain: &reqwest::Client, origin: &str, id: &str) -> AnyResult<usize> {
    let url = format!("{origin}/open/Patient/{id}/$everything?_count=1000");
    Ok(untyped_pages(plain, url, None).await?.0)
}

/// The entries of the pages from `url` on, read into `serde_json::Value` and followed
/// by their `next` links, and the bytes read.
async fn untyped_pages(
    plain: &reqwest::Client,
    url: String,
    token: Option<&str>,
) -> AnyResult<(usize, u64)> {
    let (mut entries, mut bytes) = (0, 0);
    let mut next = Some(url);
    while let Some(url) = next.take() {
        let mut request = plain.get(&url).header("accept", "application/fhir+json");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body = request.send().await?.error_for_status()?.bytes().await?;
        bytes += body.len() as u64;
        let page: Value = serde_json::from_slice(&body)?;
        entries += page["entry"].as_array().map_or(0, Vec::len);
        next = page["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
            .and_then(|l| l["url"].as_str())
            .map(str::to_owned);
    }
    Ok((entries, bytes))
}
