//! What policies add to a plan: 20 rules of every form checked against
//! the 10,000 resource changes of a planned configuration.
//!
//! `cargo bench -p nimbus-engine --bench policy` measures, with criterion,
//! `Engine::check_policies` on a plan of 10,000 creates: the rule checks
//! and the cost estimate `cost-exceeds` reads (the whole policy step of a
//! plan, apply or `policy check`). The plan itself is made once, outside
//! the measurement. The issue's budget is 100 ms. With `--features rego`,
//! the same with twenty Rego rules in a policy file instead: the plan's
//! JSON document made (the parts the rules read) and every rule evaluated
//! over it by regorus; and the document alone, under one cheap rule.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports on the terminal

mod support;

use criterion::{Criterion, criterion_group};
use nimbus_config::MemoryFiles;
use nimbus_engine::{Engine, PriorState, RunOptions};
use nimbus_eval::Inputs;
use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use support::BuiltinOnly;

/// The allocator of the `nimbus` binary, so that the figures are the
/// command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RESOURCES: usize = 10_000;

/// Twenty rules, each form at least once: `deny` and `warn` on a provider
/// action with a condition on an attribute, on the action or the type;
/// `require-tags`; `require-approval` on the cost. None fails on the
/// generated resources, so every rule reads every change.
const POLICIES: &str = r#"
(define-policy guard
  (deny "builtin:Delete" (when (= (attribute "input" "Environment") "Production")))
  (deny "builtin:Create" (when (= (attribute "input" "Environment") "Forbidden")))
  (deny "builtin:Update" (when (= (attribute "input" "team") "nobody")))
  (deny "*" (when (and (action-is "create") (= (attribute "input" "owner") "nobody"))))
  (deny "builtin:Create" (when (resource-type "null-resource")))
  (deny "builtin:Create" (when (= (attribute "input" "size") "huge")))
  (deny "builtin" (when (= (attribute "input" "region") "moon-1")))
  (warn "builtin:Create" (when (= (attribute "input" "team") "legacy")))
  (warn "builtin:Update" (when (action-is "update")))
  (warn "*" (when (= (attribute "input" "owner") "")))
  (require-approval (when (cost-exceeds 1000000))))
(define-policy tags
  (require-tags "Environment" "team")
  (deny "builtin:Create" (when (has-tag "Forbidden")))
  (warn "builtin:Create" (when (tag-equals "Environment" "Sandbox")))
  (deny "builtin:Create" (when (tag-equals "team" "blocked")))
  (warn "builtin:Delete" (when (has-tag "keep")))
  (deny "builtin:Replace" (when (has-tag "pinned")))
  (warn "*" (when (tag-equals "owner" "unknown")))
  (deny "builtin:Create" (when (= (attribute "input" "Environment") "Unknown")))
  (warn "builtin:Create" (when (= (attribute "input" "team") "tmp"))))
"#;

/// Twenty Rego rules in the style written for Terraform plans, none of
/// which fails: each reads every change of the document.
#[cfg(feature = "rego")]
fn rego_policies() -> String {
    let mut text = String::from("package bench\n\n");
    let conditions = [
        r#"rc.change.after.input.Environment == "Forbidden""#,
        r#""delete" in rc.change.actions; rc.change.before.input.Environment == "Production""#,
        r#"rc.change.after.input.team == "nobody""#,
        r#"rc.change.after.input.owner == "nobody""#,
        r#"rc.type == "null_resource""#,
        r#"rc.change.after.input.size == "huge""#,
        r#"startswith(rc.address, "aws_")"#,
        r#"count(rc.change.actions) > 2"#,
        r#"rc.change.after.input.team == "legacy""#,
        r#"rc.change.after.input.owner == "unknown""#,
    ];
    for (n, condition) in conditions.iter().enumerate() {
        for kind in ["deny", "warn"] {
            let _ = writeln!(
                text,
                "{kind} contains msg if {{\n  some rc in input.resource_changes\n  {condition}\n  msg := sprintf(\"rule {n}: %s\", [rc.address])\n}}\n"
            );
        }
    }
    text
}

fn generate(policies: bool) -> String {
    let mut text = String::with_capacity(RESOURCES * 160);
    if policies {
        text.push_str(POLICIES);
    }
    for i in 0..RESOURCES {
        let _ = writeln!(
            text,
            "(resource terraform-data \"d{i}\" (input (map (\"Environment\" \"Production\") (\"team\" \"core\") (\"owner\" \"o{}\") (\"size\" \"small\"))))",
            i % 50
        );
    }
    text
}

fn engine_and_plan(
    runtime: &tokio::runtime::Runtime,
    text: &str,
    rego: Option<&str>,
) -> (nimbus_config::Config, nimbus_engine::Plan) {
    let mut files = MemoryFiles::default().with("/bench/main.nim", text);
    if let Some(rego) = rego {
        files = files.with("/bench/policies/bench.rego", rego);
    }
    let (config, diagnostics) = nimbus_config::load(Path::new("/bench"), &files);
    assert!(
        diagnostics.is_empty(),
        "{:?}",
        &diagnostics[..diagnostics.len().min(3)]
    );
    let plan = {
        let engine = Engine::new(&config, &BuiltinOnly)
            .unwrap_or_else(|d| panic!("{:?}", &d[..d.len().min(3)]));
        let plan = runtime
            .block_on(engine.plan(
                "default",
                0,
                &Inputs::new(),
                &PriorState::new(),
                &[],
                &RunOptions::default(),
            ))
            .unwrap_or_else(|d| panic!("{:?}", &d[..d.len().min(3)]));
        runtime.block_on(engine.shutdown());
        plan
    };
    (config, plan)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (config, plan) = engine_and_plan(&runtime, &generate(true), None);
    assert_eq!(plan.changes.len(), RESOURCES);
    let engine =
        Engine::new(&config, &BuiltinOnly).unwrap_or_else(|d| panic!("{:?}", &d[..d.len().min(3)]));
    let report = engine
        .check_policies(&plan, &[], None)
        .expect("the policies check");
    assert_eq!(report.rules, 20);
    assert!(!report.blocked(), "{:?}", report.findings.first());

    let mut group = c.benchmark_group("policy");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("check_20_rules_10k_changes", |b| {
        b.iter(|| black_box(engine.check_policies(black_box(&plan), &[], None)))
    });

    #[cfg(feature = "rego")]
    bench_rego(&mut group, &runtime);
    group.finish();
}

#[cfg(feature = "rego")]
fn bench_rego(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &tokio::runtime::Runtime,
) {
    let text = format!("(policy-file \"policies/*.rego\")\n{}", generate(false));
    let (rego_config, rego_plan) = engine_and_plan(runtime, &text, Some(&rego_policies()));
    let rego_engine = Engine::new(&rego_config, &BuiltinOnly)
        .unwrap_or_else(|d| panic!("{:?}", &d[..d.len().min(3)]));
    let report = rego_engine
        .check_policies(&rego_plan, &[], None)
        .expect("the Rego policies check");
    assert!(report.findings.is_empty(), "{:?}", report.findings.first());
    group.bench_function("check_20_rego_rules_10k_changes", |b| {
        b.iter(|| black_box(rego_engine.check_policies(black_box(&rego_plan), &[], None)))
    });

    // The document alone: one rule that reads `resource_changes` once,
    // so nearly all of the time is making the document the rules read.
    let text = format!("(policy-file \"policies/*.rego\")\n{}", generate(false));
    let one_rule =
        "package bench\n\nwarn contains \"negative\" if { count(input.resource_changes) < 0 }\n";
    let (document_config, document_plan) = engine_and_plan(runtime, &text, Some(one_rule));
    let document_engine = Engine::new(&document_config, &BuiltinOnly)
        .unwrap_or_else(|d| panic!("{:?}", &d[..d.len().min(3)]));
    group.bench_function("rego_document_10k_changes", |b| {
        b.iter(|| black_box(document_engine.check_policies(black_box(&document_plan), &[], None)))
    });
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
