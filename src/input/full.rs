//! Multi-line alerts: Snort 1.8 / 2.x / 3 `alert_full`, as files or pasted into other text.
//!
//! ```text
//! [**] [1:247:4] DDOS mstream client to handler [**]       <- head (Snort 1.8: no gid:sid:rev)
//! [Classification: Attempted Denial of Service] [Priority: 2]
//! 08/13-08:12:47.743103 10.1.1.1:80 -> 10.2.2.2:12754        <- timestamp and endpoints
//! TCP TTL:61 TOS:0x0 ID:27309 IpLen:20 DgmLen:1500 DF        <- IP header
//! ***AP*** Seq: 0xE37E6C1A  Ack: 0x57B1F  Win: 0x7D78  TcpLen: 20
//! 48 54 54 50 2F 31 2E 30 20 32 30 30 20 4F 4B 0D  HTTP/1.0 200 OK.   <- optional payload dump
//! [Xref => http://...]
//! ```
//!
//! The same detail lines follow a one-line alert in Snort 3's `alert_fast` with `packet = true`
//! (`snort.raw[23]:` dumps between dashed rules), so [`build_alert`] reads both kinds of record.

use std::borrow::Cow;
use std::io::BufRead;

use super::fast::{bracket_field, parse_head, parse_line, Head};
use super::textcommon::{
    dump_header, hex_row, is_dash_rule, is_separator, parse_text_time, proto_from_text,
    split_host_port, TextTime,
};
use super::year::YearHints;
use super::{ReadContext, ReadError, Sink};
use crate::model::{
    Alert, Endpoint, Host, InputFormat, IpHeader, IpProto, Location, Original, Provenance,
};

/// Reads multi-line alerts (and any one-line alerts and surrounding text mixed in with them).
pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    super::textrecords::read(input, ctx, sink, InputFormat::Full)
}

/// Whether a line starts a full alert (`[**] ...`).
pub fn looks_like_full(line: &str) -> bool {
    line.trim_start().starts_with(super::fast::MARK)
}

/// Where the payload dump of a record stands. Only the first dump is the payload; Snort 3 may
/// print further buffers (`http_inspect.http_uri[..]:`) after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dump {
    NotStarted,
    Collecting,
    Done,
}

/// What the detail lines of a record say.
struct Details<'a> {
    time: Option<(&'a str, TextTime)>,
    endpoints: Option<(&'a str, &'a str)>,
    proto: Option<&'a str>,
    ip: IpHeader<'a>,
    ip_line_seen: bool,
    /// Inside Snort's `** ORIGINAL DATAGRAM DUMP:` of an ICMP error: those lines describe the
    /// quoted packet, not the alerting one.
    in_quoted: bool,
    dump: Dump,
}

impl<'a> Details<'a> {
    fn new() -> Self {
        Details {
            time: None,
            endpoints: None,
            proto: None,
            ip: IpHeader::default(),
            ip_line_seen: false,
            in_quoted: false,
            dump: Dump::NotStarted,
        }
    }

    fn end_dump(&mut self) {
        if self.dump == Dump::Collecting {
            self.dump = Dump::Done;
        }
    }

    fn line(&mut self, line: &'a str, head: &mut Head<'a>, payload: &mut Vec<u8>) {
        let t = line.trim();
        if self.in_quoted {
            if t.starts_with("** END OF DUMP") {
                self.in_quoted = false;
            }
            return;
        }
        if t.starts_with("** ORIGINAL DATAGRAM DUMP") {
            self.in_quoted = true;
            return;
        }
        if t.is_empty() || is_dash_rule(t) {
            self.end_dump();
            return;
        }
        if is_separator(t) {
            self.end_dump();
            return;
        }
        if dump_header(t).is_some() {
            self.end_dump();
            return;
        }
        if t.starts_with('[') {
            bracket_line(t, head);
            return;
        }
        let (first, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        if let Some(tt) = parse_text_time(first) {
            if self.time.is_none() {
                self.time = Some((first, tt));
                // With `-e` the timestamp line holds MAC addresses and the endpoints move to the
                // IP line.
                if !rest.contains("type:0x") {
                    if let Some((s, d)) = rest.split_once("->") {
                        self.endpoints.get_or_insert((s.trim(), d.trim()));
                    }
                }
            }
            return;
        }
        if let Some(i) = t.find(" TTL:") {
            if !self.ip_line_seen {
                self.ip_line_seen = true;
                self.ip_line(&t[..i], &t[i + 1..]);
            }
            return;
        }
        if is_tcp_flags(first) && t.contains("Seq:") {
            if self.ip.tcp_flags.is_none() {
                self.tcp_line(first, rest);
            }
            return;
        }
        if t.starts_with("Type:") {
            if self.ip.icmp_type.is_none() {
                for (k, v) in fields(t) {
                    match k {
                        "Type" => self.ip.icmp_type = v.parse().ok(),
                        "Code" => self.ip.icmp_code = v.parse().ok(),
                        _ => {}
                    }
                }
            }
            return;
        }
        if self.dump != Dump::Done && hex_row(line, payload).is_some() {
            self.dump = Dump::Collecting;
        }
        // Anything else (TCP/IP options, UDP `Len:`, MAC lines, fragment details) is kept in the
        // original text only.
    }

    /// `TCP TTL:61 TOS:0x0 ID:27309 IpLen:20 DgmLen:1500 DF`, optionally preceded by the
    /// endpoints (`a:p -> b:p TCP TTL:...`, Snort 2 with `-e` and Snort 3's packet dumps).
    fn ip_line(&mut self, before: &'a str, after: &'a str) {
        let before = before.trim();
        let (ends, proto) = match before.rfind(char::is_whitespace) {
            Some(i) => (&before[..i], before[i + 1..].trim()),
            None => ("", before),
        };
        self.proto.get_or_insert(proto);
        if let Some((s, d)) = ends.split_once("->") {
            self.endpoints.get_or_insert((s.trim(), d.trim()));
        }
        self.ip.dont_fragment = Some(false);
        for tok in after.split_whitespace() {
            if tok == "DF" {
                self.ip.dont_fragment = Some(true);
            }
        }
        for (k, v) in fields(after) {
            match k {
                "TTL" => self.ip.ttl = v.parse().ok(),
                "TOS" => self.ip.tos = hex_num(v).and_then(|x| u8::try_from(x).ok()),
                "ID" => self.ip.id = v.parse().ok(),
                "DgmLen" => self.ip.ip_len = v.parse().ok(),
                _ => {}
            }
        }
    }

    /// `***AP*** Seq: 0xE37E6C1A  Ack: 0x57B1F  Win: 0x7D78  TcpLen: 20`
    fn tcp_line(&mut self, flags: &'a str, rest: &'a str) {
        self.ip.tcp_flags = Some(Cow::Borrowed(flags));
        let mut it = rest.split_whitespace();
        while let Some(k) = it.next() {
            let slot = match k {
                "Seq:" => &mut self.ip.tcp_seq,
                "Ack:" => &mut self.ip.tcp_ack,
                "Win:" => &mut self.ip.tcp_win,
                _ => continue,
            };
            *slot = it.next().and_then(hex_num);
        }
    }
}

/// `K:V` pairs on a detail line (`TTL:61`, `Type:8`).
fn fields(s: &str) -> impl Iterator<Item = (&str, &str)> {
    s.split_whitespace().filter_map(|t| t.split_once(':'))
}

fn hex_num(s: &str) -> Option<u32> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u32::from_str_radix(h, 16).ok()
}

/// Snort's eight-character TCP flag field: `***AP***`, `12****S*`.
fn is_tcp_flags(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b"*12UAPRSFCE".contains(&b))
}

/// A line of bracketed fields (`[Classification: ...] [Priority: 2]`, `[Xref => ...]`).
fn bracket_line<'a>(mut r: &'a str, head: &mut Head<'a>) {
    while let Some(body) = r.trim_start().strip_prefix('[') {
        let Some(close) = body.find(']') else {
            return;
        };
        bracket_field(&body[..close], head);
        r = &body[close + 1..];
    }
}

/// What kind of record a reader collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// Starts with a one-line alert; may be followed by packet detail lines.
    Fast,
    /// Starts with a `[**] ... [**]` head.
    Full,
}

/// Turns the lines of one record into an alert. `payload` is a scratch buffer that the alert
/// borrows its payload from. The error names what is missing or wrong.
pub fn build_alert<'a>(
    kind: RecordKind,
    lines: &mut dyn Iterator<Item = &'a str>,
    original: &'a str,
    path: &'a str,
    first_line: u64,
    hints: &YearHints,
    payload: &'a mut Vec<u8>,
) -> Result<Alert<'a>, String> {
    payload.clear();
    let first = lines.next().ok_or("empty record")?;
    let mut details = Details::new();
    let mut head = match kind {
        RecordKind::Fast => {
            let f = parse_line(first)?;
            details.time = Some((f.time_raw, f.time));
            f.head
        }
        RecordKind::Full => parse_head(first)?,
    };
    for l in lines {
        details.line(l, &mut head, payload);
    }
    let (time_raw, time) = details
        .time
        .ok_or("no timestamp line after the [**] header")?;
    let source = Provenance {
        path: Cow::Borrowed(path),
        location: Location::Line(first_line),
    };
    let format = match kind {
        RecordKind::Fast => InputFormat::Fast,
        RecordKind::Full => InputFormat::Full,
    };
    let mut a = Alert::new(source, format, hints.timestamp(time_raw, &time));
    // Snort 3 quotes the msg; Suricata's fast.log writes a four-digit year, Snort 2 none
    // (or two digits with -y).
    a.engine = Some(if head.msg_quoted {
        crate::model::Engine::Snort3
    } else if time_raw.len() > 10 && time_raw.as_bytes().get(10) == Some(&b'-') {
        crate::model::Engine::Suricata
    } else {
        crate::model::Engine::Snort2
    });
    if let Some((g, s, r)) = head.sig {
        a.gid = g;
        a.sid = Some(s);
        a.rev = Some(r);
    }
    a.msg = head.msg.map(Cow::Borrowed);
    a.classification = head.classification.map(Cow::Borrowed);
    a.priority = head.priority;
    a.action = head.action.map(|x| {
        Cow::Borrowed(match x {
            // Suricata: dropped, or would have been dropped had it run inline.
            "Drop" => "blocked",
            "wDrop" => "allowed",
            other => other,
        })
    });
    // Snort 3 writes `{unknown}` or `{IP}` when it stopped decoding early; the IP line of a
    // packet dump may still name the protocol.
    let proto_text = head.proto.or(details.proto).filter(|p| !p.is_empty());
    a.proto = head
        .proto
        .and_then(proto_from_text)
        .or_else(|| details.proto.and_then(proto_from_text));
    if a.proto.is_none() {
        a.proto_text = proto_text.map(Cow::Borrowed);
    }
    a.ip = details.ip;
    if let Some((s, d)) = head.endpoints.or(details.endpoints) {
        let (sh, sp) = split_host_port(s, a.proto);
        let (dh, dp) = split_host_port(d, a.proto);
        let (sp, dp) = match a.proto {
            // Suricata writes an ICMP packet's type and code where ports would be.
            Some(IpProto::ICMP | IpProto::ICMPV6) => {
                if a.ip.icmp_type.is_none() {
                    a.ip.icmp_type = sp.and_then(|x| u8::try_from(x).ok());
                    a.ip.icmp_code = dp.and_then(|x| u8::try_from(x).ok());
                }
                (None, None)
            }
            // Suricata writes 0 for protocols without ports.
            Some(p) if !p.has_ports() => (None, None),
            _ => (sp, dp),
        };
        a.src = Endpoint {
            host: Host::parse(sh),
            port: sp,
        };
        a.dest = Endpoint {
            host: Host::parse(dh),
            port: dp,
        };
    }
    let payload: &'a Vec<u8> = payload;
    if !payload.is_empty() {
        a.payload = Some(Cow::Borrowed(payload.as_slice()));
    }
    a.original = Some(Original::Text(Cow::Borrowed(original)));
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::YearSource;

    fn build<'a>(
        kind: RecordKind,
        text: &'a str,
        hints: &YearHints,
        buf: &'a mut Vec<u8>,
    ) -> Result<Alert<'a>, String> {
        build_alert(kind, &mut text.lines(), text, "t", 7, hints, buf)
    }

    const SNORT2: &str = "\
[**] [1:1418:11] SNMP request tcp [**]
[Classification: Attempted Information Leak] [Priority: 2] 
05/06-07:08:09.101112 192.0.2.33:1034 -> 198.51.100.4:161
TCP TTL:128 TOS:0x10 ID:4660 IpLen:20 DgmLen:48 DF
******S* Seq: 0x1A2B3C4D  Ack: 0x0  Win: 0x4000  TcpLen: 28
TCP Options (4) => MSS: 1460 NOP NOP SackOK 
[Xref => http://cve.mitre.org/cgi-bin/cvename.cgi?name=2002-0013]";

    #[test]
    fn snort2_full_alert() {
        let mut buf = Vec::new();
        let h = YearHints {
            flag: Some(2004),
            ..Default::default()
        };
        let a = build(RecordKind::Full, SNORT2, &h, &mut buf).unwrap();
        assert_eq!((a.gid, a.sid, a.rev), (1, Some(1418), Some(11)));
        assert_eq!(a.msg.as_deref(), Some("SNMP request tcp"));
        assert_eq!(
            a.classification.as_deref(),
            Some("Attempted Information Leak")
        );
        assert_eq!(a.priority, Some(2));
        assert_eq!(a.proto, Some(IpProto::TCP));
        assert_eq!(a.src.host.to_string(), "192.0.2.33");
        assert_eq!((a.src.port, a.dest.port), (Some(1034), Some(161)));
        assert_eq!(a.ip.ttl, Some(128));
        assert_eq!(a.ip.tos, Some(0x10));
        assert_eq!(a.ip.id, Some(4660));
        assert_eq!(a.ip.ip_len, Some(48));
        assert_eq!(a.ip.dont_fragment, Some(true));
        assert_eq!(a.ip.tcp_flags.as_deref(), Some("******S*"));
        assert_eq!(a.ip.tcp_seq, Some(0x1A2B_3C4D));
        assert_eq!(a.ip.tcp_ack, Some(0));
        assert_eq!(a.ip.tcp_win, Some(0x4000));
        assert_eq!(a.timestamp.year_source, YearSource::Flag);
        assert_eq!(a.timestamp.date(), Some((2004, 5, 6)));
        assert_eq!(a.format, InputFormat::Full);
        assert_eq!(a.source.location, Location::Line(7));
        assert_eq!(a.payload, None);
        assert_eq!(a.original, Some(Original::Text(Cow::Borrowed(SNORT2))));
    }

    #[test]
    fn snort1_full_alert_with_hex_dump_and_short_last_row() {
        let rows = [
            (
                "47 45 54 20 2F 64 6F 63 73 2F 20 48 54 54 50 2F",
                "GET /docs/ HTTP/",
            ),
            (
                "31 2E 30 0D 0A 48 6F 73 74 3A 20 65 78 61 6D 70",
                "1.0..Host: examp",
            ),
            ("6C 65 0D 0A 0D", "le..."),
        ];
        let mut text = String::from(
            "[**] WEB-MISC docs access [**]\n\
             11/02-23:59:01.000200 host.example:3345 -> 10.1.XX.XX:80\n\
             TCP TTL:52 TOS:0x0 ID:999 IpLen:20 DgmLen:77\n\
             ***AP*** Seq: 0x10  Ack: 0x20  Win: 0x7D78  TcpLen: 20\n",
        );
        for (hex, ascii) in rows {
            text.push_str(&format!("{hex:<48} {ascii}\n"));
        }
        let mut buf = Vec::new();
        let a = build(RecordKind::Full, &text, &YearHints::default(), &mut buf).unwrap();
        assert_eq!(a.sid, None);
        assert_eq!(a.gid, 1);
        assert_eq!(a.msg.as_deref(), Some("WEB-MISC docs access"));
        assert_eq!(
            a.dest.host.known_network(),
            Some("10.1.0.0/16".parse().unwrap())
        );
        assert_eq!(a.src.host.to_string(), "host.example");
        assert_eq!(a.ip.dont_fragment, Some(false));
        assert_eq!(
            a.payload.as_deref(),
            Some(&b"GET /docs/ HTTP/1.0\r\nHost: example\r\n\r"[..])
        );
        assert_eq!(a.timestamp.year_source, YearSource::Unknown);
        assert_eq!(a.timestamp.unix_micros, None);
    }

    #[test]
    fn snort3_full_alert_with_quoted_icmp_packet() {
        let text = "\
[**] [1:402:7] \"ICMP Destination Unreachable Port Unreachable\" [**]
[Classification: Misc activity] [Priority: 3] 
02/03-04:05:06.000001 203.0.113.9 -> 10.0.0.8
ICMP TTL:54 TOS:0x20 ID:100 IpLen:20 DgmLen:92
Type:3  Code:3  DESTINATION UNREACHABLE: PORT UNREACHABLE
** ORIGINAL DATAGRAM DUMP:
10.0.0.8:5000 -> 203.0.113.9:53
UDP TTL:47 TOS:0x0 ID:7 IpLen:20 DgmLen:64 DF
Len: 44  Csum: 1234
(36 more bytes of original packet)
** END OF DUMP";
        let mut buf = Vec::new();
        let a = build(RecordKind::Full, text, &YearHints::default(), &mut buf).unwrap();
        assert_eq!(
            a.msg.as_deref(),
            Some("ICMP Destination Unreachable Port Unreachable")
        );
        assert_eq!(a.proto, Some(IpProto::ICMP));
        assert_eq!(a.src.host.to_string(), "203.0.113.9");
        assert_eq!(a.src.port, None);
        assert_eq!(a.ip.ttl, Some(54));
        assert_eq!(a.ip.id, Some(100));
        assert_eq!((a.ip.icmp_type, a.ip.icmp_code), (Some(3), Some(3)));
        assert_eq!(a.ip.dont_fragment, Some(false));
    }

    #[test]
    fn snort2_udp_with_ethernet_line() {
        let text = "\
[**] [1:1:1] test [**]
[Priority: 0] 
01/02/03-04:05:06.7 0:A0:C9:1:2:3 -> 0:50:BA:4:5:6 type:0x800 len:0x5A
10.0.0.1:137 -> 10.0.0.255:137 UDP TTL:128 TOS:0x0 ID:1 IpLen:20 DgmLen:78
Len: 58";
        let mut buf = Vec::new();
        let a = build(RecordKind::Full, text, &YearHints::default(), &mut buf).unwrap();
        assert_eq!(a.timestamp.year_source, YearSource::Written);
        assert_eq!(a.timestamp.date(), Some((2003, 1, 2)));
        assert_eq!(a.proto, Some(IpProto::UDP));
        assert_eq!((a.src.port, a.dest.port), (Some(137), Some(137)));
        assert_eq!(a.dest.host.to_string(), "10.0.0.255");
    }

    #[test]
    fn snort3_packet_dump_after_a_fast_line() {
        let text = "\
09/09-09:09:09.000009 [**] [119:281:1] \"(http_inspect) invalid request line\" [**] [Priority: 3] {TCP} 2001:db8::5:80 -> 2001:db8::6:40000
00:00:00:00:00:01 -> 00:00:00:00:00:02 type:0x86DD len:0x5A
2001:db8::5:80 -> 2001:db8::6:40000 TCP TTL:64 TOS:0x0 ID:0 IpLen:40 DgmLen:58
***AP*** Seq: 0xB3  Ack: 0x3B0  Win: 0xFF00  TcpLen: 20

snort.raw[10]:
- - - - - - - - - - - -  - - - - - - - - - - - -  - - - - - - - - -
61 62 63 64 65 66 67 68  69 6A                    abcdefgh ij
- - - - - - - - - - - -  - - - - - - - - - - - -  - - - - - - - - -

http_inspect.http_uri[2]:
- - - - - - - - - - - -  - - - - - - - - - - - -  - - - - - - - - -
2F 78                                             /x
- - - - - - - - - - - -  - - - - - - - - - - - -  - - - - - - - - -";
        let mut buf = Vec::new();
        let a = build(RecordKind::Fast, text, &YearHints::default(), &mut buf).unwrap();
        assert_eq!(a.format, InputFormat::Fast);
        assert_eq!(a.src.host.to_string(), "2001:db8::5");
        assert_eq!((a.src.port, a.dest.port), (Some(80), Some(40000)));
        assert_eq!(a.ip.ttl, Some(64));
        assert_eq!(a.ip.tcp_win, Some(0xFF00));
        assert_eq!(a.payload.as_deref(), Some(&b"abcdefghij"[..]));
    }

    #[test]
    fn fast_records_map_suricata_fields() {
        let mut buf = Vec::new();
        let h = YearHints::default();
        let icmp = "04/05/2006-07:08:09.000001  [Drop] [**] [1:5:1] ping [**] [Classification: (null)] [Priority: 3] {ICMP} 10.0.0.1:8 -> 10.0.0.2:0";
        let a = build(RecordKind::Fast, icmp, &h, &mut buf).unwrap();
        assert_eq!(a.action.as_deref(), Some("blocked"));
        assert_eq!((a.src.port, a.dest.port), (None, None));
        assert_eq!((a.ip.icmp_type, a.ip.icmp_code), (Some(8), Some(0)));
        let frag = "04/05/2006-07:08:09.000001  [**] [1:6:1] frag [**] [Priority: 3] {IPv6-Frag} 2001:0db8:0000:0000:0000:0000:0000:0001:0 -> 2001:0db8:0000:0000:0000:0000:0000:0002:0";
        let a = build(RecordKind::Fast, frag, &h, &mut buf).unwrap();
        assert_eq!(a.proto, Some(IpProto(44)));
        assert_eq!(a.src.host.ip(), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(a.src.port, None);
        let unk = "04/05-07:08:09.000001 [**] [116:150:1] \"(decode) loopback IP\" [**] [Priority: 3] {IP} ::1 -> ::1";
        let a = build(RecordKind::Fast, unk, &h, &mut buf).unwrap();
        assert_eq!(a.proto, None);
        assert_eq!(a.proto_text.as_deref(), Some("IP"));
        assert_eq!(a.src.host.ip(), Some("::1".parse().unwrap()));
        let dumped = "04/05-07:08:09.000001 [**] [116:150:1] \"(decode) loopback IP\" [**] [Priority: 3] {unknown} 127.0.0.1 -> 127.0.0.1\n\
                      127.0.0.1 -> 127.0.0.1 TCP TTL:64 TOS:0x0 ID:0 IpLen:20 DgmLen:52 DF";
        let a = build(RecordKind::Fast, dumped, &h, &mut buf).unwrap();
        assert_eq!(a.proto, Some(IpProto::TCP));
        assert_eq!(a.proto_text, None);
        assert_eq!(a.ip.ip_len, Some(52));
        let proto255 = "04/05-07:08:09.000001  [**] [1:7:1] odd [**] [Priority: 2] {PROTO:255} 10.0.0.1 -> 10.0.0.2";
        let a = build(RecordKind::Fast, proto255, &h, &mut buf).unwrap();
        assert_eq!(a.proto, Some(IpProto(255)));
        assert_eq!(a.proto_text, None);
    }

    #[test]
    fn a_head_without_timestamp_is_malformed() {
        let mut buf = Vec::new();
        let e = build(
            RecordKind::Full,
            "[**] [1:2:3] lonely [**]\n[Priority: 1]",
            &YearHints::default(),
            &mut buf,
        )
        .unwrap_err();
        assert!(e.contains("timestamp"), "{e}");
    }

    #[test]
    fn truncation_at_every_line_and_byte_does_not_panic() {
        let mut buf = Vec::new();
        let h = YearHints::default();
        let lines: Vec<&str> = SNORT2.lines().collect();
        for n in 0..=lines.len() {
            let text = lines[..n].join("\n");
            let r = build(RecordKind::Full, &text, &h, &mut buf);
            // From the timestamp line on, the alert is there.
            assert_eq!(r.is_ok(), n >= 3, "{n} lines");
        }
        for i in 0..=SNORT2.len() {
            if let Some(p) = SNORT2.get(..i) {
                let _ = build(RecordKind::Full, p, &h, &mut buf);
            }
        }
    }
}
