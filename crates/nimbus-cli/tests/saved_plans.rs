//! Saved plans: `plan -out FILE` then `apply FILE` applies without a
//! prompt; a plan made before someone else changed the state is refused as
//! stale; a plan keeps the variables it was made with.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn saved_plan_applies_without_prompt() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    // Terraform's spelling `-out FILE` works, as do `-out=FILE` and `--out`.
    let plan = w.run(&[
        "plan",
        "-out",
        "p.json",
        "--var",
        "message=two",
        "--no-color",
    ]);
    plan.success()
        .stdout_has("Plan: 2 to create")
        .stdout_has("Saved the plan to");
    let mode = std::fs::metadata(w.path().join("p.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "plans can hold secrets: owner-only");
    assert!(w.state_list().is_empty());

    // stdin is not a terminal: a prompt would fail the run.
    let apply = w.run(&["apply", "p.json", "--no-color"]);
    apply
        .success()
        .stdout_has("Apply complete! Resources: 2 created")
        .no_panic();
    assert!(!apply.stdout.contains("Enter a value"));
    // The variables of the plan, not the defaults.
    assert_eq!(w.read("out/note.txt"), "two");
    assert_eq!(w.attribute("terraform-data.message", "output"), "two");

    // Applying the same plan again: the state moved on.
    w.run(&["apply", "p.json"]).failure().stderr_has("stale");

    // Other spellings.
    w.run(&["plan", "-out=q.json", "--var", "message=three"])
        .success();
    assert!(w.exists("q.json"));
    w.run(&["plan", "--out", "r.json"]).success();
    assert!(w.exists("r.json"));
    w.run(&["apply", "q.json"])
        .success()
        .stdout_has("1 updated")
        .stdout_has("1 replaced");
    assert_eq!(w.read("out/note.txt"), "three");
}

#[test]
fn stale_plan_is_refused() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&["plan", "-out", "p.json", "--var", "message=planned"])
        .success();

    // Someone else applies in the meantime.
    w.run(&["apply", "--auto-approve", "--var", "message=other"])
        .success();
    let history_before = w.history().len();

    let stale = w.run(&["apply", "p.json"]);
    stale
        .failure()
        .no_panic()
        .stderr_has("the saved plan is stale: the state changed since it was made")
        .stderr_has("run `nimbus plan` again");
    assert_eq!(
        w.read("out/note.txt"),
        "other",
        "a refused plan changes nothing"
    );
    assert_eq!(w.history().len(), history_before);

    // A state command also makes it stale.
    w.run(&["plan", "-out", "p2.json", "--var", "message=planned"])
        .success();
    w.run(&["state", "rm", "terraform-data.message"]).success();
    w.run(&["apply", "p2.json"]).failure().stderr_has("stale");
}

#[test]
fn saved_plan_checks_workspace_and_file() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["plan", "-out", "p.json"]).success();
    w.run(&["workspace", "new", "staging"]).success();
    w.run(&["apply", "p.json"]).failure().stderr_has(
        "the plan was made for workspace `default`, but the current workspace is `staging`",
    );
    w.run(&["workspace", "select", "default"]).success();

    w.write("broken.json", "{ not a plan");
    w.run(&["apply", "broken.json"])
        .failure()
        .no_panic()
        .stderr_has("is not a Nimbus plan file");
    w.run(&["apply", "missing.json"])
        .failure()
        .no_panic()
        .stderr_has("cannot read the plan");
    w.run(&["apply", "p.json"]).success();
}

#[test]
fn saved_destroy_plan() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&["plan", "--destroy", "-out", "d.json", "--no-color"])
        .success()
        .stdout_has("Plan: 0 to create, 0 to update, 0 to replace, 2 to destroy.");
    assert_eq!(w.state_list().len(), 2);
    w.run(&["apply", "d.json"])
        .success()
        .stdout_has("Destroy complete!");
    assert!(w.state_list().is_empty());
    assert!(!w.exists("out/note.txt"));
}

#[test]
fn approval_is_required_without_a_terminal() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["apply"])
        .failure()
        .stderr_has("rerun with --auto-approve");
    let json = w.run(&["apply", "--json"]);
    json.failure();
    let errors = json.events_of("diagnostic");
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("--auto-approve")),
        "{errors:?}"
    );
    assert!(w.state_list().is_empty());
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&["destroy"])
        .failure()
        .stderr_has("rerun with --auto-approve");
    assert_eq!(w.state_list().len(), 2);
}
