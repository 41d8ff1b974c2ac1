//! Every JSON output line validates against the shipped schema.

use super::util::*;

pub fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema/fpx-output.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn every_example_output_line_matches_the_schema() {
    let v = validator();
    let dir = root().join("examples");
    let mut inputs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "json" || x == "txt" || x == "log")
        })
        .map(|p| p.display().to_string())
        .collect();
    inputs.sort();
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let lines = explain_json(&refs, &[]);
    assert!(lines.len() > 5);
    for l in &lines {
        let errors: Vec<String> = v.iter_errors(l).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{l}\n{errors:?}");
    }
}

#[test]
fn the_schema_rejects_a_broken_line() {
    let v = validator();
    let bad = serde_json::json!({"kind": "alert", "verdict": "maybe"});
    assert!(!v.is_valid(&bad));
    let bad_summary = serde_json::json!({"kind": "summary", "records_read": -1, "alerts": 0, "context_events": 0, "skipped": {}});
    assert!(!v.is_valid(&bad_summary));
}
