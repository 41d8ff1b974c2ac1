//! The EVE reader over every EVE file in the corpus: each non-blank line is accounted for
//! exactly once, every `event_type: "alert"` line becomes an alert, and nothing panics.

use std::path::{Path, PathBuf};

use fpx::input::{read_path, Flow, ReadOptions, Sink};
use fpx::model::{Alert, ContextEvent, InputFormat, Location, Provenance, SkipReason};

use crate::util;

#[derive(Default)]
struct Counts {
    alerts: usize,
    context: usize,
    skipped: usize,
    /// Lines (1-based) of alerts that carry a payload or packet.
    with_bytes: Vec<u64>,
    alert_lines: Vec<u64>,
    /// Lines of alerts whose flow state came from the flow's own record.
    with_state: Vec<u64>,
}

impl Sink for Counts {
    fn alert(&mut self, alert: Alert<'_>) -> Flow {
        self.alerts += 1;
        let Location::Line(n) = alert.source.location else {
            panic!("EVE alerts are located by line");
        };
        assert_eq!(alert.format, InputFormat::Eve);
        assert!(alert.original.is_some());
        self.alert_lines.push(n);
        if alert.flow.as_ref().is_some_and(|f| f.state.is_some()) {
            self.with_state.push(n);
        }
        if alert.payload.is_some() || alert.packet.is_some() {
            self.with_bytes.push(n);
        }
        Flow::Continue
    }

    fn context(&mut self, _event: ContextEvent<'_>) -> Flow {
        self.context += 1;
        Flow::Continue
    }

    fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, detail: Option<&str>) -> Flow {
        eprintln!(
            "  skipped {} at {:?}: {}",
            reason.as_str(),
            at.location,
            detail.unwrap_or("")
        );
        self.skipped += 1;
        Flow::Continue
    }
}

/// What an independent reading of the file says: non-blank lines, alert lines, and alert lines
/// that carry a `payload`.
struct Expected {
    non_blank: usize,
    alert_lines: Vec<u64>,
    payload_lines: Vec<u64>,
    /// Alert lines whose `flow_id` has a flow record with a `state` somewhere in the file.
    flow_ended_lines: Vec<u64>,
}

fn expected(path: &Path) -> Expected {
    let bytes = std::fs::read(path).unwrap();
    let mut e = Expected {
        non_blank: 0,
        alert_lines: Vec::new(),
        payload_lines: Vec::new(),
        flow_ended_lines: Vec::new(),
    };
    let mut ended = std::collections::HashSet::new();
    let mut alert_flows = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        e.non_blank += 1;
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if v.get("event_type").and_then(|t| t.as_str()) == Some("alert") {
            e.alert_lines.push(i as u64 + 1);
            if v.get("payload").is_some() {
                e.payload_lines.push(i as u64 + 1);
            }
            if let Some(id) = v.get("flow_id").and_then(|f| f.as_u64()) {
                alert_flows.push((i as u64 + 1, id));
            }
        }
        if v.get("event_type").and_then(|t| t.as_str()) == Some("flow")
            && v.pointer("/flow/state").is_some()
        {
            if let Some(id) = v.get("flow_id").and_then(|f| f.as_u64()) {
                ended.insert(id);
            }
        }
    }
    e.flow_ended_lines = alert_flows
        .into_iter()
        .filter(|(_, id)| ended.contains(id))
        .map(|(n, _)| n)
        .collect();
    e
}

fn eve_files() -> Vec<PathBuf> {
    let root = util::corpus();
    let mut files = util::files_where(&root.join("suricata-8.0.6-runs"), &|p| {
        p.file_name().is_some_and(|n| n == "eve.json")
    });
    files.extend(util::files_where(&root.join("suricata-verify"), &|p| {
        p.ends_with("expected/eve.json")
    }));
    files.push(root.join("suricata-pr13999-eve/eve.json"));
    files.extend(util::files_where(&root.join("tenzir-eve-excerpt"), &|p| {
        p.extension().is_some_and(|x| x == "json")
    }));
    files.push(root.join("crowdsec-hub/suricata-eve-detect.log"));
    files.push(root.join("crowdsec-hub/suricata-logs-evelog.log"));
    files
}

#[test]
#[ignore]
fn every_eve_line_is_accounted_for() {
    let files = eve_files();
    assert!(files.len() > 100, "expected the corpus EVE files");
    let opts = ReadOptions {
        format: Some(InputFormat::Eve),
        ..ReadOptions::default()
    };
    let (mut total_alerts, mut total_context, mut total_skipped) = (0, 0, 0);
    let mut total_enriched = 0;
    for path in &files {
        assert!(path.is_file(), "missing {}", path.display());
        let want = expected(path);
        let mut got = Counts::default();
        let p = path.to_str().unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_path(p, &opts, &mut got)
        }));
        let result = outcome.unwrap_or_else(|_| panic!("{p}: reader panicked"));
        result.unwrap_or_else(|e| panic!("{p}: {e}"));
        println!(
            "{p}: lines {} alerts {} context {} skipped {}",
            want.non_blank, got.alerts, got.context, got.skipped
        );
        assert_eq!(got.alerts, want.alert_lines.len(), "{p}: alert count");
        assert_eq!(got.alert_lines, want.alert_lines, "{p}: alert order");
        assert_eq!(
            got.alerts + got.context + got.skipped,
            want.non_blank,
            "{p}: every non-blank line is one record"
        );
        // The corpus files are far shorter than the enrichment window, so every alert whose flow
        // has a flow record must have been enriched with its end state.
        for n in &want.flow_ended_lines {
            assert!(
                got.with_state.contains(n),
                "{p}: line {n}: alert not enriched from its flow record"
            );
        }
        total_enriched += got.with_state.len();
        if p.contains("suricata-8.0.6-runs") {
            for n in &want.payload_lines {
                assert!(
                    got.with_bytes.contains(n),
                    "{p}: line {n} has a payload but its alert carries no bytes"
                );
            }
        }
        total_alerts += got.alerts;
        total_context += got.context;
        total_skipped += got.skipped;
    }
    println!(
        "{} files: alerts {total_alerts} context {total_context} skipped {total_skipped}, \
         alerts with their flow's end state {total_enriched}",
        files.len()
    );
}
