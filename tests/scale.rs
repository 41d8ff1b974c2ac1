//! `fpx explain --redis`: workers of one consumer group share Suricata's EVE stream on a real
//! redis-server; one is killed mid-stream and every entry is still explained exactly once
//! (issue 13).

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fpx::redis::{Client, Url};

use super::redis_server::RedisServer;
use crate::util::{example_eve_lines, spawn_fpx, KillOnDrop};

const TIMEOUT: Duration = Duration::from_secs(5);

fn connect(url: &str) -> Client {
    let url = Url::parse(url).unwrap_or_else(|e| panic!("{e}"));
    Client::connect(&url, TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
}

/// The bundled EVE alerts, and a stats record (not an alert) between them.
fn records() -> Vec<String> {
    let mut lines = example_eve_lines();
    lines.push(
        r#"{"timestamp":"2021-12-11T03:20:00.000000+0000","event_type":"stats","stats":{"uptime":60}}"#
            .to_string(),
    );
    lines
}

/// Appends as Suricata does: `XADD key MAXLEN ~ 100000 * eve line`.
fn suricata_xadd(c: &mut Client, key: &str, lines: &[&String]) -> Vec<String> {
    let cmds: Vec<Vec<Vec<u8>>> = lines
        .iter()
        .map(|l| {
            ["XADD", key, "MAXLEN", "~", "100000", "*", "eve", l.as_str()]
                .iter()
                .map(|a| a.as_bytes().to_vec())
                .collect()
        })
        .collect();
    c.pipeline(&cmds)
        .unwrap()
        .into_iter()
        .map(|r| r.into_string().expect("an entry id"))
        .collect()
}

fn worker(url: &str, key: &str, results: &str, name: &str, hold: &str) -> KillOnDrop {
    KillOnDrop::new(spawn_fpx(
        &[
            "explain",
            "--format",
            "json",
            "--redis",
            url,
            "--stream",
            key,
            "--group",
            "workers",
            "--consumer",
            name,
            "--results",
            results,
            "--hold-time",
            hold,
            "--claim-idle",
            "1s",
        ],
        Stdio::null(),
    ))
}

/// The results stream: entry id explained → (how many results, the consumers that wrote them).
fn results(c: &mut Client, key: &str) -> HashMap<String, (usize, Vec<String>)> {
    let reply = c
        .cmd(&[b"XRANGE", key.as_bytes(), b"-", b"+"])
        .unwrap()
        .into_array()
        .unwrap_or_default();
    let mut by_id: HashMap<String, (usize, Vec<String>)> = HashMap::new();
    let schema = crate::schema::validator();
    for entry in reply {
        let parts = entry.into_array().unwrap();
        let fields = parts[1].as_array().unwrap();
        let field = |name: &str| {
            fields
                .chunks(2)
                .find(|kv| kv[0].as_bytes() == Some(name.as_bytes()))
                .and_then(|kv| kv[1].as_str())
                .unwrap_or("")
                .to_string()
        };
        let id = field("id");
        let result: serde_json::Value = serde_json::from_str(&field("result")).unwrap();
        let errors: Vec<String> = schema.iter_errors(&result).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{result}\n{errors:?}");
        assert_eq!(result["kind"], "alert");
        assert_eq!(
            result["stream_id"],
            id.as_str(),
            "the result names its entry"
        );
        let e = by_id.entry(id).or_default();
        e.0 += 1;
        e.1.push(field("consumer"));
    }
    by_id
}

/// The entries pending at one consumer of the group `workers`.
fn pending_at(c: &mut Client, key: &str, consumer: &str) -> Vec<String> {
    let args: [&[u8]; 7] = [
        b"XPENDING",
        key.as_bytes(),
        b"workers",
        b"-",
        b"+",
        b"100000",
        consumer.as_bytes(),
    ];
    c.cmd(&args)
        .unwrap()
        .into_array()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| e.into_array()?.into_iter().next()?.into_string())
        .collect()
}

fn pending(c: &mut Client, key: &str, group: &str) -> i64 {
    c.xpending_summary(key, group).unwrap().count
}

#[test]
fn two_workers_one_killed_explain_every_entry_exactly_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("eve");
    let out = server.unique_key("results");
    let mut c = connect(&server.url);
    let records = records();
    // Worker a holds its alerts long, so that it dies with entries pending.
    let mut a = worker(&server.url, &key, &out, "a", "400ms");
    let mut held_by_a = Vec::new();
    let b = worker(&server.url, &key, &out, "b", "100ms");
    let (mut alerts, mut others) = (Vec::new(), Vec::new());
    let started = Instant::now();
    // Records keep coming, 40 rounds at least, until a holds some (it may start slowly on a
    // busy machine); then it is killed mid-stream and 15 more rounds follow.
    let mut killed_at = None;
    for round in 0..400 {
        let batch: Vec<&String> = records.iter().collect();
        for (id, line) in suricata_xadd(&mut c, &key, &batch).into_iter().zip(&batch) {
            if line.contains("\"event_type\":\"alert\"") {
                alerts.push(id);
            } else {
                others.push(id);
            }
        }
        std::thread::sleep(Duration::from_millis(25));
        match killed_at {
            None if round >= 25 => {
                held_by_a = pending_at(&mut c, &key, "a");
                if !held_by_a.is_empty() {
                    a.child().kill().unwrap();
                    killed_at = Some(round);
                }
            }
            Some(k) if round >= 40 && round >= k + 15 => break,
            _ => {}
        }
    }
    assert!(killed_at.is_some(), "worker a never held an entry");
    // The survivor claims what a left pending and finishes the stream.
    let deadline = started + Duration::from_secs(60);
    let got = loop {
        let got = results(&mut c, &out);
        if (got.len() >= alerts.len() && pending(&mut c, &key, "workers") == 0)
            || Instant::now() > deadline
        {
            break got;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Nothing comes late, twice.
    std::thread::sleep(Duration::from_millis(1500));
    let again = results(&mut c, &out);
    let b_out = b.kill();
    drop(a);
    let b_err = String::from_utf8_lossy(&b_out.stderr);
    assert_eq!(
        pending(&mut c, &key, "workers"),
        0,
        "every entry acknowledged; b said: {b_err}"
    );
    assert_eq!(
        got.len(),
        alerts.len(),
        "every alert explained; b said: {b_err}"
    );
    assert_eq!(again.len(), got.len());
    for id in &alerts {
        let (n, by) = &again[id];
        assert_eq!(*n, 1, "entry {id} explained {n} times, by {by:?}");
    }
    for id in &others {
        assert!(!again.contains_key(id), "a stats record has no result");
    }
    // What a held when it died, b explained.
    for id in held_by_a.iter().filter(|id| alerts.contains(id)) {
        assert_eq!(again[id].1, ["b"], "entry {id}, pending at a when it died");
    }
    let by_b = again.values().filter(|(_, by)| by[0] == "b").count();
    let by_a = again.len() - by_b;
    eprintln!(
        "scale: {} alerts and {} other records; results by a {by_a}, by b {by_b}; \
         {} entries pending at a when it was killed",
        alerts.len(),
        others.len(),
        held_by_a.len()
    );
}

#[test]
fn a_worker_writes_to_stdout_without_a_results_stream() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("eve");
    let mut c = connect(&server.url);
    let records = records();
    let ids = suricata_xadd(&mut c, &key, &records.iter().collect::<Vec<_>>());
    let w = spawn_fpx(
        &[
            "explain",
            "--format",
            "json",
            "--redis",
            &server.url,
            "--stream",
            &key,
            "--hold-time",
            "100ms",
        ],
        Stdio::null(),
    );
    let mut w = KillOnDrop::new(w);
    let stdout = w.child().stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut explained = Vec::new();
    while explained.len() < ids.len() - 1 {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a result line within 20 s");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        explained.push(v["stream_id"].as_str().unwrap().to_string());
    }
    // Acknowledged once flushed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while pending(&mut c, &key, "fpx") > 0 {
        assert!(
            Instant::now() < deadline,
            "the worker acknowledged everything"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    w.kill();
    // The stats record (the last) has no result.
    assert_eq!(explained, ids[..ids.len() - 1].to_vec());
}

#[test]
fn a_worker_says_when_it_cannot_reach_redis() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let out = crate::util::fpx(&["explain", "--format", "json", "--redis", &url], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&url) && err.contains("connect"), "{err}");
}

/// The bundled alerts again, from eight source hosts.
fn records_from_hosts(hosts: usize) -> Vec<String> {
    let base = records();
    (0..hosts)
        .flat_map(|h| {
            base.iter()
                .map(move |l| l.replacen("\"src_ip\":\"", &format!("\"src_ip\":\"10.9.{h}."), 1))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn routed_partitions_keep_each_host_pair_on_one_worker() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("eve");
    let out = server.unique_key("results");
    let mut c = connect(&server.url);
    let records = records_from_hosts(8);
    let ids = suricata_xadd(&mut c, &key, &records.iter().collect::<Vec<_>>());
    let spawn = |args: &[&str]| KillOnDrop::new(spawn_fpx(args, Stdio::null()));
    // Two routers share the source; a worker per partition.
    let r1 = spawn(&[
        "route",
        "--redis",
        &server.url,
        "--stream",
        &key,
        "--partitions",
        "2",
    ]);
    let r2 = spawn(&[
        "route",
        "--redis",
        &server.url,
        "--stream",
        &key,
        "--partitions",
        "2",
    ]);
    let workers: Vec<KillOnDrop> = (0..2)
        .map(|p| {
            let partition = format!("{key}:{p}");
            worker(&server.url, &partition, &out, &format!("w{p}"), "100ms")
        })
        .collect();
    let alerts = records.iter().filter(|l| l.contains("\"alert\"")).count();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.xlen(&out).unwrap() < alerts as i64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Nothing comes late, twice.
    std::thread::sleep(Duration::from_millis(500));
    drop(workers);
    drop((r1, r2));
    assert_eq!(
        c.xlen(&out).unwrap(),
        alerts as i64,
        "every alert routed, explained once"
    );
    // The source stream is done with; each partition was one worker's.
    let routed = c.xpending_summary(&key, "fpx-route").unwrap();
    assert_eq!(routed.count, 0);
    let parts: Vec<i64> = (0..2)
        .map(|p| c.xlen(&format!("{key}:{p}")).unwrap())
        .collect();
    assert_eq!(parts.iter().sum::<i64>(), ids.len() as i64, "{parts:?}");
    assert!(
        parts.iter().all(|&n| n > 0),
        "both partitions used: {parts:?}"
    );
    // A host pair's alerts all came from one worker.
    let mut pair_worker: HashMap<String, String> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let reply = c
        .cmd(&[b"XRANGE", out.as_bytes(), b"-", b"+"])
        .unwrap()
        .into_array()
        .unwrap();
    for entry in reply {
        let parts = entry.into_array().unwrap();
        let f = parts[1].as_array().unwrap();
        let get = |name: &str| {
            f.chunks(2)
                .find(|kv| kv[0].as_bytes() == Some(name.as_bytes()))
                .and_then(|kv| kv[1].as_str())
                .unwrap()
                .to_string()
        };
        let v: serde_json::Value = serde_json::from_str(&get("result")).unwrap();
        let (s, d) = (
            v["alert"]["src_ip"].as_str().unwrap_or("").to_string(),
            v["alert"]["dest_ip"].as_str().unwrap_or("").to_string(),
        );
        let pair = if s < d {
            format!("{s} {d}")
        } else {
            format!("{d} {s}")
        };
        let by = get("consumer");
        // Entry ids are per stream: the partition and the id name an entry.
        let entry = format!("{} {}", v["source"]["path"], get("id"));
        assert!(seen.insert(entry.clone()), "{entry} explained twice");
        let first = pair_worker
            .entry(pair.clone())
            .or_insert_with(|| by.clone());
        assert_eq!(*first, by, "host pair {pair} explained by two workers");
    }
    assert!(pair_worker.len() >= 8, "{pair_worker:?}");
}
