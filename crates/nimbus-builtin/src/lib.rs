//! The built-in provider: resource types that need no remote service and
//! are always available.
//!
//! | kind | what it is |
//! | --- | --- |
//! | `null-resource` | nothing; replaced when `triggers` change |
//! | `terraform-data` | stores `input`, echoes it as `output`; replaced when `triggers-replace` changes |
//! | `random-id` | random bytes in hex, base64 and decimal |
//! | `random-string` / `random-password` | random text with per-class minimums |
//! | `random-integer` | a random integer from a range |
//! | `random-pet` | a readable random name |
//! | `random-shuffle` | a random permutation of a list |
//! | `random-uuid` | a random UUID |
//! | `local-file` / `local-sensitive-file` | a file written atomically (also data sources) |
//! | `time-static` | a timestamp fixed at creation |
//! | `time-offset` | a timestamp at an offset from one fixed at creation |
//! | `time-rotating` | a timestamp replaced once its rotation time has passed |
//! | `time-sleep` | a wait at creation and/or destruction |
//! | `null-data-source` (data source) | copies `inputs` to `outputs` |
//!
//! Each kind is implemented once and offered under two names (see
//! [`Dialect`]): Nimbus's kebab-case one, and Terraform's (`null_resource`,
//! `terraform_data`, `random_*`, `local_*`, `time_*`, data sources
//! `local_file`, `local_sensitive_file`, `null_data_source`) with
//! Terraform's attribute names, defaults and behaviour (hashicorp/null
//! 3.2, random 3.5, local 2.4, time 0.9: [`TERRAFORM_PROVIDERS`]).
//! [`Builtin::new`] offers every name; [`Builtin::terraform`] offers the
//! Terraform names of one such provider, to serve its `required_providers`
//! entry.
//!
//! Where Nimbus's names differ from Terraform's behaviour, the schema
//! descriptions say so: `local-file` defaults `file-permission` to "0644"
//! (Terraform: "0777"), updates permissions in place instead of replacing
//! the file, applies modes exactly (no umask), and reports out-of-band
//! edits as drift instead of forgetting the file; `random-password` has no
//! `bcrypt-hash`; `random-string` rejects a `min-*` for a disabled class.
//! Under either name, a `seed` (random-integer, random-shuffle) gives a
//! result fixed for that seed, but not Terraform's result, and time-offset
//! adds all its offsets where Terraform keeps only one.
//!
//! Two test hooks (see [`BuiltinOptions`]) let the engine's end-to-end tests
//! inject a failure and slow down creates.
//!
//! The provider must be driven from inside a Tokio runtime with the time
//! driver enabled: file operations run on `spawn_blocking` and waits use
//! `tokio::time::sleep`.

mod kinds;
mod local_file;
mod pet;
mod random;
mod schema;
mod time;
mod util;

pub use kinds::{Dialect, Family, TERRAFORM_PROVIDERS, TerraformProvider};
pub use random::{CharClass, StringSpec, generate_string, to_decimal};
pub use schema::{
    DATA_SOURCES, DEFAULT_DIRECTORY_PERMISSION, DEFAULT_FILE_PERMISSION,
    DEFAULT_SENSITIVE_DIRECTORY_PERMISSION, DEFAULT_SENSITIVE_FILE_PERMISSION, DEFAULT_SPECIAL,
    LOCAL_FILE, LOCAL_SENSITIVE_FILE, MAX_BYTE_LENGTH, MAX_PET_LENGTH, MAX_SHUFFLE_RESULTS,
    MAX_SLEEP_SECONDS, MAX_STRING_LENGTH, NULL_DATA_SOURCE, NULL_RESOURCE, RANDOM_ID,
    RANDOM_INTEGER, RANDOM_PASSWORD, RANDOM_PET, RANDOM_SHUFFLE, RANDOM_STRING, RANDOM_UUID,
    RESOURCE_TYPES, TERRAFORM_DATA, TERRAFORM_DATA_SOURCES, TERRAFORM_RESOURCE_TYPES, TIME_OFFSET,
    TIME_ROTATING, TIME_SLEEP, TIME_STATIC, builtin_schema,
};

use async_trait::async_trait;
use kinds::{DataKind, DataType, Kind, ResourceType, Types};
use local_file::{Flavor, Refreshed, Wanted};
use nimbus_provider::attrs::{Field, attr, string_field, string_map};
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
use std::sync::atomic::AtomicBool;
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
/// Environment variable read by [`BuiltinOptions::from_env`]: milliseconds
/// to sleep at the start of every read of a managed object (refresh).
pub const READ_DELAY_ENV: &str = "NIMBUS_BUILTIN_READ_DELAY_MS";

/// A flag the caller sets when the run is interrupted: a `time-sleep`
/// waiting ends early with an error. Equal only to itself.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(pub Arc<AtomicBool>);

impl PartialEq for Interrupt {
    fn eq(&self, other: &Interrupt) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Interrupt {}

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
    /// Test hook: every read of a managed object first sleeps this long
    /// (what makes a refresh last long enough to be interrupted).
    pub read_delay: Option<Duration>,
    /// Set when the run is interrupted (see [`Interrupt`]).
    pub interrupt: Option<Interrupt>,
}

impl BuiltinOptions {
    /// Options without test hooks.
    pub fn new(base_dir: impl Into<PathBuf>) -> BuiltinOptions {
        BuiltinOptions {
            base_dir: base_dir.into(),
            fault_input: None,
            warn_input: None,
            create_delay: None,
            read_delay: None,
            interrupt: None,
        }
    }

    /// Options with the test hooks taken from `NIMBUS_BUILTIN_FAULT_INPUT`,
    /// `NIMBUS_BUILTIN_WARN_INPUT`, `NIMBUS_BUILTIN_CREATE_DELAY_MS` and
    /// `NIMBUS_BUILTIN_READ_DELAY_MS`. Unset, empty or (for the delays)
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
        let delay = |name| {
            lookup(name)
                .and_then(|s| s.trim().parse::<u64>().ok())
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis)
        };
        let (create_delay, read_delay) = (delay(CREATE_DELAY_ENV), delay(READ_DELAY_ENV));
        BuiltinOptions {
            base_dir: base_dir.into(),
            fault_input,
            warn_input,
            create_delay,
            read_delay,
            interrupt: None,
        }
    }

    /// These options, ending waits when `flag` is set.
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> BuiltinOptions {
        self.interrupt = Some(Interrupt(flag));
        self
    }
}

/// The builtin provider.
pub struct Builtin {
    options: BuiltinOptions,
    schema: Arc<ProviderSchema>,
    types: Types,
}

impl Builtin {
    /// Every kind, under Nimbus's names and Terraform's.
    pub fn new(options: BuiltinOptions) -> Builtin {
        let (types, schema) = Types::build(&[Dialect::Nimbus, Dialect::Terraform], None);
        Builtin {
            options,
            schema: Arc::new(schema),
            types,
        }
    }

    /// The kinds of one Terraform provider, under Terraform's names only:
    /// what serves `required_providers { null = { source = "hashicorp/null" } }`.
    pub fn terraform(options: BuiltinOptions, family: Family) -> Builtin {
        let (types, schema) = Types::build(&[Dialect::Terraform], Some(family));
        Builtin {
            options,
            schema: Arc::new(schema),
            types,
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

    /// A managed type and its canonical schema.
    fn resource(&self, type_name: &str) -> Result<(ResourceType, &Schema), ProviderError> {
        match self.types.resources.get(type_name) {
            Some((ty, schema)) => Ok((*ty, schema)),
            None => Err(ProviderError::fatal(format!(
                "the builtin provider has no resource type `{type_name}` (it has: {})",
                self.schema
                    .resources
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    fn interrupt(&self) -> Option<&AtomicBool> {
        self.options.interrupt.as_ref().map(|i| &*i.0)
    }

    /// Configuration errors beyond the schema; unknown values are skipped.
    fn check(ty: ResourceType, object: &Value) -> Vec<ProviderError> {
        match ty.kind {
            Kind::NullResource | Kind::TerraformData | Kind::RandomUuid => Vec::new(),
            Kind::RandomId => random::analyse_id(object).0,
            Kind::RandomString | Kind::RandomPassword => {
                random::analyse_string(object, ty.dialect).0
            }
            Kind::RandomInteger => random::analyse_integer(object).0,
            Kind::RandomPet => pet::check(object),
            Kind::RandomShuffle => random::analyse_shuffle(object).0,
            Kind::LocalFile | Kind::LocalSensitiveFile => {
                local_file::check(object, flavor(ty).unwrap_or(NIMBUS_FILE))
            }
            Kind::TimeStatic => time::check_static(object),
            Kind::TimeOffset => time::check_offset(object),
            Kind::TimeRotating => time::check_rotating(object),
            Kind::TimeSleep => time::check_sleep(object),
        }
    }

    /// Values of unset optional attributes, applied at plan time.
    fn defaults(ty: ResourceType, config: &Value) -> Vec<(&'static str, Value)> {
        match ty.kind {
            Kind::RandomString | Kind::RandomPassword => {
                random::string_defaults(ty.dialect, config)
            }
            Kind::RandomPet => vec![
                ("length", Value::int(pet::DEFAULT_LENGTH)),
                ("separator", Value::string(pet::DEFAULT_SEPARATOR)),
            ],
            Kind::LocalFile | Kind::LocalSensitiveFile => {
                flavor(ty).map(Flavor::defaults).unwrap_or_default()
            }
            _ => Vec::new(),
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

    /// The bytes a file resource writes: inline, or read from `source`.
    async fn file_bytes(&self, object: &Value) -> Result<Vec<u8>, ProviderError> {
        match local_file::wanted(object)? {
            Wanted::Bytes(bytes) => Ok(bytes),
            Wanted::Source(source) => match self.read_local_file(self.resolve(&source)).await {
                Ok(Some((bytes, _))) => Ok(bytes),
                Ok(None) => Err(ProviderError::fatal(format!(
                    "`source`: {} does not exist",
                    self.resolve(&source).display()
                ))
                .on_attribute("source")),
                Err(e) => Err(e.on_attribute("source")),
            },
        }
    }

    // The operations below work in canonical attribute names; the
    // `Provider` methods convert at the boundary.

    fn plan_canonical(
        &self,
        ty: ResourceType,
        schema: &Schema,
        request: PlanRequest<'_>,
    ) -> Result<PlanResponse, ProviderError> {
        first_error(Builtin::check(ty, request.config))?;
        let defaults = Builtin::defaults(ty, request.config);
        let rules = PlanRules {
            defaults: &defaults,
            ..PlanRules::default()
        };
        let mut plan = plan_resource(schema, &request, &rules)?;
        if ty.kind == Kind::TimeRotating
            && !plan.fresh
            && request.prior_state.is_some_and(time::rotation_due)
        {
            // The rotation time has passed: plan the replacement as a create.
            let create = PlanRequest {
                prior_state: None,
                ..request.clone()
            };
            plan = plan_resource(schema, &create, &rules)?;
            plan.requires_replace = vec!["rotation-rfc3339".to_string()];
        }
        let planned = &mut plan.state;
        match ty.kind {
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
            Kind::TimeStatic => time::fill_static(planned)?,
            Kind::TimeOffset => time::fill_offset(planned)?,
            Kind::TimeRotating => {
                time::fill_rotating(planned, attr(request.config, "rotation-rfc3339"))?
            }
            _ => {}
        }
        let mut response = plan.into_response();
        response.warnings = self.warnings(ty.kind, request.config);
        Ok(response)
    }

    async fn create_canonical(
        &self,
        ty: ResourceType,
        schema: &Schema,
        planned: &Value,
        config: &Value,
    ) -> Result<ApplyResponse, ProviderError> {
        if let Some(delay) = self.options.create_delay {
            tokio::time::sleep(delay).await;
        }
        first_error(Builtin::check(ty, planned))?;
        let mut state = object_from(schema, planned);
        fill_defaults(&mut state, &Builtin::defaults(ty, planned));
        let mut private = Vec::new();
        match ty.kind {
            Kind::NullResource => {
                let id = csprng()?.random::<u64>() >> 1;
                state.insert("id".into(), Value::string(id.to_string()));
            }
            Kind::TerraformData => {
                let input = attr(planned, "input").clone();
                self.check_fault(&input)?;
                let id = random::uuid_v4(&mut csprng()?);
                state.insert("id".into(), Value::string(id));
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
                let spec = random::string_spec(planned, ty.dialect)?;
                let result = generate_string(&spec, &mut csprng()?);
                let password = ty.kind == Kind::RandomPassword;
                if password && ty.dialect == Dialect::Terraform {
                    let hashed = result.clone();
                    let hash = blocking(move || random::bcrypt_hash(&hashed)).await?;
                    state.insert("bcrypt-hash".into(), Value::string(hash));
                }
                let id = if password {
                    "none".to_string()
                } else {
                    result.clone()
                };
                state.insert("result".into(), Value::string(result));
                state.insert("id".into(), Value::string(id));
            }
            Kind::RandomInteger => {
                let (min, max) = random::analyse_integer(planned).1.ok_or_else(|| {
                    ProviderError::fatal("`min` and `max` are not known yet").on_attribute("min")
                })?;
                let seed = string_field(planned, "seed")?.known("seed")?;
                let result = random::integer(min, max, seed.as_deref(), &mut csprng()?);
                random::fill_integer(&mut state, result);
            }
            Kind::RandomPet => {
                let name = pet::generate(&Value::Map(state.clone()), &mut csprng()?)?;
                state.insert("id".into(), Value::string(name));
            }
            Kind::RandomShuffle => {
                let (input, count) = random::analyse_shuffle(planned).1.ok_or_else(|| {
                    ProviderError::fatal("`input` is not known yet").on_attribute("input")
                })?;
                let seed = string_field(planned, "seed")?.known("seed")?;
                let result = random::shuffle(&input, count, seed.as_deref(), &mut csprng()?);
                state.insert(
                    "result".into(),
                    Value::List(result.into_iter().map(Value::string).collect()),
                );
                state.insert("id".into(), Value::string("-"));
            }
            Kind::RandomUuid => {
                let id = random::uuid_v4(&mut csprng()?);
                state.insert("result".into(), Value::string(&id));
                state.insert("id".into(), Value::string(id));
            }
            Kind::LocalFile | Kind::LocalSensitiveFile => {
                let flavor = flavor(ty).unwrap_or(NIMBUS_FILE);
                let object = Value::Map(state.clone());
                let path = self.resolve(&local_file::filename(&object)?);
                let bytes = self.file_bytes(&object).await?;
                let (file_mode, dir_mode) = local_file::modes(&object, flavor)?;
                let written = bytes.clone();
                let exact = flavor.exact_modes();
                let created = blocking(move || {
                    local_file::write_atomically(&path, &written, file_mode, dir_mode, exact)
                })
                .await?;
                local_file::fill_hashes(&mut state, &bytes, ty.dialect);
                state.insert("id".into(), Value::string(local_file::sha1_hex(&bytes)));
                private = local_file::encode_private(&created);
            }
            Kind::TimeStatic => {
                if !matches!(
                    state.get("rfc3339").map(Value::peel),
                    Some(Value::String(_))
                ) {
                    state.insert("rfc3339".into(), Value::string(time::format(time::now())?));
                }
                time::fill_static(&mut state)?;
            }
            Kind::TimeOffset => {
                if !matches!(
                    state.get("base-rfc3339").map(Value::peel),
                    Some(Value::String(_))
                ) {
                    state.insert(
                        "base-rfc3339".into(),
                        Value::string(time::format(time::now())?),
                    );
                }
                time::fill_offset(&mut state)?;
            }
            Kind::TimeRotating => {
                if !matches!(
                    state.get("rfc3339").map(Value::peel),
                    Some(Value::String(_))
                ) {
                    state.insert("rfc3339".into(), Value::string(time::format(time::now())?));
                }
                time::fill_rotating(&mut state, attr(config, "rotation-rfc3339"))?;
            }
            Kind::TimeSleep => {
                time::sleep(planned, "create-duration", self.interrupt()).await?;
                state.insert("id".into(), Value::string(time::format(time::now())?));
            }
        }
        ensure_known(ENDPOINT, ty.kind.nimbus_name(), &state)?;
        Ok(ApplyResponse {
            warnings: self.warnings(ty.kind, planned),
            new_state: Value::Map(state),
            private,
        })
    }

    async fn update_canonical(
        &self,
        ty: ResourceType,
        schema: &Schema,
        request: ApplyRequest<'_>,
    ) -> Result<ApplyResponse, ProviderError> {
        let planned = request.planned_state;
        let prior = request.prior_for_update()?;
        first_error(Builtin::check(ty, planned))?;
        ensure_in_place(schema, request.type_name, prior, planned)?;
        let mut state = object_from(schema, planned);
        fill_defaults(&mut state, &Builtin::defaults(ty, planned));
        match ty.kind {
            Kind::TerraformData => {
                let input = attr(planned, "input").clone();
                self.check_fault(&input)?;
                state.insert("output".into(), input);
            }
            Kind::LocalFile | Kind::LocalSensitiveFile if ty.dialect == Dialect::Nimbus => {
                let flavor = flavor(ty).unwrap_or(NIMBUS_FILE);
                let object = Value::Map(state.clone());
                let path = self.resolve(&local_file::filename(&object)?);
                let (file_mode, dir_mode) = local_file::modes(&object, flavor)?;
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
            Kind::TimeStatic => time::fill_static(&mut state)?,
            Kind::TimeOffset => time::fill_offset(&mut state)?,
            Kind::TimeRotating => {
                time::fill_rotating(&mut state, attr(request.config, "rotation-rfc3339"))?
            }
            _ => {}
        }
        if flavor(ty).is_some() && state.values().any(Value::is_unknown) {
            // A file recorded before some hash was (an older schema, or
            // Terraform's older local provider): the hashes of the content.
            let bytes = self.file_bytes(&Value::Map(state.clone())).await?;
            local_file::fill_hashes(&mut state, &bytes, ty.dialect);
            state.insert("id".into(), Value::string(local_file::sha1_hex(&bytes)));
        }
        ensure_known(ENDPOINT, request.type_name, &state)?;
        Ok(ApplyResponse {
            warnings: self.warnings(ty.kind, planned),
            new_state: Value::Map(state),
            private: request.private.to_vec(),
        })
    }

    async fn import_canonical(
        &self,
        ty: ResourceType,
        schema: &Schema,
        type_name: &str,
        id: &str,
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        if id.is_empty() {
            return Err(import_error(type_name, id, "the id is empty"));
        }
        let mut state: BTreeMap<String, Value> = object_from(schema, &Value::Null);
        let refuse = |why: &str| Err(ProviderError::fatal(format!("{type_name} {why}")));
        match ty.kind {
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
                let password = ty.kind == Kind::RandomPassword;
                state.extend(random::imported_string(id, password, ty.dialect));
                if password && ty.dialect == Dialect::Terraform {
                    let secret = id.to_string();
                    let hash = blocking(move || random::bcrypt_hash(&secret)).await?;
                    state.insert("bcrypt-hash".into(), Value::string(hash));
                }
            }
            Kind::RandomInteger => {
                let (result, min, max, seed) = random::parse_integer_import(id)
                    .map_err(|why| import_error(type_name, id, &why))?;
                state.insert("min".into(), Value::int(min));
                state.insert("max".into(), Value::int(max));
                state.insert(
                    "seed".into(),
                    seed.map(Value::string).unwrap_or(Value::Null),
                );
                random::fill_integer(&mut state, result);
            }
            Kind::RandomUuid => {
                let parsed = uuid::Uuid::try_parse(id)
                    .map_err(|e| import_error(type_name, id, &format!("not a UUID ({e})")))?;
                let text = parsed.hyphenated().to_string();
                state.insert("result".into(), Value::string(&text));
                state.insert("id".into(), Value::string(text));
            }
            Kind::RandomPet | Kind::RandomShuffle => {
                return refuse("cannot be imported: its settings cannot be told from its result");
            }
            Kind::LocalFile | Kind::LocalSensitiveFile if ty.dialect == Dialect::Terraform => {
                return refuse("does not support import (as in Terraform)");
            }
            Kind::LocalFile | Kind::LocalSensitiveFile => {
                let flavor = flavor(ty).unwrap_or(NIMBUS_FILE);
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
                let (file_default, dir_default) = flavor.default_modes();
                let file_mode = mode.map(local_file::format_mode);
                state.insert(
                    "file-permission".into(),
                    Value::string(file_mode.unwrap_or_else(|| file_default.to_string())),
                );
                state.insert("directory-permission".into(), Value::string(dir_default));
                local_file::fill_hashes(&mut state, &bytes, ty.dialect);
                state.insert("id".into(), Value::string(local_file::sha1_hex(&bytes)));
            }
            Kind::TimeStatic => {
                time::parse(id, "rfc3339").map_err(|e| import_error(type_name, id, &e.message))?;
                state.insert("rfc3339".into(), Value::string(id));
                time::fill_static(&mut state)?;
            }
            Kind::TimeOffset => time::import_offset(id, &mut state)
                .map_err(|why| import_error(type_name, id, &why))?,
            Kind::TimeRotating => time::import_rotating(id, &mut state)
                .map_err(|why| import_error(type_name, id, &why))?,
            Kind::TimeSleep => time::import_sleep(id, &mut state)
                .map_err(|why| import_error(type_name, id, &why))?,
        }
        ensure_known(ENDPOINT, type_name, &state)?;
        Ok(state)
    }

    async fn read_data_canonical(
        &self,
        ty: DataType,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, ProviderError> {
        match ty.kind {
            DataKind::NullDataSource => {
                let inputs = string_map(config, "inputs")?;
                let inputs = if attr(config, "inputs").is_null() {
                    Value::Null
                } else {
                    Value::Map(
                        inputs
                            .into_iter()
                            .map(|(k, v)| (k, Value::string(v)))
                            .collect(),
                    )
                };
                let random = csprng()?.random::<u64>() >> 1;
                let default = string_field(config, "has-computed-default")?
                    .known("has-computed-default")?
                    .unwrap_or_else(|| "default".to_string());
                let mut out = BTreeMap::new();
                out.insert("inputs".to_string(), inputs.clone());
                out.insert("outputs".to_string(), inputs);
                out.insert("random".to_string(), Value::string(random.to_string()));
                out.insert("has-computed-default".to_string(), Value::string(default));
                out.insert("id".to_string(), Value::string("static"));
                Ok(Value::Map(out))
            }
            DataKind::LocalFile | DataKind::LocalSensitiveFile => {
                let filename = match string_field(config, "filename")? {
                    Field::Set(name) if !name.is_empty() => name,
                    Field::Unknown => {
                        return Err(ProviderError::fatal("`filename` is not known yet")
                            .on_attribute("filename"));
                    }
                    _ => {
                        return Err(
                            ProviderError::fatal("`filename` is required").on_attribute("filename")
                        );
                    }
                };
                let path = self.resolve(&filename);
                match self.read_local_file(path.clone()).await {
                    Ok(Some((bytes, _))) => {
                        Ok(local_file::data_object(&filename, &bytes, ty.dialect))
                    }
                    Ok(None) => Err(ProviderError::fatal(format!(
                        "{type_name}: {} does not exist",
                        path.display()
                    ))
                    .on_attribute("filename")),
                    Err(e) => Err(e.on_attribute("filename")),
                }
            }
        }
    }
}

/// The flavor of a file kind.
fn flavor(ty: ResourceType) -> Option<Flavor> {
    match ty.kind {
        Kind::LocalFile => Some(Flavor {
            sensitive: false,
            dialect: ty.dialect,
        }),
        Kind::LocalSensitiveFile => Some(Flavor {
            sensitive: true,
            dialect: ty.dialect,
        }),
        _ => None,
    }
}

const NIMBUS_FILE: Flavor = Flavor {
    sensitive: false,
    dialect: Dialect::Nimbus,
};

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
        let (ty, _) = self.resource(type_name)?;
        let d = ty.dialect;
        let config = d.canonical(config);
        let mut found = diagnostics(Builtin::check(ty, &config));
        found.extend(self.warnings(ty.kind, &config));
        Ok(found.into_iter().map(|x| d.diagnostic(x)).collect())
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let (ty, schema) = self.resource(request.type_name)?;
        let d = ty.dialect;
        let config = d.canonical(request.config);
        let proposed = d.canonical(request.proposed_state);
        let prior = request.prior_state.map(|p| d.canonical(p));
        let canonical = PlanRequest {
            type_name: request.type_name,
            prior_state: prior.as_deref(),
            prior_private: request.prior_private,
            config: &config,
            proposed_state: &proposed,
        };
        self.plan_canonical(ty, schema, canonical)
            .map(|plan| d.plan(plan))
            .map_err(|e| d.error(e))
    }

    async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let (ty, schema) = self.resource(request.type_name)?;
        let d = ty.dialect;
        let planned = d.canonical(request.planned_state);
        let config = d.canonical(request.config);
        self.create_canonical(ty, schema, &planned, &config)
            .await
            .map(|r| expose_apply(d, r))
            .map_err(|e| d.error(e))
    }

    async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let (ty, schema) = self.resource(request.type_name)?;
        let d = ty.dialect;
        let planned = d.canonical(request.planned_state);
        let config = d.canonical(request.config);
        let prior = request.prior_state.map(|p| d.canonical(p));
        let canonical = ApplyRequest {
            type_name: request.type_name,
            prior_state: prior.as_deref(),
            planned_state: &planned,
            config: &config,
            private: request.private,
        };
        self.update_canonical(ty, schema, canonical)
            .await
            .map(|r| expose_apply(d, r))
            .map_err(|e| d.error(e))
    }

    async fn delete(&self, request: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let (ty, _) = self.resource(request.type_name)?;
        let d = ty.dialect;
        let prior = d.canonical(request.prior_state);
        let result = match ty.kind {
            Kind::LocalFile | Kind::LocalSensitiveFile => match local_file::filename(&prior) {
                Ok(name) => {
                    let path = self.resolve(&name);
                    blocking(move || local_file::remove_file(&path)).await
                }
                Err(e) => Err(e),
            },
            Kind::TimeSleep => time::sleep(&prior, "destroy-duration", self.interrupt()).await,
            _ => Ok(()),
        };
        result.map_err(|e| d.error(e))
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<ReadResponse>, ProviderError> {
        let (ty, schema) = self.resource(request.type_name)?;
        if let Some(delay) = self.options.read_delay {
            tokio::time::sleep(delay).await;
        }
        let found = |new_state| {
            Ok(Some(ReadResponse {
                new_state,
                private: request.private.to_vec(),
            }))
        };
        let Some(flavor) = flavor(ty) else {
            return found(request.current_state.clone());
        };
        let d = ty.dialect;
        let current = d.canonical(request.current_state);
        let path = self.resolve(&local_file::filename(&current).map_err(|e| d.error(e))?);
        let Some((bytes, mode)) = self.read_local_file(path).await.map_err(|e| d.error(e))? else {
            return Ok(None);
        };
        let mut state = object_from(schema, &current);
        match local_file::refresh(&mut state, &bytes, mode, flavor) {
            Refreshed::Same => found(request.current_state.clone()),
            Refreshed::Changed => found(d.expose_value(Value::Map(state))),
            Refreshed::Gone => Ok(None),
        }
    }

    async fn import(
        &self,
        type_name: &str,
        id: &str,
    ) -> Result<Vec<ImportedObject>, ProviderError> {
        let (ty, schema) = self.resource(type_name)?;
        let d = ty.dialect;
        let state = self
            .import_canonical(ty, schema, type_name, id)
            .await
            .map_err(|e| d.error(e))?;
        Ok(vec![ImportedObject {
            type_name: type_name.to_string(),
            state: d.expose_value(Value::Map(state)),
            private: Vec::new(),
        }])
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let Some((ty, _)) = self.types.data_sources.get(type_name) else {
            return Err(ProviderError::fatal(format!(
                "the builtin provider has no data source `{type_name}` (it has: {})",
                self.schema
                    .data_sources
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let d = ty.dialect;
        let config = d.canonical(config);
        self.read_data_canonical(*ty, type_name, &config)
            .await
            .map(|v| d.expose_value(v))
            .map_err(|e| d.error(e))
    }

    async fn upgrade_state(
        &self,
        type_name: &str,
        _stored_version: u64,
        state: Value,
    ) -> Result<Value, ProviderError> {
        let (ty, _) = self.resource(type_name)?;
        // A local-file of schema version 0 had no `source`.
        if ty.kind == Kind::LocalFile
            && ty.dialect == Dialect::Nimbus
            && let Value::Map(mut map) = state
        {
            map.entry("source".to_string()).or_insert(Value::Null);
            return Ok(Value::Map(map));
        }
        // Terraform's random_string/random_password written by an older
        // random provider: `numeric` and `bcrypt_hash` came later.
        if ty.dialect != Dialect::Terraform
            || !matches!(ty.kind, Kind::RandomString | Kind::RandomPassword)
        {
            return Ok(state);
        }
        let Value::Map(mut map) = state else {
            return Ok(state);
        };
        let flag = |map: &BTreeMap<String, Value>, name: &str| {
            map.get(name).and_then(|v| v.peel().as_bool())
        };
        let numeric = flag(&map, "numeric")
            .or(flag(&map, "number"))
            .unwrap_or(true);
        for name in ["numeric", "number"] {
            if flag(&map, name).is_none() {
                map.insert(name.to_string(), Value::Bool(numeric));
            }
        }
        if ty.kind == Kind::RandomPassword
            && map.get("bcrypt_hash").is_none_or(Value::is_null)
            && let Some(result) = map.get("result").and_then(|v| v.peel().as_str())
        {
            let secret = result.to_string();
            let hash = blocking(move || random::bcrypt_hash(&secret)).await?;
            map.insert("bcrypt_hash".to_string(), Value::string(hash));
        }
        Ok(Value::Map(map))
    }
}

fn expose_apply(dialect: Dialect, mut response: ApplyResponse) -> ApplyResponse {
    response.new_state = dialect.expose_value(response.new_state);
    response.warnings = response
        .warnings
        .into_iter()
        .map(|w| dialect.diagnostic(w))
        .collect();
    response
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
            vars(&[
                (FAULT_INPUT_ENV, "boom"),
                (CREATE_DELAY_ENV, "250"),
                (READ_DELAY_ENV, "40"),
            ]),
        );
        assert_eq!(o.base_dir, PathBuf::from("/x"));
        assert_eq!(o.fault_input.as_deref(), Some("boom"));
        assert_eq!(o.create_delay, Some(Duration::from_millis(250)));
        assert_eq!(o.read_delay, Some(Duration::from_millis(40)));
        let o = BuiltinOptions::from_lookup(
            "/x",
            vars(&[
                (FAULT_INPUT_ENV, ""),
                (CREATE_DELAY_ENV, "soon"),
                (READ_DELAY_ENV, "0"),
            ]),
        );
        assert_eq!(o, BuiltinOptions::new("/x"));
        let flag = Arc::new(AtomicBool::new(false));
        let a = BuiltinOptions::new("/x").with_interrupt(flag.clone());
        assert_eq!(a, BuiltinOptions::new("/x").with_interrupt(flag));
        assert_ne!(a, BuiltinOptions::new("/x").with_interrupt(Arc::default()));
    }

    #[test]
    fn every_attribute_is_described_in_both_dialects() {
        let schema = builtin_schema();
        for (kind, schemas) in [
            ("resource", &schema.resources),
            ("data source", &schema.data_sources),
        ] {
            for (name, s) in schemas {
                let terraform = name.contains('_') || !name.contains('-');
                assert!(!s.description.is_empty(), "{kind} {name}");
                for (attr, a) in &s.attributes {
                    assert!(!a.description.is_empty(), "{kind} {name}.{attr}");
                    if terraform {
                        assert!(
                            !attr.contains('-'),
                            "{kind} {name}.{attr} is not snake_case"
                        );
                        assert!(
                            !a.description.contains("-rfc3339`")
                                && !a.description.contains("`min-"),
                            "{kind} {name}.{attr} quotes a kebab-case name"
                        );
                    } else {
                        assert!(
                            !attr.contains('_'),
                            "{kind} {name}.{attr} is not kebab-case"
                        );
                    }
                }
            }
        }
        assert_eq!(
            schema.resources.len(),
            RESOURCE_TYPES.len() + TERRAFORM_RESOURCE_TYPES.len()
        );
        for ty in RESOURCE_TYPES.iter().chain(TERRAFORM_RESOURCE_TYPES) {
            assert!(schema.resources.contains_key(*ty), "{ty}");
        }
        for ty in DATA_SOURCES.iter().chain(TERRAFORM_DATA_SOURCES) {
            assert!(schema.data_sources.contains_key(*ty), "{ty}");
        }
        assert!(schema.resources[RANDOM_PASSWORD].attributes["result"].sensitive);
        assert!(!schema.resources[RANDOM_STRING].attributes["result"].sensitive);
        assert!(schema.resources["random_password"].attributes["bcrypt_hash"].sensitive);
        assert_eq!(schema.resources["random_password"].version, 3);
        assert_eq!(schema.resources["random_string"].version, 2);
        assert!(schema.resources["local_sensitive_file"].attributes["content"].sensitive);
    }

    #[test]
    fn a_terraform_provider_offers_its_types_only() {
        let null = Builtin::terraform(BuiltinOptions::new("."), Family::Null);
        let schema = null.schema();
        assert_eq!(
            schema.resources.keys().collect::<Vec<_>>(),
            ["null_resource"]
        );
        assert_eq!(
            schema.data_sources.keys().collect::<Vec<_>>(),
            ["null_data_source"]
        );
        let time = Builtin::terraform(BuiltinOptions::new("."), Family::Time);
        assert_eq!(
            time.schema().resources.keys().collect::<Vec<_>>(),
            ["time_offset", "time_rotating", "time_sleep", "time_static"]
        );
    }
}
