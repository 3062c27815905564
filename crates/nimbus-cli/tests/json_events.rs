//! The `--json` event stream: every line of every command is a JSON object
//! with `"v": 1` and a `type` documented in docs/json-events.md, nothing
//! goes to stderr, and no secret from a random-password appears anywhere
//! in the output of plan, apply, output, state show or history.

mod common;

use common::*;
use std::collections::BTreeSet;

/// `type`s documented in docs/json-events.md (headings "### `TYPE`").
fn documented_types() -> BTreeSet<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json-events.md");
    let text = std::fs::read_to_string(&path).expect("docs/json-events.md");
    text.lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_command_speaks_versioned_json() {
    let documented = documented_types();
    let w = Workdir::empty();
    w.write("main.nim", &fixture("lifecycle/v1.nim"));
    let mut seen = BTreeSet::new();
    let mut run = |args: &[&str], code: i32| {
        let mut all = args.to_vec();
        all.push("--json");
        let run = w.run(&all);
        run.code(code);
        for event in run.events() {
            seen.insert(event["type"].as_str().unwrap().to_string());
        }
        run
    };
    run(&["init"], 0);
    run(&["validate"], 0);
    // The fixture is not in canonical layout: `fmt --check` lists it.
    run(&["fmt", "--check"], 1);
    run(&["version"], 0);
    run(&["providers"], 0);
    run(&["plan"], 0);
    let apply = run(&["apply", "--auto-approve"], 0);
    let events = apply.events();
    // Operations name their action as a verb, like planned changes.
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "operation_started" && e["action"] == "create")
    );
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "operation_finished" && e["action"] == "create")
    );
    let summary = events
        .iter()
        .find(|e| e["type"] == "apply_summary")
        .unwrap();
    assert_eq!(summary["created"], 3);
    assert!(summary["run_id"].is_string());

    run(&["plan", "--detailed-exitcode"], 0);
    // `output --json` is Terraform's document instead of an event stream.
    let outputs = w.run(&["output", "--json"]);
    outputs.success();
    let document: serde_json::Value =
        serde_json::from_str(&outputs.stdout).expect("one JSON document");
    assert!(document.is_object(), "{document}");
    let list = run(&["state", "list"], 0).events();
    assert_eq!(list[0]["address"], "local-file.motd");
    assert_eq!(list[0]["resource_type"], "local-file");
    run(&["state", "show", "terraform-data.config"], 0);
    run(&["state", "history"], 0);
    run(&["state", "intents"], 0);
    run(&["graph"], 0);
    run(&["workspace", "list"], 0);
    run(&["workspace", "show"], 0);

    w.write("out/motd.txt", "drifted\n");
    run(&["drift"], 2);
    run(&["refresh"], 0);
    w.use_fixture("lifecycle/v2.nim");
    let plan = run(&["plan", "-out", "p.json"], 0);
    assert!(
        plan.events()
            .iter()
            .any(|e| e["type"] == "plan_summary" && e["update"] == 1 && e["replace"] == 2)
    );
    run(&["apply", "p.json"], 0);

    // Errors are events too.
    let error = run(&["state", "show", "nothing.here"], 1);
    assert_eq!(error.events()[0]["type"], "diagnostic");
    assert_eq!(error.events()[0]["severity"], "error");
    w.write(
        "broken.nim",
        "(define-infrastructure broken\n  (resource null-resource \"x\")\n",
    );
    let syntax = run(&["plan"], 1);
    let d = &syntax.events()[0];
    assert_eq!(d["type"], "diagnostic");
    assert_eq!(d["location"]["file"], "broken.nim");
    assert_eq!(d["location"]["line"], 1);
    std::fs::remove_file(w.path().join("broken.nim")).unwrap();

    run(&["destroy", "--auto-approve"], 0);
    run(&["workspace", "new", "other"], 0);
    run(&["workspace", "select", "default"], 0);
    run(&["workspace", "delete", "other"], 0);

    let undocumented: Vec<&String> = seen.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "event types missing from docs/json-events.md: {undocumented:?}"
    );
    for expected in [
        "result",
        "planned_change",
        "plan_summary",
        "apply_planned",
        "operation_started",
        "operation_finished",
        "apply_summary",
        "refresh_started",
        "refresh_finished",
        "drift",
        "resource",
        "history",
        "graph",
        "diagnostic",
    ] {
        assert!(
            seen.contains(expected),
            "no `{expected}` event seen: {seen:?}"
        );
    }
}

#[test]
fn secrets_never_appear() {
    let w = Workdir::init_fixture("secrets/main.nim");
    let mut outputs = Vec::new();
    outputs.push(w.run(&["plan", "--no-color"]));
    outputs.push(w.run(&["plan", "--json"]));
    outputs.push(w.run(&["apply", "--auto-approve", "--no-color"]));
    let secret = w
        .run(&["output", "password", "--show-sensitive"])
        .stdout
        .trim()
        .to_string();
    assert_eq!(secret.len(), 32, "the password");
    assert_eq!(w.read("out/db.conf"), secret, "the secret really is used");

    // A new resource using the existing secret: its value is known at plan
    // time and must still be masked.
    let mut config = fixture("secrets/main.nim");
    config.push_str(
        "\n(define-infrastructure more\n  (resource terraform-data \"later\"\n    (input (ref random-password \"db\" \"result\"))))\n",
    );
    w.write("main.nim", &config);
    let plan = w.run(&["plan", "--no-color"]);
    plan.success().stdout_has("+ input  = (sensitive)");
    outputs.push(plan);
    outputs.push(w.run(&["plan", "--json"]));
    outputs.push(w.run(&["apply", "--auto-approve", "--json"]));
    // References to a resource that holds the secret are secret too.
    w.write(
        "main.nim",
        &format!("{config}\n(define-infrastructure leak\n  (output \"echo\" (value (ref terraform-data \"later\" \"output\"))))\n"),
    );
    let leak = w.run(&["plan", "--no-color"]);
    leak.failure()
        .stderr_has("output `echo` refers to sensitive values");
    outputs.push(leak);
    w.write("main.nim", &config);

    // Secret removed from the configuration: the old value stays masked.
    w.write(
        "main.nim",
        &config.replace(
            "(input (ref random-password \"db\" \"result\"))))",
            "(input \"public\")))",
        ),
    );
    let plan = w.run(&["plan", "--no-color"]);
    plan.success()
        .stdout_has("~ input  = (sensitive) -> (sensitive)");
    outputs.push(plan);
    outputs.push(w.run(&["plan", "--json"]));
    w.write("main.nim", &config);

    for args in [
        &["output"][..],
        &["output", "--json"],
        &["output", "password"],
        &["output", "password", "--json"],
        &["state", "show", "random-password.db"],
        &["state", "show", "random-password.db", "--json"],
        &["state", "show", "terraform-data.copy"],
        &["state", "show", "terraform-data.copy", "--json"],
        &["state", "show", "terraform-data.later", "--json"],
        &["state", "show", "local-file.config"],
        &["state", "history"],
        &["state", "history", "--json"],
        &["state", "list", "--json"],
        &["drift", "--json"],
        &["graph", "--json"],
    ] {
        outputs.push(w.run(args));
    }
    // Drift of the secret file shows neither the old nor the new content.
    w.write("out/db.conf", "overwritten");
    let drift = w.run(&["drift", "--no-color"]);
    drift
        .code(2)
        .stdout_has("~ content: (sensitive) -> (sensitive)");
    outputs.push(drift);
    outputs.push(w.run(&["drift", "--json"]));
    outputs.push(w.run(&["destroy", "--auto-approve", "--no-color"]));

    for run in &outputs {
        assert!(
            !run.all_output().contains(&secret),
            "`nimbus {}` shows the secret:\n{}\n{}",
            run.args.join(" "),
            run.stdout,
            run.stderr
        );
        if run.args.iter().any(|a| a == "--json") && run.args[0] != "output" {
            run.events();
        }
    }
}
