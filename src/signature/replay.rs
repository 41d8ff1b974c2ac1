//! Replays a rule's payload options on bytes and reports where each matched.
//!
//! The replay follows the detection engines' cursor model: each content, pcre or byte option
//! inspects one buffer (the packet payload, or a sticky buffer such as `http.uri`); relative
//! options (`distance`, `within`, `R`, `relative`) start at the end of the previous match in
//! the same buffer; when a later option fails, earlier contents are retried at their next
//! position, as Snort and Suricata do.
//!
//! What fpx cannot see is said, not guessed: a buffer the input does not carry (normalised
//! app-layer data), a pcre that needs lookaround or backreferences, DCE byte order.

// Match positions are lists of byte ranges; one-range lists are the common case, not a slip.
#![allow(clippy::single_range_in_vec_init)]

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use regex::bytes::{Regex, RegexBuilder};

use super::lint::show_bytes;
use super::parse::{
    Base, ByteRead, Cmp, Content, Endian, Isdataat, NumArg, OptKind, Pcre, Rule, RuleOption,
};
use crate::model::{Alert, Direction, IpProto};

/// Most match positions tried per content when later options fail. Real rules need a
/// handful; the bound keeps a 1-byte content over a 64 KiB buffer from going quadratic.
pub const MAX_CANDIDATES: usize = 256;

/// Most backtracking steps in one replay, across all options.
pub const MAX_STEPS: usize = 20_000;

/// Compiled size limit for translated pcre patterns (the regex crate's default is 10 MiB;
/// rule patterns are small, and a hostile one should fail fast).
pub const PCRE_SIZE_LIMIT: usize = 1 << 20;

/// Payload options (content, pcre, byte_*, isdataat) replayed at most per rule. The replay
/// tries them in order with backtracking, one level per option; real rules have a few dozen
/// at most (ET Open's longest has 36), and a rule with thousands is not replayed rather than
/// run the search that deep.
pub const MAX_REPLAY_OPTIONS: usize = 128;

/// Bytes searched at most in one replay, over all its steps (each content search and pcre
/// match counts the bytes of the window it looks at): 64 MiB is a thousand passes over a
/// full-size payload, far beyond what a real rule needs.
pub const MAX_SCAN_BYTES: usize = 64 << 20;

/// Translated pcre patterns kept compiled, by pattern and flags: the replay runs per alert,
/// and compiling is what costs.
pub const PCRE_CACHE: usize = 4096;

/// The bytes and context a rule is replayed on.
#[derive(Clone, Debug, Default)]
pub struct ReplayInput<'b> {
    /// The packet payload (or stream segment) the sensor inspected.
    pub payload: Option<&'b [u8]>,
    /// Named sticky buffers by canonical name (`http.uri`, `http.host`, `dns.query`, ...).
    pub buffers: Vec<(String, &'b [u8])>,
    pub direction: Option<Direction>,
    /// TCP flags as letters (`AP`, `***AP***`, `S`).
    pub tcp_flags: Option<&'b str>,
    /// True when `payload` is known to be reassembled stream data rather than the alerting
    /// packet's payload (EVE logs the stream for stream and app-layer matches). Packet-size
    /// options such as `dsize` then cannot be judged on it.
    pub payload_is_stream: bool,
    /// Whether the flow is known to be established as the engines mean it for `flow:established`:
    /// a TCP handshake seen, or (UDP) packets seen both ways. `None`: not known.
    pub established: Option<bool>,
}

impl<'b> ReplayInput<'b> {
    /// The payload and the EVE app-layer fields of an alert, under the buffer names rules use.
    pub fn from_alert(alert: &'b Alert<'_>) -> ReplayInput<'b> {
        const EVE_TO_BUFFER: &[(&str, &str)] = &[
            ("http.url", "http.uri"),
            ("http.hostname", "http.host"),
            ("http.http_user_agent", "http.user_agent"),
            ("http.http_method", "http.method"),
            ("http.status", "http.stat_code"),
            ("http.http_content_type", "http.content_type"),
            ("http.http_refer", "http.referer"),
            ("http.protocol", "http.protocol"),
            ("dns.rrname", "dns.query"),
            ("dns.query.rrname", "dns.query"),
            ("tls.sni", "tls.sni"),
            ("tls.subject", "tls.cert_subject"),
            ("tls.issuerdn", "tls.cert_issuer"),
            ("tls.ja3.hash", "ja3.hash"),
        ];
        let mut buffers = Vec::new();
        for (eve, buf) in EVE_TO_BUFFER {
            if let Some(v) = alert.app.get(eve) {
                buffers.push((buf.to_string(), v.as_bytes()));
            }
        }
        let payload = alert.payload.as_deref();
        // The payload of the packet ends its frame; a logged payload that does not is the
        // stream (EVE also says so with `stream: 1`).
        let payload_is_stream = alert.app.get("stream") == Some("1")
            || match (payload, &alert.packet) {
                (Some(p), Some(pkt)) => !p.is_empty() && !pkt.bytes.ends_with(p),
                _ => false,
            };
        // Suricata runs its app-layer parsers on a TCP stream only once the session is
        // established (or taken up mid-stream, which it then treats as established), so a
        // detected app_proto says as much as a seen handshake.
        let app_layer = alert
            .app_proto
            .as_deref()
            .is_some_and(|p| !matches!(p, "failed" | "unknown" | ""));
        let flow = alert.flow.as_ref();
        let established = match alert.proto {
            Some(IpProto::TCP) => (app_layer
                || flow.is_some_and(|f| {
                    f.handshake_seen == Some(true) || f.state.as_deref() == Some("established")
                }))
            .then_some(true),
            Some(IpProto::UDP) => flow
                .is_some_and(|f| {
                    f.pkts_toserver.unwrap_or(0) > 0 && f.pkts_toclient.unwrap_or(0) > 0
                })
                .then_some(true),
            _ => None,
        };
        ReplayInput {
            payload,
            buffers,
            direction: alert.direction,
            tcp_flags: alert.ip.tcp_flags.as_deref(),
            payload_is_stream,
            established,
        }
    }

    fn buffer(&self, name: Option<&str>) -> Option<&'b [u8]> {
        match name {
            None => self.payload,
            Some(n) => {
                let c = canonical_buffer(n);
                self.buffers.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
            }
        }
    }
}

/// The canonical (Suricata 5+) name of a buffer keyword: `http_uri` → `http.uri`.
pub fn canonical_buffer(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    let mapped = match n.as_str() {
        "http_client_body" => "http.request_body",
        "http_server_body" | "file_data" | "file.data" => "file.data",
        "http_raw_uri" => "http.uri.raw",
        "http_raw_header" => "http.header.raw",
        "http_raw_cookie" => "http.cookie.raw",
        "http_stat_code" => "http.stat_code",
        "http_stat_msg" => "http.stat_msg",
        "dns_query" => "dns.query",
        "tls_sni" => "tls.sni",
        "tls_cert_subject" => "tls.cert_subject",
        "tls_cert_issuer" => "tls.cert_issuer",
        "ja3_hash" => "ja3.hash",
        _ => "",
    };
    if !mapped.is_empty() {
        return mapped.to_string();
    }
    match n.strip_prefix("http_") {
        Some(rest) if !n.contains('.') => format!("http.{rest}"),
        _ => n,
    }
}

/// How one option fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    NotMatched,
    /// fpx cannot evaluate it on what it has; the reason says why.
    NotEvaluable,
}

/// The chance that a content matches random bytes somewhere in its window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chance {
    /// Probability that the pattern matches at one position of random bytes (256^-n, with
    /// nocase letters counting double).
    pub per_position: f64,
    /// Positions inspected (respecting offset/depth/distance/within and the buffer length).
    pub positions: u64,
    /// Expected chance matches in one buffer: `per_position × positions`.
    pub expected: f64,
}

/// One option's replay.
#[derive(Clone, Debug)]
pub struct Step {
    /// The option as written.
    pub option: String,
    /// Its index in `Rule::options`, to find the parsed option behind the step.
    pub option_index: usize,
    /// The buffer inspected (`payload`, `http.uri`, ...).
    pub buffer: String,
    pub outcome: Outcome,
    /// Byte ranges of the match in that buffer.
    pub ranges: Vec<Range<usize>>,
    pub note: String,
    pub chance: Option<Chance>,
}

/// The overall result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every option fpx evaluated matched, and it could evaluate them all (at least one).
    Reproduced,
    /// Every evaluable option matched; some could not be evaluated.
    Partial,
    /// An option did not match: fpx cannot reproduce the alert.
    NotReproduced,
    /// No option could be evaluated: the rule has none fpx replays (a header-only rule), or
    /// none could be judged on these bytes. Nothing was reproduced.
    NotEvaluated,
}

impl Verdict {
    /// Stable names, as the JSON output and the `rule.replay_verdict` fact write them.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Partial => "partial",
            Verdict::NotReproduced => "not_reproduced",
            Verdict::NotEvaluated => "not_evaluated",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Replay {
    pub verdict: Verdict,
    pub steps: Vec<Step>,
}

impl Replay {
    /// Options that were evaluated (matched or not), and all options replayed.
    pub fn evaluated(&self) -> (usize, usize) {
        let done = self
            .steps
            .iter()
            .filter(|s| s.outcome != Outcome::NotEvaluable)
            .count();
        (done, self.steps.len())
    }

    /// Why the replay did not reproduce the match, when it did not.
    pub fn reason(&self) -> Option<String> {
        match self.verdict {
            Verdict::Reproduced => None,
            Verdict::NotEvaluated if self.steps.is_empty() => Some(
                "the rule has no option fpx replays (its header and non-payload keywords decide)"
                    .into(),
            ),
            Verdict::NotEvaluated => Some(
                self.steps
                    .iter()
                    .map(|s| format!("{}: {}", s.option, s.note))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Verdict::Partial => Some(
                self.steps
                    .iter()
                    .filter(|s| s.outcome == Outcome::NotEvaluable)
                    .map(|s| format!("{}: {}", s.option, s.note))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Verdict::NotReproduced => self
                .steps
                .iter()
                .find(|s| s.outcome == Outcome::NotMatched)
                .map(|s| format!("{}: {}", s.option, s.note)),
        }
    }
}

impl fmt::Display for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = match self.verdict {
            Verdict::Reproduced => "replay reproduces the match",
            Verdict::Partial => "replay matches what fpx can evaluate",
            Verdict::NotReproduced => "replay does not reproduce the match",
            Verdict::NotEvaluated => "replay could evaluate no option",
        };
        let (done, all) = self.evaluated();
        writeln!(f, "{v} ({done} of {all} options evaluated)")?;
        for s in &self.steps {
            let o = match s.outcome {
                Outcome::Matched => "matched",
                Outcome::NotMatched => "NOT matched",
                Outcome::NotEvaluable => "not evaluable",
            };
            write!(f, "  {} [{}] {o}", s.option, s.buffer)?;
            if !s.ranges.is_empty() {
                let r: Vec<String> = s
                    .ranges
                    .iter()
                    .map(|r| format!("bytes {}..{}", r.start, r.end))
                    .collect();
                write!(f, " at {}", r.join(", "))?;
            }
            if !s.note.is_empty() {
                write!(f, ": {}", s.note)?;
            }
            if let Some(c) = s.chance {
                write!(
                    f,
                    " (chance match: {:.3e} per position × {} positions = {:.3e})",
                    c.per_position, c.positions, c.expected
                )?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Chance that `c` matches random bytes at one position.
pub fn chance_per_position(c: &Content) -> f64 {
    let mut p = 1.0f64;
    for &b in &c.pattern {
        p *= if c.nocase && b.is_ascii_alphabetic() {
            2.0 / 256.0
        } else {
            1.0 / 256.0
        };
    }
    p
}

/// A payload option to run through the cursor engine.
enum Op<'r> {
    Content(&'r Content),
    Pcre(&'r Pcre),
    ByteTest(&'r super::parse::ByteTest),
    ByteJump(&'r super::parse::ByteJump),
    ByteExtract(&'r super::parse::ByteExtract),
    Isdataat(&'r Isdataat),
}

struct Engine<'r, 'b> {
    input: &'r ReplayInput<'b>,
    ops: Vec<(usize, &'r RuleOption, Op<'r>)>,
    regexes: Vec<Option<Result<Regex, String>>>,
    budget: usize,
    /// Bytes that may still be searched (see [`MAX_SCAN_BYTES`]).
    scan: usize,
    /// Why the search stopped early, when a budget ran out.
    gave_up: Option<String>,
    /// The deepest failure seen: (op index, note, ranges of earlier ops).
    best: Option<(usize, String, Vec<OpResult>)>,
}

#[derive(Clone, Debug)]
struct OpResult {
    outcome: Outcome,
    ranges: Vec<Range<usize>>,
    note: String,
    chance: Option<Chance>,
}

/// Per-buffer cursors and extracted variables.
#[derive(Clone, Default)]
struct State {
    cursors: HashMap<Option<String>, usize>,
    vars: HashMap<String, i64>,
}

fn buffer_label(b: &Option<String>) -> String {
    b.as_deref()
        .map_or_else(|| "payload".into(), canonical_buffer)
}

fn resolve(n: &NumArg, vars: &HashMap<String, i64>) -> Result<i64, String> {
    match n {
        NumArg::Lit(v) => Ok(*v),
        NumArg::Var(name) => vars
            .get(name)
            .copied()
            .ok_or_else(|| format!("variable {name} was not extracted")),
    }
}

/// Replays the rule on the input.
pub fn replay(rule: &Rule, input: &ReplayInput<'_>) -> Replay {
    let mut steps = Vec::new();
    let mut failed = false;
    let mut unknown = false;
    // Packet-level options first: they do not move the cursor.
    for (option_index, o) in rule.options.iter().enumerate() {
        let (outcome, note) = match &o.kind {
            OptKind::Dsize(cmp) => match input.payload {
                Some(p) if input.payload_is_stream => (
                    Outcome::NotEvaluable,
                    format!(
                        "the logged payload is {} bytes of reassembled stream, not the packet \
                         whose size dsize tests",
                        p.len()
                    ),
                ),
                Some(p) => {
                    let ok = cmp.test(p.len() as u64);
                    (
                        bool_outcome(ok),
                        format!("payload is {} bytes ({})", p.len(), cmp_text(*cmp)),
                    )
                }
                None => (Outcome::NotEvaluable, "no payload".into()),
            },
            OptKind::Flow(words) => flow_check(words, input),
            OptKind::Flags { flags, .. } => match input.tcp_flags {
                Some(seen) => flags_check(flags, seen),
                None => (Outcome::NotEvaluable, "TCP flags are not known".into()),
            },
            _ => continue,
        };
        failed |= outcome == Outcome::NotMatched;
        unknown |= outcome == Outcome::NotEvaluable;
        steps.push(Step {
            option: o.render().trim_end_matches(';').to_string(),
            option_index,
            buffer: "packet".into(),
            outcome,
            ranges: Vec::new(),
            note,
            chance: None,
        });
    }
    let ops: Vec<(usize, &RuleOption, Op)> = rule
        .options
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let op = match &o.kind {
                OptKind::Content(c) => Op::Content(c),
                OptKind::Pcre(p) => Op::Pcre(p),
                OptKind::ByteTest(t) => Op::ByteTest(t),
                OptKind::ByteJump(j) => Op::ByteJump(j),
                OptKind::ByteExtract(x) => Op::ByteExtract(x),
                OptKind::Isdataat(i) => Op::Isdataat(i),
                _ => return None,
            };
            Some((i, o, op))
        })
        .collect();
    if ops.len() > MAX_REPLAY_OPTIONS {
        let (option_index, o, _) = &ops[0];
        steps.push(Step {
            option: o.render().trim_end_matches(';').to_string(),
            option_index: *option_index,
            buffer: "payload".into(),
            outcome: Outcome::NotEvaluable,
            ranges: Vec::new(),
            note: format!(
                "not replayed: the rule has {} payload options, and fpx replays rules of at \
                 most {MAX_REPLAY_OPTIONS}",
                ops.len()
            ),
            chance: None,
        });
        return Replay {
            verdict: if failed {
                Verdict::NotReproduced
            } else {
                Verdict::NotEvaluated
            },
            steps,
        };
    }
    let mut engine = Engine {
        input,
        regexes: ops
            .iter()
            .map(|(_, _, op)| match op {
                Op::Pcre(p) => Some(compiled_pcre(p)),
                _ => None,
            })
            .collect(),
        ops,
        budget: MAX_STEPS,
        scan: MAX_SCAN_BYTES,
        gave_up: None,
        best: None,
    };
    let mut results = Vec::new();
    let solved = engine.solve(0, State::default(), &mut results);
    let results = if solved {
        results
    } else if let Some(why) = engine.gave_up.take().or_else(|| {
        // The loops also stop when the last step was spent, without another call to see it.
        (engine.budget == 0).then(|| "gave up: too many backtracking steps".to_string())
    }) {
        // A budget ran out: nothing is judged beyond what every attempt matched.
        vec![OpResult {
            outcome: Outcome::NotEvaluable,
            ranges: Vec::new(),
            note: why,
            chance: None,
        }]
    } else {
        // Show the attempt that got furthest, with the failing option's reason.
        let (at, note, mut prefix) = engine.best.take().unwrap_or((0, String::new(), Vec::new()));
        prefix.truncate(at);
        prefix.push(OpResult {
            outcome: Outcome::NotMatched,
            ranges: Vec::new(),
            note,
            chance: None,
        });
        prefix
    };
    for (i, (option_index, o, op)) in engine.ops.iter().enumerate() {
        let buffer = match op {
            Op::Content(c) => &c.buffer,
            Op::Pcre(p) => &p.buffer,
            Op::ByteTest(t) => &t.read.buffer,
            Op::ByteJump(j) => &j.read.buffer,
            Op::ByteExtract(x) => &x.read.buffer,
            Op::Isdataat(d) => &d.buffer,
        };
        let r = results.get(i).cloned().unwrap_or(OpResult {
            outcome: Outcome::NotEvaluable,
            ranges: Vec::new(),
            note: "not reached: an earlier option did not match".into(),
            chance: None,
        });
        failed |= r.outcome == Outcome::NotMatched;
        unknown |= r.outcome == Outcome::NotEvaluable;
        steps.push(Step {
            option: o.render().trim_end_matches(';').to_string(),
            option_index: *option_index,
            buffer: buffer_label(buffer),
            outcome: r.outcome,
            ranges: r.ranges,
            note: r.note,
            chance: r.chance,
        });
    }
    let evaluated = steps.iter().any(|s| s.outcome == Outcome::Matched);
    let verdict = if failed {
        Verdict::NotReproduced
    } else if !evaluated {
        Verdict::NotEvaluated
    } else if unknown {
        Verdict::Partial
    } else {
        Verdict::Reproduced
    };
    Replay { verdict, steps }
}

fn bool_outcome(ok: bool) -> Outcome {
    if ok {
        Outcome::Matched
    } else {
        Outcome::NotMatched
    }
}

fn cmp_text(c: Cmp) -> String {
    match c {
        Cmp::Eq(x) => format!("want {x}"),
        Cmp::Ne(x) => format!("want not {x}"),
        Cmp::Lt(x) => format!("want < {x}"),
        Cmp::Gt(x) => format!("want > {x}"),
        Cmp::Le(x) => format!("want <= {x}"),
        Cmp::Ge(x) => format!("want >= {x}"),
        Cmp::Between(a, b) => format!("want between {a} and {b}"),
        Cmp::Inclusive(a, b) => format!("want {a} to {b}"),
    }
}

/// Judges a `flow` option word by word. Only what the input shows is judged: the direction
/// from the sensor or the flow join, `established` from a seen handshake (TCP) or packets both
/// ways (UDP, which Suricata then counts as established); everything else is not evaluable.
fn flow_check(words: &[String], input: &ReplayInput<'_>) -> (Outcome, String) {
    let mut notes: Vec<String> = Vec::new();
    let mut outcome = Outcome::Matched;
    // A word that fails decides; one that cannot be judged leaves the option unjudged.
    let worst = |outcome: &mut Outcome, o: Outcome| {
        if o == Outcome::NotMatched || *outcome == Outcome::Matched {
            *outcome = o;
        }
    };
    for w in words {
        let want = match w.as_str() {
            "to_server" | "from_client" => Some(Direction::ToServer),
            "to_client" | "from_server" => Some(Direction::ToClient),
            _ => None,
        };
        if let Some(want) = want {
            match input.direction {
                Some(seen) if seen == want => {
                    notes.push(format!("packet travels {} as required", seen.as_str()));
                }
                Some(seen) => {
                    worst(&mut outcome, Outcome::NotMatched);
                    notes.push(format!(
                        "rule wants {} but the packet travels {}",
                        want.as_str(),
                        seen.as_str()
                    ));
                }
                None => {
                    worst(&mut outcome, Outcome::NotEvaluable);
                    notes.push("the packet's direction in its flow is not known".into());
                }
            }
            continue;
        }
        match w.as_str() {
            "established" => match input.established {
                Some(true) => notes.push("the flow is established (seen both ways)".into()),
                _ => {
                    worst(&mut outcome, Outcome::NotEvaluable);
                    notes.push(
                        "whether the flow was established is not known (no handshake or \
                         answer seen)"
                            .into(),
                    );
                }
            },
            "stateless" => notes.push("stateless: any packet".into()),
            other => {
                worst(&mut outcome, Outcome::NotEvaluable);
                notes.push(format!("{other} is not judged on a single packet"));
            }
        }
    }
    (outcome, notes.join("; "))
}

fn flags_check(want: &str, seen: &str) -> (Outcome, String) {
    let letters = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| match c.to_ascii_uppercase() {
                '1' => 'C',
                '2' => 'E',
                o => o,
            })
            .collect()
    };
    let (modifier, flags) = match want.chars().next() {
        Some(m @ ('+' | '*' | '!')) => (Some(m), &want[1..]),
        _ => (None, want),
    };
    let w = letters(flags);
    let s = letters(seen);
    if w == ['0'] {
        return (bool_outcome(s.is_empty()), format!("flags seen: {seen}"));
    }
    let all = w.iter().all(|c| s.contains(c));
    let ok = match modifier {
        Some('+') => all,
        Some('*') => w.iter().any(|c| s.contains(c)),
        Some('!') => !all,
        _ => all && s.iter().all(|c| w.contains(c)),
    };
    (bool_outcome(ok), format!("flags seen: {seen}"))
}

/// All start positions of `needle` in `hay[start..end]` (the whole match inside the window).
fn find_all(hay: &[u8], needle: &[u8], nocase: bool, start: usize, end: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() || start >= end || end > hay.len() || end - start < needle.len() {
        return out;
    }
    let win = &hay[start..end];
    let lowered;
    let (win, needle) = if nocase {
        lowered = (win.to_ascii_lowercase(), needle.to_ascii_lowercase());
        (&lowered.0[..], &lowered.1[..])
    } else {
        (win, needle)
    };
    // Every start position, overlapping ones included: the engines try the next match one
    // byte on, so "aa" is at 0 and 1 in "aaa" (an iterator of non-overlapping matches would
    // miss the second, and with it an `endswith` or `within` that only it satisfies).
    let finder = memchr::memmem::Finder::new(needle);
    let mut from = 0;
    while let Some(p) = finder.find(&win[from..]) {
        out.push(start + from + p);
        if out.len() >= MAX_CANDIDATES {
            break;
        }
        from += p + 1;
    }
    out
}

/// Why a replay stopped when its [`MAX_SCAN_BYTES`] ran out.
const GAVE_UP_SCANNING: &str = "gave up: too many bytes searched";

impl<'r, 'b> Engine<'r, 'b> {
    /// Takes `bytes` from the scan budget; false when it is spent.
    fn spend(&mut self, bytes: usize) -> bool {
        match self.scan.checked_sub(bytes) {
            Some(left) => {
                self.scan = left;
                true
            }
            None => {
                self.scan = 0;
                false
            }
        }
    }

    /// Stops the search for lack of budget: what was not tried is not judged, so the replay
    /// cannot end "not reproduced" on it (a payload built to exhaust the budget must not
    /// pass for a mismatch).
    fn give_up(&mut self, at: usize, note: &str, done: &[OpResult]) -> bool {
        self.gave_up = Some(note.to_string());
        self.fail(at, note.to_string(), done)
    }

    fn fail(&mut self, at: usize, note: String, done: &[OpResult]) -> bool {
        if self.best.as_ref().is_none_or(|(b, _, _)| at >= *b) {
            self.best = Some((at, note, done.to_vec()));
        }
        false
    }

    /// Tries options `i..` from `state`; on success `done` holds one result per option.
    fn solve(&mut self, i: usize, state: State, done: &mut Vec<OpResult>) -> bool {
        if i == self.ops.len() {
            return true;
        }
        if self.budget == 0 {
            return self.give_up(i, "gave up: too many backtracking steps", done);
        }
        self.budget -= 1;
        match &self.ops[i].2 {
            Op::Content(c) => self.content(i, c, state, done),
            Op::Pcre(p) => self.pcre(i, p, state, done),
            Op::ByteTest(t) => {
                let r = self.byte_test(t, &state);
                self.continue_det(i, r, state, done)
            }
            Op::ByteJump(j) => {
                let mut st = state.clone();
                let r = self.byte_jump(j, &mut st);
                self.continue_det(i, r, st, done)
            }
            Op::ByteExtract(x) => {
                let mut st = state.clone();
                let r = self.byte_extract(x, &mut st);
                self.continue_det(i, r, st, done)
            }
            Op::Isdataat(d) => {
                let r = self.isdataat(d, &state);
                self.continue_det(i, r, state, done)
            }
        }
    }

    /// Continues after a deterministic option (one outcome, no alternatives).
    fn continue_det(
        &mut self,
        i: usize,
        r: Result<OpResult, String>,
        state: State,
        done: &mut Vec<OpResult>,
    ) -> bool {
        match r {
            Ok(res) => {
                done.push(res);
                if self.solve(i + 1, state, done) {
                    return true;
                }
                done.pop();
                false
            }
            Err(note) => self.fail(i, note, done),
        }
    }

    fn not_evaluable(
        &mut self,
        i: usize,
        note: String,
        state: State,
        done: &mut Vec<OpResult>,
    ) -> bool {
        done.push(OpResult {
            outcome: Outcome::NotEvaluable,
            ranges: Vec::new(),
            note,
            chance: None,
        });
        if self.solve(i + 1, state, done) {
            return true;
        }
        done.pop();
        false
    }

    fn missing_buffer_note(name: &Option<String>) -> String {
        match name {
            None => "the alert carries no payload bytes".into(),
            Some(n) => format!(
                "the rule inspects {}, a normalised app-layer buffer the input does not carry",
                canonical_buffer(n)
            ),
        }
    }

    fn content(
        &mut self,
        i: usize,
        c: &'r Content,
        state: State,
        done: &mut Vec<OpResult>,
    ) -> bool {
        let Some(buf) = self.input.buffer(c.buffer.as_deref()) else {
            return self.not_evaluable(i, Self::missing_buffer_note(&c.buffer), state, done);
        };
        let cursor = *state.cursors.get(&c.buffer).unwrap_or(&0);
        let num = |n: &Option<NumArg>| -> Result<Option<i64>, String> {
            n.as_ref().map(|v| resolve(v, &state.vars)).transpose()
        };
        let (offset, depth, distance, within) = match (
            num(&c.offset),
            num(&c.depth),
            num(&c.distance),
            num(&c.within),
        ) {
            (Ok(a), Ok(b), Ok(d), Ok(w)) => (a, b, d, w),
            (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
                return self.not_evaluable(i, e, state, done)
            }
        };
        let len = buf.len() as i64;
        let (start, end, window) = if c.is_relative() {
            let s = (cursor as i64).saturating_add(distance.unwrap_or(0));
            let e = within.map_or(len, |w| s.saturating_add(w));
            (s, e, format!("relative to byte {cursor}"))
        } else {
            let s = offset.unwrap_or(0);
            let e = depth.map_or(len, |d| s.saturating_add(d));
            (s, e, String::new())
        };
        let start = start.clamp(0, len) as usize;
        let end = end.clamp(0, len) as usize;
        let n = c.pattern.len();
        if !self.spend(end.saturating_sub(start)) {
            return self.give_up(i, GAVE_UP_SCANNING, done);
        }
        let mut cands = find_all(buf, &c.pattern, c.nocase, start, end);
        if c.startswith {
            cands.retain(|&p| p == start);
        }
        if c.endswith {
            cands.retain(|&p| p + n == buf.len());
        }
        let positions = (end.saturating_sub(start) + 1).saturating_sub(n) as u64;
        let per = chance_per_position(c);
        let chance = Some(Chance {
            per_position: per,
            positions,
            expected: per * positions as f64,
        });
        let shown = format!("\"{}\"", show_bytes(&c.pattern));
        let where_ = format!(
            "bytes {start}..{end} of {}{}",
            buffer_label(&c.buffer),
            if window.is_empty() {
                String::new()
            } else {
                format!(" ({window})")
            }
        );
        if c.negated {
            if let Some(&p) = cands.first() {
                return self.fail(
                    i,
                    format!("{shown} must be absent but is at byte {p} ({where_})"),
                    done,
                );
            }
            done.push(OpResult {
                outcome: Outcome::Matched,
                ranges: Vec::new(),
                note: format!("{shown} is absent from {where_}, as required"),
                chance,
            });
            if self.solve(i + 1, state, done) {
                return true;
            }
            done.pop();
            return false;
        }
        if cands.is_empty() {
            return self.fail(i, format!("{shown} not found in {where_}"), done);
        }
        for p in cands {
            let mut st = state.clone();
            st.cursors.insert(c.buffer.clone(), p + n);
            let mut note = String::new();
            if c.fast_pattern {
                note.push_str("fast pattern");
            }
            done.push(OpResult {
                outcome: Outcome::Matched,
                ranges: vec![p..p + n],
                note,
                chance,
            });
            if self.solve(i + 1, st, done) {
                return true;
            }
            done.pop();
            if self.budget == 0 {
                break;
            }
        }
        false
    }

    fn pcre(&mut self, i: usize, p: &'r Pcre, state: State, done: &mut Vec<OpResult>) -> bool {
        let buffer = pcre_buffer(p);
        let Some(buf) = self.input.buffer(buffer.as_deref()) else {
            return self.not_evaluable(i, Self::missing_buffer_note(&buffer), state, done);
        };
        let re = match &self.regexes[i] {
            Some(Ok(re)) => re.clone(),
            Some(Err(e)) => return self.not_evaluable(i, e.clone(), state, done),
            None => {
                return self.not_evaluable(i, "internal: pcre not compiled".into(), state, done)
            }
        };
        let relative = p.flags.contains('R');
        let start = if relative {
            (*state.cursors.get(&buffer).unwrap_or(&0)).min(buf.len())
        } else {
            0
        };
        if !self.spend(buf.len() - start) {
            return self.give_up(i, GAVE_UP_SCANNING, done);
        }
        // Relative patterns see the buffer from the cursor on, so `^` anchors there (as the
        // engines pass the subject from the cursor).
        let found = re
            .find(&buf[start..])
            .map(|m| (start + m.start())..(start + m.end()));
        match (found, p.negated) {
            (Some(m), false) => {
                let mut st = state.clone();
                st.cursors.insert(buffer.clone(), m.end);
                done.push(OpResult {
                    outcome: Outcome::Matched,
                    ranges: vec![m],
                    note: String::new(),
                    chance: None,
                });
                if self.solve(i + 1, st, done) {
                    return true;
                }
                done.pop();
                false
            }
            (None, true) => {
                done.push(OpResult {
                    outcome: Outcome::Matched,
                    ranges: Vec::new(),
                    note: "pattern absent, as required".into(),
                    chance: None,
                });
                if self.solve(i + 1, state, done) {
                    return true;
                }
                done.pop();
                false
            }
            (Some(m), true) => self.fail(
                i,
                format!(
                    "pattern must be absent but matches bytes {}..{}",
                    m.start, m.end
                ),
                done,
            ),
            (None, false) => self.fail(
                i,
                format!(
                    "pattern does not match {} from byte {start}",
                    buffer_label(&buffer)
                ),
                done,
            ),
        }
    }

    /// Reads the number a `byte_*` option names; returns (value, first byte, end byte).
    fn read_number(&self, r: &ByteRead, state: &State) -> Result<(u64, usize, usize), String> {
        let buf = self
            .input
            .buffer(r.buffer.as_deref())
            .ok_or_else(|| Self::missing_buffer_note(&r.buffer))?;
        if r.endian == Endian::Dce {
            return Err(
                "DCE/RPC byte order depends on the DCE header, which fpx does not decode".into(),
            );
        }
        let n = resolve(&r.bytes, &state.vars)?;
        let off = resolve(&r.offset, &state.vars)?;
        let base = if r.relative {
            *state.cursors.get(&r.buffer).unwrap_or(&0) as i64
        } else {
            0
        };
        let pos = base.saturating_add(off);
        if n <= 0 || pos < 0 || pos.saturating_add(n) > buf.len() as i64 {
            return Err(format!(
                "needs {n} bytes at byte {pos} but {} has {}",
                buffer_label(&r.buffer),
                buf.len()
            ));
        }
        let (pos, n) = (pos as usize, n as usize);
        let bytes = &buf[pos..pos + n];
        let mut v = match r.string {
            Some(base) => {
                let s = std::str::from_utf8(bytes).map_err(|_| "number text is not ASCII")?;
                let radix = match base {
                    Base::Dec => 10,
                    Base::Hex => 16,
                    Base::Oct => 8,
                };
                u64::from_str_radix(s.trim(), radix)
                    .map_err(|_| format!("{s:?} is not a base-{radix} number"))?
            }
            None => {
                if n > 8 {
                    return Err(format!("cannot read {n} bytes as a binary number"));
                }
                let mut v = 0u64;
                match r.endian {
                    Endian::Little => {
                        for &b in bytes.iter().rev() {
                            v = v << 8 | b as u64;
                        }
                    }
                    _ => {
                        for &b in bytes {
                            v = v << 8 | b as u64;
                        }
                    }
                }
                v
            }
        };
        if let Some(mask) = r.bitmask {
            v &= mask;
            if mask != 0 {
                v >>= mask.trailing_zeros();
            }
        }
        Ok((v, pos, pos + n))
    }

    fn byte_test(&self, t: &super::parse::ByteTest, state: &State) -> Result<OpResult, String> {
        let (v, a, b) = self.read_number(&t.read, state)?;
        let want = resolve(&t.value, &state.vars)? as u64;
        let ok = match t.op.as_str() {
            "<" => v < want,
            ">" => v > want,
            "=" => v == want,
            "<=" => v <= want,
            ">=" => v >= want,
            "&" => v & want != 0,
            "^" => v ^ want != 0,
            _ => false,
        } != t.negated;
        let text = format!(
            "read {v} (0x{v:x}) at bytes {a}..{b}; test {}{} {want}",
            if t.negated { "!" } else { "" },
            t.op
        );
        if ok {
            Ok(OpResult {
                outcome: Outcome::Matched,
                ranges: vec![a..b],
                note: text,
                chance: None,
            })
        } else {
            Err(format!("{text} fails"))
        }
    }

    fn byte_jump(&self, j: &super::parse::ByteJump, state: &mut State) -> Result<OpResult, String> {
        let (v, a, b) = self.read_number(&j.read, state)?;
        let len = self
            .input
            .buffer(j.read.buffer.as_deref())
            .map_or(0, |x| x.len()) as i64;
        let mut jump = (v.min(i64::MAX as u64) as i64).saturating_mul(j.multiplier.unwrap_or(1));
        if j.align && jump % 4 != 0 {
            jump = jump.saturating_add(4 - jump % 4);
        }
        let base = if j.from_beginning {
            0
        } else if j.from_end {
            len
        } else {
            b as i64
        };
        let to = base
            .saturating_add(jump)
            .saturating_add(j.post_offset.unwrap_or(0));
        if to < 0 || to > len {
            return Err(format!(
                "read {v} at bytes {a}..{b}; jump to byte {to} leaves the buffer of {len} bytes"
            ));
        }
        state.cursors.insert(j.read.buffer.clone(), to as usize);
        Ok(OpResult {
            outcome: Outcome::Matched,
            ranges: vec![a..b],
            note: format!("read {v} at bytes {a}..{b}; cursor jumps to byte {to}"),
            chance: None,
        })
    }

    fn byte_extract(
        &self,
        x: &super::parse::ByteExtract,
        state: &mut State,
    ) -> Result<OpResult, String> {
        let (v, a, b) = self.read_number(&x.read, state)?;
        let mut val = (v.min(i64::MAX as u64) as i64).saturating_mul(x.multiplier.unwrap_or(1));
        if let Some(al) = x.align.filter(|&al| al > 0) {
            if val % al != 0 {
                val = val.saturating_add(al - val % al);
            }
        }
        state.vars.insert(x.name.clone(), val);
        state.cursors.insert(x.read.buffer.clone(), b);
        Ok(OpResult {
            outcome: Outcome::Matched,
            ranges: vec![a..b],
            note: format!("{} = {val}", x.name),
            chance: None,
        })
    }

    fn isdataat(&self, d: &Isdataat, state: &State) -> Result<OpResult, String> {
        let buf = self
            .input
            .buffer(d.buffer.as_deref())
            .ok_or_else(|| Self::missing_buffer_note(&d.buffer))?;
        let n = resolve(&d.offset, &state.vars)?;
        let base = if d.relative {
            *state.cursors.get(&d.buffer).unwrap_or(&0) as i64
        } else {
            0
        };
        let at = base.saturating_add(n);
        let present = at >= 0 && at < buf.len() as i64;
        let text = format!(
            "data at byte {at} is {} ({} has {} bytes)",
            if present { "present" } else { "absent" },
            buffer_label(&d.buffer),
            buf.len()
        );
        if present != d.negated {
            Ok(OpResult {
                outcome: Outcome::Matched,
                ranges: Vec::new(),
                note: text,
                chance: None,
            })
        } else {
            Err(text)
        }
    }
}

/// The buffer a pcre inspects: its sticky buffer, or the one its Snort buffer flag names.
fn pcre_buffer(p: &Pcre) -> Option<String> {
    for (flag, buf) in [
        ('U', "http.uri"),
        ('I', "http.uri.raw"),
        ('H', "http.header"),
        ('D', "http.header.raw"),
        ('C', "http.cookie"),
        ('K', "http.cookie.raw"),
        ('M', "http.method"),
        ('P', "http.request_body"),
        ('Q', "file.data"),
        ('S', "http.stat_code"),
        ('Y', "http.stat_msg"),
        ('V', "http.user_agent"),
        ('W', "http.host"),
        ('Z', "http.host.raw"),
    ] {
        if p.flags.contains(flag) {
            return Some(buf.into());
        }
    }
    p.buffer.clone()
}

/// Constructs the regex crate has no equivalent for; the replay says so rather than guess.
fn unsupported_construct(pattern: &str) -> Option<&'static str> {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if let Some(&n) = b.get(i + 1) {
                    if (b'1'..=b'9').contains(&n)
                        && !b.get(i + 2).is_some_and(|c| c.is_ascii_digit())
                    {
                        return Some("a backreference");
                    }
                    if n == b'k' || n == b'g' {
                        return Some("a backreference");
                    }
                    if n == b'G' {
                        return Some("the \\G anchor");
                    }
                }
                i += 2;
                continue;
            }
            b'(' if b.get(i + 1) == Some(&b'?') => {
                let rest = &pattern[i + 2..];
                if rest.starts_with('=') || rest.starts_with('!') {
                    return Some("a lookahead");
                }
                if rest.starts_with("<=") || rest.starts_with("<!") {
                    return Some("a lookbehind");
                }
                if rest.starts_with('>') {
                    return Some("an atomic group");
                }
                if rest.starts_with('(') {
                    return Some("a conditional");
                }
                if rest.starts_with('R') || rest.starts_with(|c: char| c.is_ascii_digit()) {
                    return Some("recursion");
                }
            }
            b'+' if i > 0 && matches!(b[i - 1], b'*' | b'+' | b'?' | b'}') && b[i - 1] != b'\\' => {
                return Some("a possessive quantifier");
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A rule's pcre compiled (see [`translate_pcre`]), from the cache when it was seen before.
pub fn compiled_pcre(p: &Pcre) -> Result<Regex, String> {
    use std::sync::{Mutex, OnceLock};
    type Cache = HashMap<(String, String), Result<Regex, String>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (p.pattern.clone(), p.flags.clone());
    if let Some(r) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return r;
    }
    let r = translate_pcre(p);
    if let Ok(mut c) = cache.lock() {
        if c.len() < PCRE_CACHE {
            c.insert(key, r.clone());
        }
    }
    r
}

/// The pattern with every capturing group made non-capturing: the replay needs where a
/// pattern matches, never what a group caught, and each capture costs the compiled program
/// (a pattern of 3,000 groups took 35 s and 855 MB to compile with them).
fn without_captures(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 8);
    let (mut i, mut from) = (0, 0);
    // Inside `[...]`, and where the class's first character is (a `]` there is literal).
    let mut class: Option<usize> = None;
    while i < b.len() {
        match (b[i], class) {
            (b'\\', _) => {
                i += 2;
                continue;
            }
            (b'[', None) => {
                let first = if b.get(i + 1) == Some(&b'^') {
                    i + 2
                } else {
                    i + 1
                };
                class = Some(first);
            }
            (b']', Some(first)) if i != first => class = None,
            (b'(', None) => {
                let rest = &b[i + 1..];
                // `(?P<name>`, `(?<name>` (not the lookbehinds `(?<=`, `(?<!`), `(?'name'`.
                let named = if rest.starts_with(b"?P<") {
                    Some((3, b'>'))
                } else if rest.starts_with(b"?<")
                    && !rest.starts_with(b"?<=")
                    && !rest.starts_with(b"?<!")
                {
                    Some((2, b'>'))
                } else if rest.starts_with(b"?'") {
                    Some((2, b'\''))
                } else {
                    None
                };
                if !rest.starts_with(b"?") {
                    out.push_str(&pattern[from..=i]);
                    out.push_str("?:");
                    from = i + 1;
                } else if let Some((skip, close)) = named {
                    if let Some(end) = rest[skip..].iter().position(|c| *c == close) {
                        out.push_str(&pattern[from..=i]);
                        out.push_str("?:");
                        i += 1 + skip + end;
                        from = i + 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&pattern[from.min(pattern.len())..]);
    out
}

/// Translates a rule's pcre (Perl syntax, Snort/Suricata flags) to a bytes regex.
pub fn translate_pcre(p: &Pcre) -> Result<Regex, String> {
    if let Some(what) = unsupported_construct(&p.pattern) {
        return Err(format!(
            "the pcre uses {what}, which fpx's regex engine does not support; fpx cannot replay it"
        ));
    }
    let mut pattern = without_captures(&p.pattern)
        .replace("\\Z", "(?:\\n?\\z)")
        .replace("\\h", "[ \\t]");
    let mut inline = String::new();
    for f in p.flags.chars() {
        match f {
            'i' => inline.push('i'),
            's' => inline.push('s'),
            'm' => inline.push('m'),
            'x' => inline.push('x'),
            'G' => inline.push('U'),
            'A' => pattern = format!("\\A(?:{pattern})"),
            // `$` ends the text only (PCRE_DOLLAR_ENDONLY): the regex crate's `$` already does.
            'E' => {}
            // Buffer flags, relative and match-limit flags are handled by the replay.
            'R' | 'U' | 'I' | 'H' | 'D' | 'C' | 'K' | 'M' | 'P' | 'Q' | 'S' | 'Y' | 'V' | 'W'
            | 'Z' | 'B' | 'O' | 'L' => {}
            o => return Err(format!("unknown pcre flag {o:?}")),
        }
    }
    // Without `m`, PCRE's `$` also matches before a final newline.
    if !p.flags.contains('m') && !p.flags.contains('E') {
        pattern = pattern.replace("$)", "(?:\\n?\\z))");
        if pattern.ends_with('$') && !pattern.ends_with("\\$") {
            pattern.pop();
            pattern.push_str("(?:\\n?\\z)");
        }
    }
    let full = if inline.is_empty() {
        pattern
    } else {
        format!("(?{inline}){pattern}")
    };
    let mut b = RegexBuilder::new(&full);
    b.unicode(false)
        .octal(true)
        .size_limit(PCRE_SIZE_LIMIT)
        .dfa_size_limit(PCRE_SIZE_LIMIT);
    b.build().map_err(|e| {
        format!(
            "the pcre could not be translated: {}",
            first_line(&e.to_string())
        )
    })
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::parse::parse_rule;
    use crate::signature::Origin;
    use std::sync::Arc;

    fn rule(s: &str) -> Rule {
        parse_rule(
            s,
            Origin {
                path: Arc::from("t"),
                line: 1,
            },
        )
        .unwrap()
    }

    fn run(r: &str, payload: &[u8]) -> Replay {
        replay(
            &rule(r),
            &ReplayInput {
                payload: Some(payload),
                ..ReplayInput::default()
            },
        )
    }

    /// An LLMNR query as the 2009099 example has it: ID 0x3200, flags 0, one question.
    fn llmnr_query() -> Vec<u8> {
        let mut p = vec![0x32, 0x00, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
        p.extend_from_slice(b"\x04wpad\x00\x00\x01\x00\x01");
        p
    }

    #[test]
    fn nothing_evaluated_is_not_reproduced() {
        // Issue #8: `reproduced` with zero evaluated options was most of the own-rules runs.
        let r = run("alert ip any any -> any any (msg:\"x\"; sid:1;)", b"abc");
        assert_eq!(r.verdict, Verdict::NotEvaluated, "{r}");
        assert_eq!(r.evaluated(), (0, 0));
        assert!(r.reason().unwrap().contains("no option"), "{r}");
    }

    #[test]
    fn established_is_judged_only_on_what_the_flow_shows() {
        // Issue #8: "flow:established matched" on a UDP packet nobody answered.
        let rr = rule(
            r#"alert udp any any -> any 123 (flow:established,to_server; content:"|e3|"; depth:1; sid:8;)"#,
        );
        let mut input = ReplayInput {
            payload: Some(b"\xe3\x00\x06\xec"),
            direction: Some(Direction::ToServer),
            ..ReplayInput::default()
        };
        let r = replay(&rr, &input);
        assert_eq!(r.steps[0].outcome, Outcome::NotEvaluable, "{r}");
        assert_eq!(r.verdict, Verdict::Partial, "{r}");
        assert_eq!(r.evaluated(), (1, 2));
        input.established = Some(true);
        let r = replay(&rr, &input);
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        input.direction = Some(Direction::ToClient);
        assert_eq!(replay(&rr, &input).verdict, Verdict::NotReproduced);
    }

    #[test]
    fn contents_with_depth_and_distance() {
        let r = run(
            r#"alert udp any any -> any any (dsize:<38; content:"|32 00 00 00|"; depth:4; content:"|00 00 00 00|"; distance:1; sid:1; rev:3;)"#,
            &llmnr_query(),
        );
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        let ranges: Vec<_> = r.steps.iter().map(|s| s.ranges.clone()).collect();
        assert_eq!(ranges, [vec![], vec![0..4], vec![6..10]]);
        let c = r.steps[1].chance.unwrap();
        assert_eq!(c.positions, 1);
        assert!((c.per_position - 256f64.powi(-4)).abs() < 1e-20);
        assert!(r.steps[2].chance.unwrap().positions > 1);
    }

    #[test]
    fn backtracks_to_a_later_first_match() {
        let r = run(
            r#"alert tcp any any -> any any (content:"ab"; content:"cd"; within:2; sid:1;)"#,
            b"ab--abcd",
        );
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        assert_eq!(r.steps[0].ranges, [4..6]);
        assert_eq!(r.steps[1].ranges, [6..8]);
    }

    #[test]
    fn failure_says_why() {
        let r = run(
            r#"alert tcp any any -> any any (content:"ab"; depth:2; content:!"zz"; content:"q"; sid:1;)"#,
            b"abzz",
        );
        assert_eq!(r.verdict, Verdict::NotReproduced);
        let why = r.reason().unwrap();
        assert!(why.contains("must be absent but is at byte 2"), "{why}");
        let r = run(
            r#"alert tcp any any -> any any (content:"AB"; nocase; offset:1; sid:1;)"#,
            b"ab",
        );
        assert!(
            r.reason().unwrap().contains("not found in bytes 1..2"),
            "{r}"
        );
    }

    #[test]
    fn sticky_buffers_from_input_and_missing_ones() {
        let rr = rule(
            r#"alert http any any -> any any (flow:to_server; http.uri; content:"/admin"; startswith; http.host; content:"example"; sid:1;)"#,
        );
        let input = ReplayInput {
            payload: Some(b"GET /admin HTTP/1.1\r\n"),
            buffers: vec![("http.uri".into(), b"/admin/x".as_slice())],
            direction: Some(Direction::ToServer),
            tcp_flags: None,
            payload_is_stream: false,
            established: None,
        };
        let r = replay(&rr, &input);
        assert_eq!(r.verdict, Verdict::Partial, "{r}");
        assert_eq!(r.steps[1].ranges, [0..6]);
        assert!(
            r.steps[2]
                .note
                .contains("http.host, a normalised app-layer buffer"),
            "{r}"
        );
        let mut wrong_way = input.clone();
        wrong_way.direction = Some(Direction::ToClient);
        let r = replay(&rr, &wrong_way);
        assert_eq!(r.verdict, Verdict::NotReproduced);
        assert!(r.reason().unwrap().contains("wants to_server"));
    }

    #[test]
    fn pcre_translation_and_unsupported_constructs() {
        let r = run(
            r#"alert tcp any any -> any any (content:"GET "; pcre:"/^\/[a-z]{3}\x2ephp/Ri"; sid:1;)"#,
            b"GET /ABC.php?x",
        );
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        assert_eq!(r.steps[1].ranges, [4..12]);
        let r = run(
            r#"alert tcp any any -> any any (pcre:"/(a)\1(?=b)/"; sid:1;)"#,
            b"aab",
        );
        // Nothing else to evaluate: nothing is reproduced (issue #8: no `reproduced` or
        // `partial` from zero evaluated options).
        assert_eq!(r.verdict, Verdict::NotEvaluated);
        assert!(r.steps[0].note.contains("backreference"), "{r}");
        let r = run(
            r#"alert tcp any any -> any any (pcre:"/x(?!y)/"; sid:1;)"#,
            b"x",
        );
        assert!(r.steps[0].note.contains("lookahead"), "{r}");
        let r = run(
            r#"alert tcp any any -> any any (pcre:!"/\xff$/s"; sid:1;)"#,
            b"a\xff\n",
        );
        assert_eq!(r.verdict, Verdict::NotReproduced, "{r}");
    }

    #[test]
    fn byte_options() {
        // Length-prefixed field: extract 2-byte length, jump over it, test a flag byte.
        let payload = [0x00, 0x03, b'a', b'b', b'c', 0x80, b'1', b'2'];
        let r = run(
            r#"alert tcp any any -> any any (byte_extract:2,0,len; isdataat:len,relative; byte_jump:2,0; byte_test:1,&,0x80,0,relative; byte_test:2,=,12,1,relative,string,dec; sid:1;)"#,
            &payload,
        );
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        assert_eq!(r.steps[0].note, "len = 3");
        assert!(r.steps[2].note.contains("cursor jumps to byte 5"), "{r}");
        let r = run(
            r#"alert tcp any any -> any any (byte_test:4,>,1,6; sid:1;)"#,
            &payload,
        );
        assert!(
            r.reason().unwrap().contains("needs 4 bytes at byte 6"),
            "{r}"
        );
    }

    #[test]
    fn dsize_and_flags() {
        let rr = rule(r#"alert tcp any any -> any any (flags:S,12; dsize:0; sid:1;)"#);
        let r = replay(
            &rr,
            &ReplayInput {
                payload: Some(b""),
                tcp_flags: Some("******S*"),
                ..ReplayInput::default()
            },
        );
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        let r = replay(
            &rr,
            &ReplayInput {
                payload: Some(b"x"),
                tcp_flags: Some("***A**S*"),
                ..ReplayInput::default()
            },
        );
        assert_eq!(r.verdict, Verdict::NotReproduced);
    }

    #[test]
    fn hostile_payloads_never_panic() {
        let rr = rule(
            r#"alert tcp any any -> any any (content:"a"; content:"a"; distance:-5; within:3; byte_jump:8,-3,relative,multiplier -9,post_offset -100; byte_extract:9,0,x; isdataat:!x,relative; pcre:"/a+$/R"; sid:1;)"#,
        );
        let data = vec![b'a'; 600];
        for n in 0..64 {
            let _ = replay(
                &rr,
                &ReplayInput {
                    payload: Some(&data[..n]),
                    ..ReplayInput::default()
                },
            );
        }
        let _ = replay(
            &rr,
            &ReplayInput {
                payload: Some(&data),
                ..ReplayInput::default()
            },
        );
    }

    #[test]
    fn overlapping_matches_are_candidates() {
        // Six zeros then a run of seven: the only match that ends the buffer overlaps the
        // first match of the run.
        let mut p = b"xy".to_vec();
        p.extend_from_slice(&[0; 7]);
        let r = run(
            r#"alert tcp any any -> any any (content:"|00 00 00 00 00 00|"; endswith; sid:1;)"#,
            &p,
        );
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        assert_eq!(r.steps[0].ranges, [3..9]);
        // Backtracking reaches an overlapping later match too: "aa" at 0 fails the `within`,
        // "aa" at 1 passes.
        let r = run(
            r#"alert tcp any any -> any any (content:"aa"; content:"b"; within:1; sid:1;)"#,
            b"aaab",
        );
        assert_eq!(r.verdict, Verdict::Reproduced, "{r}");
        assert_eq!(r.steps[0].ranges, [1..3]);
        let r = run(
            r#"alert tcp any any -> any any (content:"AA"; nocase; content:"b"; within:1; sid:1;)"#,
            b"aaab",
        );
        assert_eq!(r.steps[0].ranges, [1..3], "{r}");
    }

    #[test]
    fn frame_keyword_retargets_later_contents() {
        // `frame:` is sticky: the content inspects the frame, which the alert does not carry,
        // so the packet payload must not be searched for it.
        let r = run(
            r#"alert websocket any any -> any any (flow:established; frame:websocket.pdu; content:"hello"; startswith; endswith; sid:2;)"#,
            b"\x81\x05hello",
        );
        assert_eq!(r.verdict, Verdict::NotEvaluated, "{r}");
        let c = r
            .steps
            .iter()
            .find(|s| s.option.starts_with("content"))
            .unwrap();
        assert_eq!(c.outcome, Outcome::NotEvaluable);
        assert_eq!(c.buffer, "frame:websocket.pdu");
    }

    #[test]
    fn sticky_buffer_with_a_direction_argument() {
        // `file.data: to_client` (bidirectional rules) switches the buffer like `file.data;`:
        // the body content must not be searched in the URI.
        let r = replay(
            &rule(
                r#"alert http any any => any any (http.uri; content:"/a"; file.data: to_client; content:"body"; sid:1;)"#,
            ),
            &ReplayInput {
                buffers: vec![("http.uri".into(), b"/a".as_slice())],
                ..ReplayInput::default()
            },
        );
        assert_eq!(r.verdict, Verdict::Partial, "{r}");
        assert_eq!(r.steps[0].outcome, Outcome::Matched);
        assert_eq!(r.steps[1].buffer, "file.data");
        assert_eq!(r.steps[1].outcome, Outcome::NotEvaluable);
    }

    #[test]
    fn dsize_is_not_judged_on_a_stream_payload() {
        let r = rule(r#"alert tcp any any -> any any (dsize:<20; content:"GET"; sid:1;)"#);
        let stream = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n";
        let as_packet = replay(
            &r,
            &ReplayInput {
                payload: Some(stream),
                ..ReplayInput::default()
            },
        );
        assert_eq!(as_packet.verdict, Verdict::NotReproduced, "{as_packet}");
        let as_stream = replay(
            &r,
            &ReplayInput {
                payload: Some(stream),
                payload_is_stream: true,
                ..ReplayInput::default()
            },
        );
        assert_eq!(as_stream.verdict, Verdict::Partial, "{as_stream}");
        assert_eq!(as_stream.steps[0].outcome, Outcome::NotEvaluable);
        assert!(as_stream.steps[0].note.contains("stream"));
    }

    #[test]
    fn from_alert_tells_stream_payloads_from_packet_payloads() {
        use crate::model::{InputFormat, Location, Packet, Provenance, Timestamp};
        use std::borrow::Cow;
        let prov = Provenance {
            path: "eve.json".into(),
            location: Location::Line(1),
        };
        let mut a = Alert::new(prov, InputFormat::Eve, Timestamp::unparsed("t"));
        let mut frame = vec![0u8; 54];
        frame.extend_from_slice(b"abc");
        a.packet = Some(Packet {
            bytes: Cow::Owned(frame),
            linktype: 1,
        });
        a.payload = Some(Cow::Borrowed(b"abc"));
        assert!(!ReplayInput::from_alert(&a).payload_is_stream);
        a.app.push("stream", "1");
        assert!(ReplayInput::from_alert(&a).payload_is_stream);
        let mut b = a.clone();
        b.app = Default::default();
        b.payload = Some(Cow::Borrowed(b"earlier segment, then abc"));
        assert!(ReplayInput::from_alert(&b).payload_is_stream);
    }

    /// Issue #12: one relative option per recursion level overflowed the stack (exit 134).
    #[test]
    fn thousands_of_relative_options_neither_overflow_nor_run_long() {
        let pcres = "pcre:\"/a/R\"; ".repeat(5_000);
        let contents = "content:\"a\"; distance:0; ".repeat(2_000);
        let payload = vec![b'a'; 4096];
        for opts in [pcres, contents] {
            let text = format!("alert tcp any any -> any any ({opts}sid:1;)");
            let payload = payload.clone();
            // A thread with a small stack, as the engines' worker threads have.
            let r = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || run(&text, &payload))
                .unwrap()
                .join()
                .expect("no stack overflow");
            assert_eq!(r.verdict, Verdict::NotEvaluated, "{:?}", r.steps.last());
            assert!(r
                .steps
                .iter()
                .any(|s| s.note.contains("fpx replays rules of at most")));
        }
    }

    /// Issue #12: a pcre with 3,000 capture groups took 35 s and 855 MB per alert.
    #[test]
    fn capture_groups_cost_nothing_and_are_compiled_once() {
        let groups = "(a)".repeat(3_000);
        let text = format!("alert tcp any any -> any any (pcre:\"/{groups}/\"; sid:1;)");
        let started = std::time::Instant::now();
        for _ in 0..50 {
            let _ = run(&text, b"aaaa");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            without_captures("(a)(?:b)(?P<n>c)(?<m>d)(?'o'e)[(]\\(f(?<=g)"),
            "(?:a)(?:b)(?:c)(?:d)(?:e)[(]\\(f(?<=g)"
        );
        assert_eq!(without_captures("[]()]x(y)"), "[]()]x(?:y)");
    }

    /// A payload that exhausts the search budget is not judged a mismatch: "not reproduced"
    /// is evidence toward a false positive, which an attacker must not be able to buy.
    #[test]
    fn a_search_that_runs_out_of_budget_is_not_evaluated_rather_than_not_reproduced() {
        let mut opts = String::from("content:\"a\"; ");
        for _ in 0..20 {
            opts.push_str("content:\"a\"; distance:0; ");
        }
        opts.push_str("content:\"b\"; distance:0; within:1; ");
        let text = format!("alert tcp any any -> any any ({opts}sid:1;)");
        let r = run(&text, &vec![b'a'; 60_000]);
        assert_ne!(r.verdict, Verdict::NotReproduced, "{:?}", r.steps.last());
        assert!(
            r.steps.iter().any(|s| s.note.starts_with("gave up")),
            "{:?}",
            r.steps
        );
    }
}
