//! `moved`, `removed` and `import` blocks to their `.nim` forms. Their
//! addresses are traversals (`aws_instance.a[0]`, `module.net`), lowered
//! to the structured address forms `(ref TYPE "NAME" [KEY])` and
//! `(module NAME [KEY] [ADDRESS])`, so no address text is built here.

use crate::ast::{Block, Expression, Structure, TraversalOperator};
use crate::{Lowerer, form, list, string, symbol};
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};

/// One step of an address traversal.
enum Part {
    Name(String, Span),
    Key(Node),
}

impl Lowerer<'_> {
    /// `moved { from = ADDRESS  to = ADDRESS }`.
    pub(crate) fn moved(&mut self, block: &Block, span: Span) -> Option<Node> {
        self.no_labels(block, span)?;
        let mut items = Vec::new();
        let mut complete = true;
        for structure in block.body.iter() {
            let at = self.span_of(structure, span);
            match structure {
                Structure::Attribute(a) if matches!(a.key.as_str(), "from" | "to") => {
                    let key_span = self.span_of(&a.key, at);
                    match self.address(&a.value, at) {
                        Some(address) => {
                            items.push(list(vec![symbol(a.key.as_str(), key_span), address], at))
                        }
                        None => complete = false,
                    }
                }
                _ => self.unexpected_in(structure, "moved", &["from", "to"], at),
            }
        }
        // A block whose address was refused (and reported) is left out,
        // rather than reported again as missing it.
        complete.then(|| form("moved", items, span))
    }

    /// `removed { from = ADDRESS  lifecycle { destroy = BOOL } }`.
    pub(crate) fn removed(&mut self, block: &Block, span: Span) -> Option<Node> {
        self.no_labels(block, span)?;
        let mut items = Vec::new();
        let mut complete = true;
        for structure in block.body.iter() {
            let at = self.span_of(structure, span);
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "from" => {
                    let key_span = self.span_of(&a.key, at);
                    match self.address(&a.value, at) {
                        Some(address) => {
                            items.push(list(vec![symbol("from", key_span), address], at))
                        }
                        None => complete = false,
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "lifecycle" => {
                    for inner in b.body.iter() {
                        let inner_at = self.span_of(inner, at);
                        match inner {
                            Structure::Attribute(a) if a.key.as_str() == "destroy" => {
                                let key_span = self.span_of(&a.key, inner_at);
                                let value_span = self.span_of(&a.value, inner_at);
                                if let Some(b) = self.literal_bool(&a.value, "`destroy`", inner_at)
                                {
                                    let value = Node {
                                        kind: NodeKind::Bool(b),
                                        span: value_span,
                                    };
                                    items.push(list(
                                        vec![symbol("destroy", key_span), value],
                                        inner_at,
                                    ));
                                }
                            }
                            Structure::Block(p)
                                if matches!(p.ident.as_str(), "provisioner" | "connection") =>
                            {
                                self.diagnostics.push(
                                    Diagnostic::error(format!(
                                        "`{}` blocks are not supported: Nimbus has no provisioners",
                                        p.ident.as_str()
                                    ))
                                    .at(inner_at),
                                )
                            }
                            _ => self.unexpected_in(inner, "lifecycle", &["destroy"], inner_at),
                        }
                    }
                }
                _ => self.unexpected_in(structure, "removed", &["from", "lifecycle"], at),
            }
        }
        complete.then(|| form("removed", items, span))
    }

    /// `import { to = ADDRESS  id = EXPRESSION  provider = NAME }`.
    pub(crate) fn import(&mut self, block: &Block, span: Span) -> Option<Node> {
        self.no_labels(block, span)?;
        let mut items = Vec::new();
        let mut complete = true;
        // With `for_each`, `to` may end in a key expression (`each.key`).
        let repeated = block
            .body
            .iter()
            .any(|s| matches!(s, Structure::Attribute(a) if a.key.as_str() == "for_each"));
        for structure in block.body.iter() {
            let at = self.span_of(structure, span);
            match structure {
                Structure::Attribute(a) => {
                    let key_span = self.span_of(&a.key, at);
                    let name = match a.key.as_str() {
                        "for_each" => "for-each",
                        other => other,
                    };
                    let value = match a.key.as_str() {
                        "to" if repeated => self.address_with_key_expression(&a.value, at),
                        "to" => self.address(&a.value, at),
                        "id" | "for_each" => Some(self.expr(&a.value, at)),
                        "provider" => self.provider_reference(&a.value, at),
                        _ => {
                            self.unexpected_in(
                                structure,
                                "import",
                                &["to", "id", "provider", "for_each"],
                                at,
                            );
                            None
                        }
                    };
                    match value {
                        Some(value) => items.push(list(vec![symbol(name, key_span), value], at)),
                        None => complete = false,
                    }
                }
                Structure::Block(_) => {
                    self.unexpected_in(structure, "import", &["to", "id", "provider"], at)
                }
            }
        }
        complete.then(|| form("import", items, span))
    }

    fn no_labels(&mut self, block: &Block, span: Span) -> Option<()> {
        if block.labels.is_empty() {
            return Some(());
        }
        let kind = block.ident.as_str();
        self.error(
            span,
            format!("a `{kind}` block takes no labels: `{kind} {{ ... }}`"),
        );
        None
    }

    pub(crate) fn unexpected_in(
        &mut self,
        structure: &Structure,
        block: &str,
        known: &[&str],
        at: Span,
    ) {
        let (name, name_span, what) = match structure {
            Structure::Attribute(a) => (a.key.as_str(), self.span_of(&a.key, at), "argument"),
            Structure::Block(b) => (b.ident.as_str(), self.span_of(&b.ident, at), "block"),
        };
        self.diagnostics.push(
            Diagnostic::error(format!("unexpected {what} `{name}` in `{block}`"))
                .at(name_span)
                .with_suggestion(name, known.iter().copied()),
        );
    }

    /// A resource or module address written as a traversal.
    fn address(&mut self, value: &Expression, span: Span) -> Option<Node> {
        let at = self.span_of(value, span);
        let reported = self.diagnostics.len();
        let lowered = self
            .address_parts(value, at)
            .and_then(|parts| self.address_form(&parts, at));
        if lowered.is_some() || self.diagnostics.len() > reported {
            return lowered;
        }
        {
            self.diagnostics.push(
                Diagnostic::error("expected an address such as `aws_instance.a`, `aws_instance.a[0]` or `module.net`")
                    .at(at)
                    .with_note("note: an address is written as a reference, without quotes; instance keys are literal numbers or strings"),
            );
        }
        None
    }

    /// An `import` block's `to` under `for_each`: an address whose last
    /// key may be an expression, lowered as any expression.
    fn address_with_key_expression(&mut self, value: &Expression, span: Span) -> Option<Node> {
        if let Expression::Traversal(t) = value
            && let Some((last, rest)) = t.operators.split_last()
            && let TraversalOperator::Index(key) = last.value()
            && self.literal(key).is_none()
            && !matches!(key, Expression::Number(_))
        {
            let at = self.span_of(value, span);
            let mut shorter = t.clone();
            shorter.operators = rest.to_vec();
            let block = Expression::Traversal(shorter);
            let mut address = self.address(&block, at)?;
            let key = self.expr(key, at);
            if let NodeKind::List(items) = &mut address.kind
                && items.first().and_then(Node::as_symbol) == Some("ref")
            {
                items.push(key);
                return Some(address);
            }
            self.error(
                at,
                "with `for_each`, `to` is a resource in this module with a computed key, e.g. `aws_instance.a[each.key]`",
            );
            return None;
        }
        self.address(value, span)
    }

    /// The names and literal keys of a traversal, or `None` when it is
    /// not one (a splat, a computed key, a call).
    fn address_parts(&mut self, value: &Expression, span: Span) -> Option<Vec<Part>> {
        let (root, operators) = match value {
            Expression::Variable(v) => (v, &[][..]),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => (v, t.operators.as_slice()),
                _ => return None,
            },
            _ => return None,
        };
        let mut parts = vec![Part::Name(
            root.as_str().to_string(),
            self.span_of(root, span),
        )];
        for op in operators {
            let op_span = self.span_of(op, span);
            parts.push(match op.value() {
                TraversalOperator::GetAttr(name) => {
                    Part::Name(name.as_str().to_string(), self.span_of(name, op_span))
                }
                TraversalOperator::LegacyIndex(i) => Part::Key(Node {
                    kind: NodeKind::Integer((*i.value()).into()),
                    span: op_span,
                }),
                TraversalOperator::Index(e) => match self.literal(e) {
                    Some(kind @ NodeKind::String(_)) => Part::Key(Node {
                        kind,
                        span: self.span_of(e, op_span),
                    }),
                    _ => match e {
                        Expression::Number(n) => Part::Key(Node {
                            kind: NodeKind::Integer(n.value().as_u64()?.into()),
                            span: self.span_of(e, op_span),
                        }),
                        _ => return None,
                    },
                },
                TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) => return None,
            });
        }
        Some(parts)
    }

    /// `module.a[0].t.n["k"]` as `(module a 0 (ref t "n" "k"))`.
    fn address_form(&mut self, parts: &[Part], span: Span) -> Option<Node> {
        match parts {
            [
                Part::Name(m, m_span),
                Part::Name(name, name_span),
                rest @ ..,
            ] if m == "module" => {
                let mut items = vec![symbol("module", *m_span), symbol(name, *name_span)];
                let rest = match rest {
                    [Part::Key(key), rest @ ..] => {
                        items.push(key.clone());
                        rest
                    }
                    _ => rest,
                };
                if !rest.is_empty() {
                    items.push(self.address_form(rest, span)?);
                }
                Some(list(items, span))
            }
            [
                Part::Name(data, data_span),
                Part::Name(t, t_span),
                Part::Name(n, n_span),
                rest @ ..,
            ] if data == "data" => {
                let mut items = vec![
                    symbol("ref", *data_span),
                    symbol("data", *data_span),
                    symbol(t, *t_span),
                    string(n.clone(), *n_span),
                ];
                self.resource_key(rest, &mut items, span)?;
                Some(list(items, span))
            }
            [Part::Name(t, t_span), Part::Name(n, n_span), rest @ ..] => {
                let mut items = vec![
                    symbol("ref", *t_span),
                    symbol(t, *t_span),
                    string(n.clone(), *n_span),
                ];
                self.resource_key(rest, &mut items, span)?;
                Some(list(items, span))
            }
            _ => None,
        }
    }

    fn resource_key(&mut self, rest: &[Part], items: &mut Vec<Node>, span: Span) -> Option<()> {
        match rest {
            [] => Some(()),
            [Part::Key(key)] => {
                items.push(key.clone());
                Some(())
            }
            _ => {
                self.error(
                    span,
                    "an address ends with the resource's name or one instance key: attributes cannot be moved, removed or imported alone",
                );
                None
            }
        }
    }
}
