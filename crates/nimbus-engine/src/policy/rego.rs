//! Rego policy files (`(policy-file ...)`): compiled with the rules and
//! evaluated over the plan's JSON document by nimbus-rego, their findings
//! made the report's findings. Built without the `rego` feature, a
//! configuration that names a policy file is refused at the form.

use super::{Finding, PolicyOverride};
use crate::plan::ResourceChange;
use nimbus_config::{Config, Resource};
use nimbus_syntax::Diagnostic;

#[cfg(feature = "rego")]
pub(crate) use with::*;

#[cfg(feature = "rego")]
mod with {
    use super::*;
    use crate::plan::Action;
    use crate::policy::Verdict;
    use nimbus_config::Enforcement;
    use nimbus_syntax::Span;
    use std::collections::HashMap;

    /// What a Rego finding that names no resource is about.
    const PLAN_WIDE: &str = "the plan";

    /// The Rego policy files of a configuration: one compiled group per
    /// `(policy-file ...)` form, since a form's level applies to its files
    /// only (two forms may hold files of one package, such as conftest's
    /// `main`, at different levels).
    #[derive(Debug)]
    pub(crate) struct RegoSet {
        groups: Vec<Group>,
    }

    #[derive(Debug)]
    struct Group {
        policies: nimbus_rego::RegoPolicies,
        /// The files' names, in the order compiled.
        files: Vec<String>,
        level: Enforcement,
        /// The form's pattern: where its findings point without a resource.
        span: Span,
    }

    impl RegoSet {
        /// Compiles every `(policy-file ...)` of `config`; each file that
        /// is not valid Rego is an error at the form that asked for it. A
        /// file two forms match belongs to the first.
        pub(crate) fn compile(config: &Config, errors: &mut Vec<Diagnostic>) -> Option<RegoSet> {
            let mut groups = Vec::new();
            let mut taken = std::collections::HashSet::new();
            for module in &config.modules {
                for policy_file in &module.policy_files {
                    let (mut sources, mut files) = (Vec::new(), Vec::new());
                    for &id in &policy_file.files {
                        if !taken.insert(id) {
                            continue;
                        }
                        let file = config.sources.file(id);
                        let name = file
                            .path
                            .strip_prefix(&config.root_path)
                            .unwrap_or(&file.path)
                            .display()
                            .to_string();
                        sources.push(nimbus_rego::RegoFile {
                            name: name.clone(),
                            text: file.text.clone(),
                        });
                        files.push(name);
                    }
                    if sources.is_empty() {
                        continue;
                    }
                    let span = policy_file.pattern.span;
                    match nimbus_rego::RegoPolicies::compile(&sources) {
                        Ok(policies) => groups.push(Group {
                            policies,
                            files,
                            level: policy_file.enforcement.unwrap_or(Enforcement::Mandatory),
                            span,
                        }),
                        Err(problems) => errors.extend(
                            problems
                                .into_iter()
                                .map(|problem| Diagnostic::error(problem.to_string()).at(span)),
                        ),
                    }
                }
            }
            (!groups.is_empty()).then_some(RegoSet { groups })
        }

        /// Every rule a Rego finding can come from, with the level its
        /// findings have (`warn` advisory, the others their form's).
        pub(crate) fn rule_levels(&self) -> Vec<(String, Enforcement)> {
            let mut out = Vec::new();
            for group in &self.groups {
                for (id, kind) in group.policies.rule_ids() {
                    let level = match kind {
                        nimbus_rego::Kind::Warn => Enforcement::Advisory,
                        nimbus_rego::Kind::Deny => group.level,
                    };
                    out.push((id, level));
                }
            }
            out
        }

        /// The document's sections every group's policies read together;
        /// `None`: the whole document.
        pub(crate) fn sections(&self) -> Option<std::collections::BTreeSet<String>> {
            let mut all = std::collections::BTreeSet::new();
            for group in &self.groups {
                all.extend(group.policies.sections()?.iter().cloned());
            }
            Some(all)
        }

        /// The findings of the Rego policies over the plan's `document`,
        /// added to `findings`; a rule that fails to evaluate is an error.
        pub(crate) fn check<'r>(
            &self,
            document: serde_json::Value,
            changes: &[ResourceChange],
            blocks: &dyn Fn(&str) -> Option<&'r Resource>,
            overrides: &[PolicyOverride],
            findings: &mut Vec<Finding>,
            errors: &mut Vec<Diagnostic>,
        ) {
            // Changes by the addresses a finding may name them by (the
            // document's, Terraform's, and Nimbus's own), made once.
            let mut by_address: Option<HashMap<String, &ResourceChange>> = None;
            let document = nimbus_rego::Document::from(document);
            for group in &self.groups {
                let found = match group.policies.evaluate(&document) {
                    Ok(found) => found,
                    Err(e) => {
                        errors.push(Diagnostic::error(e.to_string()).at(group.span));
                        continue;
                    }
                };
                for f in found {
                    let change = f.address.as_ref().and_then(|named| {
                        let index = by_address.get_or_insert_with(|| {
                            let mut index = HashMap::with_capacity(changes.len() * 2);
                            for change in changes {
                                index.insert(
                                    crate::terraform_plan::terraform_address(change),
                                    change,
                                );
                                index.insert(change.address.clone(), change);
                            }
                            index
                        });
                        index.get(named).copied()
                    });
                    findings.extend(finding(group, f, change, blocks, overrides));
                }
            }
        }
    }

    /// A Rego finding as the report carries it: at the change it names (by
    /// its Terraform address, as the document writes it), else at the
    /// address it names though the plan has no such change, else about the
    /// plan as a whole. `warn` is advisory; `deny` and `violation` have
    /// their form's level (a disabled form finds nothing).
    fn finding<'r>(
        group: &Group,
        finding: nimbus_rego::RegoFinding,
        change: Option<&ResourceChange>,
        blocks: &dyn Fn(&str) -> Option<&'r Resource>,
        overrides: &[PolicyOverride],
    ) -> Option<Finding> {
        let file = group.files.get(finding.file)?;
        let level = match finding.kind {
            nimbus_rego::Kind::Warn => Enforcement::Advisory,
            nimbus_rego::Kind::Deny => group.level,
        };
        if level == Enforcement::Disabled {
            return None;
        }
        let kind = finding
            .rule
            .rsplit('.')
            .next()
            .unwrap_or("deny")
            .to_string();
        let address = match (change, &finding.address) {
            (Some(change), _) => change.address.clone(),
            (None, Some(named)) => named.clone(),
            (None, None) => PLAN_WIDE.to_string(),
        };
        Some(Finding {
            overridden: overrides
                .iter()
                .find(|o| o.rule == finding.rule)
                .map(|o| o.reason.clone()),
            rule: finding.rule,
            kind,
            level,
            verdict: Verdict::Fail,
            address,
            resource_type: change.map_or_else(String::new, |c| c.resource_type.clone()),
            action: change.map_or(Action::NoOp, |c| c.action),
            provider_action: String::new(),
            why: format!("in {file} says: {}", finding.message),
            message: None,
            resource_span: change.and_then(|c| blocks(&c.address)).map(|b| b.span),
            rule_span: group.span,
            exception: None,
        })
    }
}

#[cfg(not(feature = "rego"))]
pub(crate) use without::*;

/// A build without the interpreter: no policy file can be checked.
#[cfg(not(feature = "rego"))]
mod without {
    use super::*;

    /// Never made: without the interpreter there is nothing to hold.
    #[derive(Debug)]
    pub(crate) enum RegoSet {}

    impl RegoSet {
        pub(crate) fn compile(config: &Config, errors: &mut Vec<Diagnostic>) -> Option<RegoSet> {
            for module in &config.modules {
                for policy_file in &module.policy_files {
                    errors.push(
                        Diagnostic::error(
                            "this build of nimbus cannot check Rego policy files (built without its `rego` feature)",
                        )
                        .at(policy_file.span),
                    );
                }
            }
            None
        }

        pub(crate) fn sections(&self) -> Option<std::collections::BTreeSet<String>> {
            match *self {}
        }

        pub(crate) fn rule_levels(&self) -> Vec<(String, nimbus_config::Enforcement)> {
            match *self {}
        }

        pub(crate) fn check<'r>(
            &self,
            _: serde_json::Value,
            _: &[ResourceChange],
            _: &dyn Fn(&str) -> Option<&'r Resource>,
            _: &[PolicyOverride],
            _: &mut Vec<Finding>,
            _: &mut Vec<Diagnostic>,
        ) {
            match *self {}
        }
    }
}
