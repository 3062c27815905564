//! The type of an expression as far as it is known without evaluating it:
//! what Terraform records as an output's type (`output -json`, state),
//! which a value alone cannot tell (a map from an object, a list from a
//! tuple, a set from a list).
//!
//! Terraform's rules for the common cases: a string, number or bool
//! literal has its type, a list literal (`(list ...)`)
//! is a tuple, a map literal an object, a variable has its declared type,
//! `to-list`, `to-set` and `to-map` make a list, set or map, and `split`,
//! `keys` and `range` return lists, and a resource's attribute has its
//! schema's type (of one instance's too, `null_resource.n[0].triggers`).
//! A conditional has the type its two sides unify to (`c ? var.tags :
//! {}`: a map of strings); `merge` of maps of one type and `concat` of
//! lists of one type are that map or list; `values` of a map is a list
//! of its elements, `lookup` in a map, `element` of a list and an index
//! into a list or map (`var.groups["g"]`) an element, a splat of a list
//! (`var.rows[*].k`) a list, and `coalesce` has the type its arguments
//! unify to; `coalescelist` gives the first non-empty one of its
//! arguments as it is: the type the arguments that can be chosen (an
//! empty `[]` never is) unify to (`coalescelist(var.names, ["c"])` is a
//! list of strings, as Terraform says while `var.names` is not empty). A string and a number or bool unify to a string
//! (`c ? 1 : "a"` is a string, and so is its value, `"1"`: see
//! [`crate::expr`]). Anything else is [`Type::Any`]: its
//! type is read from its value (a list as a tuple, a map as an object,
//! which is also what a `for` or `for-map` comprehension makes, and what
//! `flatten`, `merge` with an object and a splat of a resource with
//! `count` give in Terraform).

use nimbus_config::{Mode, Module};
use nimbus_syntax::{Node, NodeKind};
use nimbus_value::Type;
use std::collections::BTreeMap;

/// The static type of `node`, an expression of `module`. Parts not known
/// statically are [`Type::Any`]. `attribute` gives the type of a
/// resource's attribute (`(ref TYPE "NAME" "ATTRIBUTE")`, or `(ref data
/// ...)`; with `indexed`, one instance's, `(ref TYPE "NAME" KEY
/// "ATTRIBUTE")`): its schema's, which only the engine knows; `Any` if it
/// cannot, or if the block is not in `module` or has `count`/`for-each`
/// when not `indexed` (or neither when `indexed`; the engine finds the
/// block by its index: no scan of the module's blocks per reference).
pub fn static_type(
    module: &Module,
    node: &Node,
    attribute: &dyn Fn(Mode, &str, &str, bool, &str) -> Type,
) -> Type {
    let static_type = |n: &Node| static_type(module, n, attribute);
    let Some((head, args)) = node.as_list().and_then(<[Node]>::split_first) else {
        return match node.kind {
            NodeKind::String(_) => Type::String,
            NodeKind::Integer(_) | NodeKind::Decimal(_) => Type::Number,
            NodeKind::Bool(_) => Type::Bool,
            _ => Type::Any,
        };
    };
    match (head.as_symbol().unwrap_or_default(), args) {
        ("ref", parts) => {
            let (mode, parts) = match parts.split_first() {
                Some((d, rest)) if d.as_symbol() == Some("data") => (Mode::Data, rest),
                _ => (Mode::Managed, parts),
            };
            let (t, n, indexed, a) = match parts {
                [t, n, a] => (t, n, false, a),
                // One instance: not a splat (a tuple as long as the
                // instances, each of the attribute's type: read from the
                // value).
                [t, n, key, a] if key.as_symbol() != Some("*") => (t, n, true, a),
                _ => return Type::Any,
            };
            match (t.as_symbol(), n.as_str(), a.as_str()) {
                (Some(t), Some(n), Some(a)) => attribute(mode, t, n, indexed, a),
                _ => Type::Any,
            }
        }
        ("if", [_, then, otherwise]) => {
            unify(&static_type(then), &static_type(otherwise)).unwrap_or(Type::Any)
        }
        ("get", [collection, steps @ ..]) => {
            get_type(static_type(collection), steps).unwrap_or(Type::Any)
        }
        ("merge", [first, rest @ ..]) => match static_type(first) {
            Type::Map(t) if rest.iter().all(|r| static_type(r) == Type::Map(t.clone())) => {
                Type::Map(t)
            }
            _ => Type::Any,
        },
        ("concat", [first, rest @ ..]) => match static_type(first) {
            Type::List(t) if rest.iter().all(|r| static_type(r) == Type::List(t.clone())) => {
                Type::List(t)
            }
            _ => Type::Any,
        },
        ("values", [map]) => match static_type(map) {
            Type::Map(t) => Type::List(t),
            _ => Type::Any,
        },
        ("lookup", [map, _, ..]) => match static_type(map) {
            Type::Map(t) => *t,
            _ => Type::Any,
        },
        ("element", [list, _]) => match static_type(list) {
            Type::List(t) => *t,
            _ => Type::Any,
        },
        ("coalesce-list", args) => {
            let mut chosen = args
                .iter()
                .map(&static_type)
                .filter(|t| *t != Type::Tuple(Vec::new()));
            chosen
                .next()
                .and_then(|first| chosen.try_fold(first, |ty, t| unify(&ty, &t)))
                .unwrap_or(Type::Any)
        }
        ("coalesce", [first, rest @ ..]) => rest
            .iter()
            .try_fold(static_type(first), |ty, r| unify(&ty, &static_type(r)))
            .unwrap_or(Type::Any),
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

/// What the steps of a `get` (indexes, attribute names, a splat `*`)
/// make of a value of type `ty`, when that is known: an element of a
/// list or map, an attribute of an object, an element of a tuple at a
/// literal index; a splat of a list, a list of what the steps after it
/// make of each element (they all apply to the elements: a `.*` splat's
/// scope is ended by a nested `get`).
fn get_type(ty: Type, steps: &[Node]) -> Option<Type> {
    let Some((step, rest)) = steps.split_first() else {
        return Some(ty).filter(|t| *t != Type::Any);
    };
    if step.as_symbol() == Some("*") {
        return match ty {
            Type::List(t) => get_type(*t, rest).map(Type::list),
            _ => None,
        };
    }
    let element = match ty {
        Type::List(t) | Type::Map(t) => *t,
        Type::Object(mut fields) => fields.remove(step.as_str()?)?,
        Type::Tuple(mut types) => match &step.kind {
            NodeKind::Integer(i) => {
                let i = usize::try_from(*i).ok().filter(|i| *i < types.len())?;
                types.swap_remove(i)
            }
            _ => return None,
        },
        _ => return None,
    };
    get_type(element, rest)
}

/// The type `a` and `b` both convert to, as Terraform unifies the two
/// sides of a conditional: the same type; a string and a number or bool
/// a string; a map (list) and an object
/// (tuple) whose elements all unify with its element type (`{}` and
/// `[]` always do); collections of the same kind whose element types
/// unify. `None` otherwise (also when either is only known from its
/// value): the result's type is then read from its value.
pub(crate) fn unify(a: &Type, b: &Type) -> Option<Type> {
    let all = |t: &Type, types: &mut dyn Iterator<Item = &Type>| {
        let mut unified = t.clone();
        for t in types {
            unified = unify(&unified, t)?;
        }
        Some(unified)
    };
    match (a, b) {
        (Type::Any, _) | (_, Type::Any) => None,
        (a, b) if a == b => Some(a.clone()),
        (Type::String, Type::Number | Type::Bool) | (Type::Number | Type::Bool, Type::String) => {
            Some(Type::String)
        }
        (Type::Map(t), Type::Object(fields)) | (Type::Object(fields), Type::Map(t)) => {
            all(t, &mut fields.values()).map(Type::map)
        }
        (Type::List(t), Type::Tuple(types)) | (Type::Tuple(types), Type::List(t)) => {
            all(t, &mut types.iter()).map(Type::list)
        }
        (Type::List(a), Type::List(b)) => unify(a, b).map(Type::list),
        (Type::Map(a), Type::Map(b)) => unify(a, b).map(Type::map),
        (Type::Set(a), Type::Set(b)) => unify(a, b).map(Type::set),
        _ => None,
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
