//! The parity the product promises, end to end, against Terraform 1.0.3
//! itself and its null provider (see `common::peers`). One project
//! (`tests/e2e/terraform_parity/`: variables with validation and optional
//! object attributes, locals, `count`, `for_each` over a map and a set, a
//! local module called with `count` (also zero) and with `for_each` that
//! calls another, a legacy module configuring its provider itself (and an
//! alias), a provider alias, `depends_on`, `lifecycle`, a sensitive
//! variable, splats, `for` expressions, conditionals, templates and
//! functions) is applied by Terraform once; then, with the null provider's
//! plugin and with the built-in provider:
//!
//! - Nimbus adopts Terraform's state and plans no change, its `output
//!   -json` is Terraform's, Terraform plans no change against Nimbus's
//!   export, which names each object's provider configuration as
//!   Terraform's state does (`module.legacy.provider[...]`), Nimbus plans the actions Terraform plans for a change of a
//!   variable (create-before-destroy replacements included), the project
//!   converted to `.nim` plans no change either, and Nimbus destroys
//!   everything;
//! - Nimbus applies the project from scratch to the addresses of
//!   Terraform's state and to its outputs, but for the random ids.
#![cfg(unix)]

mod common;

use common::*;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::Path;

/// The project's files, under `tests/e2e/terraform_parity/`.
const FILES: &[&str] = &[
    "main.tf",
    "modules/node/main.tf",
    "modules/meta/main.tf",
    "modules/legacy/main.tf",
];

/// The directories `nimbus convert` turns to `.nim`.
const DIRECTORIES: &[&str] = &[".", "modules/node", "modules/meta", "modules/legacy"];

/// How Nimbus serves `hashicorp/null`.
#[derive(Clone, Copy, Debug)]
enum Serve {
    Plugin,
    Builtin,
}

/// Terraform's run of the project: its directory (with `.terraform`), the
/// state it wrote and what `terraform output -json` and `terraform state
/// list` said.
struct Applied {
    project: tempfile::TempDir,
    state: String,
    outputs: Json,
    addresses: BTreeSet<String>,
    /// What Terraform plans for [`CHANGE`]: `(address, action)`.
    planned: BTreeSet<(String, String)>,
}

/// A change of a variable that creates, replaces (some create before
/// destroy, forced by `null_resource.aliased`'s lifecycle), destroys and
/// reads: Terraform and Nimbus must plan the same actions for it.
const CHANGE: &str = r#"zones=["a","d"]"#;

fn write_project(dir: &Path) {
    for file in FILES {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("project directory");
        std::fs::write(&path, fixture(&format!("terraform_parity/{file}"))).expect("project file");
    }
}

fn applied_by_terraform(install: &Path) -> Applied {
    let project = tempfile::tempdir().expect("a directory for the Terraform project");
    let tf = project.path();
    write_project(tf);
    let outputs = terraform_apply(install, tf);
    // Nimbus reads data sources on every plan and keeps none in state.
    let addresses = terraform(install, tf, &["state", "list"], 0)
        .lines()
        .filter(|a| !a.starts_with("data.") && !a.contains(".data."))
        .map(str::to_string)
        .collect();
    let state = std::fs::read_to_string(tf.join("terraform.tfstate")).expect("Terraform's state");
    terraform(
        install,
        tf,
        &[
            "plan",
            "-input=false",
            "-no-color",
            "-out=change.plan",
            "-var",
            CHANGE,
        ],
        0,
    );
    let plan: Json = serde_json::from_str(&terraform(
        install,
        tf,
        &["show", "-json", "change.plan"],
        0,
    ))
    .expect("terraform show -json");
    let planned = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter_map(|change| {
            let actions: Vec<&str> = change["change"]["actions"]
                .as_array()
                .expect("actions")
                .iter()
                .map(|a| a.as_str().expect("an action"))
                .collect();
            let action = match actions.as_slice() {
                ["no-op"] => return None,
                ["delete", "create"] => "replace",
                ["create", "delete"] => "replace, create before destroy",
                [one] => one,
                other => panic!("unexpected actions {other:?}"),
            };
            let address = change["address"].as_str().expect("an address");
            Some((address.to_string(), action.to_string()))
        })
        .collect();
    Applied {
        project,
        state,
        outputs,
        addresses,
        planned,
    }
}

/// A fresh working directory holding the project, initialized to serve
/// the null provider as `serve` says.
fn workdir(serve: Serve, mirror: &Path) -> Workdir {
    let mut w = Workdir::empty();
    write_project(w.path());
    match serve {
        Serve::Plugin => {
            w.set_env("NIMBUS_PLUGIN_MIRROR", mirror.to_str().expect("utf-8 path"));
            w.run(&["init", "--plugin", "hashicorp/null"])
                .success()
                .stdout_has("registry.terraform.io/hashicorp/null 2.1.2");
            assert!(w.exists(".nimbus.lock"), "the plugin is locked");
        }
        Serve::Builtin => {
            w.run(&["init"])
                .success()
                .stdout_has("registry.terraform.io/hashicorp/null 3.2.2: built in");
            assert!(!w.exists(".nimbus.lock"), "no plugin is locked");
        }
    }
    w
}

fn outputs_json(w: &Workdir) -> Json {
    let output = w.run(&["output", "-json", "--show-sensitive"]);
    output.success();
    serde_json::from_str(&output.stdout).expect("nimbus output -json is one document")
}

fn no_changes(w: &Workdir) {
    w.run(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");
}

/// Steps 2 to 4 and the conversion: adopt, compare, hand back, convert,
/// destroy.
fn adopt_and_hand_back(applied: &Applied, install: &Path, mirror: &Path, serve: Serve) {
    let w = workdir(serve, mirror);
    let adopted = w.path().join("adopted.tfstate");
    std::fs::write(&adopted, &applied.state).expect("a copy of Terraform's state");
    w.run(&[
        "state",
        "import-terraform",
        adopted.to_str().expect("utf-8 path"),
    ])
    .success()
    .stdout_has(&format!("Adopted {} objects", applied.addresses.len()))
    .stdout_has("1 data source instances left out");
    let listed: BTreeSet<String> = w.state_list().into_iter().collect();
    assert_eq!(listed, applied.addresses, "{serve:?}");
    no_changes(&w);
    assert_eq!(outputs_json(&w), applied.outputs, "{serve:?}");
    same_providers(&w, applied, serve);

    // The same change plans the same actions.
    let plan = w.run(&["plan", "--json", "--var", CHANGE]);
    plan.success();
    let planned: BTreeSet<(String, String)> = plan
        .events_of("planned_change")
        .iter()
        .map(|e| {
            let mut action = e["action"].as_str().expect("an action").to_string();
            if e["create_before_destroy"] == true {
                action.push_str(", create before destroy");
            }
            (
                e["address"].as_str().expect("an address").to_string(),
                action,
            )
        })
        .collect();
    assert_eq!(planned, applied.planned, "{serve:?}");

    // A validation rule holds in Nimbus as in Terraform.
    w.run(&["plan", "--var", "env=qa"])
        .failure()
        .stderr_has("The env must be dev, staging or prod.");

    // Back to Terraform: it plans no change against Nimbus's export.
    let tf = applied.project.path();
    w.run(&[
        "state",
        "export-terraform",
        tf.join("terraform.tfstate").to_str().expect("utf-8 path"),
    ])
    .success();
    terraform(
        install,
        tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        0,
    );

    // The project in `.nim` means the same: no change against the state.
    for dir in DIRECTORIES {
        w.run(&["convert", "--in-place", dir]).success();
    }
    for file in FILES {
        assert!(!w.exists(file), "{file} converted away");
        assert!(w.exists(&file.replace(".tf", ".nim")), "{file} as .nim");
    }
    no_changes(&w);
    assert_eq!(outputs_json(&w), applied.outputs, "{serve:?}, converted");

    w.run(&["destroy", "--auto-approve"]).success();
    assert!(w.state_list().is_empty());
}

/// The provider configuration a Terraform state names for each managed
/// block: `provider["registry.terraform.io/hashicorp/null"]`,
/// `module.legacy.provider["..."].b`.
fn providers(state: &str) -> BTreeSet<(String, String)> {
    let state: Json = serde_json::from_str(state).expect("a Terraform state");
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            let module = r["module"]
                .as_str()
                .map_or(String::new(), |m| format!("{m}."));
            (
                format!(
                    "{module}{}.{}",
                    r["type"].as_str().expect("a type"),
                    r["name"].as_str().expect("a name")
                ),
                r["provider"].as_str().expect("a provider").to_string(),
            )
        })
        .collect()
}

/// Nimbus's export of the workdir's state names the provider
/// configurations Terraform's state names.
fn same_providers(w: &Workdir, applied: &Applied, serve: Serve) {
    let exported = w.path().join("providers.tfstate");
    w.run(&[
        "state",
        "export-terraform",
        exported.to_str().expect("utf-8 path"),
    ])
    .success();
    let nimbus = providers(&std::fs::read_to_string(&exported).expect("the export"));
    let terraform = providers(&applied.state);
    assert!(
        terraform.contains(&(
            "module.legacy.null_resource.aliased".to_string(),
            r#"module.legacy.provider["registry.terraform.io/hashicorp/null"].b"#.to_string()
        )),
        "{terraform:#?}"
    );
    assert_eq!(nimbus, terraform, "{serve:?}");
    std::fs::remove_file(&exported).expect("remove the export");
}

/// Every `id` of a Terraform state (as Terraform writes it, or as Nimbus
/// exports it): the random values outputs may hold.
fn ids(state: &str) -> BTreeSet<String> {
    let state: Json = serde_json::from_str(state).expect("a Terraform state");
    let mut ids = BTreeSet::new();
    for resource in state["resources"].as_array().expect("resources") {
        for instance in resource["instances"].as_array().expect("instances") {
            if let Some(id) = instance["attributes"]["id"].as_str() {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

/// `value` with every string of `ids` replaced by `"<id>"`.
fn without_ids(value: &Json, ids: &BTreeSet<String>) -> Json {
    match value {
        Json::String(s) if ids.contains(s) => Json::String("<id>".into()),
        Json::Array(items) => Json::Array(items.iter().map(|v| without_ids(v, ids)).collect()),
        Json::Object(fields) => Json::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), without_ids(v, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Step 5: the project applied by Nimbus from scratch.
fn applied_from_scratch(applied: &Applied, mirror: &Path, serve: Serve) {
    let w = workdir(serve, mirror);
    w.run(&["apply", "--auto-approve"]).success();
    let listed: BTreeSet<String> = w.state_list().into_iter().collect();
    assert_eq!(listed, applied.addresses, "{serve:?}");
    no_changes(&w);
    same_providers(&w, applied, serve);

    let exported = w.path().join("exported.tfstate");
    w.run(&[
        "state",
        "export-terraform",
        exported.to_str().expect("utf-8 path"),
    ])
    .success();
    let nimbus_ids = ids(&std::fs::read_to_string(&exported).expect("the export"));
    let terraform_ids = ids(&applied.state);
    assert_eq!(
        nimbus_ids.len(),
        applied.addresses.len(),
        "one id per object"
    );
    let nimbus = without_ids(&outputs_json(&w), &nimbus_ids);
    let terraform = without_ids(&applied.outputs, &terraform_ids);
    assert_eq!(nimbus, terraform, "{serve:?}");

    w.run(&["destroy", "--auto-approve"]).success();
    assert!(w.state_list().is_empty());
}

#[test]
fn terraform_and_nimbus_agree_on_one_project() {
    let Some((install, mirror)) = peers() else {
        return;
    };
    let applied = applied_by_terraform(&install);
    // The outputs are mostly deterministic: the comparisons mean something.
    assert_eq!(applied.addresses.len(), 26);
    assert_eq!(
        applied.outputs["summary"]["value"],
        "3 replicas of staging-app in a, b, c"
    );
    for serve in [Serve::Plugin, Serve::Builtin] {
        adopt_and_hand_back(&applied, &install, &mirror, serve);
        applied_from_scratch(&applied, &mirror, serve);
    }
}

/// `output -json` types outputs as Terraform does: by what the expression
/// says (a literal list is a tuple, `tomap` a map, a `list(string)`
/// variable a list, a provider attribute its schema's type, a
/// conditional's sides unified), not by the shape of the value; a null
/// output is not recorded.
#[test]
fn output_json_types_are_terraforms() {
    let Some((install, _)) = peers() else {
        return;
    };
    let text = fixture("output_types/main.tf");
    let tf = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(tf.path().join("main.tf"), &text).expect("the project");
    let terraform = terraform_apply(&install, tf.path());
    assert!(
        terraform.get("null").is_none(),
        "Terraform records no null output"
    );
    assert_eq!(
        terraform["map_var"]["type"],
        serde_json::json!(["map", "string"])
    );

    // The primitives a conditional mixes unify to a string, value too.
    assert_eq!(
        terraform["cond_number_string"],
        serde_json::json!({"sensitive": false, "type": "string", "value": "1"})
    );

    let w = Workdir::empty();
    w.write("main.tf", &text);
    w.run(&["init"]).success();
    w.run(&["apply", "--auto-approve"]).success();
    let mut nimbus = outputs_json(&w);
    let mut terraform = terraform;
    // The ids of a splat are random: only their type and number compare.
    for outputs in [&mut nimbus, &mut terraform] {
        let ids = &mut outputs["splat_ids"]["value"];
        assert_eq!(ids.as_array().map(Vec::len), Some(2), "{ids}");
        *ids = serde_json::json!("<ids>");
    }
    assert_eq!(nimbus, terraform);
}
