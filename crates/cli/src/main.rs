//! The `rightsgate` binary: parses the arguments, runs the command (`cli::run`) and maps the outcome to the
//! documented exit codes.
//!
//! Exit codes: 0 success (whatever a decision's outcome), 1 an operational failure (IO, database),
//! 2 invalid input (each problem on its own stderr line naming file, location and what was expected),
//! 3 a ledger or a report that does not verify (`ledger verify`, `report verify`).

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = cli::run(cli, &mut out);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(code), Ok(())) => code,
        (Err(e), _) => fail(&e),
        (Ok(_), Err(e)) => fail(&anyhow::Error::new(e).context("writing to stdout")),
    }
}

fn fail(e: &anyhow::Error) -> ExitCode {
    let mut err = std::io::stderr().lock();
    // The process is ending; a failure to write the reason cannot be reported anywhere else.
    let _ = writeln!(err, "rightsgate: {e:#}");
    ExitCode::FAILURE
}
