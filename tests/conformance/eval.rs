//! The labelled evaluation set (tests/eval/, built by scripts/make-eval.py from real Suricata
//! 8.0.6 and Snort 3.11.1 runs over crafted captures): `fpx eval` reads every scenario, every
//! alert is labelled, no attack is called a false positive with confidence, and the scores meet
//! the calibration targets (README, "Calibration").

use std::process::Command;

use super::util::corpus;

#[test]
#[ignore = "needs the corpus: the labels read the rule sets in place"]
fn the_labelled_set_reads_whole_and_meets_the_calibration_targets() {
    // The labels name the rule sets as ../../../shared/corpus from tests/eval/.
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        beside.join("PROVENANCE.md").is_file(),
        "the labels need the corpus beside the repository at {} (found {} from FPX_CORPUS)",
        beside.display(),
        corpus().display()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["eval", "tests/eval/labels.toml", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fpx eval: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    assert_eq!(r["problems"], serde_json::json!([]), "label problems");
    assert!(r["scenarios"].as_u64().unwrap() >= 30, "{}", r["scenarios"]);
    assert!(r["alerts"].as_u64().unwrap() >= 120, "{}", r["alerts"]);
    let truth = |k: &str| r["by_truth"][k].as_u64().unwrap_or(0);
    assert!(truth("true_positive") >= 40, "{}", r["by_truth"]);
    assert!(truth("false_positive") >= 40, "{}", r["by_truth"]);
    assert!(truth("benign_trigger") >= 30, "{}", r["by_truth"]);
    // The worst bug: a real attack dismissed with confidence.
    assert_eq!(
        r["confident_misses"],
        serde_json::json!([]),
        "attacks with fp_probability >= 0.8"
    );
    let num = |k: &str| r[k].as_f64().unwrap();
    assert!(num("roc_auc") >= 0.95, "ROC AUC {}", r["roc_auc"]);
    assert!(num("brier") <= 0.08, "Brier {}", r["brier"]);
    let (named, labelled) = (
        r["causes_named"].as_u64().unwrap(),
        r["causes_labelled"].as_u64().unwrap(),
    );
    assert!(
        named * 10 >= labelled * 9,
        "root cause named for {named} of {labelled} benign alerts"
    );
    println!(
        "eval: accuracy {:.3}, Brier {:.4}, ROC AUC {:.4}, causes named {} of {}",
        r["accuracy"].as_f64().unwrap(),
        r["brier"].as_f64().unwrap(),
        r["roc_auc"].as_f64().unwrap(),
        r["causes_named"],
        r["causes_labelled"]
    );
}
