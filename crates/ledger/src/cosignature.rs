//! C2SP `tlog-cosignature` v1 with Ed25519: timestamped cosignatures by witnesses on checkpoints, their
//! keys, and verification of a checkpoint carrying the log's signature and a quorum of cosignatures.
//!
//! A cosignature is a signed-note signature line `— <witness name> <base64(key ID || timestamp || signature)>`:
//! - the key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x04 || public key), where 0x04 marks a
//!   timestamped Ed25519 cosignature, so a witness key never verifies as (or collides with) an ordinary note key;
//! - the timestamp is the POSIX time of cosigning, 8 bytes big-endian, at most 2^63 − 1;
//! - the signature is Ed25519 over `cosignature/v1\ntime <timestamp>\n<checkpoint body>`.
//!
//! Verifier keys are written `<name>+<hex key ID>+<base64(0x04 || public key)>`, and this crate writes a
//! witness's private key as `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>`.
//! A v1 cosignature states that, as of its time, the checkpoint is the largest consistent tree head the witness
//! has seen for that origin; the witness must therefore check consistency before it cosigns (see the `witness`
//! crate).

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::note::{
    check_name, check_text, hex4, key_id, open_note, split_key, KeyError, NoteError, NoteSignature,
    VerifierKey, SIG_PREFIX,
};

/// The signature-type byte of timestamped Ed25519 cosignatures (`cosignature/v1`) in the signed-note spec.
pub const COSIGNATURE_V1: u8 = 0x04;
/// The largest timestamp a cosignature may carry: 2^63 − 1.
pub const MAX_TIMESTAMP: u64 = (1 << 63) - 1;
/// The length of a cosignature after the key ID: an 8-byte timestamp and a 64-byte Ed25519 signature.
const SIGNATURE_LEN: usize = 8 + 64;

/// Why a cosignature could not be made, or a cosigned checkpoint did not satisfy a verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// The timestamp is above 2^63 − 1.
    #[error("timestamp `{0}` exceeds 2^63 - 1")]
    Timestamp(u64),
    /// The note is malformed, or a signature by a known key does not verify.
    #[error("{0}")]
    Note(#[from] NoteError),
    /// Fewer distinct known witnesses cosigned than the quorum needs.
    #[error("cosigned by `{have}` known witnesses, `{need}` needed")]
    Quorum {
        /// How many distinct known witnesses cosigned.
        have: usize,
        /// How many the quorum needs.
        need: usize,
    },
}

/// A witness's Ed25519 cosigning key with its name.
///
/// `Debug` never prints the secret.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
}

/// A witness's public key: its name, key ID and Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    // INVARIANT: key_id is the cosignature/v1 key ID of name and key.
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

/// A cosignature that verified: who made it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCosignature {
    /// The witness's name.
    pub name: String,
    /// The witness's key ID.
    pub key_id: [u8; 4],
    /// The POSIX time the witness cosigned at.
    pub timestamp: u64,
}

/// A note whose log signature verified, with the cosignatures of known witnesses that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedNote<'a> {
    text: &'a str,
    // INVARIANT: at most one entry per known witness key, in the order the witnesses were given.
    cosignatures: Vec<VerifiedCosignature>,
}

/// The message a `cosignature/v1` signs: `cosignature/v1\ntime <timestamp>\n<body>`.
#[must_use]
pub fn signed_message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

impl Cosigner {
    /// Makes a cosigner from a 32-byte Ed25519 seed.
    ///
    /// The caller draws the seed from a cryptographically secure generator; this crate has no randomness.
    /// The key must not also be used for another cosigner name: the v1 message does not commit to the name.
    ///
    /// # Errors
    /// [`KeyError::Name`] for an invalid key name.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        check_name(name)?;
        Ok(Self { name: name.to_owned(), key: SigningKey::from_bytes(&seed) })
    }

    /// The witness's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier key.
    #[must_use]
    pub fn verifier(&self) -> CosignatureVerifier {
        let key = self.key.verifying_key();
        CosignatureVerifier {
            key_id: key_id(&self.name, COSIGNATURE_V1, &key),
            name: self.name.clone(),
            key,
        }
    }

    /// The private key string `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>`.
    ///
    /// This is a secret: store it with owner-only permissions.
    #[must_use]
    pub fn to_private_string(&self) -> String {
        let id = key_id(&self.name, COSIGNATURE_V1, &self.key.verifying_key());
        let mut raw = vec![COSIGNATURE_V1];
        raw.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, hex4(id), B64.encode(raw))
    }

    /// Cosigns a checkpoint body (the note text, ending in a newline) at `timestamp` and returns the signature
    /// line, ending in a newline, to append to the note.
    ///
    /// Cosigning states that the body is the largest consistent checkpoint the witness has seen for its origin;
    /// only call this after checking consistency.
    ///
    /// # Errors
    /// [`CosignatureError::Timestamp`] above 2^63 − 1; [`CosignatureError::Note`] if `body` is not note text.
    pub fn cosign(&self, body: &str, timestamp: u64) -> Result<String, CosignatureError> {
        check_text(body)?;
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::Timestamp(timestamp));
        }
        let sig: Signature = self.key.sign(signed_message(body, timestamp).as_bytes());
        let mut raw = key_id(&self.name, COSIGNATURE_V1, &self.key.verifying_key()).to_vec();
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw)))
    }
}

impl FromStr for Cosigner {
    type Err = KeyError;

    /// Reads a private key string written by [`Cosigner::to_private_string`].
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let (name, id, seed) = crate::note::read_private_key(s, COSIGNATURE_V1)?;
        let cosigner = Self::from_seed(&name, seed)?;
        if cosigner.verifier().key_id != id {
            return Err(KeyError::HashMismatch);
        }
        Ok(cosigner)
    }
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cosigner").field("name", &self.name).field("key", &"<redacted>").finish()
    }
}

impl CosignatureVerifier {
    /// The witness's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID that the witness's signature lines carry.
    #[must_use]
    pub const fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// Whether a signature line names this key (same name and key ID); other lines are not this key's.
    #[must_use]
    pub fn matches(&self, sig: &NoteSignature) -> bool {
        sig.name == self.name && sig.key_hash == self.key_id
    }

    /// Verifies one signature line of this key over `body` and returns its timestamp.
    ///
    /// # Errors
    /// [`NoteError::Unsigned`] if the line is not this key's; [`NoteError::BadSignature`] if it is but does not
    /// verify, is not 72 bytes, or carries a timestamp above 2^63 − 1.
    pub fn verify_signature(&self, body: &str, sig: &NoteSignature) -> Result<u64, NoteError> {
        if !self.matches(sig) {
            return Err(NoteError::Unsigned(self.name.clone()));
        }
        let bad = || NoteError::BadSignature(self.name.clone());
        if sig.signature.len() != SIGNATURE_LEN {
            return Err(bad());
        }
        let (time, ed) = sig.signature.split_at(8);
        let timestamp = u64::from_be_bytes(<[u8; 8]>::try_from(time).map_err(|_| bad())?);
        if timestamp > MAX_TIMESTAMP {
            return Err(bad());
        }
        let ed = Signature::from_slice(ed).map_err(|_| bad())?;
        self.key
            .verify_strict(signed_message(body, timestamp).as_bytes(), &ed)
            .map_err(|_| bad())?;
        Ok(timestamp)
    }
}

impl fmt::Display for CosignatureVerifier {
    /// `<name>+<hex key ID>+<base64(0x04 || public key)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![COSIGNATURE_V1];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex4(self.key_id), B64.encode(raw))
    }
}

impl fmt::Debug for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CosignatureVerifier({self})")
    }
}

impl FromStr for CosignatureVerifier {
    type Err = KeyError;

    /// Reads `<name>+<hex key ID>+<base64(0x04 || public key)>`.
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let (name, id, raw) = split_key(s.trim())?;
        check_name(name)?;
        let (alg, key) = raw.split_first().ok_or(KeyError::Malformed("empty key"))?;
        if *alg != COSIGNATURE_V1 {
            return Err(KeyError::Algorithm(*alg));
        }
        let key = <[u8; 32]>::try_from(key)
            .map_err(|_| KeyError::Malformed("public key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| KeyError::Malformed("not an Ed25519 point"))?;
        if key_id(name, COSIGNATURE_V1, &key) != id {
            return Err(KeyError::HashMismatch);
        }
        Ok(Self { name: name.to_owned(), key_id: id, key })
    }
}

impl<'a> CosignedNote<'a> {
    /// The note text (the checkpoint body), whose log signature verified.
    #[must_use]
    pub const fn text(&self) -> &'a str {
        self.text
    }

    /// The known witnesses whose cosignature verified, one entry per witness, in the order they were given.
    #[must_use]
    pub fn cosignatures(&self) -> &[VerifiedCosignature] {
        &self.cosignatures
    }

    /// Checks that at least `need` distinct known witnesses cosigned.
    ///
    /// # Errors
    /// [`CosignatureError::Quorum`] when fewer did.
    pub fn require_quorum(&self, need: usize) -> Result<(), CosignatureError> {
        let have = self.cosignatures.len();
        if have >= need {
            Ok(())
        } else {
            Err(CosignatureError::Quorum { have, need })
        }
    }
}

/// Verifies a note carrying the log's signature and any number of cosignatures.
///
/// The log's signature must verify with `log`. Every line that names a key in `witnesses` (same name and key ID)
/// must verify, or the whole note is rejected; lines of unknown keys are ignored, as the signed-note spec
/// requires. Several lines by one witness count once, with the latest timestamp.
///
/// # Errors
/// [`NoteError`] if the note is malformed, the log did not sign it, or a known key's signature is invalid.
pub fn verify_cosigned<'a>(
    note: &'a str,
    log: &VerifierKey,
    witnesses: &[CosignatureVerifier],
) -> Result<CosignedNote<'a>, NoteError> {
    let text = log.verify(note)?;
    let (_, sigs) = open_note(note)?;
    let mut cosignatures = Vec::new();
    for witness in witnesses {
        let mut latest = None;
        for sig in sigs.iter().filter(|s| witness.matches(s)) {
            let timestamp = witness.verify_signature(text, sig)?;
            latest = latest.max(Some(timestamp));
        }
        let already = cosignatures
            .iter()
            .any(|c: &VerifiedCosignature| c.name == witness.name && c.key_id == witness.key_id);
        if let (Some(timestamp), false) = (latest, already) {
            cosignatures.push(VerifiedCosignature {
                name: witness.name.clone(),
                key_id: witness.key_id,
                timestamp,
            });
        }
    }
    Ok(CosignedNote { text, cosignatures })
}

/// Verifies a cosigned note and checks that at least `need` distinct known witnesses cosigned it.
///
/// # Errors
/// [`CosignatureError::Note`] as [`verify_cosigned`]; [`CosignatureError::Quorum`] when too few cosigned.
pub fn verify_quorum<'a>(
    note: &'a str,
    log: &VerifierKey,
    witnesses: &[CosignatureVerifier],
    need: usize,
) -> Result<CosignedNote<'a>, CosignatureError> {
    let cosigned = verify_cosigned(note, log, witnesses)?;
    cosigned.require_quorum(need)?;
    Ok(cosigned)
}
