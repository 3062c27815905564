//! The dependency graph of a configuration: every variable set, local,
//! resource block, output and provider of every module instance is a
//! vertex; references and `depends-on` are edges (an `include`'s
//! `depends-on` through one barrier vertex per instance it makes, a
//! `depends-on` naming a module through one completion vertex per call,
//! which waits for one per instance of it, and a reference to an output
//! of an `include` with `count`/`for-each` through one vertex per call
//! and output, which waits for that output of each instance: what names
//! a call of K instances adds one edge, not K). Built in O(V+E): each
//! reference is resolved with a hash lookup.

use nimbus_config::{BlockAddr, Config, InstanceKey, Module, ModuleCall, ModuleId, ModuleStep};
use nimbus_eval::{Expansion, ModuleIndex, Reference, form_references, references};
use nimbus_syntax::{Diagnostic, Span};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

/// One instance of a module: the root, or one `include` of a module (one
/// per `count` index or `for-each` key, once those are known).
#[derive(Debug, Clone)]
pub struct ModuleInstance {
    pub module: ModuleId,
    /// `""` for the root, `module.net.` for an instance named `net`,
    /// `module.net[0].` for the first of an `include` with `count`.
    pub prefix: String,
    /// The same path, typed: one step per `include`.
    pub path: Vec<ModuleStep>,
    /// The instance that includes this one, and the index of the call.
    pub parent: Option<(usize, usize)>,
    /// Which instance of its `include` this is. `None` without `count` or
    /// `for-each`, and for the one instance the base graph has of an
    /// `include` with them (its keys are not known yet).
    pub key: Option<InstanceKey>,
    /// Module instances included from this one, by instance name: one
    /// per key of an `include` with `count`/`for-each` (none for a count
    /// of 0), else one.
    pub children: HashMap<String, Vec<usize>>,
    /// The keys of each `include` with `count`/`for-each`, by call index:
    /// only in a graph built from an expansion ([`crate::expansion`]).
    pub expansions: HashMap<usize, Expansion>,
    /// The provider configurations passed to this instance (its call's
    /// `providers`, and those passed to its ancestors) and those its
    /// module and its ancestors (other than the root) write themselves:
    /// the name the module uses (`aws`, `aws.east`) to the address of the
    /// configuration it stands for (the root module's `aws.west`, a
    /// module's own `module.net.aws`). A name not in it is the root's own.
    pub providers: ProviderMap,
}

/// Provider configurations as a module instance names them, to the
/// configurations' addresses (see [`ModuleInstance::providers`]).
pub type ProviderMap = HashMap<String, String>;

/// The root configuration that provider configuration `name`, as a module
/// instance with `passed` providers names it, stands for.
pub fn passed_provider<'a>(passed: &'a ProviderMap, name: &'a str) -> &'a str {
    passed.get(name).map_or(name, String::as_str)
}

/// A provider configuration's address split into the module path of a
/// module's own configuration (`module.net`, `""` for the root's) and
/// the configuration as that module names it (`aws`, `aws.west`).
pub fn split_provider_address(address: &str) -> (&str, &str) {
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.")
        && let Some((_, tail)) = after.split_once('.')
    {
        rest = tail;
    }
    let module = &address[..address.len() - rest.len()];
    (module.strip_suffix('.').unwrap_or(module), rest)
}

/// The provider a configuration's address names: `aws` of `aws`,
/// `aws.west` and `module.net.aws.west` (a module's own configuration).
pub fn provider_name(address: &str) -> &str {
    let (_, local) = split_provider_address(address);
    local.split('.').next().unwrap_or_default()
}

/// The providers a call passes to the instances it makes, from the
/// calling instance's own (`outer`): each name mapped to the root
/// configuration it stands for.
pub fn pass_providers(outer: &ProviderMap, call: &ModuleCall) -> ProviderMap {
    let mut map = outer.clone();
    for passed in &call.providers {
        let root = passed_provider(outer, &passed.outer.text).to_string();
        map.insert(passed.inner.text.clone(), root);
    }
    map
}

/// The providers of the instance at `prefix` (`module.net.`) that `call`
/// makes of module `called`, included from an instance with `outer`: the
/// ones passed, and the module's own configurations (addressed under
/// `prefix`), which also serve what it includes.
pub fn instance_providers(
    outer: &ProviderMap,
    call: &ModuleCall,
    prefix: &str,
    called: &Module,
) -> ProviderMap {
    let mut providers = pass_providers(outer, call);
    for (_, block) in called.own_providers() {
        let address = block.address();
        providers.insert(address.clone(), format!("{prefix}{address}"));
    }
    providers
}

impl ModuleInstance {
    pub(crate) fn root() -> ModuleInstance {
        ModuleInstance {
            module: 0,
            prefix: String::new(),
            path: Vec::new(),
            parent: None,
            key: None,
            children: HashMap::new(),
            expansions: HashMap::new(),
            providers: ProviderMap::new(),
        }
    }

    /// The instance `key` of `call` (of module `module`, `called`),
    /// included from this instance. The module's own provider
    /// configurations serve it and, unless passed others, what it
    /// includes.
    pub(crate) fn child(
        &self,
        parent: usize,
        call_index: usize,
        call: &ModuleCall,
        (module, called): (ModuleId, &Module),
        key: Option<InstanceKey>,
    ) -> ModuleInstance {
        let step = ModuleStep {
            name: call.name.text.clone(),
            key,
        };
        let mut path = self.path.clone();
        path.push(step.clone());
        let prefix = format!("{}{step}.", self.prefix);
        let providers = instance_providers(&self.providers, call, &prefix, called);
        ModuleInstance {
            module,
            prefix,
            path,
            parent: Some((parent, call_index)),
            key: step.key,
            children: HashMap::new(),
            expansions: HashMap::new(),
            providers,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vertex {
    /// All variables of a module instance (their values come together: from
    /// outside for the root, from the call's inputs for a child).
    Inputs(usize),
    Local(usize, usize),
    Resource(usize, usize),
    Output(usize, usize),
    /// Provider configuration `.1` of the module of instance `.0`: the
    /// root's, or one a called module writes itself.
    Provider(usize, usize),
    /// What the `depends-on` of the `include` that made a module instance
    /// names: every resource block of the instance (and of the instances
    /// it includes) waits for it. One vertex per such instance, so the
    /// edges grow with blocks plus dependencies, not their product.
    Barrier(usize),
    /// Everything of a module instance done: every resource block of it
    /// and of the instances it includes. What a `(depends-on (module
    /// NAME))` waits for, through the call's [`Vertex::CallCompletion`];
    /// only instances some such names (and what they include) have one,
    /// depending on their blocks and their children's.
    Completion(usize),
    /// Every instance of call `.1` of module instance `.0` done: waits for
    /// the [`Vertex::Completion`] of each. What a `(depends-on (module
    /// NAME))` names, so B blocks naming a call of K instances make B+K
    /// edges, not B×K (Terraform's one node per module call). Only calls
    /// some `depends-on` names have one.
    CallCompletion(usize, usize),
    /// Output `.2` of every instance of call `.1` of module instance `.0`:
    /// waits for that output of each. What a reference to an output of an
    /// `include` with `count`/`for-each` (`module.m[0].x`, `module.m[*].x`,
    /// `module.m`) points at, for the same reason. Only such calls have
    /// them.
    CallOutput(usize, usize, usize),
}

pub struct Graph<'c> {
    pub config: &'c Config,
    pub indexes: Vec<ModuleIndex<'c>>,
    pub instances: Vec<ModuleInstance>,
    pub graph: DiGraph<Vertex, ()>,
    /// foldhash: one lookup per edge end, keys are plain indexes.
    pub vertex_of: foldhash::HashMap<Vertex, NodeIndex>,
    /// Topological order (dependencies first).
    pub order: Vec<NodeIndex>,
}

/// Deepest chain of module includes: a module that includes itself is an
/// error, but a deep legitimate tree is also suspicious long before this.
const MAX_MODULE_DEPTH: usize = 32;

impl<'c> Graph<'c> {
    /// The base graph: one module instance per `include`, whatever its
    /// `count` or `for-each` (known only once inputs are).
    pub fn build(config: &'c Config, diagnostics: &mut Vec<Diagnostic>) -> Option<Graph<'c>> {
        let mut g = Graph::empty(config);
        g.instantiate(diagnostics);
        g.connect(diagnostics)
    }

    /// The graph of the given module instances (an expansion of a base
    /// graph's, see [`crate::expansion`]).
    pub fn with_instances(
        config: &'c Config,
        instances: Vec<ModuleInstance>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Graph<'c>> {
        let mut g = Graph::empty(config);
        g.instances = instances;
        g.connect(diagnostics)
    }

    fn empty(config: &'c Config) -> Graph<'c> {
        Graph {
            config,
            indexes: config.modules.iter().map(ModuleIndex::new).collect(),
            instances: Vec::new(),
            graph: DiGraph::new(),
            vertex_of: foldhash::HashMap::default(),
            order: Vec::new(),
        }
    }

    /// Vertices and edges of the instances, in topological order.
    fn connect(mut self, diagnostics: &mut Vec<Diagnostic>) -> Option<Graph<'c>> {
        self.add_vertices();
        self.add_edges();
        match petgraph::algo::toposort(&self.graph, None) {
            Ok(order) => {
                self.order = order;
                Some(self)
            }
            Err(_) => {
                self.report_cycles(diagnostics);
                None
            }
        }
    }

    /// Whether some `include` has `count` or `for-each`: then plans and
    /// applies walk an expansion of this graph.
    pub fn has_repeated_calls(&self) -> bool {
        self.config
            .modules
            .iter()
            .any(|m| m.calls.iter().any(ModuleCall::is_repeated))
    }

    fn instantiate(&mut self, diagnostics: &mut Vec<Diagnostic>) {
        self.instances.push(ModuleInstance::root());
        let mut stack = vec![(0usize, vec![0usize])];
        while let Some((mi, chain)) = stack.pop() {
            let module_id = self.instances[mi].module;
            let module = &self.config.modules[module_id];
            for (call_index, call) in module.calls.iter().enumerate() {
                let Some(child_module) = self.config.called(module, call) else {
                    continue; // reported by the loader
                };
                if chain.contains(&child_module) || chain.len() >= MAX_MODULE_DEPTH {
                    diagnostics.push(
                        Diagnostic::error(format!("module `{}` includes itself", call.module.text))
                            .at(call.span),
                    );
                    continue;
                }
                let child = self.instances.len();
                let instance = self.instances[mi].child(
                    mi,
                    call_index,
                    call,
                    (child_module, &self.config.modules[child_module]),
                    None,
                );
                self.instances.push(instance);
                self.instances[mi]
                    .children
                    .entry(call.name.text.clone())
                    .or_default()
                    .push(child);
                let mut chain = chain.clone();
                chain.push(child_module);
                stack.push((child, chain));
            }
        }
    }

    /// Every `providers` entry of every call passes a configuration that
    /// exists (`known`: the root's blocks and the catalog's implicit
    /// configurations), as the calling instance names it, of the provider
    /// the called module names: `(aws aws.west)`, not `(aws google)`.
    pub fn check_passed_providers(
        &self,
        known: &dyn Fn(&str) -> bool,
        known_names: &[&str],
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut found = Vec::new();
        for instance in &self.instances {
            // The base graph has one instance per call: an entry of a
            // module included twice is checked (and reported) once per way
            // of reaching it, repeats dropped below.
            let module = &self.config.modules[instance.module];
            for call in &module.calls {
                for passed in &call.providers {
                    let address = passed_provider(&instance.providers, &passed.outer.text);
                    if !known(address) {
                        // A name passed to the calling instance: the entry
                        // that passed it is reported.
                        if address == passed.outer.text {
                            found.push(
                                Diagnostic::error(format!("no provider configuration `{address}`"))
                                    .at(passed.outer.span)
                                    .with_label("passed here")
                                    .with_suggestion(address, known_names.iter().copied()),
                            );
                        }
                        continue;
                    }
                    let (inner, outer) =
                        (provider_name(&passed.inner.text), provider_name(address));
                    if inner != outer {
                        found.push(
                            Diagnostic::error(format!(
                                "`{}` is passed `{}`, a configuration of provider `{outer}`, not `{inner}`",
                                passed.inner.text, passed.outer.text
                            ))
                            .at(passed.outer.span)
                            .with_label("a configuration of another provider"),
                        );
                    }
                }
            }
        }
        nimbus_config::sort_and_dedup_diagnostics(&mut found);
        diagnostics.append(&mut found);
    }

    /// Every provider configuration, as `(module instance, block)`: each
    /// of the root's, and each one a called module writes itself (whose
    /// calls have no `count`/`for-each`, checked when loading: one
    /// instance each).
    pub fn provider_configurations(&self) -> Vec<(usize, usize)> {
        let mut found: Vec<(usize, usize)> = (0..self.config.root().providers.len())
            .map(|p| (0, p))
            .collect();
        for (mi, instance) in self.instances.iter().enumerate().skip(1) {
            let module = &self.config.modules[instance.module];
            found.extend(module.own_providers().map(|(p, _)| (mi, p)));
        }
        found
    }

    fn add_vertices(&mut self) {
        let add = |g: &mut DiGraph<Vertex, ()>,
                   map: &mut foldhash::HashMap<Vertex, NodeIndex>,
                   v: Vertex| {
            map.insert(v, g.add_node(v));
        };
        for (mi, p) in self.provider_configurations() {
            add(
                &mut self.graph,
                &mut self.vertex_of,
                Vertex::Provider(mi, p),
            );
        }
        let (completes, named_calls) = self.completed_instances();
        for &(mi, call) in &named_calls {
            add(
                &mut self.graph,
                &mut self.vertex_of,
                Vertex::CallCompletion(mi, call),
            );
        }
        for (mi, instance) in self.instances.iter().enumerate() {
            let module = &self.config.modules[instance.module];
            add(&mut self.graph, &mut self.vertex_of, Vertex::Inputs(mi));
            if completes[mi] {
                add(&mut self.graph, &mut self.vertex_of, Vertex::Completion(mi));
            }
            for (ci, call) in module.calls.iter().enumerate() {
                if !call.is_repeated() {
                    continue;
                }
                let Some(called) = self.config.called(module, call) else {
                    continue;
                };
                for oi in 0..self.config.modules[called].outputs.len() {
                    add(
                        &mut self.graph,
                        &mut self.vertex_of,
                        Vertex::CallOutput(mi, ci, oi),
                    );
                }
            }
            if self.call_of(mi).is_some_and(|c| !c.depends_on.is_empty()) {
                add(&mut self.graph, &mut self.vertex_of, Vertex::Barrier(mi));
            }
            for i in 0..module.locals.len() {
                add(&mut self.graph, &mut self.vertex_of, Vertex::Local(mi, i));
            }
            for i in 0..module.resources.len() {
                add(
                    &mut self.graph,
                    &mut self.vertex_of,
                    Vertex::Resource(mi, i),
                );
            }
            for i in 0..module.outputs.len() {
                add(&mut self.graph, &mut self.vertex_of, Vertex::Output(mi, i));
            }
        }
    }

    /// Which instances need a [`Vertex::Completion`]: those of a call
    /// some `depends-on` in the including module names, and what they
    /// include (a parent comes before its children); and the calls so
    /// named, by including instance and call index, once each.
    fn completed_instances(&self) -> (Vec<bool>, Vec<(usize, usize)>) {
        let mut completes = vec![false; self.instances.len()];
        let mut calls = Vec::new();
        for (mi, instance) in self.instances.iter().enumerate() {
            if instance.parent.is_some_and(|(parent, _)| completes[parent]) {
                completes[mi] = true;
            }
            let module = &self.config.modules[instance.module];
            let named = module
                .resources
                .iter()
                .flat_map(|r| &r.depends_on)
                .chain(module.outputs.iter().flat_map(|o| &o.depends_on))
                .chain(module.calls.iter().flat_map(|c| &c.depends_on))
                .filter_map(|d| d.module());
            let index = &self.indexes[instance.module];
            let first = calls.len();
            for call in named {
                let Some(&ci) = index.calls.get(call) else {
                    continue; // reported by the loader
                };
                if calls[first..].contains(&(mi, ci)) {
                    continue;
                }
                calls.push((mi, ci));
                for &child in instance.children.get(call).into_iter().flatten() {
                    completes[child] = true;
                }
            }
        }
        (completes, calls)
    }

    /// The vertices a `depends-on` written in module instance `mi` names:
    /// a block, or the completion of a call.
    fn dependency(&self, mi: usize, dep: &nimbus_config::DependsOn, out: &mut Vec<Vertex>) {
        let index = &self.indexes[self.instances[mi].module];
        match dep.block() {
            Some((mode, type_name, name)) => out.extend(
                index
                    .position(mode, type_name, name)
                    .map(|j| Vertex::Resource(mi, j)),
            ),
            None => {
                let call = dep.module().unwrap_or_default();
                out.extend(
                    index
                        .calls
                        .get(call)
                        .map(|&ci| Vertex::CallCompletion(mi, ci))
                        .filter(|v| self.vertex_of.contains_key(v)),
                );
            }
        }
    }

    /// The `include` that made module instance `mi` (none for the root).
    fn call_of(&self, mi: usize) -> Option<&'c ModuleCall> {
        let (parent, call_index) = self.instances[mi].parent?;
        let config: &'c Config = self.config;
        Some(&config.modules[self.instances[parent].module].calls[call_index])
    }

    /// The vertices a reference from module instance `mi` points at: one
    /// (for an output of an `include` with `count`/`for-each`, the vertex
    /// of that output of every instance), or for the whole of a call
    /// (`module.m`) each of its outputs.
    fn resolve(&self, mi: usize, reference: &Reference, out: &mut Vec<Vertex>) {
        let index = &self.indexes[self.instances[mi].module];
        match reference {
            Reference::Variable(name) => {
                out.extend(index.variables.get(name).map(|_| Vertex::Inputs(mi)))
            }
            Reference::Local(name) => {
                out.extend(index.locals.get(name).map(|i| Vertex::Local(mi, *i)))
            }
            Reference::Resource(mode, t, n) => {
                out.extend(index.position(*mode, t, n).map(|i| Vertex::Resource(mi, i)))
            }
            Reference::ModuleOutput(call, name) => {
                if let Some(ci) = self.repeated_call(mi, call) {
                    let called = &self.config.modules[self.called_module(mi, ci)];
                    out.extend(
                        called
                            .outputs
                            .iter()
                            .position(|o| o.name.text == **name)
                            .map(|oi| Vertex::CallOutput(mi, ci, oi)),
                    );
                    return;
                }
                for &child in self.instances[mi].children.get(*call).into_iter().flatten() {
                    let child_module = &self.config.modules[self.instances[child].module];
                    out.extend(
                        child_module
                            .outputs
                            .iter()
                            .position(|o| o.name.text == **name)
                            .map(|i| Vertex::Output(child, i)),
                    );
                }
            }
            Reference::Module(call) => {
                if let Some(ci) = self.repeated_call(mi, call) {
                    let outputs = self.config.modules[self.called_module(mi, ci)]
                        .outputs
                        .len();
                    out.extend((0..outputs).map(|oi| Vertex::CallOutput(mi, ci, oi)));
                    return;
                }
                for &child in self.instances[mi].children.get(*call).into_iter().flatten() {
                    let outputs = self.config.modules[self.instances[child].module]
                        .outputs
                        .len();
                    out.extend((0..outputs).map(|i| Vertex::Output(child, i)));
                }
            }
        }
    }

    /// The index of call `name` of module instance `mi`, when it has
    /// `count`/`for-each` and a module that was found (so it has
    /// [`Vertex::CallOutput`]s).
    fn repeated_call(&self, mi: usize, name: &str) -> Option<usize> {
        let index = &self.indexes[self.instances[mi].module];
        let &ci = index.calls.get(name)?;
        let call = &index.module.calls[ci];
        (call.is_repeated() && self.config.called(index.module, call).is_some()).then_some(ci)
    }

    /// The module call `ci` of module instance `mi` includes (found).
    fn called_module(&self, mi: usize, ci: usize) -> ModuleId {
        let module = &self.config.modules[self.instances[mi].module];
        self.config
            .called(module, &module.calls[ci])
            .unwrap_or_default()
    }

    fn add_edges(&mut self) {
        let mut edges: Vec<(Vertex, Vertex)> = Vec::new();
        let mut refs: Vec<(Reference, Span)> = Vec::new();
        let mut targets: Vec<Vertex> = Vec::new();
        // What a `depends-on` names.
        let mut named: Vec<Vertex> = Vec::new();
        // `from` depends on every vertex the references in `refs` resolve
        // to in module instance `mi`.
        let mut depend = |from: Vertex,
                          mi: usize,
                          refs: &[(Reference, Span)],
                          edges: &mut Vec<(Vertex, Vertex)>| {
            for (r, _) in refs {
                targets.clear();
                self.resolve(mi, r, &mut targets);
                edges.extend(targets.iter().map(|target| (from, *target)));
            }
        };
        let root = self.config.root();
        let mut provider_by_address: HashMap<String, Vertex> = HashMap::new();
        for (mi, p) in self.provider_configurations() {
            let instance = &self.instances[mi];
            let provider = &self.config.modules[instance.module].providers[p];
            provider_by_address.insert(
                format!("{}{}", instance.prefix, provider.address()),
                Vertex::Provider(mi, p),
            );
            // Evaluated in its module instance: a module's configuration
            // may use the module's variables.
            refs.clear();
            form_references(&provider.attributes, &mut refs);
            depend(Vertex::Provider(mi, p), mi, &refs, &mut edges);
        }
        // The barrier each instance's blocks wait for: its own, else its
        // parent's (a parent comes before its children).
        let mut barrier_of: Vec<Option<usize>> = Vec::with_capacity(self.instances.len());
        for (mi, instance) in self.instances.iter().enumerate() {
            let inherited = instance.parent.and_then(|(parent, _)| barrier_of[parent]);
            let Some(call) = self.call_of(mi).filter(|c| !c.depends_on.is_empty()) else {
                barrier_of.push(inherited);
                continue;
            };
            barrier_of.push(Some(mi));
            let (parent, _) = instance.parent.unwrap_or_default();
            for dep in &call.depends_on {
                named.clear();
                self.dependency(parent, dep, &mut named);
                edges.extend(named.iter().map(|t| (Vertex::Barrier(mi), *t)));
            }
            if let Some(outer) = inherited {
                edges.push((Vertex::Barrier(mi), Vertex::Barrier(outer)));
            }
        }
        for (mi, instance) in self.instances.iter().enumerate() {
            let module = &self.config.modules[instance.module];
            for (ci, call) in module.calls.iter().enumerate() {
                let children = instance.children.get(&call.name.text).into_iter().flatten();
                let done = Vertex::CallCompletion(mi, ci);
                if self.vertex_of.contains_key(&done) {
                    edges.extend(children.clone().map(|&c| (done, Vertex::Completion(c))));
                }
                if self.vertex_of.contains_key(&Vertex::CallOutput(mi, ci, 0)) {
                    for oi in 0..self.config.modules[self.called_module(mi, ci)]
                        .outputs
                        .len()
                    {
                        let all = Vertex::CallOutput(mi, ci, oi);
                        edges.extend(children.clone().map(|&c| (all, Vertex::Output(c, oi))));
                    }
                }
            }
            if self.vertex_of.contains_key(&Vertex::Completion(mi)) {
                let done = Vertex::Completion(mi);
                edges.extend((0..module.resources.len()).map(|j| (done, Vertex::Resource(mi, j))));
                for &child in instance.children.values().flatten() {
                    edges.push((done, Vertex::Completion(child)));
                }
            }
            if let Some((parent, call_index)) = instance.parent {
                // The call's inputs, `count` and `for-each` are evaluated
                // in the including instance.
                let call = &self.config.modules[self.instances[parent].module].calls[call_index];
                refs.clear();
                form_references(&call.inputs, &mut refs);
                for node in call.count.iter().chain(call.for_each.iter()) {
                    references(node, &mut refs);
                }
                depend(Vertex::Inputs(mi), parent, &refs, &mut edges);
            }
            for (i, local) in module.locals.iter().enumerate() {
                refs.clear();
                references(&local.value, &mut refs);
                depend(Vertex::Local(mi, i), mi, &refs, &mut edges);
            }
            for (i, output) in module.outputs.iter().enumerate() {
                refs.clear();
                references(&output.value, &mut refs);
                crate::conditions::output_references(output, &mut refs);
                depend(Vertex::Output(mi, i), mi, &refs, &mut edges);
                // An output waits for what its `depends-on` names, as a
                // resource does.
                for dep in &output.depends_on {
                    named.clear();
                    self.dependency(mi, dep, &mut named);
                    edges.extend(named.iter().map(|t| (Vertex::Output(mi, i), *t)));
                }
            }
            for (i, resource) in module.resources.iter().enumerate() {
                let me = Vertex::Resource(mi, i);
                if let Some(barrier) = barrier_of[mi] {
                    edges.push((me, Vertex::Barrier(barrier)));
                }
                refs.clear();
                form_references(&resource.attributes, &mut refs);
                for node in resource.count.iter().chain(resource.for_each.iter()) {
                    references(node, &mut refs);
                }
                crate::conditions::resource_references(resource, &mut refs);
                depend(me, mi, &refs, &mut edges);
                for dep in &resource.depends_on {
                    named.clear();
                    self.dependency(mi, dep, &mut named);
                    edges.extend(named.iter().map(|t| (me, *t)));
                }
                // Resources of the root use its provider configurations; a
                // module's resources inherit them, or use those its call
                // passes or it writes itself.
                if let Some(explicit) = &resource.provider
                    && let Some(p) = provider_by_address
                        .get(passed_provider(&instance.providers, &explicit.text))
                {
                    edges.push((me, *p));
                } else {
                    for (p, provider) in root.providers.iter().enumerate() {
                        if provider.alias.is_none() {
                            edges.push((me, Vertex::Provider(0, p)));
                        }
                    }
                    for (name, address) in &instance.providers {
                        if !name.contains('.')
                            && let Some(p) = provider_by_address.get(address)
                        {
                            edges.push((me, *p));
                        }
                    }
                }
            }
        }
        for (from, to) in edges {
            let (a, b) = (self.vertex_of[&from], self.vertex_of[&to]);
            // Edge direction: dependency -> dependent, so a topological sort
            // yields dependencies first.
            self.graph.add_edge(b, a, ());
        }
    }

    fn report_cycles(&self, diagnostics: &mut Vec<Diagnostic>) {
        for component in tarjan_scc(&self.graph) {
            let is_cycle = component.len() > 1
                || component
                    .first()
                    .is_some_and(|n| self.graph.contains_edge(*n, *n));
            if !is_cycle {
                continue;
            }
            // A cycle through a call's vertex also goes through those of
            // its instances, which name it better.
            let mut members: Vec<(String, Span)> = component
                .iter()
                .filter(|n| {
                    !matches!(
                        self.graph[**n],
                        Vertex::CallCompletion(..) | Vertex::CallOutput(..)
                    )
                })
                .map(|n| (self.describe(self.graph[*n]), self.span(self.graph[*n])))
                .collect();
            members.sort_by_key(|(_, s)| (s.file, s.start));
            let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
            let mut d = Diagnostic::error(format!("dependency cycle between {}", names.join(", ")))
                .at(members[0].1);
            for (name, span) in &members {
                d = d.with_note(format!(
                    "note: {name} is declared at {}",
                    self.config.location(*span)
                ));
            }
            diagnostics.push(d);
        }
    }

    /// Human name of a vertex: `null-resource.a`, `local.x`, `module.net.output.o`.
    pub fn describe(&self, v: Vertex) -> String {
        let module_of = |mi: usize| &self.config.modules[self.instances[mi].module];
        match v {
            Vertex::Inputs(mi) => format!("{}variables", self.instances[mi].prefix),
            Vertex::Local(mi, i) => format!(
                "{}local.{}",
                self.instances[mi].prefix,
                module_of(mi).locals[i].name.text
            ),
            Vertex::Resource(mi, i) => format!(
                "{}{}",
                self.instances[mi].prefix,
                module_of(mi).resources[i].address()
            ),
            Vertex::Output(mi, i) => format!(
                "{}output.{}",
                self.instances[mi].prefix,
                module_of(mi).outputs[i].name.text
            ),
            Vertex::Provider(mi, p) => format!(
                "{}provider.{}",
                self.instances[mi].prefix,
                module_of(mi).providers[p].address()
            ),
            Vertex::Barrier(mi) => format!(
                "the depends-on of {}",
                self.instances[mi].prefix.trim_end_matches('.')
            ),
            Vertex::Completion(mi) => {
                format!("all of {}", self.instances[mi].prefix.trim_end_matches('.'))
            }
            Vertex::CallCompletion(mi, ci) => format!(
                "every instance of {}module.{}",
                self.instances[mi].prefix,
                module_of(mi).calls[ci].name.text
            ),
            Vertex::CallOutput(mi, ci, oi) => format!(
                "{}module.{}[*].output.{}",
                self.instances[mi].prefix,
                module_of(mi).calls[ci].name.text,
                self.config.modules[self.called_module(mi, ci)].outputs[oi]
                    .name
                    .text
            ),
        }
    }

    /// The typed address of resource block `i` of module instance `mi`.
    pub fn block_addr(&self, mi: usize, i: usize) -> BlockAddr {
        let instance = &self.instances[mi];
        let resource = &self.config.modules[instance.module].resources[i];
        BlockAddr {
            module: instance.path.clone(),
            mode: resource.mode,
            type_name: resource.type_name.text.clone(),
            name: resource.name.text.clone(),
        }
    }

    pub fn span(&self, v: Vertex) -> Span {
        let module_of = |mi: usize| &self.config.modules[self.instances[mi].module];
        match v {
            Vertex::Inputs(mi) => match self.instances[mi].parent {
                Some((parent, call)) => module_of(parent).calls[call].span,
                None => module_of(mi)
                    .variables
                    .first()
                    .map(|v| v.span)
                    .unwrap_or_default(),
            },
            Vertex::Local(mi, i) => module_of(mi).locals[i].span,
            Vertex::Resource(mi, i) => module_of(mi).resources[i].span,
            Vertex::Output(mi, i) => module_of(mi).outputs[i].span,
            Vertex::Provider(mi, p) => module_of(mi).providers[p].span,
            Vertex::Barrier(mi) | Vertex::Completion(mi) => {
                self.call_of(mi).map(|c| c.span).unwrap_or_default()
            }
            Vertex::CallCompletion(mi, ci) | Vertex::CallOutput(mi, ci, _) => {
                module_of(mi).calls[ci].span
            }
        }
    }

    /// Vertices that `v` depends on directly.
    pub fn dependencies(&self, v: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph
            .neighbors_directed(v, petgraph::Direction::Incoming)
    }

    /// Vertices that depend on `v` directly.
    pub fn dependents(&self, v: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph
            .neighbors_directed(v, petgraph::Direction::Outgoing)
    }

    /// For every vertex (by index), the resource blocks it depends on,
    /// directly or through locals, outputs, variables and module inputs:
    /// the graph projected onto resources. One pass in topological order.
    pub fn resource_dependencies(&self) -> Vec<Vec<NodeIndex>> {
        let mut out: Vec<Vec<NodeIndex>> = vec![Vec::new(); self.graph.node_count()];
        for &v in &self.order {
            let mut deps: Vec<NodeIndex> = Vec::new();
            for d in self.dependencies(v) {
                if matches!(self.graph[d], Vertex::Resource(..)) {
                    deps.push(d);
                } else {
                    deps.extend(out[d.index()].iter().copied());
                }
            }
            deps.sort();
            deps.dedup();
            out[v.index()] = deps;
        }
        out
    }

    /// The resource blocks and the edges from each block to the blocks it
    /// depends on, by address: what `nimbus graph` draws.
    pub fn resource_edges(&self) -> (Vec<String>, Vec<(String, String)>) {
        let deps = self.resource_dependencies();
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for v in self.graph.node_indices() {
            if !matches!(self.graph[v], Vertex::Resource(..)) {
                continue;
            }
            let name = self.describe(self.graph[v]);
            for d in &deps[v.index()] {
                edges.push((name.clone(), self.describe(self.graph[*d])));
            }
            nodes.push(name);
        }
        nodes.sort();
        edges.sort();
        edges.dedup();
        (nodes, edges)
    }
}

/// The walk schedules the graph's vertices, in its topological order.
impl crate::schedule::Dag for Graph<'_> {
    fn len(&self) -> usize {
        self.graph.node_count()
    }
    fn dependency_count(&self, node: usize) -> usize {
        self.dependencies(NodeIndex::new(node)).count()
    }
    fn dependents(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        Graph::dependents(self, NodeIndex::new(node)).map(NodeIndex::index)
    }
    fn start_order(&self) -> impl Iterator<Item = usize> + '_ {
        self.order.iter().map(|v| v.index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_config::{MemoryFiles, load};
    use std::path::Path;

    #[test]
    fn a_provider_address_splits_into_module_and_configuration() {
        for (address, module, local, name) in [
            ("aws", "", "aws", "aws"),
            ("aws.west", "", "aws.west", "aws"),
            ("module.net.aws", "module.net", "aws", "aws"),
            (
                "module.a.module.b.aws.west",
                "module.a.module.b",
                "aws.west",
                "aws",
            ),
            // A provider named `module`, aliased.
            ("module.b", "", "module.b", "module"),
        ] {
            assert_eq!(
                split_provider_address(address),
                (module, local),
                "{address}"
            );
            assert_eq!(provider_name(address), name, "{address}");
        }
    }

    #[test]
    fn a_module_s_own_configuration_is_a_vertex_its_blocks_depend_on() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.nim",
                r#"(use-module "./modules/m.nim")
                   (include m (zone "z"))"#,
            )
            .with(
                "/p/modules/m.nim",
                r#"(define-variables (zone (type string)))
                   (provider builtin (alias b) (label (var zone)))
                   (resource terraform-data "x" (provider builtin.b) (input "x"))"#,
            );
        let (config, diagnostics) = load(Path::new("/p"), &files);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let mut diagnostics = Vec::new();
        let g = Graph::build(&config, &mut diagnostics).expect("a graph");
        assert_eq!(g.provider_configurations(), [(1, 0)]);
        let provider = g.vertex_of[&Vertex::Provider(1, 0)];
        let describe = |n: NodeIndex| g.describe(g.graph[n]);
        assert_eq!(describe(provider), "module.m.provider.builtin.b");
        // Evaluated in the module instance, from its variables.
        let dependencies: Vec<String> = g.dependencies(provider).map(describe).collect();
        assert_eq!(dependencies, ["module.m.variables"]);
        let dependents: Vec<String> = g.dependents(provider).map(describe).collect();
        assert_eq!(dependents, ["module.m.terraform-data.x"]);
        assert_eq!(
            g.instances[1]
                .providers
                .get("builtin.b")
                .map(String::as_str),
            Some("module.m.builtin.b")
        );
    }

    /// What the vertex described as `what` depends on, described.
    fn dependencies_of(text: &str, what: &str) -> Vec<String> {
        let files = MemoryFiles::default().with("/p/main.nim", text);
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(!diags.iter().any(Diagnostic::is_error), "{diags:?}");
        let mut diagnostics = Vec::new();
        let g = Graph::build(&config, &mut diagnostics).expect("a graph");
        let v = g
            .graph
            .node_indices()
            .find(|v| g.describe(g.graph[*v]) == what)
            .unwrap_or_else(|| panic!("no vertex {what}"));
        let mut deps: Vec<String> = g.dependencies(v).map(|d| g.describe(g.graph[d])).collect();
        deps.sort();
        deps
    }

    /// The graph of `text` (with `files` beside it) expanded: one module
    /// instance per `count` index.
    fn expanded(text: &str, files: &[(&str, &str)], check: impl FnOnce(&Graph<'_>)) {
        let mut memory = MemoryFiles::default().with("/p/main.nim", text);
        for (path, text) in files {
            memory = memory.with(*path, *text);
        }
        let (config, diags) = load(Path::new("/p"), &memory);
        assert!(!diags.iter().any(Diagnostic::is_error), "{diags:?}");
        let mut diagnostics = Vec::new();
        let base = Graph::build(&config, &mut diagnostics).expect("a graph");
        let files = crate::files::ConfigFiles::new(Path::new("/p"));
        let g =
            crate::expansion::expand(&base, &nimbus_eval::Inputs::new(), &files, &mut diagnostics)
                .expect("an expansion");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        check(&g);
    }

    /// The resource blocks the block described as `what` depends on,
    /// directly or not, described.
    fn resources_before(g: &Graph<'_>, what: &str) -> Vec<String> {
        let v = g
            .graph
            .node_indices()
            .find(|v| g.describe(g.graph[*v]) == what)
            .unwrap_or_else(|| panic!("no vertex {what}"));
        let mut deps: Vec<String> = g.resource_dependencies()[v.index()]
            .iter()
            .map(|d| g.describe(g.graph[*d]))
            .collect();
        deps.sort();
        deps
    }

    #[test]
    fn blocks_naming_a_repeated_call_add_edges_linearly() {
        const BLOCKS: usize = 50;
        const INSTANCES: usize = 50;
        let mut text = format!(
            r#"(use-module m "./m.nim")
               (include m (count {INSTANCES}))"#
        );
        for b in 0..BLOCKS {
            text.push_str(&format!(
                r#"(resource terraform-data "b{b}" (input {b}) (depends-on (module m)))
                   (resource terraform-data "r{b}" (input (module-output m 0 "x")))
                   (resource terraform-data "s{b}" (input (module-output m "x")))"#
            ));
        }
        let module = r#"(resource terraform-data "x" (input 1))
                        (output "x" (value (ref terraform-data "x" "output")))"#;
        expanded(&text, &[("/p/m.nim", module)], |g| {
            assert_eq!(g.instances.len(), INSTANCES + 1);
            // Per block: its provider... a handful of edges each; per
            // instance as many. The product of the two would be 3×2500.
            let edges = g.graph.edge_count();
            assert!(edges < BLOCKS * INSTANCES / 2, "{edges} edges");
            let every: Vec<String> = (0..INSTANCES)
                .map(|k| format!("module.m[{k}].terraform-data.x"))
                .collect();
            let mut every_sorted = every.clone();
            every_sorted.sort();
            assert_eq!(resources_before(g, "terraform-data.b7"), every_sorted);
            assert_eq!(resources_before(g, "terraform-data.s3"), every_sorted);
            // One instance's output is read after every instance's (the
            // call is one node, as in Terraform), so after instance 0's.
            assert!(resources_before(g, "terraform-data.r0").contains(&every[0]));
        });
    }

    #[test]
    fn a_cycle_through_a_call_names_its_instances() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.nim",
                r#"(use-module m "./m.nim")
                   (include m (count 2) (value (ref terraform-data "a" "output")))
                   (resource terraform-data "a" (input 1) (depends-on (module m)))"#,
            )
            .with(
                "/p/m.nim",
                r#"(define-variables (value (type number)))
                   (resource terraform-data "x" (input (var value)))"#,
            );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(!diags.iter().any(Diagnostic::is_error), "{diags:?}");
        let mut diagnostics = Vec::new();
        assert!(Graph::build(&config, &mut diagnostics).is_none());
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(!messages[0].contains("every instance"), "{}", messages[0]);
        assert!(messages[0].contains("all of module.m"), "{}", messages[0]);
    }

    #[test]
    fn an_output_waits_for_its_depends_on() {
        let deps = dependencies_of(
            r#"(resource terraform-data "a" (input 1))
               (resource terraform-data "b" (input 2))
               (output "o" (value 1) (depends-on (ref terraform-data "b")))"#,
            "output.o",
        );
        assert_eq!(deps, ["terraform-data.b"]);
    }

    #[test]
    fn a_module_is_passed_configurations_of_the_provider_it_names() {
        let text = r#"(use-module site "./site.nim")
               (include site (providers (builtin other) (builtin.a other.b) (builtin.c builtin.d)))"#;
        let files = MemoryFiles::default()
            .with("/p/main.nim", text)
            .with("/p/site.nim", r#"(resource terraform-data "x" (input 1))"#);
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(!diags.iter().any(Diagnostic::is_error), "{diags:?}");
        let mut diagnostics = Vec::new();
        let g = Graph::build(&config, &mut diagnostics).expect("a graph");
        let known = ["builtin", "other", "other.b"];
        g.check_passed_providers(&|a| known.contains(&a), &known, &mut diagnostics);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`builtin` is passed `other`, a configuration of provider `other`, not `builtin`",
                "`builtin.a` is passed `other.b`, a configuration of provider `other`, not `builtin`",
                "no provider configuration `builtin.d`",
            ]
        );
    }
}
