//! The engine: configuration to dependency graph to plan to apply.
//!
//! Invariants:
//! - Planning never calls a provider's create, update or delete.
//! - Every provider call that creates or deletes an object is preceded by
//!   a durable write-ahead intent, and its result is recorded (closing the
//!   intent) before the engine reports it.
//! - A failure stops only what depends on it.
//! - The engine does no terminal I/O: it reports through [`events`].

pub mod backend;
mod conditions;
pub mod cost;
pub mod destroy;
mod drift;
pub mod events;
pub mod expansion;
pub mod files;
pub mod graph;
mod imports;
pub mod job;
pub mod moves;
pub mod ops;
pub mod plan;
pub mod policy;
pub mod providers;
pub mod retry;
pub mod saved;
mod schedule;
pub mod terraform_plan;
pub mod terraform_state;
pub mod walk;

pub use events::{Event, EventSink, Events, NoEvents};
pub use graph::{Graph, ProviderMap};
pub use job::{JobContext, WalkMode};
pub use plan::{
    Action, OutputChange, Plan, PlanSummary, PlannedImport, PlannedMove, ResourceChange,
};
pub use policy::{Finding, PolicyOverride, PolicyReport, PolicySet, Verdict};
pub use providers::{CallContext, Catalog, ProviderHandle, ProviderSet, Requirement, Withheld};
pub use retry::RetryPolicy;
pub use saved::{EncryptedPlan, PlanBinding, PlanFile, SavedPlan, SavedPlanError};
pub use walk::{Outputs, address_matches, block_of, selects};

use nimbus_config::{Config, Mode};
use nimbus_eval::Inputs;
use nimbus_provider::ReadRequest;
use nimbus_state::{OutputRecord, Recorder, ResourceRecord};
use nimbus_syntax::Diagnostic;
use nimbus_value::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use walk::{WalkInput, WalkResult, Walker};

/// Settings of one run.
#[derive(Clone)]
pub struct RunOptions {
    pub parallelism: usize,
    pub refresh: bool,
    pub targets: Vec<String>,
    pub excludes: Vec<String>,
    /// Instances to replace although nothing forces it (`--replace`).
    pub replace: Vec<String>,
    pub retry: RetryPolicy,
    pub events: Events,
    /// Set on Ctrl-C: start nothing new.
    pub cancel: Arc<AtomicBool>,
    /// `--override RULE --reason TEXT`: soft-mandatory policy rules let
    /// through, each recorded in the event log when the run acts.
    pub overrides: Vec<PolicyOverride>,
    /// Set by [`Engine::apply`] for its walk: the rules its plan could not
    /// decide, checked per instance before its provider call.
    pub apply_check: Option<Arc<policy::ApplyCheck>>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            parallelism: 10,
            refresh: true,
            targets: Vec::new(),
            excludes: Vec::new(),
            replace: Vec::new(),
            retry: RetryPolicy::default(),
            events: Arc::new(NoEvents),
            cancel: Arc::new(AtomicBool::new(false)),
            overrides: Vec::new(),
            apply_check: None,
        }
    }
}

/// What an apply or destroy did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    pub applied: Vec<(String, Action)>,
    pub failed: Vec<String>,
    pub skipped: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    pub outputs: Outputs,
    /// Objects recorded under a new address (`moved`): from, to.
    pub moved: Vec<(String, String)>,
    /// Objects brought under management (`import`).
    pub imported: Vec<String>,
}

impl ApplyReport {
    pub fn count(&self, action: Action) -> usize {
        self.applied.iter().filter(|(_, a)| *a == action).count()
    }

    pub fn succeeded(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && !self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// One attribute that differs between state and reality.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub address: String,
    /// `None`: the object is gone.
    pub current: Option<Value>,
    pub recorded: Value,
    pub changed_attributes: Vec<String>,
    pub sensitive_attributes: Vec<String>,
}

pub struct Engine<'c> {
    pub config: &'c Config,
    pub graph: Graph<'c>,
    pub providers: ProviderSet,
    /// What `file`, `fileset` and the rest of the file functions read.
    pub files: files::ConfigFiles,
    /// The configuration's policies, checked against every plan.
    pub policies: Arc<PolicySet>,
    /// Prices and usage assumptions: `nimbus cost` and `cost-exceeds`.
    pub cost: Arc<cost::CostModel>,
}

/// State records by address.
pub type PriorState = HashMap<String, ResourceRecord>;

impl<'c> Engine<'c> {
    /// Builds the dependency graph and instantiates providers.
    pub fn new(config: &'c Config, catalog: &dyn Catalog) -> Result<Engine<'c>, Vec<Diagnostic>> {
        let mut diagnostics = Vec::new();
        let graph = Graph::build(config, &mut diagnostics);
        let providers = match ProviderSet::prepare(config, catalog) {
            Ok(p) => Some(p),
            Err(ds) => {
                diagnostics.extend(ds);
                None
            }
        };
        if let (Some(graph), Some(providers)) = (&graph, &providers) {
            let known: Vec<&str> = providers.handles.keys().map(String::as_str).collect();
            graph.check_passed_providers(
                &|address| providers.handles.contains_key(address),
                &known,
                &mut diagnostics,
            );
        }
        match (graph, providers) {
            (Some(graph), Some(providers)) if diagnostics.is_empty() => Ok(Engine {
                config,
                graph,
                providers,
                files: files::ConfigFiles::new(&config.root().dir),
                policies: Arc::new(PolicySet::new(config)),
                cost: Arc::new(cost::CostModel::default()),
            }),
            _ => Err(diagnostics),
        }
    }

    async fn walk(
        &self,
        mode: WalkMode,
        inputs: &Inputs,
        prior: &PriorState,
        approved: Option<&Plan>,
        recorder: Option<Recorder>,
        options: &RunOptions,
    ) -> WalkResult {
        let ctx = JobContext {
            walk: mode,
            refresh: options.refresh,
            recorder,
            events: options.events.clone(),
            retry: options.retry.clone(),
            cancel: options.cancel.clone(),
            replace: Arc::new(options.replace.iter().cloned().collect()),
            policy: options.apply_check.clone(),
        };
        // Plans and applies walk one module instance per `count` index and
        // `for-each` key of every `include`; validate and the providers'
        // configuration walk the base graph.
        let expanded;
        let graph = if matches!(mode, WalkMode::Plan | WalkMode::Apply)
            && self.graph.has_repeated_calls()
        {
            let mut diagnostics = Vec::new();
            match expansion::expand(&self.graph, inputs, &self.files, &mut diagnostics) {
                Some(graph) => {
                    expanded = graph;
                    &expanded
                }
                None => {
                    return WalkResult {
                        diagnostics,
                        ..WalkResult::default()
                    };
                }
            }
        } else {
            &self.graph
        };
        Walker::new(WalkInput {
            graph,
            providers: &self.providers,
            inputs,
            prior,
            approved,
            targets: &options.targets,
            excludes: &options.excludes,
            parallelism: options.parallelism,
            files: &self.files,
            ctx,
        })
        .run()
        .await
    }

    /// Ends every provider of this run (plugin processes, connections).
    pub async fn shutdown(&self) {
        for handle in self.providers.handles.values() {
            handle.provider.shutdown().await;
        }
    }

    /// Checks everything that can be checked without calling a provider.
    pub async fn validate(&self, inputs: &Inputs) -> Vec<Diagnostic> {
        let empty = PriorState::new();
        // Like `terraform validate`: a required variable without a value is
        // unknown, so a configuration can be checked without its secrets.
        let inputs = nimbus_eval::unknown_for_unset(self.config.root(), inputs);
        let mut result = self
            .walk(
                WalkMode::Validate,
                &inputs,
                &empty,
                None,
                None,
                &RunOptions::default(),
            )
            .await;
        result.diagnostics.append(&mut result.warnings);
        // What the policies found wrong in themselves (a Rego file that
        // does not compile, an exception naming no rule) is the
        // configuration's error, found without a plan.
        result
            .diagnostics
            .extend(self.policies.load_errors().iter().cloned());
        nimbus_config::sort_and_dedup_diagnostics(&mut result.diagnostics);
        result.diagnostics
    }

    /// Refreshes and plans. Objects in state but no longer in the
    /// configuration are planned for deletion.
    pub async fn plan(
        &self,
        workspace: &str,
        state_sequence: u64,
        inputs: &Inputs,
        prior: &PriorState,
        prior_outputs: &[OutputRecord],
        options: &RunOptions,
    ) -> Result<Plan, Vec<Diagnostic>> {
        self.plan_from(
            workspace,
            state_sequence,
            inputs,
            prior,
            prior_outputs,
            None,
            options,
        )
        .await
    }

    /// Plans; with `seen`, each object starts from what that plan saw of
    /// it instead of being read again.
    #[allow(clippy::too_many_arguments)]
    async fn plan_from(
        &self,
        workspace: &str,
        state_sequence: u64,
        inputs: &Inputs,
        prior: &PriorState,
        prior_outputs: &[OutputRecord],
        seen: Option<&Plan>,
        options: &RunOptions,
    ) -> Result<Plan, Vec<Diagnostic>> {
        // `moved` and `import` blocks act on the prior state first: the
        // plan diffs against the objects where they are about to be.
        let moves = moves::plan_moves(self.config, prior)?;
        let mut prior = moves::apply_to_prior(prior, &moves);
        let (imports, import_targets) = if self.config.root().import_blocks.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            self.plan_imports(inputs, prior.to_mut(), options).await?
        };
        let prior: &PriorState = &prior;
        let mut result = self
            .walk(WalkMode::Plan, inputs, prior, seen, None, options)
            .await;
        if !result.diagnostics.is_empty() {
            nimbus_config::sort_and_dedup_diagnostics(&mut result.diagnostics);
            return Err(result.diagnostics);
        }
        let mut changes = std::mem::take(&mut result.changes);
        let orphans = self.orphans(prior, &result, options);
        let mut errors: Vec<Diagnostic> = result
            .unmatched_targets
            .iter()
            .filter(|t| {
                !prior.keys().any(|a| selects(t, a))
            })
            .map(|t| {
                Diagnostic::error(format!(
                    "--target {t} matches nothing in the configuration or the state"
                ))
                .with_note("help: `nimbus state list` shows the addresses in state; a block's instances are `TYPE.NAME[INDEX]` or `TYPE.NAME[\"KEY\"]`")
            })
            .collect();
        errors.extend(moves::still_declared(self.config, &result.addresses));
        errors.extend(imports::undeclared_targets(
            &import_targets,
            &result.addresses,
        ));
        for record in orphans {
            // The block is still configured (fewer `count`, a `for-each`
            // key gone): its `prevent-destroy` protects this instance too.
            if let Some(resource) = self.find_block(block_of(&record.address))
                && resource.lifecycle.prevent_destroy
            {
                errors.push(
                    Diagnostic::error(format!(
                        "{} has `prevent-destroy` set, but this plan would destroy it (its instance is no longer in the configuration)",
                        record.address
                    ))
                    .at(resource.span)
                    .with_note(
                        "note: to destroy it, remove `prevent-destroy` first; to keep it, restore its `count` or `for-each` key",
                    ),
                );
                continue;
            }
            changes.push(deletion(record, Some("no longer in the configuration")));
        }
        for address in &options.replace {
            if !prior.contains_key(address) {
                errors.push(Diagnostic::error(format!(
                    "--replace {address}: no such object in state; name an instance as `nimbus state list` shows it"
                )));
            } else if !changes
                .iter()
                .any(|c| c.address == *address && c.action == Action::Replace)
            {
                errors.push(Diagnostic::error(format!(
                    "--replace {address}: the configuration no longer has this instance (or --target leaves it out)"
                )));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        moves::forget_removed(self.config, &mut changes);
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        let outputs = output_changes(&result.outputs, prior_outputs);
        self.with_policy(
            Plan {
                workspace: workspace.to_string(),
                state_sequence,
                destroy: false,
                changes,
                outputs,
                stale_dependencies: result.stale_dependencies,
                targets: options.targets.clone(),
                excludes: options.excludes.clone(),
                replace: options.replace.clone(),
                moves,
                imports,
                warnings: [selection_warnings(options), result.warnings].concat(),
                policy: PolicyReport::default(),
            },
            options,
            Some(inputs),
        )
    }

    /// Checks the configuration's policies against every change of
    /// `plan` ([`policy`]), with the run's overrides; `inputs`, the values
    /// the plan was made with, are the Rego document's `variables` (a
    /// destroy plan, made without them, shows none).
    pub fn check_policies(
        &self,
        plan: &Plan,
        overrides: &[PolicyOverride],
        inputs: Option<&Inputs>,
    ) -> Result<PolicyReport, Vec<Diagnostic>> {
        let inputs = inputs.filter(|_| !plan.destroy);
        // Rego policies read the plan as `show -json` prints it (the
        // parts they read).
        self.check_changes(&plan.changes, overrides, |sections| {
            ops::terraform_plan_sections(self.config, plan, inputs, sections)
        })
    }

    /// The policy check of `changes`; `document` makes the JSON document
    /// Rego policies read, only when there are some, with the top-level
    /// sections they read (all: `None`).
    fn check_changes(
        &self,
        changes: &[ResourceChange],
        overrides: &[PolicyOverride],
        document: impl FnOnce(Option<&std::collections::BTreeSet<String>>) -> serde_json::Value,
    ) -> Result<PolicyReport, Vec<Diagnostic>> {
        if self.policies.is_empty() {
            return Ok(PolicyReport::default());
        }
        let blocks = |address: &str| self.find_block(block_of(address));
        let monthly_cents = self.cost.estimate(changes).total_cents;
        let document = self
            .policies
            .has_rego()
            .then(|| document(self.policies.rego_sections().as_ref()));
        self.policies
            .check_changes(changes, &blocks, overrides, monthly_cents, document)
    }

    /// Checks the configuration's policies against a plan Terraform made
    /// (`terraform show -json PLANFILE`'s document): its changes read as
    /// Nimbus's ([`terraform_plan::changes_from_terraform`]) for the rules
    /// and the cost, the document itself for the Rego policies.
    pub fn check_terraform_plan(
        &self,
        document: &serde_json::Value,
        overrides: &[PolicyOverride],
    ) -> Result<PolicyReport, Vec<Diagnostic>> {
        let changes = terraform_plan::changes_from_terraform(document)
            .map_err(|e| vec![Diagnostic::error(e.to_string())])?;
        self.check_changes(&changes, overrides, |sections| match (sections, document) {
            (Some(sections), serde_json::Value::Object(parts)) => serde_json::Value::Object(
                parts
                    .iter()
                    .filter(|(name, _)| sections.contains(*name))
                    .map(|(name, part)| (name.clone(), part.clone()))
                    .collect(),
            ),
            _ => document.clone(),
        })
    }

    /// `plan` with its policy report, whose findings are shown with it.
    fn with_policy(
        &self,
        mut plan: Plan,
        options: &RunOptions,
        inputs: Option<&Inputs>,
    ) -> Result<Plan, Vec<Diagnostic>> {
        plan.policy = self.check_policies(&plan, &options.overrides, inputs)?;
        plan.warnings.extend(plan.policy.diagnostics());
        Ok(plan)
    }

    /// Refuses a plan its policies block, before anything is done, and
    /// records each override that lets a failed rule through. Returns the
    /// apply's per-instance check of the rules the plan left undecided.
    async fn enforce_policies(
        &self,
        plan: &Plan,
        recorder: &Recorder,
        options: &RunOptions,
        inputs: &Inputs,
    ) -> Result<Option<Arc<policy::ApplyCheck>>, ApplyReport> {
        let report = match self.check_policies(plan, &options.overrides, Some(inputs)) {
            Ok(report) => report,
            Err(diagnostics) => {
                return Err(ApplyReport {
                    diagnostics,
                    ..ApplyReport::default()
                });
            }
        };
        if report.blocked() {
            let mut blocked: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.blocks())
                .map(|f| f.address.clone())
                .collect();
            blocked.dedup();
            return Err(ApplyReport {
                diagnostics: report
                    .findings
                    .iter()
                    .filter(|f| f.blocks())
                    .map(policy::Finding::diagnostic)
                    .collect(),
                skipped: blocked,
                ..ApplyReport::default()
            });
        }
        for finding in report
            .findings
            .iter()
            .filter(|f| f.verdict == policy::Verdict::Fail && f.overridden.is_some())
        {
            let detail = serde_json::json!({
                "rule": finding.rule,
                "level": finding.level.as_str(),
                "provider_action": finding.provider_action,
                "action": finding.action.verb(),
                "reason": finding.overridden,
            });
            if let Err(e) = recorder
                .record_note("policy.override", Some(finding.address.clone()), detail)
                .await
            {
                return Err(ApplyReport {
                    diagnostics: vec![Diagnostic::error(format!(
                        "recording the override of policy {}: {e}",
                        finding.rule
                    ))],
                    ..ApplyReport::default()
                });
            }
        }
        Ok(
            policy::ApplyCheck::new(self.policies.clone(), &report, &options.overrides)
                .map(Arc::new),
        )
    }

    /// Checks, before any provider is asked to change anything, that the
    /// configuration still produces `saved`: it is planned again (no
    /// refresh; each object as the saved plan saw it) with the saved
    /// plan's inputs and selection, and every departure is an error that
    /// names its address. See [`saved`].
    pub async fn verify_saved_plan(
        &self,
        saved: &Plan,
        inputs: &Inputs,
        prior: &PriorState,
        prior_outputs: &[OutputRecord],
        options: &RunOptions,
    ) -> Result<(), Vec<Diagnostic>> {
        let options = RunOptions {
            refresh: false,
            targets: saved.targets.clone(),
            excludes: saved.excludes.clone(),
            replace: saved.replace.clone(),
            events: Arc::new(NoEvents),
            ..options.clone()
        };
        let now = if saved.destroy {
            self.plan_destroy(&saved.workspace, saved.state_sequence, prior, &options)?
        } else {
            self.plan_from(
                &saved.workspace,
                saved.state_sequence,
                inputs,
                prior,
                prior_outputs,
                Some(saved),
                &options,
            )
            .await?
        };
        let departures = saved::departures(saved, &now);
        if departures.is_empty() {
            return Ok(());
        }
        Err(departures
            .into_iter()
            .map(|d| {
                Diagnostic::error(format!(
                    "the configuration no longer produces the saved plan: {d}"
                ))
                .with_note(
                    "note: nothing was applied; run `nimbus plan -out FILE` again and review it",
                )
            })
            .collect())
    }

    /// Objects in state that the configuration no longer has, within the
    /// run's `--target`/`--exclude` selection.
    fn orphans<'p>(
        &self,
        prior: &'p PriorState,
        result: &WalkResult,
        options: &RunOptions,
    ) -> Vec<&'p ResourceRecord> {
        let named =
            |patterns: &[String], address: &str| patterns.iter().any(|p| selects(p, address));
        let mut orphans: Vec<&ResourceRecord> = prior
            .values()
            .filter(|r| !result.addresses.contains(&r.address))
            .filter(|r| {
                let block = block_of(&r.address);
                if result.untargeted_blocks.contains(block) || named(&options.excludes, &r.address)
                {
                    return false;
                }
                if let Some(instances) = result.targeted_instances.get(block) {
                    return instances.contains(&r.address);
                }
                // A block gone from the configuration is only deleted
                // under `--target` when a target names it.
                options.targets.is_empty() || named(&options.targets, &r.address)
            })
            .collect();
        orphans.sort_by(|a, b| a.address.cmp(&b.address));
        orphans
    }

    /// A plan that deletes everything in state (or what `--target` names,
    /// with everything that depends on it).
    pub fn plan_destroy(
        &self,
        workspace: &str,
        state_sequence: u64,
        prior: &PriorState,
        options: &RunOptions,
    ) -> Result<Plan, Vec<Diagnostic>> {
        let selected = destroy_selection(prior, &options.targets, &options.excludes);
        let mut errors = Vec::new();
        let mut changes = Vec::new();
        for record in prior
            .values()
            .filter(|r| selected.contains(r.address.as_str()))
        {
            if let Some(resource) = self.find_block(block_of(&record.address))
                && resource.lifecycle.prevent_destroy
            {
                errors.push(
                    Diagnostic::error(format!(
                        "{} has `prevent-destroy` set and cannot be destroyed",
                        record.address
                    ))
                    .at(resource.span),
                );
                continue;
            }
            changes.push(deletion(record, None));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        self.with_policy(
            Plan {
                workspace: workspace.to_string(),
                state_sequence,
                destroy: true,
                changes,
                outputs: Vec::new(),
                stale_dependencies: false,
                targets: options.targets.clone(),
                excludes: options.excludes.clone(),
                replace: Vec::new(),
                moves: Vec::new(),
                imports: Vec::new(),
                warnings: selection_warnings(options),
                policy: PolicyReport::default(),
            },
            options,
            None,
        )
    }

    /// The resource block with this address (`module.x.TYPE.NAME`, or
    /// `module.x[1].TYPE.NAME` in an `include` with `count`/`for-each`),
    /// found through the module calls its steps name.
    pub fn find_block(&self, block: &str) -> Option<&'c nimbus_config::Resource> {
        self.find_block_in(block).map(|(resource, _)| resource)
    }

    /// [`Engine::find_block`], with the providers passed to the module
    /// instance the block is in.
    fn find_block_in(&self, block: &str) -> Option<(&'c nimbus_config::Resource, ProviderMap)> {
        let address = nimbus_config::BlockAddr::parse(block).ok()?;
        let mut module = 0;
        let mut passed = ProviderMap::new();
        let mut prefix = String::new();
        for step in &address.module {
            // Whatever the key: an instance whose `count` index or
            // `for-each` key went away still has its block configured,
            // and its `prevent-destroy` still protects it.
            let index = &self.graph.indexes[module];
            let call = &index.module.calls[*index.calls.get(step.name.as_str())?];
            module = self.config.called(index.module, call)?;
            prefix = format!("{prefix}{step}.");
            let called = &self.config.modules[module];
            if !call.providers.is_empty() || called.own_providers().next().is_some() {
                passed = graph::instance_providers(&passed, call, &prefix, called);
            }
        }
        // Found by the module's index: this runs for every object in state.
        let index = &self.graph.indexes[module];
        let i = index.position(address.mode, &address.type_name, &address.name)?;
        let config: &'c nimbus_config::Config = self.config;
        Some((&config.modules[module].resources[i], passed))
    }

    /// The provider configuration that serves block `block` (an address),
    /// with the providers passed to its module instance.
    pub fn provider_for_block(&self, block: &str) -> Option<Result<&ProviderHandle, Diagnostic>> {
        let (resource, passed) = self.find_block_in(block)?;
        Some(self.providers.for_resource_in(resource, &passed))
    }

    /// The type Terraform records for root output `name` with `value`,
    /// when its expression tells more than the value does (a map, a list
    /// or a set); `None` when the value's own type is the answer.
    fn output_type(&self, name: &str, value: &serde_json::Value) -> Option<serde_json::Value> {
        let root = self.config.root();
        let output = root.outputs.iter().find(|o| o.name.text == name)?;
        let index = &self.graph.indexes[0];
        let attribute = |mode, type_name: &str, name: &str, indexed: bool, attribute: &str| {
            index
                .position(mode, type_name, name)
                .map(|i| &root.resources[i])
                .filter(|r| (r.count.is_some() || r.for_each.is_some()) == indexed)
                .and_then(|r| self.providers.for_resource(r).ok())
                .and_then(|h| h.resource_schema(mode, type_name).cloned())
                .and_then(|schema| schema.attribute(attribute).map(|a| a.ty.clone()))
                .unwrap_or(nimbus_value::Type::Any)
        };
        match nimbus_eval::static_type(root, &output.value, &attribute) {
            nimbus_value::Type::Any => None,
            ty => Some(terraform_state::cty_type(&ty, value)),
        }
    }

    /// Applies an approved plan: the walk re-plans each instance with every
    /// value now known (refusing if the action changed), then carries it
    /// out; objects no longer configured are deleted afterwards.
    pub async fn apply(
        &self,
        plan: &Plan,
        inputs: &Inputs,
        prior: &PriorState,
        recorder: &Recorder,
        options: &RunOptions,
    ) -> ApplyReport {
        let apply_check = match self.enforce_policies(plan, recorder, options, inputs).await {
            Ok(check) => check,
            Err(report) => return report,
        };
        if plan.destroy {
            return self.destroy(plan, inputs, prior, recorder, options).await;
        }
        let total = plan.changes.iter().filter(|c| c.action.is_change()).count();
        options.events.emit(Event::ApplyPlanned { total });
        // The refresh happened while planning; refreshing again would let
        // the apply diverge from what was approved.
        // The plan carries its selection: what was approved is what runs,
        // whatever the options of this call say.
        let options_no_refresh = RunOptions {
            refresh: false,
            targets: plan.targets.clone(),
            excludes: plan.excludes.clone(),
            replace: plan.replace.clone(),
            apply_check,
            ..options.clone()
        };
        // Moves and imports first: every change after them acts on the
        // objects at their new addresses.
        let (prior, mut report) = match self
            .record_moves_and_imports(plan, inputs, prior, recorder, options)
            .await
        {
            Ok(done) => done,
            Err(report) => return report,
        };
        let prior: &PriorState = &prior;
        let result = self
            .walk(
                WalkMode::Apply,
                inputs,
                prior,
                Some(plan),
                Some(recorder.clone()),
                &options_no_refresh,
            )
            .await;
        report.applied = result.applied;
        report.failed = result.failed;
        report.skipped = result.skipped;
        report.diagnostics = [result.diagnostics, result.warnings].concat();
        report.outputs = result.outputs;
        for change in plan.changes.iter().filter(|c| c.action == Action::Forget) {
            match recorder.remove(change.address.clone()).await {
                Ok(_) => report
                    .applied
                    .push((change.address.clone(), Action::Forget)),
                Err(e) => {
                    report.failed.push(change.address.clone());
                    report.diagnostics.push(Diagnostic::error(format!(
                        "{}: recording that it is forgotten: {e}",
                        change.address
                    )));
                }
            }
        }
        let orphans: Vec<ResourceRecord> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .filter_map(|c| prior.get(&c.address).cloned())
            .collect();
        if !orphans.is_empty() {
            let ctx = self.job_context(WalkMode::Apply, recorder, options);
            let deleted =
                destroy::delete_records(orphans, &self.providers, options.parallelism, &ctx).await;
            report
                .applied
                .extend(deleted.deleted.into_iter().map(|a| (a, Action::Delete)));
            report.failed.extend(deleted.failed);
            report.skipped.extend(deleted.skipped);
            report.diagnostics.extend(deleted.diagnostics);
        }
        // After a partial failure the outputs may be stale or missing: keep
        // the recorded ones rather than record a half-evaluated set.
        if report.failed.is_empty() && report.skipped.is_empty() {
            let records = report
                .outputs
                .iter()
                // Terraform records no output whose value is null.
                .filter(|(_, (v, _))| v.is_wholly_known() && !v.peel().is_null())
                .map(|(name, (value, sensitive))| {
                    let value = value.to_json();
                    OutputRecord {
                        name: name.clone(),
                        terraform_type: self.output_type(name, &value),
                        value,
                        sensitive: *sensitive,
                    }
                })
                .collect();
            if let Err(e) = recorder.set_outputs(records).await {
                report
                    .diagnostics
                    .push(Diagnostic::error(format!("recording outputs: {e}")));
            }
        }
        report
    }

    /// Records a plan's moves (one transaction) and imports (each object
    /// read again and recorded), and gives the prior state as it is after
    /// them. On failure, the report says what went wrong and nothing else
    /// is done.
    async fn record_moves_and_imports<'p>(
        &self,
        plan: &Plan,
        inputs: &Inputs,
        prior: &'p PriorState,
        recorder: &Recorder,
        options: &RunOptions,
    ) -> Result<(std::borrow::Cow<'p, PriorState>, ApplyReport), ApplyReport> {
        let mut report = ApplyReport::default();
        let mut now = moves::apply_to_prior(prior, &plan.moves);
        if !plan.moves.is_empty() {
            let pairs: Vec<(String, String)> = plan
                .moves
                .iter()
                .map(|m| (m.from.clone(), m.to.clone()))
                .collect();
            if let Err(e) = recorder.move_resources(pairs).await {
                report
                    .diagnostics
                    .push(Diagnostic::error(format!("recording the moves: {e}")));
                report.failed = plan.moves.iter().map(|m| m.from.clone()).collect();
                return Err(report);
            }
            report.moved = plan
                .moved_objects()
                .into_iter()
                .map(|m| (m.from, m.to))
                .collect();
        }
        if plan.imports.is_empty() {
            return Ok((now, report));
        }
        if let Err(ds) = self.configure_providers(inputs, options).await {
            report.diagnostics = ds;
            return Err(report);
        }
        for import in &plan.imports {
            let imported = match self
                .import_object(&import.address, &import.id, options)
                .await
            {
                Ok(record) => self
                    .record_import(&record, &import.id, recorder)
                    .await
                    .map(|()| record),
                Err(d) => Err(d),
            };
            match imported {
                Ok(record) => {
                    now.to_mut().insert(import.address.clone(), record);
                    report.imported.push(import.address.clone());
                }
                Err(d) => {
                    report.diagnostics.push(d);
                    report.failed.push(import.address.clone());
                    return Err(report);
                }
            }
        }
        Ok((now, report))
    }

    fn job_context(&self, walk: WalkMode, recorder: &Recorder, options: &RunOptions) -> JobContext {
        JobContext {
            walk,
            refresh: false,
            recorder: Some(recorder.clone()),
            events: options.events.clone(),
            retry: options.retry.clone(),
            cancel: options.cancel.clone(),
            replace: Arc::new(options.replace.iter().cloned().collect()),
            policy: None,
        }
    }

    /// Configures providers (their settings may use variables and locals)
    /// without planning any resource.
    pub async fn configure_providers(
        &self,
        inputs: &Inputs,
        options: &RunOptions,
    ) -> Result<(), Vec<Diagnostic>> {
        let empty = PriorState::new();
        let result = self
            .walk(WalkMode::Configure, inputs, &empty, None, None, options)
            .await;
        let errors: Vec<Diagnostic> = result
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Deletes what a destroy plan lists, in reverse dependency order.
    pub async fn destroy(
        &self,
        plan: &Plan,
        inputs: &Inputs,
        prior: &PriorState,
        recorder: &Recorder,
        options: &RunOptions,
    ) -> ApplyReport {
        let mut report = ApplyReport::default();
        if let Err(ds) = self.configure_providers(inputs, options).await {
            report.diagnostics = ds;
            return report;
        }
        let records: Vec<ResourceRecord> = plan
            .changes
            .iter()
            .filter_map(|c| prior.get(&c.address).cloned())
            .collect();
        let everything = records.len() == prior.len();
        let ctx = self.job_context(WalkMode::Apply, recorder, options);
        let deleted =
            destroy::delete_records(records, &self.providers, options.parallelism, &ctx).await;
        report.applied = deleted
            .deleted
            .into_iter()
            .map(|a| (a, Action::Delete))
            .collect();
        report.failed = deleted.failed;
        report.skipped = deleted.skipped;
        report.diagnostics = deleted.diagnostics;
        if everything
            && report.failed.is_empty()
            && report.skipped.is_empty()
            && let Err(e) = recorder.set_outputs(Vec::new()).await
        {
            report
                .diagnostics
                .push(Diagnostic::error(format!("clearing outputs: {e}")));
        }
        report
    }

    /// Reads every object in state as it is now. Providers must be
    /// configured first ([`Engine::configure_providers`]). Interrupted, it
    /// reads nothing more and says how many objects it did not read.
    pub async fn detect_drift(
        &self,
        prior: &PriorState,
        options: &RunOptions,
    ) -> (Vec<Drift>, Vec<Diagnostic>) {
        drift::detect(&self.providers, prior, options).await
    }

    /// Records what reality looks like now (after [`Engine::detect_drift`]).
    pub async fn record_refresh(
        &self,
        prior: &PriorState,
        drifts: &[Drift],
        recorder: &Recorder,
    ) -> Result<(), Diagnostic> {
        // Submitted together, so that the store's writer commits them in a
        // few group transactions instead of one fsync each.
        let writes: Vec<_> = drifts
            .iter()
            .filter_map(|drift| {
                // `None`: the object is gone.
                let updated = match &drift.current {
                    None => None,
                    Some(current) => {
                        let mut record = prior.get(&drift.address)?.clone();
                        record.attributes = current.to_json();
                        Some(record)
                    }
                };
                Some(async move {
                    let result = match updated {
                        None => recorder.remove(drift.address.clone()).await,
                        Some(record) => recorder.upsert(record).await,
                    };
                    result.map_err(|e| {
                        Diagnostic::error(format!("{}: recording refresh: {e}", drift.address))
                    })
                })
            })
            .collect();
        for result in futures_util::future::join_all(writes).await {
            result?;
        }
        Ok(())
    }

    /// Adopts an existing object into state at `address`.
    pub async fn import(
        &self,
        address: &str,
        id: &str,
        recorder: &Recorder,
        options: &RunOptions,
    ) -> Result<ResourceRecord, Diagnostic> {
        let record = self.import_object(address, id, options).await?;
        self.record_import(&record, id, recorder).await?;
        Ok(record)
    }

    /// Records an imported object: an `Import` intent, closed with the
    /// record in the same transaction.
    async fn record_import(
        &self,
        record: &ResourceRecord,
        id: &str,
        recorder: &Recorder,
    ) -> Result<(), Diagnostic> {
        let intent = recorder
            .record_intent(nimbus_state::NewIntent {
                address: record.address.clone(),
                action: nimbus_state::IntentAction::Import,
                resource_type: record.resource_type.clone(),
                provider: record.provider.clone(),
                detail: serde_json::json!({ "id": id }),
            })
            .await
            .map_err(|e| Diagnostic::error(format!("recording import: {e}")))?;
        recorder
            .complete(intent, nimbus_state::Outcome::Upsert(record.clone()))
            .await
            .map_err(|e| Diagnostic::error(format!("recording import: {e}")))?;
        Ok(())
    }

    /// The object the provider finds under `id`, as it would be recorded
    /// at `address` (its import, then a read). Records nothing: `nimbus
    /// import` and `import` blocks record it. Providers must be configured.
    pub async fn import_object(
        &self,
        address: &str,
        id: &str,
        options: &RunOptions,
    ) -> Result<ResourceRecord, Diagnostic> {
        let block = block_of(address);
        let resource = self.find_block(block).ok_or_else(|| {
            Diagnostic::error(format!(
                "no resource block `{block}` in the configuration: add it before importing"
            ))
        })?;
        if resource.mode != Mode::Managed {
            return Err(Diagnostic::error("data sources cannot be imported"));
        }
        let handle = self
            .provider_for_block(block)
            .unwrap_or_else(|| self.providers.for_resource(resource))?;
        let schema = handle
            .resource_schema(Mode::Managed, resource.type_name.as_str())
            .ok_or_else(|| Diagnostic::error("resource type has no schema"))?;
        let imported = handle
            .call(address, options.into(), || {
                handle.provider.import(resource.type_name.as_str(), id)
            })
            .await
            .map_err(|e| Diagnostic::error(format!("{address}: import failed: {}", e.message)))?;
        let Some(object) = imported.into_iter().next() else {
            return Err(Diagnostic::error(format!(
                "{address}: the provider found nothing with id {id:?}"
            )));
        };
        // What the provider says about the object may quote its secrets.
        let sensitive: Vec<String> = schema.sensitive_names().map(str::to_string).collect();
        let read = handle
            .call(
                address,
                CallContext::from(options).withholding(Withheld::Paths(&object.state, &sensitive)),
                || {
                    handle.provider.read(ReadRequest {
                        type_name: &object.type_name,
                        current_state: &object.state,
                        private: &object.private,
                    })
                },
            )
            .await
            .map_err(|e| {
                Diagnostic::error(format!(
                    "{address}: reading the imported object failed: {}",
                    e.message
                ))
            })?
            .ok_or_else(|| {
                Diagnostic::error(format!("{address}: no object with id {id:?} exists"))
            })?;
        let record = ResourceRecord {
            address: address.to_string(),
            resource_type: resource.type_name.text.clone(),
            provider: handle.address.to_string(),
            attributes: read.new_state.to_json(),
            sensitive_attributes: sensitive,
            private: read.private,
            schema_version: schema.version,
            dependencies: Vec::new(),
            status: nimbus_state::ResourceStatus::Ready,
            last_run: None,
        };
        Ok(record)
    }
}

/// The planned deletion of a recorded object.
fn deletion(record: &ResourceRecord, reason: Option<&str>) -> ResourceChange {
    ResourceChange {
        address: record.address.clone(),
        resource_type: record.resource_type.clone(),
        provider: record.provider.clone(),
        action: Action::Delete,
        before: Some(Value::from_json(&record.attributes)),
        after: None,
        requires_replace: Vec::new(),
        sensitive_attributes: record.sensitive_attributes.clone(),
        create_before_destroy: false,
        reason: reason.map(str::to_string),
        replace_triggered_by: None,
    }
}

/// Terraform's warning: a targeted plan may leave the rest inconsistent.
fn selection_warnings(options: &RunOptions) -> Vec<Diagnostic> {
    if options.targets.is_empty() && options.excludes.is_empty() {
        return Vec::new();
    }
    vec![Diagnostic::warning(
        "resource targeting is in effect: this plan may not cover every change the configuration needs",
    )
    .with_note("note: use --target and --exclude for exceptional situations, such as recovering from errors; run a plan without them afterwards to see what is left")]
}

fn output_changes(outputs: &Outputs, prior: &[OutputRecord]) -> Vec<OutputChange> {
    let before: HashMap<&str, &OutputRecord> = prior.iter().map(|o| (o.name.as_str(), o)).collect();
    let mut changes: Vec<OutputChange> = outputs
        .iter()
        .map(|(name, (value, sensitive))| OutputChange {
            name: name.clone(),
            before: before
                .get(name.as_str())
                .map(|o| Value::from_json(&o.value).mark_if(o.sensitive)),
            after: value.clone(),
            sensitive: *sensitive,
            removed: false,
        })
        .collect();
    // Outputs the configuration no longer has: applying removes them.
    changes.extend(
        prior
            .iter()
            .filter(|o| !outputs.contains_key(&o.name))
            .map(|o| OutputChange {
                name: o.name.clone(),
                before: Some(Value::from_json(&o.value).mark_if(o.sensitive)),
                after: Value::Null,
                sensitive: o.sensitive,
                removed: true,
            }),
    );
    changes
}

/// Addresses a destroy touches: everything, or the targets plus whatever
/// depends on them (from recorded dependencies), minus exclusions.
pub fn destroy_selection<'p>(
    prior: &'p PriorState,
    targets: &[String],
    excludes: &[String],
) -> HashSet<&'p str> {
    let mut selected: HashSet<&str> = if targets.is_empty() {
        prior.keys().map(String::as_str).collect()
    } else {
        let mut dependents: HashMap<&str, Vec<&str>> = HashMap::new();
        for record in prior.values() {
            for dep in &record.dependencies {
                dependents
                    .entry(dep.as_str())
                    .or_default()
                    .push(record.address.as_str());
            }
        }
        let mut stack: Vec<&str> = prior
            .values()
            .filter(|r| targets.iter().any(|t| selects(t, &r.address)))
            .map(|r| r.address.as_str())
            .collect();
        let mut out = HashSet::new();
        while let Some(a) = stack.pop() {
            if out.insert(a)
                && let Some(ds) = dependents.get(block_of(a))
            {
                stack.extend(ds.iter().copied());
            }
        }
        out
    };
    if excludes.is_empty() {
        return selected;
    }
    // An excluded object stays, and so must everything it depends on: it
    // cannot outlive its dependencies (a destroy is the reverse of an apply,
    // where `--exclude` drops the matched blocks and their dependents).
    let mut by_block: HashMap<&str, Vec<&str>> = HashMap::new();
    for record in prior.values() {
        by_block
            .entry(block_of(&record.address))
            .or_default()
            .push(record.address.as_str());
    }
    let mut stack: Vec<&str> = prior
        .values()
        .filter(|r| excludes.iter().any(|e| selects(e, &r.address)))
        .map(|r| r.address.as_str())
        .collect();
    let mut kept: HashSet<&str> = HashSet::new();
    while let Some(a) = stack.pop() {
        if kept.insert(a)
            && let Some(record) = prior.get(a)
        {
            for dep in &record.dependencies {
                stack.extend(by_block.get(dep.as_str()).into_iter().flatten().copied());
            }
        }
    }
    selected.retain(|a| !kept.contains(a));
    selected
}
