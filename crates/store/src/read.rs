//! Reading leaves in ranges, so that statistics and their verification stream the ledger in chunks instead of
//! one query per leaf.
//!
//! The driver hands each result row from the database's thread to the caller's, which costs a few
//! microseconds a row: reading two million leaves one row each took ten seconds where SQLite itself reads them
//! in under two. So the database concatenates each bundle of up to [`BUNDLE`] leaves into one row (their
//! indices, their lengths and their bytes, aggregated over the same rows in the same order) and the store
//! splits it again.

use sqlx::Row as _;

use crate::{Backend, Store, StoreError};

/// Most leaves concatenated into one result row (about 2 MB of case-event leaves).
const BUNDLE: u64 = 4_096;

impl Store {
    /// The leaves with indices `start..end` (clamped to the stored log), in index order, as `(index, bytes)`.
    ///
    /// # Errors
    /// A database error, or [`StoreError::Corrupt`] for a negative stored index or a bundle that does not
    /// split into its leaves.
    pub async fn leaves(&self, start: u64, end: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let mut out = Vec::with_capacity(usize::try_from(end.saturating_sub(start)).unwrap_or(0));
        let mut from = start;
        while from < end {
            let to = end.min(from.saturating_add(BUNDLE));
            let (indices, lengths, data) = self.bundle(from, to).await?;
            for (ints, blobs) in unbundle(&[indices], &[(lengths, data)])? {
                let (Some(&index), Some(bytes)) = (ints.first(), blobs.into_iter().next()) else {
                    continue;
                };
                let index = u64::try_from(index).map_err(|_| {
                    StoreError::Corrupt(format!(
                        "`ledger_leaves.idx` holds a negative index `{index}`"
                    ))
                })?;
                out.push((index, bytes));
            }
            from = to;
        }
        // The aggregates see the rows in one order, not necessarily the index order.
        if !out.is_sorted_by_key(|(index, _)| *index) {
            out.sort_unstable_by_key(|(index, _)| *index);
        }
        Ok(out)
    }

    /// One row for leaves `from..to`: comma-separated indices, comma-separated byte lengths, and the bytes
    /// concatenated, all three in the same row order; `None`s when no leaf is in the range.
    async fn bundle(
        &self,
        from: u64,
        to: u64,
    ) -> Result<(Option<String>, Option<String>, Option<Vec<u8>>), StoreError> {
        let (from, to) = (to_i64(from), to_i64(to));
        Ok(match &self.backend {
            Backend::Sqlite(pool) => sqlx::query(
                "SELECT group_concat(idx), group_concat(octet_length(data)), \
                     CAST(group_concat(data, '') AS BLOB) \
                     FROM ledger_leaves WHERE idx >= ? AND idx < ?",
            )
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
            .and_then(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))?,
            Backend::Postgres(pool) => sqlx::query(
                "SELECT string_agg(idx::text, ','), string_agg(octet_length(data)::text, ','), \
                     string_agg(data, ''::bytea) \
                     FROM ledger_leaves WHERE idx >= $1 AND idx < $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
            .and_then(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))?,
        })
    }
}

/// One row of a bundle: its integer columns, then its byte columns.
pub(crate) type BundledRow = (Vec<i64>, Vec<Vec<u8>>);

/// A byte column of a bundle: the comma-separated lengths and the bytes concatenated.
pub(crate) type Bytes = (Option<String>, Option<Vec<u8>>);

/// The rows of one bundle, in the bundle's order: `ints` are columns of comma-separated integers, one per row;
/// `blobs` are columns of bytes concatenated, each with its comma-separated lengths. All `None` (no row) gives
/// no rows.
///
/// # Errors
/// [`StoreError::Corrupt`] when the columns do not agree on the number of rows or the lengths on the bytes.
pub(crate) fn unbundle(
    ints: &[Option<String>],
    blobs: &[Bytes],
) -> Result<Vec<BundledRow>, StoreError> {
    let corrupt =
        |what: &str| StoreError::Corrupt(format!("reading a bundle of ledger rows: {what}"));
    let count = |list: &Option<String>| list.as_deref().map_or(0, |l| l.split(',').count());
    let rows = ints.first().map_or(0, count);
    if ints.iter().any(|l| count(l) != rows) || blobs.iter().any(|(l, _)| count(l) != rows) {
        return Err(corrupt("its columns hold different numbers of rows"));
    }
    let mut out: Vec<BundledRow> = (0..rows)
        .map(|_| (Vec::with_capacity(ints.len()), Vec::with_capacity(blobs.len())))
        .collect();
    for list in ints.iter().flatten() {
        for (row, value) in out.iter_mut().zip(list.split(',')) {
            row.0.push(value.parse().map_err(|_| corrupt("a value is not an integer"))?);
        }
    }
    for (lengths, bytes) in blobs {
        let mut rest = bytes.as_deref().unwrap_or_default();
        for (row, length) in out.iter_mut().zip(lengths.iter().flat_map(|l| l.split(','))) {
            let length: usize =
                length.parse().map_err(|_| corrupt("a length is not an integer"))?;
            if length > rest.len() {
                return Err(corrupt("the lengths add up to more than the bytes"));
            }
            let (value, tail) = rest.split_at(length);
            row.1.push(value.to_vec());
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(corrupt("the lengths add up to less than the bytes"));
        }
    }
    Ok(out)
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
