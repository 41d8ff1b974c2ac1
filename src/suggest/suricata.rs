//! Suricata's dialect: `threshold.config` for suppressions and limits, suricata-update's
//! `modify.conf` for rule edits, a `local.rules` copy for a tightened rule (Suricata keeps the
//! higher revision of a sid it reads twice), `suricata.yaml` for variables.

use crate::model::Engine;
use crate::signature::parse::Dialect;

use super::{Change, Rendered, Track};

/// A token as Python's `shlex.split` (which suricata-update uses on modify.conf lines) reads
/// it back unchanged: single quotes keep everything literal, so a regex keeps its
/// backslashes; a token with a single quote in it is double-quoted with `\\`, `"`, `$` and `` ` ``
/// escaped.
pub fn shlex_quote(s: &str) -> String {
    if !s.contains('\'') {
        return format!("'{s}'");
    }
    let mut out = String::from('"');
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `suppress` / `threshold` lines, shared with Snort 2 (whose syntax is the same for these).
pub fn suppress_line(gid: u32, sid: u32, track: Option<Track>, ip: &str) -> String {
    match track {
        Some(t) => format!("suppress gen_id {gid}, sig_id {sid}, track {t}, ip {ip}"),
        None => format!("suppress gen_id {gid}, sig_id {sid}"),
    }
}

pub fn render(c: &Change) -> Option<Rendered> {
    let r = |file, lines| Some(Rendered::new(Engine::Suricata, file, lines));
    match c {
        Change::Suppress { gid, sid, scope } => r(
            "threshold.config",
            vec![suppress_line(*gid, *sid, scope.track, &scope.addr_text())],
        ),
        Change::Limit {
            gid,
            sid,
            track,
            count,
            seconds,
        } => r(
            "threshold.config",
            vec![format!(
                "threshold gen_id {gid}, sig_id {sid}, type limit, track {track}, count {count}, seconds {seconds}"
            )],
        ),
        Change::Modify { gid, sid, from, to, .. } => r(
            "modify.conf",
            vec![format!("{gid}:{sid} {} {}", shlex_quote(from), shlex_quote(to))],
        ),
        Change::Tighten { rule, dialect, .. } => match dialect {
            Dialect::Classic => r("local.rules", vec![rule.clone()]),
            Dialect::Snort3 => None,
        },
        Change::Disable { gid, sid } => r("disable.conf", vec![format!("{gid}:{sid}")]),
        Change::Update { gid, sid, rev, source } => r(
            "update",
            vec![format!(
                "run suricata-update: the rule set's rev {rev} of {gid}:{sid} ({source}) replaces the one the sensor runs"
            )],
        ),
        Change::Variable { name, to, .. } => r(
            "suricata.yaml",
            vec![
                "vars:".into(),
                "  address-groups:".into(),
                format!("    {name}: \"{to}\""),
            ],
        ),
        Change::Investigate { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_quotes_keep_regexes_as_written() {
        assert_eq!(
            shlex_quote(r"-> \$EXTERNAL_NET any"),
            r"'-> \$EXTERNAL_NET any'"
        );
        assert_eq!(shlex_quote("it's"), r#""it's""#);
        assert_eq!(shlex_quote(r#"a"b$'"#), r#""a\"b\$'""#);
    }
}
