//! The Markdown report (`--format md`): the text report's structure as sections and tables,
//! safe to paste into a ticket or a wiki. Every text from the input (msgs, file names, hosts,
//! payload notes) is escaped with [`markdown`]; payload and rule views are fenced with a
//! fence they cannot close.

use std::io::{self, Write};

use super::escape::{markdown as md, markdown_fence, TerminalWriter};
use super::overview::{plural, span, Fold, Overview, Ranked};
use super::{Explained, ReportOptions, Summary};
use crate::cluster::ClusterReport;
use crate::evidence::{Scope, Supports};
use crate::model::{Engine, Location};
use crate::suggest::{Change, Suggestion};

/// Groups of identical alerts listed per root cause.
pub const SHOWN_FOLDS: usize = 20;

pub struct MarkdownPrinter<W: Write> {
    out: W,
    all: bool,
    teach: bool,
    /// Alerts printed so far with `--all` (the heading of the first says what follows).
    printed: u64,
    overview: Overview,
}

impl<W: Write> MarkdownPrinter<W> {
    pub fn new(out: W, options: &ReportOptions) -> Self {
        MarkdownPrinter {
            out,
            all: options.all,
            teach: options.teach,
            printed: 0,
            overview: Overview::default(),
        }
    }

    pub fn alert(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        if self.all {
            if self.printed == 0 {
                writeln!(self.out, "# fpx report: every alert\n")?;
            }
            self.printed += 1;
            return write_alert(&mut self.out, e, "##", self.teach);
        }
        let teach = self.teach;
        self.overview.add_alert(e, &|e| {
            let mut b = Vec::new();
            write_alert(&mut b, e, "####", teach)?;
            Ok(b)
        })
    }

    pub fn cluster(&mut self, r: &ClusterReport) -> io::Result<()> {
        let mut b = Vec::new();
        write_cluster(&mut b, r)?;
        if self.all {
            writeln!(
                self.out,
                "## Cluster {}: {}\n",
                md(&r.cluster.id),
                md(&r.cluster.key.label)
            )?;
            return self.out.write_all(&b);
        }
        self.overview.add_cluster(r, b);
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        if !self.all {
            let ov = std::mem::take(&mut self.overview);
            write_overview(&mut self.out, ov.rank(), s)?;
        }
        write_summary(&mut self.out, s)?;
        self.out.flush()
    }
}

/// A table cell: escaped, never empty.
fn cell(s: &str) -> String {
    let t = md(s);
    if t.trim().is_empty() {
        "–".into()
    } else {
        t.into_owned()
    }
}

fn write_overview<W: Write>(o: &mut W, ranked: Ranked, s: &Summary) -> io::Result<()> {
    writeln!(o, "# fpx report\n")?;
    let verdicts: Vec<String> = s.verdicts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    writeln!(
        o,
        "{} alerts in {} root causes{}. Verdicts: {}.\n",
        s.alerts,
        ranked.causes.len(),
        if s.context_events > 0 {
            format!(", {} context events", s.context_events)
        } else {
            String::new()
        },
        if verdicts.is_empty() {
            "none".into()
        } else {
            verdicts.join(", ")
        }
    )?;
    if !ranked.causes.is_empty() {
        writeln!(o, "## Root causes, largest first\n")?;
        writeln!(
            o,
            "| # | records | verdict | p(fp) | signature | root cause | suggested change |"
        )?;
        writeln!(o, "|--:|--:|---|--:|---|---|---|")?;
        for (i, c) in ranked.causes.iter().enumerate() {
            writeln!(
                o,
                "| [{}](#root-cause-{}) | {} {} | {} | {:.2} | {} | {} | {} |",
                i + 1,
                i + 1,
                c.members,
                if c.members == 1 {
                    c.records.trim_end_matches('s')
                } else {
                    c.records
                },
                c.verdict,
                c.fp_probability,
                cell(&c.label),
                cell(&c.cause),
                cell(c.action.as_deref().unwrap_or(""))
            )?;
        }
        writeln!(o)?;
    }
    let total = ranked.causes.len();
    for (i, c) in ranked.causes.iter().enumerate() {
        writeln!(o, "<a id=\"root-cause-{}\"></a>\n", i + 1)?;
        writeln!(o, "## Root cause {}/{total}: {}\n", i + 1, md(&c.label))?;
        writeln!(
            o,
            "Cluster {}: {} {}, **{}**, p(fp) {:.2}.\n",
            md(&c.id),
            c.members,
            c.records,
            c.verdict,
            c.fp_probability
        )?;
        o.write_all(&c.rendered)?;
        write_folds(o, &c.folds, c.unfolded, false)?;
        if let Some(ex) = &c.example {
            writeln!(o, "### Example: alert {}\n", ex.index)?;
            o.write_all(&ex.rendered)?;
        }
    }
    let loose = &ranked.loose;
    if !loose.folds.is_empty() || loose.unfolded > 0 {
        writeln!(o, "## Alerts in no root-cause cluster\n")?;
        write_folds(o, &loose.folds, loose.unfolded, true)?;
        if let Some(ex) = &loose.example {
            writeln!(o, "### Example: alert {}\n", ex.index)?;
            o.write_all(&ex.rendered)?;
        }
    }
    Ok(())
}

fn write_folds<W: Write>(o: &mut W, folds: &[Fold], unfolded: u64, sig: bool) -> io::Result<()> {
    if folds.is_empty() && unfolded == 0 {
        return Ok(());
    }
    let alerts: u64 = folds.iter().map(|f| f.count).sum::<u64>() + unfolded;
    writeln!(
        o,
        "### Alerts: {alerts} in {} {} of identical alerts\n",
        folds.len(),
        plural(folds.len() as u64, "group", "groups")
    )?;
    writeln!(
        o,
        "| alerts | time | sources | destination | proto | verdict | p(fp) | first alert |{}",
        if sig { " signature |" } else { "" }
    )?;
    writeln!(
        o,
        "|--:|---|---|---|---|---|--:|--:|{}",
        if sig { "---|" } else { "" }
    )?;
    for f in folds.iter().take(SHOWN_FOLDS) {
        writeln!(
            o,
            "| × {} | {} | {} | {} | {} | {} | {} | {} |{}",
            f.count,
            cell(&span(f.first, f.last)),
            cell(&f.sources()),
            cell(&f.dest),
            cell(&f.proto),
            f.verdict,
            f.p(),
            f.first_index,
            if sig {
                format!(" {} |", cell(&format!("[{}] {}", f.signature, f.msg)))
            } else {
                String::new()
            }
        )?;
    }
    writeln!(o)?;
    if folds.len() > SHOWN_FOLDS {
        let rest = &folds[SHOWN_FOLDS..];
        let n: u64 = rest.iter().map(|f| f.count).sum();
        writeln!(
            o,
            "… {} more groups ({n} alerts); --all lists every alert.\n",
            rest.len()
        )?;
    }
    if unfolded > 0 {
        writeln!(o, "… {unfolded} alerts beyond the groups kept.\n")?;
    }
    Ok(())
}

/// Text fenced as a code block (escaped for the terminal first: no control reaches a
/// renderer), with a fence the text cannot close.
fn fenced<W: Write>(o: &mut W, text: &str) -> io::Result<()> {
    let body = super::escape::terminal_lines(text);
    let fence = markdown_fence(&body);
    writeln!(o, "{fence}text\n{}\n{fence}\n", body.trim_end_matches('\n'))
}

fn write_alert<W: Write>(
    o: &mut W,
    e: &Explained<'_, '_>,
    level: &str,
    teach: bool,
) -> io::Result<()> {
    let a = e.alert;
    writeln!(
        o,
        "{level} Alert {}: \\[{}\\] {}\n",
        e.index,
        md(&a.signature_id()),
        md(a.msg.as_deref().unwrap_or("(no message)"))
    )?;
    let loc = match a.source.location {
        Location::Line(n) => format!("line {n}"),
        Location::Offset(n) => format!("byte {n}"),
    };
    let when = match a.timestamp.rfc3339() {
        Some(t) => t.to_string(),
        None => format!("{} (date unknown)", a.timestamp.raw),
    };
    let proto = a
        .proto
        .map(|p| p.to_string())
        .or_else(|| a.proto_text.as_ref().map(|p| p.to_string()))
        .unwrap_or_else(|| "?".into());
    writeln!(o, "| | |\n|---|---|")?;
    writeln!(o, "| read from | {}, {loc} |", cell(&a.source.path))?;
    writeln!(o, "| time | {} |", cell(&when))?;
    writeln!(
        o,
        "| traffic | {} {} → {} |",
        cell(&proto),
        cell(&super::overview::endpoint(
            &a.src.host.to_string(),
            a.src.port
        )),
        cell(&super::overview::endpoint(
            &a.dest.host.to_string(),
            a.dest.port
        ))
    )?;
    if let Some(c) = &a.classification {
        writeln!(o, "| classification | {} |", cell(c))?;
    }
    writeln!(
        o,
        "| verdict | **{}**, fp_probability {:.2} (prior {:.2} for {} signatures) |",
        e.score.verdict.as_str(),
        e.score.fp_probability,
        e.score.prior,
        cell(&e.score.prior_intent)
    )?;
    if let Some(c) = e.cluster {
        writeln!(
            o,
            "| cluster | {} ({} alerts), {}, p(fp) {:.2} |",
            md(&c.cluster.id),
            c.cluster.members,
            c.score.verdict.as_str(),
            c.score.fp_probability
        )?;
    }
    if let Some(i) = e.score.root_cause {
        if let Some(ev) = e.evidence.get(i) {
            writeln!(o, "| root cause | {} |", cell(&ev.cause))?;
        }
    }
    if let Some(u) = &e.score.undecided {
        writeln!(o, "| undetermined because | {} |", cell(u))?;
    }
    if let Some(d) = &e.score.decide {
        writeln!(o, "| what would decide it | {} |", cell(d))?;
    }
    if let Some(sig) = e.signature {
        writeln!(
            o,
            "| signature | {} ({}) |",
            cell(&sig.summary),
            cell(&sig.source)
        )?;
    }
    writeln!(o)?;
    if e.evidence.is_empty() {
        writeln!(o, "Evidence: none of the evidence rules applied.\n")?;
    } else {
        writeln!(o, "Evidence:\n")?;
        for ev in e.evidence {
            let tag = match ev.supports {
                Supports::FalsePositive => "fp",
                Supports::BenignTrigger => "benign",
                Supports::TruePositive => "attack",
            };
            let scope = if ev.scope == Scope::Cluster {
                " (cluster)"
            } else {
                ""
            };
            let refs = if ev.refs.is_empty() {
                String::new()
            } else {
                format!(" *Refs: {}*", md(&ev.refs.join("; ")))
            };
            writeln!(
                o,
                "- {:+.1} {tag}{scope} **{}**: {}{refs}",
                ev.log_odds,
                md(&ev.id),
                md(&ev.text)
            )?;
        }
        writeln!(o)?;
    }
    let checks = super::checks(e.evidence);
    if !checks.is_empty() {
        writeln!(o, "Checks:\n")?;
        for c in checks {
            writeln!(o, "- {}", md(c))?;
        }
        writeln!(o)?;
    }
    if let Some(ra) = e.rule {
        writeln!(o, "Rule:\n")?;
        let mut b = TerminalWriter::new(Vec::new());
        super::text::rule_view(&mut b, e, ra)?;
        fenced(o, &String::from_utf8_lossy(&b.into_inner()))?;
    }
    let mut b = TerminalWriter::new(Vec::new());
    super::text::payload_view(&mut b, e)?;
    let payload = String::from_utf8_lossy(&b.into_inner()).into_owned();
    match payload.split_once('\n') {
        Some((head, rows)) if !rows.trim().is_empty() => {
            writeln!(o, "{}\n", md(head.trim().trim_end_matches(':')))?;
            fenced(o, rows)?;
        }
        _ => writeln!(o, "{}\n", md(payload.trim()))?,
    }
    if teach {
        let l = super::teach::lesson(e.knowledge, e);
        for p in &l.primers {
            writeln!(o, "**Learn: {}.** {}\n", md(&p.title), md(&p.text))?;
            writeln!(o, "*References: {}*\n", md(&p.refs.join("; ")))?;
        }
        if !l.checks.is_empty() {
            writeln!(o, "What would make it a true positive, and how to check:\n")?;
        }
        for c in &l.checks {
            writeln!(o, "- {}\n", md(&c.text))?;
            if !c.commands.is_empty() {
                fenced(o, &c.commands.join("\n"))?;
            }
        }
    }
    Ok(())
}

fn write_cluster<W: Write>(o: &mut W, r: &ClusterReport) -> io::Result<()> {
    writeln!(o, "{}\n", md(&r.pattern))?;
    if !r.src_examples.is_empty() {
        writeln!(o, "- sources, e.g. {}", md(&r.src_examples.join(", ")))?;
    }
    if !r.dest_examples.is_empty() {
        writeln!(
            o,
            "- destinations, e.g. {}",
            md(&r.dest_examples.join(", "))
        )?;
    }
    if let Some(ev) = r.score.root_cause.and_then(|i| r.evidence.get(i)) {
        let label = if r.score.undecided.is_some() {
            "strongest evidence"
        } else {
            "root cause"
        };
        writeln!(o, "- {label}: {}", md(&ev.cause))?;
    }
    if let Some(u) = &r.score.undecided {
        writeln!(o, "- undetermined because {}", md(u))?;
    }
    if let Some(d) = &r.score.decide {
        writeln!(o, "- what would decide it: {}", md(d))?;
    }
    for ev in &r.evidence {
        writeln!(
            o,
            "- {:+.1} **{}**: {}",
            ev.log_odds,
            md(&ev.id),
            md(&ev.text)
        )?;
    }
    writeln!(o)?;
    if !r.suggestions.is_empty() {
        writeln!(o, "Suggested changes:\n")?;
        suggestions(o, &r.suggestions, r.engine)?;
    }
    if !r.hypotheses.list.is_empty() {
        writeln!(o, "Hypotheses:\n")?;
        for h in &r.hypotheses.list {
            writeln!(
                o,
                "- {}{} ({}, {:+.1}): {}",
                if h.favoured { "**favoured** " } else { "" },
                md(&h.name),
                h.nature.as_str(),
                h.standing,
                md(&h.tell_apart)
            )?;
        }
        writeln!(o)?;
    }
    if !r.hypotheses.why.is_empty() {
        writeln!(o, "{}\n", md(&r.hypotheses.why))?;
    }
    Ok(())
}

fn suggestions<W: Write>(o: &mut W, list: &[Suggestion], engine: Engine) -> io::Result<()> {
    for s in list {
        match (&s.change, s.render(engine)) {
            (Change::Investigate { checks }, _) => {
                writeln!(o, "- investigate:")?;
                for c in checks {
                    writeln!(o, "  - {}", md(c))?;
                }
                writeln!(o)?;
            }
            (_, Some(r)) => {
                writeln!(
                    o,
                    "- {} in {} ({} alerts); trade-off: {}\n",
                    s.kind(),
                    md(r.file),
                    s.covers,
                    md(&s.tradeoff)
                )?;
                fenced(o, &r.lines.join("\n"))?;
            }
            (_, None) => writeln!(o, "- {}: no {} form\n", s.kind(), engine.as_str())?,
        }
    }
    Ok(())
}

fn write_summary<W: Write>(o: &mut W, s: &Summary) -> io::Result<()> {
    writeln!(o, "## Summary\n")?;
    writeln!(
        o,
        "- {} records read, {} alerts, {} context events, {} clusters",
        s.records_read, s.alerts, s.context_events, s.clusters
    )?;
    for (k, v) in &s.skipped {
        writeln!(o, "- skipped ({}): {v}", md(k))?;
    }
    if s.judged_early > 0 {
        writeln!(
            o,
            "- provisional: {} alerts judged before the input ended",
            s.judged_early
        )?;
    }
    for (id, f) in &s.findings {
        writeln!(
            o,
            "- finding {} ({} alerts): {}; e.g. {}",
            md(id),
            f.alerts,
            md(&f.text),
            md(&f.examples.join(", "))
        )?;
    }
    for (p, m) in &s.errors {
        writeln!(o, "- error: {}: {}", md(p), md(m))?;
    }
    Ok(())
}
