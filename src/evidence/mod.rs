//! Evidence: facts about an alert, tested by the rules in `rules/`, become weighted statements.

pub mod facts;
pub mod rules;

use std::path::Path;

pub use facts::{
    compute as compute_facts, compute_rule as compute_rule_facts, Facts, SignatureInfo, Value,
    Vocabulary, KEYS,
};
pub use rules::{Condition, Evidence, Prior, Rule, RuleBook, Supports, Template};

/// The evidence rule files, embedded at build time; `--evidence-rules DIR` replaces any of them
/// with a file of the same name and adds further `*.toml` files found there.
pub const FILES: [(&str, &str); 6] = [
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
];

/// Rule files in the same directory that belong to other stages (the cluster stage's facts
/// are another vocabulary), skipped here.
pub const OTHER_STAGES: [&str; 2] = ["clusters.toml", "hypotheses.toml"];

/// Loads the embedded rule files, replaced or extended by files in `dir`.
pub fn load_rules(dir: Option<&Path>) -> Result<RuleBook, String> {
    let mut book = RuleBook::default();
    for (name, text) in FILES {
        match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
            Some(p) => {
                let t = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
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
            let t = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            book.add_file(&p.display().to_string(), &t)?;
        }
    }
    Ok(book)
}

/// The embedded rules' source directory, for tools and tests.
pub fn source_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}
