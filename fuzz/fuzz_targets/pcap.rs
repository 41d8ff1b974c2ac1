//! The pcap/pcapng reader and the capture index over arbitrary bytes.
#![no_main]

use fpx::flow::PcapIndex;
use fpx::input::pcap::PcapReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = PcapReader::new(data, "fuzz.pcap") else {
        return;
    };
    let mut index = PcapIndex::default();
    while let Ok(Some(p)) = r.next_packet() {
        index.add_packet(p.ts_micros.unwrap_or(0), p.linktype, p.data, p.orig_len);
    }
    index.finish();
});
