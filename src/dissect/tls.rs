//! TLS records (RFC 8446, Section 5.1; RFC 5246, Section 6.2) and the handshake messages sent
//! in clear: ClientHello and ServerHello (RFC 8446, Section 4.1.2-4.1.3) with the server_name
//! (RFC 6066, Section 3) and ALPN (RFC 7301) extensions, and the Certificate message of TLS
//! 1.2 and earlier (RFC 5246, Section 7.4.2), whose first certificate's issuer and subject
//! [`super::der`] reads. Everything after ChangeCipherSpec is encrypted and named as such.

use super::wire::{be16, be24, clip, fill_gaps, push, u8_at};
use super::{der, escape, AppFacts, Field, FieldClass, Parsed};

/// Longest record body allowed: 2^14 plus the 2048 octets of expansion TLS 1.2 permits
/// (RFC 5246, Section 6.2.3). A longer length is not a TLS record.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
/// Most records read from one payload. A 64 KiB segment holds at most a few dozen full
/// records; alerts show the first few, which is where the handshake is.
pub const MAX_RECORDS: usize = 32;
/// Most handshake messages read from one record (a server's first flight holds four or five).
pub const MAX_HANDSHAKES: usize = 16;
/// Most extensions named in one hello. Browsers send about twenty; past this the rest is one
/// field.
pub const MAX_EXTENSIONS: usize = 64;
/// Most ALPN protocol names read (browsers offer two or three).
pub const MAX_ALPN: usize = 16;
/// Most certificates named in one Certificate message (chains are two to four long).
pub const MAX_CERTS: usize = 10;

/// Anomaly: the port says TLS, but the payload does not start with a TLS record header.
pub const NOT_TLS: &str = "tls_port_but_not_tls";
/// Anomaly: bytes after the last record that do not start a record.
pub const TRAILING_BYTES: &str = "tls_bytes_after_records";
/// Anomaly: a heartbeat request claiming more payload than its record holds (the
/// CVE-2014-0160 "Heartbleed" shape).
pub const HEARTBEAT_OVERREAD: &str = "tls_heartbeat_length_exceeds_record";
/// Anomaly: a hello's inner lengths disagree with the message length.
pub const BAD_HELLO_LENGTH: &str = "tls_hello_length_mismatch";

/// Record content types (RFC 8446, Section 5.1; RFC 6520 for heartbeat).
pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;
pub const HEARTBEAT: u8 = 24;

/// What the records state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFacts {
    /// The first record's version as named (`TLS 1.2`).
    pub record_version: String,
    /// Record content types in order (`handshake`, `application_data`).
    pub records: Vec<&'static str>,
    /// Handshake messages in clear, in order (`ClientHello`, `Certificate`).
    pub handshakes: Vec<&'static str>,
    /// The hello's version field, named.
    pub hello_version: Option<String>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// ClientHello: how many cipher suites it offers.
    pub cipher_suites: Option<usize>,
    /// ServerHello: the chosen suite, named.
    pub cipher: Option<String>,
    /// The first certificate's names (`CN=..., O=...`).
    pub cert_subject: Option<String>,
    pub cert_issuer: Option<String>,
}

/// Whether the payload opens with a handshake record of a known version: `16 03 00`-`16 03
/// 04`, then a length a record may have. The content test for TLS without a port hint.
pub fn starts_like_tls(p: &[u8]) -> bool {
    matches!(p, [HANDSHAKE, 3, 0..=4, ..]) && record_header(p, 0).is_some()
}

/// `(content type, version, length)` of a plausible record header at `at`.
fn record_header(p: &[u8], at: usize) -> Option<(u8, u16, usize)> {
    let t = u8_at(p, at)?;
    let v = be16(p, at + 1)?;
    let len = be16(p, at + 3)? as usize;
    let ok = (CHANGE_CIPHER_SPEC..=HEARTBEAT).contains(&t)
        && (0x0300..=0x0304).contains(&v)
        && len <= MAX_RECORD_LEN;
    ok.then_some((t, v, len))
}

pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        _ if is_grease(v) => format!("0x{v:04x} (GREASE)"),
        _ => format!("0x{v:04x}"),
    }
}

fn content_type_name(t: u8) -> &'static str {
    match t {
        CHANGE_CIPHER_SPEC => "change_cipher_spec",
        ALERT => "alert",
        HANDSHAKE => "handshake",
        APPLICATION_DATA => "application_data",
        _ => "heartbeat",
    }
}

fn handshake_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        _ => return None,
    })
}

/// GREASE values (RFC 8701): `0x?a?a` with both bytes equal.
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

fn extension_name(t: u16) -> &'static str {
    match t {
        0 => "server_name",
        1 => "max_fragment_length",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        18 => "signed_certificate_timestamp",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        27 => "compress_certificate",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        45 => "psk_key_exchange_modes",
        51 => "key_share",
        17513 => "application_settings",
        65037 => "encrypted_client_hello",
        65281 => "renegotiation_info",
        _ if is_grease(t) => "GREASE",
        _ => "unassigned or unknown",
    }
}

/// Names of common cipher suites (IANA TLS Cipher Suites registry).
pub fn cipher_name(c: u16) -> String {
    let n = match c {
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        _ if is_grease(c) => return format!("0x{c:04x} (GREASE)"),
        _ => return format!("0x{c:04x}"),
    };
    format!("0x{c:04x} ({n})")
}

fn alert_description(d: u8) -> String {
    let n = match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        90 => "user_canceled",
        112 => "unrecognized_name",
        120 => "no_application_protocol",
        _ => return d.to_string(),
    };
    format!("{d} ({n})")
}

struct Walk {
    f: Vec<Field>,
    facts: TlsFacts,
    anomalies: Vec<&'static str>,
    encrypted: bool,
}

impl Walk {
    fn anomaly(&mut self, a: &'static str) {
        if !self.anomalies.contains(&a) {
            self.anomalies.push(a);
        }
    }
}

/// Dissects `p` as TLS records; `None` unless it starts with a plausible record header.
pub fn dissect(p: &[u8]) -> Option<Parsed> {
    let (_, v0, _) = record_header(p, 0)?;
    let mut w = Walk {
        f: Vec::new(),
        facts: TlsFacts {
            record_version: version_name(v0),
            ..TlsFacts::default()
        },
        anomalies: Vec::new(),
        encrypted: false,
    };
    let mut pos = 0usize;
    for _ in 0..MAX_RECORDS {
        if pos >= p.len() {
            break;
        }
        let Some((t, v, len)) = record_header(p, pos) else {
            if p.len() - pos >= 5 {
                w.anomaly(TRAILING_BYTES);
            }
            push(
                &mut w.f,
                pos..p.len(),
                "bytes after the last TLS record",
                FieldClass::Unknown,
                None,
            );
            pos = p.len();
            break;
        };
        w.facts.records.push(content_type_name(t));
        w.f.push(Field::new(
            pos..pos + 1,
            "TLS record content type",
            FieldClass::Code,
            Some(format!("{t} ({})", content_type_name(t))),
        ));
        w.f.push(Field::new(
            pos + 1..pos + 3,
            "TLS record version",
            FieldClass::Code,
            Some(version_name(v)),
        ));
        w.f.push(Field::new(
            pos + 3..pos + 5,
            "TLS record length",
            FieldClass::Length,
            Some(len.to_string()),
        ));
        let body = pos + 5..(pos + 5 + len).min(p.len());
        record_body(p, t, body, &mut w);
        pos += 5 + len;
    }
    if pos < p.len() {
        push(
            &mut w.f,
            pos..p.len(),
            "further TLS records",
            FieldClass::Unknown,
            None,
        );
    }
    let summary = summary(&w.facts);
    let is_response = match w.facts.handshakes.first() {
        Some(&"ClientHello" | &"ClientKeyExchange") => Some(false),
        Some(&"ServerHello" | &"Certificate" | &"ServerHelloDone" | &"ServerKeyExchange") => {
            Some(true)
        }
        _ => None,
    };
    Some(Parsed {
        protocol: "tls",
        fields: w.f,
        anomalies: w.anomalies,
        summary,
        is_response,
        app: AppFacts::Tls(w.facts),
        doc: Some("RFC 8446; RFC 5246".into()),
    })
}

fn summary(f: &TlsFacts) -> String {
    let mut s = if f.handshakes.is_empty() {
        let kinds: Vec<&str> = f.records.iter().take(3).copied().collect();
        format!("{} record(s): {}", f.record_version, kinds.join(", "))
    } else {
        format!("a TLS {}", f.handshakes.join(" + "))
    };
    if let Some(n) = &f.sni {
        s.push_str(&format!(" for {n}"));
    }
    if !f.alpn.is_empty() {
        s.push_str(&format!(" (ALPN {})", f.alpn.join(", ")));
    }
    if let Some(c) = &f.cipher {
        s.push_str(&format!(", cipher {c}"));
    }
    if let Some(c) = &f.cert_subject {
        s.push_str(&format!(", certificate {c}"));
        if let Some(i) = &f.cert_issuer {
            s.push_str(&format!(" issued by {i}"));
        }
    }
    s
}

fn record_body(p: &[u8], t: u8, body: std::ops::Range<usize>, w: &mut Walk) {
    if body.is_empty() {
        return;
    }
    match t {
        CHANGE_CIPHER_SPEC => {
            push(
                &mut w.f,
                body,
                "TLS change cipher spec",
                FieldClass::Code,
                None,
            );
            w.encrypted = true;
        }
        ALERT if !w.encrypted && body.len() == 2 => {
            let level = if p[body.start] == 2 {
                "fatal"
            } else {
                "warning"
            };
            w.f.push(Field::new(
                body.start..body.start + 1,
                "TLS alert level",
                FieldClass::Code,
                Some(format!("{} ({level})", p[body.start])),
            ));
            w.f.push(Field::new(
                body.start + 1..body.end,
                "TLS alert description",
                FieldClass::Code,
                Some(alert_description(p[body.start + 1])),
            ));
        }
        ALERT => push(
            &mut w.f,
            body,
            "TLS encrypted alert",
            FieldClass::BinaryBody,
            None,
        ),
        APPLICATION_DATA => push(
            &mut w.f,
            body,
            "TLS application data (encrypted)",
            FieldClass::BinaryBody,
            None,
        ),
        HEARTBEAT => {
            let s = body.start;
            push(
                &mut w.f,
                clip(p, s, 1),
                "TLS heartbeat type",
                FieldClass::Code,
                u8_at(p, s).map(|b| {
                    if b == 1 {
                        "1 (request)"
                    } else {
                        "2 (response)"
                    }
                    .to_string()
                }),
            );
            if let Some(n) = be16(p, s + 1) {
                w.f.push(Field::new(
                    s + 1..s + 3,
                    "TLS heartbeat payload length",
                    FieldClass::Length,
                    Some(n.to_string()),
                ));
                // Type, length, payload and at least 16 octets of padding (RFC 6520, 4).
                let record_len = be16(p, s - 2).unwrap_or(0) as usize;
                if 3 + n as usize + 16 > record_len && !w.encrypted {
                    w.anomaly(HEARTBEAT_OVERREAD);
                }
            }
            push(
                &mut w.f,
                (s + 3).min(body.end)..body.end,
                "TLS heartbeat payload and padding",
                FieldClass::BinaryBody,
                None,
            );
        }
        _ if w.encrypted => push(
            &mut w.f,
            body,
            "TLS encrypted handshake message",
            FieldClass::BinaryBody,
            None,
        ),
        _ => handshakes(p, body, w),
    }
}

fn handshakes(p: &[u8], body: std::ops::Range<usize>, w: &mut Walk) {
    let mut pos = body.start;
    for _ in 0..MAX_HANDSHAKES {
        if pos >= body.end {
            return;
        }
        let name = u8_at(p, pos).and_then(handshake_name);
        let Some(name) = name.filter(|_| w.facts.handshakes.len() < MAX_HANDSHAKES) else {
            // Not a handshake header: an encrypted Finished after an unseen CCS, or a
            // continuation of a message begun in an earlier record.
            push(
                &mut w.f,
                pos..body.end,
                "TLS handshake data (encrypted, or continuing an earlier record)",
                FieldClass::BinaryBody,
                None,
            );
            return;
        };
        w.f.push(Field::new(
            pos..pos + 1,
            "TLS handshake type",
            FieldClass::Code,
            Some(format!("{} ({name})", p[pos])),
        ));
        w.facts.handshakes.push(name);
        let Some(len) = be24(p, pos + 1) else {
            push(
                &mut w.f,
                pos + 1..body.end,
                "TLS handshake length",
                FieldClass::Length,
                None,
            );
            return;
        };
        w.f.push(Field::new(
            pos + 1..pos + 4,
            "TLS handshake length",
            FieldClass::Length,
            Some(len.to_string()),
        ));
        let start = pos + 4;
        let end = start.saturating_add(len as usize);
        let q = &p[..end.min(body.end)];
        match name {
            "ClientHello" => hello(q, start, true, w),
            "ServerHello" => hello(q, start, false, w),
            "Certificate" if !w.facts.record_version.ends_with("1.3") => certificates(q, start, w),
            "ServerHelloDone" => {}
            _ => push(
                &mut w.f,
                start..q.len(),
                format!("TLS {name} body"),
                FieldClass::BinaryBody,
                None,
            ),
        }
        pos = end;
    }
}

/// A ClientHello or ServerHello body at `at` in `q` (the payload cut at the message end).
fn hello(q: &[u8], at: usize, client: bool, w: &mut Walk) {
    let who = if client { "ClientHello" } else { "ServerHello" };
    let Some(v) = be16(q, at) else {
        return rest(q, at, w);
    };
    w.facts.hello_version = Some(version_name(v));
    w.f.push(Field::new(
        at..at + 2,
        format!("TLS {who} version"),
        FieldClass::Code,
        Some(version_name(v)),
    ));
    let r = clip(q, at + 2, 32);
    push(
        &mut w.f,
        r.clone(),
        format!("TLS {who} random"),
        FieldClass::RandomId,
        None,
    );
    let mut pos = at + 34;
    let Some(sid_len) = u8_at(q, pos) else { return };
    w.f.push(Field::new(
        pos..pos + 1,
        "TLS session ID length",
        FieldClass::Length,
        Some(sid_len.to_string()),
    ));
    push(
        &mut w.f,
        clip(q, pos + 1, sid_len as usize),
        "TLS session ID",
        FieldClass::RandomId,
        None,
    );
    pos += 1 + sid_len as usize;
    if client {
        let Some(cs_len) = be16(q, pos) else {
            return rest(q, pos, w);
        };
        let n = cs_len as usize / 2;
        w.facts.cipher_suites = Some(n);
        w.f.push(Field::new(
            pos..pos + 2,
            "TLS cipher suites length",
            FieldClass::Length,
            Some(format!("{cs_len} ({n} cipher suites)")),
        ));
        push(
            &mut w.f,
            clip(q, pos + 2, cs_len as usize),
            "TLS cipher suites",
            FieldClass::Code,
            None,
        );
        pos += 2 + cs_len as usize;
        let Some(cm_len) = u8_at(q, pos) else { return };
        w.f.push(Field::new(
            pos..pos + 1,
            "TLS compression methods length",
            FieldClass::Length,
            Some(cm_len.to_string()),
        ));
        push(
            &mut w.f,
            clip(q, pos + 1, cm_len as usize),
            "TLS compression methods",
            FieldClass::Code,
            None,
        );
        pos += 1 + cm_len as usize;
    } else {
        let Some(c) = be16(q, pos) else {
            return rest(q, pos, w);
        };
        w.facts.cipher = Some(cipher_name(c));
        w.f.push(Field::new(
            pos..pos + 2,
            "TLS cipher suite",
            FieldClass::Code,
            Some(cipher_name(c)),
        ));
        push(
            &mut w.f,
            clip(q, pos + 2, 1),
            "TLS compression method",
            FieldClass::Code,
            u8_at(q, pos + 2).map(|m| m.to_string()),
        );
        pos += 3;
    }
    let Some(ext_len) = be16(q, pos) else { return };
    w.f.push(Field::new(
        pos..pos + 2,
        "TLS extensions length",
        FieldClass::Length,
        Some(ext_len.to_string()),
    ));
    pos += 2;
    let ext_end = pos + ext_len as usize;
    if ext_end != q.len() && q.len() > ext_end {
        w.anomaly(BAD_HELLO_LENGTH);
    }
    let q = &q[..ext_end.min(q.len())];
    for i in 0..=MAX_EXTENSIONS {
        let (Some(t), true) = (be16(q, pos), i < MAX_EXTENSIONS) else {
            break;
        };
        w.f.push(Field::new(
            pos..pos + 2,
            "TLS extension type",
            FieldClass::Code,
            Some(format!("{t} ({})", extension_name(t))),
        ));
        let Some(len) = be16(q, pos + 2) else {
            pos += 2;
            break;
        };
        w.f.push(Field::new(
            pos + 2..pos + 4,
            "TLS extension length",
            FieldClass::Length,
            Some(len.to_string()),
        ));
        let data = clip(q, pos + 4, len as usize);
        match t {
            0 if client => server_name(q, data, w),
            16 => alpn(q, data, w),
            21 => push(
                &mut w.f,
                data,
                "TLS padding extension",
                FieldClass::Padding,
                None,
            ),
            51 => push(
                &mut w.f,
                data,
                "TLS key_share extension data",
                FieldClass::RandomId,
                None,
            ),
            _ => push(
                &mut w.f,
                data,
                format!("TLS {} extension data", extension_name(t)),
                FieldClass::Code,
                None,
            ),
        }
        pos += 4 + len as usize;
    }
    if pos < q.len() {
        push(
            &mut w.f,
            pos..q.len(),
            "further TLS extensions",
            FieldClass::Code,
            None,
        );
    }
}

fn rest(q: &[u8], at: usize, w: &mut Walk) {
    push(
        &mut w.f,
        at..q.len(),
        "TLS hello (cut short)",
        FieldClass::Unknown,
        None,
    );
}

fn server_name(q: &[u8], data: std::ops::Range<usize>, w: &mut Walk) {
    let q = &q[..data.end];
    let s = data.start;
    let Some(list) = be16(q, s) else { return };
    w.f.push(Field::new(
        s..s + 2,
        "TLS server_name list length",
        FieldClass::Length,
        Some(list.to_string()),
    ));
    let Some(kind) = u8_at(q, s + 2) else { return };
    w.f.push(Field::new(
        s + 2..s + 3,
        "TLS server_name type",
        FieldClass::Code,
        Some(if kind == 0 {
            "0 (host_name)".into()
        } else {
            kind.to_string()
        }),
    ));
    let Some(len) = be16(q, s + 3) else { return };
    w.f.push(Field::new(
        s + 3..s + 5,
        "TLS server_name length",
        FieldClass::Length,
        Some(len.to_string()),
    ));
    let r = clip(q, s + 5, len as usize);
    let name = escape(&q[r.clone()]);
    if !r.is_empty() {
        w.facts.sni = Some(name.clone());
    }
    push(
        &mut w.f,
        r,
        "TLS SNI server_name",
        FieldClass::Name,
        Some(name),
    );
}

fn alpn(q: &[u8], data: std::ops::Range<usize>, w: &mut Walk) {
    let q = &q[..data.end];
    let s = data.start;
    let Some(list) = be16(q, s) else { return };
    w.f.push(Field::new(
        s..s + 2,
        "TLS ALPN list length",
        FieldClass::Length,
        Some(list.to_string()),
    ));
    let mut pos = s + 2;
    for _ in 0..MAX_ALPN {
        let Some(len) = u8_at(q, pos) else { return };
        w.f.push(Field::new(
            pos..pos + 1,
            "TLS ALPN protocol length",
            FieldClass::Length,
            Some(len.to_string()),
        ));
        let r = clip(q, pos + 1, len as usize);
        let name = escape(&q[r.clone()]);
        if !r.is_empty() {
            w.facts.alpn.push(name.clone());
        }
        push(
            &mut w.f,
            r,
            "TLS ALPN protocol",
            FieldClass::Name,
            Some(name),
        );
        pos += 1 + len as usize;
    }
}

fn certificates(q: &[u8], at: usize, w: &mut Walk) {
    let Some(total) = be24(q, at) else {
        return rest(q, at, w);
    };
    w.f.push(Field::new(
        at..at + 3,
        "TLS certificates length",
        FieldClass::Length,
        Some(total.to_string()),
    ));
    let mut pos = at + 3;
    for i in 1..=MAX_CERTS {
        let Some(len) = be24(q, pos) else { break };
        w.f.push(Field::new(
            pos..pos + 3,
            format!("TLS certificate {i} length"),
            FieldClass::Length,
            Some(len.to_string()),
        ));
        let der_range = clip(q, pos + 3, len as usize);
        let name = if i == 1 {
            "TLS certificate 1 (DER)"
        } else {
            "TLS further certificate (DER)"
        };
        let mut inner = Vec::new();
        if i == 1 {
            if let Some(n) = der::cert_names(&q[..der_range.end], der_range.start) {
                w.facts.cert_subject = n.subject.display();
                w.facts.cert_issuer = n.issuer.display();
                for (which, attrs) in [("issuer", &n.issuer), ("subject", &n.subject)] {
                    for a in &attrs.attrs {
                        inner.push(Field::new(
                            a.value.clone(),
                            format!("TLS certificate {which} {}", a.key),
                            FieldClass::Name,
                            Some(a.text.clone()),
                        ));
                    }
                }
            }
        }
        inner.retain(|f| !f.range.is_empty());
        inner.sort_by_key(|f| f.range.start);
        w.f.extend(fill_gaps(der_range, inner, name, FieldClass::BinaryBody));
        pos += 3 + len as usize;
        if pos >= q.len() {
            break;
        }
    }
    if pos < q.len() {
        push(
            &mut w.f,
            pos..q.len(),
            "further TLS certificates",
            FieldClass::BinaryBody,
            None,
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, AppFacts};
    use super::*;

    fn ext(t: u16, data: &[u8]) -> Vec<u8> {
        let mut v = t.to_be_bytes().to_vec();
        v.extend_from_slice(&(data.len() as u16).to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    fn record(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![t, 3, 1];
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn handshake(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![t];
        v.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(body);
        v
    }

    /// A browser-like ClientHello: GREASE, SNI, ALPN h2 and http/1.1, supported versions,
    /// key share.
    pub(crate) fn client_hello() -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[0x5a; 32]);
        b.push(32);
        b.extend_from_slice(&[0xc3; 32]);
        let suites: [u16; 8] = [
            0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0x009c,
        ];
        b.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
        for s in suites {
            b.extend_from_slice(&s.to_be_bytes());
        }
        b.extend_from_slice(&[1, 0]);
        let host = b"www.example.org";
        let mut sni = ((host.len() + 3) as u16).to_be_bytes().to_vec();
        sni.push(0);
        sni.extend_from_slice(&(host.len() as u16).to_be_bytes());
        sni.extend_from_slice(host);
        let mut exts = ext(0x3a3a, &[]);
        exts.extend(ext(0, &sni));
        exts.extend(ext(23, &[]));
        exts.extend(ext(16, b"\x00\x0c\x02h2\x08http/1.1"));
        exts.extend(ext(43, &[4, 3, 4, 3, 3]));
        let mut ks = vec![0, 36, 0, 29, 0, 32];
        ks.extend_from_slice(&[0x77; 32]);
        exts.extend(ext(51, &ks));
        b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        b.extend(exts);
        record(HANDSHAKE, &handshake(1, &b))
    }

    /// A TLS 1.2 server's first flight: ServerHello (ALPN h2), Certificate, ServerHelloDone.
    pub(crate) fn server_flight() -> Vec<u8> {
        let mut sh = vec![3, 3];
        sh.extend_from_slice(&[0x11; 32]);
        sh.push(0);
        sh.extend_from_slice(&0xc02fu16.to_be_bytes());
        sh.push(0);
        let exts = ext(16, b"\x00\x03\x02h2");
        sh.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        sh.extend(exts);
        let cert = der::tests::certificate();
        let mut certs = (cert.len() as u32).to_be_bytes()[1..].to_vec();
        certs.extend_from_slice(&cert);
        let mut cm = ((certs.len()) as u32).to_be_bytes()[1..].to_vec();
        cm.extend(certs);
        let mut body = handshake(2, &sh);
        body.extend(handshake(11, &cm));
        body.extend(handshake(14, &[]));
        let mut r = record(HANDSHAKE, &body);
        r[2] = 3;
        r
    }

    fn tls_facts(d: &super::super::Dissection) -> &TlsFacts {
        match d.app.as_ref() {
            Some(AppFacts::Tls(t)) => t,
            other => panic!("not TLS: {other:?}"),
        }
    }

    #[test]
    fn client_hello_names_sni_and_alpn() {
        let p = client_hello();
        let hint = tcp("192.168.1.20", 51000, "93.184.216.34", 443);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("tls"));
        assert!(d.recognised_by.contains("443/tcp"), "{}", d.recognised_by);
        assert!(d.recognised_by.contains("ClientHello for www.example.org"));
        let t = tls_facts(&d);
        assert_eq!(t.sni.as_deref(), Some("www.example.org"));
        assert_eq!(t.alpn, ["h2", "http/1.1"]);
        assert_eq!(t.cipher_suites, Some(8));
        assert_eq!(t.hello_version.as_deref(), Some("TLS 1.2"));
        assert_eq!(d.is_response, Some(false));
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        let at = p.windows(15).position(|w| w == b"www.example.org").unwrap();
        assert_eq!(d.field_at(at).unwrap().name, "TLS SNI server_name");
        assert_eq!(d.field_at(11).unwrap().class, FieldClass::RandomId);
        assert!(d
            .fields
            .iter()
            .any(|f| f.value.as_deref() == Some("0x3a3a (GREASE)")
                || f.value.as_deref() == Some("14906 (GREASE)")));
        every_truncation(&p, &hint);
    }

    #[test]
    fn server_flight_names_the_certificate() {
        let p = server_flight();
        let hint = tcp("93.184.216.34", 443, "192.168.1.20", 51000);
        let d = dissect_bytes(&p, &hint, &kb());
        let t = tls_facts(&d);
        assert_eq!(
            t.handshakes,
            ["ServerHello", "Certificate", "ServerHelloDone"]
        );
        assert_eq!(t.alpn, ["h2"]);
        assert!(t
            .cipher
            .as_ref()
            .unwrap()
            .contains("ECDHE_RSA_WITH_AES_128_GCM"));
        assert_eq!(t.cert_subject.as_deref(), Some("CN=www.example.org"));
        assert_eq!(t.cert_issuer.as_deref(), Some("O=Let's Encrypt, CN=R3"));
        assert_eq!(d.is_response, Some(true));
        assert!(d
            .fields
            .iter()
            .any(|f| f.name == "TLS certificate subject CN"));
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        every_truncation(&p, &hint);
    }

    #[test]
    fn recognised_without_a_port_and_encrypted_records() {
        let hint = tcp("10.0.0.1", 50000, "10.0.0.2", 50001);
        let d = dissect_bytes(&client_hello(), &hint, &kb());
        assert_eq!(d.protocol, Some("tls"));
        assert!(d.recognised_by.contains("16 03 01"), "{}", d.recognised_by);
        // Application data is named but not recognised without the port.
        let mut app = record(CHANGE_CIPHER_SPEC, &[1]);
        app.extend(record(APPLICATION_DATA, &[0x9e; 40]));
        assert_eq!(dissect_bytes(&app, &hint, &kb()).protocol, None);
        let hint = tcp("10.0.0.1", 50000, "10.0.0.2", 443);
        let d = dissect_bytes(&app, &hint, &kb());
        assert_eq!(d.protocol, Some("tls"));
        assert_eq!(
            d.field_at(12).unwrap().name,
            "TLS application data (encrypted)"
        );
        assert!(d.field_at(12).unwrap().class.is_random_like());
    }

    #[test]
    fn heartbleed_shape_and_port_without_tls() {
        let hb = record(HEARTBEAT, &[1, 0x40, 0x00]);
        let d = dissect(&hb).unwrap();
        assert!(d.anomalies.contains(&HEARTBEAT_OVERREAD));
        let hint = tcp("10.0.0.1", 50000, "10.0.0.2", 443);
        let d = dissect_bytes(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &hint, &kb());
        assert_eq!(d.protocol, Some("http"));
        let d = dissect_bytes(b"\x00\x01garbage", &hint, &kb());
        assert_eq!(d.protocol, None);
        assert!(d.anomalies.contains(&NOT_TLS));
    }
}
