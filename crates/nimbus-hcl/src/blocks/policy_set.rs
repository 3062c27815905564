//! `policy_set "SET" { ... }`, a Nimbus block (Terraform has none) that
//! opts into a built-in rule set, to `(use-policies SET ...)`:
//!
//! ```hcl
//! policy_set "aws-baseline" {
//!   required_tags = ["owner"]
//!   enforcement   = "soft-mandatory"
//!   rule "s3-versioning" { enforcement = "advisory" }
//! }
//! ```
//!
//! Settings are literals; the configuration parser checks the set, its
//! rule names and the levels, as for the `.nim` form.
//!
//! `policy_file "GLOB" { enforcement = "LEVEL" }`, also a Nimbus block, is
//! `(policy-file "GLOB" (enforcement LEVEL))`: Rego policy files.

use crate::ast::{Block, Expression, Structure};
use crate::{Lowerer, form, list, string, symbol};
use nimbus_syntax::{Node, Span};

impl Lowerer<'_> {
    pub(super) fn policy_set(&mut self, block: &Block, span: Span) -> Option<Node> {
        let [(name, name_span)] = self.labels(block, &["set"], span)?[..] else {
            return None;
        };
        let mut items = vec![symbol(name, name_span)];
        for structure in block.body.iter() {
            let at = self.span_of(structure, span);
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "enforcement" => {
                    items.extend(self.enforcement(&a.value, at));
                }
                Structure::Attribute(a) if a.key.as_str() == "required_tags" => {
                    let key_span = self.span_of(&a.key, at);
                    let value_span = self.span_of(&a.value, at);
                    let Expression::Array(values) = &a.value else {
                        self.error(value_span, "`required_tags` must be a list of tag names");
                        continue;
                    };
                    let mut tags = vec![symbol("required-tags", key_span)];
                    for value in values.iter() {
                        let tag_span = self.span_of(value, value_span);
                        if let Some(tag) = self.literal_string(value, "a tag name", value_span) {
                            tags.push(string(tag, tag_span));
                        }
                    }
                    items.push(list(tags, at));
                }
                Structure::Block(rule) if rule.ident.as_str() == "rule" => {
                    let Some(labels) = self.labels(rule, &["name"], at) else {
                        continue;
                    };
                    let mut settings = vec![
                        symbol("rule", self.span_of(&rule.ident, at)),
                        string(labels[0].0, labels[0].1),
                    ];
                    for inner in rule.body.iter() {
                        let inner_at = self.span_of(inner, at);
                        match inner {
                            Structure::Attribute(a) if a.key.as_str() == "enforcement" => {
                                settings.extend(self.enforcement(&a.value, inner_at));
                            }
                            _ => self.unexpected_in(inner, "rule", &["enforcement"], inner_at),
                        }
                    }
                    items.push(list(settings, at));
                }
                _ => self.unexpected_in(
                    structure,
                    "policy_set",
                    &["enforcement", "required_tags", "rule"],
                    at,
                ),
            }
        }
        Some(form("use-policies", items, span))
    }

    pub(super) fn policy_file(&mut self, block: &Block, span: Span) -> Option<Node> {
        // The label is a path pattern, not a name: taken as written.
        let [label] = &block.labels[..] else {
            self.error(
                span,
                "a `policy_file` block takes 1 label: `policy_file \"policies/*.rego\" { ... }`",
            );
            return None;
        };
        let mut items = vec![string(label.as_str(), self.span_of(label, span))];
        for structure in block.body.iter() {
            let at = self.span_of(structure, span);
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "enforcement" => {
                    items.extend(self.enforcement(&a.value, at));
                }
                _ => self.unexpected_in(structure, "policy_file", &["enforcement"], at),
            }
        }
        Some(form("policy-file", items, span))
    }

    /// `enforcement = "LEVEL"` as `(enforcement LEVEL)`.
    fn enforcement(&mut self, value: &Expression, at: Span) -> Option<Node> {
        let value_span = self.span_of(value, at);
        let level = self.literal_string(value, "`enforcement`", at)?;
        Some(list(
            vec![symbol("enforcement", at), symbol(&level, value_span)],
            at,
        ))
    }
}
