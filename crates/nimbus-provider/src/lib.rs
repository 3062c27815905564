//! The provider interface.
//!
//! A provider owns a set of resource types and data sources. The engine talks
//! to every provider through [`Provider`] alone, so three very different
//! implementations fit behind it unchanged: built-in Rust providers (called
//! in-process), the AWS provider (SDK calls), and external Terraform plugin
//! processes (gRPC). That is why every operation is async, takes and returns
//! whole object values, and carries opaque provider-private bytes.
//!
//! Values handed to providers carry no sensitive marks (the schema says what
//! is sensitive) and no unknowns except in `planned_state` during planning.

use async_trait::async_trait;
use nimbus_value::{Presence, ProviderSchema, Schema, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use nimbus_value;

/// How the engine should treat a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// Throttling, timeouts, 5xx, dropped connections: retried with backoff.
    Retryable,
    /// The request itself is wrong or was refused: not retried.
    Fatal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub kind: ErrorKind,
    pub message: String,
    /// The attribute the error is about, so the engine can point at its
    /// location in the configuration.
    pub attribute: Option<String>,
}

impl ProviderError {
    pub fn fatal(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Fatal,
            message: message.into(),
            attribute: None,
        }
    }

    pub fn retryable(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Retryable,
            message: message.into(),
            attribute: None,
        }
    }

    pub fn on_attribute(mut self, attribute: impl Into<String>) -> ProviderError {
        self.attribute = Some(attribute.into());
        self
    }

    pub fn is_retryable(&self) -> bool {
        self.kind == ErrorKind::Retryable
    }
}

/// A problem found by `validate`, tied to an attribute when possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderDiagnostic {
    pub error: bool,
    pub message: String,
    pub attribute: Option<String>,
}

impl ProviderDiagnostic {
    pub fn error(attribute: Option<&str>, message: impl Into<String>) -> ProviderDiagnostic {
        ProviderDiagnostic {
            error: true,
            message: message.into(),
            attribute: attribute.map(str::to_string),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    /// `None` when the object does not exist yet.
    pub prior_state: Option<&'a Value>,
    pub prior_private: &'a [u8],
    /// The configuration as written (null for unset attributes; may hold
    /// unknowns from references to objects not yet created).
    pub config: &'a Value,
    /// The engine's proposal: configured values, with computed attributes
    /// carried over from prior state (or unknown on create).
    pub proposed_state: &'a Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanResponse {
    /// What the object will look like; unknown where only apply can tell.
    pub planned_state: Value,
    /// Attributes whose change forces replacement. Empty: update in place.
    pub requires_replace: Vec<String>,
    pub planned_private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ApplyRequest<'a> {
    pub type_name: &'a str,
    /// `None` for create.
    pub prior_state: Option<&'a Value>,
    pub planned_state: &'a Value,
    pub config: &'a Value,
    pub private: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplyResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ReadRequest<'a> {
    pub type_name: &'a str,
    pub current_state: &'a Value,
    pub private: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct DeleteRequest<'a> {
    pub type_name: &'a str,
    pub prior_state: &'a Value,
    pub private: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedObject {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

#[async_trait]
pub trait Provider: Send + Sync {
    /// The schema of everything this provider offers. Cheap to call.
    fn schema(&self) -> Arc<ProviderSchema>;

    /// A key for the endpoint this provider instance talks to; the engine
    /// keeps one circuit breaker per key.
    fn endpoint(&self) -> String;

    /// Called once per run with the `(provider ...)` block's values before
    /// any other operation except `schema`.
    async fn configure(&self, config: &Value) -> Result<(), ProviderError>;

    /// Checks a resource's configuration beyond what the schema expresses.
    async fn validate_resource(
        &self,
        _type_name: &str,
        _config: &Value,
    ) -> Result<Vec<ProviderDiagnostic>, ProviderError> {
        Ok(Vec::new())
    }

    /// Decides the planned state and whether the change is an in-place
    /// update or a replacement. Never changes anything real.
    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError>;

    async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError>;

    async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError>;

    async fn delete(&self, request: DeleteRequest<'_>) -> Result<(), ProviderError>;

    /// Reads the object as it is now; `None` when it no longer exists.
    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<ReadResponse>, ProviderError>;

    /// Adopts an existing object by its id.
    async fn import(&self, type_name: &str, id: &str)
    -> Result<Vec<ImportedObject>, ProviderError>;

    /// Reads a data source.
    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError>;

    /// Brings stored state written by an older schema version up to date.
    async fn upgrade_state(
        &self,
        _type_name: &str,
        _stored_version: u64,
        state: Value,
    ) -> Result<Value, ProviderError> {
        Ok(state)
    }

    /// Releases resources (plugin processes, connections). Idempotent.
    async fn shutdown(&self) {}
}

/// The proposal the engine hands to `plan`: configured values where set;
/// for attributes the provider computes, the prior value when there is one
/// and unknown when the object is new.
pub fn proposed_state(schema: &Schema, prior: Option<&Value>, config: &Value) -> Value {
    proposed_state_from(schema, prior, config.clone())
}

/// [`proposed_state`] built in place from a configuration the caller no
/// longer needs: an evaluated block already has every schema attribute, so
/// usually only the computed ones change.
pub fn proposed_state_from(schema: &Schema, prior: Option<&Value>, config: Value) -> Value {
    let mut map = match config {
        Value::Map(map) => map,
        _ => BTreeMap::new(),
    };
    map.retain(|name, _| schema.attributes.contains_key(name));
    let computed = |name: &str| match prior.and_then(|p| p.get(name)) {
        Some(v) => v.clone(),
        None => Value::Unknown,
    };
    for (name, attribute) in &schema.attributes {
        match map.get_mut(name) {
            Some(value) => {
                if value.is_null() && attribute.is_computed() {
                    *value = computed(name);
                }
            }
            None => {
                let value = if attribute.is_computed() {
                    computed(name)
                } else {
                    Value::Null
                };
                map.insert(name.clone(), value);
            }
        }
    }
    Value::Map(map)
}

/// A plan that fits most resource types: configured attributes that differ
/// from prior state and are marked `force_new` require replacement; when the
/// object is replaced, computed-only attributes become unknown again.
pub fn plan_by_schema(schema: &Schema, request: &PlanRequest<'_>) -> PlanResponse {
    let proposed = request.proposed_state;
    let Some(prior) = request.prior_state else {
        return PlanResponse {
            planned_state: proposed.clone(),
            requires_replace: Vec::new(),
            planned_private: Vec::new(),
        };
    };
    let requires_replace: Vec<String> = schema
        .attributes
        .iter()
        .filter(|(name, attribute)| {
            attribute.force_new && attribute.is_settable() && {
                let new = proposed.get(name).unwrap_or(&Value::Null);
                let old = prior.get(name).unwrap_or(&Value::Null);
                new.is_unknown() || new != old
            }
        })
        .map(|(name, _)| name.clone())
        .collect();
    let mut planned = proposed.clone();
    if !requires_replace.is_empty()
        && let Value::Map(map) = &mut planned
    {
        for (name, attribute) in &schema.attributes {
            if attribute.presence == Presence::Computed {
                map.insert(name.clone(), Value::Unknown);
            }
        }
    }
    PlanResponse {
        planned_state: planned,
        requires_replace,
        planned_private: request.prior_private.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_value::{AttributeSchema, Type};

    fn schema() -> Schema {
        Schema::new("t")
            .attr("name", AttributeSchema::required(Type::String).force_new())
            .attr("note", AttributeSchema::optional(Type::String))
            .attr("id", AttributeSchema::computed(Type::String))
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn new_objects_get_unknown_computed_values() {
        let config = obj(&[("name", "a".into())]);
        let proposed = proposed_state(&schema(), None, &config);
        assert!(proposed.get("id").unwrap().is_unknown());
        assert!(proposed.get("note").unwrap().is_null());
    }

    #[test]
    fn force_new_change_replaces_and_forgets_computed() {
        let prior = obj(&[
            ("name", "a".into()),
            ("note", Value::Null),
            ("id", "x".into()),
        ]);
        let config = obj(&[("name", "b".into())]);
        let proposed = proposed_state(&schema(), Some(&prior), &config);
        let request = PlanRequest {
            type_name: "t",
            prior_state: Some(&prior),
            prior_private: &[],
            config: &config,
            proposed_state: &proposed,
        };
        let plan = plan_by_schema(&schema(), &request);
        assert_eq!(plan.requires_replace, vec!["name".to_string()]);
        assert!(plan.planned_state.get("id").unwrap().is_unknown());

        let config = obj(&[("name", "a".into()), ("note", "n".into())]);
        let proposed = proposed_state(&schema(), Some(&prior), &config);
        let request = PlanRequest {
            config: &config,
            proposed_state: &proposed,
            ..request
        };
        let plan = plan_by_schema(&schema(), &request);
        assert!(plan.requires_replace.is_empty());
        assert_eq!(plan.planned_state.get("id"), Some(&Value::string("x")));
    }
}
