//! The dry run: suppressions and event filters (fpx's own, or the user's threshold.config,
//! threshold.conf or Snort 3 Lua tables) applied to the alerts of a dump, before anyone puts
//! them on a sensor. Per line: the alerts it hides, and among them those fpx does not call
//! benign (fp_probability below 0.5: the attacks it risks hiding); for a line that hides
//! nothing, why (a gid or sid the dump does not hold, the addresses on the other side, an
//! address outside the dump's hosts, a variable that is not defined).

use std::collections::HashMap;
use std::net::IpAddr;

use crate::signature::parse::parse_addr;
use crate::signature::vars::Vars;

use super::threshold::Line;
use super::Track;

/// Alerts remembered for the dry run at most: 40 bytes each, 2 million are 80 MB. Beyond, the
/// dry run covers the first ones and says so.
pub const MAX_ALERTS: usize = 2_000_000;

/// What the dry run needs of an alert.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DryAlert {
    pub gid: u32,
    pub sid: u32,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub micros: Option<i64>,
    pub fp_probability: f64,
}

/// What one line did to the dump.
#[derive(Clone, Debug, PartialEq)]
pub struct LineResult {
    pub hidden: u64,
    /// Hidden alerts with fp_probability below 0.5.
    pub risky: u64,
    /// Why the line hides nothing, when it does not.
    pub never: Option<String>,
}

/// Whether an `ip` value holds an address, with the variables fpx was given.
fn ip_matches(ip: &str, addr: IpAddr, vars: &Vars) -> Result<bool, String> {
    let expr = parse_addr(ip, 0).map_err(|e| format!("ip {ip:?}: {e}"))?;
    let m = vars.match_addr(&expr, addr);
    m.matches.ok_or(m.why)
}

fn suppress_hides(
    track: Option<Track>,
    ip: Option<&str>,
    a: &DryAlert,
    vars: &Vars,
) -> Result<bool, String> {
    let (Some(track), Some(ip)) = (track, ip) else {
        return Ok(true);
    };
    let side = |x: Option<IpAddr>| x.map_or(Ok(false), |x| ip_matches(ip, x, vars));
    Ok(match track {
        Track::BySrc => side(a.src)?,
        Track::ByDst => side(a.dst)?,
        Track::ByEither => side(a.src)? || side(a.dst)?,
    })
}

fn applies(line: &Line, a: &DryAlert) -> bool {
    let (gid, sid) = line.signature();
    (gid == 0 || gid == a.gid) && (sid == 0 || sid == a.sid)
}

/// The dry run of a set of lines.
#[derive(Clone, Debug, PartialEq)]
pub struct DryRun {
    /// Per line, in order. Lines are independent: an alert two lines hide counts for both.
    pub lines: Vec<LineResult>,
    /// Alerts hidden by at least one line, and among them those with fp_probability < 0.5.
    pub hidden: u64,
    pub risky: u64,
}

/// Runs every line over the alerts.
pub fn run(lines: &[Line], alerts: &[DryAlert], vars: &Vars) -> DryRun {
    let mut any = vec![false; alerts.len()];
    let results = lines
        .iter()
        .map(|l| {
            let (r, hidden) = run_line(l, alerts, vars);
            for i in hidden {
                any[i] = true;
            }
            r
        })
        .collect();
    let hidden: Vec<&DryAlert> = alerts
        .iter()
        .zip(&any)
        .filter(|(_, h)| **h)
        .map(|(a, _)| a)
        .collect();
    DryRun {
        lines: results,
        hidden: hidden.len() as u64,
        risky: hidden.iter().filter(|a| a.fp_probability < 0.5).count() as u64,
    }
}

/// One line's result and the indices of the alerts it hides.
fn run_line(line: &Line, alerts: &[DryAlert], vars: &Vars) -> (LineResult, Vec<usize>) {
    let mine: Vec<(usize, &DryAlert)> = alerts
        .iter()
        .enumerate()
        .filter(|(_, a)| applies(line, a))
        .collect();
    let mut hidden: Vec<(usize, &DryAlert)> = Vec::new();
    let mut error = None;
    match line {
        Line::Suppress { track, ip, .. } => {
            for &(i, a) in &mine {
                match suppress_hides(*track, ip.as_deref(), a, vars) {
                    Ok(true) => hidden.push((i, a)),
                    Ok(false) => {}
                    Err(e) => {
                        error.get_or_insert(e);
                    }
                }
            }
        }
        Line::Filter {
            kind,
            track,
            count,
            seconds,
            ..
        } => hidden = filtered(&mine, kind, track, *count, *seconds),
        Line::RateFilter { .. } => {
            let r = LineResult {
                hidden: 0,
                risky: 0,
                never: Some("rate_filter changes the action (drop, reject) rather than hiding alerts; the dry run does not simulate it".into()),
            };
            return (r, Vec::new());
        }
    }
    let risky = hidden
        .iter()
        .filter(|(_, a)| a.fp_probability < 0.5)
        .count() as u64;
    let never = if hidden.is_empty() {
        let mine: Vec<&DryAlert> = mine.iter().map(|(_, a)| *a).collect();
        Some(error.unwrap_or_else(|| why_never(line, &mine, alerts, vars)))
    } else {
        None
    };
    let r = LineResult {
        hidden: hidden.len() as u64,
        risky,
        never,
    };
    (r, hidden.into_iter().map(|(i, _)| i).collect())
}

/// What a filter counts by: the tracked addresses and the signature.
type FilterKey = (Option<IpAddr>, Option<IpAddr>, u32, u32);

/// Alerts a `threshold`/`event_filter` line hides: per tracked key and window of `seconds`,
/// `limit` keeps the first `count`, `threshold` every `count`-th, `both` one after `count`.
fn filtered<'a>(
    mine: &[(usize, &'a DryAlert)],
    kind: &str,
    track: &str,
    count: u32,
    seconds: u32,
) -> Vec<(usize, &'a DryAlert)> {
    let mut sorted: Vec<(usize, &DryAlert)> = mine.to_vec();
    sorted.sort_by_key(|(i, a)| (a.micros.unwrap_or(i64::MIN), *i));
    let window = i64::from(seconds) * 1_000_000;
    // Per key: window start and the count of matches in it.
    let mut state: HashMap<FilterKey, (i64, u32)> = HashMap::new();
    let mut hidden = Vec::new();
    for (i, a) in sorted {
        let key = match track {
            "by_src" => (a.src, None, a.gid, a.sid),
            "by_dst" => (None, a.dst, a.gid, a.sid),
            "by_both" => (a.src, a.dst, a.gid, a.sid),
            _ => (None, None, a.gid, a.sid),
        };
        let t = a.micros.unwrap_or(0);
        let e = state.entry(key).or_insert((t, 0));
        if t - e.0 >= window {
            *e = (t, 0);
        }
        e.1 += 1;
        let n = e.1;
        let shown = match kind {
            "limit" => n <= count,
            "threshold" => count > 0 && n % count == 0,
            _ => n == count,
        };
        if !shown {
            hidden.push((i, a));
        }
    }
    hidden
}

fn why_never(line: &Line, mine: &[&DryAlert], all: &[DryAlert], vars: &Vars) -> String {
    let (gid, sid) = line.signature();
    if mine.is_empty() {
        let other_gid: Vec<u32> = all
            .iter()
            .filter(|a| a.sid == sid && a.gid != gid)
            .map(|a| a.gid)
            .collect();
        return match other_gid.first() {
            Some(g) => format!(
                "wrong gen_id: the dump's alerts of sig_id {sid} have gen_id {g}, not {gid}"
            ),
            None => format!("no alert of {gid}:{sid} in this dump"),
        };
    }
    if let Line::Suppress {
        track: Some(track),
        ip: Some(ip),
        ..
    } = line
    {
        let on = |x: Option<IpAddr>| x.is_some_and(|x| ip_matches(ip, x, vars).unwrap_or(false));
        let src = mine.iter().filter(|a| on(a.src)).count();
        let dst = mine.iter().filter(|a| on(a.dst)).count();
        return match (track, src, dst) {
            (Track::ByDst, s, 0) if s > 0 => format!(
                "track by_dst, but {ip} is the source of {s} alert(s) of {gid}:{sid}: track by_src would match"
            ),
            (Track::BySrc, 0, d) if d > 0 => format!(
                "track by_src, but {ip} is the destination of {d} alert(s) of {gid}:{sid}: track by_dst would match"
            ),
            _ => format!(
                "no alert of {gid}:{sid} (the dump has {}) has an address in {ip}",
                mine.len()
            ),
        };
    }
    format!(
        "the {} alert(s) of {gid}:{sid} stay within the filter's count",
        mine.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::threshold::parse_line;

    fn a(sid: u32, src: &str, dst: &str, t: i64, fp: f64) -> DryAlert {
        DryAlert {
            gid: 1,
            sid,
            src: src.parse().ok(),
            dst: dst.parse().ok(),
            micros: Some(t * 1_000_000),
            fp_probability: fp,
        }
    }

    #[test]
    fn counts_what_each_line_hides_and_why_a_line_hides_nothing() {
        let alerts = [
            a(2009099, "192.168.1.10", "224.0.0.252", 0, 0.99),
            a(2009099, "192.168.1.11", "224.0.0.252", 1, 0.99),
            a(2009099, "192.168.1.12", "198.51.100.9", 2, 0.3),
            a(247, "198.51.100.7", "10.0.0.10", 3, 0.99),
        ];
        let lines: Vec<Line> = [
            "suppress gen_id 1, sig_id 2009099, track by_dst, ip 224.0.0.252",
            "suppress gen_id 1, sig_id 2009099",
            "suppress gen_id 3, sig_id 247",
            "suppress gen_id 1, sig_id 247, track by_dst, ip 198.51.100.7",
            "suppress gen_id 1, sig_id 247, track by_src, ip 203.0.113.0/24",
            "suppress gen_id 1, sig_id 2009099, track by_src, ip $NOPE",
            "threshold gen_id 1, sig_id 2009099, type limit, track by_rule, count 1, seconds 60",
        ]
        .iter()
        .map(|l| parse_line(l).unwrap().unwrap())
        .collect();
        let run = run(&lines, &alerts, &Vars::default());
        // Lines 0 and 1 hide the first three alerts between them; the limit hides two of them.
        assert_eq!((run.hidden, run.risky), (3, 1));
        let r = run.lines;
        assert_eq!((r[0].hidden, r[0].risky), (2, 0));
        assert_eq!((r[1].hidden, r[1].risky), (3, 1));
        assert!(
            r[2].never.as_deref().unwrap().contains("wrong gen_id"),
            "{:?}",
            r[2]
        );
        assert!(
            r[3].never
                .as_deref()
                .unwrap()
                .contains("track by_src would match"),
            "{:?}",
            r[3]
        );
        assert!(
            r[4].never.as_deref().unwrap().contains("has an address in"),
            "{:?}",
            r[4]
        );
        assert!(
            r[5].never.as_deref().unwrap().contains("not defined"),
            "{:?}",
            r[5]
        );
        assert_eq!(r[6].hidden, 2);
    }
}
