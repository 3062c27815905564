//! Typed access to a call's arguments.
//!
//! Every function reads its arguments through these accessors so that type
//! errors are worded the same everywhere ("argument 2 must be a list of
//! strings, found number") and carry the argument's index, and so that no
//! function indexes the argument vector directly (the arity is checked
//! before, but an out-of-range index still yields `null`, never a panic).
//!
//! The primitive accessors convert as Terraform converts an argument to a
//! parameter's type, here once for every function: a string parameter
//! takes a number or a bool as its text (`join(",", [1, true])` is
//! `"1,true"`), a number parameter a string written as a decimal number,
//! a bool parameter the strings `"true"` and `"false"`.

use crate::{Context, FunctionError};
use nimbus_value::{Number, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

static NULL: Value = Value::Null;

/// The (unmarked, for [`crate::Marks::Propagate`] functions) arguments of
/// one call.
pub(crate) struct Args<'c> {
    values: Vec<Value>,
    /// Whether any argument was sensitive: error messages must then not
    /// quote argument text.
    sensitive: bool,
    /// What the caller gives besides the arguments.
    pub(crate) context: &'c Context<'c>,
}

/// The value under any sensitive wrappers, by value.
fn peel_owned(mut value: Value) -> Value {
    while let Value::Sensitive(inner) = value {
        value = *inner;
    }
    value
}

/// A primitive as a string parameter takes it.
fn to_string(value: &Value) -> Option<Cow<'_, str>> {
    match value.peel() {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// A primitive as a number parameter takes it.
fn to_number(value: &Value) -> Option<Number> {
    match value.peel() {
        Value::Number(n) => Some(*n),
        Value::String(s) => crate::numbers::parse_decimal(s),
        _ => None,
    }
}

/// A primitive as a bool parameter takes it.
fn to_bool(value: &Value) -> Option<bool> {
    value.to_bool_converted()
}

/// The error for argument `index` not being `expected`.
pub(crate) fn type_error(index: usize, expected: &str, found: &Value) -> FunctionError {
    FunctionError::at(
        index,
        format!(
            "argument {} must be {expected}, found {}",
            index + 1,
            found.kind_name()
        ),
    )
}

/// The error for an element of list argument `index` not being `expected`.
pub(crate) fn element_error(
    index: usize,
    expected: &str,
    position: usize,
    found: &Value,
) -> FunctionError {
    FunctionError::at(
        index,
        format!(
            "argument {} must be {expected}, found {} at index {position}",
            index + 1,
            found.kind_name()
        ),
    )
}

impl<'c> Args<'c> {
    pub(crate) fn new(values: Vec<Value>, sensitive: bool, context: &'c Context<'c>) -> Args<'c> {
        Args {
            values,
            sensitive,
            context,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn all(&self) -> &[Value] {
        &self.values
    }

    /// Moves all arguments out.
    pub(crate) fn take_all(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.values)
    }

    /// Argument `index`, `null` when absent.
    pub(crate) fn get(&self, index: usize) -> &Value {
        self.values.get(index).unwrap_or(&NULL)
    }

    /// Argument `index` when it was given.
    pub(crate) fn opt(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// Moves argument `index` out, leaving `null`.
    pub(crate) fn take(&mut self, index: usize) -> Value {
        self.values
            .get_mut(index)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Quotes user text for an error message, unless an argument was
    /// sensitive: then the text may be the secret, and is withheld.
    pub(crate) fn quote(&self, text: &str) -> String {
        if self.sensitive {
            "(sensitive value)".to_string()
        } else {
            format!("{text:?}")
        }
    }

    /// Like [`Args::quote`] for any value, rendered as plans show it.
    pub(crate) fn show(&self, value: &Value) -> String {
        if self.sensitive {
            "(sensitive value)".to_string()
        } else {
            value.to_string()
        }
    }

    /// A string argument; a number or a bool gives its text.
    pub(crate) fn string(&self, index: usize) -> Result<Cow<'_, str>, FunctionError> {
        let value = self.get(index);
        to_string(value).ok_or_else(|| type_error(index, "a string", value.peel()))
    }

    /// A number argument; a string must be a decimal number.
    pub(crate) fn number(&self, index: usize) -> Result<Number, FunctionError> {
        let value = self.get(index);
        to_number(value).ok_or_else(|| type_error(index, "a number", value.peel()))
    }

    /// A whole number (`3` or `3.0`).
    pub(crate) fn integer(&self, index: usize) -> Result<i128, FunctionError> {
        let n = self.number(index)?;
        n.as_i128().ok_or_else(|| {
            FunctionError::at(
                index,
                format!(
                    "argument {} must be a whole number, found {}",
                    index + 1,
                    self.show_number(n)
                ),
            )
        })
    }

    /// A whole number that fits an `i64` (indexes, counts, offsets).
    pub(crate) fn small_integer(&self, index: usize) -> Result<i64, FunctionError> {
        let i = self.integer(index)?;
        i64::try_from(i).map_err(|_| {
            FunctionError::at(index, format!("argument {} is out of range", index + 1))
        })
    }

    fn show_number(&self, n: Number) -> String {
        if self.sensitive {
            "(sensitive value)".to_string()
        } else {
            n.to_string()
        }
    }

    /// A bool argument; a string must be `"true"` or `"false"`.
    pub(crate) fn boolean(&self, index: usize) -> Result<bool, FunctionError> {
        let value = self.get(index);
        to_bool(value).ok_or_else(|| type_error(index, "a bool", value.peel()))
    }

    pub(crate) fn list(&self, index: usize) -> Result<&[Value], FunctionError> {
        match self.get(index).peel() {
            Value::List(items) => Ok(items),
            other => Err(type_error(index, "a list", other)),
        }
    }

    pub(crate) fn map(&self, index: usize) -> Result<&BTreeMap<String, Value>, FunctionError> {
        match self.get(index).peel() {
            Value::Map(map) => Ok(map),
            other => Err(type_error(index, "a map", other)),
        }
    }

    /// Moves a list argument out.
    pub(crate) fn take_list(&mut self, index: usize) -> Result<Vec<Value>, FunctionError> {
        self.list(index)?;
        match peel_owned(self.take(index)) {
            Value::List(items) => Ok(items),
            _ => Ok(Vec::new()), // not reached: checked above
        }
    }

    /// Moves a map argument out.
    pub(crate) fn take_map(
        &mut self,
        index: usize,
    ) -> Result<BTreeMap<String, Value>, FunctionError> {
        self.map(index)?;
        match peel_owned(self.take(index)) {
            Value::Map(map) => Ok(map),
            _ => Ok(BTreeMap::new()), // not reached: checked above
        }
    }

    /// A list argument whose elements `convert` takes (`expected` names
    /// such a list for messages).
    fn list_of<'a, T>(
        &'a self,
        index: usize,
        expected: &str,
        convert: impl Fn(&'a Value) -> Option<T>,
    ) -> Result<Vec<T>, FunctionError> {
        let items = match self.get(index).peel() {
            Value::List(items) => items,
            other => return Err(type_error(index, expected, other)),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| convert(v).ok_or_else(|| element_error(index, expected, i, v.peel())))
            .collect()
    }

    /// A list of strings; numbers and bools give their text.
    pub(crate) fn strings(&self, index: usize) -> Result<Vec<Cow<'_, str>>, FunctionError> {
        self.list_of(index, "a list of strings", to_string)
    }

    /// A list of numbers; strings must be decimal numbers.
    pub(crate) fn numbers(&self, index: usize) -> Result<Vec<Number>, FunctionError> {
        self.list_of(index, "a list of numbers", to_number)
    }

    /// A list of bools; strings must be `"true"` or `"false"`.
    pub(crate) fn bools(&self, index: usize) -> Result<Vec<bool>, FunctionError> {
        self.list_of(index, "a list of bools", to_bool)
    }
}
