//! API Gateway (REST APIs, v1): `api-gateway-rest-api`, `-resource`,
//! `-method`, `-integration`, `-deployment`, `-stage`.

use crate::clients::Clients;
use crate::error::AwsResult;
use crate::resource::{PlanContext, ResourceType};
use crate::util::json_string_map;
use crate::util::{
    Object, attr, bool_or, map_value, normalize, opt_str, req_str, str_value, string_map, tag_diff,
};
use crate::wire::{APIGATEWAY, Call, CallError};
use async_trait::async_trait;
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use serde_json::{Value as Json, json};

pub(crate) const INTEGRATION_TYPES: &[&str] = &["AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK"];
pub(crate) const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// Sends one API Gateway call, asking for plain JSON (API Gateway answers
/// HAL unless asked otherwise).
async fn call(c: &Clients, call: Call) -> Result<Json, CallError> {
    c.wire
        .rest_json(&APIGATEWAY, call.header("accept", "application/json"))
        .await
}

/// A PATCH of `path` with `ops`.
async fn patch(c: &Clients, path: &[&str], ops: Vec<Json>) -> Result<Json, CallError> {
    call(
        c,
        Call::new("PATCH", path).json_body(&json!({ "patchOperations": ops })),
    )
    .await
}

/// Puts `value` in `body` under `key` when there is one.
fn set_opt(body: &mut Json, key: &str, value: Option<impl Into<Json>>) {
    if let Some(value) = value {
        body[key] = value.into();
    }
}

fn replace(path: &str, value: impl Into<String>) -> Json {
    json!({ "op": "replace", "path": path, "value": value.into() })
}

fn remove(path: &str) -> Json {
    json!({ "op": "remove", "path": path })
}

/// The elements of a collection answer (`item` in the JSON, `items` in
/// the API's documentation).
fn items(page: &Json) -> impl Iterator<Item = &Json> {
    page["item"].as_array().into_iter().flatten()
}

fn rest_api_attr() -> A {
    A::required(Type::String)
        .force_new()
        .describe("Id of the REST API (`(ref api-gateway-rest-api NAME \"id\")`).")
}

fn split_id<'a, const N: usize>(
    type_name: &str,
    id: &'a str,
    shape: &str,
) -> Result<[&'a str; N], ProviderError> {
    let parts: Vec<&str> = id.split('/').collect();
    match <[&str; N]>::try_from(parts) {
        Ok(parts) if parts.iter().all(|p| !p.is_empty()) => Ok(parts),
        _ => Err(ProviderError::fatal(format!(
            "cannot import {type_name} {id:?}: the id is {shape}"
        ))),
    }
}

// ---------------------------------------------------- api-gateway-rest-api

pub(crate) struct RestApi;

impl RestApi {
    async fn observe(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading REST API {id}");
        let Some(api) = call(c, Call::new("GET", &["restapis", id]))
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let root = match api["rootResourceId"].as_str() {
            Some(r) => r.to_string(),
            None => {
                let resources = call(
                    c,
                    Call::new("GET", &["restapis", id, "resources"]).query("limit", "500"),
                )
                .await
                .aws(&doing)?;
                items(&resources)
                    .find(|r| r["path"].as_str() == Some("/"))
                    .and_then(|r| r["id"].as_str())
                    .ok_or_else(|| crate::error::missing("root resource"))?
                    .to_string()
            }
        };
        let tags = json_string_map(&api["tags"]);
        let endpoint_type = api["endpointConfiguration"]["types"][0].as_str();
        let account = c.account_id().await?;
        let mut o = Object::new();
        o.insert("id".into(), Value::string(id));
        o.insert("name".into(), str_value(api["name"].as_str()));
        o.insert(
            "description".into(),
            str_value(api["description"].as_str().filter(|d| !d.is_empty())),
        );
        o.insert("endpoint-type".into(), str_value(endpoint_type));
        o.insert("root-resource-id".into(), Value::string(root));
        o.insert(
            "arn".into(),
            Value::string(format!(
                "arn:{}:apigateway:{}::/restapis/{id}",
                c.partition, c.region
            )),
        );
        o.insert(
            "execution-arn".into(),
            Value::string(format!(
                "arn:{}:execute-api:{}:{account}:{id}",
                c.partition, c.region
            )),
        );
        o.insert("tags".into(), map_value(tags));
        Ok(Some(Value::Map(normalize(&RestApi.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for RestApi {
    fn name(&self) -> &'static str {
        "api-gateway-rest-api"
    }

    fn schema(&self) -> Schema {
        Schema::new("An API Gateway REST API (v1). Import with its id.")
            .attr("name", A::required(Type::String).describe("Name of the API; changed in place."))
            .attr("description", A::optional(Type::String).describe("Description; changed in place."))
            .attr(
                "endpoint-type",
                A::optional_computed(Type::String)
                    .force_new()
                    .describe("\"REGIONAL\", \"EDGE\" or \"PRIVATE\"; unset: API Gateway's default (EDGE). Changing it replaces the API."),
            )
            .attr("tags", A::optional(Type::map(Type::String)).describe("Tags of the API; changed in place."))
            .attr("root-resource-id", A::computed(Type::String).describe("Id of the root resource `/`, the parent of top-level resources."))
            .attr("arn", A::computed(Type::String).describe("ARN of the API (arn:aws:apigateway:REGION::/restapis/ID)."))
            .attr(
                "execution-arn",
                A::computed(Type::String).describe("ARN for invoking the API, to use in `lambda-permission`'s `source-arn` (with \"/*/*\")."),
            )
            .attr("id", A::computed(Type::String).describe("Id of the API (the import id)."))
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        match attr(config, "endpoint-type").as_str() {
            Some(t) if !["REGIONAL", "EDGE", "PRIVATE"].contains(&t) => vec![
                ProviderError::fatal(format!(
                    "`endpoint-type` is REGIONAL, EDGE or PRIVATE, found {t:?}"
                ))
                .on_attribute("endpoint-type"),
            ],
            _ => Vec::new(),
        }
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "name")?;
        let tags = string_map(planned, "tags")?;
        // Ids are made by AWS: resent, the call would make a second API.
        let mut creation = c.creation(self.name(), planned);
        let id = match creation.made() {
            Some(id) => id.to_string(),
            None => {
                let mut body = json!({ "name": name });
                set_opt(&mut body, "description", opt_str(planned, "description")?);
                set_opt(
                    &mut body,
                    "endpointConfiguration",
                    opt_str(planned, "endpoint-type")?.map(|t| json!({ "types": [t] })),
                );
                if !tags.is_empty() {
                    body["tags"] = json!(tags);
                }
                let out = call(c, Call::new("POST", &["restapis"]).json_body(&body))
                    .await
                    .aws_on(&format!("creating REST API {name}"), "name")?;
                let id = out["id"]
                    .as_str()
                    .ok_or_else(|| crate::error::missing("REST API id"))?
                    .to_string();
                creation.record(&id);
                id
            }
        };
        let state = RestApi::observe(c, &id).await?.ok_or_else(|| {
            ProviderError::retryable(format!(
                "REST API {id} is not visible yet after creating it"
            ))
        })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        RestApi::observe(c, &req_str(state, "id")?).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = req_str(prior, "id")?;
        let mut ops = Vec::new();
        if attr(prior, "name") != attr(planned, "name") {
            ops.push(replace("/name", req_str(planned, "name")?));
        }
        if attr(prior, "description") != attr(planned, "description") {
            ops.push(replace(
                "/description",
                opt_str(planned, "description")?.unwrap_or_default(),
            ));
        }
        if !ops.is_empty() {
            patch(c, &["restapis", &id], ops)
                .await
                .aws_on(&format!("changing REST API {id}"), "name")?;
        }
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        let arn = req_str(prior, "arn")?;
        if !removed.is_empty() {
            let untag = removed
                .iter()
                .fold(Call::new("DELETE", &["tags", &arn]), |untag, key| {
                    untag.query("tagKeys", key)
                });
            call(c, untag)
                .await
                .aws_on(&format!("untagging REST API {id}"), "tags")?;
        }
        if !set.is_empty() {
            call(
                c,
                Call::new("PUT", &["tags", &arn]).json_body(&json!({ "tags": set })),
            )
            .await
            .aws_on(&format!("tagging REST API {id}"), "tags")?;
        }
        RestApi::observe(c, &id).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "REST API {id} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        // Already gone is fine (and some emulators fail deleting what is gone).
        if self.read(c, state).await?.is_none() {
            return Ok(());
        }
        let id = req_str(state, "id")?;
        call(c, Call::new("DELETE", &["restapis", &id]))
            .await
            .aws_opt(&format!("deleting REST API {id}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        RestApi::observe(c, id).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import api-gateway-rest-api {id:?}: there is no such API"
            ))
        })
    }
}

// ---------------------------------------------------- api-gateway-resource

pub(crate) struct ApiResource;

impl ApiResource {
    async fn observe(c: &Clients, api: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading resource {id} of REST API {api}");
        let Some(r) = call(c, Call::new("GET", &["restapis", api, "resources", id]))
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let mut o = Object::new();
        o.insert("rest-api-id".into(), Value::string(api));
        o.insert("resource-id".into(), Value::string(id));
        o.insert("id".into(), Value::string(format!("{api}/{id}")));
        o.insert("parent-id".into(), str_value(r["parentId"].as_str()));
        o.insert("path-part".into(), str_value(r["pathPart"].as_str()));
        o.insert("path".into(), str_value(r["path"].as_str()));
        Ok(Some(Value::Map(normalize(&ApiResource.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for ApiResource {
    fn name(&self) -> &'static str {
        "api-gateway-resource"
    }

    fn schema(&self) -> Schema {
        Schema::new("A path segment of a REST API, e.g. `items` under `/`. Import with API-ID/RESOURCE-ID.")
            .attr("rest-api-id", rest_api_attr())
            .attr("parent-id", A::required(Type::String).describe("Id of the parent resource (the API's `root-resource-id` for top level). Changed in place."))
            .attr(
                "path-part",
                A::required(Type::String).describe("The segment: a name, `{param}` or `{proxy+}`. Changed in place."),
            )
            .attr("resource-id", A::computed(Type::String).describe("Id of the resource, for methods and children."))
            .attr("path", A::computed(Type::String).describe("Full path, e.g. \"/items/{id}\"."))
            .attr("id", A::computed(Type::String).describe("API-ID/RESOURCE-ID (the import id)."))
    }

    fn plan_more(&self, ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        // The path follows the segment; the parent's path is not known here.
        if let Some(prior) = ctx.prior
            && !ctx.fresh
            && (attr(prior, "path-part") != planned.get("path-part").unwrap_or(&Value::Null)
                || attr(prior, "parent-id") != planned.get("parent-id").unwrap_or(&Value::Null))
        {
            planned.insert("path".into(), Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let api = req_str(planned, "rest-api-id")?;
        let mut creation = c.creation(self.name(), planned);
        let id = match creation.made() {
            Some(id) => id.to_string(),
            None => {
                let parent = req_str(planned, "parent-id")?;
                let out = call(
                    c,
                    Call::new("POST", &["restapis", &api, "resources", &parent])
                        .json_body(&json!({ "pathPart": req_str(planned, "path-part")? })),
                )
                .await
                .aws_on(
                    &format!("creating a resource in REST API {api}"),
                    "path-part",
                )?;
                let id = out["id"]
                    .as_str()
                    .ok_or_else(|| crate::error::missing("resource id"))?
                    .to_string();
                creation.record(&id);
                id
            }
        };
        let state = ApiResource::observe(c, &api, &id).await?.ok_or_else(|| {
            ProviderError::retryable(format!(
                "resource {id} is not visible yet after creating it"
            ))
        })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        ApiResource::observe(
            c,
            &req_str(state, "rest-api-id")?,
            &req_str(state, "resource-id")?,
        )
        .await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let api = req_str(prior, "rest-api-id")?;
        let id = req_str(prior, "resource-id")?;
        let mut ops = Vec::new();
        if attr(prior, "parent-id") != attr(planned, "parent-id") {
            ops.push(replace("/parentId", req_str(planned, "parent-id")?));
        }
        if attr(prior, "path-part") != attr(planned, "path-part") {
            ops.push(replace("/pathPart", req_str(planned, "path-part")?));
        }
        if !ops.is_empty() {
            patch(c, &["restapis", &api, "resources", &id], ops)
                .await
                .aws_on(
                    &format!("changing resource {id} of REST API {api}"),
                    "path-part",
                )?;
        }
        ApiResource::observe(c, &api, &id).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "resource {id} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        // Already gone is fine (and some emulators fail deleting what is gone).
        if self.read(c, state).await?.is_none() {
            return Ok(());
        }
        let api = req_str(state, "rest-api-id")?;
        let id = req_str(state, "resource-id")?;
        call(
            c,
            Call::new("DELETE", &["restapis", &api, "resources", &id]),
        )
        .await
        .aws_opt(&format!("deleting resource {id} of REST API {api}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let [api, resource] = split_id::<2>(self.name(), id, "API-ID/RESOURCE-ID")?;
        ApiResource::observe(c, api, resource)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import api-gateway-resource {id:?}: there is no such resource"
                ))
            })
    }
}

// ------------------------------------------------------ api-gateway-method

pub(crate) struct Method;

fn method_keys(object: &Value) -> Result<(String, String, String), ProviderError> {
    Ok((
        req_str(object, "rest-api-id")?,
        req_str(object, "resource-id")?,
        req_str(object, "http-method")?,
    ))
}

fn check_http_method(config: &Value, name: &str) -> Option<ProviderError> {
    match attr(config, name).as_str() {
        Some(m) if !HTTP_METHODS.contains(&m) => Some(
            ProviderError::fatal(format!(
                "`{name}` is one of {}, found {m:?}",
                HTTP_METHODS.join(", ")
            ))
            .on_attribute(name),
        ),
        _ => None,
    }
}

fn triple_id(planned: &mut Object) {
    let id = match ["rest-api-id", "resource-id", "http-method"]
        .map(|k| planned.get(k).and_then(Value::as_str).map(str::to_string))
    {
        [Some(a), Some(r), Some(m)] => Value::string(format!("{a}/{r}/{m}")),
        _ => Value::Unknown,
    };
    planned.insert("id".into(), id);
}

impl Method {
    async fn observe(
        c: &Clients,
        api: &str,
        resource: &str,
        method: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading method {method} of resource {resource}");
        let Some(m) = call(
            c,
            Call::new(
                "GET",
                &["restapis", api, "resources", resource, "methods", method],
            ),
        )
        .await
        .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let mut o = Object::new();
        o.insert("rest-api-id".into(), Value::string(api));
        o.insert("resource-id".into(), Value::string(resource));
        o.insert("http-method".into(), Value::string(method));
        o.insert(
            "id".into(),
            Value::string(format!("{api}/{resource}/{method}")),
        );
        o.insert(
            "authorization".into(),
            Value::string(m["authorizationType"].as_str().unwrap_or("NONE")),
        );
        o.insert(
            "api-key-required".into(),
            Value::Bool(m["apiKeyRequired"].as_bool().unwrap_or(false)),
        );
        Ok(Some(Value::Map(normalize(&Method.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Method {
    fn name(&self) -> &'static str {
        "api-gateway-method"
    }

    fn schema(&self) -> Schema {
        Schema::new("An HTTP method on a REST API resource. Import with API-ID/RESOURCE-ID/METHOD.")
            .attr("rest-api-id", rest_api_attr())
            .attr("resource-id", A::required(Type::String).force_new().describe("Id of the resource (its `resource-id`)."))
            .attr(
                "http-method",
                A::required(Type::String).force_new().describe(&format!("One of {}.", HTTP_METHODS.join(", "))),
            )
            .attr(
                "authorization",
                A::optional(Type::String).describe("\"NONE\" (default), \"AWS_IAM\", \"CUSTOM\" or \"COGNITO_USER_POOLS\". Changed in place."),
            )
            .attr("api-key-required", A::optional(Type::Bool).describe("Whether callers need an API key. Default false; changed in place."))
            .attr("id", A::computed(Type::String).describe("API-ID/RESOURCE-ID/METHOD (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("authorization", Value::string("NONE")),
            ("api-key-required", Value::Bool(false)),
        ]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        check_http_method(config, "http-method")
            .into_iter()
            .collect()
    }

    fn plan_more(&self, _ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        triple_id(planned);
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let (api, resource, method) = method_keys(planned)?;
        let mut creation = c.creation(self.name(), planned);
        if creation.made().is_none() {
            let body = json!({
                "authorizationType": opt_str(planned, "authorization")?
                    .unwrap_or_else(|| "NONE".into()),
                "apiKeyRequired": bool_or(planned, "api-key-required", false)?,
            });
            call(
                c,
                Call::new(
                    "PUT",
                    &["restapis", &api, "resources", &resource, "methods", &method],
                )
                .json_body(&body),
            )
            .await
            .aws_on(
                &format!("creating method {method} on resource {resource}"),
                "http-method",
            )?;
            creation.record(&method);
        }
        let state = Method::observe(c, &api, &resource, &method)
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "method {method} is not visible yet after creating it"
                ))
            })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        let (api, resource, method) = method_keys(state)?;
        Method::observe(c, &api, &resource, &method).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let (api, resource, method) = method_keys(prior)?;
        let mut ops = Vec::new();
        if attr(prior, "authorization") != attr(planned, "authorization") {
            ops.push(replace(
                "/authorizationType",
                opt_str(planned, "authorization")?.unwrap_or_else(|| "NONE".into()),
            ));
        }
        if attr(prior, "api-key-required") != attr(planned, "api-key-required") {
            ops.push(replace(
                "/apiKeyRequired",
                bool_or(planned, "api-key-required", false)?.to_string(),
            ));
        }
        if !ops.is_empty() {
            patch(
                c,
                &["restapis", &api, "resources", &resource, "methods", &method],
                ops,
            )
            .await
            .aws_on(
                &format!("changing method {method} on resource {resource}"),
                "authorization",
            )?;
        }
        Method::observe(c, &api, &resource, &method)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "method {method} disappeared while it was being updated"
                ))
            })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        // Already gone is fine (and some emulators fail deleting what is gone).
        if self.read(c, state).await?.is_none() {
            return Ok(());
        }
        let (api, resource, method) = method_keys(state)?;
        call(
            c,
            Call::new(
                "DELETE",
                &["restapis", &api, "resources", &resource, "methods", &method],
            ),
        )
        .await
        .aws_opt(&format!("deleting method {method} on resource {resource}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let [api, resource, method] = split_id::<3>(self.name(), id, "API-ID/RESOURCE-ID/METHOD")?;
        Method::observe(c, api, resource, method)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import api-gateway-method {id:?}: there is no such method"
                ))
            })
    }
}

// ------------------------------------------------- api-gateway-integration

pub(crate) struct Integration;

impl Integration {
    async fn put(c: &Clients, planned: &Value) -> Result<(), ProviderError> {
        let (api, resource, method) = method_keys(planned)?;
        // The integration's own method is `httpMethod` in the body.
        let mut body = json!({ "type": req_str(planned, "type")? });
        set_opt(
            &mut body,
            "httpMethod",
            opt_str(planned, "integration-http-method")?,
        );
        set_opt(&mut body, "uri", opt_str(planned, "uri")?);
        call(
            c,
            Call::new(
                "PUT",
                &[
                    "restapis",
                    &api,
                    "resources",
                    &resource,
                    "methods",
                    &method,
                    "integration",
                ],
            )
            .json_body(&body),
        )
        .await
        .aws_on(
            &format!("integrating method {method} on resource {resource}"),
            "uri",
        )?;
        Ok(())
    }

    async fn observe(
        c: &Clients,
        api: &str,
        resource: &str,
        method: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading the integration of method {method} on resource {resource}");
        let Some(i) = call(
            c,
            Call::new(
                "GET",
                &[
                    "restapis",
                    api,
                    "resources",
                    resource,
                    "methods",
                    method,
                    "integration",
                ],
            ),
        )
        .await
        .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        // Every integration has a type; moto answers `{}` for none at all.
        let Some(integration_type) = i["type"].as_str() else {
            return Ok(None);
        };
        let mut o = Object::new();
        o.insert("rest-api-id".into(), Value::string(api));
        o.insert("resource-id".into(), Value::string(resource));
        o.insert("http-method".into(), Value::string(method));
        o.insert(
            "id".into(),
            Value::string(format!("{api}/{resource}/{method}")),
        );
        o.insert("type".into(), Value::string(integration_type));
        o.insert(
            "integration-http-method".into(),
            str_value(i["httpMethod"].as_str()),
        );
        o.insert(
            "uri".into(),
            str_value(i["uri"].as_str().filter(|u| !u.is_empty())),
        );
        Ok(Some(Value::Map(normalize(&Integration.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Integration {
    fn name(&self) -> &'static str {
        "api-gateway-integration"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "What a REST API method calls: a Lambda function (AWS_PROXY), an HTTP endpoint, or a mock. \
             Changed in place by putting it again. Import with API-ID/RESOURCE-ID/METHOD.",
        )
        .attr("rest-api-id", rest_api_attr())
        .attr("resource-id", A::required(Type::String).force_new().describe("Id of the resource."))
        .attr("http-method", A::required(Type::String).force_new().describe("The method being integrated."))
        .attr("type", A::required(Type::String).describe(&format!("One of {}.", INTEGRATION_TYPES.join(", "))))
        .attr(
            "integration-http-method",
            A::optional(Type::String).describe("Method used to call the backend; \"POST\" for Lambda. Not for MOCK."),
        )
        .attr("uri", A::optional(Type::String).describe("The backend: a Lambda's `invoke-arn`, or a URL for HTTP types."))
        .attr("id", A::computed(Type::String).describe("API-ID/RESOURCE-ID/METHOD (the import id)."))
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors: Vec<ProviderError> = check_http_method(config, "integration-http-method")
            .into_iter()
            .collect();
        if let Some(t) = attr(config, "type").as_str() {
            if !INTEGRATION_TYPES.contains(&t) {
                errors.push(
                    ProviderError::fatal(format!(
                        "`type` is one of {}, found {t:?}",
                        INTEGRATION_TYPES.join(", ")
                    ))
                    .on_attribute("type"),
                );
            } else if t != "MOCK" {
                for needed in ["uri", "integration-http-method"] {
                    if attr(config, needed).is_null() {
                        errors.push(
                            ProviderError::fatal(format!(
                                "an integration of type {t} needs `{needed}`"
                            ))
                            .on_attribute(needed),
                        );
                    }
                }
            }
        }
        errors
    }

    fn plan_more(&self, _ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        triple_id(planned);
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        Integration::put(c, planned).await?;
        let (api, resource, method) = method_keys(planned)?;
        Integration::observe(c, &api, &resource, &method)
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "the integration of {method} is not visible yet after creating it"
                ))
            })
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        let (api, resource, method) = method_keys(state)?;
        Integration::observe(c, &api, &resource, &method).await
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.create(c, planned).await
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        // Already gone is fine (and some emulators fail deleting what is gone).
        if self.read(c, state).await?.is_none() {
            return Ok(());
        }
        let (api, resource, method) = method_keys(state)?;
        call(
            c,
            Call::new(
                "DELETE",
                &[
                    "restapis",
                    &api,
                    "resources",
                    &resource,
                    "methods",
                    &method,
                    "integration",
                ],
            ),
        )
        .await
        .aws_opt(&format!(
            "deleting the integration of method {method} on resource {resource}"
        ))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let [api, resource, method] = split_id::<3>(self.name(), id, "API-ID/RESOURCE-ID/METHOD")?;
        Integration::observe(c, api, resource, method)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import api-gateway-integration {id:?}: there is no such integration"
                ))
            })
    }
}

// -------------------------------------------------- api-gateway-deployment

pub(crate) struct Deployment;

impl Deployment {
    async fn observe(
        c: &Clients,
        api: &str,
        id: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading deployment {id} of REST API {api}");
        // Listed rather than fetched: moto answers GetDeployment for a deleted
        // deployment with a 500 instead of a 404.
        let mut position: Option<String> = None;
        let description = loop {
            let mut list =
                Call::new("GET", &["restapis", api, "deployments"]).query("limit", "500");
            if let Some(p) = &position {
                list = list.query("position", p);
            }
            let Some(page) = call(c, list).await.aws_opt(&doing)? else {
                return Ok(None);
            };
            if let Some(d) = items(&page).find(|d| d["id"].as_str() == Some(id)) {
                break d["description"].as_str().map(str::to_string);
            }
            match page["position"].as_str() {
                // A position given back again would page for ever.
                Some(p) if items(&page).next().is_some() && position.as_deref() != Some(p) => {
                    position = Some(p.to_string())
                }
                _ => return Ok(None),
            }
        };
        let mut o = Object::new();
        o.insert("rest-api-id".into(), Value::string(api));
        o.insert("deployment-id".into(), Value::string(id));
        o.insert("id".into(), Value::string(format!("{api}/{id}")));
        o.insert(
            "description".into(),
            str_value(description.filter(|s| !s.is_empty())),
        );
        o.insert("triggers".into(), attr(known, "triggers").clone());
        Ok(Some(Value::Map(normalize(&Deployment.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Deployment {
    fn name(&self) -> &'static str {
        "api-gateway-deployment"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A snapshot of a REST API that a stage serves. Deployments are immutable: put what should \
             redeploy the API (ids of methods and integrations, a hash of their configuration) in `triggers`. \
             Import with API-ID/DEPLOYMENT-ID.",
        )
        .attr("rest-api-id", rest_api_attr())
        .attr("description", A::optional(Type::String).force_new().describe("Description; changing it makes a new deployment."))
        .attr(
            "triggers",
            A::optional(Type::map(Type::String)).force_new().describe("Arbitrary strings; any change makes a new deployment."),
        )
        .attr("deployment-id", A::computed(Type::String).describe("Id of the deployment, for `api-gateway-stage`."))
        .attr("id", A::computed(Type::String).describe("API-ID/DEPLOYMENT-ID (the import id)."))
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let api = req_str(planned, "rest-api-id")?;
        // Ids are made by AWS: resent, the call would deploy twice.
        let mut creation = c.creation(self.name(), planned);
        let id = match creation.made() {
            Some(id) => id.to_string(),
            None => {
                let mut body = json!({});
                set_opt(&mut body, "description", opt_str(planned, "description")?);
                let out = call(
                    c,
                    Call::new("POST", &["restapis", &api, "deployments"]).json_body(&body),
                )
                .await
                .aws_on(&format!("deploying REST API {api}"), "rest-api-id")?;
                let id = out["id"]
                    .as_str()
                    .ok_or_else(|| crate::error::missing("deployment id"))?
                    .to_string();
                creation.record(&id);
                id
            }
        };
        let state = Deployment::observe(c, &api, &id, planned)
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "deployment {id} is not visible yet after creating it"
                ))
            })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Deployment::observe(
            c,
            &req_str(state, "rest-api-id")?,
            &req_str(state, "deployment-id")?,
            state,
        )
        .await
    }

    async fn update(
        &self,
        _c: &Clients,
        _prior: &Value,
        _planned: &Value,
    ) -> Result<Value, ProviderError> {
        Err(ProviderError::fatal(
            "a deployment cannot be changed in place; every change makes a new one",
        ))
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        // Already gone is fine (and some emulators fail deleting what is gone).
        if self.read(c, state).await?.is_none() {
            return Ok(());
        }
        let api = req_str(state, "rest-api-id")?;
        let id = req_str(state, "deployment-id")?;
        match call(
            c,
            Call::new("DELETE", &["restapis", &api, "deployments", &id]),
        )
        .await
        .aws(&format!("deleting deployment {id}"))
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.code_is(&["BadRequestException"]) && e.message_contains("stage") => {
                Err(ProviderError::fatal(format!(
                    "deployment {id} is still served by a stage: delete or move the stage first ({})",
                    e.error.message
                )))
            }
            Err(e) => Err(e.error),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let [api, deployment] = split_id::<2>(self.name(), id, "API-ID/DEPLOYMENT-ID")?;
        Deployment::observe(c, api, deployment, &Value::Null)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import api-gateway-deployment {id:?}: there is no such deployment"
                ))
            })
    }
}

// ------------------------------------------------------- api-gateway-stage

pub(crate) struct Stage;

fn invoke_url(c: &Clients, api: &str, stage: &str) -> String {
    match &c.endpoint {
        // LocalStack's and moto's form.
        Some(endpoint) => format!(
            "{}/restapis/{api}/{stage}/_user_request_",
            endpoint.trim_end_matches('/')
        ),
        None => format!(
            "https://{api}.execute-api.{}.amazonaws.com/{stage}",
            c.region
        ),
    }
}

impl Stage {
    async fn observe(c: &Clients, api: &str, name: &str) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading stage {name} of REST API {api}");
        let Some(s) = call(c, Call::new("GET", &["restapis", api, "stages", name]))
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let variables = json_string_map(&s["variables"]);
        let account = c.account_id().await?;
        let mut o = Object::new();
        o.insert("rest-api-id".into(), Value::string(api));
        o.insert("stage-name".into(), Value::string(name));
        o.insert("id".into(), Value::string(format!("{api}/{name}")));
        o.insert(
            "deployment-id".into(),
            str_value(s["deploymentId"].as_str()),
        );
        o.insert(
            "description".into(),
            str_value(s["description"].as_str().filter(|d| !d.is_empty())),
        );
        o.insert("variables".into(), map_value(variables));
        o.insert("invoke-url".into(), Value::string(invoke_url(c, api, name)));
        o.insert(
            "execution-arn".into(),
            Value::string(format!(
                "arn:{}:execute-api:{}:{account}:{api}/{name}",
                c.partition, c.region
            )),
        );
        Ok(Some(Value::Map(normalize(&Stage.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Stage {
    fn name(&self) -> &'static str {
        "api-gateway-stage"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A named stage of a REST API serving one deployment. Import with API-ID/STAGE-NAME.",
        )
        .attr("rest-api-id", rest_api_attr())
        .attr(
            "stage-name",
            A::required(Type::String)
                .force_new()
                .describe("Name of the stage, e.g. \"prod\" (part of the URL)."),
        )
        .attr(
            "deployment-id",
            A::required(Type::String)
                .describe("The deployment the stage serves; changed in place."),
        )
        .attr(
            "description",
            A::optional(Type::String).describe("Description; changed in place."),
        )
        .attr(
            "variables",
            A::optional(Type::map(Type::String)).describe("Stage variables; changed in place."),
        )
        .attr(
            "invoke-url",
            A::computed(Type::String).describe("URL that invokes the stage."),
        )
        .attr(
            "execution-arn",
            A::computed(Type::String).describe("Execution ARN of the stage."),
        )
        .attr(
            "id",
            A::computed(Type::String).describe("API-ID/STAGE-NAME (the import id)."),
        )
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let api = req_str(planned, "rest-api-id")?;
        let name = req_str(planned, "stage-name")?;
        let variables = string_map(planned, "variables")?;
        let mut creation = c.creation(self.name(), planned);
        if creation.made().is_none() {
            let mut body = json!({
                "stageName": name,
                "deploymentId": req_str(planned, "deployment-id")?,
            });
            set_opt(&mut body, "description", opt_str(planned, "description")?);
            if !variables.is_empty() {
                body["variables"] = json!(variables);
            }
            call(
                c,
                Call::new("POST", &["restapis", &api, "stages"]).json_body(&body),
            )
            .await
            .aws_on(
                &format!("creating stage {name} of REST API {api}"),
                "stage-name",
            )?;
            creation.record(&name);
        }
        let state = Stage::observe(c, &api, &name).await?.ok_or_else(|| {
            ProviderError::retryable(format!("stage {name} is not visible yet after creating it"))
        })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Stage::observe(
            c,
            &req_str(state, "rest-api-id")?,
            &req_str(state, "stage-name")?,
        )
        .await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let api = req_str(prior, "rest-api-id")?;
        let name = req_str(prior, "stage-name")?;
        let mut ops = Vec::new();
        if attr(prior, "deployment-id") != attr(planned, "deployment-id") {
            ops.push(replace("/deploymentId", req_str(planned, "deployment-id")?));
        }
        if attr(prior, "description") != attr(planned, "description") {
            ops.push(replace(
                "/description",
                opt_str(planned, "description")?.unwrap_or_default(),
            ));
        }
        let (removed, set) = tag_diff(
            &string_map(prior, "variables")?,
            &string_map(planned, "variables")?,
        );
        for key in removed {
            ops.push(remove(&format!("/variables/{key}")));
        }
        for (key, value) in set {
            ops.push(replace(&format!("/variables/{key}"), value));
        }
        if !ops.is_empty() {
            patch(c, &["restapis", &api, "stages", &name], ops)
                .await
                .aws_on(
                    &format!("changing stage {name} of REST API {api}"),
                    "deployment-id",
                )?;
        }
        Stage::observe(c, &api, &name).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "stage {name} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        // Already gone is fine (and some emulators fail deleting what is gone).
        if self.read(c, state).await?.is_none() {
            return Ok(());
        }
        let api = req_str(state, "rest-api-id")?;
        let name = req_str(state, "stage-name")?;
        call(c, Call::new("DELETE", &["restapis", &api, "stages", &name]))
            .await
            .aws_opt(&format!("deleting stage {name} of REST API {api}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let [api, stage] = split_id::<2>(self.name(), id, "API-ID/STAGE-NAME")?;
        Stage::observe(c, api, stage).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import api-gateway-stage {id:?}: there is no such stage"
            ))
        })
    }
}
