//! Files an analyst writes and fpx reads back: threshold.config / threshold.conf lines (as
//! Suricata, Snort 2 and Snort 3 read them), the suppress and event_filter tables of a Snort 3
//! Lua configuration, and the JSON-lines feedback file (`--feedback`). The whole input goes to
//! each parser.
#![no_main]

use fpx::model::Engine;
use fpx::state::feedback::Feedback;
use fpx::suggest::{lua, threshold};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for engine in [Engine::Suricata, Engine::Snort2, Engine::Snort3] {
        for (_, line) in threshold::parse_file(&text, engine) {
            if let Ok(threshold::Line::Suppress { ip: Some(ip), .. }) = &line {
                let _ = threshold::literal_networks(ip);
            }
            if let Ok(l) = line {
                let _ = l.signature();
            }
        }
    }
    if let Some(first) = text.lines().next() {
        let _ = threshold::parse_line(first);
        let _ = threshold::literal_networks(first);
    }
    let _ = lua::parse(&text);
    if let Ok(f) = Feedback::parse(&text, "feedback.jsonl") {
        let _ = (f.len(), f.is_empty(), f.dropped);
    }
});
