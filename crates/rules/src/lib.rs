//! rightsgate's screening rules.
//!
//! [`catalogue::CATALOGUE`] holds every rule as one item: id, title, citations, explanation and check.
//! [`prepare`] compiles a policy and its law packs once per run ([`Context`]); [`screen()`] then turns one request
//! into a [`domain::Decision`] — a pure, total, deterministic function: no IO, no clock, no randomness.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]
#![warn(missing_docs)]

pub mod analysis;
pub mod assess;
pub mod catalogue;
pub mod context;
pub mod screen;

pub use catalogue::{Rule, CATALOGUE};
pub use context::{from_sources, prepare, Context, PrepareError, Source};
pub use screen::{screen, ScreenError};

/// The engine name and version written into every decision.
pub const ENGINE: &str = concat!("rightsgate ", "0.1.0");

/// Lower-case hex SHA-256 of some bytes, as decisions record their inputs.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
