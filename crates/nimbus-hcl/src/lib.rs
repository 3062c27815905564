//! The HCL front end: one Terraform-language (`.tf`) file lowered into the
//! top-level forms of the `.nim` language.
//!
//! Nothing downstream knows HCL: the forms returned are exactly what the
//! `.nim` reader would produce for the equivalent `.nim` file, so the
//! configuration parser, the evaluator and the engine are shared. Every
//! node's [`Span`] points at the HCL text it came from, so errors found
//! later (an unknown attribute, a type error) underline the `.tf` text.
//!
//! Lowering never panics: parse errors and constructs Nimbus does not
//! support yet become located [`Diagnostic`]s, and the rest of the file is
//! still lowered where it can be.

mod ast;
mod blocks;
mod convert;
mod expr;
mod json;
mod parse;
mod refactor;
mod scan;
mod template;
mod version;

use nimbus_syntax::{Diagnostic, FileId, Node, NodeKind, Span};

pub use convert::{Converted, comments, convert, convert_json};
pub use json::lower_json;
pub use version::{SUPPORTED_TERRAFORM_VERSION, VersionConstraintError, satisfies};

/// Deepest nesting of the lowered forms. The `.nim` reader caps its trees
/// at [`nimbus_syntax::reader::MAX_DEPTH`] because every later pass is
/// recursive; lowered trees get the same guarantee.
const MAX_DEPTH: usize = nimbus_syntax::reader::MAX_DEPTH;

/// Deepest bracket nesting handed to the HCL parser, which is recursive:
/// deeper input is refused before parsing rather than overflowing its stack.
const MAX_PARSE_NESTING: usize = 100;

/// What [`lower`] made of one file.
#[derive(Debug, Clone, Default)]
pub struct Lowered {
    /// The `.nim` top-level forms, in source order.
    pub forms: Vec<Node>,
    /// Parse errors, unsupported constructs and warnings (an unsupported
    /// `backend` kind).
    pub diagnostics: Vec<Diagnostic>,
}

impl Lowered {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Lowers the text of one `.tf` file, registered by the caller as `file`.
pub fn lower(file: FileId, text: &str) -> Lowered {
    // A byte order mark is not HCL; spans keep counting from the file's
    // first byte.
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let source = &text[base..];
    if source.len() >= PARALLEL_BYTES
        && let Some(lowered) = lower_in_parts(file, source, base)
    {
        return lowered;
    }
    lower_part(file, source, base).0
}

/// Files at least this large are parsed in parts, one per thread: the
/// parser is most of the time a large file takes to load.
const PARALLEL_BYTES: usize = 256 * 1024;

/// `source` (at `base` in its file) cut at top-level block ends into one
/// part per available thread, each parsed and lowered on its own; `None`
/// when it cannot be cut or a part does not parse on its own (a cut inside
/// an expression, or an error of the file), and then the whole file is
/// parsed at once, which reports the error as it is.
fn lower_in_parts(file: FileId, source: &str, base: usize) -> Option<Lowered> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 {
        return None;
    }
    let share = source.len() / threads;
    let mut cuts = vec![0];
    scan::scan(source, |event| {
        if let scan::Event::TopLevelEnd(at) = event
            && cuts.len() < threads
            && at - cuts[cuts.len() - 1] >= share
        {
            cuts.push(at);
        }
    });
    if cuts.len() < 2 {
        return None;
    }
    cuts.push(source.len());
    let parts: Vec<(Lowered, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                scope.spawn(move || lower_part(file, &source[start..end], base + start))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<_, _>>()
    })
    .ok()?;
    if parts.iter().any(|(_, parsed)| !parsed) {
        return None;
    }
    let mut whole = Lowered::default();
    for (part, _) in parts {
        whole.forms.extend(part.forms);
        whole.diagnostics.extend(part.diagnostics);
    }
    Some(whole)
}

/// Lowers `source`, found at `base` in its file; whether it parsed.
fn lower_part(file: FileId, source: &str, base: usize) -> (Lowered, bool) {
    let mut lowerer = Lowerer {
        file,
        text: source,
        base,
        diagnostics: Vec::new(),
        scopes: Vec::new(),
        depth: 0,
        template_only: false,
        policy_condition: false,
    };
    if let Some(offset) = too_deep(source, true) {
        lowerer.too_deep_at(offset);
        return (lowerer.finish(Vec::new()), false);
    }
    // The fast reader takes most files; what it declines, hcl-edit reads
    // (and reports the errors of).
    let body = match parse::parse_body(source) {
        Some(body) => body,
        None => match hcl_edit::parser::parse_body(source) {
            Ok(body) => ast::from_edit::body(&body),
            Err(error) => {
                lowerer.parse_error(&error, "cannot parse this Terraform file");
                return (lowerer.finish(Vec::new()), false);
            }
        },
    };
    let forms = lowerer.top_level(&body);
    (lowerer.finish(forms), true)
}

/// A template file for `templatefile`, lowered to one string expression.
///
/// `names` are the template's variables (the keys of `templatefile`'s
/// second argument): inside the template they are the only names there
/// are, as in Terraform, so `var.x`, `local.x` or a resource are errors
/// here, and so is a nested `templatefile` call. `file` is the caller's id
/// for the template's text, which the spans of the result and of the
/// diagnostics point into.
pub fn lower_template(file: FileId, text: &str, names: &[String]) -> Result<Node, Vec<Diagnostic>> {
    let mut lowerer = Lowerer {
        file,
        text,
        base: 0,
        diagnostics: Vec::new(),
        scopes: names.iter().map(|n| (n.clone(), Binding::Value)).collect(),
        depth: 0,
        template_only: true,
        policy_condition: false,
    };
    if let Some(offset) = too_deep(text, false) {
        lowerer.too_deep_at(offset);
        return Err(lowerer.diagnostics);
    }
    let template = match hcl_edit::parser::parse_template(text) {
        Ok(template) => ast::from_edit::template(&template),
        Err(error) => {
            lowerer.parse_error(&error, "cannot parse this template");
            return Err(lowerer.diagnostics);
        }
    };
    let whole = Span::new(file, 0, text.len());
    let node = lowerer.template(&template, whole, false);
    if lowerer.diagnostics.iter().any(Diagnostic::is_error) {
        Err(lowerer.diagnostics)
    } else {
        Ok(node)
    }
}

/// The offset of the first bracket nested deeper than the parser accepts.
/// Strings and (when `comments`: a configuration, not a template) comments
/// are skipped, roughly: this only has to be right for input that would
/// otherwise be refused or crash.
fn too_deep(text: &str, comments: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_PARSE_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' if comments => i = skip_line(bytes, i),
            b'/' if comments && bytes.get(i + 1) == Some(&b'/') => i = skip_line(bytes, i),
            b'/' if comments && bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn skip_line(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// What a name bound inside an expression stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    /// A `for` expression's or `%{for}` directive's variable: a value.
    Value,
    /// A `dynamic` block's iterator: `NAME.key` and `NAME.value`.
    Iterator,
    /// What a policy condition reads of the change it is checked against
    /// (`action`, `resource_type`, ...): the `.nim` name, with `-` for `_`.
    Policy,
}

pub(crate) struct Lowerer<'t> {
    file: FileId,
    /// The text parsed (after any byte order mark).
    text: &'t str,
    /// Bytes before `text` in the file.
    base: usize,
    diagnostics: Vec<Diagnostic>,
    /// Names bound by enclosing `for` expressions and `dynamic` blocks.
    scopes: Vec<(String, Binding)>,
    /// Nesting of the expression being lowered, capped at [`MAX_DEPTH`].
    depth: usize,
    /// Lowering a `templatefile` template: only the bound names exist.
    template_only: bool,
    /// Lowering a policy rule's `when`: the policy predicates
    /// (`tag_equals(...)`, ...) can be called.
    policy_condition: bool,
}

impl Lowerer<'_> {
    fn finish(self, forms: Vec<Node>) -> Lowered {
        Lowered {
            forms,
            diagnostics: self.diagnostics,
        }
    }

    /// A span from offsets into the parsed text.
    fn span_at(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end.max(start))
    }

    /// The span of a parsed element, or `fallback` for one the parser
    /// made up (it does not, but the API allows it).
    fn span_of(&self, item: &impl ast::Span, fallback: Span) -> Span {
        match item.span() {
            Some(range) => self.span_at(range.start, range.end),
            None => fallback,
        }
    }

    /// The text under a span, for literals whose exact spelling matters.
    fn source(&self, span: Span) -> &str {
        let start = (span.start as usize).saturating_sub(self.base);
        let end = (span.end as usize).saturating_sub(self.base);
        self.text.get(start..end).unwrap_or("")
    }

    /// Input nested deeper than the parser accepts, refused unparsed.
    fn too_deep_at(&mut self, offset: usize) {
        let span = self.span_at(offset, offset + 1);
        self.error(
            span,
            format!("brackets nest more than {MAX_PARSE_NESTING} deep: this file is not read"),
        );
    }

    /// The parser's error, located at its offset.
    fn parse_error(&mut self, error: &hcl_edit::parser::Error, what: &str) {
        let source = self.text;
        // The parser's offset may fall inside a character (it clamps to
        // the last byte): step back to the character's start.
        let mut offset = error.location().offset().min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let end = source[offset..]
            .chars()
            .next()
            .map_or(offset, |c| offset + c.len_utf8());
        // The parser's message is one line such as "expected `=`"; the
        // location is the renderer's to show.
        let message = error.message().lines().next().unwrap_or("invalid HCL");
        let span = self.span_at(offset, end);
        self.error(span, format!("{what}: {message}"));
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(message).at(span));
    }

    /// A located "not supported yet" error for a construct Nimbus will
    /// take later.
    fn unsupported(&mut self, span: Span, what: &str) {
        self.diagnostics.push(
            Diagnostic::error(format!("{what} is not supported by Nimbus yet"))
                .at(span)
                .with_label("not supported yet"),
        );
    }

    fn bound(&self, name: &str) -> Option<Binding> {
        self.scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| *b)
    }
}

pub(crate) fn symbol(name: &str, span: Span) -> Node {
    Node {
        kind: NodeKind::Symbol(name.into()),
        span,
    }
}

/// A string literal, in Unicode NFC as Terraform makes every string.
pub(crate) fn string(text: impl Into<String>, span: Span) -> Node {
    Node {
        kind: NodeKind::String(nimbus_stdlib::nfc(text.into())),
        span,
    }
}

pub(crate) fn list(items: Vec<Node>, span: Span) -> Node {
    Node {
        kind: NodeKind::List(items),
        span,
    }
}

/// `(HEAD ARGS...)`, the head located at the whole form.
pub(crate) fn form(head: &str, args: Vec<Node>, span: Span) -> Node {
    let mut items = Vec::with_capacity(args.len() + 1);
    items.push(symbol(head, span));
    items.extend(args);
    list(items, span)
}

#[cfg(test)]
mod parallel_tests {
    use super::*;

    /// A file large enough to be lowered in parts, with what could fool a
    /// cut: braces in strings, templates, heredocs and comments.
    fn large() -> String {
        let mut text = String::new();
        let mut i = 0;
        while text.len() < PARALLEL_BYTES * 2 {
            text.push_str(&format!(
                "# block {i} }}\nresource \"terraform_data\" \"d{i}\" {{\n  input = \"}} ${{var.x}} %{{ if true }}{{%{{ endif }}\"\n  other = <<EOT\n}}\n}}\nEOT\n  map = {{ a = {{ b = {i} }} }}\n}}\n\n"
            ));
            i += 1;
        }
        text
    }

    #[test]
    fn a_large_file_lowers_in_parts_as_it_does_whole() {
        let text = large();
        let parts = lower(FileId(3), &text);
        if std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
            assert!(lower_in_parts(FileId(3), &text, 0).is_some());
        }
        let (whole, parsed) = lower_part(FileId(3), &text, 0);
        assert!(parsed);
        assert!(
            parts.diagnostics.is_empty(),
            "{:?}",
            parts.diagnostics.first()
        );
        assert_eq!(parts.forms, whole.forms);
    }

    #[test]
    fn an_error_in_a_large_file_is_reported_as_the_whole_file_reports_it() {
        let mut text = large();
        let middle = text.len() / 2;
        let at = middle + text[middle..].find("resource").unwrap();
        text.insert_str(at, "resource \"x\" {\n  a = \n}\n");
        let parts = lower(FileId(0), &text);
        let (whole, parsed) = lower_part(FileId(0), &text, 0);
        assert!(!parsed);
        assert_eq!(
            format!("{:?}", parts.diagnostics),
            format!("{:?}", whole.diagnostics)
        );
    }
}
