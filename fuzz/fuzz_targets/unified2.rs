//! The unified2 reader over arbitrary bytes: it must end in `Ok` or an error, never a panic.
#![no_main]

use fpx::input::unified2::read_unified2;
use fpx::input::{Flow, ReadContext, Sink};
use fpx::model::{Alert, ContextEvent, Provenance, SkipReason};
use libfuzzer_sys::fuzz_target;

struct Null;

impl Sink for Null {
    fn alert(&mut self, _: Alert<'_>) -> Flow {
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, _: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        Flow::Continue
    }
}

fuzz_target!(|data: &[u8]| {
    let ctx = ReadContext {
        path: "fuzz.u2",
        year: None,
        mtime_year: None,
    };
    let mut r = data;
    let _ = read_unified2(&mut r, &ctx, &mut Null);
});
