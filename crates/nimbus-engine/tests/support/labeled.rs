//! `labeled`: a provider whose configuration shows in what it makes, for
//! tests of which provider configuration serves which resource. Its
//! configuration has one attribute, `label`; its one type,
//! `labeled-thing`, records the label of the configuration that planned
//! it (the computed `label`) next to its `input`.

use async_trait::async_trait;
use nimbus_provider::attrs::{Field, string_field};
use nimbus_provider::nimbus_value::{AttributeSchema, ProviderSchema, Schema, Type, Value};
use nimbus_provider::planning::{PlanRules, plan_resource};
use nimbus_provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, ImportedObject, PlanRequest, PlanResponse,
    Provider, ProviderError, ReadRequest, ReadResponse,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub const NAME: &str = "labeled";
pub const THING: &str = "labeled-thing";

pub struct Labeled {
    schema: Arc<ProviderSchema>,
    /// The configured label; `None` until configured.
    label: Mutex<Option<String>>,
}

impl Labeled {
    pub fn new() -> Labeled {
        let thing = Schema::new("A thing that records its configuration's label.")
            .attr("input", AttributeSchema::required(Type::String))
            .attr("label", AttributeSchema::computed(Type::String))
            .attr("id", AttributeSchema::computed(Type::String));
        Labeled {
            schema: Arc::new(ProviderSchema {
                provider: Schema::new("A provider with a label.")
                    .attr("label", AttributeSchema::required(Type::String)),
                resources: [(THING.to_string(), Arc::new(thing))].into(),
                data_sources: BTreeMap::new(),
            }),
            label: Mutex::new(None),
        }
    }

    fn applied(planned: &Value) -> Result<ApplyResponse, ProviderError> {
        let mut state = match planned {
            Value::Map(map) => map.clone(),
            _ => return Err(ProviderError::fatal("a planned object is an object")),
        };
        let id = state.get("input").cloned().unwrap_or(Value::Null);
        state.insert("id".into(), id);
        Ok(ApplyResponse {
            new_state: Value::Map(state),
            private: Vec::new(),
            warnings: Vec::new(),
        })
    }
}

#[async_trait]
impl Provider for Labeled {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn endpoint(&self) -> String {
        NAME.into()
    }

    async fn configure(&self, config: &Value) -> Result<(), ProviderError> {
        match string_field(config, "label")? {
            Field::Set(label) => {
                *self.label.lock().expect("label lock") = Some(label);
                Ok(())
            }
            _ => Err(ProviderError::fatal("`label` is required").on_attribute("label")),
        }
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let schema = &self.schema.resources[THING];
        let mut planned = plan_resource(schema, &request, &PlanRules::default())?;
        let label = self.label.lock().expect("label lock").clone();
        planned
            .state
            .insert("label".into(), label.map_or(Value::Unknown, Value::string));
        Ok(planned.into_response())
    }

    async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        Labeled::applied(request.planned_state)
    }

    async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        Labeled::applied(request.planned_state)
    }

    async fn delete(&self, _: DeleteRequest<'_>) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<ReadResponse>, ProviderError> {
        Ok(Some(ReadResponse {
            new_state: request.current_state.clone(),
            private: Vec::new(),
        }))
    }

    async fn import(&self, type_name: &str, _: &str) -> Result<Vec<ImportedObject>, ProviderError> {
        Err(ProviderError::fatal(format!(
            "{type_name} cannot be imported"
        )))
    }

    async fn read_data(&self, type_name: &str, _: &Value) -> Result<Value, ProviderError> {
        Err(ProviderError::fatal(format!("no data source {type_name}")))
    }
}
