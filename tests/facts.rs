//! `fpx facts` answers questions about addresses, ports and signatures, with sources.

use crate::util::fpx;

fn answer(args: &[&str]) -> String {
    let mut all = vec!["facts"];
    all.extend_from_slice(args);
    let out = fpx(&all, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fact<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let t = l.trim_start();
        t.strip_prefix(name)
            .filter(|r| r.starts_with(' '))
            .map(str::trim)
    })
}

#[test]
fn an_address_and_port_gives_the_facts_alerts_carry_with_sources() {
    let out = answer(&["224.0.0.252:5355"]);
    assert_eq!(
        fact(&out, "dest.multicast_scope"),
        Some("link-local"),
        "{out}"
    );
    assert_eq!(fact(&out, "dest.group_service"), Some("llmnr"));
    assert_eq!(fact(&out, "dest.port"), Some("5355"));
    assert!(out.contains("RFC 4795"));
    assert!(out.contains("sources:") && out.contains("knowledge/multicast.toml: IANA"));
    // The same answer as JSON.
    let json = answer(&["224.0.0.252:5355", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        v["sections"][0]["facts"]["dest.multicast_scope"],
        "link-local"
    );
    assert_eq!(v["sections"][0]["facts"]["dest.port"], 5355);
}

#[test]
fn an_address_at_a_date_says_who_held_it_then() {
    let out = answer(&["1.11.68.22", "--at", "2004-09-14"]);
    assert_eq!(
        fact(&out, "dest.unallocated_at_date"),
        Some("true"),
        "{out}"
    );
    assert_eq!(fact(&out, "dest.allocation_date"), Some("2010-01"));
    assert!(out.contains("knowledge/ipv4-address-space.toml: IANA IPv4 Address Space Registry"));
    let now = answer(&["1.11.68.22"]);
    assert_eq!(
        fact(&now, "dest.unallocated_at_date"),
        Some("false"),
        "{now}"
    );
    // A sanitised label is answered for its known prefix.
    let label = answer(&["1.11.XX.XX", "--at", "2004-09-14"]);
    assert_eq!(
        fact(&label, "dest.unallocated_at_date"),
        Some("true"),
        "{label}"
    );
}

#[test]
fn a_port_and_a_signature() {
    let out = answer(&["udp/8832"]);
    assert!(out.starts_with("udp/8832: "), "{out}");
    assert_eq!(fact(&out, "dest.port_ephemeral"), Some("true"), "{out}");
    let dns = answer(&["53"]);
    assert!(dns.contains("udp and tcp:"), "{dns}");
    assert_eq!(fact(&dns, "dest.port_service"), Some("dns"));
    let mstream = answer(&["udp/7983"]);
    assert!(mstream.contains("DDoS tool channels"), "{mstream}");

    let rules = crate::util::root().join("tests/fixtures/rules");
    let sid = answer(&["sid:2009099", "--rules", rules.to_str().unwrap()]);
    assert_eq!(fact(&sid, "signature.intent"), Some("p2p"), "{sid}");
    assert!(
        sid.contains("rule rev 3 in ") && sid.contains("rule rev 4 in "),
        "{sid}"
    );
    assert!(
        sid.contains("weakness: external_net_includes_multicast"),
        "{sid}"
    );
    assert!(sid.contains("knowledge/signatures.toml: ET Open"), "{sid}");
    // Unknown signatures and bad queries are errors; --names lists the facts.
    assert_eq!(fpx(&["facts", "sid:99999999"], None).status.code(), Some(1));
    assert_eq!(fpx(&["facts", "hello"], None).status.code(), Some(2));
    assert_eq!(
        fpx(&["facts", "--at", "x", "1.2.3.4"], None).status.code(),
        Some(2)
    );
    let names = answer(&["--names"]);
    assert!(names.contains("dest.multicast_scope"));
}
