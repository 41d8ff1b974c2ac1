//! The knowledge base: protocol and address facts, loaded from the text files in `knowledge/`.
//!
//! The files are embedded in the binary at build time; `--knowledge DIR` replaces any of them
//! with a file of the same name from `DIR`. Every fact carries its source. This module holds
//! facts only: it imports no reasoning stage.

mod files;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnetwork::IpNetwork;
use regex::bytes::Regex;
use serde::Deserialize;
use thiserror::Error;

use crate::model::IpProto;

pub use files::FILES;

#[derive(Debug, Error)]
pub enum KnowledgeError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// A block of the IANA special-purpose registries (or multicast space).
#[derive(Clone, Debug, Deserialize)]
pub struct SpecialBlock {
    #[serde(deserialize_with = "de_net")]
    pub prefix: IpNetwork,
    pub name: String,
    pub rfc: String,
    pub allocated: String,
    pub forwardable: bool,
    pub global: bool,
    #[serde(default)]
    pub source: String,
}

/// A /8 of the IANA IPv4 address-space registry.
#[derive(Clone, Debug, Deserialize)]
pub struct SpaceBlock {
    #[serde(deserialize_with = "de_net")]
    pub prefix: IpNetwork,
    pub designation: String,
    /// `YYYY-MM` of the current designation.
    pub date: String,
    pub status: String,
    #[serde(default)]
    pub source: String,
}

/// The state of a /8 at a given date.
#[derive(Clone, Debug)]
pub enum AllocationAt<'k> {
    /// Held by IANA (reserved or unallocated) at the date; allocated later.
    NotYetAllocated { block: &'k SpaceBlock },
    /// Allocated (or legacy) at the date.
    Allocated { block: &'k SpaceBlock },
    /// Reserved by IANA then and now (0/8, 127/8, 240/4, ...).
    Reserved { block: &'k SpaceBlock },
    /// Multicast space.
    Multicast { block: &'k SpaceBlock },
}

impl AllocationAt<'_> {
    pub fn block(&self) -> &SpaceBlock {
        match self {
            AllocationAt::NotYetAllocated { block }
            | AllocationAt::Allocated { block }
            | AllocationAt::Reserved { block }
            | AllocationAt::Multicast { block } => block,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct MulticastScope {
    #[serde(deserialize_with = "de_net")]
    pub prefix: IpNetwork,
    pub scope: String,
    pub name: String,
    pub rfc: String,
    pub note: String,
    #[serde(default)]
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MulticastGroup {
    pub address: IpAddr,
    pub name: String,
    pub protocol: String,
    pub rfc: String,
    #[serde(default)]
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Service {
    pub port: u16,
    pub transport: Vec<String>,
    pub protocol: String,
    pub name: String,
    pub rfc: String,
    #[serde(default)]
    pub source: String,
}

impl Service {
    pub fn runs_over(&self, proto: IpProto) -> bool {
        let want = match proto {
            IpProto::TCP => "tcp",
            IpProto::UDP => "udp",
            IpProto::SCTP => "sctp",
            _ => return false,
        };
        self.transport.iter().any(|t| t == want)
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct PortRange {
    pub name: String,
    pub low: u16,
    pub high: u16,
    pub systems: String,
    pub source: String,
}

impl PortRange {
    pub fn contains(&self, port: u16) -> bool {
        (self.low..=self.high).contains(&port)
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Magic {
    pub name: String,
    pub mime: String,
    pub class: String,
    pub binary: bool,
    #[serde(deserialize_with = "de_hex")]
    pub hex: Vec<u8>,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Intent {
    pub intent: String,
    #[serde(deserialize_with = "de_regex_ci")]
    pub msg: regex::Regex,
    pub classtypes: Vec<String>,
    /// Snort generator ids whose alerts all have this intent (built-in decoders and
    /// preprocessors), for alerts that carry no msg.
    #[serde(default)]
    pub gids: Vec<u32>,
    pub peer: String,
    pub description: String,
    pub source: String,
}

/// Facts about one well-known signature, for use when its rule text is not given.
#[derive(Clone, Debug, Deserialize)]
pub struct KnownSignature {
    pub gid: u32,
    pub sid: u32,
    pub msg: String,
    pub rev: u32,
    pub proto: String,
    /// 0 when the rule's destination port is `any`.
    pub dest_port: u16,
    #[serde(deserialize_with = "de_hex_list")]
    pub contents: Vec<Vec<u8>>,
    /// The rule's flow option, empty when it has none.
    pub flow: String,
    pub summary: String,
    pub source: String,
    #[serde(default)]
    pub references: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Indicator {
    pub id: String,
    pub pattern: String,
    pub case_sensitive: bool,
    pub description: String,
    pub source: String,
    #[serde(skip)]
    pub regex: Option<Regex>,
}

/// Routine activity that trips IDS rules (knowledge/benign-activity.toml).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub id: String,
    pub name: String,
    /// os-feature, discovery, sync-client, tool, test-traffic, scanner.
    pub kind: String,
    pub what: String,
    pub source: String,
    /// Words that, in a signature's msg, name this activity.
    #[serde(default)]
    pub signature_words: Vec<String>,
    #[serde(rename = "match")]
    pub when: ActivityMatch,
}

/// What an alert must show to be an [`Activity`]: every key given must hold.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityMatch {
    #[serde(default)]
    pub query_name: Vec<String>,
    #[serde(default)]
    pub http_host: Vec<String>,
    #[serde(default)]
    pub http_path: Vec<String>,
    #[serde(default)]
    pub user_agent: Vec<String>,
    #[serde(default)]
    pub payload_contains: Vec<String>,
    #[serde(default)]
    pub ssdp_method: Vec<String>,
    #[serde(default)]
    pub udp_port: Option<u16>,
    #[serde(default)]
    pub to_group: bool,
    /// Protocols a dissector read the payload as, with nothing malformed in it.
    #[serde(default)]
    pub protocol: Vec<String>,
}

/// What an alert shows that activities are matched on.
#[derive(Clone, Debug, Default)]
pub struct Seen<'a> {
    /// A DNS-family query name or NetBIOS name.
    pub names: Vec<&'a str>,
    pub http_host: Option<&'a str>,
    pub http_path: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub payload: Option<&'a [u8]>,
    pub ssdp_method: Option<&'a str>,
    pub udp_port: Option<u16>,
    pub to_group: bool,
    /// The protocol of a dissection that found nothing malformed.
    pub protocol: Option<&'a str>,
}

impl ActivityMatch {
    /// Whether the entry is matched on the protocol, port and addressing alone (no name,
    /// host, user agent or bytes of its own): what the dissector's evidence already says.
    pub fn by_protocol_only(&self) -> bool {
        self.query_name.is_empty()
            && self.http_host.is_empty()
            && self.http_path.is_empty()
            && self.user_agent.is_empty()
            && self.payload_contains.is_empty()
            && self.ssdp_method.is_empty()
    }

    /// Whether the alert shows this activity. Runs on every alert, so the cheapest and most
    /// selective keys come first and nothing allocates.
    fn holds(&self, s: &Seen<'_>) -> bool {
        if self.udp_port.is_some_and(|p| s.udp_port != Some(p)) || (self.to_group && !s.to_group) {
            return false;
        }
        let any = |wanted: &[String], ok: &dyn Fn(&str) -> bool| {
            wanted.is_empty() || wanted.iter().any(|w| ok(w))
        };
        if !any(&self.protocol, &|w| s.protocol == Some(w)) {
            return false;
        }
        if !any(&self.ssdp_method, &|w| {
            s.ssdp_method.is_some_and(|m| w.eq_ignore_ascii_case(m))
        }) {
            return false;
        }
        if !any(&self.query_name, &|q| {
            s.names.iter().any(|n| {
                let label = n.trim().split('.').next().unwrap_or("").trim();
                q.eq_ignore_ascii_case(label)
            })
        }) {
            return false;
        }
        if !any(&self.http_host, &|want| {
            s.http_host.is_some_and(|h| {
                let h = h.split(':').next().unwrap_or(h).trim();
                match want.strip_prefix('.') {
                    Some(suffix) => h.eq_ignore_ascii_case(suffix) || ends_with_label(h, suffix),
                    None => h.eq_ignore_ascii_case(want),
                }
            })
        }) {
            return false;
        }
        if !any(&self.http_path, &|w| {
            s.http_path.is_some_and(|p| p.starts_with(w))
        }) {
            return false;
        }
        if !any(&self.user_agent, &|w| {
            s.user_agent
                .is_some_and(|u| crate::input::logline::contains_nocase(u, w))
        }) {
            return false;
        }
        any(&self.payload_contains, &|w| {
            s.payload
                .is_some_and(|p| memchr::memmem::find(p, w.as_bytes()).is_some())
        })
    }
}

impl Activity {
    /// Whether a signature's msg names this activity.
    pub fn named_by(&self, msg: &str) -> bool {
        let m = msg.to_ascii_lowercase();
        self.signature_words
            .iter()
            .any(|w| m.contains(&w.to_ascii_lowercase()))
    }
}

/// A rule header's protocol keyword and the transports it matches.
#[derive(Clone, Debug, Deserialize)]
pub struct RuleProtocol {
    pub keyword: String,
    /// Transport names as `IpProto` prints them in lower case, or `any`.
    pub transports: Vec<String>,
    #[serde(default)]
    pub source: String,
}

/// A classic DDoS tool (knowledge/ddos-tools.toml).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DdosTool {
    pub id: String,
    pub name: String,
    pub what: String,
    #[serde(default)]
    pub source: String,
}

/// Where in a control message a tool's words sit.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WordPosition {
    /// The first space-delimited token is one of the words.
    FirstWord,
    /// The first token is one of the words and the second is the channel's password.
    CommandPassword,
    /// The payload starts with one of the words.
    Prefix,
    /// The payload, less trailing CR, LF, NUL and spaces, is one of the words.
    Whole,
    /// ICMP only: the identifier is one of `icmp_ids` and the data ends with the dotted IPv4
    /// address the command is about (a flood's target); `words` name the command.
    IcmpIdAddress,
}

/// One control channel of a DDoS tool: who talks to whom, over what, with which words.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DdosChannel {
    pub tool: String,
    pub from: String,
    pub to: String,
    /// `tcp`, `udp` or `icmp`.
    pub transport: String,
    /// The port on `port_side`; absent for ICMP.
    #[serde(default)]
    pub port: Option<u16>,
    /// `dest` or `src`.
    #[serde(default)]
    pub port_side: Option<String>,
    /// ICMP identifiers the tool uses on this channel (not visible in the payload).
    #[serde(default)]
    pub icmp_ids: Vec<u16>,
    #[serde(rename = "match")]
    pub position: WordPosition,
    pub words: Vec<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub source: String,
}

impl DdosChannel {
    /// Rejects entries the dissector could not use as written.
    pub(crate) fn check(&self) -> Result<(), String> {
        let what = format!("channel {} {}→{}", self.tool, self.from, self.to);
        match self.transport.as_str() {
            "tcp" | "udp" => {
                if self.port.is_none() || !matches!(self.port_side.as_deref(), Some("dest" | "src"))
                {
                    return Err(format!(
                        "{what}: tcp and udp channels need port and port_side"
                    ));
                }
            }
            "icmp" => {}
            t => return Err(format!("{what}: unknown transport {t}")),
        }
        if self.words.is_empty() || self.words.iter().any(String::is_empty) {
            return Err(format!("{what}: needs non-empty words"));
        }
        if self.position == WordPosition::IcmpIdAddress
            && (self.transport != "icmp" || self.icmp_ids.is_empty())
        {
            return Err(format!(
                "{what}: match = \"icmp_id_address\" needs transport icmp and icmp_ids"
            ));
        }
        if (self.position == WordPosition::CommandPassword) != self.password.is_some() {
            return Err(format!(
                "{what}: a password goes with match = \"command_password\" only"
            ));
        }
        Ok(())
    }

    /// Whether the channel's transport and port fit a packet.
    pub fn fits(&self, proto: IpProto, src_port: Option<u16>, dest_port: Option<u16>) -> bool {
        let t = match proto {
            IpProto::TCP => "tcp",
            IpProto::UDP => "udp",
            IpProto::ICMP => "icmp",
            _ => return false,
        };
        if self.transport != t {
            return false;
        }
        if t == "icmp" {
            return true;
        }
        let side = match self.port_side.as_deref() {
            Some("src") => src_port,
            _ => dest_port,
        };
        side.is_some() && side == self.port
    }
}

/// A short lesson on a protocol fact behind an explanation (`--teach`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Primer {
    pub id: String,
    pub title: String,
    /// Evidence ids whose explanation rests on the fact.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Shown for every alert whose rule fpx analysed.
    #[serde(default)]
    pub rule: bool,
    pub text: String,
    pub refs: Vec<String>,
}

/// A check that would tell a true positive, with command templates (`--teach`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextCheck {
    pub id: String,
    /// Evidence ids it follows; empty: every alert.
    #[serde(default)]
    pub evidence: Vec<String>,
    pub text: String,
    #[serde(default)]
    pub commands: Vec<String>,
}

/// Every fact fpx knows.
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    pub special: Vec<SpecialBlock>,
    pub space: Vec<SpaceBlock>,
    pub scopes: Vec<MulticastScope>,
    pub groups: Vec<MulticastGroup>,
    pub services: Vec<Service>,
    pub ephemeral: Vec<PortRange>,
    pub magic: Vec<Magic>,
    pub intents: Vec<Intent>,
    pub signatures: Vec<KnownSignature>,
    pub indicators: Vec<Indicator>,
    pub rule_protocols: Vec<RuleProtocol>,
    pub activities: Vec<Activity>,
    pub ddos_tools: Vec<DdosTool>,
    pub ddos_channels: Vec<DdosChannel>,
    pub primers: Vec<Primer>,
    pub next_checks: Vec<NextCheck>,
    /// Where each file was read from (`embedded` or a path), for `--explain-sources`.
    pub origins: Vec<(String, String)>,
}

impl Knowledge {
    /// The knowledge embedded at build time.
    pub fn embedded() -> Result<Knowledge, KnowledgeError> {
        Knowledge::load(None)
    }

    /// The embedded knowledge, with files of the same name in `dir` replacing embedded ones.
    pub fn load(dir: Option<&Path>) -> Result<Knowledge, KnowledgeError> {
        let mut kb = Knowledge::default();
        for (name, embedded) in FILES {
            let (text, origin) = match dir.map(|d| d.join(name)) {
                Some(p) if p.is_file() => {
                    let t = crate::input::limits::read_text(
                        &p,
                        crate::input::limits::MAX_TOML_FILE,
                        "knowledge file",
                    )
                    .map_err(|m| KnowledgeError::Io {
                        file: p.display().to_string(),
                        source: std::io::Error::other(m),
                    })?;
                    (t, p.display().to_string())
                }
                _ => (embedded.to_string(), format!("embedded:{name}")),
            };
            files::load_file(&mut kb, name, &text).map_err(|message| KnowledgeError::Parse {
                file: origin.clone(),
                message,
            })?;
            kb.origins.push((name.to_string(), origin));
        }
        // Most specific prefix first, so that lookups find 192.0.0.8/32 before 192.0.0.0/24.
        kb.special
            .sort_by_key(|b| std::cmp::Reverse(b.prefix.prefix()));
        kb.scopes
            .sort_by_key(|b| std::cmp::Reverse(b.prefix.prefix()));
        Ok(kb)
    }

    /// Special-purpose blocks containing `ip`, most specific first.
    pub fn special_blocks(&self, ip: IpAddr) -> impl Iterator<Item = &SpecialBlock> {
        self.special.iter().filter(move |b| b.prefix.contains(ip))
    }

    /// Special-purpose blocks that contain, or lie inside, a known network (for sanitised
    /// addresses such as `10.x.x.x`): only blocks that contain the whole network count.
    pub fn special_blocks_of_net(&self, net: IpNetwork) -> impl Iterator<Item = &SpecialBlock> {
        self.special
            .iter()
            .filter(move |b| b.prefix.prefix() <= net.prefix() && b.prefix.contains(net.network()))
    }

    /// The multicast scope block containing `ip`, if any (most specific).
    pub fn multicast_scope(&self, ip: IpAddr) -> Option<&MulticastScope> {
        self.scopes.iter().find(|s| s.prefix.contains(ip))
    }

    pub fn multicast_group(&self, ip: IpAddr) -> Option<&MulticastGroup> {
        self.groups.iter().find(|g| g.address == ip)
    }

    /// The /8 of `ip` and its state at `date` (year, month). Without a date, the current state.
    pub fn allocation(&self, ip: IpAddr, date: Option<(i32, u32)>) -> Option<AllocationAt<'_>> {
        let IpAddr::V4(v4) = ip else { return None };
        let block = self
            .space
            .iter()
            .find(|b| b.prefix.contains(IpAddr::V4(v4)))?;
        Some(match block.status.as_str() {
            "RESERVED" => AllocationAt::Reserved { block },
            "MULTICAST" => AllocationAt::Multicast { block },
            _ => match (date, parse_year_month(&block.date)) {
                (Some(at), Some(since)) if at < since && block.status == "ALLOCATED" => {
                    AllocationAt::NotYetAllocated { block }
                }
                _ => AllocationAt::Allocated { block },
            },
        })
    }

    /// Services listening on `port` over `proto`.
    pub fn services(&self, proto: IpProto, port: u16) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .filter(move |s| s.port == port && s.runs_over(proto))
    }

    /// The first service name on a port, for short labels.
    pub fn service_protocol(&self, proto: IpProto, port: u16) -> Option<&str> {
        self.services(proto, port)
            .next()
            .map(|s| s.protocol.as_str())
    }

    /// Ephemeral ranges that contain `port`.
    pub fn ephemeral_ranges(&self, port: u16) -> impl Iterator<Item = &PortRange> {
        self.ephemeral.iter().filter(move |r| r.contains(port))
    }

    /// The file magic that `bytes` start with, longest match first.
    pub fn magic_at(&self, bytes: &[u8]) -> Option<&Magic> {
        self.magic
            .iter()
            .filter(|m| bytes.starts_with(&m.hex))
            .max_by_key(|m| m.hex.len())
    }

    /// Whether a rule with this header protocol can fire on a packet of `transport`: `Some`
    /// when the keyword is known, `None` when it is not (it may then fit anything).
    /// The first routine activity the alert shows.
    pub fn activity(&self, seen: &Seen<'_>) -> Option<&Activity> {
        self.activities.iter().find(|a| a.when.holds(seen))
    }

    pub fn rule_protocol_fits(&self, keyword: &str, transport: IpProto) -> Option<bool> {
        let p = self
            .rule_protocols
            .iter()
            .find(|p| p.keyword.eq_ignore_ascii_case(keyword))?;
        let name = transport.to_string().to_ascii_lowercase();
        Some(p.transports.iter().any(|t| t == "any" || *t == name))
    }

    /// The DDoS tool named by a channel's `tool`.
    pub fn ddos_tool(&self, id: &str) -> Option<&DdosTool> {
        self.ddos_tools.iter().find(|t| t.id == id)
    }

    /// The intent of a Snort generator id, when the generator has one.
    pub fn intent_of_gid(&self, gid: u32) -> Option<&Intent> {
        self.intents.iter().find(|i| i.gids.contains(&gid))
    }

    /// Intents whose msg pattern or classtype matches.
    pub fn intents_of<'k>(
        &'k self,
        msg: Option<&'k str>,
        classtype: Option<&'k str>,
    ) -> impl Iterator<Item = &'k Intent> + 'k {
        self.intents.iter().filter(move |i| {
            msg.is_some_and(|m| i.msg.is_match(m))
                || classtype.is_some_and(|c| {
                    i.classtypes
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(c) || humanised_classtype(t, c))
                })
        })
    }

    /// A known signature by gid/sid, or by its message when no sid is known.
    pub fn known_signature(
        &self,
        gid: u32,
        sid: Option<u32>,
        msg: Option<&str>,
    ) -> Option<&KnownSignature> {
        match sid {
            Some(sid) => self
                .signatures
                .iter()
                .find(|s| s.gid == gid && s.sid == sid),
            None => msg.and_then(|m| self.signatures.iter().find(|s| s.msg == m)),
        }
    }

    /// The directory of the knowledge files in the source tree, for tools and tests.
    pub fn source_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
    }
}

/// Classification text as sensors print it ("Attempted Denial of Service") against the
/// classtype short name: both are accepted by matching the classification.config description
/// loosely. Kept conservative: only exact short names match here; descriptions are matched
/// through the `classification.config` reader when one is given.
/// Whether the host name `h` ends with the label `.suffix`, ASCII case ignored.
fn ends_with_label(h: &str, suffix: &str) -> bool {
    let (h, x) = (h.as_bytes(), suffix.as_bytes());
    h.len() > x.len()
        && h[h.len() - x.len() - 1] == b'.'
        && h[h.len() - x.len()..].eq_ignore_ascii_case(x)
}

fn humanised_classtype(_short: &str, _text: &str) -> bool {
    false
}

fn parse_year_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

fn de_net<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IpNetwork, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

pub(crate) fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if clean.len() % 2 != 0 {
        return Err(format!("odd number of hex digits in {s:?}"));
    }
    clean
        .chunks(2)
        .map(|c| {
            std::str::from_utf8(c)
                .ok()
                .and_then(|t| u8::from_str_radix(t, 16).ok())
                .ok_or_else(|| format!("bad hex {s:?}"))
        })
        .collect()
}

fn de_hex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    parse_hex(&s).map_err(serde::de::Error::custom)
}

fn de_hex_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    v.iter()
        .map(|s| parse_hex(s).map_err(serde::de::Error::custom))
        .collect()
}

fn de_regex_ci<'de, D: serde::Deserializer<'de>>(d: D) -> Result<regex::Regex, D::Error> {
    let s = String::deserialize(d)?;
    regex::RegexBuilder::new(&s)
        .case_insensitive(true)
        .build()
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> Knowledge {
        Knowledge::embedded().expect("embedded knowledge loads")
    }

    #[test]
    fn every_fact_has_a_source() {
        let kb = kb();
        assert!(kb.special.iter().all(|b| !b.source.is_empty()));
        assert!(kb.space.iter().all(|b| !b.source.is_empty()));
        assert!(kb.groups.iter().all(|b| !b.source.is_empty()));
        assert!(kb.services.iter().all(|b| !b.source.is_empty()));
        assert!(kb.scopes.iter().all(|b| !b.source.is_empty()));
        assert_eq!(kb.space.len(), 256);
    }

    #[test]
    fn one_slash_eight_was_reserved_until_2010() {
        let kb = kb();
        let ip: IpAddr = "1.11.68.22".parse().unwrap();
        let a2004 = kb.allocation(ip, Some((2004, 9))).unwrap();
        assert!(matches!(a2004, AllocationAt::NotYetAllocated { .. }));
        assert_eq!(a2004.block().designation, "APNIC");
        assert_eq!(a2004.block().date, "2010-01");
        let a2015 = kb.allocation(ip, Some((2015, 1))).unwrap();
        assert!(matches!(a2015, AllocationAt::Allocated { .. }));
        let lo = kb.allocation("127.0.0.1".parse().unwrap(), None).unwrap();
        assert!(matches!(lo, AllocationAt::Reserved { .. }));
    }

    #[test]
    fn llmnr_group_and_scope() {
        let kb = kb();
        let ip: IpAddr = "224.0.0.252".parse().unwrap();
        assert_eq!(kb.multicast_group(ip).unwrap().protocol, "llmnr");
        assert_eq!(kb.multicast_scope(ip).unwrap().scope, "link-local");
        let v6: IpAddr = "ff02::1:3".parse().unwrap();
        assert_eq!(kb.multicast_group(v6).unwrap().rfc, "RFC 4795");
        assert_eq!(kb.multicast_scope(v6).unwrap().scope, "link-local");
        assert_eq!(
            kb.multicast_scope("239.255.255.250".parse().unwrap())
                .unwrap()
                .scope,
            "site-local"
        );
    }

    #[test]
    fn special_blocks_most_specific_first() {
        let kb = kb();
        let names: Vec<_> = kb
            .special_blocks("192.0.0.8".parse().unwrap())
            .map(|b| b.name.as_str())
            .collect();
        assert_eq!(names[0], "IPv4 dummy address");
        assert!(kb
            .special_blocks("10.1.2.3".parse().unwrap())
            .any(|b| b.rfc == "RFC 1918"));
        assert!(kb
            .special_blocks_of_net("10.0.0.0/8".parse().unwrap())
            .any(|b| b.rfc == "RFC 1918"));
    }

    #[test]
    fn ports_and_magic() {
        let kb = kb();
        assert_eq!(kb.service_protocol(IpProto::UDP, 5355), Some("llmnr"));
        assert_eq!(kb.service_protocol(IpProto::TCP, 80), Some("http"));
        assert_eq!(kb.service_protocol(IpProto::UDP, 80), None);
        assert!(kb.ephemeral_ranges(12754).any(|r| r.name.contains("NAT")));
        assert_eq!(kb.ephemeral_ranges(50000).count(), 4);
        assert_eq!(kb.magic_at(b"GIF89a~\x02").unwrap().mime, "image/gif");
        assert!(kb.magic_at(b"HTTP/1.0").is_none());
    }

    #[test]
    fn intents_from_msg() {
        let kb = kb();
        let i: Vec<_> = kb
            .intents_of(Some("ET P2P ThunderNetwork UDP Traffic"), None)
            .map(|i| i.intent.as_str())
            .collect();
        assert_eq!(i, ["p2p"]);
        assert!(kb
            .intents_of(Some("DDOS mstream client to handler"), None)
            .any(|i| i.intent == "dos"));
        assert!(kb
            .known_signature(1, None, Some("DDOS mstream client to handler"))
            .is_some());
    }

    #[test]
    fn override_dir_replaces_a_file() {
        let dir = std::env::temp_dir().join(format!("fpx-kb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("services.toml"),
            "source = \"test\"\n[[service]]\nport = 9\ntransport = [\"udp\"]\nprotocol = \"discard\"\nname = \"Discard\"\nrfc = \"RFC 863\"\n",
        )
        .unwrap();
        let kb = Knowledge::load(Some(&dir)).unwrap();
        assert_eq!(kb.services.len(), 1);
        assert_eq!(kb.service_protocol(IpProto::UDP, 9), Some("discard"));
        std::fs::write(dir.join("services.toml"), "[[service]]\nport = \"x\"\n").unwrap();
        let err = Knowledge::load(Some(&dir)).unwrap_err().to_string();
        assert!(err.contains("services.toml"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn ddos_channels_name_known_tools() {
        let kb = Knowledge::embedded().unwrap();
        assert!(kb.ddos_channels.len() >= 10);
        for c in &kb.ddos_channels {
            assert!(kb.ddos_tool(&c.tool).is_some(), "{}", c.tool);
            assert!(!c.source.is_empty());
            assert!(c.check().is_ok());
        }
        let trinoo = kb
            .ddos_channels
            .iter()
            .find(|c| c.port == Some(27444))
            .unwrap();
        assert!(trinoo.fits(IpProto::UDP, Some(1024), Some(27444)));
        assert!(!trinoo.fits(IpProto::TCP, Some(1024), Some(27444)));
        assert!(!trinoo.fits(IpProto::UDP, Some(27444), Some(1024)));
    }
}
