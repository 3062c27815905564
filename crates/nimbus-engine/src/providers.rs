//! Provider instances for one run: which provider configuration serves
//! which resource, and the one gate every provider call goes through
//! ([`ProviderHandle::call`]: concurrency limit, circuit breaker, retries
//! with events, timeout).

use crate::events::{Event, EventSink};
use crate::graph::{ProviderMap, passed_provider, provider_name};
use crate::retry::{CircuitBreaker, RetryPolicy};
use nimbus_config::{Config, Mode, ProviderBlock, Resource};
use nimbus_provider::{Provider, ProviderError};
use nimbus_syntax::Diagnostic;
use nimbus_value::{ProviderSchema, Schema, Value};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Where provider instances come from. The CLI implements it with the
/// built-in, AWS and plugin providers; the engine does not know them.
pub trait Catalog: Send + Sync {
    /// Creates an unconfigured instance of the provider called `name`
    /// (`aws`, `localstack`, ...), as its block's `requirement` asks.
    fn instantiate(
        &self,
        name: &str,
        requirement: Requirement<'_>,
    ) -> Result<Arc<dyn Provider>, String>;

    /// Provider names this catalog can instantiate, for suggestions.
    fn names(&self) -> Vec<String>;

    /// Providers present without a `(provider ...)` block (Nimbus's
    /// built-in one): instantiated for every run and configured with an
    /// empty configuration.
    fn implicit(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What a `(provider NAME ...)` block asks for beyond its name. Both are
/// literal strings, read before anything is evaluated, because the provider
/// must exist before its schema can drive the reading of anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requirement<'a> {
    /// `(source "hashicorp/null")`: where the provider comes from (the
    /// catalog decides: a plugin from a mirror, or an in-process provider
    /// that implements it).
    pub source: Option<&'a str>,
    /// `(version ">= 2.1, < 3.0")`: the versions of that provider allowed.
    pub version: Option<&'a str>,
}

impl<'a> Requirement<'a> {
    /// The requirement of one provider block.
    pub fn of(block: &'a ProviderBlock) -> Requirement<'a> {
        let literal = |name: &str| {
            block
                .attributes
                .iter()
                .find(|a| a.name.text == name)
                .and_then(|a| a.args.first())
                .and_then(|n| n.as_str())
        };
        Requirement {
            source: literal("source"),
            version: literal("version"),
        }
    }
}

#[derive(Clone)]
pub struct ProviderHandle {
    /// `builtin`, `aws`, `aws.west`. Shared: every resource block holds a
    /// handle.
    pub address: Arc<str>,
    pub provider: Arc<dyn Provider>,
    pub schema: Arc<ProviderSchema>,
    /// The provider's concurrency limit and its endpoint's breaker: only
    /// [`ProviderHandle::call`] uses them.
    pub(crate) limiter: Arc<Semaphore>,
    pub(crate) breaker: Arc<CircuitBreaker>,
    /// Index of its `(provider ...)` block in its module (the root's, or
    /// the called module's that writes it); `None` for the built-in
    /// provider.
    pub block: Option<usize>,
}

/// What the gate takes from the run around a provider call.
#[derive(Clone)]
pub struct CallContext<'a> {
    /// Where `Retrying` events go.
    pub events: &'a dyn EventSink,
    pub retry: &'a RetryPolicy,
    /// Set on interrupt: a failed attempt is not retried, and a wait before
    /// a retry ends early.
    pub cancel: &'a AtomicBool,
    /// The values (a configuration, a recorded object) whose secrets are
    /// withheld from every message the provider returns: providers get
    /// their values without marks, so an error may quote a secret. The
    /// gate replaces them before a retry announcement or the caller sees
    /// the message.
    pub withheld: Vec<Withheld<'a>>,
}

/// A value whose secrets a call's messages must not quote. Marks are put
/// on a recorded object only when a message is to be checked, so a call
/// that succeeds costs nothing.
#[derive(Debug, Clone, Copy)]
pub enum Withheld<'a> {
    /// A value with its secrets marked (an evaluated configuration).
    Marked(&'a Value),
    /// An object recorded in state, secret at its recorded paths.
    Record(&'a nimbus_state::ResourceRecord),
    /// An object, secret at these attribute paths (its schema's).
    Paths(&'a Value, &'a [String]),
}

impl Withheld<'_> {
    /// `text` with every secret of this value replaced by `(sensitive)`.
    fn redact(&self, text: &str) -> String {
        match *self {
            Withheld::Marked(value) => value.redact_secrets_in(text),
            Withheld::Record(record) if record.sensitive_attributes.is_empty() => text.to_string(),
            Withheld::Record(record) => Value::from_json(&record.attributes)
                .mark_paths(&record.sensitive_attributes)
                .redact_secrets_in(text),
            Withheld::Paths(_, []) => text.to_string(),
            Withheld::Paths(value, paths) => {
                value.clone().mark_paths(paths).redact_secrets_in(text)
            }
        }
    }
}

impl<'a> CallContext<'a> {
    /// This context, withholding `secrets` too from what the provider says.
    pub fn withholding(mut self, secrets: Withheld<'a>) -> CallContext<'a> {
        self.withheld.push(secrets);
        self
    }
}

impl<'a> From<&'a crate::job::JobContext> for CallContext<'a> {
    fn from(ctx: &'a crate::job::JobContext) -> CallContext<'a> {
        CallContext {
            events: &*ctx.events,
            retry: &ctx.retry,
            cancel: &ctx.cancel,
            withheld: Vec::new(),
        }
    }
}

impl<'a> From<&'a crate::RunOptions> for CallContext<'a> {
    fn from(options: &'a crate::RunOptions) -> CallContext<'a> {
        CallContext {
            events: &*options.events,
            retry: &options.retry,
            cancel: &options.cancel,
            withheld: Vec::new(),
        }
    }
}

/// How often an interrupted wait looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

impl ProviderHandle {
    /// The one way the engine calls its provider. Each attempt waits for a
    /// slot of the provider's concurrency limit (held only while the
    /// attempt runs, not during backoff), fails at once while the
    /// endpoint's circuit breaker is open, and is bounded by the policy's
    /// timeout (a timeout is retryable). Retryable failures are tried again
    /// after a backoff with jitter, up to the policy's attempts, each retry
    /// announced as [`Event::Retrying`] for `address`; fatal failures are
    /// returned at once. Once the run is interrupted nothing is retried.
    /// The gate for a provider's own check of a configuration
    /// (`validate_resource`): no I/O in any provider, so nothing to limit,
    /// time out or retry, but an open breaker still stops it. It runs for
    /// every instance of every walk, so it costs only the breaker's check
    /// (the full gate measured 7 % of `validate_10k`, BENCHMARKS.md).
    pub async fn check<T, F, Fut>(&self, op: F) -> Result<T, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        if let Err(remaining) = self.breaker.check() {
            return Err(ProviderError::fatal(format!(
                "endpoint {} is failing repeatedly; not calling it for {remaining:?} (circuit open)",
                self.provider.endpoint()
            )));
        }
        op().await
    }

    pub async fn call<T, F, Fut>(
        &self,
        address: &str,
        ctx: CallContext<'_>,
        mut op: F,
    ) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let policy = ctx.retry;
        let mut attempt = 0;
        loop {
            if let Err(remaining) = self.breaker.check() {
                return Err(ProviderError::fatal(format!(
                    "endpoint {} is failing repeatedly; not calling it for {remaining:?} (circuit open)",
                    self.provider.endpoint()
                )));
            }
            let result = {
                // A closed semaphore only means no limit.
                let _permit = self.limiter.acquire().await;
                match tokio::time::timeout(policy.timeout, op()).await {
                    Ok(result) => result,
                    Err(_) => Err(ProviderError::retryable(format!(
                        "timed out after {:?}",
                        policy.timeout
                    ))),
                }
            };
            let error = match result {
                Ok(value) => {
                    self.breaker.record(false);
                    return Ok(value);
                }
                Err(error) => ProviderError {
                    message: ctx
                        .withheld
                        .iter()
                        .fold(error.message, |message, secrets| secrets.redact(&message)),
                    ..error
                },
            };
            self.breaker.record(error.is_retryable());
            attempt += 1;
            if !error.is_retryable() || attempt >= policy.attempts {
                return Err(error);
            }
            if ctx.cancel.load(Ordering::SeqCst) {
                return Err(not_retried(error));
            }
            let delay = policy.delay(attempt - 1);
            ctx.events.emit(Event::Retrying {
                address: address.to_string(),
                attempt,
                delay_ms: delay.as_millis() as u64,
                message: error.message.clone(),
            });
            let until = tokio::time::Instant::now() + delay;
            while tokio::time::Instant::now() < until {
                if ctx.cancel.load(Ordering::SeqCst) {
                    return Err(not_retried(error));
                }
                tokio::time::sleep_until(until.min(tokio::time::Instant::now() + CANCEL_POLL))
                    .await;
            }
        }
    }

    pub fn resource_schema(&self, mode: Mode, type_name: &str) -> Option<&Arc<Schema>> {
        match mode {
            Mode::Managed => self.schema.resources.get(type_name),
            Mode::Data => self.schema.data_sources.get(type_name),
        }
    }
}

/// A retryable error left as it is because the run was interrupted.
fn not_retried(error: ProviderError) -> ProviderError {
    ProviderError {
        message: format!("{} (not retried: interrupted)", error.message),
        ..error
    }
}

pub struct ProviderSet {
    pub handles: BTreeMap<String, ProviderHandle>,
    /// Schemas of the catalog's providers that no block configures, by
    /// name: an unknown type one of them offers gets a hint to add its
    /// `(provider ...)` block.
    pub unconfigured: Vec<(String, Arc<ProviderSchema>)>,
}

/// Most concurrent operations against one provider configuration.
pub const DEFAULT_PROVIDER_CONCURRENCY: usize = 32;

/// Every provider block that is a configuration, with the prefix of the
/// module instance it serves (`""` for the root's, `module.net.` for one
/// module `net` writes itself) and its index in its module. A call with
/// `count`/`for-each` reaches none (refused when loading).
fn configurations(config: &Config) -> Vec<(String, usize, &ProviderBlock)> {
    let mut found: Vec<(String, usize, &ProviderBlock)> = config
        .root()
        .providers
        .iter()
        .enumerate()
        .map(|(i, b)| (String::new(), i, b))
        .collect();
    let mut stack = vec![(0, String::new(), vec![0])];
    while let Some((id, prefix, chain)) = stack.pop() {
        let module = &config.modules[id];
        for call in module.calls.iter().filter(|c| !c.is_repeated()) {
            let Some(child) = config.called(module, call) else {
                continue;
            };
            if chain.contains(&child) || chain.len() > 32 {
                continue; // reported with the graph
            }
            let prefix = format!("{prefix}module.{}.", call.name.text);
            found.extend(
                config.modules[child]
                    .own_providers()
                    .map(|(i, b)| (prefix.clone(), i, b)),
            );
            let mut chain = chain.clone();
            chain.push(child);
            stack.push((child, prefix, chain));
        }
    }
    found
}

impl ProviderSet {
    /// Instantiates the catalog's implicit providers, every provider
    /// block of the root module and every one a called module writes
    /// itself (at `module.NAME.` and the block's address, as
    /// [`crate::graph::ModuleInstance::providers`] names it).
    pub fn prepare(config: &Config, catalog: &dyn Catalog) -> Result<ProviderSet, Vec<Diagnostic>> {
        let mut handles = BTreeMap::new();
        let mut errors = Vec::new();
        let mut breakers: HashMap<String, Arc<CircuitBreaker>> = HashMap::new();
        let mut add = |address: String, provider: Arc<dyn Provider>, block: Option<usize>| {
            let breaker = breakers.entry(provider.endpoint()).or_default().clone();
            handles.insert(
                address.clone(),
                ProviderHandle {
                    address: address.into(),
                    schema: provider.schema(),
                    provider,
                    limiter: Arc::new(Semaphore::new(DEFAULT_PROVIDER_CONCURRENCY)),
                    breaker,
                    block,
                },
            );
        };
        for name in catalog.implicit() {
            match catalog.instantiate(&name, Requirement::default()) {
                Ok(p) => add(name, p, None),
                Err(e) => errors.push(Diagnostic::error(format!(
                    "cannot start the `{name}` provider: {e}"
                ))),
            }
        }
        for (prefix, i, block) in configurations(config) {
            match catalog.instantiate(&block.name.text, Requirement::of(block)) {
                Ok(p) => add(format!("{prefix}{}", block.address()), p, Some(i)),
                Err(e) => {
                    let names = catalog.names();
                    errors.push(
                        Diagnostic::error(format!(
                            "cannot use provider `{}`: {e}",
                            block.name.text
                        ))
                        .at(block.name.span)
                        .with_suggestion(&block.name.text, names.iter().map(String::as_str)),
                    )
                }
            }
        }
        let unconfigured = catalog
            .names()
            .into_iter()
            .filter(|name| {
                !handles
                    .values()
                    .any(|h| provider_name(&h.address) == name.as_str())
            })
            .filter_map(|name| {
                let provider = catalog.instantiate(&name, Requirement::default()).ok()?;
                Some((name, provider.schema()))
            })
            .collect();
        if errors.is_empty() {
            Ok(ProviderSet {
                handles,
                unconfigured,
            })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, address: &str) -> Option<&ProviderHandle> {
        self.handles.get(address)
    }

    /// The providers no block configures (see [`Catalog::implicit`]).
    pub fn implicit(&self) -> impl Iterator<Item = &ProviderHandle> {
        self.handles.values().filter(|h| h.block.is_none())
    }

    /// The provider configuration that serves a resource block: the one
    /// named by its `(provider ...)`; otherwise the single unaliased
    /// configuration that offers the type (a configured provider wins over
    /// the built-in one).
    pub fn for_resource(&self, resource: &Resource) -> Result<&ProviderHandle, Diagnostic> {
        self.for_resource_in(resource, &ProviderMap::new())
    }

    /// [`ProviderSet::for_resource`] for a block of a module instance that
    /// was passed the providers `passed` (see
    /// [`crate::graph::ModuleInstance::providers`]): a name passed stands
    /// for the configuration it was passed, and a default configuration
    /// passed that offers the type serves a block that names none.
    pub fn for_resource_in(
        &self,
        resource: &Resource,
        passed: &ProviderMap,
    ) -> Result<&ProviderHandle, Diagnostic> {
        let type_name = resource.type_name.as_str();
        if let Some(explicit) = &resource.provider {
            let address = passed_provider(passed, &explicit.text);
            let handle = self.handles.get(address).ok_or_else(|| {
                let passed_as = if address == explicit.text {
                    String::new()
                } else {
                    format!(" (passed as `{}`)", explicit.text)
                };
                Diagnostic::error(format!("no provider configuration `{address}`{passed_as}"))
                    .at(explicit.span)
                    .with_suggestion(address, self.handles.keys().map(String::as_str))
            })?;
            if handle.resource_schema(resource.mode, type_name).is_none() {
                return Err(Diagnostic::error(format!(
                    "provider `{}` has no {} type `{type_name}`",
                    explicit.text,
                    if resource.mode == Mode::Data {
                        "data source"
                    } else {
                        "resource"
                    }
                ))
                .at(resource.type_name.span));
            }
            return Ok(handle);
        }
        let mut passed_offering: Vec<&ProviderHandle> = passed
            .iter()
            .filter(|(name, _)| !name.contains('.'))
            .filter_map(|(_, root)| self.handles.get(root))
            .filter(|h| h.resource_schema(resource.mode, type_name).is_some())
            .collect();
        passed_offering.sort_by(|a, b| a.address.cmp(&b.address));
        passed_offering.dedup_by(|a, b| a.address == b.address);
        if let [one] = passed_offering.as_slice() {
            return Ok(one);
        }
        let offering: Vec<&ProviderHandle> = self
            .handles
            .values()
            .filter(|h| {
                !h.address.contains('.') && h.resource_schema(resource.mode, type_name).is_some()
            })
            .collect();
        let configured: Vec<&ProviderHandle> = offering
            .iter()
            .copied()
            .filter(|h| h.block.is_some())
            .collect();
        match (configured.as_slice(), offering.as_slice()) {
            ([one], _) => Ok(one),
            ([], [one]) => Ok(one),
            ([], []) => {
                let what = if resource.mode == Mode::Data {
                    "data source"
                } else {
                    "resource"
                };
                let all: Vec<&str> = self
                    .handles
                    .values()
                    .flat_map(|h| match resource.mode {
                        Mode::Managed => h.schema.resources.keys(),
                        Mode::Data => h.schema.data_sources.keys(),
                    })
                    .map(String::as_str)
                    .collect();
                let offering: Vec<&str> = self
                    .unconfigured
                    .iter()
                    .filter(|(_, schema)| match resource.mode {
                        Mode::Managed => schema.resources.contains_key(type_name),
                        Mode::Data => schema.data_sources.contains_key(type_name),
                    })
                    .map(|(name, _)| name.as_str())
                    .collect();
                let d = Diagnostic::error(format!("unknown {what} type `{type_name}`"))
                    .at(resource.type_name.span);
                Err(match offering.split_first() {
                    Some((first, others)) => {
                        let alternatives: String = others
                            .iter()
                            .map(|o| format!(" or `(provider {o} ...)`"))
                            .collect();
                        d.with_note(format!(
                            "help: `{type_name}` comes from the `{first}` provider, which is not configured: add `(provider {first} ...)`{alternatives}"
                        ))
                    }
                    None => d.with_suggestion(type_name, all),
                })
            }
            (many, _) => {
                let names: Vec<&str> = many.iter().map(|h| &*h.address).collect();
                Err(Diagnostic::error(format!(
                    "`{type_name}` is offered by several providers ({}): choose one with `(provider NAME)`",
                    names.join(", ")
                ))
                .at(resource.type_name.span))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, PriorState, RunOptions};
    use async_trait::async_trait;
    use nimbus_provider::{
        ApplyRequest, ApplyResponse, DeleteRequest, ImportedObject, PlanRequest, PlanResponse,
        ReadRequest, ReadResponse,
    };
    use nimbus_state::{ResourceRecord, ResourceStatus, RunInfo, RunStatus, Store, StoreOptions};
    use nimbus_value::{AttributeSchema, Type, Value};
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    const TYPE: &str = "flaky-thing";
    const ADDRESS: &str = "flaky-thing.a";

    /// A provider whose operations fail retryably a set number of times
    /// before they succeed; it counts every call.
    #[derive(Default)]
    struct Flaky {
        /// Retryable failures still to come, by operation.
        failures: Mutex<HashMap<&'static str, u32>>,
        calls: Mutex<HashMap<&'static str, u32>>,
    }

    impl Flaky {
        fn failing(failures: &[(&'static str, u32)]) -> Arc<Flaky> {
            Arc::new(Flaky {
                failures: Mutex::new(failures.iter().copied().collect()),
                calls: Mutex::default(),
            })
        }

        fn calls(&self, operation: &str) -> u32 {
            self.calls
                .lock()
                .unwrap()
                .get(operation)
                .copied()
                .unwrap_or(0)
        }

        fn attempt(&self, operation: &'static str) -> Result<(), ProviderError> {
            *self.calls.lock().unwrap().entry(operation).or_default() += 1;
            match self.failures.lock().unwrap().get_mut(operation) {
                Some(left) if *left > 0 => {
                    *left -= 1;
                    Err(ProviderError::retryable(format!(
                        "{operation}: SlowDown: please reduce your request rate"
                    )))
                }
                _ => Ok(()),
            }
        }

        fn object(name: &str) -> Value {
            Value::Map(
                [
                    ("id".to_string(), Value::string(name)),
                    ("name".to_string(), Value::string(name)),
                ]
                .into(),
            )
        }
    }

    #[async_trait]
    impl Provider for Flaky {
        fn schema(&self) -> Arc<ProviderSchema> {
            let thing = Schema::new("a thing behind a flaky endpoint")
                .attr("id", AttributeSchema::computed(Type::String))
                .attr("name", AttributeSchema::required(Type::String));
            Arc::new(ProviderSchema {
                provider: Schema::new("flaky"),
                resources: [(TYPE.to_string(), Arc::new(thing))].into(),
                data_sources: BTreeMap::new(),
            })
        }

        fn endpoint(&self) -> String {
            "flaky:endpoint".to_string()
        }

        async fn configure(&self, _: &Value) -> Result<(), ProviderError> {
            self.attempt("configure")
        }

        async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
            self.attempt("plan")?;
            Ok(PlanResponse {
                warnings: Vec::new(),
                planned_state: request.proposed_state.clone(),
                requires_replace: Vec::new(),
                planned_private: Vec::new(),
            })
        }

        async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
            self.attempt("create")?;
            Ok(ApplyResponse {
                warnings: Vec::new(),
                new_state: request.planned_state.clone(),
                private: Vec::new(),
            })
        }

        async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
            self.attempt("update")?;
            Ok(ApplyResponse {
                warnings: Vec::new(),
                new_state: request.planned_state.clone(),
                private: Vec::new(),
            })
        }

        async fn delete(&self, _: DeleteRequest<'_>) -> Result<(), ProviderError> {
            self.attempt("delete")
        }

        async fn read(
            &self,
            request: ReadRequest<'_>,
        ) -> Result<Option<ReadResponse>, ProviderError> {
            self.attempt("read")?;
            Ok(Some(ReadResponse {
                new_state: request.current_state.clone(),
                private: Vec::new(),
            }))
        }

        async fn import(
            &self,
            type_name: &str,
            id: &str,
        ) -> Result<Vec<ImportedObject>, ProviderError> {
            self.attempt("import")?;
            Ok(vec![ImportedObject {
                type_name: type_name.to_string(),
                state: Flaky::object(id),
                private: Vec::new(),
            }])
        }

        async fn read_data(&self, _: &str, _: &Value) -> Result<Value, ProviderError> {
            self.attempt("read_data")?;
            Ok(Value::Null)
        }
    }

    /// Keeps every event; sets `cancel_on_retry` (when given) at the first
    /// `Retrying`, as a Ctrl-C during the backoff would.
    #[derive(Default)]
    struct Seen {
        events: Mutex<Vec<Event>>,
        cancel_on_retry: Option<Arc<AtomicBool>>,
    }

    impl EventSink for Seen {
        fn emit(&self, event: Event) {
            if let (Event::Retrying { .. }, Some(cancel)) = (&event, &self.cancel_on_retry) {
                cancel.store(true, Ordering::SeqCst);
            }
            self.events.lock().unwrap().push(event);
        }
    }

    impl Seen {
        /// `(address, attempt, message)` of each `Retrying` event.
        fn retries(&self) -> Vec<(String, u32, String)> {
            self.events
                .lock()
                .unwrap()
                .iter()
                .filter_map(|e| match e {
                    Event::Retrying {
                        address,
                        attempt,
                        message,
                        ..
                    } => Some((address.clone(), *attempt, message.clone())),
                    _ => None,
                })
                .collect()
        }
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            timeout: Duration::from_secs(5),
        }
    }

    fn handle(provider: Arc<Flaky>, limit: usize, breaker: CircuitBreaker) -> ProviderHandle {
        ProviderHandle {
            address: "flaky".into(),
            schema: provider.schema(),
            provider,
            limiter: Arc::new(Semaphore::new(limit)),
            breaker: Arc::new(breaker),
            block: None,
        }
    }

    fn context<'a>(
        seen: &'a Seen,
        retry: &'a RetryPolicy,
        cancel: &'a AtomicBool,
    ) -> CallContext<'a> {
        CallContext {
            events: seen,
            retry,
            cancel,
            withheld: Vec::new(),
        }
    }

    #[tokio::test]
    async fn retryable_failures_are_retried_with_an_event_each_until_success() {
        let flaky = Flaky::failing(&[("configure", 2)]);
        let h = handle(flaky.clone(), 4, CircuitBreaker::default());
        let (seen, policy, cancel) = (Seen::default(), fast(), AtomicBool::new(false));
        let result = h
            .call(ADDRESS, context(&seen, &policy, &cancel), || {
                h.provider.configure(&Value::Null)
            })
            .await;
        assert_eq!(result, Ok(()));
        assert_eq!(flaky.calls("configure"), 3, "two failures, then success");
        let message = "configure: SlowDown: please reduce your request rate".to_string();
        assert_eq!(
            seen.retries(),
            vec![
                (ADDRESS.to_string(), 1, message.clone()),
                (ADDRESS.to_string(), 2, message)
            ]
        );
    }

    #[tokio::test]
    async fn attempts_are_bounded_and_fatal_errors_are_not_retried() {
        let flaky = Flaky::failing(&[("configure", 100)]);
        let h = handle(flaky.clone(), 4, CircuitBreaker::default());
        let (seen, policy, cancel) = (Seen::default(), fast(), AtomicBool::new(false));
        let error = h
            .call(ADDRESS, context(&seen, &policy, &cancel), || {
                h.provider.configure(&Value::Null)
            })
            .await
            .unwrap_err();
        assert!(error.is_retryable());
        assert_eq!(flaky.calls("configure"), policy.attempts);
        assert_eq!(seen.retries().len() as u32, policy.attempts - 1);

        let seen = Seen::default();
        let calls = AtomicUsize::new(0);
        let error = h
            .call(ADDRESS, context(&seen, &policy, &cancel), || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(ProviderError::fatal("AccessDenied"))
            })
            .await
            .unwrap_err();
        assert_eq!(error.message, "AccessDenied");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(seen.retries().is_empty());
    }

    #[tokio::test]
    async fn the_breaker_opens_after_repeated_failures_and_stops_calls() {
        let flaky = Flaky::failing(&[("configure", 3)]);
        let h = handle(
            flaky.clone(),
            4,
            CircuitBreaker::new(3, Duration::from_secs(60)),
        );
        let (seen, cancel) = (Seen::default(), AtomicBool::new(false));
        let once = RetryPolicy {
            attempts: 1,
            ..fast()
        };
        for _ in 0..3 {
            let result = h
                .call(ADDRESS, context(&seen, &once, &cancel), || {
                    h.provider.configure(&Value::Null)
                })
                .await;
            assert!(result.unwrap_err().is_retryable());
        }
        // The endpoint would answer now, but the breaker keeps calls away.
        let error = h
            .call(ADDRESS, context(&seen, &fast(), &cancel), || {
                h.provider.configure(&Value::Null)
            })
            .await
            .unwrap_err();
        assert!(!error.is_retryable());
        assert!(
            error.message.contains("endpoint flaky:endpoint")
                && error.message.contains("circuit open"),
            "{}",
            error.message
        );
        assert_eq!(flaky.calls("configure"), 3);

        // Retries count too: one call failing three times opens it.
        let flaky = Flaky::failing(&[("configure", 3)]);
        let h = handle(
            flaky.clone(),
            4,
            CircuitBreaker::new(3, Duration::from_secs(60)),
        );
        let error = h
            .call(
                ADDRESS,
                context(
                    &seen,
                    &RetryPolicy {
                        attempts: 10,
                        ..fast()
                    },
                    &cancel,
                ),
                || h.provider.configure(&Value::Null),
            )
            .await
            .unwrap_err();
        assert!(error.message.contains("circuit open"), "{}", error.message);
        assert_eq!(flaky.calls("configure"), 3);
    }

    #[tokio::test]
    async fn secrets_a_provider_quotes_are_withheld_from_retries_and_the_error() {
        let h = handle(Flaky::failing(&[]), 4, CircuitBreaker::default());
        let (seen, policy, cancel) = (Seen::default(), fast(), AtomicBool::new(false));
        let secrets = Value::Map(
            [
                ("name".to_string(), Value::from("plain-name")),
                ("password".to_string(), Value::from("Hunter2Secret")),
            ]
            .into_iter()
            .collect(),
        )
        .mark_paths(&["password".to_string()]);
        let calls = AtomicUsize::new(0);
        let error = h
            .call(
                ADDRESS,
                context(&seen, &policy, &cancel).withholding(Withheld::Marked(&secrets)),
                || async {
                    let message = if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        "SlowDown: password Hunter2Secret for plain-name"
                    } else {
                        "AccessDenied: password Hunter2Secret for plain-name"
                    };
                    let error = if message.starts_with("SlowDown") {
                        ProviderError::retryable(message)
                    } else {
                        ProviderError::fatal(message)
                    };
                    Err::<(), _>(error)
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            error.message,
            "AccessDenied: password (sensitive) for plain-name"
        );
        assert_eq!(
            seen.retries(),
            vec![(
                ADDRESS.to_string(),
                1,
                "SlowDown: password (sensitive) for plain-name".to_string()
            )]
        );
    }

    #[test]
    fn a_recorded_object_and_a_schema_withhold_their_secret_paths_only() {
        let record = nimbus_state::ResourceRecord {
            address: "x.a".into(),
            resource_type: "x".into(),
            provider: "flaky".into(),
            attributes: serde_json::json!({"name": "plain-name", "password": "Hunter2Secret"}),
            sensitive_attributes: vec!["password".into()],
            private: Vec::new(),
            schema_version: 0,
            dependencies: Vec::new(),
            status: nimbus_state::ResourceStatus::Ready,
            last_run: None,
        };
        let text = "password Hunter2Secret for plain-name";
        assert_eq!(
            Withheld::Record(&record).redact(text),
            "password (sensitive) for plain-name"
        );
        let object = Value::from_json(&record.attributes);
        let paths = ["password".to_string()];
        assert_eq!(
            Withheld::Paths(&object, &paths).redact(text),
            "password (sensitive) for plain-name"
        );
        assert_eq!(Withheld::Paths(&object, &[]).redact(text), text);
    }

    #[tokio::test]
    async fn the_limit_bounds_attempts_in_flight() {
        let h = handle(Flaky::failing(&[]), 2, CircuitBreaker::default());
        let (seen, policy, cancel) = (Seen::default(), fast(), AtomicBool::new(false));
        let (in_flight, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let calls = (0..8).map(|_| {
            h.call(ADDRESS, context(&seen, &policy, &cancel), || async {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), ProviderError>(())
            })
        });
        for result in futures_util::future::join_all(calls).await {
            assert_eq!(result, Ok(()));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_timed_out_attempt_is_retried() {
        let h = handle(Flaky::failing(&[]), 4, CircuitBreaker::default());
        let seen = Seen::default();
        let cancel = AtomicBool::new(false);
        let policy = RetryPolicy {
            timeout: Duration::from_millis(20),
            ..fast()
        };
        let calls = AtomicUsize::new(0);
        let result = h
            .call(ADDRESS, context(&seen, &policy, &cancel), || async {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                Ok::<_, ProviderError>(7)
            })
            .await;
        assert_eq!(result, Ok(7));
        let retries = seen.retries();
        assert_eq!(retries.len(), 1);
        assert!(retries[0].2.contains("timed out"), "{retries:?}");
    }

    #[tokio::test]
    async fn an_interrupt_ends_the_backoff_and_stops_retrying() {
        let flaky = Flaky::failing(&[("configure", 100)]);
        let h = handle(flaky.clone(), 4, CircuitBreaker::default());
        let cancel = Arc::new(AtomicBool::new(false));
        let seen = Seen {
            cancel_on_retry: Some(cancel.clone()),
            ..Seen::default()
        };
        let slow = RetryPolicy {
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(30),
            ..fast()
        };
        let started = std::time::Instant::now();
        let error = h
            .call(ADDRESS, context(&seen, &slow, &cancel), || {
                h.provider.configure(&Value::Null)
            })
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the wait was cut short"
        );
        assert!(
            error.message.contains("not retried: interrupted"),
            "{}",
            error.message
        );
        assert_eq!(flaky.calls("configure"), 1);
        assert_eq!(seen.retries().len(), 1);
        // Interrupted before the call: one attempt, no retry.
        let error = h
            .call(ADDRESS, context(&seen, &slow, &cancel), || {
                h.provider.configure(&Value::Null)
            })
            .await
            .unwrap_err();
        assert!(error.message.contains("not retried: interrupted"));
        assert_eq!(flaky.calls("configure"), 2);
    }

    /// Serves the flaky provider in place of the built-in one.
    struct FlakyCatalog(Arc<Flaky>);

    impl Catalog for FlakyCatalog {
        fn instantiate(&self, name: &str, _: Requirement<'_>) -> Result<Arc<dyn Provider>, String> {
            match name {
                IMPLICIT => Ok(self.0.clone()),
                other => Err(format!("no provider `{other}`")),
            }
        }

        fn names(&self) -> Vec<String> {
            vec![IMPLICIT.to_string()]
        }

        fn implicit(&self) -> Vec<String> {
            self.names()
        }
    }

    const IMPLICIT: &str = "builtin";

    struct DiskFiles;

    impl nimbus_config::Files for DiskFiles {
        fn nim_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            files.retain(|p| p.extension().is_some_and(|e| e == "nim"));
            files.sort();
            Ok(files)
        }

        fn read(&self, path: &Path) -> std::io::Result<String> {
            std::fs::read_to_string(path)
        }

        fn is_dir(&self, path: &Path) -> bool {
            path.is_dir()
        }
    }

    fn project() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.nim"),
            format!("(resource {TYPE} \"a\" (name \"x\"))\n"),
        )
        .unwrap();
        let (config, diagnostics) = nimbus_config::load(dir.path(), &DiskFiles);
        assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
        (dir, config)
    }

    fn options(seen: &Arc<Seen>) -> RunOptions {
        RunOptions {
            retry: fast(),
            events: seen.clone(),
            ..RunOptions::default()
        }
    }

    /// State holding the one object of [`project`].
    fn prior() -> PriorState {
        [(
            ADDRESS.to_string(),
            ResourceRecord {
                address: ADDRESS.to_string(),
                resource_type: TYPE.to_string(),
                provider: IMPLICIT.to_string(),
                attributes: Flaky::object("x").to_json(),
                sensitive_attributes: Vec::new(),
                private: Vec::new(),
                schema_version: 0,
                dependencies: Vec::new(),
                status: ResourceStatus::Ready,
                last_run: None,
            },
        )]
        .into()
    }

    #[tokio::test]
    async fn configure_refresh_and_plan_go_through_the_gate() {
        let (_dir, config) = project();
        let flaky = Flaky::failing(&[("configure", 1), ("read", 1), ("plan", 1)]);
        let engine = Engine::new(&config, &FlakyCatalog(flaky.clone())).expect("an engine");
        let seen = Arc::new(Seen::default());
        let plan = engine
            .plan(
                "default",
                0,
                &nimbus_eval::Inputs::new(),
                &prior(),
                &[],
                &options(&seen),
            )
            .await
            .expect("a plan");
        assert_eq!(plan.changes.len(), 1);
        let retried: Vec<(String, u32)> = seen
            .retries()
            .into_iter()
            .map(|(address, attempt, message)| {
                let operation = message.split(':').next().unwrap().to_string();
                (format!("{address} {operation}"), attempt)
            })
            .collect();
        assert_eq!(
            retried,
            vec![
                (format!("provider.{IMPLICIT} configure"), 1),
                (format!("{ADDRESS} read"), 1),
                (format!("{ADDRESS} plan"), 1),
            ]
        );
    }

    #[tokio::test]
    async fn drift_reads_go_through_the_gate() {
        let (_dir, config) = project();
        let flaky = Flaky::failing(&[("read", 1)]);
        let engine = Engine::new(&config, &FlakyCatalog(flaky.clone())).expect("an engine");
        let prior = prior();
        let seen = Arc::new(Seen::default());
        let (drifts, errors) = engine.detect_drift(&prior, &options(&seen)).await;
        assert!(errors.is_empty(), "{errors:?}");
        assert!(drifts.is_empty(), "{drifts:?}");
        assert_eq!(flaky.calls("read"), 2);
        assert_eq!(
            seen.retries(),
            vec![(
                ADDRESS.to_string(),
                1,
                "read: SlowDown: please reduce your request rate".to_string()
            )]
        );
    }

    #[tokio::test]
    async fn import_and_its_read_go_through_the_gate() {
        let (dir, config) = project();
        let flaky = Flaky::failing(&[("import", 1), ("read", 1)]);
        let engine = Engine::new(&config, &FlakyCatalog(flaky.clone())).expect("an engine");
        let store = Store::open_with(
            &dir.path().join(".nimbus"),
            StoreOptions {
                backup_every: 0,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let workspace = store.current_workspace().unwrap();
        let recorder = store.begin_run(&workspace, RunInfo::new("import")).unwrap();
        let seen = Arc::new(Seen::default());
        let record = engine
            .import(ADDRESS, "x", &recorder, &options(&seen))
            .await
            .expect("imported");
        recorder.finish(RunStatus::Succeeded).await.unwrap();
        assert_eq!(record.attributes, Flaky::object("x").to_json());
        assert_eq!((flaky.calls("import"), flaky.calls("read")), (2, 2));
        let retried: Vec<(String, u32)> = seen
            .retries()
            .into_iter()
            .map(|(address, attempt, message)| {
                let operation = message.split(':').next().unwrap().to_string();
                (format!("{address} {operation}"), attempt)
            })
            .collect();
        assert_eq!(
            retried,
            vec![
                (format!("{ADDRESS} import"), 1),
                (format!("{ADDRESS} read"), 1)
            ]
        );
    }
}
