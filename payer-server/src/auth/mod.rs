//! The SMART App Launch 2.2 authorization server: discovery, the authorization code flow
//! with PKCE S256, member sign-in and consent pages, tokens with rotating refresh tokens,
//! OpenID Connect `id_token`s, introspection (RFC 7662), revocation (RFC 7009), SMART
//! Backend Services (`client_credentials` with `private_key_jwt`), and the
//! [`crate::access::Authorizer`] that turns its access tokens into grants on the FHIR API.
//!
//! ```text
//! app ──GET /auth/authorize──▶ sign-in form ──POST login──▶ consent form ──POST consent──▶
//!     ◀── 303 redirect_uri?code&state ── app ──POST /auth/token (code, code_verifier)──▶
//!     ◀── access_token, refresh_token, id_token, patient, scope ── FHIR API with Bearer
//! ```
//!
//! Tokens are opaque random strings; the store keeps their SHA-256 with the grant they
//! belong to, so revoking a grant ends every token of it at once, and two server processes
//! on one database agree. Every refresh rotates the refresh token; presenting a used one
//! revokes the grant (a stolen copy was used, or the app lost track: either way the
//! member signs in again).
//!
//! [`AuthServer::new`] takes any [`AuthStore`] (the [`crate::store::SqliteStore`] holding
//! the resources, by default) and an [`AuthConfig`]; [`AuthServer::router`] is mounted at
//! the issuer URL, [`AuthServer::authorizer`] goes into the FHIR API's
//! [`crate::http::ServerConfig`], and so does [`AuthServer::smart_configuration`].

#[doc(hidden)]
pub mod conformance;
mod crypto;
mod endpoints;
mod keys;
pub(crate) mod memory;
mod pages;
#[cfg(feature = "postgres")]
mod postgres;
pub mod scope;
pub mod security;
mod sign_in;
pub(crate) mod sqlite;
pub mod store;
mod support;
mod theme;
pub mod totp;
mod upstream;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

pub use crypto::{hash_password, pkce_challenge, random_token};
pub use security::{Lockout, MemberSecurity, MfaPolicy};
pub use store::{
    AuthStore, Client, ClientAuth, ClientKeys, GrantRecord, MemberRecord, SignInEvent,
    SignInOutcome,
};
pub use theme::Theme;
pub use upstream::{UpstreamOidc, UpstreamPending, UpstreamSettings};

use crate::access::{AuthorizeFuture, Authorizer, Grant};
use crate::error::{Error, Result};
use crate::store::{Clock, SystemClock};
use crate::synth::LineOfBusiness;
use scope::Scopes;

/// Runs the [`AuthStore`] conformance tests on a store:
/// `auth_store_conformance_tests!(make_store)` where `make_store()` returns a fresh, empty
/// store (an `async` block is fine).
#[macro_export]
macro_rules! auth_store_conformance_tests {
    ($make:expr) => {
        #[tokio::test]
        async fn auth_records_round_trip() {
            $crate::auth::conformance::records_round_trip($make().await).await;
        }
        #[tokio::test]
        async fn auth_codes_are_used_once_and_reuse_revokes() {
            $crate::auth::conformance::codes_are_used_once_and_reuse_revokes($make().await).await;
        }
        #[tokio::test]
        async fn auth_refresh_tokens_rotate_and_reuse_revokes() {
            $crate::auth::conformance::refresh_tokens_rotate_and_reuse_revokes($make().await).await;
        }
        #[tokio::test]
        async fn auth_purging_keeps_what_still_matters() {
            $crate::auth::conformance::purging_keeps_what_still_matters($make().await).await;
        }
        #[tokio::test]
        async fn auth_member_security_swaps_and_sign_ins_are_kept() {
            $crate::auth::conformance::member_security_swaps_and_sign_ins_are_kept($make().await)
                .await;
        }
        #[tokio::test]
        async fn auth_grants_list_revoke_and_jtis_replay() {
            $crate::auth::conformance::grants_list_revoke_and_jtis_replay($make().await).await;
        }
    };
}

/// How long a sign-in may take, from the authorization request to the consent.
pub(crate) const SESSION_LIFETIME_MS: i64 = 15 * 60 * 1000;

/// How long an authorization code can be exchanged (RFC 6749 section 4.1.2 recommends at
/// most ten minutes).
const CODE_LIFETIME_MS: i64 = 2 * 60 * 1000;

/// The limits SMART and the CMS rules leave to the server, and where it is reached.
#[derive(Clone)]
#[non_exhaustive]
pub struct AuthConfig {
    /// The issuer: the URL the auth router is mounted at (`http://127.0.0.1:8080/auth`).
    pub issuer: String,
    /// The FHIR base URL the tokens are for: the `aud` an authorization request must
    /// name, and the base of `fhirUser`.
    pub fhir_base: String,
    /// Access token lifetime: 10 minutes to 24 hours, 1 hour by default.
    pub access_token_lifetime: Duration,
    /// The maximum authorization period: how long an app keeps access through refresh
    /// tokens (`offline_access`) before the member must sign in again. 90 days by default
    /// (ONC asks for at least three months). Returned to apps as `refresh_expires_in`.
    pub max_authorization: Duration,
    /// How long `online_access` refresh tokens work: 24 hours by default.
    pub online_authorization: Duration,
    /// Where the time comes from (tests move it).
    pub clock: Arc<dyn Clock>,
    /// When local members give a second factor: [`MfaPolicy::WhenEnrolled`] by default.
    pub mfa: MfaPolicy,
    /// Failed attempts in a row that lock a local member out, and for how long.
    pub lockout: Lockout,
    /// The lines of business whose members may connect apps; all when `None` (the
    /// default: CMS-9115-F names some, and the best payers serve every line).
    pub lines_of_business: Option<Vec<LineOfBusiness>>,
    /// The pages' look and the payer's words on them.
    pub theme: Theme,
    /// The payer's identity provider members sign in at, in place of the local
    /// directory's passwords.
    pub upstream: Option<UpstreamOidc>,
    /// The SHA-256 of the administrator's bearer token for the admin API
    /// (`POST {issuer}/admin/clients`); no admin API when `None`.
    admin_token_sha256: Option<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("issuer", &self.issuer)
            .field("fhir_base", &self.fhir_base)
            .field("access_token_lifetime", &self.access_token_lifetime)
            .field("max_authorization", &self.max_authorization)
            .field("mfa", &self.mfa)
            .field("lockout", &self.lockout)
            .field("lines_of_business", &self.lines_of_business)
            .finish_non_exhaustive()
    }
}

const MIN_ACCESS_LIFETIME: Duration = Duration::from_secs(10 * 60);
const MAX_ACCESS_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

impl AuthConfig {
    /// The defaults, for an issuer and a FHIR base.
    pub fn new(issuer: impl Into<String>, fhir_base: impl Into<String>) -> AuthConfig {
        AuthConfig {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            fhir_base: fhir_base.into().trim_end_matches('/').to_owned(),
            access_token_lifetime: Duration::from_secs(60 * 60),
            max_authorization: Duration::from_secs(90 * 24 * 60 * 60),
            online_authorization: Duration::from_secs(24 * 60 * 60),
            clock: Arc::new(SystemClock),
            mfa: MfaPolicy::default(),
            lockout: Lockout::default(),
            lines_of_business: None,
            theme: Theme::default(),
            upstream: None,
            admin_token_sha256: None,
        }
    }

    /// Opens the admin API to requests bearing `token` (kept as its digest).
    pub fn with_admin_token(mut self, token: &str) -> AuthConfig {
        self.admin_token_sha256 = Some(crypto::token_key(token));
        self
    }

    /// Access tokens live `lifetime`; an error outside 10 minutes to 24 hours.
    pub fn with_access_token_lifetime(mut self, lifetime: Duration) -> Result<AuthConfig> {
        if !(MIN_ACCESS_LIFETIME..=MAX_ACCESS_LIFETIME).contains(&lifetime) {
            return Err(Error::InvalidParam {
                name: "access_token_lifetime".to_owned(),
                message: format!(
                    "{} s is outside 600 s (10 minutes) to 86,400 s (24 hours)",
                    lifetime.as_secs()
                ),
            });
        }
        self.access_token_lifetime = lifetime;
        Ok(self)
    }

    /// Apps keep access through refresh tokens for at most `period`.
    pub fn with_max_authorization(mut self, period: Duration) -> AuthConfig {
        self.max_authorization = period;
        self
    }

    /// Takes the time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AuthConfig {
        self.clock = clock;
        self
    }

    /// Asks local members for a second factor as `policy` says.
    pub fn with_mfa(mut self, policy: MfaPolicy) -> AuthConfig {
        self.mfa = policy;
        self
    }

    /// Locks local members out as `lockout` says.
    pub fn with_lockout(mut self, lockout: Lockout) -> AuthConfig {
        self.lockout = lockout;
        self
    }

    /// Lets only members of `lines` connect apps; the others are told so and the
    /// refusal is in the support console. Members whose line is not known are refused
    /// too, so a [`MemberDirectory`] must report it.
    pub fn with_lines_of_business(mut self, lines: Vec<LineOfBusiness>) -> AuthConfig {
        self.lines_of_business = Some(lines);
        self
    }

    /// Members sign in at `upstream`, the payer's OpenID Connect provider, instead of
    /// with a password here.
    pub fn with_upstream(mut self, upstream: UpstreamOidc) -> AuthConfig {
        self.upstream = Some(upstream);
        self
    }

    /// Shows the pages in `theme`.
    pub fn with_theme(mut self, theme: Theme) -> AuthConfig {
        self.theme = theme;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.issuer)
    }
}

/// A member, as a [`MemberDirectory`] knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Member {
    /// Their user name: the `sub` of their `id_token`s and the subject of the audit trail.
    pub username: String,
    /// Their Patient id on the FHIR API.
    pub patient_id: String,
    /// Their plan's line of business, when the directory knows it.
    pub line_of_business: Option<LineOfBusiness>,
}

impl Member {
    /// A member with no line of business known.
    pub fn new(username: impl Into<String>, patient_id: impl Into<String>) -> Member {
        Member {
            username: username.into(),
            patient_id: patient_id.into(),
            line_of_business: None,
        }
    }
}

/// The future a [`MemberDirectory`] returns.
pub type MemberFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<Member>>> + Send + 'a>>;

/// Where members' identities come from. [`LocalMembers`] (the default) keeps them in the
/// server's store with argon2id password hashes; a payer connects its own.
pub trait MemberDirectory: Send + Sync + 'static {
    /// The member whose credentials these are; `None` when they are wrong.
    fn authenticate<'a>(&'a self, username: &'a str, password: &'a str) -> MemberFuture<'a>;
}

/// Members in an [`AuthStore`], with argon2id password hashes.
#[derive(Debug, Clone)]
pub struct LocalMembers<A> {
    store: A,
}

impl<A: AuthStore + Clone> LocalMembers<A> {
    /// The members of `store`.
    pub fn new(store: A) -> LocalMembers<A> {
        LocalMembers { store }
    }

    /// Adds a member: their user name, password and Patient id. A member with that user
    /// name already is updated (a new password), keeping their second factor.
    pub async fn add(&self, username: &str, password: &str, patient_id: &str) -> Result<()> {
        self.add_in_line(username, password, patient_id, None).await
    }

    /// [`LocalMembers::add`], with their plan's line of business.
    pub async fn add_in_line(
        &self,
        username: &str,
        password: &str,
        patient_id: &str,
        line_of_business: Option<LineOfBusiness>,
    ) -> Result<()> {
        let password = password.to_owned();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| Error::Store(e.to_string()))??;
        let security = self
            .store
            .member(username)
            .await?
            .map(|m| m.security)
            .unwrap_or_default();
        let mut record = MemberRecord::new(username, patient_id, password_hash);
        record.line_of_business = line_of_business;
        record.security = security;
        self.store.put_member(record).await
    }
}

impl<A: AuthStore + Clone> MemberDirectory for LocalMembers<A> {
    fn authenticate<'a>(&'a self, username: &'a str, password: &'a str) -> MemberFuture<'a> {
        Box::pin(async move {
            let record = self.store.member(username).await?;
            // An unknown user name costs a hash too, so timing does not tell which exist.
            let hash = record.as_ref().map_or_else(
                || crypto::UNKNOWN_MEMBER_HASH.to_owned(),
                |m| m.password_hash.clone(),
            );
            let password = password.to_owned();
            let matches =
                tokio::task::spawn_blocking(move || crypto::verify_password(&password, &hash))
                    .await
                    .map_err(|e| Error::Store(e.to_string()))?;
            Ok(record.filter(|_| matches).map(|m| Member {
                username: m.username,
                patient_id: m.patient_id,
                line_of_business: m.line_of_business,
            }))
        })
    }
}

/// What registering an app returns: its id, and its secret when it has one (shown once;
/// the server keeps only its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Registered {
    /// The `client_id`.
    pub client_id: String,
    /// The `client_secret` of a symmetric confidential client.
    pub client_secret: Option<String>,
}

/// A request to register an app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Registration {
    /// The `client_id` wanted; a random one when `None`.
    pub client_id: Option<String>,
    /// The name members see.
    pub name: String,
    /// Its redirect URIs (exact).
    pub redirect_uris: Vec<String>,
    /// How it authenticates.
    pub kind: ClientKind,
    /// The `id_token` algorithm, `RS256` (default) or `ES384`.
    pub id_token_alg: String,
    /// What the app does, for members.
    pub description: Option<String>,
    /// The developer's website (http(s)).
    pub homepage_url: Option<String>,
    /// The app's privacy policy (http(s)).
    pub privacy_policy_url: Option<String>,
    /// The developer attests that the privacy policy tells members how the app uses,
    /// shares and sells their data and how to have it deleted (CMS-9115-F); needs
    /// `privacy_policy_url`. Apps that did not are shown to members with a warning.
    pub privacy_attested: bool,
}

/// How an app to be registered authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientKind {
    /// A public app (browser, native): PKCE only.
    Public,
    /// A confidential app with a generated secret.
    Secret,
    /// A confidential app with `private_key_jwt`.
    PrivateKeyJwt {
        /// Its public keys.
        keys: ClientKeys,
    },
    /// A SMART Backend Services client (`client_credentials`, `system/` scopes).
    Backend {
        /// Its public keys.
        keys: ClientKeys,
    },
}

impl Registration {
    /// A public app with `redirect_uris`.
    pub fn public(name: impl Into<String>, redirect_uris: Vec<String>) -> Registration {
        Registration {
            client_id: None,
            name: name.into(),
            redirect_uris,
            kind: ClientKind::Public,
            id_token_alg: "RS256".to_owned(),
            description: None,
            homepage_url: None,
            privacy_policy_url: None,
            privacy_attested: false,
        }
    }

    /// The same registration, with what the app does.
    pub fn description(mut self, description: impl Into<String>) -> Registration {
        self.description = Some(description.into());
        self
    }

    /// The same registration, with the developer's website.
    pub fn homepage(mut self, url: impl Into<String>) -> Registration {
        self.homepage_url = Some(url.into());
        self
    }

    /// The same registration, with its privacy policy at `url`, `attested` or not.
    pub fn privacy_policy(mut self, url: impl Into<String>, attested: bool) -> Registration {
        self.privacy_policy_url = Some(url.into());
        self.privacy_attested = attested;
        self
    }

    /// The same registration, authenticating as `kind`.
    pub fn kind(mut self, kind: ClientKind) -> Registration {
        self.kind = kind;
        self
    }

    /// The same registration, as `client_id`.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Registration {
        self.client_id = Some(client_id.into());
        self
    }

    /// The same registration, with `id_token`s signed `alg` (`RS256` or `ES384`).
    pub fn id_token_alg(mut self, alg: impl Into<String>) -> Registration {
        self.id_token_alg = alg.into();
        self
    }
}

/// The authorization server over an [`AuthStore`].
pub struct AuthServer<A> {
    inner: Arc<Inner<A>>,
}

impl<A> Clone for AuthServer<A> {
    fn clone(&self) -> Self {
        AuthServer {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A> std::fmt::Debug for AuthServer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

struct Inner<A> {
    store: A,
    config: AuthConfig,
    members: Arc<dyn MemberDirectory>,
    keys: crypto::Keys,
    /// Fetches apps' JWK Sets registered by URL.
    fetcher: keys::Fetcher,
}

impl<A: AuthStore + Clone> AuthServer<A> {
    /// The server over `store`, with members from the same store ([`LocalMembers`]). Loads
    /// the signing keys, creating them on first start.
    pub async fn new(store: A, config: AuthConfig) -> Result<AuthServer<A>> {
        AuthServer::with_members(store.clone(), config, Arc::new(LocalMembers::new(store))).await
    }

    /// The server over `store`, with members from `members`.
    pub async fn with_members(
        store: A,
        config: AuthConfig,
        members: Arc<dyn MemberDirectory>,
    ) -> Result<AuthServer<A>> {
        let keys = crypto::Keys::load_or_create(&store).await?;
        Ok(AuthServer {
            inner: Arc::new(Inner {
                store,
                config,
                members,
                keys,
                fetcher: keys::Fetcher::new()?,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The routes, to mount at the issuer URL: `authorize`, `login`, `consent`, `token`,
    /// `introspect`, `revoke`, `jwks`, `apps`, `.well-known/openid-configuration`.
    pub fn router(&self) -> axum::Router {
        endpoints::router(self.clone())
    }

    /// The support console's routes, to mount at the issuer URL beside
    /// [`AuthServer::router`] (`/support`), for stores that keep the audit trail. Staff
    /// sign in with the administrator's token ([`AuthConfig::with_admin_token`]); without
    /// one the console refuses everyone.
    pub fn support_router(&self) -> axum::Router
    where
        A: crate::audit::AuditStore,
    {
        support::router(self.clone())
    }

    /// The [`Authorizer`] for the FHIR API: its access tokens become grants.
    pub fn authorizer(&self) -> Arc<dyn Authorizer> {
        Arc::new(self.clone())
    }

    /// `.well-known/smart-configuration` (SMART App Launch 2.2 section 2.0.3), for
    /// [`crate::http::ServerConfig::with_smart_configuration`]: what this server supports,
    /// no more.
    pub fn smart_configuration(&self) -> Value {
        let config = &self.inner.config;
        json!({
            "issuer": config.issuer,
            "jwks_uri": config.url("jwks"),
            "authorization_endpoint": config.url("authorize"),
            "token_endpoint": config.url("token"),
            "introspection_endpoint": config.url("introspect"),
            "revocation_endpoint": config.url("revoke"),
            "management_endpoint": config.url("apps"),
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "token_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
            "scopes_supported": [
                "openid", "fhirUser", "launch/patient", "offline_access", "online_access",
                "patient/*.rs", "patient/*.read", "user/*.rs", "user/*.read",
                "system/*.rs", "system/*.read",
            ],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "capabilities": [
                "launch-standalone", "authorize-post",
                "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
                "sso-openid-connect", "context-standalone-patient",
                "permission-offline", "permission-online", "permission-patient",
                "permission-user", "permission-v1", "permission-v2",
            ],
        })
    }

    /// Registers an app; the secret of a symmetric client is in the answer, and only
    /// there.
    pub async fn register(&self, registration: Registration) -> Result<Registered> {
        let invalid = |message: String| Error::InvalidParam {
            name: "registration".to_owned(),
            message,
        };
        if !matches!(registration.id_token_alg.as_str(), "RS256" | "ES384") {
            return Err(invalid(format!(
                "id_token_alg {} is not RS256 or ES384",
                registration.id_token_alg
            )));
        }
        let backend = matches!(registration.kind, ClientKind::Backend { .. });
        if registration.name.trim().is_empty() {
            return Err(invalid("an app needs a name members recognise".to_owned()));
        }
        if !backend && registration.redirect_uris.is_empty() {
            return Err(invalid("an app needs at least one redirect URI".to_owned()));
        }
        let web = |uri: &str| uri.starts_with("https://") || uri.starts_with("http://");
        for (what, url) in [
            ("homepage", &registration.homepage_url),
            ("privacy policy", &registration.privacy_policy_url),
        ] {
            if let Some(url) = url
                .as_deref()
                .filter(|u| !web(u) || u.contains(char::is_whitespace))
            {
                return Err(invalid(format!(
                    "the {what} URL {url} is not an absolute http(s) URL"
                )));
            }
        }
        if registration.privacy_attested && registration.privacy_policy_url.is_none() {
            return Err(invalid(
                "a privacy attestation is about a policy: give its URL".to_owned(),
            ));
        }
        if let Some(bad) = registration
            .redirect_uris
            .iter()
            .find(|uri| !web(uri) || uri.contains('#'))
        {
            return Err(invalid(format!(
                "redirect URI {bad} is not an absolute http(s) URI without a fragment"
            )));
        }
        let mut client_secret = None;
        let auth = match registration.kind {
            ClientKind::Public => ClientAuth::Public,
            ClientKind::Secret => {
                let secret = random_token();
                let digest = crypto::token_key(&secret);
                client_secret = Some(secret);
                ClientAuth::Secret {
                    secret_sha256: digest,
                }
            }
            ClientKind::PrivateKeyJwt { keys } | ClientKind::Backend { keys } => {
                match &keys {
                    ClientKeys::Jwks(jwks) => {
                        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(jwks)
                            .map_err(|e| invalid(format!("the JWK Set does not parse: {e}")))?;
                        if set.keys.is_empty() {
                            return Err(invalid("the JWK Set has no key".to_owned()));
                        }
                    }
                    ClientKeys::JwksUrl(url) if !keys::fetchable(url) => {
                        return Err(invalid(format!(
                            "the JWK Set URL {url} is not https (http is for loopback hosts only)"
                        )));
                    }
                    ClientKeys::JwksUrl(_) => {}
                }
                ClientAuth::PrivateKeyJwt { keys }
            }
        };
        let client_id = match registration.client_id {
            Some(id)
                if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                return Err(invalid(format!(
                    "client_id {id:?} is not 1 to 64 visible characters"
                )));
            }
            Some(id) => id,
            // 128 random bits.
            None => random_token()[..22].to_owned(),
        };
        let mut client = Client::new(client_id.clone(), registration.name, auth);
        client.redirect_uris = registration.redirect_uris;
        client.backend = backend;
        client.id_token_alg = registration.id_token_alg;
        client.description = registration.description.filter(|d| !d.trim().is_empty());
        client.homepage_url = registration.homepage_url;
        client.privacy_policy_url = registration.privacy_policy_url;
        client.privacy_attested_ms = registration.privacy_attested.then(|| self.now_ms());
        self.inner.store.put_client(client).await?;
        Ok(Registered {
            client_id,
            client_secret,
        })
    }

    /// Deletes the tokens, codes and sessions that can no longer be used
    /// ([`AuthStore::purge_expired`]); run it now and then (the `payer-server` binary does
    /// every ten minutes). Returns how many records went.
    pub async fn purge_expired(&self) -> Result<u64> {
        self.inner.store.purge_expired(self.now_ms()).await
    }

    fn now_ms(&self) -> i64 {
        self.inner.config.clock.now_ms()
    }
}

impl<A> AuthServer<A> {
    /// The pages, in the configured theme.
    fn pages(&self) -> pages::Pages<'_> {
        let config = &self.inner.config;
        pages::Pages::new(&config.theme, &config.issuer)
    }

    /// An HTML page saying what went wrong, for errors that cannot go back to the app.
    fn error_page(
        &self,
        status: axum::http::StatusCode,
        message: &str,
    ) -> axum::response::Response {
        endpoints::html(status, self.pages().error(message))
    }

    /// The page for a store that failed: 503.
    fn unavailable(&self, e: &Error) -> axum::response::Response {
        self.error_page(axum::http::StatusCode::SERVICE_UNAVAILABLE, &e.to_string())
    }
}

/// The bearer token of a request, if it has one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<A: AuthStore + Clone> AuthServer<A> {
    /// The active access token `token`'s record and grant: `None` when it is unknown,
    /// expired, or its grant is revoked or over.
    async fn active_token(
        &self,
        token: &str,
    ) -> Result<Option<(store::AccessTokenRecord, GrantRecord)>> {
        let now = self.now_ms();
        Ok(self
            .inner
            .store
            .access_token(&crypto::token_key(token))
            .await?
            .filter(|(t, g)| !g.revoked && t.expires_ms > now && g.expires_ms > now))
    }
}

impl<A: AuthStore + Clone> Authorizer for AuthServer<A> {
    fn authorize<'a>(&'a self, headers: &'a HeaderMap) -> AuthorizeFuture<'a> {
        Box::pin(async move {
            let token = bearer(headers).ok_or_else(|| {
                Error::Unauthorized("this request needs an access token (Bearer)".to_owned())
            })?;
            let (token, grant) = self.active_token(token).await?.ok_or_else(|| {
                Error::Unauthorized("the access token is invalid, expired or revoked".to_owned())
            })?;
            let access = match grant.patient_id {
                Some(patient_id) => Grant::patient(grant.subject, patient_id),
                None => Grant::all(grant.subject),
            };
            let access = access
                .for_client(grant.client_id)
                .with_permissions(Scopes::parse(&token.scope).permissions());
            Ok(access)
        })
    }
}
