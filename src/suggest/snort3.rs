//! Snort 3's dialect: entries of the Lua tables `suppress` and `event_filter` (in `snort.lua`
//! or a `--tweaks` file), a `local.rules` copy for a tightened rule, a Lua assignment for a
//! variable. Snort 3 tracks one side per entry, so "either side" is two entries.

use crate::model::Engine;
use crate::signature::parse::Dialect;

use super::{Change, Rendered, Track};

/// A Lua string literal.
fn lua_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

pub fn render(c: &Change) -> Option<Rendered> {
    let entries = |table: &'static str, lines: Vec<String>| {
        Some(Rendered {
            engine: Engine::Snort3,
            file: "snort.lua",
            table: Some(table),
            lines,
        })
    };
    match c {
        Change::Suppress { gid, sid, scope } => entries(
            "suppress",
            Track::one_per_line(scope.track)
                .into_iter()
                .map(|t| match t {
                    Some(t) => format!(
                        "{{ gid = {gid}, sid = {sid}, track = {}, ip = {} }},",
                        lua_str(t.as_str()),
                        lua_str(&scope.addr_text())
                    ),
                    None => format!("{{ gid = {gid}, sid = {sid} }},"),
                })
                .collect(),
        ),
        Change::Limit {
            gid,
            sid,
            track,
            count,
            seconds,
        } => entries(
            "event_filter",
            Track::one_per_line(Some(*track))
                .into_iter()
                .flatten()
                .map(|t| {
                    format!(
                        "{{ gid = {gid}, sid = {sid}, type = 'limit', track = {}, count = {count}, seconds = {seconds} }},",
                        lua_str(t.as_str())
                    )
                })
                .collect(),
        ),
        Change::Disable { gid, sid } => entries("suppress", vec![format!("{{ gid = {gid}, sid = {sid} }},")]),
        Change::Tighten { rule, dialect, .. } => (*dialect == Dialect::Snort3)
            .then(|| Rendered::new(Engine::Snort3, "local.rules", vec![rule.clone()])),
        Change::Update { gid, sid, rev, source } => Some(Rendered::new(
            Engine::Snort3,
            "update",
            vec![format!(
                "update the rules (pulledpork3, or the rule files): rev {rev} of {gid}:{sid} ({source}) replaces the one the sensor runs"
            )],
        )),
        Change::Variable { name, to, .. } => Some(Rendered::new(
            Engine::Snort3,
            "snort.lua",
            vec![format!("{name} = {}", lua_str(to))],
        )),
        Change::Modify { .. } | Change::Investigate { .. } => None,
    }
}
