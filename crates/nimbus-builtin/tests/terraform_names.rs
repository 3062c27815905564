//! The kinds under Terraform's names: Terraform's attribute names, defaults
//! and behaviour, one implementation with the Nimbus names.

mod common;

use common::{Harness, Object, obj, string_map};
use nimbus_builtin::{Builtin, BuiltinOptions, Family, TERRAFORM_RESOURCE_TYPES};
use nimbus_provider::Provider;
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::testing::Driver;

fn text(object: &Object, name: &str) -> String {
    object
        .state
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{name} is not a string: {:?}", object.state))
        .to_string()
}

/// A type, its configuration, and an attribute whose change replaces it.
type Case = (
    &'static str,
    Vec<(&'static str, Value)>,
    &'static str,
    Value,
);

#[tokio::test]
async fn every_terraform_type_goes_through_its_life() {
    let h = Harness::new();
    let list = |items: &[&str]| Value::List(items.iter().map(|s| Value::string(*s)).collect());
    let keepers = |v: &str| string_map(&[("k", v)]);
    let cases: Vec<Case> = vec![
        ("null_resource", vec![], "triggers", keepers("1")),
        (
            "terraform_data",
            vec![("input", Value::string("x"))],
            "triggers_replace",
            Value::int(1),
        ),
        (
            "random_id",
            vec![("byte_length", Value::int(8))],
            "byte_length",
            Value::int(9),
        ),
        (
            "random_string",
            vec![("length", Value::int(8)), ("min_upper", Value::int(2))],
            "length",
            Value::int(9),
        ),
        (
            "random_password",
            vec![("length", Value::int(12))],
            "keepers",
            keepers("2"),
        ),
        (
            "random_integer",
            vec![("min", Value::int(1)), ("max", Value::int(9))],
            "seed",
            Value::string("s"),
        ),
        ("random_pet", vec![], "prefix", Value::string("p")),
        (
            "random_shuffle",
            vec![("input", list(&["a", "b"]))],
            "result_count",
            Value::int(1),
        ),
        ("random_uuid", vec![], "keepers", keepers("2")),
        (
            "local_file",
            vec![
                ("filename", Value::string("a.txt")),
                ("content", Value::string("one")),
            ],
            "file_permission",
            Value::string("0600"),
        ),
        (
            "local_sensitive_file",
            vec![
                ("filename", Value::string("b.txt")),
                ("content", Value::string("two")),
            ],
            "content",
            Value::string("three"),
        ),
        ("time_static", vec![], "triggers", keepers("2")),
        (
            "time_offset",
            vec![("offset_days", Value::int(1))],
            "triggers",
            keepers("2"),
        ),
        (
            "time_rotating",
            vec![("rotation_days", Value::int(1))],
            "triggers",
            keepers("2"),
        ),
        (
            "time_sleep",
            vec![("create_duration", Value::string("1ms"))],
            "triggers",
            keepers("2"),
        ),
    ];
    assert_eq!(cases.len(), TERRAFORM_RESOURCE_TYPES.len());
    for (ty, pairs, replace, value) in cases {
        let created = h.lifecycle(ty, &pairs, replace, value).await;
        let state = created.state.as_map().expect("an object");
        assert!(
            state.keys().all(|k| !k.contains('-')),
            "{ty}: {:?}",
            state.keys()
        );
    }
}

#[tokio::test]
async fn terraform_attribute_names_in_errors_and_plans() {
    let h = Harness::new();
    let d = h
        .validate("random_id", &[("byte_length", Value::int(0))])
        .await;
    assert_eq!(d[0].attribute.as_deref(), Some("byte_length"));
    assert!(
        d[0].message.starts_with("`byte_length` must be"),
        "{}",
        d[0].message
    );

    let config = h.config("random_id", &[("byte_length", Value::int(4))]);
    let created = h.create("random_id", &config).await;
    assert!(created.state.get("b64_url").is_some());
    let changed = h.config("random_id", &[("byte_length", Value::int(5))]);
    let plan = h.plan("random_id", Some(&created), &changed).await;
    assert_eq!(plan.requires_replace, vec!["byte_length".to_string()]);
    let err = h
        .try_update("random_id", &created, &changed, &plan)
        .await
        .unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("byte_length"));
}

#[tokio::test]
async fn random_password_has_a_bcrypt_hash_and_two_names_for_numeric() {
    let h = Harness::new();
    let config = h.config(
        "random_password",
        &[("length", Value::int(16)), ("number", Value::Bool(false))],
    );
    let plan = h.plan("random_password", None, &config).await;
    assert_eq!(plan.planned_state.get("numeric"), Some(&Value::Bool(false)));
    assert_eq!(plan.planned_state.get("number"), Some(&Value::Bool(false)));
    assert!(plan.planned_state.get("bcrypt_hash").unwrap().is_unknown());
    let created = h.create("random_password", &config).await;
    let result = text(&created, "result");
    assert!(!result.chars().any(|c| c.is_ascii_digit()), "{result}");
    assert_eq!(text(&created, "id"), "none");
    assert!(bcrypt::verify(&result, &text(&created, "bcrypt_hash")).unwrap());

    let d = h
        .validate(
            "random_password",
            &[
                ("length", Value::int(16)),
                ("number", Value::Bool(false)),
                ("numeric", Value::Bool(true)),
            ],
        )
        .await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].attribute.as_deref(), Some("number"));

    // Imported, the password plans no change with the default options.
    let imported = h
        .provider
        .import("random_password", "s3cret-Pass")
        .await
        .unwrap()
        .remove(0);
    assert!(
        bcrypt::verify(
            "s3cret-Pass",
            imported.state.get("bcrypt_hash").unwrap().as_str().unwrap()
        )
        .unwrap()
    );
    let object = Object::from(imported.state.clone());
    let config = h.config("random_password", &[("length", Value::int(11))]);
    let plan = h.plan("random_password", Some(&object), &config).await;
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}",
        plan.requires_replace
    );
    assert_eq!(plan.planned_state, imported.state);
}

#[tokio::test]
async fn terraform_allows_a_minimum_of_a_disabled_class() {
    let h = Harness::new();
    let pairs = [
        ("length", Value::int(10)),
        ("upper", Value::Bool(false)),
        ("min_upper", Value::int(3)),
    ];
    let config = h.config("random_string", &pairs);
    let result = text(&h.create("random_string", &config).await, "result");
    assert_eq!(
        result.chars().filter(char::is_ascii_uppercase).count(),
        3,
        "{result}"
    );
    // Nimbus's name refuses it.
    let d = h
        .validate(
            "random-string",
            &[
                ("length", Value::int(10)),
                ("upper", Value::Bool(false)),
                ("min-upper", Value::int(3)),
            ],
        )
        .await;
    assert_eq!(d[0].attribute.as_deref(), Some("min-upper"));
}

#[tokio::test]
async fn an_older_random_state_is_upgraded() {
    let h = Harness::new();
    let old = obj(&[
        ("length", Value::int(4)),
        ("number", Value::Bool(false)),
        ("result", Value::string("abcd")),
    ]);
    let upgraded = h
        .provider
        .upgrade_state("random_password", 1, old)
        .await
        .unwrap();
    assert_eq!(upgraded.get("numeric"), Some(&Value::Bool(false)));
    assert!(
        bcrypt::verify(
            "abcd",
            upgraded.get("bcrypt_hash").unwrap().as_str().unwrap()
        )
        .unwrap()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn local_file_follows_terraform() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::new();
    let config = h.config(
        "local_file",
        &[
            ("filename", Value::string("dir/a.txt")),
            ("content", Value::string("hello")),
        ],
    );
    let plan = h.plan("local_file", None, &config).await;
    assert_eq!(
        plan.planned_state.get("file_permission"),
        Some(&Value::string("0777"))
    );
    let created = h.create("local_file", &config).await;
    let path = h.dir.path().join("dir/a.txt");
    // 0777 before the umask, as Terraform writes it.
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & 0o700, 0o700, "{mode:o}");
    let expected = [
        ("id", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("content_sha1", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("content_md5", "5d41402abc4b2a76b9719d911017c592"),
        (
            "content_sha256",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        (
            "content_base64sha256",
            "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
        ),
    ];
    for (name, value) in expected {
        assert_eq!(text(&created, name), value, "{name}");
    }
    assert_eq!(text(&created, "content_sha512").len(), 128);
    // An edit outside makes the file gone, to be written again.
    assert!(h.read("local_file", &created).await.is_some());
    std::fs::write(&path, "edited").unwrap();
    assert!(h.read("local_file", &created).await.is_none());
    // A permission change replaces the file.
    let changed = h.config(
        "local_file",
        &[
            ("filename", Value::string("dir/a.txt")),
            ("content", Value::string("hello")),
            ("file_permission", Value::string("0600")),
        ],
    );
    let plan = h.plan("local_file", Some(&created), &changed).await;
    assert_eq!(plan.requires_replace, vec!["file_permission".to_string()]);
    assert!(h.provider.import("local_file", "dir/a.txt").await.is_err());

    // `sensitive_content` writes like `content`, and is sensitive.
    let secret = h.config(
        "local_file",
        &[
            ("filename", Value::string("s.txt")),
            ("sensitive_content", Value::string("pssst")),
        ],
    );
    h.create("local_file", &secret).await;
    assert_eq!(
        std::fs::read_to_string(h.dir.path().join("s.txt")).unwrap(),
        "pssst"
    );
    assert!(h.provider.schema().resources["local_file"].attributes["sensitive_content"].sensitive);
    let both = h
        .validate(
            "local_file",
            &[
                ("filename", Value::string("x")),
                ("content", Value::string("a")),
                ("sensitive_content", Value::string("b")),
            ],
        )
        .await;
    assert_eq!(both[0].attribute.as_deref(), Some("sensitive_content"));

    let plan = h
        .plan(
            "local_sensitive_file",
            None,
            &h.config(
                "local_sensitive_file",
                &[
                    ("filename", Value::string("k")),
                    ("content", Value::string("v")),
                ],
            ),
        )
        .await;
    assert_eq!(
        plan.planned_state.get("directory_permission"),
        Some(&Value::string("0700"))
    );
}

#[tokio::test]
async fn data_sources_under_terraform_names() {
    let h = Harness::new();
    std::fs::write(h.dir.path().join("in.txt"), "hello").unwrap();
    let config = obj(&[("filename", Value::string("in.txt"))]);
    let read = h.provider.read_data("local_file", &config).await.unwrap();
    assert_eq!(read.get("content"), Some(&Value::string("hello")));
    assert_eq!(read.get("content_base64"), Some(&Value::string("aGVsbG8=")));
    assert_eq!(
        read.get("content_sha1"),
        Some(&Value::string("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"))
    );
    let read = h
        .provider
        .read_data("local_sensitive_file", &config)
        .await
        .unwrap();
    assert_eq!(read.get("content"), Some(&Value::string("hello")));
    let err = h
        .provider
        .read_data(
            "local_file",
            &obj(&[("filename", Value::string("none.txt"))]),
        )
        .await
        .unwrap_err();
    assert!(err.message.starts_with("local_file: "), "{}", err.message);

    let config = obj(&[("inputs", string_map(&[("a", "b")]))]);
    let read = h
        .provider
        .read_data("null_data_source", &config)
        .await
        .unwrap();
    assert_eq!(read.get("outputs"), Some(&string_map(&[("a", "b")])));
    assert_eq!(read.get("id"), Some(&Value::string("static")));
    assert_eq!(
        read.get("has_computed_default"),
        Some(&Value::string("default"))
    );
    assert!(
        read.get("random")
            .and_then(Value::as_str)
            .is_some_and(|r| r.parse::<u64>().is_ok())
    );
    let nimbus = h
        .provider
        .read_data(
            "null-data-source",
            &obj(&[("has-computed-default", Value::string("x"))]),
        )
        .await
        .unwrap();
    assert_eq!(
        nimbus.get("has-computed-default"),
        Some(&Value::string("x"))
    );
    assert_eq!(nimbus.get("outputs"), Some(&Value::Null));
}

#[tokio::test]
async fn a_terraform_provider_serves_its_family_only() {
    let d = Driver::new(Builtin::terraform(BuiltinOptions::new("."), Family::Random));
    let created = d.create("random_pet", &d.config("random_pet", &[])).await;
    assert!(created.state.get("id").and_then(Value::as_str).is_some());
    assert!(
        d.provider
            .validate_resource("null_resource", &Value::Null)
            .await
            .is_err()
    );
    assert!(
        d.provider
            .validate_resource("random-pet", &Value::Null)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_file_from_an_older_local_provider_gets_its_hashes() {
    let h = Harness::new();
    let config = h.config(
        "local_file",
        &[
            ("filename", Value::string("old.txt")),
            ("content", Value::string("hello")),
        ],
    );
    let created = h.create("local_file", &config).await;
    // local 2.1 recorded no content_* hashes.
    let mut old = created.state.as_map().unwrap().clone();
    old.retain(|name, _| !name.starts_with("content_"));
    let old = Object::from(Value::Map(old));
    let plan = h.plan("local_file", Some(&old), &config).await;
    assert!(plan.requires_replace.is_empty());
    assert!(
        plan.planned_state
            .get("content_sha512")
            .unwrap()
            .is_unknown()
    );
    let updated = h.apply_update("local_file", &old, &config, &plan).await;
    assert_eq!(updated.state, created.state);
}
