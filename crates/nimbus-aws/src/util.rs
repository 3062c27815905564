//! Reading attributes out of object values, building new ones, and the
//! normalisations that keep a refreshed object equal to its planned one.

use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{Schema, Type, Value, parse_number};
use std::collections::BTreeMap;

pub(crate) type Object = BTreeMap<String, Value>;

static NULL: Value = Value::Null;

/// An attribute of an object; `Null` when absent.
pub(crate) fn attr<'a>(object: &'a Value, name: &str) -> &'a Value {
    object.get(name).unwrap_or(&NULL)
}

fn kind_error(name: &str, expected: &str, found: &Value) -> ProviderError {
    ProviderError::fatal(format!(
        "`{name}` must be {expected}, found {}",
        found.kind_name()
    ))
    .on_attribute(name)
}

fn unknown_error(name: &str) -> ProviderError {
    ProviderError::fatal(format!("`{name}` is not known yet")).on_attribute(name)
}

/// A string attribute; `None` when null. Unknown is an error: these
/// readers are for apply time, when everything is known.
pub(crate) fn opt_str(object: &Value, name: &str) -> Result<Option<String>, ProviderError> {
    match attr(object, name).peel() {
        Value::Null => Ok(None),
        Value::Unknown => Err(unknown_error(name)),
        Value::String(s) => Ok(Some(s.clone())),
        v @ (Value::Number(_) | Value::Bool(_)) => Ok(Some(v.to_display_string())),
        other => Err(kind_error(name, "a string", other)),
    }
}

pub(crate) fn req_str(object: &Value, name: &str) -> Result<String, ProviderError> {
    match opt_str(object, name)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(ProviderError::fatal(format!("`{name}` is required")).on_attribute(name)),
    }
}

pub(crate) fn opt_i64(object: &Value, name: &str) -> Result<Option<i64>, ProviderError> {
    let value = attr(object, name).peel();
    let number = match value {
        Value::Null => return Ok(None),
        Value::Unknown => return Err(unknown_error(name)),
        Value::Number(n) => Some(*n),
        Value::String(s) => parse_number(s),
        _ => None,
    };
    match number {
        Some(n) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => Err(ProviderError::fatal(format!(
                "`{name}` must be a whole number, found {n}"
            ))
            .on_attribute(name)),
        },
        None => Err(kind_error(name, "a number", value)),
    }
}

pub(crate) fn opt_i32(object: &Value, name: &str) -> Result<Option<i32>, ProviderError> {
    match opt_i64(object, name)? {
        None => Ok(None),
        Some(i) => i32::try_from(i).map(Some).map_err(|_| {
            ProviderError::fatal(format!("`{name}` is out of range: {i}")).on_attribute(name)
        }),
    }
}

pub(crate) fn opt_bool(object: &Value, name: &str) -> Result<Option<bool>, ProviderError> {
    match attr(object, name).peel() {
        Value::Null => Ok(None),
        Value::Unknown => Err(unknown_error(name)),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Some(s == "true")),
        other => Err(kind_error(name, "a bool", other)),
    }
}

pub(crate) fn bool_or(object: &Value, name: &str, default: bool) -> Result<bool, ProviderError> {
    Ok(opt_bool(object, name)?.unwrap_or(default))
}

/// A map of strings (tags, environment variables); empty when null.
pub(crate) fn string_map(
    object: &Value,
    name: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    match attr(object, name).peel() {
        Value::Null => Ok(BTreeMap::new()),
        Value::Unknown => Err(unknown_error(name)),
        Value::Map(map) => map
            .iter()
            .map(|(k, v)| match v.peel() {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_display_string())),
                Value::Unknown => Err(unknown_error(&format!("{name}.{k}"))),
                other => {
                    Err(kind_error(&format!("{name}.{k}"), "a string", other).on_attribute(name))
                }
            })
            .collect(),
        other => Err(kind_error(name, "a map of strings", other)),
    }
}

/// A list of strings; empty when null.
pub(crate) fn string_list(object: &Value, name: &str) -> Result<Vec<String>, ProviderError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Vec::new()),
        Value::Unknown => Err(unknown_error(name)),
        Value::List(items) => items
            .iter()
            .map(|v| match v.peel() {
                Value::String(s) => Ok(s.clone()),
                Value::Unknown => Err(unknown_error(name)),
                other => Err(kind_error(name, "a list of strings", other)),
            })
            .collect(),
        other => Err(kind_error(name, "a list of strings", other)),
    }
}

/// A list of objects (repeated blocks); empty when null.
pub(crate) fn object_list<'a>(
    object: &'a Value,
    name: &str,
) -> Result<Vec<&'a Value>, ProviderError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Vec::new()),
        Value::Unknown => Err(unknown_error(name)),
        Value::List(items) => Ok(items.iter().collect()),
        other => Err(kind_error(name, "a list of blocks", other)),
    }
}

pub(crate) fn map_value(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

pub(crate) fn str_value(s: Option<impl Into<String>>) -> Value {
    s.map(|s| Value::String(s.into())).unwrap_or(Value::Null)
}

/// A new object with exactly the schema's attributes, taken from `from`
/// (null where absent).
pub(crate) fn object_from(schema: &Schema, from: &Value) -> Object {
    schema
        .attributes
        .keys()
        .map(|name| (name.clone(), attr(from, name).clone()))
        .collect()
}

/// Brings an object to the one shape that plan, read and import agree on:
/// every schema attribute present, values converted to their types (sets
/// sorted), empty collections as null (AWS does not tell "no tags" from
/// "empty tags", and neither does Nimbus).
pub(crate) fn normalize(schema: &Schema, object: Object) -> Result<Object, ProviderError> {
    let mut out = Object::new();
    let mut object = object;
    for (name, attribute) in &schema.attributes {
        let value = object.remove(name).unwrap_or(Value::Null);
        let value = attribute.ty.convert(value).map_err(|e| {
            ProviderError::fatal(format!("`{name}`: {}", e.message)).on_attribute(name.as_str())
        })?;
        let value = match (&attribute.ty, value.peel()) {
            (Type::Map(_) | Type::List(_) | Type::Set(_), Value::Map(m)) if m.is_empty() => {
                Value::Null
            }
            (Type::Map(_) | Type::List(_) | Type::Set(_), Value::List(l)) if l.is_empty() => {
                Value::Null
            }
            _ => value,
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

/// Fails when a value handed back to the engine still holds an unknown.
pub(crate) fn ensure_known(type_name: &str, object: &Value) -> Result<(), ProviderError> {
    let Some(map) = object.as_map() else {
        return Ok(());
    };
    match map.iter().find(|(_, v)| !v.is_wholly_known()) {
        None => Ok(()),
        Some((name, _)) => Err(ProviderError::fatal(format!(
            "{type_name}: `{name}` would be unknown after apply; this is a bug in the AWS provider"
        ))
        .on_attribute(name.as_str())),
    }
}

/// Keys to remove and pairs to set to go from one tag map to another.
pub(crate) fn tag_diff(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (removed, set)
}

/// Percent-decoding, for the URL-encoded policy documents IAM returns
/// (`+` stays: IAM encodes spaces as `%20`).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("x+y%20z"), "x+y z");
    }

    #[test]
    fn tag_differences() {
        let old: BTreeMap<String, String> =
            [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        let new: BTreeMap<String, String> =
            [("b".into(), "3".into()), ("c".into(), "4".into())].into();
        let (removed, set) = tag_diff(&old, &new);
        assert_eq!(removed, vec!["a".to_string()]);
        assert_eq!(set.len(), 2);
    }
}
