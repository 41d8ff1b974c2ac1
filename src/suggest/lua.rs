//! Snort 3's `suppress` and `event_filter` tables in a Lua configuration (`snort.lua`, a
//! `--tweaks` file):
//!
//! ```lua
//! suppress =
//! {
//!     { gid = 1, sid = 2009099, track = 'by_dst', ip = '224.0.0.252' },
//! }
//! event_filter = { { gid = 1, sid = 1, type = 'limit', track = 'by_src', count = 1, seconds = 60 } }
//! ```
//!
//! A small reader of Lua table literals: the assignments of those two names, their entries'
//! `key = value` fields (strings, numbers), `--` comments. Other Lua is skipped, not run.

use super::threshold::Line;
use super::Track;

#[derive(Clone, Debug, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(String),
    Num(&'a str),
    Eq,
    Open,
    Close,
    Comma,
    Other,
}

fn lex(text: &str) -> Vec<(Tok<'_>, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b';' => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => {
                out.push((Tok::Open, line));
                i += 1;
            }
            b'}' => {
                out.push((Tok::Close, line));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, line));
                i += 1;
            }
            b'=' if b.get(i + 1) != Some(&b'=') => {
                out.push((Tok::Eq, line));
                i += 1;
            }
            b'\'' | b'"' => {
                let mut s = String::new();
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    s.push(b[i] as char);
                    i += 1;
                }
                i += 1;
                out.push((Tok::Str(s), line));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
                out.push((Tok::Ident(&text[start..i]), line));
            }
            c if c.is_ascii_digit()
                || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push((Tok::Num(&text[start..i]), line));
            }
            _ => {
                out.push((Tok::Other, line));
                i += 1;
            }
        }
    }
    out
}

/// The `suppress` and `event_filter` entries of a Lua configuration, each with its line, or
/// what is wrong with one.
pub fn parse(text: &str) -> Vec<(usize, Result<Line, String>)> {
    let toks = lex(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < toks.len() {
        let name = match &toks[i].0 {
            Tok::Ident(n) if *n == "suppress" || *n == "event_filter" => *n,
            _ => {
                i += 1;
                continue;
            }
        };
        if toks[i + 1].0 != Tok::Eq || toks[i + 2].0 != Tok::Open {
            i += 1;
            continue;
        }
        i += 3;
        // Entries until the table's closing brace.
        while i < toks.len() && toks[i].0 != Tok::Close {
            if toks[i].0 == Tok::Comma {
                i += 1;
                continue;
            }
            if toks[i].0 != Tok::Open {
                out.push((
                    toks[i].1,
                    Err(format!("{name} holds something that is not a table")),
                ));
                i += 1;
                continue;
            }
            let line = toks[i].1;
            i += 1;
            let mut fields: Vec<(&str, String)> = Vec::new();
            let mut bad = None;
            while i < toks.len() && toks[i].0 != Tok::Close {
                match (
                    &toks[i].0,
                    toks.get(i + 1).map(|t| &t.0),
                    toks.get(i + 2).map(|t| &t.0),
                ) {
                    (Tok::Ident(k), Some(Tok::Eq), Some(Tok::Str(v))) => {
                        fields.push((k, v.clone()));
                        i += 3;
                    }
                    (Tok::Ident(k), Some(Tok::Eq), Some(Tok::Num(v))) => {
                        fields.push((k, (*v).to_string()));
                        i += 3;
                    }
                    (Tok::Comma, _, _) => i += 1,
                    _ => {
                        bad.get_or_insert_with(|| {
                            format!("{name} entry field is not key = 'value' or key = number")
                        });
                        i += 1;
                    }
                }
            }
            i += 1;
            out.push((
                line,
                match bad {
                    Some(b) => Err(b),
                    None => entry(name, &fields),
                },
            ));
        }
        i += 1;
    }
    out
}

/// One entry, with Snort 3's defaults (`src/main/modules.cc`): a suppression's `gid` and `sid`
/// default to 0 (every one), an event filter's to 1; `count` defaults to 0 and -1 turns the
/// filter off; an event filter must have `type` and `track`.
fn entry(name: &str, fields: &[(&str, String)]) -> Result<Line, String> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(x, _)| *x == k)
            .map(|(_, v)| v.as_str())
    };
    let default_id = if name == "suppress" { 0 } else { 1 };
    let num = |k: &str, default: u32| -> Result<u32, String> {
        match get(k) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{k} = {v:?} is not a number from 0")),
        }
    };
    let allowed: &[&str] = if name == "suppress" {
        &["gid", "sid", "track", "ip"]
    } else {
        &["gid", "sid", "type", "track", "count", "seconds", "ip"]
    };
    if let Some((k, _)) = fields.iter().find(|(k, _)| !allowed.contains(k)) {
        return Err(format!("{name} entry has no field {k:?}"));
    }
    let (gid, sid) = (num("gid", default_id)?, num("sid", default_id)?);
    if name == "suppress" {
        let track = match get("track") {
            Some(t) => Some(
                Track::from_name(t)
                    .filter(|t| *t != Track::ByEither)
                    .ok_or_else(|| format!("track = {t:?} is not 'by_src' or 'by_dst'"))?,
            ),
            None => None,
        };
        let ip = get("ip").map(str::to_string);
        if track.is_some() != ip.is_some() {
            return Err("suppress entry needs track and ip together, or neither".into());
        }
        return Ok(Line::Suppress {
            gid,
            sid,
            track,
            ip,
        });
    }
    let kind = get("type").ok_or("event_filter entry needs type")?;
    if !matches!(kind, "limit" | "threshold" | "both") {
        return Err(format!(
            "type = {kind:?} is not 'limit', 'threshold' or 'both'"
        ));
    }
    let track = get("track").ok_or("event_filter entry needs track")?;
    if !matches!(track, "by_src" | "by_dst") {
        return Err(format!("track = {track:?} is not 'by_src' or 'by_dst'"));
    }
    // -1 turns the filter off: it then hides nothing, as a limit no count reaches.
    let (kind, count) = match get("count") {
        Some("-1") => ("limit", u32::MAX),
        _ => (kind, num("count", 0)?),
    };
    Ok(Line::Filter {
        gid,
        sid,
        kind: kind.to_string(),
        track: track.to_string(),
        count,
        seconds: num("seconds", 0)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_suppress_and_event_filter_tables() {
        let text = "-- tweaks\nips = { enable_builtin_rules = true }\nsuppress =\n{\n    { gid = 1, sid = 2009099, track = 'by_dst', ip = '224.0.0.252' },\n    { gid = 1, sid = 7 }, -- everywhere\n}\nevent_filter =\n{\n    {\n        type = 'limit',\n        track = 'by_src',\n        count = 1,\n        seconds = 60,\n        sid = 1991,\n        gid = 1,\n    },\n}\n";
        let got = parse(text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(
            got[0],
            (
                5,
                Ok(Line::Suppress {
                    gid: 1,
                    sid: 2009099,
                    track: Some(Track::ByDst),
                    ip: Some("224.0.0.252".into())
                })
            )
        );
        assert!(matches!(
            got[2].1,
            Ok(Line::Filter {
                sid: 1991,
                count: 1,
                ..
            })
        ));
        let bad = parse("suppress = { { gid = 1, sid = 2, trakc = 'by_dst' } }");
        assert!(bad[0].1.as_ref().unwrap_err().contains("trakc"));
        // Snort 3's defaults: an event filter without sid is sid 1; count -1 is off.
        let d = parse("event_filter = { { type = 'limit', track = 'by_src', count = -1, seconds = 60, gid = 1 } }");
        assert!(
            matches!(
                &d[0].1,
                Ok(Line::Filter {
                    sid: 1,
                    count: u32::MAX,
                    ..
                })
            ),
            "{d:?}"
        );
        let d = parse("suppress = { { gid = 1 } }");
        assert!(
            matches!(
                &d[0].1,
                Ok(Line::Suppress {
                    sid: 0,
                    track: None,
                    ..
                })
            ),
            "{d:?}"
        );
        for bad in [
            "event_filter = { { type = 'often', track = 'by_src', sid = 3 } }",
            "event_filter = { { type = 'limit', track = 'by_rule', sid = 3 } }",
            "suppress = { { gid = 1, sid = 2, track = 'by_either', ip = '1.2.3.4' } }",
            "suppress = { { gid = 1, sid = 2, track = 'by_src' } }",
        ] {
            assert!(parse(bad)[0].1.is_err(), "{bad}");
        }
    }
}
