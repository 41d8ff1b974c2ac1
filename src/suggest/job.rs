//! The `suggest` job: runs `explain` over the inputs, then prints every cluster's suggested
//! changes grouped per engine file, ready to paste, and (`--dry-run`) what each suppression
//! and filter line would hide in the same dump, and (`--threshold FILE`) what the user's own
//! lines would.
//!
//! Every line fpx prints for a file it can read is read back with the project's parsers
//! before the dry run uses it: a line fpx cannot read back is reported as an error, not
//! printed as a suggestion.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::explain::{self, ExplainConfig, Outcome, SetupError, Suggested};
use crate::model::Engine;
use crate::report::escape::terminal;
use crate::report::json::{suggestion_out, ErrorOut, SuggestionOut};
use crate::report::Format;

use super::dry_run::{self, DryRun, LineResult};
use super::threshold::{self, Line};
use super::{lua, Change, Rendered, Suggestion};

/// A validated configuration for `suggest`.
#[derive(Clone, Debug)]
pub struct SuggestConfig {
    pub explain: ExplainConfig,
    /// Report what each emitted suppression and filter line hides in the dump.
    pub dry_run: bool,
    /// The user's own threshold.config / threshold.conf / Snort 3 Lua files to dry-run.
    pub thresholds: Vec<PathBuf>,
}

/// What the job found, for the exit code and the tests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SuggestSummary {
    pub alerts: u64,
    pub clusters: u64,
    pub changes: u64,
    /// Unreadable inputs, threshold files and lines, and lines fpx wrote but cannot read back.
    pub errors: Vec<(String, String)>,
}

/// One suggestion rendered for the engine, with the line the dry run read back from it.
struct Entry<'s> {
    from: &'s Suggested,
    suggestion: &'s Suggestion,
    rendered: Option<Rendered>,
    /// Indices into the dry run's lines, for the rendered lines it reads.
    dry: Vec<usize>,
}

/// The file groups, in the order they are printed: suppressions first (narrowest), then the
/// rule changes, then what changes nothing.
const FILE_ORDER: &[&str] = &[
    "threshold.config",
    "threshold.conf",
    "snort.lua",
    "disable.conf",
    "modify.conf",
    "local.rules",
    "suricata.yaml",
    "snort.conf",
    "update",
];

fn file_rank(file: Option<&str>) -> usize {
    file.and_then(|f| FILE_ORDER.iter().position(|x| *x == f))
        .unwrap_or(FILE_ORDER.len())
}

/// The engine the suggestions are written for: the configured one, else the one most
/// clusters' alerts came from, else Suricata.
fn engine_of(cfg: &ExplainConfig, suggested: &[Suggested]) -> Engine {
    if let Some(e) = cfg.engine {
        return e;
    }
    let count = |e: Engine| suggested.iter().filter(|s| s.engine == e).count();
    [Engine::Suricata, Engine::Snort3, Engine::Snort2]
        .into_iter()
        .max_by_key(|e| count(*e))
        .filter(|e| count(*e) > 0)
        .unwrap_or(Engine::Suricata)
}

/// The lines of a rendered suggestion the dry run can apply, read back with the parsers of
/// its dialect. `Err` holds a line fpx wrote and cannot read.
fn read_back(r: &Rendered, change: &Change) -> Vec<Result<Line, String>> {
    match (r.file, r.table) {
        ("threshold.config" | "threshold.conf", _) => r
            .lines
            .iter()
            .map(|l| {
                threshold::parse_line_for(l, r.engine)
                    .and_then(|x| x.ok_or_else(|| "an empty line".to_string()))
                    .map_err(|e| format!("{l}: {e}"))
            })
            .collect(),
        (_, Some(table)) => r
            .lines
            .iter()
            .map(|l| {
                let mut got = lua::parse(&format!("{table} =\n{{\n    {l}\n}}\n"));
                match (got.pop(), got.is_empty()) {
                    (Some((_, r)), true) => r.map_err(|e| format!("{l}: {e}")),
                    _ => Err(format!("{l}: not one {table} entry")),
                }
            })
            .collect(),
        // suricata-update drops the rule: for the dry run, the same as an untracked suppress.
        ("disable.conf", _) => match change {
            Change::Disable { gid, sid } if r.lines == [format!("{gid}:{sid}")] => {
                vec![Ok(Line::Suppress {
                    gid: *gid,
                    sid: *sid,
                    track: None,
                    ip: None,
                })]
            }
            _ => vec![Err(format!("{:?}: not a gid:sid line", r.lines))],
        },
        _ => Vec::new(),
    }
}

/// Reads a user's file of suppressions: Snort 3 Lua when it assigns a `suppress` or
/// `event_filter` table, else threshold.config / threshold.conf lines in `engine`'s dialect.
fn read_threshold_file(
    text: &str,
    path: &str,
    engine: Engine,
) -> Vec<(usize, Result<Line, String>)> {
    let lua = path.ends_with(".lua")
        || text.lines().any(|l| {
            let t = l.trim_start();
            ["suppress", "event_filter"].iter().any(|n| {
                t.strip_prefix(n)
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
        });
    if lua {
        lua::parse(text)
    } else {
        threshold::parse_file(
            text,
            if engine == Engine::Snort2 {
                Engine::Snort2
            } else {
                Engine::Suricata
            },
        )
    }
}

/// A user's line and its dry-run result.
struct UserLine {
    path: String,
    line: usize,
    result: Result<LineResult, String>,
}

/// Runs `suggest`, writing the changes to `out` and warnings to `warn`.
pub fn run<W: Write>(
    cfg: &SuggestConfig,
    out: W,
    warn: &mut dyn Write,
) -> Result<SuggestSummary, SetupError> {
    let mut ecfg = cfg.explain.clone();
    ecfg.clusters_only = true;
    ecfg.collect = true;
    let outcome = explain::run_collecting(&ecfg, io::sink(), warn)?;
    let engine = engine_of(&cfg.explain, &outcome.suggested);
    let mut summary = SuggestSummary {
        alerts: outcome.summary.alerts,
        clusters: outcome.summary.clusters,
        errors: outcome.summary.errors.clone(),
        ..SuggestSummary::default()
    };

    // Render, read back, and dry-run fpx's own lines.
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut own: Vec<Line> = Vec::new();
    for s in &outcome.suggested {
        for sg in &s.suggestions {
            let rendered = sg.render(engine);
            // A change the engine has no file for (modify.conf for Snort, a Snort 3 rule copy
            // for Suricata) is not one to paste there.
            if rendered.is_none() && !matches!(sg.change, Change::Investigate { .. }) {
                continue;
            }
            let mut dry = Vec::new();
            if let Some(r) = &rendered {
                for l in read_back(r, &sg.change) {
                    match l {
                        Ok(line) => {
                            dry.push(own.len());
                            own.push(line);
                        }
                        Err(e) => summary.errors.push((
                            r.file.to_string(),
                            format!("fpx wrote a line it cannot read back: {e}"),
                        )),
                    }
                }
            }
            entries.push(Entry {
                from: s,
                suggestion: sg,
                rendered,
                dry,
            });
        }
    }
    summary.changes = entries
        .iter()
        .filter(|e| !matches!(e.suggestion.change, Change::Investigate { .. }))
        .count() as u64;
    entries.sort_by_key(|e| file_rank(e.rendered.as_ref().map(|r| r.file)));
    let own_run = dry_run::run(&own, &outcome.alerts, &outcome.vars);

    // The user's files.
    let mut user: Vec<UserLine> = Vec::new();
    let mut user_lines: Vec<Line> = Vec::new();
    for p in &cfg.thresholds {
        let path = p.display().to_string();
        let text = match crate::input::limits::read_text(
            p,
            crate::input::limits::MAX_CONFIG_FILE,
            "threshold file",
        ) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(warn, "fpx: {}: {e}", terminal(&path));
                summary.errors.push((path, e.to_string()));
                continue;
            }
        };
        for (line, r) in read_threshold_file(&text, &path, engine) {
            match r {
                Ok(l) => {
                    user.push(UserLine {
                        path: path.clone(),
                        line,
                        result: Ok(LineResult {
                            hidden: 0,
                            risky: 0,
                            never: None,
                        }),
                    });
                    user_lines.push(l);
                }
                Err(e) => {
                    summary
                        .errors
                        .push((format!("{path}:{line}"), format!("unreadable: {e}")));
                    user.push(UserLine {
                        path: path.clone(),
                        line,
                        result: Err(e),
                    });
                }
            }
        }
    }
    let user_run = dry_run::run(&user_lines, &outcome.alerts, &outcome.vars);
    let mut results = user_run.lines.iter();
    for u in user.iter_mut() {
        if u.result.is_ok() {
            if let Some(r) = results.next() {
                u.result = Ok(r.clone());
            }
        }
    }

    let report = Report {
        cfg,
        engine,
        outcome: &outcome,
        entries: &entries,
        own: &own_run,
        user: &user,
        user_run: &user_run,
        summary: &summary,
    };
    let written = match cfg.explain.format {
        // `fpx suggest --format md|html` is refused when the flags are read.
        Format::Text | Format::Markdown | Format::Html => {
            report.text(crate::report::escape::TerminalWriter::new(out))
        }
        Format::Json => report.json(out),
    };
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            let _ = writeln!(warn, "fpx: writing output: {e}");
            summary
                .errors
                .push(("-".into(), format!("writing output: {e}")));
        }
        _ => {}
    }
    Ok(summary)
}

struct Report<'r, 's> {
    cfg: &'r SuggestConfig,
    engine: Engine,
    outcome: &'r Outcome,
    entries: &'r [Entry<'s>],
    own: &'r DryRun,
    user: &'r [UserLine],
    user_run: &'r DryRun,
    summary: &'r SuggestSummary,
}

/// The comment marker of a file.
fn comment(file: Option<&str>) -> &'static str {
    match file {
        Some("snort.lua") => "--",
        _ => "#",
    }
}

impl Report<'_, '_> {
    /// The dry-run totals of an entry's lines: hidden and risky, summed over its lines.
    fn own_counts(&self, e: &Entry<'_>) -> Option<(u64, u64)> {
        if e.dry.is_empty() {
            return None;
        }
        Some(e.dry.iter().fold((0, 0), |(h, r), i| {
            let l = &self.own.lines[*i];
            (h + l.hidden, r + l.risky)
        }))
    }

    fn text<W: Write>(&self, mut o: W) -> io::Result<()> {
        let s = &self.outcome.summary;
        writeln!(
            o,
            "# fpx suggest: {} alerts, {} clusters; {} changes for {}, narrowest first.",
            s.alerts,
            s.clusters,
            self.summary.changes,
            self.engine.as_str()
        )?;
        writeln!(
            o,
            "# A suppression hides every alert in its scope, attacks included: read its trade-off first."
        )?;
        let mut i = 0;
        while i < self.entries.len() {
            let key = |e: &Entry<'_>| e.rendered.as_ref().map(|r| (r.file, r.table));
            let group_key = key(&self.entries[i]);
            let end = self.entries[i..]
                .iter()
                .position(|e| key(e) != group_key)
                .map_or(self.entries.len(), |n| i + n);
            self.text_group(&mut o, &self.entries[i..end])?;
            i = end;
        }
        if self.cfg.dry_run {
            writeln!(o)?;
            writeln!(
                o,
                "# ==== dry run of these changes over {} alerts ====",
                self.outcome.alerts.len()
            )?;
            writeln!(
                o,
                "# hides {} alerts in all, {} of them with fp_probability < 0.5",
                self.own.hidden, self.own.risky
            )?;
            self.dropped_note(&mut o)?;
        }
        if !self.user.is_empty() {
            writeln!(o)?;
            writeln!(
                o,
                "# ==== dry run of your lines over {} alerts: {} hidden, {} with fp_probability < 0.5 ====",
                self.outcome.alerts.len(),
                self.user_run.hidden,
                self.user_run.risky
            )?;
            for u in self.user {
                let at = format!("{}:{}", terminal(&u.path), u.line);
                match &u.result {
                    Err(e) => writeln!(o, "# {at}: unreadable: {}", terminal(e))?,
                    Ok(r) => match &r.never {
                        Some(why) => writeln!(o, "# {at}: hides nothing: {}", terminal(why))?,
                        None => writeln!(
                            o,
                            "# {at}: hides {} alerts, {} with fp_probability < 0.5{}",
                            r.hidden,
                            r.risky,
                            if r.risky > 0 {
                                " (attacks it may hide)"
                            } else {
                                ""
                            }
                        )?,
                    },
                }
            }
            self.dropped_note(&mut o)?;
        }
        for (p, m) in &self.summary.errors {
            writeln!(o, "# error: {}: {}", terminal(p), terminal(m))?;
        }
        o.flush()
    }

    fn dropped_note<W: Write>(&self, o: &mut W) -> io::Result<()> {
        if self.outcome.alerts_dropped > 0 {
            writeln!(
                o,
                "# the dry run covers the first {} alerts; {} more were not kept",
                self.outcome.alerts.len(),
                self.outcome.alerts_dropped
            )?;
        }
        Ok(())
    }

    /// One file's group: a header, then each change with its cluster, trade-off and lines.
    fn text_group<W: Write>(&self, o: &mut W, group: &[Entry<'_>]) -> io::Result<()> {
        let first = &group[0];
        let file = first.rendered.as_ref().map(|r| r.file);
        let c = comment(file);
        writeln!(o)?;
        match (&first.rendered, &first.suggestion.change) {
            (_, Change::Investigate { .. }) => {
                writeln!(o, "# ==== investigate first (no change to the sensor) ====")?
            }
            (Some(r), _) if r.file == "update" => writeln!(o, "# ==== rule set updates ====")?,
            (Some(r), _) => writeln!(o, "{c} ==== {} ====", r.file)?,
            (None, _) => return Ok(()),
        }
        let table = first.rendered.as_ref().and_then(|r| r.table);
        if let Some(t) = table {
            writeln!(o, "{t} =")?;
            writeln!(o, "{{")?;
        }
        let indent = if table.is_some() { "    " } else { "" };
        // Two clusters can call for the same line (one signature and host, two causes): it is
        // written once.
        let mut written: Vec<&[String]> = Vec::new();
        for e in group {
            let f = e.from;
            writeln!(
                o,
                "{indent}{c} cluster {}: {} alerts, {} (p(fp) {:.2}){}",
                f.cluster,
                e.suggestion.covers,
                f.verdict,
                f.fp_probability,
                f.cause
                    .as_deref()
                    .map(|x| format!(": {}", terminal(x)))
                    .unwrap_or_default()
            )?;
            if let Change::Investigate { checks } = &e.suggestion.change {
                for check in checks {
                    writeln!(o, "{indent}{c}   - {}", terminal(check))?;
                }
                continue;
            }
            writeln!(
                o,
                "{indent}{c} trade-off: {}",
                terminal(&e.suggestion.tradeoff)
            )?;
            if let Change::Tighten { proof, .. } = &e.suggestion.change {
                writeln!(o, "{indent}{c} proof: {}", terminal(proof))?;
            }
            if let Some((hidden, risky)) = self.own_counts(e) {
                if self.cfg.dry_run || risky > 0 {
                    writeln!(
                        o,
                        "{indent}{c} dry run: hides {hidden} alerts of this dump, {risky} with fp_probability < 0.5{}",
                        if risky > 0 {
                            ": it would hide alerts fpx does not call benign"
                        } else {
                            ""
                        }
                    )?;
                }
            }
            let Some(r) = &e.rendered else { continue };
            if written.contains(&r.lines.as_slice()) {
                writeln!(o, "{indent}{c} (the same line as above)")?;
                continue;
            }
            written.push(&r.lines);
            for l in &r.lines {
                if r.file == "update" {
                    writeln!(o, "{indent}{c} {}", terminal(l))?;
                } else {
                    writeln!(o, "{indent}{}", terminal(l))?;
                }
            }
        }
        if table.is_some() {
            writeln!(o, "}}")?;
        }
        Ok(())
    }

    fn json<W: Write>(&self, mut o: W) -> io::Result<()> {
        for e in self.entries {
            emit(
                &mut o,
                &SuggestionLine {
                    kind: "suggestion",
                    verdict: e.from.verdict,
                    fp_probability: e.from.fp_probability,
                    cause: e.from.cause.as_deref(),
                    change: suggestion_out(e.suggestion, self.engine),
                    dry_run: self
                        .own_counts(e)
                        .map(|(hidden, risky)| DryOut { hidden, risky }),
                },
            )?;
        }
        for u in self.user {
            let (hidden, risky, never, error) = match &u.result {
                Ok(r) => (Some(r.hidden), Some(r.risky), r.never.as_deref(), None),
                Err(e) => (None, None, None, Some(e.as_str())),
            };
            emit(
                &mut o,
                &UserLineOut {
                    kind: "dry_run_line",
                    path: &u.path,
                    line: u.line,
                    hidden,
                    risky,
                    never,
                    error,
                },
            )?;
        }
        emit(
            &mut o,
            &SummaryOut {
                kind: "suggest_summary",
                engine: self.engine.as_str(),
                alerts: self.summary.alerts,
                clusters: self.summary.clusters,
                changes: self.summary.changes,
                dry_run: self.cfg.dry_run.then_some(DryOut {
                    hidden: self.own.hidden,
                    risky: self.own.risky,
                }),
                user_dry_run: (!self.user.is_empty()).then_some(DryOut {
                    hidden: self.user_run.hidden,
                    risky: self.user_run.risky,
                }),
                alerts_not_kept: self.outcome.alerts_dropped,
                errors: self
                    .summary
                    .errors
                    .iter()
                    .map(|(path, message)| ErrorOut { path, message })
                    .collect(),
            },
        )?;
        o.flush()
    }
}

fn emit<W: Write, T: Serialize>(o: &mut W, v: &T) -> io::Result<()> {
    let mut buf = Vec::new();
    crate::report::json::to_line(&mut buf, v)?;
    buf.push(b'\n');
    o.write_all(&buf)
}

#[derive(Serialize)]
struct DryOut {
    hidden: u64,
    risky: u64,
}

#[derive(Serialize)]
struct SuggestionLine<'a> {
    kind: &'static str,
    verdict: &'static str,
    fp_probability: f64,
    cause: Option<&'a str>,
    change: SuggestionOut<'a>,
    dry_run: Option<DryOut>,
}

#[derive(Serialize)]
struct UserLineOut<'a> {
    kind: &'static str,
    path: &'a str,
    line: usize,
    hidden: Option<u64>,
    risky: Option<u64>,
    never: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct SummaryOut<'a> {
    kind: &'static str,
    engine: &'static str,
    alerts: u64,
    clusters: u64,
    changes: u64,
    dry_run: Option<DryOut>,
    user_dry_run: Option<DryOut>,
    alerts_not_kept: u64,
    errors: Vec<ErrorOut<'a>>,
}
