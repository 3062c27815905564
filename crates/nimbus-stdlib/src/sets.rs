//! Sets, and the element unification Terraform's collection conversions
//! do.
//!
//! Nimbus has no set value: a set is a list of distinct elements in
//! Terraform's set order, which [`canonical_set`] gives (numbers
//! numerically, strings by bytes, as cty orders sets of primitives).

use crate::FunctionError;
use crate::args::{Args, type_error};
use crate::compare::{compare, equal};
use nimbus_value::Value;

/// The most elements `set-product` builds: a guard against a product of a
/// few large sets exhausting memory.
const MAX_PRODUCT: usize = 100_000;

/// Gives the elements of a Terraform collection one type, as Terraform
/// converts a tuple to a list, set or map: when strings are mixed with
/// numbers or bools, the numbers and bools become strings. Numbers mixed
/// with bools, or primitives mixed with lists or maps, have no common type
/// and are an error. Nulls stay null. Nested collections unify too: the
/// elements of every inner list together (`[[1, true], ["a"]]` becomes
/// `[["1", "true"], ["a"]]`); maps with the same keys key by key (they are
/// objects of one type), maps with different keys all their values
/// together (they become maps of one element type).
pub(crate) fn unify(items: Vec<Value>, index: usize) -> Result<Vec<Value>, FunctionError> {
    let mut kinds = [false; 5]; // bool, number, string, list, map
    for item in &items {
        match item.peel() {
            Value::Bool(_) => kinds[0] = true,
            Value::Number(_) => kinds[1] = true,
            Value::String(_) => kinds[2] = true,
            Value::List(_) => kinds[3] = true,
            Value::Map(_) => kinds[4] = true,
            _ => {}
        }
    }
    let [bools, numbers, strings, lists, maps] = kinds;
    let primitives = bools || numbers || strings;
    let mixed_primitives = [bools, numbers, strings].iter().filter(|k| **k).count() > 1;
    if (primitives && (lists || maps)) || (lists && maps) || (mixed_primitives && !strings) {
        return Err(FunctionError::at(
            index,
            "the elements have no common type (a list, set or map needs one)",
        ));
    }
    if lists {
        return unify_lists(items, index);
    }
    if maps {
        return unify_maps(items, index);
    }
    if !mixed_primitives {
        return Ok(items);
    }
    Ok(items
        .into_iter()
        .map(|item| match item {
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            other => other,
        })
        .collect())
}

/// Lists (and nulls): the elements of all of them unified together.
fn unify_lists(items: Vec<Value>, index: usize) -> Result<Vec<Value>, FunctionError> {
    let mut lengths = Vec::with_capacity(items.len());
    let mut elements = Vec::new();
    for item in &items {
        match item {
            Value::List(inner) => {
                lengths.push(Some(inner.len()));
                elements.extend(inner.iter().cloned());
            }
            _ => lengths.push(None),
        }
    }
    let mut elements = unify(elements, index)?.into_iter();
    Ok(items
        .into_iter()
        .zip(lengths)
        .map(|(item, length)| match length {
            Some(n) => Value::List(elements.by_ref().take(n).collect()),
            None => item,
        })
        .collect())
}

/// Maps (and nulls): with one set of keys, each key's values unified
/// together; otherwise all values together.
fn unify_maps(items: Vec<Value>, index: usize) -> Result<Vec<Value>, FunctionError> {
    let maps: Vec<&std::collections::BTreeMap<String, Value>> =
        items.iter().filter_map(Value::as_map).collect();
    let same_keys = maps
        .windows(2)
        .all(|pair| pair[0].keys().eq(pair[1].keys()));
    // Each value's group: its key when the keys agree, else one group.
    let group = |key: &str| {
        if same_keys {
            key.to_string()
        } else {
            String::new()
        }
    };
    let mut groups: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for map in &maps {
        for (k, v) in map.iter() {
            groups.entry(group(k)).or_default().push(v.clone());
        }
    }
    let mut unified = std::collections::BTreeMap::new();
    for (g, values) in groups {
        unified.insert(g, unify(values, index)?.into_iter());
    }
    Ok(items
        .into_iter()
        .map(|item| match item {
            Value::Map(map) => Value::Map(
                map.into_keys()
                    .map(|k| {
                        let value = unified
                            .get_mut(&group(&k))
                            .and_then(Iterator::next)
                            .unwrap_or_default();
                        (k, value)
                    })
                    .collect(),
            ),
            other => other,
        })
        .collect())
}

/// The elements as a Terraform set: one type, sorted, without duplicates.
pub(crate) fn canonical_set(items: Vec<Value>, index: usize) -> Result<Vec<Value>, FunctionError> {
    let mut items = unify(items, index)?;
    items.sort_by(compare);
    items.dedup_by(|a, b| equal(a, b));
    Ok(items)
}

/// Every argument as a set; an argument that is not a list is an error.
fn sets(args: &mut Args) -> Result<Vec<Vec<Value>>, FunctionError> {
    (0..args.len())
        .map(|i| args.take_list(i).and_then(|items| canonical_set(items, i)))
        .collect()
}

/// All the sets' elements together, with one element type.
fn unified_sets(args: &mut Args) -> Result<Vec<Vec<Value>>, FunctionError> {
    let sets = sets(args)?;
    let lengths: Vec<usize> = sets.iter().map(Vec::len).collect();
    let mut all = unify(sets.into_iter().flatten().collect(), 0)?.into_iter();
    Ok(lengths
        .into_iter()
        .map(|n| all.by_ref().take(n).collect())
        .collect())
}

pub(crate) fn set_union(args: &mut Args) -> Result<Value, FunctionError> {
    let all = unified_sets(args)?.into_iter().flatten().collect();
    Ok(Value::List(canonical_set(all, 0)?))
}

pub(crate) fn set_intersection(args: &mut Args) -> Result<Value, FunctionError> {
    let mut sets = unified_sets(args)?.into_iter();
    let first = sets.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = sets.collect();
    let kept = first
        .into_iter()
        .filter(|item| rest.iter().all(|set| set.iter().any(|o| equal(o, item))))
        .collect();
    Ok(Value::List(canonical_set(kept, 0)?))
}

pub(crate) fn set_subtract(args: &mut Args) -> Result<Value, FunctionError> {
    let mut sets = unified_sets(args)?.into_iter();
    let (first, second) = (
        sets.next().unwrap_or_default(),
        sets.next().unwrap_or_default(),
    );
    let kept = first
        .into_iter()
        .filter(|item| !second.iter().any(|o| equal(o, item)))
        .collect();
    Ok(Value::List(canonical_set(kept, 0)?))
}

/// `(set-product SET SET...)`: every combination of one element of each,
/// in order (the first argument varies slowest).
pub(crate) fn set_product(args: &mut Args) -> Result<Value, FunctionError> {
    if args.len() < 2 {
        return Err(FunctionError::new("at least two arguments are required"));
    }
    let mut factors = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        match args.get(i).peel() {
            Value::List(_) => factors.push(args.take_list(i)?),
            other => return Err(type_error(i, "a list or set", other)),
        }
    }
    let total = factors
        .iter()
        .try_fold(1usize, |n, f| n.checked_mul(f.len()))
        .filter(|n| *n <= MAX_PRODUCT)
        .ok_or_else(|| {
            FunctionError::new(format!(
                "the product would have more than {MAX_PRODUCT} elements"
            ))
        })?;
    let mut out = Vec::with_capacity(total);
    for n in 0..total {
        let mut rest = n;
        let mut combination = vec![Value::Null; factors.len()];
        for (slot, factor) in combination.iter_mut().zip(&factors).rev() {
            let len = factor.len().max(1);
            *slot = factor.get(rest % len).cloned().unwrap_or_default();
            rest /= len;
        }
        out.push(Value::List(combination));
    }
    Ok(Value::List(out))
}
