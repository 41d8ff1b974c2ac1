//! Escaping attacker-controlled text for terminals, Markdown and HTML.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Replaces control characters (C0, DEL, C1) and Unicode bidirectional overrides with visible
/// escapes (`\x1b`, `\u{202e}`), so payload text cannot move the cursor, recolour the terminal
/// or reorder what the analyst reads. Borrowed when nothing needs escaping.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            escape_char(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters that must not reach a reader raw: C0, DEL and C1 controls (cursor moves,
/// colours, OSC titles), the bidirectional marks, embeddings, overrides and isolates (they
/// reorder what is read), the line and paragraph separators (a line break that text tools
/// do not count), and the zero-width and invisible characters (text that looks identical
/// but is not).
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{200b}'..='\u{200d}'
                | '\u{2060}'..='\u{2064}'
                | '\u{feff}'
                | '\u{180e}'
        )
}

/// Text of several lines escaped line by line: each line as [`terminal`] escapes it, the
/// line breaks kept.
pub fn terminal_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, l) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&terminal(l));
    }
    Cow::Owned(out)
}

/// A writer for a terminal report: every character [`needs_escape`] names is escaped as
/// [`terminal`] does, except the line breaks and tabs the report itself writes. Fields are
/// escaped where they are printed too (so that a field's newline cannot start a line of
/// its own); this is the guard for whatever is not.
pub struct TerminalWriter<W: std::io::Write> {
    inner: W,
}

impl<W: std::io::Write> TerminalWriter<W> {
    pub fn new(inner: W) -> Self {
        TerminalWriter { inner }
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: std::io::Write> std::io::Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(buf);
        if !text
            .chars()
            .any(|c| needs_escape(c) && c != '\n' && c != '\t')
        {
            return self.inner.write_all(buf);
        }
        let mut out = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            if c == '\n' || c == '\t' || !needs_escape(c) {
                out.push(c);
            } else {
                escape_char(&mut out, c);
            }
        }
        self.inner.write_all(out.as_bytes())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn escape_char(out: &mut String, c: char) {
    if (c as u32) < 0x100 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:04x}}}", c as u32);
    }
}

/// Escapes text for Markdown (CommonMark and GitHub's tables) inline: controls and bidi
/// marks as [`terminal`] does, HTML as entities (so no tag, comment or autolink `<...>`
/// survives), and a backslash before every character that could start emphasis, code,
/// links, images, headings, strikethrough or a table cell. A bare `https://` in the text can
/// still be shown as a link by GitHub; its text is then the whole, visible address.
pub fn markdown(s: &str) -> Cow<'_, str> {
    let t = terminal(s);
    let special = |c: char| {
        matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '<' | '>' | '&' | '!' | '$'
        )
    };
    if !t.chars().any(special) {
        return t;
    }
    let mut out = String::with_capacity(t.len() + 16);
    for c in t.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if special(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A code fence that `text` cannot close: one backtick more than its longest run (at least
/// three).
pub fn markdown_fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Escapes text for HTML element content and attribute values.
pub fn html(s: &str) -> Cow<'_, str> {
    if !s.contains(['<', '>', '&', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_and_bidi() {
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(terminal("x\ny\r"), "x\\x0ay\\x0d");
        assert_eq!(terminal("\u{9b}"), "\\x9b");
        assert_eq!(terminal("ab\u{202e}cd"), "ab\\u{202e}cd");
        for c in [
            '\u{2028}', '\u{2029}', '\u{200b}', '\u{feff}', '\u{61c}', '\u{2066}',
        ] {
            assert!(!terminal(&format!("a{c}b")).contains(c), "{c:?}");
        }
        use std::io::Write;
        let mut w = TerminalWriter::new(Vec::new());
        write!(w, "line\tone\n\x1b]0;t\x07\u{202e}\n").unwrap();
        assert_eq!(
            String::from_utf8(w.inner).unwrap(),
            "line\tone\n\\x1b]0;t\\x07\\u{202e}\n"
        );
    }

    #[test]
    fn markdown_escapes() {
        assert_eq!(markdown("plain text 1.2.3.4"), "plain text 1.2.3.4");
        assert_eq!(
            markdown("[x](http://e) | `c` <b>&"),
            "\\[x\\](http://e) \\| \\`c\\` &lt;b&gt;&amp;"
        );
        assert_eq!(markdown("a\x1bb\u{202e}"), "a\\\\x1bb\\\\u{202e}");
        assert_eq!(markdown_fence("no ticks"), "```");
        assert_eq!(markdown_fence("a ```` b"), "`````");
    }

    #[test]
    fn html_escapes() {
        assert_eq!(html("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(html("ok"), "ok");
    }
}
