//! Plugin schemas: what `GetSchema` (protocol 5) or `GetProviderSchema`
//! (protocol 6) returns, held with full cty types (needed to encode values
//! for the wire), and turned into the Nimbus [`ProviderSchema`] the engine
//! and evaluator read.
//!
//! Mapping to Nimbus:
//! - attributes keep the plugin's names (`triggers`, not `triggers`
//!   rewritten); required / optional / computed / optional+computed become
//!   [`Presence`]; `sensitive` is kept; `force_new` is never set, because a
//!   plugin decides replacement itself in `PlanResourceChange`;
//! - nested blocks become attributes: `single` and `group` an object,
//!   `list` a list of objects, `set` a set of objects, `map` a map of
//!   objects; required when the block has a minimum item count;
//! - protocol 6 nested attributes become the same shapes.

use crate::cty::{CtyError, CtyType};
use crate::proto::{tfplugin5 as v5, tfplugin6 as v6};
use nimbus_value::{AttributeSchema, Presence, ProviderSchema, Schema, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    Group,
    List,
    Set,
    Map,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    pub ty: CtyType,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub description: String,
}

impl AttributeDef {
    pub fn presence(&self) -> Presence {
        match (self.required, self.optional, self.computed) {
            (true, _, _) => Presence::Required,
            (false, true, true) => Presence::OptionalComputed,
            (false, false, true) => Presence::Computed,
            _ => Presence::Optional,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlockDef {
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlockDef {
    pub fn cty_type(&self) -> CtyType {
        let inner = self.block.cty_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => inner,
            Nesting::List => CtyType::list(inner),
            Nesting::Set => CtyType::set(inner),
            Nesting::Map => CtyType::map(inner),
        }
    }
}

/// One block of a schema: a resource, data source or provider
/// configuration at the top, or a nested block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BlockSchema {
    /// The schema version (meaningful at the top level only).
    pub version: i64,
    pub description: String,
    pub attributes: BTreeMap<String, AttributeDef>,
    pub blocks: BTreeMap<String, NestedBlockDef>,
}

impl BlockSchema {
    /// The object type of a value of this block.
    pub fn cty_type(&self) -> CtyType {
        let mut fields: BTreeMap<String, CtyType> = self
            .attributes
            .iter()
            .map(|(n, a)| (n.clone(), a.ty.clone()))
            .collect();
        for (name, block) in &self.blocks {
            fields.insert(name.clone(), block.cty_type());
        }
        CtyType::Object(fields)
    }

    fn any_sensitive(&self) -> bool {
        self.attributes.values().any(|a| a.sensitive)
            || self.blocks.values().any(|b| b.block.any_sensitive())
    }

    /// The schema Nimbus users and the engine see.
    pub fn to_nimbus(&self) -> Schema {
        let mut schema = Schema::new(&self.description);
        schema.version = u64::try_from(self.version).unwrap_or(0);
        for (name, a) in &self.attributes {
            let mut attribute =
                AttributeSchema::new(a.ty.to_nimbus(), a.presence()).describe(&a.description);
            attribute.sensitive = a.sensitive;
            schema.attributes.insert(name.clone(), attribute);
        }
        for (name, b) in &self.blocks {
            let presence = if b.min_items > 0 {
                Presence::Required
            } else {
                Presence::Optional
            };
            let mut attribute = AttributeSchema::new(b.cty_type().to_nimbus(), presence)
                .describe(&b.block.description);
            attribute.sensitive = b.block.any_sensitive();
            schema.attributes.insert(name.clone(), attribute);
        }
        schema
    }

    /// Puts a configuration (or planned) object into the shape a plugin
    /// expects: every attribute present, nested `list`/`set` blocks that
    /// are absent as empty lists, absent `map` blocks as empty maps, absent
    /// `group` blocks as objects of nulls, and a single object given for a
    /// list or set block wrapped in a list.
    pub fn normalize(&self, value: &Value) -> Value {
        let value = value.peel();
        let empty = BTreeMap::new();
        let map = match value {
            Value::Map(map) => map,
            Value::Null => &empty,
            other => return other.clone(),
        };
        let mut out = BTreeMap::new();
        for name in self.attributes.keys() {
            out.insert(
                name.clone(),
                map.get(name)
                    .map(|v| v.peel().clone())
                    .unwrap_or(Value::Null),
            );
        }
        for (name, b) in &self.blocks {
            let v = map.get(name).map(Value::peel).unwrap_or(&Value::Null);
            let normalized = match (b.nesting, v) {
                (_, Value::Unknown) => Value::Unknown,
                (Nesting::Single, Value::Null) => Value::Null,
                (Nesting::Single | Nesting::Group, v) => b.block.normalize(v),
                (Nesting::List | Nesting::Set, Value::Null) => Value::List(Vec::new()),
                (Nesting::List | Nesting::Set, Value::List(items)) => {
                    Value::List(items.iter().map(|i| b.block.normalize(i)).collect())
                }
                (Nesting::List | Nesting::Set, single @ Value::Map(_)) => {
                    Value::List(vec![b.block.normalize(single)])
                }
                (Nesting::Map, Value::Null) => Value::Map(BTreeMap::new()),
                (Nesting::Map, Value::Map(entries)) => Value::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), b.block.normalize(v)))
                        .collect(),
                ),
                (_, other) => other.clone(),
            };
            out.insert(name.clone(), normalized);
        }
        // Keys the schema does not know are kept so that encoding reports
        // them instead of dropping them silently.
        for (k, v) in map {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Map(out)
    }

    /// Terraform's proposed new state: the configuration, with the prior
    /// value of every computed attribute the configuration leaves null.
    /// Both inputs must be normalized. On create (`prior` null) computed
    /// attributes stay null; the plugin marks what it will compute as
    /// unknown.
    pub fn proposed_new(&self, prior: &Value, config: &Value) -> Value {
        let (Value::Map(config_map), prior_map) = (config, prior.as_map()) else {
            return config.clone();
        };
        let empty = BTreeMap::new();
        let prior_map = prior_map.unwrap_or(&empty);
        let mut out = BTreeMap::new();
        for (name, a) in &self.attributes {
            let configured = config_map.get(name).cloned().unwrap_or(Value::Null);
            let value = if a.computed && configured.is_null() {
                prior_map.get(name).cloned().unwrap_or(Value::Null)
            } else {
                configured
            };
            out.insert(name.clone(), value);
        }
        for (name, b) in &self.blocks {
            let configured = config_map.get(name).unwrap_or(&Value::Null);
            let prior_v = prior_map.get(name).unwrap_or(&Value::Null);
            let value = match (b.nesting, configured) {
                (_, Value::Unknown) | (_, Value::Null) => configured.clone(),
                (Nesting::Single | Nesting::Group, c) => b.block.proposed_new(prior_v, c),
                (Nesting::List, Value::List(items)) => {
                    let priors = prior_v.as_list().unwrap_or(&[]);
                    Value::List(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, c)| {
                                b.block
                                    .proposed_new(priors.get(i).unwrap_or(&Value::Null), c)
                            })
                            .collect(),
                    )
                }
                (Nesting::Set, Value::List(items)) => {
                    // Set elements have no identity: a prior element lends
                    // its computed values to a configured element only when
                    // all else in them is equal (Terraform's rule).
                    let priors = prior_v.as_list().unwrap_or(&[]);
                    let keys: Vec<Value> =
                        priors.iter().map(|p| b.block.without_computed(p)).collect();
                    let mut used = vec![false; priors.len()];
                    Value::List(
                        items
                            .iter()
                            .map(|c| {
                                let matched =
                                    (0..priors.len()).find(|&i| !used[i] && keys[i] == *c);
                                let prior = match matched {
                                    Some(i) => {
                                        used[i] = true;
                                        &priors[i]
                                    }
                                    None => &Value::Null,
                                };
                                b.block.proposed_new(prior, c)
                            })
                            .collect(),
                    )
                }
                (Nesting::Map, Value::Map(entries)) => Value::Map(
                    entries
                        .iter()
                        .map(|(k, c)| {
                            (
                                k.clone(),
                                b.block
                                    .proposed_new(prior_v.get(k).unwrap_or(&Value::Null), c),
                            )
                        })
                        .collect(),
                ),
                (_, other) => other.clone(),
            };
            out.insert(name.clone(), value);
        }
        Value::Map(out)
    }
}

impl BlockSchema {
    /// An object with every computed attribute nulled (recursively), to
    /// compare a prior set element with a configured one.
    fn without_computed(&self, value: &Value) -> Value {
        let Value::Map(map) = value.peel() else {
            return value.clone();
        };
        let mut out = BTreeMap::new();
        for (name, a) in &self.attributes {
            let v = map.get(name).cloned().unwrap_or(Value::Null);
            out.insert(name.clone(), if a.computed { Value::Null } else { v });
        }
        for (name, b) in &self.blocks {
            let v = map.get(name).unwrap_or(&Value::Null);
            let stripped = match (b.nesting, v.peel()) {
                (Nesting::List | Nesting::Set, Value::List(items)) => {
                    Value::List(items.iter().map(|i| b.block.without_computed(i)).collect())
                }
                (Nesting::Map, Value::Map(entries)) => Value::Map(
                    entries
                        .iter()
                        .map(|(k, i)| (k.clone(), b.block.without_computed(i)))
                        .collect(),
                ),
                (Nesting::Single | Nesting::Group, Value::Map(_)) => b.block.without_computed(v),
                _ => v.clone(),
            };
            out.insert(name.clone(), stripped);
        }
        Value::Map(out)
    }
}

/// Everything a plugin offers, with wire types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PluginSchema {
    pub provider: BlockSchema,
    pub resources: BTreeMap<String, BlockSchema>,
    pub data_sources: BTreeMap<String, BlockSchema>,
    pub provider_meta: Option<BlockSchema>,
}

impl PluginSchema {
    pub fn to_nimbus(&self) -> ProviderSchema {
        ProviderSchema {
            provider: self.provider.to_nimbus(),
            resources: self
                .resources
                .iter()
                .map(|(n, s)| (n.clone(), Arc::new(s.to_nimbus())))
                .collect(),
            data_sources: self
                .data_sources
                .iter()
                .map(|(n, s)| (n.clone(), Arc::new(s.to_nimbus())))
                .collect(),
        }
    }
}

/// A schema the plugin sent that cannot be used.
fn bad_type(where_: &str, name: &str, e: CtyError) -> CtyError {
    CtyError {
        path: if where_.is_empty() {
            name.to_string()
        } else {
            format!("{where_}.{name}")
        },
        message: format!("the plugin's schema has an unusable type: {}", e.message),
    }
}

// ------------------------------------------- both protocol versions

/// A schema message of either protocol version.
pub(crate) trait WireSchema {
    fn to_block_schema(&self, where_: &str) -> Result<BlockSchema, CtyError>;
}

/// A resource's, data source's or the provider's schema; an absent one is
/// empty.
pub(crate) fn from_schema<S: WireSchema>(
    schema: Option<&S>,
    where_: &str,
) -> Result<BlockSchema, CtyError> {
    schema.map_or_else(|| Ok(BlockSchema::default()), |s| s.to_block_schema(where_))
}

/// `where_.name`: where in the schema a problem is.
fn path_in(where_: &str, name: &str) -> String {
    if where_.is_empty() {
        name.to_string()
    } else {
        format!("{where_}.{name}")
    }
}

/// A nested block's nesting mode; both protocol versions number the enum
/// `NestingMode` alike (0 is INVALID).
fn nesting(mode: i32, where_: &str, type_name: &str) -> Result<Nesting, CtyError> {
    Ok(match mode {
        1 => Nesting::Single,
        2 => Nesting::List,
        3 => Nesting::Set,
        4 => Nesting::Map,
        5 => Nesting::Group,
        _ => {
            return Err(bad_type(
                where_,
                type_name,
                CtyError {
                    path: String::new(),
                    message: "nested block without a nesting mode".into(),
                },
            ));
        }
    })
}

/// The fields of a nested block message both versions share.
struct WireNested<'a, B> {
    type_name: &'a str,
    nesting: i32,
    block: Option<&'a B>,
    min_items: i64,
    max_items: i64,
}

/// A block's description, version and nested blocks, whose messages differ
/// between the versions only in their Rust types.
fn block_with_nested<'a, B: 'a>(
    version: i64,
    description: &str,
    nested: impl Iterator<Item = WireNested<'a, B>>,
    where_: &str,
    convert: fn(&B, &str) -> Result<BlockSchema, CtyError>,
) -> Result<BlockSchema, CtyError> {
    let mut out = BlockSchema {
        version,
        description: description.to_string(),
        ..BlockSchema::default()
    };
    for nb in nested {
        let nesting = nesting(nb.nesting, where_, nb.type_name)?;
        let inner = match nb.block {
            Some(b) => convert(b, &path_in(where_, nb.type_name))?,
            None => BlockSchema::default(),
        };
        out.blocks.insert(
            nb.type_name.to_string(),
            NestedBlockDef {
                nesting,
                block: inner,
                min_items: nb.min_items,
                max_items: nb.max_items,
            },
        );
    }
    Ok(out)
}

/// The nested blocks of a block message of either version.
macro_rules! wire_nested {
    ($block:expr) => {
        $block.block_types.iter().map(|nb| WireNested {
            type_name: &nb.type_name,
            nesting: nb.nesting,
            block: nb.block.as_ref(),
            min_items: nb.min_items,
            max_items: nb.max_items,
        })
    };
}

macro_rules! wire_schema {
    ($pb:ident, $block:ident) => {
        impl WireSchema for $pb::Schema {
            fn to_block_schema(&self, where_: &str) -> Result<BlockSchema, CtyError> {
                let mut block = match &self.block {
                    Some(b) => $block(b, where_)?,
                    None => BlockSchema::default(),
                };
                block.version = self.version;
                Ok(block)
            }
        }
    };
}

// ------------------------------------------------------------- protocol 5

wire_schema!(v5, from_v5_block);

fn from_v5_block(block: &v5::schema::Block, where_: &str) -> Result<BlockSchema, CtyError> {
    let nested = wire_nested!(block);
    let mut out = block_with_nested(
        block.version,
        &block.description,
        nested,
        where_,
        from_v5_block,
    )?;
    for a in &block.attributes {
        let ty = CtyType::from_json_bytes(&a.r#type).map_err(|e| bad_type(where_, &a.name, e))?;
        out.attributes.insert(
            a.name.clone(),
            AttributeDef {
                ty,
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description: a.description.clone(),
            },
        );
    }
    Ok(out)
}

// ------------------------------------------------------------- protocol 6

wire_schema!(v6, from_v6_block);

/// Protocol 6 attributes may have a nested type instead of a type string.
fn v6_attribute_type(a: &v6::schema::Attribute, where_: &str) -> Result<CtyType, CtyError> {
    let Some(nested) = &a.nested_type else {
        return CtyType::from_json_bytes(&a.r#type).map_err(|e| bad_type(where_, &a.name, e));
    };
    let inner_where = path_in(where_, &a.name);
    let mut fields = BTreeMap::new();
    for inner in &nested.attributes {
        fields.insert(inner.name.clone(), v6_attribute_type(inner, &inner_where)?);
    }
    let object = CtyType::Object(fields);
    use v6::schema::object::NestingMode as M;
    Ok(match M::try_from(nested.nesting).unwrap_or(M::Invalid) {
        M::Single | M::Invalid => object,
        M::List => CtyType::list(object),
        M::Set => CtyType::set(object),
        M::Map => CtyType::map(object),
    })
}

fn from_v6_block(block: &v6::schema::Block, where_: &str) -> Result<BlockSchema, CtyError> {
    let nested = wire_nested!(block);
    let mut out = block_with_nested(
        block.version,
        &block.description,
        nested,
        where_,
        from_v6_block,
    )?;
    for a in &block.attributes {
        let ty = v6_attribute_type(a, where_)?;
        let sensitive = a.sensitive
            || a.nested_type
                .as_ref()
                .is_some_and(|n| n.attributes.iter().any(|i| i.sensitive));
        out.attributes.insert(
            a.name.clone(),
            AttributeDef {
                ty,
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive,
                description: a.description.clone(),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_value::Type;

    fn attr(
        name: &str,
        ty: &str,
        required: bool,
        optional: bool,
        computed: bool,
    ) -> v5::schema::Attribute {
        v5::schema::Attribute {
            name: name.into(),
            r#type: ty.as_bytes().to_vec(),
            required,
            optional,
            computed,
            ..Default::default()
        }
    }

    fn sample_v5() -> v5::Schema {
        v5::Schema {
            version: 2,
            block: Some(v5::schema::Block {
                attributes: vec![
                    attr("id", r#""string""#, false, true, true),
                    attr("triggers", r#"["map","string"]"#, false, true, false),
                    attr("name", r#""string""#, true, false, false),
                    attr("arn", r#""string""#, false, false, true),
                ],
                block_types: vec![
                    v5::schema::NestedBlock {
                        type_name: "rule".into(),
                        block: Some(v5::schema::Block {
                            attributes: vec![
                                attr("port", r#""number""#, true, false, false),
                                attr("uid", r#""string""#, false, false, true),
                            ],
                            ..Default::default()
                        }),
                        nesting: v5::schema::nested_block::NestingMode::List as i32,
                        min_items: 1,
                        max_items: 0,
                    },
                    v5::schema::NestedBlock {
                        type_name: "timeouts".into(),
                        block: Some(v5::schema::Block {
                            attributes: vec![attr("create", r#""string""#, false, true, false)],
                            ..Default::default()
                        }),
                        nesting: v5::schema::nested_block::NestingMode::Single as i32,
                        min_items: 0,
                        max_items: 1,
                    },
                ],
                ..Default::default()
            }),
        }
    }

    use nimbus_provider::testing::obj;

    #[test]
    fn v5_schemas_map_to_nimbus_schemas() {
        let block = from_schema(Some(&sample_v5()), "t").unwrap();
        let schema = block.to_nimbus();
        assert_eq!(schema.version, 2);
        assert_eq!(schema.attributes["id"].presence, Presence::OptionalComputed);
        assert_eq!(schema.attributes["name"].presence, Presence::Required);
        assert_eq!(schema.attributes["arn"].presence, Presence::Computed);
        assert_eq!(schema.attributes["triggers"].ty, Type::map(Type::String));
        assert!(!schema.attributes["triggers"].force_new);
        let rule = &schema.attributes["rule"];
        assert_eq!(rule.presence, Presence::Required);
        assert!(matches!(&rule.ty, Type::List(inner) if matches!(**inner, Type::Object(_))));
        assert!(matches!(schema.attributes["timeouts"].ty, Type::Object(_)));
    }

    #[test]
    fn normalization_fills_blocks_and_attributes() {
        let block = from_schema(Some(&sample_v5()), "t").unwrap();
        let config = obj(&[
            ("name", Value::string("n")),
            ("rule", obj(&[("port", Value::int(80))])),
        ]);
        let normalized = block.normalize(&config);
        assert_eq!(normalized.get("id"), Some(&Value::Null));
        assert_eq!(normalized.get("timeouts"), Some(&Value::Null));
        let rules = normalized.get("rule").unwrap().as_list().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].get("uid"), Some(&Value::Null));
        // The normalized value encodes against the block's type.
        crate::cty::to_msgpack(&normalized, &block.cty_type()).unwrap();
    }

    #[test]
    fn proposed_new_keeps_prior_computed_values() {
        let block = from_schema(Some(&sample_v5()), "t").unwrap();
        let prior = block.normalize(&obj(&[
            ("id", Value::string("42")),
            ("name", Value::string("old")),
            ("arn", Value::string("arn:x")),
            (
                "rule",
                Value::List(vec![obj(&[
                    ("port", Value::int(80)),
                    ("uid", Value::string("u1")),
                ])]),
            ),
        ]));
        let config = block.normalize(&obj(&[
            ("name", Value::string("new")),
            ("rule", Value::List(vec![obj(&[("port", Value::int(81))])])),
        ]));
        let proposed = block.proposed_new(&prior, &config);
        assert_eq!(proposed.get("id"), Some(&Value::string("42")));
        assert_eq!(proposed.get("arn"), Some(&Value::string("arn:x")));
        assert_eq!(proposed.get("name"), Some(&Value::string("new")));
        let rule = &proposed.get("rule").unwrap().as_list().unwrap()[0];
        assert_eq!(rule.get("uid"), Some(&Value::string("u1")));
        assert_eq!(rule.get("port"), Some(&Value::int(81)));
        // On create computed attributes stay null.
        let fresh = block.proposed_new(&Value::Null, &config);
        assert_eq!(fresh.get("id"), Some(&Value::Null));
    }

    #[test]
    fn set_elements_keep_computed_values_only_when_unchanged() {
        let mut block = from_schema(Some(&sample_v5()), "t").unwrap();
        block.blocks.get_mut("rule").unwrap().nesting = Nesting::Set;
        let rule = |port: i64, uid: Value| obj(&[("port", Value::int(port)), ("uid", uid)]);
        let prior = block.normalize(&obj(&[
            ("name", Value::string("n")),
            (
                "rule",
                Value::List(vec![rule(80, "u80".into()), rule(443, "u443".into())]),
            ),
        ]));
        let config = block.normalize(&obj(&[
            ("name", Value::string("n")),
            (
                "rule",
                Value::List(vec![rule(443, Value::Null), rule(8080, Value::Null)]),
            ),
        ]));
        let proposed = block.proposed_new(&prior, &config);
        let rules = proposed.get("rule").unwrap().as_list().unwrap();
        assert_eq!(rules[0], rule(443, "u443".into()));
        assert_eq!(rules[1], rule(8080, Value::Null));
    }

    #[test]
    fn v6_nested_attributes_become_object_types() {
        let schema = v6::Schema {
            version: 0,
            block: Some(v6::schema::Block {
                attributes: vec![v6::schema::Attribute {
                    name: "endpoints".into(),
                    nested_type: Some(v6::schema::Object {
                        attributes: vec![v6::schema::Attribute {
                            name: "url".into(),
                            r#type: br#""string""#.to_vec(),
                            required: true,
                            sensitive: true,
                            ..Default::default()
                        }],
                        nesting: v6::schema::object::NestingMode::Map as i32,
                        min_items: 0,
                        max_items: 0,
                    }),
                    optional: true,
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        let block = from_schema(Some(&schema), "t").unwrap();
        let a = &block.to_nimbus().attributes["endpoints"];
        assert_eq!(
            a.ty,
            Type::map(Type::Object([("url".to_string(), Type::String)].into()))
        );
        assert!(a.sensitive);
    }
}
