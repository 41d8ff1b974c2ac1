//! Hostile and broken inputs: clear errors, nothing dropped silently, no panics.

use super::util::*;

#[test]
fn missing_file_is_an_error_naming_the_file_and_exit_1() {
    let out = fpx(
        &["explain", "--format", "json", "/nonexistent/alerts.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/alerts.json"), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["errors"][0]["path"], "/nonexistent/alerts.json");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(fpx(&["explain"], None).status.code(), Some(2));
    assert_eq!(
        fpx(&["explain", "--input-format", "bogus", "x"], None)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn bad_eve_lines_are_counted_and_the_rest_explained() {
    let dir = temp_dir("badeve");
    let good = std::fs::read_to_string(example("attacks.eve.json")).unwrap();
    let mut data = String::from("{not json\n");
    data.push_str(&good);
    data.push_str("{\"event_type\":\"flow\",\"flow_id\":1}\n");
    let p = write(&dir, "mixed.json", data.as_bytes());
    let lines = explain_json(&[&p], &[]);
    let s = summary(&lines);
    assert_eq!(s["alerts"], 2);
    assert_eq!(s["records_read"], 4);
    assert_eq!(s["skipped"]["invalid_json"], 1);
    assert_eq!(s["context_events"], 1);
}

#[test]
fn terminal_escapes_in_text_output() {
    let dir = temp_dir("esc");
    let line = r#"{"timestamp":"2020-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"10.0.0.1","src_port":1234,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","alert":{"gid":1,"signature_id":1,"rev":1,"signature":"evil \u001b[2J title \u202e","category":"","severity":3}}"#;
    let p = write(&dir, "esc.json", format!("{line}\n").as_bytes());
    let out = fpx(&["explain", &p], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(text.contains("\\x1b[2J"));
}

/// The attacker chooses what an LLMNR query asks for, and fpx quotes it in the comments of the
/// files it writes: a newline in it must not start a configuration line of its own.
#[test]
fn payload_text_cannot_inject_lines_into_suggested_files() {
    use base64::Engine;
    let dir = temp_dir("inject");
    let name = b"x\nsuppress gen_id 1, sig_id 2034647\n";
    let mut q = vec![0x32, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, name.len() as u8];
    q.extend_from_slice(name);
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let payload = base64::engine::general_purpose::STANDARD.encode(&q);
    let mut data = String::new();
    for i in 0..3 {
        data.push_str(&format!(
            r#"{{"timestamp":"2016-04-28T02:14:0{i}.000000+0000","event_type":"alert","src_ip":"192.168.88.23","src_port":5281{i},"dest_ip":"224.0.0.252","dest_port":5355,"proto":"UDP","alert":{{"gid":1,"signature_id":2009099,"rev":3,"signature":"ET P2P ThunderNetwork UDP Traffic","category":"Potential Corporate Privacy Violation","severity":1}},"payload":"{payload}"}}"#
        ));
        data.push('\n');
    }
    let p = write(&dir, "llmnr.json", data.as_bytes());
    for engine in ["suricata", "snort2", "snort3"] {
        let out = fpx(&["suggest", "--engine", engine, &p], None);
        let text = String::from_utf8(out.stdout).unwrap();
        let config: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("--"))
            .filter(|l| l.contains("2034647"))
            .collect();
        assert!(config.is_empty(), "{engine}: {config:?}\n{text}");
        assert!(text.contains("2009099"), "{engine}: {text}");
    }
}

/// Issue #12: `--rules /dev/zero` grew until the kernel killed it.
#[test]
fn a_rule_file_that_never_ends_is_refused_at_once() {
    let started = std::time::Instant::now();
    let out = fpx(
        &[
            "explain",
            "--rules",
            "/dev/zero",
            &example("attacks.eve.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/dev/zero") && err.contains("NUL byte"),
        "{err}"
    );
    let out = fpx(&["lint", "/dev/zero"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

/// An EVE alert of sid 1 with a payload of `n` bytes of `a`, in a fresh folder with `rule`
/// as its rule file.
fn alert_with_rule(tag: &str, rule: &str, n: usize) -> (std::path::PathBuf, String, String) {
    use base64::Engine;
    let dir = temp_dir(tag);
    let payload = base64::engine::general_purpose::STANDARD.encode(vec![b'a'; n]);
    let eve = format!(
        r#"{{"timestamp":"2020-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"198.51.100.1","src_port":4444,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","alert":{{"gid":1,"signature_id":1,"rev":1,"signature":"T","category":"","severity":2}},"payload":"{payload}"}}"#
    );
    let e = write(&dir, "a.json", format!("{eve}\n").as_bytes());
    let r = write(&dir, "t.rules", format!("{rule}\n").as_bytes());
    (dir, e, r)
}

/// Issue #12: 5,000 relative pcres overflowed the replay's stack (exit 134); a pcre with
/// 3,000 capture groups took 35 s and 855 MB per alert.
#[test]
fn hostile_rules_are_replayed_within_bounds() {
    let many = format!(
        "alert tcp any any -> any any (msg:\"T\"; {}sid:1; rev:1;)",
        "pcre:\"/a/R\"; ".repeat(5_000)
    );
    let groups = format!(
        "alert tcp any any -> any any (msg:\"T\"; pcre:\"/{}/\"; sid:1; rev:1;)",
        "(a)".repeat(3_000)
    );
    for (tag, rule) in [("many-pcre", many), ("groups", groups)] {
        let (_dir, eve, rules) = alert_with_rule(tag, &rule, 4096);
        let started = std::time::Instant::now();
        let lines = explain_json(&[&eve], &["--rules", &rules]);
        // 2 s for an optimised build (0.1 s measured); unoptimised builds run ten times slower.
        let bound = if cfg!(debug_assertions) { 20 } else { 2 };
        assert!(
            started.elapsed() < std::time::Duration::from_secs(bound),
            "{tag}: {:?}",
            started.elapsed()
        );
        let a = alerts(&lines)[0];
        assert_ne!(
            a["rule"]["replay"]["verdict"], "not_reproduced",
            "{tag}: {a}"
        );
    }
}

/// Issue #12: a million rules took 3.7 GB. The set keeps the rule text and an index and
/// parses rules when they are looked up: its memory is a small multiple of the text.
#[test]
fn the_rule_library_stays_within_four_times_its_text() {
    let dir = temp_dir("ruleset");
    let mut text = String::new();
    for i in 0..40_000 {
        text.push_str(&format!(
            "alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (msg:\"T rule {i}\"; flow:to_server,established; content:\"GET /x{i}\"; depth:16; content:\"User-Agent|3a| t\"; distance:0; classtype:web-application-attack; sid:{}; rev:2;)\n",
            1_000_000 + i
        ));
    }
    let rules = write(&dir, "big.rules", text.as_bytes());
    let (_, peak) = peak_of(&["explain", "--rules", &rules, &example("attacks.eve.json")]);
    let (_, base) = peak_of(&["explain", &example("attacks.eve.json")]);
    let kib = text.len() as u64 / 1024;
    assert!(
        peak < base + 4 * kib,
        "peak {peak} KiB with {kib} KiB of rules, {base} KiB without"
    );
}

/// The hostile set: terminal controls (CSI, OSC, C1 CSI), a fake report line, bidi
/// overrides and isolates, line and paragraph separators, zero-width and invisible marks.
const HOSTILE: &[&str] = &[
    "\x1b[2J",
    "\x1b]0;owned\x07",
    "\u{9b}31m",
    "\r\n── alert 99 ── fake",
    "\u{202e}",
    "\u{2066}",
    "\u{61c}",
    "\u{2028}",
    "\u{2029}",
    "\u{200b}",
    "\u{feff}",
];

/// Whether output holds any hostile character raw, or a line that starts like a report
/// line fpx did not write.
fn leaks(out: &str) -> Option<String> {
    for c in out.chars() {
        if c != '\n' && c != '\t' && fpx::report::escape::needs_escape(c) {
            return Some(format!("raw {c:?}"));
        }
    }
    out.lines()
        .find(|l| l.trim_start().starts_with("── alert 99"))
        .map(|l| format!("fake line {l:?}"))
}

/// The hostile inputs: per format, the hostile set in every field (the record may then be
/// skipped, and the warning quotes it), and in its free-text fields only (the record is read).
fn hostile_inputs(h: &str, j: &str) -> Vec<(&'static str, String)> {
    let eve = format!(
        r#"{{"timestamp":"2020-01-01T00:00:00.000000+0000","flow_id":1,"event_type":"alert","src_ip":"10.0.0.1{j}","src_port":1234,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP{j}","app_proto":"http{j}","alert":{{"action":"allowed{j}","gid":1,"signature_id":1,"rev":1,"signature":"evil{j}","category":"cat{j}","severity":3,"rule":"alert tcp any any -> any any (msg:\"x{j}\"; content:\"a\"; sid:1;)"}},"http":{{"hostname":"h{j}","url":"/{j}","http_user_agent":"ua{j}"}},"payload":"R0VUIC8="}}"#
    );
    let fast_line = |msg: &str, proto: &str, src: &str| {
        format!("08/13/2001-08:12:47.743103  [**] [1:2:3] evil{msg} [**] [Classification: c{msg}] [Priority: 2] {{TCP{proto}}} 10.0.0.1{src}:80 -> 10.0.0.2:12754\n")
    };
    let full_alert = |msg: &str, other: &str| {
        format!("[**] [1:2:3] evil{msg} [**]\n[Classification: c{msg}] [Priority: 2]\n08/13-08:12:47.743103 a.b.c.d{other}:80 -> 10.0.0.2:12754\nTCP TTL:61{other} TOS:0x0 ID:27309 IpLen:20 DgmLen:40 DF\n***AP*** Seq: 0x1  Ack: 0x2  Win: 0x3  TcpLen: 20\n\n")
    };
    let ipchains = |host: &str, other: &str| {
        format!("Aug 10 05:15:10 fw{host} kernel: Packet log: input REJECT eth0{other} PROTO=6 172.30.3.56:1110 1.11.40.30:445 L=40 S=0x00 I=4000 F=0x4000 T=128 (#13{other})\n")
    };
    let snort_json = format!(
        r#"{{ "timestamp" : "04/28-02:14:03.418862{j}", "seconds" : 1461809643, "proto" : "UDP{j}", "pkt_gen" : "raw{j}", "dir" : "C2S{j}", "src_addr" : "192.168.88.23{j}", "src_ap" : "192.168.88.23:52814{j}", "dst_ap" : "224.0.0.252:5355", "eth_src" : "e{j}", "service" : "dns{j}", "iface" : "eth0{j}", "target" : "t{j}", "app_id" : "a{j}", "gid" : 1, "sid" : 2009099, "rev" : 3, "msg" : "evil{j}", "class" : "c{j}", "rule" : "1:2009099:3{j}", "action" : "allow{j}", "b64_data" : "R0VUIC8=" }}"#
    );
    let snort_csv = |all: &str| {
        format!("04/28-02:14:03.418862{all}, UDP{h}, 192.168.88.23:52814{all}, 224.0.0.252:5355, 1:2009099:3{all}, \"evil{h}\", c{h}, dns{h}, allow{h}, e{h}\n")
    };
    let asa = |other: &str| {
        format!("Mar 14 10:00:25 asa01{h} %ASA-4-106023: Deny udp src outside{other}:125.90.1.2/10517 dst inside:64.9.1.2/8832 by access-group \"out{h}\" [0x0, 0x0]\n")
    };
    vec![
        ("eve.json", eve),
        ("fast.txt", fast_line(h, h, h) + &fast_line(h, "", "")),
        ("full.txt", full_alert(h, h) + &full_alert(h, "")),
        ("ipchains.log", ipchains(h, h) + &ipchains(h, "")),
        (
            "netfilter.log",
            format!("Jun 20 13:09:14 host{h} kernel: IN=eth0{h} OUT= MAC={h} SRC=10.3.94.11 DST=10.3.94.12 LEN=52 TOS=0x00 PREC=0xC0 TTL=255 ID=64317 DF PROTO=UDP SPT=49152 DPT=3784 LEN=32\n"),
        ),
        ("asa.log", asa(h) + &asa("")),
        ("alert_json.txt", snort_json),
        (
            "alert_csv.txt",
            "# timestamp proto src_ap dst_ap rule msg class service action eth_src\n".to_string()
                + &snort_csv(h)
                + &snort_csv(""),
        ),
        (
            "conn.log",
            format!("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tconn_state\thistory\n1300475168.853899\tC{h}\t141.142.220.118\t43927\t141.142.2.2\t53\tudp\tdns{h}\tSF{h}\tDd{h}\n"),
        ),
    ]
}

/// Issue #12: an unknown EVE `proto` or fast.log `{…}` protocol reached the terminal raw;
/// stderr quoted file names raw; separators, zero-width and bidi characters passed
/// everywhere; JSON kept raw C1 and bidi characters. Every field of every text format, and
/// the file name, carries the hostile set here; no output of explain (text, JSON) or
/// suggest, nor stderr, may hold any of it raw.
#[test]
fn hostile_text_in_every_field_and_file_name_never_reaches_the_reader_raw() {
    let dir = temp_dir("hostile-set");
    // JSON strings can hold a line break; the line formats cannot (it ends their record).
    let j = serde_json::to_string(&HOSTILE.concat()).unwrap();
    let j = j.trim_matches('"').to_string();
    let h: String = HOSTILE
        .iter()
        .filter(|s| !s.contains('\n'))
        .copied()
        .collect();
    let name = format!("evil{h}");
    let inputs: Vec<String> = hostile_inputs(&h, &j)
        .into_iter()
        .map(|(ext, text)| write(&dir, &format!("{name}.{ext}"), text.as_bytes()))
        .collect();
    let missing = format!("/nonexistent/missing{h}.json");
    let runs: [&[&str]; 4] = [
        &["explain"],
        &["explain", "--format", "json"],
        &["suggest"],
        &["suggest", "--format", "json", "--dry-run"],
    ];
    for args in runs {
        let mut all = args.to_vec();
        all.extend(inputs.iter().map(String::as_str));
        all.push(&missing);
        let out = fpx(&all, None);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if args == ["explain", "--format", "json"] {
            let last: serde_json::Value =
                serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
            let read = last["alerts"].as_u64().unwrap() + last["context_events"].as_u64().unwrap();
            assert!(read >= 9, "a record of every format is read: {last}");
        }
        if let Some(what) = leaks(&stdout) {
            panic!("{args:?}: stdout: {what}");
        }
        if let Some(what) = leaks(&stderr) {
            panic!("{args:?}: stderr: {what}\n{stderr}");
        }
    }
}

/// Issue #12: a truncated `--pcap` stopped everything (exit 2, no output) though the alert
/// file was fine. It is an error about that capture; the alerts are still explained.
#[test]
fn a_damaged_capture_is_an_error_about_it_and_the_alerts_are_still_explained() {
    let dir = temp_dir("trunc-pcap");
    let pcap = std::fs::read(root().join("examples/pcap-join/seed003.pcap")).unwrap();
    let cut = write(&dir, "cut.pcap", &pcap[..3000]);
    let fast = root()
        .join("examples/pcap-join/seed003.fast")
        .display()
        .to_string();
    let out = fpx(
        &["explain", "--format", "json", "--pcap", &cut, &fast],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(last["alerts"].as_u64().unwrap() >= 1, "{last}");
    let e = &last["errors"][0];
    assert!(e["path"].as_str().unwrap().ends_with("cut.pcap"), "{last}");
    assert!(
        e["message"].as_str().unwrap().contains("truncated"),
        "{last}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut.pcap"));
}

/// Issue #12: a forced wrong format, an empty input and an input of only skipped records
/// all exited 0; writing to a full disk exited 1 with no message. Each status is tested.
#[test]
fn nothing_understood_is_no_success_and_write_errors_are_said() {
    let dir = temp_dir("silent");
    let empty = write(&dir, "empty.json", b"");
    let prose = write(&dir, "mail.txt", b"Hello,\nthe sensor was quiet today.\n");
    let eve = example("attacks.eve.json");
    let cases: [(&[&str], i32, &str); 5] = [
        (&["explain", &eve], 0, ""),
        (&["explain", &empty], 1, "empty: no records"),
        (&["explain", &prose], 1, "no alert or log record understood"),
        (
            &["explain", "--input-format", "fast", &eve],
            1,
            "it looks like eve (--input-format fast was given)",
        ),
        // One input understood does not excuse another that was not.
        (&["explain", &eve, &empty], 1, "empty.json: empty"),
    ];
    for (args, code, says) in cases {
        let out = fpx(args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::File::create("/dev/full").unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fpx"))
            .args(["explain", &eve])
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("writing output"));
    }
}

/// Issue #12: each input was opened twice (detection, then reading), so a FIFO hung and
/// `fpx explain <(cat eve.json)` read nothing or half. Now every format gives the same summary
/// from a file, a process substitution and a FIFO.
#[test]
fn a_fifo_and_a_process_substitution_read_like_the_file() {
    if !std::path::Path::new("/usr/bin/mkfifo").exists()
        && !std::path::Path::new("/bin/mkfifo").exists()
    {
        return;
    }
    let files = [
        "examples/attacks.eve.json",
        "examples/seed000-llmnr-xunlei.eve.json",
        "examples/seed001-smb-reserved.ipchains.log",
        "examples/seed002-nas-p2p.asa.log",
        "examples/seed003-mstream-gif.full.txt",
        "examples/pcap-join/seed003.fast",
        "tests/fixtures/snort3/seed000-llmnr/alert_fast.txt",
        "tests/fixtures/snort3/seed000-llmnr/alert_json.txt",
        "tests/fixtures/snort3/seed000-llmnr/alert_csv.txt",
        "tests/fixtures/snort3/seed000-llmnr/unified2.log",
    ];
    let dir = temp_dir("fifo");
    let keys = [
        "records_read",
        "alerts",
        "context_events",
        "skipped",
        "verdicts",
        "cluster_verdicts",
    ];
    let summary_of = |out: &[u8]| -> serde_json::Value {
        let text = String::from_utf8_lossy(out);
        serde_json::from_str(text.lines().last().expect("a summary")).unwrap()
    };
    let bin = env!("CARGO_BIN_EXE_fpx");
    for (i, f) in files.iter().enumerate() {
        let path = root().join(f).display().to_string();
        let args = ["explain", "--format", "json", "--year", "2016"];
        let named = fpx(&[&args[..], &[&path]].concat(), None);
        let named = summary_of(&named.stdout);
        // Process substitution, through bash.
        let sub = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("\"{bin}\" {} <(cat \"{path}\")", args.join(" ")))
            .output()
            .unwrap();
        let sub = summary_of(&sub.stdout);
        // A FIFO written by another process.
        let fifo = dir.join(format!("in{i}"));
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        let fifo_s = fifo.display().to_string();
        let writer = {
            let (src, dst) = (path.clone(), fifo_s.clone());
            std::thread::spawn(move || {
                let data = std::fs::read(&src).unwrap();
                std::fs::write(&dst, data).unwrap();
            })
        };
        let piped = fpx(&[&args[..], &[&fifo_s]].concat(), None);
        writer.join().unwrap();
        let piped = summary_of(&piped.stdout);
        for k in keys {
            assert_eq!(named[k], sub[k], "{f}: {k} through <(cat)");
            assert_eq!(named[k], piped[k], "{f}: {k} through a FIFO");
        }
        assert!(
            named["alerts"].as_u64().unwrap() + named["context_events"].as_u64().unwrap() > 0,
            "{f}"
        );
    }
}

/// Issue #12: a BOM, a comment or a garbage first line made every EVE alert count as
/// surrounding text; CR-only line endings made a file one record; one invalid UTF-8 byte
/// dropped a whole alert.
#[test]
fn boms_comments_line_endings_and_bad_bytes_do_not_lose_alerts() {
    let dir = temp_dir("endings");
    let alerts = std::fs::read_to_string(example("attacks.eve.json")).unwrap();
    let lines: Vec<&str> = alerts.lines().collect();
    assert_eq!(lines.len(), 2);
    let mut bad = lines[1].as_bytes().to_vec();
    let at = bad.windows(8).position(|w| w == b"Web Appl").unwrap();
    bad[at] = 0xff; // the category begins with an invalid byte
    for (name, ending) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        let mut data = b"\xEF\xBB\xBF# exported by the SIEM".to_vec();
        data.extend_from_slice(ending.as_bytes());
        data.extend_from_slice(lines[0].as_bytes());
        data.extend_from_slice(ending.as_bytes());
        data.extend_from_slice(&bad);
        data.extend_from_slice(ending.as_bytes());
        let p = write(&dir, &format!("{name}.json"), &data);
        let out = fpx(&["explain", "--format", "json", &p], None);
        let text = String::from_utf8(out.stdout).unwrap();
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["alerts"], 2, "{name}: {last}");
        assert_eq!(
            last["skipped"]["invalid_json"], 1,
            "{name}: the comment line: {last}"
        );
        assert_eq!(last["repaired"]["invalid_utf8"], 1, "{name}: {last}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("line 1") && err.contains("line 3"),
            "{name}: {err}"
        );
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
    }
}
