//! Suricata EVE JSON: one JSON object per line.
//!
//! Lines are parsed with serde_json into borrowed typed structs (`Cow` text borrows from the line
//! unless the JSON escaped it, as Suricata 4 does with `\/`). Every scalar field is read
//! leniently: a value of an unexpected type (a port written as a string, an `rcode` written as a
//! number) becomes "unknown" instead of failing the whole record, and unknown fields are ignored
//! by the types but kept in the original line, which travels with each alert as
//! [`Original::Json`].
//!
//! `event_type: "alert"` records become [`Alert`]s; every other record becomes a
//! [`ContextEvent`]. Flow, http, dns, tls and smb records that share an alert's `flow_id` enrich
//! it. Suricata writes the `flow` record only when the flow ends, usually well after the alert, so
//! alerts are held back in a bounded window (see [`WINDOW_RECORDS`]) and emitted, in input order,
//! when their flow record arrives, when they leave the window, or at end of input.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead};
use std::marker::PhantomData;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::model::time::{fraction_to_micros, micros_from_parts};
use crate::model::{
    Alert, ContextEvent, ContextKind, Direction, Endpoint, FlowInfo, Host, InputFormat, IpProto,
    Location, Original, Packet, Provenance, SkipReason, Timestamp, YearSource,
};

use super::{Flow, ReadContext, ReadError, Sink};

/// How many records an alert waits at most for the records that enrich it (its flow record
/// above all). Suricata writes a flow record when the flow times out or at shutdown; in the
/// corpus runs the farthest flow record came 426 records after its alert. 4096 gives ten times
/// that margin while bounding the held lines to a few MiB for typical 1 KiB alert lines.
pub const WINDOW_RECORDS: u64 = 4096;

/// Upper bound on the bytes of alert lines held back at once. Alerts carrying full packets and
/// stream payloads can reach tens of KiB each; past this budget the oldest held alerts are
/// emitted early (with whatever enrichment they have) so memory stays bounded.
pub const MAX_PENDING_BYTES: usize = 64 * 1024 * 1024;

/// Longest line read. Suricata's own EVE lines stay far below this (payload and packet are
/// limited by the snaplen and stream depth), so a longer line is corrupt or not EVE; it is
/// skipped without buffering more than this.
pub const MAX_LINE_LEN: usize = 64 * 1024 * 1024;

/// How many application fields are remembered per flow for enrichment, and the longest value
/// kept (longer ones are cut at a character boundary). With [`WINDOW_RECORDS`] flows remembered
/// this bounds the enrichment map to about 4096 × 12 × 1 KiB = 48 MiB in the worst case.
pub const ENRICH_MAX_FIELDS: usize = 12;
pub const ENRICH_MAX_VALUE: usize = 1024;

/// Line buffers kept for reuse, and the largest capacity worth keeping: a pool of small buffers
/// avoids one allocation per held alert, without pinning the memory of a rare huge line.
const POOL_MAX: usize = 64;
const POOL_KEEP_CAPACITY: usize = 64 * 1024;

/// Valid JSON that is not an EVE record: it has no `event_type`.
pub const SKIP_NO_EVENT_TYPE: SkipReason = SkipReason("eve_no_event_type");
/// A line longer than [`MAX_LINE_LEN`].
pub const SKIP_LINE_TOO_LONG: SkipReason = SkipReason("line_too_long");
/// A line that is not UTF-8 (JSON text must be).
pub const SKIP_INVALID_UTF8: SkipReason = SkipReason("invalid_utf8");

/// Reads EVE JSON lines from `input` into `sink`.
pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    read_with(input, ctx, sink, Limits::DEFAULT)
}

/// The bounds of one read; tests shrink them.
#[derive(Clone, Copy, Debug)]
struct Limits {
    window: u64,
    pending_bytes: usize,
    line_len: usize,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        window: WINDOW_RECORDS,
        pending_bytes: MAX_PENDING_BYTES,
        line_len: MAX_LINE_LEN,
    };
}

fn read_with(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
    limits: Limits,
) -> Result<(), ReadError> {
    let mut state = State::new(ctx.path, limits);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut line_no: u64 = 0;
    loop {
        let got = read_line(input, &mut buf, limits.line_len).map_err(|source| ReadError::Io {
            path: ctx.path.to_string(),
            source,
        })?;
        line_no += 1;
        let at = |line_no| Provenance {
            path: Cow::Borrowed(ctx.path),
            location: Location::Line(line_no),
        };
        match got {
            LineRead::Eof => break,
            LineRead::TooLong => {
                state.seq += 1;
                let detail = format!("line {line_no}: longer than {} bytes", limits.line_len);
                check(sink.skipped(SKIP_LINE_TOO_LONG, &at(line_no), Some(&detail)))?;
            }
            LineRead::Line => {
                let mut bytes = buf.as_slice();
                if let Some(b'\r') = bytes.last() {
                    bytes = &bytes[..bytes.len() - 1];
                }
                if line_no == 1 {
                    bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                }
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                state.seq += 1;
                match std::str::from_utf8(bytes) {
                    Ok(text) => state.on_line(line_no, text, sink)?,
                    Err(e) => {
                        let detail = format!("line {line_no}: {e}");
                        check(sink.skipped(SKIP_INVALID_UTF8, &at(line_no), Some(&detail)))?;
                    }
                }
            }
        }
        state.flush(false, sink)?;
        state.forget_old_flows();
    }
    state.flush(true, sink)
}

fn check(flow: Flow) -> Result<(), ReadError> {
    match flow {
        Flow::Continue => Ok(()),
        Flow::Stop => Err(ReadError::Stopped),
    }
}

enum LineRead {
    Eof,
    Line,
    TooLong,
}

/// Reads one line (without its `\n`) into `buf`. A line longer than `max` is consumed to its end
/// but not kept.
fn read_line(input: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<LineRead> {
    buf.clear();
    let mut any = false;
    let mut too_long = false;
    loop {
        let avail = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => LineRead::Eof,
                (true, true) => LineRead::TooLong,
                (true, false) => LineRead::Line,
            });
        }
        any = true;
        let (chunk, used, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (&avail[..i], i + 1, true),
            None => (avail, avail.len(), false),
        };
        if !too_long {
            if buf.len() + chunk.len() > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        input.consume(used);
        if done {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}

/// An alert line held back for enrichment.
struct Pending {
    line_no: u64,
    seq: u64,
    flow_id: Option<u64>,
    text: String,
}

/// What later or earlier records told about one flow.
#[derive(Default)]
struct Enrichment {
    /// The record sequence number of the last record of this flow (or alert on it).
    last_seen: u64,
    /// The flow record has been read: nothing more is expected.
    ended: bool,
    pkts_toserver: Option<u64>,
    pkts_toclient: Option<u64>,
    bytes_toserver: Option<u64>,
    bytes_toclient: Option<u64>,
    state: Option<String>,
    app_proto: Option<String>,
    fields: Vec<(&'static str, String)>,
}

impl Enrichment {
    fn add_field(&mut self, key: &'static str, value: &str) {
        if self.fields.len() >= ENRICH_MAX_FIELDS || self.fields.iter().any(|(k, _)| *k == key) {
            return;
        }
        let mut end = value.len().min(ENRICH_MAX_VALUE);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        self.fields.push((key, value[..end].to_string()));
    }
}

struct State<'p> {
    path: &'p str,
    limits: Limits,
    /// Sequence number of the current record (non-blank lines counted from 1).
    seq: u64,
    queue: VecDeque<Pending>,
    queued_bytes: usize,
    pool: Vec<String>,
    flows: HashMap<u64, Enrichment>,
    /// `(flow_id, seq)` in the order flows were last touched; stale entries are skipped. Each
    /// record pushes at most one, and entries older than the window are popped, so its length is
    /// bounded by the window.
    touched: VecDeque<(u64, u64)>,
}

impl<'p> State<'p> {
    fn new(path: &'p str, limits: Limits) -> Self {
        State {
            path,
            limits,
            seq: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            pool: Vec::new(),
            flows: HashMap::new(),
            touched: VecDeque::new(),
        }
    }

    fn at(&self, line_no: u64) -> Provenance<'p> {
        Provenance {
            path: Cow::Borrowed(self.path),
            location: Location::Line(line_no),
        }
    }

    fn on_line(&mut self, line_no: u64, text: &str, sink: &mut dyn Sink) -> Result<(), ReadError> {
        let rec: Record<'_> = match serde_json::from_str(text) {
            Ok(r) => r,
            Err(e) => return self.on_unreadable(line_no, text, e, sink),
        };
        let Some(event_type) = rec.event_type.0.clone() else {
            let detail = format!("line {line_no}: no event_type");
            return check(sink.skipped(SKIP_NO_EVENT_TYPE, &self.at(line_no), Some(&detail)));
        };
        if event_type == "alert" {
            return self.on_alert(line_no, text, rec, sink);
        }
        if let Some(flow_id) = rec.flow_id.0 {
            if matches!(
                event_type.as_ref(),
                "flow" | "http" | "dns" | "tls" | "smb" | "mdns"
            ) {
                let seq = self.seq;
                let entry = self.touch(flow_id, seq);
                remember(entry, &event_type, &rec);
            }
        }
        let event = context_event(self.at(line_no), event_type, rec);
        check(sink.context(event))
    }

    /// A line serde could not read into a record: not JSON at all, or JSON of another shape.
    fn on_unreadable(
        &mut self,
        line_no: u64,
        text: &str,
        err: serde_json::Error,
        sink: &mut dyn Sink,
    ) -> Result<(), ReadError> {
        let at = self.at(line_no);
        let detail = format!("line {line_no}: {err}");
        if !matches!(err.classify(), serde_json::error::Category::Data) {
            return check(sink.skipped(SkipReason::NOT_JSON, &at, Some(&detail)));
        }
        // Valid JSON the record type rejected (not an object, or a field written twice): look
        // for the event type alone.
        match serde_json::from_str::<TypeOnly<'_>>(text) {
            Ok(TypeOnly {
                event_type: Str(Some(t)),
            }) => {
                if t == "alert" {
                    check(sink.skipped(SkipReason::MALFORMED_ALERT, &at, Some(&detail)))
                } else {
                    let mut event = ContextEvent::new(at, context_kind(&t));
                    event.subtype = Some(t);
                    check(sink.context(event))
                }
            }
            _ => check(sink.skipped(SKIP_NO_EVENT_TYPE, &at, Some(&detail))),
        }
    }

    fn on_alert(
        &mut self,
        line_no: u64,
        text: &str,
        rec: Record<'_>,
        sink: &mut dyn Sink,
    ) -> Result<(), ReadError> {
        if rec.alert.0.is_none() {
            let detail = format!("line {line_no}: alert record without an `alert` object");
            return check(sink.skipped(
                SkipReason::MALFORMED_ALERT,
                &self.at(line_no),
                Some(&detail),
            ));
        }
        let flow_id = rec.flow_id.0;
        let seq = self.seq;
        let ended = match flow_id {
            Some(id) => self.touch(id, seq).ended,
            None => true,
        };
        if self.queue.is_empty() && ended {
            let mut alert = build_alert(self.at(line_no), text, rec);
            if let Some(e) = flow_id.and_then(|id| self.flows.get(&id)) {
                enrich(&mut alert, e);
            }
            return check(sink.alert(alert));
        }
        let mut held = self.pool.pop().unwrap_or_default();
        held.push_str(text);
        self.queued_bytes += held.len();
        self.queue.push_back(Pending {
            line_no,
            seq,
            flow_id,
            text: held,
        });
        Ok(())
    }

    fn touch(&mut self, flow_id: u64, seq: u64) -> &mut Enrichment {
        self.touched.push_back((flow_id, seq));
        let e = self.flows.entry(flow_id).or_default();
        e.last_seen = seq;
        e
    }

    /// Emits held alerts from the front of the queue while they are due: their flow ended, they
    /// left the window, the byte budget is exceeded, or the input ended.
    fn flush(&mut self, at_end: bool, sink: &mut dyn Sink) -> Result<(), ReadError> {
        while let Some(front) = self.queue.front() {
            let ended = front
                .flow_id
                .and_then(|id| self.flows.get(&id))
                .is_none_or(|e| e.ended);
            let due = at_end
                || ended
                || self.seq.saturating_sub(front.seq) >= self.limits.window
                || self.queued_bytes > self.limits.pending_bytes;
            if !due {
                break;
            }
            let Some(p) = self.queue.pop_front() else {
                break;
            };
            self.queued_bytes -= p.text.len();
            let result = self.emit_held(&p, sink);
            self.recycle(p.text);
            result?;
        }
        Ok(())
    }

    fn emit_held(&self, p: &Pending, sink: &mut dyn Sink) -> Result<(), ReadError> {
        // The line was read as a record when it arrived; reading it again cannot fail, but a
        // failure is still reported rather than assumed away.
        match serde_json::from_str::<Record<'_>>(&p.text) {
            Ok(rec) => {
                let mut alert = build_alert(self.at(p.line_no), &p.text, rec);
                if let Some(e) = p.flow_id.and_then(|id| self.flows.get(&id)) {
                    enrich(&mut alert, e);
                }
                check(sink.alert(alert))
            }
            Err(e) => {
                let detail = format!("line {}: {e}", p.line_no);
                check(sink.skipped(
                    SkipReason::MALFORMED_ALERT,
                    &self.at(p.line_no),
                    Some(&detail),
                ))
            }
        }
    }

    fn recycle(&mut self, mut s: String) {
        if self.pool.len() < POOL_MAX && s.capacity() <= POOL_KEEP_CAPACITY {
            s.clear();
            self.pool.push(s);
        }
    }

    /// Forgets flows not seen within the window. Held alerts touched their flow when read and
    /// leave the queue within the window, so no held alert loses its enrichment.
    fn forget_old_flows(&mut self) {
        while let Some(&(id, seen)) = self.touched.front() {
            if self.seq.saturating_sub(seen) <= self.limits.window {
                break;
            }
            self.touched.pop_front();
            if self.flows.get(&id).is_some_and(|e| e.last_seen == seen) {
                self.flows.remove(&id);
            }
        }
    }
}

/// Stores what a non-alert record tells about its flow.
fn remember(entry: &mut Enrichment, event_type: &str, rec: &Record<'_>) {
    if event_type == "flow" {
        entry.ended = true;
        if let Some(f) = &rec.flow.0 {
            entry.pkts_toserver = f.pkts_toserver.0;
            entry.pkts_toclient = f.pkts_toclient.0;
            entry.bytes_toserver = f.bytes_toserver.0;
            entry.bytes_toclient = f.bytes_toclient.0;
            if let Some(s) = &f.state.0 {
                entry.state = Some(s.to_string());
            }
        }
    }
    if entry.app_proto.is_none() {
        if let Some(p) = &rec.app_proto.0 {
            entry.app_proto = Some(p.to_string());
        }
    }
    app_fields(rec, &mut |k, v| entry.add_field(k, &v));
}

/// Adds what the flow's other records told and the alert lacks.
fn enrich(alert: &mut Alert<'_>, e: &Enrichment) {
    for (k, v) in &e.fields {
        if alert.app.get(k).is_none() {
            alert.app.push(*k, Cow::Owned(v.clone()));
        }
    }
    if alert.app_proto.is_none() {
        if let Some(p) = &e.app_proto {
            alert.app_proto = Some(Cow::Owned(p.clone()));
        }
    }
    if e.ended {
        let flow = alert.flow.get_or_insert_with(FlowInfo::default);
        // The flow record's counters are the totals at the end of the flow, the alert's only
        // those up to the alerting packet.
        flow.pkts_toserver = e.pkts_toserver.or(flow.pkts_toserver);
        flow.pkts_toclient = e.pkts_toclient.or(flow.pkts_toclient);
        flow.bytes_toserver = e.bytes_toserver.or(flow.bytes_toserver);
        flow.bytes_toclient = e.bytes_toclient.or(flow.bytes_toclient);
        if let Some(s) = &e.state {
            flow.state = Some(Cow::Owned(s.clone()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Turning records into the model
// ---------------------------------------------------------------------------------------------

/// base64 as Suricata writes it, accepting missing padding as well.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn build_alert<'a>(source: Provenance<'a>, text: &'a str, rec: Record<'a>) -> Alert<'a> {
    let mut alert = Alert::new(source, InputFormat::Eve, timestamp(rec.timestamp.0.clone()));
    app_fields(&rec, &mut |k, v| alert.app.push(k, v));
    let Record {
        flow_id,
        src_ip,
        src_port,
        dest_ip,
        dest_port,
        proto,
        icmp_type,
        icmp_code,
        app_proto,
        direction,
        tx_id,
        community_id,
        alert: body,
        flow,
        payload,
        payload_printable,
        packet,
        packet_info,
        stream,
        ..
    } = rec;
    if let Some(a) = body.0 {
        alert.gid = a.gid.u32().unwrap_or(1);
        alert.sid = a.signature_id.u32();
        alert.rev = a.rev.u32();
        alert.msg = a.signature.0.filter(|s| !s.is_empty());
        alert.classification = a.category.0.filter(|s| !s.is_empty());
        alert.priority = a.severity.u32();
        alert.action = a.action.0;
        alert.metadata = a.metadata.0;
        alert.rule = a.rule.0;
    }
    if let Some(p) = proto.0 {
        match IpProto::from_name(&p) {
            Some(n) => alert.proto = Some(n),
            None => alert.proto_text = Some(p),
        }
    }
    if let Some(ip) = src_ip.0 {
        alert.src = endpoint(ip, src_port.u16());
    }
    if let Some(ip) = dest_ip.0 {
        alert.dest = endpoint(ip, dest_port.u16());
    }
    alert.ip.icmp_type = icmp_type.0.and_then(|v| u8::try_from(v).ok());
    alert.ip.icmp_code = icmp_code.0.and_then(|v| u8::try_from(v).ok());
    alert.app_proto = app_proto.0;
    alert.direction = direction.0.and_then(|d| match d.as_ref() {
        "to_server" | "toserver" => Some(Direction::ToServer),
        "to_client" | "toclient" => Some(Direction::ToClient),
        _ => None,
    });
    if let Some(f) = flow.0 {
        alert.flow = Some(FlowInfo {
            flow_id: flow_id.0,
            pkts_toserver: f.pkts_toserver.0,
            pkts_toclient: f.pkts_toclient.0,
            bytes_toserver: f.bytes_toserver.0,
            bytes_toclient: f.bytes_toclient.0,
            start: f.start.0,
            state: f.state.0,
            ..FlowInfo::default()
        });
    } else if flow_id.0.is_some() {
        alert.flow = Some(FlowInfo {
            flow_id: flow_id.0,
            ..FlowInfo::default()
        });
    }
    if let Some(t) = tx_id.0 {
        alert.app.push("tx_id", Cow::Owned(t.to_string()));
    }
    if let Some(c) = community_id.0 {
        alert.app.push("community_id", c);
    }
    if let Some(s) = stream.0 {
        alert.app.push("stream", Cow::Owned(s.to_string()));
    }
    match payload.0 {
        Some(b64) => match BASE64.decode(b64.as_bytes()) {
            Ok(bytes) => alert.payload = Some(Cow::Owned(bytes)),
            Err(_) => alert.app.push("decode_error", "payload"),
        },
        None => {
            if let Some(p) = payload_printable.0 {
                alert.payload = Some(match p {
                    Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                    Cow::Owned(s) => Cow::Owned(s.into_bytes()),
                });
                alert.app.push("payload.source", "printable");
            }
        }
    }
    if let Some(b64) = packet.0 {
        match BASE64.decode(b64.as_bytes()) {
            Ok(bytes) => {
                let linktype = packet_info
                    .0
                    .and_then(|i| i.linktype.0)
                    .and_then(|l| u32::try_from(l).ok())
                    .unwrap_or(1);
                alert.packet = Some(Packet {
                    bytes: Cow::Owned(bytes),
                    linktype,
                });
            }
            Err(_) => alert.app.push("decode_error", "packet"),
        }
    }
    alert.original = Some(Original::Json(Cow::Borrowed(text)));
    alert
}

fn context_event<'a>(
    source: Provenance<'a>,
    event_type: Cow<'a, str>,
    rec: Record<'a>,
) -> ContextEvent<'a> {
    let mut event = ContextEvent::new(source, context_kind(&event_type));
    let mut fields = Vec::new();
    app_fields(&rec, &mut |k, v| fields.push((Cow::Borrowed(k), v)));
    if let Some(f) = &rec.flow.0 {
        if event_type == "flow" {
            let counters = [
                ("flow.pkts_toserver", f.pkts_toserver.0),
                ("flow.pkts_toclient", f.pkts_toclient.0),
                ("flow.bytes_toserver", f.bytes_toserver.0),
                ("flow.bytes_toclient", f.bytes_toclient.0),
            ];
            for (k, v) in counters {
                if let Some(v) = v {
                    fields.push((Cow::Borrowed(k), Cow::Owned(v.to_string())));
                }
            }
            if let Some(s) = &f.state.0 {
                fields.push((Cow::Borrowed("flow.state"), s.clone()));
            }
        }
    }
    if let Some(p) = rec.app_proto.0 {
        fields.push((Cow::Borrowed("app_proto"), p));
    }
    event.fields = fields;
    event.timestamp = rec.timestamp.0.map(|t| timestamp(Some(t)));
    event.proto = rec.proto.0.as_deref().and_then(IpProto::from_name);
    event.src = rec.src_ip.0.map(|ip| endpoint(ip, rec.src_port.u16()));
    event.dest = rec.dest_ip.0.map(|ip| endpoint(ip, rec.dest_port.u16()));
    event.flow_key = rec.flow_id.0.map(|id| Cow::Owned(id.to_string()));
    event.subtype = Some(event_type);
    event
}

/// The context kind of a non-alert event type.
fn context_kind(event_type: &str) -> ContextKind {
    const KNOWN: [(&str, ContextKind); 30] = [
        ("flow", ContextKind::EVE_FLOW),
        ("netflow", ContextKind("eve_netflow")),
        ("http", ContextKind("eve_http")),
        ("http2", ContextKind("eve_http2")),
        ("dns", ContextKind("eve_dns")),
        ("mdns", ContextKind("eve_mdns")),
        ("tls", ContextKind("eve_tls")),
        ("quic", ContextKind("eve_quic")),
        ("ssh", ContextKind("eve_ssh")),
        ("smb", ContextKind("eve_smb")),
        ("dcerpc", ContextKind("eve_dcerpc")),
        ("nfs", ContextKind("eve_nfs")),
        ("krb5", ContextKind("eve_krb5")),
        ("smtp", ContextKind("eve_smtp")),
        ("ftp", ContextKind("eve_ftp")),
        ("ftp_data", ContextKind("eve_ftp_data")),
        ("tftp", ContextKind("eve_tftp")),
        ("dhcp", ContextKind("eve_dhcp")),
        ("snmp", ContextKind("eve_snmp")),
        ("sip", ContextKind("eve_sip")),
        ("rdp", ContextKind("eve_rdp")),
        ("rfb", ContextKind("eve_rfb")),
        ("ike", ContextKind("eve_ike")),
        ("mqtt", ContextKind("eve_mqtt")),
        ("modbus", ContextKind("eve_modbus")),
        ("fileinfo", ContextKind("eve_fileinfo")),
        ("anomaly", ContextKind("eve_anomaly")),
        ("drop", ContextKind("eve_drop")),
        ("stats", ContextKind("eve_stats")),
        ("frame", ContextKind("eve_frame")),
    ];
    KNOWN
        .iter()
        .find(|(name, _)| *name == event_type)
        .map_or(ContextKind::EVE_OTHER, |(_, k)| *k)
}

/// Calls `f` with each application-layer field the record carries, keyed by its EVE name.
fn app_fields<'a>(rec: &Record<'a>, f: &mut dyn FnMut(&'static str, Cow<'a, str>)) {
    let mut s = |key: &'static str, v: &Str<'a>| {
        if let Some(v) = &v.0 {
            f(key, v.clone());
        }
    };
    if let Some(h) = &rec.http.0 {
        s("http.hostname", &h.hostname);
        s("http.url", &h.url);
        s("http.http_method", &h.http_method);
        s("http.status", &h.status.as_text());
        s("http.http_user_agent", &h.http_user_agent);
        s("http.http_content_type", &h.http_content_type);
        s("http.protocol", &h.protocol);
        s("http.http_refer", &h.http_refer);
        s("http.length", &h.length.as_text());
    }
    for (prefix, d) in [("dns", &rec.dns.0), ("mdns", &rec.mdns.0)] {
        let Some(d) = d else { continue };
        // v1 (Suricata 4-6 records) and v2 write `rrname` at the top; v3 (Suricata 7-8)
        // records use `queries`, alerts up to 7 use `query`, answers `answers` or `answer`.
        let first = [&d.queries.0, &d.query.0, &d.answer.0, &d.answers.0];
        let rrname = d
            .rrname
            .0
            .clone()
            .or_else(|| first.iter().find_map(|q| q.as_ref()?.rrname.0.clone()));
        let rrtype = d
            .rrtype
            .0
            .clone()
            .or_else(|| first.iter().find_map(|q| q.as_ref()?.rrtype.0.clone()));
        let kind = d
            .kind
            .0
            .clone()
            .or_else(|| first.iter().find_map(|q| q.as_ref()?.kind.0.clone()));
        let (k_name, k_type, k_kind) = if prefix == "dns" {
            ("dns.rrname", "dns.rrtype", "dns.type")
        } else {
            ("mdns.rrname", "mdns.rrtype", "mdns.type")
        };
        s(k_name, &Str(rrname));
        s(k_type, &Str(rrtype));
        s(k_kind, &Str(kind));
    }
    if let Some(t) = &rec.tls.0 {
        s("tls.sni", &t.sni);
        s("tls.version", &t.version);
        s("tls.subject", &t.subject);
        s("tls.issuerdn", &t.issuerdn);
    }
    if let Some(m) = &rec.smb.0 {
        s("smb.command", &m.command);
        s("smb.filename", &m.filename);
        s("smb.share", &m.share);
    }
}

fn endpoint(ip: Cow<'_, str>, port: Option<u16>) -> Endpoint<'_> {
    let host = match ip {
        Cow::Borrowed(s) => Host::parse(s),
        Cow::Owned(s) => Host::parse(&s).into_owned(),
    };
    Endpoint { host, port }
}

fn timestamp(raw: Option<Cow<'_, str>>) -> Timestamp<'_> {
    let Some(raw) = raw else {
        return Timestamp::unparsed("");
    };
    match parse_time(&raw) {
        Some((micros, offset)) => Timestamp {
            raw,
            unix_micros: Some(micros),
            utc_offset_secs: offset,
            year_source: YearSource::Written,
        },
        None => Timestamp {
            raw,
            unix_micros: None,
            utc_offset_secs: None,
            year_source: YearSource::Unknown,
        },
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HHMM|±HH:MM]` into microseconds since the epoch (UTC)
/// and the written offset in seconds.
fn parse_time(s: &str) -> Option<(i64, Option<i32>)> {
    fn num(s: &str, r: std::ops::Range<usize>) -> Option<u32> {
        let d = s.get(r)?;
        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        d.parse().ok()
    }
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = i32::try_from(num(s, 0..4)?).ok()?;
    let (mo, d, h, mi, sec) = (
        num(s, 5..7)?,
        num(s, 8..10)?,
        num(s, 11..13)?,
        num(s, 14..16)?,
        num(s, 17..19)?,
    );
    let mut rest = &s[19..];
    let mut micros = 0;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        micros = fraction_to_micros(&r[..n])?;
        rest = &r[n..];
    }
    let offset = match rest.as_bytes() {
        [] => None,
        [b'Z'] => Some(0),
        [sign @ (b'+' | b'-'), ..] => {
            let z = &rest[1..];
            let (hh, mm) = match z.len() {
                4 => (num(z, 0..2)?, num(z, 2..4)?),
                5 if z.as_bytes()[2] == b':' => (num(z, 0..2)?, num(z, 3..5)?),
                2 => (num(z, 0..2)?, 0),
                _ => return None,
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            let secs = i32::try_from(hh * 3600 + mm * 60).ok()?;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => return None,
    };
    let local = micros_from_parts(year, mo, d, h, mi, sec, micros)?;
    Some((local - i64::from(offset.unwrap_or(0)) * 1_000_000, offset))
}

// ---------------------------------------------------------------------------------------------
// The record as serde reads it
// ---------------------------------------------------------------------------------------------

/// One EVE record: the fields fpx uses, all optional. Unknown fields are ignored.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(borrow)]
    timestamp: Str<'a>,
    #[serde(borrow)]
    event_type: Str<'a>,
    flow_id: Num,
    #[serde(borrow)]
    src_ip: Str<'a>,
    src_port: Num,
    #[serde(borrow)]
    dest_ip: Str<'a>,
    dest_port: Num,
    #[serde(borrow)]
    proto: Str<'a>,
    icmp_type: Num,
    icmp_code: Num,
    #[serde(borrow)]
    app_proto: Str<'a>,
    #[serde(borrow)]
    direction: Str<'a>,
    tx_id: Num,
    #[serde(borrow)]
    community_id: Str<'a>,
    #[serde(borrow)]
    alert: Obj<AlertBody<'a>>,
    #[serde(borrow)]
    flow: Obj<FlowBody<'a>>,
    #[serde(borrow)]
    payload: Str<'a>,
    #[serde(borrow)]
    payload_printable: Str<'a>,
    #[serde(borrow)]
    packet: Str<'a>,
    packet_info: Obj<PacketInfo>,
    stream: Num,
    #[serde(borrow)]
    http: Obj<Http<'a>>,
    #[serde(borrow)]
    dns: Obj<Dns<'a>>,
    #[serde(borrow)]
    mdns: Obj<Dns<'a>>,
    #[serde(borrow)]
    tls: Obj<Tls<'a>>,
    #[serde(borrow)]
    smb: Obj<Smb<'a>>,
}

/// Only the event type, for records the full type rejected.
#[derive(Deserialize, Default)]
#[serde(default)]
struct TypeOnly<'a> {
    #[serde(borrow)]
    event_type: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AlertBody<'a> {
    #[serde(borrow)]
    action: Str<'a>,
    gid: Num,
    signature_id: Num,
    rev: Num,
    #[serde(borrow)]
    signature: Str<'a>,
    #[serde(borrow)]
    category: Str<'a>,
    severity: Num,
    #[serde(borrow)]
    metadata: Metadata<'a>,
    #[serde(borrow)]
    rule: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FlowBody<'a> {
    pkts_toserver: Num,
    pkts_toclient: Num,
    bytes_toserver: Num,
    bytes_toclient: Num,
    #[serde(borrow)]
    start: Str<'a>,
    #[serde(borrow)]
    state: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PacketInfo {
    linktype: Num,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Http<'a> {
    #[serde(borrow)]
    hostname: Str<'a>,
    #[serde(borrow)]
    url: Str<'a>,
    #[serde(borrow)]
    http_method: Str<'a>,
    status: Num,
    #[serde(borrow)]
    http_user_agent: Str<'a>,
    #[serde(borrow)]
    http_content_type: Str<'a>,
    #[serde(borrow)]
    protocol: Str<'a>,
    #[serde(borrow)]
    http_refer: Str<'a>,
    length: Num,
}

/// DNS in any of its EVE shapes (v1, v2, v3; records and alerts); mDNS uses the same.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Dns<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow)]
    rrname: Str<'a>,
    #[serde(borrow)]
    rrtype: Str<'a>,
    #[serde(borrow)]
    queries: First<DnsEntry<'a>>,
    #[serde(borrow)]
    query: First<DnsEntry<'a>>,
    #[serde(borrow)]
    answers: First<DnsEntry<'a>>,
    #[serde(borrow)]
    answer: First<DnsEntry<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DnsEntry<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow)]
    rrname: Str<'a>,
    #[serde(borrow)]
    rrtype: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tls<'a> {
    #[serde(borrow)]
    sni: Str<'a>,
    #[serde(borrow)]
    version: Str<'a>,
    #[serde(borrow)]
    subject: Str<'a>,
    #[serde(borrow)]
    issuerdn: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Smb<'a> {
    #[serde(borrow)]
    command: Str<'a>,
    #[serde(borrow)]
    filename: Str<'a>,
    #[serde(borrow)]
    share: Str<'a>,
}

/// Text, borrowed from the line unless JSON escapes forced a copy; any other JSON value reads
/// as absent.
#[derive(Clone, Debug, Default)]
struct Str<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Str<'a>, A::Error> {
                drain_seq(seq).map(|()| Str(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Str<'a>, A::Error> {
                drain_map(map).map(|()| Str(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A non-negative integer, also when written as a string; any other JSON value reads as absent.
#[derive(Clone, Copy, Debug, Default)]
struct Num(Option<u64>);

impl Num {
    fn u32(self) -> Option<u32> {
        self.0.and_then(|v| u32::try_from(v).ok())
    }

    fn u16(self) -> Option<u16> {
        self.0.and_then(|v| u16::try_from(v).ok())
    }

    fn as_text(self) -> Str<'static> {
        Str(self.0.map(|v| Cow::Owned(v.to_string())))
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                let ok = v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64;
                Ok(Num(ok.then_some(v as u64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                Ok(Num(v.trim().parse().ok()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Num, A::Error> {
                drain_seq(seq).map(|()| Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Num, A::Error> {
                drain_map(map).map(|()| Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A nested object; a value that is not an object reads as absent.
struct Obj<T>(Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData)).map(Obj)
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        drain_seq(seq).map(|()| None)
    }
    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
}

/// The first object of an array (or a lone object); the rest is skipped.
struct First<T>(Option<T>);

impl<T> Default for First<T> {
    fn default() -> Self {
        First(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
                let first = seq.next_element::<Obj<T>>()?.and_then(|o| o.0);
                drain_seq(seq)?;
                Ok(First(first))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<First<T>, A::Error> {
                ObjVisitor(PhantomData).visit_map(map).map(First)
            }
            fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<First<T>, E> {
                Ok(First(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `alert.metadata`: an object of arrays of strings, flattened to `(key, value)` pairs.
#[derive(Default)]
struct Metadata<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Metadata<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Metadata<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata<'a>, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Str<'a>>()? {
                    let values = map.next_value::<StrList<'a>>()?;
                    if let Some(k) = key.0 {
                        out.extend(values.0.into_iter().map(|v| (k.clone(), v)));
                    }
                }
                Ok(Metadata(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Metadata<'a>, A::Error> {
                drain_seq(seq).map(|()| Metadata::default())
            }
            fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Metadata<'a>, E> {
                Ok(Metadata::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Metadata<'a>, E> {
                Ok(Metadata::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Metadata<'a>, E> {
                Ok(Metadata::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Metadata<'a>, E> {
                Ok(Metadata::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Metadata<'a>, E> {
                Ok(Metadata::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Metadata<'a>, E> {
                Ok(Metadata::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Metadata<'a>, E> {
                Ok(Metadata::default())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// An array of strings, or a lone string; other values are left out.
struct StrList<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for StrList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = StrList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrList<'a>, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Str<'a>>()? {
                    out.extend(s.0);
                }
                Ok(StrList(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StrList<'a>, A::Error> {
                drain_map(map).map(|()| StrList(Vec::new()))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<StrList<'a>, E> {
                Ok(StrList(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrList<'a>, E> {
                Ok(StrList(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<StrList<'a>, E> {
                Ok(StrList(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<StrList<'a>, E> {
                Ok(StrList(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<StrList<'a>, E> {
                Ok(StrList(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<StrList<'a>, E> {
                Ok(StrList(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<StrList<'a>, E> {
                Ok(StrList(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}
