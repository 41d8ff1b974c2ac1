//! Linux 2.2 ipchains `Packet log:` lines (`ipchains -l`), as klogd writes them to syslog:
//!
//! ```text
//! Aug 10 05:15:48 gw kernel: Packet log: input REJECT eth0 PROTO=6 10.0.0.5:1025 192.0.2.9:445 L=40 S=0x00 I=4 F=0x4000 T=128 SYN (#13)
//! ```
//!
//! chain, target, interface, IP protocol number, source and destination `addr:port` (for ICMP
//! the "ports" are type and code), then `L=` total length, `S=` TOS, `I=` IP id, `F=` fragment
//! word, `T=` TTL, `SYN` for an initial TCP segment, `(#n)` the rule number.
//!
//! Lines quoted in mail are often wrapped by the mail client after `PROTO=n`; a record whose
//! addresses are missing is joined with the next line when that completes it. Prose and mail
//! headers around the lines are skipped as surrounding text; a mail `Date:` header supplies the
//! year the syslog stamps lack.

use std::borrow::Cow;
use std::io::BufRead;

use crate::model::{Action, ContextEvent, ContextKind, Endpoint, Host, IpProto, SkipReason};

use super::logline::{at_line, go_on, leading_stamp, LineReader, LINE_TOO_LONG};
use super::year::YearHints;
use super::{ReadContext, ReadError, Sink};

pub const KIND: ContextKind = ContextKind::IPCHAINS;

const MARKER: &str = "Packet log:";

/// Why a `Packet log:` line could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    /// The line stops before the addresses: perhaps wrapped onto the next line.
    Incomplete,
    Malformed(&'static str),
}

pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let mut lines = LineReader::new(input, ctx.path);
    let mut years = YearHints::new(ctx);
    // The first half of a possibly wrapped record, and its line number.
    let mut pending = String::new();
    let mut pending_line: Option<u64> = None;
    let mut joined = String::new();
    loop {
        let more = lines.next_line()?;
        let n = lines.line_no;
        if !more {
            if let Some(pl) = pending_line.take() {
                go_on(sink.skipped(
                    SkipReason::TRUNCATED,
                    &at_line(ctx, pl),
                    Some("ipchains record ends before its addresses"),
                ))?;
            }
            return Ok(());
        }
        let text = lines.text();
        let line: &str = &text;
        if let Some(pl) = pending_line.take() {
            if !line.trim().is_empty() && !line.contains(MARKER) {
                joined.clear();
                joined.push_str(&pending);
                joined.push(' ');
                joined.push_str(line.trim());
                if let Ok(ev) = parse(&joined, ctx, pl, &years) {
                    go_on(sink.context(ev))?;
                    continue;
                }
            }
            go_on(sink.skipped(
                SkipReason::TRUNCATED,
                &at_line(ctx, pl),
                Some("ipchains record ends before its addresses"),
            ))?;
        }
        if lines.overlong {
            go_on(sink.skipped(LINE_TOO_LONG, &at_line(ctx, n), None))?;
            continue;
        }
        if line.trim().is_empty() {
            go_on(sink.skipped(SkipReason::BLANK, &at_line(ctx, n), None))?;
            continue;
        }
        if years.observe(line) || !line.contains(MARKER) {
            go_on(sink.skipped(SkipReason::SURROUNDING_TEXT, &at_line(ctx, n), None))?;
            continue;
        }
        match parse(line, ctx, n, &years) {
            Ok(ev) => go_on(sink.context(ev))?,
            Err(Problem::Incomplete) => {
                pending.clear();
                pending.push_str(line.trim_end());
                pending_line = Some(n);
            }
            Err(Problem::Malformed(why)) => {
                go_on(sink.skipped(SkipReason::MALFORMED_ALERT, &at_line(ctx, n), Some(why)))?
            }
        }
    }
}

/// `addr:port`, the address possibly a sanitised label.
fn endpoint(tok: &str) -> Option<(Host<'_>, u16)> {
    let (a, p) = tok.rsplit_once(':')?;
    let port: u16 = p.parse().ok()?;
    if a.is_empty() {
        return None;
    }
    Some((Host::parse(a), port))
}

fn parse<'a>(
    line: &'a str,
    ctx: &ReadContext<'a>,
    line_no: u64,
    years: &YearHints,
) -> Result<ContextEvent<'a>, Problem> {
    let start = line
        .find(MARKER)
        .ok_or(Problem::Malformed("no Packet log"))?;
    let head = line[..start].trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    let mut ev = ContextEvent::new(at_line(ctx, line_no), KIND);
    ev.timestamp = leading_stamp(head, years).map(|(ts, _)| ts);
    let mut toks = line[start + MARKER.len()..].split_whitespace();
    let chain = toks.next().ok_or(Problem::Incomplete)?;
    let target = toks.next().ok_or(Problem::Incomplete)?;
    let iface = toks.next().ok_or(Problem::Incomplete)?;
    let proto_tok = toks.next().ok_or(Problem::Incomplete)?;
    let proto = proto_tok
        .strip_prefix("PROTO=")
        .and_then(|p| p.parse::<u8>().ok())
        .map(IpProto)
        .ok_or(Problem::Malformed("no PROTO= after the interface"))?;
    let src = toks.next().ok_or(Problem::Incomplete)?;
    let (src_host, src_port) =
        endpoint(src).ok_or(Problem::Malformed("source is not addr:port"))?;
    let dst = toks.next().ok_or(Problem::Incomplete)?;
    let (dst_host, dst_port) =
        endpoint(dst).ok_or(Problem::Malformed("destination is not addr:port"))?;
    ev.proto = Some(proto);
    ev.action = Some(match target {
        "ACCEPT" => Action::Allow,
        "DENY" | "REJECT" => Action::Deny,
        _ => Action::Other,
    });
    ev.fields
        .push((Cow::Borrowed("chain"), Cow::Borrowed(chain)));
    ev.fields
        .push((Cow::Borrowed("target"), Cow::Borrowed(target)));
    ev.fields
        .push((Cow::Borrowed("interface"), Cow::Borrowed(iface)));
    let ported = proto.has_ports();
    if proto == IpProto::ICMP {
        ev.fields
            .push((Cow::Borrowed("icmp_type"), Cow::Borrowed(port_text(src))));
        ev.fields
            .push((Cow::Borrowed("icmp_code"), Cow::Borrowed(port_text(dst))));
    }
    ev.src = Some(Endpoint {
        host: src_host,
        port: ported.then_some(src_port),
    });
    ev.dest = Some(Endpoint {
        host: dst_host,
        port: ported.then_some(dst_port),
    });
    let mut saw_len = false;
    for t in toks {
        if let Some(v) = t.strip_prefix("L=") {
            ev.ip_len = Some(v.parse().map_err(|_| Problem::Malformed("bad L= length"))?);
            saw_len = true;
        } else if let Some(v) = t.strip_prefix("S=") {
            ev.fields.push((Cow::Borrowed("tos"), Cow::Borrowed(v)));
        } else if let Some(v) = t.strip_prefix("I=") {
            ev.fields.push((Cow::Borrowed("ip_id"), Cow::Borrowed(v)));
        } else if let Some(v) = t.strip_prefix("F=") {
            ev.fields.push((Cow::Borrowed("frag"), Cow::Borrowed(v)));
        } else if let Some(v) = t.strip_prefix("T=") {
            ev.fields.push((Cow::Borrowed("ttl"), Cow::Borrowed(v)));
        } else if t == "SYN" {
            ev.tcp_flags = Some(Cow::Borrowed("S"));
        } else if let Some(v) = t.strip_prefix("(#").and_then(|v| v.strip_suffix(')')) {
            ev.fields.push((Cow::Borrowed("rule"), Cow::Borrowed(v)));
        }
    }
    if !saw_len {
        // Every ipchains record has L=; a line that stops short was cut or wrapped.
        return Err(Problem::Incomplete);
    }
    Ok(ev)
}

fn port_text(tok: &str) -> &str {
    tok.rsplit_once(':').map_or("", |(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::testsink::Collect;
    use crate::model::YearSource;

    const MAIL: &str = "From: someone <a () example org>\n\
Date: Tue, 07 Sep 2004 10:00:00 +0200\n\
\n\
Hello list, we see this:\n\
Aug 31 23:59:58 fw-1 kernel: Packet log: input REJECT eth0 PROTO=6\n\
10.20.3.4:1101 1.11.5.6:445 L=40 S=0x00 I=1200 F=0x4000 T=128 (#7)\n\
Sep  1 00:00:03 fw-1 kernel: Packet log: input REJECT eth0 PROTO=6\n\
10.20.3.4:1101 1.11.5.6:445 L=79 S=0x00 I=1201 F=0x4000 T=128 (#7)\n\
...\n\
Sep  2 08:15:00 fw-1 kernel: Packet log: input ACCEPT eth1 PROTO=6 10.20.3.9:1500 192.0.2.80:80 L=48 S=0x00 I=9 F=0x4000 T=126 SYN (#1)\n\
Dec 30 01:02:03 fw-1 kernel: Packet log: input DENY eth0 PROTO=1 10.20.3.9:8 192.0.2.1:0 L=60 S=0x00 I=5 F=0x0000 T=128 (#2)\n\
Thanks\n";

    fn run(text: &str, year: Option<i32>) -> Collect {
        let ctx = ReadContext {
            path: "mail.txt",
            year,
            mtime_year: Some(2030),
        };
        let mut sink = Collect::default();
        read(&mut text.as_bytes(), &ctx, &mut sink).unwrap();
        sink
    }

    #[test]
    fn wrapped_lines_in_a_mail_are_joined_and_dated() {
        let s = run(MAIL, None);
        assert_eq!(s.events.len(), 4, "{:?}", s.skipped);
        // 12 lines; two records took two lines each.
        assert_eq!(s.events.len() + s.skipped.len(), 12 - 2);
        let e = &s.events[0];
        assert_eq!(e.line, 5);
        assert_eq!(e.src, "10.20.3.4:1101");
        assert_eq!(e.dest, "1.11.5.6:445");
        assert_eq!(e.ip_len, Some(40));
        assert_eq!(e.action, Some(Action::Deny));
        assert_eq!(e.date, Some((2004, 8, 31)));
        assert_eq!(e.year_source, Some(YearSource::Surrounding));
        assert_eq!(s.events[1].date, Some((2004, 9, 1)));
        assert_eq!(s.events[1].line, 7);
        assert_eq!(s.events[2].tcp_flags.as_deref(), Some("S"));
        assert_eq!(s.events[2].action, Some(Action::Allow));
        // December is after the mail's September: the year before.
        assert_eq!(s.events[3].date, Some((2003, 12, 30)));
        assert_eq!(s.events[3].dest, "192.0.2.1");
        assert_eq!(s.events[3].field("icmp_type"), Some("8"));
        assert!(s
            .skipped
            .iter()
            .all(|(r, _)| *r == SkipReason::SURROUNDING_TEXT || *r == SkipReason::BLANK));
    }

    #[test]
    fn year_flag_wins_and_mtime_is_last() {
        let s = run(MAIL, Some(2015));
        assert_eq!(s.events[0].date, Some((2015, 8, 31)));
        assert_eq!(s.events[0].year_source, Some(YearSource::Flag));
        let s = run(
            "May 14 11:03:57 gw kernel: Packet log: input DENY eth0 PROTO=17 10.0.0.1:67 10.0.0.2:68 L=328 S=0x01 I=3 F=0x4000 T=64\n",
            None,
        );
        assert_eq!(s.events[0].date, Some((2030, 5, 14)));
        assert_eq!(s.events[0].year_source, Some(YearSource::FileModified));
    }

    #[test]
    fn a_wrapped_half_without_its_continuation_is_truncated() {
        let s = run(
            "Aug 10 05:15:48 h kernel: Packet log: input REJECT eth0 PROTO=6\n\nAug 10 05:15:49 h kernel: Packet log: input REJECT eth0 PROTO=6\n",
            None,
        );
        assert!(s.events.is_empty());
        assert_eq!(
            s.skipped.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            vec![
                SkipReason::TRUNCATED,
                SkipReason::BLANK,
                SkipReason::TRUNCATED
            ]
        );
    }

    #[test]
    fn every_truncation_is_accounted_for() {
        let line = "Aug 10 05:15:48 h kernel: Packet log: input REJECT eth0 PROTO=6 172.16.3.5:4425 1.11.9.9:445 L=40 S=0x00 I=42 F=0x4000 T=128 (#13)";
        for cut in 0..=line.len() {
            let s = run(&line[..cut], None);
            let lines = usize::from(cut > 0);
            assert_eq!(s.events.len() + s.skipped.len(), lines, "cut {cut}");
        }
        assert_eq!(run(line, None).events.len(), 1);
    }
}
