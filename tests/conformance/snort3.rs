//! Every Snort 3.11 `alert_json.txt` of the corpus (snort-3.11.1-runs, 48 of the logger's 53
//! fields) reads one alert per line with nothing skipped, and is judged as the `alert_fast.txt`
//! Snort wrote in the same run.

use std::path::Path;
use std::process::Command;

use fpx::model::time::civil_from_days;

use crate::util::{corpus, files_where};

/// Runs folders (relative to snort-3.11.1-runs) where the JSON and the fast alerts are judged
/// differently because the fast line lacks what decides: there `alert_full.txt`, which has the
/// same fields as the JSON, must give the JSON's verdicts and the fast file others. If the
/// fast verdicts come to agree, the entry goes.
const FAST_LACKS: [(&str, &str, bool); 3] = [
    (
        "djcas9-unified2-output/gpl",
        "530 ICMP unreachables to 10.0.1.6: the JSON and alert_full give their ICMP type and \
         code, so they are errors answering the inside host's packets (benign_trigger); the fast \
         line names neither, and they stay undetermined",
        true,
    ),
    (
        "igmp-v1-v2-rgmp-01/community",
        "87 IPv4 option events on IGMP: the JSON's b64_data is the IGMP message, whose Router \
         Alert option IGMP requires (benign_trigger); the fast and full lines carry no payload, \
         and they stay undetermined",
        false,
    ),
    (
        "igmp-v1-v2-rgmp-01/gpl",
        "the same 87 IGMP option events under the GPL rule set",
        false,
    ),
];

/// The summary line of `fpx explain --format json` over one file.
fn summary(path: &Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["explain", "--format", "json", "--max-warnings", "0"])
        .args(extra)
        .arg(path)
        .output()
        .expect("fpx runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "fpx failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let last = stdout.lines().last().expect("a summary line");
    let v: serde_json::Value = serde_json::from_str(last).expect("summary is JSON");
    assert_eq!(v["kind"], "summary");
    v
}

/// The year of the first alert, from its `seconds` field, for the fast file's `--year` (its
/// timestamps have none; the file's modification year would depend on how the corpus was
/// copied).
fn first_year(json: &str) -> String {
    let first = json.lines().find(|l| !l.trim().is_empty()).unwrap();
    let v: serde_json::Value = serde_json::from_str(first).unwrap();
    let secs = v["seconds"]
        .as_i64()
        .expect("the corpus runs log `seconds`");
    civil_from_days(secs.div_euclid(86_400)).0.to_string()
}

#[test]
#[ignore = "needs the corpus; run by .ci/run"]
fn every_snort3_alert_json_reads_and_judges_as_its_alert_fast() {
    let root = corpus().join("snort-3.11.1-runs");
    let files = files_where(&root, &|p| {
        p.file_name().is_some_and(|n| n == "alert_json.txt")
    });
    assert_eq!(files.len(), 67, "alert_json.txt files");
    let (mut alerts, mut excepted) = (0u64, 0usize);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count() as u64;
        let run = f.parent().unwrap();
        let name = run
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let json = summary(f, &["--input-format", "snort_json"]);
        // Detected as such, too.
        assert_eq!(summary(f, &[])["verdicts"], json["verdicts"], "{name}");
        assert_eq!(json["alerts"].as_u64(), Some(lines), "{name}");
        assert_eq!(json["records_read"].as_u64(), Some(lines), "{name}");
        assert_eq!(json["skipped"], serde_json::json!({}), "{name}");
        let year = first_year(&text);
        let fast = summary(&run.join("alert_fast.txt"), &["--year", &year]);
        assert_eq!(fast["alerts"].as_u64(), Some(lines), "{name}");
        match FAST_LACKS.iter().find(|(n, _, _)| *n == name) {
            None => assert_eq!(json["verdicts"], fast["verdicts"], "{name}"),
            Some((_, why, full_agrees)) => {
                excepted += 1;
                assert_ne!(json["verdicts"], fast["verdicts"], "{name}: {why}");
                let full = summary(&run.join("alert_full.txt"), &["--year", &year]);
                if *full_agrees {
                    assert_eq!(json["verdicts"], full["verdicts"], "{name}: {why}");
                } else {
                    assert_eq!(fast["verdicts"], full["verdicts"], "{name}: {why}");
                }
                println!("{name}: {why}");
            }
        }
        alerts += lines;
    }
    assert_eq!(excepted, FAST_LACKS.len());
    println!("{} alert_json files, {alerts} alerts", files.len());
}
