//! Pieces shared by the text alert readers (`fast`, `full`): bounded line reading, Snort's
//! year-less timestamps and the year they are given, `host:port` splitting (IPv6 included), and
//! hex dump rows.

use std::io::BufRead;
use std::net::Ipv6Addr;

use super::year::YearHints;
use crate::model::time::micros_from_parts;
use crate::model::{IpProto, Timestamp, YearSource};

use super::ReadError;

/// Longest line kept, in bytes. The longest real alert lines are Suricata `fast.log` lines with
/// a raw packet excerpt (about 250 bytes) and Snort messages of up to a few hundred bytes;
/// 16 KiB leaves wide room while bounding what one hostile line can make us hold. The rest of
/// a longer line is read and dropped.
pub const MAX_LINE_LEN: usize = 16 * 1024;

/// One line as read: where it was and what happened to its bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineInfo {
    /// 1-based line number.
    pub number: u64,
    /// The line was longer than [`MAX_LINE_LEN`] and was cut.
    pub overlong: bool,
    /// The line was not valid UTF-8 and was decoded with replacement characters.
    pub lossy: bool,
}

/// Reads lines of bounded length, decoding invalid UTF-8 lossily: the firewall readers' line
/// reader with the alert readers' limit, each line copied out for records that span lines.
pub struct LineReader<'r> {
    inner: super::logline::LineReader<'r>,
}

impl<'r> LineReader<'r> {
    pub fn new(inner: &'r mut dyn BufRead, path: &'r str) -> Self {
        LineReader {
            inner: super::logline::LineReader::with_limit(inner, path, MAX_LINE_LEN),
        }
    }

    /// Reads the next line into `out` (cleared first), without its `\n` or `\r\n`.
    /// Returns `None` at the end of the input.
    pub fn next_line(&mut self, out: &mut String) -> Result<Option<LineInfo>, ReadError> {
        out.clear();
        if !self.inner.next_line()? {
            return Ok(None);
        }
        let text = self.inner.text();
        let lossy = matches!(text, std::borrow::Cow::Owned(_));
        out.push_str(&text);
        Ok(Some(LineInfo {
            number: self.inner.line_no,
            overlong: self.inner.overlong,
            lossy,
        }))
    }
}

/// A Snort/Suricata text timestamp: `MM/DD-HH:MM:SS.ffffff`, with `/YY` (Snort `-y`) or
/// `/YYYY` (Suricata) after the day when the year is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextTime {
    pub month: u32,
    pub day: u32,
    pub year: Option<i32>,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

/// Parses a run of exactly `n` ASCII digits at the start of `s`.
fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, &s[n..]))
}

/// Parses a timestamp token. The whole token must be a timestamp.
pub fn parse_text_time(tok: &str) -> Option<TextTime> {
    let (month, r) = digits(tok, 2)?;
    let r = r.strip_prefix('/')?;
    let (day, mut r) = digits(r, 2)?;
    let mut year = None;
    if let Some(y) = r.strip_prefix('/') {
        let n = y.bytes().take_while(u8::is_ascii_digit).count();
        let (v, rest) = match n {
            // Two-digit years from Snort's `-y`: POSIX's pivot (69-99 → 19xx).
            2 => {
                let (v, rest) = digits(y, 2)?;
                (if v >= 69 { 1900 + v } else { 2000 + v }, rest)
            }
            4 => digits(y, 4)?,
            _ => return None,
        };
        year = Some(v as i32);
        r = rest;
    }
    let r = r.strip_prefix('-')?;
    let (hour, r) = digits(r, 2)?;
    let r = r.strip_prefix(':')?;
    let (minute, r) = digits(r, 2)?;
    let r = r.strip_prefix(':')?;
    let (second, r) = digits(r, 2)?;
    let micros = if r.is_empty() {
        0
    } else {
        crate::model::time::fraction_to_micros(r.strip_prefix('.')?)?
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(TextTime {
        month,
        day,
        year,
        hour,
        minute,
        second,
        micros,
    })
}

impl YearHints {
    /// The timestamp of a parsed text time, `raw` being the token as written.
    pub fn timestamp<'a>(&self, raw: &'a str, t: &TextTime) -> Timestamp<'a> {
        let (year, source) = match t.year {
            Some(y) => (Some(y), YearSource::Written),
            None => self.year_for(t.month),
        };
        let unix_micros = year.and_then(|y| {
            micros_from_parts(y, t.month, t.day, t.hour, t.minute, t.second, t.micros)
        });
        Timestamp {
            raw: std::borrow::Cow::Borrowed(raw),
            unix_micros,
            utc_offset_secs: None,
            year_source: if year.is_some() {
                source
            } else {
                YearSource::Unknown
            },
        }
    }
}

/// The protocol named between braces in a fast line (`TCP`, `IPv6-ICMP`, `PROTO:255`) or before
/// `TTL:` in a full alert. `None` for names that are not IP protocols (`IP`, `eth`, `ARP`,
/// `unknown`): the caller keeps the text.
pub fn proto_from_text(s: &str) -> Option<IpProto> {
    let t = s.trim();
    if let Some(n) = t.strip_prefix("PROTO:").or_else(|| t.strip_prefix("PROTO")) {
        return n.trim().parse::<u8>().ok().map(IpProto);
    }
    if let Some(p) = IpProto::from_name(t) {
        return Some(p);
    }
    // IANA keywords Suricata prints for IPv6 extension headers and a few others.
    const EXTRA: [(&str, u8); 9] = [
        ("HOPOPT", 0),
        ("IPV4", 4),
        ("IPIP", 4),
        ("IPV6", 41),
        ("IPV6-ROUTE", 43),
        ("IPV6-FRAG", 44),
        ("IPV6-NONXT", 59),
        ("IPV6-OPTS", 60),
        ("PIM", 103),
    ];
    EXTRA
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(t))
        .map(|&(_, v)| IpProto(v))
}

/// Splits `host:port` as sensors write it. IPv4 addresses and labels carry at most one colon.
/// IPv6 addresses get the port appended after the last colon: Suricata writes the address
/// expanded (eight groups, so a ninth is the port) and always writes a port; Snort 3 writes it
/// compressed and adds a port only for protocols that have them, which is what `proto` decides.
pub fn split_host_port(tok: &str, proto: Option<IpProto>) -> (&str, Option<u16>) {
    let colons = tok.bytes().filter(|&b| b == b':').count();
    let split_last = |t: &str| -> Option<(usize, u16)> {
        let i = t.rfind(':')?;
        let p = &t[i + 1..];
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((i, p.parse().ok()?))
    };
    match colons {
        0 => (tok, None),
        1 => match split_last(tok) {
            Some((i, p)) => (&tok[..i], Some(p)),
            None => (tok, None),
        },
        _ => {
            let whole_is_v6 = tok.parse::<Ipv6Addr>().is_ok();
            let prefix_ok = |i: usize| tok[..i].parse::<Ipv6Addr>().is_ok();
            if !tok.contains("::") && colons == 8 {
                if let Some((i, p)) = split_last(tok) {
                    return (&tok[..i], Some(p));
                }
            }
            let want_port = proto.is_some_and(IpProto::has_ports);
            if want_port || !whole_is_v6 {
                if let Some((i, p)) = split_last(tok) {
                    if prefix_ok(i) {
                        return (&tok[..i], Some(p));
                    }
                }
            }
            (tok, None)
        }
    }
}

/// Whether a line is the separator Snort writes between packets (`=+=+=+...`).
pub fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 8 && t.starts_with("=+=+") && t.bytes().all(|b| b == b'=' || b == b'+')
}

/// Whether a line is the dashed rule Snort 3 draws around a dump (`- - - - ...`).
pub fn is_dash_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 8 && t.starts_with("- -") && t.bytes().all(|b| b == b'-' || b == b' ')
}

/// A Snort 3 dump header, `snort.raw[23]:`: the buffer name and its length.
pub fn dump_header(line: &str) -> Option<(&str, usize)> {
    let t = line.trim();
    let body = t.strip_suffix("]:")?;
    let open = body.rfind('[')?;
    let name = &body[..open];
    let n = body[open + 1..].parse().ok()?;
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    name_ok.then_some((name, n))
}

/// Bytes per hex dump row in every layout Snort writes.
const HEX_ROW_BYTES: usize = 16;

/// Reads the hex column of one dump row into `out`, returning how many bytes it held, or `None`
/// if the line is not a dump row. The ASCII column is never read: it shows `.` for most bytes.
///
/// Two layouts: Snort 1.x/2.x (`48 54 54 50 ... 0D  HTTP/1.0 200 OK.`, sixteen hex pairs each
/// followed by one space) and Snort 3 (two groups of eight pairs with an extra space between
/// them). A short last row is padded with spaces before its ASCII column. Positions are used
/// rather than tokens so that an ASCII column that happens to look like hex is not read.
/// An `0x0000:`-style offset in front of the row is skipped.
pub fn hex_row(line: &str, out: &mut Vec<u8>) -> Option<usize> {
    let mut t = line.trim_start();
    if let Some(colon) = t.find(": ") {
        let off = &t[..colon];
        let off = off.strip_prefix("0x").unwrap_or(off);
        if (4..=8).contains(&off.len()) && off.bytes().all(|b| b.is_ascii_hexdigit()) {
            t = t[colon + 1..].trim_start();
        }
    }
    let b = t.as_bytes();
    // Snort 3 puts a second space after the eighth pair; Snort 1/2 the ninth pair's first digit.
    let grouped = b.get(24) == Some(&b' ') && b.get(25).is_some_and(u8::is_ascii_hexdigit);
    let start = out.len();
    let mut end = 0;
    for i in 0..HEX_ROW_BYTES {
        let pos = 3 * i + usize::from(grouped && i >= 8);
        let (Some(&h), Some(&l)) = (b.get(pos), b.get(pos + 1)) else {
            break;
        };
        let after_ok = matches!(b.get(pos + 2), None | Some(b' '));
        match (hex_val(h), hex_val(l)) {
            (Some(h), Some(l)) if after_ok => {
                out.push(h << 4 | l);
                end = pos + 2;
            }
            _ => break,
        }
    }
    let n = out.len() - start;
    // What follows the pairs is the ASCII column: one character per byte (plus the group gap).
    let rest = &t[end..];
    let ascii_ok = rest.is_empty()
        || (rest.starts_with(' ') && rest.trim().chars().count() <= n + usize::from(grouped));
    if n == 0 || !ascii_ok {
        out.truncate(start);
        return None;
    }
    Some(n)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses `[gid:sid:rev]` (the brackets already removed). Snort 1.x writes no such field.
pub fn parse_sig_triple(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':');
    let g = it.next()?.trim().parse().ok()?;
    let sid = it.next()?.trim().parse().ok()?;
    let rev = it.next()?.trim().parse().ok()?;
    it.next().is_none().then_some((g, sid, rev))
}

/// `(null)` and empty fields mean "not given".
pub fn non_null(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty() && t != "(null)").then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::year::stated_date;

    #[test]
    fn timestamps_with_and_without_year() {
        let t = parse_text_time("08/13-08:12:47.743103").unwrap();
        assert_eq!((t.month, t.day, t.year), (8, 13, None));
        assert_eq!((t.hour, t.minute, t.second, t.micros), (8, 12, 47, 743_103));
        assert_eq!(
            parse_text_time("08/13/01-08:12:47.743103").unwrap().year,
            Some(2001)
        );
        assert_eq!(
            parse_text_time("12/31/99-23:59:59.5").unwrap().year,
            Some(1999)
        );
        assert_eq!(
            parse_text_time("04/29/2005-20:03:20.671131").unwrap().year,
            Some(2005)
        );
        assert_eq!(parse_text_time("04/29-20:03:20").unwrap().micros, 0);
        for bad in [
            "",
            "13/01-00:00:00.0",
            "08/13-08:12",
            "08/13/123-08:12:47.1",
            "08-13-08:12:47.1",
            "08/13-08:12:47.",
            "08/13-08:12:47.1x",
            "0é/13-08:12:47.1",
        ] {
            assert!(parse_text_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn year_sources_in_order_of_trust() {
        let t = parse_text_time("08/13-08:12:47.743103").unwrap();
        let mut h = YearHints::default();
        let ts = h.timestamp("x", &t);
        assert_eq!(ts.year_source, YearSource::Unknown);
        assert_eq!(ts.unix_micros, None);
        h.mtime = Some(2003);
        assert_eq!(h.timestamp("x", &t).year_source, YearSource::FileModified);
        assert_eq!(h.timestamp("x", &t).date(), Some((2003, 8, 13)));
        h.observe("Date: Mon, 13 Aug 2001 16:39:55 -0700");
        let ts = h.timestamp("x", &t);
        assert_eq!(ts.year_source, YearSource::Surrounding);
        assert_eq!(ts.date(), Some((2001, 8, 13)));
        assert_eq!(ts.utc_offset_secs, None);
        // An alert from December quoted in a January mail is from the year before.
        h.observe("Date: Tue, 08 Jan 2002 09:00:00 +0000");
        let dec = parse_text_time("12/30-23:00:00.000001").unwrap();
        assert_eq!(h.timestamp("x", &dec).date(), Some((2001, 12, 30)));
        h.flag = Some(1999);
        assert_eq!(h.timestamp("x", &dec).year_source, YearSource::Flag);
        let written = parse_text_time("12/30/2010-23:00:00.000001").unwrap();
        assert_eq!(h.timestamp("x", &written).year_source, YearSource::Written);
    }

    #[test]
    fn date_lines() {
        assert_eq!(
            stated_date("Date: Mon, 13 Aug 2001 16:39:55 -0700"),
            Some((2001, 8))
        );
        assert_eq!(
            stated_date("> Sent: Monday, March 4, 2002 4:39 PM"),
            Some((2002, 3))
        );
        assert_eq!(stated_date("date: 2 May 1999"), Some((1999, 5)));
        assert_eq!(stated_date("Date: Monday 2001"), None);
        assert_eq!(stated_date("Updated: 13 Aug 2001"), None);
        assert_eq!(stated_date("Date: maybe 13 Aug 2001"), Some((2001, 8)));
    }

    #[test]
    fn host_port_splitting() {
        let tcp = Some(IpProto::TCP);
        assert_eq!(split_host_port("10.0.0.1:80", tcp), ("10.0.0.1", Some(80)));
        assert_eq!(split_host_port("10.0.0.1", None), ("10.0.0.1", None));
        assert_eq!(
            split_host_port("my.firewall.ip:12754", tcp),
            ("my.firewall.ip", Some(12754))
        );
        assert_eq!(split_host_port("a.b.c.d", tcp), ("a.b.c.d", None));
        // Suricata: expanded, port always written.
        assert_eq!(
            split_host_port(
                "2001:0db8:0001:0000:0000:0000:0000:0002:0",
                Some(IpProto(44))
            ),
            ("2001:0db8:0001:0000:0000:0000:0000:0002", Some(0))
        );
        assert_eq!(
            split_host_port("fe80:0000:0000:0000:0a00:27ff:fe12:3456:546", None),
            ("fe80:0000:0000:0000:0a00:27ff:fe12:3456", Some(546))
        );
        // Snort 3: compressed, port only for protocols with ports.
        assert_eq!(
            split_host_port("2a03:b0c0:2:d0::bd3:4001:48106", tcp),
            ("2a03:b0c0:2:d0::bd3:4001", Some(48106))
        );
        assert_eq!(split_host_port("::1", None), ("::1", None));
        assert_eq!(
            split_host_port("2001:db8:1::2", Some(IpProto::ICMPV6)),
            ("2001:db8:1::2", None)
        );
        assert_eq!(split_host_port("fe80::1:80", tcp), ("fe80::1", Some(80)));
        assert_eq!(split_host_port("fe80::1:80", None), ("fe80::1:80", None));
        assert_eq!(
            split_host_port("::ffff:10.1.2.3:443", tcp),
            ("::ffff:10.1.2.3", Some(443))
        );
        assert_eq!(split_host_port("x:99999", tcp), ("x:99999", None));
        assert_eq!(split_host_port("x:", tcp), ("x:", None));
    }

    #[test]
    fn protocol_names() {
        assert_eq!(proto_from_text("TCP"), Some(IpProto::TCP));
        assert_eq!(proto_from_text("PROTO:255"), Some(IpProto(255)));
        assert_eq!(proto_from_text("PROTO:047"), Some(IpProto::GRE));
        assert_eq!(proto_from_text("IPv6-Frag"), Some(IpProto(44)));
        assert_eq!(proto_from_text("IPv6-ICMP"), Some(IpProto::ICMPV6));
        assert_eq!(proto_from_text("eth"), None);
        assert_eq!(proto_from_text("IP"), None);
        assert_eq!(proto_from_text("PROTO:999"), None);
    }

    #[test]
    fn hex_rows_in_both_layouts() {
        let mut v = Vec::new();
        let old = "47 45 54 20 2F 69 6E 64 65 78 2E 68 74 6D 20 48  GET /index.htm H";
        assert_eq!(hex_row(old, &mut v), Some(16));
        assert_eq!(&v, b"GET /index.htm H");
        v.clear();
        // Short last row: padded to the ASCII column.
        let short = format!("{:<49}{}", "0D 0A 0D", "...");
        assert_eq!(hex_row(&short, &mut v), Some(3));
        assert_eq!(v, [0x0d, 0x0a, 0x0d]);
        v.clear();
        let s3 = "16 03 01 00 2A 01 00 00  26 03 01 41 42 43 44 45  ....*... &..ABCDE";
        assert_eq!(hex_row(s3, &mut v), Some(16));
        assert_eq!(v[8..], [0x26, 0x03, 0x01, 0x41, 0x42, 0x43, 0x44, 0x45]);
        v.clear();
        let s3_short = format!("{:<50}{}", "61 62 63 64 65 66 67 68  69", "abcdefgh i");
        assert_eq!(hex_row(&s3_short, &mut v), Some(9));
        assert_eq!(&v, b"abcdefghi");
        v.clear();
        // The ASCII column may itself look like hex; only the hex column is read.
        let tricky = format!("{:<49}{}", "41 42", "AB");
        assert_eq!(hex_row(&tricky, &mut v), Some(2));
        v.clear();
        assert_eq!(
            hex_row(
                "0x0010: 41 42 43                                         ABC",
                &mut v
            ),
            Some(3)
        );
        v.clear();
        for prose in [
            "AB testing is fun",
            "Hi all!",
            "",
            "12 drummers drumming",
            "4",
        ] {
            assert_eq!(hex_row(prose, &mut v), None, "{prose}");
            assert!(v.is_empty());
        }
    }

    #[test]
    fn rules_and_headers() {
        assert!(is_separator(
            "=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+="
        ));
        assert!(!is_separator("=+"));
        assert!(is_dash_rule(
            "- - - - - - - - - - - -  - - - - - - - - - - - -  - - - - - - - - -"
        ));
        assert_eq!(dump_header("snort.raw[23]:"), Some(("snort.raw", 23)));
        assert_eq!(
            dump_header("http_inspect.http_uri[5]:"),
            Some(("http_inspect.http_uri", 5))
        );
        assert_eq!(dump_header("see [1]:"), None);
        assert_eq!(parse_sig_triple("1:247:4"), Some((1, 247, 4)));
        assert_eq!(parse_sig_triple("1:247"), None);
        assert_eq!(parse_sig_triple("1:2:3:4"), None);
        assert_eq!(non_null("(null)"), None);
        assert_eq!(non_null(" x "), Some("x"));
    }

    #[test]
    fn lines_are_bounded_and_lossy() {
        let mut data = b"first\r\nsecond\xff\n".to_vec();
        data.extend(std::iter::repeat_n(b'a', MAX_LINE_LEN + 10));
        data.extend_from_slice(b"\nlast");
        let mut cur = std::io::Cursor::new(data);
        let mut r = LineReader::new(&mut cur, "t");
        let mut s = String::new();
        let i = r.next_line(&mut s).unwrap().unwrap();
        assert_eq!((s.as_str(), i.number, i.lossy), ("first", 1, false));
        let i = r.next_line(&mut s).unwrap().unwrap();
        assert!(i.lossy && s.starts_with("second"));
        let i = r.next_line(&mut s).unwrap().unwrap();
        assert!(i.overlong && s.len() == MAX_LINE_LEN);
        let i = r.next_line(&mut s).unwrap().unwrap();
        assert_eq!((s.as_str(), i.number), ("last", 4));
        assert!(r.next_line(&mut s).unwrap().is_none());
    }
}
