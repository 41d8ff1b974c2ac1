//! The labelled evaluation set (tests/eval/): `fpx eval` reads every scenario, and every
//! alert the engines wrote is labelled. No score thresholds here; this only keeps the set whole.

use crate::util::{fpx, root};

#[test]
fn eval_set_reads_whole() {
    // The labels read the rule sets in place from the public corpus beside the repository.
    if !root().join("../shared/corpus/et-open-2024").is_dir() {
        eprintln!("skipped: the corpus is not beside the repository");
        return;
    }
    let out = fpx(
        &["eval", "tests/eval/labels.toml", "--format", "json"],
        None,
    );
    assert!(
        out.status.success(),
        "fpx eval failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    assert!(r["scenarios"].as_u64().unwrap() >= 30, "{}", r["scenarios"]);
    assert!(r["alerts"].as_u64().unwrap() >= 120, "{}", r["alerts"]);
    assert_eq!(r["problems"], serde_json::json!([]), "label problems");
    let truth = |k: &str| r["by_truth"][k].as_u64().unwrap_or(0);
    assert!(truth("true_positive") >= 40, "{}", r["by_truth"]);
    assert!(truth("false_positive") >= 40, "{}", r["by_truth"]);
    assert!(truth("benign_trigger") >= 30, "{}", r["by_truth"]);
}
