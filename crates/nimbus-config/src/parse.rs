//! Syntax nodes to the configuration model. Shape errors are collected, not
//! returned early, so `validate` reports every problem of a file at once.

use crate::model::*;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};
use nimbus_value::{Number, Type, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

mod backend;
mod policy_sets;
pub(crate) mod refactor;
pub use backend::{BACKEND_KINDS, postgres_url_has_password};
pub use policy_sets::{BUILTIN_RULE_SETS, BuiltinRule, BuiltinRuleSet};

/// Forms allowed at the top level of a file or inside `define-infrastructure`.
pub const BLOCK_FORMS: &[&str] = &[
    "backend",
    "begin",
    "check",
    "data",
    "define",
    "define-infrastructure",
    "define-policy",
    "define-syntax",
    "define-variables",
    "import",
    "include",
    "locals",
    "moved",
    "output",
    "policy-file",
    "provider",
    "removed",
    "required-providers",
    "resource",
    "use-module",
    "use-policies",
];

/// Meta-arguments of `resource` and `data` blocks.
pub const META_ARGUMENTS: &[&str] = &["count", "depends-on", "for-each", "lifecycle", "provider"];

pub const POLICY_RULES: &[&str] = &["deny", "require-approval", "require-tags", "warn"];

pub use nimbus_syntax::{POLICY_NAMES, POLICY_PREDICATES};

/// Expression forms the evaluator handles itself (defined with the reader,
/// which every front end shares).
pub use nimbus_syntax::SPECIAL_FORMS;

mod conditions;
pub use conditions::SELF;
pub(crate) use conditions::check_conditions;

pub(crate) struct Parser<'a> {
    pub module: &'a mut Module,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// Directory of the file being parsed, for module paths.
    pub file_dir: &'a Path,
    /// Every `(backend ...)` of the module, in source order: the first is
    /// the module's, a second one an error (see [`check_backends`]).
    pub backends: &'a mut Vec<Backend>,
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The items of a list node, taking them out of it (the parser moves nodes
/// into the model instead of copying them: large configurations are mostly
/// expression trees).
fn into_items(node: Node) -> Result<(Vec<Node>, Span), Node> {
    match node.kind {
        NodeKind::List(items) => Ok((items, node.span)),
        _ => Err(node),
    }
}

/// The form names the parser knows, as static strings (matched before the
/// node's items are moved).
fn known_form(head: &str) -> Option<&'static str> {
    BLOCK_FORMS.iter().copied().find(|f| *f == head)
}

impl Parser<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(message).at(span));
    }

    pub fn top_level(&mut self, node: Node) {
        let (items, span) = match into_items(node) {
            Ok(list) => list,
            Err(node) => {
                self.error(
                    node.span,
                    format!(
                        "expected a form such as `(resource ...)` at the top level, found {}",
                        node.describe()
                    ),
                );
                return;
            }
        };
        let Some(head) = items.first().and_then(Node::as_symbol) else {
            let mut d = Diagnostic::error(
                "expected a form name such as `resource` or `define-infrastructure`",
            )
            .at(items.first().map_or(span, |n| n.span));
            if let Some(text) = items.first().and_then(Node::as_str)
                && BLOCK_FORMS.contains(&text)
            {
                d = d.with_note(format!(
                    "help: write the form name without quotes: `({text} ...)`"
                ));
            }
            self.diagnostics.push(d);
            return;
        };
        let Some(form) = known_form(head) else {
            let d = Diagnostic::error(format!("unknown form `{head}`"))
                .at(items[0].span)
                .with_suggestion(head, BLOCK_FORMS.iter().copied());
            self.diagnostics.push(d);
            return;
        };
        let mut args = items;
        args.remove(0);
        match form {
            "define-infrastructure" => {
                match args.first().and_then(Node::as_name) {
                    Some(name) => self.module.infrastructure_names.push(Name {
                        text: name.to_string(),
                        span: args[0].span,
                    }),
                    None => self.error(
                        span,
                        "`define-infrastructure` needs a name: `(define-infrastructure NAME ...)`",
                    ),
                }
                for child in args.into_iter().skip(1) {
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
            "provider" => self.provider(span, args),
            "resource" => self.resource(Mode::Managed, span, args),
            "data" => self.resource(Mode::Data, span, args),
            "output" => self.output(span, args),
            "use-module" => self.use_module(span, args),
            "include" => self.include(span, args),
            "required-providers" => self.required_providers(args),
            "check" => self.check(span, args),
            "moved" => self.moved(span, args),
            "removed" => self.removed(span, args),
            "import" => self.import_block(span, args),
            "define" => self.definition(span, args),
            "define-syntax" => self.error(
                span,
                "`define-syntax` must stand at the top level of a file, outside any other form",
            ),
            // R7RS: `begin` at the top level splices its forms, so one
            // macro use can write several blocks.
            "begin" => {
                for child in args {
                    self.top_level(child);
                }
            }
            "backend" => self.backend(span, args),
            "use-policies" => self.use_policies(span, args),
            "policy-file" => self.policy_file(span, args),
            _ => self.policy(span, args),
        }
    }

    /// `(NAME ARGS...)` forms of a block body.
    fn attribute_forms(&mut self, nodes: Vec<Node>, what: &str) -> Vec<AttributeForm> {
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            let (mut items, span) = match into_items(node) {
                Ok(list) => list,
                Err(node) => {
                    let mut d = Diagnostic::error(format!(
                        "expected an attribute `(NAME VALUE)` in {what}, found {}",
                        node.describe()
                    ))
                    .at(node.span);
                    if let Some(name) = node.as_symbol() {
                        d = d.with_note(format!(
                            "help: attributes are written in parentheses: `({name} VALUE)`"
                        ));
                    }
                    self.diagnostics.push(d);
                    continue;
                }
            };
            match items.first() {
                None => self.error(
                    span,
                    format!("expected an attribute `(NAME VALUE)` in {what}, found `()`"),
                ),
                Some(head) => match &head.kind {
                    NodeKind::Symbol(_) => {
                        // The arguments stay in the list's own vector.
                        let head = items.remove(0);
                        let args = items;
                        let NodeKind::Symbol(text) = head.kind else {
                            continue;
                        };
                        out.push(AttributeForm {
                            name: Name {
                                text: text.to_string(),
                                span: head.span,
                            },
                            args,
                            span,
                        });
                    }
                    _ => self.diagnostics.push(
                        Diagnostic::error(format!(
                            "an attribute starts with its name, found {}",
                            head.describe()
                        ))
                        .at(head.span)
                        .with_note(format!("note: {what} holds `(NAME VALUE)` forms")),
                    ),
                },
            }
        }
        out
    }

    fn name_arg(
        &mut self,
        form_span: Span,
        args: &[Node],
        index: usize,
        what: &str,
    ) -> Option<Name> {
        match args.get(index) {
            Some(n) => self.name_of(n, what),
            None => {
                self.error(form_span, format!("missing {what}"));
                None
            }
        }
    }

    fn name_of(&mut self, n: &Node, what: &str) -> Option<Name> {
        match n.as_name() {
            Some(text) if is_identifier(text) => Some(Name {
                text: text.to_string(),
                span: n.span,
            }),
            Some(text) => {
                // Escaped, so that invisible characters show.
                let shown: String = text.chars().flat_map(char::escape_debug).collect();
                let shown = if text.is_empty() {
                    "\"\"".to_string()
                } else {
                    format!("`{shown}`")
                };
                self.error(
                    n.span,
                    format!("invalid {what} {shown}: use letters, digits, `-` and `_`"),
                );
                None
            }
            None => {
                self.error(n.span, format!("expected {what}, found {}", n.describe()));
                None
            }
        }
    }

    fn variable(&mut self, node: Node) {
        let (mut items, span) = match into_items(node) {
            Ok((items, span)) if !items.is_empty() => (items, span),
            Ok((_, span)) => {
                self.error(
                    span,
                    "expected a variable `(NAME (type ...) (default ...))`",
                );
                return;
            }
            Err(node) => {
                self.error(
                    node.span,
                    "expected a variable `(NAME (type ...) (default ...))`",
                );
                return;
            }
        };
        let Some(name) = self.name_of(&items[0], "variable name") else {
            return;
        };
        items.remove(0);
        let body = items;
        let mut variable = Variable {
            name,
            ty: Type::Any,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
            span,
        };
        let forms = self.attribute_forms(body, "a variable");
        self.settings_once(
            &forms,
            &["type", "default", "description", "sensitive", "nullable"],
            "variable",
        );
        for mut form in forms {
            match form.name.as_str() {
                "type" => {
                    if let Some(t) = self.single_arg(&mut form).and_then(|n| self.type_expr(&n)) {
                        variable.ty = t;
                    }
                }
                "default" => variable.default = self.single_arg(&mut form),
                "description" => variable.description = self.string_arg(&mut form),
                "sensitive" => variable.sensitive = self.bool_arg(&mut form).unwrap_or(false),
                "nullable" => variable.nullable = self.bool_arg(&mut form).unwrap_or(true),
                "validation" => {
                    let message = match form.args.as_slice() {
                        [_, message] => message.as_str().map(str::to_string),
                        _ => None,
                    };
                    match message {
                        Some(message) => {
                            form.args.truncate(1);
                            let condition = form.args.pop().expect("the condition");
                            variable.validations.push(Validation {
                                condition,
                                message,
                                span: form.span,
                            });
                        }
                        None => {
                            self.error(form.span, "expected `(validation CONDITION \"message\")`")
                        }
                    }
                }
                other => {
                    let d = Diagnostic::error(format!("unknown variable setting `{other}`"))
                        .at(form.name.span)
                        .with_suggestion(
                            other,
                            [
                                "type",
                                "default",
                                "description",
                                "sensitive",
                                "nullable",
                                "validation",
                            ],
                        );
                    self.diagnostics.push(d);
                }
            }
        }
        self.module.variables.push(variable);
    }

    /// Reports settings (among `names`) written more than once in a block.
    fn settings_once(&mut self, forms: &[AttributeForm], names: &[&str], what: &str) {
        let mut seen: Vec<&str> = Vec::new();
        for form in forms {
            let name = form.name.as_str();
            if !names.contains(&name) {
                continue;
            }
            if seen.contains(&name) {
                self.diagnostics.push(
                    Diagnostic::error(format!("`{name}` is set twice in this {what}"))
                        .at(form.name.span)
                        .with_label("set again here"),
                );
            } else {
                seen.push(name);
            }
        }
    }

    /// The one argument of a form, taken out of it.
    fn single_arg(&mut self, form: &mut AttributeForm) -> Option<Node> {
        match form.args.len() {
            1 => form.args.pop(),
            0 => {
                self.error(form.span, format!("`{}` needs a value", form.name.text));
                None
            }
            _ => {
                self.error(
                    form.args[1].span,
                    format!("`{}` takes one value", form.name.text),
                );
                None
            }
        }
    }

    fn string_arg(&mut self, form: &mut AttributeForm) -> Option<String> {
        let node = self.single_arg(form)?;
        match node.kind {
            NodeKind::String(s) => Some(s),
            _ => {
                self.error(node.span, format!("`{}` must be a string", form.name.text));
                None
            }
        }
    }

    fn bool_arg(&mut self, form: &mut AttributeForm) -> Option<bool> {
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
    /// `(object (NAME T) ...)`, `(tuple T ...)`.
    pub fn type_expr(&mut self, node: &Node) -> Option<Type> {
        const NAMES: &[&str] = &[
            "string", "number", "bool", "any", "list", "set", "map", "object", "tuple",
        ];
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
                            let t = self.field_type(t)?;
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
            Some([head, elements @ ..]) if head.as_symbol() == Some("tuple") => elements
                .iter()
                .map(|t| self.type_expr(t))
                .collect::<Option<Vec<_>>>()
                .map(Type::Tuple),
            _ => {
                self.error(
                    node.span,
                    "expected a type: string, number, bool, any, (list T), (set T), (map T), (object (NAME T) ...) or (tuple T ...)",
                );
                None
            }
        }
    }

    /// `(define NAME EXPRESSION)` or `(define (NAME PARAMETER...) BODY)`.
    fn definition(&mut self, span: Span, mut args: Vec<Node>) {
        let usage = "expected `(define NAME EXPRESSION)` or `(define (NAME PARAMETER...) BODY)`";
        if args.len() != 2 {
            self.error(span, usage);
            return;
        }
        let body = args.pop().expect("two arguments");
        let target = args.pop().expect("two arguments");
        let (name, parameters) = match target.as_list() {
            Some(items) => {
                let Some((head, params)) = items.split_first() else {
                    self.error(target.span, usage);
                    return;
                };
                let Some(name) = self.symbol_name(head, "function name") else {
                    return;
                };
                match parameters(params) {
                    Ok(p) => (name, Some(p)),
                    Err(d) => {
                        self.diagnostics.push(d);
                        return;
                    }
                }
            }
            None => match self.symbol_name(&target, "definition name") {
                Some(name) => (name, None),
                None => return,
            },
        };
        if SPECIAL_FORMS.contains(&name.text.as_str())
            || nimbus_stdlib::lookup(&name.text).is_some()
        {
            self.diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` is a built-in form or function: a definition cannot take its name",
                    name.text
                ))
                .at(name.span),
            );
            return;
        }
        // A body sees only its parameters, other definitions and the
        // built-ins: declarations come in as arguments.
        let mut refused = Vec::new();
        let defaults = parameters
            .iter()
            .flat_map(|p| p.optional.iter().map(|(_, d)| d));
        for node in std::iter::once(&body).chain(defaults) {
            for head in ["ref", "var", "local", "module-output", "module-outputs"] {
                each_form(node, head, &mut |items| refused.push((head, items[0].span)));
            }
        }
        refused.sort_by_key(|(_, s)| s.start);
        if let Some((head, at)) = refused.first() {
            self.diagnostics.push(
                Diagnostic::error(format!(
                    "a definition cannot use `{head}`: `{}` would depend on a declaration that its callers do not show",
                    name.text
                ))
                .at(*at)
                .with_note("help: take the value as a parameter, and pass it where the function is called"),
            );
            return;
        }
        self.module.definitions.push(Definition {
            name,
            parameters,
            body,
            span,
        });
    }

    /// A bare symbol as a name: definitions and parameters are no strings.
    fn symbol_name(&mut self, n: &Node, what: &str) -> Option<Name> {
        match n.as_symbol() {
            Some(text) => Some(Name {
                text: text.to_string(),
                span: n.span,
            }),
            None => {
                self.error(n.span, format!("expected a {what}, found {}", n.describe()));
                None
            }
        }
    }

    fn local(&mut self, node: Node) {
        match into_items(node) {
            Ok((mut items, span)) if items.len() == 2 => {
                let value = items.pop().expect("the value");
                if let Some(name) = self.name_of(&items[0], "local name") {
                    self.module.locals.push(Local { name, value, span });
                }
            }
            Ok((_, span)) => self.error(span, "expected a local `(NAME EXPRESSION)`"),
            Err(node) => self.error(node.span, "expected a local `(NAME EXPRESSION)`"),
        }
    }

    fn provider(&mut self, span: Span, mut args: Vec<Node>) {
        let Some(name) = self.name_arg(span, &args, 0, "provider name") else {
            return;
        };
        args.remove(0);
        let body = args;
        let mut alias = None;
        let mut attributes = Vec::new();
        for mut form in self.attribute_forms(body, "a provider") {
            if form.name.text == "alias" {
                if let Some(n) = self.single_arg(&mut form) {
                    alias = self.name_of(&n, "provider alias");
                }
            } else {
                attributes.push(form);
            }
        }
        self.module.providers.push(ProviderBlock {
            name,
            alias,
            attributes,
            span,
            implied: false,
        });
    }

    fn resource(&mut self, mode: Mode, span: Span, mut args: Vec<Node>) {
        let (what, keyword, type_what, name_what, body_what) = match mode {
            Mode::Data => (
                "data source",
                "data",
                "data source type",
                "data source name",
                "a data source",
            ),
            Mode::Managed => (
                "resource",
                "resource",
                "resource type",
                "resource name",
                "a resource",
            ),
        };
        if args.len() < 2 && args.first().is_none_or(|a| a.as_name().is_some()) {
            let missing = if args.is_empty() {
                "type and name"
            } else {
                "name"
            };
            self.error(
                span,
                format!("missing {what} {missing}: write `({keyword} TYPE \"NAME\" ...)`"),
            );
            return;
        }
        let type_name = self.name_arg(span, &args, 0, type_what);
        let name = self.name_arg(span, &args, 1, name_what);
        let (Some(type_name), Some(name)) = (type_name, name) else {
            return;
        };
        args.drain(..2);
        let body = args;
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
            policy_exceptions: Vec::new(),
            span,
        };
        let mut seen_meta: Vec<&str> = Vec::new();
        for mut form in self.attribute_forms(body, body_what) {
            if form.name.as_str() == "policy-exception" {
                if let Some(exception) = self.policy_exception(&form) {
                    resource.policy_exceptions.push(exception);
                }
                continue;
            }
            if let Some(meta) = META_ARGUMENTS
                .iter()
                .copied()
                .find(|m| *m == form.name.as_str())
            {
                if seen_meta.contains(&meta) {
                    self.diagnostics.push(
                        Diagnostic::error(format!("`{meta}` is set twice in this {what}"))
                            .at(form.name.span)
                            .with_label("set again here"),
                    );
                    continue;
                }
                seen_meta.push(meta);
            }
            match form.name.as_str() {
                "count" => resource.count = self.single_arg(&mut form),
                "for-each" => resource.for_each = self.single_arg(&mut form),
                "depends-on" => {
                    let dependencies = self.depends_on_form(&form);
                    resource.depends_on.extend(dependencies);
                }
                "provider" => {
                    if let Some(n) = self.single_arg(&mut form) {
                        match n.as_name() {
                            Some(text) => {
                                resource.provider = Some(Name {
                                    text: text.to_string(),
                                    span: n.span,
                                })
                            }
                            None => self.error(
                                n.span,
                                "expected a provider name such as `aws` or `aws.west`",
                            ),
                        }
                    }
                }
                "lifecycle" => resource.lifecycle = self.lifecycle(form),
                _ => resource.attributes.push(form),
            }
        }
        if resource.count.is_some() && resource.for_each.is_some() {
            self.error(
                span,
                format!("a {what} cannot have both `count` and `for-each`"),
            );
        }
        self.module.resources.push(resource);
    }

    /// `(policy-exception "RULE" (reason "TEXT") [(expires "YYYY-MM-DD")])`.
    fn policy_exception(&mut self, form: &AttributeForm) -> Option<PolicyException> {
        const SHAPE: &str = "expected `(policy-exception \"POLICY.KIND\" (reason \"why\") [(expires \"YYYY-MM-DD\")])`";
        let mut args = form.args.iter();
        let Some(rule) = args.next().and_then(|n| {
            n.as_str().map(|text| Name {
                text: text.to_string(),
                span: n.span,
            })
        }) else {
            self.error(form.span, SHAPE);
            return None;
        };
        let mut reason = None;
        let mut expires = None;
        for setting in args {
            let (items, span) = match into_items(setting.clone()) {
                Ok((items, span)) if items.len() == 2 => (items, span),
                Ok((_, span)) | Err(Node { span, .. }) => {
                    self.error(span, SHAPE);
                    return None;
                }
            };
            let value = items[1].as_str().map(|text| Name {
                text: text.to_string(),
                span: items[1].span,
            });
            let repeated = match items[0].as_name() {
                Some("reason") => reason.is_some(),
                Some("expires") => expires.is_some(),
                _ => false,
            };
            if repeated {
                self.error(
                    items[0].span,
                    format!(
                        "`{}` is set twice in this policy exception",
                        items[0].as_name().unwrap_or_default()
                    ),
                );
                return None;
            }
            match (items[0].as_name(), value) {
                (Some("reason"), Some(text)) if !text.text.trim().is_empty() => {
                    reason = Some(text.text)
                }
                (Some("reason"), _) => {
                    self.error(items[1].span, "the reason must be a non-empty string");
                    return None;
                }
                (Some("expires"), Some(date)) => expires = Some(date),
                (Some("expires"), None) => {
                    self.error(
                        items[1].span,
                        "the expiry must be a date string \"YYYY-MM-DD\"",
                    );
                    return None;
                }
                _ => {
                    self.error(span, format!("{SHAPE}: unknown setting"));
                    return None;
                }
            }
        }
        let Some(reason) = reason else {
            self.error(
                form.span,
                "a policy exception needs a reason: reports show why the rule does not apply",
            );
            return None;
        };
        Some(PolicyException {
            rule,
            reason,
            expires,
            span: form.span,
        })
    }

    /// The dependencies of a `(depends-on DEP ...)` form.
    fn depends_on_form(&mut self, form: &AttributeForm) -> Vec<DependsOn> {
        if form.args.is_empty() {
            self.error(
                form.span,
                "`depends-on` needs one or more `(ref TYPE \"NAME\")`",
            );
        }
        form.args
            .iter()
            .filter_map(|dep| self.depends_on(dep))
            .collect()
    }

    /// `(required-providers (NAME (source "...") (version "...")) ...)`.
    fn required_providers(&mut self, args: Vec<Node>) {
        for entry in args {
            let (mut items, span) = match into_items(entry) {
                Ok((items, span)) if !items.is_empty() => (items, span),
                Ok((_, span)) | Err(Node { span, .. }) => {
                    self.error(span, "expected `(NAME (source \"...\") (version \"...\"))`");
                    continue;
                }
            };
            let Some(name) = self.name_of(&items[0], "provider name") else {
                continue;
            };
            items.remove(0);
            let settings = self.attribute_forms(items, "a provider requirement");
            self.settings_once(&settings, &["source", "version"], "provider requirement");
            let mut kept = Vec::new();
            for setting in settings {
                match setting.name.as_str() {
                    "source" | "version" => match setting.args.as_slice() {
                        [value] if value.as_str().is_some() => kept.push(setting),
                        _ => self.error(
                            setting.span,
                            format!("`{}` takes one string", setting.name.text),
                        ),
                    },
                    other => {
                        let d = Diagnostic::error(format!(
                            "unknown provider requirement setting `{other}`"
                        ))
                        .at(setting.name.span)
                        .with_suggestion(other, ["source", "version"]);
                        self.diagnostics.push(d);
                    }
                }
            }
            self.module.required_providers.push(RequiredProvider {
                name,
                settings: kept,
                span,
            });
        }
    }

    /// `(providers (INNER OUTER) ...)` of an `include`: each entry a pair
    /// of provider configuration names (`aws`, `aws.west`).
    fn passed_providers(&mut self, form: &AttributeForm) -> Vec<PassedProvider> {
        if form.args.is_empty() {
            self.error(
                form.span,
                "`providers` needs one or more `(NAME CONFIGURATION)`, e.g. `(aws aws.west)`",
            );
        }
        let mut out: Vec<PassedProvider> = Vec::new();
        for entry in &form.args {
            let names: Option<Vec<Name>> = entry.as_list().and_then(|items| {
                items
                    .iter()
                    .map(|n| {
                        n.as_symbol().map(|text| Name {
                            text: text.to_string(),
                            span: n.span,
                        })
                    })
                    .collect()
            });
            match names.as_deref() {
                Some([inner, outer]) if valid_provider_name(&inner.text) && valid_provider_name(&outer.text) => {
                    if out.iter().any(|p| p.inner.text == inner.text) {
                        self.diagnostics.push(
                            Diagnostic::error(format!(
                                "provider `{}` is passed twice",
                                inner.text
                            ))
                            .at(inner.span)
                            .with_label("passed again here"),
                        );
                        continue;
                    }
                    out.push(PassedProvider {
                        inner: inner.clone(),
                        outer: outer.clone(),
                        span: entry.span,
                    });
                }
                _ => self.error(
                    entry.span,
                    "expected `(NAME CONFIGURATION)`, e.g. `(aws aws.west)`: the called module's provider and the configuration it stands for",
                ),
            }
        }
        out
    }

    /// `(ref TYPE "NAME")`, `(ref data TYPE "NAME")`, `(TYPE "NAME")` or
    /// `(module NAME)`.
    fn depends_on(&mut self, node: &Node) -> Option<DependsOn> {
        let items = node.as_list().unwrap_or_default();
        if items.first().and_then(Node::as_symbol) == Some("module") {
            return match items {
                [_, name] if name.as_name().is_some() => Some(DependsOn {
                    target: Dependency::Module(name.as_name().unwrap_or_default().to_string()),
                    span: node.span,
                }),
                _ => {
                    self.error(node.span, "expected a module dependency `(module NAME)`");
                    None
                }
            };
        }
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
                target: Dependency::Block {
                    mode,
                    type_name: t.as_symbol().unwrap_or_default().to_string(),
                    name: n.as_name().unwrap_or_default().to_string(),
                },
                span: node.span,
            }),
            _ => {
                let mut d =
                    Diagnostic::error("expected a dependency `(ref TYPE \"NAME\")`").at(node.span);
                if let Some((t, n)) = node.as_name().and_then(|text| text.split_once('.')) {
                    d = d.with_note(format!("help: write `(ref {t} \"{n}\")`"));
                }
                self.diagnostics.push(d);
                None
            }
        }
    }

    fn lifecycle(&mut self, form: AttributeForm) -> Lifecycle {
        let mut lifecycle = Lifecycle::default();
        let settings = self.attribute_forms(form.args, "lifecycle");
        self.settings_once(
            &settings,
            &["prevent-destroy", "create-before-destroy", "ignore-changes"],
            "lifecycle",
        );
        for mut setting in settings {
            match setting.name.as_str() {
                "prevent-destroy" => {
                    lifecycle.prevent_destroy = self.bool_arg(&mut setting).unwrap_or(false)
                }
                "create-before-destroy" => {
                    lifecycle.create_before_destroy = self.bool_arg(&mut setting).unwrap_or(false)
                }
                "precondition" | "postcondition" => {
                    let is_pre = setting.name.as_str() == "precondition";
                    if let Some(condition) = self.condition_form(setting) {
                        if is_pre {
                            lifecycle.preconditions.push(condition);
                        } else {
                            lifecycle.postconditions.push(condition);
                        }
                    }
                }
                "replace-triggered-by" => {
                    let references = self.replace_triggered_by(setting);
                    lifecycle.replace_triggered_by.extend(references);
                }
                "ignore-changes" => {
                    for n in &setting.args {
                        match n.as_name() {
                            Some("all") if n.as_symbol().is_some() => {
                                lifecycle.ignore_all_changes = true
                            }
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
                        .with_suggestion(other, conditions::LIFECYCLE_SETTINGS.iter().copied());
                    self.diagnostics.push(d);
                }
            }
        }
        lifecycle
    }

    fn output(&mut self, span: Span, mut args: Vec<Node>) {
        let Some(name) = self.name_arg(span, &args, 0, "output name") else {
            return;
        };
        args.remove(0);
        let body = args;
        let mut value = None;
        let mut value_written = false;
        let mut sensitive = false;
        let mut description = None;
        let mut depends_on = Vec::new();
        let mut preconditions = Vec::new();
        let forms = self.attribute_forms(body, "an output");
        let settings = ["value", "sensitive", "description", "depends-on"];
        self.settings_once(&forms, &settings, "output");
        for mut form in forms {
            match form.name.as_str() {
                "value" => {
                    value_written = true;
                    value = self.single_arg(&mut form);
                }
                "sensitive" => sensitive = self.bool_arg(&mut form).unwrap_or(false),
                "description" => description = self.string_arg(&mut form),
                "depends-on" => depends_on.extend(self.depends_on_form(&form)),
                "precondition" => preconditions.extend(self.condition_form(form)),
                other => {
                    // A misspelt `value` is reported once, not also as missing.
                    value_written |=
                        nimbus_syntax::suggest::closest(other, settings) == Some("value");
                    let d = Diagnostic::error(format!("unknown output setting `{other}`"))
                        .at(form.name.span)
                        .with_suggestion(other, settings.into_iter().chain(["precondition"]));
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
                depends_on,
                preconditions,
                span,
            }),
            None if value_written => {}
            None => self.diagnostics.push(
                Diagnostic::error(format!("output `{}` needs `(value EXPRESSION)`", name.text))
                    .at(span)
                    .with_label("no `value`"),
            ),
        }
    }

    fn use_module(&mut self, span: Span, args: Vec<Node>) {
        let (name, path_node) = match args.as_slice() {
            [path] => (None, path),
            [name, path] => (Some(name), path),
            _ => {
                self.error(span, "expected `(use-module [NAME] \"path\")`");
                return;
            }
        };
        let Some(path) = path_node.as_str() else {
            self.error(path_node.span, "the module path must be a string");
            return;
        };
        let resolved = self.file_dir.join(path);
        let name = match name {
            Some(n) => match self.name_of(n, "module name") {
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
            span,
        });
    }

    fn include(&mut self, span: Span, mut args: Vec<Node>) {
        let Some(module) = self.name_arg(span, &args, 0, "module name") else {
            return;
        };
        let (name, rest) = match args.get(1) {
            Some(n) if n.as_str().is_some() => match self.name_of(n, "module instance name") {
                Some(name) => {
                    args.drain(..2);
                    (name, args)
                }
                None => return,
            },
            _ => {
                args.remove(0);
                (module.clone(), args)
            }
        };
        let mut call = ModuleCall {
            name,
            module,
            inputs: Vec::new(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            providers: Vec::new(),
            span,
        };
        // `count`, `for-each`, `depends-on` and `providers` are
        // meta-arguments, as on a resource: no module can take an input of
        // these names.
        let forms = self.attribute_forms(rest, "a module's inputs");
        self.settings_once(
            &forms,
            &["count", "for-each", "depends-on", "providers"],
            "include",
        );
        for mut form in forms {
            match form.name.as_str() {
                "count" => call.count = self.single_arg(&mut form),
                "for-each" => call.for_each = self.single_arg(&mut form),
                "depends-on" => call.depends_on = self.depends_on_form(&form),
                "providers" => call.providers = self.passed_providers(&form),
                _ => call.inputs.push(form),
            }
        }
        if call.count.is_some() && call.for_each.is_some() {
            self.error(span, "an `include` cannot have both `count` and `for-each`");
        }
        self.module.calls.push(call);
    }

    fn policy(&mut self, span: Span, mut args: Vec<Node>) {
        let Some(name) = self.name_arg(span, &args, 0, "policy name") else {
            return;
        };
        args.remove(0);
        let body = args;
        let mut rules = Vec::new();
        let mut enforcement = None;
        for form in self.attribute_forms(body, "a policy") {
            if form.name.as_str() == "enforcement" {
                enforcement = self.enforcement_level(form.span, &form.args);
                continue;
            }
            if !POLICY_RULES.contains(&form.name.as_str()) {
                let d = Diagnostic::error(format!("unknown policy rule `{}`", form.name.text))
                    .at(form.name.span)
                    .with_suggestion(
                        &form.name.text,
                        POLICY_RULES.iter().copied().chain(["enforcement"]),
                    );
                self.diagnostics.push(d);
                continue;
            }
            let mut condition = None;
            let mut rule_enforcement = None;
            let mut message = None;
            for arg in &form.args {
                match arg.as_list() {
                    Some(items) if items.first().and_then(Node::as_symbol) == Some("when") => {
                        if items.len() == 2 {
                            condition = Some(items[1].clone());
                        } else {
                            self.error(arg.span, "expected `(when CONDITION)`");
                        }
                    }
                    Some([head, rest @ ..]) if head.as_symbol() == Some("enforcement") => {
                        rule_enforcement = self.enforcement_level(arg.span, rest);
                    }
                    Some([head, rest @ ..]) if head.as_symbol() == Some("message") => match rest {
                        [text] if text.as_str().is_some() => {
                            message = text.as_str().map(str::to_string);
                        }
                        _ => self.error(arg.span, "expected `(message \"TEXT\")`"),
                    },
                    _ => {}
                }
            }
            match form.name.as_str() {
                "deny" | "warn" if form.args.first().is_none_or(|a| a.as_str().is_none()) => {
                    let at = form
                        .args
                        .first()
                        .filter(|a| a.head() != Some("when"))
                        .map_or(form.span, |a| a.span);
                    self.error(
                        at,
                        format!(
                            "`{}` needs an action string first, e.g. \"s3:DeleteBucket\"",
                            form.name.text
                        ),
                    );
                }
                "require-tags"
                    if form.args.is_empty()
                        || form.args.iter().any(|a| {
                            a.as_str().is_none()
                                && !matches!(a.head(), Some("enforcement" | "message" | "when"))
                        }) =>
                {
                    self.error(
                        form.span,
                        "`require-tags` takes one or more tag names as strings",
                    );
                }
                "require-approval" if condition.is_none() => {
                    self.error(form.span, "`require-approval` needs `(when CONDITION)`");
                }
                _ => {}
            }
            let action = match form.name.as_str() {
                "deny" | "warn" => form.args.first().and_then(Node::as_str).map(str::to_string),
                _ => None,
            };
            if action.as_deref() == Some("") {
                let at = form.args.first().map_or(form.span, |a| a.span);
                self.error(
                    at,
                    "an empty action names no provider action: write \"*\" for every one, or a prefix such as \"s3:\"",
                );
            }
            let tags = match form.name.as_str() {
                "require-tags" => form
                    .args
                    .iter()
                    .filter_map(Node::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            rules.push(PolicyRule {
                id: String::new(),
                kind: form.name,
                args: form.args,
                span: form.span,
                action,
                condition,
                tags,
                enforcement: rule_enforcement,
                message,
                summary: None,
            });
        }
        // Rule ids: `POLICY.KIND`, numbered when the kind repeats.
        let kinds: Vec<String> = rules.iter().map(|r| r.kind.text.clone()).collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (rule, kind) in rules.iter_mut().zip(&kinds) {
            let n = seen.entry(kind.as_str()).or_insert(0);
            *n += 1;
            rule.id = if kinds.iter().filter(|k| *k == kind).count() > 1 {
                format!("{}.{kind}.{n}", name.text)
            } else {
                format!("{}.{kind}", name.text)
            };
        }
        self.module.policies.push(Policy {
            name,
            rules,
            span,
            enforcement,
            builtin: false,
        });
    }

    /// `(policy-file "GLOB" [(enforcement LEVEL)])`; the files are found
    /// and read by the loader, which knows the module's file system.
    fn policy_file(&mut self, span: Span, args: Vec<Node>) {
        let pattern = match args.first() {
            Some(node) => match node.as_str() {
                Some(text) if !text.is_empty() => Name {
                    text: text.to_string(),
                    span: node.span,
                },
                _ => {
                    self.error(
                        node.span,
                        "`policy-file` takes a file name or pattern as a string: `(policy-file \"policies/*.rego\")`",
                    );
                    return;
                }
            },
            None => {
                self.error(
                    span,
                    "`policy-file` needs a file name or pattern: `(policy-file \"policies/*.rego\")`",
                );
                return;
            }
        };
        let mut enforcement = None;
        for option in &args[1..] {
            match option.head() {
                Some("enforcement") => {
                    let level_args = option.as_list().map_or(&[][..], |items| &items[1..]);
                    enforcement = self.enforcement_level(option.span, level_args);
                }
                _ => self.error(
                    option.span,
                    "`policy-file` takes only `(enforcement LEVEL)` after its pattern",
                ),
            }
        }
        self.module.policy_files.push(PolicyFile {
            pattern,
            enforcement,
            files: Vec::new(),
            span,
        });
    }

    /// `(enforcement LEVEL)`'s level, reporting anything else.
    fn enforcement_level(&mut self, span: Span, args: &[Node]) -> Option<Enforcement> {
        let level = match args {
            [level] => level.as_symbol().or_else(|| level.as_str()),
            _ => None,
        };
        match (level.and_then(Enforcement::parse), args) {
            (Some(level), _) => Some(level),
            // Located at the level as written, worded for either language
            // (HCL writes `enforcement = "LEVEL"`).
            (None, [given]) if level.is_some() => {
                let level = level.unwrap_or_default();
                self.diagnostics.push(
                    Diagnostic::error(format!(
                        "unknown enforcement level `{level}`: the levels are advisory, mandatory, soft-mandatory and disabled"
                    ))
                    .at(given.span)
                    .with_suggestion(level, Enforcement::NAMES.iter().copied()),
                );
                None
            }
            (None, _) => {
                self.error(
                    span,
                    "expected `(enforcement LEVEL)`, LEVEL one of advisory, mandatory, soft-mandatory, disabled",
                );
                None
            }
        }
    }
}

/// Duplicate declarations, reported at the second one with a note pointing
/// at the first.
pub(crate) fn check_duplicates(
    module: &Module,
    sources: &nimbus_syntax::SourceMap,
    root: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) {
    /// Sorting finds duplicates without hashing every name (this runs on
    /// every load, for every declaration).
    fn check<K: Ord>(
        what: &str,
        items: impl Iterator<Item = (K, Span)>,
        describe: impl Fn(&K) -> String,
        sources: &nimbus_syntax::SourceMap,
        root: &Path,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut items: Vec<(K, usize, Span)> =
            items.enumerate().map(|(i, (k, s))| (k, i, s)).collect();
        if items.len() < 2 {
            return;
        }
        items.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut duplicates: Vec<(usize, Diagnostic)> = Vec::new();
        let mut first = 0;
        for i in 1..items.len() {
            if items[i].0 != items[first].0 {
                first = i;
                continue;
            }
            let d = Diagnostic::error(format!("duplicate {what} `{}`", describe(&items[i].0)))
                .at(items[i].2)
                .with_label("declared again here")
                .with_note(format!(
                    "note: first declared at {}",
                    crate::relative_location(sources, items[first].2, root)
                ));
            duplicates.push((items[i].1, d));
        }
        duplicates.sort_by_key(|(i, _)| *i);
        diagnostics.extend(duplicates.into_iter().map(|(_, d)| d));
    }
    let name = |k: &&str| k.to_string();
    let d = diagnostics;
    fn named(n: &Name) -> (&str, Span) {
        (n.text.as_str(), n.span)
    }
    check(
        "variable",
        module.variables.iter().map(|v| named(&v.name)),
        name,
        sources,
        root,
        d,
    );
    check(
        "local",
        module.locals.iter().map(|l| named(&l.name)),
        name,
        sources,
        root,
        d,
    );
    check(
        "definition",
        module.definitions.iter().map(|l| named(&l.name)),
        name,
        sources,
        root,
        d,
    );
    check(
        "output",
        module.outputs.iter().map(|o| named(&o.name)),
        name,
        sources,
        root,
        d,
    );
    check(
        "provider configuration",
        module
            .providers
            .iter()
            .map(|p| (p.address(), p.alias.as_ref().unwrap_or(&p.name).span)),
        |k: &String| k.clone(),
        sources,
        root,
        d,
    );
    check(
        "resource",
        module
            .resources
            .iter()
            .map(|r| ((r.mode, r.type_name.as_str(), r.name.as_str()), r.name.span)),
        |(mode, t, n): &(Mode, &str, &str)| match mode {
            Mode::Managed => format!("{t}.{n}"),
            Mode::Data => format!("data.{t}.{n}"),
        },
        sources,
        root,
        d,
    );
    check(
        "module",
        module.imports.iter().map(|m| named(&m.name)),
        name,
        sources,
        root,
        d,
    );
    check(
        "module instance",
        module.calls.iter().map(|c| named(&c.name)),
        name,
        sources,
        root,
        d,
    );
    check(
        "policy",
        module.policies.iter().map(|p| named(&p.name)),
        name,
        sources,
        root,
        d,
    );
}

/// A provider configuration's name: `aws` or `aws.west`.
fn valid_provider_name(text: &str) -> bool {
    let mut parts = text.split('.');
    let word = |p: Option<&str>| p.is_some_and(|p| !p.is_empty());
    match (parts.next(), parts.next(), parts.next()) {
        (name, None, None) => word(name),
        (name, alias, None) => word(name) && word(alias),
        _ => false,
    }
}

/// `depends-on` must name resources declared in the same module.
pub(crate) fn check_dependencies(module: &Module, diagnostics: &mut Vec<Diagnostic>) {
    let dependencies = module
        .resources
        .iter()
        .flat_map(|r| &r.depends_on)
        .chain(module.outputs.iter().flat_map(|o| &o.depends_on))
        .chain(module.calls.iter().flat_map(|c| &c.depends_on));
    {
        for dep in dependencies {
            let (mode, type_name, name) = match &dep.target {
                Dependency::Block {
                    mode,
                    type_name,
                    name,
                } => (*mode, type_name, name),
                Dependency::Module(call) => {
                    if !module.calls.iter().any(|c| c.name.text == *call) {
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "`depends-on` names `module.{call}`, which this module does not include"
                            ))
                            .at(dep.span)
                            .with_suggestion(call, module.calls.iter().map(|c| c.name.as_str())),
                        );
                    }
                    continue;
                }
            };
            if module.resource(mode, type_name, name).is_some() {
                continue;
            }
            let (what, prefix) = match mode {
                Mode::Managed => ("resource", ""),
                Mode::Data => ("data source", "data."),
            };
            let declared: Vec<String> = module
                .resources
                .iter()
                .filter(|r| r.mode == mode)
                .map(|r| format!("{} \"{}\"", r.type_name.text, r.name.text))
                .collect();
            let wrong = format!("{type_name} \"{name}\"");
            diagnostics.push(
                Diagnostic::error(format!(
                    "`depends-on` names undeclared {what} `{prefix}{type_name}.{name}`"
                ))
                .at(dep.span)
                .with_suggestion(&wrong, declared.iter().map(String::as_str)),
            );
        }
    }
}

/// Policy conditions call only functions that exist (the library's and
/// the policy predicates): a misspelt function is an error at load, not
/// at the first change a rule is checked against.
pub(crate) fn check_policy_conditions(module: &Module, diagnostics: &mut Vec<Diagnostic>) {
    for rule in module.policies.iter().flat_map(|p| &p.rules) {
        if let Some(condition) = &rule.condition {
            check_calls(condition, diagnostics);
            refuse_configuration_reads(condition, diagnostics);
        }
    }
}

/// A policy condition reads the change it is checked against, nothing of
/// the configuration: a variable, local, resource or module output there
/// is an error where it is written (not at every plan).
fn refuse_configuration_reads(node: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some(items) = node.as_list() else {
        return;
    };
    let read = match node.head() {
        Some("quote") => return,
        Some("var") => Some("a variable"),
        Some("local") => Some("a local value"),
        Some("ref") => Some("a resource"),
        Some("module-output" | "module-outputs") => Some("a module's output"),
        _ => None,
    };
    if let Some(what) = read {
        diagnostics.push(
            Diagnostic::error(format!(
                "a policy condition cannot read {what}: it sees only the change it checks"
            ))
            .at(node.span)
            .with_note(
                "help: read the change instead (`after`, `before`, `tags`, `attribute`, ...)",
            ),
        );
        return;
    }
    for item in items {
        refuse_configuration_reads(item, diagnostics);
    }
}

impl Parser<'_> {
    /// An object field's type: a type, or `(optional T [DEFAULT])` (only
    /// here, as in Terraform), DEFAULT a literal value of type T.
    fn field_type(&mut self, node: &Node) -> Option<Type> {
        let Some([head, args @ ..]) = node.as_list() else {
            return self.type_expr(node);
        };
        if head.as_symbol() != Some("optional") {
            return self.type_expr(node);
        }
        let (inner, default) = match args {
            [inner] => (inner, None),
            [inner, default] => (inner, Some(default)),
            _ => {
                self.error(
                    node.span,
                    "expected `(optional TYPE)` or `(optional TYPE DEFAULT)`",
                );
                return None;
            }
        };
        let inner = self.type_expr(inner)?;
        let default = match default {
            None => None,
            Some(default) => {
                let value = match literal_value(default) {
                    Ok(value) => value,
                    Err(at) => {
                        self.diagnostics.push(
                            Diagnostic::error("an optional attribute's default must be a literal value")
                                .at(at)
                                .with_note("note: a literal is a string, number, bool, null, or a list or map of literals"),
                        );
                        return None;
                    }
                };
                match inner.convert(value) {
                    Ok(value) => Some(Box::new(value)),
                    Err(e) => {
                        self.diagnostics.push(
                            Diagnostic::error(format!(
                                "invalid default for an optional attribute: {}",
                                e.message
                            ))
                            .at(default.span),
                        );
                        return None;
                    }
                }
            }
        };
        Some(Type::Optional(Box::new(inner), default))
    }
}

/// The value a literal expression denotes: strings, numbers, bools, `null`,
/// `(list ...)`, `(map (KEY VALUE) ...)`/`(object ...)` and a negated
/// number. The span of the first part that is not literal otherwise.
fn literal_value(node: &Node) -> Result<Value, Span> {
    match &node.kind {
        NodeKind::String(s) => Ok(Value::String(s.clone())),
        NodeKind::Integer(i) => Ok(Value::Number(Number::Int(*i))),
        NodeKind::Decimal(f) => Ok(Value::Number(Number::Float(*f))),
        NodeKind::Bool(b) => Ok(Value::Bool(*b)),
        NodeKind::Symbol(s) if s.as_str() == "null" => Ok(Value::Null),
        NodeKind::Symbol(_) => Err(node.span),
        NodeKind::List(items) => match items.split_first() {
            None => Ok(Value::List(Vec::new())),
            Some((head, rest)) => match head.as_symbol() {
                Some("list") => rest
                    .iter()
                    .map(literal_value)
                    .collect::<Result<_, _>>()
                    .map(Value::List),
                Some("map" | "object") => {
                    let mut out = BTreeMap::new();
                    for entry in rest {
                        match entry.as_list() {
                            Some([key, value]) if key.as_name().is_some() => {
                                out.insert(
                                    key.as_name().unwrap_or_default().to_string(),
                                    literal_value(value)?,
                                );
                            }
                            _ => return Err(entry.span),
                        }
                    }
                    Ok(Value::Map(out))
                }
                Some("-") => match rest {
                    [one] => match literal_value(one)? {
                        Value::Number(Number::Int(i)) => Ok(Value::Number(Number::Int(-i))),
                        Value::Number(Number::Float(f)) => Ok(Value::Number(Number::Float(-f))),
                        _ => Err(one.span),
                    },
                    _ => Err(node.span),
                },
                _ => Err(node.span),
            },
        },
    }
}

/// Reports calls in `node` of functions that do not exist, reading forms
/// as the evaluator does: `quote` holds data, `let` bindings and
/// `map`/`object` entries are `(NAME VALUE)` pairs whose names are no calls.
fn check_calls(node: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some((head, args)) = node.as_list().and_then(<[Node]>::split_first) else {
        return;
    };
    let values_of_pairs = |pairs: &[Node], diagnostics: &mut Vec<Diagnostic>| {
        for pair in pairs {
            if let Some([_, value]) = pair.as_list() {
                check_calls(value, diagnostics);
            }
        }
    };
    match head.as_symbol() {
        Some("quote") => {}
        Some("let") => {
            if let Some((bindings, body)) = args.split_first() {
                values_of_pairs(bindings.as_list().unwrap_or_default(), diagnostics);
                for node in body {
                    check_calls(node, diagnostics);
                }
            }
        }
        // `(map F LIST)` calls F on a list (as the evaluator reads it).
        Some("map")
            if args.len() == 2
                && args[0]
                    .as_list()
                    .is_none_or(|e| e.len() != 2 || e[0].as_name().is_none()) =>
        {
            for arg in args {
                check_calls(arg, diagnostics);
            }
        }
        Some("map" | "object") => values_of_pairs(args, diagnostics),
        // Parameters are names, not calls; what the body calls may be
        // one of them, known only when it runs.
        Some("lambda") => {}
        Some("apply") => {
            // `(apply FUNCTION ARGUMENT... LIST)`: the function is named.
            if let Some((function, rest)) = args.split_first() {
                if let Some(name) = function.as_symbol()
                    && nimbus_stdlib::lookup(name).is_none()
                {
                    diagnostics.push(
                        Diagnostic::error(format!("unknown function `{name}`"))
                            .at(function.span)
                            .with_suggestion(name, nimbus_stdlib::names()),
                    );
                }
                for arg in rest {
                    check_calls(arg, diagnostics);
                }
            }
        }
        Some("for" | "for-map") => {
            // Bindings name variables; only their collections are calls.
            if let Some((bindings, rest)) = args.split_first() {
                for binding in bindings.as_list().unwrap_or_default() {
                    if let Some(collection) = binding.as_list().and_then(<[Node]>::last) {
                        check_calls(collection, diagnostics);
                    }
                }
                for node in rest {
                    match node.as_list() {
                        Some([head, condition]) if head.as_symbol() == Some("when") => {
                            check_calls(condition, diagnostics)
                        }
                        _ => check_calls(node, diagnostics),
                    }
                }
            }
        }
        Some(name) => {
            if !SPECIAL_FORMS.contains(&name)
                && !POLICY_PREDICATES.contains(&name)
                && nimbus_stdlib::lookup(name).is_none()
            {
                let candidates = nimbus_stdlib::names()
                    .chain(SPECIAL_FORMS.iter().copied())
                    .chain(POLICY_PREDICATES.iter().copied());
                diagnostics.push(
                    Diagnostic::error(format!("unknown function `{name}`"))
                        .at(head.span)
                        .with_suggestion(name, candidates),
                );
            }
            for arg in args {
                check_calls(arg, diagnostics);
            }
        }
        None => {
            for item in node.as_list().unwrap_or_default() {
                check_calls(item, diagnostics);
            }
        }
    }
}

/// Calls `f` with the items of every list form headed by the symbol
/// `head` inside `node` (not inside `quote`).
/// The parameters of a function, `define`'s or `lambda`'s:
/// `(NAME... (NAME DEFAULT)... [. REST])`. Optional parameters follow the
/// required ones; a `.` is followed by exactly one name.
pub fn parameters(list: &[Node]) -> Result<Parameters, Diagnostic> {
    let mut out = Parameters::default();
    let name = |n: &Node| match n.as_symbol() {
        Some(text) if text != "." => Ok(Name {
            text: text.to_string(),
            span: n.span,
        }),
        _ => Err(
            Diagnostic::error(format!("expected a parameter name, found {}", n.describe()))
                .at(n.span)
                .with_note("note: parameters are `(NAME... (NAME DEFAULT)... . REST)`"),
        ),
    };
    let mut i = 0;
    while i < list.len() {
        let node = &list[i];
        if node.as_symbol() == Some(".") {
            let [rest] = &list[i + 1..] else {
                return Err(Diagnostic::error(
                    "expected one name after `.`: the list of the remaining arguments",
                )
                .at(node.span));
            };
            out.rest = Some(name(rest)?);
            break;
        }
        match node.as_list() {
            Some([n, default]) => out.optional.push((name(n)?, default.clone())),
            Some(_) => {
                return Err(
                    Diagnostic::error("expected an optional parameter `(NAME DEFAULT)`")
                        .at(node.span),
                );
            }
            None if !out.optional.is_empty() => {
                let n = name(node)?;
                return Err(Diagnostic::error(format!(
                    "a required parameter cannot follow an optional one, found `{}`",
                    n.text
                ))
                .at(n.span)
                .with_note(
                    "help: give it a default, `(NAME DEFAULT)`, or move it before the optional ones",
                ));
            }
            None => out.required.push(name(node)?),
        }
        i += 1;
    }
    let mut seen: Vec<&str> = Vec::new();
    for n in out.names() {
        if seen.contains(&n.text.as_str()) {
            return Err(Diagnostic::error(format!("duplicate parameter `{}`", n.text)).at(n.span));
        }
        seen.push(&n.text);
    }
    Ok(out)
}

pub(crate) fn each_form(node: &Node, head: &str, f: &mut dyn FnMut(&[Node])) {
    let Some(items) = node.as_list() else {
        return;
    };
    match items.first().and_then(Node::as_symbol) {
        Some("quote") => return,
        Some(h) if h == head => f(items),
        _ => {}
    }
    for item in items {
        each_form(item, head, f);
    }
}

/// Adds each `required-providers` source and version to the module's
/// configurations of that provider (Terraform's rule: the requirement
/// names where a provider comes from, every configuration of it uses
/// that), and makes an empty configuration for a required provider the
/// module does not configure. A setting a block writes itself wins.
pub(crate) fn apply_required_providers(module: &mut Module) {
    let requirements = std::mem::take(&mut module.required_providers);
    for requirement in &requirements {
        let name = requirement.name.as_str();
        if !module.providers.iter().any(|p| p.name.text == name) {
            module.providers.push(ProviderBlock {
                name: requirement.name.clone(),
                alias: None,
                attributes: Vec::new(),
                span: requirement.span,
                implied: true,
            });
        }
        for block in module.providers.iter_mut().filter(|p| p.name.text == name) {
            for setting in &requirement.settings {
                if !block
                    .attributes
                    .iter()
                    .any(|a| a.name.text == setting.name.text)
                {
                    block.attributes.push(setting.clone());
                }
            }
        }
    }
    module.required_providers = requirements;
}

/// The module's backend: the first `(backend ...)`; any other one is an
/// error naming both places.
pub(crate) fn check_backends(
    module: &mut Module,
    mut backends: Vec<Backend>,
    sources: &nimbus_syntax::SourceMap,
    root: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if backends.is_empty() {
        return;
    }
    let first = backends.remove(0);
    for again in backends {
        diagnostics.push(
            Diagnostic::error(format!(
                "a second backend (`{}`): a root module keeps its state in one backend",
                again.kind.name()
            ))
            .at(again.span)
            .with_label("declared again here")
            .with_note(format!(
                "note: the first backend (`{}`) is at {}",
                first.kind.name(),
                crate::relative_location(sources, first.span, root)
            )),
        );
    }
    module.backend = Some(first);
}
