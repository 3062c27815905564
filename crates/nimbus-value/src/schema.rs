//! Schemas: what attributes a resource type, data source or provider
//! configuration takes. Providers supply them; the evaluator uses them to
//! decide how to read an attribute's form (`(tags (Env "prod"))` is a map
//! because `tags` is map-typed, not a call of a function named `Env`), and
//! the planner uses them to tell updates from replacements.

use crate::types::Type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Presence {
    /// The user must set it.
    Required,
    /// The user may set it; null when not set.
    Optional,
    /// Set by the provider only.
    Computed,
    /// The user may set it; the provider fills it in when not set.
    OptionalComputed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeSchema {
    pub ty: Type,
    pub presence: Presence,
    /// Never printed in plans, logs or events.
    pub sensitive: bool,
    /// A change to it replaces the object instead of updating it in place.
    pub force_new: bool,
    pub description: String,
}

impl AttributeSchema {
    pub fn new(ty: Type, presence: Presence) -> AttributeSchema {
        AttributeSchema {
            ty,
            presence,
            sensitive: false,
            force_new: false,
            description: String::new(),
        }
    }

    pub fn required(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, Presence::Required)
    }

    pub fn optional(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, Presence::Optional)
    }

    pub fn computed(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, Presence::Computed)
    }

    pub fn optional_computed(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, Presence::OptionalComputed)
    }

    pub fn sensitive(mut self) -> AttributeSchema {
        self.sensitive = true;
        self
    }

    pub fn force_new(mut self) -> AttributeSchema {
        self.force_new = true;
        self
    }

    pub fn describe(mut self, text: &str) -> AttributeSchema {
        self.description = text.to_string();
        self
    }

    /// Whether a user may write this attribute in configuration.
    pub fn is_settable(&self) -> bool {
        self.presence != Presence::Computed
    }

    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }
}

/// Schema of one resource type, data source or provider configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Schema {
    /// Bumped by the provider when the stored shape changes; stored per
    /// instance so old state can be upgraded.
    pub version: u64,
    pub description: String,
    pub attributes: BTreeMap<String, AttributeSchema>,
}

impl Schema {
    pub fn new(description: &str) -> Schema {
        Schema {
            version: 0,
            description: description.to_string(),
            attributes: BTreeMap::new(),
        }
    }

    pub fn attr(mut self, name: &str, attribute: AttributeSchema) -> Schema {
        self.attributes.insert(name.to_string(), attribute);
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&AttributeSchema> {
        self.attributes.get(name)
    }

    /// Names a user may set, for "did you mean" suggestions.
    pub fn settable_names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(|(_, a)| a.is_settable())
            .map(|(n, _)| n.as_str())
    }

    pub fn sensitive_names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(|(_, a)| a.sensitive)
            .map(|(n, _)| n.as_str())
    }

    /// The object type of a whole instance of this schema.
    pub fn object_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|(n, a)| (n.clone(), a.ty.clone()))
                .collect(),
        )
    }
}

/// Everything a provider offers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProviderSchema {
    /// Attributes of the `(provider NAME ...)` block.
    pub provider: Schema,
    /// Shared: every instance of a type plans against the same schema.
    pub resources: BTreeMap<String, Arc<Schema>>,
    pub data_sources: BTreeMap<String, Arc<Schema>>,
}
