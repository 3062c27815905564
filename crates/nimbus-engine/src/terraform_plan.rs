//! A Nimbus plan in Terraform's JSON plan representation (what
//! `terraform show -json PLANFILE` prints, format 1.2), so that tools
//! written for Terraform plans (Checkov, conftest/OPA) read Nimbus plans.
//!
//! Types and attributes take Terraform's names: the AWS types by a table
//! per type ([`AWS_TYPES`]), only for attributes that correspond (S3's
//! versioning and default encryption as the blocks of `aws_s3_bucket`);
//! other types by their own names with `-` as `_` (`terraform-data` is
//! `terraform_data`; the built-in Terraform-named types keep theirs).
//! Secrets never appear: a sensitive value is `null`, and
//! `before_sensitive`/`after_sensitive` mark it. A value not known until
//! apply is left out of `after` and marked in `after_unknown`, as
//! Terraform does.

use crate::plan::{Action, Plan, ResourceChange};
use nimbus_config::{InstanceAddr, InstanceKey, Mode};
use nimbus_value::Value;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// The format this writes.
pub const FORMAT_VERSION: &str = "1.2";

/// One AWS type: Terraform's name, and its attributes' (Nimbus's name,
/// Terraform's); attributes not listed have no Terraform counterpart.
struct TypeMapping {
    nimbus: &'static str,
    terraform: &'static str,
    attributes: &'static [(&'static str, &'static str)],
}

/// The AWS provider's types under the Terraform AWS provider's names.
const AWS_TYPES: &[TypeMapping] = &[
    TypeMapping {
        nimbus: "s3-bucket",
        terraform: "aws_s3_bucket",
        // `versioning`, `encryption` and `kms-key-id` become blocks
        // ([`s3_bucket_blocks`]).
        attributes: &[
            ("id", "id"),
            ("bucket-name", "bucket"),
            ("arn", "arn"),
            ("region", "region"),
            ("bucket-domain-name", "bucket_domain_name"),
            ("force-destroy", "force_destroy"),
            ("acl", "acl"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "s3-bucket-policy",
        terraform: "aws_s3_bucket_policy",
        attributes: &[("id", "id"), ("bucket", "bucket"), ("policy", "policy")],
    },
    TypeMapping {
        nimbus: "s3-object",
        terraform: "aws_s3_object",
        attributes: &[
            ("id", "id"),
            ("bucket", "bucket"),
            ("key", "key"),
            ("content", "content"),
            ("source", "source"),
            ("content-type", "content_type"),
            ("etag", "etag"),
            ("version-id", "version_id"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "dynamodb-table",
        terraform: "aws_dynamodb_table",
        attributes: &[
            ("id", "id"),
            ("name", "name"),
            ("arn", "arn"),
            ("hash-key", "hash_key"),
            ("range-key", "range_key"),
            ("attribute", "attribute"),
            ("billing-mode", "billing_mode"),
            ("read-capacity", "read_capacity"),
            ("write-capacity", "write_capacity"),
            // `server-side-encryption` and `kms-key-arn` become a block
            // ([`dynamodb_table_blocks`]).
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "sqs-queue",
        terraform: "aws_sqs_queue",
        attributes: &[
            ("id", "id"),
            ("name", "name"),
            ("arn", "arn"),
            ("url", "url"),
            ("fifo", "fifo_queue"),
            ("content-based-deduplication", "content_based_deduplication"),
            ("visibility-timeout", "visibility_timeout_seconds"),
            ("message-retention-seconds", "message_retention_seconds"),
            ("delay-seconds", "delay_seconds"),
            ("receive-wait-time-seconds", "receive_wait_time_seconds"),
            ("max-message-size", "max_message_size"),
            ("kms-master-key-id", "kms_master_key_id"),
            (
                "kms-data-key-reuse-period-seconds",
                "kms_data_key_reuse_period_seconds",
            ),
            ("sqs-managed-sse", "sqs_managed_sse_enabled"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "sns-topic",
        terraform: "aws_sns_topic",
        attributes: &[
            ("id", "id"),
            ("name", "name"),
            ("arn", "arn"),
            ("fifo", "fifo_topic"),
            ("display-name", "display_name"),
            ("kms-master-key-id", "kms_master_key_id"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "sns-subscription",
        terraform: "aws_sns_topic_subscription",
        attributes: &[
            ("id", "id"),
            ("arn", "arn"),
            ("topic-arn", "topic_arn"),
            ("protocol", "protocol"),
            ("endpoint", "endpoint"),
            ("raw-message-delivery", "raw_message_delivery"),
            ("filter-policy", "filter_policy"),
            ("pending-confirmation", "pending_confirmation"),
        ],
    },
    TypeMapping {
        nimbus: "iam-role",
        terraform: "aws_iam_role",
        attributes: &[
            ("id", "id"),
            ("name", "name"),
            ("arn", "arn"),
            ("path", "path"),
            ("description", "description"),
            ("assume-role-policy", "assume_role_policy"),
            ("managed-policy-arns", "managed_policy_arns"),
            ("max-session-duration", "max_session_duration"),
            ("unique-id", "unique_id"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "iam-policy",
        terraform: "aws_iam_policy",
        attributes: &[
            ("id", "id"),
            ("name", "name"),
            ("arn", "arn"),
            ("path", "path"),
            ("description", "description"),
            ("policy", "policy"),
            ("policy-id", "policy_id"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "lambda",
        terraform: "aws_lambda_function",
        attributes: &[
            ("id", "id"),
            ("function-name", "function_name"),
            ("arn", "arn"),
            ("invoke-arn", "invoke_arn"),
            ("runtime", "runtime"),
            ("handler", "handler"),
            ("role", "role"),
            ("description", "description"),
            ("memory-size", "memory_size"),
            ("timeout", "timeout"),
            ("source-hash", "source_code_hash"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "lambda-permission",
        terraform: "aws_lambda_permission",
        attributes: &[
            ("id", "id"),
            ("function-name", "function_name"),
            ("statement-id", "statement_id"),
            ("action", "action"),
            ("principal", "principal"),
            ("source-arn", "source_arn"),
        ],
    },
    TypeMapping {
        nimbus: "api-gateway-rest-api",
        terraform: "aws_api_gateway_rest_api",
        attributes: &[
            ("id", "id"),
            ("name", "name"),
            ("arn", "arn"),
            ("description", "description"),
            ("root-resource-id", "root_resource_id"),
            ("execution-arn", "execution_arn"),
            ("tags", "tags"),
        ],
    },
    TypeMapping {
        nimbus: "api-gateway-resource",
        terraform: "aws_api_gateway_resource",
        attributes: &[
            ("id", "id"),
            ("rest-api-id", "rest_api_id"),
            ("parent-id", "parent_id"),
            ("path-part", "path_part"),
            ("path", "path"),
        ],
    },
    TypeMapping {
        nimbus: "api-gateway-method",
        terraform: "aws_api_gateway_method",
        attributes: &[
            ("id", "id"),
            ("rest-api-id", "rest_api_id"),
            ("resource-id", "resource_id"),
            ("http-method", "http_method"),
            ("authorization", "authorization"),
            ("api-key-required", "api_key_required"),
        ],
    },
    TypeMapping {
        nimbus: "api-gateway-integration",
        terraform: "aws_api_gateway_integration",
        attributes: &[
            ("id", "id"),
            ("rest-api-id", "rest_api_id"),
            ("resource-id", "resource_id"),
            ("http-method", "http_method"),
            ("type", "type"),
            ("integration-http-method", "integration_http_method"),
            ("uri", "uri"),
        ],
    },
    TypeMapping {
        nimbus: "api-gateway-deployment",
        terraform: "aws_api_gateway_deployment",
        attributes: &[
            ("id", "id"),
            ("rest-api-id", "rest_api_id"),
            ("description", "description"),
            ("triggers", "triggers"),
        ],
    },
    TypeMapping {
        nimbus: "api-gateway-stage",
        terraform: "aws_api_gateway_stage",
        attributes: &[
            ("id", "id"),
            ("rest-api-id", "rest_api_id"),
            ("stage-name", "stage_name"),
            ("deployment-id", "deployment_id"),
            ("description", "description"),
            ("variables", "variables"),
            ("invoke-url", "invoke_url"),
            ("execution-arn", "execution_arn"),
        ],
    },
];

fn aws_mapping(resource_type: &str) -> Option<&'static TypeMapping> {
    AWS_TYPES.iter().find(|m| m.nimbus == resource_type)
}

/// Terraform's name for a resource type.
pub fn terraform_type(resource_type: &str) -> String {
    match aws_mapping(resource_type) {
        Some(mapping) => mapping.terraform.to_string(),
        None => resource_type.replace('-', "_"),
    }
}

/// An object's attributes under Terraform's names (marks kept).
fn terraform_object(resource_type: &str, object: &Value) -> Value {
    let Some(map) = object.as_map() else {
        return object.clone();
    };
    let Some(mapping) = aws_mapping(resource_type) else {
        return Value::Map(
            map.iter()
                .map(|(k, v)| (k.replace('-', "_"), v.clone()))
                .collect(),
        );
    };
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (nimbus, terraform) in mapping.attributes {
        if let Some(value) = map.get(*nimbus) {
            out.insert(terraform.to_string(), document_as_text(nimbus, value));
        }
    }
    if mapping.nimbus == "s3-bucket" {
        s3_bucket_blocks(map, &mut out);
    }
    if mapping.nimbus == "dynamodb-table" {
        dynamodb_table_blocks(map, &mut out);
    }
    Value::Map(out)
}

/// `aws_dynamodb_table`'s `server_side_encryption` block from the table's
/// `server-side-encryption` and `kms-key-arn`.
fn dynamodb_table_blocks(table: &BTreeMap<String, Value>, out: &mut BTreeMap<String, Value>) {
    let Some(enabled) = table.get("server-side-encryption") else {
        return;
    };
    let key = table.get("kms-key-arn").cloned().unwrap_or(Value::Null);
    let block = match enabled.peel() {
        Value::Unknown => Value::Unknown,
        _ => Value::List(vec![Value::Map(
            [
                ("enabled".to_string(), enabled.clone()),
                ("kms_key_arn".to_string(), key),
            ]
            .into(),
        )]),
    };
    out.insert("server_side_encryption".into(), block);
}

/// Policy documents Nimbus takes as maps are JSON text in Terraform.
fn document_as_text(attribute: &str, value: &Value) -> Value {
    let is_document = matches!(attribute, "policy" | "assume-role-policy" | "filter-policy");
    match value.peel() {
        Value::Map(_) | Value::List(_) if is_document && value.is_wholly_known() => {
            let text = Value::string(value.to_json().to_string());
            if value.is_sensitive() {
                Value::Sensitive(Box::new(text))
            } else {
                text
            }
        }
        _ => value.clone(),
    }
}

/// `aws_s3_bucket`'s `versioning` and `server_side_encryption_configuration`
/// blocks from the bucket's `versioning`, `encryption` and `kms-key-id`.
fn s3_bucket_blocks(bucket: &BTreeMap<String, Value>, out: &mut BTreeMap<String, Value>) {
    let object = |fields: Vec<(&str, Value)>| {
        Value::Map(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    };
    if let Some(enabled) = bucket.get("versioning") {
        out.insert(
            "versioning".into(),
            Value::List(vec![object(vec![
                ("enabled", enabled.clone()),
                ("mfa_delete", Value::Bool(false)),
            ])]),
        );
    }
    let algorithm = bucket.get("encryption").cloned().unwrap_or(Value::Null);
    let configuration = match algorithm.peel() {
        Value::Unknown => Value::Unknown,
        Value::Null => Value::List(Vec::new()),
        _ => {
            let key = bucket.get("kms-key-id").cloned().unwrap_or(Value::Null);
            let default = object(vec![
                ("sse_algorithm", algorithm),
                ("kms_master_key_id", key),
            ]);
            let rule = object(vec![
                (
                    "apply_server_side_encryption_by_default",
                    Value::List(vec![default]),
                ),
                ("bucket_key_enabled", Value::Bool(false)),
            ]);
            Value::List(vec![object(vec![("rule", Value::List(vec![rule]))])])
        }
    };
    out.insert("server_side_encryption_configuration".into(), configuration);
}

/// A value as Terraform's plan shows it: the value with secrets as null
/// and unknowns left out of objects (null in lists), and the shapes that
/// mark which parts were sensitive and which unknown.
struct Shown {
    value: Json,
    sensitive: Json,
    unknown: Json,
}

fn show(value: &Value) -> Shown {
    match value {
        Value::Sensitive(inner) => Shown {
            value: Json::Null,
            sensitive: Json::Bool(true),
            // Whether a secret is known is not a secret.
            unknown: Json::Bool(inner.is_unknown()),
        },
        Value::Unknown => Shown {
            value: Json::Null,
            sensitive: Json::Bool(false),
            unknown: Json::Bool(true),
        },
        Value::Map(map) => {
            let (mut values, mut sensitive, mut unknown) = (Map::new(), Map::new(), Map::new());
            for (key, item) in map {
                let shown = show(item);
                if !item.is_unknown() {
                    values.insert(key.clone(), shown.value);
                }
                if marks_something(&shown.sensitive) {
                    sensitive.insert(key.clone(), shown.sensitive);
                }
                if marks_something(&shown.unknown) {
                    unknown.insert(key.clone(), shown.unknown);
                }
            }
            Shown {
                value: Json::Object(values),
                sensitive: Json::Object(sensitive),
                unknown: Json::Object(unknown),
            }
        }
        Value::List(items) => {
            let shown: Vec<Shown> = items.iter().map(show).collect();
            Shown {
                sensitive: Json::Array(shown.iter().map(|s| s.sensitive.clone()).collect()),
                unknown: Json::Array(shown.iter().map(|s| s.unknown.clone()).collect()),
                value: Json::Array(shown.into_iter().map(|s| s.value).collect()),
            }
        }
        plain => Shown {
            value: plain.to_json(),
            sensitive: Json::Bool(false),
            unknown: Json::Bool(false),
        },
    }
}

/// Whether a mark shape marks anything (Terraform leaves out an object's
/// entries that mark nothing).
fn marks_something(shape: &Json) -> bool {
    match shape {
        Json::Bool(b) => *b,
        Json::Object(map) => !map.is_empty(),
        Json::Array(items) => !items.is_empty(),
        _ => false,
    }
}

/// An object of a change (before or after), marked where the change says
/// it is sensitive, under Terraform's names.
fn shown_object(change: &ResourceChange, object: Option<&Value>) -> Option<Shown> {
    let marked = object?.clone().mark_paths(&change.sensitive_attributes);
    Some(show(&terraform_object(&change.resource_type, &marked)))
}

/// Terraform's actions for a change.
fn actions(change: &ResourceChange) -> Vec<&'static str> {
    match change.action {
        Action::Create => vec!["create"],
        Action::Update => vec!["update"],
        Action::Delete => vec!["delete"],
        Action::Replace if change.create_before_destroy => vec!["create", "delete"],
        Action::Replace => vec!["delete", "create"],
        Action::NoOp => vec!["no-op"],
        Action::Read => vec!["read"],
        Action::Forget => vec!["forget"],
    }
}

/// The parts of an address Terraform's plan names.
struct Address {
    full: String,
    /// `module.NAME[KEY]` steps, outermost first.
    module: Vec<String>,
    mode: &'static str,
    type_name: String,
    name: String,
    index: Option<Json>,
}

/// The change's address as Terraform writes it (`aws_s3_bucket.logs`):
/// how the plan document names it.
pub fn terraform_address(change: &ResourceChange) -> String {
    address(change).full
}

fn address(change: &ResourceChange) -> Address {
    let Ok(mut parsed) = InstanceAddr::parse(&change.address) else {
        // Addresses in a plan are the engine's own: this is not reached.
        return Address {
            full: change.address.clone(),
            module: Vec::new(),
            mode: "managed",
            type_name: terraform_type(&change.resource_type),
            name: change.address.clone(),
            index: None,
        };
    };
    parsed.block.type_name = terraform_type(&parsed.block.type_name);
    let module = parsed
        .block
        .module
        .iter()
        .map(ToString::to_string)
        .collect();
    Address {
        full: parsed.to_string(),
        module,
        mode: match parsed.block.mode {
            Mode::Managed => "managed",
            Mode::Data => "data",
        },
        type_name: parsed.block.type_name.clone(),
        name: parsed.block.name.clone(),
        index: parsed.key.as_ref().map(|key| match key {
            InstanceKey::Index(i) => json!(i),
            InstanceKey::Key(k) => json!(k),
        }),
    }
}

/// What the conversion needs to know besides the plan.
pub struct ShowContext<'a> {
    /// The input variables the plan was made with; `true` when secret.
    pub variables: Vec<(String, Value, bool)>,
    /// The Terraform provider source of a change (`registry.terraform.io/
    /// hashicorp/aws`).
    pub provider_name: &'a dyn Fn(&ResourceChange) -> String,
    /// The root module's resource blocks: (address, mode, type, name,
    /// provider configuration key), Nimbus's names.
    pub configured: Vec<ConfiguredResource>,
    /// Whether a top-level section (`resource_changes`, ...) is wanted:
    /// the others are left out, never built.
    pub wanted: &'a dyn Fn(&str) -> bool,
}

/// A resource block of the root module, for `configuration`.
pub struct ConfiguredResource {
    pub mode: Mode,
    pub resource_type: String,
    pub name: String,
    /// The provider configuration's local name (`aws`, `aws.west`).
    pub provider: String,
    pub provider_source: String,
}

/// The plan in Terraform's JSON plan representation.
pub fn plan_json(plan: &Plan, context: &ShowContext<'_>) -> Json {
    let wanted = context.wanted;
    let mut resource_changes = Vec::new();
    // Planned resources by module steps (none for the root).
    let mut planned: BTreeMap<Vec<String>, Vec<Json>> = BTreeMap::new();
    let changes = if wanted("resource_changes") || wanted("planned_values") {
        &plan.changes[..]
    } else {
        &[]
    };
    for change in changes {
        let at = address(change);
        let before = shown_object(change, change.before.as_ref());
        let after = shown_object(change, change.after.as_ref());
        let provider_name = (context.provider_name)(change);
        let mut entry = Map::new();
        entry.insert("address".into(), json!(at.full));
        if !at.module.is_empty() {
            entry.insert("module_address".into(), json!(at.module.join(".")));
        }
        entry.insert("mode".into(), json!(at.mode));
        entry.insert("type".into(), json!(at.type_name));
        entry.insert("name".into(), json!(at.name));
        if let Some(index) = &at.index {
            entry.insert("index".into(), index.clone());
        }
        entry.insert("provider_name".into(), json!(provider_name));
        let mut body = json!({
            "actions": actions(change),
            "before": before.as_ref().map_or(Json::Null, |s| s.value.clone()),
            "after": after.as_ref().map_or(Json::Null, |s| s.value.clone()),
            "after_unknown": after.as_ref().map_or(Json::Bool(false), |s| s.unknown.clone()),
            "before_sensitive": before.as_ref().map_or(Json::Bool(false), |s| s.sensitive.clone()),
            "after_sensitive": after.as_ref().map_or(Json::Bool(false), |s| s.sensitive.clone()),
        });
        if !change.requires_replace.is_empty() {
            body["replace_paths"] = Json::Array(
                change
                    .requires_replace
                    .iter()
                    .map(|name| json!([terraform_attribute(&change.resource_type, name)]))
                    .collect(),
            );
        }
        entry.insert("change".into(), body);
        if let Some(reason) = action_reason(change) {
            entry.insert("action_reason".into(), json!(reason));
        }
        if let Some(after) = &after
            && change.action != Action::Delete
            && change.action != Action::Forget
        {
            let mut resource = Map::new();
            for key in ["address", "mode", "type", "name", "index", "provider_name"] {
                if let Some(v) = entry.get(key) {
                    resource.insert(key.into(), v.clone());
                }
            }
            resource.insert("schema_version".into(), json!(0));
            resource.insert("values".into(), after.value.clone());
            resource.insert("sensitive_values".into(), after.sensitive.clone());
            planned
                .entry(at.module.clone())
                .or_default()
                .push(Json::Object(resource));
        }
        resource_changes.push(Json::Object(entry));
    }
    let mut output_changes = Map::new();
    let mut planned_outputs = Map::new();
    for output in &plan.outputs {
        let actions = match (&output.before, output.removed) {
            (_, true) => vec!["delete"],
            (None, false) => vec!["create"],
            (Some(before), false) if before == &output.after => vec!["no-op"],
            (Some(_), false) => vec!["update"],
        };
        let mark = |v: &Value| {
            if output.sensitive {
                Value::Sensitive(Box::new(v.clone()))
            } else {
                v.clone()
            }
        };
        let before = output.before.as_ref().map(|v| show(&mark(v)));
        let after = (!output.removed).then(|| show(&mark(&output.after)));
        output_changes.insert(
            output.name.clone(),
            json!({
                "actions": actions,
                "before": before.as_ref().map_or(Json::Null, |s| s.value.clone()),
                "after": after.as_ref().map_or(Json::Null, |s| s.value.clone()),
                "after_unknown": after.as_ref().map_or(Json::Bool(false), |s| s.unknown.clone()),
                "before_sensitive": before.as_ref().map_or(Json::Bool(false), |s| s.sensitive.clone()),
                "after_sensitive": after.as_ref().map_or(Json::Bool(false), |s| s.sensitive.clone()),
            }),
        );
        if let Some(after) = &after {
            let mut planned_output = Map::new();
            planned_output.insert("sensitive".into(), json!(output.sensitive));
            if !output.after.is_unknown() {
                planned_output.insert("value".into(), after.value.clone());
            }
            planned_outputs.insert(output.name.clone(), Json::Object(planned_output));
        }
    }
    let mut variables: Map<String, Json> = context
        .variables
        .iter()
        .map(|(name, value, secret)| {
            let shown = if *secret {
                Json::Null
            } else {
                show(value).value
            };
            (name.clone(), json!({ "value": shown }))
        })
        .collect();
    let mut document = Map::new();
    let mut section = |name: &str, make: &mut dyn FnMut() -> Json| {
        if wanted(name) {
            document.insert(name.to_string(), make());
        }
    };
    section("format_version", &mut || json!(FORMAT_VERSION));
    section("terraform_version", &mut || {
        json!(crate::terraform_state::EXPORTED_TERRAFORM_VERSION)
    });
    section("variables", &mut || {
        Json::Object(std::mem::take(&mut variables))
    });
    section("planned_values", &mut || {
        json!({
            "outputs": std::mem::take(&mut planned_outputs),
            "root_module": module_values(&[], &planned),
        })
    });
    section("resource_changes", &mut || {
        Json::Array(std::mem::take(&mut resource_changes))
    });
    section("output_changes", &mut || {
        Json::Object(std::mem::take(&mut output_changes))
    });
    section("configuration", &mut || configuration(&context.configured));
    section("errored", &mut || json!(false));
    Json::Object(document)
}

/// A Nimbus attribute's Terraform name (itself when it has none).
fn terraform_attribute(resource_type: &str, name: &str) -> String {
    aws_mapping(resource_type)
        .and_then(|m| m.attributes.iter().find(|(n, _)| *n == name))
        .map_or_else(|| name.replace('-', "_"), |(_, t)| t.to_string())
}

fn action_reason(change: &ResourceChange) -> Option<&'static str> {
    match change.action {
        Action::Replace if change.replace_triggered_by.is_some() => Some("replace_by_triggers"),
        Action::Replace if change.reason.as_deref() == Some("tainted") => {
            Some("replace_because_tainted")
        }
        Action::Replace => Some("replace_because_cannot_update"),
        Action::Delete if change.reason.is_some() => Some("delete_because_no_resource_config"),
        _ => None,
    }
}

/// `planned_values`' module at `path` (no steps: the root), with the
/// modules under it: every module a planned resource is in, and the
/// modules on the way to it.
fn module_values(path: &[String], planned: &BTreeMap<Vec<String>, Vec<Json>>) -> Json {
    let mut module = Map::new();
    if !path.is_empty() {
        module.insert("address".into(), json!(path.join(".")));
    }
    module.insert(
        "resources".into(),
        Json::Array(planned.get(path).cloned().unwrap_or_default()),
    );
    let mut children: Vec<&[String]> = planned
        .keys()
        .filter(|steps| steps.len() > path.len() && steps.starts_with(path))
        .map(|steps| &steps[..=path.len()])
        .collect();
    children.dedup();
    if !children.is_empty() {
        let children = children
            .into_iter()
            .map(|child| module_values(child, planned))
            .collect();
        module.insert("child_modules".into(), Json::Array(children));
    }
    Json::Object(module)
}

/// `configuration`: the root module's resource blocks and their provider
/// configurations (expressions are not included).
fn configuration(configured: &[ConfiguredResource]) -> Json {
    let mut providers = Map::new();
    let resources: Vec<Json> = configured
        .iter()
        .map(|r| {
            let type_name = terraform_type(&r.resource_type);
            let prefix = match r.mode {
                Mode::Managed => String::new(),
                Mode::Data => "data.".to_string(),
            };
            let (name, alias) = match r.provider.split_once('.') {
                Some((name, alias)) => (name, Some(alias)),
                None => (r.provider.as_str(), None),
            };
            let mut provider = json!({ "name": name, "full_name": r.provider_source });
            if let Some(alias) = alias {
                provider["alias"] = json!(alias);
            }
            providers.insert(r.provider.clone(), provider);
            json!({
                "address": format!("{prefix}{type_name}.{}", r.name),
                "mode": match r.mode { Mode::Managed => "managed", Mode::Data => "data" },
                "type": type_name,
                "name": r.name,
                "provider_config_key": r.provider,
                "schema_version": 0,
            })
        })
        .collect();
    json!({
        "provider_config": providers,
        "root_module": { "resources": resources },
    })
}

/// Why a Terraform JSON plan cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Terraform JSON plan (`terraform show -json PLANFILE`): {0}")]
pub struct NotATerraformPlan(String);

/// The resource changes of a plan in Terraform's JSON plan representation
/// (what `terraform show -json PLANFILE` prints), as Nimbus's changes, so
/// that Nimbus's policies check a Terraform plan. The AWS provider's types
/// take their Nimbus names and attributes (`aws_s3_bucket`'s `bucket` is
/// `s3-bucket`'s `bucket-name`, its versioning and encryption blocks the
/// bucket's `versioning` and `encryption`); other types keep theirs with
/// `-` for `_`. A value `after_unknown` marks is unknown, one
/// `before_sensitive`/`after_sensitive` marks is secret (Terraform's
/// document holds secrets in clear: they stay marked, so no report shows
/// them).
pub fn changes_from_terraform(document: &Json) -> Result<Vec<ResourceChange>, NotATerraformPlan> {
    let fail = |what: &str| NotATerraformPlan(what.to_string());
    let changes = match document.get("resource_changes") {
        Some(Json::Array(changes)) => changes,
        Some(_) => return Err(fail("`resource_changes` is not a list")),
        None if document.get("format_version").is_some() => return Ok(Vec::new()),
        None => return Err(fail("it has no `format_version` or `resource_changes`")),
    };
    let mut out = Vec::with_capacity(changes.len());
    for (n, change) in changes.iter().enumerate() {
        let text = |key: &str| change.get(key).and_then(Json::as_str);
        let (Some(address), Some(terraform_type)) = (text("address"), text("type")) else {
            return Err(fail(&format!(
                "resource change {} has no `address` or `type`",
                n + 1
            )));
        };
        let Some(body) = change.get("change") else {
            return Err(fail(&format!("{address} has no `change`")));
        };
        let actions: Vec<&str> = body
            .get("actions")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let action = match actions.as_slice() {
            ["no-op"] => Action::NoOp,
            ["create"] => Action::Create,
            ["update"] => Action::Update,
            ["delete"] => Action::Delete,
            ["read"] => Action::Read,
            ["forget"] => Action::Forget,
            ["delete", "create"] | ["create", "delete"] => Action::Replace,
            other => {
                return Err(fail(&format!(
                    "{address}: actions {other:?} are not Terraform's"
                )));
            }
        };
        let mapping = AWS_TYPES.iter().find(|m| m.terraform == terraform_type);
        let resource_type = mapping.map_or_else(
            || terraform_type.replace('_', "-"),
            |m| m.nimbus.to_string(),
        );
        let object = |value: &str, unknown: Option<&str>, sensitive: &str| {
            let value = body.get(value).filter(|v| !v.is_null())?;
            let marked = marked_value(
                value,
                unknown.and_then(|u| body.get(u)),
                body.get(sensitive),
            );
            Some(nimbus_object(mapping, marked))
        };
        let before = object("before", None, "before_sensitive");
        let after = object("after", Some("after_unknown"), "after_sensitive");
        let sensitive_attributes = after
            .as_ref()
            .or(before.as_ref())
            .map(Value::sensitive_paths)
            .unwrap_or_default();
        out.push(ResourceChange {
            address: address.to_string(),
            resource_type,
            provider: change
                .get("provider_name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            action,
            before,
            after,
            requires_replace: Vec::new(),
            sensitive_attributes,
            create_before_destroy: actions.first() == Some(&"create") && actions.len() == 2,
            reason: None,
            replace_triggered_by: None,
        });
    }
    Ok(out)
}

/// `value` with the marks of the two shapes Terraform gives beside it:
/// `true` where a value is unknown (its `after` left out or null) or
/// secret, maps and lists of such shapes inside.
fn marked_value(value: &Json, unknown: Option<&Json>, sensitive: Option<&Json>) -> Value {
    if unknown == Some(&Json::Bool(true)) {
        return Value::Unknown;
    }
    if sensitive == Some(&Json::Bool(true)) {
        return Value::Sensitive(Box::new(Value::from_json(value)));
    }
    match value {
        Json::Object(map) => {
            let mut out: BTreeMap<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    let (u, s) = (
                        unknown.and_then(|s| s.get(k)),
                        sensitive.and_then(|s| s.get(k)),
                    );
                    (k.clone(), marked_value(v, u, s))
                })
                .collect();
            // Unknown attributes are left out of `after`: they are there,
            // unknown.
            if let Some(Json::Object(shape)) = unknown {
                for (k, v) in shape {
                    if v == &Json::Bool(true) {
                        out.entry(k.clone()).or_insert(Value::Unknown);
                    }
                }
            }
            Value::Map(out.into_iter().collect())
        }
        Json::Array(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    marked_value(
                        v,
                        unknown.and_then(|s| s.get(i)),
                        sensitive.and_then(|s| s.get(i)),
                    )
                })
                .collect(),
        ),
        other => Value::from_json(other),
    }
}

/// A Terraform object under the Nimbus type's attribute names (the AWS
/// types); any other type's attributes with `-` for `_`.
fn nimbus_object(mapping: Option<&TypeMapping>, object: Value) -> Value {
    let Value::Map(map) = object else {
        return object;
    };
    let Some(mapping) = mapping else {
        return Value::Map(
            map.into_iter()
                .map(|(k, v)| (k.replace('_', "-"), v))
                .collect(),
        );
    };
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (nimbus, terraform) in mapping.attributes {
        if let Some(value) = map.get(*terraform) {
            out.insert(nimbus.to_string(), value.clone());
        }
    }
    // The blocks `s3_bucket_blocks` and `dynamodb_table_blocks` write,
    // read back.
    let first = |value: Option<&Value>| -> Option<Value> {
        match value? {
            Value::List(items) => items.first().cloned(),
            _ => None,
        }
    };
    let field = |value: Option<Value>, key: &str| -> Option<Value> {
        match value? {
            Value::Map(m) => m.get(key).cloned(),
            Value::Unknown => Some(Value::Unknown),
            _ => None,
        }
    };
    if mapping.nimbus == "dynamodb-table" {
        match map.get("server_side_encryption") {
            Some(Value::Unknown) => {
                out.insert("server-side-encryption".into(), Value::Unknown);
            }
            block => {
                let block = first(block);
                let enabled = field(block.clone(), "enabled").unwrap_or(Value::Bool(false));
                out.insert("server-side-encryption".into(), enabled);
                if let Some(key) = field(block, "kms_key_arn") {
                    out.insert("kms-key-arn".into(), key);
                }
            }
        }
    }
    if mapping.nimbus == "s3-bucket" {
        if let Some(enabled) = field(first(map.get("versioning")), "enabled") {
            out.insert("versioning".into(), enabled);
        }
        let default = first(
            field(
                first(
                    field(
                        first(map.get("server_side_encryption_configuration")),
                        "rule",
                    )
                    .as_ref(),
                ),
                "apply_server_side_encryption_by_default",
            )
            .as_ref(),
        );
        match map.get("server_side_encryption_configuration") {
            Some(Value::Unknown) => {
                out.insert("encryption".into(), Value::Unknown);
            }
            _ => {
                if let Some(algorithm) = field(default.clone(), "sse_algorithm") {
                    out.insert("encryption".into(), algorithm);
                }
                if let Some(key) = field(default, "kms_master_key_id") {
                    out.insert("kms-key-id".into(), key);
                }
            }
        }
    }
    Value::Map(out.into_iter().collect())
}
