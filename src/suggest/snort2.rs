//! Snort 2's dialect: `threshold.conf` (or `snort.conf`) for `suppress` and `event_filter`,
//! a `local.rules` copy for a tightened rule, `snort.conf` for variables. Snort 2 tracks one
//! side per line, so "either side" is two lines.

use crate::model::Engine;
use crate::signature::parse::Dialect;

use super::suricata::suppress_line;
use super::{Change, Rendered, Track};

pub fn render(c: &Change) -> Option<Rendered> {
    let r = |file, lines| Some(Rendered::new(Engine::Snort2, file, lines));
    match c {
        Change::Suppress { gid, sid, scope } => r(
            "threshold.conf",
            Track::one_per_line(scope.track)
                .into_iter()
                .map(|t| suppress_line(*gid, *sid, t, &scope.addr_text()))
                .collect(),
        ),
        Change::Limit {
            gid,
            sid,
            track,
            count,
            seconds,
        } => r(
            "threshold.conf",
            Track::one_per_line(Some(*track))
                .into_iter()
                .flatten()
                .map(|t| {
                    format!(
                        "event_filter gen_id {gid}, sig_id {sid}, type limit, track {t}, count {count}, seconds {seconds}"
                    )
                })
                .collect(),
        ),
        Change::Tighten { rule, dialect, .. } => match dialect {
            Dialect::Classic => r("local.rules", vec![rule.clone()]),
            Dialect::Snort3 => None,
        },
        Change::Disable { gid, sid } => r("threshold.conf", vec![suppress_line(*gid, *sid, None, "")]),
        Change::Update { gid, sid, rev, source } => r(
            "update",
            vec![format!(
                "update the rules (pulledpork, or the rule files): rev {rev} of {gid}:{sid} ({source}) replaces the one the sensor runs"
            )],
        ),
        Change::Variable { name, to, .. } => r("snort.conf", vec![format!("ipvar {name} {to}")]),
        // Snort 2 has no modify.conf; the tightened rule says the same as a local copy.
        Change::Modify { .. } | Change::Investigate { .. } => None,
    }
}
