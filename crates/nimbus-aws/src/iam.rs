//! IAM: `iam-role` and `iam-policy`.

use crate::clients::Clients;
use crate::error::{AwsResult, Built};
use crate::policy;
use crate::resource::{PlanContext, ResourceType};
use crate::util::{
    Object, attr, map_value, normalize, opt_i32, opt_str, req_str, str_value, string_list,
    string_map, tag_diff,
};
use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use std::collections::{BTreeMap, BTreeSet};

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().built())
        .collect()
}

fn check_path(config: &Value, errors: &mut Vec<ProviderError>) {
    if let Some(path) = attr(config, "path").as_str()
        && !(path.starts_with('/') && path.ends_with('/'))
    {
        errors.push(
            ProviderError::fatal(format!("`path` begins and ends with \"/\", found {path:?}"))
                .on_attribute("path"),
        );
    }
}

fn check_name(config: &Value, max: usize, errors: &mut Vec<ProviderError>) {
    if let Some(name) = attr(config, "name").as_str()
        && (name.is_empty()
            || name.len() > max
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)))
    {
        errors.push(
            ProviderError::fatal(format!(
                "an IAM name has 1 to {max} letters, digits and any of +=,.@_-: {name:?}"
            ))
            .on_attribute("name"),
        );
    }
}

// ----------------------------------------------------------------- iam-role

pub(crate) struct Role;

impl Role {
    async fn inline_policies(c: &Clients, role: &str) -> Result<Vec<String>, ProviderError> {
        let doing = format!("listing the inline policies of role {role}");
        let mut names = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .iam
                .list_role_policies()
                .role_name(role)
                .set_marker(marker)
                .send()
                .await
                .aws(&doing)?;
            names.extend(page.policy_names().iter().cloned());
            match page.marker().filter(|_| page.is_truncated()) {
                Some(m) => marker = Some(m.to_string()),
                None => return Ok(names),
            }
        }
    }

    async fn attached(c: &Clients, role: &str) -> Result<Vec<String>, ProviderError> {
        let doing = format!("listing the policies attached to role {role}");
        let mut arns = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .iam
                .list_attached_role_policies()
                .role_name(role)
                .set_marker(marker)
                .send()
                .await
                .aws(&doing)?;
            arns.extend(
                page.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string)),
            );
            match page.marker().filter(|_| page.is_truncated()) {
                Some(m) => marker = Some(m.to_string()),
                None => return Ok(arns),
            }
        }
    }

    async fn observe(
        c: &Clients,
        name: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading role {name}");
        let Some(out) = c
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let Some(role) = out.role() else {
            return Ok(None);
        };
        let mut inline = BTreeMap::new();
        let known_inline = attr(known, "inline-policies");
        for policy_name in Role::inline_policies(c, name).await? {
            let got = c
                .iam
                .get_role_policy()
                .role_name(name)
                .policy_name(&policy_name)
                .send()
                .await
                .aws(&doing)?;
            let prior = attr(known_inline, &policy_name);
            inline.insert(
                policy_name.clone(),
                policy::observed(prior, Some(got.policy_document())),
            );
        }
        let tags = c
            .iam
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .aws(&doing)?;
        let tags: BTreeMap<String, String> = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let mut o = Object::new();
        o.insert("name".into(), Value::string(role.role_name()));
        o.insert("id".into(), Value::string(role.role_name()));
        o.insert("path".into(), Value::string(role.path()));
        o.insert("arn".into(), Value::string(role.arn()));
        o.insert("unique-id".into(), Value::string(role.role_id()));
        o.insert(
            "description".into(),
            str_value(role.description().filter(|d| !d.is_empty())),
        );
        o.insert(
            "max-session-duration".into(),
            Value::int(role.max_session_duration().unwrap_or(3600) as i64),
        );
        o.insert(
            "assume-role-policy".into(),
            policy::observed(
                attr(known, "assume-role-policy"),
                role.assume_role_policy_document(),
            ),
        );
        o.insert("inline-policies".into(), Value::Map(inline));
        o.insert(
            "managed-policy-arns".into(),
            Value::List(
                Role::attached(c, name)
                    .await?
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            ),
        );
        o.insert("tags".into(), map_value(tags));
        Ok(Some(Value::Map(normalize(&Role.schema(), o)?)))
    }

    /// Sends `CreateRole` for the planned role.
    async fn create_role(
        c: &Clients,
        name: &str,
        planned: &Value,
        trust: String,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ProviderError> {
        let result = c
            .iam
            .create_role()
            .role_name(name)
            .path(opt_str(planned, "path")?.unwrap_or_else(|| "/".into()))
            .assume_role_policy_document(trust)
            .set_description(opt_str(planned, "description")?)
            .set_max_session_duration(opt_i32(planned, "max-session-duration")?)
            .set_tags((!tags.is_empty()).then(|| iam_tags(tags)).transpose()?)
            .send()
            .await
            .aws(&format!("creating role {name}"));
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code_is(&["EntityAlreadyExists"]) => Err(ProviderError::fatal(format!(
                "role {name} already exists: import it or choose another name"
            ))
            .on_attribute("name")),
            Err(e) if e.code_is(&["MalformedPolicyDocument"]) => {
                Err(e.error.on_attribute("assume-role-policy"))
            }
            Err(e) if e.is_invalid_request() => Err(e.error.on_attribute("name")),
            Err(e) => Err(e.error),
        }
    }

    async fn sync_inline(
        c: &Clients,
        name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), ProviderError> {
        let old = attr(prior, "inline-policies")
            .as_map()
            .cloned()
            .unwrap_or_default();
        let new = attr(planned, "inline-policies")
            .as_map()
            .cloned()
            .unwrap_or_default();
        for (policy_name, document) in &new {
            if old
                .get(policy_name)
                .is_some_and(|o| policy::equivalent(o, document))
            {
                continue;
            }
            let text = policy::document_text(document, "inline-policies")?.unwrap_or_default();
            c.iam
                .put_role_policy()
                .role_name(name)
                .policy_name(policy_name)
                .policy_document(text)
                .send()
                .await
                .aws_on(
                    &format!("setting inline policy {policy_name} of role {name}"),
                    "inline-policies",
                )?;
        }
        for policy_name in old.keys().filter(|k| !new.contains_key(*k)) {
            c.iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(policy_name)
                .send()
                .await
                .aws_opt(&format!(
                    "deleting inline policy {policy_name} of role {name}"
                ))?;
        }
        Ok(())
    }

    async fn sync_attached(
        c: &Clients,
        name: &str,
        old: &[String],
        new: &[String],
    ) -> Result<(), ProviderError> {
        let old: BTreeSet<&String> = old.iter().collect();
        let new: BTreeSet<&String> = new.iter().collect();
        for arn in new.difference(&old) {
            c.iam
                .attach_role_policy()
                .role_name(name)
                .policy_arn(*arn)
                .send()
                .await
                .aws_on(
                    &format!("attaching {arn} to role {name}"),
                    "managed-policy-arns",
                )?;
        }
        for arn in old.difference(&new) {
            c.iam
                .detach_role_policy()
                .role_name(name)
                .policy_arn(*arn)
                .send()
                .await
                .aws_opt(&format!("detaching {arn} from role {name}"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Role {
    fn name(&self) -> &'static str {
        "iam-role"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An IAM role with its trust policy, inline policies and attached managed policies. Import with the role name.",
        )
        .attr(
            "name",
            A::required(Type::String).force_new().describe("Name of the role (up to 64 characters). Changing it replaces the role."),
        )
        .attr("path", A::optional(Type::String).force_new().describe("Path of the role, default \"/\". Changing it replaces the role."))
        .attr("description", A::optional(Type::String).describe("Description; changed in place."))
        .attr(
            "assume-role-policy",
            A::required(Type::Any).describe(
                "Trust policy: who may assume the role. A JSON string (e.g. from `json-encode`) or a map; compared by meaning. Changed in place.",
            ),
        )
        .attr(
            "inline-policies",
            A::optional(Type::map(Type::Any)).describe(
                "Inline policies by name: `(inline-policies (NAME DOCUMENT) ...)`, each a JSON string or a map. Policies not listed are removed.",
            ),
        )
        .attr(
            "managed-policy-arns",
            A::optional(Type::set(Type::String)).describe("ARNs of managed policies to attach; others attached out of band are detached."),
        )
        .attr(
            "max-session-duration",
            A::optional(Type::Number).describe("Longest session in seconds, 3600 (default) to 43200."),
        )
        .attr("tags", A::optional(Type::map(Type::String)).describe("Tags of the role; changed in place."))
        .attr("arn", A::computed(Type::String).describe("ARN of the role."))
        .attr("unique-id", A::computed(Type::String).describe("The stable id IAM gives the role (AROA...)."))
        .attr("id", A::computed(Type::String).describe("The role name (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("path", Value::string("/")),
            ("max-session-duration", Value::int(3600)),
        ]
    }

    fn documents(&self) -> &'static [&'static str] {
        &["assume-role-policy"]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors = Vec::new();
        check_name(config, 64, &mut errors);
        check_path(config, &mut errors);
        errors.extend(policy::check_document(
            attr(config, "assume-role-policy"),
            "assume-role-policy",
        ));
        if let Some(map) = attr(config, "inline-policies").as_map() {
            for document in map.values() {
                errors.extend(policy::check_document(document, "inline-policies"));
            }
        }
        if let Some(n) = attr(config, "max-session-duration")
            .as_number()
            .and_then(|n| n.as_i64())
            && !(3600..=43_200).contains(&n)
        {
            errors.push(
                ProviderError::fatal(format!(
                    "`max-session-duration` must be between 3600 and 43200, found {n}"
                ))
                .on_attribute("max-session-duration"),
            );
        }
        errors
    }

    fn plan_more(&self, ctx: &PlanContext<'_>, planned: &mut Object) -> Result<(), ProviderError> {
        if let Some(prior) = ctx.prior {
            // Inline policies that mean the same keep their prior spelling.
            if let (Some(old), Some(Value::Map(new))) = (
                attr(prior, "inline-policies").as_map(),
                planned.get_mut("inline-policies"),
            ) {
                for (k, v) in new.iter_mut() {
                    if let Some(o) = old.get(k)
                        && v.is_wholly_known()
                        && policy::equivalent(o, v)
                    {
                        *v = o.clone();
                    }
                }
            }
        }
        if ctx.fresh
            && let Some(name) = planned
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
        {
            planned.insert("id".into(), Value::string(name));
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "name")?;
        let trust =
            policy::document_text(attr(planned, "assume-role-policy"), "assume-role-policy")?
                .ok_or_else(|| {
                    ProviderError::fatal("`assume-role-policy` is required")
                        .on_attribute("assume-role-policy")
                })?;
        let tags = string_map(planned, "tags")?;
        let mut creation = c.creation(self.name(), planned);
        if creation.made().is_none() {
            Role::create_role(c, &name, planned, trust, &tags).await?;
            creation.record(&name);
        }
        Role::sync_inline(c, &name, &Value::Null, planned).await?;
        Role::sync_attached(c, &name, &[], &string_list(planned, "managed-policy-arns")?).await?;
        let state = Role::observe(c, &name, planned).await?.ok_or_else(|| {
            ProviderError::retryable(format!("role {name} is not visible yet after creating it"))
        })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Role::observe(c, &req_str(state, "name")?, state).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let name = req_str(prior, "name")?;
        if !policy::equivalent(
            attr(prior, "assume-role-policy"),
            attr(planned, "assume-role-policy"),
        ) {
            let trust =
                policy::document_text(attr(planned, "assume-role-policy"), "assume-role-policy")?
                    .unwrap_or_default();
            c.iam
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(trust)
                .send()
                .await
                .aws_on(
                    &format!("changing the trust policy of role {name}"),
                    "assume-role-policy",
                )?;
        }
        if attr(prior, "description") != attr(planned, "description")
            || attr(prior, "max-session-duration") != attr(planned, "max-session-duration")
        {
            c.iam
                .update_role()
                .role_name(&name)
                .description(opt_str(planned, "description")?.unwrap_or_default())
                .set_max_session_duration(opt_i32(planned, "max-session-duration")?)
                .send()
                .await
                .aws_on(&format!("changing role {name}"), "description")?;
        }
        Role::sync_inline(c, &name, prior, planned).await?;
        Role::sync_attached(
            c,
            &name,
            &string_list(prior, "managed-policy-arns")?,
            &string_list(planned, "managed-policy-arns")?,
        )
        .await?;
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        if !removed.is_empty() {
            c.iam
                .untag_role()
                .role_name(&name)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .aws_on(&format!("untagging role {name}"), "tags")?;
        }
        if !set.is_empty() {
            c.iam
                .tag_role()
                .role_name(&name)
                .set_tags(Some(iam_tags(&set)?))
                .send()
                .await
                .aws_on(&format!("tagging role {name}"), "tags")?;
        }
        Role::observe(c, &name, planned).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "role {name} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let name = req_str(state, "name")?;
        let doing = format!("deleting role {name}");
        // A role goes only once nothing hangs on it.
        let inline = match Role::inline_policies(c, &name).await {
            Ok(v) => v,
            Err(e) if e.message.contains("NoSuchEntity") => return Ok(()),
            Err(e) => return Err(e),
        };
        for policy_name in inline {
            c.iam
                .delete_role_policy()
                .role_name(&name)
                .policy_name(&policy_name)
                .send()
                .await
                .aws_opt(&doing)?;
        }
        for arn in Role::attached(c, &name).await? {
            c.iam
                .detach_role_policy()
                .role_name(&name)
                .policy_arn(&arn)
                .send()
                .await
                .aws_opt(&doing)?;
        }
        if let Some(profiles) = c
            .iam
            .list_instance_profiles_for_role()
            .role_name(&name)
            .send()
            .await
            .aws_opt(&doing)?
        {
            for profile in profiles.instance_profiles() {
                c.iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(profile.instance_profile_name())
                    .role_name(&name)
                    .send()
                    .await
                    .aws_opt(&doing)?;
            }
        }
        c.iam
            .delete_role()
            .role_name(&name)
            .send()
            .await
            .aws_opt(&doing)?;
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        Role::observe(c, id, &Value::Null).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import iam-role {id:?}: there is no such role"
            ))
        })
    }
}

// --------------------------------------------------------------- iam-policy

pub(crate) struct Policy;

impl Policy {
    /// Sends `CreatePolicy` for the planned policy; returns its ARN.
    async fn create_policy(
        c: &Clients,
        name: &str,
        planned: &Value,
        document: String,
    ) -> Result<String, ProviderError> {
        let tags = string_map(planned, "tags")?;
        let result = c
            .iam
            .create_policy()
            .policy_name(name)
            .path(opt_str(planned, "path")?.unwrap_or_else(|| "/".into()))
            .policy_document(document)
            .set_description(opt_str(planned, "description")?)
            .set_tags((!tags.is_empty()).then(|| iam_tags(&tags)).transpose()?)
            .send()
            .await
            .aws(&format!("creating policy {name}"));
        let out = match result {
            Ok(out) => out,
            Err(e) if e.code_is(&["EntityAlreadyExists"]) => {
                return Err(ProviderError::fatal(format!(
                    "policy {name} already exists: import it or choose another name"
                ))
                .on_attribute("name"));
            }
            Err(e) if e.code_is(&["MalformedPolicyDocument"]) || e.is_invalid_request() => {
                return Err(e.error.on_attribute("policy"));
            }
            Err(e) => return Err(e.error),
        };
        Ok(out
            .policy()
            .and_then(|p| p.arn())
            .ok_or_else(|| crate::error::missing("policy ARN"))?
            .to_string())
    }

    async fn observe(
        c: &Clients,
        arn: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading policy {arn}");
        let Some(out) = c
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let Some(p) = out.policy() else {
            return Ok(None);
        };
        let version = p
            .default_version_id()
            .ok_or_else(|| crate::error::missing("default policy version"))?;
        let document = c
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .aws(&doing)?;
        let document = document
            .policy_version()
            .and_then(|v| v.document())
            .map(str::to_string);
        let tags = c
            .iam
            .list_policy_tags()
            .policy_arn(arn)
            .send()
            .await
            .aws(&doing)?;
        let tags: BTreeMap<String, String> = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let mut o = Object::new();
        o.insert("arn".into(), Value::string(arn));
        o.insert("id".into(), Value::string(arn));
        o.insert("name".into(), str_value(p.policy_name()));
        o.insert("path".into(), Value::string(p.path().unwrap_or("/")));
        o.insert(
            "description".into(),
            str_value(p.description().filter(|d| !d.is_empty())),
        );
        o.insert("policy-id".into(), str_value(p.policy_id()));
        o.insert(
            "policy".into(),
            policy::observed(attr(known, "policy"), document.as_deref()),
        );
        o.insert("tags".into(), map_value(tags));
        Ok(Some(Value::Map(normalize(&Policy.schema(), o)?)))
    }

    /// Makes room for a new version: IAM keeps at most five.
    async fn prune_versions(c: &Clients, arn: &str) -> Result<(), ProviderError> {
        let doing = format!("listing the versions of policy {arn}");
        let out = c
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .aws(&doing)?;
        let mut old: Vec<_> = out
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        if out.versions().len() < 5 {
            return Ok(());
        }
        old.sort_by_key(|v| v.create_date().map(|d| d.secs()).unwrap_or(0));
        if let Some(oldest) = old.first().and_then(|v| v.version_id()) {
            c.iam
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(oldest)
                .send()
                .await
                .aws_opt(&format!("deleting version {oldest} of policy {arn}"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Policy {
    fn name(&self) -> &'static str {
        "iam-policy"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A customer-managed IAM policy. Changing the document creates a new default version (the oldest \
             is deleted when five exist). Import with the policy ARN.",
        )
        .attr("name", A::required(Type::String).force_new().describe("Name of the policy (up to 128 characters)."))
        .attr("path", A::optional(Type::String).force_new().describe("Path of the policy, default \"/\"."))
        .attr(
            "description",
            A::optional(Type::String).force_new().describe("Description; IAM cannot change it, so changing it replaces the policy."),
        )
        .attr(
            "policy",
            A::required(Type::Any).describe("The policy document: a JSON string or a map; compared by meaning. Changed in place."),
        )
        .attr("tags", A::optional(Type::map(Type::String)).describe("Tags of the policy; changed in place."))
        .attr("arn", A::computed(Type::String).describe("ARN of the policy."))
        .attr("policy-id", A::computed(Type::String).describe("The stable id IAM gives the policy (ANPA...)."))
        .attr("id", A::computed(Type::String).describe("The policy ARN (the import id)."))
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("path", Value::string("/"))]
    }

    fn documents(&self) -> &'static [&'static str] {
        &["policy"]
    }

    fn check(&self, config: &Value) -> Vec<ProviderError> {
        let mut errors = Vec::new();
        check_name(config, 128, &mut errors);
        check_path(config, &mut errors);
        errors.extend(policy::check_document(attr(config, "policy"), "policy"));
        errors
    }

    async fn create(&self, c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
        let name = req_str(planned, "name")?;
        let document = policy::document_text(attr(planned, "policy"), "policy")?
            .ok_or_else(|| ProviderError::fatal("`policy` is required").on_attribute("policy"))?;
        let mut creation = c.creation(self.name(), planned);
        let arn = match creation.made() {
            Some(arn) => arn.to_string(),
            None => {
                let arn = Policy::create_policy(c, &name, planned, document).await?;
                creation.record(&arn);
                arn
            }
        };
        let state = Policy::observe(c, &arn, planned).await?.ok_or_else(|| {
            ProviderError::retryable(format!(
                "policy {name} is not visible yet after creating it"
            ))
        })?;
        Ok(creation.finish(state))
    }

    async fn read(&self, c: &Clients, state: &Value) -> Result<Option<Value>, ProviderError> {
        Policy::observe(c, &req_str(state, "arn")?, state).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let arn = req_str(prior, "arn")?;
        if !policy::equivalent(attr(prior, "policy"), attr(planned, "policy")) {
            Policy::prune_versions(c, &arn).await?;
            let document =
                policy::document_text(attr(planned, "policy"), "policy")?.unwrap_or_default();
            c.iam
                .create_policy_version()
                .policy_arn(&arn)
                .policy_document(document)
                .set_as_default(true)
                .send()
                .await
                .aws_on(&format!("changing policy {arn}"), "policy")?;
        }
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        if !removed.is_empty() {
            c.iam
                .untag_policy()
                .policy_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .aws_on(&format!("untagging policy {arn}"), "tags")?;
        }
        if !set.is_empty() {
            c.iam
                .tag_policy()
                .policy_arn(&arn)
                .set_tags(Some(iam_tags(&set)?))
                .send()
                .await
                .aws_on(&format!("tagging policy {arn}"), "tags")?;
        }
        Policy::observe(c, &arn, planned).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "policy {arn} disappeared while it was being updated"
            ))
        })
    }

    async fn delete(&self, c: &Clients, state: &Value) -> Result<(), ProviderError> {
        let arn = req_str(state, "arn")?;
        let doing = format!("deleting policy {arn}");
        let Some(versions) = c
            .iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .aws_opt(&doing)?
        else {
            return Ok(());
        };
        for v in versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
        {
            if let Some(id) = v.version_id() {
                c.iam
                    .delete_policy_version()
                    .policy_arn(&arn)
                    .version_id(id)
                    .send()
                    .await
                    .aws_opt(&doing)?;
            }
        }
        match c
            .iam
            .delete_policy()
            .policy_arn(&arn)
            .send()
            .await
            .aws(&doing)
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.code_is(&["DeleteConflict"]) => Err(ProviderError::fatal(format!(
                "policy {arn} is still attached to users, groups or roles: detach it first"
            ))),
            Err(e) => Err(e.error),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Value, ProviderError> {
        if !id.starts_with("arn:") {
            return Err(ProviderError::fatal(format!(
                "cannot import iam-policy {id:?}: the id is the policy ARN"
            )));
        }
        Policy::observe(c, id, &Value::Null).await?.ok_or_else(|| {
            ProviderError::fatal(format!(
                "cannot import iam-policy {id:?}: there is no such policy"
            ))
        })
    }
}
