//! The AWS provider and its LocalStack preset, with its own AWS client
//! ([`wire`]: SigV4, the credential chain and the services' wire protocols).
//!
//! ```scheme
//! (provider aws (region "eu-west-1") (profile "prod"))
//! (provider localstack)            ; http://localhost:4566, test/test, path-style S3
//! ```
//!
//! `NIMBUS_AWS_ENDPOINT` overrides the endpoint of every configuration, so a
//! test can point any configuration at its emulator.
//!
//! Resource types: `s3-bucket`, `s3-bucket-policy`, `s3-object`,
//! `dynamodb-table`, `iam-role`, `iam-policy`, `lambda`,
//! `lambda-permission`, `api-gateway-rest-api`, `api-gateway-resource`,
//! `api-gateway-method`, `api-gateway-integration`,
//! `api-gateway-deployment`, `api-gateway-stage`, `sqs-queue`, `sns-topic`,
//! `sns-subscription`. Data sources: `aws-caller-identity`, `aws-region`,
//! `s3-bucket`. docs/providers/aws.md documents every attribute.
//!
//! Errors: throttling, 5xx, timeouts and connection failures come back
//! Retryable, and the engine retries the operation (with backoff and an
//! event per retry); requests AWS refused as invalid come back Fatal with the
//! attribute they concern. Each API call is sent once, so the engine's is
//! the only retry layer. What stays here are bounded
//! waits for an eventual state (a function or table becoming active, a
//! deleted table going away, a new role becoming usable by Lambda, a
//! deleted queue's name becoming free), none of which sends a failed call
//! again after a throttling, server or connection error.

mod apigateway;
mod clients;
pub mod docs;
mod dynamodb;
mod error;
mod iam;
mod lambda;
mod policy;
mod resource;
mod s3;
mod sns;
mod sqs;
mod util;
pub mod wire;
pub mod zip;

pub use clients::{
    Clients, ENDPOINT_ENV, LOCALSTACK_ENDPOINT, LOCALSTACK_REGION, Preset, Settings,
    effective_endpoint, partition_of,
};

use async_trait::async_trait;
use nimbus_provider::nimbus_value::{AttributeSchema as A, ProviderSchema, Schema, Type, Value};
use nimbus_provider::planning::{diagnostics, ensure_in_place, ensure_known, fill_defaults};
use nimbus_provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, ImportedObject, PlanRequest, PlanResponse,
    Provider, ProviderDiagnostic, ProviderError, ReadRequest, ReadResponse,
};
use resource::ResourceType;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Data source names.
pub const CALLER_IDENTITY: &str = "aws-caller-identity";
pub const REGION: &str = "aws-region";
pub const S3_BUCKET: &str = "s3-bucket";

/// How long Lambda creation keeps retrying while a new role propagates.
pub const DEFAULT_ROLE_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

fn resource_types() -> Vec<Box<dyn ResourceType>> {
    vec![
        Box::new(s3::Bucket),
        Box::new(s3::BucketPolicy),
        Box::new(s3::S3Object),
        Box::new(dynamodb::Table),
        Box::new(iam::Role),
        Box::new(iam::Policy),
        Box::new(lambda::Function),
        Box::new(lambda::Permission),
        Box::new(apigateway::RestApi),
        Box::new(apigateway::ApiResource),
        Box::new(apigateway::Method),
        Box::new(apigateway::Integration),
        Box::new(apigateway::Deployment),
        Box::new(apigateway::Stage),
        Box::new(sqs::Queue),
        Box::new(sns::Topic),
        Box::new(sns::Subscription),
    ]
}

/// Every resource type the provider offers.
pub fn resource_type_names() -> Vec<&'static str> {
    resource_types().iter().map(|r| r.name()).collect()
}

fn provider_schema_block(preset: Preset) -> Schema {
    let what = match preset {
        Preset::Aws => {
            "Amazon Web Services: credentials from the standard chain (environment, profile files with \
             keys, credential_process or an assumed role, web identity, ECS/EKS container and EC2 metadata)."
        }
        Preset::LocalStack => {
            "The AWS provider preset for LocalStack: endpoint http://localhost:4566 unless `endpoint` says \
             otherwise, credentials test/test, region us-east-1, path-style S3 addressing."
        }
    };
    Schema::new(what)
        .attr(
            "region",
            A::optional(Type::String).describe(match preset {
                Preset::Aws => "Region, e.g. \"eu-west-1\"; unset: AWS_REGION, the profile's region, or on EC2 the instance's.",
                Preset::LocalStack => "Region; default \"us-east-1\".",
            }),
        )
        .attr("profile", A::optional(Type::String).describe("Named profile of ~/.aws/config and ~/.aws/credentials."))
        .attr(
            "endpoint",
            A::optional(Type::String).describe(
                "One endpoint URL for every service (an emulator, a proxy). NIMBUS_AWS_ENDPOINT overrides it.",
            ),
        )
        .attr("access-key", A::optional(Type::String).sensitive().describe("Access key id; prefer the credential chain."))
        .attr("secret-key", A::optional(Type::String).sensitive().describe("Secret access key, with `access-key`."))
        .attr("token", A::optional(Type::String).sensitive().describe("Session token, with temporary credentials."))
        .attr(
            "s3-use-path-style",
            A::optional(Type::Bool).describe(
                "Address S3 as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT. Default: true with a custom endpoint, else false.",
            ),
        )
}

fn data_source_schemas() -> BTreeMap<String, Arc<Schema>> {
    let mut d = BTreeMap::new();
    d.insert(
        CALLER_IDENTITY.to_string(),
        Schema::new("Who the provider's credentials belong to (STS GetCallerIdentity).")
            .attr(
                "account-id",
                A::computed(Type::String).describe("The 12-digit account id."),
            )
            .attr(
                "arn",
                A::computed(Type::String).describe("ARN of the calling user or role."),
            )
            .attr(
                "user-id",
                A::computed(Type::String).describe("Unique id of the caller."),
            ),
    );
    d.insert(
        REGION.to_string(),
        Schema::new("The region the provider is configured for.")
            .attr(
                "name",
                A::computed(Type::String).describe("Region name, e.g. \"us-east-1\"."),
            )
            .attr(
                "partition",
                A::computed(Type::String)
                    .describe("Partition: \"aws\", \"aws-cn\" or \"aws-us-gov\"."),
            ),
    );
    d.insert(S3_BUCKET.to_string(), s3::bucket_data_schema());
    d.into_iter().map(|(name, s)| (name, Arc::new(s))).collect()
}

/// The schema of a provider of the given preset (the same resources; the
/// provider block's descriptions differ).
pub fn aws_schema(preset: Preset) -> ProviderSchema {
    ProviderSchema {
        provider: provider_schema_block(preset),
        resources: resource_types()
            .iter()
            .map(|r| (r.name().to_string(), Arc::new(r.schema())))
            .collect(),
        data_sources: data_source_schemas(),
    }
}

/// The AWS provider.
pub struct Aws {
    preset: Preset,
    base_dir: PathBuf,
    schema: Arc<ProviderSchema>,
    types: BTreeMap<&'static str, Box<dyn ResourceType>>,
    clients: RwLock<Option<Arc<Clients>>>,
    role_propagation_timeout: Duration,
}

impl Aws {
    /// An unconfigured provider; relative paths in configurations
    /// (`code-uri`, `source`) resolve against `base_dir`.
    pub fn new(preset: Preset, base_dir: impl Into<PathBuf>) -> Aws {
        Aws {
            preset,
            base_dir: base_dir.into(),
            schema: Arc::new(aws_schema(preset)),
            types: resource_types()
                .into_iter()
                .map(|r| (r.name(), r))
                .collect(),
            clients: RwLock::new(None),
            role_propagation_timeout: DEFAULT_ROLE_PROPAGATION_TIMEOUT,
        }
    }

    /// Shortens or lengthens the wait for new IAM roles (tests).
    pub fn with_role_propagation_timeout(mut self, timeout: Duration) -> Aws {
        self.role_propagation_timeout = timeout;
        self
    }

    pub fn preset(&self) -> Preset {
        self.preset
    }

    /// The AWS client of the configured provider (tests use it to change
    /// objects out of band).
    pub fn clients(&self) -> Result<Arc<Clients>, ProviderError> {
        self.clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "the {} provider is not configured yet",
                    self.preset.name()
                ))
            })
    }

    fn resource(&self, type_name: &str) -> Result<(&dyn ResourceType, &Schema), ProviderError> {
        match (
            self.types.get(type_name),
            self.schema.resources.get(type_name),
        ) {
            (Some(r), Some(s)) => Ok((r.as_ref(), &**s)),
            _ => Err(ProviderError::fatal(format!(
                "the {} provider has no resource type `{type_name}` (it has: {})",
                self.preset.name(),
                self.types.keys().copied().collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The planned state as resource types see it at apply time: what is
    /// still unknown (attributes AWS decides) is null, i.e. unset.
    fn known(planned: &Value) -> Value {
        match planned.peel() {
            Value::Map(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            if v.is_unknown() {
                                Value::Null
                            } else {
                                v.clone()
                            },
                        )
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Completes a state returned by a resource type: exactly the schema's
    /// attributes, nothing unknown.
    fn finish(
        &self,
        type_name: &str,
        schema: &Schema,
        state: Value,
    ) -> Result<Value, ProviderError> {
        let object = util::object_from(schema, &state);
        ensure_known("AWS", type_name, &object)?;
        Ok(Value::Map(object))
    }
}

#[async_trait]
impl Provider for Aws {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn endpoint(&self) -> String {
        match self
            .clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            Some(c) => format!(
                "{}:{}",
                self.preset.name(),
                c.endpoint.clone().unwrap_or_else(|| c.region.clone())
            ),
            None => format!(
                "{}:{}",
                self.preset.name(),
                effective_endpoint(self.preset, None).unwrap_or_else(|| "default".into())
            ),
        }
    }

    async fn configure(&self, config: &Value) -> Result<(), ProviderError> {
        let settings = Settings::from_value(config)?;
        let clients = Clients::new(
            self.preset,
            &settings,
            self.base_dir.clone(),
            self.role_propagation_timeout,
        )
        .await?;
        *self.clients.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(clients));
        Ok(())
    }

    async fn validate_resource(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Vec<ProviderDiagnostic>, ProviderError> {
        let (resource, _) = self.resource(type_name)?;
        Ok(diagnostics(resource.check(config)))
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let (resource, schema) = self.resource(request.type_name)?;
        resource::plan(resource, schema, &self.base_dir, &request)
    }

    async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let (resource, schema) = self.resource(request.type_name)?;
        let clients = self.clients()?;
        let state = resource
            .create(&clients, &Aws::known(request.planned_state))
            .await?;
        Ok(ApplyResponse {
            warnings: Vec::new(),
            new_state: self.finish(request.type_name, schema, state)?,
            private: Vec::new(),
        })
    }

    async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let (resource, schema) = self.resource(request.type_name)?;
        let prior = request.prior_for_update()?;
        ensure_in_place(schema, request.type_name, prior, request.planned_state)?;
        let clients = self.clients()?;
        let state = resource
            .update(&clients, prior, &Aws::known(request.planned_state))
            .await?;
        Ok(ApplyResponse {
            warnings: Vec::new(),
            new_state: self.finish(request.type_name, schema, state)?,
            private: request.private.to_vec(),
        })
    }

    async fn delete(&self, request: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let (resource, _) = self.resource(request.type_name)?;
        resource
            .delete(&*self.clients()?, request.prior_state)
            .await
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<ReadResponse>, ProviderError> {
        let (resource, schema) = self.resource(request.type_name)?;
        let clients = self.clients()?;
        match resource.read(&clients, request.current_state).await? {
            None => Ok(None),
            Some(state) => Ok(Some(ReadResponse {
                new_state: self.finish(request.type_name, schema, state)?,
                private: request.private.to_vec(),
            })),
        }
    }

    async fn import(
        &self,
        type_name: &str,
        id: &str,
    ) -> Result<Vec<ImportedObject>, ProviderError> {
        let (resource, schema) = self.resource(type_name)?;
        if id.is_empty() {
            return Err(ProviderError::fatal(format!(
                "cannot import {type_name}: the id is empty"
            )));
        }
        let clients = self.clients()?;
        let mut state = resource.import(&clients, id).await?;
        // Attributes AWS cannot tell take their defaults.
        if let Value::Map(map) = &mut state {
            fill_defaults(map, &resource.defaults());
        }
        Ok(vec![ImportedObject {
            type_name: type_name.to_string(),
            state: self.finish(type_name, schema, state)?,
            private: Vec::new(),
        }])
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let clients = self.clients()?;
        match type_name {
            CALLER_IDENTITY => {
                let identity = clients.caller_identity().await?;
                Ok(Value::Map(
                    [
                        ("account-id".to_string(), util::str_value(identity.account)),
                        ("arn".to_string(), util::str_value(identity.arn)),
                        ("user-id".to_string(), util::str_value(identity.user_id)),
                    ]
                    .into(),
                ))
            }
            REGION => Ok(Value::Map(
                [
                    ("name".to_string(), Value::string(&clients.region)),
                    ("partition".to_string(), Value::string(&clients.partition)),
                ]
                .into(),
            )),
            S3_BUCKET => s3::read_bucket_data(&clients, config).await,
            other => Err(ProviderError::fatal(format!(
                "the {} provider has no data source `{other}` (it has: {CALLER_IDENTITY}, {REGION}, {S3_BUCKET})",
                self.preset.name()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described_and_kebab_case() {
        for preset in [Preset::Aws, Preset::LocalStack] {
            let schema = aws_schema(preset);
            for (name, a) in &schema.provider.attributes {
                assert!(!a.description.is_empty(), "provider.{name}");
            }
            for (kind, schemas) in [
                ("resource", &schema.resources),
                ("data source", &schema.data_sources),
            ] {
                for (name, s) in schemas {
                    assert!(!s.description.is_empty(), "{kind} {name}");
                    assert!(!name.contains('_'), "{kind} {name} is not kebab-case");
                    for (attr, a) in &s.attributes {
                        assert!(!a.description.is_empty(), "{kind} {name}.{attr}");
                        assert!(
                            !attr.contains('_') && attr.to_lowercase() == *attr,
                            "{kind} {name}.{attr} is not kebab-case"
                        );
                    }
                    if kind == "resource" {
                        assert!(s.attributes.contains_key("id"), "{name} has an id");
                    }
                }
            }
        }
    }

    #[test]
    fn defaults_name_real_attributes() {
        for r in resource_types() {
            let schema = r.schema();
            for (name, _) in r.defaults() {
                assert!(schema.attributes[name].is_settable(), "{}.{name}", r.name());
            }
            for name in r.documents() {
                assert!(schema.attributes.contains_key(*name), "{}.{name}", r.name());
            }
        }
    }

    #[test]
    fn endpoint_presets() {
        // SAFETY-free: only reads the variable when set by the test runner.
        if std::env::var(ENDPOINT_ENV).is_err() {
            assert_eq!(
                effective_endpoint(Preset::LocalStack, None).as_deref(),
                Some(LOCALSTACK_ENDPOINT)
            );
            assert_eq!(effective_endpoint(Preset::Aws, None), None);
            assert_eq!(
                effective_endpoint(Preset::Aws, Some("http://x:1")).as_deref(),
                Some("http://x:1")
            );
        }
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("eu-west-1"), "aws");
    }

    #[test]
    fn settings_are_checked() {
        let config = |pairs: &[(&str, Value)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )
        };
        let e = Settings::from_value(&config(&[("access-key", Value::string("a"))])).unwrap_err();
        assert_eq!(e.attribute.as_deref(), Some("secret-key"));
        let e = Settings::from_value(&config(&[("endpoint", Value::string("localhost:4566"))]))
            .unwrap_err();
        assert_eq!(e.attribute.as_deref(), Some("endpoint"));
        let s = Settings::from_value(&config(&[
            ("region", Value::string("eu-west-1")),
            ("profile", Value::Null),
        ]))
        .unwrap();
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            Settings::from_value(&Value::Null).unwrap(),
            Settings::default()
        );
    }
}
