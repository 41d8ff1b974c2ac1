//! Splitting alert text into records: one-line alerts, multi-line alerts, and the lines around
//! them (mail headers, prose, list footers). The `fast` and `full` readers both read through
//! here, so either reads a file that mixes the two kinds with prose.
//!
//! Every line is accounted for exactly once: the lines of an alert make one record
//! ([`Sink::alert`], or [`SkipReason::MALFORMED_ALERT`] if it does not parse), every other line
//! is its own record ([`SkipReason::BLANK`], [`SkipReason::SURROUNDING_TEXT`], or
//! [`SkipReason::TRUNCATED`] for the lines past an over-long alert).
//!
//! A record is held as text until it ends, then parsed into an alert that borrows from it; only
//! one record is held at a time, and its size is bounded by [`MAX_RECORD_LINES`] and
//! [`MAX_RECORD_BYTES`].

use std::io::BufRead;

use super::fast::{looks_like_fast, parse_line};
use super::full::{build_alert, looks_like_full, RecordKind};
use super::textcommon::{
    dump_header, hex_row, is_dash_rule, is_separator, LineInfo, LineReader, YearHints, MAX_LINE_LEN,
};
use super::{Flow, ReadContext, ReadError, Sink};
use crate::model::{InputFormat, Location, Provenance, SkipReason};

/// Most lines in one alert record. A full alert with a dump of the largest IP datagram
/// (65,535 bytes at 16 per row) has about 4,100 lines; nothing a sensor writes is longer.
pub const MAX_RECORD_LINES: usize = 4_200;

/// Most bytes of text in one alert record: the 4,100 dump rows of the largest datagram at
/// 67-70 bytes each come to about 290 KB.
pub const MAX_RECORD_BYTES: usize = 384 * 1024;

/// The alert record being collected.
struct Open {
    kind: RecordKind,
    first_line: u64,
    /// Line lengths in `text` (each line is followed by one `\n` there).
    lines: usize,
    /// Bytes of `text` that belong to the alert itself, before any blank line or separator
    /// that closed it.
    content_len: usize,
    content_lines: usize,
    /// A blank line was taken into the record; the next line decides whether it continues.
    after_blank: bool,
}

/// The state of one read.
struct Reader<'c, 's> {
    ctx: &'c ReadContext<'c>,
    sink: &'s mut dyn Sink,
    hints: YearHints,
    text: String,
    open: Option<Open>,
    /// After an over-long record: its further lines are reported as truncated.
    overflow_first: Option<u64>,
    payload: Vec<u8>,
}

/// How a line relates to an open record.
enum Fit {
    /// The line belongs to the record.
    Continues,
    /// The line belongs to the record and ends it (a `=+=+` separator).
    Ends,
    /// The record ended before this line.
    Outside,
}

/// Reads alert text into `sink`. `_format` is the reader that was chosen; records carry the
/// format they were written in (`fast` for one-line alerts, `full` for multi-line ones).
pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
    _format: InputFormat,
) -> Result<(), ReadError> {
    let mut lines = LineReader::new(input);
    let mut r = Reader {
        ctx,
        sink,
        hints: YearHints {
            flag: ctx.year,
            surrounding: None,
            mtime: ctx.mtime_year,
        },
        text: String::new(),
        open: None,
        overflow_first: None,
        payload: Vec::new(),
    };
    let mut line = String::new();
    loop {
        let info = lines.next_line(&mut line).map_err(|source| ReadError::Io {
            path: ctx.path.to_string(),
            source,
        })?;
        let Some(info) = info else {
            break;
        };
        r.line(&line, info)?;
    }
    r.close()?;
    Ok(())
}

impl Reader<'_, '_> {
    fn skip(
        &mut self,
        reason: SkipReason,
        line: u64,
        detail: Option<&str>,
    ) -> Result<(), ReadError> {
        let at = Provenance {
            path: self.ctx.path.into(),
            location: Location::Line(line),
        };
        match self.sink.skipped(reason, &at, detail) {
            Flow::Continue => Ok(()),
            Flow::Stop => Err(ReadError::Stopped),
        }
    }

    fn line(&mut self, line: &str, info: LineInfo) -> Result<(), ReadError> {
        if let Some(open) = &self.open {
            match fit(open, line, info) {
                Fit::Continues | Fit::Ends
                    if open.lines >= MAX_RECORD_LINES
                        || self.text.len() + line.len() >= MAX_RECORD_BYTES =>
                {
                    self.close()?;
                    self.overflow_first = Some(info.number);
                    return self.skip(
                        SkipReason::TRUNCATED,
                        info.number,
                        Some(
                            "alert record longer than the line or byte limit; its rest is skipped",
                        ),
                    );
                }
                Fit::Continues => {
                    self.push(line);
                    return Ok(());
                }
                Fit::Ends => {
                    self.push(line);
                    return self.close();
                }
                Fit::Outside => self.close()?,
            }
        }
        if self.overflow_first.is_some() {
            let t = line.trim();
            if t.is_empty() || starts_record(line) {
                self.overflow_first = None;
            } else {
                if is_separator(t) {
                    self.overflow_first = None;
                }
                return self.skip(
                    SkipReason::TRUNCATED,
                    info.number,
                    Some("rest of an over-long alert record"),
                );
            }
        }
        self.fresh(line, info)
    }

    /// A line outside any record.
    fn fresh(&mut self, line: &str, info: LineInfo) -> Result<(), ReadError> {
        let n = info.number;
        if line.trim().is_empty() {
            return self.skip(SkipReason::BLANK, n, None);
        }
        let full = looks_like_full(line);
        let fast = !full && looks_like_fast(line);
        if !(full || fast) {
            self.hints.observe(line);
            let detail = match (info.overlong, info.lossy) {
                (true, _) => Some("line longer than the limit, cut"),
                (false, true) => Some("invalid UTF-8, decoded with replacement characters"),
                _ => None,
            };
            return self.skip(SkipReason::SURROUNDING_TEXT, n, detail);
        }
        if info.overlong {
            let detail = format!("alert line longer than {MAX_LINE_LEN} bytes");
            return self.skip(SkipReason::MALFORMED_ALERT, n, Some(&detail));
        }
        if fast {
            if let Err(e) = parse_line(line) {
                let detail = format!("one-line alert: {e}");
                return self.skip(SkipReason::MALFORMED_ALERT, n, Some(&detail));
            }
        } else if let Err(e) = super::fast::parse_head(line) {
            let detail = format!("alert header: {e}");
            return self.skip(SkipReason::MALFORMED_ALERT, n, Some(&detail));
        }
        self.text.clear();
        self.open = Some(Open {
            kind: if fast {
                RecordKind::Fast
            } else {
                RecordKind::Full
            },
            first_line: n,
            lines: 0,
            content_len: 0,
            content_lines: 0,
            after_blank: false,
        });
        self.push(line);
        Ok(())
    }

    fn push(&mut self, line: &str) {
        let Some(o) = &mut self.open else {
            return;
        };
        let blank = line.trim().is_empty() || is_separator(line);
        self.text.push_str(line);
        self.text.push('\n');
        o.lines += 1;
        if blank {
            o.after_blank = true;
        } else {
            o.after_blank = false;
            o.content_len = self.text.len();
            o.content_lines = o.lines;
        }
    }

    /// Ends the open record, if any, and hands it to the sink.
    fn close(&mut self) -> Result<(), ReadError> {
        let Some(o) = self.open.take() else {
            return Ok(());
        };
        let content = self.text[..o.content_len].trim_end_matches('\n');
        let result = build_alert(
            o.kind,
            &mut content.lines().take(o.content_lines),
            content,
            self.ctx.path,
            o.first_line,
            &self.hints,
            &mut self.payload,
        );
        let flow = match result {
            Ok(alert) => self.sink.alert(alert),
            Err(e) => {
                let detail = format!("alert record: {e}");
                let at = Provenance {
                    path: self.ctx.path.into(),
                    location: Location::Line(o.first_line),
                };
                self.sink
                    .skipped(SkipReason::MALFORMED_ALERT, &at, Some(&detail))
            }
        };
        self.text.clear();
        match flow {
            Flow::Continue => Ok(()),
            Flow::Stop => Err(ReadError::Stopped),
        }
    }
}

/// Whether a line starts a new record.
fn starts_record(line: &str) -> bool {
    looks_like_full(line) || looks_like_fast(line)
}

/// Lines that may follow a blank line inside a record: Snort 3 puts a blank line before each
/// buffer dump after a one-line alert, and Snort 1.x one before the `=+=+` separator.
fn continues_after_blank(t: &str) -> bool {
    dump_header(t).is_some() || is_dash_rule(t) || hex_row(t, &mut Vec::new()).is_some()
}

/// Packet detail lines that may follow a one-line alert (Snort 3 `alert_fast` with packet
/// dumps, Snort 2 console output): MAC, IP, TCP, UDP, ICMP and option lines, dumps.
fn is_detail_line(t: &str) -> bool {
    let first = t.split_whitespace().next().unwrap_or("");
    continues_after_blank(t)
        || t.contains(" TTL:")
        || t.contains(" type:0x")
        || t.contains("Seq: 0x")
        || t.starts_with("Type:")
        || t.starts_with("Len:")
        || t.starts_with("TCP Options")
        || t.starts_with("IP Options")
        || t.starts_with("Frag Offset:")
        || t.starts_with("** ")
        || (t.starts_with('(') && t.ends_with("original packet)"))
        || first == "Seq:"
}

fn fit(open: &Open, line: &str, info: LineInfo) -> Fit {
    let t = line.trim();
    if info.overlong || starts_record(line) {
        return Fit::Outside;
    }
    if is_separator(t) {
        return Fit::Ends;
    }
    if t.is_empty() {
        // A second blank line always ends the record.
        return if open.after_blank {
            Fit::Outside
        } else {
            Fit::Continues
        };
    }
    if open.after_blank {
        return if continues_after_blank(t) {
            Fit::Continues
        } else {
            Fit::Outside
        };
    }
    match open.kind {
        // A full alert runs to the blank line Snort writes after it.
        RecordKind::Full => Fit::Continues,
        RecordKind::Fast if is_detail_line(t) => Fit::Continues,
        RecordKind::Fast => Fit::Outside,
    }
}
