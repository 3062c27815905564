//! Everything the CLI prints goes through here: human text (colored on a
//! terminal), or with `--json` one versioned JSON object per line.

use indicatif::{ProgressBar, ProgressStyle};
use nimbus_engine::{Action, Event, EventSink};
use nimbus_syntax::{Diagnostic, SourceMap, render};
use serde_json::{Value as Json, json};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

/// Version of the `--json` event format (documented in docs/json-events.md).
pub const JSON_VERSION: u32 = 1;

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

    /// One JSON event line.
    pub fn event(&self, kind: &str, mut fields: Json) {
        if let Json::Object(map) = &mut fields {
            map.insert("v".into(), json!(JSON_VERSION));
            map.insert("type".into(), json!(kind));
        }
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{fields}");
    }

    pub fn line(&self, text: &str) {
        if !self.json {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{text}");
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
            eprintln!("{bold}{red}error{reset}{bold}: {message}{reset}");
        }
    }

    pub fn warning(&self, message: &str) {
        if self.json {
            self.event(
                "diagnostic",
                json!({ "severity": "warning", "message": message }),
            );
        } else {
            eprintln!("warning: {message}");
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
                        "message": d.message,
                        "location": location,
                        "notes": d.notes,
                    }),
                );
            }
            return;
        }
        let color = self.color_stderr();
        let mut stderr = std::io::stderr().lock();
        for d in diagnostics {
            let _ = writeln!(stderr, "{}", render(sources, d, color));
        }
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        if errors > 1 {
            let _ = writeln!(stderr, "{errors} errors");
        }
    }

    pub fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Shows engine progress: a bar on a terminal, one line per event
/// otherwise, JSON with `--json`.
pub struct Progress {
    out: Output,
    bar: Option<ProgressBar>,
    lines: Mutex<()>,
}

impl Progress {
    pub fn new(out: &Output) -> Progress {
        Progress {
            out: out.clone(),
            bar: None,
            lines: Mutex::new(()),
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
            None => {
                let _guard = self.lines.lock();
                self.out.line(&text);
            }
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
        Action::NoOp => "unchanged",
    }
}

/// A sink shared with the engine; owns the progress bar once apply starts.
pub struct ProgressSink {
    inner: Mutex<Progress>,
}

impl ProgressSink {
    pub fn new(out: &Output) -> ProgressSink {
        ProgressSink {
            inner: Mutex::new(Progress::new(out)),
        }
    }

    pub fn finish(&self) {
        if let Ok(p) = self.inner.lock() {
            p.finish();
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
            if let Ok(Json::Object(mut map)) = serde_json::to_value(&event) {
                if let Some(action) = action {
                    map.insert("action".into(), json!(action.verb()));
                }
                let kind = map
                    .get("type")
                    .and_then(Json::as_str)
                    .unwrap_or("event")
                    .to_string();
                p.out.event(&kind, Json::Object(map));
            }
            return;
        }
        match event {
            Event::ApplyPlanned { total } => {
                p.bar = p.start_bar(total);
            }
            Event::RefreshStarted { .. } => {}
            Event::RefreshFinished {
                address,
                changed,
                gone,
            } => {
                if gone {
                    p.say(format!("{address}: no longer exists"));
                } else if changed {
                    p.say(format!("{address}: changed outside Nimbus"));
                }
            }
            Event::OperationStarted { address, action } => {
                if p.bar.is_none() {
                    p.say(format!("{address}: {}...", ing(action)));
                }
            }
            Event::OperationFinished {
                address,
                action,
                elapsed_ms,
            } => {
                let text = format!(
                    "{address}: {} ({:.1}s)",
                    done(action),
                    elapsed_ms as f64 / 1000.0
                );
                match &p.bar {
                    Some(bar) => {
                        bar.inc(1);
                        bar.set_message(text);
                    }
                    None => p.say(text),
                }
            }
            Event::OperationFailed {
                address,
                action,
                message,
            } => {
                if let Some(bar) = &p.bar {
                    bar.inc(1);
                }
                // The engine's message already starts with the address.
                let message = message
                    .strip_prefix(&format!("{address}: "))
                    .unwrap_or(&message);
                let text = p.out.paint(
                    &format!("{address}: {} failed: {message}", ing(action)),
                    "31",
                );
                p.say(text);
            }
            Event::Retrying {
                address,
                attempt,
                delay_ms,
                message,
            } => {
                p.say(format!(
                    "{address}: retrying in {delay_ms} ms (attempt {attempt}): {message}"
                ));
            }
            Event::Skipped { address, reason } => {
                p.say(format!("{address}: skipped: {reason}"));
            }
            Event::OpenIntent {
                address,
                action,
                run_id,
                resolution,
            } => {
                p.say(format!(
                    "{address}: an interrupted run ({run_id}) left an open `{action}`: {resolution}"
                ));
            }
        }
    }
}
