//! A generated alert flood with a handful of root causes, and a runner that measures the peak
//! memory of `fpx` while it reads the flood. Shared by the integration and conformance tests.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// Fast alert lines from five root causes: an SSH scan from many Internet hosts, LLMNR
/// queries from inside hosts, one host scanning many ports, DNS replies to client ports,
/// and inside hosts reaching out to SMB on the Internet.
pub fn flood(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 200);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    const PUBLIC: [u8; 8] = [23, 45, 62, 80, 91, 109, 185, 212];
    for i in 0..n {
        let r = next();
        let ext = format!(
            "{}.{}.{}.{}",
            PUBLIC[(r % 8) as usize],
            (r >> 8) % 256,
            (r >> 16) % 256,
            1 + (r >> 24) % 250
        );
        let home = format!(
            "10.{}.{}.{}",
            (r >> 32) % 4,
            (r >> 40) % 256,
            1 + (r >> 48) % 250
        );
        let eph = 1024 + (r >> 20) % 60000;
        let t = format!(
            "08/13/2021-{:02}:{:02}:{:02}.{:06}",
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            i % 1_000_000
        );
        let line = match i % 5 {
            0 => format!("{t}  [**] [1:2001219:20] ET SCAN Potential SSH Scan [**] [Classification: Attempted Information Leak] [Priority: 2] {{TCP}} {ext}:{eph} -> {home}:22\n"),
            1 => format!("{t}  [**] [1:2009099:3] ET P2P ThunderNetwork UDP Traffic [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] {{UDP}} {home}:{eph} -> 224.0.0.252:5355\n"),
            2 => format!("{t}  [**] [1:2010935:3] ET SCAN Suspicious inbound to mySQL port [**] [Classification: Potentially Bad Traffic] [Priority: 2] {{TCP}} 45.9.20.7:{eph} -> 10.1.1.5:{}\n", 1 + (r >> 12) % 1000),
            3 => format!("{t}  [**] [1:2027863:2] ET INFO Observed DNS Query to .biz TLD [**] [Classification: Potentially Bad Traffic] [Priority: 2] {{UDP}} {ext}:53 -> {home}:{eph}\n"),
            _ => format!("{t}  [**] [1:2001569:14] ET SCAN Behavioral Unusual Port 445 traffic [**] [Classification: Misc activity] [Priority: 3] {{TCP}} {home}:{eph} -> {ext}:445\n"),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// Runs `fpx explain --format json --clusters-only` on `input` from stdin; returns the output
/// lines and the child's peak resident memory in KiB (VmHWM, sampled while it runs).
pub fn run_flood(bin: &str, input: Vec<u8>) -> (Vec<serde_json::Value>, u64) {
    let mut child = Command::new(bin)
        .args(["explain", "--format", "json", "--clusters-only", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fpx runs");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let p2 = peak.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d2 = done.clone();
    let sampler = std::thread::spawn(move || {
        while !d2.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if let Some(kb) = s
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    p2.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    feeder.join().unwrap();
    let status = child.wait().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    assert!(status.success(), "{status}");
    let lines = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, peak.load(std::sync::atomic::Ordering::Relaxed))
}
