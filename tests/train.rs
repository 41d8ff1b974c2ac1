//! `fpx train`: a scripted session from an answers file, the same session typed into a real
//! pseudo-terminal, and answers checked against an analyst's recorded verdict.

use std::process::{Command, Stdio};

use crate::util::{example, fpx};

fn dumps() -> [String; 2] {
    [
        example("seed000-llmnr-xunlei.eve.json"),
        example("seed003-mstream-gif.full.txt"),
    ]
}

fn scratch() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("fpx-train-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The number of the right root cause of each question, as the session said it.
fn right_numbers(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| {
            let t = l.trim();
            if t == "right." {
                // The pick was right; the scripted picks are all 1.
                Some("1".to_string())
            } else {
                t.strip_prefix("not quite: it is ")
                    .map(|n| n.trim_end_matches('.').to_string())
            }
        })
        .collect()
}

#[test]
fn a_scripted_session_asks_checks_explains_and_scores() {
    let d = scratch();
    let answers = d.join("answers.txt");
    std::fs::write(&answers, "# verdict, then cause\nfp\n1\n\nfp\n1\n").unwrap();
    let [a, b] = dumps();
    let out = fpx(
        &[
            "train",
            "--questions",
            "2",
            "--answers",
            answers.to_str().unwrap(),
            &a,
            &b,
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("question 1/2"), "{text}");
    assert!(text.contains("question 2/2"));
    assert!(text.contains("right: fpx says false_positive"), "{text}");
    assert!(
        text.contains("root cause: 224.0.0.252 is link-local multicast"),
        "{text}"
    );
    assert!(
        text.contains("root cause: this is the HTTP response"),
        "{text}"
    );
    assert!(
        text.contains("+3.0 link-local-multicast-peer:"),
        "the explanation follows"
    );
    assert_eq!(right_numbers(&text).len(), 2, "{text}");
    assert!(
        text.contains("score: ") && text.contains(" of 4 points over 2 questions"),
        "{text}"
    );
    // Answers that run out end the session with the score so far.
    std::fs::write(&answers, "tp\n").unwrap();
    let out = fpx(
        &["train", "--answers", answers.to_str().unwrap(), &a, &b],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("no more answers; score: 0 of 1 points over 0 questions"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_session_in_a_pseudo_terminal_scores_full_marks_with_the_right_answers() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) not found: skipped");
        return;
    }
    let d = scratch().join("pty");
    std::fs::create_dir_all(&d).unwrap();
    let [a, b] = dumps();
    // Learn the right cause numbers from a scripted run, then type them at the terminal.
    let probe = d.join("probe.txt");
    std::fs::write(&probe, "fp\n1\nfp\n1\n").unwrap();
    let out = fpx(
        &[
            "train",
            "--questions",
            "2",
            "--answers",
            probe.to_str().unwrap(),
            &a,
            &b,
        ],
        None,
    );
    let nums = right_numbers(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(nums.len(), 2);
    let cmd = format!("{} train --questions 2 {a} {b}", env!("CARGO_BIN_EXE_fpx"));
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut si = child.stdin.take().unwrap();
        write!(si, "fp\n{}\nfp\n{}\n", nums[0], nums[1]).unwrap();
        // Keep the terminal open until the session has read its answers.
        std::thread::sleep(std::time::Duration::from_millis(1500));
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("verdict? [fp/benign/tp/?]"), "{text}");
    assert!(
        text.contains("score: 4 of 4 points over 2 questions"),
        "{text}"
    );
}

#[test]
fn answers_are_checked_against_an_analysts_recorded_verdict() {
    let d = scratch().join("feedback");
    std::fs::create_dir_all(&d).unwrap();
    let feedback = d.join("feedback.jsonl");
    let out = fpx(
        &[
            "verdict",
            "--feedback",
            feedback.to_str().unwrap(),
            "--verdict",
            "tp",
            "--sid",
            "2009099",
            "--host",
            "192.168.88.23",
            "--analyst",
            "teacher",
            "--note",
            "seen exfiltrating",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers = d.join("answers.txt");
    std::fs::write(&answers, "tp\n").unwrap();
    let [a, _] = dumps();
    let out = fpx(
        &[
            "train",
            "--questions",
            "1",
            "--feedback",
            feedback.to_str().unwrap(),
            "--answers",
            answers.to_str().unwrap(),
            &a,
        ],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("right: an analyst recorded true_positive"),
        "{text}"
    );
}
