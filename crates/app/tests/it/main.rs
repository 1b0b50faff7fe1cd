//! The application core's one integration test binary: the living demo, reports over a real SQLite store, and
//! properties of report verification over untrusted input, and the
//! intake writer's group commit.

mod assess;
mod cosign;
mod demo;
mod props;
mod report;
mod writer;
