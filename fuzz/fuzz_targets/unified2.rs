//! The unified2 reader over arbitrary bytes: it must end in `Ok` or an error, never a panic.
#![no_main]

mod common;

use fpx::input::unified2::read_unified2;
use fpx::input::ReadContext;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = ReadContext {
        path: "fuzz.u2",
        year: None,
        mtime_year: None,
    };
    let mut r = data;
    let _ = read_unified2(&mut r, &ctx, &mut common::Null);
});
