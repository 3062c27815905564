//! random-id, random-string, random-password, random-integer,
//! random-shuffle and random-uuid (random-pet is in `pet`).

use crate::kinds::Dialect;
use crate::schema::{DEFAULT_SPECIAL, MAX_BYTE_LENGTH, MAX_SHUFFLE_RESULTS, MAX_STRING_LENGTH};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use nimbus_provider::ProviderError;
use nimbus_provider::attrs::{
    AttrError, Field, Problem, attr, bool_field, int_field, string_field, string_list,
};
use nimbus_provider::nimbus_value::Value;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
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
/// In Terraform's dialect `number` and `numeric` are one setting under two
/// names: an unset one takes the other's value.
pub(crate) fn string_defaults(dialect: Dialect, config: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (flag, min) in CLASSES {
        out.push((flag, Value::Bool(true)));
        out.push((min, Value::int(0)));
    }
    if dialect == Dialect::Terraform {
        let set = |name: &str| match bool_field(config, name) {
            Ok(Field::Set(b)) => Some(b),
            _ => None,
        };
        let numeric = set("numeric").or(set("number")).unwrap_or(true);
        out.retain(|(name, _)| *name != "numeric");
        out.push(("numeric", Value::Bool(numeric)));
        out.push(("number", Value::Bool(numeric)));
    }
    out
}

/// One character class of a random string.
#[derive(Debug, Clone, PartialEq)]
pub struct CharClass {
    pub chars: Vec<char>,
    pub min: usize,
    /// Whether characters beyond the minimum may come from this class
    /// (false for a disabled class with a minimum, which only Terraform's
    /// dialect allows).
    pub in_pool: bool,
}

/// What a random string must look like.
#[derive(Debug, Clone, PartialEq)]
pub struct StringSpec {
    pub length: usize,
    /// Non-empty classes that are enabled or have a minimum.
    pub classes: Vec<CharClass>,
}

/// Checks a random-string/random-password configuration. Unknown values
/// are skipped. Returns the errors, and the spec when everything is known
/// and valid.
pub(crate) fn analyse_string(
    object: &Value,
    dialect: Dialect,
) -> (Vec<ProviderError>, Option<StringSpec>) {
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
        let mut enabled = match bool_field(object, flag) {
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
        if flag == "numeric" && dialect == Dialect::Terraform {
            match (bool_field(object, "number"), bool_field(object, "numeric")) {
                (Ok(Field::Set(number)), Ok(Field::Set(numeric))) if number != numeric => errors
                    .push(
                        ProviderError::fatal(
                            "`number` and `numeric` are one setting: give them the same value",
                        )
                        .on_attribute("number"),
                    ),
                (Ok(Field::Set(number)), Ok(Field::Null)) => enabled = Some(number),
                (Ok(Field::Unknown), _) => {
                    complete = false;
                    enabled = None;
                }
                (Err(e), _) => errors.push(e.into()),
                _ => {}
            }
        }
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
        if let (Some(false), Some(m), Dialect::Nimbus) = (enabled, min, dialect)
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
        let min = min.unwrap_or(0).max(0) as usize;
        match (enabled, &chars) {
            (Some(true), Some(chars)) if !chars.is_empty() => {
                any_enabled = true;
                classes.push(CharClass {
                    chars: chars.clone(),
                    min,
                    in_pool: true,
                });
            }
            (Some(false), Some(chars)) if !chars.is_empty() && min > 0 => {
                classes.push(CharClass {
                    chars: chars.clone(),
                    min,
                    in_pool: false,
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
pub(crate) fn string_spec(object: &Value, dialect: Dialect) -> Result<StringSpec, ProviderError> {
    let (errors, spec) = analyse_string(object, dialect);
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    spec.ok_or_else(|| {
        ProviderError::fatal("the configuration of the random string is not known yet")
    })
}

/// Generates a string of `spec.length` characters with at least `min`
/// characters of each class, the rest drawn uniformly from the union of the
/// classes in the pool, then shuffled.
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
        .filter(|c| c.in_pool)
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
pub(crate) fn imported_string(
    result: &str,
    password: bool,
    dialect: Dialect,
) -> BTreeMap<String, Value> {
    let mut state: BTreeMap<String, Value> = string_defaults(dialect, &Value::Null)
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

/// Cost of the bcrypt hash of random-password's `bcrypt-hash` (Go's
/// default, which Terraform's random provider uses).
const BCRYPT_COST: u32 = 10;

/// The bcrypt hash of a password (its first 72 bytes, as bcrypt reads).
pub(crate) fn bcrypt_hash(password: &str) -> Result<String, ProviderError> {
    bcrypt::hash(password, BCRYPT_COST)
        .map_err(|e| ProviderError::fatal(format!("cannot hash the password with bcrypt: {e}")))
}

/// A generator derived from `seed` alone: ChaCha20 keyed with the seed's
/// SHA-256, whose output does not depend on the platform or the `rand`
/// version.
pub(crate) fn seeded(seed: &str) -> ChaCha20Rng {
    use sha2::{Digest, Sha256};
    ChaCha20Rng::from_seed(Sha256::digest(seed.as_bytes()).into())
}

/// A uniform integer in `0..=span`, by rejection from whole 64-bit words
/// (the same words give the same result whatever `rand` does).
pub(crate) fn uniform<R: RngCore + ?Sized>(rng: &mut R, span: u64) -> u64 {
    let Some(n) = span.checked_add(1) else {
        return rng.next_u64();
    };
    // Words below `2^64 mod n` would make small results likelier.
    let threshold = n.wrapping_neg() % n;
    loop {
        let word = rng.next_u64();
        if word >= threshold {
            return word % n;
        }
    }
}

/// Checks a random-integer configuration; the range when known and valid.
pub(crate) fn analyse_integer(object: &Value) -> (Vec<ProviderError>, Option<(i64, i64)>) {
    let mut errors = Vec::new();
    let mut read = |name: &str| match int_field(object, name) {
        Ok(Field::Set(n)) => Some(n),
        Ok(Field::Null) => {
            errors.push(ProviderError::fatal(format!("`{name}` is required")).on_attribute(name));
            None
        }
        Ok(Field::Unknown) => None,
        Err(e) => {
            errors.push(e.into());
            None
        }
    };
    let (min, max) = (read("min"), read("max"));
    if let Err(e) = string_field(object, "seed") {
        errors.push(e.into());
    }
    match (min, max) {
        (Some(min), Some(max)) if min > max => {
            errors.push(
                ProviderError::fatal(format!(
                    "`min` ({min}) must not be greater than `max` ({max})"
                ))
                .on_attribute("min"),
            );
            (errors, None)
        }
        (Some(min), Some(max)) => (errors, Some((min, max))),
        _ => (errors, None),
    }
}

/// A random integer in `min..=max`, from the seed when there is one.
pub(crate) fn integer<R: RngCore + ?Sized>(
    min: i64,
    max: i64,
    seed: Option<&str>,
    rng: &mut R,
) -> i64 {
    let span = (max as i128 - min as i128) as u64;
    let offset = match seed {
        Some(seed) => uniform(&mut seeded(seed), span),
        None => uniform(rng, span),
    };
    (min as i128 + offset as i128) as i64
}

/// Sets `result` and `id` of a random-integer.
pub(crate) fn fill_integer(state: &mut BTreeMap<String, Value>, result: i64) {
    state.insert("result".into(), Value::int(result));
    state.insert("id".into(), Value::string(result.to_string()));
}

/// Decodes a random-integer import id: `RESULT,MIN,MAX[,SEED]`.
pub(crate) fn parse_integer_import(id: &str) -> Result<(i64, i64, i64, Option<String>), String> {
    let parts: Vec<&str> = id.splitn(4, ',').collect();
    if parts.len() < 3 {
        return Err("expected RESULT,MIN,MAX or RESULT,MIN,MAX,SEED".to_string());
    }
    let number = |what: &str, text: &str| {
        text.trim()
            .parse::<i64>()
            .map_err(|_| format!("the {what} {text:?} is not a whole number"))
    };
    let (result, min, max) = (
        number("result", parts[0])?,
        number("min", parts[1])?,
        number("max", parts[2])?,
    );
    if !(min..=max).contains(&result) {
        return Err(format!("{result} is not between {min} and {max}"));
    }
    Ok((result, min, max, parts.get(3).map(|s| s.to_string())))
}

/// Checks a random-shuffle configuration; `(input, count)` when known and
/// valid.
pub(crate) fn analyse_shuffle(
    object: &Value,
) -> (Vec<ProviderError>, Option<(Vec<String>, usize)>) {
    let mut errors = Vec::new();
    let input = match attr(object, "input").peel() {
        Value::Unknown => None,
        Value::Null => {
            errors.push(ProviderError::fatal("`input` is required").on_attribute("input"));
            None
        }
        _ => match string_list(object, "input") {
            Ok(items) => Some(items),
            Err(AttrError {
                problem: Problem::Unknown,
                ..
            }) => None,
            Err(e) => {
                errors.push(e.into());
                None
            }
        },
    };
    let count = match int_field(object, "result-count") {
        Ok(Field::Set(n)) if !(0..=MAX_SHUFFLE_RESULTS).contains(&n) => {
            errors.push(
                ProviderError::fatal(format!(
                    "`result-count` must be between 0 and {MAX_SHUFFLE_RESULTS}, found {n}"
                ))
                .on_attribute("result-count"),
            );
            None
        }
        Ok(Field::Set(n)) => Some(Some(n as usize)),
        Ok(Field::Null) => Some(None),
        Ok(Field::Unknown) => None,
        Err(e) => {
            errors.push(e.into());
            None
        }
    };
    if let Err(e) = string_field(object, "seed") {
        errors.push(e.into());
    }
    let spec = match (input, count) {
        (Some(input), Some(count)) if errors.is_empty() => {
            let count = match count {
                Some(n) if n > 0 => n,
                _ => input.len(),
            };
            Some((input, count))
        }
        _ => None,
    };
    (errors, spec)
}

/// `count` items of `input` in random order: one permutation after
/// another until there are enough (Terraform's rule); from the seed when
/// there is one.
pub(crate) fn shuffle<R: RngCore>(
    input: &[String],
    count: usize,
    seed: Option<&str>,
    rng: &mut R,
) -> Vec<String> {
    let mut seeded_rng = seed.map(seeded);
    let rng: &mut dyn RngCore = match &mut seeded_rng {
        Some(seeded) => seeded,
        None => rng,
    };
    let mut out = Vec::with_capacity(count);
    if input.is_empty() {
        return out;
    }
    while out.len() < count {
        let mut order: Vec<usize> = (0..input.len()).collect();
        for i in (1..order.len()).rev() {
            let j = uniform(&mut *rng, i as u64) as usize;
            order.swap(i, j);
        }
        out.extend(order.into_iter().map(|i| input[i].clone()));
    }
    out.truncate(count);
    out
}

/// A version 4 UUID from the random source.
pub(crate) fn uuid_v4<R: RngCore + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
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
                    in_pool: true,
                },
                CharClass {
                    chars: vec!['b'],
                    min: 3,
                    in_pool: false,
                },
            ],
        };
        let mut rng = StdRng::seed_from_u64(1);
        let s = generate_string(&spec, &mut rng);
        assert_eq!(s.chars().filter(|&c| c == 'a').count(), 2);
        assert_eq!(s.chars().filter(|&c| c == 'b').count(), 3);
    }

    #[test]
    fn uniform_covers_its_range_and_the_full_word() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut seen = [0u32; 3];
        for _ in 0..3000 {
            seen[uniform(&mut rng, 2) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
        assert_eq!(uniform(&mut rng, 0), 0);
        let _ = uniform(&mut rng, u64::MAX);
        assert_eq!(integer(i64::MIN, i64::MAX, Some("s"), &mut rng), {
            integer(i64::MIN, i64::MAX, Some("s"), &mut rng)
        });
        for _ in 0..100 {
            assert!((-3..=3).contains(&integer(-3, 3, None, &mut rng)));
        }
        assert_eq!(integer(7, 7, None, &mut rng), 7);
    }

    #[test]
    fn seeded_results_are_fixed() {
        // The same seed gives the same words on every platform and release.
        let mut a = seeded("nimbus");
        assert_eq!(a.next_u64(), seeded("nimbus").next_u64());
        assert_ne!(seeded("nimbus").next_u64(), seeded("other").next_u64());
        let input: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let mut rng = StdRng::seed_from_u64(1);
        let once = shuffle(&input, 4, Some("k"), &mut rng);
        assert_eq!(once, shuffle(&input, 4, Some("k"), &mut rng));
        let mut sorted = once.clone();
        sorted.sort();
        assert_eq!(sorted, input);
        let long = shuffle(&input, 10, None, &mut rng);
        assert_eq!(long.len(), 10);
        for item in &input {
            let n = long.iter().filter(|x| *x == item).count();
            assert!((2..=3).contains(&n), "{item} appears {n} times in {long:?}");
        }
        assert!(shuffle(&[], 3, None, &mut rng).is_empty());
    }

    #[test]
    fn integer_import_ids() {
        assert_eq!(parse_integer_import("5,1,9"), Ok((5, 1, 9, None)));
        assert_eq!(
            parse_integer_import("5,1,9,a,b"),
            Ok((5, 1, 9, Some("a,b".to_string())))
        );
        assert!(parse_integer_import("5,1").is_err());
        assert!(parse_integer_import("x,1,9").is_err());
        assert!(parse_integer_import("10,1,9").is_err());
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
