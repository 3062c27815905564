//! Encodings and hashes.
//!
//! `json-encode` has its own small writer rather than going through
//! `serde_json::Value`, for two reasons: integers beyond 64 bits keep all
//! their digits (JSON allows them; `serde_json::Number` does not), and the
//! output matches Terraform's `jsonencode` byte for byte (sorted keys, no
//! spaces, `<`, `>` and `&` escaped as `\u003c` etc.), so a policy document
//! migrated from Terraform does not show a spurious diff.

use crate::FunctionError;
use crate::args::Args;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use nimbus_value::{Number, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::fmt::Write as _;

pub(crate) fn json_encode(args: &mut Args) -> Result<Value, FunctionError> {
    let mut out = String::new();
    write_json(args.get(0), &mut out)?;
    Ok(Value::String(out))
}

fn write_json(value: &Value, out: &mut String) -> Result<(), FunctionError> {
    match value {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(*n, out)?,
        Value::String(s) => write_string(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_json(v, out)?;
            }
            out.push('}');
        }
        Value::Sensitive(inner) => write_json(inner, out)?,
    }
    Ok(())
}

fn write_number(n: Number, out: &mut String) -> Result<(), FunctionError> {
    match n.normalize() {
        Number::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Number::Float(f) if !f.is_finite() => {
            return Err(FunctionError::at(
                0,
                "cannot encode an infinite or NaN number as JSON",
            ));
        }
        // Whole numbers below 1e21 print in full, as Go and JavaScript do.
        Number::Float(f) if f.fract() == 0.0 && f.abs() < 1e21 => {
            let _ = write!(out, "{f}");
        }
        Number::Float(f) => match serde_json::Number::from_f64(f) {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.push_str("null"),
        },
    }
    Ok(())
}

/// A JSON string literal, escaped as Go's `encoding/json` escapes it.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(crate) fn json_decode(args: &mut Args) -> Result<Value, FunctionError> {
    let text = args.string(0)?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => Ok(Value::from_json(&json)),
        Err(e) => Err(FunctionError::at(0, format!("invalid JSON: {e}"))),
    }
}

pub(crate) fn base64_encode(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(STANDARD.encode(args.string(0)?)))
}

pub(crate) fn base64_decode(args: &mut Args) -> Result<Value, FunctionError> {
    let bytes = STANDARD
        .decode(args.string(0)?)
        .map_err(|e| FunctionError::at(0, format!("invalid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| FunctionError::at(0, "the decoded bytes are not valid UTF-8 text"))
}

fn hex_digest<D: Digest>(args: &Args) -> Result<Value, FunctionError> {
    Ok(Value::String(hex::encode(D::digest(
        args.string(0)?.as_bytes(),
    ))))
}

fn base64_digest<D: Digest>(args: &Args) -> Result<Value, FunctionError> {
    Ok(Value::String(
        STANDARD.encode(D::digest(args.string(0)?.as_bytes())),
    ))
}

pub(crate) fn md5(args: &mut Args) -> Result<Value, FunctionError> {
    hex_digest::<Md5>(args)
}

pub(crate) fn sha1(args: &mut Args) -> Result<Value, FunctionError> {
    hex_digest::<Sha1>(args)
}

pub(crate) fn sha256(args: &mut Args) -> Result<Value, FunctionError> {
    hex_digest::<Sha256>(args)
}

pub(crate) fn sha512(args: &mut Args) -> Result<Value, FunctionError> {
    hex_digest::<Sha512>(args)
}

pub(crate) fn base64_sha256(args: &mut Args) -> Result<Value, FunctionError> {
    base64_digest::<Sha256>(args)
}

pub(crate) fn base64_sha512(args: &mut Args) -> Result<Value, FunctionError> {
    base64_digest::<Sha512>(args)
}

/// Query-string encoding as Terraform's `urlencode` (Go's
/// `url.QueryEscape`): unreserved characters kept, space as `+`, every
/// other byte as `%XX`.
pub(crate) fn url_encode(args: &mut Args) -> Result<Value, FunctionError> {
    let s = args.string(0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    Ok(Value::String(out))
}
