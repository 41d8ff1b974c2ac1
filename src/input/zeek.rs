//! Zeek (formerly Bro) logs, any log path, in either of Zeek's writers:
//!
//! * ASCII/TSV: `#separator \x09`, `#set_separator`, `#empty_field`, `#unset_field`, `#path`,
//!   `#open`, `#fields`, `#types` header lines, then one row per record, then `#close`. Header
//!   lines may repeat mid-file (logs concatenated across rotations); each `#fields` line starts
//!   a new column map. Field names may have been renamed (`Log::default_field_name_map`, e.g.
//!   `id.orig_h` → `src`); the common renamings are recognised.
//! * JSON lines: `{"_path":"conn","ts":...}` (`ts` a number or an ISO 8601 string), and the
//!   `{"<path>": {...}}` wrapper some pipelines (Apache Metron) put around each record.
//!
//! `ts`, `uid`, the connection 4-tuple and `proto` become the event's typed fields; every other
//! field that is set is kept by name in `fields` (conn's `conn_state`, `history`, byte and
//! packet counts; dns's `query`, `qtype_name`, `rcode_name`, `answers`; and so on).

use std::borrow::Cow;
use std::io::BufRead;

use serde_json::{Map, Value};

use crate::model::{ContextEvent, ContextKind, Endpoint, Host, IpProto, SkipReason};

use super::logline::{at_line, epoch_stamp, go_on, rfc3339_stamp, LineReader, LINE_TOO_LONG};
use super::{ReadContext, ReadError, Sink};

pub const CONN: ContextKind = ContextKind::ZEEK_CONN;
pub const DNS: ContextKind = ContextKind::ZEEK_DNS;
pub const OTHER: ContextKind = ContextKind::ZEEK_OTHER;

/// Header and comment lines of the TSV writer.
pub const HEADER: SkipReason = SkipReason("zeek_header");

/// Most columns a `#fields` line may declare. Zeek's widest stock log (conn with all policy
/// scripts loaded) has under 40; a header declaring thousands is not a Zeek log.
const MAX_COLUMNS: usize = 512;

/// Names a typed field may be written under, first match wins.
const TS: &[&str] = &["ts"];
const UID: &[&str] = &["uid"];
const ORIG_H: &[&str] = &["id.orig_h", "id_orig_h", "orig_h", "src", "src_ip"];
const ORIG_P: &[&str] = &["id.orig_p", "id_orig_p", "orig_p", "src_port"];
const RESP_H: &[&str] = &["id.resp_h", "id_resp_h", "resp_h", "dst", "dst_ip"];
const RESP_P: &[&str] = &["id.resp_p", "id_resp_p", "resp_p", "dst_port"];
const PROTO: &[&str] = &["proto"];

fn kind_of(path: &str) -> ContextKind {
    match path {
        "conn" => CONN,
        "dns" => DNS,
        _ => OTHER,
    }
}

/// The log path a file name implies (`/x/dns.2024-01-01.log.gz` → `dns`).
fn path_from_name(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.split('.').next().unwrap_or(base)
}

/// What the TSV header lines said.
struct Header {
    sep: String,
    empty: String,
    unset: String,
    path: String,
    fields: Vec<String>,
    /// Column of each typed field: ts, uid, orig_h, orig_p, resp_h, resp_p, proto.
    typed: [Option<usize>; 7],
}

impl Header {
    fn new(file: &str) -> Self {
        Header {
            sep: "\t".to_string(),
            empty: "(empty)".to_string(),
            unset: "-".to_string(),
            path: path_from_name(file).to_string(),
            fields: Vec::new(),
            typed: [None; 7],
        }
    }

    /// Takes in one `#` line.
    fn header_line(&mut self, line: &str) {
        if let Some(v) = line.strip_prefix("#separator ") {
            self.sep = unescape(v.trim());
            if self.sep.is_empty() {
                self.sep = "\t".to_string();
            }
            return;
        }
        let body = &line[1..];
        let (key, value) = body.split_once(self.sep.as_str()).unwrap_or((body, ""));
        match key {
            "empty_field" => self.empty = value.to_string(),
            "unset_field" => self.unset = value.to_string(),
            "path" => self.path = value.to_string(),
            "fields" => {
                self.fields.clear();
                self.fields.extend(
                    value
                        .split(self.sep.as_str())
                        .take(MAX_COLUMNS)
                        .map(str::to_string),
                );
                let find = |names: &[&str]| {
                    names
                        .iter()
                        .find_map(|n| self.fields.iter().position(|f| f == n))
                };
                self.typed = [
                    find(TS),
                    find(UID),
                    find(ORIG_H),
                    find(ORIG_P),
                    find(RESP_H),
                    find(RESP_P),
                    find(PROTO),
                ];
            }
            _ => {}
        }
    }
}

/// `\x09` escapes as Zeek writes the separator.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 2..i + 4);
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) if b.is_ascii() => {
                out.push(char::from(b));
                rest = &rest[i + 4..];
            }
            _ => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let mut lines = LineReader::new(input, ctx.path);
    let mut header = Header::new(ctx.path);
    // Column boundaries of the current row, reused across rows.
    let mut cols: Vec<(usize, usize)> = Vec::new();
    while lines.next_line()? {
        let n = lines.line_no;
        let text = lines.text();
        let line: &str = &text;
        let at = at_line(ctx, n);
        let flow = if lines.overlong {
            sink.skipped(LINE_TOO_LONG, &at, None)
        } else if line.trim().is_empty() {
            sink.skipped(SkipReason::BLANK, &at, None)
        } else if line.starts_with('#') {
            header.header_line(line);
            sink.skipped(HEADER, &at, None)
        } else if line.trim_start().starts_with('{') {
            match json_record(line, ctx, n) {
                Ok(ev) => sink.context(ev),
                Err(why) => sink.skipped(SkipReason::NOT_JSON, &at, Some(&why)),
            }
        } else {
            match tsv_record(line, ctx, n, &header, &mut cols) {
                Ok(ev) => sink.context(ev),
                Err(why) => sink.skipped(SkipReason::MALFORMED_ALERT, &at, Some(why)),
            }
        };
        go_on(flow)?;
    }
    Ok(())
}

fn port(v: &str) -> Option<u16> {
    v.parse().ok()
}

fn tsv_record<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
    h: &'a Header,
    cols: &mut Vec<(usize, usize)>,
) -> Result<ContextEvent<'a>, &'static str> {
    if h.fields.is_empty() {
        return Err("Zeek row before any #fields header");
    }
    cols.clear();
    let mut start = 0;
    for part in line.split(h.sep.as_str()) {
        if cols.len() == MAX_COLUMNS {
            break;
        }
        cols.push((start, start + part.len()));
        start += part.len() + h.sep.len();
    }
    if cols.len() != h.fields.len() {
        return Err("Zeek row has a different number of columns than #fields");
    }
    let col = |i: Option<usize>| -> Option<&'a str> {
        let (a, b) = cols[i?];
        let v = &line[a..b];
        (v != h.unset).then_some(v)
    };
    let mut ev = ContextEvent::new(at_line(ctx, line_no), kind_of(&h.path));
    ev.subtype = Some(Cow::Borrowed(h.path.as_str()));
    let [ts, uid, oh, op, rh, rp, proto] = h.typed;
    ev.timestamp = col(ts).and_then(|t| epoch_stamp(t).or_else(|| rfc3339_stamp(t).map(|x| x.0)));
    ev.flow_key = col(uid).map(Cow::Borrowed);
    ev.proto = col(proto).and_then(IpProto::from_name);
    let ported = ev.proto.is_none_or(IpProto::has_ports);
    if let Some(a) = col(oh) {
        ev.src = Some(Endpoint {
            host: Host::parse(a),
            port: col(op).and_then(port).filter(|_| ported),
        });
    }
    if let Some(a) = col(rh) {
        ev.dest = Some(Endpoint {
            host: Host::parse(a),
            port: col(rp).and_then(port).filter(|_| ported),
        });
    }
    for (i, name) in h.fields.iter().enumerate() {
        if h.typed.contains(&Some(i)) && Some(i) != proto {
            continue;
        }
        let (a, b) = cols[i];
        let v = &line[a..b];
        if v == h.unset {
            continue;
        }
        let v = if v == h.empty { "" } else { v };
        ev.fields
            .push((Cow::Borrowed(name.as_str()), Cow::Borrowed(v)));
    }
    Ok(ev)
}

/// A JSON value as field text: strings as they are, arrays joined with `,` as the TSV writer
/// does.
fn text_of(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "T" } else { "F" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().filter_map(text_of).collect::<Vec<_>>().join(","),
        Value::Object(_) => v.to_string(),
    })
}

fn json_record<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
) -> Result<ContextEvent<'a>, String> {
    let mut obj: Map<String, Value> = serde_json::from_str(line).map_err(|e| e.to_string())?;
    // `{"dns": {...}}`: the log path wraps the record.
    let mut path = None;
    if obj.len() == 1 {
        let (k, v) = obj
            .iter()
            .next()
            .map(|(k, v)| (k.clone(), v.is_object()))
            .unwrap_or_default();
        if v {
            if let Some(Value::Object(inner)) = obj.remove(&k) {
                obj = inner;
                path = Some(k);
            }
        }
    }
    let path = match (path, obj.get("_path")) {
        (Some(p), _) => p,
        (None, Some(Value::String(p))) => p.clone(),
        _ => path_from_name(ctx.path).to_string(),
    };
    let mut ev = ContextEvent::new(at_line(ctx, line_no), kind_of(&path));
    ev.timestamp = match obj.get("ts") {
        Some(Value::Number(n)) => epoch_stamp(&n.to_string()).map(|t| t.into_owned()),
        Some(Value::String(s)) => rfc3339_stamp(s)
            .map(|x| x.0.into_owned())
            .or_else(|| epoch_stamp(s).map(|t| t.into_owned())),
        _ => None,
    };
    let get = |names: &[&str]| names.iter().find_map(|n| obj.get(*n)).and_then(text_of);
    ev.flow_key = get(UID).map(Cow::Owned);
    ev.proto = get(PROTO).and_then(|p| IpProto::from_name(&p));
    let ported = ev.proto.is_none_or(IpProto::has_ports);
    let port_of = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| obj.get(*n))
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .filter(|_| ported)
    };
    if let Some(a) = get(ORIG_H) {
        ev.src = Some(Endpoint {
            host: Host::parse(&a).into_owned(),
            port: port_of(ORIG_P),
        });
    }
    if let Some(a) = get(RESP_H) {
        ev.dest = Some(Endpoint {
            host: Host::parse(&a).into_owned(),
            port: port_of(RESP_P),
        });
    }
    let typed_key = |k: &str| {
        [TS, UID, ORIG_H, ORIG_P, RESP_H, RESP_P]
            .iter()
            .any(|names| names.first() == Some(&k))
            || k == "_path"
            || k == "_write_ts"
    };
    ev.subtype = Some(Cow::Owned(path));
    for (k, v) in &obj {
        if typed_key(k) {
            continue;
        }
        if let Some(t) = text_of(v) {
            ev.fields.push((Cow::Owned(k.clone()), Cow::Owned(t)));
        }
    }
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::testsink::Collect;
    use crate::model::Action;

    fn run(path: &str, text: &str) -> Collect {
        let ctx = ReadContext {
            path,
            year: None,
            mtime_year: None,
        };
        let mut sink = Collect::default();
        read(&mut text.as_bytes(), &ctx, &mut sink).unwrap();
        sink
    }

    const CONN_TSV: &str = "#separator \\x09\n\
#set_separator\t,\n\
#empty_field\t(empty)\n\
#unset_field\t-\n\
#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\tresp_pkts\ttunnel_parents\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\tcount\tcount\tset[string]\n\
1400000000.250000\tCAbc1\t10.0.0.5\t50000\t192.0.2.80\t445\ttcp\t-\t-\t-\t-\tS0\tS\t3\t0\t(empty)\n\
1400000001.000000\tCAbc2\t10.0.0.5\t5353\t224.0.0.251\t5353\tudp\tdns\t0.1\t40\t0\tS0\tD\t1\t0\t(empty)\n\
1400000002\tCAbc3\t10.0.0.5\t8\t192.0.2.1\t0\ticmp\t-\t-\t-\t-\tOTH\t-\t1\t1\t-\n\
#close\t2014-05-13-16-53-20\n";

    #[test]
    fn reads_a_conn_log() {
        let s = run("conn.log", CONN_TSV);
        assert_eq!(s.events.len(), 3);
        assert_eq!(s.skipped.len(), 8);
        assert!(s.skipped.iter().all(|(r, _)| *r == HEADER));
        let e = &s.events[0];
        assert_eq!(e.kind, Some(CONN));
        assert_eq!(e.flow_key.as_deref(), Some("CAbc1"));
        assert_eq!(e.src, "10.0.0.5:50000");
        assert_eq!(e.dest, "192.0.2.80:445");
        assert_eq!(e.proto, Some(IpProto::TCP));
        assert_eq!(e.unix_micros, Some(1_400_000_000_250_000));
        assert_eq!(e.field("conn_state"), Some("S0"));
        assert_eq!(e.field("history"), Some("S"));
        assert_eq!(e.field("orig_pkts"), Some("3"));
        assert_eq!(e.field("orig_bytes"), None);
        assert_eq!(e.field("tunnel_parents"), Some(""));
        assert_eq!(e.action, None::<Action>);
        assert_eq!(s.events[1].field("service"), Some("dns"));
        assert_eq!(s.events[2].dest, "192.0.2.1");
    }

    #[test]
    fn renamed_fields_and_dns() {
        let renamed = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tsrc\tsrc_port\tdst\tdst_port\tproto\n\
1.5\tCx\t10.1.1.1\t1\t10.1.1.2\t2\tudp\n";
        let s = run("x.log", renamed);
        assert_eq!(s.events[0].src, "10.1.1.1:1");
        assert_eq!(s.events[0].dest, "10.1.1.2:2");
        let dns = "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\n\
1.0\tCd\t10.1.1.1\t3333\t10.1.1.53\t53\tudp\texample.org\tA\tNOERROR\t192.0.2.7,192.0.2.8\n\
1.0\tCd\t10.1.1.1\t3333\t10.1.1.53\t53\tudp\texample.org\tA\n";
        let s = run("y.log", dns);
        assert_eq!(s.events.len(), 1);
        let e = &s.events[0];
        assert_eq!(e.kind, Some(DNS));
        assert_eq!(e.field("query"), Some("example.org"));
        assert_eq!(e.field("answers"), Some("192.0.2.7,192.0.2.8"));
        assert_eq!(s.skipped.last().unwrap().0, SkipReason::MALFORMED_ALERT);
    }

    #[test]
    fn json_lines_and_wrappers() {
        let text = "{\"_path\":\"conn\",\"ts\":\"2018-03-24T17:15:20.500000Z\",\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1234,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":80,\"proto\":\"tcp\",\"conn_state\":\"SF\",\"orig_bytes\":10}\n\
{\"dns\": {\"ts\":1402308259.609,\"uid\":\"C2\",\"id.orig_h\":\"10.0.0.3\",\"id.orig_p\":33976,\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":53,\"proto\":\"udp\",\"query\":\"example.net\",\"answers\":[\"a.example\",\"192.0.2.1\"],\"AA\":true}}\n\
{\"_path\":\"notice\",\"ts\":1.0,\"note\":\"X\"}\n\
{\"broken\":\n";
        let s = run("z.json", text);
        assert_eq!(s.events.len(), 3);
        let e = &s.events[0];
        assert_eq!(e.kind, Some(CONN));
        assert_eq!(e.src, "10.0.0.1:1234");
        assert_eq!(e.field("orig_bytes"), Some("10"));
        assert_eq!(e.date, Some((2018, 3, 24)));
        let d = &s.events[1];
        assert_eq!(d.kind, Some(DNS));
        assert_eq!(d.field("answers"), Some("a.example,192.0.2.1"));
        assert_eq!(d.field("AA"), Some("T"));
        assert_eq!(d.unix_micros, Some(1_402_308_259_609_000));
        assert_eq!(s.events[2].kind, Some(OTHER));
        assert_eq!(s.events[2].subtype.as_deref(), Some("notice"));
        assert_eq!(s.skipped[0].0, SkipReason::NOT_JSON);
    }

    #[test]
    fn every_truncation_is_accounted_for() {
        let lines: Vec<&str> = CONN_TSV.lines().collect();
        let head = lines[..6].join("\n");
        let row = lines[7];
        for cut in 0..=row.len() {
            let s = run("conn.log", &format!("{head}\n{}", &row[..cut]));
            assert_eq!(s.events.len() + s.skipped.len(), 6 + usize::from(cut > 0));
        }
        let json = "{\"_path\":\"dns\",\"ts\":1.5,\"id.orig_h\":\"10.0.0.1\",\"query\":\"a.b\"}";
        for cut in 0..=json.len() {
            let s = run("dns.json", &json[..cut]);
            assert_eq!(s.events.len() + s.skipped.len(), usize::from(cut > 0));
        }
    }
}
