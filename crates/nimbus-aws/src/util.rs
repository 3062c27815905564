//! The provider toolkit's attribute readers and object helpers as the
//! resource types use them, plus value building, tag differences and
//! percent-decoding.

use nimbus_provider::nimbus_value::Value;
use std::collections::BTreeMap;

pub(crate) use nimbus_provider::attrs::{
    attr, bool_or, object_list, opt_bool, opt_i32, opt_i64, opt_str, req_str, string_list,
    string_map,
};
pub(crate) use nimbus_provider::planning::{Object, normalize, object_from};

pub(crate) fn map_value(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// A JSON object of strings (tags in an AWS answer) as a sorted map;
/// anything else is empty.
pub(crate) fn json_string_map(json: &serde_json::Value) -> BTreeMap<String, String> {
    json.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn str_value(s: Option<impl Into<String>>) -> Value {
    s.map(|s| Value::String(s.into())).unwrap_or(Value::Null)
}

/// Keys to remove and pairs to set to go from one tag map to another.
pub(crate) fn tag_diff(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (removed, set)
}

/// Percent-decoding, for the URL-encoded policy documents IAM returns
/// (`+` stays: IAM encodes spaces as `%20`).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("x+y%20z"), "x+y z");
    }

    #[test]
    fn tag_differences() {
        let old: BTreeMap<String, String> =
            [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        let new: BTreeMap<String, String> =
            [("b".into(), "3".into()), ("c".into(), "4".into())].into();
        let (removed, set) = tag_diff(&old, &new);
        assert_eq!(removed, vec!["a".to_string()]);
        assert_eq!(set.len(), 2);
    }
}
