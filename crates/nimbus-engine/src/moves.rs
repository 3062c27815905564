//! `moved` and `removed` blocks against the recorded objects.
//!
//! Planning applies the `moved` blocks to the prior state before anything
//! is diffed, as Terraform does. A block written in a child module speaks
//! of addresses inside that module, and acts in every instance of it: a block moves the objects
//! recorded at its `from` to its `to`, keys kept when both ends name a
//! whole resource or module call. Blocks run in chain order (one whose
//! `from` is another's `to` runs after it), so `a` → `b` → `c` takes an
//! object from `a` to `c`. A block whose `from` has nothing recorded does
//! nothing; one whose destination is already recorded is an error at the
//! block. The plan carries the steps ([`PlannedMove`]); apply renames the
//! records in one state transaction before any other change, and every
//! later step of the plan sees the objects at their new addresses.
//!
//! `removed` blocks with `destroy` false turn the planned deletion of the
//! objects they name into [`Action::Forget`]: dropped from state, left
//! alone in the world.

use crate::PriorState;
use crate::plan::{Action, PlannedMove, ResourceChange};
use nimbus_config::{Config, InstanceAddr, Module, ModuleStep, Moved, Selector};
use nimbus_syntax::Diagnostic;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Where the object at `address` goes by `moved`, if the block names it.
fn relocate(moved: &Moved, address: &InstanceAddr) -> Option<InstanceAddr> {
    match (&moved.from.address, &moved.to.address) {
        // Whole resource: every instance, keys kept.
        (Selector::Block(from), Selector::Block(to)) => {
            (address.block == *from).then(|| InstanceAddr {
                block: to.clone(),
                key: address.key.clone(),
            })
        }
        // One instance; a block address on one side is its instance
        // without a key (`a` → `a[0]` when `count` is added).
        (from @ (Selector::Block(_) | Selector::Instance(_)), to) => {
            let from = as_instance(from)?;
            let to = as_instance(to)?;
            (*address == from).then_some(to)
        }
        (Selector::Module(from), Selector::Module(to)) => {
            let steps = &address.block.module;
            let (Some(last_from), Some(last_to)) = (from.last(), to.last()) else {
                return None;
            };
            let n = from.len();
            if steps.len() < n || steps[..n - 1] != from[..n - 1] {
                return None;
            }
            let step = &steps[n - 1];
            let mut module = to.clone();
            if last_from.key.is_none() && last_to.key.is_none() {
                // A whole module call: every instance, keys kept.
                if step.name != last_from.name {
                    return None;
                }
                if let Some(last) = module.last_mut() {
                    last.key = step.key.clone();
                }
            } else if *step != *last_from {
                return None;
            }
            module.extend(steps[n..].iter().cloned());
            let mut moved = address.clone();
            moved.block.module = module;
            Some(moved)
        }
        (Selector::Module(_), _) => None,
    }
}

fn as_instance(selector: &Selector) -> Option<InstanceAddr> {
    match selector {
        Selector::Block(block) => Some(InstanceAddr {
            block: block.clone(),
            key: None,
        }),
        Selector::Instance(instance) => Some(instance.clone()),
        Selector::Module(_) => None,
    }
}

/// The root module's `moved` blocks in the order they apply: a block
/// whose `from` is another's `to` after that one. A cycle is an error at
/// each of its blocks.
fn in_chain_order(moved: &[Moved]) -> Result<Vec<&Moved>, Vec<Diagnostic>> {
    let mut waiting: Vec<usize> = vec![0; moved.len()];
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); moved.len()];
    let by_to: HashMap<String, Vec<usize>> =
        moved
            .iter()
            .enumerate()
            .fold(HashMap::new(), |mut map, (i, m)| {
                map.entry(m.to.address.to_string()).or_default().push(i);
                map
            });
    for (i, m) in moved.iter().enumerate() {
        for &before in by_to.get(&m.from.address.to_string()).into_iter().flatten() {
            if before != i {
                waiting[i] += 1;
                next[before].push(i);
            }
        }
    }
    let mut ready: Vec<usize> = (0..moved.len()).filter(|&i| waiting[i] == 0).collect();
    ready.reverse();
    let mut order = Vec::with_capacity(moved.len());
    while let Some(i) = ready.pop() {
        order.push(&moved[i]);
        for &j in next[i].iter().rev() {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push(j);
            }
        }
    }
    if order.len() == moved.len() {
        return Ok(order);
    }
    Err(moved
        .iter()
        .enumerate()
        .filter(|(i, _)| waiting[*i] > 0)
        .map(|(_, m)| {
            Diagnostic::error(format!(
                "`moved` blocks form a cycle: {} moves to {}, which moves back",
                m.from.address, m.to.address
            ))
            .at(m.span)
        })
        .collect())
}

/// The modules an address's module path passes through, from the root:
/// `(k, module)` where `module` is what the first `k` steps lead to.
fn modules_along<'c>(config: &'c Config, steps: &[ModuleStep]) -> Vec<(usize, &'c Module)> {
    let mut out = Vec::with_capacity(steps.len() + 1);
    let mut module = config.root();
    out.push((0, module));
    for (i, step) in steps.iter().enumerate() {
        match nimbus_config::module_at(config, module, std::slice::from_ref(step)) {
            Some(next) => {
                module = next;
                out.push((i + 1, module));
            }
            None => break,
        }
    }
    out
}

/// `address` as seen from inside the module instance its first `k` module
/// steps name.
fn relative(address: &InstanceAddr, k: usize) -> InstanceAddr {
    let mut inner = address.clone();
    inner.block.module = address.block.module[k..].to_vec();
    inner
}

/// `inner` (an address inside a module instance) with the instance's
/// path, the first `k` module steps of `outer`, put back in front.
fn prefixed(outer: &InstanceAddr, k: usize, inner: InstanceAddr) -> InstanceAddr {
    let mut address = inner;
    let mut module = outer.block.module[..k].to_vec();
    module.append(&mut address.block.module);
    address.block.module = module;
    address
}

/// The moves the configuration's `moved` blocks make in `prior`, in the
/// order they apply: the root module's first, then each module's in every
/// instance of it. Errors: a cycle, a destination already recorded.
pub fn plan_moves(
    config: &Config,
    prior: &PriorState,
) -> Result<Vec<PlannedMove>, Vec<Diagnostic>> {
    let mut recorded: HashSet<String> = prior.keys().cloned().collect();
    let mut steps = Vec::new();
    let mut errors = Vec::new();
    for module in config.modules.iter().filter(|m| !m.moved.is_empty()) {
        let order = match in_chain_order(&module.moved) {
            Ok(order) => order,
            Err(cycle) => {
                errors.extend(cycle);
                continue;
            }
        };
        for block in order {
            let mut these: Vec<(String, String)> = recorded
                .iter()
                .filter_map(|text| {
                    let address = InstanceAddr::parse(text).ok()?;
                    let to = modules_along(config, &address.block.module)
                        .into_iter()
                        .filter(|(_, m)| std::ptr::eq(*m, module))
                        .find_map(|(k, _)| {
                            relocate(block, &relative(&address, k))
                                .map(|to| prefixed(&address, k, to))
                        })?;
                    Some((text.clone(), to.to_string()))
                })
                .collect();
            these.sort();
            for (from, to) in these {
                if recorded.contains(&to) {
                    errors.push(
                        Diagnostic::error(format!(
                            "cannot move {from} to {to}: an object is already recorded at {to}"
                        ))
                        .at(block.span)
                        .with_note(format!(
                            "help: if {to} is the object to keep, forget the other with `nimbus state rm {from}` (or destroy it); otherwise remove {to} from state first"
                        )),
                    );
                    continue;
                }
                recorded.remove(&from);
                recorded.insert(to.clone());
                steps.push(PlannedMove { from, to });
            }
        }
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

/// `prior` with the moves made: records renamed, in order. Borrowed when
/// there is nothing to move.
pub fn apply_to_prior<'p>(prior: &'p PriorState, moves: &[PlannedMove]) -> Cow<'p, PriorState> {
    if moves.is_empty() {
        return Cow::Borrowed(prior);
    }
    let mut moved = prior.clone();
    for step in moves {
        if let Some(mut record) = moved.remove(&step.from) {
            record.address = step.to.clone();
            moved.insert(step.to.clone(), record);
        }
    }
    Cow::Owned(moved)
}

/// The `moved` blocks whose `from` names an instance the configuration
/// still declares (`configured`: every planned instance address; in a
/// child module, in any instance of it). A whole block or module call
/// still declared is refused when loading.
pub fn still_declared(config: &Config, configured: &HashSet<String>) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for module in config.modules.iter().filter(|m| !m.moved.is_empty()) {
        let root = std::ptr::eq(module, config.root());
        // Inside a child module: the configured addresses as its
        // instances see them.
        let inside: HashSet<String> = if root {
            HashSet::new()
        } else {
            configured
                .iter()
                .filter_map(|text| InstanceAddr::parse(text).ok())
                .flat_map(|address| {
                    modules_along(config, &address.block.module)
                        .into_iter()
                        .filter(|(_, m)| std::ptr::eq(*m, module))
                        .map(|(k, _)| relative(&address, k).to_string())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let declared = if root { configured } else { &inside };
        for m in &module.moved {
            let from = match (&m.from.address, &m.to.address) {
                (Selector::Block(_), Selector::Block(_)) => continue,
                (from @ (Selector::Block(_) | Selector::Instance(_)), _) => match as_instance(from)
                {
                    Some(from) => from,
                    None => continue,
                },
                _ => continue,
            };
            if declared.contains(&from.to_string()) {
                errors.push(
                    Diagnostic::error(format!(
                        "`moved` from {from}, which the configuration still declares"
                    ))
                    .at(m.from.span)
                    .with_note(format!(
                        "help: change the configuration so that this object is declared as {} instead",
                        m.to.address
                    )),
                );
            }
        }
    }
    errors
}

/// Turns the planned deletion of objects that a `removed` block with
/// `destroy` false names (in the module it is written in, any instance of
/// it) into forgetting them.
pub fn forget_removed(config: &Config, changes: &mut [ResourceChange]) {
    if !config
        .modules
        .iter()
        .any(|m| m.removed.iter().any(|r| !r.destroy))
    {
        return;
    }
    for change in changes.iter_mut().filter(|c| c.action == Action::Delete) {
        let Ok(address) = InstanceAddr::parse(&change.address) else {
            continue;
        };
        let kept = modules_along(config, &address.block.module)
            .into_iter()
            .any(|(k, module)| {
                let inner = relative(&address, k);
                module
                    .removed
                    .iter()
                    .any(|r| !r.destroy && r.from.address.selects(&inner))
            });
        if kept {
            change.action = Action::Forget;
            change.reason =
                Some("`removed` with `destroy` false: the object is not destroyed".to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_config::{MemoryFiles, load};
    use nimbus_state::{ResourceRecord, ResourceStatus};
    use std::path::Path;

    fn config(text: &str) -> Config {
        let files = MemoryFiles::default().with("/p/main.nim", text);
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(!diags.iter().any(Diagnostic::is_error), "{diags:?}");
        config
    }

    fn prior(addresses: &[&str]) -> PriorState {
        addresses
            .iter()
            .map(|a| {
                (
                    a.to_string(),
                    ResourceRecord {
                        address: a.to_string(),
                        resource_type: "terraform-data".into(),
                        provider: "builtin".into(),
                        attributes: serde_json::json!({}),
                        sensitive_attributes: Vec::new(),
                        private: Vec::new(),
                        schema_version: 0,
                        dependencies: Vec::new(),
                        status: ResourceStatus::Ready,
                        last_run: None,
                    },
                )
            })
            .collect()
    }

    fn moves(text: &str, recorded: &[&str]) -> Result<Vec<String>, Vec<String>> {
        plan_moves(&config(text), &prior(recorded))
            .map(|steps| {
                steps
                    .iter()
                    .map(|s| format!("{} -> {}", s.from, s.to))
                    .collect()
            })
            .map_err(|ds| ds.into_iter().map(|d| d.message).collect())
    }

    #[test]
    fn whole_blocks_keep_their_keys_and_instances_move_alone() {
        let text = r#"(moved (from t.a) (to t.b))
                      (moved (from t.one) (to t.one[0]))
                      (moved (from t.many[0]) (to "t.many[\"k\"]"))"#;
        assert_eq!(
            moves(
                text,
                &["t.a[0]", "t.a[1]", "t.one", "t.many[0]", "t.many[1]"]
            )
            .unwrap(),
            [
                "t.a[0] -> t.b[0]",
                "t.a[1] -> t.b[1]",
                "t.one -> t.one[0]",
                "t.many[0] -> t.many[\"k\"]",
            ]
        );
    }

    #[test]
    fn modules_move_with_everything_in_them() {
        let text = r#"(moved (from module.old) (to module.new))
                      (moved (from module.one) (to module.one[0]))
                      (moved (from t.x) (to module.new.t.x))
                      (moved (from module.out.t.y) (to t.y))"#;
        assert_eq!(
            moves(
                text,
                &[
                    "module.old[\"a\"].t.n",
                    "module.old.module.inner.t.m",
                    "module.one.t.n",
                    "t.x",
                    "module.out.t.y",
                    "module.other.t.n"
                ]
            )
            .unwrap(),
            [
                "module.old.module.inner.t.m -> module.new.module.inner.t.m",
                "module.old[\"a\"].t.n -> module.new[\"a\"].t.n",
                "module.one.t.n -> module.one[0].t.n",
                "t.x -> module.new.t.x",
                "module.out.t.y -> t.y",
            ]
        );
    }

    #[test]
    fn chains_resolve_in_order_and_cycles_are_refused() {
        let chain = "(moved (from t.b) (to t.c)) (moved (from t.a) (to t.b))";
        assert_eq!(
            moves(chain, &["t.a"]).unwrap(),
            ["t.a -> t.b", "t.b -> t.c"]
        );
        let cycle = "(moved (from t.a) (to t.b)) (moved (from t.b) (to t.a))";
        assert_eq!(moves(cycle, &["t.a"]).unwrap_err().len(), 2);
    }

    #[test]
    fn a_destination_already_recorded_is_an_error() {
        let errors = moves("(moved (from t.a) (to t.b))", &["t.a", "t.b"]).unwrap_err();
        assert_eq!(
            errors,
            ["cannot move t.a to t.b: an object is already recorded at t.b"]
        );
        assert!(
            moves("(moved (from t.a) (to t.b))", &["t.b"])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn joined_chains_count_each_object_once() {
        let plan = crate::Plan {
            workspace: "default".into(),
            state_sequence: 0,
            destroy: false,
            changes: Vec::new(),
            outputs: Vec::new(),
            stale_dependencies: false,
            targets: Vec::new(),
            excludes: Vec::new(),
            replace: Vec::new(),
            moves: ["a b", "x y", "b c"]
                .iter()
                .map(|s| {
                    let (from, to) = s.split_once(' ').unwrap();
                    PlannedMove {
                        from: from.into(),
                        to: to.into(),
                    }
                })
                .collect(),
            imports: Vec::new(),
            warnings: Vec::new(),
            policy: Default::default(),
        };
        let joined: Vec<_> = plan
            .moved_objects()
            .into_iter()
            .map(|m| format!("{} -> {}", m.from, m.to))
            .collect();
        assert_eq!(joined, ["a -> c", "x -> y"]);
        assert_eq!(plan.summary().moved, 2);
        assert!(plan.has_changes());
    }
}
