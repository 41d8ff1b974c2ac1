//! File magic: the leading bytes that identify a file format, looked up in the knowledge base
//! (`knowledge/magic.toml`), at the start of an HTTP body or of a payload no protocol claimed.

use std::ops::Range;

use super::{gif, BodyMagic, Field, FieldClass};
use crate::knowledge::{Knowledge, Magic};

/// The body class a magic entry implies: compressed media, other binary data, or text.
pub fn class_of(m: &Magic) -> FieldClass {
    match (m.class.as_str(), m.binary) {
        ("media", true) => FieldClass::MediaBody,
        (_, true) => FieldClass::BinaryBody,
        _ => FieldClass::TextBody,
    }
}

/// Looks for magic at the start of `r` in `p`. When found, returns it with fields covering all
/// of `r`: the magic bytes, the format's header where it is known ([`gif`]), and the rest as
/// one body field. `declared` is the class the message's own metadata (a Content-Type) gives,
/// used when the magic does not say media.
pub fn dissect_at(
    p: &[u8],
    r: Range<usize>,
    kb: &Knowledge,
    declared: Option<FieldClass>,
) -> Option<(BodyMagic, Vec<Field>)> {
    let bytes = p.get(r.clone())?;
    let m = kb.magic_at(bytes)?;
    let magic_end = r.start + m.hex.len();
    let found = BodyMagic {
        offset: r.start,
        name: m.name.clone(),
        mime: m.mime.clone(),
        class: m.class.clone(),
        binary: m.binary,
        source: m.source.clone(),
    };
    let mut fields = vec![Field::new(
        r.start..magic_end,
        format!("{} magic", m.name),
        FieldClass::Magic,
        Some(super::escape(&m.hex)),
    )];
    let mut rest = magic_end;
    if m.mime == gif::MIME {
        let (gif_fields, end) = gif::header_fields(p, magic_end..r.end);
        fields.extend(gif_fields);
        rest = end;
    }
    let class = match (class_of(m), declared) {
        (FieldClass::MediaBody, _) => FieldClass::MediaBody,
        (_, Some(FieldClass::MediaBody)) => FieldClass::MediaBody,
        (c, _) => c,
    };
    if rest < r.end {
        let name = if m.mime == gif::MIME {
            "GIF data".to_string()
        } else {
            format!("{} data", m.name)
        };
        fields.push(Field::new(rest..r.end, name, class, None));
    }
    Some((found, fields))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, Hint};
    use super::*;

    #[test]
    fn executable_at_payload_start() {
        let kb = kb();
        let p = b"MZ\x90\x00\x03\x00\x00\x00";
        let (m, f) = dissect_at(p, 0..p.len(), &kb, None).unwrap();
        assert_eq!(m.class, "executable");
        assert_eq!(f[0].range, 0..2);
        assert_eq!(f[1].class, FieldClass::BinaryBody);
        assert_eq!(f[1].range, 2..p.len());
    }

    #[test]
    fn no_magic_no_fields() {
        assert!(dissect_at(b"plain text", 0..10, &kb(), None).is_none());
        assert!(dissect_at(b"GIF", 0..10, &kb(), None).is_none());
    }

    #[test]
    fn every_truncation_of_a_raw_gif() {
        let mut p = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
        p.extend_from_slice(&[0, 0, 0, 255, 255, 255, b',', 0, 0]);
        let hint = Hint::default();
        every_truncation(&p, &hint);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.body_magic.unwrap().offset, 0);
        assert_eq!(d.fields.last().unwrap().class, FieldClass::MediaBody);
    }
}
