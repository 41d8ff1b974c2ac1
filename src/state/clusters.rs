//! The cluster table: every alert and context event is generalised (see [`super::generalise`])
//! into a key naming its likely root cause; records with the same key form a cluster whose
//! statistics are kept incrementally in bounded memory. Clusters of one cause that spread over
//! many ports are merged one step up the port hierarchy, in place, so that a record arriving
//! later still finds its cluster. The cluster stage (`src/cluster`) weighs these statistics.
//!
//! Memory: at most [`MAX_CLUSTERS`] clusters of a few KiB each (distinct counts are
//! k-minimum-values sketches, examples are capped). Nothing grows with the number of records.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::knowledge::Knowledge;
use crate::model::{Action, Host};

use super::generalise::{AddrClass, Key, Record, TcpSeen};
use super::hosts::HostKey;
use super::sketch::{self, Distinct, Examples};

/// Clusters tracked at most. Each holds six sketches of 2 KiB and a few capped example lists,
/// about 16 KiB in the worst case, so the cap bounds the table near 64 MiB. Julisch found a
/// few dozen root causes behind most alarms; 4096 leaves ample room for the long tail. A record
/// whose key would open a cluster beyond the cap joins its port-generalised cluster if that
/// exists, else one catch-all cluster per record kind (so at most four beyond the cap).
pub const MAX_CLUSTERS: usize = 4096;

/// Host examples kept per side of a cluster: enough to find their common prefix and to check
/// whether any of them ever answered, small enough to compare on every record.
pub const MAX_TRACKED_HOSTS: usize = 64;

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
    pub key: Option<HostKey>,
}

/// How many members fell in each fine address class (the key keeps only the coarse one).
#[derive(Clone, Debug, Default)]
pub struct ClassTally {
    /// Members per class name (`unallocated`, `external`, ...).
    by_name: Vec<(&'static str, u64)>,
    /// The first member's class, and whether any member's class differed from it.
    first: Option<AddrClass>,
    mixed: bool,
}

impl ClassTally {
    fn add_n(&mut self, c: &AddrClass, n: u64) {
        let name = c.name();
        match self.by_name.iter_mut().find(|(x, _)| *x == name) {
            Some(e) => e.1 += n,
            None => self.by_name.push((name, n)),
        }
        match &self.first {
            None => self.first = Some(c.clone()),
            Some(f) if f != c => self.mixed = true,
            Some(_) => {}
        }
    }

    fn add(&mut self, c: AddrClass) {
        self.add_n(&c, 1);
    }

    fn absorb(&mut self, o: &ClassTally) {
        for (name, n) in &o.by_name {
            match self.by_name.iter_mut().find(|(x, _)| x == name) {
                Some(e) => e.1 += n,
                None => self.by_name.push((name, *n)),
            }
        }
        match (&self.first, &o.first) {
            (None, f) => self.first = f.clone(),
            (Some(a), Some(b)) if a != b => self.mixed = true,
            _ => {}
        }
        self.mixed |= o.mixed;
    }

    /// The class every member shares, when they share one.
    pub fn single(&self) -> Option<&AddrClass> {
        self.first.as_ref().filter(|_| !self.mixed)
    }

    /// Members whose class has this name (`unallocated`, `external`, ...).
    pub fn named(&self, name: &str) -> u64 {
        self.by_name
            .iter()
            .filter(|(x, _)| *x == name)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Statistics of one cluster, updated per record.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub id: String,
    pub key: Key,
    /// Order of first appearance, for stable output.
    pub seq: u64,
    pub members: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub src_hosts: Distinct,
    pub dest_hosts: Distinct,
    pub src_ex: Examples<HostEx>,
    pub dest_ex: Examples<HostEx>,
    pub src_classes: ClassTally,
    pub dest_classes: ClassTally,
    /// The IPv4 /8 blocks the destinations lie in, one bit each.
    pub dest_blocks: [u64; 4],
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
    /// What the member alerts' signature claims (their intent; one signature per cluster).
    pub intent: Option<String>,
    /// The members' signature (gid, sid), and the engine that wrote them.
    pub signature: Option<(u32, u32)>,
    pub engine: Option<crate::model::Engine>,
    /// Sum of the members' own evidence in log-odds (each alert weighed on its own), and how
    /// many alerts were weighed.
    pub own_log_odds: f64,
    pub alerts_scored: u64,
    /// The first member whose evidence vetoes a benign verdict (an analyst called it an
    /// attack), with that evidence's cause.
    pub veto: Option<(u64, String)>,
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
            src_classes: ClassTally::default(),
            dest_classes: ClassTally::default(),
            dest_blocks: [0; 4],
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
            intent: None,
            signature: None,
            engine: None,
            own_log_odds: 0.0,
            alerts_scored: 0,
            veto: None,
            merged: Vec::new(),
        }
    }

    /// The mean of the members' own evidence, when alerts were weighed.
    pub fn members_log_odds(&self) -> Option<f64> {
        (self.alerts_scored > 0).then(|| self.own_log_odds / self.alerts_scored as f64)
    }

    /// Number of distinct /8 blocks among the destinations.
    pub fn dest_block_count(&self) -> u32 {
        self.dest_blocks.iter().map(|w| w.count_ones()).sum()
    }

    fn add(&mut self, r: &Record<'_>, classes: (AddrClass, AddrClass), kb: &Knowledge) {
        self.members += 1;
        if let Some(t) = r.micros {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
            self.hours
                .insert(&(t.div_euclid(3_600_000_000)).to_le_bytes());
            self.days
                .insert(&(t.div_euclid(86_400_000_000)).to_le_bytes());
        }
        self.src_classes.add(classes.0);
        self.dest_classes.add(classes.1);
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
            let first_octet = match (&e.host, e.host.known_network()) {
                (Host::Ip(IpAddr::V4(v4)), _) => Some(v4.octets()[0]),
                (_, Some(IpNetwork::V4(n))) if n.prefix() >= 8 => Some(n.network().octets()[0]),
                _ => None,
            };
            if let Some(o) = first_octet {
                self.dest_blocks[usize::from(o / 64)] |= 1u64 << (o % 64);
            }
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
        for h in o.src_ex.into_items() {
            self.src_ex.offer(h, MAX_TRACKED_HOSTS);
        }
        for h in o.dest_ex.into_items() {
            self.dest_ex.offer(h, MAX_TRACKED_HOSTS);
        }
        self.src_classes.absorb(&o.src_classes);
        self.dest_classes.absorb(&o.dest_classes);
        for (a, b) in self.dest_blocks.iter_mut().zip(o.dest_blocks) {
            *a |= b;
        }
        self.src_ports.merge(&o.src_ports);
        self.dest_ports.merge(&o.dest_ports);
        for p in o.dest_port_ex.into_items() {
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
        for l in o.lengths.into_items() {
            self.lengths.offer(l, MAX_LENGTHS);
        }
        self.max_len = self.max_len.max(o.max_len);
        self.intent = self.intent.take().or(o.intent);
        self.signature = self.signature.or(o.signature);
        self.engine = self.engine.or(o.engine);
        self.own_log_odds += o.own_log_odds;
        self.alerts_scored += o.alerts_scored;
        self.veto = self.veto.take().or(o.veto);
        self.deny += o.deny;
        self.allow += o.allow;
        self.merged.push(o.id);
        self.merged.extend(o.merged);
    }
}

fn note_host(d: &mut Distinct, ex: &mut Examples<HostEx>, h: &Host<'_>) {
    match h {
        Host::Ip(IpAddr::V4(v4)) => d.insert(&v4.octets()),
        Host::Ip(IpAddr::V6(v6)) => d.insert(&v6.octets()),
        Host::Label { text, .. } => d.insert(text.as_bytes()),
    }
    if ex.items.len() < MAX_TRACKED_HOSTS
        && !h.with_text(|text| ex.items.iter().any(|x| x.text == text))
    {
        ex.push(HostEx {
            text: h.to_string(),
            net: h.known_network(),
            key: HostKey::of(h),
        });
    }
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

/// What an alert adds to its cluster beyond the record: its signature's intent, its own
/// evidence in log-odds, its index in the run, and the cause of evidence of it that vetoes a
/// benign verdict.
#[derive(Clone, Copy, Debug)]
pub struct AlertMember<'a> {
    pub index: u64,
    pub intent: Option<&'a str>,
    pub own_log_odds: f64,
    pub veto: Option<&'a str>,
}

/// The cluster table, bounded by [`MAX_CLUSTERS`].
pub struct ClusterTable<'k> {
    kb: &'k Knowledge,
    clusters: Vec<Option<Cluster>>,
    /// Key text → slot in `clusters`; merged clusters' keys point at the cluster that took
    /// them in.
    index: HashMap<String, usize>,
    /// Cluster ids given out, so that two keys whose hashes collide still get two ids.
    ids: std::collections::HashSet<u64>,
    /// Port-less keys of clusters a port-spread merge made: a later record of the same cause
    /// on yet another port joins them.
    spread: std::collections::HashSet<String>,
    /// Slot → the slot it was merged into, for clusters taken in by a port-spread merge.
    moved: HashMap<usize, usize>,
    /// Records that went to a coarser cluster because of [`MAX_CLUSTERS`].
    pub overflowed: u64,
    /// HOME_NET networks given on the command line.
    home: Vec<IpNetwork>,
    /// Clusters that changed since [`ClusterTable::take_changed`] was last called.
    changed: Vec<usize>,
}

impl<'k> ClusterTable<'k> {
    pub fn new(kb: &'k Knowledge, home: Vec<IpNetwork>) -> Self {
        ClusterTable {
            kb,
            clusters: Vec::new(),
            index: HashMap::new(),
            ids: std::collections::HashSet::new(),
            spread: std::collections::HashSet::new(),
            moved: HashMap::new(),
            overflowed: 0,
            home,
            changed: Vec::new(),
        }
    }

    pub fn knowledge(&self) -> &'k Knowledge {
        self.kb
    }

    /// Adds an alert with its own explanation (see [`super::generalise::explanation`]) and
    /// returns its cluster's slot.
    pub fn add_alert(
        &mut self,
        a: &crate::model::Alert<'_>,
        explanation: &str,
        m: AlertMember<'_>,
    ) -> usize {
        let r = Record::from_alert(a);
        let i = self.place(&r, explanation);
        let c = self.clusters[i].as_mut().expect("placed cluster is live");
        c.first_alert = Some(c.first_alert.map_or(m.index, |f| f.min(m.index)));
        if c.intent.is_none() {
            c.intent = m.intent.map(str::to_string);
        }
        if c.signature.is_none() {
            c.signature = a.sid.map(|sid| (a.gid, sid));
        }
        c.engine = c.engine.or(a.engine);
        c.own_log_odds += m.own_log_odds;
        c.alerts_scored += 1;
        if c.veto.is_none() {
            c.veto = m.veto.map(|v| (m.index, v.to_string()));
        }
        i
    }

    /// Adds a context event and returns its cluster's slot.
    pub fn add_context(&mut self, e: &crate::model::ContextEvent<'_>) -> usize {
        let r = Record::from_event(e);
        self.place(&r, "")
    }

    fn place(&mut self, r: &Record<'_>, explanation: &str) -> usize {
        let classes = r.classes(&self.home, self.kb);
        let key = Key::with_classes(r, explanation, &classes, self.kb);
        let spread = || {
            let coarse = key.without_port().text();
            (key.dest_port.is_some() && self.spread.contains(&coarse))
                .then(|| self.index.get(&coarse).map(|&i| self.resolve(i)))
                .flatten()
        };
        let i = match self.find(&key).or_else(spread) {
            Some(i) => i,
            None if self.live() < MAX_CLUSTERS => self.open(key),
            None => {
                self.overflowed += 1;
                let coarse = key.without_port();
                match self.find(&coarse) {
                    Some(i) => i,
                    None => {
                        let catch_all = Key {
                            records: key.records,
                            label: "(further causes beyond the cluster cap)".into(),
                            explanation: String::new(),
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
        let kb = self.kb;
        self.clusters[i]
            .as_mut()
            .expect("placed cluster is live")
            .add(r, classes, kb);
        if !self.changed.contains(&i) {
            self.changed.push(i);
        }
        i
    }

    fn live(&self) -> usize {
        self.clusters.len() - self.moved.len()
    }

    /// The slot a (possibly merged) slot's records now live in.
    pub fn resolve(&self, mut i: usize) -> usize {
        while let Some(&j) = self.moved.get(&i) {
            i = j;
        }
        i
    }

    fn find(&self, key: &Key) -> Option<usize> {
        self.index.get(&key.text()).map(|&i| self.resolve(i))
    }

    fn open(&mut self, key: Key) -> usize {
        let text = key.text();
        let mut h = sketch::hash64(text.as_bytes()) >> 16;
        while !self.ids.insert(h) {
            h = (h + 1) & 0xffff_ffff_ffff;
        }
        let i = self.clusters.len();
        self.index.insert(text, i);
        self.clusters
            .push(Some(Cluster::new(format!("c{h:012x}"), key, i as u64)));
        i
    }

    pub fn get(&self, i: usize) -> Option<&Cluster> {
        self.clusters.get(self.resolve(i)).and_then(Option::as_ref)
    }

    /// Live clusters, in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Cluster)> {
        self.clusters
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
    }

    pub fn len(&self) -> usize {
        self.live()
    }

    pub fn is_empty(&self) -> bool {
        self.live() == 0
    }

    /// The slots of clusters that changed since the last call (merged ones resolved).
    pub fn take_changed(&mut self) -> Vec<usize> {
        let mut v: Vec<usize> = std::mem::take(&mut self.changed)
            .into_iter()
            .map(|i| self.resolve(i))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Merges, in place, the clusters of one cause that differ only in destination port, when
    /// they spread over more than [`PORT_SPREAD`] ports. The merged cluster takes the
    /// port-less key; the keys of the clusters it took in keep pointing at it, so that later
    /// records of those keys join it.
    pub fn merge_port_spread(&mut self) {
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in self.iter() {
            if c.key.dest_port.is_some() {
                groups
                    .entry(c.key.without_port().text())
                    .or_default()
                    .push(i);
            }
        }
        let portless: HashMap<String, usize> = self
            .iter()
            .filter(|(_, c)| c.key.dest_port.is_none())
            .map(|(i, c)| (c.key.text(), i))
            .collect();
        let mut merges: Vec<(usize, Vec<usize>)> = groups
            .into_iter()
            .filter(|(_, m)| m.len() > PORT_SPREAD)
            .map(|(text, members)| {
                let head = portless.get(&text).copied().unwrap_or(members[0]);
                (head, members)
            })
            .collect();
        merges.sort_unstable();
        for (head, members) in merges {
            for m in members.into_iter().filter(|m| *m != head) {
                if let Some(c) = self.clusters[m].take() {
                    self.clusters[head]
                        .as_mut()
                        .expect("merge head is live")
                        .absorb(c);
                    self.moved.insert(m, head);
                }
            }
            let c = self.clusters[head].as_mut().expect("merge head is live");
            let coarse = c.key.without_port();
            if c.key.dest_port.is_some() {
                c.merged.push(std::mem::replace(&mut c.id, coarse.id()));
                self.index.entry(coarse.text()).or_insert(head);
                c.key = coarse.clone();
            }
            self.spread.insert(coarse.text());
            if !self.changed.contains(&head) {
                self.changed.push(head);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{ContextEvent, ContextKind, Endpoint, IpProto, Location, Provenance};
    use std::borrow::Cow;

    pub(crate) fn event(
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
        e.proto = Some(IpProto::TCP);
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
    fn many_ports_of_one_cause_merge_and_later_records_follow() {
        let kb = kb();
        let mut t = ClusterTable::new(&kb, Vec::new());
        let mut slots = Vec::new();
        for p in 0..(PORT_SPREAD as u16 + 4) {
            slots.push(t.add_context(&event("203.0.113.5", 50000, "10.1.1.1", 20 + p, Some("S"))));
        }
        let ids: std::collections::BTreeSet<String> = slots
            .iter()
            .map(|&i| t.get(i).unwrap().id.clone())
            .collect();
        assert_eq!(ids.len(), PORT_SPREAD + 4);
        t.add_context(&event("10.1.1.1", 50000, "192.168.0.1", 80, Some("S")));
        t.merge_port_spread();
        assert_eq!(t.len(), 2);
        let head = t.resolve(slots[3]);
        let c = t.get(head).unwrap();
        assert_eq!(c.members, PORT_SPREAD as u64 + 4);
        assert_eq!(c.key.dest_port, None);
        let merged: std::collections::BTreeSet<String> = c.merged.iter().cloned().collect();
        assert_eq!(merged, ids);
        // A later record with one of the merged keys joins the merged cluster, and so does one
        // on a port not seen before the merge.
        let again = t.add_context(&event("203.0.113.5", 50001, "10.1.1.1", 25, Some("S")));
        assert_eq!(t.resolve(again), head);
        let new_port = t.add_context(&event("203.0.113.5", 50001, "10.1.1.1", 6000, Some("S")));
        assert_eq!(t.resolve(new_port), head);
        assert_eq!(t.get(head).unwrap().members, PORT_SPREAD as u64 + 6);
    }

    #[test]
    fn the_number_of_clusters_is_capped() {
        let kb = kb();
        let mut t = ClusterTable::new(&kb, Vec::new());
        let mut e = event("10.0.0.1", 40000, "10.0.0.2", 80, None);
        for i in 0..(MAX_CLUSTERS + 50) {
            e.subtype = Some(Cow::Owned(format!("rule{i}")));
            t.add_context(&e);
        }
        // The cap, plus the one catch-all cluster for this record kind.
        assert_eq!(t.len(), MAX_CLUSTERS + 1);
        assert_eq!(t.overflowed, 50);
    }

    #[test]
    fn a_random_scan_is_one_cluster_whatever_the_destination_blocks() {
        // Issue #8: one inside host's SYN scan of port 445 in 2004 was split into one cluster
        // per destination /8, and the unallocated ones were called misconfiguration.
        let kb = kb();
        let mut t = ClusterTable::new(&kb, Vec::new());
        let mut slots = std::collections::BTreeSet::new();
        for (i, first) in [1u8, 5, 24, 61, 80, 130, 200, 2, 27, 42].iter().enumerate() {
            let dst = format!("{first}.{i}.7.9");
            let mut e = event("172.30.0.7", 40000 + i as u16, &dst, 445, Some("S"));
            e.timestamp = Some(crate::model::Timestamp::unparsed("2004-08-01"));
            slots.insert(t.add_context(&e));
        }
        assert_eq!(slots.len(), 1, "one cluster");
        let c = t.get(*slots.iter().next().unwrap()).unwrap();
        assert_eq!(c.dest_block_count(), 10);
        assert_eq!(c.key.dest_class, AddrClass::Outside);
    }
}
