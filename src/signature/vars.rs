//! Network variables (`$HOME_NET`, `$HTTP_PORTS`, ...) and the evaluation of a rule header
//! against an alert's addresses and ports, explained in words.
//!
//! Variables come from `suricata.yaml` (`vars: address-groups: / port-groups:`), `snort.conf`
//! (`ipvar` / `portvar` / `var`) or a `--home-net` string. With nothing given, HOME_NET is the
//! RFC 1918 private ranges and EXTERNAL_NET is `!$HOME_NET`; explanations say so.

use std::collections::HashMap;
use std::net::IpAddr;

use super::parse::{parse_addr, parse_port, AddrExpr, Direction, Header, PortExpr, Rule};
use super::{Origin, SignatureError};
use crate::model::{Alert, Endpoint};

/// Deepest chain of variables referring to variables (`$A` → `$B` → ...). Real configs use two
/// or three; the bound also stops cycles.
pub const MAX_VAR_DEPTH: usize = 8;

/// RFC 1918 private ranges: the HOME_NET fpx assumes when none is given.
pub const DEFAULT_HOME_NET: &str = "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]";

/// Where a variable's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarSource {
    /// fpx's default (no configuration given).
    Default,
    /// `--home-net`.
    CommandLine,
    File(Origin),
}

#[derive(Clone, Debug)]
struct Var<T> {
    text: String,
    expr: T,
    source: VarSource,
}

/// Address and port variables.
#[derive(Clone, Debug)]
pub struct Vars {
    addrs: HashMap<String, Var<AddrExpr>>,
    ports: HashMap<String, Var<PortExpr>>,
}

impl Default for Vars {
    fn default() -> Self {
        let mut v = Vars {
            addrs: HashMap::new(),
            ports: HashMap::new(),
        };
        v.set_addr("HOME_NET", DEFAULT_HOME_NET, VarSource::Default)
            .expect("default HOME_NET parses");
        v.set_addr("EXTERNAL_NET", "!$HOME_NET", VarSource::Default)
            .expect("default EXTERNAL_NET parses");
        v
    }
}

/// The three-valued outcome of matching one side of a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideMatch {
    /// `None` when it cannot be told (undefined variable, sanitised address, no port).
    pub matches: Option<bool>,
    /// The reason in words.
    pub why: String,
}

impl Vars {
    /// Sets (or replaces) an address variable from its text.
    pub fn set_addr(&mut self, name: &str, text: &str, source: VarSource) -> Result<(), String> {
        let expr = parse_addr(text, 0)?;
        self.addrs.insert(
            name.to_string(),
            Var {
                text: text.trim().to_string(),
                expr,
                source,
            },
        );
        Ok(())
    }

    pub fn set_port(&mut self, name: &str, text: &str, source: VarSource) -> Result<(), String> {
        let expr = parse_port(text, 0)?;
        self.ports.insert(
            name.to_string(),
            Var {
                text: text.trim().to_string(),
                expr,
                source,
            },
        );
        Ok(())
    }

    /// An address variable's text and where it came from.
    pub fn addr_var(&self, name: &str) -> Option<(&str, &VarSource)> {
        self.addrs.get(name).map(|v| (v.text.as_str(), &v.source))
    }

    /// Applies `--home-net`.
    pub fn set_home_net(&mut self, text: &str) -> Result<(), String> {
        self.set_addr("HOME_NET", text, VarSource::CommandLine)
    }

    /// Reads the `vars:` section of a suricata.yaml. Only that section is read, with a small
    /// indentation-based reader: the rest of the file is not needed.
    pub fn read_suricata_yaml(&mut self, text: &str, path: &str) -> Vec<SignatureError> {
        let mut errors = Vec::new();
        let mut in_vars = false;
        let mut group: Option<bool> = None; // Some(true) = address, Some(false) = port
        let mut group_indent = 0usize;
        for (i, line) in text.lines().enumerate() {
            let content = strip_yaml_comment(line);
            if content.trim().is_empty() {
                continue;
            }
            let indent = content.len() - content.trim_start().len();
            let t = content.trim();
            if indent == 0 {
                in_vars = t == "vars:";
                group = None;
                continue;
            }
            if !in_vars {
                continue;
            }
            if let Some(g) = group {
                if indent > group_indent {
                    let Some((k, v)) = t.split_once(':') else {
                        continue;
                    };
                    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                    let origin = Origin {
                        path: path.into(),
                        line: i as u64 + 1,
                    };
                    let src = VarSource::File(origin.clone());
                    let r = if g {
                        self.set_addr(k.trim(), v, src)
                    } else {
                        self.set_port(k.trim(), v, src)
                    };
                    if let Err(m) = r {
                        errors.push(SignatureError::syntax(
                            &origin,
                            format!("{}: {m}", k.trim()),
                        ));
                    }
                    continue;
                }
            }
            group = match t {
                "address-groups:" => Some(true),
                "port-groups:" => Some(false),
                _ => None,
            };
            group_indent = indent;
        }
        errors
    }

    /// Reads `ipvar`, `portvar` and `var` lines of a snort.conf.
    pub fn read_snort_conf(&mut self, text: &str, path: &str) -> Vec<SignatureError> {
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            let mut words = t.splitn(3, char::is_whitespace);
            let (Some(kw), Some(name), Some(value)) = (words.next(), words.next(), words.next())
            else {
                continue;
            };
            let origin = Origin {
                path: path.into(),
                line: i as u64 + 1,
            };
            let value = value.trim();
            let src = VarSource::File(origin.clone());
            let r = match kw {
                "ipvar" => self.set_addr(name, value, src),
                "portvar" => self.set_port(name, value, src),
                // Old `var` serves both; the name tells which (`HTTP_PORTS`).
                "var" if name.contains("PORT") => self.set_port(name, value, src),
                "var" => self.set_addr(name, value, src),
                _ => continue,
            };
            if let Err(m) = r {
                errors.push(SignatureError::syntax(&origin, format!("{name}: {m}")));
            }
        }
        errors
    }

    fn describe_var<T>(name: &str, v: &Var<T>) -> String {
        match &v.source {
            VarSource::Default if name == "HOME_NET" => format!(
                "${name} ({}: fpx's default, the RFC 1918 private ranges, as no HOME_NET was given)",
                v.text
            ),
            VarSource::Default => format!("${name} (= {}: fpx's default)", v.text),
            VarSource::CommandLine => format!("${name} (= {} from --home-net)", v.text),
            VarSource::File(o) => format!("${name} (= {} from {o})", v.text),
        }
    }

    /// Whether `ip` is in the address expression, and why.
    pub fn match_addr(&self, e: &AddrExpr, ip: IpAddr) -> SideMatch {
        self.addr(e, ip, 0)
    }

    /// Whether `ip` lies in `$HOME_NET` (from `--vars`, `--home-net`, else the default), when
    /// that can be decided. Asked once per alert, so it builds no explanation: [`Vars::addr`]
    /// with its words cost a tenth of the explain benchmark.
    pub fn in_home_net(&self, ip: IpAddr) -> Option<bool> {
        let home = self.addrs.get("HOME_NET")?;
        self.addr_matches(&home.expr, ip, 1)
    }

    /// Whether `ip` lies in the address variable `name`, when that can be decided.
    pub fn in_var(&self, name: &str, ip: IpAddr) -> Option<bool> {
        let v = self.addrs.get(name)?;
        self.addr_matches(&v.expr, ip, 1)
    }

    /// An address variable the user set (`--vars`, `--home-net`): its description as the
    /// explanations quote it (`$HOME_NET (= [10.0.0.0/8] from suricata.yaml:12)`), and
    /// whether it is `any`. `None` for fpx's defaults: a default is no one's configuration.
    pub fn given_addr_var(&self, name: &str) -> Option<(String, bool)> {
        let v = self.addrs.get(name)?;
        if v.source == VarSource::Default {
            return None;
        }
        Some((Self::describe_var(name, v), v.expr == AddrExpr::Any))
    }

    /// [`Vars::addr`]'s decision alone.
    fn addr_matches(&self, e: &AddrExpr, ip: IpAddr, depth: usize) -> Option<bool> {
        if depth > MAX_VAR_DEPTH {
            return None;
        }
        match e {
            AddrExpr::Any => Some(true),
            AddrExpr::Net(n) => Some(n.contains(ip)),
            AddrExpr::Var(name) => {
                let v = self.addrs.get(name)?;
                self.addr_matches(&v.expr, ip, depth + 1)
            }
            AddrExpr::Not(inner) => self.addr_matches(inner, ip, depth + 1).map(|m| !m),
            AddrExpr::List(items) => {
                let (pos, neg) = split_list(items, |it| self.addr_matches(it, ip, depth + 1));
                list_outcome(&pos, &neg)
            }
        }
    }

    fn addr(&self, e: &AddrExpr, ip: IpAddr, depth: usize) -> SideMatch {
        if depth > MAX_VAR_DEPTH {
            return SideMatch {
                matches: None,
                why: "variables nest too deeply (or refer to themselves)".into(),
            };
        }
        match e {
            AddrExpr::Any => SideMatch {
                matches: Some(true),
                why: format!("{ip} matches any"),
            },
            AddrExpr::Net(n) => {
                let m = n.contains(ip);
                SideMatch {
                    matches: Some(m),
                    why: format!("{ip} is {}in {}", if m { "" } else { "not " }, e),
                }
            }
            AddrExpr::Var(name) => match self.addrs.get(name) {
                None => SideMatch {
                    matches: None,
                    why: format!("${name} is not defined (give --vars or --home-net)"),
                },
                Some(v) => {
                    // `$EXTERNAL_NET` = `!$HOME_NET`: say it the way an analyst would.
                    if let AddrExpr::Not(inner) = &v.expr {
                        if let AddrExpr::Var(other) = inner.as_ref() {
                            let r = self.addr(inner, ip, depth + 1);
                            return SideMatch {
                                matches: r.matches.map(|m| !m),
                                why: match r.matches {
                                    Some(false) => format!(
                                        "{ip} counted as ${name} because {} does not include it ({})",
                                        self.var_text(other),
                                        r.why
                                    ),
                                    Some(true) => format!(
                                        "{ip} is not ${name} because {} includes it ({})",
                                        self.var_text(other),
                                        r.why
                                    ),
                                    None => r.why,
                                },
                            };
                        }
                    }
                    let r = self.addr(&v.expr, ip, depth + 1);
                    let verb = match r.matches {
                        Some(true) => "includes",
                        Some(false) => "does not include",
                        None => "may or may not include",
                    };
                    SideMatch {
                        matches: r.matches,
                        why: format!("{} {verb} {ip} ({})", Self::describe_var(name, v), r.why),
                    }
                }
            },
            AddrExpr::Not(inner) => {
                let r = self.addr(inner, ip, depth + 1);
                SideMatch {
                    matches: r.matches.map(|m| !m),
                    why: format!("{e}: {}", r.why),
                }
            }
            AddrExpr::List(items) => {
                let (pos, neg) = split_list(items, |it| self.addr(it, ip, depth + 1));
                combine_list(&pos, &neg, &ip.to_string(), &e.to_string())
            }
        }
    }

    fn var_text(&self, name: &str) -> String {
        match self.addrs.get(name) {
            Some(v) => Self::describe_var(name, v),
            None => format!("${name}"),
        }
    }

    /// Whether `port` is in the port expression, and why.
    pub fn match_port(&self, e: &PortExpr, port: u16) -> SideMatch {
        self.port(e, port, 0)
    }

    fn port(&self, e: &PortExpr, port: u16, depth: usize) -> SideMatch {
        if depth > MAX_VAR_DEPTH {
            return SideMatch {
                matches: None,
                why: "port variables nest too deeply".into(),
            };
        }
        match e {
            PortExpr::Any => SideMatch {
                matches: Some(true),
                why: format!("port {port} matches any"),
            },
            PortExpr::Range(a, b) => {
                let m = (*a..=*b).contains(&port);
                SideMatch {
                    matches: Some(m),
                    why: format!("port {port} is {}in {e}", if m { "" } else { "not " }),
                }
            }
            PortExpr::Var(name) => match self.ports.get(name) {
                None => SideMatch {
                    matches: None,
                    why: format!("${name} is not defined"),
                },
                Some(v) => {
                    let r = self.port(&v.expr, port, depth + 1);
                    SideMatch {
                        matches: r.matches,
                        why: format!("{}: {}", Self::describe_var(name, v), r.why),
                    }
                }
            },
            PortExpr::Not(inner) => {
                let r = self.port(inner, port, depth + 1);
                SideMatch {
                    matches: r.matches.map(|m| !m),
                    why: format!("{e}: {}", r.why),
                }
            }
            PortExpr::List(items) => {
                let mut pos = Vec::new();
                let mut neg = Vec::new();
                for it in items {
                    match it {
                        PortExpr::Not(inner) => neg.push(self.port(inner, port, depth + 1)),
                        other => pos.push(self.port(other, port, depth + 1)),
                    }
                }
                combine_list(&pos, &neg, &format!("port {port}"), &e.to_string())
            }
        }
    }

    /// Matches one endpoint (address and port) against one side of a header.
    fn endpoint(&self, addr: &AddrExpr, port: &PortExpr, ep: &Endpoint<'_>) -> [SideMatch; 2] {
        let a = match ep.host.ip() {
            Some(ip) => self.match_addr(addr, ip),
            None if *addr == AddrExpr::Any => SideMatch {
                matches: Some(true),
                why: "any address".into(),
            },
            None => SideMatch {
                matches: None,
                why: format!("address {} is not a real address", ep.host),
            },
        };
        let p = match ep.port {
            Some(p) => self.match_port(port, p),
            None if *port == PortExpr::Any => SideMatch {
                matches: Some(true),
                why: "any port".into(),
            },
            None => SideMatch {
                matches: None,
                why: "the alert has no port".into(),
            },
        };
        [a, p]
    }

    /// Evaluates a rule header against an alert's addresses and ports.
    pub fn match_header(&self, h: &Header, alert: &Alert<'_>) -> HeaderMatch {
        self.match_header_ports(h, true, alert)
    }

    /// Evaluates the header of a rule: `alert ip` rules match any transport, so Snort and
    /// Suricata ignore the ports they write (`alert ip any any -> any 5060` fires on a packet
    /// to port 49668), and fpx judges only their addresses.
    pub fn match_rule_header(&self, r: &Rule, alert: &Alert<'_>) -> Option<HeaderMatch> {
        let h = r.header.as_ref()?;
        let ports_apply = !r
            .proto
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("ip"));
        Some(self.match_header_ports(h, ports_apply, alert))
    }

    fn match_header_ports(&self, h: &Header, ports_apply: bool, alert: &Alert<'_>) -> HeaderMatch {
        let pair = |a: &Endpoint<'_>, b: &Endpoint<'_>| {
            let mut sides = self.side_pair(h, a, b);
            if !ports_apply {
                for (name, side) in &mut sides {
                    if name.contains(" port ") {
                        *side = SideMatch {
                            matches: Some(true),
                            why: "ports do not apply to an ip rule".into(),
                        };
                    }
                }
            }
            sides
        };
        let forward = pair(&alert.src, &alert.dest);
        let fwd_ok = all3(&forward);
        if fwd_ok == Some(true) || h.direction == Direction::To {
            return HeaderMatch {
                matches: fwd_ok,
                swapped: false,
                sides: forward,
            };
        }
        let back = pair(&alert.dest, &alert.src);
        let back_ok = all3(&back);
        if back_ok == Some(true) {
            HeaderMatch {
                matches: Some(true),
                swapped: true,
                sides: back,
            }
        } else {
            HeaderMatch {
                matches: fwd_ok,
                swapped: false,
                sides: forward,
            }
        }
    }

    fn side_pair(
        &self,
        h: &Header,
        src: &Endpoint<'_>,
        dst: &Endpoint<'_>,
    ) -> Vec<(String, SideMatch)> {
        let [sa, sp] = self.endpoint(&h.src, &h.src_port, src);
        let [da, dp] = self.endpoint(&h.dst, &h.dst_port, dst);
        vec![
            (format!("source {}", h.src), sa),
            (format!("source port {}", h.src_port), sp),
            (format!("destination {}", h.dst), da),
            (format!("destination port {}", h.dst_port), dp),
        ]
    }
}

fn all3(sides: &[(String, SideMatch)]) -> Option<bool> {
    let mut unknown = false;
    for (_, s) in sides {
        match s.matches {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown {
        None
    } else {
        Some(true)
    }
}

/// A list matches when one positive item matches (any, if there are none) and no negated
/// item matches.
/// A list's items judged by `judge`, the positive ones and the negated ones (each judged
/// without its `!`).
fn split_list<T>(items: &[AddrExpr], mut judge: impl FnMut(&AddrExpr) -> T) -> (Vec<T>, Vec<T>) {
    let mut pos = Vec::new();
    let mut neg = Vec::new();
    for it in items {
        match it {
            AddrExpr::Not(inner) => neg.push(judge(inner)),
            other => pos.push(judge(other)),
        }
    }
    (pos, neg)
}

/// A list's decision from its items': one positive item matches (any, when there are none),
/// and no negated one does.
fn list_outcome(pos: &[Option<bool>], neg: &[Option<bool>]) -> Option<bool> {
    if neg.contains(&Some(true)) {
        return Some(false);
    }
    let pos_ok = if pos.is_empty() || pos.contains(&Some(true)) {
        Some(true)
    } else if pos.contains(&None) {
        None
    } else {
        Some(false)
    };
    match pos_ok {
        Some(true) if neg.contains(&None) => None,
        other => other,
    }
}

fn combine_list(pos: &[SideMatch], neg: &[SideMatch], what: &str, list: &str) -> SideMatch {
    let decisions = |v: &[SideMatch]| v.iter().map(|s| s.matches).collect::<Vec<_>>();
    let outcome = list_outcome(&decisions(pos), &decisions(neg));
    let excluded = neg.iter().find(|n| n.matches == Some(true));
    match (outcome, excluded) {
        (_, Some(x)) => SideMatch {
            matches: Some(false),
            why: format!("{what} is excluded from {list}: {}", x.why),
        },
        (Some(true), None) => SideMatch {
            matches: Some(true),
            why: pos
                .iter()
                .find(|p| p.matches == Some(true))
                .map_or_else(|| format!("{what} is in {list}"), |p| p.why.clone()),
        },
        (Some(false), None) => SideMatch {
            matches: Some(false),
            why: format!(
                "{what} is in no item of {list}: {}",
                pos.iter()
                    .map(|p| p.why.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
        _ => SideMatch {
            matches: None,
            why: format!("cannot tell whether {what} is in {list}"),
        },
    }
}

fn strip_yaml_comment(line: &str) -> &str {
    // `#` starts a comment outside quotes; variable values are quoted when they contain one.
    let mut in_q: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (c, in_q) {
            ('"' | '\'', None) => in_q = Some(c),
            (c, Some(q)) if c == q => in_q = None,
            ('#', None) => return &line[..i],
            _ => {}
        }
    }
    line
}

/// A rule header evaluated against an alert.
#[derive(Clone, Debug)]
pub struct HeaderMatch {
    pub matches: Option<bool>,
    /// `<>` rules matched with the alert's source and destination swapped.
    pub swapped: bool,
    /// Each side (`source $HOME_NET`, ...) with how it matched.
    pub sides: Vec<(String, SideMatch)>,
}

impl std::fmt::Display for HeaderMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match self.matches {
            Some(true) => "header matches",
            Some(false) => "header does not match",
            None => "header match cannot be decided",
        };
        write!(f, "{verdict}")?;
        if self.swapped {
            write!(f, " (bidirectional rule, matched in reverse)")?;
        }
        for (side, m) in &self.sides {
            let mark = match m.matches {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "?",
            };
            write!(f, "\n  {side}: {mark}: {}", m.why)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Host, InputFormat, Location, Provenance, Timestamp};
    use crate::signature::parse::parse_rule;
    use std::borrow::Cow;
    use std::sync::Arc;

    fn alert(src: &'static str, sp: u16, dst: &'static str, dp: u16) -> Alert<'static> {
        let mut a = Alert::new(
            Provenance {
                path: Cow::Borrowed("t"),
                location: Location::Line(1),
            },
            InputFormat::Fast,
            Timestamp::unparsed(""),
        );
        a.src = Endpoint {
            host: Host::parse(src),
            port: Some(sp),
        };
        a.dest = Endpoint {
            host: Host::parse(dst),
            port: Some(dp),
        };
        a
    }

    fn header(r: &str) -> Header {
        parse_rule(
            r,
            Origin {
                path: Arc::from("t"),
                line: 1,
            },
        )
        .unwrap()
        .header
        .unwrap()
    }

    #[test]
    fn default_external_net_counts_multicast() {
        let v = Vars::default();
        let h = header("alert udp $HOME_NET 1024:65535 -> $EXTERNAL_NET 1024:65535 (sid:1;)");
        let m = v.match_header(&h, &alert("192.168.1.10", 53000, "224.0.0.252", 5355));
        assert_eq!(m.matches, Some(true));
        let why = &m.sides[2].1.why;
        assert!(
            why.starts_with("224.0.0.252 counted as $EXTERNAL_NET because $HOME_NET"),
            "{why}"
        );
        assert!(why.contains("RFC 1918"), "{why}");
        let h4 = header(
            "alert udp $HOME_NET 1024:65535 -> [$EXTERNAL_NET,!224.0.0.0/4] 1024:65535 (sid:1;)",
        );
        let m4 = v.match_header(&h4, &alert("192.168.1.10", 53000, "224.0.0.252", 5355));
        assert_eq!(m4.matches, Some(false));
        assert!(m4.sides[2].1.why.contains("excluded"), "{}", m4);
    }

    #[test]
    fn the_quick_home_net_answer_is_the_worded_one() {
        let mut v = Vars::default();
        for home in [
            "[10.0.0.0/8,!10.9.0.0/16]",
            "[$X,192.0.2.0/24]",
            "any",
            "!192.168.0.0/16",
        ] {
            v.set_home_net(home).unwrap();
            for ip in [
                "10.1.2.3",
                "10.9.1.1",
                "192.0.2.7",
                "8.8.8.8",
                "192.168.1.1",
            ] {
                let ip: IpAddr = ip.parse().unwrap();
                let worded = v.match_addr(&AddrExpr::Var("HOME_NET".into()), ip).matches;
                assert_eq!(v.in_home_net(ip), worded, "{home} {ip}");
            }
        }
    }

    #[test]
    fn ip_rules_ignore_their_ports() {
        // Issue #8: Snort and Suricata ignore the ports of an `alert ip` rule (GPL sid
        // 100000160 `alert ip any any -> any 5060` fires on a packet to 49668).
        let v = Vars::default();
        let r = parse_rule(
            "alert ip any any -> any 5060 (sid:100000160;)",
            Origin {
                path: Arc::from("t"),
                line: 1,
            },
        )
        .unwrap();
        let a = alert("10.0.0.1", 445, "10.0.0.2", 49668);
        let m = v.match_rule_header(&r, &a).unwrap();
        assert_eq!(m.matches, Some(true), "{m}");
        assert!(m.to_string().contains("ports do not apply"), "{m}");
        // The same header on a tcp rule keeps its port.
        let t = header("alert tcp any any -> any 5060 (sid:1;)");
        assert_eq!(v.match_header(&t, &a).matches, Some(false));
    }

    #[test]
    fn config_files_and_home_net() {
        let mut v = Vars::default();
        let e = v.read_suricata_yaml(
            "%YAML 1.1\nvars:\n  address-groups:\n    HOME_NET: \"[10.1.0.0/16]\" # lab\n    EXTERNAL_NET: \"!$HOME_NET\"\n    BAD: \"[1.2.3\"\n  port-groups:\n    HTTP_PORTS: \"[80,8080]\"\noutputs:\n  - x: y\n",
            "suricata.yaml",
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().starts_with("suricata.yaml:6:"));
        let h = header("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:1;)");
        let m = v.match_header(&h, &alert("10.1.2.3", 40000, "10.2.0.1", 8080));
        assert_eq!(m.matches, Some(true), "{m}");
        assert!(m.sides[0].1.why.contains("from suricata.yaml:4"), "{m}");
        let m = v.match_header(&h, &alert("10.1.2.3", 40000, "10.2.0.1", 443));
        assert_eq!(m.matches, Some(false));

        let mut s = Vars::default();
        s.read_snort_conf(
            "ipvar HOME_NET 172.16.0.0/12\nportvar SHELL_PORTS !80\nvar ORACLE_PORTS 1521\n",
            "snort.conf",
        );
        let h = header("alert tcp $HOME_NET $SHELL_PORTS <> any $ORACLE_PORTS (sid:1;)");
        let m = s.match_header(&h, &alert("1.2.3.4", 1521, "172.16.5.5", 22));
        assert_eq!(m.matches, Some(true), "{m}");
        assert!(m.swapped);
        s.set_home_net("1.2.3.0/24").unwrap();
        let h = header("alert tcp $HOME_NET any -> $UNDEFINED any (sid:1;)");
        let m = s.match_header(&h, &alert("1.2.3.4", 1, "5.6.7.8", 2));
        assert_eq!(m.matches, None);
        assert!(m.to_string().contains("from --home-net"), "{m}");
    }
}
