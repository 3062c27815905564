//! Custom conditions: `precondition`/`postcondition` in `lifecycle` and
//! outputs, `replace-triggered-by`, and `check` blocks with their
//! `assert`ions. Kept apart from the other forms of the parser.

use super::Parser;
use crate::model::*;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};

/// Settings of a `lifecycle` form.
pub(super) const LIFECYCLE_SETTINGS: &[&str] = &[
    "prevent-destroy",
    "create-before-destroy",
    "ignore-changes",
    "precondition",
    "postcondition",
    "replace-triggered-by",
];

pub use nimbus_syntax::SELF;

impl Parser<'_> {
    /// `(precondition COND MESSAGE)`, `(postcondition ...)`, `(assert ...)`.
    pub(super) fn condition_form(&mut self, form: AttributeForm) -> Option<Condition> {
        let kind = form.name.text;
        match <[Node; 2]>::try_from(form.args) {
            Ok([condition, message]) => Some(Condition {
                condition,
                message,
                span: form.span,
            }),
            Err(_) => {
                self.error(
                    form.span,
                    format!("expected `({kind} CONDITION \"error message\")`"),
                );
                None
            }
        }
    }

    /// `(replace-triggered-by (ref TYPE "NAME" ...) ...)`: each a reference
    /// to a managed resource, an instance or an attribute of one.
    pub(super) fn replace_triggered_by(&mut self, form: AttributeForm) -> Vec<Node> {
        if form.args.is_empty() {
            self.error(
                form.span,
                "`replace-triggered-by` needs one or more `(ref TYPE \"NAME\")`",
            );
        }
        let mut out = Vec::new();
        for reference in form.args {
            let items = reference.as_list().unwrap_or_default();
            let is_ref = items.first().and_then(Node::as_symbol) == Some("ref");
            let is_data = items.get(1).and_then(Node::as_symbol) == Some("data") && items.len() > 3;
            let named =
                items.len() >= 3 && items[1].as_symbol().is_some() && items[2].as_name().is_some();
            if is_ref && !is_data && named {
                out.push(reference);
            } else {
                self.diagnostics.push(
                    Diagnostic::error(
                        "`replace-triggered-by` takes references to managed resources: `(ref TYPE \"NAME\" [KEY] [ATTRIBUTE...])`",
                    )
                    .at(reference.span),
                );
            }
        }
        out
    }

    /// `(check NAME (assert CONDITION MESSAGE) ...)`.
    pub(super) fn check(&mut self, span: Span, mut args: Vec<Node>) {
        let Some(name) = self.name_arg(span, &args, 0, "check name") else {
            return;
        };
        args.remove(0);
        let mut asserts = Vec::new();
        let mut data = Vec::new();
        for form in self.attribute_forms(args, "a check") {
            match form.name.as_str() {
                "assert" => asserts.extend(self.condition_form(form)),
                "data" => {
                    // A data source like any other, scoped to this check.
                    let before = self.module.resources.len();
                    self.resource(Mode::Data, form.span, form.args);
                    if let Some(resource) = self.module.resources.get(before) {
                        data.push((resource.type_name.text.clone(), resource.name.text.clone()));
                    }
                }
                other => {
                    let d = Diagnostic::error(format!("unknown check setting `{other}`"))
                        .at(form.name.span)
                        .with_suggestion(other, ["assert"]);
                    self.diagnostics.push(d);
                }
            }
        }
        if asserts.is_empty() {
            self.diagnostics.push(
                Diagnostic::error(format!(
                    "check `{}` needs at least one `(assert CONDITION \"message\")`",
                    name.text
                ))
                .at(span),
            );
        }
        self.module.checks.push(Check {
            name,
            asserts,
            data,
            span,
        });
    }
}

/// What load can say about conditions without evaluating anything:
/// `self` only in postconditions, `replace-triggered-by` only in managed
/// resources and naming declared ones, check names unique.
pub(crate) fn check_conditions(
    module: &Module,
    mentions_self: bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let self_outside = |node: &Node, diagnostics: &mut Vec<Diagnostic>| {
        if !mentions_self {
            return;
        }
        each_self(node, &mut |span| {
            diagnostics.push(
                Diagnostic::error("`self` is only available in a `postcondition`")
                    .at(span)
                    .with_note("note: `self` is the object the postcondition checks; elsewhere refer to a resource with `(ref TYPE \"NAME\")`"),
            )
        });
    };
    for resource in &module.resources {
        let lifecycle = &resource.lifecycle;
        for form in &resource.attributes {
            for arg in &form.args {
                self_outside(arg, diagnostics);
            }
        }
        for node in resource.count.iter().chain(resource.for_each.iter()) {
            self_outside(node, diagnostics);
        }
        for node in lifecycle.preconditions.iter().flat_map(condition_nodes) {
            self_outside(node, diagnostics);
        }
        for reference in &lifecycle.replace_triggered_by {
            self_outside(reference, diagnostics);
            if resource.mode == Mode::Data {
                diagnostics.push(
                    Diagnostic::error(
                        "`replace-triggered-by` belongs to managed resources, not data sources",
                    )
                    .at(reference.span),
                );
                continue;
            }
            let items = reference.as_list().unwrap_or_default();
            let (Some(t), Some(n)) = (
                items.get(1).and_then(Node::as_symbol),
                items.get(2).and_then(Node::as_name),
            ) else {
                continue;
            };
            if module.resource(Mode::Managed, t, n).is_none() {
                let declared: Vec<String> = module
                    .resources
                    .iter()
                    .filter(|r| r.mode == Mode::Managed)
                    .map(|r| format!("{} \"{}\"", r.type_name.text, r.name.text))
                    .collect();
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`replace-triggered-by` refers to undeclared resource `{t}.{n}`"
                    ))
                    .at(reference.span)
                    .with_suggestion(&format!("{t} \"{n}\""), declared.iter().map(String::as_str)),
                );
            } else if t == resource.type_name.text && n == resource.name.text {
                diagnostics.push(
                    Diagnostic::error("`replace-triggered-by` cannot refer to the resource itself")
                        .at(reference.span),
                );
            }
        }
    }
    for output in &module.outputs {
        self_outside(&output.value, diagnostics);
        for node in output.preconditions.iter().flat_map(condition_nodes) {
            self_outside(node, diagnostics);
        }
    }
    for local in &module.locals {
        self_outside(&local.value, diagnostics);
    }
    check_scoped_data(module, diagnostics);
    let mut names: Vec<&str> = Vec::new();
    for check in &module.checks {
        if names.contains(&check.name.as_str()) {
            diagnostics.push(
                Diagnostic::error(format!("duplicate check `{}`", check.name.text))
                    .at(check.name.span)
                    .with_label("declared again here"),
            );
        }
        names.push(check.name.as_str());
        for node in check.asserts.iter().flat_map(condition_nodes) {
            self_outside(node, diagnostics);
        }
    }
}

/// Calls `f` with the span of every bare `self` in `node` (not inside
/// `quote`).
fn each_self(node: &Node, f: &mut dyn FnMut(Span)) {
    match &node.kind {
        NodeKind::Symbol(s) if s.as_str() == SELF => f(node.span),
        NodeKind::List(items) => {
            if items.first().and_then(Node::as_symbol) == Some("quote") {
                return;
            }
            for item in items {
                each_self(item, f);
            }
        }
        _ => {}
    }
}

fn condition_nodes(c: &Condition) -> [&Node; 2] {
    [&c.condition, &c.message]
}

/// A check's scoped data source is referred to only from that check (its
/// assertions, or another of its data sources).
fn check_scoped_data(module: &Module, diagnostics: &mut Vec<Diagnostic>) {
    if module.checks.iter().all(|c| c.data.is_empty()) {
        return;
    }
    let refused = |t: &str, n: &str, owner: &Check, span: Span| {
        Diagnostic::error(format!(
            "`data.{t}.{n}` belongs to check `{}`: only that check can refer to it",
            owner.name.text
        ))
        .at(span)
    };
    // `within`: the check whose nodes these are, if any.
    let scan = |node: &Node, within: Option<&str>, diagnostics: &mut Vec<Diagnostic>| {
        super::each_form(node, "ref", &mut |items| {
            if items.get(1).and_then(Node::as_symbol) != Some("data") {
                return;
            }
            let (Some(t), Some(n)) = (
                items.get(2).and_then(Node::as_symbol),
                items.get(3).and_then(Node::as_name),
            ) else {
                return;
            };
            if let Some(owner) = module.check_of_data(t, n)
                && within != Some(owner.name.as_str())
            {
                diagnostics.push(refused(t, n, owner, items[0].span.to(items[3].span)));
            }
        });
    };
    for resource in &module.resources {
        let within = match resource.mode {
            Mode::Data => module
                .check_of_data(&resource.type_name.text, &resource.name.text)
                .map(|c| c.name.as_str()),
            Mode::Managed => None,
        };
        let lifecycle = &resource.lifecycle;
        let nodes = resource
            .attributes
            .iter()
            .flat_map(|f| &f.args)
            .chain(resource.count.iter())
            .chain(resource.for_each.iter())
            .chain(lifecycle.preconditions.iter().flat_map(condition_nodes))
            .chain(lifecycle.postconditions.iter().flat_map(condition_nodes))
            .chain(lifecycle.replace_triggered_by.iter());
        for node in nodes {
            scan(node, within, diagnostics);
        }
        for dep in &resource.depends_on {
            if let Some((Mode::Data, type_name, name)) = dep.block()
                && let Some(owner) = module.check_of_data(type_name, name)
                && within != Some(owner.name.as_str())
            {
                diagnostics.push(refused(type_name, name, owner, dep.span));
            }
        }
    }
    for output in &module.outputs {
        scan(&output.value, None, diagnostics);
        for node in output.preconditions.iter().flat_map(condition_nodes) {
            scan(node, None, diagnostics);
        }
    }
    for local in &module.locals {
        scan(&local.value, None, diagnostics);
    }
    for call in &module.calls {
        let nodes = call
            .inputs
            .iter()
            .flat_map(|f| &f.args)
            .chain(call.count.iter())
            .chain(call.for_each.iter());
        for node in nodes {
            scan(node, None, diagnostics);
        }
    }
    for check in &module.checks {
        for node in check.asserts.iter().flat_map(condition_nodes) {
            scan(node, Some(check.name.as_str()), diagnostics);
        }
    }
}
