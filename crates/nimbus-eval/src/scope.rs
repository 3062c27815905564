//! What names resolve to while evaluating inside one module instance.

use nimbus_config::{Mode, Module, Resource};
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

/// Key of a resource block inside a module.
pub type BlockKey = (Mode, String, String);

/// A [`BlockKey`] seen through borrowed strings, so that looking a block up
/// in [`Scope::resources`] needs no allocation:
/// `scope.resources.get(&(mode, "null-resource", "a") as &dyn BlockKeyView)`.
pub trait BlockKeyView {
    fn view(&self) -> (Mode, &str, &str);
}

impl BlockKeyView for BlockKey {
    fn view(&self) -> (Mode, &str, &str) {
        (self.0, &self.1, &self.2)
    }
}

impl BlockKeyView for (Mode, &str, &str) {
    fn view(&self) -> (Mode, &str, &str) {
        *self
    }
}

impl<'a> std::borrow::Borrow<dyn BlockKeyView + 'a> for BlockKey {
    fn borrow(&self) -> &(dyn BlockKeyView + 'a) {
        self
    }
}

// Hashes exactly as `BlockKey` does (`String` and `&str` hash alike), as
// `Borrow` requires.
impl std::hash::Hash for dyn BlockKeyView + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.view().hash(state);
    }
}

impl PartialEq for dyn BlockKeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl Eq for dyn BlockKeyView + '_ {}

/// Declarations of a module indexed by name, built once so that resolving a
/// reference is a hash lookup, not a scan of every resource.
#[derive(Debug)]
pub struct ModuleIndex<'m> {
    pub module: &'m Module,
    pub resources: HashMap<(Mode, &'m str, &'m str), usize>,
    pub variables: HashMap<&'m str, usize>,
    pub locals: HashMap<&'m str, usize>,
    pub calls: HashMap<&'m str, usize>,
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

    pub fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<&'m Resource> {
        let module: &'m Module = self.module;
        self.position(mode, type_name, name)
            .map(|i| &module.resources[i])
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
    pub resources: HashMap<BlockKey, Instances>,
    /// Outputs of module instances called from this module, by instance name.
    pub module_outputs: HashMap<String, BTreeMap<String, Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_keys_find_owned_ones() {
        let mut map: HashMap<BlockKey, u8> = HashMap::new();
        for (i, name) in ["a", "b", "long-name-of-a-resource"].iter().enumerate() {
            map.insert(
                (Mode::Managed, "null-resource".into(), name.to_string()),
                i as u8,
            );
        }
        map.insert((Mode::Data, "null-resource".into(), "a".into()), 9);
        let get = |mode, t, n| map.get(&(mode, t, n) as &dyn BlockKeyView).copied();
        assert_eq!(
            get(Mode::Managed, "null-resource", "long-name-of-a-resource"),
            Some(2)
        );
        assert_eq!(get(Mode::Data, "null-resource", "a"), Some(9));
        assert_eq!(get(Mode::Managed, "null-resourc", "ea"), None);
    }
}
