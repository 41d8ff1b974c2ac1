//! Clustering: the only stage with state across records. Every alert and context event is
//! generalised (see [`generalise`]) into a key naming its likely root cause; records with the
//! same key form a cluster whose statistics are kept incrementally in bounded memory. At the
//! end, clusters of one cause that spread over many ports are merged one step up the port
//! hierarchy, and each cluster's facts are weighed by the rules in `rules/clusters.toml` and
//! the competing explanations in `rules/hypotheses.toml`.
//!
//! Memory: at most [`MAX_CLUSTERS`] clusters of a few KiB each (distinct counts are
//! k-minimum-values sketches, examples are capped), plus the host table of
//! [`hosts::MAX_HOSTS`] entries. Nothing grows with the number of records.

pub mod facts;
pub mod generalise;
pub mod hosts;
pub mod hypotheses;
pub mod sketch;

use std::collections::HashMap;
use std::path::Path;

use ipnetwork::IpNetwork;

use crate::evidence::{Evidence, Facts, RuleBook, Value};
use crate::knowledge::Knowledge;
use crate::model::{Action, Alert, ContextEvent, Host};
use crate::score::{self, Score};

pub use facts::CLUSTER_KEYS;
pub use generalise::{AddrClass, Key, Record, TcpSeen};
pub use hosts::{HostStats, HostTable};
pub use hypotheses::{Hypotheses, HypothesisOutcome};
use sketch::{Distinct, Examples};

/// Clusters tracked at most. Each holds six sketches of 2 KiB and a few capped example lists,
/// about 16 KiB in the worst case, so the cap bounds the stage near 64 MiB. Julisch found a
/// few dozen root causes behind most alarms; 4096 leaves ample room for the long tail. A record
/// whose key would open a cluster beyond the cap joins its port-generalised cluster if that
/// exists, else one catch-all cluster per record kind (so at most two beyond the cap).
pub const MAX_CLUSTERS: usize = 4096;

/// Host examples kept per side of a cluster: enough to find their common prefix and to check
/// whether any of them ever answered, small enough to compare on every record.
pub const MAX_TRACKED_HOSTS: usize = 64;

/// Examples printed per list in the report.
pub const MAX_PRINTED_EXAMPLES: usize = 5;

/// Distinct packet lengths kept per cluster (the handful that characterise a retry pattern
/// such as 40/79/192).
pub const MAX_LENGTHS: usize = 8;

/// CLARAty's generalisation step for ports: when one cause (same rule, transport and address
/// classes) shows up on more than this many destination ports, the ports are not part of its
/// meaning (a scan, a P2P swarm on random ports) and its clusters merge into one "any port"
/// cluster. Eight is above the handful of ports one service uses (HTTP on 80, 8080, 8000, ...).
pub const PORT_SPREAD: usize = 8;

/// One host remembered as an example.
#[derive(Clone, Debug, PartialEq)]
pub struct HostEx {
    pub text: String,
    pub net: Option<IpNetwork>,
    pub key: Option<hosts::HostKey>,
}

/// Statistics of one cluster, updated per record.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub id: String,
    pub key: Key,
    /// Order of first appearance, for stable output.
    seq: u64,
    pub members: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub src_hosts: Distinct,
    pub dest_hosts: Distinct,
    pub src_ex: Examples<HostEx>,
    pub dest_ex: Examples<HostEx>,
    pub src_ports: Distinct,
    pub dest_ports: Distinct,
    pub dest_port_ex: Examples<u16>,
    pub with_src_port: u64,
    pub src_ephemeral: u64,
    pub hours: Distinct,
    pub days: Distinct,
    pub tcp_known: u64,
    pub syn: u64,
    pub syn_ack: u64,
    pub no_syn: u64,
    pub lengths: Examples<u32>,
    pub max_len: Option<u32>,
    pub deny: u64,
    pub allow: u64,
    /// First alert index (1-based) in the cluster, for pointing at an example.
    pub first_alert: Option<u64>,
    /// Sum of the members' own false-positive probabilities (alerts only), and how many.
    pub alert_p_sum: f64,
    pub alerts_scored: u64,
    /// Ids of clusters merged into this one.
    pub merged: Vec<String>,
}

impl Cluster {
    fn new(id: String, key: Key, seq: u64) -> Cluster {
        Cluster {
            id,
            key,
            seq,
            members: 0,
            first: None,
            last: None,
            src_hosts: Distinct::default(),
            dest_hosts: Distinct::default(),
            src_ex: Examples::default(),
            dest_ex: Examples::default(),
            src_ports: Distinct::default(),
            dest_ports: Distinct::default(),
            dest_port_ex: Examples::default(),
            with_src_port: 0,
            src_ephemeral: 0,
            hours: Distinct::default(),
            days: Distinct::default(),
            tcp_known: 0,
            syn: 0,
            syn_ack: 0,
            no_syn: 0,
            lengths: Examples::default(),
            max_len: None,
            deny: 0,
            allow: 0,
            first_alert: None,
            alert_p_sum: 0.0,
            alerts_scored: 0,
            merged: Vec::new(),
        }
    }

    fn add(&mut self, r: &Record<'_>, kb: &Knowledge, alert_index: Option<u64>) {
        self.members += 1;
        if self.first_alert.is_none() {
            self.first_alert = alert_index;
        }
        if let Some(t) = r.micros {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
            self.hours
                .insert(&(t.div_euclid(3_600_000_000)).to_le_bytes());
            self.days
                .insert(&(t.div_euclid(86_400_000_000)).to_le_bytes());
        }
        if let Some(e) = r.src {
            note_host(&mut self.src_hosts, &mut self.src_ex, &e.host);
            if let Some(p) = e.port {
                self.with_src_port += 1;
                self.src_ports.insert(&p.to_le_bytes());
                if kb.ephemeral_ranges(p).next().is_some() {
                    self.src_ephemeral += 1;
                }
            }
        }
        if let Some(e) = r.dest {
            note_host(&mut self.dest_hosts, &mut self.dest_ex, &e.host);
            if let Some(p) = e.port {
                self.dest_ports.insert(&p.to_le_bytes());
                self.dest_port_ex.offer(p, MAX_TRACKED_HOSTS);
            }
        }
        match r.tcp {
            TcpSeen::Unknown => {}
            TcpSeen::Syn { ack } => {
                self.tcp_known += 1;
                self.syn += 1;
                if ack {
                    self.syn_ack += 1;
                }
            }
            TcpSeen::NoSyn => {
                self.tcp_known += 1;
                self.no_syn += 1;
            }
        }
        if let Some(l) = r.ip_len {
            self.lengths.offer(l, MAX_LENGTHS);
            self.max_len = Some(self.max_len.map_or(l, |m| m.max(l)));
        }
        match r.action {
            Some(Action::Deny) => self.deny += 1,
            Some(Action::Allow) => self.allow += 1,
            _ => {}
        }
    }

    fn absorb(&mut self, o: Cluster) {
        self.members += o.members;
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, o.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.first_alert = match (self.first_alert, o.first_alert) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.src_hosts.merge(&o.src_hosts);
        self.dest_hosts.merge(&o.dest_hosts);
        for h in o.src_ex.items {
            self.src_ex.offer(h, MAX_TRACKED_HOSTS);
        }
        for h in o.dest_ex.items {
            self.dest_ex.offer(h, MAX_TRACKED_HOSTS);
        }
        self.src_ports.merge(&o.src_ports);
        self.dest_ports.merge(&o.dest_ports);
        for p in o.dest_port_ex.items {
            self.dest_port_ex.offer(p, MAX_TRACKED_HOSTS);
        }
        self.with_src_port += o.with_src_port;
        self.src_ephemeral += o.src_ephemeral;
        self.hours.merge(&o.hours);
        self.days.merge(&o.days);
        self.tcp_known += o.tcp_known;
        self.syn += o.syn;
        self.syn_ack += o.syn_ack;
        self.no_syn += o.no_syn;
        for l in o.lengths.items {
            self.lengths.offer(l, MAX_LENGTHS);
        }
        self.max_len = self.max_len.max(o.max_len);
        self.alert_p_sum += o.alert_p_sum;
        self.alerts_scored += o.alerts_scored;
        self.deny += o.deny;
        self.allow += o.allow;
        self.merged.push(o.id);
        self.merged.extend(o.merged);
    }
}

fn note_host(d: &mut Distinct, ex: &mut Examples<HostEx>, h: &Host<'_>) {
    match h {
        Host::Ip(std::net::IpAddr::V4(v4)) => d.insert(&v4.octets()),
        Host::Ip(std::net::IpAddr::V6(v6)) => d.insert(&v6.octets()),
        Host::Label { text, .. } => d.insert(text.as_bytes()),
    }
    if ex.items.len() < MAX_TRACKED_HOSTS {
        let text = h.to_string();
        if !ex.items.iter().any(|x| x.text == text) {
            ex.items.push(HostEx {
                text,
                net: h.known_network(),
                key: hosts::HostKey::of(h),
            });
        }
    }
}

/// What the context logs said about an alert's hosts, as far as they were read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AlertContext {
    pub src_connections: u32,
    pub src_dns_queries: u32,
    pub dest_connections: u32,
    pub dest_dns_queries: u32,
    /// The destination was seen sending, or answering a connection.
    pub dest_answered: bool,
}

/// The clustering stage.
pub struct Clusterer<'k> {
    kb: &'k Knowledge,
    clusters: Vec<Cluster>,
    /// Key hash → index in `clusters`.
    index: HashMap<u64, usize>,
    pub hosts: HostTable,
    /// Records that went to a coarser cluster because of [`MAX_CLUSTERS`].
    pub overflowed: u64,
    /// HOME_NET networks given on the command line.
    home: Vec<IpNetwork>,
}

/// The plain networks of a HOME_NET address list (`[10.0.0.0/8,192.168.0.0/16]` or
/// `10.1.0.0/16`); negations and variables are left out: they narrow what a rule matches, while
/// clusters only ask "is this an inside host".
pub fn home_networks(text: &str) -> Vec<IpNetwork> {
    text.split(|c: char| c == ',' || c == '[' || c == ']' || c.is_whitespace())
        .filter(|t| !t.is_empty() && !t.starts_with('!') && !t.starts_with('$'))
        .filter_map(|t| t.parse::<IpNetwork>().ok())
        .collect()
}

impl<'k> Clusterer<'k> {
    pub fn new(kb: &'k Knowledge) -> Self {
        Clusterer {
            kb,
            clusters: Vec::new(),
            index: HashMap::new(),
            hosts: HostTable::default(),
            overflowed: 0,
            home: Vec::new(),
        }
    }

    /// Counts addresses in `home` (HOME_NET as given with `--home-net`) as home hosts.
    pub fn with_home(mut self, home: Vec<IpNetwork>) -> Self {
        self.home = home;
        self
    }

    /// Adds an alert (its 1-based index in the run, and the false-positive probability it
    /// was scored with on its own) and returns its cluster id.
    pub fn alert(&mut self, a: &Alert<'_>, index: u64, fp_probability: f64) -> &str {
        let r = Record::from_alert(a);
        self.hosts.saw(Some(&a.src.host), false);
        let i = self.place(&r, Some(index));
        let c = &mut self.clusters[i];
        c.alert_p_sum += fp_probability;
        c.alerts_scored += 1;
        &c.id
    }

    /// Adds a context event and returns its cluster id.
    pub fn context(&mut self, e: &ContextEvent<'_>) -> &str {
        let r = Record::from_event(e);
        self.hosts.context(e);
        let i = self.place(&r, None);
        &self.clusters[i].id
    }

    fn place(&mut self, r: &Record<'_>, alert_index: Option<u64>) -> usize {
        let key = Key::of(r, &self.home, self.kb);
        let i = match self.find(&key) {
            Some(i) => i,
            None if self.clusters.len() < MAX_CLUSTERS => self.open(key),
            None => {
                self.overflowed += 1;
                let coarse = key.without_port();
                match self.find(&coarse) {
                    Some(i) => i,
                    None => {
                        let catch_all = Key {
                            is_alert: key.is_alert,
                            label: "(further causes beyond the cluster cap)".into(),
                            proto: None,
                            src_class: AddrClass::Unknown,
                            dest_class: AddrClass::Unknown,
                            dest_port: None,
                            reply_from: None,
                            icmp_type: None,
                        };
                        match self.find(&catch_all) {
                            Some(i) => i,
                            None => self.open(catch_all),
                        }
                    }
                }
            }
        };
        self.clusters[i].add(r, self.kb, alert_index);
        i
    }

    fn find(&self, key: &Key) -> Option<usize> {
        let mut h = sketch::hash64(key.text().as_bytes());
        loop {
            match self.index.get(&h) {
                Some(&i) if self.clusters[i].key == *key => return Some(i),
                // Another key with the same hash: probe the next value, as `open` did.
                Some(_) => h = h.wrapping_add(1),
                None => return None,
            }
        }
    }

    fn open(&mut self, key: Key) -> usize {
        let mut h = sketch::hash64(key.text().as_bytes());
        while self.index.contains_key(&h) {
            h = h.wrapping_add(1);
        }
        let i = self.clusters.len();
        self.index.insert(h, i);
        self.clusters
            .push(Cluster::new(format!("c{:012x}", h >> 16), key, i as u64));
        i
    }

    /// What the records read so far say about an alert's hosts; `None` when no context log
    /// has been read.
    pub fn alert_context(&self, a: &Alert<'_>) -> Option<AlertContext> {
        if self.hosts.context_events == 0 {
            return None;
        }
        let s = self.hosts.get(&a.src.host).copied().unwrap_or_default();
        let d = self.hosts.get(&a.dest.host).copied().unwrap_or_default();
        Some(AlertContext {
            src_connections: s.connections,
            src_dns_queries: s.dns_queries,
            dest_connections: d.connections,
            dest_dns_queries: d.dns_queries,
            dest_answered: d.ctx_sent > 0 || d.answered > 0,
        })
    }

    /// Adds the alert-context facts (`context.*`) to an alert's facts.
    pub fn context_facts(ctx: &AlertContext, facts: &mut Facts) {
        let n = |v: u32| Value::Num(f64::from(v));
        facts.set_named("context.read", Value::Bool(true));
        facts.set_named("context.src_connections", n(ctx.src_connections));
        facts.set_named("context.src_dns_queries", n(ctx.src_dns_queries));
        facts.set_named("context.dest_connections", n(ctx.dest_connections));
        facts.set_named("context.dest_dns_queries", n(ctx.dest_dns_queries));
        facts.set_named("context.dest_answered", Value::Bool(ctx.dest_answered));
    }

    /// Number of clusters so far.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// Merges, weighs and describes every cluster, in order of first appearance.
    pub fn finish(self, book: &RuleBook, hyps: &Hypotheses) -> Vec<ClusterReport> {
        let kb = self.kb;
        let hosts = self.hosts;
        let clusters = merge_port_spread(self.clusters);
        let mut out = Vec::with_capacity(clusters.len());
        let mut ev = Vec::new();
        for c in clusters {
            let f = facts::compute(&c, &hosts, kb);
            book.evaluate(&f, &mut ev);
            let score = score::score(book, None, &ev);
            let outcome = hyps.weigh(&f);
            out.push(ClusterReport {
                pattern: facts::pattern(&f),
                src_examples: examples(&c.src_ex),
                dest_examples: examples(&c.dest_ex),
                evidence: ev.clone(),
                score,
                hypotheses: outcome,
                facts: f,
                cluster: c,
            });
        }
        out
    }
}

fn examples(ex: &Examples<HostEx>) -> Vec<String> {
    ex.items
        .iter()
        .take(MAX_PRINTED_EXAMPLES)
        .map(|h| h.text.clone())
        .collect()
}

/// Merges the clusters of one cause that differ only in destination port, when they spread
/// over more than [`PORT_SPREAD`] ports.
fn merge_port_spread(clusters: Vec<Cluster>) -> Vec<Cluster> {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in clusters.iter().enumerate() {
        if c.key.dest_port.is_some() {
            groups
                .entry(c.key.without_port().text())
                .or_default()
                .push(i);
        }
    }
    // A cluster already holding the port-less key (records without a port) takes the group in.
    let portless: HashMap<String, usize> = clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.key.dest_port.is_none())
        .map(|(i, c)| (c.key.text(), i))
        .collect();
    let mut target: Vec<Option<usize>> = vec![None; clusters.len()];
    for (text, members) in groups.iter().filter(|(_, m)| m.len() > PORT_SPREAD) {
        let head = portless.get(text).copied().unwrap_or(members[0]);
        target[head] = Some(head);
        for &m in members {
            target[m] = Some(head);
        }
    }
    let mut slots: Vec<Option<Cluster>> = clusters.into_iter().map(Some).collect();
    for i in 0..slots.len() {
        let Some(head) = target[i] else { continue };
        if head == i {
            let c = slots[i].as_mut().expect("head present");
            if c.key.dest_port.is_some() {
                let coarse = c.key.without_port();
                c.merged.push(std::mem::replace(&mut c.id, coarse.id()));
                c.key = coarse;
            }
        } else if let Some(c) = slots[i].take() {
            slots[head].as_mut().expect("head present").absorb(c);
        }
    }
    let mut out: Vec<Cluster> = slots.into_iter().flatten().collect();
    out.sort_by_key(|c| c.seq);
    out
}

/// Everything concluded about one cluster, for the reporters.
#[derive(Clone, Debug)]
pub struct ClusterReport {
    pub cluster: Cluster,
    pub facts: Facts,
    /// The pattern in words.
    pub pattern: String,
    pub src_examples: Vec<String>,
    pub dest_examples: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub score: Score,
    pub hypotheses: HypothesisOutcome,
}

/// The rule files of the cluster stage, embedded; `--evidence-rules DIR` replaces either with
/// a file of the same name.
pub const FILES: [(&str, &str); 2] = [
    ("clusters.toml", include_str!("../../rules/clusters.toml")),
    (
        "hypotheses.toml",
        include_str!("../../rules/hypotheses.toml"),
    ),
];

/// Loads the cluster evidence rules and the hypotheses.
pub fn load_rules(dir: Option<&Path>) -> Result<(RuleBook, Hypotheses), String> {
    let text = |name: &str, embedded: &'static str| -> Result<(String, String), String> {
        match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
            Some(p) => std::fs::read_to_string(&p)
                .map(|t| (p.display().to_string(), t))
                .map_err(|e| format!("{}: {e}", p.display())),
            None => Ok((format!("rules/{name}"), embedded.to_string())),
        }
    };
    let (origin, t) = text(FILES[0].0, FILES[0].1)?;
    let mut book = RuleBook::with_vocabulary(CLUSTER_KEYS);
    book.add_file(&origin, &t)?;
    let (origin, t) = text(FILES[1].0, FILES[1].1)?;
    let hyps = Hypotheses::parse(&origin, &t)?;
    Ok((book, hyps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContextKind, Endpoint, Location, Provenance};
    use std::borrow::Cow;

    fn event(
        src: &str,
        sport: u16,
        dst: &str,
        dport: u16,
        flags: Option<&'static str>,
    ) -> ContextEvent<'static> {
        let mut e = ContextEvent::new(
            Provenance {
                path: Cow::Borrowed("t"),
                location: Location::Line(1),
            },
            ContextKind::NETFILTER,
        );
        e.proto = Some(crate::model::IpProto::TCP);
        e.action = Some(Action::Deny);
        e.src = Some(Endpoint {
            host: Host::Ip(src.parse().unwrap()),
            port: Some(sport),
        });
        e.dest = Some(Endpoint {
            host: Host::Ip(dst.parse().unwrap()),
            port: Some(dport),
        });
        e.tcp_flags = flags.map(Cow::Borrowed);
        e.ip_len = Some(48);
        e
    }

    fn kb() -> Knowledge {
        Knowledge::embedded().unwrap()
    }

    #[test]
    fn one_cause_one_cluster_with_counts() {
        let kb = kb();
        let mut c = Clusterer::new(&kb);
        let mut ids = Vec::new();
        for i in 0..30u8 {
            let dst = format!("93.184.{i}.10");
            ids.push(
                c.context(&event(
                    "10.0.0.7",
                    40000 + u16::from(i),
                    &dst,
                    445,
                    Some("S"),
                ))
                .to_string(),
            );
        }
        assert!(ids.iter().all(|x| x == &ids[0]));
        let (book, hyps) = load_rules(None).unwrap();
        let out = c.finish(&book, &hyps);
        assert_eq!(out.len(), 1);
        let r = &out[0];
        assert_eq!(r.cluster.id, ids[0]);
        assert_eq!(r.cluster.members, 30);
        assert_eq!(r.cluster.dest_hosts.count(), 30);
        assert_eq!(r.cluster.src_hosts.count(), 1);
        assert!(
            r.evidence.iter().any(|e| e.id == "syn-fan-out"),
            "{:?}",
            r.evidence
        );
        let worm = r
            .hypotheses
            .list
            .iter()
            .find(|h| h.id == "worm-scan")
            .unwrap();
        assert!(worm.favoured, "{:?}", r.hypotheses);
        assert_eq!(
            r.facts.get_named("cluster.dest_prefix"),
            Some(&Value::Str("93.184.0.0/16".into()))
        );
    }

    #[test]
    fn many_ports_of_one_cause_merge_and_keep_their_ids() {
        let kb = kb();
        let mut c = Clusterer::new(&kb);
        let mut ids = std::collections::BTreeSet::new();
        for p in 0..(PORT_SPREAD as u16 + 4) {
            ids.insert(
                c.context(&event("203.0.113.5", 50000, "10.1.1.1", 20 + p, Some("S")))
                    .to_string(),
            );
        }
        assert_eq!(ids.len(), PORT_SPREAD + 4);
        // Another cause on few ports stays apart.
        c.context(&event("10.1.1.1", 50000, "192.168.0.1", 80, Some("S")));
        let (book, hyps) = load_rules(None).unwrap();
        let out = c.finish(&book, &hyps);
        assert_eq!(out.len(), 2);
        let merged: std::collections::BTreeSet<String> =
            out[0].cluster.merged.iter().cloned().collect();
        assert_eq!(merged, ids);
        assert_eq!(out[0].cluster.members, PORT_SPREAD as u64 + 4);
        assert_eq!(out[0].cluster.key.dest_port, None);
    }

    #[test]
    fn the_number_of_clusters_is_capped() {
        let kb = kb();
        let mut c = Clusterer::new(&kb);
        let mut e = event("10.0.0.1", 40000, "10.0.0.2", 80, None);
        for i in 0..(MAX_CLUSTERS + 50) {
            e.subtype = Some(Cow::Owned(format!("rule{i}")));
            c.context(&e);
        }
        // The cap, plus the one catch-all cluster for context events.
        assert_eq!(c.len(), MAX_CLUSTERS + 1);
        assert_eq!(c.overflowed, 50);
    }

    #[test]
    fn alert_context_appears_once_logs_are_read() {
        let kb = kb();
        let mut c = Clusterer::new(&kb);
        let a = Alert::new(
            Provenance {
                path: Cow::Borrowed("a"),
                location: Location::Line(1),
            },
            crate::model::InputFormat::Fast,
            crate::model::Timestamp::unparsed(""),
        );
        assert_eq!(c.alert_context(&a), None);
        c.context(&event("10.0.0.1", 1, "10.0.0.2", 2, None));
        assert_eq!(c.alert_context(&a), Some(AlertContext::default()));
        let id = c.alert(&a, 1, 0.9).to_string();
        c.alert(&a, 2, 0.7);
        let (book, hyps) = load_rules(None).unwrap();
        let out = c.finish(&book, &hyps);
        let r = out.iter().find(|r| r.cluster.id == id).unwrap();
        assert_eq!(
            r.facts.get_named("cluster.alerts_fp_mean"),
            Some(&Value::Num(0.8))
        );
    }
}
