//! IAM: `iam-role` and `iam-policy`.

use crate::clients::Clients;
use crate::error::AwsResult;
use crate::policy;
use crate::resource::{PlanContext, ResourceType};
use crate::util::{
    Object, attr, map_value, normalize, opt_i32, opt_str, req_str, str_value, string_list,
    string_map, tag_diff,
};
use crate::wire::xml::Element;
use crate::wire::{CallError, IAM, Params};
use async_trait::async_trait;
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::{AttributeSchema as A, Schema, Type, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One IAM call; the answer's `<Action>Result` element.
async fn iam(c: &Clients, action: &str, params: Params) -> Result<Element, CallError> {
    let mut answer = c.wire.query(&IAM, action, params).await?;
    let result = format!("{action}Result");
    Ok(
        match answer.children.iter().position(|e| e.name == result) {
            Some(i) => answer.children.swap_remove(i),
            None => Element::default(),
        },
    )
}

/// Every page of a list call (`Marker`, `IsTruncated`): the `member`s of
/// `list` in each.
async fn iam_list(
    c: &Clients,
    action: &str,
    params: Params,
    list: &str,
    doing: &str,
) -> Result<Vec<Element>, ProviderError> {
    let mut items = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam(c, action, params.clone().opt("Marker", marker.clone()))
            .await
            .aws(doing)?;
        items.extend(page.members(&[list]).into_iter().cloned());
        match page.text_at(&["Marker"]) {
            // A marker given back again would page for ever.
            Some(m)
                if page.text_at(&["IsTruncated"]).as_deref() == Some("true")
                    && marker.as_ref() != Some(&m) =>
            {
                marker = Some(m)
            }
            _ => return Ok(items),
        }
    }
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

/// `Tags` members (`Key`, `Value`) as a map.
fn tag_map(members: &[Element]) -> BTreeMap<String, String> {
    members
        .iter()
        .filter_map(|t| {
            Some((
                t.text_at(&["Key"])?,
                t.text_at(&["Value"]).unwrap_or_default(),
            ))
        })
        .collect()
}

fn is_default_version(version: &Element) -> bool {
    version.text_at(&["IsDefaultVersion"]).as_deref() == Some("true")
}

// ----------------------------------------------------------------- iam-role

pub(crate) struct Role;

impl Role {
    async fn inline_policies(c: &Clients, role: &str) -> Result<Vec<String>, ProviderError> {
        let doing = format!("listing the inline policies of role {role}");
        let names = iam_list(
            c,
            "ListRolePolicies",
            Params::new().set("RoleName", role),
            "PolicyNames",
            &doing,
        )
        .await?;
        Ok(names.into_iter().map(|n| n.text).collect())
    }

    async fn attached(c: &Clients, role: &str) -> Result<Vec<String>, ProviderError> {
        let doing = format!("listing the policies attached to role {role}");
        let attached = iam_list(
            c,
            "ListAttachedRolePolicies",
            Params::new().set("RoleName", role),
            "AttachedPolicies",
            &doing,
        )
        .await?;
        Ok(attached
            .iter()
            .filter_map(|p| p.text_at(&["PolicyArn"]))
            .collect())
    }

    async fn observe(
        c: &Clients,
        name: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading role {name}");
        let Some(out) = iam(c, "GetRole", Params::new().set("RoleName", name))
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let Some(role) = out.child("Role") else {
            return Ok(None);
        };
        let field = |name: &str| role.text_at(&[name]);
        let mut inline = BTreeMap::new();
        let known_inline = attr(known, "inline-policies");
        for policy_name in Role::inline_policies(c, name).await? {
            let got = iam(
                c,
                "GetRolePolicy",
                Params::new()
                    .set("RoleName", name)
                    .set("PolicyName", &policy_name),
            )
            .await
            .aws(&doing)?;
            let prior = attr(known_inline, &policy_name);
            inline.insert(
                policy_name.clone(),
                policy::observed(prior, got.text_at(&["PolicyDocument"]).as_deref()),
            );
        }
        let tags = tag_map(
            &iam_list(
                c,
                "ListRoleTags",
                Params::new().set("RoleName", name),
                "Tags",
                &doing,
            )
            .await?,
        );
        let role_name = field("RoleName").unwrap_or_else(|| name.to_string());
        let mut o = Object::new();
        o.insert("name".into(), Value::string(&role_name));
        o.insert("id".into(), Value::string(&role_name));
        o.insert(
            "path".into(),
            Value::string(field("Path").unwrap_or_else(|| "/".into())),
        );
        o.insert("arn".into(), str_value(field("Arn")));
        o.insert("unique-id".into(), str_value(field("RoleId")));
        o.insert(
            "description".into(),
            str_value(field("Description").filter(|d| !d.is_empty())),
        );
        o.insert(
            "max-session-duration".into(),
            Value::int(
                field("MaxSessionDuration")
                    .and_then(|d| d.parse::<i64>().ok())
                    .unwrap_or(3600),
            ),
        );
        o.insert(
            "assume-role-policy".into(),
            policy::observed(
                attr(known, "assume-role-policy"),
                field("AssumeRolePolicyDocument").as_deref(),
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
        let result = iam(
            c,
            "CreateRole",
            Params::new()
                .set("RoleName", name)
                .set(
                    "Path",
                    opt_str(planned, "path")?.unwrap_or_else(|| "/".into()),
                )
                .set("AssumeRolePolicyDocument", trust)
                .opt("Description", opt_str(planned, "description")?)
                .opt(
                    "MaxSessionDuration",
                    opt_i32(planned, "max-session-duration")?.map(|d| d.to_string()),
                )
                .tags("Tags", tags),
        )
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
            iam(
                c,
                "PutRolePolicy",
                Params::new()
                    .set("RoleName", name)
                    .set("PolicyName", policy_name)
                    .set("PolicyDocument", text),
            )
            .await
            .aws_on(
                &format!("setting inline policy {policy_name} of role {name}"),
                "inline-policies",
            )?;
        }
        for policy_name in old.keys().filter(|k| !new.contains_key(*k)) {
            iam(
                c,
                "DeleteRolePolicy",
                Params::new()
                    .set("RoleName", name)
                    .set("PolicyName", policy_name),
            )
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
            iam(
                c,
                "AttachRolePolicy",
                Params::new().set("RoleName", name).set("PolicyArn", *arn),
            )
            .await
            .aws_on(
                &format!("attaching {arn} to role {name}"),
                "managed-policy-arns",
            )?;
        }
        for arn in old.difference(&new) {
            iam(
                c,
                "DetachRolePolicy",
                Params::new().set("RoleName", name).set("PolicyArn", *arn),
            )
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
            iam(
                c,
                "UpdateAssumeRolePolicy",
                Params::new()
                    .set("RoleName", &name)
                    .set("PolicyDocument", trust),
            )
            .await
            .aws_on(
                &format!("changing the trust policy of role {name}"),
                "assume-role-policy",
            )?;
        }
        if attr(prior, "description") != attr(planned, "description")
            || attr(prior, "max-session-duration") != attr(planned, "max-session-duration")
        {
            iam(
                c,
                "UpdateRole",
                Params::new()
                    .set("RoleName", &name)
                    .set(
                        "Description",
                        opt_str(planned, "description")?.unwrap_or_default(),
                    )
                    .opt(
                        "MaxSessionDuration",
                        opt_i32(planned, "max-session-duration")?.map(|d| d.to_string()),
                    ),
            )
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
            iam(
                c,
                "UntagRole",
                Params::new()
                    .set("RoleName", &name)
                    .list("TagKeys", removed),
            )
            .await
            .aws_on(&format!("untagging role {name}"), "tags")?;
        }
        if !set.is_empty() {
            iam(
                c,
                "TagRole",
                Params::new().set("RoleName", &name).tags("Tags", &set),
            )
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
            iam(
                c,
                "DeleteRolePolicy",
                Params::new()
                    .set("RoleName", &name)
                    .set("PolicyName", &policy_name),
            )
            .await
            .aws_opt(&doing)?;
        }
        for arn in Role::attached(c, &name).await? {
            iam(
                c,
                "DetachRolePolicy",
                Params::new().set("RoleName", &name).set("PolicyArn", &arn),
            )
            .await
            .aws_opt(&doing)?;
        }
        if let Some(profiles) = iam(
            c,
            "ListInstanceProfilesForRole",
            Params::new().set("RoleName", &name),
        )
        .await
        .aws_opt(&doing)?
        {
            for profile in profiles.members(&["InstanceProfiles"]) {
                let Some(profile_name) = profile.text_at(&["InstanceProfileName"]) else {
                    continue;
                };
                iam(
                    c,
                    "RemoveRoleFromInstanceProfile",
                    Params::new()
                        .set("InstanceProfileName", profile_name)
                        .set("RoleName", &name),
                )
                .await
                .aws_opt(&doing)?;
            }
        }
        iam(c, "DeleteRole", Params::new().set("RoleName", &name))
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
        let result = iam(
            c,
            "CreatePolicy",
            Params::new()
                .set("PolicyName", name)
                .set(
                    "Path",
                    opt_str(planned, "path")?.unwrap_or_else(|| "/".into()),
                )
                .set("PolicyDocument", document)
                .opt("Description", opt_str(planned, "description")?)
                .tags("Tags", &tags),
        )
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
        out.text_at(&["Policy", "Arn"])
            .filter(|a| !a.is_empty())
            .ok_or_else(|| crate::error::missing("policy ARN"))
    }

    async fn observe(
        c: &Clients,
        arn: &str,
        known: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let doing = format!("reading policy {arn}");
        let Some(out) = iam(c, "GetPolicy", Params::new().set("PolicyArn", arn))
            .await
            .aws_opt(&doing)?
        else {
            return Ok(None);
        };
        let Some(p) = out.child("Policy") else {
            return Ok(None);
        };
        let field = |name: &str| p.text_at(&[name]);
        let version = field("DefaultVersionId")
            .ok_or_else(|| crate::error::missing("default policy version"))?;
        let document = iam(
            c,
            "GetPolicyVersion",
            Params::new()
                .set("PolicyArn", arn)
                .set("VersionId", version),
        )
        .await
        .aws(&doing)?
        .text_at(&["PolicyVersion", "Document"]);
        let tags = tag_map(
            &iam_list(
                c,
                "ListPolicyTags",
                Params::new().set("PolicyArn", arn),
                "Tags",
                &doing,
            )
            .await?,
        );
        let mut o = Object::new();
        o.insert("arn".into(), Value::string(arn));
        o.insert("id".into(), Value::string(arn));
        o.insert("name".into(), str_value(field("PolicyName")));
        o.insert(
            "path".into(),
            Value::string(field("Path").unwrap_or_else(|| "/".into())),
        );
        o.insert(
            "description".into(),
            str_value(field("Description").filter(|d| !d.is_empty())),
        );
        o.insert("policy-id".into(), str_value(field("PolicyId")));
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
        let versions = iam_list(
            c,
            "ListPolicyVersions",
            Params::new().set("PolicyArn", arn),
            "Versions",
            &doing,
        )
        .await?;
        if versions.len() < 5 {
            return Ok(());
        }
        // Creation dates are ISO 8601 in one zone: they sort as text.
        let oldest = versions
            .iter()
            .filter(|v| !is_default_version(v))
            .min_by_key(|v| v.text_at(&["CreateDate"]).unwrap_or_default())
            .and_then(|v| v.text_at(&["VersionId"]));
        if let Some(oldest) = oldest {
            iam(
                c,
                "DeletePolicyVersion",
                Params::new()
                    .set("PolicyArn", arn)
                    .set("VersionId", &oldest),
            )
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
            iam(
                c,
                "CreatePolicyVersion",
                Params::new()
                    .set("PolicyArn", &arn)
                    .set("PolicyDocument", document)
                    .set("SetAsDefault", "true"),
            )
            .await
            .aws_on(&format!("changing policy {arn}"), "policy")?;
        }
        let (removed, set) = tag_diff(&string_map(prior, "tags")?, &string_map(planned, "tags")?);
        if !removed.is_empty() {
            iam(
                c,
                "UntagPolicy",
                Params::new()
                    .set("PolicyArn", &arn)
                    .list("TagKeys", removed),
            )
            .await
            .aws_on(&format!("untagging policy {arn}"), "tags")?;
        }
        if !set.is_empty() {
            iam(
                c,
                "TagPolicy",
                Params::new().set("PolicyArn", &arn).tags("Tags", &set),
            )
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
        let Some(versions) = iam(
            c,
            "ListPolicyVersions",
            Params::new().set("PolicyArn", &arn),
        )
        .await
        .aws_opt(&doing)?
        else {
            return Ok(());
        };
        for v in versions
            .members(&["Versions"])
            .into_iter()
            .filter(|v| !is_default_version(v))
        {
            if let Some(id) = v.text_at(&["VersionId"]) {
                iam(
                    c,
                    "DeletePolicyVersion",
                    Params::new().set("PolicyArn", &arn).set("VersionId", id),
                )
                .await
                .aws_opt(&doing)?;
            }
        }
        match iam(c, "DeletePolicy", Params::new().set("PolicyArn", &arn))
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
