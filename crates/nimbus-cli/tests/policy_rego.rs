//! Rego policies on the real binary: `(policy-file "policies/*.rego")`
//! runs OPA policies written for Terraform plans (`deny`, `violation`,
//! `warn` over the plan's JSON document) in process, reported and enforced
//! like native rules: a blocked plan, apply and destroy exit 3 and change
//! nothing; soft-mandatory files take an override; both Rego dialects are
//! read; errors are located; a secret never reaches a policy.

mod common;

use common::*;

const PROD: &str = r#"(resource terraform-data "prod" (input (map ("Environment" "Production"))))
(resource terraform-data "dev" (input (map ("Environment" "Dev"))))
"#;

/// In the style of OPA's documentation for Terraform plans (Rego v0).
const NO_PRODUCTION_DELETES: &str = r#"package terraform.production

deny[msg] {
  rc := input.resource_changes[_]
  rc.type == "terraform_data"
  rc.change.actions[_] == "delete"
  rc.change.before.input.Environment == "Production"
  msg := sprintf("%s: production objects are not deleted", [rc.address])
}
"#;

/// A project with both objects applied and a configuration that deletes
/// them both, under `policies/production.rego` at `level`.
fn project(level: &str) -> Workdir {
    let w = Workdir::empty();
    w.write("main.nim", PROD);
    w.run(&["apply", "--auto-approve"]).success();
    w.write("policies/production.rego", NO_PRODUCTION_DELETES);
    w.write(
        "main.nim",
        &format!("(policy-file \"policies/*.rego\" (enforcement {level}))\n"),
    );
    w
}

#[test]
fn an_opa_policy_blocks_plan_apply_and_destroy_with_exit_3() {
    let w = project("mandatory");
    let before = w.history().len();
    w.run(&["plan"])
        .code(3)
        .no_panic()
        .stderr_has("error: policy terraform.production.deny (mandatory) fails: the plan")
        .stderr_has("policies/production.rego says: terraform_data.prod: production objects are not deleted")
        .stderr_has("--> main.nim:1:14");
    w.run(&["plan", "--out", "p.plan"]).code(3);
    assert!(!w.exists("p.plan"), "a blocked plan is not saved");
    w.run(&["apply", "--auto-approve"]).code(3).no_panic();
    w.run(&["destroy", "--auto-approve"]).code(3).no_panic();
    w.run(&["policy", "check"])
        .code(3)
        .stdout_has("FAIL terraform.production.deny (mandatory)");
    assert_eq!(
        w.state_list(),
        ["terraform-data.dev", "terraform-data.prod"]
    );
    assert_eq!(w.history().len(), before, "nothing was recorded");

    // Without the production object, the same policy lets it through.
    w.write(
        "main.nim",
        &format!(
            "{}(policy-file \"policies/*.rego\")\n",
            &PROD[..PROD.find('\n').unwrap() + 1]
        ),
    );
    w.run(&["apply", "--auto-approve"]).success().no_panic();
    assert_eq!(w.state_list(), ["terraform-data.prod"]);
}

#[test]
fn a_soft_mandatory_file_takes_an_override_and_warn_is_advisory() {
    let w = project("soft-mandatory");
    // Rego v1 (OPA 1.0), with the finding naming its resource.
    w.write(
        "policies/notice.rego",
        r#"package terraform.notice

warn contains {"msg": "deleting a development object", "address": rc.address} if {
  some rc in input.resource_changes
  "delete" in rc.change.actions
  rc.change.before.input.Environment == "Dev"
}
"#,
    );
    w.run(&["plan"])
        .code(3)
        .stderr_has("policy terraform.production.deny (soft-mandatory) fails: the plan")
        .stderr_has("--override terraform.production.deny --reason TEXT")
        .stderr_has(
            "warning: policy terraform.notice.warn (advisory) warns: terraform-data.dev (delete)",
        );
    w.run(&[
        "apply",
        "--auto-approve",
        "--override",
        "terraform.production.deny",
        "--reason",
        "decommissioned with the old account",
    ])
    .success()
    .no_panic()
    .stderr_has("is overridden");
    assert!(w.state_list().is_empty());
}

#[test]
fn errors_in_policy_files_are_located_and_refused() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        "(policy-file \"policies/*.rego\")\n(resource terraform-data \"a\" (input \"x\"))\n",
    );
    w.run(&["plan"])
        .failure()
        .no_panic()
        .stderr_has("no file matches \"policies/*.rego\"")
        .stderr_has("--> main.nim:1:14");
    w.write("policies/bad.rego", "package bad\n\ndeny[msg] { msg := }\n");
    for command in ["plan", "validate"] {
        w.run(&[command])
            .failure()
            .no_panic()
            .stderr_has("policies/bad.rego is not valid Rego")
            .stderr_has("policies/bad.rego:3:");
    }
    // A rule that fails while evaluated stops the plan, saying where.
    w.write(
        "policies/bad.rego",
        "package bad\n\ndeny contains msg if {\n  x := 1 / 0\n  msg := sprintf(\"%v\", [x])\n}\n",
    );
    w.run(&["plan"])
        .failure()
        .no_panic()
        .stderr_has("evaluating bad.deny failed")
        .stderr_has("policies/bad.rego:4:");
    w.write(
        "main.nim",
        "(policy-file \"policies/*.rego\" (enforcement sometimes))\n",
    );
    w.run(&["validate"])
        .failure()
        .stderr_has("unknown enforcement level `sometimes`");
    w.write("main.nim", "(policy-file policies)\n");
    w.run(&["validate"])
        .failure()
        .stderr_has("`policy-file` takes a file name or pattern as a string");
}

#[test]
fn a_policy_edited_after_plan_out_is_applied_as_edited() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        "(policy-file \"policies/*.rego\")\n(resource terraform-data \"a\" (input \"x\"))\n",
    );
    w.write(
        "policies/p.rego",
        "package p\n\nwarn contains \"noted\" if { true }\n",
    );
    w.run(&["plan", "--out", "p.plan"]).success();
    // The policy now refuses what the saved plan does.
    w.write(
        "policies/p.rego",
        "package p\n\ndeny contains \"no new objects\" if {\n  some rc in input.resource_changes\n  \"create\" in rc.change.actions\n}\n",
    );
    w.run(&["apply", "p.plan"])
        .code(3)
        .no_panic()
        .stderr_has("policy p.deny (mandatory) fails: the plan");
    assert!(w.state_list().is_empty());
}

#[test]
fn a_secret_never_reaches_a_policy() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(define-variables (token (type string) (sensitive #t)))
(policy-file "echo.rego")
(resource terraform-data "t" (input (var token)))
"#,
    );
    // A policy that quotes everything it sees.
    w.write(
        "echo.rego",
        "package echo\n\nwarn contains msg if {\n  some rc in input.resource_changes\n  msg := sprintf(\"%v\", [rc.change])\n}\n",
    );
    let secret = "s3cr3t-token-value";
    let env = [("NIMBUS_VAR_token", secret)];
    for args in [
        &["plan"][..],
        &["policy", "check", "--json"],
        &["apply", "--auto-approve"],
    ] {
        let run = w.run_env(args, &env);
        run.success().no_panic();
        let all = run.all_output();
        assert!(all.contains("echo.warn"), "{args:?}: {all}");
        assert!(!all.contains(secret), "{args:?} printed the secret: {all}");
    }
}

#[test]
fn a_terraform_project_takes_rego_policies_with_a_policy_file_block() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"policy_file "policies/*.rego" {
  enforcement = "soft-mandatory"
}

resource "terraform_data" "x" {
  input = "hello"
}
"#,
    );
    w.write(
        "policies/creates.rego",
        "package review\n\ndeny contains {\"msg\": \"creates are reviewed\", \"address\": rc.address} if {\n  some rc in input.resource_changes\n  \"create\" in rc.change.actions\n}\n",
    );
    w.run(&["plan"])
        .code(3)
        .no_panic()
        .stderr_has("policy review.deny (soft-mandatory) fails: terraform_data.x (create)")
        .stderr_has("--> main.tf:5:1");
    w.run(&[
        "apply",
        "--auto-approve",
        "--override",
        "review.deny",
        "--reason",
        "reviewed",
    ])
    .success();
    assert_eq!(w.state_list(), ["terraform_data.x"]);
    w.write(
        "main.tf",
        "policy_file \"policies/*.rego\" {\n  level = \"advisory\"\n}\n",
    );
    w.run(&["validate"]).failure().stderr_has("level");
}

#[test]
fn each_form_keeps_its_level_though_files_share_a_package() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(policy-file "./policies/advice/*.rego" (enforcement advisory))
(policy-file "policies/block/*.rego")
(resource terraform-data "x" (input "hello"))
"#,
    );
    // conftest's default package, in both.
    w.write(
        "policies/advice/a.rego",
        "package main\n\ndeny contains \"consider tags\" if { true }\n",
    );
    w.write(
        "policies/block/b.rego",
        "package main\n\ndeny contains {\"msg\": \"not in this account\", \"address\": \"aws_s3_bucket.gone\"} if { true }\n",
    );
    let run = w.run(&["plan"]);
    run.code(3)
        .no_panic()
        .stderr_has("warning: policy main.deny (advisory) warns: the plan")
        .stderr_has("policies/advice/a.rego says: consider tags")
        // A finding naming a resource the plan does not have keeps its name.
        .stderr_has("error: policy main.deny (mandatory) fails: aws_s3_bucket.gone")
        .stderr_has("policies/block/b.rego says: not in this account");
}

#[test]
fn policies_see_the_plans_variables_without_secrets() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(define-variables
  (region (type string) (default "eu-west-1"))
  (token (type string) (sensitive #t)))
(policy-file "vars.rego")
(resource terraform-data "t" (input (var region)))
"#,
    );
    w.write(
        "vars.rego",
        "package vars\n\nwarn contains sprintf(\"region %v, token %v\", [input.variables.region.value, input.variables.token.value]) if { true }\n",
    );
    let env = [("NIMBUS_VAR_token", "s3cr3t-token-value")];
    w.run_env(&["plan", "--var", "region=us-east-2"], &env)
        .success()
        .stderr_has("region us-east-2, token null");
    w.run_env(&["plan", "--out", "p.plan"], &env).success();
    let run = w.run(&["apply", "p.plan"]);
    run.success().stderr_has("region eu-west-1, token null");
    assert!(!run.all_output().contains("s3cr3t"));
}

/// The document is built with only the parts the policy files read; a
/// file that reads `input` as a whole gets all of it. Each policy here
/// reads a different part, one the whole, and all see the same plan.
#[test]
fn policies_read_the_parts_of_the_plan_they_name() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        "(policy-file \"policies/*.rego\")\n(resource terraform-data \"x\" (input \"hello\"))\n",
    );
    w.write(
        "policies/parts.rego",
        r#"package parts

warn contains sprintf("planned %v", [count(input.planned_values.root_module.resources)]) if { true }

warn contains sprintf("configured %v", [count(input["configuration"].root_module.resources)]) if { true }
"#,
    );
    w.write(
        "policies/whole.rego",
        r#"package whole

warn contains sprintf("changes %v, format %v", [count(doc.resource_changes), doc.format_version]) if {
  doc := input
}
"#,
    );
    w.run(&["plan"])
        .success()
        .stderr_has("planned 1")
        .stderr_has("configured 1")
        .stderr_has("changes 1, format 1.2");
}

/// Policy files found as a user lays them out: a linked file counts, a
/// link back up does not loop, hidden directories are not searched.
#[cfg(unix)]
#[test]
fn policy_files_through_links_and_past_hidden_directories() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        "(policy-file \"**/*.rego\")\n(resource terraform-data \"x\" (input \"hello\"))\n",
    );
    w.write(
        "shared/linked.rego",
        "package linked\n\nwarn contains \"from the linked file\" if { true }\n",
    );
    w.write(
        ".git/hidden.rego",
        "package hidden\n\ndeny contains \"from a hidden directory\" if { true }\n",
    );
    std::fs::create_dir_all(w.path().join("policies")).unwrap();
    std::os::unix::fs::symlink(
        w.path().join("shared/linked.rego"),
        w.path().join("policies/linked.rego"),
    )
    .unwrap();
    std::os::unix::fs::symlink(w.path(), w.path().join("policies/up")).unwrap();
    let run = w.run(&["plan"]);
    run.success().no_panic().stderr_has("from the linked file");
    assert!(
        !run.all_output().contains("hidden directory"),
        "{}",
        run.all_output()
    );
}
