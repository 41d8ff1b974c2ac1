//! One-line alerts: Snort 1.x/2.x `alert_fast`, Suricata `fast.log`, Snort 3 `alert_fast`.
//!
//! ```text
//! 08/13-08:12:47.743103  [**] [1:247:4] msg [**] [Classification: x] [Priority: 2] {TCP} a:p -> b:p
//! 04/29/2005-20:03:20.671131  [Drop] [**] [1:1:1] (null) [**] [Classification: (null)] [Priority: 3] {ICMP} a:9 -> b:0
//! 12/15-15:33:06.016331 [**] [112:1:1] "(arp_spoof) unicast ARP request" [**] [Priority: 3] {ARP}  ->
//! ```
//!
//! The part after the timestamp (the "head") is also the first line of a full alert, so it is
//! parsed here for both readers. Reading itself is shared with `full` (see `textrecords`): a
//! file that mixes one-line alerts, full alerts and prose reads the same through either.

use std::io::BufRead;

use super::textcommon::{non_null, parse_sig_triple, parse_text_time, TextTime};
use super::{ReadContext, ReadError, Sink};
use crate::model::InputFormat;

/// Reads one-line alerts (and any full alerts and surrounding text mixed in with them).
pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    super::textrecords::read(input, ctx, sink, InputFormat::Fast)
}

/// The fields of an alert head: `[Drop] [**] [gid:sid:rev] msg [**] [...]... {PROTO} src -> dst`,
/// borrowed from the line. Every part after the message is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head<'a> {
    /// Suricata's `[Drop]` / `[wDrop]` prefix, without brackets.
    pub action: Option<&'a str>,
    pub sig: Option<(u32, u32, u32)>,
    pub msg: Option<&'a str>,
    /// The msg was written in double quotes, as Snort 3 writes it.
    pub msg_quoted: bool,
    pub classification: Option<&'a str>,
    pub priority: Option<u32>,
    /// The protocol text between braces, as written.
    pub proto: Option<&'a str>,
    /// Source and destination as written (`host:port`), present when the head has `->`.
    pub endpoints: Option<(&'a str, &'a str)>,
    /// `[Xref => ...]` fields.
    pub xrefs: Vec<&'a str>,
}

/// One parsed fast line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FastLine<'a> {
    /// The timestamp token as written.
    pub time_raw: &'a str,
    pub time: TextTime,
    pub head: Head<'a>,
}

/// The marker around a Snort alert message.
pub const MARK: &str = "[**]";

/// Whether a line starts like a one-line alert: a timestamp-shaped first token and `[**]`.
/// Such a line is either parsed or reported as a malformed alert.
pub fn looks_like_fast(line: &str) -> bool {
    let t = line.trim_start().as_bytes();
    t.len() > 6
        && t[0].is_ascii_digit()
        && t[1].is_ascii_digit()
        && t[2] == b'/'
        && t[3].is_ascii_digit()
        && t[4].is_ascii_digit()
        && line.contains(MARK)
}

/// Parses a one-line alert. The error says which part is wrong.
pub fn parse_line(line: &str) -> Result<FastLine<'_>, &'static str> {
    let t = line.trim();
    let (time_raw, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    let time = parse_text_time(time_raw).ok_or("the timestamp is not MM/DD[/YY]-HH:MM:SS")?;
    let head = parse_head(rest)?;
    Ok(FastLine {
        time_raw,
        time,
        head,
    })
}

/// Parses the head of an alert (everything after the timestamp of a fast line; the whole
/// first line of a full alert).
pub fn parse_head(s: &str) -> Result<Head<'_>, &'static str> {
    let mut head = Head::default();
    let mut r = s.trim_start();
    if !r.starts_with(MARK) {
        // Suricata's action prefix.
        let inner = r
            .strip_prefix('[')
            .and_then(|x| x.split_once(']'))
            .filter(|(a, _)| !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphabetic()));
        match inner {
            Some((a, rest)) => {
                head.action = Some(a);
                r = rest.trim_start();
            }
            None => return Err("no [**] where the message should start"),
        }
        if !r.starts_with(MARK) {
            return Err("no [**] after the action");
        }
    }
    r = r[MARK.len()..].trim_start();
    if let Some(body) = r.strip_prefix('[') {
        let close = body.find(']').ok_or("unterminated [gid:sid:rev]")?;
        let inner = &body[..close];
        // Snort 1.x writes no signature id; a bracket that is not one is part of the message.
        if inner.contains(':') && inner.starts_with(|c: char| c.is_ascii_digit()) {
            head.sig = Some(parse_sig_triple(inner).ok_or("gid:sid:rev is not three numbers")?);
            r = body[close + 1..].trim_start();
        }
    }
    let end = r.find(MARK).ok_or("no closing [**] after the message")?;
    let msg = r[..end].trim();
    // Snort 3 quotes the message.
    let unquoted = msg.strip_prefix('"').and_then(|m| m.strip_suffix('"'));
    head.msg_quoted = unquoted.is_some();
    head.msg = non_null(unquoted.unwrap_or(msg));
    r = r[end + MARK.len()..].trim_start();
    parse_tail(r, &mut head)?;
    Ok(head)
}

/// The bracketed fields, the protocol and the endpoints after the message.
fn parse_tail<'a>(mut r: &'a str, head: &mut Head<'a>) -> Result<(), &'static str> {
    loop {
        r = r.trim_start();
        let Some(body) = r.strip_prefix('[') else {
            break;
        };
        let close = body.find(']').ok_or("unterminated [ field")?;
        bracket_field(&body[..close], head);
        r = &body[close + 1..];
    }
    if let Some(body) = r.strip_prefix('{') {
        let close = body.find('}').ok_or("unterminated {protocol}")?;
        head.proto = Some(body[..close].trim());
        r = &body[close + 1..];
    }
    let r = r.trim();
    if r.is_empty() {
        return Ok(());
    }
    let (src, dst) = r
        .split_once("->")
        .ok_or("the endpoints are not `source -> destination`")?;
    let (src, dst) = (src.trim(), dst.trim());
    if src.contains(char::is_whitespace) || dst.contains(char::is_whitespace) {
        return Err("an endpoint holds a space");
    }
    head.endpoints = Some((src, dst));
    Ok(())
}

/// One `[name: value]` field after the message. Unknown fields are ignored.
pub fn bracket_field<'a>(inner: &'a str, head: &mut Head<'a>) {
    let inner = inner.trim();
    if let Some(v) = inner.strip_prefix("Classification:") {
        head.classification = non_null(v);
    } else if let Some(v) = inner.strip_prefix("Priority:") {
        head.priority = v.trim().parse().ok();
    } else if let Some(v) = inner.strip_prefix("Xref =>") {
        if let Some(v) = non_null(v) {
            head.xrefs.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snort2_line() {
        let l = "03/02-14:05:09.118842  [**] [1:1002:2] WEB-IIS cmd.exe access [**] \
                 [Classification: Web Application Attack] [Priority: 1] {TCP} 192.0.2.7:3321 -> 198.51.100.20:80";
        let f = parse_line(l).unwrap();
        assert_eq!(f.time_raw, "03/02-14:05:09.118842");
        assert_eq!(f.time.year, None);
        let h = &f.head;
        assert_eq!(h.sig, Some((1, 1002, 2)));
        assert_eq!(h.msg, Some("WEB-IIS cmd.exe access"));
        assert_eq!(h.classification, Some("Web Application Attack"));
        assert_eq!(h.priority, Some(1));
        assert_eq!(h.proto, Some("TCP"));
        assert_eq!(h.endpoints, Some(("192.0.2.7:3321", "198.51.100.20:80")));
        assert_eq!(h.action, None);
    }

    #[test]
    fn suricata_line_with_drop_and_nulls() {
        let l = "11/30/2019-01:02:03.000004  [wDrop] [**] [1:9000001:0] (null) [**] \
                 [Classification: (null)] [Priority: 3] {UDP} 203.0.113.5:53 -> 10.9.8.7:40000";
        let f = parse_line(l).unwrap();
        assert_eq!(f.time.year, Some(2019));
        assert_eq!(f.head.action, Some("wDrop"));
        assert_eq!(f.head.msg, None);
        assert_eq!(f.head.classification, None);
    }

    #[test]
    fn snort3_line_quoted_and_portless() {
        let l = "06/01-10:00:00.123456 [**] [116:408:1] \"(ipv4) something [odd] happened\" [**] \
                 [Priority: 3] [Xref => http://example.org/x] {ICMP} 10.0.0.1 -> 10.0.0.255";
        let f = parse_line(l).unwrap();
        assert_eq!(f.head.msg, Some("(ipv4) something [odd] happened"));
        assert_eq!(f.head.xrefs, vec!["http://example.org/x"]);
        assert_eq!(f.head.endpoints, Some(("10.0.0.1", "10.0.0.255")));
        let empty = "06/01-10:00:00.123456 [**] [112:1:1] \"arp\" [**] [Priority: 3] {ARP}  -> ";
        assert_eq!(parse_line(empty).unwrap().head.endpoints, Some(("", "")));
    }

    #[test]
    fn snort1_line_without_sig_or_proto() {
        let l = "08/13-08:12:47.743103  [**] DDOS mstream client to handler [**] a.b.c.d:80 -> my.firewall.ip:12754";
        let f = parse_line(l).unwrap();
        assert_eq!(f.head.sig, None);
        assert_eq!(f.head.msg, Some("DDOS mstream client to handler"));
        assert_eq!(f.head.proto, None);
        assert_eq!(
            f.head.endpoints,
            Some(("a.b.c.d:80", "my.firewall.ip:12754"))
        );
    }

    #[test]
    fn suricata_raw_packet_variant_has_no_endpoints() {
        let l = "01/02/2003-04:05:06.000007  [**] [1:2200003:2] SURICATA IPv4 truncated packet [**] \
                 [Classification: Generic Protocol Command Decode] [Priority: 3] [**] [Raw pkt: 00 11 22 ] [pcap file packet: 9]";
        let f = parse_line(l).unwrap();
        assert_eq!(f.head.endpoints, None);
        assert_eq!(f.head.priority, Some(3));
    }

    #[test]
    fn malformed_lines_say_why() {
        let cases = [
            ("08/13-08:12  [**] x [**]", "timestamp"),
            ("08/13-08:12:47.1 [**] [1:x:2] m [**]", "three numbers"),
            ("08/13-08:12:47.1 [**] [1:2] m [**]", "three numbers"),
            ("08/13-08:12:47.1 [**] [1:2:3] m", "closing"),
            (
                "08/13-08:12:47.1 [**] [1:2:3] m [**] [Priority: 1",
                "unterminated [",
            ),
            (
                "08/13-08:12:47.1 [**] [1:2:3] m [**] {TCP 1 -> 2",
                "protocol",
            ),
            (
                "08/13-08:12:47.1 [**] [1:2:3] m [**] {TCP} 1.2.3.4",
                "endpoints",
            ),
            ("08/13-08:12:47.1 hello [**]", "[**]"),
        ];
        for (l, want) in cases {
            let e = parse_line(l).unwrap_err();
            assert!(e.contains(want), "{l}: {e}");
        }
    }

    #[test]
    fn every_prefix_of_a_line_is_handled() {
        let l = "08/13/01-08:12:47.743103  [Drop] [**] [1:247:4] \"DDOS mstream\" [**] \
                 [Classification: Attempted DoS] [Priority: 2] {TCP} 2001:db8::1:80 -> 2001:db8::2:12754";
        assert!(parse_line(l).is_ok());
        for i in 0..=l.len() {
            if let Some(p) = l.get(..i) {
                let _ = parse_line(p);
                let _ = looks_like_fast(p);
            }
        }
    }
}
