//! A small harness that drives the builtin provider the way the engine does.
#![allow(dead_code)]

use nimbus_builtin::{Builtin, BuiltinOptions};
use nimbus_provider::nimbus_value::{Presence, Schema, Value};
use nimbus_provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, PlanRequest, PlanResponse, Provider,
    ProviderDiagnostic, ProviderError, ReadRequest, ReadResponse, proposed_state,
};
use std::collections::BTreeMap;
use tempfile::TempDir;

pub struct Harness {
    pub provider: Builtin,
    pub dir: TempDir,
}

/// The state and private data of a created object.
#[derive(Debug, Clone)]
pub struct Object {
    pub state: Value,
    pub private: Vec<u8>,
}

pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

pub fn string_map(pairs: &[(&str, &str)]) -> Value {
    obj(&pairs
        .iter()
        .map(|(k, v)| (*k, Value::string(*v)))
        .collect::<Vec<_>>())
}

/// Every planned value that is known must be the value applied.
pub fn assert_consistent(planned: &Value, applied: &Value) {
    let planned = planned.as_map().expect("planned state is an object");
    let applied = applied.as_map().expect("new state is an object");
    assert_eq!(
        planned.keys().collect::<Vec<_>>(),
        applied.keys().collect::<Vec<_>>(),
        "planned and applied objects have different attributes"
    );
    for (name, value) in planned {
        if value.is_wholly_known() {
            assert_eq!(
                value, &applied[name],
                "planned `{name}` differs from the applied value"
            );
        }
    }
    assert!(
        applied.values().all(Value::is_wholly_known),
        "applied state has unknowns: {applied:?}"
    );
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with(|_| {})
    }

    pub fn with(adjust: impl FnOnce(&mut BuiltinOptions)) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut options = BuiltinOptions::new(dir.path());
        adjust(&mut options);
        Harness {
            provider: Builtin::new(options),
            dir,
        }
    }

    pub fn schema(&self, type_name: &str) -> Schema {
        Schema::clone(&self.provider.schema().resources[type_name])
    }

    /// A configuration object: one entry per settable attribute, null when
    /// not given (as the engine builds it).
    pub fn config(&self, type_name: &str, pairs: &[(&str, Value)]) -> Value {
        let schema = self.schema(type_name);
        let mut out = BTreeMap::new();
        for (name, attribute) in &schema.attributes {
            if attribute.is_settable() {
                out.insert(name.clone(), Value::Null);
            }
        }
        for (k, v) in pairs {
            assert!(
                schema.attributes.contains_key(*k),
                "{type_name} has no attribute {k}"
            );
            out.insert(k.to_string(), v.clone());
        }
        Value::Map(out)
    }

    pub async fn validate(
        &self,
        type_name: &str,
        pairs: &[(&str, Value)],
    ) -> Vec<ProviderDiagnostic> {
        let config = self.config(type_name, pairs);
        self.provider
            .validate_resource(type_name, &config)
            .await
            .unwrap()
    }

    pub async fn try_plan(
        &self,
        type_name: &str,
        prior: Option<&Object>,
        config: &Value,
    ) -> Result<PlanResponse, ProviderError> {
        let schema = self.schema(type_name);
        let proposed = proposed_state(&schema, prior.map(|p| &p.state), config);
        self.provider
            .plan(PlanRequest {
                type_name,
                prior_state: prior.map(|p| &p.state),
                prior_private: prior.map(|p| p.private.as_slice()).unwrap_or(&[]),
                config,
                proposed_state: &proposed,
            })
            .await
    }

    pub async fn plan(
        &self,
        type_name: &str,
        prior: Option<&Object>,
        config: &Value,
    ) -> PlanResponse {
        self.try_plan(type_name, prior, config).await.unwrap()
    }

    pub async fn try_apply_create(
        &self,
        type_name: &str,
        config: &Value,
        plan: &PlanResponse,
    ) -> Result<ApplyResponse, ProviderError> {
        self.provider
            .create(ApplyRequest {
                type_name,
                prior_state: None,
                planned_state: &plan.planned_state,
                config,
                private: &plan.planned_private,
            })
            .await
    }

    /// Plans a create, checks that computed-only values are unknown, creates
    /// and checks the result against the plan.
    pub async fn create(&self, type_name: &str, config: &Value) -> Object {
        let plan = self.plan(type_name, None, config).await;
        assert!(plan.requires_replace.is_empty());
        let applied = self
            .try_apply_create(type_name, config, &plan)
            .await
            .unwrap();
        assert_consistent(&plan.planned_state, &applied.new_state);
        Object {
            state: applied.new_state,
            private: applied.private,
        }
    }

    pub async fn try_update(
        &self,
        type_name: &str,
        prior: &Object,
        config: &Value,
        plan: &PlanResponse,
    ) -> Result<ApplyResponse, ProviderError> {
        self.provider
            .update(ApplyRequest {
                type_name,
                prior_state: Some(&prior.state),
                planned_state: &plan.planned_state,
                config,
                private: &plan.planned_private,
            })
            .await
    }

    /// Plans an in-place update, applies it and checks it against the plan.
    pub async fn update(&self, type_name: &str, prior: &Object, config: &Value) -> Object {
        let plan = self.plan(type_name, Some(prior), config).await;
        assert!(
            plan.requires_replace.is_empty(),
            "expected an in-place update: {plan:?}"
        );
        let applied = self
            .try_update(type_name, prior, config, &plan)
            .await
            .unwrap();
        assert_consistent(&plan.planned_state, &applied.new_state);
        Object {
            state: applied.new_state,
            private: applied.private,
        }
    }

    pub async fn read(&self, type_name: &str, object: &Object) -> Option<ReadResponse> {
        self.provider
            .read(ReadRequest {
                type_name,
                current_state: &object.state,
                private: &object.private,
            })
            .await
            .unwrap()
    }

    pub async fn delete(&self, type_name: &str, object: &Object) {
        self.provider
            .delete(DeleteRequest {
                type_name,
                prior_state: &object.state,
                private: &object.private,
            })
            .await
            .unwrap()
    }

    /// The whole life of one object: plan(create) with unknown computed
    /// values, create, read unchanged, a no-op plan, a replacing plan when
    /// `replace_attr` changes to `replace_value`, delete.
    pub async fn lifecycle(
        &self,
        type_name: &str,
        pairs: &[(&str, Value)],
        replace_attr: &str,
        replace_value: Value,
    ) -> Object {
        let schema = self.schema(type_name);
        let config = self.config(type_name, pairs);

        let plan = self.plan(type_name, None, &config).await;
        for (name, attribute) in &schema.attributes {
            if attribute.presence == Presence::Computed {
                assert!(
                    plan.planned_state.get(name).unwrap().is_unknown(),
                    "{type_name}.{name} should be unknown in the create plan"
                );
            }
        }

        let created = self.create(type_name, &config).await;

        let read = self.read(type_name, &created).await.expect("object exists");
        assert_eq!(
            read.new_state, created.state,
            "{type_name}: read changed the state"
        );
        assert_eq!(read.private, created.private);

        let noop = self.plan(type_name, Some(&created), &config).await;
        assert!(noop.requires_replace.is_empty(), "{type_name}: {noop:?}");
        assert_eq!(
            noop.planned_state, created.state,
            "{type_name}: same config should plan no change"
        );

        let mut changed: Vec<(&str, Value)> = pairs
            .iter()
            .filter(|(k, _)| *k != replace_attr)
            .cloned()
            .collect();
        changed.push((replace_attr, replace_value));
        let changed = self.config(type_name, &changed);
        let replace = self.plan(type_name, Some(&created), &changed).await;
        assert_eq!(
            replace.requires_replace,
            vec![replace_attr.to_string()],
            "{type_name}"
        );
        for (name, attribute) in &schema.attributes {
            if attribute.presence == Presence::Computed {
                assert!(
                    replace.planned_state.get(name).unwrap().is_unknown(),
                    "{type_name}.{name} should be unknown when replacing"
                );
            }
        }
        // Replacement: delete, then create with that plan.
        self.delete(type_name, &created).await;
        let replacement = self
            .try_apply_create(type_name, &changed, &replace)
            .await
            .unwrap();
        assert_consistent(&replace.planned_state, &replacement.new_state);
        let replacement = Object {
            state: replacement.new_state,
            private: replacement.private,
        };
        self.delete(type_name, &replacement).await;
        created
    }
}
