//! NTP (RFC 5905, Section 7.3): the first octet's leap indicator, version and mode, then for
//! modes 1-5 the 48-octet time packet; mode 6 control messages (RFC 9327, Section 2, formerly
//! RFC 1305 Appendix B); and mode 7, ntpd's private request format (ntp_request.h in the
//! reference implementation), whose MON_GETLIST requests are the "monlist" of CVE-2013-5211.

use std::net::Ipv4Addr;

use super::wire::{be16, be32, clip, push, u8_at};
use super::{escape, AppFacts, Field, FieldClass, Parsed};

/// Length of the time packet of modes 1-5.
pub const HEADER_LEN: usize = 48;
/// Length of the mode 6 and mode 7 headers.
pub const CONTROL_HEADER_LEN: usize = 12;
pub const PRIVATE_HEADER_LEN: usize = 8;
/// Mode 7 request codes for the monitor list (ntp_request.h: REQ_MON_GETLIST = 20,
/// REQ_MON_GETLIST_1 = 42).
pub const REQ_MON_GETLIST: u8 = 20;
pub const REQ_MON_GETLIST_1: u8 = 42;

/// Anomaly: the port says NTP, but the payload is no NTP packet.
pub const NOT_NTP: &str = "ntp_port_but_not_ntp";
/// Anomaly: a mode 7 response whose item count and size run past the payload.
pub const ITEMS_PAST_END: &str = "ntp_mode7_items_past_end";

/// What the packet states.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NtpFacts {
    pub version: u8,
    pub mode: u8,
    /// The mode named: `client`, `server`, `control`, `private`, ...
    pub mode_name: &'static str,
    pub stratum: Option<u8>,
    /// Mode 6 opcode or mode 7 request code, named (`MON_GETLIST_1`).
    pub request: Option<String>,
    /// `monlist` for either MON_GETLIST request.
    pub monlist: bool,
    /// Mode 7: item count and size.
    pub items: Option<(u16, u16)>,
}

pub fn mode_name(m: u8) -> &'static str {
    match m {
        1 => "symmetric active",
        2 => "symmetric passive",
        3 => "client",
        4 => "server",
        5 => "broadcast",
        6 => "control",
        7 => "private",
        _ => "reserved",
    }
}

fn control_opcode(op: u8) -> String {
    let n = match op {
        1 => "READSTAT",
        2 => "READVAR",
        3 => "WRITEVAR",
        4 => "READCLOCK",
        5 => "WRITECLOCK",
        6 => "SETTRAP",
        7 => "ASYNCMSG",
        8 => "CONFIGURE",
        9 => "SAVECONFIG",
        10 => "READ_MRU",
        11 => "READ_ORDLIST_A",
        12 => "REQ_NONCE",
        31 => "UNSETTRAP",
        _ => return format!("opcode {op}"),
    };
    n.to_string()
}

fn private_request(code: u8) -> String {
    let n = match code {
        0 => "PEER_LIST",
        1 => "PEER_LIST_SUM",
        2 => "PEER_INFO",
        3 => "PEER_STATS",
        4 => "SYS_INFO",
        5 => "SYS_STATS",
        6 => "IO_STATS",
        7 => "MEM_STATS",
        8 => "LOOP_INFO",
        9 => "TIMER_STATS",
        10 => "CONFIG",
        11 => "UNCONFIG",
        12 => "SET_SYS_FLAG",
        13 => "CLR_SYS_FLAG",
        16 => "GET_RESTRICT",
        REQ_MON_GETLIST => "MON_GETLIST",
        REQ_MON_GETLIST_1 => "MON_GETLIST_1",
        _ => return format!("request {code}"),
    };
    n.to_string()
}

fn implementation_name(i: u8) -> &'static str {
    match i {
        0 => "UNIV",
        2 => "XNTPD_OLD",
        3 => "XNTPD",
        _ => "unknown",
    }
}

/// Dissects `p` as NTP; `None` unless the version is 1-4 and the mode's header fits the
/// packet's shape.
pub fn dissect(p: &[u8]) -> Option<Parsed> {
    let b0 = u8_at(p, 0)?;
    let li = b0 >> 6;
    let vn = (b0 >> 3) & 7;
    let mode = b0 & 7;
    if !(1..=4).contains(&vn) || mode == 0 {
        return None;
    }
    let mut f = Vec::new();
    let mut anomalies = Vec::new();
    let mut facts = NtpFacts {
        version: vn,
        mode,
        mode_name: mode_name(mode),
        ..NtpFacts::default()
    };
    let first = if mode == 7 {
        let r = if b0 & 0x80 != 0 {
            "response"
        } else {
            "request"
        };
        let more = if b0 & 0x40 != 0 { ", more" } else { "" };
        format!("0x{b0:02x}: {r}{more}, version {vn}, mode 7 (private)")
    } else {
        format!(
            "0x{b0:02x}: leap indicator {li}, version {vn}, mode {mode} ({})",
            mode_name(mode)
        )
    };
    f.push(Field::new(
        0..1,
        "NTP LI/VN/mode",
        FieldClass::Flags,
        Some(first),
    ));
    let is_response = match mode {
        6 => {
            control(p, &mut f, &mut facts);
            u8_at(p, 1).map(|b| b & 0x80 != 0)
        }
        7 => {
            private(p, &mut f, &mut facts, &mut anomalies);
            Some(b0 & 0x80 != 0)
        }
        _ => {
            time_packet(p, &mut f, &mut facts);
            match mode {
                3 | 1 => Some(false),
                4 | 2 | 5 => Some(true),
                _ => None,
            }
        }
    };
    let summary = summary(&facts, is_response);
    Some(Parsed {
        protocol: "ntp",
        fields: f,
        anomalies,
        summary,
        is_response,
        app: AppFacts::Ntp(facts),
        doc: Some(match mode {
            6 => "RFC 9327".into(),
            7 => "ntpd ntp_request.h (mode 7); CVE-2013-5211".into(),
            _ => "RFC 5905".into(),
        }),
    })
}

fn summary(f: &NtpFacts, response: Option<bool>) -> String {
    let mut s = format!("an NTPv{} {} packet", f.version, f.mode_name);
    if let Some(r) = &f.request {
        let kind = if response == Some(true) {
            "response"
        } else {
            "request"
        };
        s = format!("an NTPv{} mode {} {r} {kind}", f.version, f.mode);
        if f.monlist {
            s.push_str(" (monlist)");
        }
    }
    if let Some((n, size)) = f.items {
        if n > 0 {
            s.push_str(&format!(" with {n} items of {size} bytes"));
        }
    }
    // A client's stratum field is unused (RFC 5905, 7.3: zero); a server's says where it
    // stands.
    if let (Some(st), 2 | 4 | 5) = (f.stratum, f.mode) {
        s.push_str(&format!(", stratum {st}"));
    }
    s
}

fn timestamp(p: &[u8], at: usize) -> Option<String> {
    let secs = be32(p, at)?;
    let frac = be32(p, at + 4)?;
    if secs == 0 && frac == 0 {
        return Some("0 (unset)".into());
    }
    // NTP era 0 counts from 1900-01-01; Unix time from 1970-01-01, 2 208 988 800 s later.
    let unix = i64::from(secs) - 2_208_988_800;
    Some(format!("{secs}.{frac:08x} (Unix time {unix})"))
}

fn time_packet(p: &[u8], f: &mut Vec<Field>, facts: &mut NtpFacts) {
    let stratum = u8_at(p, 1);
    facts.stratum = stratum;
    push(
        f,
        clip(p, 1, 1),
        "NTP stratum",
        FieldClass::Code,
        stratum.map(|s| match s {
            0 => "0 (unspecified or kiss-o'-death)".into(),
            1 => "1 (primary server)".into(),
            _ => s.to_string(),
        }),
    );
    push(
        f,
        clip(p, 2, 1),
        "NTP poll interval",
        FieldClass::Code,
        u8_at(p, 2).map(|v| format!("{v} (2^{v} s)")),
    );
    push(
        f,
        clip(p, 3, 1),
        "NTP precision",
        FieldClass::Code,
        u8_at(p, 3).map(|v| format!("{} (2^{} s)", v as i8, v as i8)),
    );
    push(f, clip(p, 4, 4), "NTP root delay", FieldClass::Count, None);
    push(
        f,
        clip(p, 8, 4),
        "NTP root dispersion",
        FieldClass::Count,
        None,
    );
    let refid = be32(p, 12).map(|r| {
        if stratum.is_some_and(|s| s <= 1) {
            escape(&r.to_be_bytes())
                .trim_end_matches("\\x00")
                .to_string()
        } else {
            Ipv4Addr::from(r).to_string()
        }
    });
    push(
        f,
        clip(p, 12, 4),
        "NTP reference ID",
        FieldClass::Code,
        refid,
    );
    for (at, name) in [
        (16, "NTP reference timestamp"),
        (24, "NTP origin timestamp"),
        (32, "NTP receive timestamp"),
    ] {
        push(f, clip(p, at, 8), name, FieldClass::Count, timestamp(p, at));
    }
    // The client's transmit timestamp is echoed as the server's origin: effectively random
    // low bits chosen by the client.
    push(
        f,
        clip(p, 40, 8),
        "NTP transmit timestamp",
        FieldClass::RandomId,
        timestamp(p, 40),
    );
    push(
        f,
        HEADER_LEN.min(p.len())..p.len(),
        "NTP extension fields or MAC",
        FieldClass::BinaryBody,
        None,
    );
}

fn control(p: &[u8], f: &mut Vec<Field>, facts: &mut NtpFacts) {
    let Some(b1) = u8_at(p, 1) else { return };
    let op = b1 & 0x1f;
    facts.request = Some(control_opcode(op));
    let bits = format!(
        "{}{}{}",
        if b1 & 0x80 != 0 { "response " } else { "" },
        if b1 & 0x40 != 0 { "error " } else { "" },
        if b1 & 0x20 != 0 { "more " } else { "" }
    );
    f.push(Field::new(
        1..2,
        "NTP control R/E/M and opcode",
        FieldClass::Code,
        Some(format!("0x{b1:02x}: {bits}{}", control_opcode(op))),
    ));
    push(
        f,
        clip(p, 2, 2),
        "NTP control sequence",
        FieldClass::RandomId,
        be16(p, 2).map(|v| v.to_string()),
    );
    push(
        f,
        clip(p, 4, 2),
        "NTP control status",
        FieldClass::Flags,
        be16(p, 4).map(|v| format!("0x{v:04x}")),
    );
    push(
        f,
        clip(p, 6, 2),
        "NTP control association ID",
        FieldClass::Code,
        be16(p, 6).map(|v| v.to_string()),
    );
    push(
        f,
        clip(p, 8, 2),
        "NTP control offset",
        FieldClass::Length,
        be16(p, 8).map(|v| v.to_string()),
    );
    let count = be16(p, 10);
    push(
        f,
        clip(p, 10, 2),
        "NTP control count",
        FieldClass::Length,
        count.map(|v| v.to_string()),
    );
    let data = clip(p, CONTROL_HEADER_LEN, count.unwrap_or(0) as usize);
    push(
        f,
        data.clone(),
        "NTP control data",
        FieldClass::TextBody,
        None,
    );
    push(
        f,
        data.end.max(CONTROL_HEADER_LEN).min(p.len())..p.len(),
        "NTP control padding or authenticator",
        FieldClass::BinaryBody,
        None,
    );
}

fn private(p: &[u8], f: &mut Vec<Field>, facts: &mut NtpFacts, anomalies: &mut Vec<&'static str>) {
    let Some(b1) = u8_at(p, 1) else { return };
    f.push(Field::new(
        1..2,
        "NTP mode 7 auth bit and sequence",
        FieldClass::Code,
        Some(format!("auth {}, sequence {}", b1 >> 7, b1 & 0x7f)),
    ));
    let Some(imp) = u8_at(p, 2) else { return };
    f.push(Field::new(
        2..3,
        "NTP mode 7 implementation",
        FieldClass::Code,
        Some(format!("{imp} ({})", implementation_name(imp))),
    ));
    let Some(code) = u8_at(p, 3) else { return };
    facts.request = Some(private_request(code));
    facts.monlist = matches!(code, REQ_MON_GETLIST | REQ_MON_GETLIST_1);
    f.push(Field::new(
        3..4,
        "NTP mode 7 request code",
        FieldClass::Code,
        Some(format!("{code} ({})", private_request(code))),
    ));
    let Some(w1) = be16(p, 4) else { return };
    let (err, n) = (w1 >> 12, w1 & 0x0fff);
    f.push(Field::new(
        4..6,
        "NTP mode 7 error and item count",
        FieldClass::Count,
        Some(format!("error {err}, {n} items")),
    ));
    let Some(w2) = be16(p, 6) else { return };
    let size = w2 & 0x0fff;
    f.push(Field::new(
        6..8,
        "NTP mode 7 item size",
        FieldClass::Length,
        Some(size.to_string()),
    ));
    facts.items = Some((n, size));
    let want = n as usize * size as usize;
    let items = clip(p, PRIVATE_HEADER_LEN, want);
    if p[0] & 0x80 != 0 && items.len() < want {
        anomalies.push(ITEMS_PAST_END);
    }
    let name = if facts.monlist && p[0] & 0x80 != 0 {
        "NTP monlist entries (recent clients' addresses and counters)"
    } else {
        "NTP mode 7 data items"
    };
    push(f, items.clone(), name, FieldClass::BinaryBody, None);
    push(
        f,
        items.end.max(PRIVATE_HEADER_LEN).min(p.len())..p.len(),
        "NTP mode 7 padding or authenticator",
        FieldClass::Padding,
        None,
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, AppFacts};
    use super::*;

    /// An ntpdc `monlist` request: mode 7, implementation XNTPD, MON_GETLIST_1, padded to 48.
    pub(crate) fn monlist_request() -> Vec<u8> {
        let mut p = vec![0x17, 0x00, 0x03, 0x2a];
        p.resize(48, 0);
        p
    }

    /// An ntpd reply to it: six 72-octet entries.
    fn monlist_response() -> Vec<u8> {
        let mut p = vec![0x97, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48];
        p.extend_from_slice(&[0xab; 6 * 72]);
        p
    }

    /// A chrony client request (NTPv4, mode 3, transmit timestamp only).
    pub(crate) fn client_request() -> Vec<u8> {
        let mut p = vec![0x23, 0, 6, 0x20];
        p.resize(40, 0);
        p.extend_from_slice(&[0xe9, 0x5b, 0x3c, 0x10, 0x8a, 0x41, 0x77, 0x02]);
        p
    }

    fn ntp_facts(d: &super::super::Dissection) -> &NtpFacts {
        match d.app.as_ref() {
            Some(AppFacts::Ntp(x)) => x,
            other => panic!("not NTP: {other:?}"),
        }
    }

    #[test]
    fn monlist_request_and_response() {
        let kb = kb();
        let p = monlist_request();
        let hint = udp("198.51.100.7", 57123, "192.0.2.5", 123);
        let d = dissect_bytes(&p, &hint, &kb);
        assert_eq!(d.protocol, Some("ntp"));
        let x = ntp_facts(&d);
        assert_eq!(x.mode_name, "private");
        assert!(x.monlist);
        assert_eq!(x.request.as_deref(), Some("MON_GETLIST_1"));
        assert_eq!(d.is_response, Some(false));
        assert!(
            d.recognised_by.contains("MON_GETLIST_1 request (monlist)"),
            "{}",
            d.recognised_by
        );
        assert_eq!(d.field_at(3).unwrap().name, "NTP mode 7 request code");
        every_truncation(&p, &hint);
        let r = monlist_response();
        let hint = udp("192.0.2.5", 123, "198.51.100.7", 57123);
        let d = dissect_bytes(&r, &hint, &kb);
        let x = ntp_facts(&d);
        assert_eq!(x.items, Some((6, 72)));
        assert!(
            d.recognised_by.contains("with 6 items of 72 bytes"),
            "{}",
            d.recognised_by
        );
        assert!(d.anomalies.is_empty());
        every_truncation(&r, &hint);
        let d = dissect_bytes(&r[..100], &hint, &kb);
        assert!(d.anomalies.contains(&ITEMS_PAST_END));
    }

    #[test]
    fn client_and_control_packets() {
        let kb = kb();
        let p = client_request();
        let hint = udp("192.168.1.5", 123, "162.159.200.1", 123);
        let d = dissect_bytes(&p, &hint, &kb);
        let x = ntp_facts(&d);
        assert_eq!((x.version, x.mode_name), (4, "client"));
        assert_eq!(d.field_at(40).unwrap().name, "NTP transmit timestamp");
        every_truncation(&p, &hint);
        // ntpq -c rv: READVAR.
        let c = [0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
        let d = dissect_bytes(&c, &hint, &kb);
        assert_eq!(ntp_facts(&d).request.as_deref(), Some("READVAR"));
        every_truncation(&c, &hint);
        let d = dissect_bytes(b"\x00junk", &hint, &kb);
        assert_eq!(d.protocol, None);
        assert!(d.anomalies.contains(&NOT_NTP));
    }
}
