//! Control messages of the classic DDoS tools (trinoo, TFN, stacheldraht, mstream), from the
//! channels in `knowledge/ddos-tools.toml`. A message is recognised only when the transport,
//! the port on the side the channel names and an exact command word at the position the tool
//! puts it all agree: the old rules that name these tools match one or a few bytes anywhere,
//! and the point of this dissector is to tell such a match apart from a real command.
//! HTTP and payloads that start with a file magic are never a tool's message.

use super::{escape, http, AppFacts, Field, FieldClass, Hint, Parsed};
use crate::knowledge::{DdosChannel, Knowledge, WordPosition};
use crate::model::IpProto;

/// Longest control message considered. The tools' commands are short lines (trinoo's longest,
/// `xyz` with a target list, stays under 1 KiB); a longer payload is something else.
pub const MAX_MESSAGE: usize = 1024;

/// What the message is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DdosFacts {
    /// The tool's id (`trinoo`).
    pub tool: String,
    pub tool_name: String,
    /// The command word as sent.
    pub command: String,
    /// `master→agent`.
    pub channel: String,
    /// The ICMP identifiers the tool uses on the channel, when it is ICMP.
    pub icmp_ids: Vec<u16>,
    pub source: String,
}

/// Trailing bytes a line-oriented tool leaves after a word.
fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rposition(|&c| !matches!(c, b'\r' | b'\n' | 0 | b' '))
        .map_or(0, |i| i + 1);
    &b[..n]
}

/// The first space-delimited token of `b` from `at`, as a range.
fn token(b: &[u8], at: usize) -> std::ops::Range<usize> {
    let end = b[at.min(b.len())..]
        .iter()
        .position(|&c| matches!(c, b' ' | b'\r' | b'\n' | 0))
        .map_or(b.len(), |i| at + i);
    at.min(end)..end
}

/// Where a channel's word sits in `p`: the word's range, and the password's when there is one.
fn word_at(
    c: &DdosChannel,
    p: &[u8],
    icmp_id: Option<u16>,
) -> Option<(
    usize,
    std::ops::Range<usize>,
    Option<std::ops::Range<usize>>,
)> {
    if c.position == WordPosition::IcmpIdAddress {
        // The command is the identifier; the data holds its argument, an address.
        if !icmp_id.is_some_and(|id| c.icmp_ids.contains(&id)) {
            return None;
        }
        let end = trim_end(p).len();
        let start = p[..end]
            .iter()
            .rposition(|&b| !(b.is_ascii_digit() || b == b'.'))
            .map_or(0, |i| i + 1);
        let text = std::str::from_utf8(&p[start..end]).ok()?;
        text.parse::<std::net::Ipv4Addr>().ok()?;
        return Some((0, start..end, None));
    }
    // An ICMP channel whose identifier the alert gives must have it.
    if let (Some(id), false) = (icmp_id, c.icmp_ids.is_empty()) {
        if !c.icmp_ids.contains(&id) {
            return None;
        }
    }
    for (i, w) in c.words.iter().enumerate() {
        let w = w.as_bytes();
        match c.position {
            WordPosition::Whole if trim_end(p) == w => return Some((i, 0..w.len(), None)),
            WordPosition::Prefix if p.starts_with(w) => return Some((i, 0..w.len(), None)),
            WordPosition::FirstWord if p.get(token(p, 0)) == Some(w) => {
                return Some((i, 0..w.len(), None))
            }
            WordPosition::CommandPassword if p.get(token(p, 0)) == Some(w) => {
                let pw = c.password.as_deref()?.as_bytes();
                if p.get(w.len()) != Some(&b' ') {
                    continue;
                }
                let t = token(p, w.len() + 1);
                if p.get(t.clone()) == Some(pw) {
                    return Some((i, 0..w.len(), Some(t)));
                }
            }
            _ => {}
        }
    }
    None
}

/// Recognises `p` as a control message of a tool whose channel fits the packet.
pub fn dissect(p: &[u8], hint: &Hint, kb: &Knowledge) -> Option<Parsed> {
    let proto = hint.proto?;
    if p.is_empty() || p.len() > MAX_MESSAGE || kb.ddos_channels.is_empty() {
        return None;
    }
    if http::parse(p).is_some() || kb.magic_at(p).is_some() {
        return None;
    }
    for c in &kb.ddos_channels {
        if !c.fits(proto, hint.src_port, hint.dest_port) {
            continue;
        }
        let icmp_id = hint.icmp_id.filter(|_| proto == IpProto::ICMP);
        let Some((i, word, password)) = word_at(c, p, icmp_id) else {
            continue;
        };
        return Some(parsed(c, i, word, password, p, proto, kb));
    }
    None
}

fn parsed(
    c: &DdosChannel,
    i: usize,
    word: std::ops::Range<usize>,
    password: Option<std::ops::Range<usize>>,
    p: &[u8],
    proto: IpProto,
    kb: &Knowledge,
) -> Parsed {
    let tool = kb.ddos_tool(&c.tool);
    let tool_name = tool.map_or_else(|| c.tool.clone(), |t| t.name.clone());
    let command = c.words.get(i).cloned().unwrap_or_default();
    let channel = format!("{}→{}", c.from, c.to);
    let by_id = c.position == WordPosition::IcmpIdAddress;
    let mut f = Vec::new();
    if by_id && word.start > 0 {
        f.push(Field::new(
            0..word.start,
            "padding",
            FieldClass::Padding,
            None,
        ));
    }
    f.push(Field::new(
        word.clone(),
        if by_id {
            format!("{tool_name} {channel} command argument (target address)")
        } else {
            format!("{tool_name} {channel} command word")
        },
        if by_id {
            FieldClass::Name
        } else {
            FieldClass::Code
        },
        Some(escape(&p[word.clone()])),
    ));
    let mut at = word.end;
    if let Some(pw) = &password {
        f.push(Field::new(
            at..pw.start,
            "separator",
            FieldClass::HeaderText,
            None,
        ));
        f.push(Field::new(
            pw.clone(),
            format!("{tool_name} password"),
            FieldClass::Name,
            Some(escape(&p[pw.clone()])),
        ));
        at = pw.end;
    }
    let spaces = p[at..].iter().take_while(|&&b| b == b' ').count();
    if spaces > 0 && at + spaces < trim_end(p).len() {
        f.push(Field::new(
            at..at + spaces,
            "separator",
            FieldClass::HeaderText,
            None,
        ));
        at += spaces;
    }
    let body_end = trim_end(p).len().max(at);
    if at < body_end {
        f.push(Field::new(
            at..body_end,
            format!("{tool_name} command arguments"),
            FieldClass::TextBody,
            Some(escape(&p[at..body_end])),
        ));
    }
    if body_end < p.len() {
        f.push(Field::new(
            body_end..p.len(),
            "line end",
            FieldClass::HeaderText,
            None,
        ));
    }
    let whereabouts = match (proto, c.port, c.port_side.as_deref()) {
        (IpProto::ICMP, _, _) if by_id => {
            let ids: Vec<String> = c.icmp_ids.iter().map(u16::to_string).collect();
            format!(
                "in an ICMP message whose identifier ({}) is the tool's command",
                ids.join(" or ")
            )
        }
        (IpProto::ICMP, _, _) => {
            let ids: Vec<String> = c.icmp_ids.iter().map(u16::to_string).collect();
            format!(
                "in ICMP data (the tool sends it with ICMP id {}, which the payload does not show)",
                ids.join(" or ")
            )
        }
        (_, Some(port), Some("src")) => format!("from port {port}/{}", c.transport),
        (_, Some(port), _) => format!("to port {port}/{}", c.transport),
        _ => String::new(),
    };
    let position = match c.position {
        WordPosition::Whole => "as the whole message",
        WordPosition::Prefix => "at the start of the message",
        WordPosition::FirstWord => "as the first word",
        WordPosition::CommandPassword => "as the first word, followed by the tool's password",
        WordPosition::IcmpIdAddress => "as the address at the end of the data",
    };
    let summary = if by_id {
        format!(
            "looks like a {tool_name} {channel} {command}: the ICMP identifier is the tool's \
             ({}), and the data ends with its argument, the address {}",
            c.icmp_ids
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
            escape(&p[word.clone()])
        )
    } else {
        format!(
            "looks like the {tool_name} {channel} command `{command}`: the word sits {position}, \
             {whereabouts}"
        )
    };
    let source = c.source.clone();
    Parsed {
        protocol: "ddos-tool",
        fields: f,
        anomalies: Vec::new(),
        summary,
        is_response: None,
        app: AppFacts::Ddos(DdosFacts {
            tool: c.tool.clone(),
            tool_name,
            command,
            channel,
            icmp_ids: c.icmp_ids.clone(),
            source: source.clone(),
        }),
        doc: Some(source),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, http, AppFacts, Hint};
    use super::*;

    fn ddos(d: &super::super::Dissection) -> &DdosFacts {
        match d.app.as_ref() {
            Some(AppFacts::Ddos(x)) => x,
            other => panic!("not a DDoS tool message: {other:?} ({})", d.recognised_by),
        }
    }

    fn icmp() -> Hint {
        Hint {
            proto: Some(IpProto::ICMP),
            src: "192.0.2.1".parse().ok(),
            dest: "192.0.2.2".parse().ok(),
            ..Hint::default()
        }
    }

    #[test]
    fn trinoo_master_to_agent() {
        let p = b"aaa l44adsl 10.0.0.5\n";
        let hint = udp("192.0.2.1", 1024, "192.0.2.2", 27444);
        let d = dissect_bytes(p, &hint, &kb());
        assert_eq!(d.protocol, Some("ddos-tool"));
        let x = ddos(&d);
        assert_eq!((x.tool.as_str(), x.command.as_str()), ("trinoo", "aaa"));
        assert!(
            d.recognised_by
                .starts_with("looks like the trinoo master→agent command `aaa`"),
            "{}",
            d.recognised_by
        );
        assert_eq!(
            d.field_at(0).unwrap().name,
            "trinoo master→agent command word"
        );
        assert_eq!(d.field_at(5).unwrap().name, "trinoo password");
        assert_eq!(d.field_at(13).unwrap().value.as_deref(), Some("10.0.0.5"));
        every_truncation(p, &hint);
        // The password is required, and the port.
        assert_eq!(
            dissect_bytes(b"aaa hunter2 10.0.0.5\n", &hint, &kb()).protocol,
            None
        );
        let other = udp("192.0.2.1", 1024, "192.0.2.2", 27445);
        assert_eq!(dissect_bytes(p, &other, &kb()).protocol, None);
    }

    #[test]
    fn tfn_flood_commands_by_icmp_identifier() {
        // An echo reply with TFN's command identifier and the target's address as its data.
        let data = b"\x00\x00\x00\x00\x00\x00\x00\x00203.0.113.99";
        let with = |id| Hint {
            icmp_id: Some(id),
            ..icmp()
        };
        let d = dissect_bytes(data, &with(456), &kb());
        assert_eq!(ddos(&d).tool, "tfn");
        assert!(
            d.recognised_by.contains("203.0.113.99"),
            "{}",
            d.recognised_by
        );
        assert!(d.fields.iter().any(|f| f.name.contains("target address")));
        assert_eq!(ddos(&dissect_bytes(data, &with(51201), &kb())).tool, "tfn");
        // Another identifier, no identifier, or data that is no address: not TFN.
        assert_eq!(dissect_bytes(data, &with(457), &kb()).protocol, None);
        assert_eq!(dissect_bytes(data, &icmp(), &kb()).protocol, None);
        assert_eq!(
            dissect_bytes(b"\0\0abcdefgh", &with(456), &kb()).protocol,
            None
        );
        for cut in 0..=data.len() {
            let _ = dissect_bytes(&data[..cut], &with(456), &kb());
        }
    }

    #[test]
    fn agent_replies_and_icmp_words() {
        let hint = udp("192.0.2.2", 1024, "192.0.2.1", 31335);
        let d = dissect_bytes(b"*HELLO*", &hint, &kb());
        assert_eq!(ddos(&d).channel, "agent→master");
        let d = dissect_bytes(b"skillz", &icmp(), &kb());
        let x = ddos(&d);
        assert_eq!(x.tool, "stacheldraht");
        assert_eq!(x.icmp_ids, [666, 6666]);
        assert!(
            d.recognised_by.contains("ICMP id 666 or 6666"),
            "{}",
            d.recognised_by
        );
        let d = dissect_bytes(b"ficken\0\0\0", &icmp(), &kb());
        assert_eq!(ddos(&d).command, "ficken");
        // With the identifier the alert gives, it must be the channel's.
        let wrong_id = Hint {
            icmp_id: Some(4242),
            ..icmp()
        };
        assert_eq!(
            dissect_bytes(b"ficken\0\0\0", &wrong_id, &kb()).protocol,
            None
        );
        assert_eq!(dissect_bytes(b"not skillz", &icmp(), &kb()).protocol, None);
        let mstream = udp("192.0.2.1", 1024, "192.0.2.2", 10498);
        let d = dissect_bytes(b"stream/10.0.0.9:60\n", &mstream, &kb());
        assert_eq!(ddos(&d).tool, "mstream");
        every_truncation(b"stream/10.0.0.9:60\n", &mstream);
    }

    /// Seed 003: an mstream rule (content ">" from port 12754) fired on a GIF in an HTTP
    /// response to a client whose ephemeral port was 12754. HTTP, and the GIF body on its own,
    /// must never be taken for the tool.
    #[test]
    fn gif_in_http_is_never_mstream() {
        let kb = kb();
        let gif = http::tests::gif_response();
        for hint in [
            tcp("198.51.100.80", 80, "192.168.1.20", 12754),
            tcp("198.51.100.80", 12754, "192.168.1.20", 40000),
            tcp("198.51.100.80", 15104, "192.168.1.20", 40000),
            tcp("192.168.1.20", 40000, "198.51.100.80", 27665),
        ] {
            let d = dissect_bytes(&gif, &hint, &kb);
            assert_eq!(d.protocol, Some("http"), "{hint:?}");
            assert_eq!(d.body_magic.as_ref().unwrap().mime, "image/gif");
            let body = d.http.as_ref().unwrap().body.clone().unwrap();
            let d = dissect_bytes(&gif[body], &hint, &kb);
            assert_ne!(d.protocol, Some("ddos-tool"), "{hint:?}");
            let d = dissect_bytes(b"GET /gOrave HTTP/1.1\r\nHost: a\r\n\r\n", &hint, &kb);
            assert_eq!(d.protocol, Some("http"));
        }
        // The handler's real prompt, alone in its segment, is recognised.
        let hint = tcp("198.51.100.80", 12754, "192.168.1.20", 40000);
        let d = dissect_bytes(b"> ", &hint, &kb);
        assert_eq!(ddos(&d).tool, "mstream");
        // A prompt-like byte inside anything longer is not.
        assert_eq!(dissect_bytes(b"a > b", &hint, &kb).protocol, None);
        assert_eq!(dissect_bytes(b"GIF89a>", &hint, &kb).protocol, None);
    }
}
