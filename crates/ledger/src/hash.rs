//! RFC 6962 hashing: the 32-byte [`Digest`], leaf and interior-node hashes, and [`RootHash`].
//!
//! Leaves and interior nodes are hashed with different one-byte prefixes (0x00 and 0x01) so that no
//! leaf can be passed off as an interior node (RFC 9162 §2.1.1).

use std::fmt;

use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// The length in bytes of every hash in the tree.
pub const DIGEST_LEN: usize = 32;

/// A SHA-256 output: a leaf hash, an interior node hash or a root.
///
/// Equality is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct Digest([u8; DIGEST_LEN]);

impl Digest {
    /// Wraps 32 raw bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; DIGEST_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a digest from a slice, which must be exactly 32 bytes long.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; DIGEST_LEN]>::try_from(bytes).ok().map(Self)
    }

    /// The raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; DIGEST_LEN] {
        &self.0
    }
}

impl ConstantTimeEq for Digest {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Digest {
    /// Lowercase hex, as in RFC test vectors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// The hash of one leaf: SHA-256(0x00 || leaf).
#[must_use]
pub fn leaf_hash(leaf: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(leaf);
    Digest(h.finalize().into())
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
#[must_use]
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Digest(h.finalize().into())
}

/// The root of the empty tree: SHA-256 of the empty string.
#[must_use]
pub fn empty_root() -> Digest {
    Digest(Sha256::digest([]).into())
}

/// The root of a tree of a given size: what a checkpoint commits to.
///
/// Equality compares the size and the digest in constant time.
#[derive(Clone, Copy, Eq)]
pub struct RootHash {
    size: u64,
    digest: Digest,
}

impl RootHash {
    /// Pairs a tree size with the root digest of the tree of that size.
    #[must_use]
    pub const fn new(size: u64, digest: Digest) -> Self {
        Self { size, digest }
    }

    /// The root of the empty tree.
    #[must_use]
    pub fn empty() -> Self {
        Self { size: 0, digest: empty_root() }
    }

    /// The number of leaves in the tree.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The root digest.
    #[must_use]
    pub const fn digest(&self) -> &Digest {
        &self.digest
    }
}

impl ConstantTimeEq for RootHash {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.size.ct_eq(&other.size) & self.digest.ct_eq(&other.digest)
    }
}

impl PartialEq for RootHash {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl fmt::Debug for RootHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootHash {{ size: {}, digest: {} }}", self.size, self.digest)
    }
}
