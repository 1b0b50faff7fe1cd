//! Test databases: a temporary SQLite file, or a fresh PostgreSQL schema per test so parallel tests
//! never see each other's rows.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor as _, PgConnection, PgPool, SqlitePool};
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

    /// Runs `sql` (several statements) on a separate connection.
    pub(crate) async fn execute(&self, sql: &str) {
        self.try_execute(sql).await.unwrap();
    }

    /// [`TestDb::execute`], giving back the database's refusal.
    pub(crate) async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let done = match self.raw().await {
            Raw::Sqlite(p) => {
                let done = p.execute(sql).await.map(drop);
                p.close().await;
                done
            }
            Raw::Postgres(p) => {
                let done = p.execute(sql).await.map(drop);
                p.close().await;
                done
            }
        };
        done.map_err(|e| e.to_string())
    }

    /// Inserts bare case rows (no sealed data, events or leaves) from `rows`, a `VALUES` list or a `SELECT` of
    /// (id, requesting state, authority, reference, measure, urgency, channel, recommendation, state, received,
    /// due, preservation expiry, next event number, received leaf), on a separate connection that then ends, so
    /// that PostgreSQL's statistics count them.
    pub(crate) async fn insert_bare_cases(&self, rows: &str) {
        self.execute(&format!(
            "INSERT INTO cases (id, requesting_state, authority, reference, measure, urgency, channel, \
             recommended, state, received_at, due_at, preservation_expires_at, next_seq, received_leaf) {rows}"
        ))
        .await;
    }

    /// Reads rows of one query on a separate connection.
    pub(crate) async fn fetch<T>(&self, sql: &str) -> Vec<T>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        match self.raw().await {
            Raw::Sqlite(p) => {
                let rows = sqlx::query_as(sql).fetch_all(&p).await.unwrap();
                p.close().await;
                rows
            }
            Raw::Postgres(p) => {
                let rows = sqlx::query_as(sql).fetch_all(&p).await.unwrap();
                p.close().await;
                rows
            }
        }
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

/// How PostgreSQL's statistics count the reads of `cases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CaseReads {
    /// Whole-table scans.
    pub(crate) scans: i64,
    /// Rows fetched through indexes.
    pub(crate) fetched: i64,
    /// Rows inserted.
    pub(crate) inserted: i64,
}

/// `cases` as PostgreSQL's statistics count it, once they count `inserted` rows. A session reports its counts as
/// it ends, so this waits for the sessions that wrote them to end.
pub(crate) async fn case_reads(pool: &PgPool, inserted: i64) -> CaseReads {
    let mut counts = (0, 0, 0);
    for _ in 0..200 {
        counts = sqlx::query_as(
            "SELECT seq_scan, idx_tup_fetch, n_tup_ins FROM pg_stat_user_tables \
             WHERE relname = 'cases' AND schemaname = current_schema()",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if counts.2 >= inserted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(counts.2, inserted, "PostgreSQL counted every inserted case");
    CaseReads { scans: counts.0, fetched: counts.1, inserted: counts.2 }
}
