//! The graph walk shared by validate, plan and apply.
//!
//! Vertices run when everything they depend on is done. Evaluating
//! configuration is synchronous and happens on the walker's task; provider
//! calls are futures polled concurrently (up to `parallelism` at once), so
//! no evaluation state has to be shared between threads. A vertex that
//! fails marks everything depending on it as skipped; independent vertices
//! carry on ("continue on error").

use crate::events::Event;
use crate::expansion::{CallSite, Repetition, set_module_inputs};
use crate::graph::{Graph, Vertex};
use crate::job::{
    BlockJob, InstanceJob, JobContext, JobOutcome, LifecycleFlags, WalkMode, attribute_spans,
    mark_attributes, mark_sensitive,
};
use crate::plan::{Action, Plan, ResourceChange};
use crate::providers::ProviderSet;
use crate::schedule;
use nimbus_config::{BlockAddr, InstanceAddr, InstanceKey, Mode, Resource, Selector};
use nimbus_eval::{
    Context, Expansion, Inputs, Instances, eval_block, eval_resource_block, eval_variables, expand,
};
use nimbus_state::ResourceRecord;
use nimbus_syntax::{Code, Diagnostic};
use nimbus_value::{Schema, Value};
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Root outputs: value and whether it is sensitive.
pub type Outputs = BTreeMap<String, (Value, bool)>;

pub struct WalkInput<'a> {
    pub graph: &'a Graph<'a>,
    pub providers: &'a ProviderSet,
    pub inputs: &'a Inputs,
    /// State records of the workspace, by address.
    pub prior: &'a HashMap<String, ResourceRecord>,
    /// In apply: the approved plan.
    pub approved: Option<&'a Plan>,
    pub targets: &'a [String],
    pub excludes: &'a [String],
    pub parallelism: usize,
    /// What the file functions read.
    pub files: &'a dyn nimbus_stdlib::FileAccess,
    pub ctx: JobContext,
}

#[derive(Debug, Default)]
pub struct WalkResult {
    /// Errors.
    pub diagnostics: Vec<Diagnostic>,
    /// Providers' warnings: shown, never a failure.
    pub warnings: Vec<Diagnostic>,
    pub changes: Vec<ResourceChange>,
    pub outputs: Outputs,
    pub applied: Vec<(String, Action)>,
    pub failed: Vec<String>,
    pub skipped: Vec<String>,
    /// Every instance address the configuration has now.
    pub addresses: HashSet<String>,
    /// Blocks left out by `--target`/`--exclude`.
    pub untargeted_blocks: HashSet<String>,
    /// Blocks of which `--target` names only some instances: the
    /// instance addresses named. Their other instances are left out.
    pub targeted_instances: HashMap<String, HashSet<String>>,
    /// `--target` addresses that match nothing in the configuration.
    pub unmatched_targets: Vec<String>,
    /// See [`crate::Plan::stale_dependencies`].
    pub stale_dependencies: bool,
}

type JobFuture = schedule::Job<'static, JobOutcome>;

enum Start {
    Done,
    Failed,
    Jobs(Vec<JobFuture>, Slots),
}

/// How a resource vertex's instances are laid out, to rebuild `Instances`.
enum Slots {
    Single,
    Count,
    Keys(Vec<String>),
    /// A provider configuration (one job: configure).
    Provider,
}

/// The block address of an instance address: `a.b` for `a.b[2]` and for
/// `a.b["key"]`, whatever the key holds (see [`nimbus_config::address`]).
pub fn block_of(address: &str) -> &str {
    &address[..nimbus_config::address::block_end(address)]
}

/// `block` with the instance key, in the one text form of addresses.
fn instance_address(block: &str, key: Option<&InstanceKey>) -> String {
    match key {
        None => block.to_string(),
        Some(key) => format!("{block}{key}"),
    }
}

/// Whether a user's `--target`/`--exclude` address selects the object at
/// `address`: an instance pattern (`t.n[1]`) only that instance, a block
/// or module pattern (`module.m`, every instance of an `include` with
/// `count`; `module.m[1]`, one of them) everything in it.
pub fn selects(pattern: &str, address: &str) -> bool {
    match (Selector::parse(pattern), InstanceAddr::parse(address)) {
        (Ok(selector), Ok(address)) => selector.selects(&address),
        _ => pattern == address,
    }
}

/// Whether a user's `--target`/`--exclude` address selects a block, or
/// some instances of it.
pub fn address_matches(pattern: &str, block: &str) -> bool {
    match (Selector::parse(pattern), BlockAddr::parse(block)) {
        (Ok(selector), Ok(block)) => selector.touches_block(&block),
        _ => pattern == block,
    }
}

pub struct Walker<'a> {
    input: WalkInput<'a>,
    scopes: Vec<nimbus_eval::Scope>,
    result: WalkResult,
    /// How the instances of each vertex with jobs in flight are laid out.
    slots: foldhash::HashMap<NodeIndex, Slots>,
    /// Resource block addresses each vertex depends on, transitively
    /// through locals, outputs and module inputs.
    resource_deps: Vec<Arc<Vec<NodeIndex>>>,
    /// Resource blocks replaced create-before-destroy: their own setting,
    /// or forced because a block that depends on them has it (as
    /// Terraform propagates it to every dependency: an object must not be
    /// destroyed before what depends on it has its replacement).
    create_before_destroy: Vec<bool>,
    /// In a plan: resource blocks with a planned change (data reads that
    /// had to wait included). A data source that depends on one is read at
    /// apply, after the change, not now from the stale object.
    changing: Vec<bool>,
    selected: Option<HashSet<NodeIndex>>,
    /// Selected blocks of which only these instances are targeted.
    partially_targeted: HashMap<NodeIndex, HashSet<String>>,
    /// Selected blocks of which these instances are excluded.
    partially_excluded: HashMap<NodeIndex, HashSet<String>>,
    /// What functions may use: at apply, the clock and randomness
    /// (`timestamp`, `uuid` are unknown in a plan, known at apply).
    functions: nimbus_stdlib::Context<'a>,
    /// The approved plan's changes by address: looked up once per instance,
    /// so it must not be a scan of the plan.
    approved: HashMap<&'a str, &'a ResourceChange>,
    /// In a plan with `replace-triggered-by`: the changes made so far.
    triggers: Option<crate::conditions::Triggers>,
    /// Vertices with postconditions and jobs in flight: per job, the
    /// instance to check (its address, key and `each-value`), or `None`
    /// for one left out of the run or failed before its job.
    postconditions: foldhash::HashMap<NodeIndex, Vec<Option<PostconditionSite>>>,
}

/// What a postcondition of one instance is evaluated with.
struct PostconditionSite {
    address: String,
    key: Option<InstanceKey>,
    each_value: Option<Value>,
}

impl<'a> Walker<'a> {
    pub fn new(input: WalkInput<'a>) -> Walker<'a> {
        let g = input.graph;
        let n = g.graph.node_count();
        let mut walker = Walker {
            scopes: vec![nimbus_eval::Scope::default(); g.instances.len()],
            result: WalkResult::default(),
            slots: Default::default(),
            functions: functions_for(input.ctx.walk, input.files),
            resource_deps: Vec::new(),
            create_before_destroy: Vec::new(),
            changing: vec![false; n],
            selected: None,
            partially_targeted: HashMap::new(),
            partially_excluded: HashMap::new(),
            approved: input
                .approved
                .map(|plan| {
                    plan.changes
                        .iter()
                        .map(|c| (c.address.as_str(), c))
                        .collect()
                })
                .unwrap_or_default(),
            triggers: (input.ctx.walk == WalkMode::Plan
                && g.config.modules.iter().any(|m| {
                    m.resources
                        .iter()
                        .any(|r| !r.lifecycle.replace_triggered_by.is_empty())
                }))
            .then(Default::default),
            postconditions: Default::default(),
            input,
        };
        for (mi, instance) in g.instances.iter().enumerate() {
            let calls = &g.config.modules[instance.module].calls;
            for (call_index, expansion) in &instance.expansions {
                walker.scopes[mi].expect_module_instances(&calls[*call_index].name.text, expansion);
            }
        }
        walker.compute_resource_deps();
        walker.compute_selection();
        walker
    }

    fn block_address(&self, v: Vertex) -> String {
        self.input.graph.describe(v)
    }

    fn compute_resource_deps(&mut self) {
        let g = self.input.graph;
        self.resource_deps = g
            .resource_dependencies()
            .into_iter()
            .map(Arc::new)
            .collect();
        // Dependents before their dependencies: one pass forces the
        // setting down every chain.
        let mut forced = vec![false; self.resource_deps.len()];
        for &v in g.order.iter().rev() {
            let Vertex::Resource(mi, ri) = g.graph[v] else {
                continue;
            };
            let resource = &g.indexes[g.instances[mi].module].module.resources[ri];
            // Through data sources too: they are read, never replaced.
            forced[v.index()] |=
                resource.mode == Mode::Managed && resource.lifecycle.create_before_destroy;
            if forced[v.index()] {
                for d in self.resource_deps[v.index()].iter() {
                    forced[d.index()] = true;
                }
            }
        }
        self.create_before_destroy = forced;
    }

    /// `--target` keeps the matched resource blocks and what they depend
    /// on; `--exclude` drops the matched blocks and what depends on them.
    fn compute_selection(&mut self) {
        let g = self.input.graph;
        let (targets, excludes) = (self.input.targets, self.input.excludes);
        if targets.is_empty() && excludes.is_empty() {
            return;
        }
        let resource_vertices: Vec<NodeIndex> = g
            .graph
            .node_indices()
            .filter(|v| matches!(g.graph[*v], Vertex::Resource(..)))
            .collect();
        let mut selected: HashSet<NodeIndex> = if targets.is_empty() {
            resource_vertices.iter().copied().collect()
        } else {
            // A target naming an instance (`t.n[1]`) selects that instance
            // only; one naming a block selects all of it. What a selected
            // block depends on is selected whole.
            let mut whole = HashSet::new();
            let mut instances: HashMap<NodeIndex, HashSet<String>> = HashMap::new();
            let mut matched = vec![false; targets.len()];
            // A target that is no address matches nothing (and is reported).
            let selectors: Vec<Option<Selector>> =
                targets.iter().map(|t| Selector::parse(t).ok()).collect();
            for &v in &resource_vertices {
                let Vertex::Resource(mi, ri) = g.graph[v] else {
                    continue;
                };
                let block = g.block_addr(mi, ri);
                for (i, selector) in selectors.iter().enumerate() {
                    let Some(selector) = selector.as_ref().filter(|s| s.touches_block(&block))
                    else {
                        continue;
                    };
                    matched[i] = true;
                    match selector {
                        // This block's instance with the target's key (a
                        // target `module.m.t.n[1]` names it in every
                        // instance of `m`).
                        Selector::Instance(target) => {
                            let instance = InstanceAddr {
                                block: block.clone(),
                                key: target.key.clone(),
                            };
                            instances.entry(v).or_default().insert(instance.to_string());
                        }
                        _ => {
                            whole.insert(v);
                        }
                    }
                }
            }
            self.result.unmatched_targets = targets
                .iter()
                .zip(matched)
                .filter(|(_, m)| !m)
                .map(|(t, _)| t.clone())
                .collect();
            let mut keep = HashSet::new();
            let mut stack: Vec<NodeIndex> = whole.iter().chain(instances.keys()).copied().collect();
            while let Some(v) = stack.pop() {
                if keep.insert(v) {
                    for d in g.dependencies(v) {
                        whole.insert(d);
                        stack.push(d);
                    }
                }
            }
            instances.retain(|v, _| !whole.contains(v));
            for (v, addresses) in &instances {
                self.result
                    .targeted_instances
                    .insert(self.block_address(g.graph[*v]), addresses.clone());
            }
            self.partially_targeted = instances;
            keep
        };
        // An excluded block goes with everything depending on it. An
        // excluded instance (`t.n[1]`) goes alone, its block's other
        // instances stay; what depends on the block goes (dependencies are
        // known per block, so that is the safe side).
        let exclude_selectors: Vec<Selector> = excludes
            .iter()
            .filter_map(|e| Selector::parse(e).ok())
            .collect();
        let mut stack: Vec<NodeIndex> = Vec::new();
        for &v in &resource_vertices {
            let Vertex::Resource(mi, ri) = g.graph[v] else {
                continue;
            };
            let block = g.block_addr(mi, ri);
            for selector in exclude_selectors.iter().filter(|s| s.touches_block(&block)) {
                match selector {
                    Selector::Instance(excluded) => {
                        let instance = InstanceAddr {
                            block: block.clone(),
                            key: excluded.key.clone(),
                        };
                        self.partially_excluded
                            .entry(v)
                            .or_default()
                            .insert(instance.to_string());
                        stack.extend(g.dependents(v));
                    }
                    _ => stack.push(v),
                }
            }
        }
        let mut dropped = HashSet::new();
        while let Some(v) = stack.pop() {
            if dropped.insert(v) {
                selected.remove(&v);
                stack.extend(g.dependents(v));
            }
        }
        for v in resource_vertices {
            if !selected.contains(&v) {
                self.result
                    .untargeted_blocks
                    .insert(self.block_address(g.graph[v]));
            }
        }
        self.selected = Some(selected);
    }

    pub async fn run(mut self) -> WalkResult {
        let g = self.input.graph;
        let ctx = self.input.ctx.clone();
        if !matches!(ctx.walk, WalkMode::Validate) {
            for implicit in self.input.providers.implicit() {
                let address = &implicit.address;
                if let Err(e) = implicit
                    .call(&format!("provider.{address}"), (&ctx).into(), || {
                        implicit.provider.configure(&Value::Null)
                    })
                    .await
                {
                    self.result.diagnostics.push(Diagnostic::error(format!(
                        "configuring the `{address}` provider: {e}"
                    )));
                    return self.result;
                }
            }
        }
        let parallelism = self.input.parallelism;
        schedule::run(g, &mut self, parallelism, &ctx.cancel).await;
        let found = crate::conditions::run_checks(g, &self.scopes, self.functions, ctx.walk);
        for d in found {
            if d.is_error() {
                self.result.diagnostics.push(d);
            } else {
                self.result.warnings.push(d);
            }
        }
        self.result
    }

    fn start(&mut self, v: NodeIndex) -> Start {
        let g = self.input.graph;
        match g.graph[v] {
            Vertex::Inputs(mi) => self.start_inputs(mi),
            Vertex::Local(mi, i) => {
                let module = &g.config.modules[g.instances[mi].module];
                let index = &g.indexes[g.instances[mi].module];
                let local = &module.locals[i];
                match Context::new(index, &self.scopes[mi])
                    .with_functions(self.functions)
                    .eval(&local.value)
                {
                    Ok(value) => {
                        self.scopes[mi]
                            .locals
                            .insert(local.name.text.clone(), value);
                        Start::Done
                    }
                    Err(d) => self.fail(d),
                }
            }
            Vertex::Output(mi, i) => self.start_output(mi, i),
            Vertex::Provider(mi, p) => self.start_provider(mi, p),
            Vertex::Barrier(_)
            | Vertex::Completion(_)
            | Vertex::CallCompletion(..)
            | Vertex::CallOutput(..) => Start::Done,
            Vertex::Resource(mi, i) if self.scoped_to_check(mi, i) => self.start_scoped(v, mi, i),
            Vertex::Resource(mi, i) => self.start_resource(v, mi, i),
        }
    }

    fn fail(&mut self, d: Diagnostic) -> Start {
        self.result.diagnostics.push(d);
        Start::Failed
    }

    fn start_inputs(&mut self, mi: usize) -> Start {
        let g = self.input.graph;
        let instance = &g.instances[mi];
        let index = &g.indexes[instance.module];
        let before = self.result.diagnostics.len();
        match instance.parent {
            None => eval_variables(
                index,
                &mut self.scopes[mi],
                self.input.inputs,
                &mut self.result.diagnostics,
            ),
            Some((parent, call_index)) => {
                let parent_index = &g.indexes[g.instances[parent].module];
                let (before_child, from_child) = self.scopes.split_at_mut(mi);
                let site = CallSite {
                    index: parent_index,
                    scope: &before_child[parent],
                    call: &parent_index.module.calls[call_index],
                    repetition: Repetition::of(g.config, &g.instances, mi),
                };
                set_module_inputs(
                    site,
                    index,
                    &mut from_child[0],
                    self.functions,
                    &mut self.result.diagnostics,
                );
            }
        }
        if self.result.diagnostics.len() > before {
            Start::Failed
        } else {
            Start::Done
        }
    }

    fn start_output(&mut self, mi: usize, i: usize) -> Start {
        let g = self.input.graph;
        let instance = &g.instances[mi];
        let index = &g.indexes[instance.module];
        let output = &index.module.outputs[i];
        if !output.preconditions.is_empty() {
            let mut ctx = Context::new(index, &self.scopes[mi]).with_functions(self.functions);
            let address = format!("{}output.{}", instance.prefix, output.name.text);
            let errors = crate::conditions::evaluate(
                &mut ctx,
                &output.preconditions,
                "precondition",
                &address,
                self.input.ctx.walk,
            );
            if !errors.is_empty() {
                self.result.diagnostics.extend(errors);
                if self.input.ctx.walk == WalkMode::Apply {
                    // Outputs are recorded only after a run without failures.
                    self.result.failed.push(address);
                }
                return Start::Failed;
            }
        }
        let value = match Context::new(index, &self.scopes[mi])
            .with_functions(self.functions)
            .eval(&output.value)
        {
            Ok(v) => v,
            Err(d) => return self.fail(d),
        };
        if !output.sensitive && value.contains_sensitive() {
            return self.fail(
                Diagnostic::error(format!(
                    "output `{}` refers to sensitive values",
                    output.name.text
                ))
                .at(output.value.span)
                .with_note("help: add `(sensitive #t)` to the output to show it is intended"),
            );
        }
        let value = value.mark_if(output.sensitive);
        match instance.parent {
            None => {
                self.result
                    .outputs
                    .insert(output.name.text.clone(), (value, output.sensitive));
            }
            Some((parent, call_index)) => {
                let call = &g.indexes[g.instances[parent].module].module.calls[call_index];
                // The one instance `validate` checks of an `include` with
                // `count`/`for-each` is none of its real ones: the
                // includer sees its outputs as unknown.
                if call.is_repeated() && instance.key.is_none() {
                    return Start::Done;
                }
                self.scopes[parent].set_module_output(
                    &call.name.text,
                    instance.key.as_ref(),
                    &output.name.text,
                    value,
                );
            }
        }
        Start::Done
    }

    /// Configures provider block `p` of module instance `mi`, evaluated
    /// in that instance (a module's own configuration may use the
    /// module's variables).
    fn start_provider(&mut self, mi: usize, p: usize) -> Start {
        let g = self.input.graph;
        let instance = &g.instances[mi];
        let block = &g.config.modules[instance.module].providers[p];
        let address = format!("{}{}", instance.prefix, block.address());
        let Some(handle) = self.input.providers.get(&address) else {
            return Start::Failed; // reported when the providers were prepared
        };
        let forms: Vec<_> = block
            .attributes
            .iter()
            .filter(|a| !matches!(a.name.as_str(), "source" | "version"))
            .cloned()
            .collect();
        let mut ctx = Context::new(&g.indexes[instance.module], &self.scopes[mi])
            .with_functions(self.functions);
        let what = format!("provider `{}`", block.name.text);
        let value = match eval_block(&mut ctx, &forms, &handle.schema.provider, block.span, &what) {
            Ok(v) => v,
            Err(ds) => {
                self.result.diagnostics.extend(ds);
                return Start::Failed;
            }
        };
        if self.input.ctx.walk == WalkMode::Validate {
            return Start::Done;
        }
        let (config, _) = value.clone().unmark();
        if !config.is_wholly_known() {
            return self.fail(
                Diagnostic::error(format!(
                    "provider `{address}` is configured with values known only after apply"
                ))
                .at(block.span),
            );
        }
        let handle = handle.clone();
        let ctx = self.input.ctx.clone();
        let span = block.span;
        let job: JobFuture = Box::pin(async move {
            let configured = handle
                .call(&format!("provider.{address}"), (&ctx).into(), || {
                    handle.provider.configure(&config)
                })
                .await;
            match configured {
                Ok(()) => JobOutcome::default(),
                Err(e) => JobOutcome {
                    error: Some(
                        // The provider saw its configuration unmarked: a
                        // secret it quotes in its error is withheld here.
                        Diagnostic::error(format!(
                            "configuring provider `{address}`: {}",
                            value.redact_secrets_in(&e.message)
                        ))
                        .at(span),
                    ),
                    ..JobOutcome::default()
                },
            }
        });
        Start::Jobs(vec![job], Slots::Provider)
    }

    fn start_resource(&mut self, v: NodeIndex, mi: usize, ri: usize) -> Start {
        let g = self.input.graph;
        let instance = &g.instances[mi];
        let index = &g.indexes[instance.module];
        let resource: &Resource = &index.module.resources[ri];
        let block = format!("{}{}", instance.prefix, resource.address());
        let handle = match self
            .input
            .providers
            .for_resource_in(resource, &instance.providers)
        {
            Ok(h) => h.clone(),
            Err(d) => return self.fail(d),
        };
        let Some(schema) = handle.resource_schema(resource.mode, resource.type_name.as_str())
        else {
            return Start::Failed;
        };
        let schema: Arc<Schema> = schema.clone();
        let mut lifecycle_errors = Vec::new();
        for ignored in &resource.lifecycle.ignore_changes {
            if schema.attribute(&ignored.text).is_none() {
                lifecycle_errors.push(
                    Diagnostic::error(format!(
                        "`ignore-changes` names `{}`, which `{}` does not have",
                        ignored.text, resource.type_name.text
                    ))
                    .at(ignored.span)
                    .with_suggestion(&ignored.text, schema.settable_names()),
                );
            }
        }
        if !lifecycle_errors.is_empty() {
            self.result.diagnostics.extend(lifecycle_errors);
            return Start::Failed;
        }
        let mut ctx = Context::new(index, &self.scopes[mi]).with_functions(self.functions);
        let expansion = match expand(&mut ctx, resource) {
            Ok(e) => e,
            Err(d) => {
                // Unknown counts are fine while validating, and while
                // configuring providers (which plans no resource) from the
                // base graph, whose module instances of an `include` with
                // `count`/`for-each` have unknown inputs.
                if matches!(
                    self.input.ctx.walk,
                    WalkMode::Validate | WalkMode::Configure
                ) && d.code == Some(Code::ExpansionUnknown)
                {
                    self.scopes[mi].set_resource(ri, Instances::Unknown);
                    return Start::Done;
                }
                return self.fail(d);
            }
        };
        let keys = expansion.keys();
        let slots = match &expansion {
            Expansion::Single => Slots::Single,
            Expansion::Count(_) => Slots::Count,
            Expansion::Keys(map) => Slots::Keys(map.keys().cloned().collect()),
        };
        let selected = self.selected.as_ref().is_none_or(|s| s.contains(&v));
        let managed = resource.mode == Mode::Managed;
        // Left out by --target/--exclude: its values come from state.
        let state_schema = schema.clone();
        let from_state = |walker: &mut Walker<'a>, address: String| -> JobOutcome {
            let value = walker
                .input
                .prior
                .get(&address)
                .map(|r| {
                    // The record knows which attributes held secrets
                    // (also those configured from sensitive values).
                    let value = mark_sensitive(&state_schema, Value::from_json(&r.attributes));
                    mark_attributes(value, &r.sensitive_attributes)
                })
                .unwrap_or(Value::Unknown);
            if managed {
                walker.result.addresses.insert(address);
            }
            JobOutcome {
                value,
                ..JobOutcome::default()
            }
        };
        if !selected {
            let values: Vec<JobOutcome> = keys
                .iter()
                .map(|key| from_state(self, instance_address(&block, key.as_ref())))
                .collect();
            self.finish_instances(v, slots, values);
            return Start::Done;
        }
        let targeted_instances = self.partially_targeted.get(&v).cloned();
        let excluded_instances = self.partially_excluded.get(&v).cloned();
        if let Some(targeted) = &targeted_instances {
            // A target naming an instance the block does not have (now).
            let existing: HashSet<String> = keys
                .iter()
                .map(|key| instance_address(&block, key.as_ref()))
                .collect();
            let mut missing: Vec<String> = targeted
                .iter()
                .filter(|t| !existing.contains(*t))
                .cloned()
                .collect();
            missing.sort();
            self.result.unmatched_targets.extend(missing);
        }
        // Only recorded state keeps them: apply records them, a plan
        // compares them with the records.
        let dependencies: Vec<String> =
            if matches!(self.input.ctx.walk, WalkMode::Plan | WalkMode::Apply) {
                self.resource_deps[v.index()]
                    .iter()
                    .map(|d| self.block_address(g.graph[*d]))
                    .collect()
            } else {
                Vec::new()
            };
        let lifecycle = LifecycleFlags {
            prevent_destroy: resource.lifecycle.prevent_destroy,
            create_before_destroy: self.create_before_destroy[v.index()],
            ignore_changes: resource
                .lifecycle
                .ignore_changes
                .iter()
                .map(|n| n.text.clone())
                .collect(),
            ignore_all_changes: resource.lifecycle.ignore_all_changes,
        };
        let read_after = if resource.mode == Mode::Data && self.input.ctx.walk == WalkMode::Plan {
            self.resource_deps[v.index()]
                .iter()
                .find(|d| self.changing[d.index()])
                .map(|d| g.describe(g.graph[*d]))
        } else {
            None
        };
        let block_job = Arc::new(BlockJob {
            read_after,
            mode: resource.mode,
            type_name: resource.type_name.text.clone(),
            handle,
            schema,
            lifecycle,
            dependencies,
            span: resource.span,
            attribute_spans: attribute_spans(&resource.attributes),
        });
        let what_kind = if managed { "resource" } else { "data source" };
        let mut jobs: Vec<JobFuture> = Vec::with_capacity(keys.len());
        let mut errors = Vec::new();
        let lifecycle = &resource.lifecycle;
        let mut post_sites: Vec<Option<PostconditionSite>> = Vec::new();
        let each_values: Option<&std::collections::BTreeMap<String, Value>> = match &expansion {
            Expansion::Keys(map) => Some(map),
            _ => None,
        };
        for key in &keys {
            let address = instance_address(&block, key.as_ref());
            let left_out = targeted_instances
                .as_ref()
                .is_some_and(|targeted| !targeted.contains(&address))
                || excluded_instances
                    .as_ref()
                    .is_some_and(|excluded| excluded.contains(&address));
            if left_out {
                let outcome = from_state(self, address);
                jobs.push(Box::pin(async move { outcome }));
                post_sites.push(None);
                continue;
            }
            let mut ctx = Context::new(index, &self.scopes[mi]).with_functions(self.functions);
            match key {
                Some(InstanceKey::Index(i)) => ctx.count_index = Some(*i as i64),
                Some(InstanceKey::Key(k)) => {
                    if let Some(value) = each_values.and_then(|m| m.get(k)) {
                        ctx.each = Some((k.as_str(), value));
                    }
                }
                None => {}
            }
            // Only an error message reads it: formatted then, not per instance.
            let what = format_args!("{what_kind} `{address}`");
            let config = match eval_resource_block(
                &mut ctx,
                &resource.attributes,
                &block_job.schema,
                resource.span,
                &what,
            ) {
                Ok(c) => c,
                Err(ds) => {
                    errors.extend(ds);
                    continue;
                }
            };
            if managed {
                self.result.addresses.insert(address.clone());
            }
            let walk = self.input.ctx.walk;
            let failed = crate::conditions::evaluate(
                &mut ctx,
                &lifecycle.preconditions,
                "precondition",
                &address,
                walk,
            );
            let replace_triggered = match (&self.triggers, walk) {
                (Some(triggers), WalkMode::Plan) => {
                    match triggers.fired(&mut ctx, resource, &instance.prefix, &self.result.changes)
                    {
                        Ok(fired) => fired,
                        Err(d) => {
                            errors.push(d);
                            continue;
                        }
                    }
                }
                (_, WalkMode::Apply) => self
                    .approved
                    .get(address.as_str())
                    .filter(|c| c.action == Action::Replace)
                    .and_then(|c| c.replace_triggered_by.clone()),
                _ => None,
            };
            if let Some((first, rest)) = failed.split_first() {
                // The instance fails before it is planned or changed; its
                // block's other instances carry on.
                let outcome = JobOutcome {
                    value: Value::Unknown,
                    error: Some(first.clone()),
                    diagnostics: rest.to_vec(),
                    ..JobOutcome::default()
                };
                jobs.push(Box::pin(async move { outcome }));
                post_sites.push(None);
                continue;
            }
            post_sites.push(
                (!lifecycle.postconditions.is_empty()).then(|| PostconditionSite {
                    address: address.clone(),
                    key: key.clone(),
                    each_value: ctx.each.map(|(_, v)| v.clone()),
                }),
            );
            let approved_change = self.approved.get(address.as_str()).copied();
            let approved = self
                .input
                .approved
                .map(|_| approved_change.map_or(Action::NoOp, |c| c.action));
            let (approved_before, approved_after) = match approved_change {
                Some(change) if managed => (Some(change.before.clone()), change.after.clone()),
                _ => (None, None),
            };
            let job = InstanceJob {
                prior: if managed {
                    self.input.prior.get(&address).cloned()
                } else {
                    None
                },
                address,
                block: block_job.clone(),
                config,
                approved,
                approved_before,
                approved_after,
                replace_triggered,
                ctx: self.input.ctx.clone(),
            };
            jobs.push(Box::pin(job.run()));
        }
        if !errors.is_empty() {
            self.result.diagnostics.extend(errors);
            return Start::Failed;
        }
        if !lifecycle.postconditions.is_empty() {
            self.postconditions.insert(v, post_sites);
        }
        Start::Jobs(jobs, slots)
    }

    /// Collects the outcomes of a vertex's jobs into its scope; returns
    /// whether all succeeded.
    fn finish_instances(&mut self, v: NodeIndex, slots: Slots, results: Vec<JobOutcome>) -> bool {
        let g = self.input.graph;
        let mut ok = true;
        let mut values = Vec::with_capacity(results.len());
        // Named only in what goes wrong or gets applied, not for each
        // instance of a plan.
        let block = std::cell::OnceCell::new();
        let block = || block.get_or_init(|| g.describe(g.graph[v])).clone();
        let post_sites = self.postconditions.remove(&v);
        let scoped = matches!(g.graph[v], Vertex::Resource(mi, ri) if self.scoped_to_check(mi, ri));
        for (i, mut outcome) in results.into_iter().enumerate() {
            if scoped {
                // A check's data source that cannot be read makes the
                // check's findings unknown: a warning, not a failure.
                let errors = outcome
                    .error
                    .take()
                    .into_iter()
                    .chain(outcome.diagnostics.extract_if(.., |d| d.is_error()));
                self.result.warnings.extend(errors.map(as_warning));
            }
            if let Some(change) = outcome.change {
                if change.action != Action::NoOp {
                    self.changing[v.index()] = true;
                }
                if let Some(triggers) = &mut self.triggers {
                    triggers.record(&change, self.result.changes.len());
                }
                self.result.changes.push(change);
            }
            if let Some(Some(site)) = post_sites.as_ref().and_then(|s| s.get(i))
                && outcome.error.is_none()
                && !outcome.skipped
                && let Vertex::Resource(mi, ri) = g.graph[v]
            {
                let errors = self.postconditions_of(mi, ri, site, &outcome.value);
                if !errors.is_empty() {
                    ok = false;
                    if self.input.ctx.walk == WalkMode::Apply {
                        self.result.failed.push(block());
                    }
                    self.result.diagnostics.extend(errors);
                }
            }
            if let Some(action) = outcome.applied {
                let address = match &slots {
                    Slots::Count => format!("{}[{i}]", block()),
                    Slots::Keys(keys) => format!("{}[{:?}]", block(), keys[i]),
                    _ => block(),
                };
                self.result.applied.push((address, action));
            }
            self.result.stale_dependencies |= outcome.stale_dependencies;
            if outcome.skipped {
                ok = false;
                self.result.skipped.push(block());
            }
            if let Some(error) = outcome.error {
                ok = false;
                self.result.failed.push(block());
                self.result.diagnostics.push(error);
            }
            for d in outcome.diagnostics {
                if d.is_error() {
                    ok = false;
                    self.result.diagnostics.push(d);
                } else {
                    self.result.warnings.push(d);
                }
            }
            values.push(outcome.value);
        }
        let Vertex::Resource(mi, ri) = g.graph[v] else {
            return ok;
        };
        let instances = match slots {
            Slots::Single | Slots::Provider => Instances::Single(values.pop().unwrap_or_default()),
            Slots::Count => Instances::Counted(values),
            Slots::Keys(keys) => Instances::Keyed(keys.into_iter().zip(values).collect()),
        };
        self.scopes[mi].set_resource(ri, instances);
        ok
    }
}

/// A diagnostic of a check's scoped data source: a warning, like
/// everything a check finds.
fn as_warning(d: Diagnostic) -> Diagnostic {
    Diagnostic {
        severity: nimbus_syntax::Severity::Warning,
        ..d
    }
}

impl<'a> Walker<'a> {
    /// Whether the resource block at `ri` of module instance `mi` is a
    /// data source scoped to a `check` whose failures are warnings.
    /// Only a plan or apply forgives it: `validate` reports its
    /// configuration's errors as errors.
    fn scoped_to_check(&self, mi: usize, ri: usize) -> bool {
        if !matches!(self.input.ctx.walk, WalkMode::Plan | WalkMode::Apply) {
            return false;
        }
        let g = self.input.graph;
        let module = g.indexes[g.instances[mi].module].module;
        let resource = &module.resources[ri];
        resource.mode == Mode::Data
            && module
                .check_of_data(&resource.type_name.text, &resource.name.text)
                .is_some()
    }

    /// Starts a check's scoped data source: what would fail it is a
    /// warning, and the check sees its values as unknown.
    fn start_scoped(&mut self, v: NodeIndex, mi: usize, ri: usize) -> Start {
        let before = self.result.diagnostics.len();
        let start = self.start_resource(v, mi, ri);
        let demoted: Vec<Diagnostic> = self.result.diagnostics.drain(before..).collect();
        self.result
            .warnings
            .extend(demoted.into_iter().map(as_warning));
        match start {
            Start::Failed => {
                self.scopes[mi].set_resource(ri, Instances::Unknown);
                Start::Done
            }
            other => other,
        }
    }
}

impl Walker<'_> {
    /// The postconditions of one instance, `self` bound to its object.
    fn postconditions_of(
        &self,
        mi: usize,
        ri: usize,
        site: &PostconditionSite,
        value: &Value,
    ) -> Vec<Diagnostic> {
        let g = self.input.graph;
        let index = &g.indexes[g.instances[mi].module];
        let resource = &index.module.resources[ri];
        let mut ctx = Context::new(index, &self.scopes[mi]).with_functions(self.functions);
        match &site.key {
            Some(InstanceKey::Index(i)) => ctx.count_index = Some(*i as i64),
            Some(InstanceKey::Key(k)) => {
                if let Some(each) = &site.each_value {
                    ctx.each = Some((k.as_str(), each));
                }
            }
            None => {}
        }
        ctx.bind(nimbus_config::SELF, value.clone());
        crate::conditions::evaluate(
            &mut ctx,
            &resource.lifecycle.postconditions,
            "postcondition",
            &site.address,
            self.input.ctx.walk,
        )
    }
}

impl schedule::Work<'static> for Walker<'_> {
    type Output = JobOutcome;

    fn start(&mut self, node: usize) -> schedule::Start<'static, JobOutcome> {
        let v = NodeIndex::new(node);
        match Walker::start(self, v) {
            Start::Done => schedule::Start::Done,
            Start::Failed => schedule::Start::Failed,
            Start::Jobs(jobs, slots) => {
                self.slots.insert(v, slots);
                schedule::Start::Jobs(jobs)
            }
        }
    }

    fn finish(&mut self, node: usize, outputs: Vec<JobOutcome>) -> bool {
        let v = NodeIndex::new(node);
        let slots = self.slots.remove(&v).unwrap_or(Slots::Single);
        self.finish_instances(v, slots, outputs)
    }

    fn skip(&mut self, node: usize, reason: schedule::Skip) {
        let g = self.input.graph;
        let vertex = g.graph[NodeIndex::new(node)];
        if !matches!(vertex, Vertex::Resource(..)) {
            return;
        }
        let address = self.block_address(vertex);
        if self.input.ctx.walk == WalkMode::Apply {
            let reason = match reason {
                schedule::Skip::Interrupted => "interrupted".to_string(),
                schedule::Skip::DependencyFailed { failed } => format!(
                    "depends on {}, which failed",
                    self.block_address(g.graph[NodeIndex::new(failed)])
                ),
            };
            self.input.ctx.events.emit(Event::Skipped {
                address: address.clone(),
                reason,
            });
        }
        self.result.skipped.push(address);
    }

    /// An apply stops changing the world when interrupted; validate and
    /// plan change nothing, so they finish.
    fn interruptible(&self, node: usize) -> bool {
        self.input.ctx.walk == WalkMode::Apply
            && matches!(
                self.input.graph.graph[NodeIndex::new(node)],
                Vertex::Resource(..)
            )
    }
}

/// The clock and random source functions use at apply.
struct SystemEffects;

impl nimbus_stdlib::Effects for SystemEffects {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
    }
    fn fill_random(&self, buffer: &mut [u8]) {
        use rand::RngCore;
        rand::rng().fill_bytes(buffer);
    }
}

static SYSTEM_EFFECTS: SystemEffects = SystemEffects;

/// What functions may use in a walk: only an apply reads the clock or draws
/// random values, so a plan shows them as known after apply. Every walk
/// reads files.
fn functions_for(
    walk: WalkMode,
    files: &dyn nimbus_stdlib::FileAccess,
) -> nimbus_stdlib::Context<'_> {
    match walk {
        WalkMode::Apply => nimbus_stdlib::Context {
            phase: nimbus_stdlib::Phase::Apply(&SYSTEM_EFFECTS),
            plan_timestamp: Some(std::time::SystemTime::now()),
            files: Some(files),
        },
        _ => nimbus_stdlib::Context {
            files: Some(files),
            ..nimbus_stdlib::Context::default()
        },
    }
}

#[cfg(test)]
mod block_of_tests {
    use super::{InstanceKey, block_of, instance_address};

    #[test]
    fn strips_the_instance_key_of_the_last_block() {
        assert_eq!(block_of("terraform-data.a"), "terraform-data.a");
        assert_eq!(block_of("terraform-data.a[3]"), "terraform-data.a");
        assert_eq!(block_of("terraform-data.a[\"k\"]"), "terraform-data.a");
        assert_eq!(
            block_of("module.m[\"x\"].terraform-data.a"),
            "module.m[\"x\"].terraform-data.a"
        );
        assert_eq!(
            block_of("module.m[1].terraform-data.a[\"k\"]"),
            "module.m[1].terraform-data.a"
        );
    }

    #[test]
    fn keys_holding_brackets_quotes_and_dots_stay_whole() {
        for key in [
            "x[1]",
            "a]b",
            "[",
            "]",
            "say \"hi\"",
            "dotted.key",
            "back\\slash\\",
            "\"]",
        ] {
            let address = instance_address("null-resource.n", Some(&InstanceKey::Key(key.into())));
            assert_eq!(
                block_of(&address),
                "null-resource.n",
                "key {key:?} in {address}"
            );
        }
    }

    #[test]
    fn malformed_addresses_are_left_alone() {
        assert_eq!(block_of("a.b[\"open"), "a.b[\"open");
        assert_eq!(block_of("a.b[1"), "a.b[1");
        assert_eq!(block_of("a.b[1]x"), "a.b[1]x");
    }
}
