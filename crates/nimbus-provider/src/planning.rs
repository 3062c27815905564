//! Schema-driven planning, and the object building and checks around it
//! that every in-process provider needs at apply time.

use crate::attrs::attr;
use crate::{PlanRequest, PlanResponse, ProviderDiagnostic, ProviderError};
use nimbus_value::{Presence, Schema, Type, Value};
use std::collections::BTreeMap;

/// An object value's attributes.
pub type Object = BTreeMap<String, Value>;

/// The proposal the engine hands to `plan`: configured values where set;
/// for attributes the provider computes, the prior value when there is one
/// and unknown when the object is new.
pub fn proposed_state(schema: &Schema, prior: Option<&Value>, config: &Value) -> Value {
    proposed_state_from(schema, prior, config.clone())
}

/// [`proposed_state`] built in place from a configuration the caller no
/// longer needs: an evaluated block already has every schema attribute, so
/// usually only the computed ones change.
pub fn proposed_state_from(schema: &Schema, prior: Option<&Value>, config: Value) -> Value {
    let mut map = match config {
        Value::Map(map) => map,
        _ => BTreeMap::new(),
    };
    map.retain(|name, _| schema.attributes.contains_key(name));
    let computed = |name: &str| match prior.and_then(|p| p.get(name)) {
        Some(v) => v.clone(),
        None => Value::Unknown,
    };
    for (name, attribute) in &schema.attributes {
        match map.get_mut(name) {
            Some(value) => {
                if value.is_null() && attribute.is_computed() {
                    *value = computed(name);
                }
            }
            None => {
                let value = if attribute.is_computed() {
                    computed(name)
                } else {
                    Value::Null
                };
                map.insert(name.clone(), value);
            }
        }
    }
    Value::Map(map)
}

/// Whether two values mean the same (two spellings of one JSON document).
pub type Equivalence = fn(&Value, &Value) -> bool;

/// What a resource type adds to its schema when planning.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanRules<'a> {
    /// Values of unset optional attributes, applied at plan time so that
    /// the plan shows them and a later plan with the same configuration is
    /// a no-op.
    pub defaults: &'a [(&'a str, Value)],
    /// Bring the planned object to its [`normalize`]d shape; an
    /// optional-computed attribute that normalises to null counts as unset.
    pub normalize: bool,
    /// Attributes compared by meaning (JSON documents): a configured value
    /// that means the same as the prior one keeps the prior's spelling.
    pub equivalent: &'a [(&'a str, Equivalence)],
}

impl PlanRules<'_> {
    fn default_of(&self, name: &str) -> Option<&Value> {
        self.defaults
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// A planned change, before the resource type's own finishing touches.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Every schema attribute.
    pub state: Object,
    /// Settable `force_new` attributes whose value changes.
    pub requires_replace: Vec<String>,
    /// True when the object will be created (new or replaced).
    pub fresh: bool,
    /// The prior private data, kept unless the object is created afresh.
    pub private: Vec<u8>,
}

impl Planned {
    pub fn into_response(self) -> PlanResponse {
        PlanResponse {
            warnings: Vec::new(),
            planned_state: Value::Map(self.state),
            requires_replace: self.requires_replace,
            planned_private: self.private,
        }
    }
}

/// Plans a change from the schema:
///
/// - a configured attribute takes its configured value; an unset one with
///   a default takes the default; an unset computed one keeps its prior
///   value (unknown on create); others are null;
/// - with [`PlanRules::normalize`], the object is normalised;
/// - an [`PlanRules::equivalent`] attribute that means the same as the
///   prior value keeps the prior's spelling;
/// - a `force_new` attribute whose planned value differs from prior state
///   (or is not wholly known) requires replacement;
/// - on create and replacement, computed-only attributes and unset
///   optional-computed attributes without a default become unknown, and
///   the private data starts empty.
pub fn plan_resource(
    schema: &Schema,
    request: &PlanRequest<'_>,
    rules: &PlanRules<'_>,
) -> Result<Planned, ProviderError> {
    let prior = request.prior_state;
    let prior_or_unknown = |name: &str| {
        prior
            .and_then(|p| p.get(name))
            .cloned()
            .unwrap_or(Value::Unknown)
    };
    let mut planned = Object::new();
    for (name, attribute) in &schema.attributes {
        let configured = attr(request.config, name);
        let value = if attribute.is_settable() && !configured.is_null() {
            configured.clone()
        } else if let Some(default) = rules.default_of(name) {
            default.clone()
        } else if attribute.is_computed() {
            prior_or_unknown(name)
        } else {
            Value::Null
        };
        planned.insert(name.clone(), value);
    }
    if rules.normalize {
        planned = normalize(schema, planned)?;
        for (name, attribute) in &schema.attributes {
            if attribute.presence == Presence::OptionalComputed
                && planned[name].is_null()
                && rules.default_of(name).is_none()
            {
                planned.insert(name.clone(), prior_or_unknown(name));
            }
        }
    }
    if let Some(prior) = prior {
        for (name, equivalent) in rules.equivalent {
            let old = attr(prior, name);
            if let Some(new) = planned.get_mut(*name)
                && new.is_wholly_known()
                && !new.is_null()
                && !old.is_null()
                && equivalent(new, old)
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
                    attr(request.config, name).is_null() && rules.default_of(name).is_none()
                }
                _ => false,
            };
            if reset {
                planned.insert(name.clone(), Value::Unknown);
            }
        }
    }
    Ok(Planned {
        state: planned,
        requires_replace,
        fresh,
        private: if fresh {
            Vec::new()
        } else {
            request.prior_private.to_vec()
        },
    })
}

/// Fails when an update would change a `force_new` attribute: the engine
/// should have planned a replacement.
pub fn ensure_in_place(
    schema: &Schema,
    type_name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    match schema.attributes.iter().find(|(name, a)| {
        a.force_new && a.is_settable() && attr(planned, name) != attr(prior, name)
    }) {
        None => Ok(()),
        Some((name, _)) => Err(ProviderError::fatal(format!(
            "{type_name}: a change of `{name}` requires replacement and cannot be applied in place"
        ))
        .on_attribute(name.as_str())),
    }
}

/// A new object with exactly the schema's attributes, taken from `from`
/// (null where absent).
pub fn object_from(schema: &Schema, from: &Value) -> Object {
    schema
        .attributes
        .keys()
        .map(|name| (name.clone(), attr(from, name).clone()))
        .collect()
}

/// Sets each attribute that is absent or null to its default.
pub fn fill_defaults(object: &mut Object, defaults: &[(&str, Value)]) {
    for (name, default) in defaults {
        if object.get(*name).is_none_or(Value::is_null) {
            object.insert(name.to_string(), default.clone());
        }
    }
}

/// Brings an object to the one shape that plan, read and import can agree
/// on: every schema attribute present, values converted to their types
/// (sets sorted), empty collections as null.
pub fn normalize(schema: &Schema, mut object: Object) -> Result<Object, ProviderError> {
    let mut out = Object::new();
    for (name, attribute) in &schema.attributes {
        let value = object.remove(name).unwrap_or(Value::Null);
        let value = attribute.ty.convert(value).map_err(|e| {
            ProviderError::fatal(format!("`{name}`: {}", e.message)).on_attribute(name.as_str())
        })?;
        let empty = match (&attribute.ty, value.peel()) {
            (Type::Map(_) | Type::List(_) | Type::Set(_), Value::Map(m)) => m.is_empty(),
            (Type::Map(_) | Type::List(_) | Type::Set(_), Value::List(l)) => l.is_empty(),
            _ => false,
        };
        out.insert(name.clone(), if empty { Value::Null } else { value });
    }
    Ok(out)
}

/// Fails when an object handed back to the engine still holds an unknown:
/// a bug in the `provider` named.
pub fn ensure_known(provider: &str, type_name: &str, object: &Object) -> Result<(), ProviderError> {
    match object.iter().find(|(_, v)| !v.is_wholly_known()) {
        None => Ok(()),
        Some((name, _)) => Err(ProviderError::fatal(format!(
            "{type_name}: `{name}` would be unknown after apply; this is a bug in the {provider} provider"
        ))
        .on_attribute(name.as_str())),
    }
}

/// The errors of a configuration check as diagnostics, for `validate`.
pub fn diagnostics(errors: Vec<ProviderError>) -> Vec<ProviderDiagnostic> {
    errors
        .into_iter()
        .map(|e| ProviderDiagnostic::error(e.attribute.as_deref(), e.message))
        .collect()
}

/// The first error of a configuration check, for operations that must stop.
pub fn first_error(errors: Vec<ProviderError>) -> Result<(), ProviderError> {
    match errors.into_iter().next() {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::obj;
    use nimbus_value::AttributeSchema;

    fn schema() -> Schema {
        Schema::new("t")
            .attr("name", AttributeSchema::required(Type::String).force_new())
            .attr("note", AttributeSchema::optional(Type::String))
            .attr("size", AttributeSchema::optional(Type::Number))
            .attr(
                "tags",
                AttributeSchema::optional(Type::Map(Box::new(Type::String))),
            )
            .attr("zone", AttributeSchema::optional_computed(Type::String))
            .attr(
                "labels",
                AttributeSchema::optional_computed(Type::List(Box::new(Type::String))),
            )
            .attr("doc", AttributeSchema::optional(Type::String))
            .attr("id", AttributeSchema::computed(Type::String))
    }

    fn plan(
        prior: Option<&Value>,
        private: &[u8],
        config: &Value,
        rules: &PlanRules<'_>,
    ) -> Planned {
        let schema = schema();
        let proposed = proposed_state(&schema, prior, config);
        plan_resource(
            &schema,
            &PlanRequest {
                type_name: "t",
                prior_state: prior,
                prior_private: private,
                config,
                proposed_state: &proposed,
            },
            rules,
        )
        .unwrap()
    }

    fn prior() -> Value {
        obj(&[
            ("name", "a".into()),
            ("note", Value::Null),
            ("size", Value::int(2)),
            ("tags", Value::Null),
            ("zone", "z1".into()),
            ("labels", Value::List(vec!["l".into()])),
            ("doc", r#"{"a": 1}"#.into()),
            ("id", "x".into()),
        ])
    }

    #[test]
    fn new_objects_get_defaults_and_unknown_computed_values() {
        let defaults = [("size", Value::int(1))];
        let rules = PlanRules {
            defaults: &defaults,
            ..PlanRules::default()
        };
        let p = plan(None, b"old", &obj(&[("name", "a".into())]), &rules);
        assert!(p.fresh && p.requires_replace.is_empty() && p.private.is_empty());
        assert!(p.state["id"].is_unknown());
        assert!(p.state["zone"].is_unknown());
        assert!(p.state["note"].is_null());
        assert_eq!(p.state["size"], Value::int(1));
        assert_eq!(p.state.len(), 8);
    }

    #[test]
    fn updates_keep_computed_values_and_private_data() {
        let config = obj(&[("name", "a".into()), ("note", "n".into())]);
        let p = plan(Some(&prior()), b"kept", &config, &PlanRules::default());
        assert!(!p.fresh && p.requires_replace.is_empty());
        assert_eq!(p.state["id"], Value::string("x"));
        assert_eq!(p.state["zone"], Value::string("z1"));
        assert_eq!(p.state["note"], Value::string("n"));
        assert_eq!(p.private, b"kept");
    }

    #[test]
    fn force_new_changes_replace_and_forget_computed_values() {
        let config = obj(&[("name", "b".into())]);
        let p = plan(Some(&prior()), b"old", &config, &PlanRules::default());
        assert_eq!(p.requires_replace, vec!["name".to_string()]);
        assert!(p.fresh && p.private.is_empty());
        assert!(p.state["id"].is_unknown());
        assert!(p.state["zone"].is_unknown());

        let config = obj(&[("name", Value::Unknown)]);
        let p = plan(Some(&prior()), &[], &config, &PlanRules::default());
        assert_eq!(p.requires_replace, vec!["name".to_string()]);
    }

    #[test]
    fn normalising_treats_empty_collections_as_unset() {
        let config = obj(&[
            ("name", "a".into()),
            ("size", "2".into()),
            ("tags", obj(&[])),
            ("labels", Value::List(vec![])),
        ]);
        let rules = PlanRules {
            normalize: true,
            ..PlanRules::default()
        };
        let p = plan(Some(&prior()), &[], &config, &rules);
        assert_eq!(p.state["size"], Value::int(2));
        assert!(p.state["tags"].is_null());
        assert_eq!(p.state["labels"], Value::List(vec!["l".into()]));
        let without = plan(Some(&prior()), &[], &config, &PlanRules::default());
        assert_eq!(without.state["tags"], obj(&[]));
    }

    #[test]
    fn equivalent_documents_keep_their_prior_spelling() {
        fn same_json(a: &Value, b: &Value) -> bool {
            a.as_str().map(|s| s.replace(' ', "")) == b.as_str().map(|s| s.replace(' ', ""))
        }
        let equivalent: [(&str, Equivalence); 1] = [("doc", same_json)];
        let rules = PlanRules {
            equivalent: &equivalent,
            ..PlanRules::default()
        };
        let config = obj(&[("name", "a".into()), ("doc", r#"{"a":1}"#.into())]);
        let p = plan(Some(&prior()), &[], &config, &rules);
        assert_eq!(p.state["doc"], Value::string(r#"{"a": 1}"#));
        let config = obj(&[("name", "a".into()), ("doc", r#"{"a":2}"#.into())]);
        let p = plan(Some(&prior()), &[], &config, &rules);
        assert_eq!(p.state["doc"], Value::string(r#"{"a":2}"#));
    }

    #[test]
    fn apply_time_checks() {
        let schema = schema();
        let changed = obj(&[("name", "b".into())]);
        let e = ensure_in_place(&schema, "t", &prior(), &changed).unwrap_err();
        assert_eq!(e.attribute.as_deref(), Some("name"));
        assert!(ensure_in_place(&schema, "t", &prior(), &prior()).is_ok());

        let mut object = object_from(&schema, &changed);
        assert_eq!(object.len(), 8);
        fill_defaults(&mut object, &[("note", "d".into()), ("name", "no".into())]);
        assert_eq!(object["note"], Value::string("d"));
        assert_eq!(object["name"], Value::string("b"));
        object.insert("id".into(), Value::Unknown);
        let e = ensure_known("test", "t", &object).unwrap_err();
        assert!(e.message.ends_with("this is a bug in the test provider"));

        let errors = vec![
            ProviderError::fatal("one").on_attribute("a"),
            ProviderError::fatal("two"),
        ];
        assert_eq!(
            diagnostics(errors.clone())[0].attribute.as_deref(),
            Some("a")
        );
        assert_eq!(first_error(errors).unwrap_err().message, "one");
        assert!(first_error(Vec::new()).is_ok());
    }
}
