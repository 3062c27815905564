//! `nimbus show PLANFILE`: a saved plan shown again, as text or as
//! Terraform's JSON plan document (what `terraform show -json` prints), on
//! the real binary. The document is for tools that read Terraform's plans,
//! so it must describe the plan beside the configuration it was made from,
//! and never carry a secret.

mod common;

use common::*;
use serde_json::Value as Json;

const CONFIG: &str = r#"(define-variables
  (pw (type string) (default "Hunter2Secret") (sensitive #t))
  (region (type string) (default "eu-west-1")))
(resource null-resource "a" (triggers (pw (var pw)) (size "1")))
(resource terraform-data "b" (input "plain"))
(output "secret" (value (var pw)) (sensitive #t))
"#;

/// A working directory with CONFIG initialised and a plan saved as
/// `tf.plan`.
fn planned() -> Workdir {
    let w = Workdir::init_with(CONFIG);
    w.run(&["plan", "--out", "tf.plan"]).success();
    w
}

/// Asserts that the run failed saying `what`: on stderr as text, or as a
/// diagnostic event on stdout with `--json`.
#[track_caller]
fn refused(run: &Run, what: &str) {
    run.failure().no_panic();
    assert!(run.all_output().contains(what), "{}", run.all_output());
    assert!(!run.stdout.contains("format_version"), "{}", run.stdout);
}

fn document(run: &Run) -> Json {
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "show --json did not print one JSON document ({e}):\n{}",
            run.stdout
        )
    })
}

#[test]
fn json_is_terraforms_plan_document_without_secrets() {
    let w = planned();
    let run = w.run(&["show", "--json", "tf.plan"]);
    run.success().no_panic();
    assert!(
        !run.all_output().contains("Hunter2"),
        "{}",
        run.all_output()
    );
    let doc = document(&run);
    assert_eq!(doc["format_version"], "1.2");
    let changes = doc["resource_changes"]
        .as_array()
        .expect("resource_changes");
    let mut seen: Vec<(String, Json)> = changes
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap_or("").to_string(),
                c["change"]["actions"].clone(),
            )
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            ("null_resource.a".to_string(), serde_json::json!(["create"])),
            (
                "terraform_data.b".to_string(),
                serde_json::json!(["create"])
            ),
        ],
        "{doc:#}"
    );
    // The secret is null, and marked where it was.
    let a = changes
        .iter()
        .find(|c| c["address"] == "null_resource.a")
        .expect("null_resource.a");
    assert_eq!(a["change"]["after"]["triggers"]["pw"], Json::Null, "{a:#}");
    assert_eq!(
        a["change"]["after_sensitive"]["triggers"]["pw"], true,
        "{a:#}"
    );
    assert_eq!(a["change"]["after"]["triggers"]["size"], "1", "{a:#}");
    assert_eq!(
        doc["output_changes"]["secret"]["after_sensitive"], true,
        "{doc:#}"
    );
    // The configuration beside it names the blocks.
    let configured: Vec<&str> = doc["configuration"]["root_module"]["resources"]
        .as_array()
        .expect("configuration resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert!(configured.contains(&"null_resource.a"), "{doc:#}");

    // Every root variable, defaults included; a secret one without its
    // value.
    assert_eq!(
        doc["variables"],
        serde_json::json!({"pw": {"value": null}, "region": {"value": "eu-west-1"}})
    );

    // The whole document, reviewed once: a change to it is a change of
    // what tools reading it see.
    insta::assert_snapshot!("show_json_document", format!("{doc:#}"));

    // Terraform's spelling prints the same document.
    let terraform = w.run(&["show", "-json", "tf.plan"]);
    terraform.success();
    assert_eq!(document(&terraform), doc);
}

/// Warnings of the configuration (here a backend Nimbus does not use) go
/// to stderr: stdout holds the document alone, for `> plan.json`.
#[test]
fn json_alone_on_stdout_when_the_configuration_warns() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"terraform {
  backend "gcs" {
    bucket = "somewhere"
  }
}

resource "terraform_data" "b" {
  input = "plain"
}
"#,
    );
    w.run(&["init"]).success();
    w.run(&["plan", "-out", "tf.plan"]).success();
    let run = w.run(&["show", "-json", "tf.plan"]);
    run.success().no_panic();
    assert!(
        run.stderr.contains("gcs"),
        "the warning is shown: {}",
        run.stderr
    );
    assert_eq!(document(&run)["format_version"], "1.2");
    assert_eq!(run.stdout.trim().lines().count(), 1, "{}", run.stdout);

    // An error too goes to stderr, with nothing on stdout.
    let run = w.run(&["show", "-json", "missing.plan"]);
    run.failure().no_panic().stderr_has("cannot read the plan");
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);
}

#[test]
fn text_is_the_plan_as_plan_showed_it() {
    let w = planned();
    let run = w.run(&["show", "tf.plan"]);
    run.success().no_panic();
    run.stdout_has("null-resource.a")
        .stdout_has("terraform-data.b");
    assert!(
        !run.all_output().contains("Hunter2"),
        "{}",
        run.all_output()
    );
}

#[test]
fn a_plan_is_shown_only_beside_the_configuration_it_was_made_from() {
    let w = planned();
    // Edited between `plan -out` and `show`: the document would describe
    // a configuration the plan was not made from.
    w.write(
        "main.nim",
        &CONFIG.replace(r#"(size "1")"#, r#"(size "2")"#),
    );
    refused(
        &w.run(&["show", "--json", "tf.plan"]),
        "the configuration changed since the plan was made",
    );
    w.write("main.nim", CONFIG);
    w.run(&["show", "--json", "tf.plan"]).success();
}

#[test]
fn an_edited_or_foreign_plan_file_is_refused() {
    let w = planned();
    // A value changed by hand in the file: the seal no longer matches.
    let text = w.read("tf.plan");
    assert!(text.contains("plain"), "the plan holds the planned input");
    w.write("edited.plan", &text.replacen("plain", "plaiN", 1));
    refused(
        &w.run(&["show", "--json", "edited.plan"]),
        "changed after it was written",
    );

    w.write("garbage.plan", "{ not a plan");
    refused(&w.run(&["show", "garbage.plan"]), "garbage.plan");
    refused(&w.run(&["show", "missing.plan"]), "cannot read the plan");

    // The plan of another directory (same configuration) is not shown here.
    let other = planned();
    std::fs::copy(other.path().join("tf.plan"), w.path().join("other.plan")).expect("copy");
    refused(
        &w.run(&["show", "--json", "other.plan"]),
        "the plan was made in",
    );
}

#[test]
fn chdir_resolves_the_plan_file_in_the_project() {
    let w = planned();
    let parent = w.path().parent().expect("parent").to_path_buf();
    let name = w
        .path()
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    let run = Workdir::empty().run(&[
        "-C",
        parent.join(&name).to_str().expect("utf-8 path"),
        "show",
        "--json",
        "tf.plan",
    ]);
    run.success();
    assert_eq!(document(&run)["format_version"], "1.2");
}

/// Checkov's command (`scripts/checkov`, named by `NIMBUS_TEST_CHECKOV`).
/// Without it the test is skipped with a notice, except under `CI=true`.
#[allow(clippy::print_stderr)] // says what it skips
fn checkov() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("NIMBUS_TEST_CHECKOV")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_file());
    if found.is_none() {
        let hint = "Checkov is missing (export NIMBUS_TEST_CHECKOV=\"$(scripts/checkov)\")";
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{hint}");
        eprintln!("notice: skipping: {hint}");
    }
    found
}

/// A scanner written for Terraform's plans finds in Nimbus's what it finds
/// in Terraform's: S3 versioning and KMS encryption (Checkov's CKV_AWS_21
/// and CKV_AWS_145) and SNS encryption (CKV_AWS_26) fail on a plain
/// bucket or topic and pass on one that has them, which needs the AWS type
/// and its attributes under Terraform's names; so do a DynamoDB table's
/// KMS key (CKV_AWS_119, `server_side_encryption`) and an SQS queue's
/// encryption (CKV_AWS_27: SSE-SQS, known at plan for a new queue, passes;
/// a queue with it turned off fails). A table gets the finding a Terraform
/// plan of it gets (no point-in-time recovery, CKV_AWS_28).
#[test]
fn checkov_reads_the_plan_document() {
    let Some(checkov) = checkov() else {
        return;
    };
    let mut w = Workdir::init_with(
        r#"(provider aws (region "us-east-1"))
(resource s3-bucket "plain" (bucket-name "nimbus-show-plain"))
(resource s3-bucket "kept" (bucket-name "nimbus-show-kept") (versioning #t) (encryption "aws:kms"))
(resource sns-topic "plain" (name "nimbus-show-plain"))
(resource sns-topic "kept" (name "nimbus-show-kept") (kms-master-key-id "alias/aws/sns"))
(resource dynamodb-table "plain" (name "nimbus-show-plain") (hash-key "id")
  (attribute (list (object (name "id") (type "S")))))
(resource dynamodb-table "kept" (name "nimbus-show-kept") (hash-key "id")
  (attribute (list (object (name "id") (type "S"))))
  (server-side-encryption #t)
  (kms-key-arn "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"))
(resource sqs-queue "plain" (name "nimbus-show-plain") (sqs-managed-sse #f))
(resource sqs-queue "kept" (name "nimbus-show-kept"))
"#,
    );
    // Planning creates only: no call reaches this (closed) endpoint.
    w.set_env("NIMBUS_AWS_ENDPOINT", "http://127.0.0.1:9");
    w.run(&["plan", "--refresh=false", "--out", "tf.plan"])
        .success();
    let shown = w.run(&["show", "-json", "tf.plan"]);
    shown.success();
    w.write("plan.json", &shown.stdout);

    let output = std::process::Command::new(&checkov)
        .args(["-f", "plan.json", "--framework", "terraform_plan"])
        .args(["--skip-download", "-o", "json"])
        .env("BC_SKIP_MAPPING", "TRUE")
        .current_dir(w.path())
        .output()
        .expect("checkov runs");
    let report: Json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON report ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let results = |kind: &str| -> Vec<(String, String)> {
        report["results"][kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {kind} in {report:#}"))
            .iter()
            .map(|c| {
                (
                    c["check_id"].as_str().unwrap_or("").to_string(),
                    c["resource"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let (passed, failed) = (results("passed_checks"), results("failed_checks"));
    assert_eq!(report["summary"]["parsing_errors"], 0, "{report:#}");
    let pair = |check: &str, r: &str| (check.to_string(), r.to_string());
    for (check, kind) in [
        ("CKV_AWS_21", "aws_s3_bucket"),
        ("CKV_AWS_145", "aws_s3_bucket"),
        ("CKV_AWS_26", "aws_sns_topic"),
        ("CKV_AWS_119", "aws_dynamodb_table"),
        ("CKV_AWS_27", "aws_sqs_queue"),
    ] {
        let (plain, kept) = (format!("{kind}.plain"), format!("{kind}.kept"));
        assert!(failed.contains(&pair(check, &plain)), "{check}: {failed:?}");
        assert!(passed.contains(&pair(check, &kept)), "{check}: {passed:?}");
    }
    assert!(
        failed.contains(&pair("CKV_AWS_28", "aws_dynamodb_table.plain")),
        "{failed:?}"
    );
    assert_eq!(report["summary"]["resource_count"], 8, "{report:#}");
}
