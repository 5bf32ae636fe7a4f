//! The quirks of real payers (`smart-client-anchors.md` section 7) and every
//! patient-context strategy (section 6), against a scripted server on a loopback port:
//! each is handled, or reported with what was wrong and where.

mod mock;

use std::error::Error;
use std::sync::Arc;

use fhir_model::resources::Patient;
use futures_util::TryStreamExt;
use mock::{Answer, Mock, TestClock, jwt, searchset};
use smart_client::discovery::DiscoverySource;
use smart_client::patient::Confirmation;
use smart_client::sync::TypeOutcome;
use smart_client::{
    ClientAuth, LaunchRequest, Parsing, PatientDiscovery, PatientStrategy, ReqwestHttp, Session,
    SessionOptions, SmartClient, SyncOptions,
};

type TestResult = Result<(), Box<dyn Error>>;
type AnyResult<T> = Result<T, Box<dyn Error>>;

const PATIENT: &str = r#"{"resourceType": "Patient", "id": "p1"}"#;
/// The start of every test clock.
const T0: u64 = 1_800_000_000;

fn http() -> AnyResult<Arc<ReqwestHttp>> {
    Ok(Arc::new(ReqwestHttp::new()?))
}

fn public() -> ClientAuth {
    ClientAuth::public("app")
}

// ---- Discovery ----

#[tokio::test]
async fn discovery_falls_back_to_the_capability_statement_and_says_what_it_tried() -> TestResult {
    let mock = Mock::start().await;
    mock.on(
        "GET",
        "/fhir/.well-known/smart-configuration",
        vec![Answer::json(404, "{}")],
    );
    mock.get(
        "/fhir/metadata",
        r#"{"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "security":
            {"extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
             "extension": [{"url": "authorize", "valueUri": "/auth/authorize"},
                           {"url": "token", "valueUri": "/auth/token"}]}]}}]}"#,
    );
    let client = SmartClient::discover(http()?, &mock.fhir()).await?;
    let configuration = client.configuration();
    assert_eq!(configuration.source, DiscoverySource::CapabilityStatement);
    assert_eq!(
        configuration.token_endpoint,
        format!("{}/auth/token", mock.origin)
    );
    let warnings = configuration.warnings.join("\n");
    assert!(
        warnings.contains("tried first: .well-known/smart-configuration: HTTP 404"),
        "{warnings}"
    );

    // Neither: the error lists both sources and why each failed.
    let mock = Mock::start().await;
    mock.get(
        "/fhir/.well-known/smart-configuration",
        "<html>Sign in</html>",
    );
    mock.get(
        "/fhir/metadata",
        r#"{"resourceType": "CapabilityStatement", "rest": []}"#,
    );
    let error = SmartClient::discover(http()?, &mock.fhir())
        .await
        .err()
        .ok_or("discovered")?;
    let text = error.to_string();
    assert!(
        text.contains(".well-known/smart-configuration: not JSON"),
        "{text}"
    );
    assert!(
        text.contains("CapabilityStatement: no rest.security extension oauth-uris"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn a_well_known_served_as_html_without_s256_still_gets_pkce_s256() -> TestResult {
    let mock = Mock::start().await;
    mock.on(
        "GET",
        "/fhir/.well-known/smart-configuration",
        vec![Answer {
            status: 200,
            headers: vec![("content-type".to_owned(), "text/html".to_owned())],
            body: r#"{"authorization_endpoint": "https://payer.example/authorize",
                      "token_endpoint": "https://payer.example/token",
                      "capabilities": ["launch-standalone", "permission-offline"]}"#
                .to_owned(),
        }],
    );
    let client = SmartClient::discover(http()?, &mock.fhir()).await?;
    assert!(
        client
            .configuration()
            .warnings
            .iter()
            .any(|w| w.contains("S256"))
    );
    let request = LaunchRequest::new(
        "app",
        "https://app.example/cb",
        "patient/*.rs",
        client.fhir_base(),
    );
    let pending = client.authorize(&request)?;
    assert!(
        pending.url.contains("code_challenge_method=S256"),
        "{}",
        pending.url
    );
    Ok(())
}

// ---- Token endpoint ----

#[tokio::test]
async fn advertised_refresh_without_a_refresh_token_is_not_refreshable() -> TestResult {
    let mock = Mock::start().await;
    let clock = TestClock::at(T0);
    // `permission-offline` advertised, but no refresh token (Flexpa: 53 payers do this).
    let session = mock::session(
        &mock,
        r#"{"access_token": "a1", "expires_in": "600"}"#,
        public(),
        clock.clone(),
    )
    .await?;
    mock.get("/fhir/Patient/p1", PATIENT);
    let grant = session.grant().await;
    assert!(!grant.refreshable());
    assert_eq!(grant.reauthorize_by(), Some(T0 + 600));
    let _: Patient = session.read("p1").await?;
    clock.advance(600);
    let error = session
        .read::<Patient>("p1")
        .await
        .err()
        .ok_or("read after expiry")?;
    assert!(error.needs_reauthorization(), "{error}");
    assert!(
        mock.received_at("/auth/token").is_empty(),
        "no refresh attempted"
    );
    Ok(())
}

#[tokio::test]
async fn refresh_works_without_offline_access_in_the_scope_and_without_rotation() -> TestResult {
    let mock = Mock::start().await;
    let clock = TestClock::at(T0);
    // Epic: a refresh token, but `offline_access` not echoed in the scope.
    let session = mock::session(
        &mock,
        r#"{"access_token": "a1", "expires_in": 300, "scope": "patient/*.read", "refresh_token": "r1"}"#,
        public(),
        clock.clone(),
    )
    .await?;
    // Success with 201 and text/plain, expires_in as a float, no new refresh token.
    mock.on(
        "POST",
        "/auth/token",
        vec![Answer {
            status: 201,
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            body: r#"{"access_token": "a2", "token_type": "bearer", "expires_in": 299.7}"#
                .to_owned(),
        }],
    );
    mock.get("/fhir/Patient/p1", PATIENT);
    clock.advance(290);
    let _: Patient = session.read("p1").await?;
    let grant = session.grant().await;
    assert_eq!(grant.access_token, "a2");
    assert_eq!(
        grant.refresh_token.as_deref(),
        Some("r1"),
        "kept: the server did not rotate"
    );
    assert_eq!(grant.expires_at, T0 + 290 + 299);
    let refresh = &mock.received_at("/auth/token")[0];
    assert!(
        refresh.body.contains("grant_type=refresh_token"),
        "{}",
        refresh.body
    );
    assert!(
        refresh.body.contains("client_id=app"),
        "a public client names itself"
    );
    assert_eq!(
        mock.received_at("/fhir/Patient/p1")
            .last()
            .and_then(|r| r.authorization.clone())
            .as_deref(),
        Some("Bearer a2")
    );
    Ok(())
}

#[tokio::test]
async fn confidential_clients_authenticate_in_the_header_or_the_body() -> TestResult {
    for (auth, in_header) in [
        (ClientAuth::secret_basic("app one", "s3cr:t"), true),
        (
            ClientAuth::SecretPost {
                client_id: "app one".to_owned(),
                secret: "s3cr:t".to_owned(),
            },
            false,
        ),
    ] {
        let mock = Mock::start().await;
        let clock = TestClock::at(T0);
        let session = mock::session(
            &mock,
            r#"{"access_token": "a1", "expires_in": 60, "refresh_token": "r1"}"#,
            auth,
            clock.clone(),
        )
        .await?;
        mock.on(
            "POST",
            "/auth/token",
            vec![Answer::json(
                200,
                r#"{"access_token": "a2", "expires_in": 60}"#,
            )],
        );
        session.refresh().await?;
        let request = &mock.received_at("/auth/token")[0];
        if in_header {
            // RFC 6749 section 2.3.1: form-encoded, then Basic: "app+one:s3cr%3At".
            assert_eq!(
                request.authorization.as_deref(),
                Some("Basic YXBwK29uZTpzM2NyJTNBdA==")
            );
            assert!(!request.body.contains("client_secret"));
        } else {
            assert_eq!(request.authorization, None);
            assert!(
                request
                    .body
                    .contains("client_id=app+one&client_secret=s3cr%3At"),
                "{}",
                request.body
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn refresh_failures_tell_permanent_from_temporary() -> TestResult {
    let mock = Mock::start().await;
    let clock = TestClock::at(T0);
    let token = r#"{"access_token": "a1", "expires_in": 60, "refresh_token": "r1"}"#;
    let session = mock::session(&mock, token, public(), clock.clone()).await?;
    // A 502 in front of the token endpoint: temporary, not retried (the refresh may
    // have been acted on), and the refresh token is kept.
    mock.on(
        "POST",
        "/auth/token",
        vec![Answer::json(502, "<html>Bad gateway</html>")],
    );
    let error = session.refresh().await.err().ok_or("refreshed")?;
    assert!(
        error.is_temporary() && !error.needs_reauthorization(),
        "{error}"
    );
    assert_eq!(mock.received_at("/auth/token").len(), 1);
    assert_eq!(session.grant().await.refresh_token.as_deref(), Some("r1"));
    // 503 with Retry-After: not acted on, retried.
    mock.on(
        "POST",
        "/auth/token",
        vec![
            Answer::json(503, "{}").header("Retry-After", "0"),
            Answer::json(
                200,
                r#"{"access_token": "a2", "expires_in": 60, "refresh_token": "r2"}"#,
            ),
        ],
    );
    session.refresh().await?;
    assert_eq!(session.grant().await.refresh_token.as_deref(), Some("r2"));
    // Blue Button's non-RFC body for an ended grant.
    mock.on(
        "POST",
        "/auth/token",
        vec![Answer::json(
            400,
            r#"{"error": "invalid_grant", "error_description": "Please re-consent"}"#,
        )],
    );
    let error = session.refresh().await.err().ok_or("refreshed")?;
    assert!(
        error.needs_reauthorization() && !error.is_temporary(),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn a_dead_grant_during_patient_discovery_asks_for_reauthorization() -> TestResult {
    let mock = Mock::start().await;
    let clock = TestClock::at(T0);
    let token = r#"{"access_token": "a1", "expires_in": 60, "refresh_token": "r1",
                    "patient": "p1"}"#;
    let session = mock::session(&mock, token, public(), clock.clone()).await?;
    // The access token expired and the refresh token was revoked.
    clock
        .0
        .store(T0 + 3600, std::sync::atomic::Ordering::SeqCst);
    mock.on(
        "POST",
        "/auth/token",
        vec![Answer::json(400, r#"{"error": "invalid_grant"}"#)],
    );
    let error = session
        .patient_context(&discovery(&mock))
        .await
        .err()
        .ok_or("a patient with a dead grant")?;
    // Not "no patient context" after every strategy: the first refresh says it all.
    assert!(error.needs_reauthorization(), "{error}");
    assert_eq!(mock.received_at("/auth/token").len(), 1);
    assert!(mock.received_at("/fhir/Patient/p1").is_empty());
    Ok(())
}

#[tokio::test]
async fn a_grant_whose_refresh_period_is_over_asks_for_reauthorization() -> TestResult {
    let mock = Mock::start().await;
    let clock = TestClock::at(T0);
    let session = mock::session(
        &mock,
        r#"{"access_token": "a1", "expires_in": 60, "refresh_token": "r1",
            "access_grant_expiration": "2027-01-15 10:00:00Z"}"#,
        public(),
        clock.clone(),
    )
    .await?;
    let end = session.grant().await.reauthorize_by().ok_or("no end")?;
    clock.0.store(end, std::sync::atomic::Ordering::SeqCst);
    let error = session
        .access_token()
        .await
        .err()
        .ok_or("a token after the end")?;
    assert!(error.needs_reauthorization(), "{error}");
    assert!(mock.received_at("/auth/token").is_empty());
    Ok(())
}

// ---- Resource server ----

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() -> TestResult {
    let mock = Mock::start().await;
    let clock = TestClock::at(T0);
    let session = mock::session(
        &mock,
        r#"{"access_token": "a1", "expires_in": 3600, "refresh_token": "r1"}"#,
        public(),
        clock,
    )
    .await?;
    mock.on(
        "GET",
        "/fhir/Patient/p1",
        vec![Answer::json(401, "{}"), Answer::json(200, PATIENT)],
    );
    mock.on(
        "POST",
        "/auth/token",
        vec![Answer::json(
            200,
            r#"{"access_token": "a2", "expires_in": 3600}"#,
        )],
    );
    let _: Patient = session.read("p1").await?;
    let reads: Vec<_> = mock
        .received_at("/fhir/Patient/p1")
        .into_iter()
        .filter_map(|r| r.authorization)
        .collect();
    assert_eq!(reads, ["Bearer a1", "Bearer a2"]);

    // A server that answers 401 whatever the token: one refresh, one retry, then the 401.
    mock.on(
        "GET",
        "/fhir/Patient/p2",
        vec![Answer::json(
            401,
            r#"{"resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "login", "diagnostics": "token not accepted"}]}"#,
        )],
    );
    mock.on(
        "POST",
        "/auth/token",
        vec![Answer::json(
            200,
            r#"{"access_token": "a3", "expires_in": 3600}"#,
        )],
    );
    let error = session.read::<Patient>("p2").await.err().ok_or("read")?;
    assert!(
        error.to_string().contains("401: token not accepted"),
        "{error}"
    );
    assert_eq!(mock.received_at("/fhir/Patient/p2").len(), 2);
    assert_eq!(mock.received_at("/auth/token").len(), 2);
    Ok(())
}

#[tokio::test]
async fn rate_limits_and_unavailability_are_waited_out() -> TestResult {
    let mock = Mock::start().await;
    let session = mock::session(
        &mock,
        r#"{"access_token": "a1", "expires_in": 3600}"#,
        public(),
        TestClock::at(T0),
    )
    .await?;
    mock.on(
        "GET",
        "/fhir/Patient/p1",
        vec![
            Answer::json(429, "{}").header("Retry-After", "0"),
            Answer::json(503, "{}"),
            Answer::json(200, PATIENT),
        ],
    );
    let _: Patient = session.read("p1").await?;
    assert_eq!(mock.received_at("/fhir/Patient/p1").len(), 3);
    // Longer than the policy waits: the 429 goes to the caller, marked temporary.
    mock.on(
        "GET",
        "/fhir/Patient/p2",
        vec![Answer::json(429, "{}").header("Retry-After", "3600")],
    );
    let error = session.read::<Patient>("p2").await.err().ok_or("read")?;
    assert!(error.is_temporary(), "{error}");
    assert_eq!(mock.received_at("/fhir/Patient/p2").len(), 1);
    Ok(())
}

#[tokio::test]
async fn next_links_to_another_origin_or_in_circles_are_not_followed() -> TestResult {
    let mock = Mock::start().await;
    let elsewhere = Mock::start().await;
    let session = mock::session(
        &mock,
        r#"{"access_token": "a1", "expires_in": 3600}"#,
        public(),
        TestClock::at(T0),
    )
    .await?;
    let next = format!("{}/fhir/Observation?page=2", elsewhere.origin);
    mock.get("/fhir/Observation", searchset(&[r#"{"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}}"#], Some(&next)));
    elsewhere.get("/fhir/Observation", searchset(&[], None));
    let mut pages = std::pin::pin!(session.pages("Observation?patient=p1"));
    assert!(pages.try_next().await?.is_some());
    let error = pages.try_next().await.err().ok_or("followed")?;
    assert!(error.to_string().contains("not on the origin"), "{error}");
    assert!(
        elsewhere.received().is_empty(),
        "the token never left the FHIR server"
    );

    let looping = format!("{}/fhir/Condition?patient=p1", mock.origin);
    mock.get("/fhir/Condition", searchset(&[], Some(&looping)));
    let error = session
        .search::<fhir_model::resources::Condition>()
        .patient("p1")
        .all()
        .await
        .err()
        .ok_or("looped")?;
    assert!(error.to_string().contains("repeats"), "{error}");
    Ok(())
}

#[tokio::test]
async fn non_conformant_data_is_an_error_naming_the_element_or_kept_leniently() -> TestResult {
    let mock = Mock::start().await;
    let body =
        r#"{"resourceType": "Patient", "id": "p1", "gender": "female", "favouriteColour": "blue"}"#;
    // Served as the legacy `application/json+fhir` (Anthem, CareEvolution).
    mock.on(
        "GET",
        "/fhir/Patient/p1",
        vec![Answer::json(200, body).header("content-type", "application/json+fhir")],
    );
    let strict = mock::session(
        &mock,
        r#"{"access_token": "a"}"#,
        public(),
        TestClock::at(T0),
    )
    .await?;
    let error = strict
        .read::<Patient>("p1")
        .await
        .err()
        .ok_or("strict read")?;
    assert!(error.to_string().contains("favouriteColour"), "{error}");

    assert_eq!(
        mock.received_at("/fhir/Patient/p1")[0].header("accept"),
        Some("application/fhir+json")
    );
    // Lenient, and asking in the legacy type for the servers that want it.
    let grant = strict.grant().await;
    let options = SessionOptions::default()
        .with_parsing(Parsing::Lenient)
        .with_accept("application/json+fhir")
        .with_clock(TestClock::at(T0));
    let lenient = Session::start(http()?, public(), grant, options).await?;
    let (patient, issues) = lenient.read_with_issues::<Patient>("p1").await?;
    assert_eq!(patient.gender.value().map(String::as_str), Some("female"));
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        mock.received_at("/fhir/Patient/p1")[1].header("accept"),
        Some("application/json+fhir")
    );
    assert!(
        fhir_model::to_json(&patient.into()).contains("favouriteColour"),
        "kept as JSON"
    );
    Ok(())
}

#[tokio::test]
async fn without_everything_the_record_comes_from_per_type_searches() -> TestResult {
    let mock = Mock::start().await;
    let session = mock::session(
        &mock,
        r#"{"access_token": "a1", "expires_in": 3600, "scope": "patient/Patient.rs patient/ExplanationOfBenefit.rs patient/Coverage.read"}"#,
        public(),
        TestClock::at(T0),
    )
    .await?;
    mock.on("GET", "/fhir/Patient/p1/$everything", vec![Answer::json(404, r#"{"resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-supported", "diagnostics": "unknown operation"}]}"#)]);
    // The CapabilityStatement lists types with and without search parameters, one not
    // searchable, one outside the granted scopes.
    mock.get(
        "/fhir/metadata",
        r#"{"resourceType": "CapabilityStatement", "status": "active", "date": "2026", "kind": "instance",
            "fhirVersion": "4.0.1", "format": ["json"], "rest": [{"mode": "server", "resource": [
            {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}]},
            {"type": "ExplanationOfBenefit", "interaction": [{"code": "search-type"}],
             "searchParam": [{"name": "patient", "type": "reference"}]},
            {"type": "Coverage", "searchParam": [{"name": "beneficiary", "type": "reference"}]},
            {"type": "Observation", "interaction": [{"code": "search-type"}]},
            {"type": "Condition", "interaction": [{"code": "read"}]},
            {"type": "Practitioner", "interaction": [{"code": "search-type"}],
             "searchParam": [{"name": "name", "type": "string"}]}]}]}"#,
    );
    mock.get("/fhir/Patient", searchset(&[PATIENT], None));
    let eob = |id: &str| format!(r#"{{"resourceType": "ExplanationOfBenefit", "id": "{id}"}}"#);
    let page2 = format!(
        "{}/fhir/ExplanationOfBenefit?patient=p1&page=2",
        mock.origin
    );
    mock.on(
        "GET",
        "/fhir/ExplanationOfBenefit",
        vec![
            Answer::json(200, searchset(&[&eob("e1"), &eob("e2")], Some(&page2))),
            Answer::json(200, searchset(&[&eob("e3")], None)),
        ],
    );
    mock.on("GET", "/fhir/Coverage", vec![Answer::json(403, "{}")]);
    let report = session
        .everything("p1", &SyncOptions::default().page_size(2))
        .await?;
    assert!(
        report.warnings[0].contains("no Patient/$everything (unknown operation)"),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.counts().get("ExplanationOfBenefit"), Some(&3));
    assert_eq!(report.counts().get("Patient"), Some(&1));
    let skipped: Vec<(&str, &str)> = report
        .skipped
        .iter()
        .map(|(t, w)| (t.as_str(), w.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("Condition", "not searchable"),
            ("Observation", "not in the granted scopes")
        ]
    );
    let coverage = report
        .types
        .iter()
        .find(|t| t.resource_type == "Coverage")
        .ok_or("no Coverage")?;
    assert!(
        matches!(coverage.outcome, TypeOutcome::Refused(_)),
        "{coverage:?}"
    );
    assert!(!report.is_complete());
    assert!(
        mock.received_at("/fhir/Practitioner").is_empty(),
        "not part of the record"
    );
    let searched: Vec<String> = mock
        .received_at("/fhir/Coverage")
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert_eq!(searched, ["/fhir/Coverage?beneficiary=p1&_count=2"]);
    Ok(())
}

// ---- Patient context: every strategy of section 6 ----

/// A session whose token response is `token`, on a server where Patient `p1` exists
/// and nothing else is scripted.
async fn context_session(mock: &Mock, token: &str) -> AnyResult<Session> {
    mock.get("/fhir/Patient/p1", PATIENT);
    mock::session(mock, token, public(), TestClock::at(T0)).await
}

fn discovery(mock: &Mock) -> PatientDiscovery {
    let configuration = smart_client::SmartConfiguration::from_well_known(
        &mock.fhir(),
        &format!(r#"{{"token_endpoint": "/auth/token", "introspection_endpoint": "{}/auth/introspect"}}"#, mock.origin),
    )
    .expect("a configuration");
    PatientDiscovery::new(&configuration)
}

#[tokio::test]
async fn each_strategy_finds_the_patient_where_servers_hide_it() -> TestResult {
    // FHIR_BASE stands for the mock's base, in the token response and in the JWTs.
    let id_token = |claims: &str| jwt(claims);
    let cases: Vec<(String, PatientStrategy)> = vec![
        (
            r#"{"access_token": "a", "patient": "Patient/p1"}"#.to_owned(),
            PatientStrategy::TokenPatient,
        ),
        (
            r#"{"access_token": "a", "authorization_details": [{"type": "smart_on_fhir",
                "locations": ["FHIR_BASE"], "patient": "p1"}]}"#
                .to_owned(),
            PatientStrategy::TokenAlternates,
        ),
        (
            r#"{"access_token": "a", "patient_id": "p1"}"#.to_owned(),
            PatientStrategy::TokenAlternates,
        ),
        (
            r#"{"access_token": "a", "context": {"patient": "p1"}}"#.to_owned(),
            PatientStrategy::TokenAlternates,
        ),
        (
            format!(
                r#"{{"access_token": "a", "id_token": "{}"}}"#,
                id_token(r#"{"fhirUser": "FHIR_BASE/Patient/p1"}"#)
            ),
            PatientStrategy::IdToken,
        ),
        (
            format!(
                r#"{{"access_token": "a", "id_token": "{}"}}"#,
                id_token(r#"{"patient": "p1", "sub": "u-77"}"#)
            ),
            PatientStrategy::IdToken,
        ),
        (
            format!(
                r#"{{"access_token": "{}"}}"#,
                jwt(r#"{"launch_response_patient": "p1"}"#)
            ),
            PatientStrategy::AccessTokenClaims,
        ),
    ];
    for (token, expected) in cases {
        let mock = Mock::start().await;
        let token = token.replace("FHIR_BASE", &mock.fhir());
        let token = token.replace(
            &id_token(r#"{"fhirUser": "FHIR_BASE/Patient/p1"}"#),
            &id_token(&format!(r#"{{"fhirUser": "{}/Patient/p1"}}"#, mock.fhir())),
        );
        let session = context_session(&mock, &token).await?;
        let context = session.patient_context(&discovery(&mock)).await?;
        assert_eq!(
            (context.id.as_str(), &context.source),
            ("p1", &expected),
            "{token}"
        );
        assert_eq!(context.confirmation, Confirmation::PatientRead);
        assert_eq!(
            context.tried.len(),
            PatientStrategy::default_chain()
                .iter()
                .position(|s| *s == expected)
                .unwrap_or(0)
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_server_is_asked_when_the_tokens_do_not_say() -> TestResult {
    // Introspection.
    let mock = Mock::start().await;
    let session = context_session(&mock, r#"{"access_token": "a"}"#).await?;
    mock.on(
        "POST",
        "/auth/introspect",
        vec![Answer::json(200, r#"{"active": true, "patient": "p1"}"#)],
    );
    let context = session.patient_context(&discovery(&mock)).await?;
    assert_eq!(
        (context.id.as_str(), context.source),
        ("p1", PatientStrategy::Introspection)
    );
    assert!(
        mock.received_at("/auth/introspect")[0]
            .body
            .contains("token=a")
    );

    // OpenID Connect UserInfo (Blue Button's /connect/userinfo), when configured.
    let mock = Mock::start().await;
    let session = context_session(&mock, r#"{"access_token": "a"}"#).await?;
    mock.get("/connect/userinfo", r#"{"sub": "u1", "patient": "p1"}"#);
    let userinfo =
        discovery(&mock).with_userinfo_endpoint(format!("{}/connect/userinfo", mock.origin));
    let context = session.patient_context(&userinfo).await?;
    assert_eq!(
        (context.id.as_str(), context.source),
        ("p1", PatientStrategy::UserInfo)
    );
    assert_eq!(
        mock.received_at("/connect/userinfo")[0]
            .authorization
            .as_deref(),
        Some("Bearer a")
    );

    // GET Patient with exactly one result (Blue Button documents this).
    let mock = Mock::start().await;
    let session = context_session(&mock, r#"{"access_token": "a"}"#).await?;
    mock.get("/fhir/Patient", searchset(&[PATIENT], None));
    let context = session.patient_context(&discovery(&mock)).await?;
    assert_eq!(context.source, PatientStrategy::PatientSearch);
    let tried = context.tried.join("\n");
    assert!(
        tried.contains("token response patient: the token response has no patient"),
        "{tried}"
    );
    assert!(tried.contains("introspection: HTTP 404"), "{tried}");

    // The member's own data, when Patient is not searchable: Coverage and EOB agree.
    let mock = Mock::start().await;
    let session = context_session(&mock, r#"{"access_token": "a"}"#).await?;
    mock.get("/fhir/Patient", searchset(&[], None));
    mock.get(
        "/fhir/Coverage",
        searchset(&[r#"{"resourceType": "Coverage", "id": "c1", "status": "active",
            "beneficiary": {"reference": "Patient/p1"}, "payor": [{"reference": "Organization/o"}]}"#], None),
    );
    mock.get("/fhir/ExplanationOfBenefit", searchset(&[r#"{"resourceType": "ExplanationOfBenefit", "id": "e1", "patient": {"reference": "Patient/p1"}}"#], None));
    let context = session.patient_context(&discovery(&mock)).await?;
    assert_eq!(
        (context.id.as_str(), context.source),
        ("p1", PatientStrategy::MemberData)
    );

    // A representative: the id_token's fhirUser is a RelatedPerson.
    let mock = Mock::start().await;
    let token = format!(
        r#"{{"access_token": "a", "id_token": "{}"}}"#,
        jwt(r#"{"fhirUser": "RelatedPerson/rp1"}"#)
    );
    let session = context_session(&mock, &token).await?;
    mock.get("/fhir/Patient", searchset(&[], None));
    mock.get(
        "/fhir/RelatedPerson/rp1",
        r#"{"resourceType": "RelatedPerson", "id": "rp1", "patient": {"reference": "Patient/p1"}}"#,
    );
    let context = session.patient_context(&discovery(&mock)).await?;
    assert_eq!(context.source, PatientStrategy::Representative);
    Ok(())
}

#[tokio::test]
async fn overrides_pin_an_endpoints_own_place_and_sub_only_when_asked() -> TestResult {
    let mock = Mock::start().await;
    let token = format!(
        r#"{{"access_token": "a", "member_fhir_id": "p1", "id_token": "{}"}}"#,
        jwt(r#"{"sub": "p1"}"#)
    );
    let session = context_session(&mock, &token).await?;
    let pinned = discovery(&mock).first(PatientStrategy::TokenField("member_fhir_id".to_owned()));
    let context = session.patient_context(&pinned).await?;
    assert_eq!(
        context.source,
        PatientStrategy::TokenField("member_fhir_id".to_owned())
    );
    assert!(context.tried.is_empty());

    // `sub` is an identity provider's user id in general: never in the default chain.
    mock.get("/fhir/Patient", searchset(&[], None));
    let error = session
        .patient_context(&discovery(&mock))
        .await
        .err()
        .ok_or("found")?;
    assert!(!error.to_string().contains("id_token sub"), "{error}");
    let only_sub = discovery(&mock).with_strategies(vec![PatientStrategy::IdTokenSubject]);
    assert_eq!(session.patient_context(&only_sub).await?.id, "p1");
    Ok(())
}

#[tokio::test]
async fn candidates_are_confirmed_and_ambiguity_is_an_error_listing_every_strategy() -> TestResult {
    // The token names a patient that does not exist, and GET Patient returns two: no
    // guess, and the error says what each strategy found.
    let mock = Mock::start().await;
    let session = mock::session(
        &mock,
        r#"{"access_token": "a", "patient": "p9"}"#,
        public(),
        TestClock::at(T0),
    )
    .await?;
    mock.get(
        "/fhir/Patient",
        searchset(
            &[PATIENT, r#"{"resourceType": "Patient", "id": "p2"}"#],
            None,
        ),
    );
    let error = session
        .patient_context(&discovery(&mock))
        .await
        .err()
        .ok_or("found")?;
    let text = error.to_string();
    for expected in [
        "token response patient: p9: GET",
        "404",
        "id_token: no id_token",
        "access token claims: the access token is not a JWT",
        "GET Patient: 2 or more Patients: not guessed",
        "representative fhirUser: no fhirUser",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }

    // Demographics declined (Blue Button): the Patient read is 403, and the member's
    // EOBs confirm the id instead.
    let mock = Mock::start().await;
    let session = mock::session(
        &mock,
        r#"{"access_token": "a", "patient": "-19990000001234"}"#,
        public(),
        TestClock::at(T0),
    )
    .await?;
    mock.on(
        "GET",
        "/fhir/Patient/-19990000001234",
        vec![Answer::json(403, "{}")],
    );
    mock.get(
        "/fhir/ExplanationOfBenefit",
        searchset(&[r#"{"resourceType": "ExplanationOfBenefit", "id": "e1", "patient": {"reference": "Patient/-19990000001234"}}"#], None),
    );
    let context = session.patient_context(&discovery(&mock)).await?;
    assert_eq!(context.confirmation, Confirmation::MemberData);
    assert_eq!(context.id, "-19990000001234");
    Ok(())
}
