//! Rule sets of the corpus through the signature parser, lint and replay.

use std::path::PathBuf;

use fpx::signature::lint::{lint_paths, lint_set};
use fpx::signature::parse::OptKind;
use fpx::signature::RuleSet;

use crate::util::{corpus, files_where};

/// The rule files and folders of the corpus, one set each.
fn rule_sets() -> Vec<(String, Vec<PathBuf>)> {
    let c = corpus();
    let mut sets: Vec<(String, Vec<PathBuf>)> = [
        "et-open-2024",
        "snort-community-rules-2022",
        "snort2-gpl-rules",
        "suricata-rules",
        "py-idstools",
        "snort-3.11.1-runs/rules",
    ]
    .iter()
    .map(|s| (s.to_string(), vec![c.join(s)]))
    .collect();
    // community.rules and the py-idstools unicode file are `.rules`; the verify tests keep
    // theirs as `*.rules` per test.
    let verify = files_where(&c.join("suricata-verify/tests"), &|p| {
        p.extension().is_some_and(|e| e == "rules")
    });
    assert!(!verify.is_empty());
    sets.push(("suricata-verify".into(), verify));
    sets
}

#[test]
#[ignore]
fn lint_every_rule_set_without_errors() {
    let mut total_errors = 0;
    for (name, paths) in rule_sets() {
        let r = lint_paths(&paths);
        eprintln!(
            "{name}: parsed {} rules ({} disabled), {} errors, {} files, {} options verbatim",
            r.rules,
            r.disabled,
            r.errors(),
            r.files,
            r.unknown_options
        );
        for e in r.errors.iter().take(20) {
            eprintln!("  {e}");
        }
        assert!(r.rules > 0, "{name}: no rules");
        total_errors += r.errors();
    }
    assert_eq!(total_errors, 0);
}

#[test]
#[ignore]
fn sid_247_rev_4_has_flow_and_one_byte_content() {
    let set = RuleSet::load(&[corpus().join("snort2-gpl-rules")]);
    let revs = set.lookup(1, 247);
    let r = revs
        .iter()
        .find(|r| r.rev == Some(4))
        .expect("sid 247 rev 4");
    assert_eq!(r.flow().unwrap(), ["to_server", "established"]);
    let contents: Vec<_> = r.contents().collect();
    assert_eq!(contents.len(), 1);
    assert_eq!(contents[0].pattern, b">");
    assert!(r
        .options
        .iter()
        .any(|o| matches!(&o.kind, OptKind::Reference { scheme, id } if scheme == "cve" && id == "2000-0138")));
}

#[test]
#[ignore]
fn et_2009099_rev_4_excludes_multicast() {
    let c = corpus();
    let set = RuleSet::load(&[
        c.join("py-idstools/et-open-2017"),
        c.join("et-open-2024/emerging-p2p.rules"),
    ]);
    let report = lint_set(set);
    let d = report
        .revisions
        .iter()
        .find(|d| d.sid == 2009099)
        .expect("2009099 revisions");
    assert_eq!((d.old_rev, d.new_rev), (3, 4));
    let text = d.changes.join("; ");
    eprintln!("2009099: {text}");
    assert!(
        text.contains("rev 4 adds !224.0.0.0/4 to the destination"),
        "{text}"
    );
}

#[test]
#[ignore]
fn et_2009099_rev_3_replays_on_an_llmnr_query() {
    use fpx::signature::replay::{replay, ReplayInput, Verdict};
    let set = RuleSet::load(&[corpus().join("py-idstools/et-open-2017")]);
    let revs = set.lookup(1, 2009099);
    let r3 = revs.iter().find(|r| r.rev == Some(3)).expect("rev 3");
    // LLMNR query for "wpad": ID 0x3200, flags 0, QDCOUNT 1, then the question.
    let mut q = vec![0x32, 0x00, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(b"\x04wpad\x00\x00\x01\x00\x01");
    let out = replay(
        r3,
        &ReplayInput {
            payload: Some(&q),
            ..ReplayInput::default()
        },
    );
    eprintln!("{out}");
    assert_eq!(out.verdict, Verdict::Reproduced);
    let ranges: Vec<_> = out
        .steps
        .iter()
        .filter(|s| s.option.starts_with("content"))
        .map(|s| {
            s.ranges
                .iter()
                .map(|r| (r.start, r.end))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ranges, [vec![(0, 4)], vec![(6, 10)]]);
}

/// Transport payloads of the packets of a classic pcap file (Ethernet, Linux SLL, raw IP),
/// numbered from 1 as Suricata's `pcap_cnt` is. Non-IP and pcapng input give no packets.
fn pcap_payloads(path: &std::path::Path) -> Vec<(u64, Vec<u8>)> {
    let Ok(data) = std::fs::read(path) else {
        return Vec::new();
    };
    if data.len() < 24 {
        return Vec::new();
    }
    let magic = u32::from_le_bytes(data[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2c3d4 | 0xa1b23c4d => true,
        0xd4c3b2a1 | 0x4d3cb2a1 => false,
        _ => return Vec::new(),
    };
    let u32_at = |b: &[u8], o: usize| {
        let a: [u8; 4] = b[o..o + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let linktype = u32_at(&data, 20);
    let mut out = Vec::new();
    let mut off = 24;
    let mut n = 0;
    while off + 16 <= data.len() {
        let incl = u32_at(&data, off + 8) as usize;
        let start = off + 16;
        let Some(frame) = data.get(start..start + incl) else {
            break;
        };
        off = start + incl;
        n += 1;
        let ip = match linktype {
            1 if frame.len() >= 14 => {
                let mut et = u16::from_be_bytes([frame[12], frame[13]]);
                let mut p = 14;
                while et == 0x8100 && frame.len() >= p + 4 {
                    et = u16::from_be_bytes([frame[p + 2], frame[p + 3]]);
                    p += 4;
                }
                &frame[p..]
            }
            113 if frame.len() >= 16 => &frame[16..],
            101 | 228 | 229 => frame,
            _ => continue,
        };
        if let Some(p) = transport_payload(ip) {
            out.push((n, p.to_vec()));
        }
    }
    out
}

fn transport_payload(ip: &[u8]) -> Option<&[u8]> {
    let (proto, l4) = match ip.first()? >> 4 {
        4 => {
            let ihl = ((ip[0] & 0x0f) as usize) * 4;
            let total = u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]) as usize;
            let end = total.min(ip.len());
            (*ip.get(9)?, ip.get(ihl..end)?)
        }
        6 => {
            let plen = u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]) as usize;
            let end = (40 + plen).min(ip.len());
            (*ip.get(6)?, ip.get(40..end)?)
        }
        _ => return None,
    };
    match proto {
        6 => {
            let doff = ((*l4.get(12)? >> 4) as usize) * 4;
            l4.get(doff..)
        }
        17 => l4.get(8..),
        1 | 58 => l4.get(8..),
        _ => None,
    }
}

/// suricata-verify tests name the rules that must fire (`alert.signature_id`, sometimes with
/// `pcap_cnt`). For rules whose options are all packet-payload options fpx can replay, some
/// packet of the test's pcap (the listed one when given) must reproduce the match.
#[test]
#[ignore]
fn replay_agrees_with_suricata_verify_expectations() {
    use fpx::signature::replay::{replay, ReplayInput, Verdict};
    let tests = files_where(&corpus().join("suricata-verify/tests"), &|p| {
        p.file_name().is_some_and(|n| n == "test.yaml")
    });
    let (mut checked, mut skipped) = (0, 0);
    for yaml in tests {
        let dir = yaml.parent().unwrap();
        let text = std::fs::read_to_string(&yaml).unwrap();
        let rules = dir.join("test.rules");
        if !rules.is_file() {
            continue;
        }
        let pcap = text
            .lines()
            .find_map(|l| l.strip_prefix("pcap:"))
            .map(|p| dir.join(p.trim()))
            .or_else(|| {
                files_where(dir, &|p| p.extension().is_some_and(|e| e == "pcap"))
                    .into_iter()
                    .next()
            })
            .unwrap_or_else(|| dir.join("input.pcap"));
        let set = RuleSet::load(&[rules]);
        let packets = pcap_payloads(&pcap);
        for block in text.split("- filter:") {
            let field = |k: &str| -> Option<u64> {
                block
                    .lines()
                    .find_map(|l| l.trim().strip_prefix(k).and_then(|v| v.trim().parse().ok()))
            };
            // `alert.signature_id: N`, or `signature_id: N` nested under `alert:`.
            let sid = field("alert.signature_id:").or_else(|| field("signature_id:"));
            let (Some(sid), Some(count)) = (sid, field("count:")) else {
                continue;
            };
            if count == 0 {
                continue;
            }
            let pkt = field("pcap_cnt:");
            let Some(rule) = set.lookup(1, sid as u32).into_iter().find(|r| r.enabled) else {
                continue;
            };
            // A rule that fired had every payload option match, whatever its other options
            // (flowbits, thresholds, ...) required; so a rule with payload contents must not
            // be refuted by the replay. Buffers fpx does not have are "not evaluable".
            let replayable = rule.contents().any(|c| c.buffer.is_none())
                && matches!(
                    rule.proto.as_deref(),
                    Some("tcp" | "udp" | "ip" | "icmp" | "tcp-pkt" | "udp-pkt")
                );
            // Stream matches are logged on whichever packet completed the stream chunk, so
            // for TCP any packet may carry the match.
            let pkt = pkt.filter(|_| !matches!(rule.proto.as_deref(), Some("tcp" | "ip")));
            if std::env::var_os("FPX_DEBUG").is_some() {
                eprintln!(
                    "{} sid {sid} replayable {replayable} packets {}",
                    dir.display(),
                    packets.len()
                );
            }
            if !replayable || packets.is_empty() {
                skipped += 1;
                continue;
            }
            let hit = packets
                .iter()
                .filter(|(n, _)| pkt.is_none_or(|p| p == *n))
                .find(|(_, payload)| {
                    let r = replay(
                        &rule,
                        &ReplayInput {
                            payload: Some(payload),
                            ..ReplayInput::default()
                        },
                    );
                    r.verdict != Verdict::NotReproduced
                });
            eprintln!(
                "{}: sid {sid}{}: {}",
                dir.display(),
                pkt.map(|p| format!(" packet {p}")).unwrap_or_default(),
                match hit {
                    Some((n, _)) => format!("reproduced on packet {n}"),
                    None => "NOT reproduced".into(),
                }
            );
            assert!(hit.is_some(), "{}: sid {sid} not reproduced", dir.display());
            checked += 1;
        }
    }
    eprintln!("suricata-verify replay: {checked} expectations checked, {skipped} not replayable");
    assert!(checked > 0);
}
