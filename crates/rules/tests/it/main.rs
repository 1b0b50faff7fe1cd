//! Integration tests of the rules crate: the conformance corpus and the properties of `screen`.

mod conformance;
mod props;
