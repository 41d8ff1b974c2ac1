//! Tightened rules, proven by replay. For a signature that misfires, fpx proposes a rule
//! text that leaves out what its evidence showed to be the misfire (a server's response to a
//! client's ephemeral port: `flow:to_server,established`; a link-local multicast destination:
//! `!224.0.0.0/4` or `!ff02::/16` in the destination) and replays it: a proposal is kept only
//! when it matches none of the run's false-positive alerts of that signature and still matches
//! every true positive fpx knows for it. Both results are printed with it.

use std::sync::Arc;

use ipnetwork::IpNetwork;

use crate::model::{Alert, Direction, IpProto};
use crate::signature::context::rule_text;
use crate::signature::parse::{parse_rule, AddrExpr, Rule};
use crate::signature::replay::{replay, ReplayInput, Verdict};
use crate::signature::vars::Vars;
use crate::signature::Origin;

/// Whether a rule fires on an alert, as far as its header and replay tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fires {
    Yes,
    /// The header or a replayed option rules the alert out; the reason in words.
    No(String),
    /// Nothing rules it out, though not every option could be judged.
    Maybe,
}

/// Replays `rule` on one alert: its header against the addresses, its options on the bytes.
pub fn fires(rule: &Rule, alert: &Alert<'_>, direction: Option<Direction>, vars: &Vars) -> Fires {
    if let Some(m) = vars.match_rule_header(rule, alert) {
        if m.matches == Some(false) {
            let why = m
                .sides
                .iter()
                .find(|(_, s)| s.matches == Some(false))
                .map(|(side, s)| format!("its {side} fails: {}", s.why))
                .unwrap_or_else(|| "its header does not match".into());
            return Fires::No(why);
        }
    }
    let mut input = ReplayInput::from_alert(alert);
    input.direction = input.direction.or(direction);
    let r = replay(rule, &input);
    match r.verdict {
        Verdict::NotReproduced => Fires::No(r.reason().unwrap_or_default()),
        Verdict::Reproduced => Fires::Yes,
        Verdict::Partial | Verdict::NotEvaluated => Fires::Maybe,
    }
}

/// An alert to replay a proposal on, with the direction fpx read from its payload when the
/// sensor gave none.
pub struct Sample<'a> {
    pub alert: &'a Alert<'static>,
    pub direction: Option<Direction>,
}

/// The proposals for a misfiring rule, each with its proof, that pass it.
pub fn propose(
    rule: &Rule,
    false_positives: &[Sample<'_>],
    true_positives: &[Sample<'_>],
    vars: &Vars,
) -> Vec<(String, String)> {
    if false_positives.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (what, cand) in candidates(rule, false_positives) {
        let fp_out: Vec<Fires> = false_positives
            .iter()
            .map(|s| fires(&cand, s.alert, s.direction, vars))
            .collect();
        let tp_in: Vec<Fires> = true_positives
            .iter()
            .map(|s| fires(&cand, s.alert, s.direction, vars))
            .collect();
        let fp_left = fp_out.iter().filter(|f| !matches!(f, Fires::No(_))).count();
        let tp_lost = tp_in.iter().filter(|f| matches!(f, Fires::No(_))).count();
        if fp_left > 0 || tp_lost > 0 {
            continue;
        }
        let maybe = tp_in.iter().filter(|f| **f == Fires::Maybe).count();
        let mut proof = format!(
            "{what}: replayed, it matches none of the {} false-positive alert(s) of this signature in the run",
            false_positives.len()
        );
        if let Some(Fires::No(why)) = fp_out.first() {
            proof.push_str(&format!(" (the first: {why})"));
        }
        if true_positives.is_empty() {
            proof
                .push_str("; the run holds no true positive of this signature to check it against");
        } else {
            proof.push_str(&format!(
                "; it still matches the {} true positive(s) of this signature fpx kept from the run",
                true_positives.len()
            ));
            if maybe > 0 {
                proof.push_str(&format!(
                    " ({maybe} of them as far as the replay can judge: some options were not evaluable)"
                ));
            }
        }
        out.push((rule_text(&cand), proof));
    }
    out
}

/// Link-local multicast: never routed, so never the Internet peer.
fn link_local(net: &str) -> IpNetwork {
    net.parse().expect("constant network parses")
}

/// The candidate texts: each one change against the misfire, with the next revision number.
fn candidates(rule: &Rule, fps: &[Sample<'_>]) -> Vec<(&'static str, Rule)> {
    let mut out = Vec::new();
    let next = |r: &mut Rule| {
        // A proposal is a rule to run, whether or not the set had it commented out.
        r.enabled = true;
        r.rev = Some(r.rev.map_or(1, |v| v + 1));
        for o in &mut r.options {
            if o.name == "rev" {
                o.value = r.rev.map(|v| v.to_string());
            }
        }
    };
    // Responses to a client: the rule should look at what goes to the server.
    let all_to_client = fps
        .iter()
        .all(|s| s.alert.direction.or(s.direction) == Some(Direction::ToClient));
    let has_flow_dir = rule.flow().is_some_and(|f| {
        f.iter().any(|w| {
            matches!(
                w.as_str(),
                "to_server" | "from_client" | "to_client" | "from_server"
            )
        })
    });
    if all_to_client && !has_flow_dir {
        if let Some(words) = flow_words(rule, fps) {
            if let Some(mut r) = with_flow(rule, &words) {
                next(&mut r);
                out.push((FLOW_PROOF, r));
            }
        }
    }
    // Link-local multicast destinations.
    let v4 = link_local("224.0.0.0/4");
    let v6 = link_local("ff02::/16");
    let dests: Vec<_> = fps.iter().filter_map(|s| s.alert.dest.host.ip()).collect();
    for (block, words) in [
        (v4, "adds !224.0.0.0/4 to the destination"),
        (v6, "adds !ff02::/16 to the destination"),
    ] {
        if !dests.is_empty() && dests.iter().all(|ip| block.contains(*ip)) {
            let mut r = rule.clone();
            if let Some(h) = &mut r.header {
                let not = AddrExpr::Not(Box::new(AddrExpr::Net(block)));
                h.dst = match std::mem::replace(&mut h.dst, AddrExpr::Any) {
                    AddrExpr::List(mut v) => {
                        v.push(not);
                        AddrExpr::List(v)
                    }
                    AddrExpr::Any => AddrExpr::Not(Box::new(AddrExpr::Net(block))),
                    other => AddrExpr::List(vec![other, not]),
                };
                next(&mut r);
                out.push((words, r));
            }
        }
    }
    out
}

/// What the flow candidate's proof says it changed.
const FLOW_PROOF: &str = "restricts flow to to_server so that server responses no longer match";

/// The `flow` value that keeps a rule to what clients send: `to_server`, with `established`
/// for TCP, and the words the rule's own `flow` had.
pub fn flow_words(rule: &Rule, fps: &[Sample<'_>]) -> Option<String> {
    let tcp = rule
        .proto
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("tcp"))
        || !fps.is_empty() && fps.iter().all(|s| s.alert.proto == Some(IpProto::TCP));
    let mut words = vec!["to_server".to_string()];
    let own = rule.flow().unwrap_or_default();
    if tcp && !own.iter().any(|w| w == "established" || w == "stateless") {
        words.push("established".into());
    }
    words.extend(own.iter().cloned());
    Some(words.join(","))
}

/// The rule with its `flow` option set to `words`: its own `flow` replaced, else a new one
/// written after `msg`.
fn with_flow(rule: &Rule, words: &str) -> Option<Rule> {
    let option = format!("flow:{words};");
    if rule.options.iter().any(|o| o.name == "flow") {
        let mut r = rule.clone();
        r.options.clear();
        let head = rule_text(&r);
        let head = head.strip_suffix(" ()")?;
        let opts: Vec<String> = rule
            .options
            .iter()
            .map(|o| {
                if o.name == "flow" {
                    option.clone()
                } else {
                    o.render()
                }
            })
            .collect();
        return parse_rule(
            &format!("{head} ({})", opts.join(" ")),
            Origin {
                path: Arc::from("tightened"),
                line: 1,
            },
        )
        .ok();
    }
    with_option(rule, &option)
}

/// The suricata-update modify.conf edit (pattern, replacement, in Python's `re` syntax) that
/// sets the rule's `flow` to `words`: its own `flow` rewritten, else one added after `msg`.
pub fn flow_edit(rule: &Rule, words: &str) -> (String, String) {
    if rule.options.iter().any(|o| o.name == "flow") {
        (r"flow:\s*[^;]*;".to_string(), format!("flow:{words};"))
    } else {
        (
            r#"(msg:\s*"(?:[^"\\]|\\.)*";)"#.to_string(),
            format!(r"\1 flow:{words};"),
        )
    }
}

/// The rule with one more option, written after `msg` (where rule writers put `flow`), parsed
/// again so that it is a real rule.
fn with_option(rule: &Rule, option: &str) -> Option<Rule> {
    let mut r = rule.clone();
    r.options.clear();
    let head = rule_text(&r);
    let head = head.strip_suffix(" ()")?;
    let mut opts: Vec<String> = rule.options.iter().map(|o| o.render()).collect();
    let at = rule
        .options
        .iter()
        .position(|o| o.name == "msg")
        .map_or(0, |i| i + 1);
    opts.insert(at, option.to_string());
    parse_rule(
        &format!("{head} ({})", opts.join(" ")),
        Origin {
            path: Arc::from("tightened"),
            line: 1,
        },
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InputFormat;
    use std::borrow::Cow;

    fn rule(t: &str) -> Rule {
        parse_rule(
            t,
            Origin {
                path: Arc::from("t"),
                line: 1,
            },
        )
        .unwrap()
    }

    fn alert(
        src: &str,
        sp: u16,
        dst: &str,
        dp: u16,
        payload: &[u8],
        dir: Direction,
    ) -> Alert<'static> {
        let mut a = Alert::between(src, sp, dst, dp, InputFormat::Eve);
        a.payload = Some(Cow::Owned(payload.to_vec()));
        a.direction = Some(dir);
        a
    }

    #[test]
    fn a_flow_restriction_is_kept_only_when_the_replay_proves_it() {
        let vars = Vars::default();
        let r = rule(
            r#"alert tcp any any -> any 12754 (msg:"DDOS mstream client to handler"; content:">"; sid:247; rev:1;)"#,
        );
        let gif = alert(
            "198.51.100.7",
            80,
            "10.0.0.10",
            12754,
            b"GIF89a...>...",
            Direction::ToClient,
        );
        let client = alert(
            "198.51.100.20",
            40123,
            "10.0.0.30",
            12754,
            b">ping\r\n",
            Direction::ToServer,
        );
        let fps = [Sample {
            alert: &gif,
            direction: None,
        }];
        let tps = [Sample {
            alert: &client,
            direction: None,
        }];
        let got = propose(&r, &fps, &tps, &vars);
        assert_eq!(got.len(), 1, "{got:?}");
        let (text, proof) = &got[0];
        assert!(
            text.contains(
                r#"(msg:"DDOS mstream client to handler"; flow:to_server,established; content"#
            ),
            "{text}"
        );
        assert!(text.contains("rev:2;"), "{text}");
        assert!(
            proof.contains("matches none of the 1 false-positive"),
            "{proof}"
        );
        assert!(proof.contains("true positive"), "{proof}");
        // A true positive the tightened rule would lose drops the proposal.
        let response_tp = alert(
            "10.0.0.30",
            12754,
            "198.51.100.20",
            40123,
            b">servers",
            Direction::ToClient,
        );
        let tps = [Sample {
            alert: &response_tp,
            direction: None,
        }];
        assert!(propose(&r, &fps, &tps, &vars).is_empty());
    }

    #[test]
    fn a_multicast_exclusion_for_link_local_destinations() {
        let vars = Vars::default();
        let r = rule(
            r#"alert udp $HOME_NET any -> $EXTERNAL_NET any (msg:"ET P2P ThunderNetwork UDP Traffic"; content:"|32 00 00 00|"; depth:4; sid:2009099; rev:3;)"#,
        );
        let mut llmnr = alert(
            "192.168.1.10",
            53000,
            "224.0.0.252",
            5355,
            b"\x32\x00\x00\x00\x00\x01",
            Direction::ToServer,
        );
        llmnr.proto = Some(IpProto::UDP);
        let fps = [Sample {
            alert: &llmnr,
            direction: None,
        }];
        let got = propose(&r, &fps, &[], &vars);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].0.contains("[$EXTERNAL_NET,!224.0.0.0/4]"),
            "{}",
            got[0].0
        );
        assert!(got[0].1.contains("no true positive"), "{}", got[0].1);
    }
}
