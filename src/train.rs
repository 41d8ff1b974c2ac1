//! `fpx train DUMP`: a quiz for a junior analyst on the alerts of a dump. One question per
//! root cause (the first alert of each cluster, largest clusters first): the verdict, then
//! the root cause among a few (the others are the other questions' causes). Each answer is
//! checked against fpx's explanation, or against an analyst's recorded verdict when the run
//! reads one (`--feedback`), and fpx's explanation is shown after it. The score is kept and
//! said at the end.
//!
//! Answers come from the terminal, or from a file (`--answers`, one answer a line, `#`
//! comments), so that a session can be scripted and tested.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use serde::Deserialize;

use crate::explain::ExplainConfig;
use crate::report::escape::terminal;
use crate::report::Format;

/// Questions asked at most by default: a session of a few minutes.
pub const DEFAULT_QUESTIONS: usize = 10;

/// Root causes offered per question (the right one and up to three others).
pub const CHOICES: usize = 4;

/// Clusters whose first alert is kept while the dump is read: beyond, alerts of new clusters
/// are not kept (the quiz asks about the largest anyway).
pub const MAX_KEPT: usize = 1024;

#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub explain: ExplainConfig,
    pub questions: usize,
    /// Where the answers come from: stdin when `None`.
    pub answers: Option<std::path::PathBuf>,
}

#[derive(Debug, Deserialize)]
struct Line {
    kind: String,
    #[serde(default)]
    index: u64,
    #[serde(default)]
    alert: Option<AlertPart>,
    #[serde(default)]
    verdict: Option<String>,
    #[serde(default)]
    fp_probability: Option<f64>,
    #[serde(default)]
    root_cause: Option<Cause>,
    #[serde(default)]
    evidence: Vec<EvidencePart>,
    #[serde(default)]
    cluster: Option<String>,
    #[serde(default)]
    cluster_verdict: Option<ClusterPart>,
}

#[derive(Debug, Deserialize)]
struct AlertPart {
    #[serde(default)]
    timestamp_utc: Option<String>,
    gid: u32,
    #[serde(default)]
    sid: Option<u32>,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    proto: Option<String>,
    #[serde(default)]
    src_ip: Option<String>,
    #[serde(default)]
    src_port: Option<u16>,
    #[serde(default)]
    dest_ip: Option<String>,
    #[serde(default)]
    dest_port: Option<u16>,
    #[serde(default)]
    payload_len: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Cause {
    summary: String,
}

#[derive(Debug, Deserialize)]
struct EvidencePart {
    id: String,
    log_odds: f64,
    text: String,
}

#[derive(Debug, Deserialize)]
struct ClusterPart {
    members: u64,
}

/// One question: an alert and what fpx (or an analyst) concluded of it.
#[derive(Debug)]
struct Question {
    index: u64,
    members: u64,
    alert: AlertPart,
    verdict: String,
    p: f64,
    cause: Option<String>,
    evidence: Vec<EvidencePart>,
    /// An analyst's recorded verdict about it, which the answer is checked against.
    analyst: Option<&'static str>,
}

/// Collects, from the JSON report as it is written, the first alert of each cluster.
#[derive(Default)]
struct Collect {
    line: Vec<u8>,
    by_cluster: HashMap<String, Question>,
    order: Vec<String>,
}

impl Collect {
    fn take(&mut self, bytes: &[u8]) {
        let Ok(l) = serde_json::from_slice::<Line>(bytes) else {
            return;
        };
        if l.kind != "alert" {
            return;
        }
        let (Some(alert), Some(verdict)) = (l.alert, l.verdict) else {
            return;
        };
        let key = l.cluster.unwrap_or_else(|| format!("alert {}", l.index));
        if self.by_cluster.contains_key(&key) || self.by_cluster.len() >= MAX_KEPT {
            return;
        }
        let analyst = l.evidence.iter().find_map(|e| match e.id.as_str() {
            "analyst-called-it-an-attack" => Some("true_positive"),
            id if id.starts_with("analyst-called-it-benign") => Some("benign"),
            _ => None,
        });
        self.order.push(key.clone());
        self.by_cluster.insert(
            key,
            Question {
                index: l.index,
                members: l.cluster_verdict.map_or(1, |c| c.members),
                alert,
                verdict,
                p: l.fp_probability.unwrap_or(0.5),
                cause: l.root_cause.map(|c| c.summary),
                evidence: l.evidence,
                analyst,
            },
        );
    }
}

impl Write for Collect {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..i]);
            let line = std::mem::take(&mut self.line);
            self.take(&line);
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a session scored.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    pub asked: usize,
    pub points: f64,
    pub possible: f64,
}

/// A verdict as typed: `fp`, `benign`, `tp`, `?` or the full names.
fn read_verdict(s: &str) -> Option<&'static str> {
    match s.trim().to_ascii_lowercase().as_str() {
        "fp" | "f" | "false_positive" | "false positive" => Some("false_positive"),
        "benign" | "b" | "bt" | "benign_trigger" | "benign trigger" => Some("benign_trigger"),
        "tp" | "t" | "true_positive" | "true positive" | "attack" => Some("true_positive"),
        "?" | "u" | "undetermined" => Some("undetermined"),
        _ => None,
    }
}

fn is_benign(v: &str) -> bool {
    v == "false_positive" || v == "benign_trigger" || v == "benign"
}

/// Points for a verdict: 1 when it is the expected one, ½ for the other benign verdict
/// (false positive and benign trigger both mean "not an attack").
fn verdict_points(given: &str, expected: &str) -> f64 {
    if given == expected || (expected == "benign" && is_benign(given)) {
        1.0
    } else if is_benign(given) && is_benign(expected) {
        0.5
    } else {
        0.0
    }
}

/// Where answers come from: lines of a file or of the terminal, comments and blank lines
/// skipped in a file.
struct Answers<'a> {
    input: &'a mut dyn BufRead,
    file: bool,
}

impl Answers<'_> {
    fn next(&mut self) -> Option<String> {
        loop {
            let mut l = String::new();
            match self.input.read_line(&mut l) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let t = l.trim();
            if self.file && (t.is_empty() || t.starts_with('#')) {
                continue;
            }
            return Some(t.to_string());
        }
    }
}

/// A small deterministic shuffle (the same dump gives the same quiz).
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Runs a session: reads the dump, asks, checks, explains, and returns the score.
pub fn run(
    cfg: &TrainConfig,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<Score, String> {
    let mut ecfg = cfg.explain.clone();
    ecfg.format = Format::Json;
    ecfg.clusters_only = false;
    let mut collect = Collect::default();
    let summary =
        crate::explain::run(&ecfg, &mut collect, &mut io::sink()).map_err(|e| e.to_string())?;
    if let Some((path, why)) = summary.errors.first() {
        return Err(format!("{path}: {why}"));
    }
    let mut questions: Vec<Question> = collect
        .order
        .iter()
        .filter_map(|k| collect.by_cluster.remove(k))
        .collect();
    questions.sort_by(|a, b| b.members.cmp(&a.members).then(a.index.cmp(&b.index)));
    questions.truncate(cfg.questions.max(1));
    if questions.is_empty() {
        return Err("no alert in the input to ask about".into());
    }
    let causes: Vec<String> = {
        let mut c: Vec<String> = questions.iter().filter_map(|q| q.cause.clone()).collect();
        c.dedup();
        c
    };
    let mut answers = Answers {
        input,
        file: cfg.answers.is_some(),
    };
    let mut score = Score::default();
    let w =
        |out: &mut dyn Write, s: &str| writeln!(out, "{}", terminal(s)).map_err(|e| e.to_string());
    w(
        out,
        &format!(
            "fpx train: {} questions, one per root cause, largest first. Answer the verdict (fp, benign, tp or ?), then the root cause by its number.",
            questions.len()
        ),
    )?;
    let total = questions.len();
    for (n, q) in questions.iter().enumerate() {
        let a = &q.alert;
        let endpoint = |ip: &Option<String>, port: Option<u16>| match (ip, port) {
            (Some(i), Some(p)) => format!("{i}:{p}"),
            (Some(i), None) => i.clone(),
            _ => "?".into(),
        };
        w(out, "")?;
        w(
            out,
            &format!(
                "question {}/{total} (alert {}, one of {} like it)",
                n + 1,
                q.index,
                q.members
            ),
        )?;
        w(
            out,
            &format!(
                "  [{}:{}] {}",
                a.gid,
                a.sid.map_or("?".into(), |s| s.to_string()),
                a.msg.as_deref().unwrap_or("(no message)")
            ),
        )?;
        w(
            out,
            &format!(
                "  {} {} -> {}, {}, {} bytes of payload",
                a.proto.as_deref().unwrap_or("?"),
                endpoint(&a.src_ip, a.src_port),
                endpoint(&a.dest_ip, a.dest_port),
                a.timestamp_utc.as_deref().unwrap_or("time unknown"),
                a.payload_len.unwrap_or(0)
            ),
        )?;
        // The verdict.
        let expected = q.analyst.unwrap_or(q.verdict.as_str());
        let given = loop {
            write!(out, "verdict? [fp/benign/tp/?] ").map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            let Some(line) = answers.next() else {
                return finish(out, score, true);
            };
            match read_verdict(&line) {
                Some(v) => break v,
                None => w(out, &format!("  {line:?}: answer fp, benign, tp or ?"))?,
            }
        };
        // The terminal echoes a typed answer; one read from a file is shown for the record.
        if answers.file {
            w(out, given)?;
        }
        let pts = verdict_points(given, expected);
        score.points += pts;
        score.possible += 1.0;
        let whose = if q.analyst.is_some() {
            "an analyst recorded"
        } else {
            "fpx says"
        };
        w(
            out,
            &format!(
                "  {}: {whose} {} (fp_probability {:.2})",
                match pts {
                    p if p >= 1.0 => "right",
                    p if p > 0.0 => "half right",
                    _ => "not quite",
                },
                if expected == "benign" {
                    "benign (false positive or benign trigger)"
                } else {
                    expected
                },
                q.p
            ),
        )?;
        // The root cause, among a few.
        if let Some(right) = &q.cause {
            let mut options: Vec<&String> = causes.iter().filter(|c| *c != right).collect();
            shuffle(
                &mut options,
                q.index.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            );
            options.truncate(CHOICES - 1);
            options.push(right);
            shuffle(
                &mut options,
                q.index.wrapping_add(7).wrapping_mul(0x2545_f491_4f6c_dd1d) | 1,
            );
            if options.len() > 1 {
                w(out, "root cause?")?;
                for (i, o) in options.iter().enumerate() {
                    w(out, &format!("  {}. {o}", i + 1))?;
                }
                let pick = loop {
                    write!(out, "number? ").map_err(|e| e.to_string())?;
                    out.flush().map_err(|e| e.to_string())?;
                    let Some(line) = answers.next() else {
                        return finish(out, score, true);
                    };
                    match line.trim().parse::<usize>() {
                        Ok(k) if (1..=options.len()).contains(&k) => break k,
                        _ => w(
                            out,
                            &format!("  {line:?}: a number from 1 to {}", options.len()),
                        )?,
                    }
                };
                if answers.file {
                    w(out, &pick.to_string())?;
                }
                score.possible += 1.0;
                if options[pick - 1] == right {
                    score.points += 1.0;
                    w(out, "  right.")?;
                } else {
                    w(
                        out,
                        &format!(
                            "  not quite: it is {}.",
                            options
                                .iter()
                                .position(|o| *o == right)
                                .map_or(0, |i| i + 1)
                        ),
                    )?;
                }
            }
            w(out, &format!("  root cause: {right}"))?;
        }
        // Why, in fpx's words: the strongest evidence.
        for e in q.evidence.iter().take(2) {
            w(out, &format!("  {:+.1} {}: {}", e.log_odds, e.id, e.text))?;
        }
        score.asked += 1;
    }
    finish(out, score, false)
}

fn finish(out: &mut dyn Write, score: Score, early: bool) -> Result<Score, String> {
    writeln!(
        out,
        "\n{}score: {} of {} points over {} questions",
        if early { "no more answers; " } else { "" },
        score.points,
        score.possible,
        score.asked
    )
    .map_err(|e| e.to_string())?;
    Ok(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_points() {
        assert_eq!(read_verdict(" FP "), Some("false_positive"));
        assert_eq!(read_verdict("?"), Some("undetermined"));
        assert_eq!(read_verdict("maybe"), None);
        assert_eq!(verdict_points("false_positive", "false_positive"), 1.0);
        assert_eq!(verdict_points("benign_trigger", "false_positive"), 0.5);
        assert_eq!(verdict_points("benign_trigger", "benign"), 1.0);
        assert_eq!(verdict_points("true_positive", "false_positive"), 0.0);
        let mut v = vec![1, 2, 3, 4, 5];
        shuffle(&mut v, 42);
        let mut s = v.clone();
        s.sort();
        assert_eq!(s, vec![1, 2, 3, 4, 5]);
    }
}
