//! Snort/Suricata unified2 spools: a stream of `type, length, body` records (all integers
//! big-endian). An event record is followed by the packet (type 2) or matched buffer (type 3)
//! records and extra-data records (type 110) that carry its event id; the reader joins them and
//! emits one [`Alert`] per event once the next event (or the end of the file) shows the group is
//! complete.
//!
//! Layouts are those of Snort 2.9's `Unified2_common.h` and Snort 3's `log/unified2.h`, with the
//! quirks measured on Snort 3.11 output: its "legacy" type 104/105 bodies are 124/148 bytes (the
//! Snort 2.9 event v2 followed by a 64-byte application name), and a type 3 body is the buffer a
//! rule matched, not a frame, whatever its link-type field says.
//!
//! Sink calls: one per event record (its alert), and one [`Sink::skipped`] per record that joins
//! no event (an orphan packet, app statistics, an unknown type, a record past a group limit).
//! Packet and extra-data records joined to an event are part of that event's alert.
//!
//! Memory is bounded: one record body at a time, plus the current event's group, whose packets
//! and extra data are capped by [`MAX_PACKETS_PER_EVENT`] and [`MAX_EXTRA_PER_EVENT`]. Buffers
//! are reused from record to record.

use std::borrow::Cow;
use std::io::{BufRead, ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::decode::{self, LinkType};
use crate::model::time::Rfc3339;
use crate::model::{
    Alert, Endpoint, Host, InputFormat, IpProto, Location, Packet, Provenance, SkipReason,
    Timestamp, YearSource,
};

use super::{Flow, LocationDisplay, ReadContext, ReadError, ReadOptions, Sink};

/// A unified2 record type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordType(pub u32);

impl RecordType {
    pub const PACKET: RecordType = RecordType(2);
    /// Snort 3: the buffer a rule or inspector matched.
    pub const BUFFER: RecordType = RecordType(3);
    /// Snort 2.8 IPv4 event (52 bytes).
    pub const EVENT_IPV4: RecordType = RecordType(7);
    /// Snort 2.8 IPv6 event (76 bytes).
    pub const EVENT_IPV6: RecordType = RecordType(72);
    /// Snort 2.9 IPv4 event v2 with MPLS and VLAN (60 bytes; 124 from Snort 3 legacy mode).
    pub const EVENT_V2_IPV4: RecordType = RecordType(104);
    /// Snort 2.9 IPv6 event v2 (84 bytes; 148 from Snort 3 legacy mode).
    pub const EVENT_V2_IPV6: RecordType = RecordType(105);
    pub const EXTRA_DATA: RecordType = RecordType(110);
    /// Snort 2.9 IPv4 event with an application name (124 bytes).
    pub const EVENT_APPID_IPV4: RecordType = RecordType(111);
    /// Snort 2.9 IPv6 event with an application name (148 bytes).
    pub const EVENT_APPID_IPV6: RecordType = RecordType(112);
    /// Snort 2.9 application statistics.
    pub const APP_STATS: RecordType = RecordType(113);
    /// Snort 3 event (1,032 bytes).
    pub const EVENT3: RecordType = RecordType(114);

    pub fn is_event(self) -> bool {
        matches!(self.0, 7 | 72 | 104 | 105 | 111 | 112 | 114)
    }
}

/// The info type of an extra-data record (Snort 2.9 `EventInfoEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtraType(pub u32);

impl ExtraType {
    pub const XFF_IPV4: ExtraType = ExtraType(1);
    pub const XFF_IPV6: ExtraType = ExtraType(2);
    pub const REVIEWED_BY: ExtraType = ExtraType(3);
    pub const GZIP_DATA: ExtraType = ExtraType(4);
    pub const SMTP_FILENAME: ExtraType = ExtraType(5);
    pub const SMTP_MAILFROM: ExtraType = ExtraType(6);
    pub const SMTP_RCPTTO: ExtraType = ExtraType(7);
    pub const SMTP_EMAIL_HDRS: ExtraType = ExtraType(8);
    pub const HTTP_URI: ExtraType = ExtraType(9);
    pub const HTTP_HOSTNAME: ExtraType = ExtraType(10);
    pub const IPV6_SRC: ExtraType = ExtraType(11);
    pub const IPV6_DST: ExtraType = ExtraType(12);
    pub const JS_NORMALIZED: ExtraType = ExtraType(13);

    /// The alert field an extra-data value is kept under (EVE names where EVE has one).
    pub fn field_name(self) -> Option<&'static str> {
        Some(match self {
            Self::XFF_IPV4 | Self::XFF_IPV6 => "xff",
            Self::REVIEWED_BY => "reviewed_by",
            Self::GZIP_DATA => "http.gzip_data",
            Self::SMTP_FILENAME => "smtp.attachment",
            Self::SMTP_MAILFROM => "smtp.mail_from",
            Self::SMTP_RCPTTO => "smtp.rcpt_to",
            Self::SMTP_EMAIL_HDRS => "smtp.headers",
            Self::HTTP_URI => "http.url",
            Self::HTTP_HOSTNAME => "http.hostname",
            Self::JS_NORMALIZED => "http.normalized_js",
            _ => return None,
        })
    }
}

/// Bytes of a record header: type and body length.
pub const HEADER_LEN: usize = 8;

/// Largest record body accepted. Snort writes packets of at most 65,535 bytes plus a 28-byte
/// header and extra data from buffers of similar size; a larger length means the file is not
/// unified2 or is misaligned, and trusting it would allocate whatever the length says.
pub const MAX_RECORD_BODY: u32 = 4 << 20;

/// Most packet records joined to one event. Snort's `tag` keyword logs follow-up packets under
/// the event id (the corpus has up to 15); further ones are counted and skipped.
pub const MAX_PACKETS_PER_EVENT: usize = 64;

/// Most extra-data records joined to one event. Snort writes one per info type (13 types).
pub const MAX_EXTRA_PER_EVENT: usize = 32;

/// The protocol number Snort writes when it did not decode above the IP layer.
const UNKNOWN_PROTOCOL: u8 = 255;

/// Bytes of the header in front of a packet or buffer body.
const PACKET_HEADER: usize = 28;
/// Bytes of an extra-data body in front of its data.
const EXTRA_HEADER: usize = 32;
/// Length of the application name in 111/112 and Snort 3 legacy 104/105 events.
const APP_NAME_LEN: usize = 64;

/// Skip reasons of this reader (stable summary keys).
pub const SKIP_UNKNOWN_TYPE: SkipReason = SkipReason("u2_unknown_record_type");
pub const SKIP_APP_STATS: SkipReason = SkipReason("u2_app_stats");
pub const SKIP_UNJOINED: SkipReason = SkipReason("u2_record_without_event");
pub const SKIP_OVER_LIMIT: SkipReason = SkipReason("u2_event_group_limit");

/// A decoded event record. Borrowed fields point into the record body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub record_type: RecordType,
    /// Written by Snort 3: its own event type 114, or its 124/148-byte "legacy" 104/105.
    pub snort3: bool,
    pub sensor_id: u32,
    pub event_id: u32,
    pub second: u32,
    pub microsecond: u32,
    pub gid: u32,
    pub sid: u32,
    pub rev: u32,
    pub classification_id: u32,
    pub priority: u32,
    /// `None` when the event has no IP layer (ARP or Ethernet-level decoder events).
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    /// Source port or ICMP type; destination port or ICMP code.
    pub sport_itype: u16,
    pub dport_icode: u16,
    pub protocol: u8,
    /// Snort 2 `blocked` (0 no, 1 blocked, 2 would block) or Snort 3 status.
    pub blocked: u8,
    pub mpls_label: Option<u32>,
    pub vlan_id: Option<u16>,
    /// The application name, NUL padding removed; `None` when empty or absent.
    pub app_name: Option<&'a [u8]>,
    /// Snort 3 HTTP fields (type 114), NUL padding removed, empty ones `None`.
    pub http_method: Option<&'a [u8]>,
    pub http_version: Option<&'a [u8]>,
    pub http_user_agent: Option<&'a [u8]>,
    pub http_referer: Option<&'a [u8]>,
    pub message_detail: Option<&'a [u8]>,
}

/// A packet (type 2) or buffer (type 3) record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketRecord<'a> {
    pub sensor_id: u32,
    pub event_id: u32,
    pub event_second: u32,
    pub packet_second: u32,
    pub packet_microsecond: u32,
    pub linktype: u32,
    /// The frame (type 2) or matched buffer (type 3), bounded by the body.
    pub data: &'a [u8],
    /// Type 3: `data` is a buffer, not a frame.
    pub is_buffer: bool,
}

/// An extra-data record (type 110).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtraData<'a> {
    pub sensor_id: u32,
    pub event_id: u32,
    pub event_second: u32,
    pub info_type: ExtraType,
    pub data_type: u32,
    pub data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_be_bytes([s[0], s[1]]))
}

fn v4(b: &[u8], at: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(be32(b, at)))
}

fn v6(b: &[u8], at: usize) -> IpAddr {
    let mut o = [0u8; 16];
    if let Some(s) = b.get(at..at + 16) {
        o.copy_from_slice(s);
    }
    IpAddr::V6(Ipv6Addr::from(o))
}

/// A fixed-size text field with its NUL padding cut; `None` when empty.
fn cstr(b: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    let f = b.get(at..at + len)?;
    let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
    (end > 0).then_some(&f[..end])
}

/// Minimum body length of each event type.
fn event_min_len(ty: RecordType) -> Option<usize> {
    Some(match ty {
        RecordType::EVENT_IPV4 => 52,
        RecordType::EVENT_IPV6 => 76,
        RecordType::EVENT_V2_IPV4 => 60,
        RecordType::EVENT_V2_IPV6 => 84,
        RecordType::EVENT_APPID_IPV4 => 124,
        RecordType::EVENT_APPID_IPV6 => 148,
        // Up to and including the application name; the HTTP fields after it are optional.
        RecordType::EVENT3 => 160,
        _ => return None,
    })
}

/// Parses an event body of the given type.
pub fn parse_event(ty: RecordType, b: &[u8]) -> Result<Event<'_>, String> {
    let min = event_min_len(ty).ok_or_else(|| format!("record type {} is no event", ty.0))?;
    if b.len() < min {
        return Err(format!(
            "event type {} body is {} bytes, needs at least {min}",
            ty.0,
            b.len()
        ));
    }
    let mut e = Event {
        record_type: ty,
        snort3: ty == RecordType::EVENT3
            || (matches!(ty.0, 104 | 105)
                && b.len() >= event_min_len(ty).unwrap_or(0) + APP_NAME_LEN),
        sensor_id: be32(b, 0),
        event_id: be32(b, 4),
        second: be32(b, 8),
        microsecond: be32(b, 12),
        gid: 0,
        sid: 0,
        rev: be32(b, 24),
        classification_id: be32(b, 28),
        priority: be32(b, 32),
        src: None,
        dst: None,
        sport_itype: 0,
        dport_icode: 0,
        protocol: 0,
        blocked: 0,
        mpls_label: None,
        vlan_id: None,
        app_name: None,
        http_method: None,
        http_version: None,
        http_user_agent: None,
        http_referer: None,
        message_detail: None,
    };
    if ty == RecordType::EVENT3 {
        e.gid = be32(b, 16);
        e.sid = be32(b, 20);
        let ver = b[92];
        if ver != 0 {
            e.src = Some(unmap(v6(b, 48), ver >> 4));
            e.dst = Some(unmap(v6(b, 64), ver & 0x0f));
        }
        e.mpls_label = Some(be32(b, 80));
        e.sport_itype = be16(b, 84);
        e.dport_icode = be16(b, 86);
        e.vlan_id = Some(be16(b, 88));
        e.protocol = b[93];
        e.blocked = b[94];
        e.app_name = cstr(b, 96, APP_NAME_LEN);
        e.http_method = cstr(b, 168, 80);
        e.http_version = cstr(b, 248, 16);
        e.http_user_agent = cstr(b, 264, 256);
        e.http_referer = cstr(b, 520, 256);
        e.message_detail = cstr(b, 776, 256);
        return Ok(e);
    }
    // Snort 2 layouts: sid before gid.
    e.sid = be32(b, 16);
    e.gid = be32(b, 20);
    let ipv6 = matches!(ty.0, 72 | 105 | 112);
    let (after_addrs, fixed) = if ipv6 {
        e.src = Some(v6(b, 36));
        e.dst = Some(v6(b, 52));
        (68, 76)
    } else {
        e.src = Some(v4(b, 36));
        e.dst = Some(v4(b, 40));
        (44, 52)
    };
    e.sport_itype = be16(b, after_addrs);
    e.dport_icode = be16(b, after_addrs + 2);
    e.protocol = b[after_addrs + 4];
    e.blocked = b[after_addrs + 7];
    if !matches!(ty.0, 7 | 72) {
        e.mpls_label = Some(be32(b, fixed));
        e.vlan_id = Some(be16(b, fixed + 4));
        // 111/112, and Snort 3's 124/148-byte 104/105: the application name follows.
        e.app_name = cstr(b, fixed + 8, APP_NAME_LEN);
    }
    // No IP layer: Snort writes zero addresses and protocol 255.
    let zero = |a: Option<IpAddr>| a.is_some_and(|a| a.is_unspecified());
    if e.protocol == UNKNOWN_PROTOCOL && zero(e.src) && zero(e.dst) {
        e.src = None;
        e.dst = None;
    }
    Ok(e)
}

/// Snort 3 writes IPv4 as IPv4-mapped IPv6; the version nibble says which it is.
fn unmap(a: IpAddr, version: u8) -> IpAddr {
    match a {
        IpAddr::V6(v) if version == 4 => v.to_ipv4_mapped().map_or(a, IpAddr::V4),
        _ => a,
    }
}

/// Parses a type 2 or 3 body.
pub fn parse_packet(ty: RecordType, b: &[u8]) -> Result<PacketRecord<'_>, String> {
    if b.len() < PACKET_HEADER {
        return Err(format!(
            "packet record body is {} bytes, needs at least {PACKET_HEADER}",
            b.len()
        ));
    }
    let len = be32(b, 24) as usize;
    let data = &b[PACKET_HEADER..];
    Ok(PacketRecord {
        sensor_id: be32(b, 0),
        event_id: be32(b, 4),
        event_second: be32(b, 8),
        packet_second: be32(b, 12),
        packet_microsecond: be32(b, 16),
        linktype: be32(b, 20),
        data: &data[..len.min(data.len())],
        is_buffer: ty == RecordType::BUFFER,
    })
}

/// Parses a type 110 body.
pub fn parse_extra(b: &[u8]) -> Result<ExtraData<'_>, String> {
    if b.len() < EXTRA_HEADER {
        return Err(format!(
            "extra-data body is {} bytes, needs at least {EXTRA_HEADER}",
            b.len()
        ));
    }
    // The blob length counts its own 8-byte header (data type and length) plus the data.
    let blob = (be32(b, 28) as usize).saturating_sub(8);
    let data = &b[EXTRA_HEADER..];
    Ok(ExtraData {
        sensor_id: be32(b, 8),
        event_id: be32(b, 12),
        event_second: be32(b, 16),
        info_type: ExtraType(be32(b, 20)),
        data_type: be32(b, 24),
        data: &data[..blob.min(data.len())],
    })
}

/// Why the framing stopped.
enum FrameEnd {
    /// Clean end of input on a record boundary.
    Eof,
    /// Corrupt or truncated, with the message for [`ReadError::Corrupt`].
    Corrupt(String),
    Io(std::io::Error),
}

/// Reads the next record header and body into `body`; returns its type.
fn next_record(r: &mut dyn BufRead, body: &mut Vec<u8>) -> Result<RecordType, FrameEnd> {
    let mut hdr = [0u8; HEADER_LEN];
    let got = read_full(r, &mut hdr).map_err(FrameEnd::Io)?;
    if got == 0 {
        return Err(FrameEnd::Eof);
    }
    if got < HEADER_LEN {
        return Err(FrameEnd::Corrupt(format!(
            "truncated record header: {got} of {HEADER_LEN} bytes"
        )));
    }
    let ty = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    let len = u32::from_be_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    if len > MAX_RECORD_BODY {
        return Err(FrameEnd::Corrupt(format!(
            "record type {ty} claims a {len}-byte body, over the {MAX_RECORD_BODY}-byte limit \
             (not unified2, or misaligned)"
        )));
    }
    body.clear();
    let n = r
        .take(u64::from(len))
        .read_to_end(body)
        .map_err(FrameEnd::Io)?;
    if n < len as usize {
        return Err(FrameEnd::Corrupt(format!(
            "truncated record: type {ty} body is {n} of {len} bytes"
        )));
    }
    Ok(RecordType(ty))
}

fn read_full(r: &mut dyn BufRead, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Record counts of a unified2 input, for comparisons with other readers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Event records (7, 72, 104, 105, 111, 112, 114).
    pub events: u64,
    /// Packet records (type 2).
    pub packets: u64,
    /// Snort 3 buffer records (type 3).
    pub buffers: u64,
    /// Extra-data records (type 110).
    pub extra_data: u64,
    /// Application statistics records (type 113).
    pub app_stats: u64,
    /// Records of types fpx does not know.
    pub unknown: u64,
    /// Every record by type.
    pub by_type: std::collections::BTreeMap<u32, u64>,
    /// Bytes read.
    pub bytes: u64,
}

/// Counts the records of a unified2 file (framing only, bodies not decoded). A truncated
/// record is an error naming the byte offset.
pub fn count_records(path: &str) -> Result<Counts, ReadError> {
    let mut input = super::open_input(path)?;
    let r = input.reader();
    let mut c = Counts::default();
    let mut body = Vec::new();
    loop {
        match next_record(r, &mut body) {
            Ok(ty) => {
                *c.by_type.entry(ty.0).or_default() += 1;
                match ty.0 {
                    _ if ty.is_event() => c.events += 1,
                    2 => c.packets += 1,
                    3 => c.buffers += 1,
                    110 => c.extra_data += 1,
                    113 => c.app_stats += 1,
                    _ => c.unknown += 1,
                }
                c.bytes += (HEADER_LEN + body.len()) as u64;
            }
            Err(FrameEnd::Eof) => return Ok(c),
            Err(FrameEnd::Corrupt(message)) => {
                return Err(ReadError::Corrupt {
                    path: path.to_string(),
                    location: LocationDisplay(Location::Offset(c.bytes)),
                    message,
                })
            }
            Err(FrameEnd::Io(source)) => {
                return Err(ReadError::Io {
                    path: path.to_string(),
                    source,
                })
            }
        }
    }
}

/// The event being assembled: its body and the bodies of the records joined to it, in one
/// reused arena.
#[derive(Default)]
struct Group {
    /// Event record type and byte offset; `None` when no event is pending.
    event: Option<(RecordType, u64)>,
    sensor_id: u32,
    event_id: u32,
    arena: Vec<u8>,
    event_body: Range<usize>,
    /// Type 2/3 bodies in file order.
    packets: Vec<(RecordType, Range<usize>)>,
    extras: Vec<Range<usize>>,
}

impl Group {
    fn clear(&mut self) {
        self.event = None;
        self.arena.clear();
        self.packets.clear();
        self.extras.clear();
    }

    fn push(&mut self, body: &[u8]) -> Range<usize> {
        let start = self.arena.len();
        self.arena.extend_from_slice(body);
        start..self.arena.len()
    }
}

/// Reads a unified2 stream into `sink`.
pub fn read_unified2(
    r: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let mut body = Vec::with_capacity(2048);
    let mut group = Group::default();
    let mut offset: u64 = 0;
    let stop = |f: Flow| -> Result<(), ReadError> {
        match f {
            Flow::Continue => Ok(()),
            Flow::Stop => Err(ReadError::Stopped),
        }
    };
    let at = |offset: u64| Provenance {
        path: Cow::Borrowed(ctx.path),
        location: Location::Offset(offset),
    };
    loop {
        let ty = match next_record(r, &mut body) {
            Ok(ty) => ty,
            Err(end) => {
                stop(emit(&mut group, ctx, sink))?;
                return match end {
                    FrameEnd::Eof => Ok(()),
                    FrameEnd::Corrupt(message) => Err(ReadError::Corrupt {
                        path: ctx.path.to_string(),
                        location: LocationDisplay(Location::Offset(offset)),
                        message,
                    }),
                    FrameEnd::Io(source) => Err(ReadError::Io {
                        path: ctx.path.to_string(),
                        source,
                    }),
                };
            }
        };
        let here = offset;
        offset += (HEADER_LEN + body.len()) as u64;
        if ty.is_event() {
            stop(emit(&mut group, ctx, sink))?;
            match parse_event(ty, &body) {
                Ok(e) => {
                    group.sensor_id = e.sensor_id;
                    group.event_id = e.event_id;
                    group.event = Some((ty, here));
                    group.event_body = group.push(&body);
                }
                Err(msg) => stop(sink.skipped(SkipReason::MALFORMED_ALERT, &at(here), Some(&msg)))?,
            }
            continue;
        }
        let ids = match ty {
            RecordType::PACKET | RecordType::BUFFER => {
                parse_packet(ty, &body).map(|p| (p.sensor_id, p.event_id))
            }
            RecordType::EXTRA_DATA => parse_extra(&body).map(|x| (x.sensor_id, x.event_id)),
            RecordType::APP_STATS => {
                let detail = app_stats_detail(&body);
                stop(sink.skipped(SKIP_APP_STATS, &at(here), Some(&detail)))?;
                continue;
            }
            _ => {
                let detail = format!("record type {} ({} bytes) read past", ty.0, body.len());
                stop(sink.skipped(SKIP_UNKNOWN_TYPE, &at(here), Some(&detail)))?;
                continue;
            }
        };
        let (sensor, event_id) = match ids {
            Ok(ids) => ids,
            Err(msg) => {
                stop(sink.skipped(SkipReason::MALFORMED_ALERT, &at(here), Some(&msg)))?;
                continue;
            }
        };
        if group.event.is_none() || sensor != group.sensor_id || event_id != group.event_id {
            let detail = format!(
                "record type {} for event {sensor}:{event_id} follows no such event",
                ty.0
            );
            stop(sink.skipped(SKIP_UNJOINED, &at(here), Some(&detail)))?;
            continue;
        }
        if ty == RecordType::EXTRA_DATA {
            if group.extras.len() == MAX_EXTRA_PER_EVENT {
                let detail = format!("more than {MAX_EXTRA_PER_EVENT} extra-data records");
                stop(sink.skipped(SKIP_OVER_LIMIT, &at(here), Some(&detail)))?;
            } else {
                let r = group.push(&body);
                group.extras.push(r);
            }
        } else if group.packets.len() == MAX_PACKETS_PER_EVENT {
            let detail = format!("more than {MAX_PACKETS_PER_EVENT} packet records");
            stop(sink.skipped(SKIP_OVER_LIMIT, &at(here), Some(&detail)))?;
        } else {
            let r = group.push(&body);
            group.packets.push((ty, r));
        }
    }
}

fn app_stats_detail(b: &[u8]) -> String {
    // Snort 2.9 writes a timestamp and an entry count before the per-application entries.
    if b.len() >= 8 {
        format!(
            "application statistics at {} with {} entries",
            be32(b, 0),
            be32(b, 4)
        )
    } else {
        format!("application statistics record of {} bytes", b.len())
    }
}

/// Emits the pending event as an alert, if there is one, and clears the group.
fn emit(group: &mut Group, ctx: &ReadContext<'_>, sink: &mut dyn Sink) -> Flow {
    let Some((ty, offset)) = group.event else {
        return Flow::Continue;
    };
    let flow = match parse_event(ty, &group.arena[group.event_body.clone()]) {
        Ok(e) => {
            let alert = build_alert(&e, group, ctx, offset);
            sink.alert(alert)
        }
        Err(_) => Flow::Continue, // checked when the event was read
    };
    group.clear();
    flow
}

fn text(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn build_alert<'a>(
    e: &Event<'a>,
    group: &'a Group,
    ctx: &ReadContext<'a>,
    offset: u64,
) -> Alert<'a> {
    let arena = &group.arena;
    // The first frame gives the header fields and, unless a matched buffer is logged, the payload.
    let frame = group
        .packets
        .iter()
        .find(|(t, _)| *t == RecordType::PACKET)
        .and_then(|(t, r)| parse_packet(*t, &arena[r.clone()]).ok());
    let buffer = group
        .packets
        .iter()
        .find(|(t, _)| *t == RecordType::BUFFER)
        .and_then(|(t, r)| parse_packet(*t, &arena[r.clone()]).ok());
    // An event with zero time fields takes its packet's time when that has one. Both zero
    // is what the capture said (the corpus's djcas9 pcap has zero timestamps, and Snort 3
    // copies them): the 1970 instant is kept, for the join with that capture, and the reports
    // mark it implausible.
    let (second, microsecond) = match (e.second, e.microsecond, frame.or(buffer)) {
        (0, 0, Some(p)) => (p.packet_second, p.packet_microsecond),
        (s, us, _) => (s, us),
    };
    let micros = i64::from(second) * 1_000_000 + i64::from(microsecond);
    let ts = Timestamp {
        raw: Cow::Owned(Rfc3339(micros).to_string()),
        unix_micros: Some(micros),
        utc_offset_secs: Some(0),
        year_source: YearSource::Written,
    };
    let source = Provenance {
        path: Cow::Borrowed(ctx.path),
        location: Location::Offset(offset),
    };
    let mut a = Alert::new(source, InputFormat::Unified2, ts);
    a.engine = Some(if e.snort3 {
        crate::model::Engine::Snort3
    } else {
        crate::model::Engine::Snort2
    });
    a.gid = e.gid;
    a.sid = Some(e.sid);
    a.rev = Some(e.rev);
    a.classification_id = Some(e.classification_id);
    a.priority = Some(e.priority);
    a.action = Some(Cow::Borrowed(match e.blocked {
        0 => "allowed",
        1 => "blocked",
        _ => "would_block",
    }));
    if let (Some(s), Some(d)) = (e.src, e.dst) {
        let proto = IpProto(e.protocol);
        a.proto = Some(proto);
        // Ports 0 and 0 on a TCP/UDP event: the sensor did not decode the transport header (Snort
        // stops at an IP layer it rejects, such as loopback with checksum 0). Left unknown here,
        // and taken from the packet below when fpx can decode it.
        let ports = proto.has_ports() && (e.sport_itype, e.dport_icode) != (0, 0);
        a.src = Endpoint {
            host: Host::Ip(s),
            port: ports.then_some(e.sport_itype),
        };
        a.dest = Endpoint {
            host: Host::Ip(d),
            port: ports.then_some(e.dport_icode),
        };
    }
    if let Some(p) = frame {
        let d = decode::decode(LinkType(p.linktype), p.data);
        a.ip = d.ip_header();
        // Where the sensor stopped decoding (ports 0 and 0, or protocol 255 "unknown" on
        // loopback packets Snort rejects), the frame's own transport header fills the gap.
        if let (Some(ip), Some((sp, dp)), None) = (&d.ip, d.ports(), a.src.port) {
            let same = e.src == Some(ip.src) && e.dst == Some(ip.dst);
            let proto_unknown = e.protocol == UNKNOWN_PROTOCOL;
            if same && (ip.proto == IpProto(e.protocol) || proto_unknown) {
                a.proto = Some(ip.proto);
                a.src.port = Some(sp);
                a.dest.port = Some(dp);
            }
        }
        a.payload = Some(Cow::Borrowed(d.payload));
        a.packet = Some(Packet {
            bytes: Cow::Borrowed(p.data),
            linktype: p.linktype,
        });
    }
    if let Some(b) = buffer {
        a.payload = Some(Cow::Borrowed(b.data));
    }
    let proto = IpProto(e.protocol);
    if e.src.is_some() && (proto == IpProto::ICMP || proto == IpProto::ICMPV6) {
        a.ip.icmp_type = u8::try_from(e.sport_itype).ok();
        a.ip.icmp_code = u8::try_from(e.dport_icode).ok();
    }
    if let Some(n) = e.app_name {
        a.app.push("app_id", text(n));
    }
    let http = [
        ("http.http_method", e.http_method),
        ("http.protocol", e.http_version),
        ("http.http_user_agent", e.http_user_agent),
        ("http.http_refer", e.http_referer),
        ("message_detail", e.message_detail),
    ];
    for (k, v) in http {
        if let Some(v) = v {
            a.app.push(k, text(v));
        }
    }
    for r in &group.extras {
        let Ok(x) = parse_extra(&arena[r.clone()]) else {
            continue;
        };
        match x.info_type {
            ExtraType::IPV6_SRC if x.data.len() == 16 => {
                a.src.host = Host::Ip(v6(x.data, 0));
            }
            ExtraType::IPV6_DST if x.data.len() == 16 => {
                a.dest.host = Host::Ip(v6(x.data, 0));
            }
            ExtraType::XFF_IPV4 if x.data.len() == 4 => {
                a.app.push("xff", v4(x.data, 0).to_string());
            }
            ExtraType::XFF_IPV6 if x.data.len() == 16 => {
                a.app.push("xff", v6(x.data, 0).to_string());
            }
            ExtraType::GZIP_DATA => {
                // Decompressed HTTP body bytes; kept by size, not as text.
                a.app.push("http.gzip_data_len", x.data.len().to_string());
            }
            t => {
                if let Some(name) = t.field_name() {
                    a.app.push(name, text(x.data));
                } else {
                    a.app.push(format!("u2.extra.{}", t.0), text(x.data));
                }
            }
        }
    }
    a
}

/// Whether a file name ends in `.<digits>` (Snort's `unified2.log.1700000000` spool names);
/// returns the number.
fn spool_number(name: &str) -> Option<u64> {
    let (_, n) = name.rsplit_once('.')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// The spool files of a directory (names ending in `.<number>`), in numeric order.
pub fn spool_files(dir: &Path) -> Result<Vec<PathBuf>, ReadError> {
    let io_err = |source| ReadError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let path = entry.path();
        let Some(n) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(spool_number)
        else {
            continue;
        };
        if path.is_file() {
            files.push((n, path));
        }
    }
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// Reads every spool file of a directory in numeric suffix order (`snort.u2.1700000000`,
/// `snort.u2.1700000100`, ...). Files without a numeric suffix are not part of the spool.
pub fn read_spool_dir(
    dir: &Path,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let files = spool_files(dir)?;
    if files.is_empty() {
        return Err(ReadError::UnknownFormat {
            path: dir.display().to_string(),
            message: "directory holds no unified2 spool files (name.<number>)".to_string(),
        });
    }
    let opts = ReadOptions {
        format: Some(opts.format.unwrap_or(InputFormat::Unified2)),
        ..opts.clone()
    };
    for f in files {
        super::read_path(&f.to_string_lossy(), &opts, sink)?;
    }
    Ok(())
}

/// Reads several unified2 files (or spool directories) in the order given.
pub fn read_files(
    paths: &[String],
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    for p in paths {
        super::read_path(p, opts, sink)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
