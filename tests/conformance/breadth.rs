//! Knowledge breadth over every real Suricata and Snort 3 run in the corpus: no alert on
//! link-local traffic (multicast to 224.0.0.0/24 or ff02::/16, IPv6 link-local unicast) that
//! is not TCP is called a true positive without evidence of an attack in its payload, and
//! every POLICY or INFO alert whose traffic is a routine activity fpx knows names it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use super::util::{corpus, files_where};

/// Evidence of an attack found in the payload itself (rules/true-positive.toml): the only
/// grounds on which link-local traffic may be called an attack.
const PAYLOAD_ATTACK: &[&str] = &[
    "exploit-pattern-in-payload",
    "executable-download",
    "ddos-tool-command-in-payload",
];

fn link_local(a: &serde_json::Value) -> bool {
    let ip = |k: &str| {
        a["alert"][k]
            .as_str()
            .and_then(|s| s.parse::<IpAddr>().ok())
    };
    let scoped = |ip: Option<IpAddr>, multicast: bool| match ip {
        Some(IpAddr::V4(v)) => multicast && v.octets()[..3] == [224, 0, 0],
        Some(IpAddr::V6(v)) => {
            let s = v.segments()[0];
            (multicast && s & 0xff0f == 0xff02) || s & 0xffc0 == 0xfe80
        }
        None => false,
    };
    scoped(ip("dest_ip"), true) || scoped(ip("src_ip"), false)
}

fn explain(f: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_fpx"))
        .args(["explain", "--format", "json"])
        .arg(f)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}: {out:?}",
        f.display()
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["kind"] == "alert")
        .collect()
}

#[test]
#[ignore = "needs the corpus"]
fn link_local_alerts_are_no_attacks_without_payload_evidence_and_policy_alerts_name_their_activity()
{
    let root = corpus();
    let runs: Vec<_> = files_where(&root.join("suricata-8.0.6-runs"), &|p: &Path| {
        p.file_name().is_some_and(|n| n == "eve.json")
    })
    .into_iter()
    .chain(files_where(&root.join("snort-3.11.1-runs"), &|p: &Path| {
        let n = p.file_name().unwrap().to_string_lossy();
        n == "alert_fast.txt" || n == "alert_json.txt"
    }))
    .collect();
    assert!(runs.len() >= 230, "{}", runs.len());
    let mut link_local_verdicts: BTreeMap<String, u64> = BTreeMap::new();
    let (mut policy, mut named) = (0, 0);
    for f in &runs {
        for a in explain(f) {
            let name = f.display();
            let ids: Vec<&str> = a["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap())
                .collect();
            let proto = a["alert"]["proto"].as_str().unwrap_or("");
            if link_local(&a) && !proto.eq_ignore_ascii_case("tcp") {
                let v = a["verdict"].as_str().unwrap();
                *link_local_verdicts.entry(v.to_string()).or_default() += 1;
                if v == "true_positive" {
                    assert!(
                        ids.iter().any(|i| PAYLOAD_ATTACK.contains(i)),
                        "{name}: link-local alert called an attack without payload evidence: {a}"
                    );
                }
            }
            let msg = a["alert"]["msg"].as_str().unwrap_or("");
            let is_policy =
                msg.contains("POLICY") || msg.contains(" INFO ") || msg.starts_with("INFO");
            if is_policy {
                policy += 1;
                if ids.iter().any(|i| i.contains("activity")) {
                    named += 1;
                } else {
                    panic!("{name}: a POLICY/INFO alert that names no activity: {a}");
                }
            }
        }
    }
    println!(
        "breadth: {} runs; link-local non-TCP alerts by verdict {link_local_verdicts:?}; \
         POLICY/INFO alerts {policy}, {named} naming their activity",
        runs.len()
    );
    assert!(
        link_local_verdicts.values().sum::<u64>() > 100,
        "{link_local_verdicts:?}"
    );
    assert!(policy > 0);
}
