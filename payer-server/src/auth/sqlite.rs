//! [`AuthStore`] for [`SqliteStore`]: the authorization server's tables in the same
//! database file as the resources. Records are JSON text keyed by what they are looked
//! up by; what a transaction changes (used, revoked) is a column of its own.

use rusqlite::{Connection, OptionalExtension, params};

use super::store::{
    AccessTokenRecord, AuthStore, Client, CodeRecord, GrantRecord, MemberRecord, MemberSecurity,
    Redemption, RefreshTokenRecord, Session, SignInEvent, SigningKey,
};
use crate::error::{Error, Result};
use crate::store::SqliteStore;

/// The tables, created when a database is opened (`IF NOT EXISTS`: a file written before
/// they existed gains them).
pub(crate) const AUTH_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS auth_clients (client_id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_members (username TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_sessions (
    key TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_codes (
    key TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL, used INTEGER NOT NULL,
    json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_grants (
    id TEXT PRIMARY KEY, subject TEXT NOT NULL, revoked INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS auth_grants_by_subject ON auth_grants (subject);
CREATE TABLE IF NOT EXISTS auth_access_tokens (
    key TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_ms INTEGER NOT NULL,
    json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS auth_access_tokens_by_expiry ON auth_access_tokens (expires_ms);
CREATE TABLE IF NOT EXISTS auth_refresh_tokens (
    key TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_ms INTEGER NOT NULL,
    used INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_jtis (
    client_id TEXT NOT NULL, jti TEXT NOT NULL, expires_ms INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti));
CREATE TABLE IF NOT EXISTS auth_signing_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_sign_ins (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, subject TEXT,
    json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS auth_sign_ins_by_subject ON auth_sign_ins (subject, seq);
";

fn sql_error(e: rusqlite::Error) -> Error {
    Error::Store(e.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Store(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|e| Error::Store(format!("an auth record does not parse: {e}")))
}

/// One JSON column of the row `sql` selects with `key`, parsed.
fn one<T: serde::de::DeserializeOwned>(c: &Connection, sql: &str, key: &str) -> Result<Option<T>> {
    c.query_row(sql, [key], |row| row.get::<_, String>(0))
        .optional()
        .map_err(sql_error)?
        .map(|json| from_json(&json))
        .transpose()
}

/// The JSON column of every row `sql` selects with `params`, parsed, in order.
fn all<T: serde::de::DeserializeOwned>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>> {
    let mut statement = c.prepare_cached(sql).map_err(sql_error)?;
    let rows = statement
        .query_map(params, |row| row.get::<_, String>(0))
        .map_err(sql_error)?;
    rows.map(|json| from_json(&json.map_err(sql_error)?))
        .collect()
}

fn grant(c: &Connection, id: &str) -> Result<Option<GrantRecord>> {
    c.query_row(
        "SELECT json, revoked FROM auth_grants WHERE id = ?1",
        [id],
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)),
    )
    .optional()
    .map_err(sql_error)?
    .map(|(json, revoked)| {
        let mut grant: GrantRecord = from_json(&json)?;
        grant.revoked = revoked;
        Ok(grant)
    })
    .transpose()
}

fn revoke(c: &Connection, grant_id: &str) -> Result<()> {
    c.execute(
        "UPDATE auth_grants SET revoked = 1 WHERE id = ?1",
        [grant_id],
    )
    .map(drop)
    .map_err(sql_error)
}

fn insert_access(c: &Connection, key: &str, token: &AccessTokenRecord) -> Result<()> {
    c.execute(
        "INSERT INTO auth_access_tokens (key, grant_id, expires_ms, json) \
         VALUES (?1, ?2, ?3, ?4)",
        params![key, token.grant_id, token.expires_ms, to_json(token)?],
    )
    .map(drop)
    .map_err(sql_error)
}

fn insert_refresh(c: &Connection, key: &str, token: &RefreshTokenRecord) -> Result<()> {
    c.execute(
        "INSERT INTO auth_refresh_tokens (key, grant_id, expires_ms, used, json) \
         VALUES (?1, ?2, ?3, 0, ?4)",
        params![key, token.grant_id, token.expires_ms, to_json(token)?],
    )
    .map(drop)
    .map_err(sql_error)
}

impl SqliteStore {
    /// Runs `f` in one write transaction.
    async fn auth_write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.with_connection(move |c| {
            let tx = c.transaction().map_err(sql_error)?;
            let out = f(&tx)?;
            tx.commit().map_err(sql_error)?;
            Ok(out)
        })
        .await
    }
}

impl AuthStore for SqliteStore {
    async fn put_client(&self, client: Client) -> Result<()> {
        let json = to_json(&client)?;
        self.auth_write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO auth_clients (client_id, json) VALUES (?1, ?2)",
                params![client.client_id, json],
            )
            .map(drop)
            .map_err(sql_error)
        })
        .await
    }

    async fn client(&self, client_id: &str) -> Result<Option<Client>> {
        let id = client_id.to_owned();
        self.with_reader(move |c| one(c, "SELECT json FROM auth_clients WHERE client_id = ?1", &id))
            .await
    }

    async fn clients(&self) -> Result<Vec<Client>> {
        self.with_reader(|c| all(c, "SELECT json FROM auth_clients ORDER BY client_id", []))
            .await
    }

    async fn put_member(&self, member: MemberRecord) -> Result<()> {
        let json = to_json(&member)?;
        self.auth_write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO auth_members (username, json) VALUES (?1, ?2)",
                params![member.username, json],
            )
            .map(drop)
            .map_err(sql_error)
        })
        .await
    }

    async fn member(&self, username: &str) -> Result<Option<MemberRecord>> {
        let username = username.to_owned();
        self.with_reader(move |c| {
            one(
                c,
                "SELECT json FROM auth_members WHERE username = ?1",
                &username,
            )
        })
        .await
    }

    async fn swap_member_security(
        &self,
        username: &str,
        expected: &MemberSecurity,
        new: MemberSecurity,
    ) -> Result<bool> {
        let (username, expected) = (username.to_owned(), expected.clone());
        self.auth_write(move |c| {
            let Some(mut member) = one::<MemberRecord>(
                c,
                "SELECT json FROM auth_members WHERE username = ?1",
                &username,
            )?
            else {
                return Ok(false);
            };
            if member.security != expected {
                return Ok(false);
            }
            member.security = new;
            c.execute(
                "UPDATE auth_members SET json = ?2 WHERE username = ?1",
                params![username, to_json(&member)?],
            )
            .map_err(sql_error)?;
            Ok(true)
        })
        .await
    }

    async fn record_sign_in(&self, event: SignInEvent) -> Result<()> {
        let json = to_json(&event)?;
        self.auth_write(move |c| {
            c.execute(
                "INSERT INTO auth_sign_ins (at_ms, subject, json) VALUES (?1, ?2, ?3)",
                params![event.at_ms, event.subject, json],
            )
            .map(drop)
            .map_err(sql_error)
        })
        .await
    }

    async fn sign_ins(&self, subject: Option<&str>, limit: usize) -> Result<Vec<SignInEvent>> {
        let subject = subject.map(str::to_owned);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_reader(move |c| {
            all(
                c,
                "SELECT json FROM auth_sign_ins WHERE ?1 IS NULL OR subject = ?1 \
                 ORDER BY seq DESC LIMIT ?2",
                params![subject, limit],
            )
        })
        .await
    }

    async fn put_session(&self, key: &str, session: Session) -> Result<()> {
        let (key, json) = (key.to_owned(), to_json(&session)?);
        self.auth_write(move |c| {
            // Sessions that ended go when a new one starts, so the table stays small.
            c.execute(
                "DELETE FROM auth_sessions WHERE expires_ms < ?1",
                [session.expires_ms - super::SESSION_LIFETIME_MS],
            )
            .map_err(sql_error)?;
            c.execute(
                "INSERT OR REPLACE INTO auth_sessions (key, expires_ms, json) VALUES (?1, ?2, ?3)",
                params![key, session.expires_ms, json],
            )
            .map(drop)
            .map_err(sql_error)
        })
        .await
    }

    async fn session(&self, key: &str, now_ms: i64) -> Result<Option<Session>> {
        let key = key.to_owned();
        self.with_connection(move |c| {
            let session: Option<Session> =
                one(c, "SELECT json FROM auth_sessions WHERE key = ?1", &key)?;
            Ok(session.filter(|s| s.expires_ms > now_ms))
        })
        .await
    }

    async fn end_session(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.auth_write(move |c| {
            c.execute("DELETE FROM auth_sessions WHERE key = ?1", [key])
                .map(drop)
                .map_err(sql_error)
        })
        .await
    }

    async fn put_code(&self, key: &str, code: CodeRecord) -> Result<()> {
        let (key, json) = (key.to_owned(), to_json(&code)?);
        self.auth_write(move |c| {
            c.execute(
                "INSERT INTO auth_codes (key, expires_ms, used, json) VALUES (?1, ?2, 0, ?3)",
                params![key, code.expires_ms, json],
            )
            .map(drop)
            .map_err(sql_error)
        })
        .await
    }

    async fn redeem_code(&self, key: &str, now_ms: i64) -> Result<Redemption> {
        let key = key.to_owned();
        self.auth_write(move |c| {
            let Some((json, used)) = c
                .query_row(
                    "SELECT json, used FROM auth_codes WHERE key = ?1",
                    [&key],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)),
                )
                .optional()
                .map_err(sql_error)?
            else {
                return Ok(Redemption::Unknown);
            };
            let code: CodeRecord = from_json(&json)?;
            if used {
                revoke(c, &code.grant.id)?;
                return Ok(Redemption::Reused);
            }
            c.execute("UPDATE auth_codes SET used = 1 WHERE key = ?1", [&key])
                .map_err(sql_error)?;
            if code.expires_ms <= now_ms {
                return Ok(Redemption::Unknown);
            }
            Ok(Redemption::Fresh(code))
        })
        .await
    }

    async fn issue(
        &self,
        grant: GrantRecord,
        access: (String, AccessTokenRecord),
        refresh: Option<(String, RefreshTokenRecord)>,
    ) -> Result<()> {
        let json = to_json(&grant)?;
        self.auth_write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO auth_grants (id, subject, revoked, json) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![grant.id, grant.subject, grant.revoked, json],
            )
            .map_err(sql_error)?;
            insert_access(c, &access.0, &access.1)?;
            if let Some((key, token)) = &refresh {
                insert_refresh(c, key, token)?;
            }
            Ok(())
        })
        .await
    }

    async fn access_token(&self, key: &str) -> Result<Option<(AccessTokenRecord, GrantRecord)>> {
        let key = key.to_owned();
        // Every FHIR request asks this: one indexed join.
        self.with_reader(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT t.json, g.json, g.revoked FROM auth_access_tokens t \
                     JOIN auth_grants g ON g.id = t.grant_id WHERE t.key = ?1",
                )
                .map_err(sql_error)?
                .query_row([&key], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, bool>(2)?,
                    ))
                })
                .optional()
                .map_err(sql_error)?;
            let Some((token, grant, revoked)) = row else {
                return Ok(None);
            };
            let mut grant: GrantRecord = from_json(&grant)?;
            grant.revoked = revoked;
            Ok(Some((from_json(&token)?, grant)))
        })
        .await
    }

    async fn refresh_token(&self, key: &str) -> Result<Option<(RefreshTokenRecord, GrantRecord)>> {
        let key = key.to_owned();
        self.with_connection(move |c| {
            let Some((json, used)) = c
                .query_row(
                    "SELECT json, used FROM auth_refresh_tokens WHERE key = ?1",
                    [&key],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)),
                )
                .optional()
                .map_err(sql_error)?
            else {
                return Ok(None);
            };
            let mut token: RefreshTokenRecord = from_json(&json)?;
            token.used = used;
            Ok(grant(c, &token.grant_id)?.map(|g| (token, g)))
        })
        .await
    }

    async fn rotate_refresh(
        &self,
        old_key: &str,
        access: (String, AccessTokenRecord),
        refresh: (String, RefreshTokenRecord),
    ) -> Result<bool> {
        let old_key = old_key.to_owned();
        self.auth_write(move |c| {
            let claimed = c
                .execute(
                    "UPDATE auth_refresh_tokens SET used = 1 WHERE key = ?1 AND used = 0",
                    [&old_key],
                )
                .map_err(sql_error)?;
            if claimed == 0 {
                let grant_id: Option<String> = c
                    .query_row(
                        "SELECT grant_id FROM auth_refresh_tokens WHERE key = ?1",
                        [&old_key],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(sql_error)?;
                if let Some(grant_id) = grant_id {
                    revoke(c, &grant_id)?;
                }
                return Ok(false);
            }
            insert_access(c, &access.0, &access.1)?;
            insert_refresh(c, &refresh.0, &refresh.1)?;
            Ok(true)
        })
        .await
    }

    async fn revoke_grant(&self, grant_id: &str) -> Result<()> {
        let grant_id = grant_id.to_owned();
        self.auth_write(move |c| revoke(c, &grant_id)).await
    }

    async fn revoke_access_token(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.auth_write(move |c| {
            c.execute("DELETE FROM auth_access_tokens WHERE key = ?1", [key])
                .map(drop)
                .map_err(sql_error)
        })
        .await
    }

    async fn grants_of(&self, subject: &str, now_ms: i64) -> Result<Vec<GrantRecord>> {
        let subject = subject.to_owned();
        self.with_connection(move |c| {
            let mut statement = c
                .prepare("SELECT json FROM auth_grants WHERE subject = ?1 AND revoked = 0")
                .map_err(sql_error)?;
            let rows = statement
                .query_map([subject], |row| row.get::<_, String>(0))
                .map_err(sql_error)?;
            let mut grants = Vec::new();
            for json in rows {
                let grant: GrantRecord = from_json(&json.map_err(sql_error)?)?;
                if grant.expires_ms > now_ms {
                    grants.push(grant);
                }
            }
            grants.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
            Ok(grants)
        })
        .await
    }

    async fn remember_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool> {
        let (client_id, jti) = (client_id.to_owned(), jti.to_owned());
        self.auth_write(move |c| {
            c.execute("DELETE FROM auth_jtis WHERE expires_ms <= ?1", [now_ms])
                .map_err(sql_error)?;
            let inserted = c
                .execute(
                    "INSERT OR IGNORE INTO auth_jtis (client_id, jti, expires_ms) \
                     VALUES (?1, ?2, ?3)",
                    params![client_id, jti, expires_ms],
                )
                .map_err(sql_error)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        self.auth_write(move |c| {
            let mut deleted = 0;
            for (sql, at) in super::store::purge_statements(now_ms) {
                deleted += c.execute(sql, [at]).map_err(sql_error)? as u64;
            }
            Ok(deleted)
        })
        .await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        self.with_connection(|c| all(c, "SELECT json FROM auth_signing_keys ORDER BY seq", []))
            .await
    }

    async fn put_signing_key(&self, key: SigningKey) -> Result<()> {
        let json = to_json(&key)?;
        self.auth_write(move |c| {
            c.execute("INSERT INTO auth_signing_keys (json) VALUES (?1)", [json])
                .map(drop)
                .map_err(sql_error)
        })
        .await
    }
}
