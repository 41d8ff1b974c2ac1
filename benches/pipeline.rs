//! Throughput of the explain pipeline, stated as ratios against baselines measured in the same
//! run (absolute times on shared machines are noise).
//!
//! Baseline: reading the same EVE file line by line into `serde_json::Value` and decoding the
//! base64 payload, which is what a minimal script does before it can look at the bytes. Measured: fpx's EVE reader alone
//! (typed, borrowed parse into `Alert`), and the whole `explain` job (dissect, facts, evidence,
//! score, JSON report to a sink).
//!
//! Run: `cargo bench --bench pipeline` (FPX_BENCH_ALERTS overrides the alert count,
//! FPX_BENCH_HOLD the judging window).

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use base64::Engine;
use fpx::explain::{self, ExplainConfig};
use fpx::input::{self, Flow, ReadOptions, Sink};
use fpx::model::{Alert, ContextEvent, Provenance, SkipReason};
use fpx::report::Format;

fn llmnr() -> Vec<u8> {
    let mut p = vec![0x32, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 14];
    p.extend_from_slice(b"Kristis-Laptop\0\0\x01\0\x01");
    p
}

fn http_gif() -> Vec<u8> {
    let mut p =
        b"HTTP/1.0 200 OK\r\nContent-Type: image/gif\r\nContent-Length: 900\r\n\r\nGIF89a".to_vec();
    p.extend((0..900u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    p
}

fn attack() -> Vec<u8> {
    b"GET /cgi-bin/../../../../etc/passwd HTTP/1.1\r\nHost: example.com\r\nUser-Agent: x\r\n\r\n"
        .to_vec()
}

fn corpus(n: usize) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let kinds = [
        (
            "192.168.1.20",
            52814,
            "224.0.0.252",
            5355,
            "UDP",
            2009099,
            "ET P2P ThunderNetwork UDP Traffic",
            llmnr(),
        ),
        (
            "198.51.100.7",
            80,
            "10.1.1.9",
            12754,
            "TCP",
            247,
            "DDOS mstream client to handler",
            http_gif(),
        ),
        (
            "203.0.113.66",
            40112,
            "10.1.1.10",
            80,
            "TCP",
            2049999,
            "ET WEB_SERVER Path Traversal Attempt",
            attack(),
        ),
    ];
    let mut s = String::new();
    for i in 0..n {
        let (src, sp, dst, dp, proto, sid, msg, payload) = &kinds[i % kinds.len()];
        s.push_str(&format!(
            "{{\"timestamp\":\"2024-05-01T10:{:02}:{:02}.{:06}+0000\",\"flow_id\":{},\"event_type\":\"alert\",\"src_ip\":\"{src}\",\"src_port\":{sp},\"dest_ip\":\"{dst}\",\"dest_port\":{dp},\"proto\":\"{proto}\",\"alert\":{{\"action\":\"allowed\",\"gid\":1,\"signature_id\":{sid},\"rev\":1,\"signature\":\"{msg}\",\"category\":\"\",\"severity\":2}},\"payload\":\"{}\",\"stream\":0}}\n",
            (i / 60) % 60,
            i % 60,
            i % 1_000_000,
            1000 + i,
            b64.encode(payload)
        ));
    }
    s
}

struct Count(u64);

impl Sink for Count {
    fn alert(&mut self, a: Alert<'_>) -> Flow {
        self.0 += a.payload.map_or(0, |p| p.len() as u64);
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, _: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        Flow::Continue
    }
}

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let n: usize = std::env::var("FPX_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let dir = std::env::temp_dir().join(format!("fpx-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("eve.json");
    std::fs::write(&path, corpus(n)).unwrap();
    let path_s = path.display().to_string();
    let runs = 5;

    let baseline = median(
        || {
            let f = BufReader::new(std::fs::File::open(&path).unwrap());
            let mut total = 0usize;
            let b64 = base64::engine::general_purpose::STANDARD;
            for line in f.lines() {
                let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
                if let Some(p) = v["payload"].as_str() {
                    total += b64.decode(p).map_or(0, |b| b.len());
                }
            }
            std::hint::black_box(total);
        },
        runs,
    );
    let reader = median(
        || {
            let mut c = Count(0);
            input::read_path(&path_s, &ReadOptions::default(), &mut c).unwrap();
            std::hint::black_box(c.0);
        },
        runs,
    );
    let cfg = ExplainConfig {
        inputs: vec![path_s.clone()],
        read: ReadOptions::default(),
        format: Format::Json,
        knowledge_dir: None,
        evidence_dir: None,
        max_warnings: 0,
        pcaps: vec![],
        signatures: Default::default(),
        report: Default::default(),
        output: None,
        force: false,
        quiet: false,
        progress: false,
        clusters_only: false,
        hold_alerts: std::env::var("FPX_BENCH_HOLD")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(explain::HOLD_ALERTS),
        engine: None,
        collect: false,
        feedback: None,
        threads: std::env::var("FPX_BENCH_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1),
        follow: false,
        hold_time: None,
        redis: None,
    };
    let explain = median(
        || {
            let s = explain::run(&cfg, std::io::sink(), &mut std::io::sink()).unwrap();
            assert_eq!(s.alerts as usize, n);
        },
        runs,
    );
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!("alerts: {n}, median of {runs} runs");
    println!(
        "baseline Value + base64 per line:    {:.2} µs/alert (1.00)",
        per(baseline)
    );
    println!(
        "fpx EVE reader (typed Alert):        {:.2} µs/alert ({:.2}x baseline)",
        per(reader),
        reader.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "fpx explain, JSON report:            {:.2} µs/alert ({:.2}x baseline)",
        per(explain),
        explain.as_secs_f64() / baseline.as_secs_f64()
    );
    std::fs::remove_dir_all(&dir).ok();
}
