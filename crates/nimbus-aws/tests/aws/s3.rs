use crate::common::*;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::{Provider, ProviderError};

async fn bucket_exists(h: &Harness, name: &str) -> bool {
    let buckets = h.clients.s3.list_buckets().send().await.unwrap();
    buckets.buckets().iter().any(|b| b.name() == Some(name))
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "s3-bucket";
    let name = unique("nimbus-bucket");
    let v1 = h.config(
        t,
        &[
            ("bucket-name", s(&name)),
            ("versioning", Value::Bool(true)),
            ("encryption", s("AES256")),
            ("tags", string_map(&[("env", "test")])),
        ],
    );
    let created = h.create(t, &v1).await;
    assert_eq!(get_str(&created, "arn"), format!("arn:aws:s3:::{name}"));
    assert_eq!(get(&created, "versioning"), &Value::Bool(true));
    assert!(bucket_exists(&h, &name).await);
    // (Raw: moto 5's GetBucketVersioning answer does not parse with the SDK.)
    let versioning = h.raw_get(&format!("/{name}?versioning")).await;
    assert!(
        versioning.contains("<Status>Enabled</Status>"),
        "{versioning}"
    );

    let state = h.assert_no_changes(t, &created, &v1).await;

    // In place: tags, versioning off (suspended), force-destroy.
    let v2 = h.config(
        t,
        &[
            ("bucket-name", s(&name)),
            ("versioning", Value::Bool(false)),
            ("encryption", s("AES256")),
            ("tags", string_map(&[("env", "prod"), ("team", "infra")])),
            ("force-destroy", Value::Bool(true)),
        ],
    );
    let updated = h.update(t, &state, &v2).await;
    assert_eq!(
        get(&updated, "tags"),
        &string_map(&[("env", "prod"), ("team", "infra")])
    );
    // (Raw: moto 5's GetBucketVersioning answer does not parse with the SDK.)
    let versioning = h.raw_get(&format!("/{name}?versioning")).await;
    assert!(
        versioning.contains("<Status>Suspended</Status>"),
        "{versioning}"
    );
    let state = h.assert_no_changes(t, &updated, &v2).await;

    // Drift: tags changed out of band.
    let tagging = Tagging::builder()
        .tag_set(Tag::builder().key("env").value("hacked").build().unwrap())
        .build()
        .unwrap();
    h.clients
        .s3
        .put_bucket_tagging()
        .bucket(&name)
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "tags"), &string_map(&[("env", "hacked")]));
    let plan = h.plan(t, Some(&drifted), &v2).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(get(&plan.planned_state, "tags"), get(&v2, "tags"));
    let state = h.update(t, &drifted, &v2).await;

    // Import into a fresh state (force-destroy is not stored in AWS).
    h.import_matches(t, &name, &state, &v2, &["force-destroy"])
        .await;

    // Force-new: a new name replaces the bucket; force-destroy empties the
    // versioned old one first.
    for i in 0..3 {
        h.clients
            .s3
            .put_object()
            .bucket(&name)
            .key("obj")
            .body(ByteStream::from(format!("v{i}").into_bytes()))
            .send()
            .await
            .unwrap();
    }
    h.clients
        .s3
        .delete_object()
        .bucket(&name)
        .key("obj")
        .send()
        .await
        .unwrap();
    let renamed = unique("nimbus-bucket");
    let v3 = h.config(
        t,
        &[
            ("bucket-name", s(&renamed)),
            ("encryption", s("AES256")),
            ("force-destroy", Value::Bool(true)),
        ],
    );
    let replaced = h.replace(t, &state, &v3, "bucket-name").await;
    assert!(!bucket_exists(&h, &name).await, "the old bucket is gone");
    assert!(bucket_exists(&h, &renamed).await);
    h.assert_no_changes(t, &replaced, &v3).await;

    h.destroy(t, &replaced).await;
    assert!(!bucket_exists(&h, &renamed).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn non_empty_bucket_without_force_destroy_is_not_deleted() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let name = unique("nimbus-full");
    let config = h.config("s3-bucket", &[("bucket-name", s(&name))]);
    let state = h.create("s3-bucket", &config).await;
    h.clients
        .s3
        .put_object()
        .bucket(&name)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = h
        .provider
        .delete(nimbus_provider::DeleteRequest {
            type_name: "s3-bucket",
            prior_state: &state,
            private: &[],
        })
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.message.contains("not empty"), "{}", err.message);
    assert_eq!(err.attribute.as_deref(), Some("force-destroy"));
    h.clients
        .s3
        .delete_object()
        .bucket(&name)
        .key("k")
        .send()
        .await
        .unwrap();
    h.destroy("s3-bucket", &state).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_bucket_names_are_reported_on_the_attribute() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let config = h.config("s3-bucket", &[("bucket-name", s("Not_A_Bucket"))]);
    let diagnostics = h
        .provider
        .validate_resource("s3-bucket", &config)
        .await
        .unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].attribute.as_deref(), Some("bucket-name"));
    let err: ProviderError = h.try_plan("s3-bucket", None, &config).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("bucket-name"));
    let config = h.config(
        "s3-bucket",
        &[("bucket-name", s("ok-name")), ("encryption", s("rot13"))],
    );
    let err = h.try_plan("s3-bucket", None, &config).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("encryption"));
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_policy_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let bucket = unique("nimbus-policy");
    let b = h
        .create(
            "s3-bucket",
            &h.config("s3-bucket", &[("bucket-name", s(&bucket))]),
        )
        .await;
    let t = "s3-bucket-policy";
    let document = |action: &str| {
        s(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"read","Effect":"Allow","Principal":"*","Action":["{action}"],"Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
        ))
    };
    let v1 = h.config(
        t,
        &[("bucket", s(&bucket)), ("policy", document("s3:GetObject"))],
    );
    let created = h.create(t, &v1).await;
    assert_eq!(get_str(&created, "id"), bucket);
    let state = h.assert_no_changes(t, &created, &v1).await;

    // The same document written as a map means the same: no change.
    let as_map = Value::from_json(
        &serde_json::from_str(document("s3:GetObject").as_str().unwrap()).unwrap(),
    );
    let same = h.config(t, &[("bucket", s(&bucket)), ("policy", as_map)]);
    h.assert_no_changes(t, &state, &same).await;

    let v2 = h.config(
        t,
        &[
            ("bucket", s(&bucket)),
            ("policy", document("s3:ListBucket")),
        ],
    );
    let state = h.update(t, &state, &v2).await;
    let got = h
        .clients
        .s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(got.policy().unwrap().contains("s3:ListBucket"));

    // Drift.
    let other = document("s3:PutObject");
    h.clients
        .s3
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(other.as_str().unwrap())
        .send()
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert!(
        drifted
            .get("policy")
            .unwrap()
            .as_str()
            .unwrap()
            .contains("s3:PutObject")
    );
    let state = h.update(t, &drifted, &v2).await;

    h.import_matches(t, &bucket, &state, &v2, &[]).await;

    // Force-new: another bucket.
    let bucket2 = unique("nimbus-policy");
    let b2 = h
        .create(
            "s3-bucket",
            &h.config("s3-bucket", &[("bucket-name", s(&bucket2))]),
        )
        .await;
    let v3 = h.config(
        t,
        &[
            ("bucket", s(&bucket2)),
            (
                "policy",
                document("s3:GetObject")
                    .as_str()
                    .unwrap()
                    .replace(&bucket, &bucket2)
                    .into(),
            ),
        ],
    );
    let state = h.replace(t, &state, &v3, "bucket").await;
    assert!(
        h.clients
            .s3
            .get_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .is_err(),
        "the old policy is gone"
    );

    h.destroy(t, &state).await;
    assert!(
        h.clients
            .s3
            .get_bucket_policy()
            .bucket(&bucket2)
            .send()
            .await
            .is_err()
    );
    h.destroy("s3-bucket", &b).await;
    h.destroy("s3-bucket", &b2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_object_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let bucket = unique("nimbus-objects");
    let b = h
        .create(
            "s3-bucket",
            &h.config("s3-bucket", &[("bucket-name", s(&bucket))]),
        )
        .await;
    let t = "s3-object";
    let v1 = h.config(
        t,
        &[
            ("bucket", s(&bucket)),
            ("key", s("a/hello.txt")),
            ("content", s("hello")),
            ("content-type", s("text/plain")),
        ],
    );
    let plan = h.plan(t, None, &v1).await;
    assert_eq!(
        get_str(&plan.planned_state, "etag"),
        "5d41402abc4b2a76b9719d911017c592",
        "md5 known at plan time"
    );
    let created = h.create(t, &v1).await;
    let state = h.assert_no_changes(t, &created, &v1).await;

    // In place: new content from a file.
    std::fs::write(h.dir.path().join("page.html"), "<p>hi</p>").unwrap();
    let v2 = h.config(
        t,
        &[
            ("bucket", s(&bucket)),
            ("key", s("a/hello.txt")),
            ("source", s("page.html")),
            ("content-type", s("text/html")),
        ],
    );
    let state = h.update(t, &state, &v2).await;
    let body = h
        .clients
        .s3
        .get_object()
        .bucket(&bucket)
        .key("a/hello.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        body.body.collect().await.unwrap().into_bytes().as_ref(),
        b"<p>hi</p>"
    );
    let state = h.assert_no_changes(t, &state, &v2).await;

    // The file changes: the plan uploads again.
    std::fs::write(h.dir.path().join("page.html"), "<p>bye</p>").unwrap();
    let plan = h.plan(t, Some(&state), &v2).await;
    assert_ne!(get(&plan.planned_state, "etag"), get(&state, "etag"));
    let state = h.update(t, &state, &v2).await;

    // Drift: overwritten out of band.
    h.clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key("a/hello.txt")
        .body(ByteStream::from_static(b"other"))
        .send()
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_ne!(get(&drifted, "etag"), get(&state, "etag"));
    let state = h.update(t, &drifted, &v2).await;

    // Import: the content of a text object is read back.
    let v_text = h.config(
        t,
        &[
            ("bucket", s(&bucket)),
            ("key", s("a/hello.txt")),
            ("content", s("<p>bye</p>")),
            ("content-type", s("text/html")),
        ],
    );
    h.import_matches(
        t,
        &format!("{bucket}/a/hello.txt"),
        &state,
        &v_text,
        &["content", "source"],
    )
    .await;

    // Force-new: another key.
    let v3 = h.config(
        t,
        &[
            ("bucket", s(&bucket)),
            ("key", s("b.txt")),
            ("content", s("b")),
        ],
    );
    let state = h.replace(t, &state, &v3, "key").await;
    h.destroy(t, &state).await;
    let listed = h
        .clients
        .s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(0), "no object left");
    h.destroy("s3-bucket", &b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_data_source() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let name = unique("nimbus-data");
    let state = h
        .create(
            "s3-bucket",
            &h.config(
                "s3-bucket",
                &[
                    ("bucket-name", s(&name)),
                    ("tags", string_map(&[("a", "b")])),
                ],
            ),
        )
        .await;
    let data = h
        .provider
        .read_data("s3-bucket", &obj(&[("bucket-name", s(&name))]))
        .await
        .unwrap();
    assert_eq!(get_str(&data, "arn"), format!("arn:aws:s3:::{name}"));
    assert_eq!(get_str(&data, "region"), "us-east-1");
    assert_eq!(get(&data, "tags"), &string_map(&[("a", "b")]));
    let err = h
        .provider
        .read_data(
            "s3-bucket",
            &obj(&[("bucket-name", s("nimbus-no-such-bucket-xyz"))]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("bucket-name"));
    h.destroy("s3-bucket", &state).await;
}
