//! unified2 records written by hand in the layouts Snort 2.9 and Snort 3 use.

use std::net::IpAddr;

use super::*;
use crate::decode::tests::{ethernet, ipv4_packet, tcp_segment};
use crate::model::ContextEvent;

fn record(ty: u32, body: &[u8]) -> Vec<u8> {
    let mut r = ty.to_be_bytes().to_vec();
    r.extend_from_slice(&(body.len() as u32).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// Snort 2.9 event v2 (type 104): sid before gid, IPv4, MPLS, VLAN; `app` appends a 64-byte
/// application name as Snort 3's legacy mode does.
fn event104(event_id: u32, sid: u32, app: Option<&str>) -> Vec<u8> {
    let mut b = u32s(&[0, event_id, 1_321_131_865, 483_943, sid, 1, 3, 33, 1]);
    b.extend_from_slice(&[10, 0, 0, 5, 192, 0, 2, 80]);
    b.extend_from_slice(&12754u16.to_be_bytes());
    b.extend_from_slice(&80u16.to_be_bytes());
    b.extend_from_slice(&[6, 0, 0, 0]);
    b.extend_from_slice(&u32s(&[0]));
    b.extend_from_slice(&[0, 7, 0, 0]);
    assert_eq!(b.len(), 60);
    if let Some(app) = app {
        let mut name = app.as_bytes().to_vec();
        name.resize(64, 0);
        b.extend_from_slice(&name);
    }
    b
}

/// Snort 2.8 legacy IPv6 event (type 72, 76 bytes), ICMPv6 echo request.
fn event72(event_id: u32) -> Vec<u8> {
    let mut b = u32s(&[0, event_id, 1_000, 5, 2001, 1, 2, 4, 2]);
    b.extend_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    b.extend_from_slice(
        &"2001:db8::2"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    b.extend_from_slice(&128u16.to_be_bytes());
    b.extend_from_slice(&0u16.to_be_bytes());
    b.extend_from_slice(&[58, 0, 0, 0]);
    assert_eq!(b.len(), 76);
    b
}

/// Snort 3 event (type 114, 1,032 bytes).
fn event114(event_id: u32, gid: u32, sid: u32, ip_ver: u8) -> Vec<u8> {
    let mut b = u32s(&[
        0,
        event_id,
        1_700_000_000,
        250_000,
        gid,
        sid,
        2,
        29,
        3,
        0,
        0,
        0,
    ]);
    let mapped = |a: [u8; 4]| {
        let mut m = [0u8; 16];
        m[10] = 0xff;
        m[11] = 0xff;
        m[12..].copy_from_slice(&a);
        m
    };
    if ip_ver == 0 {
        b.extend_from_slice(&[0u8; 32]);
    } else {
        b.extend_from_slice(&mapped([10, 1, 1, 1]));
        b.extend_from_slice(&mapped([10, 2, 2, 2]));
    }
    b.extend_from_slice(&u32s(&[0]));
    b.extend_from_slice(&[0xc3, 0x50, 0, 80, 0, 0, 0, 0]);
    b.extend_from_slice(&[ip_ver, if ip_ver == 0 { 255 } else { 6 }, 0, 1]);
    b.resize(96 + 64 + 8, 0);
    let mut field = |s: &str, len: usize| {
        let mut f = s.as_bytes().to_vec();
        f.resize(len, 0);
        b.extend_from_slice(&f);
    };
    field("GET", 80);
    field("HTTP/1.1", 16);
    field("curl/8.0", 256);
    field("", 256);
    field("", 256);
    assert_eq!(b.len(), 1032);
    b
}

fn packet(ty: u32, event_id: u32, linktype: u32, data: &[u8]) -> Vec<u8> {
    let mut b = u32s(&[0, event_id, 1_321_131_865, 1_321_131_865, 483_943, linktype]);
    b.extend_from_slice(&(data.len() as u32).to_be_bytes());
    b.extend_from_slice(data);
    record(ty, &b)
}

fn extra(event_id: u32, info: u32, data: &[u8]) -> Vec<u8> {
    let mut b = u32s(&[
        4,
        32 + data.len() as u32,
        0,
        event_id,
        1_321_131_865,
        info,
        1,
    ]);
    b.extend_from_slice(&(data.len() as u32 + 8).to_be_bytes());
    b.extend_from_slice(data);
    record(110, &b)
}

fn http_frame() -> Vec<u8> {
    let (s, d): (IpAddr, IpAddr) = ("10.0.0.5".parse().unwrap(), "192.0.2.80".parse().unwrap());
    let tcp = tcp_segment(s, d, 12754, 80, 100, 200, 0x18, &[], b"GET /x HTTP/1.1\r\n");
    ethernet(0x0800, &ipv4_packet(s, d, 6, &[], &tcp))
}

#[derive(Debug, Default)]
struct Seen {
    sid: u32,
    gid: u32,
    offset: u64,
    src: String,
    dst: String,
    sport: Option<u16>,
    payload: Option<Vec<u8>>,
    linktype: Option<u32>,
    app: Vec<(String, String)>,
    flags: Option<String>,
    class: Option<u32>,
    icmp: Option<(u8, u8)>,
    micros: Option<i64>,
}

#[derive(Default)]
struct Collect {
    alerts: Vec<Seen>,
    skipped: Vec<(&'static str, u64)>,
}

impl Sink for Collect {
    fn alert(&mut self, a: Alert<'_>) -> Flow {
        let Location::Offset(offset) = a.source.location else {
            panic!("offset expected")
        };
        self.alerts.push(Seen {
            sid: a.sid.unwrap(),
            gid: a.gid,
            offset,
            src: a.src.host.to_string(),
            dst: a.dest.host.to_string(),
            sport: a.src.port,
            payload: a.payload.map(|p| p.into_owned()),
            linktype: a.packet.map(|p| p.linktype),
            app: a
                .app
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            flags: a.ip.tcp_flags.map(|f| f.into_owned()),
            class: a.classification_id,
            icmp: a.ip.icmp_type.zip(a.ip.icmp_code),
            micros: a.timestamp.unix_micros,
        });
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, _: Option<&str>) -> Flow {
        let Location::Offset(o) = at.location else {
            panic!("offset expected")
        };
        self.skipped.push((reason.as_str(), o));
        Flow::Continue
    }
}

fn read(bytes: &[u8]) -> (Collect, Result<(), ReadError>) {
    let mut c = Collect::default();
    let ctx = ReadContext {
        path: "test.u2",
        year: None,
        mtime_year: None,
    };
    let mut r: &[u8] = bytes;
    let res = read_unified2(&mut r, &ctx, &mut c);
    (c, res)
}

/// A Snort 2.9 spool: an HTTP event with URI, hostname and XFF extra data and two packets; an
/// IPv6 legacy event; an app-stats record; an unknown record; a packet for no event.
fn spool_29() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(record(104, &event104(1, 2_000_001, None)));
    f.extend(extra(1, 9, b"/index.php?id=1"));
    f.extend(extra(1, 10, b"www.example.com"));
    f.extend(extra(1, 1, &[203, 0, 113, 9]));
    f.extend(packet(2, 1, 1, &http_frame()));
    f.extend(packet(2, 1, 1, &http_frame()));
    f.extend(record(72, &event72(2)));
    f.extend(packet(2, 2, 1, &[0xff; 10]));
    f.extend(record(113, &u32s(&[1_321_131_865, 0])));
    f.extend(record(999, b"whatever"));
    f.extend(packet(2, 77, 1, &http_frame()));
    f
}

#[test]
fn joins_events_with_their_packets_and_extra_data() {
    let f = spool_29();
    let (c, res) = read(&f);
    res.unwrap();
    assert_eq!(c.alerts.len(), 2);
    let a = &c.alerts[0];
    assert_eq!((a.gid, a.sid, a.class), (1, 2_000_001, Some(33)));
    assert_eq!(
        (a.src.as_str(), a.dst.as_str(), a.sport),
        ("10.0.0.5", "192.0.2.80", Some(12754))
    );
    assert_eq!(a.offset, 0);
    assert_eq!(a.payload.as_deref(), Some(&b"GET /x HTTP/1.1\r\n"[..]));
    assert_eq!(a.linktype, Some(1));
    assert_eq!(a.flags.as_deref(), Some("***AP***"));
    assert_eq!(a.micros, Some(1_321_131_865_483_943));
    let get = |k: &str| a.app.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    assert_eq!(get("http.url"), Some("/index.php?id=1"));
    assert_eq!(get("http.hostname"), Some("www.example.com"));
    assert_eq!(get("xff"), Some("203.0.113.9"));
    let b = &c.alerts[1];
    assert_eq!(
        (b.sid, b.src.as_str(), b.sport),
        (2001, "2001:db8::1", None)
    );
    assert_eq!(b.icmp, Some((128, 0)));
    // App stats, the unknown type and the orphan packet are each counted with a reason.
    let reasons: Vec<&str> = c.skipped.iter().map(|s| s.0).collect();
    assert_eq!(
        reasons,
        [SKIP_APP_STATS.0, SKIP_UNKNOWN_TYPE.0, SKIP_UNJOINED.0]
    );
}

#[test]
fn snort3_event_buffer_and_legacy_app_name() {
    let mut f = Vec::new();
    f.extend(record(114, &event114(1, 119, 2, 0x44)));
    // Type 3 says link type 1 but holds the matched buffer.
    f.extend(packet(3, 1, 1, b"GET /evil%2527 HTTP/1.1"));
    f.extend(record(114, &event114(2, 116, 414, 0x00)));
    f.extend(packet(2, 2, 1, &ethernet(0x0806, &[0; 28])));
    f.extend(record(104, &event104(3, 1, Some("HTTP"))));
    f.extend(packet(2, 3, 1, &http_frame()));
    let (c, res) = read(&f);
    res.unwrap();
    assert_eq!(c.alerts.len(), 3);
    let a = &c.alerts[0];
    assert_eq!(
        (a.gid, a.sid, a.src.as_str(), a.sport),
        (119, 2, "10.1.1.1", Some(50000))
    );
    assert_eq!(a.payload.as_deref(), Some(&b"GET /evil%2527 HTTP/1.1"[..]));
    assert_eq!(a.linktype, None, "a buffer is not a frame");
    assert!(a.app.contains(&("http.http_method".into(), "GET".into())));
    assert!(a
        .app
        .contains(&("http.http_user_agent".into(), "curl/8.0".into())));
    // No IP layer: addresses stay unknown.
    assert_eq!(c.alerts[1].src, "");
    assert_eq!(c.alerts[2].sid, 1);
    assert!(c.alerts[2].app.contains(&("app_id".into(), "HTTP".into())));
    assert_eq!(
        c.alerts[2].payload.as_deref(),
        Some(&b"GET /x HTTP/1.1\r\n"[..])
    );
}

#[test]
fn group_limits_are_enforced() {
    let mut f = record(104, &event104(1, 5, None));
    for _ in 0..MAX_PACKETS_PER_EVENT + 3 {
        f.extend(packet(2, 1, 1, &http_frame()));
    }
    let (c, res) = read(&f);
    res.unwrap();
    assert_eq!(c.alerts.len(), 1);
    assert_eq!(c.skipped.len(), 3);
    assert!(c.skipped.iter().all(|s| s.0 == SKIP_OVER_LIMIT.0));
}

#[test]
fn short_event_body_is_skipped_and_reading_goes_on() {
    let mut f = record(104, &[0u8; 30]);
    f.extend(record(7, &event104(2, 9, None)[..52]));
    let (c, res) = read(&f);
    res.unwrap();
    assert_eq!(c.skipped, [(SkipReason::MALFORMED_ALERT.0, 0)]);
    assert_eq!(c.alerts.len(), 1);
    assert_eq!(c.alerts[0].sid, 9);
}

/// Cut the spool at every byte: no panic; every event whose record is complete is delivered
/// (with whatever of its group was complete); a cut inside a record is a `Corrupt` error at that
/// record's offset.
#[test]
fn truncation_at_every_offset() {
    let f = spool_29();
    let mut starts = Vec::new();
    let mut at = 0usize;
    while at < f.len() {
        starts.push(at);
        let len = u32::from_be_bytes(f[at + 4..at + 8].try_into().unwrap()) as usize;
        at += 8 + len;
    }
    let event_ends = [8 + event104(1, 0, None).len(), {
        let i = starts[6];
        i + 8 + 76
    }];
    for cut in 0..=f.len() {
        let (c, res) = read(&f[..cut]);
        let want = event_ends.iter().filter(|e| **e <= cut).count();
        assert_eq!(c.alerts.len(), want, "cut at {cut}");
        if starts.contains(&cut) || cut == f.len() {
            res.unwrap();
        } else {
            let rec = *starts.iter().rev().find(|s| **s < cut).unwrap();
            match res {
                Err(ReadError::Corrupt { path, location, .. }) => {
                    assert_eq!(path, "test.u2");
                    assert!(matches!(location.0, Location::Offset(o) if o == rec as u64));
                }
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }
}

#[test]
fn oversized_length_is_corrupt_not_an_allocation() {
    let mut f = record(104, &event104(1, 5, None));
    f.extend_from_slice(&[0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff]);
    let (c, res) = read(&f);
    assert_eq!(c.alerts.len(), 1);
    let e = res.unwrap_err().to_string();
    assert!(e.contains("byte offset 68"), "{e}");
}

#[test]
fn spool_directory_in_numeric_order_and_counts() {
    let dir = std::env::temp_dir().join(format!("fpx-u2-spool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Numeric, not lexical, order: 999 before 1000.
    std::fs::write(
        dir.join("snort.u2.1000"),
        record(104, &event104(1, 1000, None)),
    )
    .unwrap();
    std::fs::write(
        dir.join("snort.u2.999"),
        record(104, &event104(1, 999, None)),
    )
    .unwrap();
    std::fs::write(dir.join("alert_fast.txt"), b"not part of the spool").unwrap();
    let mut c = Collect::default();
    super::super::read_path(dir.to_str().unwrap(), &ReadOptions::default(), &mut c).unwrap();
    let sids: Vec<u32> = c.alerts.iter().map(|a| a.sid).collect();
    assert_eq!(sids, [999, 1000]);

    let p = dir.join("spool.u2");
    std::fs::write(&p, spool_29()).unwrap();
    let counts = count_records(p.to_str().unwrap()).unwrap();
    assert_eq!(
        (
            counts.events,
            counts.packets,
            counts.extra_data,
            counts.app_stats,
            counts.unknown
        ),
        (2, 4, 3, 1, 1)
    );
    std::fs::write(&p, &spool_29()[..100]).unwrap();
    let e = count_records(p.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        e.contains("byte offset 68") && e.contains("truncated"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Snort writes protocol 255 and ports 0 when it rejected the IP layer (loopback with checksum
/// 0); the logged frame still holds the TCP header, and the alert takes its ports from there.
#[test]
fn undecoded_transport_is_taken_from_the_frame() {
    let mut ev = event114(1, 116, 150, 0x44);
    ev[84..88].copy_from_slice(&[0, 0, 0, 0]);
    ev[93] = 255;
    let (s, d): (IpAddr, IpAddr) = ("10.1.1.1".parse().unwrap(), "10.2.2.2".parse().unwrap());
    let frame = ipv4_packet(
        s,
        d,
        6,
        &[],
        &tcp_segment(s, d, 63516, 8080, 1, 0, 2, &[], b""),
    );
    let mut f = record(114, &ev);
    f.extend(packet(2, 1, 12, &frame));
    let (c, res) = read(&f);
    res.unwrap();
    let a = &c.alerts[0];
    assert_eq!(
        (a.sport, a.flags.as_deref()),
        (Some(63516), Some("******S*"))
    );
    // A frame with other addresses is not trusted for the ports.
    let other = ipv4_packet(d, s, 6, &[], &tcp_segment(d, s, 1, 2, 1, 0, 2, &[], b""));
    let mut f = record(114, &ev);
    f.extend(packet(2, 1, 12, &other));
    let (c, _) = read(&f);
    assert_eq!(c.alerts[0].sport, None);
}

/// Issue #12: Snort 3 events with zero time fields printed as 1970-01-01, unflagged. The
/// instant is kept (the capture said so, and the join with it needs it) and flagged.
#[test]
fn an_event_at_zero_time_keeps_it_and_it_is_implausible() {
    let mut ev = event104(1, 2_000_001, None);
    ev[8..16].fill(0);
    let (c, res) = read(&record(104, &ev));
    res.unwrap();
    assert_eq!(c.alerts.len(), 1);
    assert_eq!(c.alerts[0].micros, Some(0));
    let t = crate::model::Timestamp {
        raw: std::borrow::Cow::Borrowed(""),
        unix_micros: c.alerts[0].micros,
        utc_offset_secs: Some(0),
        year_source: crate::model::YearSource::Written,
    };
    assert!(t.implausible().is_some());
}

/// An event without time takes its packet's (Snort 3 spools hold such events).
#[test]
fn an_event_without_time_takes_its_packets_time() {
    let mut ev = event104(1, 2_000_001, None);
    ev[8..16].fill(0);
    let mut f = record(104, &ev);
    f.extend(packet(2, 1, 1, &http_frame()));
    let (c, res) = read(&f);
    res.unwrap();
    assert_eq!(c.alerts[0].micros, Some(1_321_131_865_483_943));
}
