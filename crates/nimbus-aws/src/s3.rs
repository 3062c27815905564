//! S3: `s3-bucket`, `s3-bucket-policy`, `s3-object`, and the `s3-bucket`
//! data source.

use crate::clients::Clients;
use crate::error::{AwsResult, Built};
use crate::policy;
use crate::resource::{PlanContext, ResourceType};
use crate::util::{
    Object, attr, bool_or, map_value, normalize, opt_str, req_str, str_value, string_map,
};
use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};
use md5::{Digest, Md5};
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use std::collections::BTreeMap;

pub(crate) const ENCRYPTIONS: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];

fn tags_attr(what: &str) -> A {
    A::optional(Type::map(Type::String)).describe(&format!("Tags of the {what}; changed in place."))
}

fn bucket_arn(c: &Clients, name: &str) -> String {
    format!("arn:{}:s3:::{name}", c.partition)
}

/// Checks a bucket name against S3's rules (general purpose buckets).
pub(crate) fn check_bucket_name(name: &str) -> Option<String> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Some(format!(
            "a bucket name has 3 to 63 characters, {name:?} has {len}"
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some(format!(
            "a bucket name has only lowercase letters, digits, dots and hyphens: {name:?}"
        ));
    }
    let first = name.as_bytes()[0];
    let last = name.as_bytes()[len - 1];
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Some(format!(
            "a bucket name begins and ends with a letter or digit: {name:?}"
        ));
    }
    if name.contains("..") {
        return Some(format!("a bucket name has no two adjacent dots: {name:?}"));
    }
    None
}

fn tagging(tags: &BTreeMap<String, String>) -> Result<Tagging, ProviderError> {
    let set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().built())
        .collect::<Result<Vec<_>, _>>()?;
    Tagging::builder().set_tag_set(Some(set)).build().built()
}

/// The versioning status from a successful response the SDK could not
/// parse: some emulators (moto 5) name the root element
/// `GetBucketVersioningResponse` instead of `VersioningConfiguration`.
fn lenient_versioning<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Option<String> {
    let response = e.raw_response()?;
    if !response.status().is_success() {
        return None;
    }
    let body = std::str::from_utf8(response.body().bytes()?).ok()?;
    if !body.contains("Versioning") {
        return None;
    }
    let status = body
        .split_once("<Status>")
        .and_then(|(_, rest)| rest.split_once("</Status>"))
        .map(|(s, _)| s.trim().to_string())
        .unwrap_or_default();
    Some(status)
}

// ---------------------------------------------------------------- s3-bucket

pub(crate) struct Bucket;

impl Bucket {
    async fn set_versioning(c: &Clients, name: &str, enabled: bool) -> Result<(), ProviderError> {
        let status = if enabled {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        c.s3.put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .aws_on(
                &format!("setting versioning of bucket {name}"),
                "versioning",
            )?;
        Ok(())
    }

    async fn set_encryption(
        c: &Clients,
        name: &str,
        algorithm: Option<&str>,
        key: Option<&str>,
    ) -> Result<(), ProviderError> {
        let doing = format!("setting encryption of bucket {name}");
        match algorithm {
            None => {
                c.s3.delete_bucket_encryption()
                    .bucket(name)
                    .send()
                    .await
                    .aws_on(&doing, "encryption")?;
            }
            Some(algorithm) => {
                let default = ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(algorithm))
                    .set_kms_master_key_id(key.map(str::to_string))
                    .build()
                    .built()?;
                let config = ServerSideEncryptionConfiguration::builder()
                    .rules(
                        ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(default)
                            .build(),
                    )
                    .build()
                    .built()?;
                c.s3.put_bucket_encryption()
                    .bucket(name)
                    .server_side_encryption_configuration(config)
                    .send()
                    .await
                    .aws_on(&doing, "encryption")?;
            }
        }
        Ok(())
    }

    async fn set_tags(
        c: &Clients,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ProviderError> {
        let doing = format!("tagging bucket {name}");
        if tags.is_empty() {
            c.s3.delete_bucket_tagging()
                .bucket(name)
                .send()
                .await
                .aws_on(&doing, "tags")?;
        } else {
            c.s3.put_bucket_tagging()
                .bucket(name)
                .tagging(tagging(tags)?)
                .send()
                .await
                .aws_on(&doing, "tags")?;
        }
        Ok(())
    }

    async fn create_bucket(c: &Clients, name: &str) -> Result<(), ProviderError> {
        let mut create = c.s3.create_bucket().bucket(name);
        if c.region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(c.region.as_str()))
                    .build(),
            );
        }
        match create.send().await.aws(&format!("creating bucket {name}")) {
            Ok(_) => Ok(()),
            Err(e) if e.code_is(&["BucketAlreadyExists", "BucketAlreadyOwnedByYou"]) => {
                Err(ProviderError::fatal(format!(
                    "bucket {name} already exists{}",
                    if e.code_is(&["BucketAlreadyOwnedByYou"]) {
                        " in this account: import it with `nimbus import` instead"
                    } else {
                        " in another account: bucket names are global, choose another"
                    }
                ))
                .on_attribute("bucket-name"))
            }
            Err(e) if e.is_invalid_request() => Err(e.error.on_attribute("bucket-name")),
            Err(e) => Err(e.error),
        }
    }

    /// Deletes every object version and delete marker (for force-destroy).
    async fn empty(c: &Clients, name: &str) -> Result<(), ProviderError> {
        let doing = format!("emptying bucket {name}");
        loop {
            let page =
                c.s3.list_object_versions()
                    .bucket(name)
                    .max_keys(1000)
                    .send()
                    .await
                    .aws(&doing)?;
            let mut ids = Vec::new();
            for v in page.versions() {
                if let Some(key) = v.key() {
                    ids.push(
                        ObjectIdentifier::builder()
                            .key(key)
                            .set_version_id(v.version_id().map(str::to_string))
                            .build()
                            .built()?,
                    );
                }
            }
            for m in page.delete_markers() {
                if let Some(key) = m.key() {
                    ids.push(
                        ObjectIdentifier::builder()
                            .key(key)
                            .set_version_id(m.version_id().map(str::to_string))
                            .build()
                            .built()?,
                    );
                }
            }
            if ids.is_empty() {
                return Ok(());
            }
            let result =
                c.s3.delete_objects()
                    .bucket(name)
                    .delete(
                        Delete::builder()
                            .set_objects(Some(ids))
                            .quiet(true)
                            .build()
                            .built()?,
                    )
                    .send()
                    .await
                    .aws(&doing)?;
            if let Some(e) = result.errors().first() {
                return Err(ProviderError::retryable(format!(
                    "{doing}: cannot delete {}: {}",
                    e.key().unwrap_or("?"),
                    e.message().unwrap_or("unknown error")
                )));
            }
        }
    }

    async fn read_encryption(
        c: &Clients,
        name: &str,
    ) -> Result<(Option<String>, Option<String>), ProviderError> {
        match c
            .s3
            .get_bucket_encryption()
            .bucket(name)
            .send()
            .await
            .aws(&format!("reading bucket {name}"))
        {
            Ok(out) => {
                let default = out
                    .server_side_encryption_configuration()
                    .and_then(|config| config.rules().first())
                    .and_then(|rule| rule.apply_server_side_encryption_by_default());
                Ok((
                    default.map(|d| d.sse_algorithm().as_str().to_string()),
                    default
                        .and_then(|d| d.kms_master_key_id())
                        .map(str::to_string),
                ))
            }
            Err(e)
                if e.code_is(&["ServerSideEncryptionConfigurationNotFoundError"])
                    || e.is_not_found() =>
            {
                Ok((None, None))
            }
            Err(e) => Err(e.error),
        }
    }

    async fn observe(
        c: &Clients,
        name: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading bucket {name}");
        // No HeadBucket first: a missing bucket is NoSuchBucket here too, and
        // every call less is one less to fail and retry.
        let enabled = match c.s3.get_bucket_versioning().bucket(name).send().await {
            Ok(v) => v.status() == Some(&BucketVersioningStatus::Enabled),
            Err(e) => match lenient_versioning(&e) {
                Some(status) => status == "Enabled",
                None => {
                    let e = crate::error::classify(&doing, e);
                    return if e.is_not_found() {
                        Ok(None)
                    } else {
                        Err(e.error)
                    };
                }
            },
        };
        let (algorithm, key) = Bucket::read_encryption(c, name).await?;
        let tags = match c
            .s3
            .get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .aws(&doing)
        {
            Ok(out) => out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            Err(e) if e.code_is(&["NoSuchTagSet", "NoSuchTagSetError"]) => BTreeMap::new(),
            Err(e) => return Err(e.error),
        };
        Bucket::state(c, name, known, enabled, algorithm, key, tags).map(Some)
    }

    /// The state of a bucket from what is known of it; `known` is the
    /// configuration or prior state (for what S3 does not store).
    fn state(
        c: &Clients,
        name: &str,
        known: &Value,
        versioning: bool,
        algorithm: Option<String>,
        key: Option<String>,
        tags: BTreeMap<String, String>,
    ) -> Result<Value, ProviderError> {
        let mut o = Object::new();
        o.insert("id".into(), Value::string(name));
        o.insert("bucket-name".into(), Value::string(name));
        o.insert("name".into(), Value::string(name));
        o.insert("arn".into(), Value::string(bucket_arn(c, name)));
        o.insert("region".into(), Value::string(&c.region));
        o.insert(
            "bucket-domain-name".into(),
            Value::string(format!("{name}.s3.amazonaws.com")),
        );
        o.insert("versioning".into(), Value::Bool(versioning));
        o.insert("encryption".into(), str_value(algorithm));
        // A KMS key only matters when the configuration names one.
        let key = if attr(known, "kms-key-id").is_null() && !attr(known, "encryption").is_null() {
            None
        } else {
            key
        };
        o.insert("kms-key-id".into(), str_value(key));
        o.insert("tags".into(), map_value(tags));
        o.insert(
            "force-destroy".into(),
            Value::Bool(bool_or(known, "force-destroy", false)?),
        );
        Ok(Value::Map(normalize(&Bucket.schema(), o)?))
    }
}

#[async_trait]
impl ResourceType for Bucket {
    fn name(&self) -> &'static str {
        "s3-bucket"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An S3 bucket with versioning, default encryption and tags. Import with the bucket name.",
        )
        .attr(
            "bucket-name",
            A::required(Type::String)
                .force_new()
                .describe("Name of the bucket: 3 to 63 lowercase letters, digits, dots and hyphens, globally unique. Changing it replaces the bucket."),
        )
        .attr(
            "versioning",
            A::optional(Type::Bool).describe(
                "Keep every version of every object. Default false. Turning it off on a bucket that had it suspends versioning (S3 cannot disable it).",
            ),
        )
        .attr(
            "encryption",
            A::optional_computed(Type::String).describe(
                "Default server-side encryption: \"AES256\" (SSE-S3), \"aws:kms\" or \"aws:kms:dsse\". Unset: whatever S3 applies (SSE-S3 on new buckets).",
            ),
        )
        .attr(
            "kms-key-id",
            A::optional(Type::String).describe("KMS key for \"aws:kms\" encryption; unset uses the AWS-managed key."),
        )
        .attr("tags", tags_attr("bucket"))
        .attr(
            "force-destroy",
            A::optional(Type::Bool).describe(
                "Delete every object, object version and delete marker when the bucket is destroyed. Default false: destroying a non-empty bucket fails.",
            ),
        )
        .attr("id", A::computed(Type::String).describe("The bucket name (the import id)."))
        .attr("name", A::computed(Type::String).describe("The bucket name."))
        .attr("arn", A::computed(Type::String).describe("ARN of the bucket, arn:aws:s3:::NAME."))
        .attr("region", A::computed(Type::String).describe("Region of the bucket."))
        .attr(
            "bucket-domain-name",
            A::computed(Type::String).describe("The bucket's domain name, NAME.s3.amazonaws.com."),
        )
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("versioning", Value::Bool(false)),
            ("force-destroy", Value::Bool(false)),
        ]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors = Vec::new();
        if let Some(name) = attr(config, "bucket-name").as_str()
            && let Some(why) = check_bucket_name(name)
        {
            errors.push(ProviderError::fatal(why).on_attribute("bucket-name"));
        }
        if let Some(e) = attr(config, "encryption").as_str()
            && !ENCRYPTIONS.contains(&e)
        {
            errors.push(
                ProviderError::fatal(format!(
                    "`encryption` must be one of {}, found {e:?}",
                    ENCRYPTIONS.join(", ")
                ))
                .on_attribute("encryption"),
            );
        }
        if !attr(config, "kms-key-id").is_null()
            && attr(config, "encryption")
                .as_str()
                .is_some_and(|e| e == "AES256")
        {
            errors.push(
                ProviderError::fatal("`kms-key-id` needs \"aws:kms\" encryption")
                    .on_attribute("kms-key-id"),
            );
        }
        errors
    }

    fn plan_more(&self, ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        // Everything derived from the name is known as soon as the name is.
        if let Some(name) = planned
            .get("bucket-name")
            .and_then(Value::as_str)
            .map(str::to_string)
            && ctx.fresh
        {
            planned.insert("id".into(), Value::string(&name));
            planned.insert("name".into(), Value::string(&name));
            planned.insert(
                "bucket-domain-name".into(),
                Value::string(format!("{name}.s3.amazonaws.com")),
            );
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "bucket-name")?;
        let mut creation = c.creation(self.name(), planned);
        if creation.made().is_none() {
            Bucket::create_bucket(c, &name).await?;
            creation.record(&name);
        }
        let versioning = bool_or(planned, "versioning", false)?;
        if versioning {
            Bucket::set_versioning(c, &name, true).await?;
        }
        let kms_key = opt_str(planned, "kms-key-id")?;
        let (algorithm, key) = match opt_str(planned, "encryption")? {
            Some(algorithm) => {
                Bucket::set_encryption(c, &name, Some(&algorithm), kms_key.as_deref()).await?;
                (Some(algorithm), kms_key)
            }
            // Whatever S3 applies to a new bucket: only S3 can say.
            None => Bucket::read_encryption(c, &name).await?,
        };
        let tags = string_map(planned, "tags")?;
        if !tags.is_empty() {
            Bucket::set_tags(c, &name, &tags).await?;
        }
        // What was just set is not read back: three calls fewer per bucket,
        // and bucket configuration is eventually consistent on AWS, so a
        // read right after a write can return the old value. A refresh
        // reads everything.
        let state = Bucket::state(c, &name, planned, versioning, algorithm, key, tags)?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Bucket::observe(c, &req_str(state, "bucket-name")?, state).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let name = req_str(planned, "bucket-name")?;
        let versioning = bool_or(planned, "versioning", false)?;
        if versioning != bool_or(prior, "versioning", false)? {
            Bucket::set_versioning(c, &name, versioning).await?;
        }
        if attr(prior, "encryption") != attr(planned, "encryption")
            || attr(prior, "kms-key-id") != attr(planned, "kms-key-id")
        {
            Bucket::set_encryption(
                c,
                &name,
                opt_str(planned, "encryption")?.as_deref(),
                opt_str(planned, "kms-key-id")?.as_deref(),
            )
            .await?;
        }
        let tags = string_map(planned, "tags")?;
        if tags != string_map(prior, "tags")? {
            Bucket::set_tags(c, &name, &tags).await?;
        }
        Bucket::observe(c, &name, planned).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "bucket {name} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let name = req_str(state, "bucket-name")?;
        if bool_or(state, "force-destroy", false)? {
            match Bucket::empty(c, &name).await {
                Err(e) if e.message.contains("NoSuchBucket") => return Ok(()),
                other => other?,
            }
        }
        match c.s3.delete_bucket().bucket(&name).send().await.aws(&format!("deleting bucket {name}")) {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.code_is(&["BucketNotEmpty"]) => Err(ProviderError::fatal(format!(
                "bucket {name} is not empty: delete its objects first, or set `(force-destroy #t)` and apply before destroying"
            ))
            .on_attribute("force-destroy")),
            Err(e) => Err(e.error),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        Bucket::observe(c, id, &Value::Null).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import s3-bucket {id:?}: there is no such bucket"
            ))
        })
    }
}

// --------------------------------------------------------- s3-bucket-policy

pub(crate) struct BucketPolicy;

impl BucketPolicy {
    async fn put(c: &Clients, planned: &Value) -> Result<(), ProviderError> {
        let bucket = req_str(planned, "bucket")?;
        let text = policy::document_text(attr(planned, "policy"), "policy")?
            .ok_or_else(|| ProviderError::fatal("`policy` is required").on_attribute("policy"))?;
        c.s3.put_bucket_policy()
            .bucket(&bucket)
            .policy(text)
            .send()
            .await
            .aws_on(&format!("setting the policy of bucket {bucket}"), "policy")?;
        Ok(())
    }

    async fn observe(
        c: &Clients,
        bucket: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let Some(out) =
            c.s3.get_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .aws_opt(&format!("reading the policy of bucket {bucket}"))?
        else {
            return Ok(None);
        };
        let mut o = Object::new();
        o.insert("bucket".into(), Value::string(bucket));
        o.insert("id".into(), Value::string(bucket));
        o.insert(
            "policy".into(),
            policy::observed(attr(known, "policy"), out.policy()),
        );
        Ok(Some(Value::Map(normalize(&BucketPolicy.schema(), o)?)))
    }
}

#[async_trait]
impl ResourceType for BucketPolicy {
    fn name(&self) -> &'static str {
        "s3-bucket-policy"
    }

    fn schema(&self) -> Schema {
        Schema::new("The bucket policy of an S3 bucket (one per bucket). Import with the bucket name.")
            .attr("bucket", A::required(Type::String).force_new().describe("Name of the bucket."))
            .attr(
                "policy",
                A::required(Type::Any).describe(
                    "The policy document: a JSON string (e.g. from `json-encode`) or a map. Compared by meaning, so AWS's reformatting shows no change.",
                ),
            )
            .attr("id", A::computed(Type::String).describe("The bucket name (the import id)."))
    }

    fn documents(&self) -> &'static [&'static str] {
        &["policy"]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        policy::check_document(attr(config, "policy"), "policy")
            .into_iter()
            .collect()
    }

    fn plan_more(&self, _ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        let bucket = planned.get("bucket").cloned().unwrap_or(Value::Unknown);
        planned.insert("id".into(), bucket);
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        BucketPolicy::put(c, planned).await?;
        let bucket = req_str(planned, "bucket")?;
        BucketPolicy::observe(c, &bucket, planned)
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "the policy of bucket {bucket} is not visible yet"
                ))
            })
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        BucketPolicy::observe(c, &req_str(state, "bucket")?, state).await
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.create(c, planned).await
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let bucket = req_str(state, "bucket")?;
        c.s3.delete_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .aws_opt(&format!("deleting the policy of bucket {bucket}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        BucketPolicy::observe(c, id, &Value::Null)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import s3-bucket-policy {id:?}: the bucket has no policy"
                ))
            })
    }
}

// ---------------------------------------------------------------- s3-object

pub(crate) struct S3Object;

/// The bytes an `s3-object` uploads: its `content`, or the file `source`.
fn object_bytes(
    base_dir: &std::path::Path,
    object: &Value,
) -> Result<Option<Vec<u8>>, ProviderError> {
    if let Some(content) = opt_str(object, "content")? {
        return Ok(Some(content.into_bytes()));
    }
    match opt_str(object, "source")? {
        Some(source) => {
            let path = if std::path::Path::new(&source).is_absolute() {
                std::path::PathBuf::from(&source)
            } else {
                base_dir.join(&source)
            };
            std::fs::read(&path).map(Some).map_err(|e| {
                ProviderError::fatal(format!("cannot read {}: {e}", path.display()))
                    .on_attribute("source")
            })
        }
        None => Ok(None),
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

impl S3Object {
    async fn put(c: &Clients, planned: &Value) -> Result<(), ProviderError> {
        let bucket = req_str(planned, "bucket")?;
        let key = req_str(planned, "key")?;
        let bytes = object_bytes(&c.base_dir, planned)?.unwrap_or_default();
        let tags = string_map(planned, "tags")?;
        let mut put =
            c.s3.put_object()
                .bucket(&bucket)
                .key(&key)
                .body(ByteStream::from(bytes))
                .set_content_type(opt_str(planned, "content-type")?);
        if !tags.is_empty() {
            let query: Vec<String> = tags
                .iter()
                .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
                .collect();
            put = put.tagging(query.join("&"));
        }
        put.send()
            .await
            .aws_on(&format!("uploading s3://{bucket}/{key}"), "key")?;
        Ok(())
    }

    async fn observe(
        c: &Clients,
        bucket: &str,
        key: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading s3://{bucket}/{key}");
        let Some(head) =
            c.s3.head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let tags =
            c.s3.get_object_tagging()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .aws(&doing)?;
        let tags: BTreeMap<String, String> = tags
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let mut o = Object::new();
        o.insert("bucket".into(), Value::string(bucket));
        o.insert("key".into(), Value::string(key));
        o.insert("id".into(), Value::string(format!("{bucket}/{key}")));
        o.insert(
            "etag".into(),
            str_value(head.e_tag().map(|e| e.trim_matches('"').to_string())),
        );
        o.insert("content-type".into(), str_value(head.content_type()));
        o.insert(
            "version-id".into(),
            Value::string(head.version_id().unwrap_or("null")),
        );
        o.insert("tags".into(), map_value(tags));
        let mut content = attr(known, "content").clone();
        let source = attr(known, "source").clone();
        if known.is_null() {
            // Import: the content itself, when it is small text.
            if head.content_length().unwrap_or(0) <= 1 << 20 {
                let body =
                    c.s3.get_object()
                        .bucket(bucket)
                        .key(key)
                        .send()
                        .await
                        .aws(&doing)?;
                let bytes = body
                    .body
                    .collect()
                    .await
                    .map_err(|e| ProviderError::retryable(format!("{doing}: {e}")))?
                    .into_bytes();
                if let Ok(text) = String::from_utf8(bytes.to_vec()) {
                    content = Value::String(text);
                }
            }
        }
        o.insert("content".into(), content);
        o.insert("source".into(), source);
        Ok(Some(Value::Map(normalize(&S3Object.schema(), o)?)))
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[async_trait]
impl ResourceType for S3Object {
    fn name(&self) -> &'static str {
        "s3-object"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An object in an S3 bucket, uploaded from `content` or from the file `source`. A change of content \
             (seen through the MD5 etag, computed at plan time) uploads it again. Import with BUCKET/KEY.",
        )
        .attr("bucket", A::required(Type::String).force_new().describe("Name of the bucket."))
        .attr("key", A::required(Type::String).force_new().describe("Key (path) of the object in the bucket."))
        .attr(
            "content",
            A::optional(Type::String).describe("The object's content as text. Exactly one of `content` and `source`."),
        )
        .attr(
            "source",
            A::optional(Type::String).describe(
                "Path of a local file to upload, relative to the configuration's directory. Exactly one of `content` and `source`.",
            ),
        )
        .attr(
            "content-type",
            A::optional_computed(Type::String)
                .describe("MIME type of the object; unset lets S3 decide (binary/octet-stream)."),
        )
        .attr("tags", tags_attr("object"))
        .attr(
            "etag",
            A::computed(Type::String).describe(
                "MD5 of the content in hex, as S3 reports it for single-part uploads without KMS; known at plan time.",
            ),
        )
        .attr("version-id", A::computed(Type::String).describe("Version of the object (\"null\" without versioning)."))
        .attr("id", A::computed(Type::String).describe("BUCKET/KEY (the import id)."))
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let content = attr(config, "content");
        let source = attr(config, "source");
        if !content.is_null() && !source.is_null() {
            return vec![
                ProviderError::fatal("set one of `content` and `source`, not both")
                    .on_attribute("source"),
            ];
        }
        if content.is_null() && source.is_null() {
            return vec![ProviderError::fatal("set `content` or `source`").on_attribute("content")];
        }
        Vec::new()
    }

    fn plan_more(&self, ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        let object = Value::Map(planned.clone());
        let known = ["content", "source"]
            .iter()
            .all(|n| attr(&object, n).is_wholly_known());
        let etag = if known {
            match object_bytes(ctx.base_dir, &object)? {
                Some(bytes) => Value::string(md5_hex(&bytes)),
                None => Value::Unknown,
            }
        } else {
            Value::Unknown
        };
        let content_changed = ctx.prior.is_none_or(|p| attr(p, "etag") != &etag);
        planned.insert("etag".into(), etag);
        if let (Some(bucket), Some(key)) = (
            attr(&object, "bucket").as_str(),
            attr(&object, "key").as_str(),
        ) {
            planned.insert("id".into(), Value::string(format!("{bucket}/{key}")));
        }
        let prior_changed = ctx.prior.is_some_and(|p| {
            ["content-type", "tags"]
                .iter()
                .any(|n| attr(p, n) != planned.get(*n).unwrap_or(&Value::Null))
        });
        if ctx.fresh || content_changed || prior_changed {
            planned.insert("version-id".into(), Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        S3Object::put(c, planned).await?;
        let (bucket, key) = (req_str(planned, "bucket")?, req_str(planned, "key")?);
        S3Object::observe(c, &bucket, &key, planned)
            .await?
            .ok_or_else(|| {
                ProviderError::retryable(format!(
                    "s3://{bucket}/{key} is not visible yet after uploading it"
                ))
            })
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        S3Object::observe(
            c,
            &req_str(state, "bucket")?,
            &req_str(state, "key")?,
            state,
        )
        .await
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.create(c, planned).await
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let (bucket, key) = (req_str(state, "bucket")?, req_str(state, "key")?);
        c.s3.delete_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .aws_opt(&format!("deleting s3://{bucket}/{key}"))?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        let Some((bucket, key)) = id
            .split_once('/')
            .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        else {
            return Err(ProviderError::fatal(format!(
                "cannot import s3-object {id:?}: the id is BUCKET/KEY"
            )));
        };
        S3Object::observe(c, bucket, key, &Value::Null)
            .await?
            .ok_or_else(|| {
                ProviderError::fatal(format!(
                    "cannot import s3-object {id:?}: there is no such object"
                ))
            })
    }
}

// ------------------------------------------------------ s3-bucket (data)

pub(crate) fn bucket_data_schema() -> Schema {
    Schema::new("Looks up an existing S3 bucket by name.")
        .attr(
            "bucket-name",
            A::required(Type::String).describe("Name of the bucket."),
        )
        .attr(
            "arn",
            A::computed(Type::String).describe("ARN of the bucket."),
        )
        .attr(
            "region",
            A::computed(Type::String).describe("Region the bucket is in."),
        )
        .attr(
            "bucket-domain-name",
            A::computed(Type::String).describe("NAME.s3.amazonaws.com."),
        )
        .attr(
            "versioning",
            A::computed(Type::Bool).describe("Whether versioning is enabled."),
        )
        .attr(
            "tags",
            A::computed(Type::map(Type::String)).describe("Tags of the bucket."),
        )
}

pub(crate) async fn read_bucket_data(c: &Clients, config: &Value) -> Result<Value, ProviderError> {
    let name = req_str(config, "bucket-name")?;
    let Some(state) = Bucket::observe(c, &name, &Value::Null)
        .await
        .map_err(|e| e.on_attribute("bucket-name"))?
    else {
        return Err(
            ProviderError::fatal(format!("there is no bucket named {name:?}"))
                .on_attribute("bucket-name"),
        );
    };
    let location =
        c.s3.get_bucket_location()
            .bucket(&name)
            .send()
            .await
            .aws(&format!("reading the location of bucket {name}"))?;
    let region = match location
        .location_constraint()
        .map(|l| l.as_str().to_string())
    {
        None => "us-east-1".to_string(),
        Some(l) if l.is_empty() => "us-east-1".to_string(),
        Some(l) if l == "EU" => "eu-west-1".to_string(),
        Some(l) => l,
    };
    let mut o = Object::new();
    o.insert("bucket-name".into(), Value::string(&name));
    o.insert("arn".into(), attr(&state, "arn").clone());
    o.insert("region".into(), Value::string(region));
    o.insert(
        "bucket-domain-name".into(),
        attr(&state, "bucket-domain-name").clone(),
    );
    o.insert("versioning".into(), attr(&state, "versioning").clone());
    o.insert("tags".into(), attr(&state, "tags").clone());
    Ok(Value::Map(normalize(&bucket_data_schema(), o)?))
}
