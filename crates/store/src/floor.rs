//! The floor of the ingest benchmark: a bare insert of one row per request (its bytes) into a fresh table,
//! in the same batched transactions as intake, with no screening, sealing, indexes or ledger. Intake is
//! compared with it to show what the safeguards cost over the database alone.

use sqlx::QueryBuilder;

use crate::{Backend, Store, StoreError};

impl Store {
    /// Inserts `rows` into the benchmark table `bench_floor` in transactions of `batch` rows.
    ///
    /// # Errors
    /// A database error.
    pub async fn bench_floor_insert(
        &self,
        rows: &[Vec<u8>],
        batch: usize,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
                    .execute(pool)
                    .await?;
                for chunk in rows.chunks(batch.max(1)) {
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    for part in chunk.chunks(500) {
                        let mut qb =
                            QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO bench_floor (body) ");
                        qb.push_values(part, |mut b, row| {
                            b.push_bind(row.clone());
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                }
            }
            Backend::Postgres(pool) => {
                sqlx::query("CREATE TABLE IF NOT EXISTS bench_floor (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)")
                    .execute(pool)
                    .await?;
                for chunk in rows.chunks(batch.max(1)) {
                    let mut tx = pool.begin().await?;
                    for part in chunk.chunks(500) {
                        let mut qb =
                            QueryBuilder::<sqlx::Postgres>::new("INSERT INTO bench_floor (body) ");
                        qb.push_values(part, |mut b, row| {
                            b.push_bind(row.clone());
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                }
            }
        }
        Ok(())
    }
}

/// Creates (or empties) the PostgreSQL schema `name` on the database of `base_url` and returns a URL whose
/// connections use it, so a benchmark starts from empty tables without touching others' data.
///
/// # Errors
/// A connection or database error.
pub async fn postgres_fresh_schema(base_url: &str, name: &str) -> Result<String, StoreError> {
    use sqlx::Connection as _;
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(StoreError::UnsupportedUrl(format!("schema name `{name}`")));
    }
    let mut conn = sqlx::PgConnection::connect(base_url).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&mut conn).await?;
    sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&mut conn).await?;
    conn.close().await?;
    let sep = if base_url.contains('?') { '&' } else { '?' };
    Ok(format!("{base_url}{sep}options=-c%20search_path%3D{name}"))
}
