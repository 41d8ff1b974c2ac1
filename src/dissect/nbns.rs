//! NetBIOS names as the NetBIOS Name Service (RFC 1001, Section 14.1; RFC 1002, Section 4.1)
//! writes them: a 16-octet NetBIOS name (15 characters padded, then a suffix octet naming the
//! service) in "first-level encoding", each half-octet as a letter from `A` to `P`, giving a
//! 32-octet DNS label.

/// Length of a first-level encoded NetBIOS name label.
pub const ENCODED_LEN: usize = 32;

/// Question type NB (name query), RFC 1002 Section 4.2.1.3.
pub const TYPE_NB: u16 = 0x0020;
/// Question type NBSTAT (node status request), RFC 1002 Section 4.2.1.3.
pub const TYPE_NBSTAT: u16 = 0x0021;

/// A decoded NetBIOS name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetbiosName {
    /// The 15 name octets with trailing space and NUL padding removed.
    pub name: Vec<u8>,
    /// The 16th octet: the service the name stands for (0x00 workstation, 0x20 file server).
    pub suffix: u8,
}

impl NetbiosName {
    /// `NAME<xx>` as Windows tools print it.
    pub fn display(&self) -> String {
        format!("{}<{:02X}>", super::escape(&self.name), self.suffix)
    }

    /// The wildcard name `*` that node status requests ask for (RFC 1002, Section 4.2.17).
    pub fn is_wildcard(&self) -> bool {
        self.name == b"*"
    }
}

/// Decodes a first-level encoded label; `None` unless it is 32 letters from `A` to `P`.
pub fn decode_first_level(label: &[u8]) -> Option<NetbiosName> {
    if label.len() != ENCODED_LEN {
        return None;
    }
    let mut raw = [0u8; 16];
    for (i, pair) in label.chunks_exact(2).enumerate() {
        let hi = pair[0].checked_sub(b'A').filter(|v| *v < 16)?;
        let lo = pair[1].checked_sub(b'A').filter(|v| *v < 16)?;
        raw[i] = (hi << 4) | lo;
    }
    let mut name = raw[..15].to_vec();
    while name.last().is_some_and(|&c| c == b' ' || c == 0) {
        name.pop();
    }
    Some(NetbiosName {
        name,
        suffix: raw[15],
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// First-level encoding of a 15-character name padded with `pad`, and a suffix.
    pub fn encode(name: &[u8], pad: u8, suffix: u8) -> Vec<u8> {
        let mut raw = [pad; 16];
        raw[..name.len()].copy_from_slice(name);
        raw[15] = suffix;
        raw.iter()
            .flat_map(|b| [b'A' + (b >> 4), b'A' + (b & 0x0f)])
            .collect()
    }

    #[test]
    fn round_trip() {
        let e = encode(b"KRISTIS-LAPTOP", b' ', 0x00);
        assert_eq!(e.len(), ENCODED_LEN);
        assert_eq!(&e[..4], b"ELFC");
        let n = decode_first_level(&e).unwrap();
        assert_eq!(n.display(), "KRISTIS-LAPTOP<00>");
    }

    #[test]
    fn wildcard() {
        let e = encode(b"*", 0, 0);
        assert_eq!(&e[..6], b"CKAAAA");
        let n = decode_first_level(&e).unwrap();
        assert!(n.is_wildcard());
        assert_eq!(n.display(), "*<00>");
    }

    #[test]
    fn rejects_other_labels() {
        assert!(decode_first_level(b"EB").is_none());
        let mut e = encode(b"HOST", b' ', 0x20);
        e[3] = b'Z';
        assert!(decode_first_level(&e).is_none());
        e[3] = b'a';
        assert!(decode_first_level(&e).is_none());
    }
}
