//! `threshold.config` (Suricata) and `threshold.conf` / `snort.conf` (Snort 2) lines:
//!
//! ```text
//! suppress gen_id 1, sig_id 2009099, track by_dst, ip 224.0.0.252
//! threshold gen_id 1, sig_id 10, type limit, track by_src, count 1, seconds 60
//! event_filter gen_id 1, sig_id 10, type limit, track by_src, count 1, seconds 60
//! rate_filter gen_id 1, sig_id 10, track by_rule, count 10, seconds 1, new_action drop, timeout 60
//! ```
//!
//! The parser reads the lines fpx writes and the user's own files for the dry run; an error
//! names what is wrong with the line.

use ipnetwork::IpNetwork;

use super::Track;
use crate::model::Engine;

/// One parsed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Suppress {
        gid: u32,
        sid: u32,
        track: Option<Track>,
        /// The `ip` value as written (address, CIDR, `[list]`, `$VAR`, `!negation`).
        ip: Option<String>,
    },
    /// `threshold` or `event_filter`: `type` limit, threshold or both.
    Filter {
        gid: u32,
        sid: u32,
        kind: String,
        track: String,
        count: u32,
        seconds: u32,
    },
    /// `rate_filter`: changes the action; the dry run does not simulate it.
    RateFilter { gid: u32, sid: u32 },
}

impl Line {
    /// The signature the line is about (`sig_id 0` / `gen_id 0` mean every one).
    pub fn signature(&self) -> (u32, u32) {
        match self {
            Line::Suppress { gid, sid, .. }
            | Line::Filter { gid, sid, .. }
            | Line::RateFilter { gid, sid } => (*gid, *sid),
        }
    }
}

/// The networks of an `ip` value, when it is literal (no variables); negated items are not
/// returned, and make the value `None` (the dry run then says it cannot evaluate it alone).
pub fn literal_networks(ip: &str) -> Option<Vec<IpNetwork>> {
    let t = ip.trim();
    let inner = t
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(t);
    inner
        .split(',')
        .map(|item| {
            let item = item.trim();
            if item.starts_with('!') || item.starts_with('$') || item.is_empty() {
                return None;
            }
            item.parse::<IpNetwork>().ok()
        })
        .collect()
}

/// Parses one line as Suricata reads `threshold.config`; comments and blank lines give
/// `Ok(None)`.
pub fn parse_line(line: &str) -> Result<Option<Line>, String> {
    parse_line_for(line, Engine::Suricata)
}

/// Parses one line as `engine` reads it. Both engines want the fields in one order
/// (`gen_id`, `sig_id`, then `type`, `track`, `count`, `seconds`; for suppress `track`, `ip`;
/// for rate_filter `track`, `count`, `seconds`, `new_action`, `timeout`), which is how the
/// Suricata parser's regexes are written. Suricata's suppress `ip` takes addresses, CIDRs,
/// lists and variables but no `!`; `by_either` is Suricata's alone.
pub fn parse_line_for(line: &str, engine: Engine) -> Result<Option<Line>, String> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    let (word, rest) = t
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("{t:?} is no threshold line"))?;
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for part in split_fields(rest) {
        let part = part.trim();
        let (k, v) = part
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("field {part:?} has no value"))?;
        fields.push((k.trim(), v.trim()));
    }
    let get = |k: &str| fields.iter().find(|(x, _)| *x == k).map(|(_, v)| *v);
    let num = |k: &str| -> Result<u32, String> {
        let v = get(k).ok_or_else(|| format!("{word} needs {k}"))?;
        v.parse::<u32>()
            .map_err(|_| format!("{k} {v:?} is not a number"))
    };
    // The fields in the only order the engines accept; `optional` is the tail that may be
    // left out as a whole.
    let in_order = |order: &[&str], optional: usize| -> Result<(), String> {
        let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
        if let Some(k) = names.iter().find(|k| !order.contains(k)) {
            return Err(format!("{word} has no field {k:?}"));
        }
        if names != order && names != order[..order.len() - optional] {
            return Err(format!("{word} wants its fields as {}", order.join(", ")));
        }
        Ok(())
    };
    let (gid, sid) = (num("gen_id")?, num("sig_id")?);
    match word {
        "suppress" => {
            in_order(&["gen_id", "sig_id", "track", "ip"], 2)?;
            let track = match get("track") {
                Some(t) => Some(
                    Track::from_name(t)
                        .filter(|t| *t != Track::ByEither || engine == Engine::Suricata)
                        .ok_or_else(|| {
                            format!(
                                "suppress track {t:?} is not {}",
                                match engine {
                                    Engine::Suricata => "by_src, by_dst or by_either",
                                    _ => "by_src or by_dst",
                                }
                            )
                        })?,
                ),
                None => None,
            };
            let ip = get("ip").map(str::to_string);
            if let (Some(ip), Engine::Suricata) = (&ip, engine) {
                if let Some(c) = ip
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || " \t[],$.:/_".contains(*c)))
                {
                    return Err(format!(
                        "suppress ip {ip:?}: Suricata does not accept {c:?} there"
                    ));
                }
            }
            Ok(Some(Line::Suppress {
                gid,
                sid,
                track,
                ip,
            }))
        }
        "threshold" | "event_filter" => {
            in_order(
                &["gen_id", "sig_id", "type", "track", "count", "seconds"],
                0,
            )?;
            let kind = get("type").unwrap_or_default();
            if !matches!(kind, "limit" | "threshold" | "both") {
                return Err(format!("type {kind:?} is not limit, threshold or both"));
            }
            let track = get("track").unwrap_or_default();
            if !matches!(
                track,
                "by_src" | "by_dst" | "by_rule" | "by_both" | "by_flow"
            ) {
                return Err(format!(
                    "track {track:?} is not by_src, by_dst, by_rule, by_both or by_flow"
                ));
            }
            Ok(Some(Line::Filter {
                gid,
                sid,
                kind: kind.to_string(),
                track: track.to_string(),
                count: num("count")?,
                seconds: num("seconds")?,
            }))
        }
        "rate_filter" => {
            in_order(
                &[
                    "gen_id",
                    "sig_id",
                    "track",
                    "count",
                    "seconds",
                    "new_action",
                    "timeout",
                ],
                0,
            )?;
            num("count")?;
            num("seconds")?;
            num("timeout")?;
            Ok(Some(Line::RateFilter { gid, sid }))
        }
        other => Err(format!(
            "{other:?} is not suppress, threshold, event_filter or rate_filter"
        )),
    }
}

/// Every line of a file, with its 1-based line number: comments and blank lines left out,
/// lines ending in `\` joined with the next (as Suricata reads them).
pub fn parse_file(text: &str, engine: Engine) -> Vec<(usize, Result<Line, String>)> {
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut first = 0;
    for (i, raw) in text.lines().enumerate() {
        if joined.is_empty() {
            first = i + 1;
        }
        match raw.trim_end().strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                continue;
            }
            None => joined.push_str(raw),
        }
        if let Some(r) = parse_line_for(&joined, engine).transpose() {
            out.push((first, r));
        }
        joined.clear();
    }
    if let Some(r) = parse_line_for(&joined, engine).transpose() {
        out.push((first, r));
    }
    out
}

/// Splits on commas outside brackets (`ip [1.2.3.4,5.6.7.8]` keeps its list).
fn split_fields(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_of_suricata_and_snort() {
        let l = parse_line("suppress gen_id 1, sig_id 1000001, track by_src, ip 145.254.160.237")
            .unwrap()
            .unwrap();
        assert_eq!(
            l,
            Line::Suppress {
                gid: 1,
                sid: 1000001,
                track: Some(Track::BySrc),
                ip: Some("145.254.160.237".into())
            }
        );
        let l = parse_line(
            "threshold gen_id 1, sig_id 1000001, type limit, track by_rule, count 3, seconds 1000",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(
            l,
            Line::Filter {
                count: 3,
                seconds: 1000,
                ..
            }
        ));
        assert!(parse_line("suppress gen_id 1, sig_id 1852")
            .unwrap()
            .is_some());
        assert!(parse_line(
            "suppress gen_id 1, sig_id 2, track by_dst, ip [10.0.0.0/8,!10.1.0.0/16]"
        )
        .is_err());
        assert!(parse_line_for(
            "suppress gen_id 1, sig_id 2, track by_dst, ip [10.0.0.0/8,!10.1.0.0/16]",
            Engine::Snort2
        )
        .is_ok());
        assert!(parse_line("suppress gen_id 1, sig_id 2, track by_either, ip $HOME_NET").is_ok());
        assert!(parse_line_for(
            "suppress gen_id 1, sig_id 2, track by_either, ip 1.2.3.4",
            Engine::Snort2
        )
        .is_err());
        assert!(parse_line("rate_filter gen_id 1, sig_id 10, track by_rule, count 10, seconds 1, new_action drop, timeout 60").is_ok());
        let multi = "# c\nevent_filter gen_id 1 \\\n, sig_id 10, type limit, track by_src, \\\ncount 1, seconds 60\nsuppress gen_id 1, sig_id 3\n";
        let lines = parse_file(multi, Engine::Suricata);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0].0, 2);
        assert!(
            matches!(lines[0].1, Ok(Line::Filter { count: 1, .. })),
            "{lines:?}"
        );
        assert_eq!(lines[1].0, 5);
        assert!(parse_line("# comment").unwrap().is_none());
        for bad in [
            "suppress gen_id 1",
            "suppress gen_id 1, sig_id x",
            "suppress gen_id 1, sig_id 2, track by_src",
            "suppress gen_id 1, sig_id 2, track up, ip 1.2.3.4",
            "threshold gen_id 1, sig_id 2, type often, track by_src, count 1, seconds 1",
            "drop gen_id 1, sig_id 2",
            "suppress gen_id 1, sig_id 2, ip 1.2.3.4, track by_src",
            "threshold gen_id 1, sig_id 2, track by_src, type limit, count 1, seconds 1",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
        assert_eq!(
            literal_networks("[10.0.0.0/8, 192.0.2.1]").unwrap().len(),
            2
        );
        assert!(literal_networks("$HOME_NET").is_none());
    }
}
