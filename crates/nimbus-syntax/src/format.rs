//! `nimbus fmt`: one canonical layout for `.nim` source.
//!
//! The formatter works on what the [reader] produces, the node tree plus
//! the comments it kept, so anything it prints is by construction something
//! the reader understands. Before returning, it reads its own
//! output back and refuses (with an internal-error diagnostic) unless the
//! tree and the comment texts are exactly those of the input: a formatter bug
//! must never rewrite someone's infrastructure.
//!
//! # Layout rules
//!
//! Width is [`MAX_WIDTH`] (80) columns, counted in characters.
//!
//! 1. **Flat when it fits.** A list is printed on one line, `(a b c)`, when
//!    it contains no comments and no blank lines (at any depth) and fits in
//!    80 columns counted from its `(`, including the `)`s of enclosing lists
//!    that close right after it.
//! 2. **Otherwise broken**, as `(` + a first line + one item per line,
//!    indented 2 columns from the `(`:
//!    - head a *definition form* (see [`DEFINITION_FORMS`], e.g. `resource`):
//!      the head and its leading atom arguments (names, types) stay on the
//!      first line, `(resource s3-bucket "data-bucket"`; the first such atom
//!      always stays, later ones only while the line fits in 80 columns;
//!    - any other symbol head: the head and its first argument stay on the
//!      first line, `(tags (Name "web")`, if that argument is an atom or
//!      fits on that line whole; otherwise the head is alone (so broken
//!      forms move down-left in steps of 2 rather than drifting right);
//!    - head not a symbol (`((a b) c)`, `("x" "y")`): the head alone.
//!
//!    The first line ends early before an item preceded by a blank line or a
//!    comment, and after an item followed by a trailing comment.
//! 3. **Quote.** `(quote x)`, however it was written, prints as `'x`, unless
//!    a comment sits inside it; then it stays a list. So do `quasiquote`
//!    (`` `x ``), `unquote` (`,x`) and `unquote-splicing` (`,@x`).
//! 4. **Comments** are never moved across code:
//!    - a comment after code on the same line stays there, after one space
//!      (several such comments keep their order; so do comments following
//!      a block comment on its line);
//!    - a comment right after a `(` on the same line stays after that `(`,
//!      and then every item of the list goes on its own line;
//!    - any other comment goes on its own line, at the indentation of the
//!      items around it, before the item that followed it (or at the end of
//!      its list: comments before a `)` stay inside the list);
//!    - comment text is kept verbatim (line comments lose trailing spaces);
//!      a `)` that would land after a `;` comment goes on the next line,
//!      under its `(`.
//! 5. **Blank lines.** Inside lists, a blank line (or several) between two
//!    items or comments in the input becomes exactly one; none are added.
//!    Blank lines right after `(` or before `)` are dropped. At top level
//!    the same holds, and additionally there is always exactly one blank line
//!    after a form: between two top-level forms, and between a form and a
//!    comment below it (a comment directly above a form stays attached).
//! 6. **Atoms** print canonically: integers in decimal, decimals in the
//!    shortest form that reads back as the same `f64` (always with a `.` or
//!    an exponent, so they stay decimals), booleans as `#t`/`#f`, strings
//!    with `\"`, `\\`, `\n`, `\t`, `\r` escapes and `\x<hex>;` for other
//!    control characters and for invisible bidirectional-text controls (so
//!    a string can't hide "Trojan Source" reordering). Symbols print as
//!    written.
//! 7. Lines have no trailing whitespace (outside block comments, which are
//!    verbatim); the output ends with exactly one newline, or is empty when
//!    the input has no forms and no comments.
//!
//! All rules depend only on the tree, the comments' attachment and the blank
//! lines, which the output reproduces exactly; hence formatting is
//! idempotent.

use crate::diagnostic::Diagnostic;
use crate::reader::{self, Comment, Node, NodeKind};
use crate::source::FileId;
use std::fmt::Write;

/// Column limit for flat lists and for the atoms kept on a first line.
pub const MAX_WIDTH: usize = 80;

/// Indentation of a broken list's items relative to its `(`.
const INDENT: usize = 2;

/// Heads whose leading atom arguments (names, types) stay on the first line
/// with the head when the form is broken, so `(resource s3-bucket "data"`
/// reads like a declaration.
pub const DEFINITION_FORMS: &[&str] = &[
    "define",
    "define-infrastructure",
    "resource",
    "data",
    "provider",
    "output",
    "use-module",
    "include",
    "define-policy",
    "use-policies",
    "define-variables",
    "locals",
    "module",
];

/// Formats a whole `.nim` file into the canonical layout.
///
/// Returns the reader's diagnostics instead when the text does not read
/// cleanly: formatting a file with a syntax error would mean guessing what
/// was meant. Diagnostic spans use [`FileId(0)`](FileId); use
/// [`format_file`] to have them point at a file registered in a
/// [`SourceMap`](crate::SourceMap).
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    format_file(FileId(0), text)
}

/// [`format_source`] for a file known under `file`, so that the returned
/// diagnostics render against the caller's [`SourceMap`](crate::SourceMap).
pub fn format_file(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = reader::read(file, text);
    if parsed.has_errors() {
        return Err(parsed.diagnostics);
    }
    lay_out(file, text, &parsed.nodes, &parsed.comments)
}

/// Forms made from another language's source (the HCL front end's
/// lowering), printed in the canonical layout with that source's comments
/// and blank lines kept where they were: `text` is the source the nodes'
/// and comments' spans point into, and each comment's text is already in
/// `.nim` syntax (`; ...` or `#| ... |#`). Nodes whose spans are out of
/// source order only move comments, never code; the output is checked to
/// read back as exactly `nodes` and `comments`, as [`format_file`]'s is.
pub fn format_with_comments(
    text: &str,
    nodes: &[Node],
    comments: &[Comment],
) -> Result<String, Vec<Diagnostic>> {
    lay_out(FileId(0), text, nodes, comments)
}

/// Lays out `nodes` with `comments` merged in by position in `text`, then
/// reads the result back to check it.
fn lay_out(
    file: FileId,
    text: &str,
    nodes: &[Node],
    comments: &[Comment],
) -> Result<String, Vec<Diagnostic>> {
    let mut builder = Builder {
        text,
        comments,
        next: 0,
    };
    let top = builder.sequence(nodes, 0, text.len(), false);
    // Comments after every node's start (inside the last one's span but
    // not taken by it) still belong in the output.
    let mut top = top;
    while let Some(comment) = comments.get(builder.next) {
        builder.next += 1;
        top.entries.push(Entry {
            blank_before: true,
            kind: EntryKind::Comment(vec![comment.text.clone()]),
        });
    }
    let mut printer = Printer::default();
    printer.top_level(&top);
    let out = printer.out;

    // Safety net (as black does): never hand back text that means something
    // else or lost a comment. Reading is cheap next to writing the file.
    let check = reader::read(file, &out);
    let same_nodes = check.nodes.len() == nodes.len()
        && check
            .nodes
            .iter()
            .zip(nodes)
            .all(|(a, b)| a.eq_ignoring_spans(b));
    let same_comments = check
        .comments
        .iter()
        .map(|c| &c.text)
        .eq(comments.iter().map(|c| &c.text));
    if check.has_errors() || !same_nodes || !same_comments {
        return Err(vec![
            Diagnostic::error(
                "internal formatter error: the formatted text would not read back the same",
            )
            .with_note(
                "note: the file was left as it is; please report this with the file attached",
            ),
        ]);
    }
    Ok(out)
}

/// Forms built in memory (not read from text), printed as a `.nim` file
/// in the canonical layout: what the HCL front end's tests compare and
/// what a converter writes. The flat text is laid out by [`format_source`]
/// (blank lines separate top-level forms); should that refuse it, the flat
/// text is returned, which still reads back as the same forms.
pub fn print_forms(nodes: &[Node]) -> String {
    let mut flat = String::new();
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            flat.push_str("\n\n");
        }
        write_flat(node, &mut flat);
    }
    flat.push('\n');
    format_source(&flat).unwrap_or(flat)
}

/// `node` on one line.
fn write_flat(node: &Node, out: &mut String) {
    match &node.kind {
        NodeKind::List(items) => {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_flat(item, out);
            }
            out.push(')');
        }
        kind => out.push_str(&atom_text(kind)),
    }
}

/// An atom's canonical text. Symbols are kept as written: any token the
/// reader accepted as a symbol reads back as the same symbol.
fn atom_text(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Symbol(s) => s.to_string(),
        NodeKind::String(s) => quote_string(s),
        NodeKind::Integer(n) => n.to_string(),
        NodeKind::Decimal(f) => decimal_text(*f),
        NodeKind::Bool(true) => "#t".to_string(),
        NodeKind::Bool(false) => "#f".to_string(),
        // Lists are never atoms; keep this total rather than panicking.
        NodeKind::List(_) => "()".to_string(),
    }
}

/// Shortest text that parses back to exactly `f`. `Debug` for `f64` is the
/// shortest round-trip form and switches to an exponent for very large or
/// small magnitudes (`1e20`), where `Display` would print twenty digits and
/// no point, which the reader would take for an integer.
fn decimal_text(f: f64) -> String {
    let mut s = format!("{f:?}");
    if f.is_finite() && !s.contains(['.', 'e', 'E']) {
        s.push_str(".0");
    }
    s
}

/// Characters printed as `\x<hex>;` inside strings: control characters, and
/// the invisible bidirectional overrides/isolates and line separators, which
/// can make code display differently from how it reads.
fn needs_hex_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_hex_escape(c) => {
                let _ = write!(out, "\\x{:x};", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn width(s: &str) -> usize {
    s.chars().count()
}

// ---------------------------------------------------------------------------
// Layout tree: nodes with their comments and blank lines attached.

/// One formatted datum.
enum Tree {
    Atom {
        text: String,
        symbol: bool,
    },
    /// `'x`, or `` `x ``, `,x`, `,@x`: the mark, then the datum.
    Quote(&'static str, Box<Tree>),
    List {
        seq: Seq,
        /// Width of the one-line form, or `None` if it can't be one line
        /// (comments or blank lines inside). Computed once, bottom-up.
        flat: Option<usize>,
    },
}

impl Tree {
    fn flat_width(&self) -> Option<usize> {
        match self {
            Tree::Atom { text, .. } => Some(width(text)),
            Tree::Quote(mark, inner) => inner.flat_width().map(|w| w + mark.len()),
            Tree::List { flat, .. } => *flat,
        }
    }

    fn symbol(&self) -> Option<&str> {
        match self {
            Tree::Atom { text, symbol: true } => Some(text),
            _ => None,
        }
    }

    fn list(mut seq: Seq) -> Tree {
        if let Some(mark) = seq.quote_mark()
            && let Some(Entry {
                kind: EntryKind::Datum { tree, .. },
                ..
            }) = seq.entries.pop()
        {
            return Tree::Quote(mark, Box::new(tree));
        }
        let flat = seq.flat_width();
        Tree::List { seq, flat }
    }
}

/// The inside of a list, or the whole file.
#[derive(Default)]
struct Seq {
    /// Comments on the same line right after the `(`.
    open_trailing: Vec<String>,
    entries: Vec<Entry>,
}

impl Seq {
    /// The mark `(quote x)` (and `quasiquote`, `unquote`,
    /// `unquote-splicing`) with no comment inside prints with (rule 3).
    fn quote_mark(&self) -> Option<&'static str> {
        let is_plain = |entry: &Entry| matches!(&entry.kind, EntryKind::Datum { trailing, .. } if trailing.is_empty());
        let [head, datum] = self.entries.as_slice() else {
            return None;
        };
        if !self.open_trailing.is_empty() || !is_plain(head) || !is_plain(datum) {
            return None;
        }
        let EntryKind::Datum { tree, .. } = &head.kind else {
            return None;
        };
        let mark = match tree.symbol()? {
            "quote" => "'",
            "quasiquote" => "`",
            "unquote-splicing" => ",@",
            "unquote" => ",",
            _ => return None,
        };
        // `,@x` would read as a splice of `x`.
        let at_sign = matches!(&datum.kind, EntryKind::Datum { tree, .. } if tree.symbol().is_some_and(|s| s.starts_with('@')));
        (mark != "," || !at_sign).then_some(mark)
    }

    fn flat_width(&self) -> Option<usize> {
        if !self.open_trailing.is_empty() {
            return None;
        }
        let mut total = 2 + self.entries.len().saturating_sub(1);
        for entry in &self.entries {
            match &entry.kind {
                EntryKind::Datum { tree, trailing }
                    if trailing.is_empty() && !entry.blank_before =>
                {
                    total += tree.flat_width()?;
                }
                _ => return None,
            }
        }
        Some(total)
    }
}

struct Entry {
    /// A blank line separated this entry from the previous one.
    blank_before: bool,
    kind: EntryKind,
}

enum EntryKind {
    Datum {
        tree: Tree,
        /// Comments after it on its last line.
        trailing: Vec<String>,
    },
    /// A comment on its own line, followed by any comments that were on
    /// the same line after it (`#| a |# ; b`).
    Comment(Vec<String>),
}

impl Entry {
    /// Whether the printed entry ends in a `;` comment, which runs to the end
    /// of the line, so nothing may follow it there.
    fn ends_in_line_comment(&self) -> bool {
        match &self.kind {
            EntryKind::Comment(texts)
            | EntryKind::Datum {
                trailing: texts, ..
            } => texts.last().is_some_and(|c| c.starts_with(';')),
        }
    }
}

/// Merges the reader's comments back into its node tree. Comments and nodes
/// are both in source order, so one cursor over the comments suffices: each
/// sequence takes the comments before each child, lets the child take the
/// ones inside it, and takes those left before its own end.
struct Builder<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Prev {
    /// Start of the file.
    Nothing,
    /// The opening `(` of the list.
    Open,
    /// A datum (comments on its line trail it).
    Datum,
    /// A comment on its own line.
    OwnComment,
}

impl Builder<'_> {
    /// Whitespace between two offsets; empty if they are out of order.
    fn gap(&self, from: usize, to: usize) -> &str {
        self.text.get(from..to).unwrap_or("")
    }

    /// Line breaks between two offsets. Only in trees made from another
    /// language are offsets out of order (a synthesized head spans its
    /// whole form) or is there code between them (the source's parts the
    /// tree does not keep): what follows then starts its own line, and
    /// only a blank line of the source's own makes a blank line.
    fn newlines(&self, from: usize, to: usize) -> usize {
        if from > to {
            return 1;
        }
        let gap = self.gap(from, to);
        if gap.trim().is_empty() {
            return gap.matches('\n').count();
        }
        let blank = gap
            .split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .is_some_and(|(_, middle)| middle.iter().any(|line| line.trim().is_empty()));
        if blank { 2 } else { 1 }
    }

    /// The entries for `nodes`, which lie in `start..end` of the text.
    fn sequence(&mut self, nodes: &[Node], start: usize, end: usize, in_list: bool) -> Seq {
        let mut seq = Seq::default();
        let mut prev = if in_list { Prev::Open } else { Prev::Nothing };
        let mut prev_end = start;
        let mut nodes = nodes.iter().peekable();
        loop {
            let limit = nodes.peek().map_or(end, |n| n.span.start as usize);
            if let Some(comment) = self.comments.get(self.next)
                && (comment.span.start as usize) < limit
            {
                self.next += 1;
                let newlines = self.newlines(prev_end, comment.span.start as usize);
                let text = comment.text.clone();
                match (newlines, prev) {
                    (0, Prev::Open) => seq.open_trailing.push(text),
                    (0, Prev::Datum | Prev::OwnComment) => match seq.entries.last_mut() {
                        Some(Entry {
                            kind:
                                EntryKind::Datum {
                                    trailing: texts, ..
                                }
                                | EntryKind::Comment(texts),
                            ..
                        }) => texts.push(text),
                        None => seq.entries.push(Entry {
                            blank_before: false,
                            kind: EntryKind::Comment(vec![text]),
                        }),
                    },
                    _ => {
                        let blank_before = newlines >= 2 && !seq.entries.is_empty();
                        seq.entries.push(Entry {
                            blank_before,
                            kind: EntryKind::Comment(vec![text]),
                        });
                        prev = Prev::OwnComment;
                    }
                }
                prev_end = comment.span.end as usize;
                continue;
            }
            let Some(node) = nodes.next() else { break };
            let newlines = self.newlines(prev_end, node.span.start as usize);
            let tree = self.tree(node);
            seq.entries.push(Entry {
                blank_before: newlines >= 2 && !seq.entries.is_empty(),
                kind: EntryKind::Datum {
                    tree,
                    trailing: Vec::new(),
                },
            });
            prev = Prev::Datum;
            prev_end = node.span.end as usize;
        }
        seq
    }

    fn tree(&mut self, node: &Node) -> Tree {
        match &node.kind {
            NodeKind::List(items) => {
                let start = node.span.start as usize;
                let end = node.span.end as usize;
                // A `'x` from the reader is a list spanning `'` to the end of
                // `x`, whose `quote` symbol sits on the `'`; a real list has
                // its parens to skip.
                let sugar = matches!(self.text.as_bytes().get(start), Some(b'\'' | b'`' | b','));
                let (inner_start, inner_end) = if sugar {
                    (start, end)
                } else {
                    (start + 1, end.saturating_sub(1))
                };
                let seq = self.sequence(items, inner_start, inner_end, true);
                Tree::list(seq)
            }
            kind => Tree::Atom {
                text: atom_text(kind),
                symbol: matches!(kind, NodeKind::Symbol(_)),
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Printing.

#[derive(Default)]
struct Printer {
    out: String,
    /// Column of the next character, counted in characters.
    col: usize,
}

impl Printer {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.col = width(&s[i + 1..]),
            None => self.col += width(s),
        }
    }

    fn newline(&mut self, blank: bool, indent: usize) {
        if blank {
            self.out.push('\n');
        }
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.col = indent;
    }

    fn top_level(&mut self, seq: &Seq) {
        // The top level never has a `(`, so never trailing-open comments;
        // print any defensively as own-line comments.
        let mut after_datum = false;
        let mut first = true;
        for text in &seq.open_trailing {
            if !first {
                self.newline(false, 0);
            }
            self.write(text);
            first = false;
        }
        for entry in &seq.entries {
            if !first {
                self.newline(entry.blank_before || after_datum, 0);
            }
            self.entry(entry, 0);
            after_datum = matches!(entry.kind, EntryKind::Datum { .. });
            first = false;
        }
        if !first {
            self.out.push('\n');
        }
    }

    /// Prints an entry at the current column. `trail` is how many `)`
    /// will follow it on its last line.
    fn entry(&mut self, entry: &Entry, trail: usize) {
        match &entry.kind {
            EntryKind::Comment(texts) => {
                for (i, text) in texts.iter().enumerate() {
                    if i > 0 {
                        self.write(" ");
                    }
                    self.write(text);
                }
            }
            EntryKind::Datum { tree, trailing } => {
                self.tree(tree, trail);
                for text in trailing {
                    self.write(" ");
                    self.write(text);
                }
            }
        }
    }

    fn tree(&mut self, tree: &Tree, trail: usize) {
        match tree {
            Tree::Atom { text, .. } => self.write(text),
            Tree::Quote(mark, inner) => {
                self.write(mark);
                self.tree(inner, trail);
            }
            Tree::List { seq, flat } => match flat {
                Some(w) if self.col + w + trail <= MAX_WIDTH => self.flat(tree),
                _ => self.broken(seq, trail),
            },
        }
    }

    fn flat(&mut self, tree: &Tree) {
        match tree {
            Tree::Atom { text, .. } => self.write(text),
            Tree::Quote(mark, inner) => {
                self.write(mark);
                self.flat(inner);
            }
            Tree::List { seq, .. } => {
                self.write("(");
                for (i, entry) in seq.entries.iter().enumerate() {
                    if i > 0 {
                        self.write(" ");
                    }
                    if let EntryKind::Datum { tree, .. } = &entry.kind {
                        self.flat(tree);
                    }
                }
                self.write(")");
            }
        }
    }

    fn broken(&mut self, seq: &Seq, trail: usize) {
        let open_col = self.col;
        let indent = open_col + INDENT;
        let last = seq.entries.len().saturating_sub(1);
        let item_trail = |i: usize| if i == last { trail + 1 } else { 0 };
        self.write("(");
        let mut ends_in_line_comment = false;
        let rest = if seq.open_trailing.is_empty() {
            let group = first_line_group(seq, open_col, trail);
            for (i, entry) in seq.entries.iter().take(group).enumerate() {
                if i > 0 {
                    self.write(" ");
                }
                self.entry(entry, item_trail(i));
                ends_in_line_comment = entry.ends_in_line_comment();
            }
            group
        } else {
            for text in &seq.open_trailing {
                self.write(" ");
                self.write(text);
                ends_in_line_comment = text.starts_with(';');
            }
            0
        };
        for (i, entry) in seq.entries.iter().enumerate().skip(rest) {
            self.newline(entry.blank_before, indent);
            self.entry(entry, item_trail(i));
            ends_in_line_comment = entry.ends_in_line_comment();
        }
        if ends_in_line_comment {
            self.newline(false, open_col);
        }
        self.write(")");
    }
}

/// How many entries go on the first line of a broken list (rule 2); `trail`
/// counts the `)`s that follow the list.
fn first_line_group(seq: &Seq, open_col: usize, trail: usize) -> usize {
    let entries = &seq.entries;
    let Some(first) = entries.first() else {
        return 0;
    };
    let EntryKind::Datum {
        tree: head,
        trailing,
    } = &first.kind
    else {
        return 0;
    };
    let Some(symbol) = head.symbol() else {
        return 1;
    };
    if !trailing.is_empty() {
        return 1;
    }
    if DEFINITION_FORMS.contains(&symbol) {
        let mut count = 1;
        let mut line = open_col + 1 + width(symbol);
        while let Some(entry) = entries.get(count) {
            let EntryKind::Datum {
                tree: Tree::Atom { text, .. },
                trailing,
            } = &entry.kind
            else {
                break;
            };
            let w = width(text);
            if entry.blank_before || (count > 1 && line + 1 + w > MAX_WIDTH) {
                break;
            }
            line += 1 + w;
            count += 1;
            if !trailing.is_empty() {
                break;
            }
        }
        count
    } else {
        let Some(entry) = entries.get(1) else {
            return 1;
        };
        let EntryKind::Datum { tree, .. } = &entry.kind else {
            return 1;
        };
        if entry.blank_before {
            return 1;
        }
        // An atom always joins its head: `(description "...")` reads as a
        // pair, and moving it down would gain only a few columns. A list
        // joins only if it fits there whole; breaking it from that column
        // would push everything below it far to the right.
        let closing = if entries.len() == 2 { trail + 1 } else { 0 };
        let fits = |w: usize| open_col + 1 + width(symbol) + 1 + w + closing <= MAX_WIDTH;
        match tree {
            Tree::Atom { .. } => 2,
            _ if tree.flat_width().is_some_and(fits) => 2,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        let out = format_source(text).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(
            format_source(&out).as_deref(),
            Ok(out.as_str()),
            "not idempotent"
        );
        out
    }

    #[test]
    fn empty_input_gives_empty_output() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("  \n\n\t "), "");
    }

    #[test]
    fn short_forms_stay_on_one_line_and_end_with_newline() {
        assert_eq!(fmt("(a   b\n  c)"), "(a b c)\n");
        assert_eq!(fmt("x"), "x\n");
        assert_eq!(fmt("()"), "()\n");
    }

    #[test]
    fn exactly_one_blank_line_between_top_level_forms() {
        assert_eq!(fmt("(a)(b)\n\n\n\n(c)"), "(a)\n\n(b)\n\n(c)\n");
        assert_eq!(
            fmt("; about a\n(a)\n; about b\n(b)"),
            "; about a\n(a)\n\n; about b\n(b)\n"
        );
    }

    #[test]
    fn the_example_from_the_design_doc() {
        let input = r#"(define-variables
  (environment (type string) (default "development"))
  (instance-count (type number) (default 1)
    (validation (> instance-count 0) "must be positive")))

(define-infrastructure production
  (provider localstack
    (endpoint "http://localhost:4566")
    (region "us-east-1"))
  ; the bucket
  (resource s3-bucket "data-bucket"
    (bucket-name (format "data-~a" (var environment)))
    (versioning #t)
    (tags (Environment (var environment))))
  (output "bucket-arn"
    (value (ref s3-bucket "data-bucket" "arn"))))
"#;
        let expected = r#"(define-variables
  (environment (type string) (default "development"))
  (instance-count (type number)
    (default 1)
    (validation (> instance-count 0) "must be positive")))

(define-infrastructure production
  (provider localstack (endpoint "http://localhost:4566") (region "us-east-1"))
  ; the bucket
  (resource s3-bucket "data-bucket"
    (bucket-name (format "data-~a" (var environment)))
    (versioning #t)
    (tags (Environment (var environment))))
  (output "bucket-arn" (value (ref s3-bucket "data-bucket" "arn"))))
"#;
        assert_eq!(fmt(input), expected);
    }

    #[test]
    fn definition_forms_keep_their_names_on_the_first_line() {
        let long = "(resource s3-bucket \"data\" (a 1111111111) (b 2222222222) (c 3333333333) (d 4444444))";
        assert_eq!(
            fmt(long),
            "(resource s3-bucket \"data\"\n  (a 1111111111)\n  (b 2222222222)\n  (c 3333333333)\n  (d 4444444))\n"
        );
        let other =
            "(frobnicate s3-bucket \"data\" (a 1111111111) (b 2222222222) (c 3333333333) (d 4444))";
        assert_eq!(
            fmt(other),
            "(frobnicate s3-bucket\n  \"data\"\n  (a 1111111111)\n  (b 2222222222)\n  (c 3333333333)\n  (d 4444))\n"
        );
    }

    #[test]
    fn trailing_and_own_line_comments_stay_put() {
        let input = "(a ; after a\n  ; before b\n  b #| after b |#\n  ; at the end\n  )";
        assert_eq!(
            fmt(input),
            "(a ; after a\n  ; before b\n  b #| after b |#\n  ; at the end\n)\n"
        );
        assert_eq!(fmt("(a b) ; done"), "(a b) ; done\n");
        assert_eq!(fmt("( ; open\n a b)"), "( ; open\n  a\n  b)\n");
        assert_eq!(fmt("(a b ; last\n)"), "(a b ; last\n)\n");
        assert_eq!(fmt("(a b #| last |#)"), "(a b #| last |#)\n");
        assert_eq!(fmt("(\n ; lead\n a b)"), "(\n  ; lead\n  a\n  b)\n");
    }

    #[test]
    fn blank_lines_inside_lists_are_kept_once() {
        assert_eq!(
            fmt("(locals\n  (a 1)\n\n\n  (b 2))"),
            "(locals\n  (a 1)\n\n  (b 2))\n"
        );
        // Between the head and `(a 1)` is between two items; after `(` and
        // before `)` is not.
        assert_eq!(fmt("(locals\n\n  (a 1)\n\n)"), "(locals\n\n  (a 1))\n");
        assert_eq!(fmt("(\n\n a b\n\n)"), "(a b)\n");
    }

    #[test]
    fn quasiquote_marks_print_as_written() {
        assert_eq!(
            fmt("(quasiquote (a (unquote b) (unquote-splicing c)))"),
            "`(a ,b ,@c)\n"
        );
        assert_eq!(fmt("`(a , b)"), "`(a ,b)\n");
        assert_eq!(fmt("(unquote @x)"), "(unquote @x)\n");
    }

    #[test]
    fn quote_prints_as_tick_unless_a_comment_is_inside() {
        assert_eq!(fmt("(quote   x)"), "'x\n");
        assert_eq!(fmt("' (a 'b)"), "'(a 'b)\n");
        assert_eq!(fmt("'; why\nx"), "(quote ; why\n  x)\n");
        assert_eq!(fmt("(quote)"), "(quote)\n");
        assert_eq!(fmt("(quote a b)"), "(quote a b)\n");
        assert_eq!(fmt("(\"quote\" a)"), "(\"quote\" a)\n");
    }

    #[test]
    fn atoms_print_canonically() {
        assert_eq!(
            fmt("(+5 -0 1e3 1E20 .5 -0.0 #true #false 5.)"),
            "(5 0 1000.0 1e20 0.5 -0.0 #t #f 5.0)\n"
        );
        assert_eq!(
            fmt(r#""a\"b\\c\nd\te\rf\x0;\x7f;\x202e;é\
                   g""#),
            "\"a\\\"b\\\\c\\nd\\te\\rf\\x0;\\x7f;\\x202e;ég\"\n"
        );
        assert_eq!(fmt("\"line\nbreak\""), "\"line\\nbreak\"\n");
        assert_eq!(
            fmt("-170141183460469231731687303715884105728"),
            "-170141183460469231731687303715884105728\n"
        );
    }

    #[test]
    fn decimals_round_trip_and_stay_decimals() {
        for f in [
            0.1,
            1.0,
            1e15,
            1e16,
            1e17,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            -2.5e-7,
            123456.789,
        ] {
            let text = decimal_text(f);
            assert!(text.contains(['.', 'e']), "{text}");
            let nodes = reader::read(FileId(0), &text).nodes;
            assert!(
                matches!(nodes[0].kind, NodeKind::Decimal(g) if g.to_bits() == f.to_bits()),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_input_with_read_errors() {
        let errors = format_source("(a \"b").unwrap_err();
        assert!(
            errors
                .iter()
                .any(|d| d.message.contains("unterminated string")),
            "{errors:?}"
        );
        assert!(
            format_file(FileId(7), ")").unwrap_err()[0]
                .span
                .is_some_and(|s| s.file == FileId(7))
        );
    }

    #[test]
    fn first_argument_lists_join_the_head_only_if_they_fit() {
        let input = "(value (ref s3-bucket \"a-very-long-bucket-name-for-testing\" \"arn\" \"and-even-more-text\"))";
        assert_eq!(
            fmt(input),
            "(value\n  (ref s3-bucket\n    \"a-very-long-bucket-name-for-testing\"\n    \"arn\"\n    \"and-even-more-text\"))\n"
        );
        let input = "(tags (Name \"web-server\") (Environment (var environment)) (Team \"platform\") (Cost 1))";
        assert_eq!(
            fmt(input),
            "(tags (Name \"web-server\")\n  (Environment (var environment))\n  (Team \"platform\")\n  (Cost 1))\n"
        );
        // Atoms join even when too long: there is no better place for them.
        let long = format!("(description \"{}\")", "x".repeat(80));
        assert_eq!(fmt(&long), format!("{long}\n"));
    }

    #[test]
    fn comments_after_an_own_line_block_comment_stay_on_its_line() {
        assert_eq!(fmt("(a\n  #| x |# ; y\n  b)"), "(a\n  #| x |# ; y\n  b)\n");
        assert_eq!(fmt("#| x |# #| y |#\n(b)"), "#| x |# #| y |#\n(b)\n");
        // A datum after it on the line moves down: only comments trail.
        assert_eq!(fmt("#| x |# (b)"), "#| x |#\n(b)\n");
    }

    #[test]
    fn closing_parens_count_towards_the_width() {
        // 78 columns at column 2: 80 in all, fits unless a `)` follows.
        let inner = format!("({} y z)", "x".repeat(72));
        assert_eq!(
            fmt(&format!("(locals {inner} (b 1))")),
            format!("(locals\n  {inner}\n  (b 1))\n")
        );
        assert_eq!(
            fmt(&format!("(locals (b 1) {inner})")),
            format!("(locals\n  (b 1)\n  ({} y\n    z))\n", "x".repeat(72))
        );
    }

    #[test]
    fn deepest_accepted_nesting_formats() {
        let depth = reader::MAX_DEPTH;
        let text = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
        fmt(&text);
        let quotes = format!("{}x", "'".repeat(depth));
        assert_eq!(fmt(&quotes), format!("{quotes}\n"));
    }

    #[test]
    fn crlf_and_bom_inputs_format_to_lf() {
        assert_eq!(fmt("\u{feff}(a ; c\r\n  b)\r\n"), "(a ; c\n  b)\n");
    }
}
