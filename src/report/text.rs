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

use super::escape::{terminal, TerminalWriter};
use super::layout::{self, truncate, Layout};
use super::overview::{plural, span, Fold, Overview, Ranked};
use super::{Explained, ReportOptions, Summary};
use crate::cluster::ClusterReport;

/// Payload rows shown in full; longer payloads show these plus the rows holding a match.
/// 24 rows (384 bytes) cover headers of the common protocols without flooding the terminal.
const MAX_PAYLOAD_ROWS: usize = 24;
const ROW: usize = 16;

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
        let teach = self.options.teach;
        match self.overview.as_mut() {
            Some(ov) => ov.add_alert(e, &|e| {
                let mut text = TerminalWriter::new(Vec::new());
                write_alert(&mut text, e, teach)?;
                Ok(text.into_inner())
            }),
            None => write_alert(&mut self.out, e, teach),
        }
    }

    pub fn cluster(&mut self, r: &ClusterReport) -> io::Result<()> {
        if let Some(ov) = self.overview.as_mut() {
            let mut text = TerminalWriter::new(Vec::new());
            write_cluster(&mut text, r)?;
            ov.add_cluster(r, text.into_inner());
            return Ok(());
        }
        if !self.clusters_started {
            self.clusters_started = true;
            writeln!(self.out, "══ root-cause clusters ══")?;
        }
        write_cluster(&mut self.out, r)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        if let Some(ov) = self.overview.take() {
            write_overview(&mut self.out, ov.rank(), s, &self.options)?;
        }
        write_summary(&mut self.out, s)?;
        self.out.flush()
    }
}

/// The header with the counts by verdict, then the root causes ranked, as many as the first
/// screen holds, then each root cause with its alerts folded and one example.
fn write_overview<W: Write>(
    o: &mut W,
    ranked: Ranked,
    s: &Summary,
    opt: &ReportOptions,
) -> io::Result<()> {
    let width = opt.width.unwrap_or(usize::MAX);
    let causes = &ranked.causes;
    let verdicts: Vec<String> = s.verdicts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let mut header = vec![format!(
        "fpx: {} alerts, {} root causes{}",
        s.alerts,
        causes.len(),
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
    if !causes.is_empty() {
        writeln!(o, "root causes, largest first:")?;
        // Two lines each, within the rows the header, title and closing lines leave.
        let used = header.len() + 4;
        let room = opt.rows.saturating_sub(used + 1) / 2;
        let shown = if room >= causes.len() {
            causes.len()
        } else {
            room.max(3).min(causes.len())
        };
        for (i, c) in causes.iter().take(shown).enumerate() {
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
                        &terminal(&c.cause),
                        room.saturating_sub(layout::columns(&a) + 3).max(20),
                    );
                    format!("       {cause} → {a}")
                }
                None => format!("       {}", terminal(&c.cause)),
            };
            writeln!(o, "{}", truncate(&first, width))?;
            writeln!(o, "{}", truncate(&second, width))?;
        }
        if shown < causes.len() {
            let rest = &causes[shown..];
            let n: u64 = rest.iter().map(|c| c.members).sum();
            let line = format!(
                "     … {} more root causes ({n} records), each below",
                rest.len()
            );
            writeln!(o, "{}", truncate(&line, width))?;
        }
        let below = "below: each root cause with its alerts folded and one example; --all prints every alert";
        writeln!(o, "{}", truncate(below, width))?;
        writeln!(o)?;
    }
    let total = causes.len();
    for (i, c) in causes.iter().enumerate() {
        writeln!(o, "══ root cause {}/{total} ══", i + 1)?;
        o.write_all(&c.rendered)?;
        write_folds(o, &c.folds, c.unfolded, false)?;
        if let Some(ex) = &c.example {
            writeln!(o, "   example, alert {}:", ex.index)?;
            o.write_all(&ex.rendered)?;
        }
    }
    let loose = &ranked.loose;
    if !loose.folds.is_empty() || loose.unfolded > 0 {
        writeln!(o, "══ alerts in no root-cause cluster ══")?;
        write_folds(o, &loose.folds, loose.unfolded, true)?;
        if let Some(ex) = &loose.example {
            writeln!(o, "   example, alert {}:", ex.index)?;
            o.write_all(&ex.rendered)?;
        }
    }
    Ok(())
}

/// The groups of identical alerts of one root cause, largest first.
fn write_folds<W: Write>(
    o: &mut W,
    folds: &[Fold],
    unfolded: u64,
    with_signature: bool,
) -> io::Result<()> {
    if folds.is_empty() && unfolded == 0 {
        return Ok(());
    }
    let alerts: u64 = folds.iter().map(|f| f.count).sum::<u64>() + unfolded;
    writeln!(
        o,
        "   {alerts} {} in {} {} of identical alerts (signature, destination, verdict):",
        plural(alerts, "alert", "alerts"),
        folds.len(),
        plural(folds.len() as u64, "group", "groups")
    )?;
    for f in folds.iter().take(SHOWN_FOLDS) {
        let sig = if with_signature {
            format!(" [{}] {}", f.signature, terminal(&f.msg))
        } else {
            String::new()
        };
        writeln!(
            o,
            "     × {}, {}, {} → {} {} · {} {} · first alert {}{sig}",
            f.count,
            span(f.first, f.last),
            terminal(&f.sources()),
            terminal(&f.dest),
            terminal(&f.proto),
            f.verdict,
            f.p(),
            f.first_index
        )?;
    }
    if folds.len() > SHOWN_FOLDS {
        let rest = &folds[SHOWN_FOLDS..];
        let n: u64 = rest.iter().map(|f| f.count).sum();
        writeln!(
            o,
            "     … {} more groups ({n} alerts); --all prints every alert",
            rest.len()
        )?;
    }
    if unfolded > 0 {
        writeln!(
            o,
            "     … {unfolded} alerts beyond the {} groups kept; --all prints every alert",
            super::overview::MAX_FOLDS
        )?;
    }
    Ok(())
}

fn write_alert<W: Write>(o: &mut W, e: &Explained<'_, '_>, teach: bool) -> io::Result<()> {
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
    if teach {
        lesson_lines(o, e)?;
    }
    writeln!(o)
}

/// Teaching mode: the primers behind the explanation, then the checks to run next.
fn lesson_lines<W: Write>(o: &mut W, e: &Explained<'_, '_>) -> io::Result<()> {
    let l = super::teach::lesson(e.knowledge, e);
    for p in &l.primers {
        writeln!(o, "   learn: {}", terminal(&p.title))?;
        writeln!(o, "     {}", terminal(&p.text))?;
        writeln!(o, "     references: {}", terminal(&p.refs.join("; ")))?;
    }
    if !l.checks.is_empty() {
        writeln!(
            o,
            "   what would make it a true positive, and how to check:"
        )?;
    }
    for c in &l.checks {
        writeln!(o, "     - {}", terminal(&c.text))?;
        for cmd in &c.commands {
            writeln!(o, "         $ {}", terminal(cmd))?;
        }
    }
    Ok(())
}

pub(super) fn rule_view<W: Write>(
    o: &mut W,
    e: &Explained<'_, '_>,
    ra: &RuleAnalysis,
) -> io::Result<()> {
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

pub(super) fn payload_view<W: Write>(o: &mut W, e: &Explained<'_, '_>) -> io::Result<()> {
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
