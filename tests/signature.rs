//! The rule behind each alert (issue #4): `--rules` and the maps wired into `explain`, and
//! `fpx lint`. The rule files under `tests/fixtures/rules/` are written for these tests,
//! modelled on the revisions of sid 247 and ET 2009099.

use super::util::*;

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures/rules")
        .join(name)
        .display()
        .to_string()
}

/// The per-alert text report (`--all`), unwrapped, so that each line is checked whole.
fn text(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--all", "--width", "0"]);
    let out = fpx(&all, None);
    assert!(
        out.status.success(),
        "fpx failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn evidence_ids(a: &serde_json::Value) -> Vec<String> {
    a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn mstream_rev4_flow_excludes_the_server_response() {
    let rules = fixture("mstream-rev4.rules");
    let lines = explain_json(
        &[&example("seed003-mstream-gif.full.txt")],
        &["--rules", &rules],
    );
    let alerts = alerts(&lines);
    assert_eq!(alerts.len(), 3);
    for a in alerts {
        // The Snort 1.8 alert carries only a msg: the sid comes from the rule set.
        assert_eq!(a["alert"]["sid"], 247, "{a}");
        let w = words(a);
        assert!(
            w.contains(
                "rev 4 of sid 247 requires flow:to_server,established, which this server-to-client packet fails"
            ),
            "{w}"
        );
        assert!(evidence_ids(a).contains(&"rule-in-set-excludes-alert".to_string()));
        assert_eq!(a["verdict"], "false_positive");
    }
}

#[test]
fn mstream_rev1_replay_marks_the_byte_inside_the_gif_body() {
    let rules = fixture("mstream-rev1.rules");
    let out = text(&[
        "explain",
        "--rules",
        &rules,
        &example("seed003-mstream-gif.full.txt"),
    ]);
    let first = out.split("── alert 2").next().unwrap();
    // The first '>' of the first packet is at byte 607, in the GIF image data.
    assert!(first.contains("replay reproduces the match"), "{first}");
    assert!(
        first.contains("content:\">\" [payload] matched at bytes 607..608"),
        "{first}"
    );
    let row = first
        .lines()
        .find(|l| l.trim_start().starts_with("0250 "))
        .expect("the row holding byte 607 is shown");
    assert!(row.contains("3e*"), "{row}");
    assert!(
        row.contains("<- signature matches byte 607 in GIF data"),
        "{row}"
    );
    // Rev 1 has no flow: nothing excludes the packet, and lint's findings are evidence.
    assert!(!first.contains("rule-in-set-excludes-alert"), "{first}");
    assert!(
        first.contains("rule-weakness-short-content-or-no-flow"),
        "{first}"
    );
    assert!(first.contains("weakness: tcp_without_flow"), "{first}");
    // The rule text is shown as fpx read it.
    assert!(
        first.contains("alert tcp $EXTERNAL_NET any -> $HOME_NET 12754 (msg:\"DDOS mstream client to handler\"; content:\">\";"),
        "{first}"
    );
}

#[test]
fn thunder_rev3_contents_map_onto_llmnr_header_fields() {
    let rules = fixture("thunder-rev3.rules");
    let lines = explain_json(
        &[&example("seed000-llmnr-xunlei.eve.json")],
        &["--rules", &rules],
    );
    let alerts = alerts(&lines);
    assert_eq!(alerts.len(), 3);
    for a in alerts {
        let w = words(a);
        assert!(
            w.contains(
                "content |32 00 00 00| at bytes 0–3 = LLMNR transaction ID 0x3200 and flags 0x0000"
            ),
            "{w}"
        );
        assert!(
            w.contains(
                "content |00 00 00 00| at bytes 6–9 = LLMNR answer count 0 and authority count 0"
            ),
            "{w}"
        );
        // One in 65,536 random transaction IDs is 0x3200; flags and counts are fixed.
        assert!(w.contains("About 0.15 in 10,000"), "{w}");
        let ids = evidence_ids(a);
        assert!(ids.contains(&"dns-family-header-match-replayed".to_string()));
        assert!(!ids.contains(&"dns-family-header-match".to_string()));
        assert!(!ids.contains(&"later-revision-excludes-alert".to_string()));
    }
    let out = text(&[
        "explain",
        "--rules",
        &rules,
        &example("seed000-llmnr-xunlei.eve.json"),
    ]);
    let first = out.split("── alert 2").next().unwrap();
    // Both matched ranges are marked, each with the fields under it.
    assert!(
        first.contains("32*00*00*00*00 01 00*00*00*00*00 00"),
        "{first}"
    );
    assert!(
        first.contains("<- signature matches bytes 0–3 in transaction ID and flags"),
        "{first}"
    );
    assert!(
        first.contains("<- signature matches bytes 6–9 in answer count and authority count"),
        "{first}"
    );
    assert!(first.contains("header matches"), "{first}");
}

#[test]
fn thunder_rev4_exclusion_of_multicast_is_cited() {
    let (r3, r4) = (fixture("thunder-rev3.rules"), fixture("thunder-rev4.rules"));
    let lines = explain_json(
        &[&example("seed000-llmnr-xunlei.eve.json")],
        &["--rules", &r3, "--rules", &r4],
    );
    for a in alerts(&lines) {
        let w = words(a);
        assert!(
            w.contains("rev 4 adds !224.0.0.0/4 to the destination — exactly this alert"),
            "{w}"
        );
        assert!(evidence_ids(a).contains(&"later-revision-excludes-alert".to_string()));
    }
}

#[test]
fn home_net_holding_the_group_makes_rev3_fail_too() {
    // With 224.0.0.0/4 in HOME_NET, rev 3's $EXTERNAL_NET no longer holds the destination, so
    // rev 4's exclusion says nothing about this alert.
    let (r3, r4) = (fixture("thunder-rev3.rules"), fixture("thunder-rev4.rules"));
    let lines = explain_json(
        &[&example("seed000-llmnr-xunlei.eve.json")],
        &[
            "--rules",
            &r3,
            "--rules",
            &r4,
            "--home-net",
            "[192.168.0.0/16,224.0.0.0/4]",
        ],
    );
    for a in alerts(&lines) {
        assert!(!evidence_ids(a).contains(&"later-revision-excludes-alert".to_string()));
    }
}

#[test]
fn vars_file_sets_home_net() {
    let (r3, r4) = (fixture("thunder-rev3.rules"), fixture("thunder-rev4.rules"));
    let dir = temp_dir("vars");
    let yaml = write(
        &dir,
        "suricata.yaml",
        b"%YAML 1.1\n---\nvars:\n  address-groups:\n    HOME_NET: \"[192.168.0.0/16,224.0.0.0/4]\"\n    EXTERNAL_NET: \"!$HOME_NET\"\n",
    );
    let out = text(&[
        "explain",
        "--rules",
        &r3,
        "--rules",
        &r4,
        "--vars",
        &yaml,
        &example("seed000-llmnr-xunlei.eve.json"),
    ]);
    let first = out.split("── alert 2").next().unwrap();
    assert!(first.contains("header does not match"), "{first}");
    assert!(first.contains("suricata.yaml:5"), "{first}");
    assert!(!first.contains("later-revision-excludes-alert"), "{first}");
}

#[test]
fn eve_rule_text_takes_precedence() {
    let eve = std::fs::read_to_string(example("seed000-llmnr-xunlei.eve.json")).unwrap();
    let first = eve.lines().next().unwrap();
    let rule = std::fs::read_to_string(fixture("thunder-rev3.rules")).unwrap();
    let rule = rule.lines().find(|l| l.starts_with("alert")).unwrap();
    let with_rule = first.replacen(
        "\"severity\":1,",
        &format!(
            "\"severity\":1,\"rule\":{},",
            serde_json::to_string(rule).unwrap()
        ),
        1,
    );
    assert_ne!(with_rule, first);
    let dir = temp_dir("eve-rule");
    let path = write(&dir, "eve.json", with_rule.as_bytes());
    // No --rules: the logged text alone is replayed.
    let lines = explain_json(&[&path], &[]);
    let a = alerts(&lines)[0];
    assert!(words(a).contains("at bytes 0–3 = LLMNR transaction ID 0x3200"));
    // With rev 4 given, the logged rev 3 is compared against it.
    let r4 = fixture("thunder-rev4.rules");
    let lines = explain_json(&[&path], &["--rules", &r4]);
    let a = alerts(&lines)[0];
    assert!(
        words(a).contains("rev 4 adds !224.0.0.0/4 to the destination"),
        "{a}"
    );
    let out = text(&["explain", "--rules", &r4, &path]);
    assert!(out.contains("rule: EVE alert.rule:1"), "{out}");
}

#[test]
fn sid_msg_map_and_reference_config_resolve_the_alert() {
    let dir = temp_dir("maps");
    let map = write(
        &dir,
        "sid-msg.map",
        b"# sid || msg || refs\n247 || DDOS mstream client to handler || cve,2000-0138\n",
    );
    let lines = explain_json(
        &[&example("seed003-mstream-gif.full.txt")],
        &["--sid-msg-map", &map],
    );
    assert_eq!(alerts(&lines)[0]["alert"]["sid"], 247);
    let refs = write(
        &dir,
        "reference.config",
        b"config reference: cve http://cve.example/cgi-bin/cvename.cgi?name=\n",
    );
    let out = text(&[
        "explain",
        "--rules",
        &fixture("mstream-rev1.rules"),
        "--reference-config",
        &refs,
        &example("seed003-mstream-gif.full.txt"),
    ]);
    assert!(
        out.contains("references: http://cve.example/cgi-bin/cvename.cgi?name=2000-0138"),
        "{out}"
    );
}

#[test]
fn a_long_request_content_reproduced_counts_toward_attack() {
    let rules = fixture("traversal.rules");
    let lines = explain_json(&[&example("attacks.eve.json")], &["--rules", &rules]);
    let a = alerts(&lines)
        .into_iter()
        .find(|a| a["alert"]["sid"] == 2049999)
        .expect("the traversal alert");
    assert!(evidence_ids(a).contains(&"replay-reproduces-specific-request-content".to_string()));
    assert_eq!(a["rule"]["replay"]["verdict"], "reproduced");
    // The content is in the http.uri buffer: no payload range, and the step names its buffer.
    let steps = a["rule"]["replay"]["steps"].as_array().unwrap();
    assert!(steps
        .iter()
        .any(|s| s["buffer"] == "http.uri" && s["ranges"] == serde_json::json!([[26, 37]])));
    assert_eq!(a["verdict"], "true_positive");
}

#[test]
fn hostile_eve_rule_texts_do_not_stop_the_run() {
    let eve = std::fs::read_to_string(example("seed000-llmnr-xunlei.eve.json")).unwrap();
    let first = eve.lines().next().unwrap();
    let bad_rules = [
        "alert tcp any any -> any any (content:\"|zz|\"; sid:1;)",
        "alert udp any any -> any any (pcre:\"/(a|/\"; byte_test:99,>,1,0; sid:2;)",
        "alert udp any any -> any any (content:\"\u{1b}[2J\"; isdataat:!99999999999; sid:3;)",
        "(((((((",
        "",
    ];
    let mut input = String::new();
    for r in bad_rules {
        input.push_str(&first.replacen(
            "\"severity\":1,",
            &format!(
                "\"severity\":1,\"rule\":{},",
                serde_json::to_string(r).unwrap()
            ),
            1,
        ));
        input.push('\n');
    }
    let dir = temp_dir("hostile-rule");
    let path = write(&dir, "eve.json", input.as_bytes());
    let lines = explain_json(&[&path], &["--rules", &fixture("thunder-rev3.rules")]);
    assert_eq!(alerts(&lines).len(), bad_rules.len());
    let out = text(&["explain", &path]);
    assert!(!out.contains('\u{1b}'), "{out}");
}

#[test]
fn bad_signature_flags_are_usage_errors() {
    let ex = example("seed000-llmnr-xunlei.eve.json");
    let out = fpx(&["explain", "--rules", "no/such/rules", &ex], None);
    assert_eq!(out.status.code(), Some(2));
    let out = fpx(&["explain", "--home-net", "[10.0.0.0/8", &ex], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--home-net"));
    let out = fpx(&["explain", "--vars", "no/such.yaml", &ex], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn lint_reports_weaknesses_revisions_and_the_count_line() {
    let out = fpx(
        &[
            "lint",
            &root().join("tests/fixtures/rules").display().to_string(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().last().unwrap(),
        "parsed 6 rules (0 disabled), 0 errors"
    );
    assert!(stdout.contains("1:247 rev 1"), "{stdout}");
    assert!(
        stdout.contains("rev 4 adds flow:to_server,established"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rev 4 adds !224.0.0.0/4 to the destination"),
        "{stdout}"
    );

    let dir = temp_dir("lint");
    let bad = write(
        &dir,
        "bad.rules",
        b"alert tcp any any -> any 80 (msg:\"ok\"; content:\"abc\"; sid:1; rev:1;)\nalert tcp any any -> (msg:\"broken\"; sid:2;)\n",
    );
    let out = fpx(&["lint", &bad], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("bad.rules:2"), "{stdout}");
    assert!(
        stdout.ends_with("parsed 1 rules (0 disabled), 1 errors\n"),
        "{stdout}"
    );
    assert_eq!(fpx(&["lint", "no/such/path"], None).status.code(), Some(2));
}
