//! Policies on the real binary: a blocked plan, apply, saved plan and
//! destroy exit 3 and change nothing; `policy check` reports (human and
//! `--json`, in a stable order) and exits 3 when blocked, 0 otherwise;
//! an override needs a reason and is recorded in the history; an advisory
//! rule leaves the exit code alone; a secret never reaches a report.

mod common;

use common::*;

const PROD: &str = r#"(resource terraform-data "prod" (input (map ("Environment" "Production"))))
(resource terraform-data "dev" (input (map ("Environment" "Dev"))))
"#;

fn guard(level: &str) -> String {
    format!(
        r#"(define-policy guard
  (enforcement {level})
  (deny "builtin:Delete"
    (when (= (attribute "input" "Environment") "Production")))
  (warn "builtin:Update"))
"#
    )
}

/// A project with both objects applied and a configuration that deletes
/// them both, under `guard` at `level`.
fn project(level: &str) -> Workdir {
    let w = Workdir::empty();
    w.write("main.nim", PROD);
    w.run(&["apply", "--auto-approve"]).success();
    w.write("main.nim", &guard(level));
    w
}

#[test]
fn a_mandatory_rule_blocks_plan_apply_saved_plan_and_destroy_with_exit_3() {
    let w = project("mandatory");
    let before = w.history().len();
    w.run(&["plan"])
        .code(3)
        .no_panic()
        .stderr_has("error: policy guard.deny (mandatory) fails: terraform-data.prod (delete, builtin:Delete)")
        .stderr_has("--> main.nim:3:3");
    w.run(&["plan", "--out", "p.plan"]).code(3);
    assert!(!w.exists("p.plan"), "a blocked plan is not saved");
    w.run(&["apply", "--auto-approve"]).code(3).no_panic();
    w.run(&["destroy", "--auto-approve"]).code(3).no_panic();
    assert_eq!(
        w.state_list(),
        ["terraform-data.dev", "terraform-data.prod"]
    );
    assert_eq!(w.history().len(), before, "nothing was recorded");
    // An override does not let a mandatory rule through: it is refused,
    // as is one naming no rule.
    w.run(&[
        "apply",
        "--auto-approve",
        "--override",
        "guard.deny",
        "--reason",
        "x",
    ])
    .failure()
    .stderr_has("policy rule guard.deny is mandatory: only soft-mandatory rules can be overridden");
    w.run(&["plan", "--override", "guard.deni", "--reason", "x"])
        .failure()
        .stderr_has("no policy rule guard.deni to override")
        .stderr_has("did you mean `guard.deny`?");
    assert_eq!(
        w.state_list(),
        ["terraform-data.dev", "terraform-data.prod"]
    );
    // Only the changes the rule matches are blocked.
    w.run(&[
        "destroy",
        "--auto-approve",
        "--target",
        "terraform-data.dev",
    ])
    .success();
    assert_eq!(w.state_list(), ["terraform-data.prod"]);
}

#[test]
fn a_saved_plan_is_checked_again_when_applied() {
    let w = Workdir::empty();
    w.write("main.nim", PROD);
    w.run(&["apply", "--auto-approve"]).success();
    // Saved while the policy let it through...
    w.write("main.nim", &guard("advisory"));
    w.run(&["plan", "--out", "p.plan"]).success();
    // ...and applied once it is mandatory.
    w.write("main.nim", &guard("mandatory"));
    w.run(&["apply", "p.plan"])
        .code(3)
        .stderr_has("policy guard.deny (mandatory) fails");
    w.run(&["policy", "check", "p.plan"])
        .code(3)
        .stdout_has("FAIL guard.deny (mandatory) terraform-data.prod [main.nim:3:3]");
    assert_eq!(
        w.state_list(),
        ["terraform-data.dev", "terraform-data.prod"]
    );
}

#[test]
fn policy_check_reports_in_a_stable_order_as_text_and_json() {
    let w = Workdir::empty();
    w.write("main.nim", PROD);
    w.run(&["apply", "--auto-approve"]).success();
    w.write(
        "main.nim",
        &format!(
            "{}{}",
            guard("soft-mandatory"),
            r#"(resource terraform-data "prod" (input (map ("Environment" "Production") ("v" "2"))))
(resource terraform-data "dev" (input (map ("Environment" "Dev") ("v" "2"))))
(resource terraform-data "new" (input (ref terraform-data "dev" "output")))
(define-policy unknowns
  (deny "builtin:Create" (when (= (attribute "input") "x"))))
"#
        ),
    );
    let run = w.run(&["policy", "check"]);
    run.success().no_panic();
    assert_eq!(
        run.stdout,
        "WARN guard.warn (advisory) terraform-data.dev [main.nim:7:1]
  update (builtin:Update): the rule warns about builtin:Update
UNDETERMINED unknowns.deny (mandatory) terraform-data.new [main.nim:8:1]
  create (builtin:Create): the rule denies builtin:Create when (= (attribute \"input\") \"x\")
  checked again at apply, when the values it reads are known
WARN guard.warn (advisory) terraform-data.prod [main.nim:6:1]
  update (builtin:Update): the rule warns about builtin:Update
Policies passed: 3 rules checked, 2 failed, 1 undetermined, 0 overridden.
",
        "{}",
        run.stderr
    );
    let json = w.run(&["policy", "check", "--json"]);
    json.success();
    let report = &json.events_of("policy_report")[0];
    let order: Vec<(&str, &str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["address"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("terraform-data.dev", "guard.warn", "fail"),
            ("terraform-data.new", "unknowns.deny", "undetermined"),
            ("terraform-data.prod", "guard.warn", "fail"),
        ]
    );
    assert_eq!(report["rules"], 3);
    assert_eq!(report["blocked"], false);
}

#[test]
fn an_override_needs_a_reason_and_is_recorded_in_the_history() {
    let w = project("soft-mandatory");
    w.run(&["policy", "check"])
        .code(3)
        .stdout_has("FAIL guard.deny (soft-mandatory) terraform-data.prod [main.nim:3:3]")
        .stdout_has("Policies blocked: 2 rules checked, 1 failed, 0 undetermined, 0 overridden.");
    w.run(&["destroy", "--auto-approve"])
        .code(3)
        .stderr_has("help: to go ahead anyway, pass `--override guard.deny --reason TEXT`");
    w.run(&["destroy", "--auto-approve", "--override", "guard.deny"])
        .code(1)
        .stderr_has("--override needs --reason TEXT");
    let run = w.run(&[
        "policy",
        "check",
        "--json",
        "--override",
        "guard.deny",
        "--reason",
        "CHG-42",
    ]);
    run.success();
    let report = &run.events_of("policy_report")[0];
    assert_eq!(report["blocked"], false);
    assert_eq!(report["findings"][0]["result"], "overridden");
    assert_eq!(report["findings"][0]["override_reason"], "CHG-42");
    assert_eq!(report["findings"][0]["location"], "main.nim:3:3");
    assert_eq!(report["findings"][0]["provider_action"], "builtin:Delete");
    w.run(&[
        "destroy",
        "--auto-approve",
        "--override",
        "guard.deny",
        "--reason",
        "CHG-42 approved by the owner",
    ])
    .success()
    .stderr_has("note: overridden: CHG-42 approved by the owner");
    assert!(w.state_list().is_empty());
    let overrides: Vec<_> = w
        .history()
        .into_iter()
        .filter(|e| e["kind"] == "policy.override")
        .collect();
    assert_eq!(overrides.len(), 1, "{overrides:?}");
    assert_eq!(overrides[0]["address"], "terraform-data.prod");
    assert_eq!(overrides[0]["operation"], "destroy");
    assert_eq!(overrides[0]["detail"]["rule"], "guard.deny");
    assert_eq!(
        overrides[0]["detail"]["reason"],
        "CHG-42 approved by the owner"
    );
    assert!(overrides[0]["user"].as_str().is_some_and(|u| !u.is_empty()));
}

#[test]
fn advisory_rules_warn_and_secrets_never_reach_a_report() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(define-variables (token (type string) (sensitive #t)))
(define-policy guard
  (warn "builtin:Create" (when (> (length (attribute "input")) 3))))
(resource terraform-data "t" (input (var token)))
"#,
    );
    let secret = "s3cr3t-token-value";
    let env = [("NIMBUS_VAR_token", secret)];
    for args in [
        &["plan"][..],
        &["policy", "check"],
        &["policy", "check", "--json"],
        &["apply", "--auto-approve"],
    ] {
        let run = w.run_env(args, &env);
        run.success().no_panic();
        let all = run.all_output();
        assert!(all.contains("guard.warn"), "{args:?}: {all}");
        assert!(!all.contains(secret), "{args:?} printed the secret: {all}");
    }
    assert_eq!(w.state_list(), ["terraform-data.t"]);
}

#[test]
fn policy_check_writes_sarif_for_code_scanning() {
    let w = Workdir::empty();
    w.write("main.nim", PROD);
    w.run(&["apply", "--auto-approve"]).success();
    w.write(
        "main.nim",
        &format!(
            "{}{}",
            guard("soft-mandatory"),
            r#"(resource terraform-data "dev" (input (map ("Environment" "Dev") ("v" "2"))))
(resource terraform-data "new" (input (ref terraform-data "dev" "output")))
(define-policy unknowns
  (deny "builtin:Create" (when (= (attribute "input") "x"))))
"#
        ),
    );
    // Blocked: the soft-mandatory delete of the production object.
    let blocked = w.run(&["policy", "check", "--sarif"]);
    blocked.code(3);
    let log: serde_json::Value = serde_json::from_str(&blocked.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["properties"]["blocked"], true);
    // Overridden: the same finding, suppressed with its reason.
    let overridden = w.run(&[
        "policy",
        "check",
        "--sarif",
        "--override",
        "guard.deny",
        "--reason",
        "retiring prod, ticket 42",
    ]);
    overridden.success();
    let version = env!("CARGO_PKG_VERSION");
    insta::assert_snapshot!(overridden.stdout.replace(version, "VERSION"));
}

#[test]
fn an_exception_on_a_resource_holds_until_it_expires() {
    let w = Workdir::empty();
    w.write("main.nim", PROD);
    w.run(&["apply", "--auto-approve"]).success();
    let with_exception = |expires: &str| {
        format!(
            r#"{}(resource terraform-data "prod" (input (map ("Environment" "Production") ("v" "2")))
  (policy-exception "guard.warn" (reason "rollout, ticket 7") (expires "{expires}")))
(resource terraform-data "dev" (input (map ("Environment" "Dev") ("v" "2"))))
"#,
            guard("mandatory")
        )
    };
    // Until its date the exception holds: reported, not warned about.
    w.write("main.nim", &with_exception("2999-12-31"));
    let held = w.run(&["policy", "check"]);
    held.success()
        .stdout_has("EXCEPTED guard.warn (advisory) terraform-data.prod")
        .stdout_has("excepted: rollout, ticket 7 (until 2999-12-31)")
        .stdout_has("WARN guard.warn (advisory) terraform-data.dev")
        .stdout_has("1 excepted.");
    let sarif: serde_json::Value =
        serde_json::from_str(&w.run(&["policy", "check", "--sarif"]).stdout).expect("SARIF");
    let suppressed: Vec<&serde_json::Value> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["suppressions"][0]["kind"] == "inSource")
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "rollout, ticket 7"
    );

    // Past its date it fails, even for an advisory rule, and blocks.
    w.write("main.nim", &with_exception("2000-01-31"));
    w.run(&["policy", "check"])
        .code(3)
        .stdout_has("FAIL guard.warn (advisory) terraform-data.prod")
        .stdout_has("(expired on 2000-01-31: renew or remove it)");
    w.run(&["apply", "--auto-approve"]).code(3);

    // An exception names a rule that exists and a real date.
    w.write(
        "main.nim",
        &with_exception("2999-12-31").replace("\"guard.warn\" (reason", "\"guard.wran\" (reason"),
    );
    w.run(&["plan"])
        .failure()
        .stderr_has("no policy rule guard.wran to make an exception from")
        .stderr_has("main.nim:7:21");
    w.write("main.nim", &with_exception("2999-02-30"));
    w.run(&["plan"])
        .failure()
        .stderr_has("\"2999-02-30\" is not a date");
    w.write(
        "main.nim",
        &with_exception("2999-12-31").replace("(reason \"rollout, ticket 7\") ", ""),
    );
    w.run(&["plan"])
        .failure()
        .stderr_has("a policy exception needs a reason");
    w.write(
        "main.nim",
        &with_exception("2999-12-31").replace(
            "(reason \"rollout, ticket 7\")",
            "(reason \"a\") (reason \"b\")",
        ),
    );
    w.run(&["plan"])
        .failure()
        .stderr_has("`reason` is set twice in this policy exception");
}

/// `nimbus ARGS` with `input` on its standard input.
fn run_with_input(w: &Workdir, args: &[&str], input: &str) -> std::process::Output {
    assert_cmd::Command::from_std(w.command(args, &[]))
        .write_stdin(input)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run nimbus")
}

#[test]
fn require_approval_asks_and_a_yes_is_recorded_as_the_approval() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(define-policy change-board
  (require-approval (when (action-is "create"))))
(resource terraform-data "a" (input "x"))
"#,
    );
    // Without a person to ask it blocks: --auto-approve, or no answer.
    w.run(&["apply", "--auto-approve"])
        .code(3)
        .stderr_has("change-board.require-approval");
    let declined = run_with_input(&w, &["apply"], "no\n");
    assert_eq!(declined.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&declined.stdout)
            .contains("Policy change-board.require-approval requires approval")
    );
    assert!(
        w.state_list().is_empty(),
        "nothing applied without approval"
    );
    // A yes approves the policy and the changes (one question).
    let approved = run_with_input(&w, &["apply"], "yes\n");
    assert_eq!(
        approved.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    assert_eq!(w.state_list(), ["terraform-data.a"]);
    let approvals: Vec<_> = w
        .history()
        .into_iter()
        .filter(|e| e["kind"] == "policy.override")
        .collect();
    assert_eq!(approvals.len(), 1, "{approvals:?}");
    assert_eq!(
        approvals[0]["detail"]["rule"],
        "change-board.require-approval"
    );
    assert_eq!(approvals[0]["detail"]["reason"], "approved at the prompt");
}

/// AWS resources under the built-in `aws-baseline` rule set, one rule
/// made advisory; planned without credentials (a create calls no AWS API).
const BASELINE: &str = r#"(define-infrastructure baseline
  (provider aws (region "us-east-1"))
  (use-policies aws-baseline
    (rule "sns-encryption" (enforcement advisory)))
  (resource s3-bucket "logs"
    (bucket-name "acme-logs") (encryption "AES256") (tags (owner "data")))
  (resource sns-topic "alerts" (name "alerts") (tags (owner "ops"))))
"#;

#[test]
fn a_builtin_rule_set_is_reported_overridden_and_excepted_like_any_rule() {
    let w = Workdir::init_with(BASELINE);
    let check = w.run(&["policy", "check", "--no-color"]);
    check.code(3).no_panic();
    assert_eq!(
        check.stdout,
        "FAIL aws-baseline/s3-versioning (soft-mandatory) s3-bucket.logs [main.nim:5:3]
  create (s3:CreateBucket): the rule requires versioning on S3 buckets
  fix: set `(versioning #t)` on the bucket, so that overwritten and deleted objects can be recovered
WARN aws-baseline/sns-encryption (advisory) sns-topic.alerts [main.nim:7:3]
  create (sns:CreateTopic): the rule requires server-side encryption on SNS topics
  fix: set `(kms-master-key-id \"alias/aws/sns\")` (or your own key) on the topic
Policies blocked: 8 rules checked, 2 failed, 0 undetermined, 0 overridden.
",
        "{}",
        check.stderr
    );
    w.run(&["plan", "--no-color"])
        .code(3)
        .stderr_has("error: policy aws-baseline/s3-versioning (soft-mandatory) fails: s3-bucket.logs (create, s3:CreateBucket)")
        .stderr_has("help: set `(versioning #t)` on the bucket")
        .stderr_has("--override aws-baseline/s3-versioning --reason TEXT");

    // JSON and SARIF carry the rule's message.
    let json = w.run(&["policy", "check", "--json"]);
    json.code(3);
    let report = &json.events_of("policy_report")[0];
    assert_eq!(report["findings"][0]["rule"], "aws-baseline/s3-versioning");
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("set `(versioning #t)`")
    );
    let sarif = w.run(&["policy", "check", "--sarif"]);
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    let rules = &log["runs"][0]["tool"]["driver"]["rules"];
    assert_eq!(rules[0]["id"], "aws-baseline/s3-versioning");
    assert!(
        rules[0]["help"]["text"]
            .as_str()
            .unwrap()
            .contains("versioning #t")
    );

    // An override lets the soft-mandatory rule through, as for any rule.
    w.run(&[
        "policy",
        "check",
        "--override",
        "aws-baseline/s3-versioning",
        "--reason",
        "log archive, versioned by the copy job",
    ])
    .success()
    .stdout_has("OVERRIDDEN aws-baseline/s3-versioning");

    // An exception on the resource, and the rule disabled in the set.
    w.write(
        "main.nim",
        &BASELINE
            .replace(
                "(tags (owner \"data\")))",
                "(tags (owner \"data\"))\n    (policy-exception \"aws-baseline/s3-versioning\" (reason \"copied nightly\")))",
            )
            .replace("(enforcement advisory)", "(enforcement disabled)"),
    );
    w.run(&["policy", "check", "--no-color"])
        .success()
        .stdout_has("EXCEPTED aws-baseline/s3-versioning (soft-mandatory) s3-bucket.logs")
        .stdout_has("Policies passed: 7 rules checked");
}

#[test]
fn a_terraform_file_opts_into_a_builtin_rule_set_with_a_policy_set_block() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"provider "aws" {
  region = "us-east-1"
}

policy_set "aws-baseline" {
  required_tags = ["owner", "cost-center"]
  rule "s3-versioning" {
    enforcement = "advisory"
  }
}

resource "s3-bucket" "logs" {
  bucket-name = "acme-logs"
  encryption  = "aws:kms"
  tags = {
    owner = "data"
  }
}
"#,
    );
    w.run(&["init"]).success();
    let check = w.run(&["policy", "check", "--json"]);
    check.code(3);
    let report = &check.events_of("policy_report")[0];
    let findings: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        findings,
        [
            ("aws-baseline/s3-versioning", "fail"),
            ("aws-baseline/tags-required", "fail"),
        ]
    );
    assert_eq!(report["findings"][1]["location"], "main.tf:12:1");
    assert_eq!(report["findings"][0]["blocks"], false);
}

/// A change's secrets are marked when a condition reads them: a condition
/// that fails on a secret (a string where a number goes, a missing key of
/// a secret map) says so without quoting it, in every report.
#[test]
fn a_condition_failing_on_a_secret_never_quotes_it() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-token-value"
}
variable "keys" {
  type      = map(string)
  sensitive = true
  default   = { s3cr3t-key-name = "v" }
}
resource "terraform-data" "a" { input = var.token }
resource "terraform-data" "b" { input = var.keys }
policy "p" {
  warn "*" { when = tonumber(after.input) > 1 }
  warn "builtin:Create" { when = after.input.nope == 1 }
}
"#,
    );
    for args in [
        &["plan"][..],
        &["policy", "check"],
        &["policy", "check", "--json"],
        &["policy", "check", "--sarif"],
        &["apply", "--auto-approve"],
    ] {
        let run = w.run(args);
        run.failure().no_panic();
        let out = run.all_output();
        assert!(out.contains("(sensitive value)"), "{args:?}: {out}");
        assert!(!out.contains("s3cr3t"), "{args:?}: {out}");
    }
}

/// Rule ids are the configuration's: a child module's policy named like
/// the root's is an error, not two rules sharing reports and overrides.
#[test]
fn policies_of_one_name_in_two_modules_are_refused() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        "(define-policy g (deny \"*\" (when (action-is \"delete\"))))\n(use-module child \"./child\")\n(include child)\n",
    );
    w.write(
        "child/main.nim",
        "(define-policy g (deny \"*\" (when (action-is \"update\"))))\n(resource terraform-data \"x\" (input 1))\n",
    );
    w.run(&["plan"])
        .failure()
        .no_panic()
        .stderr_has("policy rule g.deny is defined twice")
        .stderr_has("child/main.nim:1:16");
}

/// In Terraform's JSON syntax each resource is located at its own name,
/// not at the `"resource"` key every one of them shares (SARIF would put
/// every finding on one line).
#[test]
fn json_resources_are_located_at_their_own_names() {
    let w = Workdir::empty();
    w.write(
        "main.tf.json",
        r#"{
  "resource": {
    "terraform-data": {
      "a": { "input": 1 },
      "b": { "input": 2 }
    }
  },
  "policy": { "p": { "warn": { "*": {} } } }
}
"#,
    );
    w.run(&["policy", "check", "--no-color"])
        .success()
        .stdout_has("terraform-data.a [main.tf.json:4:7]")
        .stdout_has("terraform-data.b [main.tf.json:5:7]");
}
