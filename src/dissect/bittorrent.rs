//! BitTorrent: the peer wire handshake and messages (BEP 3, "The BitTorrent Protocol
//! Specification"; reserved bits from BEP 5, 6 and 10) and DHT messages, KRPC over UDP in
//! bencoding (BEP 5, "DHT Protocol"), read with [`super::bencode`].

use super::bencode::{self, Value};
use super::wire::{be32, clip, fill_gaps, hex, push, u8_at};
use super::{escape, AppFacts, Field, FieldClass, Parsed};

/// The handshake's protocol string, after its length octet 19.
pub const PROTOCOL: &[u8; 19] = b"BitTorrent protocol";
/// Length of the handshake: 1 + 19 + 8 reserved + 20 info_hash + 20 peer_id.
pub const HANDSHAKE_LEN: usize = 68;
/// Most peer messages named after a handshake (bitfield, have and interested follow it; a
/// segment full of `have` messages is one field past this).
pub const MAX_PEER_MESSAGES: usize = 32;

/// Anomaly: a KRPC dictionary followed by more bytes.
pub const TRAILING_BYTES: &str = "bittorrent_dht_trailing_bytes";

/// What the message states.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BittorrentFacts {
    /// `handshake`, `dht_query`, `dht_response` or `dht_error`.
    pub kind: &'static str,
    /// DHT query method (`get_peers`), for queries.
    pub method: Option<String>,
    /// The torrent's info_hash in hex (handshake, or a query's `info_hash`).
    pub info_hash: Option<String>,
    /// The peer's client from its peer_id prefix (`-UT3530-`: µTorrent 3.5.3.0), or the
    /// DHT message's `v` version string.
    pub client: Option<String>,
}

/// Client names of Azureus-style peer_id prefixes (BEP 20).
fn client_name(code: &[u8]) -> Option<&'static str> {
    Some(match code {
        b"UT" => "µTorrent",
        b"UM" => "µTorrent for Mac",
        b"qB" => "qBittorrent",
        b"TR" => "Transmission",
        b"DE" => "Deluge",
        b"AZ" => "Vuze (Azureus)",
        b"lt" => "libtorrent (Rasterbar)",
        b"LT" => "libtorrent (Rakshasa)",
        b"BT" => "BitTorrent (mainline)",
        b"BC" => "BitComet",
        b"KT" => "KTorrent",
        b"XL" => "Xunlei",
        _ => return None,
    })
}

/// Dissects `p` as the start of a peer connection: the handshake, then messages.
pub fn dissect_handshake(p: &[u8]) -> Option<Parsed> {
    if p.first() != Some(&19) || p.get(1..20) != Some(&PROTOCOL[..]) {
        return None;
    }
    let mut f = vec![
        Field::new(
            0..1,
            "BitTorrent protocol name length",
            FieldClass::Length,
            Some("19".into()),
        ),
        Field::new(
            1..20,
            "BitTorrent protocol name",
            FieldClass::Magic,
            Some("BitTorrent protocol".into()),
        ),
    ];
    let mut facts = BittorrentFacts {
        kind: "handshake",
        ..BittorrentFacts::default()
    };
    if let Some(r) = p.get(20..28) {
        let mut bits = Vec::new();
        if r[5] & 0x10 != 0 {
            bits.push("extension protocol (BEP 10)");
        }
        if r[7] & 0x04 != 0 {
            bits.push("fast extension (BEP 6)");
        }
        if r[7] & 0x01 != 0 {
            bits.push("DHT (BEP 5)");
        }
        let v = format!(
            "{}: {}",
            hex(r),
            if bits.is_empty() {
                "none".to_string()
            } else {
                bits.join(", ")
            }
        );
        f.push(Field::new(
            20..28,
            "BitTorrent reserved bits",
            FieldClass::Flags,
            Some(v),
        ));
    } else {
        push(
            &mut f,
            clip(p, 20, 8),
            "BitTorrent reserved bits",
            FieldClass::Flags,
            None,
        );
    }
    let ih = clip(p, 28, 20);
    if ih.len() == 20 {
        facts.info_hash = Some(hex(&p[ih.clone()]));
    }
    push(
        &mut f,
        ih,
        "BitTorrent info_hash",
        FieldClass::RandomId,
        facts.info_hash.clone(),
    );
    let pid = clip(p, 48, 20);
    let id = &p[pid.clone()];
    if id.len() >= 8 && id[0] == b'-' && id[7] == b'-' {
        let code = &id[1..3];
        let version: String = id[3..7].iter().map(|&c| c as char).collect::<String>();
        let name = client_name(code).map_or_else(|| escape(code), str::to_string);
        let client = format!(
            "{name} {} ({})",
            version
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join("."),
            escape(&id[..8])
        );
        facts.client = Some(client.clone());
        f.push(Field::new(
            48..56,
            "BitTorrent peer_id client prefix",
            FieldClass::Name,
            Some(client),
        ));
        push(
            &mut f,
            56..pid.end,
            "BitTorrent peer_id random part",
            FieldClass::RandomId,
            None,
        );
    } else {
        push(
            &mut f,
            pid,
            "BitTorrent peer_id",
            FieldClass::RandomId,
            None,
        );
    }
    let mut pos = HANDSHAKE_LEN;
    for _ in 0..MAX_PEER_MESSAGES {
        let Some(len) = be32(p, pos) else { break };
        f.push(Field::new(
            pos..pos + 4,
            "BitTorrent message length",
            FieldClass::Length,
            Some(len.to_string()),
        ));
        if len == 0 {
            pos += 4;
            continue;
        }
        let Some(id) = u8_at(p, pos + 4) else {
            pos += 4;
            break;
        };
        let name = match id {
            0 => "choke",
            1 => "unchoke",
            2 => "interested",
            3 => "not interested",
            4 => "have",
            5 => "bitfield",
            6 => "request",
            7 => "piece",
            8 => "cancel",
            9 => "port",
            20 => "extended",
            _ => "unknown",
        };
        f.push(Field::new(
            pos + 4..pos + 5,
            "BitTorrent message id",
            FieldClass::Code,
            Some(format!("{id} ({name})")),
        ));
        let body = clip(p, pos + 5, len as usize - 1);
        let class = if id == 20 {
            FieldClass::TextBody
        } else {
            FieldClass::BinaryBody
        };
        push(
            &mut f,
            body.clone(),
            format!("BitTorrent {name} payload"),
            class,
            None,
        );
        pos = pos + 4 + len as usize;
        if body.end >= p.len() {
            break;
        }
    }
    if pos < p.len() {
        push(
            &mut f,
            pos..p.len(),
            "further BitTorrent messages",
            FieldClass::BinaryBody,
            None,
        );
    }
    let summary = match &facts.client {
        Some(c) => format!("a BitTorrent handshake from {c}"),
        None => "a BitTorrent handshake".to_string(),
    };
    let summary = match &facts.info_hash {
        Some(h) => format!("{summary} for info_hash {h}"),
        None => summary,
    };
    Some(Parsed {
        protocol: "bittorrent",
        fields: f,
        anomalies: Vec::new(),
        summary,
        is_response: None,
        app: AppFacts::Bittorrent(facts),
        doc: Some("BEP 3".into()),
    })
}

/// Dissects `p` as a DHT KRPC message: a bencoded dictionary with `t` and `y` = `q`, `r` or
/// `e`, and the `q`, `r` or `e` entry that `y` calls for.
pub fn dissect_dht(p: &[u8]) -> Option<Parsed> {
    if p.first() != Some(&b'd') {
        return None;
    }
    let v = bencode::parse(p, 0)?;
    let y = v.get(p, b"y")?.bytes(p)?;
    v.get(p, b"t")?.bytes(p)?;
    let kind = match y {
        b"q" if v.get(p, b"q")?.bytes(p).is_some() && v.get(p, b"a").is_some() => "dht_query",
        b"r" if matches!(v.get(p, b"r"), Some(Value::Dict { .. })) => "dht_response",
        b"e" if matches!(v.get(p, b"e"), Some(Value::List { .. })) => "dht_error",
        _ => return None,
    };
    let mut facts = BittorrentFacts {
        kind,
        method: v.get(p, b"q").and_then(|q| q.bytes(p)).map(escape),
        ..BittorrentFacts::default()
    };
    let mut inner = Vec::new();
    let Value::Dict { entries, whole } = &v else {
        return None;
    };
    for (_, k, val) in entries {
        let key = p.get(k.clone()).unwrap_or_default();
        match (key, val) {
            (b"a" | b"r", Value::Dict { entries: sub, .. }) => {
                let outer = if key == b"a" { "a" } else { "r" };
                for (_, sk, sv) in sub {
                    let skey = p.get(sk.clone()).unwrap_or_default();
                    dht_value(p, outer, skey, sv, &mut inner, &mut facts);
                }
            }
            (b"e", Value::List { items, .. }) => {
                if let Some(Value::Int { digits, .. }) = items.first() {
                    inner.push(Field::new(
                        digits.clone(),
                        "DHT error code (e)",
                        FieldClass::Code,
                        Some(escape(&p[digits.clone()])),
                    ));
                }
                if let Some(Value::Bytes { data, .. }) = items.get(1) {
                    push(
                        &mut inner,
                        data.clone(),
                        "DHT error message (e)",
                        FieldClass::TextBody,
                        Some(escape(&p[data.clone()])),
                    );
                }
            }
            _ => dht_value(p, "", key, val, &mut inner, &mut facts),
        }
    }
    inner.sort_by_key(|f| f.range.start);
    let mut anomalies = Vec::new();
    let mut fields = fill_gaps(
        whole.clone(),
        inner,
        "bencode structure and keys",
        FieldClass::Code,
    );
    if whole.end < p.len() {
        anomalies.push(TRAILING_BYTES);
        fields.push(Field::new(
            whole.end..p.len(),
            "bytes after the KRPC dictionary",
            FieldClass::Unknown,
            None,
        ));
    }
    let mut summary = match (kind, &facts.method) {
        ("dht_query", Some(m)) => format!("a BitTorrent DHT {m} query"),
        ("dht_response", _) => "a BitTorrent DHT response".to_string(),
        _ => "a BitTorrent DHT error".to_string(),
    };
    if let Some(h) = &facts.info_hash {
        summary.push_str(&format!(" for info_hash {h}"));
    }
    Some(Parsed {
        protocol: "bittorrent",
        fields,
        anomalies,
        summary,
        is_response: Some(kind != "dht_query"),
        app: AppFacts::Bittorrent(facts),
        doc: Some("BEP 5".into()),
    })
}

fn dht_value(
    p: &[u8],
    outer: &str,
    key: &[u8],
    v: &Value,
    f: &mut Vec<Field>,
    facts: &mut BittorrentFacts,
) {
    let path = if outer.is_empty() {
        escape(key)
    } else {
        format!("{outer}.{}", escape(key))
    };
    let (name, class): (String, FieldClass) = match (outer, key) {
        ("", b"t") => ("DHT transaction id (t)".into(), FieldClass::RandomId),
        ("", b"y") => ("DHT message type (y)".into(), FieldClass::Code),
        ("", b"q") => ("DHT query method (q)".into(), FieldClass::Code),
        ("", b"v") => ("DHT client version (v)".into(), FieldClass::Name),
        ("", b"ip") => ("DHT requester address (ip)".into(), FieldClass::Code),
        (_, b"id") => (format!("DHT node id ({path})"), FieldClass::RandomId),
        (_, b"info_hash") => (format!("DHT info_hash ({path})"), FieldClass::RandomId),
        (_, b"target") => (format!("DHT target ({path})"), FieldClass::RandomId),
        (_, b"token") => (format!("DHT token ({path})"), FieldClass::RandomId),
        (_, b"nodes" | b"nodes6") => (
            format!("DHT compact nodes ({path})"),
            FieldClass::BinaryBody,
        ),
        (_, b"values") => (
            format!("DHT compact peers ({path})"),
            FieldClass::BinaryBody,
        ),
        (_, b"port" | b"implied_port") => (format!("DHT port ({path})"), FieldClass::Code),
        _ => (format!("DHT value ({path})"), FieldClass::Unknown),
    };
    let (range, bytes) = match v {
        Value::Bytes { data, .. } => (data.clone(), p.get(data.clone()).unwrap_or_default()),
        Value::Int { digits, .. } => (digits.clone(), p.get(digits.clone()).unwrap_or_default()),
        Value::List { items, .. } => {
            for it in items {
                if let Value::Bytes { data, .. } = it {
                    push(f, data.clone(), name.clone(), class, None);
                }
            }
            return;
        }
        Value::Dict { .. } => return,
    };
    let value = match class {
        FieldClass::RandomId if bytes.len() == 20 => Some(hex(bytes)),
        FieldClass::RandomId | FieldClass::BinaryBody => None,
        _ => Some(escape(bytes)),
    };
    match (outer, key) {
        (_, b"info_hash") => facts.info_hash = value.clone(),
        ("", b"v") => facts.client = value.clone(),
        _ => {}
    }
    push(f, range, name, class, value);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, AppFacts};
    use super::*;

    /// A get_peers query as libtorrent sends it.
    pub(crate) fn get_peers() -> Vec<u8> {
        let mut p = b"d1:ad2:id20:".to_vec();
        p.extend_from_slice(&[0x3b; 20]);
        p.extend_from_slice(b"9:info_hash20:");
        p.extend_from_slice(&[
            0xd2, 0x35, 0x4f, 0x10, 0x0e, 0x8a, 0x35, 0x81, 0x3d, 0x48, 0x2b, 0x92, 0x7d, 0x8d,
            0x79, 0x0a, 0x0e, 0xcc, 0xe2, 0x11,
        ]);
        p.extend_from_slice(b"e1:q9:get_peers1:t2:\x8a\x071:v4:LT\x01\x021:y1:qe");
        p
    }

    /// A µTorrent 3.5.3 handshake followed by an extended handshake message.
    pub(crate) fn handshake() -> Vec<u8> {
        let mut p = vec![19];
        p.extend_from_slice(PROTOCOL);
        p.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
        p.extend_from_slice(&[0xd2; 20]);
        p.extend_from_slice(b"-UT3530-");
        p.extend_from_slice(&[0x9c; 12]);
        let ext = b"d1:md11:ut_metadatai2eee";
        p.extend_from_slice(&((ext.len() + 2) as u32).to_be_bytes());
        p.extend_from_slice(&[20, 0]);
        p.extend_from_slice(ext);
        p
    }

    fn bt(d: &super::super::Dissection) -> &BittorrentFacts {
        match d.app.as_ref() {
            Some(AppFacts::Bittorrent(x)) => x,
            other => panic!("not BitTorrent: {other:?}"),
        }
    }

    #[test]
    fn dht_get_peers_on_any_port() {
        let p = get_peers();
        let hint = udp("192.168.1.30", 6881, "82.221.103.244", 6881);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("bittorrent"));
        let x = bt(&d);
        assert_eq!(x.kind, "dht_query");
        assert_eq!(x.method.as_deref(), Some("get_peers"));
        assert_eq!(
            x.info_hash.as_deref(),
            Some("d2354f100e8a35813d482b927d8d790a0ecce211")
        );
        assert_eq!(d.is_response, Some(false));
        let at = p.windows(9).position(|w| w == b"get_peers").unwrap();
        assert_eq!(d.field_at(at).unwrap().name, "DHT query method (q)");
        assert_eq!(d.field_at(12).unwrap().name, "DHT node id (a.id)");
        assert_eq!(d.field_at(0).unwrap().name, "bencode structure and keys");
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        every_truncation(&p, &hint);
        let r = b"d1:rd2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes0:e1:t2:aa1:y1:re";
        let d = dissect_bytes(r, &hint, &kb());
        assert_eq!(bt(&d).kind, "dht_response");
        let e = b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";
        let d = dissect_bytes(e, &hint, &kb());
        assert_eq!(bt(&d).kind, "dht_error");
        // Bencoding that is not KRPC is not claimed.
        assert_eq!(dissect_bytes(b"d1:xi1ee", &hint, &kb()).protocol, None);
    }

    #[test]
    fn peer_handshake_names_the_client() {
        let p = handshake();
        let hint = tcp("192.168.1.30", 51413, "203.0.113.9", 6881);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("bittorrent"));
        let x = bt(&d);
        assert_eq!(x.kind, "handshake");
        assert_eq!(x.client.as_deref(), Some("µTorrent 3.5.3.0 (-UT3530-)"));
        assert_eq!(
            d.field_at(48).unwrap().name,
            "BitTorrent peer_id client prefix"
        );
        assert!(d
            .field_at(20)
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .contains("DHT (BEP 5)"));
        assert_eq!(
            d.field_at(72).unwrap().value.as_deref(),
            Some("20 (extended)")
        );
        every_truncation(&p, &hint);
    }
}
