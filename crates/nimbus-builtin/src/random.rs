//! random-id, random-string and random-password.

use crate::schema::{DEFAULT_SPECIAL, MAX_BYTE_LENGTH, MAX_STRING_LENGTH};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use nimbus_provider::ProviderError;
use nimbus_provider::attrs::{Field, bool_field, int_field, string_field};
use nimbus_provider::nimbus_value::Value;
use rand::Rng;
use rand::seq::SliceRandom;
use std::collections::BTreeMap;

pub const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
pub const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const NUMERIC: &str = "0123456789";

/// Attribute names of the four character classes: (flag, minimum).
pub const CLASSES: [(&str, &str); 4] = [
    ("lower", "min-lower"),
    ("upper", "min-upper"),
    ("numeric", "min-numeric"),
    ("special", "min-special"),
];

/// Defaults applied at plan time to random-string and random-password.
pub(crate) fn string_defaults() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (flag, min) in CLASSES {
        out.push((flag, Value::Bool(true)));
        out.push((min, Value::int(0)));
    }
    out
}

/// One enabled character class.
#[derive(Debug, Clone, PartialEq)]
pub struct CharClass {
    pub chars: Vec<char>,
    pub min: usize,
}

/// What a random string must look like.
#[derive(Debug, Clone, PartialEq)]
pub struct StringSpec {
    pub length: usize,
    /// Enabled, non-empty classes only.
    pub classes: Vec<CharClass>,
}

/// Checks a random-string/random-password configuration. Unknown values
/// are skipped. Returns the errors, and the spec when everything is known
/// and valid.
pub(crate) fn analyse_string(object: &Value) -> (Vec<ProviderError>, Option<StringSpec>) {
    let mut errors = Vec::new();
    let mut complete = true;

    let length = match int_field(object, "length") {
        Ok(Field::Set(n)) if n < 1 => {
            errors.push(
                ProviderError::fatal(format!("`length` must be at least 1, found {n}"))
                    .on_attribute("length"),
            );
            None
        }
        Ok(Field::Set(n)) if n > MAX_STRING_LENGTH => {
            errors.push(
                ProviderError::fatal(format!(
                    "`length` must be at most {MAX_STRING_LENGTH}, found {n}"
                ))
                .on_attribute("length"),
            );
            None
        }
        Ok(Field::Set(n)) => Some(n),
        Ok(Field::Null) => {
            errors.push(ProviderError::fatal("`length` is required").on_attribute("length"));
            None
        }
        Ok(Field::Unknown) => {
            complete = false;
            None
        }
        Err(e) => {
            errors.push(e.into());
            None
        }
    };

    let special_chars: Option<Vec<char>> = match string_field(object, "override-special") {
        Ok(Field::Null) => Some(DEFAULT_SPECIAL.chars().collect()),
        Ok(Field::Set(s)) => Some(s.chars().collect()),
        Ok(Field::Unknown) => {
            complete = false;
            None
        }
        Err(e) => {
            errors.push(e.into());
            None
        }
    };

    let mut classes = Vec::new();
    let mut sum_min: Option<i64> = Some(0);
    let mut any_enabled = false;
    let mut maybe_enabled = false;
    let mut first_disabled: Option<&str> = None;
    for (flag, min_name) in CLASSES {
        let chars: Option<Vec<char>> = match flag {
            "lower" => Some(LOWER.chars().collect()),
            "upper" => Some(UPPER.chars().collect()),
            "numeric" => Some(NUMERIC.chars().collect()),
            _ => special_chars.clone(),
        };
        let enabled = match bool_field(object, flag) {
            Ok(Field::Null) => Some(true),
            Ok(Field::Set(b)) => Some(b),
            Ok(Field::Unknown) => {
                complete = false;
                None
            }
            Err(e) => {
                errors.push(e.into());
                None
            }
        };
        let min = match int_field(object, min_name) {
            Ok(Field::Null) => Some(0),
            Ok(Field::Set(m)) if m < 0 => {
                errors.push(
                    ProviderError::fatal(format!("`{min_name}` must not be negative, found {m}"))
                        .on_attribute(min_name),
                );
                None
            }
            Ok(Field::Set(m)) => Some(m),
            Ok(Field::Unknown) => {
                complete = false;
                None
            }
            Err(e) => {
                errors.push(e.into());
                None
            }
        };
        sum_min = sum_min.zip(min).map(|(a, b)| a.saturating_add(b));
        if enabled == Some(false) {
            first_disabled.get_or_insert(flag);
        }
        if let (Some(false), Some(m)) = (enabled, min)
            && m > 0
        {
            errors.push(
                ProviderError::fatal(format!("`{min_name}` is {m} but `{flag}` is false"))
                    .on_attribute(min_name),
            );
        }
        if let (Some(true), Some(chars), Some(m)) = (enabled, &chars, min)
            && chars.is_empty()
            && m > 0
        {
            errors.push(
                ProviderError::fatal(format!(
                    "`{min_name}` is {m} but `override-special` is empty"
                ))
                .on_attribute("override-special"),
            );
        }
        match (enabled, &chars) {
            (Some(true), Some(chars)) if !chars.is_empty() => {
                any_enabled = true;
                classes.push(CharClass {
                    chars: chars.clone(),
                    min: min.unwrap_or(0).max(0) as usize,
                });
            }
            (None, _) | (Some(true), None) => maybe_enabled = true,
            _ => {}
        }
    }
    if !any_enabled && !maybe_enabled {
        let at = first_disabled.unwrap_or("override-special");
        errors.push(
            ProviderError::fatal(
                "at least one of `lower`, `upper`, `numeric` and `special` must be enabled \
                 (with a non-empty `override-special` for `special`)",
            )
            .on_attribute(at),
        );
    }
    if let (Some(length), Some(sum)) = (length, sum_min)
        && sum > length
    {
        errors.push(
            ProviderError::fatal(format!(
                "`length` is {length}, less than the sum of the `min-*` attributes ({sum})"
            ))
            .on_attribute("length"),
        );
    }

    let spec = match length {
        Some(length) if complete && errors.is_empty() => Some(StringSpec {
            length: length as usize,
            classes,
        }),
        _ => None,
    };
    (errors, spec)
}

/// The spec at apply time: every error, including unknowns, is fatal.
pub(crate) fn string_spec(object: &Value) -> Result<StringSpec, ProviderError> {
    let (errors, spec) = analyse_string(object);
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    spec.ok_or_else(|| {
        ProviderError::fatal("the configuration of the random string is not known yet")
    })
}

/// Generates a string of `spec.length` characters with at least `min`
/// characters of each class, the rest drawn uniformly from the union of the
/// enabled classes, then shuffled.
pub fn generate_string<R: Rng + ?Sized>(spec: &StringSpec, rng: &mut R) -> String {
    let mut out: Vec<char> = Vec::with_capacity(spec.length);
    for class in &spec.classes {
        for _ in 0..class.min {
            out.push(class.chars[rng.random_range(0..class.chars.len())]);
        }
    }
    let mut pool: Vec<char> = spec
        .classes
        .iter()
        .flat_map(|c| c.chars.iter().copied())
        .collect();
    pool.sort_unstable();
    pool.dedup();
    if !pool.is_empty() {
        while out.len() < spec.length {
            out.push(pool[rng.random_range(0..pool.len())]);
        }
    }
    out.shuffle(rng);
    out.into_iter().collect()
}

/// The state of an imported random-string/random-password: Terraform's
/// rule, the length of the result and every option at its default.
pub(crate) fn imported_string(result: &str, password: bool) -> BTreeMap<String, Value> {
    let mut state: BTreeMap<String, Value> = string_defaults()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    state.insert("length".into(), Value::int(result.chars().count() as i64));
    state.insert("override-special".into(), Value::Null);
    state.insert("keepers".into(), Value::Null);
    state.insert("result".into(), Value::string(result));
    state.insert(
        "id".into(),
        Value::string(if password { "none" } else { result }),
    );
    state
}

/// Checks a random-id configuration; returns the byte length when known
/// and valid.
pub(crate) fn analyse_id(object: &Value) -> (Vec<ProviderError>, Option<usize>) {
    let mut errors = Vec::new();
    let mut length = None;
    match int_field(object, "byte-length") {
        Ok(Field::Set(n)) if !(1..=MAX_BYTE_LENGTH).contains(&n) => errors.push(
            ProviderError::fatal(format!(
                "`byte-length` must be between 1 and {MAX_BYTE_LENGTH}, found {n}"
            ))
            .on_attribute("byte-length"),
        ),
        Ok(Field::Set(n)) => length = Some(n as usize),
        Ok(Field::Null) => errors
            .push(ProviderError::fatal("`byte-length` is required").on_attribute("byte-length")),
        Ok(Field::Unknown) => {}
        Err(e) => errors.push(e.into()),
    }
    if let Err(e) = string_field(object, "prefix") {
        errors.push(e.into());
    }
    (errors, length)
}

/// Fills the computed attributes of random-id from its bytes.
pub(crate) fn fill_id(state: &mut BTreeMap<String, Value>, bytes: &[u8], prefix: &str) {
    let url = URL_SAFE_NO_PAD.encode(bytes);
    state.insert(
        "hex".into(),
        Value::string(format!("{prefix}{}", hex::encode(bytes))),
    );
    state.insert("b64-url".into(), Value::string(format!("{prefix}{url}")));
    state.insert(
        "b64-std".into(),
        Value::string(format!("{prefix}{}", STANDARD.encode(bytes))),
    );
    state.insert(
        "dec".into(),
        Value::string(format!("{prefix}{}", to_decimal(bytes))),
    );
    state.insert("id".into(), Value::string(url));
}

/// Decodes a random-id import id: `B64URL` or `PREFIX,B64URL`.
pub(crate) fn parse_id_import(id: &str) -> Result<(Option<String>, Vec<u8>), ProviderError> {
    let (prefix, encoded) = match id.rsplit_once(',') {
        Some((prefix, encoded)) => (Some(prefix.to_string()), encoded),
        None => (None, id),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|e| {
            ProviderError::fatal(format!(
                "cannot import random-id {id:?}: not URL-safe base64 ({e})"
            ))
        })?;
    if bytes.is_empty() || bytes.len() > MAX_BYTE_LENGTH as usize {
        return Err(ProviderError::fatal(format!(
            "cannot import random-id {id:?}: it must decode to between 1 and {MAX_BYTE_LENGTH} bytes"
        )));
    }
    Ok((prefix, bytes))
}

/// A big-endian unsigned integer in decimal.
pub fn to_decimal(bytes: &[u8]) -> String {
    const CHUNK: u64 = 1_000_000_000;
    let mut digits: Vec<u32> = bytes.iter().map(|&b| b as u32).collect();
    let mut chunks: Vec<u64> = Vec::new();
    loop {
        let start = digits.iter().position(|&d| d != 0).unwrap_or(digits.len());
        digits.drain(..start);
        if digits.is_empty() {
            break;
        }
        let mut remainder: u64 = 0;
        for d in digits.iter_mut() {
            let current = remainder * 256 + *d as u64;
            *d = (current / CHUNK) as u32;
            remainder = current % CHUNK;
        }
        chunks.push(remainder);
    }
    let mut out = match chunks.pop() {
        None => return "0".to_string(),
        Some(top) => top.to_string(),
    };
    for chunk in chunks.iter().rev() {
        out.push_str(&format!("{chunk:09}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn decimal_matches_native_integers() {
        assert_eq!(to_decimal(&[]), "0");
        assert_eq!(to_decimal(&[0, 0]), "0");
        assert_eq!(to_decimal(&[1, 0]), "256");
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let n: u128 = rng.random::<u128>() >> rng.random_range(0..128);
            assert_eq!(to_decimal(&n.to_be_bytes()), n.to_string());
        }
        assert_eq!(to_decimal(&[0xff; 16]), u128::MAX.to_string());
    }

    #[test]
    fn generation_honours_minimums_with_a_tiny_pool() {
        let spec = StringSpec {
            length: 5,
            classes: vec![
                CharClass {
                    chars: vec!['a'],
                    min: 2,
                },
                CharClass {
                    chars: vec!['b'],
                    min: 3,
                },
            ],
        };
        let mut rng = StdRng::seed_from_u64(1);
        let s = generate_string(&spec, &mut rng);
        assert_eq!(s.chars().filter(|&c| c == 'a').count(), 2);
        assert_eq!(s.chars().filter(|&c| c == 'b').count(), 3);
    }

    #[test]
    fn import_id_accepts_prefix_and_padding() {
        let (prefix, bytes) = parse_id_import("web-,AAEC").unwrap();
        assert_eq!(prefix.as_deref(), Some("web-"));
        assert_eq!(bytes, vec![0, 1, 2]);
        assert_eq!(parse_id_import("AAE=").unwrap().1, vec![0, 1]);
        assert!(parse_id_import("").is_err());
        assert!(parse_id_import("***").is_err());
    }
}
