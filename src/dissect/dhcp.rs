//! DHCP and BOOTP (RFC 2131, Section 2; RFC 951): the fixed 236-octet header, the magic
//! cookie, and the options (RFC 2132) as type-length-value triples.

use std::net::Ipv4Addr;

use super::wire::{be16, be32, clip, hex, push, u8_at};
use super::{escape, AppFacts, Field, FieldClass, Parsed};

/// Where the magic cookie sits: after the fixed header (RFC 2131, Section 3).
pub const MAGIC_OFFSET: usize = 236;
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// Most options read. A client's DISCOVER carries about ten; a server's OFFER twenty. Pad
/// runs count once. Past this the rest is one field.
pub const MAX_OPTIONS: usize = 128;

/// Anomaly: the port says DHCP, but the payload is not a BOOTP message.
pub const NOT_DHCP: &str = "dhcp_port_but_not_dhcp";
/// Anomaly: an option whose length runs past the payload.
pub const OPTION_PAST_END: &str = "dhcp_option_past_end";
/// Anomaly: options without the end option (255).
pub const NO_END: &str = "dhcp_options_without_end";

/// What the message states.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DhcpFacts {
    /// `BOOTREQUEST` or `BOOTREPLY`.
    pub op: &'static str,
    pub xid: u32,
    /// Option 53, named (`DISCOVER`), absent for plain BOOTP.
    pub message_type: Option<String>,
    pub client_mac: Option<String>,
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
    pub requested_ip: Option<Ipv4Addr>,
    pub server_id: Option<Ipv4Addr>,
}

/// Whether the payload holds the magic cookie at its place after a BOOTP request or reply
/// header for Ethernet: the content test for DHCP without a port hint.
pub fn has_magic_cookie(p: &[u8]) -> bool {
    matches!(p, [1 | 2, 1, 6, ..])
        && p.get(MAGIC_OFFSET..MAGIC_OFFSET + 4) == Some(&MAGIC_COOKIE[..])
}

/// DHCP message types (RFC 2132 9.6; RFC 3203; RFC 4388).
pub fn message_type_name(t: u8) -> String {
    let n = match t {
        1 => "DISCOVER",
        2 => "OFFER",
        3 => "REQUEST",
        4 => "DECLINE",
        5 => "ACK",
        6 => "NAK",
        7 => "RELEASE",
        8 => "INFORM",
        9 => "FORCERENEW",
        10 => "LEASEQUERY",
        11 => "LEASEUNASSIGNED",
        12 => "LEASEUNKNOWN",
        13 => "LEASEACTIVE",
        _ => return t.to_string(),
    };
    n.to_string()
}

fn option_name(code: u8) -> &'static str {
    match code {
        1 => "subnet mask",
        3 => "router",
        6 => "domain name servers",
        12 => "host name",
        15 => "domain name",
        28 => "broadcast address",
        43 => "vendor-specific information",
        50 => "requested IP address",
        51 => "lease time",
        53 => "message type",
        54 => "server identifier",
        55 => "parameter request list",
        57 => "maximum message size",
        58 => "renewal time",
        59 => "rebinding time",
        60 => "vendor class identifier",
        61 => "client identifier",
        81 => "client FQDN",
        82 => "relay agent information",
        116 => "auto-configure",
        119 => "domain search",
        121 => "classless static route",
        252 => "WPAD URL",
        _ => "option",
    }
}

fn ipv4(p: &[u8], at: usize) -> Option<Ipv4Addr> {
    be32(p, at).map(Ipv4Addr::from)
}

/// Dissects `p` as a BOOTP/DHCP message; `None` unless op is request or reply and the header
/// fields that have a fixed range are in it.
pub fn dissect(p: &[u8]) -> Option<Parsed> {
    let op = u8_at(p, 0)?;
    let op_name = match op {
        1 => "BOOTREQUEST",
        2 => "BOOTREPLY",
        _ => return None,
    };
    // Hardware address length at most 16 (the chaddr field), hops at most 16 (RFC 1542 4.1.1).
    if u8_at(p, 2).is_some_and(|l| l > 16) || u8_at(p, 3).is_some_and(|h| h > 16) {
        return None;
    }
    let mut f = Vec::new();
    let mut anomalies = Vec::new();
    let mut facts = DhcpFacts {
        op: op_name,
        ..DhcpFacts::default()
    };
    f.push(Field::new(
        0..1,
        "DHCP op",
        FieldClass::Code,
        Some(format!("{op} ({op_name})")),
    ));
    push(
        &mut f,
        clip(p, 1, 1),
        "DHCP hardware type",
        FieldClass::Code,
        u8_at(p, 1).map(|h| {
            if h == 1 {
                "1 (Ethernet)".into()
            } else {
                h.to_string()
            }
        }),
    );
    push(
        &mut f,
        clip(p, 2, 1),
        "DHCP hardware address length",
        FieldClass::Length,
        u8_at(p, 2).map(|v| v.to_string()),
    );
    push(
        &mut f,
        clip(p, 3, 1),
        "DHCP hops",
        FieldClass::Count,
        u8_at(p, 3).map(|v| v.to_string()),
    );
    if let Some(x) = be32(p, 4) {
        facts.xid = x;
    }
    push(
        &mut f,
        clip(p, 4, 4),
        "DHCP transaction ID",
        FieldClass::RandomId,
        be32(p, 4).map(|x| format!("0x{x:08x}")),
    );
    push(
        &mut f,
        clip(p, 8, 2),
        "DHCP seconds elapsed",
        FieldClass::Count,
        be16(p, 8).map(|v| v.to_string()),
    );
    push(
        &mut f,
        clip(p, 10, 2),
        "DHCP flags",
        FieldClass::Flags,
        be16(p, 10).map(|v| {
            format!(
                "0x{v:04x}{}",
                if v & 0x8000 != 0 { ": broadcast" } else { "" }
            )
        }),
    );
    for (at, name) in [
        (12, "DHCP client IP address (ciaddr)"),
        (16, "DHCP your IP address (yiaddr)"),
        (20, "DHCP server IP address (siaddr)"),
        (24, "DHCP relay agent IP address (giaddr)"),
    ] {
        push(
            &mut f,
            clip(p, at, 4),
            name,
            FieldClass::Code,
            ipv4(p, at).map(|a| a.to_string()),
        );
    }
    let hlen = u8_at(p, 2).unwrap_or(6) as usize;
    let mac = clip(p, 28, hlen);
    if mac.len() == hlen && hlen > 0 {
        let m = p[mac.clone()]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":");
        facts.client_mac = Some(m.clone());
        f.push(Field::new(
            mac.clone(),
            "DHCP client hardware address (chaddr)",
            FieldClass::Code,
            Some(m),
        ));
    } else {
        push(
            &mut f,
            mac.clone(),
            "DHCP client hardware address (chaddr)",
            FieldClass::Code,
            None,
        );
    }
    push(
        &mut f,
        clip(p, mac.end, 28 + 16 - mac.end.min(44)),
        "DHCP chaddr padding",
        FieldClass::Padding,
        None,
    );
    for (at, len, name) in [
        (44, 64, "DHCP server host name (sname)"),
        (108, 128, "DHCP boot file name (file)"),
    ] {
        let r = clip(p, at, len);
        let text = p
            .get(r.clone())
            .map(|b| b.split(|&c| c == 0).next().unwrap_or_default())
            .filter(|t| !t.is_empty())
            .map(escape);
        let class = if text.is_some() {
            FieldClass::Name
        } else {
            FieldClass::Padding
        };
        push(&mut f, r, name, class, text);
    }
    let cookie = clip(p, MAGIC_OFFSET, 4);
    let has_cookie = p.get(MAGIC_OFFSET..MAGIC_OFFSET + 4) == Some(&MAGIC_COOKIE[..]);
    if p.len() > MAGIC_OFFSET
        && !has_cookie
        && p.get(cookie.clone()) != MAGIC_COOKIE.get(..cookie.len())
    {
        // Bytes after the fixed header that are not the cookie: BOOTP vendor area.
        push(
            &mut f,
            MAGIC_OFFSET..p.len(),
            "BOOTP vendor-specific area",
            FieldClass::Unknown,
            None,
        );
    } else {
        push(
            &mut f,
            cookie,
            "DHCP magic cookie",
            FieldClass::Magic,
            Some("99.130.83.99".into()),
        );
    }
    if has_cookie {
        options(p, MAGIC_OFFSET + 4, &mut f, &mut facts, &mut anomalies);
    }
    let summary = summary(&facts);
    Some(Parsed {
        protocol: "dhcp",
        fields: f,
        anomalies,
        summary,
        is_response: Some(op == 2),
        app: AppFacts::Dhcp(facts),
        doc: Some("RFC 2131; RFC 2132".into()),
    })
}

fn summary(f: &DhcpFacts) -> String {
    let mut s = match &f.message_type {
        Some(t) => format!("a DHCP {t}"),
        None => format!("a BOOTP {}", f.op),
    };
    if let Some(m) = &f.client_mac {
        s.push_str(&format!(" for client {m}"));
    }
    if let Some(h) = &f.hostname {
        s.push_str(&format!(" (host name {h})"));
    }
    if let Some(v) = &f.vendor_class {
        s.push_str(&format!(", vendor class {v}"));
    }
    s
}

fn options(
    p: &[u8],
    start: usize,
    f: &mut Vec<Field>,
    facts: &mut DhcpFacts,
    anomalies: &mut Vec<&'static str>,
) {
    let mut pos = start;
    let mut ended = false;
    for _ in 0..MAX_OPTIONS {
        let Some(code) = u8_at(p, pos) else { break };
        if code == 0 {
            let run = p[pos..].iter().take_while(|&&b| b == 0).count();
            f.push(Field::new(
                pos..pos + run,
                "DHCP pad option",
                FieldClass::Padding,
                None,
            ));
            pos += run;
            continue;
        }
        if code == 255 {
            f.push(Field::new(
                pos..pos + 1,
                "DHCP end option",
                FieldClass::Code,
                None,
            ));
            pos += 1;
            ended = true;
            break;
        }
        let name = option_name(code);
        f.push(Field::new(
            pos..pos + 1,
            "DHCP option code",
            FieldClass::Code,
            Some(format!("{code} ({name})")),
        ));
        let Some(len) = u8_at(p, pos + 1) else {
            pos += 1;
            break;
        };
        f.push(Field::new(
            pos + 1..pos + 2,
            "DHCP option length",
            FieldClass::Length,
            Some(len.to_string()),
        ));
        let data = clip(p, pos + 2, len as usize);
        if data.len() < len as usize {
            anomalies.push(OPTION_PAST_END);
        }
        let bytes = &p[data.clone()];
        let (class, value) = match code {
            53 => {
                let t = bytes.first().map(|&t| message_type_name(t));
                facts.message_type = t.clone();
                (FieldClass::Code, t)
            }
            12 | 15 | 60 | 81 | 252 => {
                // Some clients count a terminating NUL in the length (RFC 2132, 2: they
                // should not).
                let n = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                let v = escape(&bytes[..n]);
                match code {
                    12 => facts.hostname = Some(v.clone()),
                    60 => facts.vendor_class = Some(v.clone()),
                    _ => {}
                }
                (FieldClass::Name, Some(v))
            }
            50 | 54 | 1 | 3 | 28 if bytes.len() == 4 => {
                let a = Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]);
                match code {
                    50 => facts.requested_ip = Some(a),
                    54 => facts.server_id = Some(a),
                    _ => {}
                }
                (FieldClass::Code, Some(a.to_string()))
            }
            55 => (
                FieldClass::Code,
                Some(
                    bytes
                        .iter()
                        .map(|b| b.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ),
            61 => (FieldClass::Code, Some(hex(bytes))),
            51 | 58 | 59 if bytes.len() == 4 => {
                (FieldClass::Count, be32(bytes, 0).map(|s| format!("{s} s")))
            }
            _ => (FieldClass::Code, None),
        };
        push(
            f,
            data.clone(),
            format!("DHCP option {code} ({name})"),
            class,
            value,
        );
        pos = data.end;
        if data.len() < len as usize {
            return;
        }
    }
    if !ended && pos >= p.len() {
        anomalies.push(NO_END);
    }
    if pos < p.len() {
        let rest = if ended {
            "DHCP padding after the end option"
        } else {
            "further DHCP options"
        };
        let class = if p[pos..].iter().all(|&b| b == 0) {
            FieldClass::Padding
        } else {
            FieldClass::Unknown
        };
        f.push(Field::new(pos..p.len(), rest, class, None));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, AppFacts};
    use super::*;

    /// A Windows 10 DHCPDISCOVER: broadcast flag, client id, host name, vendor class MSFT 5.0,
    /// parameter request list, end and padding.
    pub(crate) fn discover() -> Vec<u8> {
        let mut p = vec![1, 1, 6, 0, 0x3d, 0x1d, 0x5a, 0x2c, 0, 0, 0x80, 0];
        p.extend_from_slice(&[0; 16]);
        p.extend_from_slice(&[0x00, 0x0c, 0x29, 0x4f, 0x8e, 0x35]);
        p.extend_from_slice(&[0; 10 + 64 + 128]);
        p.extend_from_slice(&MAGIC_COOKIE);
        p.extend_from_slice(&[53, 1, 1]);
        p.extend_from_slice(&[61, 7, 1, 0x00, 0x0c, 0x29, 0x4f, 0x8e, 0x35]);
        p.extend_from_slice(&[50, 4, 192, 168, 1, 23]);
        p.extend_from_slice(&[12, 14]);
        p.extend_from_slice(b"KRISTIS-LAPTOP");
        p.extend_from_slice(&[60, 8]);
        p.extend_from_slice(b"MSFT 5.0");
        p.extend_from_slice(&[55, 6, 1, 3, 6, 15, 31, 33]);
        p.push(255);
        p.extend_from_slice(&[0; 8]);
        p
    }

    fn dhcp_facts(d: &super::super::Dissection) -> &DhcpFacts {
        match d.app.as_ref() {
            Some(AppFacts::Dhcp(x)) => x,
            other => panic!("not DHCP: {other:?}"),
        }
    }

    #[test]
    fn discover_names_its_options() {
        let p = discover();
        let hint = udp("0.0.0.0", 68, "255.255.255.255", 67);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("dhcp"));
        let x = dhcp_facts(&d);
        assert_eq!(x.message_type.as_deref(), Some("DISCOVER"));
        assert_eq!(x.hostname.as_deref(), Some("KRISTIS-LAPTOP"));
        assert_eq!(x.vendor_class.as_deref(), Some("MSFT 5.0"));
        assert_eq!(x.requested_ip, Some(Ipv4Addr::new(192, 168, 1, 23)));
        assert_eq!(x.client_mac.as_deref(), Some("00:0c:29:4f:8e:35"));
        assert_eq!(x.xid, 0x3d1d5a2c);
        assert_eq!(d.is_response, Some(false));
        assert!(
            d.recognised_by
                .contains("DISCOVER for client 00:0c:29:4f:8e:35"),
            "{}",
            d.recognised_by
        );
        assert_eq!(d.field_at(4).unwrap().class, FieldClass::RandomId);
        assert_eq!(d.field_at(MAGIC_OFFSET).unwrap().name, "DHCP magic cookie");
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        every_truncation(&p, &hint);
    }

    #[test]
    fn recognised_by_cookie_and_refused_otherwise() {
        let p = discover();
        let hint = udp("10.0.0.1", 40000, "10.0.0.2", 40001);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("dhcp"));
        assert!(d.recognised_by.contains("magic cookie"));
        let hint = udp("0.0.0.0", 68, "255.255.255.255", 67);
        let d = dissect_bytes(b"\x05hello", &hint, &kb());
        assert_eq!(d.protocol, None);
        assert!(d.anomalies.contains(&NOT_DHCP));
        let mut cut = discover();
        cut.truncate(MAGIC_OFFSET + 4 + 5);
        let d = dissect_bytes(&cut, &hint, &kb());
        assert!(d.anomalies.contains(&OPTION_PAST_END), "{:?}", d.anomalies);
    }
}
