//! The rule language of Snort 2.9, Suricata 7/8 and the basics of Snort 3, parsed by hand.
//!
//! A rule is `action proto src sport dir dst dport (options)`; Snort 3 service rules drop the
//! addresses (`alert http (...)`) and builtin rules drop the protocol too (`alert (...)`).
//! Options are `name[:value];` in order. Content modifiers (`nocase`, `depth:4`, Snort 2's
//! `http_uri`, Snort 3's `,offset 2` inside the value) are attached to the content they modify.
//!
//! Rules own their text (`String`): they are loaded once per run, continuation lines and escapes
//! would make borrowed views patchy, and a 40,000-rule set is a few MiB either way.
//!
//! Pure parsing lives here; what a parsed rule means for an alert lives in `vars` and `replay`.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use ipnetwork::IpNetwork;

use super::{Origin, SignatureError};

/// Longest logical rule (after joining continuation lines) that is parsed. Real rules stay
/// under 8 KiB; the longest in ET Open 2024 is about 5 KiB. Longer text is not a rule.
pub const MAX_RULE_LEN: usize = 64 * 1024;

/// Deepest nesting of `[...]` and `!` in an address or port expression. Real rules nest two or
/// three levels; the bound keeps hostile input from recursing without end.
pub const MAX_EXPR_DEPTH: usize = 16;

/// Actions that start a rule line (Snort 2/3 and Suricata).
pub const ACTIONS: &[&str] = &[
    "alert",
    "drop",
    "pass",
    "reject",
    "log",
    "sdrop",
    "activate",
    "dynamic",
    "rejectsrc",
    "rejectdst",
    "rejectboth",
    "block",
    "react",
    "rewrite",
    "config",
];

/// The dialect a rule is written in, as far as it matters for its meaning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// Snort 2.9 and Suricata: modifiers are separate options after their content.
    #[default]
    Classic,
    /// Snort 3: modifiers after commas inside the content value, buffer keywords are sticky.
    Snort3,
}

/// An address expression of a rule header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrExpr {
    Any,
    /// `$HOME_NET` (stored without the `$`).
    Var(String),
    Net(IpNetwork),
    Not(Box<AddrExpr>),
    List(Vec<AddrExpr>),
}

/// A port expression of a rule header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortExpr {
    Any,
    Var(String),
    /// `80`, `1024:`, `:1023`, `1024:65535` as inclusive bounds.
    Range(u16, u16),
    Not(Box<PortExpr>),
    List(Vec<PortExpr>),
}

/// `->`, `<>`, or Suricata 8's transactional `=>` (request one way, response the other).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    To,
    Both,
    Transactional,
}

/// The address part of a rule header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub src: AddrExpr,
    pub src_port: PortExpr,
    pub direction: Direction,
    pub dst: AddrExpr,
    pub dst_port: PortExpr,
}

impl std::fmt::Display for AddrExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddrExpr::Any => f.write_str("any"),
            AddrExpr::Var(v) => write!(f, "${v}"),
            AddrExpr::Net(n) if n.prefix() == 32 || n.prefix() == 128 => write!(f, "{}", n.ip()),
            AddrExpr::Net(n) => write!(f, "{n}"),
            AddrExpr::Not(e) => write!(f, "!{e}"),
            AddrExpr::List(v) => write_list(f, v),
        }
    }
}

impl std::fmt::Display for PortExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortExpr::Any => f.write_str("any"),
            PortExpr::Var(v) => write!(f, "${v}"),
            PortExpr::Range(a, b) if a == b => write!(f, "{a}"),
            PortExpr::Range(0, b) => write!(f, ":{b}"),
            PortExpr::Range(a, u16::MAX) => write!(f, "{a}:"),
            PortExpr::Range(a, b) => write!(f, "{a}:{b}"),
            PortExpr::Not(e) => write!(f, "!{e}"),
            PortExpr::List(v) => write_list(f, v),
        }
    }
}

fn write_list<T: std::fmt::Display>(f: &mut std::fmt::Formatter<'_>, v: &[T]) -> std::fmt::Result {
    f.write_str("[")?;
    for (i, e) in v.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{e}")?;
    }
    f.write_str("]")
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::To => "->",
            Direction::Both => "<>",
            Direction::Transactional => "=>",
        })
    }
}

/// A number in an option, or the name of a `byte_extract` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumArg {
    Lit(i64),
    Var(String),
}

/// A content match with its modifiers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    pub negated: bool,
    pub pattern: Vec<u8>,
    pub nocase: bool,
    pub rawbytes: bool,
    pub fast_pattern: bool,
    pub startswith: bool,
    pub endswith: bool,
    pub offset: Option<NumArg>,
    pub depth: Option<NumArg>,
    pub distance: Option<NumArg>,
    pub within: Option<NumArg>,
    /// The buffer inspected (`http.uri`, `http_uri`, `file_data`, ...); `None` is the packet
    /// payload (or reassembled stream).
    pub buffer: Option<String>,
    /// Modifiers as written, in order, for display.
    pub modifiers: Vec<(String, Option<String>)>,
}

impl Content {
    /// Whether any position modifier ties the content to a place in the buffer.
    pub fn is_anchored(&self) -> bool {
        self.offset.is_some()
            || self.depth.is_some()
            || self.distance.is_some()
            || self.within.is_some()
            || self.startswith
            || self.endswith
    }

    /// Whether the content is positioned relative to the previous match.
    pub fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }
}

/// `pcre:"/pattern/flags"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcre {
    pub negated: bool,
    pub pattern: String,
    pub flags: String,
    pub buffer: Option<String>,
}

/// Byte order of `byte_*` options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    Big,
    Little,
    /// DCE/RPC: the byte order of the DCE header.
    Dce,
}

/// Number base of `string` conversions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Dec,
    Hex,
    Oct,
}

/// Options shared by `byte_test`, `byte_jump` and `byte_extract`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteRead {
    pub bytes: NumArg,
    pub offset: NumArg,
    pub relative: bool,
    pub endian: Endian,
    pub string: Option<Base>,
    pub bitmask: Option<u64>,
    pub buffer: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteTest {
    pub read: ByteRead,
    pub negated: bool,
    /// `<`, `>`, `=`, `<=`, `>=`, `&`, `^`.
    pub op: String,
    pub value: NumArg,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteJump {
    pub read: ByteRead,
    pub multiplier: Option<i64>,
    pub align: bool,
    pub from_beginning: bool,
    pub from_end: bool,
    pub post_offset: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteExtract {
    pub read: ByteRead,
    pub name: String,
    pub multiplier: Option<i64>,
    pub align: Option<i64>,
}

/// `isdataat:[!]n[,relative][,rawbytes]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Isdataat {
    pub negated: bool,
    pub offset: NumArg,
    pub relative: bool,
    pub buffer: Option<String>,
}

/// A numeric comparison (`dsize`, `bsize`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq(u64),
    Ne(u64),
    Lt(u64),
    Gt(u64),
    Le(u64),
    Ge(u64),
    /// `a<>b`: strictly between, as Snort and Suricata define it.
    Between(u64, u64),
    /// `a-b` (Suricata `bsize`, Snort 3 `dsize`): inclusive.
    Inclusive(u64, u64),
}

impl Cmp {
    pub fn test(self, v: u64) -> bool {
        match self {
            Cmp::Eq(x) => v == x,
            Cmp::Ne(x) => v != x,
            Cmp::Lt(x) => v < x,
            Cmp::Gt(x) => v > x,
            Cmp::Le(x) => v <= x,
            Cmp::Ge(x) => v >= x,
            Cmp::Between(a, b) => v > a && v < b,
            Cmp::Inclusive(a, b) => v >= a && v <= b,
        }
    }
}

/// `threshold` / `detection_filter` parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// `limit`, `threshold`, `both`; empty for `detection_filter`.
    pub kind: String,
    pub track: String,
    pub count: u64,
    pub seconds: u64,
}

/// What an option means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptKind {
    Msg(String),
    Sid(u32),
    Gid(u32),
    Rev(u32),
    Priority(u32),
    Classtype(String),
    Reference {
        scheme: String,
        id: String,
    },
    Metadata(Vec<(String, String)>),
    Content(Content),
    Pcre(Pcre),
    /// A sticky buffer keyword: following payload options inspect this buffer.
    Buffer(String),
    Flow(Vec<String>),
    Flowbits {
        cmd: String,
        names: Vec<String>,
    },
    Dsize(Cmp),
    ByteTest(ByteTest),
    ByteJump(ByteJump),
    ByteExtract(ByteExtract),
    Isdataat(Isdataat),
    Threshold(Threshold),
    DetectionFilter(Threshold),
    /// TCP `flags:[modifier]flags[,mask]`.
    Flags {
        flags: String,
        mask: Option<String>,
    },
    /// Any other option, kept verbatim.
    Other,
}

/// One option as written, with its meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleOption {
    pub name: String,
    pub value: Option<String>,
    pub kind: OptKind,
}

impl RuleOption {
    /// The option as it would be written (`name:value;`), with attached content modifiers.
    pub fn render(&self) -> String {
        let mut s = match &self.value {
            Some(v) => format!("{}:{};", self.name, v),
            None => format!("{};", self.name),
        };
        if let OptKind::Content(c) = &self.kind {
            // Snort 3 modifiers live inside the value already.
            if !self
                .value
                .as_deref()
                .is_some_and(|v| after_quoted(v).contains(','))
            {
                for (n, v) in &c.modifiers {
                    match v {
                        Some(v) => s.push_str(&format!(" {n}:{v};")),
                        None => s.push_str(&format!(" {n};")),
                    }
                }
            }
        }
        s
    }
}

/// A parsed rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub origin: Origin,
    /// False for rules commented out with `#`.
    pub enabled: bool,
    pub dialect: Dialect,
    pub action: String,
    /// `tcp`, `udp`, `http`, ... (`None` for Snort 3 builtin rules `alert (...)`).
    pub proto: Option<String>,
    /// `None` for Snort 3 service rules without addresses.
    pub header: Option<Header>,
    pub options: Vec<RuleOption>,
    pub gid: u32,
    pub sid: Option<u32>,
    pub rev: Option<u32>,
    pub msg: Option<String>,
    pub classtype: Option<String>,
    /// How many options fpx kept verbatim without knowing their meaning.
    pub unknown_options: usize,
}

impl Rule {
    pub fn contents(&self) -> impl Iterator<Item = &Content> {
        self.options.iter().filter_map(|o| match &o.kind {
            OptKind::Content(c) => Some(c),
            _ => None,
        })
    }

    /// The first option with this kind (by name).
    pub fn option(&self, name: &str) -> Option<&RuleOption> {
        self.options.iter().find(|o| o.name == name)
    }

    pub fn flow(&self) -> Option<&[String]> {
        self.options.iter().find_map(|o| match &o.kind {
            OptKind::Flow(f) => Some(f.as_slice()),
            _ => None,
        })
    }

    pub fn has_threshold(&self) -> bool {
        self.options
            .iter()
            .any(|o| matches!(o.kind, OptKind::Threshold(_) | OptKind::DetectionFilter(_)))
    }

    pub fn metadata(&self) -> impl Iterator<Item = &(String, String)> {
        self.options
            .iter()
            .filter_map(|o| match &o.kind {
                OptKind::Metadata(m) => Some(m.iter()),
                _ => None,
            })
            .flatten()
    }
}

/// A line-oriented result of reading a rules file.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub rules: Vec<Rule>,
    pub errors: Vec<SignatureError>,
    /// Commented lines that looked like disabled rules but did not parse: commentary, not
    /// errors.
    pub commented_non_rules: usize,
}

/// One rule as a rules file holds it: its first line, whether it is commented out, and its
/// text with backslash continuations joined (borrowed from the file when it is one line).
#[derive(Clone, Debug)]
pub struct LogicalRule<'t> {
    pub line: u64,
    pub disabled: bool,
    pub text: Cow<'t, str>,
    /// Longer than [`MAX_RULE_LEN`]: `text` is then empty.
    pub too_long: bool,
}

/// The rules of a file's text, before parsing: blank lines and comments that do not start
/// like a rule are left out, continuation lines joined.
pub fn logical_rules(text: &str) -> impl Iterator<Item = LogicalRule<'_>> {
    let mut lines = text.lines().enumerate().peekable();
    std::iter::from_fn(move || loop {
        let (idx, raw) = lines.next()?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (disabled, body) = match trimmed.strip_prefix('#') {
            Some(rest) => (true, rest.trim_start_matches('#').trim_start()),
            None => (false, trimmed),
        };
        if disabled && !starts_with_action(body) {
            continue;
        }
        let line = idx as u64 + 1;
        let first = body.trim_end();
        if !first.ends_with('\\') {
            let too_long = first.len() > MAX_RULE_LEN;
            return Some(LogicalRule {
                line,
                disabled,
                text: Cow::Borrowed(if too_long { "" } else { first }),
                too_long,
            });
        }
        // Join backslash continuations; past the limit, continuation lines are still
        // consumed but no longer kept.
        let mut logical = String::new();
        let mut cur = first.to_string();
        let mut too_long = false;
        while cur.ends_with('\\') {
            cur.pop();
            if logical.len() + cur.len() > MAX_RULE_LEN {
                too_long = true;
            } else {
                logical.push_str(&cur);
            }
            cur = match lines.next() {
                Some((_, next)) => {
                    let n = next.trim();
                    let n = if disabled {
                        n.trim_start_matches('#').trim_start()
                    } else {
                        n
                    };
                    n.trim_end().to_string()
                }
                None => String::new(),
            };
        }
        logical.push_str(&cur);
        too_long |= logical.len() > MAX_RULE_LEN;
        if too_long {
            logical.clear();
        }
        return Some(LogicalRule {
            line,
            disabled,
            text: Cow::Owned(logical),
            too_long,
        });
    })
}

/// Parses one logical rule of a file: `Ok(None)` for a commented-out line that is commentary
/// rather than a rule.
pub fn parse_logical(l: &LogicalRule<'_>, path: &Arc<str>) -> Result<Option<Rule>, SignatureError> {
    let origin = Origin {
        path: path.clone(),
        line: l.line,
    };
    if l.too_long {
        return if l.disabled {
            Ok(None)
        } else {
            Err(SignatureError::syntax(
                &origin,
                format!("rule longer than {MAX_RULE_LEN} bytes"),
            ))
        };
    }
    match parse_rule(&l.text, origin) {
        Ok(mut r) => {
            r.enabled = !l.disabled;
            Ok(Some(r))
        }
        Err(_) if l.disabled => Ok(None),
        Err(e) => Err(e),
    }
}

/// Parses the text of a rules file. `path` names it in origins and errors.
pub fn parse_rules(text: &str, path: &str) -> ParsedFile {
    let path: Arc<str> = Arc::from(path);
    let mut out = ParsedFile::default();
    for l in logical_rules(text) {
        match parse_logical(&l, &path) {
            Ok(Some(r)) => out.rules.push(r),
            Ok(None) => out.commented_non_rules += usize::from(!l.too_long),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

fn starts_with_action(s: &str) -> bool {
    let word = s
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    ACTIONS.contains(&word)
}

/// Parses one logical rule (continuations already joined).
pub fn parse_rule(text: &str, origin: Origin) -> Result<Rule, SignatureError> {
    let err = |m: String| SignatureError::syntax(&origin, m);
    let text = text.trim();
    let open = text
        .find('(')
        .ok_or_else(|| err("no option list: missing '('".into()))?;
    let close = text
        .rfind(')')
        .filter(|&c| c > open)
        .ok_or_else(|| err("option list not closed: missing ')'".into()))?;
    if !text[close + 1..].trim().is_empty() {
        return Err(err(format!(
            "text after the option list: {:?}",
            truncate(&text[close + 1..], 40)
        )));
    }
    let head = &text[..open];
    let tokens = header_tokens(head).map_err(err)?;
    let action = tokens
        .first()
        .ok_or_else(|| err("empty rule".into()))?
        .to_string();
    if !ACTIONS.contains(&action.as_str()) {
        return Err(err(format!("unknown action {action:?}")));
    }
    let (proto, header) = match tokens.len() {
        1 => (None, None),
        2 => (Some(tokens[1].to_ascii_lowercase()), None),
        7 => {
            let direction = match tokens[4] {
                "->" => Direction::To,
                "<>" => Direction::Both,
                "=>" => Direction::Transactional,
                d => return Err(err(format!("bad direction {d:?} (want ->, <> or =>)"))),
            };
            let h = Header {
                src: parse_addr(tokens[2], 0).map_err(|m| err(format!("source address: {m}")))?,
                src_port: parse_port(tokens[3], 0).map_err(|m| err(format!("source port: {m}")))?,
                direction,
                dst: parse_addr(tokens[5], 0)
                    .map_err(|m| err(format!("destination address: {m}")))?,
                dst_port: parse_port(tokens[6], 0)
                    .map_err(|m| err(format!("destination port: {m}")))?,
            };
            (Some(tokens[1].to_ascii_lowercase()), Some(h))
        }
        n => {
            return Err(err(format!(
                "header has {n} fields; want action proto src sport dir dst dport"
            )))
        }
    };
    let body = &text[open + 1..close];
    let raw_opts = split_options(body).map_err(err)?;
    let dialect = if header.is_none()
        || raw_opts.iter().any(|(n, v)| {
            (n == "content" || n == "pcre")
                && v.as_deref()
                    .is_some_and(|v| after_quoted(v).starts_with(','))
        }) {
        Dialect::Snort3
    } else {
        Dialect::Classic
    };
    let mut rule = Rule {
        origin: origin.clone(),
        enabled: true,
        dialect,
        action,
        proto,
        header,
        options: Vec::with_capacity(raw_opts.len()),
        gid: 1,
        sid: None,
        rev: None,
        msg: None,
        classtype: None,
        unknown_options: 0,
    };
    let mut sticky: Option<String> = None;
    let mut last_content: Option<usize> = None;
    for (name, value) in raw_opts {
        let lname = name.to_ascii_lowercase();
        let kind = option_kind(&lname, value.as_deref(), &sticky, dialect)
            .map_err(|m| err(format!("option {name}: {m}")))?;
        let kind = match kind {
            Parsed::Kind(k) => k,
            Parsed::Modifier => {
                if let Some(i) = last_content {
                    if let OptKind::Content(c) = &mut rule.options[i].kind {
                        apply_modifier(c, &lname, value.as_deref())
                            .map_err(|m| err(format!("option {name}: {m}")))?;
                        // A Snort 2 buffer modifier also retargets the content's buffer, not
                        // the following ones.
                        continue;
                    }
                }
                if is_buffer_keyword(&lname) {
                    OptKind::Buffer(lname.clone())
                } else {
                    OptKind::Other
                }
            }
        };
        match &kind {
            OptKind::Buffer(b) => {
                sticky = if b == "pkt_data" || b == "raw_data" {
                    None
                } else {
                    Some(b.clone())
                };
            }
            OptKind::Content(_) => last_content = Some(rule.options.len()),
            OptKind::Msg(m) => rule.msg = Some(m.clone()),
            OptKind::Sid(s) => rule.sid = Some(*s),
            OptKind::Gid(g) => rule.gid = *g,
            OptKind::Rev(r) => rule.rev = Some(*r),
            OptKind::Classtype(c) => rule.classtype = Some(c.clone()),
            OptKind::Other => rule.unknown_options += 1,
            _ => {}
        }
        rule.options.push(RuleOption { name, value, kind });
    }
    Ok(rule)
}

enum Parsed {
    Kind(OptKind),
    /// A content modifier (attached to the previous content when there is one).
    Modifier,
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Splits the header into whitespace-separated tokens, keeping `[...]` lists together.
fn header_tokens(head: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    for (i, c) in head.char_indices() {
        match c {
            '[' => {
                depth += 1;
                start.get_or_insert(i);
            }
            ']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| "unbalanced ']' in header".to_string())?;
            }
            c if c.is_whitespace() && depth == 0 => {
                if let Some(s) = start.take() {
                    out.push(&head[s..i]);
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if depth != 0 {
        return Err("unbalanced '[' in header".into());
    }
    if let Some(s) = start {
        out.push(&head[s..]);
    }
    Ok(out)
}

/// Splits `[...]` list contents at top-level commas.
fn split_list(s: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.checked_sub(1).ok_or("unbalanced ']'")?,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced '['".into());
    }
    out.push(s[start..].trim());
    Ok(out)
}

/// Parses an address expression (`any`, `$HOME_NET`, `10.0.0.0/8`, `!x`, `[a,b]`).
pub fn parse_addr(s: &str, depth: usize) -> Result<AddrExpr, String> {
    if depth > MAX_EXPR_DEPTH {
        return Err("address expression nested too deeply".into());
    }
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('!') {
        return Ok(AddrExpr::Not(Box::new(parse_addr(rest, depth + 1)?)));
    }
    if let Some(inner) = s.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or("list not closed with ']'")?;
        let items = split_list(inner)?
            .into_iter()
            .filter(|i| !i.is_empty())
            .map(|i| parse_addr(i, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        if items.is_empty() {
            return Err("empty address list".into());
        }
        return Ok(AddrExpr::List(items));
    }
    if s.eq_ignore_ascii_case("any") {
        return Ok(AddrExpr::Any);
    }
    if let Some(v) = s.strip_prefix('$') {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("bad variable name {s:?}"));
        }
        return Ok(AddrExpr::Var(v.to_string()));
    }
    parse_net(s).map(AddrExpr::Net)
}

/// Parses `a.b.c.d`, `a.b.c.d/n`, IPv6 with or without prefix.
pub fn parse_net(s: &str) -> Result<IpNetwork, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        return IpNetwork::new(ip, bits).map_err(|e| e.to_string());
    }
    match s.split_once('/') {
        Some((a, p)) => {
            let ip: IpAddr = a.parse().map_err(|_| format!("bad address {s:?}"))?;
            let prefix: u8 = match p.parse() {
                Ok(p) => p,
                // A dotted netmask (`/255.255.255.0`).
                Err(_) => {
                    let m: std::net::Ipv4Addr =
                        p.parse().map_err(|_| format!("bad prefix in {s:?}"))?;
                    u32::from(m).count_ones() as u8
                }
            };
            // Rules write host bits freely (`10.1.2.3/8`); keep the network they mean.
            let net = IpNetwork::new(ip, prefix).map_err(|e| format!("{s:?}: {e}"))?;
            IpNetwork::new(net.network(), prefix).map_err(|e| format!("{s:?}: {e}"))
        }
        None => Err(format!("bad address {s:?}")),
    }
}

/// Parses a port expression (`any`, `80`, `1024:`, `:1023`, `!x`, `[a,b]`, `$HTTP_PORTS`).
pub fn parse_port(s: &str, depth: usize) -> Result<PortExpr, String> {
    if depth > MAX_EXPR_DEPTH {
        return Err("port expression nested too deeply".into());
    }
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('!') {
        return Ok(PortExpr::Not(Box::new(parse_port(rest, depth + 1)?)));
    }
    if let Some(inner) = s.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or("list not closed with ']'")?;
        let items = split_list(inner)?
            .into_iter()
            .filter(|i| !i.is_empty())
            .map(|i| parse_port(i, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        if items.is_empty() {
            return Err("empty port list".into());
        }
        return Ok(PortExpr::List(items));
    }
    if s.eq_ignore_ascii_case("any") {
        return Ok(PortExpr::Any);
    }
    if let Some(v) = s.strip_prefix('$') {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("bad variable name {s:?}"));
        }
        return Ok(PortExpr::Var(v.to_string()));
    }
    let num = |t: &str| -> Result<u16, String> {
        t.trim()
            .parse::<u16>()
            .map_err(|_| format!("bad port {t:?}"))
    };
    match s.split_once(':') {
        Some((a, b)) => {
            let lo = if a.is_empty() { 0 } else { num(a)? };
            let hi = if b.is_empty() { u16::MAX } else { num(b)? };
            if lo > hi {
                return Err(format!("empty port range {s:?}"));
            }
            Ok(PortExpr::Range(lo, hi))
        }
        None => {
            let p = num(s)?;
            Ok(PortExpr::Range(p, p))
        }
    }
}

/// Splits the option list at `;` outside quotes and not escaped. Returns (name, value).
fn split_options(body: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut out = Vec::new();
    let mut cur_start = 0;
    let mut in_quote = false;
    let mut escaped = false;
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' => escaped = true,
            b'"' => in_quote = !in_quote,
            b';' if !in_quote => {
                push_option(&mut out, &body[cur_start..i])?;
                cur_start = i + 1;
            }
            _ => {}
        }
    }
    if in_quote {
        return Err("unterminated quoted string in options".into());
    }
    let rest = body[cur_start..].trim();
    if !rest.is_empty() {
        // Snort tolerates a last option without its ';'.
        push_option(&mut out, rest)?;
    }
    Ok(out)
}

fn push_option(out: &mut Vec<(String, Option<String>)>, raw: &str) -> Result<(), String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(());
    }
    let (name, value) = match raw.split_once(':') {
        Some((n, v)) if !n.contains('"') => (n.trim(), Some(v.trim().to_string())),
        _ => (raw, None),
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(format!("bad option name {:?}", truncate(name, 40)));
    }
    out.push((name.to_string(), value));
    Ok(())
}

/// The text after a leading quoted string (`"..."` with escapes), or `""` when there is none.
fn after_quoted(v: &str) -> &str {
    let v = v.trim_start().trim_start_matches('!').trim_start();
    if !v.starts_with('"') {
        return "";
    }
    let b = v.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return v[i + 1..].trim_start(),
            _ => i += 1,
        }
    }
    ""
}

/// Removes the quotes around a value and resolves `\;` `\"` `\\` `\:` escapes.
fn unquote(v: &str) -> Result<String, String> {
    let v = v.trim();
    let inner = match v.strip_prefix('"') {
        Some(r) => r
            .strip_suffix('"')
            .filter(|_| !r.is_empty())
            .ok_or("missing closing quote")?,
        None => v,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) => out.push(n),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Splits a quoted value from the comma modifiers after it (Snort 3).
fn split_quoted(v: &str) -> Result<(&str, &str), String> {
    let t = v.trim();
    let rest = after_quoted(t);
    if rest.is_empty() && !t.ends_with('"') {
        return Ok((t, ""));
    }
    let q_end = t.len() - rest.len();
    let quoted = t[..q_end].trim_end();
    Ok((quoted, rest))
}

/// Decodes a content string: text with `|41 42|` hex runs and escapes.
pub fn decode_content(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    let mut hex = false;
    let mut nibble: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if hex {
            match c {
                b'|' => {
                    if nibble.is_some() {
                        return Err("odd number of hex digits".into());
                    }
                    hex = false;
                }
                b' ' | b'\t' => {}
                c if c.is_ascii_hexdigit() => {
                    let v = (c as char).to_digit(16).unwrap_or(0) as u8;
                    match nibble.take() {
                        Some(h) => out.push(h << 4 | v),
                        None => nibble = Some(v),
                    }
                }
                c => return Err(format!("bad hex digit {:?}", c as char)),
            }
            i += 1;
            continue;
        }
        match c {
            b'|' => hex = true,
            b'\\' if i + 1 < b.len() => {
                i += 1;
                out.push(b[i]);
            }
            c => out.push(c),
        }
        i += 1;
    }
    if hex {
        return Err("hex run not closed with '|'".into());
    }
    Ok(out)
}

fn num_arg(v: &str) -> Result<NumArg, String> {
    let v = v.trim();
    if let Ok(n) = parse_int(v) {
        return Ok(NumArg::Lit(n));
    }
    if !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !v.as_bytes()[0].is_ascii_digit()
    {
        return Ok(NumArg::Var(v.to_string()));
    }
    Err(format!("bad number {v:?}"))
}

fn parse_int(v: &str) -> Result<i64, String> {
    let v = v.trim();
    let (neg, digits) = match v.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let n = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(h, 16)
    } else {
        digits.parse::<i64>()
    }
    .map_err(|_| format!("bad number {v:?}"))?;
    Ok(if neg { -n } else { n })
}

fn parse_u32(v: Option<&str>) -> Result<u32, String> {
    let v = v.ok_or("missing value")?.trim();
    v.parse::<u32>().map_err(|_| format!("bad number {v:?}"))
}

fn is_buffer_keyword(n: &str) -> bool {
    const FLAGS: &[&str] = &["tls.store", "tls.cert_expired", "tls.cert_valid"];
    const NAMED: &[&str] = &[
        "file_data",
        "pkt_data",
        "raw_data",
        "base64_data",
        "js_data",
        "vba_data",
        "dce_stub_data",
        "dns_query",
        "krb5_cname",
        "krb5_sname",
        "ja3_hash",
        "ja3_string",
        "ja3s_hash",
        "ja3s_string",
    ];
    if FLAGS.contains(&n) {
        return false;
    }
    n.contains('.')
        || NAMED.contains(&n)
        || [
            "http_", "tls_", "sip_", "ssh_", "smb_", "dnp3_", "modbus_", "cip_",
        ]
        .iter()
        .any(|p| n.starts_with(p))
}

/// Modifiers that attach to the previous content.
const CONTENT_MODIFIERS: &[&str] = &[
    "nocase",
    "rawbytes",
    "fast_pattern",
    "offset",
    "depth",
    "distance",
    "within",
    "startswith",
    "endswith",
];

fn option_kind(
    name: &str,
    value: Option<&str>,
    sticky: &Option<String>,
    dialect: Dialect,
) -> Result<Parsed, String> {
    let need = || value.ok_or_else(|| "missing value".to_string());
    let k = match name {
        "msg" => OptKind::Msg(unquote(need()?)?),
        "sid" => OptKind::Sid(parse_u32(value)?),
        "gid" => OptKind::Gid(parse_u32(value)?),
        "rev" => OptKind::Rev(parse_u32(value)?),
        "priority" => OptKind::Priority(parse_u32(value)?),
        "classtype" => OptKind::Classtype(need()?.trim().to_string()),
        "reference" => {
            let v = need()?;
            let (scheme, id) = v.split_once(',').ok_or("want scheme,id")?;
            OptKind::Reference {
                scheme: scheme.trim().to_ascii_lowercase(),
                id: id.trim().to_string(),
            }
        }
        "metadata" => OptKind::Metadata(
            need()?
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|kv| match kv.split_once(char::is_whitespace) {
                    Some((k, v)) => (k.to_string(), v.trim().to_string()),
                    None => (kv.to_string(), String::new()),
                })
                .collect(),
        ),
        "content" | "uricontent" => {
            let v = need()?;
            let t = v.trim();
            let (negated, t) = match t.strip_prefix('!') {
                Some(r) => (true, r.trim_start()),
                None => (false, t),
            };
            let (quoted, mods) = split_quoted(t)?;
            let inner = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .filter(|_| quoted.len() >= 2)
                .unwrap_or(quoted);
            if inner.is_empty() {
                return Err("empty content".into());
            }
            let mut c = Content {
                negated,
                pattern: decode_content(inner)?,
                buffer: if name == "uricontent" {
                    Some("http_uri".into())
                } else {
                    sticky.clone()
                },
                ..Content::default()
            };
            if dialect == Dialect::Snort3 {
                for m in mods.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    let (mn, mv) = match m.split_once(char::is_whitespace) {
                        Some((a, b)) => (a, Some(b.trim())),
                        None => (m, None),
                    };
                    apply_modifier(&mut c, &mn.to_ascii_lowercase(), mv)?;
                }
            } else if !mods.is_empty() {
                return Err(format!("text after the quoted string: {mods:?}"));
            }
            OptKind::Content(c)
        }
        "pcre" => {
            let v = need()?.trim();
            let (negated, v) = match v.strip_prefix('!') {
                Some(r) => (true, r.trim_start()),
                None => (false, v),
            };
            let (quoted, _mods) = split_quoted(v)?;
            let inner = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .ok_or("pcre value must be quoted")?;
            let (pattern, flags) = split_pcre(inner)?;
            OptKind::Pcre(Pcre {
                negated,
                pattern,
                flags,
                buffer: sticky.clone(),
            })
        }
        // Suricata's `frame:<proto>.<frame>` is a sticky buffer with an argument: the payload
        // options after it inspect that app-layer frame, not the packet.
        "frame" => OptKind::Buffer(format!("frame:{}", need()?.trim())),
        "flow" => OptKind::Flow(
            need()?
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
        "flowbits" => {
            let v = need()?;
            let (cmd, names) = match v.split_once(',') {
                Some((c, n)) => (c, n),
                None => (v, ""),
            };
            OptKind::Flowbits {
                cmd: cmd.trim().to_ascii_lowercase(),
                names: names
                    .split(['&', '|', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            }
        }
        "dsize" => OptKind::Dsize(parse_cmp(need()?)?),
        "isdataat" => {
            let v = need()?;
            let mut parts = v.split(',').map(str::trim);
            let first = parts.next().unwrap_or("");
            let (negated, first) = match first.strip_prefix('!') {
                Some(r) => (true, r),
                None => (false, first),
            };
            let mut relative = false;
            for p in parts {
                match p {
                    "relative" => relative = true,
                    "rawbytes" => {}
                    o => return Err(format!("unknown isdataat argument {o:?}")),
                }
            }
            OptKind::Isdataat(Isdataat {
                negated,
                offset: num_arg(first)?,
                relative,
                buffer: sticky.clone(),
            })
        }
        "byte_test" => OptKind::ByteTest(parse_byte_test(need()?, sticky)?),
        "byte_jump" => OptKind::ByteJump(parse_byte_jump(need()?, sticky)?),
        "byte_extract" => OptKind::ByteExtract(parse_byte_extract(need()?, sticky)?),
        "threshold" => OptKind::Threshold(parse_threshold(need()?)?),
        "detection_filter" => OptKind::DetectionFilter(parse_threshold(need()?)?),
        "flags" => {
            let v = need()?.trim();
            let (f, m) = match v.split_once(',') {
                Some((f, m)) => (f.trim(), Some(m.trim().to_string())),
                None => (v, None),
            };
            OptKind::Flags {
                flags: f.to_string(),
                mask: m,
            }
        }
        n if CONTENT_MODIFIERS.contains(&n) => return Ok(Parsed::Modifier),
        // Suricata 8 bidirectional rules (`=>`) name the side a sticky buffer is read from:
        // `file.data: to_client;` is still the sticky buffer.
        n if is_buffer_keyword(n)
            && matches!(value.map(str::trim), Some("to_client" | "to_server")) =>
        {
            OptKind::Buffer(n.to_string())
        }
        n if value.is_none() && is_buffer_keyword(n) => {
            // Snort 2 (and Suricata's legacy) `http_uri;` after a content modifies that
            // content; in Snort 3 every buffer keyword is sticky.
            if dialect == Dialect::Classic && n.starts_with("http_") && !n.contains('.') {
                return Ok(Parsed::Modifier);
            }
            OptKind::Buffer(n.to_string())
        }
        _ => OptKind::Other,
    };
    Ok(Parsed::Kind(k))
}

fn apply_modifier(c: &mut Content, name: &str, value: Option<&str>) -> Result<(), String> {
    let v = || -> Result<NumArg, String> { num_arg(value.ok_or("missing value")?) };
    match name {
        "nocase" => c.nocase = true,
        "rawbytes" => c.rawbytes = true,
        "fast_pattern" => c.fast_pattern = true,
        "startswith" => c.startswith = true,
        "endswith" => c.endswith = true,
        "offset" => c.offset = Some(v()?),
        "depth" => c.depth = Some(v()?),
        "distance" => c.distance = Some(v()?),
        "within" => c.within = Some(v()?),
        n if is_buffer_keyword(n) => c.buffer = Some(n.to_string()),
        // Other Snort 3 content modifiers (`fast_pattern_offset`, ...) are kept for display.
        _ => {}
    }
    c.modifiers
        .push((name.to_string(), value.map(|s| s.trim().to_string())));
    Ok(())
}

/// Splits `/pattern/flags` (or `m{pattern}flags` style delimiters) into its parts.
fn split_pcre(s: &str) -> Result<(String, String), String> {
    let s = s.trim();
    let body = s.strip_prefix('m').unwrap_or(s);
    let delim = body.chars().next().ok_or("empty pcre")?;
    let close = match delim {
        '{' => '}',
        '(' => ')',
        '[' => ']',
        '<' => '>',
        d if !d.is_alphanumeric() && !d.is_whitespace() => d,
        _ => return Err("pcre must start with '/'".into()),
    };
    let rest = &body[delim.len_utf8()..];
    let end = rest.rfind(close).ok_or("pcre delimiter not closed")?;
    let pattern = &rest[..end];
    let flags = &rest[end + close.len_utf8()..];
    if !flags.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(format!("bad pcre flags {flags:?}"));
    }
    // Escaped quotes and semicolons inside the quoted option value.
    let pattern = pattern.replace("\\\"", "\"").replace("\\;", ";");
    Ok((pattern, flags.to_string()))
}

/// Parses `dsize`-style comparisons: `5`, `<38`, `>10`, `!=3`, `5<>10`, `5-10`, `<=4`.
pub fn parse_cmp(v: &str) -> Result<Cmp, String> {
    let v = v.trim();
    let n = |t: &str| -> Result<u64, String> {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("bad number {t:?}"))
    };
    if let Some((a, b)) = v.split_once("<>") {
        return Ok(Cmp::Between(n(a)?, n(b)?));
    }
    for (p, f) in [
        ("<=", Cmp::Le as fn(u64) -> Cmp),
        (">=", Cmp::Ge),
        ("!=", Cmp::Ne),
        ("!", Cmp::Ne),
        ("<", Cmp::Lt),
        (">", Cmp::Gt),
        ("=", Cmp::Eq),
    ] {
        if let Some(r) = v.strip_prefix(p) {
            return Ok(f(n(r)?));
        }
    }
    if let Some((a, b)) = v.split_once('-') {
        return Ok(Cmp::Inclusive(n(a)?, n(b)?));
    }
    Ok(Cmp::Eq(n(v)?))
}

fn parse_threshold(v: &str) -> Result<Threshold, String> {
    let mut t = Threshold {
        kind: String::new(),
        track: String::new(),
        count: 0,
        seconds: 0,
    };
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, val) = part
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("want 'name value', got {part:?}"))?;
        let val = val.trim();
        match k {
            "type" => t.kind = val.to_string(),
            "track" => t.track = val.to_string(),
            "count" => t.count = val.parse().map_err(|_| format!("bad count {val:?}"))?,
            "seconds" => t.seconds = val.parse().map_err(|_| format!("bad seconds {val:?}"))?,
            // Snort 3 `detection_filter` and others may add fields fpx does not use.
            _ => {}
        }
    }
    Ok(t)
}

fn endian_word(w: &str) -> Option<Endian> {
    match w {
        "big" => Some(Endian::Big),
        "little" => Some(Endian::Little),
        "dce" => Some(Endian::Dce),
        _ => None,
    }
}

fn base_word(w: &str) -> Option<Base> {
    match w {
        "dec" => Some(Base::Dec),
        "hex" => Some(Base::Hex),
        "oct" => Some(Base::Oct),
        _ => None,
    }
}

/// Applies one shared `byte_*` flag word; returns false when the word is not one.
fn byte_read_word(r: &mut ByteRead, word: &str) -> Result<bool, String> {
    if let Some(e) = endian_word(word) {
        r.endian = e;
        return Ok(true);
    }
    if let Some(b) = base_word(word) {
        r.string.get_or_insert(Base::Dec);
        r.string = Some(b);
        return Ok(true);
    }
    match word {
        "relative" => r.relative = true,
        "string" => {
            r.string.get_or_insert(Base::Dec);
        }
        _ => {
            if let Some(m) = word.strip_prefix("bitmask") {
                r.bitmask = Some(parse_int(m.trim())? as u64);
                return Ok(true);
            }
            return Ok(false);
        }
    }
    Ok(true)
}

fn byte_args(v: &str) -> Vec<&str> {
    v.split(',').map(str::trim).collect()
}

fn new_read(bytes: &str, offset: &str, sticky: &Option<String>) -> Result<ByteRead, String> {
    Ok(ByteRead {
        bytes: num_arg(bytes)?,
        offset: num_arg(offset)?,
        relative: false,
        endian: Endian::Big,
        string: None,
        bitmask: None,
        buffer: sticky.clone(),
    })
}

fn parse_byte_test(v: &str, sticky: &Option<String>) -> Result<ByteTest, String> {
    let a = byte_args(v);
    if a.len() < 4 {
        return Err("want bytes, operator, value, offset".into());
    }
    let mut read = new_read(a[0], a[3], sticky)?;
    let (negated, op) = match a[1].strip_prefix('!') {
        Some(o) => (true, if o.is_empty() { "=" } else { o }),
        None => (false, a[1]),
    };
    if !["<", ">", "=", "<=", ">=", "&", "^"].contains(&op) {
        return Err(format!("bad operator {:?}", a[1]));
    }
    for w in &a[4..] {
        if !byte_read_word(&mut read, w)? {
            return Err(format!("unknown byte_test argument {w:?}"));
        }
    }
    Ok(ByteTest {
        read,
        negated,
        op: op.to_string(),
        value: num_arg(a[2])?,
    })
}

fn parse_byte_jump(v: &str, sticky: &Option<String>) -> Result<ByteJump, String> {
    let a = byte_args(v);
    if a.len() < 2 {
        return Err("want bytes, offset".into());
    }
    let mut j = ByteJump {
        read: new_read(a[0], a[1], sticky)?,
        multiplier: None,
        align: false,
        from_beginning: false,
        from_end: false,
        post_offset: None,
    };
    for w in &a[2..] {
        if byte_read_word(&mut j.read, w)? {
            continue;
        }
        let (k, val) = match w.split_once(char::is_whitespace) {
            Some((k, v)) => (k, Some(v.trim())),
            None => (*w, None),
        };
        match (k, val) {
            ("align", None) => j.align = true,
            ("from_beginning", None) => j.from_beginning = true,
            ("from_end", None) => j.from_end = true,
            ("multiplier", Some(n)) => j.multiplier = Some(parse_int(n)?),
            ("post_offset", Some(n)) => j.post_offset = Some(parse_int(n)?),
            _ => return Err(format!("unknown byte_jump argument {w:?}")),
        }
    }
    Ok(j)
}

fn parse_byte_extract(v: &str, sticky: &Option<String>) -> Result<ByteExtract, String> {
    let a = byte_args(v);
    if a.len() < 3 {
        return Err("want bytes, offset, name".into());
    }
    let mut x = ByteExtract {
        read: new_read(a[0], a[1], sticky)?,
        name: a[2].to_string(),
        multiplier: None,
        align: None,
    };
    for w in &a[3..] {
        if byte_read_word(&mut x.read, w)? {
            continue;
        }
        match w.split_once(char::is_whitespace) {
            Some(("multiplier", n)) => x.multiplier = Some(parse_int(n)?),
            Some(("align", n)) => x.align = Some(parse_int(n)?),
            _ => return Err(format!("unknown byte_extract argument {w:?}")),
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o() -> Origin {
        Origin {
            path: Arc::from("t.rules"),
            line: 1,
        }
    }

    fn p(s: &str) -> Rule {
        parse_rule(s, o()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn content(r: &Rule, i: usize) -> &Content {
        r.contents().nth(i).expect("content")
    }

    #[test]
    fn snort2_rule_with_flow_and_modifiers() {
        let r = p(
            r#"alert tcp $EXTERNAL_NET any -> $HOME_NET 4444 (msg:"TEST one"; flow:to_server,established; content:"ab|0D 0a|c"; nocase; depth:8; content:"x"; distance:1; within:4; classtype:misc-activity; sid:1000001; rev:3;)"#,
        );
        assert_eq!(r.sid, Some(1000001));
        assert_eq!(r.rev, Some(3));
        assert_eq!(r.msg.as_deref(), Some("TEST one"));
        assert_eq!(r.flow().unwrap(), ["to_server", "established"]);
        let c = content(&r, 0);
        assert_eq!(c.pattern, b"ab\r\nc");
        assert!(c.nocase);
        assert_eq!(c.depth, Some(NumArg::Lit(8)));
        let c2 = content(&r, 1);
        assert_eq!(c2.distance, Some(NumArg::Lit(1)));
        assert_eq!(c2.within, Some(NumArg::Lit(4)));
        let h = r.header.unwrap();
        assert_eq!(h.dst_port, PortExpr::Range(4444, 4444));
        assert_eq!(h.src, AddrExpr::Var("EXTERNAL_NET".into()));
    }

    #[test]
    fn nested_address_lists_and_port_ranges() {
        let r = p(
            "alert udp [10.0.0.0/8,!10.1.0.0/16] 1024: <> [$EXTERNAL_NET,!224.0.0.0/4] [:1023,!80] (sid:2;)",
        );
        let h = r.header.unwrap();
        assert_eq!(h.direction, Direction::Both);
        assert_eq!(h.src_port, PortExpr::Range(1024, 65535));
        match &h.dst {
            AddrExpr::List(v) => {
                assert_eq!(v[0], AddrExpr::Var("EXTERNAL_NET".into()));
                assert!(
                    matches!(&v[1], AddrExpr::Not(b) if **b == AddrExpr::Net("224.0.0.0/4".parse().unwrap()))
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            h.dst_port,
            PortExpr::List(vec![
                PortExpr::Range(0, 1023),
                PortExpr::Not(Box::new(PortExpr::Range(80, 80)))
            ])
        );
    }

    #[test]
    fn suricata_sticky_buffers_and_negated_content() {
        let r = p(
            r#"alert http any any -> any any (msg:"x"; flow:established,to_server; http.uri; content:"/a"; startswith; content:!"b\;c"; http.host; content:"h"; pkt_data; content:"p"; sid:3; rev:1;)"#,
        );
        let cs: Vec<_> = r.contents().collect();
        assert_eq!(cs[0].buffer.as_deref(), Some("http.uri"));
        assert!(cs[0].startswith);
        assert!(cs[1].negated);
        assert_eq!(cs[1].pattern, b"b;c");
        assert_eq!(cs[1].buffer.as_deref(), Some("http.uri"));
        assert_eq!(cs[2].buffer.as_deref(), Some("http.host"));
        assert_eq!(cs[3].buffer, None);
        assert_eq!(r.dialect, Dialect::Classic);
    }

    #[test]
    fn snort2_http_modifier_attaches_to_previous_content() {
        let r = p(
            r#"alert tcp any any -> any 80 (content:"GET"; http_method; content:"/x"; http_uri; nocase; sid:4;)"#,
        );
        let cs: Vec<_> = r.contents().collect();
        assert_eq!(cs[0].buffer.as_deref(), Some("http_method"));
        assert_eq!(cs[1].buffer.as_deref(), Some("http_uri"));
        assert!(cs[1].nocase);
    }

    #[test]
    fn escapes_in_msg_and_content() {
        let r = p(
            r#"alert tcp any any -> any any (msg:"a \"quoted\" \; semi \\ back"; content:"\"\\\;|3b|"; sid:5;)"#,
        );
        assert_eq!(r.msg.as_deref(), Some(r#"a "quoted" ; semi \ back"#));
        assert_eq!(content(&r, 0).pattern, b"\"\\;;");
    }

    #[test]
    fn snort3_service_rule_with_comma_modifiers() {
        let r = p(
            r#"alert http ( msg:"S3"; flow:to_server,established; http_uri; content:"/cgi",offset 2,depth 10,nocase; service:http; sid:6; rev:2; )"#,
        );
        assert_eq!(r.dialect, Dialect::Snort3);
        assert!(r.header.is_none());
        assert_eq!(r.proto.as_deref(), Some("http"));
        let c = content(&r, 0);
        assert_eq!(c.offset, Some(NumArg::Lit(2)));
        assert_eq!(c.depth, Some(NumArg::Lit(10)));
        assert!(c.nocase);
        assert_eq!(c.buffer.as_deref(), Some("http_uri"));
        let b = p(r#"alert ( gid:116; sid:1; rev:1; msg:"builtin"; )"#);
        assert_eq!(b.gid, 116);
        assert!(b.proto.is_none());
    }

    #[test]
    fn byte_options_pcre_dsize_threshold() {
        let r = p(
            r#"alert udp any any -> any 53 (dsize:<38; byte_test:2,>,0x10,2,relative,little; byte_jump:1,0,relative,multiplier 2,post_offset -1; byte_extract:2,4,len,relative,string,dec; isdataat:!len,relative; pcre:"/^a\x3b[b-c]+/Ri"; threshold:type limit, track by_src, count 1, seconds 300; unknown_kw:1; sid:7;)"#,
        );
        let kinds: Vec<_> = r.options.iter().map(|o| &o.kind).collect();
        assert!(matches!(kinds[0], OptKind::Dsize(Cmp::Lt(38))));
        match kinds[1] {
            OptKind::ByteTest(t) => {
                assert_eq!(t.op, ">");
                assert_eq!(t.value, NumArg::Lit(16));
                assert_eq!(t.read.endian, Endian::Little);
                assert!(t.read.relative);
            }
            k => panic!("{k:?}"),
        }
        match kinds[2] {
            OptKind::ByteJump(j) => {
                assert_eq!(j.multiplier, Some(2));
                assert_eq!(j.post_offset, Some(-1));
            }
            k => panic!("{k:?}"),
        }
        match kinds[3] {
            OptKind::ByteExtract(x) => {
                assert_eq!(x.name, "len");
                assert_eq!(x.read.string, Some(Base::Dec));
            }
            k => panic!("{k:?}"),
        }
        match kinds[4] {
            OptKind::Isdataat(i) => {
                assert!(i.negated && i.relative);
                assert_eq!(i.offset, NumArg::Var("len".into()));
            }
            k => panic!("{k:?}"),
        }
        match kinds[5] {
            OptKind::Pcre(p) => {
                assert_eq!(p.pattern, r"^a\x3b[b-c]+");
                assert_eq!(p.flags, "Ri");
            }
            k => panic!("{k:?}"),
        }
        assert!(matches!(kinds[6], OptKind::Threshold(t) if t.count == 1 && t.seconds == 300));
        assert!(matches!(kinds[7], OptKind::Other));
        assert_eq!(r.unknown_options, 1);
    }

    #[test]
    fn file_with_disabled_rules_continuations_and_errors() {
        let text = "# comment line\n\
                    alert tcp any any -> any 1 (msg:\"a\"; \\\n  content:\"b\"; sid:1;)\n\
                    # alert udp any any -> any 2 (msg:\"off\"; sid:2;)\n\
                    #alert udp any any -> any 2 (no msg; sid:\n\
                    alert tcp any any -> any 3 (msg:\"bad\"; content:\"|4\"; sid:3;)\n\
                    alert udp any any -> any 4 (sid:4;)\n";
        let f = parse_rules(text, "x.rules");
        assert_eq!(f.rules.len(), 3);
        assert!(f.rules[0].enabled);
        assert_eq!(f.rules[0].origin.line, 2);
        assert_eq!(f.rules[0].contents().next().unwrap().pattern, b"b");
        assert!(!f.rules[1].enabled);
        assert_eq!(f.rules[1].sid, Some(2));
        assert_eq!(f.rules[2].msg, None);
        assert_eq!(f.errors.len(), 1);
        let e = f.errors[0].to_string();
        assert!(e.starts_with("x.rules:6:"), "{e}");
        assert_eq!(f.commented_non_rules, 1);
    }

    #[test]
    fn truncation_at_every_byte_never_panics() {
        let rule = r#"alert udp $HOME_NET 1024:65535 -> [$EXTERNAL_NET,!224.0.0.0/4] 1024:65535 (msg:"é \"x\""; dsize:<38; content:"|32 00 00 00|"; depth:4; content:!"a\;b",offset 2,nocase; pcre:"/a(b)\x00/Ri"; byte_test:2,!&,0x8000,2,relative; byte_jump:2,0,relative,post_offset 1; threshold:type limit, track by_src, count 1, seconds 300; sid:2009099; rev:4;)"#;
        for i in 0..=rule.len() {
            if !rule.is_char_boundary(i) {
                continue;
            }
            let _ = parse_rule(&rule[..i], o());
            let _ = parse_rules(&rule[..i], "t");
            let _ = parse_rules(&format!("# {}", &rule[..i]), "t");
        }
        let _ = parse_rule(&"[".repeat(1000), o());
        let _ = parse_addr(&"!".repeat(1000), 0);
    }
}
