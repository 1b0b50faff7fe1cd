//! Sealing personal data at rest: XChaCha20-Poly1305 under the deployment's key, and keyed hashes of target
//! identifiers for duplicate detection without decryption.
//!
//! One 32-byte key file (created by `rightsgate init`, mode 0600) feeds HKDF-SHA256, which derives separate
//! keys for encryption and for identifier hashing, so neither use weakens the other.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};

use crate::StoreError;

/// Seals and opens personal data; hashes identifiers.
#[derive(Clone)]
pub struct Sealer {
    aead: XChaCha20Poly1305,
    // INVARIANT: derived from the key file with HKDF, never the key file's bytes themselves.
    ident_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

/// Length of a key file.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

impl Sealer {
    /// Derives the sealing keys from the 32 bytes of a key file.
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"rightsgate/v1"), key);
        let mut enc = [0u8; 32];
        let mut ident = [0u8; 32];
        // Both lengths are fixed at 32 bytes, far below HKDF-SHA256's limit of 8,160 bytes.
        let _ = hk.expand(b"seal personal data", &mut enc);
        let _ = hk.expand(b"identifier keys", &mut ident);
        Sealer { aead: XChaCha20Poly1305::new(&enc.into()), ident_key: ident }
    }

    /// A fresh random key for a key file.
    pub fn generate_key() -> [u8; KEY_LEN] {
        use rand::RngCore;
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        key
    }

    /// Encrypts `plain`, binding it to `aad` (the case id), as nonce || ciphertext.
    ///
    /// # Errors
    /// [`StoreError::Crypto`] if encryption fails.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
        use rand::RngCore;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .aead
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| StoreError::Crypto("cannot seal personal data".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Decrypts what [`Sealer::seal`] produced for the same `aad`.
    ///
    /// # Errors
    /// [`StoreError::Crypto`] when the key is wrong or the bytes were altered.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Crypto("sealed data is too short".into()));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.aead.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad }).map_err(
            |_| StoreError::Crypto("cannot open personal data: wrong key or altered data".into()),
        )
    }

    /// A keyed hash (HMAC-SHA256) of an identifier, normalized by kind and trimmed, lower-case value.
    pub fn identifier_key(&self, kind: &str, value: &str) -> [u8; 32] {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.ident_key) else {
            return [0; 32];
        };
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.trim().to_lowercase().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl Sealer {
    /// The [`open_key`]s of a request's identifiers, sorted and without repeats.
    pub(crate) fn open_keys(&self, request: &domain::Request) -> Vec<[u8; 32]> {
        let (state, authority) = (&request.requesting.state, &request.requesting.authority);
        let mut keys: Vec<[u8; 32]> = request
            .data
            .identifiers
            .iter()
            .map(|x| open_key(&self.identifier_key(x.kind.as_str(), &x.value), state, authority))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// The key under which duplicate detection finds an open case by one of its identifiers: the identifier's keyed
/// hash ([`Sealer::identifier_key`]) bound to the requesting state and authority, since a duplicate must share
/// all three. Derived from the keyed hash alone, so it is as secret as that hash, and an upgrade can compute it
/// from stored rows without the key file.
pub(crate) fn open_key(identifier_key: &[u8; 32], state: &str, authority: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"rightsgate/open-key/v1\0");
    h.update(identifier_key);
    for part in [state, authority] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

/// The first byte of a sealed case's plaintext in layout 2: then a zstd frame holding the salt (32 bytes), the
/// request's length (4 bytes, big-endian), the request as received, and screening's decision as JSON.
/// Layout 1, written before it, is a JSON object `{"request": TEXT, "decision": …, "salt": HEX}`, so its first
/// byte is `{`. A case row holds about 1.7 KB sealed in layout 2 against 3.6 KB in layout 1.
const CASE_LAYOUT_2: u8 = 2;

/// zstd's fastest level: the request and decision are small JSON texts, and level 3 compressed them only 2 %
/// further at 30 % more time.
const CASE_ZSTD_LEVEL: i32 = 1;

thread_local! {
    /// Each thread's zstd context, made once: making one allocates and clears its tables, which took about as
    /// long as compressing the case (a profile of `ingest`).
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// The plaintext of a sealed case (layout 2): the request as received, its decision and the commitment's salt.
///
/// # Errors
/// [`StoreError::Crypto`] if the decision does not serialize, the request is 4 GiB or more, or compression
/// fails.
pub(crate) fn case_plaintext(
    request: &[u8],
    decision: &domain::Decision,
    salt: &[u8; 32],
) -> Result<Vec<u8>, StoreError> {
    let len = u32::try_from(request.len())
        .map_err(|_| StoreError::Crypto("a request of 4 GiB or more cannot be sealed".into()))?;
    let mut raw = Vec::with_capacity(36 + request.len() + 2048);
    raw.extend_from_slice(salt);
    raw.extend_from_slice(&len.to_be_bytes());
    raw.extend_from_slice(request);
    serde_json::to_writer(&mut raw, decision).map_err(|e| StoreError::Crypto(e.to_string()))?;
    let packed = COMPRESSOR
        .with(|c| match &mut *c.borrow_mut() {
            Some(c) => c.compress(&raw),
            slot => slot.insert(zstd::bulk::Compressor::new(CASE_ZSTD_LEVEL)?).compress(&raw),
        })
        .map_err(|e| StoreError::Crypto(format!("compressing a case: {e}")))?;
    let mut plain = Vec::with_capacity(1 + packed.len());
    plain.push(CASE_LAYOUT_2);
    plain.extend_from_slice(&packed);
    Ok(plain)
}

/// A sealed case's plaintext, read: the request as received, the decision's JSON and the salt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OpenedCase {
    pub(crate) request: Vec<u8>,
    pub(crate) decision: Vec<u8>,
    pub(crate) salt: [u8; 32],
}

impl OpenedCase {
    /// Reads either layout.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming the case and what is missing.
    pub(crate) fn read(id: &str, plain: &[u8]) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("sealed case `{id}`: {what}"));
        match plain.first() {
            Some(&CASE_LAYOUT_2) => {
                let raw = zstd::stream::decode_all(&plain[1..])
                    .map_err(|e| corrupt(&format!("does not decompress: {e}")))?;
                let (salt, rest) =
                    raw.split_first_chunk::<32>().ok_or_else(|| corrupt("no salt"))?;
                let (len, rest) =
                    rest.split_first_chunk::<4>().ok_or_else(|| corrupt("no length"))?;
                let len = usize::try_from(u32::from_be_bytes(*len)).unwrap_or(usize::MAX);
                if rest.len() < len {
                    return Err(corrupt("the request is cut short"));
                }
                let (request, decision) = rest.split_at(len);
                Ok(Self { request: request.to_vec(), decision: decision.to_vec(), salt: *salt })
            }
            Some(b'{') => {
                #[derive(serde::Deserialize)]
                struct Layout1 {
                    request: String,
                    decision: serde_json::Value,
                    salt: String,
                }
                let old: Layout1 =
                    serde_json::from_slice(plain).map_err(|e| corrupt(&e.to_string()))?;
                let salt = hex::decode(&old.salt)
                    .ok()
                    .and_then(|s| <[u8; 32]>::try_from(s).ok())
                    .ok_or_else(|| corrupt("the salt is not 32 hex-encoded bytes"))?;
                Ok(Self {
                    request: old.request.into_bytes(),
                    decision: serde_json::to_vec(&old.decision)
                        .map_err(|e| corrupt(&e.to_string()))?,
                    salt,
                })
            }
            _ => Err(corrupt("unknown layout")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Sealer;

    #[test]
    fn seals_open_only_with_the_same_key_and_case() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal(b"facts", b"c-1").unwrap();
        assert_eq!(sealer.open(&sealed, b"c-1").unwrap(), b"facts");
        assert!(sealer.open(&sealed, b"c-2").is_err());
        assert!(Sealer::new(&[8; 32]).open(&sealed, b"c-1").is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(sealer.open(&altered, b"c-1").is_err());
        assert!(!sealed.windows(5).any(|w| w == b"facts"));
    }

    #[test]
    fn open_keys_bind_the_state_and_the_authority_unambiguously() {
        let k = Sealer::new(&[7; 32]).identifier_key("email", "a@b.org");
        let base = super::open_key(&k, "BR", "PF");
        assert_eq!(base, super::open_key(&k, "BR", "PF"));
        assert_ne!(base, super::open_key(&k, "BR", "PFx"));
        assert_ne!(base, super::open_key(&k, "AR", "PF"));
        // Length prefixes: moving a byte from the state to the authority is another key.
        assert_ne!(super::open_key(&k, "BRP", "F"), base);
        assert_ne!(base, super::open_key(&[0; 32], "BR", "PF"));
    }

    #[test]
    fn identifier_keys_normalize_case_and_space() {
        let sealer = Sealer::new(&[7; 32]);
        assert_eq!(
            sealer.identifier_key("email", " A@b.org "),
            sealer.identifier_key("email", "a@b.org")
        );
        assert_ne!(
            sealer.identifier_key("email", "a@b.org"),
            sealer.identifier_key("account", "a@b.org")
        );
    }

    /// Layout 2 reads back exactly; both layouts name what is wrong with a damaged plaintext, never panic.
    #[test]
    fn sealed_case_layouts_read_back_and_name_damage() {
        use super::{OpenedCase, CASE_LAYOUT_2};
        let layout2 = |raw: &[u8]| {
            let mut plain = vec![CASE_LAYOUT_2];
            plain.extend(zstd::bulk::compress(raw, 1).unwrap());
            plain
        };
        let mut raw = [9u8; 32].to_vec();
        raw.extend(5u32.to_be_bytes());
        raw.extend(b"{\"a\"}{\"outcome\":\"approve\"}");
        let read = OpenedCase::read("c-1", &layout2(&raw)).unwrap();
        assert_eq!(read.salt, [9; 32]);
        assert_eq!(read.request, b"{\"a\"}");
        assert_eq!(read.decision, b"{\"outcome\":\"approve\"}");

        let layout1 = format!(
            r#"{{"request":"{{\"a\"}}","decision":{{"outcome":"approve"}},"salt":"{}"}}"#,
            "09".repeat(32)
        );
        assert_eq!(OpenedCase::read("c-1", layout1.as_bytes()).unwrap(), read);

        let mut long = [9u8; 32].to_vec();
        long.extend(500u32.to_be_bytes());
        long.extend(b"{}");
        for (plain, expected) in [
            (Vec::new(), "unknown layout"),
            (b"[1]".to_vec(), "unknown layout"),
            (vec![CASE_LAYOUT_2, 1, 2, 3], "does not decompress"),
            (layout2(&[9; 20]), "no salt"),
            (layout2(&[9; 34]), "no length"),
            (layout2(&long), "the request is cut short"),
            (
                br#"{"request":"x","decision":{},"salt":"zz"}"#.to_vec(),
                "the salt is not 32 hex-encoded bytes",
            ),
            (br#"{"request":"x","salt":"00"}"#.to_vec(), "missing field `decision`"),
        ] {
            let err = OpenedCase::read("c-1", &plain).unwrap_err().to_string();
            assert!(err.contains("sealed case `c-1`") && err.contains(expected), "{err}");
        }
    }
}
