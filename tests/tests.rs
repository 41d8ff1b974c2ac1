//! Integration tests: run the real `fpx` binary on the bundled examples and hand-made inputs.

mod examples;
mod hostile;
mod schema;
mod signature;
mod util;
