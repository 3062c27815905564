use crate::common::*;
use base64::Engine;
use md5::{Digest, Md5};
use nimbus_aws::wire::{Call, CallError, Response, S3, xml};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::{Provider, ProviderError};

/// An S3 call about `bucket` (and `key` in it), addressed as the provider
/// is configured.
fn s3_call(h: &Harness, method: &'static str, bucket: &str, key: Option<&str>) -> Call {
    let path_style = h.clients.wire.s3_path_style;
    let mut path: Vec<&str> = Vec::new();
    if path_style {
        path.push(bucket);
    }
    path.extend(key.into_iter().flat_map(|k| k.split('/')));
    let mut call = Call::new(method, &path);
    if !path_style {
        call.bucket_host = Some(bucket.to_string());
    }
    call
}

/// `call` with `body` and the Content-MD5 S3 wants with it.
fn with_body(call: Call, body: &[u8]) -> Call {
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
    call.header("content-md5", md5).body(body.to_vec())
}

async fn send(h: &Harness, call: Call) -> Result<Response, CallError> {
    h.clients.wire.rest_xml(&S3, call).await
}

fn document(response: &Response) -> xml::Element {
    nimbus_aws::wire::xml_answer(response).unwrap()
}

async fn bucket_exists(h: &Harness, name: &str) -> bool {
    let listed = send(h, Call::new("GET", &[])).await.unwrap();
    document(&listed)
        .child("Buckets")
        .unwrap()
        .children_named("Bucket")
        .any(|b| b.text_at(&["Name"]).as_deref() == Some(name))
}

async fn versioning_status(h: &Harness, bucket: &str) -> String {
    let call = s3_call(h, "GET", bucket, None).query("versioning", "");
    let answer = send(h, call).await.unwrap();
    document(&answer)
        .find("Status")
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

async fn put_object(h: &Harness, bucket: &str, key: &str, body: &[u8]) {
    let call = with_body(s3_call(h, "PUT", bucket, Some(key)), body);
    send(h, call).await.unwrap();
}

async fn delete_object(h: &Harness, bucket: &str, key: &str) {
    send(h, s3_call(h, "DELETE", bucket, Some(key)))
        .await
        .unwrap();
}

async fn bucket_policy(h: &Harness, bucket: &str) -> Result<String, CallError> {
    let call = s3_call(h, "GET", bucket, None).query("policy", "");
    send(h, call)
        .await
        .map(|r| String::from_utf8(r.body.to_vec()).unwrap())
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
    assert_eq!(versioning_status(&h, &name).await, "Enabled");

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
    assert_eq!(versioning_status(&h, &name).await, "Suspended");
    let state = h.assert_no_changes(t, &updated, &v2).await;

    // Drift: tags changed out of band.
    let tagging = with_body(
        s3_call(&h, "PUT", &name, None).query("tagging", ""),
        b"<Tagging><TagSet><Tag><Key>env</Key><Value>hacked</Value></Tag></TagSet></Tagging>",
    );
    send(&h, tagging).await.unwrap();
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
        put_object(&h, &name, "obj", format!("v{i}").as_bytes()).await;
    }
    delete_object(&h, &name, "obj").await;
    // A key that only survives URL-encoded listings.
    put_object(&h, &name, "odd/a b+c %41 é.txt ", b"x").await;
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
    put_object(&h, &name, "k", b"x").await;
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
    delete_object(&h, &name, "k").await;
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
    let got = bucket_policy(&h, &bucket).await.unwrap();
    assert!(got.contains("s3:ListBucket"), "{got}");

    // Drift.
    let other = document("s3:PutObject");
    let put = with_body(
        s3_call(&h, "PUT", &bucket, None).query("policy", ""),
        other.as_str().unwrap().as_bytes(),
    );
    send(&h, put).await.unwrap();
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
        bucket_policy(&h, &bucket).await.is_err(),
        "the old policy is gone"
    );

    h.destroy(t, &state).await;
    assert!(bucket_policy(&h, &bucket2).await.is_err());
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
            (
                "tags",
                string_map(&[("team", "a b"), ("cost+centre", "1=2 ")]),
            ),
        ],
    );
    let plan = h.plan(t, None, &v1).await;
    assert_eq!(
        get_str(&plan.planned_state, "etag"),
        "5d41402abc4b2a76b9719d911017c592",
        "md5 known at plan time"
    );
    let created = h.create(t, &v1).await;
    assert_eq!(get(&created, "tags"), get(&v1, "tags"));
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
    let got = send(&h, s3_call(&h, "GET", &bucket, Some("a/hello.txt")))
        .await
        .unwrap();
    assert_eq!(got.body.as_ref(), b"<p>hi</p>");
    assert_eq!(got.header("content-type"), Some("text/html"));
    let state = h.assert_no_changes(t, &state, &v2).await;

    // The file changes: the plan uploads again.
    std::fs::write(h.dir.path().join("page.html"), "<p>bye</p>").unwrap();
    let plan = h.plan(t, Some(&state), &v2).await;
    assert_ne!(get(&plan.planned_state, "etag"), get(&state, "etag"));
    let state = h.update(t, &state, &v2).await;

    // Drift: overwritten out of band.
    put_object(&h, &bucket, "a/hello.txt", b"other").await;
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
    let list = s3_call(&h, "GET", &bucket, None).query("list-type", "2");
    let listed = document(&send(&h, list).await.unwrap());
    assert_eq!(
        listed.text_at(&["KeyCount"]).as_deref(),
        Some("0"),
        "no object left"
    );
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

/// A bucket's canned ACL: private by default, set at creation and changed
/// in place, read back from the grants (so a change made outside Nimbus is
/// drift), and an unknown ACL refused at plan.
#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_acl() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "s3-bucket";
    let name = unique("nimbus-acl");
    let private = h.config(t, &[("bucket-name", s(&name))]);
    let created = h.create(t, &private).await;
    assert_eq!(get_str(&created, "acl"), "private");
    let state = h.assert_no_changes(t, &created, &private).await;

    let public = h.config(t, &[("bucket-name", s(&name)), ("acl", s("public-read"))]);
    let state = h.update(t, &state, &public).await;
    assert_eq!(get_str(&state, "acl"), "public-read");
    let acl = send(&h, s3_call(&h, "GET", &name, None).query("acl", ""))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&acl.body).to_string();
    assert!(text.contains("AllUsers"), "{text}");
    let state = h.assert_no_changes(t, &state, &public).await;

    // Changed outside Nimbus: seen as drift, put back by an update.
    send(
        &h,
        s3_call(&h, "PUT", &name, None)
            .query("acl", "")
            .header("x-amz-acl", "authenticated-read"),
    )
    .await
    .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get_str(&drifted, "acl"), "authenticated-read");
    let state = h.update(t, &drifted, &private).await;
    assert_eq!(get_str(&state, "acl"), "private");

    // A grant no canned ACL names is never taken for private: full
    // control for everyone reads as the most public canned ACL.
    send(
        &h,
        s3_call(&h, "PUT", &name, None).query("acl", "").header(
            "x-amz-grant-full-control",
            "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
        ),
    )
    .await
    .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get_str(&drifted, "acl"), "public-read-write");
    let state = h.update(t, &drifted, &private).await;

    let err = h
        .try_plan(
            t,
            None,
            &h.config(t, &[("bucket-name", s(&name)), ("acl", s("public"))]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("acl"));
    h.destroy(t, &state).await;
}
