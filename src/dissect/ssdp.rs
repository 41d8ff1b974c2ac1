//! SSDP, the discovery part of UPnP (UPnP Device Architecture 1.1, Section 1): HTTP syntax over
//! UDP. A search is `M-SEARCH * HTTP/1.1`, an announcement `NOTIFY * HTTP/1.1`, and a device
//! answers a search with `HTTP/1.1 200 OK` sent to the searcher.

use super::http::{self, StartLine};
use super::{Field, SsdpFacts};

/// Anomaly: the addressing says SSDP, but the payload is not an SSDP message.
pub const NOT_SSDP: &str = "ssdp_port_but_not_ssdp";
/// Anomaly: an SSDP request whose target is not `*` (Section 1.3.2 and 1.2.2).
pub const TARGET_NOT_STAR: &str = "ssdp_request_target_not_star";

/// The result of dissecting an SSDP payload.
#[derive(Clone, Debug)]
pub struct Ssdp {
    pub facts: SsdpFacts,
    pub is_response: bool,
    pub fields: Vec<Field>,
    pub anomalies: Vec<&'static str>,
}

/// Dissects `p` as SSDP; `None` unless it starts with an SSDP search, notification or
/// search response.
pub fn dissect(p: &[u8]) -> Option<Ssdp> {
    let m = http::parse(p)?;
    let mut anomalies = m.anomalies.clone();
    let header = |name: &str| {
        m.header(p, name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let (method, is_response) = match &m.start {
        StartLine::Request { method, uri, .. } => {
            let name = p.get(method.clone())?;
            let method = match name {
                b"M-SEARCH" => "M-SEARCH",
                b"NOTIFY" => "NOTIFY",
                _ => return None,
            };
            if p.get(uri.clone()) != Some(&b"*"[..]) {
                anomalies.push(TARGET_NOT_STAR);
            }
            (method, false)
        }
        // A search response carries the search target it answers and a unique service name.
        StartLine::Response { status: 200, .. }
            if m.header(p, "ST").is_some() || m.header(p, "USN").is_some() =>
        {
            ("RESPONSE", true)
        }
        StartLine::Response { .. } => return None,
    };
    let target = if method == "NOTIFY" {
        header("NT")
    } else {
        header("ST")
    };
    let user_agent = header("USER-AGENT").or_else(|| header("SERVER"));
    let mut fields = http::head_fields(p, &m);
    if let Some(b) = &m.blank_line {
        if b.end < p.len() {
            fields.push(Field::new(
                b.end..p.len(),
                "body",
                if http::looks_binary(&p[b.end..]) {
                    super::FieldClass::BinaryBody
                } else {
                    super::FieldClass::TextBody
                },
                None,
            ));
        }
    }
    Some(Ssdp {
        facts: SsdpFacts {
            method: method.to_string(),
            target,
            user_agent,
        },
        is_response,
        fields,
        anomalies,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, FieldClass};
    use super::*;

    pub(crate) fn m_search() -> Vec<u8> {
        b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: urn:dial-multiscreen-org:service:dial:1\r\nUSER-AGENT: Google Chrome/120.0 Windows\r\n\r\n".to_vec()
    }

    #[test]
    fn m_search_to_the_group() {
        let kb = kb();
        let hint = udp("192.168.1.40", 53211, "239.255.255.250", 1900);
        let p = m_search();
        let d = dissect_bytes(&p, &hint, &kb);
        assert_eq!(d.protocol, Some("ssdp"));
        assert!(
            d.recognised_by
                .contains("239.255.255.250 is the SSDP group"),
            "{}",
            d.recognised_by
        );
        assert!(d.recognised_by.contains("M-SEARCH"));
        assert_eq!(d.rfc.as_deref(), Some("UPnP Device Architecture 1.1"));
        let s = d.ssdp.as_ref().unwrap();
        assert_eq!(s.method, "M-SEARCH");
        assert_eq!(
            s.target.as_deref(),
            Some("urn:dial-multiscreen-org:service:dial:1")
        );
        assert_eq!(s.user_agent.as_deref(), Some("Google Chrome/120.0 Windows"));
        assert_eq!(d.is_response, Some(false));
        assert_eq!(d.field_at(0).unwrap().class, FieldClass::StartLine);
        assert!(d.fields.iter().any(|f| f.name == "MAN"));
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        every_truncation(&p, &hint);
    }

    #[test]
    fn notify_and_response() {
        let n = b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: Linux/3.14 UPnP/1.0 miniupnpd/2.0\r\n\r\n";
        let s = dissect(n).unwrap();
        assert_eq!(s.facts.method, "NOTIFY");
        assert_eq!(s.facts.target.as_deref(), Some("upnp:rootdevice"));
        assert!(s.facts.user_agent.unwrap().contains("miniupnpd"));
        let r = b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n";
        let hint = udp("192.168.1.1", 1900, "192.168.1.40", 53211);
        let d = dissect_bytes(r, &hint, &kb());
        assert_eq!(d.protocol, Some("ssdp"));
        assert_eq!(d.is_response, Some(true));
        assert_eq!(d.ssdp.unwrap().method, "RESPONSE");
        every_truncation(r, &hint);
    }

    #[test]
    fn other_http_on_the_port_is_not_ssdp() {
        let kb = kb();
        let hint = udp("192.168.1.40", 53211, "239.255.255.250", 1900);
        let d = dissect_bytes(b"GET / HTTP/1.1\r\n\r\n", &hint, &kb);
        assert_eq!(d.protocol, None);
        assert!(d.anomalies.contains(&NOT_SSDP));
        assert!(dissect(b"HTTP/1.1 404 Not Found\r\n\r\n").is_none());
        let s = dissect(b"M-SEARCH /x HTTP/1.1\r\n\r\n").unwrap();
        assert!(s.anomalies.contains(&TARGET_NOT_STAR));
    }

    #[test]
    fn m_search_without_port_facts() {
        let hint = udp("192.168.1.40", 53211, "192.168.1.1", 40000);
        let d = dissect_bytes(&m_search(), &hint, &kb());
        assert_eq!(d.protocol, Some("ssdp"));
        assert!(
            d.recognised_by.contains("start line"),
            "{}",
            d.recognised_by
        );
    }
}
