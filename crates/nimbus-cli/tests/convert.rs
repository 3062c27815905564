//! `nimbus convert`: a Terraform project converted to `.nim` plans to the
//! same changes and outputs as the original, its files pass `fmt --check`,
//! and a configuration that is not valid is refused with nothing written.

mod common;

use common::*;
use serde_json::Value as Json;

const MODULE: &str = "modules/svc/main.tf";

/// The project of every built-in Terraform type, with a module.
fn terraform_project() -> Workdir {
    let w = Workdir::empty();
    w.write("main.tf", &fixture("terraform_builtins/main.tf"));
    w.write(MODULE, &fixture(&format!("terraform_builtins/{MODULE}")));
    w
}

/// The planned changes of `plan --json`: address, action and attributes,
/// in order, without what differs between two runs (timestamps, sources).
fn planned(w: &Workdir) -> Vec<Json> {
    let run = w.run(&["plan", "--json"]);
    run.success();
    run.events_of("planned_change")
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "address": e["address"],
                "action": e["action"],
                "attributes": e["attributes"],
            })
        })
        .collect()
}

#[test]
fn a_converted_project_plans_and_applies_as_the_original() {
    let original = terraform_project();
    let converted = terraform_project();
    converted
        .run(&["convert", "--in-place"])
        .success()
        .stdout_has("main.tf -> main.nim");
    converted
        .run(&["convert", "modules/svc", "--in-place"])
        .success()
        .stdout_has("main.tf -> modules/svc/main.nim");
    assert!(!converted.exists("main.tf") && !converted.exists(MODULE));
    assert!(converted.exists("main.nim") && converted.exists("modules/svc/main.nim"));
    // The comments came along.
    assert!(
        converted
            .read("main.nim")
            .starts_with("; Every type of hashicorp/null, random, local and time")
    );
    converted.run(&["fmt", "--check", "--recursive"]).code(0);
    converted.run(&["validate"]).success();

    let before = planned(&original);
    assert!(before.len() > 10, "{before:#?}");
    assert_eq!(planned(&converted), before);

    for w in [&original, &converted] {
        w.run(&["apply", "--auto-approve"]).success();
        w.run(&["plan", "--detailed-exitcode"]).code(0);
    }
    assert_eq!(original.state_list(), converted.state_list());
}

#[test]
fn without_a_destination_the_conversion_is_printed_and_nothing_written() {
    let w = terraform_project();
    w.run(&["convert"])
        .success()
        .stdout_has(";; ---- main.nim")
        .stdout_has("(resource random_id \"suffix\"");
    assert!(!w.exists("main.nim"));
    assert!(w.exists("main.tf"));
}

#[test]
fn out_writes_one_nim_file_per_tf_file_elsewhere() {
    let w = Workdir::empty();
    w.write("tf/a.tf", "# first\nlocals {\n  x = 1\n}\n");
    w.write("tf/b.tf", "output \"y\" {\n  value = local.x + 1\n}\n");
    w.run(&["convert", "tf", "--out", "nim"])
        .success()
        .stdout_has("tf/a.tf -> nim/a.nim")
        .stdout_has("tf/b.tf -> nim/b.nim");
    assert_eq!(w.read("nim/a.nim"), "; first\n(locals (x 1))\n");
    assert_eq!(
        w.read("nim/b.nim"),
        "(output \"y\" (value (+ (local x) 1)))\n"
    );
    w.run(&["-C", "nim", "apply", "--auto-approve"]).success();
    w.run(&["-C", "nim", "output", "y"])
        .success()
        .stdout_has("2");
    // A .nim file already there is never overwritten.
    w.write("tf/a.tf", "locals {\n  x = 2\n}\n");
    w.run(&["convert", "tf", "--out", "nim"])
        .failure()
        .stderr_has("nim/a.nim already exists");
    assert_eq!(w.read("nim/a.nim"), "; first\n(locals (x 1))\n");
    // Beside the .tf files everything would be declared twice.
    w.run(&["convert", "tf", "--out", "tf"])
        .failure()
        .stderr_has("holds .tf files");
    assert!(!w.exists("tf/a.nim"));
}

#[test]
fn an_invalid_configuration_is_refused_where_it_is_wrong_and_nothing_is_written() {
    let w = Workdir::empty();
    w.write("ok.tf", "locals {\n  x = 1\n}\n");
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = nosuchfn(1)\n}\n",
    );
    w.run(&["convert", "--in-place"])
        .failure()
        .stderr_has("unknown function `nosuchfn`")
        .stderr_has("main.tf:2:11")
        .no_panic();
    assert!(w.exists("main.tf") && w.exists("ok.tf"));
    assert!(!w.exists("main.nim") && !w.exists("ok.nim"));

    let empty = Workdir::empty();
    empty
        .run(&["convert"])
        .failure()
        .stderr_has("no Terraform files");
}

/// Terraform's JSON syntax is read as its native syntax is: a `.tf.json`
/// project plans the same changes as its `.tf` twin, its errors point into
/// the JSON text, and it converts to `.nim` too.
#[test]
fn a_json_project_plans_as_its_tf_twin_and_converts() {
    let native = Workdir::empty();
    native.write(
        "main.tf",
        r#"
variable "names" {
  type    = set(string)
  default = ["a", "b"]
}

resource "random_id" "suffix" {
  for_each    = var.names
  byte_length = 4
}

resource "terraform_data" "svc" {
  count      = 2
  input      = "svc-${count.index}"
  depends_on = [random_id.suffix]
}

output "count" {
  value = length(terraform_data.svc)
}
"#,
    );
    let json = Workdir::empty();
    json.write(
        "main.tf.json",
        r#"{
  "variable": { "names": { "type": "set(string)", "default": ["a", "b"] } },
  "resource": {
    "random_id": { "suffix": { "for_each": "${var.names}", "byte_length": 4 } },
    "terraform_data": {
      "svc": { "count": 2, "input": "svc-${count.index}", "depends_on": ["random_id.suffix"] }
    }
  },
  "output": { "count": { "value": "${length(terraform_data.svc)}" } }
}
"#,
    );
    assert_eq!(planned(&json), planned(&native));
    json.run(&["apply", "--auto-approve"]).success();
    json.run(&["output", "count"]).success().stdout_has("2");

    json.run(&["convert", "--in-place"])
        .success()
        .stdout_has("main.tf.json -> main.nim");
    json.run(&["plan", "--detailed-exitcode"]).code(0);

    let broken = Workdir::empty();
    broken.write(
        "main.tf.json",
        "{\n  \"locals\": {\n    \"a\": \"${nosuch(1)}\"\n  }\n}\n",
    );
    broken
        .run(&["validate"])
        .failure()
        .stderr_has("unknown function `nosuch`")
        .stderr_has("main.tf.json:3:13");
}

#[test]
fn a_backend_block_converts_to_the_nim_backend_and_validates() {
    let w = Workdir::empty();
    w.write(
        "tf/main.tf",
        "terraform {\n  backend \"s3\" {\n    bucket       = \"acme-state\"\n    key          = \"app/state\"\n    use_lockfile = true\n  }\n}\n",
    );
    w.run(&["convert", "tf", "--out", "nim"]).success();
    assert_eq!(
        w.read("nim/main.nim"),
        "(backend s3 (bucket \"acme-state\") (key \"app/state\") (lock lockfile))\n"
    );
    w.run(&["-C", "nim", "validate"]).success();
    // A password in the connection string is refused, not converted.
    w.write(
        "pg/main.tf",
        "terraform {\n  backend \"pg\" {\n    conn_str = \"postgres://u:secret@db/infra\"\n  }\n}\n",
    );
    w.run(&["convert", "pg", "--out", "pgnim"])
        .failure()
        .stderr_has("holds a password");
    assert!(!w.exists("pgnim/main.nim"));
}
