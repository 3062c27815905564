//! User functions: `lambda`, the module's `define`s, the forms that call
//! them (`map`, `filter`, `reduce`, `any`, `every`, `find`, `sort-by`,
//! `group-by`, `apply`), and the limits that keep evaluation terminating.
//!
//! Functions are values of the evaluator, not of the language's data: a
//! name can be bound to one (`let`, a parameter, a `define`) and passed to
//! a function, but a function is never stored in a list or a map, nor the
//! value of an attribute. Calls pass values as they are, so unknown and
//! sensitive marks flow through a user function exactly as through the
//! built-ins it calls.

use crate::expr::Context;
use nimbus_config::Parameters;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};
use nimbus_value::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

type Result<T> = std::result::Result<T, Diagnostic>;

/// How deep calls of user functions (and uses of value definitions) may
/// nest: recursion beyond it is an error, never a stack overflow.
pub const MAX_CALL_DEPTH: usize = 64;

/// How many expressions one evaluation may evaluate before it is stopped
/// with an error, so that no input hangs.
pub const MAX_STEPS: u64 = 5_000_000;

/// What a name is bound to.
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    Value(Value),
    Function(Function),
}

/// A function value.
#[derive(Debug, Clone)]
pub(crate) enum Function {
    /// A function of the standard library, named where a function is taken.
    Builtin(&'static nimbus_stdlib::Function),
    Closure(Arc<Closure>),
}

/// A `lambda` with the bindings it saw, a module's `define`, or a
/// function of a `letrec`.
#[derive(Debug)]
pub(crate) struct Closure {
    /// For messages: the definition's name, or `lambda`.
    name: String,
    parameters: Arc<Parameters>,
    body: Body,
    /// The bindings in scope where the `lambda` was written.
    environment: Vec<(String, Bound)>,
}

#[derive(Debug)]
enum Body {
    Lambda(Node),
    /// The body of the module's definition at this position.
    Definition(usize),
    /// The function at this position of a `letrec`'s group.
    Recursive(Arc<Group>, usize),
}

/// The functions of one `letrec`: each sees the bindings around the
/// `letrec` and every function of the group. They are made again from
/// here at each call, so no function holds itself.
#[derive(Debug)]
pub(crate) struct Group {
    environment: Vec<(String, Bound)>,
    members: Vec<(String, Arc<Parameters>, Node)>,
}

impl Group {
    fn closure(group: &Arc<Group>, i: usize) -> Function {
        let (name, parameters, _) = &group.members[i];
        Function::Closure(Arc::new(Closure {
            name: name.clone(),
            parameters: parameters.clone(),
            body: Body::Recursive(group.clone(), i),
            environment: Vec::new(),
        }))
    }

    /// The bindings a function of the group sees.
    fn bindings(group: &Arc<Group>) -> Vec<(String, Bound)> {
        let mut out = group.environment.clone();
        for (i, (name, _, _)) in group.members.iter().enumerate() {
            out.push((name.clone(), Bound::Function(Group::closure(group, i))));
        }
        out
    }
}

impl Bound {
    /// This bound thing as a value: a function is none.
    pub(crate) fn into_value(self, span: Span) -> Result<Value> {
        match self {
            Bound::Value(v) => Ok(v),
            Bound::Function(f) => Err(Diagnostic::error(format!(
                "this gives a function (`{}`), not a value",
                f.name()
            ))
            .at(span)
            .with_note("help: call it, `(f ARGUMENT...)`, or pass it to a form that takes a function such as `map`")),
        }
    }
}

impl Function {
    fn name(&self) -> &str {
        match self {
            Function::Builtin(f) => f.name,
            Function::Closure(c) => &c.name,
        }
    }
}

impl Context<'_> {
    /// Counts one evaluation step; an error past [`MAX_STEPS`].
    pub(crate) fn step(&mut self, span: Span) -> Result<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Diagnostic::error(format!(
                "evaluation stopped after {MAX_STEPS} steps"
            ))
            .at(span)
            .with_note("note: an expression must finish within the evaluation limit: is a recursion or a comprehension larger than intended?"));
        }
        Ok(())
    }

    /// The binding of a bare name, innermost first.
    pub(crate) fn binding(&self, name: &str) -> Option<&Bound> {
        self.bindings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }

    /// The module's definition of `name`, with its position.
    pub(crate) fn definition(&self, name: &str) -> Option<usize> {
        self.index
            .module
            .definitions
            .iter()
            .position(|d| d.name.text == name)
    }

    /// Whether `node` is a call of a function bound to a name or defined
    /// by the module (so `(tags (base-tags))` reads as an expression).
    pub(crate) fn is_user_call(&self, node: &Node) -> bool {
        match node.head() {
            Some(head) => {
                matches!(self.binding(head), Some(Bound::Function(_)))
                    || self.definition(head).is_some()
            }
            None => false,
        }
    }

    /// What the module's definition at `position` denotes: its function,
    /// or the value of its expression (evaluated where it is used, in the
    /// module's scope).
    pub(crate) fn definition_bound(&mut self, position: usize, span: Span) -> Result<Bound> {
        let definition = &self.index.module.definitions[position];
        if let Some(parameters) = &definition.parameters {
            return Ok(Bound::Function(Function::Closure(Arc::new(Closure {
                name: definition.name.text.clone(),
                parameters: Arc::new(parameters.clone()),
                body: Body::Definition(position),
                environment: Vec::new(),
            }))));
        }
        let name = definition.name.text.as_str();
        self.enter(name, span)?;
        let outer = std::mem::take(&mut self.bindings);
        let result = self.eval_bound(&definition.body);
        self.bindings = outer;
        self.depth -= 1;
        result
    }

    fn enter(&mut self, name: &str, span: Span) -> Result<()> {
        if self.depth >= MAX_CALL_DEPTH {
            return Err(Diagnostic::error(format!(
                "calls nested deeper than {MAX_CALL_DEPTH} levels, in `{name}`"
            ))
            .at(span)
            .with_note(
                "note: a recursion must end within the limit: does it reach its base case?",
            ));
        }
        self.depth += 1;
        Ok(())
    }

    /// Evaluates `node` where a function may stand: a name bound to a
    /// function, a defined function, a `lambda`, or a call returning one.
    pub(crate) fn eval_bound(&mut self, node: &Node) -> Result<Bound> {
        match &node.kind {
            NodeKind::Symbol(name) => {
                if let Some(bound) = self.binding(name) {
                    return Ok(bound.clone());
                }
                if let Some(position) = self.definition(name) {
                    return self.definition_bound(position, node.span);
                }
                if let Some(f) = nimbus_stdlib::lookup(name) {
                    return Ok(Bound::Function(Function::Builtin(f)));
                }
                self.eval(node).map(Bound::Value)
            }
            NodeKind::List(items) => {
                if node.head() == Some("lambda") {
                    self.step(node.span)?;
                    return self.lambda(node, &items[1..]).map(Bound::Function);
                }
                match items.first() {
                    Some(head) => match self.callee(head)? {
                        Some(function) => {
                            self.step(node.span)?;
                            self.call_with(node, function, &items[1..])
                        }
                        None => self.eval(node).map(Bound::Value),
                    },
                    None => self.eval(node).map(Bound::Value),
                }
            }
            _ => self.eval(node).map(Bound::Value),
        }
    }

    /// The user function the head of a list calls, if it names one: a
    /// name bound to a function or defined by the module, or a list that
    /// gives a function (`((lambda (x) ...) 1)`). `None` for the built-in
    /// forms and functions.
    pub(crate) fn callee(&mut self, head: &Node) -> Result<Option<Function>> {
        match &head.kind {
            NodeKind::Symbol(name) => match self.binding(name) {
                Some(Bound::Function(f)) => Ok(Some(f.clone())),
                Some(Bound::Value(_)) => Ok(None),
                None => match self.definition(name) {
                    Some(position) => match self.definition_bound(position, head.span)? {
                        Bound::Function(f) => Ok(Some(f)),
                        Bound::Value(v) => Err(Diagnostic::error(format!(
                            "`{name}` is a value ({}), not a function",
                            v.kind_name()
                        ))
                        .at(head.span)
                        .with_note(format!("help: use it without parentheses: `{name}`"))),
                    },
                    None => Ok(None),
                },
            },
            NodeKind::List(_) => match self.eval_bound(head)? {
                Bound::Function(f) => Ok(Some(f)),
                Bound::Value(v) => Err(Diagnostic::error(format!(
                    "expected a function at the start of this list, found {}",
                    v.kind_name()
                ))
                .at(head.span)),
            },
            _ => Ok(None),
        }
    }

    /// `(lambda (PARAMETER...) BODY)`: a function closing over the
    /// bindings in scope.
    pub(crate) fn lambda(&mut self, node: &Node, args: &[Node]) -> Result<Function> {
        let (parameters, body) = lambda_parts(node, args)?;
        Ok(Function::Closure(Arc::new(Closure {
            name: "lambda".to_string(),
            parameters: Arc::new(parameters),
            body: Body::Lambda(body.clone()),
            environment: self.bindings.clone(),
        })))
    }

    /// `(letrec ((NAME VALUE) ...) BODY)`: BODY with the names bound,
    /// where the functions (the VALUEs that are `lambda`s) see each other
    /// and themselves; the other VALUEs are evaluated after, in order, as
    /// by `let*`, and may call the functions.
    pub(crate) fn letrec_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let usage = "expected `(letrec ((NAME VALUE) ...) BODY)`";
        let [bindings, body] = args else {
            return Err(Diagnostic::error(usage).at(node.span));
        };
        let Some(pairs) = bindings.as_list() else {
            return Err(Diagnostic::error(usage).at(bindings.span));
        };
        let mut members = Vec::new();
        let mut values = Vec::new();
        for pair in pairs {
            let Some([name, value]) = pair.as_list() else {
                return Err(Diagnostic::error("expected a binding `(NAME VALUE)`").at(pair.span));
            };
            let Some(name) = name.as_symbol() else {
                return Err(Diagnostic::error(format!(
                    "a binding's name must be a symbol, found {}",
                    name.describe()
                ))
                .at(name.span));
            };
            if members.iter().any(|(n, _, _)| n == name)
                || values.iter().any(|(n, _): &(&str, &Node)| *n == name)
            {
                return Err(
                    Diagnostic::error(format!("`{name}` is bound twice in this `letrec`"))
                        .at(pair.span),
                );
            }
            match value.as_list() {
                Some([_, rest @ ..]) if value.head() == Some("lambda") => {
                    let (parameters, body) = lambda_parts(value, rest)?;
                    members.push((name.to_string(), Arc::new(parameters), body.clone()));
                }
                _ => values.push((name, value)),
            }
        }
        self.step(node.span)?;
        let group = Arc::new(Group {
            environment: self.bindings.clone(),
            members,
        });
        let depth = self.bindings.len();
        for (i, (name, _, _)) in group.members.iter().enumerate() {
            self.bindings
                .push((name.clone(), Bound::Function(Group::closure(&group, i))));
        }
        let mut result = Ok(Value::Null);
        for (name, value) in values {
            match self.eval_bound(value) {
                Ok(bound) => self.bindings.push((name.to_string(), bound)),
                Err(e) => {
                    result = Err(e);
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

    /// A function taken as an argument of a form (`map`, `apply`, ...).
    fn function_arg(&mut self, form: &str, node: &Node) -> Result<Function> {
        if let Some(name) = node.as_symbol()
            && self.binding(name).is_none()
            && self.definition(name).is_none()
        {
            return match nimbus_stdlib::lookup(name) {
                Some(f) => Ok(Function::Builtin(f)),
                None => Err(Diagnostic::error(format!("unknown function `{name}`"))
                    .at(node.span)
                    .with_suggestion(name, nimbus_stdlib::names())),
            };
        }
        match self.eval_bound(node)? {
            Bound::Function(f) => Ok(f),
            Bound::Value(v) => Err(Diagnostic::error(format!(
                "`{form}` takes a function first, found {}",
                v.kind_name()
            ))
            .at(node.span)
            .with_note("help: name a function, or write one: `(lambda (x) ...)`")),
        }
    }

    /// Evaluates the arguments and calls `function` with them.
    fn call_with(&mut self, node: &Node, function: Function, args: &[Node]) -> Result<Bound> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval_bound(arg)?);
        }
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        self.invoke_function(node, &function, values, &spans)
    }

    /// Calls `function` with `arguments`, written at `spans` (for
    /// locating what a built-in blames).
    pub(crate) fn invoke_function(
        &mut self,
        node: &Node,
        function: &Function,
        arguments: Vec<Bound>,
        spans: &[Span],
    ) -> Result<Bound> {
        match function {
            Function::Builtin(f) => {
                let mut values = Vec::with_capacity(arguments.len());
                for (i, a) in arguments.into_iter().enumerate() {
                    values.push(a.into_value(spans.get(i).copied().unwrap_or(node.span))?);
                }
                self.invoke(node, f, values, spans).map(Bound::Value)
            }
            Function::Closure(closure) => {
                let parameters = &closure.parameters;
                let given = arguments.len();
                let least = parameters.required.len();
                let most = least + parameters.optional.len();
                if given < least || (given > most && parameters.rest.is_none()) {
                    let plural = |n: usize| if n == 1 { "" } else { "s" };
                    let takes = if parameters.rest.is_some() {
                        format!("at least {least} argument{}", plural(least))
                    } else if most > least {
                        format!("{least} to {most} arguments")
                    } else {
                        format!("{least} argument{}", plural(least))
                    };
                    let names: Vec<String> = parameters
                        .required
                        .iter()
                        .map(|n| n.text.clone())
                        .chain(
                            parameters
                                .optional
                                .iter()
                                .map(|(n, _)| format!("({} ...)", n.text)),
                        )
                        .chain(parameters.rest.iter().map(|n| format!(". {}", n.text)))
                        .collect();
                    return Err(Diagnostic::error(format!(
                        "`{}` takes {takes}, given {given}",
                        closure.name
                    ))
                    .at(node.span)
                    .with_note(format!("note: its parameters: ({})", names.join(" "))));
                }
                self.enter(&closure.name, node.span)?;
                let environment = match &closure.body {
                    Body::Recursive(group, _) => Group::bindings(group),
                    _ => closure.environment.clone(),
                };
                let outer = std::mem::replace(&mut self.bindings, environment);
                let result = self
                    .bind_arguments(node, parameters, arguments, spans)
                    .and_then(|()| match &closure.body {
                        Body::Lambda(body) => self.eval_bound(body),
                        Body::Recursive(group, i) => self.eval_bound(&group.members[*i].2),
                        Body::Definition(position) => {
                            let index = self.index;
                            self.eval_bound(&index.module.definitions[*position].body)
                        }
                    });
                self.bindings = outer;
                self.depth -= 1;
                result
            }
        }
    }

    /// Binds the parameters to the arguments of a call whose count fits:
    /// the required ones, the optional ones given or their defaults
    /// (evaluated here, seeing the parameters before them), and the rest
    /// as a list.
    fn bind_arguments(
        &mut self,
        node: &Node,
        parameters: &Parameters,
        arguments: Vec<Bound>,
        spans: &[Span],
    ) -> Result<()> {
        let mut arguments = arguments.into_iter().enumerate();
        for name in &parameters.required {
            if let Some((_, a)) = arguments.next() {
                self.bindings.push((name.text.clone(), a));
            }
        }
        for (name, default) in &parameters.optional {
            let bound = match arguments.next() {
                Some((_, a)) => a,
                None => self.eval_bound(default)?,
            };
            self.bindings.push((name.text.clone(), bound));
        }
        if let Some(rest) = &parameters.rest {
            let mut list = Vec::new();
            for (i, a) in arguments {
                list.push(a.into_value(spans.get(i).copied().unwrap_or(node.span))?);
            }
            self.bindings
                .push((rest.text.clone(), Bound::Value(Value::List(list))));
        }
        Ok(())
    }

    /// Calls `function` with one value per argument and wants a value.
    fn call_values(
        &mut self,
        node: &Node,
        function: &Function,
        arguments: Vec<Value>,
        span: Span,
    ) -> Result<Value> {
        let spans = vec![span; arguments.len()];
        let arguments = arguments.into_iter().map(Bound::Value).collect();
        self.invoke_function(node, function, arguments, &spans)?
            .into_value(node.span)
    }

    /// `(apply FUNCTION ARGUMENT... LIST)`: calls the function with the
    /// arguments followed by the elements of LIST (Terraform's `f(x...)`).
    /// An unknown LIST gives an unknown result; a sensitive one gives each
    /// element the mark, so the result is sensitive.
    pub(crate) fn apply_form(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let usage = "expected `(apply FUNCTION ARGUMENT... LIST)`";
        let (Some((function, rest)), Some(last)) = (args.split_first(), args.last()) else {
            return Err(Diagnostic::error(usage).at(node.span));
        };
        if rest.is_empty() {
            return Err(Diagnostic::error(usage).at(node.span));
        }
        let function = self.function_arg("apply", function)?;
        let mut values = Vec::with_capacity(rest.len());
        let mut spans = Vec::with_capacity(rest.len());
        for arg in &rest[..rest.len() - 1] {
            values.push(self.eval_bound(arg)?);
            spans.push(arg.span);
        }
        let (spread, sensitive) = self.eval(last)?.unmark();
        match spread {
            Value::List(items) => {
                spans.extend(std::iter::repeat_n(last.span, items.len()));
                values.extend(
                    items
                        .into_iter()
                        .map(|v| Bound::Value(v.mark_if(sensitive))),
                );
            }
            Value::Unknown => return Ok(Value::Unknown.mark_if(sensitive)),
            other => {
                return Err(Diagnostic::error(format!(
                    "the last argument of `apply` must be a list to expand, found {}",
                    other.kind_name()
                ))
                .at(last.span));
            }
        }
        self.invoke_function(node, &function, values, &spans)?
            .into_value(node.span)
    }

    /// The forms that call a function on the elements of a list:
    /// `(map F LIST)`, `(filter F LIST)`, `(reduce F INITIAL LIST)`,
    /// `(any F LIST)`, `(every F LIST)`, `(find F LIST)`,
    /// `(sort-by F LIST)`, `(group-by F LIST)`.
    ///
    /// Marks, as for `for`: an unknown list, or an unknown answer that
    /// decides the result's shape, makes the result unknown; a sensitive
    /// list or deciding answer makes the result sensitive; the values the
    /// function gives keep their own marks.
    pub(crate) fn higher_order(&mut self, form: &str, node: &Node, args: &[Node]) -> Result<Value> {
        let (function_node, initial, list_node) = match (form, args) {
            ("reduce", [f, initial, list]) => (f, Some(initial), list),
            ("reduce", _) => {
                return Err(
                    Diagnostic::error("expected `(reduce FUNCTION INITIAL LIST)`").at(node.span),
                );
            }
            (_, [f, list]) => (f, None, list),
            _ => {
                return Err(
                    Diagnostic::error(format!("expected `({form} FUNCTION LIST)`")).at(node.span),
                );
            }
        };
        let function = self.function_arg(form, function_node)?;
        let initial = match initial {
            Some(n) => Some(self.eval(n)?),
            None => None,
        };
        let (list, mut sensitive) = self.eval(list_node)?.unmark();
        let items = match list {
            Value::Unknown => return Ok(Value::Unknown.mark_if(sensitive)),
            Value::List(items) => items,
            other => {
                return Err(Diagnostic::error(format!(
                    "`{form}` takes a list, found {}",
                    other.kind_name()
                ))
                .at(list_node.span)
                .with_note("help: for the entries of a map, use `for` or `for-map`"));
            }
        };
        let span = list_node.span;
        // A known answer of a predicate, or why there is none.
        let decide = |answer: Value, sensitive: &mut bool| -> Result<Option<bool>> {
            let (answer, marked) = answer.unmark();
            *sensitive |= marked;
            match (answer.to_bool_converted(), answer) {
                (Some(b), _) => Ok(Some(b)),
                (None, Value::Unknown) => Ok(None),
                (None, other) => Err(Diagnostic::error(format!(
                    "the function given to `{form}` must return a bool, found {}",
                    other.kind_name()
                ))
                .at(function_node.span)),
            }
        };
        let result = match form {
            "map" => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.call_values(node, &function, vec![item], span)?);
                }
                Value::List(out)
            }
            "filter" => {
                let mut out = Vec::new();
                for item in items {
                    let answer = self.call_values(node, &function, vec![item.clone()], span)?;
                    match decide(answer, &mut sensitive)? {
                        Some(true) => out.push(item),
                        Some(false) => {}
                        None => return Ok(Value::Unknown.mark_if(sensitive)),
                    }
                }
                Value::List(out)
            }
            "reduce" => {
                let mut acc = initial.unwrap_or(Value::Null);
                for item in items {
                    acc = self.call_values(node, &function, vec![acc, item], span)?;
                }
                acc
            }
            "any" | "every" => {
                let wanted = form == "any";
                let mut unknown = false;
                for item in items {
                    let answer = self.call_values(node, &function, vec![item], span)?;
                    match decide(answer, &mut sensitive)? {
                        Some(b) if b == wanted => return Ok(Value::Bool(b).mark_if(sensitive)),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                if unknown {
                    Value::Unknown
                } else {
                    Value::Bool(!wanted)
                }
            }
            "find" => {
                let mut found = Value::Null;
                for item in items {
                    let answer = self.call_values(node, &function, vec![item.clone()], span)?;
                    match decide(answer, &mut sensitive)? {
                        Some(true) => {
                            found = item;
                            break;
                        }
                        Some(false) => {}
                        None => return Ok(Value::Unknown.mark_if(sensitive)),
                    }
                }
                found
            }
            "sort-by" => {
                let mut keyed = Vec::with_capacity(items.len());
                for item in items {
                    let (key, marked) = self
                        .call_values(node, &function, vec![item.clone()], span)?
                        .unmark();
                    sensitive |= marked;
                    match key {
                        Value::Unknown => return Ok(Value::Unknown.mark_if(sensitive)),
                        Value::Number(_) | Value::String(_) => keyed.push((key, item)),
                        other => {
                            return Err(Diagnostic::error(format!(
                                "the function given to `sort-by` must return a number or a string, found {}",
                                other.kind_name()
                            ))
                            .at(function_node.span));
                        }
                    }
                }
                let mixed = keyed
                    .windows(2)
                    .any(|w| std::mem::discriminant(&w[0].0) != std::mem::discriminant(&w[1].0));
                if mixed {
                    return Err(Diagnostic::error(
                        "the function given to `sort-by` returned both numbers and strings",
                    )
                    .at(function_node.span)
                    .with_note("help: sort keys must be all numbers or all strings"));
                }
                keyed.sort_by(|a, b| match (&a.0, &b.0) {
                    (Value::Number(x), Value::Number(y)) => {
                        x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal)
                    }
                    (Value::String(x), Value::String(y)) => x.cmp(y),
                    _ => std::cmp::Ordering::Equal,
                });
                Value::List(keyed.into_iter().map(|(_, v)| v).collect())
            }
            _ => {
                // group-by
                let mut groups: BTreeMap<String, Value> = BTreeMap::new();
                for item in items {
                    let (key, marked) = self
                        .call_values(node, &function, vec![item.clone()], span)?
                        .unmark();
                    sensitive |= marked;
                    let key = match key {
                        Value::Unknown => return Ok(Value::Unknown.mark_if(sensitive)),
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(Diagnostic::error(format!(
                                "the function given to `group-by` must return a string, found {}",
                                other.kind_name()
                            ))
                            .at(function_node.span));
                        }
                    };
                    if let Value::List(members) =
                        groups.entry(key).or_insert_with(|| Value::List(Vec::new()))
                    {
                        members.push(item);
                    }
                }
                Value::Map(groups)
            }
        };
        Ok(result.mark_if(sensitive))
    }
}

/// The parameters and body of `(lambda PARAMETERS BODY)`, given the
/// arguments of the form.
fn lambda_parts<'n>(node: &Node, args: &'n [Node]) -> Result<(Parameters, &'n Node)> {
    let usage = "expected `(lambda (PARAMETER...) BODY)`";
    let [parameters, body] = args else {
        return Err(Diagnostic::error(usage).at(node.span));
    };
    let Some(list) = parameters.as_list() else {
        return Err(Diagnostic::error(usage)
            .at(parameters.span)
            .with_note("help: the parameters are a list, even a single one: `(lambda (x) ...)`"));
    };
    Ok((nimbus_config::parameters(list)?, body))
}

/// Whether `(map ARG...)` calls a function on a list rather than writing
/// a map: `(map F LIST)` where F is a name or a form that is no
/// `(KEY VALUE)` entry, such as `(lambda (x) ...)`.
pub(crate) fn is_higher_order_map(args: &[Node]) -> bool {
    match args {
        [f, _] => match &f.kind {
            NodeKind::Symbol(_) => true,
            NodeKind::List(items) => items.len() != 2 || items[0].as_name().is_none(),
            _ => false,
        },
        _ => false,
    }
}
