//! Snort 3 `alert_json`: one JSON object per line, with the fields of the logger's `fields`
//! setting in its order.
//!
//! ```text
//! { "timestamp" : "04/28-02:14:03.418862", "seconds" : 1461809643, "pkt_num" : 1, "proto" : "UDP",
//!   ..., "src_ap" : "192.168.88.23:52814", ..., "rule" : "1:2009099:3", "action" : "allow",
//!   "b64_data" : "MgAAAA..." }
//! ```
//!
//! Each line is read with serde_json through a visitor that maps every key to a Snort field
//! and keeps the values borrowed from the line (text is copied only where JSON escapes forced
//! it). No `serde_json::Value` is built: unknown keys are skipped, a value of an unexpected
//! type reads as absent, and a key written twice keeps its last value, so no field can fail a
//! record. What the fields mean is shared with `alert_csv` in `snort3`. The line itself
//! travels with the alert ([`Original::Json`]) for pass-through.
//!
//! Every non-blank line is one record (blank lines are no records, as in EVE): an alert, or
//! skipped as too long, not UTF-8, not JSON, or JSON without any Snort field.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::logline::{at_line, go_on, record_line, LineReader};
use super::snort3::{build_alert, Field, Record, Value, MAX_LINE_LEN};
use super::year::YearHints;
use super::{ReadContext, ReadError, Sink};
use crate::model::{InputFormat, Original, SkipReason};

/// Reads Snort 3 `alert_json` lines from `input` into `sink`.
pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let mut lines = LineReader::with_limit(input, ctx.path, MAX_LINE_LEN);
    let hints = YearHints::new(ctx);
    while lines.next_line()? {
        let n = lines.line_no;
        let at = at_line(ctx, n);
        let text = lines.text();
        let Some(line) = record_line(&lines, &text, &at, sink)? else {
            continue;
        };
        let flow = match serde_json::from_str::<JsonRecord<'_>>(line) {
            Ok(JsonRecord(rec)) if rec.count == 0 => {
                let detail = format!("line {n}: a JSON object without any Snort alert_json field");
                sink.skipped(SkipReason::NOT_AN_ALERT_LINE, &at, Some(&detail))
            }
            Ok(JsonRecord(rec)) => {
                let original = Original::Json(Cow::Borrowed(line));
                let alert = build_alert(rec, at, InputFormat::SnortJson, &hints, original);
                sink.alert(alert)
            }
            Err(e) => {
                let detail = format!("line {n}: {e}");
                let reason = match e.classify() {
                    // Valid JSON that is not an object.
                    serde_json::error::Category::Data => SkipReason::NOT_AN_ALERT_LINE,
                    _ => SkipReason::NOT_JSON,
                };
                sink.skipped(reason, &at, Some(&detail))
            }
        };
        go_on(flow)?;
    }
    Ok(())
}

/// Keys only Snort 3's `alert_json` writes (EVE and Zeek name these things otherwise), for
/// telling its lines from other JSON lines without an `event_type`.
const DISTINCTIVE_KEYS: [&str; 12] = [
    "pkt_num",
    "pkt_gen",
    "pkt_len",
    "src_ap",
    "dst_ap",
    "rule",
    "b64_data",
    "eth_src",
    "eth_dst",
    "ip_id",
    "tcp_flags",
    "flowstart_time",
];

/// Whether a JSON line looks like Snort 3 `alert_json`: it has one of the keys only that
/// logger writes, or both `gid` and `sid`. (Callers rule out EVE and Zeek first.)
pub fn looks_like_snort_json(line: &str) -> bool {
    DISTINCTIVE_KEYS.iter().any(|k| has_key(line, k))
        || (has_key(line, "gid") && has_key(line, "sid"))
}

/// Whether `"name"` occurs as a key: followed, after any spaces, by a colon.
fn has_key(line: &str, name: &str) -> bool {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line.get(from..).and_then(|r| r.find(name)) {
        let start = from + i;
        let end = start + name.len();
        from = end;
        if start == 0 || b[start - 1] != b'"' || b.get(end) != Some(&b'"') {
            continue;
        }
        let after = &line[end + 1..];
        if after.trim_start().starts_with(':') {
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// The line as serde reads it
// ---------------------------------------------------------------------------------------------

/// The fields of one line. The top level must be an object; every value is optional.
struct JsonRecord<'a>(Record<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for JsonRecord<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = JsonRecord<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Snort 3 alert_json object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonRecord<'a>, A::Error> {
                let mut rec = Record::default();
                while let Some(Key(field)) = map.next_key::<Key>()? {
                    match field {
                        Some(f) => {
                            if let Scalar(Some(v)) = map.next_value::<Scalar<'a>>()? {
                                rec.set(f, v);
                            }
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(JsonRecord(rec))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A key: the Snort field it names, if any. Keys are compared, never copied.
struct Key(Option<Field>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(Field::from_name(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A value: text (borrowed unless escaped) or a non-negative integer; anything else (a
/// negative or fractional number, `true`, `null`, an array or object) reads as absent.
struct Scalar<'a>(Option<Value<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'a>, E> {
                Ok(Scalar(Some(Value::Text(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'a>, E> {
                Ok(Scalar(Some(Value::Text(Cow::Owned(v.to_string())))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar<'a>, E> {
                Ok(Scalar(Some(Value::Text(Cow::Owned(v)))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'a>, E> {
                Ok(Scalar(Some(Value::Num(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'a>, E> {
                Ok(Scalar(u64::try_from(v).ok().map(Value::Num)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'a>, E> {
                let whole = v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64;
                Ok(Scalar(whole.then_some(Value::Num(v as u64))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'a>, E> {
                Ok(Scalar(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'a>, E> {
                Ok(Scalar(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Flow;
    use crate::model::{Alert, ContextEvent, Direction, IpProto, Location, Provenance, YearSource};

    /// The first line of tests/fixtures/snort3/seed000-llmnr/alert_json.txt (Snort 3.11.1).
    const LLMNR: &str = r#"{ "timestamp" : "04/28-02:14:03.418862", "seconds" : 1461809643, "pkt_num" : 1, "proto" : "UDP", "pkt_gen" : "raw", "pkt_len" : 60, "dir" : "C2S", "src_addr" : "192.168.88.23", "src_port" : 52814, "src_ap" : "192.168.88.23:52814", "dst_addr" : "224.0.0.252", "dst_port" : 5355, "dst_ap" : "224.0.0.252:5355", "ip_id" : 4096, "ip_len" : 40, "ttl" : 1, "udp_len" : 40, "service" : "unknown", "gid" : 1, "sid" : 2009099, "rev" : 3, "msg" : "ET P2P ThunderNetwork UDP Traffic", "class" : "Potential Corporate Privacy Violation", "priority" : 1, "rule" : "1:2009099:3", "action" : "allow", "b64_data" : "MgAAAAABAAAAAAAADktyaXN0aXMtTGFwdG9wAAABAAE=" }"#;

    /// Corpus lines (snort-3.11.1-runs): an ICMP ping on VLAN 400 with flow counters
    /// (detect-vlan-id), a reassembled Modbus PDU (stream_tcp), an ARP packet without IP, and
    /// IPv6 loopback whose upper layer Snort did not decode.
    const ICMP_VLAN: &str = r#"{ "timestamp" : "12/23-12:51:08.207991", "seconds" : 1734958268, "pkt_num" : 1, "proto" : "ICMP", "pkt_gen" : "raw", "pkt_len" : 28, "dir" : "C2S", "src_addr" : "1.1.1.1", "src_ap" : "1.1.1.1:0", "dst_addr" : "2.2.2.2", "dst_ap" : "2.2.2.2:0", "eth_src" : "11:11:11:11:11:11", "eth_dst" : "22:22:22:22:22:22", "eth_type" : "0x8100", "eth_len" : 54, "ip_id" : 1, "ip_len" : 8, "tos" : 0, "ttl" : 64, "icmp_type" : 8, "icmp_code" : 0, "icmp_id" : 0, "icmp_seq" : 0, "vlan" : 400, "mpls" : 0, "service" : "unknown", "client_bytes" : 54, "client_pkts" : 1, "server_bytes" : 0, "server_pkts" : 0, "flowstart_time" : 1734958268, "gid" : 116, "sid" : 434, "rev" : 1, "msg" : "(icmp4) ICMP ping Nmap", "class" : "none", "priority" : 3, "rule" : "116:434:1", "action" : "allow" }"#;
    const MODBUS_PDU: &str = r#"{ "timestamp" : "08/26-12:23:27.607932", "seconds" : 1093523007, "pkt_num" : 83, "proto" : "TCP", "pkt_gen" : "stream_tcp", "pkt_len" : 12, "dir" : "C2S", "src_addr" : "10.0.0.57", "src_port" : 2585, "src_ap" : "10.0.0.57:2585", "dst_addr" : "10.0.0.8", "dst_port" : 502, "dst_ap" : "10.0.0.8:502", "vlan" : 0, "mpls" : 0, "service" : "unknown", "client_bytes" : 1264, "client_pkts" : 6, "server_bytes" : 302, "server_pkts" : 5, "flowstart_time" : 1093522946, "gid" : 144, "sid" : 2, "rev" : 1, "msg" : "(modbus) Modbus protocol ID is non-zero", "class" : "none", "priority" : 3, "rule" : "144:2:1", "action" : "allow", "b64_data" : "AAEAEAAGCgEAAQAD" }"#;
    const ARP: &str = r#"{ "timestamp" : "12/15-15:33:06.016331", "seconds" : 1671118386, "pkt_num" : 1, "proto" : "ARP", "pkt_gen" : "raw", "pkt_len" : 0, "dir" : "UNK", "src_ap" : ":0", "dst_ap" : ":0", "eth_src" : "98:90:96:A0:44:EA", "eth_dst" : "00:00:00:00:00:03", "eth_type" : "0x806", "eth_len" : 42, "vlan" : 0, "service" : "unknown", "gid" : 112, "sid" : 1, "rev" : 1, "msg" : "(arp_spoof) unicast ARP request", "class" : "none", "priority" : 3, "rule" : "112:1:1", "action" : "allow" }"#;
    const IPV6_LOOPBACK: &str = r#"{ "timestamp" : "08/02-10:50:25.815538", "seconds" : 1406976625, "pkt_num" : 3, "proto" : "IP", "pkt_gen" : "raw", "pkt_len" : 72, "dir" : "UNK", "src_addr" : "::1", "src_ap" : "::1:0", "dst_addr" : "::1", "dst_ap" : "::1:0", "eth_src" : "00:00:00:00:00:00", "eth_dst" : "00:00:00:00:00:00", "eth_type" : "0x86DD", "eth_len" : 86, "ip_id" : 0, "ip_len" : 32, "tos" : 0, "ttl" : 64, "vlan" : 0, "service" : "unknown", "gid" : 116, "sid" : 150, "rev" : 1, "msg" : "(decode) loopback IP", "class" : "none", "priority" : 3, "rule" : "116:150:1", "action" : "allow", "b64_data" : "3LwLuNHGI4LWj4ewgBABVgAoAAABAQgKAImqYgCJqmI=" }"#;

    /// Packets and bytes to the server and to the client, and the flow's start.
    type FlowSeen = (
        Option<u64>,
        Option<u64>,
        Option<u64>,
        Option<u64>,
        Option<String>,
    );

    /// What the tests look at of one alert, owned.
    #[derive(Debug)]
    struct Seen {
        line: u64,
        micros: Option<i64>,
        year_source: YearSource,
        sig: (u32, Option<u32>, Option<u32>),
        msg: Option<String>,
        class: Option<String>,
        priority: Option<u32>,
        action: Option<String>,
        proto: Option<IpProto>,
        proto_text: Option<String>,
        src: String,
        dest: String,
        direction: Option<Direction>,
        ttl: Option<u8>,
        ip_len: Option<u32>,
        icmp: (Option<u8>, Option<u8>),
        payload: Option<Vec<u8>>,
        flow: Option<FlowSeen>,
        app_proto: Option<String>,
        app: Vec<(String, String)>,
        original: Option<String>,
        snort3: bool,
    }

    impl Seen {
        fn app(&self, k: &str) -> Option<&str> {
            self.app
                .iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.as_str())
        }
    }

    #[derive(Default)]
    struct Collect {
        alerts: Vec<Seen>,
        skipped: Vec<(u64, &'static str, String)>,
        stop_after: Option<usize>,
    }

    fn line_of(p: &Provenance<'_>) -> u64 {
        match p.location {
            Location::Line(n) => n,
            Location::Offset(_) => panic!("alert_json records are located by line"),
        }
    }

    fn ep(e: &crate::model::Endpoint<'_>) -> String {
        match e.port {
            Some(p) => format!("{}:{p}", e.host),
            None => e.host.to_string(),
        }
    }

    impl Collect {
        fn calls(&self) -> usize {
            self.alerts.len() + self.skipped.len()
        }
        fn flow(&self) -> Flow {
            match self.stop_after {
                Some(n) if self.calls() >= n => Flow::Stop,
                _ => Flow::Continue,
            }
        }
    }

    impl Sink for Collect {
        fn alert(&mut self, a: Alert<'_>) -> Flow {
            let s = |c: &Option<Cow<'_, str>>| c.as_deref().map(str::to_string);
            self.alerts.push(Seen {
                line: line_of(&a.source),
                micros: a.timestamp.unix_micros,
                year_source: a.timestamp.year_source,
                sig: (a.gid, a.sid, a.rev),
                msg: s(&a.msg),
                class: s(&a.classification),
                priority: a.priority,
                action: s(&a.action),
                proto: a.proto,
                proto_text: s(&a.proto_text),
                src: ep(&a.src),
                dest: ep(&a.dest),
                direction: a.direction,
                ttl: a.ip.ttl,
                ip_len: a.ip.ip_len,
                icmp: (a.ip.icmp_type, a.ip.icmp_code),
                payload: a.payload.as_deref().map(<[u8]>::to_vec),
                flow: a.flow.as_ref().map(|f| {
                    (
                        f.pkts_toserver,
                        f.pkts_toclient,
                        f.bytes_toserver,
                        f.bytes_toclient,
                        s(&f.start),
                    )
                }),
                app_proto: s(&a.app_proto),
                app: a
                    .app
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                original: match &a.original {
                    Some(Original::Json(t)) => Some(t.to_string()),
                    _ => None,
                },
                snort3: a.engine == Some(crate::model::Engine::Snort3),
            });
            self.flow()
        }
        fn context(&mut self, _: ContextEvent<'_>) -> Flow {
            panic!("alert_json holds no context events")
        }
        fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, d: Option<&str>) -> Flow {
            self.skipped
                .push((line_of(at), reason.as_str(), d.unwrap_or("").to_string()));
            self.flow()
        }
    }

    const CTX: ReadContext<'static> = ReadContext {
        path: "alert_json.txt",
        year: None,
        mtime_year: Some(2030),
    };

    fn run_bytes(text: &[u8]) -> Collect {
        let mut sink = Collect::default();
        read(&mut std::io::Cursor::new(text), &CTX, &mut sink).unwrap();
        sink
    }

    fn one(line: &str) -> Seen {
        let mut c = run_bytes(line.as_bytes());
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        assert_eq!(c.alerts.len(), 1);
        c.alerts.remove(0)
    }

    #[test]
    fn an_llmnr_alert_with_every_field_of_the_fixture() {
        let a = one(LLMNR);
        assert_eq!(a.line, 1);
        assert_eq!(a.micros, Some(1_461_809_643_418_862));
        assert_eq!(a.year_source, YearSource::Written);
        assert_eq!(a.sig, (1, Some(2_009_099), Some(3)));
        assert_eq!(a.msg.as_deref(), Some("ET P2P ThunderNetwork UDP Traffic"));
        assert_eq!(
            a.class.as_deref(),
            Some("Potential Corporate Privacy Violation")
        );
        assert_eq!(a.priority, Some(1));
        assert_eq!(a.action.as_deref(), Some("allowed"));
        assert_eq!(a.app("snort.action"), Some("allow"));
        assert_eq!(a.proto, Some(IpProto::UDP));
        assert_eq!(a.src, "192.168.88.23:52814");
        assert_eq!(a.dest, "224.0.0.252:5355");
        assert_eq!(a.direction, Some(Direction::ToServer));
        assert_eq!((a.ttl, a.ip_len), (Some(1), Some(60)));
        assert_eq!(a.app("snort.ip_len"), Some("40"));
        assert_eq!(a.app("snort.udp_len"), Some("40"));
        assert_eq!(a.app("snort.pkt_num"), Some("1"));
        assert_eq!(a.app("snort.pkt_gen"), Some("raw"));
        assert_eq!(a.app_proto, None);
        assert_eq!(a.flow, None);
        let p = a.payload.unwrap();
        assert_eq!(p.len(), 32);
        assert!(p.windows(14).any(|w| w == b"Kristis-Laptop"));
        assert_eq!(a.original.as_deref(), Some(LLMNR));
        assert!(a.snort3);
    }

    #[test]
    fn icmp_on_a_vlan_with_flow_counters() {
        let a = one(ICMP_VLAN);
        assert_eq!(a.proto, Some(IpProto::ICMP));
        assert_eq!((a.src.as_str(), a.dest.as_str()), ("1.1.1.1", "2.2.2.2"));
        assert_eq!(a.icmp, (Some(8), Some(0)));
        assert_eq!(a.class, None);
        assert_eq!(a.app("vlan"), Some("400"));
        assert_eq!(a.app("mpls"), None);
        assert_eq!(a.app("snort.eth_type"), Some("0x8100"));
        assert_eq!(a.app("snort.eth_src"), Some("11:11:11:11:11:11"));
        assert_eq!(a.app("snort.icmp_id"), Some("0"));
        assert_eq!(
            a.flow,
            Some((
                Some(1),
                Some(0),
                Some(54),
                Some(0),
                Some("2024-12-23T12:51:08.000000Z".to_string())
            ))
        );
        assert_eq!(a.payload, None);
    }

    #[test]
    fn a_reassembled_pdu_is_stream_data() {
        let a = one(MODBUS_PDU);
        assert_eq!(a.src, "10.0.0.57:2585");
        assert_eq!(a.dest, "10.0.0.8:502");
        assert_eq!(a.app("stream"), Some("1"));
        // No IP layer fields: pkt_len is the PDU's length, not a datagram's.
        assert_eq!(a.ip_len, None);
        assert_eq!(a.app("snort.pkt_len"), Some("12"));
        assert_eq!(a.payload.as_deref().map(<[u8]>::len), Some(12));
        assert_eq!(a.flow.as_ref().and_then(|f| f.0), Some(6));
    }

    #[test]
    fn packets_without_ip_or_ports() {
        let a = one(ARP);
        assert_eq!((a.src.as_str(), a.dest.as_str()), ("", ""));
        assert_eq!(a.proto, None);
        assert_eq!(a.proto_text.as_deref(), Some("ARP"));
        assert_eq!(a.direction, None);
        assert_eq!(a.ip_len, None);
        let a = one(IPV6_LOOPBACK);
        assert_eq!((a.src.as_str(), a.dest.as_str()), ("::1", "::1"));
        assert_eq!(a.proto_text.as_deref(), Some("IP"));
        assert_eq!(a.ip_len, Some(72));
    }

    #[test]
    fn the_default_fields_and_addresses_from_ap_only() {
        // `fields` unset: timestamp pkt_num proto pkt_gen pkt_len dir src_ap dst_ap rule action.
        let l = r#"{ "timestamp" : "04/28-02:14:03.418862", "pkt_num" : 1, "proto" : "UDP", "pkt_gen" : "raw", "pkt_len" : 60, "dir" : "C2S", "src_ap" : "192.168.88.23:52814", "dst_ap" : "224.0.0.252:5355", "rule" : "1:2009099:3", "action" : "allow" }"#;
        let a = one(l);
        assert_eq!(a.sig, (1, Some(2_009_099), Some(3)));
        assert_eq!(a.src, "192.168.88.23:52814");
        assert_eq!(a.dest, "224.0.0.252:5355");
        // No `seconds`: the year is the file's, as for alert_fast.
        assert_eq!(a.year_source, YearSource::FileModified);
        assert_eq!(a.ip_len, None);
        let v6 =
            r#"{"proto":"TCP","src_ap":"2001:db8::1:443","dst_ap":"fe80::2:0","gid":1,"sid":2}"#;
        let a = one(v6);
        assert_eq!(a.src, "2001:db8::1:443");
        assert_eq!(a.dest, "fe80::2:0");
        let icmp = r#"{"proto":"ICMP","src_ap":"10.0.0.1:0","dst_ap":"10.0.0.2:0","rule":"1:2:3"}"#;
        let a = one(icmp);
        assert_eq!((a.src.as_str(), a.dest.as_str()), ("10.0.0.1", "10.0.0.2"));
    }

    #[test]
    fn odd_values_read_as_unknown_and_keys_as_written() {
        let l = r#"{"gid":"1","sid":-5,"rev":1.5,"rule":"x:y","msg":"a \"quoted\" \u00e9","priority":null,"ttl":300,"src_port":70000,"src_addr":"10.0.0.1","proto":["TCP"],"new_field":{"a":[1,2]},"dir":"sideways","b64_data":"!!","service":"http","msg":"second"}"#;
        let a = one(l);
        assert_eq!(a.sig, (1, None, None));
        assert_eq!(a.msg.as_deref(), Some("second"));
        assert_eq!(a.priority, None);
        assert_eq!(a.ttl, None);
        assert_eq!(a.src, "10.0.0.1");
        assert_eq!(a.proto, None);
        assert_eq!(a.direction, None);
        assert_eq!(a.payload, None);
        assert_eq!(a.app("decode_error"), Some("b64_data"));
        assert_eq!(a.app_proto.as_deref(), Some("http"));
        let a = one(r#"{"msg":"a \"quoted\" \u00e9","sid":1}"#);
        assert_eq!(a.msg.as_deref(), Some("a \"quoted\" é"));
    }

    #[test]
    fn lines_that_are_not_alerts_are_skipped_with_their_line() {
        let text = format!("{LLMNR}\n\n  \nnot json\n[1,2]\n{{}}\n{{\"event_type\":\"alert\"}}\n{{\"sid\":1\n\u{feff}{LLMNR}\n");
        let c = run_bytes(text.as_bytes());
        assert_eq!(c.alerts.len(), 1);
        let reasons: Vec<(u64, &str)> = c.skipped.iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(
            reasons,
            vec![
                (4, "invalid_json"),
                (5, "unrecognised_line"),
                (6, "unrecognised_line"),
                (7, "unrecognised_line"),
                (8, "invalid_json"),
                (9, "invalid_json"),
            ]
        );
        assert!(c.skipped[0].2.starts_with("line 4: "), "{}", c.skipped[0].2);
        // A byte-order mark only counts on the first line.
        let c = run_bytes(format!("\u{feff}{LLMNR}\n").as_bytes());
        assert_eq!((c.alerts.len(), c.skipped.len()), (1, 0));
        let mut bad = LLMNR.as_bytes().to_vec();
        bad[30] = 0xff;
        // One bad byte no longer drops the alert: it is replaced and the record kept.
        let c = run_bytes(&bad);
        assert_eq!((c.alerts.len(), c.skipped.len()), (1, 0));
    }

    #[test]
    fn an_overlong_line_is_skipped_and_reading_goes_on() {
        let mut text = format!("{{\"msg\":\"{}\"}}\n", "x".repeat(MAX_LINE_LEN));
        text.push_str(LLMNR);
        let c = run_bytes(text.as_bytes());
        assert_eq!(c.skipped.len(), 1);
        assert_eq!((c.skipped[0].0, c.skipped[0].1), (1, "line_too_long"));
        assert_eq!(c.alerts.len(), 1);
        assert_eq!(c.alerts[0].line, 2);
    }

    #[test]
    fn the_sink_can_stop_reading() {
        let text = format!("{LLMNR}\n{LLMNR}\n{LLMNR}\n");
        let mut sink = Collect {
            stop_after: Some(2),
            ..Collect::default()
        };
        let e = read(&mut text.as_bytes(), &CTX, &mut sink).unwrap_err();
        assert!(matches!(e, ReadError::Stopped));
        assert_eq!(sink.calls(), 2);
    }

    #[test]
    fn every_cut_and_mutation_of_a_line_is_one_record() {
        for line in [LLMNR, ICMP_VLAN, MODBUS_PDU, ARP, IPV6_LOOPBACK] {
            let b = line.as_bytes();
            for cut in 0..=b.len() {
                let c = run_bytes(&b[..cut]);
                let blank = b[..cut].iter().all(u8::is_ascii_whitespace);
                assert_eq!(c.calls(), usize::from(!blank), "{:?}", &line[..cut]);
            }
        }
        let b = LLMNR.as_bytes();
        let subs: [&[u8]; 8] = [b"\"", b":", b",", b"{", b"\\", b"\xff", b"\xc3\xa9", b"\n"];
        for i in 0..b.len() {
            for sub in subs {
                let mut m = b[..i].to_vec();
                m.extend_from_slice(sub);
                m.extend_from_slice(&b[i + 1..]);
                let c = run_bytes(&m);
                let records = m
                    .split(|x| *x == b'\n')
                    .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                    .count();
                assert_eq!(c.calls(), records, "{}", String::from_utf8_lossy(&m));
            }
        }
    }

    #[test]
    fn tells_snort_json_keys_from_others() {
        assert!(looks_like_snort_json(LLMNR));
        assert!(looks_like_snort_json(r#"{"gid" : 1, "sid":2}"#));
        assert!(!looks_like_snort_json(r#"{"gid":1}"#));
        assert!(!looks_like_snort_json(r#"{"msg":"pkt_num rule"}"#));
        assert!(!looks_like_snort_json(r#"{"x":"\"rule\""}"#));
        assert!(!looks_like_snort_json(r#"{"ts":1,"rules":2}"#));
    }
}
