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
    dump_header, hex_row, is_dash_rule, is_separator, LineInfo, LineReader, MAX_LINE_LEN,
};
use super::year::YearHints;
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
    let mut lines = LineReader::new(input, ctx.path);
    let mut r = Reader {
        ctx,
        sink,
        hints: YearHints::new(ctx),
        text: String::new(),
        open: None,
        overflow_first: None,
        payload: Vec::new(),
    };
    let mut line = String::new();
    while let Some(info) = lines.next_line(&mut line)? {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alert, ContextEvent, IpProto, Original, YearSource};

    /// What a test needs to know about one alert, owned.
    #[derive(Debug, Clone)]
    struct Got {
        line: u64,
        format: InputFormat,
        sid: Option<u32>,
        msg: Option<String>,
        src: String,
        src_port: Option<u16>,
        dest_port: Option<u16>,
        date: Option<(i32, u32, u32)>,
        year_source: YearSource,
        payload: Option<Vec<u8>>,
        original_lines: usize,
        proto: Option<IpProto>,
    }

    #[derive(Default)]
    struct Collect {
        alerts: Vec<Got>,
        skipped: Vec<(u64, SkipReason, Option<String>)>,
        stop_after: Option<usize>,
    }

    fn line_of(at: &Provenance<'_>) -> u64 {
        match at.location {
            Location::Line(n) => n,
            Location::Offset(_) => panic!("text readers report lines"),
        }
    }

    impl Collect {
        fn flow(&self) -> Flow {
            match self.stop_after {
                Some(n) if self.alerts.len() + self.skipped.len() >= n => Flow::Stop,
                _ => Flow::Continue,
            }
        }
        fn count(&self, reason: SkipReason) -> usize {
            self.skipped.iter().filter(|s| s.1 == reason).count()
        }
    }

    impl Sink for Collect {
        fn alert(&mut self, a: Alert<'_>) -> Flow {
            let original_lines = match &a.original {
                Some(Original::Text(t)) => t.lines().count(),
                _ => panic!("text alerts keep their text"),
            };
            self.alerts.push(Got {
                line: line_of(&a.source),
                format: a.format,
                sid: a.sid,
                msg: a.msg.as_deref().map(str::to_string),
                src: a.src.host.to_string(),
                src_port: a.src.port,
                dest_port: a.dest.port,
                date: a.timestamp.date(),
                year_source: a.timestamp.year_source,
                payload: a.payload.as_deref().map(<[u8]>::to_vec),
                original_lines,
                proto: a.proto,
            });
            self.flow()
        }
        fn context(&mut self, _: ContextEvent<'_>) -> Flow {
            panic!("text alert readers produce no context events")
        }
        fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, d: Option<&str>) -> Flow {
            self.skipped
                .push((line_of(at), reason, d.map(str::to_string)));
            self.flow()
        }
    }

    fn run_with(text: &[u8], ctx: &ReadContext<'_>, format: InputFormat) -> Collect {
        let mut sink = Collect::default();
        let mut cur = std::io::Cursor::new(text);
        match format {
            InputFormat::Fast => super::super::fast::read(&mut cur, ctx, &mut sink).unwrap(),
            _ => super::super::full::read(&mut cur, ctx, &mut sink).unwrap(),
        }
        check_accounting(text, &sink);
        sink
    }

    fn run(text: &str) -> Collect {
        let ctx = ReadContext {
            path: "mail.txt",
            year: None,
            mtime_year: None,
        };
        run_with(text.as_bytes(), &ctx, InputFormat::Full)
    }

    /// Every line is in exactly one record: records start in order, a skipped record is one
    /// line (unless it is a malformed alert), and an alert's lines run to the next record,
    /// with only blank lines and separators after its own text.
    fn check_accounting(text: &[u8], sink: &Collect) {
        let lines: Vec<String> = crate::input::logline::split_lines(text)
            .into_iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        let mut starts: Vec<(u64, Option<usize>)> = sink
            .alerts
            .iter()
            .map(|a| (a.line, Some(a.original_lines)))
            // A malformed alert record may span lines; other skipped records are one line.
            .chain(
                sink.skipped
                    .iter()
                    .map(|s| (s.0, (s.1 == SkipReason::MALFORMED_ALERT).then_some(0))),
            )
            .collect();
        starts.sort_by_key(|s| s.0);
        let total = lines.len() as u64;
        if total == 0 {
            assert!(starts.is_empty());
            return;
        }
        assert_eq!(
            starts.first().map(|s| s.0),
            Some(1),
            "first line unaccounted"
        );
        for (i, &(first, orig)) in starts.iter().enumerate() {
            let next = starts.get(i + 1).map_or(total + 1, |s| s.0);
            assert!(next > first, "two records start at line {first}");
            match orig {
                None => assert_eq!(next, first + 1, "skipped record at {first} spans lines"),
                Some(0) => {}
                Some(n) => {
                    let span = (next - first) as usize;
                    assert!(span >= n, "alert at {first} overlaps the next record");
                    for l in &lines[first as usize - 1 + n..next as usize - 1] {
                        let t = l.trim();
                        assert!(t.is_empty() || is_separator(t), "line {l:?} lost");
                    }
                }
            }
        }
    }

    /// A full alert in a mail in the style of a 2001 mailing-list archive, with a payload
    /// dump whose last row is short.
    fn mail() -> String {
        let mut m = String::from(
            "List archives\n\
             \n\
             From: someone () example org\n\
             Date: Tue, 21 Aug 2001 10:11:12 +0200\n\
             \n\
             Hello list, what is this?\n\
             \n\
             [**] MISC odd reply [**]\n\
             08/20-22:01:02.000300 w.x.y.z:80 -> 10.20.XX.XX:31337\n\
             TCP TTL:60 TOS:0x0 ID:4242 IpLen:20 DgmLen:59 DF\n\
             ***AP*** Seq: 0x1  Ack: 0x2  Win: 0x3  TcpLen: 20\n",
        );
        let dump = b"HTTP/1.1 304 Not Modified\r\n";
        for row in dump.chunks(16) {
            let hex: Vec<String> = row.iter().map(|b| format!("{b:02X}")).collect();
            let ascii: String = row
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            m.push_str(&format!("{:<48} {ascii}\n", hex.join(" ")));
        }
        m.push_str(
            "\n=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+\n\
             \n\
             Thanks!\n\
             --\n\
             list footer\n",
        );
        m
    }

    #[test]
    fn alert_in_a_mail_page() {
        let s = run(&mail());
        assert_eq!(s.alerts.len(), 1);
        let a = &s.alerts[0];
        assert_eq!(a.line, 8);
        assert_eq!(a.format, InputFormat::Full);
        assert_eq!(a.sid, None);
        assert_eq!(a.msg.as_deref(), Some("MISC odd reply"));
        assert_eq!(a.src, "w.x.y.z");
        assert_eq!((a.src_port, a.dest_port), (Some(80), Some(31337)));
        assert_eq!(
            a.payload.as_deref(),
            Some(&b"HTTP/1.1 304 Not Modified\r\n"[..])
        );
        assert_eq!(a.year_source, YearSource::Surrounding);
        assert_eq!(a.date, Some((2001, 8, 20)));
        assert_eq!(a.original_lines, 6);
        assert_eq!(s.count(SkipReason::SURROUNDING_TEXT), 7);
        assert_eq!(s.count(SkipReason::BLANK), 4);
        assert_eq!(s.count(SkipReason::MALFORMED_ALERT), 0);
    }

    #[test]
    fn year_from_flag_date_header_and_mtime() {
        let alert = "[**] [1:2:3] x [**]\n12/31-23:59:59.000001 10.0.0.1 -> 10.0.0.2\n";
        // A December alert quoted in a January mail is from the year before.
        let s = run(&format!("Date: Wed, 2 Jan 2002 08:00:00 GMT\n\n{alert}"));
        assert_eq!(s.alerts[0].date, Some((2001, 12, 31)));
        assert_eq!(s.alerts[0].year_source, YearSource::Surrounding);
        // A Date header after the alert does not apply to it.
        let s = run(&format!("{alert}\nDate: Wed, 2 Jan 2002 08:00:00 GMT\n"));
        assert_eq!(s.alerts[0].year_source, YearSource::Unknown);
        assert_eq!(s.alerts[0].date, None);
        let ctx = ReadContext {
            path: "x",
            year: None,
            mtime_year: Some(2010),
        };
        let s = run_with(alert.as_bytes(), &ctx, InputFormat::Full);
        assert_eq!(s.alerts[0].year_source, YearSource::FileModified);
        assert_eq!(s.alerts[0].date, Some((2010, 12, 31)));
        let ctx = ReadContext {
            path: "x",
            year: Some(1999),
            mtime_year: Some(2010),
        };
        let text = format!("Date: Wed, 2 Jan 2002 08:00:00 GMT\n{alert}");
        let s = run_with(text.as_bytes(), &ctx, InputFormat::Full);
        assert_eq!(s.alerts[0].year_source, YearSource::Flag);
        assert_eq!(s.alerts[0].date, Some((1999, 12, 31)));
    }

    const MIXED: &str = "\
Some notes from the sensor:
01/02-03:04:05.000006  [**] [1:1000:1] first [**] [Priority: 1] {TCP} 10.0.0.1:1 -> 10.0.0.2:2

01/02/2003-03:04:05.000007  [**] [1:1001:1] second [**] [Classification: (null)] [Priority: 3] {UDP} 10.0.0.3:53 -> 10.0.0.4:5353
01/02-03:04:05.000008  [**] [1:1002:1] broken [**] {TCP} 10.0.0.1:1
[**] [1:1003:2] third [**]
[Priority: 2] 
01/02-03:04:05.000009 10.0.0.5 -> 10.0.0.6
ICMP TTL:1 TOS:0x0 ID:1 IpLen:20 DgmLen:28
Type:8  Code:0  ID:1   Seq:1  ECHO

[**] [1:1004 unfinished header
and that is all.
";

    #[test]
    fn mixed_fast_full_and_prose_through_either_reader() {
        let ctx = ReadContext {
            path: "mixed",
            year: Some(2003),
            mtime_year: None,
        };
        for format in [InputFormat::Fast, InputFormat::Full] {
            let s = run_with(MIXED.as_bytes(), &ctx, format);
            let sids: Vec<_> = s.alerts.iter().map(|a| a.sid).collect();
            assert_eq!(sids, [Some(1000), Some(1001), Some(1003)]);
            assert_eq!(s.alerts[0].format, InputFormat::Fast);
            assert_eq!(s.alerts[2].format, InputFormat::Full);
            assert_eq!(s.alerts[1].year_source, YearSource::Written);
            assert_eq!(s.alerts[2].proto, Some(IpProto::ICMP));
            let malformed: Vec<_> = s
                .skipped
                .iter()
                .filter(|x| x.1 == SkipReason::MALFORMED_ALERT)
                .collect();
            assert_eq!(malformed.len(), 2);
            assert_eq!(malformed[0].0, 5);
            assert!(malformed[0].2.as_deref().unwrap().contains("endpoints"));
            assert_eq!(malformed[1].0, 12);
            assert!(malformed[1].2.as_deref().unwrap().contains("gid:sid:rev"));
            assert_eq!(s.count(SkipReason::SURROUNDING_TEXT), 2);
        }
    }

    #[test]
    fn fast_file_with_blank_lines_and_crlf() {
        let text = "01/02/2003-03:04:05.000007  [**] [1:1:1] a [**] [Priority: 3] {TCP} 10.0.0.3:5 -> 10.0.0.4:6\r\n\r\n\r\n\
                    01/02/2003-03:04:05.000008  [**] [1:2:1] b [**] [Priority: 3] {TCP} 10.0.0.3:5 -> 10.0.0.4:6\r\n";
        let s = run(text);
        assert_eq!(s.alerts.len(), 2);
        assert_eq!(s.alerts[1].line, 4);
        assert_eq!(s.count(SkipReason::BLANK), 1);
    }

    #[test]
    fn over_long_record_is_closed_and_the_rest_skipped() {
        let mut t = String::from(
            "[**] [1:9:1] big [**]\n01/01-00:00:00.000001 10.0.0.1:1 -> 10.0.0.2:2\n\
             TCP TTL:1 TOS:0x0 ID:1 IpLen:20 DgmLen:40\n",
        );
        let rows = MAX_RECORD_LINES + 5;
        for _ in 0..rows {
            t.push_str("41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA\n");
        }
        t.push_str(
            "\n01/01-00:00:01.000001  [**] [1:10:1] next [**] {TCP} 10.0.0.1:1 -> 10.0.0.2:2\n",
        );
        let s = run(&t);
        assert_eq!(s.alerts.len(), 2);
        assert_eq!(s.alerts[0].original_lines, MAX_RECORD_LINES);
        assert_eq!(
            s.alerts[0].payload.as_ref().map(Vec::len),
            Some((MAX_RECORD_LINES - 3) * 16)
        );
        assert_eq!(s.count(SkipReason::TRUNCATED), rows + 3 - MAX_RECORD_LINES);
        assert_eq!(s.alerts[1].sid, Some(10));
    }

    #[test]
    fn invalid_utf8_and_overlong_lines() {
        let mut t = b"caf\xe9 prose\n01/02-03:04:05.000006  [**] [1:7:1] bad \xff msg [**] {TCP} 10.0.0.1:1 -> 10.0.0.2:2\n".to_vec();
        t.extend(std::iter::repeat_n(b'x', MAX_LINE_LEN * 2));
        t.push(b'\n');
        t.extend_from_slice(b"01/02-03:04:05.000006  [**] ");
        t.extend(std::iter::repeat_n(b'y', MAX_LINE_LEN));
        t.push(b'\n');
        let ctx = ReadContext {
            path: "x",
            year: None,
            mtime_year: None,
        };
        let s = run_with(&t, &ctx, InputFormat::Fast);
        assert_eq!(s.alerts.len(), 1);
        assert_eq!(s.alerts[0].msg.as_deref(), Some("bad \u{fffd} msg"));
        assert!(s.skipped[0].2.as_deref().unwrap().contains("UTF-8"));
        assert!(s.skipped[1].2.as_deref().unwrap().contains("longer"));
        assert_eq!(s.skipped[2].1, SkipReason::MALFORMED_ALERT);
    }

    #[test]
    fn stop_from_the_sink_ends_the_read() {
        let ctx = ReadContext {
            path: "x",
            year: None,
            mtime_year: None,
        };
        let mut sink = Collect {
            stop_after: Some(2),
            ..Default::default()
        };
        let mut cur = std::io::Cursor::new(MIXED.as_bytes());
        let r = super::super::full::read(&mut cur, &ctx, &mut sink);
        assert!(matches!(r, Err(ReadError::Stopped)));
        assert_eq!(sink.alerts.len() + sink.skipped.len(), 2);
    }

    #[test]
    fn truncated_input_at_every_line_and_byte() {
        let m = mail();
        let lines: Vec<&str> = m.lines().collect();
        for n in 0..=lines.len() {
            let t = lines[..n].join("\n");
            let s = run(&t);
            // The alert exists once its timestamp line (line 9) is there.
            assert_eq!(s.alerts.len(), usize::from(n >= 9), "{n} lines");
        }
        let fast = MIXED.lines().nth(3).unwrap();
        for i in 0..=fast.len() {
            let s = run(&fast[..i]);
            assert!(s.alerts.len() <= 1);
        }
        let bytes = MIXED.as_bytes();
        let ctx = ReadContext {
            path: "x",
            year: None,
            mtime_year: None,
        };
        for i in 0..=bytes.len() {
            run_with(&bytes[..i], &ctx, InputFormat::Full);
        }
    }

    #[test]
    fn mutated_input_never_panics() {
        // Deterministic xorshift mutations of a mixed file: bytes replaced by characters that
        // matter to the grammar, or by arbitrary bytes.
        const SPECIAL: &[u8] = b"[]{}:*-> \n/.0123456789ABCDEF\xff";
        let base = format!("{MIXED}{}", mail());
        let ctx = ReadContext {
            path: "x",
            year: None,
            mtime_year: None,
        };
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300 {
            let mut b = base.clone().into_bytes();
            for _ in 0..1 + next() % 8 {
                let i = (next() as usize) % b.len();
                let r = next();
                b[i] = if r % 2 == 0 {
                    SPECIAL[(r as usize / 2) % SPECIAL.len()]
                } else {
                    (r >> 8) as u8
                };
            }
            run_with(&b, &ctx, InputFormat::Full);
        }
    }
}
