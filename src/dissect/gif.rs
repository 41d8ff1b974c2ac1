//! The GIF header (GIF89a specification, Sections 17 and 18): after the 6-octet signature, the
//! Logical Screen Descriptor and an optional Global Color Table. What follows is compressed
//! image data and extension blocks, left as one media field.

use std::ops::Range;

use super::{Field, FieldClass};

pub const MIME: &str = "image/gif";
/// Length of the Logical Screen Descriptor.
pub const SCREEN_DESCRIPTOR_LEN: usize = 7;

/// Fields of the Logical Screen Descriptor and Global Color Table within `r` (which starts
/// right after the signature), and the offset where the rest of the image begins.
pub fn header_fields(p: &[u8], r: Range<usize>) -> (Vec<Field>, usize) {
    let mut f = Vec::new();
    let end = r.end.min(p.len());
    let s = r.start;
    let u16le = |at: usize| -> Option<u16> {
        (at + 2 <= end).then(|| u16::from_le_bytes([p[at], p[at + 1]]))
    };
    let Some(width) = u16le(s) else {
        return (f, s);
    };
    f.push(Field::new(
        s..s + 2,
        "GIF logical screen width",
        FieldClass::Length,
        Some(width.to_string()),
    ));
    let Some(height) = u16le(s + 2) else {
        return (f, s + 2);
    };
    f.push(Field::new(
        s + 2..s + 4,
        "GIF logical screen height",
        FieldClass::Length,
        Some(height.to_string()),
    ));
    let Some(&packed) = p.get(s + 4).filter(|_| s + 4 < end) else {
        return (f, s + 4);
    };
    let has_table = packed & 0x80 != 0;
    let table_len = 3usize << ((packed & 0x07) + 1);
    let resolution = ((packed >> 4) & 0x07) + 1;
    let value = if has_table {
        format!(
            "0x{packed:02x}: global colour table of {} entries, {resolution} bits per primary colour",
            table_len / 3
        )
    } else {
        format!("0x{packed:02x}: no global colour table, {resolution} bits per primary colour")
    };
    f.push(Field::new(
        s + 4..s + 5,
        "GIF screen flags",
        FieldClass::Flags,
        Some(value),
    ));
    if s + 5 >= end {
        return (f, s + 5);
    }
    f.push(Field::new(
        s + 5..s + 6,
        "GIF background colour index",
        FieldClass::Code,
        Some(p[s + 5].to_string()),
    ));
    if s + 6 >= end {
        return (f, s + 6);
    }
    f.push(Field::new(
        s + 6..s + 7,
        "GIF pixel aspect ratio",
        FieldClass::Code,
        Some(p[s + 6].to_string()),
    ));
    let mut at = s + SCREEN_DESCRIPTOR_LEN;
    if has_table && at < end {
        let t_end = (at + table_len).min(end);
        f.push(Field::new(
            at..t_end,
            "GIF global colour table",
            FieldClass::MediaBody,
            None,
        ));
        at = t_end;
    }
    (f, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_and_table() {
        let mut p = b"GIF89a".to_vec();
        p.extend_from_slice(&[0x7e, 0x02, 0x35, 0x00, 0xd5, 0x27, 0x00]);
        p.extend_from_slice(&[0u8; 200]);
        let (f, end) = header_fields(&p, 6..p.len());
        assert_eq!(f[0].value.as_deref(), Some("638"));
        assert_eq!(f[1].value.as_deref(), Some("53"));
        assert!(f[2].value.as_ref().unwrap().contains("64 entries"));
        assert_eq!(f[5].range, 13..13 + 192);
        assert_eq!(end, 13 + 192);
        for n in 6..p.len() {
            let (f, end) = header_fields(&p, 6..n);
            assert!(end <= n.max(6));
            assert!(f.iter().all(|x| x.range.end <= n));
        }
    }
}
