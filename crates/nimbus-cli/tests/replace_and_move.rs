//! Forcing a replacement (`--replace ADDR`, `taint`/`untaint`) and moving
//! whole blocks in state (`state mv` of a `count`/`for-each` block).

mod common;

use common::*;

const CONFIG: &str = r#"(define-infrastructure t
  (resource terraform-data "one" (input "x"))
  (resource terraform-data "many" (count 2) (input count-index)))
"#;

#[test]
fn replace_forces_a_replacement_of_that_instance_only() {
    let w = Workdir::init_with(CONFIG);
    w.run(&["apply", "--auto-approve"]).success();
    let id = w.attribute("terraform-data.many[1]", "id");
    let other = w.attribute("terraform-data.many[0]", "id");

    let plan = w.run(&["plan", "--json", "--replace", "terraform-data.many[1]"]);
    plan.success();
    assert_eq!(
        planned_actions(&plan),
        actions(&[("terraform-data.many[1]", "replace")])
    );
    w.run(&["plan", "--no-color", "-replace", "terraform-data.many[1]"])
        .success()
        .stdout_has("replacement requested with --replace");

    // Saved, then applied: the selection travels with the plan.
    w.run(&[
        "plan",
        "-out",
        "r.plan",
        "--replace",
        "terraform-data.many[1]",
    ])
    .success();
    w.run(&["apply", "r.plan"])
        .success()
        .stdout_has("1 replaced");
    assert_ne!(w.attribute("terraform-data.many[1]", "id"), id);
    assert_eq!(w.attribute("terraform-data.many[0]", "id"), other);

    // What is not in state cannot be replaced.
    w.run(&["plan", "--replace", "terraform-data.many[5]"])
        .failure()
        .stderr_has("--replace terraform-data.many[5]: no such object in state");
}

#[test]
fn taint_marks_an_object_for_replacement_and_untaint_clears_it() {
    let w = Workdir::init_with(CONFIG);
    w.run(&["apply", "--auto-approve"]).success();
    let id = w.attribute("terraform-data.one", "id");

    w.run(&["taint", "terraform-data.one"])
        .success()
        .stdout_has("terraform-data.one is tainted");
    let plan = w.run(&["plan", "--json"]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[("terraform-data.one", "replace")])
    );
    w.run(&["untaint", "terraform-data.one"])
        .success()
        .stdout_has("no longer tainted");
    w.run(&["plan", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");

    w.run(&["taint", "terraform-data.one"]).success();
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 replaced");
    assert_ne!(w.attribute("terraform-data.one", "id"), id);
    // Both marks are in the history.
    let operations: Vec<String> = w
        .history()
        .iter()
        .filter_map(|e| e["operation"].as_str().map(str::to_string))
        .collect();
    assert!(operations.iter().any(|o| o == "taint"), "{operations:?}");
    assert!(operations.iter().any(|o| o == "untaint"), "{operations:?}");

    w.run(&["taint", "terraform-data.none"])
        .failure()
        .no_panic()
        .stderr_has("terraform-data.none");
}

#[test]
fn state_mv_moves_every_instance_of_a_block() {
    let w = Workdir::init_with(CONFIG);
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&[
        "state",
        "mv",
        "terraform-data.many",
        "terraform-data.renamed",
    ])
    .success()
    .stdout_has("Moved 2 resources from terraform-data.many to terraform-data.renamed.");
    assert_eq!(
        w.state_list(),
        [
            "terraform-data.one",
            "terraform-data.renamed[0]",
            "terraform-data.renamed[1]"
        ]
    );
    // The configuration follows the rename: nothing to do.
    w.write("main.nim", &CONFIG.replace("\"many\"", "\"renamed\""));
    w.run(&["plan", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");

    // `state show` of the block names its instances.
    w.run(&["state", "show", "terraform-data.renamed"])
        .failure()
        .stderr_has("it has 2 instances")
        .stderr_has("terraform-data.renamed[0]");
}
