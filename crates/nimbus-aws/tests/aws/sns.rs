use crate::common::*;
use nimbus_aws::wire::{Params, SNS};
use nimbus_provider::nimbus_value::Value;

async fn topic_exists(h: &Harness, arn: &str) -> bool {
    let out = h
        .clients
        .wire
        .query(&SNS, "ListTopics", Params::new())
        .await
        .unwrap();
    out.members(&["ListTopicsResult", "Topics"])
        .iter()
        .any(|t| t.text_at(&["TopicArn"]).as_deref() == Some(arn))
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_topic_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "sns-topic";
    let name = unique("nimbus-topic");
    let v1 = h.config(
        t,
        &[("name", s(&name)), ("tags", string_map(&[("env", "test")]))],
    );
    let created = h.create(t, &v1).await;
    let arn = get_str(&created, "arn").to_string();
    assert!(arn.ends_with(&format!(":{name}")));
    assert!(topic_exists(&h, &arn).await);
    let state = h.assert_no_changes(t, &created, &v1).await;

    let v2 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("display-name", s("Alerts")),
            ("tags", string_map(&[("env", "prod"), ("x", "y")])),
        ],
    );
    let state = h.update(t, &state, &v2).await;
    assert_eq!(get(&state, "display-name"), &s("Alerts"));
    let state = h.assert_no_changes(t, &state, &v2).await;

    // Drift.
    h.clients
        .wire
        .query(
            &SNS,
            "SetTopicAttributes",
            Params::new()
                .set("TopicArn", &arn)
                .set("AttributeName", "DisplayName")
                .set("AttributeValue", "Other"),
        )
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "display-name"), &s("Other"));
    let state = h.update(t, &drifted, &v2).await;

    h.import_matches(t, &arn, &state, &v2, &[]).await;

    // Force-new: FIFO topic.
    let fifo = format!("{name}.fifo");
    let v3 = h.config(t, &[("name", s(&fifo)), ("fifo", Value::Bool(true))]);
    let replaced = h.replace(t, &state, &v3, "name").await;
    assert!(!topic_exists(&h, &arn).await);
    let replaced = h.assert_no_changes(t, &replaced, &v3).await;
    h.destroy(t, &replaced).await;
    assert!(!topic_exists(&h, get_str(&replaced, "arn")).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_subscription_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let topic = h
        .create(
            "sns-topic",
            &h.config("sns-topic", &[("name", s(&unique("nimbus-subs")))]),
        )
        .await;
    let q1 = h
        .create(
            "sqs-queue",
            &h.config("sqs-queue", &[("name", s(&unique("nimbus-sub-q")))]),
        )
        .await;
    let q2 = h
        .create(
            "sqs-queue",
            &h.config("sqs-queue", &[("name", s(&unique("nimbus-sub-q")))]),
        )
        .await;
    let t = "sns-subscription";
    let topic_arn = get(&topic, "arn").clone();
    let v1 = h.config(
        t,
        &[
            ("topic-arn", topic_arn.clone()),
            ("protocol", s("sqs")),
            ("endpoint", get(&q1, "arn").clone()),
        ],
    );
    let created = h.create(t, &v1).await;
    assert_eq!(get(&created, "pending-confirmation"), &Value::Bool(false));
    let state = h.assert_no_changes(t, &created, &v1).await;

    let filter = obj(&[("kind", Value::List(vec![s("order")]))]);
    let v2 = h.config(
        t,
        &[
            ("topic-arn", topic_arn.clone()),
            ("protocol", s("sqs")),
            ("endpoint", get(&q1, "arn").clone()),
            ("raw-message-delivery", Value::Bool(true)),
            ("filter-policy", filter),
        ],
    );
    let state = h.update(t, &state, &v2).await;
    let state = h.assert_no_changes(t, &state, &v2).await;

    // Drift.
    let arn = get_str(&state, "arn").to_string();
    h.clients
        .wire
        .query(
            &SNS,
            "SetSubscriptionAttributes",
            Params::new()
                .set("SubscriptionArn", &arn)
                .set("AttributeName", "RawMessageDelivery")
                .set("AttributeValue", "false"),
        )
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "raw-message-delivery"), &Value::Bool(false));
    let state = h.update(t, &drifted, &v2).await;

    let v_json = h.config(
        t,
        &[
            ("topic-arn", topic_arn.clone()),
            ("protocol", s("sqs")),
            ("endpoint", get(&q1, "arn").clone()),
            ("raw-message-delivery", Value::Bool(true)),
            ("filter-policy", s(r#"{"kind":["order"]}"#)),
        ],
    );
    h.import_matches(t, &arn, &state, &v_json, &["filter-policy"])
        .await;

    // Force-new: another endpoint.
    let v3 = h.config(
        t,
        &[
            ("topic-arn", topic_arn),
            ("protocol", s("sqs")),
            ("endpoint", get(&q2, "arn").clone()),
        ],
    );
    let replaced = h.replace(t, &state, &v3, "endpoint").await;
    h.destroy(t, &replaced).await;
    let subs = h
        .clients
        .wire
        .query(
            &SNS,
            "ListSubscriptionsByTopic",
            Params::new().set("TopicArn", get_str(&topic, "arn")),
        )
        .await
        .unwrap();
    let left = subs.members(&["ListSubscriptionsByTopicResult", "Subscriptions"]);
    assert!(left.is_empty(), "no subscription left: {left:?}");
    h.destroy("sqs-queue", &q1).await;
    h.destroy("sqs-queue", &q2).await;
    h.destroy("sns-topic", &topic).await;
}
