//! The witness's one integration test binary: the pure checks with their statuses, the durable witness
//! (restarts, races, evidence), and the HTTP handler.

mod check;
mod durable;
mod http;
mod props;

use ledger::{Checkpoint, ConsistencyProof, Cosigner, MemoryTree, NoteSigner};
use witness::AddCheckpoint;

pub(crate) const ORIGIN: &str = "rightsgate.example/ledger";

/// A log for tests: a signing key and a tree whose first `shared` leaves are common to every branch.
pub(crate) struct Log {
    pub(crate) signer: NoteSigner,
    pub(crate) tree: MemoryTree,
}

impl Log {
    /// The honest log, `n` leaves.
    pub(crate) fn honest(n: u64) -> Self {
        Self::branch(n, n, "honest")
    }

    /// A branch that shares the first `shared` leaves with [`Log::honest`] and then differs, signed by the same
    /// log key: a fork.
    pub(crate) fn branch(n: u64, shared: u64, name: &str) -> Self {
        let signer = NoteSigner::from_seed(ORIGIN, [42; 32]).unwrap();
        let mut tree = MemoryTree::new();
        for i in 0..n {
            if i < shared {
                tree.push(format!("leaf {i}").as_bytes());
            } else {
                tree.push(format!("{name} leaf {i}").as_bytes());
            }
        }
        Self { signer, tree }
    }

    /// The signed checkpoint at `size`.
    pub(crate) fn note(&self, size: u64) -> String {
        Checkpoint::new(ORIGIN, self.tree.root_at(size).unwrap())
            .unwrap()
            .sign(&self.signer)
            .unwrap()
    }

    /// The consistency proof from `old` to `new` (empty from 0).
    pub(crate) fn proof(&self, old: u64, new: u64) -> ConsistencyProof {
        if old == 0 {
            ConsistencyProof::default()
        } else {
            self.tree.consistency_proof(old, new).unwrap()
        }
    }

    /// The `add-checkpoint` body from `old` to the checkpoint at `new`.
    pub(crate) fn request(&self, old: u64, new: u64) -> String {
        AddCheckpoint { old, proof: self.proof(old, new), note: self.note(new) }.to_body()
    }
}

pub(crate) fn cosigner() -> Cosigner {
    Cosigner::from_seed("oversight.example/witness", [5; 32]).unwrap()
}

pub(crate) fn logs() -> witness::Logs {
    let mut logs = witness::Logs::new();
    logs.add(ORIGIN, Log::honest(0).signer.verifier());
    logs
}

/// Checks `lines` are one valid cosignature by [`cosigner`] of `note` and returns its timestamp.
pub(crate) fn cosignature_time(note: &str, lines: &str) -> u64 {
    let full = format!("{note}{lines}");
    let log = Log::honest(0).signer.verifier();
    let cosigned = ledger::verify_quorum(&full, &log, &[cosigner().verifier()], 1).unwrap();
    cosigned.cosignatures()[0].timestamp
}

/// Returns a copy of `digest` with its first byte flipped.
pub(crate) fn flip(digest: &ledger::Digest) -> ledger::Digest {
    let mut bytes = *digest.as_bytes();
    bytes[0] ^= 0x01;
    ledger::Digest::from_bytes(bytes)
}
