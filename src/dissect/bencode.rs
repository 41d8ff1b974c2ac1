//! Bencoding (BEP 3, "The BitTorrent Protocol Specification"): integers `i42e`, byte strings
//! `4:spam`, lists `l...e` and dictionaries `d...e`. Values are kept as byte ranges of the
//! input, and the walk is bounded in depth and in items.

use std::ops::Range;

/// Deepest nesting read. A KRPC message is a dictionary holding a dictionary holding a list
/// of strings (`r.values`): depth 3. Anything past 8 is not a DHT message.
pub const MAX_DEPTH: usize = 8;
/// Most values read from one message, all levels together. A `get_peers` response with 8
/// nodes and 50 peer values stays under 100; this bounds work on crafted input.
pub const MAX_ITEMS: usize = 512;
/// Most digits read in a length or integer (a 64 KiB payload needs five; i64 has 19).
pub const MAX_DIGITS: usize = 19;

/// A parsed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// The whole `i...e`, and the digits.
    Int {
        whole: Range<usize>,
        digits: Range<usize>,
    },
    /// The whole `N:...`, and the string's bytes.
    Bytes {
        whole: Range<usize>,
        data: Range<usize>,
    },
    List {
        whole: Range<usize>,
        items: Vec<Value>,
    },
    /// Keys as (whole, data) ranges of their byte strings.
    Dict {
        whole: Range<usize>,
        entries: Vec<(Range<usize>, Range<usize>, Value)>,
    },
}

impl Value {
    pub fn whole(&self) -> Range<usize> {
        match self {
            Value::Int { whole, .. }
            | Value::Bytes { whole, .. }
            | Value::List { whole, .. }
            | Value::Dict { whole, .. } => whole.clone(),
        }
    }

    /// The value under `key`, when this is a dictionary.
    pub fn get<'v>(&'v self, p: &[u8], key: &[u8]) -> Option<&'v Value> {
        let Value::Dict { entries, .. } = self else {
            return None;
        };
        entries
            .iter()
            .find(|(_, k, _)| p.get(k.clone()) == Some(key))
            .map(|(_, _, v)| v)
    }

    /// A byte string's bytes.
    pub fn bytes<'p>(&self, p: &'p [u8]) -> Option<&'p [u8]> {
        match self {
            Value::Bytes { data, .. } => p.get(data.clone()),
            _ => None,
        }
    }
}

struct Parser<'p> {
    p: &'p [u8],
    items: usize,
}

/// Parses one value at `at`. `None` when the bytes are not bencoding, run out, or exceed a
/// limit.
pub fn parse(p: &[u8], at: usize) -> Option<Value> {
    Parser { p, items: 0 }.value(at, 0)
}

impl Parser<'_> {
    fn number(&self, at: usize, end: u8) -> Option<(u64, usize)> {
        let mut n = 0u64;
        let mut i = at;
        if self.p.get(i) == Some(&b'-') {
            i += 1;
        }
        let start = i;
        while let Some(&c) = self.p.get(i) {
            if c == end {
                break;
            }
            if !c.is_ascii_digit() || i - start >= MAX_DIGITS {
                return None;
            }
            n = n * 10 + u64::from(c - b'0');
            i += 1;
        }
        (i > start && self.p.get(i) == Some(&end)).then_some((n, i))
    }

    fn value(&mut self, at: usize, depth: usize) -> Option<Value> {
        self.items += 1;
        if self.items > MAX_ITEMS || depth > MAX_DEPTH {
            return None;
        }
        match *self.p.get(at)? {
            b'i' => {
                let (_, e) = self.number(at + 1, b'e')?;
                Some(Value::Int {
                    whole: at..e + 1,
                    digits: at + 1..e,
                })
            }
            b'0'..=b'9' => {
                let (n, colon) = self.number(at, b':')?;
                let start = colon + 1;
                let end = start.checked_add(usize::try_from(n).ok()?)?;
                (end <= self.p.len()).then_some(Value::Bytes {
                    whole: at..end,
                    data: start..end,
                })
            }
            b'l' => {
                let mut items = Vec::new();
                let mut pos = at + 1;
                while *self.p.get(pos)? != b'e' {
                    let v = self.value(pos, depth + 1)?;
                    pos = v.whole().end;
                    items.push(v);
                }
                Some(Value::List {
                    whole: at..pos + 1,
                    items,
                })
            }
            b'd' => {
                let mut entries = Vec::new();
                let mut pos = at + 1;
                while *self.p.get(pos)? != b'e' {
                    let Value::Bytes { whole, data } = self.value(pos, depth + 1)? else {
                        return None;
                    };
                    let v = self.value(whole.end, depth + 1)?;
                    pos = v.whole().end;
                    entries.push((whole, data, v));
                }
                Some(Value::Dict {
                    whole: at..pos + 1,
                    entries,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_limits() {
        let p = b"d1:ad2:id4:abcde1:q4:ping1:t2:aa1:y1:qe";
        let v = parse(p, 0).unwrap();
        assert_eq!(v.whole(), 0..p.len());
        assert_eq!(v.get(p, b"q").unwrap().bytes(p), Some(&b"ping"[..]));
        assert_eq!(
            v.get(p, b"a").unwrap().get(p, b"id").unwrap().bytes(p),
            Some(&b"abcd"[..])
        );
        assert!(parse(b"i12e", 0).is_some());
        assert!(parse(b"i-3e", 0).is_some());
        assert!(parse(b"ie", 0).is_none());
        assert!(parse(b"5:abc", 0).is_none());
        assert!(parse(b"99999999999999999999999:a", 0).is_none());
        let deep = [b"l".repeat(20), b"e".repeat(20)].concat();
        assert!(parse(&deep, 0).is_none());
        let many = [b"l".to_vec(), b"i1e".repeat(MAX_ITEMS + 1), b"e".to_vec()].concat();
        assert!(parse(&many, 0).is_none());
        for n in 0..p.len() {
            assert!(parse(&p[..n], 0).is_none());
        }
    }
}
