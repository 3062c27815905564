//! Types of values, and the conversions Terraform users expect ("5" to 5
//! for a number variable, a single string to a one-element list, ...).

use crate::value::{Number, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Type {
    /// Accepts anything (Terraform's `any` / cty's dynamic pseudo-type).
    Any,
    Bool,
    Number,
    String,
    List(Box<Type>),
    /// Unordered, distinct elements; represented as a sorted list.
    Set(Box<Type>),
    Map(Box<Type>),
    /// A fixed set of named attributes, each with its own type. Attributes
    /// missing from a value are null.
    Object(BTreeMap<String, Type>),
    /// A fixed number of elements, each with its own type (Terraform's
    /// `tuple([T, ...])`). A list (or set) of as many elements converts,
    /// element by element.
    Tuple(Vec<Type>),
    /// The type of an object's attribute that may be left out (Terraform's
    /// `optional(T)` / `optional(T, DEFAULT)`): a missing or null value
    /// becomes the default (converted to `T`), or null without one.
    /// Anywhere else it is just `T`.
    Optional(Box<Type>, Option<Box<Value>>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TypeError {
    /// Where inside the value the mismatch is, e.g. `tags.Env` or `[2]`.
    pub path: String,
    pub message: String,
}

impl TypeError {
    fn new(path: &str, expected: &Type, got: &Value) -> TypeError {
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" at `{path}`")
        };
        TypeError {
            path: path.to_string(),
            message: format!("expected {expected}, found {}{at}", got.kind_name()),
        }
    }
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    /// Element type of a collection, or the value type of a map.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_))
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self, Type::Map(_) | Type::Object(_))
    }

    /// Converts a value to this type, the way Terraform converts variable
    /// and attribute values. Unknown and null pass through every type;
    /// sensitive marks are kept.
    ///
    /// An error never quotes a sensitive value, nor names the keys inside
    /// one: its message says `(sensitive value)` and its path stops where
    /// the secret starts.
    pub fn convert(&self, value: Value) -> Result<Value, TypeError> {
        self.convert_at(value, "", false)
    }

    /// `sensitive`: the value is (part of) a secret, so messages must not
    /// show its text or its keys.
    fn convert_at(&self, value: Value, path: &str, sensitive: bool) -> Result<Value, TypeError> {
        if let Value::Sensitive(inner) = value {
            return Ok(self.convert_at(*inner, path, true)?.into_sensitive());
        }
        if matches!(value, Value::Null | Value::Unknown) {
            // Defaults apply inside a null object's attributes only once
            // the object is there: a null object stays null.
            return Ok(value);
        }
        match (self, value) {
            (Type::Optional(t, _), v) => t.convert_at(v, path, sensitive),
            (Type::Any, v) => Ok(v),
            (Type::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (Type::Number, Value::String(s)) => match parse_number(&s) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(TypeError {
                    path: path.to_string(),
                    message: format!("expected number, found string {}", quote(&s, sensitive)),
                }),
            },
            (Type::String, Value::String(s)) => Ok(Value::String(s)),
            (Type::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
            (Type::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::List(t), Value::List(items)) => {
                Ok(Value::List(convert_items(t, items, path, sensitive)?))
            }
            (Type::Set(t), Value::List(items)) => {
                let mut items = convert_items(t, items, path, sensitive)?;
                items.sort_by(crate::order::compare);
                items.dedup_by(|a, b| crate::order::equal(a, b));
                Ok(Value::List(items))
            }
            (Type::Map(t), Value::Map(map)) => {
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    let p = join_path(path, &k, sensitive);
                    out.insert(k, t.convert_at(v, &p, sensitive)?);
                }
                if **t == Type::Any && mixed_primitives(out.values(), path)? {
                    for v in out.values_mut() {
                        *v = to_string(std::mem::replace(v, Value::Null));
                    }
                }
                Ok(Value::Map(out))
            }
            (Type::Tuple(types), Value::List(items)) => {
                if types.len() != items.len() {
                    let elements = |n: usize| if n == 1 { "element" } else { "elements" };
                    return Err(TypeError {
                        path: path.to_string(),
                        message: format!(
                            "expected a tuple of {} {}, found a list of {} {}",
                            types.len(),
                            elements(types.len()),
                            items.len(),
                            elements(items.len())
                        ),
                    });
                }
                types
                    .iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (t, v))| {
                        let p = if sensitive {
                            path.to_string()
                        } else {
                            format!("{path}[{i}]")
                        };
                        t.convert_at(v, &p, sensitive)
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List)
            }
            (Type::Object(fields), Value::Map(mut map)) => {
                let mut out = BTreeMap::new();
                for (name, t) in fields {
                    let p = join_path(path, name, sensitive);
                    let mut v = map.remove(name).unwrap_or(Value::Null);
                    if let (Type::Optional(_, Some(default)), Value::Null) = (t, &v) {
                        v = (**default).clone();
                    }
                    out.insert(name.clone(), t.convert_at(v, &p, sensitive)?);
                }
                if let Some(extra) = map.keys().next() {
                    return Err(if sensitive {
                        TypeError {
                            path: path.to_string(),
                            message: format!("unexpected attribute in {SENSITIVE_VALUE}"),
                        }
                    } else {
                        TypeError {
                            path: join_path(path, extra, false),
                            message: format!("unexpected attribute `{extra}`"),
                        }
                    });
                }
                Ok(Value::Map(out))
            }
            (t, v) => Err(TypeError::new(path, t, &v)),
        }
    }
}

/// What an error message says instead of a sensitive value.
pub const SENSITIVE_VALUE: &str = "(sensitive value)";

/// User text quoted for a message, or [`SENSITIVE_VALUE`] for a secret.
fn quote(text: &str, sensitive: bool) -> String {
    if sensitive {
        SENSITIVE_VALUE.to_string()
    } else {
        format!("{text:?}")
    }
}

/// The path one step further, unless the step is inside a secret: the
/// keys and positions of a sensitive value are part of it.
fn join_path(path: &str, key: &str, sensitive: bool) -> String {
    if sensitive {
        path.to_string()
    } else if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn convert_items(
    t: &Type,
    items: Vec<Value>,
    path: &str,
    sensitive: bool,
) -> Result<Vec<Value>, TypeError> {
    let items: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let p = if sensitive {
                path.to_string()
            } else {
                format!("{path}[{i}]")
            };
            t.convert_at(v, &p, sensitive)
        })
        .collect::<Result<_, _>>()?;
    if *t == Type::Any && mixed_primitives(items.iter(), path)? {
        return Ok(items.into_iter().map(to_string).collect());
    }
    Ok(items)
}

/// Whether the elements of a collection of `any` are primitives of more
/// than one type, strings among them (`[1, "x"]`, `{a = true, b = "x"}`):
/// Terraform makes such a `list(any)` / `map(any)` a collection of
/// strings, one element type. Numbers and bools without a string have no
/// type in common: an error, as in Terraform.
fn mixed_primitives<'v>(
    items: impl Iterator<Item = &'v Value>,
    path: &str,
) -> Result<bool, TypeError> {
    let (mut string, mut number, mut bool) = (false, false, false);
    for item in items {
        match item.peel() {
            Value::String(_) => string = true,
            Value::Number(_) => number = true,
            Value::Bool(_) => bool = true,
            Value::Null | Value::Unknown => {}
            _ => return Ok(false),
        }
    }
    if number && bool && !string {
        return Err(TypeError {
            path: path.to_string(),
            message: "all elements must have the same type: numbers and bools have none in common"
                .to_string(),
        });
    }
    Ok(string && (number || bool))
}

/// A primitive as a string, its sensitive mark kept.
fn to_string(value: Value) -> Value {
    match value {
        Value::Sensitive(inner) => to_string(*inner).into_sensitive(),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other,
    }
}

/// Parses a number the way a user writes one: integers stay exact.
pub fn parse_number(s: &str) -> Option<Number> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i128>() {
        return Some(Number::Int(i));
    }
    match s.parse::<f64>() {
        Ok(f)
            if f.is_finite()
                && !s
                    .chars()
                    .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            Some(Number::Float(f))
        }
        _ => None,
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::List(t) => write!(f, "(list {t})"),
            Type::Set(t) => write!(f, "(set {t})"),
            Type::Map(t) => write!(f, "(map {t})"),
            Type::Object(fields) => {
                f.write_str("(object")?;
                for (k, t) in fields {
                    write!(f, " ({k} {t})")?;
                }
                f.write_str(")")
            }
            Type::Tuple(types) => {
                f.write_str("(tuple")?;
                for t in types {
                    write!(f, " {t}")?;
                }
                f.write_str(")")
            }
            Type::Optional(t, None) => write!(f, "(optional {t})"),
            Type::Optional(t, Some(default)) => write!(f, "(optional {t} {default})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_like_terraform() {
        assert_eq!(
            Type::Number.convert(Value::string("42")).unwrap(),
            Value::int(42)
        );
        assert_eq!(
            Type::String.convert(Value::int(7)).unwrap(),
            Value::string("7")
        );
        assert!(Type::Number.convert(Value::string("x")).is_err());
        let err = Type::map(Type::Number)
            .convert(Value::Map([("a".to_string(), Value::string("no"))].into()))
            .unwrap_err();
        assert_eq!(err.path, "a");
        assert!(Type::Bool.convert(Value::Unknown).unwrap().is_unknown());
        assert!(
            Type::String
                .convert(Value::int(1).into_sensitive())
                .unwrap()
                .is_sensitive()
        );
    }

    #[test]
    fn a_collection_of_any_mixing_primitives_is_one_of_strings() {
        let mixed = Value::List(vec![Value::int(1), Value::string("x"), Value::Bool(true)]);
        assert_eq!(
            Type::list(Type::Any).convert(mixed.clone()).unwrap(),
            Value::List(vec![
                Value::string("1"),
                Value::string("x"),
                Value::string("true")
            ])
        );
        assert_eq!(
            Type::set(Type::Any).convert(mixed).unwrap(),
            Value::List(vec![
                Value::string("1"),
                Value::string("true"),
                Value::string("x")
            ])
        );
        let map = Value::Map(BTreeMap::from([
            ("a".to_string(), Value::int(1)),
            ("b".to_string(), Value::string("x").into_sensitive()),
        ]));
        assert_eq!(
            Type::map(Type::Any).convert(map).unwrap(),
            Value::Map(BTreeMap::from([
                ("a".to_string(), Value::string("1")),
                ("b".to_string(), Value::string("x").into_sensitive()),
            ]))
        );
        // One type, or not primitives: left as they are.
        let same = Value::List(vec![Value::int(1), Value::Null, Value::int(2)]);
        assert_eq!(Type::list(Type::Any).convert(same.clone()).unwrap(), same);
        let no_common = Value::List(vec![Value::int(1), Value::Bool(true).into_sensitive()]);
        let error = Type::list(Type::Any).convert(no_common).unwrap_err();
        assert!(
            error
                .message
                .starts_with("all elements must have the same type")
        );
        let nested = Value::List(vec![Value::int(1), Value::List(vec![])]);
        assert_eq!(
            Type::list(Type::Any).convert(nested.clone()).unwrap(),
            nested
        );
    }

    #[test]
    fn tuples_convert_element_by_element() {
        let pair = Type::Tuple(vec![Type::String, Type::Number]);
        assert_eq!(pair.to_string(), "(tuple string number)");
        assert_eq!(
            pair.convert(Value::List(vec![Value::int(1), Value::string("2")]))
                .unwrap(),
            Value::List(vec![Value::string("1"), Value::int(2)])
        );
        let short = pair.convert(Value::List(vec![Value::int(1)])).unwrap_err();
        assert_eq!(
            short.message,
            "expected a tuple of 2 elements, found a list of 1 element"
        );
        let wrong = pair
            .convert(Value::List(vec![Value::int(1), Value::string("x")]))
            .unwrap_err();
        assert_eq!(wrong.path, "[1]");
        assert_eq!(wrong.message, "expected number, found string \"x\"");
        assert!(pair.convert(Value::string("a")).is_err());
        assert!(pair.convert(Value::Unknown).unwrap().is_unknown());
        // Inside a secret, no position is named.
        let secret = pair
            .convert(Value::List(vec![Value::int(1), Value::string("Hunter2")]).into_sensitive())
            .unwrap_err();
        assert_eq!(secret.path, "");
        assert!(!secret.message.contains("Hunter2"));
    }

    #[test]
    fn errors_never_show_sensitive_values_or_their_keys() {
        let secret = Value::string("Hunter2Secret").into_sensitive();
        let err = Type::Number.convert(secret).unwrap_err();
        assert_eq!(
            err.message,
            "expected number, found string (sensitive value)"
        );

        // Inside a sensitive map, neither the text nor the key shows; the
        // path stops where the secret starts.
        let nested = Value::Map(
            [(
                "creds".to_string(),
                Value::Map([("Hunter2Key".to_string(), Value::string("Hunter2Secret"))].into())
                    .into_sensitive(),
            )]
            .into(),
        );
        let err = Type::map(Type::map(Type::Number))
            .convert(nested.clone())
            .unwrap_err();
        assert_eq!(err.path, "creds");
        assert!(
            !format!("{err} {}", err.path).contains("Hunter2"),
            "{err:?}"
        );
        let object = Type::map(Type::Object(Default::default()));
        let err = object.convert(nested).unwrap_err();
        assert_eq!(err.message, "unexpected attribute in (sensitive value)");
        assert_eq!(err.path, "creds");

        // Plain values are still quoted, with their full path.
        let err = Type::list(Type::Number)
            .convert(Value::List(vec![Value::int(1), Value::string("x")]))
            .unwrap_err();
        assert_eq!(err.message, "expected number, found string \"x\"");
        assert_eq!(err.path, "[1]");
    }
}
