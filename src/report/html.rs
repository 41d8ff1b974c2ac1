//! The HTML report (`--format html -o report.html`): one self-contained page, inline CSS and
//! SVG, no script, and a Content-Security-Policy that forbids every fetch. The overview's
//! structure with charts, each root cause a `<details>` to drill into, its alerts folded
//! into groups, and an example with its rule (the options the replay matched marked) and an
//! annotated hex dump (matched bytes highlighted, field names on hover).
//!
//! Templates (minijinja, auto-escaping HTML) are in `templates/`; every text from the input
//! is also escaped for controls and bidi marks before it reaches them. References become
//! links only when they are `http(s)` URLs.

use std::io::{self, Write};

use minijinja::value::Serde;
use minijinja::{context, Environment, Value};
use serde::Serialize;

use super::charts;
use super::escape::terminal;
use super::overview::{span, Overview, Ranked, VERDICTS};
use super::{Explained, ReportOptions, Summary};
use crate::cluster::ClusterReport;
use crate::evidence::{Scope, Supports};
use crate::model::Location;
use crate::signature::replay::Outcome;
use crate::signature::RuleAnalysis;
use crate::suggest::Change;

/// Groups of identical alerts listed per root cause: a few hundred rows keep the page light
/// whatever the input's size; the rest are counted.
pub const SHOWN_FOLDS: usize = 200;

/// Payload rows of the hex dump shown in full; longer payloads show these and the rows
/// holding a match (64 rows: 1 KiB).
pub const MAX_HEX_ROWS: usize = 64;

const ROW: usize = 16;

pub struct HtmlPrinter<W: Write> {
    out: W,
    env: Environment<'static>,
    overview: Overview,
    all: bool,
    teach: bool,
}

/// Text from the input, with controls and bidi marks made visible (HTML escaping is the
/// template's).
fn t(s: &str) -> String {
    terminal(s).into_owned()
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in [
        ("report.html", include_str!("templates/report.html")),
        ("cluster.html", include_str!("templates/cluster.html")),
        ("alert.html", include_str!("templates/alert.html")),
    ] {
        env.add_template(name, src)
            .expect("the built-in templates parse (tested)");
    }
    env
}

fn render(env: &Environment<'_>, name: &str, ctx: Value) -> io::Result<String> {
    env.get_template(name)
        .and_then(|tmpl| tmpl.render(ctx))
        .map_err(|e| io::Error::other(format!("template {name}: {e}")))
}

impl<W: Write> HtmlPrinter<W> {
    pub fn new(out: W, options: &ReportOptions) -> Self {
        HtmlPrinter {
            out,
            env: environment(),
            overview: Overview::default(),
            all: options.all,
            teach: options.teach,
        }
    }

    pub fn alert(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        let (env, teach) = (&self.env, self.teach);
        self.overview.add_alert(e, &|e| {
            render(env, "alert.html", Value::from(Serde(alert_view(e, teach))))
                .map(String::into_bytes)
        })
    }

    pub fn cluster(&mut self, r: &ClusterReport) -> io::Result<()> {
        let html = render(&self.env, "cluster.html", cluster_view(r))?;
        self.overview.add_cluster(r, html.into_bytes());
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        let ov = std::mem::take(&mut self.overview);
        let page = page(&self.env, ov.rank(), s, self.all)?;
        self.out.write_all(page.as_bytes())?;
        self.out.flush()
    }
}

#[derive(Serialize)]
struct FoldView {
    count: u64,
    span: String,
    sources: String,
    dest: String,
    proto: String,
    verdict: &'static str,
    p: String,
    first: u64,
}

fn page(env: &Environment<'_>, ranked: Ranked, s: &Summary, all: bool) -> io::Result<String> {
    let safe = |b: &[u8]| Value::from_safe_string(String::from_utf8_lossy(b).into_owned());
    let shown = if all { usize::MAX } else { SHOWN_FOLDS };
    // The first root cause with an example is open: its alerts and bytes are one click
    // closer than the others'.
    let open = ranked
        .causes
        .iter()
        .position(|c| c.example.is_some())
        .unwrap_or(0);
    let causes: Vec<Value> = ranked
        .causes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let folds: Vec<FoldView> = c
                .folds
                .iter()
                .take(shown)
                .map(|f| FoldView {
                    count: f.count,
                    span: span(f.first, f.last),
                    sources: t(&f.sources()),
                    dest: t(&f.dest),
                    proto: t(&f.proto),
                    verdict: f.verdict,
                    p: f.p(),
                    first: f.first_index,
                })
                .collect();
            let rest: u64 = c.folds.iter().skip(shown).map(|f| f.count).sum::<u64>() + c.unfolded;
            let more = (rest > 0).then(|| {
                format!(
                    "… {rest} more alerts in {} further groups (the text report with --all lists every alert)",
                    c.folds.len().saturating_sub(shown)
                )
            });
            context! {
                rank => i + 1,
                open => i == open,
                label => t(&c.label),
                members => c.members,
                records => c.records,
                verdict => c.verdict,
                p => format!("{:.2}", c.fp_probability),
                cause => t(&c.cause),
                action => c.action.as_deref().map(t).unwrap_or_default(),
                detail => safe(&c.rendered),
                alert_count => c.folds.iter().map(|f| f.count).sum::<u64>() + c.unfolded,
                folds => Serde(folds),
                more => more,
                example => c.example.as_ref().map(|e| safe(&e.rendered)),
                example_index => c.example.as_ref().map(|e| e.index),
            }
        })
        .collect();
    let verdicts: Vec<Value> = VERDICTS
        .iter()
        .filter_map(|v| {
            s.verdicts
                .get(v)
                .map(|n| context! { name => *v, count => *n })
        })
        .collect();
    let charts = vec![
        context! { title => "Alerts over time, by verdict", svg => Value::from_safe_string(charts::over_time(&ranked.charts)) },
        context! { title => "Top signatures", svg => Value::from_safe_string(charts::top_signatures(&ranked.charts)) },
        context! { title => "Top root causes", svg => Value::from_safe_string(charts::top_clusters(&ranked.causes)) },
        context! { title => "Histogram of fp_probability", svg => Value::from_safe_string(charts::p_histogram(&ranked.charts)) },
    ];
    let mut summary = vec![format!(
        "{} records read, {} alerts, {} context events, {} clusters",
        s.records_read, s.alerts, s.context_events, s.clusters
    )];
    for (k, v) in &s.skipped {
        summary.push(format!("skipped ({k}): {v}"));
    }
    if s.judged_early > 0 {
        summary.push(format!(
            "provisional: {} alerts judged before the input ended",
            s.judged_early
        ));
    }
    for f in s.findings.values() {
        summary.push(t(&format!(
            "finding ({} alerts): {}; e.g. {}",
            f.alerts,
            f.text,
            f.examples.join(", ")
        )));
    }
    for (p, m) in &s.errors {
        summary.push(t(&format!("error: {p}: {m}")));
    }
    let loose = &ranked.loose;
    if !loose.folds.is_empty() || loose.unfolded > 0 {
        let n: u64 = loose.folds.iter().map(|f| f.count).sum::<u64>() + loose.unfolded;
        summary.push(format!("{n} alerts in no root-cause cluster"));
    }
    render(
        env,
        "report.html",
        context! {
            alerts => s.alerts,
            context_events => s.context_events,
            verdicts => verdicts,
            charts => charts,
            causes => causes,
            summary => summary,
            version => env!("CARGO_PKG_VERSION"),
        },
    )
}

#[derive(Serialize)]
struct EvidenceView {
    weight: String,
    tag: &'static str,
    cluster: bool,
    id: String,
    text: String,
    refs: String,
}

#[derive(Serialize)]
struct Segment {
    text: String,
    matched: bool,
}

#[derive(Serialize)]
struct Link {
    text: String,
    href: Option<String>,
}

#[derive(Serialize)]
struct RuleView {
    origin: String,
    segments: Vec<Segment>,
    lines: Vec<String>,
    references: Vec<Link>,
}

#[derive(Serialize)]
struct Cell {
    hex: String,
    ch: String,
    matched: bool,
    field: bool,
    title: String,
}

#[derive(Serialize)]
struct RowView {
    offset: String,
    gap: usize,
    cells: Vec<Cell>,
    notes: String,
}

#[derive(Serialize)]
struct PayloadView {
    len: usize,
    protocol: Option<&'static str>,
    recognised_by: String,
    rows: Vec<RowView>,
}

#[derive(Serialize)]
struct AlertView {
    index: u64,
    signature_id: String,
    msg: String,
    path: String,
    location: String,
    time: String,
    proto: String,
    src: String,
    dest: String,
    classification: Option<String>,
    verdict: &'static str,
    p: String,
    prior: String,
    prior_intent: String,
    root_cause: Option<String>,
    undecided: Option<String>,
    decide: Option<String>,
    signature: Option<String>,
    evidence: Vec<EvidenceView>,
    checks: Vec<String>,
    rule: Option<RuleView>,
    payload: Option<PayloadView>,
    /// Teaching mode: primers and the checks to run next.
    lesson: Option<LessonView>,
}

#[derive(Serialize)]
struct PrimerView {
    title: String,
    text: String,
    refs: Vec<String>,
}

#[derive(Serialize)]
struct CheckView {
    text: String,
    commands: Vec<String>,
}

#[derive(Serialize)]
struct LessonView {
    primers: Vec<PrimerView>,
    checks: Vec<CheckView>,
}

fn lesson_view(e: &Explained<'_, '_>) -> LessonView {
    let l = super::teach::lesson(e.knowledge, e);
    LessonView {
        primers: l
            .primers
            .iter()
            .map(|p| PrimerView {
                title: t(&p.title),
                text: t(&p.text),
                refs: p.refs.iter().map(|r| t(r)).collect(),
            })
            .collect(),
        checks: l
            .checks
            .iter()
            .map(|c| CheckView {
                text: t(&c.text),
                commands: c.commands.iter().map(|x| t(x)).collect(),
            })
            .collect(),
    }
}

fn alert_view(e: &Explained<'_, '_>, teach: bool) -> AlertView {
    let a = e.alert;
    AlertView {
        index: e.index,
        signature_id: a.signature_id(),
        msg: t(a.msg.as_deref().unwrap_or("(no message)")),
        path: t(&a.source.path),
        location: match a.source.location {
            Location::Line(n) => format!("line {n}"),
            Location::Offset(n) => format!("byte {n}"),
        },
        time: match a.timestamp.rfc3339() {
            Some(ts) => ts.to_string(),
            None => t(&format!("{} (date unknown)", a.timestamp.raw)),
        },
        proto: t(&a
            .proto
            .map(|p| p.to_string())
            .or_else(|| a.proto_text.as_ref().map(|p| p.to_string()))
            .unwrap_or_else(|| "?".into())),
        src: t(&super::overview::endpoint(
            &a.src.host.to_string(),
            a.src.port,
        )),
        dest: t(&super::overview::endpoint(
            &a.dest.host.to_string(),
            a.dest.port,
        )),
        classification: a.classification.as_deref().map(t),
        verdict: e.score.verdict.as_str(),
        p: format!("{:.2}", e.score.fp_probability),
        prior: format!("{:.2}", e.score.prior),
        prior_intent: t(&e.score.prior_intent),
        root_cause: e
            .score
            .root_cause
            .and_then(|i| e.evidence.get(i))
            .map(|ev| t(&ev.cause)),
        undecided: e.score.undecided.as_deref().map(t),
        decide: e.score.decide.as_deref().map(t),
        signature: e
            .signature
            .map(|s| t(&format!("{} ({})", s.summary, s.source))),
        evidence: e
            .evidence
            .iter()
            .map(|ev| EvidenceView {
                weight: format!("{:+.1}", ev.log_odds),
                tag: match ev.supports {
                    Supports::FalsePositive => "fp",
                    Supports::BenignTrigger => "benign",
                    Supports::TruePositive => "attack",
                },
                cluster: ev.scope == Scope::Cluster,
                id: t(&ev.id),
                text: t(&ev.text),
                refs: t(&ev.refs.join("; ")),
            })
            .collect(),
        checks: super::checks(e.evidence).into_iter().map(t).collect(),
        rule: e.rule.map(|ra| rule_view(e, ra)),
        payload: payload_view(e),
        lesson: teach.then(|| lesson_view(e)),
    }
}

/// The rule text cut into segments, the options the replay matched marked.
fn rule_view(e: &Explained<'_, '_>, ra: &RuleAnalysis) -> RuleView {
    let text = ra.rule_text();
    let mut segments = Vec::new();
    let mut at = 0;
    for step in ra
        .replay
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Matched)
    {
        let Some(i) = text.get(at..).and_then(|rest| rest.find(&step.option)) else {
            continue;
        };
        let start = at + i;
        let end = start + step.option.len();
        if start > at {
            segments.push(Segment {
                text: t(&text[at..start]),
                matched: false,
            });
        }
        segments.push(Segment {
            text: t(&text[start..end]),
            matched: true,
        });
        at = end;
    }
    if at < text.len() {
        segments.push(Segment {
            text: t(&text[at..]),
            matched: false,
        });
    }
    let mut lines: Vec<String> = ra.replay.to_string().lines().map(t).collect();
    if let Some(m) = ra.mapping(e.dissection) {
        lines.push(t(&format!("match: {m}")));
    }
    for w in &ra.weaknesses {
        lines.push(t(&format!("weakness: {}: {}", w.weakness.0, w.message)));
    }
    RuleView {
        origin: t(&format!("{}, {}", ra.rule.origin, ra.chosen_why)),
        segments,
        lines,
        references: ra
            .references
            .iter()
            .map(|r| Link {
                text: t(r),
                href: link(r),
            })
            .collect(),
    }
}

/// A reference as a link: `http` and `https` URLs only, without spaces or controls.
fn link(r: &str) -> Option<String> {
    let lower = r.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !r
            .chars()
            .any(|c| c.is_whitespace() || super::escape::needs_escape(c) || c == '"');
    ok.then(|| r.to_string())
}

fn payload_view(e: &Explained<'_, '_>) -> Option<PayloadView> {
    let p = e.alert.payload.as_deref()?;
    let d = e.dissection;
    let mut rows = Vec::new();
    let mut gap = 0;
    for r in 0..p.len().div_ceil(ROW) {
        let start = r * ROW;
        let end = (start + ROW).min(p.len());
        let has_match = e.marks.iter().any(|m| m.start < end && m.end > start);
        if r >= MAX_HEX_ROWS && !has_match {
            gap += end - start;
            continue;
        }
        let cells = (start..end)
            .map(|i| {
                let b = p[i];
                let matched = e.marks.iter().any(|m| m.contains(&i));
                let mut names: Vec<String> = d
                    .fields
                    .iter()
                    .filter(|f| f.range.contains(&i))
                    .map(|f| format!("{} ({})", f.name, f.class.as_str()))
                    .collect();
                let field = !names.is_empty();
                if matched {
                    names.push("matched by the signature".into());
                }
                Cell {
                    hex: format!("{b:02x}"),
                    ch: if b.is_ascii_graphic() {
                        (b as char).to_string()
                    } else {
                        ".".into()
                    },
                    matched,
                    field,
                    title: t(&format!("byte {i}: {}", names.join("; "))),
                }
            })
            .collect();
        let notes: Vec<String> = d
            .fields
            .iter()
            .filter(|f| f.range.start >= start && f.range.start < end)
            .map(|f| f.name.to_string())
            .collect();
        rows.push(RowView {
            offset: format!("{start:04x}"),
            gap: std::mem::take(&mut gap),
            cells,
            notes: t(&notes.join(", ")),
        });
    }
    Some(PayloadView {
        len: p.len(),
        protocol: d.protocol,
        recognised_by: t(&d.recognised_by),
        rows,
    })
}

#[derive(Serialize)]
struct SuggestionView {
    kind: &'static str,
    file: Option<String>,
    covers: u64,
    lines: Vec<String>,
    proof: Option<String>,
    tradeoff: Option<String>,
}

#[derive(Serialize)]
struct HypothesisView {
    favoured: bool,
    name: String,
    nature: &'static str,
    standing: String,
    #[serde(rename = "for")]
    for_: Vec<String>,
    against: Vec<String>,
    tell_apart: String,
}

fn cluster_view(r: &ClusterReport) -> Value {
    let cause = r.score.root_cause.and_then(|i| r.evidence.get(i));
    let suggestions: Vec<SuggestionView> = r
        .suggestions
        .iter()
        .map(|s| match (&s.change, s.render(r.engine)) {
            (Change::Investigate { checks }, _) => SuggestionView {
                kind: "investigate",
                file: None,
                covers: 0,
                lines: checks.iter().map(|c| t(c)).collect(),
                proof: None,
                tradeoff: None,
            },
            (change, rendered) => SuggestionView {
                kind: s.kind(),
                file: rendered.as_ref().map(|x| x.file.to_string()),
                covers: s.covers,
                lines: rendered
                    .map(|x| x.lines.iter().map(|l| t(l)).collect())
                    .unwrap_or_default(),
                proof: match change {
                    Change::Tighten { proof, .. } => Some(t(proof)),
                    _ => None,
                },
                tradeoff: Some(t(&s.tradeoff)),
            },
        })
        .collect();
    let hypotheses: Vec<HypothesisView> = r
        .hypotheses
        .list
        .iter()
        .map(|h| HypothesisView {
            favoured: h.favoured,
            name: t(&h.name),
            nature: h.nature.as_str(),
            standing: format!("{:+.1}", h.standing),
            for_: h
                .evidence_for
                .iter()
                .map(|p| t(&format!("+{:.1} {}", p.weight, p.text)))
                .collect(),
            against: h
                .evidence_against
                .iter()
                .map(|p| t(&format!("-{:.1} {}", p.weight, p.text)))
                .collect(),
            tell_apart: t(&h.tell_apart),
        })
        .collect();
    let evidence: Vec<Value> = r
        .evidence
        .iter()
        .map(|e| context! { weight => format!("{:+.1}", e.log_odds), id => t(&e.id), text => t(&e.text) })
        .collect();
    context! {
        pattern => t(&r.pattern),
        sources => t(&r.src_examples.join(", ")),
        dests => t(&r.dest_examples.join(", ")),
        cause_label => if r.score.undecided.is_some() { "strongest evidence" } else { "root cause" },
        cause => cause.map(|e| t(&e.cause)),
        undecided => r.score.undecided.as_deref().map(t),
        decide => r.score.decide.as_deref().map(t),
        evidence => evidence,
        suggestions => Serde(suggestions),
        hypotheses => Serde(hypotheses),
        why => t(&r.hypotheses.why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_links_are_http_only() {
        let env = environment();
        for name in ["report.html", "cluster.html", "alert.html"] {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
        assert_eq!(
            link("https://doc.example/x").as_deref(),
            Some("https://doc.example/x")
        );
        assert_eq!(link("javascript:alert(1)"), None);
        assert_eq!(link("url,doc.example"), None);
        assert_eq!(link("http://x\"onmouseover=y"), None);
    }
}
