//! `yaml-encode` and `yaml-decode` with Terraform's output and typing.
//!
//! Decoding reads parser events (saphyr-parser: maintained, pure Rust) and
//! types plain scalars itself, because Terraform's YAML (go-cty-yaml) has
//! rules of its own: YAML 1.1 booleans (`yes`, `on`, `y`), `010` is ten,
//! timestamps become RFC 3339 strings, and quoted scalars stay strings.
//!
//! Encoding is hand-written to match Terraform's text byte for byte: keys
//! and strings double-quoted, multi-line strings as literal blocks,
//! sequences inside mappings not indented, a top-level plain scalar ended
//! by `...`. (Terraform also folds double-quoted strings longer than 80
//! columns; Nimbus keeps them on one line, which reads back the same.)

use crate::FunctionError;
use crate::args::Args;
use nimbus_value::{Number, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The deepest nesting accepted, so that a hostile document cannot
/// overflow the stack of the recursive writers.
const MAX_DEPTH: usize = 256;

/// The most nodes a document may expand to through aliases: a guard
/// against "billion laughs" documents.
const MAX_NODES: usize = 1_000_000;

fn decode_error(message: impl Into<String>) -> FunctionError {
    FunctionError::at(0, message.into())
}

/// A collection being built.
enum Open {
    List(usize, Vec<Value>),
    /// Anchor, entries, and the key waiting for its value.
    Map(usize, BTreeMap<String, Value>, Option<String>),
}

/// Types a scalar as go-cty-yaml does.
fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, FunctionError> {
    let tag = tag.map(|t| {
        if t.handle == "!!" || t.handle == "tag:yaml.org,2002:" {
            t.suffix.clone()
        } else {
            format!("{}{}", t.handle, t.suffix)
        }
    });
    let cannot =
        |tag: &str| decode_error(format!("cannot parse {text:?} as tag:yaml.org,2002:{tag}"));
    match tag.as_deref() {
        Some("str") => return Ok(Value::String(text.to_string())),
        Some("binary") => {
            return crate::encoding::is_base64(text)
                .then(|| Value::String(text.to_string()))
                .ok_or_else(|| cannot("binary"));
        }
        Some("null") => return Ok(Value::Null),
        Some("bool") => {
            return yaml_bool(text)
                .map(Value::Bool)
                .ok_or_else(|| cannot("bool"));
        }
        Some("int" | "float") => {
            return number(text)
                .or_else(|| binary(text))
                .map(Value::Number)
                .ok_or_else(|| cannot("int"));
        }
        Some("timestamp") => {
            return timestamp(text)
                .map(Value::String)
                .ok_or_else(|| cannot("timestamp"));
        }
        Some(other) => {
            let long = other.strip_prefix('!').map_or_else(
                || format!("tag:yaml.org,2002:{other}"),
                |local| format!("!{local}"),
            );
            return Err(decode_error(format!("unsupported tag {long:?}")));
        }
        None => {}
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = yaml_bool(text) {
        return Ok(Value::Bool(b));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Err(decode_error("floating point NaN is not supported"));
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Err(decode_error("infinite numbers are not supported"));
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
        if let Some(t) = timestamp(text) {
            return Ok(Value::String(t));
        }
        if let Some(n) = number(text) {
            return Ok(Value::Number(n));
        }
    }
    Ok(Value::String(text.to_string()))
}

fn yaml_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Decimal numbers (underscores ignored), and `0x` / `0o` integers.
fn number(text: &str) -> Option<Number> {
    let plain = text.replace('_', "");
    if let Some(n) = crate::numbers::parse_decimal(&plain) {
        return Some(n);
    }
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.strip_prefix('+').unwrap_or(&plain)),
    };
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(octal) = digits.strip_prefix("0o") {
        (8, octal)
    } else {
        return None;
    };
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    Some(Number::Int(if negative {
        -i128::from(magnitude)
    } else {
        i128::from(magnitude)
    }))
}

/// A `0b` integer, read only under an explicit `!!int` tag (plain `0b101`
/// stays a string in Terraform).
fn binary(text: &str) -> Option<Number> {
    let plain = text.replace('_', "");
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.as_str()),
    };
    let magnitude = i128::from(i64::from_str_radix(digits.strip_prefix("0b")?, 2).ok()?);
    Some(Number::Int(if negative { -magnitude } else { magnitude }))
}

/// YAML timestamps (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`,
/// `2001-12-14 21:59:43.10`) as RFC 3339 text to the second.
fn timestamp(text: &str) -> Option<String> {
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year = parts.next().filter(|y| y.len() == 4)?.parse::<u32>().ok()?;
    let month = parts
        .next()
        .filter(|m| (1..=2).contains(&m.len()))?
        .parse::<u8>()
        .ok()?;
    let day = parts
        .next()
        .filter(|d| (1..=2).contains(&d.len()))?
        .parse::<u8>()
        .ok()?;
    if parts.next().is_some() || !date.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return None;
    }
    time::Date::from_calendar_date(
        i32::try_from(year).ok()?,
        time::Month::try_from(month).ok()?,
        day,
    )
    .ok()?;
    let Some(rest) = rest else {
        return Some(format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    };
    let space_separated = text.as_bytes().get(date.len()) == Some(&b' ');
    let zone_at = rest.find(['Z', '+', '-']);
    let (clock, zone) = match zone_at {
        Some(i) if !space_separated => (&rest[..i], &rest[i..]),
        None if space_separated => (rest, "Z"),
        _ => return None,
    };
    let clock = clock.split('.').next()?;
    let mut fields = clock.split(':');
    let mut field = |max: u8| {
        fields
            .next()
            .filter(|f| (1..=2).contains(&f.len()))
            .and_then(|f| f.parse::<u8>().ok())
            .filter(|v| *v <= max)
    };
    let (hour, minute, second) = (field(23)?, field(59)?, field(59)?);
    if fields.next().is_some() {
        return None;
    }
    let zone = if zone == "Z" {
        "Z".to_string()
    } else {
        let sign = zone.get(..1)?;
        let (h, m) = zone.get(1..)?.split_once(':')?;
        if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        if h == "00" && m == "00" {
            "Z".to_string()
        } else {
            format!("{sign}{h}:{m}")
        }
    };
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{zone}"
    ))
}

/// A scalar key as text: keys are typed like values, then written as
/// strings (so `y:` is the key `"true"`, as in Terraform).
fn key_text(key: Value) -> Result<String, FunctionError> {
    match key {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok("null".to_string()),
        _ => Err(decode_error("only strings are allowed as mapping keys")),
    }
}

/// Counts the nodes of a value, to bound alias expansion.
fn size(value: &Value) -> usize {
    match value {
        Value::List(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(map) => 1 + map.values().map(size).sum::<usize>(),
        _ => 1,
    }
}

/// `(yaml-decode STRING)`: one YAML document as a value.
pub(crate) fn yaml_decode(args: &mut Args) -> Result<Value, FunctionError> {
    let text = &*args.string(0)?;
    let mut anchors: BTreeMap<usize, Value> = BTreeMap::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut document: Option<Value> = None;
    let mut documents = 0;
    let mut nodes = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| decode_error(format!("invalid YAML: {e}")))?;
        let (value, anchor) = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(decode_error(format!(
                        "on line {}, column {}: unexpected extra content after value",
                        span.start.line(),
                        span.start.col() + 1
                    )));
                }
                continue;
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(decode_error("the document is nested too deeply"));
                }
                stack.push(Open::List(anchor, Vec::new()));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(decode_error("the document is nested too deeply"));
                }
                stack.push(Open::Map(anchor, BTreeMap::new(), None));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::List(anchor, items)) => (Value::List(items), anchor),
                Some(Open::Map(anchor, map, _)) => (Value::Map(map), anchor),
                None => continue,
            },
            Event::Scalar(text, style, anchor, tag) => {
                (resolve(&text, style, tag.as_deref())?, anchor)
            }
            Event::Alias(id) => {
                let value = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| decode_error("unknown anchor"))?;
                (value, 0)
            }
            _ => continue,
        };
        nodes = nodes.saturating_add(size(&value));
        if nodes > MAX_NODES {
            return Err(decode_error(format!(
                "the document expands to more than {MAX_NODES} values"
            )));
        }
        if anchor > 0 {
            anchors.insert(anchor, value.clone());
        }
        match stack.last_mut() {
            Some(Open::List(_, items)) => items.push(value),
            Some(Open::Map(_, map, pending)) => match pending.take() {
                None => *pending = Some(key_text(value)?),
                // `<<: *defaults` merges a mapping (or a list of them) into
                // this one, without replacing keys it sets itself.
                Some(key) if key == "<<" && matches!(value, Value::Map(_) | Value::List(_)) => {
                    let merged = match value {
                        Value::List(maps) => maps,
                        single => vec![single],
                    };
                    for source in merged {
                        let Value::Map(source) = source else {
                            return Err(decode_error("a merge key must refer to mappings"));
                        };
                        for (k, v) in source {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
                Some(key) => {
                    map.insert(key, value);
                }
            },
            None => document = Some(value),
        }
    }
    if documents == 0 {
        return Err(decode_error(
            "on line 1, column 1: missing start of document",
        ));
    }
    Ok(document.unwrap_or(Value::Null))
}

/// `(yaml-encode VALUE)`: YAML text as Terraform's `yamlencode` writes it.
pub(crate) fn yaml_encode(args: &mut Args) -> Result<Value, FunctionError> {
    let value = args.get(0);
    let mut out = String::new();
    write_node(value, 0, &mut out, 0)?;
    out.push('\n');
    if matches!(
        value.peel(),
        Value::Null | Value::Bool(_) | Value::Number(_)
    ) {
        out.push_str("...\n");
    }
    Ok(Value::String(out))
}

/// Writes `value` whose first line is already positioned; later lines
/// start at `indent`.
fn write_node(
    value: &Value,
    indent: usize,
    out: &mut String,
    depth: usize,
) -> Result<(), FunctionError> {
    if depth > MAX_DEPTH {
        return Err(FunctionError::at(0, "the value is nested too deeply"));
    }
    match value.peel() {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(*n, out)?,
        Value::String(s) => write_string(s, indent, out),
        Value::List(items) if items.is_empty() => out.push_str("[]"),
        Value::Map(map) if map.is_empty() => out.push_str("{}"),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str("- ");
                write_node(item, indent + 2, out, depth + 1)?;
            }
        }
        Value::Map(map) => {
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                write_double_quoted(key, out);
                out.push(':');
                match item.peel() {
                    Value::Map(inner) if !inner.is_empty() => {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent + 2));
                        write_node(item, indent + 2, out, depth + 1)?;
                    }
                    // Sequences in mappings are not indented.
                    Value::List(inner) if !inner.is_empty() => {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent));
                        write_node(item, indent, out, depth + 1)?;
                    }
                    _ => {
                        out.push(' ');
                        write_node(item, indent + 2, out, depth + 1)?;
                    }
                }
            }
        }
        Value::Sensitive(_) => {} // not reached: peeled above
    }
    Ok(())
}

fn write_number(n: Number, out: &mut String) -> Result<(), FunctionError> {
    if let Number::Float(f) = n
        && !f.is_finite()
    {
        return Err(FunctionError::at(
            0,
            "cannot encode an infinite or NaN number as YAML",
        ));
    }
    let _ = write!(out, "{n}");
    Ok(())
}

/// Whether libyaml would write the string as a literal block: it has a line
/// break, and only printable characters with no space before a break.
fn literal_block(s: &str) -> bool {
    s.contains('\n') && !s.contains(" \n") && s.chars().all(|c| c == '\n' || printable(c))
}

/// libyaml's printable characters (tab excluded).
fn printable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7e | 0x85 | 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff)
        && c != '\u{feff}'
}

fn write_string(s: &str, indent: usize, out: &mut String) {
    if !literal_block(s) {
        write_double_quoted(s, out);
        return;
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomping = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    out.push('|');
    if s.starts_with(' ') {
        out.push('2');
    }
    out.push_str(chomping);
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent.max(2)));
            out.push_str(line);
        }
    }
}

/// A double-quoted scalar with libyaml's escapes.
fn write_double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
}
