//! The cluster stage: weighs each cluster of the state's cluster table (`src/state/clusters.rs`)
//! by the rules in `rules/clusters.toml` and the competing explanations in
//! `rules/hypotheses.toml`, and gives it a verdict that follows from its members' own evidence
//! plus its own.
//!
//! Every rule and hypothesis names the kinds of record it reads (`records`); a cluster of IDS
//! alerts is never weighed by a pattern written for firewall packet logs, and so on.
//!
//! A cluster of alerts starts from its members: their signature's prior, and the mean of the
//! evidence each member had on its own (one piece of evidence, `members-evidence`). Its own
//! patterns add to that. Each member alert in turn adds the cluster's own evidence to its own,
//! so the two verdicts agree as far as the members agree with each other — and members with
//! different explanations are different clusters (the key holds the explanation).

pub mod facts;
pub mod hypotheses;

use std::path::Path;

use crate::evidence::{Evidence, Facts, RuleBook, Scope, Supports, Value};
use crate::score::{self, Score, Verdict};
use crate::state::{Cluster, HostEx, RecordKind, State};

pub use facts::CLUSTER_KEYS;
pub use hypotheses::{Hypotheses, HypothesisOutcome, Nature};

/// Examples printed per list in the report.
pub const MAX_PRINTED_EXAMPLES: usize = 5;

/// The id of the evidence that carries the members' own evidence into their cluster.
pub const MEMBERS_EVIDENCE: &str = "members-evidence";

/// The cluster stage's rule files, compiled.
#[derive(Clone, Debug)]
pub struct ClusterBooks {
    pub rules: RuleBook,
    pub hypotheses: Hypotheses,
}

/// Everything concluded about one cluster, for the reporters and for its member alerts.
#[derive(Clone, Debug)]
pub struct ClusterReport {
    pub cluster: Cluster,
    pub facts: Facts,
    /// The pattern in words.
    pub pattern: String,
    pub src_examples: Vec<String>,
    pub dest_examples: Vec<String>,
    /// The members' evidence (for alert clusters) first, then the cluster's own.
    pub evidence: Vec<Evidence>,
    pub score: Score,
    pub hypotheses: HypothesisOutcome,
    /// What to change on the sensor (the suggest stage fills it in).
    pub suggestions: Vec<crate::suggest::Suggestion>,
    /// The engine whose dialect the suggestions are written in.
    pub engine: crate::model::Engine,
    /// The suggestions as JSON in that dialect, written once for all member alert lines.
    pub suggestions_json: Option<Box<serde_json::value::RawValue>>,
}

impl ClusterReport {
    /// The cluster's own evidence: what bears on each member beyond its own.
    pub fn own_evidence(&self) -> impl Iterator<Item = &Evidence> {
        self.evidence.iter().filter(|e| e.scope == Scope::Cluster)
    }

    /// Why the cluster's explanations leave its verdict open, when they do (see [`judge`]).
    pub fn conflict(&self) -> Option<&str> {
        self.hypotheses.conflict.as_deref()
    }
}

fn examples(ex: &[HostEx]) -> Vec<String> {
    ex.iter()
        .take(MAX_PRINTED_EXAMPLES)
        .map(|h| h.text.clone())
        .collect()
}

/// The members' own evidence as one piece of cluster evidence: its weight the mean of what each
/// member had, its kind the members' own verdict (their key's explanation starts with it).
fn members_evidence(c: &Cluster, f: &Facts) -> Option<Evidence> {
    let mean = c.members_log_odds()?;
    if mean == 0.0 {
        return None;
    }
    let own = c.key.explanation.split(' ').next().unwrap_or("");
    let supports = if mean < 0.0 {
        Supports::TruePositive
    } else if own == Verdict::BenignTrigger.as_str() {
        Supports::BenignTrigger
    } else {
        Supports::FalsePositive
    };
    let reasons: Vec<&str> = c.key.explanation.split(' ').skip(1).collect();
    let first = f
        .get_named("cluster.first_alert")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let why = if reasons.is_empty() {
        "hints only".to_string()
    } else {
        reasons.join(", ")
    };
    let mut log_odds = (mean * 100.0).round() / 100.0;
    if reasons.is_empty() {
        // Members that only had hints give their cluster hints, not a reason: summed, hints
        // must not become the weight of one (see `score::REASON_WEIGHT`).
        let cap = crate::score::REASON_WEIGHT - 0.1;
        log_odds = log_odds.clamp(-cap, cap);
    }
    Some(Evidence {
        id: MEMBERS_EVIDENCE.into(),
        scope: Scope::Alert,
        supports,
        log_odds,
        cause: format!(
            "its {} alerts, each weighed on its own, carry {log_odds:+.1} of evidence ({why})",
            c.alerts_scored
        ),
        text: format!(
            "Weighed one by one, the {} alerts of this cluster carry {log_odds:+.1} of evidence \
             on average ({why}); alert {first} shows it in full.",
            c.alerts_scored
        ),
        refs: Vec::new(),
        suggestions: Vec::new(),
        alert_only: false,
        vetoes_benign: false,
        finding: None,
    })
}

/// Weighs one cluster as the state holds it now. `alert_book` gives the priors of alert
/// clusters (the members' signature intent); context clusters take the cluster book's.
pub fn judge(
    c: &Cluster,
    state: &State<'_>,
    books: &ClusterBooks,
    alert_book: &RuleBook,
) -> ClusterReport {
    let kb = state.clusters.knowledge();
    let mut f = facts::compute(c, state, kb);
    let kind = c.key.records;
    let mut evidence = Vec::new();
    books
        .rules
        .evaluate_records(&f, Some(kind.as_str()), &mut evidence);
    for e in &mut evidence {
        e.scope = Scope::Cluster;
    }
    let members = members_evidence(c, &f);
    if let Some(m) = members {
        evidence.insert(0, m);
    }
    let mut score = if kind == RecordKind::IdsAlert {
        score::score(alert_book, c.intent.as_deref(), &evidence)
    } else {
        score::score(&books.rules, None, &evidence)
    };
    if c.alerts_scored > 0 {
        let p = score::sigmoid(score::logit(score.prior) + c.members_log_odds().unwrap_or(0.0));
        f.set_named(
            "cluster.members_fp",
            Value::Num((p * 1000.0).round() / 1000.0),
        );
    }
    let hypotheses = books.hypotheses.weigh(&f, kind.as_str(), score.verdict);
    if let Some(why) = &hypotheses.conflict {
        score.undetermine(why.clone(), &evidence);
    }
    // What vetoes a member's benign verdict vetoes its cluster's: a cluster called benign
    // would suppress that member with the rest.
    if let Some((index, why)) = c.veto.as_ref().filter(|_| score.verdict.is_benign()) {
        score.undetermine(
            format!(
                "for its alert {index}, {why}: that verdict stands until an analyst looks again"
            ),
            &evidence,
        );
    }
    ClusterReport {
        pattern: facts::pattern(&f),
        src_examples: examples(&c.src_ex.items),
        dest_examples: examples(&c.dest_ex.items),
        evidence,
        score,
        hypotheses,
        suggestions: Vec::new(),
        engine: c.engine.unwrap_or(crate::model::Engine::Suricata),
        suggestions_json: None,
        facts: f,
        cluster: c.clone(),
    }
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

/// Checks a `records` list: every name a record kind, at least one.
pub fn check_records(origin: &str, what: &str, records: &[String]) -> Result<(), String> {
    if records.is_empty() {
        return Err(format!(
            "{origin}: {what}: `records` must name the kinds of record it reads (ids_alert, \
             firewall, connection, protocol)"
        ));
    }
    match records.iter().find(|r| RecordKind::from_name(r).is_none()) {
        Some(bad) => Err(format!("{origin}: {what}: unknown record kind {bad:?}")),
        None => Ok(()),
    }
}

/// Loads the cluster evidence rules and the hypotheses.
pub fn load_rules(dir: Option<&Path>) -> Result<ClusterBooks, String> {
    let text = |name: &str, embedded: &'static str| -> Result<(String, String), String> {
        match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
            Some(p) => crate::input::limits::read_text(
                &p,
                crate::input::limits::MAX_TOML_FILE,
                "rule file",
            )
            .map(|t| (p.display().to_string(), t))
            .map_err(|e| format!("{}: {e}", p.display())),
            None => Ok((format!("rules/{name}"), embedded.to_string())),
        }
    };
    let (origin, t) = text(FILES[0].0, FILES[0].1)?;
    let mut rules = RuleBook::with_vocabulary(CLUSTER_KEYS);
    rules.add_file(&origin, &t)?;
    let claims = crate::evidence::claims::Claims::embedded();
    for r in &rules.rules {
        check_records(&r.origin, &format!("rule {}", r.id), &r.records)?;
        crate::evidence::check_claims(&claims, r)?;
    }
    let (origin, t) = text(FILES[1].0, FILES[1].1)?;
    let hypotheses = Hypotheses::parse(&origin, &t)?;
    Ok(ClusterBooks { rules, hypotheses })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;
    use crate::state::clusters::tests::event;

    #[test]
    fn a_syn_fan_out_favours_the_worm() {
        let kb = Knowledge::embedded().unwrap();
        let mut st = State::new(&kb, Vec::new());
        let mut slot = 0;
        for i in 0..30u8 {
            slot = st.observe_context(&event(
                "10.0.0.7",
                40000 + u16::from(i),
                &format!("93.184.{i}.10"),
                445,
                Some("S"),
            ));
        }
        let books = load_rules(None).unwrap();
        let alert_book = crate::evidence::load_rules(None).unwrap();
        let r = judge(st.clusters.get(slot).unwrap(), &st, &books, &alert_book);
        assert_eq!(r.cluster.members, 30);
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
    fn cluster_rules_must_name_their_records() {
        assert!(check_records("t", "rule x", &[])
            .unwrap_err()
            .contains("records"));
        assert!(check_records("t", "rule x", &["firewall".into(), "nope".into()]).is_err());
        assert!(check_records("t", "rule x", &["ids_alert".into()]).is_ok());
    }
}
