//! Arithmetic, comparison and numeric functions.
//!
//! Why integers are handled apart from floats: ids, account numbers and
//! byte sizes exceed 2^53, so integer arithmetic stays in `i128` and is
//! checked: overflow is an error, never a wrap, a panic or a silent switch
//! to floating point. Floats appear only when an operand is a float or a
//! division is inexact, and every float result is checked to be finite and
//! normalised (`4.0` becomes `4`).

use crate::FunctionError;
use crate::args::{Args, type_error};
use crate::compare::{compare, compare_numbers, equal};
use nimbus_value::{Number, Value};
use std::cmp::Ordering;

fn overflow() -> FunctionError {
    FunctionError::new("integer overflow: the result does not fit in 128 bits")
}

/// A float result, normalised; infinities and NaN are errors.
pub(crate) fn float(f: f64) -> Result<Number, FunctionError> {
    if f.is_finite() {
        Ok(Number::Float(f).normalize())
    } else {
        Err(FunctionError::new("the result is not a finite number"))
    }
}

fn num(n: Number) -> Value {
    Value::Number(n)
}

fn add(a: Number, b: Number) -> Result<Number, FunctionError> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x.checked_add(y).map(Number::Int).ok_or_else(overflow),
        _ => float(a.as_f64() + b.as_f64()),
    }
}

fn sub(a: Number, b: Number) -> Result<Number, FunctionError> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x.checked_sub(y).map(Number::Int).ok_or_else(overflow),
        _ => float(a.as_f64() - b.as_f64()),
    }
}

fn mul(a: Number, b: Number) -> Result<Number, FunctionError> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x.checked_mul(y).map(Number::Int).ok_or_else(overflow),
        _ => float(a.as_f64() * b.as_f64()),
    }
}

fn div(a: Number, b: Number, divisor_index: usize) -> Result<Number, FunctionError> {
    if b.as_f64() == 0.0 {
        return Err(FunctionError::at(divisor_index, "division by zero"));
    }
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => match x.checked_rem(y) {
            Some(0) => x.checked_div(y).map(Number::Int).ok_or_else(overflow),
            Some(_) => float(x as f64 / y as f64),
            None => Err(overflow()), // i128::MIN / -1
        },
        _ => float(a.as_f64() / b.as_f64()),
    }
}

fn negate(a: Number) -> Result<Number, FunctionError> {
    match a {
        Number::Int(x) => x.checked_neg().map(Number::Int).ok_or_else(overflow),
        Number::Float(f) => float(-f),
    }
}

/// Every argument from `start` on as a number.
fn all_numbers(args: &Args, start: usize) -> Result<Vec<Number>, FunctionError> {
    (start..args.len()).map(|i| args.number(i)).collect()
}

pub(crate) fn plus(args: &mut Args) -> Result<Value, FunctionError> {
    total(&all_numbers(args, 0)?).map(num)
}

pub(crate) fn minus(args: &mut Args) -> Result<Value, FunctionError> {
    let numbers = all_numbers(args, 0)?;
    match numbers.split_first() {
        Some((first, [])) => negate(*first).map(num),
        Some((first, rest)) => {
            let mut total = *first;
            for n in rest {
                total = sub(total, *n)?;
            }
            Ok(num(total))
        }
        None => Err(FunctionError::new("expected at least one number")),
    }
}

pub(crate) fn times(args: &mut Args) -> Result<Value, FunctionError> {
    let mut total = Number::Int(1);
    for n in all_numbers(args, 0)? {
        total = mul(total, n)?;
    }
    Ok(num(total))
}

pub(crate) fn divide(args: &mut Args) -> Result<Value, FunctionError> {
    let numbers = all_numbers(args, 0)?;
    let Some((first, rest)) = numbers.split_first() else {
        return Err(FunctionError::new("expected at least two numbers"));
    };
    let mut total = *first;
    for (i, n) in rest.iter().enumerate() {
        total = div(total, *n, i + 1)?;
    }
    Ok(num(total))
}

/// Remainder with the sign of the dividend (Terraform's `%`, Rust's `%`).
/// A zero divisor gives the dividend, as in Terraform.
pub(crate) fn modulo(args: &mut Args) -> Result<Value, FunctionError> {
    let (a, b) = (args.number(0)?, args.number(1)?);
    if b.as_f64() == 0.0 {
        return Ok(num(a));
    }
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Ok(num(Number::Int(x.checked_rem(y).unwrap_or(0)))),
        _ => float(a.as_f64() % b.as_f64()).map(num),
    }
}

pub(crate) fn abs(args: &mut Args) -> Result<Value, FunctionError> {
    match args.number(0)? {
        Number::Int(x) => x
            .checked_abs()
            .map(|x| num(Number::Int(x)))
            .ok_or_else(overflow),
        Number::Float(f) => float(f.abs()).map(num),
    }
}

pub(crate) fn floor(args: &mut Args) -> Result<Value, FunctionError> {
    match args.number(0)? {
        n @ Number::Int(_) => Ok(num(n)),
        Number::Float(f) => float(f.floor()).map(num),
    }
}

pub(crate) fn ceil(args: &mut Args) -> Result<Value, FunctionError> {
    match args.number(0)? {
        n @ Number::Int(_) => Ok(num(n)),
        Number::Float(f) => float(f.ceil()).map(num),
    }
}

pub(crate) fn pow(args: &mut Args) -> Result<Value, FunctionError> {
    let (base, exponent) = (args.number(0)?, args.number(1)?);
    if let (Number::Int(b), Number::Int(e)) = (base, exponent)
        && e >= 0
    {
        let result = match u32::try_from(e) {
            Ok(e) => b.checked_pow(e),
            Err(_) => match b {
                0 | 1 => Some(b),
                -1 => Some(if e % 2 == 0 { 1 } else { -1 }),
                _ => None,
            },
        };
        return result.map(|r| num(Number::Int(r))).ok_or_else(overflow);
    }
    float(base.as_f64().powf(exponent.as_f64())).map(num)
}

pub(crate) fn log(args: &mut Args) -> Result<Value, FunctionError> {
    let (x, base) = (args.number(0)?.as_f64(), args.number(1)?.as_f64());
    if x.is_nan() || x <= 0.0 {
        return Err(FunctionError::at(0, "argument 1 must be greater than zero"));
    }
    if base.is_nan() || base <= 0.0 || base == 1.0 {
        return Err(FunctionError::at(
            1,
            "the base must be greater than zero and not 1",
        ));
    }
    // As Terraform computes it, also for bases 2 and 10: `log(50, 10)` is
    // 1.6989700043360185 there, where `log10` gives ...87.
    float(x.ln() / base.ln()).map(num)
}

pub(crate) fn signum(args: &mut Args) -> Result<Value, FunctionError> {
    let sign = match args.number(0)? {
        Number::Int(x) => x.signum(),
        Number::Float(f) if f.is_nan() => {
            return Err(FunctionError::at(0, "argument 1 is not a number (NaN)"));
        }
        Number::Float(f) if f > 0.0 => 1,
        Number::Float(f) if f < 0.0 => -1,
        Number::Float(_) => 0,
    };
    Ok(num(Number::Int(sign)))
}

/// `min`/`max` take numbers as arguments, or a single list of numbers.
fn extremes(args: &Args, want: Ordering) -> Result<Value, FunctionError> {
    let numbers = match args.all() {
        [single] if matches!(single.peel(), Value::List(_)) => {
            let numbers = args.numbers(0)?;
            if numbers.is_empty() {
                return Err(FunctionError::at(0, "argument 1 must not be an empty list"));
            }
            numbers
        }
        _ => all_numbers(args, 0)?,
    };
    let mut best: Option<Number> = None;
    for n in numbers {
        best = match best {
            Some(b) if compare_numbers(n, b) != want => Some(b),
            _ => Some(n),
        };
    }
    best.map(num)
        .ok_or_else(|| FunctionError::new("expected at least one number"))
}

pub(crate) fn min(args: &mut Args) -> Result<Value, FunctionError> {
    extremes(args, Ordering::Less)
}

pub(crate) fn max(args: &mut Args) -> Result<Value, FunctionError> {
    extremes(args, Ordering::Greater)
}

/// The sum of numbers (0 for none); integer overflow is an error.
pub(crate) fn total(numbers: &[Number]) -> Result<Number, FunctionError> {
    numbers
        .iter()
        .try_fold(Number::Int(0), |sum, n| add(sum, *n))
}

/// Parses a number written in decimal, as Terraform converts a string to
/// a number: an optional sign, digits with an optional fraction, an
/// optional exponent; no spaces, no `0x`, no `inf`. Integers stay exact.
pub(crate) fn parse_decimal(text: &str) -> Option<Number> {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - digits_start;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let fraction_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - fraction_start;
    }
    if digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exponent_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Ok(n) = unsigned.parse::<i128>() {
        return Some(Number::Int(n));
    }
    unsigned
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| Number::Float(f).normalize())
}

/// `(to-bool VALUE)`: a bool, or the strings "true" and "false"; null
/// passes through.
pub(crate) fn to_bool(args: &mut Args) -> Result<Value, FunctionError> {
    match args.get(0).peel() {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        Value::String(s) => Err(FunctionError::at(
            0,
            format!(
                "cannot convert {} to bool; only the strings \"true\" and \"false\" are allowed",
                args.quote(s)
            ),
        )),
        other => Err(FunctionError::at(
            0,
            format!("cannot convert {} to bool", other.kind_name()),
        )),
    }
}

/// Digits of bases up to 62, as Go's `big.Int.SetString` (and so
/// Terraform's `parseint`) reads them.
fn digit_value(c: char, base: u32) -> Option<u32> {
    let d = match c {
        '0'..='9' => c as u32 - '0' as u32,
        'a'..='z' => c as u32 - 'a' as u32 + 10,
        'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
        'A'..='Z' => c as u32 - 'A' as u32 + 36,
        _ => return None,
    };
    (d < base).then_some(d)
}

pub(crate) fn parse_int(args: &mut Args) -> Result<Value, FunctionError> {
    let text = &*args.string(0)?;
    let base = args.integer(1)?;
    let base = match u32::try_from(base) {
        Ok(b @ 2..=62) => b,
        _ => {
            return Err(FunctionError::at(
                1,
                "the base must be a whole number between 2 and 62",
            ));
        }
    };
    let bad = || {
        FunctionError::at(
            0,
            format!("cannot parse {} as a base-{base} integer", args.quote(text)),
        )
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut value: i128 = 0;
    for c in digits.chars() {
        let d = digit_value(c, base).ok_or_else(bad)?;
        // Accumulate negatively so that i128::MIN parses.
        value = value
            .checked_mul(i128::from(base))
            .and_then(|v| v.checked_sub(i128::from(d)))
            .ok_or_else(|| {
                FunctionError::at(
                    0,
                    format!("{} is too large for a 128-bit integer", args.quote(text)),
                )
            })?;
    }
    if !negative {
        value = value.checked_neg().ok_or_else(|| {
            FunctionError::at(
                0,
                format!("{} is too large for a 128-bit integer", args.quote(text)),
            )
        })?;
    }
    Ok(num(Number::Int(value)))
}

pub(crate) fn to_number(args: &mut Args) -> Result<Value, FunctionError> {
    match args.get(0).peel() {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(num(n.normalize())),
        Value::String(s) => match parse_decimal(s) {
            Some(n) => Ok(num(n.normalize())),
            None => Err(FunctionError::at(
                0,
                format!("cannot parse {} as a number", args.quote(s)),
            )),
        },
        other => Err(type_error(0, "a string or a number", other)),
    }
}

pub(crate) fn to_string(args: &mut Args) -> Result<Value, FunctionError> {
    match args.get(0).peel() {
        Value::Null => Ok(Value::Null),
        Value::String(s) => Ok(Value::String(s.clone())),
        Value::Number(n) => Ok(Value::String(n.to_string())),
        Value::Bool(b) => Ok(Value::String(b.to_string())),
        other => Err(FunctionError::at(
            0,
            format!(
                "cannot convert a {} to a string; use json-encode",
                other.kind_name()
            ),
        )),
    }
}

/// The operands of an ordering comparison: all numbers or all strings.
fn check_comparable(args: &Args) -> Result<(), FunctionError> {
    let first = args.get(0).peel();
    let expected = match first {
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        other => return Err(type_error(0, "a number or a string", other)),
    };
    for (i, v) in args.all().iter().enumerate().skip(1) {
        if std::mem::discriminant(v.peel()) != std::mem::discriminant(first) {
            return Err(FunctionError::at(
                i,
                format!(
                    "argument {} must be {expected} like argument 1, found {}",
                    i + 1,
                    v.kind_name()
                ),
            ));
        }
    }
    Ok(())
}

/// `(< a b c)` holds when every adjacent pair is ordered as `holds` says.
/// With a number among the arguments all are numbers, strings converted
/// as Terraform converts them (`1 < "2"`); strings alone compare as
/// strings.
fn chain(args: &Args, holds: fn(Ordering) -> bool) -> Result<Value, FunctionError> {
    if args
        .all()
        .iter()
        .any(|v| matches!(v.peel(), Value::Number(_)))
    {
        let numbers = all_numbers(args, 0)?;
        let ok = numbers
            .windows(2)
            .all(|pair| holds(compare(&num(pair[0]), &num(pair[1]))));
        return Ok(Value::Bool(ok));
    }
    check_comparable(args)?;
    let ok = args
        .all()
        .windows(2)
        .all(|pair| holds(compare(&pair[0], &pair[1])));
    Ok(Value::Bool(ok))
}

pub(crate) fn less(args: &mut Args) -> Result<Value, FunctionError> {
    chain(args, |o| o == Ordering::Less)
}

pub(crate) fn greater(args: &mut Args) -> Result<Value, FunctionError> {
    chain(args, |o| o == Ordering::Greater)
}

pub(crate) fn less_equal(args: &mut Args) -> Result<Value, FunctionError> {
    chain(args, |o| o != Ordering::Greater)
}

pub(crate) fn greater_equal(args: &mut Args) -> Result<Value, FunctionError> {
    chain(args, |o| o != Ordering::Less)
}

pub(crate) fn equals(args: &mut Args) -> Result<Value, FunctionError> {
    let all = args.all();
    Ok(Value::Bool(
        all.windows(2).all(|pair| equal(&pair[0], &pair[1])),
    ))
}

pub(crate) fn not_equals(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::Bool(!equal(args.get(0), args.get(1))))
}

pub(crate) fn not(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::Bool(!args.boolean(0)?))
}
