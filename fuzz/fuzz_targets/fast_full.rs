//! The Snort/Suricata fast and full alert readers (`alert_fast`, `alert_full`, console
//! output), and what runs on each alert they yield. The first byte picks the year given for
//! timestamps without one (none, or 2004); the rest goes to both readers.
#![no_main]

mod common;

use fpx::input::{fast, full};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let year = (pick & 1 != 0).then_some(2004);
    let mut sink = common::Stages { alerts: 0 };
    let mut r = text;
    let _ = fast::read(&mut r, &common::ctx("alert_fast.txt", year), &mut sink);
    let mut r = text;
    let _ = full::read(&mut r, &common::ctx("alert_full.txt", year), &mut sink);
});
