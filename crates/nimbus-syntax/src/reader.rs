//! The reader: text to S-expression nodes with spans.
//!
//! It never panics and never stops at the first problem: a malformed token
//! becomes a diagnostic and reading resumes after it, so one run reports every
//! problem in a file. Nesting is parsed with an explicit stack, so deeply
//! nested input cannot overflow the call stack; depth is still capped because
//! every later pass (evaluation, formatting) walks the tree recursively.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Deepest nesting accepted. Real configurations stay well under 20.
///
/// A `'` counts as a level too, because `'x` becomes the list `(quote x)`:
/// otherwise `''''…x` would build an arbitrarily deep tree that every
/// recursive pass (and even dropping the tree) would overflow the stack on.
pub const MAX_DEPTH: usize = 200;

/// A symbol's name. Nearly every symbol of a configuration is short
/// (`resource`, `triggers`, `ref`), and these are stored inline: reading a
/// large configuration allocated once per symbol before.
pub type Symbol = smol_str::SmolStr;

/// What a [`Node`] is. `'x` has no kind of its own: it reads as the list
/// `(quote x)`.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    List(Vec<Node>),
    Symbol(Symbol),
    String(String),
    /// Integers are exact: ids and account numbers must not pass through f64.
    Integer(i128),
    Decimal(f64),
    Bool(bool),
}

/// One datum with the span it was read from. `PartialEq` compares spans
/// too; see [`Node::eq_ignoring_spans`] for the shape alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

impl Node {
    /// The items, if this is a list.
    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::List(items) => Some(items),
            _ => None,
        }
    }

    /// The name, if this is a symbol.
    pub fn as_symbol(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// The value, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// A symbol or a string: both are accepted wherever a name is expected.
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Symbol(s) => Some(s),
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The head symbol of a list form: `(resource ...)` gives `resource`.
    pub fn head(&self) -> Option<&str> {
        self.as_list()?.first()?.as_symbol()
    }

    /// Same tree, ignoring spans: what the formatter must preserve.
    ///
    /// Decimals compare by bit pattern, so `-0.0` and `0.0` differ: a
    /// rewrite of the source must not even change the sign of a zero.
    pub fn eq_ignoring_spans(&self, other: &Node) -> bool {
        match (&self.kind, &other.kind) {
            (NodeKind::List(a), NodeKind::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_spans(y))
            }
            (NodeKind::Decimal(a), NodeKind::Decimal(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        }
    }

    /// A short description for messages: "a list", "the symbol `x`", ...
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::List(_) => "a list".to_string(),
            NodeKind::Symbol(s) => format!("the symbol `{s}`"),
            NodeKind::String(_) => "a string".to_string(),
            NodeKind::Integer(_) | NodeKind::Decimal(_) => "a number".to_string(),
            NodeKind::Bool(_) => "a boolean".to_string(),
        }
    }
}

/// A comment kept for the formatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    /// The comment's full text, including `;` or `#|`/`|#`.
    pub text: String,
}

/// Everything [`read`] found in one file.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    /// Top-level forms, in order. With errors, whatever could be read.
    pub nodes: Vec<Node>,
    /// Comments in source order, kept apart from the tree for the formatter.
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedFile {
    /// Whether any diagnostic is an error (the nodes are then incomplete).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Reads a whole file. Never panics: problems become diagnostics, and
/// reading resumes after each one.
pub fn read(file: FileId, text: &str) -> ParsedFile {
    // Editors on Windows like to start UTF-8 files with a byte order mark; it
    // is not whitespace to the tokenizer and would otherwise read as a symbol.
    let pos = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    Reader {
        file,
        text,
        bytes: text.as_bytes(),
        pos,
        out: ParsedFile::default(),
        lines: LineTracker::default(),
    }
    .run()
}

/// Where a `(` sits: what the hint for a missing `)` compares.
#[derive(Debug, Clone, Copy, Default)]
struct LinePosition {
    /// 1-based line number.
    line: usize,
    /// Byte offset of the line's first character.
    start: usize,
    /// Spaces and tabs before the line's first other character.
    indent: usize,
}

/// Line numbers and indentation of the positions the reader asks about, in
/// increasing order: each call scans only the bytes since the previous
/// one, so reading stays linear even in a file that is one huge line.
#[derive(Debug, Default)]
struct LineTracker {
    scanned: usize,
    /// Of the line holding `scanned`; `indent` is computed on first use.
    current: LinePosition,
    indent_known: bool,
}

impl LineTracker {
    fn at(&mut self, bytes: &[u8], pos: usize) -> LinePosition {
        let chunk = &bytes[self.scanned.min(pos)..pos];
        if let Some(last) = chunk.iter().rposition(|b| *b == b'\n') {
            self.current.line += 1 + chunk[..last].iter().filter(|b| **b == b'\n').count();
            self.current.start = self.scanned + last + 1;
            self.indent_known = false;
        }
        self.scanned = self.scanned.max(pos);
        if !self.indent_known {
            self.current.indent = bytes[self.current.start..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count();
            self.indent_known = true;
        }
        LinePosition {
            line: self.current.line + 1,
            ..self.current
        }
    }
}

/// Evidence of where a `)` is missing: a line inside a list that starts
/// a new form at the list's own indentation or left of it, as the next
/// sibling of the list would.
#[derive(Debug, Clone, Copy)]
struct Misplaced {
    /// The `(` that probably lacks its `)`, and its line.
    open: usize,
    open_line: LinePosition,
    /// The line that should have come after the `)`.
    before_line: usize,
}

struct OpenList {
    start: usize,
    line: LinePosition,
    /// The first evidence, in source order, that this list or a list
    /// inside it misses a `)`. Used only if the list is still open at the
    /// end of the file: well-formed files may be indented any way.
    misplaced: Option<Misplaced>,
    /// Where this list's items begin in the reader's stack of pending
    /// items: all open lists share one vector, and each finished list
    /// takes its items out in one exactly sized allocation (growing a
    /// vector per list reallocated and copied most nodes several times).
    first: usize,
    /// Nesting of this list's items in the finished tree, counting the
    /// `(quote ...)` lists that pending `'` marks will add around it.
    depth: usize,
}

/// A mark that wraps the next datum in a list: `'x` is `(quote x)`,
/// `` `x `` `(quasiquote x)`, `,x` `(unquote x)`, `,@x`
/// `(unquote-splicing x)`.
#[derive(Debug, Clone, Copy)]
enum QuoteMark {
    Quote,
    Quasiquote,
    Unquote,
    UnquoteSplicing,
}

impl QuoteMark {
    fn text(self) -> &'static str {
        match self {
            QuoteMark::Quote => "'",
            QuoteMark::Quasiquote => "`",
            QuoteMark::Unquote => ",",
            QuoteMark::UnquoteSplicing => ",@",
        }
    }

    fn form(self) -> &'static str {
        match self {
            QuoteMark::Quote => "quote",
            QuoteMark::Quasiquote => "quasiquote",
            QuoteMark::Unquote => "unquote",
            QuoteMark::UnquoteSplicing => "unquote-splicing",
        }
    }
}

struct Reader<'a> {
    file: FileId,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: ParsedFile,
    lines: LineTracker,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'(' | b')' | b'"' | b';' | b'\'' | b'`' | b',')
}

impl<'a> Reader<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        let d = Diagnostic::error(message).at(self.span(start, end.max(start)));
        self.out.diagnostics.push(d);
    }

    fn dangling_quote(&mut self, at: usize, mark: QuoteMark) {
        self.error(
            at,
            at + mark.text().len(),
            format!("quote `{}` is not followed by anything", mark.text()),
        );
    }

    fn run(mut self) -> ParsedFile {
        let mut stack: Vec<OpenList> = Vec::new();
        let mut pending: Vec<Node> = Vec::new();
        // Pending quote marks (`'`, `` ` ``, `,`, `,@`) per nesting level,
        // with where each starts: the next finished datum at that level
        // gets wrapped in `(quote ...)`, `(quasiquote ...)`, ...
        let mut quotes: Vec<Vec<(usize, QuoteMark)>> = vec![Vec::new()];
        loop {
            self.skip_whitespace_and_comments();
            let Some(&b) = self.bytes.get(self.pos) else {
                break;
            };
            let start = self.pos;
            // How deep a datum starting here ends up in the tree.
            let depth =
                stack.last().map_or(0, |open| open.depth) + quotes.last().map_or(0, Vec::len);
            let node = match b {
                b'(' => {
                    self.pos += 1;
                    if depth >= MAX_DEPTH {
                        self.error(
                            start,
                            start + 1,
                            format!("lists nested deeper than {MAX_DEPTH} levels"),
                        );
                        self.skip_balanced();
                        continue;
                    }
                    let line = self.lines.at(self.bytes, start);
                    if let Some(parent) = stack.last_mut()
                        && parent.misplaced.is_none()
                        && line.start + line.indent == start
                        && line.line > parent.line.line
                        && line.indent <= parent.line.indent
                    {
                        parent.misplaced = Some(Misplaced {
                            open: parent.start,
                            open_line: parent.line,
                            before_line: line.line,
                        });
                    }
                    stack.push(OpenList {
                        start,
                        line,
                        misplaced: None,
                        first: pending.len(),
                        depth: depth + 1,
                    });
                    quotes.push(Vec::new());
                    continue;
                }
                b')' => {
                    self.pos += 1;
                    match stack.pop() {
                        Some(open) => {
                            // A list closed by a `)` that was meant for an
                            // enclosing one: the evidence moves outwards.
                            if let Some(misplaced) = open.misplaced
                                && let Some(parent) = stack.last_mut()
                                && parent.misplaced.is_none()
                            {
                                parent.misplaced = Some(misplaced);
                            }
                            let dangling = quotes.pop().unwrap_or_default();
                            for (q, mark) in dangling {
                                self.dangling_quote(q, mark);
                            }
                            Node {
                                kind: NodeKind::List(pending.drain(open.first..).collect()),
                                span: self.span(open.start, self.pos),
                            }
                        }
                        None => {
                            self.error(start, start + 1, "unexpected `)` with no matching `(`");
                            continue;
                        }
                    }
                }
                b'\'' | b'`' | b',' => {
                    let mark = match (b, self.bytes.get(start + 1)) {
                        (b'\'', _) => QuoteMark::Quote,
                        (b'`', _) => QuoteMark::Quasiquote,
                        (_, Some(b'@')) => QuoteMark::UnquoteSplicing,
                        _ => QuoteMark::Unquote,
                    };
                    self.pos += mark.text().len();
                    if depth >= MAX_DEPTH {
                        self.error(
                            start,
                            start + 1,
                            format!("quotes and lists nested deeper than {MAX_DEPTH} levels"),
                        );
                        continue;
                    }
                    quotes.last_mut().expect("quote level").push((start, mark));
                    continue;
                }
                b'"' => match self.string() {
                    Some(node) => node,
                    None => continue,
                },
                b'#' => match self.hash() {
                    Some(node) => node,
                    None => continue,
                },
                _ => match self.atom() {
                    Some(node) => node,
                    None => continue,
                },
            };
            let mut node = node;
            let level = quotes.last_mut().expect("quote level");
            while let Some((q, mark)) = level.pop() {
                let span = self.span(q, node.span.end as usize);
                let quote = Node {
                    kind: NodeKind::Symbol(Symbol::new_static(mark.form())),
                    span: self.span(q, q + mark.text().len()),
                };
                node = Node {
                    kind: NodeKind::List(vec![quote, node]),
                    span,
                };
            }
            if stack.is_empty() {
                self.out.nodes.push(node);
            } else {
                pending.push(node);
            }
        }
        for (q, mark) in quotes.into_iter().flatten() {
            self.dangling_quote(q, mark);
        }
        // Report unclosed lists outermost first, each at its opening paren,
        // with where indentation suggests the `)` is missing: the opening
        // alone often points at the first line of the file.
        for open in stack.iter() {
            let mut d = Diagnostic::error("unclosed `(`: missing `)` before the end of the file")
                .at(self.span(open.start, open.start + 1));
            if let Some(m) = open.misplaced {
                d = d.with_note(if m.open == open.start {
                    format!(
                        "help: indentation suggests the `)` is missing before line {}, which starts a new form no deeper than this one",
                        m.before_line
                    )
                } else {
                    let column = self.text[m.open_line.start..m.open].chars().count() + 1;
                    format!(
                        "help: indentation suggests the `(` at line {}, column {column} is the one missing its `)`: line {} starts a new form no deeper than it",
                        m.open_line.line, m.before_line
                    )
                });
            }
            self.out.diagnostics.push(d);
        }
        // Keep what was read of unclosed lists, so later passes can still
        // report problems inside them.
        while let Some(open) = stack.pop() {
            let node = Node {
                kind: NodeKind::List(pending.drain(open.first..).collect()),
                span: self.span(open.start, self.text.len()),
            };
            if stack.is_empty() {
                self.out.nodes.push(node);
            } else {
                pending.push(node);
            }
        }
        self.out
    }

    /// After a too-deep `(`, skip to its matching `)` without building nodes.
    fn skip_balanced(&mut self) {
        let mut depth = 1usize;
        while depth > 0 {
            self.skip_whitespace_and_comments();
            match self.bytes.get(self.pos) {
                None => return,
                Some(b'(') => depth += 1,
                Some(b')') => depth -= 1,
                Some(b'"') => {
                    let errors = self.out.diagnostics.len();
                    self.string();
                    self.out.diagnostics.truncate(errors);
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn skip_whitespace_and_comments(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b';' {
                let start = self.pos;
                while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                    self.pos += 1;
                }
                self.push_comment(start);
            } else if b == b'#' && self.bytes.get(self.pos + 1) == Some(&b'|') {
                self.block_comment();
            } else {
                break;
            }
        }
    }

    fn push_comment(&mut self, start: usize) {
        let text = self.text[start..self.pos].trim_end().to_string();
        self.out.comments.push(Comment {
            span: self.span(start, self.pos),
            text,
        });
    }

    /// `#| ... |#`, nesting like R7RS.
    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            match (self.bytes.get(self.pos), self.bytes.get(self.pos + 1)) {
                (None, _) => {
                    self.error(start, start + 2, "unterminated block comment: missing `|#`");
                    self.push_comment(start);
                    return;
                }
                (Some(b'|'), Some(b'#')) => {
                    depth -= 1;
                    self.pos += 2;
                }
                (Some(b'#'), Some(b'|')) => {
                    depth += 1;
                    self.pos += 2;
                }
                _ => self.pos += 1,
            }
        }
        self.push_comment(start);
    }

    fn token_end(&self, from: usize) -> usize {
        let mut end = from;
        while end < self.bytes.len() && !is_delimiter(self.bytes[end]) {
            end += 1;
        }
        end
    }

    /// `#t`, `#f`, `#true`, `#false`.
    fn hash(&mut self) -> Option<Node> {
        let start = self.pos;
        let end = self.token_end(start + 1).max(start + 1);
        self.pos = end;
        let token = &self.text[start..end];
        let value = match token {
            "#t" | "#true" => true,
            "#f" | "#false" => false,
            _ => {
                self.error(
                    start,
                    end,
                    format!(
                        "unknown `#` syntax `{token}`: expected `#t`, `#f` or a `#| |#` comment"
                    ),
                );
                return None;
            }
        };
        Some(Node {
            kind: NodeKind::Bool(value),
            span: self.span(start, end),
        })
    }

    fn atom(&mut self) -> Option<Node> {
        let start = self.pos;
        let end = self.token_end(start);
        // A lone character that is not a delimiter start can't be empty; guard anyway.
        let end = if end == start {
            start + self.text[start..].chars().next().map_or(1, char::len_utf8)
        } else {
            end
        };
        self.pos = end;
        let token = &self.text[start..end];
        let span = self.span(start, end);
        let digits = token.strip_prefix(['-', '+']).unwrap_or(token);
        let looks_numeric = digits
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_digit())
            || (digits.starts_with('.')
                && digits.as_bytes().get(1).is_some_and(|b| b.is_ascii_digit()));
        if looks_numeric {
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                return match token.parse::<i128>() {
                    Ok(n) => Some(Node {
                        kind: NodeKind::Integer(n),
                        span,
                    }),
                    Err(_) => {
                        self.error(start, end, format!("integer `{token}` is too large"));
                        None
                    }
                };
            }
            return match token.parse::<f64>() {
                Ok(f) if f.is_finite() && !token.contains(['i', 'I', 'n', 'N']) => Some(Node {
                    kind: NodeKind::Decimal(f),
                    span,
                }),
                _ => {
                    self.error(start, end, format!("invalid number `{token}`"));
                    None
                }
            };
        }
        // A U+FEFF is skipped as a byte order mark at the very start of a
        // file, so a symbol made of (or starting with) one would vanish if
        // written at the start of a file, e.g. by the formatter; anywhere
        // else it is an invisible character left over from concatenating
        // files. Either way nobody means it as part of a name.
        if token.contains('\u{feff}') {
            self.error(
                start,
                end,
                "invisible byte order mark (U+FEFF) in a symbol: it is only allowed at the start of a file",
            );
            return None;
        }
        Some(Node {
            kind: NodeKind::Symbol(Symbol::new(token)),
            span,
        })
    }

    /// R7RS line continuation: `\` + spaces + line ending + spaces, entered
    /// with the whitespace character after the `\` already consumed.
    /// Accepting `\r\n` and spaces before the line ending matters for files
    /// saved on Windows or with trailing whitespace, which would otherwise get
    /// a puzzling "unknown escape". Leaves the position alone and returns
    /// false when the escape is not a continuation.
    fn line_continuation(&mut self) -> bool {
        // The consumed character is ASCII whitespace: exactly one byte back.
        let mut p = self.pos.saturating_sub(1);
        while let Some(b' ' | b'\t') = self.bytes.get(p) {
            p += 1;
        }
        if self.bytes.get(p) == Some(&b'\r') {
            p += 1;
        }
        if self.bytes.get(p) != Some(&b'\n') {
            return false;
        }
        p += 1;
        while let Some(b' ' | b'\t') = self.bytes.get(p) {
            p += 1;
        }
        self.pos = p;
        true
    }

    fn string(&mut self) -> Option<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut ok = true;
        loop {
            // Copy the plain run up to the next quote or backslash at once
            // (both ASCII, so the run ends on a character boundary).
            let rest = &self.bytes[self.pos..];
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .unwrap_or(rest.len());
            value.push_str(&self.text[self.pos..self.pos + run]);
            self.pos += run;
            let Some(c) = self.text[self.pos..].chars().next() else {
                self.error(
                    start,
                    start + 1,
                    "unterminated string: missing closing `\"`",
                );
                return None;
            };
            let at = self.pos;
            self.pos += c.len_utf8();
            match c {
                '"' => break,
                '\\' => {
                    let Some(e) = self.text[self.pos..].chars().next() else {
                        continue; // reported as unterminated on the next turn
                    };
                    self.pos += e.len_utf8();
                    match e {
                        'n' => value.push('\n'),
                        't' => value.push('\t'),
                        'r' => value.push('\r'),
                        '0' => value.push('\0'),
                        'a' => value.push('\x07'),
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'x' => {
                            // R7RS: \x<hex>;
                            let rest = &self.text[self.pos..];
                            let hex_len =
                                rest.bytes().take_while(|b| b.is_ascii_hexdigit()).count();
                            let ch = if rest.as_bytes().get(hex_len) == Some(&b';') && hex_len > 0 {
                                u32::from_str_radix(&rest[..hex_len], 16)
                                    .ok()
                                    .and_then(char::from_u32)
                            } else {
                                None
                            };
                            match ch {
                                Some(ch) => {
                                    value.push(ch);
                                    self.pos += hex_len + 1;
                                }
                                None => {
                                    ok = false;
                                    self.error(
                                        at,
                                        self.pos + hex_len,
                                        "invalid hex escape: expected `\\x<hex digits>;`",
                                    );
                                }
                            }
                        }
                        ' ' | '\t' | '\r' | '\n' if self.line_continuation() => {}
                        other => {
                            ok = false;
                            self.error(
                                at,
                                self.pos,
                                format!("unknown escape `\\{}` in string", other.escape_debug()),
                            );
                        }
                    }
                }
                c => value.push(c),
            }
        }
        if !ok {
            return None;
        }
        Some(Node {
            kind: NodeKind::String(value),
            span: self.span(start, self.pos),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> (Vec<Node>, Vec<String>) {
        let parsed = read(FileId(0), text);
        (
            parsed.nodes,
            parsed.diagnostics.into_iter().map(|d| d.message).collect(),
        )
    }

    #[test]
    fn reads_atoms_and_lists_with_spans() {
        let (nodes, errors) = kinds("(a \"b\\n\" 12 -3.5 #t #false) ; c");
        assert!(errors.is_empty(), "{errors:?}");
        let items = nodes[0].as_list().unwrap();
        assert_eq!(items[0].kind, NodeKind::Symbol("a".into()));
        assert_eq!(items[1].kind, NodeKind::String("b\n".into()));
        assert_eq!(items[2].kind, NodeKind::Integer(12));
        assert_eq!(items[3].kind, NodeKind::Decimal(-3.5));
        assert_eq!(items[4].kind, NodeKind::Bool(true));
        assert_eq!(items[5].kind, NodeKind::Bool(false));
        assert_eq!(nodes[0].span, Span::new(FileId(0), 0, 27));
    }

    #[test]
    fn large_integers_stay_exact() {
        let (nodes, _) = kinds("123456789012345678901234567");
        assert_eq!(
            nodes[0].kind,
            NodeKind::Integer(123456789012345678901234567)
        );
    }

    #[test]
    fn reports_several_errors_and_keeps_going() {
        let (nodes, errors) = kinds("(a #z) ) (b \"x\\q\") (c");
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert_eq!(nodes.len(), 3);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "(".repeat(100_000);
        let (_, errors) = kinds(&text);
        assert!(errors.iter().any(|e| e.contains("nested deeper")));
    }

    #[test]
    fn quote_wraps_next_datum() {
        let (nodes, errors) = kinds("'(a b)");
        assert!(errors.is_empty());
        assert_eq!(nodes[0].head(), Some("quote"));
    }

    #[test]
    fn quasiquote_marks_wrap_next_datum() {
        let (nodes, errors) = kinds("`(a ,b ,@c) ,");
        assert_eq!(errors, vec!["quote `,` is not followed by anything"]);
        assert_eq!(nodes[0].head(), Some("quasiquote"));
        let inner = nodes[0].as_list().unwrap()[1].as_list().unwrap();
        assert_eq!(inner[1].head(), Some("unquote"));
        assert_eq!(inner[2].head(), Some("unquote-splicing"));
        let mark = inner[2].as_list().unwrap()[0].span;
        assert_eq!(mark.end - mark.start, 2);
        // A comma ends a symbol, as in Scheme.
        let (nodes, _) = kinds("(a,b)");
        assert_eq!(nodes[0].as_list().unwrap().len(), 2);
    }

    #[test]
    fn quotes_count_towards_the_depth_limit() {
        // Used to build a million-deep tree whose drop overflowed the stack.
        let text = format!("{}x", "'".repeat(1_000_000));
        let (_, errors) = kinds(&text);
        assert!(
            errors.iter().any(|e| e.contains("nested deeper")),
            "{errors:?}"
        );
        let text = format!("{}x{}", "'(".repeat(150), ")".repeat(150));
        let (_, errors) = kinds(&text);
        assert!(
            errors.iter().any(|e| e.contains("nested deeper")),
            "{errors:?}"
        );
        // Right at the limit is still fine.
        let text = format!("{}x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        let (_, errors) = kinds(&text);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let (nodes, errors) = kinds("\u{feff}(a)");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].span.start, 3);
        // Anywhere else it is an error, not an invisible symbol: found by
        // fuzzing, as a formatted file could start with one and lose it.
        let (_, errors) = kinds("(a)\n\u{feff}\n(b \u{feff}x)");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("U+FEFF"));
    }

    #[test]
    fn line_continuations_accept_crlf_and_trailing_spaces() {
        for text in ["\"a\\\n   b\"", "\"a\\\r\n\tb\"", "\"a\\  \r\n  b\""] {
            let (nodes, errors) = kinds(text);
            assert!(errors.is_empty(), "{text:?}: {errors:?}");
            assert_eq!(nodes[0].kind, NodeKind::String("ab".into()), "{text:?}");
        }
        let (_, errors) = kinds("\"a\\ b\"");
        assert_eq!(errors, ["unknown escape `\\ ` in string"]);
        let (_, errors) = kinds("\"a\\\rb\"");
        assert_eq!(errors, ["unknown escape `\\\\r` in string"]);
    }

    #[test]
    fn eq_ignoring_spans_compares_shape_and_zero_signs() {
        let a = read(FileId(0), "(a  (b 1.5) -0.0)").nodes;
        let b = read(FileId(0), "(a (b\n 1.5) -0.0)").nodes;
        let c = read(FileId(0), "(a (b 1.5) 0.0)").nodes;
        assert!(a[0].eq_ignoring_spans(&b[0]));
        assert!(!a[0].eq_ignoring_spans(&c[0]));
    }

    /// The one diagnostic of `text`, as (line:col of its span, notes).
    fn unclosed(text: &str) -> (String, Vec<String>) {
        let parsed = read(FileId(0), text);
        assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
        let d = &parsed.diagnostics[0];
        assert!(d.message.starts_with("unclosed `(`"), "{}", d.message);
        let file = crate::source::SourceFile::new("main.nim", text.to_string());
        let (line, col) = file.line_col(d.span.unwrap().start);
        (format!("{line}:{col}"), d.notes.clone())
    }

    #[test]
    fn a_missing_paren_is_located_by_indentation() {
        // The first form lacks its `)`: the next top-level form reads as
        // part of it, and the opening alone says only 1:1.
        let (at, notes) = unclosed(
            "(resource null-resource \"a\"\n  (triggers (x \"1\"))\n\n(resource null-resource \"b\")\n(output \"o\" (value 1))\n",
        );
        assert_eq!(at, "1:1");
        assert_eq!(
            notes,
            [
                "help: indentation suggests the `)` is missing before line 4, which starts a new form no deeper than this one"
            ]
        );

        // Inside a wrapper: a later `)` closes the short form, so the
        // wrapper is what stays open; the hint names the real culprit.
        let (at, notes) = unclosed(
            "(define-infrastructure prod\n  (resource null-resource \"a\"\n    (triggers (x 1))\n  (resource null-resource \"b\"))\n",
        );
        assert_eq!(at, "1:1");
        assert_eq!(
            notes,
            [
                "help: indentation suggests the `(` at line 2, column 3 is the one missing its `)`: line 4 starts a new form no deeper than it"
            ]
        );

        // Nothing to go on: no hint rather than a wrong one.
        let (_, notes) = unclosed("(a\n  (b 1)\n  (c 2)");
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn indentation_does_not_matter_in_well_formed_files() {
        let parsed = read(FileId(0), "(a\n(b)\n(c))\n  (d\n)");
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    }

    #[test]
    fn block_comments_nest() {
        let parsed = read(FileId(0), "#| a #| b |# c |# x");
        assert!(parsed.diagnostics.is_empty());
        assert_eq!(parsed.nodes.len(), 1);
        assert_eq!(parsed.comments.len(), 1);
    }
}
