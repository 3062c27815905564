//! Blocks to `.nim` top-level forms.

use crate::ast::{Attribute, Block, Body, Expression, ObjectKey, Structure};
use crate::{Binding, Lowerer, form, list, string, symbol};
use nimbus_syntax::{Diagnostic, Node, NodeKind, SPECIAL_FORMS, Span};

mod backend;
mod conditions;
mod policies;

/// Top-level block types of the Terraform language.
const BLOCK_TYPES: &[&str] = &[
    "check",
    "data",
    "import",
    "locals",
    "module",
    "moved",
    "output",
    "policy",
    "policy_file",
    "policy_set",
    "provider",
    "removed",
    "resource",
    "terraform",
    "variable",
];

/// Provider sources Nimbus always serves in process (its AWS provider, and
/// Terraform's own `terraform_data`), so a requirement naming them asks for
/// no plugin: it is dropped at lowering rather than sending the engine to a
/// plugin mirror. Requirements of hashicorp/null, random, local and time
/// are kept: the provider catalog serves them with the built-in provider
/// unless their version constraint or the lock asks for the plugin.
const SERVED_IN_PROCESS: &[&str] = &["hashicorp/aws", "terraform.io/builtin/terraform"];

/// Meta-arguments of `resource` and `data` blocks, with their `.nim` names.
const RESOURCE_META: &[(&str, &str)] = &[
    ("count", "count"),
    ("for_each", "for-each"),
    ("depends_on", "depends-on"),
    ("provider", "provider"),
];

impl Lowerer<'_> {
    pub(crate) fn top_level(&mut self, body: &Body) -> Vec<Node> {
        let mut forms = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let span = self.span_of(attribute, self.span_at(0, 0));
                    self.error(
                        span,
                        format!(
                            "unexpected attribute `{}` at the top level: a Terraform file holds blocks such as `resource` and `variable`",
                            attribute.key.as_str()
                        ),
                    );
                }
                Structure::Block(block) => self.block(block, &mut forms),
            }
        }
        forms
    }

    fn block(&mut self, block: &Block, out: &mut Vec<Node>) {
        let span = self.span_of(block, self.span_at(0, 0));
        let kind = block.ident.as_str();
        let kind_span = self.span_of(&block.ident, span);
        match kind {
            "terraform" => self.terraform(block, span, out),
            "variable" => {
                if let Some(variable) = self.variable(block, span) {
                    out.push(form("define-variables", vec![variable], span));
                }
            }
            "locals" => {
                let mut locals = Vec::new();
                for attribute in self.attributes_only(&block.body, "`locals`", span) {
                    let name_span = self.span_of(&attribute.key, span);
                    let value = self.expr(&attribute.value, span);
                    locals.push(list(
                        vec![symbol(attribute.key.as_str(), name_span), value],
                        self.span_of(attribute, span),
                    ));
                }
                out.push(form("locals", locals, span));
            }
            "output" => {
                if let Some(output) = self.output(block, span) {
                    out.push(output);
                }
            }
            "provider" => {
                if let Some(provider) = self.provider(block, span) {
                    out.push(provider);
                }
            }
            "resource" => out.extend(self.resource(block, "resource", span)),
            "data" => out.extend(self.resource(block, "data", span)),
            "module" => self.module(block, span, out),
            "check" => out.extend(self.check(block, span)),
            "moved" => out.extend(self.moved(block, span)),
            "removed" => out.extend(self.removed(block, span)),
            "import" => out.extend(self.import(block, span)),
            "policy" => out.extend(self.policy(block, span)),
            "policy_set" => out.extend(self.policy_set(block, span)),
            "policy_file" => out.extend(self.policy_file(block, span)),
            other => self.diagnostics.push(
                Diagnostic::error(format!("unknown block type `{other}`"))
                    .at(kind_span)
                    .with_suggestion(other, BLOCK_TYPES.iter().copied()),
            ),
        }
    }

    /// The labels of a block, which must be exactly `names` (for messages).
    fn labels<'b>(
        &mut self,
        block: &'b Block,
        names: &[&str],
        span: Span,
    ) -> Option<Vec<(&'b str, Span)>> {
        if block.labels.len() != names.len() {
            let kind = block.ident.as_str();
            let wanted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
            self.error(
                span,
                format!(
                    "a `{kind}` block takes {} label{}: `{kind} {} {{ ... }}`",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    wanted.join(" ")
                ),
            );
            return None;
        }
        let mut out = Vec::new();
        for label in &block.labels {
            let label_span = self.span_of(label, span);
            let text = label.as_str();
            let valid = !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                self.error(
                    label_span,
                    format!("invalid name {text:?}: use letters, digits, `-` and `_`"),
                );
                return None;
            }
            out.push((text, label_span));
        }
        Some(out)
    }

    /// The attributes of a body that may hold no blocks.
    fn attributes_only<'b>(
        &mut self,
        body: &'b Body,
        what: &str,
        span: Span,
    ) -> Vec<&'b Attribute> {
        let mut out = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(a) => out.push(a),
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    self.error(
                        at,
                        format!("{what} holds no blocks, found `{}`", b.ident.as_str()),
                    );
                }
            }
        }
        out
    }

    /// A literal string, or an error at the expression.
    fn literal_string(&mut self, value: &Expression, what: &str, span: Span) -> Option<String> {
        let at = self.span_of(value, span);
        match self.literal(value) {
            Some(NodeKind::String(s)) => Some(s),
            _ => {
                self.error(at, format!("{what} must be a literal string"));
                None
            }
        }
    }

    pub(crate) fn literal_bool(
        &mut self,
        value: &Expression,
        what: &str,
        span: Span,
    ) -> Option<bool> {
        let at = self.span_of(value, span);
        match value {
            Expression::Bool(b) => Some(*b.value()),
            _ => {
                self.error(at, format!("{what} must be `true` or `false`"));
                None
            }
        }
    }

    /// A string or a template without interpolations, as its text.
    pub(crate) fn literal(&self, value: &Expression) -> Option<NodeKind> {
        match value {
            Expression::String(s) => Some(NodeKind::String(s.value().to_string())),
            Expression::StringTemplate(t) => literal_text(t),
            Expression::HeredocTemplate(h) => literal_text(&h.template),
            _ => None,
        }
    }

    fn terraform(&mut self, block: &Block, span: Span, out: &mut Vec<Node>) {
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) => {
                    let at = self.span_of(a, span);
                    match a.key.as_str() {
                        "required_version" => self.required_version(&a.value, span),
                        "experiments" => self.experiments(&a.value, at),
                        other => self.error(
                            self.span_of(&a.key, at),
                            format!("unknown `terraform` setting `{other}`"),
                        ),
                    }
                }
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    match b.ident.as_str() {
                        "required_providers" => {
                            if let Some(requirements) = self.required_providers(b, at) {
                                out.push(requirements);
                            }
                        }
                        "backend" | "cloud" => {
                            if let Some(backend) = self.backend(b, at) {
                                out.push(backend);
                            }
                        }
                        "provider_meta" => self.unsupported(at, "`provider_meta`"),
                        other => self.error(
                            self.span_of(&b.ident, at),
                            format!("unknown `terraform` block `{other}`"),
                        ),
                    }
                }
            }
        }
    }

    /// `experiments = [...]`: Terraform 1.0's `module_variable_optional_attrs`
    /// concluded (in 1.3) as the `optional()` Nimbus reads, an attribute
    /// left out being null as it was in the experiment, so it is only a
    /// warning; any other experiment changes the language in a way Nimbus
    /// does not read.
    fn experiments(&mut self, value: &Expression, span: Span) {
        let at = self.span_of(value, span);
        let Expression::Array(items) = value else {
            self.error(at, "`experiments` must be a list of experiment names");
            return;
        };
        for item in items.iter() {
            let item_span = self.span_of(item, at);
            let name = match item {
                Expression::Variable(v) => Some(v.as_str()),
                _ => None,
            };
            match name {
                Some("module_variable_optional_attrs") => self.diagnostics.push(
                    Diagnostic::warning(
                        "the experiment `module_variable_optional_attrs` has concluded: `optional()` object attributes are part of the language Nimbus reads",
                    )
                    .at(item_span)
                    .with_label("not needed")
                    .with_note("note: an optional attribute left out is null, as in the experiment"),
                ),
                Some(other) => {
                    self.unsupported(item_span, &format!("the experiment `{other}`"));
                }
                None => self.error(
                    item_span,
                    "an experiment is named by a keyword, e.g. `module_variable_optional_attrs`",
                ),
            }
        }
    }

    fn required_version(&mut self, value: &Expression, span: Span) {
        let at = self.span_of(value, span);
        let Some(constraint) = self.literal_string(value, "`required_version`", span) else {
            return;
        };
        let [major, minor, patch] = crate::SUPPORTED_TERRAFORM_VERSION;
        match crate::satisfies(&constraint, crate::SUPPORTED_TERRAFORM_VERSION) {
            Ok(true) => {}
            Ok(false) => self.diagnostics.push(
                Diagnostic::error(format!(
                    "this configuration requires Terraform `{constraint}`; Nimbus reads the language of Terraform {major}.{minor}.{patch}"
                ))
                .at(at)
                .with_label("not satisfied by 1.5"),
            ),
            Err(e) => self.error(at, e.to_string()),
        }
    }

    /// `required_providers { aws = { source = "...", version = "..." } }`
    /// to `(required-providers (aws (source "...") (version "...")))`.
    fn required_providers(&mut self, block: &Block, span: Span) -> Option<Node> {
        let mut entries = Vec::new();
        for attribute in self.attributes_only(&block.body, "`required_providers`", span) {
            let at = self.span_of(attribute, span);
            let name = symbol(attribute.key.as_str(), self.span_of(&attribute.key, at));
            let mut entry = vec![name];
            match &attribute.value {
                Expression::Object(object) => {
                    for (key, value) in object.iter() {
                        let key_span = self.span_of(key, at);
                        let key_text = match key {
                            ObjectKey::Ident(i) => Some(i.as_str().to_string()),
                            ObjectKey::Expression(e) => match self.literal(e) {
                                Some(NodeKind::String(s)) => Some(s),
                                _ => None,
                            },
                        };
                        match key_text.as_deref() {
                            Some(setting @ ("source" | "version")) => {
                                if let Some(text) =
                                    self.literal_string(value.expr(), &format!("`{setting}`"), at)
                                {
                                    let value_span = self.span_of(value.expr(), at);
                                    entry.push(list(
                                        vec![symbol(setting, key_span), string(text, value_span)],
                                        key_span.to(value_span),
                                    ));
                                }
                            }
                            Some("configuration_aliases") => {
                                // A declaration of the aliased
                                // configurations a caller passes
                                // (`providers`): Nimbus resolves what is
                                // passed without it, so it is only checked.
                                let value_span = self.span_of(value.expr(), at);
                                match value.expr() {
                                    Expression::Array(items) => {
                                        for item in items.iter() {
                                            self.provider_reference(item, value_span);
                                        }
                                    }
                                    _ => self.error(
                                        value_span,
                                        "`configuration_aliases` is a list of provider configurations: `[aws.east]`",
                                    ),
                                }
                            }
                            _ => self.error(
                                key_span,
                                "a provider requirement has `source` and `version`",
                            ),
                        }
                    }
                }
                // Terraform 0.12's shorthand: a version constraint alone.
                value => {
                    if let Some(text) = self.literal_string(value, "a provider requirement", at) {
                        let value_span = self.span_of(value, at);
                        entry.push(form("version", vec![string(text, value_span)], value_span));
                    }
                }
            }
            let in_process = entry.iter().any(|setting| {
                setting.head() == Some("source")
                    && setting
                        .as_list()
                        .and_then(|s| s.get(1))
                        .and_then(Node::as_str)
                        .is_some_and(|source| {
                            let source = source.to_ascii_lowercase();
                            let source = source
                                .strip_prefix("registry.terraform.io/")
                                .unwrap_or(&source);
                            SERVED_IN_PROCESS.contains(&source)
                        })
            });
            if !in_process {
                entries.push(list(entry, at));
            }
        }
        if entries.is_empty() {
            return None;
        }
        Some(form("required-providers", entries, span))
    }

    fn variable(&mut self, block: &Block, span: Span) -> Option<Node> {
        let labels = self.labels(block, &["NAME"], span)?;
        let (name, name_span) = labels[0];
        let mut items = vec![symbol(name, name_span)];
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) => {
                    let at = self.span_of(a, span);
                    let key = a.key.as_str();
                    let key_span = self.span_of(&a.key, at);
                    let value = match key {
                        "type" => self.type_expr(&a.value, at),
                        "default" => Some(self.expr(&a.value, at)),
                        "description" => self
                            .literal_string(&a.value, "`description`", at)
                            .map(|s| string(s, self.span_of(&a.value, at))),
                        "sensitive" | "nullable" => self
                            .literal_bool(&a.value, &format!("`{key}`"), at)
                            .map(|b| Node {
                                kind: NodeKind::Bool(b),
                                span: self.span_of(&a.value, at),
                            }),
                        other => {
                            self.diagnostics.push(
                                Diagnostic::error(format!("unknown variable setting `{other}`"))
                                    .at(key_span)
                                    .with_suggestion(
                                        other,
                                        ["type", "default", "description", "sensitive", "nullable"],
                                    ),
                            );
                            None
                        }
                    };
                    if let Some(value) = value {
                        items.push(list(vec![symbol(key, key_span), value], at));
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "validation" => {
                    let at = self.span_of(b, span);
                    let mut condition = None;
                    let mut message = None;
                    for a in self.attributes_only(&b.body, "`validation`", at) {
                        match a.key.as_str() {
                            "condition" => condition = Some(self.expr(&a.value, at)),
                            "error_message" => {
                                let value_span = self.span_of(&a.value, at);
                                message = self
                                    .literal_string(&a.value, "`error_message`", at)
                                    .map(|m| string(m, value_span));
                            }
                            other => self.error(
                                self.span_of(&a.key, at),
                                format!("unknown validation setting `{other}`: expected `condition` or `error_message`"),
                            ),
                        }
                    }
                    match (condition, message) {
                        (Some(c), Some(m)) => {
                            items.push(form("validation", vec![c, m], at));
                        }
                        _ => self.error(
                            at,
                            "a `validation` block needs `condition` and `error_message`",
                        ),
                    }
                }
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    self.error(
                        at,
                        format!("unexpected block `{}` in a variable", b.ident.as_str()),
                    );
                }
            }
        }
        Some(list(items, span))
    }

    /// Terraform type constraints to `.nim` types.
    fn type_expr(&mut self, value: &Expression, span: Span) -> Option<Node> {
        let at = self.span_of(value, span);
        match value {
            Expression::Variable(v) => Some(symbol(v.as_str(), at)),
            Expression::FuncCall(call) if call.name.namespace.is_empty() => {
                let name = call.name.name.as_str();
                let args: Vec<&Expression> = call.args.iter().collect();
                match (name, args.as_slice()) {
                    ("list" | "set" | "map", [inner]) => {
                        let inner = self.type_expr(inner, at)?;
                        Some(form(name, vec![inner], at))
                    }
                    ("object", [Expression::Object(fields)]) => {
                        let mut items = Vec::new();
                        for (key, field) in fields.iter() {
                            let key_span = self.span_of(key, at);
                            let key_name = match key {
                                ObjectKey::Ident(i) => i.as_str().to_string(),
                                ObjectKey::Expression(e) => match self.literal(e) {
                                    Some(NodeKind::String(s)) => s,
                                    _ => {
                                        self.error(key_span, "an object type's attribute names are written literally");
                                        return None;
                                    }
                                },
                            };
                            let field_type = self.field_type_expr(field.expr(), at)?;
                            items.push(list(
                                vec![symbol(&key_name, key_span), field_type],
                                key_span,
                            ));
                        }
                        Some(form("object", items, at))
                    }
                    ("optional", _) => {
                        self.error(
                            at,
                            "`optional(...)` is only valid as the type of an object's attribute",
                        );
                        None
                    }
                    ("tuple", [Expression::Array(elements)]) => {
                        let mut items = Vec::new();
                        for element in elements.iter() {
                            items.push(self.type_expr(element, at)?);
                        }
                        Some(form("tuple", items, at))
                    }
                    _ => {
                        self.error(at, "expected a type: string, number, bool, any, list(T), set(T), map(T), object({...}) or tuple([...])");
                        None
                    }
                }
            }
            _ => {
                self.error(at, "expected a type: string, number, bool, any, list(T), set(T), map(T), object({...}) or tuple([...])");
                None
            }
        }
    }

    /// An object attribute's type: a type, or `optional(T)` /
    /// `optional(T, DEFAULT)` as `(optional T DEFAULT)` (the configuration
    /// parser checks that DEFAULT is a literal of type T).
    fn field_type_expr(&mut self, value: &Expression, span: Span) -> Option<Node> {
        let at = self.span_of(value, span);
        match value {
            Expression::FuncCall(call)
                if call.name.namespace.is_empty() && call.name.name.as_str() == "optional" =>
            {
                let args: Vec<&Expression> = call.args.iter().collect();
                match args.as_slice() {
                    [inner] => {
                        let inner = self.type_expr(inner, at)?;
                        Some(form("optional", vec![inner], at))
                    }
                    [inner, default] => {
                        let inner = self.type_expr(inner, at)?;
                        let default = self.expr(default, at);
                        Some(form("optional", vec![inner, default], at))
                    }
                    _ => {
                        self.error(
                            at,
                            "`optional` takes a type and, optionally, a default value",
                        );
                        None
                    }
                }
            }
            _ => self.type_expr(value, span),
        }
    }

    fn output(&mut self, block: &Block, span: Span) -> Option<Node> {
        let labels = self.labels(block, &["NAME"], span)?;
        let (name, name_span) = labels[0];
        let mut items = vec![string(name, name_span)];
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) => {
                    let at = self.span_of(a, span);
                    let key_span = self.span_of(&a.key, at);
                    let value = match a.key.as_str() {
                        "value" => Some(("value", vec![self.expr(&a.value, at)])),
                        "description" => self
                            .literal_string(&a.value, "`description`", at)
                            .map(|s| ("description", vec![string(s, self.span_of(&a.value, at))])),
                        "sensitive" => self.literal_bool(&a.value, "`sensitive`", at).map(|b| {
                            let node = Node {
                                kind: NodeKind::Bool(b),
                                span: self.span_of(&a.value, at),
                            };
                            ("sensitive", vec![node])
                        }),
                        // `depends_on = []` says nothing (and an entry
                        // that could not be read is reported already).
                        "depends_on" => Some(("depends-on", self.depends_on(&a.value, at)))
                            .filter(|(_, deps)| !deps.is_empty()),
                        other => {
                            self.diagnostics.push(
                                Diagnostic::error(format!("unknown output setting `{other}`"))
                                    .at(key_span)
                                    .with_suggestion(
                                        other,
                                        ["value", "description", "sensitive", "depends_on"],
                                    ),
                            );
                            None
                        }
                    };
                    if let Some((key, args)) = value {
                        items.push(form_at(key, key_span, args, at));
                    }
                }
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    match b.ident.as_str() {
                        "precondition" => items.extend(self.condition_block(b, at)),
                        other => self.error(at, format!("unexpected block `{other}` in an output")),
                    }
                }
            }
        }
        Some(form("output", items, span))
    }

    fn provider(&mut self, block: &Block, span: Span) -> Option<Node> {
        let labels = self.labels(block, &["NAME"], span)?;
        let (name, name_span) = labels[0];
        let mut items = vec![symbol(name, name_span)];
        let mut rest = Vec::new();
        for structure in block.body.iter() {
            if let Structure::Attribute(a) = structure
                && a.key.as_str() == "alias"
            {
                let at = self.span_of(a, span);
                if let Some(alias) = self.literal_string(&a.value, "`alias`", at) {
                    let key_span = self.span_of(&a.key, at);
                    items.push(form_at(
                        "alias",
                        key_span,
                        vec![symbol(&alias, self.span_of(&a.value, at))],
                        at,
                    ));
                }
                continue;
            }
            rest.push(structure);
        }
        items.extend(self.body_forms(rest, false, span));
        Some(form("provider", items, span))
    }

    /// `resource "T" "N" { ... }` or `data "T" "N" { ... }`.
    fn resource(&mut self, block: &Block, keyword: &str, span: Span) -> Option<Node> {
        let labels = self.labels(block, &["TYPE", "NAME"], span)?;
        let (type_name, type_span) = labels[0];
        let (name, name_span) = labels[1];
        let mut items = vec![symbol(type_name, type_span), string(name, name_span)];
        // Source order is kept, so that a converted file reads like the
        // original.
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    let Some((_, meta)) = RESOURCE_META.iter().find(|(k, _)| *k == key) else {
                        items.extend(self.body_forms(vec![structure], false, span));
                        continue;
                    };
                    let at = self.span_of(a, span);
                    let key_span = self.span_of(&a.key, at);
                    let args = match *meta {
                        "depends-on" => self.depends_on(&a.value, at),
                        "provider" => self.provider_reference(&a.value, at).into_iter().collect(),
                        _ => vec![self.expr(&a.value, at)],
                    };
                    // `depends_on = []` says nothing (and an entry that
                    // could not be read is reported already).
                    if *meta == "depends-on" && args.is_empty() {
                        continue;
                    }
                    items.push(form_at(meta, key_span, args, at));
                }
                Structure::Block(b) if b.ident.as_str() == "lifecycle" => {
                    let at = self.span_of(b, span);
                    items.push(self.lifecycle(b, at));
                }
                Structure::Block(b) if b.ident.as_str() == "policy_exception" => {
                    let at = self.span_of(b, span);
                    items.extend(self.policy_exception(b, at));
                }
                Structure::Block(_) => items.extend(self.body_forms(vec![structure], false, span)),
            }
        }
        Some(form(keyword, items, span))
    }

    /// `provider = aws.west` to the symbol `aws.west`. The name is a bare
    /// word, so `null` (hashicorp/null's local name, which HCL reads as the
    /// null keyword) names a provider here too.
    pub(crate) fn provider_reference(&mut self, value: &Expression, span: Span) -> Option<Node> {
        let at = self.span_of(value, span);
        let name = |e: &Expression| match e {
            Expression::Variable(v) => Some(v.as_str().to_string()),
            Expression::Null(_) => Some("null".to_string()),
            _ => None,
        };
        match value {
            Expression::Traversal(t) => match (name(&t.expr), t.operators.as_slice()) {
                (Some(provider), [op]) => match op.value() {
                    crate::ast::TraversalOperator::GetAttr(alias) => {
                        Some(symbol(&format!("{provider}.{}", alias.as_str()), at))
                    }
                    _ => None,
                },
                _ => None,
            },
            other => name(other).map(|provider| symbol(&provider, at)),
        }
        .or_else(|| {
            self.error(
                at,
                "expected a provider configuration such as `aws` or `aws.west`",
            );
            None
        })
    }

    /// A module's `providers = { aws = aws.west, aws.east = aws }` to
    /// `(aws aws.west)` `(aws.east aws)` entries.
    fn passed_providers(&mut self, value: &Expression, span: Span) -> Vec<Node> {
        let at = self.span_of(value, span);
        let Expression::Object(object) = value else {
            self.error(
                at,
                "`providers` is a map of provider configurations: `{ aws = aws.west }`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, item) in object.iter() {
            let key_span = self.span_of(key, at);
            let inner = match key {
                ObjectKey::Ident(name) => Some(symbol(name.as_str(), key_span)),
                // A JSON document's keys are strings: `{"aws.east": ...}`.
                ObjectKey::Expression(e) => match self.literal(e) {
                    Some(NodeKind::String(name))
                        if !name.is_empty()
                            && name.split('.').count() <= 2
                            && name.split('.').all(|part| !part.is_empty()) =>
                    {
                        Some(symbol(&name, key_span))
                    }
                    _ => self.provider_reference(e, key_span),
                },
            };
            let outer = self.provider_reference(item.expr(), at);
            if let (Some(inner), Some(outer)) = (inner, outer) {
                let entry_span = inner.span.to(outer.span);
                out.push(list(vec![inner, outer], entry_span));
            }
        }
        out
    }

    /// `depends_on = [aws_s3_bucket.b, data.x.y]` to `(ref ...)` forms.
    fn depends_on(&mut self, value: &Expression, span: Span) -> Vec<Node> {
        let at = self.span_of(value, span);
        let Expression::Array(items) = value else {
            self.error(
                at,
                "`depends_on` is a list of references: `[aws_s3_bucket.b]`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let item_span = self.span_of(item, at);
            let lowered = self.expr(item, at);
            let is_block_reference = lowered.head() == Some("ref")
                && lowered.as_list().is_some_and(|parts| {
                    let names = if parts.get(1).and_then(Node::as_symbol) == Some("data") {
                        4
                    } else {
                        3
                    };
                    parts.len() == names
                });
            let whole_module = (lowered.head() == Some("module-outputs"))
                .then(|| lowered.as_list())
                .flatten()
                .and_then(|parts| match parts {
                    [_, name] => name.as_symbol().map(|n| symbol(n, name.span)),
                    _ => None,
                });
            if is_block_reference {
                out.push(lowered);
            } else if let Some(name) = whole_module {
                // `module.NAME`: everything of that module call.
                out.push(list(vec![symbol("module", item_span), name], item_span));
            } else if matches!(lowered.head(), Some("module-output" | "module-outputs"))
                || is_module(item)
            {
                self.error(
                    item_span,
                    "`depends_on` names a whole module call, e.g. `module.network`",
                );
            } else {
                self.error(
                    item_span,
                    "`depends_on` names whole resources or data sources, e.g. `aws_s3_bucket.b`",
                );
            }
        }
        out
    }

    fn lifecycle(&mut self, block: &Block, span: Span) -> Node {
        let mut settings = Vec::new();
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) => {
                    let at = self.span_of(a, span);
                    let key_span = self.span_of(&a.key, at);
                    match a.key.as_str() {
                        key @ ("create_before_destroy" | "prevent_destroy") => {
                            if let Some(b) = self.literal_bool(&a.value, &format!("`{key}`"), at) {
                                let value = Node {
                                    kind: NodeKind::Bool(b),
                                    span: self.span_of(&a.value, at),
                                };
                                settings.push(form_at(
                                    &key.replace('_', "-"),
                                    key_span,
                                    vec![value],
                                    at,
                                ));
                            }
                        }
                        "ignore_changes" => {
                            let names = self.ignore_changes(&a.value, at);
                            settings.push(form_at("ignore-changes", key_span, names, at));
                        }
                        "replace_triggered_by" => {
                            let references = self.replace_triggered_by(&a.value, at);
                            settings.push(form_at(
                                "replace-triggered-by",
                                key_span,
                                references,
                                at,
                            ));
                        }
                        other => self.diagnostics.push(
                            Diagnostic::error(format!("unknown lifecycle setting `{other}`"))
                                .at(key_span)
                                .with_suggestion(
                                    other,
                                    [
                                        "create_before_destroy",
                                        "prevent_destroy",
                                        "ignore_changes",
                                        "replace_triggered_by",
                                    ],
                                ),
                        ),
                    }
                }
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    match b.ident.as_str() {
                        "precondition" | "postcondition" => {
                            settings.extend(self.condition_block(b, at))
                        }
                        other => {
                            self.error(at, format!("unexpected block `{other}` in `lifecycle`"))
                        }
                    }
                }
            }
        }
        let head_span = self.span_of(&block.ident, span);
        form_at("lifecycle", head_span, settings, span)
    }

    /// `ignore_changes = [tags, name]` or `all`.
    fn ignore_changes(&mut self, value: &Expression, span: Span) -> Vec<Node> {
        let at = self.span_of(value, span);
        match value {
            Expression::Variable(v) if v.as_str() == "all" => vec![symbol("all", at)],
            Expression::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    let item_span = self.span_of(item, at);
                    match item {
                        Expression::Variable(v) => out.push(symbol(v.as_str(), item_span)),
                        _ => match self.literal(item) {
                            Some(NodeKind::String(s)) => out.push(string(s, item_span)),
                            _ => self.unsupported(item_span, "a nested path in `ignore_changes`"),
                        },
                    }
                }
                out
            }
            _ => {
                self.error(at, "`ignore_changes` is `all` or a list of attribute names");
                Vec::new()
            }
        }
    }

    /// `module "x" { source = "./m" ... }` to `(use-module x "./m")` and
    /// `(include x "x" ...)`.
    fn module(&mut self, block: &Block, span: Span, out: &mut Vec<Node>) {
        let Some(labels) = self.labels(block, &["NAME"], span) else {
            return;
        };
        let (name, name_span) = labels[0];
        let mut source = None;
        // Written, even if wrongly (then already reported).
        let mut source_written = false;
        let mut meta = Vec::new();
        let mut rest = Vec::new();
        for structure in block.body.iter() {
            let Structure::Attribute(a) = structure else {
                rest.push(structure);
                continue;
            };
            let at = self.span_of(a, span);
            let key_span = self.span_of(&a.key, at);
            match a.key.as_str() {
                "source" => {
                    source_written = true;
                    let value_span = self.span_of(&a.value, at);
                    if let Some(path) = self.literal_string(&a.value, "`source`", at) {
                        if path.starts_with("./") || path.starts_with("../") {
                            source = Some(string(path, value_span));
                        } else {
                            self.diagnostics.push(
                                Diagnostic::error(format!("module source `{path}` is not a local path"))
                                    .at(value_span)
                                    .with_label("not supported yet")
                                    .with_note("note: Nimbus loads modules from local directories (`./` or `../`) only, for now"),
                            );
                        }
                    }
                }
                "count" => meta.push(form_at(
                    "count",
                    key_span,
                    vec![self.expr(&a.value, at)],
                    at,
                )),
                "for_each" => meta.push(form_at(
                    "for-each",
                    key_span,
                    vec![self.expr(&a.value, at)],
                    at,
                )),
                "version" => self.unsupported(at, "a module `version` (registry modules)"),
                // `providers = {}` and `depends_on = []` say nothing (and
                // an entry that could not be read is reported already).
                "providers" => {
                    let entries = self.passed_providers(&a.value, at);
                    if !entries.is_empty() {
                        meta.push(form_at("providers", key_span, entries, at));
                    }
                }
                "depends_on" => {
                    let dependencies = self.depends_on(&a.value, at);
                    if !dependencies.is_empty() {
                        meta.push(form_at("depends-on", key_span, dependencies, at));
                    }
                }
                _ => rest.push(structure),
            }
        }
        let Some(source) = source else {
            if !source_written {
                self.error(span, format!("module `{name}` needs `source = \"./PATH\"`"));
            }
            return;
        };
        out.push(form(
            "use-module",
            vec![symbol(name, name_span), source],
            span,
        ));
        let mut items = vec![symbol(name, name_span), string(name, name_span)];
        items.extend(meta);
        items.extend(self.body_forms(rest, false, span));
        out.push(form("include", items, span));
    }

    /// The attributes and nested blocks of a body as `(NAME VALUE)` forms.
    /// In a nested block (`nested`), the forms are entries of an object,
    /// whose key is written as a string where a bare name would read as a
    /// function call.
    fn body_forms(&mut self, structures: Vec<&Structure>, nested: bool, span: Span) -> Vec<Node> {
        let mut out = Vec::new();
        for structure in structures {
            match structure {
                Structure::Attribute(a) => {
                    let at = self.span_of(a, span);
                    let key_span = self.span_of(&a.key, at);
                    let value = self.expr(&a.value, at);
                    out.push(list(
                        vec![entry_key(a.key.as_str(), key_span, nested), value],
                        at,
                    ));
                }
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    let kind = b.ident.as_str();
                    let kind_span = self.span_of(&b.ident, at);
                    match kind {
                        "provisioner" | "connection" => self.diagnostics.push(
                            Diagnostic::error(format!(
                                "`{kind}` blocks are not supported: Nimbus has no provisioners"
                            ))
                            .at(kind_span
                                .to(b.labels.first().map_or(kind_span, |l| self.span_of(l, at))))
                            .with_note(
                                "help: model the work as a resource, or run it outside Nimbus",
                            ),
                        ),
                        "dynamic" => {
                            if let Some((name, name_span, value)) = self.dynamic(b, at) {
                                let key = entry_key(&name, name_span, nested);
                                out.push(list(vec![key, value], at));
                            }
                        }
                        "lifecycle" if !nested => {
                            self.error(kind_span, "`lifecycle` belongs in a resource or data block")
                        }
                        _ if !b.labels.is_empty() => {
                            self.error(at, format!("a nested block `{kind}` takes no labels"))
                        }
                        _ => {
                            let mut items = vec![entry_key(kind, kind_span, nested)];
                            items.extend(self.body_forms(b.body.iter().collect(), true, at));
                            out.push(list(items, at));
                        }
                    }
                }
            }
        }
        out
    }

    /// `dynamic "NAME" { for_each = C  iterator = I  content { ... } }` to
    /// NAME and `(for ((I.key I.value C)) (map ...))`, which becomes the
    /// attribute form `(NAME (for ...))`: its value is the list of objects
    /// the comprehension makes, one per element, and references
    /// `I.key`/`I.value` in the content are the bound names.
    fn dynamic(&mut self, block: &Block, span: Span) -> Option<(String, Span, Node)> {
        let labels = self.labels(block, &["NAME"], span)?;
        let (name, name_span) = labels[0];
        let mut collection = None;
        let mut iterator = name.to_string();
        let mut content = None;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "for_each" => {
                    collection = Some(&a.value)
                }
                Structure::Attribute(a) if a.key.as_str() == "iterator" => match &a.value {
                    Expression::Variable(v) => iterator = v.as_str().to_string(),
                    other => {
                        let at = self.span_of(other, span);
                        self.error(at, "`iterator` is a name, e.g. `iterator = rule`");
                    }
                },
                Structure::Attribute(a) if a.key.as_str() == "labels" => {
                    let at = self.span_of(a, span);
                    self.unsupported(at, "`labels` in a dynamic block");
                }
                Structure::Block(b) if b.ident.as_str() == "content" => content = Some(b),
                other => {
                    let at = self.span_of(other, span);
                    self.error(
                        at,
                        "a dynamic block holds `for_each`, `iterator` and one `content` block",
                    );
                }
            }
        }
        let (Some(collection), Some(content)) = (collection, content) else {
            self.error(
                span,
                "a dynamic block needs `for_each` and a `content` block",
            );
            return None;
        };
        let collection = self.expr(collection, span);
        let key_name = format!("{iterator}.key");
        let value_name = format!("{iterator}.value");
        self.scopes.push((iterator, Binding::Iterator));
        let content_span = self.span_of(content, span);
        let object = self.object_of_body(&content.body, content_span);
        self.scopes.pop();
        let binding = list(
            vec![
                symbol(&key_name, name_span),
                symbol(&value_name, name_span),
                collection,
            ],
            name_span,
        );
        let comprehension = form("for", vec![list(vec![binding], name_span), object], span);
        Some((name.to_string(), name_span, comprehension))
    }

    /// A block body as one `(map ...)` expression, for `dynamic` content:
    /// nested blocks become lists of objects under their name.
    fn object_of_body(&mut self, body: &Body, span: Span) -> Node {
        let mut entries: Vec<Node> = Vec::new();
        // Nested blocks of one name gather into one list (or, with
        // `dynamic` ones among them, a concatenation of lists).
        let mut groups: Vec<(String, Span, Vec<Node>)> = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(a) => {
                    let at = self.span_of(a, span);
                    let value = self.expr(&a.value, at);
                    entries.push(list(
                        vec![string(a.key.as_str(), self.span_of(&a.key, at)), value],
                        at,
                    ));
                }
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    let (name, part) = if b.ident.as_str() == "dynamic" {
                        match self.dynamic(b, at) {
                            Some((name, _, comprehension)) => (name, comprehension),
                            None => continue,
                        }
                    } else if matches!(b.ident.as_str(), "provisioner" | "connection") {
                        self.body_forms(vec![structure], true, span);
                        continue;
                    } else {
                        let object = self.object_of_body(&b.body, at);
                        (b.ident.as_str().to_string(), form("list", vec![object], at))
                    };
                    match groups.iter_mut().find(|(n, _, _)| *n == name) {
                        Some((_, _, parts)) => parts.push(part),
                        None => groups.push((name, at, vec![part])),
                    }
                }
            }
        }
        for (name, at, mut parts) in groups {
            let value = if parts.len() == 1 {
                parts.pop().unwrap_or_else(|| form("list", Vec::new(), at))
            } else {
                form("concat", parts, at)
            };
            entries.push(list(vec![string(&name, at), value], at));
        }
        form("map", entries, span)
    }
}

/// `(HEAD ARGS...)` with the head located at `head_span`.
fn form_at(head: &str, head_span: Span, args: Vec<Node>, span: Span) -> Node {
    let mut items = vec![symbol(head, head_span)];
    items.extend(args);
    list(items, span)
}

/// The key of an attribute form: a symbol, except in a nested block where
/// a name of a function or special form would read as a call.
fn entry_key(name: &str, span: Span, nested: bool) -> Node {
    let reads_as_call = SPECIAL_FORMS.contains(&name) || nimbus_stdlib::lookup(name).is_some();
    if nested && reads_as_call {
        string(name, span)
    } else {
        symbol(name, span)
    }
}

/// `module.x` or `module.x.y` written in HCL.
fn is_module(value: &Expression) -> bool {
    match value {
        Expression::Traversal(t) => {
            matches!(&t.expr, Expression::Variable(v) if v.as_str() == "module")
        }
        _ => false,
    }
}

/// The text of a template without interpolations or directives.
fn literal_text(template: &crate::ast::Template) -> Option<NodeKind> {
    let mut text = String::new();
    for element in template.iter() {
        text.push_str(element.as_literal()?.value());
    }
    Some(NodeKind::String(text))
}
