//! The human-readable report. By default an overview first: the counts by verdict and the
//! root causes (clusters) ranked by size with their verdicts and suggestions, fitted to the
//! first screen; then each root cause with its alerts, identical ones folded, and one member
//! explained in full. With `--all`, every alert in input order, then the clusters.
//!
//! An alert explained in full: its signature, verdict, probability, root cause, evidence with
//! signed weights, references, suggestions and an annotated payload view.

use std::io::{self, Write};

use crate::evidence::{Evidence, Scope, Supports};
use crate::model::{Engine, Location, YearSource};
use crate::score::Score;
use crate::signature::context::describe_range;
use crate::signature::RuleAnalysis;
use crate::suggest::{Change, Suggestion};

use std::collections::{HashMap, HashSet};

use super::escape::{terminal, TerminalWriter};
use super::layout::{self, truncate, Layout};
use super::{Explained, ReportOptions, Summary};
use crate::cluster::ClusterReport;

/// Payload rows shown in full; longer payloads show these plus the rows holding a match.
/// 24 rows (384 bytes) cover headers of the common protocols without flooding the terminal.
const MAX_PAYLOAD_ROWS: usize = 24;
const ROW: usize = 16;

/// Groups of identical alerts kept at most; alerts beyond are counted per cluster only. A
/// group costs about 200 bytes and a few source addresses, so the cap holds about 20 MiB
/// whatever the input's size.
pub const MAX_FOLDS: usize = 100_000;

/// Distinct sources a group of identical alerts remembers (beyond, it says "N+ sources").
pub const MAX_FOLD_SOURCES: usize = 64;

/// Groups of identical alerts listed per root cause; the rest are summed up in one line
/// (`--all` prints them all).
pub const SHOWN_FOLDS: usize = 8;

pub struct TextPrinter<W: Write> {
    out: TerminalWriter<Layout<W>>,
    options: ReportOptions,
    clusters_started: bool,
    /// What the overview collects until the end (`None` with `--all`).
    overview: Option<Overview>,
}

/// What the overview keeps of the alerts and clusters until the report is written.
#[derive(Default)]
struct Overview {
    folds: HashMap<FoldKey, Fold>,
    /// Alerts beyond [`MAX_FOLDS`], per cluster id as the alert knew it.
    unfolded: HashMap<Option<String>, u64>,
    /// One example per cluster id as the alerts knew it.
    examples: HashMap<Option<String>, Example>,
    clusters: Vec<ClusterEntry>,
}

/// What makes alerts identical for the overview: their cluster, signature, destination,
/// protocol and verdict (sources and times vary within a group).
#[derive(Clone, PartialEq, Eq, Hash)]
struct FoldKey {
    cluster: Option<String>,
    signature: String,
    dest: String,
    proto: String,
    verdict: &'static str,
}

struct Fold {
    count: u64,
    first_index: u64,
    first: Option<i64>,
    last: Option<i64>,
    sources: HashSet<String>,
    more_sources: bool,
    p_min: f64,
    p_max: f64,
    msg: String,
}

/// A member alert printed in full, and its root cause in words.
struct Example {
    index: u64,
    has_payload: bool,
    cause: Option<String>,
    text: Vec<u8>,
}

/// A cluster as the overview ranks and prints it.
struct ClusterEntry {
    id: String,
    merged: Vec<String>,
    members: u64,
    seq: u64,
    records: &'static str,
    verdict: &'static str,
    fp_probability: f64,
    label: String,
    /// The root cause, unless it is the members' evidence (then a member's says more).
    cause: Option<String>,
    undecided: Option<String>,
    action: Option<String>,
    text: Vec<u8>,
}

impl<W: Write> TextPrinter<W> {
    pub fn new(out: W, options: &ReportOptions) -> Self {
        TextPrinter {
            out: TerminalWriter::new(Layout::new(out, options.width, options.color)),
            options: options.clone(),
            clusters_started: false,
            overview: (!options.all).then(Overview::default),
        }
    }

    pub fn alert(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        let Some(ov) = self.overview.as_mut() else {
            return write_alert(&mut self.out, e);
        };
        ov.add_alert(e)
    }

    pub fn cluster(&mut self, r: &ClusterReport) -> io::Result<()> {
        if let Some(ov) = self.overview.as_mut() {
            return ov.add_cluster(r);
        }
        if !self.clusters_started {
            self.clusters_started = true;
            writeln!(self.out, "══ root-cause clusters ══")?;
        }
        write_cluster(&mut self.out, r)
    }

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        if let Some(ov) = self.overview.take() {
            ov.write(&mut self.out, s, &self.options)?;
        }
        write_summary(&mut self.out, s)?;
        self.out.flush()
    }
}

impl Overview {
    fn add_alert(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        let a = e.alert;
        let cluster = e.cluster.map(|c| c.cluster.id.clone());
        let proto = a
            .proto
            .map(|p| p.to_string())
            .or_else(|| a.proto_text.as_ref().map(|p| terminal(p).into_owned()))
            .unwrap_or_else(|| "?".into());
        let key = FoldKey {
            cluster: cluster.clone(),
            signature: a.signature_id(),
            dest: endpoint(&a.dest.host.to_string(), a.dest.port),
            proto,
            verdict: e.score.verdict.as_str(),
        };
        let p = e.score.fp_probability;
        let t = a.timestamp.unix_micros;
        let full = self.folds.len() >= MAX_FOLDS;
        match self.folds.get_mut(&key) {
            Some(f) => {
                f.count += 1;
                f.first = min_opt(f.first, t);
                f.last = max_opt(f.last, t);
                f.p_min = f.p_min.min(p);
                f.p_max = f.p_max.max(p);
                let src = a.src.host.to_string();
                if f.sources.len() < MAX_FOLD_SOURCES {
                    f.sources.insert(src);
                } else if !f.sources.contains(&src) {
                    f.more_sources = true;
                }
            }
            None if full => *self.unfolded.entry(cluster.clone()).or_default() += 1,
            None => {
                self.folds.insert(
                    key,
                    Fold {
                        count: 1,
                        first_index: e.index,
                        first: t,
                        last: t,
                        sources: HashSet::from([a.src.host.to_string()]),
                        more_sources: false,
                        p_min: p,
                        p_max: p,
                        msg: a.msg.as_deref().unwrap_or("(no message)").to_string(),
                    },
                );
            }
        }
        // The first member becomes the example, or the first with a payload to show.
        let has_payload = a.payload.as_deref().is_some_and(|p| !p.is_empty());
        let replace = match self.examples.get(&cluster) {
            None => true,
            Some(ex) => !ex.has_payload && has_payload,
        };
        if replace {
            let mut text = TerminalWriter::new(Vec::new());
            write_alert(&mut text, e)?;
            self.examples.insert(
                cluster,
                Example {
                    index: e.index,
                    has_payload,
                    cause: e
                        .score
                        .root_cause
                        .and_then(|i| e.evidence.get(i))
                        .map(|ev| ev.cause.clone()),
                    text: text.into_inner(),
                },
            );
        }
        Ok(())
    }

    fn add_cluster(&mut self, r: &ClusterReport) -> io::Result<()> {
        let mut text = TerminalWriter::new(Vec::new());
        write_cluster(&mut text, r)?;
        let c = &r.cluster;
        let cause = r
            .score
            .root_cause
            .and_then(|i| r.evidence.get(i))
            .filter(|e| e.id != crate::cluster::MEMBERS_EVIDENCE)
            .map(|e| e.cause.clone());
        self.clusters.push(ClusterEntry {
            id: c.id.clone(),
            merged: c.merged.clone(),
            members: c.members,
            seq: c.seq,
            records: if c.key.records == crate::state::RecordKind::IdsAlert {
                "alerts"
            } else {
                "events"
            },
            verdict: r.score.verdict.as_str(),
            fp_probability: r.score.fp_probability,
            label: c.key.label.clone(),
            cause,
            undecided: r.score.undecided.clone(),
            action: r.suggestions.first().map(|s| action(s, r.engine)),
            text: text.into_inner(),
        });
        Ok(())
    }

    /// The overview, then each root cause with its alerts folded and one example.
    fn write<W: Write>(mut self, o: &mut W, s: &Summary, opt: &ReportOptions) -> io::Result<()> {
        self.clusters
            .sort_by(|a, b| b.members.cmp(&a.members).then(a.seq.cmp(&b.seq)));
        // Each id an alert may carry (its cluster's, or one merged into it) → rank.
        let mut rank: HashMap<&str, usize> = HashMap::new();
        for (i, c) in self.clusters.iter().enumerate() {
            rank.insert(&c.id, i);
            for m in &c.merged {
                rank.insert(m, i);
            }
        }
        let slot = |id: &Option<String>| id.as_deref().and_then(|i| rank.get(i).copied());
        // Folds per rank (None: alerts in no cluster), identical keys of merged ids joined.
        let mut folds: Vec<Vec<(FoldKey, Fold)>> = Vec::new();
        folds.resize_with(self.clusters.len() + 1, Vec::new);
        for (k, f) in self.folds.drain() {
            let r = slot(&k.cluster).unwrap_or(self.clusters.len());
            let list = &mut folds[r];
            let same = |(o, _): &(FoldKey, Fold)| {
                o.signature == k.signature
                    && o.dest == k.dest
                    && o.proto == k.proto
                    && o.verdict == k.verdict
            };
            match list.iter_mut().find(|e| same(e)) {
                Some((_, g)) => g.join(f),
                None => list.push((k, f)),
            }
        }
        for list in &mut folds {
            list.sort_by(|(_, a), (_, b)| {
                b.count
                    .cmp(&a.count)
                    .then(a.first_index.cmp(&b.first_index))
            });
        }
        let mut unfolded = vec![0u64; self.clusters.len() + 1];
        for (id, n) in &self.unfolded {
            unfolded[slot(id).unwrap_or(self.clusters.len())] += n;
        }
        let mut examples: Vec<Option<Example>> = Vec::new();
        examples.resize_with(self.clusters.len() + 1, || None);
        for (id, ex) in self.examples.drain() {
            let r = slot(&id).unwrap_or(self.clusters.len());
            let better = match &examples[r] {
                None => true,
                Some(old) => {
                    (ex.has_payload, std::cmp::Reverse(ex.index))
                        > (old.has_payload, std::cmp::Reverse(old.index))
                }
            };
            if better {
                examples[r] = Some(ex);
            }
        }

        let width = opt.width.unwrap_or(usize::MAX);
        // The header: the counts by verdict.
        let verdicts: Vec<String> = s.verdicts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let mut header = vec![format!(
            "fpx: {} alerts, {} root causes{}",
            s.alerts,
            self.clusters.len(),
            if s.context_events > 0 {
                format!(", {} context events", s.context_events)
            } else {
                String::new()
            }
        )];
        if !verdicts.is_empty() {
            header.push(format!("verdicts: {}", verdicts.join(" · ")));
        }
        let skipped: u64 = s.skipped.values().sum();
        if skipped > 0 || !s.errors.is_empty() {
            header.push(format!(
                "{skipped} records skipped, {} inputs with errors (see the summary at the end)",
                s.errors.len()
            ));
        }
        for h in &header {
            writeln!(o, "{}", truncate(h, width))?;
        }
        writeln!(o)?;
        // The root causes, two lines each, as many as the first screen holds.
        if !self.clusters.is_empty() {
            writeln!(o, "root causes, largest first:")?;
            let used = header.len() + 4;
            let room = opt.rows.saturating_sub(used + 1) / 2;
            let shown = if room >= self.clusters.len() {
                self.clusters.len()
            } else {
                room.max(3).min(self.clusters.len())
            };
            for (i, c) in self.clusters.iter().take(shown).enumerate() {
                let cause = c
                    .cause
                    .clone()
                    .or_else(|| examples[i].as_ref().and_then(|e| e.cause.clone()))
                    .or_else(|| c.undecided.as_ref().map(|u| format!("open: {u}")))
                    .unwrap_or_else(|| "no evidence rule applied".into());
                let first = format!(
                    "{:>3}. {:>6} {:<6} {:<14} p(fp) {:.2}  {}",
                    i + 1,
                    c.members,
                    if c.members == 1 {
                        c.records.trim_end_matches('s')
                    } else {
                        c.records
                    },
                    c.verdict,
                    c.fp_probability,
                    terminal(&c.label)
                );
                // The cause and the change share the line; the change keeps up to half.
                let room = width.saturating_sub(7);
                let second = match &c.action {
                    Some(a) => {
                        let a = truncate(&terminal(a), (room / 2).max(20));
                        let cause = truncate(
                            &terminal(&cause),
                            room.saturating_sub(layout::columns(&a) + 3).max(20),
                        );
                        format!("       {cause} → {a}")
                    }
                    None => format!("       {}", terminal(&cause)),
                };
                writeln!(o, "{}", truncate(&first, width))?;
                writeln!(o, "{}", truncate(&second, width))?;
            }
            if shown < self.clusters.len() {
                let rest = &self.clusters[shown..];
                let n: u64 = rest.iter().map(|c| c.members).sum();
                writeln!(
                    o,
                    "{}",
                    truncate(
                        &format!(
                            "     … {} more root causes ({n} records), each below",
                            rest.len()
                        ),
                        width
                    )
                )?;
            }
            writeln!(
                o,
                "{}",
                truncate(
                    "below: each root cause with its alerts folded and one example; --all prints every alert",
                    width
                )
            )?;
            writeln!(o)?;
        }
        // Each root cause: its cluster, its alerts folded, one example.
        let total = self.clusters.len();
        for (i, c) in self.clusters.iter().enumerate() {
            writeln!(o, "══ root cause {}/{total} ══", i + 1)?;
            o.write_all(&c.text)?;
            write_folds(o, &folds[i], unfolded[i], false)?;
            if let Some(ex) = &examples[i] {
                writeln!(o, "   example, alert {}:", ex.index)?;
                o.write_all(&ex.text)?;
            }
        }
        let loose = total;
        if !folds[loose].is_empty() || unfolded[loose] > 0 {
            writeln!(o, "══ alerts in no root-cause cluster ══")?;
            write_folds(o, &folds[loose], unfolded[loose], true)?;
            if let Some(ex) = &examples[loose] {
                writeln!(o, "   example, alert {}:", ex.index)?;
                o.write_all(&ex.text)?;
            }
        }
        Ok(())
    }
}

impl Fold {
    fn join(&mut self, o: Fold) {
        self.count += o.count;
        self.first_index = self.first_index.min(o.first_index);
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        self.p_min = self.p_min.min(o.p_min);
        self.p_max = self.p_max.max(o.p_max);
        self.more_sources |= o.more_sources;
        for s in o.sources {
            if self.sources.len() < MAX_FOLD_SOURCES {
                self.sources.insert(s);
            } else if !self.sources.contains(&s) {
                self.more_sources = true;
            }
        }
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// A time as `2011-11-12 23:35`.
fn minute(micros: i64) -> String {
    let t = crate::model::time::Rfc3339(micros).to_string();
    t.get(..16).unwrap_or(&t).replace('T', " ")
}

/// A span of time, the end without what it shares with the start: `2011-11-12 23:35 →
/// 11-13 17:26`, `2011-11-12 23:35 → 23:50`.
pub fn span(first: Option<i64>, last: Option<i64>) -> String {
    match (first, last) {
        (Some(a), Some(b)) if minute(a) != minute(b) => {
            let (x, y) = (minute(a), minute(b));
            let end = if x.get(..10) == y.get(..10) {
                y.get(11..).unwrap_or(&y).to_string()
            } else if x.get(..4) == y.get(..4) {
                y.get(5..).unwrap_or(&y).to_string()
            } else {
                y
            };
            format!("{x} → {end}")
        }
        (Some(a), _) => minute(a),
        _ => "time unknown".into(),
    }
}

/// The groups of identical alerts of one root cause, largest first.
fn write_folds<W: Write>(
    o: &mut W,
    folds: &[(FoldKey, Fold)],
    unfolded: u64,
    with_signature: bool,
) -> io::Result<()> {
    if folds.is_empty() && unfolded == 0 {
        return Ok(());
    }
    let alerts: u64 = folds.iter().map(|(_, f)| f.count).sum::<u64>() + unfolded;
    writeln!(
        o,
        "   {alerts} {} in {} {} of identical alerts (signature, destination, verdict):",
        plural(alerts, "alert", "alerts"),
        folds.len(),
        plural(folds.len() as u64, "group", "groups")
    )?;
    for (k, f) in folds.iter().take(SHOWN_FOLDS) {
        let sources = if f.sources.len() == 1 && !f.more_sources {
            f.sources.iter().next().cloned().unwrap_or_default()
        } else {
            format!(
                "{}{} sources",
                f.sources.len(),
                if f.more_sources { "+" } else { "" }
            )
        };
        let p = if f.p_max - f.p_min < 0.005 {
            format!("{:.2}", f.p_min)
        } else {
            format!("{:.2}–{:.2}", f.p_min, f.p_max)
        };
        let sig = if with_signature {
            format!(" [{}] {}", k.signature, terminal(&f.msg))
        } else {
            String::new()
        };
        writeln!(
            o,
            "     × {}, {}, {} → {} {} · {} {p} · first alert {}{sig}",
            f.count,
            span(f.first, f.last),
            terminal(&sources),
            k.dest,
            k.proto,
            k.verdict,
            f.first_index
        )?;
    }
    if folds.len() > SHOWN_FOLDS {
        let rest = &folds[SHOWN_FOLDS..];
        let n: u64 = rest.iter().map(|(_, f)| f.count).sum();
        writeln!(
            o,
            "     … {} more groups ({n} alerts); --all prints every alert",
            rest.len()
        )?;
    }
    if unfolded > 0 {
        writeln!(
            o,
            "     … {unfolded} alerts beyond the {MAX_FOLDS} groups kept; --all prints every alert"
        )?;
    }
    Ok(())
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A suggestion in a few words for the overview: what to do, and to what (the lines are in
/// the root cause's section).
fn action(s: &Suggestion, _engine: Engine) -> String {
    let scope = |sc: &crate::suggest::Scope| match sc.track {
        Some(crate::suggest::Track::BySrc) => format!(" from {}", sc.addr_text()),
        Some(crate::suggest::Track::ByDst) => format!(" to {}", sc.addr_text()),
        Some(crate::suggest::Track::ByEither) => format!(" to or from {}", sc.addr_text()),
        None => String::new(),
    };
    match &s.change {
        Change::Investigate { checks } => match checks.first() {
            Some(c) => format!("investigate {c}"),
            None => "investigate".into(),
        },
        Change::Suppress {
            gid,
            sid,
            scope: sc,
        } => format!("suppress {gid}:{sid}{}", scope(sc)),
        Change::Limit {
            gid,
            sid,
            track,
            count,
            seconds,
        } => format!(
            "limit {gid}:{sid} to {count} per {seconds} s {}",
            track.as_str()
        ),
        Change::Modify { gid, sid, .. } => format!("modify rule {gid}:{sid}"),
        Change::Tighten { gid, sid, .. } => format!("tighten rule {gid}:{sid}"),
        Change::Update { gid, sid, rev, .. } => format!("update {gid}:{sid} to rev {rev}"),
        Change::Disable { gid, sid } => format!("disable {gid}:{sid}"),
        Change::Variable { name, to, .. } => format!("set {name} to {to}"),
    }
}

fn write_alert<W: Write>(o: &mut W, e: &Explained<'_, '_>) -> io::Result<()> {
    let a = e.alert;
    let msg = a.msg.as_deref().unwrap_or("(no message)");
    writeln!(
        o,
        "── alert {} ── [{}] {}",
        e.index,
        a.signature_id(),
        terminal(msg)
    )?;
    let loc = match a.source.location {
        Location::Line(n) => format!("line {n}"),
        Location::Offset(n) => format!("byte {n}"),
    };
    let mut when = match a.timestamp.rfc3339() {
        Some(t) => match a.timestamp.year_source {
            YearSource::Written => t.to_string(),
            ys => format!("{t} (year from {})", ys.as_str().replace('_', " ")),
        },
        None => format!("{} (date unknown)", terminal(&a.timestamp.raw)),
    };
    if let Some(why) = a.timestamp.implausible() {
        when.push_str(&format!(" (implausible: {why})"));
    }
    writeln!(o, "   {}:{} · {}", terminal(&a.source.path), loc, when)?;
    let proto = a
        .proto
        .map(|p| p.to_string())
        .or_else(|| a.proto_text.as_ref().map(|p| terminal(p).into_owned()))
        .unwrap_or_else(|| "?".into());
    writeln!(
        o,
        "   {} {} -> {}{}",
        proto,
        endpoint(&a.src.host.to_string(), a.src.port),
        endpoint(&a.dest.host.to_string(), a.dest.port),
        a.classification
            .as_deref()
            .map(|c| format!(" · {}", terminal(c)))
            .unwrap_or_default()
    )?;
    writeln!(
        o,
        "   verdict: {}   fp_probability: {:.2}   (prior {:.2} for {} signatures)",
        e.score.verdict.as_str(),
        e.score.fp_probability,
        e.score.prior,
        e.score.prior_intent
    )?;
    if let Some(c) = e.cluster {
        writeln!(
            o,
            "   cluster: {} ({} {}) · {} · p(fp) {:.2}",
            c.cluster.id,
            c.cluster.members,
            if c.cluster.members == 1 {
                "alert"
            } else {
                "alerts"
            },
            c.score.verdict.as_str(),
            c.score.fp_probability
        )?;
    }
    if e.provisional {
        writeln!(
                o,
                "   provisional: judged before the input ended (the hold window was full); later records could still change its cluster"
            )?;
    }
    cause_lines(o, e.score, e.evidence)?;
    if e.evidence.is_empty() {
        writeln!(o, "   evidence: none of the evidence rules applied")?;
    } else {
        writeln!(o, "   evidence:")?;
        for ev in e.evidence {
            let tag = match ev.supports {
                Supports::FalsePositive => "fp",
                Supports::BenignTrigger => "benign",
                Supports::TruePositive => "attack",
            };
            let scope = match ev.scope {
                Scope::Cluster => " (cluster)",
                Scope::Alert => "",
            };
            writeln!(
                o,
                "     {:+.1} [{tag}]{scope} {}: {}",
                ev.log_odds,
                ev.id,
                terminal(&ev.text)
            )?;
            if !ev.refs.is_empty() {
                writeln!(o, "          refs: {}", terminal(&ev.refs.join("; ")))?;
            }
        }
    }
    let checks = super::checks(e.evidence);
    if !checks.is_empty() {
        writeln!(o, "   checks:")?;
    }
    for s in checks {
        writeln!(o, "     - {}", terminal(s))?;
    }
    if let Some(c) = e.cluster.filter(|c| !c.suggestions.is_empty()) {
        writeln!(o, "   suggested changes (cluster {}):", c.cluster.id)?;
        suggestion_lines(o, &c.suggestions, e.engine)?;
    }
    if let Some(sig) = e.signature {
        writeln!(
            o,
            "   signature: {} ({})",
            terminal(&sig.summary),
            terminal(&sig.source)
        )?;
    }
    if let Some(ra) = e.rule {
        rule_view(o, e, ra)?;
    }
    payload_view(o, e)?;
    writeln!(o)
}

fn rule_view<W: Write>(o: &mut W, e: &Explained<'_, '_>, ra: &RuleAnalysis) -> io::Result<()> {
    let d = e.dissection;
    let payload = e.alert.payload.as_deref();
    writeln!(
        o,
        "   rule: {} ({})",
        terminal(&ra.rule.origin.to_string()),
        terminal(&ra.chosen_why)
    )?;
    writeln!(o, "     {}", terminal(&ra.rule_text()))?;
    if let Some(h) = &ra.header {
        for line in h.to_string().lines() {
            writeln!(o, "   {}", terminal(line))?;
        }
    }
    for line in ra.replay.to_string().lines() {
        writeln!(o, "   {}", terminal(line))?;
    }
    if let Some(l) = &ra.later {
        writeln!(
            o,
            "   later revision: rev {} ({}): {}",
            l.rule.rev.map_or_else(|| "?".into(), |r| r.to_string()),
            terminal(&l.rule.origin.to_string()),
            terminal(&if l.changes.is_empty() {
                "no change to what it matches".to_string()
            } else {
                l.changes.join("; ")
            })
        )?;
    }
    if let Some(m) = ra.mapping(d) {
        writeln!(o, "   match: {}", terminal(&m))?;
    }
    if let Some(c) = ra.chance_per_10k(d, payload) {
        writeln!(
            o,
            "   chance: about {} matches per 10,000 such packets by chance alone",
            crate::evidence::Value::Num(c)
        )?;
    }
    for w in &ra.weaknesses {
        writeln!(o, "   weakness: {}: {}", w.weakness.0, terminal(&w.message))?;
    }
    if !ra.references.is_empty() {
        writeln!(o, "   references: {}", terminal(&ra.references.join(" ")))?;
    }
    Ok(())
}

fn payload_view<W: Write>(o: &mut W, e: &Explained<'_, '_>) -> io::Result<()> {
    let Some(p) = e.alert.payload.as_deref() else {
        return writeln!(o, "   payload: not available");
    };
    let d = e.dissection;
    let proto = d.protocol.map(|p| format!(", {p}")).unwrap_or_default();
    writeln!(o, "   payload ({} bytes{}):", p.len(), proto)?;
    if !d.recognised_by.is_empty() {
        writeln!(o, "     {}", terminal(&d.recognised_by))?;
    }
    let rows = p.len().div_ceil(ROW);
    let mut skipped = 0usize;
    for r in 0..rows {
        let start = r * ROW;
        let end = (start + ROW).min(p.len());
        let has_match = e.marks.iter().any(|m| m.start < end && m.end > start);
        if r >= MAX_PAYLOAD_ROWS && !has_match {
            skipped += end - start;
            continue;
        }
        if skipped > 0 {
            writeln!(o, "     … {skipped} bytes not shown")?;
            skipped = 0;
        }
        let mut hex = String::with_capacity(ROW * 3 + 2);
        let mut ascii = String::with_capacity(ROW + 2);
        for i in start..start + ROW {
            let in_match = e.marks.iter().any(|m| m.contains(&i));
            match p.get(i) {
                Some(b) => {
                    hex.push_str(&format!("{b:02x}"));
                    hex.push(if in_match { '*' } else { ' ' });
                    ascii.push(if b.is_ascii_graphic() || *b == b' ' {
                        *b as char
                    } else {
                        '.'
                    });
                }
                None => hex.push_str("   "),
            }
        }
        let mut notes: Vec<String> = d
            .fields
            .iter()
            .filter(|f| f.range.start >= start && f.range.start < end)
            .map(|f| format!("{} ({})", f.name, f.class.as_str()))
            .collect();
        for m in e.marks.iter().filter(|m| m.start >= start && m.start < end) {
            let names: Vec<&str> = d
                .fields_overlapping(m.clone())
                .map(|f| f.name.as_ref())
                .collect();
            let field = if names.is_empty() {
                String::new()
            } else {
                format!(" in {}", names.join(" and "))
            };
            notes.push(format!("<- signature matches {}{field}", describe_range(m)));
        }
        writeln!(
            o,
            "     {start:04x}  {hex} {ascii:<16}  {}",
            terminal(&notes.join(", "))
        )?;
    }
    if skipped > 0 {
        writeln!(o, "     … {skipped} bytes not shown")?;
    }
    Ok(())
}

/// One cluster: its heading, pattern, hosts, cause, evidence, suggestions and hypotheses.
fn write_cluster<W: Write>(o: &mut W, r: &ClusterReport) -> io::Result<()> {
    let c = &r.cluster;
    writeln!(
        o,
        "── cluster {} ── {} {} · {} · p(fp) {:.2}",
        c.id,
        c.members,
        if c.key.records == crate::state::RecordKind::IdsAlert {
            "alerts"
        } else {
            "events"
        },
        r.score.verdict.as_str(),
        r.score.fp_probability
    )?;
    writeln!(o, "   {}", terminal(&r.pattern))?;
    if !r.src_examples.is_empty() {
        writeln!(
            o,
            "   sources e.g. {}",
            terminal(&r.src_examples.join(", "))
        )?;
    }
    if !r.dest_examples.is_empty() {
        writeln!(
            o,
            "   destinations e.g. {}",
            terminal(&r.dest_examples.join(", "))
        )?;
    }
    cause_lines(o, &r.score, &r.evidence)?;
    for ev in &r.evidence {
        writeln!(
            o,
            "   {:+.1} {}: {}",
            ev.log_odds,
            ev.id,
            terminal(&ev.text)
        )?;
    }
    if !r.suggestions.is_empty() {
        writeln!(o, "   suggested changes:")?;
        suggestion_lines(o, &r.suggestions, r.engine)?;
    }
    for h in &r.hypotheses.list {
        writeln!(
            o,
            "   {} hypothesis ({}, {:+.1}): {}",
            if h.favoured { "▶" } else { "·" },
            h.nature.as_str(),
            h.standing,
            terminal(&h.name)
        )?;
        for p in &h.evidence_for {
            writeln!(o, "       for     +{:.1} {}", p.weight, terminal(&p.text))?;
        }
        for p in &h.evidence_against {
            writeln!(o, "       against -{:.1} {}", p.weight, terminal(&p.text))?;
        }
        writeln!(o, "       to tell apart: {}", terminal(&h.tell_apart))?;
    }
    if !r.hypotheses.why.is_empty() {
        let label = if r.hypotheses.favoured.is_some() {
            "favoured"
        } else {
            "hypotheses"
        };
        writeln!(o, "   {label}: {}", terminal(&r.hypotheses.why))?;
    }
    writeln!(o)
}

/// The closing lines: what was read, the verdicts, findings and errors.
fn write_summary<W: Write>(o: &mut W, s: &Summary) -> io::Result<()> {
    write!(
        o,
        "summary: {} records read, {} alerts, {} context events, {} clusters",
        s.records_read, s.alerts, s.context_events, s.clusters
    )?;
    let skipped: u64 = s.skipped.values().sum();
    if skipped > 0 {
        let parts: Vec<String> = s.skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
        write!(o, ", {skipped} skipped ({})", parts.join(", "))?;
    }
    writeln!(o)?;
    let counts = |m: &std::collections::BTreeMap<&str, u64>| -> String {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !s.verdicts.is_empty() {
        writeln!(o, "verdicts of alerts: {}", counts(&s.verdicts))?;
    }
    if !s.cluster_verdicts.is_empty() {
        writeln!(o, "verdicts of clusters: {}", counts(&s.cluster_verdicts))?;
    }
    if s.judged_early > 0 {
        writeln!(
                o,
                "provisional: {} alerts were judged before the input ended (the hold window was full; --hold sets it)",
                s.judged_early
            )?;
    }
    if !s.repaired.is_empty() {
        writeln!(o, "repaired and read: {}", counts(&s.repaired))?;
    }
    if !s.pcap_join.is_empty() {
        let parts: Vec<String> = s
            .pcap_join
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(o, "pcap join: {}", parts.join(", "))?;
    }
    for (id, f) in &s.findings {
        writeln!(
            o,
            "finding ({id}, {} alerts): {}; e.g. {}",
            f.alerts,
            terminal(&f.text),
            terminal(&f.examples.join(", "))
        )?;
        for fix in &f.fix {
            writeln!(o, "   fix: {}", terminal(fix))?;
        }
    }
    for (p, m) in &s.errors {
        writeln!(o, "error: {}: {}", terminal(p), terminal(m))?;
    }
    Ok(())
}

/// The root cause of a score (its strongest evidence, when the verdict is open), and for an
/// undetermined verdict why and what would decide it: the same lines for alerts and clusters.
fn cause_lines<W: Write>(o: &mut W, score: &Score, evidence: &[Evidence]) -> io::Result<()> {
    if let Some(i) = score.root_cause {
        let label = if score.undecided.is_some() {
            "strongest evidence"
        } else {
            "root cause"
        };
        writeln!(o, "   {label}: {}", terminal(&evidence[i].cause))?;
    }
    if let Some(u) = &score.undecided {
        writeln!(o, "   undetermined because {}", terminal(u))?;
    }
    if let Some(d) = &score.decide {
        writeln!(o, "   what would decide it: {}", terminal(d))?;
    }
    Ok(())
}

/// Suggestions, narrowest first: the kind, the file and lines for `engine`, the trade-off.
fn suggestion_lines<W: Write>(o: &mut W, list: &[Suggestion], engine: Engine) -> io::Result<()> {
    for s in list {
        match (&s.change, s.render(engine)) {
            (Change::Investigate { checks }, _) => {
                writeln!(o, "     - investigate:")?;
                for c in checks {
                    writeln!(o, "         {}", terminal(c))?;
                }
            }
            (_, Some(r)) => {
                let place = match r.table {
                    Some(t) => format!("{} ({t} = {{ ... }})", r.file),
                    None => r.file.to_string(),
                };
                writeln!(o, "     - {} in {place} [{} alerts]:", s.kind(), s.covers)?;
                for l in &r.lines {
                    writeln!(o, "         {}", terminal(l))?;
                }
                if let Change::Tighten { proof, .. } = &s.change {
                    writeln!(o, "       proof: {}", terminal(proof))?;
                }
                writeln!(o, "       trade-off: {}", terminal(&s.tradeoff))?;
            }
            (_, None) => {
                writeln!(o, "     - {}: no {} form", s.kind(), engine.as_str())?;
            }
        }
    }
    Ok(())
}

fn endpoint(host: &str, port: Option<u16>) -> String {
    let h = terminal(host);
    match port {
        Some(p) if h.contains(':') => format!("[{h}]:{p}"),
        Some(p) => format!("{h}:{p}"),
        None => h.into_owned(),
    }
}
