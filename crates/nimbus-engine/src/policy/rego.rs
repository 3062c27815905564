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

    /// What a Rego finding that names no resource is about.
    pub(crate) const PLAN_WIDE: &str = "the plan";

    /// The Rego policy files of a configuration (`(policy-file ...)`), and for
    /// each file, in the order compiled, how its failures are enforced and
    /// where it was asked for.
    #[derive(Debug)]
    pub(crate) struct RegoSet {
        policies: nimbus_rego::RegoPolicies,
        files: Vec<(String, Enforcement, Span)>,
    }

    impl RegoSet {
        /// Compiles every `(policy-file ...)` of `config`; each file that is not
        /// valid Rego is an error at the form that asked for it.
        pub(crate) fn compile(config: &Config, errors: &mut Vec<Diagnostic>) -> Option<RegoSet> {
            let mut sources = Vec::new();
            let mut files = Vec::new();
            for module in &config.modules {
                for policy_file in &module.policy_files {
                    let level = policy_file.enforcement.unwrap_or(Enforcement::Mandatory);
                    for &id in &policy_file.files {
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
                        files.push((name, level, policy_file.pattern.span));
                    }
                }
            }
            if sources.is_empty() {
                return None;
            }
            match nimbus_rego::RegoPolicies::compile(&sources) {
                Ok(policies) => Some(RegoSet { policies, files }),
                Err(problems) => {
                    for problem in problems {
                        let at = match &problem {
                            nimbus_rego::RegoError::Compile { file, .. } => {
                                files.iter().find(|(name, ..)| name == file).map(|f| f.2)
                            }
                            _ => None,
                        };
                        let mut d = Diagnostic::error(problem.to_string());
                        if let Some(span) = at {
                            d = d.at(span);
                        }
                        errors.push(d);
                    }
                    None
                }
            }
        }

        /// The findings of the Rego policies over the plan's `document`, added
        /// to `findings`; a rule that fails to evaluate is an error.
        pub(crate) fn check<'r>(
            &self,
            document: serde_json::Value,
            changes: &[ResourceChange],
            blocks: &dyn Fn(&str) -> Option<&'r Resource>,
            overrides: &[PolicyOverride],
            findings: &mut Vec<Finding>,
            errors: &mut Vec<Diagnostic>,
        ) {
            match self.policies.evaluate(document) {
                Ok(found) => findings.extend(
                    found
                        .into_iter()
                        .filter_map(|f| finding(self, f, changes, blocks, overrides)),
                ),
                Err(e) => errors.push(Diagnostic::error(e.to_string())),
            }
        }
    }

    /// A Rego finding as the report carries it: at the change it names (by
    /// its Terraform address, as the document writes it), else about the plan
    /// as a whole. `warn` is advisory; `deny` and `violation` have their
    /// file's level (a disabled file finds nothing).
    fn finding<'r>(
        rego: &RegoSet,
        finding: nimbus_rego::RegoFinding,
        changes: &[ResourceChange],
        blocks: &dyn Fn(&str) -> Option<&'r Resource>,
        overrides: &[PolicyOverride],
    ) -> Option<Finding> {
        let (file, file_level, span) = rego.files.get(finding.file)?;
        let level = match finding.kind {
            nimbus_rego::Kind::Warn => Enforcement::Advisory,
            nimbus_rego::Kind::Deny => *file_level,
        };
        if level == Enforcement::Disabled {
            return None;
        }
        let change = finding.address.as_ref().and_then(|named| {
            changes.iter().find(|change| {
                change.address == *named
                    || crate::terraform_plan::terraform_address(change) == *named
            })
        });
        let kind = finding
            .rule
            .rsplit('.')
            .next()
            .unwrap_or("deny")
            .to_string();
        Some(Finding {
            overridden: overrides
                .iter()
                .find(|o| o.rule == finding.rule)
                .map(|o| o.reason.clone()),
            rule: finding.rule,
            kind,
            level,
            verdict: Verdict::Fail,
            address: change.map_or_else(|| PLAN_WIDE.to_string(), |c| c.address.clone()),
            resource_type: change.map_or_else(String::new, |c| c.resource_type.clone()),
            action: change.map_or(Action::NoOp, |c| c.action),
            provider_action: String::new(),
            why: format!("in {file} says: {}", finding.message),
            message: None,
            resource_span: change.and_then(|c| blocks(&c.address)).map(|b| b.span),
            rule_span: *span,
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

    pub(crate) const PLAN_WIDE: &str = "the plan";

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
