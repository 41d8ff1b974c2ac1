//! The EVE reader, and what runs on each alert it yields (dissectors, rule replay).
//!
//! The first byte picks the mode:
//! - even: the rest is EVE lines as they are;
//! - odd: the rest is split at its first NUL into a prefix and the bytes of a record: a
//!   Suricata alert line is written around them with the bytes in base64 as `payload` and
//!   `packet` (link type from the second byte), so that the decoders see arbitrary bytes and
//!   the JSON stays valid. The prefix (a JSON fragment) is spliced into the record, so the
//!   fuzzer also reaches the fields around them.
#![no_main]

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fpx::input::eve;
use libfuzzer_sys::fuzz_target;

const LINKTYPES: [u32; 6] = [1, 101, 113, 228, 0, 12];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut sink = common::Stages { alerts: 0 };
    let ctx = common::ctx("eve.json", None);
    if mode & 1 == 0 {
        let mut r = rest;
        let _ = eve::read(&mut r, &ctx, &mut sink);
        return;
    }
    let Some((&lt, rest)) = rest.split_first() else {
        return;
    };
    let (extra, bytes) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&[][..], rest),
    };
    // The fragment goes in only when it is text; JSON escapes are not this target's subject.
    let extra = std::str::from_utf8(extra).unwrap_or("");
    let b64 = STANDARD.encode(bytes);
    let linktype = LINKTYPES[usize::from(lt) % LINKTYPES.len()];
    // Bit 1 of the mode: payload from the bytes too, or only the packet (then fpx takes the
    // payload from the decoded packet). Bit 2: the stream flag.
    let payload = if mode & 2 != 0 {
        format!(r#""payload":"{b64}","#)
    } else {
        String::new()
    };
    let stream = if mode & 4 != 0 { 1 } else { 0 };
    let line = format!(
        concat!(
            r#"{{"timestamp":"2024-05-01T10:00:00.000000+0000","flow_id":1,"event_type":"alert","#,
            r#""src_ip":"192.0.2.1","src_port":50000,"dest_ip":"224.0.0.252","dest_port":5355,"#,
            r#""proto":"UDP","direction":"to_server","app_proto":"dns","#,
            r#""alert":{{"action":"allowed","gid":1,"signature_id":{sid},"rev":1,"#,
            r#""signature":"fuzz","category":"","severity":3}},"stream":{stream},"#,
            r#"{payload}"packet":"{b64}","packet_info":{{"linktype":{linktype}}}{sep}{extra}}}"#,
            "\n"
        ),
        sid = u32::from(lt) * 7,
        stream = stream,
        payload = payload,
        b64 = b64,
        linktype = linktype,
        sep = if extra.is_empty() { "" } else { "," },
        extra = extra,
    );
    let mut r = line.as_bytes();
    let _ = eve::read(&mut r, &ctx, &mut sink);
});
