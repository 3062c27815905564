//! Nimbus's policy blocks (Terraform has none), lowered to the `.nim`
//! forms the configuration parser checks, as for the `.nim` language:
//!
//! `policy "NAME" { ... }` is `(define-policy NAME ...)`: rules whose
//! conditions are ordinary expressions over the change a rule checks.
//!
//! ```hcl
//! policy "production-guardrails" {
//!   deny "s3:DeleteBucket" {
//!     when    = tag_equals("Environment", "Production")
//!     message = "production buckets are kept"
//!   }
//!   require_tags { tags = ["owner"] }
//!   require_approval { when = cost_exceeds(1000) }
//! }
//! ```
//!
//! `policy_exception "RULE" { reason = "..."  expires = "YYYY-MM-DD" }` in
//! a resource is `(policy-exception "RULE" (reason ...) (expires ...))`.
//!
//! `policy_set "SET" { ... }` opts into a built-in rule set, to
//! `(use-policies SET ...)`:
//!
//! ```hcl
//! policy_set "aws-baseline" {
//!   required_tags = ["owner"]
//!   enforcement   = "soft-mandatory"
//!   rule "s3-versioning" { enforcement = "advisory" }
//! }
//! ```
//!
//! `policy_file "GLOB" { enforcement = "LEVEL" }` is
//! `(policy-file "GLOB" (enforcement LEVEL))`: Rego policy files.
//!
//! Settings other than conditions are literals.

use crate::ast::{Attribute, Block, Expression, Structure};
use crate::{Binding, Lowerer, form, list, string, symbol};
use nimbus_syntax::{Diagnostic, Node, Span};

/// A policy's rule blocks, with the `.nim` rule each is.
const RULE_BLOCKS: &[(&str, &str)] = &[
    ("deny", "deny"),
    ("require_approval", "require-approval"),
    ("require_tags", "require-tags"),
    ("warn", "warn"),
];

impl Lowerer<'_> {
    /// `policy "NAME" { [enforcement = L] RULE... }` to `(define-policy
    /// NAME [(enforcement L)] RULE...)`.
    pub(super) fn policy(&mut self, block: &Block, span: Span) -> Option<Node> {
        let [(name, name_span)] = self.labels(block, &["NAME"], span)?[..] else {
            return None;
        };
        let mut items = vec![symbol(name, name_span)];
        for structure in block.body.iter() {
            let at = self.span_of(structure, span);
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "enforcement" => {
                    items.extend(self.enforcement(&a.value, at));
                }
                Structure::Block(rule) => {
                    let kind = rule.ident.as_str();
                    let kind_span = self.span_of(&rule.ident, at);
                    match RULE_BLOCKS.iter().find(|(hcl, _)| *hcl == kind) {
                        Some((_, nim)) => items.extend(self.policy_rule(rule, nim, kind_span, at)),
                        None => self.diagnostics.push(
                            Diagnostic::error(format!("unknown policy rule `{kind}`"))
                                .at(kind_span)
                                .with_suggestion(kind, RULE_BLOCKS.iter().map(|(hcl, _)| *hcl)),
                        ),
                    }
                }
                Structure::Attribute(_) => self.unexpected_in(
                    structure,
                    "policy",
                    &[
                        "enforcement",
                        "deny",
                        "warn",
                        "require_tags",
                        "require_approval",
                    ],
                    at,
                ),
            }
        }
        Some(form("define-policy", items, span))
    }

    /// One rule block: `deny "ACTION" { when = C  message = "M"
    /// enforcement = "L" }` (and `warn`), `require_tags { tags = [...] }`,
    /// `require_approval { when = C }`.
    fn policy_rule(
        &mut self,
        rule: &Block,
        kind: &str,
        kind_span: Span,
        span: Span,
    ) -> Option<Node> {
        let mut items = vec![symbol(kind, kind_span)];
        let takes_action = matches!(kind, "deny" | "warn");
        match (&rule.labels[..], takes_action) {
            ([action], true) => items.push(string(action.as_str(), self.span_of(action, span))),
            ([], false) => {}
            _ => {
                let shape = if takes_action {
                    format!(
                        "a `{kind}` rule takes 1 label, the provider action: `{kind} \"s3:DeleteBucket\" {{ ... }}`"
                    )
                } else {
                    format!("a `{}` rule takes no label", rule.ident.as_str())
                };
                self.error(span, shape);
                return None;
            }
        }
        let mut settings = vec!["when", "message", "enforcement"];
        if kind == "require-tags" {
            settings.push("tags");
        }
        let what = format!("a `{}` rule", rule.ident.as_str());
        // What the configuration parser would also say, said here in this
        // language's words and only once.
        let mut has_when = false;
        let mut tag_count = 0;
        let mut tags_reported = false;
        for a in self.attributes_only(&rule.body, &what, span) {
            let at = self.span_of(a, span);
            match a.key.as_str() {
                "when" => {
                    has_when = true;
                    let key_span = self.span_of(&a.key, at);
                    let condition = self.policy_condition(&a.value, at);
                    items.push(list(vec![symbol("when", key_span), condition], at));
                }
                "message" => items.extend(self.literal_setting(a, at)),
                "enforcement" => items.extend(self.enforcement(&a.value, at)),
                "tags" if kind == "require-tags" => match self.tag_names(a, at) {
                    Some(names) => {
                        tag_count += names.len();
                        items.extend(names);
                    }
                    None => tags_reported = true,
                },
                other => self.diagnostics.push(
                    Diagnostic::error(format!("unknown setting `{other}` in {what}"))
                        .at(self.span_of(&a.key, at))
                        .with_suggestion(other, settings.iter().copied()),
                ),
            }
        }
        if kind == "require-approval" && !has_when {
            self.error(span, "a `require_approval` rule needs `when = CONDITION`");
            return None;
        }
        if kind == "require-tags" && (tags_reported || tag_count == 0) {
            if !tags_reported {
                self.error(
                    span,
                    "a `require_tags` rule needs `tags = [\"NAME\", ...]`, one tag name or more",
                );
            }
            return None;
        }
        Some(list(items, span))
    }

    /// A rule's condition: an ordinary expression that may also read the
    /// change (`action`, `resource_type`, `after`, ...) and call the policy
    /// predicates (`tag_equals(...)`, ...).
    fn policy_condition(&mut self, value: &Expression, span: Span) -> Node {
        let depth = self.scopes.len();
        for name in nimbus_syntax::POLICY_NAMES {
            self.scopes.push((name.replace('-', "_"), Binding::Policy));
            if name.contains('-') {
                self.scopes.push((name.to_string(), Binding::Policy));
            }
        }
        let outer = std::mem::replace(&mut self.policy_condition, true);
        let condition = self.expr(value, span);
        self.policy_condition = outer;
        self.scopes.truncate(depth);
        condition
    }

    /// `policy_exception "RULE" { reason = "TEXT"  expires = "YYYY-MM-DD" }`
    /// in a resource, to `(policy-exception "RULE" (reason "TEXT")
    /// (expires "YYYY-MM-DD"))`.
    pub(super) fn policy_exception(&mut self, block: &Block, span: Span) -> Option<Node> {
        let [rule] = &block.labels[..] else {
            self.error(
                span,
                "a `policy_exception` block takes 1 label, the rule: `policy_exception \"POLICY.KIND\" { reason = \"...\" }`",
            );
            return None;
        };
        let head_span = self.span_of(&block.ident, span);
        let mut items = vec![
            symbol("policy-exception", head_span),
            string(rule.as_str(), self.span_of(rule, span)),
        ];
        for a in self.attributes_only(&block.body, "a `policy_exception`", span) {
            let at = self.span_of(a, span);
            let key = a.key.as_str();
            if !matches!(key, "reason" | "expires") {
                self.diagnostics.push(
                    Diagnostic::error(format!("unknown setting `{key}` in a `policy_exception`"))
                        .at(self.span_of(&a.key, at))
                        .with_suggestion(key, ["reason", "expires"]),
                );
                continue;
            }
            items.extend(self.literal_setting(a, at));
        }
        Some(list(items, span))
    }

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
                    if let Some(names) = self.tag_names(a, at) {
                        let mut tags = vec![symbol("required-tags", key_span)];
                        tags.extend(names);
                        items.push(list(tags, at));
                    }
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

    /// `KEY = "TEXT"` (a literal) as `(KEY "TEXT")`.
    fn literal_setting(&mut self, a: &Attribute, at: Span) -> Option<Node> {
        let key = a.key.as_str();
        let text = self.literal_string(&a.value, &format!("`{key}`"), at)?;
        let (key_span, value_span) = (self.span_of(&a.key, at), self.span_of(&a.value, at));
        Some(list(
            vec![symbol(key, key_span), string(&text, value_span)],
            at,
        ))
    }

    /// `KEY = ["NAME", ...]`: the tag names as strings; `None`, reported,
    /// when it is not a list of literal strings.
    fn tag_names(&mut self, a: &Attribute, at: Span) -> Option<Vec<Node>> {
        let value_span = self.span_of(&a.value, at);
        let Expression::Array(values) = &a.value else {
            let key = a.key.as_str();
            self.error(value_span, format!("`{key}` must be a list of tag names"));
            return None;
        };
        let mut names = Vec::with_capacity(values.len());
        let mut all = true;
        for value in values.iter() {
            let tag_span = self.span_of(value, value_span);
            match self.literal_string(value, "a tag name", value_span) {
                Some(tag) => names.push(string(&tag, tag_span)),
                None => all = false,
            }
        }
        all.then_some(names)
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
