//! Bounds-checked reads shared by the binary dissectors: every read returns `None` past the
//! payload instead of panicking, so a parser cut short stops where the bytes stop.

use std::ops::Range;

use super::{Field, FieldClass};

pub fn u8_at(p: &[u8], at: usize) -> Option<u8> {
    p.get(at).copied()
}

pub fn be16(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *p.get(at)?,
        *p.get(at.checked_add(1)?)?,
    ]))
}

pub fn le16(p: &[u8], at: usize) -> Option<u16> {
    be16(p, at).map(u16::swap_bytes)
}

pub fn be24(p: &[u8], at: usize) -> Option<u32> {
    let b = p.get(at..at.checked_add(3)?)?;
    Some(u32::from_be_bytes([0, b[0], b[1], b[2]]))
}

pub fn be32(p: &[u8], at: usize) -> Option<u32> {
    let b = p.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

pub fn le32(p: &[u8], at: usize) -> Option<u32> {
    be32(p, at).map(u32::swap_bytes)
}

pub fn le64(p: &[u8], at: usize) -> Option<u64> {
    let b = p.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// `at..at + len` clipped to the payload.
pub fn clip(p: &[u8], at: usize, len: usize) -> Range<usize> {
    let start = at.min(p.len());
    start..at.saturating_add(len).min(p.len())
}

/// Pushes a field unless its range is empty.
pub fn push(
    f: &mut Vec<Field>,
    range: Range<usize>,
    name: impl Into<std::borrow::Cow<'static, str>>,
    class: FieldClass,
    value: Option<String>,
) {
    if range.start < range.end {
        f.push(Field::new(range, name, class, value));
    }
}

/// `inner` (sorted, disjoint fields inside `outer`) with every gap of `outer` between them
/// filled by a field named `gap_name`: for structures where only some parts are worth naming.
pub fn fill_gaps(
    outer: Range<usize>,
    inner: Vec<Field>,
    gap_name: &'static str,
    class: FieldClass,
) -> Vec<Field> {
    let mut out = Vec::with_capacity(inner.len() * 2 + 1);
    let mut at = outer.start;
    for f in inner {
        if f.range.start < at || f.range.end > outer.end {
            continue;
        }
        push(&mut out, at..f.range.start, gap_name, class, None);
        at = f.range.end;
        out.push(f);
    }
    push(&mut out, at..outer.end, gap_name, class, None);
    out
}

/// Hex of a short byte string.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let p = [1, 2, 3];
        assert_eq!(be16(&p, 1), Some(0x0203));
        assert_eq!(le16(&p, 0), Some(0x0201));
        assert_eq!(be16(&p, 2), None);
        assert_eq!(be24(&p, 0), Some(0x010203));
        assert_eq!(be32(&p, 0), None);
        assert_eq!(be16(&p, usize::MAX), None);
        assert_eq!(clip(&p, 2, 10), 2..3);
        assert_eq!(clip(&p, 9, 10), 3..3);
    }

    #[test]
    fn gaps_are_filled() {
        let inner = vec![Field::new(2..4, "x", FieldClass::Name, None)];
        let f = fill_gaps(0..6, inner, "rest", FieldClass::Unknown);
        let r: Vec<_> = f.iter().map(|f| f.range.clone()).collect();
        assert_eq!(r, [0..2, 2..4, 4..6]);
    }
}
