//! What the whole input says about each host: what it sent, which connections it took part in,
//! which it answered, on which ports it accepted connections, how many DNS queries it made.
//! Filled by alerts and context events alike; read as facts (`host.*`, `context.*`,
//! `cluster.dest_*`).

use std::collections::HashMap;
use std::net::IpAddr;

use crate::model::{Action, Alert, ContextEvent, ContextKind, Host, IpProto};

/// Hosts tracked at most. A new host beyond the cap is not tracked (and counted in
/// [`HostTable::untracked`]), so questions about it are answered "unknown", never wrongly.
/// 200 000 entries of about 100 bytes with the table's overhead stay under 30 MB, and cover
/// every address of a /16 several times over.
pub const MAX_HOSTS: usize = 200_000;

/// Listening ports remembered per host: a server has a handful; past this many the host is a
/// busy server whose every port need not be known, and further ports are dropped (counted in
/// [`HostStats::more_listening_ports`]).
pub const MAX_LISTEN_PORTS: usize = 8;

/// A host as a table key: addresses by value, sanitised labels by text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostKey {
    Ip(IpAddr),
    Label(Box<str>),
}

impl HostKey {
    pub fn of(h: &Host<'_>) -> Option<HostKey> {
        match h {
            Host::Ip(ip) => Some(HostKey::Ip(*ip)),
            Host::Label { text, .. } if !text.is_empty() => {
                Some(HostKey::Label(text.as_ref().into()))
            }
            Host::Label { .. } => None,
        }
    }
}

/// Distinct peers and ports a host sends to that are kept exactly: enough to tell a host that
/// talks to one or two services from one that probes many (a scan), in 2 x 34 bytes a host.
pub const MAX_DISTINCT: usize = 8;

/// Up to [`MAX_DISTINCT`] distinct values (hashes), and whether more were seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Distinct {
    items: [u32; MAX_DISTINCT],
    len: u8,
    pub more: bool,
}

impl Distinct {
    pub fn add(&mut self, v: u32) {
        let n = usize::from(self.len);
        if self.items[..n].contains(&v) {
            return;
        }
        if n < MAX_DISTINCT {
            self.items[n] = v;
            self.len += 1;
        } else {
            self.more = true;
        }
    }

    /// How many were seen: exact up to [`MAX_DISTINCT`], which stands for "that many or more"
    /// when [`Distinct::more`] is set.
    pub fn count(&self) -> usize {
        usize::from(self.len)
    }

    fn merge(&mut self, o: &Distinct) {
        for v in &o.items[..usize::from(o.len)] {
            self.add(*v);
        }
        self.more |= o.more;
    }
}

/// A 32-bit FNV-1a hash: the distinct sets keep hashes, not addresses.
fn fnv(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// Counts for one host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostStats {
    /// Records (alerts or events) with this host as the source.
    pub sent: u32,
    /// Of those, context events.
    pub ctx_sent: u32,
    /// Connections (Zeek conn rows, EVE flow records, firewall connection records) the host
    /// took part in.
    pub connections: u32,
    /// DNS queries the host made (Zeek dns rows).
    pub dns_queries: u32,
    /// Connections or queries where this host was the responder and did respond.
    pub answered: u32,
    /// Connections this host opened (its SYN, or a connection record naming it the
    /// originator), and the first peer it opened one to.
    pub opened: u32,
    pub first_peer: Option<IpAddr>,
    /// Ports on which the host accepted a connection (it answered a SYN, or was the responder
    /// of a connection it answered), at most [`MAX_LISTEN_PORTS`].
    pub listening: [Option<(IpProto, u16)>; MAX_LISTEN_PORTS],
    pub more_listening_ports: bool,
    /// Distinct hosts this host sent records to, and distinct (protocol, port) it sent to.
    pub peers: Distinct,
    pub ports: Distinct,
}

impl HostStats {
    /// Seen sending anything, or answering a connection.
    pub fn ever_answered(&self) -> bool {
        self.sent > 0 || self.answered > 0
    }

    /// Whether the host was seen accepting connections on `port`.
    pub fn listens_on(&self, proto: IpProto, port: u16) -> bool {
        self.listening.iter().flatten().any(|l| *l == (proto, port))
    }

    fn listen(&mut self, proto: IpProto, port: u16) {
        if self.listens_on(proto, port) {
            return;
        }
        match self.listening.iter_mut().find(|l| l.is_none()) {
            Some(slot) => *slot = Some((proto, port)),
            None => self.more_listening_ports = true,
        }
    }

    /// The sum of two hosts' counts: one host known by two addresses (NAT).
    pub fn merged(mut self, o: &HostStats) -> HostStats {
        self.sent = self.sent.saturating_add(o.sent);
        self.ctx_sent = self.ctx_sent.saturating_add(o.ctx_sent);
        self.connections = self.connections.saturating_add(o.connections);
        self.dns_queries = self.dns_queries.saturating_add(o.dns_queries);
        self.answered = self.answered.saturating_add(o.answered);
        self.opened = self.opened.saturating_add(o.opened);
        self.first_peer = self.first_peer.or(o.first_peer);
        for (p, port) in o.listening.iter().flatten() {
            self.listen(*p, *port);
        }
        self.more_listening_ports |= o.more_listening_ports;
        self.peers.merge(&o.peers);
        self.ports.merge(&o.ports);
        self
    }
}

/// Hosts' counts, stored apart from the map that finds them, [`HOST_CHUNK`] at a time.
///
/// A map of the counts themselves (188 bytes an entry) doubled as it grew, and held both
/// tables while it did: 74 MiB at the step to 262,144 slots, the peak of a long run's memory.
/// The map now holds an index (32 bytes an entry) and the counts never move: 100,000 alerts
/// of a flood between many hosts (scripts/alert-stream.py) peaked at 121 MiB, 164 before.
#[derive(Debug, Default)]
struct Chunks {
    chunks: Vec<Vec<HostStats>>,
}

/// Hosts' counts per allocation of [`Chunks`].
const HOST_CHUNK: usize = 4096;

impl Chunks {
    fn push(&mut self, v: HostStats) -> u32 {
        if self.chunks.last().is_none_or(|c| c.len() == HOST_CHUNK) {
            self.chunks.push(Vec::with_capacity(HOST_CHUNK));
        }
        let n = self.chunks.len() - 1;
        let last = &mut self.chunks[n];
        last.push(v);
        (n * HOST_CHUNK + last.len() - 1) as u32
    }

    fn get(&self, i: u32) -> &HostStats {
        let i = i as usize;
        &self.chunks[i / HOST_CHUNK][i % HOST_CHUNK]
    }

    fn get_mut(&mut self, i: u32) -> &mut HostStats {
        let i = i as usize;
        &mut self.chunks[i / HOST_CHUNK][i % HOST_CHUNK]
    }
}

/// Per-host counts over the whole input, bounded by [`MAX_HOSTS`].
#[derive(Debug, Default)]
pub struct HostTable {
    /// Where each host's counts are in `stats`.
    map: HashMap<HostKey, u32>,
    stats: Chunks,
    /// Updates for hosts that did not fit.
    pub untracked: u64,
    /// Context events seen so far.
    pub context_events: u64,
}

impl HostTable {
    pub fn get(&self, h: &Host<'_>) -> Option<&HostStats> {
        let i = match h {
            Host::Ip(ip) => self.map.get(&HostKey::Ip(*ip)),
            Host::Label { .. } => HostKey::of(h).and_then(|k| self.map.get(&k)),
        };
        i.map(|i| self.stats.get(*i))
    }

    pub fn get_key(&self, k: &HostKey) -> Option<&HostStats> {
        self.map.get(k).map(|i| self.stats.get(*i))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn entry(&mut self, h: &Host<'_>) -> Option<&mut HostStats> {
        let k = HostKey::of(h)?;
        if let Some(i) = self.map.get(&k) {
            return Some(self.stats.get_mut(*i));
        }
        if self.map.len() >= MAX_HOSTS {
            self.untracked += 1;
            return None;
        }
        let i = self.stats.push(HostStats::default());
        self.map.insert(k, i);
        Some(self.stats.get_mut(i))
    }

    /// Notes that `src` sent something (an alert or an event) to `dest`, `port`.
    fn saw(
        &mut self,
        src: Option<&Host<'_>>,
        is_context: bool,
        dest: Option<&Host<'_>>,
        port: Option<(IpProto, u16)>,
    ) {
        if let Some(s) = src.and_then(|h| self.entry(h)) {
            s.sent = s.sent.saturating_add(1);
            if is_context {
                s.ctx_sent = s.ctx_sent.saturating_add(1);
            }
            if let Some(ip) = dest.and_then(Host::ip) {
                let h = match ip {
                    IpAddr::V4(v) => fnv(&v.octets()),
                    IpAddr::V6(v) => fnv(&v.octets()),
                };
                s.peers.add(h);
            }
            if let Some((p, port)) = port {
                s.ports.add(u32::from(p.0) << 16 | u32::from(port));
            }
        }
    }

    fn opened(&mut self, h: &Host<'_>, peer: Option<&Host<'_>>) {
        if let Some(s) = self.entry(h) {
            s.opened = s.opened.saturating_add(1);
            if s.first_peer.is_none() {
                s.first_peer = peer.and_then(Host::ip);
            }
        }
    }

    fn accepted(&mut self, h: &Host<'_>, proto: IpProto, port: Option<u16>) {
        if let (Some(s), Some(port)) = (self.entry(h), port) {
            s.listen(proto, port);
        }
    }

    /// Adds what an alert says about its hosts: the source sent the packet; a SYN-ACK from the
    /// source means it accepted a connection on its port.
    pub fn alert(&mut self, a: &Alert<'_>) {
        let port = a.proto.filter(|p| p.has_ports()).zip(a.dest.port);
        self.saw(Some(&a.src.host), false, Some(&a.dest.host), port);
        if a.proto == Some(IpProto::TCP) {
            let flags = a.ip.tcp_flags.as_deref().unwrap_or("");
            if flags.contains('S') && flags.contains('A') {
                self.accepted(&a.src.host, IpProto::TCP, a.src.port);
            } else if flags.contains('S') {
                self.opened(&a.src.host, Some(&a.dest.host));
            }
        }
    }

    /// Adds what a context event says about its hosts.
    pub fn context(&mut self, e: &ContextEvent<'_>) {
        self.context_events += 1;
        let src = e.src.as_ref().map(|x| &x.host);
        let dest = e.dest.as_ref().map(|x| &x.host);
        let port = e
            .proto
            .filter(|p| p.has_ports())
            .zip(e.dest.as_ref().and_then(|d| d.port));
        self.saw(src, true, dest, port);
        if e.kind == ContextKind::ZEEK_DNS || is_eve_dns(e) {
            self.dns(e);
            return;
        }
        let is_connection = e.kind == ContextKind::ZEEK_CONN
            || e.kind == ContextKind::EVE_FLOW
            || (e.kind == ContextKind::CISCO_ASA && e.action == Some(Action::Allow));
        let syn = e.proto == Some(IpProto::TCP)
            && e.tcp_flags
                .as_deref()
                .is_some_and(|f| f.contains('S') && !f.contains('A'));
        if let (Some(s), true) = (src, is_connection || syn) {
            self.opened(s, dest);
        }
        if !is_connection {
            return;
        }
        for h in [src, dest].into_iter().flatten() {
            if let Some(s) = self.entry(h) {
                s.connections = s.connections.saturating_add(1);
            }
        }
        if responded(e) {
            if let Some(d) = e.dest.as_ref() {
                if let Some(s) = self.entry(&d.host) {
                    s.answered = s.answered.saturating_add(1);
                }
                if let Some(p) = e.proto.filter(|p| p.has_ports()) {
                    self.accepted(&d.host, p, d.port);
                }
            }
        }
    }

    /// A DNS record: the client asked; a response (rcode or answers logged, an EVE answer)
    /// means the server answered.
    fn dns(&mut self, e: &ContextEvent<'_>) {
        let (Some(src), Some(dest)) = (e.src.as_ref(), e.dest.as_ref()) else {
            return;
        };
        let eve_answer = matches!(
            e.field("dns.type").or_else(|| e.field("mdns.type")),
            Some("answer" | "response")
        );
        // EVE writes an answer record from the server's side; Zeek writes one row per
        // transaction from the client's side, with the rcode when a response came.
        let (client, server) = if eve_answer && src.port.is_some_and(|p| p == 53 || p == 5353) {
            (dest, src)
        } else {
            (src, dest)
        };
        if !eve_answer {
            if let Some(s) = self.entry(&client.host) {
                s.dns_queries = s.dns_queries.saturating_add(1);
            }
        }
        let zeek_answer = e
            .field("rcode_name")
            .or_else(|| e.field("rcode"))
            .is_some_and(|r| !r.is_empty() && r != "-")
            || e.field("answers")
                .is_some_and(|a| !a.is_empty() && a != "-");
        if eve_answer || zeek_answer {
            if let Some(s) = self.entry(&server.host) {
                s.answered = s.answered.saturating_add(1);
            }
            if let Some(p) = e.proto.filter(|p| p.has_ports()) {
                self.accepted(&server.host, p, server.port);
            }
        }
    }
}

fn is_eve_dns(e: &ContextEvent<'_>) -> bool {
    e.kind.0 == "eve_dns" || e.kind.0 == "eve_mdns"
}

/// Whether a connection record shows the responder answering: Zeek `resp_pkts` > 0 (or a
/// connection state past S0/REJ when that is all there is), EVE `flow.pkts_toclient` > 0, or
/// bytes in an ASA teardown.
fn responded(e: &ContextEvent<'_>) -> bool {
    let num = |k: &str| e.field(k).and_then(|v| v.parse::<u64>().ok());
    if let Some(p) = num("resp_pkts").or_else(|| num("flow.pkts_toclient")) {
        return p > 0;
    }
    if let Some(s) = e.field("conn_state") {
        return !matches!(s, "S0" | "REJ" | "OTH" | "SH" | "SHR");
    }
    num("bytes").is_some_and(|b| b > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Endpoint, Location, Provenance};
    use std::borrow::Cow;

    fn ev(
        kind: ContextKind,
        src: &str,
        dst: &str,
        fields: &[(&'static str, &'static str)],
    ) -> ContextEvent<'static> {
        let mut e = ContextEvent::new(
            Provenance {
                path: Cow::Borrowed("t"),
                location: Location::Line(1),
            },
            kind,
        );
        e.proto = Some(IpProto::TCP);
        e.src = Some(Endpoint {
            host: Host::Ip(src.parse().unwrap()),
            port: Some(40000),
        });
        e.dest = Some(Endpoint {
            host: Host::Ip(dst.parse().unwrap()),
            port: Some(22),
        });
        e.fields = fields
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
            .collect();
        e
    }

    #[test]
    fn counts_connections_queries_and_answers() {
        let mut t = HostTable::default();
        t.context(&ev(ContextKind::ZEEK_DNS, "10.0.0.5", "10.0.0.1", &[]));
        t.context(&ev(
            ContextKind::ZEEK_CONN,
            "10.0.0.5",
            "8.8.8.8",
            &[("resp_pkts", "0")],
        ));
        t.context(&ev(
            ContextKind::ZEEK_CONN,
            "10.0.0.5",
            "9.9.9.9",
            &[("conn_state", "SF")],
        ));
        let h = |s: &str| Host::Ip(s.parse().unwrap());
        let a = t.get(&h("10.0.0.5")).unwrap();
        assert_eq!((a.dns_queries, a.connections, a.sent), (1, 2, 3));
        assert_eq!(a.opened, 2);
        assert_eq!(a.first_peer, Some("8.8.8.8".parse().unwrap()));
        assert!(!t.get(&h("8.8.8.8")).unwrap().ever_answered());
        let nine = t.get(&h("9.9.9.9")).unwrap();
        assert!(nine.ever_answered());
        assert!(nine.listens_on(IpProto::TCP, 22));
    }

    #[test]
    fn answered_sessions_and_dns_servers_count_as_answers() {
        // Issue #8: EVE flows the server answered, and Zeek DNS servers that answered, were
        // read as "never answered".
        let mut t = HostTable::default();
        t.context(&ev(
            ContextKind::EVE_FLOW,
            "10.0.0.5",
            "192.0.2.9",
            &[("flow.pkts_toserver", "4"), ("flow.pkts_toclient", "3")],
        ));
        t.context(&ev(
            ContextKind::ZEEK_DNS,
            "10.0.0.5",
            "192.0.2.53",
            &[("rcode_name", "NOERROR"), ("answers", "192.0.2.7")],
        ));
        t.context(&ev(
            ContextKind::ZEEK_DNS,
            "10.0.0.5",
            "192.0.2.54",
            &[("rcode_name", "-"), ("answers", "-")],
        ));
        let h = |s: &str| Host::Ip(s.parse().unwrap());
        assert!(t.get(&h("192.0.2.9")).unwrap().ever_answered());
        assert!(t.get(&h("192.0.2.53")).unwrap().ever_answered());
        assert!(t.get(&h("192.0.2.54")).is_none_or(|s| !s.ever_answered()));
        assert_eq!(t.get(&h("10.0.0.5")).unwrap().dns_queries, 2);
    }

    #[test]
    fn the_listening_ports_are_bounded() {
        let mut s = HostStats::default();
        for p in 0..(MAX_LISTEN_PORTS as u16 + 3) {
            s.listen(IpProto::TCP, 1000 + p);
        }
        assert!(s.listens_on(IpProto::TCP, 1000));
        assert!(!s.listens_on(IpProto::TCP, 1000 + MAX_LISTEN_PORTS as u16));
        assert!(s.more_listening_ports);
    }
}
