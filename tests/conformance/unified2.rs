//! unified2 over the corpus: record counts of the reference spools, truncated files, and every
//! Snort 3.11 spool against the `alert_json.txt` written in the same run.

use std::path::Path;

use fpx::input::unified2::count_records;
use fpx::input::{read_path, Flow, ReadError, ReadOptions, Sink};
use fpx::model::{Alert, ContextEvent, Provenance, SkipReason};

use crate::util::{corpus, files_where};

#[derive(Default)]
struct Tally {
    alerts: u64,
    with_payload: u64,
    skipped: u64,
}

impl Sink for Tally {
    fn alert(&mut self, alert: Alert<'_>) -> Flow {
        self.alerts += 1;
        self.with_payload += u64::from(alert.payload.is_some());
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, _: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        self.skipped += 1;
        Flow::Continue
    }
}

fn read(path: &Path) -> (Tally, Result<(), ReadError>) {
    let mut t = Tally::default();
    let r = read_path(path.to_str().unwrap(), &ReadOptions::default(), &mut t);
    (t, r)
}

#[test]
#[ignore]
fn djcas9_reference_counts() {
    let dir = corpus().join("djcas9-unified2");
    let c = count_records(dir.join("unified2-current.log").to_str().unwrap()).unwrap();
    assert_eq!((c.events, c.packets, c.extra_data), (5675, 5741, 1952));
    let c = count_records(dir.join("unified2-legacy.log").to_str().unwrap()).unwrap();
    assert_eq!((c.events, c.packets, c.extra_data), (4703, 4704, 0));
    for (name, events) in [
        ("unified2-current.log", 5675),
        ("unified2-legacy.log", 4703),
    ] {
        let (t, r) = read(&dir.join(name));
        r.unwrap();
        assert_eq!((t.alerts, t.skipped), (events, 0), "{name}");
    }
}

#[test]
#[ignore]
fn short_reads_name_the_byte_offset() {
    let dir = corpus().join("go-unified2");
    for name in ["short-read-on-header.log", "short-read-on-body.log"] {
        let (t, r) = read(&dir.join(name));
        assert_eq!(t.alerts, 0);
        let e = r.unwrap_err();
        assert!(matches!(e, ReadError::Corrupt { .. }), "{name}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains(name) && msg.contains("byte offset 0") && msg.contains("truncated"),
            "{msg}"
        );
    }
    let (t, r) = read(&dir.join("multi-record-event-x2.log"));
    r.unwrap();
    assert_eq!((t.alerts, t.skipped), (2, 0));
}

/// Every Snort 3.11 spool (default and legacy records) makes one alert per line of the run's
/// `alert_json.txt`, and every alert carries bytes (a decoded payload or a matched buffer).
#[test]
#[ignore]
fn snort3_spools_match_alert_json() {
    let root = corpus().join("snort-3.11.1-runs");
    let files = files_where(&root, &|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("snort.u2."))
    });
    assert_eq!(files.len(), 120);
    let mut events = 0;
    for f in &files {
        let mut dir = f.parent().unwrap();
        if dir.file_name().is_some_and(|n| n == "legacy-u2") {
            dir = dir.parent().unwrap();
        }
        let json = std::fs::read_to_string(dir.join("alert_json.txt")).unwrap();
        let want = json.lines().filter(|l| !l.trim().is_empty()).count() as u64;
        let c = count_records(f.to_str().unwrap()).unwrap();
        assert_eq!(c.events, want, "{}", f.display());
        assert_eq!(
            c.packets + c.buffers,
            want,
            "one packet or buffer per event: {}",
            f.display()
        );
        assert_eq!(c.unknown, 0);
        let (t, r) = read(f);
        r.unwrap();
        assert_eq!((t.alerts, t.skipped), (want, 0), "{}", f.display());
        events += t.alerts;
    }
    assert!(events > 3000, "{events}");
}

/// A spool directory reads as the concatenation of its numbered files.
#[test]
#[ignore]
fn spool_directory_reads_every_numbered_file() {
    let dir = corpus().join("snort-3.11.1-runs/dnp3-eve/gpl");
    let (t, r) = read(&dir);
    r.unwrap();
    let json = std::fs::read_to_string(dir.join("alert_json.txt")).unwrap();
    assert_eq!(t.alerts, json.lines().count() as u64);
    assert_eq!(t.with_payload, t.alerts);
}
