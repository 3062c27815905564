//! Terraform state (format version 4) in and out, so that moving between
//! Terraform and Nimbus is never one-way: `state import-terraform` adopts a
//! Terraform state's objects, `state export-terraform` writes Nimbus's
//! objects as a state Terraform 1.x reads.
//!
//! Addresses go through the one address type ([`nimbus_config::address`]):
//! Terraform's `module`, `type`, `name` and `index_key` become an
//! [`InstanceAddr`] and back, so keys with any characters round-trip.
//! Attributes, private data and schema versions are carried as they are:
//! both sides hold what the provider returned. Data sources are not kept
//! in Nimbus's state (they are read on every plan), so they are not
//! imported; sensitive paths are kept per top-level attribute (Nimbus's
//! granularity), which can only mask more, never less.

use base64::Engine as _;
use nimbus_config::Mode;
use nimbus_config::address::{BlockAddr, InstanceAddr, InstanceKey, ModuleStep};
use nimbus_state::{OutputRecord, ResourceRecord, ResourceStatus};
use nimbus_value::{AttrPath, Step, Type};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

/// The state format version this module reads and writes.
pub const TERRAFORM_STATE_VERSION: u32 = 4;

/// The Terraform version written into exported states: the language
/// version Nimbus follows.
pub const EXPORTED_TERRAFORM_VERSION: &str = "1.5.7";

/// Why a Terraform state cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TerraformStateError {
    #[error("not a Terraform state: {0}")]
    NotAState(String),
    #[error(
        "Terraform state format {0} is not supported (Nimbus reads format 4, written by Terraform 0.12 and later); run `terraform apply` or `terraform state pull` with a newer Terraform first"
    )]
    UnsupportedVersion(u32),
    #[error("{resource}: {reason}")]
    Resource { resource: String, reason: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct State {
    version: u32,
    #[serde(default)]
    terraform_version: String,
    #[serde(default)]
    serial: u64,
    #[serde(default)]
    lineage: String,
    #[serde(default)]
    outputs: BTreeMap<String, StateOutput>,
    #[serde(default)]
    resources: Vec<StateResource>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StateOutput {
    value: Json,
    #[serde(rename = "type")]
    ty: Json,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    sensitive: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct StateResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    provider: String,
    instances: Vec<StateInstance>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StateInstance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index_key: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deposed: Option<String>,
    #[serde(default)]
    schema_version: u64,
    #[serde(default)]
    attributes: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attributes_flat: Option<Json>,
    #[serde(default)]
    sensitive_attributes: Vec<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    create_before_destroy: Option<bool>,
}

/// A provider configuration as a Terraform state names it:
/// `provider["registry.terraform.io/hashicorp/null"].west`, or
/// `module.net.provider["registry.terraform.io/hashicorp/null"]` for one a
/// module writes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformProvider {
    /// `module.net` for a module's own configuration; `None` for the
    /// root's.
    pub module: Option<String>,
    /// `registry.terraform.io/hashicorp/null`.
    pub source: String,
    pub alias: Option<String>,
}

impl TerraformProvider {
    fn parse(text: &str) -> Option<TerraformProvider> {
        // A module's own configuration: `module.x.provider[...]`.
        let at = text.find("provider[\"")?;
        let module = text[..at].strip_suffix('.').map(str::to_string);
        let rest = &text[at + "provider[\"".len()..];
        let end = rest.find("\"]")?;
        let alias = rest[end + 2..].strip_prefix('.').map(str::to_string);
        Some(TerraformProvider {
            module,
            source: rest[..end].to_string(),
            alias,
        })
    }

    /// The provider's local name: the last part of its source (`null`).
    pub fn local_name(&self) -> &str {
        self.source.rsplit('/').next().unwrap_or(&self.source)
    }
}

impl std::fmt::Display for TerraformProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(module) = &self.module {
            write!(f, "{module}.")?;
        }
        write!(f, "provider[\"{}\"]", self.source)?;
        if let Some(alias) = &self.alias {
            write!(f, ".{alias}")?;
        }
        Ok(())
    }
}

/// What a Terraform state holds, as Nimbus records.
#[derive(Debug, Default)]
pub struct Adoption {
    pub records: Vec<ResourceRecord>,
    pub outputs: Vec<OutputRecord>,
    /// Data source instances left out (Nimbus reads them on every plan).
    pub data_sources: usize,
    /// The state's lineage, kept so an export continues it.
    pub lineage: String,
}

/// Reads a Terraform state. `provider_of` names the Nimbus provider
/// configuration that will manage each block (the configuration's, where
/// the block is configured).
pub fn read(
    bytes: &[u8],
    provider_of: impl Fn(&BlockAddr, &TerraformProvider) -> String,
) -> Result<Adoption, TerraformStateError> {
    #[derive(Deserialize)]
    struct Header {
        version: u32,
    }
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| TerraformStateError::NotAState(e.to_string()))?;
    if header.version != TERRAFORM_STATE_VERSION {
        return Err(TerraformStateError::UnsupportedVersion(header.version));
    }
    let state: State =
        serde_json::from_slice(bytes).map_err(|e| TerraformStateError::NotAState(e.to_string()))?;
    let mut adoption = Adoption {
        lineage: state.lineage,
        ..Adoption::default()
    };
    for resource in state.resources {
        let described = match &resource.module {
            Some(module) => format!("{module}.{}.{}", resource.type_name, resource.name),
            None => format!("{}.{}", resource.type_name, resource.name),
        };
        let error = |reason: String| TerraformStateError::Resource {
            resource: described.clone(),
            reason,
        };
        let mode = match resource.mode.as_str() {
            "managed" => Mode::Managed,
            "data" => {
                adoption.data_sources += resource.instances.len();
                continue;
            }
            other => return Err(error(format!("unknown mode {other:?}"))),
        };
        let block = BlockAddr {
            module: parse_module_path(resource.module.as_deref()).map_err(&error)?,
            mode,
            type_name: resource.type_name.clone(),
            name: resource.name.clone(),
        };
        let provider = TerraformProvider::parse(&resource.provider)
            .ok_or_else(|| error(format!("unreadable provider {:?}", resource.provider)))?;
        let provider = provider_of(&block, &provider);
        for instance in resource.instances {
            if let Some(deposed) = &instance.deposed {
                return Err(error(format!(
                    "holds a deposed object ({deposed}) left by an interrupted create-before-destroy replacement; finish it with `terraform apply` first"
                )));
            }
            let key = match &instance.index_key {
                None => None,
                Some(Json::String(key)) => Some(InstanceKey::Key(key.clone())),
                Some(Json::Number(n)) => {
                    Some(InstanceKey::Index(n.as_u64().ok_or_else(|| {
                        error(format!("instance index {n} is not a whole number"))
                    })?))
                }
                Some(other) => return Err(error(format!("unreadable instance key {other}"))),
            };
            let address = InstanceAddr {
                block: block.clone(),
                key,
            };
            let attributes = match (instance.attributes, instance.attributes_flat) {
                (Some(attributes), _) => attributes,
                (None, Some(_)) => {
                    return Err(error(
                        "has attributes in the flat format of Terraform 0.11; upgrade the state with `terraform apply` on Terraform 0.12 or later first".to_string(),
                    ));
                }
                (None, None) => return Err(error("has no attributes".to_string())),
            };
            let private = match &instance.private {
                None => Vec::new(),
                Some(text) => base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| error(format!("private data is not Base64: {e}")))?,
            };
            let mut sensitive: Vec<String> = instance
                .sensitive_attributes
                .iter()
                .filter_map(attr_path)
                .map(|path| path.to_string())
                .collect();
            sensitive.sort();
            sensitive.dedup();
            adoption.records.push(ResourceRecord {
                address: address.to_string(),
                resource_type: resource.type_name.clone(),
                provider: provider.clone(),
                attributes,
                sensitive_attributes: sensitive,
                private,
                schema_version: instance.schema_version,
                dependencies: instance.dependencies,
                status: if instance.status.as_deref() == Some("tainted") {
                    ResourceStatus::Tainted
                } else {
                    ResourceStatus::Ready
                },
                last_run: None,
            });
        }
    }
    adoption.outputs = state
        .outputs
        .into_iter()
        .map(|(name, output)| OutputRecord {
            name,
            value: output.value,
            sensitive: output.sensitive,
            terraform_type: Some(output.ty),
        })
        .collect();
    Ok(adoption)
}

/// `module.a[0].module.b["k"]` as module steps.
fn parse_module_path(module: Option<&str>) -> Result<Vec<ModuleStep>, String> {
    let Some(module) = module.filter(|m| !m.is_empty()) else {
        return Ok(Vec::new());
    };
    // Parsed as the module part of an instance address, with a stand-in
    // block after it.
    InstanceAddr::parse(&format!("{module}.t.n"))
        .map(|address| address.block.module)
        .map_err(|e| format!("unreadable module path {module:?}: {e}"))
}

/// The attribute a sensitive path starts at: `[{"type":"get_attr","value":"triggers"}, ...]`.
/// A Terraform sensitive path (`[{"type": "get_attr", "value": "triggers"},
/// {"type": "index", "value": {"value": "k", "type": "string"}}]`) as
/// Nimbus's [`AttrPath`]. A path Nimbus cannot follow below its attribute
/// (a step of another kind) keeps the part it can: more is masked, never
/// less.
fn attr_path(path: &Json) -> Option<AttrPath> {
    let mut steps = path.as_array()?.iter();
    let first = steps.next()?;
    if first.get("type")?.as_str()? != "get_attr" {
        return None;
    }
    let mut result = AttrPath::attribute(first.get("value")?.as_str()?);
    for step in steps {
        let next = match step.get("type").and_then(Json::as_str) {
            Some("get_attr") => step
                .get("value")
                .and_then(Json::as_str)
                .map(|k| Step::Key(k.to_string())),
            Some("index") => match step.get("value").and_then(|v| v.get("value")) {
                Some(Json::String(key)) => Some(Step::Key(key.clone())),
                Some(Json::Number(n)) => n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(Step::Index),
                _ => None,
            },
            _ => None,
        };
        match next {
            Some(step) => result.steps.push(step),
            None => break,
        }
    }
    Some(result)
}

/// Nimbus's path in text form as Terraform's path steps.
fn terraform_path(text: &str) -> Json {
    let path = AttrPath::parse(text).unwrap_or_else(|| AttrPath::attribute(text));
    let mut steps = vec![json!({ "type": "get_attr", "value": path.attribute })];
    for step in path.steps {
        steps.push(match step {
            Step::Key(key) => {
                json!({ "type": "index", "value": { "value": key, "type": "string" } })
            }
            Step::Index(index) => {
                json!({ "type": "index", "value": { "value": index, "type": "number" } })
            }
        });
    }
    Json::Array(steps)
}

/// Writes `records` and `outputs` as a Terraform state. `provider_for`
/// names each record's provider as Terraform does.
pub fn write(
    records: &[ResourceRecord],
    outputs: &[OutputRecord],
    lineage: &str,
    serial: u64,
    provider_for: impl Fn(&ResourceRecord) -> TerraformProvider,
) -> Result<Vec<u8>, TerraformStateError> {
    // Instances grouped by block, blocks in address order.
    let mut blocks: BTreeMap<BlockAddr, StateResource> = BTreeMap::new();
    for record in records {
        let address =
            InstanceAddr::parse(&record.address).map_err(|e| TerraformStateError::Resource {
                resource: record.address.clone(),
                reason: e.to_string(),
            })?;
        let resource = blocks
            .entry(address.block.clone())
            .or_insert_with(|| StateResource {
                module: module_path(&address.block.module),
                mode: match address.block.mode {
                    Mode::Managed => "managed",
                    Mode::Data => "data",
                }
                .to_string(),
                type_name: address.block.type_name.clone(),
                name: address.block.name.clone(),
                provider: provider_for(record).to_string(),
                instances: Vec::new(),
            });
        resource.instances.push(StateInstance {
            index_key: address.key.map(|key| match key {
                InstanceKey::Index(i) => json!(i),
                InstanceKey::Key(k) => json!(k),
            }),
            status: (record.status == ResourceStatus::Tainted).then(|| "tainted".to_string()),
            deposed: None,
            schema_version: record.schema_version,
            attributes: Some(record.attributes.clone()),
            attributes_flat: None,
            sensitive_attributes: record
                .sensitive_attributes
                .iter()
                .map(|path| terraform_path(path))
                .collect(),
            private: (!record.private.is_empty())
                .then(|| base64::engine::general_purpose::STANDARD.encode(&record.private)),
            dependencies: record.dependencies.clone(),
            create_before_destroy: None,
        });
    }
    let state = State {
        version: TERRAFORM_STATE_VERSION,
        terraform_version: EXPORTED_TERRAFORM_VERSION.to_string(),
        serial,
        lineage: lineage.to_string(),
        outputs: outputs
            .iter()
            .map(|o| {
                (
                    o.name.clone(),
                    StateOutput {
                        ty: output_type(o),
                        value: o.value.clone(),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
        resources: blocks.into_values().collect(),
    };
    serde_json::to_vec_pretty(&state).map_err(|e| TerraformStateError::NotAState(e.to_string()))
}

/// `module.a[0].module.b` for module steps (none: no module).
fn module_path(steps: &[ModuleStep]) -> Option<String> {
    if steps.is_empty() {
        return None;
    }
    let mut path = String::new();
    for step in steps {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str("module.");
        path.push_str(&step.name);
        if let Some(key) = &step.key {
            path.push_str(&key.to_string());
        }
    }
    Some(path)
}

/// The cty type of an output, as Terraform records it (in state and in
/// `output -json`): the type Terraform recorded for an adopted value,
/// else the type of the value.
pub fn output_type(output: &OutputRecord) -> Json {
    output
        .terraform_type
        .clone()
        .unwrap_or_else(|| type_of(&output.value))
}

/// The cty type of a JSON value, as Terraform records an output's type
/// (in state and in `output -json`).
pub fn type_of(value: &Json) -> Json {
    match value {
        Json::Null => json!("dynamic"),
        Json::Bool(_) => json!("bool"),
        Json::Number(_) => json!("number"),
        Json::String(_) => json!("string"),
        Json::Array(items) => json!(["tuple", items.iter().map(type_of).collect::<Vec<_>>()]),
        Json::Object(fields) => json!([
            "object",
            fields
                .iter()
                .map(|(k, v)| (k.clone(), type_of(v)))
                .collect::<serde_json::Map<_, _>>()
        ]),
    }
}

/// The cty type of a value whose static type is `ty` (see
/// [`nimbus_eval::static_type`]), as Terraform records an output's type:
/// the parts `ty` leaves open ([`Type::Any`]) read from the value.
pub fn cty_type(ty: &Type, value: &Json) -> Json {
    // The element type of a collection: its own, with open parts read
    // from the first element.
    let element = |t: &Type, mut items: Box<dyn Iterator<Item = &Json> + '_>| match items.next() {
        Some(first) => cty_type(t, first),
        None => cty_type(t, &Json::Null),
    };
    match (ty, value) {
        (Type::Optional(t, _), v) => cty_type(t, v),
        (Type::Any, v) => type_of(v),
        (Type::Bool, _) => json!("bool"),
        (Type::Number, _) => json!("number"),
        (Type::String, _) => json!("string"),
        (Type::List(t), v) => json!(["list", element(t, elements(v))]),
        (Type::Set(t), v) => json!(["set", element(t, elements(v))]),
        (Type::Map(t), v) => json!(["map", element(t, elements(v))]),
        (Type::Object(fields), v) => json!([
            "object",
            fields
                .iter()
                .map(|(k, t)| (k.clone(), cty_type(t, v.get(k).unwrap_or(&Json::Null))))
                .collect::<serde_json::Map<_, _>>()
        ]),
        (Type::Tuple(types), v) => json!([
            "tuple",
            types
                .iter()
                .enumerate()
                .map(|(i, t)| cty_type(t, v.get(i).unwrap_or(&Json::Null)))
                .collect::<Vec<_>>()
        ]),
    }
}

/// The elements of a JSON array, or the values of an object.
fn elements(value: &Json) -> Box<dyn Iterator<Item = &Json> + '_> {
    match value {
        Json::Array(items) => Box::new(items.iter()),
        Json::Object(fields) => Box::new(fields.values()),
        _ => Box::new(std::iter::empty()),
    }
}

/// The Terraform provider that serves a resource type Nimbus serves with
/// a built-in provider (`null_resource` → `hashicorp/null`), by the type's
/// prefix as Terraform itself infers providers. `None` for types Terraform
/// has no provider for (Nimbus's own `.nim` type names).
pub fn builtin_source(type_name: &str) -> Option<&'static str> {
    if type_name == "terraform_data" {
        return Some("terraform.io/builtin/terraform");
    }
    let prefix = type_name.split('_').next()?;
    match prefix {
        "null" => Some("registry.terraform.io/hashicorp/null"),
        "random" => Some("registry.terraform.io/hashicorp/random"),
        "local" => Some("registry.terraform.io/hashicorp/local"),
        "time" => Some("registry.terraform.io/hashicorp/time"),
        "aws" => Some("registry.terraform.io/hashicorp/aws"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output's type as Terraform records it, from its `.nim`
    /// expression (in a module declaring `(define-variables ...)`) and
    /// value.
    fn typed(variables: &str, expression: &str, value: Json) -> Json {
        let text = format!("{variables}\n(output \"o\" (value {expression}))");
        let files = nimbus_config::MemoryFiles::default().with("/p/main.nim", &text);
        let (config, diagnostics) = nimbus_config::load(std::path::Path::new("/p"), &files);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let root = config.root();
        let schema_type = |_, _: &str, _: &str, _: bool, _: &str| Type::Any;
        cty_type(
            &nimbus_eval::static_type(root, &root.outputs[0].value, &schema_type),
            &value,
        )
    }

    #[test]
    fn output_types_follow_the_expression() {
        let vars = r#"(define-variables
            (names (type (list string)))
            (tags (type (map string)))
            (ids (type (set string)))
            (objects (type (list (object (a any)))))
            (loose (type any)))"#;
        assert_eq!(
            typed(vars, "(var names)", json!(["a"])),
            json!(["list", "string"])
        );
        assert_eq!(
            typed(vars, "(var tags)", json!({"k": "v"})),
            json!(["map", "string"])
        );
        assert_eq!(
            typed(vars, "(var ids)", json!([])),
            json!(["set", "string"])
        );
        // The open parts of a declared type are read from the value.
        assert_eq!(
            typed(vars, "(var objects)", json!([{"a": [1]}])),
            json!(["list", ["object", {"a": ["tuple", ["number"]]}]])
        );
        assert_eq!(
            typed(vars, "(var loose)", json!({"k": 1})),
            json!(["object", {"k": "number"}])
        );
        assert_eq!(
            typed(vars, "(list 1 (var tags))", json!([1, {"k": "v"}])),
            json!(["tuple", ["number", ["map", "string"]]])
        );
        assert_eq!(
            typed(
                vars,
                "(map (\"n\" (var names)) (\"x\" 1))",
                json!({"n": [], "x": 1})
            ),
            json!(["object", {"n": ["list", "string"], "x": "number"}])
        );
        assert_eq!(
            typed(
                vars,
                "(to-map (map (a \"x\") (b \"y\")))",
                json!({"a": "x", "b": "y"})
            ),
            json!(["map", "string"])
        );
        assert_eq!(
            typed(vars, "(to-set (list 1 \"a\"))", json!(["1", "a"])),
            json!(["set", "string"])
        );
        assert_eq!(
            typed(vars, "(to-list (list))", json!([])),
            json!(["list", "dynamic"])
        );
        assert_eq!(
            typed(vars, "(split \",\" \"a,b\")", json!(["a", "b"])),
            json!(["list", "string"])
        );
    }

    /// Terraform 1.0.3's types for these (the CLI's parity fixture has
    /// them too).
    #[test]
    fn output_types_of_conditionals_and_collection_functions() {
        let vars = r#"(define-variables
            (flag (type bool))
            (names (type (list string)))
            (tags (type (map string)))
            (groups (type (map (list string))))
            (rows (type (list (map string))))
            (records (type (list (object (k string)))))
            (loose (type any)))"#;
        let cases = [
            // The two sides unify: an empty object with a map, an empty
            // or literal tuple with a list.
            (
                "(if (var flag) (var tags) (map))",
                json!({}),
                json!(["map", "string"]),
            ),
            (
                "(if (var flag) (var groups) (map))",
                json!({"g": ["x"]}),
                json!(["map", ["list", "string"]]),
            ),
            (
                "(if (var flag) (var names) (list \"c\"))",
                json!(["c"]),
                json!(["list", "string"]),
            ),
            (
                "(if (var flag) (map (a 1)) (map (a 2)))",
                json!({"a": 1}),
                json!(["object", {"a": "number"}]),
            ),
            // They do not, or one is only known from its value: the
            // value's type.
            (
                "(if (var flag) (var names) (map (a 1)))",
                json!({"a": 1}),
                json!(["object", {"a": "number"}]),
            ),
            (
                "(if (var flag) (var loose) (var tags))",
                json!([1]),
                json!(["tuple", ["number"]]),
            ),
            (
                "(merge (var tags) (var tags))",
                json!({"a": "b"}),
                json!(["map", "string"]),
            ),
            (
                "(merge (var tags) (map (b \"c\")))",
                json!({"b": "c"}),
                json!(["object", {"b": "string"}]),
            ),
            (
                "(concat (var names) (var names))",
                json!(["a"]),
                json!(["list", "string"]),
            ),
            (
                "(concat (var names) (list \"c\"))",
                json!(["a", "c"]),
                json!(["tuple", ["string", "string"]]),
            ),
            (
                "(flatten (list (var names)))",
                json!(["a"]),
                json!(["tuple", ["string"]]),
            ),
            (
                "(values (var groups))",
                json!([["x"]]),
                json!(["list", ["list", "string"]]),
            ),
            (
                "(values (map (a \"x\")))",
                json!(["x"]),
                json!(["tuple", ["string"]]),
            ),
            (
                "(lookup (var groups) \"g\" (list))",
                json!(["x"]),
                json!(["list", "string"]),
            ),
            (
                "(element (var rows) 0)",
                json!({"k": "v"}),
                json!(["map", "string"]),
            ),
            (
                "(get (var groups) \"g\")",
                json!(["x"]),
                json!(["list", "string"]),
            ),
            (
                "(get (var rows) 0)",
                json!({"k": "v"}),
                json!(["map", "string"]),
            ),
            (
                "(get (var records) * \"k\")",
                json!(["v"]),
                json!(["list", "string"]),
            ),
            (
                "(get (var rows) * \"k\")",
                json!(["v"]),
                json!(["list", "string"]),
            ),
            (
                "(get (var loose) 0)",
                json!({"k": "v"}),
                json!(["object", {"k": "string"}]),
            ),
            (
                "(coalesce (var names) (list))",
                json!(["a"]),
                json!(["list", "string"]),
            ),
            ("(coalesce \"\" \"x\")", json!("x"), json!("string")),
        ];
        for (expression, value, expected) in cases {
            assert_eq!(typed(vars, expression, value), expected, "{expression}");
        }
    }

    const STATE: &str = r#"{
  "version": 4, "terraform_version": "1.0.3", "serial": 9,
  "lineage": "7c7e212b-e137-0cb8-31d5-ca92b9b9f9fe",
  "outputs": {"s": {"value": "hunter2", "type": "string", "sensitive": true},
              "m": {"value": {"a": "b"}, "type": ["map", "string"]}},
  "resources": [
    {"mode": "data", "type": "null_data_source", "name": "d",
     "provider": "provider[\"registry.terraform.io/hashicorp/null\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "static"}}]},
    {"mode": "managed", "type": "null_resource", "name": "keyed",
     "provider": "provider[\"registry.terraform.io/hashicorp/null\"].west",
     "instances": [{"index_key": "x[\"y\"].z", "schema_version": 0,
       "attributes": {"id": "1", "triggers": {"s": "hunter2"}},
       "sensitive_attributes": [[{"type": "get_attr", "value": "triggers"},
                                 {"type": "index", "value": {"value": "s", "type": "string"}}]],
       "private": "bnVsbA==", "dependencies": ["null_resource.one"]}]},
    {"module": "module.m[1]", "mode": "managed", "type": "null_resource", "name": "inner",
     "provider": "provider[\"registry.terraform.io/hashicorp/null\"]",
     "instances": [{"schema_version": 0, "status": "tainted", "attributes": {"id": "2"}}]}
  ]
}"#;

    fn adopt(text: &str) -> Result<Adoption, TerraformStateError> {
        read(text.as_bytes(), |_, provider| match &provider.alias {
            Some(alias) => format!("{}.{alias}", provider.local_name()),
            None => provider.local_name().to_string(),
        })
    }

    #[test]
    fn reads_addresses_keys_modules_and_marks() {
        let adoption = adopt(STATE).unwrap();
        assert_eq!(adoption.data_sources, 1);
        let addresses: Vec<&str> = adoption
            .records
            .iter()
            .map(|r| r.address.as_str())
            .collect();
        assert_eq!(
            addresses,
            [
                r#"null_resource.keyed["x[\"y\"].z"]"#,
                "module.m[1].null_resource.inner"
            ]
        );
        let keyed = &adoption.records[0];
        assert_eq!(keyed.provider, "null.west");
        assert_eq!(keyed.sensitive_attributes, ["triggers[\"s\"]"]);
        assert_eq!(keyed.private, b"null");
        assert_eq!(keyed.dependencies, ["null_resource.one"]);
        assert_eq!(adoption.records[1].status, ResourceStatus::Tainted);
        let output = |name: &str| adoption.outputs.iter().find(|o| o.name == name).unwrap();
        assert!(output("s").sensitive);
        // The type Terraform recorded, which the value alone cannot tell
        // (an object has the same JSON).
        assert_eq!(output("m").terraform_type, Some(json!(["map", "string"])));
        assert_eq!(output_type(output("m")), json!(["map", "string"]));
        let mut evaluated = output("m").clone();
        evaluated.terraform_type = None;
        assert_eq!(output_type(&evaluated), json!(["object", {"a": "string"}]));
    }

    #[test]
    fn a_module_s_own_provider_configuration_reads_and_writes_back() {
        for text in [
            r#"provider["registry.terraform.io/hashicorp/null"]"#,
            r#"provider["registry.terraform.io/hashicorp/null"].west"#,
            r#"module.a.provider["registry.terraform.io/hashicorp/null"]"#,
            r#"module.a.module.b.provider["registry.terraform.io/hashicorp/null"].b"#,
        ] {
            let provider = TerraformProvider::parse(text).expect("a provider");
            assert_eq!(provider.to_string(), text);
        }
        let provider = TerraformProvider::parse(
            r#"module.a.provider["registry.terraform.io/hashicorp/null"].b"#,
        )
        .expect("a provider");
        assert_eq!(provider.module.as_deref(), Some("module.a"));
        assert_eq!(provider.alias.as_deref(), Some("b"));
        assert_eq!(provider.local_name(), "null");
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let adoption = adopt(STATE).unwrap();
        let written = write(
            &adoption.records,
            &adoption.outputs,
            &adoption.lineage,
            12,
            |r| TerraformProvider {
                module: None,
                source: "registry.terraform.io/hashicorp/null".to_string(),
                alias: r.provider.split_once('.').map(|(_, a)| a.to_string()),
            },
        )
        .unwrap();
        let again = adopt(std::str::from_utf8(&written).unwrap()).unwrap();
        assert_eq!(again.records, adoption.records);
        assert_eq!(again.outputs, adoption.outputs);
        assert_eq!(again.lineage, adoption.lineage);
        let text = String::from_utf8(written).unwrap();
        assert!(text.contains(r#""module": "module.m[1]""#), "{text}");
        assert!(
            text.contains(r#""map","#),
            "the recorded type is written back: {text}"
        );
        assert!(text.contains(r#"provider[\"registry.terraform.io/hashicorp/null\"].west"#));
    }

    #[test]
    fn refuses_what_it_cannot_adopt_faithfully() {
        for (state, wanted) in [
            (r#"{"version": 3}"#, "format 3 is not supported"),
            ("not json", "not a Terraform state"),
            (
                &STATE.replace(r#""status": "tainted""#, r#""deposed": "00ab""#),
                "deposed object",
            ),
            (
                &STATE.replace(r#""index_key": "x[\"y\"].z""#, r#""index_key": -1"#),
                "not a whole number",
            ),
        ] {
            let error = adopt(state).unwrap_err().to_string();
            assert!(error.contains(wanted), "{error}");
        }
    }
}
