//! Generates large benchmark inputs from real records, for `scripts/bench.sh`.
//!
//!     bench_gen eve MIB OUT EVE...      EVE lines, copies of the given files' records
//!     bench_gen u2 MIB OUT SPOOL...     unified2 records, copies of the given spools
//!
//! Each copy `k` of the records is varied so that the state tables see new flows and hosts:
//! times move by `k` hours, flow ids and unified2 event ids by `k` times a prime, the last 16
//! bits of unicast addresses (IPv4 and IPv6) are mixed with `k`, and ephemeral ports (32768
//! and up) are moved within that range. Every copy maps addresses and ports by the same
//! function, so the records of one flow (an alert and its flow record, a request and its
//! answer) still agree. In EVE `packet` fields the IP and TCP/UDP headers are rewritten to the
//! same addresses and ports, with their checksums updated (RFC 1624), so that a decoded packet
//! agrees with its record. Unified2 copies keep their addresses (event, packet and extra-data
//! records are joined by event id, which moves); only ids and times change.
//!
//! Output is written until it reaches MIB mebibytes (whole copies of single records: the last
//! copy may stop part-way through the input).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine;
use regex::bytes::{Captures, Regex};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: bench_gen eve|u2 MIB OUT INPUT...");
        std::process::exit(2);
    }
    let mib: u64 = args[1].parse().unwrap_or_else(|_| {
        eprintln!("bench_gen: MIB must be a number");
        std::process::exit(2)
    });
    let limit = mib << 20;
    let out = File::create(&args[2]).unwrap_or_else(|e| {
        eprintln!("bench_gen: {}: {e}", args[2]);
        std::process::exit(2)
    });
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let inputs = &args[3..];
    let written = match args[0].as_str() {
        "eve" => eve(inputs, limit, &mut out),
        "u2" => u2(inputs, limit, &mut out),
        other => {
            eprintln!("bench_gen: unknown kind {other}");
            std::process::exit(2)
        }
    };
    out.flush().expect("write");
    let (bytes, records, copies) = written;
    eprintln!("bench_gen: {bytes} bytes, {records} records, {copies} copies");
}

/// The 16 bits mixed into unicast addresses in copy `k` (0 for the original).
fn mix(k: u64) -> u16 {
    ((k as u32).wrapping_mul(0x9E37_79B1) >> 16) as u16
}

fn map_v4(a: Ipv4Addr, k: u64) -> Ipv4Addr {
    let o = a.octets();
    // Multicast, broadcast, loopback and "this network" keep their meaning.
    if o[0] == 0 || o[0] == 127 || o[0] >= 224 || o[3] == 255 || k == 0 {
        return a;
    }
    let m = mix(k);
    let mut n = [o[0], o[1], o[2] ^ (m >> 8) as u8, o[3] ^ m as u8];
    if n[3] == 0 || n[3] == 255 {
        n[3] ^= 1;
    }
    Ipv4Addr::from(n)
}

fn map_v6(a: Ipv6Addr, k: u64) -> Ipv6Addr {
    if a.is_multicast() || a.is_loopback() || a.is_unspecified() || k == 0 {
        return a;
    }
    let mut s = a.segments();
    s[7] ^= mix(k);
    if s[7] == 0 {
        s[7] = 1;
    }
    Ipv6Addr::from(s)
}

fn map_port(p: u16, k: u64) -> u16 {
    if p < 32768 {
        return p;
    }
    (32768 + (u64::from(p - 32768) + k * 7919) % 32768) as u16
}

/// Moves a `YYYY-MM-DDTHH:MM:SS` time by `secs` (the fraction and zone are left as they are).
fn shift_time(t: &[u8], secs: i64) -> Option<String> {
    let s = std::str::from_utf8(t).ok()?;
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se + secs;
    let (y, mo, d) = civil_from_days(t.div_euclid(86400));
    let r = t.rem_euclid(86400);
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        r / 3600,
        r / 60 % 60,
        r % 60
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// One's-complement checksum update for a 16-bit word changed from `old` to `new` (RFC 1624,
/// eqn. 3).
fn csum_update(sum: u16, old: u16, new: u16) -> u16 {
    let mut s = u32::from(!sum) + u32::from(!old) + u32::from(new);
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn get16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// Rewrites 16-bit words of a packet, keeping the checksums at `sums` (offsets) right.
fn rewrite_words(b: &mut [u8], words: &[(usize, u16)], sums: &[usize]) {
    for &(at, new) in words {
        let Some(old) = get16(b, at) else { continue };
        for &s in sums {
            if let Some(sum) = get16(b, s) {
                put16(b, s, csum_update(sum, old, new));
            }
        }
        put16(b, at, new);
    }
}

/// Maps the addresses and ports of an Ethernet frame's IPv4 or IPv6 header (and its TCP or
/// UDP header, when whole) as the record's are mapped.
fn rewrite_packet(p: &mut [u8], k: u64) {
    let mut at = 12;
    let mut ethertype = get16(p, at).unwrap_or(0);
    while ethertype == 0x8100 || ethertype == 0x88a8 {
        at += 4;
        ethertype = get16(p, at).unwrap_or(0);
    }
    let ip = at + 2;
    let (l4, proto, addr_words, ip_sum) = match ethertype {
        0x0800 if p.len() >= ip + 20 => {
            let ihl = usize::from(p[ip] & 0x0f) * 4;
            let mut words = Vec::new();
            for off in [12, 16] {
                let o: [u8; 4] = p[ip + off..ip + off + 4].try_into().unwrap_or_default();
                let n = map_v4(Ipv4Addr::from(o), k).octets();
                words.push((ip + off, u16::from_be_bytes([n[0], n[1]])));
                words.push((ip + off + 2, u16::from_be_bytes([n[2], n[3]])));
            }
            (ip + ihl, p[ip + 9], words, Some(ip + 10))
        }
        0x86dd if p.len() >= ip + 40 => {
            let mut words = Vec::new();
            for off in [8, 24] {
                let o: [u8; 16] = p[ip + off..ip + off + 16].try_into().unwrap_or_default();
                let n = map_v6(Ipv6Addr::from(o), k).octets();
                for w in 0..8 {
                    words.push((
                        ip + off + 2 * w,
                        u16::from_be_bytes([n[2 * w], n[2 * w + 1]]),
                    ));
                }
            }
            (ip + 40, p[ip + 6], words, None)
        }
        _ => return,
    };
    let l4_sum = match proto {
        6 if p.len() >= l4 + 18 => Some(l4 + 16),
        // A UDP checksum of zero means "none" and stays so.
        17 if p.len() >= l4 + 8 && get16(p, l4 + 6) != Some(0) => Some(l4 + 6),
        _ => None,
    };
    let mut sums: Vec<usize> = l4_sum.into_iter().collect();
    // The addresses are in the IPv4 header's checksum and in the TCP/UDP pseudo-header.
    sums.extend(ip_sum);
    rewrite_words(p, &addr_words, &sums);
    if matches!(proto, 6 | 17) && p.len() >= l4 + 4 {
        let ports: Vec<(usize, u16)> = [l4, l4 + 2]
            .iter()
            .filter_map(|&o| Some((o, map_port(get16(p, o)?, k))))
            .collect();
        let sums: Vec<usize> = l4_sum.into_iter().collect();
        rewrite_words(p, &ports, &sums);
    }
}

fn eve(inputs: &[String], limit: u64, out: &mut impl Write) -> (u64, u64, u64) {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for path in inputs {
        let text = std::fs::read(path).unwrap_or_else(|e| {
            eprintln!("bench_gen: {path}: {e}");
            std::process::exit(2)
        });
        lines.extend(
            text.split(|&b| b == b'\n')
                .filter(|l| l.starts_with(b"{"))
                .map(<[u8]>::to_vec),
        );
    }
    if lines.is_empty() {
        eprintln!("bench_gen: no EVE records in the inputs");
        std::process::exit(2);
    }
    let re = Regex::new(
        r#""(src_ip|dest_ip)":"([^"]*)"|"(src_port|dest_port)":(\d+)|"flow_id":(\d+)|"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)|"packet":"([^"]*)""#,
    )
    .expect("regex");
    let b64 = base64::engine::general_purpose::STANDARD;
    let (mut bytes, mut records, mut k) = (0u64, 0u64, 0u64);
    'copies: loop {
        for line in &lines {
            if bytes >= limit {
                break 'copies;
            }
            let varied = re.replace_all(line, |c: &Captures<'_>| -> Vec<u8> {
                let text = |i: usize| std::str::from_utf8(&c[i]).unwrap_or("");
                if c.get(1).is_some() {
                    let addr = text(2);
                    let mapped = match addr.parse::<std::net::IpAddr>() {
                        Ok(std::net::IpAddr::V4(a)) => map_v4(a, k).to_string(),
                        Ok(std::net::IpAddr::V6(a)) => map_v6(a, k).to_string(),
                        Err(_) => addr.to_string(),
                    };
                    format!("\"{}\":\"{mapped}\"", text(1)).into_bytes()
                } else if c.get(3).is_some() {
                    let p = text(4).parse::<u16>().map_or(0, |p| map_port(p, k));
                    format!("\"{}\":{p}", text(3)).into_bytes()
                } else if c.get(5).is_some() {
                    let id = text(5).parse::<u64>().unwrap_or(0);
                    let id = (id.wrapping_add(k.wrapping_mul(1_000_003))) & ((1 << 53) - 1);
                    format!("\"flow_id\":{id}").into_bytes()
                } else if let Some(t) = c.get(6) {
                    match shift_time(t.as_bytes(), k as i64 * 3600) {
                        Some(s) => format!("\"{s}").into_bytes(),
                        None => c[0].to_vec(),
                    }
                } else {
                    match b64.decode(&c[7]) {
                        Ok(mut p) => {
                            rewrite_packet(&mut p, k);
                            format!("\"packet\":\"{}\"", b64.encode(p)).into_bytes()
                        }
                        Err(_) => c[0].to_vec(),
                    }
                }
            });
            out.write_all(&varied).expect("write");
            out.write_all(b"\n").expect("write");
            bytes += varied.len() as u64 + 1;
            records += 1;
        }
        k += 1;
    }
    (bytes, records, k)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn add32(b: &mut [u8], at: usize, by: u32) {
    if let Some(v) = be32(b, at) {
        b[at..at + 4].copy_from_slice(&v.wrapping_add(by).to_be_bytes());
    }
}

fn u2(inputs: &[String], limit: u64, out: &mut impl Write) -> (u64, u64, u64) {
    // Whole records of every spool, in order.
    let mut recs: Vec<Vec<u8>> = Vec::new();
    for path in inputs {
        let data = std::fs::read(path).unwrap_or_else(|e| {
            eprintln!("bench_gen: {path}: {e}");
            std::process::exit(2)
        });
        let mut at = 0;
        while let (Some(_), Some(len)) = (be32(&data, at), be32(&data, at + 4)) {
            let end = at + 8 + len as usize;
            if end > data.len() {
                break;
            }
            recs.push(data[at..end].to_vec());
            at = end;
        }
    }
    if recs.is_empty() {
        eprintln!("bench_gen: no unified2 records in the inputs");
        std::process::exit(2);
    }
    let (mut bytes, mut records, mut k) = (0u64, 0u64, 0u64);
    'copies: loop {
        for r in &recs {
            if bytes >= limit {
                break 'copies;
            }
            let mut r = r.clone();
            let ty = be32(&r, 0).unwrap_or(0);
            // Event id and second: at body offsets 4 and 8 in events and packets, after the
            // 8-byte extra-data header in extra data.
            let base = match ty {
                2 | 3 | 7 | 72 | 104 | 105 | 111 | 112 | 114 => Some(8),
                110 => Some(16),
                _ => None,
            };
            if let Some(b) = base {
                let id_step = (k as u32).wrapping_mul(100_003);
                add32(&mut r, b + 4, id_step);
                add32(&mut r, b + 8, (k as u32).wrapping_mul(3600));
            }
            out.write_all(&r).expect("write");
            bytes += r.len() as u64;
            records += 1;
        }
        k += 1;
    }
    (bytes, records, k)
}
