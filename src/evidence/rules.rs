//! Evidence rules: conditions over facts, a weight in log-odds, and the words that explain them.
//! The rules are data (`rules/*.toml`); this file reads and evaluates them.

use std::fmt::Write as _;

use serde::Deserialize;

use super::facts::{index_in, Facts, Value, Vocabulary, KEYS};

/// Which verdict a piece of evidence supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supports {
    /// The traffic is not what the signature describes.
    FalsePositive,
    /// The traffic is what the signature describes, but expected and harmless.
    BenignTrigger,
    /// The traffic is what the signature describes, and looks harmful.
    TruePositive,
}

impl Supports {
    pub fn as_str(self) -> &'static str {
        match self {
            Supports::FalsePositive => "false_positive",
            Supports::BenignTrigger => "benign_trigger",
            Supports::TruePositive => "true_positive",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    supports: Supports,
    log_odds: f64,
    weight_reason: String,
    when: Vec<String>,
    cause: String,
    text: String,
    #[serde(default)]
    refs: Vec<String>,
    #[serde(default)]
    suggest: Vec<String>,
    /// The kinds of record the rule reads (`ids_alert`, `firewall`, `connection`,
    /// `protocol`); required for cluster rules, which are never applied to other kinds.
    #[serde(default)]
    records: Vec<String>,
    /// What the evidence asserts about the world (`dest.silent`, `dest.reachable`, ...), so
    /// that contradicting evidence can be caught (see `rules/claims.toml`).
    #[serde(default)]
    claims: Vec<String>,
    /// The evidence stays with its alert and does not reach its cluster (analysts' verdicts
    /// about one host must not speak for the other hosts of a cluster).
    #[serde(default)]
    alert_only: bool,
    /// For attack evidence: while it holds, the verdict cannot be benign, whatever the rest
    /// weighs (an analyst who saw an attack is overruled only by another analyst).
    #[serde(default)]
    vetoes_benign: bool,
    /// What the evidence says about the run rather than the alert (a variable set wrong),
    /// said once in the summary with the count of alerts it explains.
    #[serde(default)]
    finding: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    prior: Vec<RawPrior>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrior {
    intent: String,
    fp_probability: f64,
    reason: String,
    #[serde(default)]
    decide: String,
}

/// A prior false-positive probability for alerts of one signature intent.
#[derive(Clone, Debug)]
pub struct Prior {
    pub intent: String,
    pub fp_probability: f64,
    pub reason: String,
    /// What would decide an alert of this intent that the evidence leaves undetermined.
    pub decide: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Op {
    Truthy,
    Falsy,
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Ge(f64),
    Gt(f64),
    Le(f64),
    Lt(f64),
}

/// One condition of a rule (`key`, `!key`, `key == v`, `key in [a, b]`, `key >= n`, ...).
#[derive(Clone, Debug)]
pub struct Condition {
    key: usize,
    op: Op,
}

impl Condition {
    /// Parses a condition over the facts of `keys`.
    pub fn parse(s: &str, keys: Vocabulary) -> Result<Condition, String> {
        parse_condition(s, keys)
    }

    pub fn holds(&self, facts: &Facts) -> bool {
        holds(self, facts)
    }
}

/// A piece of template text: literal text and fact references.
#[derive(Clone, Debug)]
enum Piece {
    Lit(String),
    Fact(usize),
}

/// Text with `{fact}` references, rendered against a fact table.
#[derive(Clone, Debug)]
pub struct Template(Vec<Piece>);

impl Template {
    /// Parses a template over the facts of `keys`.
    pub fn parse(s: &str, keys: Vocabulary) -> Result<Template, String> {
        parse_template(s, keys)
    }

    /// The text, with `(unknown)` for facts without a value.
    pub fn render(&self, facts: &Facts) -> String {
        render(self, facts)
    }
}

/// One compiled evidence rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub supports: Supports,
    pub log_odds: f64,
    pub weight_reason: String,
    when: Vec<Condition>,
    cause: Template,
    text: Template,
    refs: Vec<Template>,
    suggest: Vec<Template>,
    /// The record kinds the rule reads; empty for alert rules (IDS alerts only).
    pub records: Vec<String>,
    /// What the evidence asserts about the world.
    pub claims: Vec<String>,
    /// The evidence stays with its alert: it is left out of what the alert brings its cluster.
    pub alert_only: bool,
    /// While it holds, the verdict is not benign (see `score::score`).
    pub vetoes_benign: bool,
    /// See [`RawRule::finding`].
    finding: Option<Template>,
    /// `file` it came from, for messages.
    pub origin: String,
}

/// Where a piece of evidence was found: in the record itself (with what the state said about
/// its flow and hosts), or in the cluster it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Alert,
    Cluster,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Alert => "alert",
            Scope::Cluster => "cluster",
        }
    }
}

/// A rule that held for an alert, with its words rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub id: String,
    pub scope: Scope,
    pub supports: Supports,
    pub log_odds: f64,
    pub cause: String,
    pub text: String,
    pub refs: Vec<String>,
    pub suggestions: Vec<String>,
    /// Left out of what the alert brings its cluster (see [`Rule::alert_only`]).
    pub alert_only: bool,
    /// See [`Rule::vetoes_benign`].
    pub vetoes_benign: bool,
    /// The run-level finding the evidence stands for, rendered (see [`RawRule::finding`]).
    pub finding: Option<String>,
}

/// All evidence rules and priors, over one fact vocabulary (the alert facts unless built with
/// [`RuleBook::with_vocabulary`]).
#[derive(Clone, Debug)]
pub struct RuleBook {
    pub rules: Vec<Rule>,
    pub priors: Vec<Prior>,
    keys: Vocabulary,
}

impl Default for RuleBook {
    fn default() -> Self {
        RuleBook::with_vocabulary(KEYS)
    }
}

impl RuleBook {
    /// An empty book whose rules test the facts of `keys`.
    pub fn with_vocabulary(keys: Vocabulary) -> Self {
        RuleBook {
            rules: Vec::new(),
            priors: Vec::new(),
            keys,
        }
    }

    /// Adds the rules and priors of one file; errors name the file and the rule.
    pub fn add_file(&mut self, origin: &str, text: &str) -> Result<(), String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        for r in raw.rule {
            let rule = compile(r, origin, self.keys)?;
            if self.rules.iter().any(|x| x.id == rule.id) {
                return Err(format!("{origin}: rule {}: id used twice", rule.id));
            }
            self.rules.push(rule);
        }
        for p in raw.prior {
            if !(0.01..=0.99).contains(&p.fp_probability) {
                return Err(format!(
                    "{origin}: prior {}: fp_probability must lie in 0.01..=0.99",
                    p.intent
                ));
            }
            self.priors.push(Prior {
                intent: p.intent,
                fp_probability: p.fp_probability,
                reason: p.reason,
                decide: p.decide,
            });
        }
        Ok(())
    }

    /// Evaluates every rule on `facts`, appending what holds to `out` (strongest first).
    pub fn evaluate(&self, facts: &Facts, out: &mut Vec<Evidence>) {
        self.evaluate_records(facts, None, out);
    }

    /// Evaluates the rules that read records of `kind` (every rule when `None`): a rule
    /// naming other kinds in `records` is never applied.
    pub fn evaluate_records(&self, facts: &Facts, kind: Option<&str>, out: &mut Vec<Evidence>) {
        out.clear();
        for r in &self.rules {
            let reads = kind.is_none_or(|k| r.records.iter().any(|x| x == k));
            if reads && r.when.iter().all(|c| holds(c, facts)) {
                out.push(Evidence {
                    id: r.id.clone(),
                    scope: Scope::Alert,
                    supports: r.supports,
                    log_odds: r.log_odds,
                    cause: render(&r.cause, facts),
                    text: render(&r.text, facts),
                    refs: r.refs.iter().fold(Vec::new(), |mut acc, t| {
                        let s = render(t, facts);
                        if !s.is_empty() && !s.contains(UNKNOWN) && !acc.contains(&s) {
                            acc.push(s);
                        }
                        acc
                    }),
                    suggestions: r.suggest.iter().map(|t| render(t, facts)).collect(),
                    alert_only: r.alert_only,
                    vetoes_benign: r.vetoes_benign,
                    finding: r.finding.as_ref().map(|t| render(t, facts)),
                });
            }
        }
        out.sort_by(|a, b| b.log_odds.abs().total_cmp(&a.log_odds.abs()));
    }

    pub fn prior(&self, intent: Option<&str>) -> Option<&Prior> {
        let want = intent.unwrap_or("default");
        self.priors
            .iter()
            .find(|p| p.intent == want)
            .or_else(|| self.priors.iter().find(|p| p.intent == "default"))
    }
}

const UNKNOWN: &str = "(unknown)";

fn holds(c: &Condition, facts: &Facts) -> bool {
    let v = facts.get(c.key);
    match &c.op {
        Op::Truthy => v.is_some_and(Value::truthy),
        Op::Falsy => !v.is_some_and(Value::truthy),
        Op::Eq(want) => v.is_some_and(|v| value_eq(v, want)),
        Op::Ne(want) => !v.is_some_and(|v| value_eq(v, want)),
        Op::In(set) => v.is_some_and(|v| set.iter().any(|w| value_eq(v, w))),
        Op::Ge(n) => num(v).is_some_and(|x| x >= *n),
        Op::Gt(n) => num(v).is_some_and(|x| x > *n),
        Op::Le(n) => num(v).is_some_and(|x| x <= *n),
        Op::Lt(n) => num(v).is_some_and(|x| x < *n),
    }
}

fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Num(n) => Some(*n),
        Value::Str(s) => s.parse().ok(),
        Value::Bool(_) => None,
    }
}

fn value_eq(v: &Value, want: &str) -> bool {
    match v {
        Value::Str(s) => s.eq_ignore_ascii_case(want),
        Value::Num(n) => want.parse::<f64>().is_ok_and(|w| w == *n),
        Value::Bool(b) => want.parse::<bool>().is_ok_and(|w| w == *b),
    }
}

fn render(t: &Template, facts: &Facts) -> String {
    let mut s = String::new();
    for p in &t.0 {
        match p {
            Piece::Lit(l) => s.push_str(l),
            Piece::Fact(i) => match facts.get(*i) {
                Some(v) => {
                    let _ = write!(s, "{v}");
                }
                None => s.push_str(UNKNOWN),
            },
        }
    }
    s
}

fn compile(r: RawRule, origin: &str, keys: Vocabulary) -> Result<Rule, String> {
    let ctx = |m: String| format!("{origin}: rule {}: {m}", r.id);
    match r.supports {
        Supports::TruePositive if r.log_odds >= 0.0 => {
            return Err(ctx("true_positive evidence needs negative log_odds".into()))
        }
        Supports::FalsePositive | Supports::BenignTrigger if r.log_odds <= 0.0 => {
            return Err(ctx(
                "false_positive/benign_trigger evidence needs positive log_odds".into(),
            ))
        }
        _ => {}
    }
    if r.when.is_empty() {
        return Err(ctx("a rule needs at least one condition".into()));
    }
    let when = r
        .when
        .iter()
        .map(|c| parse_condition(c, keys).map_err(&ctx))
        .collect::<Result<Vec<_>, _>>()?;
    let tpl = |s: &str| parse_template(s, keys).map_err(&ctx);
    let finding = r.finding.as_deref().map(tpl).transpose()?;
    Ok(Rule {
        when,
        cause: tpl(&r.cause)?,
        text: tpl(&r.text)?,
        refs: r.refs.iter().map(|s| tpl(s)).collect::<Result<_, _>>()?,
        suggest: r.suggest.iter().map(|s| tpl(s)).collect::<Result<_, _>>()?,
        id: r.id,
        supports: r.supports,
        log_odds: r.log_odds,
        weight_reason: r.weight_reason,
        records: r.records,
        claims: r.claims,
        alert_only: r.alert_only,
        vetoes_benign: r.vetoes_benign,
        finding,
        origin: origin.to_string(),
    })
}

fn fact(name: &str, keys: Vocabulary) -> Result<usize, String> {
    index_in(keys, name).ok_or_else(|| format!("unknown fact {name:?} (see `fpx facts`)"))
}

fn parse_condition(s: &str, keys: Vocabulary) -> Result<Condition, String> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('!') {
        return Ok(Condition {
            key: fact(rest.trim(), keys)?,
            op: Op::Falsy,
        });
    }
    let mut parts = s.splitn(3, char::is_whitespace);
    let key = parts.next().unwrap_or_default();
    let Some(op) = parts.next() else {
        return Ok(Condition {
            key: fact(key, keys)?,
            op: Op::Truthy,
        });
    };
    let arg = parts
        .next()
        .map(str::trim)
        .ok_or_else(|| format!("condition {s:?}: missing value after {op}"))?;
    let unquote = |a: &str| a.trim().trim_matches('"').to_string();
    let number = |a: &str| {
        a.trim()
            .parse::<f64>()
            .map_err(|_| format!("condition {s:?}: {a:?} is not a number"))
    };
    let op = match op {
        "==" => Op::Eq(unquote(arg)),
        "!=" => Op::Ne(unquote(arg)),
        ">=" => Op::Ge(number(arg)?),
        ">" => Op::Gt(number(arg)?),
        "<=" => Op::Le(number(arg)?),
        "<" => Op::Lt(number(arg)?),
        "in" => {
            let inner = arg
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
                .ok_or_else(|| format!("condition {s:?}: `in` needs [a, b, ...]"))?;
            Op::In(
                inner
                    .split(',')
                    .map(unquote)
                    .filter(|x| !x.is_empty())
                    .collect(),
            )
        }
        other => return Err(format!("condition {s:?}: unknown operator {other:?}")),
    };
    Ok(Condition {
        key: fact(key, keys)?,
        op,
    })
}

fn parse_template(s: &str, keys: Vocabulary) -> Result<Template, String> {
    let mut pieces = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Lit(rest[..open].to_string()));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("template {s:?}: unclosed {{"))?;
        pieces.push(Piece::Fact(fact(after[..close].trim(), keys)?));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Lit(rest.to_string()));
    }
    Ok(Template(pieces))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse() {
        let c = parse_condition("dest.multicast_scope == link-local", KEYS).unwrap();
        assert_eq!(c.op, Op::Eq("link-local".into()));
        let c = parse_condition("signature.intent in [p2p, malware-c2]", KEYS).unwrap();
        assert_eq!(c.op, Op::In(vec!["p2p".into(), "malware-c2".into()]));
        assert_eq!(
            parse_condition("!payload.present", KEYS).unwrap().op,
            Op::Falsy
        );
        assert_eq!(
            parse_condition("payload.len >= 3", KEYS).unwrap().op,
            Op::Ge(3.0)
        );
        assert!(parse_condition("no.such.fact", KEYS).is_err());
        assert!(parse_condition("payload.len >= x", KEYS).is_err());
        assert!(parse_condition("payload.len ~ x", KEYS).is_err());
    }

    #[test]
    fn templates_parse_and_reject_unknown_facts() {
        assert!(parse_template("to {dest.ip} port {dest.port}", KEYS).is_ok());
        assert!(parse_template("{nope}", KEYS).is_err());
        assert!(parse_template("{dest.ip", KEYS).is_err());
    }

    #[test]
    fn weights_must_point_the_right_way() {
        let mut book = RuleBook::default();
        let bad = r#"
[[rule]]
id = "x"
supports = "true_positive"
log_odds = 1.0
weight_reason = "r"
when = ["payload.present"]
cause = "c"
text = "t"
"#;
        let e = book.add_file("f.toml", bad).unwrap_err();
        assert!(e.contains("f.toml") && e.contains("rule x"), "{e}");
    }
}
