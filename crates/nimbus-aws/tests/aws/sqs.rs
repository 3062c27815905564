use crate::common::*;
use nimbus_aws::wire::SQS;
use nimbus_provider::nimbus_value::Value;
use serde_json::json;

async fn queue_exists(h: &Harness, name: &str) -> bool {
    let out = h
        .clients
        .wire
        .json(&SQS, "ListQueues", json!({ "QueueNamePrefix": name }))
        .await
        .unwrap();
    out["QueueUrls"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|u| u.as_str().unwrap().ends_with(&format!("/{name}")))
}

/// The queue's attributes as SQS reports them (`Attributes`).
async fn queue_attributes(h: &Harness, url: &str) -> serde_json::Value {
    h.clients
        .wire
        .json(
            &SQS,
            "GetQueueAttributes",
            json!({ "QueueUrl": url, "AttributeNames": ["All"] }),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_queue_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "sqs-queue";
    let dlq_name = unique("nimbus-dlq");
    let dlq = h.create(t, &h.config(t, &[("name", s(&dlq_name))])).await;
    let name = unique("nimbus-queue");
    let v1 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("visibility-timeout", Value::int(45)),
            ("tags", string_map(&[("env", "test")])),
        ],
    );
    let created = h.create(t, &v1).await;
    assert!(get_str(&created, "url").ends_with(&name));
    assert!(get_str(&created, "arn").ends_with(&format!(":{name}")));
    assert_eq!(get(&created, "visibility-timeout"), &Value::int(45));
    assert_eq!(
        get(&created, "message-retention-seconds"),
        &Value::int(345_600),
        "default known at plan time"
    );
    let state = h.assert_no_changes(t, &created, &v1).await;

    // In place: visibility timeout, a dead-letter queue, tags.
    let redrive = obj(&[
        ("dead-letter-target-arn", dlq.get("arn").unwrap().clone()),
        ("max-receive-count", Value::int(5)),
    ]);
    let v2 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("visibility-timeout", Value::int(60)),
            ("redrive-policy", redrive.clone()),
            ("tags", string_map(&[("env", "prod")])),
        ],
    );
    let updated = h.update(t, &state, &v2).await;
    assert_eq!(get(&updated, "redrive-policy"), &redrive);
    let url = get_str(&updated, "url").to_string();
    let attrs = queue_attributes(&h, &url).await;
    assert_eq!(attrs["Attributes"]["VisibilityTimeout"], "60");
    let state = h.assert_no_changes(t, &updated, &v2).await;

    // Removing the dead-letter queue is in place too.
    let v2b = h.config(
        t,
        &[
            ("name", s(&name)),
            ("visibility-timeout", Value::int(60)),
            ("tags", string_map(&[("env", "prod")])),
        ],
    );
    let state = h.update(t, &state, &v2b).await;
    assert!(get(&state, "redrive-policy").is_null());
    let state = h.update(t, &state, &v2).await;

    // Drift.
    h.clients
        .wire
        .json(
            &SQS,
            "SetQueueAttributes",
            json!({ "QueueUrl": url, "Attributes": { "VisibilityTimeout": "5" } }),
        )
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "visibility-timeout"), &Value::int(5));
    let state = h.update(t, &drifted, &v2).await;

    // Import by URL and by name.
    h.import_matches(t, &url, &state, &v2, &[]).await;
    h.import_matches(t, &name, &state, &v2, &[]).await;

    // Force-new: FIFO.
    let fifo_name = format!("{name}.fifo");
    let v3 = h.config(
        t,
        &[
            ("name", s(&fifo_name)),
            ("fifo", Value::Bool(true)),
            ("content-based-deduplication", Value::Bool(true)),
        ],
    );
    let replaced = h.replace(t, &state, &v3, "name").await;
    assert_eq!(get(&replaced, "fifo"), &Value::Bool(true));
    assert_eq!(
        get(&replaced, "content-based-deduplication"),
        &Value::Bool(true)
    );
    assert!(!queue_exists(&h, &name).await);
    let replaced = h.assert_no_changes(t, &replaced, &v3).await;

    h.destroy(t, &replaced).await;
    h.destroy(t, &dlq).await;
    assert!(!queue_exists(&h, &fifo_name).await);
    assert!(!queue_exists(&h, &dlq_name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_checks_names_and_ranges() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "sqs-queue";
    let err = h
        .try_plan(t, None, &h.config(t, &[("name", s("q.fifo"))]))
        .await
        .unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("name"));
    let err = h
        .try_plan(
            t,
            None,
            &h.config(t, &[("name", s("q")), ("delay-seconds", Value::int(901))]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("delay-seconds"));
    let err = h
        .try_plan(
            t,
            None,
            &h.config(
                t,
                &[
                    ("name", s("q")),
                    ("content-based-deduplication", Value::Bool(true)),
                ],
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.attribute.as_deref(),
        Some("content-based-deduplication")
    );
}

/// Encryption at rest: SSE-SQS is known at plan for a new queue (AWS's
/// default, so a policy can decide before the queue exists), a KMS key
/// switches it off, and asking for both is refused.
#[tokio::test(flavor = "multi_thread")]
async fn sqs_queue_encryption() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "sqs-queue";
    let name = unique("nimbus-sse");
    let plain = h.config(t, &[("name", s(&name))]);
    let planned = h.plan(t, None, &plain).await;
    assert_eq!(
        get(&planned.planned_state, "sqs-managed-sse"),
        &Value::Bool(true),
        "SSE-SQS is known at plan"
    );
    let created = h.create(t, &plain).await;
    assert_eq!(get(&created, "sqs-managed-sse"), &Value::Bool(true));
    assert!(get(&created, "kms-master-key-id").is_null());
    let state = h.assert_no_changes(t, &created, &plain).await;

    // A key added to a queue: SQS's reuse period is known at plan.
    let key_only = h.config(
        t,
        &[
            ("name", s(&name)),
            ("kms-master-key-id", s("alias/aws/sqs")),
        ],
    );
    let updated = h.update(t, &state, &key_only).await;
    assert_eq!(
        get(&updated, "kms-data-key-reuse-period-seconds"),
        &Value::int(300)
    );
    let state = h.assert_no_changes(t, &updated, &key_only).await;
    let kms = h.config(
        t,
        &[
            ("name", s(&name)),
            ("kms-master-key-id", s("alias/aws/sqs")),
            ("kms-data-key-reuse-period-seconds", Value::int(600)),
        ],
    );
    let updated = h.update(t, &state, &kms).await;
    assert_eq!(get_str(&updated, "kms-master-key-id"), "alias/aws/sqs");
    assert_eq!(get(&updated, "sqs-managed-sse"), &Value::Bool(false));
    let url = get_str(&updated, "url").to_string();
    let attrs = queue_attributes(&h, &url).await;
    assert_eq!(attrs["Attributes"]["KmsMasterKeyId"], "alias/aws/sqs");
    assert_eq!(attrs["Attributes"]["KmsDataKeyReusePeriodSeconds"], "600");
    let state = h.assert_no_changes(t, &updated, &kms).await;

    // Back to SQS's own keys, asked for.
    let managed = h.config(
        t,
        &[("name", s(&name)), ("sqs-managed-sse", Value::Bool(true))],
    );
    let state = h.update(t, &state, &managed).await;
    assert!(get(&state, "kms-master-key-id").is_null());
    assert_eq!(get(&state, "sqs-managed-sse"), &Value::Bool(true));
    let state = h.assert_no_changes(t, &state, &managed).await;

    let both = h.config(
        t,
        &[
            ("name", s(&name)),
            ("sqs-managed-sse", Value::Bool(true)),
            ("kms-master-key-id", s("alias/aws/sqs")),
        ],
    );
    let err = h.try_plan(t, None, &both).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("sqs-managed-sse"));
    let empty = h.config(t, &[("name", s(&name)), ("kms-master-key-id", s(""))]);
    let err = h.try_plan(t, None, &empty).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("kms-master-key-id"));
    h.destroy(t, &state).await;
}
