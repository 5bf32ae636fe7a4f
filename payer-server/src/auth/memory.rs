//! [`AuthStore`] for [`MemoryStore`]: maps behind one mutex, so each method is atomic.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::store::{
    AccessTokenRecord, AuthStore, Client, CodeRecord, GrantRecord, MemberRecord, MemberSecurity,
    Redemption, RefreshTokenRecord, Session, SignInEvent, SigningKey,
};
use crate::error::{Error, Result};
use crate::store::MemoryStore;

/// The authorization server's tables in memory.
#[derive(Debug, Default)]
pub(crate) struct AuthTables {
    clients: HashMap<String, Client>,
    members: HashMap<String, MemberRecord>,
    sessions: HashMap<String, Session>,
    /// Each code, and whether it was used.
    codes: HashMap<String, (CodeRecord, bool)>,
    grants: HashMap<String, GrantRecord>,
    access: HashMap<String, AccessTokenRecord>,
    refresh: HashMap<String, RefreshTokenRecord>,
    /// `(client_id, jti)` → expiry.
    jtis: HashMap<(String, String), i64>,
    keys: Vec<SigningKey>,
    sign_ins: Vec<SignInEvent>,
}

impl AuthTables {
    fn revoke(&mut self, grant_id: &str) {
        if let Some(grant) = self.grants.get_mut(grant_id) {
            grant.revoked = true;
        }
    }
}

pub(crate) type SharedAuthTables = Mutex<AuthTables>;

impl MemoryStore {
    fn tables(&self) -> Result<MutexGuard<'_, AuthTables>> {
        self.auth
            .lock()
            .map_err(|_| Error::Store("the auth tables' lock is poisoned".to_owned()))
    }
}

impl AuthStore for MemoryStore {
    async fn put_client(&self, client: Client) -> Result<()> {
        self.tables()?
            .clients
            .insert(client.client_id.clone(), client);
        Ok(())
    }

    async fn client(&self, client_id: &str) -> Result<Option<Client>> {
        Ok(self.tables()?.clients.get(client_id).cloned())
    }

    async fn clients(&self) -> Result<Vec<Client>> {
        let mut clients: Vec<Client> = self.tables()?.clients.values().cloned().collect();
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }

    async fn put_member(&self, member: MemberRecord) -> Result<()> {
        self.tables()?
            .members
            .insert(member.username.clone(), member);
        Ok(())
    }

    async fn member(&self, username: &str) -> Result<Option<MemberRecord>> {
        Ok(self.tables()?.members.get(username).cloned())
    }

    async fn swap_member_security(
        &self,
        username: &str,
        expected: &MemberSecurity,
        new: MemberSecurity,
    ) -> Result<bool> {
        let mut tables = self.tables()?;
        match tables.members.get_mut(username) {
            Some(member) if member.security == *expected => {
                member.security = new;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn record_sign_in(&self, event: SignInEvent) -> Result<()> {
        self.tables()?.sign_ins.push(event);
        Ok(())
    }

    async fn sign_ins(&self, subject: Option<&str>, limit: usize) -> Result<Vec<SignInEvent>> {
        Ok(self
            .tables()?
            .sign_ins
            .iter()
            .rev()
            .filter(|e| subject.is_none_or(|s| e.subject.as_deref() == Some(s)))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn put_session(&self, key: &str, session: Session) -> Result<()> {
        self.tables()?.sessions.insert(key.to_owned(), session);
        Ok(())
    }

    async fn session(&self, key: &str, now_ms: i64) -> Result<Option<Session>> {
        Ok(self
            .tables()?
            .sessions
            .get(key)
            .filter(|s| s.expires_ms > now_ms)
            .cloned())
    }

    async fn end_session(&self, key: &str) -> Result<()> {
        self.tables()?.sessions.remove(key);
        Ok(())
    }

    async fn put_code(&self, key: &str, code: CodeRecord) -> Result<()> {
        self.tables()?.codes.insert(key.to_owned(), (code, false));
        Ok(())
    }

    async fn redeem_code(&self, key: &str, now_ms: i64) -> Result<Redemption> {
        let mut tables = self.tables()?;
        let Some((code, used)) = tables.codes.get_mut(key) else {
            return Ok(Redemption::Unknown);
        };
        if *used {
            let grant_id = code.grant.id.clone();
            tables.revoke(&grant_id);
            return Ok(Redemption::Reused);
        }
        *used = true;
        if code.expires_ms <= now_ms {
            return Ok(Redemption::Unknown);
        }
        Ok(Redemption::Fresh(code.clone()))
    }

    async fn issue(
        &self,
        grant: GrantRecord,
        access: (String, AccessTokenRecord),
        refresh: Option<(String, RefreshTokenRecord)>,
    ) -> Result<()> {
        let mut tables = self.tables()?;
        tables.grants.entry(grant.id.clone()).or_insert(grant);
        tables.access.insert(access.0, access.1);
        if let Some((key, record)) = refresh {
            tables.refresh.insert(key, record);
        }
        Ok(())
    }

    async fn access_token(&self, key: &str) -> Result<Option<(AccessTokenRecord, GrantRecord)>> {
        let tables = self.tables()?;
        Ok(tables.access.get(key).and_then(|token| {
            let grant = tables.grants.get(&token.grant_id)?;
            Some((token.clone(), grant.clone()))
        }))
    }

    async fn refresh_token(&self, key: &str) -> Result<Option<(RefreshTokenRecord, GrantRecord)>> {
        let tables = self.tables()?;
        Ok(tables.refresh.get(key).and_then(|token| {
            let grant = tables.grants.get(&token.grant_id)?;
            Some((token.clone(), grant.clone()))
        }))
    }

    async fn rotate_refresh(
        &self,
        old_key: &str,
        access: (String, AccessTokenRecord),
        refresh: (String, RefreshTokenRecord),
    ) -> Result<bool> {
        let mut tables = self.tables()?;
        let Some(old) = tables.refresh.get_mut(old_key) else {
            return Ok(false);
        };
        if old.used {
            let grant_id = old.grant_id.clone();
            tables.revoke(&grant_id);
            return Ok(false);
        }
        old.used = true;
        tables.access.insert(access.0, access.1);
        tables.refresh.insert(refresh.0, refresh.1);
        Ok(true)
    }

    async fn revoke_grant(&self, grant_id: &str) -> Result<()> {
        self.tables()?.revoke(grant_id);
        Ok(())
    }

    async fn revoke_access_token(&self, key: &str) -> Result<()> {
        self.tables()?.access.remove(key);
        Ok(())
    }

    async fn grants_of(&self, subject: &str, now_ms: i64) -> Result<Vec<GrantRecord>> {
        let mut grants: Vec<GrantRecord> = self
            .tables()?
            .grants
            .values()
            .filter(|g| g.subject == subject && !g.revoked && g.expires_ms > now_ms)
            .cloned()
            .collect();
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
        let mut tables = self.tables()?;
        tables.jtis.retain(|_, expiry| *expiry > now_ms);
        let key = (client_id.to_owned(), jti.to_owned());
        if tables.jtis.contains_key(&key) {
            return Ok(false);
        }
        tables.jtis.insert(key, expires_ms);
        Ok(true)
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        let mut tables = self.tables()?;
        let before = tables.sessions.len()
            + tables.codes.len()
            + tables.access.len()
            + tables.refresh.len()
            + tables.jtis.len()
            + tables.sign_ins.len();
        let AuthTables {
            sessions,
            codes,
            grants,
            access,
            refresh,
            jtis,
            sign_ins,
            ..
        } = &mut *tables;
        sessions.retain(|_, s| s.expires_ms > now_ms);
        codes.retain(|_, (c, _)| c.expires_ms + super::store::CODE_RETENTION_MS > now_ms);
        access.retain(|_, t| t.expires_ms > now_ms);
        refresh.retain(|_, t| {
            t.expires_ms > now_ms && grants.get(&t.grant_id).is_some_and(|g| !g.revoked)
        });
        jtis.retain(|_, expiry| *expiry > now_ms);
        sign_ins.retain(|e| e.at_ms > now_ms - super::store::SIGN_IN_RETENTION_MS);
        let after = sessions.len()
            + codes.len()
            + access.len()
            + refresh.len()
            + jtis.len()
            + sign_ins.len();
        Ok((before - after) as u64)
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        Ok(self.tables()?.keys.clone())
    }

    async fn put_signing_key(&self, key: SigningKey) -> Result<()> {
        self.tables()?.keys.push(key);
        Ok(())
    }
}
