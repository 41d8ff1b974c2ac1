//! Judgement in context (issue #8): flows, hosts and clusters that agree, and evidence that
//! never contradicts itself. Each test names the regression it guards.

use super::util::*;

fn fixture(p: &str) -> String {
    root().join("tests/fixtures").join(p).display().to_string()
}

fn ids(a: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn clusters(lines: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    lines.iter().filter(|l| l["kind"] == "cluster").collect()
}

/// The cluster line an alert belongs to (its id, or one merged into it).
fn cluster_of<'a>(lines: &'a [serde_json::Value], a: &serde_json::Value) -> &'a serde_json::Value {
    let id = a["cluster"].as_str().unwrap();
    clusters(lines)
        .into_iter()
        .find(|c| c["id"] == id || c["merged_ids"].as_array().unwrap().iter().any(|m| m == id))
        .unwrap_or_else(|| panic!("no cluster {id}"))
}

fn benign(v: &serde_json::Value) -> bool {
    v == "false_positive" || v == "benign_trigger"
}

/// Every alert agrees with its cluster: equal verdicts, both benign, or (one undetermined)
/// probabilities within 0.3.
fn assert_agreement(lines: &[serde_json::Value]) {
    for a in alerts(lines) {
        let c = cluster_of(lines, a);
        let (av, cv) = (&a["verdict"], &c["verdict"]);
        let dp =
            (a["fp_probability"].as_f64().unwrap() - c["fp_probability"].as_f64().unwrap()).abs();
        let ok = av == cv
            || (benign(av) && benign(cv))
            || ((av == "undetermined" || cv == "undetermined") && dp < 0.3);
        assert!(
            ok,
            "alert {} ({av}) vs cluster {} ({cv})",
            a["index"], c["id"]
        );
        assert_eq!(a["cluster_verdict"]["verdict"], *cv);
    }
}

#[test]
fn segments_of_one_http_response_share_one_explanation_in_eve() {
    // Issue #8: the first segment of a response was explained (0.998), the next four, which
    // carry only body bytes, stayed undetermined 0.52. Real Suricata 8.0.6 alerts with
    // `packet` fields (tests/fixtures/suricata/README.md).
    let lines = explain_json(
        &[&fixture("suricata/seed003-segments/eve.json")],
        &["--home-net", "[192.0.2.0/24]"],
    );
    let a = alerts(&lines);
    assert_eq!(a.len(), 5);
    let first = ids(a[0]);
    assert!(first.contains(&"server-response-to-ephemeral-port".to_string()));
    for later in &a[1..] {
        assert_eq!(ids(later), first, "alert {}", later["index"]);
        assert_eq!(later["verdict"], "false_positive");
        assert_eq!(later["fp_probability"], a[0]["fp_probability"]);
        let how = later["dissection"]["recognised_by"].as_str().unwrap();
        assert!(
            how.contains("of the HTTP response that alert 1 explained"),
            "{how}"
        );
        assert!(how.contains("GIF image data"), "{how}");
        assert!(words(later).contains("that alert 1 explained"));
    }
    assert_agreement(&lines);
}

#[test]
fn segments_of_one_http_response_share_one_explanation_in_a_pcap_joined_fast_log() {
    // Issue #8: the same on Suricata's fast.log of that run, joined with the capture.
    let lines = explain_json(
        &[&fixture("suricata/seed003-segments/fast.log")],
        &[
            "--home-net",
            "[192.0.2.0/24]",
            "--pcap",
            &example("pcap-join/seed003.pcap"),
        ],
    );
    assert_eq!(summary(&lines)["pcap_join"]["found"], 5);
    let a = alerts(&lines);
    let first = ids(a[0]);
    for later in &a[1..] {
        assert_eq!(ids(later), first);
        assert_eq!(later["verdict"], "false_positive");
    }
    // Without the capture the text alerts carry no packet: nothing ties them together, and
    // fpx does not pretend otherwise.
    let bare = explain_json(&[&fixture("suricata/seed003-segments/fast.log")], &[]);
    assert!(alerts(&bare)
        .iter()
        .all(|a| a["dissection"]["recognised_by"] == ""));
}

#[test]
fn a_listening_mstream_handler_that_answers_is_not_a_false_positive() {
    // Issue #8: a real mstream session was called false_positive 0.80 from two +0.5 hints
    // ("weak rule", "peer never answered") although the input holds the handler's answers.
    let eve = fixture("suricata/mstream-handler/eve.json");
    let rules = fixture("rules/mstream-rev1.rules");
    for extra in [vec![], vec!["--rules", rules.as_str()]] {
        let mut args = vec!["--home-net", "[192.0.2.0/24]"];
        args.extend(extra.iter().copied());
        let lines = explain_json(&[&eve], &args);
        let a = alerts(&lines)[0];
        assert_ne!(a["verdict"], "false_positive", "{}", words(a));
        assert!(a["fp_probability"].as_f64().unwrap() < 0.5, "{a}");
        assert!(ids(a).contains(&"listener-answers-on-the-signature-port".to_string()));
        assert!(!ids(a).contains(&"context-peer-never-answered".to_string()));
        assert!(words(a).contains("accepted the connection"));
        assert_agreement(&lines);
    }
    // The same session joined from its capture, as a fast alert.
    let lines = explain_json(
        &[&fixture("suricata/mstream-handler/fast.log")],
        &[
            "--home-net",
            "[192.0.2.0/24]",
            "--pcap",
            &fixture("suricata/mstream-handler/mstream-handler.pcap"),
        ],
    );
    let a = alerts(&lines)[0];
    assert!(ids(a).contains(&"listener-answers-on-the-signature-port".to_string()));
    assert_eq!(a["verdict"], "true_positive");
}

#[test]
fn one_natted_host_is_one_host_in_an_asa_log() {
    // Issue #8: ASA names a NAT'ed host by its real and its mapped address; the denies name
    // the mapped one alone, and fpx took the talking inside host for the silent "afterglow"
    // of a reused address.
    let mut log = String::new();
    for (i, peer) in ["203.0.113.5", "198.18.7.9", "100.64.3.3"]
        .iter()
        .enumerate()
    {
        log.push_str(&format!(
            "Mar 14 09:0{i}:00 fw %ASA-6-302015: Built outbound UDP connection {} for outside:{peer}/4000{i} ({peer}/4000{i}) to inside:192.168.1.20/8832 (64.9.40.20/8832)\n",
            100 + i
        ));
    }
    let peers = [
        "187.13.4.5",
        "201.7.9.1",
        "83.1.2.3",
        "125.90.1.7",
        "61.2.8.9",
        "212.5.6.7",
    ];
    for (i, p) in peers.iter().enumerate() {
        log.push_str(&format!(
            "Mar 14 10:0{i}:00 fw %ASA-4-106023: Deny udp src outside:{p}/{} dst inside:64.9.40.20/8832 by access-group \"outside_in\" [0x0, 0x0]\n",
            40000 + i * 977
        ));
    }
    let dir = temp_dir("nat");
    let f = write(&dir, "asa.log", log.as_bytes());
    let lines = explain_json(&[&f], &["--year", "2013"]);
    assert_eq!(summary(&lines)["state"]["nat_mappings"], 1);
    let deny = clusters(&lines)
        .into_iter()
        .find(|c| c["label"].as_str().unwrap().contains("106023"))
        .unwrap();
    assert_eq!(deny["destinations"]["count"], 1);
    assert_eq!(deny["facts"]["cluster.dest_host_initiates"], true, "{deny}");
    let ev: Vec<&str> = deny["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(ev.contains(&"p2p-inside-host-active"), "{ev:?}");
    assert!(!ev.contains(&"p2p-afterglow"), "{ev:?}");
    assert_ne!(deny["favoured"]["id"], "p2p-afterglow");
}

#[test]
fn a_random_scan_is_one_cluster_and_unallocated_destinations_do_not_excuse_it() {
    // Issue #8: one inside host's SYN scan of port 445 (2004) was split into one cluster per
    // destination /8, and each cluster whose /8 was unallocated then was called
    // false_positive 0.88.
    let mut log = String::new();
    let firsts = [
        1u8, 5, 24, 27, 42, 49, 61, 80, 83, 90, 101, 105, 113, 125, 130, 150, 175, 190, 200, 210,
        220, 222,
    ];
    for (i, f) in firsts.iter().enumerate() {
        log.push_str(&format!(
            "Aug 14 10:{:02}:{:02} gw kernel: DROP IN=eth1 OUT=eth0 SRC=172.30.0.7 DST={f}.{}.{}.9 LEN=48 TOS=0x00 PREC=0x00 TTL=127 ID={} DF PROTO=TCP SPT={} DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0\n",
            i / 60,
            i % 60,
            i * 7 % 256,
            i * 13 % 256,
            1000 + i,
            3000 + i
        ));
    }
    let dir = temp_dir("scan");
    let f = write(&dir, "scan.log", log.as_bytes());
    let lines = explain_json(&[&f], &["--year", "2004"]);
    let cs = clusters(&lines);
    assert_eq!(cs.len(), 1, "one cause, one cluster: {cs:?}");
    let c = cs[0];
    assert_ne!(c["verdict"], "false_positive", "{c}");
    assert!(c["facts"]["cluster.dest_blocks"].as_f64().unwrap() >= 20.0);
    assert_eq!(c["facts"]["cluster.dest_unallocated_at_date"], false);
    assert_eq!(c["favoured"]["id"], "worm-scan", "{c}");
    assert!(c["fp_probability"].as_f64().unwrap() < 0.5);
}

#[test]
fn group_addresses_are_never_silent_peers() {
    // Issue #8: "never answered" for multicast and broadcast groups (a group address is never
    // a sender).
    let flow = r#"{"timestamp":"2021-03-01T10:00:05.000000+0000","flow_id":77,"event_type":"flow","src_ip":"192.168.1.10","src_port":53000,"dest_ip":"224.0.0.252","dest_port":5355,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":70,"bytes_toclient":0,"start":"2021-03-01T10:00:00.000000+0000","state":"new"}}"#;
    let dir = temp_dir("group");
    let f = write(&dir, "flow.json", format!("{flow}\n").as_bytes());
    let lines = explain_json(&[&example("seed000-llmnr-xunlei.eve.json"), &f], &[]);
    for a in alerts(&lines) {
        assert!(!ids(a).contains(&"context-peer-never-answered".to_string()));
    }
    for c in clusters(&lines) {
        assert!(c["facts"]["cluster.dest_never_answered"].is_null(), "{c}");
    }
}

#[test]
fn a_dns_server_that_answered_is_not_silent() {
    // Issue #8: Zeek DNS servers that did answer were read as "never answered".
    let dns = "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\n\
1630833000.000000\tCa\t10.0.0.5\t53000\t10.0.0.53\t53\tudp\texample.biz\tA\tNOERROR\t192.0.2.7\n";
    let conn = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n\
1630833000.000000\tCb\t10.0.0.5\t53000\t10.0.0.53\t53\tudp\tS0\n";
    let alert = "08/05/2021-10:10:00.000000  [**] [1:2027863:2] ET INFO Observed DNS Query to .biz TLD [**] [Classification: Potentially Bad Traffic] [Priority: 2] {UDP} 10.0.0.5:53000 -> 10.0.0.53:53\n";
    let dir = temp_dir("dns");
    let d = write(&dir, "dns.log", dns.as_bytes());
    let c = write(&dir, "conn.log", conn.as_bytes());
    let a = write(&dir, "fast.log", alert.as_bytes());
    let lines = explain_json(&[&a, &d, &c], &[]);
    let al = alerts(&lines)[0];
    assert_eq!(al["context"]["dest_answered"], true, "{al}");
    assert!(!ids(al).contains(&"context-peer-never-answered".to_string()));
}

#[test]
fn lengths_are_described_as_they_are() {
    // Issue #8: "lengths 1500: a bare ACK".
    let mut log = String::new();
    for i in 0..5 {
        log.push_str(&format!(
            "Aug 14 10:00:0{i} gw kernel: DROP IN=eth1 OUT=eth0 SRC=172.30.0.{} DST=1.11.40.30 LEN=1500 TOS=0x00 PREC=0x00 TTL=127 ID={i} DF PROTO=TCP SPT={} DPT=445 WINDOW=64240 RES=0x00 ACK PSH URGP=0\n",
            7 + i,
            3000 + i
        ));
    }
    let dir = temp_dir("len");
    let f = write(&dir, "l.log", log.as_bytes());
    let lines = explain_json(&[&f], &["--year", "2004"]);
    let c = clusters(&lines)[0];
    let text: String = c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    assert!(text.contains("1500 (carrying data)"), "{text}");
    assert!(!text.contains("bare ACK"), "{text}");
}

#[test]
fn an_unallocated_destination_is_not_also_a_reachable_internet_host() {
    // Issue #8: "+1.5 1.0.0.0/8 still held by IANA" beside "−0.5 a globally reachable
    // Internet address".
    let alert = "08/14-10:00:00.000000  [**] [1:2009099:3] ET P2P ThunderNetwork UDP Traffic [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] {UDP} 172.30.0.7:3000 -> 1.11.40.30:5000\n";
    let dir = temp_dir("unalloc");
    let f = write(&dir, "fast.log", alert.as_bytes());
    let lines = explain_json(&[&f], &["--year", "2004"]);
    let a = alerts(&lines)[0];
    let ev = ids(a);
    assert!(
        ev.contains(&"destination-unallocated-at-date".to_string()),
        "{ev:?}"
    );
    assert!(
        !ev.contains(&"internet-peer-for-internet-signature".to_string()),
        "{ev:?}"
    );
    // For a scan signature, unallocated space is what random scanning reaches: no excuse.
    let scan = alert.replace(
        "ET P2P ThunderNetwork UDP Traffic",
        "ET SCAN Behavioral Unusual Port 445 traffic",
    );
    let f = write(&dir, "scan.log", scan.as_bytes());
    let lines = explain_json(&[&f], &["--year", "2004"]);
    assert!(!ids(alerts(&lines)[0]).contains(&"destination-unallocated-at-date".to_string()));
}

#[test]
fn ids_alert_clusters_never_get_firewall_patterns() {
    // Issue #8: "none of the 468 TCP packets carries SYN" and "the handshake never crossed
    // this firewall" on IDS alerts, which fire on data segments by design.
    let mut fast = String::new();
    for i in 0..12 {
        fast.push_str(&format!(
            "11/12-23:{:02}:00.000000  [**] [1:19559:5] BAD-TRAFFIC SSH brute force login attempt [**] [Classification: Misc activity] [Priority: 3] {{TCP}} 46.249.35.{}:{} -> 10.0.1.6:22\n",
            i,
            200 + i % 4,
            37000 + i
        ));
    }
    let dir = temp_dir("ssh");
    let f = write(&dir, "fast.log", fast.as_bytes());
    let lines = explain_json(&[&f], &["--year", "2011"]);
    let c = clusters(&lines)[0];
    assert_eq!(c["record_kind"], "ids_alert");
    let text = c.to_string();
    for firewall_only in [
        "mid-session-no-handshake",
        "dest-never-answered",
        "p2p-",
        "firewall",
    ] {
        assert!(!text.contains(firewall_only), "{firewall_only} in {c}");
    }
    assert!(c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["id"] == "campaign-against-one-service"));
    assert!(c["fp_probability"].as_f64().unwrap() <= 0.6);
    assert_agreement(&lines);
}

#[test]
fn the_bundled_examples_agree_with_their_clusters_and_count_both() {
    // Issue #8: alert and cluster verdicts disagreed; the summary counts both now.
    let inputs = [
        example("seed000-llmnr-xunlei.eve.json"),
        example("attacks.eve.json"),
        example("seed003-mstream-gif.full.txt"),
        example("seed001-smb-reserved.ipchains.log"),
        example("seed002-nas-p2p.asa.log"),
    ];
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let lines = explain_json(&refs, &[]);
    assert_agreement(&lines);
    let s = summary(&lines);
    let sum = |v: &serde_json::Value| {
        v.as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(sum(&s["verdicts"]), s["alerts"].as_u64().unwrap());
    assert_eq!(sum(&s["cluster_verdicts"]), s["clusters"].as_u64().unwrap());
    assert_eq!(s["judged_early"], 0);
}

#[test]
fn alerts_judged_before_the_end_say_so() {
    // Issue #8: an alert printed before later records could change it says so.
    let lines = explain_json(
        &[
            &example("seed000-llmnr-xunlei.eve.json"),
            &example("attacks.eve.json"),
        ],
        &["--hold", "1"],
    );
    let a = alerts(&lines);
    assert!(a.len() >= 3);
    assert_eq!(a[0]["provisional"], true);
    assert_eq!(a.last().unwrap()["provisional"], false);
    assert!(summary(&lines)["judged_early"].as_u64().unwrap() >= 1);
}

#[test]
fn a_signature_written_for_responses_is_not_fooled_by_one() {
    // Issue #8: "ET EXPLOIT Selenium ... Remote Code Execution - Successful", a signature for
    // the server's reply, came out false_positive as "a response to a client's ephemeral
    // port": that reasoning holds only for signatures keyed to the destination port.
    let alert = r#"{"timestamp":"2021-03-01T10:00:00.000000+0000","flow_id":5,"event_type":"alert","src_ip":"10.0.0.5","src_port":80,"dest_ip":"198.51.100.9","dest_port":51515,"proto":"TCP","direction":"to_client","app_proto":"http","alert":{"action":"allowed","gid":1,"signature_id":2999001,"rev":1,"signature":"ET EXPLOIT Example Remote Code Execution - Successful","category":"Attempted Administrator Privilege Gain","severity":1},"payload":"SFRUUC8xLjEgMjAwIE9LDQpDb250ZW50LVR5cGU6IHRleHQvcGxhaW4NCg0KdWlkPTAocm9vdCk="}"#;
    let dir = temp_dir("response-sig");
    let f = write(&dir, "eve.json", format!("{alert}\n").as_bytes());
    let lines = explain_json(&[&f], &[]);
    let a = alerts(&lines)[0];
    assert!(
        !ids(a).contains(&"server-response-to-ephemeral-port".to_string()),
        "{a}"
    );
    assert!(!ids(a).contains(&"flow-destination-opened-connection".to_string()));
    assert_ne!(a["verdict"], "false_positive");
}

#[test]
fn only_policy_signatures_about_software_in_use_are_benign_by_their_shape() {
    // Issue #8: the Dropbox client is a benign trigger of its policy signature; a policy
    // signature about a risky act (an executable download) is not excused by the same shape.
    let line = |msg: &str, i: usize| {
        format!("11/12-10:{i:02}:00.000000  [**] [1:2000419:18] {msg} [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] {{TCP}} 10.0.1.6:{} -> 198.51.100.80:80\n", 50000 + i)
    };
    let dir = temp_dir("policy");
    for (msg, benign) in [
        ("POLICY Dropbox desktop software in use", true),
        ("ET POLICY PE EXE or DLL Windows file download HTTP", false),
    ] {
        let text: String = (0..10).map(|i| line(msg, i)).collect();
        let f = write(&dir, "fast.log", text.as_bytes());
        let lines = explain_json(&[&f], &["--year", "2011"]);
        let c = clusters(&lines)[0];
        assert_eq!(c["verdict"] == "benign_trigger", benign, "{msg}: {c}");
        assert_agreement(&lines);
    }
}
