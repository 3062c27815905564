//! Moving between Terraform and Nimbus, both ways, against Terraform 1.0.3
//! itself (`bench/install-terraform.sh`, named by `NIMBUS_TEST_TERRAFORM`)
//! and Terraform's null provider (the plugin mirror named by
//! `NIMBUS_TEST_PLUGIN_MIRROR`): Terraform applies a project, Nimbus adopts
//! its state and plans no change, Nimbus's export is a state Terraform
//! plans no change against, and Nimbus destroys everything.
//!
//! Without Terraform the test is skipped with a notice, except under
//! `CI=true`, where that is a failure.
#![allow(clippy::print_stderr)] // says what it skips
#![cfg(unix)]

mod common;

use common::*;
use std::path::Path;

/// A Terraform project of `main.tf`, applied by Terraform; its outputs.
fn applied_by_terraform(install: &Path) -> (tempfile::TempDir, serde_json::Value) {
    let project = tempfile::tempdir().expect("a directory for the Terraform project");
    let tf = project.path();
    std::fs::write(tf.join("main.tf"), fixture("terraform_state/main.tf")).expect("main.tf");
    let outputs = terraform_apply(install, tf);
    (project, outputs)
}

#[test]
fn a_terraform_state_moves_to_nimbus_and_back() {
    let Some((install, mirror)) = peers() else {
        return;
    };
    let (project, terraform_outputs) = applied_by_terraform(&install);
    let tf = project.path();

    let mut w = Workdir::empty();
    w.set_env("NIMBUS_PLUGIN_MIRROR", mirror.to_str().expect("utf-8 path"));
    w.write("main.nim", &fixture("terraform_state/main.nim"));
    w.run(&["init"]).success();
    let state = tf.join("terraform.tfstate");
    w.run(&[
        "state",
        "import-terraform",
        state.to_str().expect("utf-8 path"),
    ])
    .success()
    .stdout_has("Adopted 6 objects and 1 outputs")
    .stdout_has("1 data source instances left out");
    assert_eq!(w.state_list().len(), 6);
    w.run(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");
    // `output -json` in Terraform's shape, with Terraform's values.
    let output = w.run(&["output", "-json"]);
    output.success();
    let nimbus_outputs: serde_json::Value =
        serde_json::from_str(&output.stdout).expect("nimbus output -json is one document");
    assert_eq!(nimbus_outputs, terraform_outputs);
    let ids = w.run(&["output", "-json", "ids"]);
    ids.success();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&ids.stdout).expect("a bare value"),
        terraform_outputs["ids"]["value"]
    );
    // Adopting the same objects twice is refused, all or nothing.
    w.run(&[
        "state",
        "import-terraform",
        state.to_str().expect("utf-8 path"),
    ])
    .failure()
    .stderr_has("already in state");
    assert_eq!(w.state_list().len(), 6);

    // Back to Terraform: it plans no change against Nimbus's export.
    w.run(&[
        "state",
        "export-terraform",
        state.to_str().expect("utf-8 path"),
    ])
    .success();
    terraform(
        &install,
        tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        0,
    );

    w.run(&["destroy", "--auto-approve"]).success();
    assert!(w.state_list().is_empty());
}

/// Nimbus runs Terraform's project itself, with no plugin: the built-in
/// provider serves `hashicorp/null` under Terraform's names, and the
/// objects Terraform's null 2.1.2 made (`id`, `triggers`) are its objects.
#[test]
fn a_terraform_state_moves_to_the_builtin_null_provider() {
    let Some((install, _mirror)) = peers() else {
        return;
    };
    let (project, terraform_outputs) = applied_by_terraform(&install);
    let tf = project.path();
    let state = tf.join("terraform.tfstate");
    let state = state.to_str().expect("utf-8 path");

    let w = Workdir::empty();
    w.write("main.tf", &fixture("terraform_state/main.tf"));
    w.run(&["init"])
        .success()
        .stdout_has("registry.terraform.io/hashicorp/null 3.2.2: built in");
    assert!(!w.exists(".nimbus.lock"), "no plugin is locked");
    w.run(&["state", "import-terraform", state])
        .success()
        .stdout_has("Adopted 6 objects and 1 outputs");
    w.run(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");
    let output = w.run(&["output", "-json"]);
    output.success();
    let nimbus_outputs: serde_json::Value =
        serde_json::from_str(&output.stdout).expect("nimbus output -json is one document");
    assert_eq!(nimbus_outputs, terraform_outputs);

    // A trigger changed in Nimbus replaces the object with the built-in.
    let one = w.attribute("null_resource.one", "id");
    w.write(
        "main.tf",
        &fixture("terraform_state/main.tf").replace("{ a = \"x\" }", "{ a = \"y\" }"),
    );
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("3 replaced");
    assert_ne!(w.attribute("null_resource.one", "id"), one);

    // Terraform, with its plugin, plans no change against Nimbus's export.
    w.write("main.tf", &fixture("terraform_state/main.tf"));
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&["state", "export-terraform", state]).success();
    terraform(
        &install,
        tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        0,
    );

    w.run(&["destroy", "--auto-approve"]).success();
    assert!(w.state_list().is_empty());
}
