//! What the authorization server keeps: registered apps, local members, sign-in sessions,
//! authorization codes, grants, tokens, assertion ids and signing keys. Every secret is
//! kept as its SHA-256 (hex), never as issued, so a copy of the
//! database does not hold a usable token.
//!
//! [`AuthStore`] is implemented by [`crate::store::MemoryStore`] and
//! [`crate::store::SqliteStore`] next to the resources, so one database holds the whole
//! server's state; both run [`crate::auth_store_conformance_tests!`].

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// How an app authenticates at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public client (a browser or native app): no secret; PKCE protects the code.
    Public,
    /// `client_secret_basic` or `client_secret_post`; the secret's SHA-256, hex.
    Secret {
        /// SHA-256 of the secret, hex (secrets are generated, 256 random bits).
        secret_sha256: String,
    },
    /// `private_key_jwt` (SMART asymmetric client authentication): assertions signed,
    /// RS384 or ES384, by one of the app's keys.
    PrivateKeyJwt {
        /// The app's public keys.
        keys: ClientKeys,
    },
}

/// Where an app's public keys are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientKeys {
    /// A JWK Set registered by value (JSON).
    Jwks(String),
    /// A JWK Set the app publishes at this URL (https, or http on a loopback host),
    /// fetched at every authentication so that a key the app rotates or withdraws counts
    /// at once.
    JwksUrl(String),
}

/// A registered app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Client {
    /// The `client_id`.
    pub client_id: String,
    /// The name members see on the consent page.
    pub name: String,
    /// The redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// How it authenticates.
    pub auth: ClientAuth,
    /// A SMART Backend Services client: `client_credentials` with `system/` scopes only,
    /// no member, no redirect.
    pub backend: bool,
    /// The `id_token` algorithm: `RS256` (the OpenID Connect default) or `ES384`.
    pub id_token_alg: String,
}

impl Client {
    /// An app with the defaults: no redirect URIs, `RS256` id tokens, not a backend.
    pub fn new(client_id: impl Into<String>, name: impl Into<String>, auth: ClientAuth) -> Client {
        Client {
            client_id: client_id.into(),
            name: name.into(),
            redirect_uris: Vec::new(),
            auth,
            backend: false,
            id_token_alg: "RS256".to_owned(),
        }
    }
}

/// A member of the local directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MemberRecord {
    /// The user name they sign in with.
    pub username: String,
    /// Their Patient id on the FHIR API.
    pub patient_id: String,
    /// Their argon2id password hash (PHC string).
    pub password_hash: String,
}

/// An authorization request waiting for the member to sign in and consent (SMART App
/// Launch 2.2 section 2.0.5 parameters, already checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The app.
    pub client_id: String,
    /// Its redirect URI (one of those registered).
    pub redirect_uri: String,
    /// The scopes requested and grantable.
    pub scope: String,
    /// The app's `state`, echoed.
    pub state: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
}

/// A sign-in in progress or done: an authorization request (until the member consents)
/// and, once signed in, the member. Also the short session of the connected-apps page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// The authorization request, for the authorize flow.
    pub request: Option<AuthorizationRequest>,
    /// The member's user name, once signed in.
    pub member: Option<String>,
    /// When it ends, in milliseconds since the epoch.
    pub expires_ms: i64,
}

/// One authorization: an app's access for a member (or a backend client), until it
/// expires or is revoked. Every token names one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GrantRecord {
    /// Its id.
    pub id: String,
    /// The app.
    pub client_id: String,
    /// The member's user name; the client id for a backend service.
    pub subject: String,
    /// The member's Patient id.
    pub patient_id: Option<String>,
    /// The scopes granted (after consent).
    pub scope: String,
    /// When it was granted.
    pub created_ms: i64,
    /// When it ends (the maximum authorization period): no token of it works after.
    pub expires_ms: i64,
    /// Revoked: by the member, by the app, or because a used refresh token came back.
    pub revoked: bool,
}

/// An authorization code, until it is exchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeRecord {
    /// The redirect URI the code was sent to; the exchange must name the same.
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The grant the exchange creates (its id is fixed now, so a second exchange can
    /// revoke it: RFC 6749 section 4.1.2).
    pub grant: GrantRecord,
    /// When the code expires.
    pub expires_ms: i64,
}

/// What [`AuthStore::redeem_code`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redemption {
    /// A code not used before and not expired: it is now used.
    Fresh(CodeRecord),
    /// A code used before: the grant it created is now revoked.
    Reused,
    /// No such code, or expired.
    Unknown,
}

/// An access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessTokenRecord {
    /// Its grant.
    pub grant_id: String,
    /// The scopes of this token (those of the grant, or fewer after a narrowing refresh).
    pub scope: String,
    /// When it expires.
    pub expires_ms: i64,
}

/// A refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefreshTokenRecord {
    /// Its grant.
    pub grant_id: String,
    /// When it expires.
    pub expires_ms: i64,
    /// Exchanged already: presenting it again revokes the grant.
    pub used: bool,
}

/// A key the server signs `id_token`s with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SigningKey {
    /// The `kid`.
    pub kid: String,
    /// `RS256` or `ES384`.
    pub alg: String,
    /// The private key, PKCS#8 PEM.
    pub pem: String,
}

/// How long after its expiry a used code is kept, so that a late second use still revokes
/// what the first gave.
pub(crate) const CODE_RETENTION_MS: i64 = 60 * 60 * 1000;

/// What [`AuthStore::purge_expired`] deletes at `now_ms` in the SQL stores, with the
/// time each statement binds as `$1` (SQLite and PostgreSQL both read it; `revoked` is a
/// boolean in one and 0/1 in the other, and `= TRUE` tests both).
pub(crate) fn purge_statements(now_ms: i64) -> [(&'static str, i64); 5] {
    [
        ("DELETE FROM auth_sessions WHERE expires_ms <= $1", now_ms),
        (
            "DELETE FROM auth_codes WHERE expires_ms <= $1",
            now_ms - CODE_RETENTION_MS,
        ),
        (
            "DELETE FROM auth_access_tokens WHERE expires_ms <= $1",
            now_ms,
        ),
        (
            "DELETE FROM auth_refresh_tokens WHERE expires_ms <= $1 OR grant_id IN \
             (SELECT id FROM auth_grants WHERE revoked = TRUE)",
            now_ms,
        ),
        ("DELETE FROM auth_jtis WHERE expires_ms <= $1", now_ms),
    ]
}

/// The authorization server's state. Keys (`key` arguments) are SHA-256 digests of the
/// secrets, never the secrets. Every method is one transaction.
pub trait AuthStore: Send + Sync + 'static {
    /// Registers `client`, or replaces the registration with its id.
    fn put_client(&self, client: Client) -> impl Future<Output = Result<()>> + Send;

    /// The app `client_id`.
    fn client(&self, client_id: &str) -> impl Future<Output = Result<Option<Client>>> + Send;

    /// Adds `member` to the local directory, or replaces the one with their user name.
    fn put_member(&self, member: MemberRecord) -> impl Future<Output = Result<()>> + Send;

    /// The local member `username`.
    fn member(&self, username: &str) -> impl Future<Output = Result<Option<MemberRecord>>> + Send;

    /// Starts or updates the session `key`.
    fn put_session(&self, key: &str, session: Session) -> impl Future<Output = Result<()>> + Send;

    /// The session `key`, unless it ended before `now_ms`.
    fn session(
        &self,
        key: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<Session>>> + Send;

    /// Ends the session `key`.
    fn end_session(&self, key: &str) -> impl Future<Output = Result<()>> + Send;

    /// Keeps the authorization code `key`.
    fn put_code(&self, key: &str, code: CodeRecord) -> impl Future<Output = Result<()>> + Send;

    /// Uses the code `key`: [`Redemption::Fresh`] once; after that
    /// [`Redemption::Reused`], which also revokes the grant the first use created.
    fn redeem_code(
        &self,
        key: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Redemption>> + Send;

    /// Creates `grant` (unless it exists) and its first tokens.
    fn issue(
        &self,
        grant: GrantRecord,
        access: (String, AccessTokenRecord),
        refresh: Option<(String, RefreshTokenRecord)>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The access token `key` and its grant (expired or revoked ones too: the caller
    /// decides, and introspection says why).
    fn access_token(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<(AccessTokenRecord, GrantRecord)>>> + Send;

    /// The refresh token `key` and its grant.
    fn refresh_token(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<(RefreshTokenRecord, GrantRecord)>>> + Send;

    /// Exchanges the refresh token `old_key` for new tokens: `true` when it was unused
    /// (it is now used, and the new ones exist). `false` when it was used meanwhile (a
    /// concurrent exchange, or a stolen copy): then the grant is revoked.
    fn rotate_refresh(
        &self,
        old_key: &str,
        access: (String, AccessTokenRecord),
        refresh: (String, RefreshTokenRecord),
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Revokes the grant `grant_id`: none of its tokens works any more.
    fn revoke_grant(&self, grant_id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Deletes the access token `key`.
    fn revoke_access_token(&self, key: &str) -> impl Future<Output = Result<()>> + Send;

    /// The grants of `subject` not revoked and not expired at `now_ms`, oldest first.
    fn grants_of(
        &self,
        subject: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Vec<GrantRecord>>> + Send;

    /// Records the client assertion id `jti` of `client_id` until `expires_ms`: `false`
    /// when it was recorded before and has not expired (a replay).
    fn remember_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Deletes what can no longer be used at `now_ms`: ended sessions, codes expired an
    /// hour ago (until then a late second use still revokes), expired access tokens,
    /// refresh tokens past their expiry or of revoked grants, expired assertion ids. Used
    /// refresh tokens of live grants stay: presenting one must still revoke the grant.
    /// Grants stay (the record of what each member authorized). Returns how many records
    /// went.
    fn purge_expired(&self, now_ms: i64) -> impl Future<Output = Result<u64>> + Send;

    /// The signing keys, oldest first.
    fn signing_keys(&self) -> impl Future<Output = Result<Vec<SigningKey>>> + Send;

    /// Adds a signing key.
    fn put_signing_key(&self, key: SigningKey) -> impl Future<Output = Result<()>> + Send;
}
