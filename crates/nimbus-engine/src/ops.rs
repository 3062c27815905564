//! Runs: what `plan`, `apply`, `destroy`, `refresh`, `drift` and `import`
//! do around the engine's walks, as cargo's `ops` sit under its commands.
//! The command line only parses, prompts and renders.
//!
//! Every run that changes state follows one lifecycle: take the
//! workspace's lock → report and close intents left open by an interrupted
//! run ([`Event::OpenIntent`]) → read the prior state → check a saved plan
//! against it → plan or re-check → record a run → act → finish the run →
//! shut providers down. Providers are shut down on every path out of a
//! run, also when it fails or the user declines.

use crate::events::{Event, Events};
use crate::saved::{EncryptedPlan, PlanBinding, SavedPlan, SavedPlanError};
use crate::{ApplyReport, Drift, Engine, Plan, PolicyReport, PriorState, RunOptions};
use crate::{terraform_plan, terraform_state};
use nimbus_eval::Inputs;
use nimbus_state::{
    IntentAction, IntentResolution, LockGuard, LockRequest, OutputRecord, Recorder, ResourceRecord,
    RunInfo, RunStatus, StateError, Store,
};
use nimbus_syntax::Diagnostic;
use std::time::Duration;

/// Why a run could not go on. Diagnostics carry spans into the
/// configuration and are rendered with its sources; the rest are messages.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("configuration or plan errors")]
    Diagnostics(Vec<Diagnostic>),
    #[error("cannot lock workspace `{workspace}`: {source}{}", lock_hint(.source))]
    Lock {
        workspace: String,
        source: StateError,
    },
    #[error("{what}: {source}")]
    State {
        what: &'static str,
        source: StateError,
    },
    #[error(transparent)]
    SavedPlan(#[from] SavedPlanError),
    #[error(transparent)]
    TerraformState(#[from] terraform_state::TerraformStateError),
    #[error(
        "a saved plan is applied with the --target/--exclude/--replace selection it was made with; leave them out, or plan again with the new selection"
    )]
    SelectionDiffers,
    #[error("{address} is already in state: remove it first with `nimbus state rm {address}`")]
    AlreadyInState { address: String },
}

fn lock_hint(error: &StateError) -> &'static str {
    match error {
        StateError::StaleLock { .. } => {
            "\nhelp: the holder is gone; rerun with --steal-stale-lock or run `nimbus force-unlock ID`"
        }
        _ => "",
    }
}

fn state_error(what: &'static str) -> impl Fn(StateError) -> OpsError {
    move |source| OpsError::State { what, source }
}

/// How long to wait for the workspace's lock, and whether to take over a
/// lock whose holder is gone.
#[derive(Debug, Clone, Default)]
pub struct LockSettings {
    pub timeout: Duration,
    pub steal_stale: bool,
    /// Set when the caller is interrupted: waiting for the lock stops.
    pub stop_waiting: Option<nimbus_state::StopWaiting>,
}

/// The state a run starts from.
#[derive(Debug, Default)]
pub struct Prior {
    pub resources: PriorState,
    pub outputs: Vec<OutputRecord>,
    /// The workspace's head event.
    pub sequence: u64,
}

/// Reads the workspace's objects, outputs and head event; without a store
/// (nothing applied yet) the prior state is empty.
pub fn read_prior(store: Option<&Store>, workspace: &str) -> Result<Prior, OpsError> {
    let Some(store) = store else {
        return Ok(Prior::default());
    };
    let read = || -> Result<Prior, StateError> {
        Ok(Prior {
            resources: store
                .resources(workspace)?
                .into_iter()
                .map(|r| (r.address.clone(), r))
                .collect(),
            outputs: store.outputs(workspace)?,
            sequence: store.head_sequence(workspace)?,
        })
    };
    read().map_err(state_error("reading state"))
}

/// Takes the workspace's write lock for a run.
pub fn lock(
    store: &Store,
    workspace: &str,
    run: &RunInfo,
    settings: LockSettings,
) -> Result<LockGuard, OpsError> {
    store
        .lock(
            workspace,
            LockRequest {
                run_id: run.run_id.clone(),
                operation: run.operation.clone(),
                timeout: settings.timeout,
                steal_stale: settings.steal_stale,
                stop_waiting: settings.stop_waiting,
            },
        )
        .map_err(|source| OpsError::Lock {
            workspace: workspace.to_string(),
            source,
        })
}

/// The key saved plans of this state are sealed with (see
/// [`SavedPlan::sealed`]): 32 random bytes made on first use and kept in
/// the state store, so a plan file can be checked against the state it was
/// made for.
pub fn plan_key(store: &Store) -> Result<Vec<u8>, OpsError> {
    let key = store
        .setting_or_init(PLAN_KEY_SETTING, || {
            use rand::RngCore;
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            hex::encode(key)
        })
        .map_err(|source| OpsError::State {
            what: "reading the plan key",
            source,
        })?;
    hex::decode(key).map_err(|e| OpsError::State {
        what: "reading the plan key",
        source: StateError::Corrupt(format!("plan key: {e}")),
    })
}

/// What [`Run::adopt_terraform`] adopted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    pub objects: usize,
    pub outputs: usize,
    /// Data source instances left out: they are read on every plan.
    pub data_sources: usize,
    /// The workspace's head event afterwards.
    pub head: u64,
}

/// `state export-terraform`: the workspace as a Terraform state (format 4)
/// that Terraform 1.x reads. It continues the lineage of an adopted
/// Terraform state (or starts one, kept for later exports); its serial is
/// the workspace's head event, so each export after a change is newer.
pub fn export_terraform(
    config: &nimbus_config::Config,
    store: &Store,
    workspace: &str,
) -> Result<Vec<u8>, OpsError> {
    let records = store
        .resources(workspace)
        .map_err(state_error("reading the state"))?;
    let outputs = store
        .outputs(workspace)
        .map_err(state_error("reading the outputs"))?;
    let serial = store
        .head_sequence(workspace)
        .map_err(state_error("reading the state"))?;
    let lineage = store
        .setting_or_init(TERRAFORM_LINEAGE_SETTING, || {
            uuid::Uuid::new_v4().to_string()
        })
        .map_err(state_error("recording the Terraform lineage"))?;
    terraform_state::write(&records, &outputs, &lineage, serial, |record| {
        terraform_provider(config, &record.provider, &record.resource_type)
    })
    .map_err(|e| OpsError::Diagnostics(vec![Diagnostic::error(e.to_string())]))
}

/// The provider configuration `provider` (an address) of an object of
/// type `resource_type` as Terraform names it: a configured plugin's
/// source, the Terraform provider of a built-in type's name, or the
/// provider named after the configuration's local name.
fn terraform_provider(
    config: &nimbus_config::Config,
    provider: &str,
    resource_type: &str,
) -> terraform_state::TerraformProvider {
    let (module, local) = crate::graph::split_provider_address(provider);
    let (name, alias) = match local.split_once('.') {
        Some((name, alias)) => (name, Some(alias.to_string())),
        None => (local, None),
    };
    // A module's own configuration is a block of the module it names.
    let module_of = |path: &str| -> Option<&nimbus_config::Module> {
        let mut current = config.root();
        let steps: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
        for step in steps.chunks(2) {
            let [_module, call_name] = step else {
                return None;
            };
            let call = current.calls.iter().find(|c| c.name.text == *call_name)?;
            current = &config.modules[config.called(current, call)?];
        }
        Some(current)
    };
    let configured_source = module_of(module)
        .and_then(|m| m.providers.iter().find(|block| block.address() == local))
        .and_then(|block| crate::Requirement::of(block).source);
    let source = match configured_source {
        Some(source) if source.matches('/').count() == 1 => {
            format!("registry.terraform.io/{source}")
        }
        Some(source) => source.to_string(),
        None => terraform_state::builtin_source(resource_type)
            .map(str::to_string)
            .unwrap_or_else(|| format!("registry.terraform.io/hashicorp/{name}")),
    };
    terraform_state::TerraformProvider {
        module: (!module.is_empty()).then(|| module.to_string()),
        source,
        alias,
    }
}

/// `show PLANFILE`: the saved plan, once it is known to be shown beside
/// the configuration it was made from: sealed for `store` (a plan file
/// edited after it was written is refused) and made from the
/// configuration loaded now (`configuration` is its
/// [`configuration_hash`](crate::saved::configuration_hash)), since the JSON form
/// describes both together.
pub fn check_shown_plan(
    store: Option<&Store>,
    saved: &SavedPlan,
    configuration: &str,
) -> Result<(), OpsError> {
    if let Some(store) = store {
        check_sealed(store, saved)?;
    }
    saved.check_configuration(configuration)?;
    Ok(())
}

/// `show -json PLANFILE`: a saved plan in Terraform's JSON plan
/// representation ([`terraform_plan`]), for tools that read Terraform's
/// plans. Secret values (sensitive attributes, outputs and variables) are
/// null in it, marked as sensitive.
pub fn terraform_plan_json(config: &nimbus_config::Config, saved: &SavedPlan) -> serde_json::Value {
    terraform_plan_document(config, &saved.plan, Some(&saved.inputs()))
}

/// `plan` in Terraform's JSON plan representation, beside `config`; with
/// the root module's variables when the run's inputs are given (`None`:
/// an empty `variables`).
pub fn terraform_plan_document(
    config: &nimbus_config::Config,
    plan: &crate::plan::Plan,
    inputs: Option<&nimbus_eval::Inputs>,
) -> serde_json::Value {
    terraform_plan_sections(config, plan, inputs, None)
}

/// [`terraform_plan_document`] with only the top-level `sections` named
/// (all when `None`): what Rego policies read, so that a plan of many
/// changes builds no part no policy looks at.
pub(crate) fn terraform_plan_sections(
    config: &nimbus_config::Config,
    plan: &crate::plan::Plan,
    inputs: Option<&nimbus_eval::Inputs>,
    sections: Option<&std::collections::BTreeSet<String>>,
) -> serde_json::Value {
    let wanted = |section: &str| sections.is_none_or(|s| s.contains(section));
    let inputs = inputs.filter(|_| wanted("variables"));
    let root = config.root();
    let provider_name = |change: &crate::plan::ResourceChange| {
        let terraform_type = terraform_plan::terraform_type(&change.resource_type);
        terraform_provider(config, &change.provider, &terraform_type).source
    };
    // Every root variable, as Terraform lists them: the values the plan
    // was made with, defaults included (evaluated as the plan evaluated
    // them), secret when declared so or given a secret.
    let mut variables: Vec<(String, nimbus_value::Value, bool)> = Vec::new();
    if let Some(inputs) = inputs {
        let index = nimbus_eval::ModuleIndex::new(root);
        let mut scope = nimbus_eval::Scope::default();
        nimbus_eval::eval_variables(&index, &mut scope, inputs, &mut Vec::new());
        variables = root
            .variables
            .iter()
            .filter_map(|variable| {
                let value = scope.variables.remove(variable.name.as_str())?;
                let secret = variable.sensitive || value.is_sensitive();
                Some((variable.name.text.clone(), value, secret))
            })
            .collect();
        variables.sort_by(|a, b| a.0.cmp(&b.0));
    }
    // The root module's blocks, with the provider configuration the plan
    // found for them.
    // Each block's first change, found in one pass over the plan.
    let mut first_change: std::collections::HashMap<&str, &crate::plan::ResourceChange> =
        std::collections::HashMap::new();
    let changes = if wanted("configuration") {
        &plan.changes[..]
    } else {
        &[]
    };
    for change in changes {
        first_change
            .entry(crate::walk::block_of(&change.address))
            .or_insert(change);
    }
    let configured = root
        .resources
        .iter()
        .filter_map(|resource| {
            let change = *first_change.get(resource.address().as_str())?;
            let (_, local) = crate::graph::split_provider_address(&change.provider);
            let provider_source = provider_name(change);
            // Terraform keys a configuration by the provider's local name
            // (and alias): the built-in provider serves several of
            // Terraform's providers (null, random, terraform, ...), each
            // its own configuration there.
            let name = provider_source.rsplit('/').next().unwrap_or(local);
            let provider = match local.split_once('.') {
                Some((_, alias)) => format!("{name}.{alias}"),
                None => name.to_string(),
            };
            Some(terraform_plan::ConfiguredResource {
                mode: resource.mode,
                resource_type: resource.type_name.text.clone(),
                name: resource.name.text.clone(),
                provider,
                provider_source,
            })
        })
        .collect();
    terraform_plan::plan_json(
        plan,
        &terraform_plan::ShowContext {
            variables,
            provider_name: &provider_name,
            configured,
            wanted: &wanted,
        },
    )
}

/// The store setting that keeps the Terraform lineage.
const TERRAFORM_LINEAGE_SETTING: &str = "terraform_lineage";

/// The store setting that holds the state's lineage.
pub(crate) const LINEAGE_SETTING: &str = "lineage";

/// The binding of a plan of `workspace` made against its head event
/// `serial` from the configuration whose hash is `configuration`, in the
/// state `store` (its lineage is made on first use).
pub fn plan_binding(
    store: &Store,
    directory: &std::path::Path,
    workspace: &str,
    serial: u64,
    configuration: String,
) -> Result<PlanBinding, OpsError> {
    let lineage = store
        .setting_or_init(LINEAGE_SETTING, || uuid::Uuid::new_v4().to_string())
        .map_err(state_error("reading the state's lineage"))?;
    Ok(PlanBinding {
        directory: directory.to_path_buf(),
        workspace: workspace.to_string(),
        lineage,
        serial,
        configuration,
    })
}

/// The bytes of a plan file for `saved`: encrypted with the state's key,
/// bound to `binding`, when the state is encrypted; in the clear otherwise.
pub fn plan_file_bytes(
    store: &Store,
    saved: &SavedPlan,
    binding: PlanBinding,
) -> Result<Vec<u8>, OpsError> {
    let sealed = store
        .seal(&binding.aad(), &saved.to_bytes())
        .map_err(state_error("encrypting the plan"))?;
    Ok(match sealed {
        Some(ciphertext) => EncryptedPlan {
            format: crate::saved::PLAN_FORMAT,
            binding,
            ciphertext,
        }
        .to_bytes(),
        None => saved.to_bytes(),
    })
}

/// Opens an encrypted plan file where things are `current` (the
/// directory, workspace, head event and configuration now): refused, with
/// the first difference named, unless it was made for exactly these; the
/// binding is checked again by the decryption itself.
pub fn open_plan(
    store: &Store,
    plan: &EncryptedPlan,
    directory: &std::path::Path,
    workspace: &str,
    configuration: String,
) -> Result<SavedPlan, OpsError> {
    if !store.is_encrypted() {
        return Err(SavedPlanError::StateNotEncrypted.into());
    }
    let serial = store
        .head_sequence(workspace)
        .map_err(state_error("reading state"))?;
    let lineage = store
        .setting(LINEAGE_SETTING)
        .map_err(state_error("reading the state's lineage"))?
        .ok_or(SavedPlanError::WrongState)?;
    let current = PlanBinding {
        directory: directory.to_path_buf(),
        workspace: workspace.to_string(),
        lineage,
        serial,
        configuration,
    };
    plan.binding.check(&current)?;
    let bytes = store
        .open_sealed(&current.aad(), &plan.ciphertext)
        .map_err(|_| SavedPlanError::Undecryptable)?;
    let mut saved = SavedPlan::from_bytes(&bytes)?;
    saved.was_encrypted = true;
    Ok(saved)
}

/// The seal of a saved plan checked against `store`; a plan of an
/// encrypted state must have come encrypted ([`open_plan`]): one in the
/// clear was made before the state was encrypted, or written by hand.
fn check_sealed(store: &Store, saved: &SavedPlan) -> Result<(), OpsError> {
    if store.is_encrypted() && !saved.was_encrypted {
        return Err(SavedPlanError::NotEncrypted.into());
    }
    saved.check_seal(&plan_key(store)?)?;
    Ok(())
}

/// The store setting that holds [`plan_key`].
const PLAN_KEY_SETTING: &str = "plan_key";

/// Reports the write-ahead intents an interrupted run left open and closes
/// them: the objects they name are re-read or planned again by this run.
/// Closing appends an event but changes no object.
pub fn resolve_open_intents(
    store: &Store,
    workspace: &str,
    events: &Events,
) -> Result<usize, OpsError> {
    let intents = store
        .open_intents(workspace)
        .map_err(state_error("reading open intents"))?;
    let count = intents.len();
    for intent in intents {
        let recorded = store
            .resource(workspace, &intent.address)
            .map_err(state_error("reading state"))?
            .is_some();
        let resolution = match (intent.action, recorded) {
            (IntentAction::Create | IntentAction::Import, false) => {
                "the object may have been created without being recorded; it will be planned again — check the provider for a duplicate"
            }
            (IntentAction::Delete, true) => "the object may already be gone; the refresh will tell",
            _ => "state holds the last recorded result; the refresh will reconcile it",
        };
        events.emit(Event::OpenIntent {
            id: intent.id.0,
            address: intent.address.clone(),
            action: intent.action.as_str().to_string(),
            run_id: intent.run_id.clone(),
            resolution: resolution.to_string(),
        });
        store
            .resolve_intent(intent.id, IntentResolution::Discarded)
            .map_err(state_error("closing an open intent"))?;
    }
    Ok(count)
}

/// `plan`: reads state without locking it and plans (or plans a
/// destroy). Writes nothing.
pub async fn plan(
    engine: &Engine<'_>,
    store: Option<&Store>,
    workspace: &str,
    inputs: &Inputs,
    options: &RunOptions,
    destroy: bool,
) -> Result<Plan, OpsError> {
    let result = async {
        let prior = read_prior(store, workspace)?;
        let mut plan = if destroy {
            engine.plan_destroy(workspace, prior.sequence, &prior.resources, options)
        } else {
            engine
                .plan(
                    workspace,
                    prior.sequence,
                    inputs,
                    &prior.resources,
                    &prior.outputs,
                    options,
                )
                .await
        }
        .map_err(OpsError::Diagnostics)?;
        // An interrupted run's intents are resolved by the next run that
        // takes the lock; a plan (which takes none) says they are there.
        if let Some(store) = store {
            let open = store
                .open_intents(workspace)
                .map_err(state_error("reading open intents"))?;
            if !open.is_empty() {
                plan.warnings.push(Diagnostic::warning(format!(
                    "{} operation(s) of an interrupted run may not be recorded (open intents, first {}); the next apply reports and resolves them (`nimbus state intents` lists them)",
                    open.len(),
                    open[0].address
                )));
            }
        }
        Ok(plan)
    }
    .await;
    engine.shutdown().await;
    result
}

/// `policy check [PLANFILE]`: the policies' report on a plan made now
/// (as [`plan`] makes it: nothing written) or on a saved plan (its seal
/// checked when there is a state to check it against). Returns the plan
/// with the report.
pub async fn policy_check(
    engine: &Engine<'_>,
    store: Option<&Store>,
    workspace: &str,
    inputs: &Inputs,
    options: &RunOptions,
    saved: Option<&SavedPlan>,
) -> Result<(Plan, PolicyReport), OpsError> {
    let plan = match saved {
        Some(saved) => {
            if let Some(store) = store {
                check_sealed(store, saved)?;
            }
            engine.shutdown().await;
            saved.plan.clone()
        }
        None => plan(engine, store, workspace, inputs, options, false).await?,
    };
    let made_with = match saved {
        Some(saved) => saved.inputs(),
        None => inputs.clone(),
    };
    let report = engine
        .check_policies(&plan, &options.overrides, Some(&made_with))
        .map_err(OpsError::Diagnostics)?;
    Ok((plan, report))
}

/// A run that holds the workspace's lock: begun by [`Run::begin`], then
/// either [`Run::execute`]d or [`Run::abandon`]ed.
pub struct Run<'e, 'c> {
    engine: &'e Engine<'c>,
    store: &'e Store,
    workspace: String,
    info: RunInfo,
    _lock: LockGuard,
    /// The head event before open intents were closed: what a plan saved
    /// while they were open saw.
    sequence_before_recovery: u64,
    pub prior: Prior,
}

impl<'e, 'c> Run<'e, 'c> {
    /// Locks the workspace, resolves open intents and reads the prior
    /// state. `operation` names the run in the history and the lock.
    pub async fn begin(
        engine: &'e Engine<'c>,
        store: &'e Store,
        workspace: &str,
        operation: &str,
        lock_settings: LockSettings,
        events: &Events,
    ) -> Result<Run<'e, 'c>, OpsError> {
        let info = RunInfo::new(operation);
        let begun = async {
            let guard = lock(store, workspace, &info, lock_settings)?;
            let sequence_before_recovery = store
                .head_sequence(workspace)
                .map_err(state_error("reading state"))?;
            resolve_open_intents(store, workspace, events)?;
            let prior = read_prior(Some(store), workspace)?;
            Ok((guard, sequence_before_recovery, prior))
        }
        .await;
        match begun {
            Ok((guard, sequence_before_recovery, prior)) => Ok(Run {
                engine,
                store,
                workspace: workspace.to_string(),
                info,
                _lock: guard,
                sequence_before_recovery,
                prior,
            }),
            Err(e) => {
                engine.shutdown().await;
                Err(e)
            }
        }
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    pub fn run_id(&self) -> &str {
        &self.info.run_id
    }

    /// Plans against the locked state (refreshing, unless the options
    /// say not to).
    pub async fn plan(&self, inputs: &Inputs, options: &RunOptions) -> Result<Plan, OpsError> {
        self.engine
            .plan(
                &self.workspace,
                self.prior.sequence,
                inputs,
                &self.prior.resources,
                &self.prior.outputs,
                options,
            )
            .await
            .map_err(OpsError::Diagnostics)
    }

    /// Plans the destruction of everything in state (or the selection).
    pub fn plan_destroy(&self, options: &RunOptions) -> Result<Plan, OpsError> {
        self.engine
            .plan_destroy(
                &self.workspace,
                self.prior.sequence,
                &self.prior.resources,
                options,
            )
            .map_err(OpsError::Diagnostics)
    }

    /// The saved-plan contract ([`crate::saved`]): the plan belongs to
    /// this workspace and state, the options name no other selection than
    /// its own, and the configuration still produces it. Verifying and
    /// applying both take the selection from the plan itself.
    pub async fn check_saved_plan(
        &self,
        saved: &SavedPlan,
        inputs: &Inputs,
        options: &RunOptions,
    ) -> Result<PolicyReport, OpsError> {
        check_sealed(self.store, saved)?;
        saved.check_applicable(&self.workspace, self.sequence_before_recovery)?;
        let plan = &saved.plan;
        if (!options.targets.is_empty() && options.targets != plan.targets)
            || (!options.excludes.is_empty() && options.excludes != plan.excludes)
            || (!options.replace.is_empty() && options.replace != plan.replace)
        {
            return Err(OpsError::SelectionDiffers);
        }
        self.engine
            .verify_saved_plan(
                plan,
                inputs,
                &self.prior.resources,
                &self.prior.outputs,
                options,
            )
            .await
            .map_err(OpsError::Diagnostics)?;
        self.saved_plan_policy(plan, options, inputs)
    }

    /// [`Run::check_saved_plan`]'s last step: the policies' report on the
    /// saved plan (its findings are checked again by the apply itself).
    fn saved_plan_policy(
        &self,
        plan: &Plan,
        options: &RunOptions,
        inputs: &Inputs,
    ) -> Result<PolicyReport, OpsError> {
        self.engine
            .check_policies(plan, &options.overrides, Some(inputs))
            .map_err(OpsError::Diagnostics)
    }

    /// Records a run and carries out an approved plan (apply or destroy),
    /// then finishes the run and shuts the providers down.
    pub async fn execute(
        self,
        plan: &Plan,
        inputs: &Inputs,
        options: &RunOptions,
    ) -> Result<ApplyReport, OpsError> {
        let info = RunInfo {
            cause: Some(format!("plan@{}", plan.state_sequence)),
            ..self.info.clone()
        };
        let (engine, prior) = (self.engine, &self.prior.resources);
        let report = self
            .recorded(info, |recorder| async move {
                let report = engine.apply(plan, inputs, prior, &recorder, options).await;
                let status = status_of(report.succeeded());
                (report, status)
            })
            .await;
        self.engine.shutdown().await;
        let mut report = report?;
        // Bounded history: with a retention configured, the run that just
        // finished compacts the log while it still holds the lock. The
        // apply is recorded either way, so a failure here only warns.
        if let Err(e) = self.store.compact_by_setting(&self.workspace) {
            report.diagnostics.push(Diagnostic::warning(format!(
                "compacting the history by the configured retention: {e}"
            )));
        }
        Ok(report)
    }

    /// `refresh`: reads every object in state and records what changed.
    pub async fn refresh(
        self,
        inputs: &Inputs,
        options: &RunOptions,
    ) -> Result<Vec<Drift>, OpsError> {
        let result = async {
            let drifts = read_reality(self.engine, &self.prior.resources, inputs, options).await?;
            let info = self.info.clone();
            let (engine, prior) = (self.engine, &self.prior.resources);
            let recorded = self
                .recorded(info, |recorder| async move {
                    let recorded = engine.record_refresh(prior, &drifts, &recorder).await;
                    let status = status_of(recorded.is_ok());
                    (recorded.map(|()| drifts), status)
                })
                .await?;
            recorded.map_err(|d| OpsError::Diagnostics(vec![d]))
        }
        .await;
        self.engine.shutdown().await;
        result
    }

    /// `import ADDR ID`: adopts an existing object into state.
    pub async fn import(
        self,
        address: &str,
        id: &str,
        inputs: &Inputs,
        options: &RunOptions,
    ) -> Result<ResourceRecord, OpsError> {
        let result = async {
            if self.prior.resources.contains_key(address) {
                return Err(OpsError::AlreadyInState {
                    address: address.to_string(),
                });
            }
            self.engine
                .configure_providers(inputs, options)
                .await
                .map_err(OpsError::Diagnostics)?;
            let info = self.info.clone();
            let engine = self.engine;
            let imported = self
                .recorded(info, |recorder| async move {
                    let imported = engine.import(address, id, &recorder, options).await;
                    let status = status_of(imported.is_ok());
                    (imported, status)
                })
                .await?;
            imported.map_err(|d| OpsError::Diagnostics(vec![d]))
        }
        .await;
        self.engine.shutdown().await;
        result
    }

    /// `state import-terraform`: adopts the objects of a Terraform state
    /// (format 4) into the workspace in one transaction. Each block goes to
    /// the provider configuration that serves it in the configuration;
    /// a block the configuration does not have goes to the provider the
    /// state names (its next plan deletes it, as for any removed block).
    pub async fn adopt_terraform(self, state: &[u8]) -> Result<Adopted, OpsError> {
        let engine = self.engine;
        let result = (|| {
            let adoption = terraform_state::read(state, |block, provider| {
                engine
                    .provider_for_block(&block.to_string())
                    .and_then(Result::ok)
                    .map(|handle| handle.address.to_string())
                    .unwrap_or_else(|| {
                        let module = provider
                            .module
                            .as_ref()
                            .map_or_else(String::new, |m| format!("{m}."));
                        match &provider.alias {
                            Some(alias) => format!("{module}{}.{alias}", provider.local_name()),
                            None => format!("{module}{}", provider.local_name()),
                        }
                    })
            })?;
            if !adoption.lineage.is_empty() {
                self.store
                    .setting_or_init(TERRAFORM_LINEAGE_SETTING, || adoption.lineage.clone())
                    .map_err(state_error("recording the Terraform lineage"))?;
            }
            let head = self
                .store
                .adopt(
                    &self.workspace,
                    "state import-terraform",
                    &adoption.records,
                    &adoption.outputs,
                )
                .map_err(|source| match source {
                    StateError::ResourceExists { address, .. } => {
                        OpsError::AlreadyInState { address }
                    }
                    source => OpsError::State {
                        what: "adopting the Terraform state",
                        source,
                    },
                })?;
            Ok(Adopted {
                objects: adoption.records.len(),
                outputs: adoption.outputs.len(),
                data_sources: adoption.data_sources,
                head,
            })
        })();
        self.engine.shutdown().await;
        result
    }

    /// Ends the run without acting (the user declined, or nothing to do).
    pub async fn abandon(self) {
        self.engine.shutdown().await;
    }

    /// Runs `work` inside a recorded run and finishes it with the status
    /// `work` returns. Failing to finish the run is reported in the
    /// history by the store's own recovery; it does not hide `work`'s
    /// result.
    async fn recorded<T, F, Fut>(&self, info: RunInfo, work: F) -> Result<T, OpsError>
    where
        F: FnOnce(Recorder) -> Fut,
        Fut: std::future::Future<Output = (T, RunStatus)>,
    {
        let recorder = self
            .store
            .begin_run(&self.workspace, info)
            .map_err(state_error("starting the run"))?;
        let (result, status) = work(recorder.clone()).await;
        recorder
            .finish(status)
            .await
            .map_err(state_error("closing the run"))?;
        Ok(result)
    }
}

fn status_of(succeeded: bool) -> RunStatus {
    if succeeded {
        RunStatus::Succeeded
    } else {
        RunStatus::Failed
    }
}

/// Configures the providers and reads every object in state.
async fn read_reality(
    engine: &Engine<'_>,
    prior: &PriorState,
    inputs: &Inputs,
    options: &RunOptions,
) -> Result<Vec<Drift>, OpsError> {
    engine
        .configure_providers(inputs, options)
        .await
        .map_err(OpsError::Diagnostics)?;
    let (drifts, errors) = engine.detect_drift(prior, options).await;
    if errors.is_empty() {
        Ok(drifts)
    } else {
        Err(OpsError::Diagnostics(errors))
    }
}

/// `drift`: what changed outside Nimbus, without locking or writing.
pub async fn drift(
    engine: &Engine<'_>,
    store: Option<&Store>,
    workspace: &str,
    inputs: &Inputs,
    options: &RunOptions,
) -> Result<(Prior, Vec<Drift>), OpsError> {
    let result = async {
        let prior = read_prior(store, workspace)?;
        let drifts = read_reality(engine, &prior.resources, inputs, options).await?;
        Ok((prior, drifts))
    }
    .await;
    engine.shutdown().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saved::PlanFile;
    use nimbus_state::{Encryption, KeySource, Passphrase, StoreOptions};

    fn plan() -> Plan {
        Plan {
            workspace: "default".into(),
            state_sequence: 0,
            destroy: false,
            changes: Vec::new(),
            outputs: Vec::new(),
            stale_dependencies: false,
            targets: vec!["t.secret-target".into()],
            excludes: Vec::new(),
            replace: Vec::new(),
            moves: Vec::new(),
            imports: Vec::new(),
            warnings: Vec::new(),
            policy: Default::default(),
        }
    }

    fn store(dir: &std::path::Path, pass: Option<&str>) -> Store {
        let encryption = Encryption {
            key: pass.map(|p| KeySource::Passphrase(Passphrase::new(p).expect("passphrase"))),
            ..Encryption::default()
        };
        Store::open_with(
            dir,
            StoreOptions {
                encryption,
                ..StoreOptions::default()
            },
        )
        .expect("open")
    }

    fn saved(dir: &std::path::Path) -> SavedPlan {
        let inputs = vec![(
            "password".to_string(),
            nimbus_value::Value::string("hunter2-in-a-plan"),
        )];
        SavedPlan::new(dir, "config-1".into(), plan(), inputs)
    }

    #[test]
    fn a_shown_plan_says_why_its_configuration_does_not_match() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let saved = saved(tmp.path());
        assert!(check_shown_plan(None, &saved, "config-1").is_ok());
        assert!(matches!(
            check_shown_plan(None, &saved, "config-2"),
            Err(OpsError::SavedPlan(SavedPlanError::ConfigurationChanged))
        ));
        // A plan file of an earlier version, without the field, still
        // reads; `show` says why it is refused.
        let mut json: serde_json::Value =
            serde_json::from_slice(&saved.to_bytes()).expect("a plan is JSON");
        json.as_object_mut()
            .expect("an object")
            .remove("configuration");
        let earlier = SavedPlan::from_bytes(&serde_json::to_vec(&json).expect("bytes"))
            .expect("an earlier plan reads");
        assert!(matches!(
            check_shown_plan(None, &earlier, "config-1"),
            Err(OpsError::SavedPlan(
                SavedPlanError::ConfigurationNotRecorded
            ))
        ));
    }

    #[test]
    fn an_encrypted_plan_opens_only_where_it_is_bound() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let s = store(&tmp.path().join(".nimbus"), Some("pw"));
        let dir = tmp.path();
        let binding = plan_binding(&s, dir, "default", 0, "config-1".into()).expect("binding");
        let bytes = plan_file_bytes(&s, &saved(dir), binding).expect("bytes");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("hunter2-in-a-plan"),
            "the inputs are encrypted"
        );
        let PlanFile::Encrypted(file) = PlanFile::from_bytes(&bytes).expect("read") else {
            panic!("not encrypted");
        };
        let opened = open_plan(&s, &file, dir, "default", "config-1".into()).expect("open");
        assert_eq!(opened.to_bytes(), saved(dir).to_bytes());
        // Another configuration, workspace or directory: the usual refusals.
        assert!(matches!(
            open_plan(&s, &file, dir, "default", "config-2".into()),
            Err(OpsError::SavedPlan(SavedPlanError::ConfigurationChanged))
        ));
        assert!(matches!(
            open_plan(&s, &file, &dir.join("x"), "default", "config-1".into()),
            Err(OpsError::SavedPlan(SavedPlanError::WrongDirectory { .. }))
        ));
        // The clear binding edited to match elsewhere: the decryption refuses.
        s.create_workspace("other").expect("workspace");
        let mut moved = file.clone();
        moved.binding.workspace = "other".into();
        assert!(matches!(
            open_plan(&s, &moved, dir, "other", "config-1".into()),
            Err(OpsError::SavedPlan(SavedPlanError::Undecryptable))
        ));
        // Another state (its own lineage and key) refuses it.
        let other = tempfile::tempdir().expect("tempdir");
        let t = store(&other.path().join(".nimbus"), Some("pw"));
        plan_binding(&t, dir, "default", 0, "c".into()).expect("a lineage");
        assert!(matches!(
            open_plan(&t, &file, dir, "default", "config-1".into()),
            Err(OpsError::SavedPlan(SavedPlanError::WrongState))
        ));
        let mut relabelled = file.clone();
        relabelled.binding.lineage = t.setting(LINEAGE_SETTING).expect("read").expect("set");
        assert!(matches!(
            open_plan(&t, &relabelled, dir, "default", "config-1".into()),
            Err(OpsError::SavedPlan(SavedPlanError::Undecryptable))
        ));
    }

    #[test]
    fn an_unencrypted_state_writes_plans_in_the_clear() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let s = store(&tmp.path().join(".nimbus"), None);
        let dir = tmp.path();
        let binding = plan_binding(&s, dir, "default", 0, "c".into()).expect("binding");
        let bytes = plan_file_bytes(&s, &saved(dir), binding).expect("bytes");
        assert!(matches!(
            PlanFile::from_bytes(&bytes).expect("read"),
            PlanFile::Plain(_)
        ));
        assert_eq!(bytes, saved(dir).to_bytes());
    }
}
