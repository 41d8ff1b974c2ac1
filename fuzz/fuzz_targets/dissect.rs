//! Fuzzes the payload dissectors. The first two input bytes choose the addressing (a service
//! port and a multicast group from the knowledge base, so every dissector is reached); the
//! rest is the payload. Checks the invariants every dissection promises.
//!
//! Run with `cargo fuzz run dissect` from this folder.

#![no_main]

use std::net::IpAddr;
use std::sync::OnceLock;

use fpx::dissect::{dissect_bytes, Hint};
use fpx::knowledge::Knowledge;
use fpx::model::IpProto;
use libfuzzer_sys::fuzz_target;

fn kb() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| Knowledge::embedded().expect("embedded knowledge loads"))
}

fn hint(kb: &Knowledge, service: u8, group: u8) -> Hint {
    let unicast: IpAddr = [192, 0, 2, 1].into();
    let (proto, port) = match kb.services.get(service as usize % (kb.services.len() + 1)) {
        Some(s) if s.transport.iter().any(|t| t == "udp") => (Some(IpProto::UDP), Some(s.port)),
        Some(s) => (Some(IpProto::TCP), Some(s.port)),
        None => (None, None),
    };
    let dest = kb
        .groups
        .get(group as usize % (kb.groups.len() + 1))
        .map_or(unicast, |g| g.address);
    let (src_port, dest_port) = if group & 0x80 != 0 {
        (port, Some(50000))
    } else {
        (Some(50000), port)
    };
    Hint {
        proto,
        src: Some(unicast),
        dest: Some(dest),
        src_port,
        dest_port,
    }
}

fuzz_target!(|data: &[u8]| {
    let [service, group, payload @ ..] = data else {
        return;
    };
    let kb = kb();
    let d = dissect_bytes(payload, &hint(kb, *service, *group), kb);
    let mut last = 0;
    for f in &d.fields {
        assert!(f.range.start >= last && f.range.start < f.range.end);
        assert!(f.range.end <= payload.len());
        last = f.range.end;
    }
    if let Some(m) = &d.body_magic {
        assert!(m.offset < payload.len());
    }
});
