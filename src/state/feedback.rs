//! Analysts' verdicts from earlier runs (`fpx verdict`, read back with `--feedback FILE`): a
//! JSON-lines file, one verdict per line, each about a signature, hosts, or both.
//!
//! A verdict reaches an alert's evidence only as counts (`feedback.*` facts): how many
//! analysts' verdicts call this signature on these hosts benign or an attack ("scoped"), and
//! how many speak of the signature on any host, or of these hosts under any signature
//! ("broad"). The weights live in `rules/feedback.toml`, tiered so that each verdict moves the
//! probability and none alone decides, as in Pietraszek's ALAC (RAID 2004): verdicts keep
//! teaching the classifier, and it keeps asking while it is unsure. A verdict about one host
//! never reaches another host's alerts with more than a hint.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::evidence::{Facts, Value};
use crate::model::Alert;

/// Verdicts read at most; the rest of a longer file is counted and left out (one line is
/// about 200 bytes: 100 000 are 20 MB).
pub const MAX_ENTRIES: usize = 100_000;

/// Lines longer than this are refused: a verdict is a few hundred bytes.
pub const MAX_LINE: usize = 16 << 10;

/// Verdicts quoted per alert in its evidence text.
const QUOTED: usize = 3;

/// What an analyst decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalystVerdict {
    FalsePositive,
    BenignTrigger,
    TruePositive,
}

impl AnalystVerdict {
    pub fn from_name(s: &str) -> Option<AnalystVerdict> {
        Some(match s {
            "false_positive" | "fp" => AnalystVerdict::FalsePositive,
            "benign_trigger" | "benign" => AnalystVerdict::BenignTrigger,
            "true_positive" | "tp" | "attack" => AnalystVerdict::TruePositive,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnalystVerdict::FalsePositive => "false_positive",
            AnalystVerdict::BenignTrigger => "benign_trigger",
            AnalystVerdict::TruePositive => "true_positive",
        }
    }

    fn benign(self) -> bool {
        self != AnalystVerdict::TruePositive
    }
}

/// One line of the feedback file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// When it was recorded (RFC 3339, UTC).
    pub recorded: String,
    pub analyst: String,
    pub verdict: AnalystVerdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<u32>,
    /// A host on either side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<IpAddr>,
    /// Sources and destinations the verdict is about (from a cluster or an alert); empty:
    /// any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub src: Vec<IpAddr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dst: Vec<IpAddr>,
    /// What the verdict was given on, for the record: a cluster id or an alert of a report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Entry {
    fn has_hosts(&self) -> bool {
        self.host.is_some() || !self.src.is_empty() || !self.dst.is_empty()
    }

    /// Whether the entry's hosts are the alert's (every constraint it has holds).
    fn hosts_match(&self, src: Option<IpAddr>, dst: Option<IpAddr>) -> bool {
        let either = self.host.is_none_or(|h| src == Some(h) || dst == Some(h));
        let s = self.src.is_empty() || src.is_some_and(|ip| self.src.contains(&ip));
        let d = self.dst.is_empty() || dst.is_some_and(|ip| self.dst.contains(&ip));
        either && s && d
    }

    /// Checks that the entry says what it is about.
    pub fn validate(&self) -> Result<(), String> {
        if self.sid.is_none() && !self.has_hosts() {
            return Err("a verdict needs a signature (sid), hosts, or both".into());
        }
        if self.gid.is_some() && self.sid.is_none() {
            return Err("gid without sid".into());
        }
        Ok(())
    }

    /// `ana on 2026-12-01: false_positive ("LLMNR, not P2P")`
    fn quote(&self) -> String {
        let day = self.recorded.get(..10).unwrap_or(&self.recorded);
        let mut s = format!("{} on {day}: {}", self.analyst, self.verdict.as_str());
        if let Some(n) = &self.note {
            s.push_str(&format!(" ({n:?})"));
        }
        s
    }
}

/// The verdicts of a feedback file, indexed by signature.
#[derive(Clone, Debug, Default)]
pub struct Feedback {
    entries: Vec<Entry>,
    by_sig: HashMap<(u32, u32), Vec<usize>>,
    /// Entries about hosts under any signature.
    hosts_only: Vec<usize>,
    /// Lines beyond [`MAX_ENTRIES`], left out.
    pub dropped: u64,
}

impl Feedback {
    /// Reads a feedback file, a line at a time (no line is read past [`MAX_LINE`]); an
    /// unreadable line is an error naming the file and line.
    pub fn load(path: &Path) -> Result<Feedback, String> {
        use std::io::{BufRead, Read};
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
        let mut r = std::io::BufReader::new(file);
        let mut f = Feedback::default();
        let mut buf = Vec::new();
        for n in 1.. {
            buf.clear();
            let got = (&mut r)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| format!("{name}: line {n}: {e}"))?;
            if got == 0 {
                break;
            }
            let line = std::str::from_utf8(&buf)
                .map_err(|_| format!("{name}: line {n}: not UTF-8"))?
                .trim_end_matches(['\n', '\r']);
            f.line(line, n, &name)?;
        }
        Ok(f)
    }

    pub fn parse(text: &str, name: &str) -> Result<Feedback, String> {
        let mut f = Feedback::default();
        for (i, line) in text.lines().enumerate() {
            f.line(line, i + 1, name)?;
        }
        Ok(f)
    }

    /// Reads line `n`.
    fn line(&mut self, line: &str, n: usize, name: &str) -> Result<(), String> {
        if line.trim().is_empty() {
            return Ok(());
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.dropped += 1;
            return Ok(());
        }
        let at = || format!("{name}: line {n}");
        if line.len() > MAX_LINE {
            return Err(format!("{}: longer than {MAX_LINE} bytes", at()));
        }
        let e: Entry = serde_json::from_str(line).map_err(|e| {
            // serde_json says "at line 1 column N" of the one line it was given.
            let msg = e.to_string();
            let msg = msg
                .rsplit_once(" at line ")
                .map_or(msg.as_str(), |(m, _)| m);
            format!("{}, column {}: {msg}", at(), e.column())
        })?;
        e.validate().map_err(|m| format!("{}: {m}", at()))?;
        self.add(e);
        Ok(())
    }

    fn add(&mut self, e: Entry) {
        let i = self.entries.len();
        match e.sid {
            Some(sid) => self
                .by_sig
                .entry((e.gid.unwrap_or(1), sid))
                .or_default()
                .push(i),
            None => self.hosts_only.push(i),
        }
        self.entries.push(e);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `feedback.*` facts of an alert.
    pub fn alert_facts(&self, a: &Alert<'_>, facts: &mut Facts) {
        if self.entries.is_empty() {
            return;
        }
        let (src, dst) = (a.src.host.ip(), a.dest.host.ip());
        let sig = a.sid.and_then(|sid| self.by_sig.get(&(a.gid, sid)));
        let mut scoped: Vec<&Entry> = Vec::new();
        let mut broad: Vec<&Entry> = Vec::new();
        for e in sig.into_iter().flatten().map(|i| &self.entries[*i]) {
            if !e.has_hosts() {
                broad.push(e);
            } else if e.hosts_match(src, dst) {
                scoped.push(e);
            }
        }
        broad.extend(
            self.hosts_only
                .iter()
                .map(|i| &self.entries[*i])
                .filter(|e| e.hosts_match(src, dst)),
        );
        let count = |v: &[&Entry], benign: bool| {
            Value::Num(v.iter().filter(|e| e.verdict.benign() == benign).count() as f64)
        };
        let quote = |v: &[&Entry]| {
            let mut q: Vec<String> = v.iter().rev().take(QUOTED).map(|e| e.quote()).collect();
            if v.len() > QUOTED {
                q.push(format!("and {} earlier", v.len() - QUOTED));
            }
            Value::Str(q.join("; ").into())
        };
        facts.set_named("feedback.scoped_benign", count(&scoped, true));
        facts.set_named("feedback.scoped_attack", count(&scoped, false));
        facts.set_named("feedback.broad_benign", count(&broad, true));
        facts.set_named("feedback.broad_attack", count(&broad, false));
        if !scoped.is_empty() {
            facts.set_named("feedback.scoped_quotes", quote(&scoped));
        }
        if !broad.is_empty() {
            facts.set_named("feedback.broad_quotes", quote(&broad));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_checked_and_errors_name_the_line() {
        let ok = r#"{"recorded":"2026-12-01T10:00:00Z","analyst":"ana","verdict":"false_positive","sid":2009099,"host":"192.168.88.23"}"#;
        let f = Feedback::parse(&format!("{ok}\n\n{ok}\n"), "fb.jsonl").unwrap();
        assert_eq!(f.len(), 2);
        for (bad, why) in [
            (
                r#"{"recorded":"x","analyst":"a","verdict":"maybe","sid":1}"#,
                "line 2",
            ),
            (
                r#"{"recorded":"x","analyst":"a","verdict":"true_positive"}"#,
                "needs a signature",
            ),
            (
                r#"{"recorded":"x","analyst":"a","verdict":"true_positive","sid":1,"color":"red"}"#,
                "unknown field",
            ),
            (
                r#"{"recorded":"x","analyst":"a","verdict":"true_positive","host":"300.1.1.1"}"#,
                "line 2",
            ),
        ] {
            let e = Feedback::parse(&format!("{ok}\n{bad}\n"), "fb.jsonl").unwrap_err();
            assert!(e.starts_with("fb.jsonl: line 2") && e.contains(why), "{e}");
        }
    }

    #[test]
    fn a_file_is_read_a_line_at_a_time_and_an_endless_line_is_refused() {
        let dir = std::env::temp_dir().join(format!("fpx-fb-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = r#"{"recorded":"2026-12-01T10:00:00Z","analyst":"ana","verdict":"true_positive","host":"10.0.0.1"}"#;
        let p = dir.join("fb.jsonl");
        std::fs::write(&p, format!("{ok}\r\n\n{ok}")).unwrap();
        assert_eq!(Feedback::load(&p).unwrap().len(), 2);
        std::fs::write(&p, format!("{ok}\n{}", "x".repeat(MAX_LINE * 3))).unwrap();
        let e = Feedback::load(&p).unwrap_err();
        assert!(e.ends_with("line 2: longer than 16384 bytes"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn hosts_match_on_every_constraint() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        let e = Entry {
            recorded: "2026-12-01T10:00:00Z".into(),
            analyst: "ana".into(),
            verdict: AnalystVerdict::FalsePositive,
            gid: None,
            sid: Some(1),
            host: None,
            src: vec![ip("10.0.0.1").unwrap()],
            dst: vec![ip("224.0.0.252").unwrap()],
            cluster: None,
            alert: None,
            note: None,
        };
        assert!(e.hosts_match(ip("10.0.0.1"), ip("224.0.0.252")));
        assert!(!e.hosts_match(ip("10.0.0.2"), ip("224.0.0.252")));
        assert!(!e.hosts_match(ip("10.0.0.1"), None));
    }
}
