//! Small helpers for reading attributes out of object values and building
//! new ones.

use nimbus_provider::nimbus_value::{Schema, Value, parse_number};
use nimbus_provider::{ProviderDiagnostic, ProviderError};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::BTreeMap;

static NULL: Value = Value::Null;

/// An attribute's value as far as it is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<T> {
    Null,
    Unknown,
    Set(T),
}

impl<T> Field<T> {
    /// The value at apply time, when nothing may be unknown any more.
    pub(crate) fn known(self, name: &str) -> Result<Option<T>, ProviderError> {
        match self {
            Field::Null => Ok(None),
            Field::Set(v) => Ok(Some(v)),
            Field::Unknown => {
                Err(ProviderError::fatal(format!("`{name}` is not known yet")).on_attribute(name))
            }
        }
    }
}

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

pub(crate) fn get_str(object: &Value, name: &str) -> Result<Field<String>, ProviderError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Field::Null),
        Value::Unknown => Ok(Field::Unknown),
        Value::String(s) => Ok(Field::Set(s.clone())),
        v @ (Value::Number(_) | Value::Bool(_)) => Ok(Field::Set(v.to_display_string())),
        other => Err(kind_error(name, "a string", other)),
    }
}

pub(crate) fn get_int(object: &Value, name: &str) -> Result<Field<i64>, ProviderError> {
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
            None => Err(ProviderError::fatal(format!(
                "`{name}` must be a whole number, found {n}"
            ))
            .on_attribute(name)),
        },
        None => Err(kind_error(name, "a number", value)),
    }
}

pub(crate) fn get_bool(object: &Value, name: &str) -> Result<Field<bool>, ProviderError> {
    match attr(object, name).peel() {
        Value::Null => Ok(Field::Null),
        Value::Unknown => Ok(Field::Unknown),
        Value::Bool(b) => Ok(Field::Set(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Field::Set(s == "true")),
        other => Err(kind_error(name, "a bool", other)),
    }
}

/// A new object with exactly the schema's attributes, taken from `from`
/// (null where absent).
pub(crate) fn object_from(schema: &Schema, from: &Value) -> BTreeMap<String, Value> {
    schema
        .attributes
        .keys()
        .map(|name| (name.clone(), attr(from, name).clone()))
        .collect()
}

/// Fails when a value handed back to the engine still holds an unknown.
pub(crate) fn ensure_known(
    type_name: &str,
    object: &BTreeMap<String, Value>,
) -> Result<(), ProviderError> {
    match object.iter().find(|(_, v)| !v.is_wholly_known()) {
        None => Ok(()),
        Some((name, _)) => Err(ProviderError::fatal(format!(
            "{type_name}: `{name}` would be unknown after apply; this is a bug in the builtin provider"
        ))
        .on_attribute(name.as_str())),
    }
}

/// Turns errors from a configuration check into diagnostics.
pub(crate) fn diagnostics(errors: Vec<ProviderError>) -> Vec<ProviderDiagnostic> {
    errors
        .into_iter()
        .map(|e| ProviderDiagnostic::error(e.attribute.as_deref(), e.message))
        .collect()
}

/// The first error of a configuration check, for operations that must stop.
pub(crate) fn first_error(errors: Vec<ProviderError>) -> Result<(), ProviderError> {
    match errors.into_iter().next() {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// A cryptographically secure generator (ChaCha12) freshly seeded from the
/// operating system. Failing to seed is an error, not a panic.
pub(crate) fn csprng() -> Result<StdRng, ProviderError> {
    StdRng::try_from_os_rng().map_err(|e| {
        ProviderError::fatal(format!(
            "cannot seed the random number generator from the operating system: {e}"
        ))
    })
}

/// Runs blocking file-system work off the async executor.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, ProviderError>
where
    F: FnOnce() -> Result<T, ProviderError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => Err(ProviderError::fatal(format!(
            "file-system task failed: {e}"
        ))),
    }
}
