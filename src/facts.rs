//! `fpx facts`: what fpx knows of an address, a port, an address and port, or a signature.
//!
//! A query is answered with the facts an alert with that destination (or that signature)
//! would carry: the same computation as for alerts ([`crate::evidence::compute_facts`]) on
//! an alert made of the query, so that the answer is what evidence rules see. Each answer
//! names the knowledge files the facts come from and the sources those files cite.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;

use crate::dissect::Dissection;
use crate::evidence::{self, Facts, SignatureInfo, Value};
use crate::knowledge::Knowledge;
use crate::model::{Alert, Endpoint, Host, InputFormat, IpProto, Provenance, Timestamp};
use crate::signature::set::RuleSet;

/// What is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// An address (or sanitised label such as `1.11.XX.XX`), with a port and transport when
    /// given.
    Endpoint {
        host: String,
        port: Option<u16>,
        proto: Option<IpProto>,
    },
    /// A port, on one transport or on TCP and UDP.
    Port { proto: Option<IpProto>, port: u16 },
    /// A signature, `sid:2009099` or `sid:1:2009099`.
    Signature { gid: u32, sid: u32 },
}

const EXAMPLES: &str =
    "an address (224.0.0.252, [ff02::fb]:5353, 1.11.XX.XX), ADDR:PORT, PROTO/PORT (udp/5355), PROTO/ADDR:PORT or sid:[GID:]SID";

/// Reads a query: `sid:...`, then an optional `tcp/`/`udp/` prefix, then a port alone, an
/// address with a port (`a.b.c.d:p`, `[v6]:p`) or an address.
pub fn parse_query(s: &str) -> Result<Query, String> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix("sid:") {
        let (gid, sid) = crate::verdict::parse_sid(rest)
            .map_err(|_| format!("{s:?}: sid:SID or sid:GID:SID, e.g. sid:2009099"))?;
        return Ok(Query::Signature { gid, sid });
    }
    let (proto, rest) = match s.split_once('/') {
        Some((p, rest)) => match p.to_ascii_lowercase().as_str() {
            "tcp" => (Some(IpProto::TCP), rest),
            "udp" => (Some(IpProto::UDP), rest),
            _ => return Err(format!("{s:?}: the transport before '/' is tcp or udp")),
        },
        None => (None, s),
    };
    let port = |t: &str| {
        t.parse::<u16>()
            .map_err(|_| format!("{s:?}: {t:?} is not a port (0-65535)"))
    };
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Query::Port {
            proto,
            port: port(rest)?,
        });
    }
    let (host, p) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once("]:") {
            Some((h, p)) => (h, Some(port(p)?)),
            None => (v6.strip_suffix(']').unwrap_or(v6), None),
        }
    } else if rest.matches(':').count() == 1 {
        let (h, p) = rest.split_once(':').unwrap_or((rest, ""));
        (h, Some(port(p)?))
    } else {
        (rest, None)
    };
    match Host::parse(host) {
        Host::Label { known: None, .. } => Err(format!("{s:?} is not {EXAMPLES}")),
        _ => Ok(Query::Endpoint {
            host: host.to_string(),
            port: p,
            proto,
        }),
    }
}

/// Reads `--at YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<(i32, u32, u32), String> {
    let bad = || format!("--at {s:?}: a date as YYYY-MM-DD");
    let mut it = s.trim().splitn(3, '-');
    let mut next = || it.next().ok_or_else(bad);
    let y: i32 = next()?.parse().map_err(|_| bad())?;
    let m: u32 = next()?.parse().map_err(|_| bad())?;
    let d: u32 = next()?.parse().map_err(|_| bad())?;
    if !crate::model::time::valid_date(y, m, d) {
        return Err(bad());
    }
    Ok((y, m, d))
}

/// A validated `fpx facts` query.
#[derive(Clone, Debug)]
pub struct FactsConfig {
    pub query: Query,
    pub at: Option<(i32, u32, u32)>,
    pub rules: Vec<PathBuf>,
    pub knowledge_dir: Option<PathBuf>,
}

/// One set of facts, for one transport (or for no port at all).
#[derive(Debug, serde::Serialize)]
pub struct Section {
    /// `udp`, `tcp`, `udp and tcp`, or empty when the query has no port.
    pub transport: String,
    pub facts: BTreeMap<&'static str, serde_json::Value>,
}

/// A rule found for a signature query.
#[derive(Debug, serde::Serialize)]
pub struct RuleFound {
    pub origin: String,
    pub rev: Option<u32>,
    pub msg: Option<String>,
    pub classtype: Option<String>,
    pub enabled: bool,
    pub text: String,
    pub references: Vec<String>,
    pub weaknesses: Vec<String>,
}

/// The answer to a query.
#[derive(Debug, serde::Serialize)]
pub struct Answer {
    pub query: String,
    /// The date the registries were read at, or `null`: as they are now.
    pub at: Option<String>,
    pub sections: Vec<Section>,
    /// DDoS tool channels on the port (knowledge/ddos-tools.toml): tool, from, to.
    pub ddos_channels: Vec<String>,
    pub rules: Vec<RuleFound>,
    /// Knowledge files the facts come from, with the sources each cites.
    pub sources: Vec<(String, String)>,
}

/// Which knowledge file a fact comes from, by its name.
fn file_of(key: &str, v6: bool) -> Option<&'static str> {
    let special = if v6 {
        "ipv6-special-registry.toml"
    } else {
        "ipv4-special-registry.toml"
    };
    Some(match key {
        k if k.starts_with("dest.special") => special,
        "dest.private" | "dest.global" | "dest.broadcast" => special,
        k if k.starts_with("dest.multicast") => "multicast.toml",
        k if k.starts_with("dest.allocation") || k == "dest.unallocated_at_date" => {
            "ipv4-address-space.toml"
        }
        k if k.starts_with("dest.port_service") || k.starts_with("dest.group_service") => {
            "services.toml"
        }
        k if k.starts_with("dest.port_ephemeral") => "ephemeral-ports.toml",
        k if k.starts_with("signature.") => "signatures.toml",
        _ => return None,
    })
}

/// Facts an answer leaves out: the made-up alert's own (its source, its signature id when
/// none was asked, its labels).
fn shown(key: &str, signature: bool) -> bool {
    let side = key.starts_with("dest.") && key != "dest.label" && key != "dest.ip";
    let sig = signature && key.starts_with("signature.");
    side || sig || key == "alert.date"
}

fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Bool(b) => serde_json::Value::Bool(*b),
        // Ports, counts and ids are whole numbers: written as such.
        Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => serde_json::json!(*n as i64),
        Value::Num(n) => serde_json::json!(n),
        other => serde_json::Value::String(other.to_string()),
    }
}

/// An alert made of the query, for the facts computation.
fn made_up(
    host: Option<&str>,
    port: Option<u16>,
    proto: Option<IpProto>,
    at: Option<(i32, u32, u32)>,
) -> Alert<'static> {
    let micros =
        at.and_then(|(y, m, d)| crate::model::time::micros_from_parts(y, m, d, 12, 0, 0, 0));
    let mut ts = Timestamp::unparsed("");
    ts.unix_micros = micros;
    if micros.is_some() {
        ts.year_source = crate::model::YearSource::Flag;
    }
    let mut a = Alert::new(
        Provenance {
            path: "query".into(),
            location: crate::model::alert::Location::Line(1),
        },
        InputFormat::Fast,
        ts,
    );
    if let Some(h) = host {
        a.dest = Endpoint {
            host: Host::parse(h).into_owned(),
            port,
        };
    } else {
        a.dest.port = port;
    }
    a.proto = proto;
    a
}

fn section(
    facts: &mut Facts,
    alert: &Alert<'_>,
    sig: Option<&SignatureInfo>,
    kb: &Knowledge,
    transport: &str,
    signature: bool,
) -> Section {
    evidence::compute_facts(facts, alert, &Dissection::default(), sig, kb);
    Section {
        transport: transport.to_string(),
        facts: facts
            .iter()
            .filter(|(k, _)| shown(k, signature))
            .map(|(k, v)| (k, to_json(v)))
            .collect(),
    }
}

/// Answers a query.
pub fn run(cfg: &FactsConfig) -> Result<Answer, String> {
    let kb = Knowledge::load(cfg.knowledge_dir.as_deref()).map_err(|e| e.to_string())?;
    let mut facts = Facts::default();
    let mut answer = Answer {
        query: String::new(),
        at: cfg.at.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        sections: Vec::new(),
        ddos_channels: Vec::new(),
        rules: Vec::new(),
        sources: Vec::new(),
    };
    let mut v6 = false;
    match &cfg.query {
        Query::Endpoint { host, port, proto } => {
            v6 = matches!(Host::parse(host), Host::Ip(IpAddr::V6(_)));
            answer.query = match port {
                Some(p) if v6 => format!("[{host}]:{p}"),
                Some(p) => format!("{host}:{p}"),
                None => host.clone(),
            };
            answer.sections = by_transport(*proto, port.is_some(), |t| {
                let a = made_up(Some(host), *port, t, cfg.at);
                let name = t
                    .map(|p| p.to_string().to_ascii_lowercase())
                    .unwrap_or_default();
                section(&mut facts, &a, None, &kb, &name, false)
            });
            if let Some(p) = port {
                answer.ddos_channels = ddos(&kb, *proto, *p);
            }
        }
        Query::Port { proto, port } => {
            answer.query = match proto {
                Some(p) => format!("{}/{port}", p.to_string().to_ascii_lowercase()),
                None => port.to_string(),
            };
            answer.sections = by_transport(*proto, true, |t| {
                let a = made_up(None, Some(*port), t, cfg.at);
                let name = t
                    .map(|p| p.to_string().to_ascii_lowercase())
                    .unwrap_or_default();
                section(&mut facts, &a, None, &kb, &name, false)
            });
            answer.ddos_channels = ddos(&kb, *proto, *port);
        }
        Query::Signature { gid, sid } => {
            answer.query = format!("sid:{gid}:{sid}");
            let set = RuleSet::load(&cfg.rules);
            let mut rules = set.lookup(*gid, *sid);
            rules.sort_by_key(|r| r.rev);
            let known = kb.known_signature(*gid, Some(*sid), None);
            if rules.is_empty() && known.is_none() {
                return Err(format!(
                    "sid:{gid}:{sid}: not in the knowledge base{}",
                    if cfg.rules.is_empty() {
                        "; --rules DIR looks it up in a rule set"
                    } else {
                        " nor in the given rules"
                    }
                ));
            }
            let mut a = made_up(None, None, None, cfg.at);
            a.gid = *gid;
            a.sid = Some(*sid);
            let msg = rules
                .last()
                .and_then(|r| r.msg.clone())
                .or_else(|| known.map(|k| k.msg.clone()));
            a.msg = msg.map(Into::into);
            let info = known.map(crate::explain::signature_info);
            let mut s = section(&mut facts, &a, info.as_ref(), &kb, "", true);
            s.facts.remove("signature.known");
            answer.sections.push(s);
            for r in rules {
                answer.rules.push(RuleFound {
                    origin: r.origin.to_string(),
                    rev: r.rev,
                    msg: r.msg.clone(),
                    classtype: r.classtype.clone(),
                    enabled: r.enabled,
                    text: crate::signature::context::rule_text(&r),
                    references: r
                        .options
                        .iter()
                        .filter_map(|o| match &o.kind {
                            crate::signature::parse::OptKind::Reference { scheme, id } => {
                                Some(format!("{scheme},{id}"))
                            }
                            _ => None,
                        })
                        .collect(),
                    weaknesses: crate::signature::lint::rule_weaknesses(&r)
                        .into_iter()
                        .map(|f| format!("{}: {}", f.weakness.0, f.message))
                        .collect(),
                });
            }
            if let Some(k) = known {
                answer
                    .sources
                    .push(("signatures.toml".into(), k.source.clone()));
            }
        }
    }
    // The files the facts come from, each with the sources it cites.
    let mut files: Vec<&'static str> = Vec::new();
    for s in &answer.sections {
        for k in s.facts.keys() {
            if let Some(f) = file_of(k, v6).filter(|f| !files.contains(f)) {
                files.push(f);
            }
        }
    }
    if !answer.ddos_channels.is_empty() {
        files.push("ddos-tools.toml");
    }
    for f in files {
        if answer.sources.iter().any(|(n, _)| n == f) {
            continue;
        }
        let cited = file_source(&kb, cfg.knowledge_dir.as_deref(), f)
            .unwrap_or_else(|| "each entry cites its own source (shown with the facts)".into());
        answer.sources.push((f.to_string(), cited));
    }
    Ok(answer)
}

/// One section per transport: the one asked, else UDP and TCP when they differ (one
/// section "udp and tcp" when they agree), else one without a transport.
fn by_transport(
    proto: Option<IpProto>,
    has_port: bool,
    mut f: impl FnMut(Option<IpProto>) -> Section,
) -> Vec<Section> {
    match (proto, has_port) {
        (Some(p), _) => vec![f(Some(p))],
        (None, false) => vec![f(None)],
        (None, true) => {
            let mut udp = f(Some(IpProto::UDP));
            let tcp = f(Some(IpProto::TCP));
            if udp.facts == tcp.facts {
                udp.transport = "udp and tcp".into();
                vec![udp]
            } else {
                vec![udp, tcp]
            }
        }
    }
}

fn ddos(kb: &Knowledge, proto: Option<IpProto>, port: u16) -> Vec<String> {
    let protos = match proto {
        Some(p) => vec![p],
        None => vec![IpProto::UDP, IpProto::TCP],
    };
    kb.ddos_channels
        .iter()
        .filter(|c| c.port == Some(port))
        .filter(|c| protos.iter().any(|p| c.fits(*p, Some(port), Some(port))))
        .map(|c| {
            format!(
                "{} {} to {} ({}/{} on the {} side): {}",
                c.tool,
                c.from,
                c.to,
                c.transport,
                port,
                c.port_side.as_deref().unwrap_or("dest"),
                c.source
            )
        })
        .collect()
}

/// The `source` a knowledge file cites at its top, from the file as loaded.
fn file_source(kb: &Knowledge, dir: Option<&std::path::Path>, name: &str) -> Option<String> {
    let overridden = kb
        .origins
        .iter()
        .any(|(n, o)| n == name && !o.starts_with("embedded:"));
    let text = match (overridden, dir) {
        (true, Some(d)) => std::fs::read_to_string(d.join(name)).ok()?,
        _ => crate::knowledge::FILES
            .iter()
            .find(|(n, _)| *n == name)?
            .1
            .to_string(),
    };
    let table: toml::Table = toml::from_str(&text).ok()?;
    match table.get("source")? {
        toml::Value::String(s) if s != "per entry" => Some(s.clone()),
        _ => None,
    }
}

impl Answer {
    /// The answer for people: the facts by name (as evidence rules test them), then the rules
    /// and the sources.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let at = match &self.at {
            Some(d) => format!("at {d}"),
            None => "the registries as they are now (--at YYYY-MM-DD for a past date)".into(),
        };
        if self.query.starts_with("sid:") {
            let _ = writeln!(o, "{}:", self.query);
        } else {
            let _ = writeln!(o, "{}: {at}", self.query);
        }
        for s in &self.sections {
            if !s.transport.is_empty() {
                let _ = writeln!(o, "  {}:", s.transport);
            }
            if s.facts.is_empty() {
                let _ = writeln!(o, "    (nothing known)");
            }
            for (k, v) in &s.facts {
                let v = match v {
                    serde_json::Value::String(t) => t.clone(),
                    other => other.to_string(),
                };
                let _ = writeln!(o, "    {k:<30} {v}");
            }
        }
        if !self.ddos_channels.is_empty() {
            let _ = writeln!(o, "  DDoS tool channels on this port:");
            for c in &self.ddos_channels {
                let _ = writeln!(o, "    {c}");
            }
        }
        for r in &self.rules {
            let _ = writeln!(
                o,
                "  rule rev {} in {}{}:",
                r.rev.map_or_else(|| "?".into(), |v| v.to_string()),
                r.origin,
                if r.enabled { "" } else { " (disabled)" }
            );
            let _ = writeln!(o, "    {}", r.text);
            if let Some(c) = &r.classtype {
                let _ = writeln!(o, "    classtype: {c}");
            }
            if !r.references.is_empty() {
                let _ = writeln!(o, "    references: {}", r.references.join(" "));
            }
            for w in &r.weaknesses {
                let _ = writeln!(o, "    weakness: {w}");
            }
        }
        if !self.sources.is_empty() {
            let _ = writeln!(o, "sources:");
            for (f, s) in &self.sources {
                let _ = writeln!(o, "  knowledge/{f}: {s}");
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse() {
        assert_eq!(
            parse_query("224.0.0.252:5355").unwrap(),
            Query::Endpoint {
                host: "224.0.0.252".into(),
                port: Some(5355),
                proto: None
            }
        );
        assert_eq!(
            parse_query("udp/8832").unwrap(),
            Query::Port {
                proto: Some(IpProto::UDP),
                port: 8832
            }
        );
        assert_eq!(
            parse_query("sid:2009099").unwrap(),
            Query::Signature {
                gid: 1,
                sid: 2009099
            }
        );
        assert_eq!(
            parse_query("[ff02::fb]:5353").unwrap(),
            Query::Endpoint {
                host: "ff02::fb".into(),
                port: Some(5353),
                proto: None
            }
        );
        assert!(matches!(
            parse_query("ff02::1:3").unwrap(),
            Query::Endpoint { port: None, .. }
        ));
        for bad in [
            "",
            "hello",
            "sid:x",
            "icmp/3",
            "1.2.3.4:99999",
            "udp/",
            "tcp/70000",
        ] {
            assert!(parse_query(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_date("2004-09-14").unwrap(), (2004, 9, 14));
        assert!(parse_date("2004-13-01").is_err());
        assert!(parse_date("yesterday").is_err());
    }
}
