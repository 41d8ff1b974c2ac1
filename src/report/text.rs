//! The human-readable report: per alert the signature, verdict, probability, root cause,
//! evidence with signed weights, references, suggestions and an annotated payload view.

use std::io::{self, Write};

use crate::evidence::{Evidence, Scope, Supports};
use crate::model::{Engine, Location, YearSource};
use crate::score::Score;
use crate::signature::context::describe_range;
use crate::signature::RuleAnalysis;
use crate::suggest::{Change, Suggestion};

use super::escape::{terminal, TerminalWriter};
use super::{Explained, Summary};
use crate::cluster::ClusterReport;

/// Payload rows shown in full; longer payloads show these plus the rows holding a match.
/// 24 rows (384 bytes) cover headers of the common protocols without flooding the terminal.
const MAX_PAYLOAD_ROWS: usize = 24;
const ROW: usize = 16;

pub struct TextPrinter<W: Write> {
    out: TerminalWriter<W>,
    clusters_started: bool,
}

impl<W: Write> TextPrinter<W> {
    pub fn new(out: W, _options: &super::ReportOptions) -> Self {
        TextPrinter {
            out: TerminalWriter::new(out),
            clusters_started: false,
        }
    }

    pub fn alert(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        let a = e.alert;
        let o = &mut self.out;
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
            self.rule_view(e, ra)?;
        }
        self.payload_view(e)?;
        writeln!(self.out)
    }

    fn rule_view(&mut self, e: &Explained<'_, '_>, ra: &RuleAnalysis) -> io::Result<()> {
        let o = &mut self.out;
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

    fn payload_view(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        let Some(p) = e.alert.payload.as_deref() else {
            return writeln!(self.out, "   payload: not available");
        };
        let d = e.dissection;
        let proto = d.protocol.map(|p| format!(", {p}")).unwrap_or_default();
        writeln!(self.out, "   payload ({} bytes{}):", p.len(), proto)?;
        if !d.recognised_by.is_empty() {
            writeln!(self.out, "     {}", terminal(&d.recognised_by))?;
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
                writeln!(self.out, "     … {skipped} bytes not shown")?;
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
                self.out,
                "     {start:04x}  {hex} {ascii:<16}  {}",
                terminal(&notes.join(", "))
            )?;
        }
        if skipped > 0 {
            writeln!(self.out, "     … {skipped} bytes not shown")?;
        }
        Ok(())
    }

    /// One cluster of the section printed after the alerts.
    pub fn cluster(&mut self, r: &ClusterReport) -> io::Result<()> {
        let o = &mut self.out;
        let c = &r.cluster;
        if !self.clusters_started {
            self.clusters_started = true;
            writeln!(o, "══ root-cause clusters ══")?;
        }
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

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        let o = &mut self.out;
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
        o.flush()
    }
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
