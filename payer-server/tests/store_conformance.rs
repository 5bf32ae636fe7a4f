//! The store conformance tests (resources, the authorization server's state and the audit
//! trail) on every
//! store: in memory, SQLite in memory, SQLite in a file (WAL), and (feature `postgres`)
//! PostgreSQL; and the resource tests on SQLite and PostgreSQL with each search plan
//! forced: walking the type in order, and walking then giving up at once (gathering the
//! matches after an interrupted walk).

#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod support;

#[cfg(feature = "postgres")]
mod postgres {
    payer_server::store_conformance_tests!(crate::support::fresh_store);
    payer_server::auth_store_conformance_tests!(crate::support::fresh_store);
    payer_server::audit_store_conformance_tests!(crate::support::fresh_store);
}

#[cfg(feature = "postgres")]
mod postgres_walking {
    use payer_server::store::SearchPlan;
    payer_server::store_conformance_tests!(|| async {
        crate::support::fresh_store()
            .await
            .with_search_plan(SearchPlan::walk_always())
    });
}

#[cfg(feature = "postgres")]
mod postgres_walk_interrupted {
    use payer_server::store::SearchPlan;
    payer_server::store_conformance_tests!(|| async {
        crate::support::fresh_store()
            .await
            .with_search_plan(SearchPlan::walk_interrupted())
    });
}

mod memory {
    payer_server::store_conformance_tests!(|| async { payer_server::store::MemoryStore::new() });
    payer_server::auth_store_conformance_tests!(|| async {
        payer_server::store::MemoryStore::new()
    });
    payer_server::audit_store_conformance_tests!(|| async {
        payer_server::store::MemoryStore::new()
    });
}

mod sqlite_in_memory {
    payer_server::store_conformance_tests!(|| async {
        payer_server::store::SqliteStore::in_memory().expect("open sqlite in memory")
    });
    payer_server::auth_store_conformance_tests!(|| async {
        payer_server::store::SqliteStore::in_memory().expect("open sqlite in memory")
    });
    payer_server::audit_store_conformance_tests!(|| async {
        payer_server::store::SqliteStore::in_memory().expect("open sqlite in memory")
    });
}

mod sqlite_file {
    fn open() -> payer_server::store::SqliteStore {
        // The directory is leaked on purpose: the store outlives this block.
        let dir = tempfile::tempdir().expect("temp dir").keep();
        payer_server::store::SqliteStore::open(dir.join("store.sqlite")).expect("open sqlite file")
    }
    payer_server::store_conformance_tests!(|| async { open() });
    payer_server::auth_store_conformance_tests!(|| async { open() });
    payer_server::audit_store_conformance_tests!(|| async { open() });
}

mod sqlite_walking {
    use payer_server::store::{SearchPlan, SqliteStore};
    payer_server::store_conformance_tests!(|| async {
        SqliteStore::in_memory()
            .expect("open sqlite in memory")
            .with_search_plan(SearchPlan::walk_always())
    });
}

mod sqlite_walk_interrupted {
    use payer_server::store::{SearchPlan, SqliteStore};
    payer_server::store_conformance_tests!(|| async {
        SqliteStore::in_memory()
            .expect("open sqlite in memory")
            .with_search_plan(SearchPlan::walk_interrupted())
    });
}
