//! Policies against changes, without planning them: built-in rule sets
//! (`use-policies`) rule by rule, and `define-policy` rules in the
//! Terraform language. Every `tests/policy-sets/*.nim` case is a
//! configuration, then a line `;; ---- changes` and a JSON object `{"changes": [...], "overrides":
//! [[RULE, REASON]...]}` (changes as in `support/changes.rs`, `"<unknown>"`
//! for a value known only after apply). The snapshot is the policy report
//! on those changes, as the engine makes it for a plan: each finding with
//! its rule, level, result, location and message, and whether the plan is
//! blocked. A `*.tf` case is the same with its configuration in HCL
//! (`main.tf`) and the line `# ---- changes`. Adding a case is adding a
//! file.

#[path = "support/changes.rs"]
mod changes;

use nimbus_config::{MemoryFiles, Resource};
use nimbus_engine::plan::ResourceChange;
use nimbus_engine::{PolicyOverride, PolicySet, Verdict};
use std::fmt::Write as _;
use std::path::Path;

fn run_case(text: &str, hcl: bool) -> String {
    let (marker, file) = if hcl {
        ("# ---- changes", "/p/main.tf")
    } else {
        (";; ---- changes", "/p/main.nim")
    };
    let (configuration, changes) = text
        .split_once(marker)
        .unwrap_or_else(|| panic!("a case has a `{marker}` line"));
    let case: serde_json::Value = serde_json::from_str(changes).expect("the changes are JSON");
    let files = MemoryFiles::default().with(file, configuration);
    let (config, diagnostics) = nimbus_config::load(Path::new("/p"), &files);
    let mut out = String::new();
    for d in &diagnostics {
        let at = d.span.map(|s| config.location(s)).unwrap_or_default();
        let _ = writeln!(out, "load: {} [{at}]", d.message);
    }
    if diagnostics.iter().any(|d| d.is_error()) {
        return out;
    }
    let changes: Vec<ResourceChange> = case["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(changes::change)
        .collect();
    let overrides: Vec<PolicyOverride> = case
        .get("overrides")
        .and_then(|o| o.as_array())
        .map(|o| {
            o.iter()
                .map(|pair| PolicyOverride {
                    rule: pair[0].as_str().expect("a rule").to_string(),
                    reason: pair[1].as_str().expect("a reason").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let blocks = |address: &str| -> Option<&Resource> {
        let block = nimbus_engine::block_of(address);
        config
            .root()
            .resources
            .iter()
            .find(|r| format!("{}.{}", r.type_name.text, r.name.text) == block)
    };
    let set = PolicySet::new(&config);
    let report = match set.check_changes(&changes, &blocks, &overrides, 0, None) {
        Ok(report) => report,
        Err(errors) => {
            for d in errors {
                let at = d.span.map(|s| config.location(s)).unwrap_or_default();
                let _ = writeln!(out, "check error: {} [{at}]", d.message);
            }
            return out;
        }
    };
    let _ = writeln!(out, "rules checked: {}", report.rules);
    for f in &report.findings {
        let result = match (&f.exception, &f.overridden, f.verdict) {
            (Some(e), _, _) if !e.expired => "excepted",
            (None, Some(_), Verdict::Fail) => "overridden",
            (_, _, verdict) => verdict.as_str(),
        };
        let location = config.location(f.resource_span.unwrap_or(f.rule_span));
        let _ = writeln!(
            out,
            "{result} {} ({}{}) {} ({}, {}) [{location}]",
            f.rule,
            f.level.as_str(),
            if f.blocks() { ", blocks" } else { "" },
            f.address,
            f.action.verb(),
            f.provider_action,
        );
        let _ = writeln!(out, "  the rule {}", f.why);
        if let Some(message) = &f.message {
            let _ = writeln!(out, "  fix: {message}");
        }
    }
    let _ = writeln!(out, "blocked: {}", report.blocked());
    out
}

#[test]
fn policy_set_cases() {
    insta::glob!("policy-sets/*.{nim,tf}", |path| {
        let text = std::fs::read_to_string(path).expect("a case file");
        let hcl = path.extension().is_some_and(|e| e == "tf");
        insta::assert_snapshot!(run_case(&text, hcl));
    });
}
