//! Policies (`define-policy`) checked against every resource change of a
//! plan, in the engine's run: planning reports them ([`Plan::policy`]),
//! apply refuses a plan they block before any provider call, and rules a
//! plan could not decide (a value they read was unknown) are checked again
//! per instance at apply, with the values known then, before that
//! instance's provider call.
//!
//! A rule sees the change's action, address, resource type, before, after,
//! tags, the provider's name for the call ([`provider_actions`]) and the
//! plan's monthly cost estimate ([`crate::cost`], for `cost-exceeds`).
//! Reports hold no values: a rule, its level, the address and why.

mod rego;

use crate::plan::{Action, ResourceChange};
use nimbus_config::{Config, Enforcement, Module, PolicyException, PolicyRule, Resource};
use nimbus_eval::policy::Subject;
use nimbus_eval::{Context, ModuleIndex, Scope};
use nimbus_syntax::{Diagnostic, Span};
use nimbus_value::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// A rule's result on one change, when it is not a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Fail,
    /// A value the rule reads is unknown until apply.
    Undetermined,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Fail => "fail",
            Verdict::Undetermined => "undetermined",
        }
    }
}

/// One rule that failed, or could not be decided, on one change.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule's id (`POLICY.KIND` or `POLICY.KIND.N`).
    pub rule: String,
    /// Its kind: `deny`, `warn`, `require-approval`, `require-tags`.
    pub kind: String,
    pub level: Enforcement,
    pub verdict: Verdict,
    pub address: String,
    pub resource_type: String,
    pub action: Action,
    pub provider_action: String,
    /// What the rule says, from its source (or, for a built-in rule,
    /// its summary): never a value.
    pub why: String,
    /// The rule's `(message ...)`: how to fix a failure.
    pub message: Option<String>,
    /// The resource block, when the configuration still has it.
    pub resource_span: Option<Span>,
    pub rule_span: Span,
    /// `--override RULE --reason TEXT`: the reason.
    pub overridden: Option<String>,
    /// The resource's `(policy-exception ...)` for this rule.
    pub exception: Option<ExceptionState>,
}

/// A resource's exception from a rule, as a finding carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionState {
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: Option<String>,
    /// Past its expiry date: it no longer holds, and the failure blocks.
    pub expired: bool,
}

impl Finding {
    /// Whether this finding stops the run: a failed mandatory rule, or a
    /// failed soft-mandatory one not overridden.
    pub fn blocks(&self) -> bool {
        if let Some(exception) = &self.exception {
            // An exception holds until it expires; then the failure blocks
            // whatever the rule's level, so that it is looked at again.
            return self.verdict == Verdict::Fail && exception.expired;
        }
        self.verdict == Verdict::Fail
            && match self.level {
                Enforcement::Mandatory => true,
                Enforcement::SoftMandatory => self.overridden.is_none(),
                Enforcement::Advisory | Enforcement::Disabled => false,
            }
    }

    /// The finding as a diagnostic at the resource (else the rule).
    pub fn diagnostic(&self) -> Diagnostic {
        let what = match (self.verdict, self.level) {
            _ if self.exception.as_ref().is_some_and(|e| e.expired) => {
                "fails (its exception expired)"
            }
            _ if self.exception.is_some() => "is excepted",
            (Verdict::Undetermined, _) => "cannot be decided until apply",
            (Verdict::Fail, Enforcement::Advisory) => "warns",
            (Verdict::Fail, _) if self.overridden.is_some() => "is overridden",
            (Verdict::Fail, _) => "fails",
        };
        // A Rego finding names no provider call (and, when its rule names
        // no resource, no change).
        let call = if !self.provider_action.is_empty() {
            format!(" ({}, {})", self.action.verb(), self.provider_action)
        } else if !self.resource_type.is_empty() {
            format!(" ({})", self.action.verb())
        } else {
            String::new()
        };
        let message = format!(
            "policy {} ({}) {what}: {}{call}",
            self.rule,
            self.level.as_str(),
            self.address,
        );
        let mut d = if self.blocks() {
            Diagnostic::error(message)
        } else {
            Diagnostic::warning(message)
        };
        d.code = Some(nimbus_syntax::Code::PolicyViolation);
        d = d.at(self.resource_span.unwrap_or(self.rule_span));
        d = d.with_note(format!("note: the rule {}", self.why));
        if let Some(message) = &self.message {
            d = d.with_note(format!("help: {message}"));
        }
        if let Some(exception) = &self.exception {
            let until = match (&exception.expires, exception.expired) {
                (Some(date), true) => format!(" (expired on {date}: renew or remove it)"),
                (Some(date), false) => format!(" (until {date})"),
                (None, _) => String::new(),
            };
            d = d.with_note(format!("note: excepted: {}{until}", exception.reason));
        } else if let Some(reason) = &self.overridden {
            d = d.with_note(format!("note: overridden: {reason}"));
        } else if self.blocks() && self.level == Enforcement::SoftMandatory {
            d = d.with_note(format!(
                "help: to go ahead anyway, pass `--override {} --reason TEXT`",
                self.rule
            ));
        }
        d
    }
}

/// Every finding of a plan, in a stable order (address, then rule).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyReport {
    pub findings: Vec<Finding>,
    /// How many rules were checked (enabled rules of every policy).
    pub rules: usize,
    /// The plan's estimated monthly cost after its changes, in cents
    /// ([`crate::cost`]): what `cost-exceeds` compares with.
    pub monthly_cost_cents: i128,
}

impl PolicyReport {
    pub fn blocked(&self) -> bool {
        self.findings.iter().any(Finding::blocks)
    }

    /// When the plan is blocked only by `require-approval` rules that a
    /// person may approve (soft-mandatory, not excepted): their ids, in
    /// the report's order without repeats. `None` when anything else
    /// blocks, or nothing does.
    pub fn approvals_needed(&self) -> Option<Vec<&str>> {
        let blocking: Vec<&Finding> = self.findings.iter().filter(|f| f.blocks()).collect();
        let approvable = |f: &&Finding| {
            f.kind == "require-approval"
                && f.level == Enforcement::SoftMandatory
                && f.exception.is_none()
        };
        if blocking.is_empty() || !blocking.iter().all(approvable) {
            return None;
        }
        let mut rules: Vec<&str> = Vec::new();
        for f in blocking {
            if !rules.contains(&f.rule.as_str()) {
                rules.push(&f.rule);
            }
        }
        Some(rules)
    }

    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.findings.iter().map(Finding::diagnostic).collect()
    }
}

/// `--override RULE --reason TEXT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyOverride {
    pub rule: String,
    pub reason: String,
}

/// The provider's names for the calls a change makes: per resource type
/// and action, the AWS API action for the AWS types; `builtin:Create`,
/// `builtin:Update`, `builtin:Delete` for every other type. A replacement
/// makes both a delete and a create. Reads and forgets call no provider
/// action and are not checked.
pub fn provider_actions(resource_type: &str, action: Action) -> Vec<String> {
    let one = |verb: usize| -> String {
        match aws_actions(resource_type) {
            Some(names) => names[verb].to_string(),
            None => format!("builtin:{}", ["Create", "Update", "Delete"][verb]),
        }
    };
    match action {
        Action::Create => vec![one(0)],
        Action::Update => vec![one(1)],
        Action::Delete => vec![one(2)],
        Action::Replace => vec![one(2), one(0)],
        Action::NoOp | Action::Read | Action::Forget => Vec::new(),
    }
}

/// Create, update and delete of each AWS type (docs/language.md has the
/// same table): Nimbus's names (`s3-bucket`), and the Terraform AWS
/// provider's (`aws-s3-bucket`) for a plugin serving them.
fn aws_actions(resource_type: &str) -> Option<[&'static str; 3]> {
    let bare = resource_type.strip_prefix("aws-").unwrap_or(resource_type);
    Some(match bare {
        "s3-bucket" => [
            "s3:CreateBucket",
            "s3:PutBucketConfiguration",
            "s3:DeleteBucket",
        ],
        "s3-bucket-policy" => [
            "s3:PutBucketPolicy",
            "s3:PutBucketPolicy",
            "s3:DeleteBucketPolicy",
        ],
        "s3-object" => ["s3:PutObject", "s3:PutObject", "s3:DeleteObject"],
        "dynamodb-table" => [
            "dynamodb:CreateTable",
            "dynamodb:UpdateTable",
            "dynamodb:DeleteTable",
        ],
        "iam-role" => ["iam:CreateRole", "iam:UpdateRole", "iam:DeleteRole"],
        "iam-policy" => [
            "iam:CreatePolicy",
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
        ],
        "lambda" => [
            "lambda:CreateFunction",
            "lambda:UpdateFunctionConfiguration",
            "lambda:DeleteFunction",
        ],
        "lambda-permission" => [
            "lambda:AddPermission",
            "lambda:AddPermission",
            "lambda:RemovePermission",
        ],
        "sns-topic" => [
            "sns:CreateTopic",
            "sns:SetTopicAttributes",
            "sns:DeleteTopic",
        ],
        "sns-subscription" => [
            "sns:Subscribe",
            "sns:SetSubscriptionAttributes",
            "sns:Unsubscribe",
        ],
        "sqs-queue" => [
            "sqs:CreateQueue",
            "sqs:SetQueueAttributes",
            "sqs:DeleteQueue",
        ],
        "api-gateway-rest-api" => [
            "apigateway:CreateRestApi",
            "apigateway:UpdateRestApi",
            "apigateway:DeleteRestApi",
        ],
        "api-gateway-resource" => [
            "apigateway:CreateResource",
            "apigateway:UpdateResource",
            "apigateway:DeleteResource",
        ],
        "api-gateway-method" => [
            "apigateway:PutMethod",
            "apigateway:UpdateMethod",
            "apigateway:DeleteMethod",
        ],
        "api-gateway-integration" => [
            "apigateway:PutIntegration",
            "apigateway:UpdateIntegration",
            "apigateway:DeleteIntegration",
        ],
        "api-gateway-deployment" => [
            "apigateway:CreateDeployment",
            "apigateway:UpdateDeployment",
            "apigateway:DeleteDeployment",
        ],
        "api-gateway-stage" => [
            "apigateway:CreateStage",
            "apigateway:UpdateStage",
            "apigateway:DeleteStage",
        ],
        _ => return None,
    })
}

/// Whether a rule's action string names a provider action: `*`, the
/// action itself, or a prefix of it (`lambda:Update` names
/// `lambda:UpdateFunctionConfiguration`).
fn action_matches(pattern: &str, provider_action: &str) -> bool {
    pattern == "*" || provider_action.starts_with(pattern)
}

/// One enabled rule, with what reports say about it.
#[derive(Debug)]
struct Rule {
    rule: PolicyRule,
    level: Enforcement,
    why: String,
}

/// The configuration's policies, owned: built once per engine, shared by
/// the plan's check and the apply's jobs.
#[derive(Debug, Default)]
pub struct PolicySet {
    rules: Vec<Rule>,
    /// Every rule by id, disabled ones included, with its level: what an
    /// override may name.
    levels: HashMap<String, Enforcement>,
    /// The configuration's Rego policy files, compiled.
    rego: Option<rego::RegoSet>,
    /// `(policy-exception ...)`s naming no rule or with a bad date.
    exception_errors: Vec<Diagnostic>,
    /// Today, in days since 1970-01-01 (UTC): exceptions expire after
    /// their date.
    today: i64,
    /// What conditions are evaluated in: no variables, locals or
    /// resources; a condition reads the change.
    empty: Module,
    /// The change's bare names the conditions mention: only those are
    /// bound for each change.
    names: Vec<&'static str>,
}

impl PolicySet {
    pub fn new(config: &Config) -> PolicySet {
        let mut rules = Vec::new();
        let mut levels = HashMap::new();
        let mut exception_errors = Vec::new();
        for policy in config.modules.iter().flat_map(|m| &m.policies) {
            for rule in &policy.rules {
                // Rule ids are the configuration's, not a module's: two
                // modules' policies of one name would share reports,
                // overrides and exceptions.
                let level = rule.enforcement(policy);
                if levels.insert(rule.id.clone(), level).is_some() {
                    exception_errors.push(
                        Diagnostic::error(format!(
                            "policy rule {} is defined twice: policy names are shared by every module of the configuration",
                            rule.id
                        ))
                        .at(policy.name.span)
                        .with_note("help: rename one of the policies, or use a built-in set once, in the root module"),
                    );
                }
                if level == Enforcement::Disabled {
                    continue;
                }
                rules.push(Rule {
                    why: describe(rule, &config.sources),
                    rule: rule.clone(),
                    level,
                });
            }
        }
        let exceptions = config
            .modules
            .iter()
            .flat_map(|m| &m.resources)
            .flat_map(|r| &r.policy_exceptions);
        for exception in exceptions {
            if !levels.contains_key(&exception.rule.text) {
                let mut ids: Vec<&String> = levels.keys().collect();
                ids.sort();
                let mut d = Diagnostic::error(format!(
                    "no policy rule {} to make an exception from",
                    exception.rule.text
                ))
                .at(exception.rule.span);
                if !ids.is_empty() {
                    let list: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
                    d = d.with_note(format!("note: the rules are {}", list.join(", ")));
                }
                exception_errors.push(d);
            }
            if let Some(date) = &exception.expires
                && crate::cost::parse_date(&date.text).is_none()
            {
                exception_errors.push(
                    Diagnostic::error(format!(
                        "{:?} is not a date: write the expiry as \"YYYY-MM-DD\"",
                        date.text
                    ))
                    .at(date.span),
                );
            }
        }
        let today = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| (d.as_secs() / 86_400) as i64);
        let names = nimbus_eval::policy::mentioned_names(
            rules.iter().filter_map(|r| r.rule.condition.as_ref()),
        );
        let rego = rego::RegoSet::compile(config, &mut exception_errors);
        levels.extend(rego.iter().flat_map(rego::RegoSet::rule_levels));
        PolicySet {
            rules,
            levels,
            rego,
            exception_errors,
            today,
            empty: Module::default(),
            names,
        }
    }

    /// Whether there is nothing to check: no enabled rule, and no
    /// exception to report as wrong.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.exception_errors.is_empty() && self.rego.is_none()
    }

    /// The errors of the policies themselves, found when they were read:
    /// a Rego file that does not compile, an exception naming no rule or
    /// with a bad date. Every check reports them too.
    pub fn load_errors(&self) -> &[Diagnostic] {
        &self.exception_errors
    }

    /// The overrides that cannot be taken: one naming no rule (a typo
    /// would otherwise let the run go ahead blocked, or silently not
    /// override), or a mandatory rule (only soft-mandatory rules yield to
    /// an override; a mandatory one is changed in the configuration).
    pub fn check_overrides(&self, overrides: &[PolicyOverride]) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        for o in overrides {
            match self.levels.get(&o.rule) {
                None => {
                    let mut ids: Vec<&str> = self.levels.keys().map(String::as_str).collect();
                    ids.sort_unstable();
                    let mut d = Diagnostic::error(format!("no policy rule {} to override", o.rule))
                        .with_suggestion(&o.rule, ids.iter().copied());
                    if !ids.is_empty() && ids.len() <= 20 {
                        d = d.with_note(format!("note: the rules are {}", ids.join(", ")));
                    }
                    errors.push(d);
                }
                Some(Enforcement::Mandatory) => errors.push(
                    Diagnostic::error(format!(
                        "policy rule {} is mandatory: only soft-mandatory rules can be overridden",
                        o.rule
                    ))
                    .with_note("help: change the rule's level in the configuration, or except the resource with a policy exception"),
                ),
                Some(_) => {}
            }
        }
        errors
    }

    /// Whether Rego policies are to be evaluated: they read the plan's
    /// JSON document ([`crate::ops::terraform_plan_document`]).
    pub fn has_rego(&self) -> bool {
        self.rego.is_some()
    }

    /// The document's top-level sections the Rego policies read; `None`:
    /// all of them (or there are no Rego policies).
    pub fn rego_sections(&self) -> Option<std::collections::BTreeSet<String>> {
        self.rego.as_ref().and_then(rego::RegoSet::sections)
    }

    /// Checks every change of a plan; `document` is the plan's JSON
    /// document, which Rego policies read (needed when [`Self::has_rego`]).
    pub fn check_changes<'r>(
        &self,
        changes: &[ResourceChange],
        blocks: &dyn Fn(&str) -> Option<&'r Resource>,
        overrides: &[PolicyOverride],
        monthly_cost_cents: i128,
        document: Option<serde_json::Value>,
    ) -> Result<PolicyReport, Vec<Diagnostic>> {
        if !self.exception_errors.is_empty() {
            return Err(self.exception_errors.clone());
        }
        let wrong_overrides = self.check_overrides(overrides);
        if !wrong_overrides.is_empty() {
            return Err(wrong_overrides);
        }
        let mut report = PolicyReport {
            findings: Vec::new(),
            rules: self.rules.len(),
            monthly_cost_cents,
        };
        let mut errors = Vec::new();
        for change in changes {
            let block = blocks(&change.address);
            let span = block.map(|b| b.span);
            let exceptions = block.map_or(&[][..], |b| b.policy_exceptions.as_slice());
            self.check_change(
                self.rules.iter(),
                change,
                span,
                exceptions,
                overrides,
                monthly_cost_cents,
                &mut report.findings,
                &mut errors,
            );
        }
        if let (Some(rego), Some(document)) = (&self.rego, document) {
            rego.check(
                document,
                changes,
                blocks,
                overrides,
                &mut report.findings,
                &mut errors,
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        report.findings.sort_by(|a, b| {
            (a.address.as_str(), a.rule.as_str()).cmp(&(b.address.as_str(), b.rule.as_str()))
        });
        Ok(report)
    }

    /// Checks `rules` on one change: a finding for each that does not
    /// pass, an error for each whose condition cannot be evaluated. The
    /// change is bound once per provider call it makes, for all the rules
    /// (a rule fails on a change when it fails on one of its calls; the
    /// finding names that call).
    #[allow(clippy::too_many_arguments)] // one change and what its findings carry
    fn check_change<'r>(
        &self,
        rules: impl Iterator<Item = &'r Rule>,
        change: &ResourceChange,
        span: Option<Span>,
        exceptions: &[PolicyException],
        overrides: &[PolicyOverride],
        monthly_cost_cents: i128,
        findings: &mut Vec<Finding>,
        errors: &mut Vec<Diagnostic>,
    ) {
        let provider_actions = provider_actions(&change.resource_type, change.action);
        // A change's objects are kept unmarked beside the paths of their
        // secrets: a condition sees them marked, so that no error or
        // message it makes can quote a secret.
        fn marked<'v>(object: &'v Option<Value>, secrets: &[String]) -> Option<Cow<'v, Value>> {
            object.as_ref().map(|value| {
                if secrets.is_empty() {
                    Cow::Borrowed(value)
                } else {
                    Cow::Owned(value.clone().mark_paths(secrets))
                }
            })
        }
        let secrets = &change.sensitive_attributes;
        let (before, after) = (
            marked(&change.before, secrets),
            marked(&change.after, secrets),
        );
        let subjects: Vec<Subject<'_>> = provider_actions
            .iter()
            .map(|provider_action| Subject {
                action: change.action.verb(),
                address: &change.address,
                resource_type: &change.resource_type,
                provider_action,
                before: before.as_deref(),
                after: after.as_deref(),
                monthly_cost_cents,
            })
            .collect();
        let index = ModuleIndex::new(&self.empty);
        let scope = Scope::default();
        let mut contexts: Vec<Context<'_>> = subjects
            .iter()
            .map(|subject| {
                let mut ctx = Context::new(&index, &scope);
                nimbus_eval::policy::bind_names(&mut ctx, subject, &self.names);
                ctx
            })
            .collect();
        'rules: for rule in rules {
            let mut verdict: Option<Verdict> = None;
            let mut named = "";
            for (subject, ctx) in subjects.iter().zip(&mut contexts) {
                let found = match self.check_call(rule, subject, ctx) {
                    Ok(found) => found,
                    Err(d) => {
                        errors.push(d);
                        continue 'rules;
                    }
                };
                if found.is_some() && (verdict.is_none() || found < verdict) {
                    verdict = found;
                    named = subject.provider_action;
                }
            }
            let Some(verdict) = verdict else {
                continue;
            };
            findings.push(Finding {
                rule: rule.rule.id.clone(),
                kind: rule.rule.kind.text.clone(),
                level: rule.level,
                verdict,
                address: change.address.clone(),
                resource_type: change.resource_type.clone(),
                action: change.action,
                provider_action: named.to_string(),
                why: rule.why.clone(),
                message: rule.rule.message.clone(),
                resource_span: span,
                rule_span: rule.rule.span,
                overridden: overrides
                    .iter()
                    .find(|o| o.rule == rule.rule.id)
                    .map(|o| o.reason.clone()),
                exception: exceptions
                    .iter()
                    .find(|e| e.rule.text == rule.rule.id)
                    .map(|e| ExceptionState {
                        reason: e.reason.clone(),
                        expires: e.expires.as_ref().map(|d| d.text.clone()),
                        expired: e
                            .expires
                            .as_ref()
                            .and_then(|d| crate::cost::parse_date(&d.text))
                            .is_some_and(|day| day < self.today),
                    }),
            });
        }
    }

    /// One rule on one provider call of a change: `ctx` has the call's
    /// `subject` bound.
    fn check_call(
        &self,
        rule: &Rule,
        subject: &Subject<'_>,
        ctx: &mut Context<'_>,
    ) -> Result<Option<Verdict>, Diagnostic> {
        let rule_def = &rule.rule;
        if let Some(pattern) = &rule_def.action
            && !action_matches(pattern, subject.provider_action)
        {
            return Ok(None);
        }
        let holds = match &rule_def.condition {
            None => Some(true),
            Some(condition) => {
                // Each rule's condition has the step budget of an
                // evaluation of its own, though the context is shared.
                ctx.restart_step_budget();
                let value = ctx.eval(condition)?;
                if value.peel().is_unknown() {
                    None
                } else {
                    match value.to_bool_converted() {
                        Some(b) => Some(b),
                        None => {
                            return Err(Diagnostic::error(format!(
                                "the condition of policy rule {} must be true or false",
                                rule_def.id
                            ))
                            .at(condition.span));
                        }
                    }
                }
            }
        };
        let verdict = match (rule_def.kind.as_str(), holds) {
            (_, None) => Some(Verdict::Undetermined),
            (_, Some(false)) => None,
            ("require-tags", Some(true)) => missing_tags(subject, &rule_def.tags),
            (_, Some(true)) => Some(Verdict::Fail),
        };
        Ok(verdict)
    }
}

/// `require-tags` on a change that creates or updates an object with
/// `tags`: fails when one is missing. Deletions and untaggable types pass.
fn missing_tags(subject: &Subject<'_>, required: &[String]) -> Option<Verdict> {
    if subject.action == "delete" {
        return None;
    }
    let tags = subject.after?.get("tags")?;
    if tags.is_unknown() {
        return Some(Verdict::Undetermined);
    }
    let present = |name: &String| tags.get(name).is_some_and(|v| !v.is_null());
    let unknown = |name: &String| tags.get(name).is_some_and(Value::is_unknown);
    if required.iter().any(|n| !present(n)) {
        Some(Verdict::Fail)
    } else if required.iter().any(unknown) {
        Some(Verdict::Undetermined)
    } else {
        None
    }
}

/// What a rule says: its summary, else from its source text. A condition
/// is shown in the language it was written in: an HCL expression of a
/// `.tf` file as written (whitespace runs made one space), any other
/// printed as a `.nim` form.
fn describe(rule: &PolicyRule, sources: &nimbus_syntax::SourceMap) -> String {
    if let Some(summary) = &rule.summary {
        return summary.clone();
    }
    let condition = rule.condition.as_ref().map(|c| {
        // A `.tf.json` file's text is JSON-escaped: it is printed as a form.
        let written_in_hcl = sources
            .get(c.span.file)
            .is_some_and(|file| file.path.extension().is_some_and(|e| e == "tf"));
        if !written_in_hcl {
            nimbus_syntax::print_forms(std::slice::from_ref(c))
                .trim()
                .to_string()
        } else {
            sources
                .snippet(c.span)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }
    });
    let when = condition.map(|c| format!(" when {c}")).unwrap_or_default();
    match rule.kind.as_str() {
        "deny" => format!(
            "denies {}{when}",
            rule.action.as_deref().unwrap_or_default()
        ),
        "warn" => format!(
            "warns about {}{when}",
            rule.action.as_deref().unwrap_or_default()
        ),
        "require-approval" => format!("requires approval{when}"),
        _ => format!("requires the tags {}{when}", rule.tags.join(", ")),
    }
}

/// The apply's second look: the rules a plan could not decide, per
/// address, checked again on the instance's change with the values known
/// at apply, before its provider call.
#[derive(Debug)]
pub struct ApplyCheck {
    set: std::sync::Arc<PolicySet>,
    undetermined: HashMap<String, HashSet<String>>,
    /// The exceptions the plan's findings had, by address and rule.
    exceptions: HashMap<(String, String), ExceptionState>,
    overrides: Vec<PolicyOverride>,
    /// The plan's monthly estimate, which the apply does not change.
    monthly_cost_cents: i128,
}

impl ApplyCheck {
    pub fn new(
        set: std::sync::Arc<PolicySet>,
        report: &PolicyReport,
        overrides: &[PolicyOverride],
    ) -> Option<ApplyCheck> {
        let mut undetermined: HashMap<String, HashSet<String>> = HashMap::new();
        let mut exceptions = HashMap::new();
        for f in report
            .findings
            .iter()
            .filter(|f| f.verdict == Verdict::Undetermined)
        {
            undetermined
                .entry(f.address.clone())
                .or_default()
                .insert(f.rule.clone());
            if let Some(exception) = &f.exception {
                exceptions.insert((f.address.clone(), f.rule.clone()), exception.clone());
            }
        }
        (!undetermined.is_empty()).then(|| ApplyCheck {
            set,
            undetermined,
            exceptions,
            overrides: overrides.to_vec(),
            monthly_cost_cents: report.monthly_cost_cents,
        })
    }

    /// Checks the rules undetermined at plan on `change`: an error when
    /// one blocks (or still cannot be decided and would block), else the
    /// warnings to report.
    pub fn check(
        &self,
        change: &ResourceChange,
        span: Span,
    ) -> Result<Vec<Diagnostic>, Diagnostic> {
        let Some(rules) = self.undetermined.get(&change.address) else {
            return Ok(Vec::new());
        };
        let mut warnings = Vec::new();
        let (mut findings, mut errors) = (Vec::new(), Vec::new());
        self.set.check_change(
            self.set.rules.iter().filter(|r| rules.contains(&r.rule.id)),
            change,
            Some(span),
            &[],
            &self.overrides,
            self.monthly_cost_cents,
            &mut findings,
            &mut errors,
        );
        if let Some(error) = errors.into_iter().next() {
            return Err(error);
        }
        for mut finding in findings {
            finding.exception = self
                .exceptions
                .get(&(change.address.clone(), finding.rule.clone()))
                .cloned();
            let undecided = finding.verdict == Verdict::Undetermined;
            let blocking_level = match finding.level {
                _ if finding.exception.is_some() => {
                    finding.exception.as_ref().is_some_and(|e| e.expired)
                }
                Enforcement::Mandatory => true,
                Enforcement::SoftMandatory => finding.overridden.is_none(),
                _ => false,
            };
            if finding.blocks() || (undecided && blocking_level) {
                let mut d = finding.diagnostic();
                if undecided {
                    d = Diagnostic::error(format!(
                        "policy {} ({}) cannot be decided before {} is changed: it reads values known only after the provider call",
                        finding.rule,
                        finding.level.as_str(),
                        finding.address
                    ))
                    .at(span)
                    .with_note(format!("note: the rule {}", finding.why));
                }
                return Err(d);
            }
            warnings.push(finding.diagnostic());
        }
        Ok(warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_actions_follow_the_table() {
        assert_eq!(
            provider_actions("s3-bucket", Action::Delete),
            ["s3:DeleteBucket"]
        );
        assert_eq!(
            provider_actions("aws-s3-bucket", Action::Replace),
            ["s3:DeleteBucket", "s3:CreateBucket"]
        );
        assert_eq!(
            provider_actions("lambda", Action::Update),
            ["lambda:UpdateFunctionConfiguration"]
        );
        assert_eq!(
            provider_actions("null-resource", Action::Delete),
            ["builtin:Delete"]
        );
        assert!(provider_actions("s3-bucket", Action::Read).is_empty());
        assert!(provider_actions("s3-bucket", Action::Forget).is_empty());
        assert!(provider_actions("s3-bucket", Action::NoOp).is_empty());
    }

    #[test]
    fn action_strings_match_exactly_by_prefix_or_all() {
        assert!(action_matches("s3:DeleteBucket", "s3:DeleteBucket"));
        assert!(action_matches(
            "lambda:Update",
            "lambda:UpdateFunctionConfiguration"
        ));
        assert!(action_matches("*", "builtin:Create"));
        assert!(!action_matches("s3:DeleteBucket", "s3:DeleteObject"));
        assert!(!action_matches("s3:DeleteBucketPolicy", "s3:DeleteBucket"));
    }
}
