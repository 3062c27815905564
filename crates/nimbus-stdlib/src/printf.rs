//! Terraform's `format` and `formatlist` (DSL names `format-printf` and
//! `format-list`): printf-style verbs with Go's flags, width and precision.
//!
//! Why not Rust's `format!`: the template is data, and Go's verbs differ
//! (`%e` writes `1.5e+03`, `%g` switches to exponents at Go's thresholds,
//! `%q` quotes as Go's `strconv.Quote`). Only the digits of a float come
//! from Rust's formatter, which rounds exactly as Go does.

use crate::FunctionError;
use crate::args::Args;
use nimbus_value::{Number, Value};

/// The widest field or longest precision accepted: a guard against
/// `%999999999d` exhausting memory.
const MAX_WIDTH: usize = 4096;

/// One `%` directive.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
    verb: char,
}

/// Why one value could not be formatted; the caller says which argument.
struct BadValue(String);

fn bad(message: &str) -> BadValue {
    BadValue(message.to_string())
}

/// Formats `template` with `values`; errors blame argument `index + 1` of
/// the call for a value, argument 0 for the template.
fn render(template: &str, values: &[Value]) -> Result<String, FunctionError> {
    let mut out = String::with_capacity(template.len());
    let mut next = 0usize;
    let mut verbs = 0usize;
    let mut highest_used = 0usize;
    let mut chars = template.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.next_if(|&(_, c)| c == '%').is_some() {
            out.push('%');
            continue;
        }
        let mut spec = Spec::default();
        while let Some((_, flag)) = chars.next_if(|&(_, c)| "-+# 0".contains(c)) {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                _ => spec.zero = true,
            }
        }
        let mut explicit = None;
        if chars.next_if(|&(_, c)| c == '[').is_some() {
            let n = read_number(&mut chars);
            if chars.next_if(|&(_, c)| c == ']').is_none() || n.is_none_or(|n| n == 0) {
                return Err(FunctionError::at(
                    0,
                    format!("invalid format string starting at offset {start}"),
                ));
            }
            explicit = n;
        }
        spec.width = read_number(&mut chars);
        if chars.next_if(|&(_, c)| c == '.').is_some() {
            spec.precision = Some(read_number(&mut chars).unwrap_or(0));
        }
        if spec.width.unwrap_or(0) > MAX_WIDTH || spec.precision.unwrap_or(0) > MAX_WIDTH {
            return Err(FunctionError::at(
                0,
                format!("the width or precision at offset {start} is larger than {MAX_WIDTH}"),
            ));
        }
        let Some((at, verb)) = chars.next() else {
            return Err(FunctionError::at(
                0,
                format!(
                    "invalid format string starting at offset {}",
                    template.len()
                ),
            ));
        };
        let directive = template.get(start..at + verb.len_utf8()).unwrap_or("%");
        if !"vtbdoxXeEfFgGsq".contains(verb) {
            let message = if verb.is_ascii_alphabetic() {
                format!("unsupported format verb '{verb}' in \"{directive}\" at offset {start}")
            } else {
                format!("unrecognized format character '{verb}' at offset {at}")
            };
            return Err(FunctionError::at(0, message));
        }
        spec.verb = verb;
        verbs += 1;
        let index = explicit.map_or(next, |n| n - 1);
        let Some(value) = values.get(index) else {
            return Err(FunctionError::at(
                0,
                format!(
                    "not enough arguments for \"{directive}\" at {start}: need index {} but have {} total",
                    index + 1,
                    values.len()
                ),
            ));
        };
        next = index + 1;
        highest_used = highest_used.max(next);
        let text = format_value(&spec, value).map_err(|BadValue(why)| {
            FunctionError::at(
                index + 1,
                format!("unsupported value for \"{directive}\" at {start}: {why}"),
            )
        })?;
        out.push_str(&text);
    }
    if values.len() > highest_used {
        let message = if verbs == 0 {
            "too many arguments; no verbs in format string".to_string()
        } else {
            format!("too many arguments; only {highest_used} used by format string")
        };
        return Err(FunctionError::at(highest_used + 1, message));
    }
    Ok(out)
}

fn read_number(chars: &mut std::iter::Peekable<std::str::CharIndices>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some((_, d)) = chars.next_if(|&(_, c)| c.is_ascii_digit()) {
        let digit = d.to_digit(10).unwrap_or(0) as usize;
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(digit));
    }
    n
}

fn format_value(spec: &Spec, value: &Value) -> Result<String, BadValue> {
    if value.is_null() && spec.verb != 'v' {
        return Err(bad("null value cannot be formatted"));
    }
    let body = match spec.verb {
        'v' if spec.sharp => json(value)?,
        'v' => match value.peel() {
            Value::String(s) => s.clone(),
            Value::Number(n) => general(n.as_f64(), None),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".to_string(),
            other => json(other)?,
        },
        's' => truncate(&to_text(value)?, spec.precision),
        // Terraform quotes as its `jsonencode` does.
        'q' => crate::encoding::json_string(&truncate(&to_text(value)?, spec.precision)),
        't' => match value.peel() {
            Value::Bool(b) => b.to_string(),
            Value::String(s) if s == "true" || s == "false" => s.clone(),
            _ => return Err(bad("bool required")),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = to_number(value)?
                .as_i128()
                .ok_or_else(|| bad("an integer is required"))?;
            return Ok(pad_number(spec, integer(spec, n)));
        }
        _ => {
            let f = to_number(value)?.as_f64();
            let text = match spec.verb {
                'e' | 'E' => exponent(f, spec.precision.unwrap_or(6)),
                'f' | 'F' => format!("{:.*}", spec.precision.unwrap_or(6), f.abs()),
                _ => general(f.abs(), spec.precision),
            };
            let text = if spec.verb.is_ascii_uppercase() {
                text.to_uppercase()
            } else {
                text
            };
            return Ok(pad_number(spec, (f.is_sign_negative() && f != 0.0, text)));
        }
    };
    Ok(pad(spec, body))
}

/// `%s`: strings as they are, numbers and bools as their text.
fn to_text(value: &Value) -> Result<String, BadValue> {
    match value.peel() {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(bad("string required")),
    }
}

/// Numeric verbs accept numbers and strings that are numbers.
fn to_number(value: &Value) -> Result<Number, BadValue> {
    match value.peel() {
        Value::Number(n) => Ok(*n),
        Value::String(s) => {
            crate::numbers::parse_decimal(s).ok_or_else(|| bad("a number is required"))
        }
        _ => Err(bad("a number is required")),
    }
}

fn json(value: &Value) -> Result<String, BadValue> {
    crate::encoding::to_json_text(value).map_err(|e| BadValue(e.message))
}

/// The first `precision` characters, when a precision is given.
fn truncate(s: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

/// `(negative, digits)` of an integer in the verb's base, with `#`'s
/// prefix.
fn integer(spec: &Spec, n: i128) -> (bool, String) {
    let magnitude = n.unsigned_abs();
    let digits = match spec.verb {
        'b' => format!("{magnitude:b}"),
        'o' => format!("{magnitude:o}"),
        'x' => format!("{magnitude:x}"),
        'X' => format!("{magnitude:X}"),
        _ => magnitude.to_string(),
    };
    let prefix = match (spec.sharp, spec.verb) {
        (true, 'b') => "0b",
        (true, 'o') => "0",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    (n < 0, format!("{prefix}{digits}"))
}

/// Go's `%e`: one digit, a point, `precision` digits, and an exponent of
/// at least two digits with its sign.
fn exponent(f: f64, precision: usize) -> String {
    let text = format!("{:.*e}", precision, f.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// Go's `%g`: the shortest digits (or `precision` significant digits,
/// trailing zeros dropped), written with an exponent when it is below -4 or
/// at least the precision (6 for the shortest form).
fn general(f: f64, precision: Option<usize>) -> String {
    let text = match precision {
        Some(p) => format!("{:.*e}", p.max(1) - 1, f.abs()),
        None => format!("{:e}", f.abs()),
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let count = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let limit = match precision {
        None => 6,
        Some(p) => {
            let p = i64::try_from(p.max(1)).unwrap_or(i64::MAX);
            if p > count && count > exp { count } else { p }
        }
    };
    let body = if exp < -4 || exp >= limit {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{first}{point}{rest}e{sign}{:02}", exp.unsigned_abs())
    } else if exp < 0 {
        format!(
            "0.{}{digits}",
            "0".repeat((exp.unsigned_abs() - 1) as usize)
        )
    } else {
        let whole = usize::try_from(exp).unwrap_or(0) + 1;
        match digits.get(whole..) {
            Some(fraction) if !fraction.is_empty() => format!("{}.{fraction}", &digits[..whole]),
            _ => format!("{digits}{}", "0".repeat(whole.saturating_sub(digits.len()))),
        }
    };
    if f.is_sign_negative() && f != 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// Signs, zero padding and width for a number.
fn pad_number(spec: &Spec, (negative, digits): (bool, String)) -> String {
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let width = spec.width.unwrap_or(0);
    let length = sign.len() + digits.chars().count();
    if spec.zero && !spec.minus && length < width {
        format!("{sign}{}{digits}", "0".repeat(width - length))
    } else {
        pad(spec, format!("{sign}{digits}"))
    }
}

/// Width padding, counted in characters: spaces on the left, or on the
/// right with `-`; zeros with `0` (Go pads strings with zeros too).
fn pad(spec: &Spec, body: String) -> String {
    let length = body.chars().count();
    let width = spec.width.unwrap_or(0);
    if length >= width {
        return body;
    }
    let fill = if spec.zero && !spec.minus { "0" } else { " " }.repeat(width - length);
    if spec.minus {
        body + &fill
    } else {
        fill + &body
    }
}

/// `(format-printf TEMPLATE VALUE...)`: Terraform's `format`.
pub(crate) fn format_printf(args: &mut Args) -> Result<Value, FunctionError> {
    let template = &*args.string(0)?;
    let values = args.all().get(1..).unwrap_or_default();
    render(template, values).map(Value::String)
}

/// `(format-list TEMPLATE VALUE...)`: Terraform's `formatlist`. List
/// arguments must have one length, and give one formatted string per
/// position; other arguments repeat in every string.
pub(crate) fn format_list(args: &mut Args) -> Result<Value, FunctionError> {
    let template = &*args.string(0)?;
    let values = args.all().get(1..).unwrap_or_default();
    let mut length: Option<(usize, usize)> = None;
    for (i, value) in values.iter().enumerate() {
        if let Value::List(items) = value.peel() {
            match length {
                None => length = Some((i, items.len())),
                Some((first, n)) if n != items.len() => {
                    return Err(FunctionError::at(
                        i + 1,
                        format!(
                            "argument {} has length {}, which is inconsistent with argument {} of length {n}",
                            i + 1,
                            items.len(),
                            first + 1
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let iterations = length.map_or(1, |(_, n)| n);
    let mut out = Vec::with_capacity(iterations);
    for iteration in 0..iterations {
        let row: Vec<Value> = values
            .iter()
            .map(|v| match v.peel() {
                Value::List(items) => items.get(iteration).cloned().unwrap_or_default(),
                other => other.clone(),
            })
            .collect();
        let text = render(template, &row).map_err(|e| FunctionError {
            message: if length.is_some() {
                format!("error on format iteration {iteration}: {}", e.message)
            } else {
                e.message
            },
            argument: e.argument,
        })?;
        out.push(Value::String(text));
    }
    Ok(Value::List(out))
}
