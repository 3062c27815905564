//! Plans: per instance one action with attribute-level differences.

use nimbus_value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Delete then create (or create then delete with
    /// `create-before-destroy`).
    Replace,
    Delete,
    /// A data source read that has to wait for apply.
    Read,
    /// Dropped from state, left alone in the world (a `removed` block
    /// with `destroy` false).
    Forget,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::Forget => "forget",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Read => "<=",
            Action::Forget => ".",
        }
    }

    pub fn is_change(self) -> bool {
        !matches!(self, Action::NoOp)
    }
}

/// One attribute's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDiff {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// This attribute's change forces replacement.
    pub forces_replacement: bool,
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: String,
    pub resource_type: String,
    pub provider: String,
    pub action: Action,
    /// State before (unmarked), when the object exists.
    pub before: Option<Value>,
    /// Planned state (may hold unknowns), absent for deletes.
    pub after: Option<Value>,
    pub requires_replace: Vec<String>,
    pub sensitive_attributes: Vec<String>,
    pub create_before_destroy: bool,
    /// Why it is planned this way, when not obvious ("tainted", "no
    /// longer in configuration").
    pub reason: Option<String>,
    /// Replaced because what `replace-triggered-by` names changed: that
    /// reference, as an address. Apply replaces it as planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_triggered_by: Option<String>,
}

impl ResourceChange {
    /// Attribute-level differences, in attribute order; unchanged ones left out.
    pub fn diffs(&self) -> Vec<AttributeDiff> {
        let empty = BTreeMap::new();
        let before = self
            .before
            .as_ref()
            .and_then(Value::as_map)
            .unwrap_or(&empty);
        let after = self
            .after
            .as_ref()
            .and_then(Value::as_map)
            .unwrap_or(&empty);
        let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
        names.sort();
        names.dedup();
        let mut out = Vec::new();
        for name in names {
            let b = before.get(name).filter(|v| !v.is_null());
            let a = after.get(name).filter(|v| !v.is_null());
            let removal = matches!(self.action, Action::Delete | Action::Forget);
            if !removal && b == a {
                continue;
            }
            if removal && b.is_none() {
                continue;
            }
            out.push(AttributeDiff {
                name: name.clone(),
                before: b.cloned(),
                after: if removal { None } else { a.cloned() },
                forces_replacement: self.requires_replace.contains(name),
                sensitive: nimbus_value::path::touches_attribute(&self.sensitive_attributes, name),
            });
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Value,
    pub sensitive: bool,
    /// The configuration no longer has this output: applying removes it.
    #[serde(default)]
    pub removed: bool,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub read: usize,
    /// Objects dropped from state without being destroyed.
    #[serde(default)]
    pub forget: usize,
    /// Objects recorded under a new address (`moved`), counted once
    /// however many `moved` blocks they went through.
    #[serde(default)]
    pub moved: usize,
    /// Existing objects brought under management (`import`).
    #[serde(default)]
    pub import: usize,
}

impl PlanSummary {
    pub fn total(&self) -> usize {
        self.create
            + self.update
            + self.replace
            + self.delete
            + self.read
            + self.forget
            + self.moved
            + self.import
    }
}

/// One step of a `moved` block: the object recorded at `from` is recorded
/// at `to`. A plan lists steps in the order they apply, each onto a free
/// address; an object that follows a chain of `moved` blocks takes one
/// step per block ([`Plan::moved_objects`] joins them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedMove {
    pub from: String,
    pub to: String,
}

/// An existing object an `import` block brings under management at
/// `address`, found by the provider under `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedImport {
    pub address: String,
    pub id: String,
    /// The id came from something sensitive: never shown.
    #[serde(default)]
    pub sensitive: bool,
}

/// The result of planning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub workspace: String,
    /// The state's head event when the plan was made: applying the plan
    /// against a state that moved on is refused.
    pub state_sequence: u64,
    pub destroy: bool,
    pub changes: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    /// Some unchanged object's recorded dependencies differ from the
    /// configuration's (it was imported, or a reference was added): apply
    /// records them, since destroy orders itself by them.
    #[serde(default)]
    pub stale_dependencies: bool,
    /// The `--target` selection the plan was made with: applying it acts
    /// on the same selection.
    #[serde(default)]
    pub targets: Vec<String>,
    /// The `--exclude` selection the plan was made with.
    #[serde(default)]
    pub excludes: Vec<String>,
    /// `--replace` instances the plan was made with.
    #[serde(default)]
    pub replace: Vec<String>,
    /// `moved` blocks' steps, applied to the recorded objects before
    /// anything else (see [`crate::moves`]).
    #[serde(default)]
    pub moves: Vec<PlannedMove>,
    /// `import` blocks' objects, recorded before the changes are made.
    #[serde(default)]
    pub imports: Vec<PlannedImport>,
    /// What the user should know about this plan (targeting in effect,
    /// provider warnings). Shown with the plan, not saved with it.
    #[serde(skip)]
    pub warnings: Vec<nimbus_syntax::Diagnostic>,
    /// What the configuration's policies found (checked again when the
    /// plan is applied, so not saved with it).
    #[serde(skip)]
    pub policy: crate::policy::PolicyReport,
}

impl Plan {
    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
                Action::Read => s.read += 1,
                Action::Forget => s.forget += 1,
                Action::NoOp => {}
            }
        }
        s.moved = self.moved_objects().len();
        s.import = self.imports.len();
        s
    }

    /// Each moved object once: where it was recorded before the plan and
    /// where it is recorded after, chains of `moved` blocks joined, in
    /// the order of their final addresses.
    pub fn moved_objects(&self) -> Vec<PlannedMove> {
        let mut objects: Vec<PlannedMove> = Vec::new();
        let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for step in &self.moves {
            match at.remove(step.from.as_str()) {
                Some(i) => {
                    objects[i].to = step.to.clone();
                    at.insert(step.to.as_str(), i);
                }
                None => {
                    at.insert(step.to.as_str(), objects.len());
                    objects.push(step.clone());
                }
            }
        }
        objects.sort_by(|a, b| a.to.cmp(&b.to));
        objects
    }

    /// The `import` of `address`, if the plan imports it.
    pub fn import_of(&self, address: &str) -> Option<&PlannedImport> {
        self.imports.iter().find(|i| i.address == address)
    }

    pub fn has_changes(&self) -> bool {
        !self.moves.is_empty()
            || !self.imports.is_empty()
            || self.changes.iter().any(|c| c.action.is_change())
            || self
                .outputs
                .iter()
                .any(|o| o.removed || o.before.as_ref() != Some(&o.after))
    }

    pub fn change(&self, address: &str) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| c.address == address)
    }
}
