//! A run's signature context: the rule sets, maps and network variables given on the command
//! line, loaded and indexed once per run, and per alert the analysis of the rule behind it —
//! which revision explains the alert, where its options match the payload, whether its header
//! and flow fit the packet, and what later revisions changed.
//!
//! Per alert nothing is parsed except an EVE `alert.rule` text: rules are looked up by
//! (gid, sid) or msg in the indexes built at load time.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::lint::{diff_rules, rule_weaknesses, show_bytes, Finding};
use super::maps::{Classifications, MapKind, MsgMap, References};
use super::parse::{parse_rule, Content, OptKind, PortExpr, Rule, MAX_RULE_LEN};
use super::replay::{replay, Chance, Outcome, Replay, ReplayInput};
use super::vars::{HeaderMatch, Vars};
use super::{Origin, RuleSet, SignatureError};
use crate::dissect::{Dissection, FieldClass};
use crate::input::limits::{MAX_CONFIG_FILE, MAX_MAP_FILE};
use crate::knowledge::Knowledge;
use crate::model::{Alert, Direction};

/// What `explain` was told about signatures: paths and values only, read by
/// [`SignatureContext::load`].
#[derive(Clone, Debug, Default)]
pub struct SignatureConfig {
    /// Rule files and folders (`--rules`, repeatable).
    pub rules: Vec<PathBuf>,
    /// sid-msg.map (v1 or v2) or gen-msg.map files.
    pub msg_maps: Vec<PathBuf>,
    pub classification: Option<PathBuf>,
    pub reference: Option<PathBuf>,
    /// suricata.yaml or snort.conf with the network variables.
    pub vars: Option<PathBuf>,
    /// `--home-net`, already checked to parse.
    pub home_net: Option<String>,
}

/// The loaded rule sets, maps and variables of one run.
#[derive(Debug, Default)]
pub struct SignatureContext {
    pub set: RuleSet,
    pub msgs: MsgMap,
    /// sid-msg.map messages → every (gid, sid) with that msg, sorted, for Snort 1.8 alerts
    /// that carry only a msg.
    msg_index: HashMap<String, Vec<(u32, u32)>>,
    pub classifications: Classifications,
    pub references: References,
    pub vars: Vars,
    /// Bad lines of the given files: reported once, never fatal.
    pub warnings: Vec<SignatureError>,
}

/// How the rule fpx analyses was chosen among the revisions it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChosenBy {
    /// The sensor logged the rule text (EVE `alert.rule`).
    EveRule,
    /// The rule set holds exactly the gid:sid:rev of the alert.
    Exact,
    /// The highest revision not above the alert's.
    Older,
    /// The latest revision: the alert carries no revision, or every revision held is newer.
    Latest,
}

impl ChosenBy {
    /// Stable names, tested by evidence rules (`rule.chosen_by`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChosenBy::EveRule => "eve_rule",
            ChosenBy::Exact => "exact",
            ChosenBy::Older => "older",
            ChosenBy::Latest => "latest",
        }
    }
}

/// One content of the rule matched by the replay.
#[derive(Clone, Debug)]
pub struct ContentMatch {
    pub pattern: Vec<u8>,
    pub nocase: bool,
    /// Tied to a place by offset/depth/distance/within/startswith/endswith.
    pub anchored: bool,
    /// `payload`, `http.uri`, ...
    pub buffer: String,
    pub range: Range<usize>,
    pub chance: Option<Chance>,
}

/// A later revision of the analysed rule in the given sets.
#[derive(Clone, Debug)]
pub struct LaterRevision {
    pub rule: Arc<Rule>,
    /// What it changed against the analysed rule, as `diff_rules` words it.
    pub changes: Vec<String>,
    /// Why its header or flow would not match this alert, when they would not.
    pub exclusion: Option<String>,
}

/// The rule behind one alert, replayed and judged.
#[derive(Clone, Debug)]
pub struct RuleAnalysis {
    pub rule: Arc<Rule>,
    pub chosen_by: ChosenBy,
    /// How chosen_by came about, in words.
    pub chosen_why: String,
    /// How the alert's sid was found when the alert did not carry one.
    pub sid_from: Option<&'static str>,
    /// The packet's direction in its flow (the sensor's, else the dissector's reading).
    pub direction: Option<Direction>,
    pub replay: Replay,
    pub header: Option<HeaderMatch>,
    /// Why the analysed rule's header or flow would not match this alert, when they would not.
    pub exclusion: Option<String>,
    pub later: Option<LaterRevision>,
    pub weaknesses: Vec<Finding>,
    /// The rule's references as links (reference.config prefixes; `url` references as is).
    pub references: Vec<String>,
    /// The classtype's description from classification.config, else the classtype.
    pub classification: Option<String>,
    /// Positive contents the replay matched, in rule order.
    pub matches: Vec<ContentMatch>,
    /// Every payload byte range any option matched (contents, pcre), for the payload view.
    pub payload_ranges: Vec<Range<usize>>,
}

impl SignatureContext {
    /// Loads everything named in `cfg`. Unreadable files are errors; bad lines inside them are
    /// warnings kept in [`SignatureContext::warnings`].
    pub fn load(cfg: &SignatureConfig) -> Result<SignatureContext, SignatureError> {
        let mut ctx = SignatureContext {
            set: RuleSet::load(&cfg.rules),
            ..SignatureContext::default()
        };
        // Unreadable rule files are setup errors; bad rules are only warnings.
        let (io, syntax): (Vec<_>, Vec<_>) = std::mem::take(&mut ctx.set.errors)
            .into_iter()
            .partition(|e| matches!(e, SignatureError::Io { .. }));
        if let Some(e) = io.into_iter().next() {
            return Err(e);
        }
        ctx.warnings.extend(syntax);
        for p in &cfg.msg_maps {
            let text = read(p, MAX_MAP_FILE, "sid-msg.map")?;
            let kind = if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains("gen-msg"))
            {
                MapKind::GenMsg
            } else {
                MapKind::SidMsg
            };
            let errs = ctx.msgs.add(&text, &p.display().to_string(), kind);
            ctx.warnings.extend(errs);
        }
        for e in ctx.msgs.entries() {
            ctx.msg_index
                .entry(e.msg.clone())
                .or_default()
                .push((e.gid, e.sid));
        }
        for v in ctx.msg_index.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        if let Some(p) = &cfg.classification {
            let (c, errs) = Classifications::parse(
                &read(p, MAX_MAP_FILE, "classification.config")?,
                &p.display().to_string(),
            );
            ctx.classifications = c;
            ctx.warnings.extend(errs);
        }
        if let Some(p) = &cfg.reference {
            let (r, errs) = References::parse(
                &read(p, MAX_MAP_FILE, "reference.config")?,
                &p.display().to_string(),
            );
            ctx.references = r;
            ctx.warnings.extend(errs);
        }
        if let Some(p) = &cfg.vars {
            let text = read(p, MAX_CONFIG_FILE, "variables file")?;
            let name = p.display().to_string();
            let yaml = p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                || text.lines().any(|l| l.trim_end() == "vars:");
            let errs = if yaml {
                ctx.vars.read_suricata_yaml(&text, &name)
            } else {
                ctx.vars.read_snort_conf(&text, &name)
            };
            ctx.warnings.extend(errs);
        }
        if let Some(h) = &cfg.home_net {
            ctx.vars
                .set_home_net(h)
                .map_err(|m| SignatureError::Syntax {
                    origin: Origin {
                        path: Arc::from("--home-net"),
                        line: 1,
                    },
                    message: m,
                })?;
        }
        Ok(ctx)
    }

    /// Fills in what the maps know and the alert lacks: the sid of a msg-only alert (Snort
    /// 1.8), the msg of a sid-only alert (unified2), the classification's description.
    /// Returns how the sid was found, when it was.
    pub fn resolve(&self, alert: &mut Alert<'_>) -> Option<&'static str> {
        let mut sid_from = None;
        if alert.sid.is_none() {
            if let Some(m) = alert.msg.as_deref() {
                let from_map = self.msg_index.get(m).cloned().unwrap_or_default();
                let mut from_set: Vec<(u32, u32)> = self
                    .set
                    .by_msg(m)
                    .iter()
                    .filter_map(|r| Some((r.gid, r.sid?)))
                    .collect();
                from_set.sort_unstable();
                from_set.dedup();
                let found = self
                    .pick_by_header(&from_map, alert)
                    .map(|k| (k, "sid-msg.map"))
                    .or_else(|| {
                        self.pick_by_header(&from_set, alert)
                            .map(|k| (k, "the rule set's msg"))
                    });
                if let Some(((gid, sid), from)) = found {
                    alert.gid = gid;
                    alert.sid = Some(sid);
                    sid_from = Some(from);
                }
            }
        }
        if alert.msg.is_none() {
            if let Some(sid) = alert.sid {
                let msg = self
                    .msgs
                    .get(alert.gid, sid)
                    .map(|e| e.msg.clone())
                    .or_else(|| {
                        self.set
                            .lookup(alert.gid, sid)
                            .last()
                            .and_then(|r| r.msg.clone())
                    });
                alert.msg = msg.map(Cow::Owned);
            }
        }
        let class = match (&alert.classification, alert.classification_id) {
            (None, Some(id)) => self.classifications.by_id(id),
            (Some(name), _) => self.classifications.by_name(name),
            _ => None,
        };
        if let Some(c) = class {
            alert.classification = Some(Cow::Owned(c.description.clone()));
        }
        sid_from
    }

    /// Among signatures sharing a msg (sid 247 and 249 are both "DDOS mstream client to
    /// handler", on different ports), the first whose latest rule's header does not rule the
    /// alert out; the first of all when every header does (or none is known).
    fn pick_by_header(&self, keys: &[(u32, u32)], alert: &Alert<'_>) -> Option<(u32, u32)> {
        let fits = |&(gid, sid): &(u32, u32)| {
            let revs = self.set.lookup(gid, sid);
            latest(&revs)
                .and_then(|r| self.vars.match_rule_header(r, alert))
                .is_none_or(|m| m.matches != Some(false))
        };
        keys.iter()
            .copied()
            .find(fits)
            .or_else(|| keys.first().copied())
    }

    /// Of the rules holding the alert's gid:sid, those that can have fired on it, in the order
    /// [`choose`] takes them. A rule whose protocol cannot match the alert's transport (an
    /// `alert http` rule for a UDP packet) never fired on it: two rule sets that reuse one sid
    /// for different rules are told apart so. Among the rest, enabled rules come before rules
    /// commented out, which are taken only when nothing else is left; within a revision, a rule
    /// whose header fits the alert comes first.
    fn candidates(&self, alert: &Alert<'_>, kb: &Knowledge) -> Vec<Arc<Rule>> {
        let Some(sid) = alert.sid else {
            return Vec::new();
        };
        let fits_transport = |r: &Rule| match (r.proto.as_deref(), alert.proto) {
            (Some(k), Some(t)) => kb.rule_protocol_fits(k, t) != Some(false),
            _ => true,
        };
        let mut revs: Vec<Arc<Rule>> = self
            .set
            .lookup(alert.gid, sid)
            .into_iter()
            .filter(|r| fits_transport(r))
            .collect();
        if revs.iter().any(|r| r.enabled) {
            revs.retain(|r| r.enabled);
        }
        let header_fails = |r: &Rule| {
            self.vars
                .match_rule_header(r, alert)
                .is_some_and(|m| m.matches == Some(false))
        };
        revs.sort_by_key(|r| (r.rev.unwrap_or(0), header_fails(r)));
        revs
    }

    /// Chooses, replays and judges the rule behind `alert`. `None` when no rule is known.
    pub fn analyse(
        &self,
        alert: &Alert<'_>,
        dis: &Dissection,
        sid_from: Option<&'static str>,
        kb: &Knowledge,
    ) -> Option<RuleAnalysis> {
        let revs = self.candidates(alert, kb);
        let eve = alert
            .rule
            .as_deref()
            .filter(|t| t.len() <= MAX_RULE_LEN)
            .and_then(|text| {
                let origin = Origin {
                    path: Arc::from("EVE alert.rule"),
                    line: 1,
                };
                parse_rule(text, origin).ok()
            });
        let (rule, chosen_by, chosen_why) = match eve {
            Some(r) => (
                Arc::new(r),
                ChosenBy::EveRule,
                "the rule text the sensor logged with the alert".to_string(),
            ),
            None => {
                let (r, by, mut why) = choose(&revs, alert.rev)?;
                if !r.enabled {
                    let _ = write!(
                        why,
                        "; it is commented out in {}, the only rule with this sid that can \
                         match the alert, so the sensor ran it enabled",
                        r.origin
                    );
                }
                (r.clone(), by, why)
            }
        };
        let direction = alert.direction.or(match dis.is_response {
            Some(true) => Some(Direction::ToClient),
            Some(false) => Some(Direction::ToServer),
            None => None,
        });
        let mut input = ReplayInput::from_alert(alert);
        input.direction = direction;
        let replayed = replay(&rule, &input);
        let header = self.vars.match_rule_header(&rule, alert);
        let exclusion = self
            .exclusion(&rule, alert, direction)
            .map(|x| x.sentence(&rule, &[]));
        let later = latest(&revs)
            .filter(|l| matches!((l.rev, rule.rev), (Some(a), Some(b)) if a > b))
            .map(|l| {
                let changes = diff_rules(&rule, l);
                // A later revision only explains the alert away when the analysed one fits
                // the packet: otherwise both fail alike and the difference says nothing.
                let ex = if exclusion.is_none() {
                    self.exclusion(l, alert, direction)
                        .map(|x| x.sentence(l, &changes))
                } else {
                    None
                };
                LaterRevision {
                    rule: l.clone(),
                    changes,
                    exclusion: ex,
                }
            });
        let references = rule
            .options
            .iter()
            .filter_map(|o| match &o.kind {
                OptKind::Reference { scheme, id } => Some(
                    self.references
                        .url(scheme, id)
                        .unwrap_or_else(|| format!("{scheme},{id}")),
                ),
                _ => None,
            })
            .collect();
        let classification = rule.classtype.as_ref().map(|c| {
            self.classifications
                .by_name(c)
                .map_or_else(|| c.clone(), |x| x.description.clone())
        });
        let mut matches = Vec::new();
        let mut payload_ranges = Vec::new();
        for s in &replayed.steps {
            if s.outcome != Outcome::Matched {
                continue;
            }
            if s.buffer == "payload" {
                payload_ranges.extend(s.ranges.iter().cloned());
            }
            if let Some(OptKind::Content(c)) = rule.options.get(s.option_index).map(|o| &o.kind) {
                if let (false, Some(r)) = (c.negated, s.ranges.first()) {
                    matches.push(content_match(c, &s.buffer, r.clone(), s.chance));
                }
            }
        }
        payload_ranges.sort_by_key(|r| (r.start, r.end));
        let weaknesses = rule_weaknesses(&rule);
        Some(RuleAnalysis {
            chosen_by,
            chosen_why,
            sid_from,
            direction,
            replay: replayed,
            header,
            exclusion,
            later,
            weaknesses,
            references,
            classification,
            matches,
            payload_ranges,
            rule,
        })
    }

    /// Why `r`'s flow or header would not match this alert, when they definitely would not.
    fn exclusion(
        &self,
        r: &Rule,
        alert: &Alert<'_>,
        direction: Option<Direction>,
    ) -> Option<Exclusion> {
        if let (Some(words), Some(seen)) = (r.flow(), direction) {
            let want = words.iter().find_map(|w| match w.as_str() {
                "to_server" | "from_client" => Some(Direction::ToServer),
                "to_client" | "from_server" => Some(Direction::ToClient),
                _ => None,
            });
            if want.is_some_and(|w| w != seen) {
                return Some(Exclusion::Flow {
                    words: words.join(","),
                    seen,
                });
            }
        }
        let m = self.vars.match_rule_header(r, alert)?;
        if m.matches != Some(false) {
            return None;
        }
        let (side, s) = m.sides.iter().find(|(_, s)| s.matches == Some(false))?;
        Some(Exclusion::Header {
            side: side.clone(),
            why: s.why.clone(),
        })
    }
}

enum Exclusion {
    Flow { words: String, seen: Direction },
    Header { side: String, why: String },
}

impl Exclusion {
    fn sentence(&self, r: &Rule, changes: &[String]) -> String {
        let rev = r.rev.map_or_else(|| "?".into(), |v| v.to_string());
        let sid = r.sid.map_or_else(|| "?".into(), |v| v.to_string());
        match self {
            Exclusion::Flow { words, seen } => format!(
                "rev {rev} of sid {sid} requires flow:{words}, which this {} packet fails",
                match seen {
                    Direction::ToClient => "server-to-client",
                    Direction::ToServer => "client-to-server",
                }
            ),
            Exclusion::Header { side, why } => {
                // The change that made the difference, in the words of `diff_rules`.
                let list = if side.starts_with("source port") {
                    "to the source ports"
                } else if side.starts_with("source") {
                    "to the source"
                } else if side.starts_with("destination port") {
                    "to the destination ports"
                } else {
                    "to the destination"
                };
                match changes
                    .iter()
                    .find(|c| c.contains(" adds ") && c.ends_with(list))
                {
                    Some(c) => format!("{c} — exactly this alert: {why}"),
                    None => format!(
                        "rev {rev} of sid {sid} does not match this alert: its {side} fails ({why})"
                    ),
                }
            }
        }
    }
}

fn content_match(
    c: &Content,
    buffer: &str,
    range: Range<usize>,
    chance: Option<Chance>,
) -> ContentMatch {
    ContentMatch {
        pattern: c.pattern.clone(),
        nocase: c.nocase,
        anchored: c.is_anchored(),
        buffer: buffer.to_string(),
        range,
        chance,
    }
}

/// The revision to analyse: exact gid:sid:rev, else the highest not above the alert's, else
/// the latest.
fn choose(revs: &[Arc<Rule>], rev: Option<u32>) -> Option<(&Arc<Rule>, ChosenBy, String)> {
    let latest = latest(revs)?;
    let Some(want) = rev else {
        return Some((
            latest,
            ChosenBy::Latest,
            format!(
                "the alert does not say which revision fired; rev {} is the latest the rule set holds",
                show_rev(latest.rev)
            ),
        ));
    };
    // `lookup` sorts by (rev, disabled), so the first hit of a revision is its enabled copy.
    if let Some(r) = revs.iter().find(|r| r.rev == Some(want)) {
        return Some((r, ChosenBy::Exact, format!("the rule set holds rev {want}")));
    }
    let best = revs
        .iter()
        .filter(|r| r.rev.is_some_and(|v| v < want))
        .map(|r| r.rev)
        .max();
    if let Some(b) = best {
        let r = revs.iter().find(|r| r.rev == b)?;
        return Some((
            r,
            ChosenBy::Older,
            format!(
                "the rule set lacks rev {want}; rev {} is the highest below it",
                show_rev(b)
            ),
        ));
    }
    Some((
        latest,
        ChosenBy::Latest,
        format!(
            "the rule set holds only revisions newer than rev {want}; rev {} is the latest",
            show_rev(latest.rev)
        ),
    ))
}

fn show_rev(r: Option<u32>) -> String {
    r.map_or_else(|| "?".into(), |v| v.to_string())
}

/// The highest revision, its enabled copy first.
fn latest(revs: &[Arc<Rule>]) -> Option<&Arc<Rule>> {
    let top = revs.iter().map(|r| r.rev).max()?;
    revs.iter().find(|r| r.rev == top)
}

fn read(p: &Path, max: u64, what: &str) -> Result<String, SignatureError> {
    crate::input::limits::read_text(p, max, what).map_err(|m| SignatureError::Io {
        path: p.display().to_string(),
        source: std::io::Error::other(m),
    })
}

impl RuleAnalysis {
    /// The rule as text, from its parsed parts (the header, then every option as written).
    pub fn rule_text(&self) -> String {
        rule_text(&self.rule)
    }

    /// The destination port the rule names, when it names exactly one.
    pub fn dest_port(&self) -> Option<u16> {
        match self.rule.header.as_ref()?.dst_port {
            PortExpr::Range(a, b) if a == b => Some(a),
            _ => None,
        }
    }

    /// The rule's header and payload options in one line, without bookkeeping options.
    pub fn summary(&self) -> String {
        let r = &self.rule;
        let mut s = String::new();
        if let Some(p) = &r.proto {
            s.push_str(p);
        }
        if let Some(h) = &r.header {
            let _ = write!(
                s,
                " {} {} {} {} {}",
                h.src, h.src_port, h.direction, h.dst, h.dst_port
            );
        }
        let opts: Vec<String> = r
            .options
            .iter()
            .filter(|o| {
                !matches!(
                    o.kind,
                    OptKind::Msg(_)
                        | OptKind::Sid(_)
                        | OptKind::Gid(_)
                        | OptKind::Rev(_)
                        | OptKind::Reference { .. }
                        | OptKind::Metadata(_)
                        | OptKind::Classtype(_)
                        | OptKind::Priority(_)
                )
            })
            .map(|o| o.render())
            .collect();
        let _ = write!(s, " with {}", opts.join(" "));
        if r.flow().is_none() && r.proto.as_deref() == Some("tcp") {
            s.push_str(" (no flow option)");
        }
        s.trim().to_string()
    }

    /// The content mapped onto dissected fields, one sentence per matched payload content:
    /// "content |32 00 00 00| at bytes 0–3 = LLMNR transaction ID 0x3200 and flags 0x0000".
    pub fn mapping(&self, dis: &Dissection) -> Option<String> {
        let proto = dis.protocol.map(str::to_ascii_uppercase);
        let parts: Vec<String> = self
            .matches
            .iter()
            .filter(|m| m.buffer == "payload")
            .map(|m| {
                let fields: Vec<String> = dis
                    .fields_overlapping(m.range.clone())
                    .map(|f| match &f.value {
                        Some(v) => format!("{} {v}", f.name),
                        None => f.name.to_string(),
                    })
                    .collect();
                let place = describe_range(&m.range);
                let what = if fields.is_empty() {
                    "no dissected field".to_string()
                } else {
                    let joined = join_and(&fields);
                    match &proto {
                        Some(p) => format!("{p} {joined}"),
                        None => joined,
                    }
                };
                format!("content {} at {place} = {what}", show_content(&m.pattern))
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// Expected chance matches of the rule's contents per 10,000 packets like this one.
    ///
    /// Per content: anchored contents take the chance from the classes of the fields they
    /// land in (random IDs and media bytes 1/256 per byte; flags, counts, codes and lengths
    /// are fixed by the protocol in packets of this kind, so 1; text bytes their measured
    /// frequency in this payload's text), times the positions the replay inspected; floating
    /// contents take the replay's 256^-n estimate over the positions it inspected. Each
    /// content's chance is capped at 1 and the contents' chances are multiplied. How often
    /// such packets occur in the dump is not counted here (that needs the whole dump).
    pub fn chance_per_10k(&self, dis: &Dissection, payload: Option<&[u8]>) -> Option<f64> {
        if self.matches.is_empty() {
            return None;
        }
        let text = payload.map(|p| TextFrequency::of(p, dis));
        let mut p_all = 1.0f64;
        for m in &self.matches {
            let positions = m.chance.map_or(1, |c| c.positions.max(1)) as f64;
            let term = match (m.anchored, m.buffer.as_str(), payload, &text) {
                (true, "payload", Some(p), Some(freq)) => {
                    let mut prob = 1.0;
                    for i in m.range.clone() {
                        let Some(&b) = p.get(i) else { break };
                        prob *= byte_chance(dis.field_at(i).map(|f| f.class), b, m.nocase, freq);
                    }
                    prob * positions
                }
                _ => m.chance.map_or(1.0, |c| c.expected),
            };
            p_all *= term.min(1.0);
        }
        Some(round_sig(p_all * 10_000.0))
    }

    /// Whether every payload match lies in random-like bytes (random IDs, media, binary data).
    pub fn only_in_random_bytes(&self, dis: &Dissection) -> bool {
        let mut any = false;
        for m in self.matches.iter().filter(|m| m.buffer == "payload") {
            any = true;
            let random = m
                .range
                .clone()
                .all(|i| dis.field_at(i).is_some_and(|f| f.class.is_random_like()));
            if !random {
                return false;
            }
        }
        any
    }
}

/// Byte frequencies of a payload's text fields, for the chance of text bytes.
struct TextFrequency {
    counts: [u32; 256],
    total: u32,
}

impl TextFrequency {
    fn of(p: &[u8], dis: &Dissection) -> TextFrequency {
        let mut t = TextFrequency {
            counts: [0; 256],
            total: 0,
        };
        for f in dis.fields.iter().filter(|f| is_text(f.class)) {
            for &b in p.get(f.range.clone()).unwrap_or(&[]) {
                t.counts[b as usize] += 1;
                t.total += 1;
            }
        }
        t
    }

    /// Smoothed frequency (add-one over 256 values), so an unseen byte is rare, not impossible.
    fn p(&self, b: u8) -> f64 {
        f64::from(self.counts[b as usize] + 1) / f64::from(self.total + 256)
    }
}

fn is_text(c: FieldClass) -> bool {
    matches!(
        c,
        FieldClass::Name | FieldClass::HeaderText | FieldClass::StartLine | FieldClass::TextBody
    )
}

fn byte_chance(class: Option<FieldClass>, b: u8, nocase: bool, text: &TextFrequency) -> f64 {
    let case_fold = if nocase && b.is_ascii_alphabetic() {
        2.0
    } else {
        1.0
    };
    match class {
        Some(
            FieldClass::Flags
            | FieldClass::Count
            | FieldClass::Length
            | FieldClass::Code
            | FieldClass::Magic
            | FieldClass::Padding,
        ) => 1.0,
        Some(c) if is_text(c) => {
            let other = if nocase && b.is_ascii_alphabetic() {
                text.p(b ^ 0x20)
            } else {
                0.0
            };
            (text.p(b) + other).min(1.0)
        }
        _ => case_fold / 256.0,
    }
}

/// Rounds to two significant digits (one decimal at and above 100), so that facts read well.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    if x >= 100.0 {
        return x.round();
    }
    format!("{x:.1e}").parse().unwrap_or(x)
}

fn join_and(v: &[String]) -> String {
    match v {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `byte 607` or `bytes 0–3` (inclusive, as analysts count).
pub fn describe_range(r: &Range<usize>) -> String {
    if r.end <= r.start + 1 {
        format!("byte {}", r.start)
    } else {
        format!("bytes {}–{}", r.start, r.end - 1)
    }
}

/// A content for sentences: all hex (`|32 00 00 00|`) when any byte is not printable, so the
/// bytes read as the field values they land on; printable text in quotes (`">"`).
pub fn show_content(p: &[u8]) -> String {
    if p.iter().all(|&b| b == b' ' || b.is_ascii_graphic()) {
        format!("\"{}\"", show_bytes(p))
    } else {
        let hex: Vec<String> = p.iter().map(|b| format!("{b:02X}")).collect();
        format!("|{}|", hex.join(" "))
    }
}

/// A parsed rule written out again: action, protocol, header, options.
pub fn rule_text(r: &Rule) -> String {
    let mut s = String::new();
    if !r.enabled {
        s.push_str("# ");
    }
    s.push_str(&r.action);
    if let Some(p) = &r.proto {
        s.push(' ');
        s.push_str(p);
    }
    if let Some(h) = &r.header {
        let _ = write!(
            s,
            " {} {} {} {} {}",
            h.src, h.src_port, h.direction, h.dst, h.dst_port
        );
    }
    let opts: Vec<String> = r.options.iter().map(|o| o.render()).collect();
    let _ = write!(s, " ({})", opts.join(" "));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> RuleSet {
        let mut s = RuleSet::default();
        s.add_text(text, "t.rules");
        s
    }

    #[test]
    fn chooses_exact_then_older_then_latest() {
        let s = set("alert tcp any any -> any 1 (msg:\"M\"; sid:9; rev:1;)\n\
             alert tcp any any -> any 1 (msg:\"M\"; sid:9; rev:4;)\n");
        let revs = s.lookup(1, 9);
        let (r, by, _) = choose(&revs, Some(4)).unwrap();
        assert_eq!((r.rev, by), (Some(4), ChosenBy::Exact));
        let (r, by, _) = choose(&revs, Some(3)).unwrap();
        assert_eq!((r.rev, by), (Some(1), ChosenBy::Older));
        let (r, by, why) = choose(&revs, None).unwrap();
        assert_eq!((r.rev, by), (Some(4), ChosenBy::Latest));
        assert!(why.contains("does not say"), "{why}");
        let s1 = set("alert tcp any any -> any 1 (msg:\"M\"; sid:9; rev:4;)\n");
        let revs = s1.lookup(1, 9);
        let (r, by, _) = choose(&revs, Some(2)).unwrap();
        assert_eq!((r.rev, by), (Some(4), ChosenBy::Latest));
        assert!(choose(&[], Some(1)).is_none());
    }

    fn msg_only_alert(msg: &'static str, dport: u16) -> Alert<'static> {
        use crate::model::{Endpoint, Host, InputFormat, Location, Provenance, Timestamp};
        let mut a = Alert::new(
            Provenance {
                path: Cow::Borrowed("t"),
                location: Location::Line(1),
            },
            InputFormat::Full,
            Timestamp::unparsed(""),
        );
        a.msg = Some(Cow::Borrowed(msg));
        a.src = Endpoint {
            host: Host::parse("a.b.c.d"),
            port: Some(80),
        };
        a.dest = Endpoint {
            host: Host::parse("my.firewall.ip"),
            port: Some(dport),
        };
        a
    }

    #[test]
    fn binding_prefers_rules_that_can_fire_and_enabled_ones() {
        // Issue #8: a UDP NTP alert of sid 8 was bound to a commented-out `alert http`
        // FILESTORE rule of another set with the same sid.
        let mut s = RuleSet::default();
        s.add_text(
            "alert udp any any -> any 123 (msg:\"NTP\"; content:\"|e3|\"; depth:1; sid:8; rev:1;)\n",
            "own.rules",
        );
        s.add_text(
            "# alert http any any -> any any (msg:\"FILESTORE pdf\"; filemagic:\"PDF\"; sid:8; rev:3;)\n\
             alert tcp any any -> any 25 (msg:\"SMTP\"; content:\"X\"; sid:9; rev:1;)\n\
             # alert tcp any any -> any 25 (msg:\"SMTP\"; content:\"Y\"; sid:9; rev:2;)\n",
            "other.rules",
        );
        let ctx = SignatureContext {
            set: s,
            ..SignatureContext::default()
        };
        let kb = Knowledge::embedded().unwrap();
        let mut a = msg_only_alert("NTP", 123);
        a.proto = Some(crate::model::IpProto::UDP);
        a.sid = Some(8);
        a.rev = Some(3);
        let ra = ctx.analyse(&a, &Dissection::default(), None, &kb).unwrap();
        assert_eq!(ra.rule.origin.path.as_ref(), "own.rules");
        assert!(ra.rule.enabled);
        // An enabled copy wins over a later commented-out revision.
        a.proto = Some(crate::model::IpProto::TCP);
        a.sid = Some(9);
        a.rev = None;
        let ra = ctx.analyse(&a, &Dissection::default(), None, &kb).unwrap();
        assert_eq!(ra.rule.rev, Some(1));
        // Only a commented-out rule fits: it is used, and the analysis says so.
        a.sid = Some(8);
        a.proto = Some(crate::model::IpProto::TCP);
        let ra = ctx.analyse(&a, &Dissection::default(), None, &kb).unwrap();
        assert!(!ra.rule.enabled);
        assert!(ra.chosen_why.contains("commented out"), "{}", ra.chosen_why);
        // No rule can fire on the packet: none is bound.
        a.proto = Some(crate::model::IpProto::ICMP);
        assert!(ctx.analyse(&a, &Dissection::default(), None, &kb).is_none());
    }

    #[test]
    fn msg_shared_by_two_sids_resolves_by_port() {
        let ctx = SignatureContext {
            set: set("alert tcp $EXTERNAL_NET any -> $HOME_NET 12754 (msg:\"M\"; content:\">\"; sid:247; rev:4;)\n\
                 alert tcp $EXTERNAL_NET any -> $HOME_NET 15104 (msg:\"M\"; content:\">\"; sid:249; rev:8;)\n"),
            ..SignatureContext::default()
        };
        let mut a = msg_only_alert("M", 12754);
        assert_eq!(ctx.resolve(&mut a), Some("the rule set's msg"));
        assert_eq!(a.sid, Some(247));
        let mut b = msg_only_alert("M", 15104);
        ctx.resolve(&mut b);
        assert_eq!(b.sid, Some(249));
        // Neither header fits: the lowest sid, rather than none.
        let mut c = msg_only_alert("M", 1);
        ctx.resolve(&mut c);
        assert_eq!(c.sid, Some(247));
        let mut d = msg_only_alert("unknown", 1);
        assert_eq!(ctx.resolve(&mut d), None);
        assert_eq!(d.sid, None);
    }

    #[test]
    fn classification_ids_and_names_become_descriptions() {
        let (classifications, errs) = Classifications::parse(
            "config classification: not-suspicious,Not Suspicious Traffic,3\n\
             config classification: attempted-dos,Attempted Denial of Service,2\n",
            "classification.config",
        );
        assert!(errs.is_empty());
        let ctx = SignatureContext {
            classifications,
            ..SignatureContext::default()
        };
        let mut a = msg_only_alert("x", 1);
        a.classification_id = Some(2);
        ctx.resolve(&mut a);
        assert_eq!(
            a.classification.as_deref(),
            Some("Attempted Denial of Service")
        );
        let mut b = msg_only_alert("x", 1);
        b.classification = Some(Cow::Borrowed("not-suspicious"));
        ctx.resolve(&mut b);
        assert_eq!(b.classification.as_deref(), Some("Not Suspicious Traffic"));
        let mut c = msg_only_alert("x", 1);
        c.classification = Some(Cow::Borrowed("Some Sensor Text"));
        ctx.resolve(&mut c);
        assert_eq!(c.classification.as_deref(), Some("Some Sensor Text"));
    }

    #[test]
    fn ranges_and_contents_read_as_analysts_write_them() {
        assert_eq!(describe_range(&(0..4)), "bytes 0–3");
        assert_eq!(describe_range(&(607..608)), "byte 607");
        assert_eq!(show_content(&[0x32, 0, 0, 0]), "|32 00 00 00|");
        assert_eq!(show_content(b">"), "\">\"");
        assert_eq!(show_content(b"\x012"), "|01 32|");
        assert_eq!(round_sig(0.152_587_890_625), 0.15);
        assert_eq!(round_sig(57_031.25), 57_031.0);
        assert_eq!(
            join_and(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }

    #[test]
    fn rule_text_round_trips_through_the_parser() {
        let text = "alert udp $HOME_NET 1024:65535 -> [$EXTERNAL_NET,!224.0.0.0/4] 1024:65535 (msg:\"X\"; dsize:<38; content:\"|32 00 00 00|\"; depth:4; sid:5; rev:4;)";
        let s = set(text);
        let r = &s.iter().next().unwrap();
        let again = rule_text(r);
        let back = parse_rule(
            &again,
            Origin {
                path: Arc::from("t"),
                line: 1,
            },
        )
        .unwrap();
        assert_eq!(back.options, r.options);
        assert_eq!(back.header, r.header);
    }
}
