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
use nimbus_config::{AttributeForm, META_ARGUMENTS};
use nimbus_syntax::{Diagnostic, Node, Span};
use nimbus_value::{Presence, Schema, Type, TypeError, Value};
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
    what: &dyn std::fmt::Display,
) -> Result<Value, Vec<Diagnostic>> {
    eval_body(ctx, forms, schema, block_span, what, &[])
}

/// [`eval_block`] for the body of a `resource` or `data` block, where a
/// misspelt meta-argument (`coutn`) reaches the attributes: it is suggested
/// as well as the schema's attributes.
pub fn eval_resource_block(
    ctx: &mut Context<'_>,
    forms: &[AttributeForm],
    schema: &Schema,
    block_span: Span,
    what: &dyn std::fmt::Display,
) -> Result<Value, Vec<Diagnostic>> {
    eval_body(ctx, forms, schema, block_span, what, META_ARGUMENTS)
}

/// [`eval_block`]; `other_names` are further names the block accepts
/// (handled before the schema is consulted), for suggestions.
fn eval_body(
    ctx: &mut Context<'_>,
    forms: &[AttributeForm],
    schema: &Schema,
    block_span: Span,
    what: &dyn std::fmt::Display,
    other_names: &[&str],
) -> Result<Value, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    // Attribute values by name, borrowed from the schema: the object is
    // built once at the end. Blocks are small, so vectors beat maps here.
    let mut values: Vec<(&str, Value)> = Vec::with_capacity(forms.len());
    // Attributes the user wrote, even wrongly: a required one that was
    // written with a bad value or a typo is not also reported as missing.
    let mut attempted: Vec<&str> = Vec::with_capacity(forms.len());
    for form in forms {
        let name = form.name.as_str();
        let Some((name, attribute)) = schema.attributes.get_key_value(name) else {
            let settable: Vec<&str> = schema.settable_names().collect();
            if let Some(meant) = nimbus_syntax::suggest::closest(name, settable.iter().copied()) {
                attempted.push(meant);
            }
            let mut d = Diagnostic::error(format!("{what} has no attribute `{name}`"))
                .at(form.name.span)
                .with_suggestion(name, settable.iter().chain(other_names).copied());
            if d.notes.is_empty() {
                d = d.with_note(if settable.is_empty() {
                    "note: it takes no attributes".to_string()
                } else {
                    format!("note: its attributes are {}", settable.join(", "))
                });
            }
            errors.push(d);
            continue;
        };
        let name = name.as_str();
        let written_before = attempted.contains(&name);
        attempted.push(name);
        if !attribute.is_settable() {
            errors.push(
                Diagnostic::error(format!(
                    "`{name}` is computed by the provider and cannot be set"
                ))
                .at(form.name.span)
                .with_note(format!(
                    "help: read it instead, e.g. `(ref TYPE \"NAME\" \"{name}\")`"
                )),
            );
            continue;
        }
        let repeatable = is_block_list(&attribute.ty);
        if written_before && !repeatable {
            errors.push(
                Diagnostic::error(format!("attribute `{name}` is set twice"))
                    .at(form.name.span)
                    .with_label("set again here"),
            );
            continue;
        }
        let before = errors.len();
        let value = read_into(
            ctx,
            &form.args,
            &attribute.ty,
            form.span,
            &|| name.to_string(),
            &mut errors,
        );
        let Some(value) = value.filter(|_| errors.len() == before) else {
            continue;
        };
        let value = match convert(value, &attribute.ty) {
            Ok(v) => v,
            Err(e) => {
                errors.push(
                    Diagnostic::error(type_error_message(&format!("`{name}`"), &e))
                        .at(form.args.first().map_or(form.span, |a| a.span)),
                );
                continue;
            }
        };
        if repeatable && let Some((_, existing)) = values.iter_mut().find(|(n, _)| *n == name) {
            *existing = match (std::mem::take(existing), value) {
                (Value::List(mut a), Value::List(b)) => {
                    a.extend(b);
                    Value::List(a)
                }
                // Either occurrence unknown: the whole list is.
                _ => Value::Unknown,
            };
            continue;
        }
        values.push((name, value));
    }
    for (name, attribute) in &schema.attributes {
        if attribute.presence == Presence::Required && !attempted.contains(&name.as_str()) {
            errors.push(
                Diagnostic::error(format!("{what} is missing the required attribute `{name}`"))
                    .at(block_span)
                    .with_note(format!(
                        "help: add `({name} {})`",
                        placeholder(&attribute.ty)
                    )),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Schema attributes are sorted, so the map is built from sorted input.
    let object: BTreeMap<String, Value> = schema
        .attributes
        .iter()
        .map(|(name, attribute)| {
            let value = values
                .iter_mut()
                .find(|(n, _)| *n == name)
                .map_or(Value::Null, |(_, v)| std::mem::take(v));
            (name.clone(), value.mark_if(attribute.sensitive))
        })
        .collect();
    Ok(Value::Map(object))
}

/// What to write for a value of a type, in help messages.
fn placeholder(ty: &Type) -> &'static str {
    match ty {
        Type::String => "\"...\"",
        Type::Number => "NUMBER",
        Type::Bool => "#t",
        Type::Map(_) | Type::Object(_) => "(KEY VALUE) ...",
        Type::List(_) | Type::Set(_) | Type::Tuple(_) => "VALUE ...",
        Type::Any => "VALUE",
        Type::Optional(t, _) => placeholder(t),
    }
}

/// "invalid value for `x`: expected number, found string at `a.b`".
pub(crate) fn type_error_message(what: &str, e: &TypeError) -> String {
    if e.path.is_empty()
        || e.message.contains(" at `")
        || e.message.contains(&format!("`{}`", e.path))
    {
        format!("invalid value for {what}: {}", e.message)
    } else {
        format!("invalid value for {what}: {} at `{}`", e.message, e.path)
    }
}

/// A list (or set) of objects: written as a repeated nested block.
fn is_block_list(ty: &Type) -> bool {
    matches!(ty, Type::List(inner) | Type::Set(inner) if inner.is_mapping())
}

/// Reads the arguments of one `(NAME ARGS...)` form as a value of `ty`.
/// Returns the first problem; [`eval_block`] reports all of them.
pub fn read_typed(
    ctx: &mut Context<'_>,
    args: &[Node],
    ty: &Type,
    span: Span,
    name: &str,
) -> Result<Value, Diagnostic> {
    let mut errors = Vec::new();
    let value = read_into(ctx, args, ty, span, &|| name.to_string(), &mut errors);
    match (errors.into_iter().next(), value) {
        (Some(e), _) => Err(e),
        (None, Some(v)) => Ok(v),
        (None, None) => Err(Diagnostic::error(format!("invalid value for `{name}`")).at(span)),
    }
}

/// Evaluates one expression, recording its error.
fn eval_one(ctx: &mut Context<'_>, node: &Node, errors: &mut Vec<Diagnostic>) -> Option<Value> {
    match ctx.eval(node) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// [`Type::convert`], skipped when the value already has the type (the
/// common case, and the conversion of a map or list rebuilds it).
fn convert(value: Value, ty: &Type) -> Result<Value, TypeError> {
    if conforms(&value, ty) {
        Ok(value)
    } else {
        ty.convert(value)
    }
}

/// Whether converting `value` to `ty` would return it unchanged.
fn conforms(value: &Value, ty: &Type) -> bool {
    match (value, ty) {
        (Value::Sensitive(inner), _) => conforms(inner, ty),
        (Value::Null | Value::Unknown, _) | (_, Type::Any) => true,
        (Value::String(_), Type::String)
        | (Value::Number(_), Type::Number)
        | (Value::Bool(_), Type::Bool) => true,
        (Value::List(items), Type::List(t)) => items.iter().all(|v| conforms(v, t)),
        (Value::Map(map), Type::Map(t)) => map.values().all(|v| conforms(v, t)),
        (Value::Map(map), Type::Object(fields)) => {
            map.len() == fields.len()
                && fields
                    .iter()
                    .all(|(name, t)| map.get(name).is_some_and(|v| conforms(v, t)))
        }
        // Sets are sorted and deduplicated by conversion.
        _ => false,
    }
}

/// Converts a value written for `path` to `ty`, recording a located error.
/// `path` is built only when there is an error.
fn convert_at(
    value: Value,
    ty: &Type,
    node: &Node,
    path: &dyn Fn() -> String,
    errors: &mut Vec<Diagnostic>,
) -> Option<Value> {
    match convert(value, ty) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(
                Diagnostic::error(type_error_message(&format!("`{}`", path()), &e)).at(node.span),
            );
            None
        }
    }
}

/// [`read_typed`], recording every problem found (one per map entry or
/// list element) in `errors`. `path` names the value in messages:
/// `triggers`, `tags.Env`.
fn read_into(
    ctx: &mut Context<'_>,
    args: &[Node],
    ty: &Type,
    span: Span,
    path: &dyn Fn() -> String,
    errors: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let before = errors.len();
    match ty {
        // Its default is the object's conversion's to apply.
        Type::Optional(inner, _) => read_into(ctx, args, inner, span, path, errors),
        Type::Map(_) | Type::Object(_) => {
            if let [single] = args
                && (single.as_list().is_none()
                    || is_expression_form(single)
                    || ctx.is_user_call(single))
            {
                return eval_one(ctx, single, errors);
            }
            let mut out = BTreeMap::new();
            for entry in args {
                let Some([key, rest @ ..]) = entry.as_list() else {
                    let mut d = Diagnostic::error(format!(
                        "expected an entry `(KEY VALUE)` in `{}`, found {}",
                        path(),
                        entry.describe()
                    ))
                    .at(entry.span);
                    if args.len() > 1 && entry.as_list().is_none() {
                        d = d.with_note(format!(
                            "help: `{}` is a map: write its entries as `(KEY VALUE)`, or give one expression that makes a map",
                            path()
                        ));
                    }
                    errors.push(d);
                    continue;
                };
                let Some(key_text) = key.as_name() else {
                    let mut d = Diagnostic::error(format!(
                        "a key must be a name or a string, found {}",
                        key.describe()
                    ))
                    .at(key.span);
                    if key.as_list().is_some() {
                        d = d.with_note(format!(
                            "help: to compute the whole of `{}`, give one expression such as `(merge ...)`",
                            path()
                        ));
                    }
                    errors.push(d);
                    continue;
                };
                let element = match ty {
                    Type::Map(t) => (**t).clone(),
                    Type::Object(fields) => match fields.get(key_text) {
                        Some(t) => t.clone(),
                        None => {
                            errors.push(
                                Diagnostic::error(format!(
                                    "`{}` has no attribute `{key_text}`",
                                    path()
                                ))
                                .at(key.span)
                                .with_suggestion(key_text, fields.keys().map(String::as_str)),
                            );
                            continue;
                        }
                    },
                    _ => Type::Any,
                };
                if out.contains_key(key_text) {
                    errors.push(
                        Diagnostic::error(format!("key `{key_text}` is set twice in `{}`", path()))
                            .at(key.span)
                            .with_label("set again here"),
                    );
                    continue;
                }
                let entry_path = || format!("{}.{key_text}", path());
                let written = errors.len();
                let Some(value) = read_into(ctx, rest, &element, entry.span, &entry_path, errors)
                else {
                    continue;
                };
                if errors.len() > written {
                    continue;
                }
                let at = rest.first().unwrap_or(entry);
                if let Some(value) = convert_at(value, &element, at, &entry_path, errors) {
                    out.insert(key_text.to_string(), value);
                }
            }
            (errors.len() == before).then_some(Value::Map(out))
        }
        Type::List(element) | Type::Set(element) => {
            if element.is_mapping() {
                // One object per occurrence of the attribute.
                if let [single] = args
                    && (single.as_list().is_none()
                        || is_expression_form(single)
                        || ctx.is_user_call(single))
                {
                    let v = eval_one(ctx, single, errors)?;
                    return Some(match v {
                        Value::Map(_) => Value::List(vec![v]),
                        other => other,
                    });
                }
                let object = read_into(ctx, args, element, span, path, errors)?;
                return Some(Value::List(vec![object]));
            }
            match args {
                [single] => {
                    let v = eval_one(ctx, single, errors)?;
                    Some(match v.peel() {
                        Value::List(_) | Value::Unknown | Value::Null => v,
                        _ => Value::List(vec![v]),
                    })
                }
                many => {
                    let mut items = Vec::with_capacity(many.len());
                    for (i, arg) in many.iter().enumerate() {
                        if let Some(v) = eval_one(ctx, arg, errors)
                            && let Some(v) =
                                convert_at(v, element, arg, &|| format!("{}[{i}]", path()), errors)
                        {
                            items.push(v);
                        }
                    }
                    (errors.len() == before).then_some(Value::List(items))
                }
            }
        }
        _ => match args {
            [single] => eval_one(ctx, single, errors),
            [] => {
                errors.push(Diagnostic::error(format!("`{}` needs a value", path())).at(span));
                None
            }
            [_, extra, ..] => {
                errors.push(
                    Diagnostic::error(format!("`{}` takes one value", path()))
                        .at(extra.span)
                        .with_note("help: to write a list use `(list ...)`"),
                );
                None
            }
        },
    }
}
