//! Data-driven engine tests: every `tests/cases/*.nim` is a sequence of
//! steps run in process against one project directory and state store,
//! and the transcript of what each step did is compared with its snapshot
//! (`tests/snapshots/`). Adding a case is adding a file.
//!
//! A case file is a description (comment lines at the top) followed by
//! steps, each introduced by a line `;; ---- COMMAND [ARGUMENTS]`:
//!
//! | step | what it does |
//! | --- | --- |
//! | `apply [FLAGS]` | plans and applies the section's configuration, auto-approved |
//! | `validate` | checks it (with unknown input values); nothing is read or written |
//! | `plan [FLAGS]` | plans it; nothing is written |
//! | `destroy [FLAGS]` | plans a destroy and carries it out |
//! | `plan-destroy [FLAGS]` | plans a destroy only |
//! | `save-plan [FLAGS] [--destroy]` | `plan -out`: the plan, written and read back, is kept |
//! | `apply-saved` | `apply PLANFILE` of the kept plan, with the section's configuration |
//! | `taint ADDRESS` | marks an object in state for replacement |
//! | `history KIND` | lists the addresses of the state's events of KIND (`resource.move`, ...), sorted |
//! | `file PATH` | writes the section's text to PATH (relative to the project) |
//! | `rm PATH` | deletes PATH, as a change made outside Nimbus |
//!
//! FLAGS: `--target ADDRESS`, `--exclude ADDRESS`, `--replace ADDRESS`
//! (each repeatable; arguments are separated by spaces, so an address
//! cannot hold one); `--override RULE REASON` (a policy override, REASON
//! one word); `--log`, which lists the provider calls the step
//! announced in state, in order (only meaningful where the order is fully
//! determined by dependencies, so such steps run one call at a time); and
//! for `apply`/`destroy`, `--interrupted`: interrupted (as by Ctrl-C) after
//! planning, before the first provider call.
//!
//! A `tests/cases/*.tf` case is the same in the Terraform language: its
//! steps are introduced by `# ---- COMMAND [ARGUMENTS]` and its sections
//! are `main.tf`.
//!
//! The text of a step's section is the whole configuration (`main.nim`)
//! from then on; a section with nothing but comments keeps the previous
//! one. A `terraform-data` whose `input` is `"explode"` fails to create or
//! update; one whose `input` is `"warn-me"` gets a provider warning.
//!
//! The transcript shows, per step, the planned changes (address, action,
//! changed attributes with before and after values; `(known after apply)`
//! and `(sensitive)` as a user sees them), the apply report, and then the
//! state: addresses (with the provider configuration, when an aliased one
//! serves), recorded outputs and the files the project holds.
//! Random values (ids, random bytes, and digests of content holding them)
//! are replaced by `<ATTRIBUTE#N>`, numbered in order of first appearance,
//! so that an unchanged id reads the same across steps and a replaced
//! object shows a new number; timestamps read `<timestamp>` (`<year>` ...
//! for their parts), and the project's temporary path `<project>`.
//!
//! Besides the snapshot, every step that must change nothing (plans,
//! refused saved plans, configurations that fail to load) is checked to
//! leave the state's head event, objects, outputs and the files as they
//! were.

mod support;

use nimbus_engine::{Action, ApplyReport, Plan, RunOptions, SavedPlan};
use nimbus_state::{ResourceRecord, ResourceStatus};
use nimbus_syntax::{Diagnostic, SourceMap};
use nimbus_value::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use support::Project;

#[test]
fn cases() {
    insta::glob!("cases/*.{nim,tf}", |path| {
        let text = std::fs::read_to_string(path).expect("a case file");
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let language = if name.ends_with(".tf") {
            Language::Hcl
        } else {
            Language::Nim
        };
        let transcript = run_case(&name, &text, language);
        insta::assert_snapshot!(transcript);
    });
}

/// The language of a case: its sections are `main.nim` (steps introduced
/// by `;; ----`) or, for a `.tf` case, `main.tf` (steps introduced by
/// `# ----`).
#[derive(Clone, Copy, PartialEq)]
enum Language {
    Nim,
    Hcl,
}

impl Language {
    fn step_marker(self) -> &'static str {
        match self {
            Language::Nim => ";; ----",
            Language::Hcl => "# ----",
        }
    }

    fn configuration_file(self) -> &'static str {
        match self {
            Language::Nim => "main.nim",
            Language::Hcl => "main.tf",
        }
    }

    fn is_comment(self, line: &str) -> bool {
        match self {
            Language::Nim => line.starts_with(';'),
            Language::Hcl => line.starts_with('#') || line.starts_with("//"),
        }
    }
}

/// One `;; ---- COMMAND ARGUMENTS` line and the text under it.
struct Step {
    header: String,
    command: String,
    args: Vec<String>,
    body: String,
}

fn parse_case(text: &str, language: Language) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.trim_start().strip_prefix(language.step_marker()) {
            let mut words = rest.split_whitespace().map(str::to_string);
            let command = words
                .next()
                .unwrap_or_else(|| panic!("a step line without a command: {line}"));
            steps.push(Step {
                header: rest.trim().to_string(),
                command,
                args: words.collect(),
                body: String::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            step.body.push_str(line);
            step.body.push('\n');
        }
    }
    assert!(!steps.is_empty(), "a case needs at least one step");
    steps
}

/// Whether a section holds a configuration, rather than only comments.
fn has_configuration(body: &str, language: Language) -> bool {
    body.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !language.is_comment(l)
    })
}

/// The flags of a planning step.
#[derive(Default)]
struct Flags {
    options: RunOptions,
    log: bool,
    destroy: bool,
    interrupted: bool,
}

fn parse_flags(args: &[String]) -> Flags {
    let mut flags = Flags::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| panic!("{flag} needs an address"))
                .clone()
        };
        match flag.as_str() {
            "--target" => flags.options.targets.push(value()),
            "--exclude" => flags.options.excludes.push(value()),
            "--replace" => flags.options.replace.push(value()),
            "--override" => {
                let rule = value();
                let reason = value();
                flags
                    .options
                    .overrides
                    .push(nimbus_engine::PolicyOverride { rule, reason });
            }
            "--log" => flags.log = true,
            "--destroy" => flags.destroy = true,
            "--interrupted" => flags.interrupted = true,
            other => panic!("unknown flag {other}"),
        }
    }
    if flags.log {
        flags.options.parallelism = 1;
    }
    flags
}

fn run_case(name: &str, text: &str, language: Language) -> String {
    let project = Project::new();
    let mut case = CaseRun {
        name: name.to_string(),
        language,
        redactor: Redactor::new(&project),
        project,
        runtime: support::runtime(),
        saved: None,
    };
    let mut transcript = String::new();
    for (number, step) in parse_case(text, language).iter().enumerate() {
        let mut out = String::new();
        let _ = writeln!(out, "## {}. {}", number + 1, step.header);
        case.run_step(step, &mut out);
        transcript.push_str(&case.redactor.redact(&out));
        transcript.push('\n');
    }
    transcript
}

/// One case's project and what its steps carry over.
struct CaseRun {
    name: String,
    language: Language,
    project: Project,
    runtime: tokio::runtime::Runtime,
    redactor: Redactor,
    /// The plan of the last `save-plan` step.
    saved: Option<SavedPlan>,
}

/// What a step may do to state and files.
#[derive(PartialEq)]
enum Effect {
    /// Writes or removes files as a user would: not checked.
    EditsFiles,
    /// Must leave state and files as they were.
    None,
    /// May change state: shown afterwards.
    State,
}

impl CaseRun {
    fn run_step(&mut self, step: &Step, out: &mut String) {
        let head_before = self.project.prior().head;
        let mut flags = Flags::default();
        let effect = match step.command.as_str() {
            "file" => {
                self.project.write(single_argument(step), &step.body);
                Effect::EditsFiles
            }
            "rm" => {
                self.project.remove(single_argument(step));
                Effect::EditsFiles
            }
            "history" => {
                let kind = single_argument(step);
                let _ = writeln!(out, "{kind} events:");
                // Sorted: objects changed in parallel record their events
                // in completion order.
                let mut events = self.project.events_of(kind);
                events.sort();
                for event in events {
                    let _ = writeln!(out, "  {event}");
                }
                Effect::EditsFiles
            }
            "taint" => {
                if let Err(errors) = self.project.taint(single_argument(step)) {
                    render_diagnostics(out, &errors, &SourceMap::new());
                }
                Effect::State
            }
            _ => {
                flags = parse_flags(&step.args);
                if has_configuration(&step.body, self.language) {
                    self.project
                        .write(self.language.configuration_file(), &step.body);
                }
                self.run_engine(step, &flags, out)
            }
        };
        if flags.log {
            out.push_str("calls:\n");
            for (action, address) in self.project.calls_since(head_before) {
                let _ = writeln!(out, "  {action} {address}");
            }
        }
        if effect == Effect::State {
            let resources = self.project.resources();
            self.redactor.learn(&resources);
            render_state(out, &self.project, &resources);
        }
    }

    /// Runs a step that loads the configuration and calls the engine.
    fn run_engine(&mut self, step: &Step, flags: &Flags, out: &mut String) -> Effect {
        let project = &self.project;
        // Plans, refused applies and failed loads leave everything alone.
        let before = project.snapshot();
        let (config, diagnostics) = project.load();
        let sources = &config.sources;
        render_diagnostics(out, &diagnostics, sources);
        let effect = if diagnostics.iter().any(Diagnostic::is_error) {
            Effect::None
        } else {
            match step.command.as_str() {
                "validate" => {
                    let found = self.runtime.block_on(project.validate(&config));
                    if found.is_empty() {
                        out.push_str("valid\n");
                    }
                    render_diagnostics(out, &found, sources);
                    Effect::None
                }
                "plan" | "plan-destroy" => {
                    let destroy = step.command == "plan-destroy";
                    let planned = project.plan(&config, &flags.options, destroy);
                    match self.runtime.block_on(planned) {
                        Ok(plan) => render_plan(out, &plan, sources),
                        Err(errors) => render_diagnostics(out, &errors, sources),
                    }
                    Effect::None
                }
                "save-plan" => {
                    let planned = project.save_plan(&config, &flags.options, flags.destroy);
                    match self.runtime.block_on(planned) {
                        Ok((shown, file)) => {
                            render_plan(out, &shown, sources);
                            self.saved = Some(file);
                        }
                        Err(errors) => render_diagnostics(out, &errors, sources),
                    }
                    Effect::None
                }
                "apply" | "destroy" => {
                    let destroy = step.command == "destroy";
                    let applied = if flags.interrupted {
                        self.runtime.block_on(project.apply_interrupted(
                            &config,
                            &flags.options,
                            destroy,
                        ))
                    } else {
                        self.runtime
                            .block_on(project.apply(&config, &flags.options, destroy))
                    };
                    match applied {
                        Ok(applied) => {
                            render_plan(out, &applied.plan, sources);
                            match &applied.report {
                                Some(report) => render_report(out, report, sources),
                                None => out.push_str("apply: nothing to do\n"),
                            }
                        }
                        Err(errors) => render_diagnostics(out, &errors, sources),
                    }
                    Effect::State
                }
                "apply-saved" => {
                    let saved = self.saved.as_ref().unwrap_or_else(|| {
                        panic!("{}: apply-saved needs a save-plan step first", self.name)
                    });
                    match self.runtime.block_on(project.apply_saved(&config, saved)) {
                        Ok(report) => {
                            render_report(out, &report, sources);
                            Effect::State
                        }
                        Err(errors) => {
                            out.push_str("refused:\n");
                            render_diagnostics(out, &errors, sources);
                            // Shown all the same: unchanged, as checked.
                            self.assert_unchanged(&before, step);
                            Effect::State
                        }
                    }
                }
                other => panic!("{}: unknown step `{other}`", self.name),
            }
        };
        if effect == Effect::None {
            self.assert_unchanged(&before, step);
        }
        effect
    }

    fn assert_unchanged(&self, before: &support::Snapshot, step: &Step) {
        let after = self.project.snapshot();
        assert!(
            after == *before,
            "{}: `{}` changed state or files:\nbefore: {before:#?}\nafter: {after:#?}",
            self.name,
            step.header
        );
    }
}

fn single_argument(step: &Step) -> &str {
    match step.args.as_slice() {
        [argument] => argument,
        _ => panic!("`{}` takes one argument", step.command),
    }
}

fn render_diagnostics(out: &mut String, diagnostics: &[Diagnostic], sources: &SourceMap) {
    // Diagnostics of concurrent work arrive in completion order.
    let mut lines: Vec<String> = diagnostics
        .iter()
        .map(|d| render_diagnostic(d, sources))
        .collect();
    lines.sort();
    lines.dedup();
    for line in lines {
        out.push_str(&line);
    }
}

fn render_diagnostic(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let severity = if diagnostic.is_error() {
        "error"
    } else {
        "warning"
    };
    let mut text = format!("{severity}: {}", diagnostic.message);
    if let Some(span) = diagnostic.span
        && let Some(file) = sources.get(span.file)
    {
        let (line, column) = file.line_col(span.start);
        let name = file
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let _ = write!(text, " [{name}:{line}:{column}]");
    }
    text.push('\n');
    for note in &diagnostic.notes {
        let _ = writeln!(text, "  {note}");
    }
    text
}

fn render_plan(out: &mut String, plan: &Plan, sources: &SourceMap) {
    render_diagnostics(out, &plan.warnings, sources);
    let summary = plan.summary();
    let counts: Vec<String> = [
        (summary.create, "create"),
        (summary.update, "update"),
        (summary.replace, "replace"),
        (summary.delete, "delete"),
        (summary.read, "read"),
        (summary.import, "import"),
        (summary.moved, "move"),
        (summary.forget, "forget"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let kind = if plan.destroy { "destroy plan" } else { "plan" };
    if counts.is_empty() {
        let _ = writeln!(out, "{kind}: no changes");
    } else {
        let _ = writeln!(out, "{kind}: {}", counts.join(", "));
    }
    for moved in plan.moved_objects() {
        let _ = writeln!(out, "  moved {} -> {}", moved.from, moved.to);
    }
    for import in &plan.imports {
        let _ = writeln!(out, "  import {} (id {:?})", import.address, import.id);
    }
    for change in plan.changes.iter().filter(|c| c.action.is_change()) {
        let mut notes = Vec::new();
        if change.create_before_destroy && change.action == Action::Replace {
            notes.push("create before destroy".to_string());
        }
        notes.extend(change.reason.clone());
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        let _ = writeln!(
            out,
            "  {} {}{notes}",
            change.action.symbol().trim(),
            change.address
        );
        if matches!(change.action, Action::Delete | Action::Forget) {
            continue;
        }
        for diff in change.diffs() {
            let shown = |v: &Option<Value>| match v {
                Some(_) if diff.sensitive => "(sensitive)".to_string(),
                Some(v) => show_attribute(&change.resource_type, &diff.name, v),
                None => "null".to_string(),
            };
            let forces = if diff.forces_replacement {
                " (forces replacement)"
            } else {
                ""
            };
            if matches!(change.action, Action::Create | Action::Read) {
                let _ = writeln!(out, "      {} = {}{forces}", diff.name, shown(&diff.after));
            } else {
                let _ = writeln!(
                    out,
                    "      {}: {} -> {}{forces}",
                    diff.name,
                    shown(&diff.before),
                    shown(&diff.after)
                );
            }
        }
    }
    let unchanged: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::NoOp)
        .map(|c| c.address.as_str())
        .collect();
    if !unchanged.is_empty() {
        let _ = writeln!(out, "  unchanged: {}", unchanged.join(", "));
    }
    if plan.stale_dependencies {
        out.push_str("  (records changed dependencies)\n");
    }
    for output in &plan.outputs {
        let after = output.after.clone().unmark().0;
        let before = output.before.clone().map(|b| b.unmark().0);
        if before.as_ref() == Some(&after) {
            continue;
        }
        let shown = |v: &Value| {
            if output.sensitive {
                "(sensitive)".to_string()
            } else {
                show(v)
            }
        };
        match &before {
            None => {
                let _ = writeln!(out, "  + output.{} = {}", output.name, shown(&after));
            }
            Some(before) => {
                let _ = writeln!(
                    out,
                    "  ~ output.{}: {} -> {}",
                    output.name,
                    shown(before),
                    shown(&after)
                );
            }
        }
    }
}

fn render_report(out: &mut String, report: &ApplyReport, sources: &SourceMap) {
    let verdict = if report.succeeded() {
        "complete"
    } else {
        "finished with errors"
    };
    let _ = writeln!(out, "apply: {verdict}");
    for (from, to) in &report.moved {
        let _ = writeln!(out, "  moved {from} -> {to}");
    }
    for address in &report.imported {
        let _ = writeln!(out, "  imported {address}");
    }
    let mut applied: Vec<&(String, Action)> = report.applied.iter().collect();
    applied.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    for (address, action) in applied {
        let _ = writeln!(out, "  {} {address}", action.verb());
    }
    let mut failed = report.failed.clone();
    failed.sort();
    for address in failed {
        let _ = writeln!(out, "  failed: {address}");
    }
    let mut skipped = report.skipped.clone();
    skipped.sort();
    for address in skipped {
        let _ = writeln!(out, "  skipped: {address}");
    }
    render_diagnostics(out, &report.diagnostics, sources);
}

fn render_state(out: &mut String, project: &Project, resources: &[ResourceRecord]) {
    out.push_str("state:\n");
    if resources.is_empty() {
        out.push_str("  (empty)\n");
    }
    for record in resources {
        let tainted = if record.status == ResourceStatus::Tainted {
            " (tainted)"
        } else {
            ""
        };
        // Which configuration serves it, when not a default one.
        let provider = if record.provider.contains('.') {
            format!(" (provider {})", record.provider)
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {}{tainted}{provider}", record.address);
    }
    let outputs = project.outputs();
    if !outputs.is_empty() {
        out.push_str("outputs:\n");
    }
    for output in outputs {
        let value = if output.sensitive {
            "(sensitive)".to_string()
        } else {
            show(&Value::from_json(&output.value))
        };
        let _ = writeln!(out, "  {} = {value}", output.name);
    }
    // Configuration files are the case's own text: only what runs wrote.
    let files: Vec<(String, Vec<u8>)> = project
        .files()
        .into_iter()
        .filter(|(path, _)| !path.ends_with(".nim") && !path.ends_with(".tf"))
        .collect();
    if !files.is_empty() {
        out.push_str("files:\n");
    }
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(&bytes);
        let _ = writeln!(out, "  {path} = {}", show(&Value::string(text)));
    }
}

/// A value as plans show it; strings quoted, secrets and unknowns named.
fn show(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let plain = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    let key = if plain {
                        k.clone()
                    } else {
                        serde_json::to_string(k).unwrap_or_default()
                    };
                    format!("{key} = {}", show(v))
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Unknown => "(known after apply)".to_string(),
        Value::Sensitive(_) => "(sensitive)".to_string(),
    }
}

/// An attribute's value; a random number (a timestamp's parts) is shown
/// by its name only, since no two runs agree on it.
fn show_attribute(resource_type: &str, name: &str, value: &Value) -> String {
    if matches!(value, Value::Number(_)) && random_attributes(resource_type).contains(&name) {
        return format!("<{name}>");
    }
    show(value)
}

/// Attributes whose values are chosen at random (or by the clock) when an
/// object is created.
fn random_attributes(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "terraform-data" | "null-resource" => &["id"],
        "random-id" => &["id", "hex", "dec", "b64-url", "b64-std"],
        "random-string" => &["id", "result"],
        "random-password" => &["result"],
        "time-static" => &[
            "id", "rfc3339", "year", "month", "day", "hour", "minute", "second", "unix",
        ],
        _ => &[],
    }
}

/// Digests of a file's content: random when the content holds a random
/// value.
const DIGEST_ATTRIBUTES: &[&str] = &["id", "content-sha256", "content-md5", "content-base64"];

/// Replaces random values, and the project's temporary path, by stable
/// names.
struct Redactor {
    /// Random text to its placeholder.
    placeholders: HashMap<String, String>,
    /// Project paths as they may appear in messages.
    paths: Vec<String>,
}

impl Redactor {
    fn new(project: &Project) -> Redactor {
        Redactor {
            placeholders: HashMap::new(),
            paths: vec![
                project.canonical_path().display().to_string(),
                project.path().display().to_string(),
            ],
        }
    }

    fn register(&mut self, name: &str, text: &str) {
        if text.is_empty() || self.placeholders.contains_key(text) {
            return;
        }
        let placeholder = format!("<{name}#{}>", self.placeholders.len() + 1);
        self.placeholders.insert(text.to_string(), placeholder);
    }

    /// A timestamp taken again within the same second is the same text:
    /// numbering timestamps would make the transcript depend on timing.
    fn register_timestamp(&mut self, text: &str) {
        if !text.is_empty() {
            self.placeholders
                .insert(text.to_string(), "<timestamp>".to_string());
        }
    }

    /// Learns the random values of the objects in state, in address order
    /// so that numbering does not depend on timing.
    fn learn(&mut self, records: &[ResourceRecord]) {
        for record in records {
            for name in random_attributes(&record.resource_type) {
                let Some(text) = record.attributes.get(*name).and_then(|v| v.as_str()) else {
                    continue;
                };
                if record.resource_type == "time-static" {
                    self.register_timestamp(text);
                } else {
                    self.register(name, text);
                }
            }
        }
        for record in records.iter().filter(|r| r.resource_type == "local-file") {
            let content = record
                .attributes
                .get("content")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if self.redact_values(content) == content {
                continue;
            }
            for name in DIGEST_ATTRIBUTES {
                if let Some(text) = record.attributes.get(*name).and_then(|v| v.as_str()) {
                    self.register(name, text);
                }
            }
        }
    }

    fn redact_values(&self, text: &str) -> String {
        // Longest first: one random value may contain another (a prefixed
        // `hex` holds the bare bytes' text).
        let mut known: Vec<(&String, &String)> = self.placeholders.iter().collect();
        known.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        let mut text = text.to_string();
        for (value, placeholder) in known {
            text = text.replace(value.as_str(), placeholder);
        }
        text
    }

    fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for path in &self.paths {
            text = text.replace(path.as_str(), "<project>");
        }
        self.redact_values(&redact_temporary_names(&text))
    }
}

/// Local files are written through a temporary file with a random name,
/// which a failure message may show: `.nimbus-XXXXXX.tmp`.
fn redact_temporary_names(text: &str) -> String {
    const PREFIX: &str = ".nimbus-";
    const SUFFIX: &str = ".tmp";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(PREFIX) {
        let after = &rest[start + PREFIX.len()..];
        let random_len = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        out.push_str(&rest[..start + PREFIX.len()]);
        if random_len > 0 && after[random_len..].starts_with(SUFFIX) {
            out.push_str("XXXXXX");
            rest = &after[random_len..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}
