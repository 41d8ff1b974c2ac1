//! The map and config files that travel with rule sets: `sid-msg.map` (v1 and v2),
//! `gen-msg.map`, `classification.config` and `reference.config`.
//!
//! All are line formats; a bad line is an error naming its file and line, and reading goes on.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Origin, SignatureError};

/// One entry of a sid-msg.map or gen-msg.map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgEntry {
    pub gid: u32,
    pub sid: u32,
    /// Only v2 maps carry the revision.
    pub rev: Option<u32>,
    pub msg: String,
    pub classtype: Option<String>,
    pub priority: Option<u32>,
    /// `scheme,id` references as written (v1 and v2).
    pub references: Vec<String>,
    pub origin: Origin,
}

/// Messages by (gid, sid), read from any number of sid-msg.map / gen-msg.map files.
#[derive(Debug, Default)]
pub struct MsgMap {
    entries: HashMap<(u32, u32), MsgEntry>,
}

/// Which kind of `||` map a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    /// `sid || msg [|| ref]...` (v1) or `gid || sid || rev || class || prio || msg [|| ref]...`
    /// (v2), told apart per line.
    SidMsg,
    /// `gid || sid || msg`.
    GenMsg,
}

impl MsgMap {
    pub fn get(&self, gid: u32, sid: u32) -> Option<&MsgEntry> {
        self.entries.get(&(gid, sid))
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &MsgEntry> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds the entries of one file; returns the errors of its bad lines.
    pub fn add(&mut self, text: &str, path: &str, kind: MapKind) -> Vec<SignatureError> {
        let path: Arc<str> = Arc::from(path);
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let origin = Origin {
                path: path.clone(),
                line: i as u64 + 1,
            };
            match parse_map_line(t, kind, &origin) {
                Ok(e) => {
                    self.entries.insert((e.gid, e.sid), e);
                }
                Err(m) => errors.push(SignatureError::syntax(&origin, m)),
            }
        }
        errors
    }
}

fn num(s: &str, what: &str) -> Result<u32, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{what} is not a number: {:?}", s.trim()))
}

fn parse_map_line(line: &str, kind: MapKind, origin: &Origin) -> Result<MsgEntry, String> {
    let f: Vec<&str> = line.split("||").map(str::trim).collect();
    let entry = |gid, sid, rev, msg: &str, classtype, priority, refs: &[&str]| MsgEntry {
        gid,
        sid,
        rev,
        msg: msg.to_string(),
        classtype,
        priority,
        references: refs.iter().map(|s| s.to_string()).collect(),
        origin: origin.clone(),
    };
    match kind {
        MapKind::GenMsg => {
            if f.len() < 3 {
                return Err("want gid || sid || msg".into());
            }
            Ok(entry(
                num(f[0], "gid")?,
                num(f[1], "sid")?,
                None,
                f[2],
                None,
                None,
                &[],
            ))
        }
        MapKind::SidMsg => {
            // v2 has six or more fields with numeric gid, sid, rev and priority.
            let v2 = f.len() >= 6
                && [f[0], f[1], f[2], f[4]]
                    .iter()
                    .all(|x| x.bytes().all(|b| b.is_ascii_digit()) && !x.is_empty());
            if v2 {
                let class = (f[3] != "NOCLASS" && !f[3].is_empty()).then(|| f[3].to_string());
                Ok(entry(
                    num(f[0], "gid")?,
                    num(f[1], "sid")?,
                    Some(num(f[2], "rev")?),
                    f[5],
                    class,
                    Some(num(f[4], "priority")?),
                    &f[6..],
                ))
            } else {
                if f.len() < 2 {
                    return Err("want sid || msg".into());
                }
                Ok(entry(1, num(f[0], "sid")?, None, f[1], None, None, &f[2..]))
            }
        }
    }
}

/// One classification: `config classification: shortname,description,priority`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    /// 1-based position in the file: the id unified2 records carry.
    pub id: u32,
    pub name: String,
    pub description: String,
    pub priority: u32,
}

/// classification.config: by name and by numeric id.
#[derive(Debug, Default)]
pub struct Classifications {
    pub list: Vec<Classification>,
}

impl Classifications {
    pub fn parse(text: &str, path: &str) -> (Classifications, Vec<SignatureError>) {
        let path: Arc<str> = Arc::from(path);
        let mut out = Classifications::default();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let Some(rest) = config_line(line, "classification") else {
                continue;
            };
            let origin = Origin {
                path: path.clone(),
                line: i as u64 + 1,
            };
            let parts: Vec<&str> = rest.rsplitn(2, ',').collect();
            let parsed = (|| {
                if parts.len() != 2 {
                    return Err("want shortname,description,priority".to_string());
                }
                let priority = num(parts[0], "priority")?;
                let (name, desc) = parts[1]
                    .split_once(',')
                    .ok_or("want shortname,description,priority")?;
                Ok(Classification {
                    id: out.list.len() as u32 + 1,
                    name: name.trim().to_string(),
                    description: desc.trim().to_string(),
                    priority,
                })
            })();
            match parsed {
                Ok(c) => out.list.push(c),
                Err(m) => errors.push(SignatureError::syntax(&origin, m)),
            }
        }
        (out, errors)
    }

    pub fn by_name(&self, name: &str) -> Option<&Classification> {
        self.list.iter().find(|c| c.name == name)
    }

    pub fn by_id(&self, id: u32) -> Option<&Classification> {
        self.list.get((id as usize).checked_sub(1)?)
    }
}

/// reference.config: reference scheme → URL prefix.
#[derive(Debug, Default)]
pub struct References {
    pub prefixes: HashMap<String, String>,
}

impl References {
    pub fn parse(text: &str, path: &str) -> (References, Vec<SignatureError>) {
        let path: Arc<str> = Arc::from(path);
        let mut out = References::default();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let Some(rest) = config_line(line, "reference") else {
                continue;
            };
            match rest.split_once(char::is_whitespace) {
                Some((name, url)) if !url.trim().is_empty() => {
                    out.prefixes
                        .insert(name.trim().to_ascii_lowercase(), url.trim().to_string());
                }
                _ => errors.push(SignatureError::syntax(
                    &Origin {
                        path: path.clone(),
                        line: i as u64 + 1,
                    },
                    "want 'config reference: name url'",
                )),
            }
        }
        (out, errors)
    }

    /// The link for a rule's `reference:scheme,id`. `url` references are links themselves.
    pub fn url(&self, scheme: &str, id: &str) -> Option<String> {
        let scheme = scheme.to_ascii_lowercase();
        if scheme == "url" {
            return Some(if id.contains("://") {
                id.to_string()
            } else {
                format!("http://{id}")
            });
        }
        self.prefixes.get(&scheme).map(|p| format!("{p}{id}"))
    }
}

/// The text after `config <what>:` on a line, if it is such a line.
fn config_line<'a>(line: &'a str, what: &str) -> Option<&'a str> {
    let t = line.trim();
    let rest = t.strip_prefix("config")?.trim_start();
    let rest = rest.strip_prefix(what)?.trim_start();
    Some(rest.strip_prefix(':')?.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_msg_v1_v2_and_gen_msg() {
        let mut m = MsgMap::default();
        let e = m.add(
            "# c\n100 || ONE msg || cve,2000-1 || url,x.example\n101 || TWO\nbad line\n",
            "sid-msg.map",
            MapKind::SidMsg,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().starts_with("sid-msg.map:4:"));
        assert_eq!(m.get(1, 100).unwrap().references.len(), 2);
        assert_eq!(m.get(1, 101).unwrap().msg, "TWO");
        let e = m.add(
            "1 || 200 || 3 || trojan-activity || 1 || V2 msg || url,a.example\n",
            "v2.map",
            MapKind::SidMsg,
        );
        assert!(e.is_empty());
        let v2 = m.get(1, 200).unwrap();
        assert_eq!(
            (v2.rev, v2.classtype.as_deref(), v2.priority),
            (Some(3), Some("trojan-activity"), Some(1))
        );
        let e = m.add(
            "116 || 1 || (snort_decoder) WARNING\n",
            "gen",
            MapKind::GenMsg,
        );
        assert!(e.is_empty());
        assert_eq!(m.get(116, 1).unwrap().msg, "(snort_decoder) WARNING");
    }

    #[test]
    fn classification_and_reference_config() {
        let (c, e) = Classifications::parse(
            "# x\nconfig classification: not-suspicious,Not Suspicious Traffic,3\nconfig classification: bad-unknown,Potentially Bad, Traffic,2\nconfig classification: broken\n",
            "classification.config",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(c.by_id(2).unwrap().name, "bad-unknown");
        assert_eq!(
            c.by_name("bad-unknown").unwrap().description,
            "Potentially Bad, Traffic"
        );
        assert_eq!(c.by_name("not-suspicious").unwrap().priority, 3);
        let (r, e) = References::parse(
            "config reference: cve  http://cve.example/?name=\nconfig reference: nourl\n",
            "reference.config",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(
            r.url("CVE", "2000-0138").as_deref(),
            Some("http://cve.example/?name=2000-0138")
        );
        assert_eq!(
            r.url("url", "a.example/x").as_deref(),
            Some("http://a.example/x")
        );
        assert_eq!(r.url("bugtraq", "1"), None);
    }

    #[test]
    fn truncated_lines_never_panic() {
        let text = "1 || 200 || 3 || trojan-activity || 1 || V2 msg || url,a\nconfig classification: a,b,1\nconfig reference: cve http://x/";
        for i in 0..=text.len() {
            let mut m = MsgMap::default();
            let _ = m.add(&text[..i], "t", MapKind::SidMsg);
            let _ = m.add(&text[..i], "t", MapKind::GenMsg);
            let _ = Classifications::parse(&text[..i], "t");
            let _ = References::parse(&text[..i], "t");
        }
    }
}
