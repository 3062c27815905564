//! Everything the CLI prints goes through here: human text (colored on a
//! terminal), or with `--json` one versioned JSON object per line.
//!
//! Output is best effort. When the reader of stdout goes away
//! (`nimbus plan | head -1`), printing stops quietly and the command
//! carries on: an apply whose output pipe closed still finishes and
//! records every result in state. SIGPIPE stays ignored (Rust's default)
//! for the same reason: it would kill the process mid-apply.

use indicatif::{ProgressBar, ProgressStyle};
use nimbus_engine::{Action, Event, EventSink, block_of};
use nimbus_syntax::{Diagnostic, SourceMap, render};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::io::{ErrorKind, IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Version of the `--json` event format (documented in docs/json-events.md).
pub const JSON_VERSION: u32 = 1;

/// Set once a write to stdout failed with EPIPE: its reader is gone.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Set once the `version` event that opens every `--json` stream is out.
static JSON_STREAM_STARTED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout as is. After the reader of stdout has gone away
/// nothing more is written, and the caller is never told: losing the
/// output must not change what a command does.
pub fn write_stdout(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    // Flushed at once: a prompt has no newline, and a line held back in
    // the buffer would reach a pipe only at exit.
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = written
        && e.kind() == ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to stderr as is; a closed stderr is ignored (`eprint!`
/// would panic).
pub fn write_stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

/// The current time in RFC 3339 (UTC), as `@timestamp` of JSON events.
fn timestamp() -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[derive(Clone)]
pub struct Output {
    pub json: bool,
    pub color: bool,
    pub terminal: bool,
}

impl Output {
    pub fn new(json: bool, no_color: bool) -> Output {
        let terminal = std::io::stdout().is_terminal();
        let color = !json && !no_color && terminal && std::env::var_os("NO_COLOR").is_none();
        Output {
            json,
            color,
            terminal,
        }
    }

    /// With `--json`, writes the `version` event that opens the stream
    /// (once per process), as Terraform's machine-readable UI does.
    pub fn begin(&self) {
        if !self.json || JSON_STREAM_STARTED.swap(true, Ordering::SeqCst) {
            return;
        }
        let version = env!("CARGO_PKG_VERSION");
        self.write_event(
            "version",
            "info",
            &format!("Nimbus {version}"),
            json!({ "nimbus": version }),
        );
    }

    /// One JSON event line; its `@message` is derived from its fields.
    pub fn event(&self, kind: &str, fields: Json) {
        let message = describe(kind, &fields);
        self.event_with_message(kind, &message, fields);
    }

    /// One JSON event line with the human-readable `@message` given.
    pub fn event_with_message(&self, kind: &str, message: &str, fields: Json) {
        self.begin();
        let level = match (kind, fields.get("severity").and_then(Json::as_str)) {
            ("diagnostic", Some("error")) => "error",
            ("diagnostic", _) => "warn",
            _ => "info",
        };
        self.write_event(kind, level, message, fields);
    }

    /// Adds the fields every event carries: ours (`v`, `type`) and
    /// Terraform's (`@level`, `@message`, `@module`, `@timestamp`), so
    /// tools written for `terraform -json` can follow the stream.
    fn write_event(&self, kind: &str, level: &str, message: &str, mut fields: Json) {
        if let Json::Object(map) = &mut fields {
            map.insert("@level".into(), json!(level));
            map.insert("@message".into(), json!(message));
            map.insert("@module".into(), json!("nimbus.ui"));
            map.insert("@timestamp".into(), json!(timestamp()));
            map.insert("v".into(), json!(JSON_VERSION));
            map.insert("type".into(), json!(kind));
        }
        write_stdout(&format!("{fields}\n"));
    }

    /// A line of text for people (nothing with `--json`).
    pub fn line(&self, text: &str) {
        if !self.json {
            write_stdout(&format!("{text}\n"));
        }
    }

    /// Text for people, as is (nothing with `--json`).
    pub fn text(&self, text: &str) {
        if !self.json {
            write_stdout(text);
        }
    }

    pub fn error(&self, message: &str) {
        if self.json {
            self.event(
                "diagnostic",
                json!({ "severity": "error", "message": message }),
            );
        } else {
            let (red, bold, reset) = if self.color_stderr() {
                ("\x1b[31m", "\x1b[1m", "\x1b[0m")
            } else {
                ("", "", "")
            };
            write_stderr(&format!(
                "{bold}{red}error{reset}{bold}: {message}{reset}\n"
            ));
        }
    }

    pub fn warning(&self, message: &str) {
        if self.json {
            self.event(
                "diagnostic",
                json!({ "severity": "warning", "message": message }),
            );
        } else {
            write_stderr(&format!("warning: {message}\n"));
        }
    }

    fn color_stderr(&self) -> bool {
        !self.json && self.color && std::io::stderr().is_terminal()
    }

    pub fn diagnostics(&self, sources: &SourceMap, diagnostics: &[Diagnostic]) {
        if self.json {
            for d in diagnostics {
                let location = d.span.and_then(|s| {
                    sources.get(s.file).map(|f| {
                        let (line, column) = f.line_col(s.start);
                        json!({ "file": f.path.display().to_string(), "line": line, "column": column })
                    })
                });
                self.event(
                    "diagnostic",
                    json!({
                        "severity": if d.is_error() { "error" } else { "warning" },
                        "code": d.code.as_ref().map(|c| c.as_str()),
                        "message": d.message,
                        "location": location,
                        "notes": d.notes_in(sources),
                    }),
                );
            }
            return;
        }
        let color = self.color_stderr();
        let mut text = String::new();
        for d in diagnostics {
            text.push_str(&render(sources, d, color));
            text.push('\n');
        }
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        if errors > 1 {
            text.push_str(&format!("{errors} errors\n"));
        }
        write_stderr(&text);
    }

    pub fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// The `@message` of an event written without one: what the text output
/// would say, in one line.
fn describe(kind: &str, fields: &Json) -> String {
    let text = |name: &str| fields.get(name).and_then(Json::as_str).unwrap_or("");
    let number = |name: &str| fields.get(name).and_then(Json::as_u64).unwrap_or(0);
    match kind {
        "diagnostic" => {
            let prefix = if text("severity") == "error" {
                "Error"
            } else {
                "Warning"
            };
            format!("{prefix}: {}", text("message"))
        }
        "planned_change" => format!("{}: plan to {}", text("address"), text("action")),
        "plan_summary" => {
            let mut line = "Plan: ".to_string();
            if number("import") > 0 {
                line.push_str(&format!("{} to import, ", number("import")));
            }
            line.push_str(&format!(
                "{} to create, {} to update, {} to replace, {} to destroy",
                number("create"),
                number("update"),
                number("replace"),
                number("delete")
            ));
            for (field, what) in [("forget", "forget"), ("move", "move")] {
                if number(field) > 0 {
                    line.push_str(&format!(", {} to {what}", number(field)));
                }
            }
            line.push('.');
            line
        }
        "open_intent" => format!(
            "{}: an interrupted run ({}) left an open `{}`: {}",
            text("address"),
            text("run_id"),
            text("action"),
            text("resolution")
        ),
        "drift" if fields.get("gone") == Some(&json!(true)) => {
            format!("{}: deleted outside Nimbus", text("address"))
        }
        "drift" => format!("{}: changed outside Nimbus", text("address")),
        "output" => format!("Output {}", text("name")),
        "resource" => format!("# {}", text("address")),
        "history" => format!(
            "#{} {} {} {}",
            number("seq"),
            text("kind"),
            text("operation"),
            fields.get("address").and_then(Json::as_str).unwrap_or("-")
        ),
        "graph" => format!(
            "Dependency graph: {} resources, {} edges",
            fields
                .get("nodes")
                .and_then(Json::as_array)
                .map_or(0, Vec::len),
            fields
                .get("edges")
                .and_then(Json::as_array)
                .map_or(0, Vec::len)
        ),
        "apply_summary" => format!(
            "Resources: {} created, {} updated, {} replaced, {} destroyed",
            number("created"),
            number("updated"),
            number("replaced"),
            number("deleted")
        ),
        // A `result` or an event added later: its plain fields, in order.
        _ => match fields.as_object() {
            Some(map) => map
                .iter()
                .filter(|(_, v)| !v.is_array() && !v.is_object())
                .map(|(k, v)| match v.as_str() {
                    Some(s) => format!("{k}: {s}"),
                    None => format!("{k}: {v}"),
                })
                .collect::<Vec<_>>()
                .join(", "),
            None => fields.to_string(),
        },
    }
}

/// Instances of one block whose failure or skip is printed as its own
/// progress line; beyond that a block of thousands would print thousands
/// of identical lines, so the rest are only counted in the summary.
const LINES_PER_BLOCK: usize = 10;

/// Shows engine progress: a bar on a terminal, one line per event
/// otherwise, JSON with `--json`.
pub struct Progress {
    out: Output,
    bar: Option<ProgressBar>,
    /// Failure and skip lines printed so far, by block and kind.
    lines_by_block: HashMap<(String, &'static str), usize>,
    /// Operations under way: what, since when, and when they last said
    /// they are still going. At most `--parallelism` entries.
    in_flight: HashMap<String, (Action, Instant, Instant)>,
    finished: bool,
}

impl Progress {
    pub fn new(out: &Output) -> Progress {
        Progress {
            out: out.clone(),
            bar: None,
            lines_by_block: HashMap::new(),
            in_flight: HashMap::new(),
            finished: false,
        }
    }

    /// Says, for every operation running longer than `every` since it
    /// started or last said so, that it is still going: a line on a pipe,
    /// the bar's message on a terminal (the bar itself keeps ticking).
    fn heartbeat(&mut self, every: Duration) {
        if self.out.json {
            return;
        }
        let now = Instant::now();
        let mut due: Vec<(String, Action, Duration)> = Vec::new();
        for (address, (action, started, last)) in &mut self.in_flight {
            if now.duration_since(*last) >= every {
                *last = now;
                due.push((address.clone(), *action, now.duration_since(*started)));
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0));
        for (address, action, elapsed) in due {
            let text = format!(
                "{address}: Still {}... [{}s elapsed]",
                ing(action),
                elapsed.as_secs()
            );
            match &self.bar {
                Some(bar) => bar.set_message(text),
                None => self.out.line(&text),
            }
        }
    }

    fn start_bar(&self, total: usize) -> Option<ProgressBar> {
        if self.out.json || !self.out.terminal || total < 2 {
            return None;
        }
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn say(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => self.out.line(&text),
        }
    }

    /// Prints a failure or skip line unless this block already printed
    /// [`LINES_PER_BLOCK`] of that kind; says so once when it stops.
    fn say_bounded(&mut self, address: &str, kind: &'static str, text: String) {
        let block = block_of(address);
        let count = self
            .lines_by_block
            .entry((block.to_string(), kind))
            .or_insert(0);
        *count += 1;
        if *count <= LINES_PER_BLOCK {
            self.say(text);
        } else if *count == LINES_PER_BLOCK + 1 {
            self.say(format!(
                "{block}: more instances {kind}; the summary counts them"
            ));
        }
    }
}

fn ing(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "destroying",
        Action::Read => "reading",
        Action::Forget => "forgetting",
        Action::NoOp => "checking",
    }
}

fn done(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "destroyed",
        Action::Read => "read",
        Action::Forget => "forgotten",
        Action::NoOp => "unchanged",
    }
}

/// An engine event as one line of text, without color.
fn event_text(event: &Event) -> String {
    match event {
        Event::ApplyPlanned { total } => format!("Applying {total} operations"),
        Event::RefreshStarted { address } => format!("{address}: refreshing..."),
        Event::RefreshFinished {
            address,
            changed,
            gone,
        } => {
            if *gone {
                format!("{address}: no longer exists")
            } else if *changed {
                format!("{address}: changed outside Nimbus")
            } else {
                format!("{address}: unchanged")
            }
        }
        Event::OperationStarted { address, action } => format!("{address}: {}...", ing(*action)),
        Event::OperationFinished {
            address,
            action,
            elapsed_ms,
        } => format!(
            "{address}: {} ({:.1}s)",
            done(*action),
            *elapsed_ms as f64 / 1000.0
        ),
        Event::OperationFailed {
            address,
            action,
            message,
        } => {
            // The engine's message already starts with the address.
            let message = message
                .strip_prefix(&format!("{address}: "))
                .unwrap_or(message);
            format!("{address}: {} failed: {message}", ing(*action))
        }
        Event::Retrying {
            address,
            attempt,
            delay_ms,
            message,
        } => format!("{address}: retrying in {delay_ms} ms (attempt {attempt}): {message}"),
        Event::Skipped { address, reason } => format!("{address}: skipped: {reason}"),
        Event::OpenIntent {
            id,
            address,
            action,
            run_id,
            resolution,
        } => format!(
            "{address}: an interrupted run ({run_id}) left an open `{action}` intent (#{id}): {resolution}"
        ),
    }
}

/// How often a long operation says it is still going (Terraform's
/// `Still creating... [10s elapsed]`); `NIMBUS_HEARTBEAT_SECS` changes it.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// A sink shared with the engine; owns the progress bar once apply starts.
pub struct ProgressSink {
    inner: std::sync::Arc<Mutex<Progress>>,
}

impl ProgressSink {
    pub fn new(out: &Output) -> ProgressSink {
        let inner = std::sync::Arc::new(Mutex::new(Progress::new(out)));
        let every = std::env::var("NIMBUS_HEARTBEAT_SECS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map_or(HEARTBEAT, Duration::from_secs);
        // The heartbeat ends with the sink: it holds only a weak reference.
        let weak = std::sync::Arc::downgrade(&inner);
        let spawned = std::thread::Builder::new()
            .name("nimbus-heartbeat".into())
            .spawn(move || {
                // Fine enough that a heartbeat is late by a quarter at most.
                let tick = (every / 4).min(Duration::from_secs(1));
                loop {
                    std::thread::sleep(tick);
                    let Some(inner) = weak.upgrade() else { return };
                    let Ok(mut progress) = inner.lock() else {
                        return;
                    };
                    if progress.finished {
                        return;
                    }
                    progress.heartbeat(every);
                }
            });
        // Without a thread there is no heartbeat; everything else works.
        drop(spawned);
        ProgressSink { inner }
    }

    pub fn finish(&self) {
        if let Ok(mut p) = self.inner.lock() {
            p.finish();
            p.finished = true;
        }
    }
}

impl EventSink for ProgressSink {
    fn emit(&self, event: Event) {
        let Ok(mut p) = self.inner.lock() else { return };
        if p.out.json {
            // Actions appear as their verbs ("create"), as in `planned_change`,
            // not as the enum's serde names ("Create").
            let action = match &event {
                Event::OperationStarted { action, .. }
                | Event::OperationFinished { action, .. }
                | Event::OperationFailed { action, .. } => Some(*action),
                _ => None,
            };
            let message = event_text(&event);
            if let Ok(Json::Object(mut map)) = serde_json::to_value(&event) {
                if let Some(action) = action {
                    map.insert("action".into(), json!(action.verb()));
                }
                let kind = map
                    .get("type")
                    .and_then(Json::as_str)
                    .unwrap_or("event")
                    .to_string();
                p.out.event_with_message(&kind, &message, Json::Object(map));
            }
            return;
        }
        let text = event_text(&event);
        match event {
            Event::ApplyPlanned { total } => {
                p.bar = p.start_bar(total);
            }
            Event::RefreshStarted { .. } => {}
            Event::RefreshFinished { changed, gone, .. } => {
                if gone || changed {
                    p.say(text);
                }
            }
            Event::OperationStarted { address, action } => {
                let now = Instant::now();
                p.in_flight.insert(address, (action, now, now));
                if p.bar.is_none() {
                    p.say(text);
                }
            }
            Event::OperationFinished { address, .. } => {
                p.in_flight.remove(&address);
                match &p.bar {
                    Some(bar) => {
                        bar.inc(1);
                        bar.set_message(text);
                    }
                    None => p.say(text),
                }
            }
            Event::OperationFailed { address, .. } => {
                p.in_flight.remove(&address);
                if let Some(bar) = &p.bar {
                    bar.inc(1);
                }
                let text = p.out.paint(&text, "31");
                p.say_bounded(&address, "failed", text);
            }
            Event::Retrying { .. } => p.say(text),
            // Something the user must know, as before any plan output.
            Event::OpenIntent { .. } => p.out.warning(&text),
            Event::Skipped { address, .. } => p.say_bounded(&address, "skipped", text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_events_without_one_come_from_their_fields() {
        assert_eq!(
            describe(
                "diagnostic",
                &json!({ "severity": "error", "message": "no such file" })
            ),
            "Error: no such file"
        );
        assert_eq!(
            describe(
                "planned_change",
                &json!({ "address": "terraform-data.a", "action": "create" })
            ),
            "terraform-data.a: plan to create"
        );
        // Lists and objects are left to the fields.
        assert_eq!(
            describe("result", &json!({ "workspace": "dev", "tags": ["x"] })),
            "workspace: dev"
        );
    }
}
