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
//! Four functions opt out, documented on [`Marks`]: `length` (a list of
//! unknown elements still has a known length), `list` (which keeps each
//! element's own marks in place instead of marking the whole list), and
//! `sensitive` / `nonsensitive`, which exist to add and remove the mark.
//!
//! Everything here is pure: no I/O, no clock, no randomness, and no panics on
//! any input (every index, slice and integer operation is checked). The few
//! Terraform functions that need the world (`timestamp`, `uuid`, `bcrypt`,
//! `plantimestamp`, the `file` family) get it from the caller through a
//! [`Context`]: see there for the plan/apply rule.
//!
//! Two names per function: the DSL's kebab-case name ([`lookup`]) and, for
//! Terraform's built-ins, Terraform's name ([`lookup_terraform`]), both
//! resolving to the same [`Function`].

#![warn(missing_docs)]

mod args;
mod cidr;
mod collections;
mod compare;
mod context;
mod dates;
mod encoding;
mod files;
mod numbers;
mod patterns;
mod printf;
mod registry;
mod sets;
mod strings;
mod yaml;

pub use context::{Context, Effects, FileAccess, Phase};

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
    /// `sensitive`: the result is the argument with a sensitive mark on
    /// it; an unknown argument gives a sensitive unknown.
    AddSensitive,
    /// `nonsensitive`: the result is the argument without its own (outer)
    /// sensitive mark; marks inside it stay. As in Terraform, a known
    /// argument without the mark is an error (the call is redundant), and
    /// an unknown one passes through.
    RemoveSensitive,
}

/// What a function needs from the caller besides its arguments (see
/// [`Context`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: a pure function of its arguments.
    Nothing,
    /// The clock or randomness of the apply phase (`timestamp`, `uuid`,
    /// `bcrypt`): unknown until [`Phase::Apply`].
    Apply,
    /// The time the plan started (`plantimestamp`), from
    /// [`Context::plan_timestamp`]; unknown without it.
    PlanTimestamp,
    /// Files, through [`Context::files`]; an error without them.
    Files,
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
    /// What the function needs from the caller's [`Context`].
    pub needs: Needs,
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

    /// Calls the function in the default [`Context`] (planning, no plan
    /// timestamp, no files): see [`Function::call_in`].
    pub fn call(&self, args: Vec<Value>) -> Result<Value, FunctionError> {
        self.call_in(args, &Context::default())
    }

    /// Calls the function: checks the arity, applies the mark rules (see
    /// [`Marks`]) and runs the implementation, which may use what `context`
    /// gives (see [`Needs`]).
    pub fn call_in(&self, args: Vec<Value>, context: &Context) -> Result<Value, FunctionError> {
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
                (self.implementation)(&mut Args::new(values, sensitive, context))
                    .map(|v| nfc_value(v).mark_if(sensitive))
            }
            // These see the marked arguments, to apply their own rule.
            Marks::Shape | Marks::Structural | Marks::AddSensitive | Marks::RemoveSensitive => {
                (self.implementation)(&mut Args::new(args, false, context))
            }
        };
        result.map_err(|e| e.prefixed(self.name))
    }
}

/// `text` in Unicode Normalization Form C. Terraform normalizes every
/// string it makes (cty's rule), so `"e\u0301"` is the one character
/// `é` there; the HCL front end and every function result follow it.
/// Text already in NFC, nearly all text, is returned as it is after a
/// quick check.
pub fn nfc(text: String) -> String {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
    // ASCII is always NFC, and checking it is a fast byte scan.
    if text.is_ascii() {
        return text;
    }
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => text,
        _ => text.nfc().collect(),
    }
}

/// A computed string result in NFC (see [`nfc`]); other results as they
/// are. Functions that only pass values through (`sensitive`, `tolist`,
/// ...) return their arguments untouched.
fn nfc_value(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(nfc(s)),
        Value::Sensitive(inner) => Value::Sensitive(Box::new(nfc_value(*inner))),
        other => other,
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

/// Finds a function by its Terraform name (`cidrhost`, `jsonencode`,
/// `index`, ...), for the HCL front end.
///
/// The mapping rule: a Terraform built-in's DSL name is its Terraform name
/// in kebab case, so the Terraform name is the DSL name without its dashes
/// (`cidr-host` ↔ `cidrhost`, `json-encode` ↔ `jsonencode`). The exceptions
/// are listed, with the reason, in [`terraform_exceptions`]: `index`
/// (`index-of`), `format` (`format-printf`, since the DSL's `format` uses
/// `~a` directives), `strrev` (`string-reverse`), `strcontains`
/// (`string-contains`) and `timecmp` (`time-compare`). DSL-only functions
/// (operators, `list`, `first`, `string-append`, ...) have no Terraform
/// name; Terraform functions not provided here are listed by
/// [`terraform_not_provided`].
pub fn lookup_terraform(name: &str) -> Option<&'static Function> {
    let table = registry::TERRAFORM_NAMES;
    table
        .binary_search_by(|(terraform, _)| terraform.cmp(&name))
        .ok()
        .and_then(|i| table.get(i))
        .and_then(|(_, dsl)| lookup(dsl))
}

/// Every `(Terraform name, DSL name)` pair, sorted by Terraform name.
pub fn terraform_names() -> &'static [(&'static str, &'static str)] {
    registry::TERRAFORM_NAMES
}

/// The Terraform names that are not the DSL name without dashes, as
/// `(Terraform name, DSL name, why)`.
pub fn terraform_exceptions() -> &'static [(&'static str, &'static str, &'static str)] {
    registry::TERRAFORM_EXCEPTIONS
}

/// Terraform 1.5 built-ins deliberately not provided by this library, as
/// `(name, why)`.
pub fn terraform_not_provided() -> &'static [(&'static str, &'static str)] {
    registry::TERRAFORM_NOT_PROVIDED
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

/// Like [`call`], with what the caller gives the function (see [`Context`]).
pub fn call_in(
    function: impl Callee,
    args: Vec<Value>,
    context: &Context,
) -> Result<Value, FunctionError> {
    function.resolve()?.call_in(args, context)
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
        let err = call("trim-prefix", vec![Value::Null; 3]).unwrap_err();
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

    /// Every Terraform 1.5 built-in function.
    const TERRAFORM_1_5: &[&str] = &[
        "abs",
        "abspath",
        "alltrue",
        "anytrue",
        "base64decode",
        "base64encode",
        "base64gzip",
        "base64sha256",
        "base64sha512",
        "basename",
        "bcrypt",
        "can",
        "ceil",
        "chomp",
        "chunklist",
        "cidrhost",
        "cidrnetmask",
        "cidrsubnet",
        "cidrsubnets",
        "coalesce",
        "coalescelist",
        "compact",
        "concat",
        "contains",
        "csvdecode",
        "dirname",
        "distinct",
        "element",
        "endswith",
        "file",
        "filebase64",
        "filebase64sha256",
        "filebase64sha512",
        "fileexists",
        "filemd5",
        "fileset",
        "filesha1",
        "filesha256",
        "filesha512",
        "flatten",
        "floor",
        "format",
        "formatdate",
        "formatlist",
        "indent",
        "index",
        "join",
        "jsondecode",
        "jsonencode",
        "keys",
        "length",
        "log",
        "lookup",
        "lower",
        "matchkeys",
        "max",
        "md5",
        "merge",
        "min",
        "nonsensitive",
        "one",
        "parseint",
        "pathexpand",
        "plantimestamp",
        "pow",
        "range",
        "regex",
        "regexall",
        "replace",
        "reverse",
        "rsadecrypt",
        "sensitive",
        "setintersection",
        "setproduct",
        "setsubtract",
        "setunion",
        "sha1",
        "sha256",
        "sha512",
        "signum",
        "slice",
        "sort",
        "split",
        "startswith",
        "strcontains",
        "strrev",
        "substr",
        "sum",
        "templatefile",
        "textdecodebase64",
        "textencodebase64",
        "timeadd",
        "timecmp",
        "timestamp",
        "title",
        "tobool",
        "tolist",
        "tomap",
        "tonumber",
        "toset",
        "tostring",
        "transpose",
        "trim",
        "trimprefix",
        "trimspace",
        "trimsuffix",
        "try",
        "type",
        "upper",
        "urlencode",
        "uuid",
        "uuidv5",
        "values",
        "yamldecode",
        "yamlencode",
        "zipmap",
    ];

    #[test]
    fn every_terraform_function_is_provided_or_listed() {
        for name in TERRAFORM_1_5 {
            let provided = lookup_terraform(name).is_some();
            let listed = terraform_not_provided().iter().any(|(n, _)| n == name);
            assert!(
                provided != listed,
                "{name}: provided {provided}, listed {listed}"
            );
        }
        for (name, _) in terraform_names() {
            assert!(
                TERRAFORM_1_5.contains(name),
                "{name} is not a Terraform 1.5 function"
            );
        }
    }

    #[test]
    fn terraform_names_follow_the_rule() {
        for (terraform, dsl) in terraform_names() {
            let function = lookup(dsl).unwrap_or_else(|| panic!("{dsl} is not a function"));
            assert!(std::ptr::eq(lookup_terraform(terraform).unwrap(), function));
            let exception = terraform_exceptions()
                .iter()
                .find(|(t, _, _)| t == terraform);
            match exception {
                Some((_, expected, _)) => assert_eq!(dsl, expected),
                None => assert_eq!(*terraform, dsl.replace('-', ""), "{dsl}"),
            }
        }
        assert_eq!(lookup_terraform("cidrhost").unwrap().name, "cidr-host");
        assert_eq!(lookup_terraform("format").unwrap().name, "format-printf");
        assert!(lookup_terraform("cidr-host").is_none());
        assert!(lookup_terraform("string-append").is_none());
    }

    #[test]
    fn the_phase_decides_clock_and_randomness() {
        struct Fixed;
        impl Effects for Fixed {
            fn now(&self) -> std::time::SystemTime {
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)
            }
            fn fill_random(&self, buffer: &mut [u8]) {
                buffer.fill(7);
            }
        }
        assert_eq!(call("timestamp", vec![]).unwrap(), Value::Unknown);
        assert_eq!(call("uuid", vec![]).unwrap(), Value::Unknown);
        assert_eq!(call("plan-timestamp", vec![]).unwrap(), Value::Unknown);
        let apply = Context {
            phase: Phase::Apply(&Fixed),
            plan_timestamp: Some(Fixed.now()),
            files: None,
        };
        let now = Value::string("2023-11-14T22:13:20Z");
        assert_eq!(call_in("timestamp", vec![], &apply).unwrap(), now);
        assert_eq!(call_in("plan-timestamp", vec![], &apply).unwrap(), now);
        assert_eq!(
            call_in("uuid", vec![], &apply).unwrap(),
            Value::string("07070707-0707-4707-8707-070707070707")
        );
        let hash = call_in("bcrypt", vec!["secret".into(), Value::int(4)], &apply).unwrap();
        let hash = hash.as_str().unwrap_or_default().to_string();
        assert!(hash.starts_with("$2a$04$"), "{hash}");
        assert!(bcrypt::verify("secret", &hash).unwrap());
        assert!(call("file", vec!["x".into()]).is_err());
    }

    #[test]
    fn files_come_from_the_caller() {
        struct Memory;
        impl FileAccess for Memory {
            fn read(&self, path: &str) -> Result<Vec<u8>, String> {
                match path {
                    "hello.txt" => Ok(b"hello".to_vec()),
                    "binary" => Ok(vec![0xff, 0]),
                    _ => Err("no such file".into()),
                }
            }
            fn is_file(&self, path: &str) -> Result<bool, String> {
                Ok(path == "hello.txt")
            }
            fn glob(&self, _base: &str, _pattern: &str) -> Result<Vec<String>, String> {
                Ok(vec!["b.txt".into(), "a.txt".into()])
            }
            fn current_dir(&self) -> Result<String, String> {
                Ok("/work".into())
            }
            fn home_dir(&self) -> Result<String, String> {
                Ok("/home/me".into())
            }
        }
        let context = Context {
            files: Some(&Memory),
            ..Context::default()
        };
        let run = |name: &str, args: Vec<Value>| call_in(name, args, &context);
        let hello = || vec![Value::string("hello.txt")];
        assert_eq!(run("file", hello()).unwrap(), Value::string("hello"));
        assert_eq!(
            run("file-base64", hello()).unwrap(),
            Value::string("aGVsbG8=")
        );
        assert_eq!(
            run("file-md5", hello()).unwrap(),
            Value::string("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(
            run("file-sha1", hello()).unwrap(),
            Value::string("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")
        );
        assert!(run("file-sha256", hello()).is_ok());
        assert!(run("file-sha512", hello()).is_ok());
        assert_eq!(
            run("file-base64-sha256", hello()).unwrap(),
            Value::string("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
        );
        assert!(run("file-base64-sha512", hello()).is_ok());
        assert!(run("file", vec!["binary".into()]).is_err());
        let missing = run("file", vec!["nope".into()]).unwrap_err();
        assert_eq!(missing.message, "file: cannot read \"nope\": no such file");
        assert_eq!(run("file-exists", hello()).unwrap(), Value::Bool(true));
        assert_eq!(
            run("file-set", vec![".".into(), "*.txt".into()]).unwrap(),
            Value::List(vec!["a.txt".into(), "b.txt".into()])
        );
        assert_eq!(
            run("abs-path", vec!["a/../b".into()]).unwrap(),
            Value::string("/work/b")
        );
        assert_eq!(
            run("path-expand", vec!["~/x".into()]).unwrap(),
            Value::string("/home/me/x")
        );
    }
}
