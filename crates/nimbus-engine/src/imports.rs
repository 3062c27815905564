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
use nimbus_config::{ImportBlock, InstanceAddr, Selector};
use nimbus_eval::{Context, Inputs, Scope, eval_variables};
use nimbus_syntax::Diagnostic;
use nimbus_value::Value;
use std::collections::HashSet;

/// The instance an `import` block names (a block address names its
/// instance without a key).
pub(crate) fn target(import: &ImportBlock) -> Option<InstanceAddr> {
    match &import.to.address {
        Selector::Block(block) => Some(InstanceAddr {
            block: block.clone(),
            key: None,
        }),
        Selector::Instance(instance) => Some(instance.clone()),
        Selector::Module(_) => None,
    }
}

impl Engine<'_> {
    /// The imports the root module's `import` blocks plan against `prior`
    /// (already moved), each object read into `prior`.
    pub(crate) async fn plan_imports(
        &self,
        inputs: &Inputs,
        prior: &mut PriorState,
        options: &RunOptions,
    ) -> Result<Vec<PlannedImport>, Vec<Diagnostic>> {
        let blocks = &self.config.root().import_blocks;
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let ids = self.import_ids(inputs)?;
        let mut errors = Vec::new();
        let mut wanted = Vec::new();
        let mut seen = HashSet::new();
        for (block, (id, sensitive)) in blocks.iter().zip(ids) {
            let Some(address) = target(block) else {
                continue;
            };
            let address = address.to_string();
            // `--target`/`--exclude` select imports as they select changes.
            let targeted = options.targets.is_empty()
                || options.targets.iter().any(|t| crate::selects(t, &address));
            if !targeted || options.excludes.iter().any(|e| crate::selects(e, &address)) {
                continue;
            }
            if !seen.insert(address.clone()) {
                errors.push(
                    Diagnostic::error(format!("{address} is imported by two `import` blocks"))
                        .at(block.span),
                );
                continue;
            }
            match prior.get(&address) {
                Some(record) => {
                    let recorded = record.attributes.get("id").and_then(|v| v.as_str());
                    if recorded != Some(id.as_str()) {
                        let shown = if sensitive {
                            "(sensitive)".to_string()
                        } else {
                            format!("{id:?}")
                        };
                        errors.push(
                            Diagnostic::error(format!(
                                "{address} is already managed, as another object than the `import` block's id {shown}"
                            ))
                            .at(block.span)
                            .with_note("help: an import brings an object that is not managed yet; remove this `import` block, or `nimbus state rm` the recorded object first"),
                        );
                    }
                }
                None => wanted.push((block, address, id, sensitive)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        self.configure_providers(inputs, options).await?;
        let mut planned = Vec::new();
        for (block, address, id, sensitive) in wanted {
            if let Some(provider) = &block.provider
                && let Some(resource) = self.find_block(crate::block_of(&address))
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
            match self.import_object(&address, &id, options).await {
                Ok(record) => {
                    prior.insert(address.clone(), record);
                    planned.push(PlannedImport {
                        address,
                        id,
                        sensitive,
                    });
                }
                Err(d) => errors.push(d.at(block.span)),
            }
        }
        if errors.is_empty() {
            Ok(planned)
        } else {
            Err(errors)
        }
    }

    /// Each `import` block's id, evaluated from the root module's
    /// variables and locals: known, a string.
    fn import_ids(&self, inputs: &Inputs) -> Result<Vec<(String, bool)>, Vec<Diagnostic>> {
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
        let mut ids = Vec::new();
        for block in &self.config.root().import_blocks {
            let value = Context::new(index, &scope).eval(&block.id);
            match value {
                Ok(value) if !value.is_wholly_known() => errors.push(
                    Diagnostic::error("the `import` id is not known until apply")
                        .at(block.id.span)
                        .with_note("note: the id must be known when planning: write it from variables, locals or literal text"),
                ),
                Ok(value) => {
                    let sensitive = value.is_sensitive();
                    match value.unmark().0 {
                        Value::String(id) if !id.is_empty() => ids.push((id, sensitive)),
                        Value::Number(n) => ids.push((n.to_string(), sensitive)),
                        other => errors.push(
                            Diagnostic::error(format!(
                                "the `import` id must be a non-empty string, found {}",
                                if sensitive { "a sensitive value".to_string() } else { other.kind_name().to_string() }
                            ))
                            .at(block.id.span),
                        ),
                    }
                }
                Err(d) => errors.push(d),
            }
        }
        if errors.is_empty() {
            Ok(ids)
        } else {
            errors.extend(problems.into_iter().filter(Diagnostic::is_error));
            Err(errors)
        }
    }
}

/// `import` blocks whose instance the configuration does not declare
/// (`configured`: every planned instance address), such as an index past
/// `count`.
pub(crate) fn undeclared_targets(
    config: &nimbus_config::Config,
    configured: &HashSet<String>,
) -> Vec<Diagnostic> {
    config
        .root()
        .import_blocks
        .iter()
        .filter_map(|block| {
            let address = target(block)?.to_string();
            (!configured.contains(&address)).then(|| {
                Diagnostic::error(format!(
                    "`import` into {address}, which the configuration does not declare"
                ))
                .at(block.to.span)
                .with_note("note: with `count` the instances are `NAME[0]`, `NAME[1]` ...; with `for-each`, `NAME[\"KEY\"]`")
            })
        })
        .collect()
}
