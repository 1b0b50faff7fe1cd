//! The witness's checks, pure: which logs it watches, why it refuses a checkpoint (with the HTTP status the
//! spec gives each reason), and whether a submitted checkpoint extends the last one it cosigned.
//!
//! Nothing here does IO or reads the clock; `crate::Witness` wraps these with the durable state.

use std::collections::BTreeMap;

use ledger::{Checkpoint, Cosigner, NoteError, RootHash, VerifierKey, VerifyError};

use crate::request::AddCheckpoint;

/// The logs a witness watches: for each origin, the log keys it trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logs {
    keys: BTreeMap<String, Vec<VerifierKey>>,
}

/// The last checkpoint a witness cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    /// Its tree size and root hash.
    pub root: RootHash,
    /// The POSIX time of the witness's cosignature.
    pub timestamp: u64,
    /// The checkpoint note as submitted, with the witness's cosignature line appended.
    pub note: String,
}

/// A checkpoint whose log signature verified, with the request that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The checkpoint inside the note.
    pub checkpoint: Checkpoint,
    /// The request: the old size, the proof and the whole note.
    pub request: AddCheckpoint,
    /// The note text (the checkpoint body) that the cosignature signs.
    pub body: String,
}

/// What a witness answers when it cosigns: the new state for the log and the cosignature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The log's origin.
    pub origin: String,
    /// The state to persist before answering.
    pub latest: Latest,
    /// The cosignature line(s) to answer with, each ending in a newline.
    pub lines: String,
}

/// Why a witness refuses to cosign, each with the HTTP status c2sp.org/tlog-witness assigns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request body or the checkpoint is malformed (400); the message says where.
    #[error("{0}")]
    Malformed(String),
    /// The checkpoint's origin is not a log this witness watches (404).
    #[error("unknown log `{0}`")]
    UnknownLog(String),
    /// No trusted key of the log signed the checkpoint, or a trusted key's signature is invalid (403).
    #[error("checkpoint of `{0}` is not signed by a trusted log key")]
    Signature(String),
    /// The old size is above the checkpoint's size (400).
    #[error("old size `{old}` exceeds the checkpoint size `{size}`")]
    OldTooLarge {
        /// The old size in the request.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// The old size is not the size of the last checkpoint cosigned for the log (409, body: that size).
    #[error("old size `{old}` is not the latest cosigned size `{latest}`")]
    OldMismatch {
        /// The old size in the request.
        old: u64,
        /// The size of the last cosigned checkpoint (0 if none).
        latest: u64,
    },
    /// A checkpoint of the latest cosigned size with another root hash: the log forked (409).
    #[error("checkpoint of size `{size}` has another root than the one cosigned: the log forked")]
    Fork {
        /// The size of both checkpoints.
        size: u64,
    },
    /// The consistency proof does not verify from the last cosigned checkpoint (422).
    #[error("consistency proof does not verify: {0}")]
    Proof(VerifyError),
}

impl Logs {
    /// No logs.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `key` for checkpoints of `origin` (a log may have several keys).
    pub fn add(&mut self, origin: &str, key: VerifierKey) {
        let keys = self.keys.entry(origin.to_owned()).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }

    /// Reads an `ORIGIN=VKEY` flag value and adds it.
    ///
    /// # Errors
    /// A message naming what is wrong with the value.
    pub fn add_flag(&mut self, value: &str) -> Result<(), String> {
        let (origin, vkey) =
            value.split_once('=').ok_or_else(|| format!("`{value}`: expected `ORIGIN=VKEY`"))?;
        Checkpoint::new(origin, RootHash::empty())
            .map_err(|_| format!("`{value}`: the origin must be a non-empty line"))?;
        let key = vkey.parse::<VerifierKey>().map_err(|e| format!("`{value}`: {e}"))?;
        self.add(origin, key);
        Ok(())
    }

    /// The keys trusted for `origin`, empty for an unknown log.
    #[must_use]
    pub fn keys(&self, origin: &str) -> &[VerifierKey] {
        self.keys.get(origin).map_or(&[], Vec::as_slice)
    }

    /// The origins watched, in order.
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

/// Checks a request's checkpoint is from a watched log and signed by one of its keys.
///
/// Signatures by unknown keys are ignored; a signature by a trusted key that fails rejects the checkpoint.
///
/// # Errors
/// [`Refusal::Malformed`], [`Refusal::UnknownLog`], [`Refusal::Signature`] or [`Refusal::OldTooLarge`].
pub fn verify_signed(logs: &Logs, request: AddCheckpoint) -> Result<Signed, Refusal> {
    let unverified = Checkpoint::from_note_unverified(&request.note)
        .map_err(|e| Refusal::Malformed(e.to_string()))?;
    let origin = unverified.origin();
    let keys = logs.keys(origin);
    if keys.is_empty() {
        return Err(Refusal::UnknownLog(origin.to_owned()));
    }
    let mut body = None;
    for key in keys {
        match key.verify(&request.note) {
            Ok(text) => body = Some(text.to_owned()),
            Err(NoteError::Unsigned(_)) => {}
            Err(NoteError::BadSignature(_)) => return Err(Refusal::Signature(origin.to_owned())),
            Err(NoteError::Malformed(m)) => {
                return Err(Refusal::Malformed(format!("malformed checkpoint note: {m}")))
            }
        }
    }
    let body = body.ok_or_else(|| Refusal::Signature(origin.to_owned()))?;
    let size = unverified.root().size();
    if request.old > size {
        return Err(Refusal::OldTooLarge { old: request.old, size });
    }
    if i64::try_from(size).is_err() {
        return Err(Refusal::Malformed(
            "malformed checkpoint: tree size is above 2^63 - 1".to_owned(),
        ));
    }
    Ok(Signed { checkpoint: unverified, request, body })
}

/// Checks a signed checkpoint extends `latest`, the last checkpoint cosigned for its log (`None`: never).
///
/// # Errors
/// [`Refusal::OldMismatch`], [`Refusal::Fork`] or [`Refusal::Proof`].
pub fn verify_extends(latest: Option<&RootHash>, signed: &Signed) -> Result<(), Refusal> {
    let empty = RootHash::empty();
    let latest = latest.unwrap_or(&empty);
    let old = signed.request.old;
    if old != latest.size() {
        return Err(Refusal::OldMismatch { old, latest: latest.size() });
    }
    let new = signed.checkpoint.root();
    if new.size() == latest.size() && new != latest {
        return Err(Refusal::Fork { size: new.size() });
    }
    new.verify_consistency(latest, &signed.request.proof).map_err(Refusal::Proof)
}

/// Cosigns a checkpoint that passed [`verify_signed`] and [`verify_extends`].
///
/// The timestamp is `now`, or the previous cosignature's time if the clock went back, so that a later
/// cosignature of a log never carries an earlier time.
///
/// # Errors
/// [`Refusal::Malformed`] if `now` is above 2^63 − 1 (the clock is wrong).
pub fn cosign(
    cosigner: &Cosigner,
    signed: &Signed,
    previous: Option<&Latest>,
    now: u64,
) -> Result<Cosigned, Refusal> {
    let timestamp = previous.map_or(now, |p| p.timestamp.max(now));
    let lines = cosigner
        .cosign(&signed.body, timestamp)
        .map_err(|e| Refusal::Malformed(format!("cannot cosign: {e}")))?;
    let mut note = signed.request.note.clone();
    note.push_str(&lines);
    Ok(Cosigned {
        origin: signed.checkpoint.origin().to_owned(),
        latest: Latest { root: *signed.checkpoint.root(), timestamp, note },
        lines,
    })
}

/// The whole `add-checkpoint` decision over an in-memory state (origin → last cosigned checkpoint), for offline
/// use and tests: it reads the body, runs every check, and returns what to persist and answer.
///
/// The caller must persist [`Cosigned::latest`] durably before handing out [`Cosigned::lines`].
///
/// # Errors
/// A [`Refusal`] saying why the witness does not cosign.
pub fn add_checkpoint(
    cosigner: &Cosigner,
    logs: &Logs,
    state: &BTreeMap<String, Latest>,
    body: &[u8],
    now: u64,
) -> Result<Cosigned, Refusal> {
    let signed = verify_signed(logs, AddCheckpoint::parse(body)?)?;
    let previous = state.get(signed.checkpoint.origin());
    verify_extends(previous.map(|p| &p.root), &signed)?;
    cosign(cosigner, &signed, previous, now)
}

impl Refusal {
    /// The HTTP status c2sp.org/tlog-witness gives this refusal.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) | Self::OldTooLarge { .. } => 400,
            Self::Signature(_) => 403,
            Self::UnknownLog(_) => 404,
            Self::OldMismatch { .. } | Self::Fork { .. } => 409,
            Self::Proof(_) => 422,
        }
    }

    /// Whether the refused checkpoint, validly signed by the log, is evidence the log misbehaved (a fork or a
    /// proof that does not verify), worth keeping.
    #[must_use]
    pub const fn is_evidence(&self) -> bool {
        matches!(self, Self::Fork { .. } | Self::Proof(_))
    }
}
