//! The SQL of searches, shared by [`super::SqliteStore`] and (feature `postgres`)
//! `PostgresStore`: both keep the same tables (`resources`, and one index table per
//! search parameter type), so one translation of [`Clause`] serves both. What differs is
//! written through [`Dialect`]: placeholders, and SQLite's plan hints (`INDEXED BY`,
//! `CROSS JOIN`, a unary `+` that keeps a column from using its index), which
//! PostgreSQL's planner does not take and does not need (it plans from statistics).

use crate::error::{Error, Result};
use crate::search::extract::{IndexValue, extract};
use crate::search::query::{ClauseValue, DatePrefix, StringMode, Target};
use crate::search::{Clause, Compartment, Cursor, Link, ParamType, SearchParamDef, SearchQuery};

/// The SQL dialect a statement is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?` placeholders, plan hints written out.
    Sqlite,
    /// PostgreSQL: `$n` placeholders, no plan hints.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

/// A bound value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SqlValue {
    /// An integer (parameter ids, sequence numbers, dates in milliseconds, limits).
    Int(i64),
    /// Text.
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> SqlValue {
        SqlValue::Int(value)
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> SqlValue {
        SqlValue::Text(value)
    }
}

/// SQL text and its parameters, built together.
pub(crate) struct Sql {
    dialect: Dialect,
    pub(crate) text: String,
    pub(crate) params: Vec<SqlValue>,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect) -> Sql {
        Sql {
            dialect,
            text: String::new(),
            params: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    pub(crate) fn bind(&mut self, value: impl Into<SqlValue>) {
        self.params.push(value.into());
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.params.len().to_string());
            }
        }
    }

    /// `INDEXED BY <index> ` on SQLite: which index reaches a table's rows.
    fn indexed_by(&mut self, index: &str) {
        if self.dialect == Dialect::Sqlite {
            self.text.push_str("INDEXED BY ");
            self.text.push_str(index);
            self.text.push(' ');
        }
    }

    /// A join in the order written: SQLite's `CROSS JOIN` keeps its planner from
    /// reordering it.
    fn join_in_order(&mut self) {
        self.push(match self.dialect {
            Dialect::Sqlite => "CROSS JOIN",
            Dialect::Postgres => "JOIN",
        });
    }

    /// The conditions `conditions` writes (each ` AND <condition>`), tested on each row
    /// as it comes. On PostgreSQL they sit in a scalar subquery (` AND (SELECT TRUE
    /// AND ...)`): its planner would turn an `EXISTS` into a join that computes every
    /// match of the clause first (700 ms for a chain through a hospital's 75,000 EOBs, to
    /// test one member's 65). SQLite tests a correlated `EXISTS` row by row anyway, and
    /// gets them as they are.
    pub(crate) fn and_per_row(&mut self, conditions: impl FnOnce(&mut Sql)) {
        match self.dialect {
            Dialect::Sqlite => conditions(self),
            Dialect::Postgres => {
                self.push(" AND (SELECT TRUE");
                conditions(self);
                self.push(")");
            }
        }
    }

    /// `column`, kept from using its index on SQLite (`+column`).
    fn unindexed(&mut self, column: &str) {
        if self.dialect == Dialect::Sqlite {
            self.text.push('+');
        }
        self.text.push_str(column);
    }
}

/// How the SQL stores answer a search whose driving clause (the one looked up in the
/// index tables first) has many matches: gathering them all before cutting the first
/// page, or walking the resources of the type in order and testing each one, which stops
/// at the end of the page but reads the whole type when matches are rare. They walk when
/// the clause's own lookup has many matches, within a budget of work, and gather after
/// all past the budget. The default suits directories and claims alike (`BENCHMARKS.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchPlan {
    /// A plain clause with at least this many matches walks (2,000): gathering them is
    /// one read of an index range.
    pub many: u32,
    /// On SQLite, a chain of `_has` hops whose far end has at least this many matches
    /// walks (500): each match leads to one resource per hop, but through a lookup each.
    /// (PostgreSQL counts a chain's own matches, against `many`.)
    pub many_through_has: u32,
    /// On SQLite, a chain with a forward hop whose far end has at least this many matches
    /// walks (100): a forward hop fans out (600 Locations in a city are 17,000
    /// PractitionerRoles).
    pub many_fanning_out: u32,
    /// How much work a walk may do on SQLite before the search gathers the matches
    /// instead, in thousands of SQLite virtual machine steps (300: about 10 ms of index
    /// lookups on this project's 2-core machine; the walks of `BENCHMARKS.md` take 30 to
    /// 150). Steps, not time: on a busy machine a time budget gave up on walks that were
    /// nearly done.
    pub walk_budget_ksteps: u32,
    /// How many resources of the type a walk may test on PostgreSQL before the search
    /// gathers the matches instead (10,000). PostgreSQL has no budget of steps; a number
    /// of rows is one as well, and is not cut short by a busy machine either.
    pub walk_budget_rows: u32,
}

impl Default for SearchPlan {
    fn default() -> SearchPlan {
        SearchPlan {
            many: 2_000,
            many_through_has: 500,
            many_fanning_out: 100,
            walk_budget_ksteps: 300,
            walk_budget_rows: 10_000,
        }
    }
}

impl SearchPlan {
    /// Walks every search a clause drives, with no budget (for tests of the walk).
    pub fn walk_always() -> SearchPlan {
        SearchPlan {
            many: 0,
            many_through_has: 0,
            many_fanning_out: 0,
            walk_budget_ksteps: u32::MAX,
            walk_budget_rows: u32::MAX,
        }
    }

    /// Starts a walk for every search a clause drives and gives up at once, so each is
    /// gathered after an interrupted walk (for tests of the fallback).
    pub fn walk_interrupted() -> SearchPlan {
        SearchPlan {
            many: 0,
            many_through_has: 0,
            many_fanning_out: 0,
            walk_budget_ksteps: 0,
            walk_budget_rows: 0,
        }
    }
}

/// The statement counting the driving `clause`'s matches (for a chain on SQLite, those at
/// its far end), no further than what `plan` calls many for its kind: with that number,
/// or `None` when every search walks (many is 0).
pub(crate) fn capped_count_sql(
    dialect: Dialect,
    query: &SearchQuery,
    clause: &Clause,
    plan: SearchPlan,
) -> Option<(Sql, i64)> {
    let landing_type = match clause.links.last() {
        Some(link) => link.landing_type(),
        None => query.resource_type.as_str(),
    };
    let fans_out = clause
        .links
        .iter()
        .any(|link| matches!(link, Link::Forward { .. }));
    let many = match (clause.links.is_empty(), fans_out, dialect) {
        (true, _, _) | (false, _, Dialect::Postgres) => plan.many,
        (false, true, Dialect::Sqlite) => plan.many_fanning_out,
        (false, false, Dialect::Sqlite) => plan.many_through_has,
    };
    if many == 0 {
        return None;
    }
    let mut sql = Sql::new(dialect);
    sql.push("SELECT count(*) FROM (");
    match dialect {
        // The far end: cheaper to count in SQLite, and the thresholds above say how much
        // each kind of hop multiplies.
        Dialect::Sqlite => matching_seqs_sql(&mut sql, landing_type, &[], clause),
        // The chain's own matches: PostgreSQL stops the count at `many` as the chain
        // streams, and how much a hop multiplies is not a constant (two organizations
        // named Riverside are 75,000 EOBs).
        Dialect::Postgres => {
            matching_seqs_sql(&mut sql, &query.resource_type, &clause.links, clause)
        }
    }
    sql.push(" LIMIT ");
    sql.bind(i64::from(many));
    sql.push(") AS m");
    Some((sql, i64::from(many)))
}

/// The statement of one page of `query` (or, for `_summary=count`, of its count), with
/// the clause `driver` looked up first ([`driving_clause`]): every match gathered, then
/// ordered and cut. Selects `seq, id, version, last_updated, json` and, sorted, the sort
/// value `k`; one more row than the page holds, so the caller knows whether there is a
/// next page.
pub(crate) fn page_sql(dialect: Dialect, query: &SearchQuery, driver: Option<usize>) -> Sql {
    let mut sql = Sql::new(dialect);
    let sort = query.sort.as_ref();
    if query.summary_count {
        sql.push("SELECT count(*) FROM resources r WHERE ");
    } else {
        // A sorted search selects its sort value `k` too, and is ordered and resumed in an
        // outer query on it.
        if sort.is_some() {
            sql.push("SELECT seq, id, version, last_updated, json, k FROM (");
        }
        sql.push("SELECT r.seq, r.id, r.version, r.last_updated, r.json");
        if let Some(sort) = sort {
            sql.push(", ");
            match sort.param {
                None => sql.push("r.last_updated"),
                Some(def) => {
                    sql.push("(SELECT min(i.start) FROM idx_date i ");
                    sql.indexed_by("idx_date_seq");
                    sql.push("WHERE i.seq = r.seq AND i.param = ");
                    sql.bind(param_id(&query.resource_type, def.code));
                    sql.push(")");
                }
            }
            sql.push(" AS k");
        }
        sql.push(" FROM resources r WHERE ");
    }
    // `r.type` unindexed keeps SQLite's planner from preferring the type index.
    let compartment_drives = compartment_drives(query);
    match (driver, &query.compartment) {
        (Some(i), _) => {
            let clause = &query.clauses[i];
            sql.push("r.seq IN (");
            matching_seqs_sql(&mut sql, &query.resource_type, &clause.links, clause);
            sql.push(") AND ");
            sql.unindexed("r.type");
            sql.push(" = ");
        }
        (None, Some(compartment)) if compartment_drives => {
            sql.push("r.seq IN (SELECT i.seq FROM idx_ref i WHERE ");
            compartment_refs(&mut sql, &query.resource_type, compartment);
            if query.resource_type == "Patient" {
                // The Patient itself, looked up rather than found by testing every Patient.
                sql.push(" UNION ALL SELECT seq FROM resources WHERE type = 'Patient' AND id = ");
                sql.bind(compartment.patient_id.clone());
            }
            sql.push(") AND ");
            sql.unindexed("r.type");
            sql.push(" = ");
        }
        _ => sql.push("r.type = "),
    }
    sql.bind(query.resource_type.clone());
    // The other clauses are tested on each resource the driver found, one by one.
    sql.and_per_row(|sql| {
        for (i, clause) in query.clauses.iter().enumerate() {
            if Some(i) != driver {
                sql.push(" AND ");
                clause_sql(sql, &query.resource_type, clause);
            }
        }
        if let Some(compartment) = &query.compartment
            && !compartment_drives
        {
            sql.push(" AND ");
            compartment_sql(sql, &query.resource_type, compartment);
        }
    });
    if query.summary_count {
        return sql;
    }
    match (sort, query.cursor) {
        (None, None) => sql.push(" ORDER BY r.seq"),
        (None, Some(cursor)) => {
            let (Cursor::After(seq) | Cursor::AfterSorted { seq, .. }) = cursor;
            sql.push(" AND r.seq > ");
            sql.bind(seq);
            sql.push(" ORDER BY r.seq");
        }
        (Some(sort), cursor) => {
            sql.push(") AS s WHERE ");
            match cursor {
                None => sql.push("TRUE"),
                Some(Cursor::AfterSorted {
                    value: Some(v),
                    seq,
                }) => {
                    // After (v, seq) in (k, seq) order; resources without `k` come last.
                    sql.push(if sort.descending { "(k < " } else { "(k > " });
                    sql.bind(v);
                    sql.push(" OR (k = ");
                    sql.bind(v);
                    sql.push(" AND seq > ");
                    sql.bind(seq);
                    sql.push(") OR k IS NULL)");
                }
                Some(Cursor::AfterSorted { value: None, seq } | Cursor::After(seq)) => {
                    sql.push("k IS NULL AND seq > ");
                    sql.bind(seq);
                }
            }
            sql.push(if sort.descending {
                " ORDER BY k IS NULL, k DESC, seq"
            } else {
                " ORDER BY k IS NULL, k, seq"
            });
        }
    }
    sql.push(" LIMIT ");
    sql.bind(query.count as i64 + 1);
    sql
}

/// The number that stands for search parameter `resource.code` in the index tables: the
/// 31-bit FNV-1a hash of its name. Index rows are most of the database and of a load's
/// b-tree work; a 4-byte integer in place of a name such as
/// `ExplanationOfBenefit.service-date` roughly halves each lookup-index entry. A hash
/// needs no table of numbers kept in step between replicas or versions; a test checks
/// that no two parameters share one.
pub(crate) fn param_id(resource: &str, code: &str) -> i64 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in resource.bytes().chain([b'.']).chain(code.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i64::from(hash & 0x7fff_ffff)
}

/// Checks that a stored resource is whole: its JSON parses, its `meta.versionId` is its
/// row's version, and its index rows (`stored`: parameter id and value) are exactly what
/// its content yields, extracted here from the whole JSON, independently of how the write
/// extracted them. The error names the resource.
pub(crate) fn check_whole(
    seq: i64,
    resource_type: &str,
    id: &str,
    version: i64,
    json: &str,
    mut stored: Vec<(i64, IndexValue)>,
) -> Result<()> {
    let broken = |why: &str| Error::Store(format!("{resource_type}/{id} (seq {seq}): {why}"));
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|_| broken("JSON does not parse"))?;
    if value["meta"]["versionId"] != version.to_string().as_str() {
        return Err(broken("meta.versionId differs from the row's version"));
    }
    let mut expected: Vec<(i64, IndexValue)> = extract(resource_type, &value)
        .into_iter()
        .map(|e| (param_id(e.param.resource, e.param.code), e.value))
        .collect();
    expected.sort();
    stored.sort();
    if stored != expected {
        return Err(broken("its index rows differ from what its content yields"));
    }
    Ok(())
}

/// Which clause drives the query, looked up in the index tables first; `None` when the
/// compartment drives or nothing can (every resource of the type is then tested).
pub(crate) fn driving_clause(query: &SearchQuery) -> Option<usize> {
    // The query is driven from an index table when it can be: `r.seq IN (SELECT seq FROM
    // idx_... WHERE param = ? AND ...)` makes SQLite look the matches up by rowid, where
    // filtering every resource of the type with a correlated EXISTS would scan them all
    // (0.3 ms against 18 ms for one member's EOBs among 19,000).
    let plain = query.clauses.iter().position(is_plain);
    if plain.is_some() || compartment_drives(query) {
        return plain;
    }
    // Else a chain drives, computed from its far end inward: testing it resource by
    // resource would walk every reference of every resource of the type (90 ms for
    // `Organization?_has:ExplanationOfBenefit:provider:patient=...` among 19,000 EOBs).
    query.clauses.iter().position(|c| !c.links.is_empty())
}

/// Whether a clause can be looked up by value in an index table on its own.
fn is_plain(clause: &Clause) -> bool {
    matches!(clause.target, Target::Param(_))
        && clause.links.is_empty()
        && clause.missing.is_none()
        && !clause.negated
}

/// Whether the member's compartment drives the query (no plain clause can).
fn compartment_drives(query: &SearchQuery) -> bool {
    query.compartment.is_some()
        && Compartment::params(&query.resource_type).is_some_and(|p| !p.is_empty())
        && !query.clauses.iter().any(is_plain)
}

/// One clause as an SQL condition on `r`, meaning what [`Clause::holds_linked`] means.
pub(crate) fn clause_sql(sql: &mut Sql, resource_type: &str, clause: &Clause) {
    linked_sql(sql, "r", resource_type, &clause.links, clause);
}

/// The clause's remaining `links` from the resource aliased `from` (of `resource_type`):
/// each hop an EXISTS over `idx_ref` joined to the current resource it reaches (aliased
/// `h<depth>` and `r<depth>`), then the clause's target on the last one.
fn linked_sql(sql: &mut Sql, from: &str, resource_type: &str, links: &[Link], clause: &Clause) {
    let Some((link, rest)) = links.split_first() else {
        target_sql(sql, from, clause);
        return;
    };
    let depth = clause.links.len() - links.len() + 1;
    let (hop, to) = (format!("h{depth}"), format!("r{depth}"));
    match *link {
        // The references of `from` (by its seq), to resources that exist.
        Link::Forward { param, target_type } => {
            sql.push(&format!("EXISTS (SELECT 1 FROM idx_ref {hop} "));
            sql.indexed_by("idx_ref_seq");
            sql.push(&format!(
                "JOIN resources {to} ON {to}.type = {hop}.type AND {to}.id = {hop}.id \
                 WHERE {hop}.seq = {from}.seq AND {hop}.param = "
            ));
            sql.bind(param_id(param.resource, param.code));
            sql.push(&format!(" AND {hop}.type = "));
            sql.bind(target_type.to_owned());
        }
        // The references to `from` (by the lookup index on param and id).
        Link::Reverse { param } => {
            sql.push(&format!(
                "EXISTS (SELECT 1 FROM idx_ref {hop} JOIN resources {to} ON {to}.seq = {hop}.seq \
                 WHERE {hop}.param = "
            ));
            sql.bind(param_id(param.resource, param.code));
            sql.push(&format!(" AND {hop}.id = {from}.id AND {hop}.type = "));
            sql.bind(resource_type.to_owned());
        }
    }
    sql.push(" AND ");
    linked_sql(sql, &to, link.landing_type(), rest, clause);
    sql.push(")");
}

/// `SELECT seq ...`: the resources of `resource_type` the clause holds for through
/// `links`, from the far end inward: the resources the target matches (by the lookup
/// indexes when it can; all a plain driving clause needs), then per hop back the
/// resources that point to them (forward) or that they point to (`_has`). Each level is
/// an uncorrelated subquery.
pub(crate) fn matching_seqs_sql(
    sql: &mut Sql,
    resource_type: &str,
    links: &[Link],
    clause: &Clause,
) {
    let Some((link, rest)) = links.split_first() else {
        match clause.target {
            Target::Param(def) if clause.missing.is_none() && !clause.negated => {
                sql.push("SELECT i.seq FROM ");
                param_condition(sql, resource_type, def, clause, Reach::ByValue);
            }
            _ => {
                sql.push("SELECT t.seq FROM resources t WHERE t.type = ");
                sql.bind(resource_type.to_owned());
                sql.push(" AND ");
                target_sql(sql, "t", clause);
            }
        }
        return;
    };
    match *link {
        // The resources whose reference points to one of the inner set. Joined in this
        // order: SQLite would walk every reference of the parameter instead (47 ms against
        // 7 ms for 2,645 matches among 19,000 EOBs).
        Link::Forward { param, target_type } => {
            sql.push("SELECT h.seq FROM resources t ");
            sql.join_in_order();
            sql.push(" idx_ref h ON h.param = ");
            sql.bind(param_id(param.resource, param.code));
            sql.push(" AND h.id = t.id AND h.type = t.type WHERE t.seq IN (");
            matching_seqs_sql(sql, target_type, rest, clause);
            sql.push(")");
        }
        // The resources the inner set's references point to, from the inner set's rows
        // (named: SQLite would otherwise walk the parameter's whole lookup range; 4 ms
        // against 0.1 ms).
        Link::Reverse { param } => {
            sql.push("SELECT t.seq FROM idx_ref h ");
            sql.indexed_by("idx_ref_seq");
            sql.push("JOIN resources t ON t.type = h.type AND t.id = h.id WHERE h.param = ");
            sql.bind(param_id(param.resource, param.code));
            sql.push(" AND h.type = ");
            sql.bind(resource_type.to_owned());
            sql.push(" AND h.seq IN (");
            matching_seqs_sql(sql, param.resource, rest, clause);
            sql.push(")");
        }
    }
}

/// The clause's target as an SQL condition on the resource aliased `on`, meaning what
/// [`Clause::matches`] means.
fn target_sql(sql: &mut Sql, on: &str, clause: &Clause) {
    match (clause.target, clause.missing) {
        // Every resource has an id and a lastUpdated.
        (Target::Id | Target::LastUpdated, Some(missing)) => {
            sql.push(if missing { "FALSE" } else { "TRUE" })
        }
        (Target::Id, None) => {
            sql.push(if clause.negated { "NOT (" } else { "(" });
            or_list(sql, &clause.values, |sql, v| {
                if let ClauseValue::Token {
                    code: Some(code), ..
                } = v
                {
                    sql.push(&format!("{on}.id = "));
                    sql.bind(code.clone());
                } else {
                    sql.push("FALSE");
                }
            });
            sql.push(")");
        }
        (Target::LastUpdated, None) => {
            sql.push("(");
            let (start, end) = (
                format!("{on}.last_updated"),
                format!("({on}.last_updated + 1)"),
            );
            or_list(sql, &clause.values, |sql, v| {
                if let ClauseValue::Date {
                    prefix,
                    start: ps,
                    end: pe,
                } = v
                {
                    date_sql(sql, *prefix, *ps, *pe, &start, &end);
                } else {
                    sql.push("FALSE");
                }
            });
            sql.push(")");
        }
        (Target::Param(def), _) => {
            let negate = clause.negated || clause.missing == Some(true);
            sql.push(if negate {
                "NOT EXISTS (SELECT 1 FROM "
            } else {
                "EXISTS (SELECT 1 FROM "
            });
            param_condition(sql, def.resource, def, clause, Reach::ByResource);
            sql.push(&format!(" AND i.seq = {on}.seq)"));
        }
    }
}

/// How a clause's index rows are reached.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// By value, through the lookup index: the clause drives the query.
    ByValue,
    /// Those of one resource (`i.seq = r.seq` follows), through the `seq` index. Named
    /// in the SQL: without statistics, SQLite may otherwise scan the lookup index's whole
    /// range of a date or string for each resource (190 ms against 1 ms per page).
    ByResource,
}

/// `idx_<type> i WHERE i.param = ? [AND (<values>)]`: the index rows of one clause (all
/// rows of the parameter for `:missing`).
fn param_condition(
    sql: &mut Sql,
    resource_type: &str,
    def: &SearchParamDef,
    clause: &Clause,
    reach: Reach,
) {
    let table = index_table(def.kind);
    sql.push(table);
    sql.push(" i ");
    if reach == Reach::ByResource {
        sql.indexed_by(&format!("{table}_seq"));
    }
    sql.push("WHERE i.param = ");
    sql.bind(param_id(resource_type, def.code));
    if clause.missing.is_none() {
        sql.push(" AND (");
        or_list(sql, &clause.values, value_sql);
        sql.push(")");
    }
}

fn index_table(kind: ParamType) -> &'static str {
    match kind {
        ParamType::Token => "idx_token",
        ParamType::String => "idx_string",
        ParamType::Date => "idx_date",
        ParamType::Reference => "idx_ref",
    }
}

/// `i.type = 'Patient' AND i.id = ? AND i.param IN (...)`: the compartment's references.
fn compartment_refs(sql: &mut Sql, resource_type: &str, compartment: &Compartment) {
    sql.push("i.type = 'Patient' AND i.id = ");
    sql.bind(compartment.patient_id.clone());
    sql.push(" AND i.param IN (");
    for (n, p) in Compartment::params(resource_type)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(param_id(resource_type, p.code));
    }
    sql.push(")");
}

/// [`Compartment::contains`] in SQL.
pub(crate) fn compartment_sql(sql: &mut Sql, resource_type: &str, compartment: &Compartment) {
    sql.push("(");
    if resource_type == "Patient" {
        sql.push("r.id = ");
        sql.bind(compartment.patient_id.clone());
        sql.push(" OR ");
    }
    if Compartment::params(resource_type)
        .unwrap_or_default()
        .is_empty()
    {
        sql.push("FALSE");
    } else {
        sql.push("EXISTS (SELECT 1 FROM idx_ref i ");
        sql.indexed_by("idx_ref_seq");
        sql.push("WHERE i.seq = r.seq AND ");
        compartment_refs(sql, resource_type, compartment);
        sql.push(")");
    }
    sql.push(")");
}

fn or_list(sql: &mut Sql, values: &[ClauseValue], mut each: impl FnMut(&mut Sql, &ClauseValue)) {
    if values.is_empty() {
        sql.push("FALSE");
    }
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push("(");
        each(sql, v);
        sql.push(")");
    }
}

fn value_sql(sql: &mut Sql, value: &ClauseValue) {
    match value {
        ClauseValue::Token { system, code } => {
            let mut first = true;
            if let Some(code) = code {
                sql.push("i.code = ");
                sql.bind(code.clone());
                first = false;
            }
            match system.as_deref() {
                None => {}
                Some(s) => {
                    if !first {
                        sql.push(" AND ");
                    }
                    first = false;
                    if s.is_empty() {
                        sql.push("i.system IS NULL");
                    } else {
                        sql.push("i.system = ");
                        sql.bind(s.to_owned());
                    }
                }
            }
            if first {
                sql.push("TRUE");
            }
        }
        ClauseValue::String { value, mode } => match mode {
            StringMode::Prefix => {
                // The values starting with the prefix are exactly a range of the lookup
                // index (parameter, value, seq) in code point order (SQLite's binary
                // order of UTF-8; PostgreSQL's column is `COLLATE "C"`). Tested as
                // `substr(...) = prefix` instead, `Practitioner?name=Smith` read every name
                // of 100,000 practitioners (95 ms).
                sql.push("i.value >= ");
                sql.bind(value.clone());
                if let Some(above) = successor(value) {
                    sql.push(" AND i.value < ");
                    sql.bind(above);
                }
            }
            StringMode::Exact => {
                sql.push("i.value = ");
                sql.bind(value.clone());
            }
            StringMode::Contains => {
                sql.push(match sql.dialect {
                    Dialect::Sqlite => "instr(i.value, ",
                    Dialect::Postgres => "strpos(i.value, ",
                });
                sql.bind(value.clone());
                sql.push(") > 0");
            }
        },
        ClauseValue::Date { prefix, start, end } => {
            date_sql(sql, *prefix, *start, *end, "i.start", "i.end")
        }
        ClauseValue::Reference { target_type, id } => {
            sql.push("i.id = ");
            sql.bind(id.clone());
            if let Some(t) = target_type {
                sql.push(" AND i.type = ");
                sql.bind(t.clone());
            }
        }
    }
}

/// The first string in code point order above every string that starts with `prefix`:
/// the prefix without its trailing `char::MAX`s, with its last character one higher;
/// `None` when there is no such string (nothing but `char::MAX`s, or empty: every string
/// starts with the empty prefix).
fn successor(prefix: &str) -> Option<String> {
    let kept = prefix.trim_end_matches(char::MAX);
    let last = kept.chars().next_back()?;
    // One higher, past the surrogates, which are not characters.
    let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32)?;
    let mut above = kept[..kept.len() - last.len_utf8()].to_owned();
    above.push(next);
    Some(above)
}

/// `crate::search::query::date_matches` in SQL, for a resource range `(rs, re)`.
fn date_sql(sql: &mut Sql, prefix: DatePrefix, ps: i64, pe: i64, rs: &str, re: &str) {
    let contained = |sql: &mut Sql| {
        sql.push(&format!("({rs} >= "));
        sql.bind(ps);
        sql.push(&format!(" AND {re} <= "));
        sql.bind(pe);
        sql.push(")");
    };
    match prefix {
        DatePrefix::Eq => contained(sql),
        DatePrefix::Ne => {
            sql.push("NOT ");
            contained(sql);
        }
        DatePrefix::Gt => {
            sql.push(&format!("{re} > "));
            sql.bind(pe);
        }
        DatePrefix::Lt => {
            sql.push(&format!("{rs} < "));
            sql.bind(ps);
        }
        DatePrefix::Ge => {
            sql.push(&format!("{re} > "));
            sql.bind(pe);
            sql.push(" OR ");
            contained(sql);
        }
        DatePrefix::Le => {
            sql.push(&format!("{rs} < "));
            sql.bind(ps);
            sql.push(" OR ");
            contained(sql);
        }
        DatePrefix::Sa => {
            sql.push(&format!("{rs} >= "));
            sql.bind(pe);
        }
        DatePrefix::Eb => {
            sql.push(&format!("{re} <= "));
            sql.bind(ps);
        }
        DatePrefix::Ap => {
            sql.push(&format!("{rs} < "));
            sql.bind(pe);
            sql.push(&format!(" AND {re} > "));
            sql.bind(ps);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::generated::search_params::SEARCH_PARAMS;

    #[test]
    fn no_two_search_parameters_share_an_id() {
        let mut ids = std::collections::HashMap::new();
        for p in SEARCH_PARAMS {
            let name = format!("{}.{}", p.resource, p.code);
            if let Some(other) = ids.insert(param_id(p.resource, p.code), name.clone()) {
                assert_eq!(other, name, "{other} and {name} share an id");
            }
        }
        assert!(ids.len() > 1_000);
    }

    #[test]
    fn a_prefix_successor_bounds_exactly_the_strings_with_that_prefix() {
        assert_eq!(successor("smith").as_deref(), Some("smiti"));
        assert_eq!(successor("caf\u{e9}").as_deref(), Some("caf\u{ea}"));
        // Past the surrogates, and past trailing maximal characters.
        assert_eq!(successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(successor("ab\u{10ffff}").as_deref(), Some("ac"));
        assert_eq!(successor("\u{10ffff}"), None);
        assert_eq!(successor(""), None);
        let prefix = "ab\u{10ffff}";
        let above = successor(prefix).unwrap();
        for s in ["ab\u{10ffff}", "ab\u{10ffff}z", "ab\u{10ffff}\u{10ffff}"] {
            assert!(s >= prefix && s < above.as_str(), "{s:?}");
        }
        for s in ["ab", "abz", "ac"] {
            assert!(!(s >= prefix && s < above.as_str()), "{s:?}");
        }
    }
}
