//! RESP2, the Redis wire protocol: commands out as arrays of bulk strings, replies in.
//!
//! The parser does not trust the server: every length is checked against a limit before
//! anything is read, memory grows with the bytes that actually arrive (never with a declared
//! length), nesting is bounded, and malformed input is an error naming the byte offset, never
//! a panic.

use std::io::{self, BufRead};

use thiserror::Error;

/// Longest bulk string accepted: an EVE record is kilobytes, so 64 MiB leaves ample room
/// while one reply cannot claim gigabytes.
pub const MAX_BULK: usize = 64 << 20;

/// Most elements in one array: a stream read of thousands of entries fits many times over,
/// and a declared billion does not.
pub const MAX_ARRAY: usize = 1 << 20;

/// Deepest array nesting: the deepest reply fpx reads (XAUTOCLAIM: reply, entries, entry,
/// fields) is 4 deep, and the bound keeps recursion off the end of the stack.
pub const MAX_DEPTH: usize = 8;

/// Longest line (a status, an error, an integer or a length header), CRLF not counted: real
/// ones are short, and a server that never sends LF must not fill memory.
pub const MAX_LINE: usize = 64 << 10;

/// Most bytes of one reply, all elements together: without it an array of a million
/// maximal bulk strings would be within every other limit.
pub const MAX_REPLY: u64 = 128 << 20;

/// Most bytes reserved ahead of a bulk string's data: more arrives before more is reserved.
const PREALLOC_BYTES: usize = 64 << 10;

/// Most elements reserved ahead of an array's elements, for the same reason.
const PREALLOC_ITEMS: usize = 1024;

/// Bytes of a malformed line quoted in an error message.
const QUOTE: usize = 32;

/// One reply. A null bulk string and a null array are both [`Reply::Nil`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Reply>),
}

impl Reply {
    /// The bytes of a bulk or simple string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::Simple(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// A bulk string that is UTF-8, or a simple string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Reply::Bulk(b) => std::str::from_utf8(b).ok(),
            Reply::Simple(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Integer(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Reply::Nil)
    }

    /// The bytes of a bulk or simple string, without copying a bulk string.
    pub fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::Simple(s) => Some(s.into_bytes()),
            _ => None,
        }
    }

    /// A bulk string that is UTF-8, or a simple string.
    pub fn into_string(self) -> Option<String> {
        match self {
            Reply::Bulk(b) => String::from_utf8(b).ok(),
            Reply::Simple(s) => Some(s),
            _ => None,
        }
    }

    pub fn into_array(self) -> Option<Vec<Reply>> {
        match self {
            Reply::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// Why a reply could not be read.
#[derive(Debug, Error)]
pub enum RespError {
    /// The server closed the connection between replies.
    #[error("connection closed by the server")]
    Closed,
    /// The server closed the connection part way through a reply.
    #[error("byte offset {offset}: connection closed in the middle of a reply")]
    Truncated { offset: u64 },
    #[error("read: {0}")]
    Io(#[source] io::Error),
    /// Bytes that are not RESP2, or exceed a limit.
    #[error("byte offset {offset}: {message}")]
    Protocol { offset: u64, message: String },
}

/// Appends `args` as one command: a RESP array of bulk strings.
pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    encode_args(out, args);
}

/// [`encode`] for any byte-string type, so owned commands need no slice of borrows.
pub(crate) fn encode_args<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    push_header(out, b'*', args.len());
    for arg in args {
        let arg = arg.as_ref();
        push_header(out, b'$', arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

fn push_header(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Reads one reply. Offsets in errors count from where this call starts reading.
pub fn read_reply<R: BufRead>(r: &mut R) -> Result<Reply, RespError> {
    let mut offset = 0;
    read_reply_at(r, &mut offset)
}

/// Reads one reply, `offset` being the bytes of the stream read before it; it is advanced
/// past what this call reads, so errors name offsets in the whole connection's stream.
pub fn read_reply_at<R: BufRead>(r: &mut R, offset: &mut u64) -> Result<Reply, RespError> {
    let mut parser = Parser {
        r,
        start: *offset,
        pos: *offset,
        line: Vec::new(),
    };
    let reply = parser.value(1);
    *offset = parser.pos;
    reply
}

struct Parser<'a, R> {
    r: &'a mut R,
    /// Stream offset of this reply's first byte.
    start: u64,
    /// Stream offset of the next byte.
    pos: u64,
    /// The current line, CRLF stripped; reused for every line of the reply.
    line: Vec<u8>,
}

impl<R: BufRead> Parser<'_, R> {
    /// One element at nesting `depth` (1 for the reply itself).
    fn value(&mut self, depth: usize) -> Result<Reply, RespError> {
        let at = self.pos;
        self.read_line(at)?;
        let Some(&kind) = self.line.first() else {
            return Err(protocol(
                at,
                "an empty line where a reply was expected".into(),
            ));
        };
        match kind {
            b'+' => Ok(Reply::Simple(self.payload_text())),
            b'-' => Ok(Reply::Error(self.payload_text())),
            b':' => match parse_i64(self.payload()) {
                Some(n) => Ok(Reply::Integer(n)),
                None => Err(protocol(
                    at,
                    format!("integer {} is not a number", self.quote()),
                )),
            },
            b'$' => match self.length(at, "bulk string", MAX_BULK)? {
                None => Ok(Reply::Nil),
                Some(n) => self.bulk(at, n).map(Reply::Bulk),
            },
            b'*' => {
                if depth > MAX_DEPTH {
                    return Err(protocol(
                        at,
                        format!("arrays nested deeper than {MAX_DEPTH}"),
                    ));
                }
                match self.length(at, "array", MAX_ARRAY)? {
                    None => Ok(Reply::Nil),
                    Some(n) => self.array(n, depth),
                }
            }
            other => Err(protocol(
                at,
                format!(
                    "unknown reply type byte 0x{other:02x} ({})",
                    [other].escape_ascii()
                ),
            )),
        }
    }

    fn array(&mut self, n: usize, depth: usize) -> Result<Reply, RespError> {
        let mut items = Vec::with_capacity(n.min(PREALLOC_ITEMS));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Reply::Array(items))
    }

    /// The length in a `$` or `*` header: `None` for -1 (nil), else at most `max`.
    fn length(&self, at: u64, what: &str, max: usize) -> Result<Option<usize>, RespError> {
        let Some(n) = parse_i64(self.payload()) else {
            return Err(protocol(
                at,
                format!("{what} length {} is not a number", self.quote()),
            ));
        };
        if n == -1 {
            return Ok(None);
        }
        match usize::try_from(n) {
            Ok(len) if len <= max => Ok(Some(len)),
            Ok(_) => Err(protocol(
                at,
                format!("{what} of {n} declared, more than the limit of {max}"),
            )),
            Err(_) => Err(protocol(
                at,
                format!("{what} length {n}: negative, and not -1"),
            )),
        }
    }

    /// The `n` data bytes of a bulk string whose header started at `at`, then its CRLF.
    fn bulk(&mut self, at: u64, n: usize) -> Result<Vec<u8>, RespError> {
        let mut data = Vec::with_capacity(n.min(PREALLOC_BYTES));
        while data.len() < n {
            let avail = available(self.r, self.pos == self.start, self.pos)?;
            let take = avail.len().min(n - data.len());
            data.extend_from_slice(&avail[..take]);
            self.advance(at, take)?;
        }
        for expected in [b'\r', b'\n'] {
            let avail = available(self.r, false, self.pos)?;
            if avail.first() != Some(&expected) {
                let offset = self.pos;
                return Err(protocol(
                    offset,
                    format!("bulk string of {n} bytes at byte offset {at} is not followed by CRLF"),
                ));
            }
            self.advance(at, 1)?;
        }
        Ok(data)
    }

    /// Reads up to and including the next LF into `self.line`, then strips the CRLF.
    fn read_line(&mut self, at: u64) -> Result<(), RespError> {
        self.line.clear();
        loop {
            let avail = available(self.r, self.pos == self.start, self.pos)?;
            let (n, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            // Before its LF, a line may hold its CR; with it, the whole CRLF.
            let limit = MAX_LINE + if done { 2 } else { 1 };
            let too_long = self.line.len() + n > limit;
            if !too_long {
                self.line.extend_from_slice(&avail[..n]);
            }
            if too_long {
                return Err(protocol(at, format!("a line longer than {MAX_LINE} bytes")));
            }
            self.advance(at, n)?;
            if done {
                break;
            }
        }
        self.line.pop(); // the LF
        if self.line.pop() != Some(b'\r') {
            let offset = self.pos - 1;
            return Err(protocol(offset, "a line ends in LF without CR".into()));
        }
        if let Some(i) = memchr::memchr(b'\r', &self.line) {
            return Err(protocol(at + i as u64, "a CR inside a line".into()));
        }
        Ok(())
    }

    /// Moves past `n` consumed bytes, refusing a reply (begun at `at`) grown past its limit.
    fn advance(&mut self, at: u64, n: usize) -> Result<(), RespError> {
        self.r.consume(n);
        self.pos += n as u64;
        if self.pos - self.start > MAX_REPLY {
            return Err(protocol(
                at,
                format!("a reply longer than the limit of {MAX_REPLY} bytes"),
            ));
        }
        Ok(())
    }

    /// The current line after its type byte.
    fn payload(&self) -> &[u8] {
        self.line.get(1..).unwrap_or_default()
    }

    fn payload_text(&self) -> String {
        String::from_utf8_lossy(self.payload()).into_owned()
    }

    /// The start of the current line's payload, quoted and escaped, for error messages.
    fn quote(&self) -> String {
        let p = self.payload();
        let shown = &p[..p.len().min(QUOTE)];
        let more = if p.len() > QUOTE { "..." } else { "" };
        format!("\"{}{more}\"", shown.escape_ascii())
    }
}

fn protocol(offset: u64, message: String) -> RespError {
    RespError::Protocol { offset, message }
}

/// The buffered bytes of `r`, never empty: the end of the stream is [`RespError::Closed`]
/// when no byte of the reply has been read (`at_start`), else [`RespError::Truncated`].
fn available<R: BufRead>(r: &mut R, at_start: bool, pos: u64) -> Result<&[u8], RespError> {
    loop {
        let empty = match r.fill_buf() {
            Ok(b) => b.is_empty(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(RespError::Io(e)),
        };
        if empty {
            return Err(if at_start {
                RespError::Closed
            } else {
                RespError::Truncated { offset: pos }
            });
        }
        break;
    }
    // Buffered now: this second call does no I/O.
    r.fill_buf().map_err(RespError::Io)
}

/// A decimal integer as Redis writes it: an optional `-`, then digits only; `None` on
/// anything else or on overflow.
fn parse_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0i64, |acc, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        let acc = acc.checked_mul(10)?;
        // Accumulating towards the sign reaches i64::MIN without overflowing.
        if negative {
            acc.checked_sub(d)
        } else {
            acc.checked_add(d)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    fn parse(bytes: &[u8]) -> Result<Reply, RespError> {
        read_reply(&mut &bytes[..])
    }

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    /// The error message of a reply that must fail, with its offset.
    fn protocol_error(bytes: &[u8]) -> (u64, String) {
        match parse(bytes) {
            Err(RespError::Protocol { offset, message }) => (offset, message),
            other => panic!("expected a protocol error for {bytes:?}, got {other:?}"),
        }
    }

    #[test]
    fn encodes_a_command_as_an_array_of_bulk_strings() {
        let mut out = Vec::new();
        encode(&mut out, &[b"SET", b"k", b"a\r\nb", b""]);
        assert_eq!(
            out,
            b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n$0\r\n\r\n"
        );
        let back = parse(&out).unwrap();
        assert_eq!(
            back,
            Reply::Array(vec![bulk("SET"), bulk("k"), bulk("a\r\nb"), bulk("")])
        );
    }

    #[test]
    fn reads_every_reply_type() {
        assert_eq!(parse(b"+OK\r\n").unwrap(), Reply::Simple("OK".into()));
        assert_eq!(parse(b"+\r\n").unwrap(), Reply::Simple(String::new()));
        assert_eq!(
            parse(b"-ERR bad thing\r\n").unwrap(),
            Reply::Error("ERR bad thing".into())
        );
        assert_eq!(parse(b":42\r\n").unwrap(), Reply::Integer(42));
        assert_eq!(parse(b":-7\r\n").unwrap(), Reply::Integer(-7));
        assert_eq!(
            parse(b":9223372036854775807\r\n").unwrap(),
            Reply::Integer(i64::MAX)
        );
        assert_eq!(
            parse(b":-9223372036854775808\r\n").unwrap(),
            Reply::Integer(i64::MIN)
        );
        assert_eq!(parse(b"$5\r\nhello\r\n").unwrap(), bulk("hello"));
        assert_eq!(parse(b"$0\r\n\r\n").unwrap(), bulk(""));
        assert_eq!(
            parse(b"$4\r\n\x00\r\n\xff\r\n").unwrap(),
            Reply::Bulk(b"\x00\r\n\xff".to_vec())
        );
        assert_eq!(parse(b"$-1\r\n").unwrap(), Reply::Nil);
        assert_eq!(parse(b"*-1\r\n").unwrap(), Reply::Nil);
        assert_eq!(parse(b"*0\r\n").unwrap(), Reply::Array(vec![]));
    }

    #[test]
    fn reads_nested_arrays_with_nils_inside() {
        let r = parse(b"*3\r\n*2\r\n$2\r\nid\r\n*-1\r\n:1\r\n*1\r\n*1\r\n$-1\r\n").unwrap();
        assert_eq!(
            r,
            Reply::Array(vec![
                Reply::Array(vec![bulk("id"), Reply::Nil]),
                Reply::Integer(1),
                Reply::Array(vec![Reply::Array(vec![Reply::Nil])]),
            ])
        );
    }

    #[test]
    fn accessors_return_none_for_other_types() {
        let b = bulk("x");
        assert_eq!(b.as_bytes(), Some(&b"x"[..]));
        assert_eq!(b.as_str(), Some("x"));
        assert_eq!(b.as_int(), None);
        assert_eq!(Reply::Bulk(vec![0xff]).as_str(), None);
        assert_eq!(Reply::Simple("OK".into()).as_str(), Some("OK"));
        assert_eq!(Reply::Integer(3).as_int(), Some(3));
        assert_eq!(Reply::Nil.as_bytes(), None);
        assert!(Reply::Nil.is_nil());
        assert_eq!(Reply::Integer(3).into_array(), None);
        assert_eq!(Reply::Error("E".into()).into_string(), None);
        assert_eq!(
            Reply::Array(vec![Reply::Nil]).into_array(),
            Some(vec![Reply::Nil])
        );
        assert_eq!(bulk("y").into_bytes(), Some(b"y".to_vec()));
    }

    #[test]
    fn consecutive_replies_advance_the_stream_offset() {
        let data = b"+OK\r\n$3\r\nabc\r\n$x\r\n";
        let mut r = &data[..];
        let mut offset = 0;
        assert_eq!(
            read_reply_at(&mut r, &mut offset).unwrap(),
            Reply::Simple("OK".into())
        );
        assert_eq!(offset, 5);
        assert_eq!(read_reply_at(&mut r, &mut offset).unwrap(), bulk("abc"));
        assert_eq!(offset, 14);
        match read_reply_at(&mut r, &mut offset) {
            Err(RespError::Protocol {
                offset: 14,
                message,
            }) => {
                assert!(message.contains("not a number"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_reply_at(&mut r, &mut offset),
            Err(RespError::Closed)
        ));
    }

    #[test]
    fn end_of_stream_between_replies_is_closed_and_inside_one_is_truncated() {
        assert!(matches!(parse(b""), Err(RespError::Closed)));
        for cut in [
            &b"+OK"[..],
            b"+OK\r",
            b"$5\r\nhel",
            b"$5\r\nhello",
            b"$5\r\nhello\r",
        ] {
            assert!(
                matches!(parse(cut), Err(RespError::Truncated { .. })),
                "{cut:?}: {:?}",
                parse(cut)
            );
        }
        assert!(matches!(
            parse(b"*2\r\n:1\r\n"),
            Err(RespError::Truncated { offset: 8 })
        ));
    }

    #[test]
    fn every_prefix_of_a_valid_reply_is_an_error_not_a_panic() {
        let full = b"*2\r\n*3\r\n$2\r\nid\r\n*-1\r\n:-12\r\n+OK\r\n";
        assert!(parse(full).is_ok());
        for n in 0..full.len() {
            assert!(parse(&full[..n]).is_err(), "prefix of {n} bytes parsed");
        }
    }

    #[test]
    fn huge_declared_lengths_are_refused_before_reading() {
        let (offset, m) = protocol_error(b"$67108865\r\n");
        assert_eq!(offset, 0);
        assert!(m.contains("more than the limit"), "{m}");
        let (_, m) = protocol_error(b"*1048577\r\n");
        assert!(m.contains("array of 1048577"), "{m}");
        let (_, m) = protocol_error(b"$99999999999999999999999\r\n");
        assert!(m.contains("not a number"), "{m}");
        // Within the limit but far more than arrives: an error once the data ends.
        assert!(matches!(
            parse(b"$67108864\r\nshort"),
            Err(RespError::Truncated { offset: 16 })
        ));
        assert!(matches!(
            parse(b"*1048576\r\n:1\r\n"),
            Err(RespError::Truncated { .. })
        ));
    }

    #[test]
    fn negative_lengths_other_than_minus_one_are_refused() {
        for bad in [&b"$-2\r\n"[..], b"*-5\r\n", b"$-9223372036854775808\r\n"] {
            let (_, m) = protocol_error(bad);
            assert!(m.contains("negative"), "{m}");
        }
    }

    #[test]
    fn non_digit_lengths_and_integers_are_refused() {
        for bad in [
            &b"$abc\r\n"[..],
            b"$\r\n",
            b"$ 3\r\n",
            b"$+3\r\n",
            b"$3 \r\n",
            b"*1x\r\n",
            b"$-\r\n",
            b":\r\n",
            b":1.5\r\n",
            b":99999999999999999999\r\n",
        ] {
            let (offset, m) = protocol_error(bad);
            assert_eq!(offset, 0);
            assert!(m.contains("not a number"), "{bad:?}: {m}");
        }
    }

    #[test]
    fn a_depth_bomb_is_refused_and_depth_eight_is_read() {
        let mut ok = b"*1\r\n".repeat(MAX_DEPTH - 1);
        ok.extend_from_slice(b"*0\r\n");
        assert!(parse(&ok).is_ok());
        let mut bomb = b"*1\r\n".repeat(100_000);
        bomb.extend_from_slice(b":1\r\n");
        let (offset, m) = protocol_error(&bomb);
        assert_eq!(offset, 4 * MAX_DEPTH as u64);
        assert!(m.contains("nested deeper than 8"), "{m}");
    }

    #[test]
    fn missing_crlf_is_refused() {
        let (offset, m) = protocol_error(b"+OK\n");
        assert_eq!(offset, 3);
        assert!(m.contains("without CR"), "{m}");
        let (offset, m) = protocol_error(b"$3\r\nabcXY\r\n");
        assert_eq!(offset, 7);
        assert!(m.contains("not followed by CRLF"), "{m}");
        let (_, m) = protocol_error(b"$3\r\nabc\rX");
        assert!(m.contains("not followed by CRLF"), "{m}");
        let (offset, m) = protocol_error(b"+O\rK\r\n");
        assert_eq!(offset, 2);
        assert!(m.contains("CR inside"), "{m}");
    }

    #[test]
    fn empty_lines_and_unknown_types_are_refused() {
        let (_, m) = protocol_error(b"\r\n");
        assert!(m.contains("empty line"), "{m}");
        let (_, m) = protocol_error(b"%1\r\n");
        assert!(m.contains("0x25"), "{m}");
        let (_, m) = protocol_error(b"HTTP/1.1 400 Bad Request\r\n");
        assert!(m.contains("0x48"), "{m}");
    }

    #[test]
    fn an_endless_line_stops_at_the_line_limit() {
        let mut endless = BufReader::new(std::io::repeat(b'a'));
        match read_reply(&mut endless) {
            Err(RespError::Protocol { offset: 0, message }) => {
                assert!(message.contains("line longer"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let mut exact = vec![b'+'];
        exact.resize(MAX_LINE, b'a');
        exact.extend_from_slice(b"\r\n");
        assert!(parse(&exact).is_ok());
        exact.insert(1, b'a');
        assert!(parse(&exact).is_err());
    }

    /// An endless array of maximal-ish bulk strings: each is within its limits, the whole
    /// reply is not.
    struct EndlessBulks {
        pending: Vec<u8>,
        at: usize,
    }

    impl Read for EndlessBulks {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.at == self.pending.len() {
                self.pending = b"$1048576\r\n".to_vec();
                self.pending.resize(self.pending.len() + (1 << 20), b'x');
                self.pending.extend_from_slice(b"\r\n");
                self.at = 0;
            }
            let rest = &self.pending[self.at..];
            let n = buf.len().min(rest.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn an_endless_reply_stops_at_the_reply_limit() {
        let source = EndlessBulks {
            pending: b"*1048576\r\n".to_vec(),
            at: 0,
        };
        let mut r = BufReader::with_capacity(1 << 16, source);
        match read_reply(&mut r) {
            Err(RespError::Protocol { message, .. }) => {
                assert!(message.contains("reply longer"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_io_error_is_not_a_closed_connection() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "slow"))
            }
        }
        match read_reply(&mut BufReader::new(Failing)) {
            Err(RespError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::TimedOut),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_reply_split_into_one_byte_reads_parses_the_same() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match (self.0.split_first(), buf.first_mut()) {
                    (Some((&b, rest)), Some(slot)) => {
                        *slot = b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let data = b"*2\r\n$5\r\nhello\r\n:-3\r\n";
        let mut r = BufReader::with_capacity(1, OneByte(data));
        assert_eq!(
            read_reply(&mut r).unwrap(),
            Reply::Array(vec![bulk("hello"), Reply::Integer(-3)])
        );
    }

    #[test]
    fn mutated_replies_never_panic() {
        let seeds: [&[u8]; 4] = [
            b"*2\r\n*3\r\n$2\r\nid\r\n*-1\r\n:-12\r\n+OK\r\n",
            b"*1\r\n*2\r\n$3\r\nkey\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$3\r\neve\r\n$2\r\n{}\r\n",
            b"-NOSCRIPT No matching script\r\n",
            b"$10\r\n0123456789\r\n",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"*$:+-\r\n0123456789-1x";
        for seed in seeds {
            for _ in 0..2000 {
                let mut bytes = seed.to_vec();
                for _ in 0..(next() % 4 + 1) {
                    let i = (next() as usize) % bytes.len();
                    match next() % 3 {
                        0 => bytes[i] = alphabet[(next() as usize) % alphabet.len()],
                        1 => {
                            bytes.remove(i);
                        }
                        _ => bytes.insert(i, alphabet[(next() as usize) % alphabet.len()]),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                let _ = parse(&bytes);
            }
        }
    }
}
