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
    let requests = crate::gen::requests(&packs, ctx.policy(), n, seed);
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
