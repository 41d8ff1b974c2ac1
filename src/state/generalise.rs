//! Generalisation hierarchies and the cluster key.
//!
//! Every alert and context event is seen as a [`Record`] and generalised along fixed
//! hierarchies (after Julisch's CLARAty, TISSEC 2003):
//!
//! ```text
//! address:  host -> /24 -> /16 -> class (HOME, EXTERNAL, unallocated-at-date, reserved,
//!           special, multicast, broadcast, label)
//! port:     port -> service (knowledge/services.toml) -> ephemeral -> any
//! time:     instant -> hour -> day -> any
//! ```
//!
//! The cluster key keeps what names a root cause — the kind of record, what fired (signature
//! or firewall rule), the transport, the class of each side, the server port and, for replies,
//! the service port they come from, and for alerts the explanation their own evidence gives —
//! and drops what varies within one cause (hosts, client ports, time). Those are kept per
//! cluster as counts, examples and the most specific common prefix, so that a cluster can
//! still say "from 4 hosts in 172.30.0.0/16 to 1.11.0.0/16".
//!
//! The key's address classes are one level above the classes facts speak of: globally
//! routed, unallocated-at-the-date and reserved addresses are all `outside` in the key. One
//! inside host scanning at random reaches all three; a key that told them apart would split
//! one cause into a cluster per /8 and call the unallocated ones misconfiguration. Each
//! cluster counts its members' fine classes instead, so a cluster whose every destination
//! lies in one unallocated block still says so.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::evidence::{Evidence, Supports};
use crate::knowledge::{AllocationAt, Knowledge};
use crate::model::{Action, Alert, ContextEvent, Endpoint, Host, IpProto};
use crate::score::{Score, Verdict, REASON_WEIGHT};

/// The kinds of record a cluster can hold. Every cluster pattern and hypothesis names the
/// kinds it reads, and is applied to no other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// IDS alerts (Snort, Suricata): fired on one packet or stream chunk by a signature.
    IdsAlert,
    /// Firewall packet logs: one line per packet allowed or denied (ipchains, netfilter, pf,
    /// ASA denies).
    Firewall,
    /// Connection logs: one record per connection (Zeek conn, EVE flow and netflow, ASA
    /// built/teardown).
    Connection,
    /// Application-protocol logs (Zeek dns, http, notice, weird; EVE http, dns, tls, anomaly).
    Protocol,
}

impl RecordKind {
    /// Stable names, as rule files write them (`records = ["firewall"]`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::IdsAlert => "ids_alert",
            RecordKind::Firewall => "firewall",
            RecordKind::Connection => "connection",
            RecordKind::Protocol => "protocol",
        }
    }

    pub fn from_name(s: &str) -> Option<RecordKind> {
        [
            RecordKind::IdsAlert,
            RecordKind::Firewall,
            RecordKind::Connection,
            RecordKind::Protocol,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The kind of a context event.
    pub fn of_event(e: &ContextEvent<'_>) -> RecordKind {
        use crate::model::ContextKind as K;
        match e.kind {
            K::IPCHAINS | K::NETFILTER | K::PFLOG => RecordKind::Firewall,
            K::CISCO_ASA if e.field("direction").is_some() || e.action == Some(Action::Allow) => {
                RecordKind::Connection
            }
            K::CISCO_ASA => RecordKind::Firewall,
            K::ZEEK_CONN | K::EVE_FLOW => RecordKind::Connection,
            k if k.0 == "eve_netflow" => RecordKind::Connection,
            _ => RecordKind::Protocol,
        }
    }
}

/// What the generalisation needs to know about one alert or context event.
#[derive(Clone, Debug)]
pub struct Record<'r> {
    pub kind: RecordKind,
    /// What fired: `[gid:sid] msg` for alerts, the log kind, rule and action for events.
    pub label: Cow<'r, str>,
    pub proto: Option<IpProto>,
    pub src: Option<&'r Endpoint<'r>>,
    pub dest: Option<&'r Endpoint<'r>>,
    pub micros: Option<i64>,
    /// (year, month) of the record, for address-space state at that date.
    pub month: Option<(i32, u32)>,
    pub tcp: TcpSeen,
    pub ip_len: Option<u32>,
    pub action: Option<Action>,
    pub icmp_type: Option<u8>,
    /// Interface names (Cisco ASA `inside`/`outside`), when the log names them.
    pub src_if: Option<&'r str>,
    pub dest_if: Option<&'r str>,
}

/// What is known about the TCP flags of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpSeen {
    /// Not TCP, or the log does not say.
    Unknown,
    /// SYN set (with or without ACK).
    Syn { ack: bool },
    /// No SYN: a segment of a session already established (or an attempt to resume one).
    NoSyn,
}

impl TcpSeen {
    fn from_letters(flags: &str) -> TcpSeen {
        let f = flags.trim_matches('*');
        if f.contains('S') {
            TcpSeen::Syn {
                ack: f.contains('A'),
            }
        } else {
            TcpSeen::NoSyn
        }
    }
}

impl<'r> Record<'r> {
    /// The fine address classes of the record's source and destination.
    pub fn classes(&self, home: &[IpNetwork], kb: &Knowledge) -> (AddrClass, AddrClass) {
        let class = |e: Option<&Endpoint<'_>>, ifname| match e {
            Some(e) => addr_class(&e.host, self.month, ifname, home, kb),
            None => AddrClass::Unknown,
        };
        (class(self.src, self.src_if), class(self.dest, self.dest_if))
    }

    pub fn from_alert(a: &'r Alert<'r>) -> Record<'r> {
        let mut label = String::with_capacity(64);
        let _ = write!(
            label,
            "[{}:{}] {}",
            a.gid,
            a.sid.map_or_else(|| "?".to_string(), |s| s.to_string()),
            a.msg.as_deref().unwrap_or("(no message)")
        );
        let tcp = match (a.proto, a.ip.tcp_flags.as_deref()) {
            (Some(IpProto::TCP), Some(f)) => TcpSeen::from_letters(f),
            _ => TcpSeen::Unknown,
        };
        Record {
            kind: RecordKind::IdsAlert,
            label: Cow::Owned(label),
            proto: a.proto,
            src: Some(&a.src),
            dest: Some(&a.dest),
            micros: a.timestamp.unix_micros,
            month: a.timestamp.date().map(|(y, m, _)| (y, m)),
            tcp,
            ip_len: a.ip.ip_len,
            action: None,
            icmp_type: a.ip.icmp_type,
            src_if: None,
            dest_if: None,
        }
    }

    pub fn from_event(e: &'r ContextEvent<'r>) -> Record<'r> {
        let mut label = String::with_capacity(48);
        label.push_str(e.kind.0);
        if let Some(s) = &e.subtype {
            label.push(' ');
            label.push_str(s.trim_end_matches(':'));
        }
        if let Some(a) = e.action {
            label.push_str(match a {
                Action::Allow => " allow",
                Action::Deny => " deny",
                Action::Other => "",
            });
        }
        let tcp = match (e.proto, e.tcp_flags.as_deref()) {
            (Some(IpProto::TCP), Some(f)) => TcpSeen::from_letters(f),
            // ipchains prints `SYN` for SYN packets and nothing otherwise, so its silence is
            // itself a statement; netfilter always prints the flags it saw.
            (Some(IpProto::TCP), None)
                if e.kind == crate::model::ContextKind::IPCHAINS
                    || e.kind == crate::model::ContextKind::NETFILTER =>
            {
                TcpSeen::NoSyn
            }
            _ => TcpSeen::Unknown,
        };
        Record {
            kind: RecordKind::of_event(e),
            label: Cow::Owned(label),
            proto: e.proto,
            src: e.src.as_ref(),
            dest: e.dest.as_ref(),
            micros: e.timestamp.as_ref().and_then(|t| t.unix_micros),
            month: e
                .timestamp
                .as_ref()
                .and_then(|t| t.date())
                .map(|(y, m, _)| (y, m)),
            tcp,
            ip_len: e.ip_len,
            action: e.action,
            icmp_type: e.field("icmp_type").and_then(|t| t.parse().ok()),
            src_if: e.field("src_if"),
            dest_if: e.field("dst_if"),
        }
    }
}

/// The top of the address hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrClass {
    /// Private-use, link-local, unique-local or shared space, or an `inside` interface.
    Home,
    /// Globally routed unicast.
    External,
    /// Any of external, unallocated or reserved: the key's class for addresses outside the
    /// home networks that are not special, multicast or broadcast.
    Outside,
    /// A /8 that IANA still held at the record's date and allocated later.
    UnallocatedAtDate {
        block: String,
        allocated: String,
    },
    /// Reserved by IANA then and now (0/8, 240/4, ...).
    Reserved {
        block: String,
    },
    /// Another special-purpose block (documentation, benchmarking, loopback, ...).
    Special {
        name: String,
    },
    Multicast,
    /// The limited broadcast address, or an address ending in .255 (a directed broadcast).
    Broadcast,
    /// A sanitised address that says nothing about where it lies.
    Label,
    Unknown,
}

impl AddrClass {
    /// Short stable text, used in keys and facts.
    pub fn tag(&self) -> Cow<'static, str> {
        match self {
            AddrClass::Home => "home".into(),
            AddrClass::External => "external".into(),
            AddrClass::Outside => "outside".into(),
            AddrClass::UnallocatedAtDate { block, .. } => format!("unallocated {block}").into(),
            AddrClass::Reserved { block } => format!("reserved {block}").into(),
            AddrClass::Special { name } => format!("special {name}").into(),
            AddrClass::Multicast => "multicast".into(),
            AddrClass::Broadcast => "broadcast".into(),
            AddrClass::Label => "label".into(),
            AddrClass::Unknown => "unknown".into(),
        }
    }

    /// The class one step up the hierarchy, as the cluster key uses it: globally routed,
    /// unallocated and reserved addresses are all `outside`.
    pub fn coarse(&self) -> AddrClass {
        match self {
            AddrClass::External
            | AddrClass::UnallocatedAtDate { .. }
            | AddrClass::Reserved { .. } => AddrClass::Outside,
            other => other.clone(),
        }
    }

    /// The class name alone (`unallocated`, `home`, ...), for rule conditions.
    pub fn name(&self) -> &'static str {
        match self {
            AddrClass::Home => "home",
            AddrClass::External => "external",
            AddrClass::Outside => "outside",
            AddrClass::UnallocatedAtDate { .. } => "unallocated",
            AddrClass::Reserved { .. } => "reserved",
            AddrClass::Special { .. } => "special",
            AddrClass::Multicast => "multicast",
            AddrClass::Broadcast => "broadcast",
            AddrClass::Label => "label",
            AddrClass::Unknown => "unknown",
        }
    }
}

/// Classifies a host at a date; `interface` is the firewall's name for its side, if logged;
/// `home` the networks given as HOME_NET (`--home-net`), which count as home whatever their
/// registry class.
pub fn addr_class(
    host: &Host<'_>,
    month: Option<(i32, u32)>,
    interface: Option<&str>,
    home: &[IpNetwork],
    kb: &Knowledge,
) -> AddrClass {
    let (ip, net) = match host {
        Host::Ip(ip) => (Some(*ip), None),
        Host::Label { known, .. } => (None, *known),
    };
    let in_home = match (ip, net) {
        (Some(ip), _) => home.iter().any(|h| h.contains(ip)),
        (None, Some(n)) => home
            .iter()
            .any(|h| h.prefix() <= n.prefix() && h.contains(n.network())),
        _ => false,
    };
    if in_home && !ip.is_some_and(|i| i.is_multicast()) {
        return AddrClass::Home;
    }
    if let Some(ip) = ip {
        if ip.is_multicast() {
            return AddrClass::Multicast;
        }
        if let IpAddr::V4(v4) = ip {
            if v4.is_broadcast() {
                return AddrClass::Broadcast;
            }
        }
    }
    // The firewall's own word for the side a host is on outranks the registries: an address
    // on its `inside` interface is an inside host (a NAT'ed network's mapped public address,
    // or a lab using documentation space).
    if interface.is_some_and(|i| i.eq_ignore_ascii_case("inside")) {
        return AddrClass::Home;
    }
    let special = match (ip, net) {
        (Some(ip), _) => kb.special_blocks(ip).next(),
        (None, Some(n)) => kb.special_blocks_of_net(n).next(),
        _ => None,
    };
    if let Some(b) = special {
        let private = (!b.global && b.forwardable) || b.name.starts_with("Link");
        if private {
            if let Some(IpAddr::V4(v4)) = ip {
                if v4.octets()[3] == 255 {
                    return AddrClass::Broadcast;
                }
            }
            return AddrClass::Home;
        }
        if !b.global {
            return AddrClass::Special {
                name: b.name.clone(),
            };
        }
    }
    let probe = ip.or_else(|| net.map(|n| n.network()));
    if let Some(p) = probe {
        match kb.allocation(p, month) {
            Some(AllocationAt::NotYetAllocated { block }) => {
                return AddrClass::UnallocatedAtDate {
                    block: block.prefix.to_string(),
                    allocated: block.date.clone(),
                }
            }
            Some(AllocationAt::Reserved { block }) => {
                return AddrClass::Reserved {
                    block: block.prefix.to_string(),
                }
            }
            Some(AllocationAt::Multicast { .. }) => return AddrClass::Multicast,
            _ => {}
        }
    }
    match (ip, net) {
        (Some(_), _) | (None, Some(_)) => AddrClass::External,
        (None, None) => match host {
            Host::Label { text, .. } if text.is_empty() => AddrClass::Unknown,
            _ => AddrClass::Label,
        },
    }
}

/// The network an address is known to lie in: the host itself, or what a sanitised label
/// keeps (`125.90.XX.XX` is 125.90.0.0/16).
pub fn known_net(host: &Host<'_>) -> Option<IpNetwork> {
    host.known_network()
}

/// The most specific of /32 (/128), /24, /16, /8 (IPv6: /64, /48, /32) holding every network
/// in `nets`; `None` when they share none of those.
pub fn common_prefix(nets: &[IpNetwork]) -> Option<IpNetwork> {
    let first = nets.first()?;
    let levels: &[u8] = if first.is_ipv4() {
        &[32, 24, 16, 8]
    } else {
        &[128, 64, 48, 32]
    };
    let min_len = nets.iter().map(IpNetwork::prefix).min()?;
    for &len in levels {
        if len > min_len {
            continue;
        }
        let cand = IpNetwork::new(first.network(), len).ok()?;
        let cand = IpNetwork::new(cand.network(), len).ok()?;
        if nets
            .iter()
            .all(|n| n.is_ipv4() == first.is_ipv4() && cand.contains(n.network()))
        {
            return Some(cand);
        }
    }
    None
}

/// The port hierarchy's level used in the key.
pub fn port_key(proto: Option<IpProto>, port: Option<u16>, kb: &Knowledge) -> PortLevel {
    let (Some(proto), Some(port)) = (proto, port) else {
        return PortLevel::Any;
    };
    if !proto.has_ports() {
        return PortLevel::Any;
    }
    if kb.services(proto, port).next().is_some() {
        return PortLevel::Service(port);
    }
    if kb.ephemeral_ranges(port).next().is_some() {
        return PortLevel::Ephemeral(port);
    }
    PortLevel::Port(port)
}

/// A port, generalised one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortLevel {
    /// A registered service port.
    Service(u16),
    /// A port in a dynamic range (could still be a server's configured port).
    Ephemeral(u16),
    /// Neither registered nor dynamic.
    Port(u16),
    Any,
}

impl PortLevel {
    pub fn port(self) -> Option<u16> {
        match self {
            PortLevel::Service(p) | PortLevel::Ephemeral(p) | PortLevel::Port(p) => Some(p),
            PortLevel::Any => None,
        }
    }
}

/// The generalised record: what the cluster key is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub records: RecordKind,
    pub label: String,
    /// For alerts, what their own evidence says (their verdict and its reasons, see
    /// [`explanation`]): alerts of one signature with different explanations have different
    /// root causes. Empty for context records.
    pub explanation: String,
    pub proto: Option<IpProto>,
    pub src_class: AddrClass,
    pub dest_class: AddrClass,
    /// The server-side port: the destination port, unless the record is a reply from a
    /// service port to an ephemeral one (then `None` here and `reply_from` set).
    pub dest_port: Option<u16>,
    /// A reply from this registered service port (DNS 53, NTP 123, ...).
    pub reply_from: Option<u16>,
    pub icmp_type: Option<u8>,
}

/// The explanation part of an alert's key: its own verdict, then the ids of the evidence
/// that names its cause, sorted. For a decided verdict that is the root cause and the reasons
/// (evidence of weight 1 or more) against the verdict: alerts with one cause, some of which
/// carry more evidence toward it (an activity named, a second header match), are one root
/// cause, while an alert with evidence against its verdict is a different case from one
/// without. An undetermined alert keeps every reason, since no single one explains it.
/// Hints are left out: they move a probability a little and do not name a cause.
pub fn explanation(score: &Score, evidence: &[Evidence]) -> String {
    let verdict = score.verdict;
    let root = score
        .root_cause
        .filter(|_| verdict != Verdict::Undetermined);
    let against = |e: &Evidence| match verdict {
        Verdict::Undetermined => true,
        Verdict::TruePositive => e.supports != Supports::TruePositive,
        _ => e.supports == Supports::TruePositive,
    };
    let mut ids: Vec<&str> = evidence
        .iter()
        .enumerate()
        .filter(|(i, e)| {
            Some(*i) == root
                || (e.log_odds.abs() >= REASON_WEIGHT && (root.is_none() || against(e)))
        })
        .map(|(_, e)| e.id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut s = String::from(verdict.as_str());
    for id in ids {
        s.push(' ');
        s.push_str(id);
    }
    s
}

impl Key {
    /// Generalises a record into its key; `explanation` as [`explanation`] makes it for
    /// alerts, empty for context records.
    pub fn of(r: &Record<'_>, explanation: &str, home: &[IpNetwork], kb: &Knowledge) -> Key {
        Key::with_classes(r, explanation, &r.classes(home, kb), kb)
    }

    /// The key of a record whose fine address classes ([`Record::classes`]) are known.
    pub fn with_classes(
        r: &Record<'_>,
        explanation: &str,
        classes: &(AddrClass, AddrClass),
        kb: &Knowledge,
    ) -> Key {
        let sp = port_key(r.proto, r.src.and_then(|e| e.port), kb);
        let dp = port_key(r.proto, r.dest.and_then(|e| e.port), kb);
        let (dest_port, reply_from) = match (sp, dp) {
            // A well-known service answering a client: the client's port varies (and may by
            // chance be another registered port, such as 1900), the service's does not.
            (PortLevel::Service(s), d) if s < 1024 && d.port().is_some_and(|p| p >= 1024) => {
                (None, Some(s))
            }
            _ => (dp.port(), None),
        };
        Key {
            records: r.kind,
            label: r.label.to_string(),
            explanation: explanation.to_string(),
            proto: r.proto,
            src_class: classes.0.coarse(),
            dest_class: classes.1.coarse(),
            dest_port,
            reply_from,
            icmp_type: if r.proto == Some(IpProto::ICMP) {
                r.icmp_type
            } else {
                None
            },
        }
    }

    /// The key with the destination port generalised to "any" (the next step up the port
    /// hierarchy), used when one cause spreads over many ports.
    pub fn without_port(&self) -> Key {
        Key {
            dest_port: None,
            ..self.clone()
        }
    }

    /// The stable text the cluster id is a hash of.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.label.len() + 64);
        let _ = write!(
            s,
            "{}|{}|{}|{}|{}|",
            self.records.as_str(),
            self.label,
            self.proto.map_or(0, |p| p.0),
            self.src_class.tag(),
            self.dest_class.tag(),
        );
        if !self.explanation.is_empty() {
            let _ = write!(s, "why {}|", self.explanation);
        }
        if let Some(p) = self.dest_port {
            let _ = write!(s, "dport {p}|");
        }
        if let Some(p) = self.reply_from {
            let _ = write!(s, "reply {p}|");
        }
        if let Some(t) = self.icmp_type {
            let _ = write!(s, "icmp {t}|");
        }
        s
    }

    /// The cluster id: `c` and 12 hex digits of a stable hash of [`Key::text`].
    pub fn id(&self) -> String {
        format!(
            "c{:012x}",
            super::sketch::hash64(self.text().as_bytes()) >> 16
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> Knowledge {
        Knowledge::embedded().unwrap()
    }

    #[test]
    fn home_net_makes_public_addresses_inside() {
        let kb = Knowledge::embedded().unwrap();
        let h = Host::parse("64.9.12.7");
        assert_eq!(addr_class(&h, None, None, &[], &kb), AddrClass::External);
        let home = crate::state::clusters::home_networks("[64.9.0.0/16,!64.9.12.0/24,$DMZ]");
        assert_eq!(home.len(), 1);
        assert_eq!(addr_class(&h, None, None, &home, &kb), AddrClass::Home);
        let label = Host::parse("64.9.XX.XX");
        assert_eq!(addr_class(&label, None, None, &home, &kb), AddrClass::Home);
    }

    #[test]
    fn classes_follow_the_date() {
        let kb = kb();
        let h = Host::parse("1.11.40.30");
        assert!(matches!(
            addr_class(&h, Some((2004, 8)), None, &[], &kb),
            AddrClass::UnallocatedAtDate { .. }
        ));
        assert_eq!(
            addr_class(&h, Some((2015, 1)), None, &[], &kb),
            AddrClass::External
        );
        assert_eq!(
            addr_class(&Host::parse("172.30.3.56"), None, None, &[], &kb),
            AddrClass::Home
        );
        assert_eq!(
            addr_class(&Host::parse("224.0.0.252"), None, None, &[], &kb),
            AddrClass::Multicast
        );
        assert_eq!(
            addr_class(&Host::parse("192.168.1.255"), None, None, &[], &kb),
            AddrClass::Broadcast
        );
        assert_eq!(
            addr_class(&Host::parse("64.9.XX.XX"), None, Some("inside"), &[], &kb),
            AddrClass::Home
        );
        assert_eq!(
            addr_class(
                &Host::parse("125.90.XX.XX"),
                None,
                Some("outside"),
                &[],
                &kb
            ),
            AddrClass::External
        );
        assert_eq!(
            addr_class(&Host::parse("my.host"), None, None, &[], &kb),
            AddrClass::Label
        );
    }

    #[test]
    fn common_prefixes() {
        let n = |s: &str| s.parse::<IpNetwork>().unwrap();
        assert_eq!(
            common_prefix(&[n("1.11.40.30/32"), n("1.11.47.30/32")]),
            Some(n("1.11.0.0/16"))
        );
        assert_eq!(
            common_prefix(&[n("1.11.40.30/32")]),
            Some(n("1.11.40.30/32"))
        );
        assert_eq!(common_prefix(&[n("1.2.3.4/32"), n("9.2.3.4/32")]), None);
        assert_eq!(
            common_prefix(&[n("10.1.0.0/16"), n("10.1.2.3/32")]),
            Some(n("10.1.0.0/16"))
        );
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let kb = kb();
        let src = Endpoint {
            host: Host::parse("10.0.0.1"),
            port: Some(40000),
        };
        let dst = Endpoint {
            host: Host::parse("8.8.8.8"),
            port: Some(53),
        };
        let mut r = Record {
            kind: RecordKind::IdsAlert,
            label: "x".into(),
            proto: Some(IpProto::UDP),
            src: Some(&src),
            dest: Some(&dst),
            micros: None,
            month: None,
            tcp: TcpSeen::Unknown,
            ip_len: None,
            action: None,
            icmp_type: None,
            src_if: None,
            dest_if: None,
        };
        let a = Key::of(&r, "", &[], &kb);
        assert_eq!(a.id(), Key::of(&r, "", &[], &kb).id());
        assert_eq!(a.dest_port, Some(53));
        r.label = "y".into();
        assert_ne!(a.id(), Key::of(&r, "", &[], &kb).id());
        // A DNS reply to a client port keys on the service it comes from.
        r.src = Some(&dst);
        r.dest = Some(&src);
        let k = Key::of(&r, "", &[], &kb);
        assert_eq!((k.dest_port, k.reply_from), (None, Some(53)));
        let ssdp = Endpoint {
            host: Host::parse("10.0.0.1"),
            port: Some(1900),
        };
        r.dest = Some(&ssdp);
        assert_eq!(
            Key::of(&r, "", &[], &kb),
            k,
            "a reply to a client port that is also registered"
        );
    }
}
