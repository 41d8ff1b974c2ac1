//! Hosts as sensors and pasted logs write them: real IPv4/IPv6 addresses, or sanitised labels
//! (`a.b.c.d`, `my.firewall.ip`, `187.13.XX.XX`) kept as opaque text with whatever can still be
//! known about them.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnetwork::{IpNetwork, Ipv4Network};

/// Longest label kept verbatim; longer text is not a host written by a sensor.
pub const MAX_LABEL_LEN: usize = 64;

/// One side of an alert: an address (or a label standing for one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    Ip(IpAddr),
    /// A sanitised or symbolic address. `known` is the network that the visible part still
    /// pins down (the /16 of `187.13.XX.XX`), if any.
    Label {
        text: Cow<'a, str>,
        known: Option<IpNetwork>,
    },
}

impl<'a> Host<'a> {
    /// Parses an address; anything else that looks like a host token becomes a label.
    pub fn parse(s: &'a str) -> Host<'a> {
        let t = s.trim();
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Host::Ip(ip);
        }
        // Bracketed IPv6 as some tools print it.
        if let Some(inner) = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            if let Ok(ip) = inner.parse::<IpAddr>() {
                return Host::Ip(ip);
            }
        }
        Host::Label {
            text: Cow::Borrowed(t),
            known: known_prefix(t),
        }
    }

    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Ip(ip) => Some(*ip),
            Host::Label { .. } => None,
        }
    }

    /// The network that is known to contain this host: the address itself as /32 or /128,
    /// or the visible prefix of a label.
    pub fn known_network(&self) -> Option<IpNetwork> {
        match self {
            Host::Ip(ip) => IpNetwork::new(*ip, if ip.is_ipv4() { 32 } else { 128 }).ok(),
            Host::Label { known, .. } => *known,
        }
    }

    pub fn into_owned(self) -> Host<'static> {
        match self {
            Host::Ip(ip) => Host::Ip(ip),
            Host::Label { text, known } => Host::Label {
                text: Cow::Owned(text.into_owned()),
                known,
            },
        }
    }
}

impl Host<'_> {
    /// Calls `f` with the host as [`fmt::Display`] writes it, without allocating for an IPv4
    /// address.
    pub fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Host::Ip(IpAddr::V4(v4)) => f(Ipv4Text::of(*v4).as_str()),
            Host::Ip(ip) => f(&ip.to_string()),
            Host::Label { text, .. } => f(text),
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The standard library's `Ipv4Addr` formatting goes through the formatter's
            // padding for each octet: about 1,400 instructions an address, written seven
            // times per alert, 3.2 % of the instructions of `explain --format json` on the
            // benchmark EVE (callgrind). Same text.
            Host::Ip(IpAddr::V4(v4)) => f.write_str(Ipv4Text::of(*v4).as_str()),
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Label { text, .. } => f.write_str(text),
        }
    }
}

/// An IPv4 address in dotted decimal, written on the stack.
pub struct Ipv4Text {
    buf: [u8; 15],
    len: usize,
}

impl Ipv4Text {
    pub fn of(ip: Ipv4Addr) -> Self {
        let mut buf = [0u8; 15];
        let mut len = 0;
        for (i, o) in ip.octets().into_iter().enumerate() {
            if i > 0 {
                buf[len] = b'.';
                len += 1;
            }
            if o >= 100 {
                buf[len] = b'0' + o / 100;
                len += 1;
            }
            if o >= 10 {
                buf[len] = b'0' + o / 10 % 10;
                len += 1;
            }
            buf[len] = b'0' + o % 10;
            len += 1;
        }
        Ipv4Text { buf, len }
    }

    pub fn as_str(&self) -> &str {
        // Digits and dots only.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

/// The visible leading octets of a dotted label such as `187.13.XX.XX` or `10.1.x.x`.
fn known_prefix(s: &str) -> Option<IpNetwork> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut known = 0usize;
    for p in &parts {
        match p.parse::<u8>() {
            Ok(v) if known < 4 && (p.len() == 1 || !p.starts_with('0')) => {
                octets[known] = v;
                known += 1;
            }
            _ => break,
        }
    }
    // The rest must be placeholders, not further digits: `187.13.XX.XX`, `10.x.y.z`.
    if known == 0 || known == 4 {
        return None;
    }
    let rest_ok = parts[known..]
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphabetic() || c == '*'));
    if !rest_ok {
        return None;
    }
    let net = Ipv4Network::new(Ipv4Addr::from(octets), (known * 8) as u8).ok()?;
    Some(IpNetwork::V4(net))
}

/// An address and, for protocols that have them, a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint<'a> {
    pub host: Host<'a>,
    pub port: Option<u16>,
}

impl Endpoint<'_> {
    pub fn into_owned(self) -> Endpoint<'static> {
        Endpoint {
            host: self.host.into_owned(),
            port: self.port,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_addresses() {
        assert_eq!(
            Host::parse("10.0.0.1").ip(),
            Some("10.0.0.1".parse().unwrap())
        );
        assert!(Host::parse("fe80::1").ip().is_some());
        assert!(Host::parse("ff02:0000:0000:0000:0000:0000:0000:00fb")
            .ip()
            .is_some());
    }

    #[test]
    fn sanitised_labels_keep_what_is_known() {
        let h = Host::parse("187.13.XX.XX");
        assert_eq!(h.ip(), None);
        assert_eq!(h.known_network(), Some("187.13.0.0/16".parse().unwrap()));
        assert_eq!(h.to_string(), "187.13.XX.XX");
        assert_eq!(Host::parse("a.b.c.d").known_network(), None);
        assert_eq!(Host::parse("my.firewall.ip").known_network(), None);
        assert_eq!(
            Host::parse("10.x.y.z").known_network(),
            Some("10.0.0.0/8".parse().unwrap())
        );
        assert_eq!(Host::parse("300.1.x.x").known_network(), None);
    }
}
