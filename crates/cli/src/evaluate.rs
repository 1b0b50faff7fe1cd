//! `rightsgate evaluate`: screen one request file, or a JSON Lines stream, and print decisions.
//!
//! Decisions go to `out`, one problem per line to `err`. Invalid requests print nothing on `out`; the run
//! continues with the next line and the exit code says whether anything was invalid.

use std::io::{BufRead, Write};

use anyhow::Context as _;
use domain::InputError;
use rules::Context;

/// What a run saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Decisions printed.
    pub(crate) decided: u64,
    /// Requests rejected as invalid input.
    pub(crate) invalid: u64,
}

/// Screens a single request file.
pub(crate) fn evaluate_file(
    file: &str,
    bytes: &[u8],
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Tally> {
    match app::intake::screen(file, bytes, ctx) {
        Ok((_, decision)) => {
            serde_json::to_writer_pretty(&mut *out, &decision).context("writing the decision")?;
            out.write_all(b"\n").context("writing the decision")?;
            Ok(Tally { decided: 1, invalid: 0 })
        }
        Err(problems) => {
            report(err, &problems)?;
            Ok(Tally { decided: 0, invalid: 1 })
        }
    }
}

/// Screens every line of a JSON Lines stream. Blank lines are skipped; each decision is one line.
///
/// The digest of a request is that of its line without the line terminator (`\n` or `\r\n`).
pub(crate) fn evaluate_jsonl(
    file: &str,
    input: &mut dyn BufRead,
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut buf = Vec::with_capacity(8192);
    let mut lines = app::jsonl::Lines::new(input);
    while let Some(line) = lines.next_line().with_context(|| format!("reading {file}"))? {
        let (number, bytes) = (line.number, line.bytes);
        // The file name is only needed in errors, so it is only formatted for them.
        match app::intake::screen("", bytes, ctx) {
            Ok((_, decision)) => {
                buf.clear();
                serde_json::to_writer(&mut buf, &decision).context("serializing a decision")?;
                buf.push(b'\n');
                out.write_all(&buf).context("writing decisions")?;
                tally.decided += 1;
            }
            Err(mut problems) => {
                for problem in &mut problems {
                    problem.file = format!("{file}: line {number}");
                }
                report(err, &problems)?;
                tally.invalid += 1;
            }
        }
    }
    Ok(tally)
}

/// Writes one line per problem.
pub(crate) fn report(err: &mut dyn Write, problems: &[InputError]) -> anyhow::Result<()> {
    for problem in problems {
        writeln!(err, "{problem}").context("writing to stderr")?;
    }
    Ok(())
}
