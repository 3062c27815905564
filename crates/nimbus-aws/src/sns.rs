//! SNS: `sns-topic` and `sns-subscription`.

use crate::clients::Clients;
use crate::error::AwsResult;
use crate::policy;
use crate::resource::{PlanContext, ResourceType};
use crate::util::{
    Object, attr, bool_or, map_value, normalize, opt_str, req_str, str_value, string_map, tag_diff,
};
use crate::wire::{Params, SNS};
use async_trait::async_trait;
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use std::collections::BTreeMap;

pub(crate) const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];

// ---------------------------------------------------------------- sns-topic

pub(crate) struct Topic;

/// Topic attributes that map one to one: (attribute, SNS name).
const TOPIC_ATTRIBUTES: &[(&str, &str)] = &[
    ("display-name", "DisplayName"),
    ("kms-master-key-id", "KmsMasterKeyId"),
];

impl Topic {
    async fn observe(c: &Clients, arn: &str) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading topic {arn}");
        let Some(out) = c
            .wire
            .query(
                &SNS,
                "GetTopicAttributes",
                Params::new().set("TopicArn", arn),
            )
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let attrs = out.string_map(&["GetTopicAttributesResult", "Attributes"]);
        let tags: BTreeMap<String, String> = match c
            .wire
            .query(
                &SNS,
                "ListTagsForResource",
                Params::new().set("ResourceArn", arn),
            )
            .await
            .aws_opt(&doing)?
        {
            Some(t) => t.string_map(&["ListTagsForResourceResult", "Tags"]),
            None => return Ok(None),
        };
        let mut o = Object::new();
        o.insert("arn".into(), Value::string(arn));
        o.insert("id".into(), Value::string(arn));
        o.insert(
            "name".into(),
            Value::string(arn.rsplit(':').next().unwrap_or_default()),
        );
        o.insert(
            "fifo".into(),
            Value::Bool(attrs.get("FifoTopic").is_some_and(|v| v == "true")),
        );
        for (attribute, sns) in TOPIC_ATTRIBUTES {
            o.insert(
                attribute.to_string(),
                str_value(attrs.get(*sns).filter(|v| !v.is_empty()).cloned()),
            );
        }
        o.insert("tags".into(), map_value(tags));
        Ok(Some(Value::Map(normalize(&Topic.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Topic {
    fn name(&self) -> &'static str {
        "sns-topic"
    }

    fn schema(&self) -> Schema {
        Schema::new("An SNS topic, standard or FIFO. Import with the topic ARN.")
            .attr(
                "name",
                A::required(Type::String).force_new().describe(
                    "Name of the topic: up to 256 letters, digits, hyphens and underscores; a FIFO topic's ends in \".fifo\". Changing it replaces the topic.",
                ),
            )
            .attr("fifo", A::optional(Type::Bool).force_new().describe("A FIFO topic. Default false; changing it replaces the topic."))
            .attr("display-name", A::optional(Type::String).describe("Display name (used as the sender of SMS messages). Changed in place."))
            .attr(
                "kms-master-key-id",
                A::optional(Type::String).describe("KMS key for server-side encryption (e.g. \"alias/aws/sns\"); unset: no encryption."),
            )
            .attr("tags", A::optional(Type::map(Type::String)).describe("Tags of the topic; changed in place."))
            .attr("arn", A::computed(Type::String).describe("ARN of the topic."))
            .attr("id", A::computed(Type::String).describe("The topic ARN (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("fifo", Value::Bool(false))]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors = Vec::new();
        if let Some(name) = attr(config, "name").as_str() {
            let base = name.strip_suffix(".fifo").unwrap_or(name);
            if base.is_empty()
                || name.len() > 256
                || !base
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                errors.push(
                    ProviderError::fatal(format!("a topic name has 1 to 256 letters, digits, hyphens and underscores: {name:?}"))
                        .on_attribute("name"),
                );
            }
            let fifo = match attr(config, "fifo") {
                Value::Null => Some(false),
                v => v.as_bool(),
            };
            if let Some(fifo) = fifo
                && fifo != name.ends_with(".fifo")
            {
                errors.push(
                    ProviderError::fatal(if fifo {
                        "the name of a FIFO topic ends in \".fifo\""
                    } else {
                        "a name ending in \".fifo\" needs `(fifo #t)`"
                    })
                    .on_attribute("name"),
                );
            }
        }
        errors
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "name")?;
        let mut attributes = BTreeMap::new();
        if bool_or(planned, "fifo", false)? {
            attributes.insert("FifoTopic".to_string(), "true".to_string());
        }
        for (attribute, sns) in TOPIC_ATTRIBUTES {
            if let Some(v) = opt_str(planned, attribute)? {
                attributes.insert(sns.to_string(), v);
            }
        }
        let tags = string_map(planned, "tags")?;
        let out = c
            .wire
            .query(
                &SNS,
                "CreateTopic",
                Params::new()
                    .set("Name", &name)
                    .entries("Attributes", &attributes)
                    .tags("Tags", &tags),
            )
            .await
            .aws_on(&format!("creating topic {name}"), "name")?;
        let arn = out
            .text_at(&["CreateTopicResult", "TopicArn"])
            .filter(|a| !a.is_empty())
            .ok_or_else(|| crate::error::missing("topic ARN"))?;
        Topic::observe(c, &arn).await?.ok_or_else(|| {
            ProviderError::retryable(format!("topic {name} is not visible yet after creating it"))
        })
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Topic::observe(c, &req_str(state, "arn")?).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let arn = req_str(prior, "arn")?;
        for (attribute, sns) in TOPIC_ATTRIBUTES {
            if attr(prior, attribute) != attr(planned, attribute) {
                c.wire
                    .query(
                        &SNS,
                        "SetTopicAttributes",
                        Params::new()
                            .set("TopicArn", &arn)
                            .set("AttributeName", *sns)
                            .set(
                                "AttributeValue",
                                opt_str(planned, attribute)?.unwrap_or_default(),
                            ),
                    )
                    .await
                    .aws_on(&format!("changing {attribute} of topic {arn}"), attribute)?;
            }
        }
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        if !removed.is_empty() {
            c.wire
                .query(
                    &SNS,
                    "UntagResource",
                    Params::new()
                        .set("ResourceArn", &arn)
                        .list("TagKeys", removed),
                )
                .await
                .aws_on(&format!("untagging topic {arn}"), "tags")?;
        }
        if !set.is_empty() {
            c.wire
                .query(
                    &SNS,
                    "TagResource",
                    Params::new().set("ResourceArn", &arn).tags("Tags", &set),
                )
                .await
                .aws_on(&format!("tagging topic {arn}"), "tags")?;
        }
        Topic::observe(c, &arn).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "topic {arn} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let arn = req_str(state, "arn")?;
        c.wire
            .query(&SNS, "DeleteTopic", Params::new().set("TopicArn", &arn))
            .await
            .aws_opt(&format!("deleting topic {arn}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        if !id.starts_with("arn:") {
            return Err(ProviderError::fatal(format!(
                "cannot import sns-topic {id:?}: the id is the topic ARN"
            )));
        }
        Topic::observe(c, id).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import sns-topic {id:?}: there is no such topic"
            ))
        })
    }
}

// --------------------------------------------------------- sns-subscription

pub(crate) struct Subscription;

impl Subscription {
    async fn observe(
        c: &Clients,
        arn: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading subscription {arn}");
        let Some(out) = c
            .wire
            .query(
                &SNS,
                "GetSubscriptionAttributes",
                Params::new().set("SubscriptionArn", arn),
            )
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let attrs = out.string_map(&["GetSubscriptionAttributesResult", "Attributes"]);
        let get = |k: &str| attrs.get(k).filter(|v| !v.is_empty()).cloned();
        let mut o = Object::new();
        o.insert("arn".into(), Value::string(arn));
        o.insert("id".into(), Value::string(arn));
        o.insert("topic-arn".into(), str_value(get("TopicArn")));
        o.insert("protocol".into(), str_value(get("Protocol")));
        o.insert("endpoint".into(), str_value(get("Endpoint")));
        o.insert(
            "raw-message-delivery".into(),
            Value::Bool(get("RawMessageDelivery").is_some_and(|v| v == "true")),
        );
        o.insert(
            "filter-policy".into(),
            policy::observed(attr(known, "filter-policy"), get("FilterPolicy").as_deref()),
        );
        o.insert(
            "pending-confirmation".into(),
            Value::Bool(get("PendingConfirmation").is_some_and(|v| v == "true")),
        );
        Ok(Some(Value::Map(normalize(&Subscription.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for Subscription {
    fn name(&self) -> &'static str {
        "sns-subscription"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A subscription of an endpoint (a queue, a function, a URL, an address) to an SNS topic. \
             Import with the subscription ARN.",
        )
        .attr("topic-arn", A::required(Type::String).force_new().describe("ARN of the topic."))
        .attr(
            "protocol",
            A::required(Type::String).force_new().describe(&format!("How messages are delivered: one of {}.", PROTOCOLS.join(", "))),
        )
        .attr(
            "endpoint",
            A::required(Type::String).force_new().describe("Where messages go: a queue ARN for sqs, a function ARN for lambda, a URL for http(s), an address for email."),
        )
        .attr(
            "raw-message-delivery",
            A::optional(Type::Bool).describe("Deliver the message body as is, without the SNS envelope (sqs, http(s), firehose). Default false."),
        )
        .attr(
            "filter-policy",
            A::optional(Type::Any).describe("Filter policy as a JSON string or a map: only matching messages are delivered."),
        )
        .attr("arn", A::computed(Type::String).describe("ARN of the subscription."))
        .attr(
            "pending-confirmation",
            A::computed(Type::Bool).describe("True until the endpoint confirms the subscription (http(s) and email)."),
        )
        .attr("id", A::computed(Type::String).describe("The subscription ARN (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("raw-message-delivery", Value::Bool(false))]
    }

    fn documents(&self) -> &'static [&'static str] {
        &["filter-policy"]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors: Vec<ProviderError> =
            policy::check_document(attr(config, "filter-policy"), "filter-policy")
                .into_iter()
                .collect();
        if let Some(p) = attr(config, "protocol").as_str()
            && !PROTOCOLS.contains(&p)
        {
            errors.push(
                ProviderError::fatal(format!(
                    "`protocol` must be one of {}, found {p:?}",
                    PROTOCOLS.join(", ")
                ))
                .on_attribute("protocol"),
            );
        }
        errors
    }

    fn plan_more(&self, ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        if ctx.fresh {
            let protocol = planned
                .get("protocol")
                .and_then(Value::as_str)
                .map(str::to_string);
            if let Some(p) = protocol
                && matches!(
                    p.as_str(),
                    "sqs" | "lambda" | "firehose" | "application" | "sms"
                )
            {
                planned.insert("pending-confirmation".into(), Value::Bool(false));
            }
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let topic = req_str(planned, "topic-arn")?;
        let mut attributes = BTreeMap::new();
        if bool_or(planned, "raw-message-delivery", false)? {
            attributes.insert("RawMessageDelivery".to_string(), "true".to_string());
        }
        if let Some(text) = policy::document_text(attr(planned, "filter-policy"), "filter-policy")?
        {
            attributes.insert("FilterPolicy".to_string(), text);
        }
        let out = c
            .wire
            .query(
                &SNS,
                "Subscribe",
                Params::new()
                    .set("TopicArn", &topic)
                    .set("Protocol", req_str(planned, "protocol")?)
                    .set("Endpoint", req_str(planned, "endpoint")?)
                    .entries("Attributes", &attributes)
                    .set("ReturnSubscriptionArn", "true"),
            )
            .await
            .aws_on(&format!("subscribing to topic {topic}"), "endpoint")?;
        let arn = out
            .text_at(&["SubscribeResult", "SubscriptionArn"])
            .filter(|a| !a.is_empty())
            .ok_or_else(|| crate::error::missing("subscription ARN"))?;
        Subscription::observe(c, &arn, planned)
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "subscription {arn} is not visible yet after creating it"
                ))
            })
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Subscription::observe(c, &req_str(state, "arn")?, state).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let arn = req_str(prior, "arn")?;
        if attr(prior, "raw-message-delivery") != attr(planned, "raw-message-delivery") {
            c.wire
                .query(
                    &SNS,
                    "SetSubscriptionAttributes",
                    Params::new()
                        .set("SubscriptionArn", &arn)
                        .set("AttributeName", "RawMessageDelivery")
                        .set(
                            "AttributeValue",
                            bool_or(planned, "raw-message-delivery", false)?.to_string(),
                        ),
                )
                .await
                .aws_on(
                    &format!("changing subscription {arn}"),
                    "raw-message-delivery",
                )?;
        }
        if !policy::equivalent(attr(prior, "filter-policy"), attr(planned, "filter-policy")) {
            let text = policy::document_text(attr(planned, "filter-policy"), "filter-policy")?;
            c.wire
                .query(
                    &SNS,
                    "SetSubscriptionAttributes",
                    Params::new()
                        .set("SubscriptionArn", &arn)
                        .set("AttributeName", "FilterPolicy")
                        .set("AttributeValue", text.unwrap_or_default()),
                )
                .await
                .aws_on(
                    &format!("changing the filter policy of subscription {arn}"),
                    "filter-policy",
                )?;
        }
        Subscription::observe(c, &arn, planned)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "subscription {arn} disappeared while it was being updated"
                ))
            })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let arn = req_str(state, "arn")?;
        if arn.starts_with("arn:") {
            c.wire
                .query(
                    &SNS,
                    "Unsubscribe",
                    Params::new().set("SubscriptionArn", &arn),
                )
                .await
                .aws_opt(&format!("unsubscribing {arn}"))?;
        }
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        Subscription::observe(c, id, &Value::Null)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import sns-subscription {id:?}: there is no such subscription"
                ))
            })
    }
}
