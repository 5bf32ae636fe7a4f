//! smart-client against the real payer-server on a loopback port (SQLite, synthetic
//! members): discovery, a standalone launch through the server's sign-in and consent
//! forms, the code exchange, patient context, `sync_all` equal to what the server holds
//! for the member, refresh ahead of expiry, refresh after a 401, one refresh for many
//! concurrent requests, grants kept in files across restarts, and revocation.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use fhir_model::resources::Patient;
use futures_util::TryStreamExt;
use payer_server::auth::{AuthServer, ClientKeys, ClientKind, Registration};
use payer_server::store::SqliteStore;
use payer_server::testing::{LoopbackPayer, MemberBrowser};
use smart_client::patient::Confirmation;
use smart_client::{
    ClientAuth, FileTokenStore, HttpClient, LaunchRequest, PatientDiscovery, PatientStrategy,
    ReqwestHttp, Session, SessionOptions, SigningAlgorithm, SigningKey, SmartClient, SyncOptions,
    TokenStore,
};

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;
type AnyResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const PASSWORD: &str = "correct horse battery";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const SCOPE: &str = "launch/patient openid fhirUser offline_access patient/*.rs";

/// One clock for the server and the client, in milliseconds; tests move it, or move
/// only the server's.
#[derive(Debug)]
struct SharedClock {
    server_ms: AtomicI64,
    client_ms: AtomicI64,
}

impl SharedClock {
    fn advance(&self, seconds: i64) {
        self.server_ms.fetch_add(seconds * 1000, Ordering::SeqCst);
        self.client_ms.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct ServerClock(Arc<SharedClock>);

impl payer_server::store::Clock for ServerClock {
    fn now_ms(&self) -> i64 {
        self.0.server_ms.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct ClientClock(Arc<SharedClock>);

impl smart_client::Clock for ClientClock {
    fn now(&self) -> u64 {
        u64::try_from(self.0.client_ms.load(Ordering::SeqCst) / 1000).unwrap_or(0)
    }
}

struct Payer {
    fhir: String,
    auth: AuthServer<SqliteStore>,
    app: String,
    clock: Arc<SharedClock>,
    /// User names and Patient ids.
    members: Vec<(String, String)>,
    http: Arc<ReqwestHttp>,
}

async fn start(members: usize) -> AnyResult<Payer> {
    let now = chrono::Utc::now().timestamp_millis();
    let clock = Arc::new(SharedClock {
        server_ms: AtomicI64::new(now),
        client_ms: AtomicI64::new(now),
    });
    let server_clock = Arc::new(ServerClock(clock.clone()));
    let server = LoopbackPayer::start(SqliteStore::in_memory()?, members, |config| {
        config.with_clock(server_clock)
    })
    .await?;
    let mut accounts = Vec::new();
    for member in &server.members {
        server.set_password(member, PASSWORD).await?;
        accounts.push((member.username.clone(), member.patient_id.clone()));
    }
    Ok(Payer {
        fhir: server.fhir.clone(),
        app: server.register_public_app(&[REDIRECT]).await?,
        auth: server.auth,
        clock,
        members: accounts,
        http: Arc::new(ReqwestHttp::new()?),
    })
}

impl Payer {
    fn options(&self) -> SessionOptions {
        SessionOptions::default().with_clock(Arc::new(ClientClock(self.clock.clone())))
    }

    /// A whole launch by member `index` through the server's forms.
    async fn connect(
        &self,
        index: usize,
        options: SessionOptions,
    ) -> AnyResult<(SmartClient, Session)> {
        self.connect_as(index, ClientAuth::public(&self.app), options)
            .await
    }

    /// A whole launch by member `index` through the server's forms, the app
    /// authenticating with `auth`.
    async fn connect_as(
        &self,
        index: usize,
        auth: ClientAuth,
        options: SessionOptions,
    ) -> AnyResult<(SmartClient, Session)> {
        let payer = SmartClient::discover(self.http.clone(), &self.fhir).await?;
        let request = LaunchRequest::new(auth.client_id(), REDIRECT, SCOPE, payer.fhir_base());
        let pending = payer.authorize(&request)?;
        let redirect = MemberBrowser::new()?
            .sign_in_and_allow(&pending.url, &self.members[index].0, PASSWORD)
            .await?;
        let session = payer
            .complete(&pending, &redirect, auth, SCOPE, options)
            .await?;
        Ok((payer, session))
    }
}

/// The ids by type of what `$everything` gives for the patient: the server's own
/// account of the member's compartment.
async fn everything(
    session: &Session,
    patient: &str,
) -> AnyResult<BTreeMap<String, BTreeSet<String>>> {
    let mut by_type: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pages =
        std::pin::pin!(session.pages(&format!("Patient/{patient}/$everything?_count=500")));
    while let Some(page) = pages.try_next().await? {
        for resource in page.bundle.resources() {
            by_type
                .entry(resource.resource_type().to_owned())
                .or_default()
                .extend(resource.id().map(str::to_owned));
        }
    }
    Ok(by_type)
}

#[tokio::test]
async fn a_member_connects_through_the_forms_and_the_whole_record_syncs() -> TestResult {
    let payer = start(3).await?;
    let (member, patient_id) = payer.members[0].clone();
    let (client, session) = payer.connect(0, payer.options()).await?;

    let configuration = client.configuration();
    assert_eq!(configuration.warnings, Vec::<String>::new());
    assert!(configuration.has_capability("permission-offline"));
    let grant = session.grant().await;
    assert!(grant.refreshable(), "offline_access gives a refresh token");
    assert_eq!(grant.patient.as_deref(), Some(patient_id.as_str()));
    assert!(grant.scope.contains("patient/"), "{}", grant.scope);

    let context = session
        .patient_context(&PatientDiscovery::new(configuration))
        .await?;
    assert_eq!(context.id, patient_id, "{member}");
    assert_eq!(context.source, PatientStrategy::TokenPatient);
    assert_eq!(context.confirmation, Confirmation::PatientRead);

    let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let options = SyncOptions::default()
        .page_size(10)
        .on_progress(move |p| seen.lock().map(|mut s| s.push(p.clone())).unwrap_or(()));
    let report = session.sync_all(&context.id, &options).await?;
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(report.is_complete(), "{:?}", report.types);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(report.issues.is_empty());

    // Equal to what the server holds for the member, type by type.
    let expected = everything(&session, &patient_id).await?;
    for (resource_type, resources) in &report.resources {
        let ids: BTreeSet<String> = resources
            .iter()
            .filter_map(|r| r.id().map(str::to_owned))
            .collect();
        assert_eq!(
            ids.len(),
            resources.len(),
            "{resource_type}: no duplicates across pages"
        );
        assert_eq!(
            Some(&ids),
            expected.get(resource_type).or(Some(&BTreeSet::new())),
            "{resource_type}"
        );
    }
    // What $everything adds beyond the synced types is what the record references
    // (providers, organizations), not the member's own data.
    let synced: BTreeSet<&str> = report.resources.keys().map(String::as_str).collect();
    let extra: Vec<&str> = expected
        .keys()
        .map(String::as_str)
        .filter(|t| !synced.contains(t))
        .collect();
    for resource_type in &extra {
        assert!(
            [
                "Practitioner",
                "Organization",
                "Location",
                "PractitionerRole",
                "Medication"
            ]
            .contains(resource_type),
            "{resource_type} is in $everything but was not synced"
        );
    }
    let counts = report.counts();
    for resource_type in [
        "Patient",
        "Coverage",
        "ExplanationOfBenefit",
        "Observation",
        "Condition",
    ] {
        assert!(
            counts.get(resource_type).copied().unwrap_or(0) > 0,
            "{resource_type}: {counts:?}"
        );
    }
    assert_eq!(counts["Patient"], 1);
    let eobs = report
        .types
        .iter()
        .find(|t| t.resource_type == "ExplanationOfBenefit")
        .ok_or("no EOB search")?;
    assert!(
        eobs.pages > 1,
        "five years of claims take more than one page of 10"
    );

    // Progress: every page reported, totals only grow, and the last report is the end.
    let progress = progress.lock().map(|p| p.clone()).unwrap_or_default();
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].total_resources <= w[1].total_resources)
    );
    let last = progress.last().ok_or("no progress reported")?;
    assert_eq!(
        (last.total_resources, last.types_done),
        (report.total(), last.types_total)
    );
    Ok(())
}

#[tokio::test]
async fn tokens_refresh_ahead_of_expiry_and_after_a_401_and_survive_a_restart() -> TestResult {
    let payer = start(2).await?;
    let directory = tempfile::tempdir()?;
    let store: Arc<dyn TokenStore> = Arc::new(FileTokenStore::new(directory.path())?);
    let options = payer.options().with_store(store.clone(), "member-1");
    let (_, session) = payer.connect(0, options.clone()).await?;
    let patient_id = payer.members[0].1.clone();
    let first = session.grant().await;
    assert_eq!(
        store.load("member-1").await?,
        Some(first.clone()),
        "saved at the exchange"
    );

    // Ahead of expiry: both clocks past the hour; the client refreshes before sending.
    payer.clock.advance(3_600 - 30);
    let patient: Patient = session.read(&patient_id).await?;
    assert_eq!(patient.id.as_deref(), Some(patient_id.as_str()));
    let second = session.grant().await;
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(
        second.refresh_token, first.refresh_token,
        "the server rotates"
    );
    assert_eq!(
        store.load("member-1").await?,
        Some(second.clone()),
        "saved before use"
    );

    // The server's clock alone past the hour: its 401 makes the client refresh and retry.
    payer
        .clock
        .server_ms
        .fetch_add(3_601 * 1000, Ordering::SeqCst);
    let patient: Patient = session.read(&patient_id).await?;
    assert_eq!(patient.id.as_deref(), Some(patient_id.as_str()));
    let third = session.grant().await;
    assert_ne!(third.access_token, second.access_token);
    payer
        .clock
        .client_ms
        .fetch_add(3_601 * 1000, Ordering::SeqCst);

    // A restart: the grant comes back from the file and keeps working.
    let resumed = Session::resume(payer.http.clone(), ClientAuth::public(&payer.app), options)
        .await?
        .ok_or("no grant in the store")?;
    assert_eq!(resumed.grant().await, third);
    let _: Patient = resumed.read(&patient_id).await?;

    // The rotated-away refresh token is spent: presenting it is reuse, and the server
    // revokes the whole grant; the client says the member must authorize again.
    let reuse = ClientAuth::public(&payer.app).refresh(
        &first.token_endpoint,
        first.refresh_token.as_deref().ok_or("no refresh token")?,
        u64::try_from(payer.clock.client_ms.load(Ordering::SeqCst) / 1000)?,
    );
    assert_eq!(payer.http.send(reuse?).await?.status, 400);
    let error = resumed
        .read::<Patient>(&patient_id)
        .await
        .err()
        .ok_or("read after revocation")?;
    assert!(error.needs_reauthorization(), "{error}");
    Ok(())
}

#[tokio::test]
async fn concurrent_requests_due_for_refresh_share_one_refresh() -> TestResult {
    let payer = start(1).await?;
    let (_, session) = payer.connect(0, payer.options()).await?;
    let patient_id = payer.members[0].1.clone();
    let before = session.grant().await;
    payer.clock.advance(3_600);
    // Sixteen reads at once, every one due for refresh. Two refreshes with the same
    // refresh token would be reuse, which revokes the grant: they must share one.
    let reads: Vec<_> = (0..16)
        .map(|_| {
            let session = session.clone();
            let id = patient_id.clone();
            tokio::spawn(async move { session.read::<Patient>(&id).await })
        })
        .collect();
    for read in reads {
        read.await??;
    }
    let after = session.grant().await;
    assert_ne!(after.access_token, before.access_token);
    let _: Patient = session.read(&patient_id).await?;
    Ok(())
}

#[tokio::test]
async fn backend_services_sign_assertions_and_get_a_new_token_when_due() -> TestResult {
    let payer = start(3).await?;
    for algorithm in [SigningAlgorithm::Es384, SigningAlgorithm::Rs384] {
        let (key, _pem) = SigningKey::generate(algorithm)?;
        let client_id = payer
            .auth
            .register(Registration::public("Provider Access", Vec::new()).kind(
                ClientKind::Backend {
                    keys: ClientKeys::Jwks(key.public_jwks().to_string()),
                },
            ))
            .await?
            .client_id;
        let client = SmartClient::discover(payer.http.clone(), &payer.fhir).await?;
        let session = client
            .backend_services(
                ClientAuth::private_key_jwt(&client_id, key),
                "system/*.rs",
                payer.options(),
            )
            .await?;
        let first = session.grant().await;
        assert!(
            !first.refreshable(),
            "Backend Services get no refresh token"
        );
        // A system grant reads every member's claims.
        let eobs = session
            .search::<fhir_model::resources::ExplanationOfBenefit>()
            .count(100)
            .all()
            .await?;
        let patients: BTreeSet<String> = eobs
            .iter()
            .filter_map(|eob| eob.patient.as_ref()?.reference.value().cloned())
            .collect();
        assert_eq!(patients.len(), 3, "{algorithm:?}: {patients:?}");
        // Past the token's lifetime: a new assertion, a new token, no member involved.
        payer.clock.advance(i64::try_from(first.lifetime)?);
        let _: Patient = session.read(&payer.members[0].1).await?;
        assert_ne!(session.grant().await.access_token, first.access_token);
    }
    Ok(())
}

#[tokio::test]
async fn a_confidential_app_signs_its_code_exchange_and_its_refreshes() -> TestResult {
    let payer = start(1).await?;
    let (key, _pem) = SigningKey::generate(SigningAlgorithm::Es384)?;
    let client_id = payer
        .auth
        .register(
            Registration::public("Confidential app", vec![REDIRECT.to_owned()]).kind(
                ClientKind::PrivateKeyJwt {
                    keys: ClientKeys::Jwks(key.public_jwks().to_string()),
                },
            ),
        )
        .await?
        .client_id;
    let auth = ClientAuth::private_key_jwt(&client_id, key);
    let (_, session) = payer.connect_as(0, auth, payer.options()).await?;
    let first = session.grant().await;
    session.refresh().await?;
    assert_ne!(session.grant().await.refresh_token, first.refresh_token);

    // Another key than the registered one: the server refuses the app.
    let (stranger, _) = SigningKey::generate(SigningAlgorithm::Es384)?;
    let error = payer
        .connect_as(
            0,
            ClientAuth::private_key_jwt(&client_id, stranger),
            payer.options(),
        )
        .await
        .err()
        .ok_or("a stranger's key was accepted")?;
    assert!(error.to_string().contains("invalid_client"), "{error}");
    Ok(())
}
