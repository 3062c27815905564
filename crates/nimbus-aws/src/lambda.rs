//! Lambda: `lambda` (a function deployed from a local directory) and
//! `lambda-permission`.

use crate::clients::Clients;
use crate::error::AwsResult;
use crate::resource::{PlanContext, ResourceType};
use crate::util::{
    Object, attr, json_string_map, map_value, normalize, opt_i32, opt_str, req_str, str_value,
    string_map, tag_diff,
};
use crate::wire::{Call, LAMBDA};
use crate::zip;
use async_trait::async_trait;
use base64::Engine;
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use serde_json::{Value as Json, json};
use std::path::Path;
use std::time::{Duration, Instant};

pub(crate) struct Function;

/// Longest wait for a function to leave Pending / InProgress.
const WAIT: Duration = Duration::from_secs(10 * 60);

fn resolve(base_dir: &Path, path: &str) -> std::path::PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base_dir.join(p)
    }
}

/// The zipped code of `code-uri`.
fn package(base_dir: &Path, object: &Value) -> Result<Vec<u8>, ProviderError> {
    let uri = req_str(object, "code-uri")?;
    let path = resolve(base_dir, &uri);
    zip::package(&path).map_err(|e| {
        ProviderError::fatal(format!("cannot package {}: {e}", path.display()))
            .on_attribute("code-uri")
    })
}

/// The API version in the path of most Lambda operations.
const V: &str = "2015-03-31";
/// The API version in the path of the tagging operations.
const TAGS_V: &str = "2017-03-31";

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Puts `value` in `body` under `key` when there is one.
fn set_opt(body: &mut Json, key: &str, value: Option<impl Into<Json>>) {
    if let Some(value) = value {
        body[key] = value.into();
    }
}

fn invoke_arn(c: &Clients, function_arn: &str) -> String {
    format!(
        "arn:{}:apigateway:{}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        c.partition, c.region
    )
}

/// Whether a create failed only because IAM has not yet propagated a new
/// role to Lambda (it can take ten seconds or more).
fn role_not_ready(e: &crate::error::AwsError) -> bool {
    e.code_is(&["InvalidParameterValueException"])
        && (e.message_contains("cannot be assumed")
            || e.message_contains("role defined for the function"))
}

impl Function {
    async fn observe(
        c: &Clients,
        name: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading function {name}");
        let Some(out) = c
            .wire
            .rest_json(&LAMBDA, Call::new("GET", &[V, "functions", name]))
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let f = &out["Configuration"];
        if !f.is_object() {
            return Ok(None);
        }
        let text = |key: &str| f[key].as_str();
        let arn = text("FunctionArn")
            .ok_or_else(|| crate::error::missing("function ARN"))?
            .to_string();
        let environment = json_string_map(&f["Environment"]["Variables"]);
        let tags = json_string_map(&out["Tags"]);
        let mut o = Object::new();
        o.insert(
            "function-name".into(),
            Value::string(text("FunctionName").unwrap_or(name)),
        );
        o.insert(
            "id".into(),
            Value::string(text("FunctionName").unwrap_or(name)),
        );
        o.insert("arn".into(), Value::string(&arn));
        o.insert("invoke-arn".into(), Value::string(invoke_arn(c, &arn)));
        o.insert("runtime".into(), str_value(text("Runtime")));
        o.insert("handler".into(), str_value(text("Handler")));
        o.insert("role".into(), str_value(text("Role")));
        o.insert(
            "description".into(),
            str_value(text("Description").filter(|d| !d.is_empty())),
        );
        o.insert(
            "memory-size".into(),
            f["MemorySize"]
                .as_i64()
                .map(Value::int)
                .unwrap_or(Value::Null),
        );
        o.insert(
            "timeout".into(),
            f["Timeout"].as_i64().map(Value::int).unwrap_or(Value::Null),
        );
        o.insert("environment".into(), map_value(environment));
        o.insert("source-hash".into(), str_value(text("CodeSha256")));
        o.insert("code-uri".into(), attr(known, "code-uri").clone());
        o.insert("tags".into(), map_value(tags));
        Ok(Some(Value::Map(normalize(&Function.schema(), o)?)))
    }

    /// Waits until the function is ready for the next change.
    async fn wait_ready(c: &Clients, name: &str) -> Result<(), ProviderError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(200);
        loop {
            let f = c
                .wire
                .rest_json(
                    &LAMBDA,
                    Call::new("GET", &[V, "functions", name, "configuration"]),
                )
                .await
                .aws(&format!("waiting for function {name}"))?;
            let state = f["State"].as_str();
            let last_update = f["LastUpdateStatus"].as_str();
            if state == Some("Failed") {
                return Err(ProviderError::fatal(format!(
                    "function {name} failed: {}",
                    f["StateReason"].as_str().unwrap_or("no reason given")
                )));
            }
            if last_update == Some("Failed") {
                return Err(ProviderError::fatal(format!(
                    "updating function {name} failed: {}",
                    f["LastUpdateStatusReason"]
                        .as_str()
                        .unwrap_or("no reason given")
                )));
            }
            let busy = state == Some("Pending") || last_update == Some("InProgress");
            if !busy {
                return Ok(());
            }
            if started.elapsed() > WAIT {
                return Err(ProviderError::retryable(format!(
                    "function {name} is still busy after {WAIT:?}"
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// The `Environment` member: every variable, an empty map for none.
    fn environment(planned: &Value) -> Result<Json, ProviderError> {
        let vars = string_map(planned, "environment")?;
        Ok(json!({ "Variables": vars }))
    }
}

#[async_trait]
impl ResourceType for Function {
    fn name(&self) -> &'static str {
        "lambda"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A Lambda function deployed from a local directory, zipped deterministically (sorted entries, fixed \
             timestamps and modes) so that an unchanged directory plans no change. Import with the function name.",
        )
        .attr(
            "function-name",
            A::required(Type::String).force_new().describe("Name of the function. Changing it replaces the function."),
        )
        .attr("runtime", A::required(Type::String).describe("Runtime, e.g. \"python3.12\" or \"nodejs20.x\". Changed in place."))
        .attr("handler", A::required(Type::String).describe("Entry point, e.g. \"index.handler\". Changed in place."))
        .attr(
            "role",
            A::required(Type::String).describe(
                "ARN of the execution role. A role created in the same apply may take a few seconds to be usable; creation retries meanwhile.",
            ),
        )
        .attr(
            "code-uri",
            A::required(Type::String).describe(
                "The code: a directory (zipped by Nimbus) or a .zip file, relative to the configuration's directory.",
            ),
        )
        .attr("description", A::optional(Type::String).describe("Description; changed in place."))
        .attr("environment", A::optional(Type::map(Type::String)).describe("Environment variables; changed in place."))
        .attr("memory-size", A::optional(Type::Number).describe("Memory in MB, 128 (default) to 10240. Changed in place."))
        .attr("timeout", A::optional(Type::Number).describe("Seconds an invocation may run, 3 (default) to 900. Changed in place."))
        .attr("tags", A::optional(Type::map(Type::String)).describe("Tags of the function; changed in place."))
        .attr(
            "source-hash",
            A::computed(Type::String).describe(
                "Base64 SHA-256 of the deployment package, computed at plan time; equal to Lambda's CodeSha256, so code changed out of band shows as drift.",
            ),
        )
        .attr("arn", A::computed(Type::String).describe("ARN of the function."))
        .attr(
            "invoke-arn",
            A::computed(Type::String).describe("ARN to use as the `uri` of an API Gateway integration."),
        )
        .attr("id", A::computed(Type::String).describe("The function name (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("memory-size", Value::int(128)), ("timeout", Value::int(3))]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors = Vec::new();
        if let Some(n) = attr(config, "memory-size")
            .as_number()
            .and_then(|n| n.as_i64())
            && !(128..=10_240).contains(&n)
        {
            errors.push(
                ProviderError::fatal(format!(
                    "`memory-size` must be between 128 and 10240, found {n}"
                ))
                .on_attribute("memory-size"),
            );
        }
        if let Some(n) = attr(config, "timeout").as_number().and_then(|n| n.as_i64())
            && !(1..=900).contains(&n)
        {
            errors.push(
                ProviderError::fatal(format!("`timeout` must be between 1 and 900, found {n}"))
                    .on_attribute("timeout"),
            );
        }
        if let Some(role) = attr(config, "role").as_str()
            && !role.starts_with("arn:")
        {
            errors.push(
                ProviderError::fatal(format!("`role` is the ARN of an IAM role, found {role:?}"))
                    .on_attribute("role"),
            );
        }
        errors
    }

    fn plan_more(&self, ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        let object = Value::Map(planned.clone());
        let hash = if attr(&object, "code-uri").is_wholly_known() {
            Value::string(zip::code_sha256(&package(ctx.base_dir, &object)?))
        } else {
            Value::Unknown
        };
        planned.insert("source-hash".into(), hash);
        if ctx.fresh
            && let Some(name) = planned
                .get("function-name")
                .and_then(Value::as_str)
                .map(str::to_string)
        {
            planned.insert("id".into(), Value::string(name));
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "function-name")?;
        let code = package(&c.base_dir, planned)?;
        let tags = string_map(planned, "tags")?;
        let mut creation = c.creation(self.name(), planned);
        if creation.made().is_none() {
            // IAM takes seconds to make a new role usable by Lambda, and
            // only a refused create tells: wait for that state, within the
            // role propagation timeout. Every other failure (throttling,
            // server, connection) goes straight to the engine's retry.
            let started = Instant::now();
            let mut delay = Duration::from_millis(500);
            let mut body = json!({
                "FunctionName": name,
                "Runtime": req_str(planned, "runtime")?,
                "Handler": req_str(planned, "handler")?,
                "Role": req_str(planned, "role")?,
                "Code": { "ZipFile": base64(&code) },
                "Environment": Function::environment(planned)?,
            });
            set_opt(&mut body, "Description", opt_str(planned, "description")?);
            set_opt(&mut body, "MemorySize", opt_i32(planned, "memory-size")?);
            set_opt(&mut body, "Timeout", opt_i32(planned, "timeout")?);
            if !tags.is_empty() {
                body["Tags"] = json!(tags);
            }
            loop {
                let result = c
                    .wire
                    .rest_json(
                        &LAMBDA,
                        Call::new("POST", &[V, "functions"]).json_body(&body),
                    )
                    .await
                    .aws(&format!("creating function {name}"));
                match result {
                    Ok(_) => break,
                    Err(e)
                        if role_not_ready(&e) && started.elapsed() < c.role_propagation_timeout =>
                    {
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                    Err(e) if role_not_ready(&e) => return Err(e.error.on_attribute("role")),
                    Err(e) if e.code_is(&["ResourceConflictException"]) => {
                        return Err(ProviderError::fatal(format!(
                            "function {name} already exists: import it or choose another name"
                        ))
                        .on_attribute("function-name"));
                    }
                    Err(e) if e.is_invalid_request() => {
                        let on = if e.message_contains("runtime") {
                            "runtime"
                        } else if e.message_contains("handler") {
                            "handler"
                        } else if e.message_contains("role") {
                            "role"
                        } else {
                            "code-uri"
                        };
                        return Err(e.error.on_attribute(on));
                    }
                    Err(e) => return Err(e.error),
                }
            }
            creation.record(&name);
        }
        Function::wait_ready(c, &name).await?;
        let state = Function::observe(c, &name, planned).await?.ok_or_else(|| {
            ProviderError::retryable(format!(
                "function {name} is not visible yet after creating it"
            ))
        })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Function::observe(c, &req_str(state, "function-name")?, state).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let name = req_str(prior, "function-name")?;
        let arn = req_str(prior, "arn")?;
        if attr(prior, "source-hash") != attr(planned, "source-hash") {
            let code = package(&c.base_dir, planned)?;
            Function::wait_ready(c, &name).await?;
            c.wire
                .rest_json(
                    &LAMBDA,
                    Call::new("PUT", &[V, "functions", &name, "code"])
                        .json_body(&json!({ "ZipFile": base64(&code) })),
                )
                .await
                .aws_on(&format!("updating the code of function {name}"), "code-uri")?;
        }
        let config_attrs = [
            "runtime",
            "handler",
            "role",
            "description",
            "memory-size",
            "timeout",
            "environment",
        ];
        if config_attrs
            .iter()
            .any(|n| attr(prior, n) != attr(planned, n))
        {
            Function::wait_ready(c, &name).await?;
            let mut body = json!({
                "Runtime": req_str(planned, "runtime")?,
                "Handler": req_str(planned, "handler")?,
                "Role": req_str(planned, "role")?,
                "Description": opt_str(planned, "description")?.unwrap_or_default(),
                "Environment": Function::environment(planned)?,
            });
            set_opt(&mut body, "MemorySize", opt_i32(planned, "memory-size")?);
            set_opt(&mut body, "Timeout", opt_i32(planned, "timeout")?);
            c.wire
                .rest_json(
                    &LAMBDA,
                    Call::new("PUT", &[V, "functions", &name, "configuration"]).json_body(&body),
                )
                .await
                .aws_on(&format!("changing function {name}"), "runtime")?;
        }
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        if !removed.is_empty() {
            let call = removed
                .iter()
                .fold(Call::new("DELETE", &[TAGS_V, "tags", &arn]), |call, key| {
                    call.query("tagKeys", key)
                });
            c.wire
                .rest_json(&LAMBDA, call)
                .await
                .aws_on(&format!("untagging function {name}"), "tags")?;
        }
        if !set.is_empty() {
            c.wire
                .rest_json(
                    &LAMBDA,
                    Call::new("POST", &[TAGS_V, "tags", &arn]).json_body(&json!({ "Tags": set })),
                )
                .await
                .aws_on(&format!("tagging function {name}"), "tags")?;
        }
        Function::wait_ready(c, &name).await?;
        Function::observe(c, &name, planned).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "function {name} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let name = req_str(state, "function-name")?;
        c.wire
            .rest_json(&LAMBDA, Call::new("DELETE", &[V, "functions", &name]))
            .await
            .aws_opt(&format!("deleting function {name}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        Function::observe(c, id, &Value::Null)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import lambda {id:?}: there is no such function"
                ))
            })
    }
}

// -------------------------------------------------------- lambda-permission

pub(crate) struct Permission;

impl Permission {
    async fn observe(
        c: &Clients,
        function: &str,
        statement: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading the policy of function {function}");
        let Some(out) = c
            .wire
            .rest_json(
                &LAMBDA,
                Call::new("GET", &[V, "functions", function, "policy"]),
            )
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let Some(policy) = out["Policy"]
            .as_str()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        else {
            return Ok(None);
        };
        let statements = match &policy["Statement"] {
            serde_json::Value::Array(items) => items.clone(),
            single @ serde_json::Value::Object(_) => vec![single.clone()],
            _ => Vec::new(),
        };
        let Some(s) = statements
            .iter()
            .find(|s| s["Sid"].as_str() == Some(statement))
        else {
            return Ok(None);
        };
        let principal = match &s["Principal"] {
            serde_json::Value::String(p) => Some(p.clone()),
            serde_json::Value::Object(m) => m
                .values()
                .next()
                .and_then(|v| v.as_str())
                .map(str::to_string),
            _ => None,
        };
        let source_arn = s["Condition"]["ArnLike"]["AWS:SourceArn"]
            .as_str()
            .map(str::to_string);
        let mut o = Object::new();
        o.insert("function-name".into(), Value::string(function));
        o.insert("statement-id".into(), Value::string(statement));
        o.insert(
            "id".into(),
            Value::string(format!("{function}/{statement}")),
        );
        o.insert("action".into(), str_value(s["Action"].as_str()));
        o.insert("principal".into(), str_value(principal));
        o.insert("source-arn".into(), str_value(source_arn));
        Ok(Some(Value::Map(normalize(&Permission.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Permission {
    fn name(&self) -> &'static str {
        "lambda-permission"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Lets a service or account invoke a Lambda function (a statement of the function's resource policy), \
             e.g. API Gateway. Every attribute replaces the statement when changed. Import with FUNCTION/STATEMENT-ID.",
        )
        .attr("function-name", A::required(Type::String).force_new().describe("Name or ARN of the function."))
        .attr("statement-id", A::required(Type::String).force_new().describe("Id of the statement, unique within the function's policy."))
        .attr("action", A::optional(Type::String).force_new().describe("What is allowed; default \"lambda:InvokeFunction\"."))
        .attr("principal", A::required(Type::String).force_new().describe("Who is allowed: a service (\"apigateway.amazonaws.com\") or an account id."))
        .attr(
            "source-arn",
            A::optional(Type::String).force_new().describe("Only calls on behalf of this ARN (e.g. an API's execution ARN with `/*/*`)."),
        )
        .attr("id", A::computed(Type::String).describe("FUNCTION/STATEMENT-ID (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("action", Value::string("lambda:InvokeFunction"))]
    }

    fn plan_more(&self, _ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        let id = match (
            planned.get("function-name").and_then(Value::as_str),
            planned.get("statement-id").and_then(Value::as_str),
        ) {
            (Some(f), Some(s)) => Value::string(format!("{f}/{s}")),
            _ => Value::Unknown,
        };
        planned.insert("id".into(), id);
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let function = req_str(planned, "function-name")?;
        let statement = req_str(planned, "statement-id")?;
        let mut creation = c.creation(self.name(), planned);
        if creation.made().is_none() {
            let mut body = json!({
                "StatementId": statement,
                "Action": opt_str(planned, "action")?
                    .unwrap_or_else(|| "lambda:InvokeFunction".into()),
                "Principal": req_str(planned, "principal")?,
            });
            set_opt(&mut body, "SourceArn", opt_str(planned, "source-arn")?);
            c.wire
                .rest_json(
                    &LAMBDA,
                    Call::new("POST", &[V, "functions", &function, "policy"]).json_body(&body),
                )
                .await
                .aws_on(
                    &format!("allowing {statement} on function {function}"),
                    "principal",
                )?;
            creation.record(&statement);
        }
        let mut state = Permission::observe(c, &function, &statement)
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "permission {statement} of {function} is not visible yet"
                ))
            })?;
        // Keep the name as configured (a function ARN stays an ARN).
        if let Value::Map(m) = &mut state {
            m.insert("function-name".into(), Value::string(&function));
            m.insert(
                "id".into(),
                Value::string(format!("{function}/{statement}")),
            );
        }
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        let function = req_str(state, "function-name")?;
        let mut observed =
            Permission::observe(c, &function, &req_str(state, "statement-id")?).await?;
        if let Some(Value::Map(m)) = &mut observed {
            m.insert("id".into(), attr(state, "id").clone());
        }
        Ok(observed)
    }

    async fn update(
        &self,
        _c: &Clients,
        _prior: &Value,
        _planned: &Value,
    ) -> Result<Value, ProviderError> {
        Err(ProviderError::fatal(
            "lambda-permission cannot be changed in place; every change replaces it",
        ))
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let function = req_str(state, "function-name")?;
        let statement = req_str(state, "statement-id")?;
        c.wire
            .rest_json(
                &LAMBDA,
                Call::new("DELETE", &[V, "functions", &function, "policy", &statement]),
            )
            .await
            .aws_opt(&format!(
                "removing permission {statement} of function {function}"
            ))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let Some((function, statement)) = id.rsplit_once('/') else {
            return Err(ProviderError::fatal(format!(
                "cannot import lambda-permission {id:?}: the id is FUNCTION/STATEMENT-ID"
            )));
        };
        Permission::observe(c, function, statement)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import lambda-permission {id:?}: there is no such statement"
                ))
            })
    }
}
