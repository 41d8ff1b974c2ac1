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

/// Joins every Snort 3.11 unified2 alert with the pcap Snort read (the original capture, so the
/// loopback and Linux SLL link types are exercised too), and checks that the decoded packet
/// behind each alert has the event's ports.
#[test]
#[ignore]
fn snort3_alerts_join_their_pcaps() {
    use fpx::decode::{decode, LinkType};
    use fpx::flow::{JoinOutcome, PcapIndex};

    struct Join<'i> {
        index: &'i PcapIndex,
        alerts: u64,
        with_ip: u64,
        found: u64,
        handshakes: u64,
        port_mismatch: Vec<String>,
        misses: Vec<String>,
    }
    impl Sink for Join<'_> {
        fn alert(&mut self, a: Alert<'_>) -> Flow {
            self.alerts += 1;
            if let Some(p) = &a.packet {
                let d = decode(LinkType(p.linktype), &p.bytes);
                if let (Some((sp, dp)), Some(asp)) = (d.ports(), a.src.port) {
                    if (sp, dp) != (asp, a.dest.port.unwrap_or(0)) {
                        self.port_mismatch.push(a.signature_id());
                    }
                }
            }
            if a.src.host.ip().is_none() {
                return Flow::Continue;
            }
            self.with_ip += 1;
            let r = self.index.join(&a);
            if r.outcome == JoinOutcome::Found {
                self.found += 1;
                self.handshakes += u64::from(r.flow.is_some_and(|f| f.handshake_seen));
            } else {
                self.misses
                    .push(format!("{} {}", a.signature_id(), r.outcome.as_str()));
            }
            Flow::Continue
        }
        fn context(&mut self, _: ContextEvent<'_>) -> Flow {
            Flow::Continue
        }
        fn skipped(&mut self, _: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
            Flow::Continue
        }
    }

    let root = corpus().join("snort-3.11.1-runs");
    let runs = std::fs::read_to_string(root.join("runs.tsv")).unwrap();
    let (mut alerts, mut with_ip, mut found, mut handshakes) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for line in runs.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols[2] != "main" || cols[6] == "0" {
            continue;
        }
        let dir = root.join(cols[0]).join(cols[1]);
        let pcap = corpus().join(cols[3]);
        let index = PcapIndex::load(&[pcap.to_string_lossy().into_owned()]).unwrap();
        let mut j = Join {
            index: &index,
            alerts: 0,
            with_ip: 0,
            found: 0,
            handshakes: 0,
            port_mismatch: Vec::new(),
            misses: Vec::new(),
        };
        read_path(dir.to_str().unwrap(), &ReadOptions::default(), &mut j).unwrap();
        assert_eq!(j.alerts.to_string(), cols[6], "{}", dir.display());
        assert!(
            j.port_mismatch.is_empty(),
            "{}: {:?}",
            dir.display(),
            j.port_mismatch
        );
        alerts += j.alerts;
        with_ip += j.with_ip;
        found += j.found;
        handshakes += j.handshakes;
        misses.extend(
            j.misses
                .into_iter()
                .map(|m| format!("{}/{}: {m}", cols[0], cols[1])),
        );
    }
    eprintln!(
        "{alerts} alerts, {with_ip} with addresses, {found} joined ({handshakes} in flows with a \
         handshake); misses: {:?}",
        {
            let mut m = std::collections::BTreeMap::new();
            for x in &misses {
                *m.entry(x.as_str()).or_insert(0) += 1;
            }
            m
        }
    );
    assert_eq!(
        found, with_ip,
        "every alert with addresses finds its packet"
    );
}

/// Decodes every packet of every pcap Snort read as-is and counts invalid TCP/UDP checksums per
/// IP version, against Snort's own `bad_*_checksum` counters in `runs.tsv`.
#[test]
#[ignore]
fn checksum_verdicts_match_snort_counters() {
    use fpx::decode::{decode, Anomalies, Transport};
    use fpx::input::open_input;
    use fpx::input::pcap::PcapReader;

    const SNORT_SNAPLEN: usize = 1518;
    let root = corpus().join("snort-3.11.1-runs");
    let runs = std::fs::read_to_string(root.join("runs.tsv")).unwrap();
    let mut compared = 0;
    let mut packets = 0u64;
    for line in runs.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols[1] != "gpl" || cols[2] != "main" || cols[4] != "as-is" {
            continue;
        }
        let mut want = std::collections::BTreeMap::new();
        for kv in cols[16].split(',').filter(|s| *s != "-") {
            let (k, v) = kv.split_once('=').unwrap();
            want.insert(k.to_string(), v.parse::<u64>().unwrap());
        }
        let path = corpus().join(cols[3]);
        let mut input = open_input(path.to_str().unwrap()).unwrap();
        let mut r = PcapReader::new(input.reader(), path.to_str().unwrap()).unwrap();
        let mut got = std::collections::BTreeMap::new();
        let mut n = 0u64;
        while let Some(p) = r.next_packet().unwrap() {
            n += 1;
            let d = decode(p.linktype, p.data);
            let (Some(ip), Some(t)) = (d.ip, d.transport) else {
                continue;
            };
            let name = match t {
                Transport::Tcp(_) => "tcp",
                Transport::Udp(_) => "udp",
                Transport::Icmp(i) if i.v6 => "icmp6",
                Transport::Icmp(_) => "icmp4",
            };
            // Snort's DAQ reads at most its default snap length of 1,518 bytes per frame, so it
            // cannot verify the checksums of larger (offloaded, coalesced) frames.
            // Snort rejects a TCP header whose data offset runs past the segment before it checks
            // the checksum (116:47); fpx still gives the verdict over the bytes there are.
            let rejected = d.anomalies.contains(Anomalies::BAD_TCP_OFFSET);
            if t.checksum().is_invalid() && p.data.len() <= SNORT_SNAPLEN && !rejected {
                let key = if name.starts_with("icmp") {
                    format!("bad_{name}_checksum")
                } else {
                    format!("bad_{name}{}_checksum", ip.version)
                };
                *got.entry(key).or_insert(0u64) += 1;
            }
        }
        assert_eq!(n.to_string(), cols[5], "{}: packets read", cols[0]);
        assert_eq!(got, want, "{}", cols[0]);
        packets += n;
        compared += 1;
    }
    eprintln!("{compared} pcaps, {packets} packets: checksum verdicts match Snort's counters");
    assert!(compared >= 40);
}
