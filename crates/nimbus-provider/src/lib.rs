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
//!
//! Besides the interface, the toolkit that in-process providers build on:
//! [`attrs`] reads attributes out of object values with typed errors,
//! [`planning`] plans a change from the schema and builds and checks the
//! objects that apply hands back, and `testing` (with the `test-support`
//! feature) drives a provider through its operations in a unit test.

use async_trait::async_trait;
use nimbus_value::{ProviderSchema, Value};
use std::sync::Arc;

pub mod attrs;
pub mod planning;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use nimbus_value;
pub use planning::{proposed_state, proposed_state_from};

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

    pub fn warning(attribute: Option<&str>, message: impl Into<String>) -> ProviderDiagnostic {
        ProviderDiagnostic {
            error: false,
            ..ProviderDiagnostic::error(attribute, message)
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
    /// What the provider warns about (never errors: those are `Err`).
    pub warnings: Vec<ProviderDiagnostic>,
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

impl<'a> ApplyRequest<'a> {
    /// The prior state an update changes; an error when there is none.
    pub fn prior_for_update(&self) -> Result<&'a Value, ProviderError> {
        self.prior_state.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot update {} without its prior state",
                self.type_name
            ))
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplyResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    /// What the provider warns about (never errors: those are `Err`).
    pub warnings: Vec<ProviderDiagnostic>,
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
