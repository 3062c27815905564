//! What every resource type implements, and the planning they share.

use crate::clients::Clients;
use crate::policy;
use crate::util::Object;
use async_trait::async_trait;
use nimbus_provider::nimbus_value::{Schema, Value};
use nimbus_provider::planning::{Equivalence, PlanRules, first_error, plan_resource};
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

/// Plans a change the way every AWS resource type does: the toolkit's
/// schema planning with the type's defaults, normalised (empty collections
/// count as unset), documents compared by meaning (a configured document
/// that means the same as the prior one keeps the prior's spelling); the
/// type's own `plan_more` runs last.
pub(crate) fn plan(
    resource: &dyn ResourceType,
    schema: &Schema,
    base_dir: &Path,
    request: &PlanRequest<'_>,
) -> Result<PlanResponse, ProviderError> {
    first_error(resource.check(request.config))?;
    let defaults = resource.defaults();
    let documents: Vec<(&str, Equivalence)> = resource
        .documents()
        .iter()
        .map(|name| (*name, policy::equivalent as Equivalence))
        .collect();
    let rules = PlanRules {
        defaults: &defaults,
        normalize: true,
        equivalent: &documents,
    };
    let mut planned = plan_resource(schema, request, &rules)?;
    let ctx = PlanContext {
        base_dir,
        prior: request.prior_state,
        fresh: planned.fresh,
    };
    resource.plan_more(&ctx, &mut planned.state)?;
    Ok(planned.into_response())
}
