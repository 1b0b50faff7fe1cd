//! `rightsgate ingest FILE.jsonl`: bulk intake. Each line is read, screened and taken in as a case, in batched
//! transactions (case rows, identifier hashes, events and ledger leaves together).
//!
//! Resumable: references already stored for the same requesting state and authority are skipped, so re-running
//! after a crash takes in exactly what is missing. With `--ack FILE`, the references of each committed batch
//! are appended to FILE after the commit, so every acknowledged request is durably stored.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context as _;
use store::{PreparedIntake, Received};

use crate::{clock, evaluate};

/// Options of one ingest run.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The JSON Lines file (`-` for stdin).
    pub(crate) file: PathBuf,
    /// Database URL and sealing key file, or the data directory's.
    pub(crate) store: crate::StoreArgs,
    /// Law packs and policy.
    pub(crate) inputs: crate::ScreeningArgs,
    /// Requests per transaction.
    pub(crate) batch: usize,
    /// Where to append the references of committed batches.
    pub(crate) ack: Option<PathBuf>,
    /// Hide the progress bar.
    pub(crate) quiet: bool,
}

/// One screened, sealed and encoded request waiting for its batch, with its acknowledgement line.
struct Item {
    prepared: PreparedIntake,
    ack: String,
}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) read: u64,
    pub(crate) taken_in: u64,
    pub(crate) already_stored: u64,
    pub(crate) invalid: u64,
    pub(crate) duplicates: u64,
}

/// Runs an ingest; invalid lines are reported on `err` and skipped. Returns the tally.
pub(crate) fn run(
    opts: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Option<Tally>> {
    let ctx = match opts.inputs.load() {
        Ok(ctx) => ctx,
        Err(problems) => {
            evaluate::report(err, &problems)?;
            return Ok(None);
        }
    };
    let sealer = opts.store.sealer()?;
    let (input, total): (Box<dyn BufRead + Send>, u64) = if opts.file == Path::new("-") {
        (Box::new(std::io::BufReader::new(std::io::stdin())), 0)
    } else {
        let f = std::fs::File::open(&opts.file)
            .with_context(|| format!("opening `{}`", opts.file.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(std::io::BufReader::with_capacity(1 << 16, f)), len)
    };
    let bar = if opts.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {bytes}/{total_bytes} {wide_bar} {per_sec} {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    };
    let name = opts.file.display().to_string();
    let batch_size = opts.batch.max(1);
    let start = Instant::now();
    let mut tally = Tally::default();
    let mut problems_seen = Vec::new();

    // One thread reads and screens; this one seals and writes, so the two cores overlap.
    let (tx, rx) = mpsc::sync_channel::<Vec<Item>>(2);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let store = runtime.block_on(opts.store.connect())?;
    let mut ack = match &opts.ack {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening `{}`", path.display()))?,
        )),
        None => None,
    };
    let reader_bar = bar.clone();
    let producer =
        std::thread::spawn(move || -> anyhow::Result<(u64, u64, Vec<domain::InputError>)> {
            let mut lines = app::jsonl::Lines::new(input);
            let mut read = 0u64;
            let mut invalid = 0u64;
            let mut problems = Vec::new();
            let mut batch = Vec::with_capacity(batch_size);
            let mut seen = 0u64;
            while let Some(line) = lines.next_line().context("reading requests")? {
                let (number, bytes) = (line.number, line.bytes);
                read += 1;
                let receipt = app::intake::Receipt {
                    now: clock::now(),
                    actor: "ingest",
                    position: Some(batch.len()),
                };
                // A request the store refuses to keep is an invalid line, like one that does not read.
                let outcome = match app::intake::screen("", bytes, &ctx) {
                    Ok((request, decision)) => {
                        let prepared = app::intake::prepare(
                            &ctx,
                            &sealer,
                            (&request, &decision),
                            bytes,
                            receipt,
                        );
                        app::intake::refused_as_problems(prepared, "")
                            .context("sealing a request")?
                            .map(|prepared| (request, prepared))
                    }
                    Err(problems) => Err(problems),
                };
                match outcome {
                    Ok((request, prepared)) => {
                        let ack = format!(
                            "{}\t{}\t{}",
                            request.requesting.state,
                            request.requesting.authority,
                            request.reference
                        );
                        batch.push(Item { prepared, ack });
                        if batch.len() == batch_size
                            && tx
                                .send(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))
                                .is_err()
                        {
                            break;
                        }
                    }
                    Err(mut errs) => {
                        invalid += 1;
                        for e in &mut errs {
                            e.file = format!("{name}: line {number}");
                        }
                        problems.extend(errs);
                    }
                }
                let total = lines.bytes_read();
                reader_bar.inc(total - seen);
                seen = total;
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            reader_bar.inc(lines.bytes_read() - seen);
            Ok((read, invalid, problems))
        });

    let written: anyhow::Result<()> = runtime.block_on(async {
        for batch in rx {
            let (prepared, acks): (Vec<PreparedIntake>, Vec<String>) =
                batch.into_iter().map(|item| (item.prepared, item.ack)).unzip();
            let received = store.intake_prepared(prepared).await.context("storing a batch")?;
            for (line, r) in acks.iter().zip(&received) {
                match r {
                    Received::New { duplicate_of, .. } => {
                        tally.taken_in += 1;
                        tally.duplicates += u64::from(duplicate_of.is_some());
                    }
                    Received::AlreadyStored { .. } => tally.already_stored += 1,
                }
                if let Some(ack) = &mut ack {
                    writeln!(ack, "{line}")?;
                }
            }
            if let Some(ack) = &mut ack {
                ack.flush().context("writing acknowledgements")?;
            }
            bar.set_message(format!("{} cases", tally.taken_in));
        }
        store.close().await;
        Ok(())
    });
    let produced = producer.join().map_err(|_| anyhow::anyhow!("the reading thread failed"))?;
    written?;
    let (read, invalid, problems) = produced?;
    problems_seen.extend(problems);
    bar.finish_and_clear();
    evaluate::report(err, &problems_seen)?;
    tally.read = read;
    tally.invalid = invalid;
    let secs = start.elapsed().as_secs_f64();
    serde_json::to_writer(
        &mut *out,
        &serde_json::json!({
            "read": tally.read,
            "taken_in": tally.taken_in,
            "already_stored": tally.already_stored,
            "invalid": tally.invalid,
            "duplicates_flagged": tally.duplicates,
            "seconds": (secs * 1000.0).round() / 1000.0,
            "per_second": if secs > 0.0 { (tally.read as f64 / secs).round() } else { 0.0 },
        }),
    )?;
    writeln!(out)?;
    Ok(Some(tally))
}
