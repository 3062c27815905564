//! String templates and heredocs to string expressions.
//!
//! `"a ${x} b"` becomes `(string-append "a " (to-string x) " b")`: each
//! interpolated value is converted as Terraform converts it (numbers and
//! bools to text, anything else an error), and the stdlib's mark rules
//! make the whole string unknown or sensitive when a part is. `%{if}`
//! becomes `if` and `%{for}` a `join` over a `for` comprehension. Strip
//! markers (`~`) trim the neighbouring literal text here, at lowering.
//! A template that is one interpolation alone, `"${x}"`, is `x` itself,
//! unconverted, as in Terraform.

use crate::ast::{Directive, Element, Template};
use crate::{Binding, Lowerer, form, list, string, symbol};
use nimbus_syntax::{Node, NodeKind, Span};

/// One part of a template's text.
enum Part {
    Literal(String, Span),
    /// An interpolated value, still to be converted to a string.
    Value(Node),
    /// A directive's result, already a string.
    Text(Node),
}

impl Lowerer<'_> {
    /// `quoted`: a `"..."` string, where a lone interpolation is the value
    /// itself; a heredoc always makes a string.
    pub(crate) fn template(&mut self, template: &Template, span: Span, quoted: bool) -> Node {
        let mut parts = self.parts(template, span, false, false);
        if quoted
            && template.len() == 1
            && matches!(parts.as_slice(), [Part::Value(_)])
            && let Some(Part::Value(node)) = parts.pop()
        {
            return node;
        }
        join(parts, span)
    }

    /// The parts of a template; `trim_first`/`trim_last` strip white space
    /// from its first and last literal (a `~` on the directive around it).
    fn parts(
        &mut self,
        template: &Template,
        span: Span,
        trim_first: bool,
        trim_last: bool,
    ) -> Vec<Part> {
        let mut parts: Vec<Part> = Vec::new();
        // A `~` before the previous element's closing brace asks to trim
        // the start of the next literal.
        let mut trim_next = trim_first;
        for element in template.iter() {
            let at = self.span_of(element, span);
            match element {
                Element::Literal(text) => {
                    let mut text = text.value().as_str();
                    if trim_next {
                        text = text.trim_start();
                    }
                    parts.push(Part::Literal(text.to_string(), at));
                    trim_next = false;
                    continue;
                }
                Element::Interpolation(interpolation) => {
                    if interpolation.strip.strip_start() {
                        trim_last_literal(&mut parts);
                    }
                    let value = self.expr(&interpolation.expr, at);
                    parts.push(Part::Value(value));
                    trim_next = interpolation.strip.strip_end();
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(d) => {
                        if d.if_expr.strip.strip_start() {
                            trim_last_literal(&mut parts);
                        }
                        let condition = self.expr(&d.if_expr.cond_expr, at);
                        let trim_then_end = match &d.else_expr {
                            Some(e) => e.strip.strip_start(),
                            None => d.endif_expr.strip.strip_start(),
                        };
                        let then = self.parts(
                            &d.if_expr.template,
                            at,
                            d.if_expr.strip.strip_end(),
                            trim_then_end,
                        );
                        let otherwise = match &d.else_expr {
                            Some(e) => self.parts(
                                &e.template,
                                at,
                                e.strip.strip_end(),
                                d.endif_expr.strip.strip_start(),
                            ),
                            None => Vec::new(),
                        };
                        let node = form(
                            "if",
                            vec![condition, join(then, at), join(otherwise, at)],
                            at,
                        );
                        parts.push(Part::Text(node));
                        trim_next = d.endif_expr.strip.strip_end();
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        if f.strip.strip_start() {
                            trim_last_literal(&mut parts);
                        }
                        let collection = self.expr(&f.collection_expr, at);
                        let mut binding = Vec::new();
                        let mut names = Vec::new();
                        if let Some(key) = &f.key_var {
                            names.push(key.as_str().to_string());
                            binding.push(symbol(key.as_str(), self.span_of(key, at)));
                        }
                        names.push(f.value_var.as_str().to_string());
                        binding.push(symbol(f.value_var.as_str(), self.span_of(&f.value_var, at)));
                        binding.push(collection);
                        let depth = self.scopes.len();
                        self.scopes
                            .extend(names.into_iter().map(|n| (n, Binding::Value)));
                        let body = self.parts(
                            &f.template,
                            at,
                            f.strip.strip_end(),
                            d.endfor_expr.strip.strip_start(),
                        );
                        self.scopes.truncate(depth);
                        let comprehension = form(
                            "for",
                            vec![list(vec![list(binding, at)], at), join(body, at)],
                            at,
                        );
                        let node = form("join", vec![string("", at), comprehension], at);
                        parts.push(Part::Text(node));
                        trim_next = d.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
        if trim_last {
            trim_last_literal(&mut parts);
        }
        parts
    }
}

fn trim_last_literal(parts: &mut [Part]) {
    if let Some(Part::Literal(text, _)) = parts.last_mut() {
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
    }
}

/// The parts as one string expression: a literal when nothing is
/// interpolated, else `(string-append ...)`.
fn join(parts: Vec<Part>, span: Span) -> Node {
    let mut args: Vec<Node> = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Part::Literal(text, _) if text.is_empty() => {}
            // Adjacent literals (around an empty directive) merge.
            Part::Literal(text, at) => match args.last_mut() {
                Some(Node {
                    kind: NodeKind::String(previous),
                    span: previous_span,
                }) => {
                    previous.push_str(&text);
                    *previous_span = previous_span.to(at);
                }
                _ => args.push(string(text, at)),
            },
            Part::Value(node) => {
                let at = node.span;
                args.push(form("to-string", vec![node], at));
            }
            Part::Text(node) => args.push(node),
        }
    }
    // One part that is a string already needs no appending.
    let single_string = args.len() == 1
        && (matches!(args[0].kind, NodeKind::String(_)) || args[0].head() != Some("to-string"));
    match args.len() {
        0 => string("", span),
        1 if single_string => args.pop().unwrap_or_else(|| string("", span)),
        _ => form("string-append", args, span),
    }
}
