//! Shared by the fuzz targets: sinks for the readers, the knowledge base, and the rules the
//! replay targets run on real signatures. Not a target itself.

#![allow(dead_code)]

use std::sync::OnceLock;

use fpx::dissect;
use fpx::input::{Flow, ReadContext, Sink};
use fpx::knowledge::Knowledge;
use fpx::model::{Alert, ContextEvent, Provenance, SkipReason};
use fpx::signature::replay::{replay, ReplayInput};
use fpx::signature::{parse_rule, parse_rules, Origin, Rule};

/// Drops every record.
pub struct Null;

impl Sink for Null {
    fn alert(&mut self, _: Alert<'_>) -> Flow {
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, _: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        Flow::Continue
    }
}

/// Runs what `fpx explain` runs on each alert's bytes: the dissectors and the replay of one
/// real rule (picked by sid) on the alert's payload and buffers.
pub struct Stages {
    pub alerts: usize,
}

impl Sink for Stages {
    fn alert(&mut self, alert: Alert<'_>) -> Flow {
        self.alerts += 1;
        let kb = kb();
        let d = dissect::dissect(&alert, kb);
        check_dissection(&d, alert.payload.as_deref().map_or(0, <[u8]>::len));
        let input = ReplayInput::from_alert(&alert);
        // The rule EVE logs with the alert (`rule` field), as `fpx explain` replays it.
        if let Some(text) = alert.rule.as_deref() {
            if let Ok(rule) = parse_rule(text, origin()) {
                let _ = replay(&rule, &input);
            }
        }
        let rules = real_rules();
        if !rules.is_empty() {
            let pick = alert.sid.unwrap_or(0) as usize % rules.len();
            let _ = replay(&rules[pick], &input);
        }
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, _: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        Flow::Continue
    }
}

pub fn kb() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| Knowledge::embedded().expect("embedded knowledge loads"))
}

pub fn origin() -> Origin {
    Origin {
        path: "fuzz.rules".into(),
        line: 1,
    }
}

pub fn ctx(path: &str, year: Option<i32>) -> ReadContext<'_> {
    ReadContext {
        path,
        year,
        mtime_year: None,
    }
}

/// The invariants every dissection promises: fields sorted, disjoint, inside the payload.
pub fn check_dissection(d: &dissect::Dissection, len: usize) {
    let mut last = 0;
    for f in &d.fields {
        assert!(
            f.range.start >= last && f.range.start < f.range.end,
            "{f:?}"
        );
        assert!(f.range.end <= len, "{f:?} past {len}");
        last = f.range.end;
    }
    if let Some(m) = &d.body_magic {
        assert!(m.offset < len, "{m:?} past {len}");
    }
}

/// Real rules: those of the file named by `FPX_FUZZ_RULES` (scripts/fuzz.sh builds one from
/// the corpus: the rules behind its EVE alerts, then others with payload options), then the
/// repository's rule fixtures, which are always there. Inputs pick one by index, so a crash
/// found with that file reproduces only with the same file.
pub fn real_rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        const FIXTURES: [&str; 5] = [
            include_str!("../../tests/fixtures/rules/mstream-rev1.rules"),
            include_str!("../../tests/fixtures/rules/mstream-rev4.rules"),
            include_str!("../../tests/fixtures/rules/thunder-rev3.rules"),
            include_str!("../../tests/fixtures/rules/thunder-rev4.rules"),
            include_str!("../../tests/fixtures/rules/traversal.rules"),
        ];
        let mut rules = Vec::new();
        if let Some(path) = std::env::var_os("FPX_FUZZ_RULES") {
            let bytes = std::fs::read(&path).expect("FPX_FUZZ_RULES names a readable file");
            let text = String::from_utf8_lossy(&bytes);
            rules.extend(parse_rules(&text, "corpus.rules").rules);
        }
        for text in FIXTURES {
            rules.extend(parse_rules(text, "fixture.rules").rules);
        }
        rules
    })
}
