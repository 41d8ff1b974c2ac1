//! What the reports for people (text, Markdown, HTML) collect while alerts stream by, to
//! write the overview first: identical alerts folded, one example per root cause, the
//! clusters ranked by size, and the counts the HTML charts draw. Every table is bounded, so a
//! flood costs groups and buckets, not memory per alert.
//!
//! The format renders a cluster and an example alert when they arrive (the explained alert
//! lives only for the call); this module keeps those renderings and the numbers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;

use super::Explained;
use crate::cluster::ClusterReport;
use crate::model::Engine;
use crate::suggest::{Change, Suggestion};

/// Groups of identical alerts kept at most; alerts beyond are counted per cluster only. A
/// group costs about 200 bytes and a few source addresses, so the cap holds about 20 MiB
/// whatever the input's size.
pub const MAX_FOLDS: usize = 100_000;

/// Distinct sources a group of identical alerts remembers (beyond, it says "N+ sources").
pub const MAX_FOLD_SOURCES: usize = 64;

/// Signatures counted for the "top signatures" chart; alerts of further ones are summed.
pub const MAX_SIGNATURES: usize = 10_000;

/// Time buckets kept for the alerts-over-time chart. When a run spans more buckets than
/// this, the bucket width doubles (counts are merged), so the chart keeps its shape.
pub const MAX_TIME_BUCKETS: usize = 512;

/// Bins of the fp_probability histogram (0.05 wide).
pub const P_BINS: usize = 20;

/// The verdicts, in the order charts and tables list them.
pub const VERDICTS: [&str; 4] = [
    "true_positive",
    "undetermined",
    "benign_trigger",
    "false_positive",
];

fn verdict_slot(v: &str) -> usize {
    VERDICTS.iter().position(|x| *x == v).unwrap_or(1)
}

/// What makes alerts identical for the overview: their cluster, signature, destination,
/// protocol and verdict (sources and times vary within a group).
#[derive(Clone, PartialEq, Eq, Hash)]
struct FoldKey {
    cluster: Option<String>,
    signature: String,
    dest: String,
    proto: String,
    verdict: &'static str,
}

/// A group of identical alerts.
#[derive(Clone, Debug)]
pub struct Fold {
    pub signature: String,
    pub msg: String,
    pub dest: String,
    pub proto: String,
    pub verdict: &'static str,
    pub count: u64,
    pub first_index: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    sources: HashSet<String>,
    pub more_sources: bool,
    pub p_min: f64,
    pub p_max: f64,
}

impl Fold {
    /// The sources in words: the one address, or how many.
    pub fn sources(&self) -> String {
        if self.sources.len() == 1 && !self.more_sources {
            self.sources.iter().next().cloned().unwrap_or_default()
        } else {
            format!(
                "{}{} sources",
                self.sources.len(),
                if self.more_sources { "+" } else { "" }
            )
        }
    }

    /// The fp_probability, or its range within the group.
    pub fn p(&self) -> String {
        if self.p_max - self.p_min < 0.005 {
            format!("{:.2}", self.p_min)
        } else {
            format!("{:.2}–{:.2}", self.p_min, self.p_max)
        }
    }

    fn join(&mut self, o: Fold) {
        self.count += o.count;
        self.first_index = self.first_index.min(o.first_index);
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        self.p_min = self.p_min.min(o.p_min);
        self.p_max = self.p_max.max(o.p_max);
        self.more_sources |= o.more_sources;
        for s in o.sources {
            self.add_source(s);
        }
    }

    fn add_source(&mut self, s: String) {
        if self.sources.len() < MAX_FOLD_SOURCES {
            self.sources.insert(s);
        } else if !self.sources.contains(&s) {
            self.more_sources = true;
        }
    }
}

/// A member alert rendered in full, and its root cause in words.
pub struct Example {
    pub index: u64,
    pub has_payload: bool,
    pub cause: Option<String>,
    pub rendered: Vec<u8>,
}

/// A cluster as the overview ranks it.
pub struct Cause {
    pub id: String,
    pub merged: Vec<String>,
    pub members: u64,
    seq: u64,
    /// `alerts` or `events`.
    pub records: &'static str,
    pub verdict: &'static str,
    pub fp_probability: f64,
    pub label: String,
    /// The root cause in words: the cluster's, or (when that is its members' evidence) the
    /// example's.
    pub cause: String,
    /// The first suggested change in a few words.
    pub action: Option<String>,
    /// The cluster as the format rendered it.
    pub rendered: Vec<u8>,
    /// Its alerts, identical ones folded, largest group first.
    pub folds: Vec<Fold>,
    /// Its alerts beyond [`MAX_FOLDS`].
    pub unfolded: u64,
    pub example: Option<Example>,
    own_cause: Option<String>,
    undecided: Option<String>,
}

/// Alerts that ended in no cluster.
#[derive(Default)]
pub struct Loose {
    pub folds: Vec<Fold>,
    pub unfolded: u64,
    pub example: Option<Example>,
}

/// Counts for the charts.
#[derive(Clone, Debug, Default)]
pub struct Charts {
    /// Alerts per time bucket, by verdict (in [`VERDICTS`] order), from `start` on.
    pub times: BTreeMap<i64, [u64; 4]>,
    /// Width of a time bucket in microseconds.
    pub bucket: i64,
    /// Alerts per signature label, by verdict.
    pub signatures: HashMap<String, [u64; 4]>,
    /// Alerts of signatures beyond [`MAX_SIGNATURES`].
    pub other_signatures: u64,
    /// Alerts per fp_probability bin, by verdict.
    pub p_bins: [[u64; 4]; P_BINS],
}

impl Charts {
    #[cfg(test)]
    pub(crate) fn add_for_tests(&mut self, micros: Option<i64>, sig: &str, verdict: &str, p: f64) {
        self.add(micros, sig, verdict, p);
    }

    fn add(&mut self, micros: Option<i64>, signature: &str, verdict: &str, p: f64) {
        let v = verdict_slot(verdict);
        if let Some(t) = micros {
            if self.bucket == 0 {
                // One minute to start with; doubled as the span grows.
                self.bucket = 60_000_000;
            }
            self.times.entry(t.div_euclid(self.bucket)).or_default()[v] += 1;
            while self.times.len() > MAX_TIME_BUCKETS {
                self.bucket = self.bucket.saturating_mul(2);
                let old = std::mem::take(&mut self.times);
                for (k, c) in old {
                    let e = self.times.entry(k.div_euclid(2)).or_default();
                    for i in 0..4 {
                        e[i] += c[i];
                    }
                }
            }
        }
        let room = self.signatures.len() < MAX_SIGNATURES;
        match self.signatures.get_mut(signature) {
            Some(c) => c[v] += 1,
            None if room => {
                let mut c = [0; 4];
                c[v] = 1;
                self.signatures.insert(signature.to_string(), c);
            }
            None => self.other_signatures += 1,
        }
        let bin = ((p.clamp(0.0, 1.0) * P_BINS as f64) as usize).min(P_BINS - 1);
        self.p_bins[bin][v] += 1;
    }
}

/// The overview, ranked: what a format writes.
pub struct Ranked {
    pub causes: Vec<Cause>,
    pub loose: Loose,
    pub charts: Charts,
}

/// Renders one alert (an example) and one cluster in a format.
pub type RenderAlert<'r> = &'r dyn Fn(&Explained<'_, '_>) -> io::Result<Vec<u8>>;

/// What the overview keeps of the alerts and clusters until the report is written.
#[derive(Default)]
pub struct Overview {
    folds: HashMap<FoldKey, Fold>,
    /// Alerts beyond [`MAX_FOLDS`], per cluster id as the alert knew it.
    unfolded: HashMap<Option<String>, u64>,
    /// One example per cluster id as the alerts knew it.
    examples: HashMap<Option<String>, Example>,
    clusters: Vec<Cause>,
    charts: Charts,
}

impl Overview {
    pub fn add_alert(&mut self, e: &Explained<'_, '_>, render: RenderAlert<'_>) -> io::Result<()> {
        let a = e.alert;
        let cluster = e.cluster.map(|c| c.cluster.id.clone());
        let proto = a
            .proto
            .map(|p| p.to_string())
            .or_else(|| a.proto_text.as_ref().map(|p| p.to_string()))
            .unwrap_or_else(|| "?".into());
        let key = FoldKey {
            cluster: cluster.clone(),
            signature: a.signature_id(),
            dest: endpoint(&a.dest.host.to_string(), a.dest.port),
            proto,
            verdict: e.score.verdict.as_str(),
        };
        let p = e.score.fp_probability;
        let t = a.timestamp.unix_micros;
        let msg = a.msg.as_deref().unwrap_or("(no message)");
        let label = format!(
            "[{}:{}] {msg}",
            a.gid,
            a.sid.map_or("?".into(), |s| s.to_string())
        );
        self.charts.add(t, &label, key.verdict, p);
        let full = self.folds.len() >= MAX_FOLDS;
        match self.folds.get_mut(&key) {
            Some(f) => {
                f.count += 1;
                f.first = min_opt(f.first, t);
                f.last = max_opt(f.last, t);
                f.p_min = f.p_min.min(p);
                f.p_max = f.p_max.max(p);
                f.add_source(a.src.host.to_string());
            }
            None if full => *self.unfolded.entry(cluster.clone()).or_default() += 1,
            None => {
                let fold = Fold {
                    signature: key.signature.clone(),
                    msg: msg.to_string(),
                    dest: key.dest.clone(),
                    proto: key.proto.clone(),
                    verdict: key.verdict,
                    count: 1,
                    first_index: e.index,
                    first: t,
                    last: t,
                    sources: HashSet::from([a.src.host.to_string()]),
                    more_sources: false,
                    p_min: p,
                    p_max: p,
                };
                self.folds.insert(key, fold);
            }
        }
        // The first member becomes the example, or the first with a payload to show.
        let has_payload = a.payload.as_deref().is_some_and(|p| !p.is_empty());
        let replace = match self.examples.get(&cluster) {
            None => true,
            Some(ex) => !ex.has_payload && has_payload,
        };
        if replace {
            let rendered = render(e)?;
            self.examples.insert(
                cluster,
                Example {
                    index: e.index,
                    has_payload,
                    cause: e
                        .score
                        .root_cause
                        .and_then(|i| e.evidence.get(i))
                        .map(|ev| ev.cause.clone()),
                    rendered,
                },
            );
        }
        Ok(())
    }

    pub fn add_cluster(&mut self, r: &ClusterReport, rendered: Vec<u8>) {
        let c = &r.cluster;
        let own_cause = r
            .score
            .root_cause
            .and_then(|i| r.evidence.get(i))
            .filter(|e| e.id != crate::cluster::MEMBERS_EVIDENCE)
            .map(|e| e.cause.clone());
        self.clusters.push(Cause {
            id: c.id.clone(),
            merged: c.merged.clone(),
            members: c.members,
            seq: c.seq,
            records: if c.key.records == crate::state::RecordKind::IdsAlert {
                "alerts"
            } else {
                "events"
            },
            verdict: r.score.verdict.as_str(),
            fp_probability: r.score.fp_probability,
            label: c.key.label.clone(),
            cause: String::new(),
            action: r.suggestions.first().map(|s| action(s, r.engine)),
            rendered,
            folds: Vec::new(),
            unfolded: 0,
            example: None,
            own_cause,
            undecided: r.score.undecided.clone(),
        });
    }

    /// The clusters ranked by size (ties: first seen first), each with its folded alerts and
    /// example; alerts of ids no cluster holds any more go to [`Loose`].
    pub fn rank(mut self) -> Ranked {
        let mut causes = std::mem::take(&mut self.clusters);
        causes.sort_by(|a, b| b.members.cmp(&a.members).then(a.seq.cmp(&b.seq)));
        // Each id an alert may carry (its cluster's, or one merged into it) → rank.
        let mut rank: HashMap<String, usize> = HashMap::new();
        for (i, c) in causes.iter().enumerate() {
            rank.insert(c.id.clone(), i);
            for m in &c.merged {
                rank.insert(m.clone(), i);
            }
        }
        let n = causes.len();
        let slot = |id: &Option<String>| {
            id.as_deref()
                .and_then(|i| rank.get(i).copied())
                .unwrap_or(n)
        };
        let mut folds: Vec<Vec<Fold>> = Vec::new();
        folds.resize_with(n + 1, Vec::new);
        for (k, f) in self.folds.drain() {
            let list = &mut folds[slot(&k.cluster)];
            // Identical alerts of clusters merged later are one group.
            let same = |o: &Fold| {
                o.signature == f.signature
                    && o.dest == f.dest
                    && o.proto == f.proto
                    && o.verdict == f.verdict
            };
            match list.iter().position(same) {
                Some(i) => list[i].join(f),
                None => list.push(f),
            }
        }
        for list in &mut folds {
            list.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then(a.first_index.cmp(&b.first_index))
            });
        }
        let mut unfolded = vec![0u64; n + 1];
        for (id, c) in &self.unfolded {
            unfolded[slot(id)] += c;
        }
        let mut examples: Vec<Option<Example>> = Vec::new();
        examples.resize_with(n + 1, || None);
        for (id, ex) in self.examples.drain() {
            let r = slot(&id);
            let better = match &examples[r] {
                None => true,
                Some(old) => {
                    (ex.has_payload, std::cmp::Reverse(ex.index))
                        > (old.has_payload, std::cmp::Reverse(old.index))
                }
            };
            if better {
                examples[r] = Some(ex);
            }
        }
        let loose = Loose {
            folds: folds.pop().unwrap_or_default(),
            unfolded: unfolded[n],
            example: examples.pop().flatten(),
        };
        for ((c, f), (u, ex)) in causes
            .iter_mut()
            .zip(folds)
            .zip(unfolded.into_iter().zip(examples))
        {
            c.folds = f;
            c.unfolded = u;
            c.cause = c
                .own_cause
                .clone()
                .or_else(|| ex.as_ref().and_then(|e| e.cause.clone()))
                .or_else(|| c.undecided.as_ref().map(|u| format!("open: {u}")))
                .unwrap_or_else(|| "no evidence rule applied".into());
            c.example = ex;
        }
        Ranked {
            causes,
            loose,
            charts: self.charts,
        }
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// `host:port`, `[v6]:port` or `host`.
pub fn endpoint(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) if host.contains(':') => format!("[{host}]:{p}"),
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// A time as `2011-11-12 23:35`.
pub fn minute(micros: i64) -> String {
    let t = crate::model::time::Rfc3339(micros).to_string();
    t.get(..16).unwrap_or(&t).replace('T', " ")
}

/// A span of time, the end without what it shares with the start: `2011-11-12 23:35 →
/// 11-13 17:26`, `2011-11-12 23:35 → 23:50`.
pub fn span(first: Option<i64>, last: Option<i64>) -> String {
    match (first, last) {
        (Some(a), Some(b)) if minute(a) != minute(b) => {
            let (x, y) = (minute(a), minute(b));
            let end = if x.get(..10) == y.get(..10) {
                y.get(11..).unwrap_or(&y).to_string()
            } else if x.get(..4) == y.get(..4) {
                y.get(5..).unwrap_or(&y).to_string()
            } else {
                y
            };
            format!("{x} → {end}")
        }
        (Some(a), _) => minute(a),
        _ => "time unknown".into(),
    }
}

/// A suggestion in a few words: what to do, and to what (the lines are in the root cause's
/// section).
pub fn action(s: &Suggestion, _engine: Engine) -> String {
    let scope = |sc: &crate::suggest::Scope| match sc.track {
        Some(crate::suggest::Track::BySrc) => format!(" from {}", sc.addr_text()),
        Some(crate::suggest::Track::ByDst) => format!(" to {}", sc.addr_text()),
        Some(crate::suggest::Track::ByEither) => format!(" to or from {}", sc.addr_text()),
        None => String::new(),
    };
    match &s.change {
        Change::Investigate { checks } => match checks.first() {
            Some(c) => format!("investigate {c}"),
            None => "investigate".into(),
        },
        Change::Suppress {
            gid,
            sid,
            scope: sc,
        } => format!("suppress {gid}:{sid}{}", scope(sc)),
        Change::Limit {
            gid,
            sid,
            track,
            count,
            seconds,
        } => format!(
            "limit {gid}:{sid} to {count} per {seconds} s {}",
            track.as_str()
        ),
        Change::Modify { gid, sid, .. } => format!("modify rule {gid}:{sid}"),
        Change::Tighten { gid, sid, .. } => format!("tighten rule {gid}:{sid}"),
        Change::Update { gid, sid, rev, .. } => format!("update {gid}:{sid} to rev {rev}"),
        Change::Disable { gid, sid } => format!("disable {gid}:{sid}"),
        Change::Variable { name, to, .. } => format!("set {name} to {to}"),
    }
}

pub fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_drop_what_they_share() {
        let t = 1_321_140_900_000_000; // 2011-11-12T23:35:00Z
        assert_eq!(span(Some(t), Some(t)), "2011-11-12 23:35");
        assert_eq!(
            span(Some(t), Some(t + 15 * 60_000_000)),
            "2011-11-12 23:35 → 23:50"
        );
        assert_eq!(
            span(Some(t), Some(t + 18 * 3_600_000_000 - 9 * 60_000_000)),
            "2011-11-12 23:35 → 11-13 17:26"
        );
        assert_eq!(span(None, None), "time unknown");
    }

    #[test]
    fn time_buckets_stay_bounded() {
        let mut c = Charts::default();
        for i in 0..100_000i64 {
            c.add(Some(i * 60_000_000), "s", "undetermined", 0.5);
        }
        assert!(c.times.len() <= MAX_TIME_BUCKETS);
        let total: u64 = c.times.values().map(|v| v[1]).sum();
        assert_eq!(total, 100_000);
        assert_eq!(c.p_bins[10][1], 100_000);
    }
}
