//! HCL expressions to `.nim` expressions.

use crate::ast::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, Traversal, TraversalOperator,
    UnaryOperator,
};
use crate::{Binding, Lowerer, form, list, string, symbol};
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};

/// One step of a traversal after its root.
enum Step {
    /// `.name`
    Attribute(String, Span),
    /// `[expression]` or the legacy `.0`, already lowered.
    Index(Node),
    /// `[*]` (`full`: every following step applies to each element) or
    /// the legacy `.*` (only the following attribute steps do).
    Splat { full: bool, span: Span },
}

impl Step {
    /// The step as a literal `(ref ...)` can take (its path steps are
    /// names, keys and numbers written literally).
    fn literal(&self) -> Option<Node> {
        match self {
            Step::Attribute(name, span) => Some(string(name.as_str(), *span)),
            Step::Index(node)
                if matches!(node.kind, NodeKind::String(_) | NodeKind::Integer(_)) =>
            {
                Some(node.clone())
            }
            _ => None,
        }
    }

    /// The step as an argument of `(get ...)`.
    fn argument(self) -> Node {
        match self {
            Step::Attribute(name, span) => string(name, span),
            Step::Index(node) => node,
            Step::Splat { span, .. } => symbol("*", span),
        }
    }
}

impl Lowerer<'_> {
    /// Lowers one expression; `fallback` locates it should the parser have
    /// left it without a span.
    pub(crate) fn expr(&mut self, e: &Expression, fallback: Span) -> Node {
        let span = self.span_of(e, fallback);
        if self.depth >= crate::MAX_DEPTH / 2 {
            // Lowered forms nest up to twice as deep as the HCL they come
            // from (a traversal is a `get` around its root).
            self.error(span, "this expression nests too deeply");
            return symbol("null", span);
        }
        self.depth += 1;
        let node = self.expr_inner(e, span);
        self.depth -= 1;
        node
    }

    fn expr_inner(&mut self, e: &Expression, span: Span) -> Node {
        match e {
            Expression::Null(_) => symbol("null", span),
            Expression::Bool(b) => Node {
                kind: NodeKind::Bool(*b.value()),
                span,
            },
            Expression::Number(n) => self.number(n.value(), span),
            Expression::String(s) => string(s.value().as_str(), span),
            Expression::Array(items) => {
                let items = items.iter().map(|i| self.expr(i, span)).collect();
                form("list", items, span)
            }
            Expression::Object(object) => {
                let mut literal_keys = true;
                let mut entries = Vec::new();
                for (key, value) in object.iter() {
                    let key_span = self.span_of(key, span);
                    let key = match key {
                        ObjectKey::Ident(i) => string(i.as_str(), key_span),
                        ObjectKey::Expression(e) => {
                            let key = self.expr(e, key_span);
                            literal_keys &= matches!(key.kind, NodeKind::String(_));
                            key
                        }
                    };
                    let value = self.expr(value.expr(), span);
                    entries.push((key, value));
                }
                if literal_keys {
                    let entries = entries
                        .into_iter()
                        .map(|(k, v)| {
                            let at = k.span.to(v.span);
                            list(vec![k, v], at)
                        })
                        .collect();
                    form("map", entries, span)
                } else {
                    // Keys computed from expressions: `map` takes its keys
                    // literally, so the pairs go through `to-map`.
                    let pairs = entries
                        .into_iter()
                        .map(|(k, v)| {
                            let at = k.span.to(v.span);
                            form("list", vec![k, v], at)
                        })
                        .collect();
                    form("to-map", vec![form("list", pairs, span)], span)
                }
            }
            Expression::StringTemplate(t) => self.template(t, span, true),
            Expression::HeredocTemplate(h) => self.template(&h.template, span, false),
            Expression::Parenthesis(p) => self.expr(p.inner(), span),
            Expression::Variable(v) => self.bare_name(v.as_str(), span),
            Expression::Conditional(c) => {
                let condition = self.expr(&c.cond_expr, span);
                let then = self.expr(&c.true_expr, span);
                let otherwise = self.expr(&c.false_expr, span);
                form("if", vec![condition, then, otherwise], span)
            }
            Expression::FuncCall(call) => self.call(call, span),
            Expression::Traversal(t) => self.traversal(t, span),
            Expression::UnaryOp(op) => {
                let operand = self.expr(&op.expr, span);
                match op.operator.value() {
                    UnaryOperator::Neg => match operand.kind {
                        // `-1` is a number, not a call.
                        NodeKind::Integer(i) => Node {
                            kind: NodeKind::Integer(-i),
                            span,
                        },
                        NodeKind::Decimal(f) => Node {
                            kind: NodeKind::Decimal(-f),
                            span,
                        },
                        _ => form("-", vec![operand], span),
                    },
                    UnaryOperator::Not => form("not", vec![operand], span),
                }
            }
            Expression::BinaryOp(op) => {
                let left = self.expr(&op.lhs_expr, span);
                let right = self.expr(&op.rhs_expr, span);
                let head = match op.operator.value() {
                    BinaryOperator::Eq => "=",
                    BinaryOperator::NotEq => "!=",
                    BinaryOperator::LessEq => "<=",
                    BinaryOperator::GreaterEq => ">=",
                    BinaryOperator::Less => "<",
                    BinaryOperator::Greater => ">",
                    BinaryOperator::Plus => "+",
                    BinaryOperator::Minus => "-",
                    BinaryOperator::Mul => "*",
                    BinaryOperator::Div => "/",
                    BinaryOperator::Mod => "%",
                    BinaryOperator::And => "and",
                    BinaryOperator::Or => "or",
                };
                form(head, vec![left, right], span)
            }
            Expression::ForExpr(f) => self.for_expr(f, span),
        }
    }

    /// A number exactly as written: integers stay exact (ids and account
    /// numbers must not pass through f64).
    fn number(&mut self, n: &crate::ast::Number, span: Span) -> Node {
        let text = self.source(span);
        let kind = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse::<i128>().ok().map(NodeKind::Integer)
        } else {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(NodeKind::Decimal)
        };
        let kind = kind
            .or_else(|| n.as_i64().map(|i| NodeKind::Integer(i.into())))
            .or_else(|| n.as_f64().map(NodeKind::Decimal));
        match kind {
            Some(kind) => Node { kind, span },
            None => {
                self.error(span, "this number is out of range");
                symbol("null", span)
            }
        }
    }

    /// A bare name: a `for` variable, or an error (Terraform's names are
    /// all reached through a root such as `var.` or a resource type).
    fn bare_name(&mut self, name: &str, span: Span) -> Node {
        match self.bound(name) {
            Some(Binding::Value) => symbol(name, span),
            Some(Binding::Policy) => symbol(&name.replace('_', "-"), span),
            Some(Binding::Iterator) => {
                self.error(
                    span,
                    format!(
                        "`{name}` is a dynamic block's iterator: use `{name}.key` or `{name}.value`"
                    ),
                );
                symbol("null", span)
            }
            None if self.template_only => {
                self.error(
                    span,
                    format!("`{name}` is not one of the template's variables: a template sees only the variables `templatefile` passes it"),
                );
                symbol("null", span)
            }
            None => {
                let help = match name {
                    "var" | "local" | "each" | "count" | "path" | "terraform" | "module"
                    | "data" => {
                        format!("help: `{name}` is followed by a name, e.g. `{name}.NAME`")
                    }
                    _ => "help: a resource is referred to as `TYPE.NAME`".to_string(),
                };
                self.diagnostics.push(
                    Diagnostic::error(format!("unknown name `{name}`"))
                        .at(span)
                        .with_note(help),
                );
                symbol("null", span)
            }
        }
    }

    fn call(&mut self, call: &FuncCall, span: Span) -> Node {
        let name = call.name.name.as_str();
        let name_span = self.span_of(&call.name.name, span);
        if !call.name.namespace.is_empty() {
            self.unsupported(span, "a provider-defined function");
            return symbol("null", span);
        }
        if self.template_only && name == "templatefile" {
            self.error(
                name_span,
                "`templatefile` cannot be called from inside a template",
            );
            return symbol("null", span);
        }
        let expand = call.args.expand_final();
        if expand && matches!(name, "try" | "can" | "templatefile") {
            self.unsupported(
                span,
                "expanding the last argument of `try` or `can` with `...`",
            );
            return symbol("null", span);
        }
        let args: Vec<Node> = call.args.iter().map(|a| self.expr(a, span)).collect();
        let predicate = name.replace('_', "-");
        let head = match name {
            _ if self.policy_condition
                && nimbus_syntax::POLICY_PREDICATES.contains(&predicate.as_str()) =>
            {
                predicate.as_str()
            }
            "try" | "can" => name,
            "templatefile" => "template-file",
            _ => match nimbus_stdlib::lookup_terraform(name) {
                Some(function) => function.name,
                None => {
                    let d = match nimbus_stdlib::terraform_not_provided()
                        .iter()
                        .find(|(n, _)| *n == name)
                    {
                        Some((_, why)) => Diagnostic::error(format!(
                            "function `{name}` is not supported by Nimbus yet"
                        ))
                        .at(name_span)
                        .with_note(format!("note: {why}")),
                        None if nimbus_syntax::POLICY_PREDICATES.contains(&predicate.as_str()) => {
                            Diagnostic::error(format!(
                                "`{name}` reads the change a policy rule checks: it can be called only in a rule's `when`"
                            ))
                            .at(name_span)
                        }
                        None => {
                            // In a rule's `when`, the predicates are names too.
                            let predicates: Vec<String> = if self.policy_condition {
                                nimbus_syntax::POLICY_PREDICATES
                                    .iter()
                                    .map(|p| p.replace('-', "_"))
                                    .collect()
                            } else {
                                Vec::new()
                            };
                            Diagnostic::error(format!("unknown function `{name}`"))
                                .at(name_span)
                                .with_suggestion(
                                    name,
                                    nimbus_stdlib::terraform_names()
                                        .iter()
                                        .map(|(t, _)| *t)
                                        .chain(predicates.iter().map(String::as_str)),
                                )
                        }
                    };
                    self.diagnostics.push(d);
                    return symbol("null", span);
                }
            },
        };
        // `f(a, list...)` is `(apply f a list)`.
        let mut items = Vec::with_capacity(args.len() + 2);
        if expand {
            items.push(symbol("apply", span));
        }
        items.push(symbol(head, name_span));
        items.extend(args);
        list(items, span)
    }

    fn traversal(&mut self, t: &Traversal, span: Span) -> Node {
        let mut steps = Vec::with_capacity(t.operators.len());
        for op in &t.operators {
            let op_span = self.span_of(op, span);
            steps.push(match op.value() {
                TraversalOperator::GetAttr(name) => {
                    // The name, without its dot, is what messages underline.
                    Step::Attribute(name.as_str().to_string(), self.span_of(name, op_span))
                }
                TraversalOperator::Index(e) => Step::Index(self.expr(e, op_span)),
                TraversalOperator::LegacyIndex(i) => Step::Index(Node {
                    kind: NodeKind::Integer((*i.value()).into()),
                    span: op_span,
                }),
                TraversalOperator::FullSplat(_) => Step::Splat {
                    full: true,
                    span: op_span,
                },
                TraversalOperator::AttrSplat(_) => Step::Splat {
                    full: false,
                    span: op_span,
                },
            });
        }
        let root = match &t.expr {
            Expression::Variable(v) => v.as_str().to_string(),
            other => {
                let base = self.expr(other, span);
                return get(base, steps, span);
            }
        };
        let mut steps = steps.into_iter().peekable();
        let next_name =
            |steps: &mut std::iter::Peekable<std::vec::IntoIter<Step>>| match steps.peek() {
                Some(Step::Attribute(..)) => match steps.next() {
                    Some(Step::Attribute(name, at)) => Some((name, at)),
                    _ => None,
                },
                _ => None,
            };
        if self.template_only && self.bound(&root).is_none() {
            self.error(
                span,
                format!("`{root}` is not one of the template's variables: a template sees only the variables `templatefile` passes it"),
            );
            return symbol("null", span);
        }
        let base = match (self.bound(&root), root.as_str()) {
            (Some(Binding::Value), _) => symbol(&root, span),
            (Some(Binding::Policy), _) => symbol(&root.replace('_', "-"), span),
            (Some(Binding::Iterator), _) => match next_name(&mut steps) {
                Some((part, _)) if part == "key" || part == "value" => {
                    symbol(&format!("{root}.{part}"), span)
                }
                _ => {
                    self.error(
                        span,
                        format!("a dynamic block's iterator has `{root}.key` and `{root}.value`"),
                    );
                    return symbol("null", span);
                }
            },
            (None, "var" | "local") => match next_name(&mut steps) {
                Some((name, at)) => form(&root, vec![symbol(&name, at)], span),
                None => return self.malformed(span, &format!("`{root}.NAME`")),
            },
            (None, "count") => match next_name(&mut steps) {
                Some((name, _)) if name == "index" => symbol("count-index", span),
                _ => return self.malformed(span, "`count.index`"),
            },
            (None, "each") => match next_name(&mut steps) {
                Some((name, _)) if name == "key" => symbol("each-key", span),
                Some((name, _)) if name == "value" => symbol("each-value", span),
                _ => return self.malformed(span, "`each.key` or `each.value`"),
            },
            (None, "path") => match next_name(&mut steps) {
                Some((name, _)) if matches!(name.as_str(), "module" | "root" | "cwd") => {
                    symbol(&format!("path-{name}"), span)
                }
                _ => return self.malformed(span, "`path.module`, `path.root` or `path.cwd`"),
            },
            (None, "terraform") => match next_name(&mut steps) {
                Some((name, _)) if name == "workspace" => symbol("terraform-workspace", span),
                _ => return self.malformed(span, "`terraform.workspace`"),
            },
            // The object a postcondition checks; anywhere else the
            // configuration's checks refuse it, in either language.
            (None, "self") => symbol(nimbus_syntax::SELF, span),
            (None, "module") => {
                let Some((module, module_span)) = next_name(&mut steps) else {
                    return self.malformed(span, "`module.NAME.OUTPUT`");
                };
                // `module.m[KEY].out` reads one instance; `module.m[*].out`
                // and `module.m.out` every instance's (a list for `count`,
                // a map for `for_each`) or the one instance's.
                let instance = match steps.peek() {
                    Some(Step::Index(_)) => match steps.next() {
                        Some(Step::Index(index)) => Some(index),
                        _ => None,
                    },
                    Some(Step::Splat { .. }) => {
                        steps.next();
                        None
                    }
                    _ => None,
                };
                let mut args = vec![symbol(&module, module_span)];
                args.extend(instance);
                // `module.m` and `module.m[KEY]` alone: the whole object of
                // outputs (every instance's, for `count`/`for_each`), which
                // later steps may index.
                let Some((output, output_span)) = next_name(&mut steps) else {
                    return get(form("module-outputs", args, span), steps.collect(), span);
                };
                args.push(string(output, output_span));
                form("module-output", args, span)
            }
            (None, _) => {
                let (mode, type_name) = if root == "data" {
                    match next_name(&mut steps) {
                        Some((type_name, _)) => (Some("data"), type_name),
                        None => return self.malformed(span, "`data.TYPE.NAME`"),
                    }
                } else {
                    (None, root.clone())
                };
                let Some((name, name_span)) = next_name(&mut steps) else {
                    return self.bare_name(&root, span);
                };
                let mut items = vec![symbol("ref", span)];
                items.extend(mode.map(|m| symbol(m, span)));
                items.push(symbol(&type_name, span));
                items.push(string(name, name_span));
                // The instance: an index of any expression, or `*`.
                match steps.peek() {
                    Some(Step::Index(_)) => {
                        if let Some(Step::Index(index)) = steps.next() {
                            items.push(index);
                        }
                    }
                    Some(Step::Splat { full, span: star }) => {
                        let (full, star) = (*full, *star);
                        steps.next();
                        items.push(symbol("*", star));
                        if !full {
                            // `.*` applies only the attribute steps after it.
                            while let Some(Step::Attribute(..)) = steps.peek() {
                                if let Some(step) = steps.next().and_then(|s| s.literal()) {
                                    items.push(step);
                                }
                            }
                            let reference = list(items, span);
                            return get(reference, steps.collect(), span);
                        }
                    }
                    _ => {}
                }
                // Literal path steps stay in the reference, the rest (a
                // computed index, a later splat) is taken by `get`.
                while let Some(literal) = steps.peek().and_then(Step::literal) {
                    steps.next();
                    items.push(literal);
                }
                list(items, span)
            }
        };
        get(base, steps.collect(), span)
    }

    fn malformed(&mut self, span: Span, expected: &str) -> Node {
        self.error(span, format!("expected {expected}"));
        symbol("null", span)
    }

    /// `[for k, v in c : value if cond]` to `(for ((k v c)) (when cond) value)`;
    /// `{for ... : key => value...}` to `(for-map ... key value ...)`.
    fn for_expr(&mut self, f: &ForExpr, span: Span) -> Node {
        let collection = self.expr(&f.intro.collection_expr, span);
        let mut binding = Vec::new();
        let mut names = Vec::new();
        if let Some(key) = &f.intro.key_var {
            names.push(key.as_str().to_string());
            binding.push(symbol(key.as_str(), self.span_of(key, span)));
        }
        names.push(f.intro.value_var.as_str().to_string());
        binding.push(symbol(
            f.intro.value_var.as_str(),
            self.span_of(&f.intro.value_var, span),
        ));
        binding.push(collection);
        let scope_depth = self.scopes.len();
        self.scopes
            .extend(names.into_iter().map(|n| (n, Binding::Value)));
        let intro_span = self.span_of(&f.intro, span);
        let mut items = vec![list(vec![list(binding, intro_span)], intro_span)];
        if let Some(cond) = &f.cond {
            let cond_span = self.span_of(cond, span);
            items.push(form(
                "when",
                vec![self.expr(&cond.expr, cond_span)],
                cond_span,
            ));
        }
        let head = match &f.key_expr {
            Some(key) => {
                items.push(self.expr(key, span));
                items.push(self.expr(&f.value_expr, span));
                if f.grouping {
                    items.push(symbol("...", span));
                }
                "for-map"
            }
            None => {
                items.push(self.expr(&f.value_expr, span));
                if f.grouping {
                    self.error(span, "grouping with `...` needs a map `for` expression: `{for ... : KEY => VALUE...}`");
                }
                "for"
            }
        };
        self.scopes.truncate(scope_depth);
        form(head, items, span)
    }
}

/// `base` followed by `steps`: `(get base step...)`, or `base` itself when
/// there are none. A `.*` splat's scope ends at its first non-attribute
/// step, so what follows applies to the list it made.
fn get(base: Node, steps: Vec<Step>, span: Span) -> Node {
    if steps.is_empty() {
        return base;
    }
    let mut args = vec![base];
    let mut steps = steps.into_iter().peekable();
    while let Some(step) = steps.next() {
        let legacy_splat = matches!(step, Step::Splat { full: false, .. });
        args.push(step.argument());
        if legacy_splat {
            while let Some(Step::Attribute(..)) = steps.peek() {
                if let Some(step) = steps.next() {
                    args.push(step.argument());
                }
            }
            let inner = form("get", args, span);
            return get(inner, steps.collect(), span);
        }
    }
    form("get", args, span)
}
