//! The DNS family read from the wire format that [`super::dns`] parses: unicast DNS
//! (RFC 1035), LLMNR (RFC 4795), mDNS (RFC 6762) and NBNS (RFC 1002). They share the header
//! and name layout but name their flag bits differently, and NBNS encodes names.
//!
//! Which of them a payload is comes from the caller (addresses and ports, through the
//! knowledge base); this module checks that the header actually parses as one, and names every
//! byte it can.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::dns::{self, Message, Name, Record, Section};
use super::nbns::{self, NetbiosName};
use super::{escape, DnsFacts, Field, FieldClass};

/// Anomaly: the addressing says DNS family, but the payload is not such a header.
pub const NOT_A_HEADER: &str = "dns_family_port_but_not_dns";
/// Anomaly: an LLMNR query whose question count is not 1 (RFC 4795, Section 2.1.1).
pub const LLMNR_QDCOUNT: &str = "llmnr_qdcount_not_one";

/// The member of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Dns,
    Llmnr,
    Mdns,
    Nbns,
}

impl Variant {
    pub fn from_protocol(p: &str) -> Variant {
        match p {
            "llmnr" => Variant::Llmnr,
            "mdns" => Variant::Mdns,
            "nbns" => Variant::Nbns,
            _ => Variant::Dns,
        }
    }

    fn opcode_ok(self, op: u8) -> bool {
        match self {
            // QUERY, IQUERY (obsolete), STATUS, NOTIFY, UPDATE, DSO (RFC 8490).
            Variant::Dns => matches!(op, 0 | 1 | 2 | 4 | 5 | 6),
            // RFC 4795 Section 2.1.1 and RFC 6762 Section 18.3: zero, others discarded.
            Variant::Llmnr | Variant::Mdns => op == 0,
            // Query, registration, release, WACK, refresh (RFC 1002, Section 4.2.1.1; 9 is
            // the alternate refresh code that implementations send).
            Variant::Nbns => matches!(op, 0 | 5 | 6 | 7 | 8 | 9),
        }
    }
}

/// The interpretation of one message.
#[derive(Clone, Debug)]
pub struct NameService {
    pub facts: DnsFacts,
    pub fields: Vec<Field>,
    pub anomalies: Vec<&'static str>,
    /// What the header says, as a phrase: "a standard query for wpad (A)".
    pub summary: String,
}

/// Why a payload is not a header of the variant asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// In words, to follow "does not parse as a ... header".
    pub reason: String,
    /// What the wire parser met on the way (`dns_name_loop`, ...).
    pub anomalies: Vec<&'static str>,
}

/// Interprets `payload` as `variant`; `Err` says why the header does not parse as one.
pub fn dissect(payload: &[u8], variant: Variant) -> Result<NameService, Rejection> {
    let Some(m) = dns::parse_message(payload) else {
        return Err(Rejection {
            reason: format!(
                "{} octets, shorter than the {}-octet header",
                payload.len(),
                dns::HEADER_LEN
            ),
            anomalies: Vec::new(),
        });
    };
    let reject = |reason: &str| Rejection {
        reason: reason.to_string(),
        anomalies: m.anomalies.clone(),
    };
    let h = m.header;
    if h.record_count() == 0 {
        return Err(reject("all four section counts are zero"));
    }
    if !variant.opcode_ok(h.opcode()) {
        return Err(reject(&format!("opcode {} is not used by it", h.opcode())));
    }
    if !h.is_response() && h.qdcount == 0 && variant != Variant::Dns {
        return Err(reject("a query without a question"));
    }
    // The first entry must be readable: a complete name followed by its type.
    let first_ok = match (m.questions.first(), m.records.first()) {
        (Some(q), _) => q.name.flags.ok() && q.qtype.is_some(),
        (None, Some(r)) => r.name.flags.ok() && r.rtype.is_some(),
        (None, None) => false,
    };
    if !first_ok {
        return Err(reject("its first name and type cannot be read"));
    }
    let first_name = m
        .questions
        .first()
        .map(|q| &q.name)
        .or_else(|| m.records.first().map(|r| &r.name));
    let netbios = first_name.and_then(|n| netbios_name(payload, n));
    if variant == Variant::Nbns && netbios.is_none() {
        return Err(reject(
            "its first name is not a first-level encoded NetBIOS name",
        ));
    }

    let q = m.questions.first();
    let qtype = q.and_then(|q| q.qtype.as_ref()).map(|t| t.0);
    let nbstat = variant == Variant::Nbns && qtype == Some(nbns::TYPE_NBSTAT);
    let facts = DnsFacts {
        id: h.id,
        is_response: h.is_response(),
        opcode: h.opcode(),
        rcode: h.rcode(),
        flags: h.flags,
        qdcount: h.qdcount,
        ancount: h.ancount,
        nscount: h.nscount,
        arcount: h.arcount,
        qname: q.map(|q| q.name.dotted(payload)),
        qtype,
        nbstat,
        decoded_netbios_name: netbios.as_ref().map(NetbiosName::display),
    };

    let mut anomalies = m.anomalies.clone();
    if variant == Variant::Llmnr && !h.is_response() && h.qdcount != 1 {
        anomalies.push(LLMNR_QDCOUNT);
    }

    let summary = summary(variant, &facts);
    let fields = fields(payload, variant, &m);
    Ok(NameService {
        facts,
        fields,
        anomalies,
        summary,
    })
}

fn netbios_name(payload: &[u8], n: &Name) -> Option<NetbiosName> {
    let first = n.labels.first()?;
    nbns::decode_first_level(payload.get(first.clone())?)
}

fn summary(variant: Variant, f: &DnsFacts) -> String {
    let kind = match (variant, f.is_response, f.opcode) {
        (Variant::Nbns, false, _) if f.nbstat => "a node status request",
        (Variant::Nbns, false, 0) => "a name query",
        (Variant::Nbns, false, 5) => "a name registration request",
        (Variant::Nbns, false, 6) => "a name release request",
        (Variant::Nbns, false, 8 | 9) => "a name refresh request",
        (Variant::Nbns, true, 7) => "a wait-for-acknowledgement response",
        (Variant::Nbns, true, _) => "a response",
        (_, false, 0) => "a standard query",
        (_, false, 5) => "a dynamic update",
        (_, false, 4) => "a change notification",
        (_, false, _) => "a request",
        (_, true, _) if f.rcode != 0 => "an error response",
        (_, true, _) => "a response",
    };
    let mut s = kind.to_string();
    let target = f.decoded_netbios_name.clone().or_else(|| f.qname.clone());
    if let (Some(name), false) = (target, f.is_response && f.qdcount == 0) {
        s.push_str(&format!(" for {name}"));
        if let Some(t) = f.qtype {
            s.push_str(&format!(" ({})", type_name(variant, t)));
        }
    }
    s
}

/// The registered name of a record type (IANA DNS Parameters, "Resource Record (RR) TYPEs";
/// RFC 1002 for NBNS).
fn type_name(variant: Variant, t: u16) -> String {
    let name = match (variant, t) {
        (Variant::Nbns, nbns::TYPE_NB) => "NB",
        (Variant::Nbns, nbns::TYPE_NBSTAT) => "NBSTAT",
        (_, 1) => "A",
        (_, 2) => "NS",
        (_, 5) => "CNAME",
        (_, 6) => "SOA",
        (_, 12) => "PTR",
        (_, 15) => "MX",
        (_, 16) => "TXT",
        (_, 28) => "AAAA",
        (_, 33) => "SRV",
        (_, 41) => "OPT",
        (_, 47) => "NSEC",
        (_, 255) => "ANY",
        _ => return format!("type {t}"),
    };
    name.to_string()
}

fn class_value(variant: Variant, c: u16, question: bool) -> String {
    // mDNS reuses the top bit: QU in questions, cache-flush in records (RFC 6762, 5.4 and
    // 10.2).
    let (top, c) = if variant == Variant::Mdns {
        (c & 0x8000 != 0, c & 0x7fff)
    } else {
        (false, c)
    };
    let name = match c {
        1 => "IN".to_string(),
        3 => "CH".to_string(),
        255 => "ANY".to_string(),
        other => format!("class {other}"),
    };
    match (top, question) {
        (true, true) => format!("{name}, QU: unicast response requested"),
        (true, false) => format!("{name}, cache-flush"),
        _ => name,
    }
}

/// The flag bits in words, as the variant names them.
pub fn describe_flags(variant: Variant, flags: u16) -> String {
    let bit = |n: u16| flags & (1 << n) != 0;
    let qr = if bit(15) {
        "QR=1 (response)"
    } else {
        "QR=0 (query)"
    };
    let opcode = (flags >> 11) & 0x0f;
    let rcode = flags & 0x0f;
    let mut parts = vec![qr.to_string(), format!("opcode {opcode}")];
    let named: &[(u16, &str)] = match variant {
        // RFC 4795, Section 2.1.1: C (conflict), TC, T (tentative), then four zero bits.
        Variant::Llmnr => &[(10, "C"), (9, "TC"), (8, "T")],
        // RFC 1002, Section 4.2.1.1: NM_FLAGS AA, TC, RD, RA, two zero bits, B (broadcast).
        Variant::Nbns => &[(10, "AA"), (9, "TC"), (8, "RD"), (7, "RA"), (4, "B")],
        // RFC 1035 Section 4.1.1, RFC 4035 Section 3.2 (AD, CD).
        Variant::Dns | Variant::Mdns => &[
            (10, "AA"),
            (9, "TC"),
            (8, "RD"),
            (7, "RA"),
            (6, "Z"),
            (5, "AD"),
            (4, "CD"),
        ],
    };
    let set: Vec<&str> = named
        .iter()
        .filter(|(b, _)| bit(*b))
        .map(|(_, n)| *n)
        .collect();
    if set.is_empty() {
        parts.push("no other bits set".to_string());
    } else {
        parts.push(set.join(" "));
    }
    if variant == Variant::Llmnr && flags & 0x00f0 != 0 {
        parts.push("reserved Z bits set".to_string());
    }
    parts.push(format!("rcode {rcode}"));
    format!("0x{flags:04x}: {}", parts.join(", "))
}

fn fields(p: &[u8], variant: Variant, m: &Message) -> Vec<Field> {
    let h = m.header;
    let mut f = Vec::new();
    let id = if variant == Variant::Mdns && h.id == 0 {
        Field::new(
            0..2,
            "transaction ID",
            FieldClass::Code,
            Some("0x0000 (mDNS multicast messages carry ID 0)".into()),
        )
    } else {
        Field::new(
            0..2,
            "transaction ID",
            FieldClass::RandomId,
            Some(format!("0x{:04x}", h.id)),
        )
    };
    f.push(id);
    f.push(Field::new(
        2..4,
        "flags",
        FieldClass::Flags,
        Some(describe_flags(variant, h.flags)),
    ));
    let counts = [
        ("question count", h.qdcount),
        ("answer count", h.ancount),
        ("authority count", h.nscount),
        ("additional count", h.arcount),
    ];
    for (i, (name, v)) in counts.into_iter().enumerate() {
        let at = 4 + 2 * i;
        f.push(Field::new(
            at..at + 2,
            name,
            FieldClass::Count,
            Some(v.to_string()),
        ));
    }
    for q in &m.questions {
        name_fields(p, variant, &q.name, "question", &mut f);
        if let Some((t, r)) = &q.qtype {
            let v = format!("{t} ({})", type_name(variant, *t));
            f.push(Field::new(
                r.clone(),
                "question type",
                FieldClass::Code,
                Some(v),
            ));
        }
        if let Some((c, r)) = &q.qclass {
            let v = format!("0x{c:04x} ({})", class_value(variant, *c, true));
            f.push(Field::new(
                r.clone(),
                "question class",
                FieldClass::Code,
                Some(v),
            ));
        }
    }
    for r in &m.records {
        record_fields(p, variant, r, &mut f);
    }
    if m.end < p.len() && !m.anomalies.contains(&dns::TRUNCATED) {
        f.push(Field::new(
            m.end..p.len(),
            "trailing bytes",
            FieldClass::Unknown,
            None,
        ));
    }
    f
}

/// Fields for the in-place part of a name: one per label, the pointer, the root octet.
fn name_fields(p: &[u8], variant: Variant, n: &Name, what: &'static str, f: &mut Vec<Field>) {
    for (i, r) in n.labels[..n.in_place].iter().enumerate() {
        let bytes = p.get(r.clone()).unwrap_or_default();
        let decoded = if variant == Variant::Nbns && i == 0 {
            nbns::decode_first_level(bytes)
        } else {
            None
        };
        let (name, value) = match decoded {
            Some(nb) => (
                format!("{what} NetBIOS name (first-level encoded)"),
                nb.display(),
            ),
            None => (format!("{what} name label"), escape(bytes)),
        };
        let start = r.start.saturating_sub(1);
        f.push(Field::new(
            start..r.end,
            name,
            FieldClass::Name,
            Some(value),
        ));
    }
    if let Some((r, target)) = &n.pointer {
        f.push(Field::new(
            r.clone(),
            format!("{what} name pointer"),
            FieldClass::Code,
            Some(format!("to offset {target}")),
        ));
    }
    if let Some(at) = n.root {
        f.push(Field::new(
            at..at + 1,
            format!("{what} name end"),
            FieldClass::Length,
            Some("0 (root label)".into()),
        ));
    }
}

fn record_fields(p: &[u8], variant: Variant, r: &Record, f: &mut Vec<Field>) {
    let s = r.section.as_str();
    let what: &'static str = match r.section {
        Section::Answer => "answer",
        Section::Authority => "authority",
        Section::Additional => "additional",
    };
    name_fields(p, variant, &r.name, what, f);
    let rtype = r.rtype.as_ref().map(|t| t.0);
    if let Some((t, at)) = &r.rtype {
        let v = format!("{t} ({})", type_name(variant, *t));
        f.push(Field::new(
            at.clone(),
            format!("{s} type"),
            FieldClass::Code,
            Some(v),
        ));
    }
    if let Some((c, at)) = &r.rclass {
        let v = if rtype == Some(41) {
            format!("{c} (requester's UDP payload size)")
        } else {
            format!("0x{c:04x} ({})", class_value(variant, *c, false))
        };
        f.push(Field::new(
            at.clone(),
            format!("{s} class"),
            FieldClass::Code,
            Some(v),
        ));
    }
    if let Some((ttl, at)) = &r.ttl {
        f.push(Field::new(
            at.clone(),
            format!("{s} TTL"),
            FieldClass::Count,
            Some(format!("{ttl} s")),
        ));
    }
    if let Some((len, at)) = &r.rdlength {
        f.push(Field::new(
            at.clone(),
            format!("{s} data length"),
            FieldClass::Length,
            Some(len.to_string()),
        ));
    }
    let Some(data) = r.rdata.clone() else { return };
    if data.is_empty() {
        return;
    }
    let bytes = p.get(data.clone()).unwrap_or_default();
    match (variant, rtype) {
        (Variant::Nbns, Some(nbns::TYPE_NB)) => {
            // NB_FLAGS and NB_ADDRESS pairs (RFC 1002, Section 4.2.2).
            let mut at = data.start;
            while at + 6 <= data.end {
                f.push(Field::new(
                    at..at + 2,
                    format!("{s} NB flags"),
                    FieldClass::Flags,
                    Some(format!("0x{:02x}{:02x}", p[at], p[at + 1])),
                ));
                let ip = Ipv4Addr::new(p[at + 2], p[at + 3], p[at + 4], p[at + 5]);
                f.push(Field::new(
                    at + 2..at + 6,
                    format!("{s} NB address"),
                    FieldClass::Code,
                    Some(ip.to_string()),
                ));
                at += 6;
            }
            rest(data, at, s, f);
        }
        (Variant::Nbns, Some(nbns::TYPE_NBSTAT)) => {
            // NUM_NAMES, then 18 octets per name: 15 characters, suffix, NAME_FLAGS
            // (RFC 1002, Section 4.2.18).
            let mut at = data.start;
            if let Some(&n) = p.get(at) {
                f.push(Field::new(
                    at..at + 1,
                    format!("{s} name count"),
                    FieldClass::Count,
                    Some(n.to_string()),
                ));
                at += 1;
                for _ in 0..n {
                    if at + 18 > data.end {
                        break;
                    }
                    let nb = NetbiosName {
                        name: p[at..at + 15].trim_ascii_end().to_vec(),
                        suffix: p[at + 15],
                    };
                    f.push(Field::new(
                        at..at + 16,
                        format!("{s} node name"),
                        FieldClass::Name,
                        Some(nb.display()),
                    ));
                    f.push(Field::new(
                        at + 16..at + 18,
                        format!("{s} name flags"),
                        FieldClass::Flags,
                        None,
                    ));
                    at += 18;
                }
            }
            rest(data, at, s, f);
        }
        (_, Some(1)) if bytes.len() == 4 => {
            let ip = Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]);
            f.push(Field::new(
                data,
                format!("{s} address"),
                FieldClass::Code,
                Some(ip.to_string()),
            ));
        }
        (_, Some(28)) if bytes.len() == 16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(bytes);
            let ip = Ipv6Addr::from(o);
            f.push(Field::new(
                data,
                format!("{s} address"),
                FieldClass::Code,
                Some(ip.to_string()),
            ));
        }
        (_, Some(2 | 5 | 12)) => {
            let n = dns::parse_name(p, data.start);
            name_fields(p, variant, &n, target_of(r.section), f);
            rest(data, n.end, s, f);
        }
        (_, Some(33)) if bytes.len() >= 6 => {
            // Priority, weight, port, target (RFC 2782).
            for (i, part) in ["priority", "weight", "port"].into_iter().enumerate() {
                let at = data.start + 2 * i;
                let v = u16::from_be_bytes([p[at], p[at + 1]]);
                f.push(Field::new(
                    at..at + 2,
                    format!("{s} SRV {part}"),
                    FieldClass::Code,
                    Some(v.to_string()),
                ));
            }
            let n = dns::parse_name(p, data.start + 6);
            name_fields(p, variant, &n, target_of(r.section), f);
            rest(data, n.end, s, f);
        }
        (_, Some(16)) => {
            f.push(Field::new(
                data,
                format!("{s} text"),
                FieldClass::TextBody,
                Some(escape(bytes)),
            ));
        }
        _ => {
            f.push(Field::new(
                data,
                format!("{s} data"),
                FieldClass::BinaryBody,
                None,
            ));
        }
    }
}

fn target_of(s: Section) -> &'static str {
    match s {
        Section::Answer => "answer target",
        Section::Authority => "authority target",
        Section::Additional => "additional target",
    }
}

/// The part of record data that no field above covered.
fn rest(data: Range<usize>, from: usize, s: &str, f: &mut Vec<Field>) {
    if from < data.end {
        f.push(Field::new(
            from.max(data.start)..data.end,
            format!("{s} data"),
            FieldClass::BinaryBody,
            None,
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::nbns::tests::encode;
    use super::super::testutil::*;
    use super::super::{dissect_bytes, FieldClass};
    use super::*;

    /// An LLMNR query as Windows sends it for a host name: ID 0x3200, one question, type A.
    pub(crate) fn llmnr_query() -> Vec<u8> {
        let mut b = vec![0x32, 0x00, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        b.push(14);
        b.extend_from_slice(b"kristis-laptop");
        b.extend_from_slice(&[0, 0x00, 0x01, 0x00, 0x01]);
        b
    }

    /// An NBSTAT query for the wildcard name, as `nbtstat -A` sends it.
    pub(crate) fn nbstat_query() -> Vec<u8> {
        let mut b = vec![0x81, 0x2c, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        b.push(32);
        b.extend_from_slice(&encode(b"*", 0, 0));
        b.extend_from_slice(&[0, 0x00, 0x21, 0x00, 0x01]);
        b
    }

    /// An mDNS response: one PTR answer (cache-flush off) and one A record in additional,
    /// the second name compressed to the first.
    pub(crate) fn mdns_response() -> Vec<u8> {
        let mut b = vec![0, 0, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 1];
        // _http._tcp.local PTR printer._http._tcp.local
        b.extend_from_slice(&[5]);
        b.extend_from_slice(b"_http");
        b.extend_from_slice(&[4]);
        b.extend_from_slice(b"_tcp");
        b.extend_from_slice(&[5]);
        b.extend_from_slice(b"local");
        b.push(0);
        b.extend_from_slice(&[0, 12, 0, 1, 0, 0, 0x11, 0x94, 0, 10]);
        b.push(7);
        b.extend_from_slice(b"printer");
        b.extend_from_slice(&[0xc0, 12]);
        // printer.local A 192.168.1.20, cache-flush set: name = "printer" + pointer to "local".
        let local = 12 + 6 + 5;
        b.push(7);
        b.extend_from_slice(b"printer");
        b.extend_from_slice(&[0xc0, local as u8]);
        b.extend_from_slice(&[0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 168, 1, 20]);
        b
    }

    #[test]
    pub(crate) fn llmnr_query_on_the_group() {
        let kb = kb();
        let hint = udp("192.168.1.23", 59123, "224.0.0.252", 5355);
        let p = llmnr_query();
        let d = dissect_bytes(&p, &hint, &kb);
        assert_eq!(d.protocol, Some("llmnr"));
        assert_eq!(d.rfc.as_deref(), Some("RFC 4795"));
        assert!(
            d.recognised_by
                .contains("224.0.0.252 is the LLMNR group (RFC 4795)"),
            "{}",
            d.recognised_by
        );
        assert!(d.recognised_by.contains("port 5355"), "{}", d.recognised_by);
        assert!(
            d.recognised_by
                .contains("standard query for kristis-laptop (A)"),
            "{}",
            d.recognised_by
        );
        let dns = d.dns.as_ref().unwrap();
        assert_eq!(dns.id, 0x3200);
        assert!(!dns.is_response);
        assert_eq!(dns.qname.as_deref(), Some("kristis-laptop"));
        assert_eq!(dns.qtype, Some(1));
        let id = d.field_at(0).unwrap();
        assert_eq!(id.class, FieldClass::RandomId);
        assert_eq!(id.value.as_deref(), Some("0x3200"));
        let flags = d.field_at(3).unwrap();
        assert_eq!(flags.class, FieldClass::Flags);
        assert!(flags.value.as_ref().unwrap().contains("QR=0"));
        assert_eq!(d.field_at(5).unwrap().name, "question count");
        let label = d.field_at(15).unwrap();
        assert_eq!(label.class, FieldClass::Name);
        assert_eq!(label.range, 12..27);
        assert_eq!(label.value.as_deref(), Some("kristis-laptop"));
        assert_eq!(d.field_at(28).unwrap().name, "question type");
        assert_eq!(d.field_at(31).unwrap().name, "question class");
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        check_invariants(&d, p.len());
        every_truncation(&p, &hint);
    }

    #[test]
    fn llmnr_flags_use_its_own_bit_names() {
        let v = describe_flags(Variant::Llmnr, 0x8400 | 0x0200);
        assert!(v.contains("QR=1"));
        assert!(v.contains("C TC"), "{v}");
        assert!(!describe_flags(Variant::Dns, 0x0100).contains("T,"));
        assert!(describe_flags(Variant::Dns, 0x0100).contains("RD"));
        assert!(describe_flags(Variant::Nbns, 0x0110).contains("RD B"));
    }

    #[test]
    pub(crate) fn nbstat_query_decodes_the_wildcard() {
        let kb = kb();
        let hint = udp("10.1.1.5", 137, "10.1.1.9", 137);
        let p = nbstat_query();
        let d = dissect_bytes(&p, &hint, &kb);
        assert_eq!(d.protocol, Some("nbns"));
        assert_eq!(d.rfc.as_deref(), Some("RFC 1002"));
        let dns = d.dns.as_ref().unwrap();
        assert!(dns.nbstat);
        assert_eq!(dns.decoded_netbios_name.as_deref(), Some("*<00>"));
        assert!(
            d.recognised_by
                .contains("node status request for *<00> (NBSTAT)"),
            "{}",
            d.recognised_by
        );
        let name = d.field_at(20).unwrap();
        assert_eq!(name.class, FieldClass::Name);
        assert_eq!(name.value.as_deref(), Some("*<00>"));
        assert_eq!(name.range, 12..45);
        every_truncation(&p, &hint);
    }

    #[test]
    fn nbns_name_query_for_a_host() {
        let kb = kb();
        let mut p = vec![0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 32];
        p.extend_from_slice(&encode(b"KRISTIS-LAPTOP", b' ', 0));
        p.extend_from_slice(&[0, 0, 0x20, 0, 1]);
        let d = dissect_bytes(&p, &udp("10.1.1.5", 137, "10.1.1.255", 137), &kb);
        let dns = d.dns.unwrap();
        assert_eq!(
            dns.decoded_netbios_name.as_deref(),
            Some("KRISTIS-LAPTOP<00>")
        );
        assert!(!dns.nbstat);
        assert!(d.recognised_by.contains("name query"));
    }

    #[test]
    pub(crate) fn mdns_response_names_its_records() {
        let kb = kb();
        let hint = udp("192.168.1.20", 5353, "224.0.0.251", 5353);
        let p = mdns_response();
        let d = dissect_bytes(&p, &hint, &kb);
        assert_eq!(d.protocol, Some("mdns"), "{}", d.recognised_by);
        assert_eq!(d.rfc.as_deref(), Some("RFC 6762"));
        assert_eq!(d.is_response, Some(true));
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        assert_eq!(d.field_at(0).unwrap().class, FieldClass::Code);
        let names: Vec<&str> = d.fields.iter().map(|f| f.name.as_ref()).collect();
        assert!(names.contains(&"answer target name pointer"), "{names:?}");
        assert!(names.contains(&"additional address"));
        let addr = d
            .fields
            .iter()
            .find(|f| f.name == "additional address")
            .unwrap();
        assert_eq!(addr.value.as_deref(), Some("192.168.1.20"));
        assert_eq!(addr.range.end, p.len());
        let class = d
            .fields
            .iter()
            .find(|f| f.name == "additional class")
            .unwrap();
        assert!(class.value.as_ref().unwrap().contains("cache-flush"));
        check_invariants(&d, p.len());
        every_truncation(&p, &hint);
    }

    #[test]
    fn mdns_question_with_qu_bit() {
        let mut p = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4];
        p.extend_from_slice(b"host");
        p.extend_from_slice(&[5]);
        p.extend_from_slice(b"local");
        p.extend_from_slice(&[0, 0, 1, 0x80, 1]);
        let d = dissect_bytes(&p, &udp("fe80::1", 5353, "ff02::fb", 5353), &kb());
        assert_eq!(d.protocol, Some("mdns"));
        let c = d
            .fields
            .iter()
            .find(|f| f.name == "question class")
            .unwrap();
        assert!(c.value.as_ref().unwrap().contains("QU"));
        assert_eq!(d.dns.unwrap().qname.as_deref(), Some("host.local"));
    }

    #[test]
    fn port_says_dns_but_payload_does_not() {
        let kb = kb();
        let hint = udp("10.0.0.1", 40000, "224.0.0.252", 5355);
        for p in [
            &b"hello"[..],
            &[0u8; 12][..],
            b"\x00\x01\x78\x00\x00\x01\x00\x00\x00\x00\x00\x00",
        ] {
            let d = dissect_bytes(p, &hint, &kb);
            assert_eq!(d.protocol, None);
            assert!(d.anomalies.contains(&NOT_A_HEADER), "{:?}", d.anomalies);
            assert!(
                d.recognised_by.contains("does not parse"),
                "{}",
                d.recognised_by
            );
            assert!(d.dns.is_none());
        }
        // NBNS port with a plain DNS name is not NBNS.
        let d = dissect_bytes(&llmnr_query(), &udp("10.0.0.1", 137, "10.0.0.2", 137), &kb);
        assert_eq!(d.protocol, None);
    }

    #[test]
    fn plain_dns_response_on_the_source_port() {
        let mut p = vec![0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7];
        p.extend_from_slice(b"example");
        p.push(3);
        p.extend_from_slice(b"com");
        p.extend_from_slice(&[
            0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34,
        ]);
        let hint = udp("8.8.8.8", 53, "10.0.0.2", 51515);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("dns"));
        assert!(
            d.recognised_by.contains("source port 53"),
            "{}",
            d.recognised_by
        );
        let f = d
            .fields
            .iter()
            .find(|f| f.name == "answer address")
            .unwrap();
        assert_eq!(f.value.as_deref(), Some("93.184.216.34"));
        every_truncation(&p, &hint);
    }

    #[test]
    fn hostile_name_loop_is_an_anomaly() {
        let p = [
            0x11, 0x11, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0xc0, 12, 0, 1, 0, 1,
        ];
        let d = dissect_bytes(&p, &udp("10.0.0.1", 5000, "10.0.0.2", 53), &kb());
        assert_eq!(d.protocol, None);
        assert!(d.anomalies.contains(&NOT_A_HEADER));
        assert!(d.anomalies.contains(&dns::NAME_LOOP), "{:?}", d.anomalies);
    }
}
