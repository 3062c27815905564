//! Custom conditions on the real binary: a false precondition's exit code
//! and located message, a postcondition failing at apply, a saved plan
//! whose precondition fails at apply, a `check` warning that leaves the
//! exit code alone (also as a `--json` event), `replace_triggered_by` in
//! a `.tf` project, and a secret that never reaches an error message.

mod common;

use common::*;

const PRECONDITION: &str = r#"(locals (replicas 2))

(resource terraform-data "web"
  (input (local replicas))
  (lifecycle
    (precondition (>= (local replicas) 3) "need at least 3 replicas")))
"#;

#[test]
fn a_false_precondition_fails_the_plan_at_its_location_and_applies_nothing() {
    let w = Workdir::init_with(PRECONDITION);
    w.run(&["plan", "--no-color"])
        .code(1)
        .stderr_has("terraform-data.web: precondition failed: need at least 3 replicas")
        .stderr_has("main.nim:6:5");
    w.run(&["plan", "--detailed-exitcode"]).code(1);
    w.run(&["apply", "--auto-approve", "--no-color"])
        .code(1)
        .stderr_has("precondition failed");
    assert!(w.state_list().is_empty());

    let json = w.run(&["plan", "--json"]);
    json.code(1);
    let errors: Vec<_> = json
        .events_of("diagnostic")
        .into_iter()
        .filter(|e| e["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["code"], "condition-failed");
    assert_eq!(errors[0]["location"]["line"], 6);
    assert_eq!(errors[0]["location"]["column"], 5);
}

const UNKNOWN_AT_PLAN: &str = r#"(resource random-string "token"
  (length 4)
  (special #f))

(resource terraform-data "uses-token"
  (input (ref random-string "token" "result"))
  (lifecycle
    (precondition (= (length (ref random-string "token" "result")) 8) "the token must have 8 characters")))
"#;

#[test]
fn a_precondition_unknown_while_planning_is_checked_when_a_saved_plan_is_applied() {
    let w = Workdir::init_with(UNKNOWN_AT_PLAN);
    w.run(&["plan", "-out", "p.plan", "--detailed-exitcode"])
        .code(2);
    w.run(&["apply", "--no-color", "p.plan"])
        .code(1)
        .stderr_has(
            "terraform-data.uses-token: precondition failed: the token must have 8 characters",
        )
        .stderr_has("main.nim:8:5");
    assert_eq!(w.state_list(), ["random-string.token"]);
}

#[test]
fn a_postcondition_on_the_applied_object_fails_the_run_and_skips_its_dependents() {
    let w = Workdir::init_with(
        r#"(resource terraform-data "made"
  (input "x")
  (lifecycle (postcondition (= (length (get self "id")) 3) "the id must have 3 characters")))

(resource terraform-data "after"
  (input (ref terraform-data "made" "id")))
"#,
    );
    w.run(&["apply", "--auto-approve", "--no-color"])
        .code(1)
        .stderr_has("terraform-data.made: postcondition failed: the id must have 3 characters")
        .stderr_has("main.nim:3:14");
    // The object was made: it stays recorded; what depends on it was not.
    assert_eq!(w.state_list(), ["terraform-data.made"]);
}

const CHECK: &str = r#"(resource terraform-data "site"
  (input "http://example.com"))

(check "https-only"
  (assert (starts-with (ref terraform-data "site" "output") "https://")
    (string-append "the site " (ref terraform-data "site" "output") " is not served over https")))
"#;

#[test]
fn a_failing_check_is_a_warning_and_leaves_the_exit_code_alone() {
    let w = Workdir::init_with(CHECK);
    w.run(&["plan", "--no-color", "--detailed-exitcode"])
        .code(2)
        .stderr_has("check.https-only: assertion known only after apply");
    w.run(&["apply", "--auto-approve", "--no-color"])
        .success()
        .stderr_has("warning")
        .stderr_has(
            "check.https-only: assertion failed: the site http://example.com is not served over https",
        );
    w.run(&["plan", "--no-color", "--detailed-exitcode"])
        .success()
        .stderr_has("assertion failed");

    let applied = w.run(&["apply", "--auto-approve", "--json"]);
    applied.success();
    assert!(
        applied
            .events_of("diagnostic")
            .iter()
            .any(|e| e["severity"] == "warning" && e["code"] == "check-failed"),
        "{}",
        applied.all_output()
    );

    let json = w.run(&["plan", "--json"]);
    json.success();
    let warnings = json.events_of("diagnostic");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0]["severity"], "warning");
    assert_eq!(warnings[0]["code"], "check-failed");
    assert_eq!(warnings[0]["location"]["line"], 5);
}

#[test]
fn a_message_built_from_a_secret_is_never_shown() {
    let secret = "hunter2-do-not-print";
    let config = r#"(define-variables (password (type string) (sensitive #t)))

(resource terraform-data "db"
  (input "x")
  (lifecycle
    (precondition (= (length (var password)) 32)
      (string-append "the password " (var password) " is too short"))))

(output "pw"
  (value "x")
  (precondition (= (var password) "right") (string-append "wrong: " (var password))))

(check "pw"
  (assert (= (var password) "right") (string-append "wrong: " (var password))))
"#;
    let w = Workdir::init_with(config);
    for args in [
        &[
            "plan",
            "--no-color",
            "--var",
            "password=hunter2-do-not-print",
        ][..],
        &["plan", "--json", "--var", "password=hunter2-do-not-print"][..],
        &[
            "apply",
            "--auto-approve",
            "--var",
            "password=hunter2-do-not-print",
        ][..],
    ] {
        let run = w.run(args);
        run.code(1);
        let output = run.all_output();
        assert!(!output.contains(secret), "{output}");
        assert!(
            output.contains("error message refers to sensitive values"),
            "{output}"
        );
    }
}

#[test]
fn replace_triggered_by_in_terraform_files_replaces_with_the_reason() {
    let w = Workdir::empty();
    let main = |version: &str| {
        format!(
            r#"resource "terraform_data" "config" {{
  input = "{version}"
}}

resource "terraform_data" "server" {{
  input = "s"
  lifecycle {{
    replace_triggered_by = [terraform_data.config]
    postcondition {{
      condition     = self.input == "s"
      error_message = "The server keeps its input."
    }}
  }}
}}
"#
        )
    };
    w.write("main.tf", &main("v1"));
    w.run(&["apply", "--auto-approve"]).success();
    let id = w.attribute("terraform_data.server", "id");
    w.write("main.tf", &main("v2"));
    w.run(&["plan", "--no-color"]).success().stdout_has(
        "# terraform_data.server will be replaced due to changes in replace_triggered_by (terraform_data.config)",
    );
    let plan = w.run(&["plan", "--json"]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform_data.config", "update"),
            ("terraform_data.server", "replace")
        ])
    );
    w.run(&["apply", "--auto-approve"]).success();
    assert_ne!(w.attribute("terraform_data.server", "id"), id);
    // Nothing changed since: nothing is triggered.
    w.run(&["plan", "--detailed-exitcode"]).success();
}

#[test]
fn self_outside_a_postcondition_and_a_non_bool_condition_are_located_errors() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"resource "terraform_data" "a" {
  input = self.output
}
"#,
    );
    w.run(&["validate", "--no-color"])
        .code(1)
        .no_panic()
        .stderr_has("`self` is only available in a `postcondition`")
        .stderr_has("main.tf:2:11");
    w.write(
        "main.tf",
        r#"resource "terraform_data" "a" {
  input = "x"
  lifecycle {
    precondition {
      condition     = "maybe"
      error_message = "m"
    }
  }
}
"#,
    );
    w.run(&["plan", "--no-color"])
        .code(1)
        .no_panic()
        .stderr_has("the condition of a precondition must be true or false, found a string")
        .stderr_has("main.tf:5:23");
}
