//! `rightsgate report`: transparency reports computed from the ledger's leaves alone (issue 7), in JSON
//! (`rightsgate/report/v1`, schema in `docs/report.schema.json`), CSV (one tidy table per breakdown and a data
//! dictionary) and self-contained HTML with SVG charts; `report verify` recomputes every published number from
//! the ledger and checks the checkpoint the report names.
//!
//! Exit codes: 0 success, 1 an operational failure, 2 invalid input, 3 `verify` found a number, the
//! checkpoint or the ledger not matching (the first mismatch is named on stdout and stderr).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use domain::leaf::Leaf;
use domain::stats::{self, Aggregator, Period, RandomSource, Report, Suppression, Table};
use domain::Day;
use ledger::{Checkpoint, Frontier, NoteSigner, RootHash, VerifierKey};
use serde_json::{json, Value};
use store::Store;

/// Exit code when `verify` finds a mismatch.
const MISMATCH: u8 = 3;
/// Exit code for invalid input.
const INVALID: u8 = 2;
/// The origin line when neither `--origin` nor a key names one (as `rightsgate ledger checkpoint`).
const DEFAULT_ORIGIN: &str = "rightsgate/ledger";
/// The JSON report's schema name.
pub(crate) const SCHEMA: &str = "rightsgate/report/v1";
/// Leaves read per query.
const CHUNK: u64 = 10_000;
/// The probability bound per count that `verify` accepts for differential-privacy noise.
const NOISE_TAIL: f64 = 1e-9;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// `report.html`.
    Html,
    /// One `*.csv` per table plus `data_dictionary.csv`.
    Csv,
    /// `report.json`.
    Json,
}

/// Flags of `rightsgate report` (making a report).
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// First day of the period (by the request's received day), `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Last day of the period; defaults to the end of the half-year that contains `--from`.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Output formats, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "html,csv,json")]
    format: Vec<Format>,
    /// Directory to write the report into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Database URL of the ledger: `sqlite://PATH` or `postgres://...`.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Counts from 1 to k − 1 are withheld ("<k"), with complementary cells.
    #[arg(long, default_value_t = 5)]
    k: u64,
    /// Add discrete Laplace noise with this ε to every count (the total budget is stated in the report).
    #[arg(long, value_name = "E")]
    epsilon: Option<f64>,
    /// Sign the checkpoint with this key file (written by `rightsgate ledger keygen`).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The checkpoint's origin line; defaults to the key's name.
    #[arg(long, value_name = "NAME")]
    origin: Option<String>,
    /// Seed the noise generator (for tests only: seeded noise can be removed by anyone who knows the seed).
    #[arg(long, hide = true)]
    noise_seed: Option<u64>,
}

/// The `report` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ReportCommand {
    /// Recompute every number of REPORT.json from the ledger and check its checkpoint.
    Verify {
        /// The JSON report.
        #[arg(value_name = "REPORT.json")]
        report: PathBuf,
        /// Database URL of the ledger.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Check the checkpoint's signature with this note verifier key instead of the one the report names.
        #[arg(long, value_name = "VKEY")]
        verifier_key: Option<String>,
    },
}

/// Runs `rightsgate report` or `rightsgate report verify`.
pub(crate) fn run(
    args: ReportArgs,
    cmd: Option<ReportCommand>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cmd {
        None => runtime.block_on(make(args, out)),
        Some(ReportCommand::Verify { report, db, verifier_key }) => {
            runtime.block_on(verify(&report, db.as_deref(), verifier_key.as_deref(), out))
        }
    }
}

/// Disclosure control as requested.
#[derive(Debug, Clone, Copy)]
struct Control {
    k: u64,
    epsilon: Option<f64>,
}

/// `rand`'s generators as the domain's random source.
struct Rng<R>(R);

impl<R: rand::RngCore> RandomSource for Rng<R> {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

async fn make(args: ReportArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let db = crate::data_dir::db_or_default(args.db.as_deref())?;
    let db = db.as_str();
    let Some(dir) = args.out.as_deref() else {
        return invalid("give the output directory with `--out DIR`");
    };
    let period = match period(args.from.as_deref(), args.to.as_deref()) {
        Ok(p) => p,
        Err(msg) => return invalid(&msg),
    };
    if let Some(e) = args.epsilon {
        if !(e.is_finite() && e > 0.0) {
            return invalid(&format!("`--epsilon` must be a positive number, got `{e}`"));
        }
    }
    if args.k == 0 {
        return invalid("`--k` must be at least 1");
    }
    let signer = match &args.key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading key `{}`", path.display()))?;
            match text.trim().parse::<NoteSigner>() {
                Ok(s) => Some(s),
                Err(e) => return invalid(&format!("key `{}`: {e}", path.display())),
            }
        }
        None => None,
    };
    let origin = args
        .origin
        .clone()
        .or_else(|| signer.as_ref().map(|s| s.name().to_owned()))
        .unwrap_or_else(|| DEFAULT_ORIGIN.to_owned());

    let store = connect(db).await?;
    let size = store.tree_size().await.context("reading the tree size")?;
    let (report, root) = compute(&store, period, size).await?;
    let stored = store.root_at(size).await.context("reading the stored root")?;
    if stored != root {
        anyhow::bail!(
            "the stored ledger does not recompute at tree size `{size}`; run `rightsgate ledger verify`"
        );
    }
    let checkpoint = match Checkpoint::new(&origin, root) {
        Ok(c) => c,
        Err(e) => return invalid(&format!("origin `{origin}`: {e}")),
    };
    let note = match &signer {
        Some(s) => checkpoint.sign(s).context("signing the checkpoint")?,
        None => checkpoint.body(),
    };
    let control = Control { k: args.k, epsilon: args.epsilon };
    let published = match (args.epsilon, args.noise_seed) {
        (Some(_), Some(seed)) => {
            use rand::SeedableRng as _;
            publish(&report, control, Some(&mut Rng(rand::rngs::StdRng::seed_from_u64(seed))))
        }
        (Some(_), None) => publish(&report, control, Some(&mut Rng(rand::rngs::OsRng))),
        (None, _) => publish::<Rng<rand::rngs::OsRng>>(&report, control, None),
    };
    let document = document(
        period,
        &checkpoint,
        &note,
        signer.as_ref().map(|s| s.verifier().to_string()).as_deref(),
        published,
    );
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let mut written = Vec::new();
    for format in dedup(&args.format) {
        match format {
            Format::Json => {
                let path = dir.join("report.json");
                let mut text = serde_json::to_string_pretty(&document)?;
                text.push('\n');
                write_file(&path, &text)?;
                written.push(path);
            }
            Format::Csv => written.extend(write_csv(dir, &document)?),
            Format::Html => {
                let path = dir.join("report.html");
                write_file(&path, &html(&document)?)?;
                written.push(path);
            }
        }
    }
    let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    serde_json::to_writer(
        &mut *out,
        &json!({"tree_size": size, "root_hash": root.digest().to_string(), "files": files}),
    )?;
    out.write_all(b"\n")?;
    Ok(ExitCode::SUCCESS)
}

fn dedup(formats: &[Format]) -> Vec<Format> {
    let mut seen = Vec::new();
    for f in formats {
        if !seen.contains(f) {
            seen.push(*f);
        }
    }
    seen
}

fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, String> {
    let from = from.ok_or("give the first day of the period with `--from DATE`")?;
    let from = Day::parse(from).map_err(|e| format!("`--from`: {e}"))?;
    let to = match to {
        Some(t) => Day::parse(t).map_err(|e| format!("`--to`: {e}"))?,
        None => Period::half_year(from).to(),
    };
    Period::new(from, to).map_err(|e| e.to_string())
}

/// Streams leaves `0..size` from the store: the exact statistics and the root the leaves hash to.
async fn compute(store: &Store, period: Period, size: u64) -> anyhow::Result<(Report, RootHash)> {
    let mut agg = Aggregator::new(period);
    let mut frontier = Frontier::new();
    let mut start = 0;
    while start < size {
        let end = size.min(start + CHUNK);
        let chunk = store
            .leaves(start, end)
            .await
            .with_context(|| format!("reading leaves `{start}` to `{end}`"))?;
        for (expect, (index, bytes)) in (start..end).zip(&chunk) {
            if *index != expect {
                anyhow::bail!("leaf `{expect}` is missing from the ledger");
            }
            frontier.push(ledger::leaf_hash(bytes), |_, _| {});
            let leaf = Leaf::decode(bytes).with_context(|| format!("reading leaf `{index}`"))?;
            agg.push(&leaf).with_context(|| format!("counting leaf `{index}`"))?;
        }
        if (chunk.len() as u64) < end - start {
            anyhow::bail!("leaves `{start}` to `{end}` are incomplete in the ledger");
        }
        start = end;
    }
    Ok((agg.finish(), frontier.root()))
}

/// The number of rules that can refuse: the most refusal grounds one case can cite.
fn grounds_bound() -> usize {
    rules::CATALOGUE.iter().filter(|r| r.effects.contains(&domain::vocab::Effect::Refuse)).count()
}

/// The published numbers: everything in the JSON report except the checkpoint.
fn publish<R: RandomSource>(report: &Report, control: Control, mut noise: Option<&mut R>) -> Value {
    let mut suppressed = Vec::new();
    let mut tables = Vec::new();
    let mut totals = serde_json::Map::new();
    for table in &report.tables {
        let table = match (control.epsilon, noise.as_deref_mut()) {
            (Some(e), Some(rng)) => stats::add_noise(table, e, rng),
            _ => table.clone(),
        };
        let (value, cells) = publish_table(&table, control.k, &mut suppressed);
        if table.id == "totals" {
            if let Some(row) = cells.first() {
                for (name, cell) in table_columns(&table).iter().zip(row) {
                    totals.insert(name.clone(), cell.clone());
                }
            }
        }
        tables.push(value);
    }
    let exact = control.epsilon.is_none();
    let withheld = |n: u64| (n > 0 && n < control.k).then_some(Value::Null);
    let days = &report.days;
    let days = if exact && withheld(days.decided).is_none() {
        json!({"decided": days.decided, "median": days.median, "p90": days.p90})
    } else {
        json!({"decided": null, "median": null, "p90": null})
    };
    let method = method(control);
    json!({
        "disclosure_control": {
            "k": control.k,
            "epsilon": control.epsilon,
            "noise": control.epsilon.map(|_| "two-sided geometric (discrete Laplace), independent per count"),
            "max_counts_per_case": stats::max_contributions(grounds_bound()),
            "privacy_budget": control.epsilon.map(|e| e * stats::max_contributions(grounds_bound()) as f64),
            "method": method,
        },
        "totals": Value::Object(totals),
        "identifiers_affected": if exact { json!(report.identifiers) } else { Value::Null },
        "days_to_decision": days,
        "tables": tables,
        "suppressed": suppressed,
    })
}

fn method(control: Control) -> String {
    let k = control.k;
    let mut text = format!(
        "Counts from 1 to {} are shown as \"<{k}\". Then, in every row and column whose total is published, \
         if exactly one cell is withheld the smallest other cell is withheld too (shown as \"x\"), repeated until \
         no line has exactly one withheld cell, so no withheld count can be recovered by subtracting the others \
         from the total. Each table is protected on its own margins.",
        k.saturating_sub(1)
    );
    match control.epsilon {
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
                        "reason": match reason { Suppression::Small => "small", Suppression::Complementary => "complementary" },
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

/// The whole JSON report.
fn document(
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

async fn verify(
    path: &Path,
    db: Option<&str>,
    verifier_key: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let db = crate::data_dir::db_or_default(db)?;
    let db = db.as_str();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading report `{}`", path.display()))?;
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return invalid(&format!("report `{}`: {e}", path.display())),
    };
    let header = match read_header(&doc, verifier_key) {
        Ok(h) => h,
        Err(Problem::Invalid(msg)) => {
            return invalid(&format!("report `{}`: {msg}", path.display()))
        }
        Err(Problem::Mismatch(msg)) => return mismatch(out, &msg),
    };
    let store = connect(db).await?;
    let stored_size = store.tree_size().await.context("reading the tree size")?;
    let size = header.checkpoint.root().size();
    if stored_size < size {
        return mismatch(
            out,
            &format!(
                "the ledger holds `{stored_size}` leaves, fewer than the checkpoint's `{size}`"
            ),
        );
    }
    let (report, root) = match compute(&store, header.period, size).await {
        Ok(r) => r,
        Err(e) => return mismatch(out, &format!("{e:#}")),
    };
    if &root != header.checkpoint.root() {
        return mismatch(
            out,
            &format!(
                "the ledger's leaves do not hash to the checkpoint's root at tree size `{size}`"
            ),
        );
    }
    let control = Control { k: header.k, epsilon: header.epsilon };
    let recomputed = publish::<Rng<rand::rngs::OsRng>>(&report, control, None);
    let first = match header.epsilon {
        None => first_difference("", &published_part(&doc), &recomputed),
        Some(e) => {
            let exact =
                publish::<Rng<rand::rngs::OsRng>>(&report, Control { k: 0, epsilon: None }, None);
            within_noise(&doc, &exact, e)
        }
    };
    if let Some(msg) = first {
        return mismatch(out, &msg);
    }
    serde_json::to_writer(
        &mut *out,
        &json!({
            "ok": true,
            "tree_size": size,
            "root_hash": root.digest().to_string(),
            "signature": header.signature,
        }),
    )?;
    out.write_all(b"\n")?;
    Ok(ExitCode::SUCCESS)
}

struct Header {
    period: Period,
    checkpoint: Checkpoint,
    k: u64,
    epsilon: Option<f64>,
    signature: &'static str,
}

enum Problem {
    Invalid(String),
    Mismatch(String),
}

fn read_header(doc: &Value, verifier_key: Option<&str>) -> Result<Header, Problem> {
    let field =
        |path: &str| doc.pointer(path).ok_or_else(|| Problem::Invalid(format!("missing `{path}`")));
    let text = |path: &str| {
        field(path)?.as_str().ok_or_else(|| Problem::Invalid(format!("`{path}` is not a string")))
    };
    if text("/schema")? != SCHEMA {
        return Err(Problem::Invalid(format!("schema is not `{SCHEMA}`")));
    }
    let day = |path: &str| {
        Day::parse(text(path)?).map_err(|e| Problem::Invalid(format!("`{path}`: {e}")))
    };
    let period = Period::new(day("/period/from")?, day("/period/to")?)
        .map_err(|e| Problem::Invalid(e.to_string()))?;
    let k = field("/disclosure_control/k")?
        .as_u64()
        .ok_or_else(|| Problem::Invalid("`/disclosure_control/k` is not an integer".into()))?;
    let epsilon = field("/disclosure_control/epsilon")?.as_f64();
    let note = text("/checkpoint/note")?;
    let key = verifier_key.map(str::to_owned).or_else(|| {
        doc.pointer("/checkpoint/verifier_key").and_then(Value::as_str).map(str::to_owned)
    });
    let (checkpoint, signature) = match key {
        Some(k) => {
            let k: VerifierKey =
                k.parse().map_err(|e| Problem::Invalid(format!("verifier key: {e}")))?;
            let c = Checkpoint::from_signed_note(note, &k)
                .map_err(|e| Problem::Mismatch(format!("checkpoint signature: {e}")))?;
            let how = if verifier_key.is_some() {
                "checked with the given key"
            } else {
                "checked with the key the report names"
            };
            (c, how)
        }
        None => (
            Checkpoint::parse_body(note)
                .map_err(|e| Problem::Invalid(format!("checkpoint: {e}")))?,
            "none (unsigned checkpoint)",
        ),
    };
    let size = field("/checkpoint/tree_size")?.as_u64();
    let hash = doc.pointer("/checkpoint/root_hash").and_then(Value::as_str);
    if size != Some(checkpoint.root().size()) {
        return Err(Problem::Mismatch(
            "`checkpoint.tree_size` differs from the signed note".into(),
        ));
    }
    if hash != Some(checkpoint.root().digest().to_string().as_str()) {
        return Err(Problem::Mismatch(
            "`checkpoint.root_hash` differs from the signed note".into(),
        ));
    }
    Ok(Header { period, checkpoint, k, epsilon, signature })
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
        (a, b) => Some(format!("`{path}`: published `{a}`, recomputed from the ledger `{b}`")),
    }
}

/// Under noise: every published count lies within the noise bound of the exact count.
fn within_noise(doc: &Value, exact: &Value, epsilon: f64) -> Option<String> {
    // P(|Z| > t) = 2 α^(t+1) / (1 + α) < 2 e^(−ε (t+1)) ≤ NOISE_TAIL.
    let tolerance = ((2.0 / NOISE_TAIL).ln() / epsilon).ceil() as u64;
    let published = doc.get("tables").and_then(Value::as_array)?;
    let exact = exact.get("tables").and_then(Value::as_array)?;
    for (p, e) in published.iter().zip(exact) {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("?");
        let width = e.get("columns").and_then(Value::as_array).map_or(1, Vec::len) as u64;
        let rows = |t: &Value| t.get("rows").and_then(Value::as_array).cloned().unwrap_or_default();
        let (p_rows, e_rows) = (rows(p), rows(e));
        if p_rows.len() != e_rows.len() {
            return Some(format!("`tables.{id}` has other rows than the ledger gives"));
        }
        let height = e_rows.len() as u64;
        for (pr, er) in p_rows.iter().zip(&e_rows) {
            let key = er.get("key").and_then(Value::as_str).unwrap_or("?");
            let cells =
                |r: &Value| r.get("values").and_then(Value::as_array).cloned().unwrap_or_default();
            for ((pv, ev), column) in cells(pr)
                .iter()
                .zip(cells(er))
                .zip(e.get("columns").and_then(Value::as_array).cloned().unwrap_or_default())
            {
                let (Some(pv), Some(ev)) = (pv.as_u64(), ev.as_u64()) else { continue };
                // A margin sums up to `width` or `height` noisy counts.
                let bound = tolerance * width.max(height);
                if pv.abs_diff(ev) > bound {
                    return Some(format!(
                        "`tables.{id}.{key}.{}`: published `{pv}` is further than the noise bound `{bound}` from the ledger's count",
                        column.as_str().unwrap_or("?")
                    ));
                }
            }
        }
    }
    None
}

fn mismatch(out: &mut dyn Write, msg: &str) -> anyhow::Result<ExitCode> {
    serde_json::to_writer(&mut *out, &json!({"ok": false, "error": msg}))?;
    out.write_all(b"\n")?;
    // The process is about to exit non-zero; stderr carries the same reason.
    let _ = writeln!(std::io::stderr().lock(), "rightsgate: report verify failed: {msg}");
    Ok(ExitCode::from(MISMATCH))
}

/// Reports invalid input on stderr and returns exit code 2.
fn invalid(msg: &str) -> anyhow::Result<ExitCode> {
    // The process is about to exit 2; stderr is the only place to say why.
    let _ = writeln!(std::io::stderr().lock(), "rightsgate: {msg}");
    Ok(ExitCode::from(INVALID))
}

async fn connect(url: &str) -> anyhow::Result<Store> {
    Store::connect(url).await.context("opening the ledger database")
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing `{}`", path.display()))
}

/// A published cell as text: the count, or the withheld marker.
fn cell_text(v: &Value, reason: Option<&str>, k: u64) -> String {
    match (v.as_u64(), reason) {
        (Some(n), _) => n.to_string(),
        (None, Some("small")) => format!("<{k}"),
        (None, Some(_)) => "x".to_owned(),
        (None, None) => String::new(),
    }
}

/// Why `table.row.column` is withheld, if it is.
fn reason<'a>(doc: &'a Value, table: &str, row: &str, column: &str) -> Option<&'a str> {
    doc.get("suppressed")?.as_array()?.iter().find_map(|s| {
        (s.get("table")?.as_str()? == table
            && s.get("row")?.as_str()? == row
            && s.get("column")?.as_str()? == column)
            .then(|| s.get("reason").and_then(Value::as_str))
            .flatten()
    })
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn write_csv(dir: &Path, doc: &Value) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let tables = doc.get("tables").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut dictionary = String::from("file,column,type,description\n");
    for table in &tables {
        let id = table.get("id").and_then(Value::as_str).unwrap_or("table");
        let title = table.get("title").and_then(Value::as_str).unwrap_or_default();
        let columns = table.get("columns").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut text = format!("{id},measure,count,suppressed\n");
        for row in table.get("rows").and_then(Value::as_array).cloned().unwrap_or_default() {
            let key = row.get("key").and_then(Value::as_str).unwrap_or_default();
            let values = row.get("values").and_then(Value::as_array).cloned().unwrap_or_default();
            for (column, v) in columns.iter().zip(&values) {
                let column = column.as_str().unwrap_or_default();
                let why = reason(doc, id, key, column).unwrap_or_default();
                let count = v.as_u64().map(|n| n.to_string()).unwrap_or_default();
                text.push_str(&format!("{},{},{count},{why}\n", csv_field(key), csv_field(column)));
            }
        }
        let file = format!("{id}.csv");
        let names: Vec<&str> = columns.iter().filter_map(Value::as_str).collect();
        dictionary.push_str(&format!(
            "{file},{id},text,{}\n{file},measure,text,{}\n{file},count,integer,{}\n{file},suppressed,text,{}\n",
            csv_field(&format!("{title}: the row's value (`all` is the row of column totals)")),
            csv_field(&format!("what is counted: one of {}", names.join(" "))),
            csv_field("the number of cases; empty when withheld"),
            csv_field("empty when shown; `small` when the count is between 1 and k-1; `complementary` when withheld so a small count cannot be recovered"),
        ));
        let path = dir.join(&file);
        write_file(&path, &text)?;
        written.push(path);
    }
    let mut summary = String::from("measure,value\n");
    for (name, pointer) in [
        ("identifiers_affected", "/identifiers_affected"),
        ("decided", "/days_to_decision/decided"),
        ("median_days_to_decision", "/days_to_decision/median"),
        ("p90_days_to_decision", "/days_to_decision/p90"),
        ("k", "/disclosure_control/k"),
        ("epsilon", "/disclosure_control/epsilon"),
        ("privacy_budget", "/disclosure_control/privacy_budget"),
        ("tree_size", "/checkpoint/tree_size"),
        ("root_hash", "/checkpoint/root_hash"),
        ("period_from", "/period/from"),
        ("period_to", "/period/to"),
    ] {
        let v = doc.pointer(pointer).map_or(String::new(), |v| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        });
        summary.push_str(&format!("{name},{}\n", csv_field(&v)));
    }
    dictionary.push_str(
        "summary.csv,measure,text,identifiers_affected (identifiers named by the requests received; empty under noise); decided and the median and 90th-percentile whole days from receipt to decision (nearest rank; empty when fewer than k or under noise); the disclosure-control parameters; the checkpoint's tree size and root hash; the period\n\
         summary.csv,value,text,the value; empty when withheld\n\
         checkpoint.txt,,text,the ledger checkpoint (C2SP signed note) the report was computed from\n",
    );
    let path = dir.join("summary.csv");
    write_file(&path, &summary)?;
    written.push(path);
    let path = dir.join("checkpoint.txt");
    write_file(&path, doc.pointer("/checkpoint/note").and_then(Value::as_str).unwrap_or_default())?;
    written.push(path);
    let path = dir.join("data_dictionary.csv");
    write_file(&path, &dictionary)?;
    written.push(path);
    Ok(written)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart of one value per label, as an SVG element; withheld values are drawn as empty bars.
fn bar_chart(caption: &str, labels: &[String], values: &[Option<u64>]) -> anyhow::Result<String> {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let height = 60 + 24 * u32::try_from(labels.len()).unwrap_or(100);
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let max = values.iter().flatten().max().copied().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(180)
            .build_cartesian_2d(0u64..max + max / 10 + 1, (0..labels.len()).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(labels.len())
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()?;
        chart.draw_series(values.iter().enumerate().map(|(i, v)| {
            let style = match v {
                Some(_) => RGBColor(31, 90, 160).filled(),
                None => RGBColor(160, 160, 160).stroke_width(1),
            };
            Rectangle::new(
                [(0, SegmentValue::Exact(i)), (v.unwrap_or(max / 50), SegmentValue::Exact(i + 1))],
                style,
            )
        }))?;
        root.present()?;
    }
    Ok(svg)
}

fn html(doc: &Value) -> anyhow::Result<String> {
    let k = doc.pointer("/disclosure_control/k").and_then(Value::as_u64).unwrap_or(5);
    let text = |p: &str| doc.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
    let number = |p: &str| match doc.pointer(p) {
        Some(Value::Null) | None => "withheld".to_owned(),
        Some(v) => v.to_string(),
    };
    let mut body = String::new();
    body.push_str(&format!(
        "<h1>Transparency report: cooperation requests received from {} to {}</h1>\n",
        escape(&text("/period/from")),
        escape(&text("/period/to"))
    ));
    body.push_str(&format!(
        "<p>Computed from the transparency ledger at tree size <b>{}</b>, root hash <code>{}</code>. \
         Anyone with read access to the ledger can recompute every number with <code>rightsgate report verify report.json</code>.</p>\n",
        number("/checkpoint/tree_size"),
        escape(&text("/checkpoint/root_hash"))
    ));
    body.push_str(&format!(
        "<h2>Disclosure control</h2>\n<p>{}</p>\n",
        escape(&text("/disclosure_control/method"))
    ));
    body.push_str(&format!(
        "<h2>Summary</h2>\n<ul><li>Identifiers (accounts) affected: {}</li><li>Decided: {}; days from receipt to decision: median {}, 90th percentile {}</li></ul>\n",
        number("/identifiers_affected"),
        number("/days_to_decision/decided"),
        number("/days_to_decision/median"),
        number("/days_to_decision/p90"),
    ));
    for table in doc.get("tables").and_then(Value::as_array).cloned().unwrap_or_default() {
        let id = table.get("id").and_then(Value::as_str).unwrap_or_default();
        let title = table.get("title").and_then(Value::as_str).unwrap_or_default();
        let columns: Vec<String> = table
            .get("columns")
            .and_then(Value::as_array)
            .map(|c| c.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let rows = table.get("rows").and_then(Value::as_array).cloned().unwrap_or_default();
        body.push_str(&format!("<section id=\"{}\">\n<h2>{}</h2>\n", escape(id), escape(title)));
        // The chart shows each row's total (or its single count), without the row of column totals.
        let (labels, values): (Vec<String>, Vec<Option<u64>>) = rows
            .iter()
            .filter(|r| r.get("key").and_then(Value::as_str) != Some(stats::ALL_ROWS))
            .map(|r| {
                let key = r.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
                let v = r
                    .get("values")
                    .and_then(Value::as_array)
                    .and_then(|v| v.last())
                    .and_then(Value::as_u64);
                (key, v)
            })
            .unzip();
        if !labels.is_empty() {
            body.push_str("<figure>");
            body.push_str(&bar_chart(
                &format!(
                    "{} per row (grey outline: withheld)",
                    columns.last().cloned().unwrap_or_default()
                ),
                &labels,
                &values,
            )?);
            body.push_str("</figure>\n");
        }
        body.push_str("<table><thead><tr><th></th>");
        for c in &columns {
            body.push_str(&format!("<th>{}</th>", escape(c)));
        }
        body.push_str("</tr></thead><tbody>\n");
        for row in &rows {
            let key = row.get("key").and_then(Value::as_str).unwrap_or_default();
            body.push_str(&format!("<tr><th>{}</th>", escape(key)));
            let values = row.get("values").and_then(Value::as_array).cloned().unwrap_or_default();
            for (v, c) in values.iter().zip(&columns) {
                body.push_str(&format!(
                    "<td>{}</td>",
                    escape(&cell_text(v, reason(doc, id, key, c), k))
                ));
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</tbody></table>\n</section>\n");
    }
    body.push_str(&format!(
        "<h2>Ledger checkpoint</h2>\n<pre>{}</pre>\n",
        escape(&text("/checkpoint/note"))
    ));
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Transparency report {} to {}</title>\n<style>\n\
         body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#111}}\n\
         table{{border-collapse:collapse;margin:1em 0}}th,td{{border:1px solid #999;padding:.2em .5em;text-align:right}}\n\
         tbody th{{text-align:left}}pre{{white-space:pre-wrap;word-break:break-all}}figure{{margin:0}}svg{{max-width:100%;height:auto}}\n\
         @media print{{section{{break-inside:avoid}}body{{margin:0;max-width:none}}}}\n\
         </style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(&text("/period/from")),
        escape(&text("/period/to")),
    ))
}
