//! Reads arbitrary UTF-8 and, when it reads cleanly, formats it and checks
//! the formatter's contract: the output is a fixed point, reads back to the
//! same tree (spans aside) and keeps every comment.
//!
//! Later stages (configuration, evaluation) can hang off the same input: once
//! `parsed` is known to be error-free, pass `parsed.nodes` on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_syntax::{FileId, format_source, read};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = read(FileId(0), text);
    if parsed.has_errors() {
        // Still must not panic when asked to format.
        assert!(format_source(text).is_err(), "formatted text that has read errors");
        return;
    }
    let once = match format_source(text) {
        Ok(out) => out,
        Err(diags) => panic!("clean input refused: {diags:?}"),
    };
    let twice = format_source(&once).unwrap_or_else(|d| panic!("formatted output refused: {d:?}\n{once}"));
    assert_eq!(once, twice, "formatting is not idempotent");

    let again = read(FileId(0), &once);
    assert!(!again.has_errors(), "formatted output has read errors");
    assert_eq!(again.nodes.len(), parsed.nodes.len(), "formatting changed the number of forms");
    for (a, b) in again.nodes.iter().zip(&parsed.nodes) {
        assert!(a.eq_ignoring_spans(b), "formatting changed a form:\n{once}");
    }
    let texts = |p: &nimbus_syntax::ParsedFile| p.comments.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&again), texts(&parsed), "formatting changed the comments");
});
