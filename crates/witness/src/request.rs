//! The `add-checkpoint` request body of c2sp.org/tlog-witness: an `old <size>` line, up to 63 consistency
//! proof lines (one base64 hash each), a blank line, then the checkpoint as a signed note.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ledger::{ConsistencyProof, Digest};

use crate::check::Refusal;

/// The most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// One `add-checkpoint` request, read but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness last cosigned for this log.
    pub old: u64,
    /// The consistency proof from `old` to the submitted checkpoint's size.
    pub proof: ConsistencyProof,
    /// The submitted checkpoint: a signed note, possibly with several signatures.
    pub note: String,
}

impl AddCheckpoint {
    /// Reads a request body.
    ///
    /// # Errors
    /// [`Refusal::Malformed`] naming what is wrong (answered with 400).
    pub fn parse(body: &[u8]) -> Result<Self, Refusal> {
        let text = std::str::from_utf8(body).map_err(|_| malformed("body is not UTF-8"))?;
        let (first, mut rest) =
            text.split_once('\n').ok_or_else(|| malformed("missing `old` line"))?;
        let old = first
            .strip_prefix("old ")
            .ok_or_else(|| malformed("first line must be `old <size>`"))?;
        let old = parse_size(old)
            .ok_or_else(|| malformed("old size must be a decimal without leading zeros"))?;
        let mut hashes = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| malformed("missing blank line before the checkpoint"))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if hashes.len() == MAX_PROOF_LINES {
                return Err(malformed("more than 63 consistency proof lines"));
            }
            let hash = parse_proof_line(line)
                .ok_or_else(|| malformed("proof line is not a base64 32-byte hash"))?;
            hashes.push(hash);
        }
        if rest.is_empty() {
            return Err(malformed("missing checkpoint"));
        }
        Ok(Self { old, proof: ConsistencyProof::from_hashes(hashes), note: rest.to_owned() })
    }

    /// The request body, as a client sends it.
    #[must_use]
    pub fn to_body(&self) -> String {
        let mut out = format!("old {}\n", self.old);
        for hash in self.proof.hashes() {
            out.push_str(&B64.encode(hash.as_bytes()));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.note);
        out
    }
}

/// Reads one consistency proof line: the base64 of a 32-byte hash.
#[must_use]
pub fn parse_proof_line(line: &str) -> Option<Digest> {
    B64.decode(line).ok().and_then(|bytes| Digest::from_slice(&bytes))
}

/// Reads a tree size: ASCII decimal, no sign, no leading zeros (except `0` itself).
pub(crate) fn parse_size(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn malformed(what: &'static str) -> Refusal {
    Refusal::Malformed(format!("malformed request: {what}"))
}
