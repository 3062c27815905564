//! Source files, spans and line/column lookup.

use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};

/// Index of a file inside a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range inside one source file. Kept small (12 bytes) because every
/// node of every configuration carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded source file with a precomputed line index so that turning a
/// span into line:column is a binary search, not a scan.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> SourceFile {
        let mut line_starts = vec![0u32];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let end = floor_char_boundary(&self.text, offset as usize);
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map(|e| *e as usize)
            .unwrap_or(self.text.len());
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The first invalid UTF-8 sequence of a file, found by [`decode_lossy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// Byte offset of the sequence, the same in the file and in the decoded
    /// text (everything before it was valid).
    pub offset: usize,
    pub byte: u8,
}

impl InvalidUtf8 {
    /// The error, located at the replacement character in the decoded text.
    pub fn diagnostic(self, file: FileId) -> Diagnostic {
        let end = self.offset + char::REPLACEMENT_CHARACTER.len_utf8();
        Diagnostic::error("the file is not valid UTF-8")
            .at(Span::new(file, self.offset, end))
            .with_label(format!("invalid byte 0x{:02X}", self.byte))
            .with_note(
                "help: configuration files are read as UTF-8: save the file in that encoding",
            )
    }
}

/// A file's bytes as text. Invalid UTF-8 does not stop reading (the rest of
/// the file is still worth checking): each invalid sequence becomes U+FFFD
/// and the first one is returned, so it can be reported with its line and
/// column rather than as an unlocated read error.
pub fn decode_lossy(bytes: Vec<u8>) -> (String, Option<InvalidUtf8>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let invalid = InvalidUtf8 {
                offset,
                byte: bytes[offset],
            };
            (String::from_utf8_lossy(&bytes).into_owned(), Some(invalid))
        }
    }
}

/// All files read for one configuration (root module, modules, var files).
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    expansions: Vec<MacroUses>,
}

/// A macro's definition and the uses that expanded it: a diagnostic
/// located in the definition's text is rendered with a note naming the
/// uses ("in expansion of macro"), as rustc notes "in this macro
/// invocation".
#[derive(Debug, Clone)]
pub struct MacroUses {
    pub name: String,
    /// The whole `define-syntax` form.
    pub definition: Span,
    pub uses: Vec<Span>,
    /// What the uses passed: each argument's span, and the place in the
    /// template it was put at.
    pub passed: Vec<(Span, Span)>,
}

/// Where a template put the argument that holds `span`, if one does.
pub(crate) fn placed(passed: &[(Span, Span)], span: Span) -> Option<Span> {
    passed
        .iter()
        .find(|(argument, _)| {
            argument.file == span.file && argument.start <= span.start && span.end <= argument.end
        })
        .map(|(_, at)| *at)
}

/// The note on an error in what a macro use passed: where the template
/// put it.
pub(crate) fn passed_note(name: &str, at: &str) -> String {
    format!("note: passed to macro `{name}`, whose template puts it at {at}")
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, path: impl Into<PathBuf>, text: String) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(path, text));
        id
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.file(id).path
    }

    /// Records a macro's uses (see [`MacroUses`]).
    pub fn record_macro_uses(&mut self, uses: MacroUses) {
        if !uses.uses.is_empty() {
            self.expansions.push(uses);
        }
    }

    /// The macros' uses recorded so far.
    pub fn macro_uses(&self) -> &[MacroUses] {
        &self.expansions
    }

    /// For each macro whose definition holds `span`: its name and the note
    /// naming the uses that expanded it (at most five, then how many more).
    pub fn expansion_notes(&self, span: Span) -> Vec<(&str, String)> {
        let passed = self.expansions.iter().filter_map(|m| {
            placed(&m.passed, span)
                .map(|at| (m.name.as_str(), passed_note(&m.name, &self.location(at))))
        });
        self.expansions
            .iter()
            .filter(|m| {
                m.definition.file == span.file
                    && m.definition.start <= span.start
                    && span.end <= m.definition.end
            })
            .map(|m| {
                let mut places: Vec<String> =
                    m.uses.iter().take(5).map(|u| self.location(*u)).collect();
                if m.uses.len() > 5 {
                    places.push(format!("and {} more", m.uses.len() - 5));
                }
                (
                    m.name.as_str(),
                    format!(
                        "note: in expansion of macro `{}` at {}",
                        m.name,
                        places.join(", ")
                    ),
                )
            })
            .chain(passed)
            .collect()
    }

    /// `path:line:col` of the start of a span.
    pub fn location(&self, span: Span) -> String {
        match self.get(span.file) {
            Some(file) => {
                let (line, col) = file.line_col(span.start);
                format!("{}:{}:{}", file.path.display(), line, col)
            }
            None => "<unknown>".to_string(),
        }
    }

    pub fn snippet(&self, span: Span) -> &str {
        let text = &self.file(span.file).text;
        let start = floor_char_boundary(text, span.start as usize);
        let end = floor_char_boundary(text, span.end as usize);
        &text[start..end.max(start)]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let f = SourceFile::new("a.nim", "ab\ncdé\nx".to_string());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
        assert_eq!(f.line_col(8), (3, 1));
        assert_eq!(f.line_text(2), "cdé");
        assert_eq!(f.line_text(9), "");
    }

    #[test]
    fn invalid_utf8_is_located_at_its_first_byte() {
        let (text, invalid) = decode_lossy(b"(a\n  \"x\xff\xfey\")".to_vec());
        let invalid = invalid.unwrap();
        assert_eq!(
            invalid,
            InvalidUtf8 {
                offset: 7,
                byte: 0xff
            }
        );
        let mut map = SourceMap::new();
        let id = map.add("main.nim", text);
        let d = invalid.diagnostic(id);
        assert_eq!(map.location(d.span.unwrap()), "main.nim:2:5");
        assert_eq!(map.snippet(d.span.unwrap()), "\u{fffd}");
        assert_eq!(d.label.as_deref(), Some("invalid byte 0xFF"));
        assert_eq!(decode_lossy(b"ok".to_vec()), ("ok".to_string(), None));
    }
}
