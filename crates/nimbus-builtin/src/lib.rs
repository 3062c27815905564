//! The built-in provider: resource types that need no remote service and
//! are always available.
//!
//! | type | what it is |
//! | --- | --- |
//! | `null-resource` | nothing; replaced when `triggers` change |
//! | `terraform-data` | stores `input`, echoes it as `output`; replaced when `triggers-replace` changes |
//! | `random-id` | random bytes in hex, base64 and decimal |
//! | `random-string` / `random-password` | random text with per-class minimums |
//! | `local-file` | a file written atomically (also a data source) |
//! | `time-static` | a timestamp fixed at creation |
//!
//! Semantics follow Terraform's equivalents (`null_resource`,
//! `terraform_data`, `random_*`, `local_file`, `time_static`) with kebab-case
//! names. Where Nimbus differs it says so in the schema descriptions:
//! `local-file` defaults `file-permission` to "0644" (Terraform: "0777"),
//! updates permissions in place instead of replacing the file, applies modes
//! exactly (no umask), and reports out-of-band edits as drift instead of
//! forgetting the file; `random-password` has no `bcrypt-hash`;
//! `random-string` rejects a `min-*` for a disabled class.
//!
//! Two test hooks (see [`BuiltinOptions`]) let the engine's end-to-end tests
//! inject a failure and slow down creates.
//!
//! The provider must be driven from inside a Tokio runtime with the time
//! driver enabled: file operations run on `spawn_blocking` and the create
//! delay uses `tokio::time::sleep`.

mod local_file;
mod random;
mod schema;
mod time_static;
mod util;

pub use random::{CharClass, StringSpec, generate_string, to_decimal};
pub use schema::{
    DATA_SOURCES, DEFAULT_DIRECTORY_PERMISSION, DEFAULT_FILE_PERMISSION, DEFAULT_SPECIAL,
    LOCAL_FILE, MAX_BYTE_LENGTH, MAX_STRING_LENGTH, NULL_RESOURCE, RANDOM_ID, RANDOM_PASSWORD,
    RANDOM_STRING, RESOURCE_TYPES, TERRAFORM_DATA, TIME_STATIC, builtin_schema,
};

use async_trait::async_trait;
use nimbus_provider::attrs::{Field, attr, string_field};
use nimbus_provider::nimbus_value::{ProviderSchema, Schema, Value};
use nimbus_provider::planning::{
    PlanRules, diagnostics, ensure_in_place, ensure_known, fill_defaults, first_error, object_from,
    plan_resource,
};
use nimbus_provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, ImportedObject, PlanRequest, PlanResponse,
    Provider, ProviderDiagnostic, ProviderError, ReadRequest, ReadResponse,
};
use rand::{Rng, RngCore};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use util::{blocking, csprng};

/// The name the built-in provider is known by: its configuration's address
/// and the provider recorded with every object it made.
pub const NAME: &str = "builtin";

/// The endpoint key of the builtin provider.
pub const ENDPOINT: &str = "builtin";
/// Environment variable read by [`BuiltinOptions::from_env`]: a
/// `terraform-data` whose `input` is this string fails to create or update.
pub const FAULT_INPUT_ENV: &str = "NIMBUS_BUILTIN_FAULT_INPUT";
/// Environment variable read by [`BuiltinOptions::from_env`]: a
/// `terraform-data` whose `input` is this string is warned about when it is
/// validated, planned, created or updated.
pub const WARN_INPUT_ENV: &str = "NIMBUS_BUILTIN_WARN_INPUT";
/// Environment variable read by [`BuiltinOptions::from_env`]: milliseconds
/// to sleep at the start of every create.
pub const CREATE_DELAY_ENV: &str = "NIMBUS_BUILTIN_CREATE_DELAY_MS";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinOptions {
    /// Relative `filename`s of `local-file` resolve against this directory
    /// (normally the configuration's directory).
    pub base_dir: PathBuf,
    /// Test hook: a `terraform-data` whose `input` is exactly this string
    /// fails create and update with a Fatal error
    /// "injected failure for input ...".
    pub fault_input: Option<String>,
    /// Test hook: a `terraform-data` whose `input` is exactly this string
    /// gets a warning from validate, plan, create and update.
    pub warn_input: Option<String>,
    /// Test hook: every create of every type first sleeps this long (before
    /// doing anything, so a process killed meanwhile has created nothing).
    pub create_delay: Option<Duration>,
}

impl BuiltinOptions {
    /// Options without test hooks.
    pub fn new(base_dir: impl Into<PathBuf>) -> BuiltinOptions {
        BuiltinOptions {
            base_dir: base_dir.into(),
            fault_input: None,
            warn_input: None,
            create_delay: None,
        }
    }

    /// Options with the test hooks taken from `NIMBUS_BUILTIN_FAULT_INPUT`,
    /// `NIMBUS_BUILTIN_WARN_INPUT` and `NIMBUS_BUILTIN_CREATE_DELAY_MS`. Unset, empty or (for the delay)
    /// unparsable values leave the hook off.
    pub fn from_env(base_dir: impl Into<PathBuf>) -> BuiltinOptions {
        BuiltinOptions::from_lookup(base_dir, |name| std::env::var(name).ok())
    }

    /// Like [`BuiltinOptions::from_env`] with another source of variables.
    pub fn from_lookup(
        base_dir: impl Into<PathBuf>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> BuiltinOptions {
        let fault_input = lookup(FAULT_INPUT_ENV).filter(|s| !s.is_empty());
        let warn_input = lookup(WARN_INPUT_ENV).filter(|s| !s.is_empty());
        let create_delay = lookup(CREATE_DELAY_ENV)
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis);
        BuiltinOptions {
            base_dir: base_dir.into(),
            fault_input,
            warn_input,
            create_delay,
        }
    }
}

/// The builtin provider.
pub struct Builtin {
    options: BuiltinOptions,
    schema: Arc<ProviderSchema>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NullResource,
    TerraformData,
    RandomId,
    RandomString,
    RandomPassword,
    LocalFile,
    TimeStatic,
}

impl Kind {
    fn of(type_name: &str) -> Result<Kind, ProviderError> {
        Ok(match type_name {
            NULL_RESOURCE => Kind::NullResource,
            TERRAFORM_DATA => Kind::TerraformData,
            RANDOM_ID => Kind::RandomId,
            RANDOM_STRING => Kind::RandomString,
            RANDOM_PASSWORD => Kind::RandomPassword,
            LOCAL_FILE => Kind::LocalFile,
            TIME_STATIC => Kind::TimeStatic,
            other => {
                return Err(ProviderError::fatal(format!(
                    "the builtin provider has no resource type `{other}` (it has: {})",
                    RESOURCE_TYPES.join(", ")
                )));
            }
        })
    }

    /// Values of unset optional attributes, applied at plan time.
    fn defaults(self) -> Vec<(&'static str, Value)> {
        match self {
            Kind::RandomString | Kind::RandomPassword => random::string_defaults(),
            Kind::LocalFile => vec![
                ("file-permission", Value::string(DEFAULT_FILE_PERMISSION)),
                (
                    "directory-permission",
                    Value::string(DEFAULT_DIRECTORY_PERMISSION),
                ),
            ],
            _ => Vec::new(),
        }
    }
}

impl Builtin {
    pub fn new(options: BuiltinOptions) -> Builtin {
        Builtin {
            options,
            schema: Arc::new(builtin_schema()),
        }
    }

    pub fn options(&self) -> &BuiltinOptions {
        &self.options
    }

    /// A `filename` as the file system sees it.
    pub fn resolve(&self, filename: &str) -> PathBuf {
        let path = Path::new(filename);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.options.base_dir.join(path)
        }
    }

    fn resource_schema(&self, type_name: &str) -> Result<&Schema, ProviderError> {
        self.schema
            .resources
            .get(type_name)
            .map(|s| &**s)
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "the builtin provider has no resource type `{type_name}`"
                ))
            })
    }

    /// Configuration errors beyond the schema; unknown values are skipped.
    fn check(kind: Kind, object: &Value) -> Vec<ProviderError> {
        match kind {
            Kind::NullResource | Kind::TerraformData => Vec::new(),
            Kind::RandomId => random::analyse_id(object).0,
            Kind::RandomString | Kind::RandomPassword => random::analyse_string(object).0,
            Kind::LocalFile => local_file::check(object),
            Kind::TimeStatic => time_static::check(object),
        }
    }

    fn check_fault(&self, input: &Value) -> Result<(), ProviderError> {
        match (&self.options.fault_input, input.as_str()) {
            (Some(fault), Some(input)) if fault == input => Err(ProviderError::fatal(format!(
                "injected failure for input {input:?} ({FAULT_INPUT_ENV})"
            ))
            .on_attribute("input")),
            _ => Ok(()),
        }
    }

    /// The warning test hook's warnings for an object.
    fn warnings(&self, kind: Kind, object: &Value) -> Vec<ProviderDiagnostic> {
        match (&self.options.warn_input, attr(object, "input").as_str()) {
            (Some(warn), Some(input)) if kind == Kind::TerraformData && warn == input => {
                vec![ProviderDiagnostic::warning(
                    Some("input"),
                    format!("test warning for input {input:?} ({WARN_INPUT_ENV})"),
                )]
            }
            _ => Vec::new(),
        }
    }

    async fn read_local_file(
        &self,
        path: PathBuf,
    ) -> Result<Option<local_file::OnDisk>, ProviderError> {
        blocking(move || local_file::read_file(&path)).await
    }
}

fn import_error(type_name: &str, id: &str, why: &str) -> ProviderError {
    ProviderError::fatal(format!("cannot import {type_name} {id:?}: {why}"))
}

#[async_trait]
impl Provider for Builtin {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn endpoint(&self) -> String {
        ENDPOINT.to_string()
    }

    async fn configure(&self, config: &Value) -> Result<(), ProviderError> {
        match config.peel() {
            Value::Null => Ok(()),
            Value::Map(map) => match map.iter().find(|(_, v)| !v.is_null()) {
                None => Ok(()),
                Some((key, _)) => Err(ProviderError::fatal(format!(
                    "the builtin provider takes no configuration; remove `{key}`"
                ))
                .on_attribute(key.as_str())),
            },
            other => Err(ProviderError::fatal(format!(
                "the builtin provider takes no configuration, found {}",
                other.kind_name()
            ))),
        }
    }

    async fn validate_resource(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Vec<ProviderDiagnostic>, ProviderError> {
        let kind = Kind::of(type_name)?;
        let mut found = diagnostics(Builtin::check(kind, config));
        found.extend(self.warnings(kind, config));
        Ok(found)
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let kind = Kind::of(request.type_name)?;
        let schema = self.resource_schema(request.type_name)?;
        first_error(Builtin::check(kind, request.config))?;
        let defaults = kind.defaults();
        let rules = PlanRules {
            defaults: &defaults,
            ..PlanRules::default()
        };
        let mut plan = plan_resource(schema, &request, &rules)?;
        let planned = &mut plan.state;
        match kind {
            Kind::TerraformData => {
                let input = planned.get("input").cloned().unwrap_or(Value::Null);
                let changed = match request.prior_state {
                    None => true,
                    Some(prior) => !input.is_wholly_known() || &input != attr(prior, "input"),
                };
                if changed || !plan.requires_replace.is_empty() {
                    planned.insert("output".into(), Value::Unknown);
                }
            }
            Kind::TimeStatic => time_static::fill(planned)?,
            _ => {}
        }
        let mut response = plan.into_response();
        response.warnings = self.warnings(kind, request.config);
        Ok(response)
    }

    async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let kind = Kind::of(request.type_name)?;
        if let Some(delay) = self.options.create_delay {
            tokio::time::sleep(delay).await;
        }
        let schema = self.resource_schema(request.type_name)?;
        let planned = request.planned_state;
        first_error(Builtin::check(kind, planned))?;
        let mut state = object_from(schema, planned);
        fill_defaults(&mut state, &kind.defaults());
        let mut private = Vec::new();
        match kind {
            Kind::NullResource => {
                let id = csprng()?.random::<u64>() >> 1;
                state.insert("id".into(), Value::string(id.to_string()));
            }
            Kind::TerraformData => {
                let input = attr(planned, "input").clone();
                self.check_fault(&input)?;
                let mut bytes = [0u8; 16];
                csprng()?.fill_bytes(&mut bytes);
                let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
                state.insert("id".into(), Value::string(id.to_string()));
                state.insert("output".into(), input);
            }
            Kind::RandomId => {
                let length = random::analyse_id(planned).1.ok_or_else(|| {
                    ProviderError::fatal("`byte-length` is not known yet")
                        .on_attribute("byte-length")
                })?;
                let prefix = string_field(planned, "prefix")?
                    .known("prefix")?
                    .unwrap_or_default();
                let mut bytes = vec![0u8; length];
                csprng()?.fill_bytes(&mut bytes);
                random::fill_id(&mut state, &bytes, &prefix);
            }
            Kind::RandomString | Kind::RandomPassword => {
                let spec = random::string_spec(planned)?;
                let result = generate_string(&spec, &mut csprng()?);
                let id = if kind == Kind::RandomPassword {
                    "none".to_string()
                } else {
                    result.clone()
                };
                state.insert("result".into(), Value::string(result));
                state.insert("id".into(), Value::string(id));
            }
            Kind::LocalFile => {
                let object = Value::Map(state.clone());
                let path = self.resolve(&local_file::filename(&object)?);
                let bytes = local_file::wanted_bytes(&object)?;
                let (file_mode, dir_mode) = local_file::modes(&object)?;
                let written = bytes.clone();
                let created = blocking(move || {
                    local_file::write_atomically(&path, &written, file_mode, dir_mode)
                })
                .await?;
                local_file::fill_hashes(&mut state, &bytes);
                state.insert("id".into(), Value::string(local_file::sha1_hex(&bytes)));
                private = local_file::encode_private(&created);
            }
            Kind::TimeStatic => {
                if !matches!(
                    state.get("rfc3339").map(Value::peel),
                    Some(Value::String(_))
                ) {
                    state.insert("rfc3339".into(), Value::string(time_static::now()?));
                }
                time_static::fill(&mut state)?;
            }
        }
        ensure_known(ENDPOINT, request.type_name, &state)?;
        Ok(ApplyResponse {
            warnings: self.warnings(kind, planned),
            new_state: Value::Map(state),
            private,
        })
    }

    async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let kind = Kind::of(request.type_name)?;
        let schema = self.resource_schema(request.type_name)?;
        let planned = request.planned_state;
        let prior = request.prior_for_update()?;
        first_error(Builtin::check(kind, planned))?;
        ensure_in_place(schema, request.type_name, prior, planned)?;
        let mut state = object_from(schema, planned);
        fill_defaults(&mut state, &kind.defaults());
        match kind {
            Kind::TerraformData => {
                let input = attr(planned, "input").clone();
                self.check_fault(&input)?;
                state.insert("output".into(), input);
            }
            Kind::LocalFile => {
                let object = Value::Map(state.clone());
                let path = self.resolve(&local_file::filename(&object)?);
                let (file_mode, dir_mode) = local_file::modes(&object)?;
                let old_mode = |name: &str| {
                    attr(prior, name)
                        .as_str()
                        .and_then(|s| local_file::parse_mode(s, name).ok())
                };
                let chmod_file = old_mode("file-permission") != Some(file_mode);
                let chmod_dirs = old_mode("directory-permission") != Some(dir_mode);
                let dirs = local_file::decode_private(request.private);
                blocking(move || {
                    if chmod_file {
                        local_file::chmod(&path, file_mode)?;
                    }
                    if chmod_dirs {
                        local_file::chmod_dirs(&dirs, dir_mode)?;
                    }
                    Ok(())
                })
                .await?;
            }
            Kind::TimeStatic => time_static::fill(&mut state)?,
            Kind::NullResource | Kind::RandomId | Kind::RandomString | Kind::RandomPassword => {}
        }
        ensure_known(ENDPOINT, request.type_name, &state)?;
        Ok(ApplyResponse {
            warnings: self.warnings(kind, planned),
            new_state: Value::Map(state),
            private: request.private.to_vec(),
        })
    }

    async fn delete(&self, request: DeleteRequest<'_>) -> Result<(), ProviderError> {
        match Kind::of(request.type_name)? {
            Kind::LocalFile => {
                let path = self.resolve(&local_file::filename(request.prior_state)?);
                blocking(move || local_file::remove_file(&path)).await
            }
            _ => Ok(()),
        }
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<ReadResponse>, ProviderError> {
        let kind = Kind::of(request.type_name)?;
        let current = request.current_state;
        let found = |new_state| {
            Ok(Some(ReadResponse {
                new_state,
                private: request.private.to_vec(),
            }))
        };
        if kind != Kind::LocalFile {
            return found(current.clone());
        }
        let schema = self.resource_schema(request.type_name)?;
        let path = self.resolve(&local_file::filename(current)?);
        let Some((bytes, mode)) = self.read_local_file(path).await? else {
            return Ok(None);
        };
        let mut state = object_from(schema, current);
        if local_file::refresh(&mut state, &bytes, mode) {
            found(Value::Map(state))
        } else {
            found(current.clone())
        }
    }

    async fn import(
        &self,
        type_name: &str,
        id: &str,
    ) -> Result<Vec<ImportedObject>, ProviderError> {
        let kind = Kind::of(type_name)?;
        let schema = self.resource_schema(type_name)?;
        if id.is_empty() {
            return Err(import_error(type_name, id, "the id is empty"));
        }
        let mut state: BTreeMap<String, Value> = object_from(schema, &Value::Null);
        match kind {
            Kind::NullResource | Kind::TerraformData => {
                state.insert("id".into(), Value::string(id));
            }
            Kind::RandomId => {
                let (prefix, bytes) = random::parse_id_import(id)?;
                state.insert("byte-length".into(), Value::int(bytes.len() as i64));
                state.insert(
                    "prefix".into(),
                    prefix.clone().map(Value::string).unwrap_or(Value::Null),
                );
                random::fill_id(&mut state, &bytes, prefix.as_deref().unwrap_or(""));
            }
            Kind::RandomString | Kind::RandomPassword => {
                if id.chars().count() as i64 > MAX_STRING_LENGTH {
                    return Err(import_error(
                        type_name,
                        "...",
                        "longer than the maximum length",
                    ));
                }
                state.extend(random::imported_string(id, kind == Kind::RandomPassword));
            }
            Kind::LocalFile => {
                let path = self.resolve(id);
                let Some((bytes, mode)) = self.read_local_file(path.clone()).await? else {
                    return Err(import_error(
                        type_name,
                        id,
                        &format!("{} does not exist", path.display()),
                    ));
                };
                state.insert("filename".into(), Value::string(id));
                match std::str::from_utf8(&bytes) {
                    Ok(text) => state.insert("content".into(), Value::string(text)),
                    Err(_) => {
                        state.insert("content-base64".into(), Value::string(base64_std(&bytes)))
                    }
                };
                let file_mode = mode.map(local_file::format_mode);
                state.insert(
                    "file-permission".into(),
                    Value::string(file_mode.unwrap_or_else(|| DEFAULT_FILE_PERMISSION.to_string())),
                );
                state.insert(
                    "directory-permission".into(),
                    Value::string(DEFAULT_DIRECTORY_PERMISSION),
                );
                local_file::fill_hashes(&mut state, &bytes);
                state.insert("id".into(), Value::string(local_file::sha1_hex(&bytes)));
            }
            Kind::TimeStatic => {
                time_static::parse(id).map_err(|e| import_error(type_name, id, &e.message))?;
                state.insert("rfc3339".into(), Value::string(id));
                time_static::fill(&mut state)?;
            }
        }
        ensure_known(ENDPOINT, type_name, &state)?;
        Ok(vec![ImportedObject {
            type_name: type_name.to_string(),
            state: Value::Map(state),
            private: Vec::new(),
        }])
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        if type_name != LOCAL_FILE {
            return Err(ProviderError::fatal(format!(
                "the builtin provider has no data source `{type_name}` (it has: {})",
                DATA_SOURCES.join(", ")
            )));
        }
        let filename = match string_field(config, "filename")? {
            Field::Set(name) if !name.is_empty() => name,
            Field::Unknown => {
                return Err(
                    ProviderError::fatal("`filename` is not known yet").on_attribute("filename")
                );
            }
            _ => {
                return Err(ProviderError::fatal("`filename` is required").on_attribute("filename"));
            }
        };
        let path = self.resolve(&filename);
        match self.read_local_file(path.clone()).await {
            Ok(Some((bytes, _))) => Ok(local_file::data_object(&filename, &bytes)),
            Ok(None) => Err(ProviderError::fatal(format!(
                "local-file: {} does not exist",
                path.display()
            ))
            .on_attribute("filename")),
            Err(e) => Err(e.on_attribute("filename")),
        }
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_from_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let o = BuiltinOptions::from_lookup(
            "/x",
            vars(&[(FAULT_INPUT_ENV, "boom"), (CREATE_DELAY_ENV, "250")]),
        );
        assert_eq!(o.base_dir, PathBuf::from("/x"));
        assert_eq!(o.fault_input.as_deref(), Some("boom"));
        assert_eq!(o.create_delay, Some(Duration::from_millis(250)));
        let o = BuiltinOptions::from_lookup(
            "/x",
            vars(&[(FAULT_INPUT_ENV, ""), (CREATE_DELAY_ENV, "soon")]),
        );
        assert_eq!(o, BuiltinOptions::new("/x"));
    }

    #[test]
    fn every_attribute_is_described() {
        let schema = builtin_schema();
        for (kind, schemas) in [
            ("resource", &schema.resources),
            ("data source", &schema.data_sources),
        ] {
            for (name, s) in schemas {
                assert!(!s.description.is_empty(), "{kind} {name}");
                for (attr, a) in &s.attributes {
                    assert!(!a.description.is_empty(), "{kind} {name}.{attr}");
                    assert!(
                        !attr.contains('_'),
                        "{kind} {name}.{attr} is not kebab-case"
                    );
                }
            }
        }
        assert_eq!(schema.resources.len(), RESOURCE_TYPES.len());
        assert!(schema.resources[RANDOM_PASSWORD].attributes["result"].sensitive);
        assert!(!schema.resources[RANDOM_STRING].attributes["result"].sensitive);
    }
}
