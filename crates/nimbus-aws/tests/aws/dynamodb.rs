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
