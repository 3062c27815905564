//! Module instances of `include`s with `count` or `for-each`.
//!
//! The base graph ([`Graph::build`]) has one instance per `include`: it is
//! built once, before inputs are known, and serves `validate`, `nimbus
//! graph` and the order of things. A plan or apply of a configuration in
//! which some `include` has `count`/`for-each` first expands it: module
//! instance by module instance from the root down, it evaluates what those
//! expressions can read (the instance's variables, from the run's inputs
//! for the root and from its call's inputs for a child, then its locals in
//! the base graph's order, with every resource still unknown), then each
//! call's `count`/`for-each` in that scope, which gives the keys of the
//! call's instances. The walk then runs the graph of those instances,
//! built as the base graph is: linear in their number.

use crate::graph::{Graph, ModuleInstance, Vertex};
use nimbus_config::{Config, InstanceKey, Module, ModuleCall};
use nimbus_eval::{
    Context, Expansion, InputOrigin, InputValue, Inputs, ModuleIndex, Reference, Scope,
    eval_variables, expand_call, read_typed, references,
};
use nimbus_syntax::{Code, Diagnostic, Node};
use nimbus_value::Value;
use std::collections::{BTreeSet, HashSet};

/// What `count-index`, `each-key` and `each-value` are while the inputs
/// of one module instance are evaluated.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Repetition<'v> {
    /// Its `include` has neither `count` nor `for-each`.
    Single,
    Index(u64),
    Each(&'v str, &'v Value),
    /// The base graph's one instance of an `include` with `count`, whose
    /// indexes are not known (`validate`).
    UnknownIndex,
    /// The same for an `include` with `for-each`.
    UnknownKey,
}

impl<'v> Repetition<'v> {
    /// For module instance `mi` of `instances`.
    pub(crate) fn of(
        config: &Config,
        instances: &'v [ModuleInstance],
        mi: usize,
    ) -> Repetition<'v> {
        let Some((parent, call_index)) = instances[mi].parent else {
            return Repetition::Single;
        };
        match &instances[mi].key {
            Some(InstanceKey::Index(i)) => Repetition::Index(*i),
            Some(InstanceKey::Key(k)) => match instances[parent].expansions.get(&call_index) {
                Some(Expansion::Keys(values)) => match values.get(k) {
                    Some(value) => Repetition::Each(k, value),
                    None => Repetition::UnknownKey,
                },
                _ => Repetition::UnknownKey,
            },
            None => {
                let call = &config.modules[instances[parent].module].calls[call_index];
                if call.count.is_some() {
                    Repetition::UnknownIndex
                } else if call.for_each.is_some() {
                    Repetition::UnknownKey
                } else {
                    Repetition::Single
                }
            }
        }
    }

    fn set(self, ctx: &mut Context<'v>) {
        match self {
            Repetition::Single => {}
            Repetition::Index(i) => ctx.count_index = Some(i as i64),
            Repetition::Each(key, value) => ctx.each = Some((key, value)),
            Repetition::UnknownIndex => ctx.unknown_count_index = true,
            Repetition::UnknownKey => ctx.unknown_each = true,
        }
    }
}

/// Where a module instance's inputs come from: the `include` that makes
/// it, evaluated in the including instance's scope.
pub(crate) struct CallSite<'v> {
    pub index: &'v ModuleIndex<'v>,
    pub scope: &'v Scope,
    pub call: &'v ModuleCall,
    pub repetition: Repetition<'v>,
}

/// Sets the variables of a module instance (`index`, `scope`) from the
/// inputs its call passes. Problems are reported at the call: an input the
/// module does not declare, a value of the wrong type, a required input
/// left out.
pub(crate) fn set_module_inputs(
    site: CallSite<'_>,
    index: &ModuleIndex<'_>,
    scope: &mut Scope,
    functions: nimbus_stdlib::Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let call = site.call;
    let mut inputs = Inputs::new();
    let mut ctx = Context::new(site.index, site.scope).with_functions(functions);
    site.repetition.set(&mut ctx);
    for form in &call.inputs {
        let Some(variable) = index
            .variables
            .get(form.name.as_str())
            .map(|i| &index.module.variables[*i])
        else {
            diagnostics.push(
                Diagnostic::error(format!(
                    "module `{}` has no input `{}`",
                    call.module.text, form.name.text
                ))
                .at(form.name.span)
                .with_suggestion(&form.name.text, index.variables.keys().copied()),
            );
            continue;
        };
        match read_typed(
            &mut ctx,
            &form.args,
            &variable.ty,
            form.span,
            &form.name.text,
        ) {
            Ok(value) => {
                inputs.insert(
                    form.name.text.clone(),
                    InputValue {
                        value,
                        origin: InputOrigin::ModuleCall(form.span),
                    },
                );
            }
            Err(d) => diagnostics.push(d),
        }
    }
    let mut missing = Vec::new();
    eval_variables(index, scope, &inputs, &mut missing);
    // A required input missing at the call is reported at the call.
    for d in missing {
        let d = match &d.code {
            Some(Code::MissingRequiredVariable(name)) => {
                Diagnostic::error(format!("module `{}` needs input `{name}`", call.name.text))
                    .with_code(Code::MissingRequiredVariable(name.clone()))
                    .at(call.span)
            }
            _ => d,
        };
        diagnostics.push(d);
    }
}

/// The graph of `base`'s configuration with one module instance per
/// `count` index and `for-each` key of every `include`. `None` when some
/// `count` or `for-each` cannot be evaluated now (reported).
pub fn expand<'c>(
    base: &Graph<'c>,
    inputs: &Inputs,
    files: &dyn nimbus_stdlib::FileAccess,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Graph<'c>> {
    let config = base.config;
    // Values known only at apply (`timestamp`, `uuid`) are unknown here,
    // as in a plan: the keys must be known then.
    let functions = nimbus_stdlib::Context {
        files: Some(files),
        ..nimbus_stdlib::Context::default()
    };
    let local_order = locals_in_order(base);
    let mut instances = vec![ModuleInstance::root()];
    let mut scopes: Vec<Scope> = Vec::new();
    // Problems met evaluating variables and locals: the walk reports them
    // where they belong, unless a `count` or `for-each` then fails, which
    // they may explain.
    let mut on_the_way = Vec::new();
    let mut failed = Vec::new();
    let mut mi = 0;
    while mi < instances.len() {
        let module_id = instances[mi].module;
        let index = &base.indexes[module_id];
        let mut scope = Scope::default();
        match instances[mi].parent {
            None => eval_variables(index, &mut scope, inputs, &mut on_the_way),
            Some((parent, call_index)) => {
                let parent_index = &base.indexes[instances[parent].module];
                let site = CallSite {
                    index: parent_index,
                    scope: &scopes[parent],
                    call: &parent_index.module.calls[call_index],
                    repetition: Repetition::of(config, &instances, mi),
                };
                set_module_inputs(site, index, &mut scope, functions, &mut on_the_way);
            }
        }
        for &i in &local_order[module_id] {
            let local = &index.module.locals[i];
            match Context::new(index, &scope)
                .with_functions(functions)
                .eval(&local.value)
            {
                Ok(value) => {
                    scope.locals.insert(local.name.text.clone(), value);
                }
                Err(d) => on_the_way.push(d),
            }
        }
        let module = index.module;
        for (call_index, call) in module.calls.iter().enumerate() {
            let Some(child_module) = config.called(module, call) else {
                continue; // reported by the loader
            };
            let keys = if call.is_repeated() {
                match expand_call(
                    &mut Context::new(index, &scope).with_functions(functions),
                    call,
                ) {
                    Ok(expansion) => {
                        let keys = expansion.keys();
                        instances[mi].expansions.insert(call_index, expansion);
                        keys
                    }
                    Err(d) => {
                        failed.push(explain_unknown_keys(d, call, index, &scope));
                        continue;
                    }
                }
            } else {
                vec![None]
            };
            for key in keys {
                let child = instances.len();
                let instance = instances[mi].child(
                    mi,
                    call_index,
                    call,
                    (child_module, &config.modules[child_module]),
                    key,
                );
                instances.push(instance);
                instances[mi]
                    .children
                    .entry(call.name.text.clone())
                    .or_default()
                    .push(child);
            }
        }
        scopes.push(scope);
        mi += 1;
    }
    if !failed.is_empty() {
        diagnostics.extend(on_the_way);
        diagnostics.extend(failed);
        return None;
    }
    Graph::with_instances(config, instances, diagnostics)
}

/// The locals of each module (by module id) in the base graph's
/// topological order, taken from the first instance of that module.
pub(crate) fn locals_in_order(base: &Graph<'_>) -> Vec<Vec<usize>> {
    let modules = base.config.modules.len();
    let mut first_instance: Vec<Option<usize>> = vec![None; modules];
    for (mi, instance) in base.instances.iter().enumerate() {
        first_instance[instance.module].get_or_insert(mi);
    }
    let mut order = vec![Vec::new(); modules];
    for &v in &base.order {
        if let Vertex::Local(mi, i) = base.graph[v] {
            let module = base.instances[mi].module;
            if first_instance[module] == Some(mi) {
                order[module].push(i);
            }
        }
    }
    order
}

/// An `include`'s `count`/`for-each` that is not known at plan time: says
/// what it depends on (through locals) that is not known yet, as
/// Terraform does.
fn explain_unknown_keys(
    d: Diagnostic,
    call: &ModuleCall,
    index: &ModuleIndex<'_>,
    scope: &Scope,
) -> Diagnostic {
    if d.code != Some(Code::ExpansionUnknown) {
        return d;
    }
    let Some(node) = call.count.as_ref().or(call.for_each.as_ref()) else {
        return d;
    };
    let meta = if call.count.is_some() {
        "count"
    } else {
        "for-each"
    };
    let unknown = unknown_dependencies(node, index.module, index, scope);
    let mut d = Diagnostic {
        notes: Vec::new(),
        ..d
    }
    .with_note(format!(
        "note: the `{meta}` of an `include` must be known at plan time, to know which module instances `{}` has",
        call.name.text
    ));
    if !unknown.is_empty() {
        let unknown: Vec<String> = unknown.into_iter().collect();
        d = d.with_note(format!(
            "note: it depends on {}, known only after apply",
            unknown.join(", ")
        ));
    }
    d.with_note("help: use variables and locals known at plan time, or first apply what it depends on with --target")
}

/// What `node` refers to, directly or through locals, whose value is not
/// known: resources and module outputs (unknown while expanding), and
/// variables and locals whose values are unknown.
fn unknown_dependencies(
    node: &Node,
    module: &Module,
    index: &ModuleIndex<'_>,
    scope: &Scope,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut seen_locals: HashSet<&str> = HashSet::new();
    let mut stack = vec![node];
    let mut refs = Vec::new();
    while let Some(node) = stack.pop() {
        refs.clear();
        references(node, &mut refs);
        for (reference, _) in &refs {
            match *reference {
                Reference::Resource(mode, t, n) => {
                    let data = if mode == nimbus_config::Mode::Data {
                        "data."
                    } else {
                        ""
                    };
                    found.insert(format!("{data}{t}.{n}"));
                }
                Reference::ModuleOutput(call, output) => {
                    found.insert(format!("the output `{output}` of module `{call}`"));
                }
                Reference::Module(call) => {
                    found.insert(format!("the outputs of module `{call}`"));
                }
                Reference::Variable(name) => {
                    if scope
                        .variables
                        .get(name)
                        .is_none_or(|v| !v.is_wholly_known())
                    {
                        found.insert(format!("the variable `{name}`"));
                    }
                }
                Reference::Local(name) => {
                    if seen_locals.insert(name)
                        && let Some(i) = index.locals.get(name)
                    {
                        stack.push(&module.locals[*i].value);
                    }
                }
            }
        }
    }
    found
}
