//! List and map functions.
//!
//! Maps are `BTreeMap`s, so every function that walks one (`keys`,
//! `values`, `merge`, `json-encode`) sees keys in sorted order and gives
//! deterministic results, which keeps plans stable.

use crate::FunctionError;
use crate::args::{Args, element_error, type_error};
use crate::compare::{compare, equal};
use crate::numbers::float;
use nimbus_value::{Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The most elements `range` produces (Terraform's limit too): a guard
/// against `(range 0 1e12)` exhausting memory.
const MAX_RANGE: usize = 1024;

fn index_value(i: usize) -> Value {
    Value::Number(Number::Int(i as i128))
}

/// `length` (marks: [`crate::Marks::Shape`]): grapheme clusters of a string,
/// elements of a list, entries of a map.
pub(crate) fn length(args: &mut Args) -> Result<Value, FunctionError> {
    let arg = args.get(0);
    let sensitive = arg.is_sensitive();
    let n = match arg.peel() {
        Value::Unknown => return Ok(Value::Unknown.mark_if(sensitive)),
        Value::String(s) => crate::strings::grapheme_count(s),
        Value::List(items) => items.len(),
        Value::Map(map) => map.len(),
        other => return Err(type_error(0, "a string, a list or a map", other)),
    };
    Ok(index_value(n).mark_if(sensitive))
}

/// `list` (marks: [`crate::Marks::Structural`]): the arguments as a list,
/// each keeping its own marks.
pub(crate) fn list(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::List(args.take_all()))
}

/// `sensitive` (marks: [`crate::Marks::AddSensitive`]).
pub(crate) fn sensitive(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(args.take(0).into_sensitive())
}

/// `nonsensitive` (marks: [`crate::Marks::RemoveSensitive`]): removes the
/// outer sensitive wrappers (a doubly wrapped value is still one secret).
pub(crate) fn nonsensitive(args: &mut Args) -> Result<Value, FunctionError> {
    match args.take(0) {
        Value::Sensitive(mut inner) => {
            while let Value::Sensitive(deeper) = *inner {
                inner = deeper;
            }
            Ok(*inner)
        }
        Value::Unknown => Ok(Value::Unknown),
        _ => Err(FunctionError::at(
            0,
            "the given value is not sensitive, so this call is redundant",
        )),
    }
}

pub(crate) fn concat(args: &mut Args) -> Result<Value, FunctionError> {
    let mut out = Vec::new();
    for i in 0..args.len() {
        out.extend(args.take_list(i)?);
    }
    Ok(Value::List(out))
}

/// Merges maps; a later map's entry replaces an earlier one's. Null
/// arguments are skipped, so optional maps can be merged directly.
pub(crate) fn merge(args: &mut Args) -> Result<Value, FunctionError> {
    let mut out = BTreeMap::new();
    for i in 0..args.len() {
        if args.get(i).is_null() {
            continue;
        }
        out.extend(args.take_map(i)?);
    }
    Ok(Value::Map(out))
}

/// `(lookup MAP KEY [DEFAULT])`.
pub(crate) fn lookup(args: &mut Args) -> Result<Value, FunctionError> {
    let key = args.string(1)?.to_string();
    let found = args.map(0)?.contains_key(&key);
    if found {
        let mut map = args.take_map(0)?;
        return Ok(map.remove(&key).unwrap_or_default());
    }
    match args.opt(2) {
        Some(_) => Ok(args.take(2)),
        None => Err(FunctionError::at(
            1,
            format!(
                "the map has no key {} and no default was given",
                args.quote(&key)
            ),
        )),
    }
}

pub(crate) fn keys(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::List(
        args.map(0)?
            .keys()
            .map(|k| Value::String(k.clone()))
            .collect(),
    ))
}

pub(crate) fn values(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::List(args.take_map(0)?.into_values().collect()))
}

/// `(range LIMIT)`, `(range START LIMIT)`, `(range START LIMIT STEP)` with
/// Terraform's semantics: LIMIT is excluded; without STEP the direction
/// follows START and LIMIT; at most 1024 elements.
pub(crate) fn range(args: &mut Args) -> Result<Value, FunctionError> {
    let numbers: Vec<Number> = (0..args.len())
        .map(|i| args.number(i))
        .collect::<Result<_, _>>()?;
    let (start, limit, step) = match numbers.as_slice() {
        [limit] => (Number::Int(0), *limit, None),
        [start, limit] => (*start, *limit, None),
        [start, limit, step] => (*start, *limit, Some(*step)),
        _ => return Err(FunctionError::new("expected 1 to 3 numbers")),
    };
    let descending_default = compare_numbers_lt(limit, start);
    let step = step.unwrap_or(Number::Int(if descending_default { -1 } else { 1 }));
    let step_sign = crate::compare::compare_numbers(step, Number::Int(0));
    let step_index = args.len().saturating_sub(1);
    if step_sign == Ordering::Equal || step.as_f64().is_nan() {
        return Err(FunctionError::at(step_index, "the step must not be zero"));
    }
    if step_sign == Ordering::Greater && compare_numbers_lt(limit, start) {
        return Err(FunctionError::at(
            step_index,
            "the step must be negative when the limit is less than the start",
        ));
    }
    if step_sign == Ordering::Less && compare_numbers_lt(start, limit) {
        return Err(FunctionError::at(
            step_index,
            "the step must be positive when the limit is greater than the start",
        ));
    }
    let too_many = || {
        FunctionError::new(format!(
            "more than {MAX_RANGE} values would be generated; narrow the range or use a larger step"
        ))
    };
    let ascending = step_sign == Ordering::Greater;
    let before_limit = |n: Number| {
        let o = crate::compare::compare_numbers(n, limit);
        if ascending {
            o == Ordering::Less
        } else {
            o == Ordering::Greater
        }
    };
    let mut out = Vec::new();
    if let (Number::Int(s), Number::Int(_), Number::Int(st)) = (start, limit, step) {
        let mut current = s;
        while before_limit(Number::Int(current)) {
            if out.len() == MAX_RANGE {
                return Err(too_many());
            }
            out.push(Value::Number(Number::Int(current)));
            match current.checked_add(st) {
                Some(next) => current = next,
                None => break,
            }
        }
    } else {
        // start + i * step rather than repeated addition: no accumulated
        // rounding drift.
        let (s, st) = (start.as_f64(), step.as_f64());
        for i in 0..=MAX_RANGE {
            let current = float(s + st * i as f64)?;
            if !before_limit(current) {
                break;
            }
            if i == MAX_RANGE {
                return Err(too_many());
            }
            out.push(Value::Number(current));
        }
    }
    Ok(Value::List(out))
}

fn compare_numbers_lt(a: Number, b: Number) -> bool {
    crate::compare::compare_numbers(a, b) == Ordering::Less
}

/// `(element LIST INDEX)`: the index wraps around the list's length.
pub(crate) fn element(args: &mut Args) -> Result<Value, FunctionError> {
    let index = args.integer(1)?;
    let len = args.list(0)?.len();
    if len == 0 {
        return Err(FunctionError::at(
            0,
            "cannot take an element of an empty list",
        ));
    }
    if index < 0 {
        return Err(FunctionError::at(1, "the index must not be negative"));
    }
    let i = usize::try_from(index % len as i128).unwrap_or(0);
    let mut items = args.take_list(0)?;
    Ok(if i < items.len() {
        items.swap_remove(i)
    } else {
        Value::Null
    })
}

/// `(index-of LIST VALUE)`: position of the first equal element.
pub(crate) fn index_of(args: &mut Args) -> Result<Value, FunctionError> {
    let needle = args.get(1);
    match args.list(0)?.iter().position(|v| equal(v, needle)) {
        Some(i) => Ok(index_value(i)),
        None => Err(FunctionError::at(
            1,
            format!("{} is not in the list", args.show(needle)),
        )),
    }
}

/// `(slice LIST START END)`: elements from START up to, not including, END.
pub(crate) fn slice(args: &mut Args) -> Result<Value, FunctionError> {
    let len = args.list(0)?.len() as i128;
    let (start, end) = (args.integer(1)?, args.integer(2)?);
    if start < 0 {
        return Err(FunctionError::at(1, "the start index must not be negative"));
    }
    if end > len {
        return Err(FunctionError::at(
            2,
            format!("the end index {end} is past the end of the list (length {len})"),
        ));
    }
    if start > end {
        return Err(FunctionError::at(
            1,
            format!("the start index {start} is greater than the end index {end}"),
        ));
    }
    let items = args.take_list(0)?;
    let (start, end) = (
        usize::try_from(start).unwrap_or(0),
        usize::try_from(end).unwrap_or(0),
    );
    Ok(Value::List(
        items
            .get(start..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default(),
    ))
}

pub(crate) fn reverse(args: &mut Args) -> Result<Value, FunctionError> {
    let mut items = args.take_list(0)?;
    items.reverse();
    Ok(Value::List(items))
}

/// Sorts lexicographically (by bytes, so by code point), as Terraform's
/// `sort`: its argument is a list of strings, so numbers and bools are
/// sorted as their text (`10` before `2`), and come back as strings.
pub(crate) fn sort(args: &mut Args) -> Result<Value, FunctionError> {
    let mut items = Vec::new();
    for (i, item) in args.list(0)?.iter().enumerate() {
        match item.peel() {
            Value::String(s) => items.push(s.clone()),
            Value::Number(n) => items.push(n.to_string()),
            Value::Bool(b) => items.push(b.to_string()),
            Value::Null => {
                return Err(FunctionError::at(
                    0,
                    format!("given list element {i} is null; a null string cannot be sorted"),
                ));
            }
            other => return Err(element_error(0, "a list of strings", i, other)),
        }
    }
    items.sort_unstable();
    Ok(Value::List(items.into_iter().map(Value::String).collect()))
}

/// The positions of the first occurrence of each distinct element, in
/// list order, found in O(n log n) rather than by pairwise comparison.
fn first_occurrences(items: &[Value]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| compare(&items[a], &items[b]).then(a.cmp(&b)));
    let mut keep: Vec<usize> = Vec::new();
    for (n, &i) in order.iter().enumerate() {
        let duplicate = n > 0 && equal(&items[order[n - 1]], &items[i]);
        if !duplicate {
            keep.push(i);
        }
    }
    keep.sort_unstable();
    keep
}

/// Removes duplicates, keeping the first occurrence of each.
pub(crate) fn distinct(args: &mut Args) -> Result<Value, FunctionError> {
    let items = args.take_list(0)?;
    let keep = first_occurrences(&items);
    let mut items: Vec<Option<Value>> = items.into_iter().map(Some).collect();
    Ok(Value::List(
        keep.into_iter()
            .filter_map(|i| items.get_mut(i).and_then(Option::take))
            .collect(),
    ))
}

/// A set: Nimbus represents one as a list of distinct elements in
/// Terraform's set order (see [`crate::sets`]); mixed strings and numbers
/// become strings, as Terraform's `toset` converts them.
pub(crate) fn to_set(args: &mut Args) -> Result<Value, FunctionError> {
    if args.get(0).is_null() {
        return Ok(Value::Null);
    }
    let items = args.take_list(0)?;
    Ok(Value::List(crate::sets::canonical_set(items, 0)?))
}

fn flatten_into(items: Vec<Value>, out: &mut Vec<Value>) {
    for item in items {
        match item {
            Value::List(inner) => flatten_into(inner, out),
            other => out.push(other),
        }
    }
}

/// Replaces nested lists by their elements, at every depth.
pub(crate) fn flatten(args: &mut Args) -> Result<Value, FunctionError> {
    let mut out = Vec::new();
    flatten_into(args.take_list(0)?, &mut out);
    Ok(Value::List(out))
}

/// Drops nulls and empty strings. Terraform's `compact` takes a list of
/// strings, so numbers and bools come back as strings.
pub(crate) fn compact(args: &mut Args) -> Result<Value, FunctionError> {
    let mut out = Vec::new();
    for (i, item) in args.list(0)?.iter().enumerate() {
        match item.peel() {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => out.push(Value::String(s.clone())),
            Value::Number(n) => out.push(Value::String(n.to_string())),
            Value::Bool(b) => out.push(Value::String(b.to_string())),
            other => return Err(element_error(0, "a list of strings", i, other)),
        }
    }
    Ok(Value::List(out))
}

/// `(zipmap KEYS VALUES)`: a map from equal-length lists; a repeated key
/// takes its last value.
pub(crate) fn zipmap(args: &mut Args) -> Result<Value, FunctionError> {
    let keys: Vec<String> = args.strings(0)?.into_iter().map(Cow::into_owned).collect();
    let values = args.list(1)?;
    if keys.len() != values.len() {
        return Err(FunctionError::at(
            1,
            format!(
                "the lists must have the same length: {} keys but {} values",
                keys.len(),
                values.len()
            ),
        ));
    }
    let values = args.take_list(1)?;
    Ok(Value::Map(keys.into_iter().zip(values).collect()))
}

/// The first argument that is neither null nor an empty string. As in
/// Terraform the arguments share one type: when strings are among them,
/// a number or bool result comes back as a string.
pub(crate) fn coalesce(args: &mut Args) -> Result<Value, FunctionError> {
    let values = crate::sets::unify(args.take_all(), 0)?;
    values
        .into_iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .ok_or_else(|| FunctionError::new("no non-null, non-empty-string arguments"))
}

/// The first argument that is a non-empty list.
pub(crate) fn coalesce_list(args: &mut Args) -> Result<Value, FunctionError> {
    for i in 0..args.len() {
        if args.get(i).is_null() {
            continue;
        }
        if !args.list(i)?.is_empty() {
            return Ok(Value::List(args.take_list(i)?));
        }
    }
    Err(FunctionError::new("no non-null arguments"))
}

/// `(chunk-list LIST SIZE)`: consecutive chunks of SIZE elements, the last
/// one shorter; SIZE 0 gives the whole list as one chunk (Terraform).
pub(crate) fn chunk_list(args: &mut Args) -> Result<Value, FunctionError> {
    let size = args.integer(1)?;
    if size < 0 {
        return Err(FunctionError::at(1, "the size argument must be positive"));
    }
    let items = args.take_list(0)?;
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items)]));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::List(
        items
            .chunks(size)
            .map(|chunk| Value::List(chunk.to_vec()))
            .collect(),
    ))
}

/// `(match-keys VALUES KEYS SEARCH)`: the elements of VALUES whose
/// element at the same position in KEYS is in SEARCH.
pub(crate) fn match_keys(args: &mut Args) -> Result<Value, FunctionError> {
    let (values, keys, search) = (args.list(0)?, args.list(1)?, args.list(2)?);
    if values.len() != keys.len() {
        return Err(FunctionError::at(
            1,
            "length of keys and values should be equal",
        ));
    }
    Ok(Value::List(
        values
            .iter()
            .zip(keys)
            .filter(|(_, key)| search.iter().any(|s| equal(s, key)))
            .map(|(value, _)| value.clone())
            .collect(),
    ))
}

/// `(transpose MAP)`: a map of lists of strings turned inside out: each
/// string becomes a key, listing the keys whose lists held it.
pub(crate) fn transpose(args: &mut Args) -> Result<Value, FunctionError> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, list) in args.map(0)? {
        let Value::List(items) = list.peel() else {
            return Err(type_error(0, "a map of lists of strings", list));
        };
        for item in items {
            let Value::String(s) = item.peel() else {
                return Err(type_error(0, "a map of lists of strings", item));
            };
            out.entry(s.clone())
                .or_default()
                .push(Value::String(key.clone()));
        }
    }
    Ok(Value::Map(
        out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
    ))
}

pub(crate) fn first(args: &mut Args) -> Result<Value, FunctionError> {
    let mut items = args.take_list(0)?;
    if items.is_empty() {
        return Err(FunctionError::at(0, "the list is empty"));
    }
    Ok(items.swap_remove(0))
}

pub(crate) fn last(args: &mut Args) -> Result<Value, FunctionError> {
    args.take_list(0)?
        .pop()
        .ok_or_else(|| FunctionError::at(0, "the list is empty"))
}

/// A list with one element type (see [`crate::sets::unify`]), or null.
pub(crate) fn to_list(args: &mut Args) -> Result<Value, FunctionError> {
    if args.get(0).is_null() {
        return Ok(Value::Null);
    }
    let items = args.take_list(0)?;
    Ok(Value::List(crate::sets::unify(items, 0)?))
}

/// A map from a map (unchanged) or from a list of `(KEY VALUE)` pairs;
/// repeated keys are an error, since one entry would silently vanish.
pub(crate) fn to_map(args: &mut Args) -> Result<Value, FunctionError> {
    match args.take(0) {
        Value::Null => Ok(Value::Null),
        Value::Map(map) => {
            let (keys, values): (Vec<String>, Vec<Value>) = map.into_iter().unzip();
            let values = crate::sets::unify(values, 0)?;
            Ok(Value::Map(keys.into_iter().zip(values).collect()))
        }
        Value::List(pairs) => {
            let mut out = BTreeMap::new();
            for (i, pair) in pairs.into_iter().enumerate() {
                let Value::List(mut kv) = pair else {
                    return Err(element_error(0, "a list of (KEY VALUE) pairs", i, &pair));
                };
                let (Some(value), Some(Value::String(key)), true) =
                    (kv.pop(), kv.pop(), kv.is_empty())
                else {
                    return Err(FunctionError::at(
                        0,
                        format!(
                            "element {i} of argument 1 must be a pair of a string key and a value"
                        ),
                    ));
                };
                if out.contains_key(&key) {
                    return Err(FunctionError::at(
                        0,
                        format!("duplicate key {} at element {i}", args.quote(&key)),
                    ));
                }
                out.insert(key, value);
            }
            Ok(Value::Map(out))
        }
        other => Err(type_error(
            0,
            "a map or a list of (KEY VALUE) pairs",
            &other,
        )),
    }
}

/// The only element of a list of at most one: null for an empty list.
pub(crate) fn one(args: &mut Args) -> Result<Value, FunctionError> {
    let mut items = args.take_list(0)?;
    match items.len() {
        0 => Ok(Value::Null),
        1 => Ok(items.swap_remove(0)),
        n => Err(FunctionError::at(
            0,
            format!("the list must have at most one element, found {n}"),
        )),
    }
}

/// `(sum LIST)`: an empty list is an error, as in Terraform.
pub(crate) fn sum(args: &mut Args) -> Result<Value, FunctionError> {
    let numbers = args.numbers(0)?;
    if numbers.is_empty() {
        return Err(FunctionError::at(0, "cannot sum an empty list"));
    }
    crate::numbers::total(&numbers).map(Value::Number)
}

pub(crate) fn alltrue(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::Bool(args.bools(0)?.into_iter().all(|b| b)))
}

pub(crate) fn anytrue(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::Bool(args.bools(0)?.into_iter().any(|b| b)))
}
