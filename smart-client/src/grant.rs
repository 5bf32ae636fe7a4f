//! What an app keeps of an authorization: the [`Grant`] (tokens, when they expire, what
//! was granted, the patient), and the [`TokenStore`] it is kept in. A refresh replaces
//! the grant in the store before its new access token is used, so a crash right after
//! a refresh never leaves the app holding only a rotated-away refresh token.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[cfg(not(target_arch = "wasm32"))]
use crate::error::Error;
use crate::error::Result;
use crate::http::{BoxFuture, MaybeSend};
use crate::token::TokenResponse;

/// The default lifetime assumed for an access token whose server said nothing (neither
/// `expires_in` nor a JWT `exp`): short, so the client refreshes early rather than late.
pub const DEFAULT_LIFETIME: u64 = 300;

/// The lifetimes refreshes are scheduled by, whatever the server says: an `expires_in`
/// of 0 would refresh before every request, one of years never (the token response keeps
/// the value as sent).
const SCHEDULED_LIFETIMES: std::ops::RangeInclusive<u64> = 30..=86_400;

/// An authorization as an app keeps it. Serializable (JSON) for a [`TokenStore`]; its
/// `Debug` shows no token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Grant {
    /// The FHIR base URL the tokens are for.
    pub fhir_base: String,
    /// The token endpoint that refreshes them.
    pub token_endpoint: String,
    /// The access token.
    pub access_token: String,
    /// When the access token expires (Unix seconds), as far as the client knows.
    pub expires_at: u64,
    /// The access token's lifetime in seconds, as granted (for the refresh margin).
    pub lifetime: u64,
    /// The refresh token: the grant can be refreshed exactly when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the refresh token (or the whole authorization) ends, if the server said
    /// (`refresh_expires_in`, or Blue Button's `access_grant_expiration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<u64>,
    /// The scopes granted (those requested when the server did not say).
    pub scope: String,
    /// The patient in context, as the token response gave it (a bare id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// The `id_token`, not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The token response's members this crate does not type (see
    /// [`TokenResponse::other`]).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("fhir_base", &self.fhir_base)
            .field("expires_at", &self.expires_at)
            .field("refreshable", &self.refreshable())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Grant {
    /// The grant a token response gives, received at `now` (Unix seconds). `requested_scope`
    /// stands in when the server did not say what it granted.
    pub fn from_token_response(
        fhir_base: &str,
        token_endpoint: &str,
        response: TokenResponse,
        requested_scope: &str,
        now: u64,
    ) -> Grant {
        let lifetime =
            lifetime_of(&response).clamp(*SCHEDULED_LIFETIMES.start(), *SCHEDULED_LIFETIMES.end());
        let refresh_expires_at = response
            .refresh_expires_in
            .map(|seconds| now.saturating_add(seconds))
            .or_else(|| {
                response
                    .other
                    .get("access_grant_expiration")
                    .and_then(serde_json::Value::as_str)
                    .and_then(parse_timestamp)
            });
        Grant {
            fhir_base: fhir_base.trim_end_matches('/').to_owned(),
            token_endpoint: token_endpoint.to_owned(),
            access_token: response.access_token,
            expires_at: now.saturating_add(lifetime),
            lifetime,
            refresh_token: response.refresh_token,
            refresh_expires_at,
            scope: response.scope.unwrap_or_else(|| requested_scope.to_owned()),
            patient: response.patient,
            id_token: response.id_token,
            other: response.other,
        }
    }

    /// The grant after a refresh answered `response` at `now`: what the answer leaves
    /// out (a new refresh token, the scope, the patient) is kept from before.
    pub fn refreshed(&self, response: TokenResponse, now: u64) -> Grant {
        let mut next = Grant::from_token_response(
            &self.fhir_base,
            &self.token_endpoint,
            response,
            &self.scope,
            now,
        );
        if next.refresh_token.is_none() {
            next.refresh_token.clone_from(&self.refresh_token);
            next.refresh_expires_at = next.refresh_expires_at.or(self.refresh_expires_at);
        }
        if next.patient.is_none() {
            next.patient.clone_from(&self.patient);
        }
        if next.id_token.is_none() {
            next.id_token.clone_from(&self.id_token);
        }
        for (key, value) in &self.other {
            next.other
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
        next
    }

    /// Whether the grant can be refreshed: it has a refresh token (what discovery
    /// advertises does not count; many servers advertise refresh and never give one).
    pub fn refreshable(&self) -> bool {
        self.refresh_token.is_some()
    }

    /// Whether the access token should be replaced at `now`: it expires within the
    /// refresh margin (a fifth of its lifetime, at most 60 seconds), so a request sent
    /// now does not arrive with a token that expired on the way.
    pub fn due_for_refresh(&self, now: u64) -> bool {
        let margin = (self.lifetime / 5).min(60);
        now.saturating_add(margin) >= self.expires_at
    }

    /// Whether the access token has expired at `now`.
    pub fn expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// The resource scopes of `requested` the grant lacks, v1 and v2 spellings taken as
    /// the same (`patient/*.read` is granted by `patient/*.rs`): servers drop scopes
    /// silently (Cerner drops v1 scopes of apps registered for v2), and an app should
    /// say so rather than find empty searches.
    pub fn missing_scopes(&self, requested: &str) -> Vec<String> {
        let granted: Vec<(&str, String)> = self
            .scope
            .split_ascii_whitespace()
            .filter_map(resource_scope)
            .collect();
        requested
            .split_ascii_whitespace()
            .filter(|asked| {
                let Some((target, wanted)) = resource_scope(asked) else {
                    return false;
                };
                let (context, resource_type) = target.split_once('/').unwrap_or((target, ""));
                !granted.iter().any(|(granted_target, permissions)| {
                    let (granted_context, granted_type) = granted_target
                        .split_once('/')
                        .unwrap_or((granted_target, ""));
                    granted_context == context
                        && (granted_type == "*" || granted_type == resource_type)
                        && wanted.chars().all(|p| permissions.contains(p))
                })
            })
            .map(str::to_owned)
            .collect()
    }

    /// When the member will have to authorize the app again at the latest (Unix
    /// seconds): when the access token expires for a grant without a refresh token, when
    /// the refresh token ends otherwise; `None` when the server did not say.
    pub fn reauthorize_by(&self) -> Option<u64> {
        if self.refreshable() {
            self.refresh_expires_at
        } else {
            Some(self.expires_at)
        }
    }
}

/// The lifetime of an access token: `expires_in`, else the `exp` of an access token that
/// is a JWT minus its `iat`, else [`DEFAULT_LIFETIME`].
fn lifetime_of(response: &TokenResponse) -> u64 {
    if let Some(seconds) = response.expires_in {
        return seconds;
    }
    let claims = crate::jwt::claims(&response.access_token);
    let claim = |name: &str| claims.as_ref().and_then(|c| c.get(name)?.as_u64());
    match (claim("exp"), claim("iat")) {
        (Some(exp), Some(iat)) if exp > iat => exp - iat,
        _ => DEFAULT_LIFETIME,
    }
}

/// A resource scope as its `context/Type` and its v2 permission letters: `.read` is
/// `rs`, `.write` is `cud`, `.*` is `cruds` (SMART App Launch 2.2 section 3.1.2). Other
/// scopes (`openid`, `launch/patient`) are `None`.
pub(crate) fn resource_scope(scope: &str) -> Option<(&str, String)> {
    let scope = scope.split('?').next().unwrap_or(scope);
    let (target, permissions) = scope.rsplit_once('.')?;
    let (context, _) = target.split_once('/')?;
    if !matches!(context, "patient" | "user" | "system") {
        return None;
    }
    let letters = match permissions {
        "read" => "rs".to_owned(),
        "write" => "cud".to_owned(),
        "*" => "cruds".to_owned(),
        v2 => v2.to_owned(),
    };
    Some((target, letters))
}

/// An RFC 3339 timestamp, or the same with a space for the `T` (Blue Button's docs).
fn parse_timestamp(text: &str) -> Option<u64> {
    let text = text.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(&text.replacen(' ', "T", 1)))
        .ok()?;
    u64::try_from(parsed.timestamp()).ok()
}

/// Where grants are kept between runs, by a key the app chooses (a member, a payer).
/// [`Session`](crate::Session) saves each refreshed grant here before it uses the new
/// access token; an error from `save` fails that request.
pub trait TokenStore: MaybeSend {
    /// The grant saved under `key`, if any.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Grant>>>;
    /// Saves `grant` under `key`, replacing what was there.
    fn save<'a>(&'a self, key: &'a str, grant: &'a Grant) -> BoxFuture<'a, Result<()>>;
    /// Forgets the grant under `key`.
    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// Grants in memory, for one process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    grants: Mutex<BTreeMap<String, Grant>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> MemoryTokenStore {
        MemoryTokenStore::default()
    }

    fn grants(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Grant>> {
        // A panic elsewhere while holding the lock leaves the map whole: keep using it.
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Grant>>> {
        let grant = self.grants().get(key).cloned();
        Box::pin(async move { Ok(grant) })
    }

    fn save<'a>(&'a self, key: &'a str, grant: &'a Grant) -> BoxFuture<'a, Result<()>> {
        self.grants().insert(key.to_owned(), grant.clone());
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        self.grants().remove(key);
        Box::pin(async { Ok(()) })
    }
}

/// Grants as JSON files in a directory, one per key, written atomically (a temporary
/// file renamed over the old one) and readable by the owner only on Unix. For native
/// apps and command-line tools; not on wasm32.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    directory: std::path::PathBuf,
}

#[cfg(not(target_arch = "wasm32"))]
impl FileTokenStore {
    /// A store in `directory`, created when missing.
    pub fn new(directory: impl Into<std::path::PathBuf>) -> Result<FileTokenStore> {
        let directory = directory.into();
        std::fs::create_dir_all(&directory).map_err(|e| storage(&directory, &e))?;
        Ok(FileTokenStore { directory })
    }

    /// The file of `key`: its characters outside `[A-Za-z0-9_-]` hex-escaped, so a key
    /// cannot name a path outside the directory.
    fn path(&self, key: &str) -> std::path::PathBuf {
        let name: String = key
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => (b as char).to_string(),
                _ => format!(".{b:02x}"),
            })
            .collect();
        self.directory.join(format!("{name}.grant.json"))
    }

    fn write(&self, key: &str, grant: &Grant) -> Result<()> {
        let path = self.path(key);
        let json = serde_json::to_vec_pretty(grant).map_err(|e| Error::Storage(e.to_string()))?;
        let temporary = path.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&temporary)
            .map_err(|e| storage(&temporary, &e))?;
        std::io::Write::write_all(&mut file, &json).map_err(|e| storage(&temporary, &e))?;
        file.sync_all().map_err(|e| storage(&temporary, &e))?;
        std::fs::rename(&temporary, &path).map_err(|e| storage(&path, &e))
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn storage(path: &std::path::Path, error: &std::io::Error) -> Error {
    Error::Storage(format!("{}: {error}", path.display()))
}

#[cfg(not(target_arch = "wasm32"))]
impl TokenStore for FileTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Grant>>> {
        Box::pin(async move {
            let path = self.path(key);
            match std::fs::read(&path) {
                Ok(bytes) => serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| Error::Storage(format!("{}: not a grant: {e}", path.display()))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(storage(&path, &e)),
            }
        })
    }

    fn save<'a>(&'a self, key: &'a str, grant: &'a Grant) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.write(key, grant) })
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let path = self.path(key);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(storage(&path, &e)),
                _ => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &str) -> Result<TokenResponse> {
        TokenResponse::parse(200, body)
    }

    #[test]
    fn expiry_comes_from_expires_in_then_the_jwt_then_a_short_default() -> Result<()> {
        let grant = Grant::from_token_response(
            "https://p.example/fhir/",
            "https://p.example/token",
            response(r#"{"access_token": "a", "expires_in": 3600, "scope": "x"}"#)?,
            "asked",
            1_000,
        );
        assert_eq!((grant.expires_at, grant.lifetime), (4_600, 3_600));
        assert_eq!(grant.fhir_base, "https://p.example/fhir");
        assert!(!grant.due_for_refresh(4_539) && grant.due_for_refresh(4_540));

        // A JWT access token: {"iat": 100, "exp": 700}.
        let jwt = "eyJhbGciOiJub25lIn0.eyJpYXQiOjEwMCwiZXhwIjo3MDB9.";
        let grant = Grant::from_token_response(
            "b",
            "t",
            response(&format!(r#"{{"access_token": "{jwt}"}}"#))?,
            "asked",
            1_000,
        );
        assert_eq!(grant.lifetime, 600);
        assert_eq!(grant.scope, "asked");

        let grant = Grant::from_token_response(
            "b",
            "t",
            response(r#"{"access_token": "opaque"}"#)?,
            "asked",
            1_000,
        );
        assert_eq!(grant.lifetime, DEFAULT_LIFETIME);
        assert_eq!(grant.reauthorize_by(), Some(1_300), "not refreshable");

        // Absurd lifetimes are scheduled as 30 s or a day.
        for (sent, scheduled) in [(0, 30), (315_360_000, 86_400)] {
            let body = format!(r#"{{"access_token": "a", "expires_in": {sent}}}"#);
            let grant = Grant::from_token_response("b", "t", response(&body)?, "", 0);
            assert_eq!(grant.lifetime, scheduled);
        }
        Ok(())
    }

    #[test]
    fn scopes_the_server_dropped_are_listed_across_v1_and_v2() -> Result<()> {
        let grant = Grant::from_token_response(
            "b",
            "t",
            response(
                r#"{"access_token": "a", "scope": "launch/patient openid patient/*.rs patient/Observation.r"}"#,
            )?,
            "",
            0,
        );
        assert_eq!(
            grant.missing_scopes(
                "launch/patient openid offline_access patient/ExplanationOfBenefit.read                  patient/Coverage.rs patient/Observation.rs user/Patient.read patient/*.write"
            ),
            ["user/Patient.read", "patient/*.write"]
        );
        let narrowed = Grant::from_token_response(
            "b",
            "t",
            response(r#"{"access_token": "a", "scope": "openid"}"#)?,
            "",
            0,
        );
        assert_eq!(
            narrowed.missing_scopes("openid patient/*.read"),
            ["patient/*.read"]
        );
        Ok(())
    }

    #[test]
    fn a_refresh_keeps_what_the_answer_leaves_out() -> Result<()> {
        let first = Grant::from_token_response(
            "b",
            "t",
            response(
                r#"{"access_token": "a1", "expires_in": 60, "refresh_token": "r1",
                    "scope": "patient/*.rs offline_access", "patient": "p1",
                    "access_grant_expiration": "2027-01-01 00:00:00Z"}"#,
            )?,
            "",
            0,
        );
        assert_eq!(first.refresh_expires_at, Some(1_798_761_600));
        let second = first.refreshed(response(r#"{"access_token": "a2", "expires_in": 60}"#)?, 50);
        assert_eq!(second.access_token, "a2");
        assert_eq!(second.refresh_token.as_deref(), Some("r1"));
        assert_eq!(second.patient.as_deref(), Some("p1"));
        assert_eq!(second.scope, "patient/*.rs offline_access");
        assert_eq!(second.refresh_expires_at, Some(1_798_761_600));
        let third = second.refreshed(
            response(r#"{"access_token": "a3", "refresh_token": "r2", "expires_in": 60}"#)?,
            100,
        );
        assert_eq!(third.refresh_token.as_deref(), Some("r2"));
        assert!(!format!("{third:?}").contains("r2"), "no tokens in Debug");
        Ok(())
    }

    #[test]
    fn the_file_store_round_trips_and_keeps_keys_inside_its_directory() -> Result<()> {
        let temporary = tempfile::tempdir().map_err(|e| Error::Storage(e.to_string()))?;
        let directory = temporary.path().join("grants");
        let store = FileTokenStore::new(&directory)?;
        let grant = Grant::from_token_response(
            "b",
            "t",
            response(r#"{"access_token": "a", "refresh_token": "r"}"#)?,
            "s",
            0,
        );
        let block_on = |future: BoxFuture<'_, Result<Option<Grant>>>| {
            futures_util::FutureExt::now_or_never(future).unwrap_or(Ok(None))
        };
        let key = "../member one";
        futures_util::FutureExt::now_or_never(store.save(key, &grant)).transpose()?;
        assert_eq!(block_on(store.load(key))?, Some(grant));
        let files: Vec<_> = std::fs::read_dir(&directory)
            .map_err(|e| Error::Storage(e.to_string()))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, [".2e.2e.2fmember.20one.grant.json"]);
        futures_util::FutureExt::now_or_never(store.remove(key)).transpose()?;
        assert_eq!(block_on(store.load(key))?, None);
        Ok(())
    }
}
