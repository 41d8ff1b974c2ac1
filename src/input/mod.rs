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
}

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
    if path != "-" && Path::new(path).is_dir() {
        return unified2::read_spool_dir(Path::new(path), opts, sink);
    }
    let mut input = open_input(path)?;
    let format = match opts.format {
        Some(f) => f,
        None => detect_format(path, input.peek())?,
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
    dispatch(format, &mut input, &ctx, sink)
}

/// The inputs in reading order: context logs (firewall, Zeek) before alert dumps, each group in
/// the order given, so that what the logs say about a host is known when its alerts stream
/// out. Stdin and inputs that cannot be opened or told apart keep their place among the
/// alerts (they are reported when read).
pub fn context_first(paths: &[String], opts: &ReadOptions) -> Vec<String> {
    let is_context = |p: &String| -> bool {
        if p == "-" {
            return false;
        }
        let format = match opts.format {
            Some(f) => Some(f),
            None => open_input(p)
                .ok()
                .and_then(|i| detect_format(p, i.peek()).ok()),
        };
        matches!(
            format,
            Some(
                InputFormat::Ipchains
                    | InputFormat::Netfilter
                    | InputFormat::CiscoAsa
                    | InputFormat::Pflog
                    | InputFormat::Zeek
            )
        )
    };
    let (ctx, rest): (Vec<&String>, Vec<&String>) = paths.iter().partition(|p| is_context(p));
    ctx.into_iter().chain(rest).cloned().collect()
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
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let reader = input.reader();
    match format {
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
