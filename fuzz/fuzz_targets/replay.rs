//! The replay of a rule's payload options on bytes.
//!
//! The first byte is the control byte: bit 0 picks the mode, the others the replay context
//! (direction, whether the payload is stream data, whether the flow is established, and
//! whether the bytes are also offered as the sticky buffers rules name).
//! - bit 0 clear: the rest is a rule text, a NUL, and the payload. The rule is parsed and, if
//!   it parses, replayed.
//! - bit 0 set: the next two bytes pick one of the real rules (`common::real_rules`), the rest
//!   is the payload.
#![no_main]

mod common;

use fpx::model::Direction;
use fpx::signature::parse_rule;
use fpx::signature::replay::{replay, ReplayInput};
use libfuzzer_sys::fuzz_target;

/// The buffers the bytes stand in for when bit 6 is set: the HTTP, DNS and TLS buffers real
/// rules use most.
const BUFFERS: [&str; 12] = [
    "http.uri",
    "http.uri.raw",
    "http.host",
    "http.header",
    "http.method",
    "http.user_agent",
    "http.request_body",
    "http.cookie",
    "file.data",
    "dns.query",
    "tls.sni",
    "http.stat_code",
];

const FLAGS: [Option<&str>; 4] = [None, Some("AP"), Some("S"), Some("***AP***")];

fn input(control: u8, payload: &[u8]) -> ReplayInput<'_> {
    let buffers = if control & 0x40 != 0 {
        BUFFERS.iter().map(|b| (b.to_string(), payload)).collect()
    } else {
        Vec::new()
    };
    ReplayInput {
        payload: (control & 0x80 == 0).then_some(payload),
        buffers,
        direction: match (control >> 1) & 3 {
            1 => Some(Direction::ToServer),
            2 => Some(Direction::ToClient),
            _ => None,
        },
        tcp_flags: FLAGS[usize::from(control >> 3) & 3],
        payload_is_stream: control & 0x20 != 0,
        established: match (control >> 3) & 3 {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    if control & 1 == 0 {
        let (rule, payload) = match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        let Ok(text) = std::str::from_utf8(rule) else {
            return;
        };
        if let Ok(r) = parse_rule(text, common::origin()) {
            let out = replay(&r, &input(control, payload));
            let _ = (out.evaluated(), out.reason());
        }
    } else {
        let [hi, lo, payload @ ..] = rest else {
            return;
        };
        let rules = common::real_rules();
        let pick = usize::from(u16::from_be_bytes([*hi, *lo])) % rules.len();
        let out = replay(&rules[pick], &input(control, payload));
        let _ = (out.evaluated(), out.reason());
    }
});
