//! A small harness that runs the `fpx` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

/// The lines of the bundled EVE examples: five real alerts (two attacks, three LLMNR queries
/// under a P2P signature).
pub fn example_eve_lines() -> Vec<String> {
    ["attacks.eve.json", "seed000-llmnr-xunlei.eve.json"]
        .iter()
        .flat_map(|n| {
            std::fs::read_to_string(example(n))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Starts `fpx` with `args` in the project folder, its stdout and stderr piped.
pub fn spawn_fpx(args: &[&str], stdin: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(args)
        .current_dir(root())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fpx runs")
}

/// Runs `fpx` with `args`, feeding `stdin` if given.
pub fn fpx(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fpx"));
    cmd.args(args).current_dir(root());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("fpx runs");
    if let Some(data) = stdin {
        use std::io::Write;
        let mut si = child.stdin.take().unwrap();
        si.write_all(data).unwrap();
    }
    child.wait_with_output().expect("fpx finishes")
}

/// Runs `fpx explain --format json` and returns the parsed lines.
pub fn explain_json(inputs: &[&str], extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["explain", "--format", "json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(inputs);
    json_lines(&args)
}

/// Runs `fpx` with `args` (a JSON-writing command) and returns the parsed lines; fails on
/// a usage error or a crash.
pub fn json_lines(args: &[&str]) -> Vec<serde_json::Value> {
    let out = fpx(args, None);
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "fpx failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

pub fn alerts(lines: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    lines.iter().filter(|l| l["kind"] == "alert").collect()
}

pub fn summary(lines: &[serde_json::Value]) -> &serde_json::Value {
    let last = lines.last().expect("at least a summary line");
    assert_eq!(last["kind"], "summary", "last line is the summary");
    last
}

/// All evidence texts, refs and the root cause of an alert line, joined, for word checks.
pub fn words(alert: &serde_json::Value) -> String {
    let mut s = alert["root_cause"]["summary"]
        .as_str()
        .unwrap_or("")
        .to_string();
    for e in alert["evidence"].as_array().into_iter().flatten() {
        s.push('\n');
        s.push_str(e["id"].as_str().unwrap_or(""));
        s.push(' ');
        s.push_str(e["text"].as_str().unwrap_or(""));
        for r in e["refs"].as_array().into_iter().flatten() {
            s.push(' ');
            s.push_str(r.as_str().unwrap_or(""));
        }
    }
    s
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fpx-it-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.display().to_string()
}

/// Runs `fpx` with `args` and returns its output and its peak resident memory in KiB (VmHWM,
/// read every millisecond while it runs: a high-water mark, so any read after the peak has it).
pub fn peak_of(args: &[&str]) -> (Output, u64) {
    let child = spawn_fpx(args, Stdio::null());
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d2 = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0u64;
        while !d2.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if let Some(kb) = s
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak = peak.max(kb);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        peak
    });
    let out = child.wait_with_output().expect("fpx finishes");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    (out, sampler.join().unwrap())
}

/// A child process killed (and reaped) when dropped, so that a failing test leaves no `fpx`
/// following a stream behind it.
pub struct KillOnDrop(Option<std::process::Child>);

impl KillOnDrop {
    pub fn new(child: std::process::Child) -> KillOnDrop {
        KillOnDrop(Some(child))
    }

    pub fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("a child until killed")
    }

    /// Kills the child now and returns what it wrote.
    pub fn kill(mut self) -> Output {
        let mut c = self.0.take().expect("a child until killed");
        let _ = c.kill();
        c.wait_with_output().expect("the child is reaped")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
