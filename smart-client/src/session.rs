//! A [`Session`]: a grant in use. It hands out access tokens, refreshing ahead of expiry
//! (one refresh at a time per grant, the rotated grant saved to the [`TokenStore`]
//! before its token is used), and sends requests with them: on a 401 it refreshes once
//! and retries once; on 429 and 503 it waits as `Retry-After` says.
//!
//! A refresh is never retried after a failure in transit: the server may have rotated
//! the refresh token already, and sending the old one again would look like reuse and
//! revoke the grant (payer-server and Blue Button both do). It is retried on 429 and
//! 503, which say the request was not acted on.

use std::sync::Arc;

use fhir_model::resources::CapabilityStatement;
use futures_util::lock::{Mutex, MutexGuard};

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::grant::{Grant, MemoryTokenStore, TokenStore};
use crate::http::{HttpClient, HttpRequest, HttpResponse, Method};
use crate::retry::RetryPolicy;
use crate::token::{ClientAuth, TokenResponse};

/// How FHIR JSON is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Parsing {
    /// Anything that is not valid FHIR R4 is an error naming the element.
    #[default]
    Strict,
    /// What cannot be typed is kept as JSON and reported as issues: for real payer data,
    /// which is often not conformant.
    Lenient,
}

/// What a session runs with besides its grant.
#[derive(Clone)]
#[non_exhaustive]
pub struct SessionOptions {
    /// Where the grant is saved after every refresh.
    pub store: Arc<dyn TokenStore>,
    /// The grant's key in the store.
    pub key: String,
    /// The clock expiry is judged by.
    pub clock: Arc<dyn Clock>,
    /// How requests are retried.
    pub retry: RetryPolicy,
    /// How FHIR JSON is read.
    pub parsing: Parsing,
    /// The `Accept` header of FHIR requests: `application/fhir+json` (FHIR R4
    /// http.html#mime-type), or what a server insists on (Anthem and CareEvolution want
    /// the legacy `application/json+fhir`). Any JSON answer is read, whatever its type.
    pub accept: String,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("key", &self.key)
            .field("retry", &self.retry)
            .field("parsing", &self.parsing)
            .field("accept", &self.accept)
            .finish_non_exhaustive()
    }
}

impl Default for SessionOptions {
    /// An in-memory store under the key `default`, the system clock, the default retry
    /// policy, strict parsing, `Accept: application/fhir+json`.
    fn default() -> SessionOptions {
        SessionOptions {
            store: Arc::new(MemoryTokenStore::new()),
            key: "default".to_owned(),
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            parsing: Parsing::Strict,
            accept: "application/fhir+json".to_owned(),
        }
    }
}

impl SessionOptions {
    /// Keeps the grant in `store` under `key`.
    pub fn with_store(mut self, store: Arc<dyn TokenStore>, key: impl Into<String>) -> Self {
        self.store = store;
        self.key = key.into();
        self
    }

    /// Judges expiry by `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Retries requests as `retry` says.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Reads FHIR JSON as `parsing` says.
    pub fn with_parsing(mut self, parsing: Parsing) -> Self {
        self.parsing = parsing;
        self
    }

    /// Asks for `media_type` in FHIR requests.
    pub fn with_accept(mut self, media_type: impl Into<String>) -> Self {
        self.accept = media_type.into();
        self
    }
}

/// A grant in use; cheap to clone (clones share the grant and refresh it together).
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("fhir_base", &self.inner.fhir_base)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// How a grant gets a new access token.
enum Renewal {
    /// With its refresh token, when it has one.
    RefreshToken,
    /// With a new `client_credentials` request for this scope (Backend Services).
    ClientCredentials(String),
}

struct Inner {
    http: Arc<dyn HttpClient>,
    auth: ClientAuth,
    renewal: Renewal,
    options: SessionOptions,
    fhir_base: String,
    state: Mutex<State>,
    /// The CapabilityStatement, once read (it describes the server, not the grant).
    capability_statement: Mutex<Option<Arc<CapabilityStatement>>>,
}

struct State {
    grant: Grant,
    /// A refreshed grant the store failed to save: its token is not handed out until a
    /// save succeeds.
    unsaved: bool,
}

impl Session {
    /// Starts a session with a new `grant` (from a code exchange), saving it first.
    pub async fn start(
        http: Arc<dyn HttpClient>,
        auth: ClientAuth,
        grant: Grant,
        options: SessionOptions,
    ) -> Result<Session> {
        options.store.save(&options.key, &grant).await?;
        Ok(Session::with_grant(
            http,
            auth,
            grant,
            options,
            Renewal::RefreshToken,
        ))
    }

    /// Starts a Backend Services session: `grant` came from `client_credentials` for
    /// `scope`, and so does every next token.
    pub(crate) async fn start_backend(
        http: Arc<dyn HttpClient>,
        auth: ClientAuth,
        grant: Grant,
        scope: &str,
        options: SessionOptions,
    ) -> Result<Session> {
        options.store.save(&options.key, &grant).await?;
        let renewal = Renewal::ClientCredentials(scope.to_owned());
        Ok(Session::with_grant(http, auth, grant, options, renewal))
    }

    /// Resumes the session whose grant is saved under `options.key`, if there is one.
    pub async fn resume(
        http: Arc<dyn HttpClient>,
        auth: ClientAuth,
        options: SessionOptions,
    ) -> Result<Option<Session>> {
        let grant = options.store.load(&options.key).await?;
        Ok(grant
            .map(|grant| Session::with_grant(http, auth, grant, options, Renewal::RefreshToken)))
    }

    // On wasm32 nothing is `Send` (the browser is single-threaded); `Arc` still shares
    // the grant between clones.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    fn with_grant(
        http: Arc<dyn HttpClient>,
        auth: ClientAuth,
        grant: Grant,
        options: SessionOptions,
        renewal: Renewal,
    ) -> Session {
        Session {
            inner: Arc::new(Inner {
                http,
                auth,
                renewal,
                fhir_base: grant.fhir_base.clone(),
                options,
                state: Mutex::new(State {
                    grant,
                    unsaved: false,
                }),
                capability_statement: Mutex::new(None),
            }),
        }
    }

    /// The FHIR base URL, without a final `/`.
    pub fn fhir_base(&self) -> &str {
        &self.inner.fhir_base
    }

    /// The options the session runs with.
    pub fn options(&self) -> &SessionOptions {
        &self.inner.options
    }

    /// The transport.
    pub(crate) fn http(&self) -> &dyn HttpClient {
        self.inner.http.as_ref()
    }

    /// Where the CapabilityStatement is kept once read.
    pub(crate) fn capability_cache(&self) -> &Mutex<Option<Arc<CapabilityStatement>>> {
        &self.inner.capability_statement
    }

    pub(crate) fn now(&self) -> u64 {
        self.inner.options.clock.now()
    }

    /// The grant as it is now.
    pub async fn grant(&self) -> Grant {
        self.inner.state.lock().await.grant.clone()
    }

    /// A valid access token: the current one, or a refreshed one when it expires within
    /// the refresh margin.
    pub async fn access_token(&self) -> Result<String> {
        let mut state = self.inner.state.lock().await;
        let now = self.now();
        if state.grant.due_for_refresh(now) {
            if self.renewable(&state.grant) {
                self.refresh_locked(&mut state).await?;
            } else if state.grant.expired(now) {
                return Err(Error::ReauthorizationRequired {
                    why: "the access token expired and the server gave no refresh token".to_owned(),
                });
            }
        }
        self.save_if_unsaved(&mut state).await?;
        Ok(state.grant.access_token.clone())
    }

    /// Refreshes now, whatever the expiry says.
    pub async fn refresh(&self) -> Result<()> {
        let mut state = self.inner.state.lock().await;
        self.refresh_locked(&mut state).await
    }

    /// Refreshes because the server refused `rejected`, unless another request has
    /// already replaced it (then its replacement is used).
    async fn refresh_rejected(&self, rejected: &str) -> Result<String> {
        let mut state = self.inner.state.lock().await;
        if state.grant.access_token == rejected {
            self.refresh_locked(&mut state).await?;
        }
        self.save_if_unsaved(&mut state).await?;
        Ok(state.grant.access_token.clone())
    }

    /// Whether a new access token can be had without the member.
    fn renewable(&self, grant: &Grant) -> bool {
        match self.inner.renewal {
            Renewal::RefreshToken => grant.refreshable(),
            Renewal::ClientCredentials(_) => true,
        }
    }

    async fn refresh_locked(&self, state: &mut MutexGuard<'_, State>) -> Result<()> {
        if let Renewal::ClientCredentials(scope) = &self.inner.renewal {
            let request = self.inner.auth.client_credentials(
                &state.grant.token_endpoint,
                scope,
                self.now(),
            )?;
            return self.renew_with(state, request).await;
        }
        let options = &self.inner.options;
        let now = self.now();
        let Some(refresh_token) = state.grant.refresh_token.clone() else {
            return Err(Error::ReauthorizationRequired {
                why: "the server gave no refresh token".to_owned(),
            });
        };
        if state.grant.refresh_expires_at.is_some_and(|end| now >= end) {
            return Err(Error::ReauthorizationRequired {
                why: "the refresh token's period is over".to_owned(),
            });
        }
        // Another process sharing the store may have refreshed already: its grant holds
        // the rotated refresh token, and ours is spent.
        // (Not when our own rotated grant is the one the store lacks.)
        if !state.unsaved
            && let Ok(Some(stored)) = options.store.load(&options.key).await
            && stored.refresh_token != state.grant.refresh_token
            && stored.fhir_base == state.grant.fhir_base
            && !stored.due_for_refresh(now)
        {
            state.grant = stored;
            state.unsaved = false;
            return Ok(());
        }
        let request = self
            .inner
            .auth
            .refresh(&state.grant.token_endpoint, &refresh_token, now)?;
        self.renew_with(state, request).await
    }

    /// Sends the token `request` and puts its answer in place, saved.
    async fn renew_with(
        &self,
        state: &mut MutexGuard<'_, State>,
        request: HttpRequest,
    ) -> Result<()> {
        let response = self.send_with_retries(request).await?;
        let token = TokenResponse::parse(response.status, &response.text())?;
        state.grant = state.grant.refreshed(token, self.now());
        state.unsaved = true;
        self.save_if_unsaved(state).await
    }

    async fn save_if_unsaved(&self, state: &mut MutexGuard<'_, State>) -> Result<()> {
        if state.unsaved {
            let options = &self.inner.options;
            options.store.save(&options.key, &state.grant).await?;
            state.unsaved = false;
        }
        Ok(())
    }

    /// Sends `request` with the access token: refreshed ahead of expiry, and once more
    /// after a 401 (then the request is sent once more).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let token = self.access_token().await?;
        let response = self
            .send_with_retries(with_bearer(request.clone(), &token))
            .await?;
        if response.status != 401 || !self.renewable(&self.grant().await) {
            return Ok(response);
        }
        let token = self.refresh_rejected(&token).await?;
        self.send_with_retries(with_bearer(request, &token)).await
    }

    /// Sends `request` as is, retrying as the policy says (`GET`s also after transport
    /// failures).
    pub(crate) async fn send_with_retries(&self, request: HttpRequest) -> Result<HttpResponse> {
        let policy = self.inner.options.retry;
        let idempotent = request.method == Method::Get;
        let http = self.http();
        let mut attempt = 1;
        loop {
            let delay = match http.send(request.clone()).await {
                Ok(response) => {
                    match policy.delay_after(attempt, &response, idempotent, self.now()) {
                        Some(delay) => delay,
                        None => return Ok(response),
                    }
                }
                Err(error) => match policy.delay_after_failure(attempt) {
                    Some(delay) if idempotent => delay,
                    _ => return Err(error),
                },
            };
            http.sleep(delay).await;
            attempt += 1;
        }
    }
}

fn with_bearer(request: HttpRequest, token: &str) -> HttpRequest {
    request.header("Authorization", format!("Bearer {token}"))
}
