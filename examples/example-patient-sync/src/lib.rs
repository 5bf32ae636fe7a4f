//! Connect to a payer's Patient Access API as a patient app does, and sync the member's
//! whole record to a folder: a standalone SMART launch in the member's browser (the app
//! listens on its loopback redirect URI), the grant kept in the folder so the next run
//! goes straight to syncing (refreshing as needed), patient-context discovery, and
//! `sync_all` with a progress bar. One NDJSON file per resource type and a
//! `summary.json`.
//!
//! `main.rs` is the command line; [`run`] is the whole program, so a test drives it with
//! a scripted browser.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use smart_client::session::Parsing;
use smart_client::sync::TypeOutcome;
use smart_client::{
    ClientAuth, FileTokenStore, LaunchRequest, PatientDiscovery, ReqwestHttp, Session,
    SessionOptions, SmartClient, SyncOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Errors, said for a person.
pub type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How long the member has to sign in and consent.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// Where the grants are kept, inside the output folder.
const GRANTS: &str = ".grants";

/// What to connect to and where to put the record.
#[derive(Debug, Clone)]
pub struct Options {
    /// The payer's FHIR base URL.
    pub fhir_base: String,
    /// The app's `client_id`, as registered with the payer.
    pub client_id: String,
    /// The app's secret, for a confidential app (sent as HTTP Basic).
    pub client_secret: Option<String>,
    /// The redirect URI registered for the app: `http://127.0.0.1:<port>/<path>`.
    pub redirect_uri: String,
    /// The scopes to ask for.
    pub scope: String,
    /// The output folder.
    pub out: PathBuf,
    /// Searches at once.
    pub concurrency: usize,
    /// Keep going on non-conformant data (reported in the summary).
    pub lenient: bool,
    /// Launch again even when a saved grant still works.
    pub relaunch: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The Patient id.
    pub patient: String,
    /// Which patient-context strategy found it.
    pub patient_source: String,
    /// Whether the saved grant was used (no browser).
    pub resumed: bool,
    /// Resources written, by type.
    pub counts: BTreeMap<String, usize>,
    /// Types that failed or were refused, with why.
    pub incomplete: Vec<String>,
    /// Discovery and sync warnings, and non-conformant data found (lenient mode).
    pub warnings: Vec<String>,
    /// Seconds the sync took.
    pub sync_seconds: f64,
}

/// Connects (resuming the saved grant when it still works, else launching in the
/// browser: `open` receives the authorization URL), syncs, writes the folder.
pub async fn run(options: &Options, open: impl FnOnce(&str)) -> AnyResult<Summary> {
    let http = Arc::new(ReqwestHttp::new()?);
    let payer = SmartClient::discover(http.clone(), &options.fhir_base).await?;
    let mut warnings = payer.configuration().warnings.clone();
    let auth = match &options.client_secret {
        Some(secret) => ClientAuth::secret_basic(&options.client_id, secret),
        None => ClientAuth::public(&options.client_id),
    };
    let store = Arc::new(FileTokenStore::new(options.out.join(GRANTS))?);
    let key = format!("{}@{}", options.client_id, payer.fhir_base());
    let session_options = SessionOptions::default()
        .with_store(store, key)
        .with_parsing(if options.lenient {
            Parsing::Lenient
        } else {
            Parsing::Strict
        });

    let saved = if options.relaunch {
        None
    } else {
        Session::resume(http.clone(), auth.clone(), session_options.clone()).await?
    };
    let (session, resumed) = match saved {
        Some(session) => match session.access_token().await {
            Ok(_) => (session, true),
            Err(error) if error.needs_reauthorization() => {
                warnings.push(format!(
                    "the saved grant has ended ({error}): launching again"
                ));
                (
                    launch(&payer, options, auth, session_options, open).await?,
                    false,
                )
            }
            Err(error) => return Err(error.into()),
        },
        None => (
            launch(&payer, options, auth, session_options, open).await?,
            false,
        ),
    };

    let context = session
        .patient_context(&PatientDiscovery::new(payer.configuration()))
        .await?;
    let bar = progress_bar(options.progress);
    let progress = bar.clone();
    let sync = SyncOptions::default()
        .concurrency(options.concurrency)
        .on_progress(move |p| {
            progress.set_length(p.types_total as u64);
            progress.set_position(p.types_done as u64);
            progress.set_message(format!(
                "{} resources, {}",
                p.total_resources, p.resource_type
            ));
        });
    let start = Instant::now();
    let report = session.sync_all(&context.id, &sync).await?;
    let sync_seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    write_record(&options.out, &report.resources)?;
    let incomplete = report
        .types
        .iter()
        .filter_map(|t| match &t.outcome {
            TypeOutcome::Complete => None,
            TypeOutcome::Refused(why) => Some(format!("{}: refused ({why})", t.resource_type)),
            TypeOutcome::Failed(error) => Some(format!("{}: {error}", t.resource_type)),
            _ => Some(format!("{}: {:?}", t.resource_type, t.outcome)),
        })
        .collect();
    warnings.extend(report.warnings.iter().cloned());
    warnings.extend(
        report
            .issues
            .iter()
            .map(|(url, issue)| format!("{url}: {issue}")),
    );
    let summary = Summary {
        patient: context.id.clone(),
        patient_source: format!("{:?}", context.source),
        resumed,
        counts: report
            .counts()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| (t.to_owned(), n))
            .collect(),
        incomplete,
        warnings,
        sync_seconds,
    };
    write_summary(&options.out, &summary)?;
    Ok(summary)
}

/// A standalone launch: the browser goes to the payer, the member signs in and
/// consents, the payer sends the browser back to our loopback redirect URI.
async fn launch(
    payer: &SmartClient,
    options: &Options,
    auth: ClientAuth,
    session_options: SessionOptions,
    open: impl FnOnce(&str),
) -> AnyResult<Session> {
    let (origin, path) = loopback_redirect(&options.redirect_uri)?;
    // Listening before the browser is sent: the redirect must find us.
    let listener = TcpListener::bind(origin.trim_start_matches("http://"))
        .await
        .map_err(|e| format!("cannot listen on {origin} for the redirect: {e}"))?;
    let request = LaunchRequest::new(
        &options.client_id,
        &options.redirect_uri,
        &options.scope,
        payer.fhir_base(),
    );
    let pending = payer.authorize(&request)?;
    open(&pending.url);
    let redirect =
        tokio::time::timeout(LOGIN_TIMEOUT, wait_for_redirect(&listener, &origin, &path))
            .await
            .map_err(|_| "no redirect back from the payer within 5 minutes")??;
    Ok(payer
        .complete(&pending, &redirect, auth, &options.scope, session_options)
        .await?)
}

/// The origin and path of a loopback `http` redirect URI.
fn loopback_redirect(redirect_uri: &str) -> AnyResult<(String, String)> {
    let rest = redirect_uri
        .strip_prefix("http://")
        .ok_or("the redirect URI must be http://127.0.0.1:<port>/... (this app listens there)")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!("the redirect URI's host must be loopback, not {host}").into());
    }
    Ok((format!("http://{authority}"), format!("/{path}")))
}

/// Answers requests on `listener` until one comes to `path`: the full redirect URL.
async fn wait_for_redirect(listener: &TcpListener, origin: &str, path: &str) -> AnyResult<String> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut head = Vec::new();
        let mut buffer = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            let n = stream.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..n]);
        }
        let head = String::from_utf8_lossy(&head);
        let mut request_line = head.lines().next().unwrap_or_default().split_whitespace();
        let (method, target) = (request_line.next(), request_line.next().unwrap_or_default());
        let target_path = target.split(['?', '#']).next().unwrap_or_default();
        if method == Some("GET") && target_path == path {
            let page = "<!doctype html><title>Connected</title><p>The app is connected. \
                        You can close this window.</p>";
            respond(&mut stream, "200 OK", page).await;
            return Ok(format!("{origin}{target}"));
        }
        respond(&mut stream, "404 Not Found", "not found").await;
    }
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser going away first is no reason to fail the launch.
    let _ = stream.write_all(response.as_bytes()).await;
}

fn progress_bar(show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} types, {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// One `<Type>.ndjson` per type with resources; files of an earlier run replaced.
fn write_record(
    out: &Path,
    resources: &BTreeMap<String, Vec<fhir_model::Resource>>,
) -> AnyResult<()> {
    std::fs::create_dir_all(out)?;
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "ndjson") {
            std::fs::remove_file(&path)?;
        }
    }
    for (resource_type, resources) in resources.iter().filter(|(_, r)| !r.is_empty()) {
        let path = out.join(format!("{resource_type}.ndjson"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for resource in resources {
            file.write_all(fhir_model::to_json(resource).as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.flush()?;
    }
    Ok(())
}

fn write_summary(out: &Path, summary: &Summary) -> AnyResult<()> {
    let json = serde_json::json!({
        "patient": summary.patient,
        "patient_source": summary.patient_source,
        "resumed": summary.resumed,
        "counts": summary.counts,
        "incomplete": summary.incomplete,
        "warnings": summary.warnings,
        "sync_seconds": summary.sync_seconds,
    });
    std::fs::write(out.join("summary.json"), serde_json::to_vec_pretty(&json)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_are_listened_on() -> AnyResult<()> {
        assert_eq!(
            loopback_redirect("http://127.0.0.1:8765/callback")?,
            ("http://127.0.0.1:8765".to_owned(), "/callback".to_owned())
        );
        assert!(loopback_redirect("https://app.example/callback").is_err());
        assert!(loopback_redirect("http://192.168.1.5:8765/callback").is_err());
        Ok(())
    }
}
