//! The Bulk Data `$export` client against a scripted server on a loopback port: kick-off,
//! polling as `Retry-After` says, the manifest, NDJSON files streamed and parsed, the
//! access token only where it belongs, cancellation, and every failure said clearly.

mod mock;

use std::error::Error;
use std::time::Duration;

use futures_util::TryStreamExt;
use mock::{Answer, Mock, TestClock};
use smart_client::bulk::ExportedResource;
use smart_client::{ClientAuth, ExportManifest, ExportRequest, Parsing, PollPolicy, Session};

type TestResult = Result<(), Box<dyn Error>>;

const TOKEN: &str = r#"{"access_token": "bulk-token", "expires_in": 300}"#;

fn quick() -> PollPolicy {
    PollPolicy::new(
        Duration::from_millis(1),
        Duration::from_millis(5),
        Duration::from_secs(10),
    )
}

fn ndjson(lines: &[&str]) -> Answer {
    Answer {
        status: 200,
        headers: vec![(
            "content-type".to_owned(),
            "application/fhir+ndjson".to_owned(),
        )],
        // One resource a line, however the test wrote it.
        body: lines
            .iter()
            .map(|l| format!("{}\n", l.replace('\n', " ")))
            .collect(),
    }
}

async fn all(
    session: &Session,
    manifest: &ExportManifest,
    index: usize,
) -> Result<Vec<ExportedResource>, smart_client::Error> {
    let file = &manifest.output[index];
    session.export_download(manifest, file).try_collect().await
}

/// The server's side of an export: kick-off, two polls, a manifest whose files are at
/// `files` (an origin), needing the token or not.
fn script(mock: &Mock, files: &str, requires_token: bool) {
    mock.on(
        "GET",
        "/fhir/Group/g1/$export",
        vec![Answer::json(202, "").header(
            "Content-Location",
            &format!("{}/fhir/bulkstatus/7", mock.origin),
        )],
    );
    mock.on(
        "GET",
        "/fhir/bulkstatus/7",
        vec![
            Answer::json(202, "").header("X-Progress", "40%").header("Retry-After", "0"),
            Answer::json(202, ""),
            Answer::json(
                200,
                format!(
                    r#"{{"transactionTime": "2026-12-04T10:00:00Z", "request": "x",
                        "requiresAccessToken": {requires_token},
                        "output": [{{"type": "Patient", "url": "{files}/files/patient.ndjson", "count": 2}},
                                   {{"type": "Coverage", "url": "{files}/files/coverage.ndjson"}}],
                        "error": [{{"type": "OperationOutcome", "url": "{files}/files/errors.ndjson"}}]}}"#
                ),
            ),
        ],
    );
}

#[tokio::test]
async fn an_export_runs_from_kick_off_to_parsed_resources() -> TestResult {
    let mock = Mock::start().await;
    script(&mock, &mock.origin, true);
    mock.on(
        "GET",
        "/files/patient.ndjson",
        vec![ndjson(&[
            r#"{"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}"#,
            "",
            r#"{"resourceType": "Patient", "id": "p2"}"#,
        ])],
    );
    mock.on(
        "GET",
        "/files/coverage.ndjson",
        vec![ndjson(&[
            r#"{"resourceType": "Coverage", "id": "c1", "status": "active",
        "beneficiary": {"reference": "Patient/p1"}, "payor": [{"reference": "Organization/o1"}]}"#,
        ])],
    );
    mock.on("GET", "/files/errors.ndjson", vec![ndjson(&[r#"{"resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing", "diagnostics": "member 3 has opted out"}]}"#])]);
    let session = mock::session(
        &mock,
        TOKEN,
        ClientAuth::public("app"),
        TestClock::at(1_800_000_000),
    )
    .await?;

    let request = ExportRequest::group("g1").types(["Patient", "Coverage"]);
    let job = session.export(&request).await?;
    assert_eq!(job.status_url, format!("{}/fhir/bulkstatus/7", mock.origin));
    let kick_off = &mock.received_at("/fhir/Group/g1/$export")[0];
    assert_eq!(kick_off.header("prefer"), Some("respond-async"));
    assert_eq!(kick_off.header("accept"), Some("application/fhir+json"));
    assert!(
        kick_off.target.contains("_type=Patient%2CCoverage"),
        "{}",
        kick_off.target
    );

    let manifest = session.export_wait(&job, quick()).await?;
    assert_eq!(mock.received_at("/fhir/bulkstatus/7").len(), 3);
    assert_eq!(manifest.transaction_time, "2026-12-04T10:00:00Z");
    assert_eq!(manifest.output[0].count, Some(2));

    let patients = all(&session, &manifest, 0).await?;
    let lines: Vec<(usize, Option<&str>)> =
        patients.iter().map(|p| (p.line, p.resource.id())).collect();
    assert_eq!(
        lines,
        [(1, Some("p1")), (3, Some("p2"))],
        "blank lines skipped, numbers kept"
    );
    assert_eq!(
        all(&session, &manifest, 1).await?[0]
            .resource
            .resource_type(),
        "Coverage"
    );
    let errors: Vec<ExportedResource> = session
        .export_download(&manifest, &manifest.error[0])
        .try_collect()
        .await?;
    assert_eq!(errors[0].resource.resource_type(), "OperationOutcome");
    for file in [
        "/files/patient.ndjson",
        "/files/coverage.ndjson",
        "/files/errors.ndjson",
    ] {
        let got = &mock.received_at(file)[0];
        assert_eq!(
            got.authorization.as_deref(),
            Some("Bearer bulk-token"),
            "{file}"
        );
        assert_eq!(got.header("accept"), Some("application/fhir+ndjson"));
    }

    // Cancelling (or deleting the files afterwards) is a DELETE of the status URL.
    mock.on("DELETE", "/fhir/bulkstatus/7", vec![Answer::json(202, "")]);
    session.export_cancel(&job).await?;
    let deleted: Vec<String> = mock
        .received()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.target)
        .collect();
    assert_eq!(deleted, ["/fhir/bulkstatus/7"]);
    Ok(())
}

#[tokio::test]
async fn the_token_goes_only_where_the_manifest_needs_it_on_the_servers_origin() -> TestResult {
    // Files on object storage, no token needed: fetched without one.
    let mock = Mock::start().await;
    let storage = Mock::start().await;
    script(&mock, &storage.origin, false);
    storage.on(
        "GET",
        "/files/patient.ndjson",
        vec![ndjson(&[r#"{"resourceType": "Patient", "id": "p1"}"#])],
    );
    let session = mock::session(
        &mock,
        TOKEN,
        ClientAuth::public("app"),
        TestClock::at(1_800_000_000),
    )
    .await?;
    let job = session.export(&ExportRequest::group("g1")).await?;
    let manifest = session.export_wait(&job, quick()).await?;
    assert_eq!(all(&session, &manifest, 0).await?.len(), 1);
    assert_eq!(
        storage.received_at("/files/patient.ndjson")[0].authorization,
        None
    );

    // Files elsewhere that need the token: refused, nothing sent there.
    let mock = Mock::start().await;
    let elsewhere = Mock::start().await;
    script(&mock, &elsewhere.origin, true);
    let session = mock::session(
        &mock,
        TOKEN,
        ClientAuth::public("app"),
        TestClock::at(1_800_000_000),
    )
    .await?;
    let job = session.export(&ExportRequest::group("g1")).await?;
    let manifest = session.export_wait(&job, quick()).await?;
    let error = all(&session, &manifest, 0)
        .await
        .err()
        .ok_or("downloaded")?;
    assert!(error.to_string().contains("not on the origin"), "{error}");
    assert!(elsewhere.received().is_empty());
    Ok(())
}

#[tokio::test]
async fn kick_off_failures_and_slow_jobs_are_said_clearly() -> TestResult {
    let mock = Mock::start().await;
    let session = mock::session(
        &mock,
        TOKEN,
        ClientAuth::public("app"),
        TestClock::at(1_800_000_000),
    )
    .await?;
    let group = ExportRequest::group("g1");
    mock.on("GET", "/fhir/Group/g1/$export", vec![Answer::json(400, r#"{"resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-supported", "diagnostics": "_typeFilter is not supported"}]}"#)]);
    let error = session.export(&group).await.err().ok_or("kicked off")?;
    assert!(
        error
            .to_string()
            .contains("400: _typeFilter is not supported"),
        "{error}"
    );

    mock.on(
        "GET",
        "/fhir/Group/g1/$export",
        vec![Answer::json(
            200,
            r#"{"resourceType": "Bundle", "type": "searchset"}"#,
        )],
    );
    let error = session.export(&group).await.err().ok_or("kicked off")?;
    assert!(
        error.to_string().contains("instead of 202 Accepted"),
        "{error}"
    );

    mock.on("GET", "/fhir/Group/g1/$export", vec![Answer::json(202, "")]);
    let error = session.export(&group).await.err().ok_or("kicked off")?;
    assert!(
        error.to_string().contains("without a Content-Location"),
        "{error}"
    );

    // A job that never finishes: the deadline ends the wait, the job is named.
    mock.on(
        "GET",
        "/fhir/Group/g1/$export",
        vec![Answer::json(202, "").header("Content-Location", "/fhir/bulkstatus/9")],
    );
    mock.on(
        "GET",
        "/fhir/bulkstatus/9",
        vec![
            Answer::json(202, "")
                .header("X-Progress", "still counting")
                .header("Retry-After", "0"),
        ],
    );
    let job = session.export(&group).await?;
    let policy = PollPolicy::new(
        Duration::from_millis(1),
        Duration::from_millis(2),
        Duration::from_millis(20),
    );
    let error = session
        .export_wait(&job, policy)
        .await
        .err()
        .ok_or("finished")?;
    let text = error.to_string();
    assert!(
        text.contains("bulkstatus/9") && text.contains("still counting"),
        "{text}"
    );
    let polls = mock.received_at("/fhir/bulkstatus/9").len();
    assert!(
        (5..=25).contains(&polls),
        "polled {polls} times: never faster than the policy"
    );

    // A status URL that errs.
    mock.on(
        "GET",
        "/fhir/bulkstatus/9",
        vec![Answer::json(
            500,
            r#"{"resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": "export failed"}]}"#,
        )],
    );
    let error = session
        .export_wait(&job, quick())
        .await
        .err()
        .ok_or("finished")?;
    assert!(error.to_string().contains("500: export failed"), "{error}");
    Ok(())
}

#[tokio::test]
async fn a_bad_line_names_its_file_and_line_or_is_kept_leniently() -> TestResult {
    let mock = Mock::start().await;
    script(&mock, &mock.origin, true);
    mock.on(
        "GET",
        "/files/patient.ndjson",
        vec![ndjson(&[
            r#"{"resourceType": "Patient", "id": "p1"}"#,
            r#"{"resourceType": "Patient", "id": "p2", "shoeSize": 9}"#,
        ])],
    );
    let session = mock::session(
        &mock,
        TOKEN,
        ClientAuth::public("app"),
        TestClock::at(1_800_000_000),
    )
    .await?;
    let job = session.export(&ExportRequest::group("g1")).await?;
    let manifest = session.export_wait(&job, quick()).await?;
    let error = all(&session, &manifest, 0).await.err().ok_or("parsed")?;
    let text = error.to_string();
    assert!(
        text.contains("patient.ndjson line 2") && text.contains("shoeSize"),
        "{text}"
    );

    let lenient = Session::start(
        std::sync::Arc::new(smart_client::ReqwestHttp::new()?),
        ClientAuth::public("app"),
        session.grant().await,
        smart_client::SessionOptions::default()
            .with_parsing(Parsing::Lenient)
            .with_clock(TestClock::at(1_800_000_000)),
    )
    .await?;
    let resources = all(&lenient, &manifest, 0).await?;
    assert_eq!(resources.len(), 2);
    assert_eq!(resources[1].issues.len(), 1);
    Ok(())
}
