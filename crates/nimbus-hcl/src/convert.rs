//! `nimbus convert`: a `.tf` file as a `.nim` file.
//!
//! The `.nim` text is the lowering itself, printed: the forms the
//! configuration parser would read from the `.tf` file are exactly the
//! forms the `.nim` file holds (the formatter reads its output back and
//! refuses otherwise), so the converted module means what the original
//! meant by construction. The comments of the `.tf` file are carried over
//! by position, as `;` line comments or `#| |#` block comments, and its
//! blank lines between blocks and attributes are kept.

use crate::scan::{Event, scan};
use crate::{Lowered, lower, lower_json};
use nimbus_syntax::{Comment, Diagnostic, FileId, Span};

/// One converted file: its `.nim` text, and the warnings of the lowering
/// (a `backend` of a kind Nimbus has no backend for, a setting it ignores).
#[derive(Debug, Clone)]
pub struct Converted {
    pub text: String,
    pub warnings: Vec<Diagnostic>,
}

/// Converts the text of one `.tf` file, registered by the caller as
/// `file`. Errors are the lowering's (the file is not valid in the
/// Terraform language, or uses what Nimbus does not support yet).
pub fn convert(file: FileId, text: &str) -> Result<Converted, Vec<Diagnostic>> {
    let Lowered { forms, diagnostics } = lower(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let comments = comments(file, text);
    let text = nimbus_syntax::format_with_comments(text, &forms, &comments)?;
    Ok(Converted {
        text,
        warnings: diagnostics,
    })
}

/// Converts the text of one `.tf.json` file. JSON has no comments; its
/// `"//"` properties are not carried over.
pub fn convert_json(file: FileId, text: &str) -> Result<Converted, Vec<Diagnostic>> {
    let Lowered { forms, diagnostics } = lower_json(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let text = nimbus_syntax::format_with_comments(text, &forms, &[])?;
    Ok(Converted {
        text,
        warnings: diagnostics,
    })
}

/// The comments of a `.tf` file, in source order, each as a `.nim`
/// comment spanning the HCL comment. Strings, template interpolations
/// and heredocs are skipped: a `#` inside them is text.
pub fn comments(file: FileId, text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    scan(text, |event| match event {
        Event::LineComment { start, end, marker } => {
            out.push(line_comment(file, text, start, end, marker));
        }
        Event::BlockComment { start, end } => out.extend(block_comment(file, text, start, end)),
        Event::TopLevelEnd(_) => {}
    });
    out
}

/// `# text` or `// text` (marker `marker` bytes long) as `; text`.
fn line_comment(file: FileId, text: &str, start: usize, end: usize, marker: usize) -> Comment {
    let body = text[start + marker..end].trim_end();
    Comment {
        span: Span::new(file, start, end),
        text: format!(";{body}"),
    }
}

/// `/* text */` as `#| text |#`, or as one `;` comment per line when the
/// text holds `|#` (which would end a `.nim` block comment early).
fn block_comment(file: FileId, text: &str, start: usize, end: usize) -> Vec<Comment> {
    let body = text[start + 2..end]
        .strip_suffix("*/")
        .unwrap_or(&text[start + 2..end]);
    if !body.contains("|#") && !body.contains("#|") {
        return vec![Comment {
            span: Span::new(file, start, end),
            text: format!("#|{body}|#"),
        }];
    }
    // One line comment per line, each spanning its own line of the text
    // so that the formatter keeps them in order, on their own lines.
    let mut out = Vec::new();
    let mut line_start = start + 2;
    for line in body.split('\n') {
        let line_end = line_start + line.len();
        out.push(Comment {
            span: Span::new(file, line_start, line_end.max(line_start + 1)),
            text: format!(";{}", line.trim_end()),
        });
        line_start = line_end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        comments(FileId(0), text)
            .into_iter()
            .map(|c| c.text)
            .collect()
    }

    #[test]
    fn finds_comments_outside_strings_and_heredocs() {
        let text = r#"# top
a = "not # a comment ${ x }" // after
b = <<EOT
# heredoc text
EOT
/* block
 comment */
c = "$${x} # text" # last
"#;
        assert_eq!(
            texts(text),
            ["; top", "; after", "#| block\n comment |#", "; last"]
        );
    }

    #[test]
    fn a_block_comment_holding_a_nim_marker_becomes_line_comments() {
        assert_eq!(texts("/* a |# b\nc */"), ["; a |# b", ";c"]);
    }
}
