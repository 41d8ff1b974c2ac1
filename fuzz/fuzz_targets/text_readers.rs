//! Every line-oriented reader (EVE, fast, full, ipchains, netfilter, Cisco ASA, pflog, Zeek)
//! over arbitrary bytes: each must end in `Ok` or an error, never a panic.
#![no_main]

use fpx::input::{self, Flow, ReadContext, Sink};
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

type Reader = fn(
    &mut dyn std::io::BufRead,
    &ReadContext<'_>,
    &mut dyn Sink,
) -> Result<(), input::ReadError>;

const READERS: [Reader; 8] = [
    input::eve::read,
    input::fast::read,
    input::full::read,
    input::ipchains::read,
    input::netfilter::read,
    input::cisco_asa::read,
    input::pflog::read,
    input::zeek::read,
];

fuzz_target!(|data: &[u8]| {
    let ctx = ReadContext {
        path: "fuzz.txt",
        year: Some(2004),
        mtime_year: None,
    };
    for read in READERS {
        let mut r = data;
        let _ = read(&mut r, &ctx, &mut Null);
    }
});
