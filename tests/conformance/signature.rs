//! Rule sets of the corpus through the signature parser, lint and replay.

use std::path::PathBuf;

use fpx::signature::lint::{lint_paths, lint_set};
use fpx::signature::parse::OptKind;
use fpx::signature::RuleSet;

use crate::util::{corpus, files_where};

/// The rule files and folders of the corpus, one set each.
fn rule_sets() -> Vec<(String, Vec<PathBuf>)> {
    let c = corpus();
    let mut sets: Vec<(String, Vec<PathBuf>)> = [
        "et-open-2024",
        "snort-community-rules-2022",
        "snort2-gpl-rules",
        "suricata-rules",
        "py-idstools",
        "snort-3.11.1-runs/rules",
    ]
    .iter()
    .map(|s| (s.to_string(), vec![c.join(s)]))
    .collect();
    // community.rules and the py-idstools unicode file are `.rules`; the verify tests keep
    // theirs as `*.rules` per test.
    let verify = files_where(&c.join("suricata-verify/tests"), &|p| {
        p.extension().is_some_and(|e| e == "rules")
    });
    assert!(!verify.is_empty());
    sets.push(("suricata-verify".into(), verify));
    sets
}

#[test]
#[ignore]
fn lint_every_rule_set_without_errors() {
    let mut total_errors = 0;
    for (name, paths) in rule_sets() {
        let r = lint_paths(&paths);
        eprintln!(
            "{name}: parsed {} rules ({} disabled), {} errors, {} files, {} options verbatim",
            r.rules,
            r.disabled,
            r.errors(),
            r.files,
            r.unknown_options
        );
        for e in r.errors.iter().take(20) {
            eprintln!("  {e}");
        }
        assert!(r.rules > 0, "{name}: no rules");
        total_errors += r.errors();
    }
    assert_eq!(total_errors, 0);
}

#[test]
#[ignore]
fn sid_247_rev_4_has_flow_and_one_byte_content() {
    let set = RuleSet::load(&[corpus().join("snort2-gpl-rules")]);
    let revs = set.lookup(1, 247);
    let r = revs
        .iter()
        .find(|r| r.rev == Some(4))
        .expect("sid 247 rev 4");
    assert_eq!(r.flow().unwrap(), ["to_server", "established"]);
    let contents: Vec<_> = r.contents().collect();
    assert_eq!(contents.len(), 1);
    assert_eq!(contents[0].pattern, b">");
    assert!(r
        .options
        .iter()
        .any(|o| matches!(&o.kind, OptKind::Reference { scheme, id } if scheme == "cve" && id == "2000-0138")));
}

#[test]
#[ignore]
fn et_2009099_rev_4_excludes_multicast() {
    let c = corpus();
    let set = RuleSet::load(&[
        c.join("py-idstools/et-open-2017"),
        c.join("et-open-2024/emerging-p2p.rules"),
    ]);
    let report = lint_set(set);
    let d = report
        .revisions
        .iter()
        .find(|d| d.sid == 2009099)
        .expect("2009099 revisions");
    assert_eq!((d.old_rev, d.new_rev), (3, 4));
    let text = d.changes.join("; ");
    eprintln!("2009099: {text}");
    assert!(
        text.contains("rev 4 adds !224.0.0.0/4 to the destination"),
        "{text}"
    );
}
