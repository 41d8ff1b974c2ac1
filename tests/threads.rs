//! `--threads`: the output is the same bytes for every thread count, in input order (issue 13).

use crate::flood::flood;
use crate::util::{example, fpx, root};

fn explain(threads: &str, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let mut all = vec!["explain", "--threads", threads];
    all.extend_from_slice(args);
    let out = fpx(&all, stdin);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "fpx --threads {threads} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn every_thread_count_writes_the_same_bytes() {
    let fixtures = root().join("tests/fixtures");
    let mut inputs: Vec<String> = ["attacks.eve.json", "seed000-llmnr-xunlei.eve.json"]
        .iter()
        .map(|n| example(n))
        .collect();
    inputs.push(example("seed002-nas-p2p.asa.log"));
    inputs.push(example("seed003-mstream-gif.full.txt"));
    for dir in ["suricata/seed003-segments", "suricata/mstream-handler"] {
        if let Ok(rd) = std::fs::read_dir(fixtures.join(dir)) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().ends_with("eve.json") {
                    inputs.push(e.path().display().to_string());
                }
            }
        }
    }
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    for format in ["json", "text"] {
        // A small window, so that alerts are judged in several windows (and provisionally).
        for hold in ["3", "10000"] {
            let mut args = vec!["--format", format, "--hold", hold];
            args.extend_from_slice(&inputs);
            let one = explain("1", &args, None);
            assert!(!one.is_empty());
            for n in ["2", "3", "0"] {
                assert!(
                    explain(n, &args, None) == one,
                    "--threads {n} differs from --threads 1 (--format {format} --hold {hold})"
                );
            }
        }
    }
}

#[test]
fn a_flood_is_the_same_on_two_threads() {
    let dir = std::env::temp_dir().join(format!("fpx-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flood.fast.log");
    std::fs::write(&path, flood(5000)).unwrap();
    let path = path.display().to_string();
    let args = ["--format", "json", "--hold", "700", path.as_str()];
    let one = explain("1", &args, None);
    let two = explain("2", &args, None);
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        one == two,
        "--threads 2 differs from --threads 1 on a flood"
    );
    let alerts = one
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"{\"kind\":\"alert\""))
        .count();
    assert_eq!(alerts, 5000);
}

#[test]
fn a_closed_pipe_stops_every_thread() {
    // `fpx explain ... | head -c 1`: the run ends, quietly, with its usual status.
    let input = flood(20_000);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["explain", "--format", "json", "--threads", "2", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("fpx runs");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&input);
    });
    {
        use std::io::Read;
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        out.read_exact(&mut first).unwrap();
    }
    let status = child.wait().expect("fpx ends");
    let _ = writer.join();
    assert!(status.code().is_some_and(|c| c <= 1), "status {status}");
}
