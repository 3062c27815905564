use crate::common::*;
use nimbus_provider::nimbus_value::Value;

async fn role_exists(h: &Harness, name: &str) -> bool {
    let roles = h
        .clients
        .iam
        .list_roles()
        .max_items(1000)
        .send()
        .await
        .unwrap();
    roles.roles().iter().any(|r| r.role_name() == name)
}

async fn policy_exists(h: &Harness, arn: &str) -> bool {
    let policies = h
        .clients
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .max_items(1000)
        .send()
        .await
        .unwrap();
    policies.policies().iter().any(|p| p.arn() == Some(arn))
}

fn document(action: &str) -> Value {
    s(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_policy_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "iam-policy";
    let name = unique("nimbus-policy");
    let v1 = h.config(
        t,
        &[("name", s(&name)), ("policy", document("s3:GetObject"))],
    );
    let created = h.create(t, &v1).await;
    let arn = get_str(&created, "arn").to_string();
    assert!(arn.starts_with("arn:aws:iam::") && arn.ends_with(&format!(":policy/{name}")));
    let state = h.assert_no_changes(t, &created, &v1).await;

    // In place: a new version, several times (IAM keeps five).
    let mut state = state;
    for action in [
        "s3:PutObject",
        "s3:ListBucket",
        "s3:DeleteObject",
        "sqs:SendMessage",
        "sns:Publish",
    ] {
        let v = h.config(
            t,
            &[
                ("name", s(&name)),
                ("policy", document(action)),
                ("tags", string_map(&[("a", action)])),
            ],
        );
        state = h.update(t, &state, &v).await;
    }
    let v2 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("policy", document("sns:Publish")),
            ("tags", string_map(&[("a", "sns:Publish")])),
        ],
    );
    let state = h.assert_no_changes(t, &state, &v2).await;
    let versions = h
        .clients
        .iam
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(versions.versions().len() <= 5);

    // Drift: a new default version out of band (after making room: IAM
    // keeps five).
    for v in versions
        .versions()
        .iter()
        .filter(|v| !v.is_default_version())
    {
        h.clients
            .iam
            .delete_policy_version()
            .policy_arn(&arn)
            .version_id(v.version_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    h.clients
        .iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(document("ec2:*").as_str().unwrap())
        .set_as_default(true)
        .send()
        .await
        .unwrap_or_else(|_| panic!("out-of-band version"));
    let drifted = h.read(t, &state).await.unwrap();
    assert!(get_str(&drifted, "policy").contains("ec2:*"));
    let state = h.update(t, &drifted, &v2).await;

    h.import_matches(t, &arn, &state, &v2, &[]).await;

    // Force-new: the description cannot change in place.
    let v3 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("policy", document("sns:Publish")),
            ("description", s("managed by nimbus")),
        ],
    );
    let replaced = h.replace(t, &state, &v3, "description").await;
    assert_eq!(get(&replaced, "description"), &s("managed by nimbus"));
    h.destroy(t, &replaced).await;
    assert!(!policy_exists(&h, &arn).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_role_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let policy = h
        .create(
            "iam-policy",
            &h.config(
                "iam-policy",
                &[
                    ("name", s(&unique("nimbus-managed"))),
                    ("policy", document("s3:*")),
                ],
            ),
        )
        .await;
    let policy_arn = get(&policy, "arn").clone();
    let t = "iam-role";
    let name = unique("nimbus-role");
    // The trust policy as a map, the inline policy as JSON text.
    let trust = Value::from_json(&serde_json::from_str(lambda_trust().as_str().unwrap()).unwrap());
    let v1 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("assume-role-policy", trust.clone()),
            ("inline-policies", obj(&[("logs", document("logs:*"))])),
            ("tags", string_map(&[("env", "test")])),
        ],
    );
    let created = h.create(t, &v1).await;
    assert_eq!(
        get_str(&created, "arn"),
        format!(
            "arn:aws:iam::{}:role/{name}",
            h.clients.account_id().await.unwrap()
        )
    );
    assert_eq!(
        get(&created, "assume-role-policy"),
        &trust,
        "the map form is kept"
    );
    let state = h.assert_no_changes(t, &created, &v1).await;

    // The same trust policy spelt as JSON text is no change.
    let mut as_text = v1.clone();
    if let Value::Map(m) = &mut as_text {
        m.insert("assume-role-policy".into(), lambda_trust());
    }
    h.assert_no_changes(t, &state, &as_text).await;

    // In place: description, managed policy, another inline policy, tags.
    let v2 = h.config(
        t,
        &[
            ("name", s(&name)),
            ("assume-role-policy", trust.clone()),
            ("description", s("runs the function")),
            (
                "inline-policies",
                obj(&[("logs", document("logs:*")), ("queue", document("sqs:*"))]),
            ),
            ("managed-policy-arns", Value::List(vec![policy_arn.clone()])),
            ("tags", string_map(&[("env", "prod")])),
            ("max-session-duration", Value::int(7200)),
        ],
    );
    let state = h.update(t, &state, &v2).await;
    let attached = h
        .clients
        .iam
        .list_attached_role_policies()
        .role_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    let state = h.assert_no_changes(t, &state, &v2).await;

    // Drift: an inline policy removed and a tag added out of band.
    h.clients
        .iam
        .delete_role_policy()
        .role_name(&name)
        .policy_name("queue")
        .send()
        .await
        .unwrap();
    h.clients
        .iam
        .tag_role()
        .role_name(&name)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("extra")
                .value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "inline-policies").as_map().unwrap().len(), 1);
    assert_eq!(
        get(&drifted, "tags"),
        &string_map(&[("env", "prod"), ("extra", "1")])
    );
    let state = h.update(t, &drifted, &v2).await;

    h.import_matches(
        t,
        &name,
        &state,
        &v2,
        &["assume-role-policy", "inline-policies"],
    )
    .await;

    // Force-new: the path.
    let mut v3 = v2.clone();
    if let Value::Map(m) = &mut v3 {
        m.insert("path".into(), s("/service/"));
    }
    let replaced = h.replace(t, &state, &v3, "path").await;
    assert_eq!(get(&replaced, "path"), &s("/service/"));
    // Delete detaches and removes policies first.
    h.destroy(t, &replaced).await;
    assert!(!role_exists(&h, &name).await);
    h.destroy("iam-policy", &policy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_documents_are_reported_on_the_attribute() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let config = h.config(
        "iam-role",
        &[("name", s("r")), ("assume-role-policy", s("{not json"))],
    );
    let err = h.try_plan("iam-role", None, &config).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("assume-role-policy"));
    let config = h.config(
        "iam-role",
        &[
            ("name", s("bad name!")),
            ("assume-role-policy", lambda_trust()),
        ],
    );
    let err = h.try_plan("iam-role", None, &config).await.unwrap_err();
    assert_eq!(err.attribute.as_deref(), Some("name"));
}
