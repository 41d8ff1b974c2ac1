//! The last step of the text report before the terminal: lines wrapped to the width, and
//! colour for the verdicts and headings. It sits below [`super::escape::TerminalWriter`], so
//! every byte it receives is already escaped: the colour codes it adds are the only control
//! sequences that reach the reader.

use std::io::{self, Write};

const RED: &str = "\x1b[1;31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Verdict words and their colours.
const VERDICT_COLOURS: [(&str, &str); 4] = [
    ("true_positive", RED),
    ("false_positive", GREEN),
    ("benign_trigger", GREEN),
    ("undetermined", YELLOW),
];

pub struct Layout<W: Write> {
    inner: W,
    width: Option<usize>,
    color: bool,
    line: Vec<u8>,
}

impl<W: Write> Layout<W> {
    pub fn new(inner: W, width: Option<usize>, color: bool) -> Self {
        Layout {
            inner,
            width,
            color,
            line: Vec::new(),
        }
    }

    fn emit(&mut self, newline: bool) -> io::Result<()> {
        let line = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        // A command to paste (`$ tshark ...`) stays on one line, whatever its length.
        let command = line.trim_start().starts_with("$ ");
        let pieces = match self.width {
            Some(w) if !command => wrap(&line, w),
            _ => vec![line],
        };
        let n = pieces.len();
        for (i, p) in pieces.into_iter().enumerate() {
            let text = if self.color { colour(&p) } else { p };
            self.inner.write_all(text.as_bytes())?;
            if i + 1 < n || newline {
                self.inner.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for Layout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..i]);
            self.emit(true)?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.emit(false)?;
        }
        self.inner.flush()
    }
}

/// Columns a line takes (one per character: the report's own text is narrow, and payload
/// text reaches it escaped).
pub fn columns(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `width` columns, with an ellipsis when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if columns(s) <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A line broken at spaces into pieces of at most `width` columns; the pieces after the
/// first are indented under the line's own indentation, four columns further. A word longer
/// than the room is broken where the room ends.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    if columns(line) <= width || width < 8 {
        return vec![line.to_string()];
    }
    let indent = line.chars().take_while(|c| *c == ' ').count();
    let cont = (indent + 4).min(width / 2);
    let mut out = Vec::new();
    let mut rest: Vec<char> = line.chars().collect();
    let mut first = true;
    loop {
        let lead = if first { 0 } else { cont };
        let room = width - lead;
        if rest.len() <= room {
            out.push(format!(
                "{}{}",
                " ".repeat(lead),
                rest.iter().collect::<String>()
            ));
            break;
        }
        // The last space within the room, past the indentation.
        let skip = if first { indent } else { 0 };
        let cut = (skip + 1..=room)
            .rev()
            .find(|&i| rest.get(i) == Some(&' '))
            .unwrap_or(room);
        let head: String = rest[..cut].iter().collect();
        out.push(format!("{}{}", " ".repeat(lead), head.trim_end()));
        let mut next = cut;
        while rest.get(next) == Some(&' ') {
            next += 1;
        }
        rest.drain(..next);
        first = false;
        if rest.is_empty() {
            break;
        }
    }
    out
}

/// A line with its verdict words coloured, and the whole line bold when it is a heading.
fn colour(line: &str) -> String {
    let mut out = line.to_string();
    for (word, c) in VERDICT_COLOURS {
        if out.contains(word) {
            out = out.replace(word, &format!("{c}{word}{RESET}"));
        }
    }
    let t = line.trim_start();
    if t.starts_with("══") || t.starts_with("── ") || t.starts_with("root causes") {
        out = format!("{BOLD}{out}{RESET}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_under_the_indentation() {
        let l = "   evidence: one two three four five six seven eight nine ten";
        let w = wrap(l, 24);
        assert!(w.iter().all(|p| columns(p) <= 24), "{w:?}");
        assert_eq!(w[0], "   evidence: one two");
        assert!(w[1].starts_with("       three"), "{w:?}");
        assert_eq!(
            w.join(" ").split_whitespace().collect::<Vec<_>>(),
            l.split_whitespace().collect::<Vec<_>>()
        );
        // No space: broken at the width.
        let long = "x".repeat(50);
        let w = wrap(&long, 20);
        assert!(w.iter().all(|p| columns(p) <= 20), "{w:?}");
        assert_eq!(w.concat().replace(' ', ""), long);
        assert_eq!(wrap("short", 20), vec!["short"]);
    }

    #[test]
    fn colour_only_when_asked_and_only_its_own_codes() {
        let mut plain = Layout::new(Vec::new(), Some(80), false);
        writeln!(plain, "verdict: true_positive").unwrap();
        assert_eq!(plain.inner, b"verdict: true_positive\n");
        let mut c = Layout::new(Vec::new(), Some(80), true);
        writeln!(c, "verdict: true_positive").unwrap();
        let s = String::from_utf8(c.inner).unwrap();
        assert!(s.contains("\x1b[1;31mtrue_positive\x1b[0m"), "{s:?}");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
