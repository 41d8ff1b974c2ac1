//! The suggest stage: what to change on the sensor, for a cluster fpx judged benign.
//!
//! A [`Suggestion`] is a typed change (a suppression scoped to the cluster's hosts, a rule
//! update, a tightened rule proven by replay, a variable fix, a sensor setting), narrowest
//! first, each with its trade-off in one sentence. Each engine dialect is one renderer of it
//! ([`suricata`], [`snort2`], [`snort3`]), and each renderer's output is read back by the
//! parsers in [`threshold`] and [`lua`] (the dry run reads the user's own files with them too).
//!
//! Nothing but "investigate" is suggested for a cluster that is not benign: a suppression
//! built on a wrong verdict hides an attack.

pub mod dry_run;
pub mod job;
pub mod lua;
pub mod snort2;
pub mod snort3;
pub mod suricata;
pub mod threshold;
pub mod tighten;

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::cluster::ClusterReport;
use crate::evidence::Value;
use crate::model::Engine;
use crate::score::Verdict;
use crate::signature::context::rule_text;
use crate::signature::parse::{parse_rule, AddrExpr, Dialect, Rule};
use crate::signature::vars::{VarSource, Vars};
use crate::signature::Origin;

/// Hosts listed one by one at most in a suppression's scope; a cluster with more distinct
/// hosts on the tracked side is scoped by their common prefix, or not suppressed by scope.
pub const MAX_SCOPE_HOSTS: usize = 16;

/// Which side of an alert a suppression or threshold looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Track {
    BySrc,
    ByDst,
    /// Either side (Suricata `by_either`; Snort writes a line per side).
    ByEither,
}

impl Track {
    pub fn as_str(self) -> &'static str {
        match self {
            Track::BySrc => "by_src",
            Track::ByDst => "by_dst",
            Track::ByEither => "by_either",
        }
    }

    /// The sides a line each of Snort 2 and Snort 3 tracks: "either" is one line per side.
    pub fn one_per_line(t: Option<Track>) -> Vec<Option<Track>> {
        match t {
            Some(Track::ByEither) => vec![Some(Track::BySrc), Some(Track::ByDst)],
            other => vec![other],
        }
    }

    pub fn from_name(s: &str) -> Option<Track> {
        Some(match s {
            "by_src" => Track::BySrc,
            "by_dst" => Track::ByDst,
            "by_either" => Track::ByEither,
            _ => return None,
        })
    }
}

/// The hosts a change applies to: a side and its addresses (networks), or the whole
/// signature when `track` is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub track: Option<Track>,
    pub addrs: Vec<IpNetwork>,
}

impl Scope {
    /// The addresses as rule address syntax: `1.2.3.4`, `10.1.0.0/16`, `[a,b]`.
    pub fn addr_text(&self) -> String {
        let one = |n: &IpNetwork| {
            if n.prefix() == 32 || n.prefix() == 128 {
                n.ip().to_string()
            } else {
                n.to_string()
            }
        };
        match self.addrs.as_slice() {
            [n] => one(n),
            many => format!("[{}]", many.iter().map(one).collect::<Vec<_>>().join(",")),
        }
    }

    /// Whether an alert's side, as this scope tracks it, lies in the scope.
    pub fn covers(&self, src: Option<IpAddr>, dst: Option<IpAddr>) -> bool {
        let in_scope =
            |ip: Option<IpAddr>| ip.is_some_and(|ip| self.addrs.iter().any(|n| n.contains(ip)));
        match self.track {
            None => true,
            Some(Track::BySrc) => in_scope(src),
            Some(Track::ByDst) => in_scope(dst),
            Some(Track::ByEither) => in_scope(src) || in_scope(dst),
        }
    }
}

/// A change to the sensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Drop the alerts of one signature within a scope.
    Suppress { gid: u32, sid: u32, scope: Scope },
    /// Keep at most `count` alerts per `seconds` and tracked host (the cause is volume).
    Limit {
        gid: u32,
        sid: u32,
        track: Track,
        count: u32,
        seconds: u32,
    },
    /// Edit the rule's text with a regex (suricata-update modify.conf); `result` is the text
    /// it gives.
    Modify {
        gid: u32,
        sid: u32,
        from: String,
        to: String,
        result: String,
    },
    /// Replace the rule with a tightened text, whose replay proof is in `proof`, written in
    /// the dialect of the rule it tightens (Snort 3 rules differ from Snort 2 and Suricata
    /// ones, so a copy is offered only to the engines of its dialect).
    Tighten {
        gid: u32,
        sid: u32,
        rule: String,
        proof: String,
        dialect: Dialect,
    },
    /// Update the rule set to a later revision that no longer matches the traffic.
    Update {
        gid: u32,
        sid: u32,
        rev: u32,
        source: String,
    },
    /// Stop running the signature (suricata-update `disable.conf`; for Snort an untracked
    /// suppression): only when every alert it raised in the run is benign and no scope fits.
    Disable { gid: u32, sid: u32 },
    /// Give a network variable another value.
    Variable {
        name: String,
        from: String,
        to: String,
    },
    /// Nothing to change yet: what to check first.
    Investigate { checks: Vec<String> },
}

/// One suggestion for a cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub change: Change,
    /// The cost of the change in one sentence.
    pub tradeoff: String,
    /// Alerts of the cluster the change covers.
    pub covers: u64,
    pub cluster: String,
    /// The evidence that justifies it.
    pub because: String,
}

/// A suggestion written for one engine: the file it goes into, the table inside it (Snort 3's
/// `suppress` and `event_filter`), and the lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub engine: Engine,
    /// `threshold.config`, `modify.conf`, `snort.lua`, ...
    pub file: &'static str,
    /// For Lua entries, the table they belong in.
    pub table: Option<&'static str>,
    pub lines: Vec<String>,
}

impl Rendered {
    pub(crate) fn new(engine: Engine, file: &'static str, lines: Vec<String>) -> Rendered {
        Rendered {
            engine,
            file,
            table: None,
            lines,
        }
    }
}

impl Suggestion {
    /// The suggestion in the dialect of `engine`; `None` when that engine has no such file
    /// (a suricata-update modify.conf for Snort) or the change is no line (investigate).
    pub fn render(&self, engine: Engine) -> Option<Rendered> {
        match engine {
            Engine::Suricata => suricata::render(&self.change),
            Engine::Snort2 => snort2::render(&self.change),
            Engine::Snort3 => snort3::render(&self.change),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self.change {
            Change::Suppress { .. } => "suppress",
            Change::Limit { .. } => "limit",
            Change::Modify { .. } => "modify",
            Change::Tighten { .. } => "tighten",
            Change::Update { .. } => "update",
            Change::Disable { .. } => "disable",
            Change::Variable { .. } => "variable",
            Change::Investigate { .. } => "investigate",
        }
    }
}

impl fmt::Display for Track {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the suggest stage knows beyond the cluster report: the rule changes its evidence
/// and its members' rule analyses found (later revisions, tightened rules).
#[derive(Clone, Debug, Default)]
pub struct RuleChanges {
    pub update: Option<(u32, String)>,
    pub tightened: Vec<(String, String)>,
    /// modify.conf lines (from, to) and the rule text each gives.
    pub modify: Vec<(String, String, String)>,
    /// A network variable's name, its value and the value the false positives call for.
    pub variable: Option<(String, String, String)>,
    /// The run's alerts of the signature, and how many of them were judged benign.
    pub signature_alerts: (u64, u64),
    /// The dialect of the rule the tightened texts come from.
    pub dialect: Dialect,
}

impl RuleChanges {
    /// The rule changes for a misfiring signature: the later revision that excludes the
    /// traffic, the suricata-update edit that excludes link-local multicast from a
    /// `$EXTERNAL_NET` destination, and tightened texts; every one of them replayed on the
    /// run's false positives (and the tightened ones on its true positives too).
    pub fn for_rule(
        rule: Option<&Rule>,
        update: Option<(u32, String)>,
        fps: &[tighten::Sample<'_>],
        tps: &[tighten::Sample<'_>],
        vars: &Vars,
    ) -> RuleChanges {
        let Some(rule) = rule else {
            return RuleChanges {
                update,
                ..RuleChanges::default()
            };
        };
        RuleChanges {
            update,
            tightened: tighten::propose(rule, fps, tps, vars),
            modify: multicast_modify(rule, fps, vars)
                .into_iter()
                .chain(flow_modify(rule, fps, tps, vars))
                .collect(),
            variable: variable_fix(rule, fps, vars),
            signature_alerts: (0, 0),
            dialect: rule.dialect,
        }
    }
}

/// Applies a modify.conf edit as suricata-update would (Python's `re.sub`, whose `\N` group
/// references the regex crate writes `${N}`), and parses the result.
fn apply_edit(rule: &Rule, from: &str, to: &str) -> Option<(String, Rule)> {
    let re = regex::Regex::new(from).ok()?;
    let repl = regex::Regex::new(r"\\(\d)")
        .expect("constant regex")
        .replace_all(&to.replace('$', "$$"), "$${$1}")
        .into_owned();
    let result = re.replace_all(&rule_text(rule), repl.as_str()).into_owned();
    let parsed = parse_rule(
        &result,
        Origin {
            path: std::sync::Arc::from("modify.conf"),
            line: 1,
        },
    )
    .ok()?;
    Some((result, parsed))
}

/// The modify.conf edit that keeps a rule to what clients send (`flow:to_server`), when every
/// false positive of the run was a server's response; kept only when the edited rule misses
/// every false positive and still matches every true positive of the run.
fn flow_modify(
    rule: &Rule,
    fps: &[tighten::Sample<'_>],
    tps: &[tighten::Sample<'_>],
    vars: &Vars,
) -> Option<(String, String, String)> {
    let responses = !fps.is_empty()
        && fps
            .iter()
            .all(|s| s.alert.direction.or(s.direction) == Some(crate::model::Direction::ToClient));
    let directed = rule.flow().is_some_and(|f| {
        f.iter().any(|w| {
            matches!(
                w.as_str(),
                "to_server" | "from_client" | "to_client" | "from_server"
            )
        })
    });
    if !responses || directed || rule.dialect != Dialect::Classic {
        return None;
    }
    let words = tighten::flow_words(rule, fps)?;
    let (from, to) = tighten::flow_edit(rule, &words);
    let (result, parsed) = apply_edit(rule, &from, &to)?;
    let no = |s: &tighten::Sample<'_>| {
        matches!(
            tighten::fires(&parsed, s.alert, s.direction, vars),
            tighten::Fires::No(_)
        )
    };
    (parsed.flow().is_some() && fps.iter().all(no) && !tps.iter().any(no))
        .then_some((from, to, result))
}

/// A modify.conf edit that adds `!224.0.0.0/4` (or `!ff02::/16`) to a `$EXTERNAL_NET`
/// destination, when every false positive went to link-local multicast, with the rule text it
/// gives; kept only when that text parses and excludes every one of them.
fn multicast_modify(
    rule: &Rule,
    fps: &[tighten::Sample<'_>],
    vars: &Vars,
) -> Option<(String, String, String)> {
    let h = rule.header.as_ref()?;
    if h.dst != AddrExpr::Var("EXTERNAL_NET".into()) || fps.is_empty() {
        return None;
    }
    let block = ["224.0.0.0/4", "ff02::/16"].into_iter().find(|b| {
        let net: IpNetwork = b.parse().expect("constant network parses");
        fps.iter()
            .all(|s| s.alert.dest.host.ip().is_some_and(|ip| net.contains(ip)))
    })?;
    // `[$]`, not `\$`: suricata-update turns every `\$` of a modify.conf line into `$` before
    // it compiles the pattern (main.py, load_filters), which would make it an anchor.
    let from = r"(->\s*)[$]EXTERNAL_NET(\s)".to_string();
    let to = format!(r"\1[$EXTERNAL_NET,!{block}]\2");
    let (result, parsed) = apply_edit(rule, &from, &to)?;
    fps.iter()
        .all(|s| {
            matches!(
                tighten::fires(&parsed, s.alert, s.direction, vars),
                tighten::Fires::No(_)
            )
        })
        .then_some((from, to, result))
}

/// Whether an address is in a network a site numbers its own hosts from: RFC 1918, unique
/// local (RFC 4193) or link-local space.
fn lan_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || v.is_link_local(),
        IpAddr::V6(v) => {
            (v.segments()[0] & 0xfe00) == 0xfc00 || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The most specific network holding every address (all of one family).
fn covering(ips: &[IpAddr]) -> Option<IpNetwork> {
    let first = *ips.first()?;
    let bits = |ip: IpAddr| -> Option<u128> {
        match (first, ip) {
            (IpAddr::V4(_), IpAddr::V4(v)) => Some(u128::from(u32::from(v))),
            (IpAddr::V6(_), IpAddr::V6(v)) => Some(u128::from(v)),
            _ => None,
        }
    };
    let width: u32 = if first.is_ipv4() { 32 } else { 128 };
    let base = bits(first)?;
    let mut prefix = width;
    for ip in &ips[1..] {
        let diff = base ^ bits(*ip)?;
        let same = diff.leading_zeros().saturating_sub(128 - width);
        prefix = prefix.min(same);
    }
    IpNetwork::new(first, prefix as u8)
        .ok()
        .and_then(|n| IpNetwork::new(n.network(), n.prefix()).ok())
}

/// A network-variable fix when a rule that wants an Internet peer (`$EXTERNAL_NET`) fired
/// on private-use hosts outside HOME_NET in every false positive: `EXTERNAL_NET any` becomes
/// `!$HOME_NET`, or HOME_NET gets the network of those hosts (no wider than they are). Only
/// when fpx was given the sensor's variables: it cannot fix a value it does not know.
fn variable_fix(
    rule: &Rule,
    fps: &[tighten::Sample<'_>],
    vars: &Vars,
) -> Option<(String, String, String)> {
    let h = rule.header.as_ref()?;
    let external = |e: &AddrExpr| match e {
        AddrExpr::Var(v) => v == "EXTERNAL_NET",
        AddrExpr::List(l) => l.iter().any(|x| *x == AddrExpr::Var("EXTERNAL_NET".into())),
        _ => false,
    };
    let side: fn(&tighten::Sample<'_>) -> Option<IpAddr> = if external(&h.dst) {
        |s| s.alert.dest.host.ip()
    } else if external(&h.src) {
        |s| s.alert.src.host.ip()
    } else {
        return None;
    };
    let hosts: Vec<IpAddr> = fps.iter().filter_map(side).collect();
    if hosts.is_empty() || hosts.len() != fps.len() || !hosts.iter().all(|ip| lan_address(*ip)) {
        return None;
    }
    let (ext, _) = vars.addr_var("EXTERNAL_NET")?;
    if ext.trim() == "any" {
        return Some(("EXTERNAL_NET".into(), ext.into(), "!$HOME_NET".into()));
    }
    let (home, source) = vars.addr_var("HOME_NET")?;
    if *source == VarSource::Default || hosts.iter().any(|ip| vars.in_home_net(*ip) != Some(false))
    {
        return None;
    }
    let net = covering(&hosts)?;
    let net = if net.prefix() == 32 || net.prefix() == 128 {
        net.ip().to_string()
    } else {
        net.to_string()
    };
    let home = home.trim();
    let to = match home.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(items) => format!("[{items},{net}]"),
        None => format!("[{home},{net}]"),
    };
    Some(("HOME_NET".into(), home.into(), to))
}

/// The hosts of one side of a cluster, when every one of them is known (the tracked examples
/// hold them all) and they are few enough to list.
fn side_hosts(report: &ClusterReport, src: bool) -> Option<Vec<IpNetwork>> {
    let c = &report.cluster;
    let (count, ex) = if src {
        (c.src_hosts.count(), &c.src_ex.items)
    } else {
        (c.dest_hosts.count(), &c.dest_ex.items)
    };
    if count as usize > MAX_SCOPE_HOSTS || ex.len() as u64 != count || count == 0 {
        return None;
    }
    let nets: Option<Vec<IpNetwork>> = ex
        .iter()
        .map(|h| {
            h.net
                .filter(|n| n.prefix() == if n.is_ipv4() { 32 } else { 128 })
        })
        .collect();
    nets
}

fn fact<'f>(report: &'f ClusterReport, key: &str) -> Option<&'f str> {
    match report.facts.get_named(key) {
        Some(Value::Str(s)) => Some(s.as_ref()),
        _ => None,
    }
}

/// The suggestions for a judged cluster of alerts, narrowest first. Benign clusters get
/// scoped suppressions (the side that names the cause: a group address, an inside client),
/// the rule changes their evidence found, and limits where the cause is volume; any other
/// cluster gets "investigate" with what would decide it.
pub fn for_cluster(report: &ClusterReport, rules: &RuleChanges) -> Vec<Suggestion> {
    let c = &report.cluster;
    let mut out = Vec::new();
    let because = report
        .score
        .root_cause
        .and_then(|i| report.evidence.get(i))
        .map(|e| e.id.clone())
        .unwrap_or_default();
    let mk = |change: Change, tradeoff: String| Suggestion {
        change,
        tradeoff,
        covers: c.members,
        cluster: c.id.clone(),
        because: because.clone(),
    };
    let benign = report.score.verdict.is_benign() && report.conflict().is_none();
    let Some((gid, sid)) = c.signature.filter(|_| benign) else {
        let mut checks: Vec<String> = Vec::new();
        if let Some(d) = &report.score.decide {
            checks.push(d.clone());
        }
        if let Some(u) = &report.score.undecided {
            checks.push(format!("why it is open: {u}"));
        }
        for e in &report.evidence {
            checks.extend(e.suggestions.iter().cloned());
        }
        if report.score.verdict == Verdict::TruePositive {
            checks.insert(0, "treat it as an attack: do not suppress it".into());
        }
        if !checks.is_empty() {
            out.push(mk(
                Change::Investigate { checks },
                "no change to the sensor: the verdict does not call for one".into(),
            ));
        }
        return out;
    };
    // The side that names the cause: group destinations (every host on the link hears the
    // query), else the inside side (the host whose software, route or offload raises it),
    // else the side with fewer hosts.
    let class = |k| fact(report, k);
    let group = matches!(class("cluster.dest_class"), Some("multicast" | "broadcast"));
    let (src_n, dst_n) = (c.src_hosts.count(), c.dest_hosts.count());
    let by_dst_first = match (class("cluster.src_class"), class("cluster.dest_class")) {
        _ if group => true,
        (Some("home"), Some(d)) if d != "home" => false,
        (Some(s), Some("home")) if s != "home" => true,
        _ => dst_n <= src_n,
    };
    let sides: Vec<(Track, bool)> = if by_dst_first {
        vec![(Track::ByDst, false), (Track::BySrc, true)]
    } else {
        vec![(Track::BySrc, true), (Track::ByDst, false)]
    };
    let scoped = sides
        .iter()
        .find_map(|(t, src)| side_hosts(report, *src).map(|a| (*t, a)));
    let scoped_none = scoped.is_none();
    if let Some((track, addrs)) = scoped {
        let scope = Scope {
            track: Some(track),
            addrs,
        };
        let who = match track {
            Track::ByDst => "to",
            _ => "from",
        };
        out.push(mk(
            Change::Suppress {
                gid,
                sid,
                scope: scope.clone(),
            },
            format!(
                "hides every alert of {gid}:{sid} {who} {}, an attack there included; the signature still fires elsewhere",
                scope.addr_text()
            ),
        ));
    }
    if let Some((rev, source)) = &rules.update {
        out.push(mk(
            Change::Update {
                gid,
                sid,
                rev: *rev,
                source: source.clone(),
            },
            format!("the rule's authors narrowed rev {rev} against this traffic; other changes in that revision come along"),
        ));
    }
    for (from, to, result) in &rules.modify {
        out.push(mk(
            Change::Modify {
                gid,
                sid,
                from: from.clone(),
                to: to.clone(),
                result: result.clone(),
            },
            "changes the rule for every sensor that takes this modify.conf; the edit is undone if the rule's text changes upstream".into(),
        ));
    }
    for (rule, proof) in &rules.tightened {
        out.push(mk(
            Change::Tighten {
                gid,
                sid,
                rule: rule.clone(),
                proof: proof.clone(),
                dialect: rules.dialect,
            },
            "a local copy of the rule to maintain: upstream updates of the original no longer reach it".into(),
        ));
    }
    if let Some((name, from, to)) = &rules.variable {
        out.push(mk(
            Change::Variable {
                name: name.clone(),
                from: from.clone(),
                to: to.clone(),
            },
            format!("every rule that reads ${name} changes with it: check first that {to} is the site's and nothing else"),
        ));
    }
    // No scope fits (too many hosts on both sides), and every alert the signature raised in
    // the run is benign: the signature itself misfires here.
    let (sig_alerts, sig_benign) = rules.signature_alerts;
    if scoped_none
        && sig_alerts >= LIMIT_FROM
        && sig_benign == sig_alerts
        && rules.tightened.is_empty()
    {
        out.push(mk(
            Change::Disable { gid, sid },
            format!("{gid}:{sid} stops firing everywhere, on hosts and attacks this run did not show; all {sig_alerts} of its alerts here were benign"),
        ));
    }
    if c.members >= LIMIT_FROM {
        let track = if dst_n <= src_n {
            Track::ByDst
        } else {
            Track::BySrc
        };
        out.push(mk(
            Change::Limit {
                gid,
                sid,
                track,
                count: 1,
                seconds: 3600,
            },
            "keeps one alert per host and hour: the flood stops, and a new host still raises one"
                .into(),
        ));
    }
    out
}

/// Cluster size from which a limit is suggested beside the suppression: a cause that raises
/// hundreds of alerts is a volume problem too.
pub const LIMIT_FROM: u64 = 100;

#[cfg(test)]
mod tests {
    use super::threshold::Line;
    use super::*;

    /// Python's `shlex.split` for the two quoting forms [`suricata::shlex_quote`] writes.
    fn shlex_split(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur: Option<String> = None;
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                ' ' => {
                    if let Some(t) = cur.take() {
                        out.push(t);
                    }
                }
                '\'' => {
                    let t = cur.get_or_insert_with(String::new);
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                        t.push(c);
                    }
                }
                '"' => {
                    let t = cur.get_or_insert_with(String::new);
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => t.extend(chars.next()),
                            c => t.push(c),
                        }
                    }
                }
                c => cur.get_or_insert_with(String::new).push(c),
            }
        }
        out.extend(cur);
        out
    }

    fn every_change() -> Vec<Change> {
        let n = |s: &str| s.parse::<IpNetwork>().unwrap();
        let suppress = |track, addrs| Change::Suppress {
            gid: 1,
            sid: 2009099,
            scope: Scope { track, addrs },
        };
        vec![
            suppress(Some(Track::ByDst), vec![n("224.0.0.252/32")]),
            suppress(Some(Track::BySrc), vec![n("10.1.0.0/16"), n("192.168.88.23/32")]),
            suppress(Some(Track::ByEither), vec![n("2001:db8::1/128")]),
            suppress(Some(Track::ByDst), vec![n("ff02::fb/128"), n("fe80::/64")]),
            suppress(None, vec![]),
            Change::Limit {
                gid: 1,
                sid: 2200074,
                track: Track::BySrc,
                count: 1,
                seconds: 3600,
            },
            Change::Disable { gid: 1, sid: 2009099 },
            Change::Modify {
                gid: 1,
                sid: 2009099,
                from: r"(->\s*)[$]EXTERNAL_NET(\s)".into(),
                to: r"\1[$EXTERNAL_NET,!224.0.0.0/4]\2".into(),
                result: String::new(),
            },
            Change::Modify {
                gid: 1,
                sid: 247,
                from: r#"(msg:\s*"(?:[^"\\]|\\.)*";)"#.into(),
                to: r"\1 flow:to_server,established;".into(),
                result: String::new(),
            },
            Change::Modify {
                gid: 1,
                sid: 7,
                from: "msg:\"it's\"".into(),
                to: "msg:\"it is\"".into(),
                result: String::new(),
            },
            Change::Tighten {
                gid: 1,
                sid: 247,
                rule: r#"alert tcp $EXTERNAL_NET any -> $HOME_NET 12754 (msg:"DDOS mstream client to handler"; flow:to_server,established; content:">"; sid:247; rev:2;)"#.into(),
                proof: String::new(),
                dialect: Dialect::Classic,
            },
            Change::Tighten {
                gid: 1,
                sid: 247,
                rule: r#"alert tcp $EXTERNAL_NET any -> $HOME_NET 12754 ( msg:"DDOS mstream client to handler"; flow:to_server,established; content:">",depth 1; sid:247; rev:2; )"#.into(),
                proof: String::new(),
                dialect: Dialect::Snort3,
            },
            Change::Variable {
                name: "HOME_NET".into(),
                from: "[192.168.0.0/24]".into(),
                to: "[192.168.0.0/24,10.20.0.0/16]".into(),
            },
        ]
    }

    /// Every line each engine's renderer writes is read back by the project's parser of that
    /// file, to the same change.
    #[test]
    fn every_emitted_line_parses_back_in_its_own_dialect() {
        let vars = Vars::default();
        for change in every_change() {
            for engine in [Engine::Suricata, Engine::Snort2, Engine::Snort3] {
                let s = Suggestion {
                    change: change.clone(),
                    tradeoff: String::new(),
                    covers: 1,
                    cluster: "c0".into(),
                    because: String::new(),
                };
                let Some(r) = s.render(engine) else {
                    let other_dialect = match &change {
                        Change::Tighten { dialect, .. } => {
                            (*dialect == Dialect::Snort3) != (engine == Engine::Snort3)
                        }
                        _ => false,
                    };
                    assert!(
                        matches!(change, Change::Modify { .. }) && engine != Engine::Suricata
                            || other_dialect,
                        "{engine:?} has no form for {change:?}"
                    );
                    continue;
                };
                let ctx = format!("{engine:?} {change:?} -> {:?}", r.lines);
                let lines: Vec<Line> = match (r.file, r.table) {
                    ("threshold.config" | "threshold.conf", _) => r
                        .lines
                        .iter()
                        .map(|l| threshold::parse_line_for(l, engine).unwrap().unwrap())
                        .collect(),
                    (_, Some(table)) => {
                        let text = format!("{table} =\n{{\n{}\n}}\n", r.lines.join("\n"));
                        lua::parse(&text)
                            .into_iter()
                            .map(|(_, l)| l.unwrap())
                            .collect()
                    }
                    ("modify.conf", _) => {
                        let Change::Modify {
                            gid, sid, from, to, ..
                        } = &change
                        else {
                            panic!("{ctx}")
                        };
                        // What suricata-update does to a line before it splits it: cuts a
                        // trailing ` #` comment and turns `\$` into `$`.
                        assert!(
                            !r.lines[0].contains(" #") && !r.lines[0].contains("\\$"),
                            "{ctx}"
                        );
                        let words = shlex_split(&r.lines[0]);
                        assert_eq!(
                            words,
                            [format!("{gid}:{sid}"), from.clone(), to.clone()],
                            "{ctx}"
                        );
                        regex::Regex::new(from).unwrap();
                        continue;
                    }
                    ("local.rules", _) => {
                        let rule = parse_rule(
                            &r.lines[0],
                            Origin {
                                path: "t".into(),
                                line: 1,
                            },
                        )
                        .unwrap();
                        assert_eq!(rule.sid, Some(247), "{ctx}");
                        continue;
                    }
                    ("disable.conf", _) => {
                        assert_eq!(r.lines, ["1:2009099"], "{ctx}");
                        continue;
                    }
                    ("suricata.yaml" | "snort.conf", _) => {
                        let mut v = Vars::default();
                        let text = r.lines.join("\n");
                        let errors = if r.file == "snort.conf" {
                            v.read_snort_conf(&text, "t")
                        } else {
                            v.read_suricata_yaml(&text, "t")
                        };
                        assert!(errors.is_empty(), "{ctx}");
                        assert_eq!(
                            v.addr_var("HOME_NET").unwrap().0,
                            "[192.168.0.0/24,10.20.0.0/16]",
                            "{ctx}"
                        );
                        continue;
                    }
                    ("snort.lua", None) => {
                        assert_eq!(
                            r.lines,
                            ["HOME_NET = '[192.168.0.0/24,10.20.0.0/16]'"],
                            "{ctx}"
                        );
                        continue;
                    }
                    other => panic!("unexpected file {other:?}: {ctx}"),
                };
                // The lines read back say what the change says.
                match &change {
                    Change::Suppress { gid, sid, scope } => {
                        let tracks: Vec<Option<Track>> = lines
                            .iter()
                            .map(|l| match l {
                                Line::Suppress {
                                    gid: g,
                                    sid: s,
                                    track,
                                    ip,
                                } => {
                                    assert_eq!((g, s), (gid, sid), "{ctx}");
                                    assert_eq!(
                                        ip.as_deref(),
                                        track.map(|_| scope.addr_text()).as_deref(),
                                        "{ctx}"
                                    );
                                    *track
                                }
                                other => panic!("{other:?}: {ctx}"),
                            })
                            .collect();
                        let want = match (scope.track, engine) {
                            (Some(Track::ByEither), Engine::Snort2 | Engine::Snort3) => {
                                vec![Some(Track::BySrc), Some(Track::ByDst)]
                            }
                            (t, _) => vec![t],
                        };
                        assert_eq!(tracks, want, "{ctx}");
                        // The dry run reads them as the scope means them.
                        let dry = dry_run::DryAlert {
                            gid: *gid,
                            sid: *sid,
                            src: None,
                            dst: scope.addrs.first().map(|n| n.ip()),
                            micros: None,
                            fp_probability: 0.9,
                        };
                        let hidden = dry_run::run(&lines, &[dry], &vars).hidden;
                        let expect = scope.covers(dry.src, dry.dst) as u64;
                        assert_eq!(hidden, expect, "{ctx}");
                    }
                    Change::Limit { count, seconds, .. } => {
                        assert!(lines.iter().all(|l| matches!(l, Line::Filter { kind, count: c, seconds: s, .. } if kind == "limit" && c == count && s == seconds)), "{ctx}");
                    }
                    Change::Disable { .. } => {
                        assert!(
                            matches!(lines[..], [Line::Suppress { track: None, .. }]),
                            "{ctx}"
                        );
                    }
                    other => panic!("{other:?} read as suppressions: {ctx}"),
                }
            }
        }
    }

    #[test]
    fn scopes_read_as_rule_addresses_and_cover_their_side() {
        let n = |s: &str| s.parse::<IpNetwork>().unwrap();
        let s = Scope {
            track: Some(Track::ByDst),
            addrs: vec![n("224.0.0.252/32")],
        };
        assert_eq!(s.addr_text(), "224.0.0.252");
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(s.covers(ip("10.0.0.1"), ip("224.0.0.252")));
        assert!(!s.covers(ip("224.0.0.252"), ip("10.0.0.1")));
        let t = Scope {
            track: Some(Track::ByEither),
            addrs: vec![n("10.1.0.0/16"), n("ff02::fb/128")],
        };
        assert_eq!(t.addr_text(), "[10.1.0.0/16,ff02::fb]");
        assert!(t.covers(ip("10.1.2.3"), ip("8.8.8.8")));
    }
}
