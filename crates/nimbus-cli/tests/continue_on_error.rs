//! Continue on error: one create fails (fault injection), what depends on
//! it is skipped, an independent branch of 50 resources completes; the
//! summary and exit code say so; a re-run without the fault finishes.

mod common;

use common::*;

const FAULT: (&str, &str) = ("NIMBUS_BUILTIN_FAULT_INPUT", "explode");

fn independent() -> Vec<String> {
    (0..50)
        .map(|i| format!("null-resource.independent[{i}]"))
        .collect()
}

#[test]
fn failure_skips_dependents_and_the_rest_completes() {
    let w = Workdir::init_fixture("continue_on_error/main.nim");

    let apply = w.run_env(&["apply", "--auto-approve", "--no-color"], &[FAULT]);
    apply
        .code(1)
        .stdout_has(
            "Apply finished with errors! Resources: 50 created, 0 updated, 0 replaced, 0 destroyed, 1 failed, 2 skipped.",
        )
        .stdout_has("Failed: terraform-data.bad")
        .stdout_has("terraform-data.after-bad: skipped: depends on terraform-data.bad, which failed")
        .stdout_has("null-resource.after-after: skipped")
        .stderr_has("injected failure for input \"explode\"")
        // The error points at the attribute that failed.
        .stderr_has("--> main.nim:6:5");
    let skipped_line = apply
        .stdout
        .lines()
        .find(|l| l.starts_with("Skipped"))
        .expect("a Skipped line");
    assert!(
        skipped_line.contains("terraform-data.after-bad")
            && skipped_line.contains("null-resource.after-after")
    );
    assert!(!apply.stdout.contains("independent[0]: skipped"));

    // Exactly the 50 independent resources are in state.
    let mut expected = independent();
    expected.sort();
    assert_eq!(w.state_list(), expected);

    // The failure is in the history, the intent closed.
    let failed = w.history_counts("resource.failed");
    assert_eq!(failed.get("terraform-data.bad"), Some(&1), "{failed:?}");
    assert_eq!(w.run(&["state", "intents"]).stdout, "");

    // Outputs and the run status: the plan still shows the 3 missing.
    let plan = w.run(&["plan", "--json"]);
    plan.success();
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("null-resource.after-after", "create"),
            ("terraform-data.after-bad", "create"),
            ("terraform-data.bad", "create"),
        ])
    );

    // Without the fault the rest is created, the 50 are left alone.
    let rerun = w.run(&["apply", "--auto-approve", "--no-color"]);
    rerun
        .success()
        .stdout_has("Apply complete! Resources: 3 created, 0 updated, 0 replaced, 0 destroyed, 0 failed, 0 skipped.");
    assert_eq!(w.state_list().len(), 53);
    let creates = w.history_counts("resource.create");
    assert_eq!(creates.len(), 53);
    assert!(
        creates.values().all(|n| *n == 1),
        "each resource created once: {creates:?}"
    );
    w.run(&["plan", "--detailed-exitcode"]).success();
}

#[test]
fn failure_in_json() {
    let w = Workdir::init_fixture("continue_on_error/main.nim");
    let apply = w.run_env(&["apply", "--auto-approve", "--json"], &[FAULT]);
    apply.code(1);
    let events = apply.events();
    let summary = events
        .iter()
        .find(|e| e["type"] == "apply_summary")
        .expect("apply_summary");
    assert_eq!(summary["created"], 50);
    assert_eq!(summary["failed"], serde_json::json!(["terraform-data.bad"]));
    let mut skipped: Vec<&str> = summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        ["null-resource.after-after", "terraform-data.after-bad"]
    );

    let failed: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "operation_failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["address"], "terraform-data.bad");
    assert_eq!(failed[0]["action"], "create");
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .contains("injected failure")
    );
    let skipped_events = events.iter().filter(|e| e["type"] == "skipped").count();
    assert_eq!(skipped_events, 2);
    let finished = events
        .iter()
        .filter(|e| e["type"] == "operation_finished" && e["action"] == "create")
        .count();
    assert_eq!(finished, 50);
    let errors: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "diagnostic" && e["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["location"]["file"], "main.nim");
    assert_eq!(errors[0]["location"]["line"], 6);
}
