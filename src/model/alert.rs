//! The [`Alert`]: one IDS alert, read from any input format, with where it was read from.
//!
//! Alerts borrow from the reader's buffer (`'a`); text that had to be unescaped or decoded is
//! owned (`Cow::Owned`). `into_owned` makes an alert that outlives its buffer, for the few places
//! that must hold alerts back.

use std::borrow::Cow;

use super::addr::Endpoint;
use super::proto::IpProto;
use super::time::Timestamp;

/// Where in its file a record was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// 1-based line number of the record's first line.
    Line(u64),
    /// Byte offset of the record from the start of the (decompressed) input.
    Offset(u64),
}

/// A record's provenance: the input path (`-` for stdin) and its location in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance<'a> {
    pub path: Cow<'a, str>,
    pub location: Location,
}

impl Provenance<'_> {
    pub fn into_owned(self) -> Provenance<'static> {
        Provenance {
            path: Cow::Owned(self.path.into_owned()),
            location: self.location,
        }
    }
}

/// The input formats fpx reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Suricata EVE JSON lines.
    Eve,
    /// One-line alerts: Snort 2 `alert_fast`, Suricata `fast.log`, Snort 3 `alert_fast`.
    Fast,
    /// Multi-line alerts: Snort 1.8/2.9 `alert_full`, also inside surrounding text.
    Full,
    /// Snort/Suricata unified2 binary spools.
    Unified2,
    /// Linux ipchains `Packet log:` lines.
    Ipchains,
    /// Linux netfilter/iptables `LOG` target lines.
    Netfilter,
    /// Cisco ASA/PIX syslog messages.
    CiscoAsa,
    /// OpenBSD pf as printed by tcpdump from pflog.
    Pflog,
    /// Zeek (Bro) logs: TSV with `#fields` headers, or JSON lines.
    Zeek,
    /// Snort 3 `alert_json` lines.
    SnortJson,
    /// Snort `alert_csv` lines (Snort 3, and Snort 2's default field list).
    SnortCsv,
}

impl InputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Eve => "eve",
            InputFormat::Fast => "fast",
            InputFormat::Full => "full",
            InputFormat::Unified2 => "unified2",
            InputFormat::Ipchains => "ipchains",
            InputFormat::Netfilter => "netfilter",
            InputFormat::CiscoAsa => "cisco_asa",
            InputFormat::Pflog => "pflog",
            InputFormat::Zeek => "zeek",
            InputFormat::SnortJson => "snort_json",
            InputFormat::SnortCsv => "snort_csv",
        }
    }

    /// Parses a `--input-format` name.
    /// Every format, in the order `--help` lists them.
    pub const ALL: [InputFormat; 11] = [
        InputFormat::Eve,
        InputFormat::Fast,
        InputFormat::Full,
        InputFormat::Unified2,
        InputFormat::Ipchains,
        InputFormat::Netfilter,
        InputFormat::CiscoAsa,
        InputFormat::Pflog,
        InputFormat::Zeek,
        InputFormat::SnortJson,
        InputFormat::SnortCsv,
    ];

    pub fn from_name(s: &str) -> Option<InputFormat> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The engine that wrote an alert, as far as its format tells. Suggestions are written in
/// its dialect (a Snort 3 sensor wants Lua tables where Suricata wants threshold.config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    Suricata,
    Snort2,
    Snort3,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Suricata => "suricata",
            Engine::Snort2 => "snort2",
            Engine::Snort3 => "snort3",
        }
    }

    pub fn from_name(s: &str) -> Option<Engine> {
        [Engine::Suricata, Engine::Snort2, Engine::Snort3]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// Direction of the alerting packet relative to the flow, as the sensor saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ToServer,
    ToClient,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ToServer => "to_server",
            Direction::ToClient => "to_client",
        }
    }
}

/// Flow context from the sensor (EVE `flow`) or from a joined capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowInfo<'a> {
    pub flow_id: Option<u64>,
    pub pkts_toserver: Option<u64>,
    pub pkts_toclient: Option<u64>,
    pub bytes_toserver: Option<u64>,
    pub bytes_toclient: Option<u64>,
    pub start: Option<Cow<'a, str>>,
    /// TCP state at the end of the flow (`new`, `established`, `closed`, ...).
    pub state: Option<Cow<'a, str>>,
    /// The side that opened the flow (the client), when known.
    pub client: Option<Endpoint<'a>>,
    /// Whether a TCP handshake was seen for the flow, when known.
    pub handshake_seen: Option<bool>,
}

/// The raw link-layer frame or IP packet behind an alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    pub bytes: Cow<'a, [u8]>,
    /// pcap link type (1 Ethernet, 101 raw IP, 113 Linux SLL, ...).
    pub linktype: u32,
}

/// IP and transport header fields that text alerts print and decoders find.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpHeader<'a> {
    pub ttl: Option<u8>,
    pub tos: Option<u8>,
    pub id: Option<u32>,
    pub ip_len: Option<u32>,
    pub dont_fragment: Option<bool>,
    /// TCP flags as written (`***AP***`) or rendered by a decoder.
    pub tcp_flags: Option<Cow<'a, str>>,
    pub tcp_seq: Option<u32>,
    pub tcp_ack: Option<u32>,
    pub tcp_win: Option<u32>,
    /// ICMP type and code for portless ICMP alerts.
    pub icmp_type: Option<u8>,
    pub icmp_code: Option<u8>,
    /// The identifier of an ICMP echo or echo reply.
    pub icmp_id: Option<u16>,
}

/// The record as it was read, for pass-through in JSON output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Original<'a> {
    /// The JSON text of the record exactly as read (EVE, Snort 3 alert_json). Readers make
    /// one only of text that parsed as a JSON object, and the JSON report writes it without
    /// parsing it again.
    Json(Cow<'a, str>),
    /// The text lines of the record exactly as read (fast, full).
    Text(Cow<'a, str>),
}

/// Application-layer fields known for an alert, keyed by their EVE names (`http.hostname`,
/// `http.url`, `dns.rrname`, `tls.sni`, ...). A short list, searched linearly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppFields<'a> {
    pub fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> AppFields<'a> {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    pub fn push(&mut self, key: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        self.fields.push((key.into(), value.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// One IDS alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert<'a> {
    pub source: Provenance<'a>,
    pub format: InputFormat,
    /// The engine that wrote it, when the format says (EVE is Suricata's; Snort 3 quotes the
    /// msg of its text alerts and writes type 114 unified2 events).
    pub engine: Option<Engine>,
    pub timestamp: Timestamp<'a>,
    pub gid: u32,
    /// Snort 1.x alerts carry no sid; it is resolved from a sid-msg.map when one is given.
    pub sid: Option<u32>,
    pub rev: Option<u32>,
    pub msg: Option<Cow<'a, str>>,
    pub classification: Option<Cow<'a, str>>,
    /// The numeric classification id (unified2), resolved to `classification` through a
    /// classification.config when one is given.
    pub classification_id: Option<u32>,
    pub priority: Option<u32>,
    /// EVE `alert.action` (`allowed`, `blocked`).
    pub action: Option<Cow<'a, str>>,
    pub proto: Option<IpProto>,
    /// The protocol as written when it is not an IP protocol name fpx knows.
    pub proto_text: Option<Cow<'a, str>>,
    pub src: Endpoint<'a>,
    pub dest: Endpoint<'a>,
    pub ip: IpHeader<'a>,
    /// Bytes of the alerting packet's payload (or the matched stream or buffer).
    pub payload: Option<Cow<'a, [u8]>>,
    pub packet: Option<Packet<'a>>,
    pub flow: Option<FlowInfo<'a>>,
    pub direction: Option<Direction>,
    pub app_proto: Option<Cow<'a, str>>,
    pub app: AppFields<'a>,
    /// Rule metadata (`metadata` keyword / EVE `alert.metadata`) as key, value pairs.
    pub metadata: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The rule text when the sensor logged it (EVE `alert.rule`).
    pub rule: Option<Cow<'a, str>>,
    pub original: Option<Original<'a>>,
}

#[cfg(test)]
impl Alert<'static> {
    /// A TCP alert from `src`:`sp` to `dst`:`dp` (addresses or sanitised labels), read from
    /// line 1 of a file "t", for the unit tests of later stages.
    pub fn between(src: &str, sp: u16, dst: &str, dp: u16, format: InputFormat) -> Alert<'static> {
        let mut a = Alert::new(
            Provenance {
                path: Cow::Borrowed("t"),
                location: super::Location::Line(1),
            },
            format,
            Timestamp::unparsed(""),
        );
        a.proto = Some(super::IpProto::TCP);
        a.src = Endpoint {
            host: super::Host::parse(src).into_owned(),
            port: Some(sp),
        };
        a.dest = Endpoint {
            host: super::Host::parse(dst).into_owned(),
            port: Some(dp),
        };
        a
    }
}

impl<'a> Alert<'a> {
    /// An alert with only provenance and format set, for readers to fill in.
    pub fn new(source: Provenance<'a>, format: InputFormat, timestamp: Timestamp<'a>) -> Self {
        use super::addr::Host;
        let unknown = || Endpoint {
            host: Host::Label {
                text: Cow::Borrowed(""),
                known: None,
            },
            port: None,
        };
        Alert {
            source,
            format,
            engine: None,
            timestamp,
            gid: 1,
            sid: None,
            rev: None,
            msg: None,
            classification: None,
            classification_id: None,
            priority: None,
            action: None,
            proto: None,
            proto_text: None,
            src: unknown(),
            dest: unknown(),
            ip: IpHeader::default(),
            payload: None,
            packet: None,
            flow: None,
            direction: None,
            app_proto: None,
            app: AppFields::default(),
            metadata: Vec::new(),
            rule: None,
            original: None,
        }
    }

    /// The alert with every borrowed part copied, so that it outlives the reader's buffer.
    pub fn into_owned(self) -> Alert<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        fn own_opt(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            c.map(own)
        }
        Alert {
            source: self.source.into_owned(),
            format: self.format,
            engine: self.engine,
            timestamp: self.timestamp.into_owned(),
            gid: self.gid,
            sid: self.sid,
            rev: self.rev,
            msg: own_opt(self.msg),
            classification: own_opt(self.classification),
            classification_id: self.classification_id,
            priority: self.priority,
            action: own_opt(self.action),
            proto: self.proto,
            proto_text: own_opt(self.proto_text),
            src: self.src.into_owned(),
            dest: self.dest.into_owned(),
            ip: IpHeader {
                tcp_flags: own_opt(self.ip.tcp_flags),
                ..self.ip
            },
            payload: self.payload.map(|p| Cow::Owned(p.into_owned())),
            packet: self.packet.map(|p| Packet {
                bytes: Cow::Owned(p.bytes.into_owned()),
                linktype: p.linktype,
            }),
            flow: self.flow.map(|f| FlowInfo {
                start: own_opt(f.start),
                state: own_opt(f.state),
                client: f.client.map(Endpoint::into_owned),
                ..f
            }),
            direction: self.direction,
            app_proto: own_opt(self.app_proto),
            app: AppFields {
                fields: self
                    .app
                    .fields
                    .into_iter()
                    .map(|(k, v)| (own(k), own(v)))
                    .collect(),
            },
            metadata: self
                .metadata
                .into_iter()
                .map(|(k, v)| (own(k), own(v)))
                .collect(),
            rule: own_opt(self.rule),
            original: self.original.map(|o| match o {
                Original::Json(t) => Original::Json(own(t)),
                Original::Text(t) => Original::Text(own(t)),
            }),
        }
    }

    /// About how many bytes the alert holds beyond its fixed size, for budgets of held
    /// alerts.
    pub fn heap_size(&self) -> usize {
        let s = |c: &Option<Cow<'_, str>>| c.as_ref().map_or(0, |c| c.len());
        let original = match &self.original {
            Some(Original::Json(t) | Original::Text(t)) => t.len(),
            None => 0,
        };
        self.payload.as_ref().map_or(0, |p| p.len())
            + self.packet.as_ref().map_or(0, |p| p.bytes.len())
            + original
            + s(&self.msg)
            + s(&self.classification)
            + s(&self.rule)
            + self.source.path.len()
            + self
                .app
                .fields
                .iter()
                .chain(&self.metadata)
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
    }

    /// `gid:sid:rev` as Snort prints it, with `?` for unknown parts.
    pub fn signature_id(&self) -> String {
        let sid = self.sid.map_or_else(|| "?".to_string(), |s| s.to_string());
        let rev = self.rev.map_or_else(|| "?".to_string(), |s| s.to_string());
        format!("{}:{}:{}", self.gid, sid, rev)
    }
}

/// Why a record was not turned into an alert or context event; counted in the summary.
/// The strings are stable output (`skipped` keys in the JSON summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SkipReason(pub &'static str);

impl SkipReason {
    pub const BLANK: SkipReason = SkipReason("blank_line");
    pub const NOT_JSON: SkipReason = SkipReason("invalid_json");
    pub const NOT_AN_ALERT_LINE: SkipReason = SkipReason("unrecognised_line");
    pub const SURROUNDING_TEXT: SkipReason = SkipReason("surrounding_text");
    pub const MALFORMED_ALERT: SkipReason = SkipReason("malformed_alert");
    pub const TRUNCATED: SkipReason = SkipReason("truncated_record");

    /// EVE records that are not alerts and not used as context: `eve_<event_type>`.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}
