//! Scoring: a prior from what the signature claims, plus the evidence in log-odds, gives the
//! false-positive probability and the verdict.
//!
//! `fp_probability = sigmoid(logit(prior) + Σ evidence.log_odds)`. Positive log-odds point to
//! "not an attack"; negative ones to "an attack". See the README's scoring section.

use std::borrow::Borrow;

use crate::evidence::{Evidence, RuleBook, Supports};

/// At or above this probability the verdict is benign (false positive or benign trigger).
pub const BENIGN_THRESHOLD: f64 = 0.7;
/// At or below this probability the verdict is true positive.
pub const ATTACK_THRESHOLD: f64 = 0.3;
/// Evidence of at least this weight (in absolute log-odds) is a reason; lighter evidence is a
/// hint. A verdict other than `undetermined` needs a reason pointing its way: hints move the
/// probability but never decide on their own (README, "Scoring model"). On the weight scale
/// +1 is "supporting", +0.5 "a hint".
pub const REASON_WEIGHT: f64 = 1.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    FalsePositive,
    BenignTrigger,
    TruePositive,
    Undetermined,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::FalsePositive => "false_positive",
            Verdict::BenignTrigger => "benign_trigger",
            Verdict::TruePositive => "true_positive",
            Verdict::Undetermined => "undetermined",
        }
    }

    /// False positive or benign trigger: not an attack to act on.
    pub fn is_benign(self) -> bool {
        matches!(self, Verdict::FalsePositive | Verdict::BenignTrigger)
    }
}

/// The score of one alert or cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub prior: f64,
    pub prior_intent: String,
    pub prior_reason: String,
    pub fp_probability: f64,
    pub verdict: Verdict,
    /// Index into the evidence of the item that best explains the verdict.
    pub root_cause: Option<usize>,
    /// For an undetermined verdict, why the evidence does not decide.
    pub undecided: Option<String>,
    /// For an undetermined verdict, what would decide it.
    pub decide: Option<String>,
}

impl Score {
    /// Marks the score undetermined: `why` it cannot be decided; the root cause stays the
    /// strongest evidence either way.
    pub fn undetermine<E: Borrow<Evidence>>(&mut self, why: String, evidence: &[E]) {
        self.verdict = Verdict::Undetermined;
        self.undecided = Some(why);
        self.root_cause = strongest(evidence, &ALL);
    }
}

pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

const ALL: [Supports; 3] = [
    Supports::FalsePositive,
    Supports::BenignTrigger,
    Supports::TruePositive,
];

fn strongest<E: Borrow<Evidence>>(evidence: &[E], kinds: &[Supports]) -> Option<usize> {
    evidence
        .iter()
        .map(Borrow::borrow)
        .enumerate()
        .filter(|(_, e)| kinds.contains(&e.supports))
        .max_by(|a, b| a.1.log_odds.abs().total_cmp(&b.1.log_odds.abs()))
        .map(|(i, _)| i)
}

/// Scores evidence given the signature's intent. The evidence may be owned or borrowed (the
/// explain job scores an alert's own evidence with its cluster's without copying either).
pub fn score<E: Borrow<Evidence>>(book: &RuleBook, intent: Option<&str>, list: &[E]) -> Score {
    let evidence = || list.iter().map(Borrow::borrow);
    let (prior, prior_intent, prior_reason, decide) = match book.prior(intent) {
        Some(p) => (
            p.fp_probability,
            p.intent.clone(),
            p.reason.clone(),
            p.decide.clone(),
        ),
        None => (
            0.5,
            "default".to_string(),
            "no prior configured".to_string(),
            String::new(),
        ),
    };
    let total: f64 = logit(prior) + evidence().map(|e| e.log_odds).sum::<f64>();
    let p = sigmoid(total);
    // Rounded for stable output: three decimals are more than the model's precision.
    let fp_probability = (p * 1000.0).round() / 1000.0;
    let sum = |s: Supports| -> f64 {
        evidence()
            .filter(|e| e.supports == s)
            .map(|e| e.log_odds.abs())
            .sum()
    };
    let reason = |kinds: &[Supports]| {
        evidence().any(|e| kinds.contains(&e.supports) && e.log_odds.abs() >= REASON_WEIGHT)
    };
    let benign = [Supports::FalsePositive, Supports::BenignTrigger];
    let (verdict, undecided) = if list.is_empty() {
        (
            Verdict::Undetermined,
            Some("no evidence rule applied".to_string()),
        )
    } else if p >= BENIGN_THRESHOLD && reason(&benign) {
        if sum(Supports::FalsePositive) >= sum(Supports::BenignTrigger) {
            (Verdict::FalsePositive, None)
        } else {
            (Verdict::BenignTrigger, None)
        }
    } else if p <= ATTACK_THRESHOLD && reason(&[Supports::TruePositive]) {
        (Verdict::TruePositive, None)
    } else if p >= BENIGN_THRESHOLD || p <= ATTACK_THRESHOLD {
        let way = if p >= BENIGN_THRESHOLD {
            "toward benign"
        } else {
            "toward an attack"
        };
        (
            Verdict::Undetermined,
            Some(format!(
                "the evidence leans {way} (p {fp_probability:.2}), but only through hints \
                 (weights under {REASON_WEIGHT:.1}), and hints alone decide nothing"
            )),
        )
    } else {
        (
            Verdict::Undetermined,
            Some(format!(
                "the evidence does not move the estimate far enough either way (p {fp_probability:.2})"
            )),
        )
    };
    // Attack evidence that vetoes a benign verdict (an analyst saw an attack here) leaves it
    // open at most.
    let veto = evidence().find(|e| e.vetoes_benign && e.supports == Supports::TruePositive);
    let (verdict, undecided) = match veto {
        Some(v) if verdict.is_benign() => (
            Verdict::Undetermined,
            Some(format!(
                "{}, against the rest of the evidence (p {fp_probability:.2}): that verdict \
                 stands until an analyst looks again",
                v.cause
            )),
        ),
        _ => (verdict, undecided),
    };
    let wanted: &[Supports] = match verdict {
        Verdict::FalsePositive => &[Supports::FalsePositive],
        Verdict::BenignTrigger => &[Supports::BenignTrigger],
        Verdict::TruePositive => &[Supports::TruePositive],
        Verdict::Undetermined => &ALL,
    };
    let undetermined = verdict == Verdict::Undetermined;
    Score {
        prior,
        prior_intent,
        prior_reason,
        fp_probability,
        verdict,
        root_cause: strongest(list, wanted),
        undecided,
        decide: (undetermined && !decide.is_empty()).then_some(decide),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(supports: Supports, log_odds: f64) -> Evidence {
        Evidence {
            id: format!("{log_odds}"),
            scope: crate::evidence::Scope::Alert,
            supports,
            log_odds,
            cause: String::new(),
            text: String::new(),
            refs: vec![],
            suggestions: vec![],
            alert_only: false,
            vetoes_benign: false,
            finding: None,
        }
    }

    fn book() -> RuleBook {
        let mut b = RuleBook::default();
        b.add_file(
            "p",
            "[[prior]]\nintent = \"default\"\nfp_probability = 0.5\nreason = \"r\"\ndecide = \"look\"\n",
        )
        .unwrap();
        b
    }

    #[test]
    fn no_evidence_is_undetermined() {
        let s = score::<Evidence>(&book(), None, &[]);
        assert_eq!(s.verdict, Verdict::Undetermined);
        assert_eq!(s.fp_probability, 0.5);
    }

    #[test]
    fn hints_alone_never_decide() {
        // Issue #8: an mstream session was called false_positive 0.80 from two +0.5 hints.
        let s = score(
            &book(),
            None,
            &[
                ev(Supports::FalsePositive, 0.5),
                ev(Supports::BenignTrigger, 0.5),
            ],
        );
        assert!(s.fp_probability >= BENIGN_THRESHOLD);
        assert_eq!(s.verdict, Verdict::Undetermined);
        assert!(s.undecided.as_deref().unwrap().contains("hints"), "{s:?}");
        let s = score(
            &book(),
            None,
            &[
                ev(Supports::TruePositive, -0.7),
                ev(Supports::TruePositive, -0.5),
            ],
        );
        assert_eq!(s.verdict, Verdict::Undetermined);
        let s = score(
            &book(),
            None,
            &[
                ev(Supports::TruePositive, -1.0),
                ev(Supports::TruePositive, -0.5),
            ],
        );
        assert_eq!(s.verdict, Verdict::TruePositive);
    }

    #[test]
    fn evidence_moves_the_probability_both_ways() {
        let s = score(&book(), None, &[ev(Supports::FalsePositive, 2.0)]);
        assert_eq!(s.verdict, Verdict::FalsePositive);
        assert!((s.fp_probability - 0.881).abs() < 1e-9);
        let s = score(&book(), None, &[ev(Supports::TruePositive, -2.0)]);
        assert_eq!(s.verdict, Verdict::TruePositive);
        let s = score(
            &book(),
            None,
            &[
                ev(Supports::BenignTrigger, 2.0),
                ev(Supports::FalsePositive, 0.5),
            ],
        );
        assert_eq!(s.verdict, Verdict::BenignTrigger);
        assert_eq!(s.root_cause, Some(0));
    }
}
