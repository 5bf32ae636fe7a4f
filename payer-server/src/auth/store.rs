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

pub use super::security::MemberSecurity;
use crate::error::Result;
use crate::synth::LineOfBusiness;

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
    /// What the app does, in the developer's words, for the consent page and gallery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The developer's website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage_url: Option<String>,
    /// The app's privacy policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_policy_url: Option<String>,
    /// When the developer attested that the privacy policy says how the app uses, shares
    /// and sells members' data (CMS-9115-F); `None`: not attested, and members are warned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_attested_ms: Option<i64>,
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
            description: None,
            homepage_url: None,
            privacy_policy_url: None,
            privacy_attested_ms: None,
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
    /// Their plan's line of business, when the payer records it
    /// ([`super::AuthConfig::with_lines_of_business`] may restrict who signs in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_of_business: Option<LineOfBusiness>,
    /// Their second factor and failed attempts.
    #[serde(default)]
    pub security: MemberSecurity,
}

impl MemberRecord {
    /// A member with no line of business recorded and no second factor yet.
    pub fn new(
        username: impl Into<String>,
        patient_id: impl Into<String>,
        password_hash: impl Into<String>,
    ) -> MemberRecord {
        MemberRecord {
            username: username.into(),
            patient_id: patient_id.into(),
            password_hash: password_hash.into(),
            line_of_business: None,
            security: MemberSecurity::default(),
        }
    }
}

/// What happened at one step of a sign-in, as the support console shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignInOutcome {
    /// The password (and second factor, when asked) were right.
    SignedIn,
    /// The user name or password was wrong.
    WrongPassword,
    /// The account is locked after repeated failures.
    Locked,
    /// The one-time code or recovery code was wrong.
    SecondFactorFailed,
    /// The member set up two-step sign-in.
    SecondFactorEnrolled,
    /// A recovery code was used (it is now spent).
    RecoveryCodeUsed,
    /// The member's line of business is not served by this API.
    LineOfBusinessNotServed,
    /// The member allowed an app.
    ConsentGiven,
    /// The member denied an app.
    ConsentDenied,
    /// The authorization request named a redirect URI the app did not register.
    RedirectMismatch,
    /// The code exchange's `code_verifier` did not match (PKCE).
    PkceMismatch,
    /// The member's identity provider refused or failed the sign-in.
    UpstreamError,
    /// The identity provider's answer lacked a claim the member mapping needs.
    ClaimMapping,
    /// Support staff lifted a lockout.
    Unlocked,
    /// Support staff reset the member's two-step sign-in.
    SecondFactorReset,
}

impl SignInOutcome {
    /// Whether it is a failure a member may call about.
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            SignInOutcome::SignedIn
                | SignInOutcome::SecondFactorEnrolled
                | SignInOutcome::RecoveryCodeUsed
                | SignInOutcome::ConsentGiven
                | SignInOutcome::Unlocked
                | SignInOutcome::SecondFactorReset
        )
    }

    /// How the support console names it.
    pub fn describe(self) -> &'static str {
        match self {
            SignInOutcome::SignedIn => "signed in",
            SignInOutcome::WrongPassword => "wrong user name or password",
            SignInOutcome::Locked => "account locked after repeated failures",
            SignInOutcome::SecondFactorFailed => "second factor (code) failed",
            SignInOutcome::SecondFactorEnrolled => "set up two-step sign-in",
            SignInOutcome::RecoveryCodeUsed => "signed in with a recovery code",
            SignInOutcome::LineOfBusinessNotServed => "line of business not served",
            SignInOutcome::ConsentGiven => "consent given",
            SignInOutcome::ConsentDenied => "consent denied",
            SignInOutcome::RedirectMismatch => "redirect URI mismatch",
            SignInOutcome::PkceMismatch => "PKCE mismatch (code_verifier)",
            SignInOutcome::UpstreamError => "identity provider error",
            SignInOutcome::ClaimMapping => "identity provider claims do not map to a member",
            SignInOutcome::Unlocked => "lockout lifted by support staff",
            SignInOutcome::SecondFactorReset => "two-step sign-in reset by support staff",
        }
    }
}

/// One step of a member's sign-in or of an app's authorization, kept for the support
/// console (never a password, code or token: the detail says what was wrong, not what
/// was typed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignInEvent {
    /// When, in milliseconds since the epoch.
    pub at_ms: i64,
    /// The member's user name, when known (a redirect mismatch happens before sign-in).
    pub subject: Option<String>,
    /// The app, when there is one.
    pub client_id: Option<String>,
    /// What happened.
    pub outcome: SignInOutcome,
    /// The exact reason, for support staff.
    pub detail: String,
}

impl SignInEvent {
    /// An event at `at_ms`.
    pub fn new(
        at_ms: i64,
        subject: Option<String>,
        client_id: Option<String>,
        outcome: SignInOutcome,
        detail: impl Into<String>,
    ) -> SignInEvent {
        SignInEvent {
            at_ms,
            subject,
            client_id,
            outcome,
            detail: detail.into(),
        }
    }
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
    /// The member's user name, once signed in with every factor asked.
    pub member: Option<String>,
    /// The member's Patient id, from their directory, once signed in.
    #[serde(default)]
    pub patient_id: Option<String>,
    /// The user name of a member who gave the right password and has a second factor
    /// still to give (or to set up); `member` stays `None` until then.
    #[serde(default)]
    pub awaiting_second_factor: Option<String>,
    /// A TOTP secret offered to the member (base32), until they confirm it with a code.
    #[serde(default)]
    pub enrolling_secret: Option<String>,
    /// The name of the member services staff member signed in to the support console.
    #[serde(default)]
    pub support_staff: Option<String>,
    /// A sign-in at the payer's identity provider under way.
    #[serde(default)]
    pub upstream: Option<super::upstream::UpstreamPending>,
    /// When it ends, in milliseconds since the epoch.
    pub expires_ms: i64,
}

impl Session {
    /// A session for `request` (none for the connected apps page), nobody signed in yet.
    pub fn new(request: Option<AuthorizationRequest>, expires_ms: i64) -> Session {
        Session {
            request,
            member: None,
            patient_id: None,
            awaiting_second_factor: None,
            enrolling_secret: None,
            support_staff: None,
            upstream: None,
            expires_ms,
        }
    }
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

/// How long sign-in events are kept: six years, as HIPAA keeps the documentation of
/// security activity (45 CFR 164.316(b)(2)(i)); after that they go, so a trail fed by
/// failed sign-ins does not grow without end.
pub const SIGN_IN_RETENTION_MS: i64 = 6 * 366 * 24 * 60 * 60 * 1000;

/// What [`AuthStore::purge_expired`] deletes at `now_ms` in the SQL stores, with the
/// time each statement binds as `$1` (SQLite and PostgreSQL both read it; `revoked` is a
/// boolean in one and 0/1 in the other, and `= TRUE` tests both).
pub(crate) fn purge_statements(now_ms: i64) -> [(&'static str, i64); 6] {
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
        (
            "DELETE FROM auth_sign_ins WHERE at_ms <= $1",
            now_ms - SIGN_IN_RETENTION_MS,
        ),
    ]
}

/// The authorization server's state. Keys (`key` arguments) are SHA-256 digests of the
/// secrets, never the secrets. Every method is one transaction.
pub trait AuthStore: Send + Sync + 'static {
    /// Registers `client`, or replaces the registration with its id.
    fn put_client(&self, client: Client) -> impl Future<Output = Result<()>> + Send;

    /// The app `client_id`.
    fn client(&self, client_id: &str) -> impl Future<Output = Result<Option<Client>>> + Send;

    /// Every registered app, by `client_id`.
    fn clients(&self) -> impl Future<Output = Result<Vec<Client>>> + Send;

    /// Adds `member` to the local directory, or replaces the one with their user name.
    fn put_member(&self, member: MemberRecord) -> impl Future<Output = Result<()>> + Send;

    /// Replaces the security of member `username` with `new` if it is still `expected`
    /// (compare and swap, so two sign-ins racing cannot both spend one recovery code or
    /// one time step): `false` when it changed meanwhile or there is no such member.
    fn swap_member_security(
        &self,
        username: &str,
        expected: &MemberSecurity,
        new: MemberSecurity,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Appends a step of a sign-in to the trail the support console reads.
    fn record_sign_in(&self, event: SignInEvent) -> impl Future<Output = Result<()>> + Send;

    /// The last `limit` sign-in events of `subject` (every subject's when `None`), newest
    /// first.
    fn sign_ins(
        &self,
        subject: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<SignInEvent>>> + Send;

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
    /// refresh tokens past their expiry or of revoked grants, expired assertion ids,
    /// sign-in events older than [`SIGN_IN_RETENTION_MS`]. Used refresh tokens of live
    /// grants stay: presenting one must still revoke the grant. Grants stay (the record
    /// of what each member authorized). Returns how many records went.
    fn purge_expired(&self, now_ms: i64) -> impl Future<Output = Result<u64>> + Send;

    /// The signing keys, oldest first.
    fn signing_keys(&self) -> impl Future<Output = Result<Vec<SigningKey>>> + Send;

    /// Adds a signing key.
    fn put_signing_key(&self, key: SigningKey) -> impl Future<Output = Result<()>> + Send;
}
