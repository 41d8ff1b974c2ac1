//! The `explain` job.
//!
//! Every record, as it arrives, is added to the state home (`src/state`: flows, hosts, NAT,
//! and the cluster table for context records). Alerts are held back in a bounded window
//! ([`HOLD_ALERTS`], [`HOLD_BYTES`]); when the window is full, or the input ends, the held
//! alerts are judged in input order with everything the state then holds:
//!
//! 1. each alert is dissected (continuing the message an earlier alert of its stream opened),
//!    its rule analysed, its facts gathered (its own, and the state's about its flow and
//!    hosts), its own evidence weighed, and it joins its cluster with that evidence;
//! 2. the clusters of those alerts are weighed (their members' evidence plus their own);
//! 3. each alert is scored on its own evidence plus its cluster's, and printed.
//!
//! An alert that leaves the window before the input ends is judged on the records read so
//! far; its output says so (`provisional`), and the summary counts such alerts.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cluster::{self, ClusterBooks, ClusterReport};
use crate::dissect::{self, Dissection};
use crate::evidence::{
    self, Evidence, Facts, GivenVars, RuleBook, SignatureFacts, SignatureInfo, Value,
};
use crate::flow::PcapIndex;
use crate::input::{self, Flow, ReadError, ReadOptions, Sink};
use crate::knowledge::{Knowledge, KnownSignature};
use crate::model::{Alert, ContextEvent, Direction, Engine, Location, Provenance, SkipReason};
use crate::redis::worker::{Captured, Committer, Entries, StreamConfig};
use crate::report::{Explained, Format, Printer, Summary};
use crate::score::{self, Score};
use crate::signature::parse::Rule;
use crate::signature::{RuleAnalysis, SignatureConfig, SignatureContext, SignatureError};
use crate::state::clusters::AlertMember;
use crate::state::generalise::explanation;
use crate::state::{AlertContext, State};
use crate::suggest::dry_run::DryAlert;
use crate::suggest::tighten::Sample;
use crate::suggest::{self, RuleChanges};

/// Alerts held back at most before the oldest are judged. Within the window every alert is
/// judged with what all later records in it say (answers from its peer, the rest of its
/// cluster); 10 000 alerts cover the usual dump whole (the largest real file in the corpus
/// has 5,675), while a flood is judged in windows instead of waiting for its end. Measured on
/// a flood of fast alerts: 4.2 KiB per alert all told while its window is judged (the owned
/// alert, then its dissection, rule analysis and rendered evidence until it is printed), so
/// the default window costs about 42 MiB.
pub const HOLD_ALERTS: usize = 10_000;

/// Bytes held at most: the alerts' own bytes (payloads, packets, original records) plus
/// [`JUDGEMENT_BYTES`] each for what judging them adds. Alerts with large payloads shorten
/// the window rather than grow memory.
pub const HOLD_BYTES: usize = 48 << 20;

/// What judging one alert adds to its bytes until it is printed (dissection, rule analysis,
/// evidence texts): 7 KiB, from the measurement at [`HOLD_ALERTS`] on the flood of
/// tests/flood.rs (peak RSS at 40,000 alerts against `--hold 2000`, over the 8,000 alerts
/// more held: 7 KiB each once the activity, variable and host evidence rules had landed).
pub const JUDGEMENT_BYTES: usize = 7 << 10;

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
    /// How the text report is laid out (overview or every alert, width, colour).
    pub report: crate::report::ReportOptions,
    /// `-o`: the file the report goes to (else stdout), and whether it may replace one.
    pub output: Option<PathBuf>,
    pub force: bool,
    /// Warnings are not said; errors are, once, at the end.
    pub quiet: bool,
    /// Show progress on stderr while reading (a terminal, without --quiet).
    pub progress: bool,
    /// Print clusters and the summary only.
    pub clusters_only: bool,
    /// Alerts held back at most before the oldest are judged (default [`HOLD_ALERTS`]).
    pub hold_alerts: usize,
    /// The engine whose dialect suggestions are written in; `None`: the input's.
    pub engine: Option<Engine>,
    /// Keep every cluster's suggestions and every alert's signature, hosts and verdict, for
    /// `fpx suggest` and its dry run ([`run_collecting`]).
    pub collect: bool,
    /// Analysts' verdicts of earlier runs (`--feedback`).
    pub feedback: Option<PathBuf>,
    /// Threads that judge and render a window's alerts (0: one per core).
    pub threads: usize,
    /// `--follow`: the inputs are live (a growing file, a pipe that does not end).
    pub follow: bool,
    /// Longest an alert is held before it is judged, when reading can wait for more input
    /// (`--follow`): the latency the output promises. `None`: held by count and bytes only.
    pub hold_time: Option<Duration>,
    /// `--redis`: explain a Redis stream as one worker of a consumer group.
    pub redis: Option<StreamConfig>,
}

impl ExplainConfig {
    /// Every file and folder the run reads (not stdin), which its report must not replace.
    pub fn read_paths(&self) -> Vec<PathBuf> {
        let sig = &self.signatures;
        self.inputs
            .iter()
            .chain(&self.pcaps)
            .filter(|p| p.as_str() != "-")
            .map(PathBuf::from)
            .chain(sig.rules.iter().cloned())
            .chain(sig.msg_maps.iter().cloned())
            .chain(sig.classification.iter().cloned())
            .chain(sig.reference.iter().cloned())
            .chain(sig.vars.iter().cloned())
            .chain(self.feedback.iter().cloned())
            .collect()
    }
}

/// Errors that stop `explain` before it reads anything.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("knowledge: {0}")]
    Knowledge(#[from] crate::knowledge::KnowledgeError),
    #[error("evidence rules: {0}")]
    Rules(String),
    #[error("signatures: {0}")]
    Signatures(#[from] SignatureError),
    #[error("feedback: {0}")]
    Feedback(String),
    #[error("{0}")]
    Redis(#[from] crate::redis::ClientError),
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
    run_collecting(cfg, out, warn).map(|o| o.summary)
}

/// A cluster's suggestions, kept for `fpx suggest`.
#[derive(Clone, Debug)]
pub struct Suggested {
    pub cluster: String,
    pub members: u64,
    pub verdict: &'static str,
    pub fp_probability: f64,
    /// The cause in words (the root-cause evidence), when there is one.
    pub cause: Option<String>,
    /// The members' engine (or the configured one).
    pub engine: Engine,
    pub suggestions: Vec<suggest::Suggestion>,
}

/// What `explain` found, beyond its report, when [`ExplainConfig::collect`] is set.
pub struct Outcome {
    pub summary: Summary,
    pub suggested: Vec<Suggested>,
    /// Every alert's signature, hosts, time and final fp_probability, in input order.
    pub alerts: Vec<DryAlert>,
    /// Alerts left out of `alerts` (beyond [`suggest::dry_run::MAX_ALERTS`]).
    pub alerts_dropped: u64,
    /// The network variables the run used (for `$VAR` in suppressions).
    pub vars: crate::signature::vars::Vars,
}

/// Runs `explain` and returns, with the summary, what [`ExplainConfig::collect`] kept.
pub fn run_collecting<'o, W: Write + 'o>(
    cfg: &ExplainConfig,
    out: W,
    warn: &mut dyn Write,
) -> Result<Outcome, SetupError> {
    let (ticker, mut warnings) = crate::report::progress::progress(warn, cfg.progress);
    let outcome = collect(cfg, out, &mut warnings, &ticker);
    ticker.finish();
    outcome
}

fn collect<'o, W: Write + 'o>(
    cfg: &ExplainConfig,
    out: W,
    warn: &mut dyn Write,
    ticker: &crate::report::progress::Ticker,
) -> Result<Outcome, SetupError> {
    let Some(stream) = &cfg.redis else {
        return explain_into(cfg, out, warn, ticker, None);
    };
    // A worker's report lines are handed over one by one with their stream entries.
    let captured = Captured::default();
    let committer = Committer::connect(
        stream.clone(),
        Entries::default(),
        captured.clone(),
        Box::new(out),
    )?;
    explain_into(cfg, captured, warn, ticker, Some(committer))
}

fn explain_into<W: Write>(
    cfg: &ExplainConfig,
    out: W,
    warn: &mut dyn Write,
    ticker: &crate::report::progress::Ticker,
    commit: Option<Committer<'_>>,
) -> Result<Outcome, SetupError> {
    let kb = Knowledge::load(cfg.knowledge_dir.as_deref())?;
    let book = evidence::load_rules(cfg.evidence_dir.as_deref()).map_err(SetupError::Rules)?;
    // A damaged capture is an error about that capture, in the summary; the alerts are
    // still explained, with what the other captures (and its readable part) hold.
    let (pcap, pcap_errors) = if cfg.pcaps.is_empty() {
        (None, Vec::new())
    } else {
        let (idx, errors) = PcapIndex::load_each(&cfg.pcaps);
        for (_, e) in &errors {
            let _ = writeln!(
                warn,
                "fpx: --pcap: {}; the alerts are explained without what it lacks",
                crate::report::escape::terminal(&e.to_string())
            );
        }
        (Some(idx), errors)
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
    let books = cluster::load_rules(cfg.evidence_dir.as_deref()).map_err(SetupError::Rules)?;
    let home = cfg
        .signatures
        .home_net
        .as_deref()
        .map(crate::state::clusters::home_networks)
        .unwrap_or_default();
    let mut state = State::new(&kb, home);
    if let Some(p) = &cfg.feedback {
        state.feedback = crate::state::feedback::Feedback::load(p).map_err(SetupError::Feedback)?;
        if state.feedback.dropped > 0 {
            let _ = writeln!(
                warn,
                "fpx: {}: {} verdicts beyond the first {} left out",
                crate::report::escape::terminal(&p.display().to_string()),
                state.feedback.dropped,
                crate::state::feedback::MAX_ENTRIES
            );
        }
    }
    let threads = match cfg.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let mut ex = Explainer {
        state,
        threads,
        scratch: (0..threads).map(|_| Scratch::default()).collect(),
        rendered: vec![Vec::new(); threads],
        kb: &kb,
        book: &book,
        books: &books,
        pcap: pcap.as_ref(),
        sigs: &sigs,
        given_vars: GivenVars::of(&sigs.vars),
        printer: Printer::new(cfg.format, out, &cfg.report),
        summary: Summary::default(),
        held: VecDeque::new(),
        held_bytes: 0,
        hold_alerts: cfg.hold_alerts.max(1),
        hold_time: cfg.hold_time,
        warn,
        warnings_left: cfg.max_warnings,
        clusters_only: cfg.clusters_only,
        io_error: None,
        samples: HashMap::new(),
        sample_bytes: 0,
        cluster_rules: HashMap::new(),
        dry: cfg.collect.then(Vec::new),
        dry_dropped: 0,
        suggested: Vec::new(),
        json: cfg.format == Format::Json && !cfg.clusters_only,
        engine: cfg.engine,
        ticker,
        commit,
        released: Vec::new(),
        last_line: 0,
    };
    for (path, e) in pcap_errors {
        ex.summary
            .errors
            .push((path, format!("capture: {}", pcap_error_message(&e))));
    }
    // Context logs first, so that every alert is judged with what they say about its hosts.
    // A live input says when it waits, which only a reader on its own thread can act on.
    if ex.threads > 1 || cfg.follow || ex.commit.is_some() {
        read_on_a_thread(cfg, &mut ex);
    } else {
        for opened in input::open_all(&cfg.inputs, &cfg.read) {
            let path = opened.path.clone();
            let read_as = opened.format();
            let before = ex.counts();
            let result = input::read_opened(opened, &cfg.read, &mut ex);
            if !ex.input_done(&path, read_as, before, result, &cfg.read) {
                break;
            }
        }
    }
    // Reading is over: the spinner goes before the report is written.
    ex.ticker.finish();
    let reports = ex.release(true);
    if ex.io_error.is_none() {
        ex.print_clusters(reports);
    }
    ex.summary.state = ex.state.stats();
    if ex.io_error.is_none() {
        if let Err(e) = ex.printer.summary(&ex.summary) {
            ex.io_error = Some(e);
        }
    }
    ex.hand_over(u64::MAX);
    match ex.io_error {
        // A closed pipe (`fpx explain ... | head`) is a normal way to stop reading.
        Some(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            // The report could not be written, so the error is said where it can be.
            let _ = writeln!(ex.warn, "fpx: writing output: {e}");
            ex.summary
                .errors
                .push(("-".into(), format!("writing output: {e}")));
        }
        _ => {}
    }
    Ok(Outcome {
        summary: ex.summary,
        suggested: ex.suggested,
        alerts: ex.dry.unwrap_or_default(),
        alerts_dropped: ex.dry_dropped,
        vars: sigs.vars.clone(),
    })
}

/// What the reading thread sends the explaining one, in input order. Alerts are most of the
/// messages, so they are not boxed (that would be one allocation more per alert).
#[allow(clippy::large_enum_variant)]
enum Read {
    Begin {
        path: String,
        format: Option<crate::model::InputFormat>,
    },
    Alert(Alert<'static>),
    Context(ContextEvent<'static>),
    Skipped(SkipReason, Provenance<'static>, Option<String>),
    Repaired(&'static str, Provenance<'static>, String),
    End(Result<(), ReadError>),
}

/// Alerts, context events and records read (see [`Explainer::counts`]).
type Counts = (u64, u64, u64);

/// Records sent per message from the reading thread: one send per few hundred records keeps
/// the channel's cost out of the profile.
const READ_BATCH: usize = 256;

/// Batches in flight at most between the threads: with [`READ_BATCH`], 4096 records (about
/// 20 MiB of the benchmark's EVE alerts), on top of the explain job's own window, so that the
/// reader runs ahead while a window is judged: with 4 batches a per-thread sample timeline
/// showed it stalled within milliseconds of each release.
const READ_QUEUE: usize = 16;

/// The records a reader has read and not yet sent, shared between its [`Forward`] sink and a
/// live input's idle hook, which sends them before the input waits for more.
struct Batch {
    items: Vec<Read>,
    tx: std::sync::mpsc::SyncSender<Vec<Read>>,
    /// The explaining thread stopped listening (its output closed).
    closed: bool,
}

impl Batch {
    fn send(&mut self) {
        if self.items.is_empty() || self.closed {
            return;
        }
        let items = std::mem::replace(&mut self.items, Vec::with_capacity(READ_BATCH));
        self.closed = self.tx.send(items).is_err();
    }
}

/// A [`Sink`] that sends what a reader gives to the explaining thread.
struct Forward {
    batch: std::rc::Rc<std::cell::RefCell<Batch>>,
}

impl Forward {
    fn push(&mut self, r: Read) -> Flow {
        let mut b = self.batch.borrow_mut();
        b.items.push(r);
        if b.items.len() >= READ_BATCH {
            b.send();
        }
        if b.closed {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn send(&mut self) -> bool {
        let mut b = self.batch.borrow_mut();
        b.send();
        !b.closed
    }

    /// The hook a live input calls before it waits: what was read goes out now. It tells the
    /// input to stop when nobody listens any more.
    fn idle_hook(&self) -> input::follow::Idle {
        let batch = std::rc::Rc::clone(&self.batch);
        Box::new(move || match batch.try_borrow_mut() {
            Ok(mut b) => {
                b.send();
                !b.closed
            }
            Err(_) => true,
        })
    }
}

impl Sink for Forward {
    fn alert(&mut self, alert: Alert<'_>) -> Flow {
        self.push(Read::Alert(alert.into_owned()))
    }

    fn context(&mut self, event: ContextEvent<'_>) -> Flow {
        self.push(Read::Context(event.into_owned()))
    }

    fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, detail: Option<&str>) -> Flow {
        let at = at.clone().into_owned();
        self.push(Read::Skipped(reason, at, detail.map(str::to_string)))
    }

    fn repaired(&mut self, what: &'static str, at: &Provenance<'_>, detail: &str) {
        let at = at.clone().into_owned();
        let _ = self.push(Read::Repaired(what, at, detail.to_string()));
    }
}

/// Where the reading thread reads from.
enum Source {
    /// The inputs; with `follow`, the last one is read live, as it grows, after the others
    /// are read whole.
    Inputs { inputs: Vec<String>, follow: bool },
    /// A Redis stream (`--redis`), as one worker of its consumer group.
    Stream(StreamConfig, Entries),
}

fn read_source(source: Source, read: &ReadOptions, mut fwd: Forward) {
    match source {
        Source::Inputs { inputs, follow } => read_inputs(&inputs, read, follow, fwd),
        Source::Stream(cfg, entries) => {
            let label = crate::redis::worker::input_label(&cfg);
            let chunks = crate::redis::worker::spawn_fetcher(cfg, entries);
            let idle = fwd.idle_hook();
            let o = input::Opened::chunks(&label, crate::model::InputFormat::Eve, chunks, idle);
            read_one(o, read, &mut fwd);
        }
    }
}

/// Reads one input into `fwd` between its begin and end marks. Returns whether to go on.
fn read_one(o: input::Opened, read: &ReadOptions, fwd: &mut Forward) -> bool {
    let (path, format) = (o.path.clone(), o.format());
    let _ = fwd.push(Read::Begin { path, format });
    let result = input::read_opened(o, read, fwd);
    let stopped = matches!(result, Err(ReadError::Stopped));
    let _ = fwd.push(Read::End(result));
    fwd.send() && !stopped
}

fn read_inputs(inputs: &[String], read: &ReadOptions, follow: bool, mut fwd: Forward) {
    let (whole, live) = match inputs.split_last() {
        Some((last, rest)) if follow => (rest, Some(last)),
        _ => (inputs, None),
    };
    for o in input::open_all(whole, read) {
        if !read_one(o, read, &mut fwd) {
            return;
        }
    }
    if let Some(path) = live {
        // Opened only now: opening a live input waits for its first line.
        let o = input::Opened::live(path, read, fwd.idle_hook());
        read_one(o, read, &mut fwd);
    }
}

/// Reads every input on a thread of its own while this one explains what it read: parsing
/// overlaps judging. The records arrive in input order, so the result is the one of a single
/// thread. With a hold time, alerts are also released when they are due, whether or not
/// more input came.
fn read_on_a_thread<W: Write>(cfg: &ExplainConfig, ex: &mut Explainer<'_, '_, W>) {
    use std::sync::mpsc::RecvTimeoutError;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Read>>(READ_QUEUE);
    let source = match (&cfg.redis, &ex.commit) {
        (Some(stream), Some(c)) => Source::Stream(stream.clone(), c.entries()),
        _ => Source::Inputs {
            inputs: cfg.inputs.clone(),
            follow: cfg.follow,
        },
    };
    let read = cfg.read.clone();
    let reader = std::thread::spawn(move || {
        let batch = Batch {
            items: Vec::with_capacity(READ_BATCH),
            tx,
            closed: false,
        };
        let fwd = Forward {
            batch: std::rc::Rc::new(std::cell::RefCell::new(batch)),
        };
        read_source(source, &read, fwd);
    });
    let mut current: Option<(String, Option<crate::model::InputFormat>, Counts)> = None;
    let mut stopped = false;
    'batches: loop {
        let got = match ex.next_due() {
            Some(due) => rx.recv_timeout(due.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let batch = match got {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => Vec::new(),
            Err(RecvTimeoutError::Disconnected) => break,
        };
        for r in batch {
            let flow = match r {
                Read::Begin { path, format } => {
                    current = Some((path, format, ex.counts()));
                    Flow::Continue
                }
                Read::Alert(a) => ex.alert(a),
                Read::Context(e) => ex.context(e),
                Read::Skipped(reason, at, detail) => ex.skipped(reason, &at, detail.as_deref()),
                Read::Repaired(what, at, detail) => {
                    ex.repaired(what, &at, &detail);
                    Flow::Continue
                }
                Read::End(result) => {
                    let Some((path, format, before)) = current.take() else {
                        continue;
                    };
                    if ex.input_done(&path, format, before, result, &cfg.read) {
                        Flow::Continue
                    } else {
                        Flow::Stop
                    }
                }
            };
            if flow == Flow::Stop {
                stopped = true;
                break 'batches;
            }
        }
        ex.release_due(Instant::now());
        ex.hand_over(u64::MAX);
        if ex.io_error.is_some() {
            stopped = true;
            break;
        }
    }
    // Dropping the receiver tells the reader to stop. A reader that stopped early may be
    // waiting on a live input, so it is not waited for.
    drop(rx);
    if !stopped {
        let _ = reader.join();
    }
}

/// Why an input gave no alert and no log record, and what would read it (`read_as`: the
/// format it was read as).
fn nothing_understood(
    path: &str,
    records: u64,
    read: &ReadOptions,
    read_as: Option<crate::model::InputFormat>,
) -> String {
    // With a forced format, what detection would have said (of a regular file: a stream was
    // read once); else the format it was read as.
    let looks = match read.format {
        Some(_) if std::fs::metadata(path).is_ok_and(|m| m.is_file()) => input::open_input(path)
            .ok()
            .and_then(|i| input::detect_format(path, i.peek()).ok()),
        _ => read_as,
    };
    let hint = match (read.format, looks) {
        (Some(forced), Some(f)) if forced != f => format!(
            "; it looks like {} (--input-format {} was given)",
            f.as_str(),
            forced.as_str()
        ),
        (Some(forced), _) => format!("; was --input-format {} right?", forced.as_str()),
        _ => String::new(),
    };
    if records == 0 {
        format!("empty: no records{hint}")
    } else {
        format!("no alert or log record understood in {records} record(s), all skipped{hint}")
    }
}

/// A capture's error without its path (the summary names the path beside it).
fn pcap_error_message(e: &crate::input::pcap::PcapError) -> String {
    let text = e.to_string();
    text.split_once(": ")
        .map_or(text.clone(), |(_, rest)| rest.to_string())
}

/// A read error without its path (the summary names the path beside it).
fn error_message(e: &ReadError, path: &str) -> String {
    match e {
        ReadError::Io { source, .. } => source.to_string(),
        ReadError::Corrupt {
            location, message, ..
        } => format!("{location}: {message}"),
        other => {
            let text = other.to_string();
            match text.strip_prefix(path).and_then(|t| t.strip_prefix(": ")) {
                Some(rest) => rest.to_string(),
                None => text,
            }
        }
    }
}

/// A skipped record's location and what was wrong, each said once: readers start their
/// detail with the record's line ("line 3: ...") and JSON parse errors end with the place in
/// the record ("at line 1 column 24"), which for a one-line record is a column of that line.
fn plain_location(at: crate::model::Location, detail: &str) -> (String, &str) {
    let mut loc = crate::input::LocationDisplay(at).to_string();
    let mut d = detail
        .strip_prefix(loc.as_str())
        .and_then(|t| t.strip_prefix(": "))
        .unwrap_or(detail);
    if let Some((head, tail)) = d.rsplit_once(" at line 1 column ") {
        if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
            loc.push_str(&format!(", column {tail}"));
            d = head;
        }
    }
    (loc, d)
}

/// The line a record was read from (0 for records located by byte offset).
fn line_of(p: &Provenance<'_>) -> u64 {
    match p.location {
        Location::Line(n) => n,
        Location::Offset(_) => 0,
    }
}

/// An alert waiting to be judged.
struct Held {
    index: u64,
    alert: Alert<'static>,
    sid_from: Option<&'static str>,
    bytes: usize,
    /// When it was read, if it is held by time ([`ExplainConfig::hold_time`]).
    arrived: Option<Instant>,
}

/// False-positive alerts kept per signature to replay proposed rule changes on: a proposal
/// that misses the first eight misses the cause they share.
pub const MAX_FP_SAMPLES: usize = 8;

/// True-positive alerts kept per signature: more than false positives, as a proposal that
/// loses one attack is dropped (32 alerts of a few KiB each, per signature).
pub const MAX_TP_SAMPLES: usize = 32;

/// Signatures whose samples are kept at most.
pub const MAX_SAMPLED_SIGNATURES: usize = 1024;

/// Bytes of sample alerts kept at most, all signatures together (their payloads and packets;
/// the original records are not kept). Beyond, proofs rest on the samples kept so far.
pub const MAX_SAMPLE_BYTES: usize = 16 << 20;

/// False-positive and true-positive alerts of one signature, for replay proofs.
#[derive(Default)]
struct Samples {
    fp: Vec<(Alert<'static>, Option<Direction>)>,
    tp: Vec<(Alert<'static>, Option<Direction>)>,
    /// Alerts of the signature judged so far, and how many of them benign.
    alerts: u64,
    benign: u64,
}

/// The rule of a cluster's members and the later revision that excludes their traffic.
#[derive(Clone, Default)]
struct ClusterRule {
    rule: Option<std::sync::Arc<Rule>>,
    update: Option<(u32, String)>,
    /// The root cause of its first member judged benign, and of its first judged an attack.
    cause: Option<String>,
    attack_cause: Option<String>,
}

/// Evidence from the strongest to the weakest (a stable sort: equal weights keep their order).
fn sort_evidence<E: std::borrow::Borrow<Evidence>>(list: &mut [E]) {
    list.sort_by(|a, b| {
        b.borrow()
            .log_odds
            .abs()
            .total_cmp(&a.borrow().log_odds.abs())
    });
}

/// An alert's own evidence and its cluster's, strongest first.
fn final_evidence<'e>(own: &'e [Evidence], report: Option<&'e ClusterReport>) -> Vec<&'e Evidence> {
    let mut all: Vec<&Evidence> = own.iter().collect();
    if let Some(r) = report {
        all.extend(r.own_evidence());
    }
    sort_evidence(&mut all);
    all
}

/// Borrowed replay samples of kept alerts.
fn as_samples<'a>(v: Option<&'a [(Alert<'static>, Option<Direction>)]>) -> Vec<Sample<'a>> {
    v.unwrap_or_default()
        .iter()
        .map(|(alert, direction)| Sample {
            alert,
            direction: *direction,
        })
        .collect()
}

/// An alert judged on its own evidence, waiting for its cluster's. Built once per alert when
/// it leaves the window and judged, scored and rendered in place: moving it (about 2 KiB)
/// from stage to stage, five copies per alert, and a new render buffer per round cost
/// `explain --format json --threads 1` on the 64 MiB benchmark EVE 1/0.94 of the time.
struct Judged {
    index: u64,
    alert: Alert<'static>,
    sid_from: Option<&'static str>,
    dissection: Dissection,
    analysis: Option<RuleAnalysis>,
    signature: Option<Arc<SignatureInfo>>,
    evidence: Vec<Evidence>,
    intent: Option<String>,
    marks: Vec<Range<usize>>,
    context: Option<AlertContext>,
    slot: usize,
}

impl Judged {
    /// A held alert with its dissection, before it is weighed.
    fn new(h: Held, dissection: Dissection) -> Self {
        Judged {
            index: h.index,
            alert: h.alert,
            sid_from: h.sid_from,
            dissection,
            analysis: None,
            signature: None,
            evidence: Vec::new(),
            intent: None,
            marks: Vec::new(),
            context: None,
            slot: 0,
        }
    }

    /// What the printers and the threaded renderer write of the alert, with its final
    /// evidence and score.
    fn explained<'e>(
        &'e self,
        evidence: &'e [Evidence],
        score: &'e Score,
        cluster: Option<&'e ClusterReport>,
        provisional: bool,
        engine: Engine,
        knowledge: &'e Knowledge,
    ) -> Explained<'e, 'static> {
        Explained {
            index: self.index,
            alert: &self.alert,
            dissection: &self.dissection,
            signature: self.signature.as_deref(),
            rule: self.analysis.as_ref(),
            evidence,
            score,
            intent: self.intent.as_deref(),
            marks: &self.marks,
            cluster,
            context: self.context.as_ref(),
            provisional,
            engine,
            knowledge,
        }
    }
}

/// An alert scored with its cluster's evidence, ready to print.
struct Final {
    j: Judged,
    evidence: Vec<Evidence>,
    score: Score,
}

/// An alert's final score: its own evidence and its cluster's, open when its cluster's
/// explanations conflict.
fn final_score(
    book: &RuleBook,
    j: &Judged,
    report: Option<&ClusterReport>,
    evidence: &[impl std::borrow::Borrow<Evidence>],
) -> Score {
    let mut score: Score = score::score(book, j.intent.as_deref(), evidence);
    if let Some(why) = report.and_then(ClusterReport::conflict) {
        score.undetermine(format!("in its cluster, {why}"), evidence);
    }
    score
}

/// Alerts rendered per round of [`Explainer::print_rendered`]: their lines are held until
/// written (a few KiB each, so about 5 MiB a round), and a round costs two thread starts.
pub const PRINT_BATCH: usize = 1024;

/// Alerts rendered per round on one thread: 64 lines (about 512 KiB) stay in the core's
/// cache until written; 1024 a round took `explain --format json --threads 1` on the
/// 102 MiB benchmark EVE 1/0.97 of the time.
const PRINT_BATCH_ONE_THREAD: usize = 64;

/// Calls `f` on every item in place, on as many threads as `scratch` has values (the calling
/// thread among them), each thread with its own scratch value; contiguous runs of items go
/// to each thread. Returns the results in item order.
fn par_each<T: Send, S: Send, R: Send>(
    items: &mut [T],
    scratch: &mut [S],
    f: impl Fn(&mut S, &mut T) -> R + Sync,
) -> Vec<R> {
    let threads = scratch.len().clamp(1, items.len().max(1));
    let run = |chunk: &mut [T], s: &mut S| chunk.iter_mut().map(|t| f(s, t)).collect::<Vec<R>>();
    let Some((first_scratch, other_scratch)) = scratch.split_first_mut() else {
        return Vec::new();
    };
    if threads == 1 {
        return run(items, first_scratch);
    }
    let per = items.len().div_ceil(threads);
    let mut chunks = items.chunks_mut(per);
    let first = chunks.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let run = &run;
        let others: Vec<_> = chunks
            .zip(other_scratch.iter_mut())
            .map(|(c, s)| scope.spawn(move || run(c, s)))
            .collect();
        let mut out = run(first, first_scratch);
        for h in others {
            match h.join() {
                Ok(r) => out.extend(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// What one judging thread keeps from one window to the next: its facts table, and the
/// signatures it has seen.
#[derive(Default)]
struct Scratch {
    facts: Facts,
    signatures: SignatureCache,
}

/// Signatures seen at most per judging thread; beyond, the cache starts anew.
const MAX_CACHED_SIGNATURES: usize = 4096;

/// What is known of a signature without a rule to analyse (knowledge/signatures.toml) and
/// its facts, computed once per signature (gid, sid, rev, msg and classification) rather
/// than once per alert: the knowledge lookups, the intent patterns matched on the msg and
/// the formatting of the signature facts: caching them took `explain --format json
/// --threads 1` on the 64 MiB benchmark EVE to 0.98-1.00x of its time, 0.986x of its
/// instructions per alert (callgrind, its first 4,000 lines).
#[derive(Default)]
struct SignatureCache {
    entries: HashMap<u64, Arc<KnownFacts>>,
}

struct KnownFacts {
    gid: u32,
    sid: Option<u32>,
    rev: Option<u32>,
    msg: Option<String>,
    classification: Option<String>,
    sig: Option<Arc<SignatureInfo>>,
    facts: SignatureFacts,
}

impl KnownFacts {
    fn of(a: &Alert<'_>, kb: &Knowledge) -> Self {
        let sig = kb
            .known_signature(a.gid, a.sid, a.msg.as_deref())
            .map(|k| Arc::new(signature_info(k)));
        KnownFacts {
            gid: a.gid,
            sid: a.sid,
            rev: a.rev,
            msg: a.msg.as_deref().map(str::to_string),
            classification: a.classification.as_deref().map(str::to_string),
            facts: SignatureFacts::of(a, sig.as_deref(), kb),
            sig,
        }
    }

    fn is_of(&self, a: &Alert<'_>) -> bool {
        self.gid == a.gid
            && self.sid == a.sid
            && self.rev == a.rev
            && self.msg.as_deref() == a.msg.as_deref()
            && self.classification.as_deref() == a.classification.as_deref()
    }
}

impl SignatureCache {
    fn get(&mut self, a: &Alert<'_>, kb: &Knowledge) -> Arc<KnownFacts> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            a.gid,
            a.sid,
            a.rev,
            a.msg.as_deref(),
            a.classification.as_deref(),
        )
            .hash(&mut h);
        let key = h.finish();
        if let Some(e) = self.entries.get(&key).filter(|e| e.is_of(a)) {
            return Arc::clone(e);
        }
        let e = Arc::new(KnownFacts::of(a, kb));
        // A hash shared by two signatures keeps the first; the other is computed each time.
        if !self.entries.contains_key(&key) {
            if self.entries.len() >= MAX_CACHED_SIGNATURES {
                self.entries.clear();
            }
            self.entries.insert(key, Arc::clone(&e));
        }
        e
    }
}

/// What weighing an alert's own evidence reads: facts, rules and the state, shared by every
/// thread and changed by none.
struct Judges<'a, 'k> {
    kb: &'k Knowledge,
    book: &'k RuleBook,
    sigs: &'k SignatureContext,
    state: &'a State<'k>,
    given_vars: &'a GivenVars,
}

/// What weighing an alert on its own evidence gives its cluster.
struct Weighed {
    /// Why its own evidence decides as it does, for its cluster.
    why: String,
    own_log_odds: f64,
    /// The evidence that keeps its cluster from being called benign.
    veto: Option<usize>,
}

impl Judges<'_, '_> {
    /// Weighs an alert on its own evidence, with what the state holds about its flow and
    /// hosts, into `j`. `scratch` is the thread's: its facts are cleared for each alert.
    fn weigh(&self, scratch: &mut Scratch, j: &mut Judged) -> Weighed {
        let (alert, dis) = (&j.alert, &j.dissection);
        let kb = self.kb;
        let analysis = self.sigs.analyse(alert, dis, j.sid_from, kb);
        let facts = &mut scratch.facts;
        let sig = match &analysis {
            Some(ra) => {
                let sig = Arc::new(rule_signature_info(ra));
                evidence::compute_facts(facts, alert, dis, Some(&sig), kb);
                Some(sig)
            }
            None => {
                let known = scratch.signatures.get(alert, kb);
                let sig = known.sig.clone();
                evidence::compute_facts_with(
                    facts,
                    alert,
                    dis,
                    sig.as_deref(),
                    Some(&known.facts),
                    kb,
                );
                sig
            }
        };
        if let Some(ra) = &analysis {
            evidence::compute_rule_facts(facts, alert, dis, ra);
        }
        self.state.alert_facts(alert, facts);
        evidence::compute_variable_facts(
            facts,
            alert,
            &self.sigs.vars,
            self.given_vars,
            analysis.as_ref().and_then(|ra| ra.rule.header.as_ref()),
        );
        let context = self.state.alert_context(alert);
        let mut ev = Vec::new();
        self.book.evaluate(facts, &mut ev);
        let intent = match facts.get_named("signature.intent") {
            Some(Value::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        let own = score::score(self.book, intent.as_deref(), &ev);
        let num = |f: &Facts, k: &str| match f.get_named(k) {
            Some(Value::Num(n)) => Some(*n as usize),
            _ => None,
        };
        // Every range the replay matched; without a rule, the longest content's first match.
        let marks: Vec<Range<usize>> = match &analysis {
            Some(ra) => ra.payload_ranges.clone(),
            None => num(facts, "match.offset")
                .zip(num(facts, "match.len"))
                .map(|(o, l)| std::iter::once(o..o + l).collect())
                .unwrap_or_default(),
        };
        // What the alert brings its cluster: its evidence but what stays with it (analysts'
        // verdicts about its hosts), and the verdict that evidence gives.
        let (shared, shared_score): (std::borrow::Cow<'_, [Evidence]>, _) =
            if ev.iter().any(|e| e.alert_only) {
                let v: Vec<Evidence> = ev.iter().filter(|e| !e.alert_only).cloned().collect();
                let s = score::score(self.book, intent.as_deref(), &v);
                (v.into(), s)
            } else {
                (ev.as_slice().into(), own.clone())
            };
        let why = explanation(&shared_score, &shared);
        let own_log_odds = shared.iter().map(|e| e.log_odds).sum();
        drop(shared);
        let veto = ev
            .iter()
            .position(|e| e.vetoes_benign && e.supports == evidence::Supports::TruePositive);
        j.analysis = analysis;
        j.signature = sig;
        j.evidence = ev;
        j.intent = intent;
        j.marks = marks;
        j.context = context;
        Weighed {
            why,
            own_log_odds,
            veto,
        }
    }
}

struct Explainer<'k, 'w, W: Write> {
    kb: &'k Knowledge,
    book: &'k RuleBook,
    books: &'k ClusterBooks,
    pcap: Option<&'k PcapIndex>,
    sigs: &'k SignatureContext,
    /// HOME_NET and EXTERNAL_NET as given, described once for the variable facts.
    given_vars: GivenVars,
    state: State<'k>,
    /// Threads that judge and render alerts (see [`par_each`]).
    threads: usize,
    /// Each judging thread's facts table, and its buffer of rendered lines: kept from one
    /// window to the next (a new buffer of several MiB per round faulted its pages in anew).
    scratch: Vec<Scratch>,
    rendered: Vec<Vec<u8>>,
    printer: Printer<W>,
    summary: Summary,
    held: VecDeque<Held>,
    held_bytes: usize,
    hold_alerts: usize,
    hold_time: Option<Duration>,
    warn: &'w mut dyn Write,
    warnings_left: usize,
    clusters_only: bool,
    io_error: Option<io::Error>,
    samples: HashMap<(u32, u32), Samples>,
    /// Bytes the samples hold (see [`MAX_SAMPLE_BYTES`]).
    sample_bytes: usize,
    cluster_rules: HashMap<usize, ClusterRule>,
    /// Every alert's signature, hosts, time and verdict, for the dry run.
    dry: Option<Vec<DryAlert>>,
    /// Alerts beyond [`suggest::dry_run::MAX_ALERTS`], left out of the dry run.
    dry_dropped: u64,
    /// Every cluster's suggestions, when collecting.
    suggested: Vec<Suggested>,
    /// The report is JSON (clusters then write their suggestions once for their alerts).
    json: bool,
    engine: Option<Engine>,
    ticker: &'w crate::report::progress::Ticker,
    /// `--redis`: hands results over with their stream entries.
    commit: Option<Committer<'w>>,
    /// The source lines of the alerts printed since the last hand-over, in order.
    released: Vec<u64>,
    /// The last source line read (every record of a line up to it has been seen).
    last_line: u64,
}

/// What the explain job knows about a signature from the knowledge base.
pub fn signature_info(k: &KnownSignature) -> SignatureInfo {
    SignatureInfo {
        msg: Some(k.msg.clone()),
        rev: Some(k.rev),
        contents: k.contents.clone(),
        dest_port: (k.dest_port != 0).then_some(k.dest_port),
        flow: (!k.flow.is_empty()).then(|| k.flow.clone()),
        summary: k.summary.clone(),
        source: k.source.clone(),
    }
}

/// What fpx knows about the signature from the rule it analyses.
fn rule_signature_info(ra: &RuleAnalysis) -> SignatureInfo {
    let r = &ra.rule;
    SignatureInfo {
        msg: r.msg.clone(),
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

impl<'k, W: Write> Explainer<'k, '_, W> {
    /// Alerts, context events and records read so far.
    fn counts(&self) -> Counts {
        (
            self.summary.alerts,
            self.summary.context_events,
            self.summary.records_read,
        )
    }

    /// Accounts for one input read (`before`: [`Explainer::counts`] before it). Returns
    /// whether to read the next input.
    fn input_done(
        &mut self,
        path: &str,
        read_as: Option<crate::model::InputFormat>,
        before: Counts,
        result: Result<(), ReadError>,
        read: &ReadOptions,
    ) -> bool {
        match result {
            Ok(()) => {
                let understood =
                    self.summary.alerts + self.summary.context_events - before.0 - before.1;
                if understood == 0 {
                    // No silent success: an input of which nothing was understood is an
                    // error about it, with what it looks like.
                    let records = self.summary.records_read - before.2;
                    let why = nothing_understood(path, records, read, read_as);
                    let _ = writeln!(
                        self.warn,
                        "fpx: {}: {}",
                        crate::report::escape::terminal(path),
                        crate::report::escape::terminal(&why)
                    );
                    self.summary.errors.push((path.to_string(), why));
                }
                true
            }
            Err(ReadError::Stopped) => false,
            Err(e) => {
                let _ = writeln!(
                    self.warn,
                    "fpx: {}",
                    crate::report::escape::terminal(&e.to_string())
                );
                self.summary
                    .errors
                    .push((path.to_string(), error_message(&e, path)));
                true
            }
        }
    }

    /// Dissects an alert, continuing the message an earlier alert of its TCP stream opened,
    /// and records what it opens for later alerts. In input order, on the reading thread: the
    /// dissection of an alert depends on the alerts before it.
    fn dissect_in_order(&mut self, h: &Held) -> Dissection {
        let alert = &h.alert;
        let kb = self.kb;
        let continuation = self
            .state
            .flows
            .continuation(alert)
            .map(|c| (c.message.start.clone(), c.offset, c.message.alert_index));
        let dis: Dissection = match (&continuation, alert.payload.as_deref()) {
            // A payload the dissectors recognise on its own speaks for itself.
            (Some((start, offset, from)), Some(p)) => {
                let own = dissect::dissect(alert, kb);
                if own.protocol.is_some() {
                    own
                } else {
                    dissect::continued(p.len(), start, *offset, *from)
                }
            }
            _ => dissect::dissect(alert, kb),
        };
        self.state.flows.explained(alert, h.index, &dis);
        dis
    }

    /// Adds an alert weighed on its own evidence to its cluster, in input order.
    fn join(&mut self, j: &mut Judged, w: Weighed) {
        j.slot = self.state.clusters.add_alert(
            &j.alert,
            &w.why,
            AlertMember {
                index: j.index,
                intent: j.intent.as_deref(),
                own_log_odds: w.own_log_odds,
                veto: w
                    .veto
                    .and_then(|i| j.evidence.get(i))
                    .map(|e| e.cause.as_str()),
            },
        );
    }

    /// Judges and prints held alerts: all of them at the end of input, else the older half of
    /// the window. Returns the reports of the clusters it weighed.
    fn release(&mut self, at_end: bool) -> HashMap<usize, ClusterReport> {
        let take = if at_end {
            self.held.len()
        } else {
            self.held.len().div_ceil(2)
        };
        self.release_front(take, !at_end)
    }

    /// Judges and prints the alerts held longer than the hold time, and flushes the output
    /// so that they reach the reader of a live stream now.
    fn release_due(&mut self, now: Instant) {
        let Some(hold) = self.hold_time else {
            return;
        };
        let due = self
            .held
            .iter()
            .take_while(|h| h.arrived.is_some_and(|t| now.duration_since(t) >= hold))
            .count();
        if due > 0 {
            self.release_front(due, true);
        }
        if self.io_error.is_none() {
            if let Err(e) = self.printer.flush() {
                self.io_error = Some(e);
            }
        }
    }

    /// Hands what was written over to the stream (`--redis`): the released alerts' results,
    /// and every entry of a line below `bound` (and below the oldest alert still held) as
    /// done.
    fn hand_over(&mut self, bound: u64) {
        let Some(c) = self.commit.as_mut() else {
            return;
        };
        let held = self.held.front().map(|h| line_of(&h.alert.source));
        let bound = bound
            .min(self.last_line.saturating_add(1))
            .min(held.unwrap_or(u64::MAX));
        if let Err(e) = c.commit(&self.released, bound) {
            self.io_error.get_or_insert(e);
        }
        self.released.clear();
    }

    /// When the oldest held alert is due ([`Explainer::release_due`]).
    fn next_due(&self) -> Option<Instant> {
        Some(self.held.front()?.arrived? + self.hold_time?)
    }

    /// Judges and prints the `take` oldest held alerts (`provisional`: before the input
    /// ended). Returns the reports of the clusters it weighed.
    fn release_front(&mut self, take: usize, provisional: bool) -> HashMap<usize, ClusterReport> {
        let mut judged = Vec::with_capacity(take);
        for _ in 0..take {
            let Some(h) = self.held.pop_front() else {
                break;
            };
            self.held_bytes -= h.bytes;
            if self.commit.is_some() {
                self.released.push(line_of(&h.alert.source));
            }
            let dis = self.dissect_in_order(&h);
            judged.push(Judged::new(h, dis));
        }
        // Each alert's own evidence reads the state and changes nothing: weighed on every
        // thread, then joined to the clusters in input order.
        let judges = Judges {
            kb: self.kb,
            book: self.book,
            sigs: self.sigs,
            state: &self.state,
            given_vars: &self.given_vars,
        };
        let weighed = par_each(&mut judged, &mut self.scratch, |s, j| judges.weigh(s, j));
        for (j, w) in judged.iter_mut().zip(weighed) {
            self.join(j, w);
        }
        self.state.clusters.merge_port_spread();
        let mut reports: HashMap<usize, ClusterReport> = HashMap::new();
        for j in &judged {
            let slot = self.state.clusters.resolve(j.slot);
            if let std::collections::hash_map::Entry::Vacant(v) = reports.entry(slot) {
                if let Some(c) = self.state.clusters.get(slot) {
                    v.insert(cluster::judge(c, &self.state, self.books, self.book));
                }
            }
        }
        if provisional {
            self.summary.judged_early += judged.len() as u64;
        }
        // Final scores first, without copying the evidence (the window's alerts are many),
        // for what the suggest stage needs of them; then the clusters' suggestions; then each
        // alert with its evidence, printed and dropped one by one.
        // (Scoring twice costs less than keeping ten thousand scores.)
        for j in &judged {
            let report = reports.get(&self.state.clusters.resolve(j.slot));
            let evidence = final_evidence(&j.evidence, report);
            let score = self.final_score(j, report, &evidence);
            self.remember(j, &score, &evidence);
        }
        for (slot, r) in reports.iter_mut() {
            self.suggest(*slot, r);
        }
        if self.printer.renders_apart() && !self.clusters_only {
            self.print_rendered(&mut judged, &reports, provisional);
            return reports;
        }
        for mut j in judged {
            if self.io_error.is_some() {
                break;
            }
            let report = reports.get(&self.state.clusters.resolve(j.slot));
            let mut evidence = std::mem::take(&mut j.evidence);
            if let Some(r) = report {
                evidence.extend(r.own_evidence().cloned());
            }
            sort_evidence(&mut evidence);
            let score = self.final_score(&j, report, &evidence);
            if let Err(e) = self.print_alert(Final { j, evidence, score }, report, provisional) {
                self.io_error = Some(e);
            }
        }
        reports
    }

    /// Scores and renders judged alerts on every thread, [`PRINT_BATCH`] at a time, and writes
    /// their lines in input order.
    fn print_rendered(
        &mut self,
        judged: &mut [Judged],
        reports: &HashMap<usize, ClusterReport>,
        provisional: bool,
    ) {
        // One thread starts no threads per round: its rounds are kept small, so that the
        // lines it renders are still in cache when they are written.
        let per_round = if self.threads == 1 {
            PRINT_BATCH_ONE_THREAD
        } else {
            PRINT_BATCH
        };
        for batch in judged.chunks_mut(per_round) {
            if self.io_error.is_some() {
                return;
            }
            let (book, clusters, engine, kb) =
                (self.book, &self.state.clusters, self.engine, self.kb);
            // Each thread renders its run of alerts into one buffer, written whole. The
            // alert keeps its final evidence, for the summary.
            let finals = par_each(batch, &mut self.rendered, |out: &mut Vec<u8>, j| {
                let report = reports.get(&clusters.resolve(j.slot));
                let mut evidence = std::mem::take(&mut j.evidence);
                if let Some(r) = report {
                    evidence.extend(r.own_evidence().cloned());
                }
                sort_evidence(&mut evidence);
                let score = final_score(book, j, report, &evidence);
                let engine = engine.or(j.alert.engine).unwrap_or(Engine::Suricata);
                let e = j.explained(&evidence, &score, report, provisional, engine, kb);
                let failed = crate::report::json::alert_line(&e, out).err();
                j.evidence = evidence;
                (score.verdict.as_str(), failed)
            });
            for (j, (verdict, failed)) in batch.iter().zip(finals) {
                *self.summary.verdicts.entry(verdict).or_default() += 1;
                self.summary.add_findings(&j.alert, &j.evidence);
                if let Some(e) = failed {
                    self.io_error.get_or_insert(e);
                }
            }
            for b in &mut self.rendered {
                if self.io_error.is_none() {
                    if let Err(e) = self.printer.rendered(b) {
                        self.io_error = Some(e);
                    }
                }
                b.clear();
            }
        }
    }

    /// An alert's final score: its own evidence and its cluster's (as [`final_evidence`]
    /// lists them), open when its cluster's explanations conflict.
    fn final_score(
        &self,
        j: &Judged,
        report: Option<&ClusterReport>,
        evidence: &[impl std::borrow::Borrow<Evidence>],
    ) -> Score {
        final_score(self.book, j, report, evidence)
    }

    /// Keeps what later stages need of a judged alert: samples of its signature for replay
    /// proofs, its cluster's rule, and (for a dry run) its signature, hosts and verdict.
    fn remember(&mut self, j: &Judged, score: &Score, evidence: &[&Evidence]) {
        let a = &j.alert;
        let slot = self.state.clusters.resolve(j.slot);
        let cause = || {
            score
                .root_cause
                .and_then(|i| evidence.get(i))
                .map(|e| e.cause.clone())
        };
        let info = self.cluster_rules.entry(slot).or_default();
        if score.verdict.is_benign() && info.cause.is_none() {
            info.cause = cause();
        } else if score.verdict == crate::score::Verdict::TruePositive
            && info.attack_cause.is_none()
        {
            info.attack_cause = cause();
        }
        if let Some(ra) = &j.analysis {
            let info = self.cluster_rules.entry(slot).or_default();
            if info.rule.is_none() {
                info.rule = Some(ra.rule.clone());
                info.update = ra
                    .later
                    .as_ref()
                    .filter(|l| l.exclusion.is_some())
                    .and_then(|l| l.rule.rev.map(|rev| (rev, l.rule.origin.to_string())));
            }
        }
        if let Some(sid) = a.sid {
            let key = (a.gid, sid);
            if self.samples.len() < MAX_SAMPLED_SIGNATURES || self.samples.contains_key(&key) {
                let s = self.samples.entry(key).or_default();
                s.alerts += 1;
                s.benign += u64::from(score.verdict.is_benign());
                let direction = j.analysis.as_ref().and_then(|ra| ra.direction);
                let list = match score.verdict {
                    v if v.is_benign() => Some((&mut s.fp, MAX_FP_SAMPLES)),
                    crate::score::Verdict::TruePositive => Some((&mut s.tp, MAX_TP_SAMPLES)),
                    _ => None,
                };
                if let Some((l, _)) = list.filter(|(l, max)| l.len() < *max) {
                    let mut kept = a.clone();
                    kept.original = None;
                    let bytes = kept.heap_size() + std::mem::size_of::<Alert<'static>>();
                    if self.sample_bytes + bytes <= MAX_SAMPLE_BYTES {
                        self.sample_bytes += bytes;
                        l.push((kept, direction));
                    }
                }
            }
        }
        if let Some(d) = self.dry.as_mut() {
            if d.len() >= suggest::dry_run::MAX_ALERTS {
                self.dry_dropped += 1;
                return;
            }
            d.push(DryAlert {
                gid: a.gid,
                sid: a.sid.unwrap_or(0),
                src: a.src.host.ip(),
                dst: a.dest.host.ip(),
                micros: a.timestamp.unix_micros,
                fp_probability: score.fp_probability,
            });
        }
    }

    /// The suggest stage for one cluster, with the rule its members fired and the samples of
    /// their signature, in the configured engine's dialect (else the members').
    fn suggest(&self, slot: usize, r: &mut ClusterReport) {
        if let Some(e) = self.engine {
            r.engine = e;
        }
        r.suggestions = self.suggestions_for(slot, r);
        if self.json {
            r.suggestions_json = crate::report::json::suggestions_json(&r.suggestions, r.engine);
        }
    }

    fn suggestions_for(&self, slot: usize, r: &ClusterReport) -> Vec<suggest::Suggestion> {
        let info = self.cluster_rules.get(&slot).cloned().unwrap_or_default();
        let samples = r.cluster.signature.and_then(|k| self.samples.get(&k));
        let fps = as_samples(samples.map(|s| s.fp.as_slice()));
        let tps = as_samples(samples.map(|s| s.tp.as_slice()));
        let mut changes = if r.score.verdict.is_benign() {
            RuleChanges::for_rule(
                info.rule.as_deref(),
                info.update,
                &fps,
                &tps,
                &self.sigs.vars,
            )
        } else {
            RuleChanges::default()
        };
        changes.signature_alerts = samples.map_or((0, 0), |s| (s.alerts, s.benign));
        suggest::for_cluster(r, &changes)
    }

    fn print_alert(
        &mut self,
        f: Final,
        report: Option<&ClusterReport>,
        provisional: bool,
    ) -> io::Result<()> {
        let Final { j, evidence, score } = f;
        *self
            .summary
            .verdicts
            .entry(score.verdict.as_str())
            .or_default() += 1;
        self.summary.add_findings(&j.alert, &evidence);
        if self.clusters_only {
            return Ok(());
        }
        let engine = self.engine.or(j.alert.engine).unwrap_or(Engine::Suricata);
        let e = j.explained(&evidence, &score, report, provisional, engine, self.kb);
        self.printer.alert(&e)
    }

    /// Prints every cluster, weighed on the final state (reusing the reports the last release
    /// made for its alerts' clusters).
    fn print_clusters(&mut self, mut reports: HashMap<usize, ClusterReport>) {
        let slots: Vec<usize> = self.state.clusters.iter().map(|(i, _)| i).collect();
        for slot in slots {
            let r = match reports.remove(&slot) {
                Some(r) => r,
                None => match self.state.clusters.get(slot) {
                    Some(c) => {
                        let mut r = cluster::judge(c, &self.state, self.books, self.book);
                        self.suggest(slot, &mut r);
                        r
                    }
                    None => continue,
                },
            };
            self.summary.clusters += 1;
            if self.dry.is_some() && !r.suggestions.is_empty() {
                self.suggested.push(Suggested {
                    cluster: r.cluster.id.clone(),
                    members: r.cluster.members,
                    verdict: r.score.verdict.as_str(),
                    fp_probability: r.score.fp_probability,
                    // The members' evidence says "its alerts carry +x": what one of them
                    // was found to be says more.
                    cause: match r.score.root_cause.and_then(|i| r.evidence.get(i)) {
                        Some(e) if e.id == cluster::MEMBERS_EVIDENCE => self
                            .cluster_rules
                            .get(&slot)
                            .and_then(|c| {
                                if r.score.verdict.is_benign() {
                                    c.cause.clone()
                                } else {
                                    c.attack_cause.clone()
                                }
                            })
                            .or_else(|| Some(e.cause.clone())),
                        other => other.map(|e| e.cause.clone()),
                    },
                    engine: r.engine,
                    suggestions: r.suggestions.clone(),
                });
            }
            *self
                .summary
                .cluster_verdicts
                .entry(r.score.verdict.as_str())
                .or_default() += 1;
            if let Err(e) = self.printer.cluster(&r) {
                self.io_error = Some(e);
                return;
            }
        }
    }
}

impl<W: Write> Sink for Explainer<'_, '_, W> {
    fn alert(&mut self, mut alert: Alert<'_>) -> Flow {
        self.summary.records_read += 1;
        self.last_line = self.last_line.max(line_of(&alert.source));
        self.summary.alerts += 1;
        self.ticker
            .tick(self.summary.records_read, self.summary.alerts);
        if let Some(index) = self.pcap {
            let joined = index.join(&alert);
            *self
                .summary
                .pcap_join
                .entry(joined.outcome.as_str())
                .or_default() += 1;
            joined.apply(&mut alert);
        }
        let sid_from = self.sigs.resolve(&mut alert);
        self.state.observe_alert(&alert);
        let bytes = alert.heap_size() + std::mem::size_of::<Alert<'static>>() + JUDGEMENT_BYTES;
        self.held_bytes += bytes;
        self.held.push_back(Held {
            index: self.summary.alerts,
            alert: alert.into_owned(),
            sid_from,
            bytes,
            arrived: self.hold_time.map(|_| Instant::now()),
        });
        if self.held.len() > self.hold_alerts || self.held_bytes > HOLD_BYTES {
            self.release(false);
        }
        if self.io_error.is_some() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn context(&mut self, event: ContextEvent<'_>) -> Flow {
        self.summary.records_read += 1;
        self.last_line = self.last_line.max(line_of(&event.source));
        self.ticker
            .tick(self.summary.records_read, self.summary.alerts);
        self.summary.context_events += 1;
        *self
            .summary
            .context_by_kind
            .entry(event.kind.0)
            .or_default() += 1;
        self.state.observe_context(&event);
        Flow::Continue
    }

    fn repaired(&mut self, what: &'static str, at: &Provenance<'_>, detail: &str) {
        *self.summary.repaired.entry(what).or_default() += 1;
        if self.warnings_left > 0 {
            self.warnings_left -= 1;
            let _ = writeln!(
                self.warn,
                "fpx: {}: {}",
                crate::report::escape::terminal(&at.path),
                crate::report::escape::terminal(detail)
            );
        }
    }

    fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, detail: Option<&str>) -> Flow {
        self.summary.records_read += 1;
        self.last_line = self.last_line.max(line_of(at));
        *self.summary.skipped.entry(reason.as_str()).or_default() += 1;
        let quiet = reason == SkipReason::SURROUNDING_TEXT || reason == SkipReason::BLANK;
        if !quiet && self.warnings_left > 0 {
            self.warnings_left -= 1;
            let (loc, detail) = plain_location(at.location, detail.unwrap_or(""));
            let _ = writeln!(
                self.warn,
                "fpx: {}: {loc}: skipped ({}){}",
                crate::report::escape::terminal(&at.path),
                reason.as_str(),
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", crate::report::escape::terminal(detail))
                }
            );
            if self.warnings_left == 0 {
                let _ = writeln!(self.warn, "fpx: further skipped records are only counted");
            }
        }
        Flow::Continue
    }
}
