//! `nimbus policy check --terraform-plan FILE`: this configuration's
//! policies (native rules, built-in rule sets, Rego files) on a plan that
//! Terraform made, read from `terraform show -json`: for teams that keep
//! Terraform and want Nimbus's guardrails.

mod common;

use common::*;

/// A Terraform JSON plan in the shape `terraform show -json` prints (the
/// AWS provider's schema): a bucket created without versioning and with a
/// secret tag value, a production bucket deleted, a queue unchanged.
const PLAN: &str = r#"{
  "format_version": "1.0",
  "terraform_version": "1.5.7",
  "resource_changes": [
    {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["create"], "before": null,
       "after": {"bucket": "logs", "force_destroy": false,
                 "tags": {"owner": "team-a", "token": "Hunter2Secret"},
                 "versioning": [{"enabled": false, "mfa_delete": false}]},
       "after_unknown": {"arn": true, "id": true, "tags": {}, "versioning": [{}]},
       "before_sensitive": false,
       "after_sensitive": {"tags": {"token": true}, "versioning": [{}]}}},
    {"address": "aws_s3_bucket.prod", "mode": "managed", "type": "aws_s3_bucket", "name": "prod",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["delete"],
       "before": {"bucket": "prod", "tags": {"Environment": "Production"}},
       "after": null, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false}},
    {"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue", "name": "q",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["no-op"], "before": {"name": "q"}, "after": {"name": "q"},
       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}
  ]
}"#;

const POLICIES: &str = r#"(define-policy production-guardrails
  (deny "s3:DeleteBucket"
    (when (tag-equals "Environment" "Production"))))
(use-policies aws-baseline (required-tags "owner"))
"#;

#[test]
fn nimbus_policies_check_a_terraform_plan() {
    let w = Workdir::empty();
    w.write("policies.nim", POLICIES);
    w.write("plan.json", PLAN);
    let run = w.run(&["policy", "check", "--terraform-plan", "plan.json"]);
    run.code(3).no_panic();
    let out = run.all_output();
    // The roadmap's rule, on the Terraform address.
    assert!(
        out.contains("FAIL production-guardrails.deny (mandatory) aws_s3_bucket.prod"),
        "{out}"
    );
    // The built-in set reads the bucket's versioning block as versioning.
    assert!(
        out.contains("aws-baseline/s3-versioning (soft-mandatory) aws_s3_bucket.logs"),
        "{out}"
    );
    assert!(!out.contains("aws_sqs_queue.q"), "{out}");
    assert!(!out.contains("Hunter2Secret"), "a secret was shown: {out}");

    let json = w.run(&["policy", "check", "--terraform-plan", "plan.json", "--json"]);
    assert!(!json.all_output().contains("Hunter2Secret"));

    // Standard input, as `terraform show -json tf.plan | nimbus ...`.
    let piped = w.run_with_stdin(&["policy", "check", "--terraform-plan", "-"], PLAN);
    piped.code(3).stdout_has("production-guardrails.deny");

    // Rego policies read the document as Terraform wrote it.
    w.write(
        "policies.nim",
        &format!("{POLICIES}(policy-file \"rego/*.rego\" (enforcement advisory))\n"),
    );
    w.write(
        "rego/deletes.rego",
        "package terraform.deletes\n\ndeny contains {\"msg\": \"a delete\", \"address\": rc.address} if {\n  some rc in input.resource_changes\n  \"delete\" in rc.change.actions\n}\n",
    );
    w.run(&["policy", "check", "--terraform-plan", "plan.json"])
        .code(3)
        .stdout_has("terraform.deletes.deny (advisory) aws_s3_bucket.prod");
}

#[test]
fn what_is_not_a_terraform_plan_is_refused() {
    let w = Workdir::empty();
    w.write("policies.nim", POLICIES);
    w.write("broken.json", "{\"format_version\": ");
    w.run(&["policy", "check", "--terraform-plan", "broken.json"])
        .failure()
        .no_panic()
        .stderr_has("broken.json:1:");
    w.write("other.json", "{\"hello\": 1}");
    w.run(&["policy", "check", "--terraform-plan", "other.json"])
        .failure()
        .stderr_has("not a Terraform JSON plan");
    w.run(&["policy", "check", "--terraform-plan", "missing.json"])
        .failure()
        .stderr_has("cannot read missing.json");
    w.write("plan.json", PLAN);
    w.run(&[
        "policy",
        "check",
        "saved.plan",
        "--terraform-plan",
        "plan.json",
    ])
    .failure()
    .stderr_has("cannot be used with");
}

/// A plan made by Terraform 1.0.3 itself, beside a Nimbus policy file in
/// the same directory (Terraform reads only the `.tf` files).
#[test]
fn a_plan_terraform_made_is_checked() {
    let Some((terraform_dir, _)) = peers() else {
        return;
    };
    let w = Workdir::empty();
    w.write(
        "main.tf",
        "resource \"null_resource\" \"a\" {\n  triggers = { owner = \"nobody\" }\n}\n",
    );
    terraform(
        &terraform_dir,
        w.path(),
        &["init", "-input=false", "-no-color"],
        0,
    );
    terraform(
        &terraform_dir,
        w.path(),
        &["plan", "-input=false", "-no-color", "-out", "tf.plan"],
        0,
    );
    let document = terraform(&terraform_dir, w.path(), &["show", "-json", "tf.plan"], 0);
    w.write("plan.json", &document);
    w.write(
        "policy.nim",
        r#"(define-policy owners
  (deny "builtin:Create" (when (= (attribute "triggers" "owner") "nobody"))))
"#,
    );
    w.run(&["policy", "check", "--terraform-plan", "plan.json"])
        .code(3)
        .no_panic()
        .stdout_has("FAIL owners.deny (mandatory) null_resource.a");
}
