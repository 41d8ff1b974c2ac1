//! `fpx lint`: weaknesses of rules that make false positives likely, and what later
//! revisions of a sid changed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use ipnetwork::IpNetwork;

use super::parse::{AddrExpr, Header, OptKind, PortExpr, Rule};
use super::set::RuleSet;
use super::{Origin, SignatureError};

/// Contents shorter than this, with nothing tying them to a place, match by chance often:
/// a 2-byte pattern turns up about once per 65,536 positions of random data.
pub const MIN_CONTENT_LEN: usize = 3;

/// A kind of weakness; the strings are stable output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Weakness(pub &'static str);

impl Weakness {
    pub const SHORT_CONTENT: Weakness = Weakness("short_unanchored_content");
    pub const TCP_WITHOUT_FLOW: Weakness = Weakness("tcp_without_flow");
    pub const ANY_TO_ANY_PORTS: Weakness = Weakness("any_to_any_ports");
    pub const EXTERNAL_NET_MULTICAST: Weakness = Weakness("external_net_includes_multicast");
    pub const POLICY_WITHOUT_THRESHOLD: Weakness = Weakness("policy_without_threshold");
}

/// One weakness of one rule.
#[derive(Clone, Debug)]
pub struct Finding {
    pub origin: Origin,
    pub gid: u32,
    pub sid: Option<u32>,
    pub rev: Option<u32>,
    pub weakness: Weakness,
    pub message: String,
}

/// What one revision of a sid changed against the previous one in the given sets.
#[derive(Clone, Debug)]
pub struct RevisionDiff {
    pub gid: u32,
    pub sid: u32,
    pub old_rev: u32,
    pub new_rev: u32,
    pub old_origin: Origin,
    pub new_origin: Origin,
    /// Sentences such as "rev 4 adds !224.0.0.0/4 to the destination".
    pub changes: Vec<String>,
}

#[derive(Debug, Default)]
pub struct LintReport {
    pub findings: Vec<Finding>,
    pub revisions: Vec<RevisionDiff>,
    pub errors: Vec<SignatureError>,
    pub rules: usize,
    pub disabled: usize,
    pub files: usize,
    /// Options kept verbatim because fpx does not know them.
    pub unknown_options: usize,
    /// Findings by weakness.
    pub by_kind: BTreeMap<&'static str, usize>,
}

impl LintReport {
    /// The number of rules (and files) that could not be read: the binary exits non-zero
    /// when this is above zero.
    pub fn errors(&self) -> usize {
        self.errors.len()
    }
}

/// Loads and lints rule files and folders.
pub fn lint_paths(paths: &[PathBuf]) -> LintReport {
    lint_set(RuleSet::load(paths))
}

/// Lints a loaded set (taking its errors into the report).
pub fn lint_set(set: RuleSet) -> LintReport {
    let mut report = LintReport::default();
    let mut findings = Vec::new();
    lint_each(set, &mut report, &mut |f| findings.push(f));
    report.findings = findings;
    report
}

/// Lints a set, handing each finding to `found` as it is made (so that a million rules are
/// never held parsed, nor their findings); the rest of the report is returned.
pub fn lint_each(set: RuleSet, report: &mut LintReport, found: &mut dyn FnMut(Finding)) {
    report.rules = set.len();
    report.disabled = set.disabled();
    report.files = set.files_read;
    report.unknown_options = set.unknown_options;
    let mut mine = Vec::new();
    for r in set.iter() {
        weaknesses(&r, &mut mine);
        for f in mine.drain(..) {
            *report.by_kind.entry(f.weakness.0).or_default() += 1;
            found(f);
        }
    }
    let mut keys: Vec<(u32, u32)> = set.signatures().collect();
    keys.sort_unstable();
    for (gid, sid) in keys {
        let revs = set.lookup_once(gid, sid);
        // One rule per revision: the first (enabled before disabled).
        let mut distinct: Vec<&Rule> = Vec::new();
        for r in &revs {
            if distinct.last().is_none_or(|l| l.rev != r.rev) {
                distinct.push(r);
            }
        }
        for pair in distinct.windows(2) {
            let (old, new) = (pair[0], pair[1]);
            report.revisions.push(RevisionDiff {
                gid,
                sid,
                old_rev: old.rev.unwrap_or(0),
                new_rev: new.rev.unwrap_or(0),
                old_origin: old.origin.clone(),
                new_origin: new.origin.clone(),
                changes: diff_rules(old, new),
            });
        }
    }
    report.errors = set.errors;
}

fn finding(r: &Rule, weakness: Weakness, message: String) -> Finding {
    Finding {
        origin: r.origin.clone(),
        gid: r.gid,
        sid: r.sid,
        rev: r.rev,
        weakness,
        message,
    }
}

/// Printable bytes as text, others as `|xx|`, the way rules write them.
pub fn show_bytes(b: &[u8]) -> String {
    let mut s = String::new();
    let mut in_hex = false;
    for &c in b {
        let printable = c.is_ascii_graphic() && !b"|\";\\".contains(&c) || c == b' ';
        if printable {
            if in_hex {
                s.push('|');
                in_hex = false;
            }
            s.push(c as char);
        } else {
            if in_hex {
                s.push(' ');
            } else {
                s.push('|');
                in_hex = true;
            }
            s.push_str(&format!("{c:02X}"));
        }
    }
    if in_hex {
        s.push('|');
    }
    s
}

/// Whether `needle` appears positively in the expression (not under a `!`).
fn mentions_var(e: &AddrExpr, var: &str) -> bool {
    match e {
        AddrExpr::Var(v) => v == var,
        AddrExpr::List(v) => v.iter().any(|x| mentions_var(x, var)),
        _ => false,
    }
}

/// Whether the expression excludes every address of `net` at its top level (`!224.0.0.0/4`).
fn excludes(e: &AddrExpr, net: IpNetwork) -> bool {
    let covers = |n: &IpNetwork| {
        n.is_ipv4() == net.is_ipv4() && n.prefix() <= net.prefix() && n.contains(net.network())
    };
    match e {
        AddrExpr::Not(inner) => match inner.as_ref() {
            AddrExpr::Net(n) => covers(n),
            AddrExpr::List(v) => v.iter().any(|x| matches!(x, AddrExpr::Net(n) if covers(n))),
            _ => false,
        },
        AddrExpr::List(v) => v.iter().any(|x| excludes(x, net)),
        _ => false,
    }
}

/// The weaknesses of one rule, as `fpx lint` reports them (also evidence in `explain`).
pub fn rule_weaknesses(r: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    weaknesses(r, &mut out);
    out
}

fn weaknesses(r: &Rule, out: &mut Vec<Finding>) {
    let proto = r.proto.as_deref().unwrap_or("");
    // 1. The strongest content is short and floats anywhere in the buffer.
    let positive: Vec<_> = r.contents().filter(|c| !c.negated).collect();
    let has_pcre = r.options.iter().any(|o| matches!(o.kind, OptKind::Pcre(_)));
    if let Some(best) = positive.iter().max_by_key(|c| c.pattern.len()) {
        if best.pattern.len() < MIN_CONTENT_LEN
            && !has_pcre
            && !positive.iter().any(|c| c.is_anchored())
        {
            out.push(finding(
                r,
                Weakness::SHORT_CONTENT,
                format!(
                    "longest content \"{}\" is {} byte{} with no offset, depth, distance or within: it matches anywhere by chance",
                    show_bytes(&best.pattern),
                    best.pattern.len(),
                    if best.pattern.len() == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    // 2. TCP without flow: fires on either direction and on packets outside a session.
    if proto == "tcp" && r.flow().is_none() && r.header.is_some() {
        out.push(finding(
            r,
            Weakness::TCP_WITHOUT_FLOW,
            "TCP rule without flow: matches either direction and packets outside an established session".into(),
        ));
    }
    if let Some(h) = &r.header {
        header_weaknesses(r, h, proto, out);
    }
    // 5. Policy rules that fire on every matching packet.
    let policy = r.classtype.as_deref() == Some("policy-violation")
        || r.msg
            .as_deref()
            .is_some_and(|m| m.split([' ', '-']).any(|w| w == "POLICY"));
    if policy && !r.has_threshold() {
        out.push(finding(
            r,
            Weakness::POLICY_WITHOUT_THRESHOLD,
            "policy rule without threshold or detection_filter: alerts on every matching packet"
                .into(),
        ));
    }
}

fn header_weaknesses(r: &Rule, h: &Header, proto: &str, out: &mut Vec<Finding>) {
    if (proto == "tcp" || proto == "udp")
        && h.src_port == PortExpr::Any
        && h.dst_port == PortExpr::Any
        && r.contents().next().is_some()
    {
        out.push(finding(
            r,
            Weakness::ANY_TO_ANY_PORTS,
            format!("{proto} rule from any port to any port: the content is sought in all {proto} traffic"),
        ));
    }
    // Multicast and broadcast only exist as destinations, and only outside TCP.
    if proto != "tcp" {
        let multicast: IpNetwork = IpNetwork::V4(
            ipnetwork::Ipv4Network::new(std::net::Ipv4Addr::new(224, 0, 0, 0), 4)
                .expect("valid constant prefix"),
        );
        if mentions_var(&h.dst, "EXTERNAL_NET") && !excludes(&h.dst, multicast) {
            out.push(finding(
                r,
                Weakness::EXTERNAL_NET_MULTICAST,
                format!(
                    "destination {} can include multicast (224.0.0.0/4) and broadcast (255.255.255.255) addresses, which are not external hosts; consider [$EXTERNAL_NET,!224.0.0.0/4]",
                    h.dst
                ),
            ));
        }
    }
}

/// Top-level items of an address or port list.
fn items<T: Clone>(e: &T, list: fn(&T) -> Option<&Vec<T>>) -> Vec<T> {
    match list(e) {
        Some(v) => v.clone(),
        None => vec![e.clone()],
    }
}

fn list_change<T: Clone + PartialEq + fmt::Display>(
    old: &T,
    new: &T,
    list: fn(&T) -> Option<&Vec<T>>,
    side: &str,
    rev: u32,
    out: &mut Vec<String>,
) {
    if old == new {
        return;
    }
    let (a, b) = (items(old, list), items(new, list));
    let added: Vec<String> = b
        .iter()
        .filter(|x| !a.contains(x))
        .map(|x| x.to_string())
        .collect();
    let removed: Vec<String> = a
        .iter()
        .filter(|x| !b.contains(x))
        .map(|x| x.to_string())
        .collect();
    if !added.is_empty() {
        out.push(format!("rev {rev} adds {} to the {side}", added.join(", ")));
    }
    if !removed.is_empty() {
        out.push(format!(
            "rev {rev} removes {} from the {side}",
            removed.join(", ")
        ));
    }
    if added.is_empty() && removed.is_empty() {
        out.push(format!("rev {rev} changes the {side} from {old} to {new}"));
    }
}

fn al(e: &AddrExpr) -> Option<&Vec<AddrExpr>> {
    match e {
        AddrExpr::List(v) => Some(v),
        _ => None,
    }
}

fn pl(e: &PortExpr) -> Option<&Vec<PortExpr>> {
    match e {
        PortExpr::List(v) => Some(v),
        _ => None,
    }
}

/// Options that change with every revision and say nothing about what the rule matches.
fn is_bookkeeping(name: &str) -> bool {
    matches!(name, "rev" | "metadata" | "reference" | "sid" | "gid")
}

/// Sentences describing what `new` changed against `old`.
pub fn diff_rules(old: &Rule, new: &Rule) -> Vec<String> {
    let rev = new.rev.unwrap_or(0);
    let mut out = Vec::new();
    if old.action != new.action {
        out.push(format!(
            "rev {rev} changes the action from {} to {}",
            old.action, new.action
        ));
    }
    if old.proto != new.proto {
        out.push(format!(
            "rev {rev} changes the protocol from {} to {}",
            old.proto.as_deref().unwrap_or("(none)"),
            new.proto.as_deref().unwrap_or("(none)")
        ));
    }
    match (&old.header, &new.header) {
        (Some(a), Some(b)) => {
            list_change(&a.src, &b.src, al, "source", rev, &mut out);
            list_change(&a.src_port, &b.src_port, pl, "source ports", rev, &mut out);
            if a.direction != b.direction {
                out.push(format!(
                    "rev {rev} changes the direction from {} to {}",
                    a.direction, b.direction
                ));
            }
            list_change(&a.dst, &b.dst, al, "destination", rev, &mut out);
            list_change(
                &a.dst_port,
                &b.dst_port,
                pl,
                "destination ports",
                rev,
                &mut out,
            );
        }
        (None, Some(_)) => out.push(format!("rev {rev} adds addresses and ports to the header")),
        (Some(_), None) => out.push(format!(
            "rev {rev} drops the addresses and ports (service rule)"
        )),
        (None, None) => {}
    }
    let render = |r: &Rule| -> Vec<String> {
        r.options
            .iter()
            .filter(|o| !is_bookkeeping(&o.name))
            .map(|o| o.render())
            .collect()
    };
    let (a, b) = (render(old), render(new));
    let mut remaining = a.clone();
    for o in &b {
        match remaining.iter().position(|x| x == o) {
            Some(i) => {
                remaining.remove(i);
            }
            None => out.push(format!("rev {rev} adds {}", o.trim_end_matches(';'))),
        }
    }
    let mut remaining_new = b;
    for o in &a {
        match remaining_new.iter().position(|x| x == o) {
            Some(i) => {
                remaining_new.remove(i);
            }
            None => out.push(format!("rev {rev} removes {}", o.trim_end_matches(';'))),
        }
    }
    if old.enabled != new.enabled {
        out.push(format!(
            "rev {rev} is {} in its set",
            if new.enabled {
                "enabled"
            } else {
                "disabled (commented out)"
            }
        ));
    }
    out
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sid = self.sid.map_or_else(|| "?".into(), |s| s.to_string());
        let rev = self.rev.map_or_else(|| "?".into(), |s| s.to_string());
        write!(
            f,
            "{}: {}:{}:{}: {}: {}",
            self.origin, self.gid, sid, rev, self.weakness.0, self.message
        )
    }
}

impl LintReport {
    /// What follows the findings: the revision diffs, the counts by weakness and the totals.
    pub fn tail(&self) -> String {
        use std::fmt::Write as _;
        let mut f = String::new();
        for d in &self.revisions {
            let changes = if d.changes.is_empty() {
                "no change to what it matches".to_string()
            } else {
                d.changes.join("; ")
            };
            let _ = writeln!(
                f,
                "{}:{} rev {} ({}) -> rev {} ({}): {}",
                d.gid, d.sid, d.old_rev, d.old_origin, d.new_rev, d.new_origin, changes
            );
        }
        if !self.by_kind.is_empty() {
            let parts: Vec<String> = self
                .by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = writeln!(f, "weaknesses: {}", parts.join(", "));
        }
        let _ = writeln!(
            f,
            "{} files, {} options kept verbatim (not known to fpx)",
            self.files, self.unknown_options
        );
        let _ = writeln!(
            f,
            "parsed {} rules ({} disabled), {} errors",
            self.rules,
            self.disabled,
            self.errors()
        );
        f
    }
}

impl fmt::Display for LintReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "error: {e}")?;
        }
        for x in &self.findings {
            writeln!(f, "{x}")?;
        }
        f.write_str(&self.tail())
    }
}

/// Lints rule files and folders, writing each line as it is found through `line` (the
/// caller escapes it for its terminal): errors, findings, then the tail. Returns the report
/// without its findings.
pub fn lint_paths_streaming(
    paths: &[PathBuf],
    line: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<LintReport> {
    let set = RuleSet::load(paths);
    for e in &set.errors {
        line(&format!("error: {e}"))?;
    }
    let mut report = LintReport::default();
    let mut result = Ok(());
    lint_each(set, &mut report, &mut |f| {
        if result.is_ok() {
            result = line(&f.to_string());
        }
    });
    result?;
    for l in report.tail().lines() {
        line(l)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)]) -> RuleSet {
        let mut s = RuleSet::default();
        for (name, text) in files {
            s.add_text(text, name);
        }
        s
    }

    #[test]
    fn weaknesses_found() {
        let r = lint_set(set(&[(
            "w.rules",
            "alert tcp $EXTERNAL_NET any -> $HOME_NET 12754 (msg:\"X client\"; content:\">\"; sid:1; rev:1;)\n\
             alert udp $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET POLICY thing\"; content:\"abcd\"; sid:2; rev:1;)\n\
             alert udp $HOME_NET 1024: -> [$EXTERNAL_NET,!224.0.0.0/4] 1024: (msg:\"ok\"; content:\"ab\"; depth:2; threshold:type limit, track by_src, count 1, seconds 60; classtype:policy-violation; sid:3; rev:1;)\n",
        )]));
        let kinds = |sid: u32| -> Vec<&str> {
            r.findings
                .iter()
                .filter(|f| f.sid == Some(sid))
                .map(|f| f.weakness.0)
                .collect()
        };
        assert_eq!(
            kinds(1),
            [Weakness::SHORT_CONTENT.0, Weakness::TCP_WITHOUT_FLOW.0]
        );
        assert_eq!(
            kinds(2),
            [
                Weakness::ANY_TO_ANY_PORTS.0,
                Weakness::EXTERNAL_NET_MULTICAST.0,
                Weakness::POLICY_WITHOUT_THRESHOLD.0
            ]
        );
        assert!(kinds(3).is_empty(), "{:?}", kinds(3));
        let text = r.to_string();
        assert!(
            text.ends_with("parsed 3 rules (0 disabled), 0 errors\n"),
            "{text}"
        );
    }

    #[test]
    fn revision_diff_names_header_and_option_changes() {
        let r = lint_set(set(&[
            (
                "old.rules",
                "alert udp $HOME_NET 1024:65535 -> $EXTERNAL_NET 1024:65535 (msg:\"T\"; content:\"|32 00|\"; depth:4; reference:url,a; sid:7; rev:3;)\n",
            ),
            (
                "new.rules",
                "alert udp $HOME_NET 1024:65535 -> [$EXTERNAL_NET,!224.0.0.0/4] 1024:65535 (msg:\"T\"; flow:to_server,established; content:\"|32 00|\"; depth:4; sid:7; rev:4;)\nalert tcp any any -> any any (msg:\"bad\"; content:\"|zz|\"; sid:8;)\n",
            ),
        ]));
        assert_eq!(r.revisions.len(), 1);
        let d = &r.revisions[0];
        assert_eq!((d.old_rev, d.new_rev), (3, 4));
        assert!(
            d.changes
                .contains(&"rev 4 adds !224.0.0.0/4 to the destination".to_string()),
            "{:?}",
            d.changes
        );
        assert!(
            d.changes
                .contains(&"rev 4 adds flow:to_server,established".to_string()),
            "{:?}",
            d.changes
        );
        assert_eq!(r.errors(), 1);
        assert!(r
            .to_string()
            .ends_with("parsed 2 rules (0 disabled), 1 errors\n"));
    }

    #[test]
    fn show_bytes_mixes_text_and_hex() {
        assert_eq!(show_bytes(b"ab\x00\x01c"), "ab|00 01|c");
        assert_eq!(show_bytes(b">"), ">");
    }
}
