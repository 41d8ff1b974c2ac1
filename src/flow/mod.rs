//! Joining alerts with captures: an index of the packets of one or more pcap/pcapng files by
//! 5-tuple and time, and for each alert its triggering packet (same 5-tuple, nearest time within
//! a tolerance) and a summary of its flow: who opened it, packets and bytes each way, the first
//! payload of each side, whether the TCP handshake was seen.
//!
//! The index keeps per-packet entries and, up to a byte budget, the frames themselves; every
//! bound is in [`Limits`], and what went past a bound is counted in [`IndexStats`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;

use crate::decode::{self, LinkType, TcpFlags, Transport};
use crate::input::open_input;
use crate::input::pcap::{is_capture, PcapError, PcapReader};
use crate::model::{Alert, Direction, Endpoint, FlowInfo, Host, IpProto, Packet};

/// Bounds on what the index holds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most flows indexed. 250,000 flows of a few hundred bytes each stay under ~100 MB; packets
    /// of further flows are counted, not indexed.
    pub max_flows: usize,
    /// Most packet entries (40 bytes each): 2,000,000 is 80 MB.
    pub max_packets: usize,
    /// Most frame bytes kept for joined alerts (64 MiB). Beyond it packets are indexed without
    /// their bytes, and a join says so.
    pub max_frame_bytes: usize,
    /// Bytes kept of each side's first payload: enough for a request line and headers.
    pub first_payload_len: usize,
    /// Total bytes of first payloads kept (16 MiB: 8,000 flows at the full 1 KiB each way);
    /// flows after it have counts but no first payloads.
    pub max_payload_bytes: usize,
    /// How far an alert's time may be from its packet's. Sensors log the packet's own time;
    /// alerts on reassembled streams carry the time of the PDU, which can precede the packet that
    /// completed it by the flush delay.
    pub tolerance_micros: i64,
    /// A flow idle this long is over: a later packet with the same 5-tuple starts a new one.
    /// Matches common IDS TCP session timeouts (Suricata's established timeout is 600 s).
    pub flow_timeout_micros: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 250_000,
            max_packets: 2_000_000,
            max_frame_bytes: 64 << 20,
            first_payload_len: 1024,
            max_payload_bytes: 16 << 20,
            tolerance_micros: 2_000_000,
            flow_timeout_micros: 600_000_000,
        }
    }
}

/// What the index saw while loading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub files: u64,
    pub packets_read: u64,
    pub packets_indexed: u64,
    /// Packets with no IP layer (ARP, LLDP, ...).
    pub not_ip: u64,
    /// IP packets whose transport header could not be read, indexed by addresses only.
    pub no_transport: u64,
    pub flows: u64,
    pub over_flow_limit: u64,
    pub over_packet_limit: u64,
    pub frames_without_bytes: u64,
}

/// A flow key with its endpoints in canonical order (`lo` <= `hi`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FlowKey {
    proto: u8,
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
}

impl FlowKey {
    /// The key and whether `src` is the `lo` side.
    fn new(proto: IpProto, src: (IpAddr, u16), dst: (IpAddr, u16)) -> (FlowKey, bool) {
        if src <= dst {
            (
                FlowKey {
                    proto: proto.0,
                    lo: src,
                    hi: dst,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    proto: proto.0,
                    lo: dst,
                    hi: src,
                },
                false,
            )
        }
    }

    fn side(&self, lo: bool) -> (IpAddr, u16) {
        if lo {
            self.lo
        } else {
            self.hi
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct PktEntry {
    ts: i64,
    from_lo: bool,
    linktype: LinkType,
    payload_len: u32,
    /// The frame in the index's byte arena, when within the budget.
    frame: Option<(usize, u32)>,
}

/// How the client side of a flow was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientEvidence {
    /// It sent the first SYN.
    Syn,
    /// The other side answered with SYN-ACK (the SYN itself was not captured).
    SynAck,
    /// It sent the first packet of a connectionless flow (UDP, ICMP).
    FirstPacket,
}

#[derive(Debug)]
struct FlowState {
    first_ts: i64,
    last_ts: i64,
    /// Whether `lo` is the client, and why.
    client: Option<(bool, ClientEvidence)>,
    syn_from_lo: Option<bool>,
    synack_seen: bool,
    handshake: bool,
    closed: bool,
    pkts: [u64; 2],
    bytes: [u64; 2],
    /// Index 0: sent by `lo`; 1: by `hi`. Ranges into the payload arena.
    first_payload: [Option<Range<usize>>; 2],
    packets: Vec<PktEntry>,
}

/// An index of captured packets by 5-tuple and time.
#[derive(Debug, Default)]
pub struct PcapIndex {
    limits: Limits,
    flows: HashMap<FlowKey, Vec<FlowState>>,
    frames: Vec<u8>,
    payloads: Vec<u8>,
    stats: IndexStats,
    packet_count: usize,
}

/// Why a join found or did not find the alert's packet. Stable strings via `as_str`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinOutcome {
    Found,
    /// The alert has no IP addresses (sanitised labels, or no IP layer).
    NoAddresses,
    /// No captured packet has the alert's 5-tuple.
    NoFlow,
    /// The flow was found but the alert's time is unknown, so no packet is picked.
    NoTimestamp,
    /// The flow was found but no packet is within the tolerance; the nearest is this far away.
    OutsideTolerance {
        nearest_micros: i64,
    },
}

impl JoinOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinOutcome::Found => "found",
            JoinOutcome::NoAddresses => "no_addresses",
            JoinOutcome::NoFlow => "no_flow_in_capture",
            JoinOutcome::NoTimestamp => "no_alert_time",
            JoinOutcome::OutsideTolerance { .. } => "no_packet_near_alert_time",
        }
    }
}

/// The packet matched to an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchedPacket<'i> {
    pub ts_micros: i64,
    pub linktype: LinkType,
    /// The frame, unless the index's byte budget was spent before it.
    pub frame: Option<&'i [u8]>,
    /// Packet time minus alert time.
    pub delta_micros: i64,
    /// The packet travels from the alert's source to its destination.
    pub same_direction: bool,
}

/// A flow's summary, oriented by its client when the client is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSummary<'i> {
    pub proto: IpProto,
    /// The side that opened the flow, and how that is known.
    pub client: Option<((IpAddr, u16), ClientEvidence)>,
    pub server: Option<(IpAddr, u16)>,
    pub handshake_seen: bool,
    pub first_ts: i64,
    pub last_ts: i64,
    /// Packets and bytes sent by the client and by the server (or, client unknown, by the
    /// alert's source and by its destination).
    pub pkts_toserver: u64,
    pub pkts_toclient: u64,
    pub bytes_toserver: u64,
    pub bytes_toclient: u64,
    pub first_payload_toserver: Option<&'i [u8]>,
    pub first_payload_toclient: Option<&'i [u8]>,
}

/// The result of joining one alert with the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinResult<'i> {
    pub outcome: JoinOutcome,
    pub packet: Option<MatchedPacket<'i>>,
    pub flow: Option<FlowSummary<'i>>,
}

fn side_index(from_lo: bool) -> usize {
    usize::from(!from_lo)
}

impl PcapIndex {
    /// An empty index with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        PcapIndex {
            limits,
            ..PcapIndex::default()
        }
    }

    /// Loads every capture file (pcap or pcapng, optionally gzip- or zstd-compressed).
    pub fn load(paths: &[String]) -> Result<Self, PcapError> {
        let (idx, mut errors) = PcapIndex::load_each(paths);
        match errors.is_empty() {
            true => Ok(idx),
            false => Err(errors.remove(0).1),
        }
    }

    /// Loads every capture it can: a damaged one is an error about that capture, and the
    /// packets read before the damage are kept (a truncated capture still joins the alerts
    /// of its first part).
    pub fn load_each(paths: &[String]) -> (Self, Vec<(String, PcapError)>) {
        let mut idx = PcapIndex::with_limits(Limits::default());
        let mut errors = Vec::new();
        for p in paths {
            if let Err(e) = idx.add_file(p) {
                errors.push((p.clone(), e));
            }
        }
        idx.finish();
        (idx, errors)
    }

    /// Adds one capture file. Call [`PcapIndex::finish`] after the last one.
    pub fn add_file(&mut self, path: &str) -> Result<(), PcapError> {
        let mut input = open_input(path)?;
        if !is_capture(input.peek()) {
            return Err(PcapError::Corrupt {
                path: path.to_string(),
                offset: 0,
                message: "not a pcap or pcapng file (unknown magic number)".to_string(),
            });
        }
        let mut reader = PcapReader::new(input.reader(), path)?;
        self.stats.files += 1;
        let mut last_ts = 0i64;
        while let Some(p) = reader.next_packet()? {
            let ts = p.ts_micros.unwrap_or(last_ts);
            last_ts = ts;
            self.add_packet(ts, p.linktype, p.data, p.orig_len);
        }
        Ok(())
    }

    /// Sorts each flow's packets by time (captures given out of order, or several files).
    pub fn finish(&mut self) {
        for flows in self.flows.values_mut() {
            for f in flows {
                f.packets.sort_by_key(|p| p.ts);
            }
        }
    }

    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// Indexes one captured frame.
    pub fn add_packet(&mut self, ts: i64, linktype: LinkType, frame: &[u8], orig_len: u32) {
        self.stats.packets_read += 1;
        let d = decode::decode(linktype, frame);
        let Some(ip) = d.ip else {
            self.stats.not_ip += 1;
            return;
        };
        let (sport, dport, flags) = match d.transport {
            Some(Transport::Tcp(t)) => (t.src_port, t.dst_port, Some(t.flags)),
            Some(Transport::Udp(u)) => (u.src_port, u.dst_port, None),
            Some(Transport::Icmp(_)) => (0, 0, None),
            None => {
                self.stats.no_transport += 1;
                (0, 0, None)
            }
        };
        let (key, from_lo) = FlowKey::new(ip.proto, (ip.src, sport), (ip.dst, dport));
        let limits = self.limits;
        let pure_syn =
            flags.is_some_and(|f| f.contains(TcpFlags::SYN) && !f.contains(TcpFlags::ACK));
        let new_flow_needed = |f: &FlowState| {
            ts - f.last_ts > limits.flow_timeout_micros
                || (pure_syn
                    && (f.closed || f.handshake || f.first_payload.iter().any(Option::is_some)))
        };
        let known = self.flows.contains_key(&key);
        if !known && self.stats.flows as usize >= limits.max_flows {
            self.stats.over_flow_limit += 1;
            return;
        }
        let flows = self.flows.entry(key).or_default();
        if flows.last().is_none_or(new_flow_needed) {
            if self.stats.flows as usize >= limits.max_flows {
                self.stats.over_flow_limit += 1;
                return;
            }
            self.stats.flows += 1;
            flows.push(FlowState {
                first_ts: ts,
                last_ts: ts,
                client: None,
                syn_from_lo: None,
                synack_seen: false,
                handshake: false,
                closed: false,
                pkts: [0; 2],
                bytes: [0; 2],
                first_payload: [None, None],
                packets: Vec::new(),
            });
        }
        let Some(f) = flows.last_mut() else {
            return;
        };
        let side = side_index(from_lo);
        f.first_ts = f.first_ts.min(ts);
        f.last_ts = f.last_ts.max(ts);
        f.pkts[side] += 1;
        f.bytes[side] += u64::from(orig_len);
        match flags {
            Some(fl) => {
                let syn = fl.contains(TcpFlags::SYN);
                let ack = fl.contains(TcpFlags::ACK);
                if syn && !ack && f.syn_from_lo.is_none() {
                    f.syn_from_lo = Some(from_lo);
                    f.client = Some((from_lo, ClientEvidence::Syn));
                } else if syn && ack {
                    if f.syn_from_lo.is_none_or(|s| s != from_lo) {
                        f.synack_seen = true;
                    }
                    if f.client.is_none() {
                        f.client = Some((!from_lo, ClientEvidence::SynAck));
                    }
                } else if ack && !syn && f.synack_seen && f.syn_from_lo == Some(from_lo) {
                    f.handshake = true;
                }
                if fl.contains(TcpFlags::FIN) || fl.contains(TcpFlags::RST) {
                    f.closed = true;
                }
            }
            None => {
                if f.client.is_none() {
                    f.client = Some((from_lo, ClientEvidence::FirstPacket));
                }
            }
        }
        let room = limits.max_payload_bytes.saturating_sub(self.payloads.len());
        if !d.payload.is_empty() && f.first_payload[side].is_none() && room > 0 {
            let n = d.payload.len().min(limits.first_payload_len).min(room);
            let start = self.payloads.len();
            self.payloads.extend_from_slice(&d.payload[..n]);
            f.first_payload[side] = Some(start..start + n);
        }
        if self.packet_count >= limits.max_packets {
            self.stats.over_packet_limit += 1;
            return;
        }
        let stored = if self.frames.len() + frame.len() <= limits.max_frame_bytes {
            let start = self.frames.len();
            self.frames.extend_from_slice(frame);
            Some((start, frame.len() as u32))
        } else {
            self.stats.frames_without_bytes += 1;
            None
        };
        f.packets.push(PktEntry {
            ts,
            from_lo,
            linktype,
            payload_len: d.payload.len() as u32,
            frame: stored,
        });
        self.packet_count += 1;
        self.stats.packets_indexed += 1;
    }

    /// Finds the alert's packet and flow.
    pub fn join(&self, alert: &Alert<'_>) -> JoinResult<'_> {
        let not = |outcome| JoinResult {
            outcome,
            packet: None,
            flow: None,
        };
        let (Some(src), Some(dst)) = (alert.src.host.ip(), alert.dest.host.ip()) else {
            return not(JoinOutcome::NoAddresses);
        };
        let protos: &[IpProto] = match alert.proto {
            Some(p) => &[p],
            None => &[IpProto::TCP, IpProto::UDP, IpProto::ICMP, IpProto::ICMPV6],
        };
        let found = protos.iter().find_map(|&proto| {
            let (sp, dp) = if proto.has_ports() {
                (alert.src.port.unwrap_or(0), alert.dest.port.unwrap_or(0))
            } else {
                (0, 0)
            };
            let (key, src_is_lo) = FlowKey::new(proto, (src, sp), (dst, dp));
            self.flows.get(&key).map(|f| (key, src_is_lo, f))
        });
        let Some((key, src_is_lo, flows)) = found else {
            return not(JoinOutcome::NoFlow);
        };
        let t = alert.timestamp.unix_micros;
        let tol = self.limits.tolerance_micros;
        // The flow whose span holds the alert time, else the nearest one.
        let distance = |f: &FlowState, t: i64| {
            if t < f.first_ts {
                f.first_ts - t
            } else if t > f.last_ts {
                t - f.last_ts
            } else {
                0
            }
        };
        let flow = match t {
            Some(t) => flows.iter().min_by_key(|f| distance(f, t)),
            None => flows.last(),
        };
        let Some(flow) = flow else {
            return not(JoinOutcome::NoFlow);
        };
        let summary = self.summary(&key, flow, src_is_lo);
        let Some(t) = t else {
            return JoinResult {
                outcome: JoinOutcome::NoTimestamp,
                packet: None,
                flow: Some(summary),
            };
        };
        // Candidates within the tolerance: same direction first; then one with payload, since
        // a stream-inspected alert bears the time of the packet that triggered the inspection
        // (the next ACK), not of the data it matched; then the packet of the alert's own time;
        // then the nearest. A flow without payload in that direction (a scan's SYNs, pings
        // without data) still gets the packet of its time.
        let lo = flow.packets.partition_point(|p| p.ts < t - tol);
        let hi = flow.packets.partition_point(|p| p.ts <= t + tol);
        let best = flow.packets[lo..hi].iter().min_by_key(|p| {
            (
                p.from_lo != src_is_lo,
                p.payload_len == 0,
                p.ts != t,
                (p.ts - t).abs(),
            )
        });
        let Some(p) = best else {
            let nearest = flow
                .packets
                .iter()
                .map(|p| (p.ts - t).abs())
                .min()
                .unwrap_or_else(|| distance(flow, t));
            return JoinResult {
                outcome: JoinOutcome::OutsideTolerance {
                    nearest_micros: nearest,
                },
                packet: None,
                flow: Some(summary),
            };
        };
        JoinResult {
            outcome: JoinOutcome::Found,
            packet: Some(MatchedPacket {
                ts_micros: p.ts,
                linktype: p.linktype,
                frame: p
                    .frame
                    .map(|(start, len)| &self.frames[start..start + len as usize]),
                delta_micros: p.ts - t,
                same_direction: p.from_lo == src_is_lo,
            }),
            flow: Some(summary),
        }
    }

    fn summary<'i>(&'i self, key: &FlowKey, f: &'i FlowState, src_is_lo: bool) -> FlowSummary<'i> {
        // Orient by the client when known, else by the alert's source.
        let client_is_lo = f.client.map_or(src_is_lo, |(lo, _)| lo);
        let (cs, ss) = (side_index(client_is_lo), side_index(!client_is_lo));
        let payload = |i: usize| f.first_payload[i].clone().map(|r| &self.payloads[r]);
        FlowSummary {
            proto: IpProto(key.proto),
            client: f.client.map(|(lo, why)| (key.side(lo), why)),
            server: f.client.map(|(lo, _)| key.side(!lo)),
            handshake_seen: f.handshake,
            first_ts: f.first_ts,
            last_ts: f.last_ts,
            pkts_toserver: f.pkts[cs],
            pkts_toclient: f.pkts[ss],
            bytes_toserver: f.bytes[cs],
            bytes_toclient: f.bytes[ss],
            first_payload_toserver: payload(cs),
            first_payload_toclient: payload(ss),
        }
    }
}

impl JoinResult<'_> {
    /// Fills what the alert lacks: its packet and payload (copied), header fields, and the flow
    /// (client, handshake, counts) and direction.
    pub fn apply(&self, alert: &mut Alert<'_>) {
        if let Some(p) = &self.packet {
            if let Some(frame) = p.frame {
                let d = decode::decode(p.linktype, frame);
                if alert.payload.is_none() {
                    alert.payload = Some(Cow::Owned(d.payload.to_vec()));
                }
                if alert.packet.is_none() {
                    alert.packet = Some(Packet {
                        bytes: Cow::Owned(frame.to_vec()),
                        linktype: p.linktype.0,
                    });
                }
                let h = d.ip_header();
                let ip = &mut alert.ip;
                ip.ttl = ip.ttl.or(h.ttl);
                ip.tos = ip.tos.or(h.tos);
                ip.id = ip.id.or(h.id);
                ip.ip_len = ip.ip_len.or(h.ip_len);
                ip.dont_fragment = ip.dont_fragment.or(h.dont_fragment);
                ip.tcp_seq = ip.tcp_seq.or(h.tcp_seq);
                ip.tcp_ack = ip.tcp_ack.or(h.tcp_ack);
                ip.tcp_win = ip.tcp_win.or(h.tcp_win);
                if ip.tcp_flags.is_none() {
                    ip.tcp_flags = h.tcp_flags;
                }
                ip.icmp_type = ip.icmp_type.or(h.icmp_type);
                ip.icmp_code = ip.icmp_code.or(h.icmp_code);
                ip.icmp_id = ip.icmp_id.or(h.icmp_id);
            }
        }
        let Some(s) = &self.flow else {
            return;
        };
        let flow = alert.flow.get_or_insert_with(FlowInfo::default);
        if let Some(((addr, port), _)) = s.client {
            let has_ports = s.proto.has_ports();
            flow.client = Some(Endpoint {
                host: Host::Ip(addr),
                port: has_ports.then_some(port),
            });
            flow.pkts_toserver = flow.pkts_toserver.or(Some(s.pkts_toserver));
            flow.pkts_toclient = flow.pkts_toclient.or(Some(s.pkts_toclient));
            flow.bytes_toserver = flow.bytes_toserver.or(Some(s.bytes_toserver));
            flow.bytes_toclient = flow.bytes_toclient.or(Some(s.bytes_toclient));
        }
        if s.proto == IpProto::TCP {
            flow.handshake_seen = Some(s.handshake_seen);
        }
        if alert.direction.is_none() {
            if let (Some(((addr, port), _)), Some(src)) = (s.client, alert.src.host.ip()) {
                let same_port = !s.proto.has_ports() || alert.src.port == Some(port);
                alert.direction = Some(if src == addr && same_port {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
