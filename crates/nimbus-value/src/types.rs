//! Types of values, and the conversions Terraform users expect ("5" to 5
//! for a number variable, a single string to a one-element list, ...).

use crate::value::{Number, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub fn convert(&self, value: Value) -> Result<Value, TypeError> {
        self.convert_at(value, "")
    }

    fn convert_at(&self, value: Value, path: &str) -> Result<Value, TypeError> {
        if let Value::Sensitive(inner) = value {
            return Ok(self.convert_at(*inner, path)?.into_sensitive());
        }
        if matches!(value, Value::Null | Value::Unknown) {
            return Ok(value);
        }
        match (self, value) {
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
                    message: format!("expected number, found string {s:?}"),
                }),
            },
            (Type::String, Value::String(s)) => Ok(Value::String(s)),
            (Type::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
            (Type::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::List(t), Value::List(items)) => Ok(Value::List(convert_items(t, items, path)?)),
            (Type::Set(t), Value::List(items)) => {
                let mut items = convert_items(t, items, path)?;
                items.sort_by_key(|a| a.to_json().to_string());
                items.dedup();
                Ok(Value::List(items))
            }
            (Type::Map(t), Value::Map(map)) => {
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    let p = join_path(path, &k);
                    out.insert(k, t.convert_at(v, &p)?);
                }
                Ok(Value::Map(out))
            }
            (Type::Object(fields), Value::Map(mut map)) => {
                let mut out = BTreeMap::new();
                for (name, t) in fields {
                    let p = join_path(path, name);
                    let v = map.remove(name).unwrap_or(Value::Null);
                    out.insert(name.clone(), t.convert_at(v, &p)?);
                }
                if let Some(extra) = map.keys().next() {
                    return Err(TypeError {
                        path: join_path(path, extra),
                        message: format!("unexpected attribute `{extra}`"),
                    });
                }
                Ok(Value::Map(out))
            }
            (t, v) => Err(TypeError::new(path, t, &v)),
        }
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn convert_items(t: &Type, items: Vec<Value>, path: &str) -> Result<Vec<Value>, TypeError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| t.convert_at(v, &format!("{path}[{i}]")))
        .collect()
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
}
