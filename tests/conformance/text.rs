//! The text alert readers over every real `fast.log`, `alert_fast.txt` and `alert_full.txt` in
//! the corpus, and over the seed write-ups.

use std::collections::BTreeMap;
use std::path::Path;

use fpx::input::{read_path, Flow, ReadOptions, Sink};
use fpx::model::{Alert, ContextEvent, InputFormat, Provenance, SkipReason, YearSource};

use crate::util::{corpus, files_where, seeds};

/// Counts what a reader reports and keeps what the seed check needs.
#[derive(Default)]
struct Count {
    alerts: usize,
    by_format: BTreeMap<&'static str, usize>,
    skipped: BTreeMap<&'static str, usize>,
    context: usize,
    with_payload: usize,
    with_ip: usize,
    /// Hosts read as labels rather than addresses (sensors write addresses; a label here
    /// means a port was split off wrongly).
    labels: usize,
    first: Option<Seen>,
}

struct Seen {
    src_port: Option<u16>,
    dest_port: Option<u16>,
    payload: Vec<u8>,
    date: Option<(i32, u32, u32)>,
    year_source: YearSource,
    sid: Option<u32>,
    msg: Option<String>,
}

impl Sink for Count {
    fn alert(&mut self, a: Alert<'_>) -> Flow {
        self.alerts += 1;
        *self.by_format.entry(a.format.as_str()).or_default() += 1;
        self.with_payload += usize::from(a.payload.is_some());
        self.with_ip += usize::from(a.ip.ttl.is_some());
        for h in [&a.src.host, &a.dest.host] {
            if h.ip().is_none() && !h.to_string().is_empty() {
                self.labels += 1;
            }
        }
        if self.first.is_none() {
            self.first = Some(Seen {
                src_port: a.src.port,
                dest_port: a.dest.port,
                payload: a.payload.as_deref().unwrap_or_default().to_vec(),
                date: a.timestamp.date(),
                year_source: a.timestamp.year_source,
                sid: a.sid,
                msg: a.msg.as_deref().map(str::to_string),
            });
        }
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        self.context += 1;
        Flow::Continue
    }
    fn skipped(&mut self, reason: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        *self.skipped.entry(reason.as_str()).or_default() += 1;
        Flow::Continue
    }
}

impl Count {
    fn skipped(&self, r: SkipReason) -> usize {
        self.skipped.get(r.as_str()).copied().unwrap_or(0)
    }
}

/// Reads a file as `fpx` would: format detected from the content.
fn read(path: &Path) -> Count {
    read_as(path, None)
}

/// Reads a file with the given reader, or the detected one.
fn read_as(path: &Path, format: Option<InputFormat>) -> Count {
    let mut c = Count::default();
    let opts = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    read_path(path.to_str().unwrap(), &opts, &mut c)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!(
        "{}: alerts {} {:?} skipped {:?} payloads {} ip {}",
        path.strip_prefix(corpus().join(".."))
            .unwrap_or(path)
            .display(),
        c.alerts,
        c.by_format,
        c.skipped,
        c.with_payload,
        c.with_ip
    );
    assert_eq!(c.context, 0);
    c
}

fn text(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

fn named(name: &'static str) -> impl Fn(&Path) -> bool {
    move |p: &Path| p.file_name().is_some_and(|n| n == name)
}

#[test]
#[ignore]
fn every_fast_file_reads_one_alert_per_line() {
    let root = corpus();
    let mut files = files_where(&root.join("suricata-8.0.6-runs"), &named("fast.log"));
    files.extend(files_where(
        &root.join("suricata-verify"),
        &named("fast.log"),
    ));
    files.push(root.join("crowdsec-hub/suricata-logs-fastlog.log"));
    files.extend(files_where(
        &root.join("snort-3.11.1-runs"),
        &named("alert_fast.txt"),
    ));
    assert!(files.len() > 100, "only {} fast files", files.len());
    let mut total = 0;
    for f in &files {
        let lines = text(f).lines().filter(|l| !l.trim().is_empty()).count();
        let c = read(f);
        assert_eq!(c.alerts, lines, "{}", f.display());
        assert_eq!(c.by_format.get("fast"), Some(&lines).filter(|n| **n > 0));
        assert_eq!(c.skipped(SkipReason::MALFORMED_ALERT), 0);
        assert_eq!(c.skipped(SkipReason::SURROUNDING_TEXT), 0);
        assert_eq!(c.labels, 0, "{}", f.display());
        total += c.alerts;
    }
    println!("{} fast files, {total} alerts", files.len());
}

#[test]
#[ignore]
fn every_full_file_reads_one_alert_per_header() {
    let files = files_where(
        &corpus().join("snort-3.11.1-runs"),
        &named("alert_full.txt"),
    );
    assert!(files.len() > 50, "only {} full files", files.len());
    let mut total = 0;
    for f in &files {
        let headers = text(f).lines().filter(|l| l.starts_with("[**] ")).count();
        let fast = text(&f.with_file_name("alert_fast.txt")).lines().count();
        let c = read(f);
        assert_eq!(c.alerts, headers, "{}", f.display());
        assert_eq!(c.alerts, fast, "{}", f.display());
        assert_eq!(c.skipped(SkipReason::MALFORMED_ALERT), 0);
        assert_eq!(c.skipped(SkipReason::SURROUNDING_TEXT), 0);
        assert_eq!(c.skipped(SkipReason::TRUNCATED), 0);
        assert_eq!(c.labels, 0, "{}", f.display());
        total += c.alerts;
    }
    println!("{} full files, {total} alerts", files.len());
}

#[test]
#[ignore]
fn snort3_fast_with_packet_dumps_reads_one_alert_per_fast_line() {
    let files = files_where(
        &corpus().join("snort-3.11.1-runs"),
        &named("alert_fast-packet.txt"),
    );
    for f in &files {
        let fast = text(&f.with_file_name("alert_fast.txt")).lines().count();
        let c = read(f);
        assert_eq!(c.alerts, fast, "{}", f.display());
        assert_eq!(c.skipped(SkipReason::MALFORMED_ALERT), 0);
        assert_eq!(c.skipped(SkipReason::SURROUNDING_TEXT), 0);
    }
}

#[test]
#[ignore]
fn seeds_read_without_panic_and_003_gives_its_alert() {
    let dir = seeds();
    for f in files_where(&dir, &|p: &Path| p.extension().is_some_and(|e| e == "txt")) {
        // The seeds hold other formats too (firewall logs); the full reader must still account
        // for them as text around alerts.
        let c = read_as(&f, Some(InputFormat::Full));
        let lines = text(&f).lines().count();
        let accounted: usize = c.skipped.values().sum::<usize>() + c.alerts;
        if c.alerts == 0 {
            assert_eq!(accounted, lines, "{}", f.display());
        } else {
            assert!(accounted < lines);
        }
        if !f.to_string_lossy().contains("003_") {
            continue;
        }
        assert_eq!(c.alerts, 1);
        assert_eq!(c.by_format.get("full"), Some(&1));
        let a = c.first.as_ref().unwrap();
        assert_eq!((a.src_port, a.dest_port), (Some(80), Some(12754)));
        assert_eq!(a.sid, None);
        assert_eq!(a.msg.as_deref(), Some("DDOS mstream client to handler"));
        assert!(a.payload.starts_with(b"HTTP/1.0 200 OK"));
        // The dump's length counted independently: hex pairs in the hex column of each row.
        let dumped: usize = text(&f)
            .lines()
            .filter(|l| {
                let b = l.as_bytes();
                b.len() > 3 && b[..2].iter().all(u8::is_ascii_hexdigit) && b[2] == b' '
            })
            .map(|l| {
                l[..l.len().min(48)]
                    .split_whitespace()
                    .filter(|t| t.len() == 2 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                    .count()
            })
            .sum();
        assert_eq!(a.payload.len(), dumped);
        assert_eq!(a.date, Some((2001, 8, 13)));
        assert_eq!(a.year_source, YearSource::Surrounding);
        assert_eq!(c.skipped(SkipReason::MALFORMED_ALERT), 0);
    }
}

#[test]
#[ignore]
fn detection_picks_a_text_reader_for_the_corpus_text_alerts() {
    let root = corpus();
    let f = root.join("crowdsec-hub/suricata-logs-fastlog.log");
    let head = std::fs::read(&f).unwrap();
    assert_eq!(
        fpx::input::detect_format("x", &head[..head.len().min(8192)]).unwrap(),
        InputFormat::Fast
    );
}
