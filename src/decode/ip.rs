//! IPv4 (options, fragments, header checksum) and IPv6 (extension headers walked, fragment
//! header noted).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::IpProto;

use super::checksum::{self, Checksum};
use super::link::{EtherType, LinkType};
use super::transport::{self, Segment};
use super::{be16, be32, Anomalies, Decoded};

/// Most IPv6 extension headers walked. RFC 8200 section 4.1 lists six kinds, each at most once
/// (destination options twice): eight covers every conforming chain and stops hostile ones.
pub const MAX_EXT_HEADERS: usize = 8;

const IPV4_MIN_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
/// Ethernet's minimum payload: shorter datagrams are padded, which is not an anomaly.
const ETHERNET_MIN_PAYLOAD: u32 = 46;

/// A fragment's position in its datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// Offset of this fragment's data in bytes.
    pub offset: u32,
    pub more: bool,
}

/// The IP layer of a decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpInfo {
    pub version: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The upper-layer protocol (after IPv6 extension headers).
    pub proto: IpProto,
    /// TTL or hop limit.
    pub ttl: u8,
    /// TOS or traffic class.
    pub tos: u8,
    /// IPv4 identification, or the IPv6 fragment header's identification.
    pub id: Option<u32>,
    /// IPv4 total length, or 40 + the IPv6 payload length.
    pub total_len: u32,
    /// Header bytes before the upper layer (IPv4 header with options; IPv6 header plus
    /// extension headers).
    pub header_len: u32,
    pub dont_fragment: Option<bool>,
    pub fragment: Option<Fragment>,
    /// IPv4 header checksum; `None` for IPv6, which has none.
    pub checksum: Option<Checksum>,
    /// IPv6 extension headers walked.
    pub ext_headers: u8,
}

pub(super) fn decode_ip<'a>(d: &mut Decoded<'a>, ethertype: EtherType, b: &'a [u8]) {
    let Some(&first) = b.first() else {
        d.anomalies.insert(Anomalies::TRUNCATED_IP);
        return;
    };
    let want = if ethertype == EtherType::IPV6 { 6 } else { 4 };
    if first >> 4 != want {
        d.anomalies.insert(Anomalies::BAD_IP_VERSION);
        d.payload = b;
        return;
    }
    if want == 4 {
        ipv4(d, b);
    } else {
        ipv6(d, b);
    }
}

/// The end of the datagram within the captured bytes, flagging truncation and trailing bytes.
fn datagram_end(d: &mut Decoded<'_>, captured: usize, total_len: u32) -> (usize, bool) {
    let total = total_len as usize;
    if captured < total {
        d.anomalies.insert(Anomalies::TRUNCATED_PAYLOAD);
        (captured, false)
    } else {
        let padded = d.linktype == LinkType::ETHERNET && total_len < ETHERNET_MIN_PAYLOAD;
        if captured > total && !padded {
            d.anomalies.insert(Anomalies::TRAILING_BYTES);
        }
        (total, true)
    }
}

fn ipv4<'a>(d: &mut Decoded<'a>, b: &'a [u8]) {
    if b.len() < IPV4_MIN_HEADER {
        d.anomalies.insert(Anomalies::TRUNCATED_IP);
        return;
    }
    let ihl = usize::from(b[0] & 0x0f) * 4;
    let total_len = u32::from(be16(b, 2).unwrap_or(0));
    let flags_frag = be16(b, 6).unwrap_or(0);
    let offset = u32::from(flags_frag & 0x1fff) * 8;
    let more = flags_frag & 0x2000 != 0;
    let src = Ipv4Addr::from(be32(b, 12).unwrap_or(0));
    let dst = Ipv4Addr::from(be32(b, 16).unwrap_or(0));
    let mut info = IpInfo {
        version: 4,
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        proto: IpProto(b[9]),
        ttl: b[8],
        tos: b[1],
        id: be16(b, 4).map(u32::from),
        total_len,
        header_len: ihl as u32,
        dont_fragment: Some(flags_frag & 0x4000 != 0),
        fragment: (more || offset > 0).then_some(Fragment { offset, more }),
        checksum: None,
        ext_headers: 0,
    };
    if info.fragment.is_some() {
        d.anomalies.insert(Anomalies::FRAGMENT);
    }
    if ihl < IPV4_MIN_HEADER {
        d.anomalies.insert(Anomalies::BAD_IP_HEADER_LEN);
        d.ip = Some(info);
        return;
    }
    if ihl > IPV4_MIN_HEADER {
        d.anomalies.insert(Anomalies::IPV4_OPTIONS);
    }
    if b.len() < ihl {
        d.anomalies.insert(Anomalies::TRUNCATED_IP);
        info.checksum = Some(Checksum::Truncated);
        d.ip = Some(info);
        return;
    }
    let csum = checksum::verify(0, &b[..ihl], 10);
    if csum.is_invalid() {
        d.anomalies.insert(Anomalies::BAD_IP_CHECKSUM);
    }
    info.checksum = Some(csum);
    if (total_len as usize) < ihl {
        // A length that cannot hold its own header (TSO captures write 0): use what was captured.
        d.anomalies.insert(Anomalies::BAD_IP_LEN);
        d.ip = Some(info);
        upper(d, info, &b[ihl..], false);
        return;
    }
    let (end, complete) = datagram_end(d, b.len(), total_len);
    d.ip = Some(info);
    upper(d, info, &b[ihl..end], complete);
}

fn ipv6<'a>(d: &mut Decoded<'a>, b: &'a [u8]) {
    if b.len() < IPV6_HEADER {
        d.anomalies.insert(Anomalies::TRUNCATED_IP);
        return;
    }
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).unwrap_or([0; 16]));
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&b[24..40]).unwrap_or([0; 16]));
    let payload_len = u32::from(be16(b, 4).unwrap_or(0));
    let vtf = be32(b, 0).unwrap_or(0);
    let mut info = IpInfo {
        version: 6,
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        proto: IpProto(b[6]),
        ttl: b[7],
        tos: ((vtf >> 20) & 0xff) as u8,
        id: None,
        total_len: IPV6_HEADER as u32 + payload_len,
        header_len: IPV6_HEADER as u32,
        dont_fragment: None,
        fragment: None,
        checksum: None,
        ext_headers: 0,
    };
    // A zero payload length with a hop-by-hop header is a jumbogram (RFC 2675): trust the capture.
    let (end, complete) = if payload_len == 0 && b[6] == 0 {
        (b.len(), true)
    } else {
        datagram_end(d, b.len(), info.total_len)
    };
    let mut at = IPV6_HEADER;
    loop {
        let nh = info.proto.0;
        let ext_len = match nh {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6: (len + 1) * 8.
            0 | 43 | 60 | 135 | 139 | 140 => b.get(at + 1).map(|l| (usize::from(*l) + 1) * 8),
            // Fragment header: fixed 8 bytes.
            44 => Some(8),
            // Authentication header: (len + 2) * 4.
            51 => b.get(at + 1).map(|l| (usize::from(*l) + 2) * 4),
            _ => break,
        };
        if usize::from(info.ext_headers) == MAX_EXT_HEADERS {
            d.anomalies.insert(Anomalies::TOO_MANY_EXT_HEADERS);
            d.ip = Some(info);
            return;
        }
        let Some(ext_len) = ext_len.filter(|l| at + l <= end) else {
            d.anomalies.insert(Anomalies::TRUNCATED_IP);
            d.ip = Some(info);
            return;
        };
        if nh == 44 {
            let fo = be16(b, at + 2).unwrap_or(0);
            let frag = Fragment {
                offset: u32::from(fo & 0xfff8),
                more: fo & 1 != 0,
            };
            info.id = be32(b, at + 4);
            info.fragment = Some(frag);
            d.anomalies.insert(Anomalies::FRAGMENT);
        }
        info.proto = IpProto(b[at]);
        info.ext_headers += 1;
        at += ext_len;
        info.header_len = at as u32;
    }
    d.ip = Some(info);
    upper(d, info, &b[at..end], complete);
}

/// Decodes the transport layer unless this is a non-first fragment.
fn upper<'a>(d: &mut Decoded<'a>, info: IpInfo, seg: &'a [u8], complete: bool) {
    if info.proto == IpProto(59) {
        // IPv6 "no next header".
        return;
    }
    match info.fragment {
        Some(f) if f.offset > 0 => {
            d.payload = seg;
        }
        frag => {
            let s = Segment {
                bytes: seg,
                complete,
                fragment: frag.is_some(),
                src: info.src,
                dst: info.dst,
            };
            transport::decode_transport(d, info.proto, s);
        }
    }
}
