//! Conformance runs over the public corpus (`../shared/corpus`, or `$FPX_CORPUS`).
//!
//! Every test here is `#[ignore]`d: `cargo test` must pass on a machine without the corpus.
//! `.ci/run` runs them with `--include-ignored`, and there a missing corpus fails loudly.

mod cluster;
mod context;
mod eve;
mod signature;
mod text;
mod util;

#[path = "../flood.rs"]
mod flood;
