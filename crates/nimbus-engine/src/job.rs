//! The work on one resource instance: refresh, plan, and in apply the
//! provider call bracketed by a write-ahead intent and its result.
//!
//! A job owns everything it needs (`'static`), so many run concurrently
//! while the walker keeps evaluating the configuration.

use crate::events::{Event, Events};
use crate::plan::{Action, ResourceChange};
use crate::providers::{CallContext, ProviderHandle, Withheld};
use crate::retry::RetryPolicy;
use nimbus_config::Mode;
use nimbus_provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, PlanRequest, ProviderDiagnostic, ProviderError,
    ReadRequest, proposed_state, proposed_state_from,
};
use nimbus_state::{IntentAction, NewIntent, Outcome, Recorder, ResourceRecord, ResourceStatus};
use nimbus_syntax::{Code, Diagnostic, Span};
use nimbus_value::{AttrPath, Schema, Step, Value};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkMode {
    /// Check the configuration; no provider is configured or called.
    Validate,
    /// Like validate, but configure providers (for destroy and import).
    Configure,
    /// Refresh and plan; nothing real changes.
    Plan,
    /// Plan again with every value known, then make it so.
    Apply,
}

#[derive(Debug, Clone, Default)]
pub struct LifecycleFlags {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: Vec<String>,
    pub ignore_all_changes: bool,
}

/// Shared settings of every job of one walk.
#[derive(Clone)]
pub struct JobContext {
    pub walk: WalkMode,
    pub refresh: bool,
    pub recorder: Option<Recorder>,
    pub events: Events,
    pub retry: RetryPolicy,
    pub cancel: Arc<AtomicBool>,
    /// Instances to replace although nothing forces it (`--replace`).
    pub replace: Arc<std::collections::HashSet<String>>,
    /// In apply: the policy rules the plan could not decide, checked on
    /// each instance's change before its provider call.
    pub policy: Option<Arc<crate::policy::ApplyCheck>>,
}

/// What every instance of one resource block shares, built once per block.
pub struct BlockJob {
    pub mode: Mode,
    pub type_name: String,
    pub handle: ProviderHandle,
    pub schema: Arc<Schema>,
    pub lifecycle: LifecycleFlags,
    /// Block addresses this block depends on, stored in state so that
    /// destroy can run in reverse order without the configuration.
    pub dependencies: Vec<String>,
    pub span: Span,
    /// Where each attribute was written, to place provider errors.
    pub attribute_spans: Vec<(String, Span)>,
    /// A data source's dependency with a change pending in this plan: the
    /// read waits for apply.
    pub read_after: Option<String>,
}

pub struct InstanceJob {
    pub address: String,
    pub block: Arc<BlockJob>,
    /// Evaluated configuration (with sensitive marks).
    pub config: Value,
    pub prior: Option<ResourceRecord>,
    /// In apply: the action the user approved for this address.
    pub approved: Option<Action>,
    /// In apply: the object as the approved plan saw it (after the plan's
    /// refresh; `Some(None)`: it was gone). The apply re-plans from this
    /// rather than from the recorded state, so drift found while planning
    /// does not turn the approved action into a different one.
    pub approved_before: Option<Option<Value>>,
    /// In apply: the object the approved plan promised (unknowns where
    /// values were not known yet). What is applied must keep every value
    /// the plan knew ([`crate::saved::conforms`]).
    pub approved_after: Option<Value>,
    /// Replaced because what its `replace-triggered-by` names changed:
    /// that reference (see [`crate::conditions::Triggers`]).
    pub replace_triggered: Option<String>,
    pub ctx: JobContext,
}

#[derive(Debug, Default)]
pub struct JobOutcome {
    /// The instance's value for references (sensitive attributes marked).
    pub value: Value,
    pub change: Option<ResourceChange>,
    /// In apply: the action carried out.
    pub applied: Option<Action>,
    pub error: Option<Diagnostic>,
    /// Further errors (a provider's check finds them all, not only the
    /// first) and the provider's warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// Not attempted (interrupted).
    pub skipped: bool,
    /// In a plan: unchanged, but recorded with other dependencies than the
    /// configuration's.
    pub stale_dependencies: bool,
}

/// Marks a provider's object value with the schema's sensitive attributes.
pub fn mark_sensitive(schema: &Schema, value: Value) -> Value {
    match value {
        Value::Map(map) => Value::Map(
            map.into_iter()
                .map(|(k, v)| {
                    let sensitive = schema.attribute(&k).is_some_and(|a| a.sensitive);
                    (k, v.mark_if(sensitive))
                })
                .collect(),
        ),
        other => other,
    }
}

/// Marks the parts of an object value that `paths` name (in
/// [`nimbus_value::AttrPath`]'s text form) sensitive.
pub fn mark_attributes(value: Value, paths: &[String]) -> Value {
    value.mark_paths(paths)
}

impl InstanceJob {
    /// The parts of this instance to treat as secrets, as paths
    /// ([`nimbus_value::AttrPath`]): the schema's sensitive attributes
    /// whole; every secret part of a configured value, where it is (a map
    /// with one secret entry has that entry secret, not the map), e.g.
    /// `(input (ref random-password ...))`; and computed attributes that
    /// echo such a value back (terraform-data's `output`), with the same
    /// parts secret. Without the last two a secret passed through a
    /// resource was shown in plans and `state show` and lost its mark in
    /// references. Only a known computed value can be an echo: while
    /// planning, an unknown `id` is no copy of an unknown secret.
    fn sensitive_names(&self, state: Option<&Value>) -> Vec<String> {
        let mut paths: std::collections::BTreeSet<String> = self
            .block
            .schema
            .sensitive_names()
            .map(str::to_string)
            .collect();
        let mut secrets: Vec<(Value, Vec<Vec<Step>>)> = Vec::new();
        if let Some(config) = self.config.as_map() {
            for (name, value) in config {
                let steps = value.sensitive_steps();
                if steps.is_empty() {
                    continue;
                }
                for steps in &steps {
                    paths.insert(
                        AttrPath {
                            attribute: name.clone(),
                            steps: steps.clone(),
                        }
                        .to_string(),
                    );
                }
                secrets.push((value.clone().unmark().0, steps));
            }
        }
        // A computed string built from a secret (an ARN, a domain name made
        // of a secret name) is secret whole.
        let secret_texts = if secrets.is_empty() {
            Vec::new()
        } else {
            self.config.secret_texts()
        };
        if !secrets.is_empty()
            && let Some(state) = state.and_then(Value::as_map)
        {
            for (name, value) in state {
                let computed = self
                    .block
                    .schema
                    .attribute(name)
                    .is_some_and(|a| !a.is_settable());
                if !computed || value.is_null() || !value.is_wholly_known() {
                    continue;
                }
                if let Some(text) = value.as_str()
                    && secret_texts
                        .iter()
                        .any(|secret| text.contains(secret.as_str()))
                {
                    paths.insert(name.clone());
                    continue;
                }
                for (secret, steps) in &secrets {
                    if secret == value {
                        for steps in steps {
                            paths.insert(
                                AttrPath {
                                    attribute: name.clone(),
                                    steps: steps.clone(),
                                }
                                .to_string(),
                            );
                        }
                    }
                }
            }
        }
        paths.into_iter().collect()
    }

    /// The configuration without sensitive marks, as providers receive it:
    /// borrowed when it has none, the common case.
    fn unmarked_config(&self) -> Cow<'_, Value> {
        if self.config.contains_sensitive() {
            Cow::Owned(self.config.clone().unmark().0)
        } else {
            Cow::Borrowed(&self.config)
        }
    }

    /// Whether the dependencies recorded with the prior object differ from
    /// the configuration's.
    fn dependencies_stale(&self) -> bool {
        self.prior
            .as_ref()
            .is_some_and(|r| r.dependencies != self.block.dependencies)
    }

    /// Whether [`InstanceJob::mark`] can change anything: most blocks have
    /// no secret in their schema or configuration.
    fn needs_marks(&self) -> bool {
        self.block.schema.sensitive_names().next().is_some() || self.config.contains_sensitive()
    }

    /// A value for references, with every secret part marked where
    /// [`InstanceJob::sensitive_names`] finds it (a map with one secret
    /// entry stays a map with one secret entry).
    fn mark(&self, value: Value) -> Value {
        if !self.needs_marks() {
            return value;
        }
        let paths = self.sensitive_names(Some(&value));
        value.mark_paths(&paths)
    }

    fn error(&self, e: &ProviderError, doing: &str) -> Diagnostic {
        Diagnostic::error(format!("{}: {doing} failed: {}", self.address, e.message))
            .at(self.attribute_span(e.attribute.as_deref()))
    }

    /// Where an attribute a provider names is configured (else the block).
    fn attribute_span(&self, attribute: Option<&str>) -> Span {
        attribute
            .and_then(|a| self.block.attribute_spans.iter().find(|(n, _)| n == a))
            .map_or(self.block.span, |(_, s)| *s)
    }

    /// A provider's warnings about this instance, for the user.
    fn warnings(&self, warnings: &[ProviderDiagnostic]) -> Vec<Diagnostic> {
        warnings
            .iter()
            .map(|w| {
                Diagnostic::warning(format!(
                    "{}: {}",
                    self.address,
                    self.config.redact_secrets_in(&w.message)
                ))
                .with_code(Code::ProviderWarning)
                .at(self.attribute_span(w.attribute.as_deref()))
            })
            .collect()
    }

    fn record(&self, state: &Value, private: Vec<u8>) -> ResourceRecord {
        ResourceRecord {
            address: self.address.clone(),
            resource_type: self.block.type_name.clone(),
            provider: self.block.handle.address.to_string(),
            attributes: state.to_json(),
            sensitive_attributes: self.sensitive_names(Some(state)),
            private,
            schema_version: self.block.schema.version,
            dependencies: self.block.dependencies.clone(),
            status: ResourceStatus::Ready,
            last_run: None,
        }
    }

    /// A call to this instance's provider, through the provider's gate.
    /// The provider sees the configuration without its marks and may quote
    /// it in an error: a secret it quotes is withheld before the gate
    /// announces a retry or the run reports the failure.
    async fn call<T, F, Fut>(&self, op: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let mut ctx = CallContext::from(&self.ctx).withholding(Withheld::Marked(&self.config));
        // A refresh, an update or a replacement's delete also hands the
        // provider the recorded object, whose secrets it may quote.
        if let Some(record) = &self.prior {
            ctx = ctx.withholding(Withheld::Record(record));
        }
        self.block.handle.call(&self.address, ctx, op).await
    }

    /// A provider's check of a configuration: local work without I/O in
    /// every provider, so it goes through the gate's no-retry path.
    async fn check<T, F, Fut>(&self, op: F) -> Result<T, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        self.block.handle.check(op).await
    }

    pub async fn run(self) -> JobOutcome {
        match self.block.mode {
            Mode::Data => self.run_data().await,
            Mode::Managed => match self.run_managed().await {
                Ok(outcome) => outcome,
                Err(error) => JobOutcome {
                    value: Value::Unknown,
                    error: Some(error),
                    ..JobOutcome::default()
                },
            },
        }
    }

    async fn run_data(self) -> JobOutcome {
        let config = self.unmarked_config();
        let defer_because = if matches!(self.ctx.walk, WalkMode::Validate | WalkMode::Configure) {
            Some(String::new())
        } else if !config.is_wholly_known() {
            Some("its configuration depends on values known only after apply".to_string())
        } else {
            self.block
                .read_after
                .as_ref()
                .map(|d| format!("it depends on `{d}`, which has changes pending"))
        };
        if let Some(reason) = defer_because {
            let value = mark_sensitive(
                &self.block.schema,
                proposed_state(&self.block.schema, None, &config),
            );
            let change = (self.ctx.walk == WalkMode::Plan).then(|| ResourceChange {
                address: self.address.clone(),
                resource_type: self.block.type_name.clone(),
                provider: self.block.handle.address.to_string(),
                action: Action::Read,
                before: None,
                after: Some(value.clone().unmark().0),
                requires_replace: Vec::new(),
                sensitive_attributes: self
                    .block
                    .schema
                    .sensitive_names()
                    .map(str::to_string)
                    .collect(),
                create_before_destroy: false,
                reason: Some(reason),
                replace_triggered_by: None,
            });
            return JobOutcome {
                value,
                change,
                ..JobOutcome::default()
            };
        }
        let provider = self.block.handle.provider.clone();
        let result = self
            .call(|| provider.read_data(&self.block.type_name, &config))
            .await;
        match result {
            Ok(v) => JobOutcome {
                value: mark_sensitive(&self.block.schema, v),
                ..JobOutcome::default()
            },
            Err(e) => JobOutcome {
                value: Value::Unknown,
                error: Some(self.error(&e, "reading the data source")),
                ..JobOutcome::default()
            },
        }
    }

    async fn run_managed(mut self) -> Result<JobOutcome, Diagnostic> {
        let provider = self.block.handle.provider.clone();
        let config = self.unmarked_config();
        let diagnostics = self
            .check(|| provider.validate_resource(&self.block.type_name, &config))
            .await
            .map_err(|e| self.error(&e, "validation"))?;
        let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics.into_iter().partition(|d| d.error);
        let mut found = self.warnings(&warnings);
        if !errors.is_empty() {
            found.extend(errors.iter().map(|d| {
                // The provider checked the configuration unmarked.
                Diagnostic::error(format!(
                    "{}: {}",
                    self.address,
                    self.config.redact_secrets_in(&d.message)
                ))
                .at(self.attribute_span(d.attribute.as_deref()))
            }));
            let first = found.iter().position(Diagnostic::is_error).unwrap_or(0);
            let error = found.remove(first);
            return Ok(JobOutcome {
                value: Value::Unknown,
                error: Some(error),
                diagnostics: found,
                ..JobOutcome::default()
            });
        }
        if matches!(self.ctx.walk, WalkMode::Validate | WalkMode::Configure) {
            let value = if self.needs_marks() {
                self.mark(proposed_state(&self.block.schema, None, &config))
            } else {
                drop(config);
                proposed_state_from(&self.block.schema, None, std::mem::take(&mut self.config))
            };
            return Ok(JobOutcome {
                value,
                diagnostics: found,
                ..JobOutcome::default()
            });
        }

        let mut prior_value = self.prior.as_ref().map(|r| Value::from_json(&r.attributes));
        let mut private = self
            .prior
            .as_ref()
            .map(|r| r.private.clone())
            .unwrap_or_default();
        let tainted = self
            .prior
            .as_ref()
            .is_some_and(|r| r.status == ResourceStatus::Tainted);
        if let Some(record) = &self.prior
            && record.schema_version != self.block.schema.version
            && let Some(v) = prior_value.take()
        {
            let upgraded = self
                .call(|| {
                    provider.upgrade_state(&self.block.type_name, record.schema_version, v.clone())
                })
                .await
                .map_err(|e| self.error(&e, "upgrading stored state"))?;
            prior_value = Some(upgraded);
        }
        if let Some(before) = self.approved_before.clone() {
            // Apply: start from what the approved plan saw. Its refresh found
            // these values; record them as the refresh in an apply would.
            if self.prior.is_some()
                && before != prior_value
                && let Some(recorder) = &self.ctx.recorder
            {
                let result = match &before {
                    Some(v) => recorder.upsert(self.record(v, private.clone())).await,
                    None => recorder.remove(self.address.clone()).await,
                };
                result.map_err(|e| {
                    Diagnostic::error(format!("{}: recording refreshed state: {e}", self.address))
                })?;
            }
            prior_value = before;
        } else if self.ctx.refresh
            && let Some(current) = prior_value.clone()
        {
            // An interrupted plan reads nothing more: what it would plan
            // from a partial refresh is no plan.
            if !crate::schedule::may_start(
                &self.ctx.cancel,
                self.ctx.events.as_ref(),
                &self.address,
            ) {
                return Err(Diagnostic::error(format!(
                    "{}: not refreshed: the run was interrupted",
                    self.address
                )));
            }
            self.ctx.events.emit(Event::RefreshStarted {
                address: self.address.clone(),
            });
            let read = self
                .call(|| {
                    provider.read(ReadRequest {
                        type_name: &self.block.type_name,
                        current_state: &current,
                        private: &private,
                    })
                })
                .await
                .map_err(|e| self.error(&e, "refresh"))?;
            let (changed, gone) = match read {
                Some(r) => {
                    let changed = r.new_state != current;
                    prior_value = Some(r.new_state);
                    private = r.private;
                    (changed, false)
                }
                None => {
                    prior_value = None;
                    (true, true)
                }
            };
            if self.ctx.walk == WalkMode::Apply
                && changed
                && let Some(recorder) = &self.ctx.recorder
            {
                let result = match &prior_value {
                    Some(v) => recorder.upsert(self.record(v, private.clone())).await,
                    None => recorder.remove(self.address.clone()).await,
                };
                result.map_err(|e| {
                    Diagnostic::error(format!("{}: recording refreshed state: {e}", self.address))
                })?;
            }
            self.ctx.events.emit(Event::RefreshFinished {
                address: self.address.clone(),
                changed,
                gone,
            });
        }

        let config = self.ignore_changes(config.into_owned(), prior_value.as_ref());
        let replace_requested = self.ctx.replace.contains(&self.address);
        // A replacement that nothing in the configuration forces (taint,
        // `--replace`) is planned as the create it will be: its computed
        // values (an id) are unknown until then, so dependents plan to
        // follow them.
        let triggered = prior_value
            .as_ref()
            .and(self.replace_triggered.as_ref())
            .filter(|_| !tainted && !replace_requested);
        let forced = prior_value.is_some() && (tainted || replace_requested || triggered.is_some());
        let (plan_prior, plan_private): (Option<&Value>, &[u8]) = if forced {
            (None, &[])
        } else {
            (prior_value.as_ref(), &private)
        };
        let proposed = proposed_state(&self.block.schema, plan_prior, &config);
        let planned = self
            .call(|| {
                provider.plan(PlanRequest {
                    type_name: &self.block.type_name,
                    prior_state: plan_prior,
                    prior_private: plan_private,
                    config: &config,
                    proposed_state: &proposed,
                })
            })
            .await
            .map_err(|e| self.error(&e, "planning"))?;
        let action = match &prior_value {
            None => Action::Create,
            Some(_)
                if tainted
                    || replace_requested
                    || triggered.is_some()
                    || !planned.requires_replace.is_empty() =>
            {
                Action::Replace
            }
            Some(p) if *p == planned.planned_state => Action::NoOp,
            Some(_) => Action::Update,
        };
        if action == Action::Replace && self.block.lifecycle.prevent_destroy {
            return Err(Diagnostic::error(format!(
                "{} has `prevent-destroy` set, but this plan would replace it",
                self.address
            ))
            .at(self.block.span)
            .with_note(format!(
                "note: replacement is forced by: {}",
                if tainted {
                    "tainted".to_string()
                } else if replace_requested {
                    "--replace".to_string()
                } else if let Some(trigger) = triggered {
                    format!("replace-triggered-by {trigger}")
                } else {
                    planned.requires_replace.join(", ")
                }
            )));
        }
        let change = ResourceChange {
            address: self.address.clone(),
            resource_type: self.block.type_name.clone(),
            provider: self.block.handle.address.to_string(),
            action,
            before: prior_value.clone(),
            after: Some(planned.planned_state.clone()),
            requires_replace: planned.requires_replace.clone(),
            sensitive_attributes: {
                // What was secret before stays masked in the diff's `before`.
                let mut names = self.sensitive_names(Some(&planned.planned_state));
                if let Some(record) = &self.prior {
                    names.extend(record.sensitive_attributes.iter().cloned());
                    names.sort();
                    names.dedup();
                }
                names
            },
            create_before_destroy: self.block.lifecycle.create_before_destroy,
            reason: if tainted {
                Some("tainted".to_string())
            } else if replace_requested && planned.requires_replace.is_empty() {
                Some("replacement requested with --replace".to_string())
            } else {
                triggered
                    .map(|trigger| format!("due to changes in replace_triggered_by: {trigger}"))
            },
            replace_triggered_by: triggered.cloned(),
        };
        if self.ctx.walk == WalkMode::Plan {
            let stale_dependencies = action == Action::NoOp && self.dependencies_stale();
            found.extend(self.warnings(&planned.warnings));
            found.dedup();
            return Ok(JobOutcome {
                value: self.mark(planned.planned_state),
                change: Some(change),
                stale_dependencies,
                diagnostics: found,
                ..JobOutcome::default()
            });
        }

        // Apply. Never do more than was approved; doing less is fine when
        // values unknown at plan time turned out equal to the prior ones, so
        // an approved update or replace is no longer needed at all.
        let no_longer_needed = action == Action::NoOp
            && matches!(self.approved, Some(Action::Update | Action::Replace));
        if let Some(approved) = self.approved
            && approved != action
            && !no_longer_needed
        {
            return Err(Diagnostic::error(format!(
                "{}: the plan changed since it was approved (approved: {}, now: {}); plan again",
                self.address,
                approved.verb(),
                action.verb()
            ))
            .at(self.block.span));
        }
        if action != Action::NoOp
            && let Some(promised) = &self.approved_after
        {
            let differing =
                crate::saved::nonconforming_attributes(promised, &planned.planned_state);
            if !differing.is_empty() {
                return Err(Diagnostic::error(format!(
                    "{}: the values to apply differ from the approved plan for {}; nothing was done to it; plan again",
                    self.address,
                    differing
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .at(self.block.span));
            }
        }
        if action == Action::NoOp {
            let value = prior_value.unwrap_or_default();
            // Destroy orders itself by the dependencies recorded in state:
            // keep them current when only they changed (an imported object
            // has none; an edit may have added a reference).
            if let Some(recorder) = &self.ctx.recorder
                && self.dependencies_stale()
            {
                recorder
                    .upsert(self.record(&value, private))
                    .await
                    .map_err(|e| {
                        Diagnostic::error(format!("{}: recording dependencies: {e}", self.address))
                    })?;
            }
            return Ok(JobOutcome {
                value: self.mark(value),
                ..JobOutcome::default()
            });
        }
        if !config.is_wholly_known() {
            return Err(Diagnostic::error(format!(
                "{}: configuration still has unknown values at apply time",
                self.address
            ))
            .at(self.block.span));
        }
        // Rules the plan could not decide, with the values known now.
        let policy_warnings = match &self.ctx.policy {
            Some(check) => check.check(&change, self.block.span)?,
            None => Vec::new(),
        };
        if !crate::schedule::may_start(&self.ctx.cancel, self.ctx.events.as_ref(), &self.address) {
            return Ok(JobOutcome {
                value: Value::Unknown,
                skipped: true,
                ..JobOutcome::default()
            });
        }
        let Some(recorder) = self.ctx.recorder.clone() else {
            return Err(Diagnostic::error(
                "internal: apply without a state recorder",
            ));
        };
        self.ctx.events.emit(Event::OperationStarted {
            address: self.address.clone(),
            action,
        });
        let started = Instant::now();
        let result = self
            .execute(
                &recorder,
                action,
                prior_value.as_ref(),
                &private,
                &planned.planned_private,
                &planned.planned_state,
                &config,
            )
            .await;
        match result {
            Ok(applied) => {
                self.ctx.events.emit(Event::OperationFinished {
                    address: self.address.clone(),
                    action,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                });
                let mut diagnostics = policy_warnings;
                diagnostics.extend(self.warnings(&applied.warnings));
                Ok(JobOutcome {
                    value: self.mark(applied.new_state),
                    applied: Some(action),
                    diagnostics,
                    ..JobOutcome::default()
                })
            }
            Err(d) => {
                self.ctx.events.emit(Event::OperationFailed {
                    address: self.address.clone(),
                    action,
                    message: d.message.clone(),
                });
                Err(d)
            }
        }
    }

    fn ignore_changes(&self, config: Value, prior: Option<&Value>) -> Value {
        let lifecycle = &self.block.lifecycle;
        let (prior, mut map) = match (prior, config) {
            (Some(prior), Value::Map(map))
                if lifecycle.ignore_all_changes || !lifecycle.ignore_changes.is_empty() =>
            {
                (prior, map)
            }
            (_, config) => return config,
        };
        for (name, attribute) in &self.block.schema.attributes {
            let ignored = lifecycle.ignore_all_changes || lifecycle.ignore_changes.contains(name);
            if ignored && attribute.is_settable() {
                map.insert(
                    name.clone(),
                    prior.get(name).cloned().unwrap_or(Value::Null),
                );
            }
        }
        Value::Map(map)
    }

    /// Carries out one change with write-ahead intents around every
    /// provider call that creates or deletes something.
    #[allow(clippy::too_many_arguments)] // the parts of one planned change
    async fn execute(
        &self,
        recorder: &Recorder,
        action: Action,
        prior: Option<&Value>,
        private: &[u8],
        planned_private: &[u8],
        planned: &Value,
        config: &Value,
    ) -> Result<ApplyResponse, Diagnostic> {
        let provider = self.block.handle.provider.clone();
        let store_error = |e: nimbus_state::StateError| {
            Diagnostic::error(format!("{}: recording in state failed: {e}", self.address))
        };
        let intent = |action: IntentAction, detail: serde_json::Value| NewIntent {
            address: self.address.clone(),
            action,
            resource_type: self.block.type_name.clone(),
            provider: self.block.handle.address.to_string(),
            detail,
        };
        match (action, prior) {
            (Action::Create, _) | (Action::Replace, None) => {
                let id = recorder
                    .record_intent(intent(IntentAction::Create, planned.to_json()))
                    .await
                    .map_err(store_error)?;
                self.create(recorder, id, planned, planned_private, config)
                    .await
            }
            (Action::Update, Some(prior)) => {
                let id = recorder
                    .record_intent(intent(
                        IntentAction::Update,
                        serde_json::json!({ "before": prior.to_json() }),
                    ))
                    .await
                    .map_err(store_error)?;
                let result = self
                    .call(|| {
                        provider.update(ApplyRequest {
                            type_name: &self.block.type_name,
                            prior_state: Some(prior),
                            planned_state: planned,
                            config,
                            // What the provider's plan handed back, as the
                            // plugin protocol requires.
                            private: planned_private,
                        })
                    })
                    .await;
                self.finish(recorder, id, result, "update").await
            }
            (Action::Replace, Some(prior)) if self.block.lifecycle.create_before_destroy => {
                let id = recorder
                    .record_intent(intent(
                        IntentAction::Replace,
                        serde_json::json!({ "deposed": prior.to_json() }),
                    ))
                    .await
                    .map_err(store_error)?;
                let created = self
                    .create(recorder, id, planned, planned_private, config)
                    .await?;
                // The old object is now deposed: delete it, and close that
                // intent by re-recording the new object.
                let id = recorder
                    .record_intent(intent(
                        IntentAction::Delete,
                        serde_json::json!({ "deposed": prior.to_json() }),
                    ))
                    .await
                    .map_err(store_error)?;
                let deleted = self
                    .call(|| {
                        provider.delete(DeleteRequest {
                            type_name: &self.block.type_name,
                            prior_state: prior,
                            private,
                        })
                    })
                    .await;
                let record = self.record(&created.new_state, created.private.clone());
                match deleted {
                    Ok(()) => {
                        recorder
                            .complete(id, Outcome::Upsert(record))
                            .await
                            .map_err(store_error)?;
                        Ok(created)
                    }
                    Err(e) => {
                        let store_note = close_failed_intent(recorder, id, &e.message).await;
                        Err(with_note(
                            self.error(&e, "deleting the replaced object"),
                            store_note,
                        ))
                    }
                }
            }
            (Action::Replace, Some(prior)) => {
                let id = recorder
                    .record_intent(intent(
                        IntentAction::Delete,
                        serde_json::json!({ "before": prior.to_json() }),
                    ))
                    .await
                    .map_err(store_error)?;
                let deleted = self
                    .call(|| {
                        provider.delete(DeleteRequest {
                            type_name: &self.block.type_name,
                            prior_state: prior,
                            private,
                        })
                    })
                    .await;
                match deleted {
                    Ok(()) => {
                        recorder
                            .complete(
                                id,
                                Outcome::Remove {
                                    address: self.address.clone(),
                                },
                            )
                            .await
                            .map_err(store_error)?;
                    }
                    Err(e) => {
                        let store_note = close_failed_intent(recorder, id, &e.message).await;
                        return Err(with_note(
                            self.error(&e, "deleting for replacement"),
                            store_note,
                        ));
                    }
                }
                let id = recorder
                    .record_intent(intent(IntentAction::Create, planned.to_json()))
                    .await
                    .map_err(store_error)?;
                let fresh = proposed_state(&self.block.schema, None, config);
                let planned = self
                    .call(|| {
                        provider.plan(PlanRequest {
                            type_name: &self.block.type_name,
                            prior_state: None,
                            prior_private: &[],
                            config,
                            proposed_state: &fresh,
                        })
                    })
                    .await
                    .map_err(|e| self.error(&e, "planning the replacement"))?;
                self.create(
                    recorder,
                    id,
                    &planned.planned_state,
                    &planned.planned_private,
                    config,
                )
                .await
            }
            (other, _) => Err(Diagnostic::error(format!(
                "{}: internal: cannot carry out `{}` here",
                self.address,
                other.verb()
            ))),
        }
    }

    async fn create(
        &self,
        recorder: &Recorder,
        intent: nimbus_state::IntentId,
        planned: &Value,
        planned_private: &[u8],
        config: &Value,
    ) -> Result<ApplyResponse, Diagnostic> {
        let provider = self.block.handle.provider.clone();
        let result = self
            .call(|| {
                provider.create(ApplyRequest {
                    type_name: &self.block.type_name,
                    prior_state: None,
                    planned_state: planned,
                    config,
                    private: planned_private,
                })
            })
            .await;
        self.finish(recorder, intent, result, "create").await
    }

    async fn finish(
        &self,
        recorder: &Recorder,
        intent: nimbus_state::IntentId,
        result: Result<ApplyResponse, ProviderError>,
        doing: &str,
    ) -> Result<ApplyResponse, Diagnostic> {
        match result {
            Ok(response) => {
                if !response.new_state.is_wholly_known() {
                    let store_note =
                        close_failed_intent(recorder, intent, "provider returned unknown values")
                            .await;
                    return Err(with_note(
                        Diagnostic::error(format!(
                            "{}: the provider returned values that are still unknown after {doing}",
                            self.address
                        ))
                        .at(self.block.span),
                        store_note,
                    ));
                }
                let record = self.record(&response.new_state, response.private.clone());
                recorder
                    .complete(intent, Outcome::Upsert(record))
                    .await
                    .map_err(|e| {
                        Diagnostic::error(format!(
                            "{}: recording in state failed: {e}",
                            self.address
                        ))
                    })?;
                Ok(response)
            }
            Err(e) => {
                let store_note = close_failed_intent(recorder, intent, &e.message).await;
                Err(with_note(self.error(&e, doing), store_note))
            }
        }
    }
}

/// Attribute name to the span of its form, for error placement.
pub fn attribute_spans(forms: &[nimbus_config::AttributeForm]) -> Vec<(String, Span)> {
    forms
        .iter()
        .map(|f| (f.name.text.clone(), f.span))
        .collect()
}

/// Closes the intent of a provider call that failed. If even that cannot
/// be recorded, the intent stays open (the next run reports and resolves
/// it), and the returned note says so for the caller's error.
pub(crate) async fn close_failed_intent(
    recorder: &Recorder,
    intent: nimbus_state::IntentId,
    message: &str,
) -> Option<String> {
    recorder
        .complete(
            intent,
            Outcome::Failed {
                message: message.to_string(),
            },
        )
        .await
        .err()
        .map(|e| {
            format!(
                "note: recording this failure in state failed too ({e}); the open intent is reported and resolved by the next run"
            )
        })
}

/// `diagnostic`, with `note` when there is one.
pub(crate) fn with_note(diagnostic: Diagnostic, note: Option<String>) -> Diagnostic {
    match note {
        Some(note) => diagnostic.with_note(note),
        None => diagnostic,
    }
}
