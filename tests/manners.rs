//! The command line's manners: where the report goes (`-o`, never over an input), `--quiet`,
//! what `--help` lists, completions and the man page, and warnings said once.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::util::{example, fpx};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fpx-manners-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn output_file_refuses_inputs_and_existing_files() {
    let d = scratch("o");
    let input = d.join("in.json");
    fs::copy(example("attacks.eve.json"), &input).unwrap();
    let before = fs::read(&input).unwrap();
    let i = input.to_str().unwrap();

    // Over the input: refused, even with --force; the input is untouched.
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["explain", i, "-o", i];
        args.extend_from_slice(extra);
        let out = fpx(&args, None);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("that is the input"), "{err}");
        assert_eq!(fs::read(&input).unwrap(), before);
    }
    // Over another file the run reads (a map): refused too.
    let map = d.join("sid-msg.map");
    fs::write(
        &map,
        "2100498 || GPL ATTACK_RESPONSE id check returned root\n",
    )
    .unwrap();
    let m = map.to_str().unwrap();
    let out = fpx(
        &["explain", i, "--sid-msg-map", m, "-o", m, "--force"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));

    // A new file: the same report as on stdout.
    let report = d.join("report.txt");
    let r = report.to_str().unwrap();
    let out = fpx(&["explain", i, "-o", r], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let stdout = fpx(&["explain", i], None).stdout;
    assert_eq!(fs::read(&report).unwrap(), stdout);

    // An existing file: refused without --force, replaced with it.
    fs::write(&report, "keep me").unwrap();
    let out = fpx(&["explain", i, "-o", r], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(fs::read_to_string(&report).unwrap(), "keep me");
    let out = fpx(&["explain", i, "-o", r, "--force"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fs::read(&report).unwrap(), stdout);
    // --force without -o is a usage error.
    assert_eq!(fpx(&["explain", i, "--force"], None).status.code(), Some(2));
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn stdout_redirected_into_the_input_is_said_not_read_as_empty() {
    let d = scratch("redirect");
    let input = d.join("same.json");
    fs::copy(example("attacks.eve.json"), &input).unwrap();
    // `fpx explain same.json > same.json`: the shell empties the file, then fpx starts.
    let truncated = fs::File::create(&input).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["explain", input.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(truncated)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("emptied it"), "{err}");
    // `>> same.json`: fpx would read its own report.
    fs::copy(example("attacks.eve.json"), &input).unwrap();
    let append = fs::OpenOptions::new().append(true).open(&input).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["explain", input.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(append)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("its own report"));
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn quiet_says_only_the_errors_once() {
    let d = scratch("quiet");
    let bad = d.join("bad.json");
    fs::write(
        &bad,
        format!(
            "not json\n{}",
            fs::read_to_string(example("attacks.eve.json")).unwrap()
        ),
    )
    .unwrap();
    let missing = d.join("missing.json");
    let (b, m) = (bad.to_str().unwrap(), missing.to_str().unwrap());
    let loud = fpx(&["explain", b, m], None);
    let loud_err = String::from_utf8_lossy(&loud.stderr);
    assert!(loud_err.contains("skipped (invalid_json)"), "{loud_err}");
    let out = fpx(&["explain", "--quiet", b, m], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("skipped"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("missing.json").count(), 1, "{err}");
    assert_eq!(out.stdout, loud.stdout, "the report is the same");
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn warnings_name_the_place_once() {
    let d = scratch("warn");
    let bad = d.join("bad.json");
    fs::write(&bad, "{\"event_type\":\"alert\", bad\n").unwrap();
    let out = fpx(&["explain", bad.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap();
    assert!(
        first.contains("bad.json: line 1, column 24: skipped (invalid_json): key must be a string"),
        "{first}"
    );
    assert_eq!(first.matches("line").count(), 1, "{first}");
    // An input of which the format cannot be told: its path once per line.
    let out = fpx(&["explain", d.to_str().unwrap()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("error:")).unwrap();
    let name = d.to_str().unwrap();
    assert_eq!(line.matches(name).count(), 1, "{line}");
    for l in String::from_utf8_lossy(&out.stderr).lines() {
        assert!(l.matches(name).count() <= 1, "{l}");
    }
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn help_lists_input_formats_and_completions_and_man_are_generated() {
    let out = fpx(&["explain", "--help"], None);
    let help = String::from_utf8_lossy(&out.stdout);
    for f in ["eve", "unified2", "cisco_asa", "snort_csv", "zeek"] {
        assert!(help.contains(f), "--help lists {f}");
    }
    let bad = fpx(&["explain", "--input-format", "nope", "x"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("snort_json"));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = fpx(&["completions", shell], None);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("explain") && script.contains("input-format"),
            "{shell}"
        );
    }
    let bash = String::from_utf8_lossy(&fpx(&["completions", "bash"], None).stdout).to_string();
    assert!(
        bash.contains("unified2"),
        "completions offer the input formats"
    );
    let man = fpx(&["man"], None);
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(
        page.contains(".TH fpx") && page.contains("explain"),
        "{page}"
    );
    assert_eq!(fpx(&["completions", "tcsh"], None).status.code(), Some(2));
}

/// Progress is shown on a terminal for a long input, and never when stderr is not one.
#[test]
fn progress_on_a_terminal_only() {
    let d = scratch("progress");
    let flood = d.join("flood.fast");
    std::fs::write(&flood, crate::flood::flood(20_000)).unwrap();
    let f = flood.to_str().unwrap();
    let piped = fpx(&["explain", "--format", "json", "--year", "2011", f], None);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("reading:"));
    if Command::new("script").arg("--version").output().is_err() {
        return;
    }
    let cmd = format!(
        "{} explain --format json --year 2011 {f} > /dev/null",
        env!("CARGO_BIN_EXE_fpx")
    );
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&out.stdout);
    // Shown after half a second; 20,000 alerts take the debug build about two.
    assert!(
        tty.contains("reading: ") && tty.contains(" records, "),
        "{tty}"
    );
    let quiet = format!(
        "{} explain --quiet --format json --year 2011 {f} > /dev/null",
        env!("CARGO_BIN_EXE_fpx")
    );
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &quiet, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("reading:"));
    let _ = fs::remove_dir_all(&d);
}
