//! Test databases: a temporary SQLite file, or a fresh PostgreSQL schema per test so parallel tests
//! never see each other's rows.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection, PgPool, SqlitePool};
use store::Store;

/// Which backend a test database uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqlite,
    Postgres,
}

/// A database for one test, with raw access for tampering.
pub(crate) struct TestDb {
    pub(crate) kind: Kind,
    pub(crate) url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub(crate) async fn store(&self) -> Store {
        Store::connect(&self.url).await.unwrap()
    }

    /// Runs raw SQL with binds `(bytes, i64, i64)` through a separate connection, as an attacker
    /// with database access would; `$1`/`?` placeholders are written by the caller per backend.
    pub(crate) async fn raw(&self) -> Raw {
        match self.kind {
            Kind::Sqlite => Raw::Sqlite(SqlitePool::connect(&self.url).await.unwrap()),
            Kind::Postgres => Raw::Postgres(PgPool::connect(&self.url).await.unwrap()),
        }
    }
}

/// A raw pool for tests that tamper with rows.
pub(crate) enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub(crate) fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    TestDb { kind: Kind::Sqlite, url, _dir: Some(dir) }
}

/// A fresh schema on `TEST_DATABASE_URL`, or `None` when PostgreSQL tests are not requested.
///
/// With `RIGHTSGATE_REQUIRE_POSTGRES=1` a missing or unreachable database fails the test.
pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let required = std::env::var("RIGHTSGATE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        assert!(!required, "RIGHTSGATE_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
        return None;
    };
    let mut conn = match PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => panic!("TEST_DATABASE_URL is set but unreachable: {e}"),
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let schema = format!("rg_{}_{}_{n}", test, std::process::id());
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Some(TestDb { kind: Kind::Postgres, url, _dir: None })
}
