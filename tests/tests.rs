//! Integration tests: run the real `fpx` binary on the bundled examples and hand-made inputs.

mod breadth;
mod clusters;
mod examples;
mod facts;
mod feedback;
mod flood;
mod hostile;
mod injection;
mod judgement;
mod live;
mod manners;
mod pcap_join;
mod redis_client;
mod redis_server;
mod report;
mod scale;
mod schema;
mod signature;
mod snort3;
mod suggest;
mod threads;
mod train;
mod util;
