//! The server's one integration test binary: the API and pages driven in process with `oneshot`, and the
//! browser tests against a bound server.

mod api;
mod assessment;
mod browser;
mod common;
mod public;
mod security;
mod tiles;
mod workflow;
