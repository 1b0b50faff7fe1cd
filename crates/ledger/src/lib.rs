//! The transparency ledger: an RFC 6962 Merkle log over opaque leaf bytes, with proofs and signed
//! checkpoints. It knows nothing about cases; callers choose the leaf encoding.
#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod cosignature;
pub mod hash;
pub mod note;
pub mod plan;
pub mod proof;
pub mod tile;
pub mod tree;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use cosignature::{
    verify_cosigned, verify_quorum, CosignatureError, CosignatureVerifier, CosignedNote, Cosigner,
    VerifiedCosignature,
};
pub use hash::{empty_root, leaf_hash, node_hash, Digest, RootHash, DIGEST_LEN};
pub use note::{open_note, KeyError, NoteError, NoteSignature, NoteSigner, VerifierKey};
pub use plan::{
    indices_for_consistency, indices_for_inclusion, indices_for_root, root_from_nodes, NodeId,
    PlanError, ProofPlan,
};
pub use proof::{ConsistencyProof, InclusionProof, VerifyError};
pub use tile::{
    decode_bundle, decode_hashes, encode_bundle, encode_hashes, partial_tiles, tiles,
    tiles_for_consistency, tiles_for_inclusion, tiles_for_nodes, tiles_for_root, Tile, TileError,
    TileKind, TilePath, TileSet,
};
pub use tree::{Frontier, MemoryTree};
