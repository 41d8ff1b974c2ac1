//! The parse floor of `scripts/bench.sh`: the least a typed EVE consumer does. It reads each
//! line, parses it into a borrowed struct of the fields an alert is explained from, and counts
//! the alerts. No base64 decoding, no output. fpx is measured against this program in the same
//! run.
//!
//! Usage: `parse_floor FILE` (prints the alert count).

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Record<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    flow_id: Option<u64>,
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    #[serde(borrow)]
    src_ip: Option<Cow<'a, str>>,
    src_port: Option<u16>,
    #[serde(borrow)]
    dest_ip: Option<Cow<'a, str>>,
    dest_port: Option<u16>,
    #[serde(borrow)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alert: Option<AlertPart<'a>>,
    #[serde(borrow)]
    payload: Option<Cow<'a, str>>,
    #[serde(borrow)]
    packet: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AlertPart<'a> {
    gid: Option<u32>,
    signature_id: Option<u32>,
    rev: Option<u32>,
    #[serde(borrow)]
    signature: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    severity: Option<u32>,
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: parse_floor FILE");
        std::process::exit(2)
    });
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("parse_floor: {path}: {e}");
        std::process::exit(2)
    });
    let mut r = std::io::BufReader::with_capacity(64 << 10, file);
    let mut line = Vec::new();
    let (mut alerts, mut bad) = (0u64, 0u64);
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("parse_floor: {path}: {e}");
                std::process::exit(1)
            }
        }
        match serde_json::from_slice::<Record<'_>>(&line) {
            Ok(rec) if rec.event_type == "alert" && rec.alert.is_some() => alerts += 1,
            Ok(_) => {}
            Err(_) => bad += 1,
        }
    }
    println!("{alerts}");
    if bad > 0 {
        eprintln!("parse_floor: {bad} lines not parsed");
    }
}
