//! The type of an expression as far as it is known without evaluating it:
//! what Terraform records as an output's type (`output -json`, state),
//! which a value alone cannot tell (a map from an object, a list from a
//! tuple, a set from a list).
//!
//! Terraform's rules for the common cases: a list literal (`(list ...)`)
//! is a tuple, a map literal an object, a variable has its declared type,
//! `to-list`, `to-set` and `to-map` make a list, set or map, and `split`,
//! `keys` and `range` return lists, and a resource's attribute has its
//! schema's type. Anything else is [`Type::Any`]: its
//! type is read from its value (a list as a tuple, a map as an object,
//! which is also what a `for` or `for-map` comprehension makes).

use nimbus_config::{Mode, Module};
use nimbus_syntax::{Node, NodeKind};
use nimbus_value::Type;
use std::collections::BTreeMap;

/// The static type of `node`, an expression of `module`. Parts not known
/// statically are [`Type::Any`]. `attribute` gives the type of a
/// resource's attribute (`(ref TYPE "NAME" "ATTRIBUTE")`, or `(ref data
/// ...)`): its schema's, which only the engine knows; `Any` if it cannot,
/// or if the block is not in `module` or has `count`/`for-each` (the
/// engine finds the block by its index: no scan of the module's blocks
/// per reference).
pub fn static_type(
    module: &Module,
    node: &Node,
    attribute: &dyn Fn(Mode, &str, &str, &str) -> Type,
) -> Type {
    let static_type = |n: &Node| static_type(module, n, attribute);
    let Some((head, args)) = node.as_list().and_then(<[Node]>::split_first) else {
        return Type::Any;
    };
    match (head.as_symbol().unwrap_or_default(), args) {
        ("ref", parts) => {
            let (mode, parts) = match parts.split_first() {
                Some((d, rest)) if d.as_symbol() == Some("data") => (Mode::Data, rest),
                _ => (Mode::Managed, parts),
            };
            match parts {
                [t, n, a] => match (t.as_symbol(), n.as_str(), a.as_str()) {
                    (Some(t), Some(n), Some(a)) => attribute(mode, t, n, a),
                    _ => Type::Any,
                },
                _ => Type::Any,
            }
        }
        ("var", [name]) => name
            .as_name()
            .and_then(|n| module.variable(n))
            .map_or(Type::Any, |v| v.ty.clone()),
        ("list", items) => Type::Tuple(items.iter().map(&static_type).collect()),
        ("map" | "object", entries) => {
            let mut fields = BTreeMap::new();
            for entry in entries {
                let Some([key, value]) = entry.as_list() else {
                    return Type::Any;
                };
                let key = match &key.kind {
                    NodeKind::String(s) => s.clone(),
                    NodeKind::Symbol(s) => s.to_string(),
                    _ => return Type::Any,
                };
                fields.insert(key, static_type(value));
            }
            Type::Object(fields)
        }
        ("to-list", [inner]) => Type::list(element_of(static_type(inner))),
        ("to-set", [inner]) => Type::set(element_of(static_type(inner))),
        ("to-map", [inner]) => Type::map(element_of(static_type(inner))),
        ("split", _) | ("keys", [_]) => Type::list(Type::String),
        ("range", _) => Type::list(Type::Number),
        ("sensitive" | "nonsensitive", [inner]) => static_type(inner),
        _ => Type::Any,
    }
}

/// The element type of a collection type: a list's, set's or map's own;
/// of a tuple or object, the one type all elements share, if they do.
fn element_of(ty: Type) -> Type {
    match ty {
        Type::List(t) | Type::Set(t) | Type::Map(t) => *t,
        Type::Tuple(types) => shared(types),
        Type::Object(fields) => shared(fields.into_values().collect()),
        _ => Type::Any,
    }
}

/// The type every one of `types` is, else any (read from the value).
fn shared(types: Vec<Type>) -> Type {
    let mut types = types.into_iter();
    let Some(first) = types.next() else {
        return Type::Any;
    };
    if types.all(|t| t == first) {
        first
    } else {
        Type::Any
    }
}
