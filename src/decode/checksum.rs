//! Internet checksums (RFC 1071) and their verdicts as data.

use std::net::IpAddr;

/// What checking a checksum found. A checksum that cannot be checked says why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    Valid,
    /// `computed` is the value a correct sender would have written. A stored 0 on packets the
    /// capturing host sent is the mark of NIC checksum offload.
    Invalid {
        stored: u16,
        computed: u16,
    },
    /// Not all covered bytes were captured.
    Truncated,
    /// A fragment: the checksum covers the reassembled datagram.
    Fragment,
    /// UDP over IPv4 with checksum 0: the sender did not compute one (allowed by RFC 768).
    Absent,
}

impl Checksum {
    pub fn as_str(self) -> &'static str {
        match self {
            Checksum::Valid => "valid",
            Checksum::Invalid { .. } => "invalid",
            Checksum::Truncated => "truncated",
            Checksum::Fragment => "fragment",
            Checksum::Absent => "absent",
        }
    }

    pub fn is_invalid(self) -> bool {
        matches!(self, Checksum::Invalid { .. })
    }
}

/// The one's-complement sum of `data` added to `acc`, not yet folded.
pub fn sum(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

/// Folds a 32-bit accumulator into 16 bits.
pub fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The pseudo-header sum for TCP, UDP and ICMPv6 (RFC 793, RFC 8200 section 8.1).
pub fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: u32) -> u32 {
    let mut acc = 0u32;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = sum(acc, &s.octets());
            acc = sum(acc, &d.octets());
        }
        (s, d) => {
            acc = sum(acc, &to_v6(s));
            acc = sum(acc, &to_v6(d));
        }
    }
    acc = acc.wrapping_add(u32::from(proto));
    acc.wrapping_add(len >> 16).wrapping_add(len & 0xffff)
}

fn to_v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

/// Verifies a checksum stored at `at` in `data`, with `acc` the pseudo-header sum (0 if none).
pub fn verify(acc: u32, data: &[u8], at: usize) -> Checksum {
    let Some(stored) = data.get(at..at + 2) else {
        return Checksum::Truncated;
    };
    let stored = u16::from_be_bytes([stored[0], stored[1]]);
    let total = fold(sum(acc, data));
    if total == 0xffff {
        return Checksum::Valid;
    }
    // The sum without the stored field, complemented: what should have been written.
    let without = fold(sum(acc, data).wrapping_add(u32::from(!stored)));
    Checksum::Invalid {
        stored,
        computed: !without,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_and_verdicts() {
        // RFC 1071 section 3's example bytes sum to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(0, &data)), 0xddf2);
        // A 4-byte message with a correct checksum in bytes 2..4.
        let mut msg = [0x12, 0x34, 0x00, 0x00];
        let c = !fold(sum(0, &msg));
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(verify(0, &msg, 2), Checksum::Valid);
        msg[2] ^= 0xff;
        let Checksum::Invalid { computed, .. } = verify(0, &msg, 2) else {
            panic!("should be invalid");
        };
        assert_eq!(computed, c);
        assert_eq!(verify(0, &msg[..3], 2), Checksum::Truncated);
    }
}
