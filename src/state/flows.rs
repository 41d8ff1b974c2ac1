//! Flows across records: every alert and connection record of one 5-tuple adds to the same
//! flow, so that a record can be read with what the others said:
//! which side accepted the connection, whether that side answered, and what the stream
//! carries (the message an earlier alert's payload opened, which a later segment continues).

use std::collections::HashMap;

use crate::dissect::{Dissection, MessageStart};
use crate::model::{Alert, ContextEvent, ContextKind, Direction, Endpoint, IpProto};

use super::hosts::HostKey;

/// Flows tracked at most. Each is under 200 bytes with its key (an explained message adds
/// about 300), so 100 000 flows stay near 30 MB in the worst case. When the table is full, the
/// flows not touched by the last `MAX_FLOWS / 2` records are evicted in one sweep (at least half
/// of the table, since those records touched at most that many flows), counted in
/// [`FlowTable::evicted`]: an approximation of least-recently-used that needs no queue of keys.
pub const MAX_FLOWS: usize = 100_000;

/// A flow unseen this long is over, and a record with its 5-tuple starts a new one: the
/// TCP established timeout of common IDS configurations (Suricata's `flow-timeouts`, Snort's
/// stream `session_timeout` both default to minutes; 600 s as the capture join uses).
pub const FLOW_TIMEOUT_MICROS: i64 = 600_000_000;

/// How far past an explained message's start a segment may lie and still continue it when
/// the message states no length: an HTTP body of unknown length (no Content-Length, a chunked
/// or close-delimited response) is taken to run at most this far. 16 MiB is more than a
/// sensor's stream depth (Suricata 1 MiB by default), beyond which no alert would fire.
pub const MAX_UNSIZED_BODY: u64 = 16 << 20;

/// One side of a flow: an address (or sanitised label) and a port (0 without ports).
type Side = (HostKey, u16);

/// A flow key with its endpoints in canonical order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    proto: u8,
    lo: Side,
    hi: Side,
}

impl FlowKey {
    /// The key of a record from `src` to `dst`, and whether `src` is the `lo` side.
    fn of(proto: IpProto, src: &Endpoint<'_>, dst: &Endpoint<'_>) -> Option<(FlowKey, bool)> {
        let ports = proto.has_ports();
        let side = |e: &Endpoint<'_>| -> Option<Side> {
            Some((HostKey::of(&e.host)?, if ports { e.port? } else { 0 }))
        };
        let (s, d) = (side(src)?, side(dst)?);
        Some(if s <= d {
            (
                FlowKey {
                    proto: proto.0,
                    lo: s,
                    hi: d,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    proto: proto.0,
                    lo: d,
                    hi: s,
                },
                false,
            )
        })
    }
}

/// How the side that opened a flow was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenedBy {
    /// It sent a SYN without ACK.
    Syn,
    /// The other side sent SYN-ACK.
    SynAck,
    /// A sensor's or logger's flow record says so (EVE flow and `direction`, Zeek conn
    /// originator, a capture, a firewall's connection record).
    Record,
}

/// A message an alert's payload opened (an HTTP response with its headers), which later
/// segments of the same direction continue.
#[derive(Clone, Debug)]
pub struct Message {
    /// The alert that explained it.
    pub alert_index: u64,
    /// TCP sequence number of the message's first byte.
    pub seq_start: u32,
    pub start: MessageStart,
}

/// Where a segment lies in a message an earlier alert explained.
#[derive(Clone, Debug)]
pub struct Continuation<'m> {
    pub message: &'m Message,
    /// Offset of the segment's first byte from the message's first byte.
    pub offset: u64,
}

#[derive(Debug)]
struct FlowState {
    last: Option<i64>,
    touched: u64,
    /// Whether `lo` opened the flow, and how that is known.
    client: Option<(bool, OpenedBy)>,
    /// Records seen from each side: `[lo, hi]`.
    seen: [u32; 2],
    /// Packets from the server side that a flow record counted (the most any record said).
    server_packets: u64,
    /// Messages explained per direction: `[sent by lo, sent by hi]`.
    messages: [Option<Box<Message>>; 2],
}

impl FlowState {
    fn new() -> Self {
        FlowState {
            last: None,
            touched: 0,
            client: None,
            seen: [0; 2],
            server_packets: 0,
            messages: [None, None],
        }
    }

    /// Sets who opened the flow unless something stronger already said so.
    fn opened_by(&mut self, lo: bool, how: OpenedBy) {
        let strength = |h: OpenedBy| match h {
            OpenedBy::Record => 0,
            OpenedBy::SynAck => 1,
            OpenedBy::Syn => 2,
        };
        if self.client.is_none_or(|(_, h)| strength(how) > strength(h)) {
            self.client = Some((lo, how));
        }
    }
}

/// What the flow of a record says about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowView {
    /// The record's destination accepted the connection (`Some(false)`: its source did).
    pub dest_is_server: Option<bool>,
    /// The accepting side sent anything in this flow, as far as the input shows.
    pub server_answered: Option<bool>,
    /// Records the input holds from each side: (from the record's source, from its dest).
    pub records: (u32, u32),
    /// Packets from the accepting side that a flow record counted.
    pub server_packets: u64,
    /// The side that opened the flow, as `address:port`.
    pub client: Option<String>,
}

/// The flow table, bounded by [`MAX_FLOWS`].
#[derive(Debug, Default)]
pub struct FlowTable {
    flows: HashMap<FlowKey, FlowState>,
    touches: u64,
    pub evicted: u64,
}

fn side_index(lo: bool) -> usize {
    usize::from(!lo)
}

impl FlowTable {
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    fn key_of(
        proto: Option<IpProto>,
        src: Option<&Endpoint<'_>>,
        dst: Option<&Endpoint<'_>>,
    ) -> Option<(FlowKey, bool)> {
        FlowKey::of(proto?, src?, dst?)
    }

    /// The flow of a record, created (evicting the oldest when full) or restarted after
    /// [`FLOW_TIMEOUT_MICROS`].
    fn touch(&mut self, key: FlowKey, at: Option<i64>) -> &mut FlowState {
        self.touches += 1;
        let touch = self.touches;
        if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&key) {
            self.sweep();
        }
        let f = self.flows.entry(key).or_insert_with(FlowState::new);
        if let (Some(t), Some(last)) = (at, f.last) {
            if t - last > FLOW_TIMEOUT_MICROS {
                *f = FlowState::new();
            }
        }
        if let Some(t) = at {
            f.last = Some(f.last.map_or(t, |l| l.max(t)));
        }
        f.touched = touch;
        f
    }

    /// Evicts the flows the last `MAX_FLOWS / 2` records did not touch.
    fn sweep(&mut self) {
        let keep_after = self.touches.saturating_sub((MAX_FLOWS / 2) as u64);
        let before = self.flows.len();
        self.flows.retain(|_, f| f.touched > keep_after);
        self.evicted += (before - self.flows.len()) as u64;
        // At most `MAX_FLOWS / 2` flows are left, and the map is rebuilt at their size: the
        // slots `retain` leaves behind count as used until a rebuild, and the next insertion
        // that found none free doubled the map to 262,144 slots (36 MiB, 54 while both were
        // held). 250,000 alerts of a flood between many hosts (scripts/alert-stream.py)
        // peaked at 142 MiB with this, 160 without.
        self.flows.shrink_to_fit();
    }

    /// Adds what an alert says about its flow.
    pub fn alert(&mut self, a: &Alert<'_>) {
        let Some((key, src_lo)) = Self::key_of(a.proto, Some(&a.src), Some(&a.dest)) else {
            return;
        };
        let f = self.touch(key, a.timestamp.unix_micros);
        f.seen[side_index(src_lo)] = f.seen[side_index(src_lo)].saturating_add(1);
        if a.proto == Some(IpProto::TCP) {
            let flags = a.ip.tcp_flags.as_deref().unwrap_or("");
            if flags.contains('S') && !flags.contains('A') {
                f.opened_by(src_lo, OpenedBy::Syn);
            } else if flags.contains('S') {
                f.opened_by(!src_lo, OpenedBy::SynAck);
            }
        }
        let Some(flow) = &a.flow else { return };
        let client = flow
            .client
            .as_ref()
            .map(|c| c.host == a.src.host && (c.port.is_none() || c.port == a.src.port))
            .or(match a.direction {
                Some(Direction::ToServer) => Some(true),
                Some(Direction::ToClient) => Some(false),
                None => None,
            });
        if let Some(src_is_client) = client {
            f.opened_by(src_lo == src_is_client, OpenedBy::Record);
            // The flow's counters are oriented by its client.
            f.server_packets = f.server_packets.max(flow.pkts_toclient.unwrap_or(0));
        }
    }

    /// Adds what a connection record (EVE flow, Zeek conn, a firewall's connection message)
    /// says: its source opened the flow, and the responder answered or not.
    pub fn context(&mut self, e: &ContextEvent<'_>) {
        let connection = e.kind == ContextKind::EVE_FLOW
            || e.kind == ContextKind::ZEEK_CONN
            || (e.kind == ContextKind::CISCO_ASA && e.field("direction").is_some());
        let at = e.timestamp.as_ref().and_then(|t| t.unix_micros);
        let Some((key, src_lo)) = Self::key_of(e.proto, e.src.as_ref(), e.dest.as_ref()) else {
            return;
        };
        let f = self.touch(key, at);
        f.seen[side_index(src_lo)] = f.seen[side_index(src_lo)].saturating_add(1);
        if connection {
            f.opened_by(src_lo, OpenedBy::Record);
            let num = |k: &str| e.field(k).and_then(|v| v.parse::<u64>().ok());
            let answered = num("flow.pkts_toclient").or_else(|| num("resp_pkts"));
            f.server_packets = f.server_packets.max(answered.unwrap_or(0));
        } else if e.proto == Some(IpProto::TCP) {
            let flags = e.tcp_flags.as_deref().unwrap_or("");
            if flags.contains('S') && !flags.contains('A') {
                f.opened_by(src_lo, OpenedBy::Syn);
            } else if flags.contains('S') {
                f.opened_by(!src_lo, OpenedBy::SynAck);
            }
        }
    }

    fn state_of(&self, a: &Alert<'_>) -> Option<(&FlowState, bool)> {
        let (key, src_lo) = Self::key_of(a.proto, Some(&a.src), Some(&a.dest))?;
        self.flows.get(&key).map(|f| (f, src_lo))
    }

    /// What the flow says about an alert.
    pub fn view(&self, a: &Alert<'_>) -> Option<FlowView> {
        let (f, src_lo) = self.state_of(a)?;
        let (s, d) = (f.seen[side_index(src_lo)], f.seen[side_index(!src_lo)]);
        let mut v = FlowView {
            records: (s, d),
            ..FlowView::default()
        };
        if let Some((client_lo, _)) = f.client {
            let dest_is_server = client_lo == src_lo;
            v.dest_is_server = Some(dest_is_server);
            let from_server = if dest_is_server { d } else { s };
            v.server_answered = Some(from_server > 0 || f.server_packets > 0);
            v.server_packets = f.server_packets;
            let c = if dest_is_server { &a.src } else { &a.dest };
            v.client = Some(match c.port {
                Some(p) => format!("{}:{p}", c.host),
                None => c.host.to_string(),
            });
        }
        Some(v)
    }

    /// Records the message an alert's payload opens (see [`MessageStart::of`]), for the
    /// later segments of its stream, when the packet's TCP sequence number is known.
    pub fn explained(&mut self, a: &Alert<'_>, index: u64, dis: &Dissection) {
        let Some(seq) = a.ip.tcp_seq.filter(|_| a.proto == Some(IpProto::TCP)) else {
            return;
        };
        let Some(start) = MessageStart::of(dis) else {
            return;
        };
        let Some((key, src_lo)) = Self::key_of(a.proto, Some(&a.src), Some(&a.dest)) else {
            return;
        };
        let Some(f) = self.flows.get_mut(&key) else {
            return;
        };
        f.messages[side_index(src_lo)] = Some(Box::new(Message {
            alert_index: index,
            seq_start: seq,
            start,
        }));
    }

    /// The explained message a TCP segment continues: same flow and direction, its sequence
    /// number inside the message's body, past the headers.
    pub fn continuation(&self, a: &Alert<'_>) -> Option<Continuation<'_>> {
        let seq = a.ip.tcp_seq?;
        let len = a.payload.as_ref().map_or(0, |p| p.len()) as u64;
        if a.proto != Some(IpProto::TCP) || len == 0 {
            return None;
        }
        let (f, src_lo) = self.state_of(a)?;
        let m = f.messages[side_index(src_lo)].as_deref()?;
        let offset = u64::from(seq.wrapping_sub(m.seq_start));
        let header = m.start.header_len;
        let end = header + m.start.http.content_length.unwrap_or(MAX_UNSIZED_BODY);
        (offset >= header && offset + len <= end).then_some(Continuation { message: m, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InputFormat;
    use std::borrow::Cow;

    fn alert(src: &str, sp: u16, dst: &str, dp: u16, flags: &'static str) -> Alert<'static> {
        let mut a = Alert::between(src, sp, dst, dp, InputFormat::Unified2);
        a.ip.tcp_flags = Some(Cow::Borrowed(flags));
        a
    }

    #[test]
    fn the_side_that_answers_a_syn_is_the_server() {
        let mut t = FlowTable::default();
        let syn = alert("192.0.2.1", 40000, "10.0.0.5", 12754, "S");
        t.alert(&syn);
        let v = t.view(&syn).unwrap();
        assert_eq!(v.dest_is_server, Some(true));
        assert_eq!(v.server_answered, Some(false));
        let reply = alert("10.0.0.5", 12754, "192.0.2.1", 40000, "AP");
        t.alert(&reply);
        let v = t.view(&syn).unwrap();
        assert_eq!(v.server_answered, Some(true));
        assert_eq!(v.records, (1, 1));
        let v = t.view(&reply).unwrap();
        assert_eq!(v.dest_is_server, Some(false));
    }

    #[test]
    fn the_table_is_bounded() {
        let mut t = FlowTable::default();
        for i in 0..(MAX_FLOWS as u32 + 10) {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
            t.alert(&alert(&ip, 1000, "192.0.2.1", 80, "A"));
        }
        assert!(t.len() <= MAX_FLOWS);
        assert_eq!(t.evicted as usize + t.len(), MAX_FLOWS + 10);
        // The newest flows are kept.
        let last = std::net::Ipv4Addr::from(0x0a00_0000 + MAX_FLOWS as u32 + 9).to_string();
        assert!(t.view(&alert(&last, 1000, "192.0.2.1", 80, "A")).is_some());
    }
}
