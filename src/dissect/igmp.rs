//! IGMP, the protocol hosts use to join and leave IPv4 multicast groups: version 1 (RFC 1112,
//! Appendix I), version 2 (RFC 2236, Section 2), version 3 (RFC 3376, Section 4), and RGMP
//! (RFC 3488, Section 3), which shares its header.
//!
//! Alerts on IGMP come mostly from decoder events: IGMPv2 and v3 messages are sent with the IP
//! Router Alert option (RFC 2236, Section 2; RFC 3376, Section 4; the option is RFC 2113), and
//! Snort's `(ipv4) IPv4 option set` (116:444) fires on every one of them. Snort logs the IGMP
//! message as the alert's payload, with the protocol written as `IP`, so the message is told
//! by its own checksum: a valid one over a known type to a multicast destination.

use super::{Field, FieldClass};

/// Bytes of an IGMPv1/v2 message, and of an IGMPv3 query's fixed part.
pub const HEADER_LEN: usize = 8;
/// Fixed part of an IGMPv3 membership query (RFC 3376, Section 4.1).
const V3_QUERY_LEN: usize = 12;
/// Fixed part of a group record of an IGMPv3 report (RFC 3376, Section 4.2.4).
const RECORD_LEN: usize = 8;
/// Group records of a v3 report given a field each; the rest is summed up in one. A report
/// in one Ethernet frame holds at most (1500 - 24 - 8) / 8 = 183 records.
const MAX_RECORDS: usize = 64;

/// A dissected IGMP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Igmp {
    pub kind: &'static str,
    /// `general query`, or the group the message is about.
    pub group: Option<[u8; 4]>,
    pub fields: Vec<Field>,
    /// The message in words: `IGMPv2 membership report for 239.255.255.250`.
    pub summary: String,
}

/// The message types (RFC 3376 Section 4, RFC 2236 Section 2.1, RFC 3488 Section 3).
fn kind(t: u8, len: usize) -> Option<&'static str> {
    Some(match t {
        0x11 if len >= V3_QUERY_LEN => "IGMPv3 membership query",
        0x11 => "IGMP membership query",
        0x12 => "IGMPv1 membership report",
        0x16 => "IGMPv2 membership report",
        0x17 => "IGMPv2 leave group",
        0x22 => "IGMPv3 membership report",
        0xfc => "RGMP leave",
        0xfd => "RGMP join",
        0xfe => "RGMP bye",
        0xff => "RGMP hello",
        _ => return None,
    })
}

/// The Internet checksum (RFC 1071) over `b`: zero when `b` holds a correct checksum.
fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in b.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn dotted(a: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

/// Dissects `p` as an IGMP message; `None` unless its type is known, it is long enough for
/// that type, and its checksum is right (one chance in 65,536 for other bytes).
pub fn dissect(p: &[u8]) -> Option<Igmp> {
    if p.len() < HEADER_LEN || checksum(p) != 0 {
        return None;
    }
    let kind = kind(p[0], p.len())?;
    let mut fields = vec![
        Field::new(0..1, "type", FieldClass::Code, Some(kind.to_string())),
        Field::new(
            1..2,
            if p[0] == 0x22 {
                "reserved"
            } else {
                "max response time"
            },
            FieldClass::Code,
            Some(format!("{} (tenths of a second)", p[1])),
        ),
        Field::new(2..4, "checksum", FieldClass::Code, None),
    ];
    let group = if p[0] == 0x22 {
        // A v3 report: reserved, then the number of group records and the records.
        let n = usize::from(u16::from_be_bytes([p[6], p[7]]));
        fields.push(Field::new(4..6, "reserved", FieldClass::Padding, None));
        fields.push(Field::new(
            6..8,
            "number of group records",
            FieldClass::Count,
            Some(n.to_string()),
        ));
        let mut off = HEADER_LEN;
        let mut first = None;
        for i in 0..n {
            let Some(rec) = p.get(off..off + RECORD_LEN) else {
                break;
            };
            let sources = usize::from(u16::from_be_bytes([rec[2], rec[3]]));
            let len = RECORD_LEN + usize::from(rec[1]) * 4 + sources * 4;
            let end = (off + len).min(p.len());
            let g = [rec[4], rec[5], rec[6], rec[7]];
            first.get_or_insert(g);
            if i < MAX_RECORDS {
                fields.push(Field::new(
                    off..end,
                    "group record",
                    FieldClass::Code,
                    Some(format!("{} ({sources} sources)", dotted(g))),
                ));
            } else {
                fields.push(Field::new(
                    off..p.len(),
                    "further group records",
                    FieldClass::Code,
                    None,
                ));
                break;
            }
            off = end;
        }
        first
    } else {
        let g = [p[4], p[5], p[6], p[7]];
        fields.push(Field::new(
            4..8,
            "group address",
            FieldClass::Code,
            Some(dotted(g)),
        ));
        if p[0] == 0x11 && p.len() >= V3_QUERY_LEN {
            let n = u16::from_be_bytes([p[10], p[11]]);
            fields.push(Field::new(8..10, "flags and QQIC", FieldClass::Flags, None));
            fields.push(Field::new(
                10..12,
                "number of sources",
                FieldClass::Count,
                Some(n.to_string()),
            ));
            if p.len() > V3_QUERY_LEN {
                fields.push(Field::new(
                    V3_QUERY_LEN..p.len(),
                    "source addresses",
                    FieldClass::Code,
                    None,
                ));
            }
        } else if p.len() > HEADER_LEN {
            fields.push(Field::new(
                HEADER_LEN..p.len(),
                "trailing bytes",
                FieldClass::Unknown,
                None,
            ));
        }
        (g != [0; 4]).then_some(g)
    };
    let summary = match group {
        Some(g) => format!("{kind} for {}", dotted(g)),
        None => format!("{kind} (general)"),
    };
    Some(Igmp {
        kind,
        group,
        fields,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` with its checksum filled in.
    fn with_checksum(mut b: Vec<u8>) -> Vec<u8> {
        b[2] = 0;
        b[3] = 0;
        let c = checksum(&b);
        b[2..4].copy_from_slice(&c.to_be_bytes());
        b
    }

    #[test]
    fn the_corpus_membership_reports_parse() {
        // Two of the messages Snort 3 logged as 116:444 payloads (b64 FgAIw+AAATw= and
        // FgAJ/eAAAAI=): IGMPv2 reports for 224.0.1.60 and 224.0.0.2.
        let a = dissect(&[0x16, 0x00, 0x08, 0xc3, 0xe0, 0x00, 0x01, 0x3c]).unwrap();
        assert_eq!(a.summary, "IGMPv2 membership report for 224.0.1.60");
        let b = dissect(&[0x16, 0x00, 0x09, 0xfd, 0xe0, 0x00, 0x00, 0x02]).unwrap();
        assert_eq!(b.group, Some([224, 0, 0, 2]));
    }

    #[test]
    fn versions_and_rgmp() {
        let q = with_checksum(vec![0x11, 100, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            dissect(&q).unwrap().summary,
            "IGMP membership query (general)"
        );
        let q3 = with_checksum(vec![0x11, 100, 0, 0, 239, 1, 2, 3, 0x02, 125, 0, 0]);
        assert_eq!(
            dissect(&q3).unwrap().summary,
            "IGMPv3 membership query for 239.1.2.3"
        );
        // A v3 report with two records: change-to-exclude for 239.255.255.250, no sources.
        let r = with_checksum(vec![
            0x22, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 239, 255, 255, 250, 4, 0, 0, 0, 224, 0, 0, 251,
        ]);
        let d = dissect(&r).unwrap();
        assert_eq!(d.summary, "IGMPv3 membership report for 239.255.255.250");
        assert_eq!(
            d.fields.iter().filter(|f| f.name == "group record").count(),
            2
        );
        let hello = with_checksum(vec![0xff, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(dissect(&hello).unwrap().kind, "RGMP hello");
    }

    #[test]
    fn other_bytes_are_not_igmp() {
        // A wrong checksum, an unknown type, a short message.
        assert!(dissect(&[0x16, 0x00, 0x08, 0xc4, 0xe0, 0x00, 0x01, 0x3c]).is_none());
        assert!(dissect(&with_checksum(vec![0x42, 0, 0, 0, 224, 0, 0, 1])).is_none());
        assert!(dissect(&[0x16, 0x00, 0x08]).is_none());
        assert!(dissect(b"GET / HTTP/1.1\r\n").is_none());
    }

    #[test]
    fn every_truncation_and_record_count_is_safe() {
        let r = with_checksum(vec![
            0x22, 0, 0, 0, 0, 0, 0xff, 0xff, 4, 0xff, 0xff, 0xff, 239, 255, 255, 250,
        ]);
        for cut in 0..=r.len() {
            if let Some(d) = dissect(&r[..cut]) {
                assert!(d.fields.iter().all(|f| f.range.end <= cut), "{cut}");
            }
        }
        // Fields stay sorted and inside the message.
        let d = dissect(&r).unwrap();
        assert!(d
            .fields
            .windows(2)
            .all(|w| w[0].range.end <= w[1].range.start));
    }
}
