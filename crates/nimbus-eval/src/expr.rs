//! Expression evaluation. The language is pure: nothing here has a side
//! effect, and a value known only after apply stays unknown through every
//! operation.

use crate::scope::{Instances, ModuleIndex, Scope};
use nimbus_config::Mode;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};
use nimbus_value::{Number, Value};
use std::collections::BTreeMap;

/// Forms the evaluator handles itself (they do not evaluate all their
/// arguments first, or they read names rather than values).
pub const SPECIAL_FORMS: &[&str] = &[
    "and",
    "count-index",
    "each-key",
    "each-value",
    "if",
    "let",
    "local",
    "map",
    "module-output",
    "object",
    "or",
    "quote",
    "ref",
    "var",
];

/// Bare names that are values.
const KEYWORDS: &[&str] = &["null", "count-index", "each-key", "each-value"];

/// Whether a list form reads as an expression (a call or special form)
/// rather than as a `(KEY VALUE)` pair of a map.
pub fn is_expression_form(node: &Node) -> bool {
    match node.head() {
        Some(head) => SPECIAL_FORMS.contains(&head) || nimbus_stdlib::lookup(head).is_some(),
        None => false,
    }
}

/// Everything an expression can see.
pub struct Context<'a> {
    pub index: &'a ModuleIndex<'a>,
    pub scope: &'a Scope,
    /// `count-index` inside a counted resource.
    pub count_index: Option<i64>,
    /// `each-key` and `each-value` inside a `for-each` resource.
    pub each: Option<(&'a str, &'a Value)>,
    /// Bare names bound by `let`, and the variable under validation.
    bindings: Vec<(String, Value)>,
}

type Result<T> = std::result::Result<T, Diagnostic>;

impl<'a> Context<'a> {
    pub fn new(index: &'a ModuleIndex<'a>, scope: &'a Scope) -> Context<'a> {
        Context {
            index,
            scope,
            count_index: None,
            each: None,
            bindings: Vec::new(),
        }
    }

    /// Binds a bare name (used for the variable a validation checks).
    pub fn bind(&mut self, name: &str, value: Value) {
        self.bindings.push((name.to_string(), value));
    }

    pub fn eval(&mut self, node: &Node) -> Result<Value> {
        match &node.kind {
            NodeKind::String(s) => Ok(Value::String(s.clone())),
            NodeKind::Integer(i) => Ok(Value::Number(Number::Int(*i))),
            NodeKind::Decimal(f) => Ok(Value::Number(Number::Float(*f))),
            NodeKind::Bool(b) => Ok(Value::Bool(*b)),
            NodeKind::Symbol(s) => self.symbol(s, node.span),
            NodeKind::List(items) => self.list(node, items),
        }
    }

    fn symbol(&self, name: &str, span: Span) -> Result<Value> {
        if let Some((_, v)) = self.bindings.iter().rev().find(|(n, _)| n == name) {
            return Ok(v.clone());
        }
        match name {
            "null" => Ok(Value::Null),
            "count-index" => match self.count_index {
                Some(i) => Ok(Value::int(i)),
                None => Err(Diagnostic::error("`count-index` is only available in a resource with `count`").at(span)),
            },
            "each-key" => match self.each {
                Some((k, _)) => Ok(Value::string(k)),
                None => Err(Diagnostic::error("`each-key` is only available in a resource with `for-each`").at(span)),
            },
            "each-value" => match self.each {
                Some((_, v)) => Ok(v.clone()),
                None => Err(Diagnostic::error("`each-value` is only available in a resource with `for-each`").at(span)),
            },
            _ => {
                let mut d = Diagnostic::error(format!("unknown name `{name}`")).at(span);
                if self.index.variables.contains_key(name) {
                    d = d.with_note(format!("help: to use the variable write `(var {name})`"));
                } else if self.index.locals.contains_key(name) {
                    d = d.with_note(format!("help: to use the local write `(local {name})`"));
                } else {
                    let candidates: Vec<&str> = self
                        .bindings
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .chain(KEYWORDS.iter().copied())
                        .collect();
                    d = d.with_suggestion(name, candidates);
                }
                Err(d)
            }
        }
    }

    fn list(&mut self, node: &Node, items: &[Node]) -> Result<Value> {
        let Some(head_node) = items.first() else {
            return Ok(Value::List(Vec::new()));
        };
        let Some(head) = head_node.as_symbol() else {
            return Err(Diagnostic::error(format!(
                "expected a function name at the start of this list, found {}",
                head_node.describe()
            ))
            .at(head_node.span)
            .with_note("help: to write a list of values use `(list ...)`"));
        };
        let args = &items[1..];
        match head {
            "ref" => self.reference(node, args),
            "var" => self.variable(node, args),
            "local" => self.local(node, args),
            "module-output" => self.module_output(node, args),
            "if" => self.if_form(node, args),
            "let" => self.let_form(node, args),
            "and" | "or" => self.logic(head == "and", args),
            "quote" => match args {
                [one] => Ok(quote(one)),
                _ => Err(Diagnostic::error("`quote` takes one datum").at(node.span)),
            },
            "map" | "object" => self.map_form(args),
            "count-index" | "each-key" | "each-value" if args.is_empty() => self.symbol(head, head_node.span),
            _ => self.call(node, head_node, head, args),
        }
    }

    fn call(&mut self, node: &Node, head_node: &Node, head: &str, args: &[Node]) -> Result<Value> {
        let Some(function) = nimbus_stdlib::lookup(head) else {
            let candidates = nimbus_stdlib::names().chain(SPECIAL_FORMS.iter().copied());
            return Err(Diagnostic::error(format!("unknown function `{head}`"))
                .at(head_node.span)
                .with_suggestion(head, candidates));
        };
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(arg)?);
        }
        nimbus_stdlib::call(function, values).map_err(|e| {
            let span = e.argument.and_then(|i| args.get(i)).map_or(node.span, |a| a.span);
            Diagnostic::error(format!("{head}: {}", e.message))
                .at(span)
                .with_note(format!("note: usage: {}", function.signature))
        })
    }

    fn if_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let [condition, then, otherwise] = args else {
            return Err(Diagnostic::error("expected `(if CONDITION THEN ELSE)`").at(node.span));
        };
        let c = self.eval(condition)?;
        let sensitive = c.is_sensitive();
        let result = match c.peel() {
            Value::Bool(true) => self.eval(then)?,
            Value::Bool(false) => self.eval(otherwise)?,
            Value::Unknown => Value::Unknown,
            other => {
                return Err(Diagnostic::error(format!("the condition of `if` must be a bool, found {}", other.kind_name()))
                    .at(condition.span));
            }
        };
        Ok(result.mark_if(sensitive))
    }

    fn let_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let [bindings, body] = args else {
            return Err(Diagnostic::error("expected `(let ((NAME VALUE) ...) BODY)`").at(node.span));
        };
        let Some(pairs) = bindings.as_list() else {
            return Err(Diagnostic::error("expected a list of bindings `((NAME VALUE) ...)`").at(bindings.span));
        };
        let depth = self.bindings.len();
        let mut result = Ok(Value::Null);
        for pair in pairs {
            match pair.as_list() {
                Some([name, value]) if name.as_symbol().is_some() => match self.eval(value) {
                    Ok(v) => self.bindings.push((name.as_symbol().unwrap_or_default().to_string(), v)),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                },
                _ => {
                    result = Err(Diagnostic::error("expected a binding `(NAME VALUE)`").at(pair.span));
                    break;
                }
            }
        }
        if result.is_ok() {
            result = self.eval(body);
        }
        self.bindings.truncate(depth);
        result
    }

    /// `and`/`or` short-circuit on a known value; an unknown operand makes
    /// the result unknown unless a later known operand decides it.
    fn logic(&mut self, is_and: bool, args: &[Node]) -> Result<Value> {
        let mut unknown = false;
        let mut sensitive = false;
        for arg in args {
            let v = self.eval(arg)?;
            sensitive |= v.is_sensitive();
            match v.peel() {
                Value::Bool(b) if *b != is_and => return Ok(Value::Bool(*b).mark_if(sensitive)),
                Value::Bool(_) => {}
                Value::Unknown => unknown = true,
                other => {
                    return Err(Diagnostic::error(format!(
                        "`{}` takes bools, found {}",
                        if is_and { "and" } else { "or" },
                        other.kind_name()
                    ))
                    .at(arg.span));
                }
            }
        }
        let result = if unknown { Value::Unknown } else { Value::Bool(is_and) };
        Ok(result.mark_if(sensitive))
    }

    /// `(map (KEY VALUE) ...)`: keys are names or strings, written literally.
    fn map_form(&mut self, args: &[Node]) -> Result<Value> {
        let mut out = BTreeMap::new();
        for pair in args {
            match pair.as_list() {
                Some([key, value]) if key.as_name().is_some() => {
                    let v = self.eval(value)?;
                    out.insert(key.as_name().unwrap_or_default().to_string(), v);
                }
                _ => return Err(Diagnostic::error("expected an entry `(KEY VALUE)`").at(pair.span)),
            }
        }
        Ok(Value::Map(out))
    }

    fn name_arg<'n>(&self, node: &Node, args: &'n [Node], i: usize, what: &str) -> Result<&'n str> {
        match args.get(i) {
            Some(n) => n
                .as_name()
                .ok_or_else(|| Diagnostic::error(format!("expected {what}, found {}", n.describe())).at(n.span)),
            None => Err(Diagnostic::error(format!("missing {what}")).at(node.span)),
        }
    }

    fn variable(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        if args.len() != 1 {
            return Err(Diagnostic::error("expected `(var NAME)`").at(node.span));
        }
        let name = self.name_arg(node, args, 0, "a variable name")?;
        if !self.index.variables.contains_key(name) {
            return Err(Diagnostic::error(format!("unknown variable `{name}`"))
                .at(args[0].span)
                .with_suggestion(name, self.index.variables.keys().copied()));
        }
        Ok(self.scope.variables.get(name).cloned().unwrap_or(Value::Unknown))
    }

    fn local(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        if args.len() != 1 {
            return Err(Diagnostic::error("expected `(local NAME)`").at(node.span));
        }
        let name = self.name_arg(node, args, 0, "a local name")?;
        if !self.index.locals.contains_key(name) {
            return Err(Diagnostic::error(format!("unknown local `{name}`"))
                .at(args[0].span)
                .with_suggestion(name, self.index.locals.keys().copied()));
        }
        Ok(self.scope.locals.get(name).cloned().unwrap_or(Value::Unknown))
    }

    fn module_output(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        if args.len() != 2 {
            return Err(Diagnostic::error("expected `(module-output MODULE NAME)`").at(node.span));
        }
        let module = self.name_arg(node, args, 0, "a module instance name")?;
        let name = self.name_arg(node, args, 1, "an output name")?;
        if !self.index.calls.contains_key(module) {
            return Err(Diagnostic::error(format!("unknown module instance `{module}`"))
                .at(args[0].span)
                .with_suggestion(module, self.index.calls.keys().copied()));
        }
        match self.scope.module_outputs.get(module) {
            Some(outputs) => outputs.get(name).cloned().ok_or_else(|| {
                Diagnostic::error(format!("module `{module}` has no output `{name}`"))
                    .at(args[1].span)
                    .with_suggestion(name, outputs.keys().map(String::as_str))
            }),
            None => Ok(Value::Unknown),
        }
    }

    /// `(ref TYPE NAME [INDEX-OR-KEY] ATTR ...)` and `(ref data TYPE NAME ...)`.
    fn reference(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let (mode, args) = match args.first().and_then(Node::as_symbol) {
            Some("data") if args.len() >= 3 => (Mode::Data, &args[1..]),
            _ => (Mode::Managed, args),
        };
        let type_name = self.name_arg(node, args, 0, "a resource type")?;
        let name = self.name_arg(node, args, 1, "a resource name")?;
        let Some(resource) = self.index.resource(mode, type_name, name) else {
            let declared: Vec<String> = self
                .index
                .module
                .resources
                .iter()
                .filter(|r| r.mode == mode)
                .map(|r| format!("{} \"{}\"", r.type_name.text, r.name.text))
                .collect();
            let wrong = format!("{type_name} \"{name}\"");
            let what = if mode == Mode::Data { "data source" } else { "resource" };
            return Err(Diagnostic::error(format!("reference to undeclared {what} `{type_name}.{name}`"))
                .at(args[0].span.to(args[1].span))
                .with_suggestion(&wrong, declared.iter().map(String::as_str)));
        };
        let mut rest = &args[2..];
        let instances = self
            .scope
            .resources
            .get(&(mode, type_name.to_string(), name.to_string()));
        let expanded = resource.count.is_some() || resource.for_each.is_some();
        let mut value = if expanded {
            match rest.first() {
                Some(index_node) => {
                    let key = self.eval(index_node)?;
                    rest = &rest[1..];
                    match instances {
                        None | Some(Instances::Unknown) => Value::Unknown,
                        Some(instances) => self.instance(instances, &key, index_node.span, type_name, name)?,
                    }
                }
                None => instances.map_or(Value::Unknown, Instances::to_value),
            }
        } else {
            instances.map_or(Value::Unknown, Instances::to_value)
        };
        for attr in rest {
            value = self.attribute(value, attr, type_name)?;
        }
        Ok(value)
    }

    fn instance(&self, instances: &Instances, key: &Value, span: Span, type_name: &str, name: &str) -> Result<Value> {
        if key.is_unknown() {
            return Ok(Value::Unknown);
        }
        match (instances, key.peel()) {
            (Instances::Counted(items), Value::Number(n)) => {
                let i = n.as_i64().filter(|i| *i >= 0 && (*i as usize) < items.len());
                match i {
                    Some(i) => Ok(items[i as usize].clone()),
                    None => Err(Diagnostic::error(format!(
                        "index {n} is out of range: `{type_name}.{name}` has {} instances",
                        items.len()
                    ))
                    .at(span)),
                }
            }
            (Instances::Keyed(map), Value::String(k)) => map.get(k).cloned().ok_or_else(|| {
                Diagnostic::error(format!("`{type_name}.{name}` has no instance with key {k:?}"))
                    .at(span)
                    .with_suggestion(k, map.keys().map(String::as_str))
            }),
            (Instances::Counted(_), other) => Err(Diagnostic::error(format!(
                "`{type_name}.{name}` uses `count`: index it with a number, not a {}",
                other.kind_name()
            ))
            .at(span)),
            (Instances::Keyed(_), other) => Err(Diagnostic::error(format!(
                "`{type_name}.{name}` uses `for-each`: index it with a string key, not a {}",
                other.kind_name()
            ))
            .at(span)),
            (Instances::Single(v), _) => Ok(v.clone()),
            (Instances::Unknown, _) => Ok(Value::Unknown),
        }
    }

    /// One step of an attribute path: an attribute name, a map key or a
    /// list index.
    fn attribute(&mut self, value: Value, step: &Node, type_name: &str) -> Result<Value> {
        let sensitive = value.is_sensitive();
        let value = match value {
            Value::Sensitive(inner) => *inner,
            v => v,
        };
        let result = match (&value, &step.kind) {
            (Value::Unknown, _) => Value::Unknown,
            (Value::Map(map), NodeKind::String(k) | NodeKind::Symbol(k)) => match map.get(k.as_str()) {
                Some(v) => v.clone(),
                None => {
                    return Err(Diagnostic::error(format!("`{type_name}` has no attribute `{k}`"))
                        .at(step.span)
                        .with_suggestion(k, map.keys().map(String::as_str)));
                }
            },
            (Value::List(items), NodeKind::Integer(i)) => match usize::try_from(*i).ok().and_then(|i| items.get(i)) {
                Some(v) => v.clone(),
                None => {
                    return Err(Diagnostic::error(format!("index {i} is out of range (length {})", items.len())).at(step.span));
                }
            },
            (Value::Null, _) => {
                return Err(Diagnostic::error("cannot take an attribute of null").at(step.span));
            }
            (other, _) => {
                return Err(Diagnostic::error(format!(
                    "cannot index a {} with {}",
                    other.kind_name(),
                    step.describe()
                ))
                .at(step.span));
            }
        };
        Ok(result.mark_if(sensitive))
    }
}

/// A quoted datum: symbols become strings, lists become lists.
fn quote(node: &Node) -> Value {
    match &node.kind {
        NodeKind::List(items) => Value::List(items.iter().map(quote).collect()),
        NodeKind::Symbol(s) | NodeKind::String(s) => Value::String(s.clone()),
        NodeKind::Integer(i) => Value::Number(Number::Int(*i)),
        NodeKind::Decimal(f) => Value::Number(Number::Float(*f)),
        NodeKind::Bool(b) => Value::Bool(*b),
    }
}
