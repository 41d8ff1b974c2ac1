//! Reporters: one per output format, each in its own file, behind one enum.

pub mod charts;
pub mod escape;
pub mod html;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod overview;
pub mod progress;
pub mod teach;
pub mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::cluster::ClusterReport;
use crate::dissect::Dissection;
use crate::evidence::{Evidence, SignatureInfo};
use crate::model::Alert;
use crate::score::Score;
use crate::signature::RuleAnalysis;
use crate::state::{AlertContext, StateStats};

/// Everything fpx concluded about one alert.
pub struct Explained<'e, 'a> {
    /// 1-based position of the alert in this run.
    pub index: u64,
    pub alert: &'e Alert<'a>,
    pub dissection: &'e Dissection,
    pub signature: Option<&'e SignatureInfo>,
    /// The rule fpx analysed for the alert (from `--rules` or the EVE `alert.rule`).
    pub rule: Option<&'e RuleAnalysis>,
    pub evidence: &'e [Evidence],
    pub score: &'e Score,
    pub intent: Option<&'e str>,
    /// Payload byte ranges the signature matched, sorted, for the payload view.
    pub marks: &'e [std::ops::Range<usize>],
    /// The alert's cluster, as weighed when the alert was judged.
    pub cluster: Option<&'e ClusterReport>,
    /// What the context logs said about its hosts, when any were read.
    pub context: Option<&'e AlertContext>,
    /// Judged before the input ended: later records could still change its cluster.
    pub provisional: bool,
    /// The engine whose dialect its suggestions are written in.
    pub engine: crate::model::Engine,
    /// The knowledge the run used (for teaching mode's primers and checks).
    pub knowledge: &'e crate::knowledge::Knowledge,
}

/// The checks a list of evidence advises, each once, in evidence order (several rules may
/// advise the same).
pub fn checks(evidence: &[Evidence]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in evidence.iter().flat_map(|ev| &ev.suggestions) {
        if !out.contains(&s.as_str()) {
            out.push(s);
        }
    }
    out
}

/// Counts for the final summary line.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub records_read: u64,
    pub alerts: u64,
    pub context_events: u64,
    pub skipped: BTreeMap<&'static str, u64>,
    pub context_by_kind: BTreeMap<&'static str, u64>,
    /// Verdicts of the alerts.
    pub verdicts: BTreeMap<&'static str, u64>,
    /// Verdicts of the clusters.
    pub cluster_verdicts: BTreeMap<&'static str, u64>,
    /// Alerts judged before the input ended (the hold window was full).
    pub judged_early: u64,
    /// What the state tables hold, and what they could not keep.
    pub state: StateStats,
    /// With `--pcap`: how many alerts found their packet, and why the others did not.
    pub pcap_join: BTreeMap<&'static str, u64>,
    /// Root-cause clusters reported.
    pub clusters: u64,
    /// Records read after a repair (invalid UTF-8 replaced), by repair.
    pub repaired: BTreeMap<&'static str, u64>,
    /// Inputs that could not be read to the end: (path, message).
    pub errors: Vec<(String, String)>,
    /// What the evidence says about the whole run (a rule variable set wrong), by evidence
    /// id: said once, with the alerts it explains.
    pub findings: BTreeMap<String, Finding>,
}

/// A run-level finding (see `finding` in `rules/variables.toml`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The finding, as the first alert showing it rendered it.
    pub text: String,
    /// How many alerts it explains.
    pub alerts: u64,
    /// The first alerts' `source -> destination`, at most [`FINDING_EXAMPLES`].
    pub examples: Vec<String>,
    /// What to change, from the evidence's suggestions.
    pub fix: Vec<String>,
}

/// Examples a finding keeps: enough to find the hosts, bounded whatever the run's size.
pub const FINDING_EXAMPLES: usize = 5;

impl Summary {
    /// Counts `alert` under the finding of every evidence item that has one.
    pub fn add_findings(
        &mut self,
        alert: &crate::model::Alert<'_>,
        evidence: &[crate::evidence::Evidence],
    ) {
        for e in evidence {
            let Some(text) = &e.finding else { continue };
            let f = self
                .findings
                .entry(e.id.clone())
                .or_insert_with(|| Finding {
                    text: text.clone(),
                    fix: e.suggestions.clone(),
                    ..Finding::default()
                });
            f.alerts += 1;
            if f.examples.len() < FINDING_EXAMPLES {
                let pair = format!("{} -> {}", alert.src.host, alert.dest.host);
                if !f.examples.contains(&pair) {
                    f.examples.push(pair);
                }
            }
        }
    }
}

/// How the text report is laid out.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Every alert in input order, then the clusters (the per-alert report), instead of the
    /// overview of root causes with identical alerts folded.
    pub all: bool,
    /// Columns the text report is wrapped at; `None`: not wrapped.
    pub width: Option<usize>,
    /// Rows of the reader's first screen, which the overview of root causes is fitted to.
    pub rows: usize,
    /// Colour verdicts and headings (ANSI), for a terminal.
    pub color: bool,
    /// Teaching mode: primers and the checks that would tell a true positive, per alert
    /// explained in full.
    pub teach: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            all: false,
            width: Some(100),
            rows: 40,
            color: false,
            teach: false,
        }
    }
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

/// A reporter writing to `W`.
pub enum Printer<W: Write> {
    Text(Box<text::TextPrinter<W>>),
    Json(json::JsonPrinter<W>),
    Markdown(Box<markdown::MarkdownPrinter<W>>),
    Html(Box<html::HtmlPrinter<W>>),
}

impl<W: Write> Printer<W> {
    pub fn new(format: Format, out: W, options: &ReportOptions) -> Self {
        match format {
            Format::Text => Printer::Text(Box::new(text::TextPrinter::new(out, options))),
            Format::Json => Printer::Json(json::JsonPrinter::new(out)),
            Format::Markdown => {
                Printer::Markdown(Box::new(markdown::MarkdownPrinter::new(out, options)))
            }
            Format::Html => Printer::Html(Box::new(html::HtmlPrinter::new(out, options))),
        }
    }

    pub fn alert(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        match self {
            Printer::Text(p) => p.alert(e),
            Printer::Json(p) => p.alert(e),
            Printer::Markdown(p) => p.alert(e),
            Printer::Html(p) => p.alert(e),
        }
    }

    /// Whether alert lines can be rendered apart from the printer ([`json::alert_line`]) and
    /// written with [`Printer::rendered`].
    pub fn renders_apart(&self) -> bool {
        matches!(self, Printer::Json(_))
    }

    /// Writes alert lines rendered by [`json::alert_line`].
    pub fn rendered(&mut self, lines: &[u8]) -> io::Result<()> {
        match self {
            Printer::Json(p) => p.rendered(lines),
            _ => Err(io::Error::other("only JSON alerts are rendered apart")),
        }
    }

    pub fn cluster(&mut self, c: &ClusterReport) -> io::Result<()> {
        match self {
            Printer::Text(p) => p.cluster(c),
            Printer::Json(p) => p.cluster(c),
            Printer::Markdown(p) => p.cluster(c),
            Printer::Html(p) => p.cluster(c),
        }
    }

    /// Writes out what is buffered (a live stream's reader gets each batch as it is judged).
    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Printer::Text(p) => p.flush(),
            Printer::Json(p) => p.flush(),
            Printer::Markdown(p) => p.flush(),
            Printer::Html(p) => p.flush(),
        }
    }

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        match self {
            Printer::Text(p) => p.summary(s),
            Printer::Json(p) => p.summary(s),
            Printer::Markdown(p) => p.summary(s),
            Printer::Html(p) => p.summary(s),
        }
    }
}
