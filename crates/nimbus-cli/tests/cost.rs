//! `nimbus cost` on the real binary: a configuration of AWS resources,
//! planned without credentials or an emulator (planning a create calls
//! no AWS API), priced from the shipped table and a usage file; a saved
//! plan; `--prices` and the stale-table warning; `--json`; and
//! `cost-exceeds` in a policy, firing and not, on the same numbers.

mod common;

use common::*;

const SHOP: &str = r#"(define-infrastructure shop
  (provider aws (region "us-east-1"))
  (resource s3-bucket "assets" (bucket-name "shop-assets"))
  (resource dynamodb-table "orders"
    (name "orders") (hash-key "id") (attribute (name "id") (type "S"))
    (billing-mode "PROVISIONED") (read-capacity 100) (write-capacity 100))
  (resource sqs-queue "jobs" (name "jobs.fifo") (fifo #t))
  (resource lambda "api"
    (function-name "api") (role "arn:aws:iam::123456789012:role/api")
    (runtime "python3.12") (handler "index.handler") (memory-size 256)
    (code-uri "api")))
"#;

const USAGE: &str = r#"{
  "types": { "sqs-queue": { "requests": 2000000 } },
  "resources": {
    "s3-bucket.assets": { "storage_gb": 100, "put_requests": 10000 },
    "lambda.api": { "requests": 4000000, "average_duration_ms": 150 }
  }
}"#;

fn shop() -> Workdir {
    let w = Workdir::init_with(SHOP);
    w.write(
        "api/index.py",
        "def handler(event, context):\n    return 1\n",
    );
    w.write("nimbus-usage.json", USAGE);
    w
}

// write capacity: 100 x 730 h x $0.00065 = $47.45
// read capacity: 100 x 730 h x $0.00013 = $9.49
// S3: 100 GB x $0.023 = $2.30; 10,000 PUTs at $0.005 / 1,000 = $0.05
// SQS FIFO: 2M at $0.50 / M = $1.00
// Lambda: 4M requests at $0.20 / M = $0.80;
//   4M x 0.15 s x 0.25 GB = 150,000 GB-s at $0.0000166667 = $2.50
// Total: $63.59.
#[test]
fn cost_prices_a_plan_of_aws_resources_from_the_table_and_the_usage_file() {
    let w = shop();
    let run = w.run(&["cost", "--no-color"]);
    run.success()
        .no_panic()
        .stdout_has("price table as of 2025-06-01")
        .stdout_has("$47.45  73,000 WCU-hours: 73,000 at 0.00065  [dynamodb.provisioned.write]")
        .stdout_has("$9.49  73,000 RCU-hours")
        .stdout_has("$2.30  100 GB-month: 100 at 0.023  [s3.storage.standard]")
        .stdout_has("$0.05  10,000 requests: 10,000 at 0.005 per 1,000  [s3.requests.put]")
        .stdout_has(
            "$1.00  2,000,000 requests: 2,000,000 at 0.5 per 1,000,000  [sqs.fifo.requests]",
        )
        .stdout_has("$2.50  150,000 GB-seconds: 150,000 at 0.0000166667  [lambda.duration.x86_64]")
        .stdout_has("GET/SELECT             depends on usage (set get_requests in the usage file)")
        .stdout_has("storage                depends on usage (set storage_gb in the usage file)")
        .stdout_has("Total: $63.59 a month, plus 2 items that depend on usage")
        .stdout_has("list prices, region us-east-1");
    assert!(!run.stdout.contains("$0.00"), "{}", run.stdout);

    let json = w.run(&["cost", "--json"]);
    json.success();
    let estimate = &json.events_of("cost_estimate")[0];
    assert_eq!(estimate["total_cents"], 6359);
    assert_eq!(estimate["total"], "$63.59");
    assert_eq!(estimate["unpriced"], 2);
    let unpriced: Vec<(&str, &str)> = estimate["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "depends-on-usage")
        .map(|l| (l["address"].as_str().unwrap(), l["item"].as_str().unwrap()))
        .collect();
    assert_eq!(
        unpriced,
        [
            ("dynamodb-table.orders", "storage"),
            ("s3-bucket.assets", "GET/SELECT")
        ]
    );
    let rows: Vec<&str> = estimate["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "priced")
        .map(|l| l["row"].as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 7);
}

#[test]
fn a_saved_plan_is_priced_as_planned() {
    let w = shop();
    w.run(&["plan", "-out", "shop.plan", "--no-color"])
        .success();
    // The usage given now applies to the saved plan's changes.
    w.write("nimbus-usage.json", "{}");
    w.run(&["cost", "shop.plan", "--no-color"])
        .success()
        .stdout_has("Total: $56.94 a month, plus 7 items that depend on usage");
}

#[test]
fn another_price_table_and_usage_file_can_be_given_and_an_old_table_is_flagged() {
    let w = shop();
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../nimbus-engine/prices/aws-us-east-1.json"
    ))
    .unwrap();
    let old = shipped
        .replace("\"as_of\": \"2025-06-01\"", "\"as_of\": \"2000-01-01\"")
        .replace("\"price\": \"0.00065\"", "\"price\": \"0.001\"");
    w.write("old-prices.json", &old);
    w.write(
        "other-usage.json",
        r#"{"resources": {"dynamodb-table.orders": {"storage_gb": 4}}}"#,
    );
    w.run(&[
        "cost",
        "--prices",
        "old-prices.json",
        "--usage",
        "other-usage.json",
        "--no-color",
    ])
    .success()
    .stdout_has("price table as of 2000-01-01")
    .stdout_has("$73.00  73,000 WCU-hours: 73,000 at 0.001  [dynamodb.provisioned.write]")
    .stdout_has("$1.00  4 GB-month: 4 at 0.25  [dynamodb.storage]")
    .stderr_has("warning: the price table is")
    .stderr_has("days old (as of 2000-01-01)");

    w.write(
        "bad-usage.json",
        r#"{"types": {"s3-bucket": {"storage": 5}}}"#,
    );
    w.run(&["cost", "--usage", "bad-usage.json", "--no-color"])
        .code(1)
        .no_panic()
        .stderr_has("bad-usage.json: types.s3-bucket: unknown usage `storage`");
    w.write("bad-prices.json", r#"{"header": "h"}"#);
    w.run(&["cost", "--prices", "bad-prices.json", "--no-color"])
        .code(1)
        .no_panic()
        .stderr_has("bad-prices.json: missing field");
}

fn approval_policy(limit: u32) -> String {
    format!("(define-policy guard\n  (require-approval\n    (when (cost-exceeds {limit}))))\n")
}

#[test]
fn cost_exceeds_in_a_policy_reads_the_same_estimate() {
    let w = shop();
    // $63.59 a month: over 60, under 64.
    w.write("policy.nim", &approval_policy(60));
    w.run(&["plan", "--no-color"])
        .code(3)
        .no_panic()
        .stderr_has("policy guard.require-approval (soft-mandatory) fails: dynamodb-table.orders (create, dynamodb:CreateTable)");
    let check = w.run(&["policy", "check", "--json"]);
    check.code(3);
    assert_eq!(
        check.events_of("policy_report")[0]["findings"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    w.write("policy.nim", &approval_policy(64));
    let passes = w.run(&["plan", "--no-color"]);
    passes.success().no_panic();
    assert!(!passes.all_output().contains("guard.require-approval"));
    assert!(!passes.all_output().contains("always false"));

    // Without the usage file only the provisioned capacity is priced
    // ($56.94): under 60, the rule does not fire.
    w.write("policy.nim", &approval_policy(60));
    std::fs::remove_file(w.path().join("nimbus-usage.json")).unwrap();
    w.run(&["policy", "check", "--no-color"]).success();

    // A usage file that does not read fails runs with policies (their
    // numbers would be wrong), and only those.
    w.write("nimbus-usage.json", "{");
    w.run(&["plan", "--no-color"])
        .code(1)
        .stderr_has("nimbus-usage.json: EOF while parsing");
    std::fs::remove_file(w.path().join("policy.nim")).unwrap();
    w.run(&["plan", "--no-color"]).success();
}

#[test]
fn cost_diff_of_a_first_plan_prices_every_create_against_nothing() {
    let w = shop();
    let run = w.run(&["cost", "diff", "--no-color"]);
    run.success()
        .no_panic()
        .stdout_has("Monthly cost diff (USD; price table as of 2025-06-01)")
        .stdout_has("create   dynamodb-table.orders")
        .stdout_has("$0.00 -> $56.94")
        .stdout_has("Total: $0.00 -> $63.59 a month (+$63.59), leaving out 2 items");

    // A saved plan, and the JSON event with exact cents.
    w.run(&["plan", "-out", "shop.plan", "--no-color"])
        .success();
    let json = w.run(&["cost", "diff", "shop.plan", "--json"]);
    json.success();
    let diff = &json.events_of("cost_diff")[0];
    assert_eq!(diff["before_cents"], 0);
    assert_eq!(diff["after_cents"], 6359);
    assert_eq!(diff["delta"], "+$63.59");
    assert_eq!(diff["rows"].as_array().map(Vec::len), Some(4), "{diff:#}");

    // `cost diff` takes the same options as `cost`.
    w.run(&["cost", "diff", "--usage", "missing.json"])
        .code(1)
        .no_panic()
        .stderr_has("missing.json");
}

/// On the AWS emulator: after an apply, raising a table's read capacity
/// and removing a queue move the monthly cost by each change's delta.
#[test]
fn cost_diff_prices_updates_and_deletes_against_the_state() {
    let Some(endpoint) = aws_emulator("the cost diff test against the emulator") else {
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let suffix = format!("{:x}{:x}", nanos % 0xffff_ffff, std::process::id());
    let config = |read_capacity: u32, queue: bool| {
        let queue = if queue {
            format!(r#"(resource sqs-queue "jobs" (name "jobs-{suffix}.fifo") (fifo #t))"#)
        } else {
            String::new()
        };
        format!(
            r#"(provider localstack (region "us-east-1"))
(resource dynamodb-table "orders"
  (name "orders-{suffix}") (hash-key "id") (attribute (name "id") (type "S"))
  (billing-mode "PROVISIONED") (read-capacity {read_capacity}) (write-capacity 100))
{queue}
"#
        )
    };
    let mut w = Workdir::init_with(&config(100, true));
    w.set_env("NIMBUS_AWS_ENDPOINT", &endpoint);
    w.write("nimbus-usage.json", USAGE);
    w.run(&["apply", "--auto-approve", "--no-color"]).success();
    // Nothing changes: nothing to list, and the totals are the state's.
    w.run(&["cost", "diff", "--no-color"])
        .success()
        .stdout_has("No change of cost.")
        .stdout_has("Total: $57.94 -> $57.94 a month ($0.00)");

    w.write("main.nim", &config(200, false));
    let run = w.run(&["cost", "diff", "--no-color"]);
    run.success()
        .no_panic()
        .stdout_has("update   dynamodb-table.orders")
        .stdout_has("$56.94 -> $66.43")
        .stdout_has("+$9.49")
        .stdout_has("delete   sqs-queue.jobs")
        .stdout_has("-$1.00")
        .stdout_has("Total: $57.94 -> $66.43 a month (+$8.49)");
    w.write("main.nim", &config(100, false));
    w.run(&["destroy", "--auto-approve", "--no-color"])
        .success();
}
