//! Capture files: classic pcap (microsecond and nanosecond, either byte order) and pcapng
//! (section header, interface description, enhanced, simple and obsolete packet blocks),
//! read as a stream of packets borrowed from one reused buffer.
//!
//! Written by hand rather than with the pcap-parser crate: the formats are a few fixed headers,
//! the reader needs only packets with their time and link type, and a hand reader streams from
//! any `Read` (gzip included) with one buffer and byte offsets for its errors.

use std::io::{ErrorKind, Read};

use thiserror::Error;

use crate::decode::LinkType;

/// Largest packet accepted: tcpdump's maximum snap length (262,144) rounded up. A larger
/// captured length means a corrupt file, and trusting it would allocate that much.
pub const MAX_PACKET: u32 = 256 * 1024 + 1024;

/// Largest pcapng block accepted (a packet plus generous room for options and comments).
pub const MAX_BLOCK: u32 = 16 * 1024 * 1024;

/// Most pcapng interfaces remembered per section; more means a corrupt or hostile file.
pub const MAX_INTERFACES: usize = 1024;

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_BYTE_ORDER: u32 = 0x1a2b_3c4d;
const BLOCK_IDB: u32 = 1;
const BLOCK_OBSOLETE_PACKET: u32 = 2;
const BLOCK_SPB: u32 = 3;
const BLOCK_EPB: u32 = 6;
const OPT_IF_TSRESOL: u16 = 9;

/// Errors reading a capture, with the file and byte offset.
#[derive(Debug, Error)]
pub enum PcapError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: byte offset {offset}: {message}")]
    Corrupt {
        path: String,
        offset: u64,
        message: String,
    },
    #[error(transparent)]
    Open(#[from] super::ReadError),
}

/// One captured packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapturedPacket<'a> {
    /// Microseconds since the epoch; `None` for pcapng simple packet blocks, which have none.
    pub ts_micros: Option<i64>,
    pub linktype: LinkType,
    pub data: &'a [u8],
    /// Length on the wire (may exceed `data` when the snap length cut it).
    pub orig_len: u32,
    /// Byte offset of the packet's record or block in the file.
    pub offset: u64,
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: LinkType,
    /// Timestamp units per second.
    units_per_sec: u64,
}

enum Kind {
    Pcap {
        big_endian: bool,
        nanos: bool,
        linktype: LinkType,
    },
    Pcapng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// A streaming capture reader.
pub struct PcapReader<R> {
    r: R,
    path: String,
    kind: Kind,
    offset: u64,
    buf: Vec<u8>,
}

fn u32_at(b: &[u8], at: usize, big: bool) -> u32 {
    let s = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if big {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    }
}

fn u16_at(b: &[u8], at: usize, big: bool) -> u16 {
    let s = [b[at], b[at + 1]];
    if big {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    }
}

/// Reads as much of `buf` as the input holds; returns the count.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Whether the first bytes are a pcap or pcapng magic number.
pub fn is_capture(head: &[u8]) -> bool {
    let Some(m) = head.get(..4) else {
        return false;
    };
    let be = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
    let le = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
    [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAPNG_SHB].contains(&be)
        || [PCAP_MAGIC_US, PCAP_MAGIC_NS].contains(&le)
}

impl<R: Read> PcapReader<R> {
    /// Reads the file header (pcap) or the first section header (pcapng).
    pub fn new(mut r: R, path: &str) -> Result<Self, PcapError> {
        let mut head = [0u8; 24];
        let n = read_full(&mut r, &mut head[..4]).map_err(|source| PcapError::Io {
            path: path.to_string(),
            source,
        })?;
        let corrupt = |offset, message: &str| PcapError::Corrupt {
            path: path.to_string(),
            offset,
            message: message.to_string(),
        };
        if n < 4 {
            return Err(corrupt(0, "too short for a capture file header"));
        }
        let magic_be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let mut me = PcapReader {
            r,
            path: path.to_string(),
            kind: Kind::Pcapng {
                big_endian: false,
                interfaces: Vec::new(),
            },
            offset: 0,
            buf: Vec::with_capacity(2048),
        };
        if magic_be == PCAPNG_SHB {
            me.section_header(0)?;
            return Ok(me);
        }
        let big_endian = match magic_be {
            PCAP_MAGIC_US | PCAP_MAGIC_NS => true,
            _ if [PCAP_MAGIC_US, PCAP_MAGIC_NS].contains(&magic_be.swap_bytes()) => false,
            _ => {
                return Err(corrupt(
                    0,
                    "not a pcap or pcapng file (unknown magic number)",
                ))
            }
        };
        let nanos = u32_at(&head, 0, big_endian) == PCAP_MAGIC_NS;
        let n = read_full(&mut me.r, &mut head[4..]).map_err(|e| me.io(e))?;
        if n < 20 {
            return Err(corrupt(0, "truncated pcap file header"));
        }
        // The upper bits of the link-type field carry FCS information (pcap spec, section 4).
        let linktype = LinkType(u32_at(&head, 20, big_endian) & 0x0fff_ffff);
        me.kind = Kind::Pcap {
            big_endian,
            nanos,
            linktype,
        };
        me.offset = 24;
        Ok(me)
    }

    fn io(&self, source: std::io::Error) -> PcapError {
        PcapError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, offset: u64, message: String) -> PcapError {
        PcapError::Corrupt {
            path: self.path.clone(),
            offset,
            message,
        }
    }

    /// Reads a section header block whose 4-byte type has been consumed at `start`.
    fn section_header(&mut self, start: u64) -> Result<(), PcapError> {
        let mut h = [0u8; 8];
        let n = read_full(&mut self.r, &mut h).map_err(|e| self.io(e))?;
        if n < 8 {
            return Err(self.corrupt(start, "truncated pcapng section header".into()));
        }
        let big_endian = match u32::from_be_bytes([h[4], h[5], h[6], h[7]]) {
            PCAPNG_BYTE_ORDER => true,
            m if m.swap_bytes() == PCAPNG_BYTE_ORDER => false,
            _ => return Err(self.corrupt(start, "bad pcapng byte-order magic".into())),
        };
        let total = u32_at(&h, 0, big_endian);
        if !(28..=MAX_BLOCK).contains(&total) || total % 4 != 0 {
            return Err(self.corrupt(start, format!("bad section header length {total}")));
        }
        self.skip(u64::from(total) - 12, start)?;
        self.kind = Kind::Pcapng {
            big_endian,
            interfaces: Vec::new(),
        };
        self.offset = start + u64::from(total);
        Ok(())
    }

    fn skip(&mut self, n: u64, start: u64) -> Result<(), PcapError> {
        let got = std::io::copy(&mut (&mut self.r).take(n), &mut std::io::sink())
            .map_err(|e| self.io(e))?;
        if got < n {
            return Err(self.corrupt(start, "truncated block".into()));
        }
        Ok(())
    }

    /// The next packet, `None` at a clean end of file.
    pub fn next_packet(&mut self) -> Result<Option<CapturedPacket<'_>>, PcapError> {
        match self.kind {
            Kind::Pcap {
                big_endian,
                nanos,
                linktype,
            } => self.next_pcap(big_endian, nanos, linktype),
            Kind::Pcapng { .. } => self.next_pcapng(),
        }
    }

    fn next_pcap(
        &mut self,
        big: bool,
        nanos: bool,
        linktype: LinkType,
    ) -> Result<Option<CapturedPacket<'_>>, PcapError> {
        let start = self.offset;
        let mut h = [0u8; 16];
        let n = read_full(&mut self.r, &mut h).map_err(|e| self.io(e))?;
        if n == 0 {
            return Ok(None);
        }
        if n < 16 {
            return Err(self.corrupt(start, format!("truncated packet header: {n} of 16 bytes")));
        }
        let secs = i64::from(u32_at(&h, 0, big));
        let frac = i64::from(u32_at(&h, 4, big));
        let incl = u32_at(&h, 8, big);
        let orig_len = u32_at(&h, 12, big);
        if incl > MAX_PACKET {
            return Err(self.corrupt(
                start,
                format!("captured length {incl} over the {MAX_PACKET}-byte limit"),
            ));
        }
        self.buf.resize(incl as usize, 0);
        let got = read_full(&mut self.r, &mut self.buf).map_err(|e| self.io(e))?;
        if got < incl as usize {
            return Err(self.corrupt(start, format!("truncated packet: {got} of {incl} bytes")));
        }
        self.offset += 16 + u64::from(incl);
        let micros = secs * 1_000_000 + if nanos { frac / 1000 } else { frac };
        Ok(Some(CapturedPacket {
            ts_micros: Some(micros),
            linktype,
            data: &self.buf,
            orig_len,
            offset: start,
        }))
    }

    fn next_pcapng(&mut self) -> Result<Option<CapturedPacket<'_>>, PcapError> {
        loop {
            let start = self.offset;
            let mut h = [0u8; 8];
            let n = read_full(&mut self.r, &mut h[..4]).map_err(|e| self.io(e))?;
            if n == 0 {
                return Ok(None);
            }
            if n < 4 {
                return Err(self.corrupt(start, "truncated block header".into()));
            }
            let Kind::Pcapng {
                big_endian: big, ..
            } = self.kind
            else {
                unreachable!("pcapng reader state")
            };
            if u32::from_be_bytes([h[0], h[1], h[2], h[3]]) == PCAPNG_SHB {
                self.section_header(start)?;
                continue;
            }
            let n = read_full(&mut self.r, &mut h[4..]).map_err(|e| self.io(e))?;
            if n < 4 {
                return Err(self.corrupt(start, "truncated block header".into()));
            }
            let ty = u32_at(&h, 0, big);
            let total = u32_at(&h, 4, big);
            if !(12..=MAX_BLOCK).contains(&total) || total % 4 != 0 {
                return Err(self.corrupt(start, format!("bad block length {total}")));
            }
            let body_len = (total - 12) as usize;
            self.buf.resize(body_len + 4, 0);
            let got = read_full(&mut self.r, &mut self.buf).map_err(|e| self.io(e))?;
            if got < body_len + 4 {
                return Err(self.corrupt(start, format!("truncated block of type {ty}")));
            }
            self.offset += u64::from(total);
            let body = &self.buf[..body_len];
            match ty {
                BLOCK_IDB => {
                    if body.len() < 8 {
                        return Err(self.corrupt(start, "short interface block".into()));
                    }
                    let iface = Interface {
                        linktype: LinkType(u32::from(u16_at(body, 0, big))),
                        units_per_sec: tsresol(&body[8..], big),
                    };
                    let Kind::Pcapng { interfaces, .. } = &mut self.kind else {
                        unreachable!("pcapng reader state")
                    };
                    if interfaces.len() == MAX_INTERFACES {
                        return Err(self.corrupt(start, "too many interfaces".into()));
                    }
                    interfaces.push(iface);
                }
                BLOCK_EPB | BLOCK_OBSOLETE_PACKET | BLOCK_SPB => {
                    return self.packet_block(ty, start, body_len, big).map(Some);
                }
                _ => {} // statistics, name resolution, custom blocks: not needed
            }
        }
    }

    fn packet_block(
        &self,
        ty: u32,
        start: u64,
        body_len: usize,
        big: bool,
    ) -> Result<CapturedPacket<'_>, PcapError> {
        let body = &self.buf[..body_len];
        let Kind::Pcapng { interfaces, .. } = &self.kind else {
            unreachable!("pcapng reader state")
        };
        let (iface_id, ts, caplen, orig_len, data_at) = match ty {
            BLOCK_SPB => {
                if body.len() < 4 {
                    return Err(self.corrupt(start, "short simple packet block".into()));
                }
                let orig = u32_at(body, 0, big);
                (0usize, None, orig.min(body_len as u32 - 4), orig, 4usize)
            }
            _ => {
                if body.len() < 20 {
                    return Err(self.corrupt(start, "short packet block".into()));
                }
                let id = if ty == BLOCK_EPB {
                    u32_at(body, 0, big) as usize
                } else {
                    usize::from(u16_at(body, 0, big))
                };
                let ts = (u64::from(u32_at(body, 4, big)) << 32) | u64::from(u32_at(body, 8, big));
                (
                    id,
                    Some(ts),
                    u32_at(body, 12, big),
                    u32_at(body, 16, big),
                    20usize,
                )
            }
        };
        let Some(iface) = interfaces.get(iface_id) else {
            return Err(self.corrupt(start, format!("packet for undeclared interface {iface_id}")));
        };
        let end = data_at + caplen as usize;
        if end > body.len() {
            return Err(self.corrupt(start, "captured length runs past its block".into()));
        }
        let ts_micros = ts.map(|t| {
            let per = iface.units_per_sec.max(1);
            let micros = u128::from(t) * 1_000_000 / u128::from(per);
            i64::try_from(micros).unwrap_or(i64::MAX)
        });
        Ok(CapturedPacket {
            ts_micros,
            linktype: iface.linktype,
            data: &body[data_at..end],
            orig_len,
            offset: start,
        })
    }
}

/// Timestamp units per second from an interface block's options (`if_tsresol`, default µs).
fn tsresol(mut opts: &[u8], big: bool) -> u64 {
    while opts.len() >= 4 {
        let code = u16_at(opts, 0, big);
        let len = usize::from(u16_at(opts, 2, big));
        let padded = (len + 3) & !3;
        if code == 0 || opts.len() < 4 + padded {
            break;
        }
        if code == OPT_IF_TSRESOL && len >= 1 {
            let v = opts[4];
            let exp = u32::from(v & 0x7f);
            // High bit clear: a negative power of 10; set: a negative power of 2.
            return if v & 0x80 == 0 {
                10u64.checked_pow(exp).unwrap_or(u64::MAX)
            } else {
                1u64.checked_shl(exp).unwrap_or(u64::MAX)
            };
        }
        opts = &opts[4 + padded..];
    }
    1_000_000
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A little-endian microsecond pcap with the given link type.
    pub(crate) fn write_pcap(linktype: u32, packets: &[(i64, Vec<u8>)]) -> Vec<u8> {
        let mut f = Vec::new();
        for v in [PCAP_MAGIC_US, 0x0004_0002, 0, 0, 65535, linktype] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        // Version is two u16s: 2.4.
        f[4..8].copy_from_slice(&[2, 0, 4, 0]);
        for (ts, data) in packets {
            let secs = (ts / 1_000_000) as u32;
            let us = (ts % 1_000_000) as u32;
            for v in [secs, us, data.len() as u32, data.len() as u32] {
                f.extend_from_slice(&v.to_le_bytes());
            }
            f.extend_from_slice(data);
        }
        f
    }

    /// A big-endian pcapng with one interface at nanosecond resolution, enhanced packet blocks,
    /// a simple packet block and an unknown block in between.
    pub(crate) fn write_pcapng(linktype: u16, packets: &[(i64, Vec<u8>)]) -> Vec<u8> {
        fn block(ty: u32, body: &[u8]) -> Vec<u8> {
            let mut b = body.to_vec();
            while b.len() % 4 != 0 {
                b.push(0);
            }
            let total = (b.len() + 12) as u32;
            let mut out = ty.to_be_bytes().to_vec();
            out.extend_from_slice(&total.to_be_bytes());
            out.extend_from_slice(&b);
            out.extend_from_slice(&total.to_be_bytes());
            out
        }
        let mut shb = PCAPNG_BYTE_ORDER.to_be_bytes().to_vec();
        shb.extend_from_slice(&[0, 1, 0, 0]);
        shb.extend_from_slice(&u64::MAX.to_be_bytes());
        let mut f = block(PCAPNG_SHB, &shb);
        let mut idb = linktype.to_be_bytes().to_vec();
        idb.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff]);
        idb.extend_from_slice(&[0, 9, 0, 1, 9, 0, 0, 0]); // if_tsresol = 10^-9
        idb.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        f.extend(block(BLOCK_IDB, &idb));
        f.extend(block(0x0000_0bad, b"custom"));
        for (ts, data) in packets {
            let ns = (*ts as u64) * 1000;
            let mut epb = 0u32.to_be_bytes().to_vec();
            epb.extend_from_slice(&((ns >> 32) as u32).to_be_bytes());
            epb.extend_from_slice(&(ns as u32).to_be_bytes());
            epb.extend_from_slice(&(data.len() as u32).to_be_bytes());
            epb.extend_from_slice(&(data.len() as u32).to_be_bytes());
            epb.extend_from_slice(data);
            f.extend(block(BLOCK_EPB, &epb));
        }
        f
    }

    type Got = (Option<i64>, LinkType, Vec<u8>);

    fn all(bytes: &[u8]) -> Result<Vec<Got>, PcapError> {
        let mut r = PcapReader::new(bytes, "t.pcap")?;
        let mut out = Vec::new();
        while let Some(p) = r.next_packet()? {
            out.push((p.ts_micros, p.linktype, p.data.to_vec()));
        }
        Ok(out)
    }

    #[test]
    fn reads_pcap_and_pcapng() {
        let pkts = vec![
            (1_700_000_000_123_456, b"abc".to_vec()),
            (1_700_000_001_000_001, vec![9; 61]),
        ];
        let got = all(&write_pcap(101, &pkts)).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            (Some(1_700_000_000_123_456), LinkType::RAW, b"abc".to_vec())
        );
        let got = all(&write_pcapng(1, &pkts)).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1],
            (Some(1_700_000_001_000_001), LinkType::ETHERNET, vec![9; 61])
        );
        assert!(is_capture(&write_pcapng(1, &[])));
        assert!(!is_capture(b"{\"a\":1}"));
    }

    #[test]
    fn nanosecond_and_big_endian_pcap() {
        let mut f = Vec::new();
        for v in [PCAP_MAGIC_NS, 0x0002_0004, 0, 0, 65535, 1] {
            f.extend_from_slice(&v.to_be_bytes());
        }
        for v in [10u32, 5_000, 2, 2] {
            f.extend_from_slice(&v.to_be_bytes());
        }
        f.extend_from_slice(b"hi");
        let got = all(&f).unwrap();
        assert_eq!(
            got,
            [(Some(10_000_005), LinkType::ETHERNET, b"hi".to_vec())]
        );
    }

    /// Every prefix either reads a whole number of packets or fails with the offset of the
    /// record it cut; none panics.
    #[test]
    fn truncation_at_every_offset() {
        let pkts = vec![(1, vec![1; 10]), (2, vec![2; 7])];
        for file in [write_pcap(1, &pkts), write_pcapng(1, &pkts)] {
            for cut in 0..file.len() {
                match all(&file[..cut]) {
                    Ok(v) => assert!(v.len() <= 2),
                    Err(PcapError::Corrupt { offset, .. }) => assert!(offset <= cut as u64),
                    Err(e) => panic!("cut {cut}: {e}"),
                }
            }
            assert_eq!(all(&file).unwrap().len(), 2);
        }
        let e = all(&write_pcap(1, &pkts)[..24 + 16 + 5]).unwrap_err();
        assert!(e.to_string().contains("byte offset 24"), "{e}");
    }

    #[test]
    fn oversized_lengths_are_errors() {
        let mut f = write_pcap(1, &[]);
        for v in [0u32, 0, u32::MAX, 10] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        assert!(all(&f).unwrap_err().to_string().contains("limit"));
    }
}
