//! Analyst feedback: `fpx verdict` writes it, `--feedback` weighs it in the next run, for the
//! signature and hosts it names and no others, and never so that one verdict decides.

use super::util::*;
use serde_json::Value;

const FAST: &str = "tests/fixtures/snort3/seed000-llmnr/alert_fast.txt";

/// A folder with Snort 3's three LLMNR alerts from 192.168.88.23 and one more of the same
/// signature from another host, 192.168.88.50, as a second fast file.
fn dumps(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fpx-feedback-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("other-host.txt"),
        "04/28-13:00:00.000001 [**] [1:2009099:3] \"ET P2P ThunderNetwork UDP Traffic\" [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] {UDP} 192.168.88.50:50123 -> 224.0.0.252:5355\n",
    )
    .unwrap();
    dir
}

fn verdict(args: &[&str]) -> String {
    let mut all = vec!["verdict", "--analyst", "ana"];
    all.extend_from_slice(args);
    let out = fpx(&all, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// fp_probability of each alert by source address.
fn by_source(lines: &[Value]) -> Vec<(String, f64, String)> {
    alerts(lines)
        .iter()
        .map(|a| {
            (
                a["alert"]["src_ip"].as_str().unwrap().to_string(),
                a["fp_probability"].as_f64().unwrap(),
                a["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn feedback_moves_the_next_run_for_that_signature_and_host_and_not_another() {
    let dir = dumps("moves");
    let other = dir.join("other-host.txt").display().to_string();
    let fb = dir.join("feedback.jsonl").display().to_string();
    let run = |fb: Option<&str>| {
        let mut extra = vec!["--year", "2016"];
        if let Some(f) = fb {
            extra.extend(["--feedback", f]);
        }
        by_source(&explain_json(&[FAST, &other], &extra))
    };
    let before = run(None);
    assert_eq!(before.len(), 4);
    let p = |v: &[(String, f64, String)], host: &str| {
        v.iter()
            .find(|(h, _, _)| h == host)
            .map(|(_, p, _)| *p)
            .unwrap()
    };
    let line = verdict(&[
        "--feedback",
        &fb,
        "--verdict",
        "fp",
        "--sid",
        "1:2009099",
        "--host",
        "192.168.88.23",
        "--note",
        "LLMNR name queries",
    ]);
    let rec: Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(rec["verdict"], "false_positive");
    assert_eq!(rec["analyst"], "ana");

    // The host the verdict names moves up from `from`; the other stays where it began.
    let moved = |from: &[(String, f64, String)], to: &[(String, f64, String)]| {
        assert!(
            p(to, "192.168.88.23") > p(from, "192.168.88.23"),
            "{from:?} {to:?}"
        );
        assert_eq!(
            p(to, "192.168.88.50"),
            p(&before, "192.168.88.50"),
            "{to:?}"
        );
    };
    let once = run(Some(&fb));
    moved(&before, &once);
    // The explanation says so, with the analyst's words.
    let lines = explain_json(&[FAST], &["--year", "2016", "--feedback", &fb]);
    let w = words(alerts(&lines)[0]);
    assert!(
        w.contains("analyst-called-it-benign-once") && w.contains("LLMNR name queries"),
        "{w}"
    );

    // A second verdict moves it further; the other host still does not move.
    verdict(&[
        "--feedback",
        &fb,
        "--verdict",
        "benign",
        "--sid",
        "2009099",
        "--host",
        "192.168.88.23",
    ]);
    let twice = run(Some(&fb));
    moved(&once, &twice);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_verdict_cannot_silence_a_signature_and_an_attack_verdict_vetoes_benign() {
    let dir = dumps("veto");
    let fb = dir.join("feedback.jsonl").display().to_string();
    let attacks = example("attacks.eve.json");
    let before = explain_json(&[&attacks], &[]);
    // Signature-wide benign verdicts, many of them, are hints: the log4j attack stays one.
    for _ in 0..5 {
        verdict(&[
            "--feedback",
            &fb,
            "--verdict",
            "fp",
            "--sid",
            "2034647",
            "--note",
            "scanner noise",
        ]);
    }
    // A verdict about another host does not reach this one at all.
    for _ in 0..5 {
        verdict(&[
            "--feedback",
            &fb,
            "--verdict",
            "fp",
            "--sid",
            "2034647",
            "--host",
            "192.0.2.99",
        ]);
    }
    let after = explain_json(&[&attacks], &["--feedback", &fb]);
    let log4j = |lines: &[Value]| {
        alerts(lines)
            .into_iter()
            .find(|a| a["alert"]["sid"] == 2034647)
            .cloned()
            .unwrap()
    };
    let (b, a) = (log4j(&before), log4j(&after));
    assert_eq!(a["verdict"], "true_positive", "{a}");
    let w = words(&a);
    assert!(
        w.contains("analyst-called-the-signature-benign-elsewhere"),
        "{w}"
    );
    assert!(!w.contains("192.0.2.99"), "{w}");
    assert!(a["fp_probability"].as_f64() < Some(0.5), "{a}");
    assert!(b["fp_probability"].as_f64() <= a["fp_probability"].as_f64());

    // An analyst who called the LLMNR alerts an attack keeps them from being benign, and
    // with them their cluster: nothing is suggested but "investigate".
    let fb2 = dir.join("attack.jsonl").display().to_string();
    verdict(&[
        "--feedback",
        &fb2,
        "--verdict",
        "tp",
        "--sid",
        "2009099",
        "--host",
        "192.168.88.23",
    ]);
    let lines = explain_json(
        &[&example("seed000-llmnr-xunlei.eve.json")],
        &["--feedback", &fb2],
    );
    for a in alerts(&lines) {
        assert_eq!(a["verdict"], "undetermined", "{a}");
        assert!(
            a["undetermined_because"]
                .as_str()
                .unwrap()
                .contains("an attack"),
            "{a}"
        );
    }
    let cluster = lines.iter().find(|l| l["kind"] == "cluster").unwrap();
    assert_eq!(cluster["verdict"], "undetermined", "{cluster}");
    for s in cluster["suggestions"].as_array().unwrap() {
        assert_eq!(s["kind"], "investigate", "{s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verdicts_on_a_cluster_or_an_alert_of_a_report_name_its_signature_and_hosts() {
    let dir = dumps("report");
    let report = dir.join("report.jsonl");
    let fb = dir.join("feedback.jsonl").display().to_string();
    let out = fpx(
        &[
            "explain",
            "--format",
            "json",
            &example("seed000-llmnr-xunlei.eve.json"),
        ],
        None,
    );
    std::fs::write(&report, &out.stdout).unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let id = lines.iter().find(|l| l["kind"] == "cluster").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = report.display().to_string();
    let rec: Value = serde_json::from_str(
        verdict(&[
            "--feedback",
            &fb,
            "--verdict",
            "fp",
            "--cluster",
            &id,
            "--report",
            &r,
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(
        (rec["gid"].as_u64(), rec["sid"].as_u64()),
        (Some(1), Some(2009099))
    );
    assert_eq!(rec["src"], serde_json::json!(["192.168.88.23"]));
    assert_eq!(rec["dst"], serde_json::json!(["224.0.0.252"]));
    assert_eq!(rec["cluster"], id.as_str());
    let rec: Value = serde_json::from_str(
        verdict(&[
            "--feedback",
            &fb,
            "--verdict",
            "tp",
            "--alert",
            "2",
            "--report",
            &r,
        ])
        .trim(),
    )
    .unwrap();
    assert!(
        rec["alert"]
            .as_str()
            .unwrap()
            .ends_with("seed000-llmnr-xunlei.eve.json:2"),
        "{rec}"
    );
    // Both lines read back; a missing target or a verdict about nothing is refused.
    assert_eq!(std::fs::read_to_string(&fb).unwrap().lines().count(), 2);
    let bad = fpx(
        &[
            "verdict",
            "--feedback",
            &fb,
            "--verdict",
            "fp",
            "--analyst",
            "ana",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    let bad = fpx(
        &[
            "verdict",
            "--feedback",
            &fb,
            "--verdict",
            "fp",
            "--analyst",
            "ana",
            "--cluster",
            "c000000000000",
            "--report",
            &r,
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no cluster with id"));
    // A broken feedback file stops the run with its file and line.
    std::fs::write(dir.join("broken.jsonl"), "{\"verdict\":\"fp\"}\n").unwrap();
    let broken = dir.join("broken.jsonl").display().to_string();
    let out = fpx(&["explain", "--feedback", &broken, FAST], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.jsonl: line 1"));
    let _ = std::fs::remove_dir_all(&dir);
}
