//! random-integer, random-pet, random-shuffle, random-uuid,
//! local-sensitive-file, time-offset, time-rotating and time-sleep, under
//! their Nimbus names, driven the way the engine drives them.

mod common;

use common::{Harness, Object, string_map};
use nimbus_builtin::Interrupt;
use nimbus_provider::Provider;
use nimbus_provider::nimbus_value::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn text(object: &Object, name: &str) -> String {
    object
        .state
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{name} is not a string: {:?}", object.state))
        .to_string()
}

fn number(value: Option<&Value>) -> i64 {
    value
        .and_then(|v| v.as_number())
        .and_then(|n| n.as_i64())
        .unwrap_or_else(|| panic!("not a whole number: {value:?}"))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::List(items)) => items
            .iter()
            .map(|v| v.as_str().expect("a string").to_string())
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

// ---------------------------------------------------------- random-integer

#[tokio::test]
async fn random_integer_lifecycle_and_range() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "random-integer",
            &[("min", Value::int(1)), ("max", Value::int(6))],
            "max",
            Value::int(60),
        )
        .await;
    let result = number(created.state.get("result"));
    assert!((1..=6).contains(&result), "{result}");
    assert_eq!(text(&created, "id"), result.to_string());

    let mut seen = std::collections::BTreeSet::new();
    let config = h.config(
        "random-integer",
        &[("min", Value::int(-2)), ("max", Value::int(2))],
    );
    for _ in 0..200 {
        seen.insert(number(
            h.create("random-integer", &config)
                .await
                .state
                .get("result"),
        ));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [-2, -1, 0, 1, 2]);
}

#[tokio::test]
async fn random_integer_seed_fixes_the_result() {
    let h = Harness::new();
    let config = |seed: &str| {
        h.config(
            "random-integer",
            &[
                ("min", Value::int(0)),
                ("max", Value::int(1_000_000_000)),
                ("seed", Value::string(seed)),
            ],
        )
    };
    let a = h.create("random-integer", &config("blue")).await;
    let b = h.create("random-integer", &config("blue")).await;
    let c = h.create("random-integer", &config("green")).await;
    assert_eq!(a.state.get("result"), b.state.get("result"));
    assert_ne!(a.state.get("result"), c.state.get("result"));
}

#[tokio::test]
async fn random_integer_validation_and_import() {
    let h = Harness::new();
    let d = h
        .validate(
            "random-integer",
            &[("min", Value::int(5)), ("max", Value::int(4))],
        )
        .await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].attribute.as_deref(), Some("min"));
    assert!(
        h.validate(
            "random-integer",
            &[("min", Value::Unknown), ("max", Value::int(4))]
        )
        .await
        .is_empty()
    );

    let imported = h
        .provider
        .import("random-integer", "15,1,20,s")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(imported.state.get("result"), Some(&Value::int(15)));
    assert_eq!(imported.state.get("id"), Some(&Value::string("15")));
    assert_eq!(imported.state.get("seed"), Some(&Value::string("s")));
    // The imported object plans no change with the matching configuration.
    let object = Object::from(imported.state.clone());
    let config = h.config(
        "random-integer",
        &[
            ("min", Value::int(1)),
            ("max", Value::int(20)),
            ("seed", Value::string("s")),
        ],
    );
    let plan = h.plan("random-integer", Some(&object), &config).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned_state, imported.state);
    let err = h
        .provider
        .import("random-integer", "30,1,20")
        .await
        .unwrap_err();
    assert!(
        err.message.contains("not between 1 and 20"),
        "{}",
        err.message
    );
}

// -------------------------------------------------------------- random-pet

#[tokio::test]
async fn random_pet_lifecycle_and_shape() {
    let h = Harness::new();
    let created = h
        .lifecycle("random-pet", &[], "length", Value::int(3))
        .await;
    let name = text(&created, "id");
    assert_eq!(name.split('-').count(), 2, "{name}");
    assert_eq!(created.state.get("length"), Some(&Value::int(2)));
    assert_eq!(created.state.get("separator"), Some(&Value::string("-")));

    let config = h.config(
        "random-pet",
        &[
            ("length", Value::int(4)),
            ("prefix", Value::string("app")),
            ("separator", Value::string(".")),
        ],
    );
    let name = text(&h.create("random-pet", &config).await, "id");
    let words: Vec<&str> = name.split('.').collect();
    assert_eq!(words.len(), 5, "{name}");
    assert_eq!(words[0], "app");
    assert!(
        words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())),
        "{name}"
    );

    // Names vary.
    let config = h.config("random-pet", &[("length", Value::int(3))]);
    let mut names = std::collections::BTreeSet::new();
    for _ in 0..20 {
        names.insert(text(&h.create("random-pet", &config).await, "id"));
    }
    assert!(names.len() > 15, "{names:?}");

    for bad in [0, 65] {
        let d = h
            .validate("random-pet", &[("length", Value::int(bad))])
            .await;
        assert_eq!(d[0].attribute.as_deref(), Some("length"), "{bad}");
    }
    assert!(
        h.provider
            .import("random-pet", "brave-otter")
            .await
            .is_err()
    );
}

// ---------------------------------------------------------- random-shuffle

#[tokio::test]
async fn random_shuffle_lifecycle_and_counts() {
    let h = Harness::new();
    let input = |items: &[&str]| Value::List(items.iter().map(|s| Value::string(*s)).collect());
    let created = h
        .lifecycle(
            "random-shuffle",
            &[("input", input(&["a", "b", "c", "d"]))],
            "input",
            input(&["a", "b"]),
        )
        .await;
    let mut result = strings(created.state.get("result"));
    result.sort();
    assert_eq!(result, ["a", "b", "c", "d"]);
    assert_eq!(text(&created, "id"), "-");

    let fewer = h.config(
        "random-shuffle",
        &[
            ("input", input(&["a", "b", "c"])),
            ("result-count", Value::int(2)),
        ],
    );
    let result = strings(h.create("random-shuffle", &fewer).await.state.get("result"));
    assert_eq!(result.len(), 2);
    assert_ne!(result[0], result[1]);

    let more = h.config(
        "random-shuffle",
        &[
            ("input", input(&["a", "b"])),
            ("result-count", Value::int(5)),
        ],
    );
    let result = strings(h.create("random-shuffle", &more).await.state.get("result"));
    assert_eq!(result.len(), 5);
    assert!(result.iter().filter(|x| *x == "a").count() >= 2);

    let seeded = h.config(
        "random-shuffle",
        &[
            ("input", input(&["1", "2", "3", "4", "5", "6", "7", "8"])),
            ("seed", Value::string("fixed")),
        ],
    );
    let first = h.create("random-shuffle", &seeded).await;
    let second = h.create("random-shuffle", &seeded).await;
    assert_eq!(first.state.get("result"), second.state.get("result"));

    let empty = h.config("random-shuffle", &[("input", input(&[]))]);
    let created = h.create("random-shuffle", &empty).await;
    assert_eq!(created.state.get("result"), Some(&Value::List(vec![])));

    let d = h
        .validate(
            "random-shuffle",
            &[("input", input(&["a"])), ("result-count", Value::int(-1))],
        )
        .await;
    assert_eq!(d[0].attribute.as_deref(), Some("result-count"));
}

// ------------------------------------------------------------- random-uuid

#[tokio::test]
async fn random_uuid_lifecycle_and_import() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "random-uuid",
            &[("keepers", string_map(&[("k", "1")]))],
            "keepers",
            string_map(&[("k", "2")]),
        )
        .await;
    let id = text(&created, "id");
    assert_eq!(id, text(&created, "result"));
    let parsed = uuid::Uuid::parse_str(&id).expect("a UUID");
    assert_eq!(parsed.get_version_num(), 4);
    assert_eq!(id, id.to_lowercase());

    let imported = h
        .provider
        .import("random-uuid", "6F9619FF-8B86-D011-B42D-00C04FC964FF")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        imported.state.get("result"),
        Some(&Value::string("6f9619ff-8b86-d011-b42d-00c04fc964ff"))
    );
    assert!(h.provider.import("random-uuid", "nope").await.is_err());
}

// ---------------------------------------------------- local-sensitive-file

#[cfg(unix)]
#[tokio::test]
async fn local_sensitive_file_is_private_by_default() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::new();
    let config = h.config(
        "local-sensitive-file",
        &[
            ("filename", Value::string("secret/key.txt")),
            ("content", Value::string("hunter2")),
        ],
    );
    let plan = h.plan("local-sensitive-file", None, &config).await;
    assert_eq!(
        plan.planned_state.get("file-permission"),
        Some(&Value::string("0600"))
    );
    let created = h.create("local-sensitive-file", &config).await;
    let path = h.dir.path().join("secret/key.txt");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "hunter2");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&h.dir.path().join("secret")), 0o700);
    assert!(h.provider.schema().resources["local-sensitive-file"].attributes["content"].sensitive);
    h.delete("local-sensitive-file", &created).await;
    assert!(!path.exists());
}

#[tokio::test]
async fn files_can_copy_a_source() {
    let h = Harness::new();
    std::fs::write(h.dir.path().join("template.txt"), "from the source").unwrap();
    let config = h.config(
        "local-file",
        &[
            ("filename", Value::string("copy.txt")),
            ("source", Value::string("template.txt")),
        ],
    );
    let created = h.create("local-file", &config).await;
    assert_eq!(
        std::fs::read_to_string(h.dir.path().join("copy.txt")).unwrap(),
        "from the source"
    );
    assert!(h.read("local-file", &created).await.is_some());
    // Content from a source is not in state: an edit makes the file gone.
    std::fs::write(h.dir.path().join("copy.txt"), "edited").unwrap();
    assert!(h.read("local-file", &created).await.is_none());

    let missing = h.config(
        "local-file",
        &[
            ("filename", Value::string("other.txt")),
            ("source", Value::string("nowhere.txt")),
        ],
    );
    let err = h.try_create("local-file", &missing).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("source"));
    let both = h
        .validate(
            "local-file",
            &[
                ("filename", Value::string("x")),
                ("content", Value::string("a")),
                ("source", Value::string("b")),
            ],
        )
        .await;
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].attribute.as_deref(), Some("source"));
}

// ------------------------------------------------------------- time-offset

#[tokio::test]
async fn time_offset_is_known_at_plan_time_with_a_base() {
    let h = Harness::new();
    let config = h.config(
        "time-offset",
        &[
            ("base-rfc3339", Value::string("2024-01-31T10:00:00Z")),
            ("offset-months", Value::int(1)),
            ("offset-hours", Value::int(3)),
        ],
    );
    let plan = h.plan("time-offset", None, &config).await;
    assert_eq!(
        plan.planned_state.get("rfc3339"),
        Some(&Value::string("2024-03-02T13:00:00Z"))
    );
    assert_eq!(plan.planned_state.get("month"), Some(&Value::int(3)));
    assert_eq!(
        plan.planned_state.get("id"),
        Some(&Value::string("2024-01-31T10:00:00Z"))
    );
    let created = h.create("time-offset", &config).await;
    assert_eq!(created.state.get("unix"), Some(&Value::int(1709384400)));

    // Changing an offset updates in place from the same base.
    let changed = h.config(
        "time-offset",
        &[
            ("base-rfc3339", Value::string("2024-01-31T10:00:00Z")),
            ("offset-days", Value::int(-1)),
        ],
    );
    let updated = h.update("time-offset", &created, &changed).await;
    assert_eq!(text(&updated, "rfc3339"), "2024-01-30T10:00:00Z");
}

#[tokio::test]
async fn time_offset_defaults_its_base_to_now() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "time-offset",
            &[("offset-days", Value::int(7))],
            "triggers",
            string_map(&[("t", "1")]),
        )
        .await;
    let base = time::OffsetDateTime::parse(
        &text(&created, "base-rfc3339"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let offset = time::OffsetDateTime::parse(
        &text(&created, "rfc3339"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(offset - base, time::Duration::days(7));
    assert!((time::OffsetDateTime::now_utc() - base).abs() < time::Duration::minutes(1));
    // The base stays put when an offset changes.
    let changed = h.config("time-offset", &[("offset-days", Value::int(1))]);
    let plan = h.plan("time-offset", Some(&created), &changed).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(
        plan.planned_state.get("base-rfc3339"),
        created.state.get("base-rfc3339")
    );
}

#[tokio::test]
async fn time_offset_validation_and_import() {
    let h = Harness::new();
    let d = h.validate("time-offset", &[]).await;
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("offset-*"), "{}", d[0].message);
    let d = h
        .validate(
            "time-offset",
            &[
                ("offset-days", Value::int(1)),
                ("base-rfc3339", Value::string("soon")),
            ],
        )
        .await;
    assert_eq!(d[0].attribute.as_deref(), Some("base-rfc3339"));
    let far = h.config(
        "time-offset",
        &[
            ("base-rfc3339", Value::string("2024-01-01T00:00:00Z")),
            ("offset-years", Value::int(100_000)),
        ],
    );
    assert!(h.try_plan("time-offset", None, &far).await.is_err());

    let imported = h
        .provider
        .import("time-offset", "2020-02-12T06:36:13Z,0,0,7,0,0,0")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        imported.state.get("rfc3339"),
        Some(&Value::string("2020-02-19T06:36:13Z"))
    );
    assert_eq!(imported.state.get("offset-days"), Some(&Value::int(7)));
    assert!(
        h.provider
            .import("time-offset", "2020-02-12T06:36:13Z,,,,,,")
            .await
            .is_err()
    );
}

// ----------------------------------------------------------- time-rotating

#[tokio::test]
async fn time_rotating_replaces_itself_once_the_rotation_has_passed() {
    let h = Harness::new();
    let created = h
        .lifecycle(
            "time-rotating",
            &[("rotation-days", Value::int(30))],
            "triggers",
            string_map(&[("t", "1")]),
        )
        .await;
    let base = text(&created, "rfc3339");
    assert_eq!(text(&created, "id"), base);

    // A base long ago rotated long ago: every plan replaces it.
    let old = h.config(
        "time-rotating",
        &[
            ("rfc3339", Value::string("2000-01-01T00:00:00Z")),
            ("rotation-hours", Value::int(1)),
        ],
    );
    let plan = h.plan("time-rotating", None, &old).await;
    assert_eq!(
        plan.planned_state.get("rotation-rfc3339"),
        Some(&Value::string("2000-01-01T01:00:00Z"))
    );
    let created = h.create("time-rotating", &old).await;
    assert_eq!(created.state.get("hour"), Some(&Value::int(1)));
    let plan = h.plan("time-rotating", Some(&created), &old).await;
    assert_eq!(plan.requires_replace, vec!["rotation-rfc3339".to_string()]);
    // Its configured base gives the replacement the same values.
    assert_eq!(plan.planned_state, created.state);

    // Without a configured base the replacement takes a new one.
    let periodic = h.config("time-rotating", &[("rotation-minutes", Value::int(5))]);
    let mut created = h.create("time-rotating", &periodic).await;
    let plan = h.plan("time-rotating", Some(&created), &periodic).await;
    assert!(plan.requires_replace.is_empty());
    if let Value::Map(state) = &mut created.state {
        state.insert(
            "rotation-rfc3339".into(),
            Value::string("2001-01-01T00:00:00Z"),
        );
    }
    let plan = h.plan("time-rotating", Some(&created), &periodic).await;
    assert_eq!(plan.requires_replace, vec!["rotation-rfc3339".to_string()]);
    for name in ["rfc3339", "rotation-rfc3339", "unix", "id"] {
        assert!(plan.planned_state.get(name).unwrap().is_unknown(), "{name}");
    }

    // A rotation in the future plans no change; changing the period
    // updates it in place from the same base.
    let fresh = h.config("time-rotating", &[("rotation-years", Value::int(1))]);
    let created = h.create("time-rotating", &fresh).await;
    let plan = h.plan("time-rotating", Some(&created), &fresh).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned_state, created.state);
    let longer = h.config("time-rotating", &[("rotation-years", Value::int(2))]);
    let updated = h.update("time-rotating", &created, &longer).await;
    assert_eq!(
        number(updated.state.get("year")),
        number(created.state.get("year")) + 1
    );
    assert_eq!(updated.state.get("rfc3339"), created.state.get("rfc3339"));
}

#[tokio::test]
async fn time_rotating_validation_and_import() {
    let h = Harness::new();
    assert_eq!(h.validate("time-rotating", &[]).await.len(), 1);
    let d = h
        .validate("time-rotating", &[("rotation-days", Value::int(0))])
        .await;
    assert_eq!(d[0].attribute.as_deref(), Some("rotation-days"));
    assert!(
        h.validate(
            "time-rotating",
            &[("rotation-rfc3339", Value::string("2030-01-01T00:00:00Z"))]
        )
        .await
        .is_empty()
    );

    let imported = h
        .provider
        .import("time-rotating", "2020-02-12T06:36:13Z,0,0,30,0,0")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        imported.state.get("rotation-rfc3339"),
        Some(&Value::string("2020-03-13T06:36:13Z"))
    );
    let imported = h
        .provider
        .import("time-rotating", "2020-02-12T06:36:13Z,2020-02-13T06:36:13Z")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(imported.state.get("day"), Some(&Value::int(13)));
    assert!(h.provider.import("time-rotating", "2020").await.is_err());
}

// -------------------------------------------------------------- time-sleep

#[tokio::test]
async fn time_sleep_waits_on_create_and_destroy() {
    let h = Harness::new();
    let config = h.config(
        "time-sleep",
        &[
            ("create-duration", Value::string("150ms")),
            ("destroy-duration", Value::string("0.1s")),
        ],
    );
    let started = Instant::now();
    let created = h.create("time-sleep", &config).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    let id = text(&created, "id");
    assert!(id.ends_with('Z'), "{id}");

    // Changing a duration waits for nothing.
    let changed = h.config(
        "time-sleep",
        &[
            ("create-duration", Value::string("10m")),
            ("destroy-duration", Value::string("0.1s")),
        ],
    );
    let started = Instant::now();
    let updated = h.update("time-sleep", &created, &changed).await;
    assert!(started.elapsed() < Duration::from_secs(5));

    let started = Instant::now();
    h.delete("time-sleep", &updated).await;
    assert!(started.elapsed() >= Duration::from_millis(100));

    h.lifecycle(
        "time-sleep",
        &[("create-duration", Value::string("1ms"))],
        "triggers",
        string_map(&[("a", "b")]),
    )
    .await;
}

#[tokio::test]
async fn an_interrupt_ends_a_sleep_with_an_error() {
    let flag = Arc::new(AtomicBool::new(false));
    let h = Harness::with(|o| o.interrupt = Some(Interrupt(flag.clone())));
    let config = h.config("time-sleep", &[("create-duration", Value::string("10m"))]);
    let setter = flag.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        setter.store(true, Ordering::SeqCst);
    });
    let started = Instant::now();
    let err = h.try_create("time-sleep", &config).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.message.contains("interrupted"), "{}", err.message);
    assert_eq!(err.attribute.as_deref(), Some("create-duration"));
}

#[tokio::test]
async fn time_sleep_validation_and_import() {
    let h = Harness::new();
    assert_eq!(h.validate("time-sleep", &[]).await.len(), 1);
    for (bad, why) in [
        ("30", "not a duration"),
        ("16m", "longest wait"),
        ("-1s", "negative"),
    ] {
        let d = h
            .validate("time-sleep", &[("destroy-duration", Value::string(bad))])
            .await;
        assert_eq!(d.len(), 1, "{bad}");
        assert_eq!(d[0].attribute.as_deref(), Some("destroy-duration"));
        assert!(d[0].message.contains(why), "{bad}: {}", d[0].message);
    }
    let imported = h
        .provider
        .import("time-sleep", "30s,,ami=a-1")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        imported.state.get("create-duration"),
        Some(&Value::string("30s"))
    );
    assert_eq!(imported.state.get("destroy-duration"), Some(&Value::Null));
    assert_eq!(
        imported.state.get("triggers"),
        Some(&string_map(&[("ami", "a-1")]))
    );
    assert!(h.provider.import("time-sleep", ",").await.is_err());
}
