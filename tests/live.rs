//! `--follow`: a live stream (a pipe that does not end, a growing and rotated file) gets each
//! alert out within a second of it being written (issue 13).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{example, example_eve_lines, fpx, spawn_fpx};

/// The latency a log pipeline expects of fpx.
const LATENCY: Duration = Duration::from_secs(1);

fn spawn(args: &[&str]) -> Child {
    spawn_fpx(args, Stdio::piped())
}

/// Sends each line fpx writes, with the time it came, as it comes.
fn lines_of(child: &mut Child) -> mpsc::Receiver<(Instant, serde_json::Value)> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
            if tx.send((Instant::now(), v)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits for the next alert line and returns how long after `since` it came.
fn next_alert(rx: &mpsc::Receiver<(Instant, serde_json::Value)>, since: Instant) -> Duration {
    loop {
        let (at, v) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("an alert line within 10 s");
        if v["kind"] == "alert" {
            return at.duration_since(since);
        }
    }
}

#[test]
fn a_pipe_that_does_not_end_gets_each_alert_out_within_a_second() {
    let mut child = spawn(&["explain", "--follow", "--format", "json", "-"]);
    let rx = lines_of(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    let mut worst = Duration::ZERO;
    // One alert at a time, as a sensor writes them, the pipe kept open between. The first
    // one's time includes fpx's start (loading its knowledge and rules), so it is not the
    // stream's latency.
    for (i, line) in example_eve_lines().iter().enumerate() {
        let sent = Instant::now();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        let took = next_alert(&rx, sent);
        if i > 0 {
            worst = worst.max(took);
            assert!(
                took < LATENCY,
                "alert {i} came {took:?} after it was written"
            );
        }
    }
    eprintln!("live: worst latency {worst:?}");
    // The end of the pipe ends the run, with its clusters and summary.
    drop(stdin);
    let mut kinds = Vec::new();
    while let Ok((_, v)) = rx.recv_timeout(Duration::from_secs(10)) {
        kinds.push(v["kind"].as_str().unwrap_or("").to_string());
    }
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("summary"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "cluster"), "{kinds:?}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_growing_file_is_followed_across_rotation() {
    let dir = std::env::temp_dir().join(format!("fpx-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("eve.json");
    let lines = example_eve_lines();
    std::fs::write(&path, format!("{}\n", lines[0])).unwrap();
    let started = Instant::now();
    let mut child = crate::util::KillOnDrop::new(spawn(&[
        "explain",
        "--follow",
        "--format",
        "json",
        path.to_str().unwrap(),
    ]));
    let rx = lines_of(child.child());
    // What the file held when fpx started comes out too.
    assert!(next_alert(&rx, started) < Duration::from_secs(5));
    let append = |line: &str| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    };
    let sent = Instant::now();
    append(&lines[1]);
    let took = next_alert(&rx, sent);
    assert!(took < LATENCY, "an appended alert came after {took:?}");
    // Rotation: the file is renamed and a new one takes its place.
    std::fs::rename(&path, dir.join("eve.json.1")).unwrap();
    let sent = Instant::now();
    std::fs::write(&path, format!("{}\n", lines[2])).unwrap();
    let took = next_alert(&rx, sent);
    assert!(took < LATENCY, "the new file's alert came after {took:?}");
    drop(child);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn follow_refuses_what_a_live_stream_cannot_do() {
    let eve = example("attacks.eve.json");
    for (args, says) in [
        (vec!["--follow", "-o", "/tmp/fpx-never.json"], "stdout"),
        (vec!["--follow", "--format", "html"], "HTML"),
        (vec!["--hold-time", "2s"], "--follow"),
        (vec!["--follow", "--hold-time", "soon"], "duration"),
    ] {
        let mut all = vec!["explain"];
        all.extend_from_slice(&args);
        all.push(&eve);
        let out = fpx(&all, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
