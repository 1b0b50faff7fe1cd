//! rightsgate's application core: every use case written once, between the store and the front ends.
//!
//! `cli` and `server` are thin adapters over this crate: they read arguments or HTTP bodies, call one function
//! here, and render what it returns. The safeguards themselves are enforced below, where the data is written
//! (`store` and `domain`), so no caller can bypass them; this crate composes them into use cases:
//! - [`intake`]: one pipeline from a request's bytes to a stored case (API, form, `ingest`, demo, benchmarks),
//!   and the JSON Lines framing that `evaluate --jsonl` and `ingest` share;
//! - [`cases`]: a person's action on a case, with the second approver's confirmation (API, desk, `case act`);
//! - [`inputs`]: reading the policy and law packs from disk into a `rules::Context`;
//! - [`demo`]: a living demo store with cases in every state, and [`gen`]: seeded synthetic requests;
//! - [`assess`]: a state's framework assessed (`rightsgate assess`, the desk) and an outgoing request
//!   screened as the requested state would (`rightsgate preflight`);
//! - [`report`]: the `rightsgate/report/v1` object, its CSV and HTML renderings, and its verification.

pub mod assess;
pub mod cases;
pub mod cosign;
pub mod demo;
pub mod gen;
pub mod inputs;
pub mod intake;
pub mod jsonl;
pub mod monitor;
pub mod report;
