//! The one home for state across records: flows, hosts, NAT mappings and the cluster table,
//! and the analysts' verdicts of earlier runs.
//!
//! Every other stage is a plain function of one record. This one is filled in input order by
//! every alert and context event ([`State::observe_alert`], [`State::observe_context`]) and
//! read by the stages only as facts about one record ([`State::alert_facts`]) or one cluster
//! (the cluster stage's input). Each table has a named cap with its reason, an eviction rule,
//! and a count of what it could not keep ([`State::stats`], printed in the summary): past a
//! cap a question is answered "unknown", never wrongly.
//!
//! The pipeline still reads in one direction: readers → model → (state observes) → dissect +
//! knowledge → evidence (which reads state facts) → score → cluster (which reads the cluster
//! table) → report. No stage writes here except through the `observe`/`record` calls made by
//! the explain job, in input order.

pub mod clusters;
pub mod feedback;
pub mod flows;
pub mod generalise;
pub mod hosts;
pub mod nat;
pub mod sketch;

use std::borrow::Cow;

use ipnetwork::IpNetwork;

use crate::evidence::{Facts, Value};
use crate::knowledge::Knowledge;
use crate::model::{Alert, ContextEvent, Host};

pub use clusters::{Cluster, ClusterTable, HostEx};
pub use flows::{Continuation, FlowTable, FlowView};
pub use generalise::{AddrClass, Key, Record, RecordKind};
pub use hosts::{HostKey, HostStats, HostTable};
pub use nat::NatTable;

/// What the context logs and the other alerts said about an alert's hosts.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AlertContext {
    pub src_connections: u32,
    pub src_dns_queries: u32,
    pub dest_connections: u32,
    pub dest_dns_queries: u32,
    /// The destination was seen sending, or answering a connection.
    pub dest_answered: bool,
}

/// How much the state tables could not keep, for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateStats {
    pub flows: usize,
    pub flows_evicted: u64,
    pub hosts: usize,
    pub hosts_untracked: u64,
    pub nat_mappings: usize,
    pub nat_untracked: u64,
    pub clusters: usize,
    pub cluster_overflow: u64,
}

/// Every table of state across records.
pub struct State<'k> {
    pub flows: FlowTable,
    pub hosts: HostTable,
    pub nat: NatTable,
    pub clusters: ClusterTable<'k>,
    /// Analysts' verdicts of earlier runs (`--feedback`), read once before the input.
    pub feedback: feedback::Feedback,
}

impl<'k> State<'k> {
    /// Empty tables; `home` are the HOME_NET networks given on the command line.
    pub fn new(kb: &'k Knowledge, home: Vec<IpNetwork>) -> Self {
        State {
            flows: FlowTable::default(),
            hosts: HostTable::default(),
            nat: NatTable::default(),
            clusters: ClusterTable::new(kb, home),
            feedback: feedback::Feedback::default(),
        }
    }

    /// Adds what an alert says about its flow and hosts (not its cluster: that needs the
    /// alert's own evidence, see [`ClusterTable::add_alert`]).
    pub fn observe_alert(&mut self, a: &Alert<'_>) {
        self.flows.alert(a);
        self.hosts.alert(a);
    }

    /// Adds a context event to every table, its cluster included.
    pub fn observe_context(&mut self, e: &ContextEvent<'_>) -> usize {
        self.flows.context(e);
        self.hosts.context(e);
        for (side, mapped) in [
            (e.src.as_ref(), "src_mapped"),
            (e.dest.as_ref(), "dst_mapped"),
        ] {
            let real = side.and_then(|s| HostKey::of(&s.host));
            let alias = e
                .field(mapped)
                .map(|m| Host::parse(m.rsplit_once('/').map_or(m, |(a, _)| a)))
                .and_then(|h| HostKey::of(&h));
            if let (Some(real), Some(alias)) = (real, alias) {
                self.nat.add(real, alias);
            }
        }
        self.clusters.add_context(e)
    }

    /// A host's counts, with those of its other address when NAT maps it (one host, two
    /// addresses).
    pub fn host(&self, h: &Host<'_>) -> Option<HostStats> {
        let k = HostKey::of(h)?;
        self.host_by_key(&k)
    }

    pub fn host_by_key(&self, k: &HostKey) -> Option<HostStats> {
        let own = self.hosts.get_key(k).copied();
        let other = self
            .nat
            .alias(k)
            .and_then(|a| self.hosts.get_key(a))
            .copied();
        match (own, other) {
            (Some(a), Some(b)) => Some(a.merged(&b)),
            (a, b) => a.or(b),
        }
    }

    /// What the input says about an alert's hosts, when context logs were read.
    pub fn alert_context(&self, a: &Alert<'_>) -> Option<AlertContext> {
        if self.hosts.context_events == 0 {
            return None;
        }
        let s = self.host(&a.src.host).unwrap_or_default();
        let d = self.host(&a.dest.host).unwrap_or_default();
        Some(AlertContext {
            src_connections: s.connections,
            src_dns_queries: s.dns_queries,
            dest_connections: d.connections,
            dest_dns_queries: d.dns_queries,
            dest_answered: d.ever_answered(),
        })
    }

    /// Adds the facts the state holds about an alert: its flow (`flow.*` beyond what the
    /// sensor logged), its hosts (`host.*`, `context.*`).
    pub fn alert_facts(&self, a: &Alert<'_>, facts: &mut Facts) {
        self.feedback.alert_facts(a, facts);
        let b = |v: bool| Value::Bool(v);
        let n = |v: u32| Value::Num(f64::from(v));
        if let Some(v) = self.flows.view(a) {
            if let Some(server) = v.dest_is_server {
                facts.set_named("flow.dest_is_server", b(server));
                if facts.get_named("flow.client_is_src").is_none() {
                    facts.set_named("flow.client_is_src", b(server));
                }
            }
            if let Some(ans) = v.server_answered {
                facts.set_named("flow.server_answered", b(ans));
            }
            if let Some(c) = &v.client {
                if facts.get_named("flow.client").is_none() {
                    facts.set_named("flow.client", Value::Str(Cow::Owned(c.clone())));
                }
            }
            facts.set_named("flow.records_from_dest", n(v.records.1));
            let from_server = if v.dest_is_server == Some(true) {
                v.records.1
            } else {
                v.records.0
            };
            let seen = match (from_server, v.server_packets) {
                (0, 0) => None,
                (0, p) => Some(format!(
                    "the sensor's flow record counts {p} packet(s) it sent"
                )),
                (r, _) => Some(format!(
                    "{r} record(s) it sent in this flow appear in the input"
                )),
            };
            if let Some(s) = seen {
                facts.set_named("flow.server_answer_seen", Value::Str(Cow::Owned(s)));
            }
        }
        if let Some(s) = self.host(&a.src.host) {
            facts.set_named("host.src_opened", n(s.opened));
            facts.set_named("host.src_peers", n(s.peers.count() as u32));
            facts.set_named("host.src_ports", n(s.ports.count() as u32));
            if let Some(p) = s.first_peer {
                facts.set_named("host.src_first_peer", Value::Str(Cow::Owned(p.to_string())));
            }
        }
        let dest = self.host(&a.dest.host);
        let group = is_group(&a.dest.host);
        facts.set_named("host.dest_group", b(group));
        if let Some(d) = dest {
            facts.set_named("host.dest_answered", b(d.ever_answered()));
            if let (Some(p), Some(port)) = (a.proto.filter(|p| p.has_ports()), a.dest.port) {
                facts.set_named("host.dest_listens", b(d.listens_on(p, port)));
            }
        }
        for (h, key) in [
            (&a.src.host, "host.src_nat_alias"),
            (&a.dest.host, "host.dest_nat_alias"),
        ] {
            if let Some(alias) = HostKey::of(h).and_then(|k| self.nat.alias(&k)) {
                facts.set_named(key, Value::Str(Cow::Owned(key_text(alias))));
            }
        }
        if let Some(c) = self.alert_context(a) {
            facts.set_named("context.read", b(true));
            facts.set_named("context.src_connections", n(c.src_connections));
            facts.set_named("context.src_dns_queries", n(c.src_dns_queries));
            facts.set_named("context.dest_connections", n(c.dest_connections));
            facts.set_named("context.dest_dns_queries", n(c.dest_dns_queries));
            facts.set_named("context.dest_answered", b(c.dest_answered));
        }
    }

    pub fn stats(&self) -> StateStats {
        StateStats {
            flows: self.flows.len(),
            flows_evicted: self.flows.evicted,
            hosts: self.hosts.len(),
            hosts_untracked: self.hosts.untracked,
            nat_mappings: self.nat.len(),
            nat_untracked: self.nat.untracked,
            clusters: self.clusters.len(),
            cluster_overflow: self.clusters.overflowed,
        }
    }
}

/// A group address: multicast, or broadcast (the limited one, or a directed broadcast in
/// private space). Such an address is never a sender, so it never "answers".
pub fn is_group(h: &Host<'_>) -> bool {
    match h.ip() {
        Some(std::net::IpAddr::V4(v4)) => {
            v4.is_multicast() || v4.is_broadcast() || (v4.is_private() && v4.octets()[3] == 255)
        }
        Some(std::net::IpAddr::V6(v6)) => v6.is_multicast(),
        None => false,
    }
}

fn key_text(k: &HostKey) -> String {
    match k {
        HostKey::Ip(ip) => ip.to_string(),
        HostKey::Label(l) => l.to_string(),
    }
}
