//! fpx explains Snort and Suricata alerts and estimates how likely each one is a false positive.
//!
//! The pipeline, one module per stage, with one home for state across records:
//!
//! ```text
//! input -> model::Alert -> dissect + knowledge -> evidence -> score -> cluster -> report
//!                 \______ state (flows, hosts, NAT, cluster table) ___/
//!                          filled in input order, read as facts
//! ```

pub mod cli;
pub mod cluster;
pub mod decode;
pub mod dissect;
pub mod eval;
pub mod evidence;
pub mod explain;
pub mod facts;
pub mod flow;
pub mod input;
pub mod knowledge;
pub mod model;
pub mod redis;
pub mod report;
pub mod score;
pub mod signature;
pub mod state;
pub mod suggest;
pub mod train;
pub mod verdict;
