//! The accounting invariant over every corpus file fpx reads (issue #12): records read =
//! alerts + context events + skipped records by reason, and the same counts whether the
//! file is named or piped into stdin.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::judgement::inputs;

/// The summary line of `fpx explain --format json`, reading `path` or (when `stdin`) its
/// bytes from a pipe.
fn summary(path: &Path, stdin: bool) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fpx"));
    cmd.args([
        "explain",
        "--format",
        "json",
        "--clusters-only",
        "--max-warnings",
        "0",
    ]);
    if stdin {
        cmd.arg("-").stdin(Stdio::piped());
    } else {
        cmd.arg(path).stdin(Stdio::null());
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fpx runs");
    if stdin {
        let data = std::fs::read(path).unwrap();
        let mut si = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = si.write_all(&data);
        });
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{} (stdin {stdin}): {:?}",
        path.display(),
        out.status
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().expect("a summary line")).unwrap()
}

#[test]
#[ignore = "needs the corpus; run by .ci/run"]
fn every_record_is_accounted_for_and_stdin_reads_as_the_file() {
    let files = inputs();
    assert!(files.len() > 500, "{}", files.len());
    let mut records = 0;
    for f in &files {
        let named = summary(f, false);
        let skipped: u64 = named["skipped"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        let n = |k: &str| named[k].as_u64().unwrap();
        assert_eq!(
            n("records_read"),
            n("alerts") + n("context_events") + skipped,
            "{}: {named}",
            f.display()
        );
        let piped = summary(f, true);
        for k in ["records_read", "alerts", "context_events", "skipped"] {
            assert_eq!(named[k], piped[k], "{}: {k} from stdin", f.display());
        }
        records += n("records_read");
    }
    println!(
        "accounting: {} files, {records} records, each accounted for, the same from stdin",
        files.len()
    );
}
