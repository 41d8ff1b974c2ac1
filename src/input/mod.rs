//! Input readers: bytes on disk (or stdin) → [`Alert`]s and [`ContextEvent`]s, streamed into a
//! [`Sink`] one record at a time. Each format lives in its own file; `detect` picks one from
//! the content.
//!
//! Readers call exactly one of [`Sink::alert`], [`Sink::context`] or [`Sink::skipped`] per
//! record, so the summary's `records_read` is their sum and nothing is dropped unaccounted.

pub mod cisco_asa;
pub mod detect;
pub mod eve;
pub mod fast;
pub mod follow;
pub mod full;
pub mod ipchains;
pub mod limits;
pub mod logline;
pub mod netfilter;
pub mod open;
pub mod pcap;
pub mod pflog;
pub mod snort3;
pub mod snort_csv;
pub mod snort_json;
#[cfg(test)]
mod testsink;
pub mod textcommon;
mod textrecords;
pub mod unified2;
pub mod year;
pub mod zeek;

use std::path::Path;

use thiserror::Error;

use crate::model::{Alert, ContextEvent, InputFormat, Location, Provenance, SkipReason};

pub use detect::detect_format;
pub use open::{open_input, Input};

/// Options every reader may need.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// `--year`: the year for timestamps written without one.
    pub year: Option<i32>,
    /// `--input-format`: skip detection.
    pub format: Option<InputFormat>,
    /// `--follow`: records go out as soon as they are read; readers do not hold one back for
    /// later records that enrich it (an EVE alert for its flow record, which Suricata writes
    /// when the flow times out, minutes later).
    pub live: bool,
}

/// Where reading stops early. Per-record problems are not errors: they go to
/// [`Sink::skipped`] and reading goes on.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {location}: {message}")]
    Corrupt {
        path: String,
        location: LocationDisplay,
        message: String,
    },
    #[error("{path}: cannot tell the input format ({message}); use --input-format")]
    UnknownFormat { path: String, message: String },
    /// The sink asked to stop (for example, the output pipe was closed).
    #[error("output closed")]
    Stopped,
}

/// `line N` or `byte offset N`, for error messages.
#[derive(Clone, Copy, Debug)]
pub struct LocationDisplay(pub Location);

impl std::fmt::Display for LocationDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Offset(n) => write!(f, "byte offset {n}"),
        }
    }
}

/// What the sink says after each record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Receives records as a reader produces them. The borrowed data lives only for the call.
pub trait Sink {
    fn alert(&mut self, alert: Alert<'_>) -> Flow;
    fn context(&mut self, event: ContextEvent<'_>) -> Flow;
    /// A record that is neither; `detail` says what was wrong, for a warning on stderr.
    fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, detail: Option<&str>) -> Flow;
    /// A record the reader had to repair to read (it is still given to `alert` or `context`,
    /// and counted there): `what` names the repair (`invalid_utf8`), `detail` says where.
    fn repaired(&mut self, what: &'static str, at: &Provenance<'_>, detail: &str) {
        let _ = (what, at, detail);
    }
}

/// The repair of a record whose invalid UTF-8 bytes were replaced by U+FFFD: one bad byte
/// (a truncated multi-byte character, a Latin-1 hostname) must not drop a whole alert.
pub const REPAIRED_UTF8: &str = "invalid_utf8";

/// The modification year of a file, used for timestamps without a year when nothing better
/// is known.
pub fn file_mtime_year(path: &Path) -> Option<i32> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let days = i64::try_from(secs / 86_400).ok()?;
    Some(crate::model::time::civil_from_days(days).0)
}

/// Reads one input (a file path, or `-` for stdin) into `sink`, detecting its format from its
/// content unless `opts.format` forces one.
///
/// A directory is read as a unified2 spool: its `name.<number>` files in numeric order.
pub fn read_path(path: &str, opts: &ReadOptions, sink: &mut dyn Sink) -> Result<(), ReadError> {
    read_opened(Opened::open(path, opts), opts, sink)
}

/// An input opened once, its format told from the first bytes of the stream the reader then
/// reads (they are chained back in front of the rest): a FIFO, a process substitution
/// (`<(zcat eve.json.gz)`) or stdin is read once, as it can only be. A regular file is closed
/// after detection and opened again to be read, so that thousands of inputs do not hold
/// thousands of descriptors.
pub struct Opened {
    pub path: String,
    state: OpenedState,
}

enum OpenedState {
    /// A directory: a unified2 spool.
    Spool,
    /// A stream that can be read only once, kept open with its peeked head.
    Stream(Box<Input>, InputFormat),
    /// A regular file, to be opened again.
    File(InputFormat),
    /// Opening or telling the format failed; the error is reported when it is read.
    Failed(ReadError),
}

impl Opened {
    /// Opens `path` and tells its format (unless `opts.format` forces one).
    pub fn open(path: &str, opts: &ReadOptions) -> Opened {
        let state = if path != "-" && Path::new(path).is_dir() {
            OpenedState::Spool
        } else {
            let regular = path != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file());
            match open_input(path) {
                Err(e) => OpenedState::Failed(e),
                Ok(input) => {
                    let format = match opts.format {
                        Some(f) => Ok(f),
                        None => detect_format(path, input.peek()),
                    };
                    match (format, regular) {
                        (Err(e), _) => OpenedState::Failed(e),
                        (Ok(f), true) => OpenedState::File(f),
                        (Ok(f), false) => OpenedState::Stream(Box::new(input), f),
                    }
                }
            }
        };
        Opened {
            path: path.to_string(),
            state,
        }
    }

    /// Opens `path` (`-`: stdin) to be followed as it grows ([`follow`]); `idle` is called
    /// whenever reading waits for more. Its format is told from its first line.
    pub fn live(path: &str, opts: &ReadOptions, idle: follow::Idle) -> Opened {
        let state = match follow::open(path, idle) {
            Err(e) => OpenedState::Failed(e),
            Ok(input) => match opts
                .format
                .map_or_else(|| detect_format(path, input.peek()), Ok)
            {
                Err(e) => OpenedState::Failed(e),
                Ok(f) => OpenedState::Stream(Box::new(input), f),
            },
        };
        Opened {
            path: path.to_string(),
            state,
        }
    }

    /// A live input another thread feeds ([`follow::from_chunks`]), read as `format`;
    /// `path` names it in the report.
    pub fn chunks(
        path: &str,
        format: InputFormat,
        chunks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
        idle: follow::Idle,
    ) -> Opened {
        let state = match follow::from_chunks(chunks, idle) {
            Ok(input) => OpenedState::Stream(Box::new(input), format),
            Err(source) => OpenedState::Failed(ReadError::Io {
                path: path.to_string(),
                source,
            }),
        };
        Opened {
            path: path.to_string(),
            state,
        }
    }

    /// The format the input was told to be, when it was.
    pub fn format(&self) -> Option<InputFormat> {
        match &self.state {
            OpenedState::Stream(_, f) | OpenedState::File(f) => Some(*f),
            OpenedState::Spool => Some(InputFormat::Unified2),
            OpenedState::Failed(_) => None,
        }
    }

    /// A context log (firewall, Zeek) rather than alerts.
    pub fn is_context(&self) -> bool {
        matches!(
            self.format(),
            Some(
                InputFormat::Ipchains
                    | InputFormat::Netfilter
                    | InputFormat::CiscoAsa
                    | InputFormat::Pflog
                    | InputFormat::Zeek
            )
        )
    }
}

/// Reads an opened input into `sink`.
pub fn read_opened(o: Opened, opts: &ReadOptions, sink: &mut dyn Sink) -> Result<(), ReadError> {
    let path = o.path.as_str();
    let (mut input, format) = match o.state {
        OpenedState::Spool => return unified2::read_spool_dir(Path::new(path), opts, sink),
        OpenedState::Failed(e) => return Err(e),
        OpenedState::Stream(input, f) => (*input, f),
        OpenedState::File(f) => (open_input(path)?, f),
    };
    let mtime_year = if path == "-" {
        None
    } else {
        file_mtime_year(Path::new(path))
    };
    let ctx = ReadContext {
        path,
        year: opts.year,
        mtime_year,
    };
    dispatch(format, &mut input, &ctx, opts.live, sink)
}

/// Opens every input once, in reading order: context logs (firewall, Zeek) before alert
/// dumps, each group in the order given, so that what the logs say about a host is known
/// when its alerts stream out. Inputs that cannot be opened or told apart keep their place
/// among the alerts (they are reported when read).
pub fn open_all(paths: &[String], opts: &ReadOptions) -> Vec<Opened> {
    let (ctx, rest): (Vec<Opened>, Vec<Opened>) = paths
        .iter()
        .map(|p| Opened::open(p, opts))
        .partition(Opened::is_context);
    ctx.into_iter().chain(rest).collect()
}

/// Per-input facts a reader needs besides the bytes.
#[derive(Clone, Copy, Debug)]
pub struct ReadContext<'p> {
    pub path: &'p str,
    pub year: Option<i32>,
    pub mtime_year: Option<i32>,
}

fn dispatch(
    format: InputFormat,
    input: &mut Input,
    ctx: &ReadContext<'_>,
    live: bool,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let reader = input.reader();
    match format {
        InputFormat::Eve if live => eve::read_live(reader, ctx, sink),
        InputFormat::Eve => eve::read(reader, ctx, sink),
        InputFormat::Fast => fast::read(reader, ctx, sink),
        InputFormat::Full => full::read(reader, ctx, sink),
        InputFormat::Ipchains => ipchains::read(reader, ctx, sink),
        InputFormat::Netfilter => netfilter::read(reader, ctx, sink),
        InputFormat::CiscoAsa => cisco_asa::read(reader, ctx, sink),
        InputFormat::Pflog => pflog::read(reader, ctx, sink),
        InputFormat::Zeek => zeek::read(reader, ctx, sink),
        InputFormat::Unified2 => unified2::read_unified2(reader, ctx, sink),
        InputFormat::SnortJson => snort_json::read(reader, ctx, sink),
        InputFormat::SnortCsv => snort_csv::read(reader, ctx, sink),
    }
}
