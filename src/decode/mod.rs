//! Packet decoding: a captured frame (or raw IP packet) → link, IP and transport headers, the
//! payload as a borrowed slice, checksum verdicts and anomaly flags.
//!
//! Decoding never fails. A truncated or odd packet yields whatever layers could be read, with
//! [`Anomalies`] saying what was wrong, so that evidence can use the oddity itself
//! ("truncated capture", "bad TCP checksum on a packet the sensor sent").
//!
//! Decoding is written by hand over byte slices rather than with nom combinators or etherparse:
//! a partial result on truncation needs control after every field, which combinators hide, and
//! etherparse (whose lax slicing does cope with truncation) would still leave the checksum
//! verdicts, the anomaly flags and the mapping onto the model's newtypes to be written here, for
//! a dependency that is not otherwise needed. The whole decoder is a few hundred lines.
//!
//! One file per layer: [`link`] (Ethernet, VLAN, Linux SLL, BSD loopback), [`ip`] (IPv4, IPv6
//! and its extension headers), [`transport`] (TCP, UDP, ICMP, ICMPv6), [`checksum`].

pub mod checksum;
pub mod ip;
pub mod link;
pub mod transport;

use std::borrow::Cow;

use crate::model::{IpHeader, IpProto};

pub use checksum::Checksum;
pub use ip::{Fragment, IpInfo};
pub use link::{EtherType, LinkType};
pub use transport::{IcmpInfo, TcpFlags, TcpInfo, TcpOptions, Transport, UdpInfo};

/// Anomalies found while decoding, as a bit set. Stable names via [`Anomalies::names`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Anomalies(pub u32);

impl Anomalies {
    /// The capture ended inside the link-layer header.
    pub const TRUNCATED_LINK: Anomalies = Anomalies(1 << 0);
    /// The capture ended inside the IP header (or IPv6 extension headers).
    pub const TRUNCATED_IP: Anomalies = Anomalies(1 << 1);
    /// The capture ended inside the transport header.
    pub const TRUNCATED_TRANSPORT: Anomalies = Anomalies(1 << 2);
    /// Fewer bytes were captured than the IP length says (snap length or cut record).
    pub const TRUNCATED_PAYLOAD: Anomalies = Anomalies(1 << 3);
    /// The link type is not one fpx decodes.
    pub const UNKNOWN_LINKTYPE: Anomalies = Anomalies(1 << 4);
    /// The EtherType (or loopback family) carries something other than IP.
    pub const NOT_IP: Anomalies = Anomalies(1 << 5);
    /// The IP version nibble disagrees with the link layer or is neither 4 nor 6.
    pub const BAD_IP_VERSION: Anomalies = Anomalies(1 << 6);
    /// IPv4 header length below 20 bytes or beyond the total length.
    pub const BAD_IP_HEADER_LEN: Anomalies = Anomalies(1 << 7);
    /// IP total (or IPv6 payload) length is shorter than the headers it must hold.
    pub const BAD_IP_LEN: Anomalies = Anomalies(1 << 8);
    /// IPv4 header options are present.
    pub const IPV4_OPTIONS: Anomalies = Anomalies(1 << 9);
    /// The packet is an IP fragment (IPv4 MF/offset or an IPv6 fragment header).
    pub const FRAGMENT: Anomalies = Anomalies(1 << 10);
    /// More IPv6 extension headers than [`ip::MAX_EXT_HEADERS`].
    pub const TOO_MANY_EXT_HEADERS: Anomalies = Anomalies(1 << 11);
    /// More VLAN tags than [`link::MAX_VLAN_TAGS`].
    pub const TOO_MANY_VLAN_TAGS: Anomalies = Anomalies(1 << 12);
    /// TCP data offset below 5 words or beyond the segment.
    pub const BAD_TCP_OFFSET: Anomalies = Anomalies(1 << 13);
    /// TCP options that run past their header or have impossible lengths.
    pub const BAD_TCP_OPTIONS: Anomalies = Anomalies(1 << 14);
    /// UDP length field disagrees with the IP payload length.
    pub const BAD_UDP_LEN: Anomalies = Anomalies(1 << 15);
    /// The IPv4 header checksum does not verify.
    pub const BAD_IP_CHECKSUM: Anomalies = Anomalies(1 << 16);
    /// The TCP, UDP or ICMP checksum does not verify.
    pub const BAD_TRANSPORT_CHECKSUM: Anomalies = Anomalies(1 << 17);
    /// Bytes after the IP datagram in the frame (Ethernet padding is normal below 60 bytes).
    pub const TRAILING_BYTES: Anomalies = Anomalies(1 << 18);

    const NAMES: [(Anomalies, &'static str); 19] = [
        (Self::TRUNCATED_LINK, "truncated_link"),
        (Self::TRUNCATED_IP, "truncated_ip"),
        (Self::TRUNCATED_TRANSPORT, "truncated_transport"),
        (Self::TRUNCATED_PAYLOAD, "truncated_payload"),
        (Self::UNKNOWN_LINKTYPE, "unknown_linktype"),
        (Self::NOT_IP, "not_ip"),
        (Self::BAD_IP_VERSION, "bad_ip_version"),
        (Self::BAD_IP_HEADER_LEN, "bad_ip_header_len"),
        (Self::BAD_IP_LEN, "bad_ip_len"),
        (Self::IPV4_OPTIONS, "ipv4_options"),
        (Self::FRAGMENT, "fragment"),
        (Self::TOO_MANY_EXT_HEADERS, "too_many_ext_headers"),
        (Self::TOO_MANY_VLAN_TAGS, "too_many_vlan_tags"),
        (Self::BAD_TCP_OFFSET, "bad_tcp_offset"),
        (Self::BAD_TCP_OPTIONS, "bad_tcp_options"),
        (Self::BAD_UDP_LEN, "bad_udp_len"),
        (Self::BAD_IP_CHECKSUM, "bad_ip_checksum"),
        (Self::BAD_TRANSPORT_CHECKSUM, "bad_transport_checksum"),
        (Self::TRAILING_BYTES, "trailing_bytes"),
    ];

    pub fn contains(self, other: Anomalies) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: Anomalies) {
        self.0 |= other.0;
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The stable names of the flags that are set.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(a, _)| self.contains(*a))
            .map(|(_, n)| n)
    }
}

/// A decoded packet. Everything borrowed points into the captured bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub linktype: LinkType,
    /// The link layer's source and destination MAC addresses (Ethernet; SLL gives the source).
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// VLAN ids, outermost first (802.1Q and QinQ).
    pub vlans: link::VlanTags,
    /// The EtherType (or loopback family mapped to one) of the network layer.
    pub ethertype: Option<EtherType>,
    pub ip: Option<IpInfo>,
    pub transport: Option<Transport>,
    /// The transport payload (or the IP payload for other protocols), bounded by the IP length
    /// and by what was captured.
    pub payload: &'a [u8],
    pub anomalies: Anomalies,
}

/// Decodes one captured frame of the given pcap link type.
pub fn decode(linktype: LinkType, frame: &[u8]) -> Decoded<'_> {
    let mut d = Decoded {
        linktype,
        src_mac: None,
        dst_mac: None,
        vlans: link::VlanTags::default(),
        ethertype: None,
        ip: None,
        transport: None,
        payload: &[],
        anomalies: Anomalies::default(),
    };
    let Some((ethertype, rest)) = link::decode_link(&mut d, frame) else {
        return d;
    };
    d.ethertype = Some(ethertype);
    match ethertype {
        EtherType::IPV4 | EtherType::IPV6 => ip::decode_ip(&mut d, ethertype, rest),
        _ => {
            d.anomalies.insert(Anomalies::NOT_IP);
            d.payload = rest;
        }
    }
    d
}

impl Decoded<'_> {
    /// The IP protocol of the upper layer, when an IP header was read.
    pub fn proto(&self) -> Option<IpProto> {
        self.ip.as_ref().map(|i| i.proto)
    }

    /// The IP and transport fields the model keeps for an alert.
    pub fn ip_header(&self) -> IpHeader<'static> {
        let mut h = IpHeader::default();
        if let Some(ip) = &self.ip {
            h.ttl = Some(ip.ttl);
            h.tos = Some(ip.tos);
            h.id = ip.id;
            h.ip_len = Some(ip.total_len);
            h.dont_fragment = ip.dont_fragment;
        }
        match &self.transport {
            Some(Transport::Tcp(t)) => {
                h.tcp_flags = Some(Cow::Owned(t.flags.to_snort_string()));
                h.tcp_seq = Some(t.seq);
                h.tcp_ack = Some(t.ack);
                h.tcp_win = Some(u32::from(t.window));
            }
            Some(Transport::Icmp(i)) => {
                h.icmp_type = Some(i.icmp_type);
                h.icmp_code = Some(i.code);
                // Echo and echo reply (ICMP 0/8, ICMPv6 128/129) carry an identifier first.
                let echo = if i.v6 {
                    matches!(i.icmp_type, 128 | 129)
                } else {
                    matches!(i.icmp_type, 0 | 8)
                };
                if echo {
                    h.icmp_id = i.rest.map(|r| u16::from_be_bytes([r[0], r[1]]));
                }
            }
            _ => {}
        }
        h
    }

    /// Source and destination ports of TCP or UDP.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Some(Transport::Tcp(t)) => Some((t.src_port, t.dst_port)),
            Some(Transport::Udp(u)) => Some((u.src_port, u.dst_port)),
            _ => None,
        }
    }
}

/// Big-endian field readers over a slice; `None` past the end.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
pub(crate) mod tests;
