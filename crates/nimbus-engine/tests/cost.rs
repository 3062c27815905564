//! Cost estimates, cent-exact: every `tests/cost/*.json` case is a plan's
//! changes and a usage file, and its snapshot (`tests/snapshots/`) the
//! estimate as `nimbus cost` prints it. Adding a case is adding a file.
//!
//! A case is `{"usage": USAGE-FILE, "changes": [{"address", "type",
//! "action" (default "create"), "after"}]}`; in `after`, the string
//! `"<unknown>"` stands for a value known only after apply.

use nimbus_engine::cost::{CostModel, PriceTable, Usage};
use nimbus_engine::plan::{Action, ResourceChange};
use nimbus_value::Value;

fn value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::String(s) if s == "<unknown>" => Value::Unknown,
        serde_json::Value::Array(items) => Value::List(items.iter().map(value).collect()),
        serde_json::Value::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), value(v))).collect())
        }
        other => Value::from_json(other),
    }
}

fn action(name: &str) -> Action {
    match name {
        "create" => Action::Create,
        "update" => Action::Update,
        "replace" => Action::Replace,
        "delete" => Action::Delete,
        "no-op" => Action::NoOp,
        other => panic!("unknown action {other}"),
    }
}

fn run_case(text: &str) -> String {
    let case: serde_json::Value = serde_json::from_str(text).expect("a case is JSON");
    let usage = match case.get("usage") {
        Some(u) => Usage::parse("usage", &u.to_string()).expect("the case's usage reads"),
        None => Usage::default(),
    };
    let changes: Vec<ResourceChange> = case["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            let action = action(c.get("action").and_then(|a| a.as_str()).unwrap_or("create"));
            let after = (action != Action::Delete).then(|| value(&c["after"]));
            ResourceChange {
                address: c["address"].as_str().expect("address").to_string(),
                resource_type: c["type"].as_str().expect("type").to_string(),
                provider: "aws".to_string(),
                action,
                before: (action != Action::Create).then(|| value(&c["after"])),
                after,
                requires_replace: Vec::new(),
                sensitive_attributes: Vec::new(),
                create_before_destroy: false,
                reason: None,
                replace_triggered_by: None,
            }
        })
        .collect();
    let model = CostModel {
        table: PriceTable::shipped(),
        usage,
    };
    let estimate = model.estimate(&changes);
    format!(
        "{}\ntotal_cents: {}\nunpriced: {}\n",
        estimate.render(),
        estimate.total_cents,
        estimate.unpriced
    )
}

#[test]
fn cost_cases() {
    insta::glob!("cost/*.json", |path| {
        let text = std::fs::read_to_string(path).expect("a case file");
        insta::assert_snapshot!(run_case(&text));
    });
}
