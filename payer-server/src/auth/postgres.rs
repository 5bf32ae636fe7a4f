//! [`AuthStore`] for [`PostgresStore`]: the authorization server's tables in the same
//! database as the resources, shared by every replica. Records are JSON text keyed by
//! what they are looked up by, as in SQLite; what changes under concurrency (a code or
//! refresh token used, a grant revoked) is a column of its own, changed by one
//! conditional `UPDATE`, so two replicas racing to use the same token cannot both win.

use tokio_postgres::types::ToSql;

use super::store::{
    AccessTokenRecord, AuthStore, Client, CodeRecord, GrantRecord, MemberRecord, MemberSecurity,
    Redemption, RefreshTokenRecord, Session, SignInEvent, SigningKey,
};
use crate::error::{Error, Result};
use crate::store::PostgresStore;
use crate::store::postgres::pg_error;

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Store(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|e| Error::Store(format!("an auth record does not parse: {e}")))
}

impl PostgresStore {
    /// Runs `statements` in one transaction.
    async fn auth_write<T>(
        &self,
        statements: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let out = statements(&tx).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(out)
    }

    /// Runs `sql` and returns how many rows it changed.
    async fn auth_execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(pg_error)?;
        client.execute(&statement, params).await.map_err(pg_error)
    }

    /// The JSON column of every row `sql` selects with `params`, parsed, in order.
    async fn auth_all<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<T>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(pg_error)?;
        let rows = client.query(&statement, params).await.map_err(pg_error)?;
        rows.iter().map(|row| from_json(row.get(0))).collect()
    }

    /// The JSON column of the row `sql` selects with `key`, parsed.
    async fn auth_one<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        key: &str,
    ) -> Result<Option<T>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(pg_error)?;
        client
            .query_opt(&statement, &[&key])
            .await
            .map_err(pg_error)?
            .map(|row| from_json(row.get(0)))
            .transpose()
    }
}

/// The grant `id`, with its revocation.
async fn grant(
    db: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Option<GrantRecord>> {
    db.query_opt(
        "SELECT json, revoked FROM auth_grants WHERE id = $1",
        &[&id],
    )
    .await
    .map_err(pg_error)?
    .map(|row| {
        let mut grant: GrantRecord = from_json(row.get(0))?;
        grant.revoked = row.get(1);
        Ok(grant)
    })
    .transpose()
}

async fn revoke(db: &impl deadpool_postgres::GenericClient, grant_id: &str) -> Result<()> {
    db.execute(
        "UPDATE auth_grants SET revoked = TRUE WHERE id = $1",
        &[&grant_id],
    )
    .await
    .map(drop)
    .map_err(pg_error)
}

async fn insert_access(
    db: &impl deadpool_postgres::GenericClient,
    key: &str,
    token: &AccessTokenRecord,
) -> Result<()> {
    db.execute(
        "INSERT INTO auth_access_tokens (key, grant_id, expires_ms, json) VALUES ($1, $2, $3, $4)",
        &[&key, &token.grant_id, &token.expires_ms, &to_json(token)?],
    )
    .await
    .map(drop)
    .map_err(pg_error)
}

async fn insert_refresh(
    db: &impl deadpool_postgres::GenericClient,
    key: &str,
    token: &RefreshTokenRecord,
) -> Result<()> {
    db.execute(
        "INSERT INTO auth_refresh_tokens (key, grant_id, expires_ms, used, json) \
         VALUES ($1, $2, $3, FALSE, $4)",
        &[&key, &token.grant_id, &token.expires_ms, &to_json(token)?],
    )
    .await
    .map(drop)
    .map_err(pg_error)
}

impl AuthStore for PostgresStore {
    async fn put_client(&self, client: Client) -> Result<()> {
        self.auth_execute(
            "INSERT INTO auth_clients (client_id, json) VALUES ($1, $2) \
             ON CONFLICT (client_id) DO UPDATE SET json = excluded.json",
            &[&client.client_id, &to_json(&client)?],
        )
        .await
        .map(drop)
    }

    async fn client(&self, client_id: &str) -> Result<Option<Client>> {
        self.auth_one(
            "SELECT json FROM auth_clients WHERE client_id = $1",
            client_id,
        )
        .await
    }

    async fn clients(&self) -> Result<Vec<Client>> {
        self.auth_all("SELECT json FROM auth_clients ORDER BY client_id", &[])
            .await
    }

    async fn put_member(&self, member: MemberRecord) -> Result<()> {
        self.auth_execute(
            "INSERT INTO auth_members (username, json) VALUES ($1, $2) \
             ON CONFLICT (username) DO UPDATE SET json = excluded.json",
            &[&member.username, &to_json(&member)?],
        )
        .await
        .map(drop)
    }

    async fn member(&self, username: &str) -> Result<Option<MemberRecord>> {
        self.auth_one(
            "SELECT json FROM auth_members WHERE username = $1",
            username,
        )
        .await
    }

    async fn swap_member_security(
        &self,
        username: &str,
        expected: &MemberSecurity,
        new: MemberSecurity,
    ) -> Result<bool> {
        self.auth_write(async |tx| {
            let Some(row) = tx
                .query_opt(
                    "SELECT json FROM auth_members WHERE username = $1 FOR UPDATE",
                    &[&username],
                )
                .await
                .map_err(pg_error)?
            else {
                return Ok(false);
            };
            let mut member: MemberRecord = from_json(row.get(0))?;
            if member.security != *expected {
                return Ok(false);
            }
            member.security = new;
            tx.execute(
                "UPDATE auth_members SET json = $2 WHERE username = $1",
                &[&username, &to_json(&member)?],
            )
            .await
            .map_err(pg_error)?;
            Ok(true)
        })
        .await
    }

    async fn record_sign_in(&self, event: SignInEvent) -> Result<()> {
        self.auth_execute(
            "INSERT INTO auth_sign_ins (at_ms, subject, json) VALUES ($1, $2, $3)",
            &[&event.at_ms, &event.subject, &to_json(&event)?],
        )
        .await
        .map(drop)
    }

    async fn sign_ins(&self, subject: Option<&str>, limit: usize) -> Result<Vec<SignInEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.auth_all(
            "SELECT json FROM auth_sign_ins WHERE $1::text IS NULL OR subject = $1 \
             ORDER BY seq DESC LIMIT $2",
            &[&subject, &limit],
        )
        .await
    }

    async fn put_session(&self, key: &str, session: Session) -> Result<()> {
        let json = to_json(&session)?;
        self.auth_write(async |tx| {
            // Sessions that ended go when a new one starts, so the table stays small.
            tx.execute(
                "DELETE FROM auth_sessions WHERE expires_ms < $1",
                &[&(session.expires_ms - super::SESSION_LIFETIME_MS)],
            )
            .await
            .map_err(pg_error)?;
            tx.execute(
                "INSERT INTO auth_sessions (key, expires_ms, json) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET expires_ms = excluded.expires_ms, \
                 json = excluded.json",
                &[&key, &session.expires_ms, &json],
            )
            .await
            .map(drop)
            .map_err(pg_error)
        })
        .await
    }

    async fn session(&self, key: &str, now_ms: i64) -> Result<Option<Session>> {
        let session: Option<Session> = self
            .auth_one("SELECT json FROM auth_sessions WHERE key = $1", key)
            .await?;
        Ok(session.filter(|s| s.expires_ms > now_ms))
    }

    async fn end_session(&self, key: &str) -> Result<()> {
        self.auth_execute("DELETE FROM auth_sessions WHERE key = $1", &[&key])
            .await
            .map(drop)
    }

    async fn put_code(&self, key: &str, code: CodeRecord) -> Result<()> {
        self.auth_execute(
            "INSERT INTO auth_codes (key, expires_ms, used, json) VALUES ($1, $2, FALSE, $3)",
            &[&key, &code.expires_ms, &to_json(&code)?],
        )
        .await
        .map(drop)
    }

    async fn redeem_code(&self, key: &str, now_ms: i64) -> Result<Redemption> {
        self.auth_write(async |tx| {
            // Claimed by one conditional update: of two replicas redeeming it at once,
            // the second waits for the first and then finds it used.
            if let Some(row) = tx
                .query_opt(
                    "UPDATE auth_codes SET used = TRUE WHERE key = $1 AND NOT used RETURNING json",
                    &[&key],
                )
                .await
                .map_err(pg_error)?
            {
                let code: CodeRecord = from_json(row.get(0))?;
                if code.expires_ms <= now_ms {
                    return Ok(Redemption::Unknown);
                }
                return Ok(Redemption::Fresh(code));
            }
            let Some(row) = tx
                .query_opt("SELECT json FROM auth_codes WHERE key = $1", &[&key])
                .await
                .map_err(pg_error)?
            else {
                return Ok(Redemption::Unknown);
            };
            let code: CodeRecord = from_json(row.get(0))?;
            revoke(tx, &code.grant.id).await?;
            Ok(Redemption::Reused)
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
        self.auth_write(async |tx| {
            tx.execute(
                "INSERT INTO auth_grants (id, subject, revoked, json) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
                &[&grant.id, &grant.subject, &grant.revoked, &json],
            )
            .await
            .map_err(pg_error)?;
            insert_access(tx, &access.0, &access.1).await?;
            if let Some((key, token)) = &refresh {
                insert_refresh(tx, key, token).await?;
            }
            Ok(())
        })
        .await
    }

    async fn access_token(&self, key: &str) -> Result<Option<(AccessTokenRecord, GrantRecord)>> {
        // Every FHIR request asks this: one indexed join.
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT t.json, g.json, g.revoked FROM auth_access_tokens t \
                 JOIN auth_grants g ON g.id = t.grant_id WHERE t.key = $1",
            )
            .await
            .map_err(pg_error)?;
        let Some(row) = client
            .query_opt(&statement, &[&key])
            .await
            .map_err(pg_error)?
        else {
            return Ok(None);
        };
        let mut grant: GrantRecord = from_json(row.get(1))?;
        grant.revoked = row.get(2);
        Ok(Some((from_json(row.get(0))?, grant)))
    }

    async fn refresh_token(&self, key: &str) -> Result<Option<(RefreshTokenRecord, GrantRecord)>> {
        let client = self.client().await?;
        let Some(row) = client
            .query_opt(
                "SELECT json, used FROM auth_refresh_tokens WHERE key = $1",
                &[&key],
            )
            .await
            .map_err(pg_error)?
        else {
            return Ok(None);
        };
        let mut token: RefreshTokenRecord = from_json(row.get(0))?;
        token.used = row.get(1);
        Ok(grant(&client, &token.grant_id).await?.map(|g| (token, g)))
    }

    async fn rotate_refresh(
        &self,
        old_key: &str,
        access: (String, AccessTokenRecord),
        refresh: (String, RefreshTokenRecord),
    ) -> Result<bool> {
        self.auth_write(async |tx| {
            // One conditional update claims it: a concurrent exchange on another replica
            // waits for this one's commit and then finds it used.
            let claimed = tx
                .execute(
                    "UPDATE auth_refresh_tokens SET used = TRUE WHERE key = $1 AND NOT used",
                    &[&old_key],
                )
                .await
                .map_err(pg_error)?;
            if claimed == 0 {
                if let Some(row) = tx
                    .query_opt(
                        "SELECT grant_id FROM auth_refresh_tokens WHERE key = $1",
                        &[&old_key],
                    )
                    .await
                    .map_err(pg_error)?
                {
                    revoke(tx, row.get(0)).await?;
                }
                return Ok(false);
            }
            insert_access(tx, &access.0, &access.1).await?;
            insert_refresh(tx, &refresh.0, &refresh.1).await?;
            Ok(true)
        })
        .await
    }

    async fn revoke_grant(&self, grant_id: &str) -> Result<()> {
        let client = self.client().await?;
        revoke(&client, grant_id).await
    }

    async fn revoke_access_token(&self, key: &str) -> Result<()> {
        self.auth_execute("DELETE FROM auth_access_tokens WHERE key = $1", &[&key])
            .await
            .map(drop)
    }

    async fn grants_of(&self, subject: &str, now_ms: i64) -> Result<Vec<GrantRecord>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT json FROM auth_grants WHERE subject = $1 AND NOT revoked",
                &[&subject],
            )
            .await
            .map_err(pg_error)?;
        let mut grants = Vec::new();
        for row in &rows {
            let grant: GrantRecord = from_json(row.get(0))?;
            if grant.expires_ms > now_ms {
                grants.push(grant);
            }
        }
        grants.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        Ok(grants)
    }

    async fn remember_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool> {
        self.auth_write(async |tx| {
            tx.execute("DELETE FROM auth_jtis WHERE expires_ms <= $1", &[&now_ms])
                .await
                .map_err(pg_error)?;
            let inserted = tx
                .execute(
                    "INSERT INTO auth_jtis (client_id, jti, expires_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                    &[&client_id, &jti, &expires_ms],
                )
                .await
                .map_err(pg_error)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        self.auth_write(async |tx| {
            let mut deleted = 0;
            for (sql, at) in super::store::purge_statements(now_ms) {
                deleted += tx.execute(sql, &[&at]).await.map_err(pg_error)?;
            }
            Ok(deleted)
        })
        .await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        self.auth_all("SELECT json FROM auth_signing_keys ORDER BY seq", &[])
            .await
    }

    async fn put_signing_key(&self, key: SigningKey) -> Result<()> {
        self.auth_execute(
            "INSERT INTO auth_signing_keys (json) VALUES ($1)",
            &[&to_json(&key)?],
        )
        .await
        .map(drop)
    }
}
