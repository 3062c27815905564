//! JSON documents (IAM policies, bucket policies, filter policies) given
//! either as a JSON string or as a map, compared by meaning rather than by
//! spelling: AWS reformats documents, reorders lists and turns one-element
//! lists into scalars, none of which is a change.

use crate::util::percent_decode;
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::Value;

/// The document as JSON text to send to AWS.
pub(crate) fn document_text(value: &Value, name: &str) -> Result<Option<String>, ProviderError> {
    match value.peel() {
        Value::Null => Ok(None),
        Value::Unknown => {
            Err(ProviderError::fatal(format!("`{name}` is not known yet")).on_attribute(name))
        }
        Value::String(s) => {
            serde_json::from_str::<serde_json::Value>(s).map_err(|e| {
                ProviderError::fatal(format!("`{name}` is not valid JSON: {e}")).on_attribute(name)
            })?;
            Ok(Some(s.clone()))
        }
        Value::Map(_) => Ok(Some(value.to_json().to_string())),
        other => Err(ProviderError::fatal(format!(
            "`{name}` must be a JSON string or a map, found {}",
            other.kind_name()
        ))
        .on_attribute(name)),
    }
}

/// Checks a configured document without sending it (unknown is fine).
pub(crate) fn check_document(value: &Value, name: &str) -> Option<ProviderError> {
    if !value.is_wholly_known() {
        return None;
    }
    document_text(value, name).err()
}

/// Parses a document as AWS returns it (possibly URL-encoded).
pub(crate) fn parse_returned(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_json::from_str(&percent_decode(text)).ok())
}

fn as_json(value: &Value) -> Option<serde_json::Value> {
    match value.peel() {
        Value::String(s) => parse_returned(s),
        Value::Map(_) | Value::List(_) => Some(value.to_json()),
        _ => None,
    }
}

/// The canonical form: one-element lists as their element, lists sorted,
/// numbers and booleans as strings (IAM returns `"true"` for `true`).
fn canonical(json: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match json {
        J::Array(items) => {
            let mut items: Vec<J> = items.iter().map(canonical).collect();
            if items.len() == 1 {
                return items.pop().unwrap_or(J::Null);
            }
            items.sort_by_key(|v| v.to_string());
            items.dedup();
            J::Array(items)
        }
        J::Object(map) => {
            let mut sorted: Vec<(&String, &J)> = map.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            J::Object(
                sorted
                    .into_iter()
                    .map(|(k, v)| (k.clone(), canonical(v)))
                    .collect(),
            )
        }
        J::Number(n) => J::String(n.to_string()),
        J::Bool(b) => J::String(b.to_string()),
        other => other.clone(),
    }
}

/// Whether two documents (string or map) mean the same.
pub(crate) fn equivalent(a: &Value, b: &Value) -> bool {
    match (as_json(a), as_json(b)) {
        (Some(a), Some(b)) => canonical(&a) == canonical(&b),
        _ => a == b,
    }
}

/// The value to store for a document read from AWS: the prior value when it
/// means the same (so no change shows), else the returned document in the
/// prior's form (a map stays a map).
pub(crate) fn observed(prior: &Value, returned: Option<&str>) -> Value {
    let Some(text) = returned else {
        return Value::Null;
    };
    let Some(json) = parse_returned(text) else {
        return Value::string(text);
    };
    let fresh = Value::string(json.to_string());
    if !prior.is_null() && equivalent(prior, &fresh) {
        return prior.clone();
    }
    match prior.peel() {
        Value::Map(_) => Value::from_json(&json),
        _ => fresh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_compare_by_meaning() {
        let a = Value::string(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#,
        );
        let b = Value::string(
            r#"{ "Statement": { "Resource": ["*"], "Action": "s3:GetObject", "Effect": "Allow" }, "Version": "2012-10-17" }"#,
        );
        assert!(equivalent(&a, &b));
        let c = Value::string(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#,
        );
        assert!(!equivalent(&a, &c));
        let map = Value::from_json(&serde_json::from_str(a.as_str().unwrap()).unwrap());
        assert!(equivalent(&map, &b));
        let encoded = Value::string("%7B%22a%22%3A%5B1%5D%7D");
        assert!(equivalent(&encoded, &Value::string(r#"{"a":"1"}"#)));
    }

    #[test]
    fn observed_keeps_the_prior_spelling() {
        let prior = Value::string(r#"{"a": ["x"]}"#);
        assert_eq!(observed(&prior, Some(r#"{"a":"x"}"#)), prior);
        assert_eq!(
            observed(&prior, Some(r#"{"a":"y"}"#)),
            Value::string(r#"{"a":"y"}"#)
        );
        let map = Value::Map([("a".to_string(), Value::string("x"))].into());
        assert_eq!(
            observed(&map, Some(r#"{"a":"y"}"#)),
            Value::Map([("a".to_string(), Value::string("y"))].into())
        );
        assert_eq!(observed(&Value::Null, None), Value::Null);
        assert!(
            document_text(&Value::string("{"), "policy")
                .unwrap_err()
                .attribute
                .is_some()
        );
    }
}
