//! Telling the input format from the first bytes of the content.

use crate::model::InputFormat;

use super::ReadError;

/// Detects the format of an input from its first bytes.
///
/// A byte-order mark is passed over, and JSON lines are found after leading comments or
/// garbage lines (the first line that opens an object decides).
///
/// Binary unified2 is recognised by a plausible first record header; JSON lines by a leading
/// `{` (EVE unless the record looks like Zeek or Snort 3 JSON); text formats by the first line
/// that any text reader recognises (Snort `alert_csv` by its columns, after every other). Text
/// that none recognises is read as `full`, whose reader accounts for every line (alerts
/// embedded in mail archives start with prose).
pub fn detect_format(path: &str, head: &[u8]) -> Result<InputFormat, ReadError> {
    if head.is_empty() {
        // An empty input is valid and holds no records; any reader accounts for it.
        return Ok(InputFormat::Eve);
    }
    if looks_like_unified2(head) {
        return Ok(InputFormat::Unified2);
    }
    // A byte-order mark says nothing of the format (Windows tools write one before JSON).
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text_len = head.iter().take(512).filter(|b| is_texty(**b)).count();
    if text_len * 10 < head.len().min(512) * 9 {
        return Err(ReadError::UnknownFormat {
            path: path.to_string(),
            message: "binary content that is not a unified2 record".to_string(),
        });
    }
    let trimmed = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    if head[trimmed] == b'{' {
        return Ok(detect_json(&head[trimmed..]));
    }
    Ok(detect_text(head))
}

/// EVE, Zeek and Snort 3 JSON apart, by the first record: EVE always has `event_type`; Zeek
/// has `_path`, or `ts` with `uid`, or is wrapped as `{"<path>": {"ts": ...}}`; Snort 3's
/// `alert_json` has keys only it writes (`pkt_num`, `rule`, `src_ap`, ..., or `gid` with
/// `sid`). Anything else is read as EVE, whose reader accounts for every line.
fn detect_json(head: &[u8]) -> InputFormat {
    let end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    let first = String::from_utf8_lossy(&head[..end]);
    if first.contains("\"event_type\"") {
        return InputFormat::Eve;
    }
    if first.contains("\"_path\"") || (first.contains("\"ts\"") && first.contains("\"uid\"")) {
        return InputFormat::Zeek;
    }
    // `{"conn": {"ts": ...`
    let compact: String = first
        .chars()
        .take(64)
        .filter(|c| !c.is_whitespace())
        .collect();
    if let Some(rest) = compact.strip_prefix("{\"") {
        if let Some((name, after)) = rest.split_once("\":{\"") {
            if !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && after.starts_with("ts\"")
            {
                return InputFormat::Zeek;
            }
        }
    }
    if super::snort_json::looks_like_snort_json(&first) {
        return InputFormat::SnortJson;
    }
    InputFormat::Eve
}

fn is_texty(b: u8) -> bool {
    b >= 0x20 || matches!(b, b'\n' | b'\r' | b'\t' | 0x0c) || b >= 0x80
}

/// unified2 record types fpx knows (see the unified2 reader).
const UNIFIED2_TYPES: [u32; 13] = [2, 3, 7, 72, 104, 105, 110, 111, 112, 113, 114, 1, 0];

fn looks_like_unified2(head: &[u8]) -> bool {
    if head.len() < 4 {
        return false;
    }
    let ty = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if head.len() < 8 {
        // A file cut inside its first record header: let the unified2 reader report where.
        return ty != 0 && ty != 1 && UNIFIED2_TYPES.contains(&ty);
    }
    let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    ty != 0 && ty != 1 && UNIFIED2_TYPES.contains(&ty) && len < 1 << 24
}

fn detect_text(head: &[u8]) -> InputFormat {
    let text = String::from_utf8_lossy(head);
    for line in text.split(['\n', '\r']) {
        // JSON lines after a comment or a line of garbage: the first object decides, and the
        // reader skips (and names) the lines before it.
        if line.trim_start().starts_with('{') {
            return detect_json(line.trim_start().as_bytes());
        }
        if line.contains("Packet log:") && line.contains("PROTO=") {
            return InputFormat::Ipchains;
        }
        if line.contains("%ASA-") || line.contains("%PIX-") || line.contains("%FWSM-") {
            return InputFormat::CiscoAsa;
        }
        if line.contains("IN=") && line.contains("SRC=") && line.contains("DST=") {
            return InputFormat::Netfilter;
        }
        if line.contains("filterlog") && line.contains(",match,") {
            return InputFormat::Pflog;
        }
        if super::cisco_asa::bare_id(line.trim()).is_some() {
            return InputFormat::CiscoAsa;
        }
        if line.starts_with("#separator") || line.starts_with("#fields") {
            return InputFormat::Zeek;
        }
        if line.contains("rule ") && line.contains("/(match)") {
            return InputFormat::Pflog;
        }
        if line.contains("[**]") && line.contains("->") {
            return InputFormat::Fast;
        }
        if line.trim_start().starts_with("[**]") {
            return InputFormat::Full;
        }
        if super::snort_csv::looks_like_csv(line) {
            return InputFormat::SnortCsv;
        }
    }
    InputFormat::Full
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_basic_formats() {
        assert_eq!(
            detect_format("x", b"{\"event_type\":\"alert\"}\n").unwrap(),
            InputFormat::Eve
        );
        assert_eq!(
            detect_format(
                "x",
                b"09/11/2018-12:35:07.111131  [**] [1:2:0] (null) [**] [Priority: 3] {UDP} 1.2.3.4:1 -> 5.6.7.8:2\n"
            )
            .unwrap(),
            InputFormat::Fast
        );
        assert_eq!(
            detect_format("x", b"Hi all!\n[**] DDOS mstream client to handler [**]\n").unwrap(),
            InputFormat::Full
        );
        let mut u2 = vec![0, 0, 0, 7, 0, 0, 0, 52];
        u2.extend_from_slice(&[0u8; 52]);
        assert_eq!(detect_format("x", &u2).unwrap(), InputFormat::Unified2);
        assert!(detect_format("x", &[0u8, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9]).is_err());
    }

    #[test]
    fn detects_the_context_formats() {
        let d = |s: &str| detect_format("x", s.as_bytes()).unwrap();
        assert_eq!(
            d("Mail text\nDate: Mon, 1 Mar 2004 10:00:00 +0000\nMar  1 09:00:00 h kernel: Packet log: input DENY eth0 PROTO=6\n10.0.0.1:1 10.0.0.2:2 L=40 S=0x00 I=1 F=0x4000 T=128\n"),
            InputFormat::Ipchains
        );
        assert_eq!(
            d("Jan  1 00:00:00 h kernel: Shorewall:net:DROP:IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=20 PROTO=2\n"),
            InputFormat::Netfilter
        );
        assert_eq!(
            d("<166>Jan  5 08:52:35 10.0.0.1 %ASA-6-302016: Teardown UDP connection 1 for a:10.0.0.1/1 to b:10.0.0.2/2 duration 0:00:00 bytes 1\n"),
            InputFormat::CiscoAsa
        );
        assert_eq!(
            d("We saw this:\n\nDeny udp src outside:10.1.XX.XX/1 dst inside:10.2.XX.XX/2\n"),
            InputFormat::CiscoAsa
        );
        assert_eq!(
            d("Jan  1 00:00:00 fw filterlog: 5,,,1,em0,match,block,in,4,0x0,,64,1,0,none,17,udp,28,10.0.0.1,10.0.0.2,1,2,8\n"),
            InputFormat::Pflog
        );
        assert_eq!(
            d("Jan  1 00:00:00.1 rule 1/(match) block in on em0: 10.0.0.1.1 > 10.0.0.2.2: S 1:1(0) win 1\n"),
            InputFormat::Pflog
        );
        assert_eq!(d("#separator \\x09\n#path\tconn\n"), InputFormat::Zeek);
        assert_eq!(d("{\"_path\":\"dns\",\"ts\":1}\n"), InputFormat::Zeek);
        assert_eq!(d("{\"ts\":1.0,\"uid\":\"C1\"}\n"), InputFormat::Zeek);
        assert_eq!(d("{\"conn\": {\"ts\":1.0}}\n"), InputFormat::Zeek);
        assert_eq!(
            d("{\"timestamp\":\"x\",\"flow_id\":1,\"event_type\":\"flow\",\"ts\":1,\"uid\":2}\n"),
            InputFormat::Eve
        );
        assert_eq!(d("{\"timestamp\":\"x\"}\n"), InputFormat::Eve);
    }

    #[test]
    fn detects_snort3_json_and_csv() {
        let d = |s: &str| detect_format("x", s.as_bytes()).unwrap();
        // tests/fixtures/snort3/seed000-llmnr/alert_json.txt, cut after `rule`.
        let json = r#"{ "timestamp" : "04/28-02:14:03.418862", "seconds" : 1461809643, "pkt_num" : 1, "proto" : "UDP", "pkt_gen" : "raw", "pkt_len" : 60, "dir" : "C2S", "src_addr" : "192.168.88.23", "src_port" : 52814, "src_ap" : "192.168.88.23:52814", "dst_addr" : "224.0.0.252", "dst_port" : 5355, "rule" : "1:2009099:3" }"#;
        assert_eq!(d(&format!("{json}\n")), InputFormat::SnortJson);
        assert_eq!(d(&format!("\n  {json}")), InputFormat::SnortJson);
        assert_eq!(
            d("{\"gid\" : 1, \"sid\" : 2, \"msg\" : \"m\"}\n"),
            InputFormat::SnortJson
        );
        assert_eq!(d("{\"rule\":\"1:2:3\"}"), InputFormat::SnortJson);
        // EVE and Zeek records with the same words keep their readers.
        assert_eq!(
            d("{\"event_type\":\"alert\",\"alert\":{\"gid\":1,\"signature_id\":2,\"rule\":\"alert ip any any -> any any (sid:2;)\"},\"pkt_num\":1}\n"),
            InputFormat::Eve
        );
        assert_eq!(
            d("{\"_path\":\"notice\",\"ts\":1,\"rule\":\"x\"}\n"),
            InputFormat::Zeek
        );
        assert_eq!(
            d("{\"msg\":\"the rule pkt_num gid sid\"}\n"),
            InputFormat::Eve
        );
        assert_eq!(d("{\"gid\":1}\n"), InputFormat::Eve);

        // tests/fixtures/snort3/seed000-llmnr/alert_csv.txt and alert_csv-fields.txt.
        let csv = "04/28-02:14:03.418862, 1, UDP, raw, 60, C2S, 192.168.88.23:52814, 224.0.0.252:5355, 1:2009099:3, allow\n";
        assert_eq!(d(csv), InputFormat::SnortCsv);
        let fields = "1461809643, 04/28-02:14:03.418862, 1:2009099:3, \"ET P2P ThunderNetwork UDP Traffic\", Potential Corporate Privacy Violation, 1, UDP, C2S, 192.168.88.23:52814, 224.0.0.252:5355, 4096, 1, 40, unknown, allow, \"MgAAAAABAAAAAAAADktyaXN0aXMtTGFwdG9wAAABAAE=\", 1\n";
        assert_eq!(d(fields), InputFormat::SnortCsv);
        assert_eq!(d("# timestamp rule msg\nanything\n"), InputFormat::SnortCsv);
        // apache-metron/SnortOutput.csv: Snort 2's default alert_csv fields.
        assert_eq!(
            d("01/27/16-16:01:04.877970 ,129,12,1,\"Consecutive TCP small segments exceeding threshold\",TCP,10.0.2.2,56642,10.0.2.15,22,52:54:00:12:35:02,08:00:27:7F:93:2D,0x4E,***AP***,0x9AFF3D7,0xC8761D52,,0xFFFF,64,0,59677,64,65536,,,,\n"),
            InputFormat::SnortCsv
        );
        // The text formats that come first on their line keep their readers, and prose with
        // a time of day and addresses is still text around alerts.
        assert_eq!(
            d(&format!("08/13-08:12:47.743103  [**] [1:247:4] m [**] {{TCP}} 10.0.0.1:1 -> 10.0.0.2:2\n{csv}")),
            InputFormat::Fast
        );
        assert_eq!(
            d("Aug  4 10:57:26 r40e kernel: ipfw: 299 Deny TCP 1.2.3.4:49312 5.6.7.8:80 out via bge0\n"),
            InputFormat::Full
        );
        assert_eq!(
            d(&format!("Jan  1 00:00:00 fw filterlog: 5,,,1,em0,match,block,in,4,0x0,,64,1,0,none,17,udp,28,10.0.0.1,10.0.0.2,1,2,8\n{csv}")),
            InputFormat::Pflog
        );
        assert_eq!(d(&format!("#separator \\x09\n{csv}")), InputFormat::Zeek);
    }

    /// Issue #12: a UTF-8 BOM, a comment or a garbage first line made every EVE alert count as
    /// surrounding text.
    #[test]
    fn a_bom_comments_or_garbage_before_json_lines_do_not_change_the_format() {
        let eve = "{\"timestamp\":\"2020-01-01T00:00:00+0000\",\"event_type\":\"alert\"}\n";
        for head in [
            format!("\u{feff}{eve}"),
            format!("# exported by the SIEM\n{eve}"),
            format!("garbage line\n\n{eve}"),
            format!("\u{feff}// comment\n{eve}"),
        ] {
            assert_eq!(
                detect_format("x", head.as_bytes()).unwrap(),
                InputFormat::Eve,
                "{head:?}"
            );
        }
    }
}
