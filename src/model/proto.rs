//! IP protocol numbers as a newtype: unknown values still parse.

use std::fmt;

/// An IP protocol number (IANA "Assigned Internet Protocol Numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpProto(pub u8);

impl IpProto {
    pub const ICMP: IpProto = IpProto(1);
    pub const IGMP: IpProto = IpProto(2);
    pub const TCP: IpProto = IpProto(6);
    pub const UDP: IpProto = IpProto(17);
    pub const GRE: IpProto = IpProto(47);
    pub const ESP: IpProto = IpProto(50);
    pub const ICMPV6: IpProto = IpProto(58);
    pub const SCTP: IpProto = IpProto(132);

    /// Parses the names sensors write (`TCP`, `udp`, `IPV6-ICMP`, `ICMP`, `017`, `6`).
    pub fn from_name(s: &str) -> Option<IpProto> {
        let t = s.trim();
        if let Ok(n) = t.parse::<u8>() {
            return Some(IpProto(n));
        }
        const NAMES: [(&str, IpProto); 10] = [
            ("TCP", IpProto::TCP),
            ("UDP", IpProto::UDP),
            ("ICMP", IpProto::ICMP),
            ("IGMP", IpProto::IGMP),
            ("GRE", IpProto::GRE),
            ("ESP", IpProto::ESP),
            ("SCTP", IpProto::SCTP),
            ("IPV6-ICMP", IpProto::ICMPV6),
            ("ICMPV6", IpProto::ICMPV6),
            ("ICMP6", IpProto::ICMPV6),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map(|(_, p)| *p)
    }

    /// [`IpProto::name`] in lower case.
    pub fn lower_name(self) -> Option<&'static str> {
        Some(match self {
            Self::TCP => "tcp",
            Self::UDP => "udp",
            Self::ICMP => "icmp",
            Self::IGMP => "igmp",
            Self::GRE => "gre",
            Self::ESP => "esp",
            Self::SCTP => "sctp",
            Self::ICMPV6 => "ipv6-icmp",
            _ => return None,
        })
    }

    /// The name Suricata's EVE uses for this protocol.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::TCP => "TCP",
            Self::UDP => "UDP",
            Self::ICMP => "ICMP",
            Self::IGMP => "IGMP",
            Self::GRE => "GRE",
            Self::ESP => "ESP",
            Self::SCTP => "SCTP",
            Self::ICMPV6 => "IPv6-ICMP",
            _ => return None,
        })
    }

    /// Whether the protocol carries port numbers.
    pub fn has_ports(self) -> bool {
        matches!(self, Self::TCP | Self::UDP | Self::SCTP)
    }
}

impl fmt::Display for IpProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(IpProto::from_name("udp"), Some(IpProto::UDP));
        assert_eq!(IpProto::from_name("IPv6-ICMP"), Some(IpProto::ICMPV6));
        assert_eq!(IpProto::from_name("017"), Some(IpProto::UDP));
        assert_eq!(IpProto::from_name("bogus"), None);
        assert_eq!(IpProto(99).to_string(), "99");
    }
}
