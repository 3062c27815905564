//! The Nimbus standard library: the pure functions that configurations call
//! (`(join "," names)`, `(cidr-subnet "10.0.0.0/16" 8 1)`, `(+ 1 2)`, ...).
//!
//! Why a crate of its own: the Nimbus DSL evaluator and the HCL front end
//! must agree exactly on what each function does, including how unknown and
//! sensitive values flow through it. Keeping the functions here, free of any
//! evaluator type, gives one implementation and one test suite for both.
//!
//! Why the marks are handled in [`Function::call`] and not in each function:
//! a rule that every one of a hundred functions must remember is a rule that
//! one of them forgets. The wrapper applies it once:
//! - any argument containing an unknown makes the result unknown;
//! - any argument containing a sensitive mark makes the result sensitive
//!   (the function itself only ever sees unmarked values).
//!
//! Two functions opt out, documented on [`Marks`]: `length` (a list of
//! unknown elements still has a known length) and `list` (which keeps each
//! element's own marks in place instead of marking the whole list).
//!
//! Everything here is pure: no I/O, no clock, no randomness, and no panics on
//! any input (every index, slice and integer operation is checked).

#![warn(missing_docs)]

mod args;
mod cidr;
mod collections;
mod compare;
mod encoding;
mod numbers;
mod registry;
mod strings;

use args::Args;
use nimbus_value::Value;

/// Why a call failed.
///
/// The message starts with the function's name (`join: argument 2 must be a
/// list of strings, found number`) so it reads well on its own; `argument`
/// lets the evaluator underline the offending argument instead of the whole
/// call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FunctionError {
    /// Human-readable explanation, prefixed with the function's name.
    pub message: String,
    /// 0-based index of the offending argument, when one is to blame.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error not attributable to a single argument.
    pub fn new(message: impl Into<String>) -> FunctionError {
        FunctionError {
            message: message.into(),
            argument: None,
        }
    }

    /// An error caused by argument `index` (0-based).
    pub fn at(index: usize, message: impl Into<String>) -> FunctionError {
        FunctionError {
            message: message.into(),
            argument: Some(index),
        }
    }

    fn prefixed(mut self, name: &str) -> FunctionError {
        self.message = format!("{name}: {}", self.message);
        self
    }
}

/// How a function treats unknown and sensitive marks on its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marks {
    /// The general rule, applied by [`Function::call`]: an argument that
    /// contains an unknown anywhere makes the result [`Value::Unknown`]; an
    /// argument that contains a sensitive mark anywhere makes the result
    /// sensitive. The implementation sees only unmarked, wholly known values.
    Propagate,
    /// `length`: the result depends only on the shape of the argument. A
    /// list or map whose elements are unknown still has a known length, and
    /// marks on elements do not make the length sensitive (Terraform does
    /// the same, so `count = length(var.users)` works with secret fields).
    /// A wholly unknown argument gives unknown, a sensitive argument gives a
    /// sensitive length.
    Shape,
    /// `list`: the result is the arguments themselves, so each keeps its own
    /// marks where it is: `(list 1 unknown)` is `[1, (known after apply)]`,
    /// not a wholly unknown list.
    Structural,
}

type Implementation = fn(&mut Args) -> Result<Value, FunctionError>;

/// One function of the standard library.
#[derive(Debug)]
pub struct Function {
    /// The DSL's (kebab-case) name, e.g. `trim-prefix`.
    pub name: &'static str,
    /// Fewest arguments accepted.
    pub min_args: usize,
    /// Most arguments accepted; `None` for variadic functions.
    pub max_args: Option<usize>,
    /// Usage, e.g. `(join SEPARATOR LIST)`.
    pub signature: &'static str,
    /// One-sentence description for help output and editor hovers.
    pub description: &'static str,
    /// How unknown and sensitive arguments affect the result.
    pub marks: Marks,
    implementation: Implementation,
}

impl Function {
    /// Checks an argument count against the function's arity, so that the
    /// evaluator can report a bad call before evaluating anything.
    pub fn check_arity(&self, count: usize) -> Result<(), FunctionError> {
        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
        let expected = match self.max_args {
            Some(max) if max == self.min_args => format!("{max} {}", plural(max)),
            Some(max) if max == self.min_args + 1 => {
                format!("{} or {max} arguments", self.min_args)
            }
            Some(max) => format!("{} to {max} arguments", self.min_args),
            None => format!("at least {} {}", self.min_args, plural(self.min_args)),
        };
        let too_many = self.max_args.is_some_and(|max| count > max);
        if count < self.min_args || too_many {
            let message = format!(
                "{}: expected {expected}, found {count} (usage: {})",
                self.name, self.signature
            );
            return Err(match self.max_args {
                Some(max) if too_many => FunctionError::at(max, message),
                _ => FunctionError::new(message),
            });
        }
        Ok(())
    }

    /// Calls the function: checks the arity, applies the mark rules (see
    /// [`Marks`]) and runs the implementation.
    pub fn call(&self, args: Vec<Value>) -> Result<Value, FunctionError> {
        self.check_arity(args.len())?;
        let result = match self.marks {
            Marks::Propagate => {
                let sensitive = args.iter().any(Value::contains_sensitive);
                if !args.iter().all(Value::is_wholly_known) {
                    return Ok(Value::Unknown.mark_if(sensitive));
                }
                let values = if sensitive {
                    args.into_iter().map(|v| v.unmark().0).collect()
                } else {
                    args
                };
                (self.implementation)(&mut Args::new(values, sensitive))
                    .map(|v| v.mark_if(sensitive))
            }
            Marks::Shape | Marks::Structural => (self.implementation)(&mut Args::new(args, false)),
        };
        result.map_err(|e| e.prefixed(self.name))
    }
}

/// Finds a function by its DSL name (binary search over a sorted static
/// table: no allocation, no hashing).
pub fn lookup(name: &str) -> Option<&'static Function> {
    let table = registry::FUNCTIONS;
    table
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .and_then(|i| table.get(i))
}

/// Every function name, sorted, for "did you mean" suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    registry::FUNCTIONS.iter().map(|f| f.name)
}

/// Every function, sorted by name, for help output and documentation.
pub fn functions() -> &'static [Function] {
    registry::FUNCTIONS
}

/// What [`call`] accepts: a function name or a function already looked up.
pub trait Callee: sealed::Sealed {
    /// Resolves the callee to a function.
    fn resolve(self) -> Result<&'static Function, FunctionError>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for &String {}
    impl Sealed for &'static super::Function {}
}

impl Callee for &str {
    fn resolve(self) -> Result<&'static Function, FunctionError> {
        lookup(self).ok_or_else(|| FunctionError::new(format!("unknown function `{self}`")))
    }
}

impl Callee for &String {
    fn resolve(self) -> Result<&'static Function, FunctionError> {
        self.as_str().resolve()
    }
}

impl Callee for &'static Function {
    fn resolve(self) -> Result<&'static Function, FunctionError> {
        Ok(self)
    }
}

/// Calls a function by name (`call("upper", ...)`) or by reference
/// (`call(lookup("upper").unwrap(), ...)`). An unknown name is an error.
pub fn call(function: impl Callee, args: Vec<Value>) -> Result<Value, FunctionError> {
    function.resolve()?.call(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let names: Vec<_> = names().collect();
        for pair in names.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{} must sort before {}",
                pair[0],
                pair[1]
            );
        }
        for f in functions() {
            assert!(std::ptr::eq(lookup(f.name).unwrap(), f));
            assert!(
                f.signature.starts_with(&format!("({}", f.name)),
                "{}",
                f.name
            );
            assert!(!f.description.is_empty());
            assert!(f.max_args.is_none_or(|m| m >= f.min_args));
        }
        assert!(lookup("no-such-function").is_none());
    }

    #[test]
    fn arity_messages() {
        let err = call("upper", vec![]).unwrap_err();
        assert_eq!(
            err.message,
            "upper: expected 1 argument, found 0 (usage: (upper STRING))"
        );
        assert_eq!(err.argument, None);
        let err = call("join", vec![Value::Null; 3]).unwrap_err();
        assert_eq!(err.argument, Some(2));
        assert!(
            call("frobnicate", vec![])
                .unwrap_err()
                .message
                .contains("unknown function")
        );
        assert_eq!(
            call(&"upper".to_string(), vec!["a".into()]).unwrap(),
            Value::string("A")
        );
    }
}
