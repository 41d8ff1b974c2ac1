//! Knowledge breadth: what fpx knows of addresses, groups, ports and variables beyond the
//! seed cases — sanitised prefixes, IPv6 scopes, protocols named from address and port, and
//! rule variables set wrong — each on inputs written here as the sensors write them.

use super::util::*;
use serde_json::Value;

fn only_alert(lines: &[Value]) -> &Value {
    let a = alerts(lines);
    assert_eq!(a.len(), 1, "{lines:?}");
    a[0]
}

fn ids(alert: &Value) -> Vec<&str> {
    alert["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

const FAST_LLMNR: &str = "04/28-02:14:03.418862  [**] [1:2009099:3] ET P2P ThunderNetwork UDP Traffic [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] {UDP} 192.168.88.23:61377 -> 224.0.0.252:5355\n";

#[test]
fn a_payload_less_fast_alert_to_the_llmnr_group_names_llmnr_and_its_rfc() {
    let dir = temp_dir("breadth-llmnr");
    let f = write(&dir, "fast.log", FAST_LLMNR.as_bytes());
    let lines = explain_json(&[&f], &["--year", "2016"]);
    let a = only_alert(&lines);
    assert_eq!(a["verdict"], "false_positive");
    assert!(ids(a).contains(&"name-resolution-group-and-port"), "{a}");
    let w = words(a);
    assert!(w.contains("LLMNR") && w.contains("RFC 4795"), "{w}");
}

#[test]
fn a_sanitised_destination_is_judged_from_its_known_prefix() {
    let dir = temp_dir("breadth-labels");
    // The LLMNR alert with its group sanitised to 224.0.0.XX: the /24 is link-local.
    let f = write(
        &dir,
        "fast.log",
        FAST_LLMNR.replace("224.0.0.252", "224.0.0.XX").as_bytes(),
    );
    let a = &alerts(&explain_json(&[&f], &["--year", "2016"]))[0].clone();
    assert_eq!(a["verdict"], "false_positive", "{a}");
    assert!(ids(a).contains(&"link-local-multicast-peer"), "{a}");
    assert!(
        words(a).contains("from the known prefix 224.0.0.0/24"),
        "{}",
        words(a)
    );

    // A P2P alert to 1.11.XX.XX in 2004: 1/8 was IANA's until 2010, whatever the rest.
    let f = write(
        &dir,
        "p2p.fast",
        b"09/14-23:23:00.000000  [**] [1:2008581:3] ET P2P BitTorrent DHT ping request [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] {UDP} 172.30.3.56:1110 -> 1.11.XX.XX:6881\n",
    );
    let a = &alerts(&explain_json(&[&f], &["--year", "2004"]))[0].clone();
    assert!(ids(a).contains(&"destination-unallocated-at-date"), "{a}");
    assert!(words(a).contains("from the known prefix 1.11.0.0/16"));

    // A label that shows no whole octet decides nothing, and nothing is said from it.
    let f = write(
        &dir,
        "open.fast",
        b"09/14-23:23:00.000000  [**] [1:2008581:3] ET P2P BitTorrent DHT ping request [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] {UDP} 172.30.3.56:1110 -> 6X.XX.XX.XX:6881\n",
    );
    let a = &alerts(&explain_json(&[&f], &["--year", "2004"]))[0].clone();
    for id in [
        "destination-unallocated-at-date",
        "link-local-multicast-peer",
    ] {
        assert!(!ids(a).contains(&id), "{a}");
    }
}

/// An mDNS query from a link-local address to ff02::fb, port 5353 to 5353, that an exploit
/// rule about DNS compression pointers matched on its ordinary name pointer.
fn mdns6_alert() -> String {
    // Standard query, QD 2: _companion-link._tcp.local PTR, then a pointer to it, PTR.
    let mut q = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0];
    for l in ["_companion-link", "_tcp", "local"] {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 12, 0, 1, 0xc0, 0x1c, 0, 12, 0, 1]);
    format!(
        concat!(
            r#"{{"timestamp":"2024-03-05T09:12:30.250000+0000","flow_id":1,"event_type":"alert","#,
            r#""src_ip":"fe80:0000:0000:0000:04b6:2b35:b860:803f","src_port":5353,"#,
            r#""dest_ip":"ff02:0000:0000:0000:0000:0000:0000:00fb","dest_port":5353,"proto":"UDP","#,
            r#""alert":{{"action":"allowed","gid":1,"signature_id":2030387,"rev":2,"#,
            r#""signature":"ET EXPLOIT Possible Treck DNS Compression Pointer Loop Inbound (CVE-2020-11901)","#,
            r#""category":"Attempted Administrator Privilege Gain","severity":1}},"#,
            r#""app_proto":"mdns","payload":"{}","stream":0}}"#,
            "\n"
        ),
        base64(&q)
    )
}

fn base64(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn ipv6_mdns_under_an_exploit_rule_is_link_local_service_traffic_not_an_attack() {
    let dir = temp_dir("breadth-mdns6");
    let f = write(&dir, "eve.json", mdns6_alert().as_bytes());
    let rules = write(
        &dir,
        "r.rules",
        br#"alert udp any any -> any any (msg:"ET EXPLOIT Possible Treck DNS Compression Pointer Loop Inbound (CVE-2020-11901)"; content:"|c0|"; content:"|00 0c|"; distance:1; within:2; reference:cve,2020-11901; classtype:attempted-admin; sid:2030387; rev:2;)
"#,
    );
    for extra in [&[][..], &["--rules", rules.as_str()][..]] {
        let lines = explain_json(&[&f], extra);
        let a = only_alert(&lines);
        assert_ne!(a["verdict"], "true_positive", "{a}");
        assert!(a["fp_probability"].as_f64().unwrap() > 0.5, "{a}");
        let w = words(a);
        assert!(w.contains("ff02::fb") && w.contains("Link-local"), "{w}");
        assert!(w.contains("mDNS"), "{w}");
        assert!(
            !w.contains("ephemeral"),
            "5353 is a service port on both sides: {w}"
        );
    }
}

const VAR_RULES: &str = r#"alert tcp $EXTERNAL_NET any -> $HOME_NET 445 (msg:"ET SCAN Inbound SMB probe"; flow:to_server; classtype:attempted-recon; sid:9000001; rev:1;)
alert udp $EXTERNAL_NET any -> $HOME_NET 1900 (msg:"ET SCAN Inbound SSDP probe"; classtype:attempted-recon; sid:9000002; rev:1;)
"#;

const VAR_ALERTS: &str = "03/05/2024-09:12:30.250000  [**] [1:9000001:1] ET SCAN Inbound SMB probe [**] [Classification: Attempted Information Leak] [Priority: 2] {TCP} 10.1.1.5:50123 -> 192.168.1.10:445
03/05/2024-09:12:31.250000  [**] [1:9000001:1] ET SCAN Inbound SMB probe [**] [Classification: Attempted Information Leak] [Priority: 2] {TCP} 10.1.1.6:50124 -> 192.168.1.11:445
03/05/2024-09:12:32.250000  [**] [1:9000002:1] ET SCAN Inbound SSDP probe [**] [Classification: Attempted Information Leak] [Priority: 2] {UDP} 192.168.1.20:50125 -> 239.255.255.250:1900
";

fn findings(vars: &str) -> (Vec<Value>, Value) {
    let dir = temp_dir("breadth-vars");
    let rules = write(&dir, "r.rules", VAR_RULES.as_bytes());
    let alerts = write(&dir, "fast.log", VAR_ALERTS.as_bytes());
    let vars = write(&dir, "suricata.yaml", vars.as_bytes());
    let lines = explain_json(&[&alerts], &["--rules", &rules, "--vars", &vars]);
    let s = summary(&lines)["findings"].clone();
    (lines, s)
}

#[test]
fn rule_variables_set_wrong_are_evidence_and_one_finding_per_run() {
    // HOME_NET misses 10.0.0.0/8, where the SMB probes come from.
    let (lines, f) = findings(
        "vars:\n  address-groups:\n    HOME_NET: \"[192.168.0.0/16]\"\n    EXTERNAL_NET: \"!$HOME_NET\"\n",
    );
    let smb: Vec<&Value> = alerts(&lines)
        .into_iter()
        .filter(|a| a["alert"]["sid"] == 9000001)
        .collect();
    assert_eq!(smb.len(), 2);
    for a in &smb {
        assert!(ids(a).contains(&"external-net-holds-inside-host"), "{a}");
        assert!(words(a).contains("HOME_NET leaves its range out"));
    }
    let one = &f["external-net-holds-inside-host"];
    assert_eq!(one["alerts"], 2, "{f}");
    assert_eq!(f.as_object().unwrap().len(), 1, "{f}");
    assert!(one["fix"][0].as_str().unwrap().contains("!$HOME_NET"));

    // EXTERNAL_NET any and a HOME_NET holding multicast: both said, each once.
    let (_, f) = findings(
        "vars:\n  address-groups:\n    HOME_NET: \"[192.168.0.0/16,10.0.0.0/8,224.0.0.0/4]\"\n    EXTERNAL_NET: \"any\"\n",
    );
    assert_eq!(f["external-net-holds-inside-host"]["alerts"], 3, "{f}");
    assert!(f["external-net-holds-inside-host"]["text"]
        .as_str()
        .unwrap()
        .contains("EXTERNAL_NET is any"));
    assert_eq!(f["home-net-holds-multicast"]["alerts"], 1, "{f}");

    // Without variables from the user, fpx's defaults are no one's misconfiguration.
    let dir = temp_dir("breadth-novars");
    let rules = write(&dir, "r.rules", VAR_RULES.as_bytes());
    let alerts = write(&dir, "fast.log", VAR_ALERTS.as_bytes());
    let lines = explain_json(&[&alerts], &["--rules", &rules]);
    assert!(summary(&lines).get("findings").is_none(), "{lines:?}");
}

/// An EVE alert of a POLICY or INFO signature on an HTTP request with these fields.
fn policy_alert(sid: u32, msg: &str, host: &str, url: &str, ua: &str) -> String {
    format!(
        concat!(
            r#"{{"timestamp":"2024-03-05T09:12:30.250000+0000","flow_id":7,"event_type":"alert","#,
            r#""src_ip":"10.0.20.31","src_port":51123,"dest_ip":"203.0.113.80","dest_port":80,"#,
            r#""proto":"TCP","alert":{{"action":"allowed","gid":1,"signature_id":{},"rev":1,"#,
            r#""signature":"{}","category":"Misc activity","severity":3}},"#,
            r#""http":{{"hostname":"{}","url":"{}","http_user_agent":"{}"}},"app_proto":"http"}}"#,
            "\n"
        ),
        sid, msg, host, url, ua
    )
}

#[test]
fn policy_signatures_on_routine_software_name_the_activity() {
    let dir = temp_dir("breadth-activity");
    let cases = [
        (
            policy_alert(
                2031071,
                "ET INFO Microsoft Connection Test",
                "www.msftconnecttest.com",
                "/connecttest.txt",
                "Microsoft NCSI",
            ),
            "Network Connectivity Status Indicator",
        ),
        (
            policy_alert(
                2013028,
                "ET POLICY curl User-Agent Outbound",
                "example.org",
                "/",
                "curl/8.5.0",
            ),
            "curl",
        ),
        (
            policy_alert(
                9000010,
                "ET POLICY Windows Update Agent observed",
                "download.windowsupdate.com",
                "/c/msdownload/update/x.cab",
                "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.33",
            ),
            "Windows Update",
        ),
        (
            policy_alert(
                9000011,
                "ET INFO Debian APT-HTTP User-Agent",
                "deb.debian.org",
                "/debian/dists/bookworm/InRelease",
                "Debian APT-HTTP/1.3 (2.6.1)",
            ),
            "package manager",
        ),
    ];
    for (i, (line, name)) in cases.iter().enumerate() {
        let f = write(&dir, &format!("eve{i}.json"), line.as_bytes());
        let lines = explain_json(&[&f], &[]);
        let a = only_alert(&lines);
        assert_eq!(a["verdict"], "benign_trigger", "{a}");
        assert!(
            ids(a).contains(&"policy-signature-sees-routine-activity"),
            "{a}"
        );
        assert!(words(a).contains(name), "{name}: {}", words(a));
    }
}
