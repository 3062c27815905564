//! Regular expressions: `regex`, `regex-all` and `replace`'s `/.../` form.
//!
//! Terraform uses Go's RE2 syntax, which the `regex` crate shares (both
//! guarantee linear-time matching). The differences that change results
//! are bridged in [`compile`]: Go's `\d`, `\w`, `\s` and `\b` are ASCII,
//! the crate's are Unicode by default.

use crate::FunctionError;
use crate::args::Args;
use nimbus_value::Value;
use regex::{Captures, Regex, RegexBuilder};
use std::collections::BTreeMap;

/// The largest compiled program accepted: a guard against patterns such
/// as `(a{1000}){1000}` exhausting memory.
const MAX_PROGRAM_BYTES: usize = 1 << 20;

/// Rewrites Go's ASCII-only Perl classes into explicit ASCII classes. A
/// class may appear inside brackets too, where the crate accepts a nested
/// class (`[a\d]` becomes `[a[0-9]]`).
fn go_syntax(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str("[\\t\\n\\f\\r ]"),
            Some('S') => out.push_str("[^\\t\\n\\f\\r ]"),
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Compiles a pattern given as argument `index`.
pub(crate) fn compile(pattern: &str, index: usize) -> Result<Regex, FunctionError> {
    RegexBuilder::new(&go_syntax(pattern))
        .size_limit(MAX_PROGRAM_BYTES)
        .build()
        .map_err(|e| {
            let detail = match e {
                regex::Error::CompiledTooBig(_) => "the pattern is too large".to_string(),
                // The crate's message draws the pattern over several lines;
                // its last line says what is wrong.
                other => {
                    let text = other.to_string();
                    let last = text.lines().last().unwrap_or_default();
                    last.strip_prefix("error: ").unwrap_or(last).to_string()
                }
            };
            FunctionError::at(index, format!("invalid regexp pattern: {detail}"))
        })
}

/// How a match is returned, decided by the pattern's groups.
enum Shape {
    /// No groups: the matched text.
    Whole,
    /// Unnamed groups: a list of the groups' texts.
    Positional,
    /// Named groups: a map from name to text.
    Named,
}

fn shape(regex: &Regex) -> Result<Shape, FunctionError> {
    let names: Vec<Option<&str>> = regex.capture_names().skip(1).collect();
    let named = names.iter().filter(|n| n.is_some()).count();
    match (names.len(), named) {
        (0, _) => Ok(Shape::Whole),
        (_, 0) => Ok(Shape::Positional),
        (all, named) if all == named => Ok(Shape::Named),
        _ => Err(FunctionError::at(
            0,
            "invalid regexp pattern: cannot mix both named and unnamed capture groups",
        )),
    }
}

/// A group's text, or null for a group that took no part in the match.
fn group(captures: &Captures, index: usize) -> Value {
    captures
        .get(index)
        .map_or(Value::Null, |m| Value::String(m.as_str().to_string()))
}

fn match_value(regex: &Regex, shape: &Shape, captures: &Captures) -> Value {
    match shape {
        Shape::Whole => group(captures, 0),
        Shape::Positional => Value::List((1..captures.len()).map(|i| group(captures, i)).collect()),
        Shape::Named => Value::Map(
            regex
                .capture_names()
                .enumerate()
                .filter_map(|(i, name)| Some((name?.to_string(), group(captures, i))))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// `(regex PATTERN STRING)`: the first match; an error when there is none.
pub(crate) fn regex(args: &mut Args) -> Result<Value, FunctionError> {
    let regex = compile(&args.string(0)?, 0)?;
    let shape = shape(&regex)?;
    let text = args.string(1)?;
    let captures = regex
        .captures(&text)
        .ok_or_else(|| FunctionError::new("pattern did not match any part of the given string"))?;
    Ok(match_value(&regex, &shape, &captures))
}

/// `(regex-all PATTERN STRING)`: every non-overlapping match.
pub(crate) fn regex_all(args: &mut Args) -> Result<Value, FunctionError> {
    let regex = compile(&args.string(0)?, 0)?;
    let shape = shape(&regex)?;
    let text = args.string(1)?;
    Ok(Value::List(
        regex
            .captures_iter(&text)
            .map(|captures| match_value(&regex, &shape, &captures))
            .collect(),
    ))
}
