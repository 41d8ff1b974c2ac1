//! Competing hypotheses per cluster: each names a benign or malicious explanation, when it
//! applies, the evidence for and against it (conditions over cluster facts with weights and
//! words), and what observation would tell it apart from its rivals. The data lives in
//! `rules/hypotheses.toml`.
//!
//! A hypothesis's standing is the sum of the weights of its evidence for minus that of its
//! evidence against. One is favoured only with a positive standing at least
//! [`HYPOTHESIS_MARGIN`] above every rival's; otherwise none is, and the outcome says what
//! would tell the closest ones apart. Each hypothesis names the kinds of record it reads
//! (`records`) and is weighed for no other cluster.

use serde::Deserialize;

use crate::evidence::{Condition, Facts, Template};
use crate::score::Verdict;

use super::CLUSTER_KEYS;

/// How far the favoured hypothesis must stand above its runner-up. The weights are those of
/// the evidence rules (+1 supporting, +0.5 a hint): a lead of less than one supporting
/// observation is a tie, and a tie favours nothing.
pub const HYPOTHESIS_MARGIN: f64 = 1.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    hypothesis: Vec<RawHypothesis>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHypothesis {
    id: String,
    name: String,
    nature: Nature,
    records: Vec<String>,
    applies: Vec<String>,
    tell_apart: String,
    #[serde(default, rename = "for")]
    for_: Vec<RawCheck>,
    #[serde(default)]
    against: Vec<RawCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    when: Vec<String>,
    weight: f64,
    text: String,
}

/// Whether a hypothesis means harm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Benign,
    Malicious,
}

impl Nature {
    pub fn as_str(self) -> &'static str {
        match self {
            Nature::Benign => "benign",
            Nature::Malicious => "malicious",
        }
    }
}

#[derive(Clone, Debug)]
struct Check {
    when: Vec<Condition>,
    weight: f64,
    text: Template,
}

#[derive(Clone, Debug)]
struct Hypothesis {
    id: String,
    name: Template,
    nature: Nature,
    records: Vec<String>,
    applies: Vec<Condition>,
    tell_apart: Template,
    for_: Vec<Check>,
    against: Vec<Check>,
}

/// All hypotheses, compiled.
#[derive(Clone, Debug, Default)]
pub struct Hypotheses {
    list: Vec<Hypothesis>,
}

/// One piece of evidence about a hypothesis.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub weight: f64,
    pub text: String,
}

/// A hypothesis as weighed for one cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Weighed {
    pub id: String,
    pub name: String,
    pub nature: Nature,
    pub evidence_for: Vec<Point>,
    pub evidence_against: Vec<Point>,
    pub standing: f64,
    pub favoured: bool,
    pub tell_apart: String,
}

/// The hypotheses that apply to a cluster, which is favoured, and why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HypothesisOutcome {
    pub list: Vec<Weighed>,
    /// Index of the favoured hypothesis.
    pub favoured: Option<usize>,
    pub why: String,
    /// Set when the favoured explanation contradicts the cluster's verdict (a benign verdict
    /// whose best explanation is an attack, or the reverse): why the verdict stays open.
    pub conflict: Option<String>,
}

impl Hypotheses {
    /// Parses and compiles a hypotheses file; errors name the file and the hypothesis.
    pub fn parse(origin: &str, text: &str) -> Result<Hypotheses, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let mut list = Vec::new();
        for h in raw.hypothesis {
            let ctx = |m: String| format!("{origin}: hypothesis {}: {m}", h.id);
            let conds = |v: &[String]| -> Result<Vec<Condition>, String> {
                v.iter()
                    .map(|c| Condition::parse(c, CLUSTER_KEYS).map_err(ctx))
                    .collect()
            };
            let tpl = |t: &str| Template::parse(t, CLUSTER_KEYS).map_err(ctx);
            let checks = |v: &[RawCheck]| -> Result<Vec<Check>, String> {
                v.iter()
                    .map(|c| {
                        if c.weight <= 0.0 {
                            return Err(ctx(
                                "weights are positive; `for` and `against` give the sign".into(),
                            ));
                        }
                        Ok(Check {
                            when: conds(&c.when)?,
                            weight: c.weight,
                            text: tpl(&c.text)?,
                        })
                    })
                    .collect()
            };
            if h.applies.is_empty() {
                return Err(ctx("`applies` needs at least one condition".into()));
            }
            if list.iter().any(|x: &Hypothesis| x.id == h.id) {
                return Err(ctx("id used twice".into()));
            }
            super::check_records(origin, &format!("hypothesis {}", h.id), &h.records)?;
            list.push(Hypothesis {
                applies: conds(&h.applies)?,
                name: tpl(&h.name)?,
                tell_apart: tpl(&h.tell_apart)?,
                for_: checks(&h.for_)?,
                against: checks(&h.against)?,
                nature: h.nature,
                records: h.records,
                id: h.id,
            });
        }
        Ok(Hypotheses { list })
    }

    /// Weighs every hypothesis that reads records of `kind` and applies, against a cluster's
    /// facts; `verdict` is the cluster's, which the favoured hypothesis must not contradict.
    pub fn weigh(&self, f: &Facts, kind: &str, verdict: Verdict) -> HypothesisOutcome {
        let points = |cs: &[Check]| -> Vec<Point> {
            cs.iter()
                .filter(|c| c.when.iter().all(|x| x.holds(f)))
                .map(|c| Point {
                    weight: c.weight,
                    text: c.text.render(f),
                })
                .collect()
        };
        let mut list: Vec<Weighed> = self
            .list
            .iter()
            .filter(|h| h.records.iter().any(|r| r == kind))
            .filter(|h| h.applies.iter().all(|c| c.holds(f)))
            .map(|h| {
                let evidence_for = points(&h.for_);
                let evidence_against = points(&h.against);
                let standing = evidence_for.iter().map(|p| p.weight).sum::<f64>()
                    - evidence_against.iter().map(|p| p.weight).sum::<f64>();
                Weighed {
                    id: h.id.clone(),
                    name: h.name.render(f),
                    nature: h.nature,
                    evidence_for,
                    evidence_against,
                    standing,
                    favoured: false,
                    tell_apart: h.tell_apart.render(f),
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..list.len()).collect();
        order.sort_by(|&a, &b| list[b].standing.total_cmp(&list[a].standing));
        let (best, runner) = (order.first().copied(), order.get(1).copied());
        let clear = best.filter(|&b| {
            list[b].standing > 0.0
                && runner.is_none_or(|r| list[b].standing - list[r].standing >= HYPOTHESIS_MARGIN)
        });
        let (why, conflict) = match (clear, best) {
            (Some(b), _) => {
                list[b].favoured = true;
                let h = &list[b];
                let contradicts = match h.nature {
                    Nature::Malicious => verdict.is_benign(),
                    Nature::Benign => verdict == Verdict::TruePositive,
                };
                let conflict = contradicts.then(|| {
                    format!(
                        "the evidence says {}, but the best-supported explanation is {} ({}); \
                         until this is checked the verdict stays open: {}",
                        verdict.as_str(),
                        h.name,
                        h.nature.as_str(),
                        h.tell_apart
                    )
                });
                (why(&list, b), conflict)
            }
            (None, Some(b)) => (undecided(&list, b, runner), None),
            (None, None) => (String::new(), None),
        };
        HypothesisOutcome {
            list,
            favoured: clear,
            why,
            conflict,
        }
    }
}

/// Why no hypothesis is favoured: the best stands too close to the next (or has no support),
/// and what would tell them apart.
fn undecided(list: &[Weighed], best: usize, runner: Option<usize>) -> String {
    let b = &list[best];
    let mut s = String::from("no hypothesis is favoured: ");
    match runner {
        Some(r) if b.standing > 0.0 => s.push_str(&format!(
            "{} ({:+.1}) and {} ({:+.1}) stand within {HYPOTHESIS_MARGIN:.1} of each other",
            b.name, b.standing, list[r].name, list[r].standing
        )),
        _ => s.push_str(&format!(
            "the best-supported, {}, stands at {:+.1}",
            b.name, b.standing
        )),
    }
    s.push_str("; what would tell them apart: ");
    s.push_str(&b.tell_apart);
    s
}

fn why(list: &[Weighed], b: usize) -> String {
    let h = &list[b];
    let mut s = format!(
        "{} has the most support (standing {:+.1})",
        h.name, h.standing
    );
    if let Some(top) = h
        .evidence_for
        .iter()
        .max_by(|x, y| x.weight.total_cmp(&y.weight))
    {
        s.push_str(": ");
        s.push_str(&top.text);
    }
    let rival = list
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != b)
        .max_by(|x, y| x.1.standing.total_cmp(&y.1.standing));
    if let Some((_, r)) = rival {
        s.push_str(&format!(
            "; {} is less likely (standing {:+.1})",
            r.name, r.standing
        ));
        if let Some(top) = r
            .evidence_against
            .iter()
            .max_by(|x, y| x.weight.total_cmp(&y.weight))
        {
            s.push_str(" because ");
            s.push_str(&top.text);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Value;

    const FILE: &str = r#"
[[hypothesis]]
id = "a"
name = "A on {cluster.dest_port}"
nature = "benign"
records = ["firewall"]
applies = ["cluster.members >= 1"]
tell_apart = "look"
[[hypothesis.for]]
when = ["cluster.dest_never_answered"]
weight = 2.0
text = "silent"

[[hypothesis]]
id = "b"
name = "B"
nature = "malicious"
records = ["firewall"]
applies = ["cluster.members >= 1"]
tell_apart = "look harder"
[[hypothesis.against]]
when = ["cluster.dest_never_answered"]
weight = 1.0
text = "a worm gets answers"
"#;

    #[test]
    fn the_best_supported_is_favoured_with_reasons() {
        let h = Hypotheses::parse("t", FILE).unwrap();
        let mut f = Facts::with_vocabulary(CLUSTER_KEYS);
        f.set_named("cluster.members", Value::Num(3.0));
        f.set_named("cluster.dest_port", Value::Num(445.0));
        f.set_named("cluster.dest_never_answered", Value::Bool(true));
        let o = h.weigh(&f, "firewall", Verdict::FalsePositive);
        assert_eq!(o.list.len(), 2);
        assert_eq!(o.favoured, Some(0));
        assert_eq!(o.list[0].name, "A on 445");
        assert!(
            o.why.contains("silent") && o.why.contains("a worm gets answers"),
            "{}",
            o.why
        );
        assert_eq!(o.conflict, None);
        // Issue #8: a tie (+0.0 against +0.0) favours nothing, and says what would decide.
        f.set_named("cluster.dest_never_answered", Value::Bool(false));
        let o = h.weigh(&f, "firewall", Verdict::Undetermined);
        assert_eq!(o.favoured, None, "a tie favours nothing");
        assert!(o.why.starts_with("no hypothesis is favoured"), "{}", o.why);
        assert!(o.why.contains("look"), "{}", o.why);
        // Only the record kinds a hypothesis names.
        assert!(h
            .weigh(&f, "ids_alert", Verdict::Undetermined)
            .list
            .is_empty());
    }

    #[test]
    fn a_favoured_explanation_that_contradicts_the_verdict_is_a_conflict() {
        // Issue #8: a cluster called false_positive whose favoured hypothesis was a worm.
        let file = FILE.replace(
            "[[hypothesis.against]]\nwhen = [\"cluster.dest_never_answered\"]\nweight = 1.0",
            "[[hypothesis.for]]\nwhen = [\"cluster.dest_never_answered\"]\nweight = 4.0",
        );
        let h = Hypotheses::parse("t", &file).unwrap();
        let mut f = Facts::with_vocabulary(CLUSTER_KEYS);
        f.set_named("cluster.members", Value::Num(3.0));
        f.set_named("cluster.dest_never_answered", Value::Bool(true));
        let o = h.weigh(&f, "firewall", Verdict::FalsePositive);
        assert_eq!(o.list[o.favoured.unwrap()].id, "b");
        assert!(
            o.conflict.as_deref().unwrap().contains("look harder"),
            "{o:?}"
        );
    }

    #[test]
    fn unknown_facts_and_bad_weights_are_rejected() {
        assert!(Hypotheses::parse("t", &FILE.replace("cluster.members", "cluster.nope")).is_err());
        assert!(Hypotheses::parse("t", &FILE.replace("records = [\"firewall\"]\n", "")).is_err());
        assert!(
            Hypotheses::parse("t", &FILE.replace("weight = 2.0", "weight = -2.0"))
                .unwrap_err()
                .contains("hypothesis a")
        );
    }
}
