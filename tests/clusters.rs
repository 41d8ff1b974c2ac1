//! Root-cause clusters (issue #5): the seed patterns as clusters with their hypotheses, alert
//! context from Zeek logs, and a flood of generated alerts reduced to its few causes in
//! bounded memory.

use std::collections::BTreeSet;

use super::flood::{flood, run_flood};
use super::util::*;

fn clusters(lines: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    lines.iter().filter(|l| l["kind"] == "cluster").collect()
}

fn hypothesis<'a>(c: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    c["hypotheses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("no hypothesis {id} in {c}"))
}

fn cluster_words(c: &serde_json::Value) -> String {
    let mut s = c["pattern"].as_str().unwrap_or("").to_string();
    for e in c["evidence"].as_array().into_iter().flatten() {
        s.push('\n');
        s.push_str(e["text"].as_str().unwrap_or(""));
    }
    s
}

#[test]
fn seed001_smb_to_unallocated_space_is_one_cluster_of_stale_sessions() {
    let lines = explain_json(&[&example("seed001-smb-reserved.ipchains.log")], &[]);
    let cs = clusters(&lines);
    assert_eq!(cs.len(), 1, "{cs:?}");
    let c = cs[0];
    assert_eq!(c["records"], "context");
    assert_eq!(c["members"], 64);
    let w = cluster_words(c);
    for needle in [
        "1.11.0.0/16",
        "1.0.0.0/8",
        "2010-01",
        "APNIC",
        "445",
        "40/79/192",
        "4 inside hosts",
    ] {
        assert!(w.contains(needle), "{needle:?} missing from {w}");
    }
    assert_eq!(c["facts"]["cluster.dest_unallocated_at_date"], true);
    assert_eq!(c["facts"]["cluster.inside_hosts"], 4.0);
    assert_eq!(c["facts"]["cluster.syn_share"], 0.0);
    let ids: Vec<&str> = c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"dest-unallocated-at-date"), "{ids:?}");
    assert!(ids.contains(&"mid-session-no-handshake"), "{ids:?}");
    assert_eq!(c["verdict"], "false_positive");
    // The worm is considered, and the reason it is less likely is the missing SYN.
    let worm = hypothesis(c, "worm-scan");
    assert_eq!(worm["nature"], "malicious");
    assert_eq!(worm["favoured"], false);
    let against: String = worm["evidence_against"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(against.contains("SYN"), "{against}");
    assert_eq!(c["favoured"]["id"], "stale-sessions-route-leak");
    let why = c["favoured"]["why"].as_str().unwrap();
    assert!(why.contains("less likely") && why.contains("SYN"), "{why}");
    assert!(!c["what_would_tell_them_apart"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn seed001_redated_to_2015_does_not_call_the_block_reserved() {
    let lines = explain_json(
        &[&example("seed001-smb-reserved.ipchains.log")],
        &["--year", "2015"],
    );
    let cs = clusters(&lines);
    assert_eq!(cs.len(), 1);
    let c = cs[0];
    assert!(
        c["first_seen"].as_str().unwrap().starts_with("2015-"),
        "{c}"
    );
    assert_eq!(c["facts"]["cluster.dest_class"], "external");
    assert_eq!(c["facts"]["cluster.dest_unallocated_at_date"], false);
    let w = cluster_words(c);
    assert!(!w.contains("unallocated"), "{w}");
    assert!(!w.contains("IANA-reserved"), "{w}");
}

#[test]
fn seed002_fan_in_on_udp_8832_weighs_a_p2p_service_against_afterglow() {
    let lines = explain_json(&[&example("seed002-nas-p2p.asa.log")], &[]);
    let cs = clusters(&lines);
    assert_eq!(cs.len(), 1, "{cs:?}");
    let c = cs[0];
    assert_eq!(c["facts"]["cluster.dest_port"], 8832.0);
    assert_eq!(c["facts"]["cluster.proto"], "udp");
    assert_eq!(c["destinations"]["count"], 1);
    assert!(c["sources"]["count"].as_u64().unwrap() >= 5);
    let service = hypothesis(c, "p2p-service-on-host");
    assert!(service["name"].as_str().unwrap().contains("NAS"));
    assert_eq!(service["nature"], "benign");
    let glow = hypothesis(c, "p2p-afterglow");
    assert!(glow["name"]
        .as_str()
        .unwrap()
        .contains("afterglow of a reused address"));
    let apart = service["tell_apart"].as_str().unwrap();
    assert!(apart.contains("initiate or answer"), "{apart}");
    assert!(apart.contains("8832"), "{apart}");
    // Only the inside host's own traffic could favour the service; the log has none.
    assert_eq!(c["facts"]["cluster.dest_host_initiates"], false);
    assert_eq!(c["favoured"]["id"], "p2p-afterglow");
    assert_eq!(hypothesis(c, "inbound-scan-or-attack")["favoured"], false);
}

#[test]
fn the_inside_host_answering_turns_the_favour_to_its_own_service() {
    let dir = temp_dir("p2p-answer");
    let mut log = String::new();
    for (i, peer) in [
        "125.90.1.1",
        "80.213.2.2",
        "187.130.3.3",
        "188.36.4.4",
        "46.249.5.5",
        "212.96.6.6",
    ]
    .iter()
    .enumerate()
    {
        log.push_str(&format!(
            "Mar 14 10:0{i}:25 asa01 %ASA-4-106023: Deny udp src outside:{peer}/{} dst inside:64.9.1.2/8832 by access-group \"outside_in\" [0x0, 0x0]\n",
            20000 + i
        ));
    }
    log.push_str("Mar 14 10:09:00 asa01 %ASA-4-106023: Deny udp src inside:64.9.1.2/8832 dst outside:125.90.1.1/20000 by access-group \"inside_out\" [0x0, 0x0]\n");
    let p = write(&dir, "fw.log", log.as_bytes());
    let lines = explain_json(&[&p], &[]);
    let c = clusters(&lines)
        .into_iter()
        .find(|c| c["destinations"]["count"] == 1 && c["sources"]["count"] == 6)
        .expect("the fan-in cluster");
    assert_eq!(c["facts"]["cluster.dest_host_initiates"], true);
    assert_eq!(c["favoured"]["id"], "p2p-service-on-host");
}

const ZEEK_CONN: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\tresp_pkts\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tcount\n\
1461809643.0\tC1\t192.168.88.23\t50000\t203.0.113.9\t80\ttcp\tSF\t5\n\
1461809644.0\tC2\t192.168.88.23\t50001\t203.0.113.9\t80\ttcp\tSF\t3\n\
1461809645.0\tC3\t192.168.88.23\t50002\t198.51.100.20\t80\ttcp\tS0\t0\n";

const ZEEK_DNS: &str = "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n\
1461809640.0\tD1\t192.168.88.23\t5353\t192.168.88.1\t53\tudp\texample.org\n\
1461809641.0\tD2\t192.168.88.23\t5354\t192.168.88.1\t53\tudp\texample.net\n";

fn eve_alert(dest: &str) -> String {
    format!(
        "{{\"timestamp\":\"2016-04-28T02:14:10.000000+0000\",\"event_type\":\"alert\",\"src_ip\":\"192.168.88.23\",\"src_port\":50010,\"dest_ip\":\"{dest}\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{{\"action\":\"allowed\",\"gid\":1,\"signature_id\":9000001,\"rev\":1,\"signature\":\"TEST web request\",\"category\":\"Misc activity\",\"severity\":3}}}}\n"
    )
}

#[test]
fn alerts_carry_what_zeek_logs_say_about_their_hosts_even_when_given_last() {
    let dir = temp_dir("context");
    let alerts_file = write(
        &dir,
        "eve.json",
        format!("{}{}", eve_alert("203.0.113.9"), eve_alert("198.51.100.20")).as_bytes(),
    );
    let conn = write(&dir, "conn.log", ZEEK_CONN.as_bytes());
    let dns = write(&dir, "dns.log", ZEEK_DNS.as_bytes());
    // The alerts come first on the command line; the context logs are read before them anyway.
    let lines = explain_json(&[&alerts_file, &conn, &dns], &[]);
    let al = alerts(&lines);
    assert_eq!(al.len(), 2);
    let c0 = &al[0]["context"];
    assert_eq!(c0["src_connections"], 3, "{c0}");
    assert_eq!(c0["src_dns_queries"], 2);
    assert_eq!(c0["dest_connections"], 2);
    assert_eq!(c0["dest_answered"], true);
    let c1 = &al[1]["context"];
    assert_eq!(c1["dest_connections"], 1);
    assert_eq!(
        c1["dest_answered"], false,
        "an S0 connection is not an answer"
    );
    // Without context logs, alerts carry none.
    let lines = explain_json(&[&alerts_file], &[]);
    assert!(alerts(&lines)[0].get("context").is_none());
}

#[test]
fn every_alert_names_a_reported_cluster() {
    let mut inputs: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| !p.ends_with(".md"))
        .collect();
    inputs.sort();
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let lines = explain_json(&refs, &[]);
    let mut known = BTreeSet::new();
    for c in clusters(&lines) {
        known.insert(c["id"].as_str().unwrap().to_string());
        for m in c["merged_ids"].as_array().unwrap() {
            known.insert(m.as_str().unwrap().to_string());
        }
    }
    let al = alerts(&lines);
    assert!(al.len() >= 8);
    for a in al {
        let id = a["cluster"].as_str().expect("cluster id");
        assert!(known.contains(id), "{id} not among {known:?}");
    }
    // Cluster lines come after every alert and before the summary.
    let first_cluster = lines.iter().position(|l| l["kind"] == "cluster").unwrap();
    assert!(lines[first_cluster..].iter().all(|l| l["kind"] != "alert"));
    assert_eq!(summary(&lines)["clusters"], clusters(&lines).len());
}

#[test]
fn a_flood_from_five_causes_comes_out_as_five_clusters_in_flat_memory() {
    let bin = env!("CARGO_BIN_EXE_fpx");
    // Both runs exceed the hold window (10,000 alerts), whose held alerts are most of the
    // memory: beyond it, memory must stay flat.
    let (small, small_peak) = run_flood(bin, flood(12_000));
    let (lines, peak) = run_flood(bin, flood(40_000));
    for ls in [&small, &lines] {
        let cs = clusters(ls);
        let labels: Vec<&str> = cs.iter().map(|c| c["label"].as_str().unwrap()).collect();
        assert_eq!(cs.len(), 5, "{labels:?}");
        assert!(
            alerts(ls).is_empty(),
            "--clusters-only prints no alert lines"
        );
    }
    let cs = clusters(&lines);
    assert_eq!(summary(&lines)["alerts"], 40_000);
    let total: u64 = cs.iter().map(|c| c["members"].as_u64().unwrap()).sum();
    assert_eq!(total, 40_000);
    let by = |label: &str| {
        cs.iter()
            .find(|c| c["label"].as_str().unwrap().contains(label))
            .unwrap_or_else(|| panic!("no cluster {label}"))
    };
    // The port scan spread over ~1000 ports: merged one step up the port hierarchy.
    let scan = by("mySQL");
    assert!(scan["merged_ids"].as_array().unwrap().len() > 8);
    assert!(scan["dest_ports"].as_u64().unwrap() > 500);
    assert_eq!(scan["sources"]["count"], 1);
    // Thousands of distinct sources are estimated, within the sketch's error.
    let ssh = by("SSH");
    let n = ssh["sources"]["count"].as_f64().unwrap();
    assert_eq!(ssh["sources"]["estimated"], true);
    assert!((n - 8000.0).abs() < 8000.0 * 0.2, "{n}");
    assert_eq!(
        by("ThunderNetwork")["facts"]["cluster.dest_class"],
        "multicast"
    );
    assert_eq!(by(".biz")["facts"]["cluster.reply_from"], 53.0);
    println!("peak RSS: {small_peak} KiB for 12k alerts, {peak} KiB for 40k");
    // Three times the alerts, less than half again the memory: the held alerts are bounded by
    // bytes, and the host table grows with the distinct hosts up to its own bound.
    assert!(small_peak > 0 && peak > 0);
    assert!(
        peak < small_peak + small_peak / 2 + 8 * 1024,
        "peak {peak} KiB for 40k alerts vs {small_peak} KiB for 12k"
    );
}

/// Evidence ids of the first cluster that `pick` accepts.
fn evidence_of(
    lines: &[serde_json::Value],
    pick: &dyn Fn(&serde_json::Value) -> bool,
) -> Vec<String> {
    let c = clusters(lines)
        .into_iter()
        .find(|c| pick(c))
        .unwrap_or_else(|| panic!("no such cluster in {lines:?}"));
    c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn firewall_chatter_patterns_are_named() {
    let dir = temp_dir("chatter");
    let mut log = String::new();
    for i in 0..6 {
        // NetBIOS name service broadcasts from several inside hosts.
        log.push_str(&format!("Jun  1 00:00:0{i} gw kernel: DROP IN=eth1 OUT= SRC=192.168.1.{} DST=192.168.1.255 LEN=78 TTL=128 ID={i} PROTO=UDP SPT=137 DPT=137 LEN=58\n", 10 + i));
        // Late DNS replies to client ports.
        log.push_str(&format!("Jun  1 00:01:0{i} gw kernel: DROP IN=eth0 OUT= SRC=9.9.9.9 DST=192.168.1.{} LEN=120 TTL=57 ID={i} PROTO=UDP SPT=53 DPT={} LEN=100\n", 10 + i, 40000 + i * 7));
        // Port unreachables coming back.
        log.push_str(&format!("Jun  1 00:02:0{i} gw kernel: DROP IN=eth0 OUT= SRC=93.184.216.{} DST=192.168.1.10 LEN=56 TTL=50 ID={i} PROTO=ICMP TYPE=3 CODE=3\n", 30 + i));
        // mDNS chatter.
        log.push_str(&format!("Jun  1 00:03:0{i} gw kernel: DROP IN=eth1 OUT= SRC=192.168.1.{} DST=224.0.0.251 LEN=80 TTL=255 ID={i} PROTO=UDP SPT=5353 DPT=5353 LEN=60\n", 10 + i));
    }
    let p = write(&dir, "fw.log", log.as_bytes());
    let lines = explain_json(&[&p], &[]);
    assert_eq!(clusters(&lines).len(), 4, "{lines:?}");
    let f = |k: &'static str, v: serde_json::Value| move |c: &serde_json::Value| c["facts"][k] == v;
    let nb = evidence_of(&lines, &f("cluster.dest_port", 137.0.into()));
    assert!(
        nb.contains(&"netbios-broadcast".into()) && nb.contains(&"broadcast-chatter".into()),
        "{nb:?}"
    );
    let dns = evidence_of(&lines, &f("cluster.reply_from", 53.0.into()));
    assert!(
        dns.contains(&"service-reply-to-closed-port".into()),
        "{dns:?}"
    );
    let icmp = evidence_of(&lines, &f("cluster.icmp_type", 3.0.into()));
    assert!(icmp.contains(&"icmp-unreachable".into()), "{icmp:?}");
    let mc = evidence_of(&lines, &f("cluster.dest_class", "multicast".into()));
    assert!(mc.contains(&"multicast-chatter".into()), "{mc:?}");
    for c in clusters(&lines) {
        assert_eq!(c["verdict"], "false_positive", "{c}");
    }
}
