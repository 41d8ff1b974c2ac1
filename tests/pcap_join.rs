//! Issue #3: a fast alert without payload, joined with its capture, is explained as well as the
//! EVE version of the same alert (the capture reproduces seed 003 as a full TCP session;
//! written by `cargo run --example craft_seed003 -- examples/pcap-join`).

use super::util::*;

fn ids(a: &serde_json::Value) -> Vec<String> {
    a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fast_alert_with_pcap_explains_as_well_as_eve() {
    let fast = example("pcap-join/seed003.fast");
    let pcap = example("pcap-join/seed003.pcap");
    let eve = example("pcap-join/seed003.eve.json");

    let joined = explain_json(&[&fast], &["--year", "2001", "--pcap", &pcap]);
    assert_eq!(summary(&joined)["pcap_join"]["found"], 1);
    let j = alerts(&joined)[0];
    let e_lines = explain_json(&[&eve], &[]);
    let e = alerts(&e_lines)[0];

    assert_eq!(j["verdict"], e["verdict"]);
    assert_eq!(j["verdict"], "false_positive");
    assert!(j["fp_probability"].as_f64() >= e["fp_probability"].as_f64());
    let (jid, eid) = (ids(j), ids(e));
    for id in &eid {
        assert!(
            jid.contains(id),
            "{id} missing from the joined explanation {jid:?}"
        );
    }
    // The capture adds what the EVE record cannot say: who opened the connection.
    assert!(jid.contains(&"flow-destination-opened-connection".to_string()));
    assert!(words(j).contains("192.0.2.10:12754 opened this connection"));
    assert_eq!(j["alert"]["payload_len"], 1460);

    // Without the capture the fast alert has no payload, and fewer reasons.
    let bare = explain_json(&[&fast], &["--year", "2001"]);
    let b = alerts(&bare)[0];
    assert!(b["alert"]["payload_len"].is_null());
    assert!(ids(b).len() < jid.len());
}

#[test]
fn alerts_outside_the_capture_are_counted_with_the_reason() {
    let fast = example("pcap-join/seed003.fast");
    let pcap = example("pcap-join/seed003.pcap");
    // Without --year the alert is dated by the file's modification time, far from the capture.
    let lines = explain_json(&[&fast], &["--year", "2015", "--pcap", &pcap]);
    let s = summary(&lines);
    assert!(s["pcap_join"]["found"].is_null(), "{s}");
    assert_eq!(
        s["pcap_join"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        1
    );
}
