//! Located diagnostics shared by every layer that reads user input, and a
//! rustc-style text rendering of them (source line plus a caret underline).

use crate::source::{SourceMap, Span};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// Short text printed beside the caret.
    pub label: Option<String>,
    /// Extra lines: `help: did you mean ...`, `note: ...`.
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Adds `help: did you mean `X`?` when a candidate is close enough.
    pub fn with_suggestion<'a>(
        self,
        wrong: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        match crate::suggest::closest(wrong, candidates) {
            Some(best) => self.with_note(format!("help: did you mean `{best}`?")),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Renders a diagnostic like rustc does:
///
/// ```text
/// error: unknown variable `enviroment`
///  --> main.nim:3:20
///   |
/// 3 |   (bucket (var enviroment))
///   |                ^^^^^^^^^^ not declared
///   = help: did you mean `environment`?
/// ```
pub fn render(sources: &SourceMap, diag: &Diagnostic, color: bool) -> String {
    let (red, yellow, blue, bold, reset) = if color {
        ("\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let (word, accent) = match diag.severity {
        Severity::Error => ("error", red),
        Severity::Warning => ("warning", yellow),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{bold}{accent}{word}{reset}{bold}: {}{reset}",
        diag.message
    );
    let mut gutter = 1;
    if let Some(span) = diag.span
        && let Some(file) = sources.get(span.file)
    {
        let (line, col) = file.line_col(span.start);
        let (end_line, end_col) = file.line_col(span.end);
        let number = line.to_string();
        gutter = number.len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(
            out,
            "{pad}{blue}-->{reset} {}:{line}:{col}",
            file.path.display()
        );
        let _ = writeln!(out, "{pad} {blue}|{reset}");
        let text = file.line_text(line);
        let _ = writeln!(out, "{blue}{number} |{reset} {}", text.replace('\t', " "));
        let width = if end_line == line {
            end_col.saturating_sub(col).max(1)
        } else {
            (text.chars().count() + 1).saturating_sub(col).max(1)
        };
        let label = diag
            .label
            .as_deref()
            .map(|l| format!(" {l}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{pad} {blue}|{reset} {}{accent}{}{label}{reset}",
            " ".repeat(col - 1),
            "^".repeat(width)
        );
    }
    for note in &diag.notes {
        let _ = writeln!(out, "{} {blue}={reset} {note}", " ".repeat(gutter));
    }
    out
}

/// Renders a list of diagnostics, errors and warnings in source order.
pub fn render_all(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    diags
        .iter()
        .map(|d| render(sources, d, color))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let mut map = SourceMap::new();
        let id = map.add("main.nim", "(a\n  (var enviroment))\n".to_string());
        let d = Diagnostic::error("unknown variable `enviroment`")
            .at(Span::new(id, 10, 20))
            .with_label("not declared")
            .with_suggestion("enviroment", ["environment", "region"]);
        let text = render(&map, &d, false);
        assert_eq!(
            text,
            "error: unknown variable `enviroment`\n --> main.nim:2:8\n  |\n2 |   (var enviroment))\n  |        ^^^^^^^^^^ not declared\n  = help: did you mean `environment`?\n"
        );
    }
}
