//! `example-patient-sync`: connect to a payer's Patient Access API with a standalone SMART
//! launch and sync the member's whole record to a folder.
//!
//! ```sh
//! # against the demo server (`cargo run --release -p payer-server -- demo`):
//! cargo run -p example-patient-sync -- --fhir-base http://127.0.0.1:8080/fhir \
//!     --client-id demo-app --redirect-uri http://127.0.0.1:8765/callback --out record
//! ```
//!
//! The browser opens on the payer's sign-in page; after consent the record is written to
//! `record/` (one NDJSON file per type, `summary.json`). The grant is kept in
//! `record/.grants/`: the next run syncs again without the browser until the payer ends
//! the grant.

#![allow(
    clippy::print_stdout,
    reason = "the summary on stdout is this program's result"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use example_patient_sync::{Options, run};

#[derive(Parser)]
#[command(about = "Connect to a payer with a SMART standalone launch and sync the member's record")]
struct Args {
    /// The payer's FHIR base URL.
    #[arg(long)]
    fhir_base: String,
    /// The app's client_id at the payer.
    #[arg(long)]
    client_id: String,
    /// The app's client secret, for a confidential app.
    #[arg(long, env = "SMART_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The redirect URI registered for the app (loopback http; this program listens there).
    #[arg(long, default_value = "http://127.0.0.1:8765/callback")]
    redirect_uri: String,
    /// The scopes to ask for.
    #[arg(
        long,
        default_value = "launch/patient openid fhirUser offline_access patient/*.rs"
    )]
    scope: String,
    /// Where to write the record.
    #[arg(long, default_value = "patient-record")]
    out: PathBuf,
    /// Searches at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Keep going on non-conformant data (reported in the summary).
    #[arg(long)]
    lenient: bool,
    /// Launch again even when the saved grant still works.
    #[arg(long)]
    relaunch: bool,
    /// Print the authorization URL without opening a browser.
    #[arg(long)]
    no_browser: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        fhir_base: args.fhir_base,
        client_id: args.client_id,
        client_secret: args.client_secret,
        redirect_uri: args.redirect_uri,
        scope: args.scope,
        out: args.out,
        concurrency: args.concurrency,
        lenient: args.lenient,
        relaunch: args.relaunch,
        progress: true,
    };
    let no_browser = args.no_browser;
    let open = |url: &str| {
        eprintln!("sign in at the payer: {url}");
        if !no_browser {
            open_browser(url);
        }
    };
    match run(&options, open).await {
        Ok(summary) => {
            println!(
                "patient: Patient/{} (found by {})",
                summary.patient, summary.patient_source
            );
            println!(
                "grant: {}",
                if summary.resumed {
                    "saved, still working"
                } else {
                    "new"
                }
            );
            for (resource_type, count) in &summary.counts {
                println!("{resource_type}: {count}");
            }
            println!("total: {}", summary.counts.values().sum::<usize>());
            println!("sync_seconds: {:.2}", summary.sync_seconds);
            for line in &summary.incomplete {
                println!("incomplete: {line}");
            }
            for line in &summary.warnings {
                println!("warning: {line}");
            }
            println!("written to: {}", options.out.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Opens `url` in the desktop's browser; when there is none, the URL printed is enough.
fn open_browser(url: &str) {
    let command = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(target_os = "windows") {
        std::process::Command::new("cmd")
            .args(["/C", "start", "", url])
            .spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    if command.is_err() {
        eprintln!("(no browser could be opened: open the URL above)");
    }
}
