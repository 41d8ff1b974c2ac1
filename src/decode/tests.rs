//! Byte-level tests per link type, checksum verdicts, and truncation at every offset.

use std::net::IpAddr;

use super::*;

/// An independent RFC 1071 checksum for building test packets.
fn inet_csum(parts: &[&[u8]]) -> u16 {
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(p);
    }
    if all.len() % 2 == 1 {
        all.push(0);
    }
    let mut s: u64 = 0;
    for c in all.chunks(2) {
        s += u64::from(c[0]) << 8 | u64::from(c[1]);
    }
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn tcp_segment(
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let hlen = 20 + opts.len();
    assert!(hlen % 4 == 0);
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(((hlen / 4) as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&64240u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(opts);
    t.extend_from_slice(payload);
    let c = inet_csum(&[&pseudo(src, dst, 6, t.len()), &t]);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

pub(crate) fn udp_datagram(
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let c = inet_csum(&[&pseudo(src, dst, 17, u.len()), &u]);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

fn pseudo(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, proto]);
            p.extend_from_slice(&(len as u16).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, proto]);
        }
        _ => panic!("mixed families"),
    }
    p
}

pub(crate) fn ipv4_packet(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    opts: &[u8],
    body: &[u8],
) -> Vec<u8> {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
        panic!("ipv4 addresses expected")
    };
    let hlen = 20 + opts.len();
    let mut h = vec![0x40 | (hlen / 4) as u8, 0];
    h.extend_from_slice(&((hlen + body.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, proto, 0, 0]);
    h.extend_from_slice(&s.octets());
    h.extend_from_slice(&d.octets());
    h.extend_from_slice(opts);
    let c = inet_csum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(body);
    h
}

fn ipv6_packet(src: IpAddr, dst: IpAddr, next: u8, ext: &[u8], body: &[u8]) -> Vec<u8> {
    let (IpAddr::V6(s), IpAddr::V6(d)) = (src, dst) else {
        panic!("ipv6 addresses expected")
    };
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&((ext.len() + body.len()) as u16).to_be_bytes());
    h.push(next);
    h.push(255);
    h.extend_from_slice(&s.octets());
    h.extend_from_slice(&d.octets());
    h.extend_from_slice(ext);
    h.extend_from_slice(body);
    h
}

pub(crate) fn ethernet(ethertype: u16, body: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 1, 2, 3, 4, 5, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(body);
    f
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const SYN_OPTS: [u8; 20] = [
    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
];

fn http_v4() -> Vec<u8> {
    let (s, d) = (ip("10.0.0.5"), ip("192.0.2.80"));
    let tcp = tcp_segment(
        s,
        d,
        12754,
        80,
        1000,
        2000,
        0x18,
        &[],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    ipv4_packet(s, d, 6, &[], &tcp)
}

fn check_http(d: &Decoded<'_>) {
    let ipi = d.ip.unwrap();
    assert_eq!(ipi.src, ip("10.0.0.5"));
    assert_eq!(ipi.checksum, Some(Checksum::Valid));
    let Some(Transport::Tcp(t)) = d.transport else {
        panic!("tcp expected: {d:?}")
    };
    assert_eq!(
        (t.src_port, t.dst_port, t.seq, t.ack),
        (12754, 80, 1000, 2000)
    );
    assert_eq!(t.flags.to_snort_string(), "***AP***");
    assert_eq!(t.checksum, Checksum::Valid);
    assert_eq!(d.payload, b"GET / HTTP/1.0\r\n\r\n");
    assert!(
        d.anomalies.is_empty(),
        "{:?}",
        d.anomalies.names().collect::<Vec<_>>()
    );
}

#[test]
fn ethernet_ipv4_tcp() {
    let f = ethernet(0x0800, &http_v4());
    let d = decode(LinkType::ETHERNET, &f);
    assert_eq!(d.src_mac, Some([0xa, 0xb, 0xc, 0xd, 0xe, 0xf]));
    check_http(&d);
    let h = d.ip_header();
    assert_eq!(h.tcp_flags.as_deref(), Some("***AP***"));
    assert_eq!(h.ttl, Some(64));
    assert_eq!(h.dont_fragment, Some(true));
}

#[test]
fn raw_ip_variants() {
    let p = http_v4();
    for lt in [
        LinkType::RAW,
        LinkType::RAW_12,
        LinkType::RAW_14,
        LinkType::IPV4,
    ] {
        check_http(&decode(lt, &p));
    }
}

#[test]
fn vlan_and_qinq() {
    let mut tagged = vec![0x20, 0x64, 0x08, 0x00]; // prio 1, vid 100, inner IPv4
    tagged.extend_from_slice(&http_v4());
    let frame = ethernet(0x8100, &tagged);
    let d = decode(LinkType::ETHERNET, &frame);
    assert_eq!(d.vlans.as_slice(), &[100]);
    check_http(&d);
    let mut qinq = vec![0x00, 0x0a, 0x81, 0x00];
    qinq.extend_from_slice(&tagged);
    let frame = ethernet(0x88a8, &qinq);
    let d = decode(LinkType::ETHERNET, &frame);
    assert_eq!(d.vlans.as_slice(), &[10, 100]);
    check_http(&d);
    // A frame of nothing but tags stops at the limit.
    let many: Vec<u8> = [0x00, 0x01, 0x81, 0x00].repeat(10);
    let frame = ethernet(0x8100, &many);
    let d = decode(LinkType::ETHERNET, &frame);
    assert!(d.anomalies.contains(Anomalies::TOO_MANY_VLAN_TAGS));
}

#[test]
fn linux_sll_and_sll2() {
    let mut f = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    f.extend_from_slice(&http_v4());
    let d = decode(LinkType::LINUX_SLL, &f);
    assert_eq!(d.src_mac, Some([1, 2, 3, 4, 5, 6]));
    check_http(&d);
    let mut f2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    f2.extend_from_slice(&http_v4());
    check_http(&decode(LinkType::LINUX_SLL2, &f2));
}

#[test]
fn bsd_loopback_both_byte_orders() {
    for fam in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
        let mut f = fam.to_vec();
        f.extend_from_slice(&http_v4());
        check_http(&decode(LinkType::NULL, &f));
    }
    let mut f = vec![0, 0, 0, 2];
    f.extend_from_slice(&http_v4());
    check_http(&decode(LinkType::LOOP, &f));
    let d = decode(LinkType::NULL, &[7, 0, 0, 0, 1, 2]);
    assert!(d.anomalies.contains(Anomalies::NOT_IP));
}

#[test]
fn ipv6_extension_headers_fragment_and_udp_checksum() {
    let (s, d) = (ip("2001:db8::1"), ip("2001:db8::2"));
    let udp = udp_datagram(s, d, 5353, 53, b"\x12\x34query");
    // Hop-by-hop (8 bytes, next = dest opts), dest opts (8 bytes, next = UDP).
    let ext = [60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0];
    let p = ipv6_packet(s, d, 0, &ext, &udp);
    let frame = ethernet(0x86dd, &p);
    let dec = decode(LinkType::ETHERNET, &frame);
    let ipi = dec.ip.unwrap();
    assert_eq!(ipi.proto, IpProto::UDP);
    assert_eq!(ipi.ext_headers, 2);
    assert_eq!(ipi.header_len, 56);
    let Some(Transport::Udp(u)) = dec.transport else {
        panic!("udp expected")
    };
    assert_eq!((u.src_port, u.dst_port), (5353, 53));
    assert_eq!(u.checksum, Checksum::Valid);
    assert_eq!(dec.payload, b"\x12\x34query");
    // A first fragment: transport decoded, checksum not checkable.
    let frag = [17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef];
    let p = ipv6_packet(s, d, 44, &frag, &udp);
    let dec = decode(LinkType::RAW, &p);
    assert!(dec.anomalies.contains(Anomalies::FRAGMENT));
    assert_eq!(dec.ip.unwrap().id, Some(0xdead_beef));
    assert_eq!(dec.transport.unwrap().checksum(), Checksum::Fragment);
}

#[test]
fn icmp_and_icmpv6() {
    let mut echo = vec![8, 0, 0, 0, 0, 1, 0, 2, b'a', b'b'];
    let c = inet_csum(&[&echo]);
    echo[2..4].copy_from_slice(&c.to_be_bytes());
    let p = ipv4_packet(ip("10.0.0.1"), ip("10.0.0.2"), 1, &[], &echo);
    let d = decode(LinkType::RAW, &p);
    let Some(Transport::Icmp(i)) = d.transport else {
        panic!("icmp expected")
    };
    assert_eq!((i.icmp_type, i.code, i.checksum), (8, 0, Checksum::Valid));
    assert_eq!(d.payload, b"ab");
    assert_eq!(d.ip_header().icmp_type, Some(8));

    let (s, t) = (ip("fe80::1"), ip("ff02::1"));
    let mut na = vec![136, 0, 0, 0, 0x20, 0, 0, 0];
    let c = inet_csum(&[&pseudo(s, t, 58, na.len()), &na]);
    na[2..4].copy_from_slice(&c.to_be_bytes());
    let frame = ipv6_packet(s, t, 58, &[], &na);
    let d = decode(LinkType::RAW, &frame);
    let Some(Transport::Icmp(i)) = d.transport else {
        panic!("icmpv6 expected")
    };
    assert!(i.v6);
    assert_eq!(i.checksum, Checksum::Valid);
}

#[test]
fn options_fragments_and_bad_checksums_are_flags() {
    let (s, d) = (ip("10.0.0.5"), ip("192.0.2.80"));
    // SYN with options, TCP checksum zeroed as NIC offload leaves it.
    let mut tcp = tcp_segment(s, d, 40000, 443, 7, 0, 0x02, &SYN_OPTS, b"");
    tcp[16] = 0;
    tcp[17] = 0;
    // IPv4 header with a 4-byte option (NOP x3, EOL).
    let p = ipv4_packet(s, d, 6, &[1, 1, 1, 0], &tcp);
    let dec = decode(LinkType::RAW, &p);
    assert!(dec.anomalies.contains(Anomalies::IPV4_OPTIONS));
    assert!(dec.anomalies.contains(Anomalies::BAD_TRANSPORT_CHECKSUM));
    let Some(Transport::Tcp(t)) = dec.transport else {
        panic!("tcp expected")
    };
    assert_eq!(t.flags.to_snort_string(), "******S*");
    assert_eq!(t.options.mss, Some(1460));
    assert_eq!(t.options.window_scale, Some(7));
    assert!(t.options.sack_permitted);
    assert_eq!(t.options.timestamp, Some((1, 0)));
    let Checksum::Invalid { stored, computed } = t.checksum else {
        panic!("invalid checksum expected")
    };
    assert_eq!(stored, 0);
    assert_ne!(computed, 0);
    // Fixing the stored value with the computed one verifies.
    let mut fixed = tcp.clone();
    fixed[16..18].copy_from_slice(&computed.to_be_bytes());
    let frame = ipv4_packet(s, d, 6, &[], &fixed);
    let dec = decode(LinkType::RAW, &frame);
    assert_eq!(dec.transport.unwrap().checksum(), Checksum::Valid);

    // Bad IPv4 header checksum.
    let mut p = http_v4();
    p[10] ^= 1;
    let dec = decode(LinkType::RAW, &p);
    assert!(dec.anomalies.contains(Anomalies::BAD_IP_CHECKSUM));
    assert!(dec.ip.unwrap().checksum.unwrap().is_invalid());

    // A later IPv4 fragment: no transport header, payload is the fragment data.
    let mut p = http_v4();
    p[6] = 0x00;
    p[7] = 0x03; // offset 24 bytes, no MF
    p[10] = 0;
    p[11] = 0;
    let c = inet_csum(&[&p[..20]]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let dec = decode(LinkType::RAW, &p);
    assert!(dec.anomalies.contains(Anomalies::FRAGMENT));
    assert_eq!(dec.ip.unwrap().fragment.unwrap().offset, 24);
    assert!(dec.transport.is_none());
    assert_eq!(dec.payload.len(), p.len() - 20);
}

#[test]
fn ethernet_padding_is_not_trailing_but_extra_bytes_are() {
    let (s, d) = (ip("10.0.0.5"), ip("192.0.2.80"));
    let tcp = tcp_segment(s, d, 1, 2, 0, 0, 0x04, &[], b"");
    let mut p = ipv4_packet(s, d, 6, &[], &tcp);
    p.extend_from_slice(&[0; 6]);
    let frame = ethernet(0x0800, &p);
    let dec = decode(LinkType::ETHERNET, &frame);
    assert!(dec.anomalies.is_empty());
    assert_eq!(dec.transport.unwrap().checksum(), Checksum::Valid);
    let mut big = http_v4();
    big.extend_from_slice(b"junk");
    let dec = decode(LinkType::RAW, &big);
    assert!(dec.anomalies.contains(Anomalies::TRAILING_BYTES));
    assert_eq!(dec.payload, b"GET / HTTP/1.0\r\n\r\n");
}

#[test]
fn unknown_linktype_and_arp_are_flags() {
    let d = decode(LinkType(9999), b"abc");
    assert!(d.anomalies.contains(Anomalies::UNKNOWN_LINKTYPE));
    let frame = ethernet(0x0806, &[0; 28]);
    let d = decode(LinkType::ETHERNET, &frame);
    assert!(d.anomalies.contains(Anomalies::NOT_IP));
    assert_eq!(d.ethertype, Some(EtherType::ARP));
    assert_eq!(d.ip_header(), IpHeader::default());
}

/// Every prefix of every test frame decodes without panic; a cut inside the headers is flagged,
/// and no cut packet claims a valid transport checksum.
#[test]
fn truncation_at_every_offset() {
    let (s6, d6) = (ip("2001:db8::1"), ip("2001:db8::2"));
    let udp6 = udp_datagram(s6, d6, 1, 2, b"payload");
    let frag_ext = [17, 0, 0x00, 0x01, 0, 0, 0, 1];
    let (s, d) = (ip("10.0.0.5"), ip("192.0.2.80"));
    let syn = ipv4_packet(
        s,
        d,
        6,
        &[1, 1, 1, 0],
        &tcp_segment(s, d, 1, 2, 3, 4, 2, &SYN_OPTS, b"x"),
    );
    let mut vlan = vec![0x00, 0x05, 0x08, 0x00];
    vlan.extend_from_slice(&http_v4());
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&http_v4());
    let mut null = vec![2, 0, 0, 0];
    null.extend_from_slice(&syn);
    let cases: Vec<(LinkType, Vec<u8>)> = vec![
        (LinkType::ETHERNET, ethernet(0x0800, &http_v4())),
        (LinkType::ETHERNET, ethernet(0x8100, &vlan)),
        (LinkType::LINUX_SLL, sll),
        (LinkType::NULL, null),
        (LinkType::RAW, syn),
        (LinkType::RAW, ipv6_packet(s6, d6, 44, &frag_ext, &udp6)),
        (LinkType::RAW, ipv6_packet(s6, d6, 17, &[], &udp6)),
    ];
    for (lt, full) in &cases {
        let whole = decode(*lt, full);
        assert!(whole.transport.is_some(), "{lt}: {whole:?}");
        for cut in 0..full.len() {
            let part = decode(*lt, &full[..cut]);
            assert!(
                !part.anomalies.is_empty(),
                "{lt} cut at {cut} raised no anomaly"
            );
            if let Some(t) = part.transport {
                assert_ne!(t.checksum(), Checksum::Valid, "{lt} cut at {cut}");
            }
            assert!(part.payload.len() <= whole.payload.len().max(full.len()));
            // What was decoded agrees with the whole packet.
            if let (Some(a), Some(b)) = (part.ip, whole.ip) {
                assert_eq!((a.src, a.dst), (b.src, b.dst));
            }
        }
    }
}
