//! Lowering never panics, whatever the input: every prefix of every test
//! case (the shapes a file has while being typed), and random text built
//! from HCL's tokens.

use nimbus_syntax::FileId;
use proptest::prelude::*;
use std::path::Path;

fn corpus() -> Vec<String> {
    let mut texts = Vec::new();
    for dir in ["tests/cases", "tests/invalid"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(dir).expect("the corpus") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "tf") {
                texts.push(std::fs::read_to_string(path).expect("a case"));
            }
        }
    }
    texts
}

#[test]
fn every_prefix_of_every_case_lowers_without_panicking() {
    for text in corpus() {
        for (end, _) in text.char_indices() {
            let lowered = nimbus_hcl::lower(FileId(0), &text[..end]);
            // Whatever was found is located inside the text.
            for d in &lowered.diagnostics {
                if let Some(span) = d.span {
                    assert!(span.start as usize <= end && span.end as usize <= end);
                }
            }
        }
    }
}

/// Every prefix of every JSON case (`.tf.json`): a located error or a
/// lowering, spans inside the text, never a panic.
#[test]
fn every_prefix_of_every_json_case_lowers_without_panicking() {
    let mut texts = Vec::new();
    for dir in ["tests/cases", "tests/invalid"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(dir).expect("the corpus") {
            let path = entry.expect("an entry").path();
            if path.to_string_lossy().ends_with(".tf.json") {
                texts.push(std::fs::read_to_string(path).expect("a case"));
            }
        }
    }
    assert!(!texts.is_empty());
    for text in texts {
        for (end, _) in text.char_indices() {
            let lowered = nimbus_hcl::lower_json(FileId(0), &text[..end]);
            for d in &lowered.diagnostics {
                if let Some(span) = d.span {
                    assert!(span.start as usize <= end && span.end as usize <= end);
                }
            }
        }
    }
}

/// `nimbus convert` and the template lowering of `templatefile` take
/// every prefix of every case without panicking; a conversion that
/// succeeds reads back as the prefix's own lowering.
#[test]
fn every_prefix_converts_or_is_refused_without_panicking() {
    for text in corpus() {
        for (end, _) in text.char_indices().step_by(7) {
            let prefix = &text[..end];
            if let Ok(converted) = nimbus_hcl::convert(FileId(0), prefix) {
                let read = nimbus_syntax::read(FileId(0), &converted.text);
                assert!(read.diagnostics.is_empty(), "{converted:?}");
            }
            let _ = nimbus_hcl::lower_template(FileId(0), prefix, &["x".to_string()]);
        }
    }
}

/// Pieces of HCL, glued at random.
const TOKENS: &[&str] = &[
    "resource",
    "variable",
    "locals",
    "output",
    "module",
    "dynamic",
    "content",
    "\"a\"",
    "\"b${",
    "}",
    "{",
    "[",
    "]",
    "(",
    ")",
    "=",
    "==",
    "?",
    ":",
    ",",
    ".",
    "*",
    "[*]",
    ".*",
    "for",
    "in",
    "if",
    "=>",
    "...",
    "%{",
    "~}",
    "${~",
    "<<EOT\n",
    "\nEOT\n",
    "<<-X\n",
    "X",
    "var",
    "local",
    "count",
    "each",
    "self",
    "data",
    "x",
    "1",
    "-",
    "!",
    "&&",
    "1.5e3",
    "\n",
    " ",
    "#c\n",
    "/*",
    "*/",
    "try(",
    "can(",
    "\u{feff}",
    "é",
    "\"\\u00e9\"",
    "null",
    "true",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_token_soup_lowers_without_panicking(
        picks in proptest::collection::vec(0..TOKENS.len(), 0..60)
    ) {
        let text: String = picks.iter().map(|i| TOKENS[*i]).collect();
        let _ = nimbus_hcl::lower(FileId(0), &text);
    }

    #[test]
    fn arbitrary_text_lowers_without_panicking(text in "\\PC{0,200}") {
        let _ = nimbus_hcl::lower(FileId(0), &text);
    }
}

/// Operators nest without brackets: long chains must neither overflow a
/// stack (here, the parser's or the lowering's) nor build a tree deeper
/// than later passes accept.
#[test]
fn long_operator_chains_are_refused_or_lowered_without_overflow() {
    for chain in [
        format!("locals {{\n  a = {}1\n}}\n", "1 + ".repeat(20_000)),
        format!("locals {{\n  a = {}true\n}}\n", "!".repeat(20_000)),
        format!("locals {{\n  a = {}1\n}}\n", "true ? 1 : ".repeat(5_000)),
        format!("locals {{\n  a = -{}1\n}}\n", "-".repeat(20_000)),
    ] {
        let lowered = nimbus_hcl::lower(FileId(0), &chain);
        assert!(lowered.has_errors());
    }
}
