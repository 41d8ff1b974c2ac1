//! What Snort 3's `alert_json` and `alert_csv` loggers write: the same list of fields
//! (`src/loggers/alert_json.cc`, `alert_csv.cc` in Snort 3), chosen and ordered by the logger's
//! `fields` setting. Both readers collect a line's fields into a [`Record`] and turn it into an
//! [`Alert`] here, so that a field means the same whichever logger wrote it.
//!
//! What the loggers write, as far as it matters here:
//!
//! - `timestamp` is the packet time as `MM/DD-HH:MM:SS.uuuuuu` in the sensor's local time, with
//!   no year (unless Snort ran with `-y`); `seconds` is the same instant as Unix seconds, so it
//!   gives the year and the exact time.
//! - A field that does not apply to the packet is left out of JSON (`tcp_*` without TCP,
//!   `src_addr` without IP, `b64_data` without payload) and empty in CSV. `src_ap`/`dst_ap`
//!   are always written, as `addr:port` with port 0 for packets without ports.
//! - `msg` keeps the double quotes of the rule text in CSV (the JSON string's quotes are those
//!   quotes); `b64_data` is quoted in CSV too.
//! - `pkt_len` is the IP datagram length when the packet has an IP layer (else the payload
//!   length); `ip_len` is the IP payload length (datagram minus IP header).
//! - CSV writes `tcp_seq`, `tcp_ack` and `tcp_win` in hex (`0x1A2B`), JSON in decimal.

use std::borrow::Cow;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::textcommon::{parse_sig_triple, parse_text_time, proto_from_text, TextTime};
use super::year::YearHints;
use crate::model::time::{civil_from_days, micros_from_parts, Rfc3339};
use crate::model::{
    Alert, Direction, Endpoint, Engine, FlowInfo, Host, InputFormat, Original, Provenance,
    Timestamp, YearSource,
};

/// Longest line kept, in bytes. A Snort 3 line is about 1.5 KiB of fields plus `b64_data`:
/// the payload of the largest IP datagram (65,535 bytes) is 87,380 bytes of base64, and a
/// reassembled PDU is smaller than that (stream_tcp's `max_pdu` is 16 KiB by default).
/// 1 MiB is ten times the largest real line while bounding what one hostile line can make
/// the reader hold. The rest of a longer line is read and dropped.
pub const MAX_LINE_LEN: usize = 1024 * 1024;

/// Unix seconds later than this (9999-12-31T23:59:59Z) are not a packet time; they are
/// refused before being turned into microseconds, which could overflow.
const MAX_SECONDS: u64 = 253_402_300_799;

/// Largest distance between the local time Snort printed and UTC that is a time zone
/// (UTC+14:00, Kiribati; UTC-12:00 is closer).
const MAX_ZONE_OFFSET_SECS: i64 = 14 * 3600;

/// The fields Snort 3's `alert_json` and `alert_csv` loggers can write, named as in their
/// `fields` setting. `app_id` is JSON-only; every other name is valid for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Action,
    AppId,
    Class,
    B64Data,
    ClientBytes,
    ClientPkts,
    Dir,
    DstAddr,
    DstAp,
    DstPort,
    EthDst,
    EthLen,
    EthSrc,
    EthType,
    FlowstartTime,
    GeneveVni,
    Gid,
    IcmpCode,
    IcmpId,
    IcmpSeq,
    IcmpType,
    Iface,
    IpId,
    IpLen,
    Msg,
    Mpls,
    PktGen,
    PktLen,
    PktNum,
    Priority,
    Proto,
    Rev,
    Rule,
    Seconds,
    ServerBytes,
    ServerPkts,
    Service,
    Sgt,
    Sid,
    SrcAddr,
    SrcAp,
    SrcPort,
    Target,
    TcpAck,
    TcpFlags,
    TcpLen,
    TcpSeq,
    TcpWin,
    Timestamp,
    Tos,
    Ttl,
    UdpLen,
    Vlan,
}

/// How many fields there are.
pub const FIELD_COUNT: usize = 53;

/// Every field with its name, in the order of Snort's `json_range`.
const NAMES: [(Field, &str); FIELD_COUNT] = [
    (Field::Action, "action"),
    (Field::AppId, "app_id"),
    (Field::Class, "class"),
    (Field::B64Data, "b64_data"),
    (Field::ClientBytes, "client_bytes"),
    (Field::ClientPkts, "client_pkts"),
    (Field::Dir, "dir"),
    (Field::DstAddr, "dst_addr"),
    (Field::DstAp, "dst_ap"),
    (Field::DstPort, "dst_port"),
    (Field::EthDst, "eth_dst"),
    (Field::EthLen, "eth_len"),
    (Field::EthSrc, "eth_src"),
    (Field::EthType, "eth_type"),
    (Field::FlowstartTime, "flowstart_time"),
    (Field::GeneveVni, "geneve_vni"),
    (Field::Gid, "gid"),
    (Field::IcmpCode, "icmp_code"),
    (Field::IcmpId, "icmp_id"),
    (Field::IcmpSeq, "icmp_seq"),
    (Field::IcmpType, "icmp_type"),
    (Field::Iface, "iface"),
    (Field::IpId, "ip_id"),
    (Field::IpLen, "ip_len"),
    (Field::Msg, "msg"),
    (Field::Mpls, "mpls"),
    (Field::PktGen, "pkt_gen"),
    (Field::PktLen, "pkt_len"),
    (Field::PktNum, "pkt_num"),
    (Field::Priority, "priority"),
    (Field::Proto, "proto"),
    (Field::Rev, "rev"),
    (Field::Rule, "rule"),
    (Field::Seconds, "seconds"),
    (Field::ServerBytes, "server_bytes"),
    (Field::ServerPkts, "server_pkts"),
    (Field::Service, "service"),
    (Field::Sgt, "sgt"),
    (Field::Sid, "sid"),
    (Field::SrcAddr, "src_addr"),
    (Field::SrcAp, "src_ap"),
    (Field::SrcPort, "src_port"),
    (Field::Target, "target"),
    (Field::TcpAck, "tcp_ack"),
    (Field::TcpFlags, "tcp_flags"),
    (Field::TcpLen, "tcp_len"),
    (Field::TcpSeq, "tcp_seq"),
    (Field::TcpWin, "tcp_win"),
    (Field::Timestamp, "timestamp"),
    (Field::Tos, "tos"),
    (Field::Ttl, "ttl"),
    (Field::UdpLen, "udp_len"),
    (Field::Vlan, "vlan"),
];

/// The fields both loggers write when `fields` is not set (`json_deflt`, `csv_deflt`).
pub const DEFAULT_FIELDS: [Field; 10] = [
    Field::Timestamp,
    Field::PktNum,
    Field::Proto,
    Field::PktGen,
    Field::PktLen,
    Field::Dir,
    Field::SrcAp,
    Field::DstAp,
    Field::Rule,
    Field::Action,
];

impl Field {
    pub fn name(self) -> &'static str {
        NAMES[self as usize].1
    }

    pub fn from_name(s: &str) -> Option<Field> {
        NAMES.iter().find(|(_, n)| *n == s).map(|(f, _)| *f)
    }

    /// Whether the logger writes the field as a number.
    pub fn is_number(self) -> bool {
        use Field as F;
        matches!(
            self,
            F::ClientBytes
                | F::ClientPkts
                | F::DstPort
                | F::EthLen
                | F::FlowstartTime
                | F::GeneveVni
                | F::Gid
                | F::IcmpCode
                | F::IcmpId
                | F::IcmpSeq
                | F::IcmpType
                | F::IpId
                | F::IpLen
                | F::Mpls
                | F::PktLen
                | F::PktNum
                | F::Priority
                | F::Rev
                | F::Seconds
                | F::ServerBytes
                | F::ServerPkts
                | F::Sgt
                | F::Sid
                | F::SrcPort
                | F::TcpAck
                | F::TcpLen
                | F::TcpSeq
                | F::TcpWin
                | F::Tos
                | F::Ttl
                | F::UdpLen
                | F::Vlan
        )
    }
}

/// One field's value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Num(u64),
}

/// The fields of one line, by field; a field written twice keeps its last value.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    values: [Option<Value<'a>>; FIELD_COUNT],
    /// How many fields were set.
    pub count: usize,
}

impl Default for Record<'_> {
    fn default() -> Self {
        Record {
            values: [const { None }; FIELD_COUNT],
            count: 0,
        }
    }
}

impl<'a> Record<'a> {
    pub fn set(&mut self, f: Field, v: Value<'a>) {
        let slot = &mut self.values[f as usize];
        if slot.is_none() {
            self.count += 1;
        }
        *slot = Some(v);
    }

    /// Sets a field from its text as CSV writes it: numbers in decimal or `0x` hex, text as
    /// it is. An empty value is a field that does not apply and is left unset.
    pub fn set_text(&mut self, f: Field, s: &'a str) {
        if s.is_empty() {
            return;
        }
        if f.is_number() {
            if let Some(n) = parse_number(s) {
                self.set(f, Value::Num(n));
            }
            return;
        }
        self.set(f, Value::Text(Cow::Borrowed(s)));
    }

    pub fn is_set(&self, f: Field) -> bool {
        self.values[f as usize].is_some()
    }

    /// A number field (or a text field holding a number).
    pub fn num(&self, f: Field) -> Option<u64> {
        match &self.values[f as usize] {
            Some(Value::Num(n)) => Some(*n),
            Some(Value::Text(t)) => parse_number(t),
            None => None,
        }
    }

    fn num_as<T: TryFrom<u64>>(&self, f: Field) -> Option<T> {
        self.num(f).and_then(|n| T::try_from(n).ok())
    }

    /// A text field, trimmed; numbers are not text.
    pub fn text(&self, f: Field) -> Option<&str> {
        match &self.values[f as usize] {
            Some(Value::Text(t)) => Some(t.trim()).filter(|t| !t.is_empty()),
            _ => None,
        }
    }

    /// Moves a text field out, trimmed, keeping what it borrows.
    fn take_text(&mut self, f: Field) -> Option<Cow<'a, str>> {
        match self.values[f as usize].take() {
            Some(Value::Text(Cow::Borrowed(s))) => {
                Some(Cow::Borrowed(s.trim())).filter(|t| !t.is_empty())
            }
            Some(Value::Text(Cow::Owned(s))) => {
                let t = s.trim();
                if t.is_empty() {
                    None
                } else if t.len() == s.len() {
                    Some(Cow::Owned(s))
                } else {
                    Some(Cow::Owned(t.to_string()))
                }
            }
            _ => None,
        }
    }
}

/// A number in decimal or, as `alert_csv` writes TCP sequence numbers and windows, `0x` hex.
pub fn parse_number(s: &str) -> Option<u64> {
    let t = s.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.len() <= 16 => u64::from_str_radix(h, 16).ok(),
        Some(_) => None,
        None if !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()) => {
            t.parse().ok()
        }
        None => None,
    }
}

/// base64 as Snort's encoder writes it (padded), accepting missing padding as well.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Splits `addr:port` as `src_ap`/`dst_ap` write it: the port after the last colon (IPv6
/// addresses are written compressed, and the port is always there). An empty address (a
/// packet without an IP layer) gives no host.
pub fn split_ap(ap: &str) -> (Option<&str>, Option<u16>) {
    let t = ap.trim();
    match t.rsplit_once(':') {
        Some((a, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            let a = a.trim();
            (Some(a).filter(|a| !a.is_empty()), p.parse().ok())
        }
        _ => (Some(t).filter(|t| !t.is_empty()), None),
    }
}

/// The Snort `dir` value as a direction: `C2S` from the application's client, `S2C` from its
/// server; `UNK` (and anything else) is not known.
pub fn direction(dir: &str) -> Option<Direction> {
    match dir.trim() {
        "C2S" => Some(Direction::ToServer),
        "S2C" => Some(Direction::ToClient),
        _ => None,
    }
}

/// Snort 3's action strings (`Active::act_str`) in the words EVE and the unified2 reader use:
/// `allowed` for a packet that went on (`allow`, `trust`, and whatever Snort could not or
/// only would have done in IDS mode), `blocked` for one that was stopped, `would_block` for
/// `would_drop`/`would_block`/`would_reset`. Unknown words are kept as written.
fn action_word(a: &str) -> Cow<'static, str> {
    Cow::Borrowed(match a {
        "allow" | "trust" | "hold" | "retry" | "rewrite" | "force_rewrite" | "would_rewrite" => {
            "allowed"
        }
        "drop" | "block" | "reset" | "force_drop" | "force_block" | "force_reset" => "blocked",
        "would_drop" | "would_block" | "would_reset" => "would_block",
        a if a.starts_with("cant_") => "allowed",
        other => return Cow::Owned(other.to_string()),
    })
}

/// The timestamp of a record: `seconds` gives the instant (and so the year); the text
/// `timestamp` gives the microseconds and, compared with `seconds`, the sensor's UTC offset.
/// Without `seconds` the text's year comes from the hints (`--year`, the file's modification
/// year), as for `alert_fast`.
fn timestamp<'a>(
    raw: Option<Cow<'a, str>>,
    seconds: Option<u64>,
    hints: &YearHints,
) -> Timestamp<'a> {
    let text = raw.as_deref().and_then(|r| parse_text_time(r.trim()));
    let seconds = seconds.filter(|s| *s <= MAX_SECONDS);
    let raw_or = |fallback: String| -> Cow<'a, str> {
        match &raw {
            Some(r) => r.clone(),
            None => Cow::Owned(fallback),
        }
    };
    if let Some(secs) = seconds {
        let micros = text.map_or(0, |t| t.micros);
        // MAX_SECONDS keeps this far from overflow.
        let utc = secs as i64 * 1_000_000 + i64::from(micros);
        return Timestamp {
            raw: raw_or(secs.to_string()),
            unix_micros: Some(utc),
            utc_offset_secs: text.and_then(|t| zone_offset(&t, utc)),
            year_source: YearSource::Written,
        };
    }
    let Some(t) = text else {
        return Timestamp {
            raw: raw_or(String::new()),
            unix_micros: None,
            utc_offset_secs: None,
            year_source: YearSource::Unknown,
        };
    };
    let (year, source) = match t.year {
        Some(y) => (Some(y), YearSource::Written),
        None => hints.year_for(t.month),
    };
    let unix_micros = year
        .and_then(|y| micros_from_parts(y, t.month, t.day, t.hour, t.minute, t.second, t.micros));
    Timestamp {
        raw: raw_or(String::new()),
        unix_micros,
        utc_offset_secs: None,
        year_source: if unix_micros.is_some() {
            source
        } else {
            YearSource::Unknown
        },
    }
}

/// The UTC offset of a printed local time, given the instant it stands for: the year is the
/// one (of the instant's, the one before, the one after) that puts the two within a time
/// zone of each other. `None` when no year does (the two fields disagree).
fn zone_offset(t: &TextTime, utc_micros: i64) -> Option<i32> {
    let (y, _, _) = civil_from_days(utc_micros.div_euclid(86_400_000_000));
    let years = match t.year {
        Some(y) => [y, y, y],
        None => [y - 1, y, y + 1],
    };
    years
        .iter()
        .filter_map(|&y| micros_from_parts(y, t.month, t.day, t.hour, t.minute, t.second, t.micros))
        .map(|local| (local - utc_micros) / 1_000_000)
        .filter(|off| off.abs() <= MAX_ZONE_OFFSET_SECS)
        .min_by_key(|off| off.abs())
        .and_then(|off| i32::try_from(off).ok())
}

/// A host as Snort writes it (an address, or text for whatever else).
fn host(s: Cow<'_, str>) -> Host<'_> {
    match s {
        Cow::Borrowed(b) => Host::parse(b),
        Cow::Owned(o) => Host::parse(&o).into_owned(),
    }
}

/// One side of the alert from its `*_addr`, `*_port` and `*_ap` fields: the separate fields
/// when written, else the `addr:port` pair, whose port counts when the protocol has ports
/// (Snort writes 0 for packets without them).
fn side<'a>(
    rec: &mut Record<'a>,
    addr: Field,
    port: Field,
    ap: Field,
    has_ports: bool,
) -> Option<Endpoint<'a>> {
    let port_field = rec.num_as::<u16>(port);
    let (ap_host, ap_port) = match rec.take_text(ap) {
        Some(Cow::Borrowed(s)) => {
            let (h, p) = split_ap(s);
            (h.map(Cow::Borrowed), p)
        }
        Some(Cow::Owned(s)) => {
            let (h, p) = split_ap(&s);
            (h.map(|h| Cow::Owned(h.to_string())), p)
        }
        None => (None, None),
    };
    let ap_port = ap_port.filter(|p| has_ports || *p != 0);
    let host_text = rec.take_text(addr).or(ap_host)?;
    Some(Endpoint {
        host: host(host_text),
        port: port_field.or(ap_port),
    })
}

/// Strips the double quotes `alert_csv` keeps around the rule's msg.
fn unquote(s: Cow<'_, str>) -> Cow<'_, str> {
    let inner = |t: &str| -> Option<(usize, usize)> {
        (t.len() >= 2 && t.starts_with('"') && t.ends_with('"')).then(|| (1, t.len() - 1))
    };
    match s {
        Cow::Borrowed(b) => match inner(b) {
            Some((i, j)) => Cow::Borrowed(&b[i..j]),
            None => Cow::Borrowed(b),
        },
        Cow::Owned(o) => match inner(&o) {
            Some((i, j)) => Cow::Owned(o[i..j].to_string()),
            None => Cow::Owned(o),
        },
    }
}

/// Fields kept in the alert's application fields under `snort.<name>`: what the model has no
/// place of its own for, so that nothing the sensor wrote is lost to later stages.
const KEPT_AS_APP: [(Field, &str); 14] = [
    (Field::PktNum, "snort.pkt_num"),
    (Field::PktGen, "snort.pkt_gen"),
    (Field::PktLen, "snort.pkt_len"),
    (Field::IpLen, "snort.ip_len"),
    (Field::UdpLen, "snort.udp_len"),
    (Field::TcpLen, "snort.tcp_len"),
    (Field::IcmpId, "snort.icmp_id"),
    (Field::IcmpSeq, "snort.icmp_seq"),
    (Field::EthSrc, "snort.eth_src"),
    (Field::EthDst, "snort.eth_dst"),
    (Field::EthType, "snort.eth_type"),
    (Field::EthLen, "snort.eth_len"),
    (Field::GeneveVni, "snort.geneve_vni"),
    (Field::Sgt, "snort.sgt"),
];

/// Turns the fields of one line into an alert. Missing fields stay unknown; a field whose
/// value cannot be read (a `rule` that is not `gid:sid:rev`, a port above 65535) is unknown
/// too, never a reason to drop the record.
pub fn build_alert<'a>(
    mut rec: Record<'a>,
    source: Provenance<'a>,
    format: InputFormat,
    hints: &YearHints,
    original: Original<'a>,
) -> Alert<'a> {
    let raw_time = rec.take_text(Field::Timestamp);
    let ts = timestamp(raw_time, rec.num(Field::Seconds), hints);
    let mut a = Alert::new(source, format, ts);
    a.engine = Some(Engine::Snort3);

    let triple = rec.text(Field::Rule).and_then(parse_sig_triple);
    a.gid = rec
        .num_as::<u32>(Field::Gid)
        .or(triple.map(|t| t.0))
        .unwrap_or(1);
    a.sid = rec.num_as::<u32>(Field::Sid).or(triple.map(|t| t.1));
    a.rev = rec.num_as::<u32>(Field::Rev).or(triple.map(|t| t.2));
    a.msg = rec
        .take_text(Field::Msg)
        .map(unquote)
        .filter(|m| !m.trim().is_empty());
    a.classification = rec
        .take_text(Field::Class)
        .filter(|c| c != "none" && c != "(null)");
    a.priority = rec.num_as::<u32>(Field::Priority);
    if let Some(act) = rec.take_text(Field::Action) {
        a.action = Some(action_word(&act));
        a.app.push("snort.action", act);
    }

    if let Some(p) = rec.take_text(Field::Proto) {
        match proto_from_text(&p) {
            Some(n) => a.proto = Some(n),
            None => a.proto_text = Some(p),
        }
    }
    let has_ports = a.proto.is_some_and(|p| p.has_ports());
    if let Some(e) = side(
        &mut rec,
        Field::SrcAddr,
        Field::SrcPort,
        Field::SrcAp,
        has_ports,
    ) {
        a.src = e;
    }
    if let Some(e) = side(
        &mut rec,
        Field::DstAddr,
        Field::DstPort,
        Field::DstAp,
        has_ports,
    ) {
        a.dest = e;
    }
    a.direction = rec.text(Field::Dir).and_then(direction);

    a.ip.ttl = rec.num_as(Field::Ttl);
    a.ip.tos = rec.num_as(Field::Tos);
    a.ip.id = rec.num_as(Field::IpId);
    // `ttl`, `tos`, `ip_id` and `ip_len` are written only for packets with an IP layer, and
    // for those `pkt_len` is the datagram length (what `alert_full` calls DgmLen).
    let has_ip = [Field::Ttl, Field::Tos, Field::IpId, Field::IpLen]
        .iter()
        .any(|f| rec.is_set(*f));
    if has_ip {
        a.ip.ip_len = rec.num_as(Field::PktLen);
    }
    a.ip.tcp_flags = rec.take_text(Field::TcpFlags);
    a.ip.tcp_seq = rec.num_as(Field::TcpSeq);
    a.ip.tcp_ack = rec.num_as(Field::TcpAck);
    a.ip.tcp_win = rec.num_as(Field::TcpWin);
    a.ip.icmp_type = rec.num_as(Field::IcmpType);
    a.ip.icmp_id = rec.num_as(Field::IcmpId);
    a.ip.icmp_code = rec.num_as(Field::IcmpCode);

    let counters = [
        Field::ClientBytes,
        Field::ClientPkts,
        Field::ServerBytes,
        Field::ServerPkts,
        Field::FlowstartTime,
    ];
    if counters.iter().any(|f| rec.is_set(*f)) {
        // Snort's flow counters are per side of the flow: the client's packets went to the
        // server. They count up to the alerting packet.
        a.flow = Some(FlowInfo {
            pkts_toserver: rec.num(Field::ClientPkts),
            pkts_toclient: rec.num(Field::ServerPkts),
            bytes_toserver: rec.num(Field::ClientBytes),
            bytes_toclient: rec.num(Field::ServerBytes),
            start: rec
                .num(Field::FlowstartTime)
                .filter(|s| *s <= MAX_SECONDS)
                .map(|s| Cow::Owned(Rfc3339(s as i64 * 1_000_000).to_string())),
            ..FlowInfo::default()
        });
    }

    a.app_proto = rec
        .take_text(Field::Service)
        .filter(|s| s != "unknown" && s != "(null)");
    if let Some(id) = rec.take_text(Field::AppId) {
        a.app.push("app_id", id);
    }
    for (f, key) in KEPT_AS_APP {
        if !f.is_number() {
            if let Some(t) = rec.take_text(f) {
                a.app.push(key, t);
            }
        } else if let Some(n) = rec.num(f) {
            a.app.push(key, Cow::Owned(n.to_string()));
        }
    }
    // Snort writes vlan 0 and mpls 0 for packets without them.
    for (f, key) in [(Field::Vlan, "vlan"), (Field::Mpls, "mpls")] {
        if let Some(n) = rec.num(f).filter(|n| *n != 0) {
            a.app.push(key, Cow::Owned(n.to_string()));
        }
    }
    for (f, key) in [
        (Field::Iface, "snort.iface"),
        (Field::Target, "snort.target"),
    ] {
        if let Some(t) = rec.take_text(f) {
            a.app.push(key, t);
        }
    }
    // A pseudo-packet of reassembled stream data: the payload is the PDU, not one segment.
    if matches!(
        a.app.get("snort.pkt_gen"),
        Some("stream_tcp" | "stream_user")
    ) {
        a.app.push("stream", "1");
    }
    if let Some(b64) = rec.take_text(Field::B64Data).map(unquote) {
        match BASE64.decode(b64.as_bytes()) {
            Ok(bytes) => a.payload = Some(Cow::Owned(bytes)),
            Err(_) => a.app.push("decode_error", "b64_data"),
        }
    }
    a.original = Some(original);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_count() {
        for (i, (f, n)) in NAMES.iter().enumerate() {
            assert_eq!(*f as usize, i, "{n}");
            assert_eq!(Field::from_name(n), Some(*f));
            assert_eq!(f.name(), *n);
        }
        assert_eq!(Field::from_name("bogus"), None);
    }

    #[test]
    fn numbers_in_decimal_and_hex() {
        assert_eq!(parse_number("1461809643"), Some(1_461_809_643));
        assert_eq!(parse_number(" 0xE37E6C1A "), Some(0xE37E_6C1A));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("99999999999999999999999"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn address_port_pairs() {
        assert_eq!(
            split_ap("192.168.88.23:52814"),
            (Some("192.168.88.23"), Some(52814))
        );
        assert_eq!(
            split_ap("2001:db8::1:443"),
            (Some("2001:db8::1"), Some(443))
        );
        assert_eq!(split_ap("fe80::1:0"), (Some("fe80::1"), Some(0)));
        assert_eq!(split_ap(":0"), (None, Some(0)));
        assert_eq!(split_ap(""), (None, None));
        assert_eq!(split_ap("10.0.0.1:99999"), (Some("10.0.0.1"), None));
    }

    #[test]
    fn seconds_give_the_year_and_the_text_the_zone() {
        let hints = YearHints::default();
        let t = timestamp(
            Some(Cow::Borrowed("04/28-02:14:03.418862")),
            Some(1_461_809_643),
            &hints,
        );
        assert_eq!(t.unix_micros, Some(1_461_809_643_418_862));
        assert_eq!(t.utc_offset_secs, Some(0));
        assert_eq!(t.year_source, YearSource::Written);
        assert_eq!(t.date(), Some((2016, 4, 28)));
        // The same instant printed at UTC-07:00, and across a new year at UTC+01:00.
        let t = timestamp(
            Some(Cow::Borrowed("04/27-19:14:03.418862")),
            Some(1_461_809_643),
            &hints,
        );
        assert_eq!(t.utc_offset_secs, Some(-7 * 3600));
        assert_eq!(t.date(), Some((2016, 4, 27)));
        let new_year = 1_483_228_800; // 2017-01-01T00:00:00Z
        let t = timestamp(
            Some(Cow::Borrowed("01/01-01:00:00.000001")),
            Some(new_year),
            &hints,
        );
        assert_eq!(t.utc_offset_secs, Some(3600));
        let t = timestamp(
            Some(Cow::Borrowed("12/31-23:00:00.5")),
            Some(new_year),
            &hints,
        );
        assert_eq!(t.utc_offset_secs, Some(-3600));
        assert_eq!(t.unix_micros, Some(new_year as i64 * 1_000_000 + 500_000));
        // Fields that disagree: the instant is still the sensor's `seconds`.
        let t = timestamp(
            Some(Cow::Borrowed("06/01-00:00:00.0")),
            Some(new_year),
            &hints,
        );
        assert_eq!(t.utc_offset_secs, None);
        assert_eq!(t.unix_micros, Some(new_year as i64 * 1_000_000));
    }

    #[test]
    fn without_seconds_the_year_comes_from_the_hints() {
        let hints = YearHints {
            flag: Some(2016),
            ..YearHints::default()
        };
        let t = timestamp(Some(Cow::Borrowed("04/28-02:14:03.418862")), None, &hints);
        assert_eq!(t.year_source, YearSource::Flag);
        assert_eq!(t.unix_micros, Some(1_461_809_643_418_862));
        let t = timestamp(
            Some(Cow::Borrowed("04/28-02:14:03.4")),
            None,
            &YearHints::default(),
        );
        assert_eq!((t.unix_micros, t.year_source), (None, YearSource::Unknown));
        let t = timestamp(None, Some(MAX_SECONDS + 1), &hints);
        assert_eq!(t.unix_micros, None);
        let t = timestamp(None, Some(0), &hints);
        assert_eq!((t.raw.as_ref(), t.unix_micros), ("0", Some(0)));
    }

    #[test]
    fn actions_in_eve_words() {
        assert_eq!(action_word("allow"), "allowed");
        assert_eq!(action_word("would_drop"), "would_block");
        assert_eq!(action_word("reset"), "blocked");
        assert_eq!(action_word("cant_drop"), "allowed");
        assert_eq!(action_word("odd"), "odd");
    }
}
