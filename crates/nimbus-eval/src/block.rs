//! Schema-directed reading of block bodies.
//!
//! The same text means different things depending on the attribute's type,
//! as in HCL where the schema decides block versus attribute:
//! - map or object typed: `(tags (Env "prod") (Team "x"))` is a map of
//!   `(KEY VALUE)` entries, unless its single argument is an expression form
//!   such as `(merge ...)` or `(var tags)`;
//! - list of objects: the attribute may repeat, one object per occurrence;
//! - other lists: several arguments are the elements; one argument is an
//!   expression (a single non-list value becomes a one-element list);
//! - anything else: exactly one expression.

use crate::expr::{Context, is_expression_form};
use nimbus_config::AttributeForm;
use nimbus_syntax::{Diagnostic, Node, Span};
use nimbus_value::{Presence, Schema, Type, Value};
use std::collections::BTreeMap;

/// Evaluates a block body against a schema: every schema attribute present
/// in the result (null when unset), values converted to their types,
/// sensitive attributes marked. Reports unknown attributes (with a
/// suggestion), computed-only attributes set by the user, missing required
/// attributes and type errors, all of them.
pub fn eval_block(
    ctx: &mut Context<'_>,
    forms: &[AttributeForm],
    schema: &Schema,
    block_span: Span,
    what: &str,
) -> Result<Value, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for form in forms {
        let name = form.name.as_str();
        let Some(attribute) = schema.attribute(name) else {
            errors.push(
                Diagnostic::error(format!("{what} has no attribute `{name}`"))
                    .at(form.name.span)
                    .with_suggestion(name, schema.settable_names()),
            );
            continue;
        };
        if !attribute.is_settable() {
            errors.push(
                Diagnostic::error(format!("`{name}` is computed by the provider and cannot be set"))
                    .at(form.name.span),
            );
            continue;
        }
        let repeatable = is_block_list(&attribute.ty);
        if let Some(first) = seen.insert(name, form.name.span)
            && !repeatable
        {
            let _ = first;
            errors.push(Diagnostic::error(format!("attribute `{name}` is set twice")).at(form.name.span));
            continue;
        }
        let value = match read_typed(ctx, &form.args, &attribute.ty, form.span, name) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let value = match attribute.ty.convert(value) {
            Ok(v) => v,
            Err(e) => {
                errors.push(
                    Diagnostic::error(format!("invalid value for `{name}`: {}", e.message))
                        .at(form.args.first().map_or(form.span, |a| a.span)),
                );
                continue;
            }
        };
        if repeatable && let Some(Value::List(existing)) = values.get_mut(name) {
            if let Value::List(more) = value {
                existing.extend(more);
            }
            continue;
        }
        values.insert(name.to_string(), value);
    }
    for (name, attribute) in &schema.attributes {
        if attribute.presence == Presence::Required && !values.contains_key(name) {
            errors.push(Diagnostic::error(format!("{what} is missing the required attribute `{name}`")).at(block_span));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut object = BTreeMap::new();
    for (name, attribute) in &schema.attributes {
        let value = values.remove(name).unwrap_or(Value::Null);
        object.insert(name.clone(), value.mark_if(attribute.sensitive));
    }
    Ok(Value::Map(object))
}

/// A list (or set) of objects: written as a repeated nested block.
fn is_block_list(ty: &Type) -> bool {
    matches!(ty, Type::List(inner) | Type::Set(inner) if inner.is_mapping())
}

/// Reads the arguments of one `(NAME ARGS...)` form as a value of `ty`.
pub fn read_typed(ctx: &mut Context<'_>, args: &[Node], ty: &Type, span: Span, name: &str) -> Result<Value, Diagnostic> {
    match ty {
        Type::Map(_) | Type::Object(_) => {
            if let [single] = args
                && (single.as_list().is_none() || is_expression_form(single))
            {
                return ctx.eval(single);
            }
            let mut out = BTreeMap::new();
            for entry in args {
                let Some([key, rest @ ..]) = entry.as_list() else {
                    return Err(Diagnostic::error(format!(
                        "expected an entry `(KEY VALUE)` in `{name}`, found {}",
                        entry.describe()
                    ))
                    .at(entry.span));
                };
                let Some(key_text) = key.as_name() else {
                    return Err(Diagnostic::error(format!("a key must be a name or a string, found {}", key.describe()))
                        .at(key.span));
                };
                let element = match ty {
                    Type::Map(t) => (**t).clone(),
                    Type::Object(fields) => match fields.get(key_text) {
                        Some(t) => t.clone(),
                        None => {
                            return Err(Diagnostic::error(format!("`{name}` has no attribute `{key_text}`"))
                                .at(key.span)
                                .with_suggestion(key_text, fields.keys().map(String::as_str)));
                        }
                    },
                    _ => Type::Any,
                };
                if out.contains_key(key_text) {
                    return Err(Diagnostic::error(format!("key `{key_text}` is set twice in `{name}`")).at(key.span));
                }
                let value = read_typed(ctx, rest, &element, entry.span, key_text)?;
                out.insert(key_text.to_string(), value);
            }
            Ok(Value::Map(out))
        }
        Type::List(element) | Type::Set(element) => {
            if element.is_mapping() {
                // One object per occurrence of the attribute.
                if let [single] = args
                    && (single.as_list().is_none() || is_expression_form(single))
                {
                    let v = ctx.eval(single)?;
                    return Ok(match v {
                        Value::Map(_) => Value::List(vec![v]),
                        other => other,
                    });
                }
                let object = read_typed(ctx, args, element, span, name)?;
                return Ok(Value::List(vec![object]));
            }
            match args {
                [single] => {
                    let v = ctx.eval(single)?;
                    Ok(match v.peel() {
                        Value::List(_) | Value::Unknown | Value::Null => v,
                        _ => Value::List(vec![v]),
                    })
                }
                many => {
                    let mut items = Vec::with_capacity(many.len());
                    for arg in many {
                        items.push(ctx.eval(arg)?);
                    }
                    Ok(Value::List(items))
                }
            }
        }
        _ => match args {
            [single] => ctx.eval(single),
            [] => Err(Diagnostic::error(format!("`{name}` needs a value")).at(span)),
            [_, extra, ..] => Err(Diagnostic::error(format!("`{name}` takes one value"))
                .at(extra.span)
                .with_note("help: to write a list use `(list ...)`")),
        },
    }
}
