//! The dependency graph of a configuration: every variable set, local,
//! resource block, output and provider of every module instance is a
//! vertex; references and `depends-on` are edges. Built in O(V+E): each
//! reference is resolved with a hash lookup.

use nimbus_config::{Config, ModuleId};
use nimbus_eval::{ModuleIndex, Reference, form_references, references};
use nimbus_syntax::{Diagnostic, Span};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

/// One instance of a module: the root, or one `include` of a module.
#[derive(Debug, Clone)]
pub struct ModuleInstance {
    pub module: ModuleId,
    /// `""` for the root, `module.net.` for an instance named `net`.
    pub prefix: String,
    /// The instance that includes this one, and the index of the call.
    pub parent: Option<(usize, usize)>,
    /// Module instances included from this one, by instance name.
    pub children: HashMap<String, usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vertex {
    /// All variables of a module instance (their values come together: from
    /// outside for the root, from the call's inputs for a child).
    Inputs(usize),
    Local(usize, usize),
    Resource(usize, usize),
    Output(usize, usize),
    /// A provider configuration of the root module.
    Provider(usize),
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
    pub fn build(config: &'c Config, diagnostics: &mut Vec<Diagnostic>) -> Option<Graph<'c>> {
        let indexes: Vec<ModuleIndex<'c>> = config.modules.iter().map(ModuleIndex::new).collect();
        let mut g = Graph {
            config,
            indexes,
            instances: Vec::new(),
            graph: DiGraph::new(),
            vertex_of: foldhash::HashMap::default(),
            order: Vec::new(),
        };
        g.instantiate(diagnostics);
        g.add_vertices();
        g.add_edges(diagnostics);
        match petgraph::algo::toposort(&g.graph, None) {
            Ok(order) => {
                g.order = order;
                Some(g)
            }
            Err(_) => {
                g.report_cycles(diagnostics);
                None
            }
        }
    }

    fn instantiate(&mut self, diagnostics: &mut Vec<Diagnostic>) {
        self.instances.push(ModuleInstance {
            module: 0,
            prefix: String::new(),
            parent: None,
            children: HashMap::new(),
        });
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
                let prefix = format!("{}module.{}.", self.instances[mi].prefix, call.name.text);
                self.instances.push(ModuleInstance {
                    module: child_module,
                    prefix,
                    parent: Some((mi, call_index)),
                    children: HashMap::new(),
                });
                self.instances[mi]
                    .children
                    .insert(call.name.text.clone(), child);
                let mut chain = chain.clone();
                chain.push(child_module);
                stack.push((child, chain));
            }
        }
    }

    fn add_vertices(&mut self) {
        let add = |g: &mut DiGraph<Vertex, ()>,
                   map: &mut foldhash::HashMap<Vertex, NodeIndex>,
                   v: Vertex| {
            map.insert(v, g.add_node(v));
        };
        for p in 0..self.config.root().providers.len() {
            add(&mut self.graph, &mut self.vertex_of, Vertex::Provider(p));
        }
        for (mi, instance) in self.instances.iter().enumerate() {
            let module = &self.config.modules[instance.module];
            add(&mut self.graph, &mut self.vertex_of, Vertex::Inputs(mi));
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

    /// The vertex a reference from module instance `mi` points at.
    fn resolve(&self, mi: usize, reference: &Reference) -> Option<Vertex> {
        let index = &self.indexes[self.instances[mi].module];
        match reference {
            Reference::Variable(name) => index.variables.get(name).map(|_| Vertex::Inputs(mi)),
            Reference::Local(name) => index.locals.get(name).map(|i| Vertex::Local(mi, *i)),
            Reference::Resource(mode, t, n) => {
                index.position(*mode, t, n).map(|i| Vertex::Resource(mi, i))
            }
            Reference::ModuleOutput(call, name) => {
                let child = *self.instances[mi].children.get(*call)?;
                let child_module = &self.config.modules[self.instances[child].module];
                let i = child_module
                    .outputs
                    .iter()
                    .position(|o| o.name.text == **name)?;
                Some(Vertex::Output(child, i))
            }
        }
    }

    fn add_edges(&mut self, _diagnostics: &mut Vec<Diagnostic>) {
        let mut edges: Vec<(Vertex, Vertex)> = Vec::new();
        let mut refs: Vec<(Reference, Span)> = Vec::new();
        let root = self.config.root();
        let provider_by_address: HashMap<String, usize> = root
            .providers
            .iter()
            .enumerate()
            .map(|(i, p)| (p.address(), i))
            .collect();
        for (p, provider) in root.providers.iter().enumerate() {
            refs.clear();
            form_references(&provider.attributes, &mut refs);
            for (r, _) in &refs {
                if let Some(target) = self.resolve(0, r) {
                    edges.push((Vertex::Provider(p), target));
                }
            }
        }
        for (mi, instance) in self.instances.iter().enumerate() {
            let module = &self.config.modules[instance.module];
            let index = &self.indexes[instance.module];
            let resolve = |r: &Reference| self.resolve(mi, r);
            if let Some((parent, call_index)) = instance.parent {
                let parent_module = &self.config.modules[self.instances[parent].module];
                refs.clear();
                form_references(&parent_module.calls[call_index].inputs, &mut refs);
                for (r, _) in &refs {
                    if let Some(target) = self.resolve(parent, r) {
                        edges.push((Vertex::Inputs(mi), target));
                    }
                }
            }
            for (i, local) in module.locals.iter().enumerate() {
                refs.clear();
                references(&local.value, &mut refs);
                for (r, _) in &refs {
                    if let Some(target) = resolve(r) {
                        edges.push((Vertex::Local(mi, i), target));
                    }
                }
            }
            for (i, output) in module.outputs.iter().enumerate() {
                refs.clear();
                references(&output.value, &mut refs);
                for (r, _) in &refs {
                    if let Some(target) = resolve(r) {
                        edges.push((Vertex::Output(mi, i), target));
                    }
                }
            }
            for (i, resource) in module.resources.iter().enumerate() {
                let me = Vertex::Resource(mi, i);
                refs.clear();
                form_references(&resource.attributes, &mut refs);
                for node in resource.count.iter().chain(resource.for_each.iter()) {
                    references(node, &mut refs);
                }
                for (r, _) in &refs {
                    if let Some(target) = resolve(r) {
                        edges.push((me, target));
                    }
                }
                for dep in &resource.depends_on {
                    if let Some(j) = index.position(dep.mode, &dep.type_name, &dep.name) {
                        edges.push((me, Vertex::Resource(mi, j)));
                    }
                }
                // Resources of the root use its provider configurations; a
                // module's resources inherit them.
                if let Some(explicit) = &resource.provider
                    && let Some(p) = provider_by_address.get(&explicit.text)
                {
                    edges.push((me, Vertex::Provider(*p)));
                } else {
                    for (p, provider) in root.providers.iter().enumerate() {
                        if provider.alias.is_none() {
                            edges.push((me, Vertex::Provider(p)));
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
            let mut members: Vec<(String, Span)> = component
                .iter()
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
            Vertex::Provider(p) => {
                format!("provider.{}", self.config.root().providers[p].address())
            }
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
            Vertex::Provider(p) => self.config.root().providers[p].span,
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
