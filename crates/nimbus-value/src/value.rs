//! The dynamic value every expression evaluates to.
//!
//! Two marks ride on values and must survive every operation:
//! - `Unknown`: the value is only known after apply (a computed attribute of
//!   a resource not yet created). Any function given an unknown argument
//!   returns unknown.
//! - `Sensitive`: a secret. Any function given a sensitive argument returns a
//!   sensitive result, and renderers print `(sensitive)` instead of it.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A number that keeps integers exact (ids and account numbers exceed 2^53).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The value as an integer when it is one exactly (3.0 counts).
    pub fn as_i128(self) -> Option<i128> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 1e30 => Some(f as i128),
            Number::Float(_) => None,
        }
    }

    pub fn as_i64(self) -> Option<i64> {
        self.as_i128().and_then(|i| i64::try_from(i).ok())
    }

    /// Normalises floats that hold an integer, so `2.0` and `2` print and
    /// compare alike.
    pub fn normalize(self) -> Number {
        match self {
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Number::Int(f as i128),
            n => n,
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(b)),
            _ => self.as_f64().partial_cmp(&other.as_f64()),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.normalize() {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i as i128)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Maps and objects share one representation; keys are sorted so that
    /// diffs and hashes are deterministic.
    Map(BTreeMap<String, Value>),
    /// Known only after apply.
    Unknown,
    /// A secret: propagates through every operation that touches it.
    Sensitive(Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i as i128))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.peel(), Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.peel(), Value::Unknown)
    }

    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// The value under any sensitive wrappers.
    pub fn peel(&self) -> &Value {
        let mut v = self;
        while let Value::Sensitive(inner) = v {
            v = inner;
        }
        v
    }

    /// True when no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(map) => map.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// True when any part of the value is marked sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::contains_sensitive),
            Value::Map(map) => map.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// Removes every sensitive mark; returns whether there was any.
    pub fn unmark(self) -> (Value, bool) {
        // Most values carry no mark: looking costs no allocation, while
        // rebuilding every list and map would copy the whole tree.
        if !self.contains_sensitive() {
            return (self, false);
        }
        self.strip_marks()
    }

    fn strip_marks(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (inner.strip_marks().0, true),
            Value::List(items) => {
                let mut any = false;
                let items = items
                    .into_iter()
                    .map(|v| {
                        let (v, s) = v.strip_marks();
                        any |= s;
                        v
                    })
                    .collect();
                (Value::List(items), any)
            }
            Value::Map(map) => {
                let mut any = false;
                let map = map
                    .into_iter()
                    .map(|(k, v)| {
                        let (v, s) = v.strip_marks();
                        any |= s;
                        (k, v)
                    })
                    .collect();
                (Value::Map(map), any)
            }
            v => (v, false),
        }
    }

    /// Wraps in a sensitive mark (idempotent).
    pub fn into_sensitive(self) -> Value {
        match self {
            v @ Value::Sensitive(_) => v,
            v => Value::Sensitive(Box::new(v)),
        }
    }

    /// Re-applies a sensitive mark when `sensitive` is true.
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive {
            self.into_sensitive()
        } else {
            self
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.peel() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a bool converts to one in Terraform: a bool, or the
    /// string `"true"` or `"false"` (marks looked through); `None` for
    /// anything else. The one rule behind conversions, function
    /// parameters and conditions.
    pub fn to_bool_converted(&self) -> Option<bool> {
        match self.peel() {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.peel() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<Number> {
        match self.peel() {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self.peel() {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.peel() {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// Attribute of an object value; `Null` when absent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Name of the value's kind for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Unknown => "unknown",
            Value::Sensitive(v) => v.kind_name(),
        }
    }

    /// Converts to plain JSON for storage. Sensitive marks are dropped (the
    /// caller records which attributes were sensitive); unknowns become null,
    /// which only happens for values that failed to be computed.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(map) => {
                J::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Sensitive(v) => v.to_json(),
        }
    }

    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(json_to_number(n)),
            J::String(s) => Value::String(s.clone()),
            J::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The text form used by string interpolation (`format ~a`,
    /// `to-string`): strings unquoted, numbers plain, others as JSON.
    pub fn to_display_string(&self) -> String {
        match self.peel() {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            other => other.to_json().to_string(),
        }
    }
}

fn number_to_json(n: Number) -> serde_json::Value {
    match n.normalize() {
        Number::Int(i) => {
            if let Ok(small) = i64::try_from(i) {
                serde_json::Value::from(small)
            } else if let Ok(unsigned) = u64::try_from(i) {
                serde_json::Value::from(unsigned)
            } else {
                // Beyond 64 bits JSON readers lose precision: keep the digits.
                serde_json::Value::String(i.to_string())
            }
        }
        Number::Float(f) => serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
    }
}

fn json_to_number(n: &serde_json::Number) -> Number {
    if let Some(i) = n.as_i64() {
        Number::Int(i as i128)
    } else if let Some(u) = n.as_u64() {
        Number::Int(u as i128)
    } else {
        Number::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}

/// Renders values the way plans show them: `"text"`, `42`, `["a", "b"]`,
/// `{ key = "v" }`, `(known after apply)`, `(sensitive)`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                if map.is_empty() {
                    return f.write_str("{}");
                }
                f.write_str("{ ")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str(" }")
            }
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_integers_survive_json() {
        let v = Value::Number(Number::Int(123456789012345678));
        assert_eq!(Value::from_json(&v.to_json()), v);
    }

    #[test]
    fn marks_are_visible_and_removable() {
        let v = Value::List(vec![
            Value::string("a"),
            Value::string("b").into_sensitive(),
        ]);
        assert!(v.contains_sensitive());
        let (plain, had) = v.unmark();
        assert!(had);
        assert!(!plain.contains_sensitive());
        assert!(!Value::List(vec![Value::Unknown]).is_wholly_known());
        assert_eq!(Value::Unknown.to_string(), "(known after apply)");
        assert_eq!(
            Value::string("x").into_sensitive().to_string(),
            "(sensitive)"
        );
    }

    #[test]
    fn numbers_compare_across_representations() {
        assert_eq!(Number::Int(2), Number::Float(2.0));
        assert_eq!(Number::Float(2.0).to_string(), "2");
        assert_eq!(Number::Float(2.5).to_string(), "2.5");
    }
}
