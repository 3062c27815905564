//! Data-driven snapshot tests: adding a case is adding a file.
//!
//! - `tests/fmt/*.nim`: each file's formatted output is snapshotted, and the
//!   output is checked to be a fixed point that reads back to the same tree.
//! - `tests/read_errors/*.nim`: each file must fail to read; the rendered
//!   diagnostics (as `nimbus` prints them, without color) are snapshotted.
//!
//! Snapshots live in `tests/snapshots/`. After adding a file, run
//! `INSTA_UPDATE=always cargo test -p nimbus-syntax --test snapshots` and
//! review the new `.snap` file before committing it.

use nimbus_syntax::{FileId, SourceMap, format_source, read, render_all};
use std::path::Path;

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn format_cases() {
    insta::glob!("fmt/*.nim", |path| {
        let text = std::fs::read_to_string(path).expect("readable test input");
        let formatted =
            format_source(&text).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
        assert_eq!(
            format_source(&formatted).as_deref(),
            Ok(formatted.as_str()),
            "{}: formatting is not idempotent",
            path.display()
        );
        let before = read(FileId(0), &text).nodes;
        let after = read(FileId(0), &formatted).nodes;
        assert!(
            before.len() == after.len()
                && before
                    .iter()
                    .zip(&after)
                    .all(|(a, b)| a.eq_ignoring_spans(b)),
            "{}: formatting changed the tree",
            path.display()
        );
        insta::assert_snapshot!(formatted);
    });
}

#[test]
fn read_error_cases() {
    insta::glob!("read_errors/*.nim", |path| {
        let text = std::fs::read_to_string(path).expect("readable test input");
        let mut sources = SourceMap::new();
        // A stable relative path, so snapshots don't depend on the checkout.
        let id = sources.add(format!("read_errors/{}", file_name(path)), text.clone());
        let parsed = read(id, &text);
        assert!(
            parsed.has_errors(),
            "{}: expected read errors",
            path.display()
        );
        assert!(
            format_source(&text).is_err(),
            "{}: formatter must refuse",
            path.display()
        );
        insta::assert_snapshot!(render_all(&sources, &parsed.diagnostics, false));
    });
}
