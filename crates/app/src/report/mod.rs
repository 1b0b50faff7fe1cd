//! Transparency reports (`rightsgate/report/v1`): computed from the ledger's leaves, published through one
//! disclosure control, rendered as JSON, CSV and HTML, and verified against the ledger.
//!
//! The pure parts take their inputs and return values: [`publish`] applies the disclosure control to a
//! [`domain::stats::Report`], [`document`] adds the period and the checkpoint, [`tables`] reads a document's
//! tables back with their withheld markers, [`csv::files`] and [`html::page`] render a document, and
//! [`verify::read_header`] and [`verify::compare`] check an untrusted one. Only [`compute`], [`current`], [`counted`],
//! [`Tally::advance`], [`kept`] and [`verify::verify`] read the store; only [`counted`] and [`kept`] write to it. `rightsgate report` writes files from these, and
//! the server's public transparency page renders the same document, so the two can never publish different
//! numbers.

use std::collections::BTreeMap;

use domain::leaf::LeafView;
use domain::stats::{
    self, Aggregator, Period, RandomSource, Report, StatsError, Suppression, Table,
};
use ledger::{Checkpoint, Frontier, RootHash};
use serde_json::{json, Value};
use store::{Store, StoreError};

pub mod csv;
pub mod html;
pub mod kept;
pub mod verify;

pub use kept::{keep, resume, KeptError};
pub use verify::{verify, verify_from, Verified, VerifyError};

/// The JSON report's schema name.
pub const SCHEMA: &str = "rightsgate/report/v1";
/// The checkpoint's origin line when neither the caller nor a signing key names one.
pub const DEFAULT_ORIGIN: &str = "rightsgate/ledger";
/// The threshold used when none is given: counts from 1 to 4 are withheld.
pub const DEFAULT_K: u64 = 5;
/// The largest threshold accepted; above it no table could show anything.
pub const MAX_K: u64 = 1_000_000;
/// The smallest per-count ε accepted: below it the noise drowns every count and `verify`'s tolerance is
/// meaningless.
pub const MIN_EPSILON: f64 = 1e-6;
/// The largest per-count ε accepted (beyond it the noise is zero anyway).
pub const MAX_EPSILON: f64 = 1e6;
/// Leaves read per query.
const CHUNK: u64 = 10_000;

/// The disclosure control a report is published under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    // INVARIANT: 1 <= k <= MAX_K.
    k: u64,
    // INVARIANT: finite and within MIN_EPSILON..=MAX_EPSILON when present.
    epsilon: Option<f64>,
}

/// Why disclosure-control parameters are refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    /// The threshold is 0 or too large.
    #[error("must be an integer from 1 to {MAX_K}, got `{0}`")]
    K(u64),
    /// ε is not a number in the accepted range.
    #[error("must be a number from {MIN_EPSILON:e} to {MAX_EPSILON:e}, got `{0:?}`")]
    Epsilon(f64),
}

impl Control {
    /// Threshold `k` and, for differential privacy, a per-count `epsilon`.
    ///
    /// # Errors
    /// [`ControlError::K`] unless `1 <= k <= MAX_K`; [`ControlError::Epsilon`] unless `epsilon` is finite and
    /// within `MIN_EPSILON..=MAX_EPSILON`.
    pub fn new(k: u64, epsilon: Option<f64>) -> Result<Control, ControlError> {
        if !(1..=MAX_K).contains(&k) {
            return Err(ControlError::K(k));
        }
        if let Some(e) = epsilon {
            if !(e.is_finite() && (MIN_EPSILON..=MAX_EPSILON).contains(&e)) {
                return Err(ControlError::Epsilon(e));
            }
        }
        Ok(Control { k, epsilon })
    }

    /// Small counts only, with the default threshold: what the public page publishes.
    #[must_use]
    pub fn exact() -> Control {
        Control { k: DEFAULT_K, epsilon: None }
    }

    /// The threshold.
    #[must_use]
    pub fn k(&self) -> u64 {
        self.k
    }

    /// The per-count ε, if noise is added.
    #[must_use]
    pub fn epsilon(&self) -> Option<f64> {
        self.epsilon
    }
}

/// A `rand` generator as the domain's random source.
#[derive(Debug)]
pub struct Rng<R>(pub R);

impl<R: rand::RngCore> RandomSource for Rng<R> {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// A borrowed random source, sized for `domain::stats`' generic functions.
struct Dyn<'a>(&'a mut dyn RandomSource);

impl RandomSource for Dyn<'_> {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// Why statistics could not be read from the ledger.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    /// The store failed.
    #[error("reading leaves `{start}` to `{end}`: {source}")]
    Store {
        /// First leaf asked for.
        start: u64,
        /// One past the last leaf asked for.
        end: u64,
        /// What failed.
        source: StoreError,
    },
    /// A leaf index is absent.
    #[error("leaf `{0}` is missing from the ledger")]
    Missing(u64),
    /// A leaf's bytes are not a canonical case-event leaf.
    #[error("reading leaf `{index}`: {source}")]
    Leaf {
        /// The leaf index.
        index: u64,
        /// Why it does not decode.
        source: domain::leaf::LeafError,
    },
    /// A leaf lacks what the statistics need.
    #[error("counting leaf `{index}`: {source}")]
    Count {
        /// The leaf index.
        index: u64,
        /// What is missing.
        source: StatsError,
    },
    /// The leaves do not hash to the stored root.
    #[error(
        "the stored ledger does not recompute at tree size `{0}`; run `rightsgate ledger verify`"
    )]
    Root(u64),
}

/// Statistics and the Merkle frontier of a ledger prefix, extended leaf by leaf: the public page keeps one and
/// feeds it only the leaves appended since the last request.
///
/// After an error the tally may have counted part of a leaf; discard it.
#[derive(Debug, Clone)]
pub struct Tally {
    aggregator: Aggregator,
    // INVARIANT: frontier.size() is the number of leaves the aggregator has counted.
    frontier: Frontier,
}

impl Tally {
    /// A tally of no leaves, counting the cases received in `period`.
    #[must_use]
    pub fn new(period: Period) -> Tally {
        Tally { aggregator: Aggregator::new(period), frontier: Frontier::new() }
    }

    /// The number of leaves counted.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Counts the next leaf (index [`Tally::size`]).
    ///
    /// # Errors
    /// [`ComputeError::Leaf`] or [`ComputeError::Count`] naming the leaf.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), ComputeError> {
        self.push_all(std::slice::from_ref(&bytes))
    }

    /// Counts the next leaves in ledger order (indexes from [`Tally::size`]). Reading and hashing the leaves is
    /// shared among the machine's cores; counting them and extending the frontier follow in ledger order.
    ///
    /// # Errors
    /// [`ComputeError::Leaf`] or [`ComputeError::Count`] naming the first leaf that fails; the leaves before
    /// it are counted.
    pub fn push_all<B: AsRef<[u8]> + Sync>(&mut self, leaves: &[B]) -> Result<(), ComputeError> {
        for read in read_all(leaves) {
            let index = self.size();
            let (leaf, hash) = read.map_err(|source| ComputeError::Leaf { index, source })?;
            self.aggregator.push(&leaf).map_err(|source| ComputeError::Count { index, source })?;
            self.frontier.push(hash, |_, _| {});
        }
        Ok(())
    }

    /// Reads and counts leaves `size()..to` from the store, 10 000 per query.
    ///
    /// # Errors
    /// A store error, a missing leaf, or a leaf that does not decode or count.
    pub async fn advance(&mut self, store: &Store, to: u64) -> Result<(), ComputeError> {
        while self.size() < to {
            let start = self.size();
            let end = to.min(start.saturating_add(CHUNK));
            let chunk = store.leaves(start, end).await.map_err(|source| ComputeError::Store {
                start,
                end,
                source,
            })?;
            // The leaves up to the first index out of place, then that gap.
            let contiguous = chunk
                .iter()
                .zip(start..)
                .take_while(|((index, _), expect)| index == expect)
                .count();
            let bytes: Vec<&[u8]> =
                chunk.iter().take(contiguous).map(|(_, b)| b.as_slice()).collect();
            self.push_all(&bytes)?;
            if self.size() < end {
                return Err(ComputeError::Missing(self.size()));
            }
        }
        Ok(())
    }

    /// The statistics and root so far; the tally keeps counting.
    #[must_use]
    pub fn snapshot(&self) -> (Report, RootHash) {
        (self.aggregator.clone().finish(), self.frontier.root())
    }

    /// The statistics and root.
    #[must_use]
    pub fn finish(self) -> (Report, RootHash) {
        let root = self.frontier.root();
        (self.aggregator.finish(), root)
    }
}

/// Leaves fewer than this are read on the calling thread: starting threads would cost more than they save.
const PARALLEL_MIN: usize = 2_048;

/// Each leaf read in place and hashed, in order; on every core when there are enough leaves to share.
fn read_all<B: AsRef<[u8]> + Sync>(
    leaves: &[B],
) -> Vec<Result<(LeafView<'_>, ledger::Digest), domain::leaf::LeafError>> {
    type Read<'a> = Vec<Result<(LeafView<'a>, ledger::Digest), domain::leaf::LeafError>>;
    fn read<B: AsRef<[u8]>>(part: &[B]) -> Read<'_> {
        let mut scratch = Vec::new();
        part.iter()
            .map(|bytes| {
                let bytes = bytes.as_ref();
                LeafView::decode_with(bytes, &mut scratch)
                    .map(|leaf| (leaf, ledger::leaf_hash(bytes)))
            })
            .collect()
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if threads < 2 || leaves.len() < PARALLEL_MIN {
        return read(leaves);
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = leaves
            .chunks(leaves.len().div_ceil(threads))
            .map(|part| scope.spawn(move || read(part)))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// Streams leaves `0..size` from the store: the exact statistics and the root the leaves hash to.
///
/// # Errors
/// As [`Tally::advance`].
pub async fn compute(
    store: &Store,
    period: Period,
    size: u64,
) -> Result<(Report, RootHash), ComputeError> {
    let mut tally = Tally::new(period);
    tally.advance(store, size).await?;
    Ok(tally.finish())
}

/// Where a count starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// From the tally kept in the store when it can be used (see [`resume`]), keeping the new one after.
    Kept,
    /// From the first leaf, keeping nothing.
    First,
}

/// The statistics of `period` over leaves `0..size` and their root, checked against the stored root; from
/// `start`.
///
/// # Errors
/// As [`compute`]; [`ComputeError::Root`] when the leaves do not hash to the stored root. Failing to keep the
/// new tally is logged, not an error.
pub async fn counted(
    store: &Store,
    period: Period,
    size: u64,
    start: Start,
) -> Result<(Report, RootHash), ComputeError> {
    let mut tally = match start {
        Start::Kept => resume(store, period, size).await,
        Start::First => Tally::new(period),
    };
    let from = tally.size();
    tally.advance(store, size).await?;
    let store_error = |source| ComputeError::Store { start: 0, end: size, source };
    if store.root_at(size).await.map_err(store_error)? != tally.root() {
        return Err(ComputeError::Root(size));
    }
    if start == Start::Kept && tally.size() > from {
        if let Err(e) = keep(store, &tally).await {
            tracing::warn!(error = %e, "the tally could not be kept; the next count reads every leaf again");
        }
    }
    Ok(tally.finish())
}

/// [`counted`] over the whole ledger as it stands, from the kept tally.
///
/// # Errors
/// As [`counted`].
pub async fn current(store: &Store, period: Period) -> Result<(Report, RootHash), ComputeError> {
    let store_error = |source| ComputeError::Store { start: 0, end: 0, source };
    let size = store.tree_size().await.map_err(store_error)?;
    counted(store, period, size, Start::Kept).await
}

/// The number of rules that can refuse: the most refusal grounds one case can cite.
fn grounds_bound() -> usize {
    rules::CATALOGUE.iter().filter(|r| r.effects.contains(&domain::vocab::Effect::Refuse)).count()
}

/// The published numbers: everything in the JSON report except the schema, period and checkpoint.
///
/// Every count goes through `control`: noise first when it has an ε (drawn from `noise`, or from the operating
/// system's generator when `noise` is `None`), then counts from 1 to k − 1 withheld with their complements.
/// Identifiers affected and the days to decision are withheld under noise, and when the number they summarise
/// is from 1 to k − 1.
pub fn publish(report: &Report, control: Control, noise: Option<&mut dyn RandomSource>) -> Value {
    match (control.epsilon, noise) {
        (Some(_), None) => {
            let mut os = Rng(rand::rngs::OsRng);
            publish_with(report, control.k, control.epsilon, Some(&mut os))
        }
        (_, noise) => publish_with(report, control.k, control.epsilon, noise),
    }
}

/// [`publish`] without the invariants of [`Control`]: `verify` also needs k = 0 (nothing withheld) and the
/// labels of ε without its noise (`noise` `None` adds none).
fn publish_with(
    report: &Report,
    k: u64,
    epsilon: Option<f64>,
    mut noise: Option<&mut dyn RandomSource>,
) -> Value {
    let mut suppressed = Vec::new();
    let mut tables = Vec::new();
    let mut totals = serde_json::Map::new();
    for table in &report.tables {
        let table = match (epsilon, noise.as_deref_mut()) {
            (Some(e), Some(rng)) => stats::add_noise(table, e, &mut Dyn(rng)),
            _ => table.clone(),
        };
        let (value, cells) = publish_table(&table, k, &mut suppressed);
        if table.id == "totals" {
            if let Some(row) = cells.first() {
                for (name, cell) in table_columns(&table).iter().zip(row) {
                    totals.insert(name.clone(), cell.clone());
                }
            }
        }
        tables.push(value);
    }
    let exact = epsilon.is_none();
    let small = |n: u64| n > 0 && n < k;
    let days = &report.days;
    let days = if exact && !small(days.decided) {
        json!({"decided": days.decided, "median": days.median, "p90": days.p90})
    } else {
        json!({"decided": null, "median": null, "p90": null})
    };
    let identifiers =
        if exact && !small(report.identifiers) { json!(report.identifiers) } else { Value::Null };
    let contributions = stats::max_contributions(grounds_bound());
    json!({
        "disclosure_control": {
            "k": k,
            "epsilon": epsilon,
            "noise": epsilon.map(|_| "two-sided geometric (discrete Laplace), independent per count"),
            "max_counts_per_case": contributions,
            "privacy_budget": epsilon.map(|e| e * contributions as f64),
            "method": method(k, epsilon),
        },
        "totals": Value::Object(totals),
        "identifiers_affected": identifiers,
        "days_to_decision": days,
        "tables": tables,
        "suppressed": suppressed,
    })
}

/// The disclosure control in words, as printed in the report.
fn method(k: u64, epsilon: Option<f64>) -> String {
    let mut text = format!(
        "Counts from 1 to {} are shown as \"<{k}\". Then, in every row and column whose total is published, \
         if exactly one cell is withheld the smallest other cell is withheld too (shown as \"x\"), repeated until \
         no line has exactly one withheld cell, so no withheld count can be recovered by subtracting the others \
         from the total. Each table is protected on its own margins.",
        k.saturating_sub(1)
    );
    match epsilon {
        Some(e) => text.push_str(&format!(
            " Before suppression, every count was replaced by the count plus independent two-sided geometric \
             (discrete Laplace) noise with ε = {e} (negative results shown as 0); totals are sums of noisy \
             counts. One case contributes to at most {m} counts, so the report as a whole is {b}-differentially \
             private by basic composition. Identifiers affected and days to decision are withheld under noise.",
            m = stats::max_contributions(grounds_bound()),
            b = e * stats::max_contributions(grounds_bound()) as f64
        )),
        None => text.push_str(" No noise is added: every shown number is exact and can be recomputed from the ledger."),
    }
    text
}

fn table_columns(table: &Table) -> Vec<String> {
    let mut columns = table.columns.clone();
    if let Some(total) = table.row_total {
        columns.push(total.to_owned());
    }
    columns
}

fn table_rows(table: &Table) -> Vec<String> {
    let mut rows = table.rows.clone();
    if table.column_totals {
        rows.push(stats::ALL_ROWS.to_owned());
    }
    rows
}

/// One table as published (cells `null` when withheld), and its cells.
fn publish_table(table: &Table, k: u64, suppressed: &mut Vec<Value>) -> (Value, Vec<Vec<Value>>) {
    let grid = table.with_margins();
    let marks = stats::suppress(&grid, k, table.row_total.is_some(), table.column_totals);
    let columns = table_columns(table);
    let mut cells = Vec::new();
    let mut rows = Vec::new();
    for ((key, values), marks) in table_rows(table).iter().zip(&grid).zip(&marks) {
        let row: Vec<Value> = values
            .iter()
            .zip(marks)
            .zip(&columns)
            .map(|((v, m), column)| match m {
                Some(reason) => {
                    suppressed.push(json!({
                        "table": table.id,
                        "row": key,
                        "column": column,
                        "reason": reason_name(*reason),
                    }));
                    Value::Null
                }
                None => json!(v),
            })
            .collect();
        rows.push(json!({"key": key, "values": row}));
        cells.push(row);
    }
    let value = json!({
        "id": table.id,
        "title": table.title,
        "columns": columns,
        "row_total": table.row_total,
        "column_totals": table.column_totals,
        "rows": rows,
    });
    (value, cells)
}

fn reason_name(reason: Suppression) -> &'static str {
    match reason {
        Suppression::Small => "small",
        Suppression::Complementary => "complementary",
    }
}

/// The whole JSON report: the period, the checkpoint (its signed note and, when signed, the verifier key) and
/// the `published` numbers.
#[must_use]
pub fn document(
    period: Period,
    checkpoint: &Checkpoint,
    note: &str,
    verifier_key: Option<&str>,
    published: Value,
) -> Value {
    let mut doc = json!({
        "schema": SCHEMA,
        "period": {"from": period.from().to_string(), "to": period.to().to_string()},
        "checkpoint": {
            "origin": checkpoint.origin(),
            "tree_size": checkpoint.root().size(),
            "root_hash": checkpoint.root().digest().to_string(),
            "note": note,
            "verifier_key": verifier_key,
        },
    });
    if let (Some(doc), Value::Object(published)) = (doc.as_object_mut(), published) {
        doc.extend(published);
    }
    doc
}

/// `report.json`'s text: the document pretty-printed, with a final newline.
#[must_use]
pub fn json_text(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

/// One published cell as a reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// A count.
    Count(u64),
    /// Withheld: a count from 1 to k − 1 (shown `<k`).
    Small,
    /// Withheld so that a small count cannot be recovered (shown `x`).
    Complementary,
    /// Neither a count nor a withheld cell (a malformed document).
    Blank,
}

impl Cell {
    /// The text shown for the cell under threshold `k`.
    #[must_use]
    pub fn text(self, k: u64) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Small => format!("<{k}"),
            Cell::Complementary => "x".to_owned(),
            Cell::Blank => String::new(),
        }
    }

    /// The reason it is withheld, as the document names it (`small` or `complementary`).
    #[must_use]
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Cell::Small => Some(reason_name(Suppression::Small)),
            Cell::Complementary => Some(reason_name(Suppression::Complementary)),
            Cell::Count(_) | Cell::Blank => None,
        }
    }
}

/// One row of a published table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowView {
    /// The row key (`all` for the column totals).
    pub key: String,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

/// One published table read back from a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableView {
    /// The table id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Column keys, the row total last when there is one.
    pub columns: Vec<String>,
    /// Rows, the column totals last when there are any.
    pub rows: Vec<RowView>,
}

/// The threshold a document was published with (5 when it does not say).
#[must_use]
pub fn k_of(doc: &Value) -> u64 {
    doc.pointer("/disclosure_control/k").and_then(Value::as_u64).unwrap_or(DEFAULT_K)
}

/// The tables of a document with each cell's count or withheld marker; what a document lacks reads as empty.
#[must_use]
pub fn tables(doc: &Value) -> Vec<TableView> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    fn array(v: Option<&Value>) -> &[Value] {
        v.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
    }
    let mut reasons: BTreeMap<(String, String, String), String> = BTreeMap::new();
    for s in array(doc.get("suppressed")) {
        let key = (text(s.get("table")), text(s.get("row")), text(s.get("column")));
        reasons.entry(key).or_insert_with(|| text(s.get("reason")));
    }
    array(doc.get("tables"))
        .iter()
        .map(|table| {
            let id = text(table.get("id"));
            let columns: Vec<String> =
                array(table.get("columns")).iter().map(|c| text(Some(c))).collect();
            let rows = array(table.get("rows"))
                .iter()
                .map(|row| {
                    let key = text(row.get("key"));
                    let cells = array(row.get("values"))
                        .iter()
                        .zip(&columns)
                        .map(|(v, column)| match v.as_u64() {
                            Some(n) => Cell::Count(n),
                            None => match reasons
                                .get(&(id.clone(), key.clone(), column.clone()))
                                .map(String::as_str)
                            {
                                Some("small") => Cell::Small,
                                Some(_) => Cell::Complementary,
                                None => Cell::Blank,
                            },
                        })
                        .collect();
                    RowView { key, cells }
                })
                .collect();
            TableView { id, title: text(table.get("title")), columns, rows }
        })
        .collect()
}

#[cfg(test)]
mod tests;
