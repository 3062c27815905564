//! Resource changes written as JSON, for the data-driven tests that check
//! a plan's changes without planning them (cost estimates, policies).
//! In a value, the string `"<unknown>"` stands for a value known only
//! after apply.

use nimbus_engine::plan::{Action, ResourceChange};
use nimbus_value::Value;

pub fn value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::String(s) if s == "<unknown>" => Value::Unknown,
        serde_json::Value::Array(items) => Value::List(items.iter().map(value).collect()),
        serde_json::Value::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), value(v))).collect())
        }
        other => Value::from_json(other),
    }
}

pub fn action(name: &str) -> Action {
    match name {
        "create" => Action::Create,
        "update" => Action::Update,
        "replace" => Action::Replace,
        "delete" => Action::Delete,
        "no-op" => Action::NoOp,
        other => panic!("unknown action {other}"),
    }
}

/// `{"address", "type", "action" (default "create"), "after", "before"}`:
/// a deletion's object is `after` unless `before` is given, an update's
/// prior object is `before`, else `after`.
pub fn change(json: &serde_json::Value) -> ResourceChange {
    let action = action(
        json.get("action")
            .and_then(|a| a.as_str())
            .unwrap_or("create"),
    );
    let before = json.get("before").unwrap_or(&json["after"]);
    ResourceChange {
        address: json["address"].as_str().expect("address").to_string(),
        resource_type: json["type"].as_str().expect("type").to_string(),
        provider: "aws".to_string(),
        action,
        before: (action != Action::Create).then(|| value(before)),
        after: (action != Action::Delete).then(|| value(&json["after"])),
        requires_replace: Vec::new(),
        sensitive_attributes: Vec::new(),
        create_before_destroy: false,
        reason: None,
        replace_triggered_by: None,
    }
}
