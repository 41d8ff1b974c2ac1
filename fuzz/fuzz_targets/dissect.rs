//! Fuzzes the payload dissectors. The first three input bytes choose the addressing: a service
//! (its port) and a multicast group from the knowledge base by index, and in the third byte
//! the transport (bits 0-1), which side has the service port (bit 2) and an offset (the other
//! bits). So the dispatch reaches every dissector, over UDP and TCP (DNS and LLMNR with their
//! TCP length prefix); the rest is the payload. Checks the invariants every dissection promises, and
//! those of a later segment continuing an HTTP message the payload opened.
//!
//! The payload then goes to each dissector directly as well (DNS, LLMNR, mDNS and NBNS,
//! HTTP, SSDP, file magic, GIF, DNS names, NetBIOS names), at an offset the third byte picks,
//! so that none depends on the dispatch to be reached.

#![no_main]

mod common;

use std::net::IpAddr;

use fpx::dissect::name_service::{self, Variant};
use fpx::dissect::{
    continued, dissect_bytes, dns, gif, http, magic, nbns, ssdp, Hint, MessageStart,
};
use fpx::knowledge::Knowledge;
use fpx::model::IpProto;
use libfuzzer_sys::fuzz_target;

fn hint(kb: &Knowledge, service: u8, group: u8, transport: u8) -> Hint {
    let unicast: IpAddr = [192, 0, 2, 1].into();
    let (udp, port) = match kb.services.get(service as usize % (kb.services.len() + 1)) {
        Some(s) => (s.transport.iter().any(|t| t == "udp"), Some(s.port)),
        None => (false, None),
    };
    // Transport: as the service says (UDP first when it has both), TCP, UDP, or unknown.
    let proto = match transport & 3 {
        0 if port.is_none() => None,
        0 if udp => Some(IpProto::UDP),
        0 | 1 => Some(IpProto::TCP),
        2 => Some(IpProto::UDP),
        _ => None,
    };
    let dest = kb
        .groups
        .get(group as usize % (kb.groups.len() + 1))
        .map_or(unicast, |g| g.address);
    let (src_port, dest_port) = if transport & 4 != 0 {
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
        // The selector bytes double as an ICMP identifier (TFN's 456 is 0x01c8).
        icmp_id: Some(u16::from(service) << 8 | u16::from(group)),
    }
}

fuzz_target!(|data: &[u8]| {
    let [service, group, transport, payload @ ..] = data else {
        return;
    };
    let kb = common::kb();
    let len = payload.len();
    let d = dissect_bytes(payload, &hint(kb, *service, *group, *transport), kb);
    common::check_dissection(&d, len);
    for at in [0, len / 2, len.saturating_sub(1), len] {
        if let Some(f) = d.field_at(at) {
            assert!(f.range.contains(&at));
        }
    }
    let _ = d.fields_overlapping(len / 3..len).count();
    if let Some(m) = MessageStart::of(&d) {
        // The same bytes as the next segment of that message, somewhere after its headers.
        let offset = m.header_len + u64::from(*transport >> 3) * 97;
        let next = continued(len, &m, offset, 1);
        common::check_dissection(&next, len);
    }

    // Each dissector on its own, from an offset inside the payload.
    let from = usize::from(*transport >> 3).min(len);
    for v in [Variant::Dns, Variant::Llmnr, Variant::Mdns, Variant::Nbns] {
        let _ = name_service::dissect(payload, v);
    }
    let _ = dns::parse_message(payload);
    let _ = dns::parse_name(payload, from);
    let _ = http::parse(payload);
    let _ = http::dissect(payload, kb);
    let _ = ssdp::dissect(payload);
    let _ = magic::dissect_at(payload, from..len, kb, None);
    let _ = gif::header_fields(payload, from..len);
    if let Some(label) = payload.get(from..from + 32) {
        if let Some(n) = nbns::decode_first_level(label) {
            let _ = (n.display(), n.is_wildcard());
        }
    }
});
