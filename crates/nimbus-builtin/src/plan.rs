//! Planning shared by every built-in resource type: `plan_by_schema` plus
//! defaults for optional attributes.

use crate::util::attr;
use nimbus_provider::nimbus_value::{Presence, Schema, Value};
use nimbus_provider::{PlanRequest, PlanResponse};
use std::collections::BTreeMap;

/// Plans a change.
///
/// - Configured attributes take their configured value; unset attributes
///   with a default take the default (so the plan shows it and a later
///   plan with the same configuration is a no-op); other unset computed
///   attributes keep their prior value, or are unknown on create.
/// - A `force_new` attribute whose planned value differs from prior state
///   (or is not wholly known) requires replacement.
/// - On create and replacement, computed-only attributes and unset
///   optional-computed attributes without a default become unknown.
pub(crate) fn plan(
    schema: &Schema,
    request: &PlanRequest<'_>,
    defaults: &[(&str, Value)],
) -> PlanResponse {
    let prior = request.prior_state;
    let default_of = |name: &str| {
        defaults
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let mut planned: BTreeMap<String, Value> = BTreeMap::new();
    for (name, attribute) in &schema.attributes {
        let configured = attr(request.config, name);
        let value = if attribute.is_settable() && !configured.is_null() {
            configured.clone()
        } else if let Some(default) = default_of(name) {
            default
        } else if let Some(proposed) = request.proposed_state.get(name) {
            proposed.clone()
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

    PlanResponse {
        planned_state: Value::Map(planned),
        requires_replace,
        planned_private: if fresh {
            Vec::new()
        } else {
            request.prior_private.to_vec()
        },
    }
}
