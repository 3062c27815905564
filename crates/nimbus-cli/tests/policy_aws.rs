//! The roadmap's policy example on the real binary against the AWS
//! emulator: deleting a bucket tagged `Environment=Production` is refused
//! (exit 3) with the rule and the bucket's location named, and the bucket
//! stays; the same bucket untagged is deleted.
//!
//! The emulator is NIMBUS_TEST_AWS_ENDPOINT (scripts/moto start). Without
//! it the test prints a notice and passes, except under CI=true.

mod common;

use common::*;
use std::time::{SystemTime, UNIX_EPOCH};

fn emulator_endpoint() -> Option<String> {
    aws_emulator("the AWS policy test")
}

const POLICY: &str = r#"(define-policy production-guardrails
  (deny "s3:DeleteBucket"
    (when (tag-equals "Environment" "Production")))
  (require-approval
    (when (cost-exceeds 1000))))
"#;

fn buckets(tags: &str) -> String {
    format!(
        r#"(define-variables (prefix (type string)))

(define-infrastructure guarded
  (provider localstack (region "us-east-1"))

  (resource s3-bucket "prod"
    (bucket-name (format "~a-prod" (var prefix)))
    (tags {tags})))
"#
    )
}

#[test]
fn deleting_a_production_bucket_is_refused_and_an_untagged_one_is_deleted() {
    let Some(endpoint) = emulator_endpoint() else {
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!(
        "np-{:x}-{:x}",
        (nanos / 1000) % 0xffff_ffff,
        std::process::id()
    );
    let mut w = Workdir::init_with(&buckets(r#"(Environment "Production")"#));
    w.set_env("NIMBUS_AWS_ENDPOINT", &endpoint);
    w.set_env("NIMBUS_VAR_prefix", &prefix);
    w.write("policy.nim", POLICY);
    let first = w.run(&["apply", "--auto-approve", "--no-color"]);
    first.success().no_panic();
    // A bucket without usage assumptions costs nothing known: the
    // approval rule does not fire, and nothing says it never can.
    assert!(!first.all_output().contains("always false"));
    assert_eq!(w.state_list(), ["s3-bucket.prod"]);

    // The bucket leaves the configuration: its deletion is refused.
    w.write("main.nim", "(define-variables (prefix (type string)))\n(define-infrastructure guarded (provider localstack (region \"us-east-1\")))\n");
    w.run(&["plan", "--no-color"])
        .code(3)
        .stderr_has("policy production-guardrails.deny (mandatory) fails: s3-bucket.prod (delete, s3:DeleteBucket)")
        .stderr_has("--> policy.nim:2:3");
    w.run(&["destroy", "--auto-approve", "--no-color"])
        .code(3)
        .no_panic();
    let check = w.run(&["policy", "check", "--json"]);
    check.code(3);
    let report = &check.events_of("policy_report")[0];
    assert_eq!(report["findings"][0]["rule"], "production-guardrails.deny");
    assert_eq!(report["findings"][0]["provider_action"], "s3:DeleteBucket");
    assert_eq!(w.state_list(), ["s3-bucket.prod"]);
    // Still there: the plan still sees it (no changes to make).
    w.write("main.nim", &buckets(r#"(Environment "Production")"#));
    w.run(&["plan", "--detailed-exitcode", "--no-color"])
        .success();

    // Untagged, the same bucket is deleted.
    w.write("main.nim", &buckets(r#"(Environment "Staging")"#));
    w.run(&["apply", "--auto-approve", "--no-color"]).success();
    w.run(&["destroy", "--auto-approve", "--no-color"])
        .success()
        .no_panic();
    assert!(w.state_list().is_empty());
}
