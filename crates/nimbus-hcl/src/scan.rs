//! A lexical pass over HCL text that finds what the parser's tree does
//! not keep or what is needed before parsing: comments (for `nimbus
//! convert`) and the ends of top-level blocks (to parse a large file in
//! parts). Strings, template interpolations and heredocs are skipped, so
//! a `#` or a `}` inside them is text. It never fails: on text that is not
//! HCL its answers are only unhelpful, and each user checks what it gets.

/// What the scanner found.
pub(crate) enum Event {
    /// `#` (marker 1) or `//` (marker 2) up to the end of the line (before
    /// any `\r`).
    LineComment {
        start: usize,
        end: usize,
        marker: usize,
    },
    /// `/* ... */`, the end after `*/` (or the end of the text).
    BlockComment { start: usize, end: usize },
    /// The offset right after a `}` that closes a top-level block.
    TopLevelEnd(usize),
}

/// Where the scanner is.
enum Mode {
    /// Between tokens, or inside a template interpolation (`${`/`%{`)
    /// with this many unclosed `{`.
    Code { braces: usize },
    /// Inside a quoted string.
    String,
}

/// Scans `text`, reporting each [`Event`] in order.
pub(crate) fn scan(text: &str, mut on: impl FnMut(Event)) {
    let bytes = text.as_bytes();
    let mut stack = vec![Mode::Code { braces: 0 }];
    let mut i = 0;
    while i < bytes.len() {
        let depth = stack.len();
        match &mut stack[depth - 1] {
            Mode::String => match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    // `$${` and `%%{` are escapes, not interpolations.
                    if i == 0 || bytes[i - 1] != bytes[i] {
                        stack.push(Mode::Code { braces: 0 });
                    }
                    i += 2;
                }
                _ => i += 1,
            },
            Mode::Code { braces } => match bytes[i] {
                b'"' => {
                    stack.push(Mode::String);
                    i += 1;
                }
                b'{' => {
                    *braces += 1;
                    i += 1;
                }
                b'}' => {
                    if *braces == 0 && depth > 1 {
                        stack.pop();
                    } else {
                        *braces = braces.saturating_sub(1);
                        if *braces == 0 && depth == 1 {
                            on(Event::TopLevelEnd(i + 1));
                        }
                    }
                    i += 1;
                }
                b'<' if bytes.get(i + 1) == Some(&b'<') => i = skip_heredoc(text, i),
                b'#' => {
                    let end = line_end(bytes, i);
                    on(Event::LineComment {
                        start: i,
                        end,
                        marker: 1,
                    });
                    i = end.max(i + 1);
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    let end = line_end(bytes, i);
                    on(Event::LineComment {
                        start: i,
                        end,
                        marker: 2,
                    });
                    i = end.max(i + 2);
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    let end = text[i + 2..]
                        .find("*/")
                        .map_or(text.len(), |at| i + 2 + at + 2);
                    on(Event::BlockComment { start: i, end });
                    i = end;
                }
                _ => i += 1,
            },
        }
    }
}

/// The end of the line starting at or before `i` (before any `\r\n`).
fn line_end(bytes: &[u8], i: usize) -> usize {
    let mut end = i;
    while end < bytes.len() && bytes[end] != b'\n' {
        end += 1;
    }
    if end > i && bytes[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// The offset after a heredoc starting at `i` (`<<EOT` or `<<-EOT`), or
/// after the `<<` when it is not one.
fn skip_heredoc(text: &str, i: usize) -> usize {
    let rest = &text[i + 2..];
    let rest_start = i + 2 + usize::from(rest.starts_with('-'));
    let marker: String = text[rest_start..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if marker.is_empty() {
        return i + 2;
    }
    let mut at = rest_start + marker.len();
    // Lines after the opening one until one that is the marker alone.
    while let Some(newline) = text[at..].find('\n') {
        at += newline + 1;
        let line_end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        if text[at..line_end].trim() == marker {
            return line_end;
        }
    }
    text.len()
}
