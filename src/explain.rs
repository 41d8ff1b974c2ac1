//! The `explain` job: read every input, and for each alert dissect, gather facts, weigh the
//! evidence, score and report. Stateless per alert; the only state is the counters.

use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;

use crate::cluster::{self, Clusterer};
use crate::dissect::{self, Dissection};
use crate::evidence::{self, Evidence, Facts, RuleBook, SignatureInfo, Value};
use crate::flow::PcapIndex;
use crate::input::{self, Flow, ReadError, ReadOptions, Sink};
use crate::knowledge::{Knowledge, KnownSignature};
use crate::model::{Alert, ContextEvent, Provenance, SkipReason};
use crate::report::{Explained, Format, Printer, Summary};
use crate::score;
use crate::signature::{RuleAnalysis, SignatureConfig, SignatureContext, SignatureError};

/// A validated configuration for `explain`.
#[derive(Clone, Debug)]
pub struct ExplainConfig {
    pub inputs: Vec<String>,
    pub read: ReadOptions,
    pub format: Format,
    pub knowledge_dir: Option<PathBuf>,
    pub evidence_dir: Option<PathBuf>,
    /// Most warnings about skipped records printed per run; the rest are only counted.
    pub max_warnings: usize,
    /// Captures to join alerts with (`--pcap`): the triggering packet and the flow's roles.
    pub pcaps: Vec<String>,
    /// Rule sets, maps and variables (`--rules`, `--sid-msg-map`, ...).
    pub signatures: SignatureConfig,
    /// Print clusters and the summary only.
    pub clusters_only: bool,
}

/// Errors that stop `explain` before it reads anything.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("knowledge: {0}")]
    Knowledge(#[from] crate::knowledge::KnowledgeError),
    #[error("evidence rules: {0}")]
    Rules(String),
    #[error("capture: {0}")]
    Pcap(String),
    #[error("signatures: {0}")]
    Signatures(#[from] SignatureError),
}

/// Bad lines in rule files and maps that are printed; the rest are counted. Rule sets written
/// for other engine versions can hold hundreds of rules fpx does not parse.
const MAX_SIGNATURE_WARNINGS: usize = 20;

/// Runs `explain`, writing the report to `out` and warnings to `warn`. Returns the summary;
/// unreadable inputs are listed in it, not returned as errors, so that one bad file does not
/// hide the others.
pub fn run<W: Write>(
    cfg: &ExplainConfig,
    out: W,
    warn: &mut dyn Write,
) -> Result<Summary, SetupError> {
    let kb = Knowledge::load(cfg.knowledge_dir.as_deref())?;
    let book = evidence::load_rules(cfg.evidence_dir.as_deref()).map_err(SetupError::Rules)?;
    let pcap = if cfg.pcaps.is_empty() {
        None
    } else {
        Some(PcapIndex::load(&cfg.pcaps).map_err(|e| SetupError::Pcap(e.to_string()))?)
    };
    // Rule sets are parsed and indexed once per run; per alert they are only looked up.
    let sigs = SignatureContext::load(&cfg.signatures)?;
    for e in sigs.warnings.iter().take(MAX_SIGNATURE_WARNINGS) {
        let _ = writeln!(
            warn,
            "fpx: {}",
            crate::report::escape::terminal(&e.to_string())
        );
    }
    if sigs.warnings.len() > MAX_SIGNATURE_WARNINGS {
        let _ = writeln!(
            warn,
            "fpx: {} more unreadable rule or map lines",
            sigs.warnings.len() - MAX_SIGNATURE_WARNINGS
        );
    }
    let (cluster_book, hypotheses) =
        cluster::load_rules(cfg.evidence_dir.as_deref()).map_err(SetupError::Rules)?;
    let mut ex = Explainer {
        cluster: Clusterer::new(&kb).with_home(
            cfg.signatures
                .home_net
                .as_deref()
                .map(cluster::home_networks)
                .unwrap_or_default(),
        ),
        kb: &kb,
        book: &book,
        pcap: pcap.as_ref(),
        sigs: &sigs,
        printer: Printer::new(cfg.format, out),
        summary: Summary::default(),
        facts: Facts::default(),
        evidence: Vec::new(),
        warn,
        warnings_left: cfg.max_warnings,
        clusters_only: cfg.clusters_only,
        io_error: None,
    };
    // Context logs first, so that alerts stream out with what the logs say about their hosts.
    for path in &input::context_first(&cfg.inputs, &cfg.read) {
        match input::read_path(path, &cfg.read, &mut ex) {
            Ok(()) => {}
            Err(ReadError::Stopped) => break,
            Err(e) => {
                let _ = writeln!(ex.warn, "fpx: {e}");
                ex.summary.errors.push((path.clone(), error_message(&e)));
            }
        }
    }
    if ex.io_error.is_none() {
        let clusters = std::mem::replace(&mut ex.cluster, Clusterer::new(&kb));
        for c in clusters.finish(&cluster_book, &hypotheses) {
            ex.summary.clusters += 1;
            if let Err(e) = ex.printer.cluster(&c) {
                ex.io_error = Some(e);
                break;
            }
        }
    }
    if ex.io_error.is_none() {
        if let Err(e) = ex.printer.summary(&ex.summary) {
            ex.io_error = Some(e);
        }
    }
    match ex.io_error {
        // A closed pipe (`fpx explain ... | head`) is a normal way to stop reading.
        Some(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            ex.summary
                .errors
                .push(("-".into(), format!("writing output: {e}")));
        }
        _ => {}
    }
    Ok(ex.summary)
}

fn error_message(e: &ReadError) -> String {
    match e {
        ReadError::Io { source, .. } => source.to_string(),
        ReadError::Corrupt {
            location, message, ..
        } => format!("{location}: {message}"),
        other => other.to_string(),
    }
}

struct Explainer<'k, 'w, W: Write> {
    kb: &'k Knowledge,
    book: &'k RuleBook,
    pcap: Option<&'k PcapIndex>,
    sigs: &'k SignatureContext,
    cluster: Clusterer<'k>,
    printer: Printer<W>,
    summary: Summary,
    facts: Facts,
    evidence: Vec<Evidence>,
    warn: &'w mut dyn Write,
    warnings_left: usize,
    clusters_only: bool,
    io_error: Option<io::Error>,
}

fn signature_info(k: &KnownSignature) -> SignatureInfo {
    SignatureInfo {
        rev: Some(k.rev),
        contents: k.contents.clone(),
        dest_port: (k.dest_port != 0).then_some(k.dest_port),
        flow: (!k.flow.is_empty()).then(|| k.flow.clone()),
        summary: k.summary.clone(),
        source: k.source.clone(),
    }
}

/// What fpx knows about the signature from the rule it analyses.
fn rule_signature_info(ra: &RuleAnalysis<'_>) -> SignatureInfo {
    let r = &ra.rule;
    SignatureInfo {
        rev: r.rev,
        contents: r
            .contents()
            .filter(|c| !c.negated)
            .map(|c| c.pattern.clone())
            .collect(),
        dest_port: ra.dest_port(),
        flow: r.flow().map(|f| f.join(",")),
        summary: ra.summary(),
        source: format!(
            "{} (sid {} rev {})",
            r.origin,
            r.sid.map_or_else(|| "?".into(), |s| s.to_string()),
            r.rev.map_or_else(|| "?".into(), |s| s.to_string())
        ),
    }
}

impl<W: Write> Explainer<'_, '_, W> {
    fn explain(&mut self, alert: &mut Alert<'_>) -> io::Result<()> {
        let sid_from = self.sigs.resolve(alert);
        let alert = &*alert;
        let dis: Dissection = dissect::dissect(alert, self.kb);
        let analysis = self.sigs.analyse(alert, &dis, sid_from, self.kb);
        let sig = match &analysis {
            Some(ra) => Some(rule_signature_info(ra)),
            None => self
                .kb
                .known_signature(alert.gid, alert.sid, alert.msg.as_deref())
                .map(signature_info),
        };
        evidence::compute_facts(&mut self.facts, alert, &dis, sig.as_ref(), self.kb);
        if let Some(ra) = &analysis {
            evidence::compute_rule_facts(&mut self.facts, alert, &dis, ra);
        }
        let context = self.cluster.alert_context(alert);
        if let Some(c) = &context {
            Clusterer::context_facts(c, &mut self.facts);
        }
        self.book.evaluate(&self.facts, &mut self.evidence);
        let intent = match self.facts.get_named("signature.intent") {
            Some(Value::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        let score = score::score(self.book, intent.as_deref(), &self.evidence);
        let num = |f: &Facts, k: &str| match f.get_named(k) {
            Some(Value::Num(n)) => Some(*n as usize),
            _ => None,
        };
        // Every range the replay matched; without a rule, the longest content's first match.
        let marks: Vec<Range<usize>> = match &analysis {
            Some(ra) => ra.payload_ranges.clone(),
            None => num(&self.facts, "match.offset")
                .zip(num(&self.facts, "match.len"))
                .map(|(o, l)| std::iter::once(o..o + l).collect())
                .unwrap_or_default(),
        };
        let cluster_id = self
            .cluster
            .alert(alert, self.summary.alerts, score.fp_probability);
        *self
            .summary
            .verdicts
            .entry(score.verdict.as_str())
            .or_default() += 1;
        let e = Explained {
            index: self.summary.alerts,
            alert,
            dissection: &dis,
            signature: sig.as_ref(),
            rule: analysis.as_ref(),
            evidence: &self.evidence,
            score: &score,
            intent: intent.as_deref(),
            marks: &marks,
            cluster: Some(cluster_id),
            context: context.as_ref(),
        };
        if self.clusters_only {
            return Ok(());
        }
        self.printer.alert(&e)
    }
}

impl<W: Write> Sink for Explainer<'_, '_, W> {
    fn alert(&mut self, mut alert: Alert<'_>) -> Flow {
        self.summary.records_read += 1;
        self.summary.alerts += 1;
        if let Some(index) = self.pcap {
            let joined = index.join(&alert);
            *self
                .summary
                .pcap_join
                .entry(joined.outcome.as_str())
                .or_default() += 1;
            joined.apply(&mut alert);
        }
        match self.explain(&mut alert) {
            Ok(()) => Flow::Continue,
            Err(e) => {
                self.io_error = Some(e);
                Flow::Stop
            }
        }
    }

    fn context(&mut self, event: ContextEvent<'_>) -> Flow {
        self.summary.records_read += 1;
        self.summary.context_events += 1;
        *self
            .summary
            .context_by_kind
            .entry(event.kind.0)
            .or_default() += 1;
        self.cluster.context(&event);
        Flow::Continue
    }

    fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, detail: Option<&str>) -> Flow {
        self.summary.records_read += 1;
        *self.summary.skipped.entry(reason.as_str()).or_default() += 1;
        let quiet = reason == SkipReason::SURROUNDING_TEXT || reason == SkipReason::BLANK;
        if !quiet && self.warnings_left > 0 {
            self.warnings_left -= 1;
            let loc = crate::input::LocationDisplay(at.location);
            let _ = writeln!(
                self.warn,
                "fpx: {}: {loc}: skipped ({}){}",
                crate::report::escape::terminal(&at.path),
                reason.as_str(),
                detail
                    .map(|d| format!(": {}", crate::report::escape::terminal(d)))
                    .unwrap_or_default()
            );
            if self.warnings_left == 0 {
                let _ = writeln!(self.warn, "fpx: further skipped records are only counted");
            }
        }
        Flow::Continue
    }
}
