//! Context readers over every firewall and Zeek sample in the corpus, and the two seeds that
//! are firewall logs (001 ipchains in a mail, 002 ASA messages in a web page).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use fpx::input::{detect_format, open_input, read_path, Flow, ReadOptions, Sink};
use fpx::model::{
    Action, Alert, ContextEvent, InputFormat, IpProto, Provenance, SkipReason, YearSource,
};

use crate::util::{corpus, files_where, seeds};

/// The parts of an event the seed tests check.
struct Seen {
    dest: String,
    port: Option<u16>,
    year: Option<i32>,
    year_source: YearSource,
    subtype: String,
    action: Option<Action>,
    proto: Option<IpProto>,
    ip_len: Option<u32>,
}

/// What a run produced, with the events the seed tests look at.
#[derive(Default)]
struct Counts {
    events: usize,
    alerts: usize,
    skipped: BTreeMap<&'static str, usize>,
    kinds: BTreeMap<&'static str, usize>,
    /// The first few lines that were not read as events, other than blank and header lines.
    notes: Vec<String>,
    seen: Vec<Seen>,
}

impl Counts {
    fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

impl Sink for Counts {
    fn alert(&mut self, _a: Alert<'_>) -> Flow {
        self.alerts += 1;
        Flow::Continue
    }
    fn context(&mut self, e: ContextEvent<'_>) -> Flow {
        self.events += 1;
        *self.kinds.entry(e.kind.0).or_default() += 1;
        let (h, p) = e
            .dest
            .as_ref()
            .map_or((String::new(), None), |d| (d.host.to_string(), d.port));
        let year = e.timestamp.as_ref().and_then(|t| t.date()).map(|d| d.0);
        let ys = e
            .timestamp
            .as_ref()
            .map_or(YearSource::Unknown, |t| t.year_source);
        let sub = e.subtype.as_deref().unwrap_or("").to_string();
        if self.seen.len() < 10_000 {
            self.seen.push(Seen {
                dest: h,
                port: p,
                year,
                year_source: ys,
                subtype: sub,
                action: e.action,
                proto: e.proto,
                ip_len: e.ip_len,
            });
        }
        Flow::Continue
    }
    fn skipped(&mut self, r: SkipReason, at: &Provenance<'_>, d: Option<&str>) -> Flow {
        *self.skipped.entry(r.0).or_default() += 1;
        if self.notes.len() < 5 && r != SkipReason::BLANK && r.0 != "zeek_header" {
            self.notes
                .push(format!("{:?} {} {}", at.location, r.0, d.unwrap_or("")));
        }
        Flow::Continue
    }
}

/// Lines of the (decompressed) file, and how many of them continue a wrapped ipchains record.
fn line_counts(path: &Path) -> (usize, usize) {
    let mut input = open_input(path.to_str().unwrap()).unwrap();
    let mut bytes = Vec::new();
    input.reader().read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let mut continuations = 0;
    for w in lines.windows(2) {
        let first = w[0].trim_end();
        let wrapped = first.contains("Packet log:")
            && first
                .rsplit(' ')
                .next()
                .is_some_and(|t| t.starts_with("PROTO="));
        if wrapped && !w[1].trim().is_empty() && !w[1].contains("Packet log:") {
            continuations += 1;
        }
    }
    (lines.len(), continuations)
}

fn run(path: &Path, expect: InputFormat) -> Counts {
    let p = path.to_str().unwrap();
    let input = open_input(p).unwrap();
    let detected = detect_format(p, input.peek()).unwrap();
    assert_eq!(detected, expect, "{p}: detected as {}", detected.as_str());
    let mut counts = Counts::default();
    let opts = ReadOptions::default();
    let res = catch_unwind(AssertUnwindSafe(|| read_path(p, &opts, &mut counts)));
    match res {
        Ok(r) => r.unwrap_or_else(|e| panic!("{p}: {e}")),
        Err(_) => panic!("{p}: reader panicked"),
    }
    counts
}

fn check_all(files: &[(PathBuf, InputFormat)]) {
    let mut failures = Vec::new();
    for (path, format) in files {
        let c = run(path, *format);
        let (lines, continuations) = line_counts(path);
        let rel = path
            .strip_prefix(corpus())
            .unwrap_or(path)
            .display()
            .to_string();
        println!(
            "{rel}: lines {lines} (wrapped {continuations}) events {} skipped {} {:?} kinds {:?}",
            c.events,
            c.skipped_total(),
            c.skipped,
            c.kinds
        );
        for n in &c.notes {
            println!("    {n}");
        }
        if c.events + c.skipped_total() != lines - continuations {
            failures.push(format!(
                "{rel}: accounted {} of {lines} lines",
                c.events + c.skipped_total()
            ));
        }
        if c.events == 0 || c.alerts != 0 {
            failures.push(format!("{rel}: {} events, {} alerts", c.events, c.alerts));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

fn named(dir: &str, names: &[&str], f: InputFormat) -> Vec<(PathBuf, InputFormat)> {
    names
        .iter()
        .map(|n| (corpus().join(dir).join(n), f))
        .collect()
}

#[test]
#[ignore]
fn firewall_samples_account_for_every_line() {
    let mut files = Vec::new();
    let lml = "prelude-lml-rules/extracted-LOG-lines";
    files.extend(named(lml, &["ipchains.log"], InputFormat::Ipchains));
    files.extend(named(lml, &["netfilter.log"], InputFormat::Netfilter));
    files.extend(named(lml, &["cisco-asa.log"], InputFormat::CiscoAsa));
    for p in files_where(&corpus().join("psad/iptables"), &|_| true) {
        files.push((p, InputFormat::Netfilter));
    }
    for p in files_where(&corpus().join("psad/pf"), &|_| true) {
        files.push((p, InputFormat::Pflog));
    }
    files.extend(named(
        "crowdsec-hub",
        &[
            "iptables-logs.log",
            "iptables-scan-multi-port.log",
            "proxmox-iptables.log",
            "unifi-logs.log",
        ],
        InputFormat::Netfilter,
    ));
    files.extend(named(
        "crowdsec-hub",
        &[
            "pf-logs.log",
            "pf-scan-multi-port.log",
            "pfsense-rfc5424-filterlog.log",
        ],
        InputFormat::Pflog,
    ));
    files.extend(named(
        "apache-metron",
        &["asa_raw.log"],
        InputFormat::CiscoAsa,
    ));
    files.extend(named(
        "wazuh-ruleset",
        &["cisco_asa.extracted.log"],
        InputFormat::CiscoAsa,
    ));
    check_all(&files);
}

#[test]
#[ignore]
fn zeek_samples_account_for_every_line() {
    let mut files = Vec::new();
    let is_log = |p: &Path| {
        let n = p.to_string_lossy();
        n.ends_with(".log") || n.ends_with(".log.gz") || n.ends_with(".json.gz")
    };
    for dir in ["zeek-btest-v3.0.0", "zed-sample-data-wrccdc"] {
        for p in files_where(&corpus().join(dir), &is_log) {
            files.push((p, InputFormat::Zeek));
        }
    }
    files.extend(named(
        "apache-metron",
        &["BroExampleOutput.json"],
        InputFormat::Zeek,
    ));
    assert!(files.len() >= 30, "only {} Zeek files found", files.len());
    check_all(&files);
}

#[test]
#[ignore]
fn seed_001_ipchains_mail() {
    let path = seeds().join("001_55d1087427bdb333.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    // Count the wrapped records independently: a `Packet log:` line followed by a line that
    // starts with the source `addr:port`.
    let lines: Vec<&str> = text.lines().collect();
    let pairs = lines
        .windows(2)
        .filter(|w| {
            w[0].contains("Packet log:")
                && w[1]
                    .split_whitespace()
                    .next()
                    .is_some_and(|t| t.contains(':') && t.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    assert!(pairs >= 10, "{pairs}");
    let c = run(&path, InputFormat::Ipchains);
    println!(
        "seed 001: {} events from {pairs} wrapped pairs, skipped {:?}",
        c.events, c.skipped
    );
    assert_eq!(c.events, pairs);
    assert_eq!(c.events + c.skipped_total(), lines.len() - pairs);
    for e in &c.seen {
        assert!(e.dest.starts_with("1.11."), "{}", e.dest);
        assert_eq!(e.port, Some(445));
        assert_eq!(e.year, Some(2004));
        assert_eq!(e.year_source, YearSource::Surrounding);
        assert_eq!(e.action, Some(Action::Deny));
        assert_eq!(e.proto, Some(IpProto::TCP));
        assert!(
            matches!(e.ip_len, Some(40 | 79 | 93 | 192)),
            "{:?}",
            e.ip_len
        );
    }
}

#[test]
#[ignore]
fn seed_002_asa_page() {
    let path = seeds().join("002_8a2f088e625e9fe0.txt");
    let c = run(&path, InputFormat::CiscoAsa);
    println!("seed 002: {} events, skipped {:?}", c.events, c.skipped);
    assert_eq!(c.events, 8);
    for e in &c.seen {
        assert_eq!(e.dest, "64.9.XX.XX");
        assert_eq!(e.port, Some(8832));
        assert_eq!(e.subtype, "106023");
        assert_eq!(e.action, Some(Action::Deny));
        assert_eq!(e.proto, Some(IpProto::UDP));
    }
}
