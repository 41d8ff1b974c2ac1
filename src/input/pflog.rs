//! OpenBSD/FreeBSD pf logs, in the two text forms they reach an analyst:
//!
//! * tcpdump reading the `pflog0` interface (`tcpdump -n -e -ttt -i pflog0`):
//!   ```text
//!   Mar  2 10:00:00.000001 rule 3/(match) [uid 0, pid 42] block in on em0: 192.0.2.1.40000 > 10.0.0.1.22: S 1:1(0) win 1024 (ttl 40, id 7, len 44)
//!   ```
//!   The rule, action, direction and interface come from pflog's header; source and
//!   destination are `addr.port`; the TCP flags are tcpdump's letters (`S`, `P.`, `.`).
//! * pfSense / OPNsense `filterlog` CSV (syslog, classic or RFC 5424):
//!   `rule,subrule,anchor,tracker,iface,reason,action,dir,ipver,` then the IPv4 fields
//!   `tos,ecn,ttl,id,offset,flags,protoid,protoname,length,src,dst` or the IPv6 fields
//!   `class,flowlabel,hoplimit,protoname,protoid,length,src,dst`, then per protocol
//!   `srcport,dstport,datalen[,tcpflags,seq,ack,window,urg,options]`.

use std::borrow::Cow;
use std::io::BufRead;
use std::net::IpAddr;

use crate::model::{Action, ContextEvent, ContextKind, Endpoint, Host, IpProto};

use super::logline::{at_line, leading_stamp, read_lines, surrounding_text, tcp_flags};
use super::year::YearHints;
use super::{ReadContext, ReadError, Sink};

pub const KIND: ContextKind = ContextKind::PFLOG;

/// Most fields a filterlog record has (IPv4 TCP with options: 29).
const MAX_CSV_FIELDS: usize = 40;

pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    read_lines(input, ctx, sink, parse, surrounding_text)
}

/// pfSense's filterlog CSV, or OpenBSD's pflog as tcpdump prints it.
fn parse<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
    years: &YearHints,
) -> Result<ContextEvent<'a>, Option<&'static str>> {
    if line.contains("filterlog") {
        filterlog(line, ctx, line_no, years)
    } else if line.contains("/(match") {
        tcpdump(line, ctx, line_no, years)
    } else {
        Err(None)
    }
}

fn action_of(word: &str) -> Action {
    match word {
        "pass" => Action::Allow,
        "block" => Action::Deny,
        _ => Action::Other,
    }
}

/// `addr.port` as tcpdump prints it (or a bare address).
fn dotted_endpoint(tok: &str) -> Option<Endpoint<'_>> {
    if let Some((a, p)) = tok.rsplit_once('.') {
        if let (Ok(_), Ok(port)) = (a.parse::<IpAddr>(), p.parse::<u16>()) {
            return Some(Endpoint {
                host: Host::parse(a),
                port: Some(port),
            });
        }
    }
    tok.parse::<IpAddr>().ok().map(|_| Endpoint {
        host: Host::parse(tok),
        port: None,
    })
}

fn tcpdump<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
    years: &YearHints,
) -> Result<ContextEvent<'a>, Option<&'static str>> {
    let bad = Some("pflog line without its addresses");
    let rule_at = line.find("rule ").ok_or(None)?;
    let mut ev = ContextEvent::new(at_line(ctx, line_no), KIND);
    ev.subtype = Some(Cow::Borrowed("tcpdump"));
    let head = &line[..rule_at];
    ev.timestamp = leading_stamp(head, years).map(|(ts, _)| ts);
    let after_rule = &line[rule_at + 5..];
    let (rule, rest) = after_rule.split_once("/(").ok_or(bad)?;
    ev.fields.push((Cow::Borrowed("rule"), Cow::Borrowed(rule)));
    let rest = rest.split_once(')').ok_or(bad)?.1.trim_start();
    // `[uid 0, pid 42]` is there when the rule logs the socket owner.
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once(']').ok_or(bad)?.1,
        None => rest,
    };
    let (hdr, pkt) = rest.split_once(": ").ok_or(bad)?;
    let mut h = hdr.split_whitespace();
    let action = h.next().ok_or(bad)?;
    ev.action = Some(action_of(action));
    if let Some(dir) = h.next() {
        ev.fields.push((Cow::Borrowed("dir"), Cow::Borrowed(dir)));
    }
    if let (Some("on"), Some(iface)) = (h.next(), h.next()) {
        ev.fields
            .push((Cow::Borrowed("interface"), Cow::Borrowed(iface)));
    }
    let (addrs, body) = pkt.split_once(": ").unwrap_or((pkt, ""));
    let (s, d) = addrs.split_once(" > ").ok_or(bad)?;
    let mut src = dotted_endpoint(s.trim()).ok_or(bad)?;
    let mut dst = dotted_endpoint(d.trim()).ok_or(bad)?;
    let body = body.trim_start();
    let first = body.split_whitespace().next().unwrap_or("");
    // Newer tcpdump writes `Flags [S.]`, older just the letters.
    let flag_text = if first == "Flags" {
        body.split_whitespace()
            .nth(1)
            .map(|f| f.trim_matches(|c| c == '[' || c == ']' || c == ','))
    } else {
        Some(first)
    };
    if let Some(bits) = flag_text.and_then(tcp_flags::from_letters) {
        ev.proto = Some(IpProto::TCP);
        ev.tcp_flags = Some(Cow::Borrowed(tcp_flags::render(bits)));
    } else if first.eq_ignore_ascii_case("icmp") || first.eq_ignore_ascii_case("icmp6") {
        ev.proto = Some(if first.eq_ignore_ascii_case("icmp") {
            IpProto::ICMP
        } else {
            IpProto::ICMPV6
        });
        src.port = None;
        dst.port = None;
    } else if body.contains("UDP") || body.contains("[udp sum") {
        ev.proto = Some(IpProto::UDP);
    }
    ev.src = Some(src);
    ev.dest = Some(dst);
    // `(ttl 42, id 1076, len 44)`
    if let Some(i) = body.rfind("(ttl ") {
        for part in body[i + 1..].trim_end_matches(')').split(", ") {
            match part.split_once(' ') {
                Some(("ttl", v)) => ev.fields.push((Cow::Borrowed("ttl"), Cow::Borrowed(v))),
                Some(("id", v)) => ev.fields.push((Cow::Borrowed("ip_id"), Cow::Borrowed(v))),
                Some(("len", v)) => ev.ip_len = v.parse().ok(),
                _ => {}
            }
        }
    }
    Ok(ev)
}

fn filterlog<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
    years: &YearHints,
) -> Result<ContextEvent<'a>, Option<&'static str>> {
    let bad = |why: &'static str| Some(why);
    let csv = line.trim_end().rsplit(' ').next().ok_or(None)?;
    let mut f: [&str; MAX_CSV_FIELDS] = [""; MAX_CSV_FIELDS];
    let mut count = 0;
    for (i, v) in csv.split(',').enumerate() {
        if i < MAX_CSV_FIELDS {
            f[i] = v;
        }
        count = i + 1;
    }
    if count < 9 {
        return Err(bad("filterlog record with fewer than 9 fields"));
    }
    let mut ev = ContextEvent::new(at_line(ctx, line_no), KIND);
    ev.subtype = Some(Cow::Borrowed("filterlog"));
    ev.timestamp = leading_stamp(line, years).map(|(ts, _)| ts);
    ev.fields.push((Cow::Borrowed("rule"), Cow::Borrowed(f[0])));
    if !f[3].is_empty() {
        ev.fields
            .push((Cow::Borrowed("tracker"), Cow::Borrowed(f[3])));
    }
    ev.fields
        .push((Cow::Borrowed("interface"), Cow::Borrowed(f[4])));
    ev.fields
        .push((Cow::Borrowed("reason"), Cow::Borrowed(f[5])));
    ev.action = Some(action_of(f[6]));
    ev.fields.push((Cow::Borrowed("dir"), Cow::Borrowed(f[7])));
    // Index of the protocol id, the length, the source; then protocol data follows dst.
    let (proto_i, len_i, src_i) = match f[8] {
        "4" => {
            ev.fields.push((Cow::Borrowed("ttl"), Cow::Borrowed(f[11])));
            ev.fields
                .push((Cow::Borrowed("ip_id"), Cow::Borrowed(f[12])));
            (15, 17, 18)
        }
        "6" => {
            ev.fields.push((Cow::Borrowed("ttl"), Cow::Borrowed(f[11])));
            (13, 14, 15)
        }
        _ => return Err(bad("filterlog IP version is neither 4 nor 6")),
    };
    if count < src_i + 2 {
        return Err(bad("filterlog record ends before its addresses"));
    }
    let proto = f[proto_i]
        .parse::<u8>()
        .map(IpProto)
        .map_err(|_| bad("filterlog protocol id is not a number"))?;
    ev.proto = Some(proto);
    ev.ip_len = f[len_i].parse().ok();
    let (sh, dh) = (Host::parse(f[src_i]), Host::parse(f[src_i + 1]));
    if sh.ip().is_none() || dh.ip().is_none() {
        return Err(bad("filterlog source or destination is not an address"));
    }
    let data = src_i + 2;
    let (mut sp, mut dp) = (None, None);
    if proto.has_ports() {
        if count < data + 2 {
            return Err(bad("filterlog record ends before its ports"));
        }
        sp = Some(f[data].parse::<u16>().map_err(|_| bad("bad source port"))?);
        dp = Some(
            f[data + 1]
                .parse::<u16>()
                .map_err(|_| bad("bad destination port"))?,
        );
    }
    if proto == IpProto::TCP && count > data + 3 {
        if let Some(bits) = tcp_flags::from_letters(f[data + 3]) {
            ev.tcp_flags = Some(Cow::Borrowed(tcp_flags::render(bits)));
        }
    }
    ev.src = Some(Endpoint { host: sh, port: sp });
    ev.dest = Some(Endpoint { host: dh, port: dp });
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::testsink::Collect;

    fn run(text: &str) -> Collect {
        let ctx = ReadContext {
            path: "pf.log",
            year: Some(2019),
            mtime_year: None,
        };
        let mut sink = Collect::default();
        read(&mut text.as_bytes(), &ctx, &mut sink).unwrap();
        sink
    }

    const TCPDUMP: &str = "Apr  1 12:00:00.500000 rule 7/(match) [uid 0, pid 99] block in on vio0: 198.51.100.3.41000 > 10.0.0.7.3389: S 5:5(0) win 2048 <mss 1460> (ttl 44, id 300, len 44)";
    const FILTERLOG: &str = "Apr  1 12:00:01 gw filterlog: 5,,,1000000103,igb0,match,block,in,4,0x0,,52,901,0,DF,6,tcp,60,198.51.100.4,10.0.0.7,50000,22,0,S,100,,64240,,mss";

    #[test]
    fn reads_tcpdump_and_filterlog() {
        let text = format!(
            "{TCPDUMP}\n\
Apr  1 12:00:00.600000 rule 2/(match) pass out on em1: 10.0.0.7.53 > 10.0.0.9.5353: [udp sum ok] UDP, length 20\n\
Apr  1 12:00:00.700000 rule 1.lan.2/(match) pass in on em1: 10.0.0.9 > 10.0.0.7: ICMP echo request, id 1, seq 1, length 64\n\
{FILTERLOG}\n\
<134>1 2024-02-03T04:05:06+01:00 opn filterlog 12 - [meta sequenceId=\"9\"] 10,,,abc,re0,match,pass,out,4,0x0,,118,2,0,none,17,udp,132,10.0.0.7,203.0.113.9,49838,53,112\n\
<134>1 2024-02-03T04:05:07+01:00 opn filterlog 12 - - 9,,,1,vtnet0,match,block,in,6,0x00,0x0,64,TCP,6,44,2001:db8::1,2001:db8::2,65000,443,0,SA,1,2,0,,mss\n"
        );
        let s = run(&text);
        assert!(s.skipped.is_empty(), "{:?}", s.skipped);
        let e = &s.events;
        assert_eq!(e[0].src, "198.51.100.3:41000");
        assert_eq!(e[0].dest, "10.0.0.7:3389");
        assert_eq!(e[0].tcp_flags.as_deref(), Some("S"));
        assert_eq!(e[0].proto, Some(IpProto::TCP));
        assert_eq!(e[0].action, Some(Action::Deny));
        assert_eq!(e[0].ip_len, Some(44));
        assert_eq!(e[0].date, Some((2019, 4, 1)));
        assert_eq!(e[0].field("interface"), Some("vio0"));
        assert_eq!(e[1].proto, Some(IpProto::UDP));
        assert_eq!(e[1].action, Some(Action::Allow));
        assert_eq!(e[2].proto, Some(IpProto::ICMP));
        assert_eq!(e[2].dest, "10.0.0.7");
        assert_eq!(e[3].src, "198.51.100.4:50000");
        assert_eq!(e[3].dest, "10.0.0.7:22");
        assert_eq!(e[3].subtype.as_deref(), Some("filterlog"));
        assert_eq!(e[3].ip_len, Some(60));
        assert_eq!(e[4].proto, Some(IpProto::UDP));
        assert_eq!(e[4].dest, "203.0.113.9:53");
        assert_eq!(e[4].date, Some((2024, 2, 3)));
        assert_eq!(e[5].src, "2001:db8::1:65000");
        assert_eq!(e[5].tcp_flags.as_deref(), Some("SA"));
    }

    #[test]
    fn every_truncation_is_accounted_for() {
        for line in [TCPDUMP, FILTERLOG] {
            for cut in 0..=line.len() {
                let s = run(&line[..cut]);
                assert_eq!(s.events.len() + s.skipped.len(), usize::from(cut > 0));
            }
        }
    }
}
