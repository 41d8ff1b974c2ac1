//! HTTP/1.x messages (RFC 9112): the start line, header lines and the start of the body, from
//! one packet's payload. A packet often holds only part of a message, so a message cut short
//! anywhere still parses as far as it goes, and the cut is an anomaly.
//!
//! [`parse`] is pure (spans into the payload); [`dissect`] names and classifies the spans and
//! looks for file magic at the start of the body.

use std::borrow::Cow;
use std::ops::Range;

use memchr::memchr;
use nom::bytes::complete::{tag, take_while1, take_while_m_n};
use nom::character::complete::char as ch;
use nom::{IResult, Parser};

use super::{escape, magic, BodyMagic, Field, FieldClass, HttpFacts};
use crate::knowledge::Knowledge;

/// Most header lines read. Apache httpd's `LimitRequestFields` defaults to 100; a message with
/// more is hostile or not HTTP, and the rest of it is left as one field.
pub const MAX_HEADERS: usize = 100;
/// Longest method token accepted. The longest registered method (IANA HTTP Method Registry,
/// `UPDATEREDIRECTREF`) has 17 characters.
pub const MAX_METHOD_LEN: usize = 24;
/// How far into the body the text-or-binary sniffing looks. 512 octets is what browsers
/// sniff (WHATWG MIME Sniffing, "resource header" of 1445 bytes at most) cut to one typical
/// first segment's worth after headers.
pub const SNIFF_LEN: usize = 512;

pub const TRUNCATED_START_LINE: &str = "http_truncated_start_line";
pub const TRUNCATED_HEADERS: &str = "http_truncated_headers";
pub const MALFORMED_HEADER: &str = "http_malformed_header";
pub const TOO_MANY_HEADERS: &str = "http_too_many_headers";
pub const BAD_CONTENT_LENGTH: &str = "http_bad_content_length";
pub const DATA_AFTER_BODY: &str = "http_data_after_body";
pub const BARE_LF: &str = "http_bare_lf";
pub const URI_DOT_SEGMENTS: &str = "http_uri_dot_segments";
/// Set by the caller when the addressing says HTTP but no start line is there.
pub const NO_START_LINE: &str = "http_no_start_line";

/// Methods recognised when the request line is cut before its version (IANA HTTP Method
/// Registry, common entries, plus the UPnP/SSDP extensions that ride on HTTP syntax).
const KNOWN_METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"M-SEARCH",
    b"NOTIFY",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
];

/// The first line of a message, as spans into the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request {
        method: Range<usize>,
        uri: Range<usize>,
        /// `None` when the line is cut before the version.
        version: Option<Range<usize>>,
    },
    Response {
        version: Range<usize>,
        status: u16,
        status_span: Range<usize>,
        /// Empty when the line has no reason phrase.
        reason: Range<usize>,
    },
}

/// What kind of header line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Field,
    /// Starts with a space or tab: an obsolete folded continuation of the previous line.
    Continuation,
    /// No colon, or an empty name.
    Malformed,
}

/// One header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderLine {
    /// The whole line, with its terminator when present.
    pub line: Range<usize>,
    pub kind: LineKind,
    pub name: Range<usize>,
    /// The value without surrounding whitespace.
    pub value: Range<usize>,
}

/// A parsed message head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    /// The start line with its terminator.
    pub start_line: Range<usize>,
    pub headers: Vec<HeaderLine>,
    /// The blank line that ends the headers.
    pub blank_line: Option<Range<usize>>,
    /// Where header reading stopped (the body's start when `blank_line` is set).
    pub end: usize,
    pub anomalies: Vec<&'static str>,
}

impl Message {
    pub fn is_response(&self) -> bool {
        matches!(self.start, StartLine::Response { .. })
    }

    /// The first header named `name` (case-insensitive), its value bytes.
    pub fn header<'p>(&self, payload: &'p [u8], name: &str) -> Option<&'p [u8]> {
        self.headers
            .iter()
            .filter(|h| h.kind == LineKind::Field)
            .find(|h| {
                payload
                    .get(h.name.clone())
                    .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            })
            .and_then(|h| payload.get(h.value.clone()))
    }

    fn push(&mut self, a: &'static str) {
        if !self.anomalies.contains(&a) {
            self.anomalies.push(a);
        }
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn http_version(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let start = i;
    // HTTP/1.x only: `HTTP/2.0` appears solely in the HTTP/2 connection preface
    // (RFC 9113, Section 3.4), which is not an HTTP/1 message.
    let (i, _) = (
        tag(&b"HTTP/1"[..]),
        ch('.'),
        take_while_m_n(1, 1, |c: u8| c.is_ascii_digit()),
    )
        .parse(i)?;
    Ok((i, &start[..start.len() - i.len()]))
}

fn status_line(i: &[u8]) -> IResult<&[u8], (&[u8], &[u8])> {
    let (i, (v, _, code)) = (
        http_version,
        ch(' '),
        take_while_m_n(3, 3, |c: u8| c.is_ascii_digit()),
    )
        .parse(i)?;
    Ok((i, (v, code)))
}

fn request_head(i: &[u8]) -> IResult<&[u8], (&[u8], &[u8])> {
    let (i, (m, _, u)) = (
        take_while_m_n(1, MAX_METHOD_LEN, is_tchar),
        ch(' '),
        take_while1(|c: u8| c != b' ' && c != b'\r' && c != b'\n'),
    )
        .parse(i)?;
    Ok((i, (m, u)))
}

/// Parses the start line at the payload's beginning. `line` is the line without terminator;
/// `complete` says whether a terminator followed it.
fn parse_start(line: &[u8], complete: bool) -> Option<StartLine> {
    let off = |s: &[u8]| line.len() - s.len();
    if let Ok((rest, (v, code))) = status_line(line) {
        let status = std::str::from_utf8(code).ok()?.parse().ok()?;
        let after = off(rest);
        let reason_start = if rest.first() == Some(&b' ') {
            after + 1
        } else {
            after
        };
        if !complete || rest.is_empty() || rest[0] == b' ' {
            return Some(StartLine::Response {
                version: 0..v.len(),
                status,
                status_span: v.len() + 1..after,
                reason: reason_start..line.len(),
            });
        }
        return None;
    }
    let (rest, (m, _)) = request_head(line).ok()?;
    let uri = m.len() + 1..off(rest);
    if rest.is_empty() {
        // The line stops after the URI: fine only if the packet was cut there, and the method
        // is one that is known.
        return (!complete && KNOWN_METHODS.contains(&m)).then_some(StartLine::Request {
            method: 0..m.len(),
            uri,
            version: None,
        });
    }
    let after_space = rest.strip_prefix(b" ")?;
    let vstart = off(after_space);
    match http_version(after_space) {
        Ok(([], v)) => Some(StartLine::Request {
            method: 0..m.len(),
            uri,
            version: Some(vstart..vstart + v.len()),
        }),
        // Cut inside the version: a prefix of `HTTP/d.d`.
        _ if !complete
            && after_space.len() < 8
            && b"HTTP/1.1".starts_with(&after_space[..after_space.len().min(6)]) =>
        {
            KNOWN_METHODS.contains(&m).then_some(StartLine::Request {
                method: 0..m.len(),
                uri,
                version: (vstart < line.len()).then_some(vstart..line.len()),
            })
        }
        _ => None,
    }
}

/// Splits off one line starting at `pos`: (content, with terminator, complete, bare LF).
fn line_at(p: &[u8], pos: usize) -> (Range<usize>, Range<usize>, bool, bool) {
    let rest = p.get(pos..).unwrap_or_default();
    match memchr(b'\n', rest) {
        Some(i) => {
            let lf = pos + i;
            let cr = i > 0 && rest[i - 1] == b'\r';
            let content_end = if cr { lf - 1 } else { lf };
            (pos..content_end, pos..lf + 1, true, !cr)
        }
        None => (pos..p.len(), pos..p.len(), false, false),
    }
}

/// Parses the message head at the start of `p`; `None` when `p` does not start with an HTTP
/// request or status line.
pub fn parse(p: &[u8]) -> Option<Message> {
    let (content, line, complete, bare) = line_at(p, 0);
    let start = parse_start(p.get(content.clone())?, complete)?;
    let mut m = Message {
        start,
        start_line: line.clone(),
        headers: Vec::new(),
        blank_line: None,
        end: line.end,
        anomalies: Vec::new(),
    };
    if bare {
        m.push(BARE_LF);
    }
    if !complete {
        m.push(TRUNCATED_START_LINE);
        m.push(TRUNCATED_HEADERS);
        return Some(m);
    }
    let mut pos = line.end;
    loop {
        if pos >= p.len() {
            m.push(TRUNCATED_HEADERS);
            break;
        }
        if m.headers.len() >= MAX_HEADERS {
            m.push(TOO_MANY_HEADERS);
            break;
        }
        let (content, line, complete, bare) = line_at(p, pos);
        if bare {
            m.push(BARE_LF);
        }
        if complete && content.is_empty() {
            m.blank_line = Some(line.clone());
            m.end = line.end;
            break;
        }
        let text = &p[content.clone()];
        let (kind, name, value) = if text.first().is_some_and(|c| *c == b' ' || *c == b'\t') {
            (
                LineKind::Continuation,
                content.start..content.start,
                trim(p, content.clone()),
            )
        } else {
            match memchr(b':', text) {
                Some(0) | None => {
                    m.push(MALFORMED_HEADER);
                    (
                        LineKind::Malformed,
                        content.start..content.start,
                        content.clone(),
                    )
                }
                Some(c) => {
                    let name = content.start..content.start + c;
                    if !p[name.clone()].iter().all(|b| is_tchar(*b)) {
                        m.push(MALFORMED_HEADER);
                    }
                    (
                        LineKind::Field,
                        name,
                        trim(p, content.start + c + 1..content.end),
                    )
                }
            }
        };
        m.headers.push(HeaderLine {
            line: line.clone(),
            kind,
            name,
            value,
        });
        m.end = line.end;
        pos = line.end;
        if !complete {
            m.push(TRUNCATED_HEADERS);
            break;
        }
    }
    Some(m)
}

/// `r` without leading and trailing spaces and tabs.
fn trim(p: &[u8], r: Range<usize>) -> Range<usize> {
    let mut s = r.start;
    let mut e = r.end;
    while s < e && (p[s] == b' ' || p[s] == b'\t') {
        s += 1;
    }
    while e > s && (p[e - 1] == b' ' || p[e - 1] == b'\t') {
        e -= 1;
    }
    s..e
}

fn text(p: &[u8], r: &Range<usize>) -> String {
    String::from_utf8_lossy(p.get(r.clone()).unwrap_or_default()).into_owned()
}

/// Fields for the start line and header lines of a parsed head.
pub fn head_fields(p: &[u8], m: &Message) -> Vec<Field> {
    let mut f = Vec::new();
    let line_end = m.start_line.end;
    match &m.start {
        StartLine::Request {
            method,
            uri,
            version,
        } => {
            f.push(Field::new(
                0..uri.start,
                "request method",
                FieldClass::StartLine,
                Some(text(p, method)),
            ));
            let uri_end = version.as_ref().map_or(line_end, |v| v.start);
            f.push(Field::new(
                uri.start..uri_end,
                "request URI",
                FieldClass::StartLine,
                Some(escape(&p[uri.clone()])),
            ));
            if let Some(v) = version {
                f.push(Field::new(
                    v.start..line_end,
                    "HTTP version",
                    FieldClass::StartLine,
                    Some(text(p, v)),
                ));
            }
        }
        StartLine::Response {
            version,
            status,
            status_span,
            reason,
        } => {
            f.push(Field::new(
                0..status_span.start,
                "HTTP version",
                FieldClass::StartLine,
                Some(text(p, version)),
            ));
            let status_end = if reason.is_empty() {
                line_end
            } else {
                reason.start
            };
            f.push(Field::new(
                status_span.start..status_end,
                "status code",
                FieldClass::Code,
                Some(status.to_string()),
            ));
            if !reason.is_empty() {
                f.push(Field::new(
                    reason.start..line_end,
                    "reason phrase",
                    FieldClass::StartLine,
                    Some(escape(&p[reason.clone()])),
                ));
            }
        }
    }
    for h in &m.headers {
        let name: Cow<'static, str> = match h.kind {
            LineKind::Field => Cow::Owned(text(p, &h.name)),
            LineKind::Continuation => Cow::Borrowed("header continuation"),
            LineKind::Malformed => Cow::Borrowed("malformed header line"),
        };
        f.push(Field::new(
            h.line.clone(),
            name,
            FieldClass::HeaderText,
            Some(escape(&p[h.value.clone()])),
        ));
    }
    if let Some(b) = &m.blank_line {
        f.push(Field::new(
            b.clone(),
            "end of headers",
            FieldClass::HeaderText,
            None,
        ));
    }
    if m.anomalies.contains(&TOO_MANY_HEADERS) && m.end < p.len() {
        f.push(Field::new(
            m.end..p.len(),
            "further header lines",
            FieldClass::HeaderText,
            None,
        ));
    }
    f
}

/// The result of dissecting an HTTP payload.
#[derive(Clone, Debug)]
pub struct Http {
    pub facts: HttpFacts,
    pub fields: Vec<Field>,
    pub anomalies: Vec<&'static str>,
    pub magic: Option<BodyMagic>,
}

/// Dissects `p` as an HTTP message; `None` when it does not start with a start line.
pub fn dissect(p: &[u8], kb: &Knowledge) -> Option<Http> {
    let mut m = parse(p)?;
    let mut fields = head_fields(p, &m);
    let header_text = |name: &str| {
        m.header(p, name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let content_type = header_text("Content-Type");
    let content_encoding = header_text("Content-Encoding");
    let chunked = header_text("Transfer-Encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let mut bad_length = false;
    let content_length = match m.header(p, "Content-Length") {
        Some(v) => match std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        {
            Some(n) => Some(n),
            None => {
                bad_length = true;
                None
            }
        },
        None => None,
    };
    if bad_length {
        m.push(BAD_CONTENT_LENGTH);
    }
    let mut facts = HttpFacts {
        is_response: m.is_response(),
        content_type: content_type.clone(),
        content_length,
        ..HttpFacts::default()
    };
    match &m.start {
        StartLine::Request {
            method,
            uri,
            version,
        } => {
            facts.method = Some(text(p, method));
            facts.uri = Some(text(p, uri));
            facts.version = version.as_ref().map(|v| text(p, v));
            let u = &p[uri.clone()];
            if memchr::memmem::find(u, b"/../").is_some()
                || u.ends_with(b"/..")
                || memchr::memmem::find(u, b"..\\").is_some()
            {
                m.push(URI_DOT_SEGMENTS);
            }
        }
        StartLine::Response {
            version,
            status,
            reason,
            ..
        } => {
            facts.version = Some(text(p, version));
            facts.status = Some(*status);
            facts.reason = Some(text(p, reason));
        }
    }
    let mut magic_found = None;
    if let Some(blank) = &m.blank_line {
        let start = blank.end;
        facts.headers_end = Some(start);
        let declared_end = content_length
            .and_then(|n| usize::try_from(n).ok())
            .map(|n| start.saturating_add(n));
        let end = declared_end.map_or(p.len(), |e| e.min(p.len()));
        if start < p.len() {
            facts.body = Some(start..end);
            let mut data_start = start;
            if chunked {
                if let Some((size, len)) = chunk_size_line(&p[start..end]) {
                    fields.push(Field::new(
                        start..start + len,
                        "chunk size",
                        FieldClass::Length,
                        Some(size.to_string()),
                    ));
                    data_start = start + len;
                }
            }
            let media_type = content_type.as_deref().map(media_class);
            let encoded = content_encoding
                .as_deref()
                .is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
            let (found, body_fields) = body(p, data_start..end, kb, media_type.flatten(), encoded);
            magic_found = found;
            fields.extend(body_fields);
            if end < p.len() {
                m.push(DATA_AFTER_BODY);
                fields.push(Field::new(
                    end..p.len(),
                    "bytes after body",
                    FieldClass::Unknown,
                    None,
                ));
            }
        } else {
            facts.body = Some(start..start);
        }
    }
    Some(Http {
        facts,
        fields,
        anomalies: m.anomalies,
        magic: magic_found,
    })
}

/// `1a2f;ext\r\n` at the start of a chunked body: (size, line length with terminator).
fn chunk_size_line(b: &[u8]) -> Option<(u64, usize)> {
    let lf = memchr(b'\n', &b[..b.len().min(64)])?;
    let line = b[..lf].strip_suffix(b"\r").unwrap_or(&b[..lf]);
    let hex_len = line.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if hex_len == 0 || hex_len > 16 {
        return None;
    }
    let size = u64::from_str_radix(std::str::from_utf8(&line[..hex_len]).ok()?, 16).ok()?;
    Some((size, lf + 1))
}

/// The body class a Content-Type implies, when it implies one.
fn media_class(ct: &str) -> Option<FieldClass> {
    let t = ct.trim().to_ascii_lowercase();
    if t.starts_with("image/") || t.starts_with("audio/") || t.starts_with("video/") {
        Some(FieldClass::MediaBody)
    } else if t.starts_with("text/")
        || t.contains("json")
        || t.contains("xml")
        || t.contains("javascript")
        || t.starts_with("application/x-www-form-urlencoded")
    {
        Some(FieldClass::TextBody)
    } else if t.starts_with("application/octet-stream") {
        Some(FieldClass::BinaryBody)
    } else {
        None
    }
}

/// Whether a sample of bytes is binary: a NUL, or more than one in twenty control octets.
pub fn looks_binary(b: &[u8]) -> bool {
    let s = &b[..b.len().min(SNIFF_LEN)];
    if s.contains(&0) {
        return true;
    }
    let ctl = s
        .iter()
        .filter(|&&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c)) || c == 0x7f)
        .count();
    ctl * 20 > s.len()
}

/// Fields for a body: magic and what follows it, or one field of the inferred class.
fn body(
    p: &[u8],
    r: Range<usize>,
    kb: &Knowledge,
    declared: Option<FieldClass>,
    encoded: bool,
) -> (Option<BodyMagic>, Vec<Field>) {
    if r.start >= r.end {
        return (None, Vec::new());
    }
    if let Some((m, fields)) = magic::dissect_at(p, r.clone(), kb, declared) {
        return (Some(m), fields);
    }
    let class = match declared {
        // Compressed content is binary whatever its type.
        _ if encoded => FieldClass::BinaryBody,
        Some(c) => c,
        None if looks_binary(&p[r.clone()]) => FieldClass::BinaryBody,
        None => FieldClass::TextBody,
    };
    (None, vec![Field::new(r, "body", class, None)])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, Hint};
    use super::*;

    /// An HTTP/1.0 200 response carrying the start of a GIF89a image, as a web server sends
    /// it to a client behind NAT.
    pub(crate) fn gif_response() -> Vec<u8> {
        let mut b = b"HTTP/1.0 200 OK\r\nServer: Apache/1.3.20\r\nContent-Length: 2000\r\nContent-Type: image/gif\r\n\r\n".to_vec();
        b.extend_from_slice(b"GIF89a");
        b.extend_from_slice(&[0x7e, 0x02, 0x35, 0x00, 0xd5, 0x27, 0x00]);
        for i in 0..192u32 {
            b.push((i * 37 % 251) as u8);
        }
        b.extend_from_slice(&[0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x27, 0x00, 0x2c]);
        b.extend_from_slice(&[0x3e, 0x8f, 0xdb, 0xef, 0xf8, 0x3c, 0xb1]);
        b
    }

    pub(crate) fn traversal_request() -> Vec<u8> {
        b"GET /cgi-bin/../../../../etc/passwd HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n".to_vec()
    }

    fn server_hint() -> Hint {
        tcp("203.0.113.9", 80, "192.168.1.50", 12754)
    }

    #[test]
    pub(crate) fn gif_response_is_named_to_the_byte() {
        let kb = kb();
        let p = gif_response();
        let d = dissect_bytes(&p, &server_hint(), &kb);
        assert_eq!(d.protocol, Some("http"));
        assert_eq!(d.rfc.as_deref(), Some("RFC 9110"));
        assert!(
            d.recognised_by.contains("source port 80"),
            "{}",
            d.recognised_by
        );
        assert!(d.recognised_by.contains("status line"));
        let h = d.http.as_ref().unwrap();
        assert!(h.is_response);
        assert_eq!(h.status, Some(200));
        assert_eq!(h.version.as_deref(), Some("HTTP/1.0"));
        assert_eq!(h.reason.as_deref(), Some("OK"));
        assert_eq!(h.content_type.as_deref(), Some("image/gif"));
        assert_eq!(h.content_length, Some(2000));
        let body_start = h.headers_end.unwrap();
        assert_eq!(&p[body_start..body_start + 6], b"GIF89a");
        assert_eq!(h.body, Some(body_start..p.len()));
        let m = d.body_magic.as_ref().unwrap();
        assert_eq!(m.offset, body_start);
        assert_eq!(m.mime, "image/gif");
        assert_eq!(d.field_at(body_start).unwrap().class, FieldClass::Magic);
        let w = d.field_at(body_start + 6).unwrap();
        assert_eq!(w.name, "GIF logical screen width");
        assert_eq!(w.value.as_deref(), Some("638"));
        assert_eq!(
            d.field_at(body_start + 8).unwrap().value.as_deref(),
            Some("53")
        );
        assert_eq!(
            d.field_at(body_start + 10).unwrap().class,
            FieldClass::Flags
        );
        let gct = d.field_at(body_start + 13).unwrap();
        assert_eq!(gct.name, "GIF global colour table");
        assert_eq!(gct.range.len(), 192);
        // The 0x3E that a one-byte rule would match lies in image data.
        let gt = p.len() - 7;
        assert_eq!(p[gt], b'>');
        let f = d.field_at(gt).unwrap();
        assert_eq!(f.class, FieldClass::MediaBody);
        assert!(f.class.is_random_like());
        assert_eq!(d.field_at(0).unwrap().name, "HTTP version");
        assert_eq!(d.field_at(9).unwrap().class, FieldClass::Code);
        assert_eq!(d.field_at(13).unwrap().name, "reason phrase");
        assert_eq!(d.field_at(20).unwrap().name, "Server");
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        check_invariants(&d, p.len());
        every_truncation(&p, &server_hint());
    }

    #[test]
    fn truncated_headers_are_an_anomaly() {
        let kb = kb();
        let p = gif_response();
        let cut = &p[..30];
        let d = dissect_bytes(cut, &server_hint(), &kb);
        assert_eq!(d.protocol, Some("http"));
        assert!(d.anomalies.contains(&TRUNCATED_HEADERS));
        assert!(d.http.as_ref().unwrap().headers_end.is_none());
        assert_eq!(d.fields.last().unwrap().range.end, 30);
        let d = dissect_bytes(&p[..5], &server_hint(), &kb);
        assert_eq!(d.protocol, None);
        assert!(d.anomalies.contains(&NO_START_LINE));
    }

    #[test]
    fn path_traversal_request() {
        let kb = kb();
        let hint = tcp("198.51.100.7", 51000, "10.0.0.2", 80);
        let p = traversal_request();
        let d = dissect_bytes(&p, &hint, &kb);
        assert_eq!(d.protocol, Some("http"));
        assert!(
            d.recognised_by.contains("destination port 80"),
            "{}",
            d.recognised_by
        );
        let h = d.http.as_ref().unwrap();
        assert!(!h.is_response);
        assert_eq!(h.method.as_deref(), Some("GET"));
        assert_eq!(h.uri.as_deref(), Some("/cgi-bin/../../../../etc/passwd"));
        assert_eq!(h.version.as_deref(), Some("HTTP/1.1"));
        assert!(d.anomalies.contains(&URI_DOT_SEGMENTS));
        let uri = d.field_at(10).unwrap();
        assert_eq!(uri.name, "request URI");
        assert_eq!(uri.class, FieldClass::StartLine);
        assert_eq!(h.body, None.or(Some(p.len()..p.len())));
        let ua = d.fields.iter().find(|f| f.name == "User-Agent").unwrap();
        assert_eq!(ua.value.as_deref(), Some("curl/8.5.0"));
        every_truncation(&p, &hint);
    }

    #[test]
    fn request_cut_in_the_uri_still_parses() {
        let m = parse(b"GET /index.ht").unwrap();
        assert!(m.anomalies.contains(&TRUNCATED_START_LINE));
        assert!(parse(b"FOO /index.ht").is_none());
        assert!(parse(b"hello world\r\n").is_none());
        assert!(parse(b"GET /x\r\n").is_none());
        assert!(parse(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").is_none());
        let m = parse(b"POST /a HTTP/1").unwrap();
        assert!(matches!(
            m.start,
            StartLine::Request {
                version: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn headers_odd_and_many() {
        let p = b"HTTP/1.1 404\nBad line\r\n folded\r\nX: 1\r\n\r\n";
        let m = parse(p).unwrap();
        assert!(m.anomalies.contains(&BARE_LF));
        assert!(m.anomalies.contains(&MALFORMED_HEADER));
        assert_eq!(m.headers[1].kind, LineKind::Continuation);
        assert!(m.blank_line.is_some());
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..MAX_HEADERS + 5 {
            many.extend_from_slice(b"A: b\r\n");
        }
        many.extend_from_slice(b"\r\n");
        let d = dissect(&many, &kb()).unwrap();
        assert!(d.anomalies.contains(&TOO_MANY_HEADERS));
        assert_eq!(d.fields.last().unwrap().range.end, many.len());
    }

    #[test]
    fn body_classes_and_extra_data() {
        let kb = kb();
        let p =
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/html\r\n\r\nhelloHTTP/1.1";
        let d = dissect(p, &kb).unwrap();
        assert!(d.anomalies.contains(&DATA_AFTER_BODY));
        let body = d.fields.iter().find(|f| f.name == "body").unwrap();
        assert_eq!(body.class, FieldClass::TextBody);
        assert_eq!(body.range.len(), 5);
        let p = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/html\r\n\r\n\x1f\x8b\x08\x00";
        let d = dissect(p, &kb).unwrap();
        assert_eq!(d.fields.last().unwrap().class, FieldClass::BinaryBody);
        let p = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n\x89PNG\r\n\x1a\nxx";
        let d = dissect(p, &kb).unwrap();
        assert_eq!(d.magic.as_ref().unwrap().mime, "image/png");
        assert!(d
            .fields
            .iter()
            .any(|f| f.name == "chunk size" && f.value.as_deref() == Some("26")));
        let p = b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n";
        assert!(dissect(p, &kb)
            .unwrap()
            .anomalies
            .contains(&BAD_CONTENT_LENGTH));
    }

    #[test]
    fn hostile_heads_do_not_panic() {
        let kb = kb();
        for p in [
            &b"HTTP/1.1 200"[..],
            b"HTTP/1.1 2000 x\r\n",
            b"GET  HTTP/1.1\r\n",
            b"GET / HTTP/1.1\r\n:\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\nabc",
            b"GET / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\nabc",
            b"\r\n\r\n",
        ] {
            if let Some(d) = dissect(p, &kb) {
                let dd = super::super::Dissection {
                    fields: d.fields,
                    http: Some(d.facts),
                    ..Default::default()
                };
                check_invariants(&dd, p.len());
            }
        }
    }
}
