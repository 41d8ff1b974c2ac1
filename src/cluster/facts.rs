//! Cluster facts: the vocabulary of `rules/clusters.toml` and `rules/hypotheses.toml`, and
//! how a cluster's statistics become those facts.

use std::fmt::Write as _;

use ipnetwork::IpNetwork;

use crate::evidence::{Facts, Value};
use crate::knowledge::{AllocationAt, Knowledge};
use crate::model::time::Rfc3339;
use crate::model::IpProto;

use crate::state::clusters::ClassTally;
use crate::state::generalise::{common_prefix, AddrClass};
use crate::state::{Cluster, HostEx, State};

macro_rules! keys {
    ($($name:literal => $doc:literal,)*) => {
        /// Every cluster fact name, with what it means (printed by `fpx facts`).
        pub const CLUSTER_KEYS: &[(&str, &str)] = &[$(($name, $doc),)*];
    };
}

keys! {
    "cluster.kind" => "alert or context: what the cluster's records are",
    "cluster.records" => "the kind of records: ids_alert, firewall (packet logs), connection (connection logs), protocol (application logs)",
    "cluster.intent" => "what the member alerts' signature claims (p2p, scan, exploit, policy, ...)",
    "cluster.explanation" => "the member alerts' own verdict and the evidence ids that gave it",
    "cluster.members_verdict" => "the member alerts' own verdict (false_positive, benign_trigger, true_positive, undetermined)",
    "cluster.members_log_odds" => "mean of the member alerts' own evidence, in log-odds",
    "cluster.members_fp" => "false-positive probability of a member alert on its own evidence (its signature's prior and the members' mean)",
    "cluster.label" => "what fired: the signature, or the log kind, rule and action",
    "cluster.members" => "records in the cluster",
    "cluster.proto" => "transport protocol in lower case",
    "cluster.direction" => "outbound (home to elsewhere), inbound, internal, or other",
    "cluster.src_class" => "class of the sources: home, external, unallocated, reserved, special, multicast, broadcast, label, unknown; outside when external, unallocated and reserved sources mix",
    "cluster.dest_class" => "class of the destinations (same names)",
    "cluster.dest_blocks" => "distinct IPv4 /8 blocks among the destinations",
    "cluster.dest_unallocated_share" => "share of records whose destination lay in space IANA had not allocated at the date",
    "cluster.src_hosts" => "distinct sources (exact below 256, estimated above)",
    "cluster.dest_hosts" => "distinct destinations",
    "cluster.src_prefix" => "the most specific /32, /24, /16 or /8 holding every tracked source",
    "cluster.dest_prefix" => "the same for the destinations",
    "cluster.src_pattern" => "the sources in words",
    "cluster.dest_pattern" => "the destinations in words",
    "cluster.src_subnets" => "distinct /16 networks among the tracked sources",
    "cluster.inside_hosts" => "distinct home-network hosts involved (sources or destinations)",
    "cluster.dest_port" => "the destination port, when there is one",
    "cluster.dest_ports" => "distinct destination ports",
    "cluster.dest_port_service" => "protocol registered on that port",
    "cluster.dest_port_service_name" => "its name",
    "cluster.dest_port_service_rfc" => "its RFC",
    "cluster.dest_port_ephemeral" => "the destination port lies in an ephemeral range",
    "cluster.reply_from" => "the service port the records come from, when they are replies",
    "cluster.reply_service" => "the protocol of that port",
    "cluster.src_ports" => "distinct source ports",
    "cluster.src_ephemeral_share" => "share of records whose source port lies in an ephemeral range",
    "cluster.tcp_known" => "TCP records whose flags are known",
    "cluster.syn_share" => "share of those with SYN set",
    "cluster.syn_only_share" => "share of those with SYN and no ACK",
    "cluster.no_syn_share" => "share of those without SYN (mid-session segments)",
    "cluster.lengths" => "the distinct IP lengths seen (first few)",
    "cluster.lengths_words" => "those lengths with what each means for TCP (a bare ACK, or data)",
    "cluster.max_len" => "the largest IP length",
    "cluster.dest_unallocated_at_date" => "every destination lies in one /8 that IANA held at the records' date",
    "cluster.dest_reserved" => "the destinations lie in IANA-reserved or special-purpose space",
    "cluster.dest_block" => "the destinations' /8",
    "cluster.dest_block_designation" => "who holds it now",
    "cluster.dest_block_allocated" => "when it was allocated (YYYY-MM)",
    "cluster.dest_block_source" => "the registry consulted",
    "cluster.dest_special" => "name of the special-purpose block of the destinations",
    "cluster.dest_multicast_group" => "registered multicast group of the destination, when one",
    "cluster.first_seen" => "earliest timestamp (RFC 3339, UTC)",
    "cluster.last_seen" => "latest timestamp",
    "cluster.first_date" => "date of the earliest record, YYYY-MM-DD",
    "cluster.days" => "distinct days with records",
    "cluster.hours" => "distinct hours with records",
    "cluster.span_seconds" => "seconds from the first record to the last",
    "cluster.rate_per_second" => "records per second over that span (absent below two records or a zero span)",
    "cluster.members_per_dest" => "records per distinct destination: how often each destination was hit",
    "cluster.dest_interval_seconds" => "mean seconds between two records to the same destination (span / (records per destination - 1)): a monitor's period, a flood's gap",
    "cluster.dest_checked" => "destinations checked for answers (the tracked examples)",
    "cluster.dest_answered" => "how many of them were ever seen sending or answering",
    "cluster.dest_never_answered" => "none of the checked destinations ever sent or answered",
    "cluster.dest_host_initiates" => "the single destination host was seen as a source elsewhere in the input",
    "cluster.deny_share" => "share of records a firewall denied",
    "cluster.icmp_type" => "ICMP type, for ICMP clusters",
    "cluster.first_alert" => "index of the first member alert in this run",
}

/// The class the facts speak of for one side: the members' fine class when they share one,
/// else the key's coarse class.
fn class_of_side<'c>(tally: &'c ClassTally, key_class: &'c AddrClass) -> &'c AddrClass {
    tally.single().unwrap_or(key_class)
}

/// IP lengths with what each says for TCP: 40 bytes is a 20-byte IP and a 20-byte TCP header
/// and nothing else (an ACK, FIN or RST); up to 60 can still be headers with options alone;
/// longer ones carry data.
fn lengths_words(lengths: &[u32]) -> String {
    let mut bare = Vec::new();
    let mut maybe = Vec::new();
    let mut data = Vec::new();
    for &l in lengths {
        match l {
            0..=40 => bare.push(l),
            41..=60 => maybe.push(l),
            _ => data.push(l),
        }
    }
    let join = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join("/");
    let mut parts = Vec::new();
    if !bare.is_empty() {
        parts.push(format!(
            "{} (headers only: a bare ACK, FIN or RST)",
            join(&bare)
        ));
    }
    if !maybe.is_empty() {
        parts.push(format!(
            "{} (headers with options, or a few bytes of data)",
            join(&maybe)
        ));
    }
    if !data.is_empty() {
        parts.push(format!("{} (carrying data)", join(&data)));
    }
    parts.join(", ")
}

fn nets(ex: &[HostEx]) -> Vec<IpNetwork> {
    ex.iter().filter_map(|h| h.net).collect()
}

fn side_words(
    count: u64,
    estimated: bool,
    prefix: Option<IpNetwork>,
    class: &AddrClass,
    first: Option<&HostEx>,
) -> String {
    let about = if estimated { "about " } else { "" };
    let where_ = match prefix {
        Some(p) if count > 1 => format!(" in {p}"),
        Some(p) => format!(" {}", p.ip()),
        None => String::new(),
    };
    let class_words = match class {
        AddrClass::Home => "inside ",
        AddrClass::External | AddrClass::Outside => "outside ",
        AddrClass::UnallocatedAtDate { .. } => "unallocated-space ",
        AddrClass::Reserved { .. } => "reserved-space ",
        AddrClass::Multicast => "multicast ",
        AddrClass::Broadcast => "broadcast ",
        _ => "",
    };
    let noun = if count == 1 { "host" } else { "hosts" };
    if count == 1 {
        match first {
            Some(h) => format!("{class_words}host {}", h.text),
            None => format!("1 {class_words}host{where_}"),
        }
    } else {
        format!("{about}{count} {class_words}{noun}{where_}")
    }
}

/// Computes the facts of a cluster from its statistics and what the state holds about its
/// hosts.
pub fn compute(c: &Cluster, state: &State<'_>, kb: &Knowledge) -> Facts {
    let mut f = Facts::with_vocabulary(CLUSTER_KEYS);
    let mut s = |k: &str, v: Value| {
        let ok = f.set_named(k, v);
        debug_assert!(ok, "unknown cluster fact {k}");
    };
    let num = |v: f64| Value::Num(v);
    let text = |v: String| Value::Str(v.into());
    let share = |a: u64, b: u64| {
        Value::Num(if b == 0 {
            0.0
        } else {
            ((a as f64 / b as f64) * 1000.0).round() / 1000.0
        })
    };
    let k = &c.key;
    let is_alert = k.records == crate::state::RecordKind::IdsAlert;
    s(
        "cluster.kind",
        text(if is_alert { "alert" } else { "context" }.into()),
    );
    s("cluster.records", text(k.records.as_str().into()));
    if let Some(i) = &c.intent {
        s("cluster.intent", text(i.clone()));
    }
    if !k.explanation.is_empty() {
        s("cluster.explanation", text(k.explanation.clone()));
        if let Some(v) = k.explanation.split(' ').next().filter(|v| !v.is_empty()) {
            s("cluster.members_verdict", text(v.to_string()));
        }
    }
    if let Some(m) = c.members_log_odds() {
        s("cluster.members_log_odds", num((m * 100.0).round() / 100.0));
    }
    s("cluster.label", text(k.label.clone()));
    s("cluster.members", num(c.members as f64));
    if let Some(p) = k.proto {
        s("cluster.proto", text(p.to_string().to_ascii_lowercase()));
    }
    let sc = class_of_side(&c.src_classes, &k.src_class);
    let dc = class_of_side(&c.dest_classes, &k.dest_class);
    let direction = match (sc, dc) {
        (AddrClass::Home, AddrClass::Home) => "internal",
        (AddrClass::Home, _) => "outbound",
        (_, AddrClass::Home) => "inbound",
        _ => "other",
    };
    s("cluster.direction", text(direction.into()));
    s("cluster.src_class", text(sc.name().into()));
    s("cluster.dest_class", text(dc.name().into()));
    let sn = nets(&c.src_ex.items);
    let dn = nets(&c.dest_ex.items);
    let sp = common_prefix(&sn);
    let dp = common_prefix(&dn);
    s("cluster.src_hosts", num(c.src_hosts.count() as f64));
    s("cluster.dest_hosts", num(c.dest_hosts.count() as f64));
    if let Some(p) = sp {
        s("cluster.src_prefix", text(p.to_string()));
    }
    if let Some(p) = dp {
        s("cluster.dest_prefix", text(p.to_string()));
    }
    s(
        "cluster.src_pattern",
        text(side_words(
            c.src_hosts.count(),
            c.src_hosts.estimated(),
            sp,
            sc,
            c.src_ex.items.first(),
        )),
    );
    s(
        "cluster.dest_pattern",
        text(side_words(
            c.dest_hosts.count(),
            c.dest_hosts.estimated(),
            dp,
            dc,
            c.dest_ex.items.first(),
        )),
    );
    let mut subnets: Vec<std::net::IpAddr> = Vec::new();
    for n in &sn {
        let wide = if n.is_ipv4() { 16 } else { 32 };
        if let Ok(x) = IpNetwork::new(n.network(), n.prefix().min(wide)) {
            if !subnets.contains(&x.network()) {
                subnets.push(x.network());
            }
        }
    }
    s("cluster.src_subnets", num(subnets.len() as f64));
    let inside = match (sc, dc) {
        (AddrClass::Home, AddrClass::Home) => c.src_hosts.count() + c.dest_hosts.count(),
        (AddrClass::Home, _) => c.src_hosts.count(),
        (_, AddrClass::Home) => c.dest_hosts.count(),
        _ => 0,
    };
    s("cluster.inside_hosts", num(inside as f64));
    let dports = c.dest_ports.count();
    s("cluster.dest_ports", num(dports as f64));
    let one_port = k.dest_port.or_else(|| {
        (dports == 1)
            .then(|| c.dest_port_ex.items.first().copied())
            .flatten()
    });
    if let Some(p) = one_port {
        s("cluster.dest_port", num(f64::from(p)));
        if let Some(proto) = k.proto.filter(|p| p.has_ports()) {
            if let Some(svc) = kb.services(proto, p).next() {
                s("cluster.dest_port_service", text(svc.protocol.clone()));
                s("cluster.dest_port_service_name", text(svc.name.clone()));
                s("cluster.dest_port_service_rfc", text(svc.rfc.clone()));
            }
        }
        s(
            "cluster.dest_port_ephemeral",
            Value::Bool(kb.ephemeral_ranges(p).next().is_some()),
        );
    }
    if let Some(p) = k.reply_from {
        s("cluster.reply_from", num(f64::from(p)));
        if let Some(proto) = k.proto {
            if let Some(svc) = kb.services(proto, p).next() {
                s("cluster.reply_service", text(svc.protocol.clone()));
            }
        }
    }
    s("cluster.src_ports", num(c.src_ports.count() as f64));
    s(
        "cluster.src_ephemeral_share",
        share(c.src_ephemeral, c.with_src_port),
    );
    if c.tcp_known > 0 {
        s("cluster.tcp_known", num(c.tcp_known as f64));
        s("cluster.syn_share", share(c.syn, c.tcp_known));
        s(
            "cluster.syn_only_share",
            share(c.syn - c.syn_ack, c.tcp_known),
        );
        s("cluster.no_syn_share", share(c.no_syn, c.tcp_known));
    }
    if !c.lengths.items.is_empty() {
        let mut l = c.lengths.items.to_vec();
        l.sort_unstable();
        let t: Vec<String> = l.iter().map(u32::to_string).collect();
        s("cluster.lengths", text(t.join("/")));
        s("cluster.lengths_words", text(lengths_words(&l)));
    }
    if let Some(m) = c.max_len {
        s("cluster.max_len", num(f64::from(m)));
    }
    // Address space of the destinations at the records' date.
    let month = c.first.map(|t| {
        let (y, m, _) = crate::model::time::civil_from_days(t.div_euclid(86_400_000_000));
        (y, m)
    });
    let blocks = c.dest_block_count();
    if blocks > 0 {
        s("cluster.dest_blocks", num(f64::from(blocks)));
    }
    s(
        "cluster.dest_unallocated_share",
        share(c.dest_classes.named("unallocated"), c.members),
    );
    if let Some(probe) = dn.first().map(|n| n.network()) {
        if let Some(a) = kb.allocation(probe, month) {
            let b = a.block();
            s("cluster.dest_block", text(b.prefix.to_string()));
            s(
                "cluster.dest_block_designation",
                text(b.designation.clone()),
            );
            s("cluster.dest_block_allocated", text(b.date.clone()));
            s("cluster.dest_block_source", text(b.source.clone()));
            // "Unallocated" speaks for local misconfiguration only when the traffic stays
            // inside that block: a random scan reaches unallocated space too.
            s(
                "cluster.dest_unallocated_at_date",
                Value::Bool(
                    matches!(a, AllocationAt::NotYetAllocated { .. })
                        && matches!(dc, AddrClass::UnallocatedAtDate { .. })
                        && blocks <= 1,
                ),
            );
        }
    }
    s(
        "cluster.dest_reserved",
        Value::Bool(matches!(
            dc,
            AddrClass::UnallocatedAtDate { .. }
                | AddrClass::Reserved { .. }
                | AddrClass::Special { .. }
        )),
    );
    if let AddrClass::Special { name } = dc {
        s("cluster.dest_special", text(name.clone()));
    }
    if c.dest_hosts.count() == 1 {
        if let Some(std::net::IpAddr::V4(_) | std::net::IpAddr::V6(_)) = dn
            .first()
            .filter(|n| n.prefix() == 32 || n.prefix() == 128)
            .map(|n| n.ip())
        {
            if let Some(g) = kb.multicast_group(dn[0].ip()) {
                s("cluster.dest_multicast_group", text(g.name.clone()));
            }
        }
    }
    if let (Some(a), Some(b)) = (c.first, c.last) {
        s("cluster.first_seen", text(Rfc3339(a).to_string()));
        s("cluster.last_seen", text(Rfc3339(b).to_string()));
        let (y, m, d) = crate::model::time::civil_from_days(a.div_euclid(86_400_000_000));
        s("cluster.first_date", text(format!("{y:04}-{m:02}-{d:02}")));
        s("cluster.days", num(c.days.count() as f64));
        s("cluster.hours", num(c.hours.count() as f64));
        let span = (b - a).max(0) as f64 / 1e6;
        s(
            "cluster.span_seconds",
            num((span * 1000.0).round() / 1000.0),
        );
        let dests = c.dest_hosts.count().max(1) as f64;
        if c.members >= 2 && span > 0.0 {
            let rate = c.members as f64 / span;
            s(
                "cluster.rate_per_second",
                num((rate * 100.0).round() / 100.0),
            );
            let per_dest = c.members as f64 / dests;
            if per_dest > 1.0 {
                let interval = span / (per_dest - 1.0);
                s(
                    "cluster.dest_interval_seconds",
                    num((interval * 100.0).round() / 100.0),
                );
            }
        }
    }
    s(
        "cluster.members_per_dest",
        num(c.members as f64 / c.dest_hosts.count().max(1) as f64),
    );
    // Did any destination ever answer? Only tracked examples can be checked.
    let checked: Vec<_> = c
        .dest_ex
        .items
        .iter()
        .filter_map(|h| h.key.as_ref())
        .collect();
    // A group address (multicast, broadcast) is never a sender: it cannot answer, and its
    // silence says nothing.
    let groups = matches!(dc, AddrClass::Multicast | AddrClass::Broadcast);
    if !checked.is_empty() && !groups {
        let answered = checked
            .iter()
            .filter(|k| state.host_by_key(k).is_some_and(|s| s.ever_answered()))
            .count();
        s("cluster.dest_checked", num(checked.len() as f64));
        s("cluster.dest_answered", num(answered as f64));
        s("cluster.dest_never_answered", Value::Bool(answered == 0));
    }
    if c.dest_hosts.count() == 1 {
        if let Some(k) = c.dest_ex.items.first().and_then(|h| h.key.as_ref()) {
            let initiates = state.host_by_key(k).is_some_and(|s| s.sent > 0);
            s("cluster.dest_host_initiates", Value::Bool(initiates));
        }
    }
    if c.deny + c.allow > 0 {
        s("cluster.deny_share", share(c.deny, c.members));
    }
    if let Some(i) = c.first_alert {
        s("cluster.first_alert", num(i as f64));
    }
    if k.proto == Some(IpProto::ICMP) {
        if let Some(t) = k.icmp_type {
            s("cluster.icmp_type", num(f64::from(t)));
        }
    }
    f
}

/// The cluster's pattern in one sentence, from its facts.
pub fn pattern(f: &Facts) -> String {
    let g = |k: &str| f.get_named(k).map(|v| v.to_string());
    let mut s = String::new();
    let _ = write!(s, "{}", g("cluster.label").unwrap_or_default());
    let _ = write!(
        s,
        ": {} record(s)",
        g("cluster.members").unwrap_or_default()
    );
    if let Some(p) = g("cluster.proto") {
        let _ = write!(s, " of {}", p.to_ascii_uppercase());
    }
    let _ = write!(
        s,
        " from {} to {}",
        g("cluster.src_pattern").unwrap_or_else(|| "?".into()),
        g("cluster.dest_pattern").unwrap_or_else(|| "?".into())
    );
    if let Some(p) = g("cluster.dest_port") {
        let _ = write!(s, " port {p}");
        if let Some(n) = g("cluster.dest_port_service") {
            let _ = write!(s, " ({n})");
        }
    } else if let Some(p) = g("cluster.dest_ports").filter(|n| n != "0") {
        let estimated = p
            .parse::<usize>()
            .is_ok_and(|n| n >= crate::state::sketch::KMV_K);
        let about = if estimated { "about " } else { "" };
        let _ = write!(s, " on {about}{p} ports");
    }
    if let Some(p) = g("cluster.reply_from") {
        let _ = write!(s, " from service port {p}");
    }
    // IDS alerts fire on data segments of open sessions: whether they carry SYN says nothing.
    let packet_log = !matches!(f.get_named("cluster.kind"), Some(Value::Str(k)) if k == "alert");
    if let Some(known) = f.get_named("cluster.tcp_known").filter(|_| packet_log) {
        let none = matches!(f.get_named("cluster.syn_share"), Some(Value::Num(n)) if *n == 0.0);
        if none {
            let _ = write!(s, "; none of the {known} TCP packets has SYN");
        } else if let Some(x) = g("cluster.syn_only_share") {
            let _ = write!(s, "; SYN-only share {x}");
        }
    }
    if let Some(l) = g("cluster.lengths").filter(|_| packet_log) {
        let _ = write!(s, " (lengths {l})");
    }
    if matches!(
        f.get_named("cluster.dest_unallocated_at_date"),
        Some(Value::Bool(true))
    ) {
        let _ = write!(
            s,
            "; {} was unallocated (held by IANA) at the time, allocated {} to {}",
            g("cluster.dest_block").unwrap_or_default(),
            g("cluster.dest_block_allocated").unwrap_or_default(),
            g("cluster.dest_block_designation").unwrap_or_default()
        );
    }
    if let (Some(a), Some(b)) = (g("cluster.first_seen"), g("cluster.last_seen")) {
        let _ = write!(s, "; {a} to {b}");
    }
    s
}
