//! Syntax nodes to the configuration model. Shape errors are collected, not
//! returned early, so `validate` reports every problem of a file at once.

use crate::model::*;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};
use nimbus_value::Type;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Forms allowed at the top level of a file or inside `define-infrastructure`.
pub const BLOCK_FORMS: &[&str] = &[
    "data",
    "define-infrastructure",
    "define-policy",
    "define-variables",
    "include",
    "locals",
    "output",
    "provider",
    "resource",
    "use-module",
];

/// Meta-arguments of `resource` and `data` blocks.
pub const META_ARGUMENTS: &[&str] = &["count", "depends-on", "for-each", "lifecycle", "provider"];

pub const POLICY_RULES: &[&str] = &["deny", "require-approval", "require-tags", "warn"];

pub(crate) struct Parser<'a> {
    pub module: &'a mut Module,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// Directory of the file being parsed, for module paths.
    pub file_dir: &'a Path,
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Parser<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(message).at(span));
    }

    pub fn top_level(&mut self, node: &Node) {
        let Some(items) = node.as_list() else {
            self.error(
                node.span,
                format!("expected a form such as `(resource ...)` at the top level, found {}", node.describe()),
            );
            return;
        };
        let Some(head) = items.first().and_then(Node::as_symbol) else {
            self.error(node.span, "expected a form name such as `resource` or `define-infrastructure`");
            return;
        };
        let args = &items[1..];
        match head {
            "define-infrastructure" => {
                match args.first().and_then(Node::as_name) {
                    Some(name) => self.module.infrastructure_names.push(Name {
                        text: name.to_string(),
                        span: args[0].span,
                    }),
                    None => self.error(
                        node.span,
                        "`define-infrastructure` needs a name: `(define-infrastructure NAME ...)`",
                    ),
                }
                for child in args.iter().skip(1) {
                    if child.head() == Some("define-infrastructure") {
                        self.error(child.span, "`define-infrastructure` cannot be nested");
                        continue;
                    }
                    self.top_level(child);
                }
            }
            "define-variables" => {
                for child in args {
                    self.variable(child);
                }
            }
            "locals" => {
                for child in args {
                    self.local(child);
                }
            }
            "provider" => self.provider(node, args),
            "resource" => self.resource(Mode::Managed, node, args),
            "data" => self.resource(Mode::Data, node, args),
            "output" => self.output(node, args),
            "use-module" => self.use_module(node, args),
            "include" => self.include(node, args),
            "define-policy" => self.policy(node, args),
            other => {
                let d = Diagnostic::error(format!("unknown form `{other}`"))
                    .at(items[0].span)
                    .with_suggestion(other, BLOCK_FORMS.iter().copied());
                self.diagnostics.push(d);
            }
        }
    }

    /// `(NAME ARGS...)` forms of a block body.
    fn attribute_forms(&mut self, nodes: &[Node], what: &str) -> Vec<AttributeForm> {
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            match node.as_list() {
                Some([head, rest @ ..]) if head.as_symbol().is_some() => out.push(AttributeForm {
                    name: Name {
                        text: head.as_symbol().unwrap_or_default().to_string(),
                        span: head.span,
                    },
                    args: rest.to_vec(),
                    span: node.span,
                }),
                _ => self.error(
                    node.span,
                    format!("expected an attribute `(NAME VALUE)` in {what}, found {}", node.describe()),
                ),
            }
        }
        out
    }

    fn name_arg(&mut self, form: &Node, args: &[Node], index: usize, what: &str) -> Option<Name> {
        match args.get(index) {
            Some(n) => match n.as_name() {
                Some(text) if is_identifier(text) => Some(Name {
                    text: text.to_string(),
                    span: n.span,
                }),
                Some(text) => {
                    self.error(
                        n.span,
                        format!("invalid {what} `{text}`: use letters, digits, `-` and `_`"),
                    );
                    None
                }
                None => {
                    self.error(n.span, format!("expected {what}, found {}", n.describe()));
                    None
                }
            },
            None => {
                self.error(form.span, format!("missing {what}"));
                None
            }
        }
    }

    fn variable(&mut self, node: &Node) {
        let Some([name_node, body @ ..]) = node.as_list() else {
            self.error(node.span, "expected a variable `(NAME (type ...) (default ...))`");
            return;
        };
        let Some(name) = self.name_arg(node, std::slice::from_ref(name_node), 0, "variable name") else {
            return;
        };
        let mut variable = Variable {
            name,
            ty: Type::Any,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
            span: node.span,
        };
        for form in self.attribute_forms(body, "a variable") {
            match form.name.as_str() {
                "type" => {
                    if let Some(t) = self.single_arg(&form).and_then(|n| self.type_expr(&n)) {
                        variable.ty = t;
                    }
                }
                "default" => variable.default = self.single_arg(&form),
                "description" => variable.description = self.string_arg(&form),
                "sensitive" => variable.sensitive = self.bool_arg(&form).unwrap_or(false),
                "nullable" => variable.nullable = self.bool_arg(&form).unwrap_or(true),
                "validation" => match form.args.as_slice() {
                    [condition, message] if message.as_str().is_some() => variable.validations.push(Validation {
                        condition: condition.clone(),
                        message: message.as_str().unwrap_or_default().to_string(),
                        span: form.span,
                    }),
                    _ => self.error(form.span, "expected `(validation CONDITION \"message\")`"),
                },
                other => {
                    let d = Diagnostic::error(format!("unknown variable setting `{other}`"))
                        .at(form.name.span)
                        .with_suggestion(
                            other,
                            ["type", "default", "description", "sensitive", "nullable", "validation"],
                        );
                    self.diagnostics.push(d);
                }
            }
        }
        self.module.variables.push(variable);
    }

    fn single_arg(&mut self, form: &AttributeForm) -> Option<Node> {
        match form.args.as_slice() {
            [one] => Some(one.clone()),
            [] => {
                self.error(form.span, format!("`{}` needs a value", form.name.text));
                None
            }
            [_, extra, ..] => {
                self.error(extra.span, format!("`{}` takes one value", form.name.text));
                None
            }
        }
    }

    fn string_arg(&mut self, form: &AttributeForm) -> Option<String> {
        let node = self.single_arg(form)?;
        match node.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(node.span, format!("`{}` must be a string", form.name.text));
                None
            }
        }
    }

    fn bool_arg(&mut self, form: &AttributeForm) -> Option<bool> {
        let node = self.single_arg(form)?;
        match node.kind {
            NodeKind::Bool(b) => Some(b),
            _ => {
                self.error(node.span, format!("`{}` must be #t or #f", form.name.text));
                None
            }
        }
    }

    /// `string`, `number`, `bool`, `any`, `(list T)`, `(set T)`, `(map T)`,
    /// `(object (NAME T) ...)`.
    pub fn type_expr(&mut self, node: &Node) -> Option<Type> {
        const NAMES: &[&str] = &["string", "number", "bool", "any", "list", "set", "map", "object"];
        if let Some(s) = node.as_symbol() {
            return match s {
                "string" => Some(Type::String),
                "number" => Some(Type::Number),
                "bool" => Some(Type::Bool),
                "any" => Some(Type::Any),
                other => {
                    let d = Diagnostic::error(format!("unknown type `{other}`"))
                        .at(node.span)
                        .with_suggestion(other, NAMES.iter().copied());
                    self.diagnostics.push(d);
                    None
                }
            };
        }
        match node.as_list() {
            Some([head, inner]) if matches!(head.as_symbol(), Some("list" | "set" | "map")) => {
                let inner = self.type_expr(inner)?;
                Some(match head.as_symbol() {
                    Some("list") => Type::list(inner),
                    Some("set") => Type::set(inner),
                    _ => Type::map(inner),
                })
            }
            Some([head, fields @ ..]) if head.as_symbol() == Some("object") => {
                let mut out = BTreeMap::new();
                for field in fields {
                    match field.as_list() {
                        Some([name, t]) if name.as_name().is_some() => {
                            let t = self.type_expr(t)?;
                            out.insert(name.as_name().unwrap_or_default().to_string(), t);
                        }
                        _ => {
                            self.error(field.span, "expected an object field `(NAME TYPE)`");
                            return None;
                        }
                    }
                }
                Some(Type::Object(out))
            }
            _ => {
                self.error(
                    node.span,
                    "expected a type: string, number, bool, any, (list T), (set T), (map T) or (object (NAME T) ...)",
                );
                None
            }
        }
    }

    fn local(&mut self, node: &Node) {
        match node.as_list() {
            Some([name, value]) => {
                if let Some(name) = self.name_arg(node, std::slice::from_ref(name), 0, "local name") {
                    self.module.locals.push(Local {
                        name,
                        value: value.clone(),
                        span: node.span,
                    });
                }
            }
            _ => self.error(node.span, "expected a local `(NAME EXPRESSION)`"),
        }
    }

    fn provider(&mut self, node: &Node, args: &[Node]) {
        let Some(name) = self.name_arg(node, args, 0, "provider name") else {
            return;
        };
        let mut alias = None;
        let mut attributes = Vec::new();
        for form in self.attribute_forms(&args[1..], "a provider") {
            if form.name.text == "alias" {
                let single = self.single_arg(&form);
                if let Some(n) = single {
                    alias = self.name_arg(node, std::slice::from_ref(&n), 0, "provider alias");
                }
            } else {
                attributes.push(form);
            }
        }
        self.module.providers.push(ProviderBlock {
            name,
            alias,
            attributes,
            span: node.span,
        });
    }

    fn resource(&mut self, mode: Mode, node: &Node, args: &[Node]) {
        let what = if mode == Mode::Data { "data source" } else { "resource" };
        let type_name = self.name_arg(node, args, 0, &format!("{what} type"));
        let name = self.name_arg(node, args, 1, &format!("{what} name"));
        let (Some(type_name), Some(name)) = (type_name, name) else {
            return;
        };
        let mut resource = Resource {
            mode,
            type_name,
            name,
            attributes: Vec::new(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            provider: None,
            lifecycle: Lifecycle::default(),
            span: node.span,
        };
        for form in self.attribute_forms(&args[2..], &format!("a {what}")) {
            match form.name.as_str() {
                "count" => resource.count = self.single_arg(&form),
                "for-each" => resource.for_each = self.single_arg(&form),
                "depends-on" => {
                    for dep in &form.args {
                        if let Some(d) = self.depends_on(dep) {
                            resource.depends_on.push(d);
                        }
                    }
                }
                "provider" => {
                    if let Some(n) = self.single_arg(&form) {
                        match n.as_name() {
                            Some(text) => {
                                resource.provider = Some(Name {
                                    text: text.to_string(),
                                    span: n.span,
                                })
                            }
                            None => self.error(n.span, "expected a provider name such as `aws` or `aws.west`"),
                        }
                    }
                }
                "lifecycle" => resource.lifecycle = self.lifecycle(&form),
                _ => resource.attributes.push(form),
            }
        }
        if resource.count.is_some() && resource.for_each.is_some() {
            self.error(node.span, format!("a {what} cannot have both `count` and `for-each`"));
        }
        self.module.resources.push(resource);
    }

    /// `(ref TYPE "NAME")`, `(ref data TYPE "NAME")`, or `(TYPE "NAME")`.
    fn depends_on(&mut self, node: &Node) -> Option<DependsOn> {
        let items = node.as_list().unwrap_or_default();
        let items = match items.first().and_then(Node::as_symbol) {
            Some("ref") => &items[1..],
            _ => items,
        };
        let (mode, items) = match items.first().and_then(Node::as_symbol) {
            Some("data") => (Mode::Data, &items[1..]),
            _ => (Mode::Managed, items),
        };
        match items {
            [t, n] if t.as_symbol().is_some() && n.as_name().is_some() => Some(DependsOn {
                mode,
                type_name: t.as_symbol().unwrap_or_default().to_string(),
                name: n.as_name().unwrap_or_default().to_string(),
                span: node.span,
            }),
            _ => {
                self.error(node.span, "expected a dependency `(ref TYPE \"NAME\")`");
                None
            }
        }
    }

    fn lifecycle(&mut self, form: &AttributeForm) -> Lifecycle {
        let mut lifecycle = Lifecycle::default();
        for setting in self.attribute_forms(&form.args, "lifecycle") {
            match setting.name.as_str() {
                "prevent-destroy" => lifecycle.prevent_destroy = self.bool_arg(&setting).unwrap_or(false),
                "create-before-destroy" => {
                    lifecycle.create_before_destroy = self.bool_arg(&setting).unwrap_or(false)
                }
                "ignore-changes" => {
                    for n in &setting.args {
                        match n.as_name() {
                            Some("all") if n.as_symbol().is_some() => lifecycle.ignore_all_changes = true,
                            Some(text) => lifecycle.ignore_changes.push(Name {
                                text: text.to_string(),
                                span: n.span,
                            }),
                            None => self.error(n.span, "expected an attribute name"),
                        }
                    }
                }
                other => {
                    let d = Diagnostic::error(format!("unknown lifecycle setting `{other}`"))
                        .at(setting.name.span)
                        .with_suggestion(other, ["prevent-destroy", "create-before-destroy", "ignore-changes"]);
                    self.diagnostics.push(d);
                }
            }
        }
        lifecycle
    }

    fn output(&mut self, node: &Node, args: &[Node]) {
        let Some(name) = self.name_arg(node, args, 0, "output name") else {
            return;
        };
        let mut value = None;
        let mut sensitive = false;
        let mut description = None;
        for form in self.attribute_forms(&args[1..], "an output") {
            match form.name.as_str() {
                "value" => value = self.single_arg(&form),
                "sensitive" => sensitive = self.bool_arg(&form).unwrap_or(false),
                "description" => description = self.string_arg(&form),
                other => {
                    let d = Diagnostic::error(format!("unknown output setting `{other}`"))
                        .at(form.name.span)
                        .with_suggestion(other, ["value", "sensitive", "description"]);
                    self.diagnostics.push(d);
                }
            }
        }
        match value {
            Some(value) => self.module.outputs.push(Output {
                name,
                value,
                sensitive,
                description,
                span: node.span,
            }),
            None => self.error(node.span, "output needs `(value EXPRESSION)`"),
        }
    }

    fn use_module(&mut self, node: &Node, args: &[Node]) {
        let (name, path_node) = match args {
            [path] => (None, path),
            [name, path] => (Some(name), path),
            _ => {
                self.error(node.span, "expected `(use-module [NAME] \"path\")`");
                return;
            }
        };
        let Some(path) = path_node.as_str() else {
            self.error(path_node.span, "the module path must be a string");
            return;
        };
        let resolved = self.file_dir.join(path);
        let name = match name {
            Some(n) => match self.name_arg(node, std::slice::from_ref(n), 0, "module name") {
                Some(n) => n,
                None => return,
            },
            None => {
                let stem = Path::new(path)
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                if !is_identifier(&stem) {
                    self.error(
                        path_node.span,
                        "cannot name this module from its path: write `(use-module NAME \"path\")`",
                    );
                    return;
                }
                Name {
                    text: stem,
                    span: path_node.span,
                }
            }
        };
        self.module.imports.push(ModuleImport {
            name,
            path: path.to_string(),
            resolved,
            span: node.span,
        });
    }

    fn include(&mut self, node: &Node, args: &[Node]) {
        let Some(module) = self.name_arg(node, args, 0, "module name") else {
            return;
        };
        let (name, rest) = match args.get(1) {
            Some(n) if n.as_str().is_some() => match self.name_arg(node, args, 1, "module instance name") {
                Some(name) => (name, &args[2..]),
                None => return,
            },
            _ => (module.clone(), &args[1..]),
        };
        let inputs = self.attribute_forms(rest, "a module's inputs");
        self.module.calls.push(ModuleCall {
            name,
            module,
            inputs,
            span: node.span,
        });
    }

    fn policy(&mut self, node: &Node, args: &[Node]) {
        let Some(name) = self.name_arg(node, args, 0, "policy name") else {
            return;
        };
        let mut rules = Vec::new();
        for form in self.attribute_forms(&args[1..], "a policy") {
            if !POLICY_RULES.contains(&form.name.as_str()) {
                let d = Diagnostic::error(format!("unknown policy rule `{}`", form.name.text))
                    .at(form.name.span)
                    .with_suggestion(&form.name.text, POLICY_RULES.iter().copied());
                self.diagnostics.push(d);
                continue;
            }
            for arg in &form.args {
                if let Some(items) = arg.as_list()
                    && items.first().and_then(Node::as_symbol) == Some("when")
                    && items.len() != 2
                {
                    self.error(arg.span, "expected `(when CONDITION)`");
                }
            }
            match form.name.as_str() {
                "deny" | "warn" if !form.args.first().is_some_and(|a| a.as_str().is_some()) => {
                    self.error(form.span, format!("`{}` needs an action string first, e.g. \"s3:DeleteBucket\"", form.name.text));
                }
                "require-tags" if form.args.is_empty() || form.args.iter().any(|a| a.as_str().is_none()) => {
                    self.error(form.span, "`require-tags` takes one or more tag names as strings");
                }
                _ => {}
            }
            rules.push(PolicyRule {
                kind: form.name.clone(),
                args: form.args.clone(),
                span: form.span,
            });
        }
        self.module.policies.push(Policy {
            name,
            rules,
            span: node.span,
        });
    }
}

/// Duplicate declarations, reported at the second one with a note pointing
/// at the first.
pub(crate) fn check_duplicates(module: &Module, sources: &nimbus_syntax::SourceMap, diagnostics: &mut Vec<Diagnostic>) {
    fn check<'a>(
        what: &str,
        items: impl Iterator<Item = (String, Span)>,
        sources: &nimbus_syntax::SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for (key, span) in items {
            if let Some(first) = seen.get(&key) {
                diagnostics.push(
                    Diagnostic::error(format!("duplicate {what} `{key}`"))
                        .at(span)
                        .with_note(format!("note: first declared at {}", sources.location(*first))),
                );
            } else {
                seen.insert(key, span);
            }
        }
    }
    check("variable", module.variables.iter().map(|v| (v.name.text.clone(), v.name.span)), sources, diagnostics);
    check("local", module.locals.iter().map(|l| (l.name.text.clone(), l.name.span)), sources, diagnostics);
    check("output", module.outputs.iter().map(|o| (o.name.text.clone(), o.name.span)), sources, diagnostics);
    check("provider configuration", module.providers.iter().map(|p| (p.address(), p.name.span)), sources, diagnostics);
    check("resource", module.resources.iter().map(|r| (r.address(), r.name.span)), sources, diagnostics);
    check("module", module.imports.iter().map(|m| (m.name.text.clone(), m.name.span)), sources, diagnostics);
    check("module instance", module.calls.iter().map(|c| (c.name.text.clone(), c.name.span)), sources, diagnostics);
    check("policy", module.policies.iter().map(|p| (p.name.text.clone(), p.name.span)), sources, diagnostics);
}
