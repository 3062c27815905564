//! Located diagnostics shared by every layer that reads user input, and a
//! rustc-style text rendering of them (source line plus a caret underline).

use crate::source::{SourceMap, Span};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// What kind of problem a diagnostic reports, for code that reacts to it
/// (control flow never reads message text) and for `--json` consumers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// A required variable has no value; carries the variable's name.
    MissingRequiredVariable(String),
    /// `count` or `for-each` depends on a value known only after apply.
    ExpansionUnknown,
    /// A provider's warning, passed on to the user.
    ProviderWarning,
    /// A precondition or postcondition is false.
    ConditionFailed,
    /// A `check` block's assertion is false (a warning).
    CheckFailed,
    /// A `check` block's assertion is not known yet (a warning).
    CheckUnknown,
    /// A policy rule failed or could not be decided; an error when it
    /// blocks the run.
    PolicyViolation,
}

impl Code {
    /// The stable name used in `--json` output.
    pub fn as_str(&self) -> &'static str {
        match self {
            Code::MissingRequiredVariable(_) => "missing-required-variable",
            Code::ExpansionUnknown => "expansion-unknown",
            Code::ProviderWarning => "provider-warning",
            Code::ConditionFailed => "condition-failed",
            Code::CheckFailed => "check-failed",
            Code::CheckUnknown => "check-unknown",
            Code::PolicyViolation => "policy-violation",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What kind of problem this is, where code reacts to it.
    pub code: Option<Code>,
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
            code: None,
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

    pub fn with_code(mut self, code: Code) -> Diagnostic {
        self.code = Some(code);
        self
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

    /// The notes to show with this diagnostic: its own, then, for a place
    /// in a macro's template, the uses it was expanded at (unless a note
    /// already names them).
    pub fn notes_in(&self, sources: &SourceMap) -> Vec<String> {
        let mut notes = self.notes.clone();
        if let Some(span) = self.span {
            for (name, note) in sources.expansion_notes(span) {
                let prefix = format!("note: in expansion of macro `{name}`");
                if !self
                    .notes
                    .iter()
                    .any(|n| n.starts_with(&prefix) || *n == note)
                {
                    notes.push(note);
                }
            }
        }
        notes
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
        let shown = Window::around(text, col);
        let _ = writeln!(out, "{blue}{number} |{reset} {}", shown.text);
        let width = if end_line == line {
            end_col.saturating_sub(col)
        } else {
            (text.chars().count() + 1).saturating_sub(col)
        };
        // The underline stops where the shown text does.
        let width = width.min(shown.end_col.saturating_sub(shown.col)).max(1);
        let label = diag
            .label
            .as_deref()
            .map(|l| format!(" {l}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{pad} {blue}|{reset} {}{accent}{}{label}{reset}",
            " ".repeat(shown.col - 1),
            "^".repeat(width)
        );
    }
    for note in diag.notes_in(sources) {
        let _ = writeln!(out, "{} {blue}={reset} {note}", " ".repeat(gutter));
    }
    out
}

/// Widest source line a snippet shows, in characters. A longer line (a
/// generated or minified file can be one line of megabytes) is cut to a
/// window around the column, so a message stays readable and small.
pub const SNIPPET_WIDTH: usize = 120;

/// Characters kept before the column when a line is cut.
const SNIPPET_CONTEXT: usize = 40;

/// Marks where a cut line continues.
const ELLIPSIS: &str = "...";

/// The part of a source line a snippet shows.
#[derive(Debug, PartialEq)]
struct Window {
    /// Tabs as single spaces (a column counts a tab as one character), with
    /// `...` where the line was cut.
    text: String,
    /// 1-based column in `text` of the requested column.
    col: usize,
    /// 1-based column in `text` just past the last source character shown.
    end_col: usize,
}

impl Window {
    /// The window of `line` around 1-based character column `col`.
    fn around(line: &str, col: usize) -> Window {
        let untab = |c: char| if c == '\t' { ' ' } else { c };
        let len = line.chars().count();
        let col = col.clamp(1, len + 1);
        if len <= SNIPPET_WIDTH {
            return Window {
                text: line.chars().map(untab).collect(),
                col,
                end_col: len + 1,
            };
        }
        // 0-based character range shown: context before the column, and a
        // full width even near the end of the line.
        let first = (col - 1)
            .saturating_sub(SNIPPET_CONTEXT)
            .min(len - SNIPPET_WIDTH);
        let last = first + SNIPPET_WIDTH;
        let mut text = String::with_capacity(SNIPPET_WIDTH + 2 * ELLIPSIS.len());
        let lead = if first > 0 {
            text.push_str(ELLIPSIS);
            ELLIPSIS.len()
        } else {
            0
        };
        text.extend(line.chars().skip(first).take(SNIPPET_WIDTH).map(untab));
        if last < len {
            text.push_str(ELLIPSIS);
        }
        Window {
            text,
            col: col - first + lead,
            end_col: SNIPPET_WIDTH + lead + 1,
        }
    }
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

    #[test]
    fn long_lines_are_cut_to_a_window_around_the_column() {
        // One line of 100,000 characters with the problem in the middle.
        let line = format!("{}(bad){}", "a".repeat(50_000), "b".repeat(50_000));
        let mut map = SourceMap::new();
        let id = map.add("big.nim", line);
        let d = Diagnostic::error("oops")
            .at(Span::new(id, 50_000, 50_005))
            .with_label("here");
        let text = render(&map, &d, false);
        assert!(text.len() < 600, "{} bytes:\n{text}", text.len());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], " --> big.nim:1:50001");
        let source = lines[3].strip_prefix("1 | ").unwrap();
        assert!(
            source.starts_with("...a") && source.ends_with("b..."),
            "{source}"
        );
        // The caret is still under `(bad)`.
        let caret = lines[4].strip_prefix("  | ").unwrap();
        let at = caret.find('^').unwrap();
        assert_eq!(&source[at..at + 5], "(bad)");
        assert_eq!(&caret[at..], "^^^^^ here");
    }

    #[test]
    fn windows_near_the_ends_keep_a_full_width() {
        let line: String = ('a'..='z').cycle().take(500).collect();
        let start = Window::around(&line, 3);
        assert_eq!(start.text.len(), SNIPPET_WIDTH + ELLIPSIS.len());
        assert!(start.text.ends_with(ELLIPSIS));
        assert_eq!((start.col, start.end_col), (3, SNIPPET_WIDTH + 1));
        let end = Window::around(&line, 501);
        assert!(end.text.starts_with(ELLIPSIS) && !end.text.ends_with(ELLIPSIS));
        assert_eq!(end.col, end.end_col);
        assert_eq!(end.text.len(), SNIPPET_WIDTH + ELLIPSIS.len());
        // A line that fits is shown whole, tabs as spaces.
        let short = Window::around("\tx", 2);
        assert_eq!(
            (short.text.as_str(), short.col, short.end_col),
            (" x", 2, 3)
        );
    }
}
