//! The application core's one integration test binary: reports over a real SQLite store, and properties of
//! report verification over untrusted input.

mod props;
mod report;
