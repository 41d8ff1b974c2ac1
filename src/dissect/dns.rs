//! The DNS wire format (RFC 1035, Section 4), as shared by DNS, LLMNR, mDNS and NBNS: the
//! header, names with compression pointers, questions and resource records.
//!
//! Pure parsing: spans and numbers, no meaning. [`super::name_service`] interprets the result.
//! Every walk is bounded by the limits below, and every problem is a flag in
//! [`Message::anomalies`] or [`Name::flags`], never a panic or an error.

use std::ops::Range;

/// Length of the fixed header (RFC 1035, Section 4.1.1).
pub const HEADER_LEN: usize = 12;
/// Longest name in wire octets (RFC 1035, Section 2.3.4: "names ... 255 octets or less").
pub const MAX_NAME_LEN: usize = 255;
/// Most labels in one name: a 255-octet name holds at most 127 one-character labels plus the
/// root.
pub const MAX_LABELS: usize = 128;
/// Most compression pointers followed in one name. Real encoders point once (to an earlier
/// name that ends without a pointer) or at most a few times; a longer chain is either a loop
/// or built to burn time.
pub const MAX_POINTER_JUMPS: usize = 16;
/// Most questions and records parsed from one message. Multicast name-service packets hold a
/// handful; a DNS answer over UDP fits at most a few dozen in 512 octets. Counts beyond this
/// are read no further (flag `dns_too_many_records`).
pub const MAX_RECORDS: usize = 64;

/// Anomalies this parser sets.
pub const TRUNCATED: &str = "dns_truncated";
pub const NAME_LOOP: &str = "dns_name_loop";
pub const NAME_TOO_LONG: &str = "dns_name_too_long";
pub const TOO_MANY_LABELS: &str = "dns_too_many_labels";
pub const BAD_LABEL_TYPE: &str = "dns_bad_label_type";
pub const POINTER_OUT_OF_RANGE: &str = "dns_pointer_out_of_range";
pub const TOO_MANY_RECORDS: &str = "dns_too_many_records";
pub const TRAILING_BYTES: &str = "dns_trailing_bytes";

/// The fixed header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    pub fn parse(b: &[u8]) -> Option<Header> {
        let w =
            |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])) };
        Some(Header {
            id: w(0)?,
            flags: w(2)?,
            qdcount: w(4)?,
            ancount: w(6)?,
            nscount: w(8)?,
            arcount: w(10)?,
        })
    }

    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }

    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }

    pub fn rcode(&self) -> u8 {
        (self.flags & 0x0f) as u8
    }

    pub fn record_count(&self) -> usize {
        self.qdcount as usize
            + self.ancount as usize
            + self.nscount as usize
            + self.arcount as usize
    }
}

/// Problems met while reading a name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameFlags {
    pub truncated: bool,
    pub looped: bool,
    pub too_long: bool,
    pub too_many_labels: bool,
    pub bad_label_type: bool,
    pub pointer_out_of_range: bool,
}

impl NameFlags {
    pub fn ok(&self) -> bool {
        *self == NameFlags::default()
    }

    fn anomalies(&self) -> impl Iterator<Item = &'static str> {
        [
            (self.truncated, TRUNCATED),
            (self.looped, NAME_LOOP),
            (self.too_long, NAME_TOO_LONG),
            (self.too_many_labels, TOO_MANY_LABELS),
            (self.bad_label_type, BAD_LABEL_TYPE),
            (self.pointer_out_of_range, POINTER_OUT_OF_RANGE),
        ]
        .into_iter()
        .filter_map(|(set, a)| set.then_some(a))
    }
}

/// A name as it sits in the message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Name {
    /// Every label's bytes (without its length octet), following pointers, in order.
    pub labels: Vec<Range<usize>>,
    /// How many of `labels` lie in place (before the first pointer); the rest were reached
    /// through compression pointers.
    pub in_place: usize,
    /// The compression pointer in place (two octets) and its target offset.
    pub pointer: Option<(Range<usize>, usize)>,
    /// The root label's octet, when the name ends in place.
    pub root: Option<usize>,
    /// Offset just past the name in place (or the payload end when cut short).
    pub end: usize,
    pub flags: NameFlags,
}

impl Name {
    /// The name in dotted form, bytes outside printable ASCII escaped.
    pub fn dotted(&self, msg: &[u8]) -> String {
        let mut s = String::new();
        for r in &self.labels {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(&super::escape(msg.get(r.clone()).unwrap_or_default()));
        }
        if s.is_empty() {
            s.push('.');
        }
        s
    }
}

/// Reads the name at `start`. Never fails: problems are flags, and `end` is where reading in
/// place stopped.
pub fn parse_name(msg: &[u8], start: usize) -> Name {
    let mut name = Name {
        end: start,
        ..Name::default()
    };
    let mut pos = start;
    let mut jumped = false;
    let mut jumps = 0usize;
    let mut targets = [0usize; MAX_POINTER_JUMPS];
    let mut wire_len = 0usize;
    loop {
        let Some(&len) = msg.get(pos) else {
            name.flags.truncated = true;
            if !jumped {
                name.end = msg.len();
            }
            break;
        };
        match len & 0xc0 {
            0x00 if len == 0 => {
                if !jumped {
                    name.root = Some(pos);
                    name.end = pos + 1;
                }
                break;
            }
            0x00 => {
                let len = len as usize;
                let data = pos + 1..pos + 1 + len;
                wire_len += 1 + len;
                if wire_len + 1 > MAX_NAME_LEN {
                    name.flags.too_long = true;
                }
                if name.labels.len() >= MAX_LABELS {
                    name.flags.too_many_labels = true;
                    if !jumped {
                        name.end = pos;
                    }
                    break;
                }
                if data.end > msg.len() {
                    name.flags.truncated = true;
                    name.labels.push(data.start..msg.len());
                    if !jumped {
                        name.in_place = name.labels.len();
                        name.end = msg.len();
                    }
                    break;
                }
                name.labels.push(data.clone());
                if !jumped {
                    name.in_place = name.labels.len();
                }
                pos = data.end;
                if name.flags.too_long {
                    if !jumped {
                        name.end = pos;
                    }
                    break;
                }
            }
            0xc0 => {
                let Some(&low) = msg.get(pos + 1) else {
                    name.flags.truncated = true;
                    if !jumped {
                        name.end = msg.len();
                    }
                    break;
                };
                let target = (((len & 0x3f) as usize) << 8) | low as usize;
                if !jumped {
                    name.pointer = Some((pos..pos + 2, target));
                    name.end = pos + 2;
                    jumped = true;
                }
                if target >= msg.len() {
                    name.flags.pointer_out_of_range = true;
                    break;
                }
                if jumps >= MAX_POINTER_JUMPS || targets[..jumps].contains(&target) {
                    name.flags.looped = true;
                    break;
                }
                targets[jumps] = target;
                jumps += 1;
                pos = target;
            }
            _ => {
                // 0x40 (extended label, RFC 6891 retired it) and 0x80 (reserved).
                name.flags.bad_label_type = true;
                if !jumped {
                    name.end = pos + 1;
                }
                break;
            }
        }
    }
    name
}

/// The section a record was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Answer => "answer",
            Section::Authority => "authority",
            Section::Additional => "additional",
        }
    }
}

/// A 16-bit value and where it sits.
pub type At16 = (u16, Range<usize>);

/// One entry of the question section; the numbers are `None` when the payload ends first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub qtype: Option<At16>,
    pub qclass: Option<At16>,
}

/// One resource record (RFC 1035, Section 4.1.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub section: Section,
    pub name: Name,
    pub rtype: Option<At16>,
    pub rclass: Option<At16>,
    pub ttl: Option<(u32, Range<usize>)>,
    pub rdlength: Option<At16>,
    /// The data present in the payload (shorter than `rdlength` when cut).
    pub rdata: Option<Range<usize>>,
}

/// A parsed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub questions: Vec<Question>,
    pub records: Vec<Record>,
    /// Offset just past the last complete entry.
    pub end: usize,
    pub anomalies: Vec<&'static str>,
}

fn u16_at(b: &[u8], at: usize) -> Option<At16> {
    let v = u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]);
    Some((v, at..at + 2))
}

fn push(anomalies: &mut Vec<&'static str>, a: &'static str) {
    if !anomalies.contains(&a) {
        anomalies.push(a);
    }
}

/// Parses a message; `None` only when the payload is shorter than the header.
pub fn parse_message(msg: &[u8]) -> Option<Message> {
    let header = Header::parse(msg)?;
    let mut m = Message {
        header,
        questions: Vec::new(),
        records: Vec::new(),
        end: HEADER_LEN,
        anomalies: Vec::new(),
    };
    if header.record_count() > MAX_RECORDS {
        push(&mut m.anomalies, TOO_MANY_RECORDS);
    }
    let mut budget = MAX_RECORDS;
    let mut pos = HEADER_LEN;
    for _ in 0..header.qdcount {
        if budget == 0 {
            return Some(m);
        }
        budget -= 1;
        let name = parse_name(msg, pos);
        for a in name.flags.anomalies() {
            push(&mut m.anomalies, a);
        }
        let name_ok = name.flags.ok();
        pos = name.end;
        let qtype = if name_ok { u16_at(msg, pos) } else { None };
        let qclass = if name_ok { u16_at(msg, pos + 2) } else { None };
        let complete = qclass.is_some();
        m.questions.push(Question {
            name,
            qtype,
            qclass,
        });
        if !complete {
            push(&mut m.anomalies, TRUNCATED);
            return Some(m);
        }
        pos += 4;
        m.end = pos;
    }
    let sections = [
        (Section::Answer, header.ancount),
        (Section::Authority, header.nscount),
        (Section::Additional, header.arcount),
    ];
    for (section, count) in sections {
        for _ in 0..count {
            if budget == 0 {
                return Some(m);
            }
            budget -= 1;
            let name = parse_name(msg, pos);
            for a in name.flags.anomalies() {
                push(&mut m.anomalies, a);
            }
            let name_ok = name.flags.ok();
            pos = name.end;
            let mut r = Record {
                section,
                name,
                rtype: None,
                rclass: None,
                ttl: None,
                rdlength: None,
                rdata: None,
            };
            if name_ok {
                r.rtype = u16_at(msg, pos);
                r.rclass = u16_at(msg, pos + 2);
                r.ttl = msg.get(pos + 4..pos + 8).map(|t| {
                    (
                        u32::from_be_bytes([t[0], t[1], t[2], t[3]]),
                        pos + 4..pos + 8,
                    )
                });
                r.rdlength = u16_at(msg, pos + 8);
            }
            let Some((rdlen, _)) = r.rdlength.clone() else {
                m.records.push(r);
                push(&mut m.anomalies, TRUNCATED);
                return Some(m);
            };
            let start = pos + 10;
            let end = start + rdlen as usize;
            let cut = end > msg.len();
            r.rdata = Some(start..end.min(msg.len()));
            m.records.push(r);
            if cut {
                push(&mut m.anomalies, TRUNCATED);
                return Some(m);
            }
            pos = end;
            m.end = pos;
        }
    }
    if m.end < msg.len() {
        push(&mut m.anomalies, TRAILING_BYTES);
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let h = Header::parse(&[0x32, 0x00, 0x84, 0x03, 0, 1, 0, 2, 0, 0, 0, 1]).unwrap();
        assert_eq!(h.id, 0x3200);
        assert!(h.is_response());
        assert_eq!(h.opcode(), 0);
        assert_eq!(h.rcode(), 3);
        assert_eq!(h.record_count(), 4);
        assert!(Header::parse(&[0; 11]).is_none());
    }

    #[test]
    fn name_with_pointer() {
        // "a.b" at 0, then "c" + pointer to 0 at 5.
        let msg = [1, b'a', 1, b'b', 0, 1, b'c', 0xc0, 0x00];
        let n = parse_name(&msg, 5);
        assert!(n.flags.ok());
        assert_eq!(n.dotted(&msg), "c.a.b");
        assert_eq!(n.in_place, 1);
        assert_eq!(n.pointer, Some((7..9, 0)));
        assert_eq!(n.end, 9);
        assert_eq!(n.root, None);
    }

    #[test]
    fn pointer_loops_are_caught() {
        let msg = [0xc0, 0x02, 0xc0, 0x00];
        let n = parse_name(&msg, 0);
        assert!(n.flags.looped);
        assert_eq!(n.end, 2);
        let self_loop = [0xc0, 0x00];
        assert!(parse_name(&self_loop, 0).flags.looped);
    }

    #[test]
    fn long_pointer_chain_is_cut() {
        // Each pointer points two octets back: a chain longer than the limit, without repeats.
        let mut msg = vec![0u8];
        for i in 0..40u16 {
            let target = if i == 0 { 0 } else { 1 + 2 * (i - 1) };
            msg.extend_from_slice(&(0xc000 | target).to_be_bytes());
        }
        let n = parse_name(&msg, msg.len() - 2);
        assert!(n.flags.looped);
    }

    #[test]
    fn names_are_bounded() {
        let mut msg = Vec::new();
        for _ in 0..200 {
            msg.extend_from_slice(&[1, b'x']);
        }
        msg.push(0);
        let n = parse_name(&msg, 0);
        assert!(n.flags.too_long);
        assert!(n.labels.len() <= MAX_LABELS);
        let mut long = vec![63u8];
        long.extend_from_slice(&[b'y'; 63]);
        let mut msg = Vec::new();
        for _ in 0..5 {
            msg.extend_from_slice(&long);
        }
        msg.push(0);
        assert!(parse_name(&msg, 0).flags.too_long);
    }

    #[test]
    fn bad_label_types_and_out_of_range_pointers() {
        assert!(parse_name(&[0x40, 1], 0).flags.bad_label_type);
        assert!(parse_name(&[0x80], 0).flags.bad_label_type);
        assert!(parse_name(&[0xc0, 0x10], 0).flags.pointer_out_of_range);
        let cut = parse_name(&[5, b'a', b'b'], 0);
        assert!(cut.flags.truncated);
        assert_eq!(cut.labels, vec![1..3]);
        assert_eq!(cut.end, 3);
    }

    #[test]
    fn message_with_record() {
        let mut msg = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        msg.extend_from_slice(&[1, b'h', 0, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 7]);
        let m = parse_message(&msg).unwrap();
        assert!(m.anomalies.is_empty(), "{:?}", m.anomalies);
        assert_eq!(m.records.len(), 1);
        let r = &m.records[0];
        assert_eq!(r.rtype.as_ref().unwrap().0, 1);
        assert_eq!(r.rclass.as_ref().unwrap().0, 0x8001);
        assert_eq!(r.ttl.as_ref().unwrap().0, 120);
        assert_eq!(r.rdata, Some(25..29));
        assert_eq!(m.end, msg.len());
        for n in 0..msg.len() {
            let _ = parse_message(&msg[..n]);
        }
        msg.push(9);
        assert!(parse_message(&msg)
            .unwrap()
            .anomalies
            .contains(&TRAILING_BYTES));
    }

    #[test]
    fn huge_counts_are_bounded() {
        let msg = [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        let m = parse_message(&msg).unwrap();
        assert!(m.anomalies.contains(&TOO_MANY_RECORDS));
        assert!(m.anomalies.contains(&TRUNCATED));
        assert!(m.questions.len() <= 1);
    }
}
