//! The `eval` job: how right fpx is on a labelled set. Each scenario of the label file names
//! its inputs, the arguments it is explained with, and what each of its alerts truly is (by
//! how the traffic was made); the job explains every scenario as `fpx explain` would and
//! compares: accuracy, the Brier score and ROC AUC of `fp_probability` against the truth, a
//! reliability table, the root causes named, and the worst misses.
//!
//! The truth is binary for the scores: an alert is benign (false positive or benign
//! trigger) or an attack (true positive). `fp_probability` is the predicted chance of benign.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A label file: `[[scenario]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub scenario: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub summary: String,
    /// Inputs relative to the label file's folder.
    pub inputs: Vec<String>,
    /// Extra `fpx explain` arguments; paths in them are relative to the label file's folder.
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub engine: Option<String>,
    pub expect: Vec<Expect>,
}

/// What the alerts a filter selects truly are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `gid:sid`.
    pub sid: String,
    #[serde(default)]
    pub src: Option<String>,
    #[serde(default)]
    pub dst: Option<String>,
    #[serde(default)]
    pub dest_port: Option<u16>,
    pub verdict: String,
    /// What names the root cause (for benign alerts): alternatives, each an evidence id or a
    /// word or phrase that a correct explanation's root cause contains.
    #[serde(default)]
    pub causes: Vec<String>,
    pub why: String,
}

impl Expect {
    fn matches(&self, a: &serde_json::Value) -> bool {
        let al = &a["alert"];
        let sig = format!(
            "{}:{}",
            al["gid"].as_u64().unwrap_or(1),
            al["sid"]
                .as_u64()
                .map_or_else(|| "?".into(), |s| s.to_string())
        );
        sig == self.sid
            && self.src.as_deref().is_none_or(|s| al["src_ip"] == s)
            && self.dst.as_deref().is_none_or(|d| al["dest_ip"] == d)
            && self.dest_port.is_none_or(|p| al["dest_port"] == p)
    }

    /// Whether the root cause (its id and summary) names one of the labelled causes: equal to
    /// the id, or contained in the id or summary, case-insensitively. Labels are written from
    /// how the traffic was made, in an analyst's words, not in fpx's evidence ids.
    fn names_cause(&self, root: &serde_json::Value) -> bool {
        let id = root["id"].as_str().unwrap_or("").to_lowercase();
        let summary = root["summary"].as_str().unwrap_or("").to_lowercase();
        if id.is_empty() && summary.is_empty() {
            return false;
        }
        self.causes.iter().any(|c| {
            let c = c.to_lowercase();
            !c.is_empty() && (id == c || id.contains(&c) || summary.contains(&c))
        })
    }

    fn benign(&self) -> bool {
        self.verdict != "true_positive"
    }
}

/// One labelled alert and what fpx said of it.
#[derive(Clone, Debug, Serialize)]
pub struct Judged {
    pub scenario: String,
    pub signature: String,
    pub msg: String,
    pub truth: String,
    pub verdict: String,
    pub fp_probability: f64,
    pub root_cause: Option<String>,
    /// For a benign truth with causes listed: whether fpx's root cause names one of them.
    pub cause_named: Option<bool>,
}

/// A bin of the reliability table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub alerts: u64,
    pub mean_fp_probability: f64,
    pub benign_share: f64,
}

/// The result of an evaluation.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub scenarios: usize,
    pub alerts: usize,
    pub by_truth: BTreeMap<String, u64>,
    pub by_verdict: BTreeMap<String, u64>,
    /// Decided and right (benign for benign, true_positive for attacks), over all alerts.
    pub accuracy: f64,
    /// Decided (not undetermined), over all alerts.
    pub decided: f64,
    pub brier: f64,
    pub roc_auc: f64,
    pub reliability: Vec<Bin>,
    /// Benign alerts whose label lists causes, and how many of them fpx names.
    pub causes_labelled: u64,
    pub causes_named: u64,
    /// Attacks fpx gives fp_probability ≥ 0.8.
    pub confident_misses: Vec<Judged>,
    pub worst: Vec<Judged>,
    /// Label problems: an alert no expect matches, an expect no alert matches, runs that failed.
    pub problems: Vec<String>,
}

/// How many misses are listed.
const WORST: usize = 10;

/// Reads a label file.
pub fn load(path: &Path) -> Result<Labels, String> {
    let text =
        crate::input::limits::read_text(path, crate::input::limits::MAX_TOML_FILE, "label file")
            .map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Explains one scenario as `fpx explain --format json` and returns its output lines.
fn explain(s: &Scenario, base: &Path) -> Result<Vec<serde_json::Value>, String> {
    use clap::Parser;
    let rel = |p: &str| -> String {
        if Path::new(p).is_absolute() || p.starts_with('-') {
            p.to_string()
        } else {
            base.join(p).display().to_string()
        }
    };
    let mut argv: Vec<String> = vec![
        "fpx".into(),
        "explain".into(),
        "--format".into(),
        "json".into(),
    ];
    // Arguments that are paths are taken relative to the label file.
    let mut path_next = false;
    for a in &s.args {
        argv.push(if path_next { rel(a) } else { a.clone() });
        path_next = matches!(
            a.as_str(),
            "--pcap"
                | "--rules"
                | "--sid-msg-map"
                | "--classification-config"
                | "--reference-config"
                | "--vars"
                | "--feedback"
                | "--knowledge"
                | "--evidence-rules"
        );
    }
    argv.extend(s.inputs.iter().map(|i| rel(i)));
    let flags = crate::cli::Flags::try_parse_from(&argv).map_err(|e| e.to_string())?;
    let crate::cli::Command::Explain(f) = flags.command else {
        return Err("not an explain command".into());
    };
    let cfg = f.into_config()?;
    let mut out = Vec::new();
    let summary =
        crate::explain::run(&cfg, &mut out, &mut std::io::sink()).map_err(|e| e.to_string())?;
    if !summary.errors.is_empty() {
        return Err(format!("{:?}", summary.errors));
    }
    String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
        .collect()
}

/// ROC AUC of `p` as a score for `benign`: the chance that a random benign alert scores above
/// a random attack (ties count half).
fn roc_auc(points: &[(f64, bool)]) -> f64 {
    let benign: Vec<f64> = points.iter().filter(|p| p.1).map(|p| p.0).collect();
    let attacks: Vec<f64> = points.iter().filter(|p| !p.1).map(|p| p.0).collect();
    if benign.is_empty() || attacks.is_empty() {
        return f64::NAN;
    }
    let mut wins = 0.0;
    for b in &benign {
        for a in &attacks {
            wins += if b > a {
                1.0
            } else if b == a {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (benign.len() * attacks.len()) as f64
}

/// Evaluates fpx on the label file at `path`.
pub fn run(path: &Path) -> Result<Report, String> {
    let labels = load(path)?;
    let base: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut report = Report {
        scenarios: labels.scenario.len(),
        ..Report::default()
    };
    let mut judged: Vec<(Judged, bool)> = Vec::new();
    for s in &labels.scenario {
        let lines = match explain(s, &base) {
            Ok(l) => l,
            Err(e) => {
                report.problems.push(format!("{}: {e}", s.id));
                continue;
            }
        };
        let mut used = vec![false; s.expect.len()];
        for a in lines.iter().filter(|l| l["kind"] == "alert") {
            let Some(i) = s.expect.iter().position(|x| x.matches(a)) else {
                report.problems.push(format!(
                    "{}: alert {} ({} {} -> {}) matches no expect",
                    s.id,
                    a["index"],
                    a["alert"]["sid"],
                    a["alert"]["src_ip"],
                    a["alert"]["dest_ip"]
                ));
                continue;
            };
            used[i] = true;
            let x = &s.expect[i];
            let root = a["root_cause"]["id"].as_str().map(str::to_string);
            let named =
                (x.benign() && !x.causes.is_empty()).then(|| x.names_cause(&a["root_cause"]));
            judged.push((
                Judged {
                    scenario: s.id.clone(),
                    signature: x.sid.clone(),
                    msg: a["alert"]["msg"].as_str().unwrap_or("").to_string(),
                    truth: x.verdict.clone(),
                    verdict: a["verdict"].as_str().unwrap_or("?").to_string(),
                    fp_probability: a["fp_probability"].as_f64().unwrap_or(0.5),
                    root_cause: root,
                    cause_named: named,
                },
                x.benign(),
            ));
        }
        for (x, u) in s.expect.iter().zip(used) {
            if !u {
                report.problems.push(format!(
                    "{}: no alert of {} matches its expect ({})",
                    s.id, x.sid, x.verdict
                ));
            }
        }
    }
    let n = judged.len();
    report.alerts = n;
    if n == 0 {
        return Ok(report);
    }
    let benign_verdict = |v: &str| v == "false_positive" || v == "benign_trigger";
    let mut right = 0usize;
    let mut decided = 0usize;
    let mut brier = 0.0;
    for (j, benign) in &judged {
        *report.by_truth.entry(j.truth.clone()).or_default() += 1;
        *report.by_verdict.entry(j.verdict.clone()).or_default() += 1;
        if j.verdict != "undetermined" {
            decided += 1;
            if benign_verdict(&j.verdict) == *benign {
                right += 1;
            }
        }
        let y = if *benign { 1.0 } else { 0.0 };
        brier += (j.fp_probability - y).powi(2);
        if let Some(named) = j.cause_named {
            report.causes_labelled += 1;
            report.causes_named += u64::from(named);
        }
        if !benign && j.fp_probability >= 0.8 {
            report.confident_misses.push(j.clone());
        }
    }
    report.accuracy = right as f64 / n as f64;
    report.decided = decided as f64 / n as f64;
    report.brier = brier / n as f64;
    let points: Vec<(f64, bool)> = judged.iter().map(|(j, b)| (j.fp_probability, *b)).collect();
    report.roc_auc = roc_auc(&points);
    for k in 0..10 {
        let (from, to) = (k as f64 / 10.0, (k + 1) as f64 / 10.0);
        let inside: Vec<&(f64, bool)> = points
            .iter()
            .filter(|(p, _)| *p >= from && (*p < to || (k == 9 && *p <= 1.0)))
            .collect();
        let count = inside.len();
        report.reliability.push(Bin {
            from,
            to,
            alerts: count as u64,
            mean_fp_probability: if count == 0 {
                0.0
            } else {
                inside.iter().map(|(p, _)| p).sum::<f64>() / count as f64
            },
            benign_share: if count == 0 {
                0.0
            } else {
                inside.iter().filter(|(_, b)| *b).count() as f64 / count as f64
            },
        });
    }
    let mut by_miss: Vec<&(Judged, bool)> = judged.iter().collect();
    by_miss.sort_by(|a, b| {
        let miss = |(j, benign): &&(Judged, bool)| {
            (j.fp_probability - if *benign { 1.0 } else { 0.0 }).abs()
        };
        miss(b).total_cmp(&miss(a))
    });
    report.worst = by_miss
        .into_iter()
        .take(WORST)
        .map(|(j, _)| j.clone())
        .collect();
    Ok(report)
}

impl Report {
    /// The report as text.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "fpx eval: {} scenarios, {} labelled alerts",
            self.scenarios, self.alerts
        );
        let counts = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(o, "truth: {}", counts(&self.by_truth));
        let _ = writeln!(o, "fpx:   {}", counts(&self.by_verdict));
        let _ = writeln!(
            o,
            "accuracy {:.3} (decided {:.3}), Brier {:.4}, ROC AUC {:.4}",
            self.accuracy, self.decided, self.brier, self.roc_auc
        );
        let _ = writeln!(
            o,
            "root cause named for {} of {} benign alerts whose label names it",
            self.causes_named, self.causes_labelled
        );
        let _ = writeln!(
            o,
            "reliability (fp_probability bin: alerts, mean predicted, observed benign share):"
        );
        for b in &self.reliability {
            let _ = writeln!(
                o,
                "  {:.1}-{:.1}: {:4}  {:.3}  {:.3}",
                b.from, b.to, b.alerts, b.mean_fp_probability, b.benign_share
            );
        }
        let _ = writeln!(
            o,
            "attacks with fp_probability >= 0.8: {}",
            self.confident_misses.len()
        );
        for j in &self.confident_misses {
            let _ = writeln!(
                o,
                "  {} {} {:.3} ({})",
                j.scenario, j.signature, j.fp_probability, j.verdict
            );
        }
        let _ = writeln!(o, "worst misses:");
        for j in &self.worst {
            let _ = writeln!(
                o,
                "  {} [{}] truth {} fpx {} {:.3} root cause {}",
                j.scenario,
                j.signature,
                j.truth,
                j.verdict,
                j.fp_probability,
                j.root_cause.as_deref().unwrap_or("-")
            );
        }
        for p in &self.problems {
            let _ = writeln!(o, "problem: {p}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_and_ties() {
        assert_eq!(roc_auc(&[(0.9, true), (0.1, false)]), 1.0);
        assert_eq!(roc_auc(&[(0.1, true), (0.9, false)]), 0.0);
        assert_eq!(roc_auc(&[(0.5, true), (0.5, false)]), 0.5);
        assert!(roc_auc(&[(0.5, true)]).is_nan());
    }

    #[test]
    fn causes_are_named_by_id_or_words() {
        let x = Expect {
            sid: "1:1".into(),
            src: None,
            dst: None,
            dest_port: None,
            verdict: "false_positive".into(),
            causes: vec!["LLMNR".into(), "link-local multicast".into()],
            why: String::new(),
        };
        let root = |id: &str, s: &str| serde_json::json!({"id": id, "summary": s});
        assert!(x.names_cause(&root("llmnr-query", "")));
        assert!(x.names_cause(&root("x", "224.0.0.252 is Link-Local Multicast")));
        assert!(!x.names_cause(&root("ephemeral-port", "a client port")));
        assert!(!x.names_cause(&serde_json::Value::Null));
    }
}
