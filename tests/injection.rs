//! Issue 11, part 9: markup and terminal controls from the input (payloads, msgs,
//! categories, rule texts, file names) never reach the reader raw, in text or Markdown.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::util::fpx;

/// Markup that would run, link, restructure a table, start a heading or a code block, and
/// terminal controls that would recolour or reorder what is read.
pub const MARKUP: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "[click me](http://evil.example/phish)",
    "![pixel](http://evil.example/p.png)",
    "<http://evil.example/auto>",
    " | injected | cell | ",
    "\n# Injected heading\n",
    "```\n",
    "<!-- hidden -->",
    "*bold* _it_ ~~strike~~",
    "\x1b[31mred\x1b[0m",
    "\u{202e}reversed\u{202c}",
    "\u{9b}2J",
];

pub fn hostile() -> String {
    MARKUP.concat()
}

/// Hostile inputs: an EVE file whose name, msg, category, payload and logged rule carry
/// the markup, and a rule file (for --rules) whose msg and references carry it.
pub fn inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let h = hostile();
    let j = serde_json::to_string(&h).unwrap();
    let j = j.trim_matches('"');
    let payload = base64::engine::general_purpose::STANDARD.encode(format!(
        "GET /{h} HTTP/1.1\r\nHost: x\r\nUser-Agent: {h}\r\n\r\n"
    ));
    let rule = serde_json::to_string(&format!(
        "alert http any any -> any any (msg:\"{}\"; content:\"GET\"; sid:4242; rev:1;)",
        h.replace(['"', ';', '\n', '\\'], " ")
    ))
    .unwrap();
    let mut eve = String::new();
    for (i, dest) in ["10.0.0.2", "10.0.0.3"].iter().enumerate() {
        eve.push_str(&format!(
            r#"{{"timestamp":"2020-01-0{}T00:00:00.000000+0000","flow_id":1,"event_type":"alert","src_ip":"192.0.2.7","src_port":40000,"dest_ip":"{dest}","dest_port":80,"proto":"TCP","app_proto":"http","alert":{{"action":"allowed","gid":1,"signature_id":4242,"rev":1,"signature":"evil {j}","category":"cat {j}","severity":2,"rule":{rule}}},"http":{{"hostname":"h{j}","url":"/{j}","http_user_agent":"{j}"}},"payload":"{payload}"}}"#,
            i + 1
        ));
        eve.push('\n');
    }
    // File names cannot hold '/' or NUL and have 255 bytes at most: a short hostile one.
    let name = "<script>x\"><img src=x onerror=y>[a](b)|c|`\x1b[31m\u{202e}";
    let file = dir.join(format!("evil{name}.eve.json"));
    std::fs::write(&file, eve).unwrap();
    let rules = dir.join("hostile.rules");
    let msg = h.replace(['"', ';', '\n', '\\'], " ");
    std::fs::write(
        &rules,
        format!("alert tcp any any -> any 80 (msg:\"{msg}\"; content:\"GET\"; reference:url,evil.example/{}; sid:4242; rev:1;)\n",
            "x\"><script>y"),
    )
    .unwrap();
    (file, rules)
}

pub fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fpx-inject-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn run(args: &[&str]) -> (String, String) {
    let out = fpx(args, None);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first raw control or bidi character, if any.
pub fn raw_control(s: &str) -> Option<char> {
    s.chars()
        .find(|c| *c != '\n' && *c != '\t' && fpx::report::escape::needs_escape(*c))
}

#[test]
fn text_reports_escape_every_control() {
    let dir = scratch("text");
    let (file, rules) = inputs(&dir);
    let (f, r) = (file.to_str().unwrap(), rules.to_str().unwrap());
    for args in [
        &["explain", f][..],
        &["explain", "--all", f],
        &["explain", "--rules", r, f],
        &["explain", "--all", "--rules", r, f],
        &["explain", "--color", "always", "--rules", r, f],
        &["explain", "--teach", "--all", "--rules", r, f],
        &["train", "--rules", r, f],
    ] {
        let (out, err) = run(args);
        assert!(out.contains("evil"), "{args:?}: the alerts are reported");
        let colour = args.contains(&"always");
        let checked = if colour {
            // Only fpx's own colour codes: strip them, then nothing raw may be left.
            let mut s = out.clone();
            for code in ["\x1b[1;31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m"] {
                s = s.replace(code, "");
            }
            s
        } else {
            out.clone()
        };
        assert_eq!(raw_control(&checked), None, "{args:?}");
        assert_eq!(raw_control(&err), None, "{args:?} stderr");
        assert!(
            !out.lines().any(|l| l.starts_with("# Injected")),
            "{args:?}"
        );
        assert!(out.contains("\\x1b[31mred"), "{args:?}: shown escaped");
        assert!(out.contains("\\u{202e}reversed"), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Markdown outside its code blocks, with fpx's own anchors and links removed.
fn markdown_prose(md: &str) -> String {
    let anchor = regex::Regex::new(r#"^<a id="root-cause-\d+"></a>$"#).unwrap();
    let link = regex::Regex::new(r"\[\d+\]\(#root-cause-\d+\)").unwrap();
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for line in md.lines() {
        let ticks = line.chars().take_while(|c| *c == '`').count();
        match fence {
            Some(n) => {
                if ticks >= n && line.trim_end().chars().all(|c| c == '`') {
                    fence = None;
                }
                continue;
            }
            None if ticks >= 3 => {
                fence = Some(ticks);
                continue;
            }
            None => {}
        }
        if anchor.is_match(line) {
            continue;
        }
        out.push_str(&link.replace_all(line, "#"));
        out.push('\n');
    }
    assert!(fence.is_none(), "every code block is closed");
    out
}

/// Characters of `s` that are Markdown syntax and not escaped with a backslash.
fn unescaped(s: &str, syntax: &[char]) -> Vec<(usize, char)> {
    let mut found = Vec::new();
    let mut escaped = false;
    for (i, c) in s.chars().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
        } else if syntax.contains(&c) {
            found.push((i, c));
        }
    }
    found
}

#[test]
fn markdown_escapes_markup_links_tables_and_controls() {
    let dir = scratch("md");
    let (file, rules) = inputs(&dir);
    let (f, r) = (file.to_str().unwrap(), rules.to_str().unwrap());
    for args in [
        &["explain", "--format", "md", f][..],
        &["explain", "--format", "md", "--rules", r, f],
        &["explain", "--format", "md", "--all", "--rules", r, f],
    ] {
        let (out, _) = run(args);
        assert!(out.contains("evil"), "{args:?}");
        assert_eq!(raw_control(&out), None, "{args:?}");
        let prose = markdown_prose(&out);
        for (n, line) in prose.lines().enumerate() {
            // No tag, comment, autolink, link, image or code span from the input.
            let bad = unescaped(line, &['<', '>', '[', ']', '`']);
            assert!(bad.is_empty(), "{args:?} line {n}: {bad:?} in {line}");
            assert!(!line.starts_with("# Injected"), "{line}");
            // Table rows keep their columns: the pipes fpx wrote, no more.
            if line.starts_with('|') {
                let pipes = unescaped(line, &['|']).len();
                assert!(
                    [3, 8, 9, 10].contains(&pipes),
                    "{args:?}: {pipes} cells in {line}"
                );
            }
        }
        assert!(out.contains("&lt;script&gt;"), "{args:?}: shown, escaped");
        assert!(out.contains("\\[click me\\]"), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn html_escapes_markup_attributes_and_controls() {
    let dir = scratch("html");
    let (file, rules) = inputs(&dir);
    let (f, r) = (file.to_str().unwrap(), rules.to_str().unwrap());
    let handler = regex::Regex::new(r"<[a-z][^>]*\son[a-z]+\s*=").unwrap();
    for extra in [&[][..], &["--rules", r], &["--all", "--rules", r]] {
        let page = dir.join("report.html");
        let p = page.to_str().unwrap();
        let mut args = vec!["explain", "--format", "html", "-o", p, "--force"];
        args.extend_from_slice(extra);
        args.push(f);
        let (out, _) = run(&args);
        assert!(out.is_empty());
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(html.contains("evil"), "{extra:?}");
        assert_eq!(raw_control(&html), None, "{extra:?}");
        let lower = html.to_ascii_lowercase();
        // fpx's page has no script, image, link or handler of its own: any is injected.
        for needle in ["<script", "<img", "<link", "<iframe", "<!-- hidden"] {
            assert!(!lower.contains(needle), "{extra:?}: {needle} in the page");
        }
        assert!(
            !handler.is_match(&lower),
            "{extra:?}: an event handler attribute"
        );
        assert!(html.contains("&lt;script&gt;"), "{extra:?}: shown, escaped");
        assert!(
            html.contains("&quot;&gt;&lt;img"),
            "{extra:?}: quotes escaped"
        );
        // Only references that are http(s) URLs become links, and only as plain links.
        for (i, _) in lower.match_indices("href=\"") {
            let v = &lower[i + 6..];
            assert!(
                v.starts_with('#') || v.starts_with("http:") || v.starts_with("https:"),
                "{extra:?}: {}",
                &v[..v.len().min(60)]
            );
        }
        assert!(html
            .contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
