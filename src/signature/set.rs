//! A loaded rule set: every rule from the given files and folders, with lookup by (gid, sid)
//! returning all revisions, and by msg (Snort 1.8 alerts carry only the msg).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use super::parse::{logical_rules, parse_logical, LogicalRule, Rule};
use super::SignatureError;

/// File names read from a folder: rule files only. A file named explicitly is read whatever
/// its name.
fn is_rules_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "rules")
}

/// Deepest folder nesting followed when loading (guards against symlink loops).
pub const MAX_DIR_DEPTH: usize = 16;

/// Bytes of one rule file read at most: ET Open's whole set is 40 MB, and a million rules
/// of it 565 MB; a larger file is refused with its name rather than read until memory ends.
pub const MAX_RULE_FILE: u64 = 1 << 30;

/// Parsed rules kept for reuse at most (about 7 KiB each, 7 MiB in all): the signatures of
/// one dump are a few hundred, so their rules are parsed once per run; past the bound the
/// cache starts over.
pub const MAX_CACHED_RULES: usize = 1024;

/// One rule of the set, as an index into its file's text: the set keeps the text (about a
/// hundred bytes per rule beside it) and parses a rule when it is looked up.
#[derive(Clone, Copy, Debug)]
struct Entry {
    file: u32,
    line: u32,
    /// Byte range of the rule in its file's text, or (when `joined`) the index of its joined
    /// continuation lines in [`RuleSet::joined`].
    start: u32,
    len: u32,
    joined: bool,
    disabled: bool,
}

struct RuleFile {
    path: Arc<str>,
    text: String,
}

/// A loaded rule set: every rule of the given files and folders, found by (gid, sid) or by
/// msg, parsed when looked up (the text is several times smaller than its parsed form: a
/// million ET Open rules took 7 GB parsed, 0.7 GB as text and index).
#[derive(Default)]
pub struct RuleSet {
    files: Vec<RuleFile>,
    joined: Vec<String>,
    entries: Vec<Entry>,
    pub errors: Vec<SignatureError>,
    /// Rule files read.
    pub files_read: usize,
    /// Commented lines that started like a rule but were commentary.
    pub commented_non_rules: usize,
    /// Options kept verbatim because fpx does not know them, over every rule.
    pub unknown_options: usize,
    by_sid: HashMap<(u32, u32), Vec<u32>>,
    /// Hash of the msg → rules, confirmed on lookup by the parsed msg.
    by_msg: HashMap<u64, Vec<u32>>,
    cache: Mutex<HashMap<u32, Arc<Rule>>>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.entries.len())
            .field("files", &self.files_read)
            .field("errors", &self.errors.len())
            .finish()
    }
}

fn msg_hash(m: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    m.hash(&mut h);
    h.finish()
}

impl RuleSet {
    /// Loads every `.rules` file under the given files and folders (sorted, recursive).
    pub fn load(paths: &[PathBuf]) -> RuleSet {
        let mut set = RuleSet::default();
        for p in paths {
            let mut files = Vec::new();
            if p.is_dir() {
                collect(p, 0, &mut files);
                files.sort();
            } else {
                files.push(p.clone());
            }
            for f in files {
                let name = f.display().to_string();
                match crate::input::limits::read_text(&f, MAX_RULE_FILE, "rule file") {
                    Ok(text) => set.add_owned(text, &name),
                    Err(message) => set.errors.push(SignatureError::Io {
                        path: name,
                        source: std::io::Error::other(message),
                    }),
                }
            }
        }
        set
    }

    /// Adds the rules of one file's text.
    pub fn add_text(&mut self, text: &str, path: &str) {
        self.add_owned(text.to_string(), path);
    }

    /// Adds the rules of one file's text, which the set keeps.
    pub fn add_owned(&mut self, text: String, path: &str) {
        let file = self.files.len() as u32;
        let path: Arc<str> = Arc::from(path);
        self.files_read += 1;
        for l in logical_rules(&text) {
            let rule = match parse_logical(&l, &path) {
                Ok(Some(r)) => r,
                Ok(None) => {
                    self.commented_non_rules += usize::from(!l.too_long);
                    continue;
                }
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            let (start, len, joined) = match &l.text {
                Cow::Borrowed(b) => (b.as_ptr() as usize - text.as_ptr() as usize, b.len(), false),
                Cow::Owned(o) => {
                    self.joined.push(o.clone());
                    (self.joined.len() - 1, 0, true)
                }
            };
            let (Ok(start), Ok(len), Ok(line)) = (
                u32::try_from(start),
                u32::try_from(len),
                u32::try_from(l.line),
            ) else {
                self.errors.push(SignatureError::syntax(
                    &rule.origin,
                    "beyond the 4 GiB a rule file may hold",
                ));
                continue;
            };
            let idx = self.entries.len() as u32;
            if let Some(sid) = rule.sid {
                self.by_sid.entry((rule.gid, sid)).or_default().push(idx);
            }
            if let Some(m) = &rule.msg {
                self.by_msg.entry(msg_hash(m)).or_default().push(idx);
            }
            self.unknown_options += rule.unknown_options;
            self.entries.push(Entry {
                file,
                line,
                start,
                len,
                joined,
                disabled: !rule.enabled,
            });
        }
        self.files.push(RuleFile { path, text });
    }

    /// The rule at `idx`, parsed again from its text (it parsed when loaded, so it parses now).
    fn parse(&self, idx: u32) -> Option<Arc<Rule>> {
        self.parse_cached(idx, true)
    }

    fn parse_cached(&self, idx: u32, keep: bool) -> Option<Arc<Rule>> {
        if let Some(r) = self.cache.lock().ok().and_then(|c| c.get(&idx).cloned()) {
            return Some(r);
        }
        let e = self.entries.get(idx as usize)?;
        let file = self.files.get(e.file as usize)?;
        let text: &str = if e.joined {
            self.joined.get(e.start as usize)?
        } else {
            file.text
                .get(e.start as usize..(e.start + e.len) as usize)?
        };
        let l = LogicalRule {
            line: u64::from(e.line),
            disabled: e.disabled,
            text: Cow::Borrowed(text),
            too_long: false,
        };
        let rule = Arc::new(parse_logical(&l, &file.path).ok()??);
        if !keep {
            return Some(rule);
        }
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= MAX_CACHED_RULES {
                c.clear();
            }
            c.insert(idx, rule.clone());
        }
        Some(rule)
    }

    /// Rules at these indices, oldest revision first, enabled before disabled copies of the
    /// same revision.
    fn rules_at(&self, ix: Option<&Vec<u32>>) -> Vec<Arc<Rule>> {
        let mut v: Vec<Arc<Rule>> = ix
            .map(|ix| ix.iter().filter_map(|&i| self.parse(i)).collect())
            .unwrap_or_default();
        v.sort_by_key(|r| (r.rev.unwrap_or(0), !r.enabled));
        v
    }

    /// All revisions of (gid, sid) in the set, oldest first; enabled before disabled copies of
    /// the same revision.
    pub fn lookup(&self, gid: u32, sid: u32) -> Vec<Arc<Rule>> {
        self.rules_at(self.by_sid.get(&(gid, sid)))
    }

    /// [`RuleSet::lookup`] for a walk over the whole set: the rules are not kept.
    pub fn lookup_once(&self, gid: u32, sid: u32) -> Vec<Arc<Rule>> {
        let mut v: Vec<Arc<Rule>> = self
            .by_sid
            .get(&(gid, sid))
            .map(|ix| {
                ix.iter()
                    .filter_map(|&i| self.parse_cached(i, false))
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by_key(|r| (r.rev.unwrap_or(0), !r.enabled));
        v
    }

    /// The rules with exactly this msg, oldest revision first.
    pub fn by_msg(&self, msg: &str) -> Vec<Arc<Rule>> {
        let mut v = self.rules_at(self.by_msg.get(&msg_hash(msg)));
        v.retain(|r| r.msg.as_deref() == Some(msg));
        v
    }

    /// (gid, sid) keys that have rules, for walking the set by signature.
    pub fn signatures(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.by_sid.keys().copied()
    }

    /// Every rule, in file order, parsed one at a time (not kept).
    pub fn iter(&self) -> impl Iterator<Item = Rule> + '_ {
        (0..self.entries.len() as u32).filter_map(|i| {
            let e = &self.entries[i as usize];
            let file = &self.files[e.file as usize];
            let text: &str = if e.joined {
                &self.joined[e.start as usize]
            } else {
                &file.text[e.start as usize..(e.start + e.len) as usize]
            };
            let l = LogicalRule {
                line: u64::from(e.line),
                disabled: e.disabled,
                text: Cow::Borrowed(text),
                too_long: false,
            };
            parse_logical(&l, &file.path).ok().flatten()
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn disabled(&self) -> usize {
        self.entries.iter().filter(|e| e.disabled).count()
    }
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DIR_DEPTH {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, depth + 1, out);
        } else if is_rules_file(&p) {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_sid_and_msg() {
        let mut s = RuleSet::default();
        s.add_text(
            "alert tcp any any -> any 1 (msg:\"M\"; sid:9; rev:4;)\n",
            "new.rules",
        );
        s.add_text(
            "# alert tcp any any -> any 1 (msg:\"M\"; sid:9; rev:8;)\nalert tcp any any -> any 1 (msg:\"M\"; sid:9; rev:1;)\nalert tcp any any -> any 1 (msg:\"G\"; gid:3; sid:9; rev:1;)\n",
            "old.rules",
        );
        let revs: Vec<_> = s.lookup(1, 9).iter().map(|r| r.rev).collect();
        assert_eq!(revs, [Some(1), Some(4), Some(8)]);
        assert_eq!(s.lookup(3, 9).len(), 1);
        assert_eq!(s.by_msg("M").len(), 3);
        assert!(s.lookup(1, 10).is_empty());
        assert_eq!(s.disabled(), 1);
        assert_eq!(s.files_read, 2);
        assert_eq!(s.len(), 4);
        assert_eq!(s.iter().count(), 4);
    }
}
