//! random-id, random-string and random-password.

mod common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{Harness, Object};
use nimbus_builtin::{DEFAULT_SPECIAL, to_decimal};
use nimbus_provider::Provider;
use nimbus_provider::nimbus_value::Value;
use rand::Rng;
use std::collections::HashSet;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";

fn text(object: &Object, name: &str) -> String {
    object
        .state
        .get(name)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn random_id_encodings_agree() {
    let h = Harness::new();
    for n in [1, 3, 8, 32] {
        let created = h
            .create(
                "random-id",
                &h.config(
                    "random-id",
                    &[
                        ("byte-length", Value::int(n)),
                        ("prefix", Value::string("p-")),
                    ],
                ),
            )
            .await;
        let id = text(&created, "id");
        let bytes = URL_SAFE_NO_PAD.decode(&id).unwrap();
        assert_eq!(bytes.len() as i64, n);
        assert_eq!(text(&created, "hex"), format!("p-{}", hex::encode(&bytes)));
        assert_eq!(text(&created, "b64-url"), format!("p-{id}"));
        assert_eq!(
            text(&created, "b64-std"),
            format!("p-{}", STANDARD.encode(&bytes))
        );
        assert_eq!(text(&created, "dec"), format!("p-{}", to_decimal(&bytes)));
        if n <= 8 {
            let mut wide = [0u8; 8];
            wide[8 - bytes.len()..].copy_from_slice(&bytes);
            assert_eq!(
                text(&created, "dec"),
                format!("p-{}", u64::from_be_bytes(wide))
            );
        }
    }
}

#[tokio::test]
async fn random_id_import_round_trips() {
    let h = Harness::new();
    let config = h.config(
        "random-id",
        &[
            ("byte-length", Value::int(6)),
            ("prefix", Value::string("x,y-")),
        ],
    );
    let created = h.create("random-id", &config).await;
    let id = format!("x,y-,{}", text(&created, "id"));
    let imported = h.provider.import("random-id", &id).await.unwrap().remove(0);
    assert_eq!(imported.state, created.state);

    let imported = h
        .provider
        .import("random-id", &text(&created, "id"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(imported.state.get("prefix"), Some(&Value::Null));
    assert_eq!(imported.state.get("byte-length"), Some(&Value::int(6)));
    assert!(h.provider.import("random-id", "not base64!").await.is_err());
}

#[tokio::test]
async fn random_id_validation() {
    let h = Harness::new();
    for bad in [0, -1, 4097] {
        let d = h
            .validate("random-id", &[("byte-length", Value::int(bad))])
            .await;
        assert_eq!(d.len(), 1, "{bad}");
        assert_eq!(d[0].attribute.as_deref(), Some("byte-length"));
        assert!(d[0].error);
    }
    assert!(
        h.validate("random-id", &[("byte-length", Value::Unknown)])
            .await
            .is_empty()
    );
    assert!(
        h.validate("random-id", &[("byte-length", Value::int(4096))])
            .await
            .is_empty()
    );
    let d = h
        .validate("random-id", &[("byte-length", Value::string("lots"))])
        .await;
    assert_eq!(d[0].attribute.as_deref(), Some("byte-length"));
}

#[tokio::test]
async fn defaults_are_planned_and_explicit_defaults_change_nothing() {
    let h = Harness::new();
    let config = h.config("random-string", &[("length", Value::int(10))]);
    let plan = h.plan("random-string", None, &config).await;
    for flag in ["special", "upper", "lower", "numeric"] {
        assert_eq!(
            plan.planned_state.get(flag),
            Some(&Value::Bool(true)),
            "{flag}"
        );
    }
    for min in ["min-special", "min-upper", "min-lower", "min-numeric"] {
        assert_eq!(plan.planned_state.get(min), Some(&Value::int(0)), "{min}");
    }
    assert_eq!(
        plan.planned_state.get("override-special"),
        Some(&Value::Null)
    );
    assert!(plan.planned_state.get("result").unwrap().is_unknown());
    let created = h.create("random-string", &config).await;
    assert_eq!(text(&created, "id"), text(&created, "result"));

    let explicit = h.config(
        "random-string",
        &[
            ("length", Value::int(10)),
            ("special", Value::Bool(true)),
            ("min-upper", Value::int(0)),
        ],
    );
    let plan = h.plan("random-string", Some(&created), &explicit).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned_state, created.state);

    // Turning a default off replaces the string.
    let off = h.config(
        "random-string",
        &[("length", Value::int(10)), ("upper", Value::Bool(false))],
    );
    let plan = h.plan("random-string", Some(&created), &off).await;
    assert_eq!(plan.requires_replace, vec!["upper".to_string()]);
}

#[derive(Debug)]
struct Case {
    length: i64,
    flags: [bool; 4],
    mins: [i64; 4],
    override_special: Option<String>,
}

fn random_case(rng: &mut impl Rng) -> Case {
    loop {
        let flags = [
            rng.random_bool(0.7),
            rng.random_bool(0.7),
            rng.random_bool(0.7),
            rng.random_bool(0.7),
        ];
        if !flags.iter().any(|&f| f) {
            continue;
        }
        let mut mins = [0i64; 4];
        for (i, min) in mins.iter_mut().enumerate() {
            if flags[i] && rng.random_bool(0.5) {
                *min = rng.random_range(0..6);
            }
        }
        let sum: i64 = mins.iter().sum();
        let length = sum.max(1) + rng.random_range(0..20);
        let override_special = rng
            .random_bool(0.3)
            .then(|| ["_", "-_.", "€£¥"][rng.random_range(0..3)].to_string());
        return Case {
            length,
            flags,
            mins,
            override_special,
        };
    }
}

#[tokio::test]
async fn password_honours_length_classes_and_minimums_over_many_runs() {
    let h = Harness::new();
    let mut rng = rand::rng();
    let names = [
        ("lower", "min-lower"),
        ("upper", "min-upper"),
        ("numeric", "min-numeric"),
        ("special", "min-special"),
    ];
    let mut seen = HashSet::new();
    for _ in 0..400 {
        let case = random_case(&mut rng);
        let mut pairs = vec![("length", Value::int(case.length))];
        for (i, (flag, min)) in names.iter().enumerate() {
            pairs.push((flag, Value::Bool(case.flags[i])));
            pairs.push((min, Value::int(case.mins[i])));
        }
        if let Some(s) = &case.override_special {
            pairs.push(("override-special", Value::string(s.as_str())));
        }
        assert!(
            h.validate("random-password", &pairs).await.is_empty(),
            "{case:?}"
        );
        let created = h
            .create("random-password", &h.config("random-password", &pairs))
            .await;
        let result = text(&created, "result");
        let chars: Vec<char> = result.chars().collect();
        assert_eq!(chars.len() as i64, case.length, "{case:?}");
        let special = case
            .override_special
            .clone()
            .unwrap_or_else(|| DEFAULT_SPECIAL.to_string());
        let sets = [LOWER, UPPER, NUMERIC, special.as_str()];
        // Two long passwords alike mean a broken generator, unless the
        // case allows only a handful of characters (`override-special "_"`
        // alone has one).
        let alphabet: usize = sets
            .iter()
            .zip(case.flags)
            .filter(|(_, on)| *on)
            .map(|(set, _)| set.chars().count())
            .sum();
        if case.length >= 16 && alphabet >= 10 {
            assert!(seen.insert(result.clone()), "repeated result {result}");
        }
        for (i, set) in sets.iter().enumerate() {
            let count = chars.iter().filter(|c| set.contains(**c)).count() as i64;
            if case.flags[i] {
                assert!(count >= case.mins[i], "{case:?}: {result}");
            } else {
                // Characters of a disabled class appear only when another
                // enabled class shares them (overridden specials).
                let others: String = (0..4).filter(|&j| case.flags[j]).map(|j| sets[j]).collect();
                assert!(
                    chars
                        .iter()
                        .all(|c| !set.contains(*c) || others.contains(*c)),
                    "{case:?}: {result}"
                );
            }
        }
        assert!(
            chars
                .iter()
                .all(|c| (0..4).any(|i| case.flags[i] && sets[i].contains(*c))),
            "{case:?}: {result}"
        );
    }
}

#[tokio::test]
async fn minimums_that_fill_the_whole_length_are_met_exactly() {
    let h = Harness::new();
    for _ in 0..50 {
        let config = h.config(
            "random-password",
            &[
                ("length", Value::int(6)),
                ("min-upper", Value::int(2)),
                ("min-numeric", Value::int(3)),
                ("min-special", Value::int(1)),
            ],
        );
        let result = text(&h.create("random-password", &config).await, "result");
        assert_eq!(
            result.chars().filter(|c| c.is_ascii_uppercase()).count(),
            2,
            "{result}"
        );
        assert_eq!(
            result.chars().filter(|c| c.is_ascii_digit()).count(),
            3,
            "{result}"
        );
        assert_eq!(
            result
                .chars()
                .filter(|c| DEFAULT_SPECIAL.contains(*c))
                .count(),
            1,
            "{result}"
        );
    }
}

#[tokio::test]
async fn invalid_configurations_are_rejected_with_their_attribute() {
    let h = Harness::new();
    let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
        (vec![("length", Value::int(0))], "length"),
        (vec![("length", Value::int(-3))], "length"),
        (vec![("length", Value::int(2_000_000))], "length"),
        (vec![("length", Value::Null)], "length"),
        (
            vec![
                ("length", Value::int(3)),
                ("min-upper", Value::int(2)),
                ("min-lower", Value::int(2)),
            ],
            "length",
        ),
        (
            vec![
                ("length", Value::int(8)),
                ("special", Value::Bool(false)),
                ("upper", Value::Bool(false)),
                ("lower", Value::Bool(false)),
                ("numeric", Value::Bool(false)),
            ],
            "lower",
        ),
        (
            vec![
                ("length", Value::int(8)),
                ("upper", Value::Bool(false)),
                ("min-upper", Value::int(1)),
            ],
            "min-upper",
        ),
        (
            vec![("length", Value::int(8)), ("min-numeric", Value::int(-1))],
            "min-numeric",
        ),
        (
            vec![
                ("length", Value::int(8)),
                ("min-numeric", Value::string("1.5")),
            ],
            "min-numeric",
        ),
        (
            vec![
                ("length", Value::int(8)),
                ("override-special", Value::string("")),
                ("min-special", Value::int(1)),
            ],
            "override-special",
        ),
        (
            vec![
                ("length", Value::int(8)),
                ("override-special", Value::string("")),
                ("upper", Value::Bool(false)),
                ("lower", Value::Bool(false)),
                ("numeric", Value::Bool(false)),
            ],
            "lower",
        ),
        (vec![("length", Value::string("ten"))], "length"),
    ];
    for ty in ["random-string", "random-password"] {
        for (pairs, attribute) in &cases {
            let d = h.validate(ty, pairs).await;
            assert!(!d.is_empty(), "{ty} {pairs:?} should be rejected");
            assert!(d.iter().all(|d| d.error));
            assert!(
                d.iter().any(|d| d.attribute.as_deref() == Some(attribute)),
                "{ty} {pairs:?}: expected an error on {attribute}, got {d:?}"
            );
            // Plan refuses it too, with the same kind of error.
            let err = h
                .try_plan(ty, None, &h.config(ty, pairs))
                .await
                .unwrap_err();
            assert!(err.attribute.is_some(), "{err:?}");
        }
    }
}

#[tokio::test]
async fn unknown_values_are_not_judged_early() {
    let h = Harness::new();
    assert!(
        h.validate(
            "random-string",
            &[("length", Value::Unknown), ("min-upper", Value::int(50))]
        )
        .await
        .is_empty()
    );
    assert!(
        h.validate(
            "random-string",
            &[
                ("length", Value::int(4)),
                ("upper", Value::Unknown),
                ("lower", Value::Bool(false)),
                ("numeric", Value::Bool(false)),
                ("special", Value::Bool(false)),
            ]
        )
        .await
        .is_empty()
    );
    // A change to an attribute that is unknown at plan time replaces.
    let created = h
        .create(
            "random-string",
            &h.config("random-string", &[("length", Value::int(4))]),
        )
        .await;
    let plan = h
        .plan(
            "random-string",
            Some(&created),
            &h.config("random-string", &[("length", Value::Unknown)]),
        )
        .await;
    assert_eq!(plan.requires_replace, vec!["length".to_string()]);
    assert!(plan.planned_state.get("result").unwrap().is_unknown());
}

#[tokio::test]
async fn string_and_password_import() {
    let h = Harness::new();
    let imported = h
        .provider
        .import("random-string", "abcDEF12")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        imported.state.get("result"),
        Some(&Value::string("abcDEF12"))
    );
    assert_eq!(imported.state.get("id"), Some(&Value::string("abcDEF12")));
    assert_eq!(imported.state.get("length"), Some(&Value::int(8)));
    let object = Object {
        state: imported.state.clone(),
        private: imported.private,
    };
    let plan = h
        .plan(
            "random-string",
            Some(&object),
            &h.config("random-string", &[("length", Value::int(8))]),
        )
        .await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned_state, imported.state);

    let imported = h
        .provider
        .import("random-password", "s3cr3t!")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        imported.state.get("result"),
        Some(&Value::string("s3cr3t!"))
    );
    assert_eq!(imported.state.get("id"), Some(&Value::string("none")));
    assert_eq!(imported.state.get("length"), Some(&Value::int(7)));
}
