//! [`PluginProvider`]: one Terraform provider process behind the Nimbus
//! [`Provider`] trait.
//!
//! Each instance owns its process and a small Tokio runtime of its own (one
//! worker thread) on which the process, its output readers and the gRPC
//! connection live. That makes the provider usable from any context: it can
//! be launched from synchronous code (the CLI's provider catalog) and called
//! from whatever runtime the engine runs on. `shutdown()` stops the process
//! gracefully; dropping the provider without it does the same with a
//! bounded wait, then kills.
//!
//! How the trait maps to the protocol:
//!
//! | trait | RPCs |
//! | --- | --- |
//! | `configure` | `PrepareProviderConfig` (5) / `ValidateProviderConfig` (6), then `Configure` / `ConfigureProvider` |
//! | `validate_resource` | `ValidateResourceTypeConfig` / `ValidateResourceConfig` |
//! | `plan` | `PlanResourceChange` (with Terraform's proposed new state, computed here; a replacement is planned again as a create) |
//! | `create` / `update` / `delete` | `ApplyResourceChange` (null prior / null planned for create / delete) |
//! | `read` | `UpgradeResourceState` (stored JSON to the current schema), then `ReadResource` |
//! | `import` | `ImportResourceState` |
//! | `read_data` | `ValidateDataSourceConfig` / `ValidateDataResourceConfig`, then `ReadDataSource` |
//! | `upgrade_state` | `UpgradeResourceState` |
//! | `shutdown` | `GRPCController.Shutdown`, wait, kill |

use crate::PluginError;
use crate::client::{AttrPath, Client, Diag, Dynamic, Step};
use crate::cty::{self, CtyError};
use crate::process::{PluginOptions, PluginProcess};
use crate::schema::{BlockSchema, PluginSchema};
use async_trait::async_trait;
use nimbus_provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, ErrorKind, ImportedObject, PlanRequest,
    PlanResponse, Provider, ProviderDiagnostic, ProviderError, ReadRequest, ReadResponse,
};
use nimbus_value::{ProviderSchema, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tonic::Code;

/// Longest wait for the schema right after start-up.
const SCHEMA_TIMEOUT: Duration = Duration::from_secs(120);

struct Inner {
    process: PluginProcess,
    client: Client,
    schema: PluginSchema,
    terraform_version: String,
}

/// A running Terraform provider plugin.
pub struct PluginProvider {
    inner: Arc<Inner>,
    nimbus_schema: Arc<ProviderSchema>,
    handle: tokio::runtime::Handle,
    runtime: Option<tokio::runtime::Runtime>,
    closed: AtomicBool,
    shutdown_timeout: Duration,
}

/// A task on the plugin's runtime that is cancelled when its caller stops
/// waiting for it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, PluginError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("nimbus-plugin")
        .enable_all()
        .build()
        .map_err(|e| PluginError::Start(format!("cannot start the plugin runtime: {e}")))
}

impl Inner {
    async fn start(options: PluginOptions) -> Result<Inner, PluginError> {
        let process = PluginProcess::start(&options).await?;
        let client = Client::new(process.handshake.protocol_version, process.channel.clone());
        let answer = tokio::time::timeout(SCHEMA_TIMEOUT, client.schema()).await;
        let failed = |message: String| {
            PluginError::Protocol(format!(
                "{}: {message}{}",
                options.name,
                process.stderr.as_note()
            ))
        };
        let schema = match answer {
            Err(_) => Err(failed(format!("no schema within {SCHEMA_TIMEOUT:?}"))),
            Ok(Err(status)) => Err(failed(format!(
                "reading the schema failed: {}",
                status.message()
            ))),
            Ok(Ok((_, diags))) if diags.iter().any(|d| d.error) => Err(failed(format!(
                "the provider reported errors in its schema: {}",
                join_errors(&diags)
            ))),
            Ok(Ok((Err(e), _))) => Err(failed(e.to_string())),
            Ok(Ok((Ok(schema), _))) => Ok(schema),
        };
        match schema {
            Ok(schema) => Ok(Inner {
                process,
                client,
                schema,
                terraform_version: options.terraform_version,
            }),
            Err(e) => {
                process.shutdown().await;
                Err(e)
            }
        }
    }

    fn name(&self) -> &str {
        &self.process.name
    }

    fn resource(&self, type_name: &str) -> Result<&BlockSchema, ProviderError> {
        self.schema.resources.get(type_name).ok_or_else(|| {
            ProviderError::fatal(format!(
                "provider {} has no resource type `{type_name}`",
                self.name()
            ))
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&BlockSchema, ProviderError> {
        self.schema.data_sources.get(type_name).ok_or_else(|| {
            ProviderError::fatal(format!(
                "provider {} has no data source `{type_name}`",
                self.name()
            ))
        })
    }

    /// A transport-level failure. Calls that change nothing are retryable
    /// while the process lives; a dead process is always fatal.
    async fn rpc_error(
        &self,
        op: &str,
        status: tonic::Status,
        changes_things: bool,
    ) -> ProviderError {
        if let Some(how) = self.process.exited().await {
            return ProviderError::fatal(format!(
                "the plugin process of {} {how} during {op}{}",
                self.name(),
                self.process.stderr.as_note()
            ));
        }
        let message = format!(
            "{op} on {} failed: {} ({:?})",
            self.name(),
            status.message(),
            status.code()
        );
        let transient = matches!(
            status.code(),
            Code::Unavailable | Code::ResourceExhausted | Code::DeadlineExceeded
        );
        if transient && !changes_things {
            ProviderError::retryable(message)
        } else {
            ProviderError::fatal(message)
        }
    }

    /// Returns the warnings (for the engine to show with the object they
    /// concern); turns errors into one `ProviderError`. Where an operation
    /// has no way to pass warnings on, `check_logged` logs them.
    fn check(&self, op: &str, diags: &[Diag]) -> Result<Vec<ProviderDiagnostic>, ProviderError> {
        let Some(first) = diags.iter().find(|d| d.error) else {
            return Ok(diags
                .iter()
                .map(|d| ProviderDiagnostic {
                    error: false,
                    message: format!("{op}: {}", d.message()),
                    attribute: d
                        .path
                        .as_ref()
                        .and_then(|p| p.first_attribute())
                        .map(str::to_string),
                })
                .collect());
        };
        Err(ProviderError {
            kind: ErrorKind::Fatal,
            message: join_errors(diags),
            attribute: first
                .path
                .as_ref()
                .and_then(|p| p.first_attribute())
                .map(str::to_string),
        })
    }

    /// [`Self::check`] for operations that return no warnings: they go
    /// to the log, which the CLI shows on stderr.
    fn check_logged(&self, op: &str, diags: &[Diag]) -> Result<(), ProviderError> {
        for warning in self.check(op, diags)? {
            tracing::warn!(plugin = %self.name(), "warning: {}", warning.message);
        }
        Ok(())
    }
}

fn join_errors(diags: &[Diag]) -> String {
    diags
        .iter()
        .filter(|d| d.error)
        .map(Diag::message)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value that does not fit the plugin's schema.
fn value_error(what: &str, e: CtyError) -> ProviderError {
    let attribute = e
        .path
        .split(['.', '['])
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    ProviderError {
        kind: ErrorKind::Fatal,
        message: format!("{what}: {e}"),
        attribute,
    }
}

fn encode(value: &Value, block: &BlockSchema, what: &str) -> Result<Dynamic, ProviderError> {
    Dynamic::encode(&block.normalize(value), &block.cty_type()).map_err(|e| value_error(what, e))
}

fn decode(value: &Dynamic, block: &BlockSchema, what: &str) -> Result<Value, ProviderError> {
    value
        .decode(&block.cty_type())
        .map_err(|e| value_error(what, e))
}

/// The value at `path`, when there is one.
fn value_at<'v>(value: &'v Value, path: &AttrPath) -> Option<&'v Value> {
    let mut current = value;
    for step in &path.0 {
        current = match (step, current.peel()) {
            (Step::Attribute(name) | Step::Key(name), Value::Map(map)) => map.get(name)?,
            (Step::Index(i), Value::List(items)) => items.get(usize::try_from(*i).ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The top-level attributes whose change forces replacement, from the
/// paths the plugin named. As in Terraform, a path counts only when the
/// value there changes between prior and planned state (an unknown planned
/// value counts as a change). Attributes the configuration does not set and
/// the provider computes (the legacy SDK always names `id`) are left out
/// unless nothing else remains, so the list says what the user changed
/// while a replacement the provider decided on alone stays a replacement.
fn replacing_attributes(
    block: &BlockSchema,
    paths: &[AttrPath],
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> Vec<String> {
    let mut changed: Vec<String> = paths
        .iter()
        .filter(|path| {
            let before = value_at(prior, path);
            let after = value_at(planned, path);
            if before.is_none() && after.is_none() {
                return false;
            }
            let after_known = after.is_none_or(Value::is_wholly_known);
            !after_known || before.unwrap_or(&Value::Null) != after.unwrap_or(&Value::Null)
        })
        .filter_map(|path| path.first_attribute().map(str::to_string))
        .collect();
    changed.sort();
    changed.dedup();
    let provider_decided = |name: &String| {
        block.attributes.get(name).is_some_and(|a| a.computed)
            && config.get(name).is_none_or(Value::is_null)
    };
    if changed.iter().any(|n| !provider_decided(n)) {
        changed.retain(|n| !provider_decided(n));
    }
    changed
}

impl PluginProvider {
    /// Starts the plugin, completes the handshake and reads its schema.
    /// Blocks the calling thread until then; callable from synchronous
    /// code and from inside any Tokio runtime.
    pub fn launch(options: PluginOptions) -> Result<PluginProvider, PluginError> {
        let runtime = runtime()?;
        let shutdown_timeout = options.shutdown_timeout;
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let _ = tx.send(Inner::start(options).await);
        });
        let started = rx.recv().unwrap_or_else(|_| {
            Err(PluginError::Start(
                "the plugin start-up task ended unexpectedly".into(),
            ))
        });
        PluginProvider::assemble(runtime, started, shutdown_timeout)
    }

    /// [`PluginProvider::launch`] for async callers.
    pub async fn launch_async(options: PluginOptions) -> Result<PluginProvider, PluginError> {
        let runtime = runtime()?;
        let shutdown_timeout = options.shutdown_timeout;
        let started = AbortOnDrop(runtime.spawn(Inner::start(options)))
            .await
            .unwrap_or_else(|e| {
                Err(PluginError::Start(format!(
                    "the plugin start-up task failed: {e}"
                )))
            });
        PluginProvider::assemble(runtime, started, shutdown_timeout)
    }

    fn assemble(
        runtime: tokio::runtime::Runtime,
        started: Result<Inner, PluginError>,
        shutdown_timeout: Duration,
    ) -> Result<PluginProvider, PluginError> {
        match started {
            Ok(inner) => Ok(PluginProvider {
                nimbus_schema: Arc::new(inner.schema.to_nimbus()),
                inner: Arc::new(inner),
                handle: runtime.handle().clone(),
                runtime: Some(runtime),
                closed: AtomicBool::new(false),
                shutdown_timeout,
            }),
            Err(e) => {
                runtime.shutdown_background();
                Err(e)
            }
        }
    }

    /// The plugin protocol version in use (5 or 6).
    pub fn protocol_version(&self) -> u32 {
        self.inner.client.version()
    }

    /// The schema with its wire types.
    pub fn plugin_schema(&self) -> &PluginSchema {
        &self.inner.schema
    }

    /// The plugin process id.
    pub fn pid(&self) -> u32 {
        self.inner.process.pid
    }

    /// Asks the provider to cancel what it is doing (`Stop`); the process
    /// keeps running.
    pub async fn stop(&self) -> Result<(), ProviderError> {
        let inner = self.inner.clone();
        self.run(async move {
            match inner.client.stop().await {
                Ok(e) if e.is_empty() => Ok(()),
                Ok(e) => Err(ProviderError::fatal(format!(
                    "stopping {}: {e}",
                    inner.name()
                ))),
                Err(status) => Err(inner.rpc_error("Stop", status, false).await),
            }
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        task: impl Future<Output = Result<T, ProviderError>> + Send + 'static,
    ) -> Result<T, ProviderError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(ProviderError::fatal(format!(
                "provider {} was shut down",
                self.inner.name()
            )));
        }
        match AbortOnDrop(self.handle.spawn(task)).await {
            Ok(result) => result,
            Err(e) => Err(ProviderError::fatal(format!(
                "call to {} failed: {e}",
                self.inner.name()
            ))),
        }
    }

    async fn apply(
        &self,
        op: &'static str,
        request: ApplyRequest<'_>,
        prior: Option<&Value>,
        must_exist: bool,
    ) -> Result<ApplyResponse, ProviderError> {
        let inner = self.inner.clone();
        let block = inner.resource(request.type_name)?;
        let prior = match prior {
            Some(p) => encode(p, block, "prior state")?,
            None => Dynamic::null(),
        };
        let (planned, config) = if must_exist {
            (
                encode(request.planned_state, block, "planned state")?,
                encode(request.config, block, "configuration")?,
            )
        } else {
            (Dynamic::null(), Dynamic::null())
        };
        let private = request.private.to_vec();
        let type_name = request.type_name.to_string();
        self.run(async move {
            let r = match inner
                .client
                .apply(&type_name, prior, planned, config, private)
                .await
            {
                Ok(r) => r,
                Err(status) => return Err(inner.rpc_error(op, status, true).await),
            };
            let warnings = inner.check(op, &r.diagnostics)?;
            let block = inner.resource(&type_name)?;
            let new_state = decode(&r.new_state, block, "new state")?;
            if must_exist && new_state.is_null() {
                return Err(ProviderError::fatal(format!(
                    "{} returned no object from {op} of {type_name}",
                    inner.name()
                )));
            }
            Ok(ApplyResponse {
                warnings,
                new_state,
                private: r.private,
            })
        })
        .await
    }

    /// Marks the provider closed; true only for the first caller (so
    /// `shutdown` and `Drop` stop the process once).
    fn begin_close(&self) -> bool {
        !self.closed.swap(true, Ordering::SeqCst)
    }
}

#[async_trait]
impl Provider for PluginProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.nimbus_schema.clone()
    }

    fn endpoint(&self) -> String {
        format!("plugin:{}:{}", self.inner.name(), self.inner.process.pid)
    }

    async fn configure(&self, config: &Value) -> Result<(), ProviderError> {
        let inner = self.inner.clone();
        let encoded = encode(config, &inner.schema.provider, "provider configuration")?;
        self.run(async move {
            let (prepared, diags) =
                match inner.client.validate_provider_config(encoded.clone()).await {
                    Ok(r) => r,
                    Err(status) => {
                        return Err(inner
                            .rpc_error("validating the provider configuration", status, false)
                            .await);
                    }
                };
            inner.check_logged("validating the provider configuration", &diags)?;
            let config = prepared.unwrap_or(encoded);
            let diags = match inner
                .client
                .configure(&inner.terraform_version, config)
                .await
            {
                Ok(d) => d,
                Err(status) => return Err(inner.rpc_error("Configure", status, false).await),
            };
            inner.check_logged("Configure", &diags)
        })
        .await
    }

    async fn validate_resource(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Vec<ProviderDiagnostic>, ProviderError> {
        let inner = self.inner.clone();
        let block = inner.resource(type_name)?;
        let encoded = encode(config, block, "configuration")?;
        let type_name = type_name.to_string();
        self.run(async move {
            let diags = match inner.client.validate_resource(&type_name, encoded).await {
                Ok(d) => d,
                Err(status) => return Err(inner.rpc_error("validation", status, false).await),
            };
            Ok(diags
                .into_iter()
                .map(|d| ProviderDiagnostic {
                    error: d.error,
                    message: d.message(),
                    attribute: d
                        .path
                        .as_ref()
                        .and_then(|p| p.first_attribute())
                        .map(str::to_string),
                })
                .collect())
        })
        .await
    }

    /// Plans with Terraform's proposed new state computed from the prior
    /// state and the configuration (the engine's `proposed_state` is not
    /// used: plugins expect nulls, not unknowns, for computed attributes of
    /// new objects). `requires_replace` lists the top-level attributes of
    /// the paths the plugin says force replacement (see
    /// [`replacing_attributes`]); a replacement is then planned again as a
    /// create, so its planned state is what the new object will look like.
    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let inner = self.inner.clone();
        let block = inner.resource(request.type_name)?;
        let prior_value = match request.prior_state {
            Some(p) => block.normalize(p),
            None => Value::Null,
        };
        let config_value = block.normalize(request.config);
        let proposed_value = block.proposed_new(&prior_value, &config_value);
        let ty = block.cty_type();
        let prior =
            Dynamic::encode(&prior_value, &ty).map_err(|e| value_error("prior state", e))?;
        let config =
            Dynamic::encode(&config_value, &ty).map_err(|e| value_error("configuration", e))?;
        let proposed =
            Dynamic::encode(&proposed_value, &ty).map_err(|e| value_error("proposed state", e))?;
        let creating = request.prior_state.is_none();
        let private = request.prior_private.to_vec();
        let type_name = request.type_name.to_string();
        self.run(async move {
            let r = match inner
                .client
                .plan(&type_name, prior, proposed, config, private)
                .await
            {
                Ok(r) => r,
                Err(status) => {
                    return Err(inner.rpc_error("PlanResourceChange", status, false).await);
                }
            };
            let warnings = inner.check("PlanResourceChange", &r.diagnostics)?;
            let block = inner.resource(&type_name)?;
            let planned_state = decode(&r.planned_state, block, "planned state")?;
            let requires_replace = if creating {
                Vec::new()
            } else {
                replacing_attributes(
                    block,
                    &r.requires_replace,
                    &prior_value,
                    &planned_state,
                    &config_value,
                )
            };
            if requires_replace.is_empty() {
                return Ok(PlanResponse {
                    warnings,
                    planned_state,
                    requires_replace,
                    planned_private: r.planned_private,
                });
            }
            // A replacement is a create: plan it as one, as Terraform does,
            // so that what the new object computes is unknown.
            let ty = block.cty_type();
            let fresh = block.proposed_new(&Value::Null, &config_value);
            let fresh =
                Dynamic::encode(&fresh, &ty).map_err(|e| value_error("proposed state", e))?;
            let config =
                Dynamic::encode(&config_value, &ty).map_err(|e| value_error("configuration", e))?;
            let r = match inner
                .client
                .plan(
                    &type_name,
                    Dynamic::null(),
                    fresh,
                    config,
                    r.planned_private,
                )
                .await
            {
                Ok(r) => r,
                Err(status) => {
                    return Err(inner.rpc_error("PlanResourceChange", status, false).await);
                }
            };
            let replacement_warnings = inner.check("PlanResourceChange", &r.diagnostics)?;
            Ok(PlanResponse {
                warnings: [warnings, replacement_warnings].concat(),
                planned_state: decode(&r.planned_state, block, "planned state")?,
                requires_replace,
                planned_private: r.planned_private,
            })
        })
        .await
    }

    async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        self.apply("create", request, None, true).await
    }

    async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let prior = request.prior_state;
        if prior.is_none() {
            return Err(ProviderError::fatal("update without a prior state"));
        }
        self.apply("update", request, prior, true).await
    }

    async fn delete(&self, request: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let apply = ApplyRequest {
            type_name: request.type_name,
            prior_state: Some(request.prior_state),
            planned_state: &Value::Null,
            config: &Value::Null,
            private: request.private,
        };
        self.apply("delete", apply, Some(request.prior_state), false)
            .await
            .map(|_| ())
    }

    /// Refreshes: the stored state first goes through
    /// `UpgradeResourceState` (as Terraform does before every use of stored
    /// state), then `ReadResource`. A null answer means the object is gone.
    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<ReadResponse>, ProviderError> {
        let inner = self.inner.clone();
        let block = inner.resource(request.type_name)?;
        let json = cty::to_cty_json(&block.normalize(request.current_state), &block.cty_type());
        let json = serde_json::to_vec(&json)
            .map_err(|e| ProviderError::fatal(format!("encoding state: {e}")))?;
        let version = block.version;
        let private = request.private.to_vec();
        let type_name = request.type_name.to_string();
        self.run(async move {
            let (upgraded, diags) = match inner
                .client
                .upgrade_resource_state(&type_name, version, json)
                .await
            {
                Ok(r) => r,
                Err(status) => {
                    return Err(inner.rpc_error("UpgradeResourceState", status, false).await);
                }
            };
            inner.check_logged("UpgradeResourceState", &diags)?;
            let r = match inner
                .client
                .read_resource(&type_name, upgraded, private)
                .await
            {
                Ok(r) => r,
                Err(status) => return Err(inner.rpc_error("ReadResource", status, false).await),
            };
            inner.check_logged("ReadResource", &r.diagnostics)?;
            let block = inner.resource(&type_name)?;
            let new_state = decode(&r.new_state, block, "refreshed state")?;
            if new_state.is_null() {
                return Ok(None);
            }
            Ok(Some(ReadResponse {
                new_state,
                private: r.private,
            }))
        })
        .await
    }

    async fn import(
        &self,
        type_name: &str,
        id: &str,
    ) -> Result<Vec<ImportedObject>, ProviderError> {
        let inner = self.inner.clone();
        inner.resource(type_name)?;
        let type_name = type_name.to_string();
        let id = id.to_string();
        self.run(async move {
            let (objects, diags) = match inner.client.import(&type_name, &id).await {
                Ok(r) => r,
                Err(status) => {
                    return Err(inner.rpc_error("ImportResourceState", status, false).await);
                }
            };
            inner.check_logged("ImportResourceState", &diags)?;
            objects
                .into_iter()
                .map(|o| {
                    let block = inner.resource(&o.type_name)?;
                    Ok(ImportedObject {
                        state: decode(&o.state, block, "imported state")?,
                        type_name: o.type_name,
                        private: o.private,
                    })
                })
                .collect()
        })
        .await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let inner = self.inner.clone();
        let block = inner.data_source(type_name)?;
        let encoded = encode(config, block, "configuration")?;
        let type_name = type_name.to_string();
        self.run(async move {
            let diags = match inner
                .client
                .validate_data_source(&type_name, encoded.clone())
                .await
            {
                Ok(d) => d,
                Err(status) => return Err(inner.rpc_error("validation", status, false).await),
            };
            inner.check_logged("validation", &diags)?;
            let (state, diags) = match inner.client.read_data_source(&type_name, encoded).await {
                Ok(r) => r,
                Err(status) => return Err(inner.rpc_error("ReadDataSource", status, false).await),
            };
            inner.check_logged("ReadDataSource", &diags)?;
            let value = decode(&state, inner.data_source(&type_name)?, "data source result")?;
            if value.is_null() {
                return Err(ProviderError::fatal(format!(
                    "{} returned nothing for data source {type_name}",
                    inner.name()
                )));
            }
            Ok(value)
        })
        .await
    }

    async fn upgrade_state(
        &self,
        type_name: &str,
        stored_version: u64,
        state: Value,
    ) -> Result<Value, ProviderError> {
        let inner = self.inner.clone();
        inner.resource(type_name)?;
        let json = serde_json::to_vec(&state.to_json())
            .map_err(|e| ProviderError::fatal(format!("encoding state: {e}")))?;
        let version = i64::try_from(stored_version).unwrap_or(i64::MAX);
        let type_name = type_name.to_string();
        self.run(async move {
            let (upgraded, diags) = match inner
                .client
                .upgrade_resource_state(&type_name, version, json)
                .await
            {
                Ok(r) => r,
                Err(status) => {
                    return Err(inner.rpc_error("UpgradeResourceState", status, false).await);
                }
            };
            inner.check_logged("UpgradeResourceState", &diags)?;
            decode(&upgraded, inner.resource(&type_name)?, "upgraded state")
        })
        .await
    }

    async fn shutdown(&self) {
        if !self.begin_close() {
            return;
        }
        let inner = self.inner.clone();
        let _ = AbortOnDrop(
            self.handle
                .spawn(async move { inner.process.shutdown().await }),
        )
        .await;
    }
}

impl Drop for PluginProvider {
    fn drop(&mut self) {
        if self.begin_close() {
            // Graceful stop with a bounded wait, then a kill either way.
            let inner = self.inner.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            self.handle.spawn(async move {
                inner.process.shutdown().await;
                let _ = tx.send(());
            });
            if rx
                .recv_timeout(self.shutdown_timeout * 2 + Duration::from_secs(1))
                .is_err()
            {
                self.inner.process.kill_now();
            }
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cty::CtyType;
    use crate::schema::AttributeDef;

    fn attribute(optional: bool, computed: bool) -> AttributeDef {
        AttributeDef {
            ty: CtyType::String,
            required: false,
            optional,
            computed,
            sensitive: false,
            description: String::new(),
        }
    }

    use nimbus_provider::testing::obj;

    fn path(steps: &[Step]) -> AttrPath {
        AttrPath(steps.to_vec())
    }

    #[test]
    fn replacement_names_what_changed() {
        let mut block = BlockSchema::default();
        block.attributes.insert("id".into(), attribute(true, true));
        block
            .attributes
            .insert("name".into(), attribute(true, false));
        block
            .attributes
            .insert("zone".into(), attribute(true, false));
        let prior = obj(&[
            ("id", "1".into()),
            ("name", "a".into()),
            ("zone", "z".into()),
        ]);
        let planned = obj(&[
            ("id", Value::Unknown),
            ("name", "b".into()),
            ("zone", "z".into()),
        ]);
        let config = obj(&[
            ("id", Value::Null),
            ("name", "b".into()),
            ("zone", "z".into()),
        ]);
        let id = path(&[Step::Attribute("id".into())]);
        let name = path(&[Step::Attribute("name".into())]);
        let zone = path(&[Step::Attribute("zone".into())]);
        // `zone` did not change; `id` is the provider's own doing.
        assert_eq!(
            replacing_attributes(&block, &[id.clone(), name, zone], &prior, &planned, &config),
            vec!["name".to_string()]
        );
        // A replacement only the provider asks for is kept.
        assert_eq!(
            replacing_attributes(&block, std::slice::from_ref(&id), &prior, &planned, &config),
            vec!["id".to_string()]
        );
        // Paths into collections count by their top-level attribute.
        let nested = path(&[Step::Attribute("tags".into()), Step::Key("k".into())]);
        let prior = obj(&[("tags", obj(&[("k", "1".into())]))]);
        let planned = obj(&[("tags", obj(&[("k", "2".into())]))]);
        assert_eq!(
            replacing_attributes(&block, &[nested], &prior, &planned, &planned),
            vec!["tags".to_string()]
        );
    }
}
