//! Packet decoding: the first byte picks the link type, the rest is the frame.
#![no_main]

use fpx::decode::{decode, LinkType};
use libfuzzer_sys::fuzz_target;

const LINKTYPES: [u32; 9] = [0, 1, 12, 14, 101, 108, 113, 228, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let lt = LinkType(LINKTYPES[usize::from(pick) % LINKTYPES.len()]);
    let d = decode(lt, frame);
    let _ = d.ip_header();
    assert!(d.payload.len() <= frame.len());
});
