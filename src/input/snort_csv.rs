//! Snort `alert_csv`: one line per alert, the fields of the logger's `fields` setting in its
//! order, joined by its `separator` (Snort 3: `, ` by default; Snort 2 always `,`). The file
//! has no header:
//!
//! ```text
//! 04/28-02:14:03.418862, 1, UDP, raw, 60, C2S, 192.168.88.23:52814, 224.0.0.252:5355, 1:2009099:3, allow
//! ```
//!
//! Which column is which is found in this order:
//!
//! 1. a header line naming the fields (`# timestamp pkt_num proto ...`, or a line of three or
//!    more field names and nothing else), which Snort does not write but an analyst may add;
//! 2. the default field list (`timestamp pkt_num proto pkt_gen pkt_len dir src_ap dst_ap rule
//!    action`), when a line has ten columns that fit it; or Snort 2's (`spo_csv.c`: 27 columns
//!    from `timestamp,sig_generator,sig_id,sig_rev,msg,proto,src,...`), whose names a header
//!    may use too;
//! 3. the content of the columns: two of a `gid:sid:rev` column, an `addr:port` (or address)
//!    pair, a Snort timestamp and a quoted msg, and what else can be told by its look (base64
//!    data, a MAC pair, `C2S`, `stream_tcp`, `allow`, TCP flags, the `seconds` that match the
//!    timestamp, class text). A column that cannot be told (a bare number) stays unknown until
//!    a later line tells it.
//!
//! The separator is the first of `,` (which covers `, `), tab, `;`, `|` and space that gives
//! the layout's number of columns. A field in double quotes (`msg`, `b64_data`) may hold the
//! separator. What the fields mean is shared with `alert_json` in `snort3`.
//!
//! Every non-blank line is one record: an alert, a header or comment line, a line that does not
//! fit its layout (`malformed_alert`, saying why), or one that is no alert_csv line at all.

use std::borrow::Cow;
use std::io::BufRead;

use super::logline::{at_line, go_on, record_line, LineReader};
use super::snort3::{build_alert, split_ap, Field, Record, DEFAULT_FIELDS, MAX_LINE_LEN};
use super::textcommon::{parse_sig_triple, parse_text_time, TextTime};
use super::year::YearHints;
use super::{ReadContext, ReadError, Sink};
use crate::model::time::days_from_civil;
use crate::model::{Engine, InputFormat, Original, SkipReason};

/// A line naming the fields; it sets the layout of the lines after it.
pub const SKIP_HEADER: SkipReason = SkipReason("snort_csv_header");

/// Most columns in a line. Snort's alert_csv has 52 fields; a `fields` list may name one
/// twice, and a line with more columns than this is not one Snort wrote.
pub const MAX_COLUMNS: usize = 64;

/// Reads Snort 3 (or Snort 2) `alert_csv` lines from `input` into `sink`.
pub fn read(
    input: &mut dyn BufRead,
    ctx: &ReadContext<'_>,
    sink: &mut dyn Sink,
) -> Result<(), ReadError> {
    let mut lines = LineReader::with_limit(input, ctx.path, MAX_LINE_LEN);
    let mut r = Reader {
        hints: YearHints::new(ctx),
        layout: None,
        spans: Vec::with_capacity(MAX_COLUMNS),
    };
    while lines.next_line()? {
        let n = lines.line_no;
        let at = at_line(ctx, n);
        let text = lines.text();
        let Some(line) = record_line(&lines, &text, &at, sink)? else {
            continue;
        };
        let flow = match r.line(line) {
            Ok((rec, snort2)) => {
                let original = Original::Text(Cow::Borrowed(line));
                let mut a = build_alert(rec, at, InputFormat::SnortCsv, &r.hints, original);
                if snort2 {
                    a.engine = Some(Engine::Snort2);
                }
                sink.alert(a)
            }
            Err((reason, why)) => {
                let detail = format!("line {n}: {why}");
                sink.skipped(reason, &at, Some(&detail))
            }
        };
        go_on(flow)?;
    }
    Ok(())
}

/// Whether a line looks like Snort `alert_csv`: a header naming its fields, or columns that
/// fit a default field list or can be told by their content (see the module docs). A comment
/// line counts only as a header.
pub fn looks_like_csv(line: &str) -> bool {
    if line.contains(super::fast::MARK) {
        // A fast or full alert line: its timestamp and endpoints would pass for columns.
        return false;
    }
    if line.trim_start().starts_with('#') {
        return header_fields(line).is_some();
    }
    header_fields(line).is_some() || infer(line, &mut Vec::new()).is_some()
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/// The separators tried, in order. `,` also reads Snort's default `, ` (columns are trimmed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sep {
    Comma,
    Tab,
    Semicolon,
    Pipe,
    Space,
}

impl Sep {
    const ALL: [Sep; 5] = [Sep::Comma, Sep::Tab, Sep::Semicolon, Sep::Pipe, Sep::Space];

    fn byte(self) -> u8 {
        match self {
            Sep::Comma => b',',
            Sep::Tab => b'\t',
            Sep::Semicolon => b';',
            Sep::Pipe => b'|',
            Sep::Space => b' ',
        }
    }

    /// Whether spaces around a column belong to the separator. With a space or tab as the
    /// separator, two in a row are an empty column.
    fn trims(self) -> bool {
        !matches!(self, Sep::Tab | Sep::Space)
    }
}

/// One column of a line: a byte range of it, without the quotes of a quoted column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    quoted: bool,
}

impl Span {
    fn of<'a>(&self, line: &'a str) -> &'a str {
        line.get(self.start..self.end).unwrap_or("")
    }
}

/// Splits a line into columns at `sep`. A column that starts with `"` runs to the `"` that is
/// followed by the separator or the end of the line (a `\"` inside does not end it). `false`
/// when the line has more than [`MAX_COLUMNS`] columns.
fn split(line: &str, sep: Sep, out: &mut Vec<Span>) -> bool {
    out.clear();
    let b = line.as_bytes();
    let s = sep.byte();
    let is_pad = |c: u8| sep.trims() && (c == b' ' || c == b'\t');
    let mut i = 0;
    loop {
        if out.len() == MAX_COLUMNS {
            return false;
        }
        let mut j = i;
        while j < b.len() && is_pad(b[j]) {
            j += 1;
        }
        if b.get(j) == Some(&b'"') {
            if let Some((close, next)) = closing_quote(b, j, s, &is_pad) {
                out.push(Span {
                    start: j + 1,
                    end: close,
                    quoted: true,
                });
                match next {
                    Some(k) => {
                        i = k;
                        continue;
                    }
                    None => return true,
                }
            }
        }
        let (end, next) = match memchr::memchr(s, &b[i..]) {
            Some(k) => (i + k, Some(i + k + 1)),
            None => (b.len(), None),
        };
        let mut e = end;
        while e > j && is_pad(b[e - 1]) {
            e -= 1;
        }
        out.push(Span {
            start: j.min(e),
            end: e,
            quoted: false,
        });
        match next {
            Some(k) => i = k,
            None => return true,
        }
    }
}

/// The closing quote of the quoted column opening at `open`, and where the next column starts
/// (`None` at the end of the line).
fn closing_quote(
    b: &[u8],
    open: usize,
    sep: u8,
    is_pad: &dyn Fn(u8) -> bool,
) -> Option<(usize, Option<usize>)> {
    let mut k = open + 1;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            b'"' => {
                let mut m = k + 1;
                while m < b.len() && is_pad(b[m]) {
                    m += 1;
                }
                if m == b.len() {
                    return Some((k, None));
                }
                if b[m] == sep {
                    return Some((k, Some(m + 1)));
                }
                k += 1;
            }
            _ => k += 1,
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------------

/// Where a layout came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Header,
    /// Snort 3's default field list, or Snort 2's.
    Default,
    Content,
}

/// Which field each column holds, and the separator (not known yet after a header).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Layout {
    sep: Option<Sep>,
    columns: Vec<Option<Field>>,
    origin: Origin,
    /// The columns are Snort 2's (`spo_csv.c`): the alerts are Snort 2's.
    snort2: bool,
}

/// Snort 2's `alert_csv` (`spo_csv.c`) names for the fields it shares with Snort 3 under
/// other names (`timestamp`, `msg`, `proto`, `ttl` and `tos` are the same). `dgmlen` is the
/// datagram length, what Snort 3 writes as `pkt_len`; `iplen` (the header length shifted
/// twice), `tcpln` (a misspelling in Snort 2's default list that writes nothing) and
/// `trheader` (Token Ring) are columns with nothing to read.
const SNORT2_NAMES: [(&str, Option<Field>); 26] = [
    ("sig_generator", Some(Field::Gid)),
    ("sig_id", Some(Field::Sid)),
    ("sig_rev", Some(Field::Rev)),
    ("src", Some(Field::SrcAddr)),
    ("srcport", Some(Field::SrcPort)),
    ("dst", Some(Field::DstAddr)),
    ("dstport", Some(Field::DstPort)),
    ("ethsrc", Some(Field::EthSrc)),
    ("ethdst", Some(Field::EthDst)),
    ("ethlen", Some(Field::EthLen)),
    ("ethtype", Some(Field::EthType)),
    ("udplength", Some(Field::UdpLen)),
    ("tcpflags", Some(Field::TcpFlags)),
    ("tcpseq", Some(Field::TcpSeq)),
    ("tcpack", Some(Field::TcpAck)),
    ("tcplen", Some(Field::TcpLen)),
    ("tcpwindow", Some(Field::TcpWin)),
    ("id", Some(Field::IpId)),
    ("dgmlen", Some(Field::PktLen)),
    ("icmptype", Some(Field::IcmpType)),
    ("icmpcode", Some(Field::IcmpCode)),
    ("icmpid", Some(Field::IcmpId)),
    ("icmpseq", Some(Field::IcmpSeq)),
    ("iplen", None),
    ("tcpln", None),
    ("trheader", None),
];

/// Snort 2's default field list (`DEFAULT_CSV` in `spo_csv.c`); its separator is always `,`.
const SNORT2_DEFAULT: &str = "timestamp,sig_generator,sig_id,sig_rev,msg,proto,src,srcport,dst,\
                              dstport,ethsrc,ethdst,ethlen,tcpflags,tcpseq,tcpack,tcpln,\
                              tcpwindow,ttl,tos,id,dgmlen,iplen,icmptype,icmpcode,icmpid,icmpseq";

/// The field a column name stands for, and whether the name is Snort 2's only. Snort 3
/// names are matched exactly, Snort 2 names in any case (as `spo_csv.c` does).
fn column_name(tok: &str) -> Option<(Option<Field>, bool)> {
    if let Some(f) = Field::from_name(tok) {
        return Some((Some(f), false));
    }
    SNORT2_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(tok))
        .map(|(_, f)| (*f, true))
        .or_else(|| {
            ["timestamp", "msg", "proto", "ttl", "tos"]
                .iter()
                .find(|n| n.eq_ignore_ascii_case(tok))
                .map(|n| (Field::from_name(n), false))
        })
}

/// The fields a header line names: after a `#`, two or more names; without one, three or more
/// and nothing else on the line. The flag says whether they are Snort 2's.
fn header_fields(line: &str) -> Option<(Vec<Option<Field>>, bool)> {
    let t = line.trim();
    let (body, min) = match t.strip_prefix('#') {
        Some(rest) => (rest.trim_start_matches('#'), 2),
        None => (t, 3),
    };
    let mut out = Vec::new();
    let mut snort2 = false;
    for tok in body
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '|'))
        .filter(|s| !s.is_empty())
    {
        if out.len() == MAX_COLUMNS {
            return None;
        }
        let (f, two) = column_name(tok)?;
        snort2 |= two;
        out.push(f);
    }
    (out.len() >= min).then_some((out, snort2))
}

/// What a column's content says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guess {
    One(Field),
    /// The first such column is the source's, the second the destination's.
    Pair(Field, Field),
}

/// Words Snort writes in the `pkt_gen` column (`Packet::get_pseudo_type`).
const PKT_GEN: [&str; 8] = [
    "raw",
    "stream_ip",
    "stream_tcp",
    "stream_user",
    "dce2_rpc_deseg",
    "dce2_rpc_defrag",
    "dce2_smb_deseg",
    "dce2_smb_transact",
];

/// Protocol names Snort writes in the `proto` column (`Packet::get_type`); `unknown` is left
/// out because it is also a `service`.
const PROTO: [&str; 6] = ["IP", "ICMP", "TCP", "UDP", "ARP", "eth"];

/// Service names of Snort's wizard and inspectors that a `service` column holds.
const SERVICES: [&str; 24] = [
    "http",
    "http2",
    "ssl",
    "smtp",
    "pop3",
    "imap",
    "dns",
    "ftp",
    "ftp-data",
    "ssh",
    "telnet",
    "sip",
    "dnp3",
    "modbus",
    "dce_smb",
    "dce_tcp",
    "dce_udp",
    "netbios-ssn",
    "mms",
    "s7commplus",
    "iec104",
    "sunrpc",
    "tftp",
    "rdp",
];

/// Snort 3's action strings (`Active::act_str`) without their prefixes.
const ACTIONS: [&str; 8] = [
    "allow", "trust", "hold", "retry", "rewrite", "drop", "block", "reset",
];

fn is_action(s: &str) -> bool {
    let base = ["cant_", "would_", "force_"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s);
    ACTIONS.contains(&base)
}

fn is_mac(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, c)| {
            if i % 3 == 2 {
                *c == b':'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_tcp_flags(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b"*12UAPRSFCE".contains(&b)) && s.contains('*')
}

/// `gid:sid:rev` as Snort prints it (`%u:%u:%u`): no leading zeros, gid and sid not 0, and
/// not a time of day (`10:57:26`: no gid from 10 to 23 exists).
fn is_rule(s: &str) -> bool {
    let time_of_day =
        super::logline::hms(s).is_some_and(|(h, m, sec)| h < 24 && m < 60 && sec < 61);
    if time_of_day {
        return false;
    }
    let plain = |p: &str| {
        !p.is_empty()
            && p.len() <= 10
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p == "0" || !p.starts_with('0'))
    };
    let mut parts = s.split(':');
    let (Some(g), Some(sid), Some(r), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    plain(g) && plain(sid) && plain(r) && g != "0" && sid != "0" && parse_sig_triple(s).is_some()
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// `addr:port` with a real address, as `src_ap`/`dst_ap` write it.
fn is_ap(s: &str) -> bool {
    matches!(split_ap(s), (Some(h), Some(_)) if is_ip(h))
}

/// Base64 as `b64_data` holds it: the alphabet, a length that is a multiple of four, and
/// something only encoded data has (a digit, `+`, `/`, `=`, or sixteen characters or more), so
/// that a quoted one-word msg is not taken for it.
fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() % 4 == 0
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
        && (b.len() >= 16
            || b.iter()
                .any(|c| c.is_ascii_digit() || matches!(c, b'+' | b'/' | b'=')))
}

/// Whether a number is the Unix time of a printed timestamp: the same second, minutes that
/// differ by whole quarter hours (time zones do), and a date no more than a day apart.
fn is_seconds_of(s: &str, t: &TextTime) -> bool {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(secs) = s.parse::<i64>() else {
        return false;
    };
    if secs % 60 != i64::from(t.second) || (secs / 60) % 15 != i64::from(t.minute % 15) {
        return false;
    }
    let day = secs.div_euclid(86_400);
    let (y, _, _) = crate::model::time::civil_from_days(day);
    [y - 1, y, y + 1]
        .iter()
        .any(|&y| (days_from_civil(y, t.month, t.day) - day).abs() <= 1)
}

/// Free text as the `class` column holds it (`Potential Corporate Privacy Violation`).
fn is_class_text(s: &str) -> bool {
    s.contains(' ')
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '\'' | '(' | ')' | '/' | '.'))
}

/// What a column is, by its content; `None` for what cannot be told (bare numbers above all).
fn guess(text: &str, quoted: bool, time: Option<&TextTime>) -> Option<Guess> {
    use Guess::{One, Pair};
    if text.is_empty() {
        return None;
    }
    if quoted {
        return Some(if is_base64(text) {
            One(Field::B64Data)
        } else {
            One(Field::Msg)
        });
    }
    let g = if parse_text_time(text).is_some() {
        One(Field::Timestamp)
    } else if is_rule(text) {
        One(Field::Rule)
    } else if is_mac(text) {
        Pair(Field::EthSrc, Field::EthDst)
    } else if is_ap(text) {
        Pair(Field::SrcAp, Field::DstAp)
    } else if is_ip(text) {
        Pair(Field::SrcAddr, Field::DstAddr)
    } else if matches!(text, "C2S" | "S2C" | "UNK") {
        One(Field::Dir)
    } else if PKT_GEN.contains(&text) {
        One(Field::PktGen)
    } else if PROTO.contains(&text) {
        One(Field::Proto)
    } else if SERVICES.contains(&text) {
        One(Field::Service)
    } else if is_action(text) {
        One(Field::Action)
    } else if is_tcp_flags(text) {
        One(Field::TcpFlags)
    } else if time.is_some_and(|t| is_seconds_of(text, t)) {
        One(Field::Seconds)
    } else if is_class_text(text) {
        One(Field::Class)
    } else {
        return None;
    };
    Some(g)
}

/// Fills the unknown columns of `columns` that the content of this line tells, each field at
/// most once.
fn learn(line: &str, spans: &[Span], columns: &mut [Option<Field>]) {
    let time = spans
        .iter()
        .zip(columns.iter())
        .filter(|(s, f)| !s.quoted && matches!(f, None | Some(Field::Timestamp)))
        .find_map(|(s, _)| parse_text_time(s.of(line)));
    for i in 0..columns.len().min(spans.len()) {
        if columns[i].is_some() {
            continue;
        }
        let used = |f: Field| columns.contains(&Some(f));
        let field = match guess(spans[i].of(line), spans[i].quoted, time.as_ref()) {
            Some(Guess::One(f)) if !used(f) => Some(f),
            Some(Guess::Pair(a, _)) if !used(a) => Some(a),
            Some(Guess::Pair(_, b)) if !used(b) => Some(b),
            _ => None,
        };
        columns[i] = field;
    }
}

/// Whether ten columns fit the default field list: the rule, and the timestamp or both
/// `addr:port` columns.
fn fits_default(line: &str, spans: &[Span]) -> bool {
    let col = |i: usize| spans[i].of(line);
    spans.len() == DEFAULT_FIELDS.len()
        && parse_sig_triple(col(8)).is_some()
        && (parse_text_time(col(0)).is_some() || (is_ap(col(6)) && is_ap(col(7))))
}

/// Whether 27 columns fit Snort 2's default list: timestamp, gid, sid and rev numbers, and a
/// source address (or none).
fn fits_snort2_default(line: &str, spans: &[Span]) -> bool {
    let col = |i: usize| spans[i].of(line);
    let number = |i: usize| !col(i).is_empty() && col(i).bytes().all(|b| b.is_ascii_digit());
    spans.len() == SNORT2_DEFAULT.split(',').count()
        && parse_text_time(col(0)).is_some()
        && (1..4).all(number)
        && (col(6).is_empty() || is_ip(col(6)))
}

fn snort2_default_columns() -> Vec<Option<Field>> {
    SNORT2_DEFAULT
        .split(',')
        .map(|n| column_name(n.trim()).and_then(|(f, _)| f))
        .collect()
}

/// The layout of a line on its own: the default field list if it fits, else what its columns'
/// content tells, with the separator that tells the most. A layout by content needs two of a
/// `gid:sid:rev` column, a timestamp, a pair of addresses and a quoted msg, so that prose
/// with a time of day or a rule id in it is not taken for a line of columns. `spans` holds the
/// line's columns by the layout's separator afterwards.
fn infer(line: &str, spans: &mut Vec<Span>) -> Option<Layout> {
    let layout = infer_any(line, spans)?;
    if let Some(sep) = layout.sep {
        split(line, sep, spans);
    }
    Some(layout)
}

fn infer_any(line: &str, spans: &mut Vec<Span>) -> Option<Layout> {
    for sep in Sep::ALL {
        if split(line, sep, spans) && fits_default(line, spans) {
            return Some(Layout {
                sep: Some(sep),
                columns: DEFAULT_FIELDS.iter().map(|f| Some(*f)).collect(),
                origin: Origin::Default,
                snort2: false,
            });
        }
    }
    if split(line, Sep::Comma, spans) && fits_snort2_default(line, spans) {
        return Some(Layout {
            sep: Some(Sep::Comma),
            columns: snort2_default_columns(),
            origin: Origin::Default,
            snort2: true,
        });
    }
    let mut best: Option<(usize, Layout)> = None;
    for sep in Sep::ALL {
        if !split(line, sep, spans) || spans.len() < 3 {
            continue;
        }
        let mut columns = vec![None; spans.len()];
        learn(line, spans, &mut columns);
        let has = |f: Field| columns.contains(&Some(f));
        let strong = [
            has(Field::Rule),
            has(Field::Timestamp),
            (has(Field::SrcAp) && has(Field::DstAp))
                || (has(Field::SrcAddr) && has(Field::DstAddr)),
            has(Field::Msg),
        ];
        let usable = strong.iter().filter(|s| **s).count() >= 2;
        let known = columns.iter().filter(|c| c.is_some()).count();
        if usable && best.as_ref().is_none_or(|(k, _)| known > *k) {
            best = Some((
                known,
                Layout {
                    sep: Some(sep),
                    columns,
                    origin: Origin::Content,
                    snort2: false,
                },
            ));
        }
    }
    best.map(|(_, l)| l)
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Why a line is no alert: the skip reason and what to say.
type Refusal = (SkipReason, String);

/// Most characters of a column quoted in a warning.
const QUOTED_COLUMN_CHARS: usize = 40;

/// A column as quoted in a warning: cut at [`QUOTED_COLUMN_CHARS`] characters.
fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTED_COLUMN_CHARS) {
        Some((i, _)) => format!("{:?}…", &s[..i]),
        None => format!("{s:?}"),
    }
}

struct Reader {
    hints: YearHints,
    layout: Option<Layout>,
    /// The columns of the current line, reused.
    spans: Vec<Span>,
}

impl Reader {
    /// The record of one non-blank line and whether Snort 2 wrote it, or why it has none.
    fn line<'a>(&mut self, line: &'a str) -> Result<(Record<'a>, bool), Refusal> {
        if let Some((columns, snort2)) = header_fields(line) {
            let n = columns.len();
            self.layout = Some(Layout {
                sep: None,
                columns,
                origin: Origin::Header,
                snort2,
            });
            return Err((SKIP_HEADER, format!("a header naming {n} fields")));
        }
        if line.trim_start().starts_with('#') {
            return Err((SkipReason::SURROUNDING_TEXT, "a comment line".to_string()));
        }
        self.fit(line)?;
        let Some(layout) = &mut self.layout else {
            return Err((SkipReason::NOT_AN_ALERT_LINE, "no layout".to_string()));
        };
        if layout.origin == Origin::Content {
            learn(line, &self.spans, &mut layout.columns);
        }
        let snort2 = layout.snort2;
        let mut rec = Record::default();
        for (span, field) in self.spans.iter().zip(&layout.columns) {
            if let Some(f) = field {
                rec.set_text(*f, span.of(line));
            }
        }
        if let Some(r) = rec.text(Field::Rule) {
            if parse_sig_triple(r).is_none() {
                let why = format!("the rule column {} is not gid:sid:rev", quote(r));
                return Err((SkipReason::MALFORMED_ALERT, why));
            }
        }
        if let Some(t) = rec.text(Field::Timestamp) {
            if parse_text_time(t).is_none() {
                let why = format!(
                    "the timestamp column {} is not MM/DD-HH:MM:SS.uuuuuu",
                    quote(t)
                );
                return Err((SkipReason::MALFORMED_ALERT, why));
            }
        }
        Ok((rec, snort2))
    }

    /// Splits the line by the layout, finding the layout (or its separator) first when it is
    /// not known. A line that does not fit a layout it did not come from a header for may
    /// start a layout of its own (files concatenated from runs with different `fields`).
    fn fit(&mut self, line: &str) -> Result<(), Refusal> {
        let Some(layout) = &mut self.layout else {
            return match infer(line, &mut self.spans) {
                Some(l) => {
                    self.layout = Some(l);
                    Ok(())
                }
                None => Err((
                    SkipReason::NOT_AN_ALERT_LINE,
                    "not two of a gid:sid:rev column, a timestamp, addresses and a quoted msg, \
                     and no header before it"
                        .to_string(),
                )),
            };
        };
        let want = layout.columns.len();
        let fits = match layout.sep {
            Some(sep) => split(line, sep, &mut self.spans) && self.spans.len() == want,
            None => {
                let found = Sep::ALL
                    .into_iter()
                    .find(|s| split(line, *s, &mut self.spans) && self.spans.len() == want);
                layout.sep = found;
                found.is_some()
            }
        };
        if fits {
            return Ok(());
        }
        if layout.sep.is_none() {
            split(line, Sep::Comma, &mut self.spans);
        }
        let got = self.spans.len();
        if layout.origin != Origin::Header {
            if let Some(l) = infer(line, &mut self.spans) {
                self.layout = Some(l);
                return Ok(());
            }
        }
        Err((
            SkipReason::MALFORMED_ALERT,
            format!("{got} columns where the layout has {want}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Flow;
    use crate::model::{Alert, ContextEvent, IpProto, Location, Provenance, YearSource};

    /// tests/fixtures/snort3/seed000-llmnr/alert_csv.txt (Snort 3.11.1, default fields).
    const DEFAULT_LINE: &str = "04/28-02:14:03.418862, 1, UDP, raw, 60, C2S, 192.168.88.23:52814, 224.0.0.252:5355, 1:2009099:3, allow";
    /// The first line of alert_csv-fields.txt (17 fields of its own, in its own order).
    const FIELDS_LINE: &str = r#"1461809643, 04/28-02:14:03.418862, 1:2009099:3, "ET P2P ThunderNetwork UDP Traffic", Potential Corporate Privacy Violation, 1, UDP, C2S, 192.168.88.23:52814, 224.0.0.252:5355, 4096, 1, 40, unknown, allow, "MgAAAAABAAAAAAAADktyaXN0aXMtTGFwdG9wAAABAAE=", 1"#;

    #[derive(Debug)]
    struct Seen {
        line: u64,
        micros: Option<i64>,
        year_source: YearSource,
        sig: (u32, Option<u32>, Option<u32>),
        msg: Option<String>,
        class: Option<String>,
        proto: Option<IpProto>,
        src: String,
        dest: String,
        ttl: Option<u8>,
        tcp: (Option<u32>, Option<u32>, Option<u32>),
        payload: Option<Vec<u8>>,
        original: String,
        engine: Option<crate::model::Engine>,
    }

    #[derive(Default)]
    struct Collect {
        alerts: Vec<Seen>,
        skipped: Vec<(u64, &'static str, String)>,
    }

    fn line_of(p: &Provenance<'_>) -> u64 {
        match p.location {
            Location::Line(n) => n,
            Location::Offset(_) => panic!("alert_csv records are located by line"),
        }
    }

    fn ep(e: &crate::model::Endpoint<'_>) -> String {
        match e.port {
            Some(p) => format!("{}:{p}", e.host),
            None => e.host.to_string(),
        }
    }

    impl Sink for Collect {
        fn alert(&mut self, a: Alert<'_>) -> Flow {
            let s = |c: &Option<Cow<'_, str>>| c.as_deref().map(str::to_string);
            self.alerts.push(Seen {
                line: line_of(&a.source),
                micros: a.timestamp.unix_micros,
                year_source: a.timestamp.year_source,
                sig: (a.gid, a.sid, a.rev),
                msg: s(&a.msg),
                class: s(&a.classification),
                proto: a.proto,
                src: ep(&a.src),
                dest: ep(&a.dest),
                ttl: a.ip.ttl,
                tcp: (a.ip.tcp_seq, a.ip.tcp_ack, a.ip.tcp_win),
                payload: a.payload.as_deref().map(<[u8]>::to_vec),
                original: match &a.original {
                    Some(Original::Text(t)) => t.to_string(),
                    _ => panic!("alert_csv alerts keep their line as text"),
                },
                engine: a.engine,
            });
            Flow::Continue
        }
        fn context(&mut self, _: ContextEvent<'_>) -> Flow {
            panic!("alert_csv holds no context events")
        }
        fn skipped(&mut self, reason: SkipReason, at: &Provenance<'_>, d: Option<&str>) -> Flow {
            self.skipped
                .push((line_of(at), reason.as_str(), d.unwrap_or("").to_string()));
            Flow::Continue
        }
    }

    const CTX: ReadContext<'static> = ReadContext {
        path: "alert_csv.txt",
        year: Some(2016),
        mtime_year: None,
    };

    fn run(text: &[u8]) -> Collect {
        let mut sink = Collect::default();
        read(&mut std::io::Cursor::new(text), &CTX, &mut sink).unwrap();
        sink
    }

    fn cols(line: &str, sep: Sep) -> Vec<(String, bool)> {
        let mut v = Vec::new();
        assert!(split(line, sep, &mut v));
        v.iter()
            .map(|s| (s.of(line).to_string(), s.quoted))
            .collect()
    }

    #[test]
    fn splits_quoted_columns_that_hold_the_separator() {
        let c = cols(r#"1:2:3, "a, \"b\", c", , x "#, Sep::Comma);
        assert_eq!(
            c,
            vec![
                ("1:2:3".to_string(), false),
                (r#"a, \"b\", c"#.to_string(), true),
                (String::new(), false),
                ("x".to_string(), false),
            ]
        );
        // An unterminated quote is text.
        assert_eq!(cols(r#""a, b"#, Sep::Comma).len(), 2);
        assert_eq!(cols("a\t\tb", Sep::Tab).len(), 3);
        assert_eq!(
            cols("a  b", Sep::Space),
            vec![
                ("a".to_string(), false),
                (String::new(), false),
                ("b".to_string(), false)
            ]
        );
        let many = vec!["1"; MAX_COLUMNS + 1].join(",");
        assert!(!split(&many, Sep::Comma, &mut Vec::new()));
    }

    #[test]
    fn the_default_fields() {
        let c = run(DEFAULT_LINE.as_bytes());
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        let a = &c.alerts[0];
        assert_eq!(a.sig, (1, Some(2_009_099), Some(3)));
        assert_eq!(a.proto, Some(IpProto::UDP));
        assert_eq!(a.src, "192.168.88.23:52814");
        assert_eq!(a.dest, "224.0.0.252:5355");
        assert_eq!(a.msg, None);
        // No `seconds` column: the year is --year's.
        assert_eq!(a.year_source, YearSource::Flag);
        assert_eq!(a.micros, Some(1_461_809_643_418_862));
        assert_eq!(a.original, DEFAULT_LINE);
        assert_eq!(a.engine, Some(crate::model::Engine::Snort3));
    }

    #[test]
    fn a_field_list_of_its_own_is_told_by_content() {
        let c = run(FIELDS_LINE.as_bytes());
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        let a = &c.alerts[0];
        assert_eq!(a.sig, (1, Some(2_009_099), Some(3)));
        assert_eq!(a.msg.as_deref(), Some("ET P2P ThunderNetwork UDP Traffic"));
        assert_eq!(
            a.class.as_deref(),
            Some("Potential Corporate Privacy Violation")
        );
        assert_eq!(a.src, "192.168.88.23:52814");
        // The seconds column was recognised: the year is written, not --year's.
        assert_eq!(a.year_source, YearSource::Written);
        assert_eq!(a.micros, Some(1_461_809_643_418_862));
        assert_eq!(a.payload.as_deref().map(<[u8]>::len), Some(32));
        // ttl is a bare number: unknown without a header.
        assert_eq!(a.ttl, None);
        let mut v = Vec::new();
        let l = infer(FIELDS_LINE, &mut v).unwrap();
        assert_eq!(l.origin, Origin::Content);
        assert_eq!(l.columns.iter().filter(|c| c.is_some()).count(), 11);
    }

    #[test]
    fn a_header_names_every_column() {
        let text = format!(
            "# seconds timestamp rule msg class priority proto dir src_ap dst_ap ip_id ttl udp_len service action b64_data pkt_num\n{FIELDS_LINE}\n"
        );
        let c = run(text.as_bytes());
        assert_eq!(c.skipped.len(), 1);
        assert_eq!((c.skipped[0].0, c.skipped[0].1), (1, "snort_csv_header"));
        let a = &c.alerts[0];
        assert_eq!(a.line, 2);
        assert_eq!(a.ttl, Some(1));
        assert_eq!(a.year_source, YearSource::Written);
        // A header with tab separators and hex TCP numbers, as alert_csv writes them.
        let text = "timestamp\tproto\tsrc_ap\tdst_ap\trule\ttcp_seq\ttcp_ack\ttcp_win\tmsg\n\
                    08/13-08:12:47.743103\tTCP\t10.1.1.1:80\t10.2.2.2:12754\t1:247:4\t0xE37E6C1A\t0x57B1F\t0x7D78\t\"DDOS, mstream\"\n";
        let c = run(text.as_bytes());
        let a = &c.alerts[0];
        assert_eq!(a.tcp, (Some(0xE37E_6C1A), Some(0x57B1F), Some(0x7D78)));
        assert_eq!(a.msg.as_deref(), Some("DDOS, mstream"));
        assert_eq!(a.src, "10.1.1.1:80");
    }

    #[test]
    fn snort2_default_fields() {
        // apache-metron/SnortOutput.csv in the corpus (Snort 2 with -y).
        let l = r#"01/27/16-16:01:04.877970 ,129,12,1,"Consecutive TCP small segments exceeding threshold",TCP,10.0.2.2,56642,10.0.2.15,22,52:54:00:12:35:02,08:00:27:7F:93:2D,0x4E,***AP***,0x9AFF3D7,0xC8761D52,,0xFFFF,64,0,59677,64,65536,,,,"#;
        assert!(looks_like_csv(l));
        let mut sink = Collect::default();
        let ctx = ReadContext { year: None, ..CTX };
        read(&mut l.as_bytes(), &ctx, &mut sink).unwrap();
        let a = &sink.alerts[0];
        assert_eq!(a.sig, (129, Some(12), Some(1)));
        assert_eq!(
            a.msg.as_deref(),
            Some("Consecutive TCP small segments exceeding threshold")
        );
        assert_eq!(a.src, "10.0.2.2:56642");
        assert_eq!(a.dest, "10.0.2.15:22");
        assert_eq!(a.ttl, Some(64));
        assert_eq!(a.tcp, (Some(0x9AF_F3D7), Some(0xC876_1D52), Some(0xFFFF)));
        assert_eq!(a.year_source, YearSource::Written);
        assert_eq!(a.engine, Some(crate::model::Engine::Snort2));
        // The same names in a header.
        let text = "#timestamp,sig_generator,sig_id,sig_rev,msg,src,dst\n\
                    01/27/16-16:01:04.877970,1,2,3,\"m\",10.0.0.1,10.0.0.2\n";
        let mut sink = Collect::default();
        read(&mut text.as_bytes(), &ctx, &mut sink).unwrap();
        assert_eq!(sink.alerts[0].sig, (1, Some(2), Some(3)));
        assert_eq!(sink.alerts[0].src, "10.0.0.1");
    }

    #[test]
    fn other_separators_and_ipv6() {
        let l =
            "04/28-02:14:03.418862;1;TCP;raw;60;S2C;2001:db8::1:443;2001:db8::2:50000;1:2:3;allow";
        let c = run(l.as_bytes());
        assert_eq!(c.alerts[0].src, "2001:db8::1:443");
        assert_eq!(c.alerts[0].dest, "2001:db8::2:50000");
        let l = "1:2:3 | 10.0.0.1:1 | 10.0.0.2:2 | \"a msg\"";
        let c = run(l.as_bytes());
        assert_eq!(c.alerts[0].msg.as_deref(), Some("a msg"));
    }

    #[test]
    fn lines_that_do_not_fit_say_why() {
        let text = format!(
            "hello world\n{DEFAULT_LINE}\n04/28-02:14:03.418862, 1, UDP\n\
             04/28-02:14:03.418862, 1, UDP, raw, 60, C2S, 1.2.3.4:1, 5.6.7.8:2, 1:x:3, allow\n\
             # a comment\n\n{DEFAULT_LINE}\n"
        );
        let c = run(text.as_bytes());
        assert_eq!(c.alerts.len(), 2);
        let reasons: Vec<(u64, &str)> = c.skipped.iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(
            reasons,
            vec![
                (1, "unrecognised_line"),
                (3, "malformed_alert"),
                (4, "malformed_alert"),
                (5, "surrounding_text"),
            ]
        );
        assert!(c.skipped[1].2.contains("3 columns where the layout has 10"));
        assert_eq!(c.alerts[1].line, 7);
    }

    #[test]
    fn a_line_of_another_layout_starts_its_own() {
        let text = format!("{DEFAULT_LINE}\n{FIELDS_LINE}\n{DEFAULT_LINE}\n");
        let c = run(text.as_bytes());
        assert_eq!((c.alerts.len(), c.skipped.len()), (3, 0));
        assert!(c.alerts[1].msg.is_some());
    }

    #[test]
    fn every_cut_and_mutation_of_a_line_is_one_record() {
        for line in [DEFAULT_LINE, FIELDS_LINE] {
            let b = line.as_bytes();
            for cut in 0..=b.len() {
                let c = run(&b[..cut]);
                let blank = b[..cut].iter().all(u8::is_ascii_whitespace);
                assert_eq!(
                    c.alerts.len() + c.skipped.len(),
                    usize::from(!blank),
                    "{:?}",
                    &line[..cut]
                );
            }
            let subs: [&[u8]; 8] = [b",", b"\"", b":", b" ", b"#", b"\\", b"\xff", b"\xe2\x82"];
            for i in 0..b.len() {
                for sub in subs {
                    let mut m = b[..i].to_vec();
                    m.extend_from_slice(sub);
                    m.extend_from_slice(&b[i + 1..]);
                    let c = run(&m);
                    assert_eq!(
                        c.alerts.len() + c.skipped.len(),
                        1,
                        "{}",
                        String::from_utf8_lossy(&m)
                    );
                }
            }
        }
    }

    #[test]
    fn tells_csv_lines_from_other_text() {
        assert!(looks_like_csv(DEFAULT_LINE));
        assert!(looks_like_csv(FIELDS_LINE));
        assert!(looks_like_csv("#timestamp,rule,msg"));
        assert!(!looks_like_csv("# a comment about rule msg"));
        assert!(!looks_like_csv("Hi all, we saw 10.0.0.1 and 10.0.0.2 talk"));
        assert!(!looks_like_csv(
            "08/13-08:12:47.743103  [**] [1:247:4] m [**] {TCP} 10.0.0.1:1 -> 10.0.0.2:2"
        ));
        assert!(!looks_like_csv(
            "Jan  1 00:00:00 fw filterlog: 5,,,1,em0,match,block,in,4,0x0,,64,1,0,none,17,udp,28,10.0.0.1,10.0.0.2,1,2,8"
        ));
        // Times of day are no gid:sid:rev (prelude-lml-rules' ipfw and Cisco router samples).
        assert!(!looks_like_csv(
            "Aug  4 10:57:26 r40e kernel: ipfw: 299 Deny TCP 1.2.3.4:49312 5.6.7.8:80 out via bge0"
        ));
        assert!(!looks_like_csv(
            "#LOG:Aug  4 10:57:26 r40e kernel: ipfw: 299 Deny TCP 1.2.3.4:49312 5.6.7.8:80 out"
        ));
        assert!(is_rule("1:2009099:3") && is_rule("116:434:1") && !is_rule("10:57:26"));
        assert!(!is_rule("01:2:3") && !is_rule("1:0:1") && !is_rule("1:2"));
    }
}
