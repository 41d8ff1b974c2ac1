//! The text report: the overview of root causes first, identical alerts folded, one example
//! per root cause; `--all` for every alert; wrapped to the width; colour only when asked or
//! on a terminal.

use std::process::Command;

use crate::flood::flood;
use crate::util::{example, fpx};

fn examples() -> Vec<String> {
    [
        "attacks.eve.json",
        "seed000-llmnr-xunlei.eve.json",
        "seed001-smb-reserved.ipchains.log",
        "seed002-nas-p2p.asa.log",
        "seed003-mstream-gif.full.txt",
    ]
    .iter()
    .map(|e| example(e))
    .collect()
}

fn run(args: &[&str]) -> String {
    let out = fpx(args, None);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn with_examples<'a>(args: &[&'a str], ex: &'a [String]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend(ex.iter().map(String::as_str));
    v
}

#[test]
fn the_overview_comes_first_ranked_by_size_and_fits_the_screen() {
    let ex = examples();
    let out = run(&with_examples(&["explain"], &ex));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("fpx: "), "{}", lines[0]);
    assert!(lines[1].starts_with("verdicts: "), "{}", lines[1]);
    let start = lines
        .iter()
        .position(|l| *l == "root causes, largest first:")
        .expect("the root causes");
    assert!(start < 5);
    let end = lines
        .iter()
        .position(|l| l.starts_with("below: "))
        .expect("the end of the overview");
    assert!(end < 40, "the overview fits a 40-row screen: {end}");
    // Ranked: sizes never grow down the list.
    let sizes: Vec<u64> = lines[start + 1..end]
        .iter()
        .filter_map(|l| {
            let t = l.trim_start();
            let (rank, rest) = t.split_once(". ")?;
            rank.parse::<u32>().ok()?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect();
    assert!(sizes.len() >= 3, "{out}");
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    // Each root cause has its section, its alerts folded and an example explained in full.
    assert!(out.contains("══ root cause 1/"), "{out}");
    assert!(out.contains("groups of identical alerts") || out.contains("group of identical"));
    assert!(out.contains("example, alert "), "{out}");
    assert!(out.contains("payload ("), "an example shows its bytes");
    // The summary still closes the report.
    assert!(
        lines.last().unwrap().starts_with("verdicts of clusters") || out.contains("\nsummary: ")
    );
    // Wrapped to the default width, and no colour off a terminal.
    assert!(lines.iter().all(|l| l.chars().count() <= 100), "width");
    assert!(!out.contains('\x1b'));
}

#[test]
fn all_prints_every_alert_as_before() {
    let ex = examples();
    let json = run(&with_examples(&["explain", "--format", "json"], &ex));
    let n = json
        .lines()
        .filter(|l| l.contains("\"kind\":\"alert\""))
        .count();
    let out = run(&with_examples(&["explain", "--all"], &ex));
    for i in 1..=n {
        assert!(out.contains(&format!("── alert {i} ── ")), "alert {i}");
    }
    assert!(out.contains("══ root-cause clusters ══"));
    assert!(!out.contains("root causes, largest first"));
    // The overview shows fewer alerts in full than there are.
    let overview = run(&with_examples(&["explain"], &ex));
    assert!(overview.matches("── alert ").count() < n);
}

#[test]
fn identical_alerts_are_folded_with_their_span_and_sources() {
    let dir = std::env::temp_dir().join(format!("fpx-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flood.fast");
    std::fs::write(&path, flood(3000)).unwrap();
    let p = path.to_str().unwrap();
    let out = run(&["explain", "--year", "2011", p]);
    let folded: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("× "))
        .collect();
    assert!(!folded.is_empty(), "{out}");
    let biggest: u64 = folded
        .iter()
        .filter_map(|l| l.trim_start()[2..].split(',').next()?.trim().parse().ok())
        .max()
        .unwrap();
    assert!(biggest > 100, "{folded:?}");
    assert!(
        folded
            .iter()
            .any(|l| l.contains(" sources → ") && l.contains(" → ")),
        "{folded:?}"
    );
    // The report stays short whatever the flood's size.
    assert!(out.lines().count() < 1500, "{} lines", out.lines().count());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn width_and_colour_follow_the_flags_and_the_terminal() {
    let ex = examples();
    let narrow = run(&with_examples(&["explain", "--width", "60"], &ex));
    assert!(narrow.lines().all(|l| l.chars().count() <= 60));
    let unwrapped = run(&with_examples(&["explain", "--all", "--width", "0"], &ex));
    assert!(unwrapped.lines().any(|l| l.chars().count() > 100));
    let always = run(&with_examples(&["explain", "--color", "always"], &ex));
    assert!(always.contains("\x1b[1m"), "headings in bold");
    let never = run(&with_examples(&["explain", "--color", "never"], &ex));
    assert!(!never.contains('\x1b'));

    // On a real terminal (script gives fpx one): colour unless NO_COLOR.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) not found: the terminal half is skipped");
        return;
    }
    let cmd = format!(
        "{} explain --width 80 {}",
        env!("CARGO_BIN_EXE_fpx"),
        example("seed000-llmnr-xunlei.eve.json")
    );
    let tty = |no_color: bool| {
        let mut c = Command::new("script");
        c.args(["-q", "-e", "-c", &cmd, "/dev/null"]);
        c.env_remove("NO_COLOR").env("TERM", "xterm");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    };
    let coloured = tty(false);
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert!(!tty(true).contains("\x1b["), "NO_COLOR is respected");
}

#[test]
fn markdown_has_the_same_structure_as_tables_and_sections() {
    let ex = examples();
    let out = run(&with_examples(&["explain", "--format", "md"], &ex));
    assert!(out.starts_with("# fpx report\n"), "{out}");
    assert!(out.contains("## Root causes, largest first"));
    assert!(out
        .contains("| # | records | verdict | p(fp) | signature | root cause | suggested change |"));
    let rows = out
        .lines()
        .filter(|l| l.starts_with("| [") && l.contains("](#root-cause-"))
        .count();
    assert!(rows >= 3, "{out}");
    for i in 1..=rows {
        assert!(out.contains(&format!("<a id=\"root-cause-{i}\"></a>")));
        assert!(out.contains(&format!("## Root cause {i}/{rows}: ")));
    }
    assert!(out.contains("### Alerts: "));
    assert!(out.contains("| × "));
    assert!(out.contains("### Example: alert "));
    assert!(out.contains("```text\n"), "payload views are fenced");
    assert!(out.contains("## Summary"));
    // --all: every alert as a section.
    let json = run(&with_examples(&["explain", "--format", "json"], &ex));
    let n = json
        .lines()
        .filter(|l| l.contains("\"kind\":\"alert\""))
        .count();
    let all = run(&with_examples(&["explain", "--format", "md", "--all"], &ex));
    assert_eq!(
        all.matches("\n## Alert ").count() + usize::from(all.starts_with("## Alert ")),
        n
    );
    // suggest has no Markdown form.
    let s = fpx(&["suggest", "--format", "md", &ex[0]], None);
    assert_eq!(s.status.code(), Some(2));
}

#[test]
fn html_is_one_page_with_charts_drill_down_and_a_marked_hex_dump() {
    let ex = examples();
    let dir = std::env::temp_dir().join(format!("fpx-report-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let rules = crate::util::root().join("tests/fixtures/rules");
    let mut args = vec![
        "explain",
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ];
    args.extend(ex.iter().map(String::as_str));
    let out = fpx(&args, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for id in [
        "chart-time",
        "chart-signatures",
        "chart-clusters",
        "chart-p",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(html.matches("<details class=\"cause\"").count() >= 3);
    assert!(html.contains("<table class=\"folds\">"));
    assert!(
        html.contains("class=\"b f m\" title=\"byte 0: transaction ID"),
        "marked byte with its field"
    );
    assert!(html.contains("<mark title=\"matched by the replay\">"));
    assert!(html.contains("<a href=\"http:&#x2f;&#x2f;doc.emergingthreats.net&#x2f;2009099\" rel=\"noreferrer noopener\">"));
    assert!(!html.contains("<script"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11: `--teach` on seed 003 explains NAT and ephemeral ports and content matching
/// with their references, and lists the next checks with commands to run.
#[test]
fn teach_explains_the_facts_and_lists_runnable_checks() {
    let out = run(&[
        "explain",
        "--teach",
        &example("seed003-mstream-gif.full.txt"),
    ]);
    assert!(out.contains("learn: Ephemeral ports and NAT"), "{out}");
    assert!(out.contains("RFC 6335, Section 6"));
    assert!(out.contains("learn: How a content match works"));
    assert!(out.contains("Payload Detection Rule Options"));
    assert!(out.contains("what would make it a true positive, and how to check:"));
    // Commands are filled in with the ports, on one line each to paste; the sanitised
    // hosts (a.b.c.d) keep their placeholders.
    let cmds: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("$ "))
        .collect();
    assert!(
        cmds.iter().any(|c| c
            .starts_with("tshark -r CAPTURE.pcap -Y 'ip.dst == DEST_IP && tcp.dstport == 12754")),
        "{cmds:?}"
    );
    assert!(cmds
        .iter()
        .any(|c| c.starts_with("jq -c ") && c.contains(".dest_port == 12754")));
    assert!(cmds.iter().any(|c| c.starts_with("zeek-cut ")));
    // With real addresses they are filled in too.
    let llmnr = run(&[
        "explain",
        "--teach",
        &example("seed000-llmnr-xunlei.eve.json"),
    ]);
    assert!(llmnr.contains("learn: Link-local multicast never leaves the LAN"));
    assert!(llmnr.contains("learn: LLMNR: name lookups on the local link"));
    assert!(
        llmnr.contains("$ tshark -r CAPTURE.pcap -Y 'llmnr && ip.src == 192.168.88.23'"),
        "{llmnr}"
    );
    // Without --teach, none of it.
    let plain = run(&["explain", &example("seed003-mstream-gif.full.txt")]);
    assert!(!plain.contains("learn: "));
    // Markdown carries it too, the commands fenced.
    let md = run(&[
        "explain",
        "--teach",
        "--format",
        "md",
        &example("seed003-mstream-gif.full.txt"),
    ]);
    assert!(md.contains("**Learn: Ephemeral ports and NAT.**"));
    assert!(md.contains("tshark -r CAPTURE.pcap"));
    // And the HTML report.
    let dir = std::env::temp_dir().join(format!("fpx-teach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("t.html");
    let seed = example("seed003-mstream-gif.full.txt");
    let out = fpx(
        &[
            "explain",
            "--teach",
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
            &seed,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<h4>Learn: Ephemeral ports and NAT</h4>"));
    assert!(html.contains("tcp.dstport == 12754"));
    let _ = std::fs::remove_dir_all(&dir);
}
