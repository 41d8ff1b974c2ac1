//! Pieces shared by the line-oriented context readers (ipchains, netfilter, Cisco ASA, pf,
//! Zeek): a bounded line reader, syslog and RFC 3339 timestamps, the year of year-less syslog
//! stamps, and TCP flag normalisation.

use std::borrow::Cow;
use std::io::BufRead;

use crate::model::time::{fraction_to_micros, micros_from_parts, month_from_abbrev};
use crate::model::{ContextEvent, Location, Provenance, SkipReason, Timestamp, YearSource};

use super::year::YearHints;
use super::{Flow, ReadContext, ReadError, Sink};

/// Longest line kept. Real firewall and Zeek lines stay below 4 KiB (a Zeek dns.log row with
/// many answers is the longest seen in the corpus, about 1.5 KiB); a longer "line" is binary
/// junk or a runaway, and reading it whole would let one record grow memory without bound.
pub const MAX_LINE_LEN: usize = 64 * 1024;

/// A line longer than [`MAX_LINE_LEN`]; its head is still offered to the reader.
pub const LINE_TOO_LONG: SkipReason = SkipReason("line_too_long");

/// What [`read_line`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineRead {
    Eof,
    Line,
    /// Longer than the limit: the buffer holds its first `max` bytes, the rest was read and
    /// dropped.
    TooLong,
}

/// Reads one line into `buf` (without its ending), whichever ending the file uses: LF, CRLF,
/// or a lone CR (old Mac files, some Windows tools; a CR-only file was one giant record). At
/// most `max` bytes are kept; the rest of a longer line is consumed without being kept.
pub fn read_line(
    input: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    buf.clear();
    let mut any = false;
    let mut too_long = false;
    loop {
        let avail = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => LineRead::Eof,
                (true, true) => LineRead::TooLong,
                (true, false) => LineRead::Line,
            });
        }
        any = true;
        let end = memchr::memchr2(b'\n', b'\r', avail);
        let chunk = &avail[..end.unwrap_or(avail.len())];
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room {
            too_long = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let cr = end.is_some_and(|i| avail[i] == b'\r');
        let used = end.map_or(avail.len(), |i| i + 1);
        input.consume(used);
        if end.is_some() {
            if cr {
                // CRLF is one ending: take the LF too when it follows.
                loop {
                    match input.fill_buf() {
                        Ok(next) => {
                            if next.first() == Some(&b'\n') {
                                input.consume(1);
                            }
                            break;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}

/// The lines of `bytes` as [`read_line`] splits them (LF, CRLF or a lone CR), for tests and
/// tools that count what a reader should see.
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match memchr::memchr2(b'\n', b'\r', rest) {
            Some(i) => {
                out.push(&rest[..i]);
                let crlf = rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n');
                rest = &rest[i + 1 + usize::from(crlf)..];
            }
            None => {
                out.push(rest);
                rest = &[];
            }
        }
    }
    out
}

/// Reads lines one at a time into a reused buffer, counting them.
pub struct LineReader<'r> {
    input: &'r mut dyn BufRead,
    path: &'r str,
    buf: Vec<u8>,
    /// Longest line kept, in bytes; the rest of a longer line is read and dropped.
    limit: usize,
    /// 1-based number of the line last read.
    pub line_no: u64,
    /// Whether the line last read was cut at its limit.
    pub overlong: bool,
}

impl<'r> LineReader<'r> {
    pub fn new(input: &'r mut dyn BufRead, path: &'r str) -> Self {
        Self::with_limit(input, path, MAX_LINE_LEN)
    }

    /// A reader keeping at most `limit` bytes of each line.
    pub fn with_limit(input: &'r mut dyn BufRead, path: &'r str, limit: usize) -> Self {
        LineReader {
            input,
            path,
            buf: Vec::with_capacity(4096),
            limit,
            line_no: 0,
            overlong: false,
        }
    }

    fn io(&self, source: std::io::Error) -> ReadError {
        ReadError::Io {
            path: self.path.to_string(),
            source,
        }
    }

    /// Reads the next line (without its line ending). `Ok(false)` at the end of input.
    pub fn next_line(&mut self) -> Result<bool, ReadError> {
        self.overlong = false;
        let got = read_line(self.input, &mut self.buf, self.limit).map_err(|e| self.io(e))?;
        match got {
            LineRead::Eof => return Ok(false),
            LineRead::TooLong => self.overlong = true,
            LineRead::Line => {}
        }
        self.line_no += 1;
        Ok(true)
    }

    /// The line last read, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.buf)
    }
}

/// Provenance of a line.
pub fn at_line<'p>(ctx: &ReadContext<'p>, line: u64) -> Provenance<'p> {
    Provenance {
        path: Cow::Borrowed(ctx.path),
        location: Location::Line(line),
    }
}

/// Turns a sink's answer into the reader's control flow.
pub fn go_on(flow: Flow) -> Result<(), ReadError> {
    match flow {
        Flow::Continue => Ok(()),
        Flow::Stop => Err(ReadError::Stopped),
    }
}

/// What the one-record-per-line readers (Snort 3's alert_json and alert_csv) do with a line
/// before parsing it: a line cut at the reader's limit is reported skipped, line 1's UTF-8 BOM
/// is dropped, a blank line is no record, and a line of invalid UTF-8 is kept with U+FFFD and
/// reported repaired. `text` is [`LineReader::text`] of the line. Returns the text to parse,
/// `None` for a line that is no record.
// The `Cow` tells whether the bytes were valid UTF-8, which a `&str` no longer says.
#[allow(clippy::ptr_arg)]
pub fn record_line<'t>(
    lines: &LineReader<'_>,
    text: &'t Cow<'_, str>,
    at: &Provenance<'_>,
    sink: &mut dyn Sink,
) -> Result<Option<&'t str>, ReadError> {
    let n = lines.line_no;
    if lines.overlong {
        let detail = format!("line {n}: longer than {} bytes", lines.limit);
        go_on(sink.skipped(LINE_TOO_LONG, at, Some(&detail)))?;
        return Ok(None);
    }
    let mut line: &str = text.as_ref();
    if n == 1 {
        line = line.strip_prefix('\u{feff}').unwrap_or(line);
    }
    if line.trim().is_empty() {
        return Ok(None);
    }
    if matches!(text, Cow::Owned(_)) {
        let detail =
            format!("line {n}: not UTF-8; the bytes were replaced with U+FFFD and the record kept");
        sink.repaired(super::REPAIRED_UTF8, at, &detail);
    }
    Ok(Some(line))
}

/// A line parser of a syslog-style firewall format: an event, `Err(Some(why))` for a line of
/// the format that is broken, `Err(None)` for a line that is not of the format.
pub type LineParser = for<'l> fn(
    &'l str,
    &ReadContext<'l>,
    u64,
    &YearHints,
) -> Result<ContextEvent<'l>, Option<&'static str>>;

/// The record loop the one-line firewall readers share: every line is accounted for once, as
/// an event, or skipped as too long, blank, a date header (which sets the year for the lines
/// after it), broken (`MALFORMED_ALERT`, with the parser's reason), or not of the format
/// (`unrecognised` says which reason: some formats tell a stamped foreign log line from prose).
pub fn read_lines(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
    parse: LineParser,
    unrecognised: fn(&str, &YearHints) -> SkipReason,
) -> Result<(), ReadError> {
    let mut lines = LineReader::new(input, ctx.path);
    let mut years = YearHints::new(ctx);
    while lines.next_line()? {
        let n = lines.line_no;
        let text = lines.text();
        let line: &str = &text;
        let at = at_line(ctx, n);
        let flow = if lines.overlong {
            sink.skipped(LINE_TOO_LONG, &at, None)
        } else if line.trim().is_empty() {
            sink.skipped(SkipReason::BLANK, &at, None)
        } else if years.observe(line) {
            sink.skipped(SkipReason::SURROUNDING_TEXT, &at, None)
        } else {
            match parse(line, ctx, n, &years) {
                Ok(ev) => sink.context(ev),
                Err(Some(why)) => sink.skipped(SkipReason::MALFORMED_ALERT, &at, Some(why)),
                Err(None) => sink.skipped(unrecognised(line, &years), &at, None),
            }
        };
        go_on(flow)?;
    }
    Ok(())
}

/// For [`read_lines`]: every unrecognised line is surrounding text.
pub fn surrounding_text(_: &str, _: &YearHints) -> SkipReason {
    SkipReason::SURROUNDING_TEXT
}

/// A parsed syslog stamp `Mon DD HH:MM:SS[.ffffff]` (month and day, no year).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyslogStamp {
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
    /// Bytes of the input the stamp took.
    pub len: usize,
}

/// Parses a syslog stamp at the start of `s`.
pub fn syslog_stamp(s: &str) -> Option<SyslogStamp> {
    let b = s.as_bytes();
    if b.len() < 15 || !s.is_char_boundary(3) {
        return None;
    }
    let month = month_from_abbrev(&s[..3])?;
    if b[3] != b' ' {
        return None;
    }
    let day_txt = s.get(4..6)?;
    let day: u32 = day_txt.trim_start().parse().ok()?;
    if b[6] != b' ' {
        return None;
    }
    let (hour, minute, second) = hms(s.get(7..15)?)?;
    let mut len = 15;
    let mut micros = 0;
    if b.get(15) == Some(&b'.') {
        let digits = b[16..].iter().take_while(|c| c.is_ascii_digit()).count();
        micros = fraction_to_micros(&s[16..16 + digits])?;
        len = 16 + digits;
    }
    Some(SyslogStamp {
        month,
        day,
        hour,
        minute,
        second,
        micros,
        len,
    })
}

/// `HH:MM:SS`.
pub fn hms(s: &str) -> Option<(u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((num(&s[0..2])?, num(&s[3..5])?, num(&s[6..8])?))
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl SyslogStamp {
    /// The stamp as a [`Timestamp`] over `raw`, with the year from `years`.
    pub fn timestamp<'a>(&self, raw: &'a str, years: &YearHints) -> Timestamp<'a> {
        let (year, source) = years.year_for(self.month);
        self.with_year(raw, year, source)
    }

    pub fn with_year<'a>(
        &self,
        raw: &'a str,
        year: Option<i32>,
        source: YearSource,
    ) -> Timestamp<'a> {
        let unix_micros = year.and_then(|y| {
            micros_from_parts(
                y,
                self.month,
                self.day,
                self.hour,
                self.minute,
                self.second,
                self.micros,
            )
        });
        Timestamp {
            raw: Cow::Borrowed(raw),
            unix_micros,
            utc_offset_secs: None,
            year_source: if unix_micros.is_some() {
                source
            } else {
                YearSource::Unknown
            },
        }
    }
}

/// Parses an RFC 3339 stamp (`2015-03-07T05:09:30.045015+02:00`, `...Z`, or without a zone)
/// at the start of `s`; returns the timestamp and the bytes it took.
pub fn rfc3339_stamp(s: &str) -> Option<(Timestamp<'_>, usize)> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let y: i32 = num(s.get(0..4)?)? as i32;
    let mo = num(s.get(5..7)?)?;
    let d = num(s.get(8..10)?)?;
    let (h, mi, se) = hms(s.get(11..19)?)?;
    let mut len = 19;
    let mut micros = 0;
    if b.get(19) == Some(&b'.') {
        let digits = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
        micros = fraction_to_micros(&s[20..20 + digits])?;
        len = 20 + digits;
    }
    let mut offset = None;
    match b.get(len) {
        Some(b'Z' | b'z') => {
            offset = Some(0);
            len += 1;
        }
        Some(sign @ (b'+' | b'-')) => {
            let z = s.get(len + 1..len + 6)?;
            if z.as_bytes()[2] != b':' {
                return None;
            }
            let secs = (num(z.get(0..2)?)? * 3600 + num(z.get(3..5)?)? * 60) as i32;
            offset = Some(if *sign == b'-' { -secs } else { secs });
            len += 6;
        }
        _ => {}
    }
    let local = micros_from_parts(y, mo, d, h, mi, se, micros)?;
    let unix = local - i64::from(offset.unwrap_or(0)) * 1_000_000;
    Some((
        Timestamp {
            raw: Cow::Borrowed(&s[..len]),
            unix_micros: Some(unix),
            utc_offset_secs: offset,
            year_source: YearSource::Written,
        },
        len,
    ))
}

/// Seconds since the epoch with an optional fraction (`1300475169.780331`), as Zeek writes.
pub fn epoch_stamp(s: &str) -> Option<Timestamp<'_>> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let secs: i64 = if whole.bytes().all(|c| c.is_ascii_digit()) && whole.len() <= 12 {
        whole.parse().ok()?
    } else {
        return None;
    };
    let micros = match frac {
        Some(f) => i64::from(fraction_to_micros(f)?),
        None => 0,
    };
    Some(Timestamp {
        raw: Cow::Borrowed(s),
        unix_micros: Some(secs * 1_000_000 + micros),
        utc_offset_secs: Some(0),
        year_source: YearSource::Written,
    })
}

/// Strips a syslog `<PRI>` and an RFC 5424 version (`<134>1 `) from the front of a line.
pub fn strip_pri(s: &str) -> &str {
    let Some(rest) = s.strip_prefix('<') else {
        return s;
    };
    let Some(end) = rest.find('>') else {
        return s;
    };
    if end == 0 || end > 3 || !rest[..end].bytes().all(|c| c.is_ascii_digit()) {
        return s;
    }
    let rest = &rest[end + 1..];
    match rest.strip_prefix("1 ") {
        Some(r) => r,
        None => rest,
    }
}

/// The leading timestamp of a syslog line (after any `<PRI>`): a classic syslog stamp or an
/// RFC 3339 one. Returns the timestamp and the rest of the line after it.
pub fn leading_stamp<'a>(line: &'a str, years: &YearHints) -> Option<(Timestamp<'a>, &'a str)> {
    let s = strip_pri(line);
    if let Some(st) = syslog_stamp(s) {
        return Some((st.timestamp(&s[..st.len], years), &s[st.len..]));
    }
    if let Some((ts, len)) = rfc3339_stamp(s) {
        return Some((ts, &s[len..]));
    }
    None
}

/// A common-log-format stamp `20/Jun/2022:13:09:14 +0200` anywhere in `s` (Proxmox's firewall
/// log writes one after its own counters).
pub fn clf_stamp_in(s: &str) -> Option<Timestamp<'_>> {
    let mut from = 0;
    while let Some(i) = s[from..].find('/') {
        let slash = from + i;
        from = slash + 1;
        if slash < 2 || !s.is_char_boundary(slash - 2) {
            continue;
        }
        let start = slash - 2;
        let Some(cand) = s.get(start..start + 26) else {
            continue;
        };
        let b = cand.as_bytes();
        if b[6] != b'/' || b[11] != b':' || b[20] != b' ' || !matches!(b[21], b'+' | b'-') {
            continue;
        }
        let (Some(d), Some(mo), Some(y)) = (
            num(&cand[0..2]),
            month_from_abbrev(&cand[3..6]),
            num(&cand[7..11]),
        ) else {
            continue;
        };
        let Some((h, mi, se)) = hms(&cand[12..20]) else {
            continue;
        };
        let (Some(zh), Some(zm)) = (
            cand.get(22..24).and_then(num),
            cand.get(24..26).and_then(num),
        ) else {
            continue;
        };
        let off = (zh * 3600 + zm * 60) as i32;
        let off = if b[21] == b'-' { -off } else { off };
        let local = micros_from_parts(y as i32, mo, d, h, mi, se, 0)?;
        return Some(Timestamp {
            raw: Cow::Borrowed(cand),
            unix_micros: Some(local - i64::from(off) * 1_000_000),
            utc_offset_secs: Some(off),
            year_source: YearSource::Written,
        });
    }
    None
}

/// Whether `hay` contains `needle`, ignoring ASCII case.
pub fn contains_nocase(hay: &str, needle: &str) -> bool {
    let n = needle.len();
    n == 0
        || hay
            .as_bytes()
            .windows(n)
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// TCP flags as bits, in the order fpx prints them: `SAFRPUEC`.
pub mod tcp_flags {
    pub const SYN: u8 = 1;
    pub const ACK: u8 = 2;
    pub const FIN: u8 = 4;
    pub const RST: u8 = 8;
    pub const PSH: u8 = 16;
    pub const URG: u8 = 32;
    pub const ECE: u8 = 64;
    pub const CWR: u8 = 128;

    const ORDER: [u8; 8] = *b"SAFRPUEC";

    const fn build() -> [[u8; 8]; 256] {
        let mut t = [[0u8; 8]; 256];
        let mut m = 0;
        while m < 256 {
            let mut j = 0;
            let mut k = 0;
            while j < 8 {
                if m & (1 << j) != 0 {
                    t[m][k] = ORDER[j];
                    k += 1;
                }
                j += 1;
            }
            m += 1;
        }
        t
    }

    /// Every combination rendered once, so that events borrow their flags instead of
    /// allocating a string per record.
    static TABLE: [[u8; 8]; 256] = build();

    /// The normalised text of a flag set (`SA`, `FPU`, `` for none).
    pub fn render(bits: u8) -> &'static str {
        let row = &TABLE[bits as usize];
        std::str::from_utf8(&row[..bits.count_ones() as usize]).unwrap_or("")
    }

    /// A flag written as a word (`SYN`, `ACK`, ... as netfilter and ASA print them).
    pub fn from_word(w: &str) -> Option<u8> {
        Some(match w {
            "SYN" => SYN,
            "ACK" => ACK,
            "FIN" => FIN,
            "RST" => RST,
            "PSH" => PSH,
            "URG" => URG,
            "ECE" => ECE,
            "CWR" => CWR,
            _ => return None,
        })
    }

    /// Flags written as letters: tcpdump (`S`, `P.`, `F.`, `.` for ACK, `W` for CWR) and
    /// pfSense filterlog (`PA`, `FA`, `S`). `None` if any character is not a flag.
    pub fn from_letters(s: &str) -> Option<u8> {
        if s.is_empty() {
            return None;
        }
        let mut bits = 0;
        for c in s.bytes() {
            bits |= match c {
                b'S' => SYN,
                b'A' | b'.' => ACK,
                b'F' => FIN,
                b'R' => RST,
                b'P' => PSH,
                b'U' => URG,
                b'E' => ECE,
                b'W' | b'C' => CWR,
                _ => return None,
            };
        }
        Some(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_and_rfc3339_stamps() {
        let st = syslog_stamp("Aug 10 05:15:48 host").unwrap();
        assert_eq!((st.month, st.day, st.hour, st.len), (8, 10, 5, 15));
        let st = syslog_stamp("Sep  8 18:03:14.25 x").unwrap();
        assert_eq!((st.day, st.micros, st.len), (8, 250_000, 18));
        assert!(syslog_stamp("Foo 10 05:15:48").is_none());
        assert!(syslog_stamp("Aug 10 05:15").is_none());
        let (ts, len) = rfc3339_stamp("2015-03-07T05:09:30.045015+02:00 host").unwrap();
        assert_eq!(len, 32);
        assert_eq!(ts.utc_offset_secs, Some(7200));
        assert_eq!(
            ts.rfc3339().unwrap().to_string(),
            "2015-03-07T03:09:30.045015Z"
        );
        assert!(rfc3339_stamp("2015-13-07T05:09:30Z").is_none());
        assert_eq!(strip_pri("<134>1 2025-01-01"), "2025-01-01");
        assert_eq!(strip_pri("<166>Jan  5"), "Jan  5");
        assert_eq!(strip_pri("<x>"), "<x>");
    }

    #[test]
    fn mail_date_sets_the_year() {
        let ctx = ReadContext {
            path: "x",
            year: None,
            mtime_year: Some(2024),
        };
        let mut y = YearHints::new(&ctx);
        assert_eq!(y.year_for(8), (Some(2024), YearSource::FileModified));
        assert!(y.observe("Date: Wed, 15 Sep 2004 16:21:06 +0200"));
        assert_eq!(y.year_for(8), (Some(2004), YearSource::Surrounding));
        assert_eq!(y.year_for(12), (Some(2003), YearSource::Surrounding));
        assert!(!y.observe("Date of the incident: yesterday"));
        let flagged = YearHints::new(&ReadContext {
            path: "x",
            year: Some(2015),
            mtime_year: None,
        });
        assert_eq!(flagged.year_for(8), (Some(2015), YearSource::Flag));
    }

    #[test]
    fn flags_normalise() {
        use tcp_flags::*;
        assert_eq!(render(SYN | ACK), "SA");
        assert_eq!(render(URG | PSH | FIN), "FPU");
        assert_eq!(render(0), "");
        assert_eq!(from_letters("P."), Some(PSH | ACK));
        assert_eq!(from_letters("FA"), Some(FIN | ACK));
        assert_eq!(from_letters("x"), None);
        assert_eq!(from_word("RST"), Some(RST));
    }

    #[test]
    fn overlong_lines_are_cut_and_skipped_past() {
        let mut data = vec![b'a'; MAX_LINE_LEN + 10];
        data.extend_from_slice(b"\nnext\n");
        let mut cur = std::io::Cursor::new(data);
        let mut r = LineReader::new(&mut cur, "x");
        assert!(r.next_line().unwrap());
        assert!(r.overlong);
        assert!(r.next_line().unwrap());
        assert_eq!(r.text(), "next");
        assert_eq!(r.line_no, 2);
        assert!(!r.next_line().unwrap());
    }
}
