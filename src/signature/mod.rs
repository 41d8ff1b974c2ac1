//! Signature intelligence: the IDS rules behind alerts.
//!
//! Snort and Suricata call them "rules"; in fpx the word "rules" is kept for fpx's own evidence
//! rules, so IDS rules are *signatures* here.
//!
//! - [`parse`]: the rule language (Snort 2.9, Suricata 7/8, Snort 3 basics) into typed [`Rule`]s.
//! - [`maps`]: sid-msg.map, gen-msg.map, classification.config, reference.config.
//! - [`vars`]: network variables and the evaluation of a rule header against an alert.
//! - [`replay`]: the rule's payload options replayed on bytes, with where each matched.
//! - [`set`]: a loaded [`RuleSet`] with lookup by (gid, sid) and by msg.
//! - [`lint`]: rule weaknesses and what later revisions of a sid changed.

pub mod context;
pub mod lint;
pub mod maps;
pub mod parse;
pub mod replay;

pub mod set;
pub mod vars;

use std::fmt;
use std::sync::Arc;

use thiserror::Error;

pub use context::{RuleAnalysis, SignatureConfig, SignatureContext};
pub use lint::{lint_paths, LintReport};
pub use parse::{parse_rule, parse_rules, Rule};
pub use set::RuleSet;

/// Where a rule, map entry or variable came from: the file and the 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub path: Arc<str>,
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// Errors of the signature subsystem. A bad rule is an error for that rule only: loaders
/// collect these and go on with the next rule.
#[derive(Debug, Error)]
pub enum SignatureError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Syntax { origin: Origin, message: String },
}

impl SignatureError {
    pub(crate) fn syntax(origin: &Origin, message: impl Into<String>) -> Self {
        SignatureError::Syntax {
            origin: origin.clone(),
            message: message.into(),
        }
    }
}
