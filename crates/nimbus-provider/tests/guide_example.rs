//! The worked example of the guide's "Writing a provider" chapter
//! (`docs/guide/src/writing-providers.md` includes this file's parts by
//! their anchors, so the chapter shows exactly the code tested here): a
//! provider of one resource type, `kv-entry`, an entry of a key-value
//! store, built on the toolkit and tested with its driver.

// ANCHOR: schema
use async_trait::async_trait;
use nimbus_provider::attrs::{Field, req_str, string_field};
use nimbus_provider::nimbus_value::{AttributeSchema, ProviderSchema, Schema, Type, Value};
use nimbus_provider::planning::{
    Object, PlanRules, diagnostics, ensure_in_place, ensure_known, first_error, object_from,
    plan_resource,
};
use nimbus_provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, ImportedObject, PlanRequest, PlanResponse,
    Provider, ProviderDiagnostic, ProviderError, ReadRequest, ReadResponse,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The service this provider manages: entries by key. A real provider
/// would hold an API client here instead.
#[derive(Debug, Clone, Default)]
pub struct Store(Arc<Mutex<BTreeMap<String, Entry>>>);

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub value: String,
    /// How many times the value was written.
    pub version: i64,
}

impl Store {
    fn get(&self, key: &str) -> Option<Entry> {
        self.0.lock().expect("store lock").get(key).cloned()
    }

    fn put(&self, key: &str, entry: Entry) {
        self.0
            .lock()
            .expect("store lock")
            .insert(key.to_string(), entry);
    }

    fn remove(&self, key: &str) -> Option<Entry> {
        self.0.lock().expect("store lock").remove(key)
    }
}

/// The resource type's name, as configurations write it:
/// `(resource kv-entry "greeting" (key "greeting") (value "hello"))`.
pub const ENTRY: &str = "kv-entry";

pub struct Kv {
    schema: Arc<ProviderSchema>,
    store: Store,
}

impl Kv {
    pub fn new(store: Store) -> Kv {
        let entry = Schema::new("An entry of the key-value store.")
            .attr(
                "key",
                AttributeSchema::required(Type::String)
                    .force_new()
                    .describe("The entry's key; a new key replaces the entry."),
            )
            .attr(
                "value",
                AttributeSchema::required(Type::String).describe("The text stored."),
            )
            .attr(
                "version",
                AttributeSchema::computed(Type::Number)
                    .describe("How many times the value was written."),
            )
            .attr("id", AttributeSchema::computed(Type::String));
        Kv {
            schema: Arc::new(ProviderSchema {
                provider: Schema::new("A key-value store."),
                resources: [(ENTRY.to_string(), Arc::new(entry))].into(),
                data_sources: BTreeMap::new(),
            }),
            store,
        }
    }

    fn entry_schema(&self) -> &Schema {
        &self.schema.resources[ENTRY]
    }
}
// ANCHOR_END: schema

// ANCHOR: helpers
impl Kv {
    /// What the schema cannot say. Values may still be unknown here (at
    /// validate and plan time), so the `*_field` readers are used: an
    /// unknown key is checked later, when it is known.
    fn check(config: &Value) -> Vec<ProviderError> {
        match string_field(config, "key") {
            Ok(Field::Set(key)) if key.is_empty() || key.contains('/') => {
                vec![
                    ProviderError::fatal("`key` must be non-empty and without `/`")
                        .on_attribute("key"),
                ]
            }
            Ok(_) => Vec::new(),
            Err(e) => vec![e.into()],
        }
    }

    /// The object Nimbus records for an entry: every schema attribute.
    fn state_of(&self, key: &str, entry: &Entry) -> Result<Value, ProviderError> {
        let mut state: Object = object_from(self.entry_schema(), &Value::Null);
        state.insert("key".into(), Value::string(key));
        state.insert("value".into(), Value::string(&entry.value));
        state.insert("version".into(), Value::int(entry.version));
        state.insert("id".into(), Value::string(key));
        // Nothing handed back after an apply may be unknown.
        ensure_known("kv", ENTRY, &state)?;
        Ok(Value::Map(state))
    }

    fn applied(&self, key: &str, entry: &Entry) -> Result<ApplyResponse, ProviderError> {
        Ok(ApplyResponse {
            new_state: self.state_of(key, entry)?,
            private: Vec::new(),
            warnings: Vec::new(),
        })
    }
}
// ANCHOR_END: helpers

// ANCHOR: provider
#[async_trait]
impl Provider for Kv {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn endpoint(&self) -> String {
        "kv".into()
    }

    async fn configure(&self, _config: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn validate_resource(
        &self,
        _type_name: &str,
        config: &Value,
    ) -> Result<Vec<ProviderDiagnostic>, ProviderError> {
        Ok(diagnostics(Kv::check(config)))
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        first_error(Kv::check(request.config))?;
        // The schema-driven planner: configured values, computed ones kept
        // from the prior state (unknown on create), a replacement when
        // `key` (force-new) changes.
        let mut planned = plan_resource(self.entry_schema(), &request, &PlanRules::default())?;
        // The finishing touch only this type knows: writing a new value
        // bumps the version, so it is not known until the apply.
        if let Some(prior) = request.prior_state
            && !planned.fresh
            && planned.state.get("value") != prior.get("value")
        {
            planned.state.insert("version".into(), Value::Unknown);
        }
        Ok(planned.into_response())
    }

    async fn create(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        // Apply time: everything is known, so the strict readers apply.
        let key = req_str(request.planned_state, "key")?;
        let value = req_str(request.planned_state, "value")?;
        if self.store.get(&key).is_some() {
            return Err(ProviderError::fatal(format!(
                "an entry `{key}` exists already: import it with `nimbus import`"
            ))
            .on_attribute("key"));
        }
        let entry = Entry { value, version: 1 };
        self.store.put(&key, entry.clone());
        self.applied(&key, &entry)
    }

    async fn update(&self, request: ApplyRequest<'_>) -> Result<ApplyResponse, ProviderError> {
        let prior = request.prior_for_update()?;
        // The engine replaces an object whose force-new attribute changes;
        // an update that would change one is a bug, refused here.
        ensure_in_place(self.entry_schema(), ENTRY, prior, request.planned_state)?;
        let key = req_str(request.planned_state, "key")?;
        let value = req_str(request.planned_state, "value")?;
        let version = self.store.get(&key).map_or(0, |e| e.version);
        let entry = Entry {
            value,
            version: version + 1,
        };
        self.store.put(&key, entry.clone());
        self.applied(&key, &entry)
    }

    async fn delete(&self, request: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let key = req_str(request.prior_state, "key")?;
        // Gone already is as good as deleted.
        self.store.remove(&key);
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<ReadResponse>, ProviderError> {
        // The object as it is now: what `drift` compares with the state.
        let key = req_str(request.current_state, "key")?;
        match self.store.get(&key) {
            None => Ok(None),
            Some(entry) => Ok(Some(ReadResponse {
                new_state: self.state_of(&key, &entry)?,
                private: request.private.to_vec(),
            })),
        }
    }

    async fn import(
        &self,
        type_name: &str,
        id: &str,
    ) -> Result<Vec<ImportedObject>, ProviderError> {
        let Some(entry) = self.store.get(id) else {
            return Err(ProviderError::fatal(format!("no entry `{id}` to import")));
        };
        Ok(vec![ImportedObject {
            type_name: type_name.to_string(),
            state: self.state_of(id, &entry)?,
            private: Vec::new(),
        }])
    }

    async fn read_data(&self, type_name: &str, _config: &Value) -> Result<Value, ProviderError> {
        Err(ProviderError::fatal(format!(
            "the kv provider has no data source `{type_name}`"
        )))
    }
}
// ANCHOR_END: provider

// ANCHOR: tests
use nimbus_provider::testing::{Driver, Stored};

fn entry(key: &str, value: &str) -> [(&'static str, Value); 2] {
    [("key", Value::string(key)), ("value", Value::string(value))]
}

#[tokio::test]
async fn an_entry_goes_through_its_whole_life() {
    let store = Store::default();
    let d = Driver::new(Kv::new(store.clone()));
    // Plan (computed values unknown), create, read (no change), plan
    // again (no change), and a new key planned as a replacement, carried
    // out as the engine does: delete, then create.
    let first = d
        .lifecycle(ENTRY, &entry("greeting", "hello"), "key", "welcome".into())
        .await;
    assert_eq!(first.state.get("version"), Some(&Value::int(1)));
    assert_eq!(store.get("greeting"), None);
    assert_eq!(store.get("welcome"), None, "the driver deleted it again");
}

#[tokio::test]
async fn a_new_value_is_an_update_that_bumps_the_version() {
    let store = Store::default();
    let d = Driver::new(Kv::new(store.clone()));
    let created = d
        .create(ENTRY, &d.config(ENTRY, &entry("greeting", "hello")))
        .await;

    let changed = d.config(ENTRY, &entry("greeting", "hi"));
    let plan = d.plan(ENTRY, Some(&created), &changed).await;
    assert!(plan.requires_replace.is_empty());
    assert!(plan.planned_state.get("version").unwrap().is_unknown());

    // Applies the plan and checks the result against it.
    let updated = d.apply_update(ENTRY, &created, &changed, &plan).await;
    assert_eq!(updated.state.get("version"), Some(&Value::int(2)));
    assert_eq!(store.get("greeting").unwrap().value, "hi");
}

#[tokio::test]
async fn a_change_made_elsewhere_is_read_and_planned_back() {
    let store = Store::default();
    let d = Driver::new(Kv::new(store.clone()));
    let config = d.config(ENTRY, &entry("greeting", "hello"));
    let created = d.create(ENTRY, &config).await;

    // Someone edits the entry behind Nimbus's back: drift.
    store.put(
        "greeting",
        Entry {
            value: "edited".into(),
            version: 7,
        },
    );
    let read = d.read(ENTRY, &created).await.expect("the entry exists");
    assert_eq!(read.new_state.get("value"), Some(&Value::string("edited")));

    // Planned from what was read, the configuration wins back.
    let now = Stored::from(read.new_state);
    let plan = d.plan(ENTRY, Some(&now), &config).await;
    assert_eq!(
        plan.planned_state.get("value"),
        Some(&Value::string("hello"))
    );
    d.apply_update(ENTRY, &now, &config, &plan).await;
    assert_eq!(store.get("greeting").unwrap().version, 8);

    // Deleted elsewhere: read says it is gone, so the next plan creates it.
    store.remove("greeting");
    assert!(d.read(ENTRY, &now).await.is_none());
}

#[tokio::test]
async fn an_existing_entry_is_imported_and_then_unchanged() {
    let store = Store::default();
    store.put(
        "motd",
        Entry {
            value: "made by hand".into(),
            version: 3,
        },
    );
    let d = Driver::new(Kv::new(store.clone()));
    let imported = d.provider.import(ENTRY, "motd").await.unwrap();
    let stored = Stored::from(imported[0].state.clone());

    // A configuration that describes it plans no change.
    let config = d.config(ENTRY, &entry("motd", "made by hand"));
    let plan = d.plan(ENTRY, Some(&stored), &config).await;
    assert_eq!(plan.planned_state, stored.state);

    // Creating it instead would clash, and says what to do.
    let e = d.try_create(ENTRY, &config).await.unwrap_err();
    assert!(e.message.contains("import it"), "{e:?}");
    assert!(d.provider.import(ENTRY, "nothing").await.is_err());
}

#[tokio::test]
async fn a_bad_key_is_reported_on_its_attribute() {
    let d = Driver::new(Kv::new(Store::default()));
    let problems = d.validate(ENTRY, &entry("a/b", "x")).await;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].attribute.as_deref(), Some("key"));
    // A key not known yet is no error at validate time.
    let unknown = [("key", Value::Unknown), ("value", Value::string("x"))];
    assert!(d.validate(ENTRY, &unknown).await.is_empty());
    // And planning refuses what validate reports.
    let bad = d.config(ENTRY, &entry("", "x"));
    assert!(d.try_plan(ENTRY, None, &bad).await.is_err());
}
// ANCHOR_END: tests
