//! Cost estimates, cent-exact: every `tests/cost/*.json` case is a plan's
//! changes and a usage file, and its snapshot (`tests/snapshots/`) the
//! estimate as `nimbus cost` prints it, then the diff as `nimbus cost
//! diff` prints it. Adding a case is adding a file.
//!
//! A case is `{"usage": USAGE-FILE, "changes": [{"address", "type",
//! "action" (default "create"), "after", "before"}]}` (see
//! `support/changes.rs` for which side a change has); in a value, the string
//! `"<unknown>"` stands for a value known only after apply.

#[path = "support/changes.rs"]
mod changes;

use nimbus_engine::cost::{CostModel, PriceTable, Usage};
use nimbus_engine::plan::ResourceChange;

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
        .map(changes::change)
        .collect();
    let model = CostModel {
        table: PriceTable::shipped(),
        usage,
    };
    let estimate = model.estimate(&changes);
    let diff = model.diff(&changes);
    format!(
        "{}\ntotal_cents: {}\nunpriced: {}\n\n{}\nbefore_cents: {}\nafter_cents: {}\ndelta_cents: {}\nunpriced: {}\n",
        estimate.render(),
        estimate.total_cents,
        estimate.unpriced,
        diff.render(),
        diff.before_cents,
        diff.after_cents,
        diff.delta_cents,
        diff.unpriced,
    )
}

#[test]
fn cost_cases() {
    insta::glob!("cost/*.json", |path| {
        let text = std::fs::read_to_string(path).expect("a case file");
        insta::assert_snapshot!(run_case(&text));
    });
}
