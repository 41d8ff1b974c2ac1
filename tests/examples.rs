//! The bundled examples reproduce the seed investigations; their verdicts are the acceptance
//! points of the foundation issue (#2).

use super::util::*;

#[test]
fn llmnr_query_to_p2p_signature_is_a_false_positive() {
    // Issue #2: ET 2009099 on an LLMNR query to 224.0.0.252:5355.
    let lines = explain_json(&[&example("seed000-llmnr-xunlei.eve.json")], &[]);
    let alerts = alerts(&lines);
    assert_eq!(alerts.len(), 3);
    for a in alerts {
        assert_eq!(a["alert"]["sid"], 2009099);
        assert_eq!(a["verdict"], "false_positive", "{a}");
        let p = a["fp_probability"].as_f64().unwrap();
        assert!(p >= 0.8, "fp_probability {p}");
        let w = words(a);
        for needle in ["LLMNR", "RFC 4795", "link-local multicast"] {
            assert!(w.contains(needle), "{needle:?} missing from {w}");
        }
    }
    let s = summary(&lines);
    assert_eq!(s["alerts"], 3);
    assert_eq!(s["records_read"], 3);
}

#[test]
fn snort18_mstream_on_gif_response_is_a_false_positive() {
    let lines = explain_json(&[&example("seed003-mstream-gif.full.txt")], &[]);
    let alerts = alerts(&lines);
    assert_eq!(alerts.len(), 3);
    for a in &alerts {
        assert_eq!(a["verdict"], "false_positive", "{a}");
        assert!(a["fp_probability"].as_f64().unwrap() >= 0.8);
        assert_eq!(a["alert"]["year_source"], "surrounding_text");
        assert!(a["alert"]["timestamp_utc"]
            .as_str()
            .unwrap()
            .starts_with("2001-08-13T08:12:"));
        let w = words(a);
        for needle in ["port 80", "response", "GIF", "ephemeral", "12754", "1 byte"] {
            assert!(w.contains(needle), "{needle:?} missing from {w}");
        }
    }
}

#[test]
fn genuine_attacks_score_low() {
    let lines = explain_json(&[&example("attacks.eve.json")], &[]);
    let alerts = alerts(&lines);
    assert_eq!(alerts.len(), 2);
    for a in alerts {
        let p = a["fp_probability"].as_f64().unwrap();
        assert!(p <= 0.3, "attack scored {p}: {a}");
        assert_eq!(a["verdict"], "true_positive");
        assert!(words(a).contains("exploit-pattern-in-payload"));
    }
}

#[test]
fn eve_original_record_passes_through_unchanged() {
    let path = example("attacks.eve.json");
    let raw = std::fs::read_to_string(&path).unwrap();
    let first: serde_json::Value = serde_json::from_str(raw.lines().next().unwrap()).unwrap();
    let lines = explain_json(&[&path], &[]);
    assert_eq!(alerts(&lines)[0]["original"], first);
}

#[test]
fn text_report_names_the_verdict_and_escapes_payload_text() {
    let out = fpx(
        &["explain", &example("seed000-llmnr-xunlei.eve.json")],
        None,
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("verdict: false_positive"), "{text}");
    assert!(text.contains("root cause:"));
    assert!(text.contains("+3.0"));
    assert!(!text.contains('\x1b'));
}

#[test]
fn reading_stdin_gives_the_same_alerts() {
    let data = std::fs::read(example("attacks.eve.json")).unwrap();
    let out = fpx(&["explain", "--format", "json", "-"], Some(&data));
    assert!(out.status.success());
    let n = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"kind\":\"alert\""))
        .count();
    assert_eq!(n, 2);
}
