//! Conformance runs over the public corpus (`../shared/corpus`, or `$FPX_CORPUS`).
//!
//! Every test here is `#[ignore]`d: `cargo test` must pass on a machine without the corpus.
//! `.ci/run` runs them with `--include-ignored`, and there a missing corpus fails loudly.

mod accounting;
mod breadth;
mod cluster;
mod context;
mod dissect;
mod eval;
mod eve;
mod explain;
mod explain_rules;
mod judgement;
mod replay_suricata;
mod signature;
mod snort3;
mod suggest;
mod text;
mod unified2;
mod util;

#[path = "../flood.rs"]
mod flood;
