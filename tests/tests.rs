//! Integration tests: run the real `fpx` binary on the bundled examples and hand-made inputs.

mod clusters;
mod examples;
mod flood;
mod hostile;
mod schema;
mod util;
