//! What names resolve to while evaluating inside one module instance.

use crate::expand::Expansion;
use nimbus_config::{InstanceKey, Mode, Module, Resource};
use nimbus_value::Value;
use std::collections::{BTreeMap, HashMap};

/// The instances of one resource block, as far as they are known.
#[derive(Debug, Clone, PartialEq)]
pub enum Instances {
    /// No `count`/`for-each`.
    Single(Value),
    /// `count`: index order.
    Counted(Vec<Value>),
    /// `for-each`: by key.
    Keyed(BTreeMap<String, Value>),
    /// The expansion itself is not known yet.
    Unknown,
}

impl Instances {
    /// The whole block as one value: an object, a list or a map.
    pub fn to_value(&self) -> Value {
        match self {
            Instances::Single(v) => v.clone(),
            Instances::Counted(items) => Value::List(items.clone()),
            Instances::Keyed(map) => Value::Map(map.clone()),
            Instances::Unknown => Value::Unknown,
        }
    }
}

/// Declarations of a module indexed by name, built once so that resolving a
/// reference is a hash lookup, not a scan of every resource.
#[derive(Debug)]
pub struct ModuleIndex<'m> {
    pub module: &'m Module,
    // foldhash: these are looked up for every reference of every block,
    // where SipHash's resistance to flooding buys nothing (the keys are the
    // user's own declarations).
    pub resources: foldhash::HashMap<(Mode, &'m str, &'m str), usize>,
    pub variables: foldhash::HashMap<&'m str, usize>,
    pub locals: foldhash::HashMap<&'m str, usize>,
    pub calls: foldhash::HashMap<&'m str, usize>,
}

impl<'m> ModuleIndex<'m> {
    pub fn new(module: &'m Module) -> ModuleIndex<'m> {
        ModuleIndex {
            module,
            resources: module
                .resources
                .iter()
                .enumerate()
                .map(|(i, r)| ((r.mode, r.type_name.as_str(), r.name.as_str()), i))
                .collect(),
            variables: module
                .variables
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.as_str(), i))
                .collect(),
            locals: module
                .locals
                .iter()
                .enumerate()
                .map(|(i, l)| (l.name.as_str(), i))
                .collect(),
            calls: module
                .calls
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name.as_str(), i))
                .collect(),
        }
    }

    /// The resource block and its position in `module.resources`.
    pub fn resource(
        &self,
        mode: Mode,
        type_name: &str,
        name: &str,
    ) -> Option<(usize, &'m Resource)> {
        let module: &'m Module = self.module;
        self.position(mode, type_name, name)
            .map(|i| (i, &module.resources[i]))
    }

    /// Index of the resource block in `module.resources`.
    pub fn position(&self, mode: Mode, type_name: &str, name: &str) -> Option<usize> {
        self.resources.get(&(mode, type_name, name)).copied()
    }
}

/// Values known so far in one module instance. Anything declared but not
/// (yet) in here evaluates to unknown: that is what `validate` relies on.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub variables: HashMap<String, Value>,
    pub locals: HashMap<String, Value>,
    /// Instances of each resource block, by the block's position in
    /// `Module::resources` (which [`ModuleIndex`] resolves names to): no
    /// key is built or hashed per block.
    resources: Vec<Option<Instances>>,
    /// Outputs of the module instances each `include` of this module
    /// makes, by the include's instance name: each instance's outputs are
    /// one map, laid out as a resource block's instances are.
    pub module_outputs: HashMap<String, Instances>,
}

impl Scope {
    /// The instances of the resource block at `position`, once known.
    pub fn resource(&self, position: usize) -> Option<&Instances> {
        self.resources.get(position)?.as_ref()
    }

    /// Makes room for the outputs of every instance an `include` with
    /// `count`/`for-each` makes, before any of them is known: with no
    /// instances at all, `(module-output CALL NAME)` is `[]` or `{}`,
    /// not unknown.
    pub fn expect_module_instances(&mut self, call: &str, expansion: &Expansion) {
        let empty = || Value::Map(BTreeMap::new());
        let instances = match expansion {
            Expansion::Single => return,
            Expansion::Count(n) => Instances::Counted(vec![empty(); *n]),
            Expansion::Keys(keys) => {
                Instances::Keyed(keys.keys().map(|k| (k.clone(), empty())).collect())
            }
        };
        self.module_outputs.insert(call.to_string(), instances);
    }

    /// Records output `name` of the instance `key` of the `include` named
    /// `call` (see [`Scope::expect_module_instances`]).
    pub fn set_module_output(
        &mut self,
        call: &str,
        key: Option<&InstanceKey>,
        name: &str,
        value: Value,
    ) {
        let instances = self
            .module_outputs
            .entry(call.to_string())
            .or_insert_with(|| match key {
                None => Instances::Single(Value::Map(BTreeMap::new())),
                Some(InstanceKey::Index(_)) => Instances::Counted(Vec::new()),
                Some(InstanceKey::Key(_)) => Instances::Keyed(BTreeMap::new()),
            });
        let outputs = match (instances, key) {
            (Instances::Single(outputs), None) => outputs,
            (Instances::Counted(items), Some(InstanceKey::Index(i))) => {
                let i = *i as usize;
                if items.len() <= i {
                    items.resize_with(i + 1, || Value::Map(BTreeMap::new()));
                }
                &mut items[i]
            }
            (Instances::Keyed(map), Some(InstanceKey::Key(k))) => map
                .entry(k.clone())
                .or_insert_with(|| Value::Map(BTreeMap::new())),
            // The layout follows the call's `count`/`for-each`, which does
            // not change within one walk.
            _ => return,
        };
        if let Value::Map(outputs) = outputs {
            outputs.insert(name.to_string(), value);
        }
    }

    pub fn set_resource(&mut self, position: usize, instances: Instances) {
        if self.resources.len() <= position {
            self.resources.resize_with(position + 1, || None);
        }
        self.resources[position] = Some(instances);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_found_by_position() {
        let mut scope = Scope::default();
        assert_eq!(scope.resource(0), None);
        scope.set_resource(3, Instances::Unknown);
        assert_eq!(scope.resource(3), Some(&Instances::Unknown));
        assert_eq!(scope.resource(1), None);
        assert_eq!(scope.resource(4), None);
        scope.set_resource(1, Instances::Single(Value::Null));
        assert_eq!(scope.resource(1), Some(&Instances::Single(Value::Null)));
        assert_eq!(scope.resource(3), Some(&Instances::Unknown));
    }
}
