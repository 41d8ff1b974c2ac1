//! Writes a capture and alert files that reproduce seed 003 (the "DDOS mstream client to
//! handler" alert on an HTTP response to a NAT'ed client port) as a full TCP session, with real
//! documentation addresses in place of the write-up's `a.b.c.d` and `my.firewall.ip`:
//!
//! - `seed003.pcap`: handshake from 192.0.2.10:12754 to 198.51.100.7:80, a GET, the 200 OK
//!   response in 1,460-byte segments (the alerted one has the write-up's TTL 61, ID 27309, DF,
//!   seq 0xE37E6C1A, ack 0x57B1F, window 0x7D78), and the close;
//! - `seed003.fast`: the alert as a Snort 1.8 fast alert line, without payload (year 2001);
//! - `seed003.eve.json`: the same alert as an EVE record with payload and flow, for comparison;
//! - `mstream-handler.pcap`: the opposite case, a real mstream session: a client at
//!   198.51.100.20 connects to a handler listening on 192.0.2.30:12754, sends commands, and the
//!   handler answers.
//!
//! The captures are the input of the real Suricata runs kept in `tests/fixtures/suricata/`
//! (see the README there). Usage: `cargo run --example craft_seed003 -- OUTDIR`

use std::net::Ipv4Addr;

use base64::Engine;
use fpx::decode::checksum::{fold, pseudo_header, sum};
use fpx::model::time::{micros_from_parts, Rfc3339};

const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const SERVER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
const CPORT: u16 = 12754;
const SPORT: u16 = 80;
const MSS: usize = 1460;

struct Seg {
    ts: i64,
    /// (client, server) endpoints of the session.
    ends: Ends,
    from_client: bool,
    seq: u32,
    ack: u32,
    flags: u8,
    ttl: u8,
    id: u16,
    win: u16,
    data: Vec<u8>,
}

#[derive(Clone, Copy)]
struct Ends {
    client: (Ipv4Addr, u16),
    server: (Ipv4Addr, u16),
}

const SEED003: Ends = Ends {
    client: (CLIENT, CPORT),
    server: (SERVER, SPORT),
};

fn frame(s: &Seg) -> Vec<u8> {
    let ((src, sp), (dst, dp)) = if s.from_client {
        (s.ends.client, s.ends.server)
    } else {
        (s.ends.server, s.ends.client)
    };
    let mut tcp = Vec::with_capacity(20 + s.data.len());
    tcp.extend_from_slice(&sp.to_be_bytes());
    tcp.extend_from_slice(&dp.to_be_bytes());
    tcp.extend_from_slice(&s.seq.to_be_bytes());
    tcp.extend_from_slice(&s.ack.to_be_bytes());
    tcp.extend_from_slice(&[0x50, s.flags]);
    tcp.extend_from_slice(&s.win.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]);
    tcp.extend_from_slice(&s.data);
    let acc = pseudo_header(src.into(), dst.into(), 6, tcp.len() as u32);
    let c = !fold(sum(acc, &tcp));
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&s.id.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0, s.ttl, 6, 0, 0]);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let c = !fold(sum(0, &ip));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut f = vec![
        0x00, 0x10, 0x4b, 0x01, 0x02, 0x03, 0x00, 0x60, 0x08, 0x0a, 0x0b, 0x0c,
    ];
    if s.from_client {
        f.rotate_left(6);
    }
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(&tcp);
    f
}

/// A classic pcap file of the segments' frames.
fn pcap(segs: &[Seg]) -> Vec<u8> {
    let mut pcap = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        pcap.extend_from_slice(&v.to_le_bytes());
    }
    pcap[4..8].copy_from_slice(&[2, 0, 4, 0]);
    for s in segs {
        let f = frame(s);
        let (secs, us) = (
            s.ts.div_euclid(1_000_000) as u32,
            s.ts.rem_euclid(1_000_000) as u32,
        );
        for v in [secs, us, f.len() as u32, f.len() as u32] {
            pcap.extend_from_slice(&v.to_le_bytes());
        }
        pcap.extend_from_slice(&f);
    }
    pcap
}

/// An mstream client talking to its handler on TCP 12754: the handshake, the client's
/// password and commands (each with the `>` the rule looks for), the handler's prompt and
/// answers, and the close.
fn mstream_session() -> Vec<Seg> {
    let ends = Ends {
        client: (Ipv4Addr::new(198, 51, 100, 20), 40123),
        server: (Ipv4Addr::new(192, 0, 2, 30), 12754),
    };
    let t0 = micros_from_parts(2001, 8, 14, 2, 30, 0, 0).expect("valid time");
    let (mut cs, mut ss) = (0x1000_0000u32, 0x7000_0000u32);
    let mut segs = Vec::new();
    let mut ts = t0;
    let mut push = |from_client: bool, flags: u8, data: &[u8], cs: &mut u32, ss: &mut u32| {
        let (seq, ack) = if from_client { (*cs, *ss) } else { (*ss, *cs) };
        segs.push(Seg {
            ends,
            ts,
            from_client,
            seq,
            ack: if flags == 0x02 { 0 } else { ack },
            flags,
            ttl: 64,
            id: 100 + ip_id(from_client, seq),
            win: 0x7210,
            data: data.to_vec(),
        });
        let adv = data.len() as u32 + u32::from(flags & 0x03 != 0);
        if from_client {
            *cs = cs.wrapping_add(adv);
        } else {
            *ss = ss.wrapping_add(adv);
        }
        ts += 20_000;
    };
    push(true, 0x02, b"", &mut cs, &mut ss);
    push(false, 0x12, b"", &mut cs, &mut ss);
    push(true, 0x10, b"", &mut cs, &mut ss);
    push(false, 0x18, b"password?\r\n", &mut cs, &mut ss);
    push(true, 0x18, b">sex\r\n", &mut cs, &mut ss);
    push(false, 0x18, b"\r\n\r\n> ", &mut cs, &mut ss);
    push(true, 0x18, b">servers\r\n", &mut cs, &mut ss);
    push(false, 0x18, b"10.1.1.1\r\n10.1.1.2\r\n> ", &mut cs, &mut ss);
    push(true, 0x18, b">ping\r\n", &mut cs, &mut ss);
    push(false, 0x18, b"2 servers answered\r\n> ", &mut cs, &mut ss);
    push(true, 0x11, b"", &mut cs, &mut ss);
    push(false, 0x11, b"", &mut cs, &mut ss);
    push(true, 0x10, b"", &mut cs, &mut ss);
    segs
}

/// IP ids that differ per side and packet, so that every frame is distinct.
fn ip_id(from_client: bool, seq: u32) -> u16 {
    (seq as u16).wrapping_add(if from_client { 0 } else { 0x4000 })
}

fn main() -> std::io::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&out)?;
    let alert_ts = micros_from_parts(2001, 8, 13, 8, 12, 47, 743_103).expect("valid time");
    let request = b"GET /images/banner.gif HTTP/1.0\r\nHost: www.example.org\r\n\r\n".to_vec();
    let mut body = b"HTTP/1.0 200 OK\r\nContent-Type: image/gif\r\nContent-Length: 5740\r\n\
Last-Modified: Fri, 15 Apr 1994 00:00:00 GMT\r\nExpires: Thu, 15 Apr 2010 20:00:00 GMT\r\n\r\n"
        .to_vec();
    body.extend_from_slice(b"GIF89a");
    body.extend((0..5734u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    // Sequence numbers chosen so that the first response segment has the write-up's values.
    let server_isn: u32 = 0xE37E_6C1A - 1;
    let client_next: u32 = 0x0005_7B1F;
    let client_isn = client_next - 1 - request.len() as u32;
    let t0 = alert_ts - 180_000;
    let mut segs = vec![
        Seg {
            ends: SEED003,
            ts: t0,
            from_client: true,
            seq: client_isn,
            ack: 0,
            flags: 0x02,
            ttl: 128,
            id: 4000,
            win: 0x2000,
            data: vec![],
        },
        Seg {
            ends: SEED003,
            ts: t0 + 90_000,
            from_client: false,
            seq: server_isn,
            ack: client_isn + 1,
            flags: 0x12,
            ttl: 61,
            id: 27307,
            win: 0x7D78,
            data: vec![],
        },
        Seg {
            ends: SEED003,
            ts: t0 + 90_400,
            from_client: true,
            seq: client_isn + 1,
            ack: server_isn + 1,
            flags: 0x10,
            ttl: 128,
            id: 4001,
            win: 0x2238,
            data: vec![],
        },
        Seg {
            ends: SEED003,
            ts: t0 + 91_000,
            from_client: true,
            seq: client_isn + 1,
            ack: server_isn + 1,
            flags: 0x18,
            ttl: 128,
            id: 4002,
            win: 0x2238,
            data: request.clone(),
        },
        Seg {
            ends: SEED003,
            ts: alert_ts - 1_000,
            from_client: false,
            seq: server_isn + 1,
            ack: client_next,
            flags: 0x10,
            ttl: 61,
            id: 27308,
            win: 0x7D78,
            data: vec![],
        },
    ];
    let mut seq = server_isn + 1;
    let mut ts = alert_ts;
    let mut id = 27309u16;
    for chunk in body.chunks(MSS) {
        segs.push(Seg {
            ends: SEED003,
            ts,
            from_client: false,
            seq,
            ack: client_next,
            flags: 0x18,
            ttl: 61,
            id,
            win: 0x7D78,
            data: chunk.to_vec(),
        });
        seq += chunk.len() as u32;
        ts += 4_000;
        id += 1;
    }
    segs.push(Seg {
        ends: SEED003,
        ts,
        from_client: true,
        seq: client_next,
        ack: seq,
        flags: 0x10,
        ttl: 128,
        id: 4003,
        win: 0x2238,
        data: vec![],
    });
    segs.push(Seg {
        ends: SEED003,
        ts: ts + 500,
        from_client: false,
        seq,
        ack: client_next,
        flags: 0x11,
        ttl: 61,
        id,
        win: 0x7D78,
        data: vec![],
    });
    segs.push(Seg {
        ends: SEED003,
        ts: ts + 900,
        from_client: true,
        seq: client_next,
        ack: seq + 1,
        flags: 0x11,
        ttl: 128,
        id: 4004,
        win: 0x2238,
        data: vec![],
    });
    segs.push(Seg {
        ends: SEED003,
        ts: ts + 1_300,
        from_client: false,
        seq: seq + 1,
        ack: client_next + 1,
        flags: 0x10,
        ttl: 61,
        id: id + 1,
        win: 0x7D78,
        data: vec![],
    });

    std::fs::write(out.join("seed003.pcap"), pcap(&segs))?;
    std::fs::write(out.join("mstream-handler.pcap"), pcap(&mstream_session()))?;

    let fast = format!(
        "08/13-08:12:47.743103  [**] [1:247:1] DDOS mstream client to handler [**] \
         [Classification: Attempted Denial of Service] [Priority: 2] {{TCP}} {SERVER}:{SPORT} -> {CLIENT}:{CPORT}\n"
    );
    std::fs::write(out.join("seed003.fast"), fast)?;

    let first = &body[..MSS];
    let to_server: Vec<&Seg> = segs.iter().filter(|s| s.from_client).collect();
    let eve = serde_json::json!({
        "timestamp": format!("{}", Rfc3339(alert_ts)).replace('Z', "+0000"),
        "event_type": "alert",
        "src_ip": SERVER.to_string(), "src_port": SPORT,
        "dest_ip": CLIENT.to_string(), "dest_port": CPORT,
        "proto": "TCP", "direction": "to_client", "app_proto": "http",
        "alert": {
            "action": "allowed", "gid": 1, "signature_id": 247, "rev": 1,
            "signature": "DDOS mstream client to handler",
            "category": "Attempted Denial of Service", "severity": 2
        },
        "flow": {
            "pkts_toserver": to_server.len(), "pkts_toclient": segs.len() - to_server.len(),
            "bytes_toserver": to_server.iter().map(|s| frame(s).len()).sum::<usize>(),
            "bytes_toclient": segs.iter().filter(|s| !s.from_client).map(|s| frame(s).len()).sum::<usize>(),
            "start": format!("{}", Rfc3339(t0)).replace('Z', "+0000")
        },
        "http": {"hostname": "www.example.org", "url": "/images/banner.gif", "http_method": "GET",
                 "protocol": "HTTP/1.0", "status": 200, "http_content_type": "image/gif", "length": 5740},
        "payload": base64::engine::general_purpose::STANDARD.encode(first),
        "packet_info": {"linktype": 1}
    });
    std::fs::write(out.join("seed003.eve.json"), format!("{eve}\n"))?;
    eprintln!(
        "wrote seed003.pcap ({} packets), seed003.fast, seed003.eve.json to {}",
        segs.len(),
        out.display()
    );
    Ok(())
}
