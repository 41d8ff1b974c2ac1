//! Suggestions over the corpus (issue #10): every suppression and filter file in it is read
//! by fpx's parsers, and over every real Suricata and Snort 3 run the changes fpx proposes
//! are only for benign clusters, are read back, and hide in their own dump no alert fpx does
//! not call benign.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use fpx::model::Engine;
use fpx::suggest::{lua, threshold};

use super::util::{corpus, files_where};

#[test]
#[ignore = "needs the corpus"]
fn every_threshold_and_event_filter_file_of_the_corpus_parses() {
    let files = files_where(&corpus(), &|p: &Path| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.starts_with("threshold") && (name.ends_with(".config") || name.ends_with(".conf"))
            || name.ends_with("event_filter.lua")
    });
    assert!(files.len() >= 4, "{files:?}");
    let mut lines = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.display().to_string();
        let parsed = if name.ends_with(".lua") {
            lua::parse(&text)
        } else if name.ends_with(".conf") {
            threshold::parse_file(&text, Engine::Snort2)
        } else {
            threshold::parse_file(&text, Engine::Suricata)
        };
        for (line, r) in &parsed {
            assert!(r.is_ok(), "{name}:{line}: {r:?}");
        }
        lines += parsed.len();
    }
    println!(
        "threshold files: {} files, {lines} lines, all read",
        files.len()
    );
    assert!(lines >= 25);
}

#[test]
#[ignore = "needs the corpus"]
fn suggestions_over_every_real_run_are_for_benign_clusters_and_hide_no_attack() {
    let root = corpus();
    let runs = files_where(&root.join("suricata-8.0.6-runs"), &|p: &Path| {
        p.file_name().is_some_and(|n| n == "eve.json")
    })
    .into_iter()
    .chain(files_where(&root.join("snort-3.11.1-runs"), &|p: &Path| {
        let n = p.file_name().unwrap().to_string_lossy();
        n == "alert_fast.txt" || n.starts_with("snort.u2.")
    }));
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let (mut files, mut hidden) = (0, 0);
    for f in runs {
        files += 1;
        let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
            .args(["suggest", "--format", "json", "--dry-run"])
            .arg(&f)
            .output()
            .unwrap();
        let name = f.display();
        assert!(out.status.code().is_some_and(|c| c <= 1), "{name}: {out:?}");
        let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let sum = lines.last().unwrap();
        assert_eq!(sum["kind"], "suggest_summary", "{name}");
        let engine = if name.to_string().contains("snort-3") {
            "snort3"
        } else {
            "suricata"
        };
        assert_eq!(sum["engine"], engine, "{name}");
        for e in sum["errors"].as_array().unwrap() {
            let m = e["message"].as_str().unwrap();
            assert!(!m.contains("cannot read back"), "{name}: {m}");
        }
        assert_eq!(sum["dry_run"]["risky"], 0, "{name}: {sum}");
        hidden += sum["dry_run"]["hidden"].as_u64().unwrap();
        for l in lines.iter().filter(|l| l["kind"] == "suggestion") {
            let kind = l["change"]["kind"].as_str().unwrap();
            *kinds.entry(kind.to_string()).or_default() += 1;
            if kind == "investigate" {
                continue;
            }
            let verdict = l["verdict"].as_str().unwrap();
            assert!(
                verdict == "false_positive" || verdict == "benign_trigger",
                "{name}: a {kind} for a {verdict} cluster: {l}"
            );
            assert_eq!(l["change"]["engine"], engine, "{name}: {l}");
            if let Some(dry) = l["dry_run"].as_object() {
                assert_eq!(dry["risky"], 0, "{name}: {l}");
            }
            let addrs = l["change"]["scope"]["addresses"].as_array().unwrap();
            assert!(addrs.len() <= fpx::suggest::MAX_SCOPE_HOSTS, "{name}: {l}");
        }
    }
    println!("suggest: {files} runs, changes by kind {kinds:?}, dry run hides {hidden} alerts, 0 of them risky");
    assert!(files >= 280, "{files}");
    assert!(kinds.get("suppress").is_some_and(|n| *n > 10), "{kinds:?}");
}
