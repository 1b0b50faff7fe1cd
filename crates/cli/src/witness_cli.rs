//! `rightsgate witness init|serve|add`: an oversight body's witness (c2sp.org/tlog-witness).
//!
//! `init` generates the witness's Ed25519 cosigning key and prints its verifier key (`cosignature/v1`, type
//! 0x04). `serve` answers `POST /add-checkpoint`; `add` does the same for one checkpoint offline and prints
//! the cosignature line. Both keep the last cosigned checkpoint of each log in `--state DIR` and commit it
//! before a cosignature is handed out, so the two may share a state directory.
//!
//! Exit codes: 0 cosigned, 1 an operational failure, 2 invalid input or a checkpoint the witness refuses as
//! out of date or malformed (one line naming the flag or file), 3 a checkpoint that does not verify (bad log
//! signature, a fork, or a consistency proof that fails).

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use ledger::{ConsistencyProof, Cosigner, Digest};
use witness::{AddCheckpoint, AddError, Logs, Refusal, State, Witness};

use crate::{clock, invalid};

/// Exit code for a checkpoint that does not verify.
const UNVERIFIED: u8 = 3;

/// `rightsgate witness …`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum WitnessCommand {
    /// Generate the witness's cosigning key (written with 0600 permissions) and print its verifier key.
    Init {
        /// The witness's name, a schema-less URL such as `oversight.example/witness`.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Answer `POST /add-checkpoint` until interrupted.
    Serve {
        #[command(flatten)]
        witness: WitnessArgs,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7380")]
        listen: SocketAddr,
    },
    /// Check and cosign one checkpoint offline, update the state, and print the cosignature line.
    Add {
        #[command(flatten)]
        witness: WitnessArgs,
        /// The size of the last checkpoint this witness cosigned for the log (0 if none).
        #[arg(long, value_name = "N")]
        old: u64,
        /// The consistency proof from `--old` to the checkpoint: one base64 hash per line, or the JSON of
        /// `rightsgate ledger consistency`; none for an empty proof.
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
        /// The checkpoint, a note signed by the log.
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
    },
}

/// What every witness command but `init` needs: its key, the logs it watches and its state.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct WitnessArgs {
    /// The witness's private key file, written by `witness init`.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// A log to witness and a key it signs with, `ORIGIN=VKEY`; repeat for more logs or keys.
    #[arg(long = "log", value_name = "ORIGIN=VKEY", required = true)]
    logs: Vec<String>,
    /// The state directory (created if missing).
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
}

/// Runs one `witness` subcommand.
pub(crate) fn run(cmd: WitnessCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        WitnessCommand::Init { name, key } => init(&name, &key, out),
        WitnessCommand::Serve { witness, listen } => {
            let (cosigner, logs) = match witness.load()? {
                Ok(loaded) => loaded,
                Err(code) => return Ok(code),
            };
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("RIGHTSGATE_LOG")
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .with_writer(std::io::stderr)
                .try_init();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(serve(cosigner, logs, &witness.state, listen, out))?;
            Ok(ExitCode::SUCCESS)
        }
        WitnessCommand::Add { witness, old, proof, checkpoint } => {
            let (cosigner, logs) = match witness.load()? {
                Ok(loaded) => loaded,
                Err(code) => return Ok(code),
            };
            let proof = match proof {
                Some(path) => match read_proof(&path)? {
                    Ok(p) => p,
                    Err(msg) => return invalid(&format!("--proof `{}`: {msg}", path.display())),
                },
                None => ConsistencyProof::default(),
            };
            let note = std::fs::read_to_string(&checkpoint)
                .with_context(|| format!("reading checkpoint `{}`", checkpoint.display()))?;
            let body = AddCheckpoint { old, proof, note }.to_body();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let result = runtime.block_on(async {
                let state = State::open(&witness.state).await?;
                let result = Witness::new(cosigner, logs, state.clone())
                    .add_checkpoint(body.as_bytes(), now())
                    .await;
                state.close().await;
                result
            });
            match result {
                Ok(lines) => {
                    out.write_all(lines.as_bytes())?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(AddError::Refused(refusal)) => refused(&refusal, &checkpoint),
                Err(AddError::State(e)) => Err(e).context("witness state"),
            }
        }
    }
}

impl WitnessArgs {
    /// Reads the key and the `--log` flags; invalid input is reported and becomes exit code 2.
    fn load(&self) -> anyhow::Result<Result<(Cosigner, Logs), ExitCode>> {
        let text = std::fs::read_to_string(&self.key)
            .with_context(|| format!("reading key `{}`", self.key.display()))?;
        let cosigner = match text.trim().parse::<Cosigner>() {
            Ok(c) => c,
            Err(e) => return invalid(&format!("--key `{}`: {e}", self.key.display())).map(Err),
        };
        let mut logs = Logs::new();
        for value in &self.logs {
            if let Err(msg) = logs.add_flag(value) {
                return invalid(&format!("--log {msg}")).map(Err);
            }
        }
        Ok(Ok((cosigner, logs)))
    }
}

async fn serve(
    cosigner: Cosigner,
    logs: Logs,
    state: &Path,
    listen: SocketAddr,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let state = State::open(state).await.context("opening the witness state")?;
    let name = cosigner.name().to_owned();
    let vkey = cosigner.verifier();
    let witness = Witness::new(cosigner, logs, state.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    writeln!(out, "rightsgate witness {name} listening on http://{addr}/ (verifier key {vkey})")?;
    out.flush()?;
    tracing::info!(%addr, witness = %name, "listening");
    axum::serve(listener, witness::router(witness, now))
        .with_graceful_shutdown(async move {
            let mut terminate = terminate;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        })
        .await
        .context("serving")?;
    state.close().await;
    Ok(())
}

/// The current POSIX time in seconds (0 before 1970, which no real clock reads).
fn now() -> u64 {
    u64::try_from(clock::now().unix_timestamp()).unwrap_or(0)
}

/// Reports a refusal as one line naming the flag or file, with exit code 2 or 3.
fn refused(refusal: &Refusal, checkpoint: &Path) -> anyhow::Result<ExitCode> {
    let file = checkpoint.display();
    let (msg, code) = match refusal {
        Refusal::OldMismatch { .. } | Refusal::OldTooLarge { .. } => {
            (format!("--old: {refusal}"), crate::INVALID)
        }
        Refusal::Proof(_) => (format!("--proof: {refusal}"), UNVERIFIED),
        Refusal::Signature(_) | Refusal::Fork { .. } => {
            (format!("--checkpoint `{file}`: {refusal}"), UNVERIFIED)
        }
        Refusal::UnknownLog(_) => {
            (format!("--checkpoint `{file}`: {refusal} (add it with --log)"), crate::INVALID)
        }
        Refusal::Malformed(_) => (format!("--checkpoint `{file}`: {refusal}"), crate::INVALID),
    };
    // The process is about to exit non-zero; stderr is the only place to say why.
    let _ = writeln!(std::io::stderr().lock(), "rightsgate: {msg}");
    Ok(ExitCode::from(code))
}

/// Reads a consistency proof: one base64 hash per line, or JSON with a `hashes` array of hex digests.
fn read_proof(path: &Path) -> anyhow::Result<Result<ConsistencyProof, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading proof `{}`", path.display()))?;
    if text.trim_start().starts_with('{') {
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => return Ok(Err(format!("not JSON: {e}"))),
        };
        let Some(hashes) = json.get("hashes").and_then(serde_json::Value::as_array) else {
            return Ok(Err("expected a `hashes` array".to_owned()));
        };
        let mut out = Vec::new();
        for (i, h) in hashes.iter().enumerate() {
            let digest = h.as_str().and_then(digest_from_hex);
            match digest {
                Some(d) => out.push(d),
                None => return Ok(Err(format!("/hashes/{i}: expected 64 hex digits"))),
            }
        }
        return Ok(Ok(ConsistencyProof::from_hashes(out)));
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let digest = witness::request::parse_proof_line(line.trim());
        match digest {
            Some(d) => out.push(d),
            None => return Ok(Err(format!("line {}: expected a base64 32-byte hash", i + 1))),
        }
    }
    Ok(Ok(ConsistencyProof::from_hashes(out)))
}

/// Reads 64 hex digits as a digest.
fn digest_from_hex(s: &str) -> Option<Digest> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..32)
        .map(|i| s.get(2 * i..2 * i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    Digest::from_slice(&bytes?)
}

fn init(name: &str, path: &Path, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    use rand::RngCore as _;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let cosigner = match Cosigner::from_seed(name, seed) {
        Ok(c) => c,
        Err(e) => return invalid(&format!("--name: {e}")),
    };
    crate::data_dir::write_secret(path, format!("{}\n", cosigner.to_private_string()).as_bytes())?;
    writeln!(out, "{}", cosigner.verifier())?;
    Ok(ExitCode::SUCCESS)
}
