//! The application core's one integration test binary.

mod demo;
