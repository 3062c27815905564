//! The common lifecycle of every resource type, plus null-resource,
//! terraform-data, time-static, the provider-level operations and the test
//! hooks.

mod common;

use common::{Harness, Object, obj, string_map};
use nimbus_builtin::{Builtin, BuiltinOptions, ENDPOINT, RESOURCE_TYPES};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::{ErrorKind, Provider};
use std::time::{Duration, Instant};

#[tokio::test]
async fn null_resource_lifecycle() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "null-resource",
            &[("triggers", string_map(&[("v", "1")]))],
            "triggers",
            string_map(&[("v", "2")]),
        )
        .await;
    let id = created.state.get("id").unwrap().as_str().unwrap();
    assert!(id.parse::<u64>().is_ok(), "id {id} is a decimal number");
}

#[tokio::test]
async fn null_resource_without_triggers_gets_replaced_when_triggers_appear() {
    let h = Harness::new();
    h.lifecycle("null-resource", &[], "triggers", string_map(&[("a", "b")]))
        .await;
}

#[tokio::test]
async fn terraform_data_lifecycle() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "terraform-data",
            &[
                ("input", Value::string("hello")),
                ("triggers-replace", Value::int(1)),
            ],
            "triggers-replace",
            Value::int(2),
        )
        .await;
    assert_eq!(created.state.get("output"), Some(&Value::string("hello")));
    let id = created.state.get("id").unwrap().as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

#[tokio::test]
async fn terraform_data_input_change_is_in_place_and_output_unknown_in_plan() {
    let h = Harness::new();
    let input = obj(&[
        ("a", Value::int(1)),
        ("b", Value::List(vec![Value::Bool(true)])),
    ]);
    let config = h.config("terraform-data", &[("input", input.clone())]);
    let created = h.create("terraform-data", &config).await;
    assert_eq!(created.state.get("output"), Some(&input));

    let changed = h.config("terraform-data", &[("input", Value::string("other"))]);
    let plan = h.plan("terraform-data", Some(&created), &changed).await;
    assert!(plan.requires_replace.is_empty());
    assert!(plan.planned_state.get("output").unwrap().is_unknown());
    assert_eq!(plan.planned_state.get("id"), created.state.get("id"));

    let updated = h.update("terraform-data", &created, &changed).await;
    assert_eq!(updated.state.get("output"), Some(&Value::string("other")));
    assert_eq!(updated.state.get("id"), created.state.get("id"));

    // An input that is only known after apply leaves output unknown too.
    let unknown = h.config(
        "terraform-data",
        &[("input", obj(&[("x", Value::Unknown)]))],
    );
    let plan = h.plan("terraform-data", Some(&updated), &unknown).await;
    assert!(plan.requires_replace.is_empty());
    assert!(plan.planned_state.get("output").unwrap().is_unknown());

    // Removing the input is a change too, to null.
    let removed = h.config("terraform-data", &[]);
    let updated = h.update("terraform-data", &updated, &removed).await;
    assert_eq!(updated.state.get("output"), Some(&Value::Null));
}

#[tokio::test]
async fn random_id_lifecycle() {
    let h = Harness::new();
    h.lifecycle(
        "random-id",
        &[
            ("byte-length", Value::int(8)),
            ("prefix", Value::string("web-")),
        ],
        "byte-length",
        Value::int(16),
    )
    .await;
    h.lifecycle(
        "random-id",
        &[
            ("byte-length", Value::int(4)),
            ("keepers", string_map(&[("ami", "a-1")])),
        ],
        "keepers",
        string_map(&[("ami", "a-2")]),
    )
    .await;
}

#[tokio::test]
async fn random_string_lifecycle() {
    let h = Harness::new();
    h.lifecycle(
        "random-string",
        &[("length", Value::int(12))],
        "length",
        Value::int(13),
    )
    .await;
    h.lifecycle(
        "random-string",
        &[("length", Value::int(12)), ("special", Value::Bool(false))],
        "special",
        Value::Bool(true),
    )
    .await;
}

#[tokio::test]
async fn random_password_lifecycle() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "random-password",
            &[
                ("length", Value::int(20)),
                ("keepers", string_map(&[("k", "1")])),
            ],
            "keepers",
            string_map(&[("k", "2")]),
        )
        .await;
    assert_eq!(created.state.get("id"), Some(&Value::string("none")));
    assert_eq!(
        created
            .state
            .get("result")
            .unwrap()
            .as_str()
            .unwrap()
            .chars()
            .count(),
        20
    );
}

#[tokio::test]
async fn local_file_lifecycle() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "local-file",
            &[
                ("filename", Value::string("out/a.txt")),
                ("content", Value::string("one")),
            ],
            "content",
            Value::string("two"),
        )
        .await;
    // sha1("one")
    assert_eq!(
        created.state.get("id"),
        Some(&Value::string("fe05bcdcdc4928012781a5f1a2a77cbb5398e106"))
    );
    assert!(!h.dir.path().join("out/a.txt").exists(), "deleted");
}

#[tokio::test]
async fn time_static_lifecycle() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "time-static",
            &[("triggers", string_map(&[("t", "1")]))],
            "triggers",
            string_map(&[("t", "2")]),
        )
        .await;
    let rfc3339 = created
        .state
        .get("rfc3339")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(rfc3339.ends_with('Z') && rfc3339.len() == 20, "{rfc3339}");
    assert_eq!(created.state.get("id"), Some(&Value::string(rfc3339)));
}

#[tokio::test]
async fn time_static_with_a_given_timestamp_is_known_at_plan_time() {
    let h = Harness::new();
    let config = h.config(
        "time-static",
        &[("rfc3339", Value::string("2024-02-29T23:59:58+02:00"))],
    );
    let plan = h.plan("time-static", None, &config).await;
    let expect = [
        ("year", 2024),
        ("month", 2),
        ("day", 29),
        ("hour", 23),
        ("minute", 59),
        ("second", 58),
        ("unix", 1709243998),
    ];
    for (name, value) in expect {
        assert_eq!(
            plan.planned_state.get(name),
            Some(&Value::int(value)),
            "{name}"
        );
    }
    let created = h.create("time-static", &config).await;
    assert_eq!(
        created.state.get("id"),
        Some(&Value::string("2024-02-29T23:59:58+02:00"))
    );

    // A change of the timestamp replaces it.
    let changed = h.config(
        "time-static",
        &[("rfc3339", Value::string("2025-01-01T00:00:00Z"))],
    );
    let plan = h.plan("time-static", Some(&created), &changed).await;
    assert_eq!(plan.requires_replace, vec!["rfc3339".to_string()]);
    assert_eq!(plan.planned_state.get("year"), Some(&Value::int(2025)));

    let bad = h
        .validate("time-static", &[("rfc3339", Value::string("yesterday"))])
        .await;
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].attribute.as_deref(), Some("rfc3339"));
    assert!(
        h.try_plan(
            "time-static",
            None,
            &h.config("time-static", &[("rfc3339", Value::string("x"))])
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn time_static_replacement_takes_a_new_timestamp_unless_configured() {
    let h = Harness::new();
    let created = h.create("time-static", &h.config("time-static", &[])).await;
    let changed = h.config("time-static", &[("triggers", string_map(&[("a", "b")]))]);
    let plan = h.plan("time-static", Some(&created), &changed).await;
    assert_eq!(plan.requires_replace, vec!["triggers".to_string()]);
    assert!(plan.planned_state.get("rfc3339").unwrap().is_unknown());
    assert!(plan.planned_state.get("year").unwrap().is_unknown());
}

#[tokio::test]
async fn imports() {
    let h = Harness::new();
    let p = &h.provider;

    let imported = p.import("null-resource", "12345").await.unwrap();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].type_name, "null-resource");
    assert_eq!(
        imported[0].state,
        obj(&[("id", "12345".into()), ("triggers", Value::Null)])
    );

    let imported = p
        .import("terraform-data", "some-id")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(imported.state.get("id"), Some(&Value::string("some-id")));
    assert_eq!(imported.state.get("output"), Some(&Value::Null));
    // With no input configured, the imported object plans no change.
    let object = Object {
        state: imported.state.clone(),
        private: imported.private,
    };
    let plan = h
        .plan(
            "terraform-data",
            Some(&object),
            &h.config("terraform-data", &[]),
        )
        .await;
    assert_eq!(plan.planned_state, imported.state);

    let imported = p
        .import("time-static", "2020-01-02T03:04:05Z")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(imported.state.get("unix"), Some(&Value::int(1577934245)));
    assert_eq!(
        imported.state.get("id"),
        Some(&Value::string("2020-01-02T03:04:05Z"))
    );
    assert!(p.import("time-static", "nope").await.is_err());

    assert!(p.import("null-resource", "").await.is_err());
    assert!(p.import("no-such-type", "x").await.is_err());
}

#[tokio::test]
async fn provider_basics() {
    let p = Builtin::new(BuiltinOptions::new("."));
    assert_eq!(p.endpoint(), ENDPOINT);
    let schema = p.schema();
    for ty in RESOURCE_TYPES {
        assert!(schema.resources.contains_key(*ty), "{ty}");
    }
    assert!(schema.data_sources.contains_key("local-file"));
    p.configure(&Value::Null).await.unwrap();
    p.configure(&obj(&[])).await.unwrap();
    p.configure(&obj(&[("x", Value::Null)])).await.unwrap();
    let err = p
        .configure(&obj(&[("region", Value::string("x"))]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fatal);
    assert_eq!(err.attribute.as_deref(), Some("region"));
    assert!(
        p.validate_resource("aws-instance", &Value::Null)
            .await
            .is_err()
    );
    assert!(p.read_data("nothing", &Value::Null).await.is_err());
    p.shutdown().await;
}

#[tokio::test]
async fn injected_fault_fails_create_and_update_of_terraform_data() {
    let h = Harness::with(|o| o.fault_input = Some("boom".into()));
    let config = h.config("terraform-data", &[("input", Value::string("boom"))]);
    let plan = h.plan("terraform-data", None, &config).await;
    let err = h
        .try_apply_create("terraform-data", &config, &plan)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fatal);
    assert!(
        err.message.contains("injected failure for input \"boom\""),
        "{}",
        err.message
    );

    let fine = h.config("terraform-data", &[("input", Value::string("fine"))]);
    let created = h.create("terraform-data", &fine).await;
    let plan = h.plan("terraform-data", Some(&created), &config).await;
    let err = h
        .try_update("terraform-data", &created, &config, &plan)
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with("injected failure for input"),
        "{}",
        err.message
    );
    assert!(!err.is_retryable());

    // Other types ignore the hook.
    h.create(
        "null-resource",
        &h.config(
            "null-resource",
            &[("triggers", string_map(&[("x", "boom")]))],
        ),
    )
    .await;
}

#[tokio::test]
async fn create_delay_applies_to_every_create() {
    let h = Harness::with(|o| o.create_delay = Some(Duration::from_millis(150)));
    for ty in ["null-resource", "time-static"] {
        let config = h.config(ty, &[]);
        let started = Instant::now();
        h.create(ty, &config).await;
        assert!(started.elapsed() >= Duration::from_millis(150), "{ty}");
    }
    // Plans are not delayed.
    let started = Instant::now();
    h.plan("null-resource", None, &h.config("null-resource", &[]))
        .await;
    assert!(started.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn update_refuses_a_change_that_needs_replacement() {
    let h = Harness::new();
    let created = h
        .create("null-resource", &h.config("null-resource", &[]))
        .await;
    let changed = h.config("null-resource", &[("triggers", string_map(&[("a", "b")]))]);
    let plan = h.plan("null-resource", Some(&created), &changed).await;
    let err = h
        .try_update("null-resource", &created, &changed, &plan)
        .await
        .unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("triggers"));
}
