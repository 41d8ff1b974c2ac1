//! Transport layers: TCP (flags, sequence numbers, window, options), UDP, ICMP and ICMPv6,
//! with checksum verification over the IPv4 or IPv6 pseudo-header.

use std::net::IpAddr;

use crate::model::IpProto;

use super::checksum::{self, Checksum};
use super::{be16, be32, Anomalies, Decoded};

const TCP_MIN_HEADER: usize = 20;
const UDP_HEADER: usize = 8;
const ICMP_MIN_HEADER: usize = 4;
/// ICMP's fixed header: type, code, checksum and four bytes whose meaning depends on the type.
const ICMP_HEADER: usize = 8;

/// The transport bytes handed down by the IP layer.
pub(super) struct Segment<'a> {
    /// From the transport header to the end of the datagram (or of the capture).
    pub bytes: &'a [u8],
    /// Whether every byte the IP length announces was captured.
    pub complete: bool,
    /// A first fragment: the checksum covers bytes not in this packet.
    pub fragment: bool,
    pub src: IpAddr,
    pub dst: IpAddr,
}

/// TCP flag bits (RFC 9293, RFC 3168).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x01);
    pub const SYN: TcpFlags = TcpFlags(0x02);
    pub const RST: TcpFlags = TcpFlags(0x04);
    pub const PSH: TcpFlags = TcpFlags(0x08);
    pub const ACK: TcpFlags = TcpFlags(0x10);
    pub const URG: TcpFlags = TcpFlags(0x20);
    pub const ECE: TcpFlags = TcpFlags(0x40);
    pub const CWR: TcpFlags = TcpFlags(0x80);

    pub fn contains(self, f: TcpFlags) -> bool {
        self.0 & f.0 == f.0
    }

    /// Snort's eight-character rendering, `12UAPRSF` with `*` for clear bits (`***A**S*`).
    pub fn to_snort_string(self) -> String {
        const LETTERS: &[u8; 8] = b"12UAPRSF";
        LETTERS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if self.0 & (0x80 >> i) != 0 {
                    char::from(*c)
                } else {
                    '*'
                }
            })
            .collect()
    }
}

/// TCP options fpx looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    /// Number of SACK blocks.
    pub sack_blocks: u8,
    /// Timestamp value and echo reply.
    pub timestamp: Option<(u32, u32)>,
    /// Options seen (NOPs excluded).
    pub count: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub urgent: u16,
    /// Header length in bytes from the data offset.
    pub header_len: u8,
    pub options: TcpOptions,
    pub checksum: Checksum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub length: u16,
    pub checksum: Checksum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpInfo {
    /// ICMPv6 rather than ICMP for IPv4.
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// The type-dependent second word (echo id and sequence, MTU, gateway).
    pub rest: Option<[u8; 4]>,
    pub checksum: Checksum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp(TcpInfo),
    Udp(UdpInfo),
    Icmp(IcmpInfo),
}

impl Transport {
    pub fn checksum(&self) -> Checksum {
        match self {
            Transport::Tcp(t) => t.checksum,
            Transport::Udp(u) => u.checksum,
            Transport::Icmp(i) => i.checksum,
        }
    }
}

pub(super) fn decode_transport<'a>(d: &mut Decoded<'a>, proto: IpProto, s: Segment<'a>) {
    let b = s.bytes;
    let len = b.len() as u32;
    let verdict = |pseudo: bool, at: usize| -> Checksum {
        if s.fragment {
            Checksum::Fragment
        } else if !s.complete {
            Checksum::Truncated
        } else {
            let acc = if pseudo {
                checksum::pseudo_header(s.src, s.dst, proto.0, len)
            } else {
                0
            };
            checksum::verify(acc, b, at)
        }
    };
    let t = match proto {
        IpProto::TCP => {
            if b.len() < TCP_MIN_HEADER {
                d.anomalies.insert(Anomalies::TRUNCATED_TRANSPORT);
                return;
            }
            let off = usize::from(b[12] >> 4) * 4;
            let hdr_end = if off < TCP_MIN_HEADER {
                d.anomalies.insert(Anomalies::BAD_TCP_OFFSET);
                TCP_MIN_HEADER
            } else if off > b.len() {
                d.anomalies.insert(if s.complete {
                    Anomalies::BAD_TCP_OFFSET
                } else {
                    Anomalies::TRUNCATED_TRANSPORT
                });
                b.len()
            } else {
                off
            };
            let options = tcp_options(d, &b[TCP_MIN_HEADER..hdr_end]);
            d.payload = &b[hdr_end..];
            Transport::Tcp(TcpInfo {
                src_port: be16(b, 0).unwrap_or(0),
                dst_port: be16(b, 2).unwrap_or(0),
                seq: be32(b, 4).unwrap_or(0),
                ack: be32(b, 8).unwrap_or(0),
                flags: TcpFlags(b[13]),
                window: be16(b, 14).unwrap_or(0),
                urgent: be16(b, 18).unwrap_or(0),
                header_len: off as u8,
                options,
                checksum: verdict(true, 16),
            })
        }
        IpProto::UDP => {
            if b.len() < UDP_HEADER {
                d.anomalies.insert(Anomalies::TRUNCATED_TRANSPORT);
                return;
            }
            let length = be16(b, 4).unwrap_or(0);
            let ulen = usize::from(length);
            let mut end = b.len();
            if s.complete && !s.fragment && ulen != b.len() {
                d.anomalies.insert(Anomalies::BAD_UDP_LEN);
            }
            if (UDP_HEADER..end).contains(&ulen) {
                end = ulen;
            }
            d.payload = &b[UDP_HEADER..end];
            let stored = be16(b, 6).unwrap_or(0);
            let checksum = if stored == 0 && s.src.is_ipv4() {
                Checksum::Absent
            } else if s.complete && !s.fragment && ulen != b.len() {
                // The checksum covers the UDP length's bytes, which disagree with the IP length.
                Checksum::Truncated
            } else {
                verdict(true, 6)
            };
            Transport::Udp(UdpInfo {
                src_port: be16(b, 0).unwrap_or(0),
                dst_port: be16(b, 2).unwrap_or(0),
                length,
                checksum,
            })
        }
        IpProto::ICMP | IpProto::ICMPV6 => {
            if b.len() < ICMP_MIN_HEADER {
                d.anomalies.insert(Anomalies::TRUNCATED_TRANSPORT);
                return;
            }
            let rest = b.get(4..ICMP_HEADER).and_then(|r| r.try_into().ok());
            d.payload = b.get(ICMP_HEADER..).unwrap_or(&[]);
            let v6 = proto == IpProto::ICMPV6;
            Transport::Icmp(IcmpInfo {
                v6,
                icmp_type: b[0],
                code: b[1],
                rest,
                checksum: verdict(v6, 2),
            })
        }
        _ => {
            d.payload = b;
            return;
        }
    };
    if t.checksum().is_invalid() {
        d.anomalies.insert(Anomalies::BAD_TRANSPORT_CHECKSUM);
    }
    d.transport = Some(t);
}

fn tcp_options(d: &mut Decoded<'_>, mut b: &[u8]) -> TcpOptions {
    let mut o = TcpOptions::default();
    while let Some(&kind) = b.first() {
        match kind {
            0 => break,
            1 => {
                b = &b[1..];
                continue;
            }
            _ => {}
        }
        let Some(&len) = b.get(1) else {
            d.anomalies.insert(Anomalies::BAD_TCP_OPTIONS);
            break;
        };
        let len = usize::from(len);
        if len < 2 || len > b.len() {
            d.anomalies.insert(Anomalies::BAD_TCP_OPTIONS);
            break;
        }
        let body = &b[2..len];
        match (kind, body.len()) {
            (2, 2) => o.mss = be16(body, 0),
            (3, 1) => o.window_scale = Some(body[0]),
            (4, 0) => o.sack_permitted = true,
            (5, n) if n % 8 == 0 => o.sack_blocks = (n / 8) as u8,
            (8, 8) => o.timestamp = Some((be32(body, 0).unwrap_or(0), be32(body, 4).unwrap_or(0))),
            (2..=5 | 8, _) => d.anomalies.insert(Anomalies::BAD_TCP_OPTIONS),
            _ => {}
        }
        o.count = o.count.saturating_add(1);
        b = &b[len..];
    }
    o
}
