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
    to_json_text(args.get(0)).map(Value::String)
}

/// A value as Terraform's `jsonencode` writes it.
pub(crate) fn to_json_text(value: &Value) -> Result<String, FunctionError> {
    let mut out = String::new();
    write_json(value, &mut out)?;
    Ok(out)
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
        // In full, never with an exponent, as Terraform writes numbers:
        // `1e30` is `1000000000000000000000000000000`.
        Number::Float(f) => {
            let _ = write!(out, "{f}");
        }
    }
    Ok(())
}

/// A JSON string literal, as [`write_string`] writes it.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

/// A JSON string literal, escaped as the `encoding/json` of the Go that
/// built Terraform escapes it (backspace and form feed as `\u0008` and
/// `\u000c`, not `\b` and `\f`).
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
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
    let text = &*args.string(0)?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => Ok(Value::from_json(&json)),
        Err(e) => Err(FunctionError::at(0, format!("invalid JSON: {e}"))),
    }
}

pub(crate) fn base64_encode(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(STANDARD.encode(&*args.string(0)?)))
}

pub(crate) fn base64_decode(args: &mut Args) -> Result<Value, FunctionError> {
    let bytes = STANDARD
        .decode(&*args.string(0)?)
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

/// The digest of some bytes in hex, for the `file*` hashes.
pub(crate) fn hex_of<D: Digest>(bytes: &[u8]) -> String {
    hex::encode(D::digest(bytes))
}

/// The digest of some bytes in Base64, for the `filebase64sha*` hashes.
pub(crate) fn base64_of<D: Digest>(bytes: &[u8]) -> String {
    STANDARD.encode(D::digest(bytes))
}

/// Whether `text` is valid standard Base64.
pub(crate) fn is_base64(text: &str) -> bool {
    STANDARD.decode(text).is_ok()
}

/// Standard Base64 of some bytes.
pub(crate) fn base64_bytes(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `(base64-gzip STRING)`: gzip-compressed, then Base64, laid out as Go's
/// `gzip.Writer` lays it out after Terraform's flush and close (a sync
/// flush, then an empty final stored block), so short strings give
/// Terraform's exact text. Longer ones may compress to other (equally
/// valid) bytes: the compressors differ.
pub(crate) fn base64_gzip(args: &mut Args) -> Result<Value, FunctionError> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    let input = args.string(0)?;
    let input = input.as_bytes();
    let mut deflate = Compress::new(Compression::default(), false);
    let mut body = Vec::with_capacity(input.len() + input.len() / 8 + 128);
    loop {
        let consumed = usize::try_from(deflate.total_in()).unwrap_or(usize::MAX);
        deflate
            .compress_vec(
                input.get(consumed..).unwrap_or_default(),
                &mut body,
                FlushCompress::Sync,
            )
            .map_err(|e| FunctionError::new(format!("compression failed: {e}")))?;
        let all_in = usize::try_from(deflate.total_in()).unwrap_or(usize::MAX) >= input.len();
        // A full buffer may hold back the rest of the flush: give it room.
        if all_in && body.len() < body.capacity() {
            break;
        }
        body.reserve(body.capacity().max(64));
    }
    let mut crc = Crc::new();
    crc.update(input);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&body);
    out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]); // final, empty stored block
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(input.len() as u32).to_le_bytes());
    Ok(Value::String(STANDARD.encode(out)))
}

/// A text encoding `textencodebase64` supports: the Unicode ones and
/// Latin-1, by their IANA names and common aliases (case-insensitive).
#[derive(Clone, Copy)]
enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Latin1,
    Ascii,
}

fn text_encoding(args: &Args, index: usize) -> Result<TextEncoding, FunctionError> {
    let name = &*args.string(index)?;
    Ok(match name.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" | "csutf8" => TextEncoding::Utf8,
        "utf-16le" | "csutf16le" => TextEncoding::Utf16Le,
        "utf-16be" | "utf-16" | "csutf16be" | "csutf16" => TextEncoding::Utf16Be,
        "iso-8859-1" | "iso_8859-1" | "iso_8859-1:1987" | "latin1" | "l1" | "iso-ir-100"
        | "ibm819" | "cp819" | "csisolatin1" => TextEncoding::Latin1,
        "us-ascii" | "ascii" | "us" | "iso646-us" | "csascii" | "ansi_x3.4-1968" => {
            TextEncoding::Ascii
        }
        _ => {
            return Err(FunctionError::at(
                index,
                format!(
                    "{} is not a supported encoding name (supported: UTF-8, UTF-16LE, UTF-16BE, UTF-16, ISO-8859-1, US-ASCII)",
                    args.quote(name)
                ),
            ));
        }
    })
}

/// `(text-encode-base64 STRING ENCODING)`.
pub(crate) fn text_encode_base64(args: &mut Args) -> Result<Value, FunctionError> {
    let encoding = text_encoding(args, 1)?;
    let text = &*args.string(0)?;
    let unrepresentable = |limit: u32| {
        text.chars().any(|c| c as u32 > limit).then(|| {
            FunctionError::at(
                0,
                "the given string contains characters that cannot be represented in the chosen encoding",
            )
        })
    };
    let bytes: Vec<u8> = match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Latin1 | TextEncoding::Ascii => {
            let limit = if matches!(encoding, TextEncoding::Latin1) {
                0xff
            } else {
                0x7f
            };
            if let Some(error) = unrepresentable(limit) {
                return Err(error);
            }
            text.chars().map(|c| c as u8).collect()
        }
    };
    Ok(Value::String(STANDARD.encode(bytes)))
}

/// `(text-decode-base64 BASE64 ENCODING)`.
pub(crate) fn text_decode_base64(args: &mut Args) -> Result<Value, FunctionError> {
    let encoding = text_encoding(args, 1)?;
    let bytes = STANDARD
        .decode(&*args.string(0)?)
        .map_err(|e| FunctionError::at(0, format!("invalid base64: {e}")))?;
    let invalid = || FunctionError::at(0, "the decoded bytes are not valid in the given encoding");
    let units = |to_unit: fn([u8; 2]) -> u16| -> Result<String, FunctionError> {
        if bytes.len() % 2 != 0 {
            return Err(invalid());
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| to_unit([pair[0], pair[1]]))
            .collect();
        String::from_utf16(&units).map_err(|_| invalid())
    };
    let text = match encoding {
        TextEncoding::Utf8 => String::from_utf8(bytes).map_err(|_| invalid())?,
        TextEncoding::Utf16Le => units(u16::from_le_bytes)?,
        TextEncoding::Utf16Be => units(u16::from_be_bytes)?,
        TextEncoding::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
        TextEncoding::Ascii if bytes.is_ascii() => bytes.iter().map(|b| char::from(*b)).collect(),
        TextEncoding::Ascii => return Err(invalid()),
    };
    Ok(Value::String(text))
}

/// `(csv-decode STRING)`: the first line names the columns; every later
/// line becomes a map from column name to text. Every line must have as
/// many fields as the first.
/// Where `text` breaks the quoting rules of Go's `encoding/csv`, which
/// Terraform's `csvdecode` uses and which the `csv` crate is lenient
/// about: a quote inside an unquoted field, a quoted field not closed, or
/// a closing quote followed by anything but a comma or a line end. The
/// error names the line (from 1) and the fault.
fn check_csv_quotes(text: &str) -> Result<(), (usize, &'static str)> {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut i = 0;
    // Each pass reads one field, starting at `i`.
    while i < bytes.len() {
        if bytes[i] == b'"' {
            let start_line = line;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err((start_line, "a quoted field is not closed")),
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\n') => {
                        line += 1;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            match (bytes.get(i), bytes.get(i + 1)) {
                (None | Some(b',' | b'\n'), _) | (Some(b'\r'), None | Some(b'\n')) => {}
                _ => return Err((line, "extraneous or missing \" in a quoted field")),
            }
        } else {
            while let Some(&b) = bytes.get(i) {
                match b {
                    b',' | b'\n' => break,
                    b'"' => return Err((line, "a bare \" in an unquoted field")),
                    _ => i += 1,
                }
            }
        }
        // The field's end: a comma, a line end, or the end of the text.
        match bytes.get(i) {
            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => {
                line += 1;
                i += 2;
            }
            Some(b'\n') => {
                line += 1;
                i += 1;
            }
            Some(_) => i += 1,
            None => {}
        }
    }
    Ok(())
}

pub(crate) fn csv_decode(args: &mut Args) -> Result<Value, FunctionError> {
    let text = &*args.string(0)?;
    check_csv_quotes(text).map_err(|(line, why)| {
        FunctionError::at(0, format!("CSV parse error on line {line}: {why}"))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes());
    let parse_error = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        let why = match e.kind() {
            csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields".to_string(),
            other => format!("{other:?}"),
        };
        FunctionError::at(0, format!("CSV parse error on line {line}: {why}"))
    };
    let mut records = reader.records();
    let header = match records.next() {
        Some(record) => record.map_err(parse_error)?,
        None => return Err(FunctionError::at(0, "missing header line")),
    };
    let columns: Vec<String> = header.iter().map(str::to_string).collect();
    for (i, name) in columns.iter().enumerate() {
        if columns[..i].contains(name) {
            return Err(FunctionError::at(
                0,
                format!("duplicate column name {}", args.quote(name)),
            ));
        }
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(parse_error)?;
        rows.push(Value::Map(
            columns
                .iter()
                .cloned()
                .zip(record.iter().map(|f| Value::String(f.to_string())))
                .collect(),
        ));
    }
    Ok(Value::List(rows))
}

/// `(uuid-v5 NAMESPACE NAME)`: the name-based UUID; NAMESPACE is `dns`,
/// `url`, `oid`, `x500` or a UUID.
pub(crate) fn uuid_v5(args: &mut Args) -> Result<Value, FunctionError> {
    let namespace = &*args.string(0)?;
    let namespace = match namespace {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|e| {
            FunctionError::at(
                0,
                format!(
                    "uuidv5() doesn't support namespace {} ({e})",
                    args.quote(other)
                ),
            )
        })?,
    };
    Ok(Value::String(
        uuid::Uuid::new_v5(&namespace, args.string(1)?.as_bytes()).to_string(),
    ))
}

/// `(uuid)`: a random (version 4) UUID, known only when applying.
pub(crate) fn uuid(args: &mut Args) -> Result<Value, FunctionError> {
    let Some(effects) = args.context.effects() else {
        return Ok(Value::Unknown);
    };
    let mut bytes = [0u8; 16];
    effects.fill_random(&mut bytes);
    Ok(Value::String(
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string(),
    ))
}

/// `(bcrypt STRING [COST])`: a salted hash (cost 10 by default), known
/// only when applying since the salt is random.
pub(crate) fn bcrypt(args: &mut Args) -> Result<Value, FunctionError> {
    let password = &*args.string(0)?;
    let cost = match args.opt(1) {
        Some(_) => args.integer(1)?,
        None => 10,
    };
    // Go's bcrypt (Terraform's) takes a cost below the minimum as the
    // default, and rejects one above the maximum.
    let cost = if cost < 4 { 10 } else { cost };
    let cost = u32::try_from(cost)
        .ok()
        .filter(|c| (4..=31).contains(c))
        .ok_or_else(|| {
            FunctionError::at(
                1,
                format!("crypto/bcrypt: cost {cost} is outside allowed range (4,31)"),
            )
        })?;
    let Some(effects) = args.context.effects() else {
        return Ok(Value::Unknown);
    };
    let mut salt = [0u8; 16];
    effects.fill_random(&mut salt);
    // Go's bcrypt (Terraform's) reads at most 72 bytes of the password.
    let password = password.as_bytes().get(..72).unwrap_or(password.as_bytes());
    let hash = ::bcrypt::hash_with_salt(password, cost, salt)
        .map_err(|e| FunctionError::new(format!("hashing failed: {e}")))?;
    Ok(Value::String(
        hash.format_for_version(::bcrypt::Version::TwoA),
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
    let s = &*args.string(0)?;
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
