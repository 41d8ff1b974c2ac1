//! Scoring: a prior from what the signature claims, plus the evidence in log-odds, gives the
//! false-positive probability and the verdict.
//!
//! `fp_probability = sigmoid(logit(prior) + Σ evidence.log_odds)`. Positive log-odds point to
//! "not an attack"; negative ones to "an attack". See the README's scoring section.

use crate::evidence::{Evidence, RuleBook, Supports};

/// At or above this probability the verdict is benign (false positive or benign trigger).
pub const BENIGN_THRESHOLD: f64 = 0.7;
/// At or below this probability the verdict is true positive.
pub const ATTACK_THRESHOLD: f64 = 0.3;

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
}

/// The score of one alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub prior: f64,
    pub prior_intent: String,
    pub prior_reason: String,
    pub fp_probability: f64,
    pub verdict: Verdict,
    /// Index into the evidence of the item that best explains the verdict.
    pub root_cause: Option<usize>,
}

pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Scores evidence given the signature's intent.
pub fn score(book: &RuleBook, intent: Option<&str>, evidence: &[Evidence]) -> Score {
    let (prior, prior_intent, prior_reason) = match book.prior(intent) {
        Some(p) => (p.fp_probability, p.intent.clone(), p.reason.clone()),
        None => (
            0.5,
            "default".to_string(),
            "no prior configured".to_string(),
        ),
    };
    let total: f64 = logit(prior) + evidence.iter().map(|e| e.log_odds).sum::<f64>();
    let p = sigmoid(total);
    // Rounded for stable output: three decimals are more than the model's precision.
    let fp_probability = (p * 1000.0).round() / 1000.0;
    let sum = |s: Supports| -> f64 {
        evidence
            .iter()
            .filter(|e| e.supports == s)
            .map(|e| e.log_odds.abs())
            .sum()
    };
    let verdict = if evidence.is_empty() {
        Verdict::Undetermined
    } else if p >= BENIGN_THRESHOLD {
        if sum(Supports::FalsePositive) >= sum(Supports::BenignTrigger) {
            Verdict::FalsePositive
        } else {
            Verdict::BenignTrigger
        }
    } else if p <= ATTACK_THRESHOLD {
        Verdict::TruePositive
    } else {
        Verdict::Undetermined
    };
    let wanted: &[Supports] = match verdict {
        Verdict::FalsePositive => &[Supports::FalsePositive],
        Verdict::BenignTrigger => &[Supports::BenignTrigger],
        Verdict::TruePositive => &[Supports::TruePositive],
        Verdict::Undetermined => &[
            Supports::FalsePositive,
            Supports::BenignTrigger,
            Supports::TruePositive,
        ],
    };
    let root_cause = evidence
        .iter()
        .enumerate()
        .filter(|(_, e)| wanted.contains(&e.supports))
        .max_by(|a, b| a.1.log_odds.abs().total_cmp(&b.1.log_odds.abs()))
        .map(|(i, _)| i);
    Score {
        prior,
        prior_intent,
        prior_reason,
        fp_probability,
        verdict,
        root_cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(supports: Supports, log_odds: f64) -> Evidence {
        Evidence {
            id: format!("{log_odds}"),
            supports,
            log_odds,
            cause: String::new(),
            text: String::new(),
            refs: vec![],
            suggestions: vec![],
        }
    }

    fn book() -> RuleBook {
        let mut b = RuleBook::default();
        b.add_file(
            "p",
            "[[prior]]\nintent = \"default\"\nfp_probability = 0.5\nreason = \"r\"\n",
        )
        .unwrap();
        b
    }

    #[test]
    fn no_evidence_is_undetermined() {
        let s = score(&book(), None, &[]);
        assert_eq!(s.verdict, Verdict::Undetermined);
        assert_eq!(s.fp_probability, 0.5);
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
