//! JSON lines: one object per alert, then a summary object. The field names are a stable
//! contract, described by `schema/fpx-output.schema.json`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::value::RawValue;

use crate::cluster::ClusterReport;
use crate::evidence::Evidence;
use crate::model::time::Rfc3339;
use crate::model::{Engine, Location, Original};
use crate::score::Score;
use crate::signature::replay::Outcome;
use crate::signature::RuleAnalysis;
use crate::state::{AlertContext, StateStats};
use crate::suggest::{Change, Suggestion};

use super::{Explained, Summary};

pub struct JsonPrinter<W: Write> {
    out: W,
    line: Vec<u8>,
}

#[derive(Serialize)]
struct Source<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    format: &'a str,
}

#[derive(Serialize)]
struct AlertOut<'a> {
    timestamp: &'a str,
    timestamp_utc: Option<String>,
    year_source: &'a str,
    /// Why the time cannot be the record's real time (a zero field, a clock far off).
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp_implausible: Option<&'static str>,
    gid: u32,
    sid: Option<u32>,
    rev: Option<u32>,
    msg: Option<&'a str>,
    classification: Option<&'a str>,
    priority: Option<u32>,
    proto: Option<String>,
    src_ip: String,
    src_port: Option<u16>,
    dest_ip: String,
    dest_port: Option<u16>,
    direction: Option<&'a str>,
    app_proto: Option<&'a str>,
    payload_len: Option<usize>,
}

#[derive(Serialize)]
struct RootCause<'a> {
    id: &'a str,
    summary: &'a str,
}

#[derive(Serialize)]
struct EvidenceOut<'a> {
    id: &'a str,
    /// `alert` (the record and what the state says of its flow and hosts) or `cluster`.
    scope: &'static str,
    supports: &'a str,
    log_odds: f64,
    text: &'a str,
    refs: &'a [String],
}

#[derive(Serialize)]
struct Prior<'a> {
    intent: &'a str,
    fp_probability: f64,
    reason: &'a str,
}

#[derive(Serialize)]
struct FieldOut<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    class: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

#[derive(Serialize)]
struct DissectionOut<'a> {
    protocol: Option<&'a str>,
    recognised_by: &'a str,
    rfc: Option<&'a str>,
    is_response: Option<bool>,
    body_magic: Option<&'a str>,
    anomalies: &'a [&'static str],
    fields: Vec<FieldOut<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum OriginalOut<'a> {
    Text { format: &'a str, text: &'a str },
}

#[derive(Serialize)]
struct AlertLine<'a> {
    kind: &'static str,
    index: u64,
    source: Source<'a>,
    alert: AlertOut<'a>,
    verdict: &'static str,
    fp_probability: f64,
    prior: Prior<'a>,
    signature_intent: Option<&'a str>,
    root_cause: Option<RootCause<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    undetermined_because: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    would_decide: Option<&'a str>,
    evidence: Vec<EvidenceOut<'a>>,
    checks: Vec<&'a str>,
    suggestions: Suggestions<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a str>,
    /// The cluster's verdict when the alert was judged, and its evidence that bears on the
    /// alert (the ids of the `cluster`-scope items in `evidence`).
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_verdict: Option<ClusterVerdictOut<'a>>,
    /// Judged before the input ended: later records could still change its cluster.
    provisional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a AlertContext>,
    dissection: DissectionOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<RuleOut<'a>>,
    original: Option<OriginalOut<'a>>,
}

#[derive(Serialize)]
struct ClusterVerdictOut<'a> {
    verdict: &'static str,
    fp_probability: f64,
    members: u64,
    evidence: Vec<&'a str>,
}

#[derive(Serialize)]
struct StepOut<'a> {
    option: &'a str,
    buffer: &'a str,
    outcome: &'static str,
    ranges: Vec<[usize; 2]>,
    note: &'a str,
}

#[derive(Serialize)]
struct ReplayOut<'a> {
    verdict: &'static str,
    /// Options judged (matched or not) out of `options` replayed.
    evaluated: usize,
    options: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    steps: Vec<StepOut<'a>>,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    source: String,
    chosen_by: &'static str,
    text: String,
    replay: ReplayOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_match: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mapping: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chance_per_10k: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exclusion: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    later_rev: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    later_rev_changes: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    later_rev_exclusion: Option<&'a str>,
    weaknesses: Vec<&'a str>,
    references: &'a [String],
    matches: Vec<[usize; 2]>,
}

fn rule_out<'a>(ra: &'a RuleAnalysis, e: &Explained<'_, '_>) -> RuleOut<'a> {
    let d = e.dissection;
    RuleOut {
        source: ra.rule.origin.to_string(),
        chosen_by: ra.chosen_by.as_str(),
        text: ra.rule_text(),
        replay: ReplayOut {
            verdict: ra.replay.verdict.as_str(),
            evaluated: ra.replay.evaluated().0,
            options: ra.replay.evaluated().1,
            reason: ra.replay.reason(),
            steps: ra
                .replay
                .steps
                .iter()
                .map(|s| StepOut {
                    option: &s.option,
                    buffer: &s.buffer,
                    outcome: match s.outcome {
                        Outcome::Matched => "matched",
                        Outcome::NotMatched => "not_matched",
                        Outcome::NotEvaluable => "not_evaluable",
                    },
                    ranges: s.ranges.iter().map(|r| [r.start, r.end]).collect(),
                    note: &s.note,
                })
                .collect(),
        },
        header_match: ra.header.as_ref().map(|h| h.matches),
        mapping: ra.mapping(d),
        chance_per_10k: ra.chance_per_10k(d, e.alert.payload.as_deref()),
        exclusion: ra.exclusion.as_deref(),
        later_rev: ra.later.as_ref().and_then(|l| l.rule.rev),
        later_rev_changes: ra.later.as_ref().map(|l| l.changes.as_slice()),
        later_rev_exclusion: ra.later.as_ref().and_then(|l| l.exclusion.as_deref()),
        weaknesses: ra.weaknesses.iter().map(|w| w.message.as_str()).collect(),
        references: &ra.references,
        matches: ra.payload_ranges.iter().map(|r| [r.start, r.end]).collect(),
    }
}

#[derive(Serialize)]
struct SummaryLine<'a> {
    kind: &'static str,
    records_read: u64,
    alerts: u64,
    context_events: u64,
    skipped: &'a BTreeMap<&'static str, u64>,
    context_by_kind: &'a BTreeMap<&'static str, u64>,
    verdicts: &'a BTreeMap<&'static str, u64>,
    cluster_verdicts: &'a BTreeMap<&'static str, u64>,
    judged_early: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pcap_join: &'a BTreeMap<&'static str, u64>,
    /// Records read after a repair (`invalid_utf8`: bytes replaced with U+FFFD).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    repaired: &'a BTreeMap<&'static str, u64>,
    clusters: u64,
    state: StateOut,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    findings: &'a BTreeMap<String, crate::report::Finding>,
    errors: Vec<ErrorOut<'a>>,
}

#[derive(Serialize)]
struct StateOut {
    flows: usize,
    flows_evicted: u64,
    hosts: usize,
    hosts_untracked: u64,
    nat_mappings: usize,
    nat_untracked: u64,
    clusters: usize,
    cluster_overflow: u64,
}

impl From<StateStats> for StateOut {
    fn from(s: StateStats) -> Self {
        StateOut {
            flows: s.flows,
            flows_evicted: s.flows_evicted,
            hosts: s.hosts,
            hosts_untracked: s.hosts_untracked,
            nat_mappings: s.nat_mappings,
            nat_untracked: s.nat_untracked,
            clusters: s.clusters,
            cluster_overflow: s.cluster_overflow,
        }
    }
}

#[derive(Serialize)]
struct DistinctOut<'a> {
    count: u64,
    estimated: bool,
    pattern: Option<String>,
    examples: &'a [String],
}

#[derive(Serialize)]
struct PointOut<'a> {
    weight: f64,
    text: &'a str,
}

#[derive(Serialize)]
struct HypothesisOut<'a> {
    id: &'a str,
    name: &'a str,
    nature: &'a str,
    evidence_for: Vec<PointOut<'a>>,
    evidence_against: Vec<PointOut<'a>>,
    standing: f64,
    favoured: bool,
    tell_apart: &'a str,
}

#[derive(Serialize)]
struct FavouredOut<'a> {
    id: &'a str,
    name: &'a str,
    nature: &'a str,
    why: &'a str,
}

#[derive(Serialize)]
struct ClusterLine<'a> {
    kind: &'static str,
    id: &'a str,
    merged_ids: &'a [String],
    records: &'static str,
    record_kind: &'static str,
    label: &'a str,
    /// The members' signature, for alert clusters.
    #[serde(skip_serializing_if = "Option::is_none")]
    gid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<u32>,
    members: u64,
    first_alert: Option<u64>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    sources: DistinctOut<'a>,
    destinations: DistinctOut<'a>,
    dest_ports: u64,
    pattern: &'a str,
    verdict: &'static str,
    fp_probability: f64,
    root_cause: Option<RootCause<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    undetermined_because: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    would_decide: Option<&'a str>,
    evidence: Vec<EvidenceOut<'a>>,
    checks: Vec<&'a str>,
    suggestions: Vec<SuggestionOut<'a>>,
    hypotheses: Vec<HypothesisOut<'a>>,
    favoured: Option<FavouredOut<'a>>,
    /// When no hypothesis is favoured: why, and what would tell the closest apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    none_favoured_because: Option<&'a str>,
    /// When the favoured explanation contradicts the evidence's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    conflict: Option<&'a str>,
    what_would_tell_them_apart: Vec<&'a str>,
    facts: BTreeMap<&'static str, serde_json::Value>,
}

/// serde_json's compact output, with every character [`super::escape::needs_escape`] names
/// written as a `\u` escape, in strings and in raw pass-through records alike (serde_json
/// escapes only C0 controls; a C1 CSI or a bidi override would reach whoever `jq -r`s the
/// line). Raw JSON holds such characters only inside strings, so escaping them keeps it JSON.
#[derive(Clone, Copy, Default)]
pub struct SafeFormatter;

fn write_escaped<W: ?Sized + Write>(w: &mut W, s: &str) -> io::Result<()> {
    // Every character to escape beyond C0 is outside ASCII (and serde_json escapes C0 in
    // strings before they get here; raw JSON holds none outside strings).
    if s.is_ascii() {
        return w.write_all(s.as_bytes());
    }
    let mut from = 0;
    for (i, c) in s.char_indices() {
        if super::escape::needs_escape(c) {
            w.write_all(&s.as_bytes()[from..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{:04x}", u)?;
            }
            from = i + c.len_utf8();
        }
    }
    w.write_all(&s.as_bytes()[from..])
}

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(w, fragment)
    }

    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(w, fragment)
    }
}

/// Serialises `v` as one line of fpx's JSON output (see [`SafeFormatter`]).
pub fn to_line<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, SafeFormatter);
    v.serialize(&mut ser).map_err(io::Error::other)
}

/// An alert's suggestions: its cluster's, as the cluster wrote them once, or rendered for an
/// alert of another engine.
#[derive(Serialize)]
#[serde(untagged)]
enum Suggestions<'a> {
    Raw(&'a RawValue),
    List(Vec<SuggestionOut<'a>>),
}

/// The suggestions of a cluster as one JSON array, for its member alert lines.
pub fn suggestions_json(list: &[Suggestion], engine: Engine) -> Option<Box<RawValue>> {
    let v: Vec<SuggestionOut<'_>> = list.iter().map(|s| suggestion_out(s, engine)).collect();
    let mut buf = Vec::new();
    to_line(&mut buf, &v).ok()?;
    RawValue::from_string(String::from_utf8(buf).ok()?).ok()
}

/// A suggestion as JSON: the typed change, and its text for one engine.
#[derive(Serialize)]
pub(crate) struct SuggestionOut<'a> {
    kind: &'static str,
    /// The engine the lines are written for; `null` for "investigate".
    engine: Option<&'static str>,
    file: Option<&'static str>,
    /// The Lua table the lines are entries of (Snort 3 `suppress`, `event_filter`).
    table: Option<&'static str>,
    lines: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<u32>,
    scope: ScopeOut,
    covers: u64,
    cluster: &'a str,
    tradeoff: &'a str,
    because: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    proof: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    checks: &'a [String],
}

/// The hosts a change applies to: a tracked side and its networks, or (`track` null) every
/// alert of the signature.
#[derive(Serialize)]
struct ScopeOut {
    track: Option<&'static str>,
    addresses: Vec<String>,
}

pub(crate) fn suggestion_out(s: &Suggestion, engine: Engine) -> SuggestionOut<'_> {
    let rendered = s.render(engine);
    let (gid, sid, scope, proof, checks): (_, _, _, Option<&str>, &[String]) = match &s.change {
        Change::Suppress { gid, sid, scope } => (
            Some(*gid),
            Some(*sid),
            ScopeOut {
                track: scope.track.map(|t| t.as_str()),
                addresses: scope.addrs.iter().map(|n| n.to_string()).collect(),
            },
            None,
            &[],
        ),
        Change::Limit {
            gid, sid, track, ..
        } => (
            Some(*gid),
            Some(*sid),
            ScopeOut {
                track: Some(track.as_str()),
                addresses: Vec::new(),
            },
            None,
            &[],
        ),
        Change::Modify { gid, sid, .. }
        | Change::Update { gid, sid, .. }
        | Change::Disable { gid, sid } => (Some(*gid), Some(*sid), ScopeOut::whole(), None, &[]),
        Change::Tighten {
            gid, sid, proof, ..
        } => (
            Some(*gid),
            Some(*sid),
            ScopeOut::whole(),
            Some(proof.as_str()),
            &[],
        ),
        Change::Variable { .. } => (None, None, ScopeOut::whole(), None, &[]),
        Change::Investigate { checks } => (None, None, ScopeOut::whole(), None, checks.as_slice()),
    };
    SuggestionOut {
        kind: s.kind(),
        engine: rendered.as_ref().map(|r| r.engine.as_str()),
        file: rendered.as_ref().map(|r| r.file),
        table: rendered.as_ref().and_then(|r| r.table),
        lines: rendered.map(|r| r.lines).unwrap_or_default(),
        gid,
        sid,
        scope,
        covers: s.covers,
        cluster: &s.cluster,
        tradeoff: &s.tradeoff,
        because: &s.because,
        proof,
        checks,
    }
}

impl ScopeOut {
    fn whole() -> ScopeOut {
        ScopeOut {
            track: None,
            addresses: Vec::new(),
        }
    }
}

/// An input that could not be read, and why.
#[derive(Serialize)]
pub(crate) struct ErrorOut<'a> {
    pub path: &'a str,
    pub message: &'a str,
}

/// The root cause of a score: the evidence item it points at.
fn root_cause<'a>(score: &Score, evidence: &'a [Evidence]) -> Option<RootCause<'a>> {
    score
        .root_cause
        .and_then(|i| evidence.get(i))
        .map(|ev| RootCause {
            id: &ev.id,
            summary: &ev.cause,
        })
}

/// Evidence as alert and cluster lines both write it.
fn evidence_out(evidence: &[Evidence]) -> Vec<EvidenceOut<'_>> {
    evidence
        .iter()
        .map(|ev| EvidenceOut {
            id: &ev.id,
            scope: ev.scope.as_str(),
            supports: ev.supports.as_str(),
            log_odds: ev.log_odds,
            text: &ev.text,
            refs: &ev.refs,
        })
        .collect()
}

impl<W: Write> JsonPrinter<W> {
    pub fn new(out: W) -> Self {
        JsonPrinter {
            out,
            line: Vec::with_capacity(4096),
        }
    }

    fn emit<T: Serialize>(&mut self, v: &T) -> io::Result<()> {
        self.line.clear();
        to_line(&mut self.line, v)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    pub fn alert(&mut self, e: &Explained<'_, '_>) -> io::Result<()> {
        self.line.clear();
        alert_line(e, &mut self.line)?;
        self.out.write_all(&self.line)
    }

    /// Writes lines [`alert_line`] rendered.
    pub fn rendered(&mut self, line: &[u8]) -> io::Result<()> {
        self.out.write_all(line)
    }

    pub fn cluster(&mut self, r: &ClusterReport) -> io::Result<()> {
        let c = &r.cluster;
        let fact_text = |k: &str| r.facts.get_named(k).map(|v| v.to_string());
        let h = &r.hypotheses;
        let line = ClusterLine {
            kind: "cluster",
            id: &c.id,
            merged_ids: &c.merged,
            records: if c.key.records == crate::state::RecordKind::IdsAlert {
                "alert"
            } else {
                "context"
            },
            record_kind: c.key.records.as_str(),
            label: &c.key.label,
            gid: c.signature.map(|(g, _)| g),
            sid: c.signature.map(|(_, s)| s),
            members: c.members,
            first_alert: c.first_alert,
            first_seen: c.first.map(|t| Rfc3339(t).to_string()),
            last_seen: c.last.map(|t| Rfc3339(t).to_string()),
            sources: DistinctOut {
                count: c.src_hosts.count(),
                estimated: c.src_hosts.estimated(),
                pattern: fact_text("cluster.src_pattern"),
                examples: &r.src_examples,
            },
            destinations: DistinctOut {
                count: c.dest_hosts.count(),
                estimated: c.dest_hosts.estimated(),
                pattern: fact_text("cluster.dest_pattern"),
                examples: &r.dest_examples,
            },
            dest_ports: c.dest_ports.count(),
            pattern: &r.pattern,
            verdict: r.score.verdict.as_str(),
            fp_probability: r.score.fp_probability,
            root_cause: root_cause(&r.score, &r.evidence),
            undetermined_because: r.score.undecided.as_deref(),
            would_decide: r.score.decide.as_deref(),
            evidence: evidence_out(&r.evidence),
            checks: super::checks(&r.evidence),
            suggestions: r
                .suggestions
                .iter()
                .map(|s| suggestion_out(s, r.engine))
                .collect(),
            hypotheses: h
                .list
                .iter()
                .map(|w| HypothesisOut {
                    id: &w.id,
                    name: &w.name,
                    nature: w.nature.as_str(),
                    evidence_for: w
                        .evidence_for
                        .iter()
                        .map(|p| PointOut {
                            weight: p.weight,
                            text: &p.text,
                        })
                        .collect(),
                    evidence_against: w
                        .evidence_against
                        .iter()
                        .map(|p| PointOut {
                            weight: p.weight,
                            text: &p.text,
                        })
                        .collect(),
                    standing: (w.standing * 100.0).round() / 100.0,
                    favoured: w.favoured,
                    tell_apart: &w.tell_apart,
                })
                .collect(),
            favoured: h.favoured.map(|i| FavouredOut {
                id: &h.list[i].id,
                name: &h.list[i].name,
                nature: h.list[i].nature.as_str(),
                why: &h.why,
            }),
            none_favoured_because: (h.favoured.is_none() && !h.why.is_empty())
                .then_some(h.why.as_str()),
            conflict: h.conflict.as_deref(),
            what_would_tell_them_apart: h.list.iter().map(|w| w.tell_apart.as_str()).collect(),
            facts: r
                .facts
                .iter()
                .map(|(k, v)| {
                    let j = match v {
                        crate::evidence::Value::Str(s) => serde_json::Value::from(s.as_ref()),
                        crate::evidence::Value::Num(n) => serde_json::Number::from_f64(*n)
                            .map_or(serde_json::Value::Null, serde_json::Value::Number),
                        crate::evidence::Value::Bool(b) => serde_json::Value::Bool(*b),
                    };
                    (k, j)
                })
                .collect(),
        };
        self.emit(&line)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        let line = SummaryLine {
            kind: "summary",
            records_read: s.records_read,
            alerts: s.alerts,
            context_events: s.context_events,
            skipped: &s.skipped,
            repaired: &s.repaired,
            context_by_kind: &s.context_by_kind,
            verdicts: &s.verdicts,
            cluster_verdicts: &s.cluster_verdicts,
            judged_early: s.judged_early,
            pcap_join: &s.pcap_join,
            clusters: s.clusters,
            state: s.state.into(),
            findings: &s.findings,
            errors: s
                .errors
                .iter()
                .map(|(p, m)| ErrorOut {
                    path: p,
                    message: m,
                })
                .collect(),
        };
        self.emit(&line)?;
        self.out.flush()
    }
}

/// Renders one alert's line (with its newline) onto `out`: the work of [`JsonPrinter::alert`]
/// without the writer, so that alerts can be rendered on several threads and written in order.
///
/// Written by hand ([`raw`]), byte for byte what serde_json writes of [`AlertLine`] (debug
/// builds render both and compare): that took `explain --format json --threads 1` on the
/// 64 MiB benchmark EVE to 0.95-0.97x of its time, 0.936x of its instructions per alert.
pub fn alert_line(e: &Explained<'_, '_>, out: &mut Vec<u8>) -> io::Result<()> {
    let start = out.len();
    write_alert_line(e, out)?;
    if cfg!(debug_assertions) {
        let mut reference = Vec::new();
        alert_line_serde(e, &mut reference)?;
        assert!(
            out[start..] == reference[..],
            "hand-written alert line differs from serde's:\n{}\n{}",
            String::from_utf8_lossy(&out[start..]),
            String::from_utf8_lossy(&reference)
        );
    }
    Ok(())
}

fn write_alert_line(e: &Explained<'_, '_>, out: &mut Vec<u8>) -> io::Result<()> {
    let a = e.alert;
    let mut scratch = String::new();
    out.extend_from_slice(b"{\"kind\":\"alert\",\"index\":");
    raw::u64(out, e.index);
    out.extend_from_slice(b",\"source\":{\"path\":");
    raw::str(out, &a.source.path);
    match a.source.location {
        Location::Line(n) => {
            out.extend_from_slice(b",\"line\":");
            raw::u64(out, n);
        }
        Location::Offset(n) => {
            out.extend_from_slice(b",\"offset\":");
            raw::u64(out, n);
        }
    }
    out.extend_from_slice(b",\"format\":");
    raw::str(out, a.format.as_str());

    out.extend_from_slice(b"},\"alert\":{\"timestamp\":");
    raw::str(out, &a.timestamp.raw);
    out.extend_from_slice(b",\"timestamp_utc\":");
    match a.timestamp.rfc3339() {
        Some(t) => raw::display(out, t, &mut scratch),
        None => raw::null(out),
    }
    out.extend_from_slice(b",\"year_source\":");
    raw::str(out, a.timestamp.year_source.as_str());
    if let Some(why) = a.timestamp.implausible() {
        out.extend_from_slice(b",\"timestamp_implausible\":");
        raw::str(out, why);
    }
    out.extend_from_slice(b",\"gid\":");
    raw::u64(out, u64::from(a.gid));
    out.extend_from_slice(b",\"sid\":");
    raw::opt_u64(out, a.sid.map(u64::from));
    out.extend_from_slice(b",\"rev\":");
    raw::opt_u64(out, a.rev.map(u64::from));
    out.extend_from_slice(b",\"msg\":");
    raw::opt_str(out, a.msg.as_deref());
    out.extend_from_slice(b",\"classification\":");
    raw::opt_str(out, a.classification.as_deref());
    out.extend_from_slice(b",\"priority\":");
    raw::opt_u64(out, a.priority.map(u64::from));
    out.extend_from_slice(b",\"proto\":");
    match (a.proto, a.proto_text.as_deref()) {
        (Some(p), _) => match p.name() {
            Some(n) => raw::str(out, n),
            None => raw::display(out, p, &mut scratch),
        },
        (None, Some(t)) => raw::str(out, t),
        (None, None) => raw::null(out),
    }
    out.extend_from_slice(b",\"src_ip\":");
    a.src.host.with_text(|t| raw::str(out, t));
    out.extend_from_slice(b",\"src_port\":");
    raw::opt_u64(out, a.src.port.map(u64::from));
    out.extend_from_slice(b",\"dest_ip\":");
    a.dest.host.with_text(|t| raw::str(out, t));
    out.extend_from_slice(b",\"dest_port\":");
    raw::opt_u64(out, a.dest.port.map(u64::from));
    out.extend_from_slice(b",\"direction\":");
    raw::opt_str(out, a.direction.map(|d| d.as_str()));
    out.extend_from_slice(b",\"app_proto\":");
    raw::opt_str(out, a.app_proto.as_deref());
    out.extend_from_slice(b",\"payload_len\":");
    raw::opt_u64(out, a.payload.as_ref().map(|p| p.len() as u64));

    let score = e.score;
    out.extend_from_slice(b"},\"verdict\":");
    raw::str(out, score.verdict.as_str());
    out.extend_from_slice(b",\"fp_probability\":");
    raw::f64(out, score.fp_probability);
    out.extend_from_slice(b",\"prior\":{\"intent\":");
    raw::str(out, &score.prior_intent);
    out.extend_from_slice(b",\"fp_probability\":");
    raw::f64(out, score.prior);
    out.extend_from_slice(b",\"reason\":");
    raw::str(out, &score.prior_reason);
    out.extend_from_slice(b"},\"signature_intent\":");
    raw::opt_str(out, e.intent);
    out.extend_from_slice(b",\"root_cause\":");
    match root_cause(score, e.evidence) {
        Some(r) => {
            out.extend_from_slice(b"{\"id\":");
            raw::str(out, r.id);
            out.extend_from_slice(b",\"summary\":");
            raw::str(out, r.summary);
            out.push(b'}');
        }
        None => raw::null(out),
    }
    if let Some(u) = score.undecided.as_deref() {
        out.extend_from_slice(b",\"undetermined_because\":");
        raw::str(out, u);
    }
    if let Some(d) = score.decide.as_deref() {
        out.extend_from_slice(b",\"would_decide\":");
        raw::str(out, d);
    }
    out.extend_from_slice(b",\"evidence\":[");
    for (i, ev) in e.evidence.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"id\":");
        raw::str(out, &ev.id);
        out.extend_from_slice(b",\"scope\":");
        raw::str(out, ev.scope.as_str());
        out.extend_from_slice(b",\"supports\":");
        raw::str(out, ev.supports.as_str());
        out.extend_from_slice(b",\"log_odds\":");
        raw::f64(out, ev.log_odds);
        out.extend_from_slice(b",\"text\":");
        raw::str(out, &ev.text);
        out.extend_from_slice(b",\"refs\":");
        raw::strs(out, ev.refs.iter().map(String::as_str));
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"checks\":");
    raw::strs(out, super::checks(e.evidence));
    out.extend_from_slice(b",\"suggestions\":");
    match e.cluster {
        Some(c) => match &c.suggestions_json {
            Some(json) if c.engine == e.engine => {
                write_escaped(out, json.get())?;
            }
            _ => {
                let list: Vec<SuggestionOut<'_>> = c
                    .suggestions
                    .iter()
                    .map(|s| suggestion_out(s, e.engine))
                    .collect();
                raw::serde(out, &list)?;
            }
        },
        None => out.extend_from_slice(b"[]"),
    }
    if let Some(c) = e.cluster {
        out.extend_from_slice(b",\"cluster\":");
        raw::str(out, &c.cluster.id);
        out.extend_from_slice(b",\"cluster_verdict\":{\"verdict\":");
        raw::str(out, c.score.verdict.as_str());
        out.extend_from_slice(b",\"fp_probability\":");
        raw::f64(out, c.score.fp_probability);
        out.extend_from_slice(b",\"members\":");
        raw::u64(out, c.cluster.members);
        out.extend_from_slice(b",\"evidence\":");
        raw::strs(out, c.own_evidence().map(|ev| ev.id.as_str()));
        out.push(b'}');
    }
    out.extend_from_slice(b",\"provisional\":");
    raw::bool(out, e.provisional);
    if let Some(c) = e.context {
        out.extend_from_slice(b",\"context\":{\"src_connections\":");
        raw::u64(out, u64::from(c.src_connections));
        out.extend_from_slice(b",\"src_dns_queries\":");
        raw::u64(out, u64::from(c.src_dns_queries));
        out.extend_from_slice(b",\"dest_connections\":");
        raw::u64(out, u64::from(c.dest_connections));
        out.extend_from_slice(b",\"dest_dns_queries\":");
        raw::u64(out, u64::from(c.dest_dns_queries));
        out.extend_from_slice(b",\"dest_answered\":");
        raw::bool(out, c.dest_answered);
        out.push(b'}');
    }

    let d = e.dissection;
    out.extend_from_slice(b",\"dissection\":{\"protocol\":");
    raw::opt_str(out, d.protocol);
    out.extend_from_slice(b",\"recognised_by\":");
    raw::str(out, &d.recognised_by);
    out.extend_from_slice(b",\"rfc\":");
    raw::opt_str(out, d.rfc.as_deref());
    out.extend_from_slice(b",\"is_response\":");
    raw::opt_bool(out, d.is_response);
    out.extend_from_slice(b",\"body_magic\":");
    raw::opt_str(out, d.body_magic.as_ref().map(|m| m.name.as_str()));
    out.extend_from_slice(b",\"anomalies\":");
    raw::strs(out, d.anomalies.iter().copied());
    out.extend_from_slice(b",\"fields\":[");
    for (i, f) in d.fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"start\":");
        raw::u64(out, f.range.start as u64);
        out.extend_from_slice(b",\"end\":");
        raw::u64(out, f.range.end as u64);
        out.extend_from_slice(b",\"name\":");
        raw::str(out, &f.name);
        out.extend_from_slice(b",\"class\":");
        raw::str(out, f.class.as_str());
        if let Some(v) = f.value.as_deref() {
            out.extend_from_slice(b",\"value\":");
            raw::str(out, v);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    if let Some(ra) = e.rule {
        out.extend_from_slice(b",\"rule\":");
        raw::serde(out, &rule_out(ra, e))?;
    }
    out.extend_from_slice(b",\"original\":");
    match a.original.as_ref() {
        // A JSON original is written as read: its reader parsed it whole (see
        // `Original::Json`), so it is not parsed again here, only escaped as every raw
        // fragment is (see [`SafeFormatter`]).
        Some(Original::Json(t)) => write_escaped(out, t.trim())?,
        Some(Original::Text(t)) => {
            out.extend_from_slice(b"{\"format\":");
            raw::str(out, a.format.as_str());
            out.extend_from_slice(b",\"text\":");
            raw::str(out, t);
            out.push(b'}');
        }
        None => raw::null(out),
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// [`alert_line`] through `#[derive(Serialize)]`: the reference that debug builds check the
/// hand-written line against.
fn alert_line_serde(e: &Explained<'_, '_>, out: &mut Vec<u8>) -> io::Result<()> {
    let a = e.alert;

    let (line, offset) = match a.source.location {
        Location::Line(n) => (Some(n), None),
        Location::Offset(n) => (None, Some(n)),
    };
    // A JSON original is written after the rest of the line, as read: its reader parsed it
    // whole (see `Original::Json`), so it is not parsed again here. Validating it once more
    // with `serde_json::from_str::<&RawValue>` measured 7 % of `explain --format json` on
    // the EVE benchmark (scripts/bench.sh), the largest single item of the printer.
    let (original, raw_original) = match a.original.as_ref() {
        Some(Original::Json(t)) => (None, Some(t.as_ref())),
        Some(Original::Text(t)) => (
            Some(OriginalOut::Text {
                format: a.format.as_str(),
                text: t,
            }),
            None,
        ),
        None => (None, None),
    };
    let d = e.dissection;
    let line = AlertLine {
        kind: "alert",
        index: e.index,
        source: Source {
            path: &a.source.path,
            line,
            offset,
            format: a.format.as_str(),
        },
        alert: AlertOut {
            timestamp: &a.timestamp.raw,
            timestamp_utc: a.timestamp.rfc3339().map(|t| t.to_string()),
            year_source: a.timestamp.year_source.as_str(),
            timestamp_implausible: a.timestamp.implausible(),
            gid: a.gid,
            sid: a.sid,
            rev: a.rev,
            msg: a.msg.as_deref(),
            classification: a.classification.as_deref(),
            priority: a.priority,
            proto: a
                .proto
                .map(|p| p.to_string())
                .or_else(|| a.proto_text.as_ref().map(|p| p.to_string())),
            src_ip: a.src.host.to_string(),
            src_port: a.src.port,
            dest_ip: a.dest.host.to_string(),
            dest_port: a.dest.port,
            direction: a.direction.map(|d| d.as_str()),
            app_proto: a.app_proto.as_deref(),
            payload_len: a.payload.as_ref().map(|p| p.len()),
        },
        verdict: e.score.verdict.as_str(),
        fp_probability: e.score.fp_probability,
        prior: Prior {
            intent: &e.score.prior_intent,
            fp_probability: e.score.prior,
            reason: &e.score.prior_reason,
        },
        signature_intent: e.intent,
        root_cause: root_cause(e.score, e.evidence),
        undetermined_because: e.score.undecided.as_deref(),
        would_decide: e.score.decide.as_deref(),
        evidence: evidence_out(e.evidence),
        checks: super::checks(e.evidence),
        suggestions: match e.cluster {
            Some(c) => match &c.suggestions_json {
                Some(raw) if c.engine == e.engine => Suggestions::Raw(raw),
                _ => Suggestions::List(
                    c.suggestions
                        .iter()
                        .map(|s| suggestion_out(s, e.engine))
                        .collect(),
                ),
            },
            None => Suggestions::List(Vec::new()),
        },
        cluster: e.cluster.map(|c| c.cluster.id.as_str()),
        cluster_verdict: e.cluster.map(|c| ClusterVerdictOut {
            verdict: c.score.verdict.as_str(),
            fp_probability: c.score.fp_probability,
            members: c.cluster.members,
            evidence: c.own_evidence().map(|ev| ev.id.as_str()).collect(),
        }),
        provisional: e.provisional,
        context: e.context,
        dissection: DissectionOut {
            protocol: d.protocol,
            recognised_by: &d.recognised_by,
            rfc: d.rfc.as_deref(),
            is_response: d.is_response,
            body_magic: d.body_magic.as_ref().map(|m| m.name.as_str()),
            anomalies: &d.anomalies,
            fields: d
                .fields
                .iter()
                .map(|f| FieldOut {
                    start: f.range.start,
                    end: f.range.end,
                    name: &f.name,
                    class: f.class.as_str(),
                    value: f.value.as_deref(),
                })
                .collect(),
        },
        rule: e.rule.map(|ra| rule_out(ra, e)),
        original,
    };
    to_line(out, &line)?;
    let Some(raw) = raw_original else {
        out.push(b'\n');
        return Ok(());
    };
    // `original` is the line's last field, written `null` above: the record replaces it,
    // escaped as every raw fragment is (see [`SafeFormatter`]).
    const NULL_END: &[u8] = b"null}";
    if !out.ends_with(NULL_END) {
        return Err(io::Error::other(
            "alert line does not end with its original",
        ));
    }
    out.truncate(out.len() - NULL_END.len());
    write_escaped(out, raw.trim())?;
    out.extend_from_slice(b"}\n");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The alert line, written by hand
// ---------------------------------------------------------------------------------------------

/// The bytes of JSON values exactly as serde_json with [`SafeFormatter`] writes them, written
/// without serde's per-field machinery. The alert line is most of the JSON report: written
/// through `#[derive(Serialize)]` it was 13-15 % of `explain --format json` on the benchmark
/// EVE; see [`alert_line`] for what writing it by hand measured.
mod raw {
    use serde_json::ser::Formatter;

    use super::{write_escaped, SafeFormatter};

    /// serde_json's escape table: the escape letter of each byte that JSON strings escape.
    const fn escapes() -> [u8; 256] {
        let mut t = [0u8; 256];
        let mut i = 0;
        while i < 0x20 {
            t[i] = b'u';
            i += 1;
        }
        t[0x08] = b'b';
        t[0x09] = b't';
        t[0x0a] = b'n';
        t[0x0c] = b'f';
        t[0x0d] = b'r';
        t[b'"' as usize] = b'"';
        t[b'\\' as usize] = b'\\';
        t
    }
    static ESCAPE: [u8; 256] = escapes();

    /// A JSON string: serde_json's escapes for the bytes JSON escapes, and [`write_escaped`]
    /// (as [`SafeFormatter`] applies it) on each run of text between them.
    pub fn str(out: &mut Vec<u8>, s: &str) {
        out.push(b'"');
        let bytes = s.as_bytes();
        let mut from = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let e = ESCAPE[usize::from(b)];
            if e == 0 {
                continue;
            }
            if from < i {
                fragment(out, &s[from..i]);
            }
            match e {
                b'u' => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 0xf)],
                    ]);
                }
                e => out.extend_from_slice(&[b'\\', e]),
            }
            from = i + 1;
        }
        if from < bytes.len() {
            fragment(out, &s[from..]);
        }
        out.push(b'"');
    }

    fn fragment(out: &mut Vec<u8>, s: &str) {
        // Writing to a Vec cannot fail.
        let _ = write_escaped(out, s);
    }

    pub fn opt_str(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => str(out, s),
            None => null(out),
        }
    }

    pub fn null(out: &mut Vec<u8>) {
        out.extend_from_slice(b"null");
    }

    pub fn bool(out: &mut Vec<u8>, b: bool) {
        out.extend_from_slice(if b { b"true" } else { b"false" });
    }

    pub fn opt_bool(out: &mut Vec<u8>, b: Option<bool>) {
        match b {
            Some(b) => bool(out, b),
            None => null(out),
        }
    }

    pub fn u64(out: &mut Vec<u8>, n: u64) {
        let _ = SafeFormatter.write_u64(out, n);
    }

    pub fn opt_u64(out: &mut Vec<u8>, n: Option<u64>) {
        match n {
            Some(n) => u64(out, n),
            None => null(out),
        }
    }

    /// serde_json writes a float that is not finite as `null`.
    pub fn f64(out: &mut Vec<u8>, v: f64) {
        if v.is_finite() {
            let _ = SafeFormatter.write_f64(out, v);
        } else {
            null(out);
        }
    }

    /// Text that [`std::fmt::Display`] writes, as a JSON string.
    pub fn display(out: &mut Vec<u8>, v: impl std::fmt::Display, scratch: &mut String) {
        use std::fmt::Write as _;
        scratch.clear();
        let _ = write!(scratch, "{v}");
        str(out, scratch);
    }

    /// A list of strings.
    pub fn strs<'s>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'s str>) {
        out.push(b'[');
        for (i, s) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            str(out, s);
        }
        out.push(b']');
    }

    /// Anything else, through serde (same bytes, with its machinery).
    pub fn serde<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> std::io::Result<()> {
        super::to_line(out, v)
    }
}

#[cfg(test)]
mod tests {
    use super::{raw, to_line};

    /// serde_json with [`super::SafeFormatter`], the reference of [`raw`].
    fn serde_bytes<T: serde::Serialize + ?Sized>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        to_line(&mut out, v).unwrap();
        out
    }

    #[test]
    fn raw_strings_are_serde_json_strings() {
        let alphabet: Vec<char> =
            "ab \"\\/\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f}\u{80}\u{85}\u{9f}\
             é€\u{202e}\u{2066}\u{200b}\u{2028}\u{feff}\u{180e}😀"
                .chars()
                .collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
            let len = (r % 12) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((r >> (5 * i + 4)) % alphabet.len() as u64) as usize])
                .collect();
            let mut out = Vec::new();
            raw::str(&mut out, &s);
            assert_eq!(out, serde_bytes(&s), "{s:?}");
        }
    }

    #[test]
    fn raw_numbers_are_serde_json_numbers() {
        for v in [
            0.0,
            -0.0,
            1.0,
            0.426,
            -2.5,
            1e-7,
            1e21,
            123_456.789,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ] {
            let mut out = Vec::new();
            raw::f64(&mut out, v);
            assert_eq!(out, serde_bytes(&v), "{v}");
        }
        for n in [0, 1, 9, 10, 12_345, u64::MAX] {
            let mut out = Vec::new();
            raw::u64(&mut out, n);
            assert_eq!(out, serde_bytes(&n));
        }
    }
}
