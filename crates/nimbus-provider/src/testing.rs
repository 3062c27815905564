//! Helpers for unit tests of providers: object literals, and a [`Driver`]
//! that takes a [`Provider`] through plan → create → read → update →
//! delete the way the engine does, checking each result against its plan.
//!
//! Available with the `test-support` feature (as a dev-dependency).

use crate::planning::proposed_state;
use crate::{
    ApplyRequest, ApplyResponse, DeleteRequest, PlanRequest, PlanResponse, Provider,
    ProviderDiagnostic, ProviderError, ReadRequest, ReadResponse,
};
use nimbus_value::{Presence, Schema, Value};
use std::sync::Arc;

/// An object value from name/value pairs.
pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// A map of strings from name/text pairs.
pub fn string_map(pairs: &[(&str, &str)]) -> Value {
    obj(&pairs
        .iter()
        .map(|(k, v)| (*k, Value::string(*v)))
        .collect::<Vec<_>>())
}

/// Every planned value that is known must be the value applied; the two
/// have the same attributes, and nothing applied is unknown.
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

/// A configuration as the engine builds it: every attribute of the schema,
/// null where not given, given values converted to their types when they
/// convert (a test may hand a provider a value of the wrong kind on
/// purpose). Panics on an attribute the schema does not have or that is
/// computed.
pub fn config(type_name: &str, schema: &Schema, pairs: &[(&str, Value)]) -> Value {
    let mut out: crate::planning::Object = schema
        .attributes
        .keys()
        .map(|name| (name.clone(), Value::Null))
        .collect();
    for (k, v) in pairs {
        let attribute = schema
            .attributes
            .get(*k)
            .unwrap_or_else(|| panic!("{type_name} has no attribute {k}"));
        assert!(attribute.is_settable(), "{type_name}.{k} is computed");
        let value = attribute
            .ty
            .convert(v.clone())
            .unwrap_or_else(|_| v.clone());
        out.insert(k.to_string(), value);
    }
    Value::Map(out)
}

/// An object as the engine keeps it: its state and provider-private data.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub state: Value,
    pub private: Vec<u8>,
}

impl From<ApplyResponse> for Stored {
    fn from(r: ApplyResponse) -> Stored {
        Stored {
            state: r.new_state,
            private: r.private,
        }
    }
}

impl From<Value> for Stored {
    /// An object without private data.
    fn from(state: Value) -> Stored {
        Stored {
            state,
            private: Vec::new(),
        }
    }
}

/// Drives a provider the way the engine does. The `try_*` operations return
/// the provider's answer; the others panic on an error and check what the
/// engine would (a create or update applies what was planned).
pub struct Driver<P> {
    pub provider: P,
}

impl<P: Provider> Driver<P> {
    pub fn new(provider: P) -> Driver<P> {
        Driver { provider }
    }

    /// A resource type's schema; panics when the provider has no such type.
    pub fn schema(&self, type_name: &str) -> Arc<Schema> {
        self.provider
            .schema()
            .resources
            .get(type_name)
            .cloned()
            .unwrap_or_else(|| panic!("the provider has no resource type {type_name}"))
    }

    /// A configuration as the engine builds it (see [`config`]).
    pub fn config(&self, type_name: &str, pairs: &[(&str, Value)]) -> Value {
        config(type_name, &self.schema(type_name), pairs)
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
            .unwrap_or_else(|e| panic!("validating {type_name}: {e:?}"))
    }

    /// Plans with the engine's proposed state.
    pub async fn try_plan(
        &self,
        type_name: &str,
        prior: Option<&Stored>,
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
        prior: Option<&Stored>,
        config: &Value,
    ) -> PlanResponse {
        self.try_plan(type_name, prior, config)
            .await
            .unwrap_or_else(|e| panic!("planning {type_name}: {e:?}"))
    }

    /// Creates the object a plan describes.
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

    /// Plans a create and applies it; checks the result against the plan.
    pub async fn try_create(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Stored, ProviderError> {
        let plan = self.try_plan(type_name, None, config).await?;
        assert!(plan.requires_replace.is_empty());
        let applied = self.try_apply_create(type_name, config, &plan).await?;
        assert_consistent(&plan.planned_state, &applied.new_state);
        Ok(applied.into())
    }

    pub async fn create(&self, type_name: &str, config: &Value) -> Stored {
        self.try_create(type_name, config)
            .await
            .unwrap_or_else(|e| panic!("creating {type_name}: {e:?}"))
    }

    /// Updates an object in place as a plan describes.
    pub async fn try_update(
        &self,
        type_name: &str,
        prior: &Stored,
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

    /// Applies a plan that must be an in-place update; checks the result
    /// against the plan.
    pub async fn apply_update(
        &self,
        type_name: &str,
        prior: &Stored,
        config: &Value,
        plan: &PlanResponse,
    ) -> Stored {
        assert!(
            plan.requires_replace.is_empty(),
            "{type_name}: expected an update, the plan replaces {:?}",
            plan.requires_replace
        );
        let applied = self
            .try_update(type_name, prior, config, plan)
            .await
            .unwrap_or_else(|e| panic!("updating {type_name}: {e:?}"));
        assert_consistent(&plan.planned_state, &applied.new_state);
        applied.into()
    }

    /// Plans an in-place update and applies it.
    pub async fn update(&self, type_name: &str, prior: &Stored, config: &Value) -> Stored {
        let plan = self.plan(type_name, Some(prior), config).await;
        self.apply_update(type_name, prior, config, &plan).await
    }

    pub async fn try_read(
        &self,
        type_name: &str,
        object: &Stored,
    ) -> Result<Option<ReadResponse>, ProviderError> {
        self.provider
            .read(ReadRequest {
                type_name,
                current_state: &object.state,
                private: &object.private,
            })
            .await
    }

    pub async fn read(&self, type_name: &str, object: &Stored) -> Option<ReadResponse> {
        self.try_read(type_name, object)
            .await
            .unwrap_or_else(|e| panic!("reading {type_name}: {e:?}"))
    }

    pub async fn try_delete(&self, type_name: &str, object: &Stored) -> Result<(), ProviderError> {
        self.provider
            .delete(DeleteRequest {
                type_name,
                prior_state: &object.state,
                private: &object.private,
            })
            .await
    }

    pub async fn delete(&self, type_name: &str, object: &Stored) {
        self.try_delete(type_name, object)
            .await
            .unwrap_or_else(|e| panic!("deleting {type_name}: {e:?}"))
    }

    /// The whole life of one object: a create plan with computed values
    /// unknown, create, a read that changes nothing, a no-op plan, a plan
    /// that replaces the object when `replace_attr` becomes
    /// `replace_value` (computed values unknown again), and the replacement
    /// as the engine does it: delete, then create from that plan. Returns
    /// the first object.
    pub async fn lifecycle(
        &self,
        type_name: &str,
        pairs: &[(&str, Value)],
        replace_attr: &str,
        replace_value: Value,
    ) -> Stored {
        let schema = self.schema(type_name);
        let computed: Vec<&String> = schema
            .attributes
            .iter()
            .filter(|(_, a)| a.presence == Presence::Computed)
            .map(|(name, _)| name)
            .collect();
        let config = self.config(type_name, pairs);

        let plan = self.plan(type_name, None, &config).await;
        for name in &computed {
            assert!(
                plan.planned_state.get(name).unwrap().is_unknown(),
                "{type_name}.{name} should be unknown in the create plan"
            );
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
        for name in &computed {
            assert!(
                replace.planned_state.get(name).unwrap().is_unknown(),
                "{type_name}.{name} should be unknown when replacing"
            );
        }
        self.delete(type_name, &created).await;
        let replacement = self
            .try_apply_create(type_name, &changed, &replace)
            .await
            .unwrap_or_else(|e| panic!("creating the replacement {type_name}: {e:?}"));
        assert_consistent(&replace.planned_state, &replacement.new_state);
        self.delete(type_name, &replacement.into()).await;
        created
    }
}

#[cfg(test)]
mod tests {
    //! A provider built on the toolkit alone, driven through its life.

    use super::*;
    use crate::attrs::{Field, req_str, string_field};
    use crate::planning::{
        PlanRules, diagnostics, ensure_in_place, ensure_known, first_error, object_from,
        plan_resource,
    };
    use crate::{ImportedObject, ProviderError};
    use async_trait::async_trait;
    use nimbus_value::{AttributeSchema, ProviderSchema, Type};
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// `note`: a text kept in memory under a name; renaming replaces it.
    struct Notes {
        schema: Arc<ProviderSchema>,
        notes: Mutex<BTreeMap<String, String>>,
    }

    impl Notes {
        fn new() -> Notes {
            let note = Schema::new("a note")
                .attr("name", AttributeSchema::required(Type::String).force_new())
                .attr("text", AttributeSchema::optional(Type::String))
                .attr("id", AttributeSchema::computed(Type::String));
            Notes {
                schema: Arc::new(ProviderSchema {
                    provider: Schema::new("notes"),
                    resources: [("note".to_string(), Arc::new(note))].into(),
                    data_sources: BTreeMap::new(),
                }),
                notes: Mutex::new(BTreeMap::new()),
            }
        }

        fn check(config: &Value) -> Vec<ProviderError> {
            match string_field(config, "name") {
                Ok(Field::Set(name)) if name.is_empty() => {
                    vec![ProviderError::fatal("`name` must not be empty").on_attribute("name")]
                }
                Err(e) => vec![e.into()],
                _ => Vec::new(),
            }
        }

        fn store(&self, planned: &Value) -> Result<ApplyResponse, ProviderError> {
            let schema = &self.schema.resources["note"];
            let mut state = object_from(schema, planned);
            let name = req_str(planned, "name")?;
            let text = string_field(planned, "text")?
                .known("text")?
                .unwrap_or_default();
            self.notes.lock().unwrap().insert(name.clone(), text);
            state.insert("id".into(), Value::string(name));
            ensure_known("notes", "note", &state)?;
            Ok(ApplyResponse {
                warnings: Vec::new(),
                new_state: Value::Map(state),
                private: b"p".to_vec(),
            })
        }
    }

    #[async_trait]
    impl Provider for Notes {
        fn schema(&self) -> Arc<ProviderSchema> {
            self.schema.clone()
        }

        fn endpoint(&self) -> String {
            "notes".into()
        }

        async fn configure(&self, _config: &Value) -> Result<(), ProviderError> {
            Ok(())
        }

        async fn validate_resource(
            &self,
            _type_name: &str,
            config: &Value,
        ) -> Result<Vec<ProviderDiagnostic>, ProviderError> {
            Ok(diagnostics(Notes::check(config)))
        }

        async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
            first_error(Notes::check(request.config))?;
            let schema = &self.schema.resources["note"];
            Ok(plan_resource(schema, &request, &PlanRules::default())?.into_response())
        }

        async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
            self.store(request.planned_state)
        }

        async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
            let schema = &self.schema.resources["note"];
            let prior = request.prior_state.expect("prior state");
            ensure_in_place(schema, "note", prior, request.planned_state)?;
            self.store(request.planned_state)
        }

        async fn delete(&self, request: DeleteRequest<'_>) -> Result<(), ProviderError> {
            let name = req_str(request.prior_state, "name")?;
            self.notes.lock().unwrap().remove(&name);
            Ok(())
        }

        async fn read(
            &self,
            request: ReadRequest<'_>,
        ) -> Result<Option<ReadResponse>, ProviderError> {
            let name = req_str(request.current_state, "name")?;
            let exists = self.notes.lock().unwrap().contains_key(&name);
            Ok(exists.then(|| ReadResponse {
                new_state: request.current_state.clone(),
                private: request.private.to_vec(),
            }))
        }

        async fn import(
            &self,
            _type_name: &str,
            _id: &str,
        ) -> Result<Vec<ImportedObject>, ProviderError> {
            Err(ProviderError::fatal("notes cannot be imported"))
        }

        async fn read_data(
            &self,
            type_name: &str,
            _config: &Value,
        ) -> Result<Value, ProviderError> {
            Err(ProviderError::fatal(format!("no data source {type_name}")))
        }
    }

    #[tokio::test]
    async fn a_provider_on_the_toolkit_goes_through_its_life() {
        let d = Driver::new(Notes::new());
        let first = d
            .lifecycle(
                "note",
                &[("name", "a".into()), ("text", Value::int(1))],
                "name",
                "b".into(),
            )
            .await;
        assert_eq!(first.state.get("text"), Some(&Value::string("1")));
        assert!(d.provider.notes.lock().unwrap().is_empty());

        let config = d.config("note", &[("name", "c".into())]);
        let created = d.create("note", &config).await;
        assert_eq!(created.private, b"p");
        let changed = d.config("note", &[("name", "c".into()), ("text", "t".into())]);
        let updated = d.update("note", &created, &changed).await;
        assert_eq!(updated.state.get("text"), Some(&Value::string("t")));
        assert_eq!(d.provider.notes.lock().unwrap()["c"], "t");

        let renamed = d.config("note", &[("name", "d".into())]);
        let plan = d.plan("note", Some(&updated), &renamed).await;
        let e = d
            .try_update("note", &updated, &renamed, &plan)
            .await
            .unwrap_err();
        assert_eq!(e.attribute.as_deref(), Some("name"));

        d.delete("note", &updated).await;
        assert!(d.read("note", &updated).await.is_none());

        let diagnostics = d.validate("note", &[("name", "".into())]).await;
        assert_eq!(diagnostics[0].attribute.as_deref(), Some("name"));
        let empty = d.config("note", &[("name", "".into())]);
        assert!(d.try_plan("note", None, &empty).await.is_err());
    }
}
