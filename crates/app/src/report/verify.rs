//! Verifying a published report against the ledger: its checkpoint note (signature, tree size, root), the
//! leaves up to that size (they must hash to the root), and every published number recomputed from them.
//!
//! A report is untrusted input: [`read_header`] checks every field it relies on and names the first one that
//! is missing, of the wrong type or out of range ([`VerifyError::Invalid`], exit 2 in the CLI), before any
//! arithmetic; a report that reads but does not match the ledger is a [`VerifyError::Mismatch`] (exit 3).

use domain::stats::{Period, Report};
use domain::Day;
use ledger::{Checkpoint, VerifierKey};
use serde_json::Value;
use store::{Store, StoreError};

use super::{publish_with, ComputeError, Control, Tally, SCHEMA};

/// The probability bound per count that verification accepts for differential-privacy noise.
const NOISE_TAIL: f64 = 1e-9;
/// The largest tree size a report can name (the store indexes leaves with signed 64-bit integers).
const MAX_TREE_SIZE: u64 = i64::MAX as u64;

/// Why a report does not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The report is not a valid report: a field is missing, of the wrong type or out of range.
    #[error("`{field}`: {problem}")]
    Invalid {
        /// The JSON pointer of the field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The verifier key given by the caller does not read.
    #[error("verifier key: {0}")]
    VerifierKey(String),
    /// The report reads but does not match its checkpoint or the ledger; the first difference is named.
    #[error("{0}")]
    Mismatch(String),
    /// The ledger could not be read.
    #[error("reading the ledger: {0}")]
    Store(#[from] StoreError),
}

impl VerifyError {
    /// Whether the input (the report or the verifier key) is at fault, not the ledger.
    #[must_use]
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, VerifyError::Invalid { .. } | VerifyError::VerifierKey(_))
    }
}

/// How the checkpoint's signature was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// With the verifier key the caller gave.
    GivenKey,
    /// With the verifier key the report names.
    ReportKey,
    /// Not at all: the checkpoint is unsigned.
    Unsigned,
}

impl Signature {
    /// The phrase printed by `report verify`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Signature::GivenKey => "checked with the given key",
            Signature::ReportKey => "checked with the key the report names",
            Signature::Unsigned => "none (unsigned checkpoint)",
        }
    }
}

/// A report that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The checkpoint's root hash (hex).
    pub root_hash: String,
    /// How its signature was checked.
    pub signature: Signature,
    /// The first leaf read: 0, or the size of the earlier tally counting went on from.
    pub counted_from: u64,
}

/// What a report says about how it was made, read and checked by [`read_header`].
#[derive(Debug, Clone)]
pub struct Header {
    period: Period,
    control: Control,
    // INVARIANT: the note verified (or parsed, when unsigned) and agrees with `checkpoint.tree_size` and
    // `checkpoint.root_hash`; its size is at most MAX_TREE_SIZE.
    checkpoint: Checkpoint,
    signature: Signature,
}

impl Header {
    /// The report's period.
    #[must_use]
    pub fn period(&self) -> Period {
        self.period
    }

    /// Its disclosure control.
    #[must_use]
    pub fn control(&self) -> Control {
        self.control
    }

    /// Its checkpoint.
    #[must_use]
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// How the checkpoint's signature was checked.
    #[must_use]
    pub fn signature(&self) -> Signature {
        self.signature
    }
}

/// Verifies `doc` against the ledger in `store`: the checkpoint (with `verifier_key` if given, else with the
/// key the report names, else unsigned), the leaves up to its size, and every published number.
///
/// # Errors
/// [`VerifyError::Invalid`] or [`VerifyError::VerifierKey`] for bad input, [`VerifyError::Mismatch`] naming
/// the first difference, [`VerifyError::Store`] when the ledger cannot be read.
pub async fn verify(
    doc: &Value,
    store: &Store,
    verifier_key: Option<&str>,
) -> Result<Verified, VerifyError> {
    let (header, tally, counted_from) = count(doc, store, verifier_key, None).await?;
    let (report, root) = tally.finish();
    check(doc, &header, &report, &root, counted_from)
}

/// [`verify`], counting on from `earlier`, a tally the verifier counted and kept themselves when they verified
/// an earlier report of a period with the same first day (the tally this function returns): only the leaves
/// appended since are read. The root its frontier gives must still be the ledger's at its size, else the
/// ledger changed under what was verified before, a [`VerifyError::Mismatch`]. A tally of another first
/// day, of more leaves than the checkpoint's, or whose period cannot be widened to the report's is not used:
/// counting starts from the first leaf. Returns the verified report and the tally at its checkpoint, to be
/// kept by the verifier for the next one.
///
/// # Errors
/// As [`verify`].
pub async fn verify_from(
    doc: &Value,
    store: &Store,
    verifier_key: Option<&str>,
    earlier: Option<Tally>,
) -> Result<(Verified, Tally), VerifyError> {
    let (header, tally, counted_from) = count(doc, store, verifier_key, earlier).await?;
    let (report, root) = tally.snapshot();
    let verified = check(doc, &header, &report, &root, counted_from)?;
    Ok((verified, tally))
}

/// Reads `doc`'s header and counts the ledger's leaves up to its checkpoint, on from `earlier` when it can be
/// used (see [`verify_from`]); returns the header, the tally and the first leaf read.
async fn count(
    doc: &Value,
    store: &Store,
    verifier_key: Option<&str>,
    earlier: Option<Tally>,
) -> Result<(Header, Tally, u64), VerifyError> {
    let header = read_header(doc, verifier_key)?;
    let size = header.checkpoint.root().size();
    let stored = store.tree_size().await?;
    if stored < size {
        return Err(VerifyError::Mismatch(format!(
            "the ledger holds `{stored}` leaves, fewer than the checkpoint's `{size}`"
        )));
    }
    let usable = |t: &mut Tally| {
        t.period().from() == header.period.from() && t.size() <= size && t.widen(header.period.to())
    };
    let mut tally = match earlier.and_then(|mut t| usable(&mut t).then_some(t)) {
        Some(t) => {
            let was = t.root();
            if store.root_at(was.size()).await? != was {
                return Err(VerifyError::Mismatch(format!(
                    "the ledger's first `{}` leaves no longer hash to the root verified before",
                    was.size()
                )));
            }
            t
        }
        None => Tally::new(header.period),
    };
    let counted_from = tally.size();
    tally.advance(store, size).await.map_err(|e| match e {
        ComputeError::Store { source, .. } => VerifyError::Store(source),
        other => VerifyError::Mismatch(other.to_string()),
    })?;
    Ok((header, tally, counted_from))
}

/// Checks the recounted `report` and `root` against `doc` and its header.
fn check(
    doc: &Value,
    header: &Header,
    report: &Report,
    root: &ledger::RootHash,
    counted_from: u64,
) -> Result<Verified, VerifyError> {
    let size = root.size();
    if root != header.checkpoint.root() {
        return Err(VerifyError::Mismatch(format!(
            "the ledger's leaves do not hash to the checkpoint's root at tree size `{size}`"
        )));
    }
    compare(doc, header, report)?;
    Ok(Verified {
        tree_size: size,
        root_hash: root.digest().to_string(),
        signature: header.signature,
        counted_from,
    })
}

fn invalid(field: &str, problem: impl Into<String>) -> VerifyError {
    VerifyError::Invalid { field: field.to_owned(), problem: problem.into() }
}

/// A JSON value in a message: short, on one line.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Reads and checks everything in `doc` that verification relies on, in document order, and checks the
/// checkpoint note with `verifier_key` (else the key the report names; an unsigned note by its body only).
///
/// # Errors
/// [`VerifyError::Invalid`] naming the first bad field; [`VerifyError::VerifierKey`] when `verifier_key` does
/// not read; [`VerifyError::Mismatch`] when the signature fails or the note disagrees with the report.
pub fn read_header(doc: &Value, verifier_key: Option<&str>) -> Result<Header, VerifyError> {
    if !doc.is_object() {
        return Err(invalid("", format!("expected a report object, got `{}`", shown(doc))));
    }
    let field = |path: &str| doc.pointer(path).ok_or_else(|| invalid(path, "missing"));
    let text = |path: &str| {
        let v = field(path)?;
        v.as_str().ok_or_else(|| invalid(path, format!("expected a string, got `{}`", shown(v))))
    };
    if text("/schema")? != SCHEMA {
        return Err(invalid("/schema", format!("expected `{SCHEMA}`")));
    }
    let day = |path: &str| Day::parse(text(path)?).map_err(|e| invalid(path, e));
    let period = Period::new(day("/period/from")?, day("/period/to")?)
        .map_err(|e| invalid("/period", e.to_string()))?;
    let k = field("/disclosure_control/k")?;
    let k = k.as_u64().ok_or_else(|| {
        invalid("/disclosure_control/k", format!("expected an integer, got `{}`", shown(k)))
    })?;
    let epsilon = match field("/disclosure_control/epsilon")? {
        Value::Null => None,
        v => Some(v.as_f64().ok_or_else(|| {
            invalid(
                "/disclosure_control/epsilon",
                format!("expected a number or null, got `{}`", shown(v)),
            )
        })?),
    };
    let control = Control::new(k, epsilon).map_err(|e| {
        let path = match e {
            super::ControlError::K(_) => "/disclosure_control/k",
            super::ControlError::Epsilon(_) => "/disclosure_control/epsilon",
        };
        invalid(path, e.to_string())
    })?;
    let note = text("/checkpoint/note")?;
    let named = match doc.pointer("/checkpoint/verifier_key") {
        None | Some(Value::Null) => None,
        Some(_) => Some(text("/checkpoint/verifier_key")?),
    };
    let (key, signature) = match (verifier_key, named) {
        (Some(k), _) => (
            Some(k.parse::<VerifierKey>().map_err(|e| VerifyError::VerifierKey(e.to_string()))?),
            Signature::GivenKey,
        ),
        (None, Some(k)) => (
            Some(
                k.parse::<VerifierKey>()
                    .map_err(|e| invalid("/checkpoint/verifier_key", e.to_string()))?,
            ),
            Signature::ReportKey,
        ),
        (None, None) => (None, Signature::Unsigned),
    };
    let checkpoint = match &key {
        Some(key) => Checkpoint::from_signed_note(note, key)
            .map_err(|e| VerifyError::Mismatch(format!("checkpoint signature: {e}")))?,
        None => {
            Checkpoint::parse_body(note).map_err(|e| invalid("/checkpoint/note", e.to_string()))?
        }
    };
    let size = field("/checkpoint/tree_size")?;
    let size = size.as_u64().filter(|n| *n <= MAX_TREE_SIZE).ok_or_else(|| {
        invalid(
            "/checkpoint/tree_size",
            format!("expected an integer from 0 to {MAX_TREE_SIZE}, got `{}`", shown(size)),
        )
    })?;
    let hash = text("/checkpoint/root_hash")?;
    if size != checkpoint.root().size() {
        return Err(VerifyError::Mismatch(
            "`checkpoint.tree_size` differs from the signed note".into(),
        ));
    }
    if hash != checkpoint.root().digest().to_string() {
        return Err(VerifyError::Mismatch(
            "`checkpoint.root_hash` differs from the signed note".into(),
        ));
    }
    Ok(Header { period, control, checkpoint, signature })
}

/// The witnesses among `witnesses` that co-signed the report's checkpoint note, checked with
/// `ledger::verify_quorum` against the log key (`verifier_key`, else the one the report names).
///
/// # Errors
/// [`VerifyError::Invalid`] when the report names no key and none is given or the note is missing;
/// [`VerifyError::Mismatch`] when a cosignature does not verify or fewer than `quorum` witnesses co-signed.
pub fn cosigned_by(
    doc: &Value,
    verifier_key: Option<&str>,
    witnesses: &[ledger::CosignatureVerifier],
    quorum: usize,
) -> Result<Vec<String>, VerifyError> {
    let note = doc
        .pointer("/checkpoint/note")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("/checkpoint/note", "missing"))?;
    let key = match verifier_key
        .or_else(|| doc.pointer("/checkpoint/verifier_key").and_then(Value::as_str))
    {
        Some(k) => k.parse::<VerifierKey>().map_err(|e| VerifyError::VerifierKey(e.to_string()))?,
        None => {
            return Err(invalid(
                "/checkpoint/verifier_key",
                "an unsigned checkpoint has no cosignatures",
            ))
        }
    };
    let cosigned = ledger::verify_quorum(note, &key, witnesses, quorum)
        .map_err(|e| VerifyError::Mismatch(format!("checkpoint cosignatures: {e}")))?;
    Ok(cosigned.cosignatures().iter().map(|c| c.name.clone()).collect())
}

/// Compares the published numbers of `doc` with `report`, the exact statistics of the header's period
/// recomputed from the ledger: equal without noise; under noise, every count within the noise bound and the
/// rest equal.
///
/// # Errors
/// [`VerifyError::Mismatch`] naming the first difference.
pub fn compare(doc: &Value, header: &Header, report: &Report) -> Result<(), VerifyError> {
    let control = header.control;
    // Exact numbers with the report's labels: under noise, tables and totals are exact here.
    let recomputed = publish_with(report, control.k(), control.epsilon(), None);
    let published = published_part(doc);
    let first = match control.epsilon() {
        None => first_difference("", &published, &recomputed),
        Some(e) => {
            let exact = publish_with(report, 0, None, None);
            within_noise(&published, &recomputed, &exact, e)
        }
    };
    match first {
        Some(msg) => Err(VerifyError::Mismatch(msg)),
        None => Ok(()),
    }
}

/// The part of a report that `publish` produces.
fn published_part(doc: &Value) -> Value {
    let mut part = doc.clone();
    if let Some(obj) = part.as_object_mut() {
        for key in ["schema", "period", "checkpoint"] {
            obj.remove(key);
        }
    }
    part
}

/// The first place where `published` and `recomputed` differ, named by its path.
fn first_difference(path: &str, published: &Value, recomputed: &Value) -> Option<String> {
    let name = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match (published, recomputed) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, b_value) in b {
                let Some(a_value) = a.get(key) else {
                    return Some(format!("`{}` is missing from the report", name(key)));
                };
                if let Some(d) = first_difference(&name(key), a_value, b_value) {
                    return Some(d);
                }
            }
            a.keys()
                .find(|k| !b.contains_key(*k))
                .map(|k| format!("`{}` is not a number the ledger gives", name(k)))
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let label = x
                    .get("id")
                    .or_else(|| x.get("key"))
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned);
                if let Some(d) = first_difference(&name(&label), x, y) {
                    return Some(d);
                }
            }
            (a.len() != b.len()).then(|| {
                format!("`{path}` has `{}` entries, the ledger gives `{}`", a.len(), b.len())
            })
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "`{path}`: published `{}`, recomputed from the ledger `{}`",
            shown(a),
            shown(b)
        )),
    }
}

/// The largest difference between a published noisy count and the exact count that verification accepts for
/// one count: P(|Z| > t) = 2 α^(t+1) / (1 + α) < 2 e^(−ε (t+1)) ≤ `NOISE_TAIL`. Saturates instead of
/// overflowing (ε is at least `MIN_EPSILON`, so it never does in practice).
fn noise_bound(epsilon: f64) -> u64 {
    let t = ((2.0 / NOISE_TAIL).ln() / epsilon).ceil();
    if t.is_finite() && t >= 0.0 && t < u64::MAX as f64 {
        t as u64
    } else {
        u64::MAX
    }
}

/// Under noise: the parts without noise (`disclosure_control`, the withheld summaries) equal `recomputed`, the
/// tables have the rows and columns of `exact`, and every published count lies within the noise bound of the
/// exact count (a margin, a sum of up to `width` or `height` noisy counts, within that many bounds).
fn within_noise(
    published: &Value,
    recomputed: &Value,
    exact: &Value,
    epsilon: f64,
) -> Option<String> {
    let Value::Object(doc) = published else {
        return Some("the report is not an object".to_owned());
    };
    for key in ["disclosure_control", "identifiers_affected", "days_to_decision"] {
        let Some(p) = doc.get(key) else {
            return Some(format!("`{key}` is missing from the report"));
        };
        if let Some(d) = first_difference(key, p, recomputed.get(key).unwrap_or(&Value::Null)) {
            return Some(d);
        }
    }
    if let Some(k) = doc.keys().find(|k| recomputed.get(k.as_str()).is_none()) {
        return Some(format!("`{k}` is not a number the ledger gives"));
    }
    if !doc.get("suppressed").is_some_and(Value::is_array) {
        return Some("`suppressed` is not a list".to_owned());
    }
    let tolerance = noise_bound(epsilon);
    let array = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("?").to_owned();
    let exact_tables = array(exact.get("tables"));
    let published_tables = array(doc.get("tables"));
    if published_tables.len() != exact_tables.len() {
        return Some(format!(
            "`tables` has `{}` entries, the ledger gives `{}`",
            published_tables.len(),
            exact_tables.len()
        ));
    }
    for (p, e) in published_tables.iter().zip(&exact_tables) {
        let id = text(e.get("id"));
        for key in ["id", "title", "columns", "row_total", "column_totals"] {
            if p.get(key) != e.get(key) {
                return Some(format!("`tables.{id}.{key}` differs from the ledger's"));
            }
        }
        let columns = array(e.get("columns"));
        let (p_rows, e_rows) = (array(p.get("rows")), array(e.get("rows")));
        if p_rows.len() != e_rows.len() {
            return Some(format!("`tables.{id}` has other rows than the ledger gives"));
        }
        let lines = u64::try_from(columns.len().max(e_rows.len())).unwrap_or(u64::MAX);
        let bound = tolerance.saturating_mul(lines);
        for (pr, er) in p_rows.iter().zip(&e_rows) {
            let key = text(er.get("key"));
            if pr.get("key") != er.get("key") {
                return Some(format!("`tables.{id}` has other rows than the ledger gives"));
            }
            let (p_cells, e_cells) = (array(pr.get("values")), array(er.get("values")));
            if p_cells.len() != e_cells.len() {
                return Some(format!(
                    "`tables.{id}.{key}` has other columns than the ledger gives"
                ));
            }
            for ((pv, ev), column) in p_cells.iter().zip(&e_cells).zip(&columns) {
                let column = column.as_str().unwrap_or("?");
                let Some(ev) = ev.as_u64() else { continue };
                let pv = match pv {
                    Value::Null => continue,
                    v => match v.as_u64() {
                        Some(n) => n,
                        None => {
                            return Some(format!(
                                "`tables.{id}.{key}.{column}`: published `{}` is not a count",
                                shown(v)
                            ))
                        }
                    },
                };
                if pv.abs_diff(ev) > bound {
                    return Some(format!(
                        "`tables.{id}.{key}.{column}`: published `{pv}` is further than the noise bound `{bound}` from the ledger's count"
                    ));
                }
            }
        }
    }
    // The totals repeat the `totals` table's row.
    let totals =
        exact_tables.iter().find(|t| t.get("id").and_then(Value::as_str) == Some("totals"));
    let totals_row = totals.map(|t| array(t.get("rows"))).and_then(|r| r.first().cloned());
    let (names, values) = (
        array(totals.and_then(|t| t.get("columns"))),
        array(totals_row.as_ref().and_then(|r| r.get("values"))),
    );
    let Some(Value::Object(published_totals)) = doc.get("totals") else {
        return Some("`totals` is not an object".to_owned());
    };
    if published_totals.len() != names.len() {
        return Some("`totals` has other fields than the ledger gives".to_owned());
    }
    let bound = tolerance.saturating_mul(u64::try_from(names.len()).unwrap_or(u64::MAX));
    for (name, ev) in names.iter().zip(&values) {
        let name = name.as_str().unwrap_or("?");
        let (Some(pv), Some(ev)) = (published_totals.get(name), ev.as_u64()) else {
            return Some(format!("`totals.{name}` is missing from the report"));
        };
        match pv {
            Value::Null => {}
            v => match v.as_u64() {
                Some(pv) if pv.abs_diff(ev) <= bound => {}
                Some(pv) => {
                    return Some(format!(
                        "`totals.{name}`: published `{pv}` is further than the noise bound `{bound}` from the ledger's count"
                    ))
                }
                None => {
                    return Some(format!("`totals.{name}`: published `{}` is not a count", shown(v)))
                }
            },
        }
    }
    None
}
