//! A `.tf` project using every type of hashicorp/null, random, local and
//! time, and terraform_data, runs with no plugin at all: its
//! `required_providers` are served by the built-in provider, under
//! Terraform's type and attribute names. No plugin mirror is configured.

mod common;

use common::*;

const MODULE: &str = "modules/svc/main.tf";

fn project() -> Workdir {
    let w = Workdir::empty();
    w.write("main.tf", &fixture("terraform_builtins/main.tf"));
    w.write(MODULE, &fixture(&format!("terraform_builtins/{MODULE}")));
    w
}

const ADDRESSES: &[&str] = &[
    "local_file.manifest",
    "local_sensitive_file.secret",
    "module.svc[0].null_resource.this",
    "module.svc[1].null_resource.this",
    "null_resource.service[\"api\"]",
    "null_resource.service[\"web\"]",
    "random_id.suffix",
    "random_integer.port",
    "random_password.db",
    "random_pet.name",
    "random_shuffle.zones",
    "random_string.tag",
    "random_uuid.run",
    "terraform_data.config",
    "time_offset.expiry",
    "time_rotating.key",
    "time_sleep.settle",
    "time_static.created",
];

#[test]
fn a_terraform_project_of_builtin_types_applies_without_plugins() {
    let w = project();
    // `init` locks no plugin: the built-in serves all four requirements.
    w.run(&["init"])
        .success()
        .stdout_has("registry.terraform.io/hashicorp/null 3.2.2: built in")
        .stdout_has("registry.terraform.io/hashicorp/time 0.9.2: built in");
    assert!(!w.exists(".nimbus.lock"));
    w.run(&["providers"])
        .success()
        .stdout_has("random (registry.terraform.io/hashicorp/random, >= 3.1, < 4.0): built in (implements 3.5.1)")
        .stdout_has("local (registry.terraform.io/hashicorp/local, any version): built in");

    let plan = w.run(&["plan", "--json"]);
    plan.success();
    let planned = planned_actions(&plan);
    for address in ADDRESSES {
        assert_eq!(
            planned.get(*address).map(String::as_str),
            Some("create"),
            "{address} in {planned:?}"
        );
    }
    // Addresses print as Terraform prints them.
    w.run(&["plan"])
        .success()
        .stdout_has("# null_resource.service[\"api\"] will be created")
        .stdout_has("# module.svc[0].null_resource.this will be created");

    let apply = w.run(&["apply", "--auto-approve"]);
    apply.success().stdout_has("18 created");
    let password = w.attribute("random_password.db", "result");
    let password = password.as_str().expect("a password");
    assert_eq!(password.chars().count(), 20);
    assert!(
        !apply.all_output().contains(password),
        "the password is sensitive"
    );
    assert_eq!(w.read("out/secret.txt"), password);
    let manifest = w.read("out/manifest.txt");
    let pet = w.attribute("random_pet.name", "id");
    assert!(manifest.starts_with(pet.as_str().unwrap()), "{manifest}");
    assert_eq!(pet.as_str().unwrap().split('_').count(), 3);
    w.run(&["output", "manifest"])
        .success()
        .stdout_has(&manifest);
    w.run(&["output", "null_echo"]).success().stdout_has("api");
    let port = w.attribute("random_integer.port", "result");
    assert!((8000..=8999).contains(&port.as_i64().unwrap()), "{port}");
    assert_eq!(
        w.attribute("random_shuffle.zones", "result")
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        w.attribute("terraform_data.config", "output")["replicas"],
        2
    );
    let hex = w.attribute("random_id.suffix", "hex");
    assert!(hex.as_str().unwrap().starts_with("app-"), "{hex}");
    assert!(
        w.attribute("random_password.db", "bcrypt_hash")
            .as_str()
            .is_some_and(|h| h.starts_with("$2"))
    );
    let mut listed = w.state_list();
    listed.sort();
    assert_eq!(listed, ADDRESSES);

    // Nothing changes on the next plan.
    w.run(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");

    w.run(&["destroy", "--auto-approve"])
        .success()
        .stdout_has("18 destroyed");
    assert!(w.state_list().is_empty());
    assert!(!w.exists("out/manifest.txt"));
    assert!(!w.exists("out/secret.txt"));
}

#[test]
fn a_constraint_the_builtin_does_not_meet_needs_a_plugin() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 2.1"
    }
  }
}

resource "null_resource" "a" {}
"#,
    );
    // Served by a plugin, which needs a mirror this project does not have.
    w.run(&["plan"])
        .failure()
        .stderr_has("provider hashicorp/null is a plugin, and no plugin mirror is configured")
        .stderr_has("main.tf:");
    w.run(&["init"]).failure().stderr_has("no plugin mirror");
    w.run(&["init", "--plugin", "hashicorp/random"])
        .failure()
        .stderr_has("--plugin registry.terraform.io/hashicorp/random: the configuration requires no such provider");
}

#[test]
fn provider_blocks_without_a_source_imply_hashicorp() {
    let w = Workdir::empty();
    w.write(
        "main.tf",
        r#"provider "random" {}

resource "random_pet" "a" {}

output "pet" {
  value = random_pet.a.id
}
"#,
    );
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 created");
    assert_eq!(w.state_list(), ["random_pet.a"]);
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

/// Without the `registry` feature, `init` installs from the mirror and the
/// cache only, and says so.
#[cfg(not(feature = "registry"))]
#[test]
fn without_the_registry_feature_init_says_registry_installs_are_not_built_in() {
    let mut w = Workdir::empty();
    let cache = tempfile::tempdir().expect("a cache directory");
    w.set_env(
        "NIMBUS_PLUGIN_CACHE_DIR",
        cache.path().to_str().expect("utf-8 path"),
    );
    w.write(
        "main.tf",
        "terraform {\n  required_providers {\n    null = {\n      source  = \"hashicorp/null\"\n      version = \"~> 2.1\"\n    }\n  }\n}\n",
    );
    w.run(&["init"])
        .failure()
        .stderr_has("registry installs are not built into this nimbus")
        .stderr_has("registry.terraform.io/hashicorp/null");
    assert!(!w.exists(".nimbus.lock"));
}
