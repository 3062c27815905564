//! Custom conditions: `precondition`/`postcondition` blocks (in
//! `lifecycle` and, preconditions, in `output`), `replace_triggered_by`
//! and `check` blocks, lowered to `(precondition C M)`,
//! `(postcondition C M)`, `(replace-triggered-by REF...)` and
//! `(check "NAME" [(data T "n" ...)] (assert C M)...)`.

use super::form_at;
use crate::ast::{Block, Expression, Structure};
use crate::{Lowerer, form, string};
use nimbus_syntax::{Diagnostic, Node, Span};

impl Lowerer<'_> {
    /// `precondition { condition = C  error_message = M }` (or
    /// `postcondition`, or a check's `assert`) to `(KIND C M)`; `kind` is
    /// the block's name, which is the form's too.
    pub(crate) fn condition_block(&mut self, block: &Block, span: Span) -> Option<Node> {
        let kind = block.ident.as_str();
        if !block.labels.is_empty() {
            self.error(span, format!("a `{kind}` block takes no labels"));
            return None;
        }
        let mut condition = None;
        let mut message = None;
        for a in self.attributes_only(&block.body, &format!("`{kind}`"), span) {
            let at = self.span_of(a, span);
            match a.key.as_str() {
                "condition" => condition = Some(self.expr(&a.value, at)),
                "error_message" => message = Some(self.expr(&a.value, at)),
                other => self.diagnostics.push(
                    Diagnostic::error(format!("unknown `{kind}` setting `{other}`"))
                        .at(self.span_of(&a.key, at))
                        .with_suggestion(other, ["condition", "error_message"]),
                ),
            }
        }
        match (condition, message) {
            (Some(condition), Some(message)) => {
                let head_span = self.span_of(&block.ident, span);
                Some(form_at(kind, head_span, vec![condition, message], span))
            }
            _ => {
                self.error(
                    span,
                    format!("a `{kind}` block needs `condition` and `error_message`"),
                );
                None
            }
        }
    }

    /// `replace_triggered_by = [T.n, T.n[count.index], T.n.attr]` to
    /// `(replace-triggered-by (ref T "n") ...)`.
    pub(crate) fn replace_triggered_by(&mut self, value: &Expression, span: Span) -> Vec<Node> {
        let at = self.span_of(value, span);
        let Expression::Array(items) = value else {
            self.error(
                at,
                "`replace_triggered_by` is a list of references: `[aws_instance.web]`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let item_span = self.span_of(item, at);
            let lowered = self.expr(item, at);
            let parts = lowered.as_list().unwrap_or_default();
            let managed = lowered.head() == Some("ref")
                && parts.get(1).and_then(Node::as_symbol) != Some("data")
                && parts.len() >= 3;
            if managed {
                out.push(lowered);
            } else {
                self.error(
                    item_span,
                    "`replace_triggered_by` takes references to managed resources, their instances or attributes, e.g. `aws_instance.web` or `aws_instance.web.id`",
                );
            }
        }
        out
    }

    /// `check "NAME" { assert { ... } ... }`.
    pub(crate) fn check(&mut self, block: &Block, span: Span) -> Option<Node> {
        let labels = self.labels(block, &["NAME"], span)?;
        let (name, name_span) = labels[0];
        let mut items = vec![string(name, name_span)];
        for structure in block.body.iter() {
            let at = self.span_of(structure, span);
            match structure {
                Structure::Block(b) if b.ident.as_str() == "assert" => {
                    items.extend(self.condition_block(b, at));
                }
                // A scoped data source: `(data T "n" ...)` inside the check.
                Structure::Block(b) if b.ident.as_str() == "data" => {
                    items.extend(self.resource(b, "data", at));
                }
                Structure::Block(b) => self.error(
                    self.span_of(&b.ident, at),
                    format!(
                        "unexpected block `{}` in a `check`: it holds `assert` blocks and a scoped `data` block",
                        b.ident.as_str()
                    ),
                ),
                Structure::Attribute(a) => self.error(
                    self.span_of(&a.key, at),
                    format!(
                        "unexpected attribute `{}` in a `check`: it holds `assert` blocks",
                        a.key.as_str()
                    ),
                ),
            }
        }
        Some(form("check", items, span))
    }
}
