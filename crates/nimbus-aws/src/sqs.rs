//! SQS: `sqs-queue`.

use crate::clients::Clients;
use crate::error::AwsResult;
use crate::resource::ResourceType;
use crate::util::{
    Object, attr, bool_or, map_value, normalize, opt_i64, opt_str, req_str, string_map, tag_diff,
};
use crate::wire::SQS;
use async_trait::async_trait;
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub(crate) struct Queue;

/// Numeric queue attributes: (attribute, SQS name, default, min, max).
const NUMBERS: &[(&str, &str, Option<i64>, i64, i64)] = &[
    (
        "visibility-timeout",
        "VisibilityTimeout",
        Some(30),
        0,
        43_200,
    ),
    (
        "message-retention-seconds",
        "MessageRetentionPeriod",
        Some(345_600),
        60,
        1_209_600,
    ),
    ("delay-seconds", "DelaySeconds", Some(0), 0, 900),
    (
        "receive-wait-time-seconds",
        "ReceiveMessageWaitTimeSeconds",
        Some(0),
        0,
        20,
    ),
    (
        "max-message-size",
        "MaximumMessageSize",
        None,
        1024,
        1_048_576,
    ),
    (
        "kms-data-key-reuse-period-seconds",
        "KmsDataKeyReusePeriodSeconds",
        None,
        60,
        86_400,
    ),
];

fn redrive_type() -> Type {
    Type::Object(
        [
            ("dead-letter-target-arn".to_string(), Type::String),
            ("max-receive-count".to_string(), Type::Number),
        ]
        .into(),
    )
}

/// The attributes to send for a planned queue; `for_update` leaves out
/// those SQS only accepts at creation.
fn attributes(
    planned: &Value,
    for_update: bool,
) -> Result<BTreeMap<&'static str, String>, ProviderError> {
    let mut out = BTreeMap::new();
    for (name, sqs, _, _, _) in NUMBERS {
        if let Some(n) = opt_i64(planned, name)? {
            out.insert(*sqs, n.to_string());
        }
    }
    let fifo = bool_or(planned, "fifo", false)?;
    if fifo {
        if !for_update {
            out.insert("FifoQueue", "true".into());
        }
        out.insert(
            "ContentBasedDeduplication",
            bool_or(planned, "content-based-deduplication", false)?.to_string(),
        );
    }
    // Encryption: SSE-KMS with a key, else SSE-SQS (SQS's own keys) as
    // `sqs-managed-sse` says; the two exclude each other. An empty key
    // turns SSE-KMS off.
    match opt_str(planned, "kms-master-key-id")? {
        Some(key) => {
            out.insert("KmsMasterKeyId", key);
            out.insert("SqsManagedSseEnabled", "false".into());
        }
        None => {
            if for_update {
                out.insert("KmsMasterKeyId", String::new());
            }
            if let Some(enabled) = attr(planned, "sqs-managed-sse").as_bool() {
                out.insert("SqsManagedSseEnabled", enabled.to_string());
            }
        }
    }
    match attr(planned, "redrive-policy").peel() {
        Value::Null => {
            if for_update {
                out.insert("RedrivePolicy", String::new());
            }
        }
        policy => {
            let target = req_str(policy, "dead-letter-target-arn")
                .map_err(|e| e.on_attribute("redrive-policy"))?;
            let count = opt_i64(policy, "max-receive-count")
                .map_err(|e| e.on_attribute("redrive-policy"))?
                .ok_or_else(|| {
                    ProviderError::fatal("`redrive-policy` needs `max-receive-count`")
                        .on_attribute("redrive-policy")
                })?;
            out.insert(
                "RedrivePolicy",
                serde_json::json!({ "deadLetterTargetArn": target, "maxReceiveCount": count })
                    .to_string(),
            );
        }
    }
    Ok(out)
}

impl Queue {
    async fn url_of(c: &Clients, name: &str) -> Result<Option<String>, ProviderError> {
        Ok(c.wire
            .json(&SQS, "GetQueueUrl", json!({ "QueueName": name }))
            .await
            .aws_opt(&format!("looking up queue {name}"))?
            .and_then(|o| o["QueueUrl"].as_str().map(str::to_string)))
    }

    async fn observe(c: &Clients, url: &str) -> Result<Option<Value>, ProviderError> {
        Queue::observe_with(c, url, None).await
    }

    /// Reads the queue's attributes; its tags too, unless `tags` says what
    /// they are.
    async fn observe_with(
        c: &Clients,
        url: &str,
        tags: Option<BTreeMap<String, String>>,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading queue {url}");
        let Some(out) = c
            .wire
            .json(
                &SQS,
                "GetQueueAttributes",
                json!({ "QueueUrl": url, "AttributeNames": ["All"] }),
            )
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        // Values are strings on the wire; some stores send numbers bare.
        let get = |name: &str| match &out["Attributes"][name] {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let tags: BTreeMap<String, String> = match tags {
            Some(tags) => tags,
            None => match c
                .wire
                .json(&SQS, "ListQueueTags", json!({ "QueueUrl": url }))
                .await
                .aws_opt(&doing)?
            {
                Some(t) => crate::util::json_string_map(&t["Tags"]),
                None => return Ok(None),
            },
        };
        let arn = get("QueueArn").ok_or_else(|| crate::error::missing("QueueArn"))?;
        let name = arn.rsplit(':').next().unwrap_or_default().to_string();
        let mut o = Object::new();
        o.insert("name".into(), Value::string(&name));
        o.insert("url".into(), Value::string(url));
        o.insert("id".into(), Value::string(url));
        o.insert("arn".into(), Value::string(&arn));
        let fifo = get("FifoQueue").is_some_and(|v| v == "true");
        o.insert("fifo".into(), Value::Bool(fifo));
        o.insert(
            "content-based-deduplication".into(),
            Value::Bool(get("ContentBasedDeduplication").is_some_and(|v| v == "true")),
        );
        for (attribute, sqs, _, _, _) in NUMBERS {
            let value = get(sqs)
                .and_then(|v| v.parse::<i64>().ok())
                .map(Value::int)
                .unwrap_or(Value::Null);
            o.insert(attribute.to_string(), value);
        }
        let redrive = match get("RedrivePolicy").filter(|s| !s.is_empty()) {
            None => Value::Null,
            Some(text) => {
                let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    ProviderError::fatal(format!("{doing}: RedrivePolicy is not JSON: {e}"))
                })?;
                let count = match &json["maxReceiveCount"] {
                    serde_json::Value::Number(n) => n.as_i64(),
                    serde_json::Value::String(s) => s.parse().ok(),
                    _ => None,
                };
                Value::Map(
                    [
                        (
                            "dead-letter-target-arn".to_string(),
                            json["deadLetterTargetArn"]
                                .as_str()
                                .map(Value::string)
                                .unwrap_or(Value::Null),
                        ),
                        (
                            "max-receive-count".to_string(),
                            count.map(Value::int).unwrap_or(Value::Null),
                        ),
                    ]
                    .into(),
                )
            }
        };
        o.insert("redrive-policy".into(), redrive);
        let key = get("KmsMasterKeyId").filter(|k| !k.is_empty());
        o.insert(
            "sqs-managed-sse".into(),
            Value::Bool(key.is_none() && get("SqsManagedSseEnabled").is_some_and(|v| v == "true")),
        );
        o.insert(
            "kms-master-key-id".into(),
            key.map_or(Value::Null, |k| Value::string(&k)),
        );
        o.insert("tags".into(), map_value(tags));
        Ok(Some(Value::Map(normalize(&Queue.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Queue {
    fn name(&self) -> &'static str {
        "sqs-queue"
    }

    fn schema(&self) -> Schema {
        let mut schema = Schema::new(
            "An SQS queue, standard or FIFO, with an optional dead-letter queue. Import with the queue URL or name.",
        )
        .attr(
            "name",
            A::required(Type::String).force_new().describe(
                "Name of the queue: up to 80 letters, digits, hyphens and underscores; a FIFO queue's ends in \".fifo\". Changing it replaces the queue.",
            ),
        )
        .attr("fifo", A::optional(Type::Bool).force_new().describe("A FIFO queue. Default false; changing it replaces the queue."))
        .attr(
            "content-based-deduplication",
            A::optional(Type::Bool).describe("FIFO queues only: deduplicate by a hash of the body. Default false."),
        )
        .attr(
            "redrive-policy",
            A::optional(redrive_type()).describe(
                "Dead-letter queue: `(redrive-policy (dead-letter-target-arn ARN) (max-receive-count N))` moves a message there after N receives.",
            ),
        )
        .attr(
            "kms-master-key-id",
            A::optional(Type::String).describe(
                "KMS key (id, ARN or alias such as \"alias/aws/sqs\") that encrypts messages at rest (SSE-KMS). Changed in place; unset: SQS's own keys, as `sqs-managed-sse` says.",
            ),
        )
        .attr(
            "sqs-managed-sse",
            A::optional_computed(Type::Bool).describe(
                "Encrypt messages at rest with keys SQS manages (SSE-SQS). Unset: on for a new queue without `kms-master-key-id` (AWS's default), off with one; both at once is an error. Changed in place.",
            ),
        )
        .attr("tags", A::optional(Type::map(Type::String)).describe("Tags of the queue; changed in place."))
        .attr("url", A::computed(Type::String).describe("URL of the queue (what the SQS API calls take)."))
        .attr("arn", A::computed(Type::String).describe("ARN of the queue."))
        .attr("id", A::computed(Type::String).describe("The queue URL (the import id)."));
        for (name, _, default, min, max) in NUMBERS {
            let text = match (name, default) {
                (&"visibility-timeout", _) => {
                    "Seconds a received message stays hidden from other consumers".to_string()
                }
                (&"message-retention-seconds", _) => "Seconds a message is kept".to_string(),
                (&"delay-seconds", _) => {
                    "Seconds every message is delayed before it can be received".to_string()
                }
                (&"receive-wait-time-seconds", _) => {
                    "Seconds a receive call waits for messages (long polling)".to_string()
                }
                (&"kms-data-key-reuse-period-seconds", _) => {
                    "With `kms-master-key-id`: seconds SQS reuses a data key before asking KMS again".to_string()
                }
                _ => "Largest message in bytes".to_string(),
            };
            // Without a default of ours, the queue's own value is kept.
            let attribute = if default.is_none() {
                A::optional_computed(Type::Number)
            } else {
                A::optional(Type::Number)
            };
            let default = match default {
                Some(d) => format!("default {d}"),
                None => "unset: the SQS default".to_string(),
            };
            schema = schema.attr(
                name,
                attribute.describe(&format!(
                    "{text}, {min} to {max}; {default}. Changed in place."
                )),
            );
        }
        schema
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        let mut d = vec![
            ("fifo", Value::Bool(false)),
            ("content-based-deduplication", Value::Bool(false)),
        ];
        for (name, _, default, _, _) in NUMBERS {
            if let Some(v) = default {
                d.push((name, Value::int(*v)));
            }
        }
        d
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors = Vec::new();
        let fifo = match attr(config, "fifo") {
            Value::Null => Some(false),
            v => v.as_bool(),
        };
        if let Some(name) = attr(config, "name").as_str() {
            let base = name.strip_suffix(".fifo").unwrap_or(name);
            if base.is_empty()
                || name.len() > 80
                || !base
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                errors.push(
                    ProviderError::fatal(format!(
                        "a queue name has 1 to 80 letters, digits, hyphens and underscores (and \".fifo\" for FIFO queues): {name:?}"
                    ))
                    .on_attribute("name"),
                );
            }
            if let Some(fifo) = fifo
                && fifo != name.ends_with(".fifo")
            {
                errors.push(
                    ProviderError::fatal(if fifo {
                        "the name of a FIFO queue ends in \".fifo\""
                    } else {
                        "a name ending in \".fifo\" needs `(fifo #t)`"
                    })
                    .on_attribute("name"),
                );
            }
        }
        let kms_key = attr(config, "kms-master-key-id");
        if kms_key.as_str() == Some("") {
            errors.push(
                ProviderError::fatal(
                    "`kms-master-key-id` is empty: name a key, or leave it unset for SQS's own keys",
                )
                .on_attribute("kms-master-key-id"),
            );
        }
        if attr(config, "sqs-managed-sse").as_bool() == Some(true) && kms_key.as_str().is_some() {
            errors.push(
                ProviderError::fatal(
                    "a queue is encrypted with SQS's keys (`sqs-managed-sse`) or with a KMS key (`kms-master-key-id`), not both",
                )
                .on_attribute("sqs-managed-sse"),
            );
        }
        if attr(config, "kms-data-key-reuse-period-seconds")
            .as_number()
            .is_some()
            && kms_key.is_null()
        {
            errors.push(
                ProviderError::fatal(
                    "`kms-data-key-reuse-period-seconds` is for queues with a `kms-master-key-id`",
                )
                .on_attribute("kms-data-key-reuse-period-seconds"),
            );
        }
        if attr(config, "content-based-deduplication").as_bool() == Some(true) && fifo != Some(true)
        {
            errors.push(
                ProviderError::fatal("`content-based-deduplication` is for FIFO queues only")
                    .on_attribute("content-based-deduplication"),
            );
        }
        for (name, _, _, min, max) in NUMBERS {
            if let Some(n) = attr(config, name).as_number().and_then(|n| n.as_i64())
                && !(*min..=*max).contains(&n)
            {
                errors.push(
                    ProviderError::fatal(format!(
                        "`{name}` must be between {min} and {max}, found {n}"
                    ))
                    .on_attribute(*name),
                );
            }
        }
        errors
    }

    /// What SQS will do about encryption, known at plan: with a KMS key,
    /// SSE-SQS is off; a new queue without one gets SSE-SQS (AWS's
    /// default), so that a policy can tell an unencrypted queue before it
    /// exists.
    fn plan_more(
        &self,
        ctx: &crate::resource::PlanContext<'_>,
        planned: &mut Object,
    ) -> Result<(), ProviderError> {
        let key = planned
            .get("kms-master-key-id")
            .cloned()
            .unwrap_or(Value::Null);
        let managed = planned
            .get("sqs-managed-sse")
            .cloned()
            .unwrap_or(Value::Null);
        let reuse = "kms-data-key-reuse-period-seconds";
        let reuse_unset = planned.get(reuse).is_none_or(Value::is_null);
        if key.is_unknown() {
            // A key made in the same apply, or none: either can follow.
            planned.insert("sqs-managed-sse".into(), Value::Unknown);
            if reuse_unset {
                planned.insert(reuse.into(), Value::Unknown);
            }
        } else if !key.is_null() {
            planned.insert("sqs-managed-sse".into(), Value::Bool(false));
            // SQS's own reuse period for a key given none (SQS reports it).
            if reuse_unset {
                planned.insert(reuse.into(), Value::int(300));
            }
        } else {
            // Without a key there is no data key to reuse (SQS reports none).
            planned.insert(reuse.into(), Value::Null);
            if ctx.fresh && (managed.is_unknown() || managed.is_null()) {
                planned.insert("sqs-managed-sse".into(), Value::Bool(true));
            }
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "name")?;
        let attributes = attributes(planned, false)?;
        let tags = string_map(planned, "tags")?;
        let started = Instant::now();
        let url = loop {
            let mut input = json!({ "QueueName": name, "Attributes": attributes });
            if !tags.is_empty() {
                input["tags"] = json!(tags);
            }
            let result = c
                .wire
                .json(&SQS, "CreateQueue", input)
                .await
                .aws(&format!("creating queue {name}"));
            match result {
                Ok(out) => {
                    break out["QueueUrl"]
                        .as_str()
                        .map(str::to_string)
                        .ok_or_else(|| crate::error::missing("queue URL"))?;
                }
                // SQS refuses a name for 60 s after a queue of that name was
                // deleted, and tells only by refusing: wait for the name to be
                // free (bounded). Throttling, server and connection errors are
                // not resent here; they go to the engine's retry.
                Err(e)
                    if e.code_is(&[
                        "AWS.SimpleQueueService.QueueDeletedRecently",
                        "QueueDeletedRecently",
                    ]) && started.elapsed() < Duration::from_secs(75) =>
                {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                Err(e)
                    if e.code_is(&[
                        "QueueAlreadyExists",
                        "QueueNameExists",
                        "AWS.SimpleQueueService.QueueNameExists",
                    ]) =>
                {
                    return Err(ProviderError::fatal(format!(
                        "a queue named {name} already exists with other attributes: import it or choose another name"
                    ))
                    .on_attribute("name"));
                }
                Err(e) if e.is_invalid_request() => return Err(e.error.on_attribute("name")),
                Err(e) => return Err(e.error),
            }
        };
        // The tags went in with CreateQueue; reading them back would cost
        // a call per queue and, tags being eventually consistent on AWS,
        // could return none yet. A refresh reads them.
        Queue::observe_with(c, &url, Some(tags))
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "queue {name} is not visible yet after creating it"
                ))
            })
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Queue::observe(c, &req_str(state, "url")?).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let url = req_str(prior, "url")?;
        let mut wanted = attributes(planned, true)?;
        let before = attributes(prior, true)?;
        wanted.retain(|k, v| before.get(k) != Some(v));
        if !wanted.is_empty() {
            c.wire
                .json(
                    &SQS,
                    "SetQueueAttributes",
                    json!({ "QueueUrl": url, "Attributes": wanted }),
                )
                .await
                .aws_on(&format!("changing queue {url}"), "redrive-policy")?;
        }
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        if !removed.is_empty() {
            c.wire
                .json(
                    &SQS,
                    "UntagQueue",
                    json!({ "QueueUrl": url, "TagKeys": removed }),
                )
                .await
                .aws_on(&format!("untagging queue {url}"), "tags")?;
        }
        if !set.is_empty() {
            c.wire
                .json(&SQS, "TagQueue", json!({ "QueueUrl": url, "Tags": set }))
                .await
                .aws_on(&format!("tagging queue {url}"), "tags")?;
        }
        Queue::observe(c, &url).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "queue {url} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let url = req_str(state, "url")?;
        c.wire
            .json(&SQS, "DeleteQueue", json!({ "QueueUrl": url }))
            .await
            .aws_opt(&format!("deleting queue {url}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let url = if id.contains("://") {
            id.to_string()
        } else {
            Queue::url_of(c, id).await?.ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import sqs-queue {id:?}: there is no such queue"
                ))
            })?
        };
        Queue::observe(c, &url).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import sqs-queue {id:?}: there is no such queue"
            ))
        })
    }
}
