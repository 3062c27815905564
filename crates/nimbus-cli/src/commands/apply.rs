//! `plan`, `apply`, `destroy`, `refresh`, `drift`, `import`.

use crate::context::{CmdResult, Reported, Session};
use crate::output::ProgressSink;
use crate::render;
use crate::{CostArgs, POLICY_BLOCKED};
use nimbus_config::Config;
use nimbus_engine::backend::BackendSettings;
use nimbus_engine::cost::{CostModel, PriceTable, Usage};
use nimbus_engine::ops::{self, LockSettings, OpsError};
use nimbus_engine::saved::configuration_hash;
use nimbus_engine::{
    Action, ApplyReport, Engine, Plan, PlanFile, PolicyOverride, RunOptions, SavedPlan,
    SavedPlanError,
};
use nimbus_eval::Inputs;
use nimbus_syntax::SourceMap;
use serde_json::json;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

struct Prepared {
    config: Config,
    inputs: Inputs,
    sources: SourceMap,
}

fn prepare(session: &Session) -> CmdResult<Prepared> {
    overrides(session)?;
    let config = session.load_config()?;
    // State goes only to the backend `nimbus init` set up.
    if let Err(e) = BackendSettings::check_matches(
        &session.dir,
        config.root().backend.as_ref().map(|b| &b.kind),
    ) {
        session.out.error(&e.to_string());
        return Err(Reported);
    }
    let (inputs, sources) = session.inputs(&config)?;
    Ok(Prepared {
        config,
        inputs,
        sources,
    })
}

fn engine<'c>(session: &Session, prepared: &'c Prepared) -> CmdResult<Engine<'c>> {
    let mut engine = Engine::new(&prepared.config, &session.catalog()).map_err(|ds| {
        session.out.diagnostics(&prepared.sources, &ds);
        Reported
    })?;
    // Only policies read the estimate (`cost-exceeds`): a run without
    // them does not depend on the usage file.
    if !engine.policies.is_empty() {
        engine.cost = Arc::new(cost_model(session, None, None)?);
    }
    Ok(engine)
}

/// The usage assumptions read from the root module's directory when it
/// has them (policies' `cost-exceeds` and `nimbus cost` both use it).
pub const USAGE_FILE: &str = "nimbus-usage.json";

/// Prices (`--prices FILE`, else the shipped table) and usage
/// (`--usage FILE`, else the root's `nimbus-usage.json` when present).
fn cost_model(
    session: &Session,
    prices: Option<&Path>,
    usage: Option<&Path>,
) -> CmdResult<CostModel> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| {
            session
                .out
                .error(&format!("cannot read {}: {e}", path.display()));
            Reported
        })
    };
    let fail = |e: nimbus_engine::cost::CostError| {
        session.out.error(&e.to_string());
        Reported
    };
    let table = match prices {
        Some(path) => PriceTable::parse(&path.display().to_string(), &read(path)?).map_err(fail)?,
        None => PriceTable::shipped(),
    };
    let default = session.dir.join(USAGE_FILE);
    let usage_path = usage
        .map(Path::to_path_buf)
        .or_else(|| default.is_file().then_some(default));
    let usage = match usage_path {
        Some(path) => Usage::parse(&path.display().to_string(), &read(&path)?).map_err(fail)?,
        None => Usage::default(),
    };
    Ok(CostModel { table, usage })
}

/// `--override RULE ... --reason TEXT`: a reason is required, and given
/// only with an override.
fn overrides(session: &Session) -> CmdResult<Vec<PolicyOverride>> {
    let global = &session.global;
    let reason = global.reason.as_deref().map(str::trim).unwrap_or_default();
    match (global.overrides.is_empty(), reason.is_empty()) {
        (false, true) => {
            session
                .out
                .error("--override needs --reason TEXT: the reason is recorded with the override");
            Err(Reported)
        }
        (true, false) => {
            session
                .out
                .error("--reason is given with --override RULE, the policy rule it lets through");
            Err(Reported)
        }
        _ => Ok(global
            .overrides
            .iter()
            .map(|rule| PolicyOverride {
                rule: rule.clone(),
                reason: reason.to_string(),
            })
            .collect()),
    }
}

fn options(session: &Session, sink: Arc<ProgressSink>, cancel: Arc<AtomicBool>) -> RunOptions {
    RunOptions {
        // Checked by `prepare` first, so an error here cannot happen.
        overrides: overrides(session).unwrap_or_default(),
        parallelism: session.global.parallelism.max(1),
        refresh: session.global.refresh,
        targets: session.global.targets.clone(),
        excludes: session.global.excludes.clone(),
        replace: session.global.replace.clone(),
        events: sink,
        cancel,
        ..RunOptions::default()
    }
}

fn show_plan(session: &Session, sources: &SourceMap, plan: &Plan) {
    session.out.diagnostics(sources, &plan.warnings);
    if session.out.json {
        for moved in plan.moved_objects() {
            session.out.event(
                "planned_change",
                json!({ "address": moved.to, "action": "move", "previous_address": moved.from }),
            );
        }
        for import in &plan.imports {
            let id = if import.sensitive {
                json!("(sensitive)")
            } else {
                json!(import.id)
            };
            session.out.event(
                "planned_change",
                json!({ "address": import.address, "action": "import", "id": id }),
            );
        }
        for change in plan.changes.iter().filter(|c| c.action.is_change()) {
            let mut event = json!({
                "address": change.address,
                "action": change.action.verb(),
                "resource_type": change.resource_type,
                "reason": change.reason,
                "attributes": change.diffs().iter().map(|d| json!({
                    "name": d.name,
                    "before": d.before.as_ref().map(|v| masked_json(v, d.sensitive)),
                    "after": d.after.as_ref().map(|v| masked_json(v, d.sensitive)),
                    "forces_replacement": d.forces_replacement,
                })).collect::<Vec<_>>(),
            });
            if change.action == Action::Replace {
                event["create_before_destroy"] = json!(change.create_before_destroy);
            }
            session.out.event("planned_change", event);
        }
        let s = plan.summary();
        session.out.event(
            "plan_summary",
            json!({
                "create": s.create, "update": s.update, "replace": s.replace, "delete": s.delete, "read": s.read,
                "import": s.import, "move": s.moved, "forget": s.forget,
            }),
        );
    } else {
        session.out.text(&render::render_plan(&session.out, plan));
    }
}

/// JSON for a value in events: unknowns and secrets never leak.
fn masked_json(value: &nimbus_value::Value, sensitive: bool) -> serde_json::Value {
    if sensitive || value.is_sensitive() {
        json!("(sensitive)")
    } else if !value.is_wholly_known() {
        json!("(known after apply)")
    } else {
        value.to_json()
    }
}

/// Renders an error of a run: diagnostics with the configuration's
/// sources, anything else as one message.
fn report(session: &Session, sources: &SourceMap) -> impl Fn(OpsError) -> Reported {
    move |error| {
        match error {
            OpsError::Diagnostics(ds) => session.out.diagnostics(sources, &ds),
            OpsError::State { source, .. } | OpsError::Lock { source, .. }
                if source.is_damage() =>
            {
                session.out.error(&session.damage_message(&source))
            }
            other => session.out.error(&other.to_string()),
        }
        Reported
    }
}

/// After an interrupted plan (or drift, or policy check): what was read is incomplete, so
/// nothing is shown or saved. Says so and returns true when interrupted.
fn stopped_early(session: &Session) -> bool {
    if session.interrupted() {
        session
            .out
            .warning("stopped before the end: nothing is shown or saved");
    }
    session.interrupted()
}

/// Locks the workspace and recovers from an interrupted run, reporting
/// through the command's progress sink.
async fn begin_run<'e, 'c>(
    session: &Session,
    engine: &'e Engine<'c>,
    store: &'e nimbus_state::Store,
    workspace: &str,
    operation: &str,
    sink: &Arc<ProgressSink>,
) -> Result<ops::Run<'e, 'c>, OpsError> {
    let events: nimbus_engine::Events = sink.clone();
    // Before the lock is taken: from then on an interrupting signal ends
    // the command through its own path, which releases the lock.
    session.watch_interrupts();
    ops::Run::begin(
        engine,
        store,
        workspace,
        operation,
        lock_settings(session),
        &events,
    )
    .await
}

fn lock_settings(session: &Session) -> LockSettings {
    LockSettings {
        timeout: Duration::from_secs(session.global.lock_timeout),
        steal_stale: session.global.steal_stale_lock,
        stop_waiting: Some(nimbus_state::StopWaiting(session.watch_interrupts())),
    }
}

pub async fn plan(
    session: &Session,
    out: Option<&Path>,
    detailed_exitcode: bool,
    destroy: bool,
) -> CmdResult<u8> {
    let prepared = prepare(session)?;
    let engine = engine(session, &prepared)?;
    let store = session.store(false)?;
    let workspace = session.workspace(store.as_ref())?;
    let sink = Arc::new(ProgressSink::new(&session.out));
    let opts = options(session, sink.clone(), session.watch_interrupts());
    let planned = ops::plan(
        &engine,
        store.as_ref(),
        &workspace,
        &prepared.inputs,
        &opts,
        destroy,
    )
    .await;
    sink.finish();
    if stopped_early(session) {
        return Ok(1);
    }
    let plan = planned.map_err(report(session, &prepared.sources))?;
    show_plan(session, &prepared.sources, &plan);
    if plan.policy.blocked() {
        return Ok(POLICY_BLOCKED);
    }
    if let Some(path) = out {
        save_plan(session, path, &plan, &prepared)?;
    }
    Ok(if detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}

fn save_plan(session: &Session, path: &Path, plan: &Plan, prepared: &Prepared) -> CmdResult {
    let inputs = prepared
        .inputs
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    // The seal's key lives in the state store: writing a plan file makes
    // the store if there is none yet.
    let store = session.store(true)?.ok_or(Reported)?;
    let key = ops::plan_key(&store).map_err(|e| {
        session.out.error(&e.to_string());
        Reported
    })?;
    let directory = session.canonical_dir()?;
    let configuration = configuration_hash(&prepared.config.sources);
    let saved =
        SavedPlan::new(&directory, configuration.clone(), plan.clone(), inputs).sealed(&key);
    // Encrypted with the state's key when the state is, bound to it.
    let bytes = ops::plan_binding(
        &store,
        &directory,
        &plan.workspace,
        plan.state_sequence,
        configuration,
    )
    .and_then(|binding| ops::plan_file_bytes(&store, &saved, binding))
    .map_err(|e| {
        session.out.error(&e.to_string());
        Reported
    })?;
    let path = session.resolve(path);
    write_private_file(&path, &bytes).map_err(|e| {
        session
            .out
            .error(&format!("cannot save the plan to {}: {e}", path.display()));
        Reported
    })?;
    // A command that works from where the user is: with `-C DIR`, the
    // plan's path is read relative to DIR again.
    let command = match &session.global.dir {
        Some(dir) => format!(
            "nimbus -C {} apply {}",
            dir.display(),
            path.strip_prefix(&session.dir).unwrap_or(&path).display()
        ),
        None => format!("nimbus apply {}", path.display()),
    };
    session.line_or_json(
        &format!(
            "\nSaved the plan to {}. Apply it with: {command}",
            path.display()
        ),
        json!({ "plan_file": path.display().to_string() }),
    );
    Ok(())
}

/// Writes `bytes` to `path` atomically (a temporary file renamed over it)
/// and owner-only: plans and states can hold secrets.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The saved plan at `plan_file`, if any (refused when made for another
/// directory), and the configuration prepared with the plan's inputs.
fn prepare_with_plan(
    session: &Session,
    plan_file: Option<&Path>,
) -> CmdResult<(Option<SavedPlan>, Prepared)> {
    let file = plan_file.map(|p| load_plan(session, p)).transpose()?;
    let directory = session.canonical_dir()?;
    let wrong_directory = match &file {
        Some(PlanFile::Plain(saved)) => saved.check_directory(&directory).err(),
        Some(PlanFile::Encrypted(plan)) => {
            (plan.binding.directory != directory).then(|| SavedPlanError::WrongDirectory {
                made_in: plan.binding.directory.clone(),
                here: directory.clone(),
            })
        }
        None => None,
    };
    if let Some(e) = wrong_directory {
        session.out.error(&e.to_string());
        return Err(Reported);
    }
    let mut prepared = prepare(session)?;
    let saved = match file {
        None => None,
        Some(PlanFile::Plain(saved)) => Some(saved),
        Some(PlanFile::Encrypted(plan)) => {
            // Opened with the state's key, where the state, its serial and
            // the configuration are still those it was made for.
            let store = session.store(false)?.ok_or_else(|| {
                session.out.error(
                    "the plan is encrypted with the state's key, but there is no state here",
                );
                Reported
            })?;
            let workspace = session.workspace(Some(&store))?;
            let opened = ops::open_plan(
                &store,
                &plan,
                &directory,
                &workspace,
                configuration_hash(&prepared.config.sources),
            )
            .map_err(|e| {
                session.out.error(&e.to_string());
                Reported
            })?;
            Some(opened)
        }
    };
    if let Some(saved) = &saved {
        prepared.inputs = saved.inputs();
    }
    Ok((saved, prepared))
}

fn load_plan(session: &Session, path: &Path) -> CmdResult<PlanFile> {
    let path = session.resolve(path);
    let bytes = std::fs::read(&path).map_err(|e| {
        session
            .out
            .error(&format!("cannot read the plan {}: {e}", path.display()));
        Reported
    })?;
    PlanFile::from_bytes(&bytes).map_err(|e| {
        session.out.error(&format!("{}: {e}", path.display()));
        Reported
    })
}

pub(crate) fn approve(session: &Session, question: &str) -> CmdResult<bool> {
    approve_or(
        session,
        question,
        "rerun with --auto-approve to skip the question",
    )
}

/// [`approve`], saying `no_answer` when the input ends without an answer.
fn approve_or(session: &Session, question: &str, no_answer: &str) -> CmdResult<bool> {
    if session.out.json {
        // A prompt would break the one-JSON-object-per-line stream.
        session.out.error("approval needed, but --json cannot prompt: rerun with --auto-approve or apply a saved plan");
        return Err(Reported);
    }
    // As Terraform does, the answer is read from stdin even when it is not
    // a terminal: `echo yes | nimbus apply` approves; an empty input or
    // any other answer cancels.
    session.out.text(&format!(
        "\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    ));
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer);
    if !std::io::stdin().is_terminal() {
        // A piped answer is not echoed: end the prompt's line.
        session.out.line("");
    }
    match read {
        Ok(0) => {
            // Typically a CI job that forgot the flag: say what to do.
            session.out.error(&format!(
                "no answer: the input ended before one was given; {no_answer}"
            ));
            Ok(false)
        }
        Ok(_) => Ok(answer.trim() == "yes"),
        Err(e) => {
            session.out.error(&format!("cannot read the answer: {e}"));
            Ok(false)
        }
    }
}

pub async fn apply(
    session: &Session,
    plan_file: Option<&Path>,
    auto_approve: bool,
) -> CmdResult<u8> {
    let (saved, prepared) = prepare_with_plan(session, plan_file)?;
    let engine = engine(session, &prepared)?;
    let store = session.store(true)?.ok_or(Reported)?;
    let workspace = session.workspace(Some(&store))?;
    let cancel = session.watch_interrupts();
    let sink = Arc::new(ProgressSink::new(&session.out));
    let mut opts = options(session, sink.clone(), cancel);
    let operation = if saved.as_ref().is_some_and(|s| s.plan.destroy) {
        "destroy"
    } else {
        "apply"
    };
    let fail = report(session, &prepared.sources);
    let run = begin_run(session, &engine, &store, &workspace, operation, &sink)
        .await
        .map_err(&fail)?;
    let plan = match saved {
        Some(saved) => match run.check_saved_plan(&saved, &prepared.inputs, &opts).await {
            Ok(policy) => {
                session
                    .out
                    .diagnostics(&prepared.sources, &policy.diagnostics());
                if policy.blocked() {
                    run.abandon().await;
                    return Ok(POLICY_BLOCKED);
                }
                saved.plan
            }
            Err(e) => {
                run.abandon().await;
                return Err(fail(e));
            }
        },
        None => {
            let planned = run.plan(&prepared.inputs, &opts).await;
            sink.finish();
            if stopped_early(session) {
                run.abandon().await;
                return Ok(1);
            }
            let plan = match planned {
                Ok(plan) => plan,
                Err(e) => {
                    run.abandon().await;
                    return Err(fail(e));
                }
            };
            show_plan(session, &prepared.sources, &plan);
            // `require-approval` rules are what a person may let through
            // here; without one at the prompt (`--auto-approve`, `--json`,
            // no answer) they block like any soft-mandatory rule.
            let mut approved = false;
            if plan.policy.blocked() {
                let asked = match plan.policy.approvals_needed() {
                    Some(rules) if !auto_approve && !session.out.json => {
                        let question = format!(
                            "Policy {} requires approval for these changes. Do you approve them?",
                            rules.join(", ")
                        );
                        let no_answer = format!(
                            "the plan stays blocked: without a person to approve it, pass `--override {} --reason TEXT`",
                            rules[0]
                        );
                        approve_or(session, &question, &no_answer).map(|yes| yes.then_some(rules))
                    }
                    _ => Ok(None),
                };
                match asked {
                    Ok(Some(rules)) => {
                        // Recorded like any override, as the approval it is.
                        opts.overrides
                            .extend(rules.into_iter().map(|rule| PolicyOverride {
                                rule: rule.to_string(),
                                reason: "approved at the prompt".to_string(),
                            }));
                        approved = true;
                    }
                    Ok(None) => {
                        run.abandon().await;
                        return Ok(POLICY_BLOCKED);
                    }
                    Err(reported) => {
                        run.abandon().await;
                        return Err(reported);
                    }
                }
            }
            // Recording dependencies alone changes no object: no question.
            let proceed = if !plan.has_changes() {
                plan.stale_dependencies
            } else if auto_approve || approved {
                true
            } else {
                match approve(session, "Do you want to perform these actions?") {
                    Ok(true) => true,
                    Ok(false) => {
                        session.out.line("Apply cancelled.");
                        run.abandon().await;
                        return Ok(1);
                    }
                    Err(reported) => {
                        run.abandon().await;
                        return Err(reported);
                    }
                }
            };
            if !proceed {
                run.abandon().await;
                return Ok(0);
            }
            plan
        }
    };
    let run_id = run.run_id().to_string();
    let sink = Arc::new(ProgressSink::new(&session.out));
    let opts = RunOptions {
        events: sink.clone(),
        ..opts
    };
    let executed = run.execute(&plan, &prepared.inputs, &opts).await;
    sink.finish();
    let report = executed.map_err(&fail)?;
    let code = finish_report(session, &prepared.sources, &report, &run_id, plan.destroy)?;
    Ok(code)
}

/// Errors of a run shown one by one; a block of thousands failing alike
/// would otherwise bury the summary under thousands of snippets.
const REPORTED_ERRORS: usize = 20;

fn finish_report(
    session: &Session,
    sources: &SourceMap,
    report: &ApplyReport,
    run_id: &str,
    destroy: bool,
) -> CmdResult<u8> {
    let created = report.count(Action::Create);
    let updated = report.count(Action::Update);
    let replaced = report.count(Action::Replace);
    let deleted = report.count(Action::Delete);
    let forgotten = report.count(Action::Forget);
    let word = if destroy { "Destroy" } else { "Apply" };
    let verdict = if report.succeeded() {
        "complete"
    } else {
        "finished with errors"
    };
    let mut refactored = String::new();
    for (n, what) in [
        (report.imported.len(), "imported"),
        (report.moved.len(), "moved"),
        (forgotten, "forgotten"),
    ] {
        if n > 0 {
            refactored.push_str(&format!("{n} {what}, "));
        }
    }
    let headline = format!(
        "{word} {verdict}! Resources: {refactored}{created} created, {updated} updated, {replaced} replaced, {deleted} destroyed, {} failed, {} skipped.",
        report.failed.len(),
        report.skipped.len()
    );
    if session.out.json {
        session.out.diagnostics(sources, &report.diagnostics);
        // The engine lists a block once per instance that failed or was
        // skipped: each address appears once, with counts by block.
        session.out.event_with_message(
            "apply_summary",
            &headline,
            json!({
                "run_id": run_id,
                "created": created, "updated": updated, "replaced": replaced, "deleted": deleted,
                "imported": report.imported, "forgotten": forgotten,
                "moved": report.moved.iter().map(|(from, to)| json!({ "from": from, "to": to })).collect::<Vec<_>>(),
                "failed": render::distinct(&report.failed), "skipped": render::distinct(&report.skipped),
                "failed_blocks": render::block_counts_json(&report.failed),
                "skipped_blocks": render::block_counts_json(&report.skipped),
            }),
        );
        return Ok(report_exit_code(report));
    }
    let (shown, hidden) = report
        .diagnostics
        .split_at(report.diagnostics.len().min(REPORTED_ERRORS));
    session.out.diagnostics(sources, shown);
    if !hidden.is_empty() {
        session.out.warning(&format!(
            "{} more errors are not shown (the first {REPORTED_ERRORS} are above)",
            hidden.len()
        ));
    }
    session.out.line(&format!("\n{headline}"));
    if !report.failed.is_empty() {
        session.out.line(&format!(
            "Failed: {}",
            render::addresses_by_block(&report.failed)
        ));
    }
    if !report.skipped.is_empty() {
        session.out.line(&format!(
            "Skipped (a dependency failed or the run was interrupted): {}",
            render::addresses_by_block(&report.skipped)
        ));
    }
    if !destroy && !report.outputs.is_empty() {
        session.out.line("\nOutputs:\n");
        for (name, (value, sensitive)) in &report.outputs {
            session
                .out
                .line(&format!("{name} = {}", render::show(value, *sensitive)));
        }
    }
    Ok(report_exit_code(report))
}

/// 0 when everything was done; 3 when a policy rule stopped something
/// (checked again at apply); else 1.
fn report_exit_code(report: &ApplyReport) -> u8 {
    if report.succeeded() {
        0
    } else if report
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.code == Some(nimbus_syntax::Code::PolicyViolation))
    {
        POLICY_BLOCKED
    } else {
        1
    }
}

/// `policy check [PLANFILE]`: the policies' report on a plan made now
/// (nothing written) or saved; exits 3 when a rule blocks it.
pub async fn policy_check(
    session: &Session,
    plan_file: Option<&Path>,
    sarif: bool,
) -> CmdResult<u8> {
    let (saved, prepared) = prepare_with_plan(session, plan_file)?;
    let engine = engine(session, &prepared)?;
    let store = session.store(false)?;
    let workspace = session.workspace(store.as_ref())?;
    let sink = Arc::new(ProgressSink::new(&session.out));
    let opts = options(session, sink.clone(), session.watch_interrupts());
    let checked = ops::policy_check(
        &engine,
        store.as_ref(),
        &workspace,
        &prepared.inputs,
        &opts,
        saved.as_ref(),
    )
    .await;
    sink.finish();
    if stopped_early(session) {
        return Ok(1);
    }
    let (plan, report) = checked.map_err(report(session, &prepared.sources))?;
    session.out.diagnostics(
        &prepared.sources,
        &plan
            .warnings
            .iter()
            .filter(|d| d.code != Some(nimbus_syntax::Code::PolicyViolation))
            .cloned()
            .collect::<Vec<_>>(),
    );
    Ok(show_policy_report(
        session,
        &prepared.config,
        &report,
        sarif,
    ))
}

/// `policy check`'s report, as text or SARIF; its exit code (3 when a
/// rule blocks).
fn show_policy_report(
    session: &Session,
    config: &nimbus_config::Config,
    report: &nimbus_engine::PolicyReport,
    sarif: bool,
) -> u8 {
    if sarif {
        let log = render::policy_sarif(config, report);
        crate::output::write_stdout(&format!("{log:#}\n"));
    } else {
        render::policy_report(&session.out, config, report);
    }
    if report.blocked() { POLICY_BLOCKED } else { 0 }
}

/// `policy check --terraform-plan FILE`: this configuration's policies on
/// a plan Terraform made (its `show -json` document); exits 3 when a rule
/// blocks it.
pub fn policy_check_terraform(session: &Session, document: &Path, sarif: bool) -> CmdResult<u8> {
    let shown = document.display();
    let text = if document == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    } else {
        std::fs::read_to_string(session.resolve(document))
    };
    let text = text.map_err(|e| {
        session.out.error(&format!("cannot read {shown}: {e}"));
        Reported
    })?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        // The location is given once, in front.
        let what = e.to_string();
        let what = what.split(" at line ").next().unwrap_or_default();
        session.out.error(&format!(
            "{shown}:{}:{}: not JSON: {what}",
            e.line(),
            e.column()
        ));
        Reported
    })?;
    let prepared = prepare(session)?;
    let engine = engine(session, &prepared)?;
    let report = engine
        .check_terraform_plan(&json, &overrides(session)?)
        .map_err(|ds| {
            session.out.diagnostics(&prepared.sources, &ds);
            Reported
        })?;
    Ok(show_policy_report(
        session,
        &prepared.config,
        &report,
        sarif,
    ))
}

/// `nimbus show PLANFILE`: a saved plan as `plan` showed it, or with
/// `--json` (`document`) in Terraform's JSON plan representation, alone on
/// stdout. The plan must be sealed for this state (when there is one) and
/// made from the configuration here, which the JSON form describes
/// beside it.
pub fn show(session: &Session, plan_file: &Path, document: bool) -> CmdResult<u8> {
    let (saved, prepared) = prepare_with_plan(session, Some(plan_file))?;
    let Some(saved) = saved else {
        return Err(Reported);
    };
    let store = session.store(false)?;
    ops::check_shown_plan(
        store.as_ref(),
        &saved,
        &configuration_hash(&prepared.config.sources),
    )
    .map_err(report(session, &prepared.sources))?;
    if document {
        let document = ops::terraform_plan_json(&prepared.config, &saved);
        crate::output::write_stdout(&format!("{document}\n"));
    } else {
        session
            .out
            .text(&render::render_plan(&session.out, &saved.plan));
    }
    Ok(0)
}

/// `nimbus cost [PLANFILE]`: the monthly estimate of a plan, made now or
/// saved with `plan -out FILE`.
pub async fn cost(session: &Session, args: &CostArgs, diff: bool) -> CmdResult<u8> {
    let (saved, prepared) = prepare_with_plan(session, args.plan_file.as_deref())?;
    let model = cost_model(session, args.prices.as_deref(), args.usage.as_deref())?;
    let mut engine = engine(session, &prepared)?;
    engine.cost = Arc::new(model);
    let store = session.store(false)?;
    let workspace = session.workspace(store.as_ref())?;
    let sink = Arc::new(ProgressSink::new(&session.out));
    let opts = options(session, sink.clone(), Arc::new(AtomicBool::new(false)));
    let checked = ops::policy_check(
        &engine,
        store.as_ref(),
        &workspace,
        &prepared.inputs,
        &opts,
        saved.as_ref(),
    )
    .await;
    sink.finish();
    let (plan, _) = checked.map_err(report(session, &prepared.sources))?;
    session.out.diagnostics(
        &prepared.sources,
        &plan
            .warnings
            .iter()
            .filter(|d| d.code != Some(nimbus_syntax::Code::PolicyViolation))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64);
    if let Some(warning) = engine.cost.table.staleness(today) {
        session.out.warning(&warning);
    }
    for address in engine.cost.usage.unmatched(&plan.changes) {
        session.out.warning(&format!(
            "the usage file gives usage for {address}, which the plan does not have"
        ));
    }
    if diff {
        render::cost_diff(&session.out, &engine.cost.diff(&plan.changes));
    } else {
        render::cost_estimate(&session.out, &engine.cost.estimate(&plan.changes));
    }
    Ok(0)
}

pub async fn destroy(session: &Session, auto_approve: bool) -> CmdResult<u8> {
    let prepared = prepare(session)?;
    let engine = engine(session, &prepared)?;
    if session.store(false)?.is_none() {
        engine.shutdown().await;
        session
            .out
            .line("Nothing to destroy: there is no state yet.");
        return Ok(0);
    }
    let store = session.store(true)?.ok_or(Reported)?;
    let workspace = session.workspace(Some(&store))?;
    let cancel = session.watch_interrupts();
    let sink = Arc::new(ProgressSink::new(&session.out));
    let opts = options(session, sink.clone(), cancel);
    let fail = report(session, &prepared.sources);
    let run = begin_run(session, &engine, &store, &workspace, "destroy", &sink)
        .await
        .map_err(&fail)?;
    let plan = match run.plan_destroy(&opts) {
        Ok(plan) => plan,
        Err(e) => {
            run.abandon().await;
            return Err(fail(e));
        }
    };
    show_plan(session, &prepared.sources, &plan);
    if plan.changes.is_empty() {
        run.abandon().await;
        return Ok(0);
    }
    if plan.policy.blocked() {
        run.abandon().await;
        return Ok(POLICY_BLOCKED);
    }
    if !auto_approve {
        match approve(session, "Do you really want to destroy these resources?") {
            Ok(true) => {}
            Ok(false) => {
                session.out.line("Destroy cancelled.");
                run.abandon().await;
                return Ok(1);
            }
            Err(reported) => {
                run.abandon().await;
                return Err(reported);
            }
        }
    }
    let run_id = run.run_id().to_string();
    let executed = run.execute(&plan, &prepared.inputs, &opts).await;
    sink.finish();
    let report = executed.map_err(&fail)?;
    let code = finish_report(session, &prepared.sources, &report, &run_id, true)?;
    Ok(code)
}

pub async fn refresh(session: &Session) -> CmdResult<u8> {
    let prepared = prepare(session)?;
    let engine = engine(session, &prepared)?;
    let store = session.store(true)?.ok_or(Reported)?;
    let workspace = session.workspace(Some(&store))?;
    let sink = Arc::new(ProgressSink::new(&session.out));
    let opts = options(session, sink.clone(), session.watch_interrupts());
    let fail = report(session, &prepared.sources);
    let run = begin_run(session, &engine, &store, &workspace, "refresh", &sink)
        .await
        .map_err(&fail)?;
    let refreshed = run.prior.resources.len();
    let drifts = run.refresh(&prepared.inputs, &opts).await;
    sink.finish();
    let drifts = drifts.map_err(&fail)?;
    session.line_or_json(
        &format!(
            "Refreshed {}; {} changed outside Nimbus.",
            render::resources(refreshed),
            drifts.len()
        ),
        json!({ "refreshed": refreshed, "changed": drifts.len() }),
    );
    Ok(0)
}

pub async fn drift(session: &Session, remediate: bool, auto_approve: bool) -> CmdResult<u8> {
    let prepared = prepare(session)?;
    let engine_ = engine(session, &prepared)?;
    let store = session.store(false)?;
    let workspace = session.workspace(store.as_ref())?;
    let sink = Arc::new(ProgressSink::new(&session.out));
    let mut opts = options(session, sink.clone(), session.watch_interrupts());
    if !session.out.json {
        // `drift` prints each drifted object itself, with its attributes.
        opts.events = Arc::new(nimbus_engine::NoEvents);
    }
    let found = ops::drift(
        &engine_,
        store.as_ref(),
        &workspace,
        &prepared.inputs,
        &opts,
    )
    .await;
    sink.finish();
    if stopped_early(session) {
        return Ok(1);
    }
    let (_, drifts) = found.map_err(report(session, &prepared.sources))?;
    for d in &drifts {
        if session.out.json {
            let attributes: Vec<_> = d
                .changed_attributes
                .iter()
                .map(|name| {
                    let sensitive = nimbus_value::path::touches_attribute(&d.sensitive_attributes, name);
                    let recorded = d.recorded.get(name).cloned().unwrap_or_default();
                    let current = d.current.as_ref().and_then(|c| c.get(name)).cloned().unwrap_or_default();
                    json!({ "name": name, "recorded": masked_json(&recorded, sensitive), "current": masked_json(&current, sensitive) })
                })
                .collect();
            session.out.event(
                "drift",
                json!({ "address": d.address, "gone": d.current.is_none(), "attributes": attributes }),
            );
            continue;
        }
        match &d.current {
            None => session
                .out
                .line(&format!("{}: deleted outside Nimbus", d.address)),
            Some(current) => {
                session
                    .out
                    .line(&format!("{}: changed outside Nimbus", d.address));
                for name in &d.changed_attributes {
                    let sensitive =
                        nimbus_value::path::touches_attribute(&d.sensitive_attributes, name);
                    let recorded = d.recorded.get(name).cloned().unwrap_or_default();
                    let now = current.get(name).cloned().unwrap_or_default();
                    session.out.line(&format!(
                        "  ~ {name}: {} -> {}",
                        render::show(&recorded, sensitive),
                        render::show(&now, sensitive)
                    ));
                }
            }
        }
    }
    if drifts.is_empty() {
        session.line_or_json(
            "No drift: every resource matches the state.",
            json!({ "drifted": 0 }),
        );
        return Ok(0);
    }
    if !session.out.json {
        session
            .out
            .line(&format!("\n{} drifted.", render::resources(drifts.len())));
    }
    drop(engine_);
    drop(store);
    if remediate {
        session
            .out
            .line("\nPlanning the way back to the configuration:\n");
        return apply(session, None, auto_approve)
            .await
            .map(|code| if code == 0 { 0 } else { code });
    }
    Ok(2)
}

pub async fn import(session: &Session, address: &str, id: &str) -> CmdResult<u8> {
    let prepared = prepare(session)?;
    let engine = engine(session, &prepared)?;
    let store = session.store(true)?.ok_or(Reported)?;
    let workspace = session.workspace(Some(&store))?;
    let sink = Arc::new(ProgressSink::new(&session.out));
    let opts = options(session, sink.clone(), session.watch_interrupts());
    let fail = report(session, &prepared.sources);
    let run = begin_run(session, &engine, &store, &workspace, "import", &sink)
        .await
        .map_err(&fail)?;
    let imported = run.import(address, id, &prepared.inputs, &opts).await;
    sink.finish();
    let record = imported.map_err(&fail)?;
    session.line_or_json(
        &format!("Imported {} ({}) as {address}.", id, record.resource_type),
        json!({ "imported": address, "id": id }),
    );
    Ok(0)
}

/// `state import-terraform FILE`.
pub async fn import_terraform(session: &Session, file: &Path) -> CmdResult<u8> {
    let path = session.resolve(file);
    let bytes = std::fs::read(&path).map_err(|e| {
        session.out.error(&format!(
            "cannot read the Terraform state {}: {e}",
            path.display()
        ));
        Reported
    })?;
    let prepared = prepare(session)?;
    let engine = engine(session, &prepared)?;
    let store = session.store(true)?.ok_or(Reported)?;
    let workspace = session.workspace(Some(&store))?;
    let sink = Arc::new(ProgressSink::new(&session.out));
    let fail = report(session, &prepared.sources);
    let run = begin_run(
        session,
        &engine,
        &store,
        &workspace,
        "state import-terraform",
        &sink,
    )
    .await
    .map_err(&fail)?;
    let adopted = run.adopt_terraform(&bytes).await;
    sink.finish();
    let adopted = adopted.map_err(&fail)?;
    let skipped = if adopted.data_sources > 0 {
        format!(
            " ({} data source instances left out: they are read on every plan)",
            adopted.data_sources
        )
    } else {
        String::new()
    };
    session.line_or_json(
        &format!(
            "Adopted {} objects and {} outputs from {} into workspace `{workspace}`{skipped}. Run `nimbus plan` to check that nothing would change.",
            adopted.objects,
            adopted.outputs,
            path.display()
        ),
        json!({
            "adopted": adopted.objects,
            "outputs": adopted.outputs,
            "data_sources_left_out": adopted.data_sources,
            "workspace": workspace,
        }),
    );
    Ok(0)
}

/// `state export-terraform [FILE]`.
pub fn export_terraform(session: &Session, file: Option<&Path>) -> CmdResult<u8> {
    let prepared = prepare(session)?;
    let store = session.store(true)?.ok_or(Reported)?;
    let workspace = session.workspace(Some(&store))?;
    let state = ops::export_terraform(&prepared.config, &store, &workspace)
        .map_err(report(session, &prepared.sources))?;
    match file {
        None => crate::output::write_stdout(&String::from_utf8_lossy(&state)),
        Some(file) => {
            let path = session.resolve(file);
            write_private_file(&path, &state).map_err(|e| {
                session
                    .out
                    .error(&format!("cannot write {}: {e}", path.display()));
                Reported
            })?;
            session.line_or_json(
                &format!(
                    "Wrote workspace `{workspace}` as a Terraform state to {}.",
                    path.display()
                ),
                json!({ "terraform_state": path.display().to_string() }),
            );
        }
    }
    Ok(0)
}
