//! Prints the record counts of unified2 files, one JSON object per line, and how many alerts
//! the reader made of them. Used by `scripts/u2-compare.py`.
//!
//! Usage: `cargo run --example u2count -- FILE...`

use std::collections::BTreeMap;

use fpx::input::unified2::count_records;
use fpx::input::{read_path, Flow, ReadOptions, Sink};
use fpx::model::{Alert, ContextEvent, Provenance, SkipReason};

#[derive(Default)]
struct Tally {
    alerts: u64,
    with_payload: u64,
    skipped: BTreeMap<&'static str, u64>,
}

impl Sink for Tally {
    fn alert(&mut self, alert: Alert<'_>) -> Flow {
        self.alerts += 1;
        if alert.payload.is_some() {
            self.with_payload += 1;
        }
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, reason: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        *self.skipped.entry(reason.as_str()).or_default() += 1;
        Flow::Continue
    }
}

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let mut t = Tally::default();
        let read = read_path(&path, &ReadOptions::default(), &mut t);
        let error = read.err().map(|e| e.to_string());
        let counts = count_records(&path);
        let mut obj = serde_json::json!({
            "path": path,
            "alerts": t.alerts,
            "alerts_with_payload": t.with_payload,
            "skipped": t.skipped,
            "error": error,
        });
        match counts {
            Ok(c) => {
                obj["events"] = c.events.into();
                obj["packets"] = c.packets.into();
                obj["buffers"] = c.buffers.into();
                obj["extra_data"] = c.extra_data.into();
                obj["app_stats"] = c.app_stats.into();
                obj["unknown"] = c.unknown.into();
            }
            Err(e) => {
                failed = true;
                obj["count_error"] = e.to_string().into();
            }
        }
        println!("{obj}");
    }
    std::process::exit(i32::from(failed));
}
