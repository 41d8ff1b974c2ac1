//! Payload dissectors: the bytes behind an alert → named, classified byte ranges and the facts
//! a protocol header states.
//!
//! One file per protocol. Each keeps pure wire parsing (spans and numbers, no judgement) apart
//! from interpretation (field names, classes, what the values mean):
//!
//! - [`http`]: HTTP/1.x requests and responses, whole or cut short by the packet boundary;
//! - [`dns`]: the DNS wire format (header, names with compression pointers, records), bounded;
//!   [`name_service`] interprets it as DNS, LLMNR, mDNS or NBNS, and [`nbns`] decodes NetBIOS
//!   names;
//! - [`ssdp`]: UPnP discovery messages (HTTP over UDP);
//! - [`magic`]: file magic at the start of a body or payload, and [`gif`] for GIF headers;
//! - [`tls`]: TLS records and the handshake messages that travel in clear (hellos, the
//!   certificate chain), with [`der`] for the names in a certificate;
//! - [`smb`]: the NetBIOS session service and SMB1/SMB2 headers;
//! - [`dhcp`]: DHCP and BOOTP; [`ntp`]: NTP, including mode 6 control and mode 7 requests;
//! - [`bittorrent`]: the peer handshake and DHT messages, with [`bencode`];
//! - [`irc`]: IRC command lines;
//! - [`ddos`]: control messages of the classic DDoS tools, from `knowledge/ddos-tools.toml`.
//!
//! Which protocol a payload is comes from facts in the knowledge base (multicast groups and
//! service ports), confirmed by the header actually parsing. Port numbers are never written
//! here. Every parser is total: hostile bytes give anomalies, not panics, and no field ever
//! reaches past the payload.

pub mod bencode;
pub mod bittorrent;
pub mod ddos;
pub mod der;
pub mod dhcp;
pub mod dns;
pub mod gif;
pub mod http;
pub mod igmp;
pub mod irc;
pub mod magic;
pub mod name_service;
pub mod nbns;
pub mod ntp;
pub mod smb;
pub mod ssdp;
pub mod tls;
mod wire;

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use crate::knowledge::Knowledge;
use crate::model::{Alert, IpProto};

/// Most fields one dissection records. A 64 KiB payload of one-byte DNS labels could otherwise
/// produce tens of thousands of fields; past this many, the rest of the payload is one
/// `Unknown` field and the anomaly [`TOO_MANY_FIELDS`] is set.
pub const MAX_FIELDS: usize = 1024;

/// Anomaly set when [`MAX_FIELDS`] was reached.
pub const TOO_MANY_FIELDS: &str = "too_many_fields";

/// What is known about the packet around the payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hint {
    pub proto: Option<IpProto>,
    pub src: Option<IpAddr>,
    pub dest: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dest_port: Option<u16>,
    /// The identifier of an ICMP echo or echo reply, when the alert gives it.
    pub icmp_id: Option<u16>,
}

impl Hint {
    /// The hint an alert gives.
    pub fn of_alert(alert: &Alert<'_>) -> Hint {
        Hint {
            proto: alert.proto,
            src: alert.src.host.ip(),
            dest: alert.dest.host.ip(),
            src_port: alert.src.port,
            dest_port: alert.dest.port,
            icmp_id: alert.ip.icmp_id,
        }
    }
}

/// The kind of bytes a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldClass {
    /// An identifier chosen at random by the sender (DNS transaction ID).
    RandomId,
    Flags,
    Count,
    Length,
    /// A number from a registry or a small fixed set (type, class, status code, opcode).
    Code,
    /// A label of a name (DNS label, NetBIOS name).
    Name,
    /// A header line of a text protocol.
    HeaderText,
    /// The request or status line of a text protocol.
    StartLine,
    TextBody,
    /// Image, audio or video data: compressed, so effectively random bytes.
    MediaBody,
    /// Other binary data (compressed, executable, archive).
    BinaryBody,
    /// File magic bytes.
    Magic,
    Padding,
    Unknown,
}

impl FieldClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldClass::RandomId => "random_id",
            FieldClass::Flags => "flags",
            FieldClass::Count => "count",
            FieldClass::Length => "length",
            FieldClass::Code => "code",
            FieldClass::Name => "name",
            FieldClass::HeaderText => "header_text",
            FieldClass::StartLine => "start_line",
            FieldClass::TextBody => "text_body",
            FieldClass::MediaBody => "media_body",
            FieldClass::BinaryBody => "binary_body",
            FieldClass::Magic => "magic",
            FieldClass::Padding => "padding",
            FieldClass::Unknown => "unknown",
        }
    }

    /// Whether bytes in such a field are effectively random for chance-match estimates: a
    /// random ID, and compressed media or binary data, where any byte value is about as likely
    /// as any other. Text, names, codes and counts are not: their bytes follow a grammar.
    pub fn is_random_like(self) -> bool {
        matches!(
            self,
            FieldClass::RandomId | FieldClass::MediaBody | FieldClass::BinaryBody
        )
    }
}

/// A named byte range of the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub range: Range<usize>,
    pub name: Cow<'static, str>,
    pub class: FieldClass,
    /// The value as text, when it has one worth showing.
    pub value: Option<String>,
}

impl Field {
    pub fn new(
        range: Range<usize>,
        name: impl Into<Cow<'static, str>>,
        class: FieldClass,
        value: Option<String>,
    ) -> Field {
        Field {
            range,
            name: name.into(),
            class,
            value,
        }
    }
}

/// What an HTTP message states.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpFacts {
    pub is_response: bool,
    pub method: Option<String>,
    pub uri: Option<String>,
    pub version: Option<String>,
    pub status: Option<u16>,
    pub reason: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    /// Offset just past the blank line ending the headers, when the payload holds it.
    pub headers_end: Option<usize>,
    /// The body's bytes in the payload (possibly only its start).
    pub body: Option<Range<usize>>,
}

/// What a DNS-family header and first question state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsFacts {
    pub id: u16,
    pub is_response: bool,
    pub opcode: u8,
    pub rcode: u8,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
    /// The first question's name, dotted (NBNS: the encoded form as sent).
    pub qname: Option<String>,
    pub qtype: Option<u16>,
    /// An NBNS node status request (question type NBSTAT).
    pub nbstat: bool,
    /// NBNS: the first question's NetBIOS name, decoded, with its suffix (`KRISTIS-LAPTOP<00>`).
    pub decoded_netbios_name: Option<String>,
}

/// What an SSDP message states.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SsdpFacts {
    /// `M-SEARCH`, `NOTIFY`, or `RESPONSE` for a `HTTP/1.1 200` answer to a search.
    pub method: String,
    /// The search target (`ST`) or notification type (`NT`).
    pub target: Option<String>,
    /// `USER-AGENT` of a request, or `SERVER` of a response or notification.
    pub user_agent: Option<String>,
}

/// What a message of the protocols without a facts struct of their own above states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppFacts {
    Tls(tls::TlsFacts),
    Smb(smb::SmbFacts),
    Dhcp(dhcp::DhcpFacts),
    Ntp(ntp::NtpFacts),
    Bittorrent(bittorrent::BittorrentFacts),
    Irc(irc::IrcFacts),
    Ddos(ddos::DdosFacts),
    /// IGMP: the message kind (`IGMPv2 membership report`).
    Igmp(&'static str),
}

/// One of those protocols' messages as its dissector read it.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub protocol: &'static str,
    pub fields: Vec<Field>,
    pub anomalies: Vec<&'static str>,
    /// What the message is, as a phrase: "a TLS ClientHello for example.com".
    pub summary: String,
    pub is_response: Option<bool>,
    pub app: AppFacts,
    /// The defining document, when the dissector knows it better than the port's entry.
    pub doc: Option<String>,
}

/// File magic found in the payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BodyMagic {
    /// Payload offset of the magic bytes.
    pub offset: usize,
    pub name: String,
    pub mime: String,
    /// `media`, `document`, `archive` or `executable`.
    pub class: String,
    pub binary: bool,
    /// Where the magic number is defined.
    pub source: String,
}

/// The result of dissecting one payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dissection {
    /// `http`, `dns`, `llmnr`, `mdns`, `nbns`, `ssdp`, `tls`, `smb`, `dhcp`, `ntp`,
    /// `bittorrent`, `irc` or `ddos-tool`; `None` when no dissector recognised the payload.
    pub protocol: Option<&'static str>,
    /// How the protocol was told apart, in words.
    pub recognised_by: String,
    /// The protocol's defining document, from the knowledge base.
    pub rfc: Option<String>,
    /// Named byte ranges, sorted by start, not overlapping, all inside the payload.
    pub fields: Vec<Field>,
    pub is_response: Option<bool>,
    pub http: Option<HttpFacts>,
    pub dns: Option<DnsFacts>,
    pub ssdp: Option<SsdpFacts>,
    /// TLS, SMB, DHCP, NTP, BitTorrent, IRC or DDoS-tool facts.
    pub app: Option<AppFacts>,
    /// File magic at the start of an HTTP body, or at payload offset 0 for other payloads.
    pub body_magic: Option<BodyMagic>,
    /// Oddities found while parsing (`http_truncated_headers`, `dns_name_loop`, ...).
    pub anomalies: Vec<&'static str>,
    /// Set when the payload continues a message an earlier alert's payload opened (a later
    /// segment of the same TCP stream): where in that message it lies.
    pub continues: Option<Continues>,
}

/// The start of an application message as one payload showed it, for the payloads that
/// continue it: enough to say what every later byte of the message is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageStart {
    pub protocol: &'static str,
    pub rfc: Option<String>,
    pub http: HttpFacts,
    pub body_magic: Option<BodyMagic>,
    /// Bytes of the start line and headers, up to the body.
    pub header_len: u64,
}

impl MessageStart {
    /// The message a dissected payload opens: an HTTP message whose start line is the
    /// payload's first byte and whose headers end inside it.
    pub fn of(d: &Dissection) -> Option<MessageStart> {
        let http = d.http.as_ref()?;
        let header_len = http.headers_end? as u64;
        if d.fields.first().is_none_or(|f| f.range.start != 0) {
            return None;
        }
        Some(MessageStart {
            protocol: d.protocol?,
            rfc: d.rfc.clone(),
            http: http.clone(),
            body_magic: d.body_magic.clone(),
            header_len,
        })
    }
}

/// Where a payload lies in a message an earlier alert explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Continues {
    /// The alert whose payload opened the message.
    pub alert_index: u64,
    /// The payload's first byte and one past its last, counted from the message's start.
    pub start: u64,
    pub end: u64,
    /// The same, counted from the start of the body.
    pub body_start: u64,
}

/// The dissection of a payload that continues `m` from byte `offset` of the message (past its
/// headers): all of it is body, of the body's type.
pub fn continued(
    payload_len: usize,
    m: &MessageStart,
    offset: u64,
    alert_index: u64,
) -> Dissection {
    let end = offset + payload_len as u64;
    let body_start = offset.saturating_sub(m.header_len);
    let (class, what) = match &m.body_magic {
        Some(b) if b.class == "media" => (FieldClass::MediaBody, format!("{} data", b.name)),
        Some(b) if b.binary => (FieldClass::BinaryBody, format!("{} data", b.name)),
        Some(b) => (FieldClass::TextBody, format!("{} text", b.name)),
        None => (FieldClass::Unknown, "body data".to_string()),
    };
    let noun = if m.http.is_response {
        "response"
    } else {
        "request"
    };
    let mut http = m.http.clone();
    http.body = Some(0..payload_len);
    http.headers_end = None;
    Dissection {
        protocol: Some(m.protocol),
        recognised_by: format!(
            "bytes {offset}–{} of the {} {noun} that alert {alert_index} explained: the same TCP \
             stream and direction, its sequence number {body_start} bytes into that message's \
             body; {what}",
            end - 1,
            display_name(m.protocol)
        ),
        rfc: m.rfc.clone(),
        fields: vec![Field::new(
            0..payload_len,
            format!(
                "{} body, bytes {body_start}–{} ({what})",
                display_name(m.protocol),
                body_start + payload_len as u64 - 1
            ),
            class,
            None,
        )],
        is_response: Some(m.http.is_response),
        http: Some(http),
        dns: None,
        ssdp: None,
        app: None,
        body_magic: m.body_magic.clone(),
        anomalies: Vec::new(),
        continues: Some(Continues {
            alert_index,
            start: offset,
            end,
            body_start,
        }),
    }
}

impl Dissection {
    /// The field that contains byte `offset`.
    pub fn field_at(&self, offset: usize) -> Option<&Field> {
        // Fields are sorted and disjoint: the candidate is the last one starting at or before
        // the offset.
        let i = self.fields.partition_point(|f| f.range.start <= offset);
        let f = self.fields.get(i.checked_sub(1)?)?;
        f.range.contains(&offset).then_some(f)
    }

    /// Fields that share at least one byte with `r`.
    pub fn fields_overlapping(&self, r: Range<usize>) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(move |f| f.range.start < r.end && r.start < f.range.end)
    }

    fn anomaly(&mut self, a: &'static str) {
        if !self.anomalies.contains(&a) {
            self.anomalies.push(a);
        }
    }
}

/// Dissects an alert's payload. An alert without payload bytes gives an empty dissection.
pub fn dissect(alert: &Alert<'_>, kb: &Knowledge) -> Dissection {
    let hint = Hint::of_alert(alert);
    match alert.payload.as_deref() {
        Some(p) => dissect_bytes(p, &hint, kb),
        None => Dissection::default(),
    }
}

/// The protocol names the dissectors claim, as static strings.
fn claimable(name: &str) -> Option<&'static str> {
    Some(match name {
        "http" => "http",
        "dns" => "dns",
        "llmnr" => "llmnr",
        "mdns" => "mdns",
        "nbns" => "nbns",
        "ssdp" => "ssdp",
        "tls" => "tls",
        "nbss" => "nbss",
        "smb" => "smb",
        "dhcp" => "dhcp",
        "ntp" => "ntp",
        "irc" => "irc",
        _ => return None,
    })
}

/// Why the packet's addressing points at a protocol: the knowledge-base facts, in words.
#[derive(Clone, Debug, Default)]
struct Expectation {
    protocol: Option<&'static str>,
    /// Clauses such as "destination 224.0.0.252 is the LLMNR group (RFC 4795)".
    because: Vec<String>,
}

/// What the addresses and ports say the payload should be.
fn expectation(hint: &Hint, kb: &Knowledge) -> Expectation {
    let mut e = Expectation::default();
    // The groups' protocols (LLMNR, mDNS, SSDP, ...) are UDP: an IGMP report or other IP
    // traffic to the same group is not theirs.
    let udp = match hint.proto {
        Some(p) => p == IpProto::UDP,
        None => hint.dest_port.is_some_and(|p| p != 0),
    };
    if let Some(dest) = hint.dest.filter(|_| udp) {
        if let Some(g) = kb.multicast_group(dest) {
            if let Some(p) = claimable(&g.protocol) {
                e.protocol = Some(p);
                e.because.push(format!(
                    "destination {dest} is the {} group ({})",
                    display_name(p),
                    g.rfc
                ));
            }
        }
    }
    let Some(proto) = hint.proto else { return e };
    // The server side's port names the protocol: the destination for a request, the source
    // for a reply. Try the destination first.
    for (side, port) in [("destination", hint.dest_port), ("source", hint.src_port)] {
        let Some(port) = port else { continue };
        let Some(p) = kb.service_protocol(proto, port).and_then(claimable) else {
            continue;
        };
        match e.protocol {
            None => {
                e.protocol = Some(p);
                e.because.push(format!(
                    "{side} port {port}/{} is the {} service port",
                    proto_name(proto),
                    display_name(p)
                ));
            }
            Some(q) if q == p => {
                let already = e.because.iter().any(|b| b.contains(" port "));
                if !already {
                    e.because.push(format!(
                        "{side} port {port}/{} is its service port",
                        proto_name(proto)
                    ));
                }
            }
            Some(_) => {}
        }
    }
    e
}

fn proto_name(p: IpProto) -> String {
    p.name()
        .map(|n| n.to_ascii_lowercase())
        .unwrap_or_else(|| p.0.to_string())
}

/// How a protocol name reads in prose.
pub fn display_name(protocol: &str) -> &str {
    match protocol {
        "http" => "HTTP",
        "dns" => "DNS",
        "llmnr" => "LLMNR",
        "mdns" => "mDNS",
        "nbns" => "NBNS",
        "ssdp" => "SSDP",
        "tls" => "TLS",
        "nbss" => "NetBIOS session service",
        "smb" => "SMB",
        "dhcp" => "DHCP",
        "ntp" => "NTP",
        "bittorrent" => "BitTorrent",
        "irc" => "IRC",
        "ddos-tool" => "DDoS tool control",
        "igmp" => "IGMP",
        other => other,
    }
}

/// The defining document of a protocol, from the knowledge base: its service entry, else its
/// multicast group entry.
fn rfc_of(protocol: &str, kb: &Knowledge) -> Option<String> {
    kb.services
        .iter()
        .find(|s| s.protocol == protocol)
        .map(|s| s.rfc.clone())
        .or_else(|| {
            kb.groups
                .iter()
                .find(|g| g.protocol == protocol)
                .map(|g| g.rfc.clone())
        })
}

/// Dissects a payload with what is known about the packet around it.
pub fn dissect_bytes(payload: &[u8], hint: &Hint, kb: &Knowledge) -> Dissection {
    let mut d = Dissection::default();
    if payload.is_empty() {
        return d;
    }
    let exp = expectation(hint, kb);
    let because = exp.because.join(" and ");

    // The protocols whose dissectors return a [`Parsed`]: the port's protocol first; when the
    // payload is not that, it is told apart by content below, like any other payload.
    let mut port_miss = None;
    if let Some(p) = exp.protocol {
        if let Some(x) = parse_as(p, payload) {
            let why = format!("{because}; the payload parses as {}", x.summary);
            claim(&mut d, x, why);
        } else if is_parsed_protocol(p) {
            port_miss = Some(p);
        }
    }

    match exp.protocol {
        _ if d.protocol.is_some() => {}
        Some(p @ ("dns" | "llmnr" | "mdns" | "nbns")) => {
            let variant = name_service::Variant::from_protocol(p);
            // Over TCP each message follows a two-octet length (RFC 1035, Section 4.2.2; RFC
            // 1002, Section 4.2; RFC 4795, Section 2.5), and compression pointers count from
            // the message, not the segment.
            let prefix = match (hint.proto, payload) {
                (Some(IpProto::TCP), [hi, lo, rest @ ..])
                    if usize::from(u16::from_be_bytes([*hi, *lo]))
                        >= rest.len().min(dns::HEADER_LEN) =>
                {
                    2
                }
                _ => 0,
            };
            match name_service::dissect(&payload[prefix..], variant) {
                Ok(mut ns) => {
                    d.protocol = Some(p);
                    d.recognised_by = format!("{because}; the header parses as {}", ns.summary);
                    d.is_response = Some(ns.facts.is_response);
                    d.dns = Some(ns.facts);
                    if prefix > 0 {
                        for f in &mut ns.fields {
                            f.range = f.range.start + prefix..f.range.end + prefix;
                        }
                        let len = u16::from_be_bytes([payload[0], payload[1]]);
                        ns.fields.insert(
                            0,
                            Field::new(
                                0..2,
                                "TCP message length",
                                FieldClass::Length,
                                Some(len.to_string()),
                            ),
                        );
                        d.recognised_by.push_str(" after its TCP length prefix");
                    }
                    d.fields = ns.fields;
                    for a in ns.anomalies {
                        d.anomaly(a);
                    }
                }
                Err(rejection) => {
                    d.anomaly(name_service::NOT_A_HEADER);
                    for a in rejection.anomalies {
                        d.anomaly(a);
                    }
                    d.recognised_by = format!(
                        "{because}, but the payload does not parse as a {} header ({})",
                        display_name(p),
                        rejection.reason
                    );
                    payload_magic(payload, kb, &mut d);
                    finish(&mut d, payload.len());
                    return d;
                }
            }
        }
        Some("ssdp") => {
            if let Some(s) = ssdp::dissect(payload) {
                claim_ssdp(&mut d, s, &because);
            } else {
                d.anomaly(ssdp::NOT_SSDP);
                d.recognised_by = format!(
                    "{because}, but the payload is not an SSDP search, notification or response"
                );
                payload_magic(payload, kb, &mut d);
            }
        }
        _ => {
            let udp = hint.proto == Some(IpProto::UDP);
            // SSDP told apart by its start line alone, when the addressing does not say.
            if udp {
                if let Some(s) = ssdp::dissect(payload) {
                    let line = s.facts.method.clone();
                    claim_ssdp(
                        &mut d,
                        s,
                        &format!("the start line is an SSDP {line} sent over UDP"),
                    );
                }
            }
            if d.protocol.is_none() && !udp {
                if let Some(h) = http::dissect(payload, kb) {
                    let mut why = if h.facts.is_response {
                        "the payload starts with an HTTP status line".to_string()
                    } else {
                        "the payload starts with an HTTP request line".to_string()
                    };
                    if exp.protocol == Some("http") {
                        why = format!("{because}, and {why}");
                    }
                    d.protocol = Some("http");
                    d.recognised_by = why;
                    d.is_response = Some(h.facts.is_response);
                    d.http = Some(h.facts);
                    d.body_magic = h.magic;
                    d.fields = h.fields;
                    for a in h.anomalies {
                        d.anomaly(a);
                    }
                }
            }
            if d.protocol.is_none() {
                if let Some((x, why)) = by_content(payload, hint, kb) {
                    let why = if because.is_empty() {
                        why
                    } else {
                        format!("{why}, though {because}")
                    };
                    claim(&mut d, x, why);
                }
            }
            if d.protocol.is_none() {
                if let Some(a) = port_miss.and_then(not_on_port) {
                    d.anomaly(a);
                }
                if !because.is_empty() {
                    d.recognised_by = format!(
                        "{because}, but the payload does not start like {}",
                        exp.protocol.map(display_name).unwrap_or("it")
                    );
                    if exp.protocol == Some("http") {
                        // A later segment of a message, or something else on the port.
                        d.anomaly(http::NO_START_LINE);
                    }
                }
                payload_magic(payload, kb, &mut d);
            }
        }
    }
    if let (Some(p), None) = (d.protocol, &d.rfc) {
        d.rfc = rfc_of(p, kb);
    }
    finish(&mut d, payload.len());
    d
}

/// Whether `p` names a protocol of the dissectors that return a [`Parsed`].
fn is_parsed_protocol(p: &str) -> bool {
    matches!(p, "tls" | "nbss" | "smb" | "dhcp" | "ntp" | "irc")
}

/// Anomaly: the addressing names the protocol, but the payload is not a message of it.
fn not_on_port(p: &str) -> Option<&'static str> {
    Some(match p {
        "tls" => tls::NOT_TLS,
        "nbss" | "smb" => smb::NOT_SMB,
        "dhcp" => dhcp::NOT_DHCP,
        "ntp" => ntp::NOT_NTP,
        "irc" => irc::NOT_IRC,
        _ => return None,
    })
}

/// Dissects `payload` as the protocol its port names.
fn parse_as(protocol: &str, payload: &[u8]) -> Option<Parsed> {
    match protocol {
        "tls" => tls::dissect(payload),
        "nbss" | "smb" => smb::dissect(payload),
        "dhcp" => dhcp::dissect(payload),
        "ntp" => ntp::dissect(payload),
        "irc" => irc::dissect(payload, irc::Strictness::OnItsPort),
        _ => None,
    }
}

/// Recognises a payload that no port fact explained by its bytes alone, with the reason in
/// words. Only exact markers count: a record header with a known version, a magic string, a
/// grammar that parses. The DDoS-tool check comes last and refuses HTTP and file magic.
fn by_content(payload: &[u8], hint: &Hint, kb: &Knowledge) -> Option<(Parsed, String)> {
    let tcp = hint.proto == Some(IpProto::TCP);
    let udp = hint.proto == Some(IpProto::UDP);
    let other_service = [hint.src_port, hint.dest_port]
        .into_iter()
        .flatten()
        .filter_map(|port| kb.service_protocol(hint.proto?, port))
        .any(|p| p != "irc");
    if tcp {
        if tls::starts_like_tls(payload) {
            if let Some(x) = tls::dissect(payload) {
                let why = format!(
                    "the payload starts with a TLS handshake record header (16 03 {:02x}); it \
                     parses as {}",
                    payload.get(2).copied().unwrap_or(0),
                    x.summary
                );
                return Some((x, why));
            }
        }
        if smb::starts_like_smb(payload) {
            if let Some(x) = smb::dissect(payload) {
                let why = format!(
                    "the payload is a NetBIOS session message holding the SMB magic; it parses \
                     as {}",
                    x.summary
                );
                return Some((x, why));
            }
        }
        if let Some(x) = bittorrent::dissect_handshake(payload) {
            let why = format!(
                "the payload starts with the BitTorrent handshake (\\x13BitTorrent protocol): {}",
                x.summary
            );
            return Some((x, why));
        }
        if !other_service {
            if let Some(x) = irc::dissect(payload, irc::Strictness::ByContent) {
                let why = format!("the payload's lines are IRC commands: {}", x.summary);
                return Some((x, why));
            }
        }
    }
    if udp {
        if let Some(x) = bittorrent::dissect_dht(payload) {
            let why = format!(
                "the payload is a bencoded KRPC dictionary (BitTorrent DHT): {}",
                x.summary
            );
            return Some((x, why));
        }
        if dhcp::has_magic_cookie(payload) {
            if let Some(x) = dhcp::dissect(payload) {
                let why = format!(
                    "the payload holds the DHCP magic cookie at offset {}: {}",
                    dhcp::MAGIC_OFFSET,
                    x.summary
                );
                return Some((x, why));
            }
        }
    }
    // IGMP rides on IP itself (protocol 2), which Snort writes as `IP`: told by a valid
    // checksum over a known type, sent to a multicast group.
    let to_group = matches!(hint.dest, Some(IpAddr::V4(v)) if v.is_multicast());
    if to_group && matches!(hint.proto, None | Some(IpProto::IGMP)) {
        if let Some(m) = igmp::dissect(payload) {
            let why = format!(
                "the payload to the multicast group carries a valid IGMP checksum: an {}",
                m.summary
            );
            let x = Parsed {
                protocol: "igmp",
                fields: m.fields,
                anomalies: Vec::new(),
                summary: m.summary,
                is_response: None,
                app: AppFacts::Igmp(m.kind),
                doc: Some("RFC 2236; RFC 3376".to_string()),
            };
            return Some((x, why));
        }
    }
    let x = ddos::dissect(payload, hint, kb)?;
    let why = x.summary.clone();
    Some((x, why))
}

/// Records a [`Parsed`] message as the dissection's protocol.
fn claim(d: &mut Dissection, x: Parsed, why: String) {
    d.protocol = Some(x.protocol);
    d.recognised_by = why;
    d.is_response = x.is_response;
    d.fields = x.fields;
    d.app = Some(x.app);
    d.rfc = x.doc;
    for a in x.anomalies {
        d.anomaly(a);
    }
}

fn claim_ssdp(d: &mut Dissection, s: ssdp::Ssdp, because: &str) {
    d.protocol = Some("ssdp");
    d.recognised_by = format!("{because}; the message is an SSDP {}", s.facts.method);
    d.is_response = Some(s.is_response);
    d.ssdp = Some(s.facts);
    d.fields = s.fields;
    for a in s.anomalies {
        d.anomaly(a);
    }
}

/// File magic at payload offset 0, for payloads no text protocol claimed.
fn payload_magic(payload: &[u8], kb: &Knowledge, d: &mut Dissection) {
    if d.protocol.is_some() {
        return;
    }
    if let Some((m, fields)) = magic::dissect_at(payload, 0..payload.len(), kb, None) {
        if d.recognised_by.is_empty() {
            d.recognised_by = format!("the payload starts with the {} magic", m.name);
        } else {
            d.recognised_by
                .push_str(&format!("; it starts with the {} magic", m.name));
        }
        d.body_magic = Some(m);
        d.fields = fields;
    }
}

/// Enforces the field invariants: inside the payload, sorted, disjoint, bounded in number.
fn finish(d: &mut Dissection, len: usize) {
    d.fields.retain_mut(|f| {
        f.range.end = f.range.end.min(len);
        f.range.start < f.range.end
    });
    d.fields.sort_by_key(|f| f.range.start);
    let mut last_end = 0;
    d.fields.retain_mut(|f| {
        if f.range.start < last_end {
            f.range.start = last_end;
        }
        if f.range.start >= f.range.end {
            return false;
        }
        last_end = f.range.end;
        true
    });
    if d.fields.len() > MAX_FIELDS {
        let start = d.fields[MAX_FIELDS - 1].range.start;
        d.fields.truncate(MAX_FIELDS - 1);
        d.fields.push(Field::new(
            start..len,
            "rest of payload",
            FieldClass::Unknown,
            None,
        ));
        d.anomaly(TOO_MANY_FIELDS);
    }
}

/// Text for a field value: printable ASCII as is, other bytes as `\xNN`.
pub(crate) fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            s.push(b as char);
        } else if b == b'\\' {
            s.push_str("\\\\");
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    pub fn kb() -> Knowledge {
        Knowledge::embedded().expect("embedded knowledge loads")
    }

    /// Checks the invariants every dissection must keep, for the payload it came from.
    pub fn check_invariants(d: &Dissection, len: usize) {
        let mut last = 0;
        for f in &d.fields {
            assert!(f.range.start < f.range.end, "empty field {f:?}");
            assert!(f.range.end <= len, "field {f:?} past payload of {len}");
            assert!(f.range.start >= last, "fields overlap or unsorted at {f:?}");
            last = f.range.end;
        }
        if let Some(h) = &d.http {
            if let Some(b) = &h.body {
                assert!(b.end <= len && b.start <= b.end);
            }
            if let Some(e) = h.headers_end {
                assert!(e <= len);
            }
        }
        if let Some(m) = &d.body_magic {
            assert!(m.offset < len);
        }
    }

    /// Dissects every prefix of `bytes` (no panic, invariants kept).
    pub fn every_truncation(bytes: &[u8], hint: &Hint) {
        let kb = kb();
        for n in 0..=bytes.len() {
            let d = dissect_bytes(&bytes[..n], hint, &kb);
            check_invariants(&d, n);
        }
    }

    pub fn udp(src: &str, sport: u16, dst: &str, dport: u16) -> Hint {
        Hint {
            proto: Some(IpProto::UDP),
            src: src.parse().ok(),
            dest: dst.parse().ok(),
            src_port: Some(sport),
            dest_port: Some(dport),
            icmp_id: None,
        }
    }

    pub fn tcp(src: &str, sport: u16, dst: &str, dport: u16) -> Hint {
        Hint {
            proto: Some(IpProto::TCP),
            ..udp(src, sport, dst, dport)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    fn d_with(fields: Vec<Field>) -> Dissection {
        Dissection {
            fields,
            ..Default::default()
        }
    }

    #[test]
    fn field_lookup() {
        let d = d_with(vec![
            Field::new(0..2, "a", FieldClass::RandomId, None),
            Field::new(2..4, "b", FieldClass::Flags, None),
            Field::new(6..9, "c", FieldClass::Name, None),
        ]);
        assert_eq!(d.field_at(0).unwrap().name, "a");
        assert_eq!(d.field_at(3).unwrap().name, "b");
        assert!(d.field_at(4).is_none());
        assert!(d.field_at(5).is_none());
        assert_eq!(d.field_at(8).unwrap().name, "c");
        assert!(d.field_at(9).is_none());
        let names: Vec<_> = d.fields_overlapping(1..7).map(|f| f.name.clone()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(d.fields_overlapping(4..6).count(), 0);
    }

    #[test]
    fn finish_clips_and_bounds() {
        let mut d = d_with(vec![
            Field::new(4..20, "late", FieldClass::TextBody, None),
            Field::new(0..6, "early", FieldClass::Name, None),
        ]);
        finish(&mut d, 10);
        assert_eq!(d.fields[0].range, 0..6);
        assert_eq!(d.fields[1].range, 6..10);
        let many = (0..MAX_FIELDS + 10)
            .map(|i| Field::new(i..i + 1, "x", FieldClass::Name, None))
            .collect();
        let mut d = d_with(many);
        finish(&mut d, MAX_FIELDS + 10);
        assert_eq!(d.fields.len(), MAX_FIELDS);
        assert_eq!(d.fields.last().unwrap().range.end, MAX_FIELDS + 10);
        assert!(d.anomalies.contains(&TOO_MANY_FIELDS));
        check_invariants(&d, MAX_FIELDS + 10);
    }

    #[test]
    fn random_like_classes() {
        assert!(FieldClass::RandomId.is_random_like());
        assert!(FieldClass::MediaBody.is_random_like());
        assert!(!FieldClass::HeaderText.is_random_like());
        assert!(!FieldClass::Magic.is_random_like());
        assert_eq!(FieldClass::MediaBody.as_str(), "media_body");
    }

    #[test]
    fn escape_is_readable() {
        assert_eq!(escape(b"ab\x00\\"), "ab\\x00\\\\");
    }

    #[test]
    fn magic_at_payload_start_without_protocol() {
        let kb = kb();
        let hint = udp("10.0.0.1", 40000, "10.0.0.2", 40001);
        let d = dissect_bytes(b"\x89PNG\r\n\x1a\nrest", &hint, &kb);
        assert_eq!(d.protocol, None);
        assert_eq!(d.body_magic.as_ref().unwrap().mime, "image/png");
        assert_eq!(d.fields[0].class, FieldClass::Magic);
        assert!(d.recognised_by.contains("PNG"));
    }

    #[test]
    fn empty_payload() {
        let d = dissect_bytes(b"", &Hint::default(), &kb());
        assert_eq!(d, Dissection::default());
    }

    /// Mutated samples under every addressing the knowledge base knows: a small, deterministic
    /// stand-in for the fuzz target that runs with every `cargo test`.
    #[test]
    fn mutated_samples_keep_the_invariants() {
        let kb = kb();
        let samples = [
            name_service::tests::llmnr_query(),
            name_service::tests::nbstat_query(),
            name_service::tests::mdns_response(),
            http::tests::gif_response(),
            http::tests::traversal_request(),
            ssdp::tests::m_search(),
            tls::tests::client_hello(),
            tls::tests::server_flight(),
            smb::tests::tree_connect(),
            smb::tests::smb1_tree_connect(),
            dhcp::tests::discover(),
            ntp::tests::monlist_request(),
            ntp::tests::client_request(),
            bittorrent::tests::get_peers(),
            bittorrent::tests::handshake(),
            irc::tests::registration(),
            b"aaa l44adsl 10.0.0.5\n".to_vec(),
        ];
        let mut hints = vec![Hint::default()];
        for s in &kb.services {
            for proto in [IpProto::UDP, IpProto::TCP] {
                hints.push(udp("192.0.2.1", 50000, "192.0.2.2", s.port));
                hints.last_mut().unwrap().proto = Some(proto);
                hints.push(udp("192.0.2.1", s.port, "192.0.2.2", 50000));
                hints.last_mut().unwrap().proto = Some(proto);
            }
        }
        for c in &kb.ddos_channels {
            let mut h = udp("192.0.2.1", 50000, "192.0.2.2", c.port.unwrap_or(0));
            h.proto = IpProto::from_name(&c.transport);
            hints.push(h);
        }
        for g in &kb.groups {
            let mut h = udp("192.0.2.1", 50000, "192.0.2.2", 50000);
            h.dest = Some(g.address);
            hints.push(h);
        }
        // xorshift64: deterministic, so a failure reproduces.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..3000 {
            let mut p = samples[round % samples.len()].clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % p.len();
                p[at] = next() as u8;
            }
            let cut = (next() as usize) % (p.len() + 1);
            p.truncate(cut.max(p.len() / 2));
            let hint = &hints[(next() as usize) % hints.len()];
            let d = dissect_bytes(&p, hint, &kb);
            check_invariants(&d, p.len());
        }
    }

    #[test]
    fn dns_over_tcp_skips_the_length_prefix() {
        let kb = kb();
        let q = name_service::tests::llmnr_query();
        let mut p = (q.len() as u16).to_be_bytes().to_vec();
        p.extend_from_slice(&q);
        let hint = tcp("10.0.0.1", 50000, "10.0.0.2", 53);
        let d = dissect_bytes(&p, &hint, &kb);
        assert_eq!(d.protocol, Some("dns"));
        assert_eq!(d.field_at(0).unwrap().name, "TCP message length");
        assert_eq!(d.field_at(2).unwrap().class, FieldClass::RandomId);
        assert_eq!(d.dns.unwrap().qname.as_deref(), Some("kristis-laptop"));
        every_truncation(&p, &hint);
    }

    #[test]
    fn dissects_an_alert() {
        use crate::model::{Endpoint, Host, InputFormat, Location, Provenance, Timestamp};
        let mut a = Alert::new(
            Provenance {
                path: "fast.log".into(),
                location: Location::Line(1),
            },
            InputFormat::Eve,
            Timestamp::unparsed("2016-04-22T10:00:00"),
        );
        a.proto = Some(IpProto::UDP);
        a.src = Endpoint {
            host: Host::parse("192.168.1.23"),
            port: Some(59123),
        };
        a.dest = Endpoint {
            host: Host::parse("224.0.0.252"),
            port: Some(5355),
        };
        let kb = kb();
        assert_eq!(dissect(&a, &kb), Dissection::default());
        a.payload = Some(name_service::tests::llmnr_query().into());
        let d = dissect(&a, &kb);
        assert_eq!(d.protocol, Some("llmnr"));
        assert_eq!(d.dns.unwrap().id, 0x3200);
    }
}
