//! rightsgate's vocabulary: the interchange formats (request, law pack, policy, decision, framework) and their strict readers.
//!
//! Everything here is pure: readers take bytes that the caller has already read and return typed values or
//! [`InputError`]s that name the file, the location and what was expected.
//! No IO, no clock, no randomness.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]
#![warn(missing_docs)]

pub mod case;
pub mod day;
pub mod decision;
pub mod error;
pub mod framework;
pub mod iccs;
pub mod lawpack;
pub mod leaf;
pub mod policy;
pub mod request;
pub mod stats;
pub mod vocab;

pub use day::Day;
pub use decision::Decision;
pub use error::InputError;
pub use framework::Framework;
pub use lawpack::LawPack;
pub use policy::Policy;
pub use request::Request;
