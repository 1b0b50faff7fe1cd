//! Unit tests of the report module.
