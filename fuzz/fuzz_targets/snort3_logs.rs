//! Snort 3's `alert_json` and `alert_csv` readers, and what runs on each alert they yield
//! (dissectors, rule replay).
//!
//! The first byte picks the mode:
//! - even: the rest goes to both readers as it is (bit 1 gives `--year` 2004 for timestamps
//!   without one);
//! - odd: the rest is the payload of an alert that Snort 3 could have written, in base64 as
//!   `b64_data` of an `alert_json` line and of an `alert_csv` line with a header, so that the
//!   dissectors see arbitrary bytes through these readers; the second byte picks the
//!   protocol, ports and `pkt_gen` of the alert.
#![no_main]

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fpx::input::{snort_csv, snort_json};
use libfuzzer_sys::fuzz_target;

const SHAPES: [(&str, u16, u16, &str); 4] = [
    ("UDP", 52814, 5355, "raw"),
    ("TCP", 80, 12754, "raw"),
    ("TCP", 2585, 502, "stream_tcp"),
    ("ICMP", 0, 0, "raw"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut sink = common::Stages { alerts: 0 };
    if mode & 1 == 0 {
        let year = (mode & 2 != 0).then_some(2004);
        let mut r = rest;
        let _ = snort_json::read(&mut r, &common::ctx("alert_json.txt", year), &mut sink);
        let mut r = rest;
        let _ = snort_csv::read(&mut r, &common::ctx("alert_csv.txt", year), &mut sink);
        return;
    }
    let Some((&shape, bytes)) = rest.split_first() else {
        return;
    };
    let (proto, sp, dp, pkt_gen) = SHAPES[usize::from(shape) % SHAPES.len()];
    let sid = u32::from(shape) * 7;
    let b64 = STANDARD.encode(bytes);
    let json = format!(
        concat!(
            r#"{{ "timestamp" : "04/28-02:14:03.418862", "seconds" : 1461809643, "#,
            r#""proto" : "{proto}", "pkt_gen" : "{pkt_gen}", "dir" : "C2S", "#,
            r#""src_ap" : "192.168.88.23:{sp}", "dst_ap" : "224.0.0.252:{dp}", "#,
            r#""rule" : "1:{sid}:1", "msg" : "fuzz", "b64_data" : "{b64}" }}"#,
            "\n"
        ),
        proto = proto,
        pkt_gen = pkt_gen,
        sp = sp,
        dp = dp,
        sid = sid,
        b64 = b64,
    );
    let mut r = json.as_bytes();
    let _ = snort_json::read(&mut r, &common::ctx("alert_json.txt", None), &mut sink);
    let csv = format!(
        "# timestamp proto pkt_gen src_ap dst_ap rule msg b64_data\n\
         04/28-02:14:03.418862, {proto}, {pkt_gen}, 10.0.0.1:{sp}, 10.0.0.2:{dp}, 1:{sid}:1, \"fuzz\", \"{b64}\"\n"
    );
    let mut r = csv.as_bytes();
    let _ = snort_csv::read(&mut r, &common::ctx("alert_csv.txt", Some(2016)), &mut sink);
});
