//! Integration tests: run the real `fpx` binary on the bundled examples and hand-made inputs.

mod examples;
mod hostile;
mod pcap_join;
mod schema;
mod signature;
mod util;
