//! Command-line arguments in two steps: raw flags parsed by clap (no I/O), then a validated
//! configuration for the library.

pub mod output;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::explain::ExplainConfig;
use crate::input::ReadOptions;
use crate::model::{Engine, InputFormat};
use crate::report::{Format, ReportOptions};
use crate::signature::parse::parse_addr;
use crate::signature::SignatureConfig;
use crate::state::feedback::AnalystVerdict;
use crate::suggest::job::SuggestConfig;
use crate::verdict::{parse_sid, VerdictConfig};

/// Explains Snort and Suricata alerts and says how likely each one is a false positive.
#[derive(Debug, Parser)]
#[command(name = "fpx", version, about, long_about = None)]
pub struct Flags {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain every alert in the inputs (EVE JSON, unified2, fast and full alert text, and
    /// context logs; format detected from content; `-` reads stdin; .gz/.zst decompressed).
    Explain(Box<ExplainFlags>),
    /// Print the changes to make on the sensor for the clusters fpx judges benign (scoped
    /// suppressions, limits, rule edits and updates, tightened rules proven by replay),
    /// grouped per engine file and ready to paste; "investigate" for every other cluster.
    Suggest(Box<SuggestFlags>),
    /// Record an analyst's verdict (about a signature, a host, a cluster or an alert of a JSON
    /// report) in a feedback file, which later runs read with `--feedback`.
    Verdict(VerdictFlags),
    /// Measure fpx on a labelled set (a label file of scenarios, see tests/eval/): accuracy,
    /// Brier score, ROC AUC, a reliability table, root causes named and the worst misses.
    Eval(EvalFlags),
    /// What fpx knows of an address, a port, an address and port, or a signature, with the
    /// sources: the facts an alert with them carries (224.0.0.252:5355, 1.11.68.22 --at
    /// 2004-09-14, udp/8832, sid:2009099 --rules DIR). --names lists every fact evidence
    /// rules can test.
    Facts(FactsFlags),
    /// A quiz on the alerts of a dump for a junior analyst: per root cause, its verdict and
    /// its cause, each answer checked against fpx's explanation (or an analyst's recorded
    /// verdict with --feedback) and explained; the score at the end.
    Train(Box<TrainFlags>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(CompletionsFlags),
    /// Print the manual page (roff) on stdout: `fpx man | man -l -`.
    Man,
    /// Report weaknesses of IDS rules and what later revisions of a sid changed. Ends with
    /// `parsed N rules (D disabled), E errors`; exits 1 when E > 0.
    Lint(LintFlags),
    /// Split the Redis stream Suricata writes into partition streams KEY:0 ... KEY:N-1 by
    /// each record's pair of addresses, so that one `explain --redis --stream KEY:P` worker
    /// per partition sees every record of its flows and hosts. Routers share the stream as
    /// a consumer group; each record is routed once. Runs until stopped. See docs/scale.md.
    Route(RouteFlags),
}

#[derive(Debug, clap::Args)]
pub struct RouteFlags {
    /// The Redis server: redis://[[user]:password@]host[:port][/db].
    #[arg(long, value_name = "URL")]
    pub redis: String,
    /// The stream Suricata writes (its redis `key`).
    #[arg(long, value_name = "KEY", default_value = "suricata")]
    pub stream: String,
    /// The consumer group the routers share.
    #[arg(long, value_name = "GROUP", default_value = "fpx-route")]
    pub group: String,
    /// This router's name in the group (default: host name and process id).
    #[arg(long, value_name = "NAME")]
    pub consumer: Option<String>,
    /// How many partition streams (and so workers) to split into.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=crate::redis::route::MAX_PARTITIONS as i64))]
    pub partitions: u32,
    /// Trim each partition stream to about this many entries (MAXLEN ~); 0: untrimmed.
    #[arg(long, value_name = "N", default_value_t = crate::redis::route::PARTITION_MAXLEN)]
    pub partition_maxlen: usize,
    /// How long an entry stays pending at another router before this one claims it.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub claim_idle: std::time::Duration,
}

impl RouteFlags {
    pub fn into_config(self) -> Result<crate::redis::route::RouteConfig, String> {
        Ok(crate::redis::route::RouteConfig {
            source: crate::redis::worker::StreamConfig::from_flags(
                &self.redis,
                &self.stream,
                &self.group,
                self.consumer.as_deref(),
                self.claim_idle,
            )?,
            partitions: self.partitions,
            maxlen: (self.partition_maxlen > 0).then_some(self.partition_maxlen),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct FactsFlags {
    /// ADDR, ADDR:PORT, [V6]:PORT, PROTO/PORT, PROTO/ADDR:PORT or sid:[GID:]SID.
    #[arg(
        value_name = "QUERY",
        required_unless_present = "names",
        conflicts_with = "names"
    )]
    pub query: Option<String>,
    /// List the names of the facts that evidence rules can test and quote.
    #[arg(long)]
    pub names: bool,
    /// The date to read the address registries at (YYYY-MM-DD): who held the address then.
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// IDS rule file or folder to look a sid up in; repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Directory whose knowledge files replace the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub knowledge: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatFlag::Text)]
    pub format: FormatFlag,
}

impl FactsFlags {
    /// The validated query; `None` for `--names`.
    pub fn into_config(self) -> Result<Option<crate::facts::FactsConfig>, String> {
        let Some(q) = self.query else {
            return Ok(None);
        };
        for p in &self.rules {
            if !p.exists() {
                return Err(format!(
                    "--rules {}: no such file or directory",
                    p.display()
                ));
            }
        }
        if let Some(d) = self.knowledge.as_ref().filter(|d| !d.is_dir()) {
            return Err(format!("--knowledge {}: not a directory", d.display()));
        }
        Ok(Some(crate::facts::FactsConfig {
            query: crate::facts::parse_query(&q)?,
            at: self
                .at
                .as_deref()
                .map(crate::facts::parse_date)
                .transpose()?,
            rules: self.rules,
            knowledge_dir: self.knowledge,
        }))
    }
}

#[derive(Debug, clap::Args)]
pub struct TrainFlags {
    #[command(flatten)]
    pub explain: ExplainFlags,
    /// Read the answers from FILE (one a line; `#` comments) instead of the terminal.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Questions to ask at most.
    #[arg(long, value_name = "N", default_value_t = crate::train::DEFAULT_QUESTIONS)]
    pub questions: usize,
}

impl TrainFlags {
    pub fn into_config(self) -> Result<crate::train::TrainConfig, String> {
        if let Some(p) = self.answers.as_ref().filter(|p| !p.is_file()) {
            return Err(format!("--answers {}: not a file", p.display()));
        }
        Ok(crate::train::TrainConfig {
            explain: self.explain.into_config()?,
            questions: self.questions,
            answers: self.answers,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct CompletionsFlags {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct LintFlags {
    /// Rule files and folders (folders are searched for `*.rules`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

impl LintFlags {
    /// Validates the paths: each must exist.
    pub fn into_paths(self) -> Result<Vec<PathBuf>, String> {
        for p in &self.paths {
            if !p.exists() {
                return Err(format!("{}: no such file or directory", p.display()));
            }
        }
        Ok(self.paths)
    }
}

#[derive(Debug, clap::Args)]
pub struct EvalFlags {
    /// The label file (TOML `[[scenario]]` tables).
    #[arg(value_name = "LABELS")]
    pub labels: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatFlag::Text)]
    pub format: FormatFlag,
}

#[derive(Debug, clap::Args)]
pub struct VerdictFlags {
    /// The feedback file (JSON lines) the verdict is appended to; created when missing.
    #[arg(long, value_name = "FILE")]
    pub feedback: PathBuf,
    /// false_positive (fp), benign_trigger (benign) or true_positive (tp).
    #[arg(long, value_name = "VERDICT", value_parser = parse_verdict)]
    pub verdict: AnalystVerdict,
    /// The signature, as SID or GID:SID.
    #[arg(long, value_name = "[GID:]SID")]
    pub sid: Option<String>,
    /// A host on either side of the alerts.
    #[arg(long, value_name = "IP")]
    pub host: Option<std::net::IpAddr>,
    /// A cluster id of the report given with --report: its signature and hosts.
    #[arg(long, value_name = "ID", requires = "report")]
    pub cluster: Option<String>,
    /// An alert of the report given with --report (its `index`): its signature and hosts.
    #[arg(long, value_name = "N", requires = "report")]
    pub alert: Option<u64>,
    /// The `fpx explain --format json` output that --cluster and --alert refer to.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Why: what the analyst saw.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Who decided (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub analyst: Option<String>,
}

impl VerdictFlags {
    pub fn into_config(self) -> Result<VerdictConfig, String> {
        let sid = self.sid.as_deref().map(parse_sid).transpose()?;
        if sid.is_none() && self.host.is_none() && self.cluster.is_none() && self.alert.is_none() {
            return Err(
                "say what the verdict is about: --sid, --host, --cluster or --alert".into(),
            );
        }
        if self.cluster.is_some() && self.alert.is_some() {
            return Err("--cluster and --alert: one verdict is about one of them".into());
        }
        if let Some(p) = self.report.as_ref().filter(|p| !p.is_file()) {
            return Err(format!("--report {}: not a file", p.display()));
        }
        let analyst = self
            .analyst
            .or_else(|| std::env::var("USER").ok())
            .filter(|a| !a.trim().is_empty())
            .ok_or("--analyst: who decided? ($USER is not set)")?;
        Ok(VerdictConfig {
            feedback: self.feedback,
            verdict: self.verdict,
            sid,
            host: self.host,
            cluster: self.cluster,
            alert: self.alert,
            report: self.report,
            note: self.note,
            analyst,
        })
    }
}

fn parse_verdict(s: &str) -> Result<AnalystVerdict, String> {
    AnalystVerdict::from_name(s).ok_or_else(|| {
        format!("{s:?} is not false_positive (fp), benign_trigger (benign) or true_positive (tp)")
    })
}

#[derive(Debug, clap::Args)]
pub struct SuggestFlags {
    #[command(flatten)]
    pub explain: ExplainFlags,
    /// Apply the suggested suppressions and filters to the dump and report, per line, the
    /// alerts hidden and among them those fpx does not call benign (fp_probability < 0.5).
    #[arg(long)]
    pub dry_run: bool,
    /// Also dry-run your own threshold.config, threshold.conf or Snort 3 Lua file (its
    /// `suppress` and `event_filter` tables): per line the alerts hidden, or why none.
    /// Repeatable.
    #[arg(long = "threshold", value_name = "FILE")]
    pub thresholds: Vec<PathBuf>,
}

impl SuggestFlags {
    pub fn into_config(self) -> Result<SuggestConfig, String> {
        if !matches!(
            self.explain.format,
            ReportFormatFlag::Text | ReportFormatFlag::Json
        ) {
            return Err("suggest writes --format text or json".into());
        }
        for p in &self.thresholds {
            if !p.is_file() {
                return Err(format!("--threshold {}: not a file", p.display()));
            }
        }
        Ok(SuggestConfig {
            explain: self.explain.into_config()?,
            dry_run: self.dry_run,
            thresholds: self.thresholds,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct ExplainFlags {
    /// Alert dumps and context logs to read.
    #[arg(
        required_unless_present = "redis",
        conflicts_with = "redis",
        value_name = "INPUT"
    )]
    pub inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormatFlag::Text)]
    pub format: ReportFormatFlag,
    /// Skip format detection and read every input as this format.
    #[arg(long, value_name = "FORMAT", value_parser = input_format_parser())]
    pub input_format: Option<InputFormat>,
    /// Write the report to FILE instead of stdout. Refuses a file fpx reads, and an existing
    /// file unless --force; the file appears only when the report is complete.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With -o: replace FILE if it exists (never an input).
    #[arg(long, requires = "output")]
    pub force: bool,
    /// Say nothing on stderr but the errors, each once at the end.
    #[arg(short, long)]
    pub quiet: bool,
    /// Text report: every alert in input order, then the clusters, instead of the overview
    /// of root causes with identical alerts folded.
    #[arg(long)]
    pub all: bool,
    /// When to colour the text report: on a terminal (auto, unless NO_COLOR is set), always
    /// or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorFlag::Auto)]
    pub color: ColorFlag,
    /// Teaching mode (text, Markdown, HTML): for each alert explained in full, primers on the
    /// protocol facts behind its explanation (with their RFC or IANA references) and the
    /// checks that would make it a true positive, with tshark, Zeek and jq commands filled
    /// in with its addresses and ports.
    #[arg(long)]
    pub teach: bool,
    /// Columns to wrap the text report at (default: the terminal's width, else $COLUMNS,
    /// else 100); 0 does not wrap.
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Year for timestamps written without one (Snort fast/full alerts, syslog).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1970..=9999))]
    pub year: Option<i32>,
    /// Directory whose knowledge files replace the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub knowledge: Option<PathBuf>,
    /// Directory whose evidence rule files replace or extend the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub evidence_rules: Option<PathBuf>,
    /// A pcap or pcapng capture to join alerts with: each alert gets its triggering packet
    /// (payload when the alert has none) and the flow's client/server roles. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub pcap: Vec<String>,
    /// Most warnings about skipped records to print (the rest are counted in the summary).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_warnings: usize,
    /// IDS rule file or folder (`*.rules` inside); repeat for several sets. The rule behind
    /// each alert is replayed on its payload and compared with later revisions.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// sid-msg.map (v1 or v2) or gen-msg.map, to find the sid of alerts that carry only a msg;
    /// repeatable.
    #[arg(long = "sid-msg-map", value_name = "FILE")]
    pub sid_msg_maps: Vec<PathBuf>,
    /// classification.config, to resolve classification ids and names.
    #[arg(long, value_name = "FILE")]
    pub classification_config: Option<PathBuf>,
    /// reference.config, so that rule references become links.
    #[arg(long, value_name = "FILE")]
    pub reference_config: Option<PathBuf>,
    /// suricata.yaml (vars: address-groups, port-groups) or snort.conf (ipvar, portvar, var).
    #[arg(long, value_name = "FILE")]
    pub vars: Option<PathBuf>,
    /// HOME_NET as a rule address list, e.g. "[10.0.0.0/8,192.168.0.0/16]" (overrides --vars).
    #[arg(long, value_name = "CIDRS")]
    pub home_net: Option<String>,
    /// Print only the root-cause clusters and the summary, not one report per alert (for
    /// floods: every alert is still explained, scored and counted).
    #[arg(long)]
    pub clusters_only: bool,
    /// Alerts held back at most before the oldest are judged: within the window each alert is
    /// judged with what the later records say (its peer's answers, the rest of its cluster);
    /// alerts judged before the input ends are marked provisional.
    #[arg(long, value_name = "N", default_value_t = crate::explain::HOLD_ALERTS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub hold: u64,
    /// The engine whose dialect suggestions are written in (default: the input's).
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub engine: Option<EngineFlag>,
    /// Analysts' verdicts of earlier runs (JSON lines written by `fpx verdict`), weighed as
    /// evidence.
    #[arg(long, value_name = "FILE")]
    pub feedback: Option<PathBuf>,
    /// Threads that judge and render alerts (default: one per core). The output is the same
    /// for every count, in input order.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Keep reading the last input as it grows: a file (rotation and truncation followed,
    /// like `tail -F`) or a pipe on stdin (`-`), writing each alert within the hold time. The
    /// inputs before it (context logs, say) are read whole first. Text is written alert by
    /// alert (as with --all); for a log pipeline, use --format json.
    #[arg(long, conflicts_with = "redis")]
    pub follow: bool,
    /// Longest an alert is held, with --follow, before it is judged with what came after it:
    /// the output's latency ("500ms", "2s", "1.5"). Default 500ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub hold_time: Option<std::time::Duration>,
    /// Explain the EVE records Suricata writes to a Redis stream (eve-log filetype redis, mode
    /// stream), as one worker of a consumer group: redis://[[user]:password@]host[:port][/db].
    /// Any number of workers share the stream; each writes JSON lines (to --results or
    /// stdout) and acknowledges what it explained. See docs/scale.md.
    #[arg(long, value_name = "URL", help_heading = "Redis stream")]
    pub redis: Option<String>,
    /// The stream Suricata writes (its redis `key`).
    #[arg(
        long,
        value_name = "KEY",
        default_value = "suricata",
        help_heading = "Redis stream"
    )]
    pub stream: String,
    /// The consumer group the workers share (created at the start of the stream if missing).
    #[arg(
        long,
        value_name = "GROUP",
        default_value = "fpx",
        help_heading = "Redis stream"
    )]
    pub group: String,
    /// This worker's name in the group (default: host name and process id). A worker
    /// restarted under the same name first takes up what it left pending.
    #[arg(
        long,
        value_name = "NAME",
        requires = "redis",
        help_heading = "Redis stream"
    )]
    pub consumer: Option<String>,
    /// A stream to add each alert's result to (fields id, consumer, result), atomically with
    /// its acknowledgement; without it results go to stdout, acknowledged once flushed.
    #[arg(
        long,
        value_name = "KEY",
        requires = "redis",
        help_heading = "Redis stream"
    )]
    pub results: Option<String>,
    /// Trim the results stream to about this many entries (MAXLEN ~).
    #[arg(
        long,
        value_name = "N",
        requires = "results",
        help_heading = "Redis stream"
    )]
    pub results_maxlen: Option<usize>,
    /// How long an entry stays pending at another worker before this one claims it
    /// (XAUTOCLAIM): longer than a worker ever holds one (--hold-time and a batch).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration,
          help_heading = "Redis stream")]
    pub claim_idle: std::time::Duration,
}

/// The default `--hold-time` with `--follow`: half the one-second latency a log pipeline
/// expects, leaving the other half for judging, writing and the reader's poll.
pub const FOLLOW_HOLD_TIME: std::time::Duration = std::time::Duration::from_millis(500);

/// Longest `--hold-time`: an hour of alerts held is more than the hold window's count and
/// bytes allow on any sensor that writes them.
const MAX_HOLD_TIME: std::time::Duration = std::time::Duration::from_secs(3600);

/// A duration as `--hold-time` takes it: seconds ("1.5", "2s") or milliseconds ("500ms").
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (number, scale) = if let Some(ms) = t.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(sec) = t.strip_suffix('s') {
        (sec, 1.0)
    } else {
        (t, 1.0)
    };
    let secs = number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v * scale)
        .ok_or_else(|| format!("{s:?}: a duration such as 500ms, 2s or 1.5"))?;
    let d = std::time::Duration::from_secs_f64(secs);
    if d > MAX_HOLD_TIME {
        return Err(format!("{s:?}: at most {}s", MAX_HOLD_TIME.as_secs()));
    }
    Ok(d)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineFlag {
    Suricata,
    Snort2,
    Snort3,
}

impl EngineFlag {
    pub fn engine(self) -> Engine {
        match self {
            EngineFlag::Suricata => Engine::Suricata,
            EngineFlag::Snort2 => Engine::Snort2,
            EngineFlag::Snort3 => Engine::Snort3,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatFlag {
    Text,
    Json,
}

/// The formats of `explain`: the shared ones, and Markdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatFlag {
    Text,
    Json,
    /// Markdown: sections and tables to paste into a ticket or a wiki.
    Md,
    /// One self-contained HTML page with charts (use with -o report.html).
    Html,
}

/// The input formats as clap's possible values, so that `--help` and completions list them.
fn input_format_parser() -> impl clap::builder::TypedValueParser<Value = InputFormat> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(InputFormat::ALL.map(InputFormat::as_str))
        .map(|s| InputFormat::from_name(&s).expect("a listed format"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorFlag {
    Auto,
    Always,
    Never,
}

/// Whether to colour: `auto` colours a terminal unless `NO_COLOR` is set (to anything but
/// the empty string, as no-color.org asks) or `TERM` is `dumb`.
pub fn use_color(flag: ColorFlag, to_terminal: bool) -> bool {
    match flag {
        ColorFlag::Always => true,
        ColorFlag::Never => false,
        ColorFlag::Auto => {
            to_terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Columns of text when nothing says otherwise: narrow enough to read, wide enough for the
/// hex view (78 columns) and its notes.
pub const DEFAULT_WIDTH: usize = 100;

/// Rows of a first screen when the terminal does not say.
pub const DEFAULT_ROWS: usize = 40;

/// The text report's width and first-screen height: `--width` (0: no wrapping), else the
/// terminal's, else `$COLUMNS`/`$LINES`, else the defaults.
pub fn screen(width: Option<usize>, to_terminal: bool) -> (Option<usize>, usize) {
    let term = to_terminal
        .then(|| terminal_size::terminal_size_of(std::io::stdout()))
        .flatten();
    let env = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
    };
    let cols = match width {
        Some(0) => None,
        Some(n) => Some(n),
        None => Some(
            term.map(|(w, _)| usize::from(w.0))
                .or_else(|| env("COLUMNS"))
                .unwrap_or(DEFAULT_WIDTH),
        ),
    };
    // Below 40 columns the hex view cannot be read whatever is done; wrap no narrower.
    let cols = cols.map(|c| c.max(40));
    let rows = term
        .map(|(_, h)| usize::from(h.0))
        .or_else(|| env("LINES"))
        .unwrap_or(DEFAULT_ROWS)
        .max(10);
    (cols, rows)
}

impl ExplainFlags {
    /// The `--redis` flags as a worker's configuration.
    fn redis_config(&self) -> Result<Option<crate::redis::worker::StreamConfig>, String> {
        let Some(url) = &self.redis else {
            return Ok(None);
        };
        let mut cfg = crate::redis::worker::StreamConfig::from_flags(
            url,
            &self.stream,
            &self.group,
            self.consumer.as_deref(),
            self.claim_idle,
        )?;
        cfg.results.clone_from(&self.results);
        cfg.results_maxlen = self.results_maxlen;
        Ok(Some(cfg))
    }

    /// Validates the flags into the library's configuration.
    pub fn into_config(self) -> Result<ExplainConfig, String> {
        for dir in [&self.knowledge, &self.evidence_rules]
            .into_iter()
            .flatten()
        {
            if !dir.is_dir() {
                return Err(format!("{}: not a directory", dir.display()));
            }
        }
        for p in &self.rules {
            if !p.exists() {
                return Err(format!(
                    "--rules {}: no such file or directory",
                    p.display()
                ));
            }
        }
        let files = self
            .sid_msg_maps
            .iter()
            .map(|p| ("--sid-msg-map", p))
            .chain(
                self.classification_config
                    .iter()
                    .map(|p| ("--classification-config", p)),
            )
            .chain(
                self.reference_config
                    .iter()
                    .map(|p| ("--reference-config", p)),
            )
            .chain(self.vars.iter().map(|p| ("--vars", p)));
        for (flag, p) in files {
            if !p.is_file() {
                return Err(format!("{flag} {}: not a file", p.display()));
            }
        }
        if let Some(p) = self.feedback.as_ref().filter(|p| !p.is_file()) {
            return Err(format!("--feedback {}: not a file", p.display()));
        }
        if let Some(h) = &self.home_net {
            parse_addr(h, 0).map_err(|e| format!("--home-net {h:?}: {e}"))?;
        }
        let redis = self.redis_config()?;
        let live = self.follow || redis.is_some();
        if live {
            // A live stream has no end at which to move a file into place or lay out a page.
            if self.output.is_some() {
                return Err(
                    "--follow and --redis write to stdout: a live stream has no end \
                            at which to complete an -o file"
                        .into(),
                );
            }
            if self.format == ReportFormatFlag::Html {
                return Err(
                    "--follow and --redis stream text, json or md; an HTML page is \
                            written when its input ends"
                        .into(),
                );
            }
        } else if self.hold_time.is_some() {
            return Err(
                "--hold-time applies to live input: use it with --follow or --redis".into(),
            );
        }
        if redis.is_some() && (self.clusters_only || self.format != ReportFormatFlag::Json) {
            return Err(
                "--redis writes one JSON result per alert: use --format json, \
                        without --clusters-only"
                    .into(),
            );
        }
        let all = self.all || live;
        Ok(ExplainConfig {
            inputs: self.inputs,
            read: ReadOptions {
                year: self.year,
                format: self.input_format,
                live,
            },
            format: match self.format {
                ReportFormatFlag::Text => Format::Text,
                ReportFormatFlag::Json => Format::Json,
                ReportFormatFlag::Md => Format::Markdown,
                ReportFormatFlag::Html => Format::Html,
            },
            knowledge_dir: self.knowledge,
            evidence_dir: self.evidence_rules,
            max_warnings: self.max_warnings,
            pcaps: self.pcap,
            signatures: SignatureConfig {
                rules: self.rules,
                msg_maps: self.sid_msg_maps,
                classification: self.classification_config,
                reference: self.reference_config,
                vars: self.vars,
                home_net: self.home_net,
            },
            report: {
                use std::io::IsTerminal;
                let to_terminal = self.output.is_none() && std::io::stdout().is_terminal();
                let (width, rows) = screen(self.width, to_terminal);
                ReportOptions {
                    all,
                    width,
                    rows,
                    color: use_color(self.color, to_terminal),
                    teach: self.teach,
                }
            },
            // On the terminal the report goes to, a spinner would cut into a report that
            // streams (--all, JSON, Markdown); the overview is written after reading ends.
            progress: {
                use std::io::IsTerminal;
                let streams = all || self.format != ReportFormatFlag::Text;
                let shared = self.output.is_none() && std::io::stdout().is_terminal();
                !self.quiet && std::io::stderr().is_terminal() && !(shared && streams)
            },
            output: self.output,
            force: self.force,
            quiet: self.quiet,
            clusters_only: self.clusters_only,
            hold_alerts: usize::try_from(self.hold).unwrap_or(usize::MAX),
            engine: self.engine.map(EngineFlag::engine),
            collect: false,
            feedback: self.feedback,
            threads: self.threads,
            follow: self.follow,
            hold_time: live.then(|| self.hold_time.unwrap_or(FOLLOW_HOLD_TIME)),
            redis,
        })
    }
}
