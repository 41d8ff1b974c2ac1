//! The payload dissectors over every alert payload that Suricata 8.0.6 logged for the corpus
//! pcaps: no panic, every field inside its payload, and agreement with Suricata's own
//! application-layer detection wherever fpx claims a protocol.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine;
use fpx::dissect::{dissect_bytes, Hint};
use fpx::knowledge::Knowledge;
use fpx::model::IpProto;

use crate::util::{corpus, files_where};

/// Protocols Suricata may name for a payload fpx calls `ours`.
fn compatible(ours: &str, suricata: &str) -> bool {
    match ours {
        // Suricata hands an HTTP/1 upgrade to websocket or http2 after the first message.
        "http" => matches!(suricata, "http" | "http1" | "websocket" | "http2"),
        "dns" | "llmnr" => suricata == "dns",
        "mdns" => matches!(suricata, "mdns" | "dns"),
        "nbns" => suricata == "nbss" || suricata == "dns",
        "bittorrent" => suricata == "bittorrent-dht",
        // Suricata names its TLS parser tls; IRC has no parser there.
        "irc" => matches!(suricata, "irc" | "failed"),
        other => other == suricata,
    }
}

#[test]
#[ignore]
fn suricata_alert_payloads() {
    let kb = Knowledge::embedded().unwrap();
    let runs = corpus().join("suricata-8.0.6-runs");
    let files = files_where(&runs, &|p| p.file_name().is_some_and(|n| n == "eve.json"));
    assert!(!files.is_empty());
    let mut claimed: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut payloads = 0usize;
    let mut disagreements = Vec::new();
    let mut missed: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v["event_type"] != "alert" {
                continue;
            }
            let Some(b64) = v["payload"].as_str() else {
                continue;
            };
            let payload = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            let port = |k: &str| v[k].as_u64().and_then(|p| u16::try_from(p).ok());
            let ip = |k: &str| v[k].as_str().and_then(|s| s.parse::<IpAddr>().ok());
            let hint = Hint {
                proto: v["proto"].as_str().and_then(IpProto::from_name),
                src: ip("src_ip"),
                dest: ip("dest_ip"),
                src_port: port("src_port"),
                dest_port: port("dest_port"),
                icmp_id: None,
            };
            payloads += 1;
            let d = dissect_bytes(&payload, &hint, &kb);
            let mut last = 0;
            for fld in &d.fields {
                assert!(
                    fld.range.start >= last && fld.range.start < fld.range.end,
                    "{}:{}: bad field {fld:?}",
                    f.display(),
                    n + 1
                );
                assert!(fld.range.end <= payload.len());
                last = fld.range.end;
            }
            let app = v["app_proto"].as_str().unwrap_or("");
            if d.protocol.is_none() && matches!(app, "http" | "http1" | "dns" | "mdns") {
                let head = String::from_utf8_lossy(&payload[..payload.len().min(12)]).into_owned();
                *missed
                    .entry(format!("{app} {head:?} {:?}", d.anomalies))
                    .or_default() += 1;
            }
            if let Some(p) = d.protocol {
                *claimed.entry(p).or_default() += 1;
                if let Some(app) = v["app_proto"].as_str() {
                    if app != "failed" && !compatible(p, app) {
                        disagreements.push(format!("{}:{}: {p} vs {app}", f.display(), n + 1));
                    }
                }
            }
        }
    }
    eprintln!("{payloads} alert payloads; claimed: {claimed:?}");
    eprintln!("not claimed though Suricata named the protocol: {missed:#?}");
    assert!(payloads > 500, "{payloads}");
    assert!(
        claimed.get("http").copied().unwrap_or(0) > 20,
        "{claimed:?}"
    );
    assert!(claimed.get("mdns").copied().unwrap_or(0) > 0, "{claimed:?}");
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// Every packet of the corpus captures that hold TLS, SMB1, DHCP, NTP and BitTorrent DHT
/// traffic, dissected with its addressing: no field outside its payload, and each capture's
/// protocol recognised with the names its messages carry.
#[test]
#[ignore]
fn binary_protocols_in_corpus_captures() {
    use fpx::decode::decode;
    use fpx::dissect::AppFacts;
    use fpx::input::open_input;
    use fpx::input::pcap::PcapReader;

    let kb = Knowledge::embedded().unwrap();
    let captures = [
        ("tls/tls-certs-alert/input.pcap", "tls"),
        ("tls/tls-fingerprint-alert/input.pcap", "tls"),
        ("smb-eicar-file/input.pcap", "smb"),
        (
            "smb1-03-midstream/smb1_osx-s1-midstream-modified.pcap",
            "smb",
        ),
        ("dhcp-eve-extended/input.pcap", "dhcp"),
        ("ntp-keywords/input.pcap", "ntp"),
        ("bittorrent-dht/input.pcap", "bittorrent"),
    ];
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (rel, want) in captures {
        let path = corpus().join("suricata-verify/tests").join(rel);
        let mut input = open_input(path.to_str().unwrap()).unwrap();
        let mut r = PcapReader::new(input.reader(), path.to_str().unwrap()).unwrap();
        let mut claimed = 0usize;
        while let Some(pkt) = r.next_packet().unwrap() {
            let d = decode(pkt.linktype, pkt.data);
            let (Some(ip), Some((sport, dport))) = (d.ip.as_ref(), d.ports()) else {
                continue;
            };
            if d.payload.is_empty() {
                continue;
            }
            let hint = Hint {
                proto: d.proto(),
                src: Some(ip.src),
                dest: Some(ip.dst),
                src_port: Some(sport),
                dest_port: Some(dport),
                icmp_id: None,
            };
            let dis = dissect_bytes(d.payload, &hint, &kb);
            for f in &dis.fields {
                assert!(f.range.end <= d.payload.len(), "{rel}: {f:?}");
            }
            if dis.protocol != Some(want) {
                continue;
            }
            claimed += 1;
            let name = match &dis.app {
                Some(AppFacts::Tls(t)) => t
                    .sni
                    .as_ref()
                    .map(|s| format!("tls sni {s}"))
                    .or_else(|| t.cert_subject.as_ref().map(|s| format!("tls cert {s}")))
                    .unwrap_or_else(|| format!("tls {}", t.handshakes.join("+"))),
                Some(AppFacts::Smb(s)) => format!(
                    "smb {} {}{}",
                    s.dialect,
                    s.command.as_deref().unwrap_or("-"),
                    s.tree_path
                        .as_ref()
                        .map(|t| format!(" {t}"))
                        .unwrap_or_default()
                ),
                Some(AppFacts::Dhcp(x)) => {
                    format!("dhcp {}", x.message_type.as_deref().unwrap_or("BOOTP"))
                }
                Some(AppFacts::Ntp(n)) => format!("ntp {}", n.mode_name),
                Some(AppFacts::Bittorrent(b)) => {
                    format!(
                        "bittorrent {} {}",
                        b.kind,
                        b.method.as_deref().unwrap_or("")
                    )
                }
                other => format!("{other:?}"),
            };
            *names.entry(name).or_default() += 1;
        }
        assert!(claimed > 0, "{rel}: no {want} message recognised");
    }
    eprintln!("{names:#?}");
    let has = |prefix: &str| names.keys().any(|k| k.starts_with(prefix));
    assert!(has("tls sni "), "{names:?}");
    assert!(has("tls cert O=Google Inc, CN=www.google.com"), "{names:?}");
    // The corpus holds no SMB2 capture; the SMB2 parser is covered by unit tests.
    assert!(has("smb SMB1 TREE_CONNECT_ANDX \\\\"), "{names:?}");
    assert!(has("dhcp DISCOVER") || has("dhcp REQUEST"), "{names:?}");
    assert!(has("ntp client") || has("ntp server"), "{names:?}");
    assert!(has("bittorrent dht_query"), "{names:?}");
}
