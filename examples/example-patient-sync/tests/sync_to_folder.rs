//! The program end to end against payer-server on loopback: the browser part played by
//! `MemberBrowser` (sign-in, consent, then following the redirect to the program's
//! loopback listener), the record written to a folder and equal to what the server holds,
//! and the next run resuming the saved grant without a browser.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use example_patient_sync::{Options, run};
use payer_server::store::SqliteStore;
use payer_server::testing::{LoopbackPayer, MemberBrowser};
use serde_json::Value;

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const PASSWORD: &str = "patient sync password";

struct Payer {
    origin: String,
    app: String,
    redirect_uri: String,
    username: String,
    patient_id: String,
}

async fn start() -> AnyResult<Payer> {
    let server = LoopbackPayer::start(SqliteStore::in_memory()?, 2, |config| config).await?;
    // A free loopback port for the program's redirect listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let member = &server.members[1];
    server.set_password(member, PASSWORD).await?;
    Ok(Payer {
        app: server.register_public_app(&[&redirect_uri]).await?,
        origin: server.origin.clone(),
        redirect_uri,
        username: member.username.clone(),
        patient_id: member.patient_id.clone(),
    })
}

/// The member's browser: signs in, consents, follows the redirect to the program.
fn browser(username: String, opened: Arc<AtomicUsize>) -> impl FnOnce(&str) {
    move |url: &str| {
        opened.fetch_add(1, Ordering::SeqCst);
        let url = url.to_owned();
        tokio::spawn(async move {
            let browser = MemberBrowser::new().map_err(|e| e.to_string())?;
            let redirect = browser
                .sign_in_and_allow(&url, &username, PASSWORD)
                .await
                .map_err(|e| e.to_string())?;
            let page = reqwest::get(&redirect).await.map_err(|e| e.to_string())?;
            assert_eq!(
                page.status(),
                200,
                "the program's redirect listener answers"
            );
            Ok::<(), String>(())
        });
    }
}

/// Resources per type in the member's `$everything`, on the open router.
async fn everything_counts(payer: &Payer) -> AnyResult<BTreeMap<String, usize>> {
    let url = format!(
        "{}/open/Patient/{}/$everything?_count=1000",
        payer.origin, payer.patient_id
    );
    let bundle: Value = reqwest::get(url).await?.json().await?;
    let mut counts = BTreeMap::new();
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        let resource_type = entry["resource"]["resourceType"]
            .as_str()
            .unwrap_or_default();
        *counts.entry(resource_type.to_owned()).or_default() += 1;
    }
    assert!(
        bundle["link"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|l| l["relation"] != "next")
    );
    Ok(counts)
}

#[tokio::test]
async fn a_launch_writes_the_record_and_the_next_run_resumes_the_grant() -> AnyResult<()> {
    let payer = start().await?;
    let out = tempfile::tempdir()?;
    let options = Options {
        fhir_base: format!("{}/fhir", payer.origin),
        client_id: payer.app.clone(),
        client_secret: None,
        redirect_uri: payer.redirect_uri.clone(),
        scope: "launch/patient openid fhirUser offline_access patient/*.rs".to_owned(),
        out: out.path().join("record"),
        concurrency: 4,
        lenient: false,
        relaunch: false,
        progress: false,
    };
    let opened = Arc::new(AtomicUsize::new(0));
    let summary = run(&options, browser(payer.username.clone(), opened.clone())).await?;
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    assert!(!summary.resumed);
    assert_eq!(summary.patient, payer.patient_id);
    assert_eq!(summary.patient_source, "TokenPatient");
    assert!(summary.incomplete.is_empty(), "{:?}", summary.incomplete);

    // The folder holds what the server holds for the member, type by type, each line a
    // valid resource of its file's type.
    let expected = everything_counts(&payer).await?;
    for (resource_type, count) in &summary.counts {
        assert_eq!(Some(count), expected.get(resource_type), "{resource_type}");
        let path = options.out.join(format!("{resource_type}.ndjson"));
        let text = std::fs::read_to_string(&path)?;
        assert_eq!(text.lines().count(), *count, "{resource_type}");
        for line in text.lines() {
            assert_eq!(fhir_model::from_json(line)?.resource_type(), resource_type);
        }
    }
    assert!(summary.counts["ExplanationOfBenefit"] > 0);
    let written: Value = serde_json::from_slice(&std::fs::read(options.out.join("summary.json"))?)?;
    assert_eq!(written["patient"], payer.patient_id.as_str());

    // The next run: no browser, the saved grant.
    let again = run(&options, |_: &str| {
        panic!("the saved grant should have been used")
    })
    .await?;
    assert!(again.resumed);
    assert_eq!(again.counts, summary.counts);

    // --relaunch: the browser again.
    let relaunch = Options {
        relaunch: true,
        ..options.clone()
    };
    let third = run(&relaunch, browser(payer.username.clone(), opened.clone())).await?;
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    assert!(!third.resumed);
    Ok(())
}
