//! One client over both protocol versions: each call takes and returns
//! version-neutral types, so everything above (value encoding, schemas,
//! the `Provider` implementation) is shared by protocols 5 and 6.

use crate::cty::{self, CtyError, CtyType};
use crate::proto::{tfplugin5 as v5, tfplugin6 as v6};
use crate::schema::{self, PluginSchema};
use nimbus_value::Value;
use tonic::transport::Channel;

/// Largest message accepted from or sent to a plugin (big providers have
/// schemas of tens of megabytes).
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// An encoded object, as carried by `DynamicValue`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dynamic {
    pub msgpack: Vec<u8>,
    pub json: Vec<u8>,
}

impl Dynamic {
    pub fn msgpack(bytes: Vec<u8>) -> Dynamic {
        Dynamic {
            msgpack: bytes,
            json: Vec::new(),
        }
    }

    /// Null of any type.
    pub fn null() -> Dynamic {
        Dynamic::msgpack(vec![0xc0])
    }

    pub fn encode(value: &Value, ty: &CtyType) -> Result<Dynamic, CtyError> {
        Ok(Dynamic::msgpack(cty::to_msgpack(value, ty)?))
    }

    /// Decodes either encoding; an empty value is null.
    pub fn decode(&self, ty: &CtyType) -> Result<Value, CtyError> {
        if !self.msgpack.is_empty() {
            cty::from_msgpack(&self.msgpack, ty)
        } else if !self.json.is_empty() {
            let json: serde_json::Value =
                serde_json::from_slice(&self.json).map_err(|e| CtyError {
                    path: String::new(),
                    message: format!("invalid JSON value: {e}"),
                })?;
            cty::from_cty_json(&json, ty)
        } else {
            Ok(Value::Null)
        }
    }
}

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attribute(String),
    Key(String),
    Index(i64),
}

/// A path into an object, e.g. `rule[0].port`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    /// The top-level attribute the path starts at.
    pub fn first_attribute(&self) -> Option<&str> {
        match self.0.first() {
            Some(Step::Attribute(name)) => Some(name),
            _ => None,
        }
    }
}

impl std::fmt::Display for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Attribute(name) if i == 0 => write!(f, "{name}")?,
                Step::Attribute(name) => write!(f, ".{name}")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub error: bool,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

impl Diag {
    /// `summary: detail`, or whichever is set.
    pub fn message(&self) -> String {
        let mut out = match (self.summary.trim(), self.detail.trim()) {
            ("", "") => "the provider reported an error without a message".to_string(),
            (s, "") => s.to_string(),
            ("", d) => d.to_string(),
            (s, d) => format!("{s}: {d}"),
        };
        if let Some(path) = &self.path
            && path.0.len() > 1
        {
            out.push_str(&format!(" (at {path})"));
        }
        out
    }
}

macro_rules! convert_common {
    ($m:ident) => {
        impl From<Dynamic> for $m::DynamicValue {
            fn from(d: Dynamic) -> $m::DynamicValue {
                $m::DynamicValue {
                    msgpack: d.msgpack,
                    json: d.json,
                }
            }
        }

        impl From<Option<$m::DynamicValue>> for Dynamic {
            fn from(d: Option<$m::DynamicValue>) -> Dynamic {
                match d {
                    Some(d) => Dynamic {
                        msgpack: d.msgpack,
                        json: d.json,
                    },
                    None => Dynamic::default(),
                }
            }
        }

        impl From<$m::AttributePath> for AttrPath {
            fn from(p: $m::AttributePath) -> AttrPath {
                use $m::attribute_path::step::Selector;
                AttrPath(
                    p.steps
                        .into_iter()
                        .filter_map(|s| {
                            s.selector.map(|sel| match sel {
                                Selector::AttributeName(n) => Step::Attribute(n),
                                Selector::ElementKeyString(k) => Step::Key(k),
                                Selector::ElementKeyInt(i) => Step::Index(i),
                            })
                        })
                        .collect(),
                )
            }
        }

        impl From<$m::Diagnostic> for Diag {
            fn from(d: $m::Diagnostic) -> Diag {
                Diag {
                    error: d.severity != $m::diagnostic::Severity::Warning as i32,
                    summary: d.summary,
                    detail: d.detail,
                    path: d.attribute.map(AttrPath::from).filter(|p| !p.0.is_empty()),
                }
            }
        }
    };
}

convert_common!(v5);
convert_common!(v6);

fn diags<D: Into<Diag>>(list: Vec<D>) -> Vec<Diag> {
    list.into_iter().map(Into::into).collect()
}

/// A failed RPC: the transport or the plugin's gRPC server said no.
pub type RpcResult<T> = Result<T, tonic::Status>;

/// One RPC on either protocol version. The two protocols' messages have the
/// same fields, so building the request and reading the answer is the same
/// code for both; only the method and message module names differ. `pb`
/// names the version's generated module inside the request and the answer.
macro_rules! rpc {
    ($client:expr,
     v5: $m5:ident($mod5:ident), v6: $m6:ident($mod6:ident),
     |$pb:ident| { $($field:ident : $value:expr),* $(,)? },
     |$r:ident| $then:expr) => {
        match $client.clone() {
            Client::V5(mut c) => {
                #[allow(unused_imports)]
                use v5 as $pb;
                let $r = c.$m5(v5::$mod5::Request { $($field: $value),* }).await?.into_inner();
                $then
            }
            Client::V6(mut c) => {
                #[allow(unused_imports)]
                use v6 as $pb;
                let $r = c.$m6(v6::$mod6::Request { $($field: $value),* }).await?.into_inner();
                $then
            }
        }
    };
}

#[derive(Clone)]
pub enum Client {
    V5(v5::provider_client::ProviderClient<Channel>),
    V6(v6::provider_client::ProviderClient<Channel>),
}

pub struct PlanResult {
    pub planned_state: Dynamic,
    pub requires_replace: Vec<AttrPath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Vec<Diag>,
}

pub struct ApplyResult {
    pub new_state: Dynamic,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diag>,
}

pub struct Imported {
    pub type_name: String,
    pub state: Dynamic,
    pub private: Vec<u8>,
}

impl Client {
    pub fn new(version: u32, channel: Channel) -> Client {
        if version == 6 {
            Client::V6(
                v6::provider_client::ProviderClient::new(channel)
                    .max_decoding_message_size(MAX_MESSAGE_BYTES)
                    .max_encoding_message_size(MAX_MESSAGE_BYTES),
            )
        } else {
            Client::V5(
                v5::provider_client::ProviderClient::new(channel)
                    .max_decoding_message_size(MAX_MESSAGE_BYTES)
                    .max_encoding_message_size(MAX_MESSAGE_BYTES),
            )
        }
    }

    pub fn version(&self) -> u32 {
        match self {
            Client::V5(_) => 5,
            Client::V6(_) => 6,
        }
    }

    /// The schema, or why it is unusable (as diagnostics or a type error).
    pub async fn schema(&self) -> RpcResult<(Result<PluginSchema, CtyError>, Vec<Diag>)> {
        rpc!(self,
        v5: get_schema(get_provider_schema), v6: get_provider_schema(get_provider_schema),
        |pb| {},
        |r| {
            let convert = |s: Option<&pb::Schema>, name: &str| schema::from_schema(s, name);
            let converted = (|| {
                Ok(PluginSchema {
                    provider: convert(r.provider.as_ref(), "provider")?,
                    resources: r
                        .resource_schemas
                        .iter()
                        .map(|(n, s)| Ok((n.clone(), convert(Some(s), n)?)))
                        .collect::<Result<_, CtyError>>()?,
                    data_sources: r
                        .data_source_schemas
                        .iter()
                        .map(|(n, s)| Ok((n.clone(), convert(Some(s), n)?)))
                        .collect::<Result<_, CtyError>>()?,
                    provider_meta: match &r.provider_meta {
                        Some(s) => Some(convert(Some(s), "provider_meta")?),
                        None => None,
                    },
                })
            })();
            Ok((converted, diags(r.diagnostics)))
        })
    }

    /// Validates the provider configuration; protocol 5 may hand back a
    /// prepared configuration (defaults filled in) to configure with.
    pub async fn validate_provider_config(
        &self,
        config: Dynamic,
    ) -> RpcResult<(Option<Dynamic>, Vec<Diag>)> {
        match self.clone() {
            Client::V5(mut c) => {
                let r = c
                    .prepare_provider_config(v5::prepare_provider_config::Request {
                        config: Some(config.into()),
                    })
                    .await?
                    .into_inner();
                let prepared = r.prepared_config.map(|d| Dynamic::from(Some(d)));
                Ok((
                    prepared.filter(|d| !d.msgpack.is_empty() || !d.json.is_empty()),
                    diags(r.diagnostics),
                ))
            }
            Client::V6(mut c) => {
                let r = c
                    .validate_provider_config(v6::validate_provider_config::Request {
                        config: Some(config.into()),
                    })
                    .await?
                    .into_inner();
                Ok((None, diags(r.diagnostics)))
            }
        }
    }

    pub async fn configure(
        &self,
        terraform_version: &str,
        config: Dynamic,
    ) -> RpcResult<Vec<Diag>> {
        rpc!(self,
            v5: configure(configure), v6: configure_provider(configure_provider),
            |pb| {
                terraform_version: terraform_version.to_string(),
                config: Some(config.into()),
            },
            |r| Ok(diags(r.diagnostics)))
    }

    pub async fn validate_resource(
        &self,
        type_name: &str,
        config: Dynamic,
    ) -> RpcResult<Vec<Diag>> {
        rpc!(self,
            v5: validate_resource_type_config(validate_resource_type_config),
            v6: validate_resource_config(validate_resource_config),
            |pb| { type_name: type_name.to_string(), config: Some(config.into()) },
            |r| Ok(diags(r.diagnostics)))
    }

    pub async fn validate_data_source(
        &self,
        type_name: &str,
        config: Dynamic,
    ) -> RpcResult<Vec<Diag>> {
        rpc!(self,
            v5: validate_data_source_config(validate_data_source_config),
            v6: validate_data_resource_config(validate_data_resource_config),
            |pb| { type_name: type_name.to_string(), config: Some(config.into()) },
            |r| Ok(diags(r.diagnostics)))
    }

    /// Upgrades stored state (JSON as stored) written by schema `version`.
    pub async fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        json: Vec<u8>,
    ) -> RpcResult<(Dynamic, Vec<Diag>)> {
        rpc!(self,
            v5: upgrade_resource_state(upgrade_resource_state),
            v6: upgrade_resource_state(upgrade_resource_state),
            |pb| {
                type_name: type_name.to_string(),
                version: version,
                raw_state: Some(pb::RawState { json, flatmap: Default::default() }),
            },
            |r| Ok((r.upgraded_state.into(), diags(r.diagnostics))))
    }

    pub async fn read_resource(
        &self,
        type_name: &str,
        current: Dynamic,
        private: Vec<u8>,
    ) -> RpcResult<ApplyResult> {
        rpc!(self,
        v5: read_resource(read_resource), v6: read_resource(read_resource),
        |pb| {
            type_name: type_name.to_string(),
            current_state: Some(current.into()),
            private: private,
            provider_meta: None,
        },
        |r| Ok(ApplyResult {
            new_state: r.new_state.into(),
            private: r.private,
            diagnostics: diags(r.diagnostics),
        }))
    }

    pub async fn plan(
        &self,
        type_name: &str,
        prior: Dynamic,
        proposed: Dynamic,
        config: Dynamic,
        prior_private: Vec<u8>,
    ) -> RpcResult<PlanResult> {
        rpc!(self,
        v5: plan_resource_change(plan_resource_change),
        v6: plan_resource_change(plan_resource_change),
        |pb| {
            type_name: type_name.to_string(),
            prior_state: Some(prior.into()),
            proposed_new_state: Some(proposed.into()),
            config: Some(config.into()),
            prior_private: prior_private,
            provider_meta: None,
        },
        |r| Ok(PlanResult {
            planned_state: r.planned_state.into(),
            requires_replace: r.requires_replace.into_iter().map(Into::into).collect(),
            planned_private: r.planned_private,
            diagnostics: diags(r.diagnostics),
        }))
    }

    pub async fn apply(
        &self,
        type_name: &str,
        prior: Dynamic,
        planned: Dynamic,
        config: Dynamic,
        planned_private: Vec<u8>,
    ) -> RpcResult<ApplyResult> {
        rpc!(self,
        v5: apply_resource_change(apply_resource_change),
        v6: apply_resource_change(apply_resource_change),
        |pb| {
            type_name: type_name.to_string(),
            prior_state: Some(prior.into()),
            planned_state: Some(planned.into()),
            config: Some(config.into()),
            planned_private: planned_private,
            provider_meta: None,
        },
        |r| Ok(ApplyResult {
            new_state: r.new_state.into(),
            private: r.private,
            diagnostics: diags(r.diagnostics),
        }))
    }

    pub async fn import(&self, type_name: &str, id: &str) -> RpcResult<(Vec<Imported>, Vec<Diag>)> {
        rpc!(self,
        v5: import_resource_state(import_resource_state),
        v6: import_resource_state(import_resource_state),
        |pb| { type_name: type_name.to_string(), id: id.to_string() },
        |r| {
            let objects = r
                .imported_resources
                .into_iter()
                .map(|o| Imported {
                    type_name: o.type_name,
                    state: o.state.into(),
                    private: o.private,
                })
                .collect();
            Ok((objects, diags(r.diagnostics)))
        })
    }

    pub async fn read_data_source(
        &self,
        type_name: &str,
        config: Dynamic,
    ) -> RpcResult<(Dynamic, Vec<Diag>)> {
        rpc!(self,
            v5: read_data_source(read_data_source), v6: read_data_source(read_data_source),
            |pb| {
                type_name: type_name.to_string(),
                config: Some(config.into()),
                provider_meta: None,
            },
            |r| Ok((r.state.into(), diags(r.diagnostics))))
    }

    /// Asks the provider to cancel operations in flight (not to exit).
    pub async fn stop(&self) -> RpcResult<String> {
        Ok(match self.clone() {
            Client::V5(mut c) => c.stop(v5::stop::Request {}).await?.into_inner().error,
            Client::V6(mut c) => {
                c.stop_provider(v6::stop_provider::Request {})
                    .await?
                    .into_inner()
                    .error
            }
        })
    }
}
