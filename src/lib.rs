//! fpx explains Snort and Suricata alerts and estimates how likely each one is a false positive.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! input -> model::Alert -> dissect + knowledge -> evidence -> score -> cluster -> report
//! ```

pub mod cli;
pub mod cluster;
pub mod decode;
pub mod dissect;
pub mod evidence;
pub mod explain;
pub mod flow;
pub mod input;
pub mod knowledge;
pub mod model;
pub mod report;
pub mod score;
pub mod signature;
