//! Evidence: facts about an alert, tested by the rules in `rules/`, become weighted statements.

pub mod claims;
pub mod facts;
pub mod rules;

use std::path::Path;

pub use facts::{
    compute as compute_facts, compute_rule as compute_rule_facts,
    compute_variables as compute_variable_facts, compute_with as compute_facts_with, Facts,
    GivenVars, SignatureFacts, SignatureInfo, Value, Vocabulary, KEYS,
};
pub use rules::{Condition, Evidence, Prior, Rule, RuleBook, Scope, Supports, Template};

/// The evidence rule files, embedded at build time; `--evidence-rules DIR` replaces any of them
/// with a file of the same name and adds further `*.toml` files found there.
pub const FILES: [(&str, &str); 9] = [
    ("priors.toml", include_str!("../../rules/priors.toml")),
    (
        "false-positive.toml",
        include_str!("../../rules/false-positive.toml"),
    ),
    (
        "true-positive.toml",
        include_str!("../../rules/true-positive.toml"),
    ),
    ("flow.toml", include_str!("../../rules/flow.toml")),
    ("signature.toml", include_str!("../../rules/signature.toml")),
    ("context.toml", include_str!("../../rules/context.toml")),
    ("feedback.toml", include_str!("../../rules/feedback.toml")),
    ("activity.toml", include_str!("../../rules/activity.toml")),
    ("variables.toml", include_str!("../../rules/variables.toml")),
];

/// Rule files in the same directory that belong to other stages (the cluster stage's facts
/// are another vocabulary), skipped here.
pub const OTHER_STAGES: [&str; 3] = ["clusters.toml", "hypotheses.toml", "claims.toml"];

/// Checks what the rules of an alert book say of themselves: alert rules read IDS alerts
/// only, and every claim is one `rules/claims.toml` knows.
pub fn check_rules(book: &RuleBook) -> Result<(), String> {
    let claims = claims::Claims::embedded();
    for r in &book.rules {
        if r.records.iter().any(|k| k != "ids_alert") {
            return Err(format!(
                "{}: rule {}: alert rules read IDS alerts only (`records` may name ids_alert alone)",
                r.origin, r.id
            ));
        }
        check_claims(&claims, r)?;
    }
    Ok(())
}

/// Checks that a rule's claims are known.
pub fn check_claims(claims: &claims::Claims, r: &Rule) -> Result<(), String> {
    match r.claims.iter().find(|c| !claims.knows(c)) {
        Some(c) => Err(format!(
            "{}: rule {}: unknown claim {c:?} (rules/claims.toml lists them)",
            r.origin, r.id
        )),
        None => Ok(()),
    }
}

/// Loads the embedded rule files, replaced or extended by files in `dir`.
pub fn load_rules(dir: Option<&Path>) -> Result<RuleBook, String> {
    let mut book = RuleBook::default();
    for (name, text) in FILES {
        match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
            Some(p) => {
                let t = crate::input::limits::read_text(
                    &p,
                    crate::input::limits::MAX_TOML_FILE,
                    "rule file",
                )
                .map_err(|e| format!("{}: {e}", p.display()))?;
                book.add_file(&p.display().to_string(), &t)?;
            }
            None => book.add_file(&format!("rules/{name}"), text)?,
        }
    }
    if let Some(dir) = dir {
        let mut extra: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "toml")
                    && !OTHER_STAGES
                        .iter()
                        .any(|n| p.file_name().is_some_and(|f| f == *n))
                    && !FILES
                        .iter()
                        .any(|(n, _)| p.file_name().is_some_and(|f| f == *n))
            })
            .collect();
        extra.sort();
        for p in extra {
            let t = crate::input::limits::read_text(
                &p,
                crate::input::limits::MAX_TOML_FILE,
                "rule file",
            )
            .map_err(|e| format!("{}: {e}", p.display()))?;
            book.add_file(&p.display().to_string(), &t)?;
        }
    }
    check_rules(&book)?;
    Ok(book)
}

/// The embedded rules' source directory, for tools and tests.
pub fn source_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}
