//! End to end against a real Terraform provider: hashicorp/null 2.1.2
//! (plugin protocol 5), driven only through the Nimbus `Provider` trait.
//!
//! The provider comes from a plugin mirror named by
//! `NIMBUS_TEST_PLUGIN_MIRROR`; `scripts/install-null-provider` fills one
//! and prints its path. Without it the tests are skipped with a notice,
//! except under `CI=true`, where a missing provider is a failure.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests say what they skip
#![cfg(unix)]

use nimbus_plugin::{LockFile, PluginOptions, PluginProvider, VersionConstraint, mirror};
use nimbus_provider::nimbus_value::{Presence, Type, Value};
use nimbus_provider::{ApplyRequest, DeleteRequest, PlanRequest, Provider, ReadRequest};
use std::collections::BTreeMap;
use std::path::PathBuf;

const SOURCE: &str = "hashicorp/null";

fn installed_binary() -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Some(dir) = std::env::var_os("NIMBUS_TEST_PLUGIN_MIRROR").filter(|d| !d.is_empty()) else {
        assert!(
            !ci,
            "NIMBUS_TEST_PLUGIN_MIRROR is not set: run `export NIMBUS_TEST_PLUGIN_MIRROR=\"$(scripts/install-null-provider)\"`"
        );
        eprintln!(
            "notice: skipping the hashicorp/null plugin test: NIMBUS_TEST_PLUGIN_MIRROR is not set \
             (export NIMBUS_TEST_PLUGIN_MIRROR=\"$(scripts/install-null-provider)\")"
        );
        return None;
    };
    let found = mirror::find_in_mirror(
        &PathBuf::from(dir),
        SOURCE,
        &VersionConstraint::parse("= 2.1.2").unwrap(),
    )
    .unwrap_or_else(|e| panic!("NIMBUS_TEST_PLUGIN_MIRROR is set, but: {e}"));
    Some(found.binary)
}

use nimbus_provider::testing::obj;

fn triggers(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

fn process_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as i32, 0) == 0 }
}

async fn launch(binary: &PathBuf) -> PluginProvider {
    PluginProvider::launch_async(PluginOptions::new(
        binary,
        "registry.terraform.io/hashicorp/null",
    ))
    .await
    .expect("the null provider starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_resource_lifecycle() {
    let Some(binary) = installed_binary() else {
        return;
    };
    let provider = launch(&binary).await;
    assert_eq!(provider.protocol_version(), 5);

    // Schema: names as the plugin spells them; force-new left to the plugin.
    let schema = provider.schema();
    let null = schema
        .resources
        .get("null_resource")
        .expect("null_resource in the schema");
    let trig = &null.attributes["triggers"];
    assert_eq!(trig.ty, Type::map(Type::String));
    assert_eq!(trig.presence, Presence::Optional);
    assert!(!trig.force_new);
    assert_eq!(null.attributes["id"].presence, Presence::OptionalComputed);
    assert!(schema.data_sources.contains_key("null_data_source"));
    assert!(
        provider
            .endpoint()
            .starts_with("plugin:registry.terraform.io/hashicorp/null:")
    );

    provider
        .configure(&Value::Map(BTreeMap::new()))
        .await
        .expect("configure");

    let config = obj(&[("triggers", triggers(&[("build", "1")]))]);
    let diags = provider
        .validate_resource("null_resource", &config)
        .await
        .expect("validate");
    assert!(diags.iter().all(|d| !d.error), "{diags:?}");

    // Plan a create: the id is known only after apply.
    let plan = provider
        .plan(PlanRequest {
            type_name: "null_resource",
            prior_state: None,
            prior_private: &[],
            config: &config,
            proposed_state: &config,
        })
        .await
        .expect("plan create");
    assert!(
        plan.planned_state.get("id").unwrap().is_unknown(),
        "{:?}",
        plan.planned_state
    );
    assert_eq!(plan.planned_state.get("triggers"), config.get("triggers"));
    assert!(plan.requires_replace.is_empty());

    // Apply (create).
    let created = provider
        .create(ApplyRequest {
            type_name: "null_resource",
            prior_state: None,
            planned_state: &plan.planned_state,
            config: &config,
            private: &plan.planned_private,
        })
        .await
        .expect("create");
    let id = created
        .new_state
        .get("id")
        .and_then(Value::as_str)
        .expect("an id")
        .to_string();
    assert!(!id.is_empty());
    assert!(created.new_state.is_wholly_known());

    // Refresh, with the state as Nimbus stores it (JSON) and the private bytes.
    let stored = Value::from_json(&created.new_state.to_json());
    let read = provider
        .read(ReadRequest {
            type_name: "null_resource",
            current_state: &stored,
            private: &created.private,
        })
        .await
        .expect("read")
        .expect("the object still exists");
    assert_eq!(read.new_state, created.new_state);

    // Same configuration: no change.
    let plan = provider
        .plan(PlanRequest {
            type_name: "null_resource",
            prior_state: Some(&read.new_state),
            prior_private: &read.private,
            config: &config,
            proposed_state: &config,
        })
        .await
        .expect("plan without changes");
    assert_eq!(plan.planned_state, read.new_state);
    assert!(plan.requires_replace.is_empty());

    // Changed triggers: the plugin asks for replacement.
    let changed = obj(&[("triggers", triggers(&[("build", "2")]))]);
    let plan = provider
        .plan(PlanRequest {
            type_name: "null_resource",
            prior_state: Some(&read.new_state),
            prior_private: &read.private,
            config: &changed,
            proposed_state: &changed,
        })
        .await
        .expect("plan replacement");
    assert_eq!(plan.requires_replace, vec!["triggers".to_string()]);
    assert!(
        plan.planned_state.get("id").unwrap().is_unknown(),
        "{:?}",
        plan.planned_state
    );

    // Replace: delete, then plan and create anew.
    provider
        .delete(DeleteRequest {
            type_name: "null_resource",
            prior_state: &read.new_state,
            private: &read.private,
        })
        .await
        .expect("delete for replacement");
    let fresh = provider
        .plan(PlanRequest {
            type_name: "null_resource",
            prior_state: None,
            prior_private: &[],
            config: &changed,
            proposed_state: &changed,
        })
        .await
        .expect("plan the replacement");
    let replaced = provider
        .create(ApplyRequest {
            type_name: "null_resource",
            prior_state: None,
            planned_state: &fresh.planned_state,
            config: &changed,
            private: &fresh.planned_private,
        })
        .await
        .expect("create the replacement");
    let new_id = replaced
        .new_state
        .get("id")
        .and_then(Value::as_str)
        .unwrap();
    assert_ne!(new_id, id);
    assert_eq!(replaced.new_state.get("triggers"), changed.get("triggers"));

    // Unknown values in the configuration survive planning.
    let pending = obj(&[(
        "triggers",
        Value::Map([("build".to_string(), Value::Unknown)].into()),
    )]);
    let plan = provider
        .plan(PlanRequest {
            type_name: "null_resource",
            prior_state: Some(&replaced.new_state),
            prior_private: &replaced.private,
            config: &pending,
            proposed_state: &pending,
        })
        .await
        .expect("plan with unknowns");
    assert!(!plan.planned_state.is_wholly_known());
    assert_eq!(plan.requires_replace, vec!["triggers".to_string()]);

    // Upgrading current state changes nothing.
    let upgraded = provider
        .upgrade_state(
            "null_resource",
            0,
            Value::from_json(&replaced.new_state.to_json()),
        )
        .await
        .expect("upgrade state");
    assert_eq!(upgraded, replaced.new_state);

    // Delete.
    provider
        .delete(DeleteRequest {
            type_name: "null_resource",
            prior_state: &replaced.new_state,
            private: &replaced.private,
        })
        .await
        .expect("delete");

    // Unknown types are refused before anything is sent.
    let e = provider
        .validate_resource("nope_resource", &config)
        .await
        .unwrap_err();
    assert!(
        e.message.contains("no resource type `nope_resource`"),
        "{e}"
    );

    let pid = provider.pid();
    assert!(process_alive(pid));
    provider.shutdown().await;
    assert!(
        !process_alive(pid),
        "the plugin process is gone after shutdown"
    );
    provider.shutdown().await; // idempotent
    let e = provider.configure(&Value::Null).await.unwrap_err();
    assert!(e.message.contains("shut down"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_and_data_sources() {
    let Some(binary) = installed_binary() else {
        return;
    };
    let provider = launch(&binary).await;
    provider.configure(&Value::Null).await.expect("configure");

    // Import: null 2.1.2 has no importer for null_resource, and says so
    // through a diagnostic that arrives as a clear error.
    match provider.import("null_resource", "4242").await {
        Ok(objects) => {
            assert_eq!(objects.len(), 1);
            assert_eq!(objects[0].type_name, "null_resource");
            assert_eq!(objects[0].state.get("id"), Some(&Value::string("4242")));
        }
        Err(e) => {
            eprintln!("import refused: {e}");
            assert!(e.message.contains("import"), "{e}");
            assert!(!e.is_retryable());
        }
    }

    let config = obj(&[("inputs", triggers(&[("greeting", "hello")]))]);
    let value = provider
        .read_data("null_data_source", &config)
        .await
        .expect("read data");
    assert_eq!(
        value.get("outputs"),
        Some(&triggers(&[("greeting", "hello")]))
    );
    assert!(
        value
            .get("random")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    );

    // A value of the wrong shape is refused with the attribute named.
    let bad = obj(&[("inputs", Value::string("not a map"))]);
    let e = provider
        .read_data("null_data_source", &bad)
        .await
        .unwrap_err();
    assert_eq!(e.attribute.as_deref(), Some("inputs"), "{e}");

    // Dropping without shutdown still ends the process.
    let pid = provider.pid();
    drop(provider);
    assert!(!process_alive(pid), "the plugin process is gone after drop");
}

#[test]
fn launches_from_the_mirror_without_a_runtime() {
    let Some(binary) = installed_binary() else {
        return;
    };
    let mirror_dir: PathBuf = binary.ancestors().nth(6).unwrap().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let (provider, resolved) = nimbus_plugin::start_from_mirror(
        &mirror_dir,
        SOURCE,
        &VersionConstraint::parse("~> 2.1").unwrap(),
        &LockFile::default(),
        Some(dir.path()),
    )
    .expect("start from the mirror");
    assert_eq!(resolved.installed.version.to_string(), "2.1.2");
    assert_eq!(
        resolved.sha256,
        nimbus_plugin::sha256_file(&binary).unwrap()
    );
    let mut lock = LockFile::default();
    lock.upsert(resolved.lock_entry());
    assert_eq!(
        lock.providers[0].source,
        "registry.terraform.io/hashicorp/null"
    );
    assert!(provider.schema().resources.contains_key("null_resource"));
    let pid = provider.pid();
    drop(provider);
    assert!(!process_alive(pid));
}
