//! [`MemoryStore`]: everything in a mutex-guarded map. For tests and small demos; it is
//! also the reference the SQL stores are compared with, since its search applies
//! [`crate::search::Clause::matches`] directly.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    Clock, Prepared, ResourceStore, SearchPage, StoredResource, SystemClock, WriteOutcome,
};
use crate::access::AuditEvent;
use crate::audit::AuditStore;
use crate::error::{Error, Result};
use crate::search::extract::{IndexEntry, IndexValue};
use crate::search::query::{IndexedResource, Linked};
use crate::search::{Cursor, SearchParamDef, SearchQuery};

/// An in-memory [`ResourceStore`].
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    clock: Arc<dyn Clock>,
    /// The authorization server's state (`crate::auth::AuthStore`).
    pub(crate) auth: Arc<crate::auth::memory::SharedAuthTables>,
    /// The audit trail (`crate::audit::AuditStore`), oldest first.
    audit: Arc<Mutex<Vec<AuditEvent>>>,
}

#[derive(Default)]
struct Inner {
    next_seq: i64,
    entries: HashMap<(String, String), Entry>,
    /// Per resource type: sequence number → id, in store order.
    by_type: HashMap<String, BTreeMap<i64, String>>,
}

struct Entry {
    versions: Vec<StoredResource>,
    index: Vec<IndexEntry>,
    /// The deletion's version, when the resource is deleted: it is then out of `by_type`
    /// and has no index.
    deleted: Option<u64>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::with_clock(Arc::new(SystemClock))
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// An empty store that takes `meta.lastUpdated` from `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        MemoryStore {
            inner: Arc::new(Mutex::new(Inner::default())),
            auth: Arc::default(),
            audit: Arc::default(),
            clock,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| Error::Store("memory store lock poisoned".to_owned()))
    }
}

impl AuditStore for MemoryStore {
    async fn append_audit(&self, events: Vec<AuditEvent>) -> Result<()> {
        self.audit
            .lock()
            .map_err(|_| Error::Store("memory store lock poisoned".to_owned()))?
            .extend(events);
        Ok(())
    }

    async fn audit_events(&self, subject: Option<&str>, limit: usize) -> Result<Vec<AuditEvent>> {
        let events = self
            .audit
            .lock()
            .map_err(|_| Error::Store("memory store lock poisoned".to_owned()))?;
        Ok(events
            .iter()
            .rev()
            .filter(|e| subject.is_none() || e.subject.as_deref() == subject)
            .take(limit)
            .cloned()
            .collect())
    }
}

impl ResourceStore for MemoryStore {
    async fn upsert(&self, batch: Vec<Prepared>) -> Result<Vec<WriteOutcome>> {
        let now = self.clock.now_ms();
        let mut inner = self.lock()?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for prepared in batch {
            let key = (prepared.resource_type.clone(), prepared.id.clone());
            if let Some(entry) = inner.entries.get_mut(&key)
                && entry.deleted.is_none()
            {
                let current = entry
                    .versions
                    .last()
                    .ok_or_else(|| Error::Store("entry without versions".into()))?;
                if prepared.same_content(current.version, current.last_updated_ms, &current.json) {
                    outcomes.push(WriteOutcome::Unchanged);
                    continue;
                }
                let version = current.version + 1;
                entry.versions.push(stored(&prepared, version, now));
                entry.index = prepared.index;
                outcomes.push(WriteOutcome::Updated);
            } else {
                // New, or written again after a deletion (its versions continue).
                let (mut versions, version) = match inner.entries.remove(&key) {
                    Some(Entry {
                        versions,
                        deleted: Some(deleted),
                        ..
                    }) => (versions, deleted + 1),
                    _ => (Vec::new(), 1),
                };
                inner.next_seq += 1;
                let seq = inner.next_seq;
                inner
                    .by_type
                    .entry(key.0.clone())
                    .or_default()
                    .insert(seq, key.1.clone());
                versions.push(stored(&prepared, version, now));
                inner.entries.insert(
                    key,
                    Entry {
                        versions,
                        index: prepared.index,
                        deleted: None,
                    },
                );
                outcomes.push(WriteOutcome::Created);
            }
        }
        Ok(outcomes)
    }

    async fn delete(&self, resource_type: &str, id: &str) -> Result<Option<u64>> {
        let mut inner = self.lock()?;
        let key = (resource_type.to_owned(), id.to_owned());
        let Some(entry) = inner.entries.get_mut(&key) else {
            return Ok(None);
        };
        if entry.deleted.is_some() {
            return Ok(None);
        }
        let version = entry.versions.last().map_or(0, |v| v.version) + 1;
        entry.deleted = Some(version);
        entry.index.clear();
        if let Some(seqs) = inner.by_type.get_mut(resource_type) {
            seqs.retain(|_, other| other != id);
        }
        Ok(Some(version))
    }

    async fn read(&self, resource_type: &str, id: &str) -> Result<StoredResource> {
        let inner = self.lock()?;
        match inner
            .entries
            .get(&(resource_type.to_owned(), id.to_owned()))
        {
            Some(Entry {
                deleted: Some(_), ..
            }) => Err(Error::Gone(format!("{resource_type}/{id}"))),
            entry => entry
                .and_then(|e| e.versions.last().cloned())
                .ok_or_else(|| Error::NotFound(format!("{resource_type}/{id}"))),
        }
    }

    async fn vread(&self, resource_type: &str, id: &str, version: u64) -> Result<StoredResource> {
        let inner = self.lock()?;
        let entry = inner
            .entries
            .get(&(resource_type.to_owned(), id.to_owned()));
        if entry.is_some_and(|e| e.deleted == Some(version)) {
            return Err(Error::Gone(format!(
                "{resource_type}/{id}/_history/{version}"
            )));
        }
        entry
            .and_then(|e| e.versions.iter().find(|v| v.version == version).cloned())
            .ok_or_else(|| Error::NotFound(format!("{resource_type}/{id}/_history/{version}")))
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        let inner = self.lock()?;
        let Some(ids) = inner.by_type.get(&query.resource_type) else {
            return Ok(SearchPage {
                total: query.summary_count.then_some(0),
                ..SearchPage::default()
            });
        };
        // Every match with its sort value, in result order; then the page after the
        // cursor. (A linear scan: this store is for tests and small demos.)
        let mut matches: Vec<(Option<i64>, i64, &Entry)> = ids
            .iter()
            .filter_map(|(seq, id)| {
                let entry = inner
                    .entries
                    .get(&(query.resource_type.clone(), id.clone()))?;
                entry_matches(&inner, entry, id, query)
                    .then(|| (sort_value(entry, query), *seq, entry))
            })
            .collect();
        if query.summary_count {
            return Ok(SearchPage {
                total: Some(matches.len() as u64),
                ..SearchPage::default()
            });
        }
        if let Some(sort) = &query.sort {
            matches.sort_by(|a, b| sort.order((a.0, a.1), (b.0, b.1)));
        }
        let after = |m: &(Option<i64>, i64, &Entry)| match (query.cursor, &query.sort) {
            (None, _) => true,
            (Some(Cursor::After(seq)), _) => m.1 > seq,
            (Some(Cursor::AfterSorted { value, seq }), Some(sort)) => {
                sort.order((value, seq), (m.0, m.1)) == std::cmp::Ordering::Less
            }
            (Some(Cursor::AfterSorted { seq, .. }), None) => m.1 > seq,
        };
        let mut page = SearchPage::default();
        let mut last = None;
        for m in matches.iter().filter(|m| after(m)) {
            if page.resources.len() == query.count {
                page.next_cursor = last;
                break;
            }
            if let Some(current) = m.2.versions.last() {
                page.resources.push(current.clone());
                last = Some(match query.sort {
                    Some(_) => Cursor::AfterSorted {
                        value: m.0,
                        seq: m.1,
                    },
                    None => Cursor::After(m.1),
                });
            }
        }
        Ok(page)
    }
}

/// The resource's sort value for `query.sort`: the earliest start of its values for the
/// parameter, or its `lastUpdated`.
fn sort_value(entry: &Entry, query: &SearchQuery) -> Option<i64> {
    let sort = query.sort.as_ref()?;
    match sort.param {
        None => entry.versions.last().map(|v| v.last_updated_ms),
        Some(def) => entry
            .index
            .iter()
            .filter(|e| std::ptr::eq(e.param, def))
            .filter_map(|e| match e.value {
                IndexValue::Date { start, .. } => Some(start),
                _ => None,
            })
            .min(),
    }
}

fn stored(prepared: &Prepared, version: u64, now: i64) -> StoredResource {
    StoredResource {
        resource_type: prepared.resource_type.clone(),
        id: prepared.id.clone(),
        version,
        last_updated_ms: now,
        json: prepared.finalize(version, now),
    }
}

fn entry_matches(inner: &Inner, entry: &Entry, id: &str, query: &SearchQuery) -> bool {
    if let Some(compartment) = &query.compartment
        && !compartment.contains(&query.resource_type, id, &entry.index)
    {
        return false;
    }
    let resource = indexed(id, entry);
    query
        .clauses
        .iter()
        .all(|clause| clause.holds_linked(inner, &query.resource_type, resource))
}

fn indexed<'a>(id: &'a str, entry: &'a Entry) -> IndexedResource<'a> {
    IndexedResource {
        id,
        last_updated_ms: entry.versions.last().map_or(0, |v| v.last_updated_ms),
        index: &entry.index,
    }
}

impl Linked for Inner {
    fn resource(&self, resource_type: &str, id: &str) -> Option<IndexedResource<'_>> {
        let ((_, id), entry) = self
            .entries
            .get_key_value(&(resource_type.to_owned(), id.to_owned()))?;
        entry.deleted.is_none().then(|| indexed(id, entry))
    }

    // A scan of the referencing type: this store is for tests and small demos.
    fn referencing(
        &self,
        param: &'static SearchParamDef,
        target_type: &str,
        target_id: &str,
    ) -> Vec<IndexedResource<'_>> {
        let Some(ids) = self.by_type.get(param.resource) else {
            return Vec::new();
        };
        ids.values()
            .filter_map(|id| self.resource(param.resource, id))
            .filter(|source| source.points_to(param, target_type, target_id))
            .collect()
    }
}
