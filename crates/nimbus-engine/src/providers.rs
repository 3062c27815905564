//! Provider instances for one run: which provider configuration serves
//! which resource, with a concurrency limit and circuit breaker each.

use crate::retry::CircuitBreaker;
use nimbus_config::{Config, Mode, ProviderBlock, Resource};
use nimbus_provider::Provider;
use nimbus_syntax::Diagnostic;
use nimbus_value::{ProviderSchema, Schema};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The address of the always-present built-in provider.
pub const BUILTIN: &str = "builtin";

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
}

/// What a `(provider NAME ...)` block asks for beyond its name. Both are
/// literal strings, read before anything is evaluated, because the provider
/// must exist before its schema can drive the reading of anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requirement<'a> {
    /// `(source "hashicorp/null")`: a plugin provider from a mirror.
    pub source: Option<&'a str>,
    /// `(version ">= 2.1, < 3.0")`: the versions of that plugin allowed.
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
    pub limiter: Arc<Semaphore>,
    pub breaker: Arc<CircuitBreaker>,
    /// Index of its `(provider ...)` block in the root module; `None` for
    /// the built-in provider.
    pub block: Option<usize>,
}

impl ProviderHandle {
    pub fn resource_schema(&self, mode: Mode, type_name: &str) -> Option<&Arc<Schema>> {
        match mode {
            Mode::Managed => self.schema.resources.get(type_name),
            Mode::Data => self.schema.data_sources.get(type_name),
        }
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

impl ProviderSet {
    /// Instantiates the built-in provider and every provider block of the
    /// root module.
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
        match catalog.instantiate(BUILTIN, Requirement::default()) {
            Ok(p) => add(BUILTIN.to_string(), p, None),
            Err(e) => errors.push(Diagnostic::error(format!(
                "cannot start the built-in provider: {e}"
            ))),
        }
        for (i, block) in config.root().providers.iter().enumerate() {
            match catalog.instantiate(&block.name.text, Requirement::of(block)) {
                Ok(p) => add(block.address(), p, Some(i)),
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
                    .any(|h| h.address.split('.').next() == Some(name.as_str()))
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

    /// The provider configuration that serves a resource block: the one
    /// named by its `(provider ...)`; otherwise the single unaliased
    /// configuration that offers the type (a configured provider wins over
    /// the built-in one).
    pub fn for_resource(&self, resource: &Resource) -> Result<&ProviderHandle, Diagnostic> {
        let type_name = resource.type_name.as_str();
        if let Some(explicit) = &resource.provider {
            let handle = self.handles.get(&explicit.text).ok_or_else(|| {
                Diagnostic::error(format!("no provider configuration `{}`", explicit.text))
                    .at(explicit.span)
                    .with_suggestion(&explicit.text, self.handles.keys().map(String::as_str))
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
