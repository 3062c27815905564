//! S3: `s3-bucket`, `s3-bucket-policy`, `s3-object`, and the `s3-bucket`
//! data source.

use crate::clients::Clients;
use crate::error::AwsResult;
use crate::policy;
use crate::resource::{PlanContext, ResourceType};
use crate::util::{
    Object, attr, bool_or, map_value, normalize, opt_str, req_str, str_value, string_map,
};
use crate::wire::{Call, CallError, Response, S3, xml_answer};
use async_trait::async_trait;
use base64::Engine;
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

/// A request about `bucket` (and the object `key` in it), addressed as the
/// provider is configured: the bucket first in the path (path-style), or
/// in the host. A bucket name with dots is always path-style, as the SDK
/// does: it would not match the wildcard certificate of the host.
fn call(c: &Clients, method: &'static str, bucket: &str, key: Option<&str>) -> Call {
    let path_style = c.wire.s3_path_style || bucket.contains('.');
    let mut path: Vec<&str> = Vec::new();
    if path_style {
        path.push(bucket);
    }
    if let Some(key) = key {
        // The client encodes each segment: the key's slashes stay slashes.
        path.extend(key.split('/'));
    }
    let mut call = Call::new(method, &path);
    if !path_style {
        call.bucket_host = Some(bucket.to_string());
    }
    call
}

/// Sends an S3 call; the whole answer, or its error.
async fn send(c: &Clients, call: Call) -> Result<Response, CallError> {
    c.wire.rest_xml(&S3, call).await
}

/// `call` with `body` and its `Content-MD5`, which S3 requires of most
/// calls that carry a body (tagging, encryption, DeleteObjects).
fn with_body(call: Call, body: Vec<u8>) -> Call {
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&body));
    call.header("content-md5", md5).body(body)
}

/// `call` with an XML document as its body.
fn with_xml(call: Call, document: String) -> Call {
    with_body(
        call.header("content-type", "application/xml"),
        document.into_bytes(),
    )
}

/// `text` escaped for an XML element's content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Carriage returns would be normalised away by the parser.
            '\r' => out.push_str("&#13;"),
            _ => out.push(ch),
        }
    }
    out
}

const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The body of PutBucketTagging and PutObjectTagging.
fn tagging_xml(tags: &BTreeMap<String, String>) -> String {
    let mut out = format!(r#"<Tagging xmlns="{XMLNS}"><TagSet>"#);
    for (k, v) in tags {
        out.push_str(&format!(
            "<Tag><Key>{}</Key><Value>{}</Value></Tag>",
            escape(k),
            escape(v)
        ));
    }
    out.push_str("</TagSet></Tagging>");
    out
}

/// The tags of a GetBucketTagging or GetObjectTagging answer, keys and
/// values exactly as S3 holds them.
fn tags_of(response: &Response) -> Result<BTreeMap<String, String>, CallError> {
    Ok(xml_answer(response)?
        .at(&["TagSet"])
        .into_iter()
        .flat_map(|set| set.children_named("Tag"))
        .map(|tag| {
            (
                tag.text_at(&["Key"]).unwrap_or_default(),
                tag.text_at(&["Value"]).unwrap_or_default(),
            )
        })
        .collect())
}

/// The object versions and delete markers of a ListObjectVersions answer:
/// each key (decoded when S3 URL-encoded it) and version.
fn listed_versions(response: &Response) -> Result<Vec<(String, Option<String>)>, CallError> {
    let root = xml_answer(response)?;
    // Asked for, but not every emulator encodes: only what says so is decoded.
    let encoded = root
        .text_at(&["EncodingType"])
        .is_some_and(|e| e.trim() == "url");
    Ok(root
        .children
        .iter()
        .filter(|n| matches!(n.name.as_str(), "Version" | "DeleteMarker"))
        .filter_map(|entry| {
            let key = entry.text_at(&["Key"])?;
            let key = if encoded {
                // S3 writes a space as `+` (and a `+` as `%2B`).
                crate::util::percent_decode(&key.replace('+', " "))
            } else {
                key
            };
            Some((key, entry.text_at(&["VersionId"])))
        })
        .collect())
}

// ---------------------------------------------------------------- s3-bucket

pub(crate) struct Bucket;

/// The canned ACLs a bucket can have (`acl`).
const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "log-delivery-write",
];

/// What S3 says of a bucket besides its name.
struct Observed {
    versioning: bool,
    algorithm: Option<String>,
    key: Option<String>,
    tags: BTreeMap<String, String>,
    acl: String,
}

impl Bucket {
    async fn set_versioning(c: &Clients, name: &str, enabled: bool) -> Result<(), ProviderError> {
        let status = if enabled { "Enabled" } else { "Suspended" };
        let put = with_xml(
            call(c, "PUT", name, None).query("versioning", ""),
            format!(
                r#"<VersioningConfiguration xmlns="{XMLNS}"><Status>{status}</Status></VersioningConfiguration>"#
            ),
        );
        send(c, put).await.aws_on(
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
                let delete = call(c, "DELETE", name, None).query("encryption", "");
                send(c, delete).await.aws_on(&doing, "encryption")?;
            }
            Some(algorithm) => {
                let key = key
                    .map(|k| format!("<KMSMasterKeyID>{}</KMSMasterKeyID>", escape(k)))
                    .unwrap_or_default();
                let put = with_xml(
                    call(c, "PUT", name, None).query("encryption", ""),
                    format!(
                        r#"<ServerSideEncryptionConfiguration xmlns="{XMLNS}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>{}</SSEAlgorithm>{key}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#,
                        escape(algorithm)
                    ),
                );
                send(c, put).await.aws_on(&doing, "encryption")?;
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
        let request = if tags.is_empty() {
            call(c, "DELETE", name, None).query("tagging", "")
        } else {
            with_xml(
                call(c, "PUT", name, None).query("tagging", ""),
                tagging_xml(tags),
            )
        };
        send(c, request).await.aws_on(&doing, "tags")?;
        Ok(())
    }

    async fn create_bucket(c: &Clients, name: &str) -> Result<(), ProviderError> {
        let mut create = call(c, "PUT", name, None);
        if c.region != "us-east-1" {
            create = with_xml(
                create,
                format!(
                    r#"<CreateBucketConfiguration xmlns="{XMLNS}"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>"#,
                    escape(&c.region)
                ),
            );
        }
        match send(c, create)
            .await
            .aws(&format!("creating bucket {name}"))
        {
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
        let mut previous = String::new();
        loop {
            // Keys URL-encoded: a key may hold characters XML 1.0 cannot.
            let list = call(c, "GET", name, None)
                .query("versions", "")
                .query("max-keys", "1000")
                .query("encoding-type", "url");
            let listed = send(c, list)
                .await
                .and_then(|r| listed_versions(&r))
                .aws(&doing)?;
            let mut objects = String::new();
            for (key, version) in listed {
                objects.push_str(&format!("<Object><Key>{}</Key>", escape(&key)));
                if let Some(version) = version {
                    objects.push_str(&format!("<VersionId>{}</VersionId>", escape(&version)));
                }
                objects.push_str("</Object>");
            }
            if objects.is_empty() {
                return Ok(());
            }
            if objects == previous {
                // Deleted without an error, yet listed again: stop rather
                // than loop.
                return Err(ProviderError::retryable(format!(
                    "{doing}: S3 still lists the object versions it deleted"
                )));
            }
            let delete = with_xml(
                call(c, "POST", name, None).query("delete", ""),
                format!(r#"<Delete xmlns="{XMLNS}"><Quiet>true</Quiet>{objects}</Delete>"#),
            );
            let result = send(c, delete)
                .await
                .and_then(|r| xml_answer(&r))
                .aws(&doing)?;
            if let Some(e) = result.child("Error") {
                return Err(ProviderError::retryable(format!(
                    "{doing}: cannot delete {}: {}",
                    e.child("Key").map_or("?", |k| k.text.as_str()),
                    e.child("Message")
                        .map_or("unknown error", |m| m.text.as_str())
                )));
            }
            previous = objects;
        }
    }

    async fn read_encryption(
        c: &Clients,
        name: &str,
    ) -> Result<(Option<String>, Option<String>), ProviderError> {
        let get = call(c, "GET", name, None).query("encryption", "");
        match send(c, get)
            .await
            .and_then(|r| xml_answer(&r))
            .aws(&format!("reading bucket {name}"))
        {
            Ok(config) => {
                let default = config
                    .child("Rule")
                    .and_then(|rule| rule.child("ApplyServerSideEncryptionByDefault"));
                Ok((
                    default.and_then(|d| d.text_at(&["SSEAlgorithm"])),
                    default.and_then(|d| d.text_at(&["KMSMasterKeyID"])),
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
        let get = call(c, "GET", name, None).query("versioning", "");
        let Some(versioning) = send(c, get)
            .await
            .and_then(|r| xml_answer(&r))
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        // Some emulators (moto 5) name the root `GetBucketVersioningResponse`
        // instead of `VersioningConfiguration`: the status is found wherever
        // it is.
        let enabled = versioning
            .find("Status")
            .is_some_and(|s| s.text == "Enabled");
        let (algorithm, key) = Bucket::read_encryption(c, name).await?;
        let get = call(c, "GET", name, None).query("tagging", "");
        let tags = match send(c, get).await.and_then(|r| tags_of(&r)).aws(&doing) {
            Ok(tags) => tags,
            Err(e) if e.code_is(&["NoSuchTagSet", "NoSuchTagSetError"]) => BTreeMap::new(),
            Err(e) => return Err(e.error),
        };
        let acl = Bucket::read_acl(c, name, known).await?;
        let observed = Observed {
            versioning: enabled,
            algorithm,
            key,
            tags,
            acl,
        };
        Bucket::state(c, name, known, observed).map(Some)
    }

    /// The bucket's canned ACL, read from its grants: what they give
    /// everyone (AllUsers), any AWS account (AuthenticatedUsers) or S3's
    /// log delivery. A grant to everyone beyond reading (WRITE,
    /// FULL_CONTROL, the ACL itself) reads as `public-read-write`, any
    /// grant to every AWS account as at least `authenticated-read`: an ACL
    /// no canned one names is never taken for `private`. Grants to the
    /// owner or to named accounts are `private`. A store that has no ACLs
    /// (`NotImplemented`) keeps what was known.
    async fn read_acl(c: &Clients, name: &str, known: &Value) -> Result<String, ProviderError> {
        let get = call(c, "GET", name, None).query("acl", "");
        let policy = match send(c, get)
            .await
            .and_then(|r| xml_answer(&r))
            .aws(&format!("reading the ACL of bucket {name}"))
        {
            Ok(policy) => policy,
            Err(e) if e.code_is(&["NotImplemented"]) => {
                return Ok(attr(known, "acl").as_str().unwrap_or("private").to_string());
            }
            Err(e) => return Err(e.error),
        };
        let mut granted: Vec<(&'static str, String)> = Vec::new();
        let grants = policy.at(&["AccessControlList"]).into_iter();
        for grant in grants.flat_map(|list| list.children_named("Grant")) {
            let uri = grant.text_at(&["Grantee", "URI"]).unwrap_or_default();
            let group = match uri.rsplit('/').next() {
                Some("AllUsers") => "AllUsers",
                Some("AuthenticatedUsers") => "AuthenticatedUsers",
                Some("LogDelivery") => "LogDelivery",
                _ => continue,
            };
            granted.push((group, grant.text_at(&["Permission"]).unwrap_or_default()));
        }
        let to = |group: &'static str| granted.iter().filter(move |(g, _)| *g == group);
        let everyone_writes = to("AllUsers").any(|(_, p)| p != "READ" && p != "READ_ACP");
        Ok(if everyone_writes {
            "public-read-write"
        } else if to("AllUsers").next().is_some() {
            "public-read"
        } else if to("AuthenticatedUsers").next().is_some() {
            "authenticated-read"
        } else if to("LogDelivery").next().is_some() {
            "log-delivery-write"
        } else {
            "private"
        }
        .to_string())
    }

    async fn set_acl(c: &Clients, name: &str, acl: &str) -> Result<(), ProviderError> {
        let put = call(c, "PUT", name, None)
            .query("acl", "")
            .header("x-amz-acl", acl);
        match send(c, put).await.aws(&format!("setting the ACL of bucket {name}")) {
            Ok(_) => Ok(()),
            Err(e) if e.code_is(&["AccessControlListNotSupported"]) => Err(ProviderError::fatal(
                format!(
                    "bucket {name} has ACLs disabled (object ownership \"bucket owner enforced\", the default since 2023): its access is set by bucket policies; keep `acl` \"private\""
                ),
            )
            .on_attribute("acl")),
            Err(e) => Err(e.error.on_attribute("acl")),
        }
    }

    /// The state of a bucket from what is known of it; `known` is the
    /// configuration or prior state (for what S3 does not store).
    fn state(
        c: &Clients,
        name: &str,
        known: &Value,
        observed: Observed,
    ) -> Result<Value, ProviderError> {
        let Observed {
            versioning,
            algorithm,
            key,
            tags,
            acl,
        } = observed;
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
        o.insert("acl".into(), Value::string(acl));
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
            "acl",
            A::optional(Type::String).describe(
                "Canned ACL: \"private\" (default), \"public-read\", \"public-read-write\", \"authenticated-read\" or \"log-delivery-write\". On AWS, buckets created since April 2023 have ACLs disabled (object ownership \"bucket owner enforced\"), and only \"private\" is accepted. Changed in place.",
            ),
        )
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
            ("acl", Value::string("private")),
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
        if let Some(acl) = attr(config, "acl").as_str()
            && !CANNED_ACLS.contains(&acl)
        {
            errors.push(
                ProviderError::fatal(format!(
                    "`acl` must be one of {}, found {acl:?}",
                    CANNED_ACLS.join(", ")
                ))
                .on_attribute("acl"),
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
        // A new bucket's ACL is private; another is set once it exists.
        let acl = opt_str(planned, "acl")?.unwrap_or_else(|| "private".to_string());
        if acl != "private" {
            Bucket::set_acl(c, &name, &acl).await?;
        }
        let observed = Observed {
            versioning,
            algorithm,
            key,
            tags,
            acl,
        };
        let state = Bucket::state(c, &name, planned, observed)?;
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
        // A state recorded before `acl` existed holds none: the bucket's
        // ACL was then the default, private.
        let prior_acl = attr(prior, "acl").as_str().unwrap_or("private");
        if let Some(acl) = opt_str(planned, "acl")?
            && prior_acl != acl
        {
            Bucket::set_acl(c, &name, &acl).await?;
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
        let delete = call(c, "DELETE", &name, None);
        match send(c, delete).await.aws(&format!("deleting bucket {name}")) {
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
        let put = with_body(
            call(c, "PUT", &bucket, None)
                .query("policy", "")
                .header("content-type", "application/json"),
            text.into_bytes(),
        );
        send(c, put)
            .await
            .aws_on(&format!("setting the policy of bucket {bucket}"), "policy")?;
        Ok(())
    }

    async fn observe(
        c: &Clients,
        bucket: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let get = call(c, "GET", bucket, None).query("policy", "");
        let Some(out) = send(c, get)
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
            policy::observed(
                attr(known, "policy"),
                Some(String::from_utf8_lossy(&out.body).as_ref()),
            ),
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
        let delete = call(c, "DELETE", &bucket, None).query("policy", "");
        send(c, delete)
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
        let mut put = call(c, "PUT", &bucket, Some(&key));
        if let Some(content_type) = opt_str(planned, "content-type")? {
            put = put.header("content-type", content_type);
        }
        if !tags.is_empty() {
            let query: Vec<String> = tags
                .iter()
                .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
                .collect();
            put = put.header("x-amz-tagging", query.join("&"));
        }
        send(c, with_body(put, bytes))
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
        let head = call(c, "HEAD", bucket, Some(key));
        let Some(head) = send(c, head).await.aws_opt(&doing)? else {
            return Ok(None);
        };
        let tagging = call(c, "GET", bucket, Some(key)).query("tagging", "");
        let tags = send(c, tagging)
            .await
            .and_then(|r| tags_of(&r))
            .aws(&doing)?;
        let mut o = Object::new();
        o.insert("bucket".into(), Value::string(bucket));
        o.insert("key".into(), Value::string(key));
        o.insert("id".into(), Value::string(format!("{bucket}/{key}")));
        o.insert(
            "etag".into(),
            str_value(head.header("etag").map(|e| e.trim_matches('"').to_string())),
        );
        o.insert(
            "content-type".into(),
            str_value(head.header("content-type")),
        );
        o.insert(
            "version-id".into(),
            Value::string(head.header("x-amz-version-id").unwrap_or("null")),
        );
        o.insert("tags".into(), map_value(tags));
        let mut content = attr(known, "content").clone();
        let source = attr(known, "source").clone();
        if known.is_null() {
            // Import: the content itself, when it is small text.
            let length = head
                .header("content-length")
                .and_then(|l| l.parse::<u64>().ok())
                .unwrap_or(0);
            if length <= 1 << 20 {
                let get = call(c, "GET", bucket, Some(key));
                let body = send(c, get).await.aws(&doing)?;
                if let Ok(text) = String::from_utf8(body.body.to_vec()) {
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
        let delete = call(c, "DELETE", &bucket, Some(&key));
        send(c, delete)
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
    let get = call(c, "GET", &name, None).query("location", "");
    let location = send(c, get)
        .await
        .and_then(|r| xml_answer(&r))
        .aws(&format!("reading the location of bucket {name}"))?;
    // The answer's root element is the constraint itself, empty for
    // us-east-1.
    let region = match (location.name == "LocationConstraint")
        .then(|| location.text.clone())
        .or_else(|| location.find("LocationConstraint").map(|l| l.text.clone()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Response {
        Response {
            status: 200,
            headers: Default::default(),
            body: body.to_string().into(),
        }
    }

    #[test]
    fn tag_documents_escape_and_read_back() {
        let tags: BTreeMap<String, String> = [
            ("a&b".to_string(), "<x> \"y\" 'z'".to_string()),
            ("plain".to_string(), String::new()),
            ("spaced".to_string(), " v ".to_string()),
        ]
        .into();
        let document = tagging_xml(&tags);
        assert!(document.contains("<Key>a&amp;b</Key>"), "{document}");
        assert!(
            document.contains("<Value>&lt;x&gt; &quot;y&quot; &apos;z&apos;</Value>"),
            "{document}"
        );
        assert_eq!(tags_of(&answer(&document)).unwrap(), tags);
    }

    #[test]
    fn listed_keys_come_back_exactly() {
        let listed = listed_versions(&answer(
            "<ListVersionsResult><EncodingType>url</EncodingType>\
             <Version><Key>a+b%2Bc%20%C3%A9+</Key><VersionId>v1</VersionId></Version>\
             <DeleteMarker><Key>d</Key><VersionId>v2</VersionId></DeleteMarker>\
             <CommonPrefixes><Prefix>x/</Prefix></CommonPrefixes></ListVersionsResult>",
        ))
        .unwrap();
        assert_eq!(
            listed,
            vec![
                ("a b+c é ".to_string(), Some("v1".to_string())),
                ("d".to_string(), Some("v2".to_string())),
            ]
        );
        // Not encoded (an emulator that ignores `encoding-type`): as it is.
        let listed = listed_versions(&answer(
            "<ListVersionsResult><Version><Key> a+b%41 </Key></Version></ListVersionsResult>",
        ))
        .unwrap();
        assert_eq!(listed, vec![(" a+b%41 ".to_string(), None)]);
    }

    #[test]
    fn missing_tag_sets_read_as_no_tags() {
        assert!(
            tags_of(&answer("<Tagging><TagSet/></Tagging>"))
                .unwrap()
                .is_empty()
        );
        assert!(tags_of(&answer("<Tagging/>")).unwrap().is_empty());
        assert!(matches!(
            tags_of(&answer("<html")),
            Err(CallError::Malformed { .. })
        ));
    }
}
