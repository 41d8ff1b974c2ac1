//! The knowledge files, embedded at build time, and how each is read.

use serde::Deserialize;

use super::{
    Activity, DdosChannel, DdosTool, Indicator, Intent, Knowledge, KnownSignature, Magic,
    MulticastGroup, MulticastScope, NextCheck, PortRange, Primer, RuleProtocol, Service,
    SpaceBlock, SpecialBlock,
};

/// Every knowledge file by name, with its embedded text.
pub const FILES: [(&str, &str); 13] = [
    (
        "ipv4-special-registry.toml",
        include_str!("../../knowledge/ipv4-special-registry.toml"),
    ),
    (
        "ipv6-special-registry.toml",
        include_str!("../../knowledge/ipv6-special-registry.toml"),
    ),
    (
        "ipv4-address-space.toml",
        include_str!("../../knowledge/ipv4-address-space.toml"),
    ),
    (
        "multicast.toml",
        include_str!("../../knowledge/multicast.toml"),
    ),
    (
        "services.toml",
        include_str!("../../knowledge/services.toml"),
    ),
    (
        "ephemeral-ports.toml",
        include_str!("../../knowledge/ephemeral-ports.toml"),
    ),
    ("magic.toml", include_str!("../../knowledge/magic.toml")),
    (
        "signatures.toml",
        include_str!("../../knowledge/signatures.toml"),
    ),
    (
        "payload-indicators.toml",
        include_str!("../../knowledge/payload-indicators.toml"),
    ),
    (
        "rule-protocols.toml",
        include_str!("../../knowledge/rule-protocols.toml"),
    ),
    (
        "benign-activity.toml",
        include_str!("../../knowledge/benign-activity.toml"),
    ),
    (
        "ddos-tools.toml",
        include_str!("../../knowledge/ddos-tools.toml"),
    ),
    (
        "teaching.toml",
        include_str!("../../knowledge/teaching.toml"),
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeachingFile {
    #[allow(dead_code)]
    source: String,
    #[serde(default)]
    primer: Vec<Primer>,
    #[serde(default)]
    check: Vec<NextCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityFile {
    source: String,
    activity: Vec<Activity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecialFile {
    source: String,
    block: Vec<SpecialBlock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceFile {
    source: String,
    block: Vec<SpaceBlock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MulticastFile {
    source: String,
    scope: Vec<MulticastScope>,
    group: Vec<MulticastGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    source: String,
    service: Vec<Service>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EphemeralFile {
    range: Vec<PortRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MagicFile {
    magic: Vec<Magic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignaturesFile {
    intent: Vec<Intent>,
    #[serde(default)]
    signature: Vec<KnownSignature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleProtocolsFile {
    source: String,
    protocol: Vec<RuleProtocol>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorsFile {
    indicator: Vec<Indicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DdosFile {
    source: String,
    tool: Vec<DdosTool>,
    channel: Vec<DdosChannel>,
}

fn fill_source(slot: &mut String, default: &str) {
    if slot.is_empty() {
        *slot = default.to_string();
    }
}

/// Reads one file into `kb`, with the file-level `source` filling entries that name none.
pub(super) fn load_file(kb: &mut Knowledge, name: &str, text: &str) -> Result<(), String> {
    let err = |e: toml::de::Error| e.to_string();
    match name {
        "teaching.toml" => {
            let f: TeachingFile = toml::from_str(text).map_err(err)?;
            for p in &f.primer {
                if p.refs.is_empty() {
                    return Err(format!(
                        "primer {}: a primer cites its sources (refs)",
                        p.id
                    ));
                }
            }
            kb.primers.extend(f.primer);
            kb.next_checks.extend(f.check);
        }
        "ipv4-special-registry.toml" | "ipv6-special-registry.toml" => {
            let f: SpecialFile = toml::from_str(text).map_err(err)?;
            for mut b in f.block {
                fill_source(&mut b.source, &f.source);
                kb.special.push(b);
            }
        }
        "ipv4-address-space.toml" => {
            let f: SpaceFile = toml::from_str(text).map_err(err)?;
            for mut b in f.block {
                fill_source(&mut b.source, &f.source);
                kb.space.push(b);
            }
        }
        "multicast.toml" => {
            let f: MulticastFile = toml::from_str(text).map_err(err)?;
            for mut s in f.scope {
                fill_source(&mut s.source, &f.source);
                kb.scopes.push(s);
            }
            for mut g in f.group {
                fill_source(&mut g.source, &f.source);
                kb.groups.push(g);
            }
        }
        "services.toml" => {
            let f: ServicesFile = toml::from_str(text).map_err(err)?;
            for mut s in f.service {
                fill_source(&mut s.source, &f.source);
                kb.services.push(s);
            }
        }
        "ephemeral-ports.toml" => {
            let f: EphemeralFile = toml::from_str(text).map_err(err)?;
            kb.ephemeral.extend(f.range);
        }
        "magic.toml" => {
            let f: MagicFile = toml::from_str(text).map_err(err)?;
            kb.magic.extend(f.magic);
        }
        "signatures.toml" => {
            let f: SignaturesFile = toml::from_str(text).map_err(err)?;
            kb.intents.extend(f.intent);
            kb.signatures.extend(f.signature);
        }
        "benign-activity.toml" => {
            let f: ActivityFile = toml::from_str(text).map_err(err)?;
            let _ = f.source;
            kb.activities.extend(f.activity);
        }
        "payload-indicators.toml" => {
            let f: IndicatorsFile = toml::from_str(text).map_err(err)?;
            for mut i in f.indicator {
                let re = regex::bytes::RegexBuilder::new(&i.pattern)
                    .case_insensitive(!i.case_sensitive)
                    .unicode(false)
                    .size_limit(MAX_INDICATOR_REGEX_SIZE)
                    .build()
                    .map_err(|e| format!("indicator {}: {e}", i.id))?;
                i.regex = Some(re);
                kb.indicators.push(i);
            }
        }
        "rule-protocols.toml" => {
            let f: RuleProtocolsFile = toml::from_str(text).map_err(err)?;
            for mut p in f.protocol {
                fill_source(&mut p.source, &f.source);
                kb.rule_protocols.push(p);
            }
        }
        "ddos-tools.toml" => {
            let f: DdosFile = toml::from_str(text).map_err(err)?;
            for mut t in f.tool {
                fill_source(&mut t.source, &f.source);
                kb.ddos_tools.push(t);
            }
            for mut c in f.channel {
                fill_source(&mut c.source, &f.source);
                c.check()?;
                kb.ddos_channels.push(c);
            }
        }
        other => return Err(format!("unknown knowledge file {other}")),
    }
    Ok(())
}

/// Compiled-size cap for indicator regexes: they run on every payload, so a pathological
/// pattern in a user-supplied file must fail at load time rather than slow every alert.
const MAX_INDICATOR_REGEX_SIZE: usize = 1 << 20;
