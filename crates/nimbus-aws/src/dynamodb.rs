//! DynamoDB: `dynamodb-table`.

use crate::clients::Clients;
use crate::error::AwsResult;
use crate::resource::{PlanContext, ResourceType};
use crate::util::{
    Object, attr, map_value, normalize, object_list, opt_i64, opt_str, req_str, str_value,
    string_list, string_map, tag_diff,
};
use crate::wire::DYNAMODB;
use async_trait::async_trait;
use nimbus_provider::ProviderError;
use nimbus_provider::attrs::AttrError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub(crate) struct Table;

const PAY_PER_REQUEST: &str = "PAY_PER_REQUEST";
const PROVISIONED: &str = "PROVISIONED";
const PROJECTIONS: &[&str] = &["ALL", "KEYS_ONLY", "INCLUDE"];
/// Longest wait for a table or index to become active (or go away).
const WAIT: Duration = Duration::from_secs(20 * 60);
/// How long a table missing from `DescribeTable` may still be appearing.
const APPEARING: Duration = Duration::from_secs(30);

fn attribute_type() -> Type {
    Type::Object(
        [
            ("name".to_string(), Type::String),
            ("type".to_string(), Type::String),
        ]
        .into(),
    )
}

fn gsi_type() -> Type {
    Type::Object(
        [
            ("name".to_string(), Type::String),
            ("hash-key".to_string(), Type::String),
            ("range-key".to_string(), Type::String),
            ("projection-type".to_string(), Type::String),
            ("non-key-attributes".to_string(), Type::list(Type::String)),
            ("read-capacity".to_string(), Type::Number),
            ("write-capacity".to_string(), Type::Number),
        ]
        .into(),
    )
}

fn key_schema(hash: &str, range: Option<&str>) -> Json {
    let mut keys = vec![json!({ "AttributeName": hash, "KeyType": "HASH" })];
    if let Some(range) = range {
        keys.push(json!({ "AttributeName": range, "KeyType": "RANGE" }));
    }
    Json::Array(keys)
}

fn throughput(read: Option<i64>, write: Option<i64>, what: &str) -> Result<Json, ProviderError> {
    match (read, write) {
        (Some(r), Some(w)) => Ok(json!({ "ReadCapacityUnits": r, "WriteCapacityUnits": w })),
        _ => Err(ProviderError::fatal(format!(
            "{what} with billing mode PROVISIONED needs `read-capacity` and `write-capacity`"
        ))
        .on_attribute(if what == "the table" {
            "read-capacity"
        } else {
            "global-secondary-index"
        })),
    }
}

/// The table's own capacity, for billing mode PROVISIONED.
fn table_throughput(planned: &Value) -> Result<Json, ProviderError> {
    throughput(
        opt_i64(planned, "read-capacity")?,
        opt_i64(planned, "write-capacity")?,
        "the table",
    )
}

fn billing_mode(provisioned: bool) -> &'static str {
    if provisioned {
        PROVISIONED
    } else {
        PAY_PER_REQUEST
    }
}

fn provisioned(planned: &Value) -> bool {
    attr(planned, "billing-mode").as_str() == Some(PROVISIONED)
}

fn definitions(planned: &Value) -> Result<Json, ProviderError> {
    object_list(planned, "attribute")?
        .into_iter()
        .map(|a| {
            Ok(json!({
                "AttributeName": req_str(a, "name").map_err(|e| e.on_attribute("attribute"))?,
                "AttributeType": req_str(a, "type").map_err(|e| e.on_attribute("attribute"))?,
            }))
        })
        .collect::<Result<Vec<_>, ProviderError>>()
        .map(Json::Array)
}

/// One planned global secondary index.
struct Gsi {
    name: String,
    hash: String,
    range: Option<String>,
    projection: String,
    non_key: Vec<String>,
    read: Option<i64>,
    write: Option<i64>,
}

impl Gsi {
    fn all(object: &Value) -> Result<Vec<Gsi>, ProviderError> {
        object_list(object, "global-secondary-index")?
            .into_iter()
            .map(|g| {
                let e = |e: AttrError| e.on_attribute("global-secondary-index");
                Ok(Gsi {
                    name: req_str(g, "name").map_err(e)?,
                    hash: req_str(g, "hash-key").map_err(e)?,
                    range: opt_str(g, "range-key").map_err(e)?,
                    projection: opt_str(g, "projection-type")
                        .map_err(e)?
                        .unwrap_or_else(|| "ALL".into()),
                    non_key: string_list(g, "non-key-attributes").map_err(e)?,
                    read: opt_i64(g, "read-capacity").map_err(e)?,
                    write: opt_i64(g, "write-capacity").map_err(e)?,
                })
            })
            .collect()
    }

    /// Same keys and projection: only capacity may differ.
    fn same_shape(&self, other: &Gsi) -> bool {
        self.hash == other.hash
            && self.range == other.range
            && self.projection == other.projection
            && self.non_key == other.non_key
    }

    fn projection(&self) -> Json {
        let mut projection = json!({ "ProjectionType": self.projection });
        if !self.non_key.is_empty() {
            projection["NonKeyAttributes"] = json!(self.non_key);
        }
        projection
    }

    fn throughput(&self, provisioned: bool) -> Result<Option<Json>, ProviderError> {
        if provisioned {
            throughput(self.read, self.write, &format!("index {}", self.name)).map(Some)
        } else {
            Ok(None)
        }
    }

    fn create_spec(&self, provisioned: bool) -> Result<Json, ProviderError> {
        let mut spec = json!({
            "IndexName": self.name,
            "KeySchema": key_schema(&self.hash, self.range.as_deref()),
            "Projection": self.projection(),
        });
        if let Some(throughput) = self.throughput(provisioned)? {
            spec["ProvisionedThroughput"] = throughput;
        }
        Ok(spec)
    }
}

/// The hash and range key names of a `KeySchema` list.
fn keys_of(elements: &Json) -> (Option<String>, Option<String>) {
    let find = |t: &str| {
        elements.as_array().into_iter().flatten().find_map(|k| {
            (k["KeyType"] == t)
                .then(|| k["AttributeName"].as_str().map(str::to_string))
                .flatten()
        })
    };
    (find("HASH"), find("RANGE"))
}

fn items(json: &Json) -> impl Iterator<Item = &Json> {
    json.as_array().into_iter().flatten()
}

impl Table {
    /// The table's description (`DescribeTable`'s `Table`).
    async fn describe(c: &Clients, name: &str) -> Result<Option<Json>, ProviderError> {
        Ok(c.wire
            .json(&DYNAMODB, "DescribeTable", json!({ "TableName": name }))
            .await
            .aws_opt(&format!("reading table {name}"))?
            .map(|mut o| o["Table"].take())
            .filter(|t| t.is_object()))
    }

    /// Sends `CreateTable` for the planned table.
    async fn create_table(c: &Clients, name: &str, planned: &Value) -> Result<(), ProviderError> {
        let is_provisioned = provisioned(planned);
        let gsis = Gsi::all(planned)?
            .iter()
            .map(|g| g.create_spec(is_provisioned))
            .collect::<Result<Vec<_>, _>>()?;
        let tags: Vec<Json> = string_map(planned, "tags")?
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        let mut input = json!({
            "TableName": name,
            "AttributeDefinitions": definitions(planned)?,
            "KeySchema": key_schema(
                &req_str(planned, "hash-key")?,
                opt_str(planned, "range-key")?.as_deref(),
            ),
            "BillingMode": billing_mode(is_provisioned),
        });
        if is_provisioned {
            input["ProvisionedThroughput"] = table_throughput(planned)?;
        }
        if !gsis.is_empty() {
            input["GlobalSecondaryIndexes"] = Json::Array(gsis);
        }
        if !tags.is_empty() {
            input["Tags"] = Json::Array(tags);
        }
        if let Some(sse) = sse_specification(planned)? {
            input["SSESpecification"] = sse;
        }
        let result = c
            .wire
            .json(&DYNAMODB, "CreateTable", input)
            .await
            .aws(&format!("creating table {name}"));
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code_is(&["ResourceInUseException"]) => Err(ProviderError::fatal(format!(
                "table {name} already exists: import it or choose another name"
            ))
            .on_attribute("name")),
            Err(e) if e.is_invalid_request() => Err(e.error.on_attribute("attribute")),
            Err(e) => Err(e.error),
        }
    }

    /// Waits until the table and all its indexes are active.
    async fn wait_active(c: &Clients, name: &str) -> Result<(), ProviderError> {
        if Table::wait_settled(c, name).await? {
            Ok(())
        } else {
            Err(ProviderError::retryable(format!(
                "table {name} is not visible"
            )))
        }
    }

    /// Polls until the table is active with all its indexes (`true`) or
    /// gone (`false`). A table just created may be invisible for a moment:
    /// one not seen yet counts as gone only after `APPEARING`. A poll for a
    /// state, bounded by `WAIT`: a failed `DescribeTable` is returned, never
    /// sent again here.
    async fn wait_settled(c: &Clients, name: &str) -> Result<bool, ProviderError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(200);
        let mut seen = false;
        loop {
            match Table::describe(c, name).await? {
                None if seen || started.elapsed() > APPEARING => return Ok(false),
                None => {}
                Some(t) => {
                    seen = true;
                    let active = t["TableStatus"] == "ACTIVE"
                        && items(&t["GlobalSecondaryIndexes"])
                            .all(|g| g["IndexStatus"] == "ACTIVE");
                    if active {
                        return Ok(true);
                    }
                }
            }
            if started.elapsed() > WAIT {
                return Err(ProviderError::retryable(format!(
                    "table {name} is still not active after {WAIT:?}"
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    async fn observe(c: &Clients, name: &str) -> Result<Option<Value>, ProviderError> {
        let Some(t) = Table::describe(c, name).await? else {
            return Ok(None);
        };
        if t["TableStatus"] == "DELETING" {
            return Ok(None);
        }
        let doing = format!("reading table {name}");
        let arn = t["TableArn"]
            .as_str()
            .ok_or_else(|| crate::error::missing("table ARN"))?
            .to_string();
        let (hash, range) = keys_of(&t["KeySchema"]);
        let mode = t["BillingModeSummary"]["BillingMode"]
            .as_str()
            .unwrap_or(PROVISIONED)
            .to_string();
        let is_provisioned = mode == PROVISIONED;
        let number = |v: &Json| v.as_i64().map(Value::int).unwrap_or(Value::Null);
        let capacity = |p: &Json| {
            if is_provisioned {
                (
                    number(&p["ReadCapacityUnits"]),
                    number(&p["WriteCapacityUnits"]),
                )
            } else {
                (Value::Null, Value::Null)
            }
        };
        let (read, write) = capacity(&t["ProvisionedThroughput"]);
        let attributes: Vec<Value> = items(&t["AttributeDefinitions"])
            .map(|a| {
                Value::Map(
                    [
                        ("name".to_string(), str_value(a["AttributeName"].as_str())),
                        ("type".to_string(), str_value(a["AttributeType"].as_str())),
                    ]
                    .into(),
                )
            })
            .collect();
        let gsis: Vec<Value> = items(&t["GlobalSecondaryIndexes"])
            .map(|g| {
                let (h, r) = keys_of(&g["KeySchema"]);
                let (read, write) = capacity(&g["ProvisionedThroughput"]);
                let projection = &g["Projection"];
                let non_key: Vec<Value> = items(&projection["NonKeyAttributes"])
                    .filter_map(|a| a.as_str().map(Value::string))
                    .collect();
                Value::Map(
                    [
                        ("name".to_string(), str_value(g["IndexName"].as_str())),
                        ("hash-key".to_string(), str_value(h)),
                        ("range-key".to_string(), str_value(r)),
                        (
                            "projection-type".to_string(),
                            Value::string(projection["ProjectionType"].as_str().unwrap_or("ALL")),
                        ),
                        (
                            "non-key-attributes".to_string(),
                            if non_key.is_empty() {
                                Value::Null
                            } else {
                                Value::List(non_key)
                            },
                        ),
                        ("read-capacity".to_string(), read),
                        ("write-capacity".to_string(), write),
                    ]
                    .into(),
                )
            })
            .collect();
        let ttl = c
            .wire
            .json(
                &DYNAMODB,
                "DescribeTimeToLive",
                json!({ "TableName": name }),
            )
            .await
            .aws(&doing)?;
        let description = &ttl["TimeToLiveDescription"];
        let ttl = matches!(
            description["TimeToLiveStatus"].as_str(),
            Some("ENABLED" | "ENABLING")
        )
        .then(|| description["AttributeName"].as_str().map(str::to_string))
        .flatten();
        let mut tags = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({ "ResourceArn": arn });
            if let Some(token) = &token {
                input["NextToken"] = json!(token);
            }
            let page = c
                .wire
                .json(&DYNAMODB, "ListTagsOfResource", input)
                .await
                .aws(&doing)?;
            tags.extend(items(&page["Tags"]).filter_map(|t| {
                Some((
                    t["Key"].as_str()?.to_string(),
                    t["Value"].as_str()?.to_string(),
                ))
            }));
            match page["NextToken"].as_str() {
                // A token given back again would page for ever.
                Some(t) if token.as_deref() != Some(t) => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut o = Object::new();
        o.insert("name".into(), Value::string(name));
        o.insert("id".into(), Value::string(name));
        o.insert("arn".into(), Value::string(arn));
        o.insert("hash-key".into(), str_value(hash));
        o.insert("range-key".into(), str_value(range));
        o.insert("attribute".into(), Value::List(attributes));
        o.insert("billing-mode".into(), Value::string(mode));
        o.insert("read-capacity".into(), read);
        o.insert("write-capacity".into(), write);
        o.insert("global-secondary-index".into(), Value::List(gsis));
        o.insert("ttl-attribute".into(), str_value(ttl));
        o.insert("tags".into(), map_value(tags));
        let sse = &t["SSEDescription"];
        let kms = matches!(
            sse["Status"].as_str(),
            Some("ENABLED" | "ENABLING" | "UPDATING")
        );
        o.insert("server-side-encryption".into(), Value::Bool(kms));
        o.insert(
            "kms-key-arn".into(),
            str_value(sse["KMSMasterKeyArn"].as_str().filter(|_| kms)),
        );
        Ok(Some(Value::Map(normalize(&Table.schema(), o)?)))
    }

    async fn set_ttl(
        c: &Clients,
        name: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Result<(), ProviderError> {
        if old == new {
            return Ok(());
        }
        let doing = format!("changing the TTL of table {name}");
        for (attribute, enabled) in [(old, false), (new, true)] {
            let Some(attribute) = attribute else {
                continue;
            };
            c.wire
                .json(
                    &DYNAMODB,
                    "UpdateTimeToLive",
                    json!({
                        "TableName": name,
                        "TimeToLiveSpecification": { "Enabled": enabled, "AttributeName": attribute },
                    }),
                )
                .await
                .aws_on(&doing, "ttl-attribute")?;
        }
        Ok(())
    }

    async fn update_indexes(
        c: &Clients,
        name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), ProviderError> {
        let old = Gsi::all(prior)?;
        let new = Gsi::all(planned)?;
        let is_provisioned = provisioned(planned);
        let doing = format!("changing the indexes of table {name}");
        // One index change per call, waiting in between (DynamoDB's rule).
        for gone in old
            .iter()
            .filter(|o| !new.iter().any(|n| n.name == o.name && n.same_shape(o)))
        {
            c.wire
                .json(
                    &DYNAMODB,
                    "UpdateTable",
                    json!({
                        "TableName": name,
                        "GlobalSecondaryIndexUpdates": [{ "Delete": { "IndexName": gone.name } }],
                    }),
                )
                .await
                .aws_on(&doing, "global-secondary-index")?;
            Table::wait_active(c, name).await?;
        }
        for added in new
            .iter()
            .filter(|n| !old.iter().any(|o| n.name == o.name && n.same_shape(o)))
        {
            let spec = added.create_spec(is_provisioned)?;
            c.wire
                .json(
                    &DYNAMODB,
                    "UpdateTable",
                    json!({
                        "TableName": name,
                        "AttributeDefinitions": definitions(planned)?,
                        "GlobalSecondaryIndexUpdates": [{ "Create": spec }],
                    }),
                )
                .await
                .aws_on(&doing, "global-secondary-index")?;
            Table::wait_active(c, name).await?;
        }
        if is_provisioned {
            for n in &new {
                if let Some(o) = old.iter().find(|o| o.name == n.name && o.same_shape(n))
                    && (o.read, o.write) != (n.read, n.write)
                    && provisioned(prior)
                {
                    c.wire
                        .json(
                            &DYNAMODB,
                            "UpdateTable",
                            json!({
                                "TableName": name,
                                "GlobalSecondaryIndexUpdates": [{
                                    "Update": {
                                        "IndexName": n.name,
                                        "ProvisionedThroughput": n.throughput(true)?,
                                    },
                                }],
                            }),
                        )
                        .await
                        .aws_on(&doing, "global-secondary-index")?;
                    Table::wait_active(c, name).await?;
                }
            }
        }
        Ok(())
    }
}

/// `SSESpecification` for a table encrypted with a KMS key (`None`: the
/// default key, which AWS owns).
fn sse_specification(planned: &Value) -> Result<Option<Json>, ProviderError> {
    if attr(planned, "server-side-encryption").as_bool() != Some(true) {
        return Ok(None);
    }
    let mut sse = json!({ "Enabled": true, "SSEType": "KMS" });
    if let Some(key) = opt_str(planned, "kms-key-arn")? {
        sse["KMSMasterKeyId"] = json!(key);
    }
    Ok(Some(sse))
}

#[async_trait]
impl ResourceType for Table {
    fn name(&self) -> &'static str {
        "dynamodb-table"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A DynamoDB table with its keys, global secondary indexes, TTL and tags. Import with the table name.",
        )
        .attr("name", A::required(Type::String).force_new().describe("Name of the table. Changing it replaces the table."))
        .attr("hash-key", A::required(Type::String).force_new().describe("Attribute of the partition (hash) key. Changing it replaces the table."))
        .attr("range-key", A::optional(Type::String).force_new().describe("Attribute of the sort (range) key, if any. Changing it replaces the table."))
        .attr(
            "attribute",
            A::required(Type::set(attribute_type())).describe(
                "Key attributes, one `(attribute (name \"id\") (type \"S\"))` each (type S, N or B): every attribute used as a table or index key, and no other.",
            ),
        )
        .attr(
            "billing-mode",
            A::optional(Type::String).describe("\"PAY_PER_REQUEST\" (default, on demand) or \"PROVISIONED\". Changed in place."),
        )
        .attr("read-capacity", A::optional(Type::Number).describe("Read capacity units; required with PROVISIONED. Changed in place."))
        .attr("write-capacity", A::optional(Type::Number).describe("Write capacity units; required with PROVISIONED. Changed in place."))
        .attr(
            "global-secondary-index",
            A::optional(Type::set(gsi_type())).describe(
                "Global secondary indexes, one block each: `name`, `hash-key`, optional `range-key`, `projection-type` \
                 (ALL (default), KEYS_ONLY or INCLUDE), `non-key-attributes` (with INCLUDE), and capacities with PROVISIONED. \
                 Added and removed in place; an index whose keys or projection change is dropped and built again.",
            ),
        )
        .attr("ttl-attribute", A::optional(Type::String).describe("Attribute holding each item's expiry time (epoch seconds); unset: no TTL."))
        .attr(
            "server-side-encryption",
            A::optional(Type::Bool).describe(
                "Encrypt the table at rest with a KMS key (`kms-key-arn`, else the account's AWS managed key alias/aws/dynamodb) instead of DynamoDB's default key, which AWS owns. Default false; changed in place.",
            ),
        )
        .attr(
            "kms-key-arn",
            A::optional_computed(Type::String).describe(
                "With `server-side-encryption`: the KMS key's ARN; unset: the AWS managed key, whose ARN is known once the table exists. Changed in place.",
            ),
        )
        .attr("tags", A::optional(Type::map(Type::String)).describe("Tags of the table; changed in place."))
        .attr("arn", A::computed(Type::String).describe("ARN of the table."))
        .attr("id", A::computed(Type::String).describe("The table name (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("billing-mode", Value::string(PAY_PER_REQUEST)),
            ("server-side-encryption", Value::Bool(false)),
        ]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors = Vec::new();
        let key = attr(config, "kms-key-arn").as_str();
        let encrypted = attr(config, "server-side-encryption");
        if key.is_some() && !encrypted.is_unknown() && encrypted.as_bool() != Some(true) {
            errors.push(
                ProviderError::fatal("`kms-key-arn` needs `(server-side-encryption #t)`")
                    .on_attribute("kms-key-arn"),
            );
        }
        // DynamoDB reports the key by ARN: an id or alias would differ
        // from what is read back at every plan.
        if let Some(key) = key
            && !key.starts_with("arn:")
        {
            errors.push(
                ProviderError::fatal(format!(
                    "`kms-key-arn` is the key's ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), found {key:?}"
                ))
                .on_attribute("kms-key-arn"),
            );
        }
        let mode = attr(config, "billing-mode")
            .as_str()
            .unwrap_or(PAY_PER_REQUEST);
        if ![PAY_PER_REQUEST, PROVISIONED].contains(&mode) {
            errors.push(
                ProviderError::fatal(format!(
                    "`billing-mode` is PAY_PER_REQUEST or PROVISIONED, found {mode:?}"
                ))
                .on_attribute("billing-mode"),
            );
        }
        if !attr(config, "billing-mode").is_unknown() {
            for capacity in ["read-capacity", "write-capacity"] {
                let set = !attr(config, capacity).is_null();
                if mode == PROVISIONED && !set {
                    errors.push(
                        ProviderError::fatal(format!(
                            "billing mode PROVISIONED needs `{capacity}`"
                        ))
                        .on_attribute(capacity),
                    );
                }
                if mode == PAY_PER_REQUEST && set && !attr(config, capacity).is_unknown() {
                    errors.push(
                        ProviderError::fatal(format!(
                            "`{capacity}` is only for billing mode PROVISIONED"
                        ))
                        .on_attribute(capacity),
                    );
                }
            }
        }
        let defined: Option<Vec<(String, String)>> =
            attr(config, "attribute").as_list().map(|items| {
                items
                    .iter()
                    .filter_map(|a| {
                        Some((
                            a.get("name")?.as_str()?.to_string(),
                            a.get("type")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            });
        if let Some(defined) = &defined {
            for (name, t) in defined {
                if !["S", "N", "B"].contains(&t.as_str()) {
                    errors.push(
                        ProviderError::fatal(format!("attribute {name:?} has type {t:?}; the type of a key attribute is S, N or B"))
                            .on_attribute("attribute"),
                    );
                }
            }
            let mut keys: Vec<(&str, String)> = Vec::new();
            for k in ["hash-key", "range-key"] {
                if let Some(n) = attr(config, k).as_str() {
                    keys.push((k, n.to_string()));
                }
            }
            if let Some(gsis) = attr(config, "global-secondary-index").as_list() {
                for g in gsis {
                    for k in ["hash-key", "range-key"] {
                        if let Some(n) = g.get(k).and_then(Value::as_str) {
                            keys.push(("global-secondary-index", n.to_string()));
                        }
                    }
                    if let Some(p) = g.get("projection-type").and_then(Value::as_str)
                        && !PROJECTIONS.contains(&p)
                    {
                        errors.push(
                            ProviderError::fatal(format!(
                                "`projection-type` is one of {}, found {p:?}",
                                PROJECTIONS.join(", ")
                            ))
                            .on_attribute("global-secondary-index"),
                        );
                    }
                }
            }
            for (owner, key) in &keys {
                if !defined.iter().any(|(n, _)| n == key) {
                    errors.push(
                        ProviderError::fatal(format!(
                            "key attribute {key:?} needs an `(attribute (name {key:?}) (type ...))`"
                        ))
                        .on_attribute(*owner),
                    );
                }
            }
            let all_known = attr(config, "global-secondary-index").is_wholly_known()
                && ["hash-key", "range-key"]
                    .iter()
                    .all(|k| attr(config, k).is_wholly_known());
            if all_known {
                for (name, _) in defined {
                    if !keys.iter().any(|(_, k)| k == name) {
                        errors.push(
                            ProviderError::fatal(format!(
                                "attribute {name:?} is not a key of the table or of an index; DynamoDB accepts only key attributes here"
                            ))
                            .on_attribute("attribute"),
                        );
                    }
                }
            }
        }
        errors
    }

    fn plan_more(&self, _ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        // Without KMS encryption there is no key to name; with it and no
        // key named, the AWS managed key's ARN is known once it is on.
        match planned.get("server-side-encryption").map(Value::peel) {
            Some(Value::Bool(false)) => {
                planned.insert("kms-key-arn".into(), Value::Null);
            }
            Some(Value::Bool(true)) if planned.get("kms-key-arn").is_none_or(Value::is_null) => {
                planned.insert("kms-key-arn".into(), Value::Unknown);
            }
            Some(Value::Unknown) => {
                planned.insert("kms-key-arn".into(), Value::Unknown);
            }
            _ => {}
        }
        // Index defaults, so that the plan matches what DynamoDB reports.
        let provisioned = planned.get("billing-mode").and_then(Value::as_str) == Some(PROVISIONED);
        if let Some(Value::List(gsis)) = planned.get_mut("global-secondary-index") {
            for g in gsis.iter_mut() {
                if let Value::Map(m) = g {
                    if m.get("projection-type").is_none_or(Value::is_null) {
                        m.insert("projection-type".into(), Value::string("ALL"));
                    }
                    if m.get("non-key-attributes")
                        .and_then(Value::as_list)
                        .is_some_and(<[Value]>::is_empty)
                    {
                        m.insert("non-key-attributes".into(), Value::Null);
                    }
                    if !provisioned {
                        m.insert("read-capacity".into(), Value::Null);
                        m.insert("write-capacity".into(), Value::Null);
                    }
                }
            }
            let sorted = Type::set(gsi_type())
                .convert(Value::List(std::mem::take(gsis)))
                .map_err(|e| {
                    ProviderError::fatal(e.message).on_attribute("global-secondary-index")
                })?;
            planned.insert("global-secondary-index".into(), sorted);
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "name")?;
        let mut creation = c.creation(self.name(), planned);
        if creation.made().is_none() {
            Table::create_table(c, &name, planned).await?;
            creation.record(&name);
        }
        Table::wait_active(c, &name).await?;
        Table::set_ttl(
            c,
            &name,
            None,
            opt_str(planned, "ttl-attribute")?.as_deref(),
        )
        .await?;
        let state = Table::observe(c, &name).await?.ok_or_else(|| {
            ProviderError::retryable(format!("table {name} is not visible yet after creating it"))
        })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Table::observe(c, &req_str(state, "name")?).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let name = req_str(prior, "name")?;
        let arn = req_str(prior, "arn")?;
        let doing = format!("changing table {name}");
        let capacity_changed = ["billing-mode", "read-capacity", "write-capacity"]
            .iter()
            .any(|n| attr(prior, n) != attr(planned, n));
        if capacity_changed {
            let is_provisioned = provisioned(planned);
            let mut update = json!({
                "TableName": name,
                "BillingMode": billing_mode(is_provisioned),
            });
            if is_provisioned {
                update["ProvisionedThroughput"] = table_throughput(planned)?;
                // Switching to PROVISIONED sets every kept index's capacity too.
                if !provisioned(prior) {
                    let old = Gsi::all(prior)?;
                    let mut updates = Vec::new();
                    for n in Gsi::all(planned)?
                        .iter()
                        .filter(|n| old.iter().any(|o| o.name == n.name && o.same_shape(n)))
                    {
                        updates.push(json!({
                            "Update": {
                                "IndexName": n.name,
                                "ProvisionedThroughput": n.throughput(true)?,
                            },
                        }));
                    }
                    if !updates.is_empty() {
                        update["GlobalSecondaryIndexUpdates"] = Json::Array(updates);
                    }
                }
            }
            c.wire
                .json(&DYNAMODB, "UpdateTable", update)
                .await
                .aws_on(&doing, "billing-mode")?;
            Table::wait_active(c, &name).await?;
        }
        if attr(prior, "global-secondary-index") != attr(planned, "global-secondary-index") {
            Table::update_indexes(c, &name, prior, planned).await?;
        }
        // A state recorded before the attribute existed holds none: the
        // table had DynamoDB's default key.
        let encrypted =
            |object: &Value| attr(object, "server-side-encryption").as_bool() == Some(true);
        let encryption_changed = encrypted(prior) != encrypted(planned)
            || (!attr(planned, "kms-key-arn").is_unknown()
                && attr(prior, "kms-key-arn") != attr(planned, "kms-key-arn"));
        if encryption_changed {
            let sse = sse_specification(planned)?.unwrap_or_else(|| json!({ "Enabled": false }));
            c.wire
                .json(
                    &DYNAMODB,
                    "UpdateTable",
                    json!({ "TableName": name, "SSESpecification": sse }),
                )
                .await
                .aws_on(&doing, "server-side-encryption")?;
            Table::wait_active(c, &name).await?;
        }
        Table::set_ttl(
            c,
            &name,
            opt_str(prior, "ttl-attribute")?.as_deref(),
            opt_str(planned, "ttl-attribute")?.as_deref(),
        )
        .await?;
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        if !removed.is_empty() {
            c.wire
                .json(
                    &DYNAMODB,
                    "UntagResource",
                    json!({ "ResourceArn": arn, "TagKeys": removed }),
                )
                .await
                .aws_on(&doing, "tags")?;
        }
        if !set.is_empty() {
            let tags: Vec<Json> = set
                .iter()
                .map(|(k, v)| json!({ "Key": k, "Value": v }))
                .collect();
            c.wire
                .json(
                    &DYNAMODB,
                    "TagResource",
                    json!({ "ResourceArn": arn, "Tags": tags }),
                )
                .await
                .aws_on(&doing, "tags")?;
        }
        Table::observe(c, &name).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "table {name} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let name = req_str(state, "name")?;
        let doing = format!("deleting table {name}");
        match c
            .wire
            .json(&DYNAMODB, "DeleteTable", json!({ "TableName": name }))
            .await
            .aws(&doing)
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) if e.code_is(&["ResourceInUseException"]) => {
                // Being created, changed or deleted: wait until it is active
                // (then delete it, once) or gone. Not a retry of a failed
                // call: throttling and server errors went to the engine.
                if Table::wait_settled(c, &name).await? {
                    c.wire
                        .json(&DYNAMODB, "DeleteTable", json!({ "TableName": name }))
                        .await
                        .aws_opt(&doing)?;
                }
            }
            Err(e) => return Err(e.error),
        }
        let started = Instant::now();
        while Table::describe(c, &name).await?.is_some() {
            if started.elapsed() > WAIT {
                return Err(ProviderError::retryable(format!(
                    "table {name} is still being deleted after {WAIT:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        Table::observe(c, id).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import dynamodb-table {id:?}: there is no such table"
            ))
        })
    }
}
