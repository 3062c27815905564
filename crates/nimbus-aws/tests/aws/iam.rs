use crate::common::*;
use nimbus_aws::wire::xml::Element;
use nimbus_aws::wire::{IAM, Params};
use nimbus_provider::nimbus_value::Value;

/// One IAM call out of band; the answer's `<Action>Result`.
async fn iam(h: &Harness, action: &str, params: Params) -> Element {
    let answer = h
        .clients
        .wire
        .query(&IAM, action, params)
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"));
    answer
        .child(&format!("{action}Result"))
        .cloned()
        .unwrap_or_default()
}

async fn role_exists(h: &Harness, name: &str) -> bool {
    let roles = iam(h, "ListRoles", Params::new().set("MaxItems", "1000")).await;
    roles
        .members(&["Roles"])
        .iter()
        .any(|r| r.text_at(&["RoleName"]).as_deref() == Some(name))
}

async fn policy_exists(h: &Harness, arn: &str) -> bool {
    let policies = iam(
        h,
        "ListPolicies",
        Params::new().set("Scope", "Local").set("MaxItems", "1000"),
    )
    .await;
    policies
        .members(&["Policies"])
        .iter()
        .any(|p| p.text_at(&["Arn"]).as_deref() == Some(arn))
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
    let versions = iam(
        &h,
        "ListPolicyVersions",
        Params::new().set("PolicyArn", &arn),
    )
    .await;
    let versions = versions.members(&["Versions"]);
    assert!(versions.len() <= 5);

    // Drift: a new default version out of band (after making room: IAM
    // keeps five).
    for v in versions
        .iter()
        .filter(|v| v.text_at(&["IsDefaultVersion"]).as_deref() != Some("true"))
    {
        iam(
            &h,
            "DeletePolicyVersion",
            Params::new()
                .set("PolicyArn", &arn)
                .set("VersionId", v.text_at(&["VersionId"]).unwrap()),
        )
        .await;
    }
    iam(
        &h,
        "CreatePolicyVersion",
        Params::new()
            .set("PolicyArn", &arn)
            .set("PolicyDocument", document("ec2:*").as_str().unwrap())
            .set("SetAsDefault", "true"),
    )
    .await;
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
    let attached = iam(
        &h,
        "ListAttachedRolePolicies",
        Params::new().set("RoleName", &name),
    )
    .await;
    assert_eq!(attached.members(&["AttachedPolicies"]).len(), 1);
    let state = h.assert_no_changes(t, &state, &v2).await;

    // Drift: an inline policy removed and a tag added out of band.
    iam(
        &h,
        "DeleteRolePolicy",
        Params::new()
            .set("RoleName", &name)
            .set("PolicyName", "queue"),
    )
    .await;
    iam(
        &h,
        "TagRole",
        Params::new()
            .set("RoleName", &name)
            .set("Tags.member.1.Key", "extra")
            .set("Tags.member.1.Value", "1"),
    )
    .await;
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
