//! The conformance run of the `fpx` binary itself: every seed text and every EVE and fast.log
//! file in the corpus is explained with zero panics, and the summary accounts for every record.

use std::path::Path;
use std::process::Command;

use super::util::{corpus, files_where, seeds};

fn summary_of(path: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["explain", "--format", "json", "--max-warnings", "0"])
        .arg(path)
        .output()
        .expect("fpx runs");
    assert_ne!(
        out.status.code(),
        Some(101),
        "fpx panicked on {}",
        path.display()
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let last = stdout.lines().last().expect("a summary line");
    let v: serde_json::Value = serde_json::from_str(last).expect("summary is JSON");
    assert_eq!(v["kind"], "summary");
    // No silent success: a file of which nothing was understood exits 1 and says so.
    let understood = v["alerts"].as_u64().unwrap() + v["context_events"].as_u64().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if understood == 0 {
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", path.display());
        assert!(
            stderr.contains("empty: no records") || stderr.contains("no alert or log record"),
            "{}: {stderr}",
            path.display()
        );
    } else {
        assert_eq!(
            out.status.code(),
            Some(0),
            "fpx failed on {}: {stderr}",
            path.display()
        );
    }
    let skipped: u64 = v["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    let total = v["alerts"].as_u64().unwrap() + v["context_events"].as_u64().unwrap() + skipped;
    assert_eq!(
        v["records_read"].as_u64().unwrap(),
        total,
        "{}",
        path.display()
    );
    v
}

fn non_blank_lines(path: &Path) -> u64 {
    let data = std::fs::read(path).unwrap();
    data.split(|b| *b == b'\n')
        .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .count() as u64
}

#[test]
#[ignore = "needs the corpus; run by .ci/run"]
fn every_eve_and_fast_log_is_explained_and_accounted_for() {
    let root = corpus();
    let files = files_where(&root, &|p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        name == "eve.json"
            || name == "fast.log"
            || name == "alert_fast.txt"
            || (p.starts_with(root.join("tenzir-eve-excerpt")) && name.ends_with(".json"))
            || name.starts_with("suricata-")
    });
    assert!(files.len() > 150, "found only {} files", files.len());
    let (mut alerts, mut records) = (0u64, 0u64);
    for f in &files {
        let s = summary_of(f);
        let lines = non_blank_lines(f);
        let read = s["records_read"].as_u64().unwrap();
        assert_eq!(
            read,
            lines,
            "{}: records_read vs non-blank lines",
            f.display()
        );
        alerts += s["alerts"].as_u64().unwrap();
        records += read;
    }
    println!("{} files, {records} records, {alerts} alerts", files.len());
}

#[test]
#[ignore = "needs the corpus; run by .ci/run"]
fn every_seed_text_is_read_as_it_is() {
    let dir = seeds();
    for name in ["000", "001", "002", "003"] {
        let f = files_where(&dir, &|p| {
            p.file_name().unwrap().to_string_lossy().starts_with(name)
        });
        let s = summary_of(&f[0]);
        let lines = std::fs::read_to_string(&f[0]).unwrap().lines().count() as u64;
        // Text readers account for every line (blank lines included) of a seed.
        assert!(
            s["records_read"].as_u64().unwrap() <= lines,
            "{}: {s}",
            f[0].display()
        );
        println!("{}: {s}", f[0].display());
    }
}

#[test]
#[ignore = "needs the corpus; run by .ci/run"]
fn seed_003_as_it_is_is_a_false_positive() {
    // Issue #2 acceptance: the seed text as it is.
    let seed = seeds().join("003_3f32cc1f73bdb89c.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["explain", "--format", "json"])
        .arg(&seed)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let alerts: Vec<_> = lines.iter().filter(|l| l["kind"] == "alert").collect();
    assert_eq!(alerts.len(), 1);
    let a = alerts[0];
    assert_eq!(a["verdict"], "false_positive");
    assert!(a["fp_probability"].as_f64().unwrap() >= 0.8);
    let text: String = a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for needle in [
        "port 80",
        "HTTP response",
        "GIF",
        "1 byte",
        "ephemeral",
        "12754",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {text}");
    }
}

#[test]
#[ignore = "needs the corpus; run by .ci/run"]
fn every_unified2_file_is_explained_without_panic() {
    let root = corpus();
    let files = files_where(&root, &|p| {
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        n.starts_with("snort.u2.")
            || n.ends_with(".unified2")
            || n.ends_with(".log") && p.starts_with(root.join("djcas9-unified2"))
    });
    assert!(!files.is_empty());
    for f in files {
        let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
            .args(["explain", "--format", "json", "--max-warnings", "0"])
            .arg(&f)
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(101), "panic on {}", f.display());
    }
}

/// Issue 11: the djcas9 unified2 file's text report starts with its ranked root causes and
/// they fit the first screen (40 rows of 100 columns); `--all` still gives every alert.
#[test]
#[ignore]
fn djcas9_text_report_starts_with_its_root_causes_on_the_first_screen() {
    let dir = corpus().join("djcas9-unified2");
    let log = dir.join("unified2-current.log");
    let map = dir.join("sid-msg.map");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
            .arg("explain")
            .args(extra)
            .arg("--sid-msg-map")
            .arg(&map)
            .arg(&log)
            .env("LINES", "40")
            .env("COLUMNS", "100")
            .output()
            .expect("fpx runs");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let out = run(&[]);
    let lines: Vec<&str> = out.lines().collect();
    let screen = &lines[..40.min(lines.len())];
    assert!(screen[0].starts_with("fpx: 5675 alerts"), "{}", screen[0]);
    assert!(screen.contains(&"root causes, largest first:"));
    assert!(
        screen.iter().any(|l| l.starts_with("below: ")),
        "the overview ends on the first screen:\n{}",
        screen.join("\n")
    );
    assert!(screen.iter().all(|l| l.chars().count() <= 100));
    // The largest root cause first: ICMP host unreachable answers to the inside host.
    let first = screen
        .iter()
        .find(|l| l.trim_start().starts_with("1. "))
        .expect("rank 1");
    assert!(first.contains("[1:399]"), "{first}");
    println!(
        "djcas9: {} lines in all, overview in {} lines",
        lines.len(),
        lines.iter().position(|l| l.starts_with("below: ")).unwrap() + 1
    );
    let all = run(&["--all"]);
    assert!(all.contains("── alert 5675 ── "));
}
