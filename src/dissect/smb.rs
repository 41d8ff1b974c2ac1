//! The NetBIOS session service (RFC 1002, Section 4.3) and the SMB headers it carries: SMB1
//! (MS-CIFS, Section 2.2.3.1) and SMB2/3 (MS-SMB2, Section 2.2.1), with the share path of a
//! tree connect (MS-SMB2 2.2.9; MS-CIFS 2.2.4.55.1). Over port 445 the same four-octet
//! header frames each message (MS-SMB2, Section 2.1: a zero octet and a 24-bit length).

use super::wire::{be24, clip, le16, le32, le64, push, u8_at};
use super::{AppFacts, Field, FieldClass, Parsed};

/// Length of the NetBIOS session header.
pub const NBSS_HEADER_LEN: usize = 4;
/// Length of the SMB1 header (MS-CIFS 2.2.3.1) and of the SMB2 header (MS-SMB2 2.2.1).
pub const SMB1_HEADER_LEN: usize = 32;
pub const SMB2_HEADER_LEN: usize = 64;
/// Most NetBIOS frames read from one payload (compounded requests share one frame; several
/// frames in one segment are rare).
pub const MAX_FRAMES: usize = 16;
/// Most SMB2 messages followed through NextCommand chains in one frame (MS-SMB2 3.2.4.1.4;
/// clients compound three or four).
pub const MAX_COMPOUND: usize = 8;
/// Longest share path read, in UTF-16 code units (MS-SMB2 allows 32 767 for paths but tree
/// connect paths are `\\server\share`, well under this).
pub const MAX_PATH_UNITS: usize = 1024;

/// Anomaly: the port says SMB, but the payload is not a session message holding SMB.
pub const NOT_SMB: &str = "smb_port_but_not_smb";
/// Anomaly: an SMB2 header whose StructureSize is not 64.
pub const BAD_STRUCTURE_SIZE: &str = "smb2_header_size_not_64";

pub const SMB1_MAGIC: &[u8; 4] = b"\xffSMB";
pub const SMB2_MAGIC: &[u8; 4] = b"\xfeSMB";
pub const SMB3_TRANSFORM_MAGIC: &[u8; 4] = b"\xfdSMB";

/// What the first SMB message states.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmbFacts {
    /// `SMB1`, `SMB2` or `SMB3 (encrypted)`; empty for a session control message.
    pub dialect: &'static str,
    /// The NetBIOS session message type, named.
    pub nbss_type: String,
    pub command: Option<String>,
    pub status: Option<String>,
    pub is_response: Option<bool>,
    pub tree_id: Option<u32>,
    pub message_id: Option<u64>,
    /// The share a tree connect names (`\\HOST\IPC$`).
    pub tree_path: Option<String>,
}

/// Whether the payload is a session message whose data starts with an SMB magic: the content
/// test for SMB without a port hint.
pub fn starts_like_smb(p: &[u8]) -> bool {
    p.first() == Some(&0)
        && matches!(
            p.get(4..8),
            Some(m) if m == SMB1_MAGIC || m == SMB2_MAGIC || m == SMB3_TRANSFORM_MAGIC
        )
}

fn nbss_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0x00 => "session message",
        0x81 => "session request",
        0x82 => "positive session response",
        0x83 => "negative session response",
        0x84 => "retarget session response",
        0x85 => "session keep-alive",
        _ => return None,
    })
}

/// SMB2 command names (MS-SMB2, Section 2.2.1.2).
pub fn smb2_command(c: u16) -> String {
    let n = match c {
        0 => "NEGOTIATE",
        1 => "SESSION_SETUP",
        2 => "LOGOFF",
        3 => "TREE_CONNECT",
        4 => "TREE_DISCONNECT",
        5 => "CREATE",
        6 => "CLOSE",
        7 => "FLUSH",
        8 => "READ",
        9 => "WRITE",
        10 => "LOCK",
        11 => "IOCTL",
        12 => "CANCEL",
        13 => "ECHO",
        14 => "QUERY_DIRECTORY",
        15 => "CHANGE_NOTIFY",
        16 => "QUERY_INFO",
        17 => "SET_INFO",
        18 => "OPLOCK_BREAK",
        _ => return format!("0x{c:04x}"),
    };
    n.to_string()
}

/// SMB1 command names (MS-CIFS, Section 2.2.2.1), the common ones.
pub fn smb1_command(c: u8) -> String {
    let n = match c {
        0x04 => "CLOSE",
        0x24 => "LOCKING_ANDX",
        0x25 => "TRANSACTION",
        0x2b => "ECHO",
        0x2d => "OPEN_ANDX",
        0x2e => "READ_ANDX",
        0x2f => "WRITE_ANDX",
        0x32 => "TRANSACTION2",
        0x71 => "TREE_DISCONNECT",
        0x72 => "NEGOTIATE",
        0x73 => "SESSION_SETUP_ANDX",
        0x74 => "LOGOFF_ANDX",
        0x75 => "TREE_CONNECT_ANDX",
        0xa0 => "NT_TRANSACT",
        0xa2 => "NT_CREATE_ANDX",
        _ => return format!("0x{c:02x}"),
    };
    n.to_string()
}

/// NTSTATUS names (MS-ERREF, Section 2.3.1), the ones SMB exchanges show most.
pub fn ntstatus(s: u32) -> String {
    let n = match s {
        0x0000_0000 => "STATUS_SUCCESS",
        0x0000_0103 => "STATUS_PENDING",
        0x8000_0005 => "STATUS_BUFFER_OVERFLOW",
        0x8000_0006 => "STATUS_NO_MORE_FILES",
        0xc000_0001 => "STATUS_UNSUCCESSFUL",
        0xc000_0002 => "STATUS_NOT_IMPLEMENTED",
        0xc000_0008 => "STATUS_INVALID_HANDLE",
        0xc000_000d => "STATUS_INVALID_PARAMETER",
        0xc000_000f => "STATUS_NO_SUCH_FILE",
        0xc000_0010 => "STATUS_INVALID_DEVICE_REQUEST",
        0xc000_0011 => "STATUS_END_OF_FILE",
        0xc000_0016 => "STATUS_MORE_PROCESSING_REQUIRED",
        0xc000_0022 => "STATUS_ACCESS_DENIED",
        0xc000_0034 => "STATUS_OBJECT_NAME_NOT_FOUND",
        0xc000_0035 => "STATUS_OBJECT_NAME_COLLISION",
        0xc000_003a => "STATUS_OBJECT_PATH_NOT_FOUND",
        0xc000_0043 => "STATUS_SHARING_VIOLATION",
        0xc000_006d => "STATUS_LOGON_FAILURE",
        0xc000_00bb => "STATUS_NOT_SUPPORTED",
        0xc000_00cc => "STATUS_BAD_NETWORK_NAME",
        0xc000_0120 => "STATUS_CANCELLED",
        0xc000_0203 => "STATUS_USER_SESSION_DELETED",
        0xc000_0225 => "STATUS_NOT_FOUND",
        _ => return format!("0x{s:08x}"),
    };
    format!("0x{s:08x} ({n})")
}

struct Walk {
    f: Vec<Field>,
    facts: Option<SmbFacts>,
    anomalies: Vec<&'static str>,
}

/// The little-endian header numbers SMB2 is made of: each read, recorded as a field with its
/// decimal value, and returned (`None` when the message ends before it).
impl Walk {
    fn num<T: ToString>(
        &mut self,
        v: Option<T>,
        at: usize,
        len: usize,
        name: &'static str,
        class: FieldClass,
    ) -> Option<T> {
        let v = v?;
        self.f
            .push(Field::new(at..at + len, name, class, Some(v.to_string())));
        Some(v)
    }

    fn num16(&mut self, q: &[u8], at: usize, name: &'static str, c: FieldClass) -> Option<u16> {
        self.num(le16(q, at), at, 2, name, c)
    }

    fn num32(&mut self, q: &[u8], at: usize, name: &'static str, c: FieldClass) -> Option<u32> {
        self.num(le32(q, at), at, 4, name, c)
    }

    fn num64(&mut self, q: &[u8], at: usize, name: &'static str, c: FieldClass) -> Option<u64> {
        self.num(le64(q, at), at, 8, name, c)
    }
}

/// Dissects `p` as NetBIOS session frames holding SMB; `None` unless the first frame has a
/// known session message type and, when it is a session message, an SMB magic.
pub fn dissect(p: &[u8]) -> Option<Parsed> {
    let t = u8_at(p, 0)?;
    nbss_type_name(t)?;
    if t == 0 && !starts_like_smb(p) {
        return None;
    }
    let mut w = Walk {
        f: Vec::new(),
        facts: None,
        anomalies: Vec::new(),
    };
    let mut pos = 0usize;
    for _ in 0..MAX_FRAMES {
        let Some(t) = u8_at(p, pos) else { break };
        let Some(tname) = nbss_type_name(t) else {
            push(
                &mut w.f,
                pos..p.len(),
                "data after the last NetBIOS frame",
                FieldClass::Unknown,
                None,
            );
            pos = p.len();
            break;
        };
        w.f.push(Field::new(
            pos..pos + 1,
            "NetBIOS session message type",
            FieldClass::Code,
            Some(format!("0x{t:02x} ({tname})")),
        ));
        let Some(len) = be24(p, pos + 1) else {
            push(
                &mut w.f,
                pos + 1..p.len(),
                "NetBIOS session length",
                FieldClass::Length,
                None,
            );
            pos = p.len();
            break;
        };
        w.f.push(Field::new(
            pos + 1..pos + 4,
            "NetBIOS session length",
            FieldClass::Length,
            Some(len.to_string()),
        ));
        let start = pos + NBSS_HEADER_LEN;
        let end = start + len as usize;
        let q = &p[..end.min(p.len())];
        let first = w.facts.is_none();
        if first {
            w.facts = Some(SmbFacts {
                nbss_type: tname.to_string(),
                ..SmbFacts::default()
            });
        }
        if t == 0 {
            message(q, start, first, &mut w);
        } else {
            push(
                &mut w.f,
                start..q.len(),
                "NetBIOS session control data",
                FieldClass::Name,
                None,
            );
        }
        pos = end;
        if pos >= p.len() {
            break;
        }
    }
    if pos < p.len() {
        push(
            &mut w.f,
            pos..p.len(),
            "further NetBIOS frames",
            FieldClass::Unknown,
            None,
        );
    }
    let facts = w.facts.unwrap_or_default();
    let summary = summary(&facts);
    let doc = match facts.dialect {
        "SMB1" => "MS-CIFS, Section 2.2.3.1; RFC 1002, Section 4.3",
        "" => "RFC 1002, Section 4.3",
        _ => "MS-SMB2, Section 2.2.1",
    };
    Some(Parsed {
        protocol: "smb",
        fields: w.f,
        anomalies: w.anomalies,
        summary,
        is_response: facts.is_response,
        app: AppFacts::Smb(facts),
        doc: Some(doc.into()),
    })
}

fn summary(f: &SmbFacts) -> String {
    let Some(c) = &f.command else {
        return if f.dialect.is_empty() {
            format!("a NetBIOS {}", f.nbss_type)
        } else {
            format!("an {} message", f.dialect)
        };
    };
    let kind = match f.is_response {
        Some(true) => "response",
        _ => "request",
    };
    let mut s = format!("an {} {c} {kind}", f.dialect);
    if let (Some(st), Some(true)) = (&f.status, f.is_response) {
        s.push_str(&format!(", status {st}"));
    }
    if let Some(t) = &f.tree_path {
        s.push_str(&format!(" for {t}"));
    }
    s
}

fn message(q: &[u8], at: usize, first: bool, w: &mut Walk) {
    match q.get(at..at + 4) {
        Some(m) if m == SMB2_MAGIC => {
            let mut pos = at;
            for _ in 0..MAX_COMPOUND {
                let next = smb2(q, pos, first && pos == at, w);
                match next {
                    Some(n) if n > 0 && pos + n < q.len() => pos += n,
                    _ => return,
                }
            }
        }
        Some(m) if m == SMB1_MAGIC => smb1(q, at, first, w),
        Some(m) if m == SMB3_TRANSFORM_MAGIC => {
            if first {
                if let Some(f) = w.facts.as_mut() {
                    f.dialect = "SMB3 (encrypted)";
                }
            }
            w.f.push(Field::new(
                at..at + 4,
                "SMB3 transform header protocol id",
                FieldClass::Magic,
                None,
            ));
            push(
                &mut w.f,
                at + 4..q.len(),
                "SMB3 encrypted message",
                FieldClass::BinaryBody,
                None,
            );
        }
        _ => push(
            &mut w.f,
            at..q.len(),
            "NetBIOS session data",
            FieldClass::Unknown,
            None,
        ),
    }
}

/// One SMB2 header at `at`; returns its NextCommand offset.
fn smb2(q: &[u8], at: usize, first: bool, w: &mut Walk) -> Option<usize> {
    w.f.push(Field::new(
        at..at + 4,
        "SMB2 protocol id",
        FieldClass::Magic,
        Some("\\xfeSMB".into()),
    ));
    let size = w.num16(q, at + 4, "SMB2 structure size", FieldClass::Length)?;
    if size != 64 && !w.anomalies.contains(&BAD_STRUCTURE_SIZE) {
        w.anomalies.push(BAD_STRUCTURE_SIZE);
    }
    w.num16(q, at + 6, "SMB2 credit charge", FieldClass::Count)?;
    let flags = le32(q, at + 16);
    let response = flags.map(|f| f & 1 != 0);
    let status = le32(q, at + 8)?;
    let status_name = if response == Some(false) {
        "SMB2 channel sequence / reserved"
    } else {
        "SMB2 status"
    };
    w.f.push(Field::new(
        at + 8..at + 12,
        status_name,
        FieldClass::Code,
        Some(ntstatus(status)),
    ));
    let cmd = le16(q, at + 12)?;
    w.f.push(Field::new(
        at + 12..at + 14,
        "SMB2 command",
        FieldClass::Code,
        Some(format!("{cmd} ({})", smb2_command(cmd))),
    ));
    if first {
        if let Some(f) = w.facts.as_mut() {
            f.dialect = "SMB2";
            f.command = Some(smb2_command(cmd));
            f.status = Some(ntstatus(status));
            f.is_response = response;
        }
    }
    w.num16(q, at + 14, "SMB2 credits", FieldClass::Count)?;
    let flags = flags?;
    let mut fl = vec![if flags & 1 != 0 {
        "response"
    } else {
        "request"
    }];
    for (bit, n) in [
        (2, "async"),
        (4, "related"),
        (8, "signed"),
        (0x1000_0000, "DFS"),
    ] {
        if flags & bit != 0 {
            fl.push(n);
        }
    }
    w.f.push(Field::new(
        at + 16..at + 20,
        "SMB2 flags",
        FieldClass::Flags,
        Some(format!("0x{flags:08x}: {}", fl.join(", "))),
    ));
    let next = w.num32(q, at + 20, "SMB2 next command offset", FieldClass::Length)?;
    let mid = w.num64(q, at + 24, "SMB2 message id", FieldClass::Count)?;
    if flags & 2 != 0 {
        let aid = le64(q, at + 32)?;
        w.f.push(Field::new(
            at + 32..at + 40,
            "SMB2 async id",
            FieldClass::RandomId,
            Some(format!("0x{aid:016x}")),
        ));
    } else {
        w.num32(q, at + 32, "SMB2 process id", FieldClass::Code)?;
        let tid = w.num32(q, at + 36, "SMB2 tree id", FieldClass::Code)?;
        if first {
            if let Some(f) = w.facts.as_mut() {
                f.tree_id = Some(tid);
            }
        }
    }
    if first {
        if let Some(f) = w.facts.as_mut() {
            f.message_id = Some(mid);
        }
    }
    let sid = le64(q, at + 40)?;
    w.f.push(Field::new(
        at + 40..at + 48,
        "SMB2 session id",
        FieldClass::RandomId,
        Some(format!("0x{sid:016x}")),
    ));
    push(
        &mut w.f,
        clip(q, at + 48, 16),
        "SMB2 signature",
        FieldClass::RandomId,
        None,
    );
    let body = at + SMB2_HEADER_LEN;
    let body_end = if next > 0 {
        (at + next as usize).min(q.len())
    } else {
        q.len()
    };
    if cmd == 3 && response == Some(false) {
        // TREE_CONNECT request (MS-SMB2 2.2.9): StructureSize 9, Flags, PathOffset (from the
        // header), PathLength, then the UTF-16LE path.
        let r = &q[..body_end];
        if let (Some(off), Some(len)) = (le16(r, body + 4), le16(r, body + 6)) {
            w.f.push(Field::new(
                body..body + 4,
                "SMB2 TREE_CONNECT structure size and flags",
                FieldClass::Code,
                None,
            ));
            w.f.push(Field::new(
                body + 4..body + 6,
                "SMB2 TREE_CONNECT path offset",
                FieldClass::Length,
                Some(off.to_string()),
            ));
            w.f.push(Field::new(
                body + 6..body + 8,
                "SMB2 TREE_CONNECT path length",
                FieldClass::Length,
                Some(len.to_string()),
            ));
            let path = clip(r, at + off as usize, len as usize);
            if path.start >= body + 8 {
                let text = utf16le(&r[path.clone()]);
                push(
                    &mut w.f,
                    body + 8..path.start,
                    "SMB2 TREE_CONNECT padding",
                    FieldClass::Padding,
                    None,
                );
                push(
                    &mut w.f,
                    path.clone(),
                    "SMB2 TREE_CONNECT path",
                    FieldClass::Name,
                    Some(text.clone()),
                );
                if first && !path.is_empty() {
                    if let Some(f) = w.facts.as_mut() {
                        f.tree_path = Some(text);
                    }
                }
                push(
                    &mut w.f,
                    path.end..body_end,
                    "SMB2 message body",
                    FieldClass::BinaryBody,
                    None,
                );
                return Some(next as usize);
            }
        }
    }
    push(
        &mut w.f,
        body.min(body_end)..body_end,
        format!("SMB2 {} body", smb2_command(cmd)),
        FieldClass::BinaryBody,
        None,
    );
    Some(next as usize)
}

fn utf16le(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .take(MAX_PATH_UNITS)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn smb1(q: &[u8], at: usize, first: bool, w: &mut Walk) {
    w.f.push(Field::new(
        at..at + 4,
        "SMB1 protocol id",
        FieldClass::Magic,
        Some("\\xffSMB".into()),
    ));
    let Some(cmd) = u8_at(q, at + 4) else { return };
    w.f.push(Field::new(
        at + 4..at + 5,
        "SMB1 command",
        FieldClass::Code,
        Some(format!("0x{cmd:02x} ({})", smb1_command(cmd))),
    ));
    let status = le32(q, at + 5);
    if let Some(s) = status {
        w.f.push(Field::new(
            at + 5..at + 9,
            "SMB1 status",
            FieldClass::Code,
            Some(ntstatus(s)),
        ));
    }
    let flags = u8_at(q, at + 9);
    let response = flags.map(|f| f & 0x80 != 0);
    if first {
        if let Some(f) = w.facts.as_mut() {
            f.dialect = "SMB1";
            f.command = Some(smb1_command(cmd));
            f.status = status.map(ntstatus);
            f.is_response = response;
        }
    }
    let Some(flags) = flags else { return };
    w.f.push(Field::new(
        at + 9..at + 10,
        "SMB1 flags",
        FieldClass::Flags,
        Some(format!(
            "0x{flags:02x}: {}",
            if flags & 0x80 != 0 {
                "reply"
            } else {
                "request"
            }
        )),
    ));
    let Some(flags2) = le16(q, at + 10) else {
        return;
    };
    w.f.push(Field::new(
        at + 10..at + 12,
        "SMB1 flags2",
        FieldClass::Flags,
        Some(format!(
            "0x{flags2:04x}{}",
            if flags2 & 0x8000 != 0 {
                ": Unicode strings"
            } else {
                ""
            }
        )),
    ));
    push(
        &mut w.f,
        clip(q, at + 12, 2),
        "SMB1 process id (high)",
        FieldClass::Code,
        None,
    );
    push(
        &mut w.f,
        clip(q, at + 14, 8),
        "SMB1 security signature",
        FieldClass::RandomId,
        None,
    );
    push(
        &mut w.f,
        clip(q, at + 22, 2),
        "SMB1 reserved",
        FieldClass::Padding,
        None,
    );
    let Some(tid) = le16(q, at + 24) else { return };
    w.f.push(Field::new(
        at + 24..at + 26,
        "SMB1 tree id",
        FieldClass::Code,
        Some(tid.to_string()),
    ));
    if first {
        if let Some(f) = w.facts.as_mut() {
            f.tree_id = Some(u32::from(tid));
        }
    }
    for (off, name, class) in [
        (26, "SMB1 process id", FieldClass::Code),
        (28, "SMB1 user id", FieldClass::Code),
        (30, "SMB1 multiplex id", FieldClass::Count),
    ] {
        let v = le16(q, at + off).map(|v| v.to_string());
        push(&mut w.f, clip(q, at + off, 2), name, class, v);
    }
    let body = at + SMB1_HEADER_LEN;
    let Some(wc) = u8_at(q, body) else { return };
    w.f.push(Field::new(
        body..body + 1,
        "SMB1 word count",
        FieldClass::Count,
        Some(wc.to_string()),
    ));
    let words = clip(q, body + 1, 2 * wc as usize);
    let bc_at = words.end;
    let unicode = flags2 & 0x8000 != 0;
    // TREE_CONNECT_ANDX request (MS-CIFS 2.2.4.55.1): four words, PasswordLength the fourth;
    // the bytes hold the password, then the path, then the service.
    if cmd == 0x75 && flags & 0x80 == 0 && wc == 4 && words.len() == 8 {
        push(
            &mut w.f,
            words.clone(),
            "SMB1 TREE_CONNECT_ANDX parameters",
            FieldClass::Code,
            None,
        );
        let pw_len = le16(q, words.start + 6).unwrap_or(0) as usize;
        let Some(bc) = le16(q, bc_at) else { return };
        w.f.push(Field::new(
            bc_at..bc_at + 2,
            "SMB1 byte count",
            FieldClass::Length,
            Some(bc.to_string()),
        ));
        let bytes_end = (bc_at + 2 + bc as usize).min(q.len());
        let r = &q[..bytes_end];
        let pw = clip(r, bc_at + 2, pw_len);
        push(
            &mut w.f,
            pw.clone(),
            "SMB1 TREE_CONNECT_ANDX password",
            FieldClass::RandomId,
            None,
        );
        let mut path_at = pw.end;
        // Unicode strings are aligned to two octets from the SMB header start.
        if unicode && (path_at - at) % 2 == 1 {
            push(
                &mut w.f,
                clip(r, path_at, 1),
                "SMB1 pad",
                FieldClass::Padding,
                None,
            );
            path_at += 1;
        }
        let path_end = if unicode {
            (path_at..r.len().saturating_sub(1))
                .step_by(2)
                .find(|&i| r.get(i..i + 2) == Some(&[0, 0][..]))
                .map_or(r.len(), |i| i + 2)
        } else {
            r.get(path_at..)
                .and_then(|s| s.iter().position(|&b| b == 0))
                .map_or(r.len(), |i| path_at + i + 1)
        };
        let raw = r.get(path_at..path_end).unwrap_or_default();
        let text = if unicode {
            utf16le(raw).trim_end_matches('\0').to_string()
        } else {
            super::escape(raw.strip_suffix(&[0]).unwrap_or(raw))
        };
        push(
            &mut w.f,
            path_at..path_end,
            "SMB1 TREE_CONNECT_ANDX path",
            FieldClass::Name,
            Some(text.clone()),
        );
        if first && !text.is_empty() {
            if let Some(f) = w.facts.as_mut() {
                f.tree_path = Some(text);
            }
        }
        push(
            &mut w.f,
            path_end..bytes_end,
            "SMB1 TREE_CONNECT_ANDX service",
            FieldClass::Name,
            r.get(path_end..).map(super::escape),
        );
        push(
            &mut w.f,
            bytes_end..q.len(),
            "SMB1 data after the byte block",
            FieldClass::Unknown,
            None,
        );
        return;
    }
    push(
        &mut w.f,
        words,
        "SMB1 parameter words",
        FieldClass::Code,
        None,
    );
    let Some(bc) = le16(q, bc_at) else { return };
    w.f.push(Field::new(
        bc_at..bc_at + 2,
        "SMB1 byte count",
        FieldClass::Length,
        Some(bc.to_string()),
    ));
    push(
        &mut w.f,
        bc_at + 2..q.len(),
        "SMB1 data bytes",
        FieldClass::BinaryBody,
        None,
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{dissect_bytes, AppFacts};
    use super::*;

    fn nbss(msg: &[u8]) -> Vec<u8> {
        let mut v = vec![0];
        v.extend_from_slice(&(msg.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(msg);
        v
    }

    /// An SMB2 TREE_CONNECT request for `\\192.168.1.10\IPC$`, as Windows 10 sends it.
    pub(crate) fn tree_connect() -> Vec<u8> {
        let mut h = SMB2_MAGIC.to_vec();
        h.extend_from_slice(&64u16.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&3u16.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&4u64.to_le_bytes());
        h.extend_from_slice(&0xfeffu32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&0x0000_1000_0000_0015u64.to_le_bytes());
        h.extend_from_slice(&[0u8; 16]);
        let path: Vec<u8> = "\\\\192.168.1.10\\IPC$"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        h.extend_from_slice(&9u16.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&72u16.to_le_bytes());
        h.extend_from_slice(&(path.len() as u16).to_le_bytes());
        h.extend(path);
        nbss(&h)
    }

    /// An SMB1 TREE_CONNECT_ANDX request in Unicode, as Windows XP sends it.
    pub(crate) fn smb1_tree_connect() -> Vec<u8> {
        let mut h = SMB1_MAGIC.to_vec();
        h.push(0x75);
        h.extend_from_slice(&[0; 4]);
        h.push(0x18);
        h.extend_from_slice(&0xc807u16.to_le_bytes());
        h.extend_from_slice(&[0; 12]);
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&0xfeffu16.to_le_bytes());
        h.extend_from_slice(&0x0800u16.to_le_bytes());
        h.extend_from_slice(&0x0040u16.to_le_bytes());
        h.push(4);
        h.extend_from_slice(&[0xff, 0, 0, 0, 0x08, 0, 1, 0]);
        let path: Vec<u8> = "\\\\FILESRV\\IPC$\0"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let mut bytes = vec![0u8];
        bytes.extend(path);
        bytes.extend_from_slice(b"?????\0");
        h.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        h.extend(bytes);
        nbss(&h)
    }

    fn smb_facts(d: &super::super::Dissection) -> &SmbFacts {
        match d.app.as_ref() {
            Some(AppFacts::Smb(s)) => s,
            other => panic!("not SMB: {other:?}"),
        }
    }

    #[test]
    fn smb2_tree_connect_names_the_share() {
        let p = tree_connect();
        let hint = tcp("192.168.1.20", 49700, "192.168.1.10", 445);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("smb"));
        let s = smb_facts(&d);
        assert_eq!(s.dialect, "SMB2");
        assert_eq!(s.command.as_deref(), Some("TREE_CONNECT"));
        assert_eq!(s.tree_path.as_deref(), Some("\\\\192.168.1.10\\IPC$"));
        assert_eq!(s.message_id, Some(4));
        assert_eq!(d.is_response, Some(false));
        assert!(
            d.recognised_by.contains("TREE_CONNECT request for"),
            "{}",
            d.recognised_by
        );
        assert_eq!(d.field_at(4).unwrap().name, "SMB2 protocol id");
        assert_eq!(d.field_at(4 + 72).unwrap().name, "SMB2 TREE_CONNECT path");
        assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
        every_truncation(&p, &hint);
    }

    #[test]
    fn smb1_tree_connect_andx_over_139() {
        let p = smb1_tree_connect();
        let hint = tcp("192.168.1.20", 1040, "192.168.1.10", 139);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("smb"));
        let s = smb_facts(&d);
        assert_eq!(s.dialect, "SMB1");
        assert_eq!(s.command.as_deref(), Some("TREE_CONNECT_ANDX"));
        assert_eq!(s.tree_path.as_deref(), Some("\\\\FILESRV\\IPC$"));
        assert_eq!(s.tree_id, Some(0));
        assert!(d
            .fields
            .iter()
            .any(|f| f.name == "SMB1 TREE_CONNECT_ANDX service"
                && f.value.as_deref() == Some("?????\\x00")));
        every_truncation(&p, &hint);
    }

    #[test]
    fn by_content_and_status_names() {
        let mut p = tree_connect();
        p[4 + 16] = 1; // response flag
        p[4 + 8..4 + 12].copy_from_slice(&0xc000_00ccu32.to_le_bytes());
        let hint = tcp("192.168.1.10", 50445, "192.168.1.20", 49700);
        let d = dissect_bytes(&p, &hint, &kb());
        assert_eq!(d.protocol, Some("smb"));
        assert!(
            d.recognised_by.contains("NetBIOS session message"),
            "{}",
            d.recognised_by
        );
        assert_eq!(
            smb_facts(&d).status.as_deref(),
            Some("0xc00000cc (STATUS_BAD_NETWORK_NAME)")
        );
        let hint = tcp("192.168.1.20", 49700, "192.168.1.10", 445);
        let d = dissect_bytes(b"\x00\x00\x00\x10GET / HTTP/1.0\r\n", &hint, &kb());
        assert_eq!(d.protocol, None);
        assert!(d.anomalies.contains(&NOT_SMB));
        // A session request over 139 (RFC 1002 4.3.2) is NetBIOS without SMB.
        let d = dissect_bytes(b"\x81\x00\x00\x04ABCD", &hint, &kb());
        assert_eq!(d.protocol, Some("smb"));
        assert_eq!(smb_facts(&d).dialect, "");
    }
}
