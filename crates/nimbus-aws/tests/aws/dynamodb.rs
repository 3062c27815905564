use crate::common::*;
use nimbus_aws::wire::DYNAMODB;
use nimbus_provider::nimbus_value::Value;
use serde_json::json;

fn attribute(name: &str, t: &str) -> Value {
    obj(&[("name", s(name)), ("type", s(t))])
}

async fn table_exists(h: &Harness, name: &str) -> bool {
    let tables = h
        .clients
        .wire
        .json(&DYNAMODB, "ListTables", json!({}))
        .await
        .unwrap();
    tables["TableNames"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == name)
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_table_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "dynamodb-table";
    let name = unique("nimbus-table");
    let v1 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("hash-key", s("pk")),
            ("range-key", s("sk")),
            (
                "attribute",
                Value::List(vec![attribute("sk", "N"), attribute("pk", "S")]),
            ),
            ("tags", string_map(&[("env", "test")])),
        ],
    );
    let created = h.create(t, &v1).await;
    assert!(get_str(&created, "arn").ends_with(&format!("table/{name}")));
    assert_eq!(get(&created, "billing-mode"), &s("PAY_PER_REQUEST"));
    let state = h.assert_no_changes(t, &created, &v1).await;

    // In place: a global secondary index, TTL, tags.
    let gsi = obj(&[("name", s("by-email")), ("hash-key", s("email"))]);
    let v2 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("hash-key", s("pk")),
            ("range-key", s("sk")),
            (
                "attribute",
                Value::List(vec![
                    attribute("pk", "S"),
                    attribute("sk", "N"),
                    attribute("email", "S"),
                ]),
            ),
            ("global-secondary-index", Value::List(vec![gsi])),
            ("ttl-attribute", s("expires")),
            ("tags", string_map(&[("env", "prod")])),
        ],
    );
    let state = h.update(t, &state, &v2).await;
    let described = h
        .clients
        .wire
        .json(&DYNAMODB, "DescribeTable", json!({ "TableName": name }))
        .await
        .unwrap();
    assert_eq!(
        described["Table"]["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let state = h.assert_no_changes(t, &state, &v2).await;

    // In place: provisioned capacity.
    let gsi_p = obj(&[
        ("name", s("by-email")),
        ("hash-key", s("email")),
        ("read-capacity", Value::int(2)),
        ("write-capacity", Value::int(2)),
    ]);
    let v3 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("hash-key", s("pk")),
            ("range-key", s("sk")),
            (
                "attribute",
                Value::List(vec![
                    attribute("pk", "S"),
                    attribute("sk", "N"),
                    attribute("email", "S"),
                ]),
            ),
            ("global-secondary-index", Value::List(vec![gsi_p])),
            ("billing-mode", s("PROVISIONED")),
            ("read-capacity", Value::int(5)),
            ("write-capacity", Value::int(5)),
            ("ttl-attribute", s("expires")),
            ("tags", string_map(&[("env", "prod")])),
        ],
    );
    let state = h.update(t, &state, &v3).await;
    assert_eq!(get(&state, "read-capacity"), &Value::int(5));
    let state = h.assert_no_changes(t, &state, &v3).await;

    // Drift: capacity changed out of band.
    h.clients
        .wire
        .json(
            &DYNAMODB,
            "UpdateTable",
            json!({
                "TableName": name,
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": { "ReadCapacityUnits": 9, "WriteCapacityUnits": 5 },
            }),
        )
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "read-capacity"), &Value::int(9));
    let state = h.update(t, &drifted, &v3).await;

    h.import_matches(t, &name, &state, &v3, &[]).await;

    // Force-new: another hash key.
    let v4 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("hash-key", s("id")),
            ("attribute", Value::List(vec![attribute("id", "S")])),
        ],
    );
    let replaced = h.replace(t, &state, &v4, "hash-key").await;
    assert_eq!(get(&replaced, "hash-key"), &s("id"));
    let replaced = h.assert_no_changes(t, &replaced, &v4).await;
    h.destroy(t, &replaced).await;
    assert!(!table_exists(&h, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_checks_keys_and_capacity() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "dynamodb-table";
    let config = h.config(
        t,
        &[
            ("name", s("x")),
            ("hash-key", s("pk")),
            ("attribute", Value::List(vec![attribute("other", "S")])),
        ],
    );
    let err = h.try_plan(t, None, &config).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("hash-key"));
    let config = h.config(
        t,
        &[
            ("name", s("x")),
            ("hash-key", s("pk")),
            ("attribute", Value::List(vec![attribute("pk", "S")])),
            ("billing-mode", s("PROVISIONED")),
        ],
    );
    let err = h.try_plan(t, None, &config).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("read-capacity"));
}

/// A table encrypted with a KMS key: the AWS managed key when none is
/// named (its ARN known once the table exists), a named key otherwise;
/// DynamoDB's own key is the default, and a key without encryption is
/// refused. (The emulator does not change a table's encryption in place,
/// so only creation is checked here.)
#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_table_encryption() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "dynamodb-table";
    let table = |name: &str, extra: &[(&str, Value)]| {
        let mut fields = vec![
            ("name", s(name)),
            ("hash-key", s("pk")),
            ("attribute", Value::List(vec![attribute("pk", "S")])),
        ];
        fields.extend(extra.iter().cloned());
        h.config(t, &fields)
    };
    let plain_name = unique("nimbus-plain");
    let plain = table(&plain_name, &[]);
    let planned = h.plan(t, None, &plain).await;
    assert_eq!(
        get(&planned.planned_state, "server-side-encryption"),
        &Value::Bool(false)
    );
    assert!(get(&planned.planned_state, "kms-key-arn").is_null());
    let created = h.create(t, &plain).await;
    assert_eq!(get(&created, "server-side-encryption"), &Value::Bool(false));
    let plain_state = h.assert_no_changes(t, &created, &plain).await;

    let managed_name = unique("nimbus-kms");
    let managed = table(
        &managed_name,
        &[("server-side-encryption", Value::Bool(true))],
    );
    let created = h.create(t, &managed).await;
    assert_eq!(get(&created, "server-side-encryption"), &Value::Bool(true));
    assert!(
        get_str(&created, "kms-key-arn").starts_with("arn:aws:kms:"),
        "{:?}",
        get(&created, "kms-key-arn")
    );
    let managed_state = h.assert_no_changes(t, &created, &managed).await;

    let key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    let named_name = unique("nimbus-cmk");
    let named = table(
        &named_name,
        &[
            ("server-side-encryption", Value::Bool(true)),
            ("kms-key-arn", s(key)),
        ],
    );
    let created = h.create(t, &named).await;
    assert_eq!(get_str(&created, "kms-key-arn"), key);
    let named_state = h.assert_no_changes(t, &created, &named).await;

    let err = h
        .try_plan(t, None, &table("x", &[("kms-key-arn", s(key))]))
        .await
        .unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("kms-key-arn"));
    // DynamoDB reports the key by its ARN: an alias would never match.
    let alias = table(
        "x",
        &[
            ("server-side-encryption", Value::Bool(true)),
            ("kms-key-arn", s("alias/mine")),
        ],
    );
    let err = h.try_plan(t, None, &alias).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("kms-key-arn"));
    for state in [plain_state, managed_state, named_state] {
        h.destroy(t, &state).await;
    }
}
