//! Expression evaluation. The language is pure: nothing here has a side
//! effect, and a value known only after apply stays unknown through every
//! operation.

use crate::functions::{Bound, is_higher_order_map};
use crate::scope::{Instances, ModuleIndex, Scope};
use nimbus_config::Mode;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};
use nimbus_value::{Number, SENSITIVE_VALUE, Type, Value};
use std::collections::BTreeMap;

/// Forms the evaluator handles itself; the configuration crate owns the
/// list because it checks expressions that nothing evaluates yet (policy
/// conditions).
pub use nimbus_config::SPECIAL_FORMS;

/// Bare names that are values.
const KEYWORDS: &[&str] = &[
    "null",
    "count-index",
    "each-key",
    "each-value",
    "path-module",
    "path-root",
    "path-cwd",
    "terraform-workspace",
];

/// The workspace `terraform-workspace` names unless the caller says.
pub const DEFAULT_WORKSPACE: &str = "default";

/// A condition's value: a bool, or the string `"true"` or `"false"`
/// converted as Terraform converts it; `None` for anything else.
fn truth(value: &Value) -> Option<bool> {
    value.to_bool_converted()
}

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
    /// `count-index` is unknown: in the inputs of the one instance
    /// `validate` checks of an `include` with `count`, whose indexes it
    /// does not know.
    pub unknown_count_index: bool,
    /// `each-key` and `each-value` are unknown: the same for an `include`
    /// with `for-each`.
    pub unknown_each: bool,
    /// Bare names bound by `let`, and the variable under validation.
    pub(crate) bindings: Vec<(String, Bound)>,
    /// Expressions evaluated so far (see [`crate::functions::MAX_STEPS`]).
    pub(crate) steps: u64,
    /// Calls of user functions in progress (see
    /// [`crate::functions::MAX_CALL_DEPTH`]).
    pub(crate) depth: usize,
    /// What functions may use: the phase (the clock and randomness only
    /// at apply) and file access. By default: planning, no files.
    pub functions: nimbus_stdlib::Context<'a>,
    /// The workspace's name, for `terraform-workspace`.
    pub workspace: &'a str,
    /// In a policy condition: the resource change it is checked against,
    /// which the policy predicates read ([`crate::policy`]).
    pub subject: Option<&'a crate::policy::Subject<'a>>,
}

type Result<T> = std::result::Result<T, Diagnostic>;

impl<'a> Context<'a> {
    /// This context, giving functions `functions`.
    pub fn with_functions(mut self, functions: nimbus_stdlib::Context<'a>) -> Context<'a> {
        self.functions = functions;
        self
    }

    pub fn new(index: &'a ModuleIndex<'a>, scope: &'a Scope) -> Context<'a> {
        Context {
            index,
            scope,
            count_index: None,
            each: None,
            unknown_count_index: false,
            unknown_each: false,
            bindings: Vec::new(),
            steps: 0,
            depth: 0,
            functions: nimbus_stdlib::Context::default(),
            workspace: DEFAULT_WORKSPACE,
            subject: None,
        }
    }

    /// Starts a new evaluation in the same context: the step limit
    /// counts from zero again (a context reused for several independent
    /// expressions, as the policy rules on one change, gives each its
    /// own budget).
    pub fn restart_step_budget(&mut self) {
        self.steps = 0;
    }

    /// Binds a bare name (used for the variable a validation checks).
    pub fn bind(&mut self, name: &str, value: Value) {
        self.bindings.push((name.to_string(), Bound::Value(value)));
    }

    pub fn eval(&mut self, node: &Node) -> Result<Value> {
        self.step(node.span)?;
        match &node.kind {
            NodeKind::String(s) => Ok(Value::String(s.clone())),
            NodeKind::Integer(i) => Ok(Value::Number(Number::Int(*i))),
            NodeKind::Decimal(f) => Ok(Value::Number(Number::Float(*f))),
            NodeKind::Bool(b) => Ok(Value::Bool(*b)),
            NodeKind::Symbol(s) => self.symbol(s, node.span),
            NodeKind::List(items) => self.list(node, items),
        }
    }

    fn symbol(&mut self, name: &str, span: Span) -> Result<Value> {
        if let Some(bound) = self.binding(name) {
            return bound.clone().into_value(span);
        }
        match name {
            "null" => Ok(Value::Null),
            "count-index" if self.unknown_count_index => Ok(Value::Unknown),
            "each-key" | "each-value" if self.unknown_each => Ok(Value::Unknown),
            "count-index" => match self.count_index {
                Some(i) => Ok(Value::int(i)),
                None => Err(Diagnostic::error(
                    "`count-index` is only available in a resource or `include` with `count`",
                )
                .at(span)),
            },
            "each-key" => match self.each {
                Some((k, _)) => Ok(Value::string(k)),
                None => Err(Diagnostic::error(
                    "`each-key` is only available in a resource or `include` with `for-each`",
                )
                .at(span)),
            },
            "each-value" => match self.each {
                Some((_, v)) => Ok(v.clone()),
                None => Err(Diagnostic::error(
                    "`each-value` is only available in a resource or `include` with `for-each`",
                )
                .at(span)),
            },
            // Paths are relative to the root module's directory, which is
            // where Nimbus runs (`-C DIR` moves there first) and what
            // relative paths given to the file functions start from.
            "path-module" => Ok(Value::string(self.index.module.path_from_root.as_str())),
            "path-root" => Ok(Value::string(".")),
            // The working directory, absolute: the root module's directory
            // (where relative paths start from, wherever Nimbus was
            // started), so a saved plan applied with `-C` from elsewhere
            // sees the same. Unknown without file access.
            "path-cwd" => match self.functions.files {
                Some(files) => files.current_dir().map(Value::String).map_err(|e| {
                    Diagnostic::error(format!("cannot tell the working directory: {e}")).at(span)
                }),
                None => Ok(Value::Unknown),
            },
            "terraform-workspace" => Ok(Value::string(self.workspace)),
            "self" => Err(
                Diagnostic::error("`self` is only available in a `postcondition`")
                    .at(span)
                    .with_note("note: `self` is the object the postcondition checks"),
            ),
            _ if self.definition(name).is_some() => {
                let position = self.definition(name).unwrap_or_default();
                self.definition_bound(position, span)?.into_value(span)
            }
            _ => {
                let mut d = Diagnostic::error(format!("unknown name `{name}`")).at(span);
                if name == "*" {
                    d = d.with_note(
                        "help: `*` selects every instance only as the index of a reference: `(ref TYPE \"NAME\" * \"ATTRIBUTE\")`",
                    );
                } else if nimbus_stdlib::lookup(name).is_some() || SPECIAL_FORMS.contains(&name) {
                    d = d.with_note(format!(
                        "help: `{name}` is a function: call it as `({name} ...)`"
                    ));
                } else if self.index.variables.contains_key(name) {
                    d = d.with_note(format!("help: to use the variable write `(var {name})`"));
                } else if self.index.locals.contains_key(name) {
                    d = d.with_note(format!("help: to use the local write `(local {name})`"));
                } else {
                    let candidates: Vec<&str> = self
                        .bindings
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .chain(KEYWORDS.iter().copied())
                        .chain(
                            self.index
                                .module
                                .definitions
                                .iter()
                                .map(|d| d.name.text.as_str()),
                        )
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
        if let Some(function) = self.callee(head_node)? {
            return self
                .call_user(node, function, &items[1..])?
                .into_value(node.span);
        }
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
            "module-outputs" => self.module_outputs(node, args),
            "if" => self.if_form(node, args),
            "let" | "let*" => self.let_form(node, args),
            "cond" => self.cond_form(args),
            "case" => self.case_form(node, args),
            "letrec" => self.letrec_form(node, args),
            "when" | "unless" => self.when_form(head == "when", node, args),
            "lambda" => Err(Diagnostic::error("a function is not a value")
                .at(node.span)
                .with_note("help: call it, bind it with `let` or `define`, or pass it to a form that takes a function such as `map`")),
            "map" if is_higher_order_map(args) => self.higher_order(head, node, args),
            "filter" | "reduce" | "any" | "every" | "find" | "sort-by" | "group-by" => {
                self.higher_order(head, node, args)
            }
            "and" | "or" => self.logic(head == "and", args),
            "quote" => match args {
                [one] => Ok(quote(one)),
                _ => Err(Diagnostic::error("`quote` takes one datum").at(node.span)),
            },
            "quasiquote" => self.quasiquote(node, args),
            "unquote" | "unquote-splicing" => Err(Diagnostic::error(format!(
                "`{head}` is only allowed inside a quasiquote"
            ))
            .at(node.span)
            .with_note("help: build data with `` `(a ,x ,@xs) ``: `,` and `,@` fill holes in it")),
            "map" | "object" => self.map_form(args),
            "count-index"
            | "each-key"
            | "each-value"
            | "path-module"
            | "path-root"
            | "path-cwd"
            | "terraform-workspace"
                if args.is_empty() =>
            {
                self.symbol(head, head_node.span)
            }
            "for" => self.for_form(node, args, false),
            "for-map" => self.for_form(node, args, true),
            "get" => self.get_form(node, args),
            "try" => self.try_form(node, args),
            "can" => self.can_form(node, args),
            "apply" => self.apply_form(node, args),
            "template-file" => self.template_file(node, args),
            _ => self.call(node, head_node, head, args),
        }
    }

    /// `(for (BINDING...) [(when CONDITION)] BODY)` makes a list;
    /// `(for-map (BINDING...) [(when CONDITION)] KEY VALUE [...])` a map
    /// (with `...`, a map of lists grouping the values of equal keys).
    /// A binding is `(NAME COLLECTION)` or `(KEY NAME COLLECTION)`: the
    /// elements of a list (KEY their index) or the entries of a map in key
    /// order (KEY the key). Several bindings nest, later ones inside
    /// earlier ones and seeing their names.
    ///
    /// Marks: an unknown collection, condition or key makes the whole
    /// result unknown (its shape is not known); a sensitive collection,
    /// condition or key makes the whole result sensitive; the values of
    /// the body keep their own marks.
    fn for_form(&mut self, node: &Node, args: &[Node], to_map: bool) -> Result<Value> {
        let usage = if to_map {
            "expected `(for-map ((NAME COLLECTION) ...) [(when CONDITION)] KEY VALUE [...])`"
        } else {
            "expected `(for ((NAME COLLECTION) ...) [(when CONDITION)] BODY)`"
        };
        let Some((bindings, rest)) = args.split_first() else {
            return Err(Diagnostic::error(usage).at(node.span));
        };
        let Some(bindings) = bindings.as_list().filter(|b| {
            !b.is_empty()
                && b.iter().all(|binding| {
                    binding.as_list().is_some_and(|parts| {
                        matches!(parts.len(), 2 | 3)
                            && parts[..parts.len() - 1]
                                .iter()
                                .all(|n| n.as_symbol().is_some())
                    })
                })
        }) else {
            return Err(Diagnostic::error(usage)
                .at(args[0].span)
                .with_note("help: each binding is `(NAME COLLECTION)` or `(KEY NAME COLLECTION)`, in a list: `(for ((x xs)) ...)`"));
        };
        let (condition, rest) = match rest.split_first() {
            Some((first, rest)) if first.head() == Some("when") => match first.as_list() {
                Some([_, condition]) => (Some(condition), rest),
                _ => {
                    return Err(Diagnostic::error("expected `(when CONDITION)`").at(first.span));
                }
            },
            _ => (None, rest),
        };
        let body = match (to_map, rest) {
            (false, [value]) => ForBody::List(value),
            (true, [key, value]) => ForBody::Map {
                key,
                value,
                group: false,
            },
            (true, [key, value, dots]) if dots.as_symbol() == Some("...") => ForBody::Map {
                key,
                value,
                group: true,
            },
            _ => return Err(Diagnostic::error(usage).at(node.span)),
        };
        let mut state = ForState {
            list: Vec::new(),
            map: BTreeMap::new(),
            unknown: false,
            sensitive: false,
        };
        let depth = self.bindings.len();
        let result = self.for_each_binding(bindings, condition, &body, &mut state);
        self.bindings.truncate(depth);
        result?;
        let value = if state.unknown {
            Value::Unknown
        } else if to_map {
            Value::Map(state.map)
        } else {
            Value::List(state.list)
        };
        Ok(value.mark_if(state.sensitive))
    }

    /// Binds the first of `bindings` to each element of its collection in
    /// turn, then the rest; at the innermost level, evaluates the body.
    fn for_each_binding(
        &mut self,
        bindings: &[Node],
        condition: Option<&Node>,
        body: &ForBody<'_>,
        state: &mut ForState,
    ) -> Result<()> {
        let Some((binding, inner)) = bindings.split_first() else {
            return self.for_body(condition, body, state);
        };
        let parts = binding.as_list().unwrap_or_default();
        let (names, collection) = parts.split_at(parts.len().saturating_sub(1));
        let name_of = |n: &Node| n.as_symbol().unwrap_or_default().to_string();
        let Some(collection) = collection.first() else {
            return Ok(());
        };
        let value = self.eval(collection)?;
        state.sensitive |= value.is_sensitive();
        let entries: Vec<(Value, Value)> = match value.peel() {
            Value::Unknown => {
                state.unknown = true;
                return Ok(());
            }
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::int(i as i64), v.clone()))
                .collect(),
            Value::Map(map) => map
                .iter()
                .map(|(k, v)| (Value::string(k), v.clone()))
                .collect(),
            other => {
                return Err(Diagnostic::error(format!(
                    "`for` iterates over a list or a map, found {}",
                    other.kind_name()
                ))
                .at(collection.span));
            }
        };
        let depth = self.bindings.len();
        for (key, element) in entries {
            self.bindings.truncate(depth);
            if let [key_name, _] = names {
                self.bindings.push((name_of(key_name), Bound::Value(key)));
            }
            if let Some(value_name) = names.last() {
                self.bindings
                    .push((name_of(value_name), Bound::Value(element)));
            }
            self.for_each_binding(inner, condition, body, state)?;
            if state.unknown {
                break;
            }
        }
        self.bindings.truncate(depth);
        Ok(())
    }

    fn for_body(
        &mut self,
        condition: Option<&Node>,
        body: &ForBody<'_>,
        state: &mut ForState,
    ) -> Result<()> {
        if let Some(condition) = condition {
            let keep = self.eval(condition)?;
            state.sensitive |= keep.is_sensitive();
            match (truth(&keep), keep.peel()) {
                (Some(true), _) => {}
                (Some(false), _) => return Ok(()),
                (None, Value::Unknown) => {
                    state.unknown = true;
                    return Ok(());
                }
                (None, other) => {
                    return Err(Diagnostic::error(format!(
                        "the condition of `for` must be a bool, found {}",
                        other.kind_name()
                    ))
                    .at(condition.span));
                }
            }
        }
        match body {
            ForBody::List(value) => {
                let v = self.eval(value)?;
                state.list.push(v);
            }
            ForBody::Map { key, value, group } => {
                let k = self.eval(key)?;
                state.sensitive |= k.is_sensitive();
                let k = match k.peel() {
                    Value::Unknown => {
                        state.unknown = true;
                        return Ok(());
                    }
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => {
                        return Err(Diagnostic::error(format!(
                            "a map's key must be a string, found {}",
                            other.kind_name()
                        ))
                        .at(key.span));
                    }
                };
                let v = self.eval(value)?;
                match state.map.entry(k) {
                    // Grouped entries are made as lists and stay lists.
                    std::collections::btree_map::Entry::Occupied(mut entry) if *group => {
                        if let Value::List(items) = entry.get_mut() {
                            items.push(v);
                        }
                    }
                    std::collections::btree_map::Entry::Vacant(entry) => {
                        entry.insert(if *group { Value::List(vec![v]) } else { v });
                    }
                    std::collections::btree_map::Entry::Occupied(entry) => {
                        let shown = if state.sensitive {
                            SENSITIVE_VALUE.to_string()
                        } else {
                            format!("{:?}", entry.key())
                        };
                        return Err(Diagnostic::error(format!(
                            "duplicate key {shown} in `for-map`"
                        ))
                        .at(key.span)
                        .with_note(
                            "help: to group the values of equal keys into lists, end the form with `...`",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// `(get VALUE STEP...)`: attribute access and indexing on any value.
    /// A step is a string (a map's key or an object's attribute) or a
    /// number (a list's index), computed by any expression; `*` applies
    /// the steps after it to every element of a list (a null value is an
    /// empty list, any other value a list of itself), as Terraform's
    /// `[*]`. Marks: as for `ref` paths, a sensitive value on the way or a
    /// sensitive step makes the result sensitive, an unknown one unknown.
    fn get_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let Some((base, steps)) = args.split_first() else {
            return Err(Diagnostic::error("expected `(get VALUE STEP...)`").at(node.span));
        };
        let value = self.eval(base)?;
        let described = describe_base(base);
        self.get_steps(value, steps, &described)
    }

    fn get_steps(&mut self, value: Value, steps: &[Node], base: &str) -> Result<Value> {
        let splat = steps.iter().position(|s| s.as_symbol() == Some("*"));
        let (path, after) = match splat {
            Some(i) => (&steps[..i], Some(&steps[i + 1..])),
            None => (steps, None),
        };
        // Each computed step becomes the literal step `walk` takes, so
        // paths and their messages are those of `ref`.
        let mut literal = Vec::with_capacity(path.len());
        let mut sensitive = false;
        let mut unknown = false;
        for step in path {
            let key = self.eval(step)?;
            sensitive |= key.is_sensitive();
            let kind = match key.peel() {
                Value::Unknown => {
                    unknown = true;
                    continue;
                }
                Value::String(s) => NodeKind::String(s.clone()),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => NodeKind::Integer(i.into()),
                    None => {
                        return Err(Diagnostic::error(format!(
                            "an index must be a whole number, found {}",
                            if key.is_sensitive() {
                                SENSITIVE_VALUE.to_string()
                            } else {
                                n.to_string()
                            }
                        ))
                        .at(step.span));
                    }
                },
                other => {
                    return Err(Diagnostic::error(format!(
                        "a step must be a string or a number, found {}",
                        other.kind_name()
                    ))
                    .at(step.span));
                }
            };
            literal.push(Node {
                kind,
                span: step.span,
            });
        }
        if unknown {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        let literal = lenient_steps(&value, literal);
        let reached = walk(&value, &literal, &|| base.to_string()).map_err(|e| {
            if sensitive {
                // The message would show the secret key.
                Diagnostic::error(format!("`{base}` has no element at the sensitive step"))
                    .at(e.span.unwrap_or_default())
            } else {
                e
            }
        })?;
        let reached = reached.mark_if(sensitive);
        let Some(after) = after else {
            return Ok(reached);
        };
        let (inner, marked) = reached.unmark();
        let out = match inner {
            Value::Unknown => return Ok(Value::Unknown.mark_if(marked)),
            Value::Null => Value::List(Vec::new()),
            Value::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.get_steps(item, after, base)?);
                }
                Value::List(out)
            }
            other => Value::List(vec![self.get_steps(other, after, base)?]),
        };
        Ok(out.mark_if(marked))
    }

    /// `(try EXPRESSION...)`: the first expression that evaluates without
    /// an error; an error naming every failure when none does. As in
    /// Terraform, a value not wholly known is unknown (whether it would
    /// fail is not known yet).
    fn try_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        if args.is_empty() {
            return Err(Diagnostic::error("expected `(try EXPRESSION...)`").at(node.span));
        }
        let mut failures = Vec::new();
        for arg in args {
            match self.eval(arg) {
                Ok(v) if !v.is_wholly_known() => {
                    return Ok(Value::Unknown.mark_if(v.contains_sensitive()));
                }
                Ok(v) => return Ok(v),
                Err(e) => failures.push(e.message),
            }
        }
        let mut d = Diagnostic::error("`try`: no expression succeeded").at(node.span);
        for failure in failures {
            d = d.with_note(format!("note: {failure}"));
        }
        Err(d)
    }

    /// `(can EXPRESSION)`: whether the expression evaluates without an
    /// error; unknown while its value is not wholly known. As in
    /// Terraform, the result carries no mark of the value.
    fn can_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let [arg] = args else {
            return Err(Diagnostic::error("expected `(can EXPRESSION)`").at(node.span));
        };
        Ok(match self.eval(arg) {
            Ok(v) if !v.is_wholly_known() => Value::Unknown,
            Ok(_) => Value::Bool(true),
            Err(_) => Value::Bool(false),
        })
    }

    fn call(&mut self, node: &Node, head_node: &Node, head: &str, args: &[Node]) -> Result<Value> {
        if let Some(subject) = self.subject
            && nimbus_config::POLICY_PREDICATES.contains(&head)
        {
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                values.push(self.eval(arg)?);
            }
            let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
            return crate::policy::predicate(subject, head, node, &values, &spans);
        }
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
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        self.invoke(node, function, values, &spans)
    }

    /// Calls `function` with `values`, the argument at `spans[i]` of the
    /// text, for locating what the function blames.
    pub(crate) fn invoke(
        &mut self,
        node: &Node,
        function: &'static nimbus_stdlib::Function,
        values: Vec<Value>,
        spans: &[Span],
    ) -> Result<Value> {
        nimbus_stdlib::call_in(function, values, &self.functions).map_err(|e| {
            let span = e
                .argument
                .and_then(|i| spans.get(i))
                .map_or(node.span, |s| *s);
            // The message already starts with the function's name, and
            // arity errors already show the usage.
            let usage = format!(" (usage: {})", function.signature);
            let message = e
                .message
                .strip_suffix(&usage)
                .unwrap_or(&e.message)
                .to_string();
            Diagnostic::error(message)
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
        let result = match (truth(&c), c.peel()) {
            (Some(true), _) => self.branch(then, otherwise)?,
            (Some(false), _) => self.branch(otherwise, then)?,
            (None, Value::Unknown) => Value::Unknown,
            (None, other) => {
                return Err(Diagnostic::error(format!(
                    "the condition of `if` must be a bool, found {}",
                    other.kind_name()
                ))
                .at(condition.span));
            }
        };
        Ok(result.mark_if(sensitive))
    }

    /// The value of the side `chosen` of a conditional: as Terraform
    /// unifies the two sides' types, a number or bool is its string when
    /// the side not taken is a string (`c ? 1 : "a"` is `"1"`).
    fn branch(&mut self, chosen: &Node, other: &Node) -> Result<Value> {
        let value = self.eval(chosen)?;
        if !matches!(value.peel(), Value::Number(_) | Value::Bool(_)) {
            return Ok(value);
        }
        let no_attributes = |_, _: &str, _: &str, _, _: &str| Type::Any;
        if crate::static_type(self.index.module, other, &no_attributes) != Type::String {
            return Ok(value);
        }
        let sensitive = value.is_sensitive();
        let text = value.peel().to_display_string();
        Ok(Value::string(text).mark_if(sensitive))
    }

    fn let_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let [bindings, body] = args else {
            return Err(
                Diagnostic::error("expected `(let ((NAME VALUE) ...) BODY)`").at(node.span),
            );
        };
        let pairs = match bindings.as_list() {
            Some(pairs) if pairs.first().is_none_or(|p| p.as_list().is_some()) => pairs,
            _ => {
                return Err(
                    Diagnostic::error("expected a list of bindings `((NAME VALUE) ...)`")
                        .at(bindings.span)
                        .with_note(
                            "help: each binding is a pair in the list: `(let ((x 1) (y 2)) BODY)`",
                        ),
                );
            }
        };
        let depth = self.bindings.len();
        let mut result = Ok(Value::Null);
        for pair in pairs {
            match pair.as_list() {
                Some([name, value]) if name.as_symbol().is_some() => match self.eval_bound(value) {
                    Ok(v) => self
                        .bindings
                        .push((name.as_symbol().unwrap_or_default().to_string(), v)),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                },
                Some([name, _]) => {
                    result = Err(Diagnostic::error(format!(
                        "a binding's name must be a symbol, found {}",
                        name.describe()
                    ))
                    .at(name.span));
                    break;
                }
                _ => {
                    result =
                        Err(Diagnostic::error("expected a binding `(NAME VALUE)`").at(pair.span));
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

    /// Calls a user function with the arguments written at `args`.
    fn call_user(
        &mut self,
        node: &Node,
        function: crate::functions::Function,
        args: &[Node],
    ) -> Result<Bound> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval_bound(arg)?);
        }
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        self.invoke_function(node, &function, values, &spans)
    }

    /// A condition's answer: `Some` when known (a bool or its string),
    /// `None` when unknown; an error for anything else. `form` names the
    /// form in the message.
    fn condition(&mut self, form: &str, node: &Node, sensitive: &mut bool) -> Result<Option<bool>> {
        let c = self.eval(node)?;
        *sensitive |= c.is_sensitive();
        match (truth(&c), c.peel()) {
            (Some(b), _) => Ok(Some(b)),
            (None, Value::Unknown) => Ok(None),
            (None, other) => Err(Diagnostic::error(format!(
                "the condition of `{form}` must be a bool, found {}",
                other.kind_name()
            ))
            .at(node.span)),
        }
    }

    /// `(cond (TEST EXPRESSION) ... [(else EXPRESSION)])`: the expression
    /// of the first test that holds; null when none does. An unknown test
    /// before the one that holds makes the result unknown; a sensitive
    /// one that was looked at makes it sensitive.
    fn cond_form(&mut self, args: &[Node]) -> Result<Value> {
        let mut sensitive = false;
        for (i, clause) in args.iter().enumerate() {
            let Some([test, value]) = clause.as_list() else {
                return Err(Diagnostic::error("expected a clause `(TEST EXPRESSION)`")
                    .at(clause.span)
                    .with_note("note: `(cond (TEST EXPRESSION) ... (else EXPRESSION))`"));
            };
            if test.as_symbol() == Some("else") {
                if i + 1 != args.len() {
                    return Err(
                        Diagnostic::error("`else` must be the last clause of `cond`")
                            .at(clause.span),
                    );
                }
                return Ok(self.eval(value)?.mark_if(sensitive));
            }
            match self.condition("cond", test, &mut sensitive)? {
                Some(true) => return Ok(self.eval(value)?.mark_if(sensitive)),
                Some(false) => {}
                None => return Ok(Value::Unknown.mark_if(sensitive)),
            }
        }
        Ok(Value::Null.mark_if(sensitive))
    }

    /// `(case KEY ((DATUM...) EXPRESSION) ... [(else EXPRESSION)])`: the
    /// expression of the first clause with a datum equal to the key's
    /// value (data read as `quote` reads them); null when none has. An
    /// unknown key gives an unknown result, a sensitive one a sensitive
    /// result.
    fn case_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let Some((key, clauses)) = args.split_first() else {
            return Err(Diagnostic::error(
                "expected `(case KEY ((DATUM...) EXPRESSION) ... [(else EXPRESSION)])`",
            )
            .at(node.span));
        };
        let (key, sensitive) = self.eval(key)?.unmark();
        if key == Value::Unknown {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        for (i, clause) in clauses.iter().enumerate() {
            let Some([data, value]) = clause.as_list() else {
                return Err(
                    Diagnostic::error("expected a clause `((DATUM...) EXPRESSION)`")
                        .at(clause.span)
                        .with_note(
                            "note: `(case KEY ((DATUM...) EXPRESSION) ... (else EXPRESSION))`",
                        ),
                );
            };
            if data.as_symbol() == Some("else") {
                if i + 1 != clauses.len() {
                    return Err(
                        Diagnostic::error("`else` must be the last clause of `case`")
                            .at(clause.span),
                    );
                }
                return Ok(self.eval(value)?.mark_if(sensitive));
            }
            let Some(data) = data.as_list() else {
                return Err(Diagnostic::error(format!(
                    "expected the list of data of a clause, found {}",
                    data.describe()
                ))
                .at(data.span)
                .with_note("help: even one datum is in a list: `((\"a\") EXPRESSION)`"));
            };
            if data.iter().any(|d| quote(d) == key) {
                return Ok(self.eval(value)?.mark_if(sensitive));
            }
        }
        Ok(Value::Null.mark_if(sensitive))
    }

    /// `(when TEST EXPRESSION)`: the expression if the test holds, else
    /// null; `(unless TEST EXPRESSION)` the reverse.
    fn when_form(&mut self, when: bool, node: &Node, args: &[Node]) -> Result<Value> {
        let form = if when { "when" } else { "unless" };
        let [test, value] = args else {
            return Err(
                Diagnostic::error(format!("expected `({form} TEST EXPRESSION)`")).at(node.span),
            );
        };
        let mut sensitive = false;
        let result = match self.condition(form, test, &mut sensitive)? {
            Some(holds) if holds == when => self.eval(value)?,
            Some(_) => Value::Null,
            None => Value::Unknown,
        };
        Ok(result.mark_if(sensitive))
    }

    /// `and`/`or` short-circuit on a known value; an unknown operand makes
    /// the result unknown unless a later known operand decides it.
    fn logic(&mut self, is_and: bool, args: &[Node]) -> Result<Value> {
        let mut unknown = false;
        let mut sensitive = false;
        for arg in args {
            let v = self.eval(arg)?;
            sensitive |= v.is_sensitive();
            match (truth(&v), v.peel()) {
                (Some(b), _) if b != is_and => return Ok(Value::Bool(b).mark_if(sensitive)),
                (Some(_), _) => {}
                (None, Value::Unknown) => unknown = true,
                (None, other) => {
                    return Err(Diagnostic::error(format!(
                        "`{}` takes bools, found {}",
                        if is_and { "and" } else { "or" },
                        other.kind_name()
                    ))
                    .at(arg.span));
                }
            }
        }
        let result = if unknown {
            Value::Unknown
        } else {
            Value::Bool(is_and)
        };
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
            Some(n) => n.as_name().ok_or_else(|| {
                Diagnostic::error(format!("expected {what}, found {}", n.describe())).at(n.span)
            }),
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
        Ok(self
            .scope
            .variables
            .get(name)
            .cloned()
            .unwrap_or(Value::Unknown))
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
        Ok(self
            .scope
            .locals
            .get(name)
            .cloned()
            .unwrap_or(Value::Unknown))
    }

    /// `(module-output CALL NAME)`: the output of the module instance, or
    /// of every instance of an `include` with `count` (a list) or
    /// `for-each` (a map by key); `(module-output CALL INSTANCE NAME)`: the
    /// output of one of them.
    fn module_output(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let (module_node, instance_node, name_node) = match args {
            [module, name] => (module, None, name),
            [module, instance, name] => (module, Some(instance), name),
            _ => {
                return Err(Diagnostic::error(
                    "expected `(module-output MODULE NAME)` or `(module-output MODULE INSTANCE NAME)`",
                )
                .at(node.span));
            }
        };
        let name = self.name_arg(node, std::slice::from_ref(name_node), 0, "an output name")?;
        let Some((module, instances, key)) =
            self.module_instances(node, module_node, instance_node, &format!(" \"{name}\""))?
        else {
            return Ok(Value::Unknown);
        };
        let address = || format!("module.{module}");
        let name_step = std::slice::from_ref(name_node);
        match (instances, key) {
            (Instances::Single(outputs), _) => outputs
                .peel()
                .as_map()
                .and_then(|m| m.get(name))
                .cloned()
                .ok_or_else(|| {
                    let names = outputs.peel().as_map().into_iter().flat_map(|m| m.keys());
                    Diagnostic::error(format!("module `{module}` has no output `{name}`"))
                        .at(name_node.span)
                        .with_suggestion(name, names.map(String::as_str))
                }),
            (instances, None) => splat_instances(Some(instances), name_step, &address),
            (_, Some((key, _))) if key.is_unknown() => Ok(Value::Unknown),
            (instances, Some((key, span))) => {
                let outputs = instance(instances, &key, span, &address)?;
                Ok(walk(outputs, name_step, &address)?.mark_if(key.is_sensitive()))
            }
        }
    }

    /// `(module-outputs CALL)`: Terraform's `module.CALL`, the object of
    /// every output of the module instance, or of every instance of an
    /// `include` with `count` (a list of them) or `for-each` (a map by
    /// key); `(module-outputs CALL INSTANCE)`: one instance's object.
    fn module_outputs(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let (module_node, instance_node) = match args {
            [module] => (module, None),
            [module, instance] => (module, Some(instance)),
            _ => {
                return Err(Diagnostic::error(
                    "expected `(module-outputs MODULE)` or `(module-outputs MODULE INSTANCE)`",
                )
                .at(node.span));
            }
        };
        let Some((module, instances, key)) =
            self.module_instances(node, module_node, instance_node, "")?
        else {
            return Ok(Value::Unknown);
        };
        let address = || format!("module.{module}");
        match (instances, key) {
            (Instances::Single(outputs), _) => Ok(outputs.clone()),
            (instances, None) => splat_instances(Some(instances), &[], &address),
            (_, Some((key, _))) if key.is_unknown() => Ok(Value::Unknown),
            (instances, Some((key, span))) => Ok(instance(instances, &key, span, &address)?
                .clone()
                .mark_if(key.is_sensitive())),
        }
    }

    /// The `include` a `module-output(s)` form names, the outputs its
    /// instances have so far (`None` while none are known) and the
    /// evaluated INSTANCE key, if one is given. `rest` completes the
    /// suggested form when an INSTANCE is given to a single instance.
    #[allow(clippy::type_complexity)]
    fn module_instances<'n>(
        &mut self,
        node: &Node,
        module_node: &'n Node,
        instance_node: Option<&Node>,
        rest: &str,
    ) -> Result<Option<(&'n str, &'a Instances, Option<(Value, Span)>)>> {
        let head = node.head().unwrap_or("module-output");
        let module = self.name_arg(
            node,
            std::slice::from_ref(module_node),
            0,
            "a module instance name",
        )?;
        let Some(call) = self
            .index
            .calls
            .get(module)
            .map(|i| &self.index.module.calls[*i])
        else {
            return Err(
                Diagnostic::error(format!("unknown module instance `{module}`"))
                    .at(module_node.span)
                    .with_suggestion(module, self.index.calls.keys().copied()),
            );
        };
        if let Some(instance_node) = instance_node
            && !call.is_repeated()
        {
            return Err(Diagnostic::error(format!(
                "`module.{module}` has no `count` or `for-each`: it has one instance, without an index"
            ))
            .at(instance_node.span)
            .with_note(format!("help: write `({head} {module}{rest})`")));
        }
        let key = match instance_node {
            Some(n) => Some((self.eval(n)?, n.span)),
            None => None,
        };
        let scope = self.scope;
        Ok(scope
            .module_outputs
            .get(module)
            .map(|instances| (module, instances, key)))
    }

    /// `(ref TYPE NAME [INDEX-OR-KEY] ATTR ...)` and `(ref data TYPE NAME ...)`.
    fn reference(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let (mode, args) = match args.first().and_then(Node::as_symbol) {
            Some("data") if args.len() >= 3 => (Mode::Data, &args[1..]),
            _ => (Mode::Managed, args),
        };
        let type_name = self.name_arg(node, args, 0, "a resource type")?;
        let name = self.name_arg(node, args, 1, "a resource name")?;
        let Some((position, resource)) = self.index.resource(mode, type_name, name) else {
            let declared: Vec<String> = self
                .index
                .module
                .resources
                .iter()
                .filter(|r| r.mode == mode)
                .map(|r| format!("{} \"{}\"", r.type_name.text, r.name.text))
                .collect();
            let wrong = format!("{type_name} \"{name}\"");
            let (what, prefix) = if mode == Mode::Data {
                ("data source", "data.")
            } else {
                ("resource", "")
            };
            return Err(Diagnostic::error(format!(
                "reference to undeclared {what} `{prefix}{type_name}.{name}`"
            ))
            .at(args[0].span.to(args[1].span))
            .with_suggestion(&wrong, declared.iter().map(String::as_str)));
        };
        let mut rest = &args[2..];
        let scope = self.scope;
        let instances = scope.resource(position);
        // Built only for messages: most references succeed.
        let address = || match mode {
            Mode::Managed => format!("{type_name}.{name}"),
            Mode::Data => format!("data.{type_name}.{name}"),
        };
        let expanded = resource.count.is_some() || resource.for_each.is_some();
        let splat = rest.first().filter(|n| n.as_symbol() == Some("*"));
        if let Some(star) = splat {
            if !expanded {
                return Err(Diagnostic::error(format!(
                    "`*` selects every instance, but `{}` has no `count` or `for-each`",
                    address()
                ))
                .at(star.span)
                .with_note("help: remove the `*`: a resource without `count` or `for-each` has one instance"));
            }
            return splat_instances(instances, &rest[1..], &address);
        }
        if !expanded
            && let Some(index) = rest
                .first()
                .filter(|n| matches!(n.kind, NodeKind::Integer(_)))
        {
            return Err(Diagnostic::error(format!(
                "`{}` has no `count` or `for-each`: it has one instance, without an index",
                address()
            ))
            .at(index.span)
            .with_note("help: remove the index"));
        }
        let whole;
        let (base, sensitive): (&Value, bool) = match instances {
            None | Some(Instances::Unknown) => {
                // Still evaluate an index, for its errors and references.
                if expanded && let Some(index_node) = rest.first() {
                    self.eval(index_node)?;
                }
                return Ok(Value::Unknown);
            }
            Some(Instances::Single(v)) => (v, false),
            Some(instances) if expanded && !rest.is_empty() => {
                let index_node = &rest[0];
                let key = self.eval(index_node)?;
                rest = &rest[1..];
                if key.is_unknown() {
                    return Ok(Value::Unknown);
                }
                // A secret index selects a secret: which instance was chosen leaks it.
                (
                    instance(instances, &key, index_node.span, &address)?,
                    key.is_sensitive(),
                )
            }
            Some(instances) => {
                whole = instances.to_value();
                (&whole, false)
            }
        };
        Ok(walk(base, rest, &address)?.mark_if(sensitive))
    }
}

/// `(ref TYPE NAME * ATTR...)`: the attribute path of every instance, as a
/// list (`count`) or a map by key (`for-each`).
fn splat_instances(
    instances: Option<&Instances>,
    path: &[Node],
    address: &dyn Fn() -> String,
) -> Result<Value> {
    match instances {
        None | Some(Instances::Unknown) => Ok(Value::Unknown),
        Some(Instances::Counted(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(walk(item, path, &|| format!("{}[{i}]", address()))?);
            }
            Ok(Value::List(out))
        }
        Some(Instances::Keyed(map)) => {
            let mut out = BTreeMap::new();
            for (key, item) in map {
                out.insert(
                    key.clone(),
                    walk(item, path, &|| format!("{}[{key:?}]", address()))?,
                );
            }
            Ok(Value::Map(out))
        }
        Some(Instances::Single(item)) => Ok(Value::List(vec![walk(item, path, address)?])),
    }
}

/// The instance of a counted or keyed resource that `key` selects.
fn instance<'v>(
    instances: &'v Instances,
    key: &Value,
    span: Span,
    address: &dyn Fn() -> String,
) -> Result<&'v Value> {
    // A secret index must not show in the message, nor steer it to a key.
    let secret = key.is_sensitive();
    match (instances, key.peel()) {
        (Instances::Counted(items), Value::Number(n)) => {
            let i = n
                .as_i64()
                .filter(|i| *i >= 0 && (*i as usize) < items.len());
            let shown = if secret {
                SENSITIVE_VALUE.to_string()
            } else {
                n.to_string()
            };
            match i {
                Some(i) => Ok(&items[i as usize]),
                None => Err(Diagnostic::error(format!(
                    "index {shown} is out of range: `{}` has {} {}",
                    address(),
                    items.len(),
                    if items.len() == 1 {
                        "instance"
                    } else {
                        "instances"
                    }
                ))
                .at(span)),
            }
        }
        (Instances::Keyed(map), Value::String(k)) => map.get(k).ok_or_else(|| {
            if secret {
                return Diagnostic::error(format!(
                    "`{}` has no instance with the key {SENSITIVE_VALUE}",
                    address()
                ))
                .at(span);
            }
            let keys: Vec<String> = map.keys().map(|k| format!("{k:?}")).collect();
            let d = Diagnostic::error(format!("`{}` has no instance with key {k:?}", address()))
                .at(span);
            match nimbus_syntax::suggest::closest(k, map.keys().map(String::as_str)) {
                Some(best) => d.with_note(format!("help: did you mean {best:?}?")),
                None if keys.is_empty() => d.with_note("note: it has no instances"),
                None => d.with_note(format!("note: its keys are {}", keys.join(", "))),
            }
        }),
        (Instances::Counted(_), other) => Err(Diagnostic::error(format!(
            "`{}` uses `count`: index it with a number, not a {}",
            address(),
            other.kind_name()
        ))
        .at(span)
        .with_note("help: write an index such as 0 or count-index, or `*` for every instance")),
        (Instances::Keyed(_), other) => Err(Diagnostic::error(format!(
            "`{}` uses `for-each`: index it with a string key, not a {}",
            address(),
            other.kind_name()
        ))
        .at(span)
        .with_note("help: write a key such as each-key, or `*` for every instance")),
        (Instances::Single(v), _) => Ok(v),
        (Instances::Unknown, _) => Ok(&Value::Unknown),
    }
}

/// Follows attribute names, map keys and list indexes from `value`
/// without copying anything but the result. A sensitive value on the way
/// makes the result sensitive; an unknown one makes it unknown.
fn walk(mut value: &Value, steps: &[Node], address: &dyn Fn() -> String) -> Result<Value> {
    let mut sensitive = false;
    for (depth, step) in steps.iter().enumerate() {
        while let Value::Sensitive(inner) = value {
            sensitive = true;
            value = inner;
        }
        value = match (value, &step.kind) {
            (Value::Unknown, _) => return Ok(Value::Unknown.mark_if(sensitive)),
            (Value::Map(map), NodeKind::String(_) | NodeKind::Symbol(_)) => {
                let k = step.as_name().unwrap_or_default();
                match map.get(k) {
                    Some(v) => v,
                    None => {
                        return Err(step_error(value, sensitive, step, &steps[..depth], address));
                    }
                }
            }
            (Value::List(items), NodeKind::Integer(i)) => {
                match usize::try_from(*i).ok().and_then(|i| items.get(i)) {
                    Some(v) => v,
                    None => {
                        return Err(step_error(value, sensitive, step, &steps[..depth], address));
                    }
                }
            }
            _ => return Err(step_error(value, sensitive, step, &steps[..depth], address)),
        };
    }
    Ok(value.clone().mark_if(sensitive))
}

/// Why `step` cannot be taken from `value`, reached by `before` from the
/// resource at `address`. A `sensitive` value's keys and length are part
/// of the secret: the message does not list, suggest or count them.
fn step_error(
    value: &Value,
    sensitive: bool,
    step: &Node,
    before: &[Node],
    address: &dyn Fn() -> String,
) -> Diagnostic {
    let mut at = address();
    for s in before {
        match &s.kind {
            NodeKind::Integer(i) => at.push_str(&format!("[{i}]")),
            NodeKind::String(k) => {
                at.push('.');
                at.push_str(k);
            }
            NodeKind::Symbol(k) => {
                at.push('.');
                at.push_str(k);
            }
            _ => {}
        }
    }
    let first = before.is_empty();
    match (value, &step.kind) {
        (Value::Map(_), NodeKind::String(_) | NodeKind::Symbol(_)) if sensitive => {
            let k = step.as_name().unwrap_or_default();
            Diagnostic::error(format!("`{at}` has no key `{k}`"))
                .at(step.span)
                .with_note("note: its keys are not shown: the value is sensitive")
        }
        (Value::List(_), NodeKind::Integer(i)) if sensitive => {
            Diagnostic::error(format!("index {i} is out of range for `{at}`"))
                .at(step.span)
                .with_note("note: its length is not shown: the value is sensitive")
        }
        (Value::Map(map), NodeKind::String(_) | NodeKind::Symbol(_)) => {
            let k = step.as_name().unwrap_or_default();
            let what = if first { "attribute" } else { "key" };
            let mut d = Diagnostic::error(format!("`{at}` has no {what} `{k}`"))
                .at(step.span)
                .with_suggestion(k, map.keys().map(String::as_str));
            if d.notes.is_empty() && !first && map.len() <= 10 {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                d = d.with_note(if keys.is_empty() {
                    "note: it is empty".to_string()
                } else {
                    format!("note: its keys are {}", keys.join(", "))
                });
            }
            d
        }
        (Value::List(items), NodeKind::Integer(i)) => Diagnostic::error(format!(
            "index {i} is out of range: `{at}` has {} {}",
            items.len(),
            if items.len() == 1 {
                "element"
            } else {
                "elements"
            }
        ))
        .at(step.span),
        (Value::Null, _) => {
            Diagnostic::error(format!("`{at}` is null: it has no attributes")).at(step.span)
        }
        (other, _) => {
            let help = match (other, &step.kind) {
                (Value::Map(_), NodeKind::Integer(_)) => {
                    "help: a map is indexed by a key: write it as a string"
                }
                (Value::List(_), _) => "help: a list is indexed by a number from 0",
                _ => "help: only maps, objects and lists can be indexed",
            };
            Diagnostic::error(format!(
                "cannot index `{at}`, a {}, with {}",
                other.kind_name(),
                step.describe()
            ))
            .at(step.span)
            .with_note(help)
        }
    }
}

/// A quoted datum: symbols become strings, lists become lists.
pub(crate) fn quote(node: &Node) -> Value {
    match &node.kind {
        NodeKind::List(items) => Value::List(items.iter().map(quote).collect()),
        NodeKind::Symbol(s) => Value::String(s.to_string()),
        NodeKind::String(s) => Value::String(s.clone()),
        NodeKind::Integer(i) => Value::Number(Number::Int(*i)),
        NodeKind::Decimal(f) => Value::Number(Number::Float(*f)),
        NodeKind::Bool(b) => Value::Bool(*b),
    }
}

/// The body of a `for` or `for-map` form.
enum ForBody<'n> {
    List(&'n Node),
    Map {
        key: &'n Node,
        value: &'n Node,
        group: bool,
    },
}

/// What a `for` form has made so far.
struct ForState {
    list: Vec<Value>,
    map: BTreeMap<String, Value>,
    /// Something that decides the result's shape is unknown.
    unknown: bool,
    sensitive: bool,
}

/// How a `get`'s base is named in messages.
fn describe_base(base: &Node) -> String {
    match (base.as_symbol(), base.as_list()) {
        (Some(name), _) => name.to_string(),
        (_, Some([head, name])) if matches!(head.as_symbol(), Some("var" | "local")) => {
            format!(
                "{}.{}",
                head.as_symbol().unwrap_or_default(),
                name.as_name().unwrap_or_default()
            )
        }
        _ => "the value".to_string(),
    }
}

/// Terraform converts steps to what the value takes: a number indexes a
/// map by its text, and a string of digits indexes a list.
fn lenient_steps(value: &Value, steps: Vec<Node>) -> Vec<Node> {
    if steps.is_empty() {
        return steps;
    }
    let mut out = Vec::with_capacity(steps.len());
    let mut current = Some(value);
    for step in steps {
        let mut at = current.map(|v| {
            let mut v = v;
            while let Value::Sensitive(inner) = v {
                v = inner;
            }
            v
        });
        let kind = match (&at, &step.kind) {
            (Some(Value::Map(_)), NodeKind::Integer(i)) => NodeKind::String(i.to_string()),
            (Some(Value::List(_)), NodeKind::String(s)) => match s.parse::<i128>() {
                Ok(i) => NodeKind::Integer(i),
                Err(_) => step.kind.clone(),
            },
            _ => step.kind.clone(),
        };
        current = match (at.take(), &kind) {
            (Some(Value::Map(map)), NodeKind::String(k)) => map.get(k),
            (Some(Value::List(items)), NodeKind::Integer(i)) => {
                usize::try_from(*i).ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        out.push(Node {
            kind,
            span: step.span,
        });
    }
    out
}
