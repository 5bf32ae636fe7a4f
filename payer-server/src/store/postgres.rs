//! [`PostgresStore`] (feature `postgres`): the resources and the authorization server's
//! state in one PostgreSQL database, so that any number of stateless server replicas
//! serve as one.
//!
//! The tables are [`super::SqliteStore`]'s (`resources`, `history`, one index table per
//! search parameter type, the `auth_*` tables), and searches are the same SQL
//! ([`super::sql`]); PostgreSQL plans them from its statistics. Writes are set-based: a
//! batch is about ten statements whatever its size (`unnest` of arrays), so a load is not
//! one round trip per index row. The schema is versioned in `payer_schema` and migrated
//! on connect, under an advisory lock so that replicas starting together migrate once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{NoTls, Row};

use super::sql::{
    Dialect, SearchPlan, Sql, SqlValue, capped_count_sql, check_whole, clause_sql, compartment_sql,
    driving_clause, page_sql, param_id,
};
use super::{
    Clock, Prepared, ResourceStore, SearchPage, StoredResource, SystemClock, WriteOutcome,
};
use crate::access::AuditEvent;
use crate::audit::{self, AuditStore};
use crate::error::{Error, Result};
use crate::search::extract::IndexValue;
use crate::search::{Cursor, SearchQuery};

/// The migrations, in order: `(version, SQL)`. A database records the last one applied
/// in `payer_schema`; connecting applies the ones after it, each in one transaction.
/// Append, never edit: a replica of an older version refuses a newer database.
const MIGRATIONS: &[(i32, &str)] = &[(1, SCHEMA_1), (2, AUDIT_2), (3, SIGN_INS_3)];

/// Version 1: the resources, their history and index rows, and the authorization
/// server's tables. `param` in the index tables is [`param_id`] of the parameter.
/// `idx_string.value` compares in code point order (`COLLATE "C"`), so a string prefix
/// is an index range, as in SQLite.
const SCHEMA_1: &str = r#"
CREATE TABLE resources (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    json TEXT NOT NULL,
    UNIQUE (type, id)
);
CREATE INDEX resources_type ON resources (type, seq);
CREATE TABLE history (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (type, id, version)
);
CREATE TABLE idx_token (seq BIGINT NOT NULL, param INTEGER NOT NULL, system TEXT, code TEXT NOT NULL);
CREATE INDEX idx_token_seq ON idx_token (seq);
CREATE INDEX idx_token_lookup ON idx_token (param, code, seq);
CREATE TABLE idx_string (seq BIGINT NOT NULL, param INTEGER NOT NULL, value TEXT COLLATE "C" NOT NULL);
CREATE INDEX idx_string_seq ON idx_string (seq);
CREATE INDEX idx_string_lookup ON idx_string (param, value, seq);
CREATE TABLE idx_date (seq BIGINT NOT NULL, param INTEGER NOT NULL, start BIGINT NOT NULL, "end" BIGINT NOT NULL);
CREATE INDEX idx_date_seq ON idx_date (seq);
CREATE INDEX idx_date_lookup ON idx_date (param, start, seq);
CREATE TABLE idx_ref (seq BIGINT NOT NULL, param INTEGER NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX idx_ref_seq ON idx_ref (seq);
CREATE INDEX idx_ref_lookup ON idx_ref (param, id, seq);

CREATE TABLE auth_clients (client_id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE auth_members (username TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE auth_sessions (key TEXT PRIMARY KEY, expires_ms BIGINT NOT NULL, json TEXT NOT NULL);
CREATE INDEX auth_sessions_by_expiry ON auth_sessions (expires_ms);
CREATE TABLE auth_codes (
    key TEXT PRIMARY KEY, expires_ms BIGINT NOT NULL, used BOOLEAN NOT NULL, json TEXT NOT NULL);
CREATE TABLE auth_grants (
    id TEXT PRIMARY KEY, subject TEXT NOT NULL, revoked BOOLEAN NOT NULL, json TEXT NOT NULL);
CREATE INDEX auth_grants_by_subject ON auth_grants (subject);
CREATE TABLE auth_access_tokens (
    key TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_ms BIGINT NOT NULL, json TEXT NOT NULL);
CREATE INDEX auth_access_tokens_by_expiry ON auth_access_tokens (expires_ms);
CREATE TABLE auth_refresh_tokens (
    key TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_ms BIGINT NOT NULL,
    used BOOLEAN NOT NULL, json TEXT NOT NULL);
CREATE TABLE auth_jtis (
    client_id TEXT NOT NULL, jti TEXT NOT NULL, expires_ms BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti));
CREATE TABLE auth_signing_keys (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, json TEXT NOT NULL);
"#;

/// Version 2: the audit trail ([`crate::audit::AuditStore`]).
const AUDIT_2: &str = "
CREATE TABLE audit_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    subject TEXT,
    client_id TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    status INTEGER NOT NULL,
    resources TEXT NOT NULL
);
CREATE INDEX audit_events_by_subject ON audit_events (subject, seq);
";

/// Version 3: the trail of members' sign-ins for the support console
/// ([`crate::auth::AuthStore::record_sign_in`]).
const SIGN_INS_3: &str = "
CREATE TABLE auth_sign_ins (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    subject TEXT,
    json TEXT NOT NULL
);
CREATE INDEX auth_sign_ins_by_subject ON auth_sign_ins (subject, seq);
";

/// The advisory lock connecting replicas take while they migrate (an arbitrary number:
/// "payer-server schema").
const MIGRATION_LOCK: i64 = 0x7061_7965_725f_7363;

/// Connections a store opens at most, by default.
const DEFAULT_POOL_SIZE: usize = 16;

/// How long a request waits for a connection, or for a new one to open, before it fails
/// with [`Error::Unavailable`] (503): a database that is down fails requests quickly
/// rather than holding them.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`ResourceStore`] and [`crate::auth::AuthStore`] in PostgreSQL (11 or later).
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    clock: Arc<dyn Clock>,
    plan: SearchPlan,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

/// A PostgreSQL error as this crate's: the connection lost or refused, or the server
/// shutting down, is [`Error::Unavailable`]; anything else [`Error::Store`].
pub(crate) fn pg_error(e: tokio_postgres::Error) -> Error {
    let unavailable = e.is_closed()
        || match e.code() {
            // Class 08 (connection exception), 57P (operator intervention: shutdown,
            // crash, cannot connect now).
            Some(code) => code.code().starts_with("08") || code.code().starts_with("57P"),
            // No SQLSTATE: the socket failed.
            None => std::error::Error::source(&e)
                .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some()),
        };
    // The server's message and position, for the logs (`db error` alone says nothing).
    let message = match e.as_db_error() {
        Some(db) => format!(
            "{} ({}){}",
            db.message(),
            db.code().code(),
            db.position()
                .map(|p| format!(" at {p:?}"))
                .unwrap_or_default()
        ),
        None => e.to_string(),
    };
    if unavailable {
        Error::Unavailable(message)
    } else if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        // Another transaction committed the same key first: a race, not a fault.
        Error::Conflict(message)
    } else {
        Error::Store(message)
    }
}

fn pool_error(e: PoolError) -> Error {
    match e {
        PoolError::Backend(e) => pg_error(e),
        PoolError::Timeout(_) => Error::Unavailable(format!("no database connection: {e}")),
        other => Error::Store(other.to_string()),
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`;
    /// `?options=-c search_path=payer` keeps the tables in a schema of their own) and
    /// migrates its schema to this version. Fails when the database is of a newer schema
    /// than this payer-server knows.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        PostgresStore::connect_with_pool_size(url, DEFAULT_POOL_SIZE).await
    }

    /// [`PostgresStore::connect`] with at most `size` connections.
    pub async fn connect_with_pool_size(url: &str, size: usize) -> Result<PostgresStore> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| Error::Store(format!("the database URL does not parse: {e}")))?;
        // Every search is planned for its values: a generic plan, chosen once for a
        // statement, would treat a code held by millions of rows as one held by few.
        let options = match config.get_options() {
            Some(given) => format!("{given} -c plan_cache_mode=force_custom_plan"),
            None => "-c plan_cache_mode=force_custom_plan".to_owned(),
        };
        config.options(&options);
        config.connect_timeout(CONNECT_TIMEOUT);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection the server closed (a restart) is seen as closed and
                // replaced; no round trip per checkout.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| Error::Store(e.to_string()))?;
        let store = PostgresStore {
            pool,
            clock: Arc::new(SystemClock),
            plan: SearchPlan::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Checks that every stored resource is whole, as
    /// [`super::SqliteStore::check_integrity`] does. Returns the number of resources
    /// checked; the error names the first broken one.
    pub async fn check_integrity(&self) -> Result<usize> {
        let client = self.client().await?;
        let (mut after, mut checked) = (0_i64, 0);
        loop {
            let rows = client
                .query(
                    "SELECT seq, type, id, version, json FROM resources WHERE seq > $1 \
                     ORDER BY seq LIMIT 1000",
                    &[&after],
                )
                .await
                .map_err(pg_error)?;
            let Some(last) = rows.last() else {
                return Ok(checked);
            };
            after = last.get(0);
            let seqs: Vec<i64> = rows.iter().map(|row| row.get(0)).collect();
            let mut index: HashMap<i64, Vec<(i64, IndexValue)>> = HashMap::new();
            type ReadValue = fn(&Row) -> IndexValue;
            let tables: [(&str, ReadValue); 4] = [
                ("system, code FROM idx_token", |r| IndexValue::Token {
                    system: r.get(2),
                    code: r.get(3),
                }),
                ("value FROM idx_string", |r| IndexValue::String(r.get(2))),
                ("start, \"end\" FROM idx_date", |r| IndexValue::Date {
                    start: r.get(2),
                    end: r.get(3),
                }),
                ("type, id FROM idx_ref", |r| IndexValue::Reference {
                    target_type: r.get(2),
                    id: r.get(3),
                }),
            ];
            for (columns, value) in tables {
                let sql = format!("SELECT seq, param, {columns} WHERE seq = ANY($1::bigint[])");
                for row in client.query(&sql, &[&seqs]).await.map_err(pg_error)? {
                    let param: i32 = row.get(1);
                    index
                        .entry(row.get(0))
                        .or_default()
                        .push((i64::from(param), value(&row)));
                }
            }
            for row in &rows {
                let seq: i64 = row.get(0);
                let stored = index.remove(&seq).unwrap_or_default();
                check_whole(seq, row.get(1), row.get(2), row.get(3), row.get(4), stored)?;
                checked += 1;
            }
        }
    }

    /// Refreshes the planner's statistics of every table (`ANALYZE`): after a large load,
    /// so that searches are planned for the data as it is rather than waiting for
    /// autovacuum to notice (`payer-server load` does it at the end).
    pub async fn analyze(&self) -> Result<()> {
        let client = self.client().await?;
        client.batch_execute("ANALYZE").await.map_err(pg_error)
    }

    /// Whether the database holds no resource.
    pub async fn is_empty(&self) -> Result<bool> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT NOT EXISTS (SELECT 1 FROM resources)", &[])
            .await
            .map_err(pg_error)?;
        Ok(row.get(0))
    }

    /// Uses `clock` for `meta.lastUpdated`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> PostgresStore {
        self.clock = clock;
        self
    }

    /// Plans searches with `plan` instead of [`SearchPlan::default`].
    pub fn with_search_plan(mut self, plan: SearchPlan) -> PostgresStore {
        self.plan = plan;
        self
    }

    /// A connection of the pool.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg_error)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS payer_schema (version INTEGER NOT NULL)")
            .await
            .map_err(pg_error)?;
        let current: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM payer_schema", &[])
            .await
            .map_err(pg_error)?
            .get(0);
        let latest = MIGRATIONS.last().map_or(0, |(version, _)| *version);
        if current > latest {
            return Err(Error::Store(format!(
                "the database has schema version {current}; this payer-server knows versions \
                 up to {latest}: upgrade payer-server"
            )));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql).await.map_err(pg_error)?;
            tx.execute("INSERT INTO payer_schema (version) VALUES ($1)", &[version])
                .await
                .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)
    }

    /// Runs `sql` (built for [`Dialect::Postgres`]), its integers bound as the type each
    /// placeholder has (the parameter ids are 4-byte).
    async fn query_sql(&self, client: &deadpool_postgres::Object, sql: &Sql) -> Result<Vec<Row>> {
        let statement = client.prepare_cached(&sql.text).await.map_err(pg_error)?;
        let values: Vec<Box<dyn ToSql + Sync + Send>> = sql
            .params
            .iter()
            .zip(statement.params())
            .map(|(value, ty)| -> Box<dyn ToSql + Sync + Send> {
                match value {
                    SqlValue::Int(v) if *ty == Type::INT4 => {
                        // Parameter ids are 31-bit; nothing else is bound as INT4.
                        Box::new(i32::try_from(*v).unwrap_or(i32::MAX))
                    }
                    SqlValue::Int(v) => Box::new(*v),
                    SqlValue::Text(v) => Box::new(v.clone()),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        client.query(&statement, &refs).await.map_err(pg_error)
    }
}

/// The state of one resource while a batch is written.
struct Current {
    /// Its row in `resources`, when it has one before the batch.
    seq: Option<i64>,
    /// Its version: current, or (deleted, or never written) the last one in history, 0
    /// when none.
    version: i64,
    last_updated: i64,
    /// Its current JSON; `None` when it has no current version.
    json: Option<String>,
    /// Written by the batch: the index of its last [`Prepared`] in the batch.
    written: Option<usize>,
}

/// Versions of resources as columns, for one `unnest`: the versions a batch moves to
/// history, the resources it updates, those it creates.
#[derive(Default)]
struct Versions {
    types: Vec<String>,
    ids: Vec<String>,
    versions: Vec<i64>,
    last_updated: Vec<i64>,
    json: Vec<String>,
}

impl Versions {
    fn push(&mut self, prepared: &Prepared, version: i64, last_updated: i64, json: &str) {
        self.types.push(prepared.resource_type.clone());
        self.ids.push(prepared.id.clone());
        self.versions.push(version);
        self.last_updated.push(last_updated);
        self.json.push(json.to_owned());
    }

    /// The five arrays, as the parameters `$1` to `$5`.
    fn params(&self) -> [&(dyn ToSql + Sync); 5] {
        [
            &self.types,
            &self.ids,
            &self.versions,
            &self.last_updated,
            &self.json,
        ]
    }
}

impl AuditStore for PostgresStore {
    async fn append_audit(&self, events: Vec<AuditEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let at: Vec<i64> = events.iter().map(|e| e.at_ms).collect();
        let subjects: Vec<Option<&str>> = events.iter().map(|e| e.subject.as_deref()).collect();
        let clients: Vec<Option<&str>> = events.iter().map(|e| e.client_id.as_deref()).collect();
        let actions: Vec<&str> = events
            .iter()
            .map(|e| audit::action_name(e.action))
            .collect();
        let types: Vec<&str> = events.iter().map(|e| e.resource_type.as_str()).collect();
        let statuses: Vec<i32> = events.iter().map(|e| i32::from(e.status)).collect();
        let resources: Vec<String> = events
            .iter()
            .map(|e| audit::resources_text(&e.resources))
            .collect();
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO audit_events (at_ms, subject, client_id, action, resource_type, \
                 status, resources) SELECT a, s, c, ac, t, st, r FROM unnest($1::bigint[], \
                 $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[]) \
                 WITH ORDINALITY AS e(a, s, c, ac, t, st, r, o) ORDER BY o",
                &[
                    &at, &subjects, &clients, &actions, &types, &statuses, &resources,
                ],
            )
            .await
            .map(drop)
            .map_err(pg_error)
    }

    async fn audit_events(&self, subject: Option<&str>, limit: usize) -> Result<Vec<AuditEvent>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT at_ms, subject, client_id, action, resource_type, status, resources \
                 FROM audit_events WHERE $1::text IS NULL OR subject = $1 \
                 ORDER BY seq DESC LIMIT $2",
                &[&subject, &(limit as i64)],
            )
            .await
            .map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                Ok(AuditEvent {
                    at_ms: row.get(0),
                    subject: row.get(1),
                    client_id: row.get(2),
                    action: audit::action_named(row.get(3))?,
                    resource_type: row.get(4),
                    status: u16::try_from(row.get::<_, i32>(5)).unwrap_or_default(),
                    resources: audit::resources_from(row.get(6))?,
                })
            })
            .collect()
    }
}

impl PostgresStore {
    /// One attempt at [`ResourceStore::upsert`], in one transaction.
    async fn write_batch(&self, batch: &[Prepared]) -> Result<Vec<WriteOutcome>> {
        let now = self.clock.now_ms();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let mut keys: Vec<(&str, &str)> = batch
            .iter()
            .map(|p| (p.resource_type.as_str(), p.id.as_str()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let (types, ids): (Vec<&str>, Vec<&str>) = keys.iter().copied().unzip();
        // The current rows, locked (in key order, so two batches cannot deadlock), then
        // the last version in history of those without one.
        let mut state: HashMap<(String, String), Current> = HashMap::new();
        for row in tx
            .query(
                "SELECT r.type, r.id, r.seq, r.version, r.last_updated, r.json FROM resources r \
                 JOIN unnest($1::text[], $2::text[]) AS k(type, id) \
                 ON r.type = k.type AND r.id = k.id ORDER BY r.type, r.id FOR UPDATE OF r",
                &[&types, &ids],
            )
            .await
            .map_err(pg_error)?
        {
            state.insert(
                (row.get(0), row.get(1)),
                Current {
                    seq: Some(row.get(2)),
                    version: row.get(3),
                    last_updated: row.get(4),
                    json: Some(row.get(5)),
                    written: None,
                },
            );
        }
        if state.len() < keys.len() {
            for row in tx
                .query(
                    "SELECT h.type, h.id, max(h.version) FROM history h \
                     JOIN unnest($1::text[], $2::text[]) AS k(type, id) \
                     ON h.type = k.type AND h.id = k.id GROUP BY h.type, h.id",
                    &[&types, &ids],
                )
                .await
                .map_err(pg_error)?
            {
                state.entry((row.get(0), row.get(1))).or_insert(Current {
                    seq: None,
                    version: row.get(2),
                    last_updated: 0,
                    json: None,
                    written: None,
                });
            }
        }
        // Each resource in order, against its state so far (a resource listed twice is
        // written twice).
        let mut history = Versions::default();
        let mut outcomes = Vec::with_capacity(batch.len());
        for (n, prepared) in batch.iter().enumerate() {
            let key = (prepared.resource_type.clone(), prepared.id.clone());
            let current = state.entry(key).or_insert(Current {
                seq: None,
                version: 0,
                last_updated: 0,
                json: None,
                written: None,
            });
            let outcome = match &current.json {
                Some(json) => {
                    if prepared.same_content(current.version as u64, current.last_updated, json) {
                        outcomes.push(WriteOutcome::Unchanged);
                        continue;
                    }
                    history.push(prepared, current.version, current.last_updated, json);
                    WriteOutcome::Updated
                }
                None => WriteOutcome::Created,
            };
            current.version += 1;
            current.last_updated = now;
            current.json = Some(prepared.finalize(current.version as u64, now));
            current.written = Some(n);
            outcomes.push(outcome);
        }
        // The final state of each resource written, in batch order.
        let mut written: Vec<&Current> = state.values().filter(|c| c.written.is_some()).collect();
        written.sort_by_key(|c| c.written);
        let (mut updates, mut inserts, mut updated_seqs) =
            (Versions::default(), Versions::default(), Vec::new());
        for current in &written {
            let (Some(n), Some(json)) = (current.written, &current.json) else {
                continue;
            };
            let (version, last_updated) = (current.version, current.last_updated);
            match current.seq {
                Some(seq) => {
                    updated_seqs.push(seq);
                    updates.push(&batch[n], version, last_updated, json);
                }
                None => inserts.push(&batch[n], version, last_updated, json),
            }
        }
        if !history.types.is_empty() {
            tx.execute(
                "INSERT INTO history (type, id, version, last_updated, json) SELECT * FROM \
                 unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])",
                &history.params(),
            )
            .await
            .map_err(pg_error)?;
        }
        if !updates.types.is_empty() {
            tx.execute(
                "UPDATE resources r SET version = u.version, last_updated = u.last_updated, \
                 json = u.json FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], \
                 $5::text[]) AS u(type, id, version, last_updated, json) \
                 WHERE r.type = u.type AND r.id = u.id",
                &updates.params(),
            )
            .await
            .map_err(pg_error)?;
            for table in ["idx_token", "idx_string", "idx_date", "idx_ref"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE seq = ANY($1::bigint[])"),
                    &[&updated_seqs],
                )
                .await
                .map_err(pg_error)?;
            }
        }
        // Sequence numbers in batch order, as SQLite gives them.
        let mut seqs: HashMap<(String, String), i64> = HashMap::new();
        if !inserts.types.is_empty() {
            for row in tx
                .query(
                    "INSERT INTO resources (type, id, version, last_updated, json) \
                     SELECT type, id, version, last_updated, json FROM unnest($1::text[], \
                     $2::text[], $3::bigint[], $4::bigint[], $5::text[]) WITH ORDINALITY \
                     AS n(type, id, version, last_updated, json, o) ORDER BY o \
                     RETURNING type, id, seq",
                    &inserts.params(),
                )
                .await
                .map_err(pg_error)?
            {
                seqs.insert((row.get(0), row.get(1)), row.get(2));
            }
        }
        let mut rows = IndexRows::default();
        for current in &written {
            let Some(n) = current.written else { continue };
            let prepared = &batch[n];
            let seq = match current.seq {
                Some(seq) => seq,
                None => *seqs
                    .get(&(prepared.resource_type.clone(), prepared.id.clone()))
                    .ok_or_else(|| Error::Store("an inserted resource has no seq".to_owned()))?,
            };
            rows.add(seq, prepared);
        }
        rows.insert(&tx).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(outcomes)
    }
}

impl ResourceStore for PostgresStore {
    async fn upsert(&self, batch: Vec<Prepared>) -> Result<Vec<WriteOutcome>> {
        // Two writers creating the same new resource at once: the later insert violates
        // the key once the first commits, and its transaction rolls back whole. Written
        // again, the batch finds the row (and locks it), so it becomes the next version.
        let mut attempt = 1;
        loop {
            match self.write_batch(&batch).await {
                Err(Error::Conflict(_)) if attempt < 3 => attempt += 1,
                done => return done,
            }
        }
    }

    async fn delete(&self, resource_type: &str, id: &str) -> Result<Option<u64>> {
        let now = self.clock.now_ms();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let Some(row) = tx
            .query_opt(
                "SELECT seq, version, last_updated, json FROM resources \
                 WHERE type = $1 AND id = $2 FOR UPDATE",
                &[&resource_type, &id],
            )
            .await
            .map_err(pg_error)?
        else {
            return Ok(None);
        };
        let (seq, version, last_updated, json): (i64, i64, i64, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let deletion = version + 1;
        // The current version moves to history; the deletion is a version too, an empty
        // JSON text.
        tx.execute(
            "INSERT INTO history (type, id, version, last_updated, json) \
             VALUES ($1, $2, $3, $4, $5), ($1, $2, $6, $7, '')",
            &[
                &resource_type,
                &id,
                &version,
                &last_updated,
                &json,
                &deletion,
                &now,
            ],
        )
        .await
        .map_err(pg_error)?;
        for table in [
            "idx_token",
            "idx_string",
            "idx_date",
            "idx_ref",
            "resources",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE seq = $1"), &[&seq])
                .await
                .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(Some(deletion as u64))
    }

    async fn read(&self, resource_type: &str, id: &str) -> Result<StoredResource> {
        let client = self.client().await?;
        // The current version, else whether there were versions (it was deleted).
        let statement = client
            .prepare_cached(
                "SELECT version, last_updated, json FROM resources WHERE type = $1 AND id = $2 \
                 UNION ALL SELECT 0, 0, '' WHERE EXISTS \
                 (SELECT 1 FROM history WHERE type = $1 AND id = $2) LIMIT 1",
            )
            .await
            .map_err(pg_error)?;
        let row = client
            .query_opt(&statement, &[&resource_type, &id])
            .await
            .map_err(pg_error)?;
        match row {
            None => Err(Error::NotFound(format!("{resource_type}/{id}"))),
            Some(row) if row.get::<_, i64>(0) == 0 => {
                Err(Error::Gone(format!("{resource_type}/{id}")))
            }
            Some(row) => Ok(StoredResource {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                version: row.get::<_, i64>(0) as u64,
                last_updated_ms: row.get(1),
                json: row.get(2),
            }),
        }
    }

    async fn vread(&self, resource_type: &str, id: &str, version: u64) -> Result<StoredResource> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT last_updated, json FROM resources WHERE type = $1 AND id = $2 AND version = $3 \
                 UNION ALL \
                 SELECT last_updated, json FROM history WHERE type = $1 AND id = $2 AND version = $3",
            )
            .await
            .map_err(pg_error)?;
        let row = client
            .query_opt(&statement, &[&resource_type, &id, &(version as i64)])
            .await
            .map_err(pg_error)?;
        let name = format!("{resource_type}/{id}/_history/{version}");
        match row {
            None => Err(Error::NotFound(name)),
            Some(row) if row.get::<_, &str>(1).is_empty() => Err(Error::Gone(name)),
            Some(row) => Ok(StoredResource {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                version,
                last_updated_ms: row.get(0),
                json: row.get(1),
            }),
        }
    }

    async fn read_many(&self, keys: &[(String, String)]) -> Result<Vec<StoredResource>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (types, ids): (Vec<&str>, Vec<&str>) =
            keys.iter().map(|(t, i)| (t.as_str(), i.as_str())).unzip();
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT r.type, r.id, r.version, r.last_updated, r.json \
                 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(type, id, n) \
                 JOIN resources r ON r.type = k.type AND r.id = k.id ORDER BY k.n",
            )
            .await
            .map_err(pg_error)?;
        let rows = client
            .query(&statement, &[&types, &ids])
            .await
            .map_err(pg_error)?;
        Ok(rows
            .iter()
            .map(|row| StoredResource {
                resource_type: row.get(0),
                id: row.get(1),
                version: row.get::<_, i64>(2) as u64,
                last_updated_ms: row.get(3),
                json: row.get(4),
            })
            .collect())
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        let driver = driving_clause(query);
        let client = self.client().await?;
        // As in SQLite: a driving clause with many matches walks the type in order, which
        // stops at the end of the page, rather than gathering every match first (490 ms
        // for the 75,000 EOBs of one hospital among a million resources). PostgreSQL's
        // planner cannot tell: it estimated one match there.
        if let Some(i) = driver
            && query.sort.is_none()
            && !query.summary_count
            && self.many_matches(&client, query, i).await?
            && let Some(page) = self.walk_in_order(&client, query).await?
        {
            return Ok(page);
        }
        let sql = page_sql(Dialect::Postgres, query, driver);
        let rows = self.query_sql(&client, &sql).await?;
        if query.summary_count {
            let total: i64 = rows.first().map_or(0, |row| row.get(0));
            return Ok(SearchPage {
                total: Some(total as u64),
                ..SearchPage::default()
            });
        }
        Ok(page_of(&rows, query))
    }
}

/// The page of `rows` (`seq, id, version, last_updated, json` and, sorted, `k`; one more
/// than the page holds when there is a next page).
fn page_of(rows: &[Row], query: &SearchQuery) -> SearchPage {
    let mut page = SearchPage::default();
    let mut last = None;
    for row in rows {
        if page.resources.len() == query.count {
            page.next_cursor = last;
            break;
        }
        let seq: i64 = row.get(0);
        last = Some(if query.sort.is_some() {
            Cursor::AfterSorted {
                value: row.get(5),
                seq,
            }
        } else {
            Cursor::After(seq)
        });
        page.resources.push(StoredResource {
            resource_type: query.resource_type.clone(),
            id: row.get(1),
            version: row.get::<_, i64>(2) as u64,
            last_updated_ms: row.get(3),
            json: row.get(4),
        });
    }
    page
}

impl PostgresStore {
    /// Whether the driving clause has as many matches as the plan calls many for its
    /// kind ([`capped_count_sql`]).
    async fn many_matches(
        &self,
        client: &deadpool_postgres::Object,
        query: &SearchQuery,
        driver: usize,
    ) -> Result<bool> {
        let Some((sql, many)) =
            capped_count_sql(Dialect::Postgres, query, &query.clauses[driver], self.plan)
        else {
            return Ok(true);
        };
        let rows = self.query_sql(client, &sql).await?;
        Ok(rows.first().map_or(0, |row| row.get::<_, i64>(0)) >= many)
    }

    /// The page found by testing, in `seq` order, at most `walk_budget_rows` resources of
    /// the type (after the cursor); `None` when they did not fill the page and there are
    /// more, so the matches must be gathered after all. Every condition sits in a scalar
    /// subquery, which PostgreSQL evaluates row by row as the index on `(type, seq)` is
    /// read, rather than turning it into a join that computes every match first.
    async fn walk_in_order(
        &self,
        client: &deadpool_postgres::Object,
        query: &SearchQuery,
    ) -> Result<Option<SearchPage>> {
        let budget = i64::from(self.plan.walk_budget_rows);
        let rt = &query.resource_type;
        let after = match query.cursor {
            Some(Cursor::After(seq) | Cursor::AfterSorted { seq, .. }) => seq,
            None => 0,
        };
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push(
            "SELECT r.seq, r.id, r.version, r.last_updated, r.json FROM (SELECT seq, id, \
             version, last_updated, json FROM resources WHERE type = ",
        );
        sql.bind(rt.clone());
        sql.push(" AND seq > ");
        sql.bind(after);
        sql.push(" ORDER BY seq LIMIT ");
        sql.bind(budget);
        sql.push(") AS r WHERE TRUE");
        sql.and_per_row(|sql| {
            for clause in &query.clauses {
                sql.push(" AND ");
                clause_sql(sql, rt, clause);
            }
            if let Some(compartment) = &query.compartment {
                sql.push(" AND ");
                compartment_sql(sql, rt, compartment);
            }
        });
        sql.push(" ORDER BY r.seq LIMIT ");
        sql.bind(query.count as i64 + 1);
        let rows = self.query_sql(client, &sql).await?;
        if rows.len() > query.count {
            return Ok(Some(page_of(&rows, query)));
        }
        // The page is not full: complete if the walk reached the end of the type.
        let walked: i64 = client
            .query_one(
                "SELECT count(*) FROM (SELECT 1 FROM resources WHERE type = $1 AND seq > $2 \
                 ORDER BY seq LIMIT $3) AS w",
                &[rt, &after, &budget],
            )
            .await
            .map_err(pg_error)?
            .get(0);
        Ok((walked < budget).then(|| page_of(&rows, query)))
    }
}

/// The index rows of a batch, as columns per table.
#[derive(Default)]
struct IndexRows {
    token: (Vec<i64>, Vec<i32>, Vec<Option<String>>, Vec<String>),
    string: (Vec<i64>, Vec<i32>, Vec<String>),
    date: (Vec<i64>, Vec<i32>, Vec<i64>, Vec<i64>),
    reference: (Vec<i64>, Vec<i32>, Vec<String>, Vec<String>),
}

impl IndexRows {
    fn add(&mut self, seq: i64, prepared: &Prepared) {
        for entry in &prepared.index {
            // 31-bit by construction.
            let param = param_id(entry.param.resource, entry.param.code) as i32;
            match &entry.value {
                IndexValue::Token { system, code } => {
                    let t = &mut self.token;
                    t.0.push(seq);
                    t.1.push(param);
                    t.2.push(system.clone());
                    t.3.push(code.clone());
                }
                IndexValue::String(value) => {
                    let s = &mut self.string;
                    s.0.push(seq);
                    s.1.push(param);
                    s.2.push(value.clone());
                }
                IndexValue::Date { start, end } => {
                    let d = &mut self.date;
                    d.0.push(seq);
                    d.1.push(param);
                    d.2.push(*start);
                    d.3.push(*end);
                }
                IndexValue::Reference { target_type, id } => {
                    let r = &mut self.reference;
                    r.0.push(seq);
                    r.1.push(param);
                    r.2.push(target_type.clone());
                    r.3.push(id.clone());
                }
            }
        }
    }

    async fn insert(&self, tx: &deadpool_postgres::Transaction<'_>) -> Result<()> {
        let statements: [(&str, usize, Vec<&(dyn ToSql + Sync)>); 4] = [
            (
                "INSERT INTO idx_token (seq, param, system, code) SELECT * FROM \
                 unnest($1::bigint[], $2::integer[], $3::text[], $4::text[])",
                self.token.0.len(),
                vec![&self.token.0, &self.token.1, &self.token.2, &self.token.3],
            ),
            (
                "INSERT INTO idx_string (seq, param, value) SELECT * FROM \
                 unnest($1::bigint[], $2::integer[], $3::text[])",
                self.string.0.len(),
                vec![&self.string.0, &self.string.1, &self.string.2],
            ),
            (
                "INSERT INTO idx_date (seq, param, start, \"end\") SELECT * FROM \
                 unnest($1::bigint[], $2::integer[], $3::bigint[], $4::bigint[])",
                self.date.0.len(),
                vec![&self.date.0, &self.date.1, &self.date.2, &self.date.3],
            ),
            (
                "INSERT INTO idx_ref (seq, param, type, id) SELECT * FROM \
                 unnest($1::bigint[], $2::integer[], $3::text[], $4::text[])",
                self.reference.0.len(),
                vec![
                    &self.reference.0,
                    &self.reference.1,
                    &self.reference.2,
                    &self.reference.3,
                ],
            ),
        ];
        for (sql, len, params) in statements {
            if len > 0 {
                let statement = tx.prepare_cached(sql).await.map_err(pg_error)?;
                tx.execute(&statement, &params).await.map_err(pg_error)?;
            }
        }
        Ok(())
    }
}
