//! The PostgreSQL the tests run against: `PAYER_SERVER_TEST_POSTGRES` names a database
//! (`cargo xtask ci` starts a throwaway cluster and sets it). Every store a test opens
//! lives in a schema of its own, so tests running at once never see each other's rows.

#![allow(
    dead_code,
    reason = "each test file that includes this uses part of it"
)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the test database.
pub(crate) const TEST_POSTGRES_ENV: &str = "PAYER_SERVER_TEST_POSTGRES";

/// The URL of the test database, from [`TEST_POSTGRES_ENV`].
pub(crate) fn test_database_url() -> String {
    std::env::var(TEST_POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{TEST_POSTGRES_ENV} is not set: these tests need a PostgreSQL database \
             (postgres://user@127.0.0.1:port/db). `cargo xtask ci` starts a throwaway one \
             and sets it."
        )
    })
}

/// A new empty schema in the test database, and the URL whose connections use it.
pub(crate) async fn fresh_schema_url() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let url = test_database_url();
    let schema = format!(
        "test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {TEST_POSTGRES_ENV}: {e}"));
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap_or_else(|e| panic!("creating schema {schema}: {e}"));
    drop(client);
    let _ = task.await;
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// A [`payer_server::store::PostgresStore`] in a new empty schema.
pub(crate) async fn fresh_store() -> payer_server::store::PostgresStore {
    payer_server::store::PostgresStore::connect(&fresh_schema_url().await)
        .await
        .unwrap_or_else(|e| panic!("connecting the store: {e}"))
}
