//! Inclusion and consistency proofs and their verifiers, following RFC 9162 §2.1.3.2 and §2.1.4.2.

use subtle::ConstantTimeEq;

use crate::hash::{empty_root, leaf_hash, node_hash, Digest, RootHash, DIGEST_LEN};

/// Why a proof did not verify. Small and `Copy` so verifiers stay cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The leaf index is not below the tree size.
    #[error("leaf index `{index}` is outside a tree of size `{size}`")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The tree size of the root.
        size: u64,
    },
    /// The old tree is larger than the new one.
    #[error("old tree size `{old}` exceeds new tree size `{new}`")]
    OldSizeTooLarge {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("proof has the wrong number of hashes for these tree sizes")]
    WrongLength,
    /// The proof bytes are not a whole number of 32-byte hashes.
    #[error("proof is `{len}` bytes long, not a multiple of 32")]
    Malformed {
        /// The byte length.
        len: usize,
    },
    /// The recomputed root differs from the claimed root.
    #[error("recomputed root does not match the claimed root")]
    RootMismatch,
}

macro_rules! proof_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            hashes: Vec<Digest>,
        }

        impl $name {
            /// Wraps proof hashes, bottom of the tree first.
            #[must_use]
            pub const fn from_hashes(hashes: Vec<Digest>) -> Self {
                Self { hashes }
            }

            /// Reads a proof from the concatenation of its 32-byte hashes.
            ///
            /// # Errors
            /// [`VerifyError::Malformed`] if the length is not a multiple of 32.
            pub fn try_from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
                if bytes.len() % DIGEST_LEN != 0 {
                    return Err(VerifyError::Malformed { len: bytes.len() });
                }
                let hashes = bytes.chunks_exact(DIGEST_LEN).filter_map(Digest::from_slice).collect();
                Ok(Self { hashes })
            }

            /// The concatenation of the proof's hashes.
            #[must_use]
            pub fn to_bytes(&self) -> Vec<u8> {
                self.hashes.iter().flat_map(|h| h.as_bytes().iter().copied()).collect()
            }

            /// The proof hashes, bottom of the tree first.
            #[must_use]
            pub fn hashes(&self) -> &[Digest] {
                &self.hashes
            }
        }
    };
}

proof_type!(
    /// The sibling hashes from a leaf up to the root (RFC 9162 `inclusion_path`).
    InclusionProof
);
proof_type!(
    /// The hashes that show an older tree is a prefix of a newer one (RFC 9162 `consistency_path`).
    ConsistencyProof
);

impl RootHash {
    /// Checks that `leaf` is the leaf at `index` of the tree with this root.
    ///
    /// # Errors
    /// A [`VerifyError`] saying why the proof does not hold.
    pub fn verify_inclusion(
        &self,
        leaf: &[u8],
        index: u64,
        proof: &InclusionProof,
    ) -> Result<(), VerifyError> {
        self.verify_inclusion_hash(&leaf_hash(leaf), index, proof)
    }

    /// Checks that `leaf_hash` is the hash of the leaf at `index` of the tree with this root
    /// (RFC 9162 §2.1.3.2).
    ///
    /// # Errors
    /// A [`VerifyError`] saying why the proof does not hold.
    pub fn verify_inclusion_hash(
        &self,
        leaf_hash: &Digest,
        index: u64,
        proof: &InclusionProof,
    ) -> Result<(), VerifyError> {
        let size = self.size();
        if index >= size {
            return Err(VerifyError::IndexOutOfRange { index, size });
        }
        let mut fnode = index;
        let mut snode = size - 1;
        let mut r = *leaf_hash;
        for p in proof.hashes() {
            if snode == 0 {
                return Err(VerifyError::WrongLength);
            }
            if fnode & 1 == 1 || fnode == snode {
                r = node_hash(p, &r);
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            fnode >>= 1;
            snode >>= 1;
        }
        if snode != 0 {
            return Err(VerifyError::WrongLength);
        }
        if bool::from(r.ct_eq(self.digest())) {
            Ok(())
        } else {
            Err(VerifyError::RootMismatch)
        }
    }

    /// Checks that the tree with root `old` is a prefix of the tree with this root
    /// (RFC 9162 §2.1.4.2).
    ///
    /// # Errors
    /// A [`VerifyError`] saying why the proof does not hold.
    pub fn verify_consistency(
        &self,
        old: &RootHash,
        proof: &ConsistencyProof,
    ) -> Result<(), VerifyError> {
        let (m, n) = (old.size(), self.size());
        if m > n {
            return Err(VerifyError::OldSizeTooLarge { old: m, new: n });
        }
        let path = proof.hashes();
        if m == n || m == 0 {
            if !path.is_empty() {
                return Err(VerifyError::WrongLength);
            }
            let old_ok = if m == 0 { old.digest().ct_eq(&empty_root()) } else { old.ct_eq(self) };
            return if bool::from(old_ok) { Ok(()) } else { Err(VerifyError::RootMismatch) };
        }
        let Some((first, rest)) = path.split_first() else {
            return Err(VerifyError::WrongLength);
        };
        // When the old size is a power of two, the old root is the first node of the path.
        let (seed, rest) = if m.is_power_of_two() { (old.digest(), path) } else { (first, rest) };
        let mut fnode = m - 1;
        let mut snode = n - 1;
        while fnode & 1 == 1 {
            fnode >>= 1;
            snode >>= 1;
        }
        let mut fr = *seed;
        let mut sr = *seed;
        for c in rest {
            if snode == 0 {
                return Err(VerifyError::WrongLength);
            }
            if fnode & 1 == 1 || fnode == snode {
                fr = node_hash(c, &fr);
                sr = node_hash(c, &sr);
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            } else {
                sr = node_hash(&sr, c);
            }
            fnode >>= 1;
            snode >>= 1;
        }
        if snode != 0 {
            return Err(VerifyError::WrongLength);
        }
        if bool::from(fr.ct_eq(old.digest()) & sr.ct_eq(self.digest())) {
            Ok(())
        } else {
            Err(VerifyError::RootMismatch)
        }
    }
}
