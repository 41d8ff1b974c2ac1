//! Teaching mode (`--teach`): for an alert explained in full, the primers on the facts its
//! explanation rests on, and the checks that would tell a true positive, with commands
//! filled in with its addresses and ports. Primers and checks are data
//! (`knowledge/teaching.toml`); this module picks them and fills the templates.
//!
//! Only values that cannot carry shell syntax go into a command: IP addresses fpx parsed,
//! port numbers, the signature's numbers and the transport's name. A sanitised or symbolic
//! host (`a.b.c.d`) leaves its placeholder (`SRC_IP`) for the analyst to fill in.

use super::Explained;
use crate::knowledge::{Knowledge, Primer};
use crate::model::{Host, IpProto};

/// A check with its text and commands filled in.
pub struct Check {
    pub text: String,
    pub commands: Vec<String>,
}

/// What teaching mode shows for one alert.
pub struct Lesson<'k> {
    pub primers: Vec<&'k Primer>,
    pub checks: Vec<Check>,
}

/// The primers and checks for an alert: those of the evidence explaining it, in the order
/// of the teaching file.
pub fn lesson<'k>(kb: &'k Knowledge, e: &Explained<'_, '_>) -> Lesson<'k> {
    let ids: Vec<&str> = e.evidence.iter().map(|ev| ev.id.as_str()).collect();
    let uses = |list: &[String]| list.iter().any(|id| ids.contains(&id.as_str()));
    let primers = kb
        .primers
        .iter()
        .filter(|p| uses(&p.evidence) || (p.rule && e.rule.is_some()))
        .collect();
    let checks = kb
        .next_checks
        .iter()
        .filter(|c| c.evidence.is_empty() || uses(&c.evidence))
        .map(|c| Check {
            text: fill(&c.text, e),
            commands: c.commands.iter().map(|t| fill(t, e)).collect(),
        })
        .collect();
    Lesson { primers, checks }
}

/// A template with the alert's safe values put in.
pub fn fill(template: &str, e: &Explained<'_, '_>) -> String {
    let a = e.alert;
    let ip = |h: &Host<'_>, placeholder: &str| match h {
        Host::Ip(ip) => ip.to_string(),
        Host::Label { .. } => placeholder.to_string(),
    };
    let port =
        |p: Option<u16>, placeholder: &str| p.map_or(placeholder.to_string(), |p| p.to_string());
    let l4 = match a.proto {
        Some(IpProto::UDP) => "udp",
        _ => "tcp",
    };
    template
        .replace("{src}", &ip(&a.src.host, "SRC_IP"))
        .replace("{dest}", &ip(&a.dest.host, "DEST_IP"))
        .replace("{sport}", &port(a.src.port, "SRC_PORT"))
        .replace("{dport}", &port(a.dest.port, "DEST_PORT"))
        .replace("{l4}", l4)
        .replace("{gid}", &a.gid.to_string())
        .replace("{sid}", &a.sid.map_or("SID".to_string(), |s| s.to_string()))
}
