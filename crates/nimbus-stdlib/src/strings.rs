//! String functions.
//!
//! Positions and lengths count grapheme clusters (what a reader sees as
//! one character: `e` plus a combining accent, a flag, a family emoji), as
//! Terraform's `length`, `substr` and `strrev` do; never bytes, so no
//! function can cut a character in half.

use crate::FunctionError;
use crate::args::{Args, type_error};
use nimbus_value::Value;
use unicode_segmentation::UnicodeSegmentation;

/// The most spaces `indent` adds per line: a guard against a typo such as
/// `(indent 2000000000 text)` exhausting memory.
const MAX_INDENT: i64 = 1024;

fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// `format`: Scheme-style directives `~a` (display: strings unquoted),
/// `~s` (written form: strings quoted), `~%` (newline), `~~` (a tilde).
pub(crate) fn format(args: &mut Args) -> Result<Value, FunctionError> {
    let template = &*args.string(0)?;
    let values = args.all().get(1..).unwrap_or_default();
    // First pass: validate and count, so a wrong count is reported as such
    // rather than as whichever directive ran out first.
    let mut wanted = 0usize;
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            continue;
        }
        match chars.next() {
            Some('a' | 'A' | 's' | 'S') => wanted += 1,
            Some('%' | '~') => {}
            Some(other) => {
                return Err(FunctionError::at(
                    0,
                    format!(
                        "unknown directive `~{other}` in the format string; expected ~a, ~s, ~% or ~~"
                    ),
                ));
            }
            None => {
                return Err(FunctionError::at(
                    0,
                    "the format string ends with a lone `~`",
                ));
            }
        }
    }
    if wanted != values.len() {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let message = format!(
            "the format string has {} but {} given",
            plural(wanted, "directive"),
            if values.len() == 1 {
                "1 value was".to_string()
            } else {
                format!("{} values were", values.len())
            }
        );
        let argument = if values.len() > wanted { wanted + 1 } else { 0 };
        return Err(FunctionError::at(argument, message));
    }
    let mut out = String::with_capacity(template.len());
    let mut next = values.iter();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('a' | 'A') => out.push_str(
                &next
                    .next()
                    .map(Value::to_display_string)
                    .unwrap_or_default(),
            ),
            Some('s' | 'S') => {
                out.push_str(&next.next().map(|v| v.to_string()).unwrap_or_default())
            }
            Some('%') => out.push('\n'),
            Some(_) => out.push('~'), // only `~~` remains after validation
            None => {}
        }
    }
    Ok(string(out))
}

pub(crate) fn string_append(args: &mut Args) -> Result<Value, FunctionError> {
    let mut out = String::new();
    for i in 0..args.len() {
        out.push_str(&args.string(i)?);
    }
    Ok(string(out))
}

/// The number of grapheme clusters in `s` (Terraform's string length).
pub(crate) fn grapheme_count(s: &str) -> usize {
    s.graphemes(true).count()
}

/// One character's case mapping as Go's `unicode.ToUpper`/`ToLower` (and
/// so Terraform) does it: character by character, one character for one.
/// Where Unicode's full mapping gives several characters (`ß` to `SS`) Go
/// keeps the character; the one-to-one exception is `İ`, whose simple
/// lower case is `i`.
fn map_case<I: Iterator<Item = char> + ExactSizeIterator>(c: char, mapped: I) -> char {
    let mut mapped = mapped;
    match (mapped.len(), mapped.next()) {
        (1, Some(m)) => m,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

pub(crate) fn upper(args: &mut Args) -> Result<Value, FunctionError> {
    let s = &*args.string(0)?;
    Ok(string(
        s.chars()
            .map(|c| map_case(c, c.to_uppercase()))
            .collect::<String>(),
    ))
}

/// Character by character, so a final `Σ` stays `σ` as in Go (Rust's
/// `str::to_lowercase` would write `ς`).
pub(crate) fn lower(args: &mut Args) -> Result<Value, FunctionError> {
    let s = &*args.string(0)?;
    Ok(string(
        s.chars()
            .map(|c| map_case(c, c.to_lowercase()))
            .collect::<String>(),
    ))
}

/// Removes leading and trailing Unicode white space (Terraform's
/// `trimspace`).
pub(crate) fn trim_space(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(string(args.string(0)?.trim()))
}

/// Reverses the grapheme clusters, so combining accents stay on their
/// letter (Terraform's `strrev`).
pub(crate) fn string_reverse(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(string(
        args.string(0)?.graphemes(true).rev().collect::<String>(),
    ))
}

/// `(string-contains STRING SUBSTRING)` (Terraform's `strcontains`).
pub(crate) fn string_contains(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::Bool(args.string(0)?.contains(&*args.string(1)?)))
}

/// `(trim STRING [CHARACTERS])`: whitespace, or any of the given characters,
/// from both ends.
pub(crate) fn trim(args: &mut Args) -> Result<Value, FunctionError> {
    let s = &*args.string(0)?;
    match args.opt(1) {
        None => Ok(string(s.trim())),
        Some(_) => {
            let cutset: Vec<char> = args.string(1)?.chars().collect();
            Ok(string(s.trim_matches(|c| cutset.contains(&c))))
        }
    }
}

pub(crate) fn trim_prefix(args: &mut Args) -> Result<Value, FunctionError> {
    let (s, prefix) = (&*args.string(0)?, &*args.string(1)?);
    Ok(string(s.strip_prefix(prefix).unwrap_or(s)))
}

pub(crate) fn trim_suffix(args: &mut Args) -> Result<Value, FunctionError> {
    let (s, suffix) = (&*args.string(0)?, &*args.string(1)?);
    Ok(string(s.strip_suffix(suffix).unwrap_or(s)))
}

/// `(join SEPARATOR LIST...)`: the elements of every list, in order.
pub(crate) fn join(args: &mut Args) -> Result<Value, FunctionError> {
    let separator = &*args.string(0)?;
    let mut parts = Vec::new();
    for index in 1..args.len() {
        parts.extend(args.strings(index)?);
    }
    Ok(string(parts.join(separator)))
}

/// `(split SEPARATOR STRING)`; an empty separator splits into characters.
pub(crate) fn split(args: &mut Args) -> Result<Value, FunctionError> {
    let (separator, s) = (&*args.string(0)?, &*args.string(1)?);
    let parts: Vec<Value> = if separator.is_empty() {
        s.chars().map(|c| string(c.to_string())).collect()
    } else {
        s.split(separator).map(string).collect()
    };
    Ok(Value::List(parts))
}

/// `(replace STRING SEARCH REPLACEMENT)`: every occurrence of SEARCH; a
/// SEARCH written `/.../` is a regular expression (Terraform's rule), and
/// REPLACEMENT may then refer to groups as `$1` or `${name}`.
pub(crate) fn replace(args: &mut Args) -> Result<Value, FunctionError> {
    let (s, search, replacement) = (&*args.string(0)?, &*args.string(1)?, &*args.string(2)?);
    let pattern = search
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix('/'));
    match pattern {
        Some(pattern) => {
            let regex = crate::patterns::compile(pattern, 1)?;
            Ok(string(regex.replace_all(s, replacement)))
        }
        None => Ok(string(s.replace(search, replacement))),
    }
}

/// `(substr STRING OFFSET LENGTH)` with Terraform's semantics: a negative
/// offset counts from the end, a negative length means "to the end", and
/// ranges past the end are clipped rather than errors.
pub(crate) fn substr(args: &mut Args) -> Result<Value, FunctionError> {
    let s = &*args.string(0)?;
    let offset = args.small_integer(1)?;
    let length = args.small_integer(2)?;
    let total = i64::try_from(grapheme_count(s)).unwrap_or(i64::MAX);
    let start = if offset < 0 {
        offset.saturating_add(total).max(0)
    } else {
        offset
    };
    if start >= total || length == 0 {
        return Ok(string(""));
    }
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let graphemes = s.graphemes(true).skip(start);
    Ok(string(match usize::try_from(length) {
        Ok(n) => graphemes.take(n).collect::<String>(),
        Err(_) => graphemes.collect::<String>(), // negative length: to the end
    }))
}

pub(crate) fn starts_with(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::Bool(args.string(0)?.starts_with(&*args.string(1)?)))
}

pub(crate) fn ends_with(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::Bool(args.string(0)?.ends_with(&*args.string(1)?)))
}

/// Upper-cases the first letter of each word, as Go's `strings.Title`
/// (and so Terraform's `title`) does.
pub(crate) fn title(args: &mut Args) -> Result<Value, FunctionError> {
    let is_separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        }
    };
    let mut out = String::new();
    let mut previous_separates = true;
    for c in args.string(0)?.chars() {
        if previous_separates {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous_separates = is_separator(c);
    }
    Ok(string(out))
}

/// `(indent SPACES STRING)`: adds spaces after every newline (so to every
/// line but the first), for embedding multi-line text in indented YAML or
/// heredocs.
pub(crate) fn indent(args: &mut Args) -> Result<Value, FunctionError> {
    let spaces = args.small_integer(0)?;
    if !(0..=MAX_INDENT).contains(&spaces) {
        return Err(FunctionError::at(
            0,
            format!("the number of spaces must be between 0 and {MAX_INDENT}, found {spaces}"),
        ));
    }
    let pad = " ".repeat(usize::try_from(spaces).unwrap_or(0));
    Ok(string(args.string(1)?.replace('\n', &format!("\n{pad}"))))
}

/// Removes every trailing newline (`\n`, `\r\n` or `\r`).
pub(crate) fn chomp(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(string(args.string(0)?.trim_end_matches(['\r', '\n'])))
}

/// `(contains LIST VALUE)` or `(contains STRING SUBSTRING)`.
pub(crate) fn contains(args: &mut Args) -> Result<Value, FunctionError> {
    match args.get(0).peel() {
        Value::String(s) => Ok(Value::Bool(s.contains(&*args.string(1)?))),
        Value::List(items) => {
            let needle = args.get(1);
            Ok(Value::Bool(
                items.iter().any(|v| crate::compare::equal(v, needle)),
            ))
        }
        other => Err(type_error(0, "a list or a string", other)),
    }
}
