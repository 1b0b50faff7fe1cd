//! `rightsgate bench`: the screening benchmark of issue 2, run in one process so that the engine and its
//! baseline are measured side by side on the same machine, the same requests and the same run.
//!
//! It generates N requests, then times (1) `screen` alone on parsed requests, (2) the whole `evaluate --jsonl`
//! pipeline (parse, digest, screen, serialize) over the JSON Lines bytes, and (3) the baseline: parse each line
//! into a request and serialize it again.

use std::io::{Cursor, Write};
use std::time::Instant;

use anyhow::Context as _;
use domain::Request;
use rules::Context;

use crate::evaluate;

/// Runs the benchmark and writes a report to `out`.
pub(crate) fn run(
    ctx: &Context,
    n: usize,
    seed: u64,
    rounds: usize,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let packs: Vec<_> = ctx.lawpacks().collect();
    let requests = app::gen::requests(&packs, ctx.policy(), n, seed);
    let mut jsonl = Vec::with_capacity(n * 1500);
    for r in &requests {
        serde_json::to_writer(&mut jsonl, r).context("serializing a generated request")?;
        jsonl.push(b'\n');
    }
    let lines: Vec<&[u8]> = jsonl.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let digests: Vec<String> = lines.iter().map(|l| rules::sha256_hex(l)).collect();
    writeln!(
        out,
        "{n} generated requests (seed {seed}), {:.1} MiB of JSON Lines, mean {} bytes per request; best of {rounds} rounds",
        jsonl.len() as f64 / (1 << 20) as f64,
        jsonl.len() / n.max(1)
    )?;

    let mut outcomes = std::collections::BTreeMap::new();
    let screen_only = best(rounds, || {
        let mut refused = 0usize;
        for (r, d) in requests.iter().zip(&digests) {
            if let Ok(decision) = rules::screen(r, d, ctx) {
                refused += usize::from(decision.outcome == domain::vocab::Outcome::Refuse);
            }
        }
        std::hint::black_box(refused);
    });
    for r in &requests {
        if let Ok(d) = rules::screen(r, "", ctx) {
            *outcomes.entry(d.outcome.as_str()).or_insert(0usize) += 1;
        }
    }
    let mut sink = Sink::default();
    let mut err = Sink::default();
    let pipeline = best(rounds, || {
        sink.0 = 0;
        let mut input = Cursor::new(&jsonl);
        let tally = evaluate::evaluate_jsonl("bench", &mut input, ctx, &mut sink, &mut err);
        std::hint::black_box(tally.ok());
    });
    let decision_bytes = sink.0;
    let baseline = best(rounds, || {
        let mut buf = Vec::with_capacity(4096);
        for line in &lines {
            if let Ok(request) = serde_json::from_slice::<Request>(line) {
                buf.clear();
                if serde_json::to_writer(&mut buf, &request).is_ok() {
                    buf.push(b'\n');
                    let _ = sink.write_all(&buf);
                }
            }
        }
    });
    let per_sec = |secs: f64| n as f64 / secs;
    writeln!(out, "outcomes: {outcomes:?}")?;
    writeln!(
        out,
        "screen() only:                        {:>10.0} decisions/s  ({:.3} s)",
        per_sec(screen_only),
        screen_only
    )?;
    writeln!(
        out,
        "evaluate --jsonl pipeline (in-process): {:>8.0} requests/s   ({:.3} s)",
        per_sec(pipeline),
        pipeline
    )?;
    writeln!(
        out,
        "baseline: parse + re-serialize:       {:>10.0} requests/s   ({:.3} s)",
        per_sec(baseline),
        baseline
    )?;
    writeln!(
        out,
        "pipeline / baseline = {:.2}x (goal <= 2x); mean decision {} bytes",
        pipeline / baseline,
        decision_bytes / n.max(1) as u64
    )?;
    Ok(())
}

/// The best wall-clock time of `rounds` runs, in seconds.
fn best(rounds: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// A writer that counts bytes and keeps none.
#[derive(Debug, Default)]
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `rightsgate bench-ingest`: ingest of N generated requests into a fresh store, beside the floor (a bare
/// insert of the same request bytes in the same batches), on SQLite and optionally PostgreSQL.
pub(crate) fn ingest(
    inputs: &crate::ScreeningArgs,
    n: usize,
    batch: usize,
    postgres: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let ctx = match inputs.load() {
        Ok(ctx) => ctx,
        Err(problems) => anyhow::bail!(
            "{}",
            problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        ),
    };
    let dir = std::env::temp_dir().join(format!("rightsgate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("requests.jsonl");
    {
        let packs: Vec<_> = ctx.lawpacks().collect();
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
        let mut done = 0;
        while done < n {
            let k = (n - done).min(10_000);
            // Distinct seeds per chunk keep references unique across chunks and memory flat.
            for r in app::gen::requests_from(&packs, ctx.policy(), done..done + k, 42 + done as u64)
            {
                serde_json::to_writer(&mut w, &r)?;
                w.write_all(b"\n")?;
            }
            done += k;
        }
        w.flush()?;
    }
    let bytes = std::fs::metadata(&file)?.len();
    writeln!(
        out,
        "{n} generated requests, {:.0} MiB, batches of {batch}",
        bytes as f64 / (1 << 20) as f64
    )?;
    let key = dir.join("bench.key");
    if !key.exists() {
        crate::data_dir::write_secret(&key, &store::Sealer::generate_key())?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut targets = vec![(
        "sqlite",
        format!("sqlite://{}?mode=rwc", dir.join("ingest.db").display()),
        format!("sqlite://{}?mode=rwc", dir.join("floor.db").display()),
    )];
    if let Some(base) = postgres {
        let pid = std::process::id();
        let ingest_url =
            runtime.block_on(store::postgres_fresh_schema(base, &format!("bench_ingest_{pid}")))?;
        let floor_url =
            runtime.block_on(store::postgres_fresh_schema(base, &format!("bench_floor_{pid}")))?;
        targets.push(("postgres", ingest_url, floor_url));
    }
    for (backend, ingest_url, floor_url) in targets {
        reset_peak_rss();
        let opts = crate::ingest::Options {
            file: file.clone(),
            store: crate::StoreArgs { db: Some(ingest_url), key: Some(key.clone()) },
            inputs: inputs.clone(),
            batch,
            ack: None,
            quiet: true,
        };
        let start = Instant::now();
        let mut sink = Sink::default();
        let tally = crate::ingest::run(&opts, &mut sink, &mut std::io::sink())?;
        let ingest_secs = start.elapsed().as_secs_f64();
        let ingest_rss = peak_rss_mib();
        let taken = tally.map_or(0, |t| t.taken_in);

        reset_peak_rss();
        let start = Instant::now();
        runtime.block_on(async {
            let store = Store::connect(&floor_url).await?;
            let reader = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(&file)?);
            let mut rows = Vec::with_capacity(batch);
            for line in std::io::BufRead::split(reader, b'\n') {
                rows.push(line?);
                if rows.len() == batch {
                    store.bench_floor_insert(&rows, batch).await?;
                    rows.clear();
                }
            }
            store.bench_floor_insert(&rows, batch).await?;
            store.close().await;
            anyhow::Ok(())
        })?;
        let floor_secs = start.elapsed().as_secs_f64();
        writeln!(
            out,
            "{backend}: ingest {taken} cases in {ingest_secs:.1} s = {:.0} requests/s, peak RSS {ingest_rss} MiB; \
             floor (bare insert of the same bytes) {floor_secs:.1} s = {:.0} rows/s; ingest / floor = {:.2}x",
            n as f64 / ingest_secs,
            n as f64 / floor_secs,
            ingest_secs / floor_secs
        )?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

use store::Store;

/// Resets the kernel's peak-RSS counter for this process (Linux); a no-op elsewhere.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory since the last reset, in MiB (Linux `VmHWM`), or 0 when unknown.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
