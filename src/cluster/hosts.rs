//! What the whole input says about each host: how often it sent, how many connections and
//! DNS queries the context logs show for it, and whether it ever answered. Used for alert
//! context and for cluster facts such as "the inside host never initiates".

use std::collections::HashMap;
use std::net::IpAddr;

use crate::model::{Action, ContextEvent, ContextKind, Host};

/// Hosts tracked at most. A new host beyond the cap is not tracked (and counted in
/// [`HostTable::untracked`]), so questions about it are answered "unknown", never wrongly.
/// 200 000 entries of about 80 bytes with the table's overhead stay under 20 MB, and cover
/// every address of a /16 several times over.
pub const MAX_HOSTS: usize = 200_000;

/// A host as a table key: addresses by value, sanitised labels by text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// Counts for one host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostStats {
    /// Records (alerts or events) with this host as the source.
    pub sent: u32,
    /// Context events with this host as the source.
    pub ctx_sent: u32,
    /// Connections (Zeek conn rows, firewall connection records) the host took part in.
    pub connections: u32,
    /// DNS queries the host made (Zeek dns rows).
    pub dns_queries: u32,
    /// Connections where this host was the responder and did respond.
    pub answered: u32,
}

impl HostStats {
    /// Seen sending anything, or answering a connection.
    pub fn ever_answered(&self) -> bool {
        self.sent > 0 || self.answered > 0
    }
}

/// Per-host counts over the whole input, bounded by [`MAX_HOSTS`].
#[derive(Debug, Default)]
pub struct HostTable {
    map: HashMap<HostKey, HostStats>,
    /// Updates for hosts that did not fit.
    pub untracked: u64,
    /// Context events seen so far.
    pub context_events: u64,
}

impl HostTable {
    pub fn get(&self, h: &Host<'_>) -> Option<&HostStats> {
        match h {
            Host::Ip(ip) => self.map.get(&HostKey::Ip(*ip)),
            Host::Label { .. } => HostKey::of(h).and_then(|k| self.map.get(&k)),
        }
    }

    pub fn get_key(&self, k: &HostKey) -> Option<&HostStats> {
        self.map.get(k)
    }

    fn entry(&mut self, h: &Host<'_>) -> Option<&mut HostStats> {
        let k = HostKey::of(h)?;
        if self.map.len() >= MAX_HOSTS && !self.map.contains_key(&k) {
            self.untracked += 1;
            return None;
        }
        Some(self.map.entry(k).or_default())
    }

    /// Notes that `src` sent something (an alert or an event) to `dest`.
    pub fn saw(&mut self, src: Option<&Host<'_>>, is_context: bool) {
        if let Some(s) = src.and_then(|h| self.entry(h)) {
            s.sent = s.sent.saturating_add(1);
            if is_context {
                s.ctx_sent = s.ctx_sent.saturating_add(1);
            }
        }
    }

    /// Adds what a context event says about its hosts.
    pub fn context(&mut self, e: &ContextEvent<'_>) {
        self.context_events += 1;
        let src = e.src.as_ref().map(|x| &x.host);
        let dest = e.dest.as_ref().map(|x| &x.host);
        self.saw(src, true);
        if e.kind == ContextKind::ZEEK_DNS {
            if let Some(s) = src.and_then(|h| self.entry(h)) {
                s.dns_queries = s.dns_queries.saturating_add(1);
            }
            return;
        }
        let is_connection = e.kind == ContextKind::ZEEK_CONN
            || e.kind == ContextKind::EVE_FLOW
            || (e.kind == ContextKind::CISCO_ASA && e.action == Some(Action::Allow));
        if !is_connection {
            return;
        }
        for h in [src, dest].into_iter().flatten() {
            if let Some(s) = self.entry(h) {
                s.connections = s.connections.saturating_add(1);
            }
        }
        if responded(e) {
            if let Some(d) = dest.and_then(|h| self.entry(h)) {
                d.answered = d.answered.saturating_add(1);
            }
        }
    }
}

/// Whether a connection record shows the responder answering: Zeek `resp_pkts` > 0 (or a
/// connection state past S0/REJ when that is all there is), or bytes in an ASA teardown.
fn responded(e: &ContextEvent<'_>) -> bool {
    if let Some(p) = e.field("resp_pkts").and_then(|v| v.parse::<u64>().ok()) {
        return p > 0;
    }
    if let Some(s) = e.field("conn_state") {
        return !matches!(s, "S0" | "REJ" | "OTH" | "SH" | "SHR");
    }
    e.field("bytes")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|b| b > 0)
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
        e.src = Some(Endpoint {
            host: Host::Ip(src.parse().unwrap()),
            port: None,
        });
        e.dest = Some(Endpoint {
            host: Host::Ip(dst.parse().unwrap()),
            port: None,
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
        assert!(!t.get(&h("8.8.8.8")).unwrap().ever_answered());
        assert!(t.get(&h("9.9.9.9")).unwrap().ever_answered());
    }
}
