//! Persistence and search: the [`ResourceStore`] trait, its in-memory implementation
//! ([`MemoryStore`]), the default embedded SQLite one ([`SqliteStore`]), and the
//! conformance tests every implementation runs ([`crate::store_conformance_tests!`]).
//!
//! A store keeps the current version of each resource with its history, the search index
//! entries of the current version, and an insertion sequence number that never changes
//! for a resource: search pages are ordered by it and continue after the last one seen,
//! so paging has no duplicates or gaps even while resources are added (keyset paging,
//! never OFFSET).

mod memory;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
mod prepare;
mod sql;
mod sqlite;

use std::future::Future;

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub(crate) use prepare::Prepared;
pub use sql::SearchPlan;
pub use sqlite::SqliteStore;

use crate::error::Result;
use crate::search::SearchQuery;

/// A resource as stored: the JSON clients receive, with `meta.versionId` and
/// `meta.lastUpdated` set by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredResource {
    /// The resource type.
    pub resource_type: String,
    /// The logical id.
    pub id: String,
    /// The version, from 1.
    pub version: u64,
    /// `meta.lastUpdated`, in milliseconds since the epoch (UTC).
    pub last_updated_ms: i64,
    /// The resource JSON.
    pub json: String,
}

/// What a write did to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteOutcome {
    /// A new resource (version 1).
    Created,
    /// A new version of an existing resource.
    Updated,
    /// The same content as the current version: nothing written, so loading twice is
    /// idempotent.
    Unchanged,
}

/// One page of search results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchPage {
    /// The matches, in store order.
    pub resources: Vec<StoredResource>,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<crate::search::Cursor>,
    /// The number of matches, for `_summary=count` (other searches do not count).
    pub total: Option<u64>,
}

/// A source of the current time, so tests and replicas agree on `meta.lastUpdated`.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the epoch, UTC.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// Persistence and search of FHIR resources. Implement it over your own systems, or use
/// [`SqliteStore`] (default) or [`MemoryStore`]; run [`crate::store_conformance_tests!`] on it.
pub trait ResourceStore: Send + Sync + 'static {
    /// Creates or updates every resource of `batch` in one transaction: on error nothing
    /// is written. A resource whose content equals its current version is left
    /// unchanged. A resource listed twice in one batch is written in order.
    fn upsert(
        &self,
        batch: Vec<Prepared>,
    ) -> impl Future<Output = Result<Vec<WriteOutcome>>> + Send;

    /// Deletes `resource_type/id` in one transaction: its current version stays in the
    /// history, the deletion is recorded as the next version, and the resource is no
    /// longer read (`Error::Gone`) or found by searches. Writing it again continues its
    /// versions. Returns the deletion's version; `None` when there was nothing to delete
    /// (never written, or deleted already), which is not an error (FHIR delete is
    /// idempotent).
    fn delete(
        &self,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<u64>>> + Send;

    /// The current version of `resource_type/id`; `Error::NotFound` if there is none,
    /// `Error::Gone` if it was deleted.
    fn read(
        &self,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<StoredResource>> + Send;

    /// Version `version` of `resource_type/id`; `Error::NotFound` if there is none,
    /// `Error::Gone` if that version is the deletion.
    fn vread(
        &self,
        resource_type: &str,
        id: &str,
        version: u64,
    ) -> impl Future<Output = Result<StoredResource>> + Send;

    /// One page of the resources matching `query`.
    fn search(&self, query: &SearchQuery) -> impl Future<Output = Result<SearchPage>> + Send;

    /// The current versions of the resources `keys` names (`(type, id)`), in that order,
    /// without those never written or deleted: what `_include` reads. The default reads
    /// them one by one; a store that can look them all up at once should (`SqliteStore`
    /// does: 50 reads one by one were most of a 14 ms search page).
    fn read_many(
        &self,
        keys: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<StoredResource>>> + Send {
        async move {
            let mut found = Vec::with_capacity(keys.len());
            for (resource_type, id) in keys {
                match self.read(resource_type, id).await {
                    Ok(resource) => found.push(resource),
                    Err(crate::Error::NotFound(_) | crate::Error::Gone(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(found)
        }
    }
}

/// Runs the store conformance tests on a store: `store_conformance_tests!(make_store)`
/// where `make_store()` returns a fresh, empty store (an `async` block is fine). Every
/// implementation of [`ResourceStore`] runs them (see `tests/store_conformance.rs`).
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        #[tokio::test]
        async fn concurrent_creates_of_one_new_resource_both_succeed() {
            $crate::store::conformance::concurrent_creates_of_one_new_resource_both_succeed(
                $make().await,
            )
            .await;
        }
        #[tokio::test]
        async fn writes_are_versioned_and_idempotent() {
            $crate::store::conformance::writes_are_versioned_and_idempotent($make().await).await;
        }
        #[tokio::test]
        async fn searches_match_the_clause_semantics() {
            $crate::store::conformance::searches_match_the_clause_semantics($make().await).await;
        }
        #[tokio::test]
        async fn chained_searches_follow_references_both_ways() {
            $crate::store::conformance::chained_searches_follow_references_both_ways($make().await)
                .await;
        }
        #[tokio::test]
        async fn deletes_are_versioned_and_gone() {
            $crate::store::conformance::deletes_are_versioned_and_gone($make().await).await;
        }
        #[tokio::test]
        async fn paging_has_no_duplicates_or_gaps_under_inserts() {
            $crate::store::conformance::paging_has_no_duplicates_or_gaps_under_inserts(
                $make().await,
            )
            .await;
        }
    };
}

#[doc(hidden)]
pub mod conformance;
