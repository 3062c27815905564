//! Built-in rule sets, opted into with `(use-policies SET OPTION...)`:
//! each is data (a table of rules whose conditions are ordinary policy
//! conditions, read by the one reader) turned into a [`Policy`] like a
//! `define-policy`, so that the engine checks, reports, overrides and
//! excepts its rules as any other. A rule's id is `SET/RULE`; its spans
//! are the `use-policies` form's, so every report points at the opt-in.

use super::Parser;
use crate::model::{Enforcement, Name, Policy, PolicyRule};
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};

/// One rule of a built-in set.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRule {
    /// The rule's name within its set: its id is `SET/NAME`.
    pub name: &'static str,
    /// `deny` (of `action`, when `condition` holds) or `require-tags`.
    pub kind: &'static str,
    pub action: &'static str,
    /// A policy condition, in `.nim` syntax.
    pub condition: &'static str,
    pub level: Enforcement,
    /// What the rule checks, as reports say it ("the rule ...").
    pub summary: &'static str,
    /// How to fix a failure.
    pub message: &'static str,
}

/// A built-in rule set.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRuleSet {
    pub name: &'static str,
    pub rules: &'static [BuiltinRule],
    /// The rule that `(required-tags NAME...)` makes a `require-tags` of
    /// those names (over the same types as its condition's
    /// `resource-type`); without them it fails on an object without tags.
    pub tags_rule: Option<&'static str>,
}

/// The AWS types of Nimbus's provider that have `tags`, less `s3-object`
/// (an object is content, not infrastructure). A macro, so that
/// `concat!` can build conditions with it.
macro_rules! aws_taggable {
    () => {
        r#"(resource-type "api-gateway-rest-api" "dynamodb-table" "iam-policy" "iam-role" "lambda" "s3-bucket" "sns-topic" "sqs-queue")"#
    };
}
const AWS_TAGGABLE: &str = aws_taggable!();

/// Every built-in rule set.
pub const BUILTIN_RULE_SETS: &[BuiltinRuleSet] = &[BuiltinRuleSet {
    name: "aws-baseline",
    tags_rule: Some("tags-required"),
    rules: &[
        BuiltinRule {
            name: "tags-required",
            kind: "deny",
            action: "*",
            condition: concat!(
                "(and ",
                aws_taggable!(),
                r#" (!= action "delete") (= (length tags) 0))"#
            ),
            level: Enforcement::Mandatory,
            summary: "requires tags on AWS resources that take them",
            message: "add `(tags (KEY \"VALUE\") ...)` to the resource; `(required-tags NAME...)` in `use-policies` names the tags every resource must have",
        },
        BuiltinRule {
            name: "s3-encryption",
            kind: "deny",
            action: "*",
            condition: r#"(and (resource-type "s3-bucket") (!= action "delete") (= (attribute "encryption") null))"#,
            level: Enforcement::Mandatory,
            summary: "requires default encryption on S3 buckets",
            message: "set `(encryption \"aws:kms\")` (with `kms-key-id` for your own key) or `(encryption \"AES256\")` on the bucket: left unset, S3 chooses and the rule cannot be decided until the bucket exists",
        },
        BuiltinRule {
            name: "s3-versioning",
            kind: "deny",
            action: "*",
            condition: r#"(and (resource-type "s3-bucket") (!= action "delete") (!= (attribute "versioning") #t))"#,
            level: Enforcement::SoftMandatory,
            summary: "requires versioning on S3 buckets",
            message: "set `(versioning #t)` on the bucket, so that overwritten and deleted objects can be recovered",
        },
        BuiltinRule {
            name: "s3-public-policy",
            kind: "deny",
            action: "*",
            // The document is a JSON string or a map; `Statement` and
            // `Principal.AWS` are a list or a single value.
            condition: r#"(and (resource-type "s3-bucket-policy") (!= action "delete")
  (let ((written (attribute "policy"))
        (document (try (json-decode written) written)))
    (any (lambda (statement)
           (and (= (try (get statement "Effect") null) "Allow")
                (let ((principal (try (get statement "Principal") null)))
                  (or (= principal "*")
                      (contains (flatten (list (try (get principal "AWS") null))) "*")))))
         (flatten (list (try (get document "Statement") null))))))"#,
            level: Enforcement::Mandatory,
            summary: "denies S3 bucket policies that allow everyone (Principal \"*\")",
            message: "name the principals the bucket is for (account or role ARNs) instead of \"*\"; serve public content through CloudFront with an origin access control",
        },
        BuiltinRule {
            name: "s3-public-acl",
            kind: "deny",
            action: "*",
            condition: r#"(and (resource-type "s3-bucket") (!= action "delete")
  (contains (list "public-read" "public-read-write" "authenticated-read") (attribute "acl")))"#,
            level: Enforcement::Mandatory,
            summary: "denies S3 bucket ACLs that let everyone (or every AWS account) read or write",
            message: r#"set `(acl "private")` (the default) and grant access with a bucket policy naming who it is for"#,
        },
        BuiltinRule {
            name: "sqs-encryption",
            kind: "deny",
            action: "*",
            condition: r#"(and (resource-type "sqs-queue") (!= action "delete")
  (= (attribute "kms-master-key-id") null) (!= (attribute "sqs-managed-sse") #t))"#,
            level: Enforcement::Mandatory,
            summary: "requires server-side encryption on SQS queues",
            message: r#"leave `sqs-managed-sse` unset or #t (SQS's keys), or set `(kms-master-key-id "alias/aws/sqs")` (or your own key)"#,
        },
        BuiltinRule {
            name: "dynamodb-encryption",
            kind: "deny",
            action: "*",
            condition: r#"(and (resource-type "dynamodb-table") (!= action "delete") (!= (attribute "server-side-encryption") #t))"#,
            level: Enforcement::SoftMandatory,
            summary: "requires DynamoDB tables encrypted with a KMS key the account controls",
            message: "set `(server-side-encryption #t)` (with `kms-key-arn` for your own key): DynamoDB's default key is owned by AWS, so the account cannot audit or revoke its use",
        },
        BuiltinRule {
            name: "sns-encryption",
            kind: "deny",
            action: "*",
            condition: r#"(and (resource-type "sns-topic") (!= action "delete") (= (attribute "kms-master-key-id") null))"#,
            level: Enforcement::Mandatory,
            summary: "requires server-side encryption on SNS topics",
            message: "set `(kms-master-key-id \"alias/aws/sns\")` (or your own key) on the topic",
        },
    ],
}];

impl BuiltinRuleSet {
    pub fn find(name: &str) -> Option<&'static BuiltinRuleSet> {
        BUILTIN_RULE_SETS.iter().find(|s| s.name == name)
    }

    fn rule(&self, name: &str) -> Option<&'static BuiltinRule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// The settings of one `use-policies` form.
struct Choices {
    enforcement: Option<Enforcement>,
    required_tags: Vec<String>,
    /// `(rule "NAME" (enforcement LEVEL))`.
    levels: Vec<(String, Enforcement)>,
}

impl Parser<'_> {
    /// `(use-policies SET [(enforcement LEVEL)] [(required-tags NAME...)]
    /// [(rule "NAME" (enforcement LEVEL))]...)`.
    pub(super) fn use_policies(&mut self, span: Span, mut args: Vec<Node>) {
        let Some(name) = self.name_arg(span, &args, 0, "rule set name") else {
            return;
        };
        args.remove(0);
        let Some(set) = BuiltinRuleSet::find(&name.text) else {
            let d = Diagnostic::error(format!("no built-in rule set `{}`", name.text))
                .at(name.span)
                .with_suggestion(&name.text, BUILTIN_RULE_SETS.iter().map(|s| s.name))
                .with_note(format!(
                    "note: the built-in rule sets are {}",
                    BUILTIN_RULE_SETS
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            self.diagnostics.push(d);
            return;
        };
        if self
            .module
            .policies
            .iter()
            .any(|p| p.builtin && p.name.text == set.name)
        {
            self.error(
                span,
                format!("the rule set `{}` is used twice in this module", set.name),
            );
            return;
        }
        let choices = self.rule_set_choices(set, args);
        let rules = set
            .rules
            .iter()
            .filter_map(|rule| self.builtin_rule(set, rule, &choices, span))
            .collect();
        self.module.policies.push(Policy {
            name,
            rules,
            span,
            enforcement: choices.enforcement,
            builtin: true,
        });
    }

    fn rule_set_choices(&mut self, set: &BuiltinRuleSet, args: Vec<Node>) -> Choices {
        let mut choices = Choices {
            enforcement: None,
            required_tags: Vec::new(),
            levels: Vec::new(),
        };
        let what = format!("`use-policies {}`", set.name);
        for form in self.attribute_forms(args, &what) {
            match form.name.as_str() {
                "enforcement" => {
                    choices.enforcement = self.enforcement_level(form.span, &form.args)
                }
                "required-tags" if set.tags_rule.is_some() => {
                    let names: Option<Vec<String>> = form
                        .args
                        .iter()
                        .map(|a| a.as_str().map(str::to_string))
                        .collect();
                    match names {
                        Some(names) if !names.is_empty() => choices.required_tags = names,
                        _ => self.error(
                            form.span,
                            "`required-tags` takes one or more tag names as strings",
                        ),
                    }
                }
                "rule" => {
                    let (rule, level) = match form.args.as_slice() {
                        [rule, level] => (rule, level),
                        _ => {
                            self.error(form.span, "expected `(rule \"NAME\" (enforcement LEVEL))`");
                            continue;
                        }
                    };
                    let Some(rule_name) = rule.as_str() else {
                        self.error(rule.span, "expected the rule's name as a string");
                        continue;
                    };
                    if set.rule(rule_name).is_none() {
                        let names = set.rules.iter().map(|r| r.name);
                        let d = Diagnostic::error(format!(
                            "the rule set `{}` has no rule `{rule_name}`",
                            set.name
                        ))
                        .at(rule.span)
                        .with_suggestion(rule_name, names.clone())
                        .with_note(format!(
                            "note: its rules are {}",
                            names.collect::<Vec<_>>().join(", ")
                        ));
                        self.diagnostics.push(d);
                        continue;
                    }
                    let level = match level.as_list() {
                        Some([head, rest @ ..]) if head.as_symbol() == Some("enforcement") => {
                            self.enforcement_level(level.span, rest)
                        }
                        _ => {
                            self.error(level.span, "expected `(enforcement LEVEL)`");
                            None
                        }
                    };
                    if let Some(level) = level {
                        choices.levels.push((rule_name.to_string(), level));
                    }
                }
                other => {
                    let known: &[&str] = if set.tags_rule.is_some() {
                        &["enforcement", "required-tags", "rule"]
                    } else {
                        &["enforcement", "rule"]
                    };
                    let d = Diagnostic::error(format!("unknown setting `{other}` in {what}"))
                        .at(form.name.span)
                        .with_suggestion(other, known.iter().copied());
                    self.diagnostics.push(d);
                }
            }
        }
        choices
    }

    /// One rule of `set` as the configuration chose it: its level the
    /// rule's own choice, else the set's, else the rule's default.
    fn builtin_rule(
        &mut self,
        set: &BuiltinRuleSet,
        rule: &BuiltinRule,
        choices: &Choices,
        span: Span,
    ) -> Option<PolicyRule> {
        let level = choices
            .levels
            .iter()
            .rev()
            .find(|(name, _)| name == rule.name)
            .map(|(_, level)| *level)
            .or(choices.enforcement)
            .unwrap_or(rule.level);
        let requires_named_tags =
            set.tags_rule == Some(rule.name) && !choices.required_tags.is_empty();
        let (kind, action, condition, tags, summary) = if requires_named_tags {
            (
                "require-tags",
                None,
                AWS_TAGGABLE,
                choices.required_tags.clone(),
                format!(
                    "requires the tags {} on AWS resources that take them",
                    choices.required_tags.join(", ")
                ),
            )
        } else {
            (
                rule.kind,
                Some(rule.action.to_string()),
                rule.condition,
                Vec::new(),
                rule.summary.to_string(),
            )
        };
        let condition = self.builtin_condition(set, rule, condition, span)?;
        Some(PolicyRule {
            kind: Name {
                text: kind.to_string(),
                span,
            },
            args: Vec::new(),
            span,
            id: format!("{}/{}", set.name, rule.name),
            action,
            condition: Some(condition),
            tags,
            enforcement: Some(level),
            message: Some(rule.message.to_string()),
            summary: Some(summary),
        })
    }

    /// A built-in condition read by the one reader, every span moved to
    /// the `use-policies` form.
    fn builtin_condition(
        &mut self,
        set: &BuiltinRuleSet,
        rule: &BuiltinRule,
        text: &str,
        span: Span,
    ) -> Option<Node> {
        let mut parsed = nimbus_syntax::read(span.file, text);
        match (parsed.nodes.len(), parsed.has_errors()) {
            (1, false) => {
                let mut node = parsed.nodes.remove(0);
                move_spans(&mut node, span);
                Some(node)
            }
            // Only a change to the table above can get here; its tests
            // read every condition.
            _ => {
                self.error(
                    span,
                    format!(
                        "the built-in rule {}/{} does not read as one condition",
                        set.name, rule.name
                    ),
                );
                None
            }
        }
    }
}

fn move_spans(node: &mut Node, span: Span) {
    node.span = span;
    if let NodeKind::List(items) = &mut node.kind {
        for item in items {
            move_spans(item, span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_condition_reads_as_one_form_calling_known_functions() {
        for set in BUILTIN_RULE_SETS {
            for rule in set.rules {
                let parsed = nimbus_syntax::read(nimbus_syntax::FileId(0), rule.condition);
                assert!(
                    !parsed.has_errors(),
                    "{}: {:?}",
                    rule.name,
                    parsed.diagnostics
                );
                assert_eq!(parsed.nodes.len(), 1, "{}", rule.name);
                let mut diagnostics = Vec::new();
                super::super::check_calls(&parsed.nodes[0], &mut diagnostics);
                assert!(diagnostics.is_empty(), "{}: {diagnostics:?}", rule.name);
                assert!(["deny", "require-tags"].contains(&rule.kind));
            }
        }
        let tags = nimbus_syntax::read(nimbus_syntax::FileId(0), AWS_TAGGABLE);
        assert!(!tags.has_errors());
    }
}
