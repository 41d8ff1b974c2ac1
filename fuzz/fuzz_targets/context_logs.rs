//! The context-log readers: firewall packet logs (ipchains, netfilter, Cisco ASA, pflog) and
//! Zeek logs (TSV and JSON). The first byte picks the year for timestamps without one and the
//! file name Zeek takes the log's path from when it has no `#path` line (conn, dns, other);
//! the rest goes to every reader.
#![no_main]

mod common;

use fpx::input::{self, ReadContext, Sink};
use libfuzzer_sys::fuzz_target;

type Reader =
    fn(&mut dyn std::io::BufRead, &ReadContext<'_>, &mut dyn Sink) -> Result<(), input::ReadError>;

const FIREWALLS: [Reader; 4] = [
    input::ipchains::read,
    input::netfilter::read,
    input::cisco_asa::read,
    input::pflog::read,
];

const ZEEK_NAMES: [&str; 4] = ["conn.log", "dns.log", "notice.log", "weird.json"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let year = (pick & 1 != 0).then_some(2004);
    for read in FIREWALLS {
        let mut r = text;
        let _ = read(
            &mut r,
            &common::ctx("firewall.log", year),
            &mut common::Null,
        );
    }
    let name = ZEEK_NAMES[usize::from(pick >> 1) % ZEEK_NAMES.len()];
    let mut r = text;
    let _ = input::zeek::read(&mut r, &common::ctx(name, year), &mut common::Null);
});
