//! `count` and `for-each`: how many instances a block has and their keys.

use crate::expr::Context;
use nimbus_config::{InstanceKey, ModuleCall, Resource};
use nimbus_syntax::{Code, Diagnostic, Node, Span};
use nimbus_value::{SENSITIVE_VALUE, Value};
use std::collections::BTreeMap;

/// Instance keys of one block.
#[derive(Debug, Clone, PartialEq)]
pub enum Expansion {
    Single,
    Count(usize),
    /// `for-each` key to `each-value`.
    Keys(BTreeMap<String, Value>),
}

impl Expansion {
    /// The instance keys, in order: none for a single instance.
    pub fn keys(&self) -> Vec<Option<InstanceKey>> {
        match self {
            Expansion::Single => vec![None],
            Expansion::Count(n) => (0..*n as u64)
                .map(|i| Some(InstanceKey::Index(i)))
                .collect(),
            Expansion::Keys(map) => map
                .keys()
                .map(|k| Some(InstanceKey::Key(k.clone())))
                .collect(),
        }
    }
}

/// Most instances one block may expand to: a guard against typos such as
/// a count of 10^12, which would exhaust memory rather than fail.
pub const MAX_INSTANCES: usize = 1_000_000;

/// Evaluates a resource's `count`/`for-each`. Their values must be known
/// at plan time.
pub fn expand(ctx: &mut Context<'_>, resource: &Resource) -> Result<Expansion, Diagnostic> {
    expand_meta(ctx, resource.count.as_ref(), resource.for_each.as_ref())
}

/// Evaluates the `count`/`for-each` of an `include`, in the scope of the
/// module instance that includes it.
pub fn expand_call(ctx: &mut Context<'_>, call: &ModuleCall) -> Result<Expansion, Diagnostic> {
    expand_meta(ctx, call.count.as_ref(), call.for_each.as_ref())
}

/// Evaluates a `for-each` of another block (an `import` block's): the
/// same rules as a resource's.
pub fn expand_for_each(ctx: &mut Context<'_>, for_each: &Node) -> Result<Expansion, Diagnostic> {
    expand_meta(ctx, None, Some(for_each))
}

/// The keys a `count` or `for-each` expression gives (neither: one
/// instance without a key).
fn expand_meta(
    ctx: &mut Context<'_>,
    count: Option<&Node>,
    for_each: Option<&Node>,
) -> Result<Expansion, Diagnostic> {
    if let Some(count) = count {
        let value = ctx.eval(count)?;
        if !value.is_wholly_known() {
            return Err(Diagnostic::error("`count` depends on a value known only after apply")
                .with_code(Code::ExpansionUnknown)
                .at(count.span)
                .with_note("help: use values known at plan time (variables, locals, data sources), or apply the dependency first with --target"));
        }
        let n = value
            .as_number()
            .and_then(|n| n.as_i128())
            .filter(|n| *n >= 0 && *n as usize <= MAX_INSTANCES);
        return match n {
            Some(n) => Ok(Expansion::Count(n as usize)),
            None => Err(Diagnostic::error(format!(
                "`count` must be a whole number from 0 to {MAX_INSTANCES}, found {}",
                if value.contains_sensitive() {
                    SENSITIVE_VALUE.to_string()
                } else {
                    value.to_string()
                }
            ))
            .at(count.span)),
        };
    }
    if let Some(for_each) = for_each {
        let value = ctx.eval(for_each)?;
        let unknown = || {
            Diagnostic::error("`for-each` depends on a value known only after apply")
                .with_code(Code::ExpansionUnknown)
                .at(for_each.span)
                .with_note("help: use values known at plan time, or apply the dependency first with --target")
        };
        // Terraform's rule: the keys must be known, a map's values need
        // not be (`for_each = other_resource` over a resource with
        // `for_each`: its objects are unknown until applied, its keys are
        // not). Each such value is only `each-value`.
        if value.is_unknown() {
            return Err(unknown());
        }
        // The keys become instance addresses, shown everywhere; a sensitive
        // map value is fine (it is only `each-value`), a sensitive key is not.
        if value.is_sensitive() {
            return Err(sensitive_for_each(for_each.span));
        }
        return match value {
            Value::Map(map) => Ok(Expansion::Keys(map)),
            Value::List(items) => {
                let mut keys = BTreeMap::new();
                for item in items {
                    match item {
                        Value::String(s) => {
                            keys.insert(s.clone(), Value::String(s));
                        }
                        Value::Sensitive(_) => return Err(sensitive_for_each(for_each.span)),
                        Value::Unknown => return Err(unknown()),
                        other => {
                            return Err(Diagnostic::error(format!(
                                "`for-each` over a list needs strings, found {}",
                                other.kind_name()
                            ))
                            .at(for_each.span));
                        }
                    }
                }
                Ok(Expansion::Keys(keys))
            }
            other => Err(Diagnostic::error(format!(
                "`for-each` needs a map or a list of strings, found {}",
                other.kind_name()
            ))
            .at(for_each.span)),
        };
    }
    Ok(Expansion::Single)
}

/// Terraform's rule: a secret must not become part of an address.
fn sensitive_for_each(span: Span) -> Diagnostic {
    Diagnostic::error("sensitive values cannot be used as `for-each` keys")
        .at(span)
        .with_note("note: each key becomes part of a resource instance's address, shown in plans, state and logs, so it would expose the secret")
        .with_note("help: iterate over values that are not sensitive (such as names), and look the secrets up inside the block with `each-key`")
}
