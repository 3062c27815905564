//! What every resource type implements, and the planning they share.

use crate::clients::Clients;
use crate::policy;
use crate::util::{Object, attr, normalize};
use async_trait::async_trait;
use nimbus_provider::nimbus_value::{Presence, Schema, Value};
use nimbus_provider::{PlanRequest, PlanResponse, ProviderError};
use std::path::Path;

/// What plan-time hooks may look at.
pub(crate) struct PlanContext<'a> {
    pub base_dir: &'a Path,
    pub prior: Option<&'a Value>,
    /// True when the object will be created (new or replaced).
    pub fresh: bool,
}

#[async_trait]
pub(crate) trait ResourceType: Send + Sync {
    fn name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Values of unset optional attributes, applied at plan time so that
    /// the plan shows them and drift from them is seen.
    fn defaults(&self) -> Vec<(&'static str, Value)> {
        Vec::new()
    }

    /// Attributes holding JSON documents, compared by meaning.
    fn documents(&self) -> &'static [&'static str] {
        &[]
    }

    /// Checks the configuration beyond the schema; unknown values are
    /// skipped.
    fn check(&self, _config: &Value) -> Vec<ProviderError> {
        Vec::new()
    }

    /// Fills in what planning can know beyond the configuration (hashes of
    /// local files, derived names).
    fn plan_more(
        &self,
        _ctx: &PlanContext<'_>,
        _planned: &mut Object,
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Creates the object; returns its full state.
    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError>;

    /// Reads the object; `None` when it is gone. `state` is the last known
    /// state (attributes AWS cannot tell, like `force-destroy`, come from it).
    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError>;

    /// Changes the object in place; returns its full state.
    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError>;

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError>;

    /// The state of an existing object, found by its import id.
    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError>;
}

/// Plans a change the way every AWS resource type does:
///
/// - configured attributes take their configured value (empty collections
///   count as unset); unset ones with a default take the default; unset
///   computed ones keep their prior value (unknown on create);
/// - a configured document that means the same as the prior one keeps the
///   prior's spelling;
/// - a `force_new` attribute whose value changes requires replacement, and
///   then everything computed is unknown again;
/// - the type's own `plan_more` runs last.
pub(crate) fn plan(
    resource: &dyn ResourceType,
    schema: &Schema,
    base_dir: &Path,
    request: &PlanRequest<'_>,
) -> Result<PlanResponse, ProviderError> {
    if let Some(e) = resource.check(request.config).into_iter().next() {
        return Err(e);
    }
    let prior = request.prior_state;
    let defaults = resource.defaults();
    let default_of = |name: &str| {
        defaults
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let mut planned = Object::new();
    for (name, attribute) in &schema.attributes {
        let configured = attr(request.config, name);
        let value = if attribute.is_settable() && !configured.is_null() {
            configured.clone()
        } else if let Some(default) = default_of(name) {
            default
        } else if !attribute.is_computed() {
            Value::Null
        } else {
            prior
                .and_then(|p| p.get(name))
                .cloned()
                .unwrap_or(Value::Unknown)
        };
        planned.insert(name.clone(), value);
    }
    let mut planned = normalize(schema, planned)?;
    // An optional-computed attribute configured empty normalises to null:
    // treat it as unset.
    for (name, attribute) in &schema.attributes {
        if attribute.presence == Presence::OptionalComputed
            && planned[name].is_null()
            && default_of(name).is_none()
        {
            let value = prior
                .and_then(|p| p.get(name))
                .cloned()
                .unwrap_or(Value::Unknown);
            planned.insert(name.clone(), value);
        }
    }
    if let Some(prior) = prior {
        for name in resource.documents() {
            let old = attr(prior, name);
            if let Some(new) = planned.get_mut(*name)
                && new.is_wholly_known()
                && !new.is_null()
                && !old.is_null()
                && policy::equivalent(new, old)
            {
                *new = old.clone();
            }
        }
    }
    let requires_replace: Vec<String> = match prior {
        None => Vec::new(),
        Some(prior) => schema
            .attributes
            .iter()
            .filter(|(name, attribute)| {
                attribute.force_new && attribute.is_settable() && {
                    let new = &planned[name.as_str()];
                    !new.is_wholly_known() || new != attr(prior, name)
                }
            })
            .map(|(name, _)| name.clone())
            .collect(),
    };
    let fresh = prior.is_none() || !requires_replace.is_empty();
    if fresh {
        for (name, attribute) in &schema.attributes {
            let reset = match attribute.presence {
                Presence::Computed => true,
                Presence::OptionalComputed => {
                    attr(request.config, name).is_null() && default_of(name).is_none()
                }
                _ => false,
            };
            if reset {
                planned.insert(name.clone(), Value::Unknown);
            }
        }
    }
    let ctx = PlanContext {
        base_dir,
        prior,
        fresh,
    };
    resource.plan_more(&ctx, &mut planned)?;
    Ok(PlanResponse {
        planned_state: Value::Map(planned),
        requires_replace,
        planned_private: Vec::new(),
    })
}
