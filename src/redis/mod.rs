//! A small Redis client, enough to read Suricata's EVE output from a Redis stream as a
//! consumer group: RESP2 over one TCP connection, std only.
//!
//! Suricata appends each record with `XADD <key> MAXLEN ~ 100000 * eve <json-line>`; a
//! consumer creates its group once ([`Client::xgroup_create`]), reads new entries with
//! [`Client::xreadgroup`], acknowledges them with [`Client::xack`], and takes over entries a
//! dead consumer left pending with [`Client::xautoclaim`].

pub mod client;
pub mod resp;
pub mod route;
pub mod worker;

pub use client::{AutoClaimed, Client, ClientError, Entry, PendingSummary, Url, UrlError};
pub use resp::{read_reply, Reply, RespError};
