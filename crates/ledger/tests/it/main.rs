//! The ledger's one integration test binary: known-answer vectors, sweeps, properties, checkpoints.

mod checkpoint;
mod cosignature;
mod kat;
mod props;
mod reference;
mod sweep;
mod tile;

/// Decodes a hex digest written in a test table.
pub(crate) fn d(hex_str: &str) -> ledger::Digest {
    let bytes = hex::decode(hex_str).unwrap();
    ledger::Digest::from_slice(&bytes).unwrap()
}

/// Returns a copy of `digest` with byte `at` flipped.
pub(crate) fn flip(digest: &ledger::Digest, at: usize) -> ledger::Digest {
    let mut bytes = *digest.as_bytes();
    bytes[at % 32] ^= 0x01;
    ledger::Digest::from_bytes(bytes)
}
