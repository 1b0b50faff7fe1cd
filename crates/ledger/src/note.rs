//! C2SP signed notes with Ed25519 keys: signing, verifier key strings, and verification.
//!
//! A note is UTF-8 text ending in a newline, a blank line, then one line per signature:
//! `— <key name> <base64(key hash || signature)>`.
//! The key hash is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key), where 0x01
//! identifies Ed25519.
//! A verifier key is written `<name>+<hex key hash>+<base64(0x01 || public key)>`, and this crate
//! writes private keys as `PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 || seed)>`.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

/// The signature-type byte for Ed25519 in the signed-note spec.
const ALG_ED25519: u8 = 0x01;
/// The prefix of every signature line.
pub(crate) const SIG_PREFIX: &str = "\u{2014} ";
/// At most this many signature lines are read, to bound work on hostile input.
const MAX_SIGNATURES: usize = 100;

/// Why a key could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key name is empty or contains whitespace or `+`.
    #[error("invalid key name `{0}`: it must be non-empty without spaces or `+`")]
    Name(String),
    /// The key string does not have the expected shape.
    #[error("malformed key string: {0}")]
    Malformed(&'static str),
    /// The key is not an Ed25519 key.
    #[error("unsupported key algorithm `{0}`")]
    Algorithm(u8),
    /// The key hash in the string does not match the key.
    #[error("key hash does not match the key")]
    HashMismatch,
}

/// Why a note could not be signed, read or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note does not have the signed-note shape.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// A signature by the verifier's key name and hash did not verify.
    #[error("invalid signature by key `{0}`")]
    BadSignature(String),
    /// No signature by the verifier's key was found.
    #[error("note has no signature by key `{0}`")]
    Unsigned(String),
}

/// An Ed25519 signing key with its note key name.
///
/// `Debug` never prints the secret.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

/// A public key that verifies notes: a name, a key hash and an Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_hash: [u8; 4],
    key: VerifyingKey,
}

/// One signature line of a note, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name on the line.
    pub name: String,
    /// The key hash: the first 4 decoded bytes.
    pub key_hash: [u8; 4],
    /// The signature bytes after the key hash.
    pub signature: Vec<u8>,
}

impl NoteSigner {
    /// Makes a signer from a 32-byte Ed25519 seed.
    ///
    /// The caller draws the seed from a cryptographically secure generator; this crate has no randomness.
    ///
    /// # Errors
    /// [`KeyError::Name`] for an invalid key name.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        check_name(name)?;
        Ok(Self { name: name.to_owned(), key: SigningKey::from_bytes(&seed) })
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier key.
    #[must_use]
    pub fn verifier(&self) -> VerifierKey {
        let key = self.key.verifying_key();
        VerifierKey { key_hash: key_hash(&self.name, &key), name: self.name.clone(), key }
    }

    /// The private key string `PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 || seed)>`.
    ///
    /// This is a secret: store it with owner-only permissions.
    #[must_use]
    pub fn to_private_string(&self) -> String {
        let hash = key_hash(&self.name, &self.key.verifying_key());
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, hex4(hash), B64.encode(raw))
    }

    /// Signs `text` (which must end in a newline) and returns the whole signed note.
    ///
    /// # Errors
    /// [`NoteError::Malformed`] if `text` is not valid note text.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let sig: Signature = self.key.sign(text.as_bytes());
        let mut raw = key_hash(&self.name, &self.key.verifying_key()).to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!("{text}\n{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw)))
    }
}

impl FromStr for NoteSigner {
    type Err = KeyError;

    /// Reads a private key string written by [`NoteSigner::to_private_string`].
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let (name, hash, seed) = read_private_key(s, ALG_ED25519)?;
        let signer = Self::from_seed(&name, seed)?;
        if signer.verifier().key_hash != hash {
            return Err(KeyError::HashMismatch);
        }
        Ok(signer)
    }
}

/// Reads `PRIVATE+KEY+<name>+<hex key hash>+<base64(alg || seed)>` for key type `alg`: (name, key hash, seed).
/// Note signing keys and witness cosigning keys share the format and differ only in `alg`.
pub(crate) fn read_private_key(s: &str, alg: u8) -> Result<(String, [u8; 4], [u8; 32]), KeyError> {
    let rest = s
        .trim()
        .strip_prefix("PRIVATE+KEY+")
        .ok_or(KeyError::Malformed("missing `PRIVATE+KEY+` prefix"))?;
    let (name, hash, raw) = split_key(rest)?;
    let (found, seed) = raw.split_first().ok_or(KeyError::Malformed("empty key"))?;
    if *found != alg {
        return Err(KeyError::Algorithm(*found));
    }
    let seed =
        <[u8; 32]>::try_from(seed).map_err(|_| KeyError::Malformed("seed is not 32 bytes"))?;
    Ok((name.to_owned(), hash, seed))
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner").field("name", &self.name).field("key", &"<redacted>").finish()
    }
}

impl VerifierKey {
    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key hash that signature lines carry.
    #[must_use]
    pub const fn key_hash(&self) -> [u8; 4] {
        self.key_hash
    }

    /// Verifies a signed note and returns its text (without the signatures).
    ///
    /// Signatures by other keys are ignored; at least one must be by this key.
    ///
    /// # Errors
    /// [`NoteError`] if the note is malformed, unsigned by this key, or the signature is invalid.
    pub fn verify<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let (text, sigs) = open_note(note)?;
        let mut verified = false;
        for sig in sigs.iter().filter(|s| s.name == self.name && s.key_hash == self.key_hash) {
            let sig_bytes = Signature::from_slice(&sig.signature)
                .map_err(|_| NoteError::BadSignature(self.name.clone()))?;
            self.key
                .verify_strict(text.as_bytes(), &sig_bytes)
                .map_err(|_| NoteError::BadSignature(self.name.clone()))?;
            verified = true;
        }
        if verified {
            Ok(text)
        } else {
            Err(NoteError::Unsigned(self.name.clone()))
        }
    }
}

impl fmt::Display for VerifierKey {
    /// `<name>+<hex key hash>+<base64(0x01 || public key)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex4(self.key_hash), B64.encode(raw))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl FromStr for VerifierKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        let (name, hash, raw) = split_key(s.trim())?;
        check_name(name)?;
        let (alg, key) = raw.split_first().ok_or(KeyError::Malformed("empty key"))?;
        if *alg != ALG_ED25519 {
            return Err(KeyError::Algorithm(*alg));
        }
        let key = <[u8; 32]>::try_from(key)
            .map_err(|_| KeyError::Malformed("public key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| KeyError::Malformed("not an Ed25519 point"))?;
        if key_hash(name, &key) != hash {
            return Err(KeyError::HashMismatch);
        }
        Ok(Self { name: name.to_owned(), key_hash: hash, key })
    }
}

/// Splits a note into its text and its signature lines, without verifying anything.
///
/// # Errors
/// [`NoteError::Malformed`] if the note does not have the signed-note shape.
pub fn open_note(note: &str) -> Result<(&str, Vec<NoteSignature>), NoteError> {
    let split =
        note.rfind("\n\n").ok_or(NoteError::Malformed("no blank line before signatures"))?;
    let (text, sigs) = note.split_at(split + 1);
    check_text(text)?;
    let sigs =
        sigs.strip_prefix('\n').ok_or(NoteError::Malformed("no blank line before signatures"))?;
    let sigs =
        sigs.strip_suffix('\n').ok_or(NoteError::Malformed("signatures must end in a newline"))?;
    let mut out = Vec::new();
    for line in sigs.split('\n') {
        if out.len() >= MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures"));
        }
        let line = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(NoteError::Malformed("signature line must start with `— `"))?;
        let (name, b64) = line
            .split_once(' ')
            .ok_or(NoteError::Malformed("signature line needs a name and a signature"))?;
        if check_name(name).is_err() {
            return Err(NoteError::Malformed("invalid key name in signature line"));
        }
        let raw = B64.decode(b64).map_err(|_| NoteError::Malformed("signature is not base64"))?;
        if raw.len() < 5 {
            return Err(NoteError::Malformed("signature too short"));
        }
        let (hash, signature) = raw.split_at(4);
        let key_hash =
            <[u8; 4]>::try_from(hash).map_err(|_| NoteError::Malformed("signature too short"))?;
        out.push(NoteSignature { name: name.to_owned(), key_hash, signature: signature.to_vec() });
    }
    if out.is_empty() {
        return Err(NoteError::Malformed("no signatures"));
    }
    Ok((text, out))
}

fn key_hash(name: &str, key: &VerifyingKey) -> [u8; 4] {
    key_id(name, ALG_ED25519, key)
}

/// The key ID of the signed-note spec: the first 4 bytes of
/// SHA-256(key name || 0x0A || signature type || public key).
pub(crate) fn key_id(name: &str, signature_type: u8, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', signature_type]);
    h.update(key.as_bytes());
    let d = h.finalize();
    d.first_chunk::<4>().copied().unwrap_or_default()
}

pub(crate) fn hex4(b: [u8; 4]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Splits `<name>+<hex hash>+<base64>` and decodes the hash and the key bytes.
pub(crate) fn split_key(s: &str) -> Result<(&str, [u8; 4], Vec<u8>), KeyError> {
    // The base64 key itself may contain `+`, so split off only the name and the hash.
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::Malformed("expected `<name>+<hash>+<key>`"));
    };
    if hash.len() != 8 || !hash.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(KeyError::Malformed("key hash is not 8 hex digits"));
    }
    let n = u32::from_str_radix(hash, 16)
        .map_err(|_| KeyError::Malformed("key hash is not 8 hex digits"))?;
    let raw = B64.decode(b64).map_err(|_| KeyError::Malformed("key is not base64"))?;
    Ok((name, n.to_be_bytes(), raw))
}

pub(crate) fn check_name(name: &str) -> Result<(), KeyError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(KeyError::Name(name.to_owned()));
    }
    Ok(())
}

pub(crate) fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("note text must end in a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("note text contains control characters"));
    }
    Ok(())
}
