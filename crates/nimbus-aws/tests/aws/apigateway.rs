use crate::common::*;
use nimbus_aws::wire::{APIGATEWAY, Call};
use nimbus_provider::nimbus_value::Value;
use serde_json::{Value as Json, json};

/// An API Gateway call straight to the emulator, in plain JSON.
async fn apigateway(h: &Harness, call: Call) -> Json {
    h.clients
        .wire
        .rest_json(&APIGATEWAY, call.header("accept", "application/json"))
        .await
        .unwrap()
}

/// A PATCH replacing `path` with `value`.
fn patch(path: &[&str], op_path: &str, value: &str) -> Call {
    Call::new("PATCH", path).json_body(&json!({
        "patchOperations": [{ "op": "replace", "path": op_path, "value": value }]
    }))
}

/// The elements of a collection answer.
fn items(page: &Json) -> Vec<Json> {
    page["item"].as_array().cloned().unwrap_or_default()
}

async fn api_exists(h: &Harness, id: &str) -> bool {
    let apis = apigateway(h, Call::new("GET", &["restapis"]).query("limit", "500")).await;
    items(&apis).iter().any(|a| a["id"].as_str() == Some(id))
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_api_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let t = "api-gateway-rest-api";
    let name = unique("nimbus-api");
    let v1 = h.config(t, &[("name", s(&name)), ("endpoint-type", s("REGIONAL"))]);
    let created = h.create(t, &v1).await;
    let id = get_str(&created, "id").to_string();
    assert!(api_exists(&h, &id).await);
    assert!(!get_str(&created, "root-resource-id").is_empty());
    assert!(get_str(&created, "execution-arn").ends_with(&format!(":{id}")));
    let state = h.assert_no_changes(t, &created, &v1).await;

    let v2 = h.config(
        t,
        &[
            ("name", s(&format!("{name}-2"))),
            ("endpoint-type", s("REGIONAL")),
            ("description", s("front door")),
        ],
    );
    let state = h.update(t, &state, &v2).await;
    let state = h.assert_no_changes(t, &state, &v2).await;

    apigateway(&h, patch(&["restapis", &id], "/description", "changed")).await;
    let drifted = h.read(t, &state).await.unwrap();
    assert_eq!(get(&drifted, "description"), &s("changed"));
    let state = h.update(t, &drifted, &v2).await;

    h.import_matches(t, &id, &state, &v2, &[]).await;

    let v3 = h.config(t, &[("name", s(&name)), ("endpoint-type", s("EDGE"))]);
    let replaced = h.replace(t, &state, &v3, "endpoint-type").await;
    assert!(!api_exists(&h, &id).await);
    h.destroy(t, &replaced).await;
    assert!(!api_exists(&h, get_str(&replaced, "id")).await);
}

/// Resource, method, integration, deployment and stage, in one API.
#[tokio::test(flavor = "multi_thread")]
async fn rest_api_parts_lifecycle() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let api = h
        .create(
            "api-gateway-rest-api",
            &h.config(
                "api-gateway-rest-api",
                &[("name", s(&unique("nimbus-parts")))],
            ),
        )
        .await;
    let api_id = get(&api, "id").clone();
    let root = get(&api, "root-resource-id").clone();

    // Resource.
    let t = "api-gateway-resource";
    let v1 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("parent-id", root.clone()),
            ("path-part", s("items")),
        ],
    );
    let resource = h.create(t, &v1).await;
    assert_eq!(get(&resource, "path"), &s("/items"));
    let resource = h.assert_no_changes(t, &resource, &v1).await;
    let moto = h.is_moto().await;
    let v2 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("parent-id", root.clone()),
            ("path-part", s("things")),
        ],
    );
    let resource_id = get_str(&resource, "resource-id").to_string();
    let resource = if moto {
        not_on_emulator("UpdateResource (in-place change of `path-part`, drift repair)");
        // Drift all the same: the resource deleted out of band is gone.
        let plan = h.plan(t, Some(&resource), &v2).await;
        assert!(
            plan.requires_replace.is_empty(),
            "a new path-part is an update in place"
        );
        assert!(get(&plan.planned_state, "path").is_unknown());
        apigateway(
            &h,
            Call::new(
                "DELETE",
                &[
                    "restapis",
                    api_id.as_str().unwrap(),
                    "resources",
                    &resource_id,
                ],
            ),
        )
        .await;
        assert!(
            h.read(t, &resource).await.is_none(),
            "deleted out of band: read says it is gone"
        );
        h.create(t, &v1).await
    } else {
        let resource = h.update(t, &resource, &v2).await;
        assert_eq!(get(&resource, "path"), &s("/things"));
        let resource = h.assert_no_changes(t, &resource, &v2).await;
        apigateway(
            &h,
            patch(
                &[
                    "restapis",
                    api_id.as_str().unwrap(),
                    "resources",
                    &resource_id,
                ],
                "/pathPart",
                "moved",
            ),
        )
        .await;
        let drifted = h.read(t, &resource).await.unwrap();
        assert_eq!(get(&drifted, "path-part"), &s("moved"));
        h.update(t, &drifted, &v2).await
    };
    let v_now = if moto { v1.clone() } else { v2.clone() };
    h.import_matches(t, get_str(&resource, "id"), &resource, &v_now, &[])
        .await;
    let res_id = get(&resource, "resource-id").clone();

    // Method.
    let t = "api-gateway-method";
    let m1 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("resource-id", res_id.clone()),
            ("http-method", s("GET")),
        ],
    );
    let method = h.create(t, &m1).await;
    let method = h.assert_no_changes(t, &method, &m1).await;
    let m2 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("resource-id", res_id.clone()),
            ("http-method", s("GET")),
            ("api-key-required", Value::Bool(true)),
        ],
    );
    let method_path = [
        "restapis",
        api_id.as_str().unwrap(),
        "resources",
        res_id.as_str().unwrap(),
        "methods",
        "GET",
    ];
    let method = if moto {
        not_on_emulator("UpdateMethod (in-place change of `api-key-required`)");
        let plan = h.plan(t, Some(&method), &m2).await;
        assert!(
            plan.requires_replace.is_empty(),
            "api-key-required is changed in place"
        );
        // Drift: the method put again out of band with another setting.
        apigateway(
            &h,
            Call::new("PUT", &method_path).json_body(&json!({
                "authorizationType": "NONE",
                "apiKeyRequired": true,
            })),
        )
        .await;
        let drifted = h.read(t, &method).await.unwrap();
        assert_eq!(get(&drifted, "api-key-required"), &Value::Bool(true));
        h.assert_no_changes(t, &drifted, &m2).await
    } else {
        let method = h.update(t, &method, &m2).await;
        let method = h.assert_no_changes(t, &method, &m2).await;
        apigateway(&h, patch(&method_path, "/apiKeyRequired", "false")).await;
        let drifted = h.read(t, &method).await.unwrap();
        assert_eq!(get(&drifted, "api-key-required"), &Value::Bool(false));
        h.update(t, &drifted, &m2).await
    };
    h.import_matches(t, get_str(&method, "id"), &method, &m2, &[])
        .await;
    let m3 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("resource-id", res_id.clone()),
            ("http-method", s("POST")),
        ],
    );
    let method = h.replace(t, &method, &m3, "http-method").await;

    // Integration (a mock, then an HTTP backend).
    let t = "api-gateway-integration";
    let i1 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("resource-id", res_id.clone()),
            ("http-method", s("POST")),
            ("type", s("MOCK")),
        ],
    );
    let integration = h.create(t, &i1).await;
    let integration = h.assert_no_changes(t, &integration, &i1).await;
    let i2 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("resource-id", res_id.clone()),
            ("http-method", s("POST")),
            ("type", s("HTTP_PROXY")),
            ("integration-http-method", s("POST")),
            ("uri", s("https://example.com/hook")),
        ],
    );
    let integration = h.update(t, &integration, &i2).await;
    let integration = h.assert_no_changes(t, &integration, &i2).await;
    apigateway(
        &h,
        Call::new(
            "PUT",
            &[
                "restapis",
                api_id.as_str().unwrap(),
                "resources",
                res_id.as_str().unwrap(),
                "methods",
                "POST",
                "integration",
            ],
        )
        .json_body(&json!({ "type": "MOCK" })),
    )
    .await;
    let drifted = h.read(t, &integration).await.unwrap();
    assert_eq!(get(&drifted, "type"), &s("MOCK"));
    let integration = h.update(t, &drifted, &i2).await;
    h.import_matches(t, get_str(&integration, "id"), &integration, &i2, &[])
        .await;

    // Deployment (immutable: only replaced).
    let t = "api-gateway-deployment";
    let d1 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("triggers", string_map(&[("v", "1")])),
        ],
    );
    let deployment = h.create(t, &d1).await;
    let deployment = h.assert_no_changes(t, &deployment, &d1).await;
    // AWS does not store `triggers`: an imported deployment has none.
    let d0 = h.config(t, &[("rest-api-id", api_id.clone())]);
    h.import_matches(
        t,
        get_str(&deployment, "id"),
        &deployment,
        &d0,
        &["triggers"],
    )
    .await;
    let d2 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("triggers", string_map(&[("v", "2")])),
        ],
    );
    let plan = h.plan(t, Some(&deployment), &d2).await;
    assert_eq!(plan.requires_replace, vec!["triggers".to_string()]);
    let deployment2 = h.create(t, &d2).await; // create before destroy: a stage moves over

    // Stage.
    let t = "api-gateway-stage";
    let s1 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("stage-name", s("prod")),
            ("deployment-id", get(&deployment, "deployment-id").clone()),
        ],
    );
    let stage = h.create(t, &s1).await;
    assert!(get_str(&stage, "invoke-url").contains("/prod"));
    let stage = h.assert_no_changes(t, &stage, &s1).await;
    let s2 = h.config(
        t,
        &[
            ("rest-api-id", api_id.clone()),
            ("stage-name", s("prod")),
            ("deployment-id", get(&deployment2, "deployment-id").clone()),
            ("variables", string_map(&[("color", "blue")])),
            ("description", s("production")),
        ],
    );
    let stage = h.update(t, &stage, &s2).await;
    let stage = h.assert_no_changes(t, &stage, &s2).await;
    apigateway(
        &h,
        patch(
            &["restapis", api_id.as_str().unwrap(), "stages", "prod"],
            "/description",
            "tampered",
        ),
    )
    .await;
    let drifted = h.read(t, &stage).await.unwrap();
    assert_eq!(get(&drifted, "description"), &s("tampered"));
    let stage = h.update(t, &drifted, &s2).await;
    h.import_matches(
        t,
        &format!("{}/prod", api_id.as_str().unwrap()),
        &stage,
        &s2,
        &[],
    )
    .await;
    let mut s3 = s2.clone();
    if let Value::Map(m) = &mut s3 {
        m.insert("stage-name".into(), s("v2"));
    }
    let stage = h.replace(t, &stage, &s3, "stage-name").await;

    // Destroy in reverse order; the old deployment first (no stage on it).
    h.destroy("api-gateway-deployment", &deployment).await;
    h.destroy("api-gateway-stage", &stage).await;
    h.destroy("api-gateway-deployment", &deployment2).await;
    h.destroy("api-gateway-integration", &integration).await;
    h.destroy("api-gateway-method", &method).await;
    h.destroy("api-gateway-resource", &resource).await;
    let resources = apigateway(
        &h,
        Call::new("GET", &["restapis", api_id.as_str().unwrap(), "resources"]),
    )
    .await;
    assert_eq!(items(&resources).len(), 1, "only the root resource is left");
    h.destroy("api-gateway-rest-api", &api).await;
}
