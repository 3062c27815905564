//! End to end: init → plan → apply → no changes → edit → plan shows
//! exactly the expected update/replace → apply → drift → remediate →
//! destroy. Plus the data-driven table of configuration edits in
//! `tests/e2e/changes/<case>/{before,after}.nim`, each snapshotting the
//! rendered plan.

mod common;

use common::*;

#[test]
fn full_lifecycle() {
    let w = Workdir::with_fixture("lifecycle/v1.nim");
    let settings = insta_settings(Some(&w));
    let _guard = settings.bind_to_scope();

    // init keeps an existing configuration and creates the state.
    w.run(&["init"]).success().stdout_has("Initialized Nimbus");
    assert!(w.exists(".nimbus/state.db"));
    assert!(
        !w.read("main.nim").contains("starter"),
        "init must not overwrite main.nim"
    );

    // plan: three creates, rendered.
    let plan = w.run(&["plan", "--no-color", "--detailed-exitcode"]);
    plan.code(2);
    insta::assert_snapshot!("lifecycle_plan_create", plan.stdout);
    assert!(w.state_list().is_empty(), "plan must not change anything");
    assert!(!w.exists("out/motd.txt"), "plan must not create files");

    // apply.
    let apply = w.run(&["apply", "--auto-approve", "--no-color"]);
    apply
        .success()
        .stdout_has("Apply complete! Resources: 3 created, 0 updated, 0 replaced, 0 destroyed, 0 failed, 0 skipped.")
        .stdout_has("config = \"v1\"");
    assert_eq!(
        w.state_list(),
        [
            "local-file.motd",
            "null-resource.trigger",
            "terraform-data.config"
        ]
    );
    assert_eq!(w.read("out/motd.txt"), "hello from nimbus\n");
    let trigger_id = w.attribute("null-resource.trigger", "id");
    let config_id = w.attribute("terraform-data.config", "id");

    // Nothing to do now.
    w.run(&["plan", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes. The infrastructure matches the configuration.");
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("No changes.");

    // Edit: input changes (update in place), triggers change (replace).
    w.use_fixture("lifecycle/v2.nim");
    let plan = w.run(&["plan", "--no-color", "--detailed-exitcode"]);
    plan.code(2);
    insta::assert_snapshot!("lifecycle_plan_update", plan.stdout);
    let json = w.run(&["plan", "--json"]);
    json.success();
    assert_eq!(
        planned_actions(&json),
        actions(&[
            ("null-resource.trigger", "replace"),
            ("terraform-data.config", "update")
        ]),
        "exactly one update and one replace"
    );

    let apply = w.run(&["apply", "--auto-approve", "--no-color"]);
    apply
        .success()
        .stdout_has(
            "Resources: 0 created, 1 updated, 1 replaced, 0 destroyed, 0 failed, 0 skipped.",
        )
        .stdout_has("config = \"v2\"");
    assert_eq!(
        w.attribute("terraform-data.config", "id"),
        config_id,
        "an update keeps the object"
    );
    assert_ne!(
        w.attribute("null-resource.trigger", "id"),
        trigger_id,
        "a replace makes a new object"
    );
    w.run(&["plan", "--detailed-exitcode"]).success();

    // Drift: the file is edited behind Nimbus's back.
    w.write("out/motd.txt", "edited by hand\n");
    let drift = w.run(&["drift", "--no-color"]);
    drift
        .code(2)
        .stdout_has("local-file.motd")
        .stdout_has("~ content:");
    insta::assert_snapshot!("lifecycle_drift", drift.stdout);
    let json = w.run(&["drift", "--json"]);
    json.code(2);
    let drifts = json.events_of("drift");
    assert_eq!(drifts.len(), 1, "{drifts:?}");
    assert_eq!(drifts[0]["address"], "local-file.motd");
    assert!(
        drifts[0]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "content"
                && a["recorded"] == "hello from nimbus\n"
                && a["current"] == "edited by hand\n")
    );
    // Detecting drift changes nothing.
    assert_eq!(w.read("out/motd.txt"), "edited by hand\n");

    let fix = w.run(&["drift", "--remediate", "--auto-approve", "--no-color"]);
    fix.success()
        .stdout_has("local-file.motd")
        .stdout_has("1 replaced");
    assert_eq!(w.read("out/motd.txt"), "hello from nimbus\n");
    w.run(&["drift"]).success().stdout_has("No drift");
    w.run(&["plan", "--detailed-exitcode"]).success();

    // Destroy: state empty, file gone, outputs cleared.
    let destroy = w.run(&["destroy", "--auto-approve", "--no-color"]);
    destroy
        .success()
        .stdout_has("Destroy complete! Resources: 0 created, 0 updated, 0 replaced, 3 destroyed");
    assert!(w.state_list().is_empty());
    assert!(!w.exists("out/motd.txt"));
    w.run(&["output"]).success();
    assert_eq!(w.run(&["output"]).stdout, "");
    w.run(&["destroy", "--auto-approve"]).success();
}

/// A plain `apply` (not `drift --remediate`) after an out-of-band edit
/// and after an out-of-band deletion: the refresh of the plan is what the
/// apply works from.
#[test]
fn apply_after_drift_and_deletion() {
    let w = Workdir::init_fixture("lifecycle/v1.nim");
    w.run(&["apply", "--auto-approve"]).success();

    w.write("out/motd.txt", "edited\n");
    w.run(&["apply", "--auto-approve", "--no-color"])
        .success()
        .stdout_has("changed outside Nimbus")
        .stdout_has("1 replaced");
    assert_eq!(w.read("out/motd.txt"), "hello from nimbus\n");

    std::fs::remove_file(w.path().join("out/motd.txt")).unwrap();
    w.run(&["apply", "--auto-approve", "--no-color"])
        .success()
        .stdout_has("no longer exists")
        .stdout_has("1 created");
    assert_eq!(w.read("out/motd.txt"), "hello from nimbus\n");
    w.run(&["plan", "--detailed-exitcode"]).success();

    // `refresh` records what it finds; then the plan shows the way back.
    w.write("out/motd.txt", "edited again\n");
    w.run(&["refresh"])
        .success()
        .stdout_has("1 changed outside Nimbus");
    assert_eq!(w.attribute("local-file.motd", "content"), "edited again\n");
    w.run(&["plan", "--detailed-exitcode"]).code(2);
    w.run(&["apply", "--auto-approve"]).success();
    assert_eq!(w.read("out/motd.txt"), "hello from nimbus\n");
}

/// Each case: apply `before.nim`, switch to `after.nim`, snapshot the
/// rendered plan (exit code included: 0 no changes, 2 changes), then apply
/// it and check that nothing is left to do.
#[test]
fn configuration_edits() {
    insta::glob!("e2e/changes/*/before.nim", |before| {
        let case = before.parent().unwrap();
        let w = Workdir::init_with(&std::fs::read_to_string(before).unwrap());
        w.run(&["apply", "--auto-approve"]).success();
        w.write(
            "main.nim",
            &std::fs::read_to_string(case.join("after.nim")).unwrap(),
        );
        let plan = w.run(&["plan", "--no-color", "--detailed-exitcode"]);
        assert!(plan.code == 0 || plan.code == 2, "{}", transcript(&plan));
        let settings = insta_settings(Some(&w));
        settings.bind(|| insta::assert_snapshot!(transcript(&plan)));
        w.run(&["apply", "--auto-approve"]).success();
        w.run(&["plan", "--detailed-exitcode"]).success();
    });
}
