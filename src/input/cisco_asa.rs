//! Cisco ASA, PIX and FWSM syslog messages:
//!
//! ```text
//! <166>Jan  5 08:52:35 10.0.0.1 %ASA-4-106023: Deny udp src outside:192.0.2.7/5000 dst inside:10.0.0.9/53 by access-group "in"
//! ```
//!
//! with or without `<PRI>`, a syslog stamp and host, a second stamp from the device itself
//! (`Dec 30 2003 02:13:28:` or `:Jul 10 14:24:56 PDT:`), and the tag `%ASA-<sev>-<id>` (PIX,
//! FWSM and facility-qualified tags such as `%ASA-session-3-710003` as well). The message ids
//! that describe traffic (106001, 106006, 106007, 106014, 106015, 106023, 106100, 302013 to
//! 302016, 302020, 302021, 710003) are read into addresses, ports, protocol and action; every
//! other message becomes an event with its id as subtype and nothing more.
//!
//! Pasted logs often lose the syslog part and keep only the message
//! (`Deny udp src outside:187.13.XX.XX/22350 dst inside:64.9.XX.XX/8832`); such bare messages
//! of the traffic ids are recognised by their wording. Sanitised addresses stay labels.

use std::borrow::Cow;
use std::io::BufRead;
use std::net::IpAddr;

use crate::model::{Action, ContextEvent, ContextKind, Endpoint, Host, IpProto};

use super::logline::{
    at_line, hms, leading_stamp, read_lines, strip_pri, surrounding_text, tcp_flags, SyslogStamp,
};
use super::year::YearHints;
use super::{ReadContext, ReadError, Sink};
use crate::model::time::month_from_abbrev;

pub const KIND: ContextKind = ContextKind::CISCO_ASA;

const TAGS: [&str; 4] = ["%ASA-", "%PIX-", "%FWSM-", "%FTD-"];

pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    read_lines(input, ctx, sink, parse, surrounding_text)
}

/// Finds the `%ASA-...-<id>:` tag: (start of tag, message id, start of the message).
fn find_tag(line: &str) -> Option<(usize, &str, usize)> {
    let (start, tag) = TAGS
        .iter()
        .filter_map(|t| line.find(t).map(|p| (p, *t)))
        .min_by_key(|(p, _)| *p)?;
    let after = &line[start + tag.len()..];
    // The tag ends at `:`; a few PIX messages (and hand-written samples) lack the colon.
    let end = after.find([':', ' '])?;
    let id = after[..end].rsplit('-').next()?;
    if id.is_empty() || id.len() > 7 || !id.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let skip = usize::from(after.as_bytes()[end] == b':');
    Some((start, id, start + tag.len() + end + skip))
}

/// The message id a bare message (no tag) of a traffic message has, from its wording.
pub(crate) fn bare_id(msg: &str) -> Option<&'static str> {
    let w: Vec<&str> = msg.split_whitespace().take(4).collect();
    let word = |i: usize| w.get(i).copied().unwrap_or("");
    let id = match word(0) {
        "Deny" if word(1).eq_ignore_ascii_case("inbound") && word(3) == "from" => {
            if msg.contains("due to DNS") {
                "106007"
            } else {
                "106006"
            }
        }
        "Deny" if word(1).eq_ignore_ascii_case("inbound") && word(3) == "src" => "106014",
        "Deny" if word(2) == "src" => "106023",
        "Deny" if word(1) == "TCP" && word(2) == "(no" => "106015",
        "Inbound" if word(2) == "connection" && word(3) == "denied" => "106001",
        "Built" if word(2) == "ICMP" => "302020",
        "Built" if word(2) == "TCP" => "302013",
        "Built" if word(2) == "UDP" => "302015",
        "Teardown" if word(1) == "ICMP" => "302021",
        "Teardown" if word(1) == "TCP" => "302014",
        "Teardown" if word(1) == "UDP" => "302016",
        "TCP" | "UDP" if word(1) == "access" && word(2) == "denied" => "710003",
        "access-list" => "106100",
        _ => return None,
    };
    // A sentence that merely starts like one is not a message: it must name an endpoint.
    msg.contains('/').then_some(id)
}

/// A port written as a number or as the service name ASA prints for well-known ports.
fn port_of(s: &str) -> Option<u16> {
    if let Ok(p) = s.parse() {
        return Some(p);
    }
    Some(match s {
        "ftp-data" => 20,
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" => 53,
        "bootps" => 67,
        "bootpc" => 68,
        "tftp" => 69,
        "www" | "http" => 80,
        "kerberos" => 88,
        "pop3" => 110,
        "sunrpc" => 111,
        "nntp" => 119,
        "ntp" => 123,
        "netbios-ns" => 137,
        "netbios-dgm" => 138,
        "netbios-ssn" => 139,
        "imap4" => 143,
        "snmp" => 161,
        "snmptrap" => 162,
        "ldap" => 389,
        "https" => 443,
        "syslog" => 514,
        "lpd" => 515,
        "ldaps" => 636,
        "sqlnet" => 1521,
        "h323" => 1720,
        _ => return None,
    })
}

/// `iface:addr/port(user)`, `addr/port`, `addr`; returns the interface and the endpoint.
fn endpoint(tok: &str) -> Option<(Option<&str>, Endpoint<'_>)> {
    let t = tok.split('(').next()?.trim_end_matches([',', ';']);
    let (addr_part, port) = match t.rsplit_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (t, None),
    };
    let (iface, addr) = if addr_part.parse::<IpAddr>().is_ok() {
        (None, addr_part)
    } else if let Some((i, a)) = addr_part.split_once(':') {
        (Some(i), a)
    } else {
        (None, addr_part)
    };
    if addr.is_empty() || !addr.contains(['.', ':']) {
        return None;
    }
    Some((
        iface,
        Endpoint {
            host: Host::parse(addr),
            port: port.and_then(port_of),
        },
    ))
}

/// The token after the first `word` in `toks`.
fn after<'a>(toks: &[&'a str], word: &str) -> Option<&'a str> {
    let i = toks.iter().position(|t| *t == word)?;
    toks.get(i + 1).copied()
}

/// The mapped address ASA writes in parentheses after an endpoint (`for outside:1.2.3.4/80
/// (5.6.7.8/80)`), as `addr/port`, when it differs from the endpoint's own: the other side of
/// a NAT.
fn mapped_after<'a>(toks: &[&'a str], word: &str) -> Option<&'a str> {
    let i = toks.iter().position(|t| *t == word)?;
    let real = toks.get(i + 1)?;
    let m = toks.get(i + 2)?.strip_prefix('(')?;
    let m = m.split(')').next()?;
    let real_addr = real.split('(').next()?.rsplit(':').next()?;
    (m.contains('/') && m != real_addr).then_some(m)
}

fn parse<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
    years: &YearHints,
) -> Result<ContextEvent<'a>, Option<&'static str>> {
    let (head, id, msg) = match find_tag(line) {
        Some((start, id, msg)) => (&line[..start], Cow::Borrowed(id), line[msg..].trim()),
        None => {
            let msg = line.trim();
            let id = bare_id(msg).ok_or(None)?;
            ("", Cow::Borrowed(id), msg)
        }
    };
    let mut ev = ContextEvent::new(at_line(ctx, line_no), KIND);
    ev.timestamp = stamp(head, years);
    let toks: Vec<&str> = msg.split_whitespace().collect();
    read_message(&id, &toks, &mut ev)?;
    ev.subtype = Some(id);
    Ok(ev)
}

/// The device's own stamp with its year (`Dec 30 2003 02:13:28`) if written, else the
/// leading syslog or RFC 3339 stamp.
fn stamp<'a>(head: &'a str, years: &YearHints) -> Option<crate::model::Timestamp<'a>> {
    let h = strip_pri(head);
    let b = h.as_bytes();
    // `Mon DD YYYY HH:MM:SS`: look where a month name could start.
    for i in 0..b.len().saturating_sub(19) {
        if !b[i].is_ascii_uppercase() || b[i + 3] != b' ' || b[i + 6] != b' ' || b[i + 11] != b' ' {
            continue;
        }
        let Some(s) = h.get(i..i + 20) else {
            continue;
        };
        let month = month_from_abbrev(&s[..3]);
        let day = s[4..6].trim_start().parse::<u32>().ok();
        let year = s[7..11].parse::<i32>().ok();
        if let (Some(month), Some(day), Some(year), Some((hour, minute, second))) =
            (month, day, year, hms(&s[12..20]))
        {
            let st = SyslogStamp {
                month,
                day,
                hour,
                minute,
                second,
                micros: 0,
                len: 20,
            };
            return Some(st.with_year(s, Some(year), crate::model::YearSource::Written));
        }
    }
    leading_stamp(head, years).map(|(ts, _)| ts)
}

fn read_message<'a>(
    id: &str,
    toks: &[&'a str],
    ev: &mut ContextEvent<'a>,
) -> Result<(), Option<&'static str>> {
    let first = toks.first().copied().unwrap_or("");
    // The protocol is the first protocol name among the opening words.
    ev.proto = toks
        .iter()
        .take(4)
        .filter(|t| !t.bytes().all(|c| c.is_ascii_digit()))
        .find_map(|t| IpProto::from_name(t));
    let traffic = matches!(
        id,
        "106001"
            | "106006"
            | "106007"
            | "106014"
            | "106015"
            | "106023"
            | "302013"
            | "302014"
            | "302015"
            | "302016"
            | "302020"
            | "302021"
            | "710003"
    );
    if id == "106100" {
        return access_list(toks, ev);
    }
    if !traffic {
        if first == "Deny" {
            ev.action = Some(Action::Deny);
        }
        return Ok(());
    }
    // The words that introduce source and destination, in the order they are tried (some
    // ASA versions write 302021 with `from`/`to` instead of `faddr`/`laddr`).
    let (src_w, dst_w): (&[&str], &[&str]) = if matches!(id, "302020" | "302021") {
        (&["faddr", "from", "for"], &["laddr", "to"])
    } else if matches!(id, "106014" | "106023") {
        (&["src"], &["dst"])
    } else if id.starts_with("302") {
        (&["for", "from"], &["to"])
    } else {
        (&["from"], &["to"])
    };
    let bad = Some("traffic message without its addresses");
    let find = |words: &[&str]| words.iter().find_map(|w| after(toks, w).and_then(endpoint));
    let (src_if, mut src) = find(src_w).ok_or(bad)?;
    let (dst_if, mut dst) = find(dst_w).ok_or(bad)?;
    let (mut src_if, mut dst_if) = (src_if, dst_if);
    // NAT: the mapped address in parentheses (302013 to 302016), or the global address of
    // the local side (302020/302021 `gaddr`).
    let mapped = |words: &[&str]| words.iter().find_map(|w| mapped_after(toks, w));
    let mut src_mapped = mapped(src_w);
    let mut dst_mapped = mapped(dst_w).or_else(|| {
        let g = after(toks, "gaddr")?;
        let l = after(toks, "laddr")?;
        let strip = |t: &'a str| t.split('(').next().unwrap_or(t);
        (strip(g) != strip(l)).then(|| strip(g))
    });
    let built = first == "Built";
    if built && toks.get(1) == Some(&"outbound") {
        // ASA names the foreign side first; an outbound connection starts on the other side.
        std::mem::swap(&mut src, &mut dst);
        std::mem::swap(&mut src_if, &mut dst_if);
        std::mem::swap(&mut src_mapped, &mut dst_mapped);
    }
    if let Some(m) = src_mapped {
        ev.fields
            .push((Cow::Borrowed("src_mapped"), Cow::Borrowed(m)));
    }
    if let Some(m) = dst_mapped {
        ev.fields
            .push((Cow::Borrowed("dst_mapped"), Cow::Borrowed(m)));
    }
    if built {
        ev.fields
            .push((Cow::Borrowed("direction"), Cow::Borrowed(toks[1])));
    }
    ev.action = Some(if built || first == "Teardown" {
        Action::Allow
    } else {
        Action::Deny
    });
    if matches!(ev.proto, Some(IpProto::ICMP) | Some(IpProto::ICMPV6)) {
        src.port = None;
        dst.port = None;
    }
    if let Some(i) = src_if {
        ev.fields.push((Cow::Borrowed("src_if"), Cow::Borrowed(i)));
    }
    if let Some(i) = dst_if {
        ev.fields.push((Cow::Borrowed("dst_if"), Cow::Borrowed(i)));
    }
    ev.src = Some(src);
    ev.dest = Some(dst);
    if let Some(c) = after(toks, "connection").filter(|c| c.bytes().all(|b| b.is_ascii_digit())) {
        ev.flow_key = Some(Cow::Borrowed(c));
    }
    if let Some(b) = after(toks, "bytes") {
        ev.fields.push((Cow::Borrowed("bytes"), Cow::Borrowed(b)));
    }
    if let Some(d) = after(toks, "duration") {
        ev.fields
            .push((Cow::Borrowed("duration"), Cow::Borrowed(d)));
    }
    if let Some(i) = toks.iter().position(|t| *t == "flags") {
        let mut bits = 0;
        for t in &toks[i + 1..] {
            match tcp_flags::from_word(t) {
                Some(b) => bits |= b,
                None => break,
            }
        }
        ev.tcp_flags = Some(Cow::Borrowed(tcp_flags::render(bits)));
    }
    if let Some(i) = toks.iter().position(|t| *t == "(type") {
        if let Some(t) = toks.get(i + 1) {
            ev.fields.push((
                Cow::Borrowed("icmp_type"),
                Cow::Borrowed(t.trim_end_matches(',')),
            ));
        }
        if let Some(c) = toks.get(i + 3) {
            ev.fields.push((
                Cow::Borrowed("icmp_code"),
                Cow::Borrowed(c.trim_end_matches(')')),
            ));
        }
    }
    if let Some(acl) = after(toks, "access-group") {
        ev.fields
            .push((Cow::Borrowed("acl"), Cow::Borrowed(acl.trim_matches('"'))));
    }
    Ok(())
}

/// 106100: `access-list NAME permitted|denied|est-allowed PROTO IF/ADDR(PORT) -> IF/ADDR(PORT) hit-cnt N ...`
fn access_list<'a>(
    toks: &[&'a str],
    ev: &mut ContextEvent<'a>,
) -> Result<(), Option<&'static str>> {
    let bad = Some("access-list message without its addresses");
    ev.fields.push((
        Cow::Borrowed("acl"),
        Cow::Borrowed(toks.get(1).copied().ok_or(bad)?),
    ));
    ev.action = match toks.get(2).copied() {
        Some("permitted" | "est-allowed") => Some(Action::Allow),
        Some("denied") => Some(Action::Deny),
        _ => Some(Action::Other),
    };
    ev.proto = toks.get(3).and_then(|p| IpProto::from_name(p));
    let arrow = toks.iter().position(|t| *t == "->").ok_or(bad)?;
    let one = |t: &'a str| -> Option<(&'a str, Endpoint<'a>)> {
        let (iface, rest) = t.split_once('/')?;
        let (addr, port) = match rest.split_once('(') {
            Some((a, p)) => (a, p.trim_end_matches(')').parse::<u16>().ok()),
            None => (rest, None),
        };
        if addr.is_empty() {
            return None;
        }
        Some((
            iface,
            Endpoint {
                host: Host::parse(addr),
                port,
            },
        ))
    };
    let (si, mut s) = toks
        .get(arrow.wrapping_sub(1))
        .and_then(|t| one(t))
        .ok_or(bad)?;
    let (di, mut d) = toks.get(arrow + 1).and_then(|t| one(t)).ok_or(bad)?;
    if !ev.proto.is_some_and(IpProto::has_ports) {
        s.port = None;
        d.port = None;
    }
    ev.fields.push((Cow::Borrowed("src_if"), Cow::Borrowed(si)));
    ev.fields.push((Cow::Borrowed("dst_if"), Cow::Borrowed(di)));
    ev.src = Some(s);
    ev.dest = Some(d);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::testsink::Collect;
    use crate::model::YearSource;

    fn run(text: &str) -> Collect {
        let ctx = ReadContext {
            path: "asa.log",
            year: None,
            mtime_year: Some(2020),
        };
        let mut sink = Collect::default();
        read(&mut text.as_bytes(), &ctx, &mut sink).unwrap();
        sink
    }

    const DENY: &str = "<164>Mar  4 05:06:07 fw1 %ASA-4-106023: Deny tcp src outside:198.51.100.20/4444 dst dmz:10.2.2.2/22 by access-group \"out_in\" [0x0, 0x0]";

    #[test]
    fn reads_the_traffic_messages() {
        let text = format!(
            "{DENY}\n\
Mar  4 05:06:08 fw1 %ASA-2-106001: Inbound TCP connection denied from 203.0.113.5/5555 to 10.2.2.3/1433 flags SYN  on interface outside\n\
Mar  4 05:06:09 fw1 %PIX-2-106006: Deny inbound UDP from 203.0.113.6/53000 to 10.2.2.4/161 on interface outside\n\
Mar  4 05:06:09 fw1 %PIX-2-106007: Deny inbound UDP from 203.0.113.7/53 to 10.2.2.4/40000 due to DNS Response\n\
%ASA-3-106014: Deny inbound icmp src outside:203.0.113.8 dst outside:10.2.2.5 (type 3, code 1)\n\
%ASA-6-106015: Deny TCP (no connection) from 10.2.2.6/445 to 10.2.9.9/50000 flags ACK RST  on interface inside\n\
%ASA-6-106100: access-list acl_out denied udp inside/10.2.2.7(1234) -> outside/192.0.2.53(53) hit-cnt 1 first hit [0x1, 0x2]\n\
<166>Jan  5 08:00:00 10.0.0.1 %ASA-6-302013: Built outbound TCP connection 77 for outside:192.0.2.80/443 (192.0.2.80/443) to inside:10.2.2.8/50001 (198.51.100.1/50001)\n\
<166>Jan  5 08:00:01 10.0.0.1 %ASA-6-302014: Teardown TCP connection 77 for outside:192.0.2.80/443 to inside:10.2.2.8/50001(LOCAL\\u) duration 0:00:01 bytes 4321 TCP FINs\n\
%ASA-6-302020: Built inbound ICMP connection for faddr 192.0.2.9/0 gaddr 10.2.2.9/5 laddr 10.2.2.9/5\n\
Dec 30 03:10:48 10.0.0.1 Dec 30 2003 02:13:28: %PIX-3-710003: TCP access denied by ACL from 192.0.2.10/2984 to outside:10.2.2.10/ssh\n\
%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 5 per second\n\
Jul 12 17:30:17 relay 10.1.1.1/10.1.1.2 :Jul 12 10:25:06 PDT: %ASA-session-2-106007: Deny inbound UDP from 192.0.2.11/1048 to 10.2.2.11/53 due to DNS Query\n\
%ASA-5-111008: User 'enable_15' executed the 'write' command.\n\
Nov  2 18:03:14 pix %PIX-1-106101 The number of ACL log deny-flows has reached limit (number).\n\
%ASA-6-302021: Teardown ICMP connection 5 from outside:192.0.2.12/7 (192.0.2.12/7) to inside:10.2.2.12/900 (10.2.2.12/900)\n"
        );
        let s = run(&text);
        assert!(s.skipped.is_empty(), "{:?}", s.skipped);
        let e = &s.events;
        assert_eq!(e.len(), 16);
        assert_eq!(e[0].subtype.as_deref(), Some("106023"));
        assert_eq!(e[0].src, "198.51.100.20:4444");
        assert_eq!(e[0].dest, "10.2.2.2:22");
        assert_eq!(e[0].action, Some(Action::Deny));
        assert_eq!(e[0].proto, Some(IpProto::TCP));
        assert_eq!(e[0].field("acl"), Some("out_in"));
        assert_eq!(e[0].date, Some((2020, 3, 4)));
        assert_eq!(e[1].tcp_flags.as_deref(), Some("S"));
        assert_eq!(e[1].dest, "10.2.2.3:1433");
        assert_eq!(e[2].proto, Some(IpProto::UDP));
        assert_eq!(e[3].src, "203.0.113.7:53");
        assert_eq!(e[4].dest, "10.2.2.5");
        assert_eq!(e[4].field("icmp_code"), Some("1"));
        assert_eq!(e[5].tcp_flags.as_deref(), Some("AR"));
        assert_eq!(e[6].src, "10.2.2.7:1234");
        assert_eq!(e[6].dest, "192.0.2.53:53");
        assert_eq!(e[6].action, Some(Action::Deny));
        // Outbound: the inside host started it.
        assert_eq!(e[7].src, "10.2.2.8:50001");
        assert_eq!(e[7].dest, "192.0.2.80:443");
        assert_eq!(e[7].flow_key.as_deref(), Some("77"));
        // Issue #8: the inside host's mapped address, so that its denies (which name the
        // mapped address) are known as the same host.
        assert_eq!(e[7].field("src_mapped"), Some("198.51.100.1/50001"));
        assert_eq!(e[7].field("dst_mapped"), None);
        assert_eq!(
            e[9].field("dst_mapped"),
            None,
            "gaddr equal to laddr: no NAT"
        );
        assert_eq!(e[8].field("bytes"), Some("4321"));
        assert_eq!(e[8].dest, "10.2.2.8:50001");
        assert_eq!(e[9].src, "192.0.2.9");
        assert_eq!(e[9].proto, Some(IpProto::ICMP));
        assert_eq!(e[10].dest, "10.2.2.10:22");
        assert_eq!(e[10].date, Some((2003, 12, 30)));
        assert_eq!(e[10].year_source, Some(YearSource::Written));
        assert_eq!(e[11].subtype.as_deref(), Some("733100"));
        assert_eq!(e[11].src, "");
        assert_eq!(e[12].dest, "10.2.2.11:53");
        assert_eq!(e[13].subtype.as_deref(), Some("111008"));
        assert_eq!(e[13].action, None);
        assert_eq!(e[14].subtype.as_deref(), Some("106101"));
        assert_eq!(e[15].src, "192.0.2.12");
        assert_eq!(e[15].dest, "10.2.2.12");
        assert_eq!(e[15].flow_key.as_deref(), Some("5"));
    }

    #[test]
    fn bare_messages_in_a_page_with_sanitised_addresses() {
        let s = run("Our firewall shows odd UDP from all over:\n\
\n\
Deny udp src outside:203.0.XX.XX/1111 dst inside:198.51.XX.XX/7777\n\
Deny udp src outside:192.0.XX.XX/2222 dst inside:198.51.XX.XX/7777\n\
Deny this, we said.\n");
        assert_eq!(s.events.len(), 2);
        assert_eq!(s.skipped.len(), 3);
        assert_eq!(s.events[0].dest, "198.51.XX.XX:7777");
        assert_eq!(s.events[0].subtype.as_deref(), Some("106023"));
        assert_eq!(s.events[0].proto, Some(IpProto::UDP));
        assert_eq!(s.events[1].src, "192.0.XX.XX:2222");
        assert!(s.events[0].date.is_none());
    }

    #[test]
    fn every_truncation_is_accounted_for() {
        for cut in 0..=DENY.len() {
            let s = run(&DENY[..cut]);
            assert_eq!(s.events.len() + s.skipped.len(), usize::from(cut > 0));
        }
    }
}
