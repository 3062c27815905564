//! Custom conditions in a walk: preconditions and postconditions of
//! resources and data sources, preconditions of outputs, `check` blocks,
//! and `replace-triggered-by`.
//!
//! When each runs: a precondition before its instance is planned (in
//! apply, before its change: what a plan could not know is known by
//! then); a postcondition on the planned object, and again on the object
//! an apply made; an output's precondition before its value is recorded;
//! checks at the end of every plan and apply. A false or malformed
//! condition is an error naming the instance; a check's failure is a
//! warning. Unknown conditions wait: a plan passes them, the apply checks
//! them.

use crate::graph::Graph;
use crate::job::WalkMode;
use crate::plan::{Action, ResourceChange};
use nimbus_config::{Condition, InstanceKey, Mode, Output, Resource};
use nimbus_eval::conditions::{Outcome, eval_condition, sensitive_message_note};
use nimbus_eval::{Context, Reference, Scope, references};
use nimbus_syntax::{Code, Diagnostic, Node, Severity, Span};
use nimbus_value::Value;
use std::collections::HashMap;

/// References of a resource's conditions and triggers: edges of the graph,
/// so that what they read is planned (and applied) first. `self` is no
/// reference.
pub(crate) fn resource_references<'a>(
    resource: &'a Resource,
    out: &mut Vec<(Reference<'a>, Span)>,
) {
    let lifecycle = &resource.lifecycle;
    for condition in lifecycle
        .preconditions
        .iter()
        .chain(&lifecycle.postconditions)
    {
        references(&condition.condition, out);
        references(&condition.message, out);
    }
    for reference in &lifecycle.replace_triggered_by {
        references(reference, out);
    }
}

/// References of an output's preconditions.
pub(crate) fn output_references<'a>(output: &'a Output, out: &mut Vec<(Reference<'a>, Span)>) {
    for condition in &output.preconditions {
        references(&condition.condition, out);
        references(&condition.message, out);
    }
}

/// Evaluates `conditions` of `address`; `kind` is "precondition" or
/// "postcondition". Returns the errors: a condition that is no bool or a
/// message that is no string always, a false condition in a plan or
/// apply (validate knows too little to judge one).
pub(crate) fn evaluate(
    ctx: &mut Context<'_>,
    conditions: &[Condition],
    kind: &str,
    address: &str,
    walk: WalkMode,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    if walk == WalkMode::Configure {
        // Destroy and import configure providers only: no condition applies.
        return errors;
    }
    for condition in conditions {
        match eval_condition(ctx, condition, kind) {
            Ok(Outcome::Passed | Outcome::Unknown) => {}
            Ok(Outcome::Failed { .. }) if !matches!(walk, WalkMode::Plan | WalkMode::Apply) => {}
            Ok(Outcome::Failed { message, sensitive }) => {
                let mut d = Diagnostic::error(format!("{address}: {kind} failed: {message}"))
                    .with_code(Code::ConditionFailed)
                    .at(condition.span)
                    .with_label(format!("this {kind} is false"));
                if sensitive {
                    d = d.with_note(sensitive_message_note());
                }
                errors.push(d);
            }
            Err(e) => errors.push(Diagnostic {
                message: format!("{address}: {}", e.message),
                ..e
            }),
        }
    }
    errors
}

/// The checks of every module instance, evaluated against what the walk
/// knows at its end. In a plan or apply their findings are warnings
/// (failed, not known yet, or not evaluable); validate reports a check
/// that cannot be evaluated as an error.
pub(crate) fn run_checks(
    graph: &Graph<'_>,
    scopes: &[Scope],
    functions: nimbus_stdlib::Context<'_>,
    walk: WalkMode,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if walk == WalkMode::Configure {
        return out;
    }
    for (mi, instance) in graph.instances.iter().enumerate() {
        let index = &graph.indexes[instance.module];
        for check in &index.module.checks {
            let name = format!("{}check.{}", instance.prefix, check.name.text);
            for assertion in &check.asserts {
                let mut ctx = Context::new(index, &scopes[mi]).with_functions(functions);
                let found = match eval_condition(&mut ctx, assertion, "check assertion") {
                    Ok(Outcome::Passed) => continue,
                    Ok(_) if walk == WalkMode::Validate => continue,
                    Ok(Outcome::Unknown) => {
                        let why = if walk == WalkMode::Apply {
                            "not known: what it depends on was not applied or read"
                        } else {
                            "known only after apply; it is checked then"
                        };
                        Diagnostic::warning(format!("{name}: assertion {why}"))
                            .with_code(Code::CheckUnknown)
                            .at(assertion.span)
                    }
                    Ok(Outcome::Failed { message, sensitive }) => {
                        let mut d =
                            Diagnostic::warning(format!("{name}: assertion failed: {message}"))
                                .with_code(Code::CheckFailed)
                                .at(assertion.span);
                        if sensitive {
                            d = d.with_note(sensitive_message_note());
                        }
                        d
                    }
                    Err(e) => {
                        let severity = if walk == WalkMode::Validate {
                            Severity::Error
                        } else {
                            Severity::Warning
                        };
                        Diagnostic {
                            severity,
                            message: format!("{name}: {}", e.message),
                            ..e
                        }
                    }
                };
                out.push(found);
            }
        }
    }
    out
}

/// The changes a plan walk has made so far, found by instance and by
/// block, for `replace-triggered-by`. Kept only when some resource has
/// triggers.
#[derive(Default)]
pub(crate) struct Triggers {
    by_address: HashMap<String, usize>,
    by_block: HashMap<String, Vec<usize>>,
}

impl Triggers {
    /// Notes the change at `position` in the walk's list of changes.
    pub(crate) fn record(&mut self, change: &ResourceChange, position: usize) {
        self.by_address.insert(change.address.clone(), position);
        self.by_block
            .entry(crate::walk::block_of(&change.address).to_string())
            .or_default()
            .push(position);
    }

    /// The first of `resource`'s triggers that fires, as an address (with
    /// the attribute it names), for the instance `ctx` evaluates (its
    /// `count-index`/`each-key` bound). Terraform's rules: a whole block
    /// fires when any instance is updated or replaced; an instance when
    /// it is; an attribute when its value changes (or is not known yet).
    pub(crate) fn fired(
        &self,
        ctx: &mut Context<'_>,
        resource: &Resource,
        prefix: &str,
        changes: &[ResourceChange],
    ) -> Result<Option<String>, Diagnostic> {
        for reference in &resource.lifecycle.replace_triggered_by {
            let items = reference.as_list().unwrap_or_default();
            let (Some(type_name), Some(name)) = (
                items.get(1).and_then(Node::as_symbol),
                items.get(2).and_then(Node::as_name),
            ) else {
                continue;
            };
            let Some((_, target)) = ctx.index.resource(Mode::Managed, type_name, name) else {
                continue; // reported at load
            };
            let block = format!("{prefix}{}", target.address());
            let mut rest = &items[3..];
            let expanded = target.count.is_some() || target.for_each.is_some();
            let instance = if expanded {
                match rest.split_first() {
                    Some((key, after)) => {
                        rest = after;
                        Some(instance_key(ctx, key, target.count.is_some(), &block)?)
                    }
                    None => None,
                }
            } else {
                None
            };
            let mut path = Vec::with_capacity(rest.len());
            for step in rest {
                path.push(ctx.eval(step)?.unmark().0);
            }
            let (positions, shown): (Vec<usize>, String) = match (&instance, expanded) {
                (None, true) => (
                    self.by_block.get(&block).cloned().unwrap_or_default(),
                    block.clone(),
                ),
                (key, _) => {
                    let address = match key {
                        Some(key) => format!("{block}{key}"),
                        None => block.clone(),
                    };
                    (
                        self.by_address.get(&address).copied().into_iter().collect(),
                        address,
                    )
                }
            };
            for position in positions {
                let change = &changes[position];
                let fired = if path.is_empty() {
                    matches!(change.action, Action::Update | Action::Replace)
                } else {
                    attribute_changed(change, &path)
                };
                if fired {
                    // An attribute path always follows an instance.
                    let mut shown = shown.clone();
                    for step in &path {
                        match step {
                            Value::String(s) => {
                                shown.push('.');
                                shown.push_str(s);
                            }
                            other => shown.push_str(&format!("[{other}]")),
                        }
                    }
                    return Ok(Some(shown));
                }
            }
        }
        Ok(None)
    }
}

/// `count-index`, `each-key` or a literal, as the key of an instance of
/// `block` (which has `count` when `counted`, else `for-each`).
fn instance_key(
    ctx: &mut Context<'_>,
    node: &Node,
    counted: bool,
    block: &str,
) -> Result<InstanceKey, Diagnostic> {
    let value = ctx.eval(node)?.unmark().0;
    match (&value, counted) {
        (Value::Number(n), true) => n
            .as_i64()
            .and_then(|i| u64::try_from(i).ok())
            .map(InstanceKey::Index)
            .ok_or_else(|| {
                Diagnostic::error("an instance index is a whole number from 0").at(node.span)
            }),
        (Value::String(s), false) => Ok(InstanceKey::Key(s.clone())),
        (Value::Unknown, _) => Err(Diagnostic::error(
            "the instance a `replace-triggered-by` reference names must be known while planning",
        )
        .at(node.span)),
        (_, true) => Err(Diagnostic::error(format!(
            "`{block}` has `count`: name its instance by index, e.g. `count-index`, found {}",
            value.kind_name()
        ))
        .at(node.span)),
        (_, false) => Err(Diagnostic::error(format!(
            "`{block}` has `for-each`: name its instance by key, e.g. `each-key`, found {}",
            value.kind_name()
        ))
        .at(node.span)),
    }
}

/// Whether the attribute at `path` differs between the change's before
/// and after (unknown after counts as a change). Only an update or a
/// replacement counts, as in Terraform: a create or delete changes every
/// value but triggers nothing.
fn attribute_changed(change: &ResourceChange, path: &[Value]) -> bool {
    if !matches!(change.action, Action::Update | Action::Replace) {
        return false;
    }
    let at = |value: Option<&Value>| -> Option<Value> {
        let mut current = value?.clone();
        for step in path {
            if current.is_unknown() {
                return Some(Value::Unknown);
            }
            current = match (step, current.peel()) {
                (Value::String(key), Value::Map(map)) => map.get(key).cloned()?,
                (Value::Number(n), Value::List(items)) => {
                    items.get(usize::try_from(n.as_i64()?).ok()?).cloned()?
                }
                _ => return None,
            };
        }
        Some(current)
    };
    let before = at(change.before.as_ref());
    let after = at(change.after.as_ref());
    match (&before, &after) {
        (_, Some(after)) if !after.is_wholly_known() => true,
        _ => before != after,
    }
}
