//! Inert text: the one rendering of text that came from a certificate, a server, a file, a hook
//! or AWS for a terminal, and the one bounded table column.
//!
//! Certificate subjects, SANs, issuer names, file names found by a walk, hook output and
//! AWS-returned strings are chosen by someone else. Printed raw, `\x1b[2J` clears the screen,
//! `\x1b]0;…\x07` retitles the terminal, and a newline followed by `API Gateway: ACCEPTS`
//! forges a line of certctl's own report. Every human printer renders such text through
//! [`inert`] (or [`Inert`] in a format string): control characters, Unicode bidi overrides and
//! other invisible format characters become visible escapes, and a backslash is doubled so an
//! escape is never ambiguous. JSON is not touched: serde escapes it and keeps it exact.
//!
//! [`guard`] is the second wall at the sink: whatever a renderer returns, no control byte but
//! the newlines of its own lines and the colour codes of its own `Style` reaches the terminal.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// How one character is shown, or `None` when it is shown as itself.
fn escape(c: char) -> Option<Cow<'static, str>> {
    Some(match c {
        '\\' => Cow::Borrowed("\\\\"),
        '\x1b' => Cow::Borrowed("\\e"),
        '\n' => Cow::Borrowed("\\n"),
        '\r' => Cow::Borrowed("\\r"),
        '\t' => Cow::Borrowed("\\t"),
        '\0'..='\x1f' | '\x7f' => Cow::Owned(format!("\\x{:02x}", u32::from(c))),
        c if is_hidden(c) => Cow::Owned(format!("\\u{{{:x}}}", u32::from(c))),
        _ => return None,
    })
}

/// C1 controls, bidi embeddings, overrides and isolates, line and paragraph separators, and the
/// other invisible format characters (Unicode category Cf) a terminal would act on or hide.
fn is_hidden(c: char) -> bool {
    matches!(u32::from(c),
        0x80..=0x9f
        | 0xad
        | 0x34f
        | 0x600..=0x605
        | 0x61c
        | 0x6dd
        | 0x70f
        | 0x890..=0x891
        | 0x8e2
        | 0x115f..=0x1160
        | 0x17b4..=0x17b5
        | 0x180b..=0x180f
        | 0x200b..=0x200f
        | 0x2028..=0x202e
        | 0x2060..=0x206f
        | 0x3164
        | 0xfe00..=0xfe0f
        | 0xfeff
        | 0xffa0
        | 0xfff9..=0xfffb
        | 0x110bd
        | 0x110cd
        | 0x13430..=0x1343f
        | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a
        | 0xe0001
        | 0xe0020..=0xe007f
        | 0xe0100..=0xe01ef)
}

/// Text from elsewhere, shown inert: `format!("{}", Inert(subject))`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inert<'a>(pub(crate) &'a str);

impl fmt::Display for Inert<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some((i, c)) = rest.char_indices().find(|(_, c)| escape(*c).is_some()) {
            f.write_str(&rest[..i])?;
            if let Some(e) = escape(c) {
                f.write_str(&e)?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// `text` rendered for a terminal: one line, every control and invisible character escaped.
pub(crate) fn inert(text: &str) -> Cow<'_, str> {
    if text.chars().any(|c| escape(c).is_some()) {
        Cow::Owned(Inert(text).to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// Multi-line text from elsewhere (hook output): its lines, each rendered inert, so the line
/// structure stays and no control byte from inside a line does.
pub(crate) fn inert_lines(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    text.lines().map(inert)
}

/// Every item of a list rendered inert and joined with `sep`.
pub(crate) fn inert_join<S: AsRef<str>>(items: &[S], sep: &str) -> String {
    let mut out = String::new();
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        let _ = write!(out, "{}", Inert(s.as_ref()));
    }
    out
}

/// At most `max` characters of `text` (already rendered), the last one an ellipsis when
/// anything was cut; counted in characters, so a character is never split.
pub(crate) fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &text[..end]))
        }
    }
}

/// A table cell: `text` from elsewhere, inert and at most `max` characters.
pub(crate) fn cell(text: &str, max: usize) -> String {
    bounded(&inert(text), max).into_owned()
}

/// The sink's wall: keeps newlines and the SGR colour sequences `Style::paint` writes
/// (`ESC [ digits;… m`), and escapes every other control or invisible character, whatever a
/// renderer let through.
pub(crate) fn guard(rendered: &str) -> Cow<'_, str> {
    let bad = |c: char| c != '\n' && c != '\x1b' && escape(c).is_some() && c != '\\';
    if !rendered.chars().any(|c| bad(c) || c == '\x1b') {
        return Cow::Borrowed(rendered);
    }
    let mut out = String::with_capacity(rendered.len() + 16);
    let mut rest = rendered;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' {
            if let Some(n) = sgr_len(rest) {
                out.push_str(&rest[..n]);
                rest = &rest[n..];
                continue;
            }
            out.push_str("\\e");
        } else if bad(c) {
            if let Some(e) = escape(c) {
                out.push_str(&e);
            }
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The length of an SGR sequence (`ESC [ 1;31 m`) at the start of `s`.
fn sgr_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.get(1) != Some(&b'[') {
        return None;
    }
    let params = b[2..]
        .iter()
        .take(16)
        .take_while(|c| c.is_ascii_digit() || **c == b';')
        .count();
    (b.get(2 + params) == Some(&b'm')).then_some(3 + params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_backslashes_are_escaped() {
        let hostile = "a\x1b[2J\x1b]0;t\x07\r\nAPI Gateway: ACCEPTS\t\0\x7f\u{85}\u{202e}x\u{2066}\u{200b}\\e";
        assert_eq!(
            inert(hostile),
            "a\\e[2J\\e]0;t\\x07\\r\\nAPI Gateway: ACCEPTS\\t\\x00\\x7f\\u{85}\\u{202e}x\\u{2066}\\u{200b}\\\\e"
        );
        assert!(matches!(
            inert("CN=api.example.com, O=Ünïcode ✓"),
            Cow::Borrowed(_)
        ));
        let lines: Vec<_> = inert_lines("one\x1b[1m\r\ntwo\n").collect();
        assert_eq!(lines, ["one\\e[1m", "two"]);
        assert_eq!(inert_join(&["a\nb", "c"], ", "), "a\\nb, c");
    }

    #[test]
    fn bounded_cuts_at_a_character_with_an_ellipsis() {
        assert_eq!(bounded("abcdef", 6), "abcdef");
        assert_eq!(bounded("abcdefg", 6), "abcde…");
        assert_eq!(bounded("ééééééé", 3), "éé…");
        assert_eq!(bounded("xy", 1), "…");
        assert_eq!(cell("a\nbcdefgh", 4), "a\\n…");
    }

    #[test]
    fn the_guard_keeps_lines_and_colour_only() {
        let s = "\x1b[1;31mNOT\x1b[0m ok\n\x1b[2J\x1b]0;x\x07\u{202e}\\\n";
        assert_eq!(
            guard(s),
            "\x1b[1;31mNOT\x1b[0m ok\n\\e[2J\\e]0;x\\x07\\u{202e}\\\n"
        );
        assert!(matches!(guard("plain\ntext\\n"), Cow::Borrowed(_)));
        assert_eq!(guard("\x1b"), "\\e");
        assert_eq!(guard("\x1b[m"), "\x1b[m");
    }
}
