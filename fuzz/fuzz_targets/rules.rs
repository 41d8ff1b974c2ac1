//! The rule language and the files around it: `parse_rule` on the whole input as one logical
//! rule, the rule-set loader on it as a rules file (continuations, commented-out rules), and
//! what fpx does with every parsed rule (lint, the written-out text, pcre translation, content
//! chances, revision diffs). The same text also goes through the map and variable readers
//! (sid-msg.map, gen-msg.map, classification.config, reference.config, suricata.yaml,
//! snort.conf).
#![no_main]

mod common;

use fpx::signature::context::rule_text;
use fpx::signature::lint::{diff_rules, rule_weaknesses};
use fpx::signature::maps::{Classifications, MapKind, MsgMap, References};
use fpx::signature::parse::OptKind;
use fpx::signature::replay::{chance_per_position, translate_pcre};
use fpx::signature::vars::Vars;
use fpx::signature::{parse_rule, parse_rules, Rule, RuleSet};
use libfuzzer_sys::fuzz_target;

fn use_rule(r: &Rule) {
    let _ = rule_weaknesses(r);
    let _ = rule_text(r);
    for o in &r.options {
        let _ = o.render();
        match &o.kind {
            OptKind::Pcre(p) => {
                let _ = translate_pcre(p);
            }
            OptKind::Content(c) => {
                let _ = chance_per_position(c);
            }
            _ => {}
        }
    }
    let _ = (r.flow(), r.has_threshold(), r.metadata().count());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = parse_rule(&text, common::origin()) {
        use_rule(&r);
    }
    let parsed = parse_rules(&text, "fuzz.rules");
    for pair in parsed.rules.windows(2) {
        let _ = diff_rules(&pair[0], &pair[1]);
    }
    for r in &parsed.rules {
        use_rule(r);
    }
    // The set keeps the text and parses a rule again when it is looked up.
    let mut set = RuleSet::default();
    set.add_text(&text, "fuzz.rules");
    assert_eq!(set.len(), parsed.rules.len());
    for (gid, sid) in set.signatures().take(64) {
        assert!(!set.lookup(gid, sid).is_empty());
    }
    for r in set.iter().take(64) {
        if let Some(m) = &r.msg {
            assert!(!set.by_msg(m).is_empty());
        }
    }

    let mut map = MsgMap::default();
    let _ = map.add(&text, "sid-msg.map", MapKind::SidMsg);
    let _ = map.add(&text, "gen-msg.map", MapKind::GenMsg);
    let _ = Classifications::parse(&text, "classification.config");
    let _ = References::parse(&text, "reference.config");
    let mut vars = Vars::default();
    let _ = vars.read_suricata_yaml(&text, "suricata.yaml");
    let mut vars = Vars::default();
    let _ = vars.read_snort_conf(&text, "snort.conf");
});
