//! The `verdict` job: records an analyst's verdict in a feedback file (JSON lines, appended),
//! which later runs read with `--feedback` (see [`crate::state::feedback`]).
//!
//! A verdict names what it is about: a signature (`--sid`), a host (`--host`), or both; or a
//! cluster or an alert of an `fpx explain --format json` report, whose signature and hosts are
//! then copied into the line, so that it still means the same traffic when the report is gone.

use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::time::Rfc3339;
use crate::state::feedback::{AnalystVerdict, Entry};

/// A validated `fpx verdict`.
#[derive(Clone, Debug)]
pub struct VerdictConfig {
    pub feedback: PathBuf,
    pub verdict: AnalystVerdict,
    pub sid: Option<(u32, u32)>,
    pub host: Option<IpAddr>,
    pub cluster: Option<String>,
    pub alert: Option<u64>,
    pub report: Option<PathBuf>,
    pub note: Option<String>,
    pub analyst: String,
}

/// Reads `SID` or `GID:SID`.
pub fn parse_sid(s: &str) -> Result<(u32, u32), String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u32>()
            .map_err(|_| format!("--sid {s:?}: {t:?} is not a number"))
    };
    match s.split_once(':') {
        Some((g, sid)) => Ok((num(g)?, num(sid)?)),
        None => Ok((1, num(s)?)),
    }
}

/// The line of a report whose `kind` is `kind` and whose `key` is `want`.
fn find_line(report: &Path, kind: &str, key: &str, want: &Value) -> Result<Value, String> {
    let name = report.display();
    let f = std::fs::File::open(report).map_err(|e| format!("{name}: {e}"))?;
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("{name}: line {}: {e}", i + 1))?;
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| format!("{name}: line {}: not fpx JSON output: {e}", i + 1))?;
        if v["kind"] == kind && v[key] == *want {
            return Ok(v);
        }
    }
    Err(format!("{name}: no {kind} with {key} {want}"))
}

/// Every host a cluster line lists on one side, when it lists them all.
fn side_hosts(c: &Value, side: &str, id: &str) -> Result<Vec<IpAddr>, String> {
    let s = &c[side];
    let count = s["count"].as_u64().unwrap_or(0);
    let ex: Vec<&str> = s["examples"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if s["estimated"] == true || ex.len() as u64 != count {
        return Err(format!(
            "cluster {id} has {count} {side} and the report lists {}: give --host for the one you mean",
            ex.len()
        ));
    }
    ex.iter()
        .map(|h| {
            h.parse::<IpAddr>().map_err(|_| {
                format!("cluster {id}: {h:?} among its {side} is no address: give --host")
            })
        })
        .collect()
}

/// The line to append, with what a cluster or alert of the report says.
pub fn entry(cfg: &VerdictConfig, now_micros: i64) -> Result<Entry, String> {
    let mut e = Entry {
        recorded: Rfc3339(now_micros).to_string(),
        analyst: cfg.analyst.clone(),
        verdict: cfg.verdict,
        gid: cfg.sid.map(|(g, _)| g),
        sid: cfg.sid.map(|(_, s)| s),
        host: cfg.host,
        src: Vec::new(),
        dst: Vec::new(),
        cluster: cfg.cluster.clone(),
        alert: None,
        note: cfg.note.clone(),
    };
    let signature = |e: &mut Entry, gid: &Value, sid: &Value| -> Result<(), String> {
        let (Some(g), Some(s)) = (gid.as_u64(), sid.as_u64()) else {
            return Ok(());
        };
        let (g, s) = (g as u32, s as u32);
        match (e.gid, e.sid) {
            (Some(eg), Some(es)) if (eg, es) != (g, s) => Err(format!(
                "--sid {eg}:{es} is not the report's signature {g}:{s}"
            )),
            _ => {
                e.gid = Some(g);
                e.sid = Some(s);
                Ok(())
            }
        }
    };
    if let (Some(id), Some(report)) = (&cfg.cluster, &cfg.report) {
        let c = find_line(report, "cluster", "id", &Value::String(id.clone()))?;
        signature(&mut e, &c["gid"], &c["sid"])?;
        e.src = side_hosts(&c, "sources", id)?;
        e.dst = side_hosts(&c, "destinations", id)?;
    }
    if let (Some(n), Some(report)) = (cfg.alert, &cfg.report) {
        let a = find_line(report, "alert", "index", &Value::from(n))?;
        let al = &a["alert"];
        signature(&mut e, &al["gid"], &al["sid"])?;
        let ip = |k: &str| al[k].as_str().and_then(|s| s.parse::<IpAddr>().ok());
        e.src = ip("src_ip").into_iter().collect();
        e.dst = ip("dest_ip").into_iter().collect();
        let src = &a["source"];
        e.alert = Some(format!(
            "{}:{}",
            src["path"].as_str().unwrap_or("?"),
            src["line"]
                .as_u64()
                .or(src["offset"].as_u64())
                .map_or_else(|| "?".into(), |n| n.to_string())
        ));
    }
    e.validate()?;
    Ok(e)
}

/// Appends the verdict to the feedback file, and returns the line written.
pub fn run(cfg: &VerdictConfig) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    let e = entry(cfg, now)?;
    let mut buf = Vec::new();
    crate::report::json::to_line(&mut buf, &e).map_err(|e| e.to_string())?;
    let line = String::from_utf8(buf).map_err(|e| e.to_string())?;
    let name = cfg.feedback.display();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&cfg.feedback)
        .map_err(|e| format!("{name}: {e}"))?;
    writeln!(f, "{line}").map_err(|e| format!("{name}: {e}"))?;
    Ok(line)
}
