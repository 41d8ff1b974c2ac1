//! Linux netfilter (iptables, nftables) `LOG` target lines:
//!
//! ```text
//! Mar  3 10:00:01 gw kernel: [ 12.5] DROP IN=eth0 OUT= MAC=... SRC=198.51.100.7 DST=10.0.0.2 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=77 DF PROTO=TCP SPT=40000 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0
//! ```
//!
//! Whatever comes before `IN=` is the log prefix the rule set chose (`DROP`, Shorewall's
//! `Shorewall:net2fw:DROP:`, UniFi's `[WAN_LOCAL-D-1]`, Proxmox's counters); it becomes the
//! subtype, and the action is read from it. The rest is `KEY=value` pairs and bare words (`DF`,
//! TCP flags). IPv6 lines carry `TC=`, `HOPLIMIT=`, `FLOWLBL=` instead of `TOS=`/`TTL=`/`ID=`.
//! An ICMP error quotes the offending packet in brackets; the quote is not read as the packet.

use std::borrow::Cow;
use std::io::BufRead;

use crate::model::{Action, ContextEvent, ContextKind, Endpoint, Host, IpProto, SkipReason};

use super::logline::{
    at_line, clf_stamp_in, contains_nocase, leading_stamp, read_lines, tcp_flags,
};
use super::year::YearHints;
use super::{ReadContext, ReadError, Sink};

pub const KIND: ContextKind = ContextKind::NETFILTER;

pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    read_lines(input, ctx, sink, parse, unrecognised)
}

/// A stamped syslog line of another program is a foreign log line; anything else is prose.
fn unrecognised(line: &str, years: &YearHints) -> SkipReason {
    if leading_stamp(line, years).is_some() {
        SkipReason::NOT_AN_ALERT_LINE
    } else {
        SkipReason::SURROUNDING_TEXT
    }
}

/// Where the fields start: at `IN=` (the kernel always writes it, empty for locally sent
/// packets) at the start of a word, or after a prefix's `:` or `)`. Proxmox drops `IN=` for
/// outgoing packets; there `OUT=` starts the fields, unless the word before it is itself a
/// `KEY=value` field (then `IN=` was lost, and the line is broken).
fn find_start(line: &str) -> Option<usize> {
    let at_word = |key: &str| {
        let b = line.as_bytes();
        let mut from = 0;
        while let Some(i) = line[from..].find(key) {
            let p = from + i;
            if p == 0 || !(b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'_') {
                return Some(p);
            }
            from = p + key.len();
        }
        None
    };
    if let Some(p) = at_word("IN=") {
        return Some(p);
    }
    let p = at_word("OUT=")?;
    let before = line[..p].split_whitespace().next_back().unwrap_or("");
    (!before.contains('=')).then_some(p)
}

/// The action a log prefix states.
fn action_of(prefix: &str) -> Option<Action> {
    // UniFi rule tags: `[WAN_LOCAL-D-2147483647]` (D drop, R reject, A accept).
    if let Some(tag) = prefix.split('[').nth(1).and_then(|t| t.split(']').next()) {
        let parts: Vec<&str> = tag.rsplitn(3, '-').collect();
        if parts.len() == 3 && parts[0].bytes().all(|c| c.is_ascii_digit()) {
            match parts[1] {
                "D" | "R" => return Some(Action::Deny),
                "A" => return Some(Action::Allow),
                _ => {}
            }
        }
    }
    const DENY: [&str; 5] = ["DROP", "REJECT", "DENY", "BLOCK", "INVALID"];
    const ALLOW: [&str; 3] = ["ACCEPT", "ALLOW", "PASS"];
    if DENY.iter().any(|w| contains_nocase(prefix, w)) {
        Some(Action::Deny)
    } else if ALLOW.iter().any(|w| contains_nocase(prefix, w)) {
        Some(Action::Allow)
    } else {
        None
    }
}

/// `Ok(event)`, `Err(Some(why))` for a netfilter line that is broken, `Err(None)` for a line
/// that is not one.
fn parse<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
    years: &YearHints,
) -> Result<ContextEvent<'a>, Option<&'static str>> {
    let Some(pos) = find_start(line) else {
        return Err(if line.contains("SRC=") && line.contains("DST=") {
            Some("SRC= and DST= without an IN= field")
        } else {
            None
        });
    };
    let head = &line[..pos];
    let mut ev = ContextEvent::new(at_line(ctx, line_no), KIND);
    let prefix = match leading_stamp(head, years) {
        Some((ts, rest)) => {
            ev.timestamp = Some(ts);
            rest
        }
        None => {
            ev.timestamp = clf_stamp_in(head);
            head
        }
    };
    // Drop the syslog host and `kernel:` tag and the kernel's uptime stamp.
    let prefix = match prefix.find("kernel:") {
        Some(k) => &prefix[k + "kernel:".len()..],
        // No kernel tag (UniFi): after a syslog stamp comes the host name, not the prefix.
        None if ev.timestamp.is_some() && head.len() != prefix.len() => prefix
            .trim_start()
            .split_once(' ')
            .map_or("", |(_, rest)| rest),
        None => prefix,
    };
    let prefix = prefix.trim_start();
    let prefix = match prefix.strip_prefix('[').and_then(|p| p.split_once(']')) {
        Some((up, rest)) if up.trim().bytes().all(|c| c.is_ascii_digit() || c == b'.') => rest,
        _ => prefix,
    };
    let prefix = prefix.trim().trim_end_matches(':').trim();
    ev.action = action_of(prefix);
    if !prefix.is_empty() {
        ev.subtype = Some(Cow::Borrowed(prefix));
    }

    let mut src = None;
    let mut dst = None;
    let mut spt = None;
    let mut dpt = None;
    let mut after_proto = false;
    let mut flags = 0u8;
    let mut saw_flag = false;
    for tok in line[pos..].split_whitespace() {
        if tok.starts_with('[') {
            // The quoted packet of an ICMP error.
            break;
        }
        let Some((k, v)) = tok.split_once('=') else {
            if let Some(bit) = tcp_flags::from_word(tok) {
                flags |= bit;
                saw_flag = true;
            } else if tok == "INCOMPLETE" {
                // The kernel saw fewer bytes than the header needs: ports and flags are absent.
                ev.fields
                    .push((Cow::Borrowed("incomplete"), Cow::Borrowed("1")));
            } else if matches!(tok, "DF" | "MF" | "CE") {
                ev.fields.push((Cow::Borrowed(tok), Cow::Borrowed("1")));
            }
            continue;
        };
        match k {
            "SRC" => src = Some(v),
            "DST" => dst = Some(v),
            "LEN" if !after_proto => {
                ev.ip_len = Some(v.parse().map_err(|_| Some("LEN= is not a number"))?)
            }
            "LEN" => ev
                .fields
                .push((Cow::Borrowed("payload_len"), Cow::Borrowed(v))),
            "ID" if after_proto => ev.fields.push((Cow::Borrowed("icmp_id"), Cow::Borrowed(v))),
            "ID" => ev.fields.push((Cow::Borrowed("ip_id"), Cow::Borrowed(v))),
            "PROTO" => {
                after_proto = true;
                // Names the kernel writes that the model does not know: UDP-Lite (RFC 3828,
                // protocol 136) and AH (RFC 4302, protocol 51).
                let p = match v {
                    "UDPLITE" => Some(IpProto(136)),
                    "AH" => Some(IpProto(51)),
                    _ => IpProto::from_name(v),
                };
                match p {
                    Some(p) => ev.proto = Some(p),
                    None => return Err(Some("PROTO= names no IP protocol")),
                }
            }
            "SPT" => spt = Some(v.parse::<u16>().map_err(|_| Some("SPT= is not a port"))?),
            "DPT" => dpt = Some(v.parse::<u16>().map_err(|_| Some("DPT= is not a port"))?),
            "TYPE" => ev
                .fields
                .push((Cow::Borrowed("icmp_type"), Cow::Borrowed(v))),
            "CODE" => ev
                .fields
                .push((Cow::Borrowed("icmp_code"), Cow::Borrowed(v))),
            "IN" => ev.fields.push((Cow::Borrowed("in"), Cow::Borrowed(v))),
            "OUT" => ev.fields.push((Cow::Borrowed("out"), Cow::Borrowed(v))),
            "MAC" => ev.fields.push((Cow::Borrowed("mac"), Cow::Borrowed(v))),
            "TTL" => ev.fields.push((Cow::Borrowed("ttl"), Cow::Borrowed(v))),
            "HOPLIMIT" => ev.fields.push((Cow::Borrowed("ttl"), Cow::Borrowed(v))),
            "TOS" | "TC" => ev.fields.push((Cow::Borrowed("tos"), Cow::Borrowed(v))),
            "WINDOW" => ev.fields.push((Cow::Borrowed("window"), Cow::Borrowed(v))),
            "SEQ" => ev.fields.push((Cow::Borrowed("seq"), Cow::Borrowed(v))),
            "ACK" => ev.fields.push((Cow::Borrowed("ack"), Cow::Borrowed(v))),
            "PHYSIN" | "PHYSOUT" | "FLOWLBL" | "PREC" | "MARK" | "UID" | "GID" => {
                ev.fields.push((Cow::Borrowed(k), Cow::Borrowed(v)))
            }
            _ => {}
        }
    }
    let src = src.ok_or(Some("no SRC= field"))?;
    let dst = dst.ok_or(Some("no DST= field"))?;
    let proto = ev.proto.ok_or(Some("no PROTO= field"))?;
    let (sh, dh) = (Host::parse(src), Host::parse(dst));
    if sh.ip().is_none() || dh.ip().is_none() {
        return Err(Some("SRC= or DST= is not an IP address"));
    }
    // Ports may be missing for a protocol that has them: a truncated header (`INCOMPLETE`),
    // or SCTP on kernels that do not decode it. The event is kept, without ports.
    ev.src = Some(Endpoint {
        host: sh,
        port: spt,
    });
    ev.dest = Some(Endpoint {
        host: dh,
        port: dpt,
    });
    if proto == IpProto::TCP && saw_flag {
        ev.tcp_flags = Some(Cow::Borrowed(tcp_flags::render(flags)));
    }
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::testsink::Collect;
    use crate::model::YearSource;

    fn run(text: &str) -> Collect {
        let ctx = ReadContext {
            path: "fw.log",
            year: None,
            mtime_year: Some(2021),
        };
        let mut sink = Collect::default();
        read(&mut text.as_bytes(), &ctx, &mut sink).unwrap();
        sink
    }

    const TCP: &str = "Feb  2 03:04:05 edge kernel: [ 812.000101] DROP IN=eth1 OUT= MAC=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:08:00 SRC=203.0.113.9 DST=10.1.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=5150 DF PROTO=TCP SPT=51515 DPT=2323 WINDOW=1024 RES=0x00 URG PSH FIN URGP=0";

    #[test]
    fn reads_tcp_udp_icmp_and_ipv6() {
        let text = format!(
            "{TCP}\n\
2019-04-01T10:11:12.250000+02:00 host kernel: Shorewall:net2fw:ACCEPT:IN=eth0 OUT= SRC=10.9.9.9 DST=10.1.1.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=5353 DPT=53 LEN=40\n\
Feb  2 03:04:06 edge kernel: ICMP IN=eth0 OUT= SRC=10.9.9.8 DST=10.1.1.1 LEN=28 TTL=64 ID=7 PROTO=ICMP TYPE=8 CODE=0 ID=99 SEQ=1\n\
Feb  2 03:04:07 edge kernel: DROP IN=eth0 OUT= SRC=2001:db8::2 DST=ff02::1:ff00:1 LEN=72 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0\n\
Feb  2 03:04:08 edge kernel: DROP IN=eth0 OUT= SRC=10.9.9.7 DST=10.1.1.1 LEN=20 TTL=9 ID=3 PROTO=47\n\
0 2 PVEFW-HOST-IN 05/Mar/2022:01:02:03 +0100 policy REJECT: IN=vmbr0 MAC=aa SRC=10.3.0.1 DST=10.3.0.2 LEN=60 TTL=62 ID=2 DF PROTO=TCP SPT=40000 DPT=3306 SEQ=1 ACK=0 WINDOW=64240 SYN\n\
Jun  1 00:00:00 udm [LAN_IN-A-3000] DESCR=\"x\" IN=br0 OUT=eth8 SRC=10.0.0.5 DST=198.51.100.1 LEN=52 TTL=63 ID=1 PROTO=UDP SPT=1 DPT=2 LEN=32\n\
Jun  1 00:00:01 h kernel: [1.5]  out by firewall (OUTPUT)IN= OUT=eth0 SRC=10.0.0.5 DST=10.0.0.6 LEN=100 TTL=255 ID=7 DF PROTO=41\n\
0 1 PVEFW-HOST-OUT 01/Jan/2022:00:00:00 +0000 REJECT: OUT=vmbr0 SRC=10.0.0.5 DST=10.0.0.6 LEN=60 TTL=64 ID=5 DF PROTO=TCP SPT=4000 DPT=22 SYN\n\
Jun  1 00:00:02 h kernel: DROP IN=eth0 OUT= SRC=10.0.0.7 DST=10.0.0.6 LEN=20 TTL=40 ID=1 PROTO=UDPLITE INCOMPLETE [0 bytes]\n\
Jun  1 00:00:03 h kernel: DROP IN=eth0 OUT= SRC=10.0.0.7 DST=10.0.0.6 LEN=20 TTL=40 ID=1 PROTO=AH SPI=0x1\n"
        );
        let s = run(&text);
        assert!(s.skipped.is_empty(), "{:?}", s.skipped);
        let e = &s.events;
        assert_eq!(e[0].src, "203.0.113.9:51515");
        assert_eq!(e[0].dest, "10.1.1.1:2323");
        assert_eq!(e[0].tcp_flags.as_deref(), Some("FPU"));
        assert_eq!(e[0].action, Some(Action::Deny));
        assert_eq!(e[0].subtype.as_deref(), Some("DROP"));
        assert_eq!(e[0].ip_len, Some(44));
        assert_eq!(e[0].date, Some((2021, 2, 2)));
        assert_eq!(e[0].year_source, Some(YearSource::FileModified));
        assert_eq!(e[1].action, Some(Action::Allow));
        assert_eq!(e[1].proto, Some(IpProto::UDP));
        assert_eq!(e[1].field("payload_len"), Some("40"));
        assert_eq!(e[1].year_source, Some(YearSource::Written));
        assert_eq!(e[1].date, Some((2019, 4, 1)));
        assert_eq!(e[2].dest, "10.1.1.1");
        assert_eq!(e[2].field("icmp_type"), Some("8"));
        assert_eq!(e[2].field("icmp_id"), Some("99"));
        assert_eq!(e[2].action, None);
        assert_eq!(e[3].proto, Some(IpProto::ICMPV6));
        assert_eq!(e[3].src, "2001:db8::2");
        assert_eq!(e[4].proto, Some(IpProto::GRE));
        assert_eq!(e[5].date, Some((2022, 3, 5)));
        assert_eq!(e[5].tcp_flags.as_deref(), Some("S"));
        assert_eq!(e[5].field("ack"), Some("0"));
        assert_eq!(e[5].action, Some(Action::Deny));
        assert_eq!(e[6].action, Some(Action::Allow));
        assert_eq!(e[6].subtype.as_deref(), Some("[LAN_IN-A-3000] DESCR=\"x\""));
        assert_eq!(e[7].subtype.as_deref(), Some("out by firewall (OUTPUT)"));
        assert_eq!(e[7].proto, Some(IpProto(41)));
        assert_eq!(e[8].dest, "10.0.0.6:22");
        assert_eq!(e[8].action, Some(Action::Deny));
        assert_eq!(e[9].proto, Some(IpProto(136)));
        assert_eq!(e[9].dest, "10.0.0.6");
        assert_eq!(e[9].field("incomplete"), Some("1"));
        assert_eq!(e[10].proto, Some(IpProto(51)));
    }

    #[test]
    fn broken_and_foreign_lines_are_counted() {
        let s = run(
            "Jan  1 00:00:00 h kernel: XX=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 PROTO=TCP SPT=1 DPT=2\n\
Jan  1 00:00:00 h kernel: IN=eth0 OUT= SRC=10.0.0.1 LEN=40 PROTO=TCP SPT=1 DPT=2\n\
Jan  1 00:00:00 h sshd[1]: Failed password for root\n\
\n\
some prose\n",
        );
        assert!(s.events.is_empty());
        let reasons: Vec<_> = s.skipped.iter().map(|(r, _)| *r).collect();
        assert_eq!(
            reasons,
            vec![
                SkipReason::MALFORMED_ALERT,
                SkipReason::MALFORMED_ALERT,
                SkipReason::NOT_AN_ALERT_LINE,
                SkipReason::BLANK,
                SkipReason::SURROUNDING_TEXT
            ]
        );
    }

    #[test]
    fn every_truncation_is_accounted_for() {
        for cut in 0..=TCP.len() {
            let s = run(&TCP[..cut]);
            assert_eq!(s.events.len() + s.skipped.len(), usize::from(cut > 0));
        }
    }
}
