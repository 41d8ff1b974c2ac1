//! IRC client and server messages (RFC 2812, Section 2.3; RFC 1459, Section 2.3.1): lines of
//! `[@tags] [:prefix] COMMAND params [:trailing]` ending in CR LF, with IRCv3 message tags
//! (IRCv3 Message Tags specification).

use super::{escape, AppFacts, Field, FieldClass, Parsed};

/// Longest line read: RFC 2812 allows 512 octets with CR LF, and IRCv3 tags add up to 8191;
/// a longer "line" is not IRC.
pub const MAX_LINE: usize = 512 + 8191;
/// Most lines read from one payload (a server's welcome burst is a few dozen lines).
pub const MAX_LINES: usize = 64;
/// Most middle parameters in one message (RFC 2812, Section 2.3.1: 14 plus a trailing one).
pub const MAX_PARAMS: usize = 15;

/// Anomaly: the port says IRC, but the payload is not IRC lines.
pub const NOT_IRC: &str = "irc_port_but_not_irc";

/// How sure the caller already is that the payload is IRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// The port is an IRC port: any well-formed command line will do.
    OnItsPort,
    /// Nothing else points at IRC: the first line must be a command only IRC uses, shaped as
    /// IRC shapes it (NICK with one parameter, USER with four, JOIN of a channel, PRIVMSG to a
    /// target with trailing text, PING or PONG with a token, a numeric reply with a prefix),
    /// and ended by a line break.
    ByContent,
}

/// What the lines state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IrcFacts {
    /// The first line's command (`PRIVMSG`, `001`).
    pub command: String,
    /// Every line's command, in order.
    pub commands: Vec<String>,
    /// NICK's nickname, or a prefix's nickname.
    pub nick: Option<String>,
    /// The first channel a JOIN or PRIVMSG names.
    pub channel: Option<String>,
}

const COMMANDS: &[&str] = &[
    "PASS",
    "NICK",
    "USER",
    "OPER",
    "MODE",
    "SERVICE",
    "QUIT",
    "SQUIT",
    "JOIN",
    "PART",
    "TOPIC",
    "NAMES",
    "LIST",
    "INVITE",
    "KICK",
    "PRIVMSG",
    "NOTICE",
    "MOTD",
    "LUSERS",
    "VERSION",
    "STATS",
    "LINKS",
    "TIME",
    "CONNECT",
    "TRACE",
    "ADMIN",
    "INFO",
    "SERVLIST",
    "SQUERY",
    "WHO",
    "WHOIS",
    "WHOWAS",
    "KILL",
    "PING",
    "PONG",
    "ERROR",
    "AWAY",
    "REHASH",
    "DIE",
    "RESTART",
    "SUMMON",
    "USERS",
    "WALLOPS",
    "USERHOST",
    "ISON",
    "CAP",
    "AUTHENTICATE",
];

struct Line {
    tags: Option<std::ops::Range<usize>>,
    prefix: Option<std::ops::Range<usize>>,
    command: std::ops::Range<usize>,
    middle: Vec<std::ops::Range<usize>>,
    trailing: Option<std::ops::Range<usize>>,
    /// The CR LF or LF, when present.
    end: Option<std::ops::Range<usize>>,
}

fn is_numeric(c: &[u8]) -> bool {
    c.len() == 3 && c.iter().all(u8::is_ascii_digit)
}

/// Parses the line `p[start..]` up to its LF.
fn line(p: &[u8], start: usize) -> Option<Line> {
    let rest = p.get(start..)?;
    let lf = rest.iter().take(MAX_LINE + 1).position(|&b| b == b'\n');
    let text_end = match lf {
        Some(i) if i > 0 && rest[i - 1] == b'\r' => start + i - 1,
        Some(i) => start + i,
        None if rest.len() > MAX_LINE => return None,
        None => p.len(),
    };
    let end = lf.map(|i| text_end..start + i + 1);
    let t = &p[start..text_end];
    if t.is_empty() || t.iter().any(|&b| b == 0 || b == b'\r') {
        return None;
    }
    let mut pos = start;
    let word_end = |from: usize| -> usize {
        p[from..text_end]
            .iter()
            .position(|&b| b == b' ')
            .map_or(text_end, |i| from + i)
    };
    let mut tags = None;
    if p[pos] == b'@' {
        let e = word_end(pos);
        tags = Some(pos..e);
        pos = (e + 1).min(text_end);
    }
    let mut prefix = None;
    if p.get(pos) == Some(&b':') && pos < text_end {
        let e = word_end(pos);
        prefix = Some(pos..e);
        pos = (e + 1).min(text_end);
    }
    let ce = word_end(pos);
    let cmd = &p[pos..ce];
    let known = cmd.iter().all(u8::is_ascii_uppercase)
        && COMMANDS.contains(&std::str::from_utf8(cmd).ok()?);
    if !(known || is_numeric(cmd)) {
        return None;
    }
    let command = pos..ce;
    let mut middle = Vec::new();
    let mut trailing = None;
    pos = ce;
    while pos < text_end && middle.len() < MAX_PARAMS {
        pos += 1; // the space
        if pos >= text_end {
            break;
        }
        if p[pos] == b':' {
            trailing = Some(pos..text_end);
            pos = text_end;
            break;
        }
        let e = word_end(pos);
        if e > pos {
            middle.push(pos..e);
        }
        pos = e;
    }
    if pos < text_end {
        trailing = Some(pos..text_end);
    }
    Some(Line {
        tags,
        prefix,
        command,
        middle,
        trailing,
        end,
    })
}

/// Whether a first line is shaped as only IRC shapes it.
fn strongly_irc(p: &[u8], l: &Line) -> bool {
    let cmd = &p[l.command.clone()];
    let has_trailing = l.trailing.is_some();
    let first_param = l.middle.first().map(|r| &p[r.clone()]);
    let channel = first_param.is_some_and(|m| matches!(m.first(), Some(b'#' | b'&' | b'+' | b'!')));
    l.end.is_some()
        && match cmd {
            b"NICK" => l.middle.len() == 1 && !has_trailing || l.middle.is_empty() && has_trailing,
            b"USER" => l.middle.len() == 3 && has_trailing,
            b"JOIN" | b"PART" => channel,
            b"PRIVMSG" | b"NOTICE" => l.middle.len() == 1 && has_trailing,
            b"PING" | b"PONG" => l.middle.len() + usize::from(has_trailing) >= 1,
            b"CAP" => first_param.is_some_and(|m| matches!(m, b"LS" | b"REQ" | b"END" | b"*")),
            _ => is_numeric(cmd) && l.prefix.is_some() && !l.middle.is_empty(),
        }
}

/// Dissects `p` as IRC lines; `None` unless the first line is an IRC command (and, by
/// content, one only IRC sends).
pub fn dissect(p: &[u8], strictness: Strictness) -> Option<Parsed> {
    let first = line(p, 0)?;
    if strictness == Strictness::ByContent && !strongly_irc(p, &first) {
        return None;
    }
    let mut f = Vec::new();
    let mut facts = IrcFacts::default();
    let mut pos = 0;
    let mut current = Some(first);
    for n in 0..MAX_LINES {
        let Some(l) = current.take() else { break };
        let cmd = escape(&p[l.command.clone()]);
        facts.commands.push(cmd.clone());
        if n == 0 {
            facts.command = cmd.clone();
        }
        if let Some(t) = l.tags {
            f.push(Field::new(
                t,
                "IRC message tags",
                FieldClass::HeaderText,
                None,
            ));
        }
        if let Some(pr) = l.prefix {
            let text = escape(&p[pr.start + 1..pr.end]);
            if facts.nick.is_none() {
                let nick = text.split('!').next().unwrap_or_default();
                if !nick.contains('.') && !nick.is_empty() {
                    facts.nick = Some(nick.to_string());
                }
            }
            f.push(Field::new(pr, "IRC prefix", FieldClass::Name, Some(text)));
        }
        f.push(Field::new(
            l.command.clone(),
            "IRC command",
            FieldClass::Code,
            Some(cmd.clone()),
        ));
        for (i, m) in l.middle.iter().enumerate() {
            let v = escape(&p[m.clone()]);
            if i == 0 && cmd == "NICK" {
                facts.nick = Some(v.clone());
            }
            if facts.channel.is_none()
                && matches!(v.chars().next(), Some('#' | '&'))
                && matches!(
                    cmd.as_str(),
                    "JOIN" | "PRIVMSG" | "PART" | "NOTICE" | "TOPIC" | "MODE"
                )
            {
                facts.channel = Some(v.split(',').next().unwrap_or_default().to_string());
            }
            f.push(Field::new(
                m.clone(),
                format!("IRC {cmd} parameter {}", i + 1),
                FieldClass::Name,
                Some(v),
            ));
        }
        if let Some(t) = l.trailing {
            let v = escape(&p[t.clone()]);
            f.push(Field::new(
                t,
                format!("IRC {cmd} trailing parameter"),
                FieldClass::TextBody,
                Some(v),
            ));
        }
        let Some(e) = l.end else {
            pos = p.len();
            break;
        };
        f.push(Field::new(
            e.clone(),
            "IRC line end",
            FieldClass::HeaderText,
            None,
        ));
        pos = e.end;
        current = line(p, pos);
    }
    if pos < p.len() {
        f.push(Field::new(
            pos..p.len(),
            "further IRC data",
            FieldClass::TextBody,
            None,
        ));
    }
    let lines = facts.commands.len();
    let mut summary = format!("an IRC {} message", facts.command);
    if let Some(c) = &facts.channel {
        summary.push_str(&format!(" for {c}"));
    }
    if let Some(n) = &facts.nick {
        summary.push_str(&format!(" (nick {n})"));
    }
    if lines > 1 {
        summary.push_str(&format!(" and {} more line(s)", lines - 1));
    }
    Some(Parsed {
        protocol: "irc",
        fields: f,
        anomalies: Vec::new(),
        summary,
        is_response: None,
        app: AppFacts::Irc(facts),
        doc: Some("RFC 2812; RFC 1459".into()),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, AppFacts};
    use super::*;

    /// A client's registration and first join, as irssi sends them.
    pub(crate) fn registration() -> Vec<u8> {
        b"NICK kristi\r\nUSER kristi 0 * :Kristi Example\r\nJOIN #fpx-test\r\nPRIVMSG #fpx-test :hello from irssi\r\n".to_vec()
    }

    fn irc(d: &super::super::Dissection) -> &IrcFacts {
        match d.app.as_ref() {
            Some(AppFacts::Irc(x)) => x,
            other => panic!("not IRC: {other:?}"),
        }
    }

    #[test]
    fn registration_lines() {
        let p = registration();
        for hint in [
            tcp("192.168.1.5", 50000, "198.51.100.1", 6667),
            tcp("192.168.1.5", 50000, "198.51.100.1", 7000),
        ] {
            let d = dissect_bytes(&p, &hint, &kb());
            assert_eq!(d.protocol, Some("irc"), "{}", d.recognised_by);
            let x = irc(&d);
            assert_eq!(x.commands, ["NICK", "USER", "JOIN", "PRIVMSG"]);
            assert_eq!(x.nick.as_deref(), Some("kristi"));
            assert_eq!(x.channel.as_deref(), Some("#fpx-test"));
            assert_eq!(d.field_at(0).unwrap().name, "IRC command");
            assert_eq!(d.field_at(5).unwrap().name, "IRC NICK parameter 1");
            every_truncation(&p, &hint);
        }
    }

    #[test]
    fn server_numeric_with_prefix_and_tags() {
        let p = b"@time=2024-05-01T10:00:00.000Z :irc.example.net 001 kristi :Welcome to the Example IRC Network kristi\r\n:irc.example.net PING :irc.example.net\r\n";
        let hint = tcp("198.51.100.1", 6697, "192.168.1.5", 50000);
        let d = dissect_bytes(p, &hint, &kb());
        assert_eq!(d.protocol, Some("irc"));
        assert_eq!(irc(&d).command, "001");
        assert_eq!(d.field_at(0).unwrap().name, "IRC message tags");
        every_truncation(p, &hint);
    }

    #[test]
    fn other_text_is_not_irc() {
        let hint = tcp("192.168.1.5", 50000, "198.51.100.1", 4000);
        for p in [
            &b"USER anonymous\r\n"[..],
            b"PING\r\n",
            b"QUIT\r\n",
            b"NICK a b c\r\n",
            b"hello\r\n",
        ] {
            assert_eq!(
                dissect_bytes(p, &hint, &kb()).protocol,
                None,
                "{:?}",
                String::from_utf8_lossy(p)
            );
        }
        // FTP's USER on its own port stays unclaimed.
        let ftp = tcp("192.168.1.5", 50000, "198.51.100.1", 21);
        assert_eq!(
            dissect_bytes(b"USER a 0 * :b\r\n", &ftp, &kb()).protocol,
            None
        );
        let on_port = tcp("192.168.1.5", 50000, "198.51.100.1", 6667);
        let d = dissect_bytes(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", &on_port, &kb());
        assert_eq!(
            d.protocol,
            Some("tls"),
            "IRC over TLS on an IRC port: {}",
            d.recognised_by
        );
        let d = dissect_bytes(b"\x00\x01binary", &on_port, &kb());
        assert!(d.anomalies.contains(&NOT_IRC));
    }
}
