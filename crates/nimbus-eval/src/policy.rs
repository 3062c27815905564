//! What a policy condition sees: one resource change (the [`Subject`]),
//! as bare names (`action`, `address`, `resource-type`, `provider-action`,
//! `before`, `after`, `tags`) and as predicates (`tag-equals`, `has-tag`,
//! `attribute`, `action-is`, `resource-type`, `cost-exceeds`). Conditions
//! are ordinary expressions evaluated by [`crate::Context`]: a value not
//! known yet makes the result unknown, which the engine reports as an
//! undetermined rule and checks again at apply.

use crate::expr::Context;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};
use nimbus_value::Value;
use std::collections::BTreeMap;

/// The resource change a rule is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `create`, `update`, `replace`, `delete`, `read`, `forget`.
    pub action: &'a str,
    pub address: &'a str,
    pub resource_type: &'a str,
    /// The provider's name for the call, e.g. `s3:DeleteBucket`.
    pub provider_action: &'a str,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
    /// The plan's estimated monthly cost after all its changes, in cents
    /// (what `cost-exceeds` compares with).
    pub monthly_cost_cents: i128,
}

impl Subject<'_> {
    /// The object the change is about: the planned one, or for a deletion
    /// the one deleted.
    fn object(&self) -> Option<&Value> {
        self.after.or(self.before)
    }

    /// The object's `tags` (a map; empty when it has none; unknown while
    /// they are).
    pub fn tags(&self) -> Value {
        match self.object().and_then(|o| o.get("tags")) {
            Some(tags) if tags.is_unknown() => Value::Unknown,
            Some(tags) if tags.as_map().is_some() => tags.clone(),
            _ => Value::Map(BTreeMap::new()),
        }
    }
}

/// The bare names a condition sees (the configuration's list, which
/// also checks conditions for unknown names).
pub use nimbus_config::POLICY_NAMES as NAMES;

/// Which of [`NAMES`] `conditions` mention, for [`bind_names`]: binding
/// `before` and `after` copies whole objects, once per change checked,
/// which conditions reading them through predicates do not need.
pub fn mentioned_names<'n>(conditions: impl IntoIterator<Item = &'n Node>) -> Vec<&'static str> {
    fn visit(node: &Node, found: &mut Vec<&'static str>) {
        match &node.kind {
            NodeKind::List(items) => items.iter().for_each(|item| visit(item, found)),
            NodeKind::Symbol(_) => {
                if let Some(name) = NAMES
                    .iter()
                    .find(|n| node.as_symbol() == Some(**n))
                    .filter(|n| !found.contains(*n))
                {
                    found.push(name);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for condition in conditions {
        visit(condition, &mut found);
    }
    found
}

/// Binds all the subject's bare names in `ctx` and lets its predicates be
/// called.
pub fn bind<'a>(ctx: &mut Context<'a>, subject: &'a Subject<'a>) {
    bind_names(ctx, subject, NAMES);
}

/// [`bind`], binding only `names` (of [`NAMES`]).
pub fn bind_names<'a>(ctx: &mut Context<'a>, subject: &'a Subject<'a>, names: &[&str]) {
    let or_null = |v: Option<&Value>| v.cloned().unwrap_or(Value::Null);
    for &name in names {
        let value = match name {
            "action" => Value::string(subject.action),
            "address" => Value::string(subject.address),
            "resource-type" => Value::string(subject.resource_type),
            "provider-action" => Value::string(subject.provider_action),
            "before" => or_null(subject.before),
            "after" => or_null(subject.after),
            "tags" => subject.tags(),
            _ => continue,
        };
        ctx.bind(name, value);
    }
    ctx.subject = Some(subject);
}

fn string_arg(
    name: &str,
    values: &[Value],
    spans: &[Span],
    i: usize,
    at: Span,
) -> Result<Option<String>, Diagnostic> {
    match values.get(i) {
        None => Err(Diagnostic::error(format!("`{name}` needs more arguments")).at(at)),
        Some(v) if v.is_unknown() => Ok(None),
        Some(v) => match v.as_str() {
            Some(s) => Ok(Some(s.to_string())),
            None => Err(Diagnostic::error(format!("`{name}` takes strings here"))
                .at(spans.get(i).copied().unwrap_or(at))),
        },
    }
}

/// Calls predicate `name` on `subject`. Unknown inputs give unknown.
pub(crate) fn predicate(
    subject: &Subject<'_>,
    name: &str,
    node: &Node,
    values: &[Value],
    spans: &[Span],
) -> Result<Value, Diagnostic> {
    let at = node.span;
    let strings = |from: usize| -> Result<Option<Vec<String>>, Diagnostic> {
        let mut out = Vec::new();
        for i in from..values.len() {
            match string_arg(name, values, spans, i, at)? {
                Some(s) => out.push(s),
                None => return Ok(None),
            }
        }
        if out.is_empty() && from == 0 {
            return Err(Diagnostic::error(format!("`{name}` needs one or more strings")).at(at));
        }
        Ok(Some(out))
    };
    match name {
        "action-is" => Ok(match strings(0)? {
            Some(actions) => Value::Bool(actions.iter().any(|a| a == subject.action)),
            None => Value::Unknown,
        }),
        "resource-type" => Ok(match strings(0)? {
            Some(types) => Value::Bool(types.iter().any(|t| t == subject.resource_type)),
            None => Value::Unknown,
        }),
        "has-tag" | "tag-equals" => {
            let wanted = if name == "has-tag" { 1 } else { 2 };
            if values.len() != wanted {
                let usage = if name == "has-tag" {
                    "(has-tag KEY)"
                } else {
                    "(tag-equals KEY VALUE)"
                };
                return Err(Diagnostic::error(format!("expected `{usage}`")).at(at));
            }
            let Some(args) = strings(0)? else {
                return Ok(Value::Unknown);
            };
            let tags = subject.tags();
            if tags.is_unknown() {
                return Ok(Value::Unknown);
            }
            let tag = tags.get(&args[0]).filter(|v| !v.is_null());
            Ok(match (tag, args.get(1)) {
                (Some(v), _) if v.is_unknown() => Value::Unknown,
                (tag, None) => Value::Bool(tag.is_some()),
                (Some(v), Some(expected)) => {
                    let equal = Value::Bool(v.as_str() == Some(expected.as_str()));
                    if v.is_sensitive() {
                        Value::Sensitive(Box::new(equal))
                    } else {
                        equal
                    }
                }
                (None, Some(_)) => Value::Bool(false),
            })
        }
        "attribute" => {
            let mut value = subject.object().cloned().unwrap_or(Value::Null);
            if values.is_empty() {
                return Err(Diagnostic::error("expected `(attribute NAME KEY...)`").at(at));
            }
            for (i, step) in values.iter().enumerate() {
                if value.is_unknown() || step.is_unknown() {
                    return Ok(Value::Unknown);
                }
                let sensitive = value.is_sensitive();
                let next = match (value.peel(), step.peel()) {
                    (Value::Map(map), Value::String(key)) => {
                        map.get(key).cloned().unwrap_or(Value::Null)
                    }
                    (Value::List(items), Value::Number(n)) => usize::try_from(n.as_f64() as i64)
                        .ok()
                        .and_then(|i| items.get(i).cloned())
                        .unwrap_or(Value::Null),
                    (Value::Null, _) => Value::Null,
                    (_, Value::String(_) | Value::Number(_)) => Value::Null,
                    _ => {
                        return Err(Diagnostic::error(
                            "`attribute` takes attribute names and list indexes",
                        )
                        .at(spans.get(i).copied().unwrap_or(at)));
                    }
                };
                value = if sensitive {
                    Value::Sensitive(Box::new(next))
                } else {
                    next
                };
            }
            Ok(value)
        }
        // The plan's monthly estimate (its priced lines) above AMOUNT
        // dollars.
        "cost-exceeds" => match values {
            [limit] if limit.is_unknown() => Ok(Value::Unknown),
            [limit] => match limit.as_number() {
                Some(nimbus_value::Number::Int(dollars)) => Ok(Value::Bool(
                    subject.monthly_cost_cents > dollars.saturating_mul(100),
                )),
                // To the cent, as estimates are: 0.29 is 29 cents, not
                // 28.999... (a float's).
                Some(nimbus_value::Number::Float(dollars)) => Ok(Value::Bool(
                    subject.monthly_cost_cents > (dollars * 100.0).round() as i128,
                )),
                None => Err(
                    Diagnostic::error("`cost-exceeds` takes an amount in dollars")
                        .at(spans.first().copied().unwrap_or(at)),
                ),
            },
            _ => Err(Diagnostic::error("expected `(cost-exceeds AMOUNT)`").at(at)),
        },
        _ => Err(Diagnostic::error(format!("unknown policy predicate `{name}`")).at(at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModuleIndex;
    use crate::scope::Scope;
    use nimbus_config::Module;
    use nimbus_syntax::FileId;

    #[test]
    fn only_the_names_conditions_mention_are_bound() {
        let parsed = nimbus_syntax::read(
            FileId(0),
            r#"(and (= (get after "size") "big") (action-is "create"))
               (tag-equals "team" "core")
               (or (= address "x") (= (get tags "a") after))"#,
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(mentioned_names(&parsed.nodes), ["after", "address", "tags"]);
        assert!(mentioned_names(&parsed.nodes[1..2]).is_empty());
    }

    fn cost_exceeds(limit: &str, monthly_cost_cents: i128) -> Result<Value, Diagnostic> {
        let mut parsed = nimbus_syntax::read(FileId(0), &format!("(cost-exceeds {limit})"));
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let node = parsed.nodes.remove(0);
        let module = Module::default();
        let index = ModuleIndex::new(&module);
        let scope = Scope::default();
        let subject = Subject {
            action: "create",
            address: "s3-bucket.b",
            resource_type: "s3-bucket",
            provider_action: "s3:CreateBucket",
            before: None,
            after: None,
            monthly_cost_cents,
        };
        let mut ctx = Context::new(&index, &scope);
        bind(&mut ctx, &subject);
        ctx.eval(&node)
    }

    #[test]
    fn cost_exceeds_compares_the_monthly_estimate_in_cents() {
        assert_eq!(cost_exceeds("1000", 100_000), Ok(Value::Bool(false)));
        assert_eq!(cost_exceeds("1000", 100_001), Ok(Value::Bool(true)));
        assert_eq!(cost_exceeds("999.99", 100_000), Ok(Value::Bool(true)));
        assert_eq!(cost_exceeds("0", 0), Ok(Value::Bool(false)));
        assert_eq!(cost_exceeds("0.29", 29), Ok(Value::Bool(false)));
        assert_eq!(cost_exceeds("0.29", 30), Ok(Value::Bool(true)));
        assert!(cost_exceeds("\"1000\"", 100_001).is_err());
        assert!(cost_exceeds("1000 2000", 100_001).is_err());
    }
}
