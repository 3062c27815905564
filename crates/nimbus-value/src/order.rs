//! Exact equality and a total order over values: the order of sets (the
//! type conversion to a set here, the function library's `sort`,
//! `distinct`, `to-set` and set functions) is this one, so a set reads the
//! same wherever it was made.
//!
//! Why not `PartialEq`/`PartialOrd` of `Value`: `Number`'s comparisons go
//! through `f64` for mixed integer/float operands, which calls 2^60 and
//! 2^60 + 1 equal to the same float without calling them equal to each
//! other. Sorting with such a comparison is not a total order, and Rust's
//! sort may panic on one. Here integers and floats compare exactly, NaN
//! sorts last, and values of different kinds sort by kind, so `sort`,
//! `distinct` and `to-set` always have a consistent order.

use crate::{Number, Value};
use std::cmp::Ordering;

/// Deep equality: `2` equals `2.0`, lists and maps compare element-wise.
/// Marks are ignored (callers pass unmarked values).
pub fn equal(a: &Value, b: &Value) -> bool {
    compare(a, b) == Ordering::Equal
}

/// A total order: by kind (null, bool, number, string, list, map, unknown),
/// then by content.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    let (a, b) = (a.peel(), b.peel());
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => compare_numbers(*x, *y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                match compare(p, q) {
                    Ordering::Equal => {}
                    other => return other,
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Map(x), Value::Map(y)) => {
            for ((kp, p), (kq, q)) in x.iter().zip(y) {
                match kp.cmp(kq).then_with(|| compare(p, q)) {
                    Ordering::Equal => {}
                    other => return other,
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::List(_) => 4,
        Value::Map(_) => 5,
        Value::Unknown => 6,
        Value::Sensitive(_) => 7, // not reached: peeled above
    }
}

/// Exact comparison of two numbers; NaN is greater than everything and
/// equal to itself.
pub fn compare_numbers(a: Number, b: Number) -> Ordering {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x.cmp(&y),
        (Number::Int(x), Number::Float(y)) => compare_int_float(x, y),
        (Number::Float(x), Number::Int(y)) => compare_int_float(y, x).reverse(),
        (Number::Float(x), Number::Float(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            // Neither is NaN, so this is total (and -0.0 == 0.0, as it is
            // for the integer 0).
            (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        },
    }
}

/// Compares an integer with a float without rounding the integer.
fn compare_int_float(i: i128, f: f64) -> Ordering {
    const TWO_127: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if f.is_nan() {
        return Ordering::Less;
    }
    if f >= TWO_127 {
        return Ordering::Less;
    }
    if f < -TWO_127 {
        return Ordering::Greater;
    }
    // |f| < 2^127 here (or f == -2^127), so its integer part is exact in i128.
    let whole = f.trunc();
    let whole_int = whole as i128;
    match i.cmp(&whole_int) {
        Ordering::Equal => {
            let fraction = f - whole;
            if fraction > 0.0 {
                Ordering::Less
            } else if fraction < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_exactly() {
        let big = 1i128 << 60;
        assert_eq!(
            compare_numbers(Number::Int(big + 1), Number::Float(big as f64)),
            Ordering::Greater
        );
        assert_eq!(
            compare_numbers(Number::Int(2), Number::Float(2.0)),
            Ordering::Equal
        );
        assert_eq!(
            compare_numbers(Number::Int(2), Number::Float(2.5)),
            Ordering::Less
        );
        assert_eq!(
            compare_numbers(Number::Int(-3), Number::Float(-2.5)),
            Ordering::Less
        );
        assert_eq!(
            compare_numbers(Number::Int(-2), Number::Float(-2.5)),
            Ordering::Greater
        );
        assert_eq!(
            compare_numbers(Number::Int(i128::MAX), Number::Float(f64::INFINITY)),
            Ordering::Less
        );
        assert_eq!(
            compare_numbers(Number::Int(i128::MIN), Number::Float(-1e300)),
            Ordering::Greater
        );
        assert_eq!(
            compare_numbers(Number::Float(f64::NAN), Number::Int(1)),
            Ordering::Greater
        );
        assert_eq!(
            compare_numbers(Number::Int(0), Number::Float(-0.0)),
            Ordering::Equal
        );
    }
}
