//! Terraform's JSON syntax (`*.tf.json`), lowered through the HCL front
//! end.
//!
//! The JSON document is rewritten as the equivalent HCL text, which the one
//! lowering then reads, and every span of the result is mapped back into
//! the JSON text: errors point at the JSON value they come from. The
//! rewriting follows Terraform's rules for JSON: a block type's labels are
//! nested object keys; strings are templates where an expression goes,
//! literal text where a literal goes (`default`, `description`, `source`,
//! `version`, a backend's settings), and the text of a reference or a type
//! where one goes (`depends_on`, `provider`, `type`, `ignore_changes`,
//! `moved`'s `from`/`to`, ...); a `"//"` property of a block is a comment.
//! An array where a block goes is several blocks.

use crate::{Lowered, lower};
use jsonc_parser::ast::{Array, Object, ObjectProp, Value};
use jsonc_parser::common::{Range, Ranged};
use nimbus_syntax::{Diagnostic, FileId, Node, NodeKind, Span};

/// Lowers the text of one `.tf.json` file, registered by the caller as
/// `file`.
pub fn lower_json(file: FileId, text: &str) -> Lowered {
    let options = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
    };
    let parsed = match jsonc_parser::parse_to_ast(text, &Default::default(), &options) {
        Ok(parsed) => parsed,
        Err(error) => {
            let range = error.range();
            return Lowered {
                forms: Vec::new(),
                diagnostics: vec![
                    Diagnostic::error(format!("cannot parse this JSON file: {}", error.kind()))
                        .at(Span::new(file, range.start, range.end.max(range.start))),
                ],
            };
        }
    };
    let root = match parsed.value {
        Some(Value::Object(root)) => root,
        other => {
            let span = other
                .as_ref()
                .map_or(Span::new(file, 0, 0), |v| span_of(file, range_of(v)));
            return Lowered {
                forms: Vec::new(),
                diagnostics: vec![
                    Diagnostic::error("a Terraform JSON file holds one object").at(span),
                ],
            };
        }
    };
    let mut writer = Writer::default();
    for prop in &root.properties {
        writer.top_level(prop);
    }
    let mut lowered = lower(file, &writer.out);
    for form in &mut lowered.forms {
        writer.relocate_node(form);
    }
    for d in &mut lowered.diagnostics {
        if let Some(span) = d.span {
            d.span = Some(writer.relocate(span));
        }
    }
    lowered.diagnostics.extend(
        writer
            .diagnostics
            .into_iter()
            .map(|(message, range)| Diagnostic::error(message).at(span_of(file, range))),
    );
    lowered
}

fn span_of(file: FileId, range: Range) -> Span {
    Span::new(file, range.start, range.end.max(range.start))
}

fn range_of(value: &Value) -> Range {
    match value {
        Value::StringLit(v) => v.range,
        Value::NumberLit(v) => v.range,
        Value::BooleanLit(v) => v.range,
        Value::Object(v) => v.range,
        Value::Array(v) => v.range,
        Value::NullKeyword(v) => v.range,
    }
}

/// What a JSON string stands for where it is written.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// An expression: strings are templates.
    Expression,
    /// A literal value: strings are their text.
    Literal,
    /// The text of an expression (a reference, a type): written as is.
    Raw,
}

/// The kinds of block whose properties Terraform reads by name.
#[derive(Clone, Copy, PartialEq)]
enum Block {
    Terraform,
    RequiredProviders,
    Backend,
    Variable,
    Validation,
    Output,
    Locals,
    Provider,
    Resource,
    Lifecycle,
    Condition,
    Dynamic,
    Module,
    Moved,
    Import,
    Removed,
    RemovedLifecycle,
    Check,
    /// Nimbus's policy blocks: `policy`, its rules, `policy_set`, its
    /// `rule`s, `policy_file` and a resource's `policy_exception`.
    Policy,
    PolicyRule,
    PolicySet,
    PolicySetRule,
    PolicyFile,
    PolicyException,
    /// A nested block of a resource, provider or dynamic `content`: its
    /// meaning is the provider's schema's.
    Other,
}

/// One piece of the HCL text and the JSON text it stands for.
struct Segment {
    start: usize,
    end: usize,
    json: Range,
}

#[derive(Default)]
struct Writer {
    out: String,
    segments: Vec<Segment>,
    /// Problems of the JSON's shape, found while rewriting it.
    diagnostics: Vec<(String, Range)>,
}

impl Writer {
    /// Writes `text` standing for `json`.
    fn mapped(&mut self, text: &str, json: Range) {
        let start = self.out.len();
        self.out.push_str(text);
        self.segments.push(Segment {
            start,
            end: self.out.len(),
            json,
        });
    }

    fn error(&mut self, message: impl Into<String>, range: Range) {
        self.diagnostics.push((message.into(), range));
    }

    fn top_level(&mut self, prop: &ObjectProp) {
        let name = prop.name.as_str();
        let name_range = prop.name.range();
        let (labels, kind) = match name {
            "//" => return self.comment(&prop.value),
            "terraform" => (0, Block::Terraform),
            "variable" => (1, Block::Variable),
            "output" => (1, Block::Output),
            "locals" => (0, Block::Locals),
            "provider" => (1, Block::Provider),
            "resource" | "data" => (2, Block::Resource),
            "module" => (1, Block::Module),
            "moved" => (0, Block::Moved),
            "import" => (0, Block::Import),
            "removed" => (0, Block::Removed),
            "check" => (1, Block::Check),
            "policy" => (1, Block::Policy),
            "policy_set" => (1, Block::PolicySet),
            "policy_file" => (1, Block::PolicyFile),
            // The lowering names the unknown block type.
            _ => (0, Block::Other),
        };
        self.blocks(name, name_range, labels, kind, &prop.value, &mut Vec::new());
    }

    /// The blocks of type `name` under `value`: `labels` more levels of
    /// object keys, then a body or an array of bodies.
    fn blocks(
        &mut self,
        name: &str,
        name_range: Range,
        labels: usize,
        kind: Block,
        value: &Value,
        written: &mut Vec<(String, Range)>,
    ) {
        if labels > 0 {
            let Value::Object(object) = value else {
                self.error(
                    format!("`{name}` needs an object whose keys are the block's labels"),
                    range_of(value),
                );
                return;
            };
            for prop in &object.properties {
                if prop.name.as_str() == "//" {
                    continue;
                }
                written.push((prop.name.as_str().to_string(), prop.name.range()));
                self.blocks(name, name_range, labels - 1, kind, &prop.value, written);
                written.pop();
            }
            return;
        }
        match value {
            Value::Array(bodies) => {
                for body in &bodies.elements {
                    self.blocks(name, name_range, 0, kind, body, written);
                }
            }
            Value::Object(body) => {
                // The block's keyword stands for its innermost label's key
                // (a resource's name), so that each block is located at
                // its own place, not at the one `"resource"` key they share.
                let keyword_range = written.last().map_or(name_range, |(_, range)| *range);
                self.mapped(name, keyword_range);
                for (label, range) in written.iter() {
                    self.out.push(' ');
                    self.mapped(&quote(label, Mode::Literal), *range);
                }
                self.out.push_str(" {\n");
                self.body(kind, body);
                self.out.push_str("}\n");
            }
            other => self.error(
                format!("a `{name}` block is written as an object"),
                range_of(other),
            ),
        }
    }

    /// `"//": "text"` in a block: a comment.
    fn comment(&mut self, value: &Value) {
        if let Value::StringLit(text) = value {
            for line in text.value.lines() {
                self.out.push_str("# ");
                self.out.push_str(line);
                self.out.push('\n');
            }
        }
    }

    fn body(&mut self, kind: Block, body: &Object) {
        for prop in &body.properties {
            let name = prop.name.as_str();
            let range = prop.name.range();
            if name == "//" {
                self.comment(&prop.value);
                continue;
            }
            let nested = |labels: usize, kind: Block| Some((labels, kind));
            let block = match (kind, name) {
                (Block::Terraform, "required_providers") => nested(0, Block::RequiredProviders),
                (Block::Terraform, "backend") => nested(1, Block::Backend),
                (Block::Terraform, "cloud" | "provider_meta") => nested(0, Block::Backend),
                (Block::Variable, "validation") => nested(0, Block::Validation),
                (Block::Output, "precondition") => nested(0, Block::Condition),
                (Block::Resource, "lifecycle") => nested(0, Block::Lifecycle),
                (Block::Resource, "provisioner") => nested(1, Block::Other),
                (Block::Resource, "connection") => nested(0, Block::Other),
                (Block::Resource | Block::Other | Block::Provider, "dynamic") => {
                    nested(1, Block::Dynamic)
                }
                (Block::Lifecycle, "precondition" | "postcondition") => nested(0, Block::Condition),
                (Block::Removed, "lifecycle") => nested(0, Block::RemovedLifecycle),
                (Block::Check, "assert") => nested(0, Block::Condition),
                (Block::Check, "data") => nested(2, Block::Resource),
                (Block::Dynamic, "content") => nested(0, Block::Other),
                (Block::Resource, "policy_exception") => nested(1, Block::PolicyException),
                (Block::Policy, "deny" | "warn") => nested(1, Block::PolicyRule),
                (Block::Policy, "require_tags" | "require_approval") => {
                    nested(0, Block::PolicyRule)
                }
                (Block::PolicySet, "rule") => nested(1, Block::PolicySetRule),
                _ => None,
            };
            if let Some((labels, kind)) = block {
                self.blocks(name, range, labels, kind, &prop.value, &mut Vec::new());
                continue;
            }
            let mode = match (kind, name) {
                (_, "depends_on") => Mode::Raw,
                (Block::Resource | Block::Check, "provider") => Mode::Raw,
                (Block::Variable, "type") => Mode::Raw,
                (Block::Variable, "default" | "description") => Mode::Literal,
                (Block::Output, "description") => Mode::Literal,
                (Block::Lifecycle, "ignore_changes" | "replace_triggered_by") => Mode::Raw,
                (Block::Dynamic, "iterator") => Mode::Raw,
                (Block::Module, "source" | "version") => Mode::Literal,
                (Block::Module, "providers") => Mode::Raw,
                (Block::Moved | Block::Removed, "from" | "to") => Mode::Raw,
                (Block::Import, "to" | "provider") => Mode::Raw,
                (Block::Terraform, "required_version") => Mode::Literal,
                (Block::Terraform, "experiments") => Mode::Raw,
                (Block::RequiredProviders | Block::Backend, _) => Mode::Literal,
                (
                    Block::Policy
                    | Block::PolicySet
                    | Block::PolicySetRule
                    | Block::PolicyFile
                    | Block::PolicyException,
                    _,
                ) => Mode::Literal,
                (Block::PolicyRule, "message" | "enforcement") => Mode::Literal,
                _ => Mode::Expression,
            };
            self.mapped(name, range);
            self.out.push_str(" = ");
            self.value(&prop.value, mode);
            self.out.push('\n');
        }
    }

    fn value(&mut self, value: &Value, mode: Mode) {
        match value {
            Value::StringLit(s) => match mode {
                Mode::Raw => {
                    // The text itself, standing for the string's content.
                    let content = Range {
                        start: s.range.start + 1,
                        end: s.range.end.saturating_sub(1).max(s.range.start + 1),
                    };
                    self.out.push(' ');
                    self.mapped(&s.value, content);
                    self.out.push(' ');
                }
                _ => self.mapped(&quote(&s.value, mode), s.range),
            },
            Value::NumberLit(n) => self.mapped(n.value, n.range),
            Value::BooleanLit(b) => self.mapped(if b.value { "true" } else { "false" }, b.range),
            Value::NullKeyword(n) => self.mapped("null", n.range),
            Value::Array(array) => self.array(array, mode),
            Value::Object(object) => self.object(object, mode),
        }
    }

    fn array(&mut self, array: &Array, mode: Mode) {
        self.mapped(
            "[",
            Range {
                start: array.range.start,
                end: array.range.start + 1,
            },
        );
        for (i, element) in array.elements.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.value(element, mode);
        }
        self.mapped(
            "]",
            Range {
                start: array.range.end.saturating_sub(1),
                end: array.range.end,
            },
        );
    }

    fn object(&mut self, object: &Object, mode: Mode) {
        self.mapped(
            "{",
            Range {
                start: object.range.start,
                end: object.range.start + 1,
            },
        );
        self.out.push('\n');
        for prop in &object.properties {
            // Keys are names or literal text; only values follow the mode
            // (a module's `providers` maps names to references).
            let key_mode = if mode == Mode::Expression {
                Mode::Expression
            } else {
                Mode::Literal
            };
            self.mapped(&quote(prop.name.as_str(), key_mode), prop.name.range());
            self.out.push_str(" = ");
            self.value(&prop.value, mode);
            self.out.push('\n');
        }
        self.mapped(
            "}",
            Range {
                start: object.range.end.saturating_sub(1),
                end: object.range.end,
            },
        );
    }

    /// The JSON offset standing for an offset of the HCL text: inside a
    /// segment, the same distance into its JSON text (clamped); between
    /// segments, the end of the one before.
    fn offset(&self, at: usize) -> usize {
        let index = self.segments.partition_point(|s| s.start <= at);
        let Some(segment) = index.checked_sub(1).map(|i| &self.segments[i]) else {
            return self.segments.first().map_or(0, |s| s.json.start);
        };
        if at < segment.end {
            (segment.json.start + (at - segment.start)).min(segment.json.end)
        } else {
            segment.json.end
        }
    }

    fn relocate(&self, span: Span) -> Span {
        let start = self.offset(span.start as usize);
        let end = self.offset(span.end as usize).max(start);
        Span::new(span.file, start, end)
    }

    fn relocate_node(&self, node: &mut Node) {
        node.span = self.relocate(node.span);
        if let NodeKind::List(items) = &mut node.kind {
            for item in items {
                self.relocate_node(item);
            }
        }
    }
}

/// A string as an HCL quoted string: a template where an expression goes
/// (`${` and `%{` keep their meaning), plain text otherwise (escaped as
/// `$${` and `%%{`).
fn quote(text: &str, mode: Mode) -> String {
    /// Where in a template the text is: its own text, an interpolation
    /// (`${...}`, `%{...}`, with the braces opened inside it), or a string
    /// written inside an interpolation.
    enum Place {
        Interpolation(usize),
        InnerString,
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut places: Vec<Place> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let opens = (c == '$' || c == '%') && chars.peek() == Some(&'{');
        match places.last_mut() {
            // Inside an interpolation the text is HCL as written: its
            // quotes and backslashes are its own, not the template's.
            Some(Place::Interpolation(depth)) => {
                out.push(c);
                match c {
                    '{' => *depth += 1,
                    '}' if *depth == 0 => {
                        places.pop();
                    }
                    '}' => *depth -= 1,
                    '"' => places.push(Place::InnerString),
                    _ => {}
                }
            }
            Some(Place::InnerString) => {
                out.push(c);
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => {
                        places.pop();
                    }
                    _ if opens => {
                        out.extend(chars.next());
                        places.push(Place::Interpolation(0));
                    }
                    _ => {}
                }
            }
            None => match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                // `$${` is a literal `${` in a template: kept as written.
                '$' | '%' if mode == Mode::Expression && chars.peek() == Some(&c) => {
                    out.push(c);
                    out.extend(chars.next());
                }
                _ if opens && mode == Mode::Expression => {
                    out.push(c);
                    out.extend(chars.next());
                    places.push(Place::Interpolation(0));
                }
                '$' | '%' if opens => {
                    out.push(c);
                    out.push(c);
                }
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            },
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_templates_or_text_by_place() {
        assert_eq!(quote("a ${b} \"c\"", Mode::Expression), r#""a ${b} \"c\"""#);
        // Inside an interpolation, quotes and backslashes are HCL's own.
        assert_eq!(
            quote(r#"${f("a\"}", "${x}")} "q""#, Mode::Expression),
            r#""${f("a\"}", "${x}")} \"q\"""#
        );
        assert_eq!(quote("$${a} %%{b}", Mode::Expression), r#""$${a} %%{b}""#);
        assert_eq!(quote("a ${b} %{c}", Mode::Literal), r#""a $${b} %%{c}""#);
    }

    #[test]
    fn not_an_object_is_an_error_not_a_panic() {
        for text in [
            "",
            "[]",
            "1",
            "{",
            "{\"resource\": 1}",
            "{\"variable\": {\"x\": [1]}}",
        ] {
            let lowered = lower_json(FileId(0), text);
            assert!(lowered.has_errors(), "{text}");
        }
    }
}
