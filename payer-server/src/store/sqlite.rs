//! [`SqliteStore`]: the default embedded store, one SQLite file in WAL mode.
//!
//! Tables: `resources` (current version of each resource, keyed by an insertion sequence
//! number that never changes), `history` (the versions replaced), and one index table per search
//! parameter type (`idx_token`, `idx_string`, `idx_date`, `idx_ref`) holding the current
//! version's entries. A search is one SQL statement: `EXISTS` per clause, `seq > cursor`,
//! `ORDER BY seq LIMIT n + 1`. rusqlite is blocking, so every call runs on tokio's
//! blocking pool. One connection writes (SQLite serializes writers anyway); a file
//! database also has [`READERS`] read-only connections that serve reads concurrently
//! (WAL lets them read while the writer writes).

use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params, params_from_iter};

use super::sql::{
    Dialect, SearchPlan, Sql, SqlValue, capped_count_sql, check_whole, clause_sql, compartment_sql,
    driving_clause, matching_seqs_sql, page_sql, param_id,
};
use super::{
    Clock, Prepared, ResourceStore, SearchPage, StoredResource, SystemClock, WriteOutcome,
};
use crate::access::AuditEvent;
use crate::audit::{self, AuditStore};
use crate::error::{Error, Result};
use crate::search::extract::IndexValue;
use crate::search::query::{ClauseValue, Target};
use crate::search::{Clause, Cursor, ParamType, SearchQuery};

/// The schema version this code reads and writes, recorded in `PRAGMA user_version`.
/// Version 1 kept parameter names in the index tables; it is not read (the store is not
/// released yet, so there is no migration: load the data again).
const SCHEMA_VERSION: i64 = 2;

/// Schema version [`SCHEMA_VERSION`]. Applied on open. `param` in the index tables is
/// [`param_id`] of the parameter.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    json TEXT NOT NULL,
    UNIQUE (type, id)
);
CREATE TABLE IF NOT EXISTS history (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (type, id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idx_token (seq INTEGER NOT NULL, param INTEGER NOT NULL, system TEXT, code TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_token_seq ON idx_token (seq);
CREATE TABLE IF NOT EXISTS idx_string (seq INTEGER NOT NULL, param INTEGER NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_string_seq ON idx_string (seq);
CREATE TABLE IF NOT EXISTS idx_date (seq INTEGER NOT NULL, param INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_date_seq ON idx_date (seq);
CREATE TABLE IF NOT EXISTS idx_ref (seq INTEGER NOT NULL, param INTEGER NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_ref_seq ON idx_ref (seq);
CREATE INDEX IF NOT EXISTS resources_type ON resources (type);
CREATE TABLE IF NOT EXISTS audit_events (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    subject TEXT,
    client_id TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    status INTEGER NOT NULL,
    resources TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_by_subject ON audit_events (subject, seq);
PRAGMA user_version = 2;
";

/// The indexes searches look values up in: one random insert per index row, most of a
/// large load's b-tree work, so [`SqliteStore::bulk_load`] builds them once at the end.
/// Part of the schema: opening a database creates any that are missing (after a bulk load
/// that was killed, say).
const LOOKUP_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS idx_token_lookup ON idx_token (param, code, seq);
CREATE INDEX IF NOT EXISTS idx_string_lookup ON idx_string (param, value, seq);
CREATE INDEX IF NOT EXISTS idx_date_lookup ON idx_date (param, start, seq);
CREATE INDEX IF NOT EXISTS idx_ref_lookup ON idx_ref (param, id, seq);
";

/// Read-only connections of a file database.
pub(crate) const READERS: usize = 4;

/// A [`ResourceStore`] in one SQLite file (or in memory, for tests).
#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    /// Empty for an in-memory database, whose data only the writer's connection sees.
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<AtomicUsize>,
    clock: Arc<dyn Clock>,
    plan: SearchPlan,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn store_error(e: impl std::fmt::Display) -> Error {
    Error::Store(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, in WAL mode, and applies
    /// the schema.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let connection = Connection::open(path).map_err(store_error)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(store_error)?;
        // WAL with NORMAL sync keeps every committed transaction atomic and consistent
        // after a crash of the process; only a power loss may drop the last commits.
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(store_error)?;
        // The default 2 MB page cache makes every index insert of a large load read pages
        // back from the file; 64 MB keeps the index b-trees' upper levels in memory.
        connection
            .pragma_update(None, "cache_size", -65536)
            .map_err(store_error)?;
        let mut store = SqliteStore::init(connection)?;
        let readers = (0..READERS)
            .map(|_| {
                Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map(Mutex::new)
                .map_err(store_error)
            })
            .collect::<Result<Vec<_>>>()?;
        store.readers = Arc::new(readers);
        Ok(store)
    }

    /// A private in-memory database (for tests).
    pub fn in_memory() -> Result<SqliteStore> {
        SqliteStore::init(Connection::open_in_memory().map_err(store_error)?)
    }

    fn init(connection: Connection) -> Result<SqliteStore> {
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(store_error)?;
        if version != 0 && version != SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "the database has schema version {version}; this payer-server reads version \
                 {SCHEMA_VERSION} only: load the data into a new database file"
            )));
        }
        connection.execute_batch(SCHEMA).map_err(store_error)?;
        connection
            .execute_batch(crate::auth::sqlite::AUTH_SCHEMA)
            .map_err(store_error)?;
        connection
            .execute_batch(LOOKUP_INDEXES)
            .map_err(store_error)?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(connection)),
            readers: Arc::new(Vec::new()),
            next_reader: Arc::new(AtomicUsize::new(0)),
            clock: Arc::new(SystemClock),
            plan: SearchPlan::default(),
        })
    }

    /// Checks that every stored resource is whole ([`check_whole`]). Returns the number
    /// of resources checked; the error names the first broken one. For tests and for
    /// operators after a crash (committed transactions are all-or-nothing, so this should
    /// never fail).
    pub async fn check_integrity(&self) -> Result<usize> {
        self.with_connection(|c| {
            let mut rows = c
                .prepare("SELECT seq, type, id, version, json FROM resources ORDER BY seq")
                .map_err(store_error)?;
            let mut checked = 0;
            let mut iter = rows.query([]).map_err(store_error)?;
            while let Some(row) = iter.next().map_err(store_error)? {
                let (seq, rt, id, version, json): (i64, String, String, i64, String) = (
                    row.get(0).map_err(store_error)?,
                    row.get(1).map_err(store_error)?,
                    row.get(2).map_err(store_error)?,
                    row.get(3).map_err(store_error)?,
                    row.get(4).map_err(store_error)?,
                );
                let stored = index_rows(c, seq).map_err(store_error)?;
                check_whole(seq, &rt, &id, version, &json, stored)?;
                checked += 1;
            }
            Ok(checked)
        })
        .await
    }

    /// Runs `load` (writes to this store) without the search lookup indexes, and builds
    /// them again at the end, which is several times faster than keeping them up to date
    /// row by row once they outgrow the page cache. Searches stay correct meanwhile, but
    /// slow: for loading before serving (`payer-server load`, the demo), or a load large
    /// against what the database holds. The indexes are rebuilt even when `load` fails;
    /// if the process dies instead, the next [`SqliteStore::open`] rebuilds them.
    pub async fn bulk_load<T, E: From<Error>>(
        &self,
        load: impl Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        self.with_connection(|c| {
            c.execute_batch(
                "DROP INDEX IF EXISTS idx_token_lookup; DROP INDEX IF EXISTS idx_string_lookup;
                 DROP INDEX IF EXISTS idx_date_lookup; DROP INDEX IF EXISTS idx_ref_lookup;",
            )
            .map_err(store_error)
        })
        .await?;
        let loaded = load.await;
        // The rebuilt indexes are written to the WAL; folding it into the database file
        // now keeps readers from looking pages up in a WAL of that size.
        let rebuilt = self
            .with_connection(|c| {
                c.execute_batch(LOOKUP_INDEXES).map_err(store_error)?;
                c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .map_err(store_error)
            })
            .await;
        let loaded = loaded?;
        rebuilt?;
        Ok(loaded)
    }

    /// Whether the database holds no resource.
    pub async fn is_empty(&self) -> Result<bool> {
        self.with_reader(|c| {
            c.query_row("SELECT NOT EXISTS (SELECT 1 FROM resources)", [], |row| {
                row.get(0)
            })
            .map_err(store_error)
        })
        .await
    }

    /// Uses `clock` for `meta.lastUpdated`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> SqliteStore {
        self.clock = clock;
        self
    }

    /// Plans searches with `plan` instead of [`SearchPlan::default`].
    pub fn with_search_plan(mut self, plan: SearchPlan) -> SqliteStore {
        self.plan = plan;
        self
    }

    /// Runs `f` with the writer connection on the blocking pool.
    pub(crate) async fn with_connection<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let writer = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || lock_and_run(&writer, f))
            .await
            .map_err(store_error)?
    }

    /// Runs `f` with a reader connection (the writer's for an in-memory database), taken
    /// in turn.
    pub(crate) async fn with_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if self.readers.is_empty() {
            return self.with_connection(f).await;
        }
        let readers = Arc::clone(&self.readers);
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
        tokio::task::spawn_blocking(move || lock_and_run(&readers[index], f))
            .await
            .map_err(store_error)?
    }
}

impl AuditStore for SqliteStore {
    async fn append_audit(&self, events: Vec<AuditEvent>) -> Result<()> {
        self.with_connection(move |c| {
            let tx = c.transaction().map_err(store_error)?;
            for e in &events {
                exec(
                    &tx,
                    "INSERT INTO audit_events (at_ms, subject, client_id, action, resource_type, \
                     status, resources) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        e.at_ms,
                        e.subject,
                        e.client_id,
                        audit::action_name(e.action),
                        e.resource_type,
                        e.status,
                        audit::resources_text(&e.resources)
                    ],
                )
                .map_err(store_error)?;
            }
            tx.commit().map_err(store_error)
        })
        .await
    }

    async fn audit_events(&self, subject: Option<&str>, limit: usize) -> Result<Vec<AuditEvent>> {
        let subject = subject.map(str::to_owned);
        self.with_reader(move |c| {
            let mut statement = c
                .prepare_cached(
                    "SELECT at_ms, subject, client_id, action, resource_type, status, resources \
                     FROM audit_events WHERE ?1 IS NULL OR subject = ?1 ORDER BY seq DESC LIMIT ?2",
                )
                .map_err(store_error)?;
            let rows = statement
                .query_map(params![subject, limit as i64], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, u16>(5)?,
                        row.get::<_, String>(6)?,
                    ))
                })
                .map_err(store_error)?;
            let mut events = Vec::new();
            for row in rows {
                let (at_ms, subject, client_id, action, resource_type, status, resources) =
                    row.map_err(store_error)?;
                events.push(AuditEvent {
                    at_ms,
                    subject,
                    client_id,
                    action: audit::action_named(&action)?,
                    resource_type,
                    status,
                    resources: audit::resources_from(&resources)?,
                });
            }
            Ok(events)
        })
        .await
    }
}

impl ResourceStore for SqliteStore {
    async fn upsert(&self, batch: Vec<Prepared>) -> Result<Vec<WriteOutcome>> {
        let now = self.clock.now_ms();
        self.with_connection(move |c| {
            let tx = c.transaction().map_err(store_error)?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for prepared in &batch {
                outcomes.push(write_one(&tx, prepared, now)?);
            }
            tx.commit().map_err(store_error)?;
            Ok(outcomes)
        })
        .await
    }

    async fn delete(&self, resource_type: &str, id: &str) -> Result<Option<u64>> {
        let now = self.clock.now_ms();
        let (rt, id) = (resource_type.to_owned(), id.to_owned());
        self.with_connection(move |c| {
            let tx = c.transaction().map_err(store_error)?;
            let Some(current) = current_row(&tx, &rt, &id)? else {
                return Ok(None);
            };
            let deletion = current.version + 1;
            retire(&tx, &rt, &id, &current)?;
            // The deletion is a version too: an empty JSON text marks it.
            exec(
                &tx,
                "INSERT INTO history (type, id, version, last_updated, json) VALUES (?1, ?2, ?3, ?4, '')",
                params![rt, id, deletion, now],
            )
            .and_then(|_| exec(&tx, "DELETE FROM resources WHERE seq = ?1", [current.seq]))
            .map_err(store_error)?;
            tx.commit().map_err(store_error)?;
            Ok(Some(deletion as u64))
        })
        .await
    }

    async fn read_many(&self, keys: &[(String, String)]) -> Result<Vec<StoredResource>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = keys.to_vec();
        self.with_reader(move |c| {
            let mut found = Vec::with_capacity(keys.len());
            // A statement per thousand keys: three bound values each, well under
            // SQLite's limit on them.
            for chunk in keys.chunks(1_000) {
                found.extend(read_chunk(c, chunk)?);
            }
            Ok(found)
        })
        .await
    }

    async fn read(&self, resource_type: &str, id: &str) -> Result<StoredResource> {
        let (rt, id) = (resource_type.to_owned(), id.to_owned());
        self.with_reader(move |c| {
            let current = c
                .query_row(
                    "SELECT version, last_updated, json FROM resources WHERE type = ?1 AND id = ?2",
                    params![rt, id],
                    |row| Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(store_error)?;
            if let Some((version, last_updated_ms, json)) = current {
                return Ok(StoredResource {
                    resource_type: rt,
                    id,
                    version: version as u64,
                    last_updated_ms,
                    json,
                });
            }
            // Versions without a current one: it was deleted.
            let deleted: bool = c
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM history WHERE type = ?1 AND id = ?2)",
                    params![rt, id],
                    |row| row.get(0),
                )
                .map_err(store_error)?;
            Err(if deleted {
                Error::Gone(format!("{rt}/{id}"))
            } else {
                Error::NotFound(format!("{rt}/{id}"))
            })
        })
        .await
    }

    async fn vread(&self, resource_type: &str, id: &str, version: u64) -> Result<StoredResource> {
        let (rt, id) = (resource_type.to_owned(), id.to_owned());
        self.with_reader(move |c| {
            c.query_row(
                "SELECT last_updated, json FROM resources WHERE type = ?1 AND id = ?2 AND version = ?3 \
                 UNION ALL \
                 SELECT last_updated, json FROM history WHERE type = ?1 AND id = ?2 AND version = ?3",
                params![rt, id, version as i64],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(store_error)?
            .map(|(last_updated_ms, json): (i64, String)| {
                if json.is_empty() {
                    return Err(Error::Gone(format!("{rt}/{id}/_history/{version}")));
                }
                Ok(StoredResource {
                    resource_type: rt.clone(),
                    id: id.clone(),
                    version,
                    last_updated_ms,
                    json,
                })
            })
            .unwrap_or_else(|| Err(Error::NotFound(format!("{rt}/{id}/_history/{version}"))))
        })
        .await
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        let query = query.clone();
        let plan = self.plan;
        self.with_reader(move |c| search(c, &query, plan)).await
    }
}

fn lock_and_run<T>(
    connection: &Mutex<Connection>,
    f: impl FnOnce(&mut Connection) -> Result<T>,
) -> Result<T> {
    let mut guard = connection
        .lock()
        .map_err(|_| Error::Store("sqlite connection lock poisoned".to_owned()))?;
    f(&mut guard)
}

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            SqlValue::Int(value) => value.to_sql(),
            SqlValue::Text(value) => value.to_sql(),
        }
    }
}

/// Runs a cached prepared statement.
fn exec(tx: &Transaction<'_>, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

/// The current row of a resource.
struct CurrentRow {
    seq: i64,
    version: i64,
    last_updated: i64,
    json: String,
}

fn current_row(tx: &Transaction<'_>, rt: &str, id: &str) -> Result<Option<CurrentRow>> {
    tx.prepare_cached(
        "SELECT seq, version, last_updated, json FROM resources WHERE type = ?1 AND id = ?2",
    )
    .and_then(|mut st| {
        st.query_row(params![rt, id], |row| {
            Ok(CurrentRow {
                seq: row.get(0)?,
                version: row.get(1)?,
                last_updated: row.get(2)?,
                json: row.get(3)?,
            })
        })
        .optional()
    })
    .map_err(store_error)
}

/// Moves the current version to `history` and drops its index rows (before an update or a
/// deletion).
fn retire(tx: &Transaction<'_>, rt: &str, id: &str, current: &CurrentRow) -> Result<()> {
    exec(
        tx,
        "INSERT INTO history (type, id, version, last_updated, json) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![rt, id, current.version, current.last_updated, current.json],
    )
    .map_err(store_error)?;
    for table in ["idx_token", "idx_string", "idx_date", "idx_ref"] {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE seq = ?1"))
            .and_then(|mut st| st.execute([current.seq]))
            .map_err(store_error)?;
    }
    Ok(())
}

fn write_one(tx: &Transaction<'_>, prepared: &Prepared, now: i64) -> Result<WriteOutcome> {
    // Every statement is prepared once per connection (`prepare_cached`): a load runs
    // them tens of times per resource.
    let (rt, id) = (&prepared.resource_type, &prepared.id);
    let (seq, outcome) = match current_row(tx, rt, id)? {
        Some(current) => {
            if prepared.same_content(current.version as u64, current.last_updated, &current.json) {
                return Ok(WriteOutcome::Unchanged);
            }
            // The version being replaced moves to `history`; the current one lives only in
            // `resources`, so a load writes each resource's JSON once.
            retire(tx, rt, id, &current)?;
            let version = current.version + 1;
            exec(
                tx,
                "UPDATE resources SET version = ?1, last_updated = ?2, json = ?3 WHERE seq = ?4",
                params![
                    version,
                    now,
                    prepared.finalize(version as u64, now),
                    current.seq
                ],
            )
            .map_err(store_error)?;
            (current.seq, WriteOutcome::Updated)
        }
        None => {
            // New, or written again after a deletion: its versions continue.
            let last: Option<i64> = tx
                .prepare_cached("SELECT max(version) FROM history WHERE type = ?1 AND id = ?2")
                .and_then(|mut st| st.query_row(params![rt, id], |row| row.get(0)))
                .map_err(store_error)?;
            let version = last.unwrap_or(0) + 1;
            exec(
                tx,
                "INSERT INTO resources (type, id, version, last_updated, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![rt, id, version, now, prepared.finalize(version as u64, now)],
            )
            .map_err(store_error)?;
            (tx.last_insert_rowid(), WriteOutcome::Created)
        }
    };
    for entry in &prepared.index {
        let param = param_id(entry.param.resource, entry.param.code);
        match &entry.value {
            IndexValue::Token { system, code } => exec(
                tx,
                "INSERT INTO idx_token (seq, param, system, code) VALUES (?1, ?2, ?3, ?4)",
                params![seq, param, system, code],
            ),
            IndexValue::String(value) => exec(
                tx,
                "INSERT INTO idx_string (seq, param, value) VALUES (?1, ?2, ?3)",
                params![seq, param, value],
            ),
            IndexValue::Date { start, end } => exec(
                tx,
                "INSERT INTO idx_date (seq, param, start, end) VALUES (?1, ?2, ?3, ?4)",
                params![seq, param, start, end],
            ),
            IndexValue::Reference { target_type, id } => exec(
                tx,
                "INSERT INTO idx_ref (seq, param, type, id) VALUES (?1, ?2, ?3, ?4)",
                params![seq, param, target_type, id],
            ),
        }
        .map_err(store_error)?;
    }
    Ok(outcome)
}

/// The index rows of resource `seq`, sorted.
fn index_rows(c: &Connection, seq: i64) -> rusqlite::Result<Vec<(i64, IndexValue)>> {
    let mut rows = Vec::new();
    type ReadValue = fn(&rusqlite::Row<'_>) -> rusqlite::Result<IndexValue>;
    let queries: [(&str, ReadValue); 4] = [
        (
            "SELECT param, system, code FROM idx_token WHERE seq = ?1",
            |r| {
                Ok(IndexValue::Token {
                    system: r.get(1)?,
                    code: r.get(2)?,
                })
            },
        ),
        ("SELECT param, value FROM idx_string WHERE seq = ?1", |r| {
            Ok(IndexValue::String(r.get(1)?))
        }),
        (
            "SELECT param, start, end FROM idx_date WHERE seq = ?1",
            |r| {
                Ok(IndexValue::Date {
                    start: r.get(1)?,
                    end: r.get(2)?,
                })
            },
        ),
        ("SELECT param, type, id FROM idx_ref WHERE seq = ?1", |r| {
            Ok(IndexValue::Reference {
                target_type: r.get(1)?,
                id: r.get(2)?,
            })
        }),
    ];
    for (sql, value) in queries {
        let mut statement = c.prepare_cached(sql)?;
        let mut found = statement.query([seq])?;
        while let Some(row) = found.next()? {
            rows.push((row.get(0)?, value(row)?));
        }
    }
    rows.sort();
    Ok(rows)
}

/// The resources `keys` names that exist, in that order: one statement, the keys a
/// numbered VALUES list.
fn read_chunk(c: &Connection, keys: &[(String, String)]) -> Result<Vec<StoredResource>> {
    let mut sql = Sql::new(Dialect::Sqlite);
    sql.push("WITH k(n, type, id) AS (VALUES ");
    for (n, (resource_type, id)) in keys.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.push("(");
        sql.bind(n as i64);
        sql.push(", ");
        sql.bind(resource_type.clone());
        sql.push(", ");
        sql.bind(id.clone());
        sql.push(")");
    }
    sql.push(
        ") SELECT r.type, r.id, r.version, r.last_updated, r.json FROM k \
         JOIN resources r ON r.type = k.type AND r.id = k.id ORDER BY k.n",
    );
    let mut statement = c.prepare(&sql.text).map_err(store_error)?;
    let rows = statement
        .query_map(params_from_iter(sql.params.iter()), |row| {
            Ok(StoredResource {
                resource_type: row.get(0)?,
                id: row.get(1)?,
                version: row.get::<_, i64>(2)? as u64,
                last_updated_ms: row.get(3)?,
                json: row.get(4)?,
            })
        })
        .map_err(store_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(store_error)
}

fn search(c: &mut Connection, query: &SearchQuery, plan: SearchPlan) -> Result<SearchPage> {
    let driver = driving_clause(query);
    // Gathering the driving clause's matches first reads all of them before the first
    // page can be cut: 122 ms for the 33,345 Practitioners with a role in one network.
    // When the clause has many, walking the type in order and testing each resource stops
    // at the end of the page instead (1.4 ms there). The walk has a budget, for matches
    // that are many but rare in the type; past it, the matches are gathered after all.
    if let Some(i) = driver
        && query.sort.is_none()
        && !query.summary_count
        && many_matches(c, query, &query.clauses[i], plan)?
        && let Some(page) = walk_in_order(c, query, i, plan.walk_budget_ksteps)?
    {
        return Ok(page);
    }
    let sql = page_sql(Dialect::Sqlite, query, driver);
    if query.summary_count {
        let total: i64 = c
            .query_row(&sql.text, params_from_iter(sql.params.iter()), |row| {
                row.get(0)
            })
            .map_err(store_error)?;
        return Ok(SearchPage {
            total: Some(total as u64),
            ..SearchPage::default()
        });
    }
    read_page(c, &sql, query).map_err(store_error)
}

/// Whether the driving clause has as many matches as `plan` calls many for its kind
/// ([`capped_count_sql`]).
fn many_matches(
    c: &Connection,
    query: &SearchQuery,
    clause: &Clause,
    plan: SearchPlan,
) -> Result<bool> {
    let Some((sql, many)) = capped_count_sql(Dialect::Sqlite, query, clause, plan) else {
        return Ok(true);
    };
    let found: i64 = c
        .prepare_cached(&sql.text)
        .and_then(|mut s| s.query_row(params_from_iter(sql.params.iter()), |row| row.get(0)))
        .map_err(store_error)?;
    Ok(found >= many)
}

/// The page found by walking resources in `seq` order and testing every clause on each,
/// which stops at the end of the page; `None` when that took more than `budget_ksteps`
/// thousand steps. The walk goes over the driving clause's own index rows when they are in
/// `seq` order (one code or one reference: the lookup index is ordered by parameter, value,
/// then `seq`), else over the type (the type index keeps it in `seq` order).
fn walk_in_order(
    c: &mut Connection,
    query: &SearchQuery,
    driver: usize,
    budget_ksteps: u32,
) -> Result<Option<SearchPage>> {
    let rt = &query.resource_type;
    let mut sql = Sql::new(Dialect::Sqlite);
    let driver = &query.clauses[driver];
    let in_seq_order = driver.links.is_empty()
        && matches!(driver.target, Target::Param(def) if matches!(def.kind, ParamType::Token | ParamType::Reference))
        && matches!(
            driver.values.as_slice(),
            [ClauseValue::Token { code: Some(_), .. } | ClauseValue::Reference { .. }]
        );
    let seq = if in_seq_order {
        // Flattened by SQLite into one walk of the lookup index; GROUP BY drops a resource
        // that has the value twice, in the index's order.
        sql.push("SELECT r.seq, r.id, r.version, r.last_updated, r.json FROM (");
        matching_seqs_sql(&mut sql, rt, &[], driver);
        sql.push(") AS d CROSS JOIN resources r ON r.seq = d.seq WHERE +r.type = ");
        "d.seq"
    } else {
        sql.push(
            "SELECT r.seq, r.id, r.version, r.last_updated, r.json FROM resources r \
             INDEXED BY resources_type WHERE r.type = ",
        );
        "r.seq"
    };
    sql.bind(rt.clone());
    if let Some(Cursor::After(after) | Cursor::AfterSorted { seq: after, .. }) = query.cursor {
        sql.push(&format!(" AND {seq} > "));
        sql.bind(after);
    }
    for clause in &query.clauses {
        if !(in_seq_order && std::ptr::eq(clause, driver)) {
            sql.push(" AND ");
            clause_sql(&mut sql, rt, clause);
        }
    }
    if let Some(compartment) = &query.compartment {
        sql.push(" AND ");
        compartment_sql(&mut sql, rt, compartment);
    }
    if in_seq_order {
        sql.push(" GROUP BY d.seq");
    }
    sql.push(&format!(" ORDER BY {seq} LIMIT "));
    sql.bind(query.count as i64 + 1);
    let mut thousands = 0;
    c.progress_handler(
        1_000,
        Some(move || {
            thousands += 1;
            thousands > budget_ksteps
        }),
    )
    .map_err(store_error)?;
    let page = read_page(c, &sql, query);
    c.progress_handler(0, None::<fn() -> bool>)
        .map_err(store_error)?;
    match page {
        Ok(page) => Ok(Some(page)),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            Ok(None)
        }
        Err(e) => Err(store_error(e)),
    }
}

/// Runs a page query (`seq, id, version, last_updated, json` and, sorted, `k`; limited to
/// one more row than the page holds) and cuts the page.
fn read_page(c: &Connection, sql: &Sql, query: &SearchQuery) -> rusqlite::Result<SearchPage> {
    let mut statement = c.prepare_cached(&sql.text)?;
    let sorted = query.sort.is_some();
    let rows = statement.query_map(params_from_iter(sql.params.iter()), |row| {
        let seq = row.get::<_, i64>(0)?;
        let cursor = if sorted {
            Cursor::AfterSorted {
                value: row.get(5)?,
                seq,
            }
        } else {
            Cursor::After(seq)
        };
        Ok((
            cursor,
            StoredResource {
                resource_type: query.resource_type.clone(),
                id: row.get(1)?,
                version: row.get::<_, i64>(2)? as u64,
                last_updated_ms: row.get(3)?,
                json: row.get(4)?,
            },
        ))
    })?;
    let mut page = SearchPage::default();
    let mut last = None;
    for row in rows {
        let (cursor, resource) = row?;
        if page.resources.len() == query.count {
            page.next_cursor = last;
            break;
        }
        last = Some(cursor);
        page.resources.push(resource);
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn lookup_indexes(store: &SqliteStore) -> i64 {
        let writer = store.writer.lock().unwrap();
        writer
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%_lookup'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// A bulk load drops the lookup indexes for its duration and builds them again, also
    /// when the load fails; what it wrote is indexed as row-by-row writes would have.
    #[tokio::test(flavor = "multi_thread")]
    async fn bulk_loads_rebuild_the_lookup_indexes_even_when_they_fail() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(store.is_empty().await.unwrap());
        let dataset = crate::synth::generate(&crate::synth::Config {
            members: 2,
            ..Default::default()
        });
        let inputs: Vec<_> = dataset
            .resources
            .iter()
            .map(|r| ("generated".to_owned(), r.clone()))
            .collect();
        let report = store
            .bulk_load(async {
                assert_eq!(lookup_indexes(&store), 0);
                crate::ingest::load_resources(
                    &store,
                    inputs,
                    crate::ingest::Validation::Off,
                    &mut |_| {},
                )
                .await
            })
            .await
            .unwrap();
        assert_eq!(report.created, dataset.resources.len());
        assert_eq!(lookup_indexes(&store), 4);
        assert_eq!(store.check_integrity().await.unwrap(), report.created);
        assert!(!store.is_empty().await.unwrap());

        let failed: Result<()> = store
            .bulk_load(async { Err(Error::Store("the input broke".to_owned())) })
            .await;
        assert!(failed.is_err());
        assert_eq!(lookup_indexes(&store), 4);
    }

    #[test]
    fn a_database_of_another_schema_version_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE resources (seq INTEGER); PRAGMA user_version = 1;")
            .unwrap();
        let error = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(error.contains("schema version 1"), "{error}");
        assert!(error.contains("new database file"), "{error}");
    }
}
