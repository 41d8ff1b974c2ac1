//! Snort 3's `alert_json` and `alert_csv` output, as Snort 3.11.1 wrote it over seed 000's
//! three LLMNR queries (tests/fixtures/snort3/seed000-llmnr/, commands in its README), is
//! explained as the `alert_fast` output of the same run is.

use super::util::*;

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures/snort3/seed000-llmnr")
        .join(name)
        .display()
        .to_string()
}

fn verdicts(lines: &[serde_json::Value]) -> Vec<(String, String)> {
    alerts(lines)
        .iter()
        .map(|a| {
            (
                a["alert"]["timestamp_utc"].as_str().unwrap().to_string(),
                a["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema/fpx-output.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("schema compiles")
}

#[test]
fn alert_json_gives_the_verdicts_of_alert_fast() {
    let json = explain_json(&[&fixture("alert_json.txt")], &[]);
    let fast = explain_json(&[&fixture("alert_fast.txt")], &["--year", "2016"]);
    let s = summary(&json);
    assert_eq!(s["records_read"], 3);
    assert_eq!(s["alerts"], 3);
    assert_eq!(s["skipped"], serde_json::json!({}));
    assert_eq!(verdicts(&json).len(), 3);
    // Same instants (the JSON's `seconds` gives the year the fast file needs --year for) and
    // the same verdicts, alert by alert.
    assert_eq!(verdicts(&json), verdicts(&fast));
    assert_eq!(s["verdicts"], summary(&fast)["verdicts"]);
    assert_eq!(s["verdicts"]["false_positive"], 3);
    let v = schema();
    for (l, a) in json.iter().zip(alerts(&json)) {
        assert!(v.is_valid(l), "{l}");
        assert_eq!(a["source"]["format"], "snort_json");
        assert_eq!(a["alert"]["year_source"], "written");
        assert_eq!(a["alert"]["sid"], 2_009_099);
        assert_eq!(a["alert"]["direction"], "to_server");
        // The line passes through as the JSON object Snort wrote.
        assert_eq!(a["original"]["rule"], "1:2009099:3");
    }
    // The JSON carries the payload the fast line has not: the LLMNR query is seen.
    let first = alerts(&json)[0];
    assert_eq!(first["alert"]["payload_len"], 32);
    assert!(words(first).contains("LLMNR"), "{}", words(first));
}

#[test]
fn alert_csv_with_default_and_own_fields() {
    let fast = explain_json(&[&fixture("alert_fast.txt")], &["--year", "2016"]);
    // Default fields: no seconds, so the year is --year's, as for alert_fast.
    let csv = explain_json(&[&fixture("alert_csv.txt")], &["--year", "2016"]);
    assert_eq!(summary(&csv)["alerts"], 3);
    assert_eq!(verdicts(&csv), verdicts(&fast));
    // A field list of its own, told by content: seconds, msg and payload included.
    let own = explain_json(&[&fixture("alert_csv-fields.txt")], &[]);
    assert_eq!(summary(&own)["alerts"], 3);
    assert_eq!(verdicts(&own), verdicts(&fast));
    let v = schema();
    for l in csv.iter().chain(&own) {
        assert!(v.is_valid(l), "{l}");
    }
    let a = alerts(&own)[0];
    assert_eq!(a["source"]["format"], "snort_csv");
    assert_eq!(a["alert"]["year_source"], "written");
    assert_eq!(a["alert"]["msg"], "ET P2P ThunderNetwork UDP Traffic");
    assert_eq!(a["alert"]["payload_len"], 32);
    assert_eq!(a["original"]["format"], "snort_csv");
}

#[test]
fn forced_formats_and_a_header_line() {
    // --input-format names the new readers; an alert_csv file with a header line added names
    // every column, bare numbers (ttl, ip_id) included.
    let dir = temp_dir("snort3-csv");
    let body = std::fs::read_to_string(fixture("alert_csv-fields.txt")).unwrap();
    let with_header = format!(
        "# seconds timestamp rule msg class priority proto dir src_ap dst_ap ip_id ttl \
         udp_len service action b64_data pkt_num\n{body}"
    );
    let p = write(&dir, "alert_csv-header.txt", with_header.as_bytes());
    let lines = explain_json(&[&p], &["--input-format", "snort_csv"]);
    let s = summary(&lines);
    assert_eq!(s["alerts"], 3);
    assert_eq!(s["skipped"]["snort_csv_header"], 1);
    let a = alerts(&lines)[0];
    assert_eq!(a["alert"]["priority"], 1);
    let lines = explain_json(
        &[&fixture("alert_json.txt")],
        &["--input-format", "snort_json"],
    );
    assert_eq!(summary(&lines)["alerts"], 3);
    let out = fpx(
        &[
            "explain",
            "--input-format",
            "snort",
            &fixture("alert_json.txt"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("snort_json, snort_csv"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
