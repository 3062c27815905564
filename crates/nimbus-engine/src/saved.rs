//! Saved plans: what `plan -out FILE` writes and the contract `apply FILE`
//! keeps.
//!
//! The contract (Terraform's): a saved plan binds what is applied. It
//! names the directory, workspace and state it was made against, and
//! applying it anywhere else, or after the state moved on, is refused.
//! Before any provider is asked to change anything, the configuration is
//! planned again against the plan's own view of each object; if it no
//! longer produces the saved plan (another action, another address, a
//! value planned as known that now differs), the apply is refused with the
//! differing addresses named. During the apply, every value the plan knew
//! is checked again against what is about to be applied
//! ([`conforms`]).

use crate::plan::{Action, OutputChange, Plan, ResourceChange};
use nimbus_value::Value;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Version of the saved plan file format. 2 added the directory and the
/// plan's target selection; 3 the seal.
pub const PLAN_FORMAT: u32 = 3;

/// What an encrypted plan file is bound to: its associated data. The
/// fields are also kept in the clear so that a plan for another directory,
/// workspace or serial is refused with the usual message; the binding is
/// the cryptographic guard behind those checks (a file whose clear fields
/// were edited does not decrypt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanBinding {
    pub directory: PathBuf,
    pub workspace: String,
    /// The state's lineage (a random id made with it).
    pub lineage: String,
    /// The workspace's head event the plan was made against.
    pub serial: u64,
    /// [`configuration_hash`] of the configuration it was made from.
    pub configuration: String,
}

impl PlanBinding {
    /// The associated data: the binding, serialised.
    pub fn aad(&self) -> Vec<u8> {
        // Strings and a number always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Whether a plan bound to `self` may be opened where things are
    /// `current`: the refusals name the first difference.
    pub fn check(&self, current: &PlanBinding) -> Result<(), SavedPlanError> {
        if self.directory != current.directory {
            return Err(SavedPlanError::WrongDirectory {
                made_in: self.directory.clone(),
                here: current.directory.clone(),
            });
        }
        if self.workspace != current.workspace {
            return Err(SavedPlanError::WrongWorkspace {
                planned: self.workspace.clone(),
                current: current.workspace.clone(),
            });
        }
        if self.lineage != current.lineage {
            return Err(SavedPlanError::WrongState);
        }
        if self.serial != current.serial {
            return Err(SavedPlanError::Stale {
                planned: self.serial,
                current: current.serial,
            });
        }
        if self.configuration != current.configuration {
            return Err(SavedPlanError::ConfigurationChanged);
        }
        Ok(())
    }
}

/// A saved plan encrypted with the state's key (when the state is
/// encrypted): AES-256-GCM with the [`PlanBinding`] as associated data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EncryptedPlan {
    pub format: u32,
    pub binding: PlanBinding,
    /// The sealed [`SavedPlan`] file.
    pub ciphertext: String,
}

impl EncryptedPlan {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A plan file as read: in the clear or encrypted.
// Read once per command; boxing the plan would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum PlanFile {
    Plain(SavedPlan),
    Encrypted(EncryptedPlan),
}

impl PlanFile {
    /// Reads a plan file's bytes (see [`SavedPlan::from_bytes`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<PlanFile, SavedPlanError> {
        #[derive(Deserialize)]
        struct Header {
            format: u32,
            #[serde(default)]
            ciphertext: Option<serde::de::IgnoredAny>,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| SavedPlanError::NotAPlan(e.to_string()))?;
        if header.format != PLAN_FORMAT {
            return Err(SavedPlanError::UnsupportedFormat {
                found: header.format,
            });
        }
        if header.ciphertext.is_some() {
            return serde_json::from_slice(bytes)
                .map(PlanFile::Encrypted)
                .map_err(|e| SavedPlanError::NotAPlan(e.to_string()));
        }
        SavedPlan::from_bytes(bytes).map(PlanFile::Plain)
    }
}

/// SHA-256 (hex) of the configuration's files, by path: what an encrypted
/// plan binds.
pub fn configuration_hash(sources: &nimbus_syntax::SourceMap) -> String {
    use sha2::Digest;
    let mut files: Vec<(&Path, &str)> = sources
        .files()
        .map(|(_, f)| (f.path.as_path(), f.text.as_str()))
        .collect();
    files.sort();
    let mut hash = sha2::Sha256::new();
    for (path, text) in files {
        let path = path.to_string_lossy();
        hash.update((path.len() as u64).to_le_bytes());
        hash.update(path.as_bytes());
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(text.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// What `plan -out` writes: the plan and everything it was made with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: u32,
    pub nimbus_version: String,
    /// The working directory the plan belongs to (absolute, canonical).
    pub directory: PathBuf,
    pub plan: Plan,
    /// The variable values the plan was made with, by name.
    pub inputs: Vec<(String, Value)>,
    /// [`configuration_hash`] of the configuration the plan was made from,
    /// for what shows the plan beside its configuration (`show`): apply
    /// does not need it, as it checks that the configuration still
    /// produces the plan. Under the seal like the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
    /// HMAC-SHA256 (hex) of the rest of the file under the state's plan
    /// key ([`crate::ops::plan_key`]): a plan edited after it was written
    /// (its values and its inputs changed together so that they agree) is
    /// refused, and so is a plan written for another state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
    /// Whether it was read from an encrypted plan file (not part of the
    /// file: set by [`crate::ops::open_plan`]).
    #[serde(skip)]
    pub was_encrypted: bool,
}

/// Why a saved plan cannot be applied here and now.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("this is not a Nimbus plan file: {0}")]
    NotAPlan(String),
    #[error(
        "plan format {found} is not supported by this version of Nimbus (it reads format {PLAN_FORMAT}); run `nimbus plan -out FILE` again"
    )]
    UnsupportedFormat { found: u32 },
    #[error(
        "the plan was made in {}, but this command runs in {}; apply it there: nimbus -C {} apply FILE",
        made_in.display(), here.display(), made_in.display()
    )]
    WrongDirectory { made_in: PathBuf, here: PathBuf },
    #[error(
        "the plan was made for workspace `{planned}`, but the current workspace is `{current}`"
    )]
    WrongWorkspace { planned: String, current: String },
    #[error(
        "the saved plan is stale: the state changed since it was made (event {planned} then, {current} now); run `nimbus plan` again"
    )]
    Stale { planned: u64, current: u64 },
    #[error(
        "the plan file was changed after it was written, or was written for another state: it is not applied; run `nimbus plan -out FILE` again"
    )]
    SealBroken,
    #[error(
        "the plan was made for another state (another lineage) than this directory's; run `nimbus plan -out FILE` again"
    )]
    WrongState,
    #[error("the configuration changed since the plan was made; run `nimbus plan -out FILE` again")]
    ConfigurationChanged,
    #[error(
        "the plan was saved by an earlier version of Nimbus, which did not record the configuration it was made from; run `nimbus plan -out FILE` again"
    )]
    ConfigurationNotRecorded,
    #[error(
        "the plan is encrypted with the state's key, but the state is not encrypted: it was made for another state"
    )]
    StateNotEncrypted,
    #[error(
        "the plan file is not encrypted, but the state is: it was made before the state was encrypted; run `nimbus plan -out FILE` again"
    )]
    NotEncrypted,
    #[error(
        "the encrypted plan does not decrypt with the state's key for this state, serial and configuration: it was changed, replayed or made for another state; run `nimbus plan -out FILE` again"
    )]
    Undecryptable,
}

impl SavedPlan {
    /// A plan to save, made in `directory` from the configuration whose
    /// [`configuration_hash`] is `configuration`.
    pub fn new(
        directory: &Path,
        configuration: String,
        plan: Plan,
        inputs: Vec<(String, Value)>,
    ) -> SavedPlan {
        let mut inputs = inputs;
        inputs.sort_by(|a, b| a.0.cmp(&b.0));
        SavedPlan {
            format: PLAN_FORMAT,
            nimbus_version: env!("CARGO_PKG_VERSION").to_string(),
            directory: directory.to_path_buf(),
            plan,
            inputs,
            configuration: Some(configuration),
            seal: None,
            was_encrypted: false,
        }
    }

    /// Seals the plan with the state's plan key (see [`SavedPlan::seal`]).
    pub fn sealed(mut self, key: &[u8]) -> SavedPlan {
        self.seal = Some(self.mac(key));
        self
    }

    /// Whether the plan is exactly as it was written for the state whose
    /// plan key is `key`. Checked before anything else is read from it.
    pub fn check_seal(&self, key: &[u8]) -> Result<(), SavedPlanError> {
        let expected = self.mac(key);
        // Constant-time comparison: the MAC is a secret-derived value.
        let matches = self.seal.as_ref().is_some_and(|seal| {
            seal.len() == expected.len()
                && seal
                    .bytes()
                    .zip(expected.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if matches {
            Ok(())
        } else {
            Err(SavedPlanError::SealBroken)
        }
    }

    /// The MAC of everything but the seal: the file's bytes as written
    /// without it (serialization is deterministic: vectors and ordered maps).
    fn mac(&self, key: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let unsealed = SavedPlan {
            seal: None,
            ..self.clone()
        };
        // Any key length is accepted by HMAC.
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(&unsealed.to_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The variable values the plan was made with, as the run's inputs:
    /// applying a saved plan uses them, not what is set now.
    pub fn inputs(&self) -> nimbus_eval::Inputs {
        self.inputs
            .iter()
            .map(|(name, value)| {
                (
                    name.clone(),
                    nimbus_eval::InputValue {
                        value: value.clone(),
                        origin: nimbus_eval::InputOrigin::CommandLine,
                    },
                )
            })
            .collect()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // A plan of values and strings always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a plan file's bytes; an older or newer format is named as
    /// such rather than reported as a parse error.
    pub fn from_bytes(bytes: &[u8]) -> Result<SavedPlan, SavedPlanError> {
        #[derive(Deserialize)]
        struct Header {
            format: u32,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| SavedPlanError::NotAPlan(e.to_string()))?;
        if header.format != PLAN_FORMAT {
            return Err(SavedPlanError::UnsupportedFormat {
                found: header.format,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| SavedPlanError::NotAPlan(e.to_string()))
    }

    /// Whether the plan belongs to `directory` (canonical). Checked before
    /// anything else is read there.
    pub fn check_directory(&self, directory: &Path) -> Result<(), SavedPlanError> {
        if self.directory != directory {
            return Err(SavedPlanError::WrongDirectory {
                made_in: self.directory.clone(),
                here: directory.to_path_buf(),
            });
        }
        Ok(())
    }

    /// Whether the configuration, whose [`configuration_hash`] is
    /// `current`, is the one the plan was made from. A plan saved without
    /// the hash (by an earlier version) cannot say, and is refused.
    pub fn check_configuration(&self, current: &str) -> Result<(), SavedPlanError> {
        match self.configuration.as_deref() {
            Some(made_from) if made_from == current => Ok(()),
            Some(_) => Err(SavedPlanError::ConfigurationChanged),
            None => Err(SavedPlanError::ConfigurationNotRecorded),
        }
    }

    /// Whether the plan may be applied to `workspace`, whose head event is
    /// `state_sequence`.
    pub fn check_applicable(
        &self,
        workspace: &str,
        state_sequence: u64,
    ) -> Result<(), SavedPlanError> {
        if self.plan.workspace != workspace {
            return Err(SavedPlanError::WrongWorkspace {
                planned: self.plan.workspace.clone(),
                current: workspace.to_string(),
            });
        }
        if self.plan.state_sequence != state_sequence {
            return Err(SavedPlanError::Stale {
                planned: self.plan.state_sequence,
                current: state_sequence,
            });
        }
        Ok(())
    }
}

/// Whether `now` is what `planned` promised: every value the plan knew is
/// the same; where the plan had an unknown, anything goes. Sensitive marks
/// do not matter here (stored plans keep values unmarked).
pub fn conforms(planned: &Value, now: &Value) -> bool {
    match (planned.peel(), now.peel()) {
        (Value::Unknown, _) => true,
        (Value::Map(p), Value::Map(n)) => {
            p.len() == n.len()
                && p.iter()
                    .all(|(k, pv)| n.get(k).is_some_and(|nv| conforms(pv, nv)))
        }
        (Value::List(p), Value::List(n)) => {
            p.len() == n.len() && p.iter().zip(n).all(|(pv, nv)| conforms(pv, nv))
        }
        (p, n) => p == n,
    }
}

/// Top-level attributes of an object whose planned values `now` breaks.
pub fn nonconforming_attributes(planned: &Value, now: &Value) -> Vec<String> {
    let empty = BTreeMap::new();
    let p = planned.peel().as_map().unwrap_or(&empty);
    let n = now.peel().as_map().unwrap_or(&empty);
    let mut names: Vec<String> = p
        .keys()
        .chain(n.keys())
        .filter(|k| match (p.get(*k), n.get(*k)) {
            (Some(pv), Some(nv)) => !conforms(pv, nv),
            (Some(pv), None) => !pv.is_unknown() && !pv.is_null(),
            (None, Some(nv)) => !nv.is_null(),
            (None, None) => false,
        })
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() && !conforms(planned, now) {
        // Not an object, or the difference is not in a named attribute.
        names.push("(the whole object)".to_string());
    }
    names
}

/// One way a fresh plan departs from the saved one. Messages name
/// addresses and attributes, never values: plans hold secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDeparture {
    pub address: String,
    pub detail: String,
}

impl std::fmt::Display for PlanDeparture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.address, self.detail)
    }
}

/// Everything in which `now` (the configuration planned again against the
/// saved plan's view of each object) departs from `saved`.
pub fn departures(saved: &Plan, now: &Plan) -> Vec<PlanDeparture> {
    let changes = |plan: &'_ Plan| -> HashMap<String, ResourceChange> {
        plan.changes
            .iter()
            .filter(|c| c.action.is_change())
            .map(|c| (c.address.clone(), c.clone()))
            .collect()
    };
    let saved_changes = changes(saved);
    let now_changes = changes(now);
    let mut out = Vec::new();
    for (address, planned) in &saved_changes {
        let Some(current) = now_changes.get(address) else {
            out.push(PlanDeparture {
                address: address.clone(),
                detail: format!(
                    "the saved plan will {} it, but the configuration now plans no change",
                    planned.action.verb()
                ),
            });
            continue;
        };
        if planned.action != current.action {
            out.push(PlanDeparture {
                address: address.clone(),
                detail: format!(
                    "the saved plan will {} it, but the configuration now plans to {} it",
                    planned.action.verb(),
                    current.action.verb()
                ),
            });
            continue;
        }
        if planned.action == Action::Delete {
            continue;
        }
        let attributes = match (&planned.after, &current.after) {
            (Some(p), Some(n)) => nonconforming_attributes(p, n),
            (None, None) => Vec::new(),
            _ => vec!["(the whole object)".to_string()],
        };
        if !attributes.is_empty() {
            out.push(PlanDeparture {
                address: address.clone(),
                detail: format!(
                    "the configuration now gives other values than the saved plan for {}",
                    quoted_list(&attributes)
                ),
            });
        }
    }
    for (address, current) in &now_changes {
        if !saved_changes.contains_key(address) {
            out.push(PlanDeparture {
                address: address.clone(),
                detail: format!(
                    "the configuration now plans to {} it, but the saved plan has no change for it",
                    current.action.verb()
                ),
            });
        }
    }
    out.extend(output_departures(&saved.outputs, &now.outputs));
    out.extend(refactoring_departures(saved, now));
    out.sort_by(|a, b| a.address.cmp(&b.address).then(a.detail.cmp(&b.detail)));
    out
}

/// Moves and imports the saved plan makes that the configuration no
/// longer makes, and the other way round.
fn refactoring_departures(saved: &Plan, now: &Plan) -> Vec<PlanDeparture> {
    let mut out = Vec::new();
    let (saved_moves, now_moves) = (saved.moved_objects(), now.moved_objects());
    for m in saved_moves.iter().filter(|m| !now_moves.contains(m)) {
        out.push(PlanDeparture {
            address: m.from.clone(),
            detail: format!(
                "the saved plan moves it to {}, but the configuration no longer does",
                m.to
            ),
        });
    }
    for m in now_moves.iter().filter(|m| !saved_moves.contains(m)) {
        out.push(PlanDeparture {
            address: m.from.clone(),
            detail: format!(
                "the configuration now moves it to {}, but the saved plan does not",
                m.to
            ),
        });
    }
    let ids = |plan: &Plan| -> HashMap<String, String> {
        plan.imports
            .iter()
            .map(|i| (i.address.clone(), i.id.clone()))
            .collect()
    };
    let (saved_imports, now_imports) = (ids(saved), ids(now));
    for (address, id) in &saved_imports {
        if now_imports.get(address) != Some(id) {
            out.push(PlanDeparture {
                address: address.clone(),
                detail:
                    "the saved plan imports it, but the configuration no longer imports that object"
                        .to_string(),
            });
        }
    }
    for (address, id) in &now_imports {
        if saved_imports.get(address) != Some(id) {
            out.push(PlanDeparture {
                address: address.clone(),
                detail: "the configuration now imports an object here, but the saved plan does not"
                    .to_string(),
            });
        }
    }
    out
}

fn output_departures(saved: &[OutputChange], now: &[OutputChange]) -> Vec<PlanDeparture> {
    // A removal is kept apart from a value: an unknown value accepts any
    // value, never the output's removal.
    let by_name = |outputs: &'_ [OutputChange]| -> HashMap<String, Option<Value>> {
        outputs
            .iter()
            .map(|o| (o.name.clone(), (!o.removed).then(|| o.after.clone())))
            .collect()
    };
    let saved = by_name(saved);
    let now = by_name(now);
    let mut out = Vec::new();
    for (name, planned) in &saved {
        let detail = match (planned, now.get(name)) {
            (Some(_), None | Some(None)) => {
                "the saved plan sets this output, but the configuration no longer has it"
            }
            (None, Some(Some(_))) => {
                "the saved plan removes this output, but the configuration has it again"
            }
            (Some(planned), Some(Some(current))) if !conforms(planned, current) => {
                "the configuration now gives this output another value than the saved plan"
            }
            _ => continue,
        };
        out.push(PlanDeparture {
            address: format!("output.{name}"),
            detail: detail.to_string(),
        });
    }
    for (name, current) in &now {
        if !saved.contains_key(name) {
            out.push(PlanDeparture {
                address: format!("output.{name}"),
                detail: match current {
                    Some(_) => "the configuration now has this output, but the saved plan does not",
                    None => {
                        "the configuration now removes this output, but the saved plan does not"
                    }
                }
                .to_string(),
            });
        }
    }
    out
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    use nimbus_provider::testing::obj;

    #[test]
    fn unknowns_in_the_plan_accept_any_value() {
        let planned = obj(&[("id", Value::Unknown), ("input", Value::string("a"))]);
        let now = obj(&[("id", Value::string("x")), ("input", Value::string("a"))]);
        assert!(conforms(&planned, &now));
        assert!(nonconforming_attributes(&planned, &now).is_empty());
    }

    #[test]
    fn a_known_value_that_changed_is_named() {
        let planned = obj(&[("input", Value::string("REVIEWED"))]);
        let now = obj(&[("input", Value::string("SNEAKED-IN"))]);
        assert!(!conforms(&planned, &now));
        assert_eq!(nonconforming_attributes(&planned, &now), vec!["input"]);
    }

    #[test]
    fn nested_values_and_lengths_are_compared() {
        let planned = obj(&[("tags", Value::List(vec![Value::string("a")]))]);
        let longer = obj(&[(
            "tags",
            Value::List(vec![Value::string("a"), Value::string("b")]),
        )]);
        assert_eq!(nonconforming_attributes(&planned, &longer), vec!["tags"]);
        let marked = obj(&[(
            "tags",
            Value::List(vec![Value::string("a").into_sensitive()]),
        )]);
        assert!(conforms(&planned, &marked), "marks do not matter");
    }

    #[test]
    fn a_known_value_that_became_unknown_does_not_conform() {
        let planned = obj(&[("input", Value::string("a"))]);
        let now = obj(&[("input", Value::Unknown)]);
        assert!(!conforms(&planned, &now));
    }
}
