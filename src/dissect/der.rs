//! Just enough DER (ITU-T X.690) to read the issuer and subject names of an X.509 certificate
//! (RFC 5280, Section 4.1): TLV headers, and a Name as a SEQUENCE of RDN SETs of
//! AttributeTypeAndValue SEQUENCEs. No signature checking and no other fields.

use std::ops::Range;

/// Deepest nesting followed. A certificate's names sit at depth 4 (Certificate →
/// TBSCertificate → Name → RDN → AttributeTypeAndValue); nothing here walks deeper.
pub const MAX_DEPTH: usize = 6;
/// Most RDNs read from one Name, and most attributes from one RDN. Real names carry fewer
/// than ten; the limit only stops a crafted certificate from making the walk long.
pub const MAX_RDNS: usize = 32;

pub const TAG_SEQUENCE: u8 = 0x30;
pub const TAG_SET: u8 = 0x31;
pub const TAG_OID: u8 = 0x06;

/// `id-at-commonName` (2.5.4.3) and `id-at-organizationName` (2.5.4.10), as DER contents.
pub const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
pub const OID_O: &[u8] = &[0x55, 0x04, 0x0a];

/// One TLV: its tag, the range of its contents, and the offset just past it. Contents may run
/// past the end of `p` when the certificate is cut short: `content` is clipped, `complete`
/// says whether it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u8,
    pub content: Range<usize>,
    pub end: usize,
    pub complete: bool,
}

/// Reads the TLV at `at` (only definite lengths of up to four octets, which DER requires
/// anyway for anything a certificate holds).
pub fn tlv(p: &[u8], at: usize) -> Option<Tlv> {
    let tag = *p.get(at)?;
    let first = *p.get(at + 1)?;
    let (len, hdr) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *p.get(at + 2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let start = at + hdr;
    let end = start.checked_add(len)?;
    Some(Tlv {
        tag,
        content: start..end.min(p.len()),
        end,
        complete: end <= p.len(),
    })
}

/// One attribute of a name that fpx reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// `CN` or `O`.
    pub key: &'static str,
    /// The value's bytes (a string type's contents).
    pub value: Range<usize>,
    pub text: String,
}

/// A Name's CN and O attributes, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameAttrs {
    pub attrs: Vec<Attribute>,
}

impl NameAttrs {
    /// `CN=example.com, O=Example Ltd`.
    pub fn display(&self) -> Option<String> {
        if self.attrs.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .attrs
            .iter()
            .map(|a| format!("{}={}", a.key, a.text))
            .collect();
        Some(parts.join(", "))
    }

    pub fn cn(&self) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.key == "CN")
            .map(|a| a.text.as_str())
    }
}

/// Reads the Name whose TLV starts at `at`.
pub fn name(p: &[u8], at: usize) -> Option<(NameAttrs, Tlv)> {
    let n = tlv(p, at)?;
    if n.tag != TAG_SEQUENCE {
        return None;
    }
    let mut out = NameAttrs::default();
    let mut pos = n.content.start;
    for _ in 0..MAX_RDNS {
        if pos >= n.content.end {
            break;
        }
        let Some(rdn) = tlv(p, pos) else { break };
        if rdn.tag != TAG_SET {
            break;
        }
        let mut apos = rdn.content.start;
        for _ in 0..MAX_RDNS {
            if apos >= rdn.content.end {
                break;
            }
            let Some(atv) = tlv(p, apos) else { break };
            if atv.tag != TAG_SEQUENCE {
                break;
            }
            if let Some(a) = attribute(p, &atv) {
                out.attrs.push(a);
            }
            apos = atv.end;
        }
        pos = rdn.end;
    }
    Some((out, n))
}

fn attribute(p: &[u8], atv: &Tlv) -> Option<Attribute> {
    let oid = tlv(p, atv.content.start)?;
    if oid.tag != TAG_OID || !oid.complete {
        return None;
    }
    let key = match p.get(oid.content.clone())? {
        x if x == OID_CN => "CN",
        x if x == OID_O => "O",
        _ => return None,
    };
    let v = tlv(p, oid.end)?;
    let bytes = p.get(v.content.clone())?;
    let text = match v.tag {
        // BMPString: UTF-16BE.
        0x1e => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        // UTF8String, PrintableString, T61String, IA5String and the rest: bytes as text.
        _ => super::escape(bytes),
    };
    Some(Attribute {
        key,
        value: v.content,
        text,
    })
}

/// A certificate's issuer and subject, and the TLV of its TBSCertificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertNames {
    pub issuer: NameAttrs,
    pub subject: NameAttrs,
}

/// Walks Certificate → TBSCertificate → (version, serial, signature, issuer, validity,
/// subject). Returns what could be read before the bytes ran out.
pub fn cert_names(p: &[u8], at: usize) -> Option<CertNames> {
    let cert = tlv(p, at)?;
    if cert.tag != TAG_SEQUENCE {
        return None;
    }
    let tbs = tlv(p, cert.content.start)?;
    if tbs.tag != TAG_SEQUENCE {
        return None;
    }
    let mut pos = tbs.content.start;
    let mut out = CertNames::default();
    // [0] EXPLICIT version, optional.
    let first = tlv(p, pos)?;
    if first.tag == 0xa0 {
        pos = first.end;
    }
    let serial = tlv(p, pos)?;
    let sig = tlv(p, serial.end)?;
    let (issuer, it) = name(p, sig.end)?;
    out.issuer = issuer;
    let Some(validity) = tlv(p, it.end) else {
        return Some(out);
    };
    if let Some((subject, _)) = name(p, validity.end) {
        out.subject = subject;
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn t(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if content.len() < 0x80 {
            v.push(content.len() as u8);
        } else {
            v.push(0x82);
            v.extend_from_slice(&(content.len() as u16).to_be_bytes());
        }
        v.extend_from_slice(content);
        v
    }

    fn rdn(oid: &[u8], tag: u8, value: &str) -> Vec<u8> {
        let mut atv = t(TAG_OID, oid);
        atv.extend(t(tag, value.as_bytes()));
        t(TAG_SET, &t(TAG_SEQUENCE, &atv))
    }

    /// A certificate shaped like a real one: version, serial, algorithm, issuer, validity,
    /// subject, key info, then the signature, with only the names meaningful.
    pub(crate) fn certificate() -> Vec<u8> {
        let mut issuer = rdn(&[0x55, 0x04, 0x06], 0x13, "US");
        issuer.extend(rdn(OID_O, 0x13, "Let's Encrypt"));
        issuer.extend(rdn(OID_CN, 0x13, "R3"));
        let subject = rdn(OID_CN, 0x0c, "www.example.org");
        let mut tbs = t(0xa0, &t(0x02, &[2]));
        tbs.extend(t(0x02, &[0x04, 0x8f, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]));
        tbs.extend(t(
            TAG_SEQUENCE,
            &t(TAG_OID, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]),
        ));
        tbs.extend(t(TAG_SEQUENCE, &issuer));
        let mut validity = t(0x17, b"230101000000Z");
        validity.extend(t(0x17, b"230401000000Z"));
        tbs.extend(t(TAG_SEQUENCE, &validity));
        tbs.extend(t(TAG_SEQUENCE, &subject));
        tbs.extend(t(TAG_SEQUENCE, &[0x55; 140]));
        let mut cert = t(TAG_SEQUENCE, &tbs);
        cert.extend(t(TAG_SEQUENCE, &t(TAG_OID, &[0x2a, 0x86, 0x48])));
        cert.extend(t(0x03, &[0xaa; 64]));
        t(TAG_SEQUENCE, &cert)
    }

    #[test]
    fn names_of_a_certificate() {
        let c = certificate();
        let n = cert_names(&c, 0).unwrap();
        assert_eq!(
            n.issuer.display().as_deref(),
            Some("O=Let's Encrypt, CN=R3")
        );
        assert_eq!(n.subject.cn(), Some("www.example.org"));
        let cn = &n.subject.attrs[0];
        assert_eq!(&c[cn.value.clone()], b"www.example.org");
    }

    #[test]
    fn truncated_certificates_do_not_panic() {
        let c = certificate();
        for n in 0..=c.len() {
            let _ = cert_names(&c[..n], 0);
        }
        assert!(tlv(&[0x30, 0x85, 1, 2, 3, 4, 5], 0).is_none());
        assert!(tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], 0).is_some_and(|t| !t.complete));
    }
}
