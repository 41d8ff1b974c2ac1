//! A loaded rule set: every rule from the given files and folders, with lookup by (gid, sid)
//! returning all revisions, and by msg (Snort 1.8 alerts carry only the msg).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::parse::{parse_rules, Rule};
use super::SignatureError;

/// File names read from a folder: rule files only. A file named explicitly is read whatever
/// its name.
fn is_rules_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "rules")
}

/// Deepest folder nesting followed when loading (guards against symlink loops).
pub const MAX_DIR_DEPTH: usize = 16;

#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub errors: Vec<SignatureError>,
    /// Rule files read.
    pub files: usize,
    /// Commented lines that started like a rule but were commentary.
    pub commented_non_rules: usize,
    by_sid: HashMap<(u32, u32), Vec<usize>>,
    by_msg: HashMap<String, Vec<usize>>,
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
                match std::fs::read(&f) {
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        set.add_text(&text, &f.display().to_string());
                    }
                    Err(source) => set.errors.push(SignatureError::Io {
                        path: f.display().to_string(),
                        source,
                    }),
                }
            }
        }
        set
    }

    /// Adds the rules of one file's text.
    pub fn add_text(&mut self, text: &str, path: &str) {
        let parsed = parse_rules(text, path);
        self.files += 1;
        self.commented_non_rules += parsed.commented_non_rules;
        self.errors.extend(parsed.errors);
        for r in parsed.rules {
            let idx = self.rules.len();
            if let Some(sid) = r.sid {
                self.by_sid.entry((r.gid, sid)).or_default().push(idx);
            }
            if let Some(m) = &r.msg {
                self.by_msg.entry(m.clone()).or_default().push(idx);
            }
            self.rules.push(r);
        }
    }

    /// All revisions of (gid, sid) in the set, oldest first; enabled before disabled copies of
    /// the same revision.
    pub fn lookup(&self, gid: u32, sid: u32) -> Vec<&Rule> {
        let mut v: Vec<&Rule> = self
            .by_sid
            .get(&(gid, sid))
            .map(|ix| ix.iter().map(|&i| &self.rules[i]).collect())
            .unwrap_or_default();
        v.sort_by_key(|r| (r.rev.unwrap_or(0), !r.enabled));
        v
    }

    /// The rules with exactly this msg, oldest revision first.
    pub fn by_msg(&self, msg: &str) -> Vec<&Rule> {
        let mut v: Vec<&Rule> = self
            .by_msg
            .get(msg)
            .map(|ix| ix.iter().map(|&i| &self.rules[i]).collect())
            .unwrap_or_default();
        v.sort_by_key(|r| (r.rev.unwrap_or(0), !r.enabled));
        v
    }

    /// (gid, sid) keys that have rules, for walking the set by signature.
    pub fn signatures(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.by_sid.keys().copied()
    }

    pub fn disabled(&self) -> usize {
        self.rules.iter().filter(|r| !r.enabled).count()
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
        assert_eq!(s.files, 2);
    }
}
