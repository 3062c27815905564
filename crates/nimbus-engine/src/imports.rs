//! `import` blocks: existing objects brought under management by a plan.
//!
//! Planning evaluates each block's id (from variables and locals: it must
//! be known then) and asks the provider for the object (its import, then
//! a read, through the same [`Engine::import_object`] as `nimbus
//! import`), without recording anything. The object joins the prior
//! state the plan diffs against, so the plan shows the import and any
//! update the configuration needs. An address already recorded with the
//! same id is left alone; with another id it is an error. Apply imports
//! again and records each object (an `Import` intent, closed with the
//! record) before the changes are made.

use crate::expansion::locals_in_order;
use crate::plan::PlannedImport;
use crate::{Engine, PriorState, RunOptions};
use nimbus_config::{ImportBlock, InstanceAddr, InstanceKey, Selector};
use nimbus_eval::{Context, Expansion, Inputs, Scope, eval_variables, expand_for_each};
use nimbus_syntax::Diagnostic;
use nimbus_value::Value;
use std::collections::HashSet;

/// The instance an `import` block without `for-each` names (a block
/// address names its instance without a key).
fn target(import: &ImportBlock) -> Option<InstanceAddr> {
    match &import.to.address {
        Selector::Block(block) => Some(InstanceAddr {
            block: block.clone(),
            key: None,
        }),
        Selector::Instance(instance) => Some(instance.clone()),
        Selector::Module(_) => None,
    }
}

/// One object an `import` block asks for: a block without `for-each`
/// asks for one, one with it for one per element.
pub(crate) struct Target<'c> {
    pub block: &'c ImportBlock,
    pub address: String,
    pub id: String,
    pub sensitive: bool,
}

impl Engine<'_> {
    /// The imports the root module's `import` blocks plan against `prior`
    /// (already moved), each object read into `prior`; and every
    /// instance the blocks name, for [`undeclared_targets`].
    pub(crate) async fn plan_imports(
        &self,
        inputs: &Inputs,
        prior: &mut PriorState,
        options: &RunOptions,
    ) -> Result<(Vec<PlannedImport>, Vec<Target<'_>>), Vec<Diagnostic>> {
        if self.config.root().import_blocks.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let targets = self.import_targets(inputs)?;
        let mut errors = Vec::new();
        let mut wanted = Vec::new();
        let mut seen = HashSet::new();
        for target in &targets {
            let address = &target.address;
            // `--target`/`--exclude` select imports as they select changes.
            let targeted = options.targets.is_empty()
                || options.targets.iter().any(|t| crate::selects(t, address));
            if !targeted || options.excludes.iter().any(|e| crate::selects(e, address)) {
                continue;
            }
            if !seen.insert(address.clone()) {
                errors.push(
                    Diagnostic::error(format!("{address} is imported twice")).at(target.block.span),
                );
                continue;
            }
            // As in Terraform, an `import` block whose address is already
            // recorded has done its work: it may stay in the configuration
            // as a record of where the object came from. (The recorded
            // `id` attribute is not compared with the block's id: the
            // import id is the provider's choice, a path or a name, and need
            // not be the object's `id`.)
            if !prior.contains_key(address) {
                wanted.push(target);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if wanted.is_empty() {
            return Ok((Vec::new(), targets));
        }
        self.configure_providers(inputs, options).await?;
        let mut planned = Vec::new();
        for target in wanted {
            let address = &target.address;
            if let Some(provider) = &target.block.provider
                && let Some(resource) = self.find_block(crate::block_of(address))
            {
                let handle = self.providers.for_resource(resource).map_err(|d| vec![d])?;
                if *handle.address != *provider.text {
                    errors.push(
                        Diagnostic::error(format!(
                            "the `import` block names provider `{}`, but {address} uses `{}`",
                            provider.text, handle.address
                        ))
                        .at(provider.span),
                    );
                    continue;
                }
            }
            match self.import_object(address, &target.id, options).await {
                Ok(record) => {
                    prior.insert(address.clone(), record);
                    planned.push(PlannedImport {
                        address: address.clone(),
                        id: target.id.clone(),
                        sensitive: target.sensitive,
                    });
                }
                Err(d) => errors.push(d.at(target.block.span)),
            }
        }
        if errors.is_empty() {
            Ok((planned, targets))
        } else {
            Err(errors)
        }
    }

    /// Each object the `import` blocks name, with its id, evaluated from
    /// the root module's variables and locals (and, under `for-each`,
    /// `each-key`/`each-value`): known, a string.
    fn import_targets(&self, inputs: &Inputs) -> Result<Vec<Target<'_>>, Vec<Diagnostic>> {
        let index = &self.graph.indexes[0];
        let mut scope = Scope::default();
        let mut problems = Vec::new();
        eval_variables(index, &mut scope, inputs, &mut problems);
        for &i in &locals_in_order(&self.graph)[0] {
            let local = &index.module.locals[i];
            // A local that cannot be evaluated yet is left out: an id that
            // reads it is reported below.
            if let Ok(value) = Context::new(index, &scope).eval(&local.value) {
                scope.locals.insert(local.name.text.clone(), value);
            }
        }
        let mut errors = Vec::new();
        let mut targets = Vec::new();
        for block in &self.config.root().import_blocks {
            let Some(for_each) = &block.for_each else {
                let Some(address) = target(block) else {
                    continue;
                };
                match import_id(&mut Context::new(index, &scope), block) {
                    Ok((id, sensitive)) => targets.push(Target {
                        block,
                        address: address.to_string(),
                        id,
                        sensitive,
                    }),
                    Err(d) => errors.push(d),
                }
                continue;
            };
            let elements = match expand_for_each(&mut Context::new(index, &scope), for_each) {
                Ok(Expansion::Keys(elements)) => elements,
                Ok(_) => continue,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            };
            for (key, value) in &elements {
                let mut ctx = Context::new(index, &scope);
                ctx.each = Some((key, value));
                let address = match (&block.to.address, &block.to_key) {
                    (Selector::Block(b), Some(key)) => match ctx.eval(key) {
                        Ok(k) => match instance_key(&k) {
                            Some(k) => InstanceAddr {
                                block: b.clone(),
                                key: Some(k),
                            },
                            None => {
                                errors.push(
                                    Diagnostic::error("an instance key is a known whole number or string, not sensitive")
                                        .at(key.span),
                                );
                                continue;
                            }
                        },
                        Err(d) => {
                            errors.push(d);
                            continue;
                        }
                    },
                    _ => match target(block) {
                        Some(address) => address,
                        None => continue,
                    },
                };
                match import_id(&mut ctx, block) {
                    Ok((id, sensitive)) => targets.push(Target {
                        block,
                        address: address.to_string(),
                        id,
                        sensitive,
                    }),
                    Err(d) => errors.push(d),
                }
            }
        }
        if errors.is_empty() {
            Ok(targets)
        } else {
            errors.extend(problems.into_iter().filter(Diagnostic::is_error));
            Err(errors)
        }
    }
}

/// An evaluated instance key: a whole number or a string, known, not secret.
fn instance_key(value: &Value) -> Option<InstanceKey> {
    match value {
        Value::String(s) => Some(InstanceKey::Key(s.clone())),
        Value::Number(n) => n
            .as_i128()
            .and_then(|i| u64::try_from(i).ok())
            .map(InstanceKey::Index),
        _ => None,
    }
}

/// A block's id in `ctx`: known, a non-empty string (a number is taken as
/// its text); whether it is sensitive.
fn import_id(ctx: &mut Context<'_>, block: &ImportBlock) -> Result<(String, bool), Diagnostic> {
    let value = ctx.eval(&block.id)?;
    if !value.is_wholly_known() {
        return Err(Diagnostic::error("the `import` id is not known until apply")
            .at(block.id.span)
            .with_note("note: the id must be known when planning: write it from variables, locals or literal text"));
    }
    let sensitive = value.is_sensitive();
    match value.unmark().0 {
        Value::String(id) if !id.is_empty() => Ok((id, sensitive)),
        Value::Number(n) => Ok((n.to_string(), sensitive)),
        other => Err(Diagnostic::error(format!(
            "the `import` id must be a non-empty string, found {}",
            if sensitive {
                "a sensitive value"
            } else {
                other.kind_name()
            }
        ))
        .at(block.id.span)),
    }
}

/// `import` targets that the configuration does not declare
/// (`configured`: every planned instance address), such as an index past
/// `count`.
pub(crate) fn undeclared_targets(
    targets: &[Target<'_>],
    configured: &HashSet<String>,
) -> Vec<Diagnostic> {
    targets
        .iter()
        .filter(|t| !configured.contains(&t.address))
        .map(|t| {
            Diagnostic::error(format!(
                "`import` into {}, which the configuration does not declare",
                t.address
            ))
            .at(t.block.to.span)
            .with_note("note: with `count` the instances are `NAME[0]`, `NAME[1]` ...; with `for-each`, `NAME[\"KEY\"]`")
        })
        .collect()
}
