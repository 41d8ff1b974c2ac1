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
use std::io::BufRead;
use std::marker::PhantomData;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::input::logline::{read_line, LineRead};
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

/// Reads EVE JSON lines from a live input into `sink`, each alert as soon as it is read: its
/// flow record comes when the flow times out, too late for a live stream to wait for.
pub fn read_live(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let limits = Limits {
        window: 0,
        ..Limits::DEFAULT
    };
    read_with(input, ctx, sink, limits)
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
                        let detail = format!(
                            "line {line_no}: {e}; the bytes were replaced with U+FFFD and the record kept"
                        );
                        sink.repaired(super::REPAIRED_UTF8, &at(line_no), &detail);
                        let text = String::from_utf8_lossy(bytes);
                        state.on_line(line_no, &text, sink)?;
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

/// An alert held back for enrichment, read in full when it arrived (it owns its line as its
/// original, so the sink's owned copy of it is a move).
struct Pending {
    seq: u64,
    flow_id: Option<u64>,
    /// What it counts against [`MAX_PENDING_BYTES`]: its line and its decoded bytes.
    bytes: usize,
    alert: Alert<'static>,
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
        // Every line is parsed once, alerts too: an alert that must wait for its flow's
        // records is built now and held as an owned `Alert` that owns its line. Checking and
        // indexing a held alert with a cheap parse first and reading it in full when it left
        // the queue parsed each held line twice; parsing once took `explain --format json
        // --threads 1` on the 64 MiB benchmark EVE (scripts/bench.sh) to 0.92x of its time.
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
        self.hold(line_no, text, rec, flow_id);
        Ok(())
    }

    /// Queues an alert. Its fields that borrow the line are copied once (as the sink's owned
    /// copy of any alert would copy them), and its line moves into it as its original.
    fn hold(&mut self, line_no: u64, text: &str, rec: Record<'_>, flow_id: Option<u64>) {
        let mut alert = build_alert(self.at(line_no), text, rec);
        alert.original = None;
        let mut alert = alert.into_owned();
        alert.original = Some(Original::Json(Cow::Owned(text.to_owned())));
        let bytes = text.len()
            + alert.payload.as_ref().map_or(0, |p| p.len())
            + alert.packet.as_ref().map_or(0, |p| p.bytes.len());
        self.queued_bytes += bytes;
        self.queue.push_back(Pending {
            seq: self.seq,
            flow_id,
            bytes,
            alert,
        });
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
            self.queued_bytes -= p.bytes;
            let mut alert = p.alert;
            if let Some(e) = p.flow_id.and_then(|id| self.flows.get(&id)) {
                enrich(&mut alert, e);
            }
            check(sink.alert(alert))?;
        }
        Ok(())
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
    alert.engine = Some(crate::model::Engine::Suricata);
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
    // Without `payload`, the packet's own payload is exact where `payload_printable` has lost
    // every unprintable byte. Not for stream alerts (`stream: 1`): their match was on the
    // reassembled stream, of which the logged packet is only the segment that completed it.
    let printable_only = alert.app.get("payload.source") == Some("printable");
    let stream_match = alert.app.get("stream") == Some("1");
    if let Some(pkt) = &alert.packet {
        let d = crate::decode::decode(crate::decode::LinkType(pkt.linktype), &pkt.bytes);
        // The logged packet's headers (TCP flags and sequence number above all, which tie
        // the alert to the rest of its stream); EVE writes none of them itself.
        let h = d.ip_header();
        alert.ip = crate::model::IpHeader {
            icmp_type: alert.ip.icmp_type.or(h.icmp_type),
            icmp_code: alert.ip.icmp_code.or(h.icmp_code),
            ..h
        };
        if (alert.payload.is_none() || printable_only) && !stream_match && !d.payload.is_empty() {
            alert.payload = Some(Cow::Owned(d.payload.to_vec()));
            alert.app.fields.retain(|(k, _)| k != "payload.source");
            alert.app.push("payload.source", "packet");
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

/// The visits of a lenient visitor for JSON scalars it does not want: each reads as `$absent`.
macro_rules! absent_scalars {
    ($ty:ty, $absent:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$ty, E> {
            Ok($absent)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$ty, E> {
            Ok($absent)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$ty, E> {
            Ok($absent)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$ty, E> {
            Ok($absent)
        }
        fn visit_unit<E: de::Error>(self) -> Result<$ty, E> {
            Ok($absent)
        }
    };
}

/// As [`absent_scalars`], for strings (borrowed and owned strings forward to `visit_str`).
macro_rules! absent_str {
    ($ty:ty, $absent:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$ty, E> {
            Ok($absent)
        }
    };
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
            absent_scalars!(Str<'a>, Str(None));
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
                let whole = v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64;
                Ok(Num(whole.then_some(v as u64)))
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
    absent_scalars!(Option<T>, None);
    absent_str!(Option<T>, None);
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
            absent_scalars!(First<T>, First(None));
            absent_str!(First<T>, First(None));
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
            absent_scalars!(Metadata<'a>, Metadata::default());
            absent_str!(Metadata<'a>, Metadata::default());
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
            absent_scalars!(StrList<'a>, StrList(Vec::new()));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What a sink saw, owned, in order.
    #[derive(Debug)]
    enum Got {
        Alert(Box<Seen>),
        Context {
            line: u64,
            kind: &'static str,
            subtype: Option<String>,
            flow_key: Option<String>,
            src: Option<String>,
            dest: Option<String>,
            proto: Option<IpProto>,
            micros: Option<i64>,
            fields: Vec<(String, String)>,
        },
        Skipped {
            line: u64,
            reason: &'static str,
            detail: String,
        },
    }

    /// The parts of an alert the tests look at.
    #[derive(Debug, Default)]
    struct Seen {
        line: u64,
        ts_raw: String,
        micros: Option<i64>,
        offset: Option<i32>,
        year_written: bool,
        gid: u32,
        sid: Option<u32>,
        rev: Option<u32>,
        msg: Option<String>,
        classification: Option<String>,
        priority: Option<u32>,
        action: Option<String>,
        proto: Option<IpProto>,
        proto_text: Option<String>,
        src: String,
        dest: String,
        src_port: Option<u16>,
        dest_port: Option<u16>,
        icmp: (Option<u8>, Option<u8>),
        payload: Option<Vec<u8>>,
        packet: Option<(Vec<u8>, u32)>,
        flow: Option<FlowInfo<'static>>,
        direction: Option<Direction>,
        app_proto: Option<String>,
        app: Vec<(String, String)>,
        metadata: Vec<(String, String)>,
        rule: Option<String>,
        original: Option<String>,
    }

    impl Seen {
        fn app(&self, key: &str) -> Option<&str> {
            self.app
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }
    }

    #[derive(Default)]
    struct Collect {
        got: Vec<Got>,
        stop_after: Option<usize>,
    }

    fn line_of(p: &Provenance<'_>) -> u64 {
        match p.location {
            Location::Line(n) => n,
            Location::Offset(_) => panic!("EVE records are located by line"),
        }
    }

    fn owned(s: &Option<Cow<'_, str>>) -> Option<String> {
        s.as_ref().map(|c| c.to_string())
    }

    impl Collect {
        fn flow(&self) -> Flow {
            match self.stop_after {
                Some(n) if self.got.len() >= n => Flow::Stop,
                _ => Flow::Continue,
            }
        }

        fn alerts(&self) -> Vec<&Seen> {
            self.got
                .iter()
                .filter_map(|g| match g {
                    Got::Alert(a) => Some(a.as_ref()),
                    _ => None,
                })
                .collect()
        }

        fn skipped(&self) -> Vec<(u64, &'static str, &str)> {
            self.got
                .iter()
                .filter_map(|g| match g {
                    Got::Skipped {
                        line,
                        reason,
                        detail,
                    } => Some((*line, *reason, detail.as_str())),
                    _ => None,
                })
                .collect()
        }
    }

    impl Sink for Collect {
        fn alert(&mut self, a: Alert<'_>) -> Flow {
            let flow = a.flow.as_ref().map(|f| FlowInfo {
                flow_id: f.flow_id,
                pkts_toserver: f.pkts_toserver,
                pkts_toclient: f.pkts_toclient,
                bytes_toserver: f.bytes_toserver,
                bytes_toclient: f.bytes_toclient,
                start: f.start.as_ref().map(|s| Cow::Owned(s.to_string())),
                state: f.state.as_ref().map(|s| Cow::Owned(s.to_string())),
                client: None,
                handshake_seen: f.handshake_seen,
            });
            let seen = Seen {
                line: line_of(&a.source),
                ts_raw: a.timestamp.raw.to_string(),
                micros: a.timestamp.unix_micros,
                offset: a.timestamp.utc_offset_secs,
                year_written: a.timestamp.year_source == YearSource::Written,
                gid: a.gid,
                sid: a.sid,
                rev: a.rev,
                msg: owned(&a.msg),
                classification: owned(&a.classification),
                priority: a.priority,
                action: owned(&a.action),
                proto: a.proto,
                proto_text: owned(&a.proto_text),
                src: a.src.host.to_string(),
                dest: a.dest.host.to_string(),
                src_port: a.src.port,
                dest_port: a.dest.port,
                icmp: (a.ip.icmp_type, a.ip.icmp_code),
                payload: a.payload.as_ref().map(|p| p.to_vec()),
                packet: a.packet.as_ref().map(|p| (p.bytes.to_vec(), p.linktype)),
                flow,
                direction: a.direction,
                app_proto: owned(&a.app_proto),
                app: a
                    .app
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                metadata: a
                    .metadata
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                rule: owned(&a.rule),
                original: match &a.original {
                    Some(Original::Json(j)) => Some(j.to_string()),
                    _ => None,
                },
            };
            self.got.push(Got::Alert(Box::new(seen)));
            self.flow()
        }

        fn context(&mut self, e: ContextEvent<'_>) -> Flow {
            self.got.push(Got::Context {
                line: line_of(&e.source),
                kind: e.kind.0,
                subtype: owned(&e.subtype),
                flow_key: owned(&e.flow_key),
                src: e.src.as_ref().map(|s| s.host.to_string()),
                dest: e.dest.as_ref().map(|s| s.host.to_string()),
                proto: e.proto,
                micros: e.timestamp.as_ref().and_then(|t| t.unix_micros),
                fields: e
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            });
            self.flow()
        }

        fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, d: Option<&str>) -> Flow {
            self.got.push(Got::Skipped {
                line: line_of(at),
                reason: reason.0,
                detail: d.unwrap_or("").to_string(),
            });
            self.flow()
        }
    }

    const CTX: ReadContext<'static> = ReadContext {
        path: "test.json",
        year: None,
        mtime_year: None,
    };

    fn run_with(text: &[u8], limits: Limits) -> Collect {
        let mut sink = Collect::default();
        let mut input = text;
        read_with(&mut input, &CTX, &mut sink, limits).unwrap();
        sink
    }

    fn run(text: &str) -> Collect {
        run_with(text.as_bytes(), Limits::DEFAULT)
    }

    fn one_alert(text: &str) -> Box<Seen> {
        let mut sink = run(text);
        assert_eq!(sink.got.len(), 1, "{:?}", sink.got);
        match sink.got.pop() {
            Some(Got::Alert(a)) => a,
            other => panic!("not an alert: {other:?}"),
        }
    }

    /// A Suricata 8 style alert with everything filled in (addresses from documentation ranges).
    const FULL_ALERT: &str = concat!(
        r#"{"timestamp":"2024-03-05T10:20:30.123456+0000","flow_id":1234567890123,"pcap_cnt":4,"#,
        r#""event_type":"alert","src_ip":"192.0.2.10","src_port":51515,"dest_ip":"198.51.100.7","#,
        r#""dest_port":80,"proto":"TCP","ip_v":4,"pkt_src":"wire/pcap","#,
        r#""community_id":"1:abcdefghijklmnopqrstuvwxyz0=","tx_id":2,"#,
        r#""alert":{"action":"allowed","gid":1,"signature_id":2000001,"rev":3,"#,
        r#""signature":"TEST web thing","category":"Attempted Information Leak","severity":2,"#,
        r#""metadata":{"created_at":["2020_01_01"],"deployment":["Perimeter","Internal"]},"#,
        r#""rule":"alert http any any -> any any (msg:\"TEST web thing\"; sid:2000001; rev:3;)"},"#,
        r#""http":{"hostname":"www.example.com","url":"/index.html","http_user_agent":"curl/8.0","#,
        r#""http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"#,
        r#""http_refer":"http://example.net/","length":42},"#,
        r#""app_proto":"http","direction":"to_server","#,
        r#""flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":300,"bytes_toclient":200,"#,
        r#""start":"2024-03-05T10:20:29.000001+0000","src_ip":"192.0.2.10","dest_ip":"198.51.100.7"},"#,
        r#""payload":"R0VUIC8gSFRUUC8xLjENCg==","payload_printable":"GET / HTTP/1.1\r\n","#,
        r#""stream":1,"packet":"AAECAwQF","packet_info":{"linktype":1,"linktype_name":"EN10MB"}}"#
    );

    #[test]
    fn the_packet_gives_exact_payload_bytes_when_payload_is_missing() {
        use base64::Engine;
        // Ethernet + IPv4 + UDP to 224.0.0.252:5355 carrying four bytes, one unprintable.
        let mut frame = vec![0x01, 0x00, 0x5e, 0, 0, 0xfc, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        frame.extend_from_slice(&[
            0x45, 0, 0, 32, 0, 1, 0, 0, 1, 17, 0, 0, 192, 0, 2, 9, 224, 0, 0, 252,
        ]);
        frame.extend_from_slice(&[0xce, 0x4e, 0x14, 0xeb, 0, 12, 0, 0, 0x32, 0x00, b'A', 0x07]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&frame);
        let line = format!(
            r#"{{"timestamp":"2024-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"192.0.2.9","src_port":52814,"dest_ip":"224.0.0.252","dest_port":5355,"proto":"UDP","alert":{{"gid":1,"signature_id":7,"rev":1,"signature":"t"}},"payload_printable":"2.A.","packet":"{b64}","packet_info":{{"linktype":1}}}}"#
        );
        let a = one_alert(&line);
        assert_eq!(a.payload.as_deref(), Some(&[0x32, 0x00, b'A', 0x07][..]));
        // A stream match: the packet is only the segment that completed the chunk.
        let stream = line.replace(
            r#""payload_printable""#,
            r#""stream":1,"payload_printable""#,
        );
        let a = one_alert(&stream);
        assert_eq!(a.payload.as_deref(), Some(&b"2.A."[..]));
    }

    #[test]
    fn a_full_suricata_8_alert() {
        let a = one_alert(FULL_ALERT);
        assert_eq!(a.line, 1);
        assert_eq!(a.ts_raw, "2024-03-05T10:20:30.123456+0000");
        let want = micros_from_parts(2024, 3, 5, 10, 20, 30, 123_456).unwrap();
        assert_eq!(a.micros, Some(want));
        assert_eq!(a.offset, Some(0));
        assert!(a.year_written);
        assert_eq!((a.gid, a.sid, a.rev), (1, Some(2_000_001), Some(3)));
        assert_eq!(a.msg.as_deref(), Some("TEST web thing"));
        assert_eq!(
            a.classification.as_deref(),
            Some("Attempted Information Leak")
        );
        assert_eq!(a.priority, Some(2));
        assert_eq!(a.action.as_deref(), Some("allowed"));
        assert_eq!(a.proto, Some(IpProto::TCP));
        assert_eq!(a.proto_text, None);
        assert_eq!((a.src.as_str(), a.src_port), ("192.0.2.10", Some(51515)));
        assert_eq!((a.dest.as_str(), a.dest_port), ("198.51.100.7", Some(80)));
        assert_eq!(a.payload.as_deref(), Some(&b"GET / HTTP/1.1\r\n"[..]));
        assert_eq!(a.app("payload.source"), None);
        assert_eq!(a.packet, Some((vec![0, 1, 2, 3, 4, 5], 1)));
        assert_eq!(a.app("stream"), Some("1"));
        assert_eq!(a.app("tx_id"), Some("2"));
        assert_eq!(
            a.app("community_id"),
            Some("1:abcdefghijklmnopqrstuvwxyz0=")
        );
        let f = a.flow.as_ref().unwrap();
        assert_eq!(f.flow_id, Some(1_234_567_890_123));
        assert_eq!((f.pkts_toserver, f.pkts_toclient), (Some(3), Some(2)));
        assert_eq!((f.bytes_toserver, f.bytes_toclient), (Some(300), Some(200)));
        assert_eq!(f.start.as_deref(), Some("2024-03-05T10:20:29.000001+0000"));
        assert_eq!(f.state, None);
        assert_eq!(a.direction, Some(Direction::ToServer));
        assert_eq!(a.app_proto.as_deref(), Some("http"));
        for (k, v) in [
            ("http.hostname", "www.example.com"),
            ("http.url", "/index.html"),
            ("http.http_method", "GET"),
            ("http.status", "200"),
            ("http.http_user_agent", "curl/8.0"),
            ("http.http_content_type", "text/html"),
            ("http.protocol", "HTTP/1.1"),
            ("http.http_refer", "http://example.net/"),
            ("http.length", "42"),
        ] {
            assert_eq!(a.app(k), Some(v), "{k}");
        }
        assert_eq!(
            a.metadata,
            [
                ("created_at", "2020_01_01"),
                ("deployment", "Perimeter"),
                ("deployment", "Internal")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert!(a.rule.as_deref().unwrap().starts_with("alert http any any"));
        assert_eq!(a.original.as_deref(), Some(FULL_ALERT));
    }

    #[test]
    fn timestamps_with_offsets() {
        let a = one_alert(
            r#"{"timestamp":"2011-08-12T14:52:57.716360+0200","event_type":"alert","alert":{"signature_id":1}}"#,
        );
        let local = micros_from_parts(2011, 8, 12, 14, 52, 57, 716_360).unwrap();
        assert_eq!(a.micros, Some(local - 7200 * 1_000_000));
        assert_eq!(a.offset, Some(7200));
        assert_eq!(
            parse_time("2022-07-12T06:09:52.602489-0000").unwrap().1,
            Some(0)
        );
        assert_eq!(
            parse_time("2020-01-01T00:00:00-0530").unwrap(),
            (
                micros_from_parts(2020, 1, 1, 5, 30, 0, 0).unwrap(),
                Some(-19_800)
            )
        );
        assert_eq!(
            parse_time("2020-01-01T00:00:00.5Z").unwrap(),
            (
                micros_from_parts(2020, 1, 1, 0, 0, 0, 500_000).unwrap(),
                Some(0)
            )
        );
        assert_eq!(
            parse_time("2020-01-01T00:00:00+01:00").unwrap().1,
            Some(3600)
        );
        for bad in [
            "",
            "2020-01-01",
            "2020-13-01T00:00:00+0000",
            "2020-01-01T00:00:00+2500",
            "2020-01-01T00:00:00.+0000",
            "2020-01-01T00:00:00 junk",
            "+020-01-01T00:00:00+0000",
            "2020-01-01T0+:00:00+0000",
            "2020-01-01T00:00:00+0é00",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        let a = one_alert(r#"{"timestamp":"yesterday","event_type":"alert","alert":{}}"#);
        assert_eq!((a.ts_raw.as_str(), a.micros), ("yesterday", None));
        assert!(!a.year_written);
    }

    #[test]
    fn printable_payload_only_when_base64_is_absent() {
        let a = one_alert(
            r#"{"event_type":"alert","alert":{"signature_id":1},"payload_printable":"GET /ind\n","packet":"xxx","packet_info":{"linktype":1}}"#,
        );
        assert_eq!(a.payload.as_deref(), Some(&b"GET /ind\n"[..]));
        assert_eq!(a.app("payload.source"), Some("printable"));
        // A packet that is not base64 (sanitised logs write "xxx") is an anomaly, not a failure.
        assert_eq!(a.packet, None);
        assert_eq!(a.app("decode_error"), Some("packet"));
        let a = one_alert(
            r#"{"event_type":"alert","alert":{"signature_id":1},"packet":"AAEC","packet_info":{"linktype":113}}"#,
        );
        assert_eq!(a.packet, Some((vec![0, 1, 2], 113)));
        let a = one_alert(r#"{"event_type":"alert","alert":{"signature_id":1},"packet":"AAEC"}"#);
        assert_eq!(a.packet.unwrap().1, 1, "linktype defaults to Ethernet");
        // Unpadded base64 is accepted as well.
        let a = one_alert(r#"{"event_type":"alert","alert":{"signature_id":1},"payload":"QUI"}"#);
        assert_eq!(a.payload.as_deref(), Some(&b"AB"[..]));
    }

    #[test]
    fn suricata_4_escaped_slashes() {
        let line = concat!(
            r#"{"timestamp":"2016-06-08T20:01:52.875791+0000","flow_id":8,"event_type":"alert","#,
            r#""src_ip":"203.0.113.5","src_port":80,"dest_ip":"10.0.0.2","dest_port":59908,"#,
            r#""proto":"TCP","alert":{"signature_id":5,"signature":"A \/ B"},"#,
            r#""http":{"url":"\/download\/x.com","http_user_agent":"curl\/7.43.0"},"#,
            r#""payload":"Lz9h\/w==","stream":0}"#
        );
        let a = one_alert(line);
        assert_eq!(a.msg.as_deref(), Some("A / B"));
        assert_eq!(a.app("http.url"), Some("/download/x.com"));
        assert_eq!(a.app("http.http_user_agent"), Some("curl/7.43.0"));
        assert_eq!(a.payload.as_deref(), Some(&[0x2f, 0x3f, 0x61, 0xff][..]));
        assert_eq!(a.app("stream"), Some("0"));
        assert_eq!(a.original.as_deref(), Some(line));
    }

    #[test]
    fn dns_in_each_shape() {
        // v1 record (Suricata 4-6): name and type at the top.
        let text = concat!(
            r#"{"flow_id":5,"event_type":"dns","src_ip":"10.0.0.1","src_port":1141,"dest_ip":"10.0.0.9","dest_port":53,"proto":"UDP","dns":{"type":"query","id":553,"rrname":"irc.example.net","rrtype":"A","tx_id":0}}"#,
            "\n",
            // v2 alert (Suricata 6-7): a `query` array.
            r#"{"event_type":"alert","alert":{"signature_id":1},"dns":{"query":[{"type":"query","id":1,"rrname":"a.example","rrtype":"TXT","tx_id":0}]}}"#,
            "\n",
            // v3 (Suricata 8): `queries`.
            r#"{"event_type":"alert","alert":{"signature_id":2},"dns":{"version":3,"type":"request","queries":[{"rrname":"b.example","rrtype":"AAAA"},{"rrname":"c.example","rrtype":"A"}]}}"#,
            "\n",
            // v2 answer object.
            r#"{"event_type":"alert","alert":{"signature_id":3},"dns":{"answer":{"version":2,"type":"answer","rrname":"d.example","rrtype":"MX","answers":[]}}}"#,
            "\n",
            // mDNS with only answers and a numeric rcode.
            r#"{"event_type":"alert","alert":{"signature_id":4},"mdns":{"type":"response","id":0,"flags":["aa"],"rcode":0,"answers":[{"rrname":"John\u2019s iMac._device-info._tcp.local","txt":["model=x"]}]}}"#,
            "\n"
        );
        let sink = run(text);
        match &sink.got[0] {
            Got::Context {
                kind,
                fields,
                flow_key,
                ..
            } => {
                assert_eq!(*kind, "eve_dns");
                assert_eq!(flow_key.as_deref(), Some("5"));
                let f = |k: &str| fields.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
                assert_eq!(f("dns.rrname").as_deref(), Some("irc.example.net"));
                assert_eq!(f("dns.rrtype").as_deref(), Some("A"));
                assert_eq!(f("dns.type").as_deref(), Some("query"));
            }
            other => panic!("{other:?}"),
        }
        let a = sink.alerts();
        assert_eq!(a[0].app("dns.rrname"), Some("a.example"));
        assert_eq!(a[0].app("dns.rrtype"), Some("TXT"));
        assert_eq!(a[0].app("dns.type"), Some("query"));
        assert_eq!(a[1].app("dns.rrname"), Some("b.example"));
        assert_eq!(a[1].app("dns.rrtype"), Some("AAAA"));
        assert_eq!(a[1].app("dns.type"), Some("request"));
        assert_eq!(a[2].app("dns.rrname"), Some("d.example"));
        assert_eq!(a[2].app("dns.rrtype"), Some("MX"));
        assert_eq!(
            a[3].app("mdns.rrname"),
            Some("John\u{2019}s iMac._device-info._tcp.local")
        );
        assert_eq!(a[3].app("mdns.type"), Some("response"));
        assert_eq!(a[3].app("mdns.rrtype"), None);
    }

    #[test]
    fn tls_and_smb_fields() {
        let a = one_alert(
            r#"{"event_type":"alert","alert":{"signature_id":1},"tls":{"subject":"CN=www.example.org","issuerdn":"CN=Test CA","sni":"example.com","version":"TLS 1.2","notafter":"2020-12-02T12:00:00"}}"#,
        );
        assert_eq!(a.app("tls.sni"), Some("example.com"));
        assert_eq!(a.app("tls.version"), Some("TLS 1.2"));
        assert_eq!(a.app("tls.subject"), Some("CN=www.example.org"));
        assert_eq!(a.app("tls.issuerdn"), Some("CN=Test CA"));
        let a = one_alert(
            r#"{"event_type":"alert","alert":{"signature_id":1},"smb":{"id":3,"dialect":"2.10","command":"SMB2_COMMAND_CREATE","status":"STATUS_SUCCESS","filename":"svcctl","share":"\\\\host\\IPC$"}}"#,
        );
        assert_eq!(a.app("smb.command"), Some("SMB2_COMMAND_CREATE"));
        assert_eq!(a.app("smb.filename"), Some("svcctl"));
        assert_eq!(a.app("smb.share"), Some(r"\\host\IPC$"));
    }

    #[test]
    fn empty_signature_icmp_ipv6_and_unknown_protocols() {
        let a = one_alert(concat!(
            r#"{"timestamp":"2018-09-11T12:35:07.436810+0000","flow_id":7482,"event_type":"alert","#,
            r#""src_ip":"2001:0db8:0001:0000:0000:0000:0000:0002","dest_ip":"ff02:0000:0000:0000:0000:0000:0000:00fb","#,
            r#""proto":"IPv6-ICMP","icmp_type":128,"icmp_code":0,"#,
            r#""alert":{"action":"allowed","gid":1,"signature_id":1,"rev":0,"signature":"","category":"","severity":3},"#,
            r#""direction":"toclient"}"#
        ));
        assert_eq!(a.msg, None);
        assert_eq!(a.classification, None);
        assert_eq!(a.proto, Some(IpProto::ICMPV6));
        assert_eq!(a.src, "2001:db8:1::2");
        assert_eq!(a.dest, "ff02::fb");
        assert_eq!((a.src_port, a.dest_port), (None, None));
        assert_eq!(a.icmp, (Some(128), Some(0)));
        assert_eq!(a.direction, Some(Direction::ToClient));
        assert_eq!(a.flow.as_ref().unwrap().flow_id, Some(7482));
        assert_eq!(a.priority, Some(3));
        let a = one_alert(
            r#"{"event_type":"alert","src_ip":"2001:db8::2","dest_ip":"2001:db8::1","proto":"IPv6-Frag","alert":{"signature_id":2200072,"signature":"frag"}}"#,
        );
        assert_eq!(a.proto, None);
        assert_eq!(a.proto_text.as_deref(), Some("IPv6-Frag"));
        // A decoder alert without addresses keeps the empty label.
        let a = one_alert(r#"{"event_type":"alert","alert":{"signature_id":2200003}}"#);
        assert_eq!((a.src.as_str(), a.dest.as_str()), ("", ""));
        assert_eq!(a.flow, None);
        assert_eq!(a.gid, 1);
    }

    #[test]
    fn fields_of_unexpected_types_read_as_unknown() {
        let a = one_alert(concat!(
            r#"{"event_type":"alert","src_ip":"10.0.0.1","src_port":"8080","dest_ip":5,"dest_port":-1,"#,
            r#""flow":7,"http":["x"],"alert":{"signature_id":"99","rev":1.0,"severity":null,"#,
            r#""signature":{"x":1},"metadata":{"a":"single","b":[1,"two",null],"c":{}}}}"#
        ));
        assert_eq!(a.src_port, Some(8080));
        assert_eq!(a.dest, "");
        assert_eq!(a.dest_port, None);
        assert_eq!(a.flow, None);
        assert_eq!((a.sid, a.rev, a.priority), (Some(99), Some(1), None));
        assert_eq!(a.msg, None);
        assert_eq!(
            a.metadata,
            [("a", "single"), ("b", "two")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn context_events_by_type() {
        let text = concat!(
            r#"{"timestamp":"2022-07-11T05:52:18.378379+0000","flow_id":88,"event_type":"flow","src_ip":"192.0.2.6","src_port":56814,"dest_ip":"198.51.100.1","dest_port":2352,"proto":"TCP","app_proto":"failed","flow":{"pkts_toserver":2,"pkts_toclient":1,"bytes_toserver":108,"bytes_toclient":54,"state":"closed","alerted":false}}"#,
            "\n",
            r#"{"timestamp":"2022-07-11T05:53:51.912203+0000","event_type":"stats","stats":{"uptime":5},"flow":{"memcap":0,"tcp":59557},"http":{"memuse":0}}"#,
            "\n",
            r#"{"flow_id":9,"event_type":"netflow","proto":"UDP","netflow":{"pkts":2}}"#,
            "\n",
            r#"{"event_type":"something_new","proto":"SCTP"}"#,
            "\n",
            r#"{"event_type":"anomaly","anomaly":{"type":"decode","event":"ipv4.trunc_pkt"}}"#,
            "\n"
        );
        let sink = run(text);
        let kinds: Vec<_> = sink
            .got
            .iter()
            .map(|g| match g {
                Got::Context { kind, subtype, .. } => (*kind, subtype.clone().unwrap()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("eve_flow", "flow"),
                ("eve_stats", "stats"),
                ("eve_netflow", "netflow"),
                ("eve_other", "something_new"),
                ("eve_anomaly", "anomaly")
            ]
            .map(|(k, s)| (k, s.to_string()))
        );
        match &sink.got[0] {
            Got::Context {
                line,
                flow_key,
                src,
                dest,
                proto,
                micros,
                fields,
                ..
            } => {
                assert_eq!(*line, 1);
                assert_eq!(flow_key.as_deref(), Some("88"));
                assert_eq!(src.as_deref(), Some("192.0.2.6"));
                assert_eq!(dest.as_deref(), Some("198.51.100.1"));
                assert_eq!(*proto, Some(IpProto::TCP));
                assert_eq!(*micros, micros_from_parts(2022, 7, 11, 5, 52, 18, 378_379));
                assert!(fields.contains(&("flow.state".into(), "closed".into())));
                assert!(fields.contains(&("flow.pkts_toclient".into(), "1".into())));
                assert!(fields.contains(&("app_proto".into(), "failed".into())));
            }
            other => panic!("{other:?}"),
        }
        match &sink.got[3] {
            Got::Context {
                proto, flow_key, ..
            } => {
                assert_eq!(*proto, Some(IpProto::SCTP));
                assert_eq!(*flow_key, None);
            }
            other => panic!("{other:?}"),
        }
    }

    fn alert_line(sid: u32, flow_id: Option<u64>, extra: &str) -> String {
        let flow = flow_id.map_or(String::new(), |f| format!(r#""flow_id":{f},"#));
        format!(
            r#"{{{flow}"event_type":"alert","src_ip":"10.0.0.1","src_port":1000,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","alert":{{"signature_id":{sid}}},"flow":{{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":60,"bytes_toclient":0,"start":"2024-01-01T00:00:00.000000+0000"}}{extra}}}"#
        )
    }

    fn flow_line(flow_id: u64, pkts_toclient: u64) -> String {
        format!(
            r#"{{"flow_id":{flow_id},"event_type":"flow","proto":"TCP","app_proto":"http","flow":{{"pkts_toserver":9,"pkts_toclient":{pkts_toclient},"bytes_toserver":900,"bytes_toclient":800,"state":"closed","reason":"timeout"}}}}"#
        )
    }

    fn http_line(flow_id: u64, host: &str) -> String {
        format!(
            r#"{{"flow_id":{flow_id},"event_type":"http","proto":"TCP","tx_id":0,"http":{{"hostname":"{host}","url":"/x","status":404}}}}"#
        )
    }

    /// The sink's records as `A<sid>` / `C<line>` / `S<line>`, in the order they were emitted.
    fn order(sink: &Collect) -> Vec<String> {
        sink.got
            .iter()
            .map(|g| match g {
                Got::Alert(a) => format!("A{}", a.sid.unwrap()),
                Got::Context { line, .. } => format!("C{line}"),
                Got::Skipped { line, .. } => format!("S{line}"),
            })
            .collect()
    }

    #[test]
    fn enrichment_from_records_after_the_alert() {
        let text = [
            alert_line(1, Some(7), ""),
            alert_line(2, None, ""),
            http_line(7, "late.example"),
            alert_line(3, Some(8), r#","http":{"hostname":"own.example"}"#),
            flow_line(7, 5),
            http_line(8, "other.example"),
            flow_line(8, 0),
        ]
        .join("\n");
        let sink = run(&text);
        // Alert 1 waits for flow 7's record (line 5); alert 2 has no flow but may not overtake
        // it; alert 3 waits for flow 8's record (line 7).
        assert_eq!(order(&sink), ["C3", "C5", "A1", "A2", "C6", "C7", "A3"]);
        let a = sink.alerts();
        assert_eq!(a[0].line, 1);
        assert_eq!(a[0].app("http.hostname"), Some("late.example"));
        assert_eq!(a[0].app("http.status"), Some("404"));
        let f = a[0].flow.as_ref().unwrap();
        assert_eq!((f.pkts_toserver, f.pkts_toclient), (Some(9), Some(5)));
        assert_eq!((f.bytes_toserver, f.bytes_toclient), (Some(900), Some(800)));
        assert_eq!(f.state.as_deref(), Some("closed"));
        assert_eq!(f.start.as_deref(), Some("2024-01-01T00:00:00.000000+0000"));
        assert_eq!(a[0].app_proto.as_deref(), Some("http"));
        assert_eq!(a[1].line, 2);
        assert_eq!(a[1].app("http.hostname"), None);
        // The alert's own fields win over those of other records.
        assert_eq!(a[2].app("http.hostname"), Some("own.example"));
        assert_eq!(a[2].app("http.url"), Some("/x"));
        assert_eq!(a[2].flow.as_ref().unwrap().pkts_toclient, Some(0));
    }

    #[test]
    fn enrichment_from_records_before_the_alert() {
        let text = [
            http_line(9, "early.example"),
            flow_line(9, 3),
            alert_line(1, Some(9), ""),
            http_line(10, "x.example"),
        ]
        .join("\n");
        let sink = run(&text);
        // The flow already ended, so the alert needs no waiting.
        assert_eq!(order(&sink), ["C1", "C2", "A1", "C4"]);
        let a = &sink.alerts()[0];
        assert_eq!(a.app("http.hostname"), Some("early.example"));
        assert_eq!(a.flow.as_ref().unwrap().pkts_toclient, Some(3));
    }

    #[test]
    fn alerts_leave_the_window_in_order() {
        let limits = Limits {
            window: 3,
            ..Limits::DEFAULT
        };
        let mut lines = vec![alert_line(1, Some(1), ""), alert_line(2, Some(2), "")];
        lines.extend((0..6).map(|i| http_line(100 + i, "h.example")));
        // Flow 1's record comes after the window: too late to enrich alert 1.
        lines.push(flow_line(1, 4));
        let sink = run_with(lines.join("\n").as_bytes(), limits);
        assert_eq!(
            order(&sink),
            ["C3", "C4", "A1", "C5", "A2", "C6", "C7", "C8", "C9"]
        );
        let a = sink.alerts();
        assert_eq!(a[0].flow.as_ref().unwrap().pkts_toclient, Some(0));
        assert_eq!(a[0].flow.as_ref().unwrap().state, None);
    }

    #[test]
    fn held_state_stays_bounded() {
        let limits = Limits {
            window: 16,
            pending_bytes: 4 * 1024,
            line_len: MAX_LINE_LEN,
        };
        let mut state = State::new("t", limits);
        let mut sink = Collect::default();
        let mut max_queue = 0;
        let mut max_flows = 0;
        let mut max_touched = 0;
        for i in 0..5_000u64 {
            let line = match i % 3 {
                0 => alert_line(i as u32, Some(i), ""),
                1 => http_line(i, "h.example"),
                _ => http_line(7, "same.example"),
            };
            state.seq += 1;
            state.on_line(i + 1, &line, &mut sink).unwrap();
            state.flush(false, &mut sink).unwrap();
            state.forget_old_flows();
            max_queue = max_queue.max(state.queue.len());
            max_flows = max_flows.max(state.flows.len());
            max_touched = max_touched.max(state.touched.len());
            assert!(state.queued_bytes <= limits.pending_bytes + line.len());
        }
        state.flush(true, &mut sink).unwrap();
        assert!(max_queue <= 16, "{max_queue}");
        assert!(max_flows <= 17, "{max_flows}");
        assert!(max_touched <= 17, "{max_touched}");
        let sids: Vec<u32> = sink.alerts().iter().map(|a| a.sid.unwrap()).collect();
        let want: Vec<u32> = (0..5_000).step_by(3).collect();
        assert_eq!(sids, want);
        assert!(state.queue.is_empty());
    }

    #[test]
    fn the_byte_budget_releases_alerts_early() {
        let limits = Limits {
            pending_bytes: 500,
            ..Limits::DEFAULT
        };
        let lines: Vec<String> = (1..=4).map(|i| alert_line(i, Some(50), "")).collect();
        let sink = run_with(lines.join("\n").as_bytes(), limits);
        assert_eq!(sink.alerts().len(), 4);
        // Each line is 274 bytes: each alert leaves as soon as the next one is held.
        assert!(lines.iter().all(|l| l.len() == 274));
        let mut limits_sink = Collect::default();
        let mut state = State::new("t", limits);
        for (i, l) in lines.iter().enumerate() {
            state.seq += 1;
            state.on_line(i as u64 + 1, l, &mut limits_sink).unwrap();
            state.flush(false, &mut limits_sink).unwrap();
            assert!(state.queued_bytes <= 500, "{}", state.queued_bytes);
        }
        assert_eq!(limits_sink.alerts().len(), 3);
    }

    #[test]
    fn bad_lines_are_reported_with_their_line() {
        let mut text = Vec::new();
        text.extend_from_slice(b"\n   \t\n");
        text.extend_from_slice(b"{\"event_type\":\"alert\",\"alert\":{\"signature_id\":1}\r\n");
        text.extend_from_slice(b"{\"event_type\": \"alert\", \"alert\": {\n");
        text.extend_from_slice(b"not json at all\n");
        text.extend_from_slice(b"{\"timestamp\":\"2020-01-01T00:00:00+0000\"}\n");
        text.extend_from_slice(b"[1,2,3]\n");
        text.extend_from_slice(b"{\"event_type\":\"alert\"}\n");
        text.extend_from_slice(b"{\"event_type\":\"alert\",\"alert\":\"x\"}\n");
        text.extend_from_slice(b"{\"event_type\":\"http\",\"src_ip\":\"\xff\"}\n");
        text.extend_from_slice(b"{\"event_type\":\"alert\",\"alert\":{},\"alert\":{}}\n");
        text.extend_from_slice(b"{\"event_type\":\"dns\",\"dns\":{},\"dns\":{}}\n");
        text.extend_from_slice(b"{\"event_type\":7}\n");
        text.extend_from_slice(b"\xEF\xBB\xBF{\"event_type\":\"tls\"}\n");
        text.extend_from_slice(b"{\"event_type\":\"alert\",\"alert\":{\"signature_id\":2}}");
        let sink = run_with(&text, Limits::DEFAULT);
        let skipped = sink.skipped();
        let reasons: Vec<(u64, &str)> = skipped.iter().map(|(l, r, _)| (*l, *r)).collect();
        assert_eq!(
            reasons,
            [
                (3, "invalid_json"),
                (4, "invalid_json"),
                (5, "invalid_json"),
                (6, "eve_no_event_type"),
                (7, "eve_no_event_type"),
                (8, "malformed_alert"),
                (9, "malformed_alert"),
                (11, "malformed_alert"),
                (13, "eve_no_event_type"),
                (14, "invalid_json"),
            ]
        );
        assert!(skipped[0].2.starts_with("line 3: "), "{}", skipped[0].2);
        assert!(skipped[0].2.contains("EOF"), "{}", skipped[0].2);
        assert!(skipped[3].2.contains("line 6"));
        // Line 12 (a field written twice) is still a dns record; the final line has no newline.
        assert_eq!(order(&sink).len(), 13);
        assert!(order(&sink).contains(&"C12".to_string()));
        assert_eq!(sink.alerts().len(), 1);
        assert_eq!(sink.alerts()[0].line, 15);
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_and_reading_goes_on() {
        let limits = Limits {
            line_len: 100,
            ..Limits::DEFAULT
        };
        let long = format!(
            r#"{{"event_type":"http","http":{{"url":"/{}"}}}}"#,
            "a".repeat(10_000)
        );
        let text = format!(
            "{long}\n{}\n{long}",
            r#"{"event_type":"alert","alert":{"signature_id":1}}"#
        );
        // A reader that hands out a few bytes at a time, so the long line spans many refills.
        let mut input = std::io::BufReader::with_capacity(7, text.as_bytes());
        let mut sink = Collect::default();
        read_with(&mut input, &CTX, &mut sink, limits).unwrap();
        assert_eq!(order(&sink), ["S1", "A1", "S3"]);
        assert_eq!(sink.skipped()[0].1, "line_too_long");
        assert_eq!(sink.alerts()[0].line, 2);
    }

    #[test]
    fn the_sink_can_stop_reading() {
        let text = [
            http_line(1, "a"),
            alert_line(1, None, ""),
            http_line(2, "b"),
        ]
        .join("\n");
        for n in 1..=3 {
            let mut sink = Collect {
                stop_after: Some(n),
                ..Collect::default()
            };
            let mut input = text.as_bytes();
            let r = read_with(&mut input, &CTX, &mut sink, Limits::DEFAULT);
            assert!(matches!(r, Err(ReadError::Stopped)), "{n}: {r:?}");
            assert_eq!(sink.got.len(), n);
        }
        // A held alert emitted at end of input can stop it too.
        let mut sink = Collect {
            stop_after: Some(1),
            ..Collect::default()
        };
        let text = alert_line(1, Some(3), "");
        let mut input = text.as_bytes();
        let r = read_with(&mut input, &CTX, &mut sink, Limits::DEFAULT);
        assert!(matches!(r, Err(ReadError::Stopped)));
    }

    #[test]
    fn io_errors_name_the_input() {
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let mut input = std::io::BufReader::new(Broken);
        let mut sink = Collect::default();
        let e = read_with(&mut input, &CTX, &mut sink, Limits::DEFAULT).unwrap_err();
        assert!(e.to_string().contains("test.json"), "{e}");
    }

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Reads `bytes` and checks that every non-blank line was accounted for exactly once.
    fn accounts_for_every_line(bytes: &[u8]) {
        let non_blank = crate::input::logline::split_lines(bytes)
            .into_iter()
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count();
        let sink = run_with(bytes, Limits::DEFAULT);
        // A BOM-only first line is blank once the BOM is removed.
        let bom_only = crate::input::logline::split_lines(bytes)
            .into_iter()
            .next()
            .and_then(|l| l.strip_prefix(b"\xEF\xBB\xBF"))
            .is_some_and(|rest| rest.iter().all(u8::is_ascii_whitespace));
        assert_eq!(
            sink.got.len() + usize::from(bom_only),
            non_blank,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }

    #[test]
    fn truncations_and_mutations_never_panic() {
        let line = FULL_ALERT.as_bytes();
        for cut in 0..=line.len() {
            accounts_for_every_line(&line[..cut]);
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"{}[]\":,\\0123456789abcdefnrtu \n\xff\xc3";
        for _ in 0..3_000 {
            let mut m = line.to_vec();
            for _ in 0..1 + rng.below(6) {
                let i = rng.below(m.len());
                match rng.below(3) {
                    0 => m[i] = alphabet[rng.below(alphabet.len())],
                    1 => {
                        m.remove(i);
                    }
                    _ => m.insert(i, alphabet[rng.below(alphabet.len())]),
                }
            }
            accounts_for_every_line(&m);
        }
        for _ in 0..500 {
            let len = rng.below(200);
            let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            accounts_for_every_line(&junk);
        }
    }
}
