//! Reading attributes out of object values, with typed errors.
//!
//! Two families of readers:
//!
//! - `*_field` readers return a [`Field`]: null, unknown or set. They are
//!   for plan and validate time, when a value may not be known yet.
//! - `opt_*`, `req_*` and the collection readers treat unknown as an error.
//!   They are for apply time, when everything is known.
//!
//! Scalars are read leniently, as configurations write them: a number or a
//! bool reads as its text where a string is wanted, and `"12"` or `"true"`
//! read as a number or a bool.

use crate::ProviderError;
use nimbus_value::{Value, parse_number};
use std::collections::BTreeMap;

static NULL: Value = Value::Null;

/// An attribute of an object; `Null` when absent.
pub fn attr<'a>(object: &'a Value, name: &str) -> &'a Value {
    object.get(name).unwrap_or(&NULL)
}

/// What is wrong with an attribute's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("is not known yet")]
    Unknown,
    #[error("is required")]
    Missing,
    #[error("must be {expected}, found {found}")]
    WrongKind {
        expected: &'static str,
        found: &'static str,
    },
    #[error("must be a whole number, found {0}")]
    NotWhole(String),
    #[error("is out of range: {0}")]
    OutOfRange(i64),
}

/// An attribute that cannot be read as wanted.
///
/// `path` names the value in the message (`tags.env` for an entry of
/// `tags`); `attribute` is the attribute the engine points at in the
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` {problem}")]
pub struct AttrError {
    pub attribute: String,
    pub path: String,
    pub problem: Problem,
}

impl AttrError {
    pub fn new(name: &str, problem: Problem) -> AttrError {
        AttrError {
            attribute: name.to_string(),
            path: name.to_string(),
            problem,
        }
    }

    pub fn unknown(name: &str) -> AttrError {
        AttrError::new(name, Problem::Unknown)
    }

    pub fn missing(name: &str) -> AttrError {
        AttrError::new(name, Problem::Missing)
    }

    fn wrong_kind(name: &str, expected: &'static str, found: &Value) -> AttrError {
        AttrError::new(
            name,
            Problem::WrongKind {
                expected,
                found: found.kind_name(),
            },
        )
    }

    /// Points the error at another attribute (the block a nested value
    /// was read from); the message keeps its path.
    pub fn on_attribute(mut self, attribute: impl Into<String>) -> AttrError {
        self.attribute = attribute.into();
        self
    }
}

impl From<AttrError> for ProviderError {
    fn from(e: AttrError) -> ProviderError {
        ProviderError::fatal(e.to_string()).on_attribute(e.attribute)
    }
}

/// An attribute's value as far as it is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<T> {
    Null,
    Unknown,
    Set(T),
}

impl<T> Field<T> {
    /// The value at apply time, when nothing may be unknown any more.
    pub fn known(self, name: &str) -> Result<Option<T>, AttrError> {
        match self {
            Field::Null => Ok(None),
            Field::Set(v) => Ok(Some(v)),
            Field::Unknown => Err(AttrError::unknown(name)),
        }
    }
}

/// A string attribute (numbers and bools read as their text).
pub fn string_field(object: &Value, name: &str) -> Result<Field<String>, AttrError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Field::Null),
        Value::Unknown => Ok(Field::Unknown),
        Value::String(s) => Ok(Field::Set(s.clone())),
        v @ (Value::Number(_) | Value::Bool(_)) => Ok(Field::Set(v.to_display_string())),
        other => Err(AttrError::wrong_kind(name, "a string", other)),
    }
}

/// A whole-number attribute (numeric strings read as numbers).
pub fn int_field(object: &Value, name: &str) -> Result<Field<i64>, AttrError> {
    let value = attr(object, name).peel();
    let number = match value {
        Value::Null => return Ok(Field::Null),
        Value::Unknown => return Ok(Field::Unknown),
        Value::Number(n) => Some(*n),
        Value::String(s) => parse_number(s),
        _ => None,
    };
    match number {
        Some(n) => match n.as_i64() {
            Some(i) => Ok(Field::Set(i)),
            None => Err(AttrError::new(name, Problem::NotWhole(n.to_string()))),
        },
        None => Err(AttrError::wrong_kind(name, "a number", value)),
    }
}

/// A bool attribute (`"true"` and `"false"` read as bools).
pub fn bool_field(object: &Value, name: &str) -> Result<Field<bool>, AttrError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Field::Null),
        Value::Unknown => Ok(Field::Unknown),
        Value::Bool(b) => Ok(Field::Set(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Field::Set(s == "true")),
        other => Err(AttrError::wrong_kind(name, "a bool", other)),
    }
}

/// A string attribute; `None` when null.
pub fn opt_str(object: &Value, name: &str) -> Result<Option<String>, AttrError> {
    string_field(object, name)?.known(name)
}

/// A string attribute that must be set and not empty.
pub fn req_str(object: &Value, name: &str) -> Result<String, AttrError> {
    match opt_str(object, name)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(AttrError::missing(name)),
    }
}

pub fn opt_i64(object: &Value, name: &str) -> Result<Option<i64>, AttrError> {
    int_field(object, name)?.known(name)
}

pub fn opt_i32(object: &Value, name: &str) -> Result<Option<i32>, AttrError> {
    match opt_i64(object, name)? {
        None => Ok(None),
        Some(i) => i32::try_from(i)
            .map(Some)
            .map_err(|_| AttrError::new(name, Problem::OutOfRange(i))),
    }
}

pub fn opt_bool(object: &Value, name: &str) -> Result<Option<bool>, AttrError> {
    bool_field(object, name)?.known(name)
}

pub fn bool_or(object: &Value, name: &str, default: bool) -> Result<bool, AttrError> {
    Ok(opt_bool(object, name)?.unwrap_or(default))
}

/// A map of strings (tags, environment variables); empty when null.
pub fn string_map(object: &Value, name: &str) -> Result<BTreeMap<String, String>, AttrError> {
    match attr(object, name).peel() {
        Value::Null => Ok(BTreeMap::new()),
        Value::Unknown => Err(AttrError::unknown(name)),
        Value::Map(map) => map
            .iter()
            .map(|(k, v)| match v.peel() {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_display_string())),
                Value::Unknown => Err(AttrError::unknown(&format!("{name}.{k}"))),
                other => Err(
                    AttrError::wrong_kind(&format!("{name}.{k}"), "a string", other)
                        .on_attribute(name),
                ),
            })
            .collect(),
        other => Err(AttrError::wrong_kind(name, "a map of strings", other)),
    }
}

/// A list of strings; empty when null.
pub fn string_list(object: &Value, name: &str) -> Result<Vec<String>, AttrError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Vec::new()),
        Value::Unknown => Err(AttrError::unknown(name)),
        Value::List(items) => items
            .iter()
            .map(|v| match v.peel() {
                Value::String(s) => Ok(s.clone()),
                Value::Unknown => Err(AttrError::unknown(name)),
                other => Err(AttrError::wrong_kind(name, "a list of strings", other)),
            })
            .collect(),
        other => Err(AttrError::wrong_kind(name, "a list of strings", other)),
    }
}

/// A list of objects (repeated blocks); empty when null.
pub fn object_list<'a>(object: &'a Value, name: &str) -> Result<Vec<&'a Value>, AttrError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Vec::new()),
        Value::Unknown => Err(AttrError::unknown(name)),
        Value::List(items) => Ok(items.iter().collect()),
        other => Err(AttrError::wrong_kind(name, "a list of blocks", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::obj;

    fn message(e: AttrError) -> (String, Option<String>) {
        let e = ProviderError::from(e);
        (e.message, e.attribute)
    }

    #[test]
    fn scalars_read_leniently() {
        let o = obj(&[
            ("s", Value::string("x")),
            ("n", Value::int(3)),
            ("ns", Value::string("12")),
            ("b", Value::string("true")),
            ("u", Value::Unknown),
            ("secret", Value::string("p").into_sensitive()),
        ]);
        assert_eq!(opt_str(&o, "n"), Ok(Some("3".into())));
        assert_eq!(opt_str(&o, "secret"), Ok(Some("p".into())));
        assert_eq!(opt_str(&o, "absent"), Ok(None));
        assert_eq!(opt_i64(&o, "ns"), Ok(Some(12)));
        assert_eq!(opt_bool(&o, "b"), Ok(Some(true)));
        assert_eq!(bool_or(&o, "absent", true), Ok(true));
        assert_eq!(string_field(&o, "u"), Ok(Field::Unknown));
        assert_eq!(int_field(&o, "absent"), Ok(Field::Null));
    }

    #[test]
    fn errors_name_the_attribute() {
        let o = obj(&[
            ("s", Value::string("x")),
            ("f", Value::string("1.5")),
            ("big", Value::int(1i64 << 40)),
            ("u", Value::Unknown),
            ("empty", Value::string("")),
            ("tags", obj(&[("env", Value::List(vec![]))])),
        ]);
        assert_eq!(
            message(opt_i64(&o, "s").unwrap_err()),
            (
                "`s` must be a number, found string".into(),
                Some("s".into())
            )
        );
        assert_eq!(
            message(opt_i64(&o, "f").unwrap_err()).0,
            "`f` must be a whole number, found 1.5"
        );
        assert_eq!(
            message(opt_i32(&o, "big").unwrap_err()).0,
            format!("`big` is out of range: {}", 1i64 << 40)
        );
        assert_eq!(
            message(opt_str(&o, "u").unwrap_err()),
            ("`u` is not known yet".into(), Some("u".into()))
        );
        assert_eq!(req_str(&o, "empty"), Err(AttrError::missing("empty")));
        assert_eq!(
            message(string_map(&o, "tags").unwrap_err()),
            (
                "`tags.env` must be a string, found list".into(),
                Some("tags".into())
            )
        );
        assert_eq!(
            message(string_list(&o, "s").unwrap_err()).0,
            "`s` must be a list of strings, found string"
        );
        let nested = req_str(&o, "absent").unwrap_err().on_attribute("block");
        assert_eq!(
            message(nested),
            ("`absent` is required".into(), Some("block".into()))
        );
    }
}
