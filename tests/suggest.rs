//! `fpx suggest`: the changes fpx proposes for the seeds, in each engine's dialect, and the dry
//! run of them and of a user's own file over dumps whose counts are known.

use super::util::*;
use serde_json::Value;

/// Runs `fpx suggest --format json` and returns its lines.
fn suggest_json(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["suggest", "--format", "json"];
    all.extend_from_slice(args);
    json_lines(&all)
}

fn changes<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["kind"] == "suggestion" && l["change"]["kind"] == kind)
        .map(|l| &l["change"])
        .collect()
}

fn text_lines(v: &Value) -> Vec<&str> {
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect()
}

fn suggest_summary(lines: &[Value]) -> &Value {
    let last = lines.last().expect("a summary line");
    assert_eq!(last["kind"], "suggest_summary");
    last
}

const THUNDER: &[&str] = &[
    "--rules",
    "tests/fixtures/rules/thunder-rev3.rules",
    "--rules",
    "tests/fixtures/rules/thunder-rev4.rules",
];

#[test]
fn seed_000_gets_a_suppression_scoped_to_the_llmnr_group_and_the_rule_fixes() {
    let lines = suggest_json(&[&example("seed000-llmnr-xunlei.eve.json")]);
    let s = changes(&lines, "suppress");
    assert_eq!(s.len(), 1, "{lines:?}");
    assert_eq!(
        text_lines(s[0]),
        ["suppress gen_id 1, sig_id 2009099, track by_dst, ip 224.0.0.252"]
    );
    assert_eq!(s[0]["engine"], "suricata");
    assert_eq!(s[0]["file"], "threshold.config");
    assert_eq!(s[0]["scope"]["track"], "by_dst");
    assert_eq!(s[0]["scope"]["addresses"][0], "224.0.0.252/32");
    assert_eq!(s[0]["covers"], 3);
    assert!(s[0]["tradeoff"].as_str().unwrap().contains("224.0.0.252"));

    // With the rule sets, the rule's own fixes come too: the rev 4 update and the
    // suricata-update edit, whose result is the destination rev 4 has.
    let mut args = vec![example("seed000-llmnr-xunlei.eve.json")];
    args.extend(THUNDER.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let lines = suggest_json(&refs);
    let u = changes(&lines, "update");
    assert_eq!(u.len(), 1, "{lines:?}");
    assert!(text_lines(u[0])[0].contains("rev 4 of 1:2009099"), "{u:?}");
    let m = changes(&lines, "modify");
    assert_eq!(m.len(), 1, "{lines:?}");
    assert_eq!(
        text_lines(m[0]),
        [r"1:2009099 '(->\s*)[$]EXTERNAL_NET(\s)' '\1[$EXTERNAL_NET,!224.0.0.0/4]\2'"]
    );
    assert_eq!(m[0]["file"], "modify.conf");
    let t = changes(&lines, "tighten");
    assert!(
        t.iter().any(
            |t| text_lines(t)[0].contains("-> [$EXTERNAL_NET,!224.0.0.0/4]")
                && text_lines(t)[0].contains("rev:4;")
        ),
        "{t:?}"
    );
}

#[test]
fn the_dry_run_hides_the_seed_000_alerts_and_none_of_the_attacks() {
    let lines = suggest_json(&[
        "--dry-run",
        &example("seed000-llmnr-xunlei.eve.json"),
        &example("attacks.eve.json"),
    ]);
    let sum = suggest_summary(&lines);
    let attacks = explain_json(&[&example("attacks.eve.json")], &[]);
    let n_attacks = alerts(&attacks).len() as u64;
    assert!(n_attacks >= 2);
    assert_eq!(sum["alerts"], 3 + n_attacks);
    assert_eq!(sum["dry_run"]["hidden"], 3, "{sum}");
    assert_eq!(sum["dry_run"]["risky"], 0, "{sum}");
    // Every attack is called one, and gets "investigate" only.
    for a in alerts(&attacks) {
        assert_eq!(a["verdict"], "true_positive", "{a}");
    }
    let inv = changes(&lines, "investigate");
    assert!(inv
        .iter()
        .any(|i| i["checks"][0].as_str().unwrap().contains("do not suppress")));
    let supp = &lines
        .iter()
        .find(|l| l["change"]["kind"] == "suppress")
        .unwrap()["dry_run"];
    assert_eq!(
        (supp["hidden"].as_u64(), supp["risky"].as_u64()),
        (Some(3), Some(0))
    );
}

#[test]
fn the_same_alert_from_snort_3_gets_the_lua_form() {
    for f in ["alert_fast.txt", "unified2.log"] {
        let path = format!("tests/fixtures/snort3/seed000-llmnr/{f}");
        let lines = suggest_json(&["--year", "2016", &path]);
        assert_eq!(suggest_summary(&lines)["engine"], "snort3", "{f}");
        let s = changes(&lines, "suppress");
        assert_eq!(s.len(), 1, "{f}: {lines:?}");
        assert_eq!(s[0]["file"], "snort.lua");
        assert_eq!(s[0]["table"], "suppress");
        assert_eq!(
            text_lines(s[0]),
            ["{ gid = 1, sid = 2009099, track = 'by_dst', ip = '224.0.0.252' },"],
            "{f}"
        );
    }
    // The text output is a table to paste, and --engine writes the other dialects.
    let out = fpx(
        &[
            "suggest",
            "tests/fixtures/snort3/seed000-llmnr/alert_fast.txt",
            "--year",
            "2016",
        ],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("suppress =\n{\n")
            && text.contains(
                "    { gid = 1, sid = 2009099, track = 'by_dst', ip = '224.0.0.252' },\n}\n"
            ),
        "{text}"
    );
    let lines = suggest_json(&[
        "--engine",
        "snort2",
        "--year",
        "2016",
        "tests/fixtures/snort3/seed000-llmnr/alert_fast.txt",
    ]);
    let s = changes(&lines, "suppress");
    assert_eq!(s[0]["file"], "threshold.conf");
    assert_eq!(
        text_lines(s[0]),
        ["suppress gen_id 1, sig_id 2009099, track by_dst, ip 224.0.0.252"]
    );
}

#[test]
fn seed_003_gets_sid_247_tightened_to_the_client_stream_proven_on_both_sides() {
    let f = "tests/fixtures/suricata";
    let lines = suggest_json(&[
        &format!("{f}/seed003-segments/eve.json"),
        &format!("{f}/mstream-handler/eve.json"),
        "--rules",
        "tests/fixtures/rules/mstream-rev1.rules",
        "--vars",
        &format!("{f}/suricata.yaml"),
    ]);
    let t = changes(&lines, "tighten");
    assert_eq!(t.len(), 1, "{lines:?}");
    let rule = text_lines(t[0])[0];
    assert!(rule.contains("flow:to_server,established;"), "{rule}");
    assert!(rule.contains("sid:247; rev:2;"), "{rule}");
    assert_eq!(t[0]["file"], "local.rules");
    let proof = t[0]["proof"].as_str().unwrap();
    assert!(
        proof.contains("matches none of the 5 false-positive"),
        "{proof}"
    );
    assert!(
        proof.contains("still matches the 1 true positive"),
        "{proof}"
    );
    // The same restriction as a suricata-update edit of the rule the sensor has.
    let m = changes(&lines, "modify");
    assert_eq!(
        text_lines(m[0]),
        [r#"1:247 '(msg:\s*"(?:[^"\\]|\\.)*";)' '\1 flow:to_server,established;'"#]
    );
    // The mstream session is an attack: it gets "investigate", never a suppression.
    for s in changes(&lines, "suppress") {
        assert!(!text_lines(s)[0].contains("192.0.2.30"), "{s}");
    }

    // Replayed by fpx itself with the proposal as the rule set: it no longer matches the GIF
    // segments and still matches the client's command.
    let dir = std::env::temp_dir().join(format!("fpx-tighten-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("tightened.rules");
    std::fs::write(&rules, format!("{rule}\n")).unwrap();
    let r = rules.display().to_string();
    let vars = format!("{f}/suricata.yaml");
    let gif = explain_json(
        &[&format!("{f}/seed003-segments/eve.json")],
        &["--rules", &r, "--vars", &vars],
    );
    for a in alerts(&gif) {
        assert_eq!(a["rule"]["replay"]["verdict"], "not_reproduced", "{a}");
    }
    let client = explain_json(
        &[&format!("{f}/mstream-handler/eve.json")],
        &["--rules", &r, "--vars", &vars],
    );
    let a = alerts(&client)[0];
    assert_ne!(a["rule"]["replay"]["verdict"], "not_reproduced", "{a}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_users_threshold_file_is_dry_run_line_by_line_with_why_a_line_misses() {
    let dir = std::env::temp_dir().join(format!("fpx-dry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("threshold.config");
    std::fs::write(
        &file,
        "# the analyst's own file\n\
         suppress gen_id 1, sig_id 2009099, track by_dst, ip 224.0.0.0/4\n\
         suppress gen_id 3, sig_id 2009099\n\
         suppress gen_id 1, sig_id 2009099, track by_src, ip 224.0.0.252\n\
         suppress gen_id 1, sig_id 2009099, track by_src, ip 10.0.0.0/8\n\
         suppress gen_id 1, sig_id 2009099, track by_src, ip $NOT_DEFINED\n\
         suppress gen_id 1, sig_id 2034647\n\
         threshold gen_id 1, sig_id 2009099, type limit, track by_src, count 1, seconds 60\n\
         suppress gen_id 1, sig_id 2009099, track sideways, ip 1.2.3.4\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let lines = suggest_json(&[
        "--threshold",
        &path,
        &example("seed000-llmnr-xunlei.eve.json"),
        &example("attacks.eve.json"),
    ]);
    let by_line = |n: u64| {
        lines
            .iter()
            .find(|l| l["kind"] == "dry_run_line" && l["line"] == n)
            .unwrap_or_else(|| panic!("line {n}: {lines:?}"))
    };
    assert_eq!(
        (by_line(2)["hidden"].as_u64(), by_line(2)["risky"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(by_line(3)["never"]
        .as_str()
        .unwrap()
        .contains("wrong gen_id"));
    assert!(by_line(4)["never"]
        .as_str()
        .unwrap()
        .contains("track by_dst would match"));
    assert!(by_line(5)["never"]
        .as_str()
        .unwrap()
        .contains("has an address in 10.0.0.0/8"));
    assert!(by_line(6)["never"]
        .as_str()
        .unwrap()
        .contains("NOT_DEFINED"));
    // The log4j attack: a suppression of it is counted as risky.
    assert_eq!(
        (by_line(7)["hidden"].as_u64(), by_line(7)["risky"].as_u64()),
        (Some(1), Some(1))
    );
    // The first two LLMNR queries fall in one minute: the limit keeps the first.
    assert_eq!(by_line(8)["hidden"], 1);
    assert!(by_line(9)["error"].as_str().unwrap().contains("sideways"));
    let sum = suggest_summary(&lines);
    assert_eq!(sum["user_dry_run"]["hidden"], 4, "{sum}");
    assert_eq!(sum["user_dry_run"]["risky"], 1, "{sum}");
    // An unreadable line is an error: the exit status says so.
    let out = fpx(
        &[
            "suggest",
            "--threshold",
            &path,
            &example("seed000-llmnr-xunlei.eve.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn suggest_output_lines_match_the_schema() {
    let text = std::fs::read_to_string(root().join("schema/fpx-output.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let mut args = vec![
        "--dry-run".to_string(),
        example("seed000-llmnr-xunlei.eve.json"),
        example("attacks.eve.json"),
        example("seed003-mstream-gif.full.txt"),
    ];
    args.extend(THUNDER.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let lines = suggest_json(&refs);
    assert!(lines.len() > 3);
    for l in &lines {
        let errors: Vec<String> = v.iter_errors(l).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{l}\n{errors:?}");
    }
}

/// Alerts of a P2P rule (`$HOME_NET -> $EXTERNAL_NET`) between a host of HOME_NET and
/// private-use hosts that HOME_NET leaves out, with the rule, in a fresh folder.
fn dht_dump(tag: &str) -> std::path::PathBuf {
    use base64::Engine;
    let dir = std::env::temp_dir().join(format!("fpx-vars-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .encode(b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
    let mut eve = String::new();
    for (i, dst) in ["10.20.1.7", "10.20.1.9", "10.20.1.7"].iter().enumerate() {
        eve.push_str(&format!(
            r#"{{"timestamp":"2024-03-05T10:0{i}:00.000000+0000","flow_id":{},"event_type":"alert","src_ip":"192.168.0.5","src_port":5000{i},"dest_ip":"{dst}","dest_port":6881,"proto":"UDP","alert":{{"action":"allowed","gid":1,"signature_id":9000001,"rev":1,"signature":"ET P2P BitTorrent DHT ping request","category":"Potential Corporate Privacy Violation","severity":1}},"payload":"{payload}"}}"#,
            1000 + i
        ));
        eve.push('\n');
    }
    std::fs::write(dir.join("dht.eve.json"), eve).unwrap();
    std::fs::write(
        dir.join("dht.rules"),
        "alert udp $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET P2P BitTorrent DHT ping request\"; content:\"d1:ad2:id20:\"; depth:12; nocase; content:\"1:q4:ping\"; distance:20; classtype:policy-violation; sid:9000001; rev:1;)\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_home_net_that_leaves_out_a_lan_range_gets_a_variable_fix() {
    let dir = dht_dump("home");
    let p = |f: &str| dir.join(f).display().to_string();
    let lines = suggest_json(&[
        &p("dht.eve.json"),
        "--rules",
        &p("dht.rules"),
        "--home-net",
        "[192.168.0.0/24]",
    ]);
    let v = changes(&lines, "variable");
    assert_eq!(v.len(), 1, "{lines:?}");
    assert_eq!(v[0]["file"], "suricata.yaml");
    // No wider than the hosts seen: 10.20.1.7 and 10.20.1.9 share a /28.
    assert_eq!(
        text_lines(v[0]),
        [
            "vars:",
            "  address-groups:",
            "    HOME_NET: \"[192.168.0.0/24,10.20.1.0/28]\""
        ]
    );
    // Without HOME_NET fpx holds every RFC 1918 range as home: no such fix, and no evidence.
    let lines = suggest_json(&[&p("dht.eve.json"), "--rules", &p("dht.rules")]);
    assert!(changes(&lines, "variable").is_empty(), "{lines:?}");

    // EXTERNAL_NET `any` is the other way to fire between two hosts of the site.
    std::fs::write(
        dir.join("suricata.yaml"),
        "vars:\n  address-groups:\n    HOME_NET: \"[192.168.0.0/24]\"\n    EXTERNAL_NET: \"any\"\n",
    )
    .unwrap();
    let lines = suggest_json(&[
        "--engine",
        "snort2",
        &p("dht.eve.json"),
        "--rules",
        &p("dht.rules"),
        "--vars",
        &p("suricata.yaml"),
    ]);
    let v = changes(&lines, "variable");
    assert_eq!(v.len(), 1, "{lines:?}");
    assert_eq!(text_lines(v[0]), ["ipvar EXTERNAL_NET !$HOME_NET"]);
    let _ = std::fs::remove_dir_all(&dir);
}
