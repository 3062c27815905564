//! `--target`/`--exclude`, `lifecycle`, `import`, `output`, `graph`,
//! `state show|rm|mv|history`, `workspace new|select|list|delete`.

mod common;

use common::*;
use serde_json::json;

// ---------------------------------------------------------------- targeting

#[test]
fn target_includes_dependencies() {
    let w = Workdir::init_fixture("targeting/main.nim");
    let plan = w.run(&["plan", "--json", "--target", "terraform-data.mid"]);
    plan.success();
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.base", "create"),
            ("terraform-data.mid", "create")
        ])
    );
    w.run(&["apply", "--auto-approve", "--target", "terraform-data.mid"])
        .success()
        .stdout_has("2 created");
    assert_eq!(
        w.state_list(),
        ["terraform-data.base", "terraform-data.mid"]
    );

    // Untargeted resources are not planned for deletion either.
    let plan = w.run(&["plan", "--json", "--target", "terraform-data.other"]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[("terraform-data.other", "create")])
    );

    // Several targets.
    let plan = w.run(&[
        "plan",
        "--json",
        "--target",
        "terraform-data.top",
        "--target",
        "terraform-data.other",
    ]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.other", "create"),
            ("terraform-data.top", "create")
        ])
    );
}

#[test]
fn exclude_drops_dependents() {
    let w = Workdir::init_fixture("targeting/main.nim");
    let plan = w.run(&["plan", "--json", "--exclude", "terraform-data.mid"]);
    plan.success();
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.base", "create"),
            ("terraform-data.other", "create")
        ])
    );
    w.run(&["apply", "--auto-approve", "--exclude", "terraform-data.mid"])
        .success();
    assert_eq!(
        w.state_list(),
        ["terraform-data.base", "terraform-data.other"]
    );
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("2 created");
    assert_eq!(w.state_list().len(), 4);
}

#[test]
fn targeted_destroy_takes_dependents_and_exclude_keeps_dependencies() {
    let w = Workdir::init_fixture("targeting/main.nim");
    w.run(&["apply", "--auto-approve"]).success();

    // Destroying mid must destroy top (which depends on it) first.
    let plan = w.run(&[
        "plan",
        "--destroy",
        "--json",
        "--target",
        "terraform-data.mid",
    ]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.mid", "delete"),
            ("terraform-data.top", "delete")
        ])
    );

    // Excluding mid from a destroy keeps mid and what it depends on (base);
    // top, which depends on mid, can go.
    let plan = w.run(&[
        "plan",
        "--destroy",
        "--json",
        "--exclude",
        "terraform-data.mid",
    ]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.other", "delete"),
            ("terraform-data.top", "delete")
        ])
    );
    w.run(&[
        "destroy",
        "--auto-approve",
        "--exclude",
        "terraform-data.mid",
    ])
    .success()
    .stdout_has("2 destroyed");
    assert_eq!(
        w.state_list(),
        ["terraform-data.base", "terraform-data.mid"]
    );

    w.run(&[
        "destroy",
        "--auto-approve",
        "--target",
        "terraform-data.base",
    ])
    .success()
    .stdout_has("2 destroyed");
    assert!(w.state_list().is_empty());
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn prevent_destroy_blocks_destroy_and_replacement() {
    let w = Workdir::init_fixture("lifecycle_rules/main.nim");
    w.run(&["apply", "--auto-approve"]).success();

    let destroy = w.run(&["destroy", "--auto-approve"]);
    destroy
        .failure()
        .stderr_has("null-resource.precious has `prevent-destroy` set and cannot be destroyed")
        .stderr_has("--> main.nim:5:3");
    assert_eq!(w.state_list().len(), 4, "nothing destroyed");
    w.run(&["plan", "--destroy"])
        .failure()
        .stderr_has("prevent-destroy");

    // A change that forces replacement is an error in plan and apply.
    w.run(&["plan", "--var", "generation=2"])
        .failure()
        .stderr_has(
            "null-resource.precious has `prevent-destroy` set, but this plan would replace it",
        )
        .stderr_has("replacement is forced by: triggers");
    w.run(&["apply", "--auto-approve", "--var", "generation=2"])
        .failure();
    assert_eq!(
        w.attribute("null-resource.precious", "triggers"),
        json!({ "generation": "1" })
    );

    // Destroying the others is allowed.
    w.run(&[
        "destroy",
        "--auto-approve",
        "--exclude",
        "null-resource.precious",
    ])
    .success()
    .stdout_has("3 destroyed");
    assert_eq!(w.state_list(), ["null-resource.precious"]);
}

#[test]
fn create_before_destroy_and_ignore_changes() {
    let w = Workdir::init_fixture("lifecycle_rules/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    let ignored_id = w.attribute("terraform-data.ignored", "id");

    let plan = w.run(&[
        "plan",
        "--no-color",
        "--exclude",
        "null-resource.precious",
        "--var",
        "generation=2",
    ]);
    plan.success()
        .stdout_has("# null-resource.cbd must be replaced (new one created before the old one is destroyed)")
        .stdout_has("# null-resource.plain must be replaced\n");
    // ignore-changes: the changed input is not planned.
    assert!(
        !plan.stdout.contains("terraform-data.ignored"),
        "{}",
        plan.stdout
    );

    w.run(&[
        "apply",
        "--auto-approve",
        "--exclude",
        "null-resource.precious",
        "--var",
        "generation=2",
    ])
    .success()
    .stdout_has("2 replaced");

    // The order is in the history: create-before-destroy records the new
    // object (resource.replace) before the old one's deletion closes;
    // a plain replacement deletes first.
    let kinds = |address: &str| -> Vec<String> {
        w.history()
            .iter()
            .filter(|e| e["address"] == address && e["kind"] != "intent.record")
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kinds("null-resource.cbd"),
        ["resource.create", "resource.replace", "resource.update"]
    );
    assert_eq!(
        kinds("null-resource.plain"),
        ["resource.create", "resource.delete", "resource.create"]
    );
    assert_eq!(
        w.attribute("terraform-data.ignored", "input"),
        "generation 1"
    );
    assert_eq!(w.attribute("terraform-data.ignored", "id"), ignored_id);
}

// ---------------------------------------------------------------- import

#[test]
fn import_local_file_into_fresh_state() {
    let w = Workdir::with_fixture("import/main.nim");
    w.write("data/existing.txt", "made by hand\n");
    // No `init`: the state is created by the import.
    w.run(&["import", "local-file.adopted", "data/existing.txt"])
        .success()
        .stdout_has("Imported data/existing.txt (local-file) as local-file.adopted.");
    assert_eq!(w.state_list(), ["local-file.adopted"]);
    assert_eq!(
        w.attribute("local-file.adopted", "content"),
        "made by hand\n"
    );
    assert_eq!(
        w.history_counts("resource.import")
            .get("local-file.adopted"),
        Some(&1)
    );
    // The configuration matches what was imported: nothing to do.
    w.run(&["plan", "--detailed-exitcode"]).success();

    // Errors: already managed, no such block, no such file.
    w.run(&["import", "local-file.adopted", "data/existing.txt"])
        .failure()
        .stderr_has("already in state");
    w.run(&["import", "local-file.other", "data/existing.txt"])
        .failure()
        .stderr_has("no resource block `local-file.other` in the configuration");
    w.run(&["state", "rm", "local-file.adopted"]).success();
    w.run(&["import", "local-file.adopted", "data/missing.txt"])
        .failure()
        .no_panic()
        .stderr_has("does not exist");
    assert!(w.state_list().is_empty());

    // Destroying an imported object deletes it.
    w.run(&["import", "local-file.adopted", "data/existing.txt"])
        .success();
    w.run(&["destroy", "--auto-approve"]).success();
    assert!(!w.exists("data/existing.txt"));
}

#[test]
fn apply_records_the_dependencies_of_an_imported_object() {
    let w = Workdir::with_fixture("import_dependencies/main.nim");
    w.write("data/existing.txt", "made by hand\n");
    let dependencies = |w: &Workdir| {
        let run = w.run(&["state", "show", "local-file.adopted", "--json"]);
        run.success();
        run.events()[0]["dependencies"].clone()
    };
    w.run(&[
        "apply",
        "--auto-approve",
        "--target",
        "terraform-data.label",
    ])
    .success();
    w.run(&["import", "local-file.adopted", "data/existing.txt"])
        .success();
    assert_eq!(dependencies(&w), serde_json::json!([]));
    // Nothing to change, but the recorded dependencies catch up.
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("No changes.");
    assert_eq!(
        dependencies(&w),
        serde_json::json!(["terraform-data.label"])
    );
    w.run(&["plan", "--detailed-exitcode"]).success();
    w.run(&["destroy", "--auto-approve"]).success();
    assert!(w.state_list().is_empty());
    assert!(!w.exists("data/existing.txt"));
}

// ---------------------------------------------------------------- outputs

#[test]
fn outputs_mask_sensitive_values() {
    let w = Workdir::init_fixture("secrets/main.nim");
    let apply = w.run(&["apply", "--auto-approve", "--no-color"]);
    apply
        .success()
        .stdout_has("password = (sensitive)")
        .stdout_has("plain = \"not a secret\"");

    let secret = w.run(&["output", "password", "--show-sensitive"]);
    secret.success();
    let secret = secret.stdout.trim().to_string();
    assert_eq!(secret.len(), 32);

    w.run(&["output"])
        .success()
        .stdout_has("password = (sensitive)\nplain = \"not a secret\"\n");
    w.run(&["output", "password"])
        .success()
        .stdout_has("(sensitive)");
    // A single string output prints raw, for scripts.
    assert_eq!(w.run(&["output", "plain"]).stdout, "not a secret\n");
    w.run(&["output", "--show-sensitive"])
        .success()
        .stdout_has(&secret);

    // `--json` is Terraform's `output -json` document; a secret's value is
    // in it only with --show-sensitive.
    let json = w.run(&["output", "--json"]);
    json.success();
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("one document");
    assert_eq!(
        document,
        json!({
            "password": { "sensitive": true, "type": "string" },
            "plain": { "sensitive": false, "type": "string", "value": "not a secret" },
        })
    );
    assert!(!json.stdout.contains(&secret));
    let shown = w.run(&["output", "--json", "--show-sensitive"]);
    let document: serde_json::Value = serde_json::from_str(&shown.stdout).expect("one document");
    assert_eq!(document["password"]["value"], json!(secret));
    w.run(&["output", "--json", "password"])
        .failure()
        .stderr_has("output `password` is sensitive: add --show-sensitive");
    assert_eq!(
        w.run(&["output", "--json", "plain"]).stdout,
        "\"not a secret\"\n"
    );
    w.run(&["output", "nope"])
        .failure()
        .stderr_has("no output named `nope`");
}

// ---------------------------------------------------------------- graph

#[test]
fn graph_formats() {
    let w = Workdir::init_fixture("graph/main.nim");
    let settings = insta_settings(Some(&w));
    let _guard = settings.bind_to_scope();
    let dot = w.run(&["graph"]);
    dot.success();
    assert_eq!(dot.stdout, w.run(&["graph", "--format", "dot"]).stdout);
    insta::assert_snapshot!("graph_dot", dot.stdout);
    insta::assert_snapshot!(
        "graph_mermaid",
        w.run(&["graph", "--format", "mermaid"]).stdout
    );
    let json = w.run(&["graph", "--format", "json"]);
    json.success();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("graph JSON");
    insta::assert_snapshot!("graph_json", serde_json::to_string_pretty(&value).unwrap());
    // Edges go from a resource to what it depends on, through locals and
    // `depends-on`.
    let edges = value["edges"].as_array().unwrap();
    assert!(edges.contains(&json!({ "from": "terraform-data.app", "to": "random-id.suffix" })));
    assert!(edges.contains(&json!({ "from": "null-resource.after", "to": "local-file.manifest" })));
    // With --json, the graph is one event.
    let event = w.run(&["graph", "--json"]).events();
    assert_eq!(event.len(), 1);
    assert_eq!(event[0]["type"], "graph");
    assert_eq!(event[0]["edges"], value["edges"]);
    w.run(&["graph", "--format", "svg"])
        .code(1)
        .stderr_has("invalid value 'svg'");
}

/// A graph needs only the configuration: no provider is started, so a
/// plugin that is not installed (no mirror at all) does not stop it.
#[test]
fn graph_starts_no_provider() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(provider null (source "hashicorp/null") (version "2.1.2"))
(define-infrastructure g
  (resource null_resource "a" (triggers (x "1")))
  (resource terraform-data "b" (input (ref null_resource "a" "id"))))"#,
    );
    w.run(&["plan"]).failure().stderr_has("plugin");
    let graph = w.run(&["graph", "--format", "json"]);
    graph.success();
    let value: serde_json::Value = serde_json::from_str(&graph.stdout).expect("graph JSON");
    assert_eq!(
        value["edges"],
        json!([{ "from": "terraform-data.b", "to": "null_resource.a" }])
    );
}

// ---------------------------------------------------------------- state

#[test]
fn state_show_masks_sensitive_values() {
    let w = Workdir::init_fixture("secrets/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    let secret = w
        .run(&["output", "password", "--show-sensitive"])
        .stdout
        .trim()
        .to_string();

    let show = w.run(&["state", "show", "random-password.db", "--no-color"]);
    show.success()
        .stdout_has("# random-password.db")
        .stdout_has("result ");
    assert!(
        show.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("result") && l.ends_with("= (sensitive)"))
    );
    assert!(!show.stdout.contains(&secret));
    // Also where the secret was passed on.
    for address in ["terraform-data.copy", "local-file.config"] {
        let show = w.run(&["state", "show", address]);
        show.success();
        assert!(
            !show.all_output().contains(&secret),
            "{address} shows the secret:\n{}",
            show.stdout
        );
        let json = w.run(&["state", "show", address, "--json"]);
        assert!(
            !json.stdout.contains(&secret),
            "{address} shows the secret:\n{}",
            json.stdout
        );
    }
    let json = w.run(&["state", "show", "random-password.db", "--json"]);
    let event = &json.events()[0];
    assert_eq!(event["type"], "resource");
    assert_eq!(event["resource_type"], "random-password");
    assert_eq!(event["attributes"]["result"], "(sensitive)");
    assert_eq!(event["attributes"]["length"], 32);

    w.run(&["state", "show", "random-password.db", "--show-sensitive"])
        .success()
        .stdout_has(&secret);
    w.run(&["state", "show", "null-resource.nothing"])
        .failure()
        .stderr_has("no resource `null-resource.nothing` in state");
}

#[test]
fn state_rm_mv_and_history() {
    let w = Workdir::init_fixture("targeting/main.nim");
    w.run(&[
        "apply",
        "--auto-approve",
        "--target",
        "terraform-data.other",
    ])
    .success();
    let id = w.attribute("terraform-data.other", "id");

    // mv: the object keeps its id under the new address.
    w.run(&[
        "state",
        "mv",
        "terraform-data.other",
        "terraform-data.renamed",
    ])
    .success()
    .stdout_has("Moved terraform-data.other to terraform-data.renamed.");
    assert_eq!(w.state_list(), ["terraform-data.renamed"]);
    assert_eq!(w.attribute("terraform-data.renamed", "id"), id);
    let plan = w.run(&[
        "plan",
        "--json",
        "--target",
        "terraform-data.other",
        "--target",
        "terraform-data.renamed",
    ]);
    assert_eq!(planned_actions(&plan)["terraform-data.renamed"], "delete");
    w.run(&[
        "state",
        "mv",
        "terraform-data.renamed",
        "terraform-data.renamed",
    ])
    .failure();
    w.run(&["state", "mv", "terraform-data.nothing", "terraform-data.x"])
        .failure()
        .stderr_has("no resource");

    // rm: forgotten, not deleted.
    w.run(&["state", "rm", "terraform-data.renamed"])
        .success()
        .stdout_has("Removed terraform-data.renamed from state.");
    assert!(w.state_list().is_empty());
    w.run(&["state", "rm", "terraform-data.renamed"])
        .failure()
        .stderr_has("no resource");

    // history: who did what, newest first, per address.
    let history = w.run(&["state", "history", "--no-color"]);
    history.success();
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert!(
        lines[0].contains("resource.delete")
            && lines[0].contains("state rm")
            && lines[0].contains("terraform-data.renamed")
    );
    assert!(lines[1].contains("resource.move") && lines[1].contains("state mv"));
    assert!(
        lines.iter().all(|l| l.contains(&format!("by {USER}@"))),
        "{}",
        history.stdout
    );
    let kinds: Vec<String> = w
        .history()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .filter(|k| !k.starts_with("output."))
        .collect();
    assert_eq!(
        kinds,
        [
            "intent.record",
            "resource.create",
            "resource.move",
            "resource.delete"
        ]
    );
    let about = w.run(&["state", "history", "terraform-data.renamed", "--json"]);
    let about = about.events();
    assert_eq!(about.len(), 2);
    assert_eq!(about[0]["kind"], "resource.delete");
    assert_eq!(about[1]["kind"], "resource.move");
    for e in &about {
        assert_eq!(e["user"], USER);
        assert!(e["run_id"].is_string() && e["time"].is_string() && e["seq"].is_u64());
    }
    let limited = w
        .run(&["state", "history", "--limit", "1", "--json"])
        .events();
    assert_eq!(limited.len(), 1);
}

// ---------------------------------------------------------------- workspaces

#[test]
fn workspaces() {
    let w = Workdir::init_fixture("targeting/main.nim");
    w.run(&["workspace", "show"])
        .success()
        .stdout_has("default");
    w.run(&[
        "apply",
        "--auto-approve",
        "--target",
        "terraform-data.other",
    ])
    .success();

    w.run(&["workspace", "new", "staging"])
        .success()
        .stdout_has("Created and switched to workspace `staging`.");
    w.run(&["workspace", "show"])
        .success()
        .stdout_has("staging");
    assert!(
        w.state_list().is_empty(),
        "a new workspace has its own, empty state"
    );
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("4 created");
    w.run(&["workspace", "list"])
        .success()
        .stdout_has("  default (1 resource)\n* staging (4 resources)\n");
    let list = w.run(&["workspace", "list", "--json"]).events();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[1],
        json!({ "workspace": "staging", "resources": 4, "current": true, "v": 1, "type": "result" })
    );

    // NIMBUS_WORKSPACE picks one for a single command.
    assert_eq!(
        w.run_env(&["state", "list"], &[("NIMBUS_WORKSPACE", "default")])
            .stdout,
        "terraform-data.other\n"
    );

    w.run(&["workspace", "new", "staging"])
        .failure()
        .stderr_has("already exists");
    w.run(&["workspace", "new", "bad name"])
        .failure()
        .stderr_has("invalid workspace name");
    w.run(&["workspace", "select", "nope"])
        .failure()
        .stderr_has("does not exist");
    w.run(&["workspace", "delete", "staging"])
        .failure()
        .stderr_has("current workspace");
    w.run(&["workspace", "select", "default"]).success();
    assert_eq!(w.state_list(), ["terraform-data.other"]);
    w.run(&["workspace", "delete", "staging"])
        .failure()
        .stderr_has("still has 4 resource");
    w.run(&["workspace", "delete", "default"])
        .failure()
        .stderr_has("the default workspace always exists");
    w.run(&["workspace", "delete", "staging", "--force"])
        .success()
        .stdout_has("Deleted workspace `staging`.");
    w.run(&["workspace", "list"]).success();
    assert_eq!(
        w.run(&["workspace", "list"]).stdout,
        "* default (1 resource)\n"
    );
    w.run_env(&["state", "list"], &[("NIMBUS_WORKSPACE", "staging")])
        .failure()
        .stderr_has("does not exist");
}

// ------------------------------------------------- modules with count/for-each

#[test]
fn state_list_shows_terraform_shaped_addresses_of_repeated_modules() {
    let w = Workdir::empty();
    w.write(
        "modules/node.nim",
        r#"(define-variables (name (type string)))
(resource terraform-data "server" (input (var name)))
"#,
    );
    w.write(
        "main.nim",
        r#"(use-module "./modules/node.nim")
(include node (count 2) (name (format "node-~a" count-index)))
(include node "site" (for-each (list "a.b" "say \"hi\"")) (name each-key))
"#,
    );
    w.run(&["init"]).success();
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("4 created");
    assert_eq!(
        w.run(&["state", "list"]).success().stdout,
        "module.node[0].terraform-data.server\n\
         module.node[1].terraform-data.server\n\
         module.site[\"a.b\"].terraform-data.server\n\
         module.site[\"say \\\"hi\\\"\"].terraform-data.server\n"
    );
    w.run(&[
        "state",
        "show",
        "module.site[\"say \\\"hi\\\"\"].terraform-data.server",
    ])
    .success()
    .stdout_has("say \\\"hi\\\"");
}
