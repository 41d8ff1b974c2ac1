//! Link layers: Ethernet II (with 802.1Q/802.1ad VLAN tags), Linux cooked capture (SLL and
//! SLL2), BSD loopback (DLT_NULL and OpenBSD DLT_LOOP) and raw IP.

use std::fmt;

use super::{be16, be32, Anomalies, Decoded};

/// A pcap link type (tcpdump.org "Link-layer header types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT_RAW as most systems number it (Snort writes it for raw-IP captures).
    pub const RAW_12: LinkType = LinkType(12);
    /// DLT_RAW as OpenBSD numbers it.
    pub const RAW_14: LinkType = LinkType(14);
    /// LINKTYPE_RAW, the portable number for raw IPv4/IPv6.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like NULL but the family is big-endian.
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::NULL => "null",
            Self::ETHERNET => "ethernet",
            Self::RAW_12 | Self::RAW_14 | Self::RAW => "raw",
            Self::LOOP => "loop",
            Self::LINUX_SLL => "linux_sll",
            Self::IPV4 => "ipv4",
            Self::IPV6 => "ipv6",
            Self::LINUX_SLL2 => "linux_sll2",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "linktype {}", self.0),
        }
    }
}

/// An EtherType (IEEE registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EtherType(pub u16);

impl EtherType {
    pub const IPV4: EtherType = EtherType(0x0800);
    pub const ARP: EtherType = EtherType(0x0806);
    pub const VLAN: EtherType = EtherType(0x8100);
    pub const IPV6: EtherType = EtherType(0x86dd);
    pub const QINQ: EtherType = EtherType(0x88a8);
    /// The pre-standard QinQ outer tag some switches still use.
    pub const QINQ_OLD: EtherType = EtherType(0x9100);

    fn is_vlan(self) -> bool {
        matches!(self, Self::VLAN | Self::QINQ | Self::QINQ_OLD)
    }
}

/// Most VLAN tags kept. QinQ stacks two; four leaves room for provider stacks while a frame made
/// of nothing but tags cannot make the decoder walk it to the end.
pub const MAX_VLAN_TAGS: usize = 4;

/// VLAN ids, outermost first, without allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VlanTags {
    ids: [u16; MAX_VLAN_TAGS],
    len: u8,
}

impl VlanTags {
    pub fn as_slice(&self) -> &[u16] {
        &self.ids[..usize::from(self.len)]
    }

    fn push(&mut self, id: u16) -> bool {
        let n = usize::from(self.len);
        if n == MAX_VLAN_TAGS {
            return false;
        }
        self.ids[n] = id;
        self.len += 1;
        true
    }
}

const ETHERNET_HEADER: usize = 14;
const VLAN_TAG: usize = 4;
const SLL_HEADER: usize = 16;
const SLL2_HEADER: usize = 20;
const NULL_HEADER: usize = 4;

/// BSD address families for IPv6: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30.
const AF_INET6_VALUES: [u32; 4] = [10, 24, 28, 30];
const AF_INET: u32 = 2;

/// Reads the link layer into `d`; returns the network-layer EtherType and its bytes.
pub(super) fn decode_link<'a>(
    d: &mut Decoded<'a>,
    frame: &'a [u8],
) -> Option<(EtherType, &'a [u8])> {
    match d.linktype {
        LinkType::ETHERNET => ethernet(d, frame),
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 => match frame.first() {
            Some(b) if b >> 4 == 6 => Some((EtherType::IPV6, frame)),
            Some(_) => Some((EtherType::IPV4, frame)),
            None => {
                d.anomalies.insert(Anomalies::TRUNCATED_IP);
                None
            }
        },
        LinkType::IPV4 => Some((EtherType::IPV4, frame)),
        LinkType::IPV6 => Some((EtherType::IPV6, frame)),
        LinkType::NULL | LinkType::LOOP => {
            let Some(raw) = be32(frame, 0) else {
                d.anomalies.insert(Anomalies::TRUNCATED_LINK);
                return None;
            };
            // DLT_NULL is in the capturing host's order: a small value read big-endian
            // has its low bytes first, otherwise the host was little-endian.
            let family = if d.linktype == LinkType::LOOP || raw <= 0xffff {
                raw
            } else {
                raw.swap_bytes()
            };
            let rest = &frame[NULL_HEADER..];
            if family == AF_INET {
                Some((EtherType::IPV4, rest))
            } else if AF_INET6_VALUES.contains(&family) {
                Some((EtherType::IPV6, rest))
            } else {
                d.anomalies.insert(Anomalies::NOT_IP);
                d.payload = rest;
                None
            }
        }
        LinkType::LINUX_SLL => {
            let Some(proto) = be16(frame, 14) else {
                d.anomalies.insert(Anomalies::TRUNCATED_LINK);
                return None;
            };
            if be16(frame, 4) == Some(6) {
                d.src_mac = frame[6..12].try_into().ok();
            }
            after_ethertype(d, EtherType(proto), &frame[SLL_HEADER..])
        }
        LinkType::LINUX_SLL2 => {
            if frame.len() < SLL2_HEADER {
                d.anomalies.insert(Anomalies::TRUNCATED_LINK);
                return None;
            }
            if frame[11] == 6 {
                d.src_mac = frame[12..18].try_into().ok();
            }
            let proto = be16(frame, 0)?;
            after_ethertype(d, EtherType(proto), &frame[SLL2_HEADER..])
        }
        _ => {
            d.anomalies.insert(Anomalies::UNKNOWN_LINKTYPE);
            d.payload = frame;
            None
        }
    }
}

fn ethernet<'a>(d: &mut Decoded<'a>, frame: &'a [u8]) -> Option<(EtherType, &'a [u8])> {
    if frame.len() < ETHERNET_HEADER {
        d.anomalies.insert(Anomalies::TRUNCATED_LINK);
        if frame.len() >= 12 {
            d.dst_mac = frame[0..6].try_into().ok();
            d.src_mac = frame[6..12].try_into().ok();
        }
        return None;
    }
    d.dst_mac = frame[0..6].try_into().ok();
    d.src_mac = frame[6..12].try_into().ok();
    let ty = EtherType(be16(frame, 12)?);
    after_ethertype(d, ty, &frame[ETHERNET_HEADER..])
}

/// Walks VLAN tags after an EtherType.
fn after_ethertype<'a>(
    d: &mut Decoded<'a>,
    mut ty: EtherType,
    mut rest: &'a [u8],
) -> Option<(EtherType, &'a [u8])> {
    while ty.is_vlan() {
        let (Some(tci), Some(inner)) = (be16(rest, 0), be16(rest, 2)) else {
            d.anomalies.insert(Anomalies::TRUNCATED_LINK);
            return None;
        };
        if !d.vlans.push(tci & 0x0fff) {
            d.anomalies.insert(Anomalies::TOO_MANY_VLAN_TAGS);
            return None;
        }
        ty = EtherType(inner);
        rest = &rest[VLAN_TAG..];
    }
    if ty.0 < 0x0600 {
        // An 802.3 length field: LLC/SNAP, not IP.
        d.anomalies.insert(Anomalies::NOT_IP);
        d.payload = rest;
        return None;
    }
    Some((ty, rest))
}
