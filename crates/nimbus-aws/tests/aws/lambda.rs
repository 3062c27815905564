use crate::common::*;
use nimbus_aws::wire::{Call, IAM, LAMBDA, Params};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::{ApplyRequest, Provider};
use serde_json::json;

async fn function_exists(h: &Harness, name: &str) -> bool {
    h.clients
        .wire
        .rest_json(
            &LAMBDA,
            Call::new("GET", &["2015-03-31", "functions", name]),
        )
        .await
        .is_ok()
}

async fn role(h: &Harness) -> Value {
    let config = h.config(
        "iam-role",
        &[
            ("name", s(&unique("nimbus-fn-role"))),
            ("assume-role-policy", lambda_trust()),
        ],
    );
    h.create("iam-role", &config).await
}

fn write_code(h: &Harness, dir: &str, body: &str) {
    let path = h.dir.path().join(dir);
    std::fs::create_dir_all(path.join("lib")).unwrap();
    std::fs::write(
        path.join("index.py"),
        format!("def handler(event, context):\n    return {body:?}\n"),
    )
    .unwrap();
    std::fs::write(path.join("lib/util.py"), "X = 1\n").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let role = role(&h).await;
    let role_arn = get(&role, "arn").clone();
    write_code(&h, "fn", "v1");
    let t = "lambda";
    let name = unique("nimbus-fn");
    let base = |extra: &[(&str, Value)]| {
        let mut pairs = vec![
            ("function-name", s(&name)),
            ("runtime", s("python3.12")),
            ("handler", s("index.handler")),
            ("role", role_arn.clone()),
            ("code-uri", s("fn")),
        ];
        pairs.extend(extra.iter().cloned());
        h.config(t, &pairs)
    };
    let v1 = base(&[("environment", string_map(&[("BUCKET", "b1")]))]);
    let plan = h.plan(t, None, &v1).await;
    let hash = get_str(&plan.planned_state, "source-hash").to_string();
    assert_eq!(hash.len(), 44, "source-hash known at plan time");
    let created = h.create(t, &v1).await;
    assert_eq!(
        get_str(&created, "source-hash"),
        hash,
        "Lambda's CodeSha256 is the planned hash"
    );
    let arn = get_str(&created, "arn").to_string();
    assert!(get_str(&created, "invoke-arn").ends_with(&format!("functions/{arn}/invocations")));
    let state = h.assert_no_changes(t, &created, &v1).await;

    // Touching the files (new timestamps, same content) plans no change.
    write_code(&h, "fn", "v1");
    let state = h.assert_no_changes(t, &state, &v1).await;

    // In place: configuration and code.
    let v2 = base(&[
        ("environment", string_map(&[("BUCKET", "b2")])),
        ("memory-size", Value::int(256)),
        ("timeout", Value::int(10)),
        ("tags", string_map(&[("env", "test")])),
    ]);
    let state = h.update(t, &state, &v2).await;
    assert_eq!(get(&state, "memory-size"), &Value::int(256));
    write_code(&h, "fn", "v2");
    let plan = h.plan(t, Some(&state), &v2).await;
    assert_ne!(
        get(&plan.planned_state, "source-hash"),
        get(&state, "source-hash")
    );
    let state = h.update(t, &state, &v2).await;
    let state = h.assert_no_changes(t, &state, &v2).await;

    // Drift: configuration changed out of band.
    h.clients
        .wire
        .rest_json(
            &LAMBDA,
            Call::new("PUT", &["2015-03-31", "functions", &name, "configuration"])
                .json_body(&json!({ "Timeout": 60 })),
        )
        .await
        .unwrap();
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "timeout"), &Value::int(60));
    let state = h.update(t, &drifted, &v2).await;

    // Import: everything but code-uri (a local path AWS does not know).
    h.import_matches(t, &name, &state, &v2, &["code-uri"]).await;

    // Force-new: the name.
    let name2 = unique("nimbus-fn");
    let mut v3 = v2.clone();
    if let Value::Map(m) = &mut v3 {
        m.insert("function-name".into(), s(&name2));
    }
    let replaced = h.replace(t, &state, &v3, "function-name").await;
    assert!(!function_exists(&h, &name).await);
    h.destroy(t, &replaced).await;
    assert!(!function_exists(&h, &name2).await);
    h.destroy("iam-role", &role).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_create_waits_for_a_new_role() {
    let Some(h) = Harness::new().await else {
        return;
    };
    write_code(&h, "fn", "wait");
    let role_name = unique("nimbus-late-role");
    let account = h.clients.account_id().await.unwrap();
    let role_arn = format!("arn:aws:iam::{account}:role/{role_name}");
    let name = unique("nimbus-fn-wait");
    let config = h.config(
        "lambda",
        &[
            ("function-name", s(&name)),
            ("runtime", s("python3.12")),
            ("handler", s("index.handler")),
            ("role", s(&role_arn)),
            ("code-uri", s("fn")),
        ],
    );
    let plan = h.plan("lambda", None, &config).await;
    // The role appears a moment after the create starts, as when IAM is
    // still propagating it.
    let clients = h.clients.clone();
    let late = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        clients
            .wire
            .query(
                &IAM,
                "CreateRole",
                Params::new()
                    .set("RoleName", &role_name)
                    .set("AssumeRolePolicyDocument", lambda_trust().as_str().unwrap()),
            )
            .await
            .unwrap();
        role_name
    });
    let created = h
        .provider
        .create(ApplyRequest {
            type_name: "lambda",
            prior_state: None,
            planned_state: &plan.planned_state,
            config: &config,
            private: &[],
        })
        .await;
    let role_name = late.await.unwrap();
    let created = created
        .expect("create retries until the role can be assumed")
        .new_state;
    assert_eq!(get_str(&created, "role"), role_arn);
    h.destroy("lambda", &created).await;
    h.clients
        .wire
        .query(
            &IAM,
            "DeleteRole",
            Params::new().set("RoleName", &role_name),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_permission_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let role = role(&h).await;
    write_code(&h, "fn", "perm");
    let name = unique("nimbus-fn-perm");
    let f = h
        .create(
            "lambda",
            &h.config(
                "lambda",
                &[
                    ("function-name", s(&name)),
                    ("runtime", s("python3.12")),
                    ("handler", s("index.handler")),
                    ("role", get(&role, "arn").clone()),
                    ("code-uri", s("fn")),
                ],
            ),
        )
        .await;
    let t = "lambda-permission";
    let v1 = h.config(
        t,
        &[
            ("function-name", s(&name)),
            ("statement-id", s("apigw")),
            ("principal", s("apigateway.amazonaws.com")),
        ],
    );
    let created = h.create(t, &v1).await;
    assert_eq!(get_str(&created, "id"), format!("{name}/apigw"));
    let state = h.assert_no_changes(t, &created, &v1).await;
    // Every attribute is force-new.
    let v2 = h.config(
        t,
        &[
            ("function-name", s(&name)),
            ("statement-id", s("apigw")),
            ("principal", s("apigateway.amazonaws.com")),
            (
                "source-arn",
                s("arn:aws:execute-api:us-east-1:123456789012:abc/*/*"),
            ),
        ],
    );
    let state = h.replace(t, &state, &v2, "source-arn").await;
    h.import_matches(t, &format!("{name}/apigw"), &state, &v2, &[])
        .await;
    h.destroy(t, &state).await;
    h.destroy("lambda", &f).await;
    h.destroy("iam-role", &role).await;
}
