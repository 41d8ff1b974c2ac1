//! Joins over captures written in the tests: a full TCP session like seed 003's (a NAT'ed client
//! port talking to a web server), a session seen only mid-way, and UDP.

use std::net::IpAddr;

use super::*;
use crate::decode::tests::{ethernet, ipv4_packet, tcp_segment};
use crate::input::pcap::tests::{write_pcap, write_pcapng};
use crate::model::{InputFormat, Location, Provenance, Timestamp, YearSource};

const T0: i64 = 1_600_000_000_000_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[allow(clippy::too_many_arguments)]
fn tcp(
    src: &str,
    dst: &str,
    sp: u16,
    dp: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    data: &[u8],
) -> Vec<u8> {
    let (s, d) = (ip(src), ip(dst));
    ethernet(
        0x0800,
        &ipv4_packet(
            s,
            d,
            6,
            &[],
            &tcp_segment(s, d, sp, dp, seq, ack, flags, &[], data),
        ),
    )
}

/// 10.0.0.5:12754 opens a connection to 192.0.2.80:80, sends a request, gets a response.
fn session() -> Vec<(i64, Vec<u8>)> {
    let (c, s) = ("10.0.0.5", "192.0.2.80");
    vec![
        (T0, tcp(c, s, 12754, 80, 100, 0, 0x02, b"")),
        (T0 + 1_000, tcp(s, c, 80, 12754, 500, 101, 0x12, b"")),
        (T0 + 2_000, tcp(c, s, 12754, 80, 101, 501, 0x10, b"")),
        (
            T0 + 3_000,
            tcp(
                c,
                s,
                12754,
                80,
                101,
                501,
                0x18,
                b"GET /index.html HTTP/1.1\r\n\r\n",
            ),
        ),
        (
            T0 + 9_000,
            tcp(
                s,
                c,
                80,
                12754,
                501,
                129,
                0x18,
                b"HTTP/1.1 200 OK\r\n\r\nhello",
            ),
        ),
        (T0 + 10_000, tcp(c, s, 12754, 80, 129, 524, 0x11, b"")),
    ]
}

fn alert<'a>(src: &'a str, sp: u16, dst: &'a str, dp: u16, t: Option<i64>) -> Alert<'a> {
    let ts = Timestamp {
        raw: "t".into(),
        unix_micros: t,
        utc_offset_secs: None,
        year_source: YearSource::Written,
    };
    let prov = Provenance {
        path: "fast.log".into(),
        location: Location::Line(1),
    };
    let mut a = Alert::new(prov, InputFormat::Fast, ts);
    a.proto = Some(IpProto::TCP);
    a.src = Endpoint {
        host: Host::parse(src),
        port: Some(sp),
    };
    a.dest = Endpoint {
        host: Host::parse(dst),
        port: Some(dp),
    };
    a
}

fn index(bytes: Vec<u8>) -> PcapIndex {
    let dir = std::env::temp_dir().join(format!("fpx-flow-{}-{}", std::process::id(), bytes.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("cap.pcap");
    std::fs::write(&p, bytes).unwrap();
    let idx = PcapIndex::load(&[p.to_string_lossy().into_owned()]).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    idx
}

#[test]
fn server_response_alert_finds_its_packet_and_the_client() {
    let idx = index(write_pcap(1, &session()));
    assert_eq!(idx.stats().flows, 1);
    assert_eq!(idx.stats().packets_indexed, 6);
    // An alert on the response, 0.5 ms off the packet time, with no payload (fast.log).
    let mut a = alert("192.0.2.80", 80, "10.0.0.5", 12754, Some(T0 + 9_500));
    let r = idx.join(&a);
    assert_eq!(r.outcome, JoinOutcome::Found);
    let p = r.packet.unwrap();
    assert_eq!(
        (p.ts_micros, p.delta_micros, p.same_direction),
        (T0 + 9_000, -500, true)
    );
    let f = r.flow.clone().unwrap();
    assert_eq!(
        f.client,
        Some(((ip("10.0.0.5"), 12754), ClientEvidence::Syn))
    );
    assert_eq!(f.server, Some((ip("192.0.2.80"), 80)));
    assert!(f.handshake_seen);
    assert_eq!((f.pkts_toserver, f.pkts_toclient), (4, 2));
    assert_eq!(
        f.first_payload_toserver,
        Some(&b"GET /index.html HTTP/1.1\r\n\r\n"[..])
    );
    assert_eq!(
        f.first_payload_toclient,
        Some(&b"HTTP/1.1 200 OK\r\n\r\nhello"[..])
    );
    r.apply(&mut a);
    assert_eq!(
        a.payload.as_deref(),
        Some(&b"HTTP/1.1 200 OK\r\n\r\nhello"[..])
    );
    assert_eq!(a.packet.as_ref().map(|p| p.linktype), Some(1));
    assert_eq!(a.ip.tcp_flags.as_deref(), Some("***AP***"));
    assert_eq!(a.direction, Some(Direction::ToClient));
    let flow = a.flow.unwrap();
    assert_eq!(flow.client.unwrap().port, Some(12754));
    assert_eq!(flow.handshake_seen, Some(true));
    assert_eq!(flow.pkts_toserver, Some(4));
}

#[test]
fn request_alert_prefers_its_direction_and_payload() {
    let idx = index(write_pcapng(1, &session()));
    let a = alert("10.0.0.5", 12754, "192.0.2.80", 80, Some(T0 + 2_500));
    let r = idx.join(&a);
    let p = r.packet.unwrap();
    // 500 µs either side: the data packet wins over the bare ACK.
    assert_eq!(p.ts_micros, T0 + 3_000);
    assert!(p.same_direction);
}

#[test]
fn mid_session_capture_has_no_handshake_and_no_known_client() {
    let idx = index(write_pcap(1, &session()[3..5]));
    let r = idx.join(&alert(
        "10.0.0.5",
        12754,
        "192.0.2.80",
        80,
        Some(T0 + 3_000),
    ));
    assert_eq!(r.outcome, JoinOutcome::Found);
    let f = r.flow.unwrap();
    assert_eq!(f.client, None);
    assert!(!f.handshake_seen);
    // SYN-ACK without the SYN still names the client.
    let idx = index(write_pcap(1, &session()[1..]));
    let f = idx
        .join(&alert("10.0.0.5", 12754, "192.0.2.80", 80, Some(T0)))
        .flow
        .unwrap();
    assert_eq!(
        f.client,
        Some(((ip("10.0.0.5"), 12754), ClientEvidence::SynAck))
    );
    assert!(!f.handshake_seen);
}

#[test]
fn misses_say_why() {
    let idx = index(write_pcap(1, &session()));
    let r = idx.join(&alert("10.0.0.5", 12755, "192.0.2.80", 80, Some(T0)));
    assert_eq!(r.outcome, JoinOutcome::NoFlow);
    let r = idx.join(&alert(
        "10.0.0.5",
        12754,
        "192.0.2.80",
        80,
        Some(T0 + 60_000_000),
    ));
    assert_eq!(
        r.outcome,
        JoinOutcome::OutsideTolerance {
            nearest_micros: 60_000_000 - 10_000
        }
    );
    assert!(r.flow.is_some());
    let r = idx.join(&alert("10.0.0.5", 12754, "192.0.2.80", 80, None));
    assert_eq!(r.outcome, JoinOutcome::NoTimestamp);
    assert!(r.flow.unwrap().handshake_seen);
    let r = idx.join(&alert("10.0.x.x", 12754, "192.0.2.80", 80, Some(T0)));
    assert_eq!(r.outcome, JoinOutcome::NoAddresses);
}

#[test]
fn port_reuse_after_close_starts_a_new_flow() {
    let mut pkts = session();
    let later = T0 + 30_000_000;
    pkts.extend(session().into_iter().map(|(t, p)| (t - T0 + later, p)));
    let idx = index(write_pcap(1, &pkts));
    assert_eq!(idx.stats().flows, 2);
    let r = idx.join(&alert(
        "10.0.0.5",
        12754,
        "192.0.2.80",
        80,
        Some(later + 3_000),
    ));
    let f = r.flow.unwrap();
    assert_eq!(f.first_ts, later);
    assert_eq!(f.pkts_toserver, 4);
}

#[test]
fn udp_first_sender_is_the_client_and_limits_hold() {
    let (c, s) = (ip("10.0.0.9"), ip("10.0.0.53"));
    let q = crate::decode::tests::udp_datagram(c, s, 40000, 53, b"query");
    let a = crate::decode::tests::udp_datagram(s, c, 53, 40000, b"answer");
    let pkts = vec![
        (T0, ethernet(0x0800, &ipv4_packet(c, s, 17, &[], &q))),
        (T0 + 10, ethernet(0x0800, &ipv4_packet(s, c, 17, &[], &a))),
    ];
    let idx = index(write_pcap(1, &pkts));
    let mut al = alert("10.0.0.53", 53, "10.0.0.9", 40000, Some(T0 + 10));
    al.proto = Some(IpProto::UDP);
    let f = idx.join(&al).flow.unwrap();
    assert_eq!(f.client, Some(((c, 40000), ClientEvidence::FirstPacket)));

    let mut small = PcapIndex::with_limits(Limits {
        max_packets: 3,
        max_frame_bytes: 100,
        max_payload_bytes: 10,
        ..Limits::default()
    });
    for (t, p) in session() {
        small.add_packet(t, LinkType::ETHERNET, &p, p.len() as u32);
    }
    small.finish();
    assert_eq!(small.stats().packets_indexed, 3);
    assert_eq!(small.stats().over_packet_limit, 3);
    assert!(small.stats().frames_without_bytes >= 1);
    assert_eq!(small.payloads.len(), 10);
}
