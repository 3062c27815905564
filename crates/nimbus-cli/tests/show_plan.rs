//! `nimbus show PLANFILE`: a saved plan shown again, as text or as
//! Terraform's JSON plan document (what `terraform show -json` prints), on
//! the real binary. The document is for tools that read Terraform's plans,
//! so it must describe the plan beside the configuration it was made from,
//! and never carry a secret.

mod common;

use common::*;
use serde_json::Value as Json;

const CONFIG: &str = r#"(define-variables (pw (type string) (default "Hunter2Secret") (sensitive #t)))
(resource null-resource "a" (triggers (pw (var pw)) (size "1")))
(resource terraform-data "b" (input "plain"))
(output "secret" (value (var pw)) (sensitive #t))
"#;

/// A working directory with CONFIG initialised and a plan saved as
/// `tf.plan`.
fn planned() -> Workdir {
    let w = Workdir::init_with(CONFIG);
    w.run(&["plan", "--out", "tf.plan"]).success();
    w
}

/// Asserts that the run failed saying `what`: on stderr as text, or as a
/// diagnostic event on stdout with `--json`.
#[track_caller]
fn refused(run: &Run, what: &str) {
    run.failure().no_panic();
    assert!(run.all_output().contains(what), "{}", run.all_output());
    assert!(!run.stdout.contains("format_version"), "{}", run.stdout);
}

fn document(run: &Run) -> Json {
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "show --json did not print one JSON document ({e}):\n{}",
            run.stdout
        )
    })
}

#[test]
fn json_is_terraforms_plan_document_without_secrets() {
    let w = planned();
    let run = w.run(&["show", "--json", "tf.plan"]);
    run.success().no_panic();
    assert!(
        !run.all_output().contains("Hunter2"),
        "{}",
        run.all_output()
    );
    let doc = document(&run);
    assert_eq!(doc["format_version"], "1.2");
    let changes = doc["resource_changes"]
        .as_array()
        .expect("resource_changes");
    let mut seen: Vec<(String, Json)> = changes
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap_or("").to_string(),
                c["change"]["actions"].clone(),
            )
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            ("null_resource.a".to_string(), serde_json::json!(["create"])),
            (
                "terraform_data.b".to_string(),
                serde_json::json!(["create"])
            ),
        ],
        "{doc:#}"
    );
    // The secret is null, and marked where it was.
    let a = changes
        .iter()
        .find(|c| c["address"] == "null_resource.a")
        .expect("null_resource.a");
    assert_eq!(a["change"]["after"]["triggers"]["pw"], Json::Null, "{a:#}");
    assert_eq!(
        a["change"]["after_sensitive"]["triggers"]["pw"], true,
        "{a:#}"
    );
    assert_eq!(a["change"]["after"]["triggers"]["size"], "1", "{a:#}");
    assert_eq!(
        doc["output_changes"]["secret"]["after_sensitive"], true,
        "{doc:#}"
    );
    // The configuration beside it names the blocks.
    let configured: Vec<&str> = doc["configuration"]["root_module"]["resources"]
        .as_array()
        .expect("configuration resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert!(configured.contains(&"null_resource.a"), "{doc:#}");

    // The whole document, reviewed once: a change to it is a change of
    // what tools reading it see.
    insta::assert_snapshot!("show_json_document", format!("{doc:#}"));

    // Terraform's spelling prints the same document.
    let terraform = w.run(&["show", "-json", "tf.plan"]);
    terraform.success();
    assert_eq!(document(&terraform), doc);
}

#[test]
fn text_is_the_plan_as_plan_showed_it() {
    let w = planned();
    let run = w.run(&["show", "tf.plan"]);
    run.success().no_panic();
    run.stdout_has("null-resource.a")
        .stdout_has("terraform-data.b");
    assert!(
        !run.all_output().contains("Hunter2"),
        "{}",
        run.all_output()
    );
}

#[test]
fn a_plan_is_shown_only_beside_the_configuration_it_was_made_from() {
    let w = planned();
    // Edited between `plan -out` and `show`: the document would describe
    // a configuration the plan was not made from.
    w.write(
        "main.nim",
        &CONFIG.replace(r#"(size "1")"#, r#"(size "2")"#),
    );
    refused(
        &w.run(&["show", "--json", "tf.plan"]),
        "the configuration changed since the plan was made",
    );
    w.write("main.nim", CONFIG);
    w.run(&["show", "--json", "tf.plan"]).success();
}

#[test]
fn an_edited_or_foreign_plan_file_is_refused() {
    let w = planned();
    // A value changed by hand in the file: the seal no longer matches.
    let text = w.read("tf.plan");
    assert!(text.contains("plain"), "the plan holds the planned input");
    w.write("edited.plan", &text.replacen("plain", "plaiN", 1));
    refused(
        &w.run(&["show", "--json", "edited.plan"]),
        "changed after it was written",
    );

    w.write("garbage.plan", "{ not a plan");
    refused(&w.run(&["show", "garbage.plan"]), "garbage.plan");
    refused(&w.run(&["show", "missing.plan"]), "cannot read the plan");

    // The plan of another directory (same configuration) is not shown here.
    let other = planned();
    std::fs::copy(other.path().join("tf.plan"), w.path().join("other.plan")).expect("copy");
    refused(
        &w.run(&["show", "--json", "other.plan"]),
        "the plan was made in",
    );
}

#[test]
fn chdir_resolves_the_plan_file_in_the_project() {
    let w = planned();
    let parent = w.path().parent().expect("parent").to_path_buf();
    let name = w
        .path()
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    let run = Workdir::empty().run(&[
        "-C",
        parent.join(&name).to_str().expect("utf-8 path"),
        "show",
        "--json",
        "tf.plan",
    ]);
    run.success();
    assert_eq!(document(&run)["format_version"], "1.2");
}
