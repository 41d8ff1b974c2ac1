//! fpx explains Snort and Suricata alerts and estimates how likely each one is a false positive.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! input -> model::Alert -> dissect + knowledge -> evidence -> score -> cluster -> report
//! ```

pub mod decode;
pub mod flow;
pub mod input;
pub mod model;
