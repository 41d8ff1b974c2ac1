//! The real rule sets of the corpus wired into `fpx explain` and `fpx lint` (issue #4's
//! acceptance points), run through the binary as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{corpus, seeds};

fn fpx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("fpx runs")
}

fn project(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn path(p: PathBuf) -> String {
    p.display().to_string()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "fpx failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// Alert lines of `fpx explain --format json`.
fn explain_json(input: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["explain", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(input);
    stdout(&fpx(&args))
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
        .filter(|v| v["kind"] == "alert")
        .collect()
}

fn evidence_text(a: &serde_json::Value) -> String {
    a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}\n",
                e["id"].as_str().unwrap(),
                e["text"].as_str().unwrap()
            )
        })
        .collect()
}

fn seed_003() -> String {
    path(seeds().join("003_3f32cc1f73bdb89c.txt"))
}

#[test]
#[ignore]
fn seed_003_with_gpl_rules_cites_rev_4_flow() {
    let gpl = path(corpus().join("snort2-gpl-rules"));
    let alerts = explain_json(&seed_003(), &["--rules", &gpl]);
    assert!(!alerts.is_empty());
    for a in &alerts {
        // GPL holds sid 247 (port 12754) and 249 (port 15104) with this msg; the port decides.
        assert_eq!(a["alert"]["sid"], 247, "{a}");
        let w = evidence_text(a);
        eprintln!("{w}");
        assert!(
            w.contains(
                "rev 4 of sid 247 requires flow:to_server,established, which this server-to-client packet fails"
            ),
            "{w}"
        );
        assert_eq!(a["verdict"], "false_positive");
    }
}

#[test]
#[ignore]
fn seed_003_with_a_rev_1_rule_replays_the_byte_inside_the_gif_body() {
    let rev1 = project("tests/fixtures/rules/mstream-rev1.rules");
    let out = stdout(&fpx(&[
        "explain",
        "--all",
        "--width",
        "0",
        "--rules",
        &rev1,
        &seed_003(),
    ]));
    eprintln!("{out}");
    let replay = out
        .lines()
        .find(|l| l.contains("content:\">\" [payload] matched at bytes"))
        .expect("replay line");
    let at: usize = replay
        .split("matched at bytes ")
        .nth(1)
        .and_then(|r| r.split("..").next())
        .and_then(|n| n.parse().ok())
        .expect("offset");
    // The GIF starts after the HTTP headers; the match is past its header, in its data.
    let magic = out
        .lines()
        .find(|l| l.contains("GIF image magic"))
        .expect("GIF magic row");
    let magic_row = usize::from_str_radix(magic.split_whitespace().next().unwrap(), 16).unwrap();
    assert!(at > magic_row + 16, "match at {at}, GIF near {magic_row}");
    assert!(
        out.contains(&format!("<- signature matches byte {at} in GIF data")),
        "{out}"
    );
}

#[test]
#[ignore]
fn seed_000_with_et_open_2017_and_2024() {
    let example = project("examples/seed000-llmnr-xunlei.eve.json");
    let et2017 = path(corpus().join("py-idstools/et-open-2017"));
    let et2024 = path(corpus().join("et-open-2024"));
    for a in explain_json(&example, &["--rules", &et2017]) {
        let w = evidence_text(&a);
        assert!(
            w.contains(
                "content |32 00 00 00| at bytes 0–3 = LLMNR transaction ID 0x3200 and flags 0x0000"
            ),
            "{w}"
        );
        assert!(
            w.contains("content |00 00 00 00| at bytes 6–9 = LLMNR answer count"),
            "{w}"
        );
        assert!(!w.contains("later-revision-excludes-alert"), "{w}");
    }
    for a in explain_json(&example, &["--rules", &et2017, "--rules", &et2024]) {
        let w = evidence_text(&a);
        eprintln!("{w}");
        assert!(
            w.contains("rev 4 adds !224.0.0.0/4 to the destination — exactly this alert"),
            "{w}"
        );
    }
}

#[test]
#[ignore]
fn lint_every_rules_folder_through_the_binary() {
    let c = corpus();
    for dir in [
        "et-open-2024",
        "snort-community-rules-2022",
        "snort2-gpl-rules",
        "suricata-rules",
        "py-idstools",
        "snort-3.11.1-runs/rules",
        "suricata-verify/tests",
    ] {
        let out = fpx(&["lint", &path(c.join(dir))]);
        let text = String::from_utf8_lossy(&out.stdout);
        let last = text.lines().last().unwrap_or("");
        eprintln!("{dir}: {last}");
        assert_eq!(out.status.code(), Some(0), "{dir}: {last}");
        assert!(
            last.starts_with("parsed ") && last.ends_with(", 0 errors"),
            "{dir}: {last}"
        );
    }
}
