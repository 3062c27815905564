//! `moved`, `removed` and `import` blocks through the real binary, in both
//! languages: plan text, exit codes, JSON events, saved plans and located
//! errors.

mod common;

use common::*;

#[test]
fn a_moves_only_plan_is_a_change_and_applies_as_planned() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"resource "terraform_data" "old" { input = "x" }
resource "terraform_data" "many" {
  count = 2
  input = "n"
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).success();
    let id = w.attribute("terraform_data.old", "id");
    w.write(
        "main.tf",
        r#"resource "terraform_data" "new" { input = "x" }
resource "terraform_data" "many" {
  for_each = toset(["a", "b"])
  input    = "n"
}

moved {
  from = terraform_data.old
  to   = terraform_data.new
}

moved {
  from = terraform_data.many[0]
  to   = terraform_data.many["a"]
}

moved {
  from = terraform_data.many[1]
  to   = terraform_data.many["b"]
}
"#,
    );
    w.run(&["plan", "--no-color"])
        .success()
        .stdout_has("# terraform_data.old has moved to terraform_data.new")
        .stdout_has("# terraform_data.many[0] has moved to terraform_data.many[\"a\"]")
        .stdout_has("Plan: 0 to create, 0 to update, 0 to replace, 0 to destroy, 3 to move.");
    // Only moves: still a change for `--detailed-exitcode`.
    w.run(&["plan", "--detailed-exitcode"]).code(2);
    let json = w.run(&["plan", "--json"]);
    json.success();
    assert_eq!(
        planned_actions(&json),
        actions(&[
            ("terraform_data.new", "move"),
            ("terraform_data.many[\"a\"]", "move"),
            ("terraform_data.many[\"b\"]", "move"),
        ])
    );
    let summary = &json.events_of("plan_summary")[0];
    assert_eq!(summary["move"], 3);
    json.stdout_has("Plan: 0 to create, 0 to update, 0 to replace, 0 to destroy, 3 to move.");

    w.run(&["plan", "-out", "moves.plan"]).success();
    w.run(&["apply", "moves.plan"])
        .success()
        .stdout_has("Resources: 3 moved, 0 created");
    assert_eq!(
        w.state_list(),
        [
            "terraform_data.many[\"a\"]",
            "terraform_data.many[\"b\"]",
            "terraform_data.new"
        ]
    );
    assert_eq!(
        w.attribute("terraform_data.new", "id"),
        id,
        "the same object"
    );
    assert_eq!(w.history_counts("resource.move").values().sum::<usize>(), 3);
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_saved_plan_with_moves_is_refused_once_the_state_changed() {
    let w = Workdir::init_with("(resource terraform-data \"a\" (input \"x\"))\n");
    w.run(&["apply", "--auto-approve"]).success();
    w.write(
        "main.nim",
        "(resource terraform-data \"b\" (input \"x\"))\n(moved (from terraform-data.a) (to terraform-data.b))\n",
    );
    w.run(&["plan", "-out", "p.plan"]).success();
    w.run(&["taint", "terraform-data.a"]).success();
    w.run(&["apply", "p.plan"])
        .failure()
        .stderr_has("the saved plan is stale");
    assert_eq!(w.state_list(), ["terraform-data.a"]);
}

#[test]
fn refactoring_errors_are_located() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"resource "terraform_data" "a" { input = "a" }
resource "terraform_data" "b" { input = "b" }
"#,
    );
    w.run(&["apply", "-auto-approve"]).success();
    // The destination is recorded already.
    w.write(
        "main.tf",
        r#"resource "terraform_data" "b" { input = "b" }

moved {
  from = terraform_data.a
  to   = terraform_data.b
}
"#,
    );
    w.run(&["plan", "--no-color"])
        .failure()
        .stderr_has("cannot move terraform_data.a to terraform_data.b: an object is already recorded at terraform_data.b")
        .stderr_has("main.tf:3:1");
    // Another type.
    w.write(
        "main.tf",
        r#"resource "terraform_data" "b" { input = "b" }
resource "random_id" "a" { byte_length = 4 }

moved {
  from = terraform_data.a
  to   = random_id.a
}
"#,
    );
    w.run(&["validate", "--no-color"])
        .failure()
        .stderr_has("the resource type differs")
        .stderr_has("main.tf:6:10");
    // Not an address.
    w.write(
        "main.tf",
        r#"resource "terraform_data" "b" { input = "b" }

moved {
  from = terraform_data.a[*]
  to   = terraform_data.b
}
"#,
    );
    w.run(&["plan", "--no-color"])
        .failure()
        .no_panic()
        .stderr_has("expected an address")
        .stderr_has("main.tf:4:10");
    // `removed` of a block still declared, `import` into an undeclared one.
    w.write(
        "main.nim",
        "(resource terraform-data \"b\" (input \"b\"))\n(removed (from terraform-data.b))\n(import (to terraform-data.zz) (id \"x\"))\n",
    );
    std::fs::remove_file(w.path().join("main.tf")).expect("remove main.tf");
    w.run(&["plan", "--no-color"])
        .failure()
        .stderr_has("`removed` names terraform-data.b, which is still declared")
        .stderr_has("main.nim:2:16")
        .stderr_has("`import` into terraform-data.zz, which the configuration does not declare")
        .stderr_has("main.nim:3:13");
    // Nothing was changed by any of it.
    assert_eq!(w.state_list(), ["terraform_data.a", "terraform_data.b"]);
}

#[test]
fn removed_forgets_and_import_adopts() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"resource "local_file" "kept" {
  filename = "kept.txt"
  content  = "k"
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).success();
    w.write(
        "main.tf",
        r#"removed {
  from = local_file.kept
  lifecycle {
    destroy = false
  }
}

resource "terraform_data" "adopted" { input = "configured" }

import {
  to = terraform_data.adopted
  id = "existing"
}
"#,
    );
    w.run(&["plan", "--no-color"])
        .success()
        .stdout_has("# local_file.kept will no longer be managed by Nimbus")
        .stdout_has("# terraform_data.adopted will be imported")
        .stdout_has("# terraform_data.adopted will be updated in place")
        .stdout_has(
            "Plan: 1 to import, 0 to create, 1 to update, 0 to replace, 0 to destroy, 1 to forget.",
        );
    let json = w.run(&["plan", "--json"]);
    assert_eq!(
        planned_actions(&json),
        actions(&[
            ("local_file.kept", "forget"),
            ("terraform_data.adopted", "update"),
        ])
    );
    assert_eq!(json.events_of("plan_summary")[0]["import"], 1);
    w.run(&["apply", "-auto-approve", "-no-color"])
        .success()
        .stdout_has("Resources: 1 imported, 1 forgotten, 0 created, 1 updated");
    assert_eq!(w.state_list(), ["terraform_data.adopted"]);
    assert_eq!(w.attribute("terraform_data.adopted", "id"), "existing");
    assert_eq!(w.read("kept.txt"), "k", "forgotten, not destroyed");
    assert_eq!(
        w.history_counts("resource.import").values().sum::<usize>(),
        1
    );
    // The import block has done its work: kept as a record of where the
    // object came from, it changes nothing, whatever its id says (as in
    // Terraform).
    w.run(&["plan", "--detailed-exitcode"]).code(0);
    let text = w.read("main.tf").replace("\"existing\"", "\"other\"");
    w.write("main.tf", &text);
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}
